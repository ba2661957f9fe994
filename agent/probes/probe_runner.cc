#include "agent/probes/probe_runner.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>

#include "absl/random/distributions.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/net.h"
#include "common/proto_time.h"

namespace kerbside::agent::probes {
namespace {

// Runs tasks on at most `concurrency` threads and waits for all of them. Each task bounds its
// own time, so the pool needs no cancellation.
void RunAll(std::vector<std::function<void()>>& tasks, int concurrency) {
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t i = next++; i < tasks.size(); i = next++) tasks[i]();
  };
  const int n = std::max(1, std::min<int>(concurrency, static_cast<int>(tasks.size())));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
}

bool SameName(const std::string& a, const std::string& b) { return absl::EqualsIgnoreCase(a, b); }

}  // namespace

ProbeTargets MergeTargets(const ProbeTargets& configured, const v1::Inventory& inventory,
                          const std::string& self) {
  ProbeTargets out = configured;
  for (const v1::HostIdentity& h : inventory.hosts()) {
    const std::string name = h.fqdn().empty() ? h.netbios_name() : h.fqdn();
    const std::string host = h.ips().empty() ? name : h.ips(0);
    if (h.role() == v1::ROLE_DC) {
      bool known = false;
      for (const KdcTarget& k : out.kdcs) known |= SameName(k.name, name) || SameName(k.host, host);
      if (!known) out.kdcs.push_back(KdcTarget{name, host});
    } else if (h.role() == v1::ROLE_EXCHANGE && !SameName(h.netbios_name(), self)) {
      bool known = false;
      for (const PeerTarget& p : out.peers) known |= SameName(p.name, name);
      if (!known) out.peers.push_back(PeerTarget{name, host});
    }
  }
  return out;
}

std::vector<std::string> SmtpServiceNames(const std::string& peer) {
  const size_t dot = peer.find('.');
  if (dot == std::string::npos) return {absl::StrCat("SMTPSVC/", peer)};
  return {absl::StrCat("SMTPSVC/", peer.substr(0, dot)), absl::StrCat("SMTPSVC/", peer)};
}

v1::ProbeResults RunProbes(const ProbeRunnerOptions& options, const ProbeTargets& targets,
                           const Clock& clock) {
  v1::ProbeResults results;
  results.set_host(options.host);
  results.set_realm(options.realm);
  *results.mutable_attempt_timeout() = ToProto(options.attempt_timeout);
  *results.mutable_started_host_time() = ToProto(clock.Now());

  KdcProbeOptions kdc_options;
  kdc_options.realm = options.realm;
  kdc_options.timeout = options.attempt_timeout;
  if (!options.kdc_probe_client.empty()) kdc_options.client_principal = options.kdc_probe_client;

  // Phase 1: every DC, both transports, 88 and 464.
  struct KdcAttempt {
    const KdcTarget* target;
    v1::KdcProbe::Transport transport;
    bool kpasswd;
  };
  std::vector<KdcAttempt> attempts;
  for (const KdcTarget& k : targets.kdcs) {
    for (auto t : {v1::KdcProbe::UDP, v1::KdcProbe::TCP}) attempts.push_back({&k, t, false});
    if (options.kpasswd) {
      for (auto t : {v1::KdcProbe::UDP, v1::KdcProbe::TCP}) attempts.push_back({&k, t, true});
    }
  }
  std::vector<v1::KdcProbe> kdc_results(attempts.size());
  std::vector<std::function<void()>> tasks;
  for (size_t i = 0; i < attempts.size(); ++i) {
    tasks.push_back([&, i]() {
      const KdcAttempt& a = attempts[i];
      kdc_results[i] = a.kpasswd ? ProbeKpasswd(*a.target, a.transport, kdc_options, clock)
                                 : ProbeKdc(*a.target, a.transport, kdc_options, clock);
    });
  }
  RunAll(tasks, options.concurrency);
  for (auto& r : kdc_results) *results.add_kdc() = std::move(r);

  // The KDCs libkrb5 may use: those that answered on 88. If none answered over UDP, tell
  // libkrb5 to use TCP first.
  TicketProbeOptions ticket_options;
  ticket_options.realm = options.realm;
  ticket_options.keytab = options.keytab;
  ticket_options.client_principal = options.host_principal;
  bool udp_answered = false;
  for (size_t i = 0; i < attempts.size(); ++i) {
    const v1::KdcProbe& r = results.kdc(static_cast<int>(i));
    if (attempts[i].kpasswd || r.outcome() != v1::KdcProbe::ANSWERED) continue;
    const std::string kdc = FormatHostPort(attempts[i].target->host, attempts[i].target->port);
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
  std::vector<SmtpTarget> smtp_targets;
  for (const PeerTarget& p : targets.peers) {
    for (int port : options.smtp_ports) {
      smtp_targets.push_back({p.name, p.host.empty() ? p.name : p.host, port});
    }
  }
  std::vector<v1::SmtpProbe> smtp_results(smtp_targets.size());
  SmtpProbeOptions smtp_options;
  smtp_options.ehlo_name = options.ehlo_name.empty() ? "localhost" : options.ehlo_name;
  smtp_options.step_timeout = options.attempt_timeout;
  if (have_keytab && have_kdc) smtp_options.kerberos = ticket_options;

  tasks.clear();
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
    tasks.push_back([&, i]() {
      smtp_results[i] = ProbeSmtp(smtp_targets[i], smtp_options, clock);
      if (have_keytab && !have_kdc && !smtp_results[i].auth_attempted() &&
          smtp_results[i].auth_skipped_reason() == "no keytab configured") {
        smtp_results[i].set_auth_skipped_reason("no KDC answered the KDC probe");
      }
    });
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
