#ifndef KERBSIDE_COLLECTOR_EVIDENCE_SUMMARY_H_
#define KERBSIDE_COLLECTOR_EVIDENCE_SUMMARY_H_

#include "kerbside/v1/evidence.pb.h"
#include "kerbside/v1/query.pb.h"

namespace kerbside::collector {

// One line about one piece of evidence, for `kerbside evidence HOST`: its kind, where it came
// from, what it says ("12 queues, 2 stuck", "source DC01 (NOT synchronised)"), when it was
// read and received; an event aggregate also carries its counts and span. Pure.
v1::EvidenceSummary SummarizeEvidence(const v1::Evidence& e);

}  // namespace kerbside::collector

#endif  // KERBSIDE_COLLECTOR_EVIDENCE_SUMMARY_H_
