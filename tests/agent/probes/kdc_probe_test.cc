#include "agent/probes/kdc_probe.h"

#include <profile.h>

#include "agent/probes/krb5_util.h"
#include "agent/probes/net.h"
#include "agent/probes/ticket_probe.h"
#include "common/clock.h"
#include "common/proto_time.h"
#include "gtest/gtest.h"

namespace kerbside::agent::probes {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1795766400);  // 2026-11-27T08:00:00Z

TEST(KdcClockReadingTest, HostAheadIsPositiveAndUncertaintyIsHalfTheRoundTrip) {
  ManualClock clock(kT0);
  const absl::Time sent = clock.Now();
  clock.Advance(absl::Milliseconds(40));
  const absl::Time received = clock.Now();
  // The KDC stamped its reply 600 s behind this host's midpoint (sent + 20 ms).
  const absl::Time kdc = sent + absl::Milliseconds(20) - absl::Seconds(600);
  v1::ClockReading r = KdcClockReading(sent, received, kdc, "dc01");
  EXPECT_EQ(r.method(), v1::ClockReading::KDC_ERROR_TIME);
  EXPECT_EQ(r.reference(), "dc01");
  EXPECT_EQ(FromProto(r.offset()), absl::Seconds(600));
  EXPECT_EQ(FromProto(r.uncertainty()), absl::Milliseconds(20));
  EXPECT_EQ(FromProto(r.delay()), absl::Milliseconds(40));
  EXPECT_EQ(FromProto(r.measured_at()), received);
}

TEST(KdcClockReadingTest, KdcAheadIsNegative) {
  v1::ClockReading r =
      KdcClockReading(kT0, kT0 + absl::Milliseconds(2), kT0 + absl::Seconds(90), "dc01");
  EXPECT_EQ(FromProto(r.offset()), absl::Milliseconds(1) - absl::Seconds(90));
}

TEST(KdcClockReadingTest, ClockSteppedBackDuringTheExchangeGivesZeroDelay) {
  v1::ClockReading r = KdcClockReading(kT0, kT0 - absl::Seconds(1), kT0, "dc01");
  EXPECT_EQ(FromProto(r.delay()), absl::ZeroDuration());
  EXPECT_EQ(FromProto(r.offset()), absl::ZeroDuration());
}

class KrbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = KrbContext::Create(BaseRelations("LAB.TEST", {"127.0.0.1:8888"}));
    ASSERT_TRUE(c.ok()) << c.status();
    ctx_ = std::make_unique<KrbContext>(std::move(*c));
  }
  // A KRB-ERROR as a KDC would send it.
  std::string MakeError(int number, absl::Time kdc_time) {
    krb5_error err{};
    err.error = number;
    const int64_t secs = absl::ToUnixSeconds(kdc_time);
    err.stime = static_cast<krb5_timestamp>(secs);
    err.susec =
        static_cast<krb5_int32>(absl::ToInt64Microseconds(kdc_time - absl::FromUnixSeconds(secs)));
    krb5_parse_name(ctx_->get(), "krbtgt/LAB.TEST@LAB.TEST", &err.server);
    krb5_data out{};
    EXPECT_EQ(krb5_mk_error(ctx_->get(), &err, &out), 0);
    std::string der(out.data, out.length);
    krb5_free_data_contents(ctx_->get(), &out);
    krb5_free_principal(ctx_->get(), err.server);
    return der;
  }
  std::unique_ptr<KrbContext> ctx_;
};

TEST_F(KrbTest, ProfileComesFromKerbsideNotFromFiles) {
  profile_t p = nullptr;
  ASSERT_EQ(krb5_get_profile(ctx_->get(), &p), 0);
  int timesync = -1;
  profile_get_integer(p, "libdefaults", "kdc_timesync", nullptr, 1, &timesync);
  EXPECT_EQ(timesync, 0);
  char* kdc = nullptr;
  profile_get_string(p, "realms", "LAB.TEST", "kdc", nullptr, &kdc);
  ASSERT_NE(kdc, nullptr);
  EXPECT_STREQ(kdc, "127.0.0.1:8888");
  profile_release_string(kdc);
  profile_release(p);
  char* realm = nullptr;
  ASSERT_EQ(krb5_get_default_realm(ctx_->get(), &realm), 0);
  EXPECT_STREQ(realm, "LAB.TEST");
  krb5_free_default_realm(ctx_->get(), realm);
}

TEST(AsRequestTest, BuildsAnAsRequestWithoutCredentials) {
  auto req = BuildAsRequest("kerbside-probe@LAB.TEST", 42, kT0);
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_GT(req->size(), 50u);
  EXPECT_EQ(static_cast<unsigned char>((*req)[0]), 0x6a);  // [APPLICATION 10] AS-REQ
  EXPECT_TRUE(BuildAsRequest("host/ex01.lab.test@LAB.TEST", 42, kT0).ok());
  for (const char* bad : {"kerbside-probe", "@LAB.TEST", "kerbside-probe@", "host//x@LAB.TEST"}) {
    auto r = BuildAsRequest(bad, 42, kT0);
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << bad;
  }
}

