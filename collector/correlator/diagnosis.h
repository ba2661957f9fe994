#ifndef KERBSIDE_COLLECTOR_CORRELATOR_DIAGNOSIS_H_
#define KERBSIDE_COLLECTOR_CORRELATOR_DIAGNOSIS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace kerbside::correlator {

// Cause ids are part of the product's contract (JSON, alert labels, metrics): DESIGN.md §1.
inline constexpr char kClockSkew[] = "clock_skew";
inline constexpr char kDcReplication[] = "dc_replication";
inline constexpr char kSpnMissing[] = "spn_missing";
inline constexpr char kSpnDuplicate[] = "spn_duplicate";
inline constexpr char kKerberosPortsBlocked[] = "kerberos_ports_blocked";
inline constexpr char kConnectorAuth[] = "connector_auth";
inline constexpr char kUnexplained[] = "unexplained";
inline constexpr char kOutOfScope[] = "out_of_scope";

enum class Confidence { kPossible = 1, kLikely = 2, kConfirmed = 3 };
const char* ConfidenceName(Confidence c);

// One piece of evidence behind a verdict, with where it came from and how old it is.
struct EvidenceNote {
  std::string host;    // where it was observed
  std::string origin;  // file or live source
  std::string fact;    // a sentence: "EX02 is +7m12s ahead of DC01 (w32tm /stripchart)"
  std::optional<absl::Time> observed_at;
  std::optional<absl::Duration> age;
  bool stale = false;
};

struct QueueRef {
  std::string sender;  // host name (upper-case NetBIOS)
  std::string target;  // host name, or the next hop as written when no host matches
  std::string identity;
  std::string status;
  int64_t message_count = 0;
  std::string last_error;     // the innermost reply, "454 4.7.0 Temporary authentication failure"
  std::string failure_class;  // auth_temporary, dns, ...
  std::string origin;
};

// How a queue whose next hop is no host was resolved: shown with the diagnosis.
struct NextHopNote {
  std::string sender;
  std::string next_hop;       // as written
  std::string delivery_type;  // as written
  std::string basis;          // "the other Exchange 2010 hub transport servers of site HQ ..."
  std::vector<std::string> candidates;
  std::vector<std::string> unknown_facts;  // "EX05 (exchange_version)"
  std::vector<std::string> chosen;         // the candidates judged as targets
  std::string chosen_by;  // "only candidate", "named by: event 1035 on EX02 ...", "no evidence
                          // names one: each judged", or why there is no candidate
};

// A rule's verdict on one cause for one group of failures.
struct CauseResult {
  enum class State { kSupported, kRuledOut, kNotChecked };
  std::string cause;
  State state = State::kNotChecked;
  Confidence confidence = Confidence::kPossible;
  std::string blamed_host;  // the host that is wrong (supported only)
  std::string summary;      // supported: the finding; otherwise the reason
  std::vector<EvidenceNote> evidence;
  std::vector<std::string> remediation;
};

struct Diagnosis {
  std::vector<std::string> senders;
  std::vector<std::string> targets;
  std::string blamed_host;
  std::vector<QueueRef> queues;
  std::string pattern_kind;         // target_side | sender_side | pair_only | dc_side
  std::string pattern;              // "3 of 3 senders fail to EX02; EX02's own queues are healthy"
  std::vector<CauseResult> causes;  // supported, best first
  std::vector<CauseResult> not_checked;
  std::vector<CauseResult> ruled_out;
  std::vector<NextHopNote> next_hops;  // queues whose next hop is no host, and how resolved
  std::string sentence;                // one line on-call can paste into a ticket
};

struct Diagnoses {
  absl::Time now;
  absl::Duration max_clock_skew;
  std::string clock_reference;  // "DC01 (PDC emulator)", "fleet median", ""
  std::vector<Diagnosis> diagnoses;
};

}  // namespace kerbside::correlator

#endif  // KERBSIDE_COLLECTOR_CORRELATOR_DIAGNOSIS_H_
