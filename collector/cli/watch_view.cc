#include "collector/cli/watch_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kerbside::cli {
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace

nlohmann::ordered_json WatchState(const nlohmann::json& diagnose,
                                  const v1::ListQueuesResponse& queues) {
  nlohmann::ordered_json out;
  out["stuck_queues"] = nlohmann::ordered_json::array();
  for (const v1::QueueStatus& q : queues.queues()) {
    if (!q.stuck()) continue;
    out["stuck_queues"].push_back({{"host", q.host()},
                                   {"identity", q.identity()},
                                   {"next_hop_domain", q.next_hop_domain()},
                                   {"message_count", q.message_count()},
                                   {"last_error", q.last_error()}});
  }
  out["diagnoses"] = nlohmann::ordered_json::array();
  if (diagnose.contains("diagnoses")) {
    for (const auto& d : diagnose["diagnoses"]) {
      nlohmann::ordered_json j;
      j["cause"] = d.contains("causes") && !d["causes"].empty() ? Str(d["causes"][0], "cause") : "";
      j["confidence"] =
          d.contains("causes") && !d["causes"].empty() ? Str(d["causes"][0], "confidence") : "";
      j["blamed_host"] = Str(d, "blamed_host");
      j["sentence"] = Str(d, "sentence");
      const nlohmann::json t = d.value("tracking", nlohmann::json());
      j["state"] = t.is_object() ? Str(t, "state") : "new";
      j["first_seen"] = t.is_object() ? nlohmann::ordered_json(Str(t, "first_seen"))
                                      : nlohmann::ordered_json(nullptr);
      j["last_changed"] = t.is_object() ? nlohmann::ordered_json(Str(t, "last_changed"))
                                        : nlohmann::ordered_json(nullptr);
      j["paged"] = t.is_object() && t.value("paged", false);
      out["diagnoses"].push_back(std::move(j));
    }
  }
  // Resolved and clearing ones are no longer in the correlator's answer but on-call wants to see
  // them go.
  out["recently_resolved"] = nlohmann::ordered_json::array();
  if (diagnose.contains("tracked")) {
    for (const auto& t : diagnose["tracked"]) {
      const std::string state = Str(t, "state");
      if (state != "resolved" && state != "clearing") continue;
      out["recently_resolved"].push_back({{"cause", Str(t, "cause")},
                                          {"blamed_host", Str(t, "blamed_host")},
                                          {"state", state},
                                          {"first_seen", Str(t, "first_seen")},
                                          {"last_changed", Str(t, "last_changed")}});
    }
  }
  return out;
}

std::string WatchScreen(const nlohmann::ordered_json& state, const std::string& collector,
                        const std::string& as_of) {
  std::string out =
      absl::StrCat("kerbside watch — ", collector, " — ", as_of, " (Ctrl-C to stop)\n\n");
  absl::StrAppend(&out, "DIAGNOSES (", state["diagnoses"].size(), ")\n");
  if (state["diagnoses"].empty()) absl::StrAppend(&out, "  none\n");
  for (const auto& d : state["diagnoses"]) {
    absl::StrAppend(&out, "  ", d["sentence"].get<std::string>(), "\n");
    absl::StrAppend(&out, "    ", d["cause"].get<std::string>(), " on ",
                    d["blamed_host"].get<std::string>(), ": ", d["state"].get<std::string>(),
                    d["paged"].get<bool>() ? " (paged)" : "",
                    d["first_seen"].is_string()
                        ? absl::StrCat(", first seen ", d["first_seen"].get<std::string>(),
                                       ", last changed ", d["last_changed"].get<std::string>())
                        : "",
                    "\n");
  }
  absl::StrAppend(&out, "\nSTUCK QUEUES (", state["stuck_queues"].size(), ")\n");
  if (state["stuck_queues"].empty()) absl::StrAppend(&out, "  none\n");
  for (const auto& q : state["stuck_queues"]) {
    absl::StrAppend(
        &out, absl::StrFormat("  %-8s %-16s %6d msgs  %-24s %s\n", q["host"].get<std::string>(),
                              q["identity"].get<std::string>(), q["message_count"].get<int64_t>(),
                              q["next_hop_domain"].get<std::string>(),
                              q["last_error"].get<std::string>()));
  }
  if (!state["recently_resolved"].empty()) {
    absl::StrAppend(&out, "\nRESOLVED / CLEARING\n");
    for (const auto& r : state["recently_resolved"]) {
      absl::StrAppend(&out, "  ", r["cause"].get<std::string>(), " on ",
                      r["blamed_host"].get<std::string>(), ": ", r["state"].get<std::string>(),
                      " since ", r["last_changed"].get<std::string>(), "\n");
    }
  }
  return out;
}

}  // namespace kerbside::cli