TEST_F(KrbTest, KrbErrorGivesCodeNameAndKdcClock) {
  const absl::Time sent = kT0;
  const absl::Time received = kT0 + absl::Milliseconds(4);
  const absl::Time kdc =
      kT0 + absl::Milliseconds(2) - absl::Seconds(600) + absl::Microseconds(123456);
  v1::KdcProbe p;
  p.set_kdc("dc01");
  InterpretKdcReply(MakeError(25, kdc), sent, received, &p);
  EXPECT_EQ(p.outcome(), v1::KdcProbe::ANSWERED);
  EXPECT_EQ(p.krb_error_code(), 25);
  EXPECT_EQ(p.krb_error_name(), "KDC_ERR_PREAUTH_REQUIRED");
  EXPECT_NE(p.detail().find("pre-authentication"), std::string::npos) << p.detail();
  ASSERT_TRUE(p.has_kdc_clock());
  EXPECT_EQ(FromProto(p.kdc_clock().offset()), absl::Seconds(600) - absl::Microseconds(123456));
  EXPECT_EQ(FromProto(p.kdc_clock().uncertainty()), absl::Milliseconds(2));
  EXPECT_EQ(p.kdc_clock().reference(), "dc01");
}

TEST_F(KrbTest, GarbageIsAnError) {
  v1::KdcProbe p;
  InterpretKdcReply("HTTP/1.1 400 Bad Request", kT0, kT0, &p);
  EXPECT_EQ(p.outcome(), v1::KdcProbe::ERROR);
  EXPECT_FALSE(p.has_kdc_clock());
}

TEST_F(KrbTest, KpasswdReplyWithKrbError) {
  const std::string err = MakeError(41, kT0);
  std::string reply;
  const size_t len = 6 + err.size();
  reply += static_cast<char>(len >> 8);
  reply += static_cast<char>(len & 0xff);
  reply += std::string("\x00\x01\x00\x00", 4);
  reply += err;
  v1::KdcProbe p;
  InterpretKpasswdReply(reply, &p);
  EXPECT_EQ(p.outcome(), v1::KdcProbe::ANSWERED);
  EXPECT_EQ(p.krb_error_code(), 41);
  EXPECT_NE(p.detail().find("kpasswd service answered: KRB_AP_ERR_MODIFIED (41)"),
            std::string::npos)
      << p.detail();
  EXPECT_EQ(KpasswdProbeRequest().size(), 6u);
  v1::KdcProbe short_reply;
  InterpretKpasswdReply("\x00\x02", &short_reply);
  EXPECT_EQ(short_reply.outcome(), v1::KdcProbe::ERROR);
}

TEST_F(KrbTest, StatusKeepsTheNativeCode) {
  absl::Status s = KrbStatus(ctx_->get(), KRB5_KDC_UNREACH, "getting a TGT");
  EXPECT_TRUE(absl::IsUnavailable(s));
  EXPECT_EQ(KrbCodeOf(s), KRB5_KDC_UNREACH);
  EXPECT_NE(s.message().find("Cannot contact any KDC"), std::string::npos) << s;
  EXPECT_EQ(ProtocolErrorNumber(ERROR_TABLE_BASE_krb5 + 7), 7);
  EXPECT_EQ(ProtocolErrorNumber(KRB5_KDC_UNREACH), -1);
  EXPECT_EQ(KrbErrorName(37), "KRB_AP_ERR_SKEW");
  EXPECT_EQ(KrbErrorName(99), "KRB_ERR_99");
  EXPECT_EQ(EnctypeName(18), "aes256-cts-hmac-sha1-96");
}

TEST(TraceTest, KdcFromTraceLine) {
  EXPECT_EQ(KdcFromTraceLine(
                "[20843] 1795767015.572195: Received answer (247 bytes) from dgram 10.0.0.1:88"),
            "10.0.0.1:88");
  EXPECT_EQ(KdcFromTraceLine("Received answer (9 bytes) from stream [::1]:88"), "[::1]:88");
  EXPECT_EQ(KdcFromTraceLine("Sending request (191 bytes) to LAB.TEST"), "");
}

TEST(NetTest, ParseHostPort) {
  auto a = ParseHostPort("dc01.contoso.com", 88);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "dc01.contoso.com");
  EXPECT_EQ(a->port, 88);
  auto b = ParseHostPort("10.1.1.10:1088", 88);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->port, 1088);
  auto c = ParseHostPort("[fe80::1]:89", 88);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "fe80::1");
  EXPECT_EQ(c->port, 89);
  auto d = ParseHostPort("fe80::1", 88);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "fe80::1");
  EXPECT_FALSE(ParseHostPort("dc01:0", 88).ok());
  EXPECT_FALSE(ParseHostPort("dc01:x", 88).ok());
  EXPECT_FALSE(ParseHostPort("", 88).ok());
  EXPECT_EQ(FormatHostPort("::1", 88), "[::1]:88");
}

TEST(NetTest, DeadlineFollowsTheInjectedClockAndNeverExceedsTheTimeout) {
  ManualClock clock(kT0);
  Deadline d(clock, absl::Seconds(2));
  EXPECT_EQ(d.PollMs(), 2000);
  clock.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(d.PollMs(), 500);
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(d.PollMs(), 0);
  clock.Set(kT0 - absl::Hours(1));  // the wall clock stepped back: still at most 2 s
  EXPECT_EQ(d.PollMs(), 2000);
}

}  // namespace
}  // namespace kerbside::agent::probes
