#ifndef KERBSIDE_AGENT_SOURCES_UNAVAILABLE_SOURCE_H_
#define KERBSIDE_AGENT_SOURCES_UNAVAILABLE_SOURCE_H_

#include <string>

#include "agent/sources/source.h"

namespace kerbside::agent {

// A source the configuration asks for but this build of the agent cannot run. It still reports,
// FAILING with the reason, so the collector shows "could not look" for that evidence instead of
// taking its absence for health.
class UnavailableSource : public Source {
 public:
  UnavailableSource(std::string id, absl::Duration interval, std::string reason)
      : id_(std::move(id)), interval_(interval), reason_(std::move(reason)) {}
  std::string id() const override { return id_; }
  absl::Duration interval() const override { return interval_; }
  v1::EvidenceBatch Collect(absl::Time) override {
    v1::EvidenceBatch b;
    b.set_source(id_);
    b.mutable_health()->set_state(v1::SourceHealth::FAILING);
    b.mutable_health()->set_reason(reason_);
    return b;
  }

 private:
  std::string id_;
  absl::Duration interval_;
  std::string reason_;
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_UNAVAILABLE_SOURCE_H_
