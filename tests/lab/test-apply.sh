#!/bin/bash
# `flowchainctl apply FILE` against a real switch: a valid file is planned,
# written over the daemon's own intent file and loaded once, and the
# switch gets the new VM's flows; an invalid one changes nothing (not the
# file, not the flows), whether the CLI or the daemon finds the errors; a
# file the caller cannot read fails in the CLI.  And the short `status`:
# one line per switch, the ports it lacks by name; `--ports` for every
# port; `--host` and `--bridge` filter.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

PY=/usr/bin/python3
# The daemon's intent file and the files the callers apply live in a
# directory everyone may traverse (LAB_DIR is 0700).
CDIR=$(mktemp -d /tmp/fcapply.XXXXXX)
chmod 755 "$CDIR"
LAB_CLEANUP=$CDIR
MEMBER=(setpriv --reuid=65534 --regid=65534 --clear-groups)     # nobody:nogroup
INTENT=$CDIR/intent.json
DPID=00000000000000a1
VM2_MAC=02:00:00:00:01:02

cp "$LAB_HOME/one-host.json" "$INTENT"
chmod 640 "$INTENT"
lab_up "$INTENT" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
FCD_CTL=$CDIR/flowchaind.ctl
fcd_start "$INTENT" --control-group=nogroup
t_check "the switch reaches sync" wait_until 60 fcd_all_in_sync 1

# --- status: the summary, --ports, --host. ---------------------------------
summary_re="^switch $DPID: host h1 bridge br0, connected [0-9]+s, sync: in sync, ports 3/3, flows installed [0-9]+, groups installed [0-9]+, last sync [0-9]+ ms\$"
t_check "status: one line for the switch (sync, ports 3/3, flows, last sync)" \
    eval 'fcctl status > "$CDIR/out" &&
          grep -qE "$summary_re" "$CDIR/out" &&
          grep -qx "intent: $INTENT: 1 host, 1 bridge, 1 network, 1 VM, 1 NIC, 0 policies" "$CDIR/out" &&
          grep -qE "^total: 1 switch connected, 1 in sync, 0 bridges of the intent not connected \(0 ports\); ports 3/3, 0 not on the switch yet, 0 down; flows installed [1-9][0-9]*, groups installed [0-9]+$" "$CDIR/out" &&
          grep -q "^hit log: " "$CDIR/out" &&
          grep -q "^flow mods sent since start: " "$CDIR/out"'
sed 's/^/    /' "$CDIR/out"
t_check "  ... and no port lines" \
    eval '! grep -qE "^    [0-9]+ " "$CDIR/out" && ! grep -q "peer:" "$CDIR/out"'
t_check "status --ports: the peer, sync and every port with its number" \
    eval 'fcctl status --ports > "$CDIR/out" &&
          grep -qx "switch $DPID: host h1 bridge br0" "$CDIR/out" &&
          grep -q "^  peer: unix:" "$CDIR/out" &&
          grep -q "^  sync: in sync, flows installed" "$CDIR/out" &&
          grep -qE "^    [0-9]+ tap1 (up|down)$" "$CDIR/out" &&
          grep -qE "^    [0-9]+ up0 (up|down)$" "$CDIR/out" &&
          grep -qE "^    LOCAL br0 (up|down)$" "$CDIR/out"'
t_check "status --host h1 --bridge br0: the switch" \
    eval 'fcctl status --host h1 --bridge br0 | grep -qE "$summary_re"'
t_check "status --host of an unknown host: error, exit 1" \
    eval 'fcctl status --host no-such > "$CDIR/out" 2>&1; [ $? -eq 1 ] &&
          grep -qx "flowchainctl: unknown host \"no-such\"" "$CDIR/out"'
t_check "status --bridge of a bridge the host lacks: error, exit 1" \
    eval 'fcctl status --ports --host h1 --bridge br9 > "$CDIR/out" 2>&1; [ $? -eq 1 ] &&
          grep -qx "flowchainctl: host \"h1\" has no bridge \"br9\"" "$CDIR/out"'

# --- apply of a valid file: vm2 on a port the switch has. ------------------
$PY - "$INTENT" "$CDIR/new.json" "$VM2_MAC" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["vms"].append({"name": "vm2", "host": "h1", "nics": [
    {"port": "tap2", "mac": sys.argv[3], "network": "vlan10",
     "ip": "10.77.10.2"}]})
json.dump(d, open(sys.argv[2], "w"), indent=1)
EOF
chmod 644 "$CDIR/new.json"
lab_ovs h1 ovs-vsctl add-port br0 tap2 -- set interface tap2 type=internal
sleep 1
t_check "before apply no flow matches vm2's MAC" \
    eval '! lab_flows h1 br0 | grep -q "$VM2_MAC"'
n_reloaded() { grep -c "reloaded " "$FCD_LOG"; }
reloads_before=$(n_reloaded)
t_check "apply of a valid file (a member of the socket's group): exit 0" \
    eval '"${MEMBER[@]}" "$FCD_BIN/flowchainctl" --control "$FCD_CTL" apply \
          "$CDIR/new.json" > "$CDIR/apply.out" 2>&1'
