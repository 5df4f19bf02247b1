#!/bin/bash
# The microsegmentation demo scenario (examples/ahv-flow-policies.json: two
# AHV hosts, an application policy for the prod app tier, a prod/dev
# isolation, a forensic quarantine) through `lab.py matrix`: every VM pings
# every VM, adapter and gateway and connects to TCP port 8080 in every VM;
# the expected cells come from the matrix's own policy evaluator.  Spot
# checks pin a few cells so that a broken evaluator cannot hide a mismatch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/examples/ahv-flow-policies.json
fcd_lab "$INTENT"

MATRIX_OUT=$LAB_DIR/matrix.json
lab matrix --json > "$MATRIX_OUT"
rc=$?
t_check "lab matrix exits 0" test "$rc" -eq 0
t_check "0 mismatches" grep -q '"mismatches": 0' "$MATRIX_OUT"

cell() {   # FROM TO EXPECTED: the cell was expected and seen as EXPECTED
    /usr/bin/python3 - "$MATRIX_OUT" "$1" "$2" "$3" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
c = [c for c in m["cells"] if c["from"] == sys.argv[2] and c["to"] == sys.argv[3]]
sys.exit(0 if len(c) == 1 and c[0]["expected"] == c[0]["seen"] == sys.argv[4] else 1)
PY
}
t_check "web-1 -> app-1 tcp/8080 ok (rule web-8080, across hosts)" cell web-1 app-1:8080 ok
t_check "jumpbox-1 -> app-1 tcp/8080 blocked (inbound default deny)" cell jumpbox-1 app-1:8080 blocked
t_check "jumpbox-1 ping app-1 ok (icmp from the CIDR)" cell jumpbox-1 app-1 ok
t_check "app-1 -> web-1 tcp/8080 ok (outbound default allow)" cell app-1 web-1:8080 ok
t_check "dev-app-1 -> app-1 blocked (isolation)" cell dev-app-1 app-1 blocked
t_check "web-1 -> dev-app-1 tcp/8080 blocked (isolation, no app policy)" cell web-1 dev-app-1:8080 blocked
t_check "jumpbox-1 -> db-1 tcp/8080 ok (forensic_from)" cell jumpbox-1 db-1:8080 ok
t_check "web-1 -> db-1 tcp/8080 blocked (quarantine)" cell web-1 db-1:8080 blocked
t_check "db-1 -> jumpbox-1 tcp/8080 blocked (quarantined VM opens nothing)" cell db-1 jumpbox-1:8080 blocked
t_check "db-1 ping its gateway blocked (quarantine)" cell db-1 gw:vlan110-apps blocked
t_check "web-1 ping its gateway ok" cell web-1 gw:vlan110-apps ok

# Proof from the switch: the quarantine's deny flows on db-1's bridge
# counted the packets that the matrix sent to and from db-1.
denied=$(lab_ovs ahv-host1 ovs-ofctl -O OpenFlow13 dump-flows br0 \
         'cookie=0xfc08000000000000/0xffff000000000000' 2>/dev/null \
         | sed -nE 's/.*n_packets=([0-9]+).*/\1/p' | awk '{s+=$1} END {print s+0}')
t_check "deny flows on ahv-host1 br0 counted packets ($denied)" test "${denied:-0}" -gt 0
t_done
