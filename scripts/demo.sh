#!/bin/bash
# The demo: installs what is missing, builds, builds a lab of real Open
# vSwitch bridges in network namespaces from an example intent, runs
# flowchaind, shows the flows and a VM-to-VM connectivity matrix, and cleans
# everything up (also on failure or Ctrl-C).
#
# usage: scripts/demo.sh [--migrate VM HOST] [INTENT]
#   INTENT defaults to examples/scvmm-logical-switch.json, or with --migrate
#   to examples/live-migration.json.  --migrate then also live-migrates VM
#   to HOST (its ports move, the intent changes) under a ping from another
#   VM of its network, and shows the ping counter and where the physical
#   switch has learned the VM's MAC.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
migrate_vm= migrate_to=
if [ "${1:-}" = --migrate ]; then
    [ $# -ge 3 ] || { echo "usage: $0 [--migrate VM HOST] [INTENT]" >&2; exit 2; }
    migrate_vm=$2 migrate_to=$3
    shift 3
    set -- "${1:-$top/examples/live-migration.json}"
fi
case ${1:-} in -*) echo "usage: $0 [--migrate VM HOST] [INTENT]" >&2; exit 2;; esac
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
# flowchaind runs on a copy, which --migrate rewrites.
live=$LAB_DIR/intent.json
cp "$intent" "$live"
fcd_start "$live"
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
[ -n "$migrate_vm" ] || exit $rc

echo
echo "== live migration of $migrate_vm to $migrate_to"
read -r from peer vm_ip vm_mac ports < <(/usr/bin/python3 - "$live" \
    "$migrate_vm" "$migrate_to" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
vms = {v["name"]: v for v in d["vms"]}
vm = vms.get(sys.argv[2])
if not vm or sys.argv[3] not in [h["name"] for h in d["hosts"]]:
    sys.exit("unknown VM or host")
nic = vm["nics"][0]
peer = next(v["name"] for v in d["vms"] if v is not vm and
            any(n["network"] == nic["network"] for n in v["nics"]))
print(vm["host"], peer, nic["ip"], nic["mac"],
      ",".join(n["port"] for n in vm["nics"]))
PY
) || { echo "--migrate: unknown VM or host, or no other VM on its network"; exit 2; }
mac_port() {
    local no
    no=$(lab_ovs phys ovs-appctl fdb/show sw0 | awk -v m="$vm_mac" '$3 == m {print $1}')
    [ -n "$no" ] && lab_ovs phys ovs-vsctl --bare --columns=name find interface "ofport=$no"
}
echo "   physical switch: $vm_mac learned on $(mac_port || echo '(nothing yet)')"
echo "   $peer pings $vm_ip every 50 ms while $migrate_vm moves $from -> $migrate_to"
lab_exec "$peer" ping -n -i 0.05 -c 160 -W 1 "$vm_ip" >"$LAB_DIR/ping-migrate" 2>&1 &
ping_pid=$!
sleep 2
for p in ${ports//,/ }; do
    lab_move_port "$p" "$from" "$migrate_to" ||
        { echo "moving port $p failed"; exit 1; }
done
/usr/bin/python3 - "$live" "$migrate_vm" "$migrate_to" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
for v in d["vms"]:
    if v["name"] == sys.argv[2]:
        v["host"] = sys.argv[3]
json.dump(d, open(sys.argv[1] + ".tmp", "w"), indent=1)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
PY
fcctl reload
wait $ping_pid
read -r sent got < <(ping_counts "$LAB_DIR/ping-migrate")
echo "   ping: $got of $sent answered, $((sent - got)) lost"
grep "gratuitous ARP" "$FCD_LOG" | sed 's/^.*switchmgr|INFO|/   flowchaind: /'
echo "   physical switch: $vm_mac learned on $(mac_port || echo '(nothing)')"
[ "$got" -gt 0 ] && [ $((sent - got)) -le 40 ] && exit $rc
echo "== demo: the migrated VM did not come back"
exit 1
