#!/bin/bash
# The command-line contract, without a lab: `flowchainctl check`, the
# daemon's refusal of an invalid intent, --help and --version, and the
# policy commands (policy-stats, flows --policy, status) of a daemon that
# no switch is connected to.
top=${FLOWCHAIN_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${FLOWCHAIN_BUILDDIR:-$top/build}
T_PROG=test-cli
failed=0
t_check() {
    local name=$1 out; shift
    if out=$("$@" 2>&1); then
        echo "PASS: $T_PROG: $name"
    else
        echo "FAIL: $T_PROG: $name"; failed=1
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
    fi
}
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
    eval '"$bin/flowchainctl" --help | grep -qE "^  (check|status|flows|plan|reload)"'
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
exit $failed
