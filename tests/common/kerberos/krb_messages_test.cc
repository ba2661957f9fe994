// The Kerberos codec against libkrb5's own encoders and decoders (the reference the Windows agent
// cannot link): KRB-ERRORs made by krb5_mk_error, AS-REQs read back by libkrb5's decoder, and
// AP-REQs made by krb5_mk_req_extended around a ticket encoded by libkrb5. The exchange with a
// real KDC is in tests/integration/probes_test.sh (kerberos_kdc_crosscheck).
#include "common/kerberos/krb_messages.h"

#include <krb5.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "common/kerberos/der.h"
#include "gtest/gtest.h"

// libkrb5 exports these (krb5_3_MIT) without declaring them in krb5.h.
extern "C" {
struct _krb5_kdc_req;
krb5_error_code decode_krb5_as_req(const krb5_data* code, struct _krb5_kdc_req** rep);
void krb5_free_kdc_req(krb5_context context, struct _krb5_kdc_req* val);
krb5_error_code encode_krb5_ticket(const krb5_ticket* rep, krb5_data** code);
}

namespace kerbside::kerberos {
namespace {

class Krb5 : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(krb5_init_context(&ctx_), 0); }
  void TearDown() override { krb5_free_context(ctx_); }
  krb5_principal Parse(const char* name) {
    krb5_principal p = nullptr;
    EXPECT_EQ(krb5_parse_name(ctx_, name, &p), 0) << name;
    return p;
  }
  krb5_context ctx_ = nullptr;
};

std::string Bytes(const krb5_data& d) { return std::string(d.data, d.length); }

TEST_F(Krb5, AKrbErrorFromLibkrb5ReadsTheSame) {
  krb5_error err{};
  err.magic = KV5M_ERROR;
  err.ctime = 1796000000;
  err.cusec = 123456;
  err.stime = 1796000600;  // the KDC ten minutes ahead
  err.susec = 654321;
  err.error = 25;  // KDC_ERR_PREAUTH_REQUIRED
  err.client = Parse("kerbside-probe@CONTOSO.COM");
  err.server = Parse("krbtgt/CONTOSO.COM@CONTOSO.COM");
  std::string text = "NEEDED_PREAUTH";
  err.text.data = text.data();
  err.text.length = text.size();
  std::string edata = "\x30\x00";
  err.e_data.data = edata.data();
  err.e_data.length = edata.size();
  krb5_data out{};
  ASSERT_EQ(krb5_mk_error(ctx_, &err, &out), 0);
  const std::string der = Bytes(out);
  krb5_free_data_contents(ctx_, &out);

  EXPECT_EQ(KrbMessageType(der), 30);
  auto e = DecodeKrbError(der);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->error_code, 25);
  EXPECT_EQ(e->server_time, absl::FromUnixSeconds(1796000600) + absl::Microseconds(654321));
  ASSERT_TRUE(e->client_time.has_value());
  EXPECT_EQ(*e->client_time, absl::FromUnixSeconds(1796000000) + absl::Microseconds(123456));
  EXPECT_EQ(e->client_realm, "CONTOSO.COM");
  ASSERT_TRUE(e->client_name.has_value());
  EXPECT_EQ(e->client_name->ToString(), "kerbside-probe");
  EXPECT_EQ(e->realm, "CONTOSO.COM");
  EXPECT_EQ(e->server_name.ToString(), "krbtgt/CONTOSO.COM");
  EXPECT_EQ(e->e_text, "NEEDED_PREAUTH");
  EXPECT_EQ(e->e_data, edata);

  // Every truncation is refused with an error, never read past its end.
  for (size_t n = 0; n < der.size(); ++n) {
    EXPECT_FALSE(DecodeKrbError(der.substr(0, n)).ok()) << n;
  }
  krb5_free_principal(ctx_, err.client);
  krb5_free_principal(ctx_, err.server);
}

