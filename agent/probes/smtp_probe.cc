#include "agent/probes/smtp_probe.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/probes/net.h"
#include "common/proto_time.h"

// inet_ntop: <arpa/inet.h> on POSIX; on Windows <ws2tcpip.h>, which net.h includes.
#if !defined(_WIN32)
#include <arpa/inet.h>
#endif

namespace kerbside::agent::probes {

absl::StatusOr<bool> AddReplyLine(absl::string_view line, SmtpResponse* r) {
  int code = 0;
  if (line.size() < 3 || !absl::SimpleAtoi(line.substr(0, 3), &code) || code < 100 || code > 599) {
    return absl::InvalidArgumentError(absl::StrCat("not an SMTP reply line: '", line, "'"));
  }
  if (!r->lines.empty() && code != r->code) {
    return absl::InvalidArgumentError(
        absl::StrCat("reply code changed from ", r->code, " to ", code, " within one reply"));
  }
  r->code = code;
  if (line.size() == 3) {
    r->lines.emplace_back();
    return true;
  }
  const char sep = line[3];
  if (sep != ' ' && sep != '-') {
    return absl::InvalidArgumentError(absl::StrCat("not an SMTP reply line: '", line, "'"));
  }
  r->lines.emplace_back(line.substr(4));
  return sep == ' ';
}

EhloInfo ParseEhlo(const SmtpResponse& r) {
  EhloInfo e;
  for (size_t i = 1; i < r.lines.size(); ++i) {
    const std::string& kw = r.lines[i];
    e.keywords.push_back(kw);
    std::vector<std::string> words =
        absl::StrSplit(absl::AsciiStrToUpper(kw), absl::ByAnyChar(" ="), absl::SkipEmpty());
    if (words.empty()) continue;
    if (words[0] == "STARTTLS") e.starttls = true;
    if (words[0] == "X-ANONYMOUSTLS") e.anonymous_tls = true;
    std::vector<std::string>* list = nullptr;
    if (words[0] == "AUTH") list = &e.auth_mechanisms;
    if (words[0] == "X-EXPS") list = &e.x_exps_mechanisms;
    if (list == nullptr) continue;
    for (size_t w = 1; w < words.size(); ++w) {
      bool seen = false;
      for (const std::string& m : *list) seen |= (m == words[w]);
      if (!seen) list->push_back(words[w]);
    }
  }
  return e;
}

v1::SmtpReply ToSmtpReply(const SmtpResponse& r) {
  v1::SmtpReply out;
  out.set_code(r.code);
  std::string text = r.lines.empty() ? "" : r.lines.front();
  for (size_t i = 1; i < r.lines.size(); ++i) absl::StrAppend(&text, " ", r.lines[i]);
  // "4.7.0 Temporary authentication failure": an enhanced status code starts with the class.
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits(' ', 1));
  if (!parts.empty()) {
    std::vector<absl::string_view> nums = absl::StrSplit(parts[0], '.');
    bool enhanced = nums.size() == 3 && !nums[0].empty() &&
                    (nums[0] == "2" || nums[0] == "4" || nums[0] == "5");
    for (absl::string_view n : nums) {
      int v;
      enhanced = enhanced && absl::SimpleAtoi(n, &v);
    }
    if (enhanced) {
      out.set_enhanced_status(std::string(parts[0]));
      text = parts.size() > 1 ? std::string(parts[1]) : "";
    }
  }
  out.set_text(text);
  return out;
}

namespace {

// A step failed: the message for SmtpProbe.error and whether it was a timeout.
struct StepError {
  std::string message;
  bool timed_out = false;
};

// An SMTP connection, clear or TLS, every operation bounded by the caller's deadline.
class SmtpConn {
 public:
  ~SmtpConn() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  }

  std::optional<StepError> Connect(const SocketAddress& addr, const Deadline& d) {
    NetResult r = TcpConnect(addr, d, &fd_);
    if (r.outcome == NetOutcome::kOk) return std::nullopt;
    return StepError{r.detail, r.outcome == NetOutcome::kTimedOut};
  }

