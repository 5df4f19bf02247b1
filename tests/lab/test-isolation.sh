#!/bin/bash
# The SCVMM example on two hosts: VMs on one VM network reach each other
# across hosts and their gateway; different VLANs do not meet; live
# migration adapters talk over their own bridge and bond only; VMs cannot
# reach host adapters; with the controller gone, isolation holds
# (fail_mode=secure).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/examples/scvmm-logical-switch.json
fcd_lab "$INTENT"

t_check "vm101-1 reaches vm101-2 on the other host" ping_ok vm101-1 10.8.101.2
t_check "vm101-1 reaches its gateway 10.8.101.254" ping_ok vm101-1 10.8.101.254
t_check "vm101-1 cannot reach vm102-1 (other VLAN)" ping_fails vm101-1 10.8.102.1
t_check "vm102-1 reaches its gateway 10.8.102.254" ping_ok vm102-1 10.8.102.254
t_check "vm102-1 cannot reach vm101-2" ping_fails vm102-1 10.8.101.2

# A VM that puts itself in another VLAN's subnet still gets nowhere: the
# switch, not the VM's routing table, keeps it out.
lab_exec vm101-1 ip addr add 10.8.102.50/24 dev eth0
t_check "vm101-1 with an address in 10.8.102.0/24 cannot reach vm102-1" \
    ping_fails vm101-1 10.8.102.1
lab_exec vm101-1 ip addr del 10.8.102.50/24 dev eth0

# Live migration: adapter to adapter over br-lm and its bond only.
lm1=hv-host01/LiveMigration
t_check "live-migration adapters reach each other" ping_ok "$lm1" 10.8.11.2
counts() {   # HOST BRIDGE PORT...: rx+tx packets of those ports, live
    local host=$1 br=$2 total=0 p n; shift 2
    for p in "$@"; do
        n=$(lab_ovs "$host" ovs-ofctl -O OpenFlow13 dump-ports "$br" "$p" \
            | grep -oE '(rx|tx) pkts=[0-9]+' | grep -oE '[0-9]+' \
            | awk '{s+=$1} END {print s+0}')
        total=$((total + n))
    done
    echo "$total"
}
lm_before=$(counts hv-host01 br-lm Ethernet5 Ethernet6)
guest_before=$(counts hv-host01 br-guest Ethernet3 Ethernet4)
mgmt_before=$(counts hv-host01 br-mgmt Ethernet1 Ethernet2)
lab_exec "$lm1" ping -q -c 50 -i 0.02 -W 1 10.8.11.2 >/dev/null 2>&1
lm_after=$(counts hv-host01 br-lm Ethernet5 Ethernet6)
guest_after=$(counts hv-host01 br-guest Ethernet3 Ethernet4)
mgmt_after=$(counts hv-host01 br-mgmt Ethernet1 Ethernet2)
echo "    uplink packets during 50 pings: lm +$((lm_after - lm_before))," \
     "guest +$((guest_after - guest_before)), mgmt +$((mgmt_after - mgmt_before))"
t_check "the live-migration pings crossed br-lm's bond (>= 100 packets)" \
    [ $((lm_after - lm_before)) -ge 100 ]
t_check "and not the guest or management bonds (< 20 packets)" \
    [ $((guest_after - guest_before + mgmt_after - mgmt_before)) -lt 20 ]
trace=$(lab_trace hv-host01 br-lm "in_port=lm0,dl_src=02:00:0a:08:0b:01,dl_dst=02:00:0a:08:0b:02,dl_type=0x0800,nw_src=10.8.11.1,nw_dst=10.8.11.2,nw_proto=1")
t_check "ofproto/trace: lm0 to the remote adapter leaves through Ethernet5" \
    grep -qE "output:(1|Ethernet5)\b|-> output to kernel|Ethernet5" <<<"$trace"

lab_exec vm101-1 ip addr add 10.8.11.50/24 dev eth0
t_check "a VM cannot reach a live-migration adapter" ping_fails vm101-1 10.8.11.1
lab_exec vm101-1 ip addr del 10.8.11.50/24 dev eth0
lab_exec vm101-1 ip addr add 10.8.10.50/24 dev eth0
t_check "a VM cannot reach a management adapter" \
    ping_fails vm101-1 10.8.10.11
lab_exec vm101-1 ip addr del 10.8.10.50/24 dev eth0

# Ports are bound by name: when a VM's tap disappears its flows go, when it
# comes back they return (selected on the switch by the VM's cookie).
vm_flows=$(fcctl flows --vm vm101-1)
n_vm=$(grep -c '^table=' <<<"$vm_flows")
vm_cookie=$(grep -m1 -oE 'cookie=0x[0-9a-f]+' <<<"$vm_flows" | cut -d= -f2)
on_switch() {
    lab_ovs hv-host01 ovs-ofctl -O OpenFlow13 dump-flows br-guest \
        "cookie=$vm_cookie/0xffffffffffffff00" | grep -c "cookie="
}
t_check "vm101-1's $n_vm flows are on br-guest (cookie $vm_cookie)" \
    eval '[ "$n_vm" -gt 0 ] && [ "$(on_switch)" -eq "$n_vm" ]'
lab_ovs hv-host01 ovs-vsctl del-port br-guest tap0
t_check "vm101-1's tap removed: its flows go" \
    wait_until 10 eval '[ "$(on_switch)" -eq 0 ]'
t_check "and vm101-1 reaches nothing" ping_fails vm101-1 10.8.101.2
lab_ovs hv-host01 ovs-vsctl add-port br-guest tap0
t_check "vm101-1's tap back: its flows return" \
    wait_until 10 eval '[ "$(on_switch)" -eq "$n_vm" ]'
t_check "and vm101-1 reaches vm101-2 again" \
    wait_until 10 ping_ok vm101-1 10.8.101.2

# Fail secure: the controller is gone; flows stay and so does isolation.
fcd_stop
t_check "controller stopped: same-VLAN traffic still flows" \
    ping_ok vm101-1 10.8.101.2
t_check "controller stopped: cross-VLAN still blocked" \
    ping_fails vm101-1 10.8.102.1
t_check "controller stopped: bridges are fail_mode=secure" \
    [ "$(lab_ovs hv-host01 ovs-vsctl get-fail-mode br-guest)" = secure ]
t_done
