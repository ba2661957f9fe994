#include "agent/sources/dc_directory_source.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/sources/command.h"
#include "agent/sources/directory_facts.h"
#include "common/identity.h"
#include "common/proto_time.h"
#include "common/windows/repadmin.h"

namespace kerbside::agent {

std::string DomainToBaseDn(const std::string& domain) {
  std::vector<std::string> parts;
  for (absl::string_view label : absl::StrSplit(domain, '.', absl::SkipEmpty())) {
    parts.push_back(absl::StrCat("DC=", label));
  }
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<LdapOptions> DcDirectorySource::Ldap() const {
  LdapOptions ldap = options_.ldap;
  if (!options_.password_file.empty()) {
    auto pw = ReadFileToString(options_.password_file);
    if (!pw.ok()) {
      return absl::Status(pw.status().code(),
                          absl::StrCat("samba_bind_password_file ", options_.password_file, ": ",
                                       pw.status().message()));
    }
    // A trailing newline is what `echo pw > file` leaves; it is not part of the password.
    ldap.password = std::string(absl::StripTrailingAsciiWhitespace(*pw));
  }
  return ldap;
}

absl::StatusOr<v1::Evidence> DcDirectorySource::ReadAccounts(const LdapOptions& ldap) {
  std::vector<std::string> attrs(std::begin(kAccountAttributes), std::end(kAccountAttributes));
  const std::vector<std::string> servers = ExchangeServerNames(
      options_.exchange_servers, options_.inventory ? options_.inventory() : v1::Inventory());
  auto entries = LdapSearch(ldap, options_.base_dn, LdapScope::kSubtree,
                            ExchangeAccountsFilter(servers), attrs);
  if (!entries.ok()) return entries.status();
  auto accounts = ComputerAccountsFromLdap(*entries, options_.dc);
  if (!accounts.ok()) return accounts.status();
  v1::Evidence e;
  e.set_origin(absl::StrCat(ldap.uri, " ", options_.base_dn));
  *e.mutable_computer_accounts() = *std::move(accounts);
  return e;
}

absl::StatusOr<v1::Evidence> DcDirectorySource::ReadDomainRoles(const LdapOptions& ldap) {
  std::vector<std::string> attrs(std::begin(kDomainRoleAttributes),
                                 std::end(kDomainRoleAttributes));
  auto entries =
      LdapSearch(ldap, options_.base_dn, LdapScope::kBase, "(objectClass=domainDNS)", attrs);
  if (!entries.ok()) return entries.status();
  auto roles = DomainRolesFromLdap(*entries, options_.dc);
  if (!roles.ok()) return roles.status();
  v1::Evidence e;
  e.set_origin(absl::StrCat(ldap.uri, " ", options_.base_dn, " fSMORoleOwner"));
  *e.mutable_domain_roles() = *std::move(roles);
  return e;
}

absl::StatusOr<v1::Evidence> DcDirectorySource::ReadReplication() {
  auto run = RunCommand(options_.showrepl_command, options_.timeout);
  if (!run.ok()) return run.status();
  const std::string shown = absl::StrJoin(options_.showrepl_command, " ");
  if (run->exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat(shown, ": exit ", run->exit_code, ": ", absl::StripAsciiWhitespace(run->err)));
  }
  auto parsed = windows::ParseDrsShowreplJson(run->out, "samba-tool drs showrepl --json");
  if (!parsed.ok()) return parsed.status();
  v1::Evidence e;
  e.set_origin("samba-tool drs showrepl --json");
  *e.mutable_replication() = *std::move(parsed);
  // Samba's JSON does not name the reporting DC; inbound links end here.
  for (v1::ReplicationLink& l : *e.mutable_replication()->mutable_links()) {
    if (l.direction() == v1::ReplicationLink::INBOUND && l.destination_dsa().empty()) {
      l.set_destination_dsa(options_.dc);
    } else if (l.direction() == v1::ReplicationLink::OUTBOUND && l.source_dsa().empty()) {
      l.set_source_dsa(options_.dc);
    }
  }
  return e;
}

v1::EvidenceBatch DcDirectorySource::Collect(absl::Time now) {
  v1::EvidenceBatch batch;
  batch.set_source(id());
  std::vector<std::string> problems;
  int read = 0;
  auto add = [&](absl::StatusOr<v1::Evidence> e) {
    if (!e.ok()) {
      // One unreachable DC fails every read alike: say it once.
      const std::string message(e.status().message());
      if (std::find(problems.begin(), problems.end(), message) == problems.end()) {
        problems.push_back(message);
      }
      return;
    }
    ++read;
    e->set_host(options_.dc);
    e->set_source(id());
    *e->mutable_observed_host_time() = ToProto(now);
    *batch.add_items() = *std::move(e);
  };
  if (auto ldap = Ldap(); ldap.ok()) {
    add(ReadAccounts(*ldap));
    add(ReadDomainRoles(*ldap));
  } else {
    add(ldap.status());
  }
  if (!options_.showrepl_command.empty()) {
    add(ReadReplication());
  }
  if (problems.empty()) {
    batch.mutable_health()->set_state(v1::SourceHealth::OK);
  } else {
    batch.mutable_health()->set_state(read > 0 ? v1::SourceHealth::DEGRADED
                                               : v1::SourceHealth::FAILING);
    batch.mutable_health()->set_reason(absl::StrJoin(problems, "; "));
  }
  return batch;
}

}  // namespace kerbside::agent
