#!/usr/bin/env bash
# Ingest rate of the collector beside a bare gRPC server of the same service (issue 17): the same
# load generator (bench/stream_load: STREAMS agents, each with its own certificate, mutual TLS,
# sending queue-snapshot batches back to back with up to WINDOW unacknowledged), first against
# bench/bare_agent_server (acknowledges without doing anything), then against kerbside-collector
# with a fresh SQLite store, for each batch size. Prints items/s of both and their ratio.
# The pair runs ROUNDS times in turn, each ratio from a bare run and the collector run right
# after it, and the median ratio is printed last: on a shared 2-core machine both rates drift by
# a quarter within minutes, and a ratio of two runs far apart measured the drift.
# usage: bench/collector_ingest.sh BUILD_DIR [STREAMS [SECONDS [WINDOW [ROUNDS]]]]
set -euo pipefail
BUILD=${1:?BUILD_DIR}
STREAMS=${2:-50}
SECONDS_HELD=${3:-15}
WINDOW=${4:-4}
ROUNDS=${5:-3}
source "$(dirname "$0")/lib.sh"
bench_setup ingest
PID=

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Runs the load against the server PID on PORT; sets RATE (items/s) and CPU_US (the server's CPU
# microseconds per item: what the rate costs it, steadier than the rate on a shared machine).
measure() {  # PID PORT ITEMS
  local before after items
  before=$(cpu_ticks "$1")
  RATE=$(load "$2" "$3")
  after=$(cpu_ticks "$1")
  items=$(sed -n 's/acknowledged \([0-9]*\) items.*/\1/p' "$D/load.out")
  CPU_US=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$items" \
    'BEGIN{printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0)}')
}
load() {  # PORT ITEMS -> items/s
  timeout $((SECONDS_HELD + 120)) "$LOAD" "localhost:$1" "$D/pki/ca.crt" "$D/pki/ca.key" \
    "$STREAMS" "$SECONDS_HELD" --heartbeat 3600 --batch_items "$2" --window "$WINDOW" > "$D/load.out" 2>&1 ||
    { echo "stream_load failed:" >&2; cat "$D/load.out" >&2; return 1; }
  sed -n 's/.*: \([0-9]*\) items\/s/\1/p' "$D/load.out"
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

printf '%12s %14s %16s %8s %14s %18s %8s\n' items/batch bare_items/s collector_items/s ratio \
  bare_cpu_us/item collector_cpu_us/item ratio
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
for items in 1 5; do
  ratios=() cpu_ratios=()
  for _ in $(seq 1 "$ROUNDS"); do
    "$BARE" 127.0.0.1:0 "$D/pki/ca.crt" "$CERT" "$KEY" > "$D/bare.log" 2>&1 &
    PID=$!
    port=$(listening_port "$PID") || { echo "bare server did not listen"; cat "$D/bare.log"; exit 1; }
    measure "$PID" "$port" "$items"
    bare=$RATE bare_cpu=$CPU_US
    stop
    rm -f "$D"/collector.db*
    "$COLLECTOR" --listen 127.0.0.1:0 --db "$D/collector.db" --metrics_listen "" \
      --ca "$D/pki/ca.crt" --cert "$CERT" --key "$KEY" --log_level warn \
      > "$D/collector.log" 2>&1 &
    PID=$!
    port=$(listening_port "$PID") || { echo "collector did not listen"; cat "$D/collector.log"; exit 1; }
    measure "$PID" "$port" "$items"
    kerb=$RATE kerb_cpu=$CPU_US
    stop
    ratio=$(awk -v a="$kerb" -v b="$bare" 'BEGIN{printf "%.2f", a/b}')
    cpu_ratio=$(awk -v a="$kerb_cpu" -v b="$bare_cpu" 'BEGIN{printf "%.2f", (b > 0 ? a/b : 0)}')
    ratios+=("$ratio") cpu_ratios+=("$cpu_ratio")
    printf '%12s %14s %16s %8s %14s %18s %8s\n' "$items" "$bare" "$kerb" "$ratio" "$bare_cpu" \
      "$kerb_cpu" "$cpu_ratio"
  done
  printf '%12s %14s %16s %8s %14s %18s %8s\n' "$items" "median of" "$ROUNDS" \
    "$(printf '%s\n' "${ratios[@]}" | median)" "" "" "$(printf '%s\n' "${cpu_ratios[@]}" | median)"
done
echo "($STREAMS streams, $SECONDS_HELD s each, up to $WINDOW batches unacknowledged per stream;"
echo " goal: collector >= 0.5x bare in items/s (the median of the rounds); CPU per item is the"
echo " server's own, the second ratio how many times the bare server's the collector spends)"
