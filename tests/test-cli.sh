#!/bin/bash
# The command-line contract, without a lab: `flowchainctl check`, the
# daemon's refusal of an invalid intent, --help and --version, and the
# policy commands (policy-stats, flows --policy, status) of a daemon that
# no switch is connected to.
T_PROG=test-cli
. "$(dirname "$0")/cli-lib.sh"
tmp=$(mktemp -d /tmp/fccli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for ex in "$top"/examples/*.json; do
    t_check "check accepts $(basename "$ex") with a one-line summary" \
        eval '"$bin/flowchainctl" check "$ex" > "$tmp/out" &&
              [ "$(wc -l < "$tmp/out")" -eq 1 ] &&
              grep -qE "hosts?, [0-9]+ bridges?, [0-9]+ networks?, [0-9]+ VMs?, [0-9]+ NICs?, [0-9]+ polic(y|ies)$" "$tmp/out"'
done

# A valid intent with warnings: exit 0, the summary on stdout, each warning
# on stderr as "warning: PATH: message".
pol=$top/tests/intent/valid/policies.json
t_check "check prints a policy intent's warnings on stderr and exits 0" \
    eval '"$bin/flowchainctl" check "$pol" > "$tmp/out" 2> "$tmp/err" &&
          [ "$(wc -l < "$tmp/out")" -eq 1 ] &&
          grep -q ", 5 policies$" "$tmp/out" &&
          [ "$(wc -l < "$tmp/err")" -eq 2 ] &&
          grep -qx "warning: policies\[4\]\.target: no VM has category AppTier=ap" "$tmp/err" &&
          ! grep -v "^warning: policies\[4\]\." "$tmp/err"'

bad=$(ls "$top"/tests/intent/*.json | head -1)
t_check "check rejects $(basename "$bad") with exit 1 and its error lines" \
    eval '"$bin/flowchainctl" check "$bad" > "$tmp/out" 2>/dev/null;
          [ $? -eq 1 ] && diff -u "${bad%.json}.err" "$tmp/out"'

printf '{"version": 1,\n "networks": [\n' > "$tmp/notjson.json"
t_check "check names line and column of a file that is not JSON" \
    eval '! "$bin/flowchainctl" check "$tmp/notjson.json" > "$tmp/out" 2>&1 &&
          grep -qE "line [0-9]+, column [0-9]+" "$tmp/out"'

t_check "flowchaind refuses to start with an invalid intent" \
    eval '! timeout 10 "$bin/flowchaind" --intent "$bad" \
              --listen "unix:$tmp/of.sock" --control "$tmp/ctl" \
              > "$tmp/out" 2>&1 &&
          grep -qF "$(head -1 "${bad%.json}.err")" "$tmp/out" &&
          [ ! -e "$tmp/ctl" ]'

t_check "flowchaind --help lists its options" \
    eval '"$bin/flowchaind" --help | grep -q -- "--intent=FILE" &&
          "$bin/flowchaind" --help | grep -q -- "--listen=TARGET"'
t_check "flowchainctl --help lists its commands" \
    eval '"$bin/flowchainctl" --help | grep -qE "^  (check|status|flows|plan|reload)" &&
          "$bin/flowchainctl" --help | grep -q "^  status \[--ports\] \[--host H\] \[--bridge B\]$" &&
          "$bin/flowchainctl" --help | grep -q "^  apply FILE "'
t_check "--version of both programs" \
    eval '"$bin/flowchaind" --version | grep -qE "^flowchaind [0-9]" &&
          "$bin/flowchainctl" --version | grep -qE "^flowchainctl [0-9]"'
t_check "flowchainctl without a daemon says how to reach one" \
    eval '! "$bin/flowchainctl" --control "$tmp/none.ctl" status > "$tmp/out" 2>&1 &&
          grep -q "is flowchaind running" "$tmp/out"'
t_check "flowchaind rejects a bad listen target" \
    eval '! "$bin/flowchaind" --listen "udp:1" --control "$tmp/ctl2" > "$tmp/out" 2>&1 &&
          grep -q "unknown target" "$tmp/out"'
t_check "flowchaind rejects a bad --metrics target and --stats-interval" \
    eval '! "$bin/flowchaind" --metrics "udp:1" --control "$tmp/ctl5" > "$tmp/out" 2>&1 &&
          grep -q "expected tcp:\[IPV4ADDR:\]PORT" "$tmp/out" &&
          ! "$bin/flowchaind" --metrics "tcp:1.2.3:80" --control "$tmp/ctl5" > "$tmp/out" 2>&1 &&
          ! "$bin/flowchaind" --stats-interval 0 --control "$tmp/ctl5" > "$tmp/out" 2>&1 &&
          grep -q -- "--stats-interval" "$tmp/out" &&
          ! "$bin/flowchaind" --stats-interval 100000 --control "$tmp/ctl5" > "$tmp/out" 2>&1 &&
          grep -q "0.1 to 86400" "$tmp/out" && [ ! -e "$tmp/ctl5" ]'
t_check "--help names --metrics and --stats-interval" \
    eval '"$bin/flowchaind" --help | grep -q -- "--metrics=tcp:\[IPV4ADDR:\]PORT" &&
          "$bin/flowchaind" --help | grep -q -- "--stats-interval=SECS"'
# The policy commands, against a daemon with no switch connected.
t_check "flowchaind rejects --hit-log-rate 0, a non-number and too much" \
    eval '! "$bin/flowchaind" --hit-log-rate 0 --control "$tmp/ctl3" > "$tmp/out" 2>&1 &&
          grep -q -- "--hit-log-rate" "$tmp/out" &&
          ! "$bin/flowchaind" --hit-log-rate=fast --control "$tmp/ctl3" > "$tmp/out" 2>&1 &&
          grep -q "hit-log-rate" "$tmp/out" &&
          ! "$bin/flowchaind" --hit-log-rate=1000001 --control "$tmp/ctl3" > "$tmp/out" 2>&1 &&
          grep -q "1 to 1000000" "$tmp/out" && [ ! -e "$tmp/ctl3" ]'
t_check "--help of both programs names the policy options" \
    eval '"$bin/flowchaind" --help | grep -q -- "--hit-log-rate=PPS" &&
          "$bin/flowchainctl" --help | grep -q "policy-stats \[--policy P\]" &&
          "$bin/flowchainctl" --help | grep -q -- "--vm V | --policy P"'
"$bin/flowchaind" --intent "$pol" --listen "unix:$tmp/of4.sock" \
    --control "$tmp/ctl4" --log-file="$tmp/d4.log" > "$tmp/d4.out" 2>&1 &
dpid=$!
for _ in $(seq 100); do [ -S "$tmp/ctl4" ] && break; sleep 0.1; done
ctl4() { "$bin/flowchainctl" --control "$tmp/ctl4" "$@"; }
t_check "flowchaind logs the intent's warnings at start" \
    grep -q "intent warning: policies\[4\]\.target: no VM has category AppTier=ap" "$tmp/d4.log"
t_check "policy-stats with no switch: the header and a note, exit 0" \
    eval 'ctl4 policy-stats > "$tmp/out" &&
          diff -u - "$tmp/out" <<<"POLICY  DIRECTION  RULE  VERDICT  PACKETS  BYTES
# no switch is connected"'
t_check "ovs-appctl -t speaks policy-stats too" \
    eval 'ovs-appctl -t "$tmp/ctl4" policy-stats --policy web-app > "$tmp/out" &&
          head -1 "$tmp/out" | grep -q "^POLICY  DIRECTION"'
t_check "policy-stats --policy of an unknown policy: error, exit 1" \
    eval 'ctl4 policy-stats --policy no-such > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -q "unknown policy \"no-such\"" "$tmp/out"'
t_check "policy-stats with a stray argument: usage, exit 1" \
    eval 'ctl4 policy-stats --bogus > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -q "usage: policy-stats \[--policy P\]" "$tmp/out"'
# web-app targets vm2 (h2/br0): kinds 6-9 of its name hash, nothing else.
t_check "flows --policy web-app: only web-app's policy cookies, on h2/br0" \
    eval 'ctl4 flows --policy web-app > "$tmp/out" &&
          [ "$(grep -c "^# " "$tmp/out")" -eq 3 ] &&
          [ "$(grep -vc "^# " "$tmp/out")" -gt 3 ] &&
          ! grep -v "^# " "$tmp/out" | grep -v "cookie=0xfc0[6-9]638c047aa7" &&
          grep -q "controller(max_len=128,meter_id=1)" "$tmp/out" &&
          [ "$(ctl4 flows --policy web-app --host h2 | grep -vc "^# ")" -eq \
            "$(grep -vc "^# " "$tmp/out")" ]'
t_check "flows --policy of an unknown policy: error, exit 1" \
    eval 'ctl4 flows --policy no-such > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -q "unknown policy \"no-such\"" "$tmp/out"'
t_check "flows --vm with --policy: usage error, exit 1" \
    eval 'ctl4 flows --vm vm1 --policy web-app > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -q "exclude each other" "$tmp/out"'
t_check "status shows the hit-log counters and the meter rate" \
    eval 'ctl4 status > "$tmp/out" 2>&1 &&
          grep -qx "hit log: 0 lines, 0 repeats suppressed, 0 foreign packet-ins dropped; meter 1: 100 packets/s per bridge" "$tmp/out"'
ctl4 exit > /dev/null 2>&1
wait "$dpid"
rc=$?
t_check "the daemon exits cleanly after those commands (status $rc, no leak)" \
    eval '[ "$rc" -eq 0 ] && grep -q "exited cleanly" "$tmp/d4.log" &&
          ! grep -q "LeakSanitizer\|runtime error" "$tmp/d4.out"'

# status at scale, and apply, against a daemon with no switch connected:
# an intent of 100 hosts, 200 bridges and 2,000 VM ports.
/usr/bin/python3 "$top/bench/gen-intent.py" --hosts 100 --vms-per-host 20 \
    -o "$tmp/big.json" > /dev/null
cp "$tmp/big.json" "$tmp/intent5.json"
chmod 640 "$tmp/intent5.json"
"$bin/flowchaind" --intent "$tmp/intent5.json" --listen "unix:$tmp/of5.sock" \
    --control "$tmp/ctl5" --log-file="$tmp/d5.log" > "$tmp/d5.out" 2>&1 &
dpid5=$!
for _ in $(seq 200); do [ -S "$tmp/ctl5" ] && break; sleep 0.1; done
ctl5() { "$bin/flowchainctl" --control "$tmp/ctl5" "$@"; }
# wait_for_reload: the file watcher reloaded the intent (within 10 s).
wait_for_reload() {
    for _ in $(seq 100); do
        grep -q "changed: reloading" "$tmp/d5.log" && return 0
        sleep 0.1
    done
    return 1
}
t_check "status of 200 bridges, 2,000 ports: at most 20 lines" \
    eval 'ctl5 status > "$tmp/out" && [ "$(wc -l < "$tmp/out")" -le 20 ]'
sed 's/^/    /' "$tmp/out"
t_check "  ... the intent line: its path and counts" \
    grep -qx "intent: $tmp/intent5.json: 100 hosts, 200 bridges, 1001 networks, 2000 VMs, 2000 NICs, 50 policies" "$tmp/out"
t_check "  ... a few of the bridges not connected, and where the rest are" \
    grep -qx "200 bridges of the intent not connected: host0/br0, host0/br1, host1/br0, host1/br1, host2/br0, ... (status --ports for all)" "$tmp/out"
t_check "  ... the totals line" \
    grep -qx "total: 0 switches connected, 0 in sync, 200 bridges of the intent not connected (2500 ports); ports 0/0, 0 not on the switch yet, 0 down; flows installed 0, groups installed 0" "$tmp/out"
t_check "  ... and still the hit-log and flow-mod lines" \
    eval 'grep -q "^hit log: 0 lines" "$tmp/out" &&
          grep -qx "flow mods sent since start: 0, group mods: 0" "$tmp/out"'
t_check "status --ports lists every bridge, one line each" \
    eval 'ctl5 status --ports > "$tmp/out" &&
          [ "$(grep -c "^bridge host[0-9]*/br[01] (datapath [0-9a-f]\{16\}): not connected, [0-9]* ports expected$" "$tmp/out")" -eq 200 ] &&
          [ "$(wc -l < "$tmp/out")" -gt 200 ]'
