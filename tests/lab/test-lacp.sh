#!/bin/bash
# LACP uplinks against a real partner: the lab's physical switch bonds the
# two ends of h1/br0's uplink with Open vSwitch's own LACP (lab.py
# --phys-lacp: lacp=active, bond_mode=balance-tcp; it asks flowchain for
# the slow rate, flowchain asks it for fast ("lacp_rate": "fast")).
# Checks: negotiation on both sides; 16 TCP flows spread over both members;
# a controller kill -9 + restart loses no ping (ping -i 0.05); a member cut
# moves its traffic and pings go on; a partner member with another key is
# left unselected; a partner without LACP gives the active-backup fallback,
# and pings work, or, with "lacp_fallback": "none", nothing is forwarded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

# The daemon's intent file is a copy: "apply" rewrites it.
CDIR=$(mktemp -d /tmp/fclacp.XXXXXX)
LAB_CLEANUP=$CDIR
INTENT=$CDIR/intent.json
cp "$LAB_HOME/lacp-intent.json" "$INTENT"
GW=10.77.10.254
MPORT=$(fcd_free_port)
LAB_UP_OPTS=--phys-lacp fcd_lab "$INTENT" --metrics "tcp:$MPORT"
PBOND=$(lab_get hosts.h1.bridges.br0.uplink.phys_bond)

phys_port() {   # MEMBER: the physical switch's end of the link
    lab_get "hosts.h1.bridges.br0.uplink.members.$1.phys_port"
}
tx_pkts() {     # MEMBER: packets br0 sent out of MEMBER
    lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-ports br0 "$1" \
        | sed -nE 's/.*tx pkts=([0-9]+).*/\1/p'
}
lacp_status() { # the LACP lines of flowchainctl status
    fcctl status | sed -n '/^  lacp /,/^[^ ]/p'
}
member_is() {   # MEMBER REGEX: the member's status line matches REGEX
    lacp_status | grep -E "^    member $1 \(port [0-9]+\): " | grep -qE "$2"
}
# metric NAME{LABELS}: the sample's value in a scrape of --metrics.
metric() {
    curl -sS --max-time 5 "http://127.0.0.1:$MPORT/metrics" \
        | awk -v k="$1" 'index($0, k " ") == 1 {print $2}'
}
# lacp_metric MEMBER STATE: the member's flowchain_bond_member_lacp_state.
lacp_metric() {
    metric "flowchain_bond_member_lacp_state{host=\"h1\",bridge=\"br0\",bond=\"br0-up\",member=\"$1\",state=\"$2\"}"
}
dist_metric() { # MEMBER: its flowchain_bond_member_lacp_distributing
    metric "flowchain_bond_member_lacp_distributing{host=\"h1\",bridge=\"br0\",bond=\"br0-up\",member=\"$1\"}"
}
phys_show() {
    lab_ovs phys ovs-appctl lacp/show "$PBOND"
}
# phys_member_ok MEMBER: the partner side sees its end of MEMBER current,
# attached, and our actor (its partner) in sync, collecting, distributing.
phys_member_ok() {
    phys_show | awk -v m="$(phys_port "$1")" '
        /^member: / {cur = ($2 == m ":")}
        cur && /current attached/ {a = 1}
        cur && /partner state:.*synchronized collecting distributing/ {p = 1}
        END {exit !(a && p)}'
}

# --- Negotiation.
t_check "partner (the lab switch's OVS) negotiated LACP" \
    wait_until 15 eval 'phys_show | grep -q "status: active negotiated"'
t_check "partner: up0's end current, attached, we are in sync" \
    wait_until 15 phys_member_ok up0
t_check "partner: up1's end current, attached, we are in sync" \
    wait_until 15 phys_member_ok up1
t_check "flowchainctl: up0 selected, collecting+distributing" \
    wait_until 15 member_is up0 \
    "partner current, selected, collecting\+distributing"
