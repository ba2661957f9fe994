#!/usr/bin/env bash
# Foundation, end to end on loopback with real mutual TLS: a collector, three agents (one under
# libfaketime 7 minutes ahead), identity checks, a collector restart, reconnection, clean stops.
set -euo pipefail
COLLECTOR=$1 AGENT=$2 CLI=$3 PROBE=$4 PKI=$5
. "$(dirname "$0")/lib.sh"
itest_init foundation
LIBFAKETIME=$(find_libfaketime)

itest_fleet_pki "$PKI" dc01 ex01 ex02 ex03
# A second, unrelated CA: its certificates must get nowhere.
"$PKI" init "$ITEST_DIR/rogue" >/dev/null
"$PKI" host "$ITEST_DIR/rogue" exchange ex01.lab.test >/dev/null

start_collector() {
  start_bg "collector$1" "$COLLECTOR" --listen "127.0.0.1:$2" --db "$ITEST_DIR/collector.db" \
    --ca "$pki/ca.crt" --cert "$pki/collector.lab.test.crt" --key "$pki/collector.lab.test.key" \
    --heartbeat_interval 1s --time_exchange_interval 1s
  COLLECTOR_PID=$LAST_PID
}
start_collector 1 0
wait_until 10 "collector listening" grep -q "listening on" "$ITEST_DIR/collector1.log"
PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$ITEST_DIR/collector1.log" | head -n 1)
ADDR=localhost:$PORT
echo "collector on $ADDR"

cli() {
  "$CLI" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" --key "$pki/oncall.key" \
    --timeout 5 "$@"
}

# Issue 12: a second collector on the same port or the same database is refused (two would
# split the agents and page twice).
second() {  # second LISTEN DB
  timeout 10 "$COLLECTOR" --listen "$1" --db "$2" --ca "$pki/ca.crt" \
    --cert "$pki/collector.lab.test.crt" --key "$pki/collector.lab.test.key" --metrics_listen "" \
    > "$ITEST_DIR/second.log" 2>&1
}
if second "127.0.0.1:$PORT" "$ITEST_DIR/other.db"; then fail "a second collector bound port $PORT"; fi
grep -q "cannot listen on 127.0.0.1:$PORT" "$ITEST_DIR/second.log" ||
  fail "second collector, same port: $(tail -n 2 "$ITEST_DIR/second.log")"
pass "a second collector on the same port exits: $(grep -o 'cannot listen.*' "$ITEST_DIR/second.log")"
if second 127.0.0.1:0 "$ITEST_DIR/collector.db"; then fail "a second collector used the database"; fi
grep -q "in use by another collector (pid $COLLECTOR_PID" "$ITEST_DIR/second.log" ||
  fail "second collector, same database: $(tail -n 2 "$ITEST_DIR/second.log")"
pass "a second collector on the same database exits, naming the first one's pid"
[ "$(stat -c %a "$ITEST_DIR/collector.db")" = 600 ] || fail "the database is not 0600"
pass "the database is readable by its owner only (0600)"

# start_agent LOGNAME CERTNAME NETBIOS [extra agent flags] -- [prefix command]
start_agent() {
  local log=$1 cert=$2 name=$3; shift 3
  local flags=() prefix=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; prefix=("$@"); }
  local fqdn
  fqdn="$(tr '[:upper:]' '[:lower:]' <<<"$name").lab.test"
  start_bg "$log" "${prefix[@]}" "$AGENT" --collector "$ADDR" --ca "${CA:-$pki/ca.crt}" \
    --cert "$cert.crt" --key "$cert.key" --netbios_name "$name" --fqdn "$fqdn" \
    --site "${SITE:-HQ}" --ip 127.0.0.1 --backoff_initial 200ms --backoff_max 2s "${flags[@]}"
}

# DC01 reports a listing of EX02 (as a DC's host_tools would): a DC speaks for the directory.
mkdir -p "$ITEST_DIR/dc01-folder"
printf 'Registered ServicePrincipalNames for CN=EX02,CN=Computers,DC=lab,DC=test:\r\n\tSMTPSVC/ex02.lab.test\r\n\tSMTPSVC/EX02\r\n' \
  > "$ITEST_DIR/dc01-folder/setspn-l-EX02.txt"
start_agent dc01 "$pki/dc01.lab.test" DC01 --role dc --pdc_emulator \
  --host_folder "$ITEST_DIR/dc01-folder" --host_folder_interval 1s
DC01_PID=$LAST_PID
start_agent ex01 "$pki/ex01.lab.test" EX01 --role exchange
EX01_PID=$LAST_PID

