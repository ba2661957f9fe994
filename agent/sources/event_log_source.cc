#include "agent/sources/event_log_source.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/atomic_file.h"
#include "common/events/event_aggregate.h"
#include "common/events/event_view.h"
#include "common/events/event_xml.h"
#include "common/proto_time.h"
#include "spdlog/spdlog.h"

namespace kerbside::agent {
namespace {

// A bookmark names one record per channel: a few hundred bytes. Far more is not ours.
constexpr size_t kMaxBookmarkBytes = 64 * 1024;
// Parse failures named in the health reason; the rest are counted.
constexpr size_t kMaxNamedProblems = 3;

// An event as (which rendered text of the read, which event in it): a rendered text holds one
// event, but nothing below relies on that.
uint64_t TagOf(size_t text, size_t event) {
  return (static_cast<uint64_t>(text) << 32) | static_cast<uint32_t>(event);
}
std::pair<size_t, size_t> Untag(uint64_t tag) {
  return {static_cast<size_t>(tag >> 32), static_cast<size_t>(tag & 0xFFFFFFFFu)};
}

}  // namespace

absl::Status EventLogSource::Subscribe(std::vector<std::string>* notes) {
  std::string bookmark = resume_after_;
  if (bookmark.empty()) {
    auto saved = ReadSmallFile(options_.bookmark_path, kMaxBookmarkBytes, "event log bookmark");
    if (saved.ok()) {
      bookmark = *std::move(saved);
    } else if (!absl::IsNotFound(saved.status())) {
      notes->push_back(
          absl::StrCat(saved.status().message(), "; read from ", "the lookback instead"));
    }
  }
  auto s = subscribe_(options_.query_xml, bookmark);
  if (!s.ok() && !bookmark.empty() && absl::IsInvalidArgument(s.status())) {
    notes->push_back(absl::StrCat(options_.bookmark_path, ": ", s.status().message(),
                                  "; read from the lookback instead"));
    s = subscribe_(options_.query_xml, "");
  }
  if (!s.ok()) return s.status();
  subscription_ = *std::move(s);
  if (std::string gap = subscription_->gap(); !gap.empty()) notes->push_back(gap);
  return absl::OkStatus();
}

v1::EvidenceBatch EventLogSource::Collect(absl::Time now) {
  v1::EvidenceBatch batch;
  batch.set_source(id());
  std::lock_guard lock(mu_);
  std::vector<std::string> notes;
  auto fail = [&](const absl::Status& s) {
    subscription_.reset();  // subscribed again next time, after the last bookmark made
    batch.mutable_health()->set_state(v1::SourceHealth::FAILING);
    notes.insert(notes.begin(), absl::StrCat("event log: ", s.ToString()));
    batch.mutable_health()->set_reason(absl::StrJoin(notes, "; "));
    batch.set_resume_token(resume_after_);
    return batch;
  };
  if (subscription_ == nullptr) {
    if (absl::Status s = Subscribe(&notes); !s.ok()) return fail(s);
  }
  auto read = subscription_->Read(options_.max_events);
  if (!read.ok()) return fail(read.status());

  // Each event parsed alone: one that does not parse is named and the others kept. Events are
  // aggregated from views of their XML; only the examples become records, parsed again from
  // their text at the end (the tag says which text and which event in it).
  events::EventViews views;
  events::EventAggregator aggregator;
  std::vector<std::string> problems;
  size_t failed = 0;
  for (size_t i = 0; i < read->events_xml.size(); ++i) {
    absl::Status parsed = views.Parse(read->events_xml[i], "event log");
    if (!parsed.ok()) {
      if (++failed <= kMaxNamedProblems) {
        problems.push_back(absl::StrCat("event ", i + 1, " of this read: ", parsed.message()));
      }
      continue;
    }
    for (size_t j = 0; j < views.events().size(); ++j) {
      aggregator.Add(views.events()[j], TagOf(i, j));
    }
  }
  if (failed > kMaxNamedProblems) {
    problems.push_back(
        absl::StrCat("and ", failed - kMaxNamedProblems, " more events did not parse"));
  }
  auto record_of = [&](uint64_t tag) {
    v1::EventRecord record;
    const auto [i, j] = Untag(tag);
    // The text parsed before, so it parses again the same way.
    if (views.Parse(read->events_xml[i], "event log").ok() && j < views.events().size()) {
      events::ToRecord(views.events()[j], &record);
    }
    return record;
  };
  for (v1::EventAggregate& a : aggregator.Finish(record_of)) {
    v1::Evidence* item = batch.add_items();
    item->set_host(options_.host);
    item->set_source(id());
    item->set_origin(absl::StrCat("event log (", a.channel(), ")"));
    *item->mutable_observed_host_time() = ToProto(now);
    *item->mutable_event_aggregate() = std::move(a);
  }
  if (!read->bookmark_xml.empty()) resume_after_ = read->bookmark_xml;
  batch.set_resume_token(resume_after_);
  notes.insert(notes.end(), problems.begin(), problems.end());
  if (read->more) {
    notes.push_back(absl::StrCat("more than ", options_.max_events,
                                 " new events: the rest follow in the next batches"));
  }
  batch.mutable_health()->set_state(notes.empty() ? v1::SourceHealth::OK
                                                  : v1::SourceHealth::DEGRADED);
  if (!notes.empty()) batch.mutable_health()->set_reason(absl::StrJoin(notes, "; "));
  return batch;
}

void EventLogSource::Acknowledged(uint64_t sequence, const std::string& resume_token) {
  if (resume_token.empty()) return;
  std::lock_guard lock(save_mu_);
  // A batch sent again after a reconnection can be acknowledged after a newer one.
  if (sequence <= saved_sequence_) return;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options_.bookmark_path).parent_path(),
                                      ec);
  if (absl::Status s =
          WriteFileAtomically(options_.bookmark_path, resume_token, "event log bookmark");
      !s.ok()) {
    // The next acknowledgement tries again; until then a restart repeats a few events, which
    // the collector's window recognises by their record ids.
    spdlog::error("{}", s.ToString());
    return;
  }
  saved_sequence_ = sequence;
}

void EventLogSource::ResumeAfterSpooled(const std::string& resume_token) {
  std::lock_guard lock(mu_);
  resume_after_ = resume_token;
  subscription_.reset();
}

}  // namespace kerbside::agent
