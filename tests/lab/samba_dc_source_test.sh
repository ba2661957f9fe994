#!/usr/bin/env bash
# The Samba DC source against real Samba AD DCs in network namespaces (tests/lab/lab.sh):
# an agent inside dc1's namespace reads the seeded Exchange accounts over LDAPS and streams them
# to a collector listening on the lab bridge; `samba-tool spn delete` on dc1 shows up in
# `kerbside evidence`; with dc2 joined, each DC's agent reports its own view. Needs root.
set -euo pipefail
COLLECTOR=$1 AGENT=$2 CLI=$3 PKI=$4
HERE=$(dirname "$0")
. "$HERE/../integration/lib.sh"
. "$HERE/lab.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: the lab needs root"; exit 0; }
itest_init lab-samba-dc
lab_init
t0=$SECONDS

lab_up_dc1
echo "lab: dc1 up in $(lab_elapsed) s"
lab_seed_exchange EX01 EX02
echo "lab: EX01, EX02 seeded at $(lab_elapsed) s"

pki=$ITEST_DIR/pki
"$PKI" init "$pki" >/dev/null
"$PKI" collector "$pki" collector.lab.test "$LAB_BRIDGE_IP" >/dev/null
for h in dc1 dc2; do "$PKI" host "$pki" dc "$h.lab.test" "$(lab_ip "${h#dc}")" >/dev/null; done
"$PKI" operator "$pki" oncall >/dev/null
printf '%s\n' "$LAB_ADMIN_PASSWORD" > "$ITEST_DIR/bind.pw"
chmod 600 "$ITEST_DIR/bind.pw"

start_bg collector "$COLLECTOR" --listen "$LAB_BRIDGE_IP:0" --db "$ITEST_DIR/collector.db" \
  --ca "$pki/ca.crt" --cert "$pki/collector.lab.test.crt" --key "$pki/collector.lab.test.key" \
  --heartbeat_interval 1s --time_exchange_interval 1s
wait_until 10 "collector listening" grep -q "listening on" "$ITEST_DIR/collector.log"
ADDR=$LAB_BRIDGE_IP:$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$ITEST_DIR/collector.log" | head -n 1)
cli() {
  "$CLI" --collector "$ADDR" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" --key "$pki/oncall.key" \
    --timeout 5 "$@"
}
dc_agent() { lab_dc_agent "$1" HQ; }
accounts() {  # accounts HOST: the computer_accounts summary of HOST
  cli evidence "$1" --kind computer_accounts --json | jq -r '.evidence[0].summary // ""'
}

dc_agent 1
wait_until 30 "DC1's accounts in kerbside evidence" \
  bash -c "$(declare -f cli accounts); CLI='$CLI' ADDR='$ADDR' pki='$pki'; accounts DC1 | grep 'EX02\\$' >/dev/null"
json=$(cli evidence DC1 --json)
expect_jq "$json" '[.sources[] | select(.source == "samba_dc")][0].health == "ok"' \
  "the samba_dc source is healthy on DC1"
expect_jq "$json" '[.evidence[].kind] | (index("computer_accounts") != null and index("replication") != null)' \
  "DC1 reports computer accounts and replication"
# The PDC emulator is what DC1's directory says (fSMORoleOwner), and the clock reference with it.
expect_jq "$json" '.evidence[] | select(.kind == "domain_roles") | .summary
  | startswith("PDC emulator DC1 per fSMORoleOwner of DC=lab,DC=test read from DC1")' \
  "DC1 reads the PDC emulator role owner from its directory"
expect_jq "$(cli hosts --json)" '.reference_host == "DC1" and
  (.reference_reason | startswith("PDC emulator per the directory (fSMORoleOwner read by DC1"))' \
  "the collector's clock reference is the directory's PDC emulator"
summary=$(accounts DC1)
grep -q 'EX01\$ kvno 2 \[SMTPSVC/ex01 SMTPSVC/ex01.lab.test\] from DC1' <<<"$summary" \
  || fail "EX01's account as DC1 sees it: $summary"
grep -q 'EX02\$ kvno 2 \[SMTPSVC/ex02 SMTPSVC/ex02.lab.test\] from DC1' <<<"$summary" \
  || fail "EX02's account as DC1 sees it: $summary"
pass "DC1's agent read the seeded Exchange accounts over LDAPS: $summary"

# A change on the DC shows up within a few intervals.
lab_tool 1 spn delete "SMTPSVC/ex02.lab.test" 'EX02$' >/dev/null
t_change=$SECONDS
wait_until 20 "the deleted SPN gone from kerbside evidence" \
  bash -c "$(declare -f cli accounts); CLI='$CLI' ADDR='$ADDR' pki='$pki'; accounts DC1 | grep 'EX02\\$ kvno 2 \\[SMTPSVC/ex02\\] from DC1' >/dev/null"
pass "samba-tool spn delete on DC1 visible in kerbside evidence after $((SECONDS - t_change)) s"

# A second DC, and each DC's agent reports its own view.
lab_up_dc2
echo "lab: dc2 joined and up at $(lab_elapsed) s"
dc_agent 2
wait_until 30 "DC2's accounts in kerbside evidence" \
  bash -c "$(declare -f cli accounts); CLI='$CLI' ADDR='$ADDR' pki='$pki'; accounts DC2 | grep 'from DC2' >/dev/null"
summary2=$(accounts DC2)
grep -q 'from DC1' <<<"$summary2" && fail "DC2's evidence names DC1: $summary2"
pass "DC2 reports its own view: $summary2"
# The view differs when the DCs differ: cut replication (reject, so it fails fast) and change
# EX01 on DC2 only.
lab_dc 2 nft -f - <<NFT
table inet kslab {
  chain in {
    type filter hook input priority 0;
    ip saddr $(lab_ip 1) reject
  }
}
NFT
lab_tool 2 spn add "SMTP/ex01" 'EX01$' >/dev/null
wait_until 20 "DC2 sees SMTP/ex01" \
  bash -c "$(declare -f cli accounts); CLI='$CLI' ADDR='$ADDR' pki='$pki'; accounts DC2 | grep 'SMTP/ex01 ' >/dev/null"
accounts DC1 | grep 'SMTP/ex01 ' >/dev/null && fail "DC1 should not have SMTP/ex01 yet: $(accounts DC1)"
pass "with replication cut, DC1 and DC2 each report their own EX01"

# Exported, each DC's LDAP view keeps what setspn -L cannot show: the key version number.
cli export-bundle "$ITEST_DIR/export" > "$ITEST_DIR/export.out"
for n in 1 2; do
  f="$ITEST_DIR/export/hosts/DC$n/computer-accounts.json"
  [ -f "$f" ] || fail "no computer-accounts.json for DC$n in the export"
  expect_jq "$(cat "$f")" ".accounts[] | select(.sam_account_name == \"EX02\$\")
    | .key_version_number == 2 and (.read_from_dc | ascii_upcase | startswith(\"DC$n\"))" \
    "the export keeps DC$n's kvno of EX02\$"
done
expect_jq "$("$CLI" bundle check "$ITEST_DIR/export" --json)" \
  '.ok and (.hosts[] | select(.name == "DC2") | .counts.spns > 0)' \
  "kerbside bundle check reads the exported accounts"

mem=$(ps -o rss= -p "$(pgrep -d, -x samba 2>/dev/null || echo 1)" 2>/dev/null | awk '{s+=$1} END {print int(s/1024)}')
echo "lab: total $((SECONDS - t0)) s; samba RSS (all samba processes on the machine) ${mem} MiB"
