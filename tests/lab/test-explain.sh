#!/bin/bash
# flowchainctl explain against the real switches: a lab of
# explain-intent.json (microseg-intent.json plus VMs on vlan102, a VM on
# the active-backup bridge, a strict quarantine, an outbound application
# policy with rules by peer class, a monitored policy for fx2; app-db and
# dev-out log their denials), flowchaind, then explain-diff.py compares
# explain with ofproto/trace (--ct-next trk,new) for EXPLAIN_N (300) random packets on
# the first bridge and on the bridge across the uplink: the flows matched,
# the output ports, the copies to the controller.  A few explanations are
# also checked for what they say (the deciding policy, the notes).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$LAB_HOME/explain-intent.json
fcd_lab "$INTENT"

# diff_ok: explain-diff.py (its summary is printed either way: seed, the
# number of bridges compared, the verdicts seen).
diff_ok() {
    "$LAB_PYTHON" "$LAB_HOME/explain-diff.py" --intent "$INTENT" \
        --lab-dir "$LAB_DIR" --flowchainctl "$FCD_BIN/flowchainctl" \
        --control "$FCD_CTL" --count "${EXPLAIN_N:-300}" \
        ${EXPLAIN_SEED:+--seed "$EXPLAIN_SEED"} > "$LAB_DIR/diff.out" 2>&1
}
diff_ok; diff_rc=$?
sed -n 's/^\(seed\|compared\) /  &/p' "$LAB_DIR/diff.out"
t_check "explain agrees with ofproto/trace on ${EXPLAIN_N:-300} random packets" \
    eval '[ "$diff_rc" -eq 0 ] || { cat "$LAB_DIR/diff.out"; false; }'

# explain_has ARGS... -- PATTERN...: the text of `explain ARGS` has a line
# matching each extended regular expression PATTERN.
explain_has() {
    local args=() out pat
    while [ "$1" != "--" ]; do args+=("$1"); shift; done
    shift
    out=$(fcctl explain "${args[@]}") || { echo "explain failed"; return 1; }
    for pat in "$@"; do
        grep -qE -- "$pat" <<<"$out" || { echo "no line matches: $pat"; echo "$out"; return 1; }
    done
}

t_check "web1 -> app1 tcp/8080: allowed by web-app's rule web-to-app on hv-host02, delivered to app1" \
    explain_has --from web1 --to app1 --tcp 8080 -- \
        '^  microsegmentation, destination side: allow: policy web-app inbound rule 1 "web-to-app": allow$' \
        '^result: delivered to VM app1 NIC 0 on hv-host02/br-guest$' \
        '^  across the uplink, VLAN 101, the physical network carries the frame to hv-host02/br-guest'
t_check "web1 -> app1 tcp/22: web-app's inbound default denies it at table 58" \
    explain_has --from web1 --to app1 --tcp 22 -- \
        '^  microsegmentation, destination side: deny: policy web-app inbound default: deny$' \
        '^result: dropped on hv-host02/br-guest at table 58$'
t_check "q1 -> app1: the strict quarantine q-strict denies it at the source" \
    explain_has --from q1 --to app1 --icmp -- \
        '^  microsegmentation, source side: deny: policy q-strict \(quarantine\): deny$' \
        '^result: dropped on hv-host02/br-guest at table 33$'
t_check "dev1 -> app2: the isolation prod-dev denies it" \
    explain_has --from dev1 --to app2 --tcp 8080 -- \
        '^  microsegmentation, source side: deny: policy prod-dev \(isolation\): deny$'
t_check "fx1 -> fx2 (no policy targets fx1): not policed, to the gateway (other network)" \
    explain_has --from fx1 --to fx2 --udp 53 -- \
        '^  microsegmentation, source side: not-policed: no policy targets VM fx1 NIC 0$' \
        '^note: dl_dst: 10\.8\.102\.52 is outside the sender.s network: the packet goes to the gateway 10\.8\.101\.254 of vlan101, whose MAC the intent does not know; assumed 02:fc:00:00:00:01' \
        '^result: leaves hv-host02/br-guest through the uplink guest-up toward the gateway'
