#!/usr/bin/env bash
# The fresh-machine check: builds a clean Debian 12 root with mmdebstrap (variant minbase, from
# the Debian mirror this machine is configured with), copies a clean clone of a commit (main by
# default) into it, and runs exactly the README's two commands inside it with chroot, as root.
# Prints each command's exit code and wall time; exits non-zero if either fails. Then installs
# the Debian packages the test command built, starts the collector as its unit says, stops it
# and purges them (tests/fresh-machine/packages-in-root.sh).
#
#   tests/fresh-machine/run.sh [COMMIT]        # needs root, ~1 h on 2 cores
#   FRESH_KEEP=1 ...                           # keep the root afterwards (for a look inside)
#   FRESH_WORK=DIR ...                         # where the root goes (default /var/tmp)
#   FRESH_SKIP_DEMO=1 ...                      # the test command only (says so in the summary)
#   FUZZ_SECONDS=N ...                         # passed to the test command's fuzzers
#
# Run it before resolving an issue that adds or changes a dependency. It is not part of
# .ci/run: too slow, and it must start from nothing (no package cache, no Windows dependency
# cache), which is the point.
#
# What a chroot cannot give and how that is handled: the root shares this machine's kernel, so
# network namespaces, veth pairs and nftables (the lab) work as root inside it once /proc, /sys,
# /dev and /run are mounted, as they are below. Package installs inside must not start daemons
# (policy-rc.d refuses, as on the CI machines). Nothing else is borrowed from the host.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-machine: run as root (mmdebstrap, chroot, mounts)" >&2
  exit 1
fi
src=$(cd "$(dirname "$0")/../.." && pwd)
commit=${1:-main}
work=$(mktemp -d "${FRESH_WORK:-/var/tmp}/kerbside-fresh.XXXXXX")
rootfs=$work/root
log=$work/log
mkdir -p "$log"

mounts=()
cleanup() {
  local m
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    m=${mounts[$i]}
    umount -R "$m" 2>/dev/null || umount -R -l "$m" 2>/dev/null || true
  done
  # Namespaces the lab left behind would pin mounts under the root.
  if [ -z "${FRESH_KEEP:-}" ]; then
    rm -rf --one-file-system "$work"
  else
    echo "fresh-machine: kept $work"
  fi
}
trap cleanup EXIT

say() { printf 'fresh-machine: %s\n' "$*"; }

command -v mmdebstrap >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap >/dev/null
}

# The mirror as this machine has it (deb822 .sources or a one-line sources.list).
mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources \
  2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / && $2 !~ /security/ {print $2; exit}' \
  /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security=${mirror%/debian}/debian-security

t0=$SECONDS
say "debootstrapping a minbase bookworm root from $mirror into $rootfs"
mmdebstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" \
  "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
  "deb $security bookworm-security main" >"$log/mmdebstrap.log" 2>&1 || {
  tail -n 30 "$log/mmdebstrap.log"
  exit 1
}
say "root ready in $((SECONDS - t0)) s"

# No daemon may start from a package's postinst inside the root.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
# What an installed Debian has and a debootstrapped root lacks: /etc/hosts naming localhost
# (the installer writes it; the tests and the demo connect to localhost).
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
echo kerbside-fresh >"$rootfs/etc/hostname"

# A clean clone of the commit: what CI checks out, nothing of this working tree.
git clone -q --no-local "$src" "$rootfs/root/kerbside"
git -C "$rootfs/root/kerbside" checkout -q "$commit"
say "checked out $(git -C "$rootfs/root/kerbside" rev-parse --short HEAD) ($commit)"

# The root as a mount point of its own: `ip netns exec` (the lab) remounts / as a slave, which
# only works on a mount point, as / is on a real machine.
mount --bind "$rootfs" "$rootfs"
mount --make-private "$rootfs"
mounts+=("$rootfs")
for m in proc sys dev dev/pts run; do
  mkdir -p "$rootfs/$m"
  case $m in
    proc) mount -t proc proc "$rootfs/proc" ;;
    # rslave: nothing unmounted or mounted under the root propagates back to this machine.
    sys) mount --rbind /sys "$rootfs/sys" && mount --make-rslave "$rootfs/sys" ;;
    dev) mount --rbind /dev "$rootfs/dev" && mount --make-rslave "$rootfs/dev" ;;
    dev/pts) continue ;;  # part of the /dev rbind
    run) mount -t tmpfs tmpfs "$rootfs/run" ;;
  esac
  mounts+=("$rootfs/$m")
done
mkdir -p "$rootfs/run/netns" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"

declare -A rc wall
run_in_root() {  # NAME COMMAND
  local name=$1 cmd=$2 t=$SECONDS r=0
  say "running: $cmd"
  chroot "$rootfs" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    ${FUZZ_SECONDS:+FUZZ_SECONDS=$FUZZ_SECONDS} \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "cd /root/kerbside && $cmd" >"$log/$name.log" 2>&1 || r=$?
  rc[$name]=$r
  wall[$name]=$((SECONDS - t))
  say "$cmd: exit $r after ${wall[$name]} s (log: $log/$name.log)"
  [ "$r" -eq 0 ] || tail -n 40 "$log/$name.log"
}

# Exactly the README's two commands, then the Debian packages for real in the same root:
# installed, the collector started as its unit says, stopped, purged.
if [ -z "${FRESH_SKIP_DEMO:-}" ]; then
  run_in_root demo ./deploy/demo/run-demo.sh
else
  rc[demo]=skipped wall[demo]=0
fi
run_in_root tests ./tests/run-all.sh
if [ "${rc[tests]}" -eq 0 ]; then
  run_in_root packages ./tests/fresh-machine/packages-in-root.sh
else
  rc[packages]=skipped wall[packages]=0
fi

echo
head=$(git -C "$rootfs/root/kerbside" rev-parse --short HEAD)
echo "== fresh-machine summary ($(date -u +%Y-%m-%dT%H:%M:%SZ), commit $head)"
printf '%-28s %6s %8s\n' command exit seconds
printf '%-28s %6s %8s\n' ./deploy/demo/run-demo.sh "${rc[demo]}" "${wall[demo]}"
printf '%-28s %6s %8s\n' ./tests/run-all.sh "${rc[tests]}" "${wall[tests]}"
printf '%-28s %6s %8s\n' '(packages in the root)' "${rc[packages]}" "${wall[packages]}"
grep -E '^(figures|build-deps: done|run-all:)|figures:' "$log/tests.log" || true
grep -E '^packages:' "$log/packages.log" 2>/dev/null || true
# The logs outlive the root (which is removed unless FRESH_KEEP is set).
keep_logs=/var/tmp/kerbside-fresh-logs-$head
rm -rf "$keep_logs" && cp -r "$log" "$keep_logs" && echo "logs: $keep_logs"
[ "${rc[demo]}" != 0 ] && [ -z "${FRESH_SKIP_DEMO:-}" ] && exit 1
[ "${rc[tests]}" -eq 0 ] && [ "${rc[packages]}" = 0 ]
