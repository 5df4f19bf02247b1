#!/bin/bash
# Self-test of the lab, without the flowchain controller: builds
# tests/lab/wiring-intent.json (two hosts, one bridge each with a 2-member
# uplink, an untagged network and two VLANs, 3 VMs, 2 host adapters, a gateway
# per network), checks the bridge configuration, proves the wiring with a
# temporary explicit flow set (VLAN push/pop over the first uplink member
# only, so the two members cannot form a loop through the physical switch),
# then removes the flows and shows that nothing is forwarded any more
# (fail_mode=secure, no controller).  Finally it tears the lab down and
# checks that nothing is left behind.

T_PROG=test-lab-wiring
. "$(dirname "$0")/lib.sh"
INTENT="$LAB_HOME/wiring-intent.json"

# Flows for HOST's bridges derived from lab.json: every VM/adapter port is an
# access port of its NIC's VLAN; frames leave and arrive on the first uplink
# member, tagged (VLAN 0 = untagged).
flows_for() {
    "$LAB_PYTHON" - "$LAB_DIR/lab.json" "$1" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
host = sys.argv[2]
for bname, b in st["hosts"][host]["bridges"].items():
    up = list(b["uplink"]["members"])[0]
    ports = {}
    for kind in ("vms", "adapters"):
        for e in st[kind].values():
            for n in e["nics"]:
                if e["host"] == host and n["bridge"] == bname:
                    ports.setdefault(n["vlan"], []).append(n["port"])
    for vlan, ps in sorted(ports.items()):
        for p in ps:
            loc = "".join("output:%s," % q for q in ps if q != p)
            tag = ("push_vlan:0x8100,set_field:%d->vlan_vid," % (4096 + vlan)
                   if vlan else "")
            print("priority=100,in_port=%s actions=%s%soutput:%s"
                  % (p, loc, tag, up))
        outs = ",".join("output:%s" % q for q in ps)
        if vlan:
            print("priority=100,in_port=%s,dl_vlan=%d actions=pop_vlan,%s"
                  % (up, vlan, outs))
        else:
            print("priority=100,in_port=%s,vlan_tci=0x0000/0x1000 actions=%s"
                  % (up, outs))
EOF
}

# Accepts one connection on unix socket $1 and prints the first byte
# (the OpenFlow version of the switch's HELLO) in hex; gives up after 20 s
# (ovs-vswitchd 3.1 retries a never-connected controller after 1, 2, 4, 8 s
# whatever max_backoff says).
of_listen_once() {
    "$LAB_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(4); s.settimeout(20)
c, _ = s.accept(); c.settimeout(5)
print("%02x" % c.recv(8)[0])' "$1"
}

tcp_ok() {  # tcp_ok FROM TO-NAME TO-IP: a line crosses by TCP
    local out="$LAB_DIR/nc.$$" got
    lab_exec "$2" timeout 5 nc -l 5001 >"$out" &
    local pid=$!
    sleep 0.3
    echo "tcp-through-the-lab" | lab_exec "$1" timeout 4 nc -N -w 2 "$3" 5001
    wait "$pid"
    got=$(cat "$out")
    [ "$got" = "tcp-through-the-lab" ]
}

all_hosts="hv-host01 hv-host02"

# --- up, with a controller target in LAB_DIR that nobody listens on yet.
t0=$(date +%s%N)
if lab_up "$INTENT" "unix:@LAB_DIR@/of.sock"; then
    t_pass "lab up ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else
    t_fail "lab up"
    exit 1
fi
OF_SOCK="$LAB_DIR/of.sock"

# --- configuration of every host bridge.
for h in $all_hosts; do
    dpid=$(lab_get "hosts.$h.bridges.br0.datapath_id")
    t_check "$h datapath-id is $dpid" \
        sh -c "$LAB_PYTHON $LAB_PY ovs $h ovs-ofctl -O OpenFlow13 show br0 | grep -q 'dpid:$dpid'"
    t_check "$h protocols=OpenFlow13" \
        test "$(lab_ovs "$h" ovs-vsctl get bridge br0 protocols)" = '[OpenFlow13]'
    t_check "$h refuses OpenFlow 1.0" \
        sh -c "! $LAB_PYTHON $LAB_PY ovs $h ovs-ofctl -O OpenFlow10 show br0 >/dev/null 2>&1"
    t_check "$h fail_mode=secure" \
        test "$(lab_ovs "$h" ovs-vsctl get bridge br0 fail_mode)" = secure
    t_check "$h datapath_type=netdev" \
        test "$(lab_ovs "$h" ovs-vsctl get bridge br0 datapath_type)" = netdev
    # ovs-vswitchd connects only to unix sockets in its run directory: the
    # lab links <host dir>/controller.sock -> the requested socket.
    hd=$(lab_get "hosts.$h.dir")
    t_check "$h controller $hd/controller.sock -> \$LAB_DIR/of.sock" \
        test "$(readlink "$hd/controller.sock")" = "$OF_SOCK"
    t_check "$h controller out-of-band, max_backoff=1000" \
        test "$(lab_ovs "$h" ovs-vsctl get controller br0 target connection_mode max_backoff | tr '\n' ' ')" = "\"unix:$hd/controller.sock\" out-of-band 1000 "
    ports=$(lab_ovs "$h" ovs-vsctl list-ports br0 | sort | tr '\n' ' ')
    want=$(lab_get "hosts.$h.bridges.br0.ports" | "$LAB_PYTHON" -c \
        'import json,sys; print(" ".join(sorted(json.load(sys.stdin))) + " ")')
    t_check "$h ports are [$ports]" test "$ports" = "$want"
    t_check "$h ovs-appctl reaches its own vswitchd" \
        sh -c "$LAB_PYTHON $LAB_PY ovs $h ovs-appctl version | grep -q 'Open vSwitch'"
