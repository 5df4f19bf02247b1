#!/bin/bash
# Manual check that a lab test cleans up when interrupted: starts TEST in its
# own session (SIGINT at its default), sends SIGNAL after DELAY seconds (to
# the whole process group with "group", as Ctrl-C does), and reports leftover
# namespaces, directories and OVS daemons of that run.
#
#   tests/lab/check-lab-cleanup.sh TEST SIGNAL DELAY [group]
#   e.g. for d in 0.5 1 5 12; do tests/lab/check-lab-cleanup.sh \
#            tests/lab/test-lab-wiring.sh INT $d group; done
T=$1 sig=$2 delay=$3 mode=${4:-}
out=$(mktemp)
/usr/bin/python3 -c 'import os,signal,sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execv(sys.argv[1], sys.argv[1:])' "$T" >"$out" 2>&1 &
pid=$!
sleep "$delay"
if [ "$mode" = group ]; then kill "-$sig" -- "-$pid"; else kill "-$sig" "$pid"; fi
t0=$(date +%s%N)
wait $pid; rc=$?
echo "$sig after ${delay}s $mode: rc=$rc, exited $(( ($(date +%s%N)-t0)/1000000 )) ms after the signal, $(grep -c '^PASS' "$out") PASS lines before"
sleep 0.3
dirs=$(grep -ls "\"prefix\": \"fc$pid\"" /tmp/fclab.*/lab.json* 2>/dev/null | xargs -r -n1 dirname)
ns=$(ip netns list | grep "^fc$pid-" | tr '\n' ' ')
daemons=""
for d in $dirs; do
    daemons="$daemons $(grep -ls -- "[-]-pidfile=$d/" /proc/[0-9]*/cmdline 2>/dev/null)"
done
rm -f "$out"
echo "  leftovers: namespaces [$ns] dirs [$dirs] daemons [$(echo $daemons)]"
[ -z "$ns$dirs" ]
