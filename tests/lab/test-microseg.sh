#!/bin/bash
# Microsegmentation with real TCP and ICMP: application policies (web ->
# app, app -> db), isolation between prod and dev, the router (outside the
# intent) policed where it arrives, connections cut when a rule goes, and
# connections that survive a reload and a controller restart untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

ms_up

# Application policies.
t_check "web1 -> app1 tcp/8080 connects (across the uplink)" tcp_ok web1 $APP1 8080
t_check "web1 -> app2 tcp/8080 connects (same host)" tcp_ok web1 $APP2 8080
t_check "web1 -> app1 tcp/9005 connects (a port of the 9000-9010 range)" tcp_ok web1 $APP1 9005
t_check "web1 -> app1 tcp/22 does not" tcp_fails web1 $APP1 22
t_check "web1 -> app2 tcp/22 does not (same host)" tcp_fails web1 $APP2 22
t_check "app1 -> web1 new connection does not (web accepts nothing)" tcp_fails app1 $WEB1 8080
t_check "web1 -> db1 tcp/5432 does not" tcp_fails web1 $DB1 5432
t_check "app1 -> db1 tcp/5432 connects" tcp_ok app1 $DB1 5432
t_check "app2 -> db1 tcp/5432 connects (across the uplink)" tcp_ok app2 $DB1 5432
t_check "web1 -> app1 ping does not (no icmp rule for web)" ping_fails web1 $APP1

# The replies of web -> app pass although web accepts no new connection:
# an echo session carries data both ways.
sess_start s1 web1 $APP1 9005
t_check "web1 -> app1:9005 session up, replies flow back" sess_alive s1
sleep 1
t_check "  ... and keeps echoing" sess_alive s1

# Isolation: dev1 is AppTier=web, so web-app alone would let it in.
t_check "dev1 -> app1 tcp/8080 does not (isolation before the web-app rule)" tcp_fails dev1 $APP1 8080
t_check "dev1 -> app2 tcp/8080 does not (same host)" tcp_fails dev1 $APP2 8080
t_check "app1 -> dev1 does not (isolation both ways)" tcp_fails app1 $DEV1 22
t_check "db1 -> dev1 ping does not" ping_fails db1 $DEV1
t_check "dev1 -> router ping works (the router is in no group)" ping_ok dev1 $ROUTER

# The router, outside the intent, is policed on the destination side.
t_check "router -> app1 ping passes (icmp from 10.8.101.254/32)" ping_ok router $APP1
t_check "router -> app1 tcp/22 does not" tcp_fails router $APP1 22
t_check "router -> db1 tcp/5432 does not" tcp_fails router $DB1 5432

# The switch counted what it did.
t_check "policy-stats: web-to-app allowed packets" [ "$(stat_of web-app inbound web-to-app allowed)" -gt 0 ]
t_check "policy-stats: web-app default denied packets" [ "$(stat_of web-app inbound default denied)" -gt 0 ]
t_check "policy-stats: prod-dev denied packets" [ "$(stat_of prod-dev - isolation denied)" -gt 0 ]
denied_sw=$(lab_ovs hv-host02 ovs-ofctl -O OpenFlow13 dump-flows br-guest \
    "cookie=0xfc08000000000000/0xffff000000000000" \
    | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' | awk '{n += $1} END {print n + 0}')
t_check "hv-host02's DENY flows counted packets ($denied_sw)" [ "$denied_sw" -gt 0 ]
trace=$(lab_ovs hv-host02 ovs-appctl ofproto/trace br-guest "in_port=Ethernet3,dl_vlan=101,dl_src=00:00:5e:00:01:65,dl_dst=50:6b:8d:00:0a:02,tcp,nw_src=$WEB1,nw_dst=$APP1,tp_src=40000,tp_dst=22" --ct-next trk,new 2>&1)
t_check "ofproto/trace: web1 -> app1:22 is dropped by web-app's verdict" \
    grep -q "^58\. ct_state=+new,ip,reg5=0x8/0x8" <<<"$trace"
t_check "ofproto/trace: ... and the datapath drops it" \
    grep -q "^Datapath actions: drop" <<<"$trace"

# A reload of the same intent and a controller restart change nothing.
m0=$(fcd_flow_mods)
fcctl reload >/dev/null
sleep 1
t_check "reload of an unchanged intent: 0 flow mods" [ "$(fcd_flow_mods)" = "$m0" ]
t_check "  ... and the session lives on" sess_alive s1
kill -KILL "$FCD_PID"
wait "$FCD_PID" 2>/dev/null
FCD_PID=
fcd_start "$MS_LIVE"
t_check "restarted controller reaches sync" wait_until 60 fcd_all_in_sync 6
sleep 1
t_check "restart: 0 flow mods (counter: $(fcd_flow_mods))" [ "$(fcd_flow_mods)" = 0 ]
t_check "  ... and the session lives on" sess_alive s1

# Removing the rule that allowed it cuts the session at its next packet.
sess_start s2 web1 $APP1 8080
t_check "web1 -> app1:8080 session up" sess_alive s2
before=$(date +%s.%N)
ms_edit 'd["policies"][2]["inbound"]["allow"].pop(0)'
t_check "removing web-to-app cuts the established sessions" \
    wait_until 5 grep -q '^broken' "$LAB_DIR/sess-s1"
t_check "  ... both of them" wait_until 5 grep -q '^broken' "$LAB_DIR/sess-s2"
echo "measured: seconds from the reload to the last echo / to the break noticed: $(sess_cut_after s1 "$before") (echoes every 0.1 s)"
t_check "  ... and new ones do not connect" tcp_fails web1 $APP1 8080
t_check "  ... while router -> app1 ping still passes" ping_ok router $APP1

# The incremental compile: these reloads changed only policies and VMs, so
# every switch was patched with the flows of what changed (no full
# compile), and the patched switches hold exactly what a full compile
# gives: a restart sends nothing.
patched() { grep -c "touched; 6 switches patched, 0 compiled in full" "$FCD_LOG"; }
t_check "the rule's removal patched all 6 switches, compiled none in full" \
    [ "$(patched)" -ge 1 ]
n_patched=$(patched)
ms_edit 'next(v for v in d["vms"] if v["name"] == "web1")["categories"]["AppTier"] = "app"'
t_check "web1 moved into AppTier app: web1 -> db1 tcp/5432 connects" \
    wait_until 5 tcp_ok web1 $DB1 5432
t_check "  ... and web1 -> app1 tcp/8080 does not (app accepts only the router)" \
    tcp_fails web1 $APP1 8080
t_check "  ... a patch of every switch" [ "$(patched)" -gt "$n_patched" ]
grep "intent change:" "$FCD_LOG" | tail -2 | sed 's/^/    /'
ms_edit 'd["vms"] = [v for v in d["vms"] if v["name"] != "app2"]'
t_check "app2 removed: app1 -> db1 tcp/5432 still connects" tcp_ok app1 $DB1 5432
t_check "  ... and app2 reaches nothing" tcp_fails app2 $DB1 5432
kill -KILL "$FCD_PID"
wait "$FCD_PID" 2>/dev/null
FCD_PID=
fcd_start "$MS_LIVE"
t_check "restarted after the patches, the controller reaches sync" \
    wait_until 60 fcd_all_in_sync 6
sleep 1
t_check "  ... with 0 flow mods: patched = fully compiled (counter: $(fcd_flow_mods))" \
    [ "$(fcd_flow_mods)" = 0 ]

t_done
