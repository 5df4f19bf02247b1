#!/bin/bash
# High availability (docs/ha.md): the intent lives in a three-member
# clustered ovsdb-server (Raft) that runs in a namespace of this test on its
# loopback; three flowchaind instances (a, b, c) follow it with --db, and
# every lab bridge has all three as its controllers.  OpenFlow roles: for
# each bridge exactly one instance is master (rendezvous hashing over the
# live instances) and the others are slaves that write nothing.
#
# Proves: `apply --db` writes an intent that every instance installs and
# the bridges enforce; each bridge has one master and two slaves (Open
# vSwitch's own Controller.role column) and is in sync; an invalid intent is
# refused and nothing changes; every instance heartbeats its Instance row;
# kill -9 of the master of a bridge under ping -i 0.05: the others take its
# bridges, in sync with 0 flow mods, 0 pings lost (the time is printed); a
# change made while that instance is down applies through the others, and
# the restarted one takes its bridges back with 0 flow mods; a controller
# that grabs a bridge with a higher generation ID is answered: the owner's
# stale request is refused by the switch, it learns the generation and
# takes the bridge back above it; killing one database member changes
# nothing; killing two, the instances keep enforcing the last intent and
# `apply --db` refuses; after the members return, a change applies again.
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

# The lab; vm101-3's port exists from the start (B adds the VM).  Every
# bridge has three controllers: the instances a, b and c.
lab_up "$B" "unix:@LAB_DIR@/a.sock unix:@LAB_DIR@/b.sock unix:@LAB_DIR@/c.sock" ||
    { t_fail "lab up"; exit 1; }
