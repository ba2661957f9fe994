// The Group Policy templates (deploy/windows/policy) against the agent's settings table: the
// committed files are what the table renders (they cannot drift), they are well-formed XML,
// every string and presentation they reference exists, every registry value is a setting the
// agent reads with the type the agent accepts, and what they write passes the agent's policy
// reader. (Well-formedness is checked with pugixml, not xmllint, which no test command installs.)
#include "agent/policy_templates.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "agent/config.h"
#include "agent/config_keys.h"
#include "agent/config_policy.h"
#include "gtest/gtest.h"
#include "pugixml.hpp"

namespace kerbside::agent {
namespace {

const std::string kPolicyDir = std::string(KERBSIDE_TEST_DATA) + "/../../deploy/windows/policy";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "$(string.X)" -> "X"
std::string Ref(const std::string& attr, const char* kind) {
  absl::string_view v = attr;
  if (!absl::ConsumePrefix(&v, std::string("$(") + kind + ".") || !absl::ConsumeSuffix(&v, ")")) {
    return "";
  }
  return std::string(v);
}

TEST(PolicyTemplatesTest, CommittedFilesAreWhatTheSettingsTableRenders) {
  auto files = RenderPolicyTemplates();
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(ReadFile(kPolicyDir + "/kerbside.admx"), files->admx)
      << "regenerate: kerbside-agent policy-templates --out deploy/windows/policy";
  EXPECT_EQ(ReadFile(kPolicyDir + "/en-US/kerbside.adml"), files->adml);
}

class CommittedTemplates : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(admx_.load_file((kPolicyDir + "/kerbside.admx").c_str())) << "not well-formed";
    ASSERT_TRUE(adml_.load_file((kPolicyDir + "/en-US/kerbside.adml").c_str()))
        << "not well-formed";
    for (auto s : adml_.select_nodes("//string")) strings_.insert(s.node().attribute("id").value());
    for (auto p : adml_.select_nodes("//presentation")) {
      presentations_[p.node().attribute("id").value()] = p.node();
    }
  }
  pugi::xml_document admx_, adml_;
  std::set<std::string> strings_;
  std::map<std::string, pugi::xml_node> presentations_;
};

TEST_F(CommittedTemplates, EveryReferencedStringPresentationAndCategoryExists) {
  std::set<std::string> categories;
  for (auto c : admx_.select_nodes("//category"))
    categories.insert(c.node().attribute("name").value());
  int references = 0;
  for (auto n : admx_.select_nodes("//*[@displayName or @explainText]")) {
    for (const char* attr : {"displayName", "explainText"}) {
      const std::string value = n.node().attribute(attr).value();
      if (value.empty()) continue;
      EXPECT_TRUE(strings_.count(Ref(value, "string"))) << attr << "=" << value;
      ++references;
    }
  }
  EXPECT_GT(references, 60);
  for (auto p : admx_.select_nodes("//parentCategory")) {
    EXPECT_TRUE(categories.count(p.node().attribute("ref").value()))
        << p.node().attribute("ref").value();
  }
  for (auto p : admx_.select_nodes("//policy[@presentation]")) {
    const std::string id = Ref(p.node().attribute("presentation").value(), "presentation");
    ASSERT_TRUE(presentations_.count(id)) << id;
    // Each element has its control in the presentation, and each control an element.
    std::set<std::string> elements, controls;
    for (pugi::xml_node e : p.node().child("elements").children())
      elements.insert(e.attribute("id").value());
    for (pugi::xml_node c : presentations_[id].children())
      controls.insert(c.attribute("refId").value());
    EXPECT_EQ(elements, controls) << id;
  }
}

