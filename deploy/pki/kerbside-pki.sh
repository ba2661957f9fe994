#!/usr/bin/env bash
# The kerbside fleet PKI, with the OpenSSL command line.
#
#   kerbside-pki.sh init DIR                        fleet CA in DIR (ca.crt, ca.key)
#   kerbside-pki.sh host DIR ROLE FQDN [IP...]      an agent's certificate for ROLE (exchange or
#                                                   dc): CN=FQDN, SAN FQDN, its NetBIOS name
#                                                   (first label) and IPs
#   kerbside-pki.sh collector DIR NAME [IP...]      the collector's server certificate
#   kerbside-pki.sh operator DIR NAME               an operator's certificate for the CLI
#
# The role is carried in the subject's OU (kerbside-host, kerbside-collector, kerbside-operator):
# the collector accepts only kerbside-host on the agent stream and kerbside-operator on queries.
# A host certificate also grants the host's role in a second OU (kerbside-role-exchange or
# kerbside-role-dc): the collector refuses a hello that claims another role, so an Exchange
# server's certificate can never speak as a DC (or as the PDC emulator, the fleet's clock).
#
# Certificates start KERBSIDE_PKI_BACKDATE_DAYS (default 7) days before issuance: a host whose
# clock is behind must still connect and report its skew (DESIGN.md §3). Validity:
# KERBSIDE_PKI_DAYS (default 825) days from issuance; the CA lives 10 years.
set -euo pipefail

backdate_days=${KERBSIDE_PKI_BACKDATE_DAYS:-7}
valid_days=${KERBSIDE_PKI_DAYS:-825}

die() { echo "kerbside-pki: $*" >&2; exit 2; }
usage() { sed -n '2,22p' "$0" >&2; exit 2; }

utc_stamp() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# ossl ARGS...: openssl, its error output shown when it fails (never swallowed).
ossl() {
  local err
  err=$(mktemp)
  if ! openssl "$@" 2> "$err"; then
    local msg
    msg=$(cat "$err")
    rm -f "$err"
    die "openssl $1 failed: $msg"
  fi
  rm -f "$err"
}

ca_config() {
  local dir=$1
  cat <<CONF
[ca]
default_ca = fleet
[fleet]
dir = $dir
database = \$dir/index.txt
new_certs_dir = \$dir/issued
serial = \$dir/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
organizationName = optional
organizationalUnitName = supplied
commonName = supplied
CONF
}

cmd_init() {
  local dir=${1:?DIR}
  [ -e "$dir/ca.key" ] && die "$dir/ca.key exists; refusing to replace a fleet CA"
  mkdir -p "$dir/issued"
  chmod 700 "$dir"
  : > "$dir/index.txt"
  openssl rand -hex 16 > "$dir/serial"
  ca_config "$dir" > "$dir/ca.cnf"
  (umask 077 && ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key")
  # Self-signed with a backdated start, through `openssl ca -selfsign` so -startdate applies.
  ossl req -new -key "$dir/ca.key" -subj "/O=kerbside/OU=kerbside-ca/CN=kerbside fleet CA" \
    -out "$dir/ca.csr"
  cat > "$dir/ca-ext.cnf" <<CONF
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CONF
  ossl ca -batch -config "$dir/ca.cnf" -selfsign -keyfile "$dir/ca.key" -in "$dir/ca.csr" \
    -startdate "$(utc_stamp "-$backdate_days days")" -enddate "$(utc_stamp "+3650 days")" \
    -extfile "$dir/ca-ext.cnf" -out "$dir/ca.crt" -notext
  rm -f "$dir/ca.csr" "$dir/ca-ext.cnf"
  echo "fleet CA: $dir/ca.crt"
}

# issue DIR NAME OU EKU SAN [ROLE_OU]
issue() {
  local dir=$1 name=$2 ou=$3 eku=$4 san=$5 role_ou=${6:-}
  [ -f "$dir/ca.key" ] || die "no CA in $dir (run: $0 init $dir)"
  # A name is a file name in DIR: no path, and never the CA's own files.
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
    die "'$name' is not a name (letters, digits, '.', '_', '-'; no path)"
  case ${name,,} in
    ca | ca.cnf | index.txt | serial) die "'$name' is the CA's own file name; choose another" ;;
  esac
  local base="$dir/$name"
  [ -e "$base.key" ] && die "$base.key exists; refusing to replace a key (move it away to reissue)"
  [ -e "$base.crt" ] && die "$base.crt exists; refusing to replace a certificate"
  # Written under new names and moved in place only when all went well: a failed run leaves no
  # key that would block the next one.
  # shellcheck disable=SC2064  # expanded now: $base is local to this function
  trap "rm -f '$base.key.new' '$base.csr' '$base.crt.new'" EXIT
  (umask 077 && ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$base.key.new")
  ossl req -new -key "$base.key.new" -subj "/O=kerbside/OU=$ou${role_ou:+/OU=$role_ou}/CN=$name" \
    -out "$base.csr"
  local ext
  ext=$(mktemp)
  {
    echo "basicConstraints = critical, CA:false"
    echo "keyUsage = critical, digitalSignature, keyAgreement"
    echo "extendedKeyUsage = $eku"
    echo "authorityKeyIdentifier = keyid"
    [ -n "$san" ] && echo "subjectAltName = $san"
  } > "$ext"
  ossl ca -batch -config "$dir/ca.cnf" -cert "$dir/ca.crt" -keyfile "$dir/ca.key" \
    -in "$base.csr" -startdate "$(utc_stamp "-$backdate_days days")" \
    -enddate "$(utc_stamp "+$valid_days days")" -extfile "$ext" -out "$base.crt.new" -notext
  rm -f "$ext" "$base.csr"
  mv -n "$base.key.new" "$base.key"
  mv -n "$base.crt.new" "$base.crt"
  echo "$ou: $base.crt"
}

san_list() {  # san_list NAME... IP... -> "DNS:a, DNS:b, IP:c"
  local out="" item
  for item in "$@"; do
    if [[ $item =~ ^[0-9.]+$ || $item == *:* ]]; then out+="${out:+, }IP:$item"
    else out+="${out:+, }DNS:$item"; fi
  done
  echo "$out"
}

cmd_host() {
  local dir=${1:?DIR} role=${2:?ROLE} fqdn=${3:?FQDN}; shift 3
  case $role in
    exchange | dc) ;;
    *) die "host: the role is exchange or dc, not '$role' (host DIR ROLE FQDN [IP...])" ;;
  esac
  fqdn=${fqdn,,}
  [[ $fqdn == *.* ]] || die "host: '$fqdn' is not a fully qualified name"
  local netbios=${fqdn%%.*}
  issue "$dir" "$fqdn" kerbside-host clientAuth "$(san_list "$fqdn" "$netbios" "$@")" \
    "kerbside-role-$role"
}

cmd_collector() {
  local dir=${1:?DIR} name=${2:?NAME}; shift 2
  issue "$dir" "${name,,}" kerbside-collector serverAuth "$(san_list "${name,,}" "$@")"
}

cmd_operator() {
  local dir=${1:?DIR} name=${2:?NAME}
  issue "$dir" "$name" kerbside-operator clientAuth ""
}

[ $# -ge 2 ] || usage
command -v openssl >/dev/null || die "openssl is not installed (apt-get install -y openssl)"
sub=$1; shift
case $sub in
  init) cmd_init "$@" ;;
  host) cmd_host "$@" ;;
  collector) cmd_collector "$@" ;;
  operator) cmd_operator "$@" ;;
  *) usage ;;
esac
