#include "agent/sources/host_folder_source.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/bundle/bundle_loader.h"
#include "common/events/event_aggregate.h"
#include "common/proto_time.h"

namespace kerbside::agent {

v1::EvidenceBatch HostFolderSource::Collect(absl::Time now) {
  v1::EvidenceBatch batch;
  batch.set_source(id());
  std::error_code ec;
  if (!std::filesystem::is_directory(folder_, ec)) {
    batch.mutable_health()->set_state(v1::SourceHealth::FAILING);
    batch.mutable_health()->set_reason(absl::StrCat(folder_, ": not a readable folder"));
    return batch;
  }
  model::HostEvidence host = bundle::LoadHostFolder(folder_, host_);
  // Event exports repeat (1035 on every retry): send one aggregate per event key instead.
  std::vector<v1::Evidence> evidence;
  for (v1::Evidence& e : host.evidence) {
    if (e.kind_case() != v1::Evidence::kEvents) {
      evidence.push_back(std::move(e));
      continue;
    }
    for (v1::EventAggregate& a : events::AggregateEvents(e.events())) {
      v1::Evidence item = e;
      *item.mutable_event_aggregate() = std::move(a);
      evidence.push_back(std::move(item));
    }
  }
  for (v1::Evidence& e : evidence) {
    e.set_host(host_);
    e.set_source(id());
    // Files carry no time of their own beyond host.json's collected_at: stamp the read.
    if (!e.has_observed_host_time()) *e.mutable_observed_host_time() = ToProto(now);
    *batch.add_items() = std::move(e);
  }
  std::vector<std::string> problems;
  for (const model::Problem& p : host.problems) problems.push_back(p.message);
  if (!problems.empty()) {
    batch.mutable_health()->set_state(batch.items_size() > 0 ? v1::SourceHealth::DEGRADED
                                                             : v1::SourceHealth::FAILING);
    batch.mutable_health()->set_reason(absl::StrJoin(problems, "; "));
  } else {
    batch.mutable_health()->set_state(v1::SourceHealth::OK);
  }
  return batch;
}

}  // namespace kerbside::agent
