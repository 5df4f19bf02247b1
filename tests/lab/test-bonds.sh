#!/bin/bash
# Bonded uplinks with real link failures.  Active-backup (br-lm): losing
# the active member during `ping -i 0.1` costs at most a handful of packets.
# Balance-slb (br-guest): two VMs leave through different members, and a
# member loss moves its VMs to the surviving one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/examples/scvmm-logical-switch.json
fcd_lab "$INTENT"

phys_port() {   # HOST BRIDGE MEMBER: the physical switch's end of the link
    lab_get "hosts.$1.bridges.$2.uplink.members.$3.phys_port"
}
tx_pkts() {     # HOST BRIDGE PORT: packets the bridge sent out of PORT
    lab_ovs "$1" ovs-ofctl -O OpenFlow13 dump-ports "$2" "$3" \
        | sed -nE 's/.*tx pkts=([0-9]+).*/\1/p'
}
link() {        # HOST BRIDGE MEMBER up|down: cut or restore the cable
    lab_exec phys ip link set "$(phys_port "$1" "$2" "$3")" "$4"
}
member_live() { # HOST BRIDGE MEMBER up|down: the status shows it so
    fcctl status --ports | awk -v h="$1" -v b="$2" '
        /^switch/ {cur = ($0 ~ "host " h " bridge " b "$")}
        cur' | grep -qE "^    [0-9]+ $3 $4\$"
}

# Active-backup on br-lm: primary Ethernet5 carries the traffic.
lm1=hv-host01/LiveMigration
t_check "live-migration adapters reach each other" ping_ok "$lm1" 10.8.11.2
e5=$(tx_pkts hv-host01 br-lm Ethernet5) e6=$(tx_pkts hv-host01 br-lm Ethernet6)
lab_exec "$lm1" ping -q -c 20 -i 0.02 10.8.11.2 >/dev/null
t_check "active-backup: the primary Ethernet5 carries the traffic" \
    eval '[ $(( $(tx_pkts hv-host01 br-lm Ethernet5) - e5 )) -ge 20 ] &&
          [ $(( $(tx_pkts hv-host01 br-lm Ethernet6) - e6 )) -lt 5 ]'

lab_exec "$lm1" ping -n -i 0.1 -c 60 -W 1 10.8.11.2 >"$LAB_DIR/ping-ab" 2>&1 &
ping_pid=$!
sleep 2
link hv-host01 br-lm Ethernet5 down
wait $ping_pid
read -r sent got < <(ping_counts "$LAB_DIR/ping-ab")
echo "    ping -i 0.1 while Ethernet5 went down: $got of $sent answered"
t_check "losing the active member costs at most 5 packets ($((sent - got)) lost)" \
    eval '[ "$sent" -gt 0 ] && [ $((sent - got)) -le 5 ]'
t_check "the controller saw Ethernet5 go down" \
    wait_until 10 member_live hv-host01 br-lm Ethernet5 down
e6=$(tx_pkts hv-host01 br-lm Ethernet6)
lab_exec "$lm1" ping -q -c 20 -i 0.02 10.8.11.2 >/dev/null
t_check "traffic now leaves through Ethernet6" \
    [ $(( $(tx_pkts hv-host01 br-lm Ethernet6) - e6 )) -ge 20 ]
link hv-host01 br-lm Ethernet5 up
t_check "Ethernet5 back: the controller sees it" \
    wait_until 10 member_live hv-host01 br-lm Ethernet5 up
t_check "and the adapters still talk" wait_until 10 ping_ok "$lm1" 10.8.11.2

# Balance-slb on br-guest: vm101-1 and vm102-1 are pinned to members.
which_member() {  # VM GATEWAY: the member that carries VM's traffic
    local e3 e4 d3 d4
    e3=$(tx_pkts hv-host01 br-guest Ethernet3) e4=$(tx_pkts hv-host01 br-guest Ethernet4)
    lab_exec "$1" ping -q -c 30 -i 0.02 "$2" >/dev/null
    d3=$(( $(tx_pkts hv-host01 br-guest Ethernet3) - e3 ))
    d4=$(( $(tx_pkts hv-host01 br-guest Ethernet4) - e4 ))
    if [ $d3 -ge 30 ] && [ $d4 -lt 5 ]; then echo Ethernet3
    elif [ $d4 -ge 30 ] && [ $d3 -lt 5 ]; then echo Ethernet4
    else echo "split($d3/$d4)"; fi
}
m1=$(which_member vm101-1 10.8.101.254)
m2=$(which_member vm102-1 10.8.102.254)
echo "    balance-slb pins: vm101-1 -> $m1, vm102-1 -> $m2"
t_check "balance-slb: each VM leaves through one member" \
    eval '[[ $m1 == Ethernet* && $m2 == Ethernet* ]]'
t_check "balance-slb: the two VMs use different members" [ "$m1" != "$m2" ]

link hv-host01 br-guest "$m1" down
t_check "the controller saw $m1 go down" \
    wait_until 10 member_live hv-host01 br-guest "$m1" down
t_check "vm101-1 survives the loss of its member (gateway)" \
    wait_until 10 ping_ok vm101-1 10.8.101.254
t_check "vm101-1 survives the loss of its member (vm101-2)" \
    ping_ok vm101-1 10.8.101.2
t_check "vm101-1 now leaves through $m2" \
    [ "$(which_member vm101-1 10.8.101.254)" = "$m2" ]
t_check "vm102-1 is undisturbed" ping_ok vm102-1 10.8.102.254
link hv-host01 br-guest "$m1" up
t_check "$m1 back: vm101-1 returns to it" \
    wait_until 10 eval '[ "$(which_member vm101-1 10.8.101.254)" = "$m1" ]'
t_done
