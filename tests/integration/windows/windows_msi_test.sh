#!/usr/bin/env bash
# The MSI (deploy/windows/msi, built with wixl) as Group Policy Software Installation uses it,
# under Wine: its tables say per-machine, an automatic LocalSystem service started by the
# installer and removed by the uninstaller, the event log source and a stable UpgradeCode;
# `msiexec /i /qn` (no properties) installs and starts the service, which waits for its policy
# instead of failing the installation; the policy values written to Wine's registry then bring it
# to the loopback collector over mutual TLS; `msiexec /x /qn` stops and removes it and keeps the
# data folder. What only a real Windows shows (GPO assignment at boot, the ACL as Explorer sees
# it) is in docs/deploy-windows.md.
set -euo pipefail
MSI=$1 COLLECTOR=$2 CLI=$3 PKI=$4 SIGNED_EXE=$5 SIGN_CA=${6:-}
. "$(dirname "$0")/../lib.sh"
itest_init windows-msi
: "${WINEPREFIX:?set by ctest}"
WINE=${KERBSIDE_WINE:-wine}
command -v msiinfo >/dev/null || fail "msiinfo is not installed (apt-get install msitools)"
winpath() { printf 'Z:%s' "${1//\//\\}"; }
POLICY='HKLM\SOFTWARE\Policies\Kerbside\Agent'
PROGRAM="$WINEPREFIX/drive_c/Program Files/Kerbside"
DATA="$WINEPREFIX/drive_c/ProgramData/Kerbside"

# A leftover of an interrupted run: no product, no policy.
"$WINE" msiexec /x "$(winpath "$MSI")" /qn >/dev/null 2>&1 || true
"$WINE" reg delete "$POLICY" /f >/dev/null 2>&1 || true

# 0. Authenticode: the MSI and the executable it carries are signed (osslsigncode, SHA-256) and
# verify against the signing CA; a file changed after signing does not.
command -v osslsigncode >/dev/null || fail "osslsigncode is not installed"
verify() { osslsigncode verify ${SIGN_CA:+-CAfile "$SIGN_CA"} -in "$1" >"$ITEST_DIR/verify.log" 2>&1; }
if [ -z "$SIGN_CA" ]; then
  echo "SKIPPED part: signed with a real certificate (KERBSIDE_SIGN_CERT): its chain is checked on Windows"
else
  verify "$MSI" || fail "the MSI's signature does not verify: $(tail -3 "$ITEST_DIR/verify.log")"
  verify "$SIGNED_EXE" || fail "the .exe's signature does not verify"
  cp "$SIGNED_EXE" "$ITEST_DIR/tampered.exe"
  printf 'x' | dd of="$ITEST_DIR/tampered.exe" bs=1 seek=4096 conv=notrunc status=none
  ! verify "$ITEST_DIR/tampered.exe" || fail "a tampered .exe still verifies"
  pass "the MSI and the .exe are Authenticode-signed and verify; a tampered copy does not"
fi

# 1. The tables (msiinfo export: one tab-separated row per record).
row() { msiinfo export "$MSI" "$1" | awk -F'\t' -v k="$2" -v c="$3" '$c == k'; }
svc=$(row ServiceInstall kerbside-agent 2)
[ -n "$svc" ] || fail "no ServiceInstall row for kerbside-agent"
echo "$svc" | awk -F'\t' '{ exit !($4 == 16 && $5 == 2 && $6 == 1 && $9 == "LocalSystem" &&
  $11 == "--service") }' || fail "ServiceInstall: $svc"
pass "ServiceInstall: own process, automatic start, LocalSystem, --service"
ctl=$(row ServiceControl kerbside-agent 2)
# Start at install (1), stop at install and uninstall (2 + 32), delete at uninstall (128).
echo "$ctl" | awk -F'\t' '{ exit !($3 == 163) }' || fail "ServiceControl: $ctl"
pass "ServiceControl: started by the installer, stopped and deleted by the uninstaller"
row Property ALLUSERS 1 | grep $'\t1' >/dev/null || fail "not per-machine (ALLUSERS)"
msiinfo export "$MSI" Upgrade | grep -i "6E0F2B0C-6A55-4C2E-9B61-3F2A4B7D9C11" >/dev/null ||
  fail "Upgrade table lacks the UpgradeCode"
msiinfo export "$MSI" Registry | grep "EventLog\\\\Application\\\\kerbside-agent" >/dev/null ||
  fail "no event log source in the Registry table"
pass "per-machine, major upgrades by a stable UpgradeCode, the event log source registered"

# 2. Installed with no property and no policy yet: the install succeeds, the service runs and
# waits for its settings. Its NetBIOS name is the machine's (GetComputerNameEx; Wine takes it
# from the Linux host name): no policy gives it, as no fleet-wide policy can.
NAME=$("$WINE" cmd /c 'echo %COMPUTERNAME%' 2>/dev/null | tr -d '\r' | tail -n 1)
detected=1
if ! [[ $NAME =~ ^[A-Za-z0-9-]{1,15}$ ]]; then
  echo "SKIPPED part: Wine's computer name '$NAME' is no NetBIOS name; EX05 given by policy"
  NAME=EX05 detected=0
