#!/usr/bin/env bash
# Builds kerbside-agent's MSI with wixl (Debian package wixl): stages the executable and the
# Group Policy templates beside each other (wixl reads File/@Source relative to the working
# directory) and compiles kerbside-agent.wxs.
#   build-msi.sh AGENT_EXE POLICY_DIR VERSION OUT.msi
set -euo pipefail
exe=$1 policy=$2 version=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
command -v wixl >/dev/null || { echo "build-msi: wixl is not installed (apt-get install wixl)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$exe" "$stage/kerbside-agent.exe"
mkdir -p "$stage/policy/en-US"
cp "$policy/kerbside.admx" "$stage/policy/"
cp "$policy/en-US/kerbside.adml" "$stage/policy/en-US/"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
# wixl prints GLib warnings for attributes it ignores; a failed build still exits non-zero.
(cd "$stage" && wixl -a x64 -D Version="$version" -o "$out_abs" "$here/kerbside-agent.wxs")
echo "$out_abs"
