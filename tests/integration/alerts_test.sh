#!/usr/bin/env bash
# On-call on loopback: the live_diagnosis fleet (EX02 7 minutes ahead under libfaketime, EX01's
# queue to EX02 stuck) pages a real prometheus-alertmanager (whose webhook receiver is a recorder
# here), a fake PagerDuty that answers 429 then 202, and an HMAC-signed webhook. Checked: exactly
# one notification with the right labels; the webhook down across a collector restart loses and
# duplicates nothing; clearing the queue resolves everywhere, in order; promtool accepts the live
# /metrics; kerbside diagnose and watch show first seen / last changed.
set -euo pipefail
COLLECTOR=$1 AGENT=$2 CLI=$3 PKI=$4 RECORDER=$5
. "$(dirname "$0")/lib.sh"
itest_init alerts
LIBFAKETIME=$(find_libfaketime)
command -v prometheus-alertmanager >/dev/null || fail "prometheus-alertmanager is not installed"
command -v promtool >/dev/null || fail "promtool (package prometheus) is not installed"

# Recorders: Alertmanager's webhook receiver, the fake PagerDuty, the signed webhook.
recorder() {  # recorder NAME [flags...]
  local name=$1; shift
  mkdir -p "$ITEST_DIR/$name"
  rm -f "$ITEST_DIR/$name.port"
  start_bg "$name" "$RECORDER" --dir "$ITEST_DIR/$name" --port_file "$ITEST_DIR/$name.port" "$@"
  wait_until 10 "$name recorder" test -s "$ITEST_DIR/$name.port"
}
recorder amhook
recorder pd --script 429 --retry_after 1 --default_status 202
recorder hook
HOOK_PID=$LAST_PID
AMHOOK_PORT=$(cat "$ITEST_DIR/amhook.port") PD_PORT=$(cat "$ITEST_DIR/pd.port")
HOOK_PORT=$(cat "$ITEST_DIR/hook.port")

AM_PORT=$(free_port)
mkdir -p "$ITEST_DIR/am-data"
cat > "$ITEST_DIR/alertmanager.yml" <<YAML
route:
  receiver: recorder
  group_by: [alertname, cause, blamed_host]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: recorder
    webhook_configs:
      - url: http://127.0.0.1:$AMHOOK_PORT/am
        send_resolved: true
YAML
start_bg alertmanager prometheus-alertmanager --config.file "$ITEST_DIR/alertmanager.yml" \
  --storage.path "$ITEST_DIR/am-data" --web.listen-address "127.0.0.1:$AM_PORT" \
  --cluster.listen-address= --log.level=warn
wait_until 20 "alertmanager ready" curl -sf "http://127.0.0.1:$AM_PORT/-/ready"

itest_fleet_pki "$PKI" dc01 ex01 ex02

# Host folders: EX01's queue to EX02 is stuck with the KB's error; EX02 delivers.
itest_stuck_queue_folders

# Correlator runs of the diagnosis keeper so far (its /metrics counter).
keeper_runs() {
  curl -sf "$METRICS" | awk '/^kerbside_correlator_runs_total/ { n += $2 } END { print n + 0 }'
}

collector() {  # collector LOGNAME LISTEN
  local log=$1 listen=$2
  start_bg "$log" "$COLLECTOR" --listen "$listen" --db "$ITEST_DIR/collector.db" \
    --ca "$pki/ca.crt" --cert "$pki/collector.lab.test.crt" --key "$pki/collector.lab.test.key" \
    --heartbeat_interval 1s --time_exchange_interval 1s --metrics_listen 127.0.0.1:0 \
    --diagnosis_interval 5s --diagnosis_recheck_interval 30s --alert_hold 2s \
    --alert_resolve_hold 2s --alert_retry_initial 500ms --alert_retry_max 2s \
    --alert_sink "alertmanager url=http://127.0.0.1:$AM_PORT resend=5s" \
    --alert_sink "pagerduty name=pd url=http://127.0.0.1:$PD_PORT/v2/enqueue routing_key=test-routing-key" \
    --alert_sink "webhook name=hook url=http://127.0.0.1:$HOOK_PORT/hook secret=s3cret"
  COLLECTOR_PID=$LAST_PID
  wait_until 10 "collector listening" grep -q "listening on" "$ITEST_DIR/$log.log"
  PORT=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$ITEST_DIR/$log.log")
  ADDR=localhost:$PORT
  wait_until 10 "metrics listening" grep -q "metrics on" "$ITEST_DIR/$log.log"
  METRICS=http://127.0.0.1:$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$ITEST_DIR/$log.log")/metrics
}
cli() {
  "$CLI" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" --key "$pki/oncall.key" \
    --timeout 5 "$@"
}
agent() {  # agent NAME ROLE [flags...]
  local name=$1 role=$2; shift 2
  local lower=${name,,}
  exec "$AGENT" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/$lower.lab.test.crt" \
    --key "$pki/$lower.lab.test.key" --netbios_name "$name" --fqdn "$lower.lab.test" \
    --role "$role" --site HQ --ip 127.0.0.1 --backoff_initial 200ms --backoff_max 1s "$@"
}
# requests NAME JQ-FILTER: how many recorded requests match.
requests() { jq -s "[.[] | select($2)] | length" "$ITEST_DIR/$1/requests.jsonl" 2>/dev/null || echo 0; }

