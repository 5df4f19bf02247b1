# Bash helpers for flowchain lab tests.  Source it:
#
#   . "$(dirname "$0")/lib.sh"
#   lab_up tests/lab/wiring-intent.json [CONTROLLER-TARGET]
#   t_check "vm reaches gateway" ping_ok vm101-1 10.9.101.254
#   t_done
#
# lab_up makes LAB_DIR (mktemp), a prefix unique to this shell ($$) and a trap
# that tears the lab down on EXIT, INT and TERM.  Result lines are
# "PASS: <script>: <name>" / "FAIL: <script>: <name>"; the runner counts them.
# Nothing here touches the root network namespace.

LAB_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_PY="${LAB_PY:-$LAB_HOME/lab.py}"
LAB_PYTHON="${LAB_PYTHON:-/usr/bin/python3}"
T_PROG="${T_PROG:-$(basename "$0" .sh)}"
T_PASSED=0
T_FAILED=0
LAB_DIR="${LAB_DIR:-}"
LAB_PIDS=""
_LAB_DOWN_DONE=""

# lab INTENT...: runs lab.py with this test's LAB_DIR.
lab() {
    LAB_DIR="$LAB_DIR" "$LAB_PYTHON" "$LAB_PY" "$@"
}

# lab_up INTENT [CONTROLLER]: builds the lab.  CONTROLLER defaults to
# $LAB_CONTROLLER; "none" or empty means no controller; @LAB_DIR@ in it is
# replaced (e.g. unix:@LAB_DIR@/of.sock).  $LAB_UP_OPTS (word-split) are
# more options for `lab.py up` (e.g. --controller-ns).  Sets LAB_DIR and
# LAB_PREFIX.  Returns non-zero if the lab could not be built.
lab_up() {
    local intent=$1 ctl=${2-${LAB_CONTROLLER-}}
    LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fclab.XXXXXX") || return 1
    LAB_PREFIX="${LAB_PREFIX:-fc$$}"
    export LAB_DIR LAB_PREFIX
    # "@LAB_DIR@" in the controller target names this lab's directory.
    ctl=${ctl//@LAB_DIR@/$LAB_DIR}
    trap '_lab_exit_trap' EXIT
    trap '_lab_sig_trap 130' INT
    trap '_lab_sig_trap 143' TERM
    trap '_lab_sig_trap 129' HUP
    local args=(up "$intent" --dir "$LAB_DIR" --prefix "$LAB_PREFIX")
    if [ -n "$ctl" ] && [ "$ctl" != none ]; then
        args+=(--controller "${ctl//@LAB_DIR@/$LAB_DIR}")
    fi
    # shellcheck disable=SC2206
    args+=(${LAB_UP_OPTS:-})
    # In the background so that a signal interrupts the wait at once.
    # (An async command of a non-interactive shell ignores SIGINT, so a
    # Ctrl-C lets `up` finish its step list and lab_down then removes all.)
    lab "${args[@]}" &
    LAB_UP_PID=$!
    wait "$LAB_UP_PID"
}

_lab_exit_trap() {
    local rc=$?
    lab_down
    exit "$rc"
}

_lab_sig_trap() {
    trap - INT TERM HUP
    echo "lab: interrupted, tearing down" >&2
    lab_down
    exit "$1"
}

# _lab_pid_alive PID: true while PID runs (a zombie counts as gone).
_lab_pid_alive() {
    [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

# _lab_ppid PID: parent pid of PID.
_lab_ppid() {
    sed 's/^.*) . \([0-9]*\) .*/\1/' "/proc/$1/stat" 2>/dev/null
}

# lab_spawn CMD...: runs CMD in the background and kills it (by pid) in
# lab_down.  The pid is in $LAB_LAST_PID.
lab_spawn() {
    "$@" &
    LAB_LAST_PID=$!
    LAB_PIDS="$LAB_PIDS $LAB_LAST_PID"
}

# lab_down: stops spawned processes, the lab's daemons and namespaces;
# removes LAB_DIR unless LAB_KEEP=1, and the paths in $LAB_CLEANUP (files a
# test made outside LAB_DIR).  Idempotent.
lab_down() {
    [ -n "$_LAB_DOWN_DONE" ] && return 0
    _LAB_DOWN_DONE=1
    local p i
    # Only pids that are still children of this script (not reused pids):
    # of its main shell ($$), or of the subshell that runs the lab
    # ($BASHPID: bench/run.sh runs each lab in a subshell).
    local mine="" pp
    for p in $LAB_PIDS; do
        pp=$(_lab_ppid "$p")
        if _lab_pid_alive "$p" && { [ "$pp" = "$$" ] || [ "$pp" = "$BASHPID" ]; }; then
            mine="$mine $p"
        fi
    done
    LAB_PIDS=$mine
    # A shell function started by lab_spawn (lab_spawn lab_exec VM CMD)
    # runs in a subshell whose child is the command itself: stop that
    # child too (by pid, found before its parent dies), or it outlives the
    # lab.
    local kids=""
    for p in $LAB_PIDS; do
        kids="$kids $(ps -o pid= --ppid "$p" 2>/dev/null)"
    done
    for p in $kids $LAB_PIDS; do
        kill "$p" 2>/dev/null
    done
    # `wait` only works for children of this shell (lab_down may run in a
    # subshell, e.g. under t_check): poll /proc as well, SIGKILL after 5 s.
    for p in $LAB_PIDS $kids; do
        wait "$p" 2>/dev/null
        for i in $(seq 50); do
            _lab_pid_alive "$p" || break
            sleep 0.1
        done
        _lab_pid_alive "$p" && kill -KILL "$p" 2>/dev/null
    done
    LAB_PIDS=""
    for p in ${LAB_CLEANUP:-}; do
        rm -rf "$p"
    done
    [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] || return 0
    # The lab may still be coming up (interrupted): wait for lab.py up.
    [ -n "${LAB_UP_PID:-}" ] && wait "$LAB_UP_PID" 2>/dev/null
    if lab down --dir "$LAB_DIR"; then
        if [ "${LAB_KEEP:-0}" = 1 ]; then
            echo "lab: kept $LAB_DIR" >&2
        else
            rm -rf "$LAB_DIR" 2>/dev/null || { sleep 0.5; rm -rf "$LAB_DIR"; }
        fi
    else
        echo "lab: teardown reported errors; files kept in $LAB_DIR" >&2
        return 1
    fi
}

# lab_ovs HOST CMD...: an OVS tool against HOST's daemons ("phys" = the
# physical switch).  Example: lab_ovs hv-host01 ovs-ofctl -O OpenFlow13 dump-flows br0
lab_ovs() {
    lab ovs "$@"
}

# lab_exec NAME CMD...: CMD inside the namespace of a VM, an adapter
# ("host/adapter"), the router ("router"), the physical switch ("phys") or a
# host.
lab_exec() {
    lab exec "$@"
}

# lab_get KEY...: a value from lab.json, dotted keys
# (lab_get vms.vm101-1.nics.0.ip).
lab_get() {
    lab get "$@"
}

# lab_move_port PORT FROM TO [BRIDGE]: the cutover of a live migration for
# one VM port: removes PORT from BRIDGE (default br-guest) of host FROM,
# moves its veth into host TO's namespace, waits 100 ms (the VM paused) and
# adds it to BRIDGE of TO.  The VM's own namespace, MAC and addresses stay.
lab_move_port() {
    local port=$1 from=$2 to=$3 br=${4:-br-guest}
    lab_ovs "$from" ovs-vsctl del-port "$br" "$port" &&
    ip -n "$(lab_get "hosts.$from.ns")" link set "$port" \
        netns "$(lab_get "hosts.$to.ns")" &&
    sleep 0.1 &&
    ip -n "$(lab_get "hosts.$to.ns")" link set "$port" up &&
    lab_ovs "$to" ovs-vsctl add-port "$br" "$port"
}

# ping_ok NAME IP: true when NAME gets an answer from IP (3 tries).
ping_ok() {
    lab_exec "$1" ping -n -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1
}

# ping_fails NAME IP: true when NAME gets no answer from IP.
ping_fails() {
    ! lab_exec "$1" ping -n -q -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1
}

# wait_until TIMEOUT CMD...: polls CMD every 0.1 s until it succeeds (0) or
# TIMEOUT seconds pass (1).
wait_until() {
    local timeout=$1
    shift
    local deadline
    deadline=$(( $(date +%s%N) + ${timeout%.*} * 1000000000 ))
    while :; do
        "$@" && return 0
        [ "$(date +%s%N)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

t_pass() {
    echo "PASS: $T_PROG: $*"
    T_PASSED=$((T_PASSED + 1))
}

t_fail() {
    echo "FAIL: $T_PROG: $*"
    T_FAILED=$((T_FAILED + 1))
}

# t_check NAME CMD...: PASS when CMD succeeds, else FAIL with its output.
t_check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        t_pass "$name"
    else
        t_fail "$name"
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /' >&2
    fi
}

# t_done: exit status of the test script (1 if anything failed).
t_done() {
    [ "$T_FAILED" -eq 0 ]
}
