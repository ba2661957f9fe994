#!/usr/bin/env bash
# The Windows agent end to end: kerbside-agent.exe under Wine streams over mutual TLS on
# loopback to the native Linux collector, with a host folder source (EX01's queue to EX02 stuck
# with the KB's 454 4.7.0, real-format w32tm status), and the Linux CLI shows the host, its clock
# and its evidence. Prints the executable's size and the agent's idle memory under Wine.
set -euo pipefail
AGENT_EXE=$1 COLLECTOR=$2 CLI=$3 PKI=$4 DATA=$5
. "$(dirname "$0")/../lib.sh"
itest_init windows-agent
: "${WINEPREFIX:?set by ctest}"
WINE=${KERBSIDE_WINE:-wine}

itest_fleet_pki "$PKI" ex01 ex02
itest_stuck_queue_folders
cp "$DATA/windows/w32tm-status-domain.txt" "$ITEST_DIR/hosts/EX01/w32tm-status.txt"

itest_start_collector "$COLLECTOR" "$CLI"
# Windows paths for the agent: Wine maps / to Z:.
winpath() { printf 'Z:%s' "${1//\//\\}"; }

# The agent reads a config file as it would on a server (Windows paths), not flags.
cat > "$ITEST_DIR/agent.conf" <<CONF
collector = "localhost:$PORT"
ca = "$(winpath "$pki/ca.crt" | sed 's/\\/\\\\/g')"
cert = "$(winpath "$pki/ex01.lab.test.crt" | sed 's/\\/\\\\/g')"
key = "$(winpath "$pki/ex01.lab.test.key" | sed 's/\\/\\\\/g')"
netbios_name = "EX01"
fqdn = "ex01.lab.test"
role = "exchange"
site = "HQ"
ip = ["127.0.0.1"]
host_folder = "$(winpath "$ITEST_DIR/hosts/EX01" | sed 's/\\/\\\\/g')"
host_folder_interval = "2s"
backoff_initial = "200ms"
backoff_max = "2s"
CONF
start_bg agent "$WINE" "$AGENT_EXE" --config "$(winpath "$ITEST_DIR/agent.conf")"
AGENT_PID=$LAST_PID

connected() {
  cli hosts --json | jq -e '.hosts[] | select(.name=="EX01") | .connected and
    (.clock_vs_collector.offset_seconds != null)' >/dev/null
}
wait_until 90 "EX01 (Windows agent under Wine) connected with a measured clock" connected
json=$(cli hosts --json)
expect_jq "$json" '.hosts[] | select(.name=="EX01") | .role=="exchange" and .site=="HQ"
  and .agent_version != ""' "kerbside hosts shows the Windows agent's identity"
expect_jq "$json" '.hosts[] | select(.name=="EX01") |
  (.clock_vs_collector.offset_seconds | if . < 0 then -. else . end) < 2' \
  "its clock, measured over the stream, agrees with the collector's (same machine)"

has_evidence() {
  cli evidence EX01 --json | jq -e '[.evidence[].kind] | (index("queues") != null and
    index("w32tm_status") != null)' >/dev/null
}
wait_until 60 "EX01's host-folder evidence at the collector" has_evidence
json=$(cli evidence EX01 --json)
expect_jq "$json" '.sources[] | select(.source=="host_folder") | .health == "ok"' \
  "the Windows agent's host-folder source is healthy"
# The native host_tools source ran too. Wine has no w32tm.exe and no Exchange PowerShell: the
# source must say so (FAILING, with the reason), never look healthy.
has_tools_source() {
  cli evidence EX01 --json | jq -e '.sources[] | select(.source=="host_tools")' >/dev/null
}
wait_until 60 "the host_tools source reported" has_tools_source
expect_jq "$(cli evidence EX01 --json)" '.sources[] | select(.source=="host_tools") |
  .health != "ok" and (.reason | test("w32tm-status.txt: .*w32tm"))' \
  "host_tools ran w32tm and reports, by file, that it could not (Wine has no w32tm.exe)"