t_check "status --host host7 --bridge br0: that bridge only" \
    eval 'ctl5 status --host host7 --bridge br0 > "$tmp/out" &&
          grep -qx "1 bridge of the intent not connected: host7/br0" "$tmp/out" &&
          grep -qx "no matching switch connected" "$tmp/out"'
t_check "status --host of an unknown host: error, exit 1" \
    eval 'ctl5 status --host no-such > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -qx "flowchainctl: unknown host \"no-such\"" "$tmp/out"'
t_check "status --bridge of an unknown bridge: error, exit 1" \
    eval 'ctl5 status --ports --bridge no-such > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -qx "flowchainctl: unknown bridge \"no-such\"" "$tmp/out"'
t_check "status with a stray argument: usage, exit 1" \
    eval 'ctl5 status --host > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -q "usage: status \[--ports\] \[--host H\] \[--bridge B\]" "$tmp/out"'

# apply: the CLI validates first; the daemon validates again, writes its own
# intent file (mode kept) and reloads it once.  The new intent is small
# (3 of the hosts), so that the plan and the reload are quick.
/usr/bin/python3 "$top/bench/gen-intent.py" --hosts 3 --vms-per-host 4 \
    --vlans 4 --policies 0 -o "$tmp/new5.json" > /dev/null
printf '{"version": 1, "networks": [{"name": "n", "vlan": 5000}]}' > "$tmp/bad5.json"
cp "$tmp/intent5.json" "$tmp/intent5.before"
t_check "apply of an invalid file: exit 1, its errors, nothing sent" \
    eval 'ctl5 apply "$tmp/bad5.json" > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -q "bad5.json: invalid intent, [0-9]* error(s); nothing sent to the daemon" "$tmp/out" &&
          grep -q "^networks\[0\]\.vlan: " "$tmp/out" &&
          cmp "$tmp/intent5.json" "$tmp/intent5.before" &&
          ! grep -q "apply" "$tmp/d5.log"'