t_check "dev2 -> dev1 tcp/8002: dev-out's rule to-web allows it at the source, by dev1's peer class" \
    explain_has --from dev2 --to dev1 --tcp 8002 -- \
        'table=34, priority=100, .*nw_dst=10\.8\.101\.41 actions=set_field:0x1->reg7' \
        'reg7=0x1/0x1,tp_dst=0x1f40/0xfffc ' \
        '^  microsegmentation, source side: allow: policy dev-out outbound rule 2 "to-web": allow$'
# Active-backup (br-mgmt): the uplink is the fast-failover group 1; its
# first live bucket, before and after the primary's cable is cut.
t_check "mon1 -> hv-host02's Management adapter: group 1's bucket 0 (Ethernet1), delivered across the uplink" \
    explain_has --from mon1 --to 10.8.10.12 -- \
        '^ +group 1 \(fast failover\): bucket 0, the first whose watch port 1 is live$' \
        '^  output: port 1 \(Ethernet1: member of the uplink mgmt-up\), tagged VLAN 10$' \
        '^result: delivered to host adapter Management on hv-host02/br-mgmt$'
member_live() { # HOST BRIDGE MEMBER up|down: the status shows it so
    fcctl status --ports | awk -v h="$1" -v b="$2" '
        /^switch/ {cur = ($0 ~ "host " h " bridge " b "$")}
        cur' | grep -qE "^    [0-9]+ $3 $4\$"
}
lab_exec phys ip link set "$(lab_get hosts.hv-host01.bridges.br-mgmt.uplink.members.Ethernet1.phys_port)" down
t_check "the controller saw hv-host01's Ethernet1 go down" \
    wait_until 10 member_live hv-host01 br-mgmt Ethernet1 down
t_check "mon1 -> Management: now bucket 1 (Ethernet2)" \
    explain_has --from mon1 --to 10.8.10.12 --tcp 22 -- \
        '^ +group 1 \(fast failover\): bucket 1, the first whose watch port 2 is live$' \
        '^result: delivered to host adapter Management on hv-host02/br-mgmt$'
t_check "  ... every bridge is in sync again" \
    wait_until 20 fcd_all_in_sync "$(fcd_n_bridges "$INTENT")"
t_check "  ... and ofproto/trace agrees, on both bridges" \
    "$LAB_PYTHON" "$LAB_HOME/explain-diff.py" --intent "$INTENT" \
        --lab-dir "$LAB_DIR" --flowchainctl "$FCD_BIN/flowchainctl" \
        --control "$FCD_CTL" --case "--from mon1 --to 10.8.10.12 --tcp 22" \
        --case "--from mon1 --to 10.8.10.11 --udp 53"
t_check "explain notes the conntrack simplification" \
    explain_has --from web1 --to app2 -- \
        '^note: conntrack: each ct\(\) is simulated as the first packet of a new connection \(ct_state=\+trk\+new\)'
# explain_fails STATUS MESSAGE ARGS...: `explain ARGS` exits with STATUS
# and says MESSAGE (a fixed string) on stderr.
explain_fails() {
    local want=$1 msg=$2 out rc; shift 2
    out=$(fcctl explain "$@" 2>&1 >/dev/null); rc=$?
    [ "$rc" -eq "$want" ] && grep -qF -- "$msg" <<<"$out" ||
        { echo "exit $rc: $out"; return 1; }
}
t_check "explain of an unknown VM fails (exit 1) and says so" \
    explain_fails 1 'unknown VM "nosuch"' --from nosuch --to app1
t_check "explain to a name that is neither a VM nor an address fails" \
    explain_fails 1 '"app9" is neither a VM of the intent nor an IPv4 address' --from web1 --to app9

# A NIC whose port the switch does not have has no flows: explain says so.
lab_ovs hv-host01 ovs-vsctl del-port br-guest tap10
t_check "fx2's port removed from hv-host01's switch: explain says it forwards nothing" \
    wait_until 10 explain_has --from fx2 --to web1 -- \
        '^  port tap10 of VM fx2 is not on the switch: it has no flows, nothing is forwarded$' \
        '^result: dropped: port tap10 is not on the switch of hv-host01/br-guest$'

t_done
