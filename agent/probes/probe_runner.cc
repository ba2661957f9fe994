#include "agent/probes/probe_runner.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>

#include "absl/random/distributions.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/gss_initiator_krb5.h"
#include "agent/probes/net.h"
#include "agent/probes/run_all.h"
#include "common/proto_time.h"

namespace kerbside::agent::probes {

v1::ProbeResults RunProbes(const ProbeRunnerOptions& options, const ProbeTargets& targets,
                           const Clock& clock) {
  // Phase 1: every DC, both transports, 88 and 464.
  v1::ProbeResults results = RunKdcProbeRound(options, targets, clock);
  // The KDCs libkrb5 may use: those that answered on 88. If none answered over UDP, tell
  // libkrb5 to use TCP first.
  TicketProbeOptions ticket_options;
  ticket_options.realm = options.realm;
  ticket_options.keytab = options.keytab;
  ticket_options.client_principal = options.host_principal;
  bool udp_answered = false;
  for (const v1::KdcProbe& r : results.kdc()) {
    if (r.service() != v1::KdcProbe::KERBEROS || r.outcome() != v1::KdcProbe::ANSWERED) continue;
    const KdcTarget* target = nullptr;
    for (const KdcTarget& k : targets.kdcs) {
      // Several targets can share a name (one address, several ports): the port tells them apart.
      if (k.name == r.kdc() && k.port == r.port()) target = &k;
    }
    if (target == nullptr) continue;
    const std::string kdc = FormatHostPort(target->host, target->port);
    if (std::find(ticket_options.kdcs.begin(), ticket_options.kdcs.end(), kdc) ==
        ticket_options.kdcs.end()) {
      ticket_options.kdcs.push_back(kdc);
    }
    udp_answered |= r.transport() == v1::KdcProbe::UDP;
  }
  ticket_options.prefer_tcp = !udp_answered;

  // Phase 2: tickets (one task: one TGT, then the TGS requests) and SMTP, concurrently.
  const bool have_keytab = !options.keytab.empty();
  const bool have_kdc = !ticket_options.kdcs.empty();
  std::vector<ServiceToProbe> services;
  for (const PeerTarget& p : targets.peers) {
    for (const std::string& s : SmtpServiceNames(p.name)) services.push_back({p.name, s});
  }
  std::vector<v1::TicketProbe> tickets;
  const std::vector<SmtpTarget> smtp_targets = SmtpTargetsFor(targets.peers, options.smtp_ports);
  std::vector<v1::SmtpProbe> smtp_results(smtp_targets.size());
  SmtpProbeOptions smtp_options;
  smtp_options.ehlo_name = options.ehlo_name.empty() ? "localhost" : options.ehlo_name;
  smtp_options.step_timeout = options.attempt_timeout;
  if (have_keytab && have_kdc) smtp_options.gss = Krb5GssInitiatorFactory(ticket_options);
  smtp_options.no_auth_reason =
      have_keytab ? "no KDC answered the KDC probe" : "no keytab configured";

  std::vector<std::function<void()>> tasks;
  if (have_keytab) {
    tasks.push_back([&]() {
      if (have_kdc) {
        tickets = ProbeTickets(ticket_options, services, clock);
        return;
      }
      for (const ServiceToProbe& s : services) {
        v1::TicketProbe t;
        t.set_peer(s.peer);
        t.set_service_principal(absl::StrCat(s.service, "@", options.realm));
        t.set_failed_step("tgt");
        t.set_error_message("not tried: no KDC answered the KDC probe");
        tickets.push_back(std::move(t));
      }
    });
  }
  for (size_t i = 0; i < smtp_targets.size(); ++i) {
    tasks.push_back(
        [&, i]() { smtp_results[i] = ProbeSmtp(smtp_targets[i], smtp_options, clock); });
  }
  RunAll(tasks, options.concurrency);
  for (auto& t : tickets) *results.add_tickets() = std::move(t);
  for (auto& s : smtp_results) *results.add_smtp() = std::move(s);
  *results.mutable_finished_host_time() = ToProto(clock.Now());
  return results;
}

absl::Duration NextProbeDelay(absl::Duration interval, double jitter, absl::BitGenRef gen) {
  jitter = std::clamp(jitter, 0.0, 1.0);
  const double factor = absl::Uniform<double>(gen, 1.0 - jitter, 1.0 + jitter);
  return interval * factor;
}

}  // namespace kerbside::agent::probes
