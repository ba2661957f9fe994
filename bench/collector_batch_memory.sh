#!/usr/bin/env bash
# Collector memory against evidence batch shape (issue 12 item 4: one batch of 450k tiny items
# once took the collector to 1.26 GB). Starts a collector on loopback with its own PKI, measures
# its peak RSS (VmHWM) idle with one agent connected (the baseline, same run), then after batches
# of each shape within the wire limits (common/wire_limits.h: 20,000 items, 8 MiB), and one
# beyond them (refused), each on a fresh collector. Prints a table with the ratio to the
# baseline. usage: bench/collector_batch_memory.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?BUILD_DIR}
source "$(dirname "$0")/lib.sh"
SENDER=$BUILD/bench/batch_sender
bench_setup mem
PID=
"$PKI" host "$D/pki" exchange ex01.bench.test 127.0.0.1 > /dev/null

hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
start_collector() {
  rm -f "$D"/collector.db*
  "$COLLECTOR" --listen 127.0.0.1:0 --db "$D/collector.db" --metrics_listen "" \
    --ca "$D/pki/ca.crt" --cert "$CERT" --key "$KEY" > "$D/collector.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$D/collector.log" && break; sleep 0.1; done
  PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$D/collector.log" | head -n 1)
}
send() {  # BATCHES ITEMS ITEM_BYTES -> ms, or "refused"
  timeout 300 "$SENDER" "127.0.0.1:$PORT" "$D/pki/ca.crt" "$D/pki/ex01.bench.test.crt" \
    "$D/pki/ex01.bench.test.key" EX01 ex01.bench.test "$@" 2> "$D/sender.err" || echo refused
}
stop_collector() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

start_collector
send 1 1 100 > /dev/null
base=$(hwm_kib "$PID")
stop_collector
printf '%-34s %12s %12s %10s %10s\n' "shape" "wire MiB" "peak RSS MiB" "x idle" "send ms"
printf '%-34s %12s %12.1f %10s %10s\n' "idle, one agent, one tiny batch" "-" \
  "$(echo "$base / 1024" | bc -l)" "1.00" "-"
for shape in "1 1 4000000" "1 20000 16" "1 20000 300" "5 20000 300" "1 60000 16"; do
  read -r batches items bytes <<<"$shape"
  start_collector
  ms=$(send "$batches" "$items" "$bytes")
  peak=$(hwm_kib "$PID")
  stop_collector
  wire=$(echo "$items * ($bytes + 60) / 1048576" | bc -l)
  printf '%-34s %12.1f %12.1f %10.2f %10s\n' \
    "$batches x $items items x $bytes B" "$wire" "$(echo "$peak / 1024" | bc -l)" \
    "$(echo "$peak / $base" | bc -l)" "$ms"
done
echo "(60,000 items is over the 20,000-item limit: the collector refuses the batch and ends"
echo " the stream without storing it; wire MiB is an estimate of the batch's size)"
