// The Windows agent's Kerberos codec (common/kerberos) against a real MIT KDC and libkrb5, run by
// probes_test.sh:
//  1. our AS-REQ, sent over UDP and TCP, is answered with the KRB-ERROR the KDC's database says
//     (6 C_PRINCIPAL_UNKNOWN for an unknown client, 25 PREAUTH_REQUIRED for a known one), and our
//     decoding of it agrees with krb5_rd_error field by field, the KDC's clock included;
//  2. the GSS-API token gss_init_sec_context makes for SMTPSVC@<peer> (what SSPI's Kerberos
//     package gives the Windows agent) yields the ticket's kvno and etype, equal to libkrb5's
//     reading of the same ticket and to the keytab's kvno.
// Prints one line per check; exits 1 on the first mismatch. --save DIR keeps the raw messages
// (how tests/data/kerberos/ was made).
//
//   kerberos_kdc_crosscheck KDC_HOST KDC_PORT REALM KNOWN_CLIENT SERVICE@HOST EXPECTED_KVNO [DIR]
// with KRB5_CONFIG pointing at the test's krb5.conf and KRB5CCNAME at a ccache holding
// KNOWN_CLIENT's TGT.
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/probes/net.h"
#include "common/clock.h"
#include "common/kerberos/krb_messages.h"

namespace {

using kerbside::kerberos::AsRequest;
using kerbside::kerberos::DecodeApReqTicket;
using kerbside::kerberos::DecodeKrbError;
using kerbside::kerberos::EncodeAsRequest;
using kerbside::kerberos::KrbMessageType;
namespace probes = kerbside::agent::probes;

std::string save_dir;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  std::exit(1);
}
void Ok(const std::string& what) { std::printf("ok: %s\n", what.c_str()); }
void Save(const std::string& name, const std::string& bytes) {
  if (save_dir.empty()) return;
  std::ofstream(save_dir + "/" + name, std::ios::binary) << bytes;
}

class RealClock : public kerbside::Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

void CheckAsExchange(krb5_context ctx, const probes::SocketAddress& kdc, bool tcp,
                     const std::string& realm, const std::string& client, int expected_error) {
  RealClock clock;
  AsRequest q;
  q.client = {1, absl::StrSplit(client, '/')};
  q.realm = realm;
  q.nonce = static_cast<uint32_t>(absl::ToUnixNanos(absl::Now()));
  q.till = absl::Now() + absl::Hours(10);
  const std::string request = EncodeAsRequest(q);
  const std::string how = absl::StrCat(tcp ? "TCP" : "UDP", " AS-REQ for ", client);
  probes::Exchange ex =
      tcp ? probes::TcpFramedExchange(kdc, probes::FrameTcp(request), clock, absl::Seconds(5))
          : probes::UdpExchange(kdc, request, clock, absl::Seconds(5));
  if (ex.result.outcome != probes::NetOutcome::kOk) Fail(absl::StrCat(how, ": ", ex.result.detail));
  if (KrbMessageType(ex.reply) != 30) Fail(absl::StrCat(how, ": the reply is not a KRB-ERROR"));
  auto ours = DecodeKrbError(ex.reply);
  if (!ours.ok()) Fail(absl::StrCat(how, ": ", ours.status().ToString()));
  krb5_data data{KV5M_DATA, static_cast<unsigned int>(ex.reply.size()),
                 const_cast<char*>(ex.reply.data())};
  krb5_error* theirs = nullptr;
  if (krb5_rd_error(ctx, &data, &theirs) != 0) Fail(absl::StrCat(how, ": krb5_rd_error failed"));
  char* sname = nullptr;
  krb5_unparse_name_flags(ctx, theirs->server, KRB5_PRINCIPAL_UNPARSE_NO_REALM, &sname);
  const absl::Time their_time = absl::FromUnixSeconds(static_cast<uint32_t>(theirs->stime)) +
                                absl::Microseconds(theirs->susec);
  const bool same =
      ours->error_code == static_cast<int32_t>(theirs->error) && ours->server_time == their_time &&
      ours->server_name.ToString() == sname &&
      ours->realm == std::string(theirs->server->realm.data, theirs->server->realm.length);
  const int code = ours->error_code;
  krb5_free_unparsed_name(ctx, sname);
  krb5_free_error(ctx, theirs);
  if (!same) Fail(absl::StrCat(how, ": our decoding differs from krb5_rd_error's"));
  if (code != expected_error) {
    Fail(absl::StrCat(how, ": KDC error ", code, ", expected ", expected_error,
                      " (did the KDC read our AS-REQ?)"));
  }
  if (absl::AbsDuration(ours->server_time - absl::Now()) > absl::Seconds(5)) {
    Fail(absl::StrCat(how, ": KDC time ", absl::FormatTime(ours->server_time), " is not now"));
  }
  Save(absl::StrCat("krb-error-", code == 25 ? "preauth-required" : "principal-unknown", ".der"),
       ex.reply);
  Ok(absl::StrCat(how, ": KRB-ERROR ", code, ", KDC time ", absl::FormatTime(ours->server_time),
                  ", the same as krb5_rd_error's"));
}

