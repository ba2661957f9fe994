#!/usr/bin/env bash
# Reconnect storm (issue 17): N agents (bench/stream_load --reconnect: one certificate per host,
# mutual TLS, hello and a clock exchange per stream, the agent's backoff: 1 s doubling, equal
# jitter) are connected and clocked; the server is stopped and started again on the same port;
# how long until every agent has a clock exchange done again? First against
# bench/bare_agent_server (the baseline: answers without doing anything), then against
# kerbside-collector (its store kept across the restart, as in production). For the collector the
# figure is also checked from its own side: `kerbside hosts --json` must show every host with a
# clock measured after the restart. Prints both times, the collector's CPU seconds over the
# storm and its peak RSS. usage: bench/collector_reconnect.sh BUILD_DIR [N...]
set -euo pipefail
BUILD=${1:?BUILD_DIR}; shift
COUNTS=("$@")
[ $# -eq 0 ] && COUNTS=(2000)
source "$(dirname "$0")/lib.sh"
bench_setup reconnect
PID= LPID=

now() { date +%s.%N; }
start_server() {  # KIND PORT N
  if [ "$1" = bare ]; then
    "$BARE" "127.0.0.1:$2" "$D/pki/ca.crt" "$CERT" "$KEY" > "$D/server.log" 2>&1 &
  else
    "$COLLECTOR" --listen "127.0.0.1:$2" --db "$D/collector.db" --metrics_listen "" \
      --ca "$D/pki/ca.crt" --cert "$CERT" --key "$KEY" --max_agent_streams $(($3 + 100)) \
      --log_level warn >> "$D/server.log" 2>&1 &
  fi
  PID=$!
}
stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; }
# Seconds from START (Unix time) to the first "all N clocked at T" with T after START.
wait_all_clocked() {  # START LIMIT_S
  local deadline t
  deadline=$(($(date +%s) + $2))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    t=$(awk -v s="$1" '/^all [0-9]+ clocked at / && $5 > s {print $5; exit}' "$D/load.out")
    [ -n "$t" ] && { awk -v a="$t" -v b="$1" 'BEGIN{printf "%.1f", a - b}'; return 0; }
    sleep 0.2
  done
  echo "timeout"
  return 1
}
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }

printf '%8s %10s %16s %20s %18s %14s\n' agents server first_clocked_s after_restart_s server_cpu_s peak_rss_mb
for n in "${COUNTS[@]}"; do
  for kind in bare collector; do
    rm -f "$D"/collector.db* "$D/server.log"
    port=$(free_port)
    start_server "$kind" "$port" "$n"
    # Listening before the agents start (a loaded machine took over 0.5 s to open the store, and
    # every first connection was refused); the restart below is meant to race them.
    listening_port "$PID" > /dev/null || { echo "$kind did not listen"; tail "$D/server.log"; exit 1; }
    t0=$(now)
    timeout 900 "$LOAD" "localhost:$port" "$D/pki/ca.crt" "$D/pki/ca.key" "$n" 800 \
      --heartbeat 15 --reconnect > "$D/load.out" 2>&1 &
    LPID=$!
    first=$(wait_all_clocked "$t0" 300) || { cat "$D/load.out" "$D/server.log" | tail; exit 1; }
    stop_server
    sleep 1  # every agent has seen its stream end and is backing off
    restart=$(now)
    start_server "$kind" "$port" "$n"
    cpu0=$(cpu_s "$PID")
    again=$(wait_all_clocked "$restart" 300) || { tail "$D/load.out" "$D/server.log"; exit 1; }
    cpu=$(awk -v a="$(cpu_s "$PID")" -v b="$cpu0" 'BEGIN{printf "%.1f", a - b}')
    hwm=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$PID/status")
    if [ "$kind" = collector ]; then
      # The collector's own view: every host with a clock measured after the restart.
      since=$(date -u -d "@${restart%.*}" +%Y-%m-%dT%H:%M:%S)
      fresh=$(timeout 60 "$CLI" --collector "localhost:$port" "${OPERATOR[@]}" --timeout 30 \
        hosts --json | jq --arg s "$since" \
        '[.hosts[] | select(.clock_vs_collector != null and .clock_vs_collector.measured_at > $s)] | length')
      [ "$fresh" -ge "$n" ] || { echo "collector: only $fresh of $n hosts have a clock measured after the restart"; exit 1; }
    fi
    printf '%8s %10s %16s %20s %18s %14s\n' "$n" "$kind" "$first" "$again" "$cpu" "$hwm"
    kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null || true; LPID=
    stop_server; PID=
  done
done
echo "(after_restart_s: from the server's restart until every agent has a clock exchange done on"
echo " its new stream; the agents' first retry comes 0.5-1 s after their stream ended, the next"
echo " 1-2 s after that; server_cpu_s and peak_rss_mb: the restarted server's, over the storm)"
