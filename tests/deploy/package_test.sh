#!/usr/bin/env bash
# The Debian packages (deploy/linux, CPack DEB): built from the build tree, their contents and
# maintainer scripts as an operator gets them, lintian and systemd-analyze verify on them, and
# the collector started with its unit's exact ExecStart (rooted in an unpacked copy of the
# package) answering `kerbside hosts`. Installing, starting under systemd and purging for real
# happen in the fresh-machine check (tests/fresh-machine/run.sh), in a root of its own.
set -euo pipefail
BUILD=$1 PKI=$2
. "$(dirname "$0")/../integration/lib.sh"
itest_init package

(cd "$BUILD" && cpack -G DEB -B "$ITEST_DIR/debs" >"$ITEST_DIR/cpack.log" 2>&1) ||
  fail "cpack failed: $(tail -n 5 "$ITEST_DIR/cpack.log")"
debs=$ITEST_DIR/debs
for p in kerbside-collector kerbside kerbside-agent; do
  [ -f "$debs/${p}_"*.deb ] 2>/dev/null || ls "$debs/${p}_"*_amd64.deb >/dev/null ||
    fail "no package $p"
done
collector_deb=$(ls "$debs"/kerbside-collector_*.deb)
agent_deb=$(ls "$debs"/kerbside-agent_*.deb)
cli_deb=$(ls "$debs"/kerbside_*.deb)

contents=$(dpkg-deb -c "$collector_deb")
for f in ./usr/bin/kerbside-collector ./lib/systemd/system/kerbside-collector.service \
         ./etc/kerbside/collector.conf.example ./usr/share/doc/kerbside-collector/README.md; do
  grep -q " $f\$" <<<"$contents" || fail "kerbside-collector lacks $f"
done
grep -q " ./usr/bin/kerbside\$" <<<"$(dpkg-deb -c "$cli_deb")" || fail "kerbside lacks the CLI"
grep -q " ./lib/systemd/system/kerbside-agent.service\$" <<<"$(dpkg-deb -c "$agent_deb")" ||
  fail "kerbside-agent lacks its unit"
[ "$(dpkg-deb -f "$collector_deb" Package)" = kerbside-collector ] || fail "package name"
dpkg-deb -f "$collector_deb" Depends | grep adduser >/dev/null || fail "collector must depend on adduser"
# The collector's allocator (collector/CMakeLists.txt), found by dpkg-shlibdeps from its link.
dpkg-deb -f "$collector_deb" Depends | grep libtcmalloc-minimal4 >/dev/null ||
  fail "collector must depend on libtcmalloc-minimal4, its allocator"
dpkg-deb -e "$collector_deb" "$ITEST_DIR/control"
grep -qx /etc/kerbside/collector.conf.example "$ITEST_DIR/control/conffiles" ||
  fail "the example config is not a conffile"
for s in postinst prerm postrm; do
  [ -x "$ITEST_DIR/control/$s" ] || fail "no executable $s"
  sh -n "$ITEST_DIR/control/$s" || fail "$s does not parse"
done
pass "three packages with binaries, units, conffiles and maintainer scripts"

# lintian: every tag it still reports is one the README explains (deploy/linux/lintian-explained).
lintian --no-tag-display-limit "$collector_deb" "$agent_deb" "$cli_deb" >"$ITEST_DIR/lintian.txt" 2>&1 || true
unexplained=$(grep -E '^[EW]: ' "$ITEST_DIR/lintian.txt" | awk '{print $3}' | sort -u |
  grep -vxF -f <(grep -v '^#' "$(dirname "$0")/../../deploy/linux/lintian-explained" | awk '{print $1}') || true)
if [ -n "$unexplained" ]; then
  cat "$ITEST_DIR/lintian.txt"
  fail "lintian tags not explained in deploy/linux/lintian-explained: $unexplained"
fi
pass "lintian: $(grep -cE '^[EW]: ' "$ITEST_DIR/lintian.txt") errors/warnings, each explained"

# The units as systemd reads them, against the unpacked package (binaries in place).
root=$ITEST_DIR/root
dpkg-deb -x "$collector_deb" "$root"
dpkg-deb -x "$agent_deb" "$root"
dpkg-deb -x "$cli_deb" "$root"
# systemd's own units (targets the ours are ordered against), beside ours in the verify root.
cp -rn /lib/systemd/system/. "$root/lib/systemd/system/"
for u in kerbside-collector kerbside-agent; do
  SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --root="$root" \
    "$root/lib/systemd/system/$u.service" >"$ITEST_DIR/verify-$u.log" 2>&1 ||
    { cat "$ITEST_DIR/verify-$u.log"; fail "systemd-analyze verify $u"; }
  if grep -v "Failed to \(prepare\|load\) filename\|Cannot find user\|Unknown user" \
       "$ITEST_DIR/verify-$u.log" | grep . >/dev/null; then
    cat "$ITEST_DIR/verify-$u.log"
    fail "systemd-analyze verify $u printed warnings"
  fi
done
pass "systemd-analyze verify: both units clean"
unit=$root/lib/systemd/system/kerbside-collector.service
grep -qx 'CapabilityBoundingSet=' "$unit" && grep -qx 'ProtectSystem=strict' "$unit" &&
  grep -qx 'NoNewPrivileges=true' "$unit" && grep -qx 'Restart=on-failure' "$unit" ||
  fail "the collector's unit lost its hardening"

# The collector as its unit starts it, rooted in the unpacked package.
itest_fleet_pki "$PKI"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ "$exec_start" = "/usr/bin/kerbside-collector --config /etc/kerbside/collector.conf" ] ||
  fail "unexpected ExecStart: $exec_start"
sed -e "s|^listen = .*|listen = \"127.0.0.1:0\"|" -e "s|^db = .*|db = \"$ITEST_DIR/state/collector.db\"|" \
  -e "s|^ca = .*|ca = \"$pki/ca.crt\"|" -e "s|^cert = .*|cert = \"$pki/collector.lab.test.crt\"|" \
  -e "s|^key = .*|key = \"$pki/collector.lab.test.key\"|" \
  "$root/etc/kerbside/collector.conf.example" >"$root/etc/kerbside/collector.conf"
echo 'metrics_listen = ""' >>"$root/etc/kerbside/collector.conf"
mkdir -p "$ITEST_DIR/state"
read -r -a argv <<<"$exec_start"
start_bg collector "$root${argv[0]}" "${argv[1]}" "$root${argv[2]}"
wait_until 10 "the packaged collector listening" grep -q "listening on" "$ITEST_DIR/collector.log"
PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$ITEST_DIR/collector.log" | head -n 1)
"$root/usr/bin/kerbside" --collector "localhost:$PORT" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" \
  --key "$pki/oncall.key" --timeout 5 hosts >"$ITEST_DIR/hosts.txt" ||
  fail "kerbside hosts against the packaged collector"
grep -q "no host has connected yet" "$ITEST_DIR/hosts.txt" || fail "$(cat "$ITEST_DIR/hosts.txt")"
pass "the packaged collector, started as its unit says, answers kerbside hosts"