collector collector 127.0.0.1:0
start_bg dc01 agent DC01 dc --pdc_emulator
start_bg ex01 agent EX01 exchange --host_folder "$ITEST_DIR/hosts/EX01" --host_folder_interval 1s
start_bg ex02 env LD_PRELOAD="$LIBFAKETIME" FAKETIME=+420s FAKETIME_DONT_FAKE_MONOTONIC=1 \
  "$AGENT" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/ex02.lab.test.crt" \
  --key "$pki/ex02.lab.test.key" --netbios_name EX02 --fqdn ex02.lab.test --role exchange \
  --site HQ --ip 127.0.0.1 --host_folder "$ITEST_DIR/hosts/EX02" --host_folder_interval 1s \
  --backoff_initial 200ms --backoff_max 1s
t_start=$SECONDS

# 1. The diagnosis pages once everywhere.
pd_triggered() { [ "$(requests pd '.status == 202 and .body.event_action == "trigger"')" -ge 1 ]; }
wait_until 40 "PagerDuty trigger delivered" pd_triggered
pass "paged $((SECONDS - t_start))s after the agents started (hold 2s)"
am_firing() { [ "$(requests amhook '.body.status == "firing"')" -ge 1 ]; }
wait_until 20 "Alertmanager's firing notification" am_firing
hook_triggered() { [ "$(requests hook '.body.action == "trigger"')" -ge 1 ]; }
wait_until 20 "webhook trigger" hook_triggered
# Any duplicate comes from a later keeper run: wait for one.
wait_for_more 20 1 "another keeper run" keeper_runs

expect_jq "$(jq -s . "$ITEST_DIR/amhook/requests.jsonl")" \
  '[.[] | select(.body.status == "firing")] | length == 1' \
  "Alertmanager sent exactly one firing notification"
expect_jq "$(jq -s . "$ITEST_DIR/amhook/requests.jsonl")" \
  '.[0].body.alerts | length == 1 and (.[0].labels == {"alertname":"KerbsideStuckQueue",
    "cause":"clock_skew","blamed_host":"EX02","site":"HQ","severity":.[0].labels.severity})
    and (.[0].labels.severity | IN("critical","warning"))
    and (.[0].annotations.summary | test("EX01 -> EX02 stuck: clock skew"))
    and (.[0].annotations.fix | test("w32tm"))
    and (.[0].annotations.queues | test("EX01\\\\12"))' \
  "the notification has the labels alertname, cause, blamed_host, site, severity and the annotations"
pd=$(jq -s . "$ITEST_DIR/pd/requests.jsonl")
expect_jq "$pd" '.[0].status == 429 and .[1].status == 202 and
  .[0].body.dedup_key == "kerbside/clock_skew/EX02" and .[1].body == .[0].body' \
  "PagerDuty: 429, then the same trigger again, accepted"
expect_jq "$pd" '[.[] | select(.status == 202 and .body.event_action == "trigger")] | length == 1' \
  "PagerDuty: exactly one trigger delivered"
expect_jq "$pd" '.[1].body | .routing_key == "test-routing-key" and .payload.source == "EX02"
  and .payload.custom_details.cause == "clock_skew"' "PagerDuty payload: routing key, source, details"
grep -q "alert sink pd: trigger clock_skew/EX02 attempt 1 failed: HTTP 429" \
  "$ITEST_DIR/collector.log" \
  || fail "the 429 is not logged"
echo "   $(grep -o 'alert sink pd: trigger clock_skew/EX02 delivered.*' "$ITEST_DIR/collector.log" | head -n 1)"
echo "   $(grep -o 'alert sink hook: trigger clock_skew/EX02 delivered.*' "$ITEST_DIR/collector.log" | head -n 1)"

