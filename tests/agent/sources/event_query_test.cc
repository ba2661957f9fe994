#include "agent/sources/event_query.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pugixml.hpp"

namespace kerbside::agent {
namespace {

struct Parsed {
  pugi::xml_document doc;
  std::vector<std::string> SelectsOf(const std::string& channel) const {
    std::vector<std::string> out;
    for (pugi::xml_node q : doc.child("QueryList").children("Query")) {
      if (channel != q.attribute("Path").value()) continue;
      for (pugi::xml_node s : q.children("Select")) {
        EXPECT_STREQ(s.attribute("Path").value(), channel.c_str());
        out.push_back(s.text().get());
      }
    }
    return out;
  }
};

void Parse(const std::string& xml, Parsed* p) {
  pugi::xml_parse_result r = p->doc.load_string(xml.c_str());
  ASSERT_TRUE(r) << r.description() << "\n" << xml;
}

bool AnyHas(const std::vector<std::string>& selects, const std::string& text) {
  for (const auto& s : selects) {
    if (s.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(EventQueryListTest, AnExchangeServerReadsTransportKerberosTimeAndNetlogon) {
  Parsed p;
  Parse(EventQueryList(v1::ROLE_EXCHANGE, absl::Hours(24)), &p);
  auto app = p.SelectsOf("Application");
  ASSERT_EQ(app.size(), 1u);
  EXPECT_NE(app[0].find("@Name='MSExchangeFrontEndTransport'"), std::string::npos);
  EXPECT_NE(app[0].find("EventID=1035"), std::string::npos);
  auto system = p.SelectsOf("System");
  EXPECT_TRUE(AnyHas(system, "@Name='Microsoft-Windows-Security-Kerberos'"));
  EXPECT_TRUE(AnyHas(system, "EventID=5719"));
  EXPECT_TRUE(AnyHas(system, "@Name='Microsoft-Windows-Time-Service'"));
  EXPECT_FALSE(AnyHas(system, "EventID=11)"));  // KDC events exist only on DCs
  EXPECT_TRUE(p.SelectsOf("Security").empty());
  EXPECT_TRUE(p.SelectsOf("Directory Service").empty());
  // Query ids are distinct, one query per channel.
  std::vector<std::string> ids;
  for (pugi::xml_node q : p.doc.child("QueryList").children("Query")) {
    ids.push_back(q.attribute("Id").value());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"0", "1"}));
}

TEST(EventQueryListTest, ADcReadsAuditFailuresOnlyAndReplication) {
  Parsed p;
  Parse(EventQueryList(v1::ROLE_DC, absl::Hours(24)), &p);
  auto security = p.SelectsOf("Security");
  ASSERT_EQ(security.size(), 1u);
  EXPECT_NE(security[0].find("EventID=4769"), std::string::npos);
  // 0x10000000000000: Audit Failure.
  EXPECT_NE(security[0].find("band(Keywords,4503599627370496)"), std::string::npos);
  auto ds = p.SelectsOf("Directory Service");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_NE(ds[0].find("EventID=2042"), std::string::npos);
  EXPECT_EQ(ds[0].find("Provider["), std::string::npos);
  EXPECT_TRUE(AnyHas(p.SelectsOf("System"), "EventID=11)"));
  EXPECT_TRUE(p.SelectsOf("Application").empty());
}

TEST(EventQueryListTest, EverySelectReachesBackNoFurtherThanTheLookback) {
  Parsed p;
  Parse(EventQueryList(v1::ROLE_DC, absl::Hours(6)), &p);
  int selects = 0;
  for (pugi::xml_node q : p.doc.child("QueryList").children("Query")) {
    for (pugi::xml_node s : q.children("Select")) {
      ++selects;
      EXPECT_NE(std::string(s.text().get()).find("timediff(@SystemTime) <= 21600000"),
                std::string::npos)
          << s.text().get();
    }
  }
  EXPECT_EQ(selects, 6);
}

}  // namespace
}  // namespace kerbside::agent
