// Queues whose next hop is no server (DESIGN.md §3) in the pair matrix: candidates judged but
// not counted, the evidence choosing among them, a delivering queue to several candidates
// saying nothing about any one, and LastError's FQDN winning over the candidates.
#include "collector/correlator/pair_matrix.h"

#include "absl/strings/ascii.h"
#include "collector/correlator/correlator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::correlator {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class PairMatrixNextHopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // EX01, EX02, EX03: Exchange 2010 hubs of HQ; EX04: a 2010 hub of BRANCH.
    for (auto [name, ip, site] :
         {std::tuple{"EX01", "10.1.1.11", "HQ"}, std::tuple{"EX02", "10.1.1.12", "HQ"},
          std::tuple{"EX03", "10.1.1.13", "HQ"}, std::tuple{"EX04", "10.2.1.14", "BRANCH"}}) {
      model::HostEvidence& h = fleet_.hosts[name];
      h.name = name;
      h.has_identity = true;
      h.identity.set_netbios_name(name);
      h.identity.set_fqdn(absl::AsciiStrToLower(std::string(name)) + ".contoso.com");
      h.identity.set_role(v1::ROLE_EXCHANGE);
      h.identity.set_site(site);
      h.identity.add_ips(ip);
      h.identity.set_exchange_version("14.3.123.4");
      h.identity.add_server_roles("HubTransport");
    }
  }
  void Queue(const std::string& host, const std::string& next_hop, const std::string& status,
             const std::string& fqdn = "") {
    v1::Evidence e;
    e.set_host(host);
    v1::Queue* q = e.mutable_queues()->add_queues();
    q->set_identity(host + "\\1");
    q->set_delivery_type(next_hop == "BRANCH" ? "SmtpRelayToRemoteAdSite"
                                              : "SmtpRelayWithinAdSite");
    q->set_status(status);
    q->set_message_count(status == "Retry" ? 12 : 0);
    q->set_next_hop_domain(next_hop);
    if (status == "Retry") {
      q->mutable_last_error()->set_failure_class(v1::LastError::AUTH_TEMPORARY);
      q->mutable_last_error()->set_raw("451 4.4.0 ... \"454 4.7.0 Temporary authentication\"");
      q->mutable_last_error()->set_target_fqdn(fqdn);
    }
    fleet_.hosts[host].evidence.push_back(e);
  }
  void Event1035(const std::string& on, const std::string& source_ip) {
    v1::Evidence e;
    e.set_host(on);
    v1::EventRecord* r = e.mutable_events()->add_events();
    r->set_event_id(1035);
    (*r->mutable_facts())["source_ip"] = source_ip;
    (*r->mutable_facts())["connector"] = "Default " + on;
    fleet_.hosts[on].evidence.push_back(e);
  }
  model::FleetModel fleet_;
  const absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(PairMatrixNextHopTest, SeveralCandidatesAreJudgedButCountedInNoPattern) {
  Queue("EX01", "hub version 14", "Retry");
  const FleetIndex index(fleet_, now_, absl::Hours(24));
  const PairMatrix m(index);
  ASSERT_EQ(m.failing().size(), 2u);
  for (const auto& [key, p] : m.failing()) {
    EXPECT_TRUE(p.tentative) << p.target;
    EXPECT_EQ(p.next_hop, "hub version 14");
  }
  EXPECT_THAT(m.FailingSendersTo("EX02"), IsEmpty());
  EXPECT_THAT(m.FailingTargetsOf("EX01"), IsEmpty());
  ASSERT_EQ(m.next_hops().size(), 1u);
  const NextHopNote& note = m.next_hops().begin()->second;
  EXPECT_THAT(note.candidates, ElementsAre("EX02", "EX03"));
  EXPECT_THAT(note.chosen, ElementsAre("EX02", "EX03"));
  EXPECT_EQ(note.chosen_by, "no evidence names one of them: each is judged");
  EXPECT_TRUE(m.HasStuckQueue("EX01"));
}

TEST_F(PairMatrixNextHopTest, TheEvidenceChoosesAmongCandidates) {
  Queue("EX01", "hub version 14", "Retry");
  Event1035("EX03", "10.1.1.11");
  const FleetIndex index(fleet_, now_, absl::Hours(24));
  const PairMatrix m(index);
  ASSERT_EQ(m.failing().size(), 1u);
  const FailingPair& p = m.failing().begin()->second;
  EXPECT_EQ(p.target, "EX03");
  EXPECT_FALSE(p.tentative);
  EXPECT_THAT(m.FailingSendersTo("EX03"), ElementsAre("EX01"));
  const NextHopNote& note = m.next_hops().begin()->second;
  EXPECT_THAT(note.chosen, ElementsAre("EX03"));
  EXPECT_THAT(note.chosen_by, ::testing::HasSubstr("event 1035 on EX03 names EX01 -> EX03"));
}

// 1035s stay in the target's log after a fix: they make a failing pair only for a sender that
// reports no queues, or one that has a stuck queue of its own.
TEST_F(PairMatrixNextHopTest, Old1035sOfASenderThatDeliversMakeNoPair) {
  Queue("EX01", "ex03.contoso.com", "Active");
  Event1035("EX03", "10.1.1.11");  // EX01, delivering
  Event1035("EX03", "10.1.1.12");  // EX02: no queues known
  const FleetIndex index(fleet_, now_, absl::Hours(24));
  const PairMatrix m(index);
  ASSERT_EQ(m.failing().size(), 1u);
  EXPECT_EQ(m.failing().begin()->second.sender, "EX02");
  EXPECT_THAT(m.FailingSendersTo("EX03"), ElementsAre("EX02"));

  Queue("EX01", "hub version 14", "Retry");  // now EX01 has a stuck queue: its 1035 counts
  const FleetIndex index2(fleet_, now_, absl::Hours(24));
  const PairMatrix m2(index2);
  EXPECT_THAT(m2.FailingSendersTo("EX03"), UnorderedElementsAre("EX01", "EX02"));
}

