#!/usr/bin/env bash
# The agent's spool on disk: evidence published while the collector is down waits in the spool
# (one file per batch), reaches the collector when it comes up, and leaves the spool only when
# acknowledged; a restarted agent keeps its spool id and goes on counting, so the collector can
# tell a batch it already stored.
set -euo pipefail
COLLECTOR=$1 AGENT=$2 CLI=$3 PKI=$4
. "$(dirname "$0")/lib.sh"
itest_init spool

itest_fleet_pki "$PKI" ex01
itest_stuck_queue_folders
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SPOOL=$ITEST_DIR/spool

agent() {  # agent LOG
  start_bg "$1" "$AGENT" --collector "localhost:$PORT" --ca "$pki/ca.crt" \
    --cert "$pki/ex01.lab.test.crt" --key "$pki/ex01.lab.test.key" --netbios_name EX01 \
    --fqdn ex01.lab.test --role exchange --site HQ --ip 127.0.0.1 --backoff_initial 200ms \
    --backoff_max 1s --host_folder "$ITEST_DIR/hosts/EX01" --host_folder_interval 1s \
    --spool_dir "$SPOOL" --spool_max_bytes 2097152
  AGENT_PID=$LAST_PID
}
batches() { find "$SPOOL" -name '*.batch' 2>/dev/null | wc -l; }
# For wait_until, which runs a command again and again (an argument like "$(batches)" would be
# expanded once).
spool_has_batches() { [ "$(batches)" -ge 1 ]; }
spool_empty() { [ "$(batches)" -eq 0 ]; }

# No collector yet: the batch waits in the spool.
agent agent1
wait_until 15 "a spooled batch on disk" spool_has_batches
stop_pid "$AGENT_PID"
[ "$STOP_RC" = 0 ] || fail "agent did not stop cleanly ($STOP_RC)"
read -r ID1 NEXT1 < "$SPOOL/spool-state"
[ "$(batches)" -ge 1 ] || fail "the spool lost its batch at stop"
pass "unacknowledged evidence stays on disk across a stop (spool $ID1, next sequence $NEXT1)"

start_bg collector "$COLLECTOR" --listen "127.0.0.1:$PORT" --db "$ITEST_DIR/collector.db" \
  --ca "$pki/ca.crt" --cert "$pki/collector.lab.test.crt" --key "$pki/collector.lab.test.key" \
  --heartbeat_interval 1s --time_exchange_interval 1s --metrics_listen ""
wait_until 10 "collector listening" grep -q "listening on" "$ITEST_DIR/collector.log"
cli() {
  "$CLI" --collector "localhost:$PORT" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" \
    --key "$pki/oncall.key" --timeout 5 "$@"
}

agent agent2
has_queue() { cli queues --json | jq -e '.queues | length >= 1' >/dev/null; }
wait_until 30 "EX01's evidence at the collector" has_queue
wait_until 15 "the spool emptied by the collector's acknowledgements" spool_empty
pass "the spool's newest snapshot delivered (older ones of a source are superseded) and forgotten only once acknowledged"
read -r ID2 NEXT2 < "$SPOOL/spool-state"
[ "$ID2" = "$ID1" ] || fail "a restarted agent changed its spool id ($ID1 -> $ID2)"
[ "$NEXT2" -gt "$NEXT1" ] || fail "sequences went back ($NEXT1 -> $NEXT2)"
# The first batch the collector stored is the one spooled before the stop, or a later one.
first=$(sed -n 's/.*host=EX01 source=host_folder batch=\([0-9]*\).*/\1/p' \
  "$ITEST_DIR/collector.log" | head -n 1)
[ -n "$first" ] || fail "no stored batch number in the collector's log"
[ "$first" -ge $((NEXT1 - 1)) ] || fail "the collector stored batch $first, older than the spool's"
pass "the restarted agent kept spool $ID1 and counted on ($NEXT1 -> $NEXT2; first stored $first)"