# EX01's certificate, claiming to be EX02: refused with both names in the collector's log.
start_agent impostor "$pki/ex01.lab.test" EX02 --role exchange
IMPOSTOR_PID=$LAST_PID
wait_until 10 "collector refuses the impostor" \
  grep -q "hello names host 'EX02' (ex02.lab.test) but the client certificate covers \[ex01.lab.test" \
  "$ITEST_DIR/collector1.log"
wait_until 10 "impostor sees PERMISSION_DENIED" grep -q "PERMISSION_DENIED\|7 hello names" \
  "$ITEST_DIR/impostor.log"
pass "agent with EX01's certificate claiming EX02 is refused"
stop_pid "$IMPOSTOR_PID"
json=$(cli hosts --json)
expect_jq "$json" '[.hosts[].name] | index("EX02") == null' "the impostor does not appear"

# Issue 12: EX01's own certificate, claiming to be a DC and the PDC emulator (the fleet's clock
# reference): refused, because the certificate grants the Exchange role only.
start_agent forger "$pki/ex01.lab.test" EX01 --role dc --pdc_emulator
FORGER_PID=$LAST_PID
wait_until 10 "collector refuses the role forger" \
  grep -q "hello claims role dc but certificate .* grants exchange" "$ITEST_DIR/collector1.log"
wait_until 10 "the forger sees PERMISSION_DENIED" grep -q "PERMISSION_DENIED\|claims role dc" \
  "$ITEST_DIR/forger.log"
stop_pid "$FORGER_PID"
expect_jq "$(cli hosts --json)" '[.hosts[] | select(.name == "EX01") | .role] == ["exchange"]' \
  "an Exchange certificate claiming 'dc, PDC emulator' is refused; EX01 stays an Exchange server"

# Issue 12 item 2: an Exchange server cannot speak for the directory. EX03's agent sends its own
# queues and a `setspn -L EX02` listing without SMTPSVC (which would frame EX02 with spn_missing):
# the queues are stored, the listing is refused, logged, and said in the source's health.
mkdir -p "$ITEST_DIR/ex03-folder"
cp "$(dirname "$0")/../scenarios/005-spn-missing-confirmed/hosts/EX01/get-queue.json" "$ITEST_DIR/ex03-folder/"
printf 'Registered ServicePrincipalNames for CN=EX02,CN=Computers,DC=lab,DC=test:\r\n\tHOST/ex02.lab.test\r\n\tHOST/EX02\r\n' \
  > "$ITEST_DIR/ex03-folder/setspn-l-EX02.txt"
SITE=$'HQ\e]0;pwned\a\e[2J' start_agent framer "$pki/ex03.lab.test" EX03 --role exchange \
  --host_folder "$ITEST_DIR/ex03-folder" --host_folder_interval 1s
FRAMER_PID=$LAST_PID
wait_until 10 "the collector refuses EX03's listing" \
  grep -qF "item refused: EX03 sent spn_listing (hosts/EX03/setspn-l-EX02.txt): directory facts come only from domain controllers" \
  "$ITEST_DIR/collector1.log"
json=$(cli evidence EX03 --json)
expect_jq "$json" '[.evidence[].kind] | index("queues") != null and index("spn_listing") == null' \
  "EX03's queues are stored, its listing is not"
expect_jq "$json" '.sources[] | select(.source == "host_folder") | .health == "degraded" and
  (.reason | contains("the collector refused 1 item(s): EX03 sent spn_listing"))' \
  "the refusal is said in EX03's source health"
# The same kind of listing from DC01 is kept: the stream's role (from its certificate) is read
# once at the hello, not from the last message on the stream.
expect_jq "$(cli evidence DC01 --json)" '[.evidence[].kind] | index("spn_listing") != null' \
  "DC01's listing of EX02 is stored: a DC speaks for the directory"
# Its site carries terminal sequences (a window title, a screen clear): shown, never obeyed.
table=$(cli hosts)
grep -qF 'HQ\x1b]0;pwned\x07\x1b[2J' <<<"$table" || fail "EX03's site not shown escaped: $table"
if grep -q $'\e' <<<"$table" || grep -q $'\e' "$ITEST_DIR/collector1.log"; then
  fail "a raw ESC from an agent reached the table or the collector's log"
fi
pass "control characters from an agent are shown escaped in tables and logs"
stop_pid "$FRAMER_PID"

# A certificate from another CA never gets through the TLS handshake.
CA=$pki/ca.crt start_agent rogue "$ITEST_DIR/rogue/ex01.lab.test" EX01 --role exchange
ROGUE_PID=$LAST_PID