done
# The physical switch trunks: host-facing ports untagged, router ports tagged.
t_check "phys: router link of vlan101 is an access port of VLAN 101" \
    test "$(lab_ovs phys ovs-vsctl get port r101 tag)" = 101
t_check "phys: host-facing ports are trunks (no tag)" \
    test "$(lab_ovs phys ovs-vsctl get port h1-eth3 tag)" = "[]"
t_check "router: ip_forward is 0" \
    test "$(lab_exec router cat /proc/sys/net/ipv4/ip_forward)" = 0

# --- a switch reaches a controller on a unix socket of the root namespace.
ver=$(of_listen_once "$OF_SOCK" 2>&1)
t_check "a switch connects to unix:\$LAB_DIR/of.sock with an OpenFlow 1.3 HELLO (got $ver)" \
    test "$ver" = 04
rm -f "$OF_SOCK"

# --- no flows: nothing crosses (fail_mode=secure, controller gone).
t_check "no flows: vm101-1 cannot reach vm101-2" ping_fails vm101-1 10.9.101.2
t_check "no flows: vm101-1 cannot reach its gateway" ping_fails vm101-1 10.9.101.254

# --- temporary explicit flows.
for h in $all_hosts; do
    flows_for "$h" > "$LAB_DIR/$h.flows"
    t_check "$h: flows installed ($(wc -l < "$LAB_DIR/$h.flows"))" \
        lab_ovs "$h" ovs-ofctl -O OpenFlow13 --bundle add-flows br0 "$LAB_DIR/$h.flows"
done
t_check "vm101-1 (host01) pings vm101-2 (host02), VLAN 101 over the trunk" \
    ping_ok vm101-1 10.9.101.2
t_check "vm101-1 pings its gateway 10.9.101.254" ping_ok vm101-1 10.9.101.254
t_check "vm102-1 pings its gateway 10.9.102.254" ping_ok vm102-1 10.9.102.254
t_check "mgmt adapters ping each other on the untagged network" \
    ping_ok hv-host01/mgmt 10.9.0.12
t_check "mgmt adapter pings the untagged gateway" ping_ok hv-host02/mgmt 10.9.0.254
t_check "VLANs are isolated: vm102-1 cannot reach vm101-1" \
    ping_fails vm102-1 10.9.101.1
t_check "router answers only on its own link: vm101-1 cannot reach gw 10.9.102.254" \
    ping_fails vm101-1 10.9.102.254
t_check "TCP crosses the userspace datapath (checksum offload off)" \
    tcp_ok vm101-1 vm101-2 10.9.101.2
t_check "matrix: seen = expected with the VLAN flows" lab matrix --dir "$LAB_DIR"

# --- remove the flows: nothing crosses any more.
for h in $all_hosts; do
    lab_ovs "$h" ovs-ofctl -O OpenFlow13 del-flows br0
done
t_check "flows removed: vm101-1 cannot reach vm101-2" ping_fails vm101-1 10.9.101.2
t_check "flows removed: vm101-1 cannot reach its gateway" ping_fails vm101-1 10.9.101.254
t_check "matrix reports the mismatches (exit 1)" \
    sh -c "! $LAB_PYTHON $LAB_PY matrix --dir $LAB_DIR >/dev/null"

# --- ovs-vswitchd killed and started again comes back with its bridge.
pid=$(lab_get hosts.hv-host01.vswitchd_pid)
lab kill-vswitchd hv-host01 >/dev/null
t_check "kill-vswitchd: pid $pid is gone" sh -c "! kill -0 $pid 2>/dev/null || grep -q '^[^)]*) Z' /proc/$pid/stat"
t_check "kill-vswitchd: bridge unreachable" \
    sh -c "! $LAB_PYTHON $LAB_PY ovs hv-host01 ovs-ofctl -O OpenFlow13 show br0 >/dev/null 2>&1"
lab start-vswitchd hv-host01 >/dev/null
t_check "start-vswitchd: br0 is back with its datapath-id" \
    wait_until 10 sh -c "$LAB_PYTHON $LAB_PY ovs hv-host01 ovs-ofctl -O OpenFlow13 show br0 2>/dev/null | grep -q dpid:0000000000000101"
t_check "start-vswitchd: all 5 ports are back" \
    test "$(lab_ovs hv-host01 ovs-ofctl -O OpenFlow13 dump-ports-desc br0 | grep -c '^ [0-9]')" = 5
t_check "restart-vswitchd" lab restart-vswitchd hv-host01

# --- teardown leaves nothing behind.
dir=$LAB_DIR prefix=$LAB_PREFIX
t_check "lab down" lab_down
t_check "no namespace with prefix $prefix left" \
    sh -c "! ip netns list | grep -q '^$prefix-'"
t_check "no OVS daemon of this lab left" \
    sh -c "! grep -qs -- '[-]-pidfile=$dir/' /proc/[0-9]*/cmdline"
t_check "lab directory removed" test ! -e "$dir"
t_check "lab down again is harmless" lab down --dir "$dir"
t_done
