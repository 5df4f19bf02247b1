#!/bin/bash
# Switch sessions against a real ovs-vswitchd: the switch connects and is
# listed with its DPID and ports; port changes show up; a restarted
# ovs-vswitchd reconnects; misbehaving peers are closed while the real
# switch keeps its session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$LAB_HOME/one-host.json
DPID=00000000000000a1

fcd_lab "$INTENT" --handshake-timeout=2

status_has() { fcctl status --ports 2>/dev/null | grep -q -- "$1"; }

t_check "the switch shows its DPID, host and bridge" \
    status_has "switch $DPID: host h1 bridge br0"

# Every port OVS reports, with its OpenFlow number and name, is in the status.
ports_match() {
    local show status ok=0
    show=$(lab_ovs h1 ovs-ofctl -O OpenFlow13 show br0) || return 1
    status=$(fcctl status --ports) || return 1
    while read -r num name; do
        grep -qE "^    $num $name (up|down)\$" <<<"$status" || {
            echo "missing in status: $num $name"; ok=1; }
    done < <(sed -nE 's/^ *([0-9]+|LOCAL)\(([^)]+)\):.*/\1 \2/p' <<<"$show")
    [ "$(grep -cE '^ *([0-9]+|LOCAL)\(' <<<"$show")" -ge 4 ] || {
        echo "expected at least 4 ports in ovs-ofctl show"; ok=1; }
    return $ok
}
t_check "status lists every port with its number and name" \
    wait_until 10 ports_match

lab_ovs h1 ovs-vsctl add-port br0 extra0 -- set interface extra0 type=internal
t_check "an added port appears in the status" \
    wait_until 30 status_has " extra0 "
lab_ovs h1 ovs-vsctl del-port br0 extra0
port_gone() { ! fcctl status --ports | grep -q " extra0 "; }
t_check "a deleted port disappears from the status" wait_until 30 port_gone

t_check "ovs-appctl speaks to the control socket too" \
    eval 'ovs-appctl -t "$FCD_CTL" status | grep -q "switch $DPID: host h1 bridge br0"'
t_check "the switch was given its flows in one bundle" \
    wait_until 20 status_has "sync: in sync"

# A bridge whose datapath ID is not in the intent: drop-everything table 0.
target=$(lab_get hosts.h1.controller_target)
lab_ovs h1 ovs-vsctl add-br brx -- set bridge brx datapath_type=netdev \
    protocols=OpenFlow13 fail_mode=secure \
    other-config:datapath-id=00000000000000ee -- set-controller brx "$target"
t_check "an unknown datapath connects and is flagged" \
    wait_until 30 status_has "switch 00000000000000ee: not in the intent"
t_check "the unknown datapath's warning is logged" \
    wait_until 10 grep -q "00000000000000ee ready.*not in the intent" "$FCD_LOG"
only_drop() {
    local f
    f=$(lab_ovs h1 ovs-ofctl -O OpenFlow13 --no-stats dump-flows brx)
    # (dump-flows omits "table=0" for table 0)
    [ "$(grep -c "cookie=" <<<"$f")" -eq 1 ] && ! grep -q "table=" <<<"$f" &&
        grep -qE "priority=0 actions=drop" <<<"$f"
}
t_check "the unknown datapath gets one table-0 drop flow, no other host's flows" \
    wait_until 20 only_drop
lab_ovs h1 ovs-vsctl del-br brx

peer_before=$(fcctl status --ports | grep -m1 "peer:" | sed 's/, connected.*//')
lab kill-vswitchd h1
switch_gone() { ! status_has "switch $DPID"; }
t_check "a killed ovs-vswitchd drops the session" wait_until 30 switch_gone
lab start-vswitchd h1 >/dev/null
t_check "a restarted ovs-vswitchd reconnects" \
    wait_until 60 status_has "switch $DPID: host h1 bridge br0"
peer_after=$(fcctl status --ports | grep -m1 "peer:" | sed 's/, connected.*//')
t_check "the reconnection is a new session" [ "$peer_before" != "$peer_after" ]

# The control socket: a second daemon may not steal it; log levels change
# at run time.
t_check "a second flowchaind on the same control socket is refused" \
    eval '! timeout 10 "$FCD_BIN/flowchaind" --listen "unix:$LAB_DIR/of2.sock" \
              --control "$FCD_CTL" > "$LAB_DIR/second.out" 2>&1 &&
          grep -q "another daemon is answering" "$LAB_DIR/second.out"'
t_check "and the first still answers" fcctl version
t_check "vlog/set changes a log level at run time" \
    eval 'fcctl vlog/set switchmgr:file:dbg && fcctl vlog/list | grep -E "^switchmgr +[A-Z]+ +[A-Z]+ +DBG"'
t_check "vlog/set rejects nonsense" not fcctl vlog/set nosuchmodule:dbg
fcctl vlog/set switchmgr:file:info >/dev/null

# Bad peers on TCP while the real switch stays connected over unix.
good_peer=$(fcctl status --ports | grep -m1 "peer:" | sed 's/, connected.*//')
for mode in garbage hello10 short65535 noread; do
    t_check "bad peer '$mode' is closed" \
        /usr/bin/python3 "$LAB_HOME/badpeer.py" "$mode" 127.0.0.1 \
            "$FCD_TCP_PORT" 20
done
t_check "each bad peer is closed with a log line" \
    [ "$(grep -c 'tcp:127.0.0.1:[0-9]*: closing connection' "$FCD_LOG")" -ge 4 ]
t_check "a peer that never reads is cut before it costs memory" \
    grep -qE "switch not reading|handshake not finished" "$FCD_LOG"
t_check "no send queue grew past the read-pause mark" \
    not grep -q "transmit queue full" "$FCD_LOG"
grep 'closing connection' "$FCD_LOG" | sed 's/^/    log: /'
t_check "HELLO of OpenFlow 1.0 is refused with a reason" \
    grep -q "HELLO_FAILED: flowchain speaks OpenFlow 1.3 only; peer offers 1.0" "$FCD_LOG"
t_check "the real switch kept its session through the bad peers" \
    [ "$(fcctl status --ports | grep -m1 'peer:' | sed 's/, connected.*//')" = "$good_peer" ]
t_check "the real switch is still ready" status_has "switch $DPID: host h1"

fcd_stop; rc=$?
t_check "flowchaind exits cleanly on SIGTERM (status $rc)" [ "$rc" -eq 0 ]
t_check "no sanitizer report from flowchaind" \
    not grep -q "Sanitizer" "$LAB_DIR/flowchaind.stderr"
t_done