# The real EX02, its clock 7 minutes ahead (wall clock only, as on a skewed server). libfaketime
# is preloaded directly: the `faketime` wrapper forks and would not pass SIGTERM on.
start_agent ex02 "$pki/ex02.lab.test" EX02 --role exchange -- \
  env LD_PRELOAD="$LIBFAKETIME" FAKETIME=+420s FAKETIME_DONT_FAKE_MONOTONIC=1
EX02_PID=$LAST_PID

all_measured() {
  cli hosts --json | jq -e '[.hosts[] | select(.connected and .clock_vs_collector != null)]
    | length == 3' >/dev/null
}
wait_until 30 "3 hosts connected and measured" all_measured
# DC01 connected before EX02: the collector sends it the grown inventory without a reconnect.
wait_until 5 "DC01 told of EX02" grep -q "inventory from the collector: 4 hosts (DC01, EX01, EX02, EX03)" \
  "$ITEST_DIR/dc01.log"
pass "an agent connected early learns of hosts that join later"
burst_measured() {  # every host's clock filter holds its first burst of exchanges
  cli hosts --json | jq -e '[.hosts[] | select(.connected and .clock_vs_collector != null)
    | .clock_vs_collector.window_samples >= 4] | all' >/dev/null
}
wait_until 20 "the clock filters' burst" burst_measured
json=$(cli hosts --json)
# The CLI's settings from the file KERBSIDE_CONFIG names (issue 12 item 5: it was ignored).
printf 'collector = "%s"\nca = "%s"\ncert = "%s"\nkey = "%s"\n' "$ADDR" "$pki/ca.crt" \
  "$pki/oncall.crt" "$pki/oncall.key" > "$ITEST_DIR/cli.toml"
expect_jq "$(KERBSIDE_CONFIG="$ITEST_DIR/cli.toml" "$CLI" hosts --json)" \
  '[.hosts[].name] | index("DC01") != null' "the CLI reads its settings from KERBSIDE_CONFIG"
expect_jq "$json" '.reference_host == "DC01" and
  (.reference_reason | startswith("PDC emulator by its own configuration"))' \
  "the PDC emulator DC01 is the reference"
expect_jq "$json" '.hosts[] | select(.name=="EX02") | .clock_vs_collector.offset_seconds
  | (. > 418 and . < 422)' "EX02 is +420 s ± 2 s ahead of the collector"
expect_jq "$json" '.hosts[] | select(.name=="EX02") | .clock_vs_reference.offset_seconds
  | (. > 418 and . < 422)' "EX02 is +420 s ± 2 s ahead of the PDC emulator"
expect_jq "$json" '[.hosts[] | select(.name!="EX02") | .clock_vs_collector.offset_seconds
  | fabs < 1] | all' "DC01 and EX01 are within 1 s"
expect_jq "$json" '[.hosts[] | .clock_vs_collector.uncertainty_seconds < 0.5] | all' \
  "uncertainties are half a loopback round trip"
expect_jq "$json" '.hosts[] | select(.name=="EX01") | .role=="exchange" and .site=="HQ"
  and .fqdn=="ex01.lab.test" and (.certificate_subject|test("OU=kerbside-host"))' \
  "identity and certificate subject are shown"
cli hosts | tee "$ITEST_DIR/table.out"
grep -q "EX02 .*connected.*+7m0[0-1]\.[0-9]*s" "$ITEST_DIR/table.out" || \
  grep -q "EX02 .*connected.*+6m59\.[0-9]*s" "$ITEST_DIR/table.out" || fail "table shows EX02 +7m"
pass "table shows EX02 about 7 minutes ahead"

grep -q "rogue\|certificate verify failed\|CERTIFICATE_VERIFY_FAILED\|handshake" \
  "$ITEST_DIR/collector1.log" "$ITEST_DIR/rogue.log" || true
expect_jq "$(cli hosts --json)" '[.hosts[] | select(.name=="EX01")] | length == 1' \
  "the rogue-CA agent added nothing"
stop_pid "$ROGUE_PID"

# Query service: no certificate, a host certificate, another CA's certificate are all refused.
if out=$("$PROBE" "$ADDR" "$pki/ca.crt"); then fail "client without a certificate got: $out"; fi
grep -q "status=14" <<<"$out" || fail "client without certificate: $out"
pass "client without a certificate is refused ($out)"
if out=$("$PROBE" "$ADDR" "$pki/ca.crt" "$pki/ex01.lab.test.crt" "$pki/ex01.lab.test.key"); then
  fail "host certificate allowed on the query service: $out"
