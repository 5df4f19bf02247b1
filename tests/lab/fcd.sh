# Helpers to run flowchaind in a lab test.  Source after lib.sh.
#
#   fcd_start INTENT [EXTRA-OPTIONS...]   starts flowchaind listening on
#       unix:$LAB_DIR/of.sock and tcp:127.0.0.1:$FCD_TCP_PORT, control socket
#       $FCD_CTL (default $LAB_DIR/flowchaind.ctl), log $FCD_LOG; waits
#       until the control socket answers.
#       With FCD_NETNS set, flowchaind runs in that network namespace (the
#       lab's "ctl" namespace of `lab.py up --controller-ns`).
#   fcd_stop                              SIGTERM, waits, checks the exit.
#   fcctl ARGS...                         flowchainctl against FCD_CTL.
#   fcd_flow_mods, fcd_roles              figures from its status (set
#                                         FCD_CTL for another instance).

FCD_BIN=${FLOWCHAIN_BUILDDIR:-$LAB_HOME/../../build}

# not CMD...: succeeds when CMD fails (for t_check).
not() {
    ! "$@"
}

fcctl() {
    "$FCD_BIN/flowchainctl" --control "$FCD_CTL" "$@"
}

# A TCP port on 127.0.0.1 that is free now.
fcd_free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

fcd_start() {
    local intent=$1; shift
    FCD_CTL=${FCD_CTL:-$LAB_DIR/flowchaind.ctl}
    FCD_LOG=$LAB_DIR/flowchaind.log
    FCD_TCP_PORT=${FCD_TCP_PORT:-$(fcd_free_port)}
    local netns=()
    [ -n "${FCD_NETNS:-}" ] && netns=(ip netns exec "$FCD_NETNS")
    lab_spawn "${netns[@]}" "$FCD_BIN/flowchaind" --intent "$intent" \
        --listen "unix:$LAB_DIR/of.sock" \
        --listen "tcp:127.0.0.1:$FCD_TCP_PORT" \
        --control "$FCD_CTL" --log-file="$FCD_LOG" "$@" \
        2>>"$LAB_DIR/flowchaind.stderr"
    FCD_PID=$LAB_LAST_PID
    wait_until 20 fcctl version >/dev/null 2>&1
}

fcd_stop() {
    [ -n "${FCD_PID:-}" ] || return 0
    kill -TERM "$FCD_PID" 2>/dev/null
    wait "$FCD_PID"
    local rc=$?
    FCD_PID=
    return $rc
}

# fcd_n_bridges INTENT: number of bridges the intent declares.
fcd_n_bridges() {
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(h["bridges"]) for h in d["hosts"]))' "$1"
}

# fcd_all_in_sync N: true when N switches report "sync: in sync".
fcd_all_in_sync() {
    [ "$(fcctl status 2>/dev/null | grep -c 'sync: in sync')" -ge "$1" ]
}

# fcd_flow_mods: flow mods flowchaind sent since it started.
fcd_flow_mods() {
    fcctl status | sed -n 's/^flow mods sent since start: \([0-9]*\),.*/\1/p'
}

# fcd_roles: "MASTERS INSYNC SLAVES" from the "roles:" line of the status of
# a flowchaind --db instance (docs/ha.md); nothing if it does not answer.
fcd_roles() {
    fcctl status 2>/dev/null | sed -nE \
        's/^roles: master of ([0-9]+) switche?s? \(([0-9]+) in sync\), slave of ([0-9]+),.*/\1 \2 \3/p'
}

# lab_flows HOST BRIDGE: the switch's flows without counters, sorted.
lab_flows() {
    lab_ovs "$1" ovs-ofctl -O OpenFlow13 --no-stats dump-flows "$2" | sort
}

# lab_trace HOST BRIDGE FLOW: ofproto/trace output.
lab_trace() {
    lab_ovs "$1" ovs-appctl ofproto/trace "$2" "$3"
}

# fcd_lab INTENT [FLOWCHAIND-OPTIONS...]: builds the lab from INTENT, starts
# flowchaind on it, and checks that every bridge reaches sync.  Exits the
# test if the lab cannot be built.
fcd_lab() {
    local intent=$1; shift
    lab_up "$intent" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
    fcd_start "$intent" "$@"
    t_check "all bridges reach sync" \
        wait_until 60 fcd_all_in_sync "$(fcd_n_bridges "$intent")"
}

# ping_counts FILE: "SENT RECEIVED" from the summary of ping's output.
ping_counts() {
    local sent got
    sent=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$1")
    got=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$1")
    echo "${sent:-0} ${got:-0}"
}
