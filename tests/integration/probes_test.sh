#!/usr/bin/env bash
# Probes (issue 5) against real servers on loopback: MIT krb5kdc in three listening modes, a
# closed port, a socket that swallows requests, Kerberos service tickets (kvno, unknown SPN),
# an Exchange-like SMTP server doing STARTTLS and GSSAPI (235, then 454 after ktadd), an
# expired certificate, and the KDC clock offset with the agent under libfaketime (+600 s).
set -euo pipefail
AGENT=$1 SMTPD=$2 COLLECTOR=${3:-} CLI=${4:-} PKI=${5:-} CROSSCHECK=${6:-}
. "$(dirname "$0")/lib.sh"
itest_init probes
LIBFAKETIME=$(find_libfaketime)
D=$ITEST_DIR
[ -n "$D" ] && [ -d "$D" ] || { echo "no work dir"; exit 1; }
REALM=LAB.TEST
TIMEOUT_S=1  # the agent's per-attempt deadline in this test

# Free loopback ports, free for both TCP and UDP (checked by binding, then released).
read -r P_ALL P_TCP P_UDP P_CLOSED P_HOLE P_SMTP P_SMTP_OLD < <(python3 -c '
import socket
socks, ports = [], []
while len(ports) < 7:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try: u.bind(("127.0.0.1", p))
    except OSError: t.close(); continue
    socks += [t, u]; ports.append(p)
print(*ports)')

printf '%s\n' "[libdefaults]" "  default_realm = $REALM" "  dns_lookup_kdc = false" \
  "  dns_lookup_realm = false" "  rdns = false" "  kdc_timesync = 0" "[realms]" \
  "  $REALM = {" "    kdc = 127.0.0.1:$P_ALL" "  }" > "$D/krb5.conf"
# kdc_conf NAME UDP_LISTEN TCP_LISTEN: one profile per krb5kdc, all on the same database.
kdc_conf() {
  printf '%s\n' "[kdcdefaults]" "  kdc_listen = \"$2\"" "  kdc_tcp_listen = \"$3\"" \
    "[realms]" "  $REALM = {" "    database_name = $D/principal" \
    "    key_stash_file = $D/stash" "    acl_file = $D/kadm5.acl" \
    "    default_principal_flags = +preauth" \
    "    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal" \
    "  }" "[logging]" "  kdc = FILE:$D/$1-kdc.log" > "$D/$1.conf"
}
kdc_conf kdc "127.0.0.1:$P_ALL" "127.0.0.1:$P_ALL"
kdc_conf kdc-tcp "" "127.0.0.1:$P_TCP"
kdc_conf kdc-udp "127.0.0.1:$P_UDP" ""
export KRB5_KDC_PROFILE="$D/kdc.conf"
: > "$D/kadm5.acl"
kdb5_util -r "$REALM" create -s -P "kerbside-test-master" > "$D/kdb5_util.log" 2>&1
kadmin() { kadmin.local -r "$REALM" -q "$1" >> "$D/kadmin.log" 2>&1; }
kadmin "addprinc -randkey host/ex01.lab.test"
kadmin "addprinc -randkey SMTPSVC/ex02.lab.test"
kadmin "addprinc -randkey SMTPSVC/ex02"
kadmin "ktadd -k $D/ex01.keytab host/ex01.lab.test"
kadmin "ktadd -k $D/ex02.keytab SMTPSVC/ex02.lab.test"
kadmin "ktadd -k $D/ex02.keytab SMTPSVC/ex02"
KVNO1=$(klist -k "$D/ex02.keytab" |
  awk -v p="SMTPSVC/ex02.lab.test@$REALM" '$2 == p {k=$1} END {print k}')
[ -n "$KVNO1" ] || fail "no kvno in the service keytab"

for k in kdc kdc-tcp kdc-udp; do
  start_bg "$k" env KRB5_KDC_PROFILE="$D/$k.conf" krb5kdc -n -P "$D/$k.pid"
done
# A socket that takes requests and never answers, on UDP and TCP (the kernel completes the
# TCP handshake for the listening socket; nobody ever reads).
start_bg hole python3 -c "
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', $P_HOLE))
t = socket.socket(); t.bind(('127.0.0.1', $P_HOLE)); t.listen(8)
print('holding', flush=True); time.sleep(300)"
listening() { ss -Hlntu | grep "127.0.0.1:$1 " >/dev/null; }
wait_until 10 "KDC (udp+tcp) listening" listening "$P_ALL"
wait_until 10 "KDC (tcp only) listening" listening "$P_TCP"
wait_until 10 "KDC (udp only) listening" listening "$P_UDP"
wait_until 10 "black hole listening" grep -q holding "$D/hole.log"
# The kdc.conf listen settings are honoured: the TCP-only KDC has no UDP socket and back.
if ss -Hlnu | grep "127.0.0.1:$P_TCP " >/dev/null; then fail "the TCP-only KDC listens on UDP"; fi
if ss -Hlnt | grep "127.0.0.1:$P_UDP " >/dev/null; then fail "the UDP-only KDC listens on TCP"; fi

# TLS: a valid certificate and one that expired (made 400 days ago, valid for 30 days).
cert() {  # NAME [libfaketime offset]
  local pre=()
  if [ -n "${2:-}" ]; then pre=(env LD_PRELOAD="$LIBFAKETIME" FAKETIME="$2"); fi
  "${pre[@]}" openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/$1.key" -out "$D/$1.crt" \
    -days 30 -subj "/CN=ex02.lab.test/O=kerbside test" \
    -addext "subjectAltName=DNS:ex02.lab.test,DNS:ex02,IP:127.0.0.1" > "$D/openssl.log" 2>&1
}
cert smtp
cert smtp-old -400d
start_bg smtpd "$SMTPD" --port "$P_SMTP" --cert "$D/smtp.crt" --key "$D/smtp.key" \
  --keytab "$D/ex02.keytab" --name ex02.lab.test
start_bg smtpd-old "$SMTPD" --port "$P_SMTP_OLD" --cert "$D/smtp-old.crt" \
  --key "$D/smtp-old.key" --keytab "$D/ex02.keytab" --name ex02.lab.test
wait_until 10 "SMTP server listening" grep -q "listening on port" "$D/smtpd.log"
wait_until 10 "SMTP server (expired cert) listening" grep -q "listening on port" \
  "$D/smtpd-old.log"

# probe [PREFIX COMMAND... --]: the agent's probe --once --json with every target.
probe() {
  local pre=()
  if [[ " $* " == *" -- "* ]]; then
    while [ "$1" != "--" ]; do pre+=("$1"); shift; done
    shift
  fi
  timeout 30 "${pre[@]}" "$AGENT" --netbios_name EX01 --fqdn ex01.lab.test --realm "$REALM" \
    --kdc "127.0.0.1:$P_ALL" --kdc "127.0.0.1:$P_TCP" --kdc "127.0.0.1:$P_UDP" \
    --kdc "127.0.0.1:$P_CLOSED" --kdc "127.0.0.1:$P_HOLE" \
    --peer ex02.lab.test=127.0.0.1 --peer missing=127.0.0.1 \
    --smtp_ports "$P_SMTP,$P_SMTP_OLD" --keytab "$D/ex01.keytab" \
    --probe_attempt_timeout "${TIMEOUT_S}s" --probe_concurrency 4 probe --once --json
}
sel() { echo ".kdc[] | select(.address == \"127.0.0.1:$1\" and .transport == \"$2\")"; }
tk() { echo ".tickets[] | select(.service_principal == \"$1@$REALM\")"; }
sm() { echo ".smtp[] | select(.peer == \"$1\" and .port == $2)"; }

start=$SECONDS
t0=$(date +%s.%N)
json=$(probe)
t1=$(date +%s.%N)
echo "$json" > "$D/run1.json"
elapsed=$(echo "$t1 - $t0" | bc)
echo "run 1 took ${elapsed}s"
expect_jq "$json" '.format == "kerbside-probes/1" and .realm == "LAB.TEST" and .host == "EX01"' \
  "probes.json header"
for t in udp tcp; do
  expect_jq "$json" "$(sel "$P_ALL" $t) | .outcome == \"answered\" and .krb_error_code == 6" \
    "UDP+TCP KDC answers over $t with KDC_ERR_C_PRINCIPAL_UNKNOWN (6)"
  expect_jq "$json" "$(sel "$P_ALL" $t) | (.kdc_clock.offset_seconds | fabs) < 1" \
    "KDC clock offset within 1 s over $t"
done
expect_jq "$json" "$(sel "$P_TCP" tcp) | .outcome == \"answered\"" "TCP-only KDC answers over TCP"
expect_jq "$json" "$(sel "$P_TCP" udp) | .outcome == \"refused\"" \
  "TCP-only KDC: UDP refused (ICMP port unreachable)"
expect_jq "$json" "$(sel "$P_UDP" udp) | .outcome == \"answered\"" "UDP-only KDC answers over UDP"
expect_jq "$json" "$(sel "$P_UDP" tcp) | .outcome == \"refused\"" "UDP-only KDC: TCP refused"
for t in udp tcp; do
  expect_jq "$json" "$(sel "$P_CLOSED" $t) | .outcome == \"refused\"" "closed port refused over $t"
  expect_jq "$json" "$(sel "$P_HOLE" $t) | .outcome == \"timed_out\"" \
    "swallowing socket times out over $t"
done
expect_jq "$json" "$(sel "$P_HOLE" tcp) | .connected == true" \
  "swallowing TCP socket: handshake completed, then no answer"
expect_jq "$json" '[.kdc[] | select(.service == "kpasswd")] | length == 10 and
  all(.outcome == "refused")' "kpasswd 464: nothing listens on loopback, refused on UDP and TCP"
# The run's length: the timed-out attempts cost one deadline each, in parallel.
if [ "$(echo "$elapsed < 3 * $TIMEOUT_S + 2" | bc)" = 1 ]; then
  pass "whole run in ${elapsed}s with ${TIMEOUT_S}s deadlines (not libkrb5's 27 s)"
else fail "run took ${elapsed}s"; fi

expect_jq "$json" "$(tk SMTPSVC/ex02.lab.test) | .ok and .kvno == $KVNO1 and
  .enctype_name == \"aes256-cts-hmac-sha1-96\" and
  .client_principal == \"host/ex01.lab.test@$REALM\"" \
  "ticket for SMTPSVC/ex02.lab.test, kvno $KVNO1"
expect_jq "$json" "$(tk SMTPSVC/ex02) | .ok" "ticket for SMTPSVC/ex02"
expect_jq "$json" "$(tk SMTPSVC/missing) | .ok == false and .krb_error_code == 7 and
  .krb_error_name == \"KDC_ERR_S_PRINCIPAL_UNKNOWN\" and .failed_step == \"service_ticket\"" \
  "SMTPSVC/missing: principal unknown (7)"
expect_jq "$json" "$(tk SMTPSVC/ex02.lab.test) | .kdc | startswith(\"127.0.0.1:\")" \
  "the answering KDC is named"

expect_jq "$json" "$(sm ex02.lab.test "$P_SMTP") | .connected and (.banner | startswith(\"220 \"))
  and .starttls_offered and .anonymous_tls_offered and (.x_exps_mechanisms | index(\"GSSAPI\"))
  and .auth_mechanisms == [\"NTLM\"]" "SMTP banner and EHLO (X-EXPS GSSAPI NTLM, STARTTLS)"
expect_jq "$json" "$(sm ex02.lab.test "$P_SMTP") | .tls.ok and (.tls.protocol | startswith(\"TLSv1\"))
  and .tls.certificate.expired == false
  and (.tls.certificate.subject | contains(\"CN=ex02.lab.test\"))
  and (.tls.certificate.sans | index(\"DNS:ex02.lab.test\"))
  and (.tls.auth_mechanisms | index(\"GSSAPI\"))" "STARTTLS: protocol, subject, SANs, valid"
expect_jq "$json" "$(sm ex02.lab.test "$P_SMTP") | .auth.attempted and
  .auth.command == \"X-EXPS GSSAPI\" and .auth.reply.code == 235" \
  "X-EXPS GSSAPI with this host's ticket: 235"
expect_jq "$json" "$(sm ex02.lab.test "$P_SMTP_OLD") | .tls.certificate.expired == true" \
  "an expired certificate is reported as expired"
expect_jq "$json" "$(sm missing "$P_SMTP") | .auth.attempted == false and
  (.auth.skipped_reason | contains(\"no service ticket\"))" "no ticket, no authentication attempt"

# The readable report, and a configuration error.
report=$(timeout 30 "$AGENT" --realm "$REALM" --kdc "127.0.0.1:$P_ALL" \
  --kdc "127.0.0.1:$P_CLOSED" --probe_attempt_timeout 1s probe --once)
if grep -q "answered" <<<"$report" && grep -q "refused" <<<"$report"; then
  pass "readable report"
else
  echo "$report"; fail "readable report"
fi
rc=0
timeout 10 "$AGENT" --kdc 127.0.0.1:88 probe --once > "$D/noconf.log" 2>&1 || rc=$?
if [ $rc -eq 2 ] && grep -q "realm:" "$D/noconf.log"; then
  pass "configuration error (no realm): exit 2 naming the key"
else
  cat "$D/noconf.log"; fail "missing realm: expected exit 2, got $rc"
fi

# New keys on the KDC for SMTPSVC/ex02.lab.test; the SMTP server keeps its old keytab.
kadmin "ktadd -k $D/ex02-new.keytab SMTPSVC/ex02.lab.test"
KVNO2=$((KVNO1 + 1))
json=$(probe)
echo "$json" > "$D/run2.json"
expect_jq "$json" "$(tk SMTPSVC/ex02.lab.test) | .ok and .kvno == $KVNO2" \
  "after ktadd the next probe sees kvno $KVNO2"
expect_jq "$json" "$(sm ex02.lab.test "$P_SMTP") | .auth.reply.code == 454 and
  .auth.reply.enhanced_status == \"4.7.0\" and
  .auth.reply.text == \"Temporary authentication failure\"" \
  "stale keytab on the server: 454 4.7.0 Temporary authentication failure"

# This host's wall clock 600 s ahead (monotonic clock real, as on a skewed server).
json=$(probe env LD_PRELOAD="$LIBFAKETIME" FAKETIME=+600s FAKETIME_DONT_FAKE_MONOTONIC=1 --)
echo "$json" > "$D/run3.json"
for t in udp tcp; do
  expect_jq "$json" "$(sel "$P_ALL" $t) | (.kdc_clock.offset_seconds - 600 | fabs) < 2" \
    "under libfaketime +600s the offset over $t is +600 s +- 2 s"
done
echo "figures, run 1 (no skew):"
jq -r '.kdc[] | "  \(.address) \(.transport) \(.service): \(.outcome) latency=\(.latency_seconds)s offset=\(.kdc_clock.offset_seconds // "-")s"' "$D/run1.json"
jq -r '.smtp[] | "  smtp \(.peer) \(.address): \(.auth.reply.code // "-") \(.latency_seconds)s"' "$D/run1.json"
echo "figures, run 3 (libfaketime +600s):"
jq -r '.kdc[] | select(.kdc_clock != null) | "  \(.address) \(.transport): offset \(.kdc_clock.offset_seconds)s +- \(.kdc_clock.uncertainty_seconds)s"' "$D/run3.json"
jq -r '.tickets[] | "  ticket \(.service_principal): ok=\(.ok) \(.krb_error_name) \(.error_message)"' "$D/run3.json"
echo "probing took $((SECONDS - start)) s"

# The Windows agent's own Kerberos codec (no libkrb5 there) against this KDC and libkrb5: our
# AS-REQ over UDP and TCP, the KRB-ERRORs, and the ticket inside a GSS-API token.
# KERBSIDE_CROSSCHECK_SAVE=DIR keeps the raw messages (how tests/data/kerberos/ was made).
if [ -n "$CROSSCHECK" ]; then
  export KRB5CCNAME="FILE:$D/crosscheck.ccache"
  kinit -k -t "$D/ex01.keytab" host/ex01.lab.test > "$D/kinit.log" 2>&1 ||
    fail "kinit with ex01's keytab: $(cat "$D/kinit.log")"
  # The service key's version as the KDC's database has it now (the ktadd above raised it).
  kvno_now=$(kadmin.local -r "$REALM" -q "getprinc SMTPSVC/ex02.lab.test" 2>/dev/null |
    sed -n 's/.*Key: vno \([0-9]*\).*/\1/p' | head -n 1)
  [ -n "$kvno_now" ] || fail "no kvno from kadmin.local getprinc"
  if timeout 30 "$CROSSCHECK" 127.0.0.1 "$P_ALL" "$REALM" host/ex01.lab.test \
      SMTPSVC@ex02.lab.test "$kvno_now" ${KERBSIDE_CROSSCHECK_SAVE:+"$KERBSIDE_CROSSCHECK_SAVE"} \
      > "$D/crosscheck.log" 2>&1; then
    sed 's/^/  /' "$D/crosscheck.log"
    pass "the Kerberos codec agrees with the KDC and libkrb5"
  else
    cat "$D/crosscheck.log"
    fail "the Kerberos codec cross-check"
  fi
  unset KRB5CCNAME
fi

# The same probes run by the agent on its schedule and streamed to a collector (mutual TLS):
# the collector keeps them as the host's evidence.
if [ -n "$COLLECTOR" ]; then
  pki=$D/pki
  "$PKI" init "$pki" >/dev/null
  "$PKI" collector "$pki" collector.lab.test localhost 127.0.0.1 >/dev/null
  "$PKI" host "$pki" exchange ex01.lab.test 127.0.0.1 >/dev/null
  "$PKI" operator "$pki" oncall >/dev/null
  start_bg collector "$COLLECTOR" --listen 127.0.0.1:0 --db "$D/collector.db" \
    --ca "$pki/ca.crt" --cert "$pki/collector.lab.test.crt" --key "$pki/collector.lab.test.key"
  wait_until 10 "collector listening" grep -q "listening on" "$D/collector.log"
  addr=localhost:$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$D/collector.log" | head -n 1)
  start_bg streaming-agent "$AGENT" --collector "$addr" --ca "$pki/ca.crt" \
    --cert "$pki/ex01.lab.test.crt" --key "$pki/ex01.lab.test.key" --netbios_name EX01 \
    --fqdn ex01.lab.test --role exchange --realm "$REALM" --kdc "127.0.0.1:$P_ALL" \
    --kdc "127.0.0.1:$P_CLOSED" --peer ex02.lab.test=127.0.0.1 --smtp_ports "$P_SMTP" \
    --keytab "$D/ex01.keytab" --probe_attempt_timeout 1s --probe_interval 3s
  evidence() {
    "$CLI" --collector "$addr" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" \
      --key "$pki/oncall.key" evidence EX01 --kind probes --json
  }
  streamed() { evidence | jq -e '.evidence | length == 1' >/dev/null; }
  wait_until 30 "streamed probe results" streamed
  json=$(evidence)
  expect_jq "$json" '.sources[] | select(.source == "probes") | .health == "ok"' \
    "the probe source reports healthy"
  expect_jq "$json" '.evidence[0].origin == "probes.json"' "probe results are the host's evidence"
fi
