#!/bin/bash
# `flowchainctl diagram` against a running flowchaind and a real switch:
# the bridge drawn in sync with its bond members and VM port up; a member
# whose cable is cut drawn down; a VM port removed from the bridge drawn
# absent; the bridge whose controller connection is removed drawn not
# connected (its ports' state unknown), then in sync again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$LAB_HOME/one-host.json
fcd_lab "$INTENT"

diagram() {     # the daemon's DOT, checked by dot -Tsvg on the way
    fcctl diagram > "$LAB_DIR/diagram.dot" &&
        dot -Tsvg "$LAB_DIR/diagram.dot" > /dev/null &&
        cat "$LAB_DIR/diagram.dot"
}
drawn() {       # CLASS LABEL-START: a node of that class and label is drawn
    diagram | grep -qF "class=\"$1\", label=\"$2"
}
link() {        # MEMBER up|down: cut or restore the cable of br0's member
    lab_exec phys ip link set \
        "$(lab_get "hosts.h1.bridges.br0.uplink.members.$1.phys_port")" "$2"
}

t_check "diagram: br0 in sync" \
    drawn "bridge in-sync" 'bridge br0\ndpid 00000000000000a1\nin sync"'
t_check "diagram: bond br0-up, active-backup, both members up" \
    eval 'diagram > "$LAB_DIR/d1" &&
          grep -qF "label=\"uplink br0-up\nbond active-backup\"" "$LAB_DIR/d1" &&
          grep -qF "class=\"member up\", label=\"member up0\nlink up\"" "$LAB_DIR/d1" &&
          grep -qF "class=\"member up\", label=\"member up1\nlink up\"" "$LAB_DIR/d1"'
t_check "diagram: vm1's port tap1 up, with its MAC, IP and network" \
    drawn "nic up" 'port tap1\nMAC 02:00:00:00:01:01\nIP 10.77.10.1\nnetwork vlan10 (VLAN 10)\nlink up"'
t_check "diagram --format svg from the daemon" \
    eval 'fcctl diagram --format svg | grep -q "</svg>"'

link up0 down
t_check "up0's cable cut: the diagram marks member up0 down" \
    wait_until 10 drawn "member down" 'member up0\nlink down"'
t_check "and up1 still up, br0 still in sync" \
    eval 'drawn "member up" "member up1\nlink up\"" &&
          drawn "bridge in-sync" "bridge br0"'
link up0 up
t_check "up0's cable back: drawn up again" \
    wait_until 10 drawn "member up" 'member up0\nlink up"'

lab_ovs h1 ovs-vsctl del-port br0 tap1
t_check "tap1 removed from br0: drawn absent" \
    wait_until 10 drawn "nic absent" 'port tap1'

target=$(lab_ovs h1 ovs-vsctl get-controller br0)
lab_ovs h1 ovs-vsctl del-controller br0
t_check "br0's controller removed: drawn not connected, its members' state unknown" \
    wait_until 20 eval 'diagram > "$LAB_DIR/d2" &&
          grep -qF "class=\"bridge not-connected\", label=\"bridge br0\ndpid 00000000000000a1\nnot connected\"" "$LAB_DIR/d2" &&
          grep -qF "class=\"member unknown\", label=\"member up0\nstate unknown\"" "$LAB_DIR/d2"'
lab_ovs h1 ovs-vsctl set-controller br0 "$target"
t_check "controller set again: br0 back in sync" \
    wait_until 60 drawn "bridge in-sync" 'bridge br0'

fcd_stop; rc=$?
t_check "flowchaind exits cleanly (status $rc)" [ "$rc" -eq 0 ]
t_check "no sanitizer report" \
    not grep -q "LeakSanitizer\|runtime error\|AddressSanitizer" "$LAB_DIR/flowchaind.stderr"
t_done