  std::optional<StepError> Write(absl::string_view line, const Deadline& d) {
    const std::string data = absl::StrCat(line, "\r\n");
    if (ssl_ == nullptr) {
      NetResult r = SendAll(fd_.get(), data, d);
      if (r.outcome == NetOutcome::kOk) return std::nullopt;
      return StepError{r.detail, r.outcome == NetOutcome::kTimedOut};
    }
    size_t off = 0;
    while (off < data.size()) {
      size_t n = 0;
      const int rc = SSL_write_ex(ssl_, data.data() + off, data.size() - off, &n);
      if (rc == 1) {
        off += n;
        continue;
      }
      if (auto e = WaitSsl(rc, d, "TLS write")) return e;
    }
    return std::nullopt;
  }

  // Reads one reply (all its lines).
  std::optional<StepError> ReadReply(const Deadline& d, SmtpResponse* r) {
    *r = SmtpResponse{};
    while (true) {
      std::string line;
      if (auto e = ReadLine(d, &line)) return e;
      auto done = AddReplyLine(line, r);
      if (!done.ok()) return StepError{std::string(done.status().message()), false};
      if (*done) return std::nullopt;
    }
  }

  std::optional<StepError> StartTls(const std::string& sni, const Deadline& d) {
    ssl_ctx_ = SSL_CTX_new(TLS_client_method());
    if (ssl_ctx_ == nullptr) return StepError{"SSL_CTX_new failed", false};
    // The probe describes the certificate (subject, SANs, validity); it does not judge trust,
    // so verification is off and the facts go into the report.
    SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ssl_ctx_);
    // OpenSSL keeps a Windows SOCKET in an int too; socket handles fit.
    SSL_set_fd(ssl_, static_cast<int>(fd_.get()));
    if (!sni.empty() && sni.find_first_not_of("0123456789.:") != std::string::npos) {
      SSL_set_tlsext_host_name(ssl_, sni.c_str());
    }
    // Bytes we read past the 220 belong to nobody: the server must not send any.
    buffer_.clear();
    while (true) {
      const int rc = SSL_connect(ssl_);
      if (rc == 1) return std::nullopt;
      if (auto e = WaitSsl(rc, d, "TLS handshake")) return e;
    }
  }

  SSL* ssl() const { return ssl_; }

 private:
  std::optional<StepError> ReadLine(const Deadline& d, std::string* line) {
    while (true) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        *line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return std::nullopt;
      }
      if (buffer_.size() > 64 * 1024) return StepError{"reply line longer than 64 KiB", false};
      char buf[4096];
      if (ssl_ == nullptr) {
        NetResult r = RecvSome(fd_.get(), sizeof buf, d, &buffer_);
        if (r.outcome == NetOutcome::kTimedOut) {
          return StepError{absl::StrCat("no reply within ", absl::FormatDuration(d.timeout())),
                           true};
        }
        if (r.outcome != NetOutcome::kOk) return StepError{r.detail, false};
      } else {
        size_t n = 0;
        const int rc = SSL_read_ex(ssl_, buf, sizeof buf, &n);
        if (rc == 1) {
          buffer_.append(buf, n);
          continue;
        }
        if (auto e = WaitSsl(rc, d, "TLS read")) return e;
      }
    }
  }

  // After an SSL_* call returned rc <= 0: waits for the socket when OpenSSL wants it,
  // otherwise reports the error.
  std::optional<StepError> WaitSsl(int rc, const Deadline& d, const char* what) {
    const int err = SSL_get_error(ssl_, rc);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      std::string msg = absl::StrCat(what, " failed");
      if (err == SSL_ERROR_ZERO_RETURN) msg = absl::StrCat(what, ": connection closed");
      unsigned long e;
      while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        absl::StrAppend(&msg, ": ", buf);
      }
      return StepError{msg, false};
    }
    NetResult r = WaitSocket(fd_.get(), err == SSL_ERROR_WANT_WRITE, d, what);
    if (r.outcome == NetOutcome::kOk) return std::nullopt;
    return StepError{r.detail, r.outcome == NetOutcome::kTimedOut};
  }

  Fd fd_;
  SSL_CTX* ssl_ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

