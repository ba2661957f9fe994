#!/usr/bin/env bash
# Installs what kerbside needs to build, test and run its demo on Debian 12 (bookworm), from
# Debian's own packages. Run as root. Daemons are not started by package installation here;
# tests and the demo start what they need themselves.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libkrb5-dev libspdlog-dev libssl-dev libsqlite3-dev nlohmann-json3-dev libcli11-dev
  libcurl4-openssl-dev libcpp-httplib-dev
  libpugixml-dev libcsv-dev libgtest-dev libgmock-dev libbenchmark-dev libldap2-dev
  # the collector's allocator (tcmalloc)
  libgoogle-perftools-dev
  # fuzzing (libFuzzer + ASan from clang)
  clang libclang-rt-14-dev
  # tests and demo (python3: the probe test's UDP servers and port picking; bc: its timing
  # arithmetic; python3-yaml: the check of the Windows build files)
  prometheus prometheus-alertmanager curl python3 python3-yaml bc
  openssl jq faketime libfaketime krb5-kdc krb5-admin-server krb5-user iproute2 procps
  # the Debian packages' test: lintian, and systemd-analyze verify from systemd
  lintian systemd
  # the lab (tests/lab): Samba AD DCs in network namespaces. samba-ad-provision holds the AD
  # schema files `samba-tool domain provision` reads; it is only a Recommends of samba-ad-dc, so
  # --no-install-recommends leaves it out (a fresh machine failed on exactly that).
  samba samba-ad-dc samba-ad-provision winbind ldap-utils bind9-dnsutils nftables
  # the Windows agent (deploy/windows/build-deps.sh, the `windows` tests under Wine): mingw-w64
  # with the posix thread model, Wine, ccache; re2's tables from unicode-data with python3-six;
  # zlib for gRPC; dpkg-dev for `apt-get source`
  g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix libz-mingw-w64-dev ccache
  wine wine64 unicode-data python3-six dpkg-dev
  # the Windows agent's MSI (deploy/windows/msi): wixl builds it, msitools' msiinfo reads it
  # back, osslsigncode signs it and the .exe (Authenticode) and verifies them
  wixl msitools osslsigncode
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get install)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; only refresh them when the install needs it.
if ! apt-get install -y --no-install-recommends "${packages[@]}" >/tmp/kerbside-apt.log 2>&1; then
  apt-get update >>/tmp/kerbside-apt.log 2>&1
  apt-get install -y --no-install-recommends "${packages[@]}" >>/tmp/kerbside-apt.log 2>&1 || {
    tail -n 30 /tmp/kerbside-apt.log >&2
    exit 1
  }
fi
echo "install-deps: ${#packages[@]} packages present"
