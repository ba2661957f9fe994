# Sourced by the bench/ scripts after setting BUILD: bench_setup NAME makes a scratch folder $D
# with a fleet PKI ($D/pki: the CA, the collector's certificate for localhost in $CERT/$KEY, an
# operator's for the CLI), raises the open-file limit, and at exit stops every background job
# the script started (by PID) and removes $D. Also: the tools' paths, free_port, listening_port.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKI=$ROOT/deploy/pki/kerbside-pki.sh
COLLECTOR=$BUILD/collector/kerbside-collector
CLI=$BUILD/collector/cli/kerbside
AGENT=$BUILD/agent/kerbside-agent
LOAD=$BUILD/bench/stream_load
BARE=$BUILD/bench/bare_agent_server

bench_cleanup() {
  local pids
  pids=$(jobs -p)
  [ -n "$pids" ] && kill $pids 2>/dev/null
  wait 2>/dev/null
  rm -rf "$D"
}

bench_setup() {  # NAME
  D=$(mktemp -d "/tmp/kerbside-bench-$1.XXXXXX")
  trap bench_cleanup EXIT
  "$PKI" init "$D/pki" > /dev/null
  "$PKI" collector "$D/pki" collector.bench.test localhost 127.0.0.1 > /dev/null
  "$PKI" operator "$D/pki" bench-operator > /dev/null
  CERT=$D/pki/collector.bench.test.crt
  KEY=$D/pki/collector.bench.test.key
  OPERATOR=(--ca "$D/pki/ca.crt" --cert "$D/pki/bench-operator.crt" --key "$D/pki/bench-operator.key")
  ulimit -n 65536 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

listening_port() {  # PID: the TCP port it listens on, waiting up to 10 s; fails if none
  local port
  for _ in $(seq 1 100); do
    port=$(ss -ltnp 2>/dev/null | awk -v p="pid=$1," '$0 ~ p {split($4, a, ":"); print a[length(a)]}' | head -n 1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  return 1
}
