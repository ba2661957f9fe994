// Correlate over a fleet where one target is off and each of its failing senders is a group of
// its own ("only S -> T fails": other senders deliver to T, and S delivers elsewhere): the
// groups' verdicts are one problem, merged into one diagnosis that lists every sender and
// queue once, in order, and says each group's pattern.
#include "collector/correlator/correlator.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/collector/correlator/rules/rule_test_fleet.h"

namespace kerbside::correlator {
namespace {

using ::testing::HasSubstr;

class CorrelateMergeTest : public ContosoFleet {
 protected:
  // `host` against the PDC emulator DC01: w32tm /stripchart prints DC01 - host.
  void Stripchart(const std::string& host, absl::Duration host_ahead) {
    v1::Evidence e = Item(host);
    e.mutable_w32tm_stripchart()->set_target("DC01");
    auto* sample = e.mutable_w32tm_stripchart()->add_samples();
    sample->set_ok(true);
    *sample->mutable_printed_offset() = ToProto(-host_ahead);
    fleet_.hosts[host].evidence.push_back(std::move(e));
  }
  void Queues(const std::string& host, const std::string& failing_to,
              const std::string& delivering_to) {
    v1::Evidence e = Item(host);
    int n = 0;
    for (const std::string* to : {&failing_to, &delivering_to}) {
      if (to->empty()) continue;
      v1::Queue* q = e.mutable_queues()->add_queues();
      q->set_identity(absl::StrFormat("%s\\%d", host, ++n));
      q->set_next_hop_domain(absl::AsciiStrToLower(*to) + ".contoso.com");
      if (to == &failing_to) {
        q->set_status("Retry");
        q->set_message_count(3);
        q->mutable_last_error()->set_failure_class(v1::LastError::AUTH_TEMPORARY);
        q->mutable_last_error()->set_raw(
            "451 4.4.0 ... 454 4.7.0 Temporary authentication failure");
        q->mutable_last_error()->set_target_fqdn(q->next_hop_domain());
      } else {
        q->set_status("Active");
      }
    }
    fleet_.hosts[host].evidence.push_back(std::move(e));
  }
};

TEST_F(CorrelateMergeTest, PairOnlyGroupsOfOneTargetMergeIntoOneDiagnosis) {
  Host("DC01", v1::ROLE_DC).identity.set_pdc_emulator(true);
  Host("EX0000", v1::ROLE_EXCHANGE);  // 7 minutes ahead
  Host("HUB", v1::ROLE_EXCHANGE);
  Stripchart("EX0000", absl::Minutes(7));
  Stripchart("HUB", absl::Milliseconds(2));
  Queues("HUB", "", "EX0000");  // delivers to EX0000: no sender-independent target side
  constexpr int kSenders = 300;
  // Added in reverse name order, so the merged lists are sorted by the correlator, not by luck.
  for (int i = kSenders; i >= 1; --i) {
    const std::string s = absl::StrFormat("EX%04d", i);
    Host(s, v1::ROLE_EXCHANGE);
    Stripchart(s, absl::Milliseconds(1));
    Queues(s, "EX0000", "HUB");
  }
  const Diagnoses d = Correlate(fleet_, kNow, {});
  ASSERT_EQ(d.diagnoses.size(), 1u);
  const Diagnosis& x = d.diagnoses.front();
  EXPECT_EQ(x.causes.front().cause, kClockSkew);
  EXPECT_EQ(x.blamed_host, "EX0000");
  EXPECT_EQ(x.targets, std::vector<std::string>{"EX0000"});
  ASSERT_EQ(x.senders.size(), static_cast<size_t>(kSenders));
  EXPECT_TRUE(std::is_sorted(x.senders.begin(), x.senders.end()));
  EXPECT_EQ(x.senders.front(), "EX0001");
  EXPECT_EQ(x.senders.back(), absl::StrFormat("EX%04d", kSenders));
  EXPECT_EQ(x.queues.size(), static_cast<size_t>(kSenders));
  // Each group's pattern, once.
  EXPECT_THAT(x.pattern, HasSubstr("only EX0001 -> EX0000 fails"));
  EXPECT_THAT(x.pattern, HasSubstr(absl::StrFormat("only EX%04d -> EX0000 fails", kSenders)));
  EXPECT_THAT(x.sentence, HasSubstr("EX0001, EX0002"));
}

}  // namespace
}  // namespace kerbside::correlator
