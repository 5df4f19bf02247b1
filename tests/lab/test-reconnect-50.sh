#!/bin/bash
# 50 bridges reconnecting at once after a controller restart (kill -9):
# every one is read back and found in sync, none starved, and no flow mod
# is sent.  The time from the restart to "all 50 in sync" is printed (a
# figure, not a check).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

N=${RECONNECT_BRIDGES:-50}
# gen_intent FILE: one host with N bridges, one uplink member each.
gen_intent() {
    /usr/bin/python3 - "$N" >"$1" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({
    "version": 1,
    "networks": [{"name": "vlan10", "vlan": 10, "subnet": "10.77.10.0/24",
                  "gateway": "10.77.10.254"}],
    "hosts": [{"name": "h1", "bridges": [
        {"name": "br%d" % i, "datapath_id": "%016x" % (0xb000 + i),
         "uplink": {"name": "br%d-up" % i, "members": ["u%da" % i],
                    "mode": "active-backup"},
         "networks": ["vlan10"]} for i in range(n)]}],
    "vms": [],
}, indent=1))
PY
}
INTENT=$(mktemp "${TMPDIR:-/tmp}/fc-reconnect.XXXXXX")
gen_intent "$INTENT"
lab_up "$INTENT" "unix:@LAB_DIR@/of.sock" || { rm -f "$INTENT"; t_fail "lab up"; exit 1; }
mv "$INTENT" "$LAB_DIR/intent.json"   # removed with the lab
INTENT=$LAB_DIR/intent.json
fcd_start "$INTENT"
t_check "all $N bridges reach sync" wait_until 120 fcd_all_in_sync "$N"

kill -KILL "$FCD_PID"; wait "$FCD_PID" 2>/dev/null; FCD_PID=
t0=$(date +%s%N)
fcd_start "$INTENT"
t_check "after the restart all $N bridges are in sync again" \
    wait_until 120 fcd_all_in_sync "$N"
t1=$(date +%s%N)
echo "    $N bridges: all in sync $(( (t1 - t0) / 1000000 )) ms after the controller restarted"
t_check "each of the $N was read back" \
    eval '[ "$(grep -c "switch holds" "$FCD_LOG")" -ge $((N * 2)) ]'
t_check "the restarted controller sent 0 flow mods ($(fcd_flow_mods))" \
    [ "$(fcd_flow_mods)" = 0 ]
t_done
