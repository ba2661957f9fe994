// Throughput of ParseEventsXml (pugixml parse + System fields + EventData + facts into protobuf)
// against a bare pugixml load_buffer of the same bytes, in the same run, so the ratio says
// what our extraction costs on this machine. Plain timed main: best of several rounds. Two
// ways: into heap messages (the bundle loader, whose events stay in the fleet model), and into
// a protobuf Arena (the agent's event log source, which parses, aggregates and drops).
//
//   event_xml_bench [EVENTS] [ROUNDS]     defaults: 20000 events, 5 rounds
// Exit status 1 when a ratio falls below 0.05, half of what this machine measures (0.11 heap,
// 0.15 arena, against a warm pugixml at over 1 GB/s): a regression guard; issue 17 asks 0.5.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/events/event_xml.h"
#include "common/text/decode.h"
#include "google/protobuf/arena.h"
#include "pugixml.hpp"

namespace {

constexpr const char* kNs = "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'";

// One wevtutil-style line per event; the mix follows a busy DC + Exchange bundle.
std::string Event(int i) {
  const std::string rid = absl::StrCat(100000 + i);
  const std::string sys_tail = absl::StrCat(
      "<TimeCreated SystemTime='2026-11-26T09:41:07.", 1000000 + i % 9000000, "Z'/><EventRecordID>",
      rid, "</EventRecordID><Correlation/><Execution ProcessID='580' ThreadID='2128'/>");
  switch (i % 6) {
    case 0:
    case 1:
      return absl::StrCat(
          "<Event ", kNs,
          "><System><Provider Name='Microsoft-Windows-Security-Auditing' "
          "Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>4769</EventID><Version>2</"
          "Version><Level>0</Level><Task>14337</Task><Opcode>0</Opcode><Keywords>"
          "0x8010000000000000</Keywords>",
          sys_tail,
          "<Channel>Security</Channel><Computer>dc01.contoso.com</Computer><Security/></"
          "System><EventData><Data Name='TargetUserName'>EX01$@CONTOSO.COM</Data><Data "
          "Name='TargetDomainName'>CONTOSO.COM</Data><Data Name='ServiceName'>EX02$</Data><Data "
          "Name='ServiceSid'>S-1-5-21-666199682-1411342147-2938717855-1107</Data><Data "
          "Name='TicketOptions'>0x40810000</Data><Data "
          "Name='TicketEncryptionType'>0x12</Data><Data Name='IpAddress'>::ffff:10.1.1.",
          i % 250,
          "</Data><Data Name='IpPort'>60889</Data><Data Name='Status'>0x25</Data><Data "
          "Name='LogonGuid'>{00000000-0000-0000-0000-000000000000}</Data><Data "
          "Name='TransmittedServices'>-</Data></EventData></Event>\n");
    case 2:
      return absl::StrCat(
          "<Event ", kNs,
          "><System><Provider Name='MSExchangeTransport'/><EventID "
          "Qualifiers='32772'>1035</EventID><Version>0</Version><Level>3</Level><Task>1</"
          "Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords>",
          sys_tail,
          "<Channel>Application</Channel><Computer>EX02.contoso.com</Computer><Security/></"
          "System><EventData><Data>IllegalMessage</Data><Data>Default EX02</Data><Data>"
          "ExchangeAuth</Data><Data>10.1.1.11</Data></EventData></Event>\n");
    case 3:
      return absl::StrCat(
          "<Event ", kNs,
          "><System><Provider Name='Microsoft-Windows-Security-Kerberos' "
          "Guid='{98E6CFCB-EE0A-41E0-A57B-622D4E1B30B1}' EventSourceName='Kerberos'/><EventID "
          "Qualifiers='32768'>3</EventID><Version>0</Version><Level>2</Level><Task>0</"
          "Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords>",
          sys_tail,
          "<Channel>System</Channel><Computer>ex01.contoso.com</Computer><Security/></"
          "System><EventData><Data Name='LogonSession'>CONTOSO.COM\\EX01$</Data><Data "
          "Name='ClientTime'></Data><Data Name='ServerTime'>9:41:7.0000 11/26/2026 Z</"
          "Data><Data Name='ErrorCode'>0x25</Data><Data "
          "Name='ErrorMessage'>KRB_AP_ERR_SKEW</Data><Data Name='ExtendedError'></Data><Data "
          "Name='ClientRealm'></Data><Data Name='ClientName'></Data><Data "
          "Name='ServerRealm'>CONTOSO.COM</Data><Data "
          "Name='ServerName'>krbtgt/CONTOSO.COM</Data><Data "
          "Name='TargetName'>SMTPSVC/ex02.contoso.com@CONTOSO.COM</Data></EventData></Event>\n");
    case 4:
      return absl::StrCat(
          "<Event ", kNs,
          "><System><Provider Name='NETLOGON'/><EventID Qualifiers='0'>5719</"
          "EventID><Version>0</Version><Level>2</Level><Task>0</Task><Opcode>0</"
          "Opcode><Keywords>0x80000000000000</Keywords>",
          sys_tail,
          "<Channel>System</Channel><Computer>ex01.contoso.com</Computer><Security/></"
          "System><EventData><Data>CONTOSO</Data><Data>%%1311</Data><Binary>5E0000C0</"
          "Binary></EventData></Event>\n");
    default:
      return absl::StrCat(
          "<Event ", kNs,
          "><System><Provider Name='EventLog'/><EventID Qualifiers='32768'>6013</"
          "EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</"
          "Opcode><Keywords>0x80000000000000</Keywords>",
          sys_tail,
          "<Channel>System</Channel><Computer>ex01.contoso.com</Computer><Security/></"
          "System><EventData><Data></Data><Data></Data><Data>6</Data><Data>60</Data><Data>0 "
          "Coordinated Universal Time</Data><Binary>31002E0031000000</Binary></EventData></"
          "Event>\n");
  }
}

template <typename F>
double BestSeconds(int rounds, F&& f) {
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) {
    const auto start = std::chrono::steady_clock::now();
    f();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  if (events <= 0 || rounds <= 0) {
    std::fprintf(stderr, "usage: event_xml_bench [EVENTS>0] [ROUNDS>0]\n");
    return 2;
  }
  std::string input;
  for (int i = 0; i < events; ++i) input += Event(i);
  const double mb = static_cast<double>(input.size()) / (1024.0 * 1024.0);

  // Baseline: what the bare parser costs on the same bytes (with the same synthetic root,
  // which ParseEventsXml needs for a stream with no root element). The three run in turn in
  // every round, so what one leaves behind in the allocator (free lists, a trimmed heap, the
  // mmap threshold glibc raises after a large free) is the same for all: run one after the
  // other, whichever ran after a large free got pages already faulted in and looked faster.
  const std::string wrapped = absl::StrCat("<r>", input, "</r>");
  size_t bare_events = 0, parsed_events = 0, arena_events = 0;
  double bare = 1e300, full = 1e300, arena_s = 1e300;
  for (int r = 0; r < rounds; ++r) {
    bare =
        std::min(bare, BestSeconds(1, [&] {
                   pugi::xml_document doc;
                   pugi::xml_parse_result result = doc.load_buffer(wrapped.data(), wrapped.size());
                   if (!result) std::abort();
                   bare_events = static_cast<size_t>(std::distance(
                       doc.first_child().children().begin(), doc.first_child().children().end()));
                 }));
    full = std::min(full, BestSeconds(1, [&] {
                      auto batch = kerbside::events::ParseEventsXml(input, "bench.xml");
                      if (!batch.ok()) std::abort();
                      parsed_events = static_cast<size_t>(batch->events_size());
                    }));
    arena_s = std::min(
        arena_s, BestSeconds(1, [&] {
          google::protobuf::Arena arena;
          auto* batch = google::protobuf::Arena::CreateMessage<kerbside::v1::EventBatch>(&arena);
          if (!kerbside::events::ParseEventsXml(input, "bench.xml", batch).ok()) std::abort();
          arena_events = static_cast<size_t>(batch->events_size());
        }));
  }
  if (parsed_events != static_cast<size_t>(events) || bare_events != parsed_events ||
      arena_events != parsed_events) {
    std::abort();
  }

  const double ratio = bare / full;
  const double arena_ratio = bare / arena_s;
  std::printf("input: %d events, %.1f MB, best of %d rounds\n", events, mb, rounds);
  std::printf("%-44s %9s %12s\n", "", "MB/s", "events/s");
  std::printf("%-44s %9.1f %12.0f\n", "pugixml load_buffer only", mb / bare, events / bare);
  std::printf("%-44s %9.1f %12.0f\n", "ParseEventsXml (parse + fields + facts)", mb / full,
              events / full);
  std::printf("%-44s %9.1f %12.0f\n", "ParseEventsXml into an arena (agent)", mb / arena_s,
              events / arena_s);
  std::printf("ratio ParseEventsXml / bare pugixml: heap %.2f, arena %.2f (issue 17 asks >= 0.5)\n",
              ratio, arena_ratio);

  // The bounds the unit tests check for correctness only (timing lives here): a damaged export
  // of the same size fails after one pass, and an oversized file is refused before decoding.
  std::string damaged = input;
  damaged.resize(damaged.size() - 100);
  const double damaged_s = BestSeconds(1, [&] {
    if (kerbside::events::ParseEventsXml(damaged, "damaged.xml").ok()) std::abort();
  });
  const std::string oversized(50u << 20, 'a');
  const double refused_s = BestSeconds(1, [&] {
    if (kerbside::text::DecodeToUtf8(oversized, "big.txt").ok()) std::abort();
  });
  std::printf("%-44s %9.3f s (a complete one: %.3f s)\n",
              "damaged export of the same size fails in", damaged_s, full);
  std::printf("%-44s %9.3f ms\n", "oversized 50 MB file refused by DecodeToUtf8 in",
              refused_s * 1000);
  return ratio >= 0.05 && arena_ratio >= 0.05 ? 0 : 1;
}
