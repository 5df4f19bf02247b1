#!/bin/bash
# Live migration: VM "mover" (10.8.101.2) moves from hv-b to hv-c while
# "src" on hv-a pings it every 50 ms.  The move is simulated as a cutover:
# the VM's port leaves hv-b's bridge, 100 ms pass, it joins hv-c's bridge
# (same MAC and IP), then the intent says host hv-c and is reloaded.
# flowchain installs the VM's flows on hv-c and, once that bridge is in
# sync, sends a gratuitous ARP for the VM through hv-c's pipeline: the
# physical switch's MAC table points at hv-c at once.  A VM of another
# VLAN never reaches the mover; a VM of its VLAN on hv-c does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$LAB_HOME/migration-intent.json
MOVER_MAC=02:00:00:00:65:02
MOVER_IP=10.8.101.2
lab_up "$INTENT" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
LIVE=$LAB_DIR/intent.json
cp "$INTENT" "$LIVE"
fcd_start "$LIVE"
t_check "all 3 bridges reach sync" wait_until 60 fcd_all_in_sync 3

ns_of() { lab_get "hosts.$1.ns"; }
NS_B=$(ns_of hv-b) NS_C=$(ns_of hv-c)

# phys_port_of_mac MAC: the physical switch's port name where it learned
# MAC, from fdb/show (port numbers) and its port list.
phys_port_of_mac() {
    local no
    no=$(lab_ovs phys ovs-appctl fdb/show sw0 | awk -v m="$1" '$3 == m {print $1}')
    [ -n "$no" ] || return 1
    lab_ovs phys ovs-vsctl --bare --columns=name find interface "ofport=$no"
}
# mac_on_host HOST: the physical switch learned mover's MAC on a port that
# faces HOST's uplink (lab.json).
mac_on_host() {
    local port
    port=$(phys_port_of_mac "$MOVER_MAC") || return 1
    /usr/bin/python3 - "$LAB_DIR/lab.json" "$port" "$1" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
port, host = sys.argv[2], sys.argv[3]
p = st["phys"]["ports"].get(port)
sys.exit(0 if p and p.get("host") == host else 1)
EOF
}

t_check "before: src (hv-a) reaches mover (hv-b)" ping_ok src $MOVER_IP
t_check "before: other (vlan102) cannot reach mover" ping_fails other $MOVER_IP
before=$(phys_port_of_mac "$MOVER_MAC")
echo "    physical switch: mover's MAC on $before"

# Continuous ping from src, 50 ms apart, for 12 s.
lab_exec src ping -n -i 0.05 -c 240 -W 1 $MOVER_IP >"$LAB_DIR/ping-move" 2>&1 &
ping_pid=$!
sleep 3

# The cutover.
t0=$(date +%s%N)
lab_ovs hv-b ovs-vsctl del-port br-guest tmove
ip -n "$NS_B" link set tmove netns "$NS_C"
sleep 0.1
ip -n "$NS_C" link set tmove up
lab_ovs hv-c ovs-vsctl add-port br-guest tmove
/usr/bin/python3 - "$LIVE" <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1]))
for vm in d["vms"]:
    if vm["name"] == "mover":
        vm["host"] = "hv-c"
tmp = sys.argv[1] + ".tmp"
json.dump(d, open(tmp, "w"), indent=1)
os.rename(tmp, sys.argv[1])
EOF
t_check "the moved intent is accepted" fcctl reload
t_check "the controller announces mover on hv-c (gratuitous ARP, log)" \
    wait_until 10 grep -q "mover/tmove now active on hv-c/br-guest.*gratuitous ARP for $MOVER_IP" "$FCD_LOG"
mac_moved() { [ "$(phys_port_of_mac "$MOVER_MAC")" != "$before" ] && [ -n "$(phys_port_of_mac "$MOVER_MAC")" ]; }
t_check "the physical switch's MAC table moves off hv-b's port" wait_until 10 mac_moved
t1=$(date +%s%N)
after=$(phys_port_of_mac "$MOVER_MAC")
echo "    physical switch: mover's MAC on $after $(( (t1 - t0) / 1000000 )) ms after the cutover began (polled)"
t_check "  ... onto a port of hv-c's uplink" mac_on_host hv-c

wait $ping_pid
read -r sent got < <(ping_counts "$LAB_DIR/ping-move")
lost=$((sent - got))
echo "    ping -i 0.05 across the move: $got of $sent answered, $lost lost"
# The cutover pause is 100 ms (2 pings); the port moves, the intent is
# rewritten and reloaded and the switch synced: allow 20 pings (1 s).
t_check "pings resume after the move ($lost of $sent lost, at most 20)" \
    eval '[ "$sent" -gt 200 ] && [ "$lost" -le 20 ]'
t_check "after: src reaches mover on hv-c" ping_ok src $MOVER_IP
t_check "after: stay (hv-c, same VLAN) reaches mover" ping_ok stay $MOVER_IP
t_check "after: other (vlan102, hv-c) still cannot reach mover" ping_fails other $MOVER_IP
t_check "hv-b holds no flow for mover's MAC any more" \
    not grep -q "$MOVER_MAC" <<<"$(lab_flows hv-b br-guest)"
t_check "hv-c holds mover's flows" grep -q "$MOVER_MAC" <<<"$(lab_flows hv-c br-guest)"

# A controller restart announces nothing (the NICs of its first sync are
# only recorded).
kill -KILL "$FCD_PID"; wait "$FCD_PID" 2>/dev/null; FCD_PID=
mark=$(wc -l <"$FCD_LOG")
fcd_start "$LIVE"
t_check "restarted controller reaches sync" wait_until 60 fcd_all_in_sync 3
sleep 1
t_check "  ... and sends no gratuitous ARP" \
    not grep -q "gratuitous ARP" <<<"$(tail -n +$((mark + 1)) "$FCD_LOG")"
fcd_stop; rc=$?
t_check "flowchaind exits cleanly on SIGTERM (status $rc)" [ "$rc" -eq 0 ]
t_check "no sanitizer report from flowchaind" \
    not grep -q "Sanitizer" "$LAB_DIR/flowchaind.stderr"
t_done