TEST_F(Krb5, AKrbErrorWithoutOptionalFieldsAndAfter2038) {
  krb5_error err{};
  err.magic = KV5M_ERROR;
  // krb5_timestamp is 32 bits; MIT reads it unsigned, so this is 2038-01-19T03:14:08Z + 16 s.
  err.stime = static_cast<krb5_timestamp>(0x80000010u);
  err.susec = 0;
  err.error = 6;  // KDC_ERR_C_PRINCIPAL_UNKNOWN
  err.server = Parse("krbtgt/LAB.TEST@LAB.TEST");
  krb5_data out{};
  ASSERT_EQ(krb5_mk_error(ctx_, &err, &out), 0);
  auto e = DecodeKrbError(Bytes(out));
  krb5_free_data_contents(ctx_, &out);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->error_code, 6);
  EXPECT_EQ(e->server_time, absl::FromUnixSeconds(int64_t{0x80000010}));
  EXPECT_FALSE(e->client_time.has_value());
  EXPECT_FALSE(e->client_name.has_value());
  EXPECT_TRUE(e->e_text.empty());
  krb5_free_principal(ctx_, err.server);
}

TEST_F(Krb5, OurAsRequestIsReadByLibkrb5) {
  AsRequest q;
  q.client = {1, {"kerbside-probe"}};
  q.realm = "CONTOSO.COM";
  q.nonce = 0x9abcdef1;  // the top bit is cleared: MIT reads the nonce as a signed Int32
  q.till = absl::FromUnixSeconds(1796086400);
  const std::string der = EncodeAsRequest(q);
  EXPECT_EQ(static_cast<uint8_t>(der[0]), 0x6a);  // [APPLICATION 10]
  krb5_data in{KV5M_DATA, static_cast<unsigned int>(der.size()), const_cast<char*>(der.data())};
  _krb5_kdc_req* req = nullptr;
  EXPECT_EQ(decode_krb5_as_req(&in, &req), 0);
  if (req != nullptr) krb5_free_kdc_req(ctx_, req);
  // Not a KRB-ERROR, and our reader says why.
  auto not_error = DecodeKrbError(der);
  ASSERT_FALSE(not_error.ok());
  EXPECT_NE(not_error.status().message().find("KRB-ERROR"), std::string::npos);
}

TEST_F(Krb5, TheTicketOfAnApRequestFromLibkrb5ReadsTheSame) {
  // A ticket as the KDC would issue it for SMTPSVC/ex02 (its cipher is opaque to us).
  krb5_ticket ticket{};
  ticket.magic = KV5M_TICKET;
  ticket.server = Parse("SMTPSVC/ex02.contoso.com@CONTOSO.COM");
  ticket.enc_part.magic = KV5M_ENC_DATA;
  ticket.enc_part.enctype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
  ticket.enc_part.kvno = 7;
  std::string cipher(64, '\x42');
  ticket.enc_part.ciphertext.data = cipher.data();
  ticket.enc_part.ciphertext.length = cipher.size();
  krb5_data* ticket_der = nullptr;
  ASSERT_EQ(encode_krb5_ticket(&ticket, &ticket_der), 0);

  krb5_creds creds{};
  creds.client = Parse("EX01$@CONTOSO.COM");
  creds.server = ticket.server;
  creds.ticket = *ticket_der;
  creds.times.endtime = 0x7fffffff;
  ASSERT_EQ(krb5_c_make_random_key(ctx_, ENCTYPE_AES256_CTS_HMAC_SHA1_96, &creds.keyblock), 0);
  krb5_auth_context auth = nullptr;
  krb5_data ap_req{};
  ASSERT_EQ(krb5_mk_req_extended(ctx_, &auth, AP_OPTS_MUTUAL_REQUIRED, nullptr, &creds, &ap_req),
            0);

  auto info = DecodeApReqTicket(Bytes(ap_req));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->realm, "CONTOSO.COM");
  EXPECT_EQ(info->server_name.ToString(), "SMTPSVC/ex02.contoso.com");
  EXPECT_EQ(info->enctype, ENCTYPE_AES256_CTS_HMAC_SHA1_96);
  ASSERT_TRUE(info->kvno.has_value());
  EXPECT_EQ(*info->kvno, 7u);

  // The same AP-REQ in a GSS-API initial context token (RFC 4121 §4.1).
  const std::string inner =
      std::string("\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01\x00", 13) + Bytes(ap_req);
  const std::string gss = DerTlv(TagClass::kApplication, true, 0, inner);
  auto wrapped = DecodeApReqTicket(gss);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(*wrapped->kvno, 7u);
  // Another mechanism's token is refused by name.
  std::string spnego = gss;
  spnego[4] = '\x2b';
  auto other = DecodeApReqTicket(spnego);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("GSS token mech"), std::string::npos);

  krb5_free_data_contents(ctx_, &ap_req);
  krb5_auth_con_free(ctx_, auth);
  krb5_free_keyblock_contents(ctx_, &creds.keyblock);
  krb5_free_principal(ctx_, creds.client);
  krb5_free_data(ctx_, ticket_der);
  krb5_free_principal(ctx_, ticket.server);
}

