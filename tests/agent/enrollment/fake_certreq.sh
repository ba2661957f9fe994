#!/usr/bin/env bash
# Stands in for certreq.exe, which needs Windows, a domain member and an AD CS enterprise CA:
# signs the request with a test CA as an enterprise CA would, adding the version 1 template-name
# extension (1.3.6.1.4.1.311.20.2, BMPString) and keeping the request's names, and prints what
# certreq prints. The CA is $FAKE_CA_DIR/ca.{crt,key}; $FAKE_CA_DIR/mode says what the CA does:
#   issue (default) | pending (until $FAKE_CA_DIR/approve-<id> exists) | deny | unreachable
#   | pending-de (pending, said in German, as a localized certreq would)
# $FAKE_CA_DIR/days: validity in days (default 365). Every call is appended to $FAKE_CA_DIR/calls.
#   certreq -submit -q -f -config CA -attrib CertificateTemplate:NAME CSR CERT
#   certreq -retrieve -q -f -config CA ID CERT
set -euo pipefail
dir=${FAKE_CA_DIR:?}
mode=$(cat "$dir/mode" 2>/dev/null || echo issue)
days=$(cat "$dir/days" 2>/dev/null || echo 365)
echo "$*" >> "$dir/calls"
verb=$1; shift
args=()
template=
while [ $# -gt 0 ]; do
  case $1 in
    -q|-f) shift ;;
    -config) shift 2 ;;
    -attrib) template=${2#CertificateTemplate:}; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

sign() {  # sign CSR CERT TEMPLATE ID
  local csr=$1 out=$2 tmpl=$3 id=$4 ext
  ext=$(mktemp)
  {
    echo "extendedKeyUsage=clientAuth"
    echo "1.3.6.1.4.1.311.20.2=ASN1:BMPSTRING:$tmpl"
  } > "$ext"
  openssl x509 -req -in "$csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days "$days" -sha256 -copy_extensions copy -extfile "$ext" -out "$out" 2>/dev/null
  rm -f "$ext"
  printf 'RequestId: %s\r\nRequestId: "%s"\r\nCertificate retrieved(Issued) Issued\r\n' "$id" "$id"
}

case $mode in
  unreachable)
    printf 'Certreq: The RPC server is unavailable. 0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE)\r\n'
    exit 1 ;;
  deny)
    printf 'RequestId: 7\r\nCertificate not issued (Denied) Denied by Policy Module  0x80094012, The permissions on the certificate template do not allow the current user to enroll for this type of certificate.\r\n'
    exit 0 ;;
esac

case $verb in
  -submit)
    csr=${args[0]} out=${args[1]}
    if [ "$mode" = pending-de ]; then
      cp "$csr" "$dir/pending-42.csr"
      echo "$template" > "$dir/pending-42.template"
      printf 'RequestId: 42\r\nRequestId: "42"\r\nZertifikatanforderung ausstehend: Wird bearbeitet (0)\r\n'
      exit 0
    fi
    if [ "$mode" = pending ]; then
      cp "$csr" "$dir/pending-42.csr"
      echo "$template" > "$dir/pending-42.template"
      printf 'RequestId: 42\r\nRequestId: "42"\r\nCertificate request is pending: Taken Under Submission (0)\r\n'
      exit 0
    fi
    sign "$csr" "$out" "$template" 41 ;;
  -retrieve)
    id=${args[0]} out=${args[1]}
    if [ ! -f "$dir/approve-$id" ]; then
      printf 'Certificate request is pending: Taken Under Submission (0)\r\n'
      exit 0
    fi
    sign "$dir/pending-$id.csr" "$out" "$(cat "$dir/pending-$id.template")" "$id" ;;
  *) echo "fake certreq: unknown verb $verb" >&2; exit 2 ;;
esac
