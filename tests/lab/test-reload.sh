#!/bin/bash
# Reload: adding one VM sends exactly that VM's flows; removing it removes
# them and the switch is back to the flows it had (Faucet's revert check on
# the real switch); an invalid intent changes nothing; `plan` predicts the
# change without applying it.  Reloads come from the file watch, SIGHUP and
# `flowchainctl reload`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

BASE=$FLOWCHAIN_SRCDIR/examples/scvmm-logical-switch.json
N=$(fcd_n_bridges "$BASE")
LAB_INTENTS=$(mktemp -d /tmp/fcreload.XXXXXX)
A=$LAB_INTENTS/a.json B=$LAB_INTENTS/b.json BAD=$LAB_INTENTS/bad.json
cp "$BASE" "$A"
/usr/bin/python3 - "$BASE" "$B" "$BAD" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["vms"].append({"name": "vm101-3", "host": "hv-host01",
                 "nics": [{"port": "tap5", "mac": "50:6b:8d:00:01:03",
                           "network": "vlan101", "ip": "10.8.101.3"}]})
json.dump(d, open(sys.argv[2], "w"), indent=1)
d["vms"][-1]["nics"][0]["network"] = "vlan130"
json.dump(d, open(sys.argv[3], "w"), indent=1)
PY

# The lab has vm101-3's port from the start; the controller starts without
# it, so the port is unknown and dropped.
lab_up "$B" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
trap 'rm -rf "$LAB_INTENTS"; _lab_exit_trap' EXIT
LIVE=$LAB_DIR/intent.json
cp "$A" "$LIVE"
fcd_start "$LIVE"
t_check "all bridges reach sync" wait_until 60 fcd_all_in_sync "$N"
t_check "vm101-3 is not in the intent yet: it reaches nothing" \
    ping_fails vm101-3 10.8.101.1

snapshot() {
    local h b
    for h in hv-host01 hv-host02; do
        for b in br-mgmt br-lm br-guest; do
            echo "## $h $b"; lab_flows "$h" "$b"
            lab_ovs "$h" ovs-ofctl -O OpenFlow13 dump-groups "$b" | sort
        done
    done
}
before=$(snapshot)
m0=$(fcd_flow_mods)

plan=$(fcctl plan "$B")
plan_adds=$(grep -c '^+ table=' <<<"$plan")
t_check "plan shows only additions for vm101-3 ($plan_adds flows)" \
    eval '[ "$plan_adds" -gt 0 ] &&
          [ "$(grep -c "^[-~] table=" <<<"$plan")" -eq 0 ]'
t_check "plan changed nothing" [ "$(snapshot)" = "$before" ]

# 1. Add the VM by rewriting the watched file.
cp "$B" "$LIVE.tmp" && mv "$LIVE.tmp" "$LIVE"
added() { [ "$(fcd_flow_mods)" -gt "$m0" ] && fcd_all_in_sync "$N"; }
t_check "the file watch reloads the new intent" wait_until 30 added
m1=$(fcd_flow_mods)
vm_flows=$(fcctl flows --vm vm101-3 | grep -c '^table=')
echo "    flow mods sent for the new VM: $((m1 - m0)); its flows: $vm_flows"
t_check "adding one VM sent exactly its flows ($((m1 - m0)) = $vm_flows)" \
    eval '[ "$vm_flows" -gt 0 ] && [ $((m1 - m0)) -eq "$vm_flows" ]'
t_check "plan predicted them" [ "$plan_adds" -eq "$vm_flows" ]
t_check "incremental: 1 VM touched, all $N switches patched, none compiled in full" \
    grep -q "intent change: 1 VMs and 0 policies touched; $N switches patched, 0 compiled in full" "$FCD_LOG"
t_check "vm101-3 now reaches vm101-1 and vm101-2" \
    eval 'ping_ok vm101-3 10.8.101.1 && ping_ok vm101-3 10.8.101.2'
t_check "vm101-3 still cannot reach vm102-1" ping_fails vm101-3 10.8.102.1

# 2. Remove it again with flowchainctl reload.
cp "$A" "$LIVE.tmp" && mv "$LIVE.tmp" "$LIVE"
fcctl reload >/dev/null
t_check "removing the VM is synced" wait_until 30 fcd_all_in_sync "$N"
m2=$(fcd_flow_mods)
t_check "removing it sent exactly its flows ($((m2 - m1)) = $vm_flows)" \
    [ $((m2 - m1)) -eq "$vm_flows" ]
t_check "after add and revert the switches hold exactly the starting flows" \
    wait_until 10 eval '[ "$(snapshot)" = "$before" ]'
t_check "vm101-3 reaches nothing again" ping_fails vm101-3 10.8.101.1

# 3. An invalid intent changes nothing.
cp "$BAD" "$LIVE.tmp" && mv "$LIVE.tmp" "$LIVE"
sleep 1.5
err=$(fcctl reload 2>&1)
t_check "reload of an invalid intent is refused with its JSON path" \
    grep -q 'vms\[3\].nics\[0\].network' <<<"$err"
t_check "the refusal is logged" grep -q "reload refused" "$FCD_LOG"
t_check "an invalid intent changed no flow" [ "$(snapshot)" = "$before" ]
t_check "and sent no flow mod" [ "$(fcd_flow_mods)" -eq "$m2" ]

# 4. SIGHUP.
cp "$B" "$LIVE"
kill -HUP "$FCD_PID"
t_check "SIGHUP reloads" wait_until 30 eval '[ "$(fcd_flow_mods)" -gt "$m2" ] && fcd_all_in_sync '"$N"
t_check "vm101-3 reaches vm101-2 after SIGHUP" ping_ok vm101-3 10.8.101.2
t_done