# 2. /metrics passes promtool and says what happened.
# Issue 12 item 5: twelve clients that connect and send nothing (more than httplib's 8 workers)
# used to block every scrape; now an idle client is dropped after 1 s and a scrape gets through.
python3 - "$METRICS" > "$ITEST_DIR/slow-clients.log" 2>&1 <<'PY' || fail "/metrics with 12 idle clients: $(cat "$ITEST_DIR/slow-clients.log")"
import socket, sys, time, urllib.parse, urllib.request
u = urllib.parse.urlparse(sys.argv[1])
idle = [socket.create_connection((u.hostname, u.port)) for _ in range(12)]
t0 = time.monotonic()
body = urllib.request.urlopen(sys.argv[1], timeout=10).read()
took = time.monotonic() - t0
print(f"scrape with 12 idle clients: {took:.2f} s, {len(body)} bytes")
sys.exit(0 if took < 4 and body.startswith(b"#") else 1)
PY
pass "$(cat "$ITEST_DIR/slow-clients.log")"
curl -sf "$METRICS" > "$ITEST_DIR/metrics.txt" || fail "GET $METRICS"
promtool check metrics < "$ITEST_DIR/metrics.txt" > "$ITEST_DIR/promtool.log" 2>&1 \
  || { cat "$ITEST_DIR/promtool.log"; fail "promtool check metrics"; }
pass "promtool check metrics accepts the live /metrics ($(wc -l < "$ITEST_DIR/metrics.txt") lines)"
metric() { awk -v m="$1" 'index($0, m) == 1 { print $NF; exit }' "$ITEST_DIR/metrics.txt"; }
[ "$(metric 'kerbside_hosts_connected ')" = 3 ] || fail "kerbside_hosts_connected: $(metric 'kerbside_hosts_connected ')"
off=$(metric 'kerbside_clock_offset_seconds{host="EX02",reference="collector"}')
awk -v o="$off" 'BEGIN { exit !(o > 410 && o < 430) }' || fail "EX02 offset $off"
[ "$(metric 'kerbside_diagnoses{cause="clock_skew",state="active"}')" = 1 ] || fail "diagnoses gauge"
[ "$(metric 'kerbside_alert_deliveries_total{sink="pd",kind="pagerduty",result="retry"}')" = 1 ] \
  || fail "pd retry counter"
[ "$(metric 'kerbside_stuck_queues{host="EX01"}')" = 1 ] || fail "stuck queues"
grep -q '^kerbside_evidence_age_seconds{host="EX01",source="host_folder"}' "$ITEST_DIR/metrics.txt" \
  || grep -q '^kerbside_evidence_age_seconds{host="EX01"' "$ITEST_DIR/metrics.txt" \
  || fail "evidence age of EX01"
pass "metrics: 3 connected, EX02 +${off}s, one active clock_skew, one PagerDuty retry, EX01's stuck queue"

# 3. The CLI shows first seen / last changed.
json=$(cli diagnose --json)
expect_jq "$json" '.diagnoses[0].tracking | .state == "active" and .paged and
  (.first_seen | test("Z$")) and (.last_changed | test("Z$"))' "kerbside diagnose --json: tracking"