std::string Sample(const std::string& name) {
  std::ifstream in(std::string(KERBSIDE_TEST_DATA) + "/kerberos/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(RealKdcSamplesTest, KrbErrorsFromMitKrb5kdc) {
  auto unknown = DecodeKrbError(Sample("krb-error-principal-unknown.der"));
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->error_code, 6);
  EXPECT_EQ(unknown->realm, "LAB.TEST");
  EXPECT_EQ(unknown->server_name, (PrincipalName{2, {"krbtgt", "LAB.TEST"}}));
  // stime 20261206090737Z plus susec.
  EXPECT_EQ(absl::FormatTime("%Y%m%d%H%M%S", unknown->server_time, absl::UTCTimeZone()),
            "20261206090737");

  auto preauth = DecodeKrbError(Sample("krb-error-preauth-required.der"));
  ASSERT_TRUE(preauth.ok()) << preauth.status();
  EXPECT_EQ(preauth->error_code, 25);
  ASSERT_TRUE(preauth->client_name.has_value());
  EXPECT_EQ(preauth->client_name->ToString(), "host/ex01.lab.test");
  EXPECT_EQ(preauth->client_realm, "LAB.TEST");
  EXPECT_FALSE(preauth->e_data.empty());  // METHOD-DATA: the pre-authentication types offered
}

TEST(RealKdcSamplesTest, TheTicketInAGssTokenFromMitGssapi) {
  auto info = DecodeApReqTicket(Sample("gss-ap-req-smtpsvc.der"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->server_name, (PrincipalName{3, {"SMTPSVC", "ex02.lab.test"}}));  // NT-SRV-HST
  EXPECT_EQ(info->realm, "LAB.TEST");
  EXPECT_EQ(info->enctype, 18);
  EXPECT_EQ(info->kvno, 3u);
}

TEST(DerTest, IntegersAreMinimalAndReadBack) {
  for (int64_t v : {int64_t{0}, int64_t{127}, int64_t{128}, int64_t{-1}, int64_t{-129},
                    int64_t{0x7fffffff}, int64_t{0xffffffff}, int64_t{-2147483648LL}}) {
    const std::string der = DerIntegerOf(v);
    DerReader r(der);
    auto e = r.Next();
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(*DerInteger(*e, "n"), v);
  }
  EXPECT_EQ(DerIntegerOf(127), std::string("\x02\x01\x7f", 3));
  EXPECT_EQ(DerIntegerOf(128), std::string("\x02\x02\x00\x80", 4));
  EXPECT_EQ(DerIntegerOf(-129), std::string("\x02\x02\xff\x7f", 4));
}

TEST(DerTest, WhatDerForbidsIsRefused) {
  for (const std::string& bad : {std::string("\x30\x80\x00\x00", 4),                  // indefinite
                                 std::string("\x30\x81\x05\x00\x00\x00\x00\x00", 8),  // long < 128
                                 std::string("\x30\x82\x00\x01\x00", 5),             // leading zero
                                 std::string("\x30\x05\x00", 3),                     // past the end
                                 std::string("\x1f\x80\x80\x80\x80\x01\x00", 7)}) {  // huge tag
    DerReader r(bad);
    EXPECT_FALSE(r.Next().ok());
  }
}

TEST(DerTest, KerberosTimesAreExactlyRfc4120) {
  const absl::Time t = absl::FromUnixSeconds(1796000000);
  const std::string der = DerKerberosTimeOf(t);
  EXPECT_EQ(der.substr(2), "20261130005320Z");
  DerReader r(der);
  EXPECT_EQ(*DerKerberosTime(*r.Next(), "t"), t);
  for (const char* bad :
       {"20261302073320Z", "2026120207332Z", "20261202073320+0100", "2026120207332OZ"}) {
    const std::string e = DerTlv(TagClass::kUniversal, false, kGeneralizedTime, bad);
    DerReader rb(e);
    EXPECT_FALSE(DerKerberosTime(*rb.Next(), "t").ok()) << bad;
  }
}

}  // namespace
}  // namespace kerbside::kerberos
