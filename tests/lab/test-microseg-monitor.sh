#!/bin/bash
# Monitor mode (tests/lab/microseg.sh describes the lab): a monitored
# policy never decides.  What it would deny passes and is counted as
# would-deny (policy-stats, MONITOR flows); a monitored isolation does not
# hide the enforcing application policy below it; back in enforce mode the
# connections it let through are cut.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

ms_up
H1=hv-host01 H2=hv-host02
UP="in_port=Ethernet3,dl_vlan=101"

t_check "enforced: web1 -> app1 tcp/22 does not" tcp_fails web1 $APP1 22
t_check "enforced: dev1 -> app1 tcp/8080 does not" tcp_fails dev1 $APP1 8080
t_check "enforced: app1 -> web1 tcp/8080 does not" tcp_fails app1 $WEB1 8080

# --- a monitored application policy: web-app.
ms_edit 'pol("web-app")["mode"] = "monitor"'
w0=$(stat_of web-app inbound default would-deny)
d0=$(stat_of web-app inbound default denied)
m0=$(flow_pkts $H2 monitor web-app 0x80)
t_check "monitored web-app: web1 -> app1 tcp/22 connects" tcp_ok web1 $APP1 22
t_check "monitored web-app: router -> app1 tcp/22 connects" tcp_ok router $APP1 22
w1=$(stat_of web-app inbound default would-deny)
t_check "  ... policy-stats: web-app default would-deny rose ($w0 -> $w1)" rose "$w0" "$w1"
t_check "  ... policy-stats: web-app default denied did not ($d0)" \
    [ "$(stat_of web-app inbound default denied)" = "$d0" ]
t_check "  ... web-app's MONITOR flow on $H2 counted them" \
    rose "$m0" "$(flow_pkts $H2 monitor web-app 0x80)"
tr=$(ms_trace $H2 "$UP,dl_src=$(vm_mac web1),dl_dst=$(vm_mac app1),tcp,nw_src=$WEB1,nw_dst=$APP1,tp_src=40000,tp_dst=22")
t_check "  ... ofproto/trace: web1 -> app1:22 hits the MONITOR flow" \
    grep -q "cookie $(pol_cookie monitor web-app 0x80)\$" <<<"$tr"
t_check "  ... ofproto/trace: and reaches app1" trace_outputs "$tr" "$(ofport $H2 tap1)"
t_check "  ... web1 -> db1 tcp/5432 still does not (app-db enforces)" tcp_fails web1 $DB1 5432

# --- a monitored isolation above an enforcing application policy.
ms_edit 'pol("web-app")["mode"] = "enforce"; pol("prod-dev")["mode"] = "monitor"'
i0=$(stat_of prod-dev - isolation would-deny)
id0=$(stat_of prod-dev - isolation denied)
t_check "monitored prod-dev: dev1 -> app1 tcp/8080 connects (web-app lets AppTier=web in)" \
    tcp_ok dev1 $APP1 8080
i1=$(stat_of prod-dev - isolation would-deny)
t_check "  ... policy-stats: prod-dev would-deny rose ($i0 -> $i1)" rose "$i0" "$i1"
t_check "  ... policy-stats: prod-dev denied did not ($id0)" \
    [ "$(stat_of prod-dev - isolation denied)" = "$id0" ]
t_check "monitored prod-dev does not hide web-app: dev1 -> app1 tcp/22 does not" \
    tcp_fails dev1 $APP1 22
i2=$(stat_of prod-dev - isolation would-deny)
t_check "  ... while prod-dev counted it as would-deny ($i1 -> $i2)" rose "$i1" "$i2"
tr=$(ms_trace $H2 "$UP,dl_src=$(vm_mac dev1),dl_dst=$(vm_mac app1),tcp,nw_src=$DEV1,nw_dst=$APP1,tp_src=40000,tp_dst=22")
t_check "  ... ofproto/trace: prod-dev's MONITOR flow counts it" \
    grep -q "cookie $(pol_cookie monitor prod-dev)\$" <<<"$tr"
t_check "  ... ofproto/trace: then web-app's default denies it" \
    trace_decided_by "$tr" "$(pol_cookie deny web-app 0x80)"
t_check "  ... app1 -> dev1 tcp/22 does not (web-in: dev1 is AppTier=web)" tcp_fails app1 $DEV1 22
t_check "  ... dev1 -> db1 tcp/5432 does not (app-db)" tcp_fails dev1 $DB1 5432

# --- a monitored web-in lets a session in; enforcing again cuts it.
ms_edit 'pol("prod-dev")["mode"] = "enforce"; pol("web-in")["mode"] = "monitor"'
t_check "monitored web-in: app1 -> web1 tcp/8080 connects" tcp_ok app1 $WEB1 8080
sess_start s1 router $WEB1 9005
t_check "monitored web-in: router -> web1:9005 session carries data" sess_alive s1
t_check "  ... policy-stats: web-in would-deny > 0" \
    [ "$(stat_of web-in inbound default would-deny)" -gt 0 ]
t0=$(date +%s.%N)
ms_edit 'pol("web-in")["mode"] = "enforce"'
t_check "web-in enforced again: the session is cut" wait_until 5 sess_broken s1
read -r last seen <<<"$(sess_cut_after s1 "$t0")"
echo "measured: monitor -> enforce: router -> web1 last echo +${last} s (noticed +${seen} s) after the reload began"
t_check "  ... and dev1 -> app1 tcp/8080 is isolated again" tcp_fails dev1 $APP1 8080

t_done
