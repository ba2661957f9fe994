# The lab: one or two Samba AD DCs (realm LAB.TEST) in network namespaces of their own, joined
# by a bridge in the root namespace. Nothing leaves the lab: the namespaces have no default
# route and the root namespace only gains a route to the lab's own /24. Facts that work here are
# in ../shared/LAB-NOTES.md.
#
# Source it after tests/integration/lib.sh (itest_init sets ITEST_DIR and the EXIT trap), then:
#   lab_init            names, addresses, and a cleanup hook chained before itest_cleanup
#   lab_up_dc1          provision and start dc1 (LDAP answering), seed Exchange accounts
#   lab_up_dc2          join and start dc2 (replicating with dc1)
#   lab_member N NAME   a namespace for domain member NAME (node N >= 3), its account seeded
#                       (SMTPSVC/ and SMTP/ SPNs, AES keys) and its keytab exported
#   lab_dc N CMD...     run CMD inside node N's namespace (dcN for N = 1, 2)
#   lab_tool N ARGS...  samba-tool against dcN's own configuration
#   lab_dc_agent N SITE dcN's agent (Samba DC source) streaming to $ADDR
# Everything is torn down on exit, success or not: daemons by PID, then namespaces, veths, the
# bridge, /etc/netns/<ns>/ and the temp dir.

LAB_REALM=LAB.TEST
LAB_DOMAIN=lab.test
LAB_WORKGROUP=LAB
LAB_ADMIN_PASSWORD='Kerbside-Lab-1!'
LAB_EX_PASSWORD='Exchange-Acct-1!'

lab_init() {
  # Short unique names (interface names are at most 15 bytes) so parallel runs do not collide.
  LAB_ID=$(printf '%04x' $(( ($$ ^ RANDOM) & 0xffff )))
  LAB_NET=10.254.$(( ($$ % 200) + 20 ))
  LAB_BRIDGE=ksb$LAB_ID
  LAB_BRIDGE_IP=$LAB_NET.1
  LAB_DIR=$ITEST_DIR/lab
  LAB_PIDS=()
  LAB_NETNS=()
  mkdir -p "$LAB_DIR"
  # The lab's own Kerberos configuration for every client tool run here (KRB5_CONFIG is
  # already the test's own file; write it so nothing falls back to /etc/krb5.conf).
  cat > "$KRB5_CONFIG" <<EOF
[libdefaults]
  default_realm = $LAB_REALM
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
[realms]
  $LAB_REALM = {
    kdc = $LAB_NET.11
  }
EOF
  : > "$KRB5_KDC_PROFILE"
  # Run our teardown first, then the integration library's (which stops ITEST_PIDS and removes
  # ITEST_DIR).
  # ( exit $rc ) hands the test's own status on to itest_cleanup, which reads it from $?.
  # A test may define lab_on_failure to print what it knows (the collector's view) while the
  # lab still runs.
  trap 'lab_rc=$?; set +e; [ $lab_rc -ne 0 ] && declare -F lab_on_failure >/dev/null && lab_on_failure;
    lab_cleanup; ( exit $lab_rc ); itest_cleanup' EXIT
  ip link add "$LAB_BRIDGE" type bridge || fail "cannot create bridge $LAB_BRIDGE (need root)"
  LAB_HAVE_BRIDGE=1
  ip addr add "$LAB_BRIDGE_IP/24" dev "$LAB_BRIDGE"
  ip link set "$LAB_BRIDGE" up
  LAB_T0=$(date +%s.%N)
}

lab_ns() { echo "ks${LAB_ID}dc$1"; }
lab_ip() { echo "$LAB_NET.1$1"; }

# lab_dc N CMD...: CMD inside dcN's namespace (with /etc/netns/<ns>/ laid over /etc).
lab_dc() { local n=$1; shift; ip netns exec "$(lab_ns "$n")" "$@"; }

lab_tool() { local n=$1; shift; lab_dc "$n" samba-tool "$@" -s "$LAB_DIR/dc$n/etc/smb.conf"; }

