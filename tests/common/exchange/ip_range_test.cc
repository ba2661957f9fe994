#include "common/exchange/ip_range.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kerbside::exchange {
namespace {

v1::IpRange Range(const char* text) {
  auto r = ParseIpRange(text);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : v1::IpRange();
}

TEST(IpAddressTest, ParsesAndFormatsBothFamilies) {
  EXPECT_EQ(ParseIpAddress("10.1.1.5"), std::string("\x0a\x01\x01\x05", 4));
  EXPECT_EQ(FormatIpAddress(*ParseIpAddress("fe80:0:0:0:0:0:0:1%12")), "fe80::1");
  EXPECT_EQ(FormatIpAddress(*ParseIpAddress("::")), "::");
  EXPECT_EQ(FormatIpAddress(*ParseIpAddress("2001:db8::10.1.1.5")), "2001:db8::a01:105");
  EXPECT_FALSE(ParseIpAddress("10.1.1"));
  EXPECT_FALSE(ParseIpAddress("10.1.1.256"));
  EXPECT_FALSE(ParseIpAddress("10.1.1.5."));
  EXPECT_FALSE(ParseIpAddress("10..1.5"));
  EXPECT_FALSE(ParseIpAddress(".10.1.1"));
  EXPECT_FALSE(ParseIpAddress("10.1.1.1.1"));
  EXPECT_FALSE(ParseIpAddress("10.1.1.0005"));
  EXPECT_FALSE(ParseIpAddress("ex01.contoso.com"));
  EXPECT_EQ(ParseIpAddress("010.001.1.0"), std::string("\x0a\x01\x01\x00", 4));
  EXPECT_FALSE(ParseIpAddress("1::2::3"));
  EXPECT_FALSE(ParseIpAddress("2a0X:3cXX::25"));
  EXPECT_FALSE(ParseIpAddress(""));
}

TEST(IpRangeTest, AllExchangeFormsGiveBoundsAndSize) {
  const v1::IpRange single = Range("10.1.1.5");
  EXPECT_EQ(IpRangeSize(single), 1);
  const v1::IpRange cidr = Range("10.1.1.77/24");  // host bits are masked off
  EXPECT_EQ(FormatIpAddress(cidr.first()), "10.1.1.0");
  EXPECT_EQ(FormatIpAddress(cidr.last()), "10.1.1.255");
  EXPECT_EQ(cidr.text(), "10.1.1.77/24");
  EXPECT_EQ(IpRangeSize(cidr), 256);
  const v1::IpRange lohi = Range("10.1.1.10-10.1.1.20");
  EXPECT_EQ(IpRangeSize(lohi), 11);
  const v1::IpRange mask = Range("10.1.2.0(255.255.255.0)");
  EXPECT_EQ(IpRangeSize(mask), 256);
  EXPECT_EQ(IpRangeSize(Range("0.0.0.0-255.255.255.255")), absl::uint128(1) << 32);
  EXPECT_EQ(IpRangeSize(Range("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), absl::Uint128Max());
  EXPECT_EQ(IpRangeSize(Range("2001:db8::/64")), absl::uint128(1) << 64);
  EXPECT_EQ(IpRangeSize(Range("0.0.0.0/0")), absl::uint128(1) << 32);
  // Specificity order used to pick a connector: single < CIDR/range < everything.
  EXPECT_LT(IpRangeSize(single), IpRangeSize(cidr));
  EXPECT_LT(IpRangeSize(cidr), IpRangeSize(Range("0.0.0.0-255.255.255.255")));
}

TEST(IpRangeTest, ContainsMatchesFamiliesAndMappedAddresses) {
  const v1::IpRange cidr = Range("10.1.1.0/24");
  EXPECT_TRUE(IpRangeContains(cidr, "10.1.1.12"));
  EXPECT_TRUE(IpRangeContains(cidr, "::ffff:10.1.1.12"));
  EXPECT_FALSE(IpRangeContains(cidr, "10.1.2.12"));
  EXPECT_FALSE(IpRangeContains(cidr, "fe80::1"));
  EXPECT_FALSE(IpRangeContains(cidr, "not-an-ip"));
  EXPECT_TRUE(IpRangeContains(Range("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "fe80::1"));
  EXPECT_TRUE(IpRangeContains(Range("10.1.1.10-10.1.1.20"), "10.1.1.20"));
  EXPECT_FALSE(IpRangeContains(Range("10.1.1.10-10.1.1.20"), "10.1.1.21"));
}

TEST(IpRangeTest, RejectsMalformedRanges) {
  EXPECT_FALSE(ParseIpRange("10.1.1.20-10.1.1.10").ok());  // reversed
  EXPECT_FALSE(ParseIpRange("10.1.1.0/33").ok());
  EXPECT_FALSE(ParseIpRange("10.1.1.0-::1").ok());
  EXPECT_FALSE(ParseIpRange("10.1.1.0(255.0.255.0)").ok());  // non-contiguous mask
  EXPECT_FALSE(ParseIpRange("192.168.xx.xx").ok());
  EXPECT_FALSE(ParseIpRange("").ok());
}

TEST(BindingTest, ParsesIpv4Ipv6AndBareForms) {
  auto a = ParseBinding("0.0.0.0:25");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->address(), "0.0.0.0");
  EXPECT_EQ(a->port(), 25);
  auto b = ParseBinding("[::]:2525");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->address(), "::");
  EXPECT_EQ(b->port(), 2525);
  auto c = ParseBinding(":::717");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->address(), "::");
  EXPECT_EQ(c->port(), 717);
  EXPECT_FALSE(ParseBinding("0.0.0.0").ok());
  EXPECT_FALSE(ParseBinding("[::]:70000").ok());
  EXPECT_FALSE(ParseBinding("host:25").ok());
}

}  // namespace
}  // namespace kerbside::exchange
