# Helpers to run flowchaind in a lab test.  Source after lib.sh.
#
#   fcd_start INTENT [EXTRA-OPTIONS...]   starts flowchaind listening on
#       unix:$LAB_DIR/of.sock and tcp:127.0.0.1:$FCD_TCP_PORT, control socket
#       $FCD_CTL, log $FCD_LOG; waits until the control socket answers.
#   fcd_stop                              SIGTERM, waits, checks the exit.
#   fcctl ARGS...                         flowchainctl against FCD_CTL.

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
    FCD_CTL=$LAB_DIR/flowchaind.ctl
    FCD_LOG=$LAB_DIR/flowchaind.log
    FCD_TCP_PORT=${FCD_TCP_PORT:-$(fcd_free_port)}
    lab_spawn "$FCD_BIN/flowchaind" --intent "$intent" \
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
