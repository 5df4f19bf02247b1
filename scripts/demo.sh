#!/bin/bash
# The demo: installs what is missing, builds, builds a lab of real Open
# vSwitch bridges in network namespaces from an example intent, runs
# flowchaind, shows the flows and a VM-to-VM connectivity matrix, and cleans
# everything up (also on failure or Ctrl-C).
#
# usage: scripts/demo.sh [INTENT]   (default examples/scvmm-logical-switch.json)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
intent=$(cd "$(dirname "${1:-$top/examples/scvmm-logical-switch.json}")" \
         && pwd)/$(basename "${1:-$top/examples/scvmm-logical-switch.json}")

"$top/scripts/setup.sh"
echo "== building flowchain"
"$top/scripts/build.sh"
export FLOWCHAIN_BUILDDIR=$top/build

set +e
. "$top/tests/lab/lib.sh"
. "$top/tests/lab/fcd.sh"
T_PROG=demo

echo "== intent: $intent"
"$FCD_BIN/flowchainctl" check "$intent" || exit 1

echo "== lab: one namespace per host, VM, adapter, physical switch, router"
lab_up "$intent" "unix:@LAB_DIR@/of.sock" || { echo "lab up failed"; exit 1; }
fcd_start "$intent"
echo "== flowchaind started (pid $FCD_PID, log $FCD_LOG)"

n_bridges=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(h["bridges"]) for h in d["hosts"]))' "$intent")
all_in_sync() {
    [ "$(fcctl status | grep -c 'sync: in sync')" -ge "$n_bridges" ]
}
if ! wait_until 60 all_in_sync; then
    echo "not every bridge reached sync:"; fcctl status; exit 1
fi
echo
echo "== flowchainctl status"
fcctl status
# The bridge of the first VM's first NIC: the one worth looking at.
first_host=$(/usr/bin/python3 - "$intent" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
vm = d["vms"][0]
nic = vm["nics"][0]
host = next(h for h in d["hosts"] if h["name"] == vm["host"])
br = nic.get("bridge") or next(b["name"] for b in host["bridges"]
                              if nic["network"] in b.get("networks", []))
print(host["name"], br)
PY
)
set -- $first_host
echo
echo "== ovs-ofctl dump-flows $2 on $1 (what the switch really holds)"
lab_ovs "$1" ovs-ofctl -O OpenFlow13 --no-stats dump-flows "$2"
echo
echo "== ovs-ofctl dump-groups $2 on $1"
lab_ovs "$1" ovs-ofctl -O OpenFlow13 dump-groups "$2"
echo
echo "== connectivity matrix (rows ping columns; expected: same network ok,"
echo "   own gateway ok, everything else blocked; with policies, columns VM:8080"
echo "   are TCP connects and the policies decide the expected cells too)"
lab matrix
rc=$?
echo
[ $rc -eq 0 ] && echo "== demo: every cell as expected" \
              || echo "== demo: MISMATCHES above"
exit $rc
