#include "common/events/event_xml.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/events/event_ids.h"
#include "common/kerberos/krb_codes.h"
#include "common/text/lines.h"
#include "pugixml.hpp"

namespace kerbside::events {
namespace {

using text::ParseError;

constexpr absl::string_view kRootOpen = "<kerbside-events>";
constexpr absl::string_view kRootClose = "</kerbside-events>";

// Element name without a namespace prefix ("e:Event" -> "Event").
absl::string_view LocalName(const pugi::xml_node& node) {
  absl::string_view name = node.name();
  const size_t colon = name.find(':');
  return colon == absl::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& parent, absl::string_view name) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == name) return c;
  }
  return pugi::xml_node();
}

// The first child element of each of `names`, in one walk over the children: a Child() call
// per name walked them from the start again, a fifth of the parse time (issue 17's bench).
template <size_t N>
std::array<pugi::xml_node, N> Children(const pugi::xml_node& parent,
                                       const std::array<absl::string_view, N>& names) {
  std::array<pugi::xml_node, N> out{};
  size_t missing = N;
  for (pugi::xml_node c = parent.first_child(); c && missing > 0; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const absl::string_view local = LocalName(c);
    for (size_t i = 0; i < N; ++i) {
      if (!out[i] && local == names[i]) {
        out[i] = c;
        --missing;
        break;
      }
    }
  }
  return out;
}

absl::string_view Trimmed(const char* s) { return absl::StripAsciiWhitespace(s); }