t_check "the daemon refuses an invalid text too (ovs-appctl apply), file untouched" \
    eval '! ovs-appctl -t "$tmp/ctl5" apply "$(cat "$tmp/bad5.json")" > "$tmp/out" 2>&1 &&
          grep -q "apply: invalid intent, [0-9]* error(s); $tmp/intent5.json not written" "$tmp/out" &&
          grep -q "^networks\[0\]\.vlan: " "$tmp/out" &&
          cmp "$tmp/intent5.json" "$tmp/intent5.before"'
t_check "and a file name (the daemon opens no file for its callers)" \
    eval '! ovs-appctl -t "$tmp/ctl5" apply "$tmp/new5.json" > "$tmp/out" 2>&1 &&
          grep -q "apply takes the intent.s JSON text, not a file name" "$tmp/out" &&
          cmp "$tmp/intent5.json" "$tmp/intent5.before"'
t_check "apply of a valid file: the plan, the write, the reload" \
    eval 'ctl5 apply "$tmp/new5.json" > "$tmp/out" &&
          grep -qE "^total changes: [0-9]+$" "$tmp/out" &&
          grep -qx "wrote $tmp/intent5.json" "$tmp/out" &&
          grep -qx "reloaded $tmp/intent5.json: valid: 3 hosts, 6 bridges, 5 networks, 12 VMs, 12 NICs, 0 policies" "$tmp/out" &&
          grep -q "^# host3/br0 (datapath [0-9a-f]*): removed from the intent" "$tmp/out"'
