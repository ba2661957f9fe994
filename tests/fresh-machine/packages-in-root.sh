#!/usr/bin/env bash
# Run inside the fresh root by tests/fresh-machine/run.sh, after the README's test command built
# build-ci: the Debian packages installed with apt, the collector started as its unit starts it
# (its User, no capabilities, no new privileges, its exact ExecStart; a chroot has no systemd as
# PID 1 to do it), answering `kerbside hosts`, stopped by SIGTERM, then purged.
set -euo pipefail
cd /root/kerbside
fail() { echo "packages: FAIL: $*"; exit 1; }
say() { echo "packages: $*"; }

debs=$(mktemp -d)
(cd build-ci && cpack -G DEB -B "$debs" >/dev/null)
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  "$debs"/kerbside-collector_*.deb "$debs"/kerbside_*.deb "$debs"/kerbside-agent_*.deb >/dev/null
say "installed: $(dpkg-query -W -f='${Package} ${Version}, ' kerbside-collector kerbside kerbside-agent)"

getent passwd kerbside >/dev/null || fail "no kerbside user"
[ "$(stat -c '%a %U' /var/lib/kerbside)" = "750 kerbside" ] || fail "/var/lib/kerbside: $(stat -c '%a %U' /var/lib/kerbside)"
[ "$(stat -c '%a %U' /var/lib/kerbside-agent)" = "750 kerbside" ] || fail "/var/lib/kerbside-agent"
[ "$(stat -c '%a %G' /etc/kerbside)" = "750 kerbside" ] || fail "/etc/kerbside: $(stat -c '%a %G' /etc/kerbside)"
for u in kerbside-collector kerbside-agent; do
  systemd-analyze verify "/lib/systemd/system/$u.service" >/tmp/verify.log 2>&1 ||
    { cat /tmp/verify.log; fail "systemd-analyze verify $u (installed)"; }
done
say "user, state folders (0750), configuration folder and units as installed: ok"

pki=/etc/kerbside/pki
pkitool=/usr/share/kerbside-collector/kerbside-pki
"$pkitool" init "$pki" >/dev/null
"$pkitool" collector "$pki" localhost 127.0.0.1 >/dev/null
"$pkitool" operator "$pki" oncall >/dev/null
chgrp kerbside "$pki"/*.key && chmod 0640 "$pki"/*.key
chgrp -R kerbside "$pki" && chmod 0750 "$pki"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|^listen = .*|listen = \"127.0.0.1:$port\"|" -e "s|^cert = .*|cert = \"$pki/localhost.crt\"|" \
  -e "s|^key = .*|key = \"$pki/localhost.key\"|" /etc/kerbside/collector.conf.example \
  >/etc/kerbside/collector.conf
echo 'metrics_listen = ""' >>/etc/kerbside/collector.conf

unit=/lib/systemd/system/kerbside-collector.service
user=$(sed -n 's/^User=//p' "$unit")
read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' "$unit")"
setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs --bounding-set=-all \
  "${exec_start[@]}" >/tmp/collector.log 2>&1 &
pid=$!
cli() {
  kerbside --collector "localhost:$port" --ca "$pki/ca.crt" --cert "$pki/oncall.crt" \
    --key "$pki/oncall.key" --timeout 5 "$@"
}
for _ in $(seq 1 50); do cli hosts >/tmp/hosts.txt 2>&1 && break; sleep 0.2; done
grep -q "no host has connected yet" /tmp/hosts.txt ||
  { cat /tmp/collector.log /tmp/hosts.txt; kill "$pid"; fail "kerbside hosts"; }
[ "$(stat -c %U /var/lib/kerbside/collector.db)" = kerbside ] || fail "the store is not the user's"
say "the collector, started as $user with the unit's ExecStart, answers kerbside hosts"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || { cat /tmp/collector.log; fail "the collector exited $rc on SIGTERM"; }
say "stopped cleanly on SIGTERM"

DEBIAN_FRONTEND=noninteractive apt-get purge -y kerbside-collector kerbside kerbside-agent >/dev/null
[ ! -e /var/lib/kerbside ] || fail "/var/lib/kerbside left after purge"
[ ! -e /var/lib/kerbside-agent ] || fail "/var/lib/kerbside-agent left after purge"
[ ! -e /usr/bin/kerbside-collector ] || fail "binary left after purge"
! dpkg-query -W kerbside-collector >/dev/null 2>&1 ||
  [ "$(dpkg-query -W -f='${Status}' kerbside-collector)" = "unknown ok not-installed" ] ||
  fail "kerbside-collector still known to dpkg: $(dpkg-query -W -f='${Status}' kerbside-collector)"
say "purged: state gone, the kerbside user kept (as Debian keeps system users)"
rm -rf "$debs"