lab_cleanup() {
  local pid ns t0
  t0=$(date +%s.%N)
  # samba forks a process per service: note every descendant's PID before stopping the root, so
  # that none outlives the lab (and its files) after the root has gone.
  local all=() queue=("${LAB_PIDS[@]}") kids
  while [ ${#queue[@]} -gt 0 ]; do
    pid=${queue[0]}; queue=("${queue[@]:1}")
    all+=("$pid")
    kids=$(pgrep -P "$pid" 2>/dev/null || true)
    for k in $kids; do queue+=("$k"); done
  done
  for pid in "${LAB_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${all[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${LAB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  local n=0
  for ns in "${LAB_NETNS[@]}"; do
    n=$((n + 1))
    # Deleting a namespace frees its veth only once the kernel drops the namespace; delete the
    # root-side end ourselves so nothing is left behind.
    ip link delete "ks${LAB_ID}v$n" 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  [ -n "${LAB_HAVE_BRIDGE:-}" ] && ip link delete "$LAB_BRIDGE" 2>/dev/null || true
  echo "lab: torn down in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
}

# lab_netns N: namespace, veth (eth0 inside) on the bridge, resolv.conf and hosts.
lab_netns() {
  local n=$1 ns ip
  ns=$(lab_ns "$n")
  ip=$(lab_ip "$n")
  ip netns add "$ns"
  LAB_NETNS+=("$ns")
  ip link add "ks${LAB_ID}v$n" type veth peer name "ks${LAB_ID}p$n"
  ip link set "ks${LAB_ID}v$n" master "$LAB_BRIDGE" up
  ip link set "ks${LAB_ID}p$n" netns "$ns"
  ip -n "$ns" link set "ks${LAB_ID}p$n" name eth0
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  mkdir -p "/etc/netns/$ns"
  printf 'search %s\nnameserver %s\n' "$LAB_DOMAIN" "$(lab_ip 1)" > "/etc/netns/$ns/resolv.conf"
  {
    echo "127.0.0.1 localhost"
    echo "$(lab_ip 1) dc1.$LAB_DOMAIN dc1"
    echo "$(lab_ip 2) dc2.$LAB_DOMAIN dc2"
    echo "$LAB_BRIDGE_IP collector.$LAB_DOMAIN collector"
    # Members (lab_member): node 3.. are ex01.. so that every node resolves every other.
    for m in 1 2 3; do echo "$(lab_ip $((m + 2))) ex0$m.$LAB_DOMAIN ex0$m"; done
  } > "/etc/netns/$ns/hosts"
}

# The per-DC options: only the lab's interfaces, no forwarder, per-DC runtime directories.
lab_options() {
  local dir=$1 o
  LAB_OPTS=()
  for o in "interfaces=lo eth0" "bind interfaces only=yes" "dns forwarder=" \
    "pid directory=$dir/run" "ncalrpc dir=$dir/run/ncalrpc" "winbindd socket directory=$dir/run/winbindd" \
    "ntp signd socket directory=$dir/run/ntp_signd" "server services=-nbt -ntp_signd" \
    "prefork children=1" "log file=$dir/log.%m"; do
    LAB_OPTS+=("--option=$o")
  done
}

# lab_start_samba N: starts samba in dcN's namespace, waits for LDAPS.
lab_start_samba() {
  local n=$1 dir=$LAB_DIR/dc$1
  ip netns exec "$(lab_ns "$n")" samba -F --no-process-group -s "$dir/etc/smb.conf" \
    > "$dir/samba.log" 2>&1 &
  LAB_PIDS+=($!)
  local deadline=$((SECONDS + 30))
  until lab_dc "$n" env LDAPTLS_CACERT="$dir/private/tls/ca.pem" ldapsearch -LLL -H "ldaps://dc$n.$LAB_DOMAIN" -x \
      -D "Administrator@$LAB_DOMAIN" -w "$LAB_ADMIN_PASSWORD" -b '' -s base dn >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { tail -n 30 "$dir/samba.log"; fail "dc$n: LDAPS not up in 30 s"; }
    sleep 0.2
  done
  echo "lab: dc$n answers LDAPS at $(lab_elapsed) s"
}

lab_up_dc1() {
  local dir=$LAB_DIR/dc1
  lab_netns 1
  mkdir -p "$dir/run/ncalrpc" "$dir/run/winbindd" "$dir/run/ntp_signd"
  : > "$LAB_DIR/empty.conf"
  lab_options "$dir"
  lab_dc 1 samba-tool domain provision -s "$LAB_DIR/empty.conf" --realm=$LAB_REALM \
    --domain=$LAB_WORKGROUP --server-role=dc --dns-backend=SAMBA_INTERNAL --host-name=dc1 \
    --host-ip="$(lab_ip 1)" --adminpass="$LAB_ADMIN_PASSWORD" --targetdir="$dir" \
    "${LAB_OPTS[@]}" > "$dir/provision.log" 2>&1 \
    || { tail -n 30 "$dir/provision.log"; fail "dc1: provision failed"; }
  echo "lab: dc1 provisioned at $(lab_elapsed) s"
  # TLS with the CA samba generates on first start; libldap checks it (TLS_CACERT).
  sed -i '/^\[global\]/a \\ttls enabled = yes' "$dir/etc/smb.conf"
  # Each LDAP client names its DC's CA (LDAPTLS_CACERT): every DC makes its own at first start.
  lab_start_samba 1
}

# lab_seed_exchange NAME...: computer accounts with a password (so they have keys), enabled,
# with SMTPSVC/<name> and SMTPSVC/<name>.<domain>.
lab_seed_exchange() {
  local name lower
  for name in "$@"; do
    lower=${name,,}
    lab_tool 1 computer create "$name" >/dev/null
    lab_tool 1 user setpassword "$name\$" --newpassword="$LAB_EX_PASSWORD" >/dev/null
    lab_tool 1 user enable "$name\$" >/dev/null
    lab_tool 1 spn add "SMTPSVC/$lower" "$name\$" >/dev/null
    lab_tool 1 spn add "SMTPSVC/$lower.$LAB_DOMAIN" "$name\$" >/dev/null
  done
}

lab_up_dc2() {
  local dir=$LAB_DIR/dc2
  lab_netns 2
  mkdir -p "$dir/run/ncalrpc" "$dir/run/winbindd" "$dir/run/ntp_signd" "$dir/etc"
  : > "$dir/etc/empty.conf"
  lab_options "$dir"
  lab_dc 2 samba-tool domain join $LAB_DOMAIN DC -s "$dir/etc/empty.conf" \
    --server="dc1.$LAB_DOMAIN" -U "$LAB_WORKGROUP\\Administrator%$LAB_ADMIN_PASSWORD" \
    --targetdir="$dir" --option="netbios name=DC2" "${LAB_OPTS[@]}" \
    > "$dir/join.log" 2>&1 || { tail -n 30 "$dir/join.log"; fail "dc2: join failed"; }
  echo "lab: dc2 joined at $(lab_elapsed) s"
  sed -i '/^\[global\]/a \\ttls enabled = yes' "$dir/etc/smb.conf"
  lab_start_samba 2
  # dc1 gets its inbound link from dc2 now rather than in 5 minutes.
  lab_tool 1 drs kcc "dc1.$LAB_DOMAIN" -U "Administrator%$LAB_ADMIN_PASSWORD" >/dev/null 2>&1 || true
}

# lab_member N NAME: node N's namespace for the domain member NAME (EX01), its computer account on
# dc1 with SMTPSVC/ and SMTP/ SPNs (short and FQDN) and AES keys (msDS-SupportedEncryptionTypes
# 24: without it Samba's KDC issues RC4 tickets for the SPNs), and its keytab with the account's
# and every SPN's keys at $LAB_DIR/<name>.keytab, as a member's /etc/krb5.keytab would hold.
lab_member() {
  local n=$1 name=$2 lower=${2,,} dn
  lab_netns "$n"
  lab_seed_exchange "$name"
  lab_tool 1 spn add "SMTP/$lower" "$name\$" >/dev/null
  lab_tool 1 spn add "SMTP/$lower.$LAB_DOMAIN" "$name\$" >/dev/null
  dn="CN=$name,CN=Computers,DC=lab,DC=test"
  printf 'dn: %s\nchangetype: modify\nreplace: msDS-SupportedEncryptionTypes\nmsDS-SupportedEncryptionTypes: 24\n' \
    "$dn" | lab_ldapmodify 1 >/dev/null
  lab_export_keytab "$name"
}

# lab_ldapmodify N: ldapmodify against dcN over LDAPS as the domain administrator (LDIF on stdin).
lab_ldapmodify() {
  local n=$1
  lab_dc "$n" env LDAPTLS_CACERT="$LAB_DIR/dc$n/private/tls/ca.pem" ldapmodify -H "ldaps://dc$n.$LAB_DOMAIN" \
    -x -D "Administrator@$LAB_DOMAIN" -w "$LAB_ADMIN_PASSWORD"
}

# lab_export_keytab NAME [DC]: (re)writes NAME's keytab from that DC's database (default dc1).
lab_export_keytab() {
  local name=$1 lower=${1,,} dc=${2:-1} kt=$LAB_DIR/${1,,}.keytab p
  rm -f "$kt.new"
  for p in "$name\$" "SMTPSVC/$lower" "SMTPSVC/$lower.$LAB_DOMAIN" "SMTP/$lower" \
      "SMTP/$lower.$LAB_DOMAIN"; do
    lab_tool "$dc" domain exportkeytab "$kt.new" --principal="$p" >/dev/null 2>&1 || true
  done
  [ -s "$kt.new" ] || fail "no keys exported for $name"
  mv "$kt.new" "$kt"
}

# lab_dc_agent N SITE: a kerbside-agent inside dcN's namespace, as a DC's agent runs, reading its
# own directory over LDAPS (the Samba DC source) and streaming to $ADDR with the test's PKI ($pki,
# dcN.lab.test's certificate) and $ITEST_DIR/bind.pw; $AGENT is the agent binary.
lab_dc_agent() {
  local n=$1 site=$2
  start_bg "agent-dc$n" ip netns exec "$(lab_ns "$n")" "$AGENT" --collector "$ADDR" \
    --ca "$pki/ca.crt" --cert "$pki/dc$n.lab.test.crt" --key "$pki/dc$n.lab.test.key" \
    --netbios_name "DC$n" --fqdn "dc$n.lab.test" --role dc --site "$site" --ip "$(lab_ip "$n")" \
    --backoff_initial 200ms --backoff_max 2s \
    --samba_ldap_uri "ldaps://dc$n.lab.test" --samba_ldap_ca "$LAB_DIR/dc$n/private/tls/ca.pem" \
    --samba_bind_dn "Administrator@lab.test" --samba_bind_password_file "$ITEST_DIR/bind.pw" \
    --exchange_server EX01 --exchange_server EX02 --exchange_server EX03 \
    --samba_smb_conf "$LAB_DIR/dc$n/etc/smb.conf" --samba_interval 5s --samba_timeout 4s
}

lab_elapsed() { awk -v a="$LAB_T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