TEST_F(CommittedTemplates, EveryExplanationNamesTheKbStepsItServes) {
  int explanations = 0;
  for (auto s : adml_.select_nodes("//string")) {
    if (!absl::EndsWith(s.node().attribute("id").value(), "_Explain")) continue;
    ++explanations;
    const std::string text = s.node().text().get();
    EXPECT_TRUE(absl::StrContains(text, "KB 979174")) << s.node().attribute("id").value();
    EXPECT_TRUE(
        absl::StrContains(text, "Registry value: HKLM\\SOFTWARE\\Policies\\Kerbside\\Agent\\"))
        << s.node().attribute("id").value();
  }
  EXPECT_EQ(explanations, static_cast<int>(PolicySettings().size()));
}

TEST_F(CommittedTemplates, EveryRegistryValueIsASettingTheAgentReadsWithItsType) {
  int policies = 0;
  for (auto p : admx_.select_nodes("//policy")) {
    const pugi::xml_node policy = p.node();
    ++policies;
    EXPECT_STREQ(policy.attribute("key").value(), kPolicyRegistryKey);
    EXPECT_STREQ(policy.attribute("class").value(), "Machine");
    if (policy.attribute("valueName")) {
      const ConfigKey* key = FindConfigKey(policy.attribute("valueName").value());
      ASSERT_NE(key, nullptr) << policy.attribute("valueName").value();
      EXPECT_TRUE(key->kind == ConfigKeyKind::kFlag || key->kind == ConfigKeyKind::kBoolean)
          << key->name << ": enabled/disabled DWORD for a setting that is no switch";
      continue;
    }
    for (pugi::xml_node e : policy.child("elements").children()) {
      const ConfigKey* key = FindConfigKey(e.attribute("valueName").value());
      ASSERT_NE(key, nullptr) << e.attribute("valueName").value();
      const std::string type = e.name();
      if (type == "multiText") {
        EXPECT_EQ(key->kind, ConfigKeyKind::kList) << key->name;
      } else {
        EXPECT_EQ(type, "text") << key->name;
        EXPECT_EQ(key->kind, ConfigKeyKind::kText) << key->name;
      }
    }
  }
  EXPECT_EQ(policies, static_cast<int>(PolicySettings().size()));
}

TEST(PolicyTemplatesTest, WhatThePoliciesWriteThePolicyReaderAccepts) {
  std::vector<PolicyValue> values;
  for (const PolicySetting& s : PolicySettings()) {
    const ConfigKey* key = FindConfigKey(s.key);
    ASSERT_NE(key, nullptr) << s.key;
    PolicyValue v;
    v.name = s.key;
    switch (key->kind) {
      case ConfigKeyKind::kText:
        v.type = PolicyValue::Type::kString;  // text: REG_SZ, or REG_EXPAND_SZ once expanded
        v.text = "x";
        break;
      case ConfigKeyKind::kList:
        v.type = PolicyValue::Type::kMultiString;  // multiText: REG_MULTI_SZ
        v.items = {"a", "b"};
        break;
      case ConfigKeyKind::kFlag:
      case ConfigKeyKind::kBoolean:
        v.type = PolicyValue::Type::kDword;  // enabledValue decimal 1
        v.dword = 1;
        break;
    }
    values.push_back(v);
  }
  AgentFlags flags;
  std::vector<std::string> applied;
  absl::Status s =
      ApplyPolicy(values, "HKLM\\SOFTWARE\\Policies\\Kerbside\\Agent", &flags, &applied);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(applied.size(), values.size());
}

TEST(PolicyTemplatesTest, PerHostLoopbackAndLinuxSettingsAreNoPolicies) {
  std::set<std::string> keys;
  for (const PolicySetting& s : PolicySettings()) {
    EXPECT_TRUE(keys.insert(s.key).second) << "twice: " << s.key;
  }
  for (const char* not_a_policy : {"plaintext", "netbios_name", "fqdn", "ip", "pdc_emulator",
                                   "keytab", "samba_bind_password_file", "host_folder"}) {
    EXPECT_FALSE(keys.count(not_a_policy)) << not_a_policy;
  }
  for (const char* main_setting : {"collector", "event_log", "host_tools", "directory", "kdc"}) {
    EXPECT_TRUE(keys.count(main_setting)) << main_setting;
  }
}

}  // namespace
}  // namespace kerbside::agent
