#!/usr/bin/env bash
# An agent with no certificate files, enrolled through an AD CS template (issue 15, item 3): it
# makes its own key, has it certified with certreq (here tests/agent/enrollment/fake_certreq.sh,
# an openssl CA standing in for AD CS, which needs Windows and a domain), and connects over
# mutual TLS to a collector that maps the template to the exchange role. An agent enrolled
# through a template the collector does not map is refused; a restarted agent reuses its key.
set -euo pipefail
COLLECTOR=$1 AGENT=$2 CLI=$3 PKI=$4 FAKE_CERTREQ=$5
. "$(dirname "$0")/lib.sh"
itest_init enrollment

itest_fleet_pki "$PKI" ex01
itest_stuck_queue_folders
# The enterprise CA, and the collector's client CA bundle: the fleet CA and the enterprise CA.
export FAKE_CA_DIR=$ITEST_DIR/adcs
mkdir -p "$FAKE_CA_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$FAKE_CA_DIR/ca.key" -out "$FAKE_CA_DIR/ca.crt" \
  -days 30 -subj "/DC=test/DC=lab/CN=Lab Issuing CA" 2>/dev/null
cat "$pki/ca.crt" "$FAKE_CA_DIR/ca.crt" > "$ITEST_DIR/client-cas.crt"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

start_bg collector "$COLLECTOR" --listen "127.0.0.1:$PORT" --db "$ITEST_DIR/collector.db" \
  --ca "$ITEST_DIR/client-cas.crt" --cert "$pki/collector.lab.test.crt" \
  --key "$pki/collector.lab.test.key" --host_template KerbsideExchangeAgent=exchange \
  --heartbeat_interval 1s --time_exchange_interval 1s --metrics_listen ""
wait_until 10 "collector listening" grep -q "listening on" "$ITEST_DIR/collector.log"
cli() {
  "$CLI" --collector "localhost:$PORT" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" \
    --key "$pki/oncall.key" --timeout 5 "$@"
}
agent() {  # agent LOG NETBIOS TEMPLATE
  local lower
  lower=$(echo "$2" | tr 'A-Z' 'a-z')
  start_bg "$1" "$AGENT" --collector "localhost:$PORT" --ca "$pki/ca.crt" \
    --enroll_template "$3" --enroll_ca 'ca01.lab.test\Lab Issuing CA' \
    --enroll_command "$FAKE_CERTREQ" --enroll_dir "$ITEST_DIR/tls-$lower" \
    --netbios_name "$2" --fqdn "$lower.lab.test" --role exchange --site HQ --ip 127.0.0.1 \
    --backoff_initial 200ms --backoff_max 1s --host_folder "$ITEST_DIR/hosts/EX01" \
    --host_folder_interval 1s
  AGENT_PID=$LAST_PID
}
role_of() {  # role_of NAME: the role `kerbside hosts` shows
  cli hosts --json | jq -r --arg n "$1" '[.hosts[] | select(.name == $n) | .role][0] // ""'
}
ex01_exchange() { [ "$(role_of EX01)" = exchange ]; }

agent agent-ex01 EX01 KerbsideExchangeAgent
wait_until 30 "EX01 connected with its enrolled certificate" ex01_exchange
grep -q "certificate enrolled from ca01.lab.test" "$ITEST_DIR/agent-ex01.log" ||
  fail "the agent did not log its enrollment"
key_mode=$(stat -c %a "$ITEST_DIR/tls-ex01")
[ "$key_mode" = 700 ] || fail "the key folder is mode $key_mode, not 700"
[ "$(grep -c -- '-submit' "$FAKE_CA_DIR/calls")" = 1 ] || fail "expected one request to the CA"
pass "EX01 enrolled its own key through the template and is an exchange host at the collector"

# A restart reuses the key and certificate: nothing more is asked of the CA.
key_before=$(sha256sum < "$ITEST_DIR/tls-ex01/agent.key")
stop_pid "$AGENT_PID"
agent agent-ex01-again EX01 KerbsideExchangeAgent
wait_until 15 "EX01 reconnected" grep -q "connected to collector" "$ITEST_DIR/agent-ex01-again.log"
[ "$(grep -c -- '-submit' "$FAKE_CA_DIR/calls")" = 1 ] || fail "a restart asked the CA again"
[ "$(sha256sum < "$ITEST_DIR/tls-ex01/agent.key")" = "$key_before" ] || fail "the key changed"
pass "a restarted agent reuses its enrolled key; the CA is not asked again"

# A certificate from a template the collector does not map grants nothing.
agent agent-ex02 EX02 WebServer
refused() { grep -q "not a kerbside-host one" "$ITEST_DIR/collector.log"; }
wait_until 20 "the collector refuses EX02's WebServer certificate" refused
[ -z "$(role_of EX02)" ] || fail "EX02 was admitted with a certificate of an unmapped template"
pass "a certificate of a template the collector does not map is refused"
