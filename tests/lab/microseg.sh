# Helpers for the microsegmentation lab tests (test-microseg-*.sh).  Source
# after lib.sh and fcd.sh.
#
# The lab intent is microseg-intent.json: one VLAN (vlan101, 10.8.101.0/24)
# over two hosts; the router's gateway 10.8.101.254 is outside the intent.
#
#   VM    host       categories                   address
#   web1  hv-host01  AppTier=web  Environment=prod  10.8.101.11
#   app1  hv-host02  AppTier=app  Environment=prod  10.8.101.21
#   app2  hv-host01  AppTier=app  Environment=prod  10.8.101.22
#   db1   hv-host02  AppTier=db   Environment=prod  10.8.101.31
#   dev1  hv-host01  AppTier=web  Environment=dev   10.8.101.41
#   fx1   hv-host02  AppTier=forensics              10.8.101.51
#
# Policies: prod-dev (isolation), web-in (web accepts nothing), web-app (app
# accepts tcp/8080 and 9000-9010 from web, icmp from the router), app-db
# (db accepts tcp/5432 from app).
#
# Every VM and the router run an echo server (tcpsess.py) on MS_PORTS.

MS_INTENT=$LAB_HOME/microseg-intent.json
MS_PY=$LAB_HOME/tcpsess.py
MS_PORTS="22 5432 8080 9005"
MS_VMS="web1 app1 app2 db1 dev1 fx1"
WEB1=10.8.101.11 APP1=10.8.101.21 APP2=10.8.101.22 DB1=10.8.101.31
DEV1=10.8.101.41 FX1=10.8.101.51 ROUTER=10.8.101.254
MS_BR=br-guest

