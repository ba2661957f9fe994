// The event log through wevtapi: EvtSubscribe in pull mode (a signal event, no callback), EvtNext
// with no wait, each event rendered as XML and folded into a bookmark. Wine implements none of
// this: its EvtCreateBookmark is an unimplemented stub that aborts the calling process, so under
// Wine the subscription says so instead of calling in (tests/agent/platform/event_log_win_test.cc
// skips with that reason); the source's logic is tested natively against a fake subscription.
#include <windows.h>
#include <winevt.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/platform/event_log.h"
#include "agent/platform/win_util.h"

namespace kerbside::agent::platform {
namespace {

class EvtHandle {
 public:
  EvtHandle() = default;
  explicit EvtHandle(EVT_HANDLE h) : h_(h) {}
  EvtHandle(EvtHandle&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  EvtHandle& operator=(EvtHandle&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = o.h_;
      o.h_ = nullptr;
    }
    return *this;
  }
  EvtHandle(const EvtHandle&) = delete;
  EvtHandle& operator=(const EvtHandle&) = delete;
  ~EvtHandle() { reset(); }
  EVT_HANDLE get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }
  void reset() {
    if (h_ != nullptr) EvtClose(h_);
    h_ = nullptr;
  }

 private:
  EVT_HANDLE h_ = nullptr;
};

// EvtRender of an event (EvtRenderEventXml) or a bookmark (EvtRenderBookmark) as UTF-8.
absl::StatusOr<std::string> RenderXml(EVT_HANDLE h, DWORD flags, const char* what) {
  DWORD used_bytes = 0, properties = 0;
  std::vector<wchar_t> buffer(2048);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (EvtRender(nullptr, h, flags, static_cast<DWORD>(buffer.size() * sizeof(wchar_t)),
                  buffer.data(), &used_bytes, &properties)) {
      size_t chars = used_bytes / sizeof(wchar_t);
      while (chars > 0 && buffer[chars - 1] == L'\0') --chars;  // the count includes the NUL
      return win::Narrow(std::wstring_view(buffer.data(), chars));
    }
    const DWORD error = GetLastError();
    if (error != ERROR_INSUFFICIENT_BUFFER) return win::Win32Error(what, error);
    buffer.resize(used_bytes / sizeof(wchar_t) + 1);
  }
  return absl::InternalError(absl::StrCat(what, ": the rendered size kept growing"));
}

class WinSubscription : public EventLogSubscription {
 public:
  WinSubscription(EvtHandle subscription, EvtHandle bookmark, win::Handle signal, std::string gap)
      : subscription_(std::move(subscription)),
        bookmark_(std::move(bookmark)),
        signal_(std::move(signal)),
        gap_(std::move(gap)) {}

  absl::StatusOr<EventLogRead> Read(size_t max_events) override {
    EventLogRead out;
    while (out.events_xml.size() < max_events) {
      EVT_HANDLE events[64];
      const DWORD want =
          static_cast<DWORD>(std::min<size_t>(64, max_events - out.events_xml.size()));
      DWORD returned = 0;
      if (!EvtNext(subscription_.get(), want, events, 0, 0, &returned)) {
        const DWORD error = GetLastError();
        if (error == ERROR_NO_MORE_ITEMS || error == ERROR_TIMEOUT) break;
        return win::Win32Error("EvtNext", error);
      }
      absl::Status failed = absl::OkStatus();
      for (DWORD i = 0; i < returned; ++i) {
        EvtHandle event(events[i]);
        if (!failed.ok()) continue;  // still close the rest
        auto xml = RenderXml(event.get(), EvtRenderEventXml, "EvtRender (event)");
        if (!xml.ok()) {
          failed = xml.status();
          continue;
        }
        if (!EvtUpdateBookmark(bookmark_.get(), event.get())) {
          failed = win::LastError("EvtUpdateBookmark");
          continue;
        }
        out.events_xml.push_back(*std::move(xml));
      }
      if (!failed.ok()) return failed;
    }
    out.more = out.events_xml.size() >= max_events;
    if (!out.events_xml.empty()) {
      auto bookmark = RenderXml(bookmark_.get(), EvtRenderBookmark, "EvtRender (bookmark)");
      if (!bookmark.ok()) return bookmark.status();
      out.bookmark_xml = *std::move(bookmark);
    }
    return out;
  }

  std::string gap() const override { return gap_; }

 private:
  EvtHandle subscription_;
  EvtHandle bookmark_;
  win::Handle signal_;  // set by the service when events arrive; pull mode reads on a timer
  std::string gap_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventLogSubscription>> SubscribeEventLog(
    const std::string& query_xml, const std::string& bookmark_xml) {
  if (win::RunningUnderWine()) {
    return absl::UnimplementedError(
        "EvtSubscribe: this is Wine, whose wevtapi is unimplemented stubs (calling "
        "EvtCreateBookmark would abort the agent); the event log is read on Windows only");
  }
  EvtHandle bookmark(
      EvtCreateBookmark(bookmark_xml.empty() ? nullptr : win::Widen(bookmark_xml).c_str()));
  if (!bookmark) {
    const absl::Status s = win::LastError("EvtCreateBookmark");
    if (bookmark_xml.empty()) return s;
    return absl::InvalidArgumentError(absl::StrCat("the saved bookmark: ", s.message()));
  }
  win::Handle signal(CreateEventW(nullptr, TRUE, TRUE, nullptr));
  if (!signal.valid()) return win::LastError("CreateEvent");
  const std::wstring query = win::Widen(query_xml);
  std::string gap;
  auto subscribe = [&](DWORD flags) {
    return EvtHandle(EvtSubscribe(nullptr, signal.get(), nullptr, query.c_str(),
                                  bookmark_xml.empty() ? nullptr : bookmark.get(), nullptr, nullptr,
                                  flags));
  };
  EvtHandle subscription;
  if (bookmark_xml.empty()) {
    subscription = subscribe(EvtSubscribeStartAtOldestRecord);
  } else {
    // Strict first: it fails when the bookmarked record was overwritten, which is worth saying.
    subscription = subscribe(EvtSubscribeStartAfterBookmark | EvtSubscribeStrict);
    if (!subscription && GetLastError() == ERROR_NOT_FOUND) {
      gap =
          "the event log was overwritten past the saved bookmark: events between it and the "
          "oldest record still in the log were not read";
      subscription = subscribe(EvtSubscribeStartAfterBookmark);
    }
  }
  if (!subscription) return win::LastError("EvtSubscribe");
  return std::make_unique<WinSubscription>(std::move(subscription), std::move(bookmark),
                                           std::move(signal), std::move(gap));
}

bool HasEventLog() { return true; }

}  // namespace kerbside::agent::platform
