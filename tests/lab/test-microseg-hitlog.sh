#!/bin/bash
# The policy hit log (tests/lab/microseg.sh describes the lab): one
# "policy hit:" line per denied (or, monitored, would-be denied) connection
# attempt of a policy with "log": true, none for allowed traffic or for a
# policy without "log", and at most the meter's rate x time + burst lines
# under a SYN flood.  flowchaind runs with --hit-log-rate=50.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

RATE=50
ms_up 'for n in ("web-app", "app-db", "prod-dev"): pol(n)["log"] = True' \
    --hit-log-rate=$RATE
H1=hv-host01 H2=hv-host02

for h in $H1 $H2; do
    t_check "meter 1 on $h/$MS_BR: drop above $RATE packets/s, burst $RATE" \
        grep -q "type=drop rate=$RATE burst_size=$RATE" \
        <<<"$(lab_ovs $h ovs-ofctl -O OpenFlow13 dump-meters $MS_BR)"
done

# hits_since N REGEX: lines matching REGEX after the first N hit lines.
hits_since() {
    grep 'policy hit:' "$FCD_LOG" | tail -n +"$(( $1 + 1 ))" | grep -cE -- "$2"
}

# Three denied attempts (nc: a SYN and its retransmit each) -> three lines.
n0=$(hit_lines) d0=$(flow_pkts $H2 deny web-app 0x80)
for i in 1 2 3; do
    tcp_fails web1 $APP1 22
done
sleep 1
re="host=$H2 bridge=$MS_BR policy=web-app rule=default verdict=denied vlan=101 tcp $WEB1:[0-9]+ -> $APP1:22\$"
n=$(hits_since "$n0" "$re")
t_check "3 denied attempts web1 -> app1:22: 3 lines ($n)" [ "$n" = 3 ]
t_check "  ... 3 different source ports" [ "$(grep 'policy hit:' "$FCD_LOG" | tail -n +$((n0 + 1)) |
    grep -E -- "$re" | sed -E 's/.*:([0-9]+) -> .*/\1/' | sort -u | wc -l)" = 3 ]
d1=$(flow_pkts $H2 deny web-app 0x80)
t_check "  ... while the switch dropped more SYNs than that (retransmits: $d0 -> $d1)" \
    [ $((d1 - d0)) -gt 3 ]
t_check "nothing else was logged" [ "$(hit_lines)" = $((n0 + 3)) ]

n0=$(hit_lines)
t_check "web1 -> app1 ping (3 requests) does not pass" \
    not lab_exec web1 ping -n -q -c 3 -i 0.2 -W 1 $APP1
sleep 1
t_check "  ... one line for the ping (one ICMP id)" \
    [ "$(hits_since "$n0" "policy=web-app rule=default verdict=denied vlan=101 icmp $WEB1 -> $APP1")" = 1 ]

n0=$(hit_lines)
t_check "web1 -> db1 tcp/5432 does not" tcp_fails web1 $DB1 5432
t_check "dev1 -> app1 tcp/8080 does not (isolation)" tcp_fails dev1 $APP1 8080
sleep 1
t_check "  ... one line for app-db (rule=default, at db1's host)" \
    [ "$(hits_since "$n0" "host=$H2 bridge=$MS_BR policy=app-db rule=default verdict=denied vlan=101 tcp $WEB1:[0-9]+ -> $DB1:5432\$")" = 1 ]
t_check "  ... one line for prod-dev (rule=isolation, at dev1's host: denied at the source)" \
    [ "$(hits_since "$n0" "host=$H1 bridge=$MS_BR policy=prod-dev rule=isolation verdict=denied vlan=101 tcp $DEV1:[0-9]+ -> $APP1:8080\$")" = 1 ]
t_check "  ... and nothing else" [ "$(hit_lines)" = $((n0 + 2)) ]

n0=$(hit_lines)
t_check "web1 -> app1 tcp/8080 (allowed) connects" tcp_ok web1 $APP1 8080
t_check "app1 -> web1 tcp/8080 does not (web-in, no \"log\")" tcp_fails app1 $WEB1 8080
sleep 1
t_check "  ... neither is logged" [ "$(hit_lines)" = "$n0" ]

