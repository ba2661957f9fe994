# Shared by the shell integration tests: a work dir, processes started in the background and
# stopped by PID on exit, polling with deadlines, assertions that say what failed.
# Source it, then call `itest_init NAME`.

itest_init() {
  ITEST_NAME=$1
  ITEST_DIR=$(mktemp -d "/tmp/kerbside-$1.XXXXXX")
  ITEST_PIDS=()
  declare -gA ITEST_PROC_NAME=() ITEST_REPORTED=()
  ITEST_FAILED=0
  # Never let a krb5 or gRPC library read the machine's configuration or proxies.
  export KRB5_CONFIG="$ITEST_DIR/krb5.conf" KRB5_KDC_PROFILE="$ITEST_DIR/kdc.conf"
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY grpc_proxy
  export no_proxy='*'
  trap itest_cleanup EXIT
  echo "== $ITEST_NAME (work dir $ITEST_DIR)"
}

# report_ended PID: if the background process PID has already ended without being stopped,
# says so with its exit status (and the signal that ended it): a process that dies silently, such
# as one killed by SIGPIPE, otherwise only shows as a log that stops.
# Returns 1 (and sets ENDED_RC) if it had ended.
report_ended() {
  local pid=$1 st=0
  [ -n "${ITEST_REPORTED[$pid]:-}" ] && return 0
  kill -0 "$pid" 2>/dev/null && return 0
  wait "$pid" 2>/dev/null || st=$?
  [ "$st" = 127 ] && return 0  # not this shell's child
  ENDED_RC=$st
  ITEST_REPORTED[$pid]=1
  local how="exit status $st"
  [ "$st" -gt 128 ] && how="$how (killed by SIG$(kill -l $((st - 128)) 2>/dev/null || echo $((st - 128))))"
  echo "== ${ITEST_PROC_NAME[$pid]:-pid $pid} (pid $pid) had already ended: $how"
  return 1
}

itest_cleanup() {
  local rc=$?
  local pid
  for pid in "${ITEST_PIDS[@]}"; do report_ended "$pid" || true; done
  for pid in "${ITEST_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${ITEST_PIDS[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ $rc -ne 0 ] || [ "$ITEST_FAILED" -ne 0 ]; then
    echo "== $ITEST_NAME FAILED; logs:"
    for f in "$ITEST_DIR"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done
    rm -rf "$ITEST_DIR"
    exit 1
  fi
  rm -rf "$ITEST_DIR"
  echo "== $ITEST_NAME passed"
}

# start_bg NAME CMD...: runs CMD in the background with its output in $ITEST_DIR/NAME.log and
# sets LAST_PID. Use `env VAR=... CMD` or `faketime ... CMD` as CMD when needed.
start_bg() {
  local name=$1; shift
  "$@" > "$ITEST_DIR/$name.log" 2>&1 &
  LAST_PID=$!
  ITEST_PIDS+=("$LAST_PID")
  ITEST_PROC_NAME[$LAST_PID]=$name
}

# stop_pid PID [SIGNAL]: signals PID, waits up to 5 s for it and sets STOP_RC to its exit
# status ("still-running" if it did not stop). Call it directly, not in $(...): only this shell
# can wait for its own children.
stop_pid() {
  local pid=$1 sig=${2:-TERM}
  if ! report_ended "$pid"; then STOP_RC=$ENDED_RC; return; fi
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then STOP_RC=still-running; return; fi
  STOP_RC=0
  wait "$pid" 2>/dev/null || STOP_RC=$?
  ITEST_REPORTED[$pid]=1  # stopped on purpose: nothing to report at cleanup
}

# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.2 s until it succeeds.
wait_until() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  while [ $SECONDS -lt $deadline ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "timed out after ${seconds}s waiting for: $what"
  return 1
}

# Waits until the number the command prints has grown by `more` from what it prints now:
# "nothing more happens" checks wait for the work to happen again, not for a fixed sleep.
wait_for_more() {
  local seconds=$1 more=$2 what=$3; shift 3
  local start
  start=$("$@")
  local deadline=$((SECONDS + seconds))
  while [ $SECONDS -lt $deadline ]; do
    if [ "$("$@" 2>/dev/null || echo 0)" -ge $((start + more)) ]; then return 0; fi
    sleep 0.2
  done
  fail "timed out after ${seconds}s waiting for: $what (from $start, $more more)"
  return 1
}

