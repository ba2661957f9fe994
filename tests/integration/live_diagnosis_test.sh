#!/usr/bin/env bash
# The live pipeline on loopback with real mutual TLS: agents read host folders in the bundle
# layout and stream them; the collector stores them and correlates them with its own clock
# measurements. A changed file shows within an interval, a corrupted one as that file's error,
# and EX02 (libfaketime, 7 minutes ahead) is diagnosed as the clock skew behind EX01's queue.
# EX02's exported event log rotates: the collector's window of recent events keeps what the
# old export held, counts each occurrence once, drops what is older than the window, and keeps
# it all across a restart and into an exported bundle.
set -euo pipefail
COLLECTOR=$1 AGENT=$2 CLI=$3 PKI=$4 SCENARIOS=$5
. "$(dirname "$0")/lib.sh"
itest_init live-diagnosis
LIBFAKETIME=$(find_libfaketime)

itest_fleet_pki "$PKI" dc01 ex01 ex02

# Host folders: EX01's queue to EX02 is stuck with the KB's error; EX02 delivers.
itest_stuck_queue_folders
# Real-format w32tm status from the samples.
cp "$SCENARIOS/../data/windows/w32tm-status-domain.txt" "$ITEST_DIR/hosts/EX01/w32tm-status.txt"

# EX02's Application log as wevtutil exports it, with times relative to now (UTC). The events are
# topology-discovery ones no rule reads, so they cannot change the verdict.
event() {  # event ID RECORD AGE (as `date -d` takes it: "2 hours ago")
  printf '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
  printf '<Provider Name="MSExchange ADAccess"/><EventID Qualifiers="16388">%s</EventID>' "$1"
  printf '<Level>4</Level><TimeCreated SystemTime="%s"/>' "$(date -u -d "$3" +%Y-%m-%dT%H:%M:%S.0000000Z)"
  printf '<EventRecordID>%s</EventRecordID><Channel>Application</Channel>' "$2"
  printf '<Computer>ex02.lab.test</Computer></System><EventData><Data>7</Data></EventData></Event>\n'
}
{
  event 2080 101 "2 hours ago"; event 2080 102 "90 minutes ago"; event 2080 103 "1 hour ago"
  event 2095 104 "50 minutes ago"; event 2095 105 "40 minutes ago"
  event 2070 90 "30 hours ago"  # older than the 24 h window
} > "$ITEST_DIR/hosts/EX02/events-application.xml"

start_collector() {  # start_collector N PORT
  start_bg "collector$1" "$COLLECTOR" --listen "127.0.0.1:$2" --db "$ITEST_DIR/collector.db" \
    --ca "$pki/ca.crt" --cert "$pki/collector.lab.test.crt" --key "$pki/collector.lab.test.key" \
    --heartbeat_interval 1s --time_exchange_interval 1s
  COLLECTOR_PID=$LAST_PID
}
start_collector 1 0
wait_until 10 "collector listening" grep -q "listening on" "$ITEST_DIR/collector1.log"
PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$ITEST_DIR/collector1.log" | head -n 1)
ADDR=localhost:$PORT
cli() {
  "$CLI" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" --key "$pki/oncall.key" \
    --timeout 5 "$@"
}
agent() {  # agent NAME ROLE [flags...]
  local name=$1 role=$2; shift 2
  local lower=${name,,}
  # exec: the background PID must be the agent itself, so cleanup stops it.
  exec "$AGENT" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/$lower.lab.test.crt" \
    --key "$pki/$lower.lab.test.key" --netbios_name "$name" --fqdn "$lower.lab.test" \
    --role "$role" --site HQ --ip 127.0.0.1 --backoff_initial 200ms --backoff_max 2s "$@"
}
start_bg dc01 agent DC01 dc --pdc_emulator
# EX01 and EX02 say they are Exchange 2010 hubs: a "hub version 14" queue resolves to EX02.
start_bg ex01 agent EX01 exchange --host_folder "$ITEST_DIR/hosts/EX01" --host_folder_interval 1s \
  --exchange_version 14.3.123.4 --server_role HubTransport --server_role Mailbox
