// Throughput of reading Windows event XML against a bare pugixml load_buffer of the same bytes,
// in the same run, so the ratios say what our reading costs on this machine. Plain timed main:
// best of several rounds, every way in turn in each round.
//  - One file (a bundle's export): EventViews::Parse (parse + fields + facts as views), and
//    ParseEventsXml, the same into records, on the heap and on an arena.
//  - One text per event (the agent's event log, as EvtRender hands them over): views of each,
//    aggregated, records built for the examples only; against a bare parse of each text.
//  - The floor of both: a bare parse and then every node's name, value and attributes read once
//    through pugixml's accessors. Any reader of pugixml's tree pays at least that; issue 17 asks
//    0.5 of bare, and on this machine the floor itself is about 0.35 (2026-12-07).
//
//   event_xml_bench [EVENTS] [ROUNDS]     defaults: 20000 events, 5 rounds
// Exit status 1 when a ratio falls below 0.05, a third to a half of what this machine measures:
// a regression guard.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/events/event_aggregate.h"
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

// What any reader of pugixml's tree pays: every node's name, value and attributes visited once,
// through pugixml's (out-of-line) accessors, lengths taken as a string_view would.
size_t ReadEveryNode(const pugi::xml_document& doc) {
  size_t bytes = 0;
  std::vector<pugi::xml_node> stack{doc};
  while (!stack.empty()) {
    const pugi::xml_node node = stack.back();
    stack.pop_back();
    bytes += std::strlen(node.name()) + std::strlen(node.value());
    for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
      bytes += std::strlen(a.name()) + std::strlen(a.value());
    }
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) stack.push_back(c);
  }
  return bytes;
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
  // The agent's way: EvtRender hands it one event's XML at a time, which it reads into views and
  // aggregates, building records only for the examples. Its baseline parses the same texts one
  // by one, as bare as the file's.
  std::vector<std::string> texts;
  texts.reserve(static_cast<size_t>(events));
  for (int i = 0; i < events; ++i) texts.push_back(Event(i));

  size_t bare_events = 0, parsed_events = 0, arena_events = 0, view_events = 0;
  size_t aggregates = 0, bare_each_events = 0;
  double bare = 1e300, full = 1e300, arena_s = 1e300, views_s = 1e300;
  double bare_each = 1e300, agent_s = 1e300, walk_s = 1e300, walk_each = 1e300;
  size_t walked_bytes = 0;
  kerbside::events::EventViews views;  // reused, as the agent reuses it for a read
  for (int r = 0; r < rounds; ++r) {
    bare =
        std::min(bare, BestSeconds(1, [&] {
                   pugi::xml_document doc;
                   pugi::xml_parse_result result = doc.load_buffer(wrapped.data(), wrapped.size());
                   if (!result) std::abort();
                   bare_events = static_cast<size_t>(std::distance(
                       doc.first_child().children().begin(), doc.first_child().children().end()));
                 }));
    walk_s = std::min(walk_s, BestSeconds(1, [&] {
                        pugi::xml_document doc;
                        if (!doc.load_buffer(wrapped.data(), wrapped.size())) std::abort();
                        walked_bytes = ReadEveryNode(doc);
                      }));
    views_s = std::min(views_s, BestSeconds(1, [&] {
                         if (!views.Parse(input, "bench.xml").ok()) std::abort();
                         view_events = views.events().size();
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
    bare_each = std::min(bare_each, BestSeconds(1, [&] {
                           bare_each_events = 0;
                           for (const std::string& t : texts) {
                             pugi::xml_document doc;
                             if (!doc.load_buffer(t.data(), t.size())) std::abort();
                             bare_each_events += doc.first_child() ? 1 : 0;
                           }
                         }));
    walk_each = std::min(walk_each, BestSeconds(1, [&] {
                           for (const std::string& t : texts) {
                             pugi::xml_document doc;
                             if (!doc.load_buffer(t.data(), t.size())) std::abort();
                             walked_bytes += ReadEveryNode(doc);
                           }
                         }));
    agent_s = std::min(agent_s, BestSeconds(1, [&] {
                         kerbside::events::EventAggregator aggregator;
                         for (size_t i = 0; i < texts.size(); ++i) {
                           if (!views.Parse(texts[i], "event log").ok()) std::abort();
                           aggregator.Add(views.events()[0], i);
                         }
                         aggregates = aggregator
                                          .Finish([&](uint64_t i) {
                                            kerbside::v1::EventRecord record;
                                            if (!views.Parse(texts[i], "event log").ok()) {
                                              std::abort();
                                            }
                                            kerbside::events::ToRecord(views.events()[0], &record);
                                            return record;
                                          })
                                          .size();
                       }));
  }
  if (parsed_events != static_cast<size_t>(events) || bare_events != parsed_events ||
      arena_events != parsed_events || view_events != parsed_events ||
      bare_each_events != parsed_events || aggregates == 0 || walked_bytes == 0) {
    std::abort();
  }

  const double views_ratio = bare / views_s;
  const double ratio = bare / full;
  const double arena_ratio = bare / arena_s;
  const double agent_ratio = bare_each / agent_s;
  std::printf("input: %d events, %.1f MB, best of %d rounds\n", events, mb, rounds);
  std::printf("%-52s %9s %12s\n", "one file (a bundle's export)", "MB/s", "events/s");
  std::printf("%-52s %9.1f %12.0f\n", "  pugixml load_buffer only", mb / bare, events / bare);
  std::printf("%-52s %9.1f %12.0f\n", "  pugixml load_buffer + every node read once", mb / walk_s,
              events / walk_s);
  std::printf("%-52s %9.1f %12.0f\n", "  EventViews::Parse (parse + fields + facts)", mb / views_s,
              events / views_s);
  std::printf("%-52s %9.1f %12.0f\n", "  ParseEventsXml (the same, into records)", mb / full,
              events / full);
  std::printf("%-52s %9.1f %12.0f\n", "  ParseEventsXml into an arena", mb / arena_s,
              events / arena_s);
  std::printf("%-52s %9s %12s\n", "one text per event (the agent's event log)", "", "");
  std::printf("%-52s %9.1f %12.0f\n", "  pugixml load_buffer of each", mb / bare_each,
              events / bare_each);
  std::printf("%-52s %9.1f %12.0f\n", "  pugixml load_buffer of each + every node read once",
              mb / walk_each, events / walk_each);
  std::printf("%-52s %9.1f %12.0f\n", "  views of each + aggregate + example records", mb / agent_s,
              events / agent_s);
  std::printf(
      "ratio to bare pugixml (issue 17 asks >= 0.5): views %.2f, records %.2f, arena %.2f; "
      "agent's event log %.2f (%zu aggregates)\n",
      views_ratio, ratio, arena_ratio, agent_ratio, aggregates);
  std::printf(
      "floor, any reader of pugixml's tree (every node read once): %.2f of bare for the file, "
      "%.2f for texts one by one; views are %.2f of their floor, the agent's event log %.2f\n",
      bare / walk_s, bare_each / walk_each, walk_s / views_s, walk_each / agent_s);

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
  return ratio >= 0.05 && arena_ratio >= 0.05 && views_ratio >= 0.05 && agent_ratio >= 0.05 ? 0 : 1;
}
