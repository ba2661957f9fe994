#!/usr/bin/env bash
# A TEST code-signing certificate for builds without a real one: a throwaway CA and a leaf with
# the codeSigning extended key usage, so the build signs and verifies exactly as a release does.
# Nothing signed with it is trusted by any Windows. Never overwrites an existing key.
#   make-test-signing-cert.sh DIR   -> DIR/test-ca.crt, DIR/test-signing.crt, DIR/test-signing.key
set -euo pipefail
dir=$1
mkdir -p "$dir"
[ -f "$dir/test-signing.key" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/O=kerbside/CN=kerbside TEST code signing CA" \
  -keyout "$tmp/ca.key" -out "$tmp/ca.crt" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:3072 -nodes -subj "/O=kerbside/CN=kerbside TEST code signing - not trusted" \
  -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" 2>/dev/null
printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
  'extendedKeyUsage=codeSigning' > "$tmp/ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
  -days 3650 -extfile "$tmp/ext" -out "$tmp/leaf.crt" 2>/dev/null
cp "$tmp/ca.crt" "$dir/test-ca.crt"
cp "$tmp/leaf.crt" "$dir/test-signing.crt"
install -m 600 "$tmp/leaf.key" "$dir/test-signing.key"
