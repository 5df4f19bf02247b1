#!/bin/bash
# The policy hit log: one line per denied (or would-be-denied) connection
# attempt of a policy with "log": true, and bounded by the hit-log meter
# under a SYN flood.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

ms_up
ms_edit 'd["policies"][2]["log"] = True; d["policies"][0]["log"] = True; d["policies"][0]["mode"] = "monitor"'
sleep 1

hits() {
    grep -c "policy hit: .*$1" "$FCD_LOG"
}
meter=$(lab_ovs hv-host02 ovs-ofctl -O OpenFlow13 dump-meters br-guest)
t_check "meter 1 on hv-host02/br-guest: 100 packets/s, burst 100" \
    grep -q "type=drop rate=100 burst_size=100" <<<"$meter"

# Three denied attempts (each a new source port; SYN retransmits are the
# same attempt) -> three lines.
for i in 1 2 3; do
    tcp_fails web1 $APP1 22
done
sleep 1
n=$(hits "policy=web-app rule=default verdict=denied vlan=101 tcp $WEB1:[0-9]* -> $APP1:22")
t_check "3 denied attempts web1 -> app1:22 -> 3 lines ($n)" [ "$n" = 3 ]
t_check "the line names the receiving host and bridge" \
    grep -q "policy hit: host=hv-host02 bridge=br-guest policy=web-app" "$FCD_LOG"

# A would-be denial of the monitored isolation, which then passes.
t_check "dev1 -> app1 tcp/8080 passes (prod-dev monitored)" tcp_ok dev1 $APP1 8080
sleep 1
t_check "  ... and is logged as would-deny" \
    grep -q "policy=prod-dev rule=isolation verdict=would-deny vlan=101 tcp $DEV1:[0-9]* -> $APP1:8080" "$FCD_LOG"

# Allowed traffic never reaches the controller.
before=$(grep -c "policy hit:" "$FCD_LOG")
t_check "web1 -> app1 tcp/8080 connects" tcp_ok web1 $APP1 8080
sleep 1
t_check "  ... and logs nothing" [ "$(grep -c "policy hit:" "$FCD_LOG")" = "$before" ]

# SYN flood: 3000 SYNs from web1 to app1:22, random source ports.
before=$(hits "-> $APP1:22")
start=$(date +%s.%N)
lab_exec web1 /usr/bin/python3 -c '
import logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, RandShort, send
send(IP(dst=sys.argv[1]) / TCP(sport=RandShort(), dport=22, flags="S"),
     count=3000, inter=0, verbose=0)
' $APP1
end=$(date +%s.%N)
sleep 2
after=$(hits "-> $APP1:22")
lines=$((after - before))
secs=$(echo "$end - $start + 2" | bc)
bound=$(echo "100 * $secs + 100" | bc | cut -d. -f1)
echo "measured: 3000 SYNs in $(echo "$end - $start" | bc) s -> $lines hit-log lines (bound $bound)"
t_check "SYN flood: at most meter rate x time + burst lines ($lines <= $bound)" \
    [ "$lines" -le "$bound" ]
t_check "SYN flood: the log kept logging ($lines >= 50)" [ "$lines" -ge 50 ]
t_check "the daemon is still fine" fcctl status
t_check "the dropped SYNs were counted by the switch" \
    [ "$(stat_of web-app inbound default denied)" -ge 3000 ]

t_done