t_check "  ... the intent file holds the new content, its mode kept, no temp file left" \
    eval 'cmp "$tmp/intent5.json" "$tmp/new5.json" &&
          [ "$(stat -c %a "$tmp/intent5.json")" = 640 ] &&
          [ -z "$(ls "$tmp" | grep "apply-")" ]'
t_check "  ... status shows it" \
    eval 'ctl5 status | grep -qx "intent: $tmp/intent5.json: 3 hosts, 6 bridges, 5 networks, 12 VMs, 12 NICs, 0 policies"'
sleep 1.5
t_check "  ... loaded once: the file watcher does not load it again" \
    eval '[ "$(grep -c "reloaded " "$tmp/d5.log")" -eq 1 ] &&
          ! grep -q "changed: reloading" "$tmp/d5.log"'
cp "$tmp/big.json" "$tmp/intent5.json"
t_check "  ... but still sees a later change of the file" \
    wait_for_reload
ctl5 exit > /dev/null 2>&1
wait "$dpid5"
rc=$?
t_check "that daemon exits cleanly too (status $rc, no leak)" \
    eval '[ "$rc" -eq 0 ] && grep -q "exited cleanly" "$tmp/d5.log" &&
          ! grep -q "LeakSanitizer\|runtime error" "$tmp/d5.out"'