// Maps byte offsets of the original text to 1-based line numbers. Events are asked for in
// document order, so it counts on from the last offset asked (an earlier offset, an error's,
// counts again from the start).
class LineCursor {
 public:
  explicit LineCursor(absl::string_view text) : text_(text) {}
  int LineOf(size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < pos_) {
      pos_ = 0;
      line_ = 1;
    }
    const char* p = text_.data() + pos_;
    const char* const end = text_.data() + offset;
    while ((p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr) {
      ++line_;
      ++p;
    }
    pos_ = offset;
    return line_;
  }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

// "0x25", "37", "0x7  KDC_ERR_S_PRINCIPAL_UNKNOWN", "0x00000025" -> 0x25.
std::optional<uint64_t> ParseCode(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  v = v.substr(0, v.find_first_of(" \t"));
  uint64_t out = 0;
  if (absl::ConsumePrefix(&v, "0x") || absl::ConsumePrefix(&v, "0X")) {
    if (v.empty() || v.size() > 16 || !absl::SimpleHexAtoi(v, &out)) return std::nullopt;
    return out;
  }
  int64_t signed_value = 0;
  if (!absl::SimpleAtoi(v, &signed_value)) return std::nullopt;
  // A negative decimal is an HRESULT/NTSTATUS printed signed: keep its 32-bit pattern.
  return signed_value < 0 ? static_cast<uint32_t>(static_cast<int32_t>(signed_value))
                          : static_cast<uint64_t>(signed_value);
}

std::string HexCode(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

// "ErrorMessage" -> "error_message", "TimeDifferenceMilliseconds" -> "time_difference_...".
std::string SnakeCase(absl::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = name[i];
    if (absl::ascii_isupper(c)) {
      const bool prev_lower =
          i > 0 && (absl::ascii_islower(name[i - 1]) || absl::ascii_isdigit(name[i - 1]));
      const bool next_lower = i + 1 < name.size() && absl::ascii_islower(name[i + 1]);
      if (!out.empty() && out.back() != '_' && (prev_lower || (next_lower && i > 0))) {
        out += '_';
      }
      out += absl::ascii_tolower(c);
    } else if (absl::ascii_isalnum(c)) {
      out += static_cast<char>(c);
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  return out;
}

// Text between `after` and the first of `until` (or the end), trimmed.
std::optional<absl::string_view> Between(absl::string_view text, absl::string_view after,
                                         absl::string_view until) {
  const size_t at = text.find(after);
  if (at == absl::string_view::npos) return std::nullopt;
  absl::string_view rest = text.substr(at + after.size());
  return absl::StripAsciiWhitespace(rest.substr(0, rest.find(until)));
}

bool IsSignedDecimal(absl::string_view v) {
  int64_t ignored = 0;
  return !v.empty() && absl::SimpleAtoi(v, &ignored);
}

// Reads one <Event> into an EventView: fields as views of the parsed buffer, facts as views of
// the fields where they are found verbatim, and strings made here (codes as hex, joined or
// snake-case names) kept in `owned`, whose elements never move.
class EventReader {
 public:
  EventReader(absl::string_view file, std::deque<std::string>* owned)
      : file_(file), owned_(*owned) {}

  absl::Status Read(const pugi::xml_node& event, int line, EventView* e);

 private:
  absl::string_view Own(std::string s) { return owned_.emplace_back(std::move(s)); }

  void Put(absl::string_view fact, absl::string_view value) {
    value = absl::StripAsciiWhitespace(value);
    if (!value.empty()) e_->SetFact(fact, value);
  }
  void PutCode(absl::string_view fact, absl::string_view value) {
    if (auto code = ParseCode(value)) {
      e_->SetFact(fact, Own(HexCode(*code)));
    } else if (!value.empty()) {
      e_->SetFact(fact, value);
    }
  }

  // The first field named `name` (case-insensitive); empty when absent.
  absl::string_view NamedValue(absl::string_view name) const {
    for (const FieldView& f : e_->fields) {
      if (absl::EqualsIgnoreCase(f.name, name)) return f.value;
    }
    return absl::string_view();
  }
  absl::InlinedVector<absl::string_view, 12> Positional() const {
    absl::InlinedVector<absl::string_view, 12> out;
    for (const FieldView& f : e_->fields) {
      if (f.name.empty()) out.push_back(f.value);
    }
    return out;
  }
  bool ProviderIs(std::initializer_list<absl::string_view> names) const {
    for (absl::string_view n : names) {
      if (absl::EqualsIgnoreCase(e_->provider, n) ||
          absl::EqualsIgnoreCase(e_->event_source_name, n)) {
        return true;
      }
    }
    return false;
  }

  void FlattenUserData(const pugi::xml_node& node, absl::string_view prefix);
  void ExchangeFromMessage(absl::string_view m, bool inbound);
  void ExtractExchange(absl::string_view message);
  void ExtractSecurity();
  void ExtractKerberosClient();
  void ExtractKdc();
  void ExtractTime();
  void ExtractNtds();
  void ExtractNetlogon();
  void ExtractFacts(absl::string_view message);

  absl::string_view file_;
  std::deque<std::string>& owned_;
  EventView* e_ = nullptr;
};

// 1035: "Inbound authentication failed with error IllegalMessage for Receive connector Default
// EX02. The authentication mechanism is ExchangeAuth. The source IP address of the client who
// tried to authenticate to Microsoft Exchange is [10.1.1.11]."  2017 is the Send twin.
void EventReader::ExchangeFromMessage(absl::string_view m, bool inbound) {
  if (auto error = Between(m, "failed with error ", " ")) Put("error", *error);
  if (auto connector = Between(m, inbound ? " for Receive connector " : " for Send connector ",
                               ". The authentication mechanism is")) {
    Put("connector", *connector);
  }
  if (auto mechanism = Between(m, "The authentication mechanism is ", ".")) {
    Put("mechanism", *mechanism);
  }
  if (inbound) {
    const size_t open = m.rfind('[');
    const size_t close = m.rfind(']');
    if (open != absl::string_view::npos && close != absl::string_view::npos && open < close) {
      Put("source_ip", m.substr(open + 1, close - open - 1));
    }
  } else if (auto target = Between(m, "The target is ", " ")) {
    absl::string_view t = *target;
    absl::ConsumeSuffix(&t, ".");
    Put("target_spn", t);
  }
}

void EventReader::ExtractExchange(absl::string_view message) {
  const bool inbound = e_->event_id == kInboundAuthFailed;
  const auto data = Positional();
  if (data.size() >= 4) {
    Put("error", data[0]);
    Put("connector", data[1]);
    Put("mechanism", data[2]);
    Put(inbound ? "source_ip" : "target_spn", data[3]);
    return;
  }
  absl::string_view text = data.size() == 1 ? data[0] : message;
  if (!e_->fields.empty() && data.size() != 1) text = e_->fields[0].value;
  if (text.empty()) text = message;
  ExchangeFromMessage(text, inbound);
}

void EventReader::ExtractSecurity() {
  PutCode("status", NamedValue("Status"));
  Put("service_name", NamedValue("ServiceName"));
  Put("target_user", NamedValue("TargetUserName"));
  Put("target_domain", NamedValue("TargetDomainName"));
  absl::string_view address = absl::StripAsciiWhitespace(NamedValue("IpAddress"));
  if (!absl::ConsumePrefix(&address, "::ffff:")) absl::ConsumePrefix(&address, "::FFFF:");
  Put("client_address", address);
  Put("client_port", NamedValue("IpPort"));
  Put("ticket_encryption_type", NamedValue("TicketEncryptionType"));
}

void EventReader::ExtractKerberosClient() {
  absl::string_view code = absl::StripAsciiWhitespace(NamedValue("ErrorCode"));
  if (!code.empty()) {
    PutCode("error_code", code);
    // "0x7  KDC_ERR_S_PRINCIPAL_UNKNOWN" (1 or 2 spaces) carries the symbol too.
    const size_t space = code.find_first_of(" \t");
    if (space != absl::string_view::npos) Put("error_name", code.substr(space));
  }
  for (const auto& [field, fact] :
       {std::pair{"ErrorMessage", "error_message"}, std::pair{"ExtendedError", "extended_error"},
        std::pair{"ServerName", "server_name"}, std::pair{"TargetName", "target_name"},
        std::pair{"ClientName", "client_name"}, std::pair{"ClientRealm", "client_realm"},
        std::pair{"ServerRealm", "server_realm"}, std::pair{"ClientTime", "client_time"},
        std::pair{"ServerTime", "server_time"}}) {
    Put(fact, NamedValue(field));
  }
  if (e_->event_id == kKerberosApModified) {
    // "The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server %1. The
    // target name used was %2."
    if (!e_->HasFact("error_code")) {
      e_->SetFact("error_code", Own(HexCode(kerberos::kKrbApErrModified)));
    }
    const auto data = Positional();
    if (!e_->HasFact("server_name")) {
      absl::string_view server = NamedValue("Server");
      Put("server_name", !server.empty() ? server : data.size() > 0 ? data[0] : "");
    }
    if (!e_->HasFact("target_name") && data.size() > 1) Put("target_name", data[1]);
  }
}

void EventReader::ExtractKdc() {
  // "There are multiple accounts with name %1 of type %2."
  if (e_->fields.empty()) return;
  Put("duplicate_spn", e_->fields[0].value);
  if (e_->fields.size() > 1) Put("name_type", e_->fields[1].value);
}

void EventReader::ExtractTime() {
  for (const FieldView& f : e_->fields) {
    if (!f.name.empty()) Put(Own(SnakeCase(f.name)), f.value);
    if (e_->HasFact("error_code")) continue;
    const size_t at = f.value.find("(0x");
    if (at != absl::string_view::npos) {
      absl::string_view rest = f.value.substr(at + 1);
      PutCode("error_code", rest.substr(0, rest.find(')')));
    }
  }
}

void EventReader::ExtractNtds() {
  auto data = Positional();
  if (data.empty()) {
    for (const FieldView& f : e_->fields) data.push_back(f.value);
  }
  for (absl::string_view v : data) {
    absl::string_view t = absl::StripAsciiWhitespace(v);
    if ((absl::StartsWithIgnoreCase(t, "DC=") || absl::StartsWithIgnoreCase(t, "CN=")) &&
        absl::StrContains(absl::AsciiStrToUpper(t), "DC=")) {
      Put("naming_context", t);
      break;
    }
  }
  for (absl::string_view v : data) {
    if (absl::StrContains(absl::AsciiStrToLower(v), "._msdcs.")) {
      Put("source_address", v);
      break;
    }
  }
  // Insert holding the source DSA, from the message templates (UNVERIFIED against real XML).
  int source_index = -1;
  switch (e_->event_id) {
    case 1925:
      source_index = 1;
      break;  // partition %1, source DC %2, address %3
    case 2087:
    case 2088:
    case 1988:
      source_index = 0;
      break;  // source DC %1
    case 2042:
      source_index = 2;
      break;  // last success %1, invocation id %2, source %3
    default:
      break;
  }
  if (source_index >= 0 && static_cast<size_t>(source_index) < data.size()) {
    Put("source_dsa", data[source_index]);
  }
  if (IsOneOf(e_->event_id, kReplicationEventsWithStatus)) {
    for (absl::string_view v : data) {
      if (IsSignedDecimal(absl::StripAsciiWhitespace(v))) {
        Put("error_status", v);
        break;
      }
    }
  }
}

void EventReader::ExtractNetlogon() {
  const auto data = Positional();
  switch (e_->event_id) {
    case 5719:
      if (!data.empty()) Put("domain", data[0]);
      break;
    case 3210:
      // "This computer could not authenticate with \\DC, a Windows domain controller for
      // domain D": find the \\DC insert rather than trust the insert order.
      for (absl::string_view v : data) {
        if (absl::StartsWith(v, "\\\\")) {
          Put("dc", v);
        } else if (!absl::StartsWith(v, "%%") && !e_->HasFact("domain")) {
          Put("domain", v);
        }
      }
      break;
    case 5721:
    case 5722:
      if (data.size() > 0) Put("computer", data[0]);
      if (data.size() > 1) Put("account", data[1]);
      break;
    default:
      break;
  }
  const absl::string_view hex = e_->binary_hex;
  if (hex.size() >= 8) {
    uint32_t status = 0;
    for (int byte = 3; byte >= 0; --byte) {
      uint32_t b = 0;
      if (!absl::SimpleHexAtoi(hex.substr(byte * 2, 2), &b)) return;
      status = (status << 8) | b;
    }
    e_->SetFact("ntstatus", Own(HexCode(status)));
  }
}

void EventReader::ExtractFacts(absl::string_view message) {
  const uint32_t id = e_->event_id;
  if (ProviderIs({"MSExchangeTransport", "MSExchangeFrontEndTransport"})) {
    if (IsOneOf(id, kExchangeTransportEvents)) ExtractExchange(message);
  } else if (ProviderIs({"Microsoft-Windows-Security-Auditing"})) {
    if (IsOneOf(id, kKdcAuditEvents)) ExtractSecurity();
  } else if (ProviderIs({"Microsoft-Windows-Security-Kerberos", "Kerberos"})) {
    if (IsOneOf(id, kKerberosClientEvents)) ExtractKerberosClient();
  } else if (ProviderIs({"KDC", "Microsoft-Windows-Kerberos-Key-Distribution-Center"})) {
    if (id == kKdcDuplicateAccount) ExtractKdc();
  } else if (ProviderIs({"W32Time", "Microsoft-Windows-Time-Service"})) {
    if (IsOneOf(id, kTimeServiceEvents)) ExtractTime();
  } else if (ProviderIs({"Microsoft-Windows-ActiveDirectory_DomainService"}) ||
             absl::StartsWithIgnoreCase(e_->provider, "NTDS") ||
             absl::StartsWithIgnoreCase(e_->event_source_name, "NTDS")) {
    if (IsOneOf(id, kDirectoryServiceEvents)) ExtractNtds();
  } else if (ProviderIs({"NETLOGON"})) {
    if (IsOneOf(id, kNetlogonEvents)) ExtractNetlogon();
  }
}

void EventReader::FlattenUserData(const pugi::xml_node& node, absl::string_view prefix) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const absl::string_view name =
        prefix.empty() ? LocalName(c) : Own(absl::StrCat(prefix, "/", LocalName(c)));
    if (c.find_child([](const pugi::xml_node& n) { return n.type() == pugi::node_element; })) {
      FlattenUserData(c, name);
    } else {
      e_->fields.push_back({name, c.text().get()});
    }
  }
}

absl::Status EventReader::Read(const pugi::xml_node& event, int line, EventView* e) {
  e_ = e;
  e->source_line = line;
  const auto [system, event_data, user_data, rendering] =
      Children<4>(event, {"System", "EventData", "UserData", "RenderingInfo"});
  if (!system) return ParseError(file_, line, "<Event> without <System>");
  const auto [provider, id_node, level, channel, computer, record, created] = Children<7>(
      system,
      {"Provider", "EventID", "Level", "Channel", "Computer", "EventRecordID", "TimeCreated"});

  e->provider = provider.attribute("Name").value();
  e->event_source_name = provider.attribute("EventSourceName").value();

  if (!id_node) return ParseError(file_, line, "<System> without <EventID>");
  auto raw_id = ParseCode(Trimmed(id_node.child_value()));
  if (!raw_id || *raw_id > 0xFFFFFFFFu) {
    return ParseError(file_, line,
                      absl::StrCat("unreadable EventID '", id_node.child_value(), "'"));
  }
  // dcdiag-style 32-bit ids carry severity bits above the low 16 (0xC000051F = 1311).
  e->event_id = static_cast<uint32_t>(*raw_id & 0xFFFF);
  if (pugi::xml_attribute q = id_node.attribute("Qualifiers")) {
    e->qualifiers = q.as_uint();
  } else {
    e->qualifiers = static_cast<uint32_t>(*raw_id >> 16);
  }
  if (level) e->level = level.text().as_int();
  e->channel = Trimmed(channel.child_value());
  e->computer = Trimmed(computer.child_value());
  if (record) e->record_id = record.text().as_ullong();
  if (created) {
    absl::string_view stamp = Trimmed(created.attribute("SystemTime").value());
    if (!stamp.empty()) {
      std::string err;
      // "2022-12-14T16:04:59.0817047Z": 7 fraction digits from wevtutil, 9 from Get-WinEvent.
      if (!absl::ParseTime(absl::RFC3339_full, stamp, &e->time_created, &err)) {
        return ParseError(file_, line, absl::StrCat("unreadable SystemTime '", stamp, "': ", err));
      }
      e->has_time_created = true;
    }
  }

  if (event_data) {
    for (pugi::xml_node c = event_data.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      absl::string_view name = LocalName(c);
      if (name == "Data") {
        e->fields.push_back({c.attribute("Name").value(), c.text().get()});
      } else if (name == "Binary") {
        std::string hex;
        for (char ch : absl::string_view(c.text().get())) {
          if (!absl::ascii_isspace(static_cast<unsigned char>(ch))) {
            hex += absl::ascii_toupper(static_cast<unsigned char>(ch));
          }
        }
        e->binary_hex = Own(std::move(hex));
      }
    }
  }
  if (user_data) FlattenUserData(user_data, "");

  absl::string_view message;
  if (rendering) message = Child(rendering, "Message").text().get();
  ExtractFacts(message);
  return absl::OkStatus();
}

}  // namespace