std::optional<absl::Time> AsnTime(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return absl::FromTM(tm, absl::UTCTimeZone());
}

std::string NameToString(X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

void DescribeTls(SSL* ssl, absl::Time now, v1::SmtpProbe* p) {
  p->set_tls_protocol(SSL_get_version(ssl));
  p->set_tls_cipher(SSL_get_cipher_name(ssl));
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return;
  p->set_peer_certificate_subject(NameToString(X509_get_subject_name(cert)));
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type == GEN_DNS) {
      const ASN1_STRING* s = gn->d.dNSName;
      p->add_peer_certificate_sans(absl::StrCat(
          "DNS:", absl::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                    static_cast<size_t>(ASN1_STRING_length(s)))));
    } else if (gn->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = gn->d.iPAddress;
      char buf[64] = {};
      const int af = ASN1_STRING_length(s) == 4 ? AF_INET : AF_INET6;
      inet_ntop(af, ASN1_STRING_get0_data(s), buf, sizeof buf);
      p->add_peer_certificate_sans(absl::StrCat("IP:", buf));
    }
  }
  GENERAL_NAMES_free(sans);
  if (auto t = AsnTime(X509_get0_notAfter(cert))) {
    *p->mutable_peer_certificate_not_after() = ToProto(*t);
    p->set_peer_certificate_expired(*t < now);
  }
  if (auto t = AsnTime(X509_get0_notBefore(cert))) {
    *p->mutable_peer_certificate_not_before() = ToProto(*t);
    p->set_peer_certificate_not_yet_valid(*t > now);
  }
  X509_free(cert);
}

// RFC 4752 3.1: the server's 4-octet offer (bit 0 "no security layer", max size), unwrapped;
// our answer: no security layer (1), max size 0, no authorization identity, wrapped.
absl::StatusOr<std::string> AnswerSecurityLayer(GssInitiator& gss, const std::string& offer) {
  auto plain = gss.Unwrap(offer, 4);
  if (!plain.ok()) return plain.status();
  if ((static_cast<unsigned char>((*plain)[0]) & 1) == 0) {
    return absl::FailedPreconditionError("the server offers no 'no security layer' option");
  }
  return gss.Wrap(std::string("\x01\x00\x00\x00", 4));
}

void Fail(v1::SmtpProbe* p, const char* step, const StepError& e) {
  p->set_failed_step(step);
  p->set_error(absl::StartsWith(e.message, step) ? e.message : absl::StrCat(step, ": ", e.message));
  p->set_timed_out(e.timed_out);
}