HOSTS=($(/usr/bin/python3 -c 'import json,sys; print(" ".join(h["name"] for h in json.load(open(sys.argv[1]))["hosts"]))' "$B"))
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
# mport NAME: the metrics port of instance NAME (in $HA_NS).
mport() {
    case $1 in a) echo 9471 ;; b) echo 9472 ;; c) echo 9473 ;; esac
}
# masters_metric NAME: the sum of flowchain_switch_master of instance NAME.
masters_metric() {
    inns curl -sf "http://127.0.0.1:$(mport "$1")/metrics" |
        awk '/^flowchain_switch_master\{/ { n += $2 } END { print n + 0 }'
}
inst_start() {
    local name=$1; shift
    lab_spawn ip netns exec "$HA_NS" "$FCD_BIN/flowchaind" --db="$DB" --instance-id="$name" \
        --control="$HA_DIR/$name.ctl" --log-file="$HA_DIR/$name.log" \
        --metrics="tcp:127.0.0.1:$(mport "$name")" "$@" \
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
inst_start a --listen="unix:$LAB_DIR/a.sock"
inst_start b --listen="unix:$LAB_DIR/b.sock"
inst_start c --listen="unix:$LAB_DIR/c.sock"

# ovs_roles ROLE: Controller rows with that role, over every lab host.
ovs_roles() {
    local h n=0
    for h in "${HOSTS[@]}"; do
        n=$((n + $(lab_ovs "$h" ovs-vsctl --bare --columns=role list \
                   controller | grep -cx "$1")))
    done
    echo "$n"
}
# roles_of NAME: "MASTERS INSYNC SLAVES" from instance NAME's status.
roles_of() {
    FCD_CTL=$HA_DIR/$1.ctl fcd_roles
}
# inst_in_sync NAME...: the instances NAME... together master every bridge
# once, each in sync (their own view).
inst_in_sync() {
    local name m i sl tm=0 ti=0
    for name in "$@"; do
        read -r m i sl < <(roles_of "$name")
        [ -n "$m" ] || return 1
        tm=$((tm + m)); ti=$((ti + i))
    done
    [ "$tm" = "$N" ] && [ "$ti" = "$N" ]
}
# ha_in_sync NAME...: the live instances NAME... together master every
# bridge once, each in sync; Open vSwitch agrees (N masters, the other
# controller rows slaves).
ha_in_sync() {
    inst_in_sync "$@" && [ "$(ovs_roles master)" = "$N" ] &&
        [ "$(ovs_roles slave)" = $((2 * N)) ]
}
# master_of HOST BRIDGE: the instance that is master of that bridge.
master_of() {
    local name
    for name in a b c; do
        ictl "$name" status 2>/dev/null |
            grep -q "host $1 bridge $2, connected [0-9]*s, role: master," &&
            { echo "$name"; return 0; }
    done
    return 1
}
mods_of() {
    FCD_CTL=$HA_DIR/$1.ctl fcd_flow_mods
}
t_check "the instances answer" wait_until 20 eval \
    'ictl a version && ictl b version && ictl c version' >/dev/null

t_check "apply --db writes the intent" fcdb "$A"
all_at() { installed a "$1" && installed b "$1" && installed c "$1"; }
t_check "every instance installs generation 1" wait_until 20 all_at 1
t_check "the bridges reach sync: one master each, two slaves" \
    wait_until 60 ha_in_sync a b c
echo "    masters: a $(roles_of a | cut -d' ' -f1), b $(roles_of b | cut -d' ' -f1), c $(roles_of c | cut -d' ' -f1) of $N bridges"
t_check "Open vSwitch: $N master and $((2 * N)) slave controller rows" \
    eval '[ "$(ovs_roles master)" = "$N" ] && [ "$(ovs_roles slave)" = $((2 * N)) ]'
t_check "metrics: flowchain_switch_master sums to $N over the instances" \
    eval '[ $(( $(masters_metric a) + $(masters_metric b) + $(masters_metric c) )) = "$N" ]'
t_check "slaves sent nothing: flow mods only from masters" eval \
    'for n in a b c; do [ "$(roles_of $n | cut -d" " -f1)" != 0 ] || [ "$(mods_of $n)" = 0 ] || exit 1; done'
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

# Failover: kill -9 the master of hv-host01/br-guest under ping -i 0.05
# (vm101-2 on hv-host02 -> vm101-1 on hv-host01: both guest bridges).
V=$(master_of hv-host01 br-guest)
t_check "hv-host01/br-guest has a master ($V)" test -n "$V"
SURV=()
for n in a b c; do [ "$n" = "$V" ] || SURV+=("$n"); done
m0=$(( $(mods_of "${SURV[0]}") + $(mods_of "${SURV[1]}") ))
lab_exec vm101-2 ping -n -i 0.05 -c 100 -W 1 10.8.101.1 >"$HA_DIR/ping" 2>&1 &
ping_pid=$!
sleep 1
eval "vpid=\$IPID_$V"
t0=$(date +%s%N)
kill -KILL "$vpid"; wait "$vpid" 2>/dev/null
t_check "${SURV[*]} take over every bridge, in sync" \
    wait_until 10 inst_in_sync "${SURV[@]}"
t_failover=$(( ($(date +%s%N) - t0) / 1000000 ))
# From the survivors' logs (UTC time stamps, milliseconds): the last master
# role granted after the kill, and the last read-back that followed (the
# switch holds the flows: in sync, nothing to send).
read -r t_claim t_read < <(/usr/bin/python3 - "$t0" "$HA_DIR/${SURV[0]}.log" "$HA_DIR/${SURV[1]}.log" <<'PY'
import datetime, sys
t0 = int(sys.argv[1]) / 1e9
last = {"this instance is master": None, ": switch holds ": None}
for f in sys.argv[2:]:
    for line in open(f):
        for key in last:
            if key not in line:
                continue
            ts = datetime.datetime.strptime(line.split("|")[0],
                                            "%Y-%m-%dT%H:%M:%S.%fZ")
            t = ts.replace(tzinfo=datetime.timezone.utc).timestamp()
            if t >= t0 and (last[key] is None or t > last[key]):
                last[key] = t
print(" ".join("?" if t is None else str(int((t - t0) * 1000))
               for t in last.values()))
PY
)
wait "$ping_pid"
read -r sent got < <(ping_counts "$HA_DIR/ping")
[ "${sent:-0}" -gt 0 ] || sed 's/^/    ping: /' "$HA_DIR/ping"
t_check "Open vSwitch: $N master controller rows" \
    wait_until 10 eval '[ "$(ovs_roles master)" = "$N" ]'
echo "    kill -9 of $V -> (survivors' logs) last master role granted: $t_claim ms, last read-back, in sync: $t_read ms; all in sync by their status: $t_failover ms (polled every 0.1 s); ping -i 0.05: $got of $sent"
t_check "no ping lost across the failover ($got/$sent)" \
    eval '[ "$sent" -gt 90 ] && [ "$sent" = "$got" ]'
m1=$(( $(mods_of "${SURV[0]}") + $(mods_of "${SURV[1]}") ))
t_check "the new masters sent 0 flow mods ($m0 -> $m1)" test "$m0" = "$m1"
t_check "${SURV[0]} and ${SURV[1]} see $V dead" \
    eval 'seen $V dead ${SURV[0]} && seen $V dead ${SURV[1]}'

# A change while $V is down applies through the others.
t_check "apply --db with $V down" fcdb "$B"
t_check "${SURV[*]} install generation 2" wait_until 20 eval \
    'installed ${SURV[0]} 2 && installed ${SURV[1]} 2'
t_check "the bridges enforce it: vm101-3 reaches vm101-1" \
    wait_until 30 ping_ok vm101-3 10.8.101.1
inst_start "$V" --listen="unix:$LAB_DIR/$V.sock"
t_check "the restarted $V reads generation 2" wait_until 20 installed "$V" 2
t_check "a sees $V live again" wait_until 10 seen "$V" live a
t_check "$V takes its bridges back: one master each, in sync" \
    wait_until 20 ha_in_sync a b c
t_check "$V master of hv-host01/br-guest again" \
    eval '[ "$(master_of hv-host01 br-guest)" = "$V" ]'
t_check "and it sent 0 flow mods doing so" eval '[ "$(mods_of $V)" = 0 ]'

# A foreign controller takes hv-host01/br-guest with generation 1000000:
# Open vSwitch demotes $V (role status), which stops writing, then takes
# the bridge back with a generation from the database above the switch's;
# the foreign controller, still running, asks again with its old
# generation and the switch refuses it as stale.
BG=$(lab_get hosts.hv-host01.dir)
/usr/bin/python3 "$FLOWCHAIN_SRCDIR/tests/lab/ofrole.py" --listen "$BG/foreign.sock" \
    --generation 1000000 --hold 2 --stale 1000000 >"$HA_DIR/foreign" 2>&1 &
fpid=$!
wait_until 10 test -S "$BG/foreign.sock"
lab_ovs hv-host01 ovs-vsctl -- --id=@f create controller \
    "target=\"unix:$BG/foreign.sock\"" -- add bridge br-guest controller @f \
    >/dev/null
wait "$fpid"; frc=$?
sed 's/^/    /' "$HA_DIR/foreign"
t_check "the foreign controller became master, then was refused as stale" \
    test "$frc" = 0
lab_ovs hv-host01 ovs-vsctl -- --if-exists remove bridge br-guest controller \
    "$(lab_ovs hv-host01 ovs-vsctl --bare --columns=_uuid find controller \
       "target=\"unix:$BG/foreign.sock\"")"