EventViews::EventViews() : doc_(std::make_unique<pugi::xml_document>()) {}
EventViews::~EventViews() = default;

absl::Status EventViews::Parse(absl::string_view text, absl::string_view file) {
  return Read(text, file, nullptr);
}

absl::Status EventViews::ForEach(absl::string_view text, absl::string_view file,
                                 absl::FunctionRef<void(const EventView&)> each) {
  return Read(text, file, &each);
}

absl::Status EventViews::Read(absl::string_view text, absl::string_view file,
                              const absl::FunctionRef<void(const EventView&)>* each) {
  events_.clear();
  owned_.clear();
  doc_->reset();
  if (absl::StripAsciiWhitespace(text).empty()) return absl::OkStatus();  // wevtutil: no event

  buffer_.clear();
  buffer_.reserve(kRootOpen.size() + text.size() + kRootClose.size());
  buffer_.append(kRootOpen.data(), kRootOpen.size());
  buffer_.append(text.data(), text.size());
  buffer_.append(kRootClose.data(), kRootClose.size());

  LineCursor lines(text);
  // Offsets in `buffer_` -> offsets in `text`.
  auto line_of = [&](ptrdiff_t buffer_offset) {
    const ptrdiff_t in_text = buffer_offset - static_cast<ptrdiff_t>(kRootOpen.size());
    return lines.LineOf(static_cast<size_t>(
        std::clamp<ptrdiff_t>(in_text, 0, static_cast<ptrdiff_t>(text.size()))));
  };

  // Default options minus DOCTYPE (never legitimate here); parse_eol folds CRLF in values.
  // parse_embed_pcdata keeps an element's text in the element instead of a child node: half the
  // nodes for <Data>-heavy events, so less to build and to walk (issue 17's event XML row).
  const pugi::xml_parse_result result = doc_->load_buffer_inplace(
      buffer_.data(), buffer_.size(), pugi::parse_default | pugi::parse_embed_pcdata,
      pugi::encoding_utf8);
  if (!result) {
    return ParseError(file, line_of(result.offset),
                      absl::StrCat("malformed event XML (", result.description(), ")"));
  }

  pugi::xml_node root = doc_->first_child();
  std::vector<pugi::xml_node_struct*>& events = event_nodes_;
  events.clear();
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (LocalName(c) == "Event") {
      events.push_back(c.internal_object());
    } else if (LocalName(c) == "Events") {  // Event Viewer "Save as XML"
      for (pugi::xml_node ev = c.first_child(); ev; ev = ev.next_sibling()) {
        if (ev.type() == pugi::node_element && LocalName(ev) == "Event") {
          events.push_back(ev.internal_object());
        }
      }
    } else {
      return ParseError(file, line_of(c.offset_debug()),
                        absl::StrCat("unexpected element <", c.name(), "> outside <Event>"));
    }
  }
  if (events.empty()) return ParseError(file, 0, "no <Event> element: not event XML");

  EventReader reader(file, &owned_);
  if (each == nullptr) events_.reserve(events.size());
  EventView one;
  for (pugi::xml_node_struct* node : events) {
    const pugi::xml_node event(node);
    EventView* view = &one;
    if (each == nullptr) {
      view = &events_.emplace_back();
    } else {
      one = EventView();
    }
    absl::Status s = reader.Read(event, line_of(event.offset_debug()), view);
    if (!s.ok()) {
      events_.clear();
      owned_.clear();
      return s;
    }
    if (each != nullptr) {
      (*each)(one);
      owned_.clear();  // only this event's made values: memory stays flat over a large export
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::EventBatch> ParseEventsXml(absl::string_view text, absl::string_view file) {
  v1::EventBatch batch;
  if (absl::Status s = ParseEventsXml(text, file, &batch); !s.ok()) return s;
  return batch;
}

absl::Status ParseEventsXml(absl::string_view text, absl::string_view file, v1::EventBatch* out) {
  EventViews views;
  const int before = out->events_size();
  absl::Status s =
      views.ForEach(text, file, [&](const EventView& e) { ToRecord(e, out->add_events()); });
  if (!s.ok()) out->mutable_events()->DeleteSubrange(before, out->events_size() - before);
  return s;
}

namespace {

// wevtutil /f:xml: one <Event> after another, no root. Built with pugixml, never by hand.
void AppendEventXml(const v1::EventRecord& r, std::string* out) {
  pugi::xml_document doc;
  pugi::xml_node ev = doc.append_child("Event");
  ev.append_attribute("xmlns") = "http://schemas.microsoft.com/win/2004/08/events/event";
  pugi::xml_node sys = ev.append_child("System");
  pugi::xml_node provider = sys.append_child("Provider");
  provider.append_attribute("Name") = r.provider().c_str();
  if (!r.event_source_name().empty()) {
    provider.append_attribute("EventSourceName") = r.event_source_name().c_str();
  }
  pugi::xml_node id = sys.append_child("EventID");
  if (r.qualifiers() != 0) id.append_attribute("Qualifiers") = r.qualifiers();
  id.text() = r.event_id();
  sys.append_child("Level").text() = r.level();
  if (r.has_time_created()) {
    sys.append_child("TimeCreated").append_attribute("SystemTime") =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E7SZ",
                         absl::FromUnixSeconds(r.time_created().seconds()) +
                             absl::Nanoseconds(r.time_created().nanos()),
                         absl::UTCTimeZone())
            .c_str();
  }
  sys.append_child("EventRecordID").text() = static_cast<unsigned long long>(r.record_id());
  sys.append_child("Channel").text() = r.channel().c_str();
  sys.append_child("Computer").text() = r.computer().c_str();
  pugi::xml_node data = ev.append_child("EventData");
  for (const v1::EventField& f : r.fields()) {
    pugi::xml_node d = data.append_child("Data");
    if (!f.name().empty()) d.append_attribute("Name") = f.name().c_str();
    d.text() = f.value().c_str();
  }
  if (!r.binary_hex().empty()) data.append_child("Binary").text() = r.binary_hex().c_str();
  std::ostringstream ss;
  doc.save(ss, "", pugi::format_raw | pugi::format_no_declaration);
  absl::StrAppend(out, ss.str(), "\n");
}

}  // namespace

std::string RenderEventsXml(const v1::EventBatch& batch) {
  std::string out;
  for (const v1::EventRecord& r : batch.events()) AppendEventXml(r, &out);
  return out;
}

}  // namespace kerbside::events
