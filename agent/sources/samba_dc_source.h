#ifndef KERBSIDE_AGENT_SOURCES_SAMBA_DC_SOURCE_H_
#define KERBSIDE_AGENT_SOURCES_SAMBA_DC_SOURCE_H_

#include <functional>
#include <string>
#include <vector>

#include "agent/sources/ldap_client.h"
#include "agent/sources/source.h"

namespace kerbside::agent {

struct SambaDcOptions {
  std::string dc;    // this DC's NetBIOS name: read_from_dc of every account
  LdapOptions ldap;  // password left empty: read from password_file at every collection
  std::string password_file;
  std::string base_dn;  // "DC=contoso,DC=com"
  // NetBIOS names of the Exchange servers (config key exchange_server). Accounts holding an
  // SMTPSVC/ or SMTP/ SPN are read whether listed or not.
  std::vector<std::string> exchange_servers;
  // The collector's latest inventory; its Exchange hosts are read too. May be empty.
  std::function<v1::Inventory()> inventory;
  // argv of `samba-tool drs showrepl --json ...`; empty: replication is not read.
  std::vector<std::string> showrepl_command;
  absl::Duration interval = absl::Minutes(1);
  absl::Duration timeout = absl::Seconds(20);  // LDAP operations and samba-tool, each
};

// A Samba AD DC reading its own view of the directory (DESIGN.md §1 causes 2 and 3): the
// Exchange servers' computer accounts and every SMTPSVC/SMTP SPN holder over LDAP (simple bind
// over TLS), and its replication state from samba-tool. Two DCs that disagree about an account
// are what the dc_replication rule looks for, so each DC reports only what it holds itself.
class SambaDcSource : public Source {
 public:
  explicit SambaDcSource(SambaDcOptions options) : options_(std::move(options)) {}
  std::string id() const override { return "samba_dc"; }
  absl::Duration interval() const override { return options_.interval; }
  v1::EvidenceBatch Collect(absl::Time now) override;

 private:
  absl::StatusOr<v1::Evidence> ReadAccounts();
  absl::StatusOr<v1::Evidence> ReadReplication();
  SambaDcOptions options_;
};

// "lab.test" -> "DC=lab,DC=test".
std::string DomainToBaseDn(const std::string& domain);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_SAMBA_DC_SOURCE_H_
