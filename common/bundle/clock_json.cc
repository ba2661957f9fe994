#include "common/bundle/clock_json.h"

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "common/text/lines.h"

namespace kerbside::bundle {
namespace {

constexpr char kFormat[] = "kerbside-clock/1";

const char* MethodName(v1::ClockReading::Method m) {
  switch (m) {
    case v1::ClockReading::COLLECTOR_EXCHANGE:
      return "collector_exchange";
    case v1::ClockReading::W32TM_STRIPCHART:
      return "w32tm_stripchart";
    case v1::ClockReading::KDC_ERROR_TIME:
      return "kdc_error_time";
    default:
      return "unspecified";
  }
}

}  // namespace

nlohmann::ordered_json ClockReadingsToJson(const std::vector<v1::ClockReading>& readings) {
  nlohmann::ordered_json out = {{"format", kFormat}, {"readings", nlohmann::ordered_json::array()}};
  for (const v1::ClockReading& r : readings) {
    out["readings"].push_back(
        {{"method", MethodName(r.method())},
         {"reference", r.reference()},
         {"offset_seconds", absl::ToDoubleSeconds(FromProto(r.offset()))},
         {"uncertainty_seconds", absl::ToDoubleSeconds(FromProto(r.uncertainty()))},
         {"delay_seconds", absl::ToDoubleSeconds(FromProto(r.delay()))},
         {"measured_at", FormatRfc3339(FromProto(r.measured_at()))}});
  }
  return out;
}

absl::StatusOr<std::vector<v1::ClockReading>> ParseClockReadingsJson(absl::string_view text,
                                                                     absl::string_view file) {
  const nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return text::ParseError(file, 0, "not a JSON object");
  if (!j.contains("format") || !j["format"].is_string() || j["format"] != kFormat) {
    return text::ParseError(file, 0, absl::StrCat("field format: expected \"", kFormat, "\""));
  }
  auto readings = j.find("readings");
  if (readings == j.end() || !readings->is_array()) {
    return text::ParseError(file, 0, "field readings: expected an array");
  }
  std::vector<v1::ClockReading> out;
  for (size_t i = 0; i < readings->size(); ++i) {
    const nlohmann::json& r = (*readings)[i];
    const std::string where = absl::StrCat("field readings[", i, "]");
    if (!r.is_object() || !r.contains("offset_seconds") || !r["offset_seconds"].is_number() ||
        !r.contains("reference") || !r["reference"].is_string()) {
      return text::ParseError(file, 0, absl::StrCat(where, ": needs reference and offset_seconds"));
    }
    v1::ClockReading c;
    const std::string method =
        r.contains("method") && r["method"].is_string() ? r["method"].get<std::string>() : "";
    c.set_method(method == "collector_exchange" ? v1::ClockReading::COLLECTOR_EXCHANGE
                 : method == "w32tm_stripchart" ? v1::ClockReading::W32TM_STRIPCHART
                 : method == "kdc_error_time"   ? v1::ClockReading::KDC_ERROR_TIME
                                                : v1::ClockReading::METHOD_UNSPECIFIED);
    c.set_reference(r["reference"].get<std::string>());
    auto seconds = [&](const char* key) {
      return r.contains(key) && r[key].is_number() ? absl::Seconds(r[key].get<double>())
                                                   : absl::ZeroDuration();
    };
    *c.mutable_offset() = ToProto(seconds("offset_seconds"));
    if (seconds("uncertainty_seconds") < absl::ZeroDuration()) {
      return text::ParseError(file, 0,
                              absl::StrCat(where, ".uncertainty_seconds: must not be negative"));
    }
    *c.mutable_uncertainty() = ToProto(seconds("uncertainty_seconds"));
    *c.mutable_delay() = ToProto(seconds("delay_seconds"));
    if (r.contains("measured_at") && r["measured_at"].is_string()) {
      absl::Time t;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, r["measured_at"].get<std::string>(), &t, &err)) {
        return text::ParseError(file, 0, absl::StrCat(where, ".measured_at: ", err));
      }
      *c.mutable_measured_at() = ToProto(t);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace kerbside::bundle
