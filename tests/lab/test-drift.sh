#!/bin/bash
# Drift: flows and groups changed behind flowchain's back with ovs-ofctl
# (another OpenFlow connection, as another controller would be) are found
# and repaired, each with a log line naming what changed.  The time from
# the change to the repaired table is printed (a figure, not a check).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/tests/lab/one-host.json
fcd_lab "$INTENT"

ofctl() { lab_ovs h1 ovs-ofctl -O OpenFlow13 "$@"; }
groups() { ofctl dump-groups br0 | sort; }
state() { lab_flows h1 br0; groups; }
log() { cat "$FCD_LOG"; }
before=$(state)
log_lines() { wc -l <"$FCD_LOG"; }

# Idle: the periodic checks find nothing to do on an untouched switch.
sleep 3
t_check "an untouched switch is read once and never repaired" \
    eval '[ "$(log | grep -c "switch holds")" = 1 ] && ! log | grep -q "behind flowchain"'

# repaired: true once flows and groups are back as before.
repaired() { [ "$(state)" = "$before" ]; }
# tamper NAME LOG-PATTERN CMD...: runs CMD, checks that the log names the
# change and that the switch gets back to its flows and groups.
tamper() {
    local name=$1 pattern=$2
    shift 2
    local mark t0 t1
    mark=$(log_lines)
    t0=$(date +%s%N)
    "$@" || t_fail "$name: the command failed: $*"
    if wait_until 20 repaired; then
        # The repair time: from the command to the log line of the last
        # bundle committed (the polling above is slower than the repair).
        local ts
        ts=$(tail -n +$((mark + 1)) "$FCD_LOG" | grep "synced:" | tail -1 \
             | cut -d'|' -f1)
        t1=$(date -d "$ts" +%s%N 2>/dev/null || echo "$t0")
        echo "    $name: repaired $(( (t1 - t0) / 1000000 )) ms after the command started"
        t_pass "$name: repaired"
    else
        t_fail "$name: repaired"
        diff <(echo "$before") <(state) | head -20 | sed 's/^/    /' >&2
    fi
    t_check "$name: the log names it" \
        eval 'tail -n +$((mark + 1)) "$FCD_LOG" | grep -q -e "$pattern"'
}

tamper "add-flow (foreign)" "table=50.*cookie=0x1234" \
    ofctl add-flow br0 "table=50,priority=999,cookie=0x1234,dl_dst=02:00:00:00:99:99,actions=drop"
tamper "add-flow (replacing ours)" "~ table=0, priority=0," \
    ofctl --strict add-flow br0 "table=0,priority=0,actions=drop"
tamper "mod-flows" "~ table=60," \
    ofctl mod-flows br0 "table=60,actions=drop"
tamper "del-flows (one)" "+ table=0, priority=0," \
    ofctl --strict del-flows br0 "table=0,priority=0"
tamper "del-flows (all)" "repairing [0-9]* changes" \
    ofctl del-flows br0
group=$(groups | sed -nE 's/.*group_id=([0-9]+),type=all.*/\1/p' | head -1)
tamper "del-groups (group $group)" "group_id=$group," \
    ofctl del-groups br0 "group_id=$group"
tamper "mod-group (group $group)" "~ group_id=$group," \
    ofctl mod-group br0 "group_id=$group,type=all,bucket=actions=drop"
tamper "add-group (foreign)" "- group_id=4242," \
    ofctl add-group br0 "group_id=4242,type=all,bucket=actions=drop"

t_check "the repairs were logged with the changes" \
    eval 'log | grep -q "repairing [0-9]* changes made behind flowchain.s back"'
t_check "the VM still reaches its gateway" ping_ok vm1 10.77.10.254
t_check "the bridge is in sync" wait_until 10 fcd_all_in_sync 1
[ -n "${DRIFT_DEBUG:-}" ] && cp "$FCD_LOG" /tmp/rsync-drift.log
t_done
