#!/usr/bin/env bash
# deploy/pki/kerbside-pki.sh never replaces a key (issue 12 item 5: `operator DIR ca` used to
# overwrite the fleet CA's key), refuses names that are paths, and shows openssl's own error.
set -euo pipefail
PKI=$1
D=$(mktemp -d /tmp/kerbside-pki-test.XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }
"$PKI" init "$D/pki" > /dev/null
ca_sum=$(sha256sum < "$D/pki/ca.key")
[ "$(stat -c %a "$D/pki/ca.key")" = 600 ] || fail "ca.key is not 0600"
refused() {  # refused WHAT ARGS...: the command exits 2 and the CA key is unchanged
  local what=$1 rc=0; shift
  "$PKI" "$@" > "$D/out" 2>&1 || rc=$?
  [ "$rc" = 2 ] || fail "$what: exit $rc ($(cat "$D/out"))"
  [ "$(sha256sum < "$D/pki/ca.key")" = "$ca_sum" ] || fail "$what: the CA key changed"
  pass "$what: refused: $(cat "$D/out")"
}
refused "operator named ca" operator "$D/pki" ca
refused "operator named CA" operator "$D/pki" CA
refused "a name with a path" operator "$D/pki" ../evil
"$PKI" operator "$D/pki" alice > /dev/null
alice_sum=$(sha256sum < "$D/pki/alice.key")
refused "alice issued twice" operator "$D/pki" alice
[ "$(sha256sum < "$D/pki/alice.key")" = "$alice_sum" ] || fail "alice's key was replaced"
refused "a second init" init "$D/pki"
# openssl's own error is shown, not swallowed: a CA key openssl cannot read.
cp -a "$D/pki" "$D/broken"
echo "not a key" > "$D/broken/ca.key"
rc=0
"$PKI" operator "$D/broken" bob > "$D/out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "openssl ca failed: .*" "$D/out" || fail "openssl's error hidden: rc=$rc $(cat "$D/out")"
pass "openssl's error is shown: $(head -c 160 "$D/out")"
[ ! -e "$D/broken/bob.key" ] && [ ! -e "$D/broken/bob.key.new" ] || fail "a failed run left a key"
pass "a failed run leaves no key behind"
