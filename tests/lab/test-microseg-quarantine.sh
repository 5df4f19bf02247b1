#!/bin/bash
# Quarantine: a strict quarantine added by a reload cuts an established
# session within a second and blocks everything in and out; a forensic
# quarantine lets only the forensics VM in.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

ms_up

t_check "before: app1 -> db1 tcp/5432 connects" tcp_ok app1 $DB1 5432
t_check "before: router -> app1 ping passes" ping_ok router $APP1
sess_start s1 web1 $APP1 9005
t_check "before: web1 -> app1:9005 session up" sess_alive s1

# Strict quarantine of app1, first in the list (order does not matter).
before=$(date +%s.%N)
ms_edit 'd["policies"].insert(0, {"name": "incident-42", "type": "quarantine", "level": "strict", "vms": ["app1"]})'
t_check "strict quarantine cuts the established session" \
    wait_until 5 grep -q '^broken' "$LAB_DIR/sess-s1"
last=$(sess_last_echo s1)
cut=$(echo "$last - $before" | bc)
echo "measured: last echo through app1 ${cut} s after the reload started"
t_check "  ... within a second of the reload (last echo at +${cut} s)" \
    [ "$(echo "$cut < 1" | bc)" = 1 ]
t_check "no new connection in: web1 -> app1 tcp/8080" tcp_fails web1 $APP1 8080
t_check "no ping in: router -> app1" ping_fails router $APP1
t_check "nothing out: app1 -> db1 tcp/5432" tcp_fails app1 $DB1 5432
t_check "nothing out: app1 -> router ping" ping_fails app1 $ROUTER
t_check "policy-stats: incident-42 denied packets" \
    [ "$(stat_of incident-42 - quarantine denied)" -gt 0 ]
t_check "others are untouched: app2 -> db1 tcp/5432" tcp_ok app2 $DB1 5432

# Lifting it restores app1.
ms_edit 'd["policies"].pop(0)'
t_check "lifted: web1 -> app1 tcp/8080 connects again" tcp_ok web1 $APP1 8080

# Forensic quarantine of db1: only fx1 (AppTier=forensics) gets in.
ms_edit 'd["policies"].insert(0, {"name": "forensics", "type": "quarantine", "level": "forensic", "vms": ["db1"], "forensic_from": [{"AppTier": "forensics"}]})'
sleep 1
t_check "forensic: fx1 -> db1 tcp/22 connects (fx1 is on db1's host)" tcp_ok fx1 $DB1 22
t_check "forensic: fx1 -> db1 ping passes" ping_ok fx1 $DB1
t_check "forensic: app1 -> db1 tcp/5432 does not any more" tcp_fails app1 $DB1 5432
t_check "forensic: app2 -> db1 tcp/5432 does not (across the uplink)" tcp_fails app2 $DB1 5432
t_check "forensic: db1 -> fx1 new connection does not" tcp_fails db1 $FX1 22
t_check "forensic: db1 -> router ping does not" ping_fails db1 $ROUTER
t_check "policy-stats: forensics allowed and denied packets" \
    [ "$(stat_of forensics - forensic allowed)" -gt 0 ] \
    && [ "$(stat_of forensics - quarantine denied)" -gt 0 ]

t_done
