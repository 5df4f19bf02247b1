#!/bin/bash
# Benchmark: flow sync of a large bridge against a real ovs-vswitchd.
#   FLOWCHAIN_BUILDDIR=build bench/bench-sync.sh [N]     (default 1000000)
# Builds the one-host lab, starts flowchaind with N extra flows (test hook
# FLOWCHAIN_TEST_BULK_FLOWS) and prints: the time of the full install and
# the bytes queued at most (from the log), flowchaind's peak and in-sync
# RSS (VmHWM, VmRSS; also after the read-back below), the CPU
# that the idle drift checks cost flowchaind and ovs-vswitchd over 20 s,
# the time a restarted controller takes to read the bridge back, and
# ovs-vswitchd's idle CPU without a controller (the baseline).
# Use a build without sanitizers for meaningful figures.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export FLOWCHAIN_SRCDIR=$top FLOWCHAIN_BUILDDIR=${FLOWCHAIN_BUILDDIR:-$top/build}
. "$top/tests/lab/lib.sh"
. "$top/tests/lab/fcd.sh"
N=${1:-1000000}
INTENT=$top/tests/lab/one-host.json

ms() { date -d "$(cut -d'|' -f1 <<<"$1")" +%s%3N; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
lab_up "$INTENT" "unix:@LAB_DIR@/of.sock" || exit 1
FLOWCHAIN_TEST_BULK_FLOWS=$N fcd_start "$INTENT"
wait_until 3600 fcd_all_in_sync 1 || { echo "no sync"; exit 1; }
grep -o "synced: .*" "$FCD_LOG" | tail -1 | sed "s/^/install of $N flows: /"
echo "flowchaind peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$FCD_PID/status)"
echo "flowchaind RSS in sync: $(awk '/VmRSS/ {print $2, $3}' /proc/$FCD_PID/status)"

vsd=$(lab_get hosts.h1.vswitchd_pid)
hz=$(getconf CLK_TCK)
c0=$(cpu_ticks "$FCD_PID"); v0=$(cpu_ticks "$vsd")
sleep 20
c1=$(cpu_ticks "$FCD_PID"); v1=$(cpu_ticks "$vsd")
echo "idle 20 s (drift checks): flowchaind $(( (c1 - c0) * 1000 / hz )) ms CPU, ovs-vswitchd $(( (v1 - v0) * 1000 / hz )) ms CPU"

kill -KILL "$FCD_PID"; wait "$FCD_PID" 2>/dev/null; FCD_PID=
: >"$LAB_DIR/flowchaind.log"
FLOWCHAIN_TEST_BULK_FLOWS=$N fcd_start "$INTENT"
wait_until 3600 fcd_all_in_sync 1
ready=$(grep -m1 " ready, " "$FCD_LOG"); holds=$(grep -m1 "switch holds" "$FCD_LOG")
echo "read-back after a controller restart: $(( $(ms "$holds") - $(ms "$ready") )) ms (${holds##*|})"
echo "flow mods sent by the restarted controller: $(fcd_flow_mods)"
echo "flowchaind peak RSS after the read-back: $(awk '/VmHWM/ {print $2, $3}' /proc/$FCD_PID/status)"
echo "flowchaind RSS in sync after the read-back: $(awk '/VmRSS/ {print $2, $3}' /proc/$FCD_PID/status)"
fcd_stop
v0=$(cpu_ticks "$vsd"); sleep 20; v1=$(cpu_ticks "$vsd")
echo "idle 20 s without a controller: ovs-vswitchd $(( (v1 - v0) * 1000 / hz )) ms CPU"
