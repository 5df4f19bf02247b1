#!/bin/bash
# Fault injection with real ovs-vswitchd.
# - The connection cut in the middle of a large bundle (50,000 flows from
#   the test hook FLOWCHAIN_TEST_BULK_FLOWS), from the controller's side
#   (kill -9) and from the switch's side (its controller target changed):
#   the switch holds the old or the new flow set, never a mixture, and the
#   next sync converges.
# - ovs-vswitchd restarted under ping: flows back, ping resumes; the lost
#   pings are counted (a figure, not a check).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/tests/lab/one-host.json
BULK=${FAULTS_BULK:-50000}
fcd_lab "$INTENT"
base=$(lab_flows h1 br0 | grep -c cookie=)

n_flows() {
    lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-aggregate br0 \
        | sed -nE 's/.*flow_count=([0-9]+).*/\1/p'
}
syncing() { fcctl status 2>/dev/null | grep -q "sync: syncing"; }

# 1. Controller killed mid-bundle: the switch keeps the old set.
fcd_stop
FLOWCHAIN_TEST_BULK_FLOWS=$BULK fcd_start "$INTENT"
t_check "a bundle of $BULK flows is streaming" wait_until 30 syncing
kill -KILL "$FCD_PID"; wait "$FCD_PID" 2>/dev/null; FCD_PID=
n=$(n_flows)
echo "    controller killed mid-bundle: the switch holds $n flows (old $base, new $((base + BULK)))"
t_check "after the cut the switch holds the old or the new set ($n flows)" \
    eval '[ "$n" = "$base" ] || [ "$n" = $((base + BULK)) ]'
FLOWCHAIN_TEST_BULK_FLOWS=$BULK fcd_start "$INTENT"
t_check "the next sync converges to the new set" \
    wait_until 300 eval '[ "$(n_flows)" = $((base + BULK)) ] && fcd_all_in_sync 1'
grep -o "synced: [0-9]* flow mods.*" "$FCD_LOG" | tail -1 | sed 's/^/    /'

# 2. Switch side: it drops the connection while the bundle that deletes
#    the bulk flows streams.
# The deleting bundle may end before a status poll sees it: then the bulk
# flows are put back and the deletion is tried again (3 times at most).
streaming_or_done() {
    if syncing; then
        STREAMING=1
        return 0
    fi
    [ "$(n_flows)" = "$base" ] && fcd_all_in_sync 1
}
STREAMING=
for attempt in 1 2 3; do
    fcd_stop
    fcd_start "$INTENT"
    wait_until 30 streaming_or_done
    [ -n "$STREAMING" ] && break
    echo "    attempt $attempt: the deleting bundle ended before a poll saw it"
    fcd_stop
    FLOWCHAIN_TEST_BULK_FLOWS=$BULK fcd_start "$INTENT"
    wait_until 300 eval '[ "$(n_flows)" = $((base + BULK)) ] && fcd_all_in_sync 1'
done
t_check "a bundle deleting them is streaming" [ -n "$STREAMING" ]
# (A target in the run directory that nobody listens on: one outside it
# is refused, the bridge then has no controller and OVS flushes it.)
target=$(lab_ovs h1 ovs-vsctl get controller br0 target)
rundir=$(lab_get hosts.h1.env.OVS_RUNDIR)
lab_ovs h1 ovs-vsctl set controller br0 "target=\"unix:$rundir/nowhere.sock\""
sleep 1
n=$(n_flows)
echo "    switch dropped the connection mid-bundle: it holds $n flows (old $((base + BULK)), new $base)"
t_check "after the cut the switch holds the old or the new set ($n)" \
    eval '[ "$n" = "$base" ] || [ "$n" = $((base + BULK)) ]'
lab_ovs h1 ovs-vsctl set controller br0 "target=$target"
t_check "after reconnecting, the next sync converges" \
    wait_until 300 eval '[ "$(n_flows)" = "$base" ] && fcd_all_in_sync 1'
t_check "the VM reaches its gateway" ping_ok vm1 10.77.10.254

# 3. ovs-vswitchd restarted under ping.
lab_exec vm1 ping -n -i 0.1 -c 150 -W 1 10.77.10.254 >"$LAB_DIR/ping" 2>&1 &
ping_pid=$!
sleep 2
lab restart-vswitchd h1 >/dev/null
t_check "the restarted ovs-vswitchd gets its flows back" \
    wait_until 60 eval '[ "$(n_flows)" = "$base" ]'
wait $ping_pid
read -r sent got < <(ping_counts "$LAB_DIR/ping")
echo "    ovs-vswitchd restart under ping -i 0.1: $((sent - got)) of $sent lost"
t_check "pings resume after the ovs-vswitchd restart" \
    wait_until 20 ping_ok vm1 10.77.10.254
t_check "in sync again" wait_until 30 fcd_all_in_sync 1
t_done
