#!/bin/bash
# Microsegmentation with real TCP and ICMP (tests/lab/microseg.sh describes
# the lab): application policies (web -> app, app -> db), stateful replies,
# isolation between prod and dev that wins over an application rule, and
# the router (outside the intent) policed where it arrives.  Each decision
# is also read on the switch: the deciding flow in ofproto/trace and the
# policy's DENY / ALLOW flow counters.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

ms_up
H1=hv-host01 H2=hv-host02
RMAC=$(lab_get router.links.vlan101.mac)
# A packet arriving at hv-host02 (resp. hv-host01) from the uplink.
UP2="in_port=Ethernet3,dl_vlan=101"
UP1="in_port=Ethernet3,dl_vlan=101"

# --- application policies
t_check "web1 -> app1 tcp/8080 connects (across the uplink)" tcp_ok web1 $APP1 8080
t_check "web1 -> app2 tcp/8080 connects (same host)" tcp_ok web1 $APP2 8080
t_check "web1 -> app1 tcp/9005 connects (in the 9000-9010 range)" tcp_ok web1 $APP1 9005
# bulk FROM IP PORT: 4 MB through the echo server at IP:PORT and back, the
# bytes that came back (TCP windows open only if each side's conntrack
# sees both directions of the connection in its own zone).
bulk() {
    lab_exec "$1" sh -c "head -c 4000000 /dev/zero | nc -N -w 5 $2 $3 | wc -c"
}
n=$(bulk web1 $APP2 8080)
t_check "web1 -> app2 tcp/8080: 4 MB echoed back in full ($n bytes; same host)" [ "$n" = 4000000 ]
n=$(bulk web1 $APP1 8080)
t_check "web1 -> app1 tcp/8080: 4 MB echoed back in full ($n bytes; across the uplink)" [ "$n" = 4000000 ]
d0=$(flow_pkts $H2 deny web-app)
t_check "web1 -> app1 tcp/22 does not" tcp_fails web1 $APP1 22
t_check "  ... web-app's DENY flows on $H2 counted it ($d0 -> $(flow_pkts $H2 deny web-app))" \
    rose "$d0" "$(flow_pkts $H2 deny web-app)"
tr=$(ms_trace $H2 "$UP2,dl_src=$(vm_mac web1),dl_dst=$(vm_mac app1),tcp,nw_src=$WEB1,nw_dst=$APP1,tp_src=40000,tp_dst=22")
t_check "  ... ofproto/trace: web-app's inbound default denies it" \
    trace_decided_by "$tr" "$(pol_cookie deny web-app 0x80)"
tr=$(ms_trace $H2 "$UP2,dl_src=$(vm_mac web1),dl_dst=$(vm_mac app1),tcp,nw_src=$WEB1,nw_dst=$APP1,tp_src=40000,tp_dst=9010")
t_check "  ... ofproto/trace: tcp/9010 (end of the range) reaches app1" \
    trace_outputs "$tr" "$(ofport $H2 tap1)"
t_check "web1 -> app2 tcp/22 does not (same host)" tcp_fails web1 $APP2 22
t_check "web1 -> app1 ping does not (no icmp rule for web)" ping_fails web1 $APP1
d0=$(flow_pkts $H2 deny app-db)
t_check "web1 -> db1 tcp/5432 does not" tcp_fails web1 $DB1 5432
t_check "  ... app-db's DENY flows counted it" rose "$d0" "$(flow_pkts $H2 deny app-db)"
t_check "app1 -> db1 tcp/5432 connects (same host)" tcp_ok app1 $DB1 5432
t_check "app2 -> db1 tcp/5432 connects (across the uplink)" tcp_ok app2 $DB1 5432
t_check "app1 -> db1 tcp/22 does not" tcp_fails app1 $DB1 22

# Stateful: web accepts no new connection, yet the replies of web -> app
# reach it.
t_check "app1 -> web1 tcp/8080 (new connection) does not" tcp_fails app1 $WEB1 8080
tr=$(ms_trace $H1 "$UP1,dl_src=$(vm_mac app1),dl_dst=$(vm_mac web1),tcp,nw_src=$APP1,nw_dst=$WEB1,tp_src=40000,tp_dst=8080")
t_check "  ... ofproto/trace: web-in's inbound default denies it" \
    trace_decided_by "$tr" "$(pol_cookie deny web-in 0x80)"