// Runs the GSSAPI exchange; fills auth_* fields. Returns false when the connection is no
// longer usable (a step failed on the wire).
bool Authenticate(SmtpConn& conn, const SmtpTarget& target, const SmtpProbeOptions& options,
                  const std::string& command, const Clock& clock, v1::SmtpProbe* p) {
  auto started = options.gss(absl::StrCat("SMTPSVC/", target.peer));
  if (!started.ok()) {
    p->set_auth_skipped_reason(std::string(started.status().message()));
    return true;
  }
  GssInitiator& gss = **started;
  std::string token;
  if (absl::Status s = gss.Step("", &token); !s.ok()) {
    p->set_gss_error(std::string(s.message()));
    p->set_auth_skipped_reason("GSS-API could not start");
    return true;
  }
  p->set_auth_attempted(true);
  p->set_auth_command(command);
  std::string line = absl::StrCat(command, " ", absl::Base64Escape(token));
  // Every round trip is a step with its own deadline; a handful of rounds is all GSSAPI needs.
  for (int round = 0; round < 6; ++round) {
    Deadline d(clock, options.step_timeout);
    SmtpResponse r;
    if (auto e = conn.Write(line, d)) return Fail(p, "auth", *e), false;
    if (auto e = conn.ReadReply(d, &r)) return Fail(p, "auth", *e), false;
    if (r.code != 334) {
      *p->mutable_auth_reply() = ToSmtpReply(r);
      return true;
    }
    std::string challenge;
    const std::string b64 = r.lines.empty() ? "" : r.lines.front();
    if (!absl::Base64Unescape(b64, &challenge)) {
      p->set_gss_error("the server's 334 challenge is not base64");
      line.assign(1, '*');  // RFC 4954: cancel. (assign, not = "*": GCC 12's -Wrestrict misfires)
      continue;
    }
    std::string out;
    absl::Status st;
    if (!gss.complete()) {
      st = gss.Step(challenge, &out);
    } else if (!challenge.empty()) {
      // An empty challenge after the context is complete is answered empty.
      auto answer = AnswerSecurityLayer(gss, challenge);
      st = answer.status();
      if (answer.ok()) out = *std::move(answer);
    }
    if (!st.ok()) {
      p->set_gss_error(std::string(st.message()));
      line.assign(1, '*');
      continue;
    }
    line = absl::Base64Escape(out);
  }
  p->set_error("auth: the server kept sending 334 challenges");
  p->set_failed_step("auth");
  return false;
}

// One probe of one target, step by step: each step returns false once it failed (and said so in
// the probe), and the rest are skipped.
class ProbeRun {
 public:
  ProbeRun(const SmtpTarget& target, const SmtpProbeOptions& options, const Clock& clock)
      : target_(target), options_(options), clock_(clock), start_(clock.Now()) {
    p_.set_peer(target.peer);
    p_.set_port(target.port);
  }

  v1::SmtpProbe Run() {
    EhloInfo info;
    if (Connect() && Banner() && Ehlo(&info)) {
      for (const auto& k : info.keywords) p_.add_ehlo_keywords(k);
      for (const auto& m : info.auth_mechanisms) p_.add_auth_mechanisms(m);
      for (const auto& m : info.x_exps_mechanisms) p_.add_x_exps_mechanisms(m);
      p_.set_starttls_offered(info.starttls);
      p_.set_anonymous_tls_offered(info.anonymous_tls);
      if ((!info.starttls || StartTls(&info)) && Auth(info)) Quit();
    }
    *p_.mutable_latency() = ToProto(clock_.Now() - start_);
    return std::move(p_);
  }

 private:
  bool Failed(const char* step, const StepError& e) {
    Fail(&p_, step, e);
    return false;
  }

  bool Connect() {
    auto addr = Resolve(target_.host, target_.port);
    if (!addr.ok()) {
      p_.set_address(FormatHostPort(target_.host, target_.port));
      return Failed("connect", StepError{std::string(addr.status().message()), false});
    }
    p_.set_address(addr->text);
    Deadline d(clock_, options_.step_timeout);
    if (auto e = conn_.Connect(*addr, d)) return Failed("connect", *e);
    p_.set_connected(true);
    return true;
  }

  bool Banner() {
    Deadline d(clock_, options_.step_timeout);
    if (auto e = conn_.ReadReply(d, &r_)) return Failed("banner", *e);
    p_.set_banner(absl::StrCat(r_.code, " ", r_.lines.empty() ? "" : r_.lines.front()));
    if (r_.code != 220) return Failed("banner", {"the server did not greet with 220", false});
    return true;
  }

