#!/bin/bash
# The controller's side of microsegmentation on real switches: the hit-log
# meter on every bridge, one "policy hit:" line per denied connection
# attempt (nc retries its SYN; dedupe keeps one line), policy-stats equal
# to the switches' own flow counters, and a controller restart that sends
# neither a meter error nor a flow mod.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"
. "$(dirname "$0")/microseg.sh"

lab_up "$MS_INTENT" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
MS_LIVE=$LAB_DIR/intent.json
# The microseg intent with "log": true on web-app.
/usr/bin/python3 - "$MS_INTENT" "$MS_LIVE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["policies"]:
    if p["name"] == "web-app":
        p["log"] = True
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
fcd_start "$MS_LIVE" --hit-log-rate 50
t_check "all bridges reach sync" wait_until 60 fcd_all_in_sync 6
# Echo servers.  lab_spawn's pid is a subshell, not the server, so each
# server records its own pid (stopped at the end) and has a bounded life.
SRV_PIDS=$LAB_DIR/servers.pids
for vm in app1 app2; do
    for port in 22 8080; do
        lab_spawn lab_exec "$vm" /bin/sh -c \
            'echo $$ >> "$1"; exec timeout 300 /usr/bin/python3 "$2" server "$3"' \
            sh "$SRV_PIDS" "$MS_PY" "$port"
    done
done
sleep 1

# meter_ok HOST BRIDGE: meter 1 is the hit-log meter at --hit-log-rate.
meter_ok() {
    local out
    out=$(lab_ovs "$1" ovs-ofctl -O OpenFlow13 dump-meters "$2")
    grep -qE "meter=1 pktps burst (stats )?bands=" <<<"$out" &&
        grep -q "type=drop rate=50 burst_size=50" <<<"$out" ||
        { printf '%s\n' "$out"; false; }
}
for h in hv-host01 hv-host02; do
    for br in br-mgmt br-lm br-guest; do
        t_check "meter 1 on $h/$br (50 pktps, burst 50, one drop band)" \
            meter_ok "$h" "$br"
    done
done

# A denied attempt: web1 -> app1 tcp/22 (nc sends its SYN more than once).
t_check "web1 -> app1 tcp/22 does not connect" tcp_fails web1 $APP1 22
hits() {
    grep -o "policy hit: .* -> $APP1:22\$" "$FCD_LOG"
}
t_check "the attempt is logged" wait_until 5 hits
sleep 1
t_check "exactly one hit line for it" [ "$(hits | wc -l)" -eq 1 ]
t_check "  ... with host, bridge, policy, rule, verdict, vlan, 5-tuple" \
    grep -qE "^policy hit: host=hv-host02 bridge=br-guest policy=web-app rule=default verdict=denied vlan=101 tcp $WEB1:[0-9]+ -> $APP1:22\$" <(hits)
t_check "status counts the hit line" \
    eval 'fcctl status | grep -qE "hit log: [1-9][0-9]* line"'

# Allowed traffic for the rule, then policy-stats against dump-flows.
t_check "web1 -> app1 tcp/8080 connects" tcp_ok web1 $APP1 8080
t_check "web1 -> app2 tcp/8080 connects" tcp_ok web1 $APP2 8080
sleep 1
# switch_sum KIND RULEBITS: n_packets summed over every bridge's flows of
# web-app's cookie of that kind and rule bits.
hash=$(fcctl flows --policy web-app | sed -n 's/.*cookie=0xfc0[6-9]\([0-9a-f]\{10\}\)[0-9a-f][0-9a-f],.*/\1/p' | sort -u)
switch_sum() {
    local h br n=0 c
    for h in hv-host01 hv-host02; do
        for br in br-mgmt br-lm br-guest; do
            c=$(lab_ovs "$h" ovs-ofctl -O OpenFlow13 dump-flows "$br" \
                "cookie=0xfc0$1$hash$2/-1" \
                | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' | awk '{n += $1} END {print n + 0}')
            n=$((n + c))
        done
    done
    echo $n
}
t_check "flows --policy web-app shows one policy cookie hash ($hash)" \
    [ "$(wc -w <<<"$hash")" -eq 1 ]
allowed=$(stat_of web-app inbound web-to-app allowed)
denied=$(stat_of web-app inbound default denied)
sw_allowed=$(switch_sum 7 81)
sw_denied=$(switch_sum 8 80)
echo "measured: allowed $allowed (switches $sw_allowed), denied $denied (switches $sw_denied)"
t_check "policy-stats: allowed packets of web-to-app > 0" [ "$allowed" -gt 0 ]
t_check "  ... equal the switches' ALLOW flow counters" [ "$allowed" = "$sw_allowed" ]
t_check "policy-stats: denied packets of the default > 0" [ "$denied" -gt 0 ]
t_check "  ... equal the switches' DENY flow counters" [ "$denied" = "$sw_denied" ]
t_check "policy-stats --policy web-app shows only web-app" \
    eval '[ "$(fcctl policy-stats --policy web-app | sed 1d | awk "\$1 != \"web-app\"" | wc -l)" -eq 0 ] &&
          [ "$(fcctl policy-stats --policy web-app | sed 1d | wc -l)" -gt 0 ]'
t_check "policy-stats --policy nosuch: exit 1" not fcctl policy-stats --policy nosuch

# Restart: the meter exists already; no meter error, no flow mod.
kill -KILL "$FCD_PID"
wait "$FCD_PID" 2>/dev/null
FCD_PID=
: > "$FCD_LOG"
fcd_start "$MS_LIVE" --hit-log-rate 50
t_check "restarted controller reaches sync" wait_until 60 fcd_all_in_sync 6
sleep 1
t_check "restart: 0 flow mods (counter: $(fcd_flow_mods))" [ "$(fcd_flow_mods)" = 0 ]
t_check "restart: no meter error and no error at all in the log" \
    not grep -iE "meter.*(error|fail)|OFPMMFC|\|ERR\|" "$FCD_LOG"
t_check "restart: meter 1 unchanged on hv-host01/br-guest" meter_ok hv-host01 br-guest
t_check "restart: every switch reports 0 OpenFlow errors (METER_EXISTS is expected)" \
    eval '[ "$(fcctl status --ports | grep -c "peer: .*, errors 0$")" -eq 6 ]'
t_check "restart: a new denied attempt is logged again" \
    eval 'tcp_fails web1 $APP1 22; wait_until 5 grep -q "policy hit: .* -> $APP1:22\$" "$FCD_LOG"'

# Stop the echo servers (this test's own pids).
while read -r pid; do kill "$pid" 2>/dev/null; done < "$SRV_PIDS"

t_done
