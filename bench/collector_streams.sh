#!/usr/bin/env bash
# Collector memory and threads against the number of agent streams it holds (issue 17): starts a
# collector on loopback with its own PKI, reads its RSS and thread count idle (the baseline, same
# run), then with N streams held by bench/stream_load (one certificate per simulated host,
# mutual TLS, hello, a clock exchange, then heartbeats), for each N given. Prints a table: RSS,
# KB per stream over the idle baseline, threads, the ramp; then, with every stream held, how
# many hosts the collector shows with a clock, and how long `kerbside hosts --json` and a
# /metrics scrape take (issue 17: both under 1 s with the fleet connected). And the inventory
# traffic of the ramp, from the collector's own counters: MB sent, and host entries sent per
# join per stream held. Every agent must learn of every other, so once all deltas are out n
# joins cost about n*n entries: about 1 per join per stream, whatever the fleet's size. Read 3 s
# after the ramp, deltas coalesced to one per heartbeat may still be pending, so the figure can
# sit below that. Resending the whole list to every stream at each join (before issue 17) costs
# about n/3.
# With STREAMS_RECONNECT=1 the simulated agents retry a failed connection with the agent's
# backoff (1 s doubling to 60 s, jittered), as real agents do; the ramp is then the time until
# every one of them holds a stream with a clock exchange done (up to 900 s). Without it, all N
# connect at once and a connection that fails in the ramp stays failed: on 2 cores, with both
# ends of 20,000 TLS handshakes on them, many time out waiting for the server's SETTINGS.
# With STREAMS_RAMP_PER_S=R the simulated agents start R per second: streams held, apart from
# the storm of N simultaneous handshakes (bench/collector_reconnect.sh measures that).
# Both processes need a descriptor per stream: a count the machine's hard RLIMIT_NOFILE cannot
# hold (this kind of machine: 20,000, not raisable in its container) is skipped with a note.
# usage: [STREAMS_RECONNECT=1] [STREAMS_RAMP_PER_S=R] bench/collector_streams.sh BUILD_DIR [N...]
set -euo pipefail
BUILD=${1:?BUILD_DIR}; shift
COUNTS=("$@")
[ $# -eq 0 ] && COUNTS=(1000 4000)
source "$(dirname "$0")/lib.sh"
bench_setup streams
PID= LPID=

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
printf '%8s %8s %10s %14s %8s %10s %8s %8s %10s %8s %12s\n' streams open rss_mb kb_per_stream threads \
  ramp_s clocked cli_s metrics_s inv_mb inv_per_join
ramp_args=()
[ -n "${STREAMS_RAMP_PER_S:-}" ] && ramp_args=(--ramp_per_s "$STREAMS_RAMP_PER_S")
nofile_hard=$(ulimit -Hn)
for n in "${COUNTS[@]}"; do
  # The collector keeps 256 descriptors spare beyond --max_agent_streams (n + 100 here).
  if [ "$nofile_hard" != unlimited ] && [ $((n + 100 + 256)) -gt "$nofile_hard" ]; then
    echo "skipped $n streams: this machine's hard limit on open files is $nofile_hard per" \
      "process (ulimit -Hn); the collector needs $((n + 100 + 256))"
    continue
  fi
  rm -f "$D"/collector.db*
  mport=$(free_port)
  PORT=$(free_port)
  "$COLLECTOR" --listen "127.0.0.1:$PORT" --db "$D/collector.db" --metrics_listen "127.0.0.1:$mport" \
    --ca "$D/pki/ca.crt" --cert "$CERT" --key "$KEY" --max_agent_streams $((n + 100)) \
    --log_level warn > "$D/collector.log" 2>&1 &
  PID=$!
  listening_port "$PID" > /dev/null || { echo "collector did not listen"; cat "$D/collector.log"; exit 1; }
  sleep 1
  idle=$(rss_kib "$PID")
  idle_threads=$(threads "$PID")
  [ "$n" = "${COUNTS[0]}" ] && printf '%8s %8s %10.1f %14s %8s %10s %8s %8s %10s %8s %12s\n' 0 0 \
    "$(awk -v a="$idle" 'BEGIN{print a/1024}')" - "$idle_threads" - - - - - -
  if [ "${STREAMS_RECONNECT:-0}" = 1 ]; then
    t_start=$(date +%s.%N)
    "$LOAD" "localhost:$PORT" "$D/pki/ca.crt" "$D/pki/ca.key" "$n" 1200 --heartbeat 15 \
      --reconnect "${ramp_args[@]}" > "$D/load.out" 2>&1 &
    LPID=$!
    for _ in $(seq 1 1800); do grep -q "^all $n clocked" "$D/load.out" && break; sleep 0.5; done
    if grep -q "^all $n clocked" "$D/load.out"; then
      ramp=$(awk -v t="$t_start" '$1 == "all" && $3 == "clocked" {printf "%.1f", $5 - t; exit}' \
        "$D/load.out")
      got=$n
    else
      ramp=">900"
      got=  # not all: as many as the collector shows with a clock (below)
    fi
  else
    "$LOAD" "localhost:$PORT" "$D/pki/ca.crt" "$D/pki/ca.key" "$n" 600 --heartbeat 15 \
      "${ramp_args[@]}" > "$D/load.out" 2>&1 &
    LPID=$!
    for _ in $(seq 1 1200); do grep -q established "$D/load.out" && break; sleep 0.5; done
    ramp=$(sed -n 's/.*after \([0-9.]*\) s.*/\1/p' "$D/load.out")
    got=$(sed -n 's/established \([0-9]*\) of.*/\1/p' "$D/load.out")
  fi
  sleep 3
  rss=$(rss_kib "$PID")
  t0=$(date +%s.%N)
  timeout 120 "$CLI" --collector "localhost:$PORT" "${OPERATOR[@]}" --timeout 60 \
    hosts --json > "$D/hosts.json"
  t1=$(date +%s.%N)  # the CLI alone: counting the clocked hosts below is not its time
  clocked=$(jq '[.hosts[] | select(.clock_vs_collector != null)] | length' "$D/hosts.json")
  got=${got:-$clocked}
  curl -sf --max-time 60 "http://127.0.0.1:$mport/metrics" > "$D/metrics.txt"
  t2=$(date +%s.%N)
  inv_bytes=$(awk '$1 == "kerbside_inventory_bytes_sent_total" {print $2}' "$D/metrics.txt")
  inv_hosts=$(awk '$1 == "kerbside_inventory_hosts_sent_total" {print $2}' "$D/metrics.txt")
  # Memory per stream over the streams open when it was read (fewer than n if some failed).
  open_now=$(awk '$1 == "kerbside_hosts_connected" {print $2}' "$D/metrics.txt")
  [ "${open_now:-0}" -gt 0 ] || open_now=$n
  printf '%8s %8s %10.1f %14.1f %8s %10s %8s %8.2f %10.2f %8.1f %12.2f\n' "$got" "$open_now" \
    "$(awk -v a="$rss" 'BEGIN{print a/1024}')" \
    "$(awk -v a="$rss" -v b="$idle" -v n="$open_now" 'BEGIN{print (a-b)/n}')" "$(threads "$PID")" \
    "$ramp" "$clocked" "$(awk -v a="$t1" -v b="$t0" 'BEGIN{print a-b}')" \
    "$(awk -v a="$t2" -v b="$t1" 'BEGIN{print a-b}')" \
    "$(awk -v a="${inv_bytes:-0}" 'BEGIN{print a/1e6}')" \
    "$(awk -v h="${inv_hosts:-0}" -v n="$got" 'BEGIN{print (n > 0 ? h / (n * n) : 0)}')"
  grep -v -e "^established" -e "^all [0-9]* clocked" "$D/load.out" | head -n 5 >&2 || true
  kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null || true; LPID=
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
done
echo "issue 17's measurement before the callback API: ~245 KB and one thread per stream; goal:"
echo "20,000 streams in <= 2 GB, every host with a clock, CLI and /metrics under 1 s; inventory:"
echo "6.5 GB sent while 4,000 hosts joined before issue 17 (the whole list to every stream at each join)"