start_bg ex02 env LD_PRELOAD="$LIBFAKETIME" FAKETIME=+420s FAKETIME_DONT_FAKE_MONOTONIC=1 \
  "$AGENT" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/ex02.lab.test.crt" \
  --key "$pki/ex02.lab.test.key" --netbios_name EX02 --fqdn ex02.lab.test --role exchange \
  --site HQ --ip 127.0.0.1 --host_folder "$ITEST_DIR/hosts/EX02" --host_folder_interval 1s \
  --exchange_version 14.3.123.4 --server_role HubTransport

diagnosed() {
  cli diagnose --json | jq -e '.diagnoses[0].causes[0].cause == "clock_skew"' >/dev/null
}
wait_until 30 "the live diagnosis" diagnosed
json=$(cli diagnose --json)
expect_jq "$json" '.diagnoses | length == 1' "one diagnosis"
expect_jq "$json" '.diagnoses[0] | .blamed_host == "EX02" and .senders == ["EX01"]
  and .targets == ["EX02"] and .causes[0].cause == "clock_skew"' \
  "EX01 -> EX02 stuck: clock skew, EX02 blamed"
expect_jq "$json" '.diagnoses[0].queues[0].identity == "EX01\\12"' "the stuck queue is listed"
expect_jq "$json" '[.diagnoses[0].not_checked[].cause] | index("spn_missing") != null' \
  "SPNs are not checked (no DC evidence), not ruled out"
cli diagnose | sed -n 1p | grep "EX01 -> EX02 stuck: clock skew — EX02 is 7m ahead of the PDC emulator DC01" >/dev/null \
  || fail "sentence: $(cli diagnose | head -n 1)"
pass "the text starts with the sentence for the ticket"
expect_jq "$(cli diagnose --target ex01.lab.test --json)" '.diagnoses | length == 1' \
  "--target filters by host"

json=$(cli queues --json)
expect_jq "$json" '[.queues[] | select(.stuck)] | length == 1 and .[0].host == "EX01"' \
  "kerbside queues shows EX01's stuck queue"
json=$(cli evidence EX01 --json)
expect_jq "$json" '[.evidence[].kind] | (index("queues") != null and index("w32tm_status") != null)' \
  "kerbside evidence EX01 lists queues and w32tm status"
expect_jq "$json" '.sources[0].health == "ok"' "the host-folder source is healthy"

# The live fleet exported as a support bundle shows the same evidence offline.
cli export-bundle "$ITEST_DIR/export" > "$ITEST_DIR/export.out"
json=$("$CLI" bundle check "$ITEST_DIR/export" --json)
expect_jq "$json" '.ok and ([.hosts[].name] | sort) == ["DC01","EX01","EX02"]' \
  "kerbside bundle check on the export: every host, no file failed"
expect_jq "$json" '.hosts[] | select(.name=="EX01") | .counts.queues == 1 and
  .counts.stuck_queues == 1 and .counts.w32tm_status' "the export holds EX01's queue and status"
expect_jq "$("$CLI" diagnose --bundle "$ITEST_DIR/export" --json)" \
  '.diagnoses[0].queues[0].identity == "EX01\\12" and .diagnoses[0].blamed_host == "EX02"
   and .diagnoses[0].causes[0].cause == "clock_skew"' \
  "offline, the export gets the live verdict (the collector's clock readings travel with it)"

# The window of recent events. Selected by id: {"2080": occurrences, ...}.
window() {
  cli evidence EX02 --kind event_aggregate --json |
    jq -c '[.evidence[] | {key: (.event_id | tostring), value: .count}] | from_entries'
}
has_events() { [ "$(window)" = '{"2080":3,"2095":2}' ]; }
wait_until 10 "EX02's events in the window" has_events
pass "the window holds EX02's events, and not the one older than 24 h"
json=$(cli evidence EX02 --kind event_aggregate --json)
expect_jq "$json" '.evidence[] | select(.event_id == 2080) | .origin == "hosts/EX02/events-application.xml"
  and (.first_seen | test("^20")) and .received_at != null' \
  "each event key carries its origin, the host's times and the receive time"
# The log rotates: the new export holds only newer 2080s. 2095 stays, 2080 adds up.
{ event 2080 201 "10 minutes ago"; event 2080 202 "5 minutes ago"; } \
  > "$ITEST_DIR/hosts/EX02/events-application.xml.new"
