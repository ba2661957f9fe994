#include "agent/probes/ticket_probe.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/krb5_util.h"
#include "common/proto_time.h"

namespace kerbside::agent::probes {
namespace {

std::string UnparseName(krb5_context ctx, krb5_const_principal p) {
  char* name = nullptr;
  if (krb5_unparse_name(ctx, p, &name) != 0) return "?";
  std::string out = name;
  krb5_free_unparsed_name(ctx, name);
  return out;
}

void FillError(const absl::Status& s, v1::TicketProbe* t) {
  t->set_ok(false);
  t->set_error_message(std::string(s.message()));
  if (auto code = KrbCodeOf(s)) {
    const int number = ProtocolErrorNumber(*code);
    if (number >= 0) {
      t->set_krb_error_code(number);
      t->set_krb_error_name(KrbErrorName(number));
    } else {
      t->set_krb_error_code(*code);  // a local libkrb5 code, e.g. KRB5_KDC_UNREACH
    }
  }
}

}  // namespace

std::string KdcFromTraceLine(const std::string& line) {
  // MIT 1.20: "[pid] time: Received answer (123 bytes) from stream 127.0.0.1:88" (or dgram).
  const size_t at = line.find("Received answer (");
  if (at == std::string::npos) return "";
  const size_t from = line.find(" from ", at);
  if (from == std::string::npos) return "";
  std::string addr = line.substr(from + 6);
  for (const char* prefix : {"stream ", "dgram ", "https "}) {
    if (absl::StartsWith(addr, prefix)) addr = addr.substr(strlen(prefix));
  }
  while (!addr.empty() && (addr.back() == '\n' || addr.back() == ' ')) addr.pop_back();
  return addr;
}

void KerberosClient::Trace(krb5_context, const krb5_trace_info* info, void* data) {
  if (info == nullptr) return;  // the callback is being replaced
  // KRB5_TRACE is replaced by this callback; KERBSIDE_KRB5_TRACE=1 shows libkrb5's trace.
  static const bool echo = std::getenv("KERBSIDE_KRB5_TRACE") != nullptr;
  if (echo) std::fprintf(stderr, "krb5: %s\n", info->message);
  std::string kdc = KdcFromTraceLine(info->message);
  if (!kdc.empty()) static_cast<KerberosClient*>(data)->last_kdc_ = kdc;
}

absl::StatusOr<std::unique_ptr<KerberosClient>> KerberosClient::Login(
    const TicketProbeOptions& options, std::string* kdc) {
  ProfileRelations rel = BaseRelations(options.realm, options.kdcs);
  if (options.prefer_tcp) rel.push_back({{"libdefaults", "udp_preference_limit"}, "1"});
  auto ctx = KrbContext::Create(rel);
  if (!ctx.ok()) return ctx.status();
  std::unique_ptr<KerberosClient> c(new KerberosClient());
  c->ctx_ = ctx->release();
  krb5_set_trace_callback(c->ctx_, &KerberosClient::Trace, c.get());
  krb5_context k = c->ctx_;

  krb5_keytab keytab = nullptr;
  if (krb5_error_code rc = krb5_kt_resolve(k, options.keytab.c_str(), &keytab); rc != 0) {
    return KrbStatus(k, rc, absl::StrCat("keytab '", options.keytab, "'"));
  }
  krb5_error_code rc = 0;
  if (!options.client_principal.empty()) {
    rc = krb5_parse_name(k, options.client_principal.c_str(), &c->client_);
    if (rc != 0) {
      krb5_kt_close(k, keytab);
      return KrbStatus(k, rc, absl::StrCat("principal '", options.client_principal, "'"));
    }
  } else {
    // The first entry of the keytab, as `kinit -k` without a name would not guess it for us.
    krb5_kt_cursor cursor;
    krb5_keytab_entry entry;
    rc = krb5_kt_start_seq_get(k, keytab, &cursor);
    if (rc == 0) {
      rc = krb5_kt_next_entry(k, keytab, &entry, &cursor);
      if (rc == 0) {
        krb5_copy_principal(k, entry.principal, &c->client_);
        krb5_free_keytab_entry_contents(k, &entry);
      }
      krb5_kt_end_seq_get(k, keytab, &cursor);
    }
    if (rc != 0) {
      krb5_kt_close(k, keytab);
      return KrbStatus(k, rc,
                       absl::StrCat("reading the first principal of '", options.keytab, "'"));
    }
  }
  c->client_name_ = UnparseName(k, c->client_);

  krb5_creds creds{};
  krb5_get_init_creds_opt* opts = nullptr;
  krb5_get_init_creds_opt_alloc(k, &opts);
  krb5_get_init_creds_opt_set_forwardable(opts, 0);
  krb5_get_init_creds_opt_set_proxiable(opts, 0);
  rc = krb5_get_init_creds_keytab(k, &creds, c->client_, keytab, 0, nullptr, opts);
  krb5_get_init_creds_opt_free(k, opts);
  krb5_kt_close(k, keytab);
  *kdc = c->last_kdc_;
  if (rc != 0) {
    return KrbStatus(k, rc,
                     absl::StrCat("getting a TGT for ", c->client_name_, " with the keytab"));
  }
  rc = krb5_cc_new_unique(k, "MEMORY", nullptr, &c->ccache_);
  if (rc == 0) rc = krb5_cc_initialize(k, c->ccache_, c->client_);
  if (rc == 0) rc = krb5_cc_store_cred(k, c->ccache_, &creds);
  krb5_free_cred_contents(k, &creds);
  if (rc != 0) return KrbStatus(k, rc, "storing the TGT in a MEMORY ccache");
  return c;
}

KerberosClient::~KerberosClient() {
  if (ctx_ == nullptr) return;
  if (ccache_ != nullptr) krb5_cc_destroy(ctx_, ccache_);
  if (client_ != nullptr) krb5_free_principal(ctx_, client_);
  krb5_free_context(ctx_);
}

absl::StatusOr<KerberosClient::ServiceTicket> KerberosClient::GetServiceTicket(
    const std::string& service, bool store, std::string* kdc) {
  krb5_principal server = nullptr;
  if (krb5_error_code rc = krb5_parse_name(ctx_, service.c_str(), &server); rc != 0) {
    return KrbStatus(ctx_, rc, absl::StrCat("principal '", service, "'"));
  }
  krb5_creds in{};
  in.client = client_;
  in.server = server;
  krb5_creds* out = nullptr;
  last_kdc_.clear();
  krb5_error_code rc = krb5_get_credentials(ctx_, store ? 0 : KRB5_GC_NO_STORE, ccache_, &in, &out);
  *kdc = last_kdc_;
  const std::string name = UnparseName(ctx_, server);
  krb5_free_principal(ctx_, server);
  if (rc != 0) return KrbStatus(ctx_, rc, absl::StrCat("service ticket for ", name));
  krb5_ticket* ticket = nullptr;
  rc = krb5_decode_ticket(&out->ticket, &ticket);
  if (rc != 0) {
    krb5_free_creds(ctx_, out);
    return KrbStatus(ctx_, rc, "decoding the service ticket");
  }
  ServiceTicket st;
  st.kvno = static_cast<int32_t>(ticket->enc_part.kvno);
  st.enctype = ticket->enc_part.enctype;
  st.kdc = *kdc;
  krb5_free_ticket(ctx_, ticket);
  krb5_free_creds(ctx_, out);
  return st;
}

std::vector<v1::TicketProbe> ProbeTickets(const TicketProbeOptions& options,
                                          const std::vector<ServiceToProbe>& services,
                                          const Clock& clock) {
  std::vector<v1::TicketProbe> out;
  if (services.empty()) return out;
  std::string kdc;
  const absl::Time login_start = clock.Now();
  auto client = KerberosClient::Login(options, &kdc);
  const absl::Duration login_time = clock.Now() - login_start;
  for (const ServiceToProbe& s : services) {
    v1::TicketProbe t;
    t.set_peer(s.peer);
    t.set_service_principal(absl::StrCat(s.service, "@", options.realm));
    if (!client.ok()) {
      FillError(client.status(), &t);
      t.set_kdc(kdc);
      const absl::string_view msg = client.status().message();
      t.set_failed_step(
          absl::StartsWith(msg, "keytab ") || absl::StartsWith(msg, "reading ") ? "keytab" : "tgt");
      *t.mutable_latency() = ToProto(login_time);
      out.push_back(std::move(t));
      continue;
    }
    t.set_client_principal((*client)->client_name());
    const absl::Time start = clock.Now();
    auto ticket = (*client)->GetServiceTicket(t.service_principal(), /*store=*/false, &kdc);
    *t.mutable_latency() = ToProto(clock.Now() - start);
    t.set_kdc(kdc);
    if (!ticket.ok()) {
      FillError(ticket.status(), &t);
      t.set_failed_step("service_ticket");
    } else {
      t.set_ok(true);
      t.set_kvno(ticket->kvno);
      t.set_enctype(ticket->enctype);
      t.set_enctype_name(EnctypeName(ticket->enctype));
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace kerbside::agent::probes
