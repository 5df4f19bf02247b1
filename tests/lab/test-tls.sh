#!/bin/bash
# TLS between the switches and flowchaind, as in production: the controller
# runs in its own namespace, each host reaches it over its own management
# link (out of band), switches and controller authenticate each other with
# certificates made by ovs-pki.  The SCVMM example syncs over TLS and its
# isolation holds.  Refused, each with its log line and with no flowchain
# flow on the refused bridges: a certificate from another CA, plain TCP on
# the ssl: port, a host's certificate on another host, and a datapath-ID
# certificate claiming another bridge of its host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/examples/scvmm-logical-switch.json
CTL_ADDR=172.31.0.1            # lab.py --controller-ns
SSL_PORT=6653 TCP_PORT=6654

# The PKI: one CA pair (controllerca, switchca) as ovs-pki makes it, a
# certificate per host (CN "HOST id:UUID"), one for the datapath of
# hv-host02/br-guest (CN "0000000000000203 id:UUID"), and a second, foreign
# CA with its own certificate for hv-host02.
PKI=$(mktemp -d /tmp/fctls.XXXXXX)
LAB_CLEANUP=$PKI
trap 'rm -rf "$PKI"' EXIT
pki() { (cd "$PKI" && ovs-pki --log="$PKI/pki.log" "$@" >/dev/null 2>&1); }
if ! command -v ovs-pki >/dev/null; then
    echo "SKIP: test-tls: ovs-pki missing (Debian package openvswitch-common)"
    exit 0
fi
pki --dir="$PKI/pki" init &&
pki --dir="$PKI/pki" req+sign ctl controller &&
pki --dir="$PKI/pki" req+sign hv-host01 switch &&
pki --dir="$PKI/pki" req+sign hv-host02 switch &&
pki --dir="$PKI/pki" req+sign 0000000000000203 switch &&
mkdir "$PKI/rogue" &&
(cd "$PKI/rogue" && ovs-pki --log="$PKI/pki.log" --dir="$PKI/rogue/pki" init \
     >/dev/null 2>&1 &&
 ovs-pki --log="$PKI/pki.log" --dir="$PKI/rogue/pki" req+sign hv-host02 switch \
     >/dev/null 2>&1) || { t_fail "ovs-pki builds the test PKI"; exit 1; }
t_pass "ovs-pki builds the test PKI"

LAB_UP_OPTS="--controller-ns --ssl-certs $PKI --ssl-ca-cert $PKI/pki/controllerca/cacert.pem"
lab_up "$INTENT" "ssl:$CTL_ADDR:$SSL_PORT" || { t_fail "lab up"; exit 1; }
FCD_NETNS=$(lab_get controller_ns.ns)
fcd_start "$INTENT" --listen "ssl:$CTL_ADDR:$SSL_PORT" \
    --listen "tcp:$CTL_ADDR:$TCP_PORT" \
    --private-key "$PKI/ctl-privkey.pem" --certificate "$PKI/ctl-cert.pem" \
    --ca-cert "$PKI/pki/switchca/cacert.pem"

t_check "all 6 bridges reach sync over TLS" wait_until 60 fcd_all_in_sync 6
t_check "each host reaches the controller over its management link only" \
    eval 'lab_exec hv-host01 ip route get $CTL_ADDR | grep -q "dev fc-ctl0" &&
          lab_exec hv-host02 ip route get $CTL_ADDR | grep -q "dev fc-ctl0"'
t_check "a VM cannot reach the controller" ping_fails vm101-1 "$CTL_ADDR"
status=$(fcctl status --ports)
t_check "the sessions are ssl: and show each host's certificate" \
    eval '[ "$(grep -c "peer: ssl:172\.31\.1\.2:[0-9]*, certificate \"hv-host01 id:" <<<"$status")" -eq 3 ] &&
          [ "$(grep -c "peer: ssl:172\.31\.2\.2:[0-9]*, certificate \"hv-host02 id:" <<<"$status")" -eq 3 ]'
t_check "the log names the TLS version and the client certificate" \
    grep -qE "ssl:172\.31\.1\.2:[0-9]+: TLSv1\.[23] session, client certificate \"hv-host01 id:" "$FCD_LOG"