// A sender with one queue delivering to a target and another failing to it fails to it: the
// pair leaves the healthy lists of both sides, and the other senders stay there, sorted, each
// once however many of its queues deliver.
TEST_F(PairMatrixNextHopTest, APairSeenFailingLeavesTheHealthyListsOfBothSides) {
  Queue("EX04", "ex02.contoso.com", "Active");
  Queue("EX03", "ex02.contoso.com", "Active");
  Queue("EX01", "ex02.contoso.com", "Active");
  Queue("EX01", "ex04.contoso.com", "Active");
  Queue("EX01", "hub version 14", "Retry", "ex02.contoso.com");
  Queue("EX04", "ex02.contoso.com", "Active");
  const FleetIndex index(fleet_, now_, absl::Hours(24));
  const PairMatrix m(index);
  EXPECT_FALSE(m.Healthy("EX01", "EX02"));
  EXPECT_THAT(m.FailingSendersTo("EX02"), ElementsAre("EX01"));
  EXPECT_THAT(m.HealthySendersTo("EX02"), ElementsAre("EX03", "EX04"));
  EXPECT_THAT(m.HealthyTargetsOf("EX01"), ElementsAre("EX04"));
  EXPECT_TRUE(m.Healthy("EX01", "EX04"));
}

TEST_F(PairMatrixNextHopTest, ADeliveringQueueCountsOnlyWhenItsNextHopIsOneServer) {
  Queue("EX01", "hub version 14", "Active");  // EX02 or EX03: healthy to neither for sure
  Queue("EX02", "BRANCH", "Active");          // only EX04
  const FleetIndex index(fleet_, now_, absl::Hours(24));
  const PairMatrix m(index);
  EXPECT_THAT(m.HealthyTargetsOf("EX01"), IsEmpty());
  EXPECT_THAT(m.HealthyTargetsOf("EX02"), ElementsAre("EX04"));
  EXPECT_TRUE(m.QueuesKnown("EX01"));
  EXPECT_FALSE(m.HasStuckQueue("EX01"));
}

TEST_F(PairMatrixNextHopTest, LastErrorsFqdnWinsOverTheCandidates) {
  Queue("EX01", "hub version 14", "Retry", "ex03.contoso.com");
  const FleetIndex index(fleet_, now_, absl::Hours(24));
  const PairMatrix m(index);
  ASSERT_EQ(m.failing().size(), 1u);
  EXPECT_EQ(m.failing().begin()->second.target, "EX03");
  EXPECT_FALSE(m.failing().begin()->second.tentative);
  EXPECT_THAT(m.next_hops(), IsEmpty());
}

TEST_F(PairMatrixNextHopTest, ANextHopWithoutCandidatesKeepsItsNameAndSaysWhy) {
  Queue("EX04", "hub version 14", "Retry");  // BRANCH has no other hub
  const FleetIndex index(fleet_, now_, absl::Hours(24));
  const PairMatrix m(index);
  ASSERT_EQ(m.failing().size(), 1u);
  EXPECT_EQ(m.failing().begin()->second.target, "hub version 14");
  EXPECT_FALSE(m.failing().begin()->second.target_known);
  EXPECT_THAT(m.next_hops().begin()->second.chosen_by,
              ::testing::HasSubstr("no server of the fleet is one of the other Exchange 2010 hub"));
  EXPECT_THAT(m.FailingSendersTo("hub version 14"), UnorderedElementsAre("EX04"));
}

// "hub version 14" names other servers from each sender (its own site's other hubs): two
// senders' queues are two candidate sets, judged apart; with no cause found, the unexplained
// verdict is about the next hop as written, never an arbitrary candidate.
TEST_F(PairMatrixNextHopTest, EachSendersNextHopIsJudgedApartAndUnexplainedBlamesNoCandidate) {
  Queue("EX01", "hub version 14", "Retry");
  Queue("EX02", "hub version 14", "Retry");
  const Diagnoses d = Correlate(fleet_, now_, {});
  ASSERT_EQ(d.diagnoses.size(), 2u);
  std::set<std::string> patterns;
  for (const Diagnosis& x : d.diagnoses) {
    EXPECT_EQ(x.causes.front().cause, kUnexplained);
    EXPECT_EQ(x.blamed_host, "hub version 14");
    ASSERT_EQ(x.senders.size(), 1u);
    patterns.insert(x.pattern);
  }
  EXPECT_THAT(patterns, UnorderedElementsAre(
                            "EX01 -> 'hub version 14' could be any of EX02, EX03 (the other "
                            "Exchange 2010 hub transport servers of EX01's site HQ); no evidence "
                            "names which: each is judged",
                            "EX02 -> 'hub version 14' could be any of EX01, EX03 (the other "
                            "Exchange 2010 hub transport servers of EX02's site HQ); no evidence "
                            "names which: each is judged"));
}

}  // namespace
}  // namespace kerbside::correlator
