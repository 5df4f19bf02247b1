#!/bin/bash
# High availability, first slice (docs/ha.md): the intent lives in a
# three-member clustered ovsdb-server (Raft) that runs in a namespace of
# this test on its loopback; three flowchaind instances follow it with
# --db.  One instance (A) is the lab bridges' controller; B and C follow
# the database without switches (OpenFlow roles are not done yet).
#
# Proves: `apply --db` writes an intent that every instance installs and
# the bridges enforce; an invalid intent is refused and nothing changes;
# every instance heartbeats its Instance row; a change made while an
# instance is down applies through the others, and the restarted one reads
# it; killing one database member changes nothing; killing two, the
# instances keep enforcing the last intent and `apply --db` refuses; after
# the members return, a change applies again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

SCHEMA=$FLOWCHAIN_SRCDIR/ovsdb/flowchain.ovsschema
BASE=$FLOWCHAIN_SRCDIR/examples/scvmm-logical-switch.json
N=$(fcd_n_bridges "$BASE")
HA_NS=fcha$$
HA_DIR=$(mktemp -d /tmp/fcha.XXXXXX)
A=$HA_DIR/a.json B=$HA_DIR/b.json BAD=$HA_DIR/bad.json C=$HA_DIR/c.json
/usr/bin/python3 - "$BASE" "$A" "$B" "$BAD" "$C" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
json.dump(d, open(sys.argv[2], "w"), indent=1)
d["vms"].append({"name": "vm101-3", "host": "hv-host01",
                 "nics": [{"port": "tap5", "mac": "50:6b:8d:00:01:03",
                           "network": "vlan101", "ip": "10.8.101.3"}]})
json.dump(d, open(sys.argv[3], "w"), indent=1)
d["vms"][-1]["nics"][0]["network"] = "vlan130"
json.dump(d, open(sys.argv[4], "w"), indent=1)
d["vms"][-1]["nics"][0]["network"] = "vlan101"
d["vms"][-1]["nics"][0]["mac"] = "50:6b:8d:00:01:33"
json.dump(d, open(sys.argv[5], "w"), indent=1)
PY

ha_cleanup() {
    local rc=$?
    lab_down
    ip netns del "$HA_NS" 2>/dev/null
    rm -rf "$HA_DIR"
    exit "$rc"
}

# The lab; vm101-3's port exists from the start (B adds the VM).
lab_up "$B" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
trap ha_cleanup EXIT
ip netns add "$HA_NS" && ip -n "$HA_NS" link set lo up ||
    { t_fail "namespace $HA_NS"; exit 1; }
inns() { ip netns exec "$HA_NS" "$@"; }

# (lab_spawn runs `ip netns exec`, which execs: the pid is the daemon's, so
# kill -9 of it kills the daemon.)
# Three Raft members on the namespace's loopback.
RAFT=(127.0.0.1:6644 127.0.0.1:6645 127.0.0.1:6646)
CLIENT=(127.0.0.1:6641 127.0.0.1:6642 127.0.0.1:6643)
DB="tcp:${CLIENT[0]},tcp:${CLIENT[1]},tcp:${CLIENT[2]}"
declare -a MPID
member_start() {
    local i=$1 d=$HA_DIR/m$1
    lab_spawn ip netns exec "$HA_NS" ovsdb-server --no-chdir --pidfile="$d/pid" \
        --unixctl="$d/ctl" --remote="ptcp:${CLIENT[$i]#*:}:127.0.0.1" \
        --log-file="$d/log" "$d/db" 2>>"$d/stderr"
    MPID[$i]=$LAB_LAST_PID
}
for i in 0 1 2; do
    mkdir -p "$HA_DIR/m$i"
done
ovsdb-tool create-cluster "$HA_DIR/m0/db" "$SCHEMA" "tcp:${RAFT[0]}" &&
ovsdb-tool join-cluster "$HA_DIR/m1/db" Flowchain "tcp:${RAFT[1]}" \
    "tcp:${RAFT[0]}" &&
ovsdb-tool join-cluster "$HA_DIR/m2/db" Flowchain "tcp:${RAFT[2]}" \
    "tcp:${RAFT[0]}" || { t_fail "create the cluster"; exit 1; }
for i in 0 1 2; do
    member_start $i
done
cluster_ok() {
    local i
    for i in 0 1 2; do
        inns ovs-appctl -t "$HA_DIR/m$i/ctl" cluster/status Flowchain \
            2>/dev/null | grep -q '^Status: cluster member' || return 1
    done
}
t_check "three database members form a cluster" wait_until 60 cluster_ok

fcdb() {
    inns "$FCD_BIN/flowchainctl" apply --db="$DB" "$@"
}
declare -a IPID
inst_start() {
    local name=$1; shift
    lab_spawn ip netns exec "$HA_NS" "$FCD_BIN/flowchaind" --db="$DB" --instance-id="$name" \
        --control="$HA_DIR/$name.ctl" --log-file="$HA_DIR/$name.log" "$@" \
        2>>"$HA_DIR/$name.stderr"
    eval "IPID_$name=$LAB_LAST_PID"
}
ictl() {
    local name=$1; shift
    "$FCD_BIN/flowchainctl" --control "$HA_DIR/$name.ctl" "$@"
}
# installed NAME GEN: instance NAME installed database generation GEN.
installed() {
    grep -q "reloaded database .* generation $2:" "$HA_DIR/$1.log" 2>/dev/null
}
FCD_CTL=$HA_DIR/a.ctl
inst_start a --listen="unix:$LAB_DIR/of.sock"
inst_start b --listen="unix:$HA_DIR/b-of.sock"
inst_start c --listen="unix:$HA_DIR/c-of.sock"
t_check "the instances answer" wait_until 20 eval \
    'ictl a version && ictl b version && ictl c version' >/dev/null