t_check "plain TCP on a non-loopback address is warned about, with ssl: advice" \
    grep -q "tcp:$CTL_ADDR:$TCP_PORT: plain TCP on a non-loopback address.*use ssl:$CTL_ADDR:$TCP_PORT" "$FCD_LOG"
t_check "plain TCP on loopback is not" \
    not grep -q "tcp:127\.0\.0\.1:[0-9]*: plain TCP on a non-loopback" "$FCD_LOG"

# The isolation tests, over TLS.
t_check "vm101-1 reaches vm101-2 on the other host" ping_ok vm101-1 10.8.101.2
t_check "vm101-1 reaches its gateway" ping_ok vm101-1 10.8.101.254
t_check "vm101-1 cannot reach vm102-1 (other VLAN)" ping_fails vm101-1 10.8.102.1
t_check "vm102-1 cannot reach vm101-2" ping_fails vm102-1 10.8.101.2
lab_exec vm101-1 ip addr add 10.8.102.50/24 dev eth0
t_check "vm101-1 with an address in 10.8.102.0/24 cannot reach vm102-1" \
    ping_fails vm101-1 10.8.102.1
lab_exec vm101-1 ip addr del 10.8.102.50/24 dev eth0
t_check "live-migration adapters reach each other" \
    ping_ok hv-host01/LiveMigration 10.8.11.2

# n_fc HOST BRIDGE: flowchain flows (cookie 0xfc...) on that bridge.
n_fc() {
    lab_ovs "$1" ovs-ofctl -O OpenFlow13 dump-flows "$2" \
        "cookie=0xfc00000000000000/0xff00000000000000" | grep -c "cookie="
}
t_check "hv-host02/br-guest holds flowchain flows before the negative cases" \
    [ "$(n_fc hv-host02 br-guest)" -gt 0 ]
h1_peers=$(fcctl status --ports | grep -A1 "^switch 00000000000001" | grep "peer:" |
           sed 's/, connected.*//' | sort)

# h2_restart SETUP-CMDS...: stops hv-host02's ovs-vswitchd (its bridges come
# back empty), runs each ovs-vsctl command line given, starts it again.
h2_restart() {
    lab kill-vswitchd hv-host02
    local c
    for c in "$@"; do
        # shellcheck disable=SC2086
        lab_ovs hv-host02 ovs-vsctl --no-wait $c
    done
    lab start-vswitchd hv-host02 >/dev/null
}
# h2_log_count PATTERN: log lines about hv-host02's connections matching it.
h2_log_count() {
    grep -cE "ssl:172\.31\.2\.2:[0-9]+: $1" "$FCD_LOG"
}
# h2_refused_since N PATTERN: more than N such lines now.
h2_refused_since() {
    [ "$(h2_log_count "$2")" -gt "$1" ]
}
# h2_no_flows BRIDGE...: none of them holds a flowchain flow, and the
# controller lists none of them as a switch.
h2_no_flows() {
    local br st
    st=$(fcctl status)
    for br in "$@"; do
        [ "$(n_fc hv-host02 "$br")" -eq 0 ] || { echo "$br has flows"; return 1; }
    done
    ! grep -qE "^switch 00000000000002" <<<"$st" || {
        echo "a hv-host02 switch is listed"; return 1; }
}
h2_all=(br-mgmt br-lm br-guest)
set_ctl_h2() {   # TARGET: the controller of every bridge of hv-host02
    local b out=()
    for b in "${h2_all[@]}"; do out+=("set-controller $b $1"); done
    printf '%s\n' "${out[@]}"
}
mapfile -t ctl_tcp < <(set_ctl_h2 "tcp:$CTL_ADDR:$SSL_PORT")
mapfile -t ctl_ssl < <(set_ctl_h2 "ssl:$CTL_ADDR:$SSL_PORT")

# 1. A certificate that the switch CA did not sign.
pat='closing connection: TLS handshake failed: certificate verify failed'
n=$(h2_log_count "$pat")
h2_restart "set-ssl $PKI/rogue/hv-host02-privkey.pem $PKI/rogue/hv-host02-cert.pem $PKI/pki/controllerca/cacert.pem"
t_check "a certificate from another CA is refused in the handshake (logged)" \
    wait_until 40 h2_refused_since "$n" "$pat"
