#include "common/exchange/get_queue.h"

#include <array>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/exchange/last_error.h"
#include "common/exchange/ps_output.h"
#include "common/text/lines.h"

namespace kerbside::exchange {
namespace {

using internal::Member;
using internal::ScalarText;
using nlohmann::json;

// Microsoft.Exchange.Data.QueueViewer.QueueStatus, in declaration order (values 0..5) as in the
// decompiled Microsoft.Exchange.Data.dll (github.com/PiratesRE/exchange_diff,
// Microsoft.Exchange.Data/QueueViewer/QueueStatus.cs). 6 = Throttled exists in later builds
// only per Centreon's plugin table (centreon/centreon-plugins,
// apps/exchange/2010/local/mode/resources/types.pm); not seen in a decompiled source.
constexpr std::array<const char*, 7> kQueueStatus = {"None",      "Active",     "Ready",    "Retry",
                                                     "Suspended", "Connecting", "Throttled"};

// Microsoft.Exchange.Data.DeliveryType (a short), values 0..17 from the same decompiled source
// (Microsoft.Exchange.Data/DeliveryType.cs); 18..25 appear only in Centreon's table (later
// Exchange builds) and are UNVERIFIED against Microsoft code. Other numbers are kept as digits.
constexpr std::array<const char*, 26> kDeliveryType = {
    "Undefined",
    "DnsConnectorDelivery",
    "MapiDelivery",
    "NonSmtpGatewayDelivery",
    "SmartHostConnectorDelivery",
    "SmtpRelayToRemoteAdSite",
    "SmtpRelayToTiRg",
    "SmtpRelayWithinAdSite",
    "SmtpRelayWithinAdSiteToEdge",
    "Unreachable",
    "ShadowRedundancy",
    "Heartbeat",
    "DeliveryAgent",
    "SmtpDeliveryToMailbox",
    "SmtpRelayToDag",
    "SmtpRelayToMailboxDeliveryGroup",
    "SmtpRelayToConnectorSourceServers",
    "SmtpRelayToServers",
    "SmtpRelayToRemoteForest",
    "SmtpDeliveryToExo",
    "HttpDeliveryToMailbox",
    "HttpDeliveryToExo",
    "Delay",
    "SmtpSubmissionToEop",
    "SmtpSubmissionToExo",
    "HttpDeliveryToApp",
};

// A number in an enum table becomes its name; names and unknown numbers stay as written.
template <size_t N>
std::string EnumName(const std::string& value, const std::array<const char*, N>& names) {
  int n = -1;
  if (absl::SimpleAtoi(value, &n) && n >= 0 && static_cast<size_t>(n) < N) return names[n];
  return value;
}

// Get-Queue's Identity is a QueueIdentity. Its JSON form as an object is UNVERIFIED (no public
// sample): a string-valued member that looks like the printed identity is used, else
// "Server\RowId" (how QueueIdentity prints a delivery queue).
std::optional<std::string> QueueIdentityText(const json& value) {
  if (auto s = ScalarText(value); s && !s->empty()) return s;
  if (!value.is_object()) return std::nullopt;
  for (const char* key : {"Identity", "DisplayName", "Name", "Value"}) {
    if (const json* m = Member(value, key)) {
      if (auto s = ScalarText(*m); s && !s->empty()) return s;
    }
  }
  const json* server = Member(value, "Server");
  const json* row = Member(value, "RowId");
  if (server && row) {
    auto s = ScalarText(*server);
    auto r = ScalarText(*row);
    if (s && r) return absl::StrCat(*s, "\\", *r);
  }
  return std::nullopt;
}

absl::StatusOr<v1::Queue> QueueFromJson(const json& item, absl::string_view file, size_t index) {
  const std::string where = absl::StrCat("queue #", index + 1);
  if (!item.is_object()) {
    return text::ParseError(file, 0, absl::StrCat(where, " is not a JSON object"));
  }
  v1::Queue q;
  std::optional<std::string> identity;
  if (const json* id = Member(item, "Identity")) identity = QueueIdentityText(*id);
  if (!identity) {
    if (const json* id = Member(item, "QueueIdentity")) identity = QueueIdentityText(*id);
  }
  if (!identity) return text::ParseError(file, 0, absl::StrCat(where, " has no Identity"));
  q.set_identity(*identity);
  const auto text_of = [&](const char* key) -> std::string {
    const json* m = Member(item, key);
    if (m == nullptr) return "";
    return ScalarText(*m).value_or("");
  };
  q.set_delivery_type(EnumName(text_of("DeliveryType"), kDeliveryType));
  q.set_status(EnumName(text_of("Status"), kQueueStatus));
  if (const std::string count = text_of("MessageCount"); !count.empty()) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(count, &n)) {
      return text::ParseError(file, 0,
                              absl::StrCat(where, " (", q.identity(), "): MessageCount \"", count,
                                           "\" is not a number"));
    }
    q.set_message_count(n);
  }
  q.set_next_hop_domain(text_of("NextHopDomain"));
  if (const std::string error = text_of("LastError"); !error.empty()) {
    *q.mutable_last_error() = ParseLastError(error);
  }
  q.set_last_retry_time(internal::NormalizePsDate(text_of("LastRetryTime")));
  return q;
}

}  // namespace