fi
grep -q "status=7 .*kerbside-operator" <<<"$out" || fail "host cert on query service: $out"
pass "host certificate refused on the query service (PERMISSION_DENIED)"
if "$CLI" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$ITEST_DIR/rogue/ex01.lab.test.crt" \
  --key "$ITEST_DIR/rogue/ex01.lab.test.key" hosts > "$ITEST_DIR/cli-rogue.out" 2>&1; then
  fail "CLI with a foreign certificate succeeded"
fi
grep -q "kerbside: collector at" "$ITEST_DIR/cli-rogue.out" || fail "unclear CLI error"
pass "CLI with a foreign certificate exits non-zero: $(head -c 120 "$ITEST_DIR/cli-rogue.out")"
# Issue 12: a folder that is not a bundle is not a healthy fleet.
rc=0; "$CLI" diagnose --bundle / > "$ITEST_DIR/diag-root.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "kerbside diagnose --bundle / exited $rc"
grep -q "/: not a support bundle" "$ITEST_DIR/diag-root.out" || fail "unclear: $(cat "$ITEST_DIR/diag-root.out")"
pass "kerbside diagnose --bundle / exits 2: $(head -c 100 "$ITEST_DIR/diag-root.out")"

# A host whose clock is 30 days behind is outside its certificate's validity (which starts 7
# days before issuance): TLS fails, and the agent says the clock is why instead of going dark.
start_agent behind "$pki/ex01.lab.test" EX01 --role exchange -- \
  env LD_PRELOAD="$LIBFAKETIME" FAKETIME=-30d FAKETIME_DONT_FAKE_MONOTONIC=1
BEHIND_PID=$LAST_PID
wait_until 10 "the agent blames its clock" grep -q \
  "CLOCK: this host's clock reads .* before the validity window of this host's certificate" \
  "$ITEST_DIR/behind.log"
pass "an agent 30 days behind says its clock breaks TLS"
stop_pid "$BEHIND_PID"

# Configuration errors name the file and the key, and exit 2.
printf 'collector = "localhost:1"\nnetbios_nmae = "EX01"\n' > "$ITEST_DIR/bad.conf"
set +e
"$AGENT" --config "$ITEST_DIR/bad.conf" > "$ITEST_DIR/bad-conf.out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "agent with an unknown config key exited $rc"
grep -q "configuration file $ITEST_DIR/bad.conf: unknown key 'netbios_nmae'" \
  "$ITEST_DIR/bad-conf.out" || fail "unclear config error: $(cat "$ITEST_DIR/bad-conf.out")"
pass "unknown config key refused with file and key named"

# Kill the collector hard and restart it on the same port and store.
stop_pid "$COLLECTOR_PID" KILL
if "$CLI" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" \
  --key "$pki/oncall.key" --timeout 2 hosts > "$ITEST_DIR/cli-down.out" 2>&1; then
  fail "CLI succeeded with the collector down"
else
  rc=$?
  [ $rc -eq 1 ] || fail "CLI exit code with collector down: $rc"
fi
grep -q "unreachable" "$ITEST_DIR/cli-down.out" || fail "CLI message: $(cat "$ITEST_DIR/cli-down.out")"
pass "CLI exits 1 with a clear message when the collector is down"
start_collector 2 "$PORT"
wait_until 10 "collector restarted" grep -q "listening on" "$ITEST_DIR/collector2.log"
json=$(cli hosts --json)
expect_jq "$json" '[.hosts[].name] | sort == ["DC01","EX01","EX02","EX03"]' \
  "after a restart the collector still lists every host"
expect_jq "$json" '.hosts[] | select(.name=="EX02") | .clock_vs_collector.offset_seconds
  | (. > 418 and . < 422)' "the persisted clock estimate of EX02 survives the restart"
all_connected() {
  cli hosts --json | jq -e '[.hosts[] | select(.connected)] | length == 3' >/dev/null
}
wait_until 20 "agents reconnect by themselves" all_connected
pass "every agent reconnected by itself"

# Clean stop on SIGTERM.
for pid in "$DC01_PID" "$EX01_PID" "$EX02_PID"; do
  stop_pid "$pid" TERM
  [ "$STOP_RC" = "0" ] || fail "agent $pid stopped with $STOP_RC on SIGTERM"
done
pass "agents stop cleanly on SIGTERM"
json=$(cli hosts --json)
expect_jq "$json" '[.hosts[] | select(.connected)] | length == 0' \
  "stopped agents show as disconnected"
stop_pid "$COLLECTOR_PID" TERM
[ "$STOP_RC" = "0" ] || fail "collector stopped with $STOP_RC on SIGTERM"
pass "collector stops cleanly on SIGTERM"
