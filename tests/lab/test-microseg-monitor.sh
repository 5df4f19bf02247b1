#!/bin/bash
# Monitor mode: a monitored policy never decides.  What it would deny
# passes and is counted as would-be-denied; a monitored isolation does not
# hide the enforcing application policy below it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

ms_up

t_check "enforced: dev1 -> app1 tcp/8080 does not" tcp_fails dev1 $APP1 8080
t_check "enforced: app1 -> web1 tcp/8080 does not" tcp_fails app1 $WEB1 8080

# prod-dev and web-in in monitor mode; web-app stays enforced.
ms_edit 'd["policies"][0]["mode"] = "monitor"; d["policies"][1]["mode"] = "monitor"'
sleep 1
iso0=$(stat_of prod-dev - isolation would-deny)
web0=$(stat_of web-in inbound default would-deny)
t_check "monitored isolation: dev1 -> app1 tcp/8080 connects (web-app lets AppTier=web in)" \
    tcp_ok dev1 $APP1 8080
t_check "monitored isolation: app1 -> dev1 tcp/22 connects" tcp_ok app1 $DEV1 22
iso1=$(stat_of prod-dev - isolation would-deny)
t_check "policy-stats: prod-dev would-deny rose ($iso0 -> $iso1)" [ "$iso1" -gt "$iso0" ]
t_check "policy-stats: prod-dev denied nothing" \
    [ "$(stat_of prod-dev - isolation denied)" = 0 ]

t_check "the monitored isolation does not hide web-app: dev1 -> app1 tcp/22 does not" \
    tcp_fails dev1 $APP1 22
t_check "  ... and router -> app1 tcp/22 does not" tcp_fails router $APP1 22
iso2=$(stat_of prod-dev - isolation would-deny)
t_check "  ... while prod-dev counted it as would-deny too ($iso1 -> $iso2)" \
    [ "$iso2" -gt "$iso1" ]

t_check "monitored web-in: app1 -> web1 tcp/8080 connects" tcp_ok app1 $WEB1 8080
sess_start s1 router $WEB1 9005
t_check "monitored web-in: router -> web1 session carries data" sess_alive s1
web1=$(stat_of web-in inbound default would-deny)
t_check "policy-stats: web-in would-deny rose ($web0 -> $web1)" [ "$web1" -gt "$web0" ]

# Back to enforce: the same connection is cut at its next packet.
ms_edit 'd["policies"][1]["mode"] = "enforce"'
t_check "web-in enforced again: the monitored-in session is cut" \
    wait_until 5 grep -q '^broken' "$LAB_DIR/sess-s1"

t_done
