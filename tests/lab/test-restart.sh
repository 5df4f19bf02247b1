#!/bin/bash
# Restarts without losing a packet: flowchaind killed with SIGKILL and
# started again under continuous ping loses nothing and sends no flow mod
# (the switch's flows keep their age); a killed ovs-vswitchd comes back
# empty, gets its flows again, and pings resume.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/examples/scvmm-logical-switch.json
N=$(fcd_n_bridges "$INTENT")
fcd_lab "$INTENT"
synced_at=$(date +%s)
flows_before=$(lab_flows hv-host01 br-guest)

lab_exec vm101-1 ping -n -i 0.1 -c 80 -W 1 10.8.101.2 >"$LAB_DIR/ping1" 2>&1 &
ping_pid=$!
sleep 2
kill -KILL "$FCD_PID"
wait "$FCD_PID" 2>/dev/null
FCD_PID=
sleep 1
FCD_LOG=$LAB_DIR/flowchaind-2.log
fcd_start "$INTENT"
t_check "the restarted controller reaches sync" \
    wait_until 60 fcd_all_in_sync "$N"
t_check "the restarted controller sent 0 flow mods (counter: $(fcd_flow_mods))" \
    [ "$(fcd_flow_mods)" = 0 ]
# hv-host01/br-guest as the restarted controller found it (both instances
# log to the same file; the first found every switch empty).
n_guest=$(grep -c 'actions=' <<<"$flows_before")
t_check "it read the switches back instead (log: a switch holds $n_guest flows)" \
    grep -q "switch holds $n_guest flows" "$LAB_DIR/flowchaind.log"
wait $ping_pid
read -r sent got < <(ping_counts "$LAB_DIR/ping1")
echo "    continuous ping across the controller restart: $got of $sent"
t_check "no packet lost across the controller restart ($got/$sent)" \
    eval '[ "$sent" -gt 0 ] && [ "$sent" = "$got" ]'
t_check "the switch's flows are unchanged" \
    [ "$(lab_flows hv-host01 br-guest)" = "$flows_before" ]
age=$(( $(date +%s) - synced_at ))
min_duration=$(lab_ovs hv-host01 ovs-ofctl -O OpenFlow13 dump-flows br-guest \
    | grep -oE 'duration=[0-9]+' | cut -d= -f2 | sort -n | head -1)
t_check "every flow is older than the restart (min age ${min_duration}s, expected >= $((age - 1))s)" \
    [ "$min_duration" -ge $((age - 1)) ]

# Flows that are not flowchain's, added behind its back while it is down,
# are deleted on reconnect and counted in the log.
fcctl exit >/dev/null
wait "$FCD_PID"; rc=$?; FCD_PID=
t_check "flowchainctl exit stops the daemon cleanly (status $rc)" [ "$rc" -eq 0 ]
lab_ovs hv-host01 ovs-ofctl -O OpenFlow13 add-flow br-guest \
    "table=50,priority=999,cookie=0x1234,dl_dst=02:00:00:00:99:99,actions=drop"
lab_ovs hv-host01 ovs-ofctl -O OpenFlow13 add-flow br-guest \
    "table=0,priority=999,cookie=0x0,in_port=LOCAL,actions=drop"
FCD_LOG=$LAB_DIR/flowchaind-3.log
fcd_start "$INTENT"
t_check "after reconnect all bridges are in sync" \
    wait_until 60 fcd_all_in_sync "$N"
t_check "foreign flows are deleted" \
    eval '[ "$(lab_flows hv-host01 br-guest)" = "$flows_before" ]'
t_check "and counted in the log" \
    grep -q "2 flows on the switch carry cookies that are not flowchain's" \
        "$LAB_DIR/flowchaind.log"
t_check "only the 2 foreign flows were touched (counter: $(fcd_flow_mods))" \
    [ "$(fcd_flow_mods)" = 2 ]

# ovs-vswitchd killed and restarted: it starts with empty tables.
lab kill-vswitchd hv-host01
lab start-vswitchd hv-host01 >/dev/null
n_flows_back() {
    [ "$(lab_flows hv-host01 br-guest | grep -c cookie=)" -eq \
      "$(grep -c cookie= <<<"$flows_before")" ]
}
t_check "a restarted ovs-vswitchd gets its flows back" wait_until 60 n_flows_back
t_check "the flows are the same as before" \
    wait_until 10 eval '[ "$(lab_flows hv-host01 br-guest)" = "$flows_before" ]'
t_check "pings resume after the ovs-vswitchd restart" \
    wait_until 20 ping_ok vm101-1 10.8.101.2
t_check "all bridges in sync again" wait_until 30 fcd_all_in_sync "$N"
t_done
