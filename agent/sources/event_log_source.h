#ifndef KERBSIDE_AGENT_SOURCES_EVENT_LOG_SOURCE_H_
#define KERBSIDE_AGENT_SOURCES_EVENT_LOG_SOURCE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "agent/platform/event_log.h"
#include "agent/sources/source.h"

namespace kerbside::agent {

// The event log, incrementally (DESIGN.md §4): a subscription to the QueryList of
// event_query.h; each Collect reads what arrived since the last one (at most max_events),
// parses every event with the bundle's event parser (common/events/event_xml.h) and sends one
// aggregate per event key, like the host folder source does. The batch carries the bookmark after
// its last event as its resume token; the bookmark is saved to `bookmark_path` only when the
// collector acknowledged that batch, so a crash or restart repeats nothing delivered and loses
// nothing: after a restart the source resumes after its newest batch still in the spool, else
// after the saved bookmark, else `lookback` back.
//
// Health: FAILING when the log cannot be subscribed or read (the reason names the call and the
// Win32 error); DEGRADED when some events did not parse (each named by its record id), when a
// saved bookmark was unreadable or overwritten (events lost, said once), or when more events are
// waiting than one batch holds.
class EventLogSource : public Source {
 public:
  struct Options {
    std::string host;  // the evidence's host (this host)
    std::string query_xml;
    std::string bookmark_path;
    absl::Duration interval = absl::Seconds(10);
    size_t max_events = 2000;
  };
  EventLogSource(Options options, platform::EventLogSubscriber subscribe)
      : options_(std::move(options)), subscribe_(std::move(subscribe)) {}

  std::string id() const override { return "event_log"; }
  absl::Duration interval() const override { return options_.interval; }
  bool incremental() const override { return true; }
  v1::EvidenceBatch Collect(absl::Time now) override;
  void Acknowledged(uint64_t sequence, const std::string& resume_token) override;
  void ResumeAfterSpooled(const std::string& resume_token) override;

 private:
  // Opens the subscription after the best bookmark known; problems go to `notes`.
  absl::Status Subscribe(std::vector<std::string>* notes);

  const Options options_;
  const platform::EventLogSubscriber subscribe_;
  std::mutex mu_;
  std::unique_ptr<platform::EventLogSubscription> subscription_;  // guarded by mu_
  std::string resume_after_;     // guarded by mu_: the bookmark of the newest batch made
  std::mutex save_mu_;           // orders bookmark writes (acknowledgements come on another thread)
  uint64_t saved_sequence_ = 0;  // guarded by save_mu_
};

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_EVENT_LOG_SOURCE_H_
