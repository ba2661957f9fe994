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
  # fuzzing (libFuzzer + ASan from clang)
  clang libclang-rt-14-dev
  # tests and demo
  prometheus prometheus-alertmanager curl
  openssl jq faketime libfaketime krb5-kdc krb5-admin-server krb5-user iproute2 procps
  # the lab (tests/lab): Samba AD DCs in network namespaces
  samba samba-ad-dc winbind ldap-utils bind9-dnsutils nftables
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