  bool Ehlo(EhloInfo* info) {
    Deadline d(clock_, options_.step_timeout);
    if (auto e = conn_.Write(absl::StrCat("EHLO ", options_.ehlo_name), d)) {
      return Failed("ehlo", *e);
    }
    if (auto e = conn_.ReadReply(d, &r_)) return Failed("ehlo", *e);
    if (r_.code != 250) {
      *p_.mutable_ehlo_reply() = ToSmtpReply(r_);
      return Failed("ehlo", {absl::StrCat("EHLO refused with ", r_.code), false});
    }
    *info = ParseEhlo(r_);
    return true;
  }

  // STARTTLS, the handshake and EHLO again. A refused STARTTLS is said, not a failure: the
  // probe goes on without TLS, as Exchange would.
  bool StartTls(EhloInfo* info) {
    {
      Deadline d(clock_, options_.step_timeout);
      if (auto e = conn_.Write("STARTTLS", d)) return Failed("starttls", *e);
      if (auto e = conn_.ReadReply(d, &r_)) return Failed("starttls", *e);
    }
    if (r_.code != 220) {
      p_.set_tls_error(absl::StrCat("STARTTLS refused: ", r_.code, " ",
                                    r_.lines.empty() ? "" : r_.lines.front()));
      return true;
    }
    Deadline d(clock_, options_.step_timeout);
    if (auto e = conn_.StartTls(target_.peer, d)) {
      p_.set_tls_error(e->message);
      return Failed("tls", *e);
    }
    p_.set_starttls_ok(true);
    DescribeTls(conn_.ssl(), clock_.Now(), &p_);
    if (!Ehlo(info)) return false;
    for (const auto& k : info->keywords) p_.add_ehlo_keywords_after_tls(k);
    for (const auto& m : info->auth_mechanisms) p_.add_auth_mechanisms_after_tls(m);
    for (const auto& m : info->x_exps_mechanisms) p_.add_x_exps_mechanisms_after_tls(m);
    return true;
  }

  // ExchangeAuth is X-EXPS GSSAPI; plain SASL AUTH GSSAPI is the fallback a non-Exchange server
  // offers. Skipped (and said why) without a Kerberos login or either mechanism.
  bool Auth(const EhloInfo& info) {
    auto has = [](const std::vector<std::string>& v, const char* m) {
      return std::find(v.begin(), v.end(), m) != v.end();
    };
    const std::string command = has(info.x_exps_mechanisms, "GSSAPI") ? "X-EXPS GSSAPI"
                                : has(info.auth_mechanisms, "GSSAPI") ? "AUTH GSSAPI"
                                                                      : "";
    if (!options_.gss) {
      p_.set_auth_skipped_reason(options_.no_auth_reason);
      return true;
    }
    if (command.empty()) {
      p_.set_auth_skipped_reason("the server advertises neither X-EXPS GSSAPI nor AUTH GSSAPI");
      return true;
    }
    return Authenticate(conn_, target_, options_, command, clock_, &p_);
  }

  void Quit() {
    Deadline d(clock_, options_.step_timeout);
    if (auto e = conn_.Write("QUIT", d)) {
      Failed("quit", *e);
      return;
    }
    if (auto e = conn_.ReadReply(d, &r_)) Failed("quit", *e);
  }

  const SmtpTarget& target_;
  const SmtpProbeOptions& options_;
  const Clock& clock_;
  const absl::Time start_;
  v1::SmtpProbe p_;
  SmtpConn conn_;
  SmtpResponse r_;  // the last reply read
};

}  // namespace

std::vector<SmtpTarget> SmtpTargetsFor(const std::vector<PeerTarget>& peers,
                                       const std::vector<int>& ports) {
  std::vector<SmtpTarget> out;
  for (const PeerTarget& p : peers) {
    for (int port : ports) out.push_back({p.name, p.host.empty() ? p.name : p.host, port});
  }
  return out;
}

v1::SmtpProbe ProbeSmtp(const SmtpTarget& target, const SmtpProbeOptions& options,
                        const Clock& clock) {
  return ProbeRun(target, options, clock).Run();
}

}  // namespace kerbside::agent::probes
