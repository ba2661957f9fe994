#!/usr/bin/env bash
# The kerbside demo on loopback: installs packages, builds, makes a fleet PKI, starts a
# collector and three agents (DC01, the PDC emulator; EX01 with a queue to "hub version 14"
# stuck with the KB's error; EX02 with its clock 7 minutes ahead under libfaketime), and shows
# what the collector measured (`kerbside hosts`, `queues`) and its diagnosis.
#
#   deploy/demo/run-demo.sh           run, print, stop everything
#   deploy/demo/run-demo.sh --keep    leave the fleet running (prints how to stop it)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
keep=0
[ "${1:-}" = "--keep" ] && keep=1

"$root/deploy/install-deps.sh"
build=$root/build-demo
mkdir -p "$build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKERBSIDE_BUILD_TESTS=OFF \
  > "$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
ninja -C "$build" -j2 kerbside kerbside-agent kerbside-collector

demo=$(mktemp -d /tmp/kerbside-demo.XXXXXX)
pids=()
cleanup() {
  [ $keep -eq 1 ] && return
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$demo"
}
trap cleanup EXIT

pki=$demo/pki
"$root/deploy/pki/kerbside-pki.sh" init "$pki" >/dev/null
"$root/deploy/pki/kerbside-pki.sh" collector "$pki" collector.contoso.test localhost 127.0.0.1 \
  >/dev/null
"$root/deploy/pki/kerbside-pki.sh" host "$pki" dc dc01.contoso.test 127.0.0.1 >/dev/null
for h in ex01 ex02; do
  "$root/deploy/pki/kerbside-pki.sh" host "$pki" exchange "$h.contoso.test" 127.0.0.1 >/dev/null
done
"$root/deploy/pki/kerbside-pki.sh" operator "$pki" oncall >/dev/null
echo "fleet PKI in $pki (CA, collector, DC01/EX01/EX02, operator 'oncall')"

port=${KERBSIDE_DEMO_PORT:-7443}
"$build/collector/kerbside-collector" --listen "127.0.0.1:$port" --db "$demo/collector.db" \
  --ca "$pki/ca.crt" --cert "$pki/collector.contoso.test.crt" \
  --key "$pki/collector.contoso.test.key" --time_exchange_interval 2s \
  > "$demo/collector.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do grep -q "listening on" "$demo/collector.log" && break; sleep 0.1; done
grep -q "listening on" "$demo/collector.log" || { cat "$demo/collector.log"; exit 1; }

agent() {  # agent NAME ROLE [flags...]
  local name=$1 role=$2; shift 2
  local lower=${name,,}
  "$build/agent/kerbside-agent" --collector "localhost:$port" --ca "$pki/ca.crt" \
    --cert "$pki/$lower.contoso.test.crt" --key "$pki/$lower.contoso.test.key" \
    --netbios_name "$name" --fqdn "$lower.contoso.test" --role "$role" --site HQ \
    --ip 127.0.0.1 "$@" > "$demo/$lower.log" 2>&1 &
  pids+=($!)
}
agent DC01 dc --pdc_emulator
# The Exchange servers (Exchange 2010 hubs of site HQ, as KB 979174's era has them) read their
# queues from folders in the bundle layout (deploy/demo/hosts). EX01's intra-site queue is named
# "hub version 14", not a server: the collector resolves it to EX02, the only other hub of HQ.
ex2010=(--exchange_version 14.3.123.4 --server_role HubTransport --server_role Mailbox)
agent EX01 exchange --host_folder "$root/deploy/demo/hosts/EX01" --host_folder_interval 2s \
  "${ex2010[@]}"
# The fault: EX02's wall clock runs 7 minutes ahead (libfaketime, wall clock only).
libfaketime=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1)
LD_PRELOAD=$libfaketime FAKETIME=+7m FAKETIME_DONT_FAKE_MONOTONIC=1 \
  agent EX02 exchange --host_folder "$root/deploy/demo/hosts/EX02" --host_folder_interval 2s \
  "${ex2010[@]}"

cli=("$build/collector/cli/kerbside" --collector "localhost:$port" --ca "$pki/ca.crt"
     --cert "$pki/oncall.crt" --key "$pki/oncall.key")
for _ in $(seq 1 100); do
  n=$("${cli[@]}" hosts --json 2>/dev/null |
      jq '[.hosts[] | select(.connected and .clock_vs_collector != null)] | length' || echo 0)
  [ "$n" = "3" ] && break
  sleep 0.2
done
sleep 2  # let the first burst of clock exchanges settle

echo
echo "\$ kerbside hosts"
"${cli[@]}" hosts
echo
echo "\$ kerbside queues"
"${cli[@]}" queues
echo
echo "\$ kerbside diagnose"
"${cli[@]}" diagnose
if [ $keep -eq 1 ]; then
  echo
  echo "Fleet left running (logs in $demo). Query: ${cli[*]} hosts"
  echo "Stop: kill ${pids[*]}"
fi
