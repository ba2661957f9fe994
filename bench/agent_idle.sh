#!/usr/bin/env bash
# The agent's idle cost (issue 17): memory, CPU, threads and wakeups of kerbside-agent connected
# to a collector on loopback with one host folder (the demo's EX01) and its default intervals,
# beside a bare gRPC client of the same service in the same run (bench/stream_load with one
# stream: the same gRPC, TLS and protobuf; hello, a clock exchange and a heartbeat every 15 s,
# nothing else). Both are measured over the same SECONDS after a warm-up.
# usage: bench/agent_idle.sh BUILD_DIR [SECONDS]      (the issue's figure is over 120 s)
set -euo pipefail
BUILD=${1:?BUILD_DIR}
SECS=${2:-120}
source "$(dirname "$0")/lib.sh"
bench_setup idle
"$PKI" host "$D/pki" exchange ex01.bench.test 127.0.0.1 > /dev/null

port=$(free_port)
"$COLLECTOR" --listen "127.0.0.1:$port" --db "$D/collector.db" --metrics_listen "" \
  --ca "$D/pki/ca.crt" --cert "$CERT" --key "$KEY" --log_level warn > "$D/collector.log" 2>&1 &
sleep 1
"$AGENT" --collector "localhost:$port" --ca "$D/pki/ca.crt" --cert "$D/pki/ex01.bench.test.crt" \
  --key "$D/pki/ex01.bench.test.key" --netbios_name EX01 --fqdn ex01.bench.test --role exchange \
  --site BENCH --ip 127.0.0.1 --host_folder "$ROOT/deploy/demo/hosts/EX01" \
  --spool_dir "$D/spool" --log_level warn > "$D/agent.log" 2>&1 &
AGENT_PID=$!
"$LOAD" "localhost:$port" "$D/pki/ca.crt" "$D/pki/ca.key" 1 $((SECS + 60)) --heartbeat 15 \
  > "$D/bare.log" 2>&1 &
BARE_PID=$!

# CPU nanoseconds of every thread (schedstat: finer than clock ticks, which at 0.02 % over
# 120 s would be two or three), and context switches (each a wakeup of some thread).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}'; }
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(non)?voluntary_ctxt_switches:/ {s += $2} END {print s}'
}
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

sleep 10  # warm-up: connected, first folder read and probe round done
declare -A c0 s0
for p in "$AGENT_PID" "$BARE_PID"; do c0[$p]=$(cpu_ns "$p"); s0[$p]=$(switches "$p"); done
sleep "$SECS"
printf '%-34s %8s %8s %8s %10s %8s %12s\n' process rss_mb anon_mb threads cpu_pct wakeups/s "cpu_ms/${SECS}s"
for p in "$AGENT_PID" "$BARE_PID"; do
  name=kerbside-agent
  [ "$p" = "$BARE_PID" ] && name="bare gRPC client (stream_load 1)"
  kill -0 "$p" 2>/dev/null || { echo "$name ended early:"; tail "$D"/*.log; exit 1; }
  c=$(( $(cpu_ns "$p") - c0[$p] ))
  s=$(( $(switches "$p") - s0[$p] ))
  printf '%-34s %8.1f %8.1f %8s %10.4f %8.2f %12.1f\n' "$name" \
    "$(awk -v a="$(kib "$p" VmRSS)" 'BEGIN{print a/1024}')" \
    "$(awk -v a="$(kib "$p" RssAnon)" 'BEGIN{print a/1024}')" "$(kib "$p" Threads)" \
    "$(awk -v c="$c" -v t="$SECS" 'BEGIN{print c / 1e9 / t * 100}')" \
    "$(awk -v s="$s" -v t="$SECS" 'BEGIN{print s / t}')" \
    "$(awk -v c="$c" 'BEGIN{print c / 1e6}')"
done
echo "issue 17's goal for the agent: <= 18 MB RSS, <= 3 MB anonymous, <= 0.02 % CPU"