t_check "apply --db writes the intent" fcdb "$A"
all_at() { installed a "$1" && installed b "$1" && installed c "$1"; }
t_check "every instance installs generation 1" wait_until 20 all_at 1
t_check "the bridges reach sync" wait_until 60 fcd_all_in_sync "$N"
t_check "vm101-3 is not in the intent: it reaches nothing" \
    ping_fails vm101-3 10.8.101.1
res=$(fcdb "$A")
t_check "applying the same intent writes nothing" \
    grep -q 'holds this intent already (generation 1)' <<<"$res"

# The Instance table: three rows whose heartbeats move.
hb() {
    inns ovsdb-client dump "tcp:${CLIENT[0]}" Flowchain Instance \
        name heartbeat 2>/dev/null | awk -v n="$1" '$2 == n { print $1 }'
}
h1=$(hb a); sleep 1; h2=$(hb a)
t_check "instance a heartbeats ($h1 -> $h2)" \
    eval '[ -n "$h1" ] && [ -n "$h2" ] && [ "$h2" -gt "$h1" ]'
t_check "b and c have Instance rows" eval '[ -n "$(hb b)" ] && [ -n "$(hb c)" ]'
# live NAME OF: instance OF's status shows NAME live (dead: "dead").
seen() { ictl "$3" status | grep '^instances:' | grep -q "$1 ($2"; }
t_check "a sees a, b and c live" wait_until 10 eval \
    'seen a live a && seen b live a && seen c live a'

# An invalid intent: refused with the validator's errors, nothing written.
res=$(fcdb "$BAD" 2>&1); rc=$?
echo "$res" | head -3 | sed 's/^/    /'
t_check "apply --db refuses an invalid intent (exit $rc)" \
    eval '[ "$rc" = 1 ] && grep -q "invalid intent" <<<"$res"'
res=$(fcdb "$A")
t_check "the database still holds generation 1" \
    grep -q 'generation 1)' <<<"$res"

# A change while instance c is down (kill -9) applies through a and b.
kill -KILL "$IPID_c"; wait "$IPID_c" 2>/dev/null
t0=$(date +%s%N)
t_check "a and b see c dead" wait_until 10 eval 'seen c dead a && seen c dead b'
echo "    c seen dead after $(( ($(date +%s%N) - t0) / 1000000 )) ms (threshold 600 ms)"
t_check "apply --db with c down" fcdb "$B"
t_check "a and b install generation 2" wait_until 20 eval \
    'installed a 2 && installed b 2'
t_check "the bridges enforce it: vm101-3 reaches vm101-1" \
    wait_until 30 ping_ok vm101-3 10.8.101.1
inst_start c --listen="unix:$HA_DIR/c-of.sock"
t_check "the restarted c reads generation 2" wait_until 20 installed c 2
t_check "a sees c live again" wait_until 10 seen c live a

# One database member killed: nothing changes.
kill -KILL "${MPID[2]}"; wait "${MPID[2]}" 2>/dev/null
t_check "apply --db with one member down" fcdb "$C"
t_check "every instance installs generation 3" wait_until 30 eval \
    'installed a 3 && installed b 3 && installed c 3'
t_check "generation 3 changed vm101-3's MAC: anti-spoofing drops it" \
    wait_until 30 ping_fails vm101-3 10.8.101.1

# Two killed: no quorum.  The instances keep enforcing; apply refuses.
kill -KILL "${MPID[1]}"; wait "${MPID[1]}" 2>/dev/null
res=$(fcdb --db-timeout=4000 "$B" 2>&1); rc=$?
echo "$res" | sed 's/^/    /'
t_check "apply --db refuses without a quorum (exit $rc)" \
    eval '[ "$rc" = 1 ] && grep -q "no answer from the database" <<<"$res"'
t_check "instance a still runs and answers" ictl a version
t_check "a says it is disconnected, enforcing the last intent" \
    wait_until 20 eval 'ictl a status | grep -q "^database: .*disconnected (enforcing the last intent read)"'
t_check "a's status shows generation 3" eval \
    'ictl a status | grep -q "^intent: database generation 3:"'
t_check "the bridges stay in sync" fcd_all_in_sync "$N"
t_check "they enforce the last intent: vm101-2 reaches vm101-1" \
    ping_ok vm101-2 10.8.101.1
t_check "and vm101-3, whose MAC generation 3 changed, reaches nothing" \
    ping_fails vm101-3 10.8.101.1
t_check "generation 4 was never installed" not installed a 4

# The members return: the cluster takes changes again.
member_start 1
member_start 2
t_check "the cluster has its members back" wait_until 60 cluster_ok
t_check "apply --db works again" wait_until 30 fcdb --db-timeout=5000 "$B"
t_check "every instance catches up to generation 4" wait_until 30 eval \
    'installed a 4 && installed b 4 && installed c 4'
t_check "the bridges are in sync" wait_until 60 fcd_all_in_sync "$N"
t_check "generation 4 (vm101-3's own MAC again) reaches the bridges" \
    wait_until 30 ping_ok vm101-3 10.8.101.1
t_check "no sanitizer report" not grep -q 'Sanitizer' \
    "$HA_DIR"/a.stderr "$HA_DIR"/b.stderr "$HA_DIR"/c.stderr
t_done