mv "$ITEST_DIR/hosts/EX02/events-application.xml.new" "$ITEST_DIR/hosts/EX02/events-application.xml"
rotated() { [ "$(window)" = '{"2080":5,"2095":2}' ]; }
wait_until 10 "the rotated export merged into the window" rotated
ex02_batches() { cat "$ITEST_DIR"/collector*.log | grep -c "host=EX02 source=host_folder batch="; }
wait_for_more 10 2 "two more reads of the same file" ex02_batches
[ "$(window)" = '{"2080":5,"2095":2}' ] || fail "re-reading a file counted twice: $(window)"
pass "after the log rotated the window keeps both exports' events, each counted once"
# The new export grows: its new occurrence counts, its old ones do not count again.
event 2080 203 "1 minute ago" >> "$ITEST_DIR/hosts/EX02/events-application.xml"
grown() { [ "$(window)" = '{"2080":6,"2095":2}' ]; }
wait_until 10 "the grown export in the window" grown
pass "the rotated export growing adds only its new occurrence"
stop_pid "$COLLECTOR_PID" TERM
[ "$STOP_RC" = "0" ] || fail "collector stopped with $STOP_RC"
start_collector 2 "$PORT"
wait_until 10 "collector restarted" grep -q "listening on" "$ITEST_DIR/collector2.log"
[ "$(window)" = '{"2080":6,"2095":2}' ] || fail "after a restart the window is $(window)"
pass "the window survives a collector restart"
cli export-bundle "$ITEST_DIR/export2" > "$ITEST_DIR/export2.out"
json=$("$CLI" bundle check "$ITEST_DIR/export2" --json)
expect_jq "$json" '.hosts[] | select(.name=="EX02") | .counts.events == 8' \
  "the export keeps every occurrence count (event-aggregates-application.json)"
[ -f "$ITEST_DIR/export2/hosts/EX02/event-aggregates-application.json" ] ||
  fail "no event-aggregates file in the export"

# A file changed on disk shows within one interval.
sed -i 's/"MessageCount": 37/"MessageCount": 512/' "$ITEST_DIR/hosts/EX01/get-queue.json"
updated() { cli queues --json | jq -e '.queues[] | select(.host=="EX01") | .message_count == 512' >/dev/null; }
wait_until 10 "the changed file to show" updated
pass "a changed file shows within an interval"

# A corrupted file is that file's error; the rest still flows.
printf '{"Identity": "EX01\\\\12", "Status": ' > "$ITEST_DIR/hosts/EX01/get-queue.json"
degraded() { cli evidence EX01 --json | jq -e '.sources[0].health == "degraded"' >/dev/null; }
wait_until 10 "the corrupted file to show" degraded
json=$(cli evidence EX01 --json)
expect_jq "$json" '.sources[0].reason | test("hosts/EX01/get-queue.json")' \
  "the error names the broken file"
expect_jq "$json" '[.evidence[].kind] | index("w32tm_status") != null' "the other file still flows"
cli evidence EX01 | grep "degraded" >/dev/null || fail "text view lacks the health"
pass "text view shows the source health"

# Issue 16: an Exchange 2010 intra-site queue names no server ("hub version 14", the KB's plain
# LastError). Resolved live from the hellos (site HQ, version 14, HubTransport): EX02 is the only
# other hub of HQ, so its clock is the diagnosis.
kb='451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts.'
cat > "$ITEST_DIR/hosts/EX01/get-queue.json" <<JSON
[{"Identity": "EX01\\\\21", "DeliveryType": "SmtpRelayWithinAdSite", "Status": "Retry",
  "MessageCount": 14, "NextHopDomain": "hub version 14", "LastError": "$kb"}]
JSON
hub_diagnosed() {
  cli diagnose --json | jq -e '.diagnoses[0].next_hops[0].next_hop == "hub version 14"' >/dev/null
}
wait_until 20 "the hub version 14 queue diagnosed" hub_diagnosed
json=$(cli diagnose --json)
expect_jq "$json" '.diagnoses[0] | .blamed_host == "EX02" and .causes[0].cause == "clock_skew" and
  .queues[0].identity == "EX01\\21" and .next_hops[0].chosen == ["EX02"] and
  .next_hops[0].chosen_by == "the only candidate"' \
  "the 'hub version 14' queue is EX02's clock skew, EX02 the only candidate"
cli diagnose | grep "next hop: EX01 -> 'hub version 14' (SmtpRelayWithinAdSite): candidates EX02" >/dev/null \
  || fail "text view: $(cli diagnose | grep 'next hop' || true)"
pass "the text view says how the next hop was resolved"
