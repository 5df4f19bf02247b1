#!/bin/bash
# flowchaind --metrics on a real switch: the scrape is valid Prometheus
# text format 0.0.4 (promtool check metrics), the lab bridge is connected
# and in sync, VM NIC counters follow real traffic and equal the switch's
# own port counters, a policy rule's counter rises with the traffic it
# allows, reloads are counted (ok and refused) with the intent's hash,
# other paths and methods are refused, a slow or huge client is dropped
# without harming another scrape, the client cap holds, and flowchaind
# exits cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

lab_up "$LAB_HOME/metrics-intent.json" "unix:@LAB_DIR@/of.sock" ||
    { t_fail "lab up"; exit 1; }
# A copy, so that the test can make it invalid at the end.
INTENT=$LAB_DIR/intent.json
cp "$LAB_HOME/metrics-intent.json" "$INTENT"
MPORT=$(fcd_free_port)
# No address: the default is loopback (127.0.0.1).
fcd_start "$INTENT" --metrics "tcp:$MPORT" --stats-interval 1
t_check "all bridges reach sync" wait_until 60 fcd_all_in_sync 1
URL=http://127.0.0.1:$MPORT
M=$LAB_DIR/metrics.txt
DPID=00000000000000a1
SW="dpid=\"$DPID\",host=\"h1\",bridge=\"br0\""

# scrape: the metrics into $M, the response headers into $M.headers.
scrape() {
    curl -sS --max-time 5 -D "$M.headers" -o "$M" "$URL/metrics"
}
# value SERIES: the value of the sample whose name and labels are SERIES.
value() {
    awk -v s="$1" 'index($0, s " ") == 1 { print $NF; found = 1 }
                   END { exit !found }' "$M"
}
# http_status METHOD PATH: the status code of one request.
http_status() {
    curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X "$1" "$URL$2"
}

t_check "scrape answers 200" scrape
t_check "  ... with Content-Type text/plain; version=0.0.4" \
    grep -qi '^Content-Type: text/plain; version=0.0.4' "$M.headers"
t_check "  ... and promtool check metrics finds no problem" \
    eval 'promtool check metrics < "$M"'
