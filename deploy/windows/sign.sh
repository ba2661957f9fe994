#!/usr/bin/env bash
# Authenticode-signs a Windows file (the agent's .exe, its .msi) with osslsigncode (Debian
# package osslsigncode): SHA-256, the product name as the description. No timestamp server is
# asked (none is reachable from the build); a release signs with its real certificate and, where
# the network allows, adds -ts.
#   sign.sh IN OUT CERT.pem KEY.pem
set -euo pipefail
in=$1 out=$2 cert=$3 key=$4
command -v osslsigncode >/dev/null ||
  { echo "sign: osslsigncode is not installed (apt-get install osslsigncode)" >&2; exit 1; }
rm -f "$out"
osslsigncode sign -certs "$cert" -key "$key" -h sha256 -n "kerbside agent" \
  -in "$in" -out "$out" >/dev/null
echo "$out"