absl::StatusOr<v1::QueueSnapshot> ParseGetQueueJson(absl::string_view text,
                                                    absl::string_view file) {
  if (absl::Status s = internal::CheckInputSize(text, file); !s.ok()) return s;
  if (absl::StripAsciiWhitespace(text).empty()) return text::ParseError(file, 0, "empty file");
  auto doc = internal::ParsePsJson(text, file);
  if (!doc.ok()) return doc.status();
  v1::QueueSnapshot snapshot;
  if (doc->is_object()) {
    auto q = QueueFromJson(*doc, file, 0);
    if (!q.ok()) return q.status();
    *snapshot.add_queues() = *std::move(q);
  } else if (doc->is_array()) {
    for (size_t i = 0; i < doc->size(); ++i) {
      auto q = QueueFromJson((*doc)[i], file, i);
      if (!q.ok()) return q.status();
      *snapshot.add_queues() = *std::move(q);
    }
  } else {
    return text::ParseError(file, 0, "JSON is neither an object nor an array of queues");
  }
  return snapshot;
}

absl::StatusOr<v1::QueueSnapshot> ParseGetQueueList(absl::string_view text,
                                                    absl::string_view file) {
  if (absl::Status s = internal::CheckInputSize(text, file); !s.ok()) return s;
  if (absl::StripAsciiWhitespace(text).empty()) return text::ParseError(file, 0, "empty file");
  v1::QueueSnapshot snapshot;
  for (const internal::FlRecord& record : internal::ParseFormatList(text)) {
    const internal::FlField* id = record.Find("Identity");
    if (id == nullptr || id->value.empty()) id = record.Find("QueueIdentity");
    if (id == nullptr || id->value.empty()) continue;  // not a queue (e.g. a tracking log entry)
    v1::Queue q;
    q.set_identity(id->value);
    const auto value_of = [&](absl::string_view label) -> std::string {
      const internal::FlField* f = record.Find(label);
      return f == nullptr ? "" : f->value;
    };
    q.set_delivery_type(EnumName(value_of("DeliveryType"), kDeliveryType));
    q.set_status(EnumName(value_of("Status"), kQueueStatus));
    if (const internal::FlField* f = record.Find("MessageCount"); f && !f->value.empty()) {
      int64_t n = 0;
      if (!absl::SimpleAtoi(f->value, &n)) {
        return text::ParseError(file, f->line,
                                absl::StrCat("MessageCount \"", f->value, "\" is not a number"));
      }
      q.set_message_count(n);
    }
    q.set_next_hop_domain(value_of("NextHopDomain"));
    if (const std::string error = value_of("LastError"); !error.empty()) {
      *q.mutable_last_error() = ParseLastError(error);
    }
    q.set_last_retry_time(value_of("LastRetryTime"));
    *snapshot.add_queues() = std::move(q);
  }
  if (snapshot.queues_size() == 0) {
    return text::ParseError(file, 0, "no queue found (no \"Identity : SERVER\\ID\" field)");
  }
  return snapshot;
}

}  // namespace kerbside::exchange
