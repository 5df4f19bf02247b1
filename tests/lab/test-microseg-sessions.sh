#!/bin/bash
# Microsegmentation and established connections (tests/lab/microseg.sh
# describes the lab): reloading an unchanged intent, or kill -9 and restart
# of flowchaind, cuts nothing (zero flow mods, the echo sessions go on);
# removing the rule that allowed connections cuts them at their next
# packet, and only them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

ms_up
H1=hv-host01 H2=hv-host02

sess_start s1 web1 $APP1 9005
sess_start s2 web1 $APP1 8080
sess_start s3 app2 $DB1 5432
t_check "web1 -> app1:9005 session (web-to-app, range 9000-9010)" sess_alive s1
t_check "web1 -> app1:8080 session (web-to-app)" sess_alive s2
t_check "app2 -> db1:5432 session (app-db)" sess_alive s3

# --- nothing changes: reload, file rewrite, kill -9 + restart.
flows1=$(lab_flows $H1 $MS_BR) flows2=$(lab_flows $H2 $MS_BR)
m0=$(fcd_flow_mods)
t_check "reload of the unchanged intent is accepted" fcctl reload
sleep 1
t_check "  ... 0 flow mods (counter still $(fcd_flow_mods))" [ "$(fcd_flow_mods)" = "$m0" ]
ms_edit 'pass'      # the same intent written anew: the file watch fires too
sleep 1.5
t_check "rewrite of the same intent: 0 flow mods" [ "$(fcd_flow_mods)" = "$m0" ]
t_check "  ... the sessions live on (s1)" sess_alive s1
t_check "  ... (s2)" sess_alive s2
t_check "  ... (s3)" sess_alive s3

# A ping through a policy rule (router-ping) across the kill and restart.
lab_exec router ping -n -i 0.1 -c 100 -W 1 $APP1 >"$LAB_DIR/ping-restart" 2>&1 &
ping_pid=$!
sleep 1
kill -KILL "$FCD_PID"
wait "$FCD_PID" 2>/dev/null
FCD_PID=
t_check "flowchaind killed (-9): the sessions live on (fail_mode=secure)" sess_alive s1
fcd_start "$MS_LIVE"
t_check "restarted flowchaind reaches sync" wait_until 60 fcd_all_in_sync 6
sleep 1
t_check "restart: 0 flow mods (counter: $(fcd_flow_mods))" [ "$(fcd_flow_mods)" = 0 ]
t_check "  ... $H1 holds the same flows as before" [ "$(lab_flows $H1 $MS_BR)" = "$flows1" ]
t_check "  ... $H2 holds the same flows as before" [ "$(lab_flows $H2 $MS_BR)" = "$flows2" ]
t_check "  ... the sessions live on (s1)" sess_alive s1
t_check "  ... (s2)" sess_alive s2
t_check "  ... (s3)" sess_alive s3
wait $ping_pid
read -r sent got < <(ping_counts "$LAB_DIR/ping-restart")
echo "    router -> app1 ping (allowed by router-ping) across kill -9 and restart: $got of $sent"
t_check "  ... no ping lost across the restart ($got/$sent)" \
    eval '[ "$sent" -gt 0 ] && [ "$sent" = "$got" ]'

# --- removing web-to-app cuts what it allowed, at the next packet.
t0=$(date +%s.%N)
ms_edit 'pol("web-app")["inbound"]["allow"] = [r for r in pol("web-app")["inbound"]["allow"] if r.get("name") != "web-to-app"]'
t_check "removing web-to-app cuts the established web1 -> app1:9005 session" \
    wait_until 5 sess_broken s1
t_check "  ... and web1 -> app1:8080" wait_until 5 sess_broken s2
read -r last seen <<<"$(sess_cut_after s1 "$t0")"
echo "measured: web1 -> app1:9005: last echo ${last} s after the reload began, break noticed after ${seen} s"
read -r last seen <<<"$(sess_cut_after s2 "$t0")"
echo "measured: web1 -> app1:8080: last echo ${last} s after the reload began, break noticed after ${seen} s"
t_check "  ... the app2 -> db1 session (app-db) lives on" sess_alive s3
# app1's zone: br-guest is bridge 2 of its host, tap1 its port.
ct=$(lab_ovs $H2 ovs-appctl dpctl/dump-conntrack zone=$(( 2 << 12 | $(ofport $H2 tap1) )))
t_check "  ... app1's conntrack zone holds the cut connection with mark=1" \
    grep -q "src=$WEB1,dst=$APP1,sport=[0-9]*,dport=8080.*mark=1" <<<"$ct"
tr=$(ms_trace $H2 "in_port=Ethernet3,dl_vlan=101,dl_src=$(vm_mac web1),dl_dst=$(vm_mac app1),tcp,nw_src=$WEB1,nw_dst=$APP1,tp_src=40000,tp_dst=8080" trk,est)
t_check "  ... ofproto/trace: an established web1 -> app1:8080 packet is denied (web-app default)" \
    trace_decided_by "$tr" "$(pol_cookie deny web-app 0x80)"
t_check "  ... new web1 -> app1:8080 connections do not connect" tcp_fails web1 $APP1 8080
t_check "  ... router -> app1 ping (router-ping) still passes" ping_ok router $APP1

# Putting the rule back lets new connections in again.
ms_edit 'pol("web-app")["inbound"]["allow"].insert(0, {"name": "web-to-app", "from": {"AppTier": "web"}, "protocol": "tcp", "ports": [8080, "9000-9010"]})'
t_check "rule back: web1 -> app1:8080 connects again" tcp_ok web1 $APP1 8080

t_done