t_check "$V logged the demotion" \
    grep -q "another instance became master (generation 1000000)" "$HA_DIR/$V.log"
t_check "$V took the bridge back above generation 1000000" \
    grep -Eq "this instance is master \(generation 1000[0-9]{3}\)" "$HA_DIR/$V.log"
t_check "every bridge in sync again" wait_until 20 ha_in_sync a b c
t_check "$V sent 0 flow mods through all of it" eval '[ "$(mods_of $V)" = 0 ]'

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
t_check "the bridges stay in sync, roles unchanged" ha_in_sync a b c ||
    echo "    roles: a $(roles_of a), b $(roles_of b), c $(roles_of c); OVS: $(ovs_roles master) master, $(ovs_roles slave) slave rows"
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
t_check "the bridges are in sync" wait_until 60 ha_in_sync a b c
t_check "generation 4 (vm101-3's own MAC again) reaches the bridges" \
    wait_until 30 ping_ok vm101-3 10.8.101.1
t_check "no sanitizer report" not grep -q 'Sanitizer' \
    "$HA_DIR"/a.stderr "$HA_DIR"/b.stderr "$HA_DIR"/c.stderr ||
    grep -h -A30 'Sanitizer' "$HA_DIR"/*.stderr | head -60 | sed 's/^/    /' 
t_done