# Paged when the hold ran out, not at the next correlation (5 s) or recheck (30 s): the
# keeper's own first-seen and last-changed times, on the collector's clock (issue 16).
held=$(echo "$json" | jq -r '.diagnoses[0].tracking | [.first_seen, .last_changed] | @tsv' |
  python3 -c 'import sys, datetime as d
a, b = sys.stdin.read().split()
t = lambda s: d.datetime.fromisoformat(s.replace("Z", "+00:00"))
print("%.3f" % (t(b) - t(a)).total_seconds())')
if [ "$(echo "$held >= 2 && $held <= 2.5" | bc)" = 1 ]; then
  pass "paged ${held}s after first seen (hold 2s, correlation every 5s, recheck 30s)"
else fail "paged ${held}s after first seen; the hold is 2s"; fi
# And where it counts, at a receiver: the PagerDuty recorder's arrival time of the first
# trigger (the recorder answers it 429, to test retries) against the keeper's first seen: after
# the 2 s hold and before hold + 1 s (issue 16).
# (Alertmanager's own updatedAt moves with every resend, so it cannot date the first page.)
first_ms=$(echo "$json" | jq -r '.diagnoses[0].tracking.first_seen' |
  python3 -c 'import sys, datetime as d
print(int(d.datetime.fromisoformat(sys.stdin.read().strip().replace("Z", "+00:00")).timestamp() * 1000))')
pd_ms=$(jq -s '[.[] | select(.body.event_action == "trigger")][0].received_unix_ms' \
  "$ITEST_DIR/pd/requests.jsonl")
delay_ms=$((pd_ms - first_ms))
if [ "$delay_ms" -ge 2000 ] && [ "$delay_ms" -le 3000 ]; then
  pass "PagerDuty received the page ${delay_ms} ms after first seen (hold 2000 ms)"
else fail "PagerDuty received the page ${delay_ms} ms after first seen; the hold is 2000 ms"; fi
cli diagnose | grep "clock_skew on EX02: active (paged), first seen" >/dev/null \
  || fail "kerbside diagnose text lacks first seen: $(cli diagnose | tail -n 3)"
line=$(timeout 10 "$CLI" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" \
  --key "$pki/oncall.key" watch --json --count 1 --interval 0.5)
expect_jq "$line" '.diagnoses[0].cause == "clock_skew" and .diagnoses[0].state == "active"
  and (.stuck_queues | length == 1) and (.time | test("Z$"))' "kerbside watch --json: one line per change"

# 4. The webhook goes down; the collector restarts; the queue drains; the webhook comes back.
stop_pid "$HOOK_PID"
stop_pid "$COLLECTOR_PID"
[ "$STOP_RC" = 0 ] || fail "collector did not stop cleanly on SIGTERM ($STOP_RC)"
# The same port: the agents reconnect to where the collector was.
collector collector-restarted "127.0.0.1:$PORT"
pass "collector restarted on the same store"
sed -i 's/"Status": "Retry"/"Status": "Active"/; s/"MessageCount": 37/"MessageCount": 0/' \
  "$ITEST_DIR/hosts/EX01/get-queue.json"
t_clear=$SECONDS
pd_resolved() { [ "$(requests pd '.status == 202 and .body.event_action == "resolve"')" -ge 1 ]; }
wait_until 30 "PagerDuty resolve" pd_resolved
pass "resolved $((SECONDS - t_clear))s after the queue drained (resolve hold 2s)"
am_resolved() { [ "$(requests amhook '.body.status == "resolved"')" -ge 1 ]; }
wait_until 20 "Alertmanager's resolved notification" am_resolved
wait_until 20 "the webhook's retries" grep -q "alert sink hook: resolve clock_skew/EX02 attempt" \
  "$ITEST_DIR/collector-restarted.log"
recorder hook --port "$HOOK_PORT"
hook_resolved() { [ "$(requests hook '.body.action == "resolve"')" -ge 1 ]; }
wait_until 20 "the webhook's resolve after it came back" hook_resolved
wait_for_more 20 1 "another keeper run" keeper_runs

expect_jq "$(jq -s . "$ITEST_DIR/amhook/requests.jsonl")" \
  '([.[] | select(.body.status == "firing")] | length == 1) and
   ([.[] | select(.body.status == "resolved")] | length == 1) and
   ([.[] | select(.body.status == "resolved")][0].body.alerts[0].labels.cause == "clock_skew")' \
  "Alertmanager: one firing, one resolved notification, nothing duplicated by the restart"
expect_jq "$(jq -s . "$ITEST_DIR/pd/requests.jsonl")" \
  '[.[] | select(.status == 202) | .body.event_action] == ["trigger", "resolve"]' \
  "PagerDuty: trigger then resolve, once each"
expect_jq "$(jq -s . "$ITEST_DIR/hook/requests.jsonl")" \
  '[.[] | .body.action] == ["trigger", "resolve"]' \
  "webhook: trigger, then (down, collector restarted) the resolve: nothing lost, nothing repeated"
for n in $(jq -r '.n' "$ITEST_DIR/hook/requests.jsonl"); do
  sig=$(jq -r "select(.n == $n) | .signature" "$ITEST_DIR/hook/requests.jsonl" | tail -n 1)
  want=$(openssl dgst -sha256 -hmac s3cret -r "$ITEST_DIR/hook/$n.body" | cut -d' ' -f1)
  [ "$sig" = "sha256=$want" ] || fail "webhook request $n: signature $sig, want sha256=$want"
done
pass "every webhook body carries a valid HMAC-SHA256 signature"
expect_jq "$(cli diagnose --json)" '.diagnoses == [] and (.tracked[0].state == "resolved")' \
  "kerbside diagnose: nothing stuck, the diagnosis kept as resolved"
pass "total $((SECONDS - t_start))s"
