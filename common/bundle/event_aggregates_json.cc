#include "common/bundle/event_aggregates_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/events/event_aggregate.h"
#include "common/events/event_xml.h"
#include "common/proto_time.h"
#include "common/text/lines.h"

namespace kerbside::bundle {
namespace {

constexpr char kFormat[] = "kerbside-event-aggregates/1";

}  // namespace

nlohmann::ordered_json EventAggregatesToJson(const std::vector<v1::EventAggregate>& aggregates) {
  nlohmann::ordered_json out = {{"format", kFormat},
                                {"aggregates", nlohmann::ordered_json::array()}};
  for (const v1::EventAggregate& a : aggregates) {
    nlohmann::ordered_json distinct = nlohmann::ordered_json::array();
    for (const auto& dv : a.distinct_values()) {
      distinct.push_back(
          {{"field", dv.field()},
           {"values", std::vector<std::string>(dv.values().begin(), dv.values().end())},
           {"truncated", dv.truncated()}});
    }
    out["aggregates"].push_back({{"provider", a.provider()},
                                 {"event_id", a.event_id()},
                                 {"channel", a.channel()},
                                 {"count", a.count()},
                                 {"count_is_lower_bound", a.count_is_lower_bound()},
                                 {"first_seen", FormatRfc3339(FromProto(a.first_seen()))},
                                 {"last_seen", FormatRfc3339(FromProto(a.last_seen()))},
                                 {"first_record_id", a.first_record_id()},
                                 {"last_record_id", a.last_record_id()},
                                 {"distinct_values", std::move(distinct)},
                                 {"examples_xml", events::RenderEventsXml(events::ExamplesOf(a))}});
  }
  return out;
}

absl::StatusOr<std::vector<v1::EventAggregate>> ParseEventAggregatesJson(absl::string_view text,
                                                                         absl::string_view file) {
  const nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return text::ParseError(file, 0, "not a JSON object");
  if (!j.contains("format") || !j["format"].is_string() || j["format"] != kFormat) {
    return text::ParseError(file, 0, absl::StrCat("field format: expected \"", kFormat, "\""));
  }
  auto list = j.find("aggregates");
  if (list == j.end() || !list->is_array()) {
    return text::ParseError(file, 0, "field aggregates: expected an array");
  }
  std::vector<v1::EventAggregate> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& a = (*list)[i];
    const std::string where = absl::StrCat("field aggregates[", i, "]");
    auto bad = [&](absl::string_view field, absl::string_view why) {
      return text::ParseError(file, 0,
                              absl::StrCat(where, field.empty() ? "" : ".", field, ": ", why));
    };
    if (!a.is_object()) return bad("", "not an object");
    if (!a.contains("examples_xml") || !a["examples_xml"].is_string()) {
      return bad("examples_xml", "expected a string of <Event> elements");
    }
    if (!a.contains("count") || !a["count"].is_number_integer() || a["count"].get<int64_t>() < 1) {
      return bad("count", "expected an integer of at least 1");
    }
    // The examples are events in their own format, read by the events parser (facts included).
    auto examples = events::ParseEventsXml(a["examples_xml"].get<std::string>(),
                                           absl::StrCat(file, " ", where, ".examples_xml"));
    if (!examples.ok()) return examples.status();
    if (examples->events_size() == 0) return bad("examples_xml", "holds no <Event>");
    std::vector<v1::EventAggregate> parts = events::AggregateEvents(*examples);
    if (parts.size() != 1) {
      return bad("examples_xml", "examples of different events (provider, id or facts differ)");
    }
    v1::EventAggregate agg = std::move(parts.front());
    // provider and event_id are written for readers; they must agree with the examples.
    if (auto p = a.find("provider");
        p != a.end() && (!p->is_string() || p->get<std::string>() != agg.provider())) {
      return bad("provider", absl::StrCat("does not match its examples' (", agg.provider(), ")"));
    }
    if (auto id = a.find("event_id");
        id != a.end() && (!id->is_number_integer() || id->get<int64_t>() != agg.event_id())) {
      return bad("event_id", absl::StrCat("does not match its examples' (", agg.event_id(), ")"));
    }
    agg.set_count(a["count"].get<int64_t>());
    if (auto lb = a.find("count_is_lower_bound"); lb != a.end() && !lb->is_null()) {
      if (!lb->is_boolean()) return bad("count_is_lower_bound", "expected true or false");
      agg.set_count_is_lower_bound(lb->get<bool>());
    }
    for (const char* key : {"first_seen", "last_seen"}) {
      auto it = a.find(key);
      if (it == a.end() || it->is_null()) continue;  // the examples' times stand
      absl::Time t;
      std::string err;
      if (!it->is_string() ||
          !absl::ParseTime(absl::RFC3339_full, it->get<std::string>(), &t, &err)) {
        return bad(key, err.empty() ? "expected an RFC 3339 time" : err);
      }
      *(std::string(key) == "first_seen" ? agg.mutable_first_seen() : agg.mutable_last_seen()) =
          ToProto(t);
    }
    if (FromProto(agg.first_seen()) > FromProto(agg.last_seen())) {
      return bad("first_seen", "is after last_seen");
    }
    uint64_t ids[2] = {agg.first_record_id(), agg.last_record_id()};
    const char* id_keys[2] = {"first_record_id", "last_record_id"};
    for (int k = 0; k < 2; ++k) {
      auto it = a.find(id_keys[k]);
      if (it == a.end() || it->is_null()) continue;  // the examples' ids stand
      if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
        return bad(id_keys[k], "expected a non-negative integer");
      }
      ids[k] = it->get<uint64_t>();
    }
    if (ids[0] > ids[1]) return bad("first_record_id", "is after last_record_id");
    agg.set_first_record_id(ids[0]);
    agg.set_last_record_id(ids[1]);
    if (auto dv = a.find("distinct_values"); dv != a.end() && !dv->is_null()) {
      if (!dv->is_array()) return bad("distinct_values", "expected an array");
      agg.clear_distinct_values();
      for (size_t k = 0; k < dv->size(); ++k) {
        const nlohmann::json& d = (*dv)[k];
        const std::string field = absl::StrCat("distinct_values[", k, "]");
        if (!d.is_object() || !d.contains("field") || !d["field"].is_string() ||
            !d.contains("values") || !d["values"].is_array()) {
          return bad(field, "expected {field, values[], truncated}");
        }
        auto* out_dv = agg.add_distinct_values();
        out_dv->set_field(d["field"].get<std::string>());
        for (const nlohmann::json& v : d["values"]) {
          if (!v.is_string()) return bad(field, "values: expected strings");
          out_dv->add_values(v.get<std::string>());
        }
        if (auto t = d.find("truncated"); t != d.end() && !t->is_null()) {
          if (!t->is_boolean()) return bad(field, "truncated: expected true or false");
          out_dv->set_truncated(t->get<bool>());
        }
      }
    }
    if (a.contains("channel") && a["channel"].is_string() && agg.channel().empty()) {
      agg.set_channel(a["channel"].get<std::string>());
    }
    out.push_back(std::move(agg));
  }
  return out;
}

}  // namespace kerbside::bundle
