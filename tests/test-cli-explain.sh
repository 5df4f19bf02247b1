#!/bin/bash
# flowchainctl explain without a lab: argument errors are refused by
# flowchainctl itself (exit 2, no daemon needed), name errors by the daemon
# (exit 1), and against a daemon with no switch connected (port numbers
# assumed) the text and --json forms of one explanation; the daemon then
# exits cleanly, without leaks.
T_PROG=test-cli-explain
. "$(dirname "$0")/cli-lib.sh"
tmp=$(mktemp -d /tmp/fcclix.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
intent=$top/tests/lab/microseg-intent.json
nodaemon=$tmp/none.ctl

# arg_error MESSAGE ARGS...: `flowchainctl explain ARGS` exits 2 with
# MESSAGE (fixed string) on stderr, without trying the (absent) daemon.
arg_error() {
    local msg=$1 rc; shift
    "$bin/flowchainctl" --control "$nodaemon" explain "$@" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] && grep -qF -- "$msg" "$tmp/err" && [ ! -s "$tmp/out" ] &&
        ! grep -q "is flowchaind running" "$tmp/err" ||
        { echo "exit $rc"; cat "$tmp/err"; return 1; }
}
t_check "explain without arguments: --from and --to are required" \
    arg_error "--from and --to are required (usage: explain --from VM[/NIC]"
t_check "explain without --to" arg_error "--from and --to are required" --from web1
t_check "explain --from without its argument" \
    arg_error "--from needs an argument" --to app1 --from
t_check "explain --tcp with a port that is not a number" \
    arg_error '--tcp: "http" is not a port number (1-65535)' --from web1 --to app1 --tcp http
t_check "explain --udp 0 and 65536 are not ports" \
    eval 'arg_error "--udp: \"0\" is not a port number" --from web1 --to app1 --udp 0 &&
          arg_error "--udp: \"65536\" is not a port number" --from web1 --to app1 --udp 65536'
t_check "explain --tcp and --icmp exclude each other" \
    arg_error "--tcp, --udp and --icmp exclude each other" --from web1 --to app1 --tcp 80 --icmp
t_check "explain with an unknown option" \
    arg_error 'unknown argument "--sctp"' --from web1 --to app1 --sctp 80
t_check "explain --from VM/ (empty NIC)" \
    arg_error '--from: "web1/" is not VM or VM/NIC' --from web1/ --to app1
t_check "explain --dl-dst of a multicast address" \
    arg_error '--dl-dst: "01:00:5e:00:00:01" is not a unicast MAC address' \
        --from web1 --to app1 --dl-dst 01:00:5e:00:00:01
t_check "flowchainctl --help describes explain" \
    eval '"$bin/flowchainctl" --help | grep -q "^  explain --from VM\[/NIC\] --to VM|IP \[--tcp PORT | --udp PORT | --icmp\]$"'

"$bin/flowchaind" --intent "$intent" --listen "unix:$tmp/of.sock" \
    --control "$tmp/ctl" --log-file="$tmp/d.log" > "$tmp/d.out" 2>&1 &
dpid=$!
for _ in $(seq 100); do [ -S "$tmp/ctl" ] && break; sleep 0.1; done
ctl() { "$bin/flowchainctl" --control "$tmp/ctl" "$@"; }

# name_error MESSAGE ARGS...: the daemon refuses `explain ARGS`: exit 1,
# MESSAGE on stderr.
name_error() {
    local msg=$1 rc; shift
    ctl explain "$@" > "$tmp/out" 2> "$tmp/err"; rc=$?
    [ "$rc" -eq 1 ] && grep -qF -- "$msg" "$tmp/err" ||
        { echo "exit $rc"; cat "$tmp/err"; return 1; }
}
t_check "explain from an unknown VM" name_error 'unknown VM "web9"' --from web9 --to app1
t_check "explain from a NIC the VM does not have (index and port name)" \
    eval 'name_error "VM \"web1\" has no NIC \"1\"" --from web1/1 --to app1 &&
          name_error "VM \"web1\" has no NIC \"tap9\"" --from web1/tap9 --to app1'
t_check "explain to neither a VM nor an address" \
    name_error '"10.8.101.999" is neither a VM of the intent nor an IPv4 address' \
        --from web1 --to 10.8.101.999
t_check "list-commands has explain" \
    eval 'ctl list-commands | grep -q "^  explain  *--from VM\[/NIC\] --to VM|IP"'
t_check "explain web1/tap0 -> app1 tcp/22 with no switch: assumed ports, denied on hv-host02 at table 58" \
    eval 'ctl explain --from web1/tap0 --to app1 --tcp 22 > "$tmp/out" &&
          grep -q "^hv-host01/br-guest (datapath 0000000000000103): not connected, port numbers assumed$" "$tmp/out" &&
          grep -q "^  packet: in_port=3,dl_src=50:6b:8d:00:0a:01,dl_dst=50:6b:8d:00:0a:02,tcp,nw_src=10.8.101.11,nw_dst=10.8.101.21,nw_ttl=64,tcp_src=40000,tcp_dst=22$" "$tmp/out" &&
          grep -q "^  microsegmentation, destination side: deny: policy web-app inbound default: deny$" "$tmp/out" &&
          grep -q "^result: dropped on hv-host02/br-guest at table 58$" "$tmp/out"'
t_check "explain --json: the same explanation as JSON" \
    eval 'ctl explain --from web1 --to app1 --tcp 22 --json > "$tmp/json" &&
          /usr/bin/python3 -c "
import json, sys
e = json.load(open(sys.argv[1]))
assert e[\"result\"] == \"dropped on hv-host02/br-guest at table 58\", e[\"result\"]
assert [h[\"verdict\"] for h in e[\"hops\"]] == [\"uplink\", \"dropped\"]
assert e[\"hops\"][0][\"outputs\"][0][\"role\"] == \"uplink\"
assert e[\"hops\"][1][\"microseg\"][1][\"verdict\"] == \"deny\"
" "$tmp/json"'
t_check "explain --dl-dst: the given MAC is used and noted" \
    eval 'ctl explain --from web1 --to 10.8.101.254 --dl-dst 00:00:5e:00:01:65 > "$tmp/out" &&
          grep -q "^note: dl_dst: given with --dl-dst$" "$tmp/out" &&
          grep -q "dl_dst=00:00:5e:00:01:65,icmp,.*,icmp_type=8,icmp_code=0$" "$tmp/out"'
ctl exit > /dev/null 2>&1
wait "$dpid"
rc=$?
t_check "the daemon exits cleanly after those commands (status $rc, no leak)" \
    eval '[ "$rc" -eq 0 ] && grep -q "exited cleanly" "$tmp/d.log" &&
          ! grep -q "LeakSanitizer\|runtime error" "$tmp/d.out"'
exit $failed