t_check "flowchainctl: up1 selected, collecting+distributing" \
    wait_until 15 member_is up1 \
    "partner current, selected, collecting\+distributing"
t_check "flowchainctl: the bond is negotiated, not in fallback" \
    eval 'lacp_status | grep -q "^  lacp br0-up: .*, negotiated;"'
lacp_status | sed 's/^/    /'
t_check "flowchainctl: partner state and system shown" \
    eval 'lacp_status | grep -qE "partner [0-9]+/[0-9a-f:]{17} key [0-9]+ port [0-9]+ state ACT,AGG,SYNC,COL,DIST"'
t_check "status --ports and status --bridge br0 show the LACP lines too" \
    eval '[ "$(fcctl status --ports | grep -c "^    member up[01] (port")" = 2 ] &&
          [ "$(fcctl status --bridge br0 | grep -c "^    member up[01] (port")" = 2 ]'
t_check "metrics: up0 and up1 current and distributing, LACPDUs counted" \
    eval '[ "$(lacp_metric up0 current)" = 1 ] && [ "$(lacp_metric up1 current)" = 1 ] &&
          [ "$(lacp_metric up0 defaulted)" = 0 ] &&
          [ "$(dist_metric up0)" = 1 ] && [ "$(dist_metric up1)" = 1 ] &&
          [ "$(metric "flowchain_bond_member_lacpdus_total{host=\"h1\",bridge=\"br0\",bond=\"br0-up\",member=\"up0\",direction=\"rx\"}")" -gt 0 ] &&
          [ "$(metric "flowchain_bond_member_lacpdus_total{host=\"h1\",bridge=\"br0\",bond=\"br0-up\",member=\"up1\",direction=\"tx\"}")" -gt 0 ]'
t_check "diagram: the bond negotiated, up0 and up1 distributing" \
    eval 'fcctl diagram > "$LAB_DIR/lacp.dot" &&
          grep -q "LACP: negotiated" "$LAB_DIR/lacp.dot" &&
          [ "$(grep -c "LACP partner current, distributing" "$LAB_DIR/lacp.dot")" = 2 ]'
t_check "the uplink group is a select group over both members" \
    eval 'lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-groups br0 | grep -q "type=select.*bucket.*output:1.*bucket.*output:2"'
t_check "vm1 reaches the gateway over the LACP bond" wait_until 10 ping_ok vm1 "$GW"
t_check "vm2 reaches the gateway over the LACP bond" wait_until 10 ping_ok vm2 "$GW"

# --- Load sharing: 16 TCP flows (iperf3 -P 16; with 8, all on one member
# would happen once in 128 runs) from vm1 to the router.
lab_spawn lab_exec router iperf3 -s -B "$GW" -p 5201
sleep 0.5
a0=$(tx_pkts up0) a1=$(tx_pkts up1)
lab_exec vm1 iperf3 -c "$GW" -p 5201 -P 16 -t 3 -b 5M >"$LAB_DIR/iperf" 2>&1
d0=$(( $(tx_pkts up0) - a0 )) d1=$(( $(tx_pkts up1) - a1 ))
echo "    iperf3 -P 16: up0 sent $d0 packets, up1 $d1"
t_check "iperf3 -P 16 ran" grep -q "SUM.*sender" "$LAB_DIR/iperf"
t_check "16 TCP flows use both members (each >= 10% of $((d0 + d1)) packets)" \
    eval '[ $((d0 + d1)) -gt 1000 ] && [ $((d0 * 10)) -ge $((d0 + d1)) ] &&
          [ $((d1 * 10)) -ge $((d0 + d1)) ]'

# --- Controller kill -9 and restart under ping -i 0.05: nothing lost.
lab_exec vm1 ping -n -i 0.05 -c 120 -W 1 "$GW" >"$LAB_DIR/ping-restart" 2>&1 &
ping_pid=$!
sleep 1
kill -KILL "$FCD_PID"
wait "$FCD_PID" 2>/dev/null
FCD_PID=
sleep 0.5
FCD_LOG=$LAB_DIR/flowchaind-2.log
fcd_start "$INTENT" --metrics "tcp:$MPORT"
wait $ping_pid
read -r sent got < <(ping_counts "$LAB_DIR/ping-restart")
echo "    ping -i 0.05 across the controller restart: $got of $sent"
t_check "no ping lost across kill -9 + restart ($got/$sent)" \
    eval '[ "$sent" -gt 100 ] && [ "$sent" = "$got" ]'
t_check "the restarted controller never fell back" \
    not grep -q "fallback" "$LAB_DIR/flowchaind.log"
t_check "after the restart: up0 and up1 collecting+distributing (partner heard)" \
    wait_until 10 eval 'member_is up0 "partner current, selected, collecting\+distributing" &&
                        member_is up1 "partner current, selected, collecting\+distributing"'
t_check "the partner kept both members attached" \
    eval 'phys_member_ok up0 && phys_member_ok up1'

# --- Cut up0 on the switch side: its traffic moves to up1, pings go on.
lab_exec vm1 ping -n -i 0.1 -c 60 -W 1 "$GW" >"$LAB_DIR/ping-cut" 2>&1 &
ping_pid=$!
sleep 2
lab_exec phys ip link set "$(phys_port up0)" down
wait $ping_pid
read -r sent got < <(ping_counts "$LAB_DIR/ping-cut")
echo "    ping -i 0.1 while up0 was cut: $got of $sent"
t_check "cutting up0 costs at most 10 pings ($((sent - got)) lost)" \
    eval '[ "$sent" -gt 0 ] && [ $((sent - got)) -le 10 ]'
t_check "flowchainctl: up0 down, not forwarding" \
    wait_until 10 member_is up0 "link down, .*not forwarding"
t_check "the select group has only up1's bucket" \
    eval 'lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-groups br0 | grep "type=select" | grep -q "output:2" &&
          ! lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-groups br0 | grep -q "output:1"'
a1=$(tx_pkts up1)
lab_exec vm1 iperf3 -c "$GW" -p 5201 -P 16 -t 2 -b 5M >/dev/null 2>&1
d1=$(( $(tx_pkts up1) - a1 ))
t_check "all 16 flows now leave through up1 ($d1 packets)" [ "$d1" -gt 1000 ]
lab_exec phys ip link set "$(phys_port up0)" up
t_check "up0 back: collecting+distributing again" \
    wait_until 15 member_is up0 "partner current, selected, collecting\+distributing"
t_check "vm1 still reaches the gateway" wait_until 10 ping_ok vm1 "$GW"

# --- A partner member with another key is not selected.  (One OVS bond
# has one aggregation key, and a single-port LACP port is individual, not
# aggregatable: so the switch's ends become two bonds, each with a second
# internal port that has no partner, keys 10 and 77; same system ID, the
# bridge's.)
p0=$(phys_port up0) p1=$(phys_port up1)
lab_ovs phys ovs-vsctl del-port sw0 "$PBOND" \
    -- add-bond sw0 lag10 "$p0" lag10-d lacp=active \
    -- set interface lag10-d type=internal \
    -- set interface "$p0" other_config:lacp-aggregation-key=10 \
    -- set interface lag10-d other_config:lacp-aggregation-key=10 \
    -- add-bond sw0 lag77 "$p1" lag77-d lacp=active \
    -- set interface lag77-d type=internal \
    -- set interface "$p1" other_config:lacp-aggregation-key=77 \
    -- set interface lag77-d other_config:lacp-aggregation-key=77
t_check "up1's partner key 77 differs from up0's (10): up1 unselected" \
    wait_until 15 member_is up1 "partner current, unselected, not forwarding"
t_check "diagram: up1 drawn up but not in the aggregate" \
    eval 'fcctl diagram | grep -q "class=\"member up not-aggregated\", label=\"member up1"'
t_check "its partner key is shown" \
    eval 'lacp_status | grep -A1 "member up1 " | grep -q " key 77 "'
t_check "up0 (partner key 10) selected, collecting+distributing" \
    wait_until 15 member_is up0 "partner current, selected, collecting\+distributing"
t_check "the select group has only up0's bucket" \
    eval 'lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-groups br0 | grep "type=select" | grep -q "output:1" &&
          ! lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-groups br0 | grep -q "output:2"'
t_check "vm1 still reaches the gateway" wait_until 10 ping_ok vm1 "$GW"
lab_ovs phys ovs-vsctl set interface "$p1" other_config:lacp-aggregation-key=10 \
    -- set interface lag77-d other_config:lacp-aggregation-key=10
t_check "same key again: up1 selected again" \
    wait_until 15 member_is up1 "partner current, selected, collecting\+distributing"

# --- A partner without LACP: the switch's ends become plain ports.  The
# partner times out (3 s, fast), then active-backup.
lab_ovs phys ovs-vsctl del-port sw0 lag10 -- del-port sw0 lag77 \
    -- add-port sw0 "$p0" -- add-port sw0 "$p1"
t_check "no partner: flowchainctl shows the fallback" \
    wait_until 15 eval 'lacp_status | grep -q "^  lacp br0-up: .*FALLBACK (no partner)"'
t_check "members defaulted" \
    wait_until 10 eval 'member_is up0 "partner defaulted" && member_is up1 "partner defaulted"'
t_check "diagram: the bond in fallback" \
    eval 'fcctl diagram | grep -q "LACP: no partner, fallback"'
t_check "metrics: up0 and up1 defaulted, not current" \
    eval '[ "$(lacp_metric up0 defaulted)" = 1 ] && [ "$(lacp_metric up1 defaulted)" = 1 ] &&
          [ "$(lacp_metric up1 current)" = 0 ]'
t_check "the uplink group is fast-failover (active-backup)" \
    eval 'lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-groups br0 | grep -q "type=ff"'
t_check "the controller logged the fallback" \
    grep -q "LACP bond br0-up has no partner: fallback" "$LAB_DIR/flowchaind.log"
t_check "fallback: vm1 reaches the gateway" wait_until 10 ping_ok vm1 "$GW"
t_check "fallback: vm2 reaches the gateway" wait_until 10 ping_ok vm2 "$GW"
a0=$(tx_pkts up0) a1=$(tx_pkts up1)
lab_exec vm1 ping -q -c 20 -i 0.02 "$GW" >/dev/null
t_check "fallback: the first member up0 carries the traffic" \
    eval '[ $(( $(tx_pkts up0) - a0 )) -ge 20 ] && [ $(( $(tx_pkts up1) - a1 )) -lt 5 ]'

# --- "lacp_fallback": "none": without a partner nothing is forwarded; a
# partner that comes back aggregates again.
/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["hosts"][0]["bridges"][0]["uplink"]["lacp_fallback"] = "none"
json.dump(d, open(sys.argv[2], "w"))' "$INTENT" "$CDIR/none.json"
t_check "apply \"lacp_fallback\": \"none\"" fcctl apply "$CDIR/none.json"
t_check "fallback none: the select group has no bucket" \
    wait_until 10 eval 'lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-groups br0 | grep "group_id=1," | grep "type=select" | grep -qv bucket'
t_check "fallback none: vm1 no longer reaches the gateway" \
    wait_until 10 ping_fails vm1 "$GW"
lab_ovs phys ovs-vsctl del-port sw0 "$p0" -- del-port sw0 "$p1" \
    -- add-bond sw0 "$PBOND" "$p0" "$p1" lacp=active bond_mode=balance-tcp
t_check "the partner is back: both members collecting+distributing" \
    wait_until 15 eval 'member_is up0 "partner current, selected, collecting\+distributing" &&
                        member_is up1 "partner current, selected, collecting\+distributing"'
t_check "and vm1 reaches the gateway again" wait_until 10 ping_ok vm1 "$GW"
t_done