fail() { echo "FAIL: $*"; ITEST_FAILED=1; exit 1; }
pass() { echo "ok: $*"; }

# expect_jq JSON FILTER DESCRIPTION: the jq filter must print true.
expect_jq() {
  local json=$1 filter=$2 what=$3
  if [ "$(jq -r "$filter" <<<"$json")" = "true" ]; then pass "$what"; else
    echo "$json" | jq . | head -n 80
    fail "$what (jq: $filter)"
  fi
}

# free_port: a loopback TCP port nobody listens on now (for servers that cannot report theirs).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -ltnH "sport = :$p" | grep . >/dev/null || { echo "$p"; return; }
  done
}

# The libfaketime library to preload (Debian package libfaketime).
find_libfaketime() {
  local lib
  for lib in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
    [ -f "$lib" ] && { echo "$lib"; return 0; }
  done
  fail "libfaketime not found (apt-get install -y libfaketime)"
}

# itest_fleet_pki PKI_SCRIPT HOST...: a fleet CA in $ITEST_DIR/pki with a collector certificate
# (collector.lab.test, localhost, 127.0.0.1), one host certificate per HOST (lower-case
# NetBIOS name; FQDN HOST.lab.test) and the operator `oncall`. Sets pki.
itest_fleet_pki() {
  local script=$1 h; shift
  pki=$ITEST_DIR/pki
  "$script" init "$pki" >/dev/null
  "$script" collector "$pki" collector.lab.test localhost 127.0.0.1 >/dev/null
  # The role each certificate grants: dc* are DCs, the rest Exchange servers.
  for h in "$@"; do
    local role=exchange
    [[ $h == dc* ]] && role=dc
    "$script" host "$pki" "$role" "$h.lab.test" 127.0.0.1 >/dev/null
  done
  "$script" operator "$pki" oncall >/dev/null
}

# itest_stuck_queue_folders: host folders in the bundle layout under $ITEST_DIR/hosts where
# EX01's queue to EX02 sits in Retry with the KB 979174 LastError and EX02 delivers to EX01.
itest_stuck_queue_folders() {
  mkdir -p "$ITEST_DIR/hosts/EX01" "$ITEST_DIR/hosts/EX02"
  local lrt='[{LRT=11/27/2026 7:58:01 AM};{LED=451 4.4.0 Primary target IP address responded with: \"454 4.7.0 Temporary authentication failure.\" Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 127.0.0.1:2525};{FQDN=ex02.lab.test};{IP=127.0.0.1}]'
  cat > "$ITEST_DIR/hosts/EX01/get-queue.json" <<JSON
[{"Identity": "EX01\\\\12", "DeliveryType": "SmtpRelayToMailboxDeliveryGroup", "Status": "Retry",
  "MessageCount": 37, "NextHopDomain": "ex02.lab.test", "LastError": "$lrt"}]
JSON
  cat > "$ITEST_DIR/hosts/EX02/get-queue.json" <<'JSON'
[{"Identity": "EX02\\7", "Status": "Active", "MessageCount": 0, "NextHopDomain": "ex01.lab.test"}]
JSON
}

# itest_start_collector COLLECTOR CLI: a collector on a free loopback port with the fleet PKI of
# itest_fleet_pki (1 s heartbeats and clock exchanges, no /metrics); sets PORT and defines
# `cli ARGS...`, the operator CLI against it.
itest_start_collector() {
  local collector=$1
  ITEST_CLI=$2
  start_bg collector "$collector" --listen 127.0.0.1:0 --db "$ITEST_DIR/collector.db" \
    --ca "$pki/ca.crt" --cert "$pki/collector.lab.test.crt" --key "$pki/collector.lab.test.key" \
    --heartbeat_interval 1s --time_exchange_interval 1s --metrics_listen ""
  wait_until 10 "collector listening" grep -q "listening on" "$ITEST_DIR/collector.log"
  PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$ITEST_DIR/collector.log" | head -n 1)
}
cli() {
  "$ITEST_CLI" --collector "localhost:$PORT" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" \
    --key "$pki/oncall.key" --timeout 5 "$@"
}
