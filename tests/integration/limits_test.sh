#!/usr/bin/env bash
# Issue 12 item 4, the poison batch: an agent whose host folder holds a queue file that parses
# into more than one batch may carry (here 7 MB of queues) used to send an ~18 MB batch that the
# collector's gRPC refused, reconnecting about once a second forever with its clock never
# measured. Now the agent cuts the batch itself and says so in the source's health, the stream
# stays up, the clock is measured, and the host's other files still arrive.
set -euo pipefail
COLLECTOR=$1 AGENT=$2 CLI=$3 PKI=$4
. "$(dirname "$0")/lib.sh"
itest_init limits

itest_fleet_pki "$PKI" ex01
mkdir -p "$ITEST_DIR/hosts/EX01" "$ITEST_DIR/hosts/EX01b"
python3 - "$ITEST_DIR/hosts/EX01/get-queue.json" <<'PY'
import json, sys
queues = [{"Identity": "EX01\\%d" % i, "DeliveryType": "SmtpRelayToMailboxDeliveryGroup",
           "Status": "Retry", "MessageCount": i % 50, "NextHopDomain": "ex%05d.lab.test" % i,
           "LastError": "451 4.4.0 Primary target IP address responded with: \"454 4.7.0 "
                        "Temporary authentication failure.\" " + "x" * 80}
          for i in range(21000)]
open(sys.argv[1], "w").write(json.dumps(queues))
PY
echo "file: $(stat -c %s "$ITEST_DIR/hosts/EX01/get-queue.json") bytes"

itest_start_collector "$COLLECTOR" "$CLI"
start_bg agent "$AGENT" --collector "localhost:$PORT" --ca "$pki/ca.crt" \
  --cert "$pki/ex01.lab.test.crt" --key "$pki/ex01.lab.test.key" --netbios_name EX01 \
  --fqdn ex01.lab.test --role exchange --site HQ --ip 127.0.0.1 --backoff_initial 200ms \
  --backoff_max 1s --host_folder "$ITEST_DIR/hosts/EX01" --host_folder_interval 2s

reported() {
  cli evidence EX01 --json | jq -e '.sources[] | select(.source == "host_folder")' >/dev/null
}
wait_until 60 "the host_folder source reported" reported
json=$(cli evidence EX01 --json)
expect_jq "$json" '.sources[] | select(.source == "host_folder") | .health == "failing" and
  (.reason | test("more than one batch carries"))' \
  "the oversized read is refused by the agent and said in the source's health"
refused_reads() { grep -c "source=host_folder.*health=FAILING" "$ITEST_DIR/agent.log" || true; }
wait_for_more 20 3 "three more reads of the folder, as many refused batches" refused_reads
connects=$(grep -c "agent connected host=EX01" "$ITEST_DIR/collector.log" || true)
[ "$connects" = 1 ] || fail "the agent connected $connects times (a reconnection loop)"
pass "one stream for the whole run (no reconnection loop)"
has_clock() { cli hosts --json | jq -e '.hosts[] | select(.name == "EX01") | .clock_vs_collector != null' \
  >/dev/null; }
wait_until 20 "EX01's clock measured" has_clock
pass "the agent's clock is measured"

# Back to a sane file: the next read is sent and the source is healthy again.
printf '%s\n' '[{"Identity": "EX01\\12", "Status": "Ready", "MessageCount": 0,' \
  '"NextHopDomain": "ex02.lab.test"}]' > "$ITEST_DIR/hosts/EX01/get-queue.json"
healthy() { cli evidence EX01 --json | jq -e '.sources[] | select(.source == "host_folder") |
  .health == "ok"' >/dev/null; }
wait_until 30 "host_folder healthy again" healthy
pass "a sane file afterwards is sent as usual"