a0=$(flow_pkts $H2 allow web-app 0x81)
sess_start s1 web1 $APP1 8080
t_check "web1 -> app1:8080 echo session: app1's replies reach web1" sess_alive s1
t_check "  ... web-to-app's ALLOW flow counts its packets ($a0 -> $(flow_pkts $H2 allow web-app 0x81))" \
    rose "$a0" "$(flow_pkts $H2 allow web-app 0x81)"
tr=$(ms_trace $H1 "$UP1,dl_src=$(vm_mac app1),dl_dst=$(vm_mac web1),tcp,nw_src=$APP1,nw_dst=$WEB1,tp_src=8080,tp_dst=40000" trk,est,rpl)
t_check "  ... ofproto/trace: a reply (est,rpl) from app1 reaches web1" \
    trace_outputs "$tr" "$(ofport $H1 tap0)"

# --- other EtherTypes (0x88b5): app2's inbound side is under web-app's
# default deny, so its dispatch denies them, counted on web-app's DENY
# cookie; web1's source side is policed (prod-dev) but nothing there denies
# them, and fx1 is policed nowhere.
FRAMES="/usr/bin/python3 $LAB_HOME/frames.py"
# other_etype FROM TO: how many of 5 frames of EtherType 0x88b5 from FROM
# reach TO.
other_etype() {
    local out=$LAB_DIR/sniff-$2 pid
    lab_exec "$2" $FRAMES sniff-ethertype eth0 "$(vm_mac "$1")" 0x88b5 3 >"$out" &
    pid=$!
    sleep 1
    lab_exec "$1" $FRAMES ethertype eth0 "$(vm_mac "$1")" "$(vm_mac "$2")" 0x88b5 5
    wait "$pid"
    cat "$out"
}
e0=$(flow_pkts $H1 deny web-app 0x80)
n=$(other_etype web1 app2)
t_check "web1 -> app2, EtherType 0x88b5: none of 5 frames arrives ($n)" [ "$n" = 0 ]
t_check "  ... web-app's inbound DENY flows on $H1 counted them ($e0 -> $(flow_pkts $H1 deny web-app 0x80))" \
    [ "$(flow_pkts $H1 deny web-app 0x80)" -ge $((e0 + 5)) ]
tr=$(ms_trace $H1 "in_port=tap0,dl_src=$(vm_mac web1),dl_dst=$(vm_mac app2),dl_type=0x88b5")
t_check "  ... ofproto/trace: web-app's dispatch denies them (table 56)" \
    eval 'grep -qE "^ *56\. .*cookie $(pol_cookie deny web-app 0x80)\$" <<<"$tr" &&
          grep -q "^Datapath actions: drop$" <<<"$tr" || { echo "$tr"; false; }'
# (fx1 pings first, so that the physical switch knows its MAC and does not
# flood the frames to both members of hv-host02's bond.)
ping_ok fx1 $ROUTER >/dev/null
n=$(other_etype web1 fx1)
t_check "web1 -> fx1, EtherType 0x88b5: all 5 frames arrive ($n; across the uplink)" [ "$n" = 5 ]

# --- isolation: dev1 is AppTier=web, so web-app alone would let it in.
i1=$(flow_pkts $H1 deny prod-dev)
t_check "dev1 -> app1 tcp/8080 does not (isolation before web-app's rule)" \
    tcp_fails dev1 $APP1 8080
t_check "  ... prod-dev's DENY flows on $H1 (dev1's side) counted it" \
    rose "$i1" "$(flow_pkts $H1 deny prod-dev)"
tr=$(ms_trace $H1 "in_port=tap5,dl_src=$(vm_mac dev1),dl_dst=$(vm_mac app1),tcp,nw_src=$DEV1,nw_dst=$APP1,tp_src=40000,tp_dst=8080")
t_check "  ... ofproto/trace: prod-dev denies it at the source" \
    trace_decided_by "$tr" "$(pol_cookie deny prod-dev)"