grep -E "ssl:172\.31\.2\.2:[0-9]+: $pat" "$FCD_LOG" | tail -1 | sed 's/^/    log: /'
t_check "and hv-host02's bridges hold no flowchain flow" h2_no_flows "${h2_all[@]}"

# 2. Plain TCP (an OpenFlow HELLO) on the ssl: port.
pat='closing connection: TLS handshake failed: .*does not speak TLS'
n=$(h2_log_count "$pat")
h2_restart "set-ssl $PKI/hv-host02-privkey.pem $PKI/hv-host02-cert.pem $PKI/pki/controllerca/cacert.pem" "${ctl_tcp[@]}"
t_check "plain TCP on the ssl: port is refused (logged)" \
    wait_until 40 h2_refused_since "$n" "$pat"
grep -E "ssl:172\.31\.2\.2:[0-9]+: $pat" "$FCD_LOG" | tail -1 | sed 's/^/    log: /'
t_check "and hv-host02's bridges hold no flowchain flow" h2_no_flows "${h2_all[@]}"

# 3. hv-host01's (valid) certificate on hv-host02: it may not claim
# hv-host02's bridges.
pat='closing connection: refused: certificate "hv-host01 id:[^"]*" is for host hv-host01 and cannot claim datapath 0000000000000203 \(hv-host02/br-guest\)'
n=$(h2_log_count "$pat")
h2_restart "set-ssl $PKI/hv-host01-privkey.pem $PKI/hv-host01-cert.pem $PKI/pki/controllerca/cacert.pem" "${ctl_ssl[@]}"
t_check "a certificate for host A claiming host B's bridge is refused, naming both" \
    wait_until 40 h2_refused_since "$n" "$pat"
grep -E "ssl:172\.31\.2\.2:[0-9]+: $pat" "$FCD_LOG" | tail -1 | sed 's/^/    log: /'
t_check "and hv-host02's bridges hold no flowchain flow" h2_no_flows "${h2_all[@]}"
t_check "hv-host01's own sessions were not disturbed" \
    eval '[ "$(fcctl status --ports | grep -A1 "^switch 00000000000001" | grep "peer:" |
              sed "s/, connected.*//" | sort)" = "$h1_peers" ]'

# 4. A certificate for one datapath (hv-host02/br-guest): that bridge is
# served, its host's other bridges are not.
pat='closing connection: refused: certificate "0000000000000203 id:[^"]*" is for datapath 0000000000000203 and cannot claim datapath 0000000000000201 \(hv-host02/br-mgmt\)'
n=$(h2_log_count "$pat")
h2_restart "set-ssl $PKI/0000000000000203-privkey.pem $PKI/0000000000000203-cert.pem $PKI/pki/controllerca/cacert.pem"
t_check "a datapath certificate claiming another bridge is refused, naming both" \
    wait_until 40 h2_refused_since "$n" "$pat"
grep -E "ssl:172\.31\.2\.2:[0-9]+: $pat" "$FCD_LOG" | tail -1 | sed 's/^/    log: /'
guest_synced() {
    fcctl status | grep -A3 "^switch 0000000000000203: host hv-host02 bridge br-guest" |
        grep -q "sync: in sync"
}
t_check "while the bridge it names syncs" wait_until 40 guest_synced
t_check "and the refused bridges hold no flowchain flow" \
    eval '[ "$(n_fc hv-host02 br-mgmt)" -eq 0 ] && [ "$(n_fc hv-host02 br-lm)" -eq 0 ]'
t_check "vm101-2 (hv-host02/br-guest) reaches vm101-1 again" \
    wait_until 20 ping_ok vm101-2 10.8.101.1

# Back to its own certificate: every bridge syncs again.
h2_restart "set-ssl $PKI/hv-host02-privkey.pem $PKI/hv-host02-cert.pem $PKI/pki/controllerca/cacert.pem"
t_check "with its own certificate again, hv-host02 syncs all its bridges" \
    wait_until 60 fcd_all_in_sync 6

fcd_stop; rc=$?
t_check "flowchaind exits cleanly on SIGTERM (status $rc)" [ "$rc" -eq 0 ]
t_check "no sanitizer report from flowchaind" \
    not grep -q "Sanitizer" "$LAB_DIR/flowchaind.stderr"
t_done
