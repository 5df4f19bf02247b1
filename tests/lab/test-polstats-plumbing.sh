#!/bin/bash
# The controller's plumbing for microsegmentation on real switches (the
# policies' own behaviour is test-microseg*.sh's):
# - the hit-log meter is installed before the flows that use it, so Open
#   vSwitch binds them to it: a burst of denied packets passes the meter
#   (its counters rise) and its band drops what exceeds --hit-log-rate;
# - a monitored policy logs "would-deny";
# - policy-stats equals the switches' own counters of kinds 7, 8 and 9,
#   over every bridge, through flowchainctl and ovs-appctl alike;
# - a switch that does not answer is named after the 3 s deadline;
# - a restart with another --hit-log-rate modifies the meter in place,
#   with no error counted or logged and no flow mod.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

lab_up "$MS_INTENT" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
LIVE=$LAB_DIR/intent.json
# web-app logs; prod-dev is monitored and logs.
/usr/bin/python3 - "$MS_INTENT" "$LIVE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["policies"]:
    if p["name"] == "web-app":
        p["log"] = True
    if p["name"] == "prod-dev":
        p["mode"] = "monitor"
        p["log"] = True
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
HOSTS="hv-host01 hv-host02"
BRIDGES="br-mgmt br-lm br-guest"
fcd_start "$LIVE" --hit-log-rate 5
t_check "all bridges reach sync" wait_until 60 fcd_all_in_sync 6
t_check "status: the meter was added on all 6 switches" \
    eval '[ "$(fcctl status --ports | grep -c "^  hit-log meter 1: 5 packets/s, burst 5 (added)$")" -eq 6 ]'
for h in $HOSTS; do
    for br in $BRIDGES; do
        t_check "dump-meters $h/$br: meter 1, pktps burst, drop at 5/5" \
            eval 'out=$(lab_ovs $h ovs-ofctl -O OpenFlow13 dump-meters $br) &&
                  grep -qx "meter=1 pktps burst bands=" <<<"$out" &&
                  grep -qx "type=drop rate=5 burst_size=5" <<<"$out"'
    done
done

# meter_stat HOST BRIDGE FIELD: a counter of meter 1 (packet_in_count of
# the meter, or packet_count of its band).
meter_stat() {
    lab_ovs "$1" ovs-ofctl -O OpenFlow13 meter-stats "$2" \
        | sed -n "s/.*[ :]$3:\([0-9]*\).*/\1/p" | head -1
}

# A burst of 50 denied pings web1 -> app1 (web-app's default, logged).
lab_exec web1 ping -n -q -c 50 -i 0.005 -W 1 $APP1 >/dev/null 2>&1
hits() { grep -c "policy hit: .*policy=web-app rule=default verdict=denied vlan=101 icmp $WEB1 -> $APP1\$" "$FCD_LOG"; }
t_check "the pings' attempt is logged once" wait_until 5 eval '[ "$(hits)" -eq 1 ]'
in=$(meter_stat hv-host02 br-guest packet_in_count)
dropped=$(meter_stat hv-host02 br-guest packet_count)
suppressed=$(fcctl status | sed -n 's/^hit log: [0-9]* lines, \([0-9]*\) repeats.*/\1/p')
echo "measured: meter 1 on hv-host02/br-guest saw $in packets, its band dropped $dropped; $suppressed repeats suppressed"
t_check "the hit-log flows go through meter 1 ($in packets)" [ "${in:-0}" -ge 50 ]
t_check "the meter's band dropped what exceeded 5/s ($dropped)" [ "${dropped:-0}" -gt 0 ]
t_check "repeats that passed the meter were suppressed ($suppressed)" \
    [ "${suppressed:-0}" -gt 0 ]

# A monitored isolation: dev1 (dev) -> app1 (prod) is counted and logged.
lab_exec dev1 ping -n -q -c 2 -i 0.2 -W 1 $APP1 >/dev/null 2>&1
t_check "a monitored policy logs would-deny" wait_until 5 grep -q \
    "policy hit: host=hv-host0[12] bridge=br-guest policy=prod-dev rule=isolation verdict=would-deny vlan=101 icmp $DEV1 -> $APP1\$" "$FCD_LOG"

