#include "agent/config_policy.h"

#include <set>
#include <string>

#include "agent/config_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using T = PolicyValue::Type;

constexpr char kOrigin[] = R"(HKLM\SOFTWARE\Policies\Kerbside\Agent)";

PolicyValue Sz(std::string name, std::string text) {
  PolicyValue v;
  v.name = std::move(name);
  v.text = std::move(text);
  return v;
}
PolicyValue Multi(std::string name, std::vector<std::string> items) {
  PolicyValue v;
  v.name = std::move(name);
  v.type = T::kMultiString;
  v.items = std::move(items);
  return v;
}
PolicyValue Dword(std::string name, uint32_t dword) {
  PolicyValue v;
  v.name = std::move(name);
  v.type = T::kDword;
  v.dword = dword;
  return v;
}

TEST(ConfigKeysTest, NamesAreUniqueLowerCaseAndFindable) {
  std::set<std::string> seen;
  for (const ConfigKey& k : AgentConfigKeys()) {
    const std::string name = k.name;
    EXPECT_TRUE(seen.insert(name).second) << name;
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
    EXPECT_EQ(FindConfigKey(name), &k);
  }
  EXPECT_EQ(FindConfigKey("Collector"), nullptr);
  EXPECT_EQ(FindConfigKey("no_such_key"), nullptr);
  EXPECT_GE(seen.size(), 40u);
}

TEST(ApplyPolicyTest, PolicyWinsOverTheFileValues) {
  AgentFlags f;
  f.collector = "from-file:7443";
  f.kdcs = {"dc9.contoso.com"};
  f.samba_showrepl = true;
  std::vector<std::string> applied;
  ASSERT_TRUE(ApplyPolicy({Sz("Collector", "kerbside.contoso.com:7443"),
                           Multi("kdc", {"dc01.contoso.com", "", "dc02.contoso.com"}),
                           Dword("samba_showrepl", 0), Dword("probe_concurrency", 8),
                           Sz("plaintext", "false"), Sz("ip", "10.1.1.11")},
                          kOrigin, &f, &applied)
                  .ok());
  EXPECT_EQ(f.collector, "kerbside.contoso.com:7443");
  EXPECT_THAT(f.kdcs, ElementsAre("dc01.contoso.com", "dc02.contoso.com"));
  EXPECT_FALSE(f.samba_showrepl);
  EXPECT_EQ(f.probe_concurrency, "8");
  EXPECT_FALSE(f.plaintext);
  EXPECT_THAT(f.ips, ElementsAre("10.1.1.11"));
  EXPECT_THAT(applied, ElementsAre("collector", "kdc", "samba_showrepl", "probe_concurrency",
                                   "plaintext", "ip"));
}

TEST(ApplyPolicyTest, UnknownValueIsRefusedByNameAndNothingApplies) {
  AgentFlags f;
  f.collector = "from-file:7443";
  absl::Status s = ApplyPolicy({Sz("collector", "new:1"), Sz("colector", "typo:1")}, kOrigin, &f);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr(R"(Policies\Kerbside\Agent\colector)"));
  EXPECT_THAT(s.message(), HasSubstr("not a setting"));
  EXPECT_EQ(f.collector, "from-file:7443");
}

TEST(ApplyPolicyTest, WrongTypesAreRefused) {
  AgentFlags f;
  EXPECT_THAT(ApplyPolicy({Dword("kdc", 1)}, kOrigin, &f).message(), HasSubstr("REG_MULTI_SZ"));
  EXPECT_THAT(ApplyPolicy({Multi("collector", {"a:1"})}, kOrigin, &f).message(),
              HasSubstr("REG_SZ"));
  EXPECT_THAT(ApplyPolicy({Dword("plaintext", 7)}, kOrigin, &f).message(),
              HasSubstr("REG_DWORD 0 or 1"));
  EXPECT_THAT(ApplyPolicy({Sz("pdc_emulator", "yes")}, kOrigin, &f).message(),
              HasSubstr("pdc_emulator"));
}

TEST(ApplyPolicyTest, EmptyPolicyChangesNothing) {
  AgentFlags f;
  f.site = "HQ";
  std::vector<std::string> applied = {"stale"};
  ASSERT_TRUE(ApplyPolicy({}, kOrigin, &f, &applied).ok());
  EXPECT_EQ(f.site, "HQ");
  EXPECT_TRUE(applied.empty());
}

}  // namespace
}  // namespace kerbside::agent