t_check "every family has one HELP and one TYPE line" \
    eval '[ "$(grep -c "^# TYPE" "$M")" -eq "$(grep "^# TYPE" "$M" | sort -u | wc -l)" ] &&
          [ "$(grep -c "^# HELP" "$M")" -eq "$(grep -c "^# TYPE" "$M")" ]'
t_check "flowchain_switch_connected is 1 for h1/br0" \
    eval '[ "$(value "flowchain_switch_connected{$SW}")" = 1 ]'
t_check "flowchain_switch_in_sync is 1 for h1/br0" \
    eval '[ "$(value "flowchain_switch_in_sync{$SW}")" = 1 ]'
t_check "flows installed in table 0 > 0" \
    eval '[ "$(value "flowchain_switch_flows{$SW,table=\"0\"}")" -gt 0 ]'
t_check "sync latency histogram: >= 1 sync, +Inf bucket = count" \
    eval 'c=$(value "flowchain_sync_latency_seconds_count{$SW}") &&
          [ "$c" -ge 1 ] &&
          [ "$(value "flowchain_sync_latency_seconds_bucket{$SW,le=\"+Inf\"}")" = "$c" ]'
sha=$(sha1sum < "$INTENT" | cut -d' ' -f1)
t_check "flowchain_intent_info carries the intent's SHA-1 ($sha)" \
    grep -q "^flowchain_intent_info{path=\"$INTENT\",sha1=\"$sha\"} 1\$" "$M"
t_check "bond members up0 and up1 are up" \
    eval '[ "$(value "flowchain_bond_member_up{host=\"h1\",bridge=\"br0\",bond=\"br0-up\",member=\"up0\"}")" = 1 ] &&
          [ "$(value "flowchain_bond_member_up{host=\"h1\",bridge=\"br0\",bond=\"br0-up\",member=\"up1\"}")" = 1 ]'
t_check "fcctl reload counts in reloads_total{result=\"ok\"}" \
    eval 'fcctl reload >/dev/null && scrape &&
          [ "$(value "flowchain_reloads_total{result=\"ok\"}")" -ge 1 ]'

# Traffic: 20 pings vm1 -> vm2 (allowed by ping-in's rule web-ping).
NIC="vm=\"vm2\",port=\"tap2\",host=\"h1\",bridge=\"br0\""
RULE='policy="ping-in",direction="inbound",rule="web-ping",verdict="allowed"'
sleep 1.5
scrape
t_check "NIC series of vm2/tap2 is there after the first poll" \
    value "flowchain_nic_rx_packets_total{$NIC}"
rx0=$(value "flowchain_nic_rx_packets_total{$NIC}" || echo 0)
tx0=$(value "flowchain_nic_tx_packets_total{$NIC}" || echo 0)
pol0=$(value "flowchain_policy_packets_total{$RULE}" || echo 0)
t_check "vm1 pings vm2 20 times" \
    lab_exec vm1 ping -n -q -c 20 -i 0.05 -W 1 10.77.10.2
# switch_port FIELD: FIELD ("rx" or "tx") packets of tap2 per the switch.
switch_port() {
    lab_ovs h1 ovs-ofctl -O OpenFlow13 dump-ports br0 tap2 \
        | sed -n "s/.*$1 pkts=\([0-9]*\).*/\1/p"
}
# counters_match: after the next poll, the NIC counters equal the
# switch's own, read right after the scrape.
counters_match() {
    sleep 1.2
    scrape || return 1
    rx=$(value "flowchain_nic_rx_packets_total{$NIC}")
    tx=$(value "flowchain_nic_tx_packets_total{$NIC}")
    srx=$(switch_port rx)
    stx=$(switch_port tx)
    echo "metrics rx $rx tx $tx; switch rx $srx tx $stx (before: rx $rx0 tx $tx0)"
    [ "$rx" = "$srx" ] && [ "$tx" = "$stx" ]
}
# Up to 3 tries: a stray packet (IPv6 neighbour discovery) between the
# poll and dump-ports would differ.
t_check "NIC rx/tx packets of vm2/tap2 equal the switch's port counters" \
    eval 'counters_match || counters_match || counters_match'
counters_match >/dev/null
t_check "  ... rx rose by >= 20 ($rx0 -> $rx)" [ $((rx - rx0)) -ge 20 ]
t_check "  ... tx rose by >= 20 ($tx0 -> $tx)" [ $((tx - tx0)) -ge 20 ]
t_check "NIC byte counters are there" \
    eval '[ "$(value "flowchain_nic_rx_bytes_total{$NIC}")" -gt 0 ]'
pol=$(value "flowchain_policy_packets_total{$RULE}" || echo 0)
t_check "policy ping-in/web-ping allowed packets rose by >= 20 ($pol0 -> $pol)" \
    [ $((pol - pol0)) -ge 20 ]
t_check "the scrape after traffic still passes promtool" \
    eval 'promtool check metrics < "$M"'

# Other paths and methods.
t_check "GET /other: 404" eval '[ "$(http_status GET /other)" = 404 ]'
t_check "GET /metricsx: 404" eval '[ "$(http_status GET /metricsx)" = 404 ]'
t_check "POST /metrics: 405" eval '[ "$(http_status POST /metrics)" = 405 ]'

# A slow client sends garbage, one byte each 0.3 s, and never ends its
# request: another client is served meanwhile, and the slow one is closed
# after the deadline (5 s).
SLOW=$LAB_DIR/slow.out
/usr/bin/python3 - "$MPORT" > "$SLOW" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
start = time.time()
try:
    while time.time() - start < 15:
        s.send(b"x")
        s.settimeout(0.3)
        try:
            if s.recv(4096) == b"":
                break
        except socket.timeout:
            pass
except OSError:
    pass
print("closed after %.1f" % (time.time() - start))
PY
SLOW_PID=$!
sleep 1
t_check "a scrape is served while the slow client is connected" \
    eval 'start=$(date +%s%N); scrape &&
          [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ] &&
          [ "$(value "flowchain_switch_connected{$SW}")" = 1 ]'
wait "$SLOW_PID"
t_check "the slow client is closed after the deadline ($(cat "$SLOW"))" \
    eval 't=$(sed -n "s/closed after //p" "$SLOW") &&
          awk -v t="$t" "BEGIN { exit !(t >= 4 && t < 8) }"'

# A huge request: refused with 400 once it passes the bound.
t_check "a 100 kB request line gets 400" \
    eval '/usr/bin/python3 - "$MPORT" <<'"'"'PY'"'"'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
try:
    s.sendall(b"GET /" + b"a" * 100000)
except OSError:
    pass
data = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
except OSError:
    pass
sys.exit(0 if data.startswith(b"HTTP/1.0 400") else 1)
PY'

# The cap on concurrent clients: 16 idle connections fill it; once the
# deadline closed them, scrapes work again.
/usr/bin/python3 - "$MPORT" <<'PY' &
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1])))
         for _ in range(16)]
time.sleep(7)
PY
IDLE_PID=$!
sleep 1
t_check "with 16 idle clients, one more gets no answer" not scrape
sleep 5
t_check "after the deadline closed them, the scrape works again" scrape
wait "$IDLE_PID"

# An invalid intent file: the reload (the file watcher's) is refused and
# counted; the running intent, and its hash, stay.
echo '{"version": 1, "hosts": [' > "$INTENT"
refused() {
    scrape && [ "$(value 'flowchain_reloads_total{result="refused"}')" -ge 1 ]
}
t_check "an invalid intent file counts in reloads_total{result=\"refused\"}" \
    wait_until 10 refused
t_check "  ... and flowchain_intent_info keeps the running intent's SHA-1" \
    grep -q "^flowchain_intent_info{path=\"$INTENT\",sha1=\"$sha\"} 1\$" "$M"

fcd_stop; rc=$?
t_check "flowchaind exits with status 0 on SIGTERM (got $rc)" [ "$rc" = 0 ]
t_check "  ... and logs \"exited cleanly\"" grep -q "exited cleanly" "$FCD_LOG"
t_check "no sanitizer report" \
    not grep -q "Sanitizer\|runtime error" "$LAB_DIR/flowchaind.stderr"
t_check "no error in the log" not grep -q "|ERR|" "$FCD_LOG"

t_done