void CheckGssTicket(krb5_context ctx, const std::string& service, uint32_t expected_kvno) {
  OM_uint32 minor = 0;
  gss_buffer_desc name_buf{service.size(), const_cast<char*>(service.data())};
  gss_name_t target = GSS_C_NO_NAME;
  if (gss_import_name(&minor, &name_buf, GSS_C_NT_HOSTBASED_SERVICE, &target) != GSS_S_COMPLETE) {
    Fail("gss_import_name");
  }
  gss_ctx_id_t gctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc out{0, nullptr};
  const OM_uint32 major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &gctx, target,
                                               const_cast<gss_OID>(gss_mech_krb5),
                                               GSS_C_MUTUAL_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                               GSS_C_NO_BUFFER, nullptr, &out, nullptr, nullptr);
  if (GSS_ERROR(major)) Fail(absl::StrCat("gss_init_sec_context for ", service, ": ", major));
  const std::string token(static_cast<const char*>(out.value), out.length);
  gss_release_buffer(&minor, &out);
  gss_delete_sec_context(&minor, &gctx, GSS_C_NO_BUFFER);
  gss_release_name(&minor, &target);
  Save("gss-ap-req-smtpsvc.der", token);

  auto ours = DecodeApReqTicket(token);
  if (!ours.ok()) Fail(absl::StrCat("the GSS token: ", ours.status().ToString()));
  // libkrb5's reading of the same ticket, from the ccache gss_init_sec_context filled.
  krb5_ccache cc = nullptr;
  krb5_cc_default(ctx, &cc);
  krb5_principal me = nullptr, server = nullptr;
  krb5_cc_get_principal(ctx, cc, &me);
  const std::string host = service.substr(service.find('@') + 1);
  krb5_sname_to_principal(ctx, host.c_str(), service.substr(0, service.find('@')).c_str(),
                          KRB5_NT_SRV_HST, &server);
  krb5_creds in{}, *creds = nullptr;
  in.client = me;
  in.server = server;
  if (krb5_get_credentials(ctx, KRB5_GC_CACHED, cc, &in, &creds) != 0) {
    Fail("the service ticket is not in the ccache");
  }
  krb5_ticket* ticket = nullptr;
  krb5_decode_ticket(&creds->ticket, &ticket);
  const bool same = ours->kvno.has_value() && *ours->kvno == ticket->enc_part.kvno &&
                    ours->enctype == ticket->enc_part.enctype;
  const uint32_t kvno = ticket->enc_part.kvno;
  krb5_free_ticket(ctx, ticket);
  krb5_free_creds(ctx, creds);
  krb5_free_principal(ctx, server);
  krb5_free_principal(ctx, me);
  krb5_cc_close(ctx, cc);
  if (!same) Fail("the GSS token's ticket reads differently from krb5_decode_ticket's");
  if (kvno != expected_kvno) Fail(absl::StrCat("kvno ", kvno, ", the keytab says ", expected_kvno));
  Ok(absl::StrCat("GSS token for ", service, ": ticket for ", ours->server_name.ToString(), "@",
                  ours->realm, ", kvno ", *ours->kvno, ", etype ", ours->enctype,
                  ", the same as krb5_decode_ticket's and the keytab's"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr,
                 "usage: %s KDC_HOST KDC_PORT REALM KNOWN_CLIENT SERVICE@HOST EXPECTED_KVNO "
                 "[SAVE_DIR]\n",
                 argv[0]);
    return 2;
  }
  int port = 0;
  uint32_t kvno = 0;
  if (!absl::SimpleAtoi(argv[2], &port) || !absl::SimpleAtoi(argv[6], &kvno)) {
    Fail("KDC_PORT and EXPECTED_KVNO are numbers");
  }
  if (argc > 7) save_dir = argv[7];
  krb5_context ctx = nullptr;
  if (krb5_init_context(&ctx) != 0) Fail("krb5_init_context");
  auto kdc = probes::Resolve(argv[1], port);
  if (!kdc.ok()) Fail(kdc.status().ToString());
  for (bool tcp : {false, true}) {
    CheckAsExchange(ctx, *kdc, tcp, argv[3], "kerbside-probe", 6);
    CheckAsExchange(ctx, *kdc, tcp, argv[3], argv[4], 25);
  }
  CheckGssTicket(ctx, argv[5], kvno);
  krb5_free_context(ctx);
  return 0;
}
