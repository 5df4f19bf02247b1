#!/bin/bash
# Emergency cleanup of flowchain lab leftovers (normally lab.py down and the
# trap of tests/lab/lib.sh do this).
#
#   scripts/lab-clean.sh            stale labs: namespaces named fc<PID>-*
#                                   whose creating shell <PID> is gone
#   scripts/lab-clean.sh PREFIX...  these prefixes, whatever their state
#   scripts/lab-clean.sh -n ...     only show what would be done
#
# For each prefix: processes inside its namespaces (the lab's ovsdb-server,
# ovs-vswitchd, test helpers) are stopped by pid (SIGTERM, then SIGKILL),
# then the namespaces are deleted; /tmp/fclab.* directories whose lab.json
# names the prefix are removed.  Only namespaces starting with "PREFIX-" are
# touched; nothing in the root namespace is.

dry=
if [ "${1:-}" = -n ]; then
    dry=echo
    shift
fi

list_ns() {
    ip netns list | awk '{print $1}'
}

prefixes=("$@")
if [ ${#prefixes[@]} -eq 0 ]; then
    for p in $(list_ns | sed -n 's/^\(fc[0-9][0-9]*\)-.*/\1/p' | sort -u); do
        pid=${p#fc}
        if kill -0 "$pid" 2>/dev/null; then
            echo "lab-clean: $p: shell $pid still runs; skipped (name it to force)"
        else
            prefixes+=("$p")
        fi
    done
fi

rc=0
for p in "${prefixes[@]}"; do
    case $p in
        ''|*[!A-Za-z0-9_-]*) echo "lab-clean: bad prefix '$p'" >&2; rc=1; continue ;;
    esac
    nss=$(list_ns | grep "^$p-")
    pids=
    for ns in $nss; do
        pids="$pids $(ip netns pids "$ns" 2>/dev/null)"
    done
    pids=$(echo $pids)
    if [ -n "$pids" ]; then
        echo "lab-clean: $p: stopping pids $pids"
        $dry kill -TERM $pids 2>/dev/null
        if [ -z "$dry" ]; then
            for _ in $(seq 50); do
                alive=
                for pid in $pids; do
                    if [ -e /proc/$pid ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$pid/stat 2>/dev/null; then
                        alive="$alive $pid"
                    fi
                done
                [ -z "$alive" ] && break
                sleep 0.1
            done
            [ -n "$alive" ] && kill -KILL $alive 2>/dev/null
        fi
    fi
    for ns in $nss; do
        echo "lab-clean: deleting namespace $ns"
        $dry ip netns del "$ns" || rc=1
    done
    for d in /tmp/fclab.*; do
        [ -f "$d/lab.json" ] || [ -f "$d/lab.json.down" ] || continue
        if grep -qs "\"prefix\": \"$p\"" "$d/lab.json" "$d/lab.json.down"; then
            echo "lab-clean: removing $d"
            $dry rm -rf "$d"
        fi
    done
done
exit $rc
