// The one table of causes: every rule's cause is in it (so labels, metrics and KB references
// cannot miss one), ids are unique, and only out_of_scope does not page.
#include "collector/correlator/causes.h"

#include <set>
#include <string>

#include "collector/correlator/diagnosis.h"
#include "collector/correlator/rules/rule.h"
#include "gtest/gtest.h"

namespace kerbside::correlator {
namespace {

TEST(CausesTest, EveryRuleHasAnEntryWithLabelAndKbReference) {
  for (const Rule* rule : Rules()) {
    const CauseInfo& c = CauseFor(rule->cause());
    EXPECT_STREQ(c.id, rule->cause());
    EXPECT_NE(std::string(c.label), "") << rule->cause();
    EXPECT_NE(std::string(c.kb).find("KB 97917"), std::string::npos) << rule->cause();
  }
  EXPECT_STREQ(CauseFor(kUnexplained).kb, "KB 979174 step 5");
}

TEST(CausesTest, IdsAreUniqueAndOnlyOutOfScopeDoesNotPage) {
  std::set<std::string> ids;
  for (const CauseInfo& c : Causes()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_EQ(c.pages, std::string(c.id) != kOutOfScope) << c.id;
  }
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_STREQ(CauseFor("from_a_newer_collector").id, "unknown");
}

}  // namespace
}  // namespace kerbside::correlator
