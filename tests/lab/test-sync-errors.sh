#!/bin/bash
# A message that a real ovs-vswitchd refuses inside a bundle.  Open vSwitch
# decodes each bundled message as it arrives; one it cannot take (here a
# flow in its read-only table 254, OFPBRC_EPERM, injected with the test
# hook FLOWCHAIN_TEST_EXTRA_FLOW) is answered with an error and left out,
# and the commit applies the rest.  flowchain must read the switch back
# after the error instead of assuming "rejected bundle = switch unchanged":
# otherwise every retry re-adds the groups already there and fails at
# commit with OFPGMFC_GROUP_EXISTS forever, and no later change (here a
# bond failover) reaches the switch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/tests/lab/one-host.json
export FLOWCHAIN_TEST_EXTRA_FLOW="table=254,priority=1,cookie=0xfc000000000000ee,actions=drop"
lab_up "$INTENT" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
fcd_start "$INTENT"
unset FLOWCHAIN_TEST_EXTRA_FLOW

log() { cat "$LAB_DIR"/flowchaind*.log; }
n_reads() { log | grep -c "switch holds"; }

t_check "the switch refused the injected flow inside the bundle (EPERM)" \
    wait_until 30 eval 'log | grep -q "switch rejected + table=254.*OFPBRC_EPERM"'
t_check "the error is summed up and the switch read back" \
    wait_until 10 eval 'log | grep -q "bundle 1: the switch rejected 1 of its"'
t_check "read back after the error (2 reads)" wait_until 10 eval '[ "$(n_reads)" -ge 2 ]'
t_check "the read-back found the groups the partial commit installed" \
    eval 'log | grep "switch holds" | tail -1 | grep -qv " 0 groups"'
n_switch=$(lab_flows h1 br0 | grep -c cookie=)
n_desired=$(fcctl flows --host h1 --bridge br0 | grep -c '^table=')
t_check "every other flow is on the switch ($n_switch of $n_desired)" \
    [ "$n_switch" -eq "$n_desired" ]
t_check "the VM reaches its gateway" ping_ok vm1 10.77.10.254

# The retry (5 s later) holds the refused flow only: no GROUP_EXISTS.
t_check "a retry happened (3 reads)" wait_until 20 eval '[ "$(n_reads)" -ge 3 ]'
t_check "no bundle failed with GROUP_EXISTS" \
    not eval 'log | grep -q GROUP_EXISTS'

# A later change still reaches the switch: the primary member goes down,
# so classify now accepts the uplink on up1 instead of up0 (same flows,
# other actions).
phys=$(lab_get "hosts.h1.bridges.br0.uplink.members.up0.phys_port")
up1=$(lab_get "hosts.h1.bridges.br0.ports.up1.ofport")
# (ovs-ofctl prints no "table=" for table 0.)
in_up1() { lab_flows h1 br0 | grep -v "table=" | grep -E "in_port=$up1[ ,]"; }
before=$(in_up1)
lab_exec phys ip link set "$phys" down
t_check "after a failover, the new classify flow reaches the switch" \
    wait_until 20 eval '[ "$(in_up1)" != "$before" ]'
t_check "and the VM reaches its gateway through up1" \
    wait_until 10 ping_ok vm1 10.77.10.254
t_check "still no GROUP_EXISTS" not eval 'log | grep -q GROUP_EXISTS'
echo "    $(log | grep -c 'switch rejected') rejections logged, $(n_reads) reads of the switch"
t_done