sed 's/^/    /' "$CDIR/apply.out"
t_check "  ... it prints the plan: flows added on h1/br0, the total" \
    eval 'grep -qE "^# h1/br0 \(datapath $DPID\): [1-9][0-9]* added, 0 removed, [0-9]+ modified flows" "$CDIR/apply.out" &&
          grep -qE "^total changes: [1-9][0-9]*$" "$CDIR/apply.out"'
t_check "  ... then the write and the reload" \
    eval 'grep -qx "wrote $INTENT" "$CDIR/apply.out" &&
          grep -qx "reloaded $INTENT: valid: 1 host, 1 bridge, 1 network, 2 VMs, 2 NICs, 0 policies" "$CDIR/apply.out"'
t_check "  ... the intent file holds the new content, mode 640 kept" \
    eval 'cmp "$INTENT" "$CDIR/new.json" && [ "$(stat -c %a "$INTENT")" = 640 ]'
t_check "  ... and no temporary file is left beside it" \
    eval '[ -z "$(ls "$CDIR" | grep "apply-")" ]'
vm2_flows() { [ "$(lab_flows h1 br0 | grep -c "$VM2_MAC")" -ge 2 ]; }
t_check "  ... the switch has vm2's flows (matching its MAC)" \
    wait_until 20 vm2_flows
lab_flows h1 br0 | grep "$VM2_MAC" | head -3 | sed 's/^/    /'
t_check "  ... and status shows the switch in sync with 4/4 ports" \
    wait_until 20 eval 'fcctl status | grep -qE "^switch $DPID: host h1 bridge br0, .*sync: in sync, ports 4/4,"'
sleep 2
t_check "  ... loaded once: the file watcher did not load it again" \
    eval '[ "$(n_reloaded)" -eq $((reloads_before + 1)) ] &&
          ! grep -q "changed: reloading" "$FCD_LOG"'

# --- apply of an invalid file: nothing changes. ----------------------------
$PY - "$CDIR/new.json" "$CDIR/bad.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["vms"][1]["nics"][0]["mac"] = "02:00:00:00:01"
json.dump(d, open(sys.argv[2], "w"), indent=1)
EOF
cp "$INTENT" "$CDIR/intent.before"
lab_flows h1 br0 > "$CDIR/flows.before"
t_check "apply of an invalid file: exit 1, the error names its JSON path" \
    eval 'fcctl apply "$CDIR/bad.json" > "$CDIR/out" 2>&1; [ $? -eq 1 ] &&
          grep -q "bad.json: invalid intent, 1 error(s); nothing sent to the daemon" "$CDIR/out" &&
          grep -q "^vms\[1\]\.nics\[0\]\.mac: " "$CDIR/out"'
sed 's/^/    /' "$CDIR/out"
t_check "  ... the daemon refuses the same text (ovs-appctl apply), naming the path" \
    eval '! ovs-appctl -t "$FCD_CTL" apply "$(cat "$CDIR/bad.json")" bad.json > "$CDIR/out" 2>&1 &&
          grep -q "bad.json: invalid intent, 1 error(s); $INTENT not written" "$CDIR/out" &&
          grep -q "^vms\[1\]\.nics\[0\]\.mac: " "$CDIR/out"'
sleep 2
t_check "  ... the intent file is byte-identical" cmp "$INTENT" "$CDIR/intent.before"
t_check "  ... the switch's flows are unchanged" \
    eval 'lab_flows h1 br0 > "$CDIR/flows.after" &&
          diff -u "$CDIR/flows.before" "$CDIR/flows.after"'
t_check "  ... and the running intent too" \
    eval 'fcctl status | grep -q "^intent: $INTENT: .*, 2 VMs,"'

# --- a port of the intent that the switch lacks. ---------------------------
lab_ovs h1 ovs-vsctl del-port br0 tap2
tap2_missing() {
    fcctl status > "$CDIR/out" &&
    grep -qE "^switch $DPID: host h1 bridge br0, .*, ports 3/4," "$CDIR/out" &&
    grep -qx "  1 port not on the switch yet: tap2" "$CDIR/out"
}
t_check "status names a port of the intent that left the switch (ports 3/4)" \
    wait_until 20 tap2_missing
sed 's/^/    /' "$CDIR/out"
t_check "  ... and so does status --ports" \
    eval 'fcctl status --ports | grep -qx "  ports not on the switch yet (their flows go in when they appear): tap2"'

# --- a file the caller cannot read. ----------------------------------------
cp "$CDIR/intent.before" "$CDIR/secret.json"
chmod 600 "$CDIR/secret.json"      # root's: the member may not read it
t_check "apply of a file the caller cannot read fails in the CLI" \
    eval '! "${MEMBER[@]}" "$FCD_BIN/flowchainctl" --control "$FCD_CTL" apply \
          "$CDIR/secret.json" > "$CDIR/out" 2>&1 &&
          grep -q "secret.json: Permission denied" "$CDIR/out" &&
          cmp "$INTENT" "$CDIR/intent.before"'

fcd_stop; rc=$?
t_check "flowchaind exits cleanly on SIGTERM (status $rc)" [ "$rc" -eq 0 ]
t_check "no sanitizer report from flowchaind" \
    not grep -q "Sanitizer" "$LAB_DIR/flowchaind.stderr"
t_done
