#!/bin/bash
# Port events are coalesced: 30 ports added to the bridge in one ovsdb
# transaction reach flowchaind as a burst of PORT_STATUS messages, which
# must cost far fewer recompiles of the bridge than messages (at most one
# per 50 ms, the first at once), and the bridge stays in sync.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/tests/lab/one-host.json
fcd_lab "$INTENT"
fcctl vlog/set switchmgr:file:dbg >/dev/null
fcctl vlog/set switchmgr_compile:file:dbg >/dev/null

args=()
for i in $(seq 30); do
    args+=(-- add-port br0 "pb$i" -- set interface "pb$i" type=internal)
done
lab_ovs h1 ovs-vsctl "${args[@]}"
n_status() { grep -c "port status changed" "$FCD_LOG"; }
t_check "flowchaind got the 30 port status messages" \
    wait_until 20 eval '[ "$(n_status)" -ge 30 ]'
sleep 1
status=$(n_status)
compiles=$(grep -c "ports changed: recompiling" "$FCD_LOG")
echo "    $status PORT_STATUS messages, $compiles recompiles"
t_check "fewer recompiles ($compiles) than port messages ($status), at least one" \
    eval '[ "$compiles" -ge 1 ] && [ $((compiles * 3)) -le "$status" ]'
t_check "the bridge is in sync" wait_until 10 fcd_all_in_sync 1
t_check "the VM reaches its gateway" ping_ok vm1 10.77.10.254
t_done
