#ifndef KERBSIDE_TESTS_COLLECTOR_CORRELATOR_RULES_RULE_TEST_FLEET_H_
#define KERBSIDE_TESTS_COLLECTOR_CORRELATOR_RULES_RULE_TEST_FLEET_H_

#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "collector/correlator/clock_graph.h"
#include "collector/correlator/fleet_index.h"
#include "collector/correlator/pair_matrix.h"
#include "collector/correlator/rules/rule.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::correlator {

// A contoso.com fleet built in code, for tests of the correlator and its rules.
class ContosoFleet : public ::testing::Test {
 protected:
  const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

  // `ip` "" for none.
  model::HostEvidence& Host(const std::string& name, v1::Role role, const std::string& ip = "") {
    model::HostEvidence& h = fleet_.hosts[name];
    h.name = name;
    h.has_identity = true;
    h.identity.set_netbios_name(name);
    h.identity.set_fqdn(absl::AsciiStrToLower(name) + ".contoso.com");
    h.identity.set_domain("contoso.com");
    h.identity.set_role(role);
    if (!ip.empty()) h.identity.add_ips(ip);
    return h;
  }
  // An item of `host`, observed a minute ago.
  v1::Evidence Item(const std::string& host) {
    v1::Evidence e;
    e.set_host(host);
    e.set_source("test");
    *e.mutable_observed_host_time() = ToProto(kNow - absl::Minutes(1));
    return e;
  }
  void Add(v1::Evidence e) { fleet_.hosts[e.host()].evidence.push_back(std::move(e)); }

  model::FleetModel fleet_;
};

// The fleet every rule test starts from: DC01 (the PDC emulator), EX01 and EX02 in
// contoso.com, and EX01's queue to EX02 failing with the KB's error. Each test adds the
// evidence of one branch and judges one rule over the group EX01 -> EX02.
class RuleTestFleet : public ContosoFleet {
 protected:
  static constexpr absl::Duration kMaxSkew = absl::Minutes(5);

  void SetUp() override {
    Host("DC01", v1::ROLE_DC, "10.1.1.1").identity.set_pdc_emulator(true);
    Host("EX01", v1::ROLE_EXCHANGE, "10.1.1.11");
    Host("EX02", v1::ROLE_EXCHANGE, "10.1.1.12");
    v1::Evidence q = Item("EX01");
    v1::Queue* queue = q.mutable_queues()->add_queues();
    queue->set_identity("EX01\\7");
    queue->set_status("Retry");
    queue->set_message_count(9);
    queue->set_next_hop_domain("ex02.contoso.com");
    queue->mutable_last_error()->set_failure_class(v1::LastError::AUTH_TEMPORARY);
    queue->mutable_last_error()->set_target_fqdn("ex02.contoso.com");
    fleet_.hosts["EX01"].evidence.push_back(q);
  }

  // EX01's failing queue.
  v1::Queue& FailingQueue() {
    return *fleet_.hosts["EX01"].evidence[0].mutable_queues()->mutable_queues(0);
  }

  CauseResult Judge(const char* cause) {
    index_ = std::make_unique<FleetIndex>(fleet_, kNow, absl::Hours(24));
    matrix_ = std::make_unique<PairMatrix>(*index_);
    clocks_ = std::make_unique<ClockGraph>(*index_, kMaxSkew);
    group_ = FailureGroup{};
    for (const auto& [key, p] : matrix_->failing()) group_.pairs.push_back(&p);
    group_.senders = {"EX01"};
    group_.targets = {"EX02"};
    memo_ = FleetMemo{};
    for (const Rule* r : Rules()) {
      if (std::string(r->cause()) == cause) {
        return r->Evaluate(RuleContext{*index_, *matrix_, *clocks_, group_, kMaxSkew, &memo_});
      }
    }
    ADD_FAILURE() << "no rule " << cause;
    return {};
  }

  std::unique_ptr<FleetIndex> index_;
  std::unique_ptr<PairMatrix> matrix_;
  std::unique_ptr<ClockGraph> clocks_;
  FailureGroup group_;
  FleetMemo memo_;
};

}  // namespace kerbside::correlator

#endif  // KERBSIDE_TESTS_COLLECTOR_CORRELATOR_RULES_RULE_TEST_FLEET_H_