# Monitor mode: would-deny lines; the bridges of both ends see the same
# attempt, which is logged once per policy.
ms_edit 'pol("prod-dev")["mode"] = "monitor"'
n0=$(hit_lines)
t_check "monitored prod-dev: dev1 -> app1 tcp/8080 connects" tcp_ok dev1 $APP1 8080
t_check "monitored prod-dev: dev1 -> app1 tcp/22 does not (web-app)" tcp_fails dev1 $APP1 22
sleep 1
t_check "  ... one would-deny line for :8080" \
    [ "$(hits_since "$n0" "policy=prod-dev rule=isolation verdict=would-deny vlan=101 tcp $DEV1:[0-9]+ -> $APP1:8080\$")" = 1 ]
t_check "  ... one would-deny line for :22" \
    [ "$(hits_since "$n0" "policy=prod-dev rule=isolation verdict=would-deny vlan=101 tcp $DEV1:[0-9]+ -> $APP1:22\$")" = 1 ]
t_check "  ... and one denied line (web-app) for :22" \
    [ "$(hits_since "$n0" "policy=web-app rule=default verdict=denied vlan=101 tcp $DEV1:[0-9]+ -> $APP1:22\$")" = 1 ]
t_check "  ... 3 lines in all" [ "$(hit_lines)" = $((n0 + 3)) ]

# --- SYN flood from web1 to app1:22, a new source port per SYN.
SECS=3
n0=$(hit_lines) d0=$(flow_pkts $H2 deny web-app 0x80)
b0=$(lab_ovs $H2 ovs-ofctl -O OpenFlow13 meter-stats $MS_BR | sed -n 's/^ *0: packet_count:\([0-9]*\).*/\1/p')
read -r sent secs <<<"$(lab_exec web1 /usr/bin/python3 "$LAB_HOME/synflood.py" eth0 \
    "$(vm_mac web1)" "$(vm_mac app1)" $WEB1 $APP1 22 $SECS)"
sleep 2
lines=$(hits_since "$n0" "policy=web-app rule=default verdict=denied vlan=101 tcp $WEB1:[0-9]+ -> $APP1:22\$")
d1=$(flow_pkts $H2 deny web-app 0x80)
b1=$(lab_ovs $H2 ovs-ofctl -O OpenFlow13 meter-stats $MS_BR | sed -n 's/^ *0: packet_count:\([0-9]*\).*/\1/p')
# The meter admits at most burst + rate x the time the flood lasted; one
# second more for the switch's queue.
bound=$(awk -v r=$RATE -v t="$secs" 'BEGIN { printf "%d", r * (t + 1) + r }')
echo "measured: SYN flood $sent SYNs in $secs s; switch denied $((d1 - d0)); meter dropped $((${b1:-0} - ${b0:-0})); $lines hit-log lines (bound $bound = $RATE/s x ($secs + 1) s + $RATE)"
t_check "SYN flood: the switch denied the SYNs ($((d1 - d0)) of $sent)" \
    [ $((d1 - d0)) -gt $((sent / 2)) ]
t_check "SYN flood: hit-log lines <= rate x (time + 1) + burst ($lines <= $bound)" \
    [ "$lines" -le "$bound" ]
t_check "SYN flood: the log went on logging ($lines >= $((RATE / 2)))" \
    [ "$lines" -ge $((RATE / 2)) ]
t_check "SYN flood: the meter dropped the rest (band count $b0 -> $b1)" \
    [ "${b1:-0}" -gt "${b0:-0}" ]
st=$(fcctl status)
t_check "flowchaind still answers and dropped no stray packet-in" \
    grep -qE ' 0 (other|foreign) packet-ins dropped' <<<"$st"
t_check "  ... its status counts the lines of the log ($(hit_lines))" \
    [ "$(sed -nE 's/.*hit log: ([0-9]+) lines.*/\1/p' <<<"$st")" = "$(hit_lines)" ]
t_check "a new denied attempt after the flood is logged" tcp_fails web1 $APP1 9999
sleep 1
t_check "  ... (its line)" grep -qE "policy=web-app rule=default verdict=denied vlan=101 tcp $WEB1:[0-9]+ -> $APP1:9999\$" "$FCD_LOG"

t_done