fi
LOWER=${NAME,,}
itest_fleet_pki "$PKI" "$LOWER"
itest_start_collector "$COLLECTOR" "$CLI"
install_msi() {
  "$WINE" msiexec /i "$(winpath "$MSI")" /qn /l*v "$(winpath "$ITEST_DIR/install.log")" \
    >"$ITEST_DIR/msiexec-i.log" 2>&1
}
rc=0
install_msi || rc=$?
if [ "$rc" = 91 ]; then
  # 91 is the low byte of 1627, ERROR_FUNCTION_FAILED. Seen once in a clean-clone CI run under
  # Wine 8.0 (2026-12-07): the install log stopped after ProcessComponents, every action before
  # it having succeeded, and the same MSI installed in the next runs. Retried once, said here;
  # any other failure, or a second one, fails the test.
  echo "NOTE: msiexec /i exited 91 (ERROR_FUNCTION_FAILED) under Wine; its log ended:"
  tail -n 3 "$ITEST_DIR/install.log" | tr -d '\r'
  echo "NOTE: installing once more"
  rc=0
  install_msi || rc=$?
fi
[ "$rc" = 0 ] || fail "msiexec /i failed (exit $rc)"
[ -f "$PROGRAM/kerbside-agent.exe" ] && [ -f "$PROGRAM/policy/kerbside.admx" ] &&
  [ -f "$PROGRAM/policy/en-US/kerbside.adml" ] || fail "files not in $PROGRAM"
cmp -s "$PROGRAM/kerbside-agent.exe" "$SIGNED_EXE" || fail "the installed .exe is not the signed one"
pass "msiexec /i /qn installs the signed agent and the policy templates"
running() { pgrep -f 'kerbside-agent\.exe.*--service' >/dev/null; }
wait_until 30 "the service process" running
waiting() { grep -q "waiting for Group Policy" "$DATA/logs/agent.log" 2>/dev/null; }
wait_until 30 "the agent waiting for its policy" waiting
pass "the installer started the service, which waits for its policy instead of failing"

# 3. The policy arrives (as Group Policy writes it): the agent starts and connects.
reg_sz() { "$WINE" reg add "$POLICY" /v "$1" /t REG_SZ /d "$2" /f >>"$ITEST_DIR/reg.log" 2>&1; }
[ "$detected" = 1 ] || reg_sz netbios_name "$NAME"
reg_sz fqdn "$LOWER.lab.test"
reg_sz role exchange
reg_sz site HQ
reg_sz host_tools off
reg_sz event_log off
reg_sz backoff_initial 200ms
reg_sz backoff_max 2s
reg_sz ca "$(winpath "$pki/ca.crt")"
reg_sz cert "$(winpath "$pki/$LOWER.lab.test.crt")"
reg_sz key "$(winpath "$pki/$LOWER.lab.test.key")"
reg_sz collector "localhost:$PORT"
connected() {
  cli hosts --json | jq -e --arg n "${NAME^^}" '.hosts[] | select(.name==$n) | .connected and
    .agent_version != ""' >/dev/null
}
wait_until 90 "$NAME, installed by the MSI, connected" connected
pass "configured by policy, the installed service connects over mutual TLS as $NAME"
cli hosts --json | jq -e --arg n "${NAME^^}" '.hosts[] | select(.name==$n) | .role=="exchange"' \
  >/dev/null || fail "the collector does not see its role"
[ "$detected" = 1 ] && pass "its NetBIOS name came from the machine, not from a policy"

# 4. Uninstalled: the service is stopped and removed, the program files go, the data stays.
"$WINE" msiexec /x "$(winpath "$MSI")" /qn /l*v "$(winpath "$ITEST_DIR/uninstall.log")" \
  >"$ITEST_DIR/msiexec-x.log" 2>&1 || fail "msiexec /x failed (exit $?)"
stopped() { ! pgrep -f 'kerbside-agent\.exe.*--service' >/dev/null; }
wait_until 30 "the service process gone" stopped
[ ! -e "$PROGRAM/kerbside-agent.exe" ] || fail "kerbside-agent.exe left after uninstall"
disconnected() {
  cli hosts --json | jq -e --arg n "${NAME^^}" '.hosts[] | select(.name==$n) | .connected == false' \
    >/dev/null
}
wait_until 30 "$NAME disconnected" disconnected
[ -d "$DATA" ] || fail "the data folder was removed"
pass "msiexec /x /qn stops and removes the service and the program; the data folder stays"
"$WINE" reg delete "$POLICY" /f >/dev/null 2>&1 || true