tr=$(ms_trace $H2 "$UP2,dl_src=$(vm_mac dev1),dl_dst=$(vm_mac app1),tcp,nw_src=$DEV1,nw_dst=$APP1,tp_src=40000,tp_dst=8080")
t_check "  ... ofproto/trace: and app1's side denies it too (prod-dev)" \
    trace_decided_by "$tr" "$(pol_cookie deny prod-dev)"
t_check "dev1 -> app2 tcp/8080 does not (same host)" tcp_fails dev1 $APP2 8080
t_check "dev1 -> app1 ping does not" ping_fails dev1 $APP1
i2=$(flow_pkts $H2 deny prod-dev)
t_check "app1 -> dev1 tcp/22 does not (isolation both ways)" tcp_fails app1 $DEV1 22
t_check "  ... prod-dev's DENY flows on $H2 (app1's side) counted it" \
    rose "$i2" "$(flow_pkts $H2 deny prod-dev)"
t_check "db1 -> dev1 ping does not" ping_fails db1 $DEV1
t_check "fx1 -> dev1 tcp/22 does not (web-in: dev1 is AppTier=web)" tcp_fails fx1 $DEV1 22
t_check "fx1 -> app1 tcp/22 does not (web-app)" tcp_fails fx1 $APP1 22
t_check "dev1 -> fx1 tcp/22 connects (fx1 is in no group, no policy)" tcp_ok dev1 $FX1 22
t_check "dev1 -> router ping works (the router is in no group)" ping_ok dev1 $ROUTER
t_check "app1 -> router tcp/22 connects (outbound defaults allow)" tcp_ok app1 $ROUTER 22

# --- the router, outside the intent, is policed where it arrives.
a0=$(flow_pkts $H2 allow web-app 0x82)
t_check "router -> app1 ping passes (icmp from 10.8.101.254/32)" ping_ok router $APP1
t_check "  ... router-ping's ALLOW flow counted it" \
    rose "$a0" "$(flow_pkts $H2 allow web-app 0x82)"
t_check "router -> app1 tcp/22 does not" tcp_fails router $APP1 22
tr=$(ms_trace $H2 "$UP2,dl_src=$RMAC,dl_dst=$(vm_mac app1),tcp,nw_src=$ROUTER,nw_dst=$APP1,tp_src=40000,tp_dst=22")
t_check "  ... ofproto/trace: web-app's inbound default denies it" \
    trace_decided_by "$tr" "$(pol_cookie deny web-app 0x80)"
tr=$(ms_trace $H2 "$UP2,dl_src=$RMAC,dl_dst=$(vm_mac app1),icmp,nw_src=$ROUTER,nw_dst=$APP1,icmp_type=8,icmp_code=0")
t_check "  ... ofproto/trace: its echo request reaches app1" \
    trace_outputs "$tr" "$(ofport $H2 tap1)"
t_check "router -> app1 tcp/8080 does not (web-to-app is for web VMs only)" \
    tcp_fails router $APP1 8080
t_check "router -> db1 tcp/5432 does not" tcp_fails router $DB1 5432
t_check "router -> web1 ping does not (web-in)" ping_fails router $WEB1
t_check "router -> fx1 tcp/22 connects (no policy concerns fx1)" tcp_ok router $FX1 22

# --- policy-stats sums what the switches counted.
t_check "policy-stats: web-to-app allowed packets" [ "$(stat_of web-app inbound web-to-app allowed)" -gt 0 ]
t_check "policy-stats: router-ping allowed packets" [ "$(stat_of web-app inbound router-ping allowed)" -gt 0 ]
t_check "policy-stats: web-app default denied packets" [ "$(stat_of web-app inbound default denied)" -gt 0 ]
t_check "policy-stats: app-db #1 allowed packets" [ "$(stat_of app-db inbound '#1' allowed)" -gt 0 ]
t_check "policy-stats: web-in default denied packets" [ "$(stat_of web-in inbound default denied)" -gt 0 ]
sw=$(( $(flow_pkts $H1 deny prod-dev) + $(flow_pkts $H2 deny prod-dev) ))
t_check "policy-stats: prod-dev denied = the switches' DENY counters ($sw)" \
    [ "$(stat_of prod-dev - isolation denied)" = "$sw" ]
t_check "the session still echoes" sess_alive s1

t_done