# switches_sum KIND FIELD: n_packets or n_bytes of every flow with a policy
# cookie of KIND (7 allowed, 8 denied, 9 would-deny) on every bridge.
switches_sum() {
    local h br
    for h in $HOSTS; do
        for br in $BRIDGES; do
            lab_ovs $h ovs-ofctl -O OpenFlow13 dump-flows $br \
                "cookie=0xfc0$1000000000000/0xffff000000000000"
        done
    done | sed -n "s/.* $2=\([0-9]*\),.*/\1/p" | awk '{n += $1} END {print n + 0}'
}
# stats_sum VERDICT COLUMN: the sum of a column of policy-stats' rows.
stats_sum() {
    fcctl policy-stats | awk -v v="$1" -v c="$2" '$4 == v { n += $c } END { print n + 0 }'
}
# same_sums: policy-stats equals the switches, for every verdict.
same_sums() {
    local ok=0 v k
    for v in allowed:7 denied:8 would-deny:9; do
        k=${v#*:} v=${v%:*}
        a=$(stats_sum "$v" 5) b=$(switches_sum "$k" n_packets)
        c=$(stats_sum "$v" 6) d=$(switches_sum "$k" n_bytes)
        echo "  $v: policy-stats $a packets $c bytes, switches $b packets $d bytes"
        [ "$a" = "$b" ] && [ "$c" = "$d" ] || ok=1
    done
    return $ok
}
# An echo server on app1:8080; it records its pid (lab_spawn's would be
# lab.py's) so that this test stops it; bounded life in any case.
SRV_PIDS=$LAB_DIR/servers.pids
lab_spawn lab_exec app1 /bin/sh -c \
    'echo $$ >> "$1"; exec timeout 300 /usr/bin/python3 "$2" server 8080' \
    sh "$SRV_PIDS" "$MS_PY"
t_check "web1 -> app1 tcp/8080 connects (allowed by web-to-app)" \
    wait_until 5 tcp_ok web1 $APP1 8080
sleep 1
t_check "policy-stats equals the switches' counters of kinds 7, 8, 9" \
    wait_until 5 same_sums
same_sums
t_check "  ... and they are not all zero" \
    eval '[ "$(stats_sum denied 5)" -gt 0 ] && [ "$(stats_sum would-deny 5)" -gt 0 ] && [ "$(stats_sum allowed 5)" -gt 0 ]'
t_check "ovs-appctl -t gives the same table" \
    eval '[ "$(ovs-appctl -t "$FCD_CTL" policy-stats)" = "$(fcctl policy-stats)" ]'
t_check "the table: a header, rows in file order, no note" \
    eval 'out=$(fcctl policy-stats) &&
          head -1 <<<"$out" | grep -qE "^POLICY +DIRECTION +RULE +VERDICT +PACKETS +BYTES$" &&
          [ "$(sed 1d <<<"$out" | awk "{print \$1}" | uniq | tr "\n" " ")" = "prod-dev web-in web-app app-db " ] &&
          ! grep -q "^#" <<<"$out"'

# hv-host01's ovs-vswitchd paused: its 3 switches do not answer.
vpid=$(lab_get hosts.hv-host01.vswitchd_pid)
kill -STOP "$vpid"
fcctl policy-stats > "$LAB_DIR/stats-paused" 2>&1
rc=$?
kill -CONT "$vpid"
cat "$LAB_DIR/stats-paused" | sed 's/^/    /'
t_check "a paused switch: still an answer, exit 0" [ "$rc" -eq 0 ]
t_check "  ... naming the 3 switches that did not answer" \
    eval '[ "$(grep -c "^# switch 000000000000010[123] (host hv-host01 bridge br-[a-z]*) did not answer within 3 s: its flows are not counted$" "$LAB_DIR/stats-paused")" -eq 3 ]'
t_check "  ... and the rows of the others" \
    grep -q "^web-app " "$LAB_DIR/stats-paused"
t_check "the paused switches are answered normally afterwards" \
    wait_until 10 eval '! fcctl policy-stats | grep -q "^#"'

# Restart with another rate: the meter is there (METER_EXISTS), MODIFY.
fcctl exit >/dev/null
wait "$FCD_PID"; rc=$?; FCD_PID=
t_check "flowchaind exits cleanly (status $rc)" [ "$rc" -eq 0 ]
n0=$(wc -l < "$FCD_LOG")
fcd_start "$LIVE" --hit-log-rate 7
t_check "restarted with --hit-log-rate 7: all in sync" wait_until 60 fcd_all_in_sync 6
t_check "status: the meter was there and was updated on all 6" \
    wait_until 10 eval '[ "$(fcctl status --ports | grep -c "^  hit-log meter 1: 7 packets/s, burst 7 (was there, updated)$")" -eq 6 ]'
for h in $HOSTS; do
    for br in $BRIDGES; do
        t_check "dump-meters $h/$br: now 7/7" \
            eval 'lab_ovs $h ovs-ofctl -O OpenFlow13 dump-meters $br | grep -qx "type=drop rate=7 burst_size=7"'
    done
done
t_check "restart: no OpenFlow error counted on any switch" \
    eval '[ "$(fcctl status --ports | grep -c "peer: .*, errors 0$")" -eq 6 ]'
t_check "restart: no warning or error in the new daemon's log" \
    eval 'tail -n +$((n0 + 1)) "$FCD_LOG" | not grep -E "\|(WARN|ERR|EMER)\|"'
t_check "restart: 0 flow mods (counter: $(fcd_flow_mods))" [ "$(fcd_flow_mods)" = 0 ]
lab_exec web1 ping -n -q -c 50 -i 0.005 -W 1 $APP1 >/dev/null 2>&1
t_check "the flows still go through the modified meter" \
    eval '[ "$(meter_stat hv-host02 br-guest packet_in_count)" -ge 50 ]'
while read -r pid; do kill "$pid" 2>/dev/null; done < "$SRV_PIDS"
t_done