# ms_up [PYTHON [FLOWCHAIND-OPTIONS...]]: the lab, flowchaind on a live copy
# of the intent ($MS_LIVE; PYTHON, if not empty, edits it first as in
# ms_edit), and the echo servers.  Exits the test if the lab cannot be
# built.
ms_up() {
    local edit=${1:-}
    [ $# -gt 0 ] && shift
    lab_up "$MS_INTENT" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
    MS_LIVE=$LAB_DIR/intent.json
    cp "$MS_INTENT" "$MS_LIVE"
    if [ -n "$edit" ]; then
        ms_rewrite "$edit" || { t_fail "intent edit"; exit 1; }
    fi
    fcd_start "$MS_LIVE" "$@"
    t_check "all bridges reach sync" wait_until 60 fcd_all_in_sync 6
    local ns
    for ns in $MS_VMS router; do
        # shellcheck disable=SC2086
        ms_spawn "$ns" /usr/bin/python3 "$MS_PY" server $MS_PORTS
    done
    for ns in $MS_VMS router; do
        wait_until 5 ms_listening "$ns" || t_fail "echo servers of $ns"
    done
}

# ms_spawn NAME CMD...: lab_spawn of CMD in the namespace of NAME (a VM,
# "router"...).  `ip netns exec` execs CMD, so the pid that lab_down kills
# is CMD's own (lab_spawn lab_exec would leave CMD orphaned: lab_exec is
# a function, its pid a subshell).
ms_spawn() {
    local ns
    ns=$(lab_get "names.$1") || return 1
    shift
    lab_spawn ip netns exec "$ns" "$@"
}

# ms_listening NAME: every port of MS_PORTS listens in NAME's namespace.
ms_listening() {
    local n
    n=$(lab_exec "$1" ss -Hltn 2>/dev/null | wc -l)
    [ "$n" -ge "$(echo $MS_PORTS | wc -w)" ]
}

# tcp_ok FROM IP PORT: a TCP connection from FROM to IP:PORT is accepted.
tcp_ok() {
    lab_exec "$1" nc -n -z -w 2 "$2" "$3" >/dev/null 2>&1
}

# tcp_fails FROM IP PORT: it is not (no answer within 2 s).
tcp_fails() {
    ! tcp_ok "$@"
}

# ms_rewrite PYTHON: runs PYTHON with 'd' (the live intent, parsed) in
# scope and writes the result back (a new file moved over the old one).
ms_rewrite() {
    /usr/bin/python3 - "$MS_LIVE" "$1" <<'PY' || return 1
import json, sys
path, code = sys.argv[1], sys.argv[2]
d = json.load(open(path))
def pol(name):
    return next(p for p in d["policies"] if p["name"] == name)
exec(code)
json.dump(d, open(path + ".new", "w"), indent=1)
PY
    mv "$MS_LIVE.new" "$MS_LIVE"
}

# ms_edit PYTHON: ms_rewrite, then `flowchainctl reload`; fails if the
# reload is refused.  In PYTHON, pol(NAME) is the policy named NAME.
# Example: ms_edit 'pol("web-app")["mode"] = "monitor"'
ms_edit() {
    ms_rewrite "$1" && fcctl reload >/dev/null
}

# ---------------------------------------------------------------- sessions

# sess_start NAME FROM IP PORT: a long-lived echo session (tcpsess.py
# client) from FROM to IP:PORT; true once it is up (5 s at most).  Do not
# run it under t_check (a subshell): the client would not be known to
# lab_down.  Check it with sess_alive.
sess_start() {
    local f=$LAB_DIR/sess-$1
    rm -f "$f"
    ms_spawn "$2" /usr/bin/python3 "$MS_PY" client "$3" "$4" "$f"
    wait_until 5 grep -qs "^up\\|^ok" "$f"
}

# sess_count NAME: echoes the session has had (0 if none or broken).
sess_count() {
    sed -n 's/^ok \([0-9]*\) .*/\1/p' "$LAB_DIR/sess-$1" 2>/dev/null
}

# sess_alive NAME: the session is still echoing (its count rises within
# 3 s).
sess_alive() {
    local n
    n=$(sess_count "$1")
    wait_until 3 _sess_beyond "$1" "${n:-0}" || { cat "$LAB_DIR/sess-$1"; false; }
}

_sess_beyond() {
    local m
    m=$(sess_count "$1")
    [ -n "$m" ] && [ "$m" -gt "$2" ]
}

# sess_broken NAME: the client noticed that the session is dead.
sess_broken() {
    grep -q '^broken' "$LAB_DIR/sess-$1" 2>/dev/null
}

# sess_cut_after NAME T0: "X Y": seconds from T0 (epoch seconds) to the
# session's last echo (X: where the cut was, within the 0.1 s between
# two lines) and to when the client noticed (Y: last echo + 1 s timeout).
sess_cut_after() {
    awk -v t0="$2" '/^broken/ { printf "%.2f %.2f\n", $3 - t0, $2 - t0 }' \
        "$LAB_DIR/sess-$1"
}

# -------------------------------------------------------- counters, logs

# stat_of POLICY DIRECTION RULE VERDICT: packets in policy-stats.
stat_of() {
    fcctl policy-stats | awk -v p="$1" -v d="$2" -v r="$3" -v v="$4" \
        '$1 == p && $2 == d && $3 == r && $4 == v { n += $5 } END { print n + 0 }'
}

# pol_cookie KIND POLICY [RULE-BITS]: the cookie of POLICY's flows of KIND
# (policy, allow, deny, monitor) as pipelines/pipeline.h defines it:
# 0xfc, the kind, the low 40 bits of the FNV-1a hash of the name, the rule
# bits.
pol_cookie() {
    /usr/bin/python3 - "$@" <<'PY'
import sys
kinds = {"policy": 6, "allow": 7, "deny": 8, "monitor": 9}
h = 0xcbf29ce484222325
for b in sys.argv[2].encode():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
bits = int(sys.argv[3], 0) if len(sys.argv) > 3 else 0
print("0x%016x" % (0xfc << 56 | kinds[sys.argv[1]] << 48
                   | (h & ((1 << 40) - 1)) << 8 | bits))
PY
}

# flow_pkts HOST KIND POLICY [RULE-BITS]: n_packets summed over the flows
# of $MS_BR on HOST with that cookie (every rule of the policy when
# RULE-BITS is left out).
flow_pkts() {
    local c mask=0xffffffffffffff00
    c=$(pol_cookie "$2" "$3" "${4:-0}")
    [ $# -ge 4 ] && mask=0xffffffffffffffff
    lab_ovs "$1" ovs-ofctl -O OpenFlow13 dump-flows "$MS_BR" "cookie=$c/$mask" |
        sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' | awk '{n += $1} END {print n + 0}'
}

# rose BEFORE AFTER: AFTER > BEFORE (for t_check lines that say so).
rose() {
    [ "$2" -gt "$1" ]
}

# hit_lines [REGEX]: "policy hit:" lines in flowchaind's log (matching
# REGEX, an extended regular expression).
hit_lines() {
    grep 'policy hit:' "$FCD_LOG" | grep -cE -- "${1:-.}"
}

# ms_trace HOST FLOW [CT-STATES]: ofproto/trace of FLOW on $MS_BR of HOST,
# with --ct-next CT-STATES (default trk,new) for the conntrack recirculation.
ms_trace() {
    lab_ovs "$1" ovs-appctl ofproto/trace "$MS_BR" "$2" --ct-next "${3:-trk,new}" 2>&1
}

# vm_mac VM: the MAC of VM's first NIC.
vm_mac() {
    lab_get "vms.$1.nics.0.mac"
}

# ofport HOST PORT: the OpenFlow port number of PORT on $MS_BR of HOST.
ofport() {
    lab_get "hosts.$1.bridges.$MS_BR.ports.$2.ofport"
}

# trace_outputs TRACE OFPORT: the (last) trace in TRACE outputs the packet
# to OFPORT and the datapath forwards it.
trace_outputs() {
    grep -q "^ *output:$2\$" <<<"$1" &&
        ! grep "^Datapath actions:" <<<"$1" | tail -1 | grep -q ': drop$'
}

# trace_decided_by TRACE COOKIE: a verdict flow (table 33 or 58) with
# COOKIE matched in TRACE, and the datapath forwards the packet nowhere: it
# drops it, only samples it to the controller (a logged new connection),
# or only commits it to conntrack (an established one, cut with ct_mark=1).
trace_decided_by() {
    grep -qE "^ *(33|58)\. .*cookie $2\$" <<<"$1" || return 1
    local act re
    act=$(grep "^Datapath actions:" <<<"$1" | tail -1)
    re='^Datapath actions: (drop|ct\(commit[^()]*\)|sample\(.*controller.*\)\)\))$'
    [[ $act =~ $re ]] || { echo "forwarded: $act"; false; }
}