# The event log source (on by default on Windows): Wine has no wevtapi, so it reports FAILING
# with that reason, and the agent goes on.
has_event_log_source() {
  cli evidence EX01 --json | jq -e '.sources[] | select(.source=="event_log")' >/dev/null
}
wait_until 60 "the event_log source reported" has_event_log_source
expect_jq "$(cli evidence EX01 --json)" '.sources[] | select(.source=="event_log") |
  .health == "failing" and (.reason | test("EvtSubscribe: this is Wine"))' \
  "event_log reports that Wine cannot read an event log (FAILING, not healthy)"
expect_jq "$(cli queues --json)" '[.queues[] | select(.stuck and .host=="EX01")] | length == 1' \
  "kerbside queues shows EX01's stuck queue, read by the Windows agent"

# A changed file reaches the collector within an interval.
sed -i 's/"MessageCount": 37/"MessageCount": 41/' "$ITEST_DIR/hosts/EX01/get-queue.json"
grown() { cli queues --json | jq -e '[.queues[] | select(.host=="EX01") | .message_count] |
  index(41) != null' >/dev/null; }
wait_until 30 "the changed queue file seen" grown
pass "a changed queue file reaches the collector"

# Group Policy over the file, live: a site set under HKLM\SOFTWARE\Policies\Kerbside\Agent
# reaches the collector without a restart of the agent. (Whether a same-value rewrite is
# signalled differs between Wine installs, so that path is not asserted here.)
POLICY='HKLM\SOFTWARE\Policies\Kerbside\Agent'
"$WINE" reg add "$POLICY" /v site /t REG_SZ /d BRANCH /f >"$ITEST_DIR/reg.log" 2>&1
site_is_branch() {
  cli hosts --json | jq -e '.hosts[] | select(.name=="EX01") | .site == "BRANCH" and .connected' \
    >/dev/null
}
wait_until 60 "the policy's site at the collector" site_is_branch
pass "a policy value written to the registry takes effect live (site HQ -> BRANCH)"

# The Group Policy templates the Windows agent writes for the central store are the committed
# ones (deploy/windows/policy), byte for byte.
"$WINE" "$AGENT_EXE" policy-templates --out "$(winpath "$ITEST_DIR/policy")" \
  >"$ITEST_DIR/templates.log" 2>&1 || fail "policy-templates: $(cat "$ITEST_DIR/templates.log")"
policy_src=$DATA/../../deploy/windows/policy
cmp "$ITEST_DIR/policy/kerbside.admx" "$policy_src/kerbside.admx" &&
  cmp "$ITEST_DIR/policy/en-US/kerbside.adml" "$policy_src/en-US/kerbside.adml" ||
  fail "kerbside-agent.exe policy-templates differs from deploy/windows/policy"
pass "kerbside-agent.exe policy-templates writes the committed ADMX and ADML"
"$WINE" reg delete 'HKLM\SOFTWARE\Policies\Kerbside' /f >>"$ITEST_DIR/reg.log" 2>&1

# Figures for the note: size and idle memory. The Wine process that runs the .exe is the one
# whose command line names it with its --config (this script's own command line names the .exe
# too, followed by other arguments).
sleep 5
size=$(stat -c %s "$AGENT_EXE")
rss_kb=0
for p in $(pgrep -f 'kerbside-agent\.exe --config' || true); do
  r=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
  [ "${r:-0}" -gt "$rss_kb" ] && rss_kb=$r
done
echo "figures: kerbside-agent.exe $((size / 1024)) KiB; idle RSS under Wine ${rss_kb} KiB" \
  "(Wine's own loader and DLLs included)"

# Ctrl+C (SIGINT to the Wine process) is the console stop: a clean "stopped".
kill -INT "$AGENT_PID" 2>/dev/null || true
for p in $(pgrep -f 'kerbside-agent\.exe --config' || true); do kill -INT "$p" 2>/dev/null || true; done
if wait_until 20 "the agent stops on Ctrl+C" grep -q "stopped" "$ITEST_DIR/agent.log"; then
  pass "the Windows agent stops cleanly on Ctrl+C"
fi
