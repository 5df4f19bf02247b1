#!/bin/bash
# Bounded peers: a cap on connections; no accept() spin when file
# descriptors run out (listening pauses until one is free); our own read
# pause (too much queued for a switch) does not count as the switch being
# silent.  A real switch (one-host lab) keeps its session throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

PY=/usr/bin/python3
N_FAKE_VMS=1800                 # about 3 MiB of bundle for the fake switch
INTENT=$(mktemp /tmp/fclimits.XXXXXX.json)
LAB_CLEANUP=$INTENT
trap 'rm -f "$INTENT"' EXIT
$PY "$LAB_HOME/fakeswitch.py" intent "$LAB_HOME/one-host.json" \
    "$N_FAKE_VMS" "$INTENT" || { t_fail "fake switch intent"; exit 1; }

# The lab has the real host h1 only; the fake switch's host exists only in
# the intent flowchaind runs.
lab_up "$LAB_HOME/one-host.json" "unix:@LAB_DIR@/of.sock" ||
    { t_fail "lab up"; exit 1; }
fcd_start "$INTENT" --max-connections=4 --handshake-timeout=30
t_check "the real switch reaches sync" wait_until 60 fcd_all_in_sync 1
status_has() { fcctl status --ports 2>/dev/null | grep -q -- "$1"; }
good_peer() { fcctl status --ports | grep -A1 "^switch 00000000000000a1" | grep "peer:" | sed 's/, connected.*//'; }
peer0=$(good_peer)

# --- The connection cap: 4, one of them the real switch. ---------------
# flood.py N HOLD OUT: opens N connections to the TCP port, then writes
# "open=X closed=Y" to OUT (closed: the controller hung up at once) and
# holds the open ones for HOLD seconds.
cat > "$LAB_DIR/flood.py" <<'EOF'
import socket, sys, time
host, port, n, hold, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
socks = []
for i in range(n):
    try:
        socks.append(socket.create_connection((host, port), timeout=5))
    except OSError as e:
        socks.append(None)
time.sleep(1.5)
n_open = n_closed = 0
for s in socks:
    if s is None:
        n_closed += 1
        continue
    s.setblocking(False)
    try:
        data = s.recv(1, socket.MSG_PEEK)
        if data:
            n_open += 1
        else:
            n_closed += 1
    except BlockingIOError:
        n_open += 1
    except ConnectionResetError:
        n_closed += 1
with open(out + ".tmp", "w") as f:
    f.write("open=%d closed=%d\n" % (n_open, n_closed))
import os; os.rename(out + ".tmp", out)
time.sleep(hold)
EOF
lab_spawn $PY "$LAB_DIR/flood.py" 127.0.0.1 "$FCD_TCP_PORT" 10 8 "$LAB_DIR/flood1"
flood_pid=$LAB_LAST_PID
wait_until 30 test -e "$LAB_DIR/flood1"
echo "    10 idle connections over the cap of 4: $(cat "$LAB_DIR/flood1")"
t_check "with --max-connections=4, 3 idle connections are kept, 7 closed at once" \
    grep -qx "open=3 closed=7" "$LAB_DIR/flood1"
t_check "the status lists 3 connections handshaking" \
    eval '[ "$(fcctl status | grep -c "^connection tcp:127.0.0.1:[0-9]*: handshaking")" -eq 3 ]'
t_check "the refusals are logged" \
    grep -q "refused: connection limit reached (4 open, --max-connections)" "$FCD_LOG"
t_check "the real switch kept its session" [ "$(good_peer)" = "$peer0" ]
wait "$flood_pid"
no_handshaking() { ! fcctl status | grep -q "handshaking"; }
t_check "once the idle peers leave, their connections are gone" \
    wait_until 20 no_handshaking
t_check "and a new peer is served again (bad peer closed for its HELLO 1.0)" \
    $PY "$LAB_HOME/badpeer.py" hello10 127.0.0.1 "$FCD_TCP_PORT" 20

# --- Out of file descriptors: a second flowchaind with 48 of them. ------
PORT2=$(fcd_free_port)
CTL2=$LAB_DIR/fcd2.ctl LOG2=$LAB_DIR/fcd2.log
lab_spawn prlimit --nofile=48:48 "$FCD_BIN/flowchaind" --intent "$INTENT" \
    --listen "tcp:127.0.0.1:$PORT2" --listen "unix:$LAB_DIR/of2.sock" \
    --control "$CTL2" --log-file="$LOG2" \
    --handshake-timeout=60 2>>"$LAB_DIR/fcd2.stderr"
