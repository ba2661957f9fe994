#ifndef KERBSIDE_COMMON_EVENTS_EVENT_XML_H_
#define KERBSIDE_COMMON_EVENTS_EVENT_XML_H_

// Windows event records rendered as XML, parsed with pugixml.
//
// Accepted input (decoded UTF-8 text):
//  - wevtutil qe LOG /q:"..." /f:xml: <Event> elements one after another with no root element,
//    single-quoted attributes, xmlns on each <Event>, optional <RenderingInfo>;
//  - Get-WinEvent ... | % ToXml(): the same with double quotes, often one event per line;
//  - Event Viewer "Save as XML" (<Events><Event>...</Event></Events>);
// possibly with XML declarations, a BOM, prompts or the old IE view's "- " tree markers between
// the elements (text outside elements is ignored). The text is wrapped in a synthetic root
// before parsing, so no hand-written XML handling is involved.
//
// One malformed event fails the whole file: XML that does not parse is not trustworthy
// around the damage, and silently dropping an event could hide the one that explains the
// failure. The error names the (approximate) line: "FILE:LINE: malformed event XML: ...".
// The loader reports it per file. Empty or whitespace-only input yields an empty batch, since
// that is what wevtutil writes when no event matched the query; other text with no <Event>
// element is an error.
//
// Every event keeps its System fields (Provider Name / EventSourceName, EventID masked with
// 0xFFFF and its Qualifiers, Level, TimeCreated/@SystemTime, EventRecordID, Channel,
// Computer), its EventData <Data> in document order (named or positional), its UserData
// leaves flattened ("Parent/Child" names), its <Binary> as upper-case hex, and the 1-based
// line of its start tag. `facts` holds fields extracted by name for the events kerbside
// reasons about (codes normalised to lower-case hex "0x25", "0xc000005e"):
//  - MSExchangeTransport / MSExchangeFrontEndTransport 1035 (SmtpReceive): error, connector,
//    mechanism, source_ip (positional Data 1-4, or parsed from the message text when there is
//    a single Data string or only RenderingInfo); 2017 (SmtpSend): error, connector,
//    mechanism, target_spn.
//  - Microsoft-Windows-Security-Auditing 4768/4769/4771: status, service_name, target_user,
//    target_domain, client_address (without "::ffff:"), client_port, ticket_encryption_type.
//  - Microsoft-Windows-Security-Kerberos / Kerberos 3, 4, 5, 7, 14: error_code, error_name
//    ("KDC_ERR_S_PRINCIPAL_UNKNOWN" when printed beside the code), error_message,
//    extended_error, server_name, target_name, client_name, client_realm, server_realm,
//    client_time, server_time (verbatim). Event 4 (KRB_AP_ERR_MODIFIED) without ErrorCode gets
//    error_code 0x29 and server_name/target_name from its two inserts.
//  - KDC / Microsoft-Windows-Kerberos-Key-Distribution-Center 11: duplicate_spn, name_type.
//  - W32Time / Microsoft-Windows-Time-Service 36, 47, 50, 129, 134, 142: every named Data as
//    snake_case (ErrorMessage -> error_message, ...) and error_code from a "(0x800706E1)" in
//    any value.
//  - Microsoft-Windows-ActiveDirectory_DomainService / NTDS* 1311, 1388, 1864, 1925, 1988,
//    2042, 2087, 2088: naming_context (the first insert that is a DN with DC=), source_dsa
//    (by insert position per id; positions from the message templates, UNVERIFIED against
//    real XML), source_address (an insert with "._msdcs."), error_status (1925/2087/2088: the
//    first insert that is a signed decimal number).
//  - NETLOGON 5719 (domain), 3210 (domain, dc), 5721/5722 (computer, account): ntstatus from
//    the first four <Binary> bytes read little-endian (5E0000C0 -> 0xc000005e).
// Other events are kept with their raw fields and no facts.

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/events/event_view.h"
#include "kerbside/v1/evidence.pb.h"

namespace pugi {
class xml_document;
struct xml_node_struct;
}  // namespace pugi

namespace kerbside::events {

// The events of one text, read into views of this object's own copy of it: no string is copied
// per field or fact. A reader that aggregates and drops (the agent's event log source) builds
// records only for the examples it keeps. Reusable: each Parse replaces what the last one read
// and keeps the storage.
class EventViews {
 public:
  EventViews();
  ~EventViews();
  EventViews(const EventViews&) = delete;
  EventViews& operator=(const EventViews&) = delete;

  // On error (the same errors as ParseEventsXml) holds no event.
  absl::Status Parse(absl::string_view text, absl::string_view file);
  absl::Span<const EventView> events() const { return events_; }

  // The events of `text` one at a time, each view valid only during its call, and none kept
  // (events() is empty after): for a reader that copies what it needs as it goes, so that a
  // large export never has a view per event in memory. On error `each` may have seen the events
  // before the one that failed: the caller drops what it made of them.
  absl::Status ForEach(absl::string_view text, absl::string_view file,
                       absl::FunctionRef<void(const EventView&)> each);

 private:
  absl::Status Read(absl::string_view text, absl::string_view file,
                    const absl::FunctionRef<void(const EventView&)>* each);

  std::string buffer_;  // the text inside a synthetic root, parsed in place
  std::unique_ptr<pugi::xml_document> doc_;
  std::deque<std::string> owned_;  // values made rather than found (codes as hex, joined names)
  std::vector<pugi::xml_node_struct*> event_nodes_;  // kept for their capacity
  std::vector<EventView> events_;
};

absl::StatusOr<v1::EventBatch> ParseEventsXml(absl::string_view text, absl::string_view file);
// The same, appending to `out`. On error `out` is left as it was.
absl::Status ParseEventsXml(absl::string_view text, absl::string_view file, v1::EventBatch* out);

// The other way: records as `wevtutil qe ... /f:xml` writes them (one <Event> per line, no root
// element), for bundles kerbside writes. Built with pugixml; ParseEventsXml reads it back.
std::string RenderEventsXml(const v1::EventBatch& batch);

}  // namespace kerbside::events

#endif  // KERBSIDE_COMMON_EVENTS_EVENT_XML_H_
