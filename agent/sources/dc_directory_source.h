#ifndef KERBSIDE_AGENT_SOURCES_DC_DIRECTORY_SOURCE_H_
#define KERBSIDE_AGENT_SOURCES_DC_DIRECTORY_SOURCE_H_

#include <functional>
#include <string>
#include <vector>

#include "agent/sources/ldap_client.h"
#include "agent/sources/source.h"

namespace kerbside::agent {

struct DcDirectoryOptions {
  std::string source_id = "samba_dc";  // "directory" on Windows
  std::string dc;                      // this DC's NetBIOS name: read_from_dc of every account
  LdapOptions ldap;           // password left empty: read from password_file at every collection
  std::string password_file;  // empty: no password (Windows: Negotiate as the machine account)
  std::string base_dn;        // "DC=contoso,DC=com"
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

// A domain controller reading its own view of the directory (DESIGN.md §1 causes 2 and 3): the
// Exchange servers' computer accounts and every SMTPSVC/SMTP SPN holder, and who holds the PDC
// emulator role (fSMORoleOwner of the domain naming context: the fleet's clock reference), over
// LDAP (ldap_client.h: OpenLDAP with a simple bind over TLS on a Samba DC, wldap32 with Negotiate
// on Windows); on a Samba DC also its replication state from samba-tool (Windows DCs report
// replication through repadmin, agent/platform/host_tools). Two DCs that disagree about an
// account are what the dc_replication rule looks for, so each DC reports only what it holds
// itself.
class DcDirectorySource : public Source {
 public:
  explicit DcDirectorySource(DcDirectoryOptions options) : options_(std::move(options)) {}
  std::string id() const override { return options_.source_id; }
  absl::Duration interval() const override { return options_.interval; }
  v1::EvidenceBatch Collect(absl::Time now) override;

 private:
  absl::StatusOr<LdapOptions> Ldap() const;
  absl::StatusOr<v1::Evidence> ReadAccounts(const LdapOptions& ldap);
  absl::StatusOr<v1::Evidence> ReadDomainRoles(const LdapOptions& ldap);
  absl::StatusOr<v1::Evidence> ReadReplication();
  DcDirectoryOptions options_;
};

// "lab.test" -> "DC=lab,DC=test".
std::string DomainToBaseDn(const std::string& domain);

}  // namespace kerbside::agent

#endif  // KERBSIDE_AGENT_SOURCES_DC_DIRECTORY_SOURCE_H_