FCD2_PID=$LAB_LAST_PID
wait_until 20 "$FCD_BIN/flowchainctl" --control "$CTL2" version >/dev/null 2>&1
cpu() { awk '{print $14 + $15}' "/proc/$FCD2_PID/stat"; }
lab_spawn $PY "$LAB_DIR/flood.py" 127.0.0.1 "$PORT2" 80 4 "$LAB_DIR/flood2"
flood_pid=$LAB_LAST_PID
wait_until 30 test -e "$LAB_DIR/flood2"
# A control client too, while no descriptor is free.
lab_spawn timeout 30 "$FCD_BIN/flowchainctl" --control "$CTL2" version \
    > "$LAB_DIR/ctl2.out" 2>&1
ctl_pid=$LAB_LAST_PID
cpu0=$(cpu)
sleep 3
cpu1=$(cpu)
n_fail=$(grep -c "accept failed" "$LOG2")
echo "    80 connections against 48 file descriptors: $(cat "$LAB_DIR/flood2");" \
     "'accept failed' logged $n_fail time(s); CPU over 3 s: $((cpu1 - cpu0)) ticks"
t_check "accept() failing for lack of descriptors is logged once per socket, no spin" \
    eval '[ "$n_fail" -eq 2 ] &&
          grep -q "switchmgr|WARN|tcp:127.0.0.1:$PORT2: accept failed: Too many open files; not accepting new connections until one closes" "$LOG2" &&
          grep -q "ctlserver|WARN|$CTL2: accept failed: Too many open files; not accepting control clients until one leaves" "$LOG2"'
wait "$flood_pid"
wait "$ctl_pid"
t_check "the control client waiting meanwhile is answered once descriptors are free" \
    grep -q "^flowchaind " "$LAB_DIR/ctl2.out"
# (ovs-vswitchd connects to unix sockets in its run directory only.)
ln -s "$LAB_DIR/of2.sock" "$(lab_get hosts.h1.dir)/controller2.sock"
lab_ovs h1 ovs-vsctl add-br brz -- set bridge brz datapath_type=netdev \
    protocols=OpenFlow13 fail_mode=secure \
    other-config:datapath-id=00000000000000ee \
    -- set-controller brz "unix:$(lab_get hosts.h1.dir)/controller2.sock"
t_check "descriptors free again: a real switch connects and gets its table 0" \
    wait_until 40 eval '"$FCD_BIN/flowchainctl" --control "$CTL2" status |
                        grep -q "switch 00000000000000ee: not in the intent"'
lab_ovs h1 ovs-vsctl del-br brz
kill -TERM "$FCD2_PID"; wait "$FCD2_PID"; rc=$?
t_check "the second flowchaind exits cleanly (status $rc)" [ "$rc" -eq 0 ]

# --- Our read pause is not the switch's silence. --------------------------
fcd_stop; rc=$?
t_check "flowchaind exits cleanly on SIGTERM (status $rc)" [ "$rc" -eq 0 ]
fcd_start "$INTENT" --probe-interval=0.5 -vswitchmgr:file:dbg
t_check "restarted with --probe-interval=0.5, the real switch is in sync" \
    wait_until 60 fcd_all_in_sync 1
peer0=$(good_peer)
# The fake switch (datapath f1, $N_FAKE_VMS VM ports) reads 512 KiB/s and
# sends an echo request every 0.2 s.  When the bundle opens it also sends
# 30 echo requests of 64,000 bytes: their replies (1.9 MB, on top of the
# streaming bundle, itself bounded at 256 KiB queued) keep more than 1 MiB
# queued for it for seconds, so flowchaind stops reading it: its echoes
# wait unread, longer than the 1.5 s inactivity limit
# (--probe-interval=0.5).
t_check "a slow reader that is never silent gets its whole bundle" \
    $PY "$LAB_HOME/fakeswitch.py" run "$LAB_DIR/of.sock" "$N_FAKE_VMS" \
        --read-rate 524288 --echo-interval 0.2 --echo-burst 30 --hold 2 \
        --timeout 90
t_check "flowchaind paused reading it meanwhile (debug log)" \
    grep -qE "of\.sock#[0-9]+: pausing reading: [0-9]+ bytes queued" "$FCD_LOG"
t_check "and did not call it silent" not grep -q "no message for" "$FCD_LOG"
t_check "the fake switch was synced" \
    grep -q "switch 00000000000000f1: synced: [0-9]* flow mods" "$FCD_LOG"
t_check "the real switch kept its session throughout" [ "$(good_peer)" = "$peer0" ]

fcd_stop; rc=$?
t_check "flowchaind exits cleanly on SIGTERM (status $rc)" [ "$rc" -eq 0 ]
t_check "no sanitizer report from either flowchaind" \
    not grep -q "Sanitizer" "$LAB_DIR/flowchaind.stderr" "$LAB_DIR/fcd2.stderr"
t_done
