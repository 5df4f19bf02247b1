#!/bin/bash
# Quarantine (tests/lab/microseg.sh describes the lab): a strict quarantine
# added by rewriting the intent and reloading cuts established sessions in
# and out of the VM at their next packet (replies included) and blocks all
# new traffic; a forensic quarantine lets only the forensics VM in.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

ms_up
H1=hv-host01 H2=hv-host02
UP="in_port=Ethernet3,dl_vlan=101"

t_check "before: router -> app1 ping passes" ping_ok router $APP1
t_check "before: app1 -> fx1 tcp/22 connects" tcp_ok app1 $FX1 22
sess_start s1 web1 $APP1 9005     # into app1, across the uplink
sess_start s2 app1 $DB1 5432      # out of app1, same host
sess_start s3 app2 $DB1 5432      # not app1's
t_check "before: web1 -> app1:9005 session" sess_alive s1
t_check "before: app1 -> db1:5432 session" sess_alive s2
t_check "before: app2 -> db1:5432 session" sess_alive s3

# --- strict quarantine of app1, added first in the list.
q0=$(flow_pkts $H2 deny incident-42)
t0=$(date +%s.%N)
ms_edit 'd["policies"].insert(0, {"name": "incident-42", "type": "quarantine", "level": "strict", "vms": ["app1"]})'
t_check "strict quarantine of app1 cuts the session into it (web1 -> app1:9005)" \
    wait_until 5 sess_broken s1
t_check "  ... and the session out of it (app1 -> db1:5432)" wait_until 5 sess_broken s2
read -r last1 seen1 <<<"$(sess_cut_after s1 "$t0")"
read -r last2 seen2 <<<"$(sess_cut_after s2 "$t0")"
echo "measured: strict quarantine: web1 -> app1 last echo +${last1} s (noticed +${seen1} s), app1 -> db1 last echo +${last2} s (noticed +${seen2} s) after the reload began"
t_check "  ... app2 -> db1:5432 goes on" sess_alive s3
t_check "  ... incident-42's DENY flows counted the cut packets" \
    rose "$q0" "$(flow_pkts $H2 deny incident-42)"
tr=$(ms_trace $H2 "$UP,dl_src=$(vm_mac web1),dl_dst=$(vm_mac app1),tcp,nw_src=$WEB1,nw_dst=$APP1,tp_src=9005,tp_dst=40000" trk,est,rpl)
t_check "  ... ofproto/trace: even a reply to app1 (est,rpl) is denied by incident-42" \
    trace_decided_by "$tr" "$(pol_cookie deny incident-42)"
tr=$(ms_trace $H2 "in_port=tap1,dl_src=$(vm_mac app1),dl_dst=$(vm_mac fx1),tcp,nw_src=$APP1,nw_dst=$FX1,tp_src=40000,tp_dst=22")
t_check "  ... ofproto/trace: app1 -> fx1 (no other policy) is denied by incident-42" \
    trace_decided_by "$tr" "$(pol_cookie deny incident-42)"
t_check "nothing new in: web1 -> app1 tcp/8080" tcp_fails web1 $APP1 8080
t_check "nothing new in: app2 -> app1 tcp/8080 (no app -> app rule anyway)" tcp_fails app2 $APP1 8080
t_check "nothing new in: fx1 -> app1 tcp/22" tcp_fails fx1 $APP1 22
t_check "nothing new in: router -> app1 ping (router-ping allowed it before)" ping_fails router $APP1
t_check "nothing out: app1 -> db1 tcp/5432" tcp_fails app1 $DB1 5432
t_check "nothing out: app1 -> fx1 tcp/22" tcp_fails app1 $FX1 22
t_check "nothing out: app1 -> router ping" ping_fails app1 $ROUTER
t_check "policy-stats: incident-42 quarantine denied packets" \
    [ "$(stat_of incident-42 - quarantine denied)" -gt 0 ]
t_check "others untouched: web1 -> app2 tcp/8080" tcp_ok web1 $APP2 8080

ms_edit 'd["policies"] = [p for p in d["policies"] if p["name"] != "incident-42"]'
t_check "quarantine lifted: web1 -> app1 tcp/8080 connects again" tcp_ok web1 $APP1 8080
t_check "  ... app1 -> fx1 tcp/22 too" tcp_ok app1 $FX1 22

# --- forensic quarantine of db1: only fx1 (AppTier=forensics) gets in.
sess_start s4 app1 $DB1 5432
t_check "before: app1 -> db1:5432 session" sess_alive s4
a0=$(flow_pkts $H2 allow forensics)
ms_edit 'd["policies"].insert(0, {"name": "forensics", "type": "quarantine", "level": "forensic", "vms": ["db1"], "forensic_from": [{"AppTier": "forensics"}]})'
t_check "forensic quarantine of db1 cuts app1 -> db1:5432" wait_until 5 sess_broken s4
t_check "  ... app2 -> db1:5432 too" wait_until 5 sess_broken s3
t_check "fx1 -> db1 tcp/22 connects (db1 accepts nothing on 22 otherwise)" tcp_ok fx1 $DB1 22
t_check "fx1 -> db1 ping passes" ping_ok fx1 $DB1
sess_start s5 fx1 $DB1 22
t_check "fx1 -> db1:22 session: db1's replies reach fx1" sess_alive s5
t_check "  ... the forensic ALLOW flow counted it" \
    rose "$a0" "$(flow_pkts $H2 allow forensics)"
tr=$(ms_trace $H2 "in_port=tap6,dl_src=$(vm_mac fx1),dl_dst=$(vm_mac db1),tcp,nw_src=$FX1,nw_dst=$DB1,tp_src=40000,tp_dst=22")
t_check "  ... ofproto/trace: fx1 -> db1:22 (new) reaches db1" \
    trace_outputs "$tr" "$(ofport $H2 tap4)"
t_check "app1 -> db1 tcp/5432 does not (app-db would allow it)" tcp_fails app1 $DB1 5432
t_check "app2 -> db1 tcp/5432 does not (across the uplink)" tcp_fails app2 $DB1 5432
tr=$(ms_trace $H2 "$UP,dl_src=$(vm_mac app2),dl_dst=$(vm_mac db1),tcp,nw_src=$APP2,nw_dst=$DB1,tp_src=40000,tp_dst=5432")
t_check "  ... ofproto/trace: denied by forensics" \
    trace_decided_by "$tr" "$(pol_cookie deny forensics)"
t_check "router -> db1 ping does not" ping_fails router $DB1
t_check "db1 -> fx1 tcp/22 does not (db1 may not open connections)" tcp_fails db1 $FX1 22
t_check "db1 -> router ping does not" ping_fails db1 $ROUTER
t_check "policy-stats: forensics denied packets" \
    [ "$(stat_of forensics - quarantine denied)" -gt 0 ]
t_check "fx1 -> db1:22 session still up" sess_alive s5

t_done