"$bin/flowchaind" --listen "unix:$tmp/of6.sock" --control "$tmp/ctl6" \
    --log-file="$tmp/d6.log" > "$tmp/d6.out" 2>&1 &
dpid6=$!
for _ in $(seq 100); do [ -S "$tmp/ctl6" ] && break; sleep 0.1; done
t_check "apply to a daemon without --intent: error saying so, exit 1" \
    eval '"$bin/flowchainctl" --control "$tmp/ctl6" apply "$tmp/new5.json" > "$tmp/out" 2>&1;
          [ $? -eq 1 ] && grep -q "no intent file: apply writes the file flowchaind was started with (--intent)" "$tmp/out"'
"$bin/flowchainctl" --control "$tmp/ctl6" exit > /dev/null 2>&1
wait "$dpid6"
# apply --db (docs/ha.md): the intent is validated here before any database
# is asked; a database that does not answer is a clear error; the database
# itself is exercised by lab-ha.
t_check "apply --db of an invalid file: exit 1, its errors, no database asked" \
    eval '"$bin/flowchainctl" apply --db="unix:$tmp/no-db.sock" "$tmp/bad5.json" \
              > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -q "bad5.json: invalid intent, [0-9]* error(s)" "$tmp/out" &&
          ! grep -q "no answer" "$tmp/out"'
t_check "apply --db to no database: exit 1, says nothing changed" \
    eval '"$bin/flowchainctl" apply --db="unix:$tmp/no-db.sock" --db-timeout=500 \
              "$tmp/new5.json" > "$tmp/out" 2>&1; [ $? -eq 1 ] &&
          grep -q "no answer from the database within 500 ms .*nothing changed" "$tmp/out"'
t_check "apply --db without FILE: usage, exit 2" \
    eval '"$bin/flowchainctl" apply --db=unix:x > "$tmp/out" 2>&1; [ $? -eq 2 ] &&
          grep -q "usage: flowchainctl apply --db=DB" "$tmp/out"'
t_check "flowchaind: --db and --intent exclude each other" \
    eval '! "$bin/flowchaind" --db=unix:x --intent "$tmp/new5.json" \
              --listen "unix:$tmp/of7.sock" --control "$tmp/ctl7" > "$tmp/out" 2>&1 &&
          grep -q -- "--db and --intent exclude each other" "$tmp/out"'
exit $failed
