#!/bin/bash
# The benchmark: figures B1..B8 of docs/performance.md, measured against
# real ovs-vswitchd (userspace datapath) in lab namespaces, each the median
# of N runs with min and max, and each ratio to a baseline measured in the
# same run.  Writes the Markdown of
# docs/performance.md (machine, versions, parameters, table); the text
# after the line "<!-- end of generated part -->" of an existing OUT is
# kept.
#
#   bench/run.sh [-n RUNS] [-s full|tiny] [-o OUT] [-b BUILDDIR] [-k] [B1 B2...]
#
#   -n RUNS     runs per figure (default 5)
#   -s SCALE    "full" (default: the sizes of docs/performance.md) or "tiny"
#               (seconds; what tests/lab/test-bench-smoke.sh runs)
#   -o OUT      the Markdown file (default docs/performance.md)
#   -b BUILDDIR a build without sanitizers (default ./build-rel; make it
#               with `BUILDDIR=$PWD/build-rel scripts/build.sh`)
#   -k          keep the work directory (intents, flow files, logs)
#   B3_TRIGGER=sighup (environment): B3 also sends SIGHUP after writing the
#               intent (by default the file watcher alone reloads it)
#   B6_OVN=0 (environment): B6 measures flowchain only (no OVN side, no
#               ratios; for working on flowchain's figures)
#   B1 B2 ...   only these benchmarks (B2, B3 and B4 share one lab and run
#               together); default all
#
# Run as root (namespaces).  Nothing in it asserts a time.
# B1: BUILDDIR/bench/bench-intent -c (and -c -M, without the memo of shared
# flows), and BUILDDIR/bench/bench-flowmem on its largest bridge
# (no lab).  B2-B4: one host of the B2 intent
# (the one with the largest bridge) as a lab: two VMs as namespaces (for
# pings), every other NIC port of that host as an OVS internal port, and
# flowchaind on the full intent.  B5: one host with 50 bridges.  B7: iperf3
# between VMs of the microsegmentation lab (tests/lab/microseg-intent.json),
# through flowchain's pipeline and through one NORMAL flow.  B8: one host
# with 300 bridges, the intent in a three-member Raft cluster, three
# flowchaind --db instances, each bridge pointed at all three (roles,
# kill -9 failover).  B6: flowchain against OVN (Debian's ovn-central and
# ovn-host, in a namespace of its own with its own ovsdb-servers,
# ovs-vswitchd, ovn-northd and ovn-controller), the same workload of
# bench/gen-b6.py on one host, one system after the other in each run.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=5 SCALE=full OUT=$top/docs/performance.md BUILD=$top/build-rel KEEP=0
while getopts "n:s:o:b:k" opt; do
    case $opt in
        n) RUNS=$OPTARG ;;
        s) SCALE=$OPTARG ;;
        o) OUT=$OPTARG ;;
        b) BUILD=$OPTARG ;;
        k) KEEP=1 ;;
        *) sed -n '2,28p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
ONLY=${*:-B1 B2 B3 B4 B5 B6 B7 B8}
case $RUNS in ''|*[!0-9]*|0) echo "bench: -n wants a positive number" >&2; exit 2 ;; esac
BUILD=$(cd "$BUILD" && pwd) || { echo "bench: no build in $BUILD" >&2; exit 1; }
for f in flowchaind flowchainctl bench/bench-intent bench/bench-flowmem; do
    [ -x "$BUILD/$f" ] || { echo "bench: $BUILD/$f missing; build first" >&2; exit 1; }
done
export FLOWCHAIN_SRCDIR=$top FLOWCHAIN_BUILDDIR=$BUILD
PY=/usr/bin/python3
GEN="$PY $top/bench/gen-intent.py"
GEN_B6="$PY $top/bench/gen-b6.py"
TOOL="$PY $top/bench/benchtool.py"

case $SCALE in
    full)
        B1_ARGS="--hosts 100 --vms-per-host 100 --vlans 1000 --nics-per-vm 1 --categories 30 --policies 50"
        B2_ARGS="--hosts 100 --vms-per-host 100 --vlans 1000 --nics-per-vm 4 --categories 30 --policies 50"
        B5_ARGS="--hosts 1 --bridges-per-host 50 --vms-per-host 1000 --vlans 1000 --categories 30 --policies 50"
        B5_BRIDGES=50 TIMEOUT=900 B7_SECONDS=10
        B8_ARGS="--hosts 1 --bridges-per-host 300 --vms-per-host 1500 --vlans 1000 --categories 30 --policies 50"
        B8_BRIDGES=300
        B6_ARGS="--networks 100 --vms-per-network 10 --rules-per-tier 15" ;;
    tiny)
        B1_ARGS="--hosts 3 --vms-per-host 4 --vlans 8 --categories 8 --policies 6"
        B2_ARGS="--hosts 3 --vms-per-host 8 --vlans 3 --nics-per-vm 2 --categories 8 --policies 6"
        B5_ARGS="--hosts 1 --bridges-per-host 4 --vms-per-host 8 --vlans 8 --categories 8 --policies 6"
        B5_BRIDGES=4 TIMEOUT=120 B7_SECONDS=1
        B8_ARGS="--hosts 1 --bridges-per-host 6 --vms-per-host 12 --vlans 8 --categories 8 --policies 6"
        B8_BRIDGES=6
        B6_ARGS="--networks 3 --vms-per-network 4 --rules-per-tier 3" ;;
    *) echo "bench: -s full or tiny" >&2; exit 2 ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fcbench.XXXXXX")
RES=$WORK/results
: >"$RES"
cleanup_work() {
    if [ "$KEEP" = 1 ]; then echo "bench: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup_work EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "bench: $*" >&2; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
result() { echo "$1 $2" >>"$RES"; }
meta() { echo "meta $1 $2" >>"$RES"; }
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

# ---------------------------------------------------------------- B1
bench_b1() {
    say "B1: generating the intent ($B1_ARGS)"
    $GEN $B1_ARGS -o "$WORK/b1.json" || return 1
    "$BUILD/flowchainctl" check "$WORK/b1.json" 2>/dev/null | sed 's/^/bench: /' >&2
    local r out mem nomemo
    for r in $(seq "$RUNS"); do
        out=$("$BUILD/bench/bench-intent" "$WORK/b1.json" -i 1 -c -m) || return 1
        result b1.total_ms "$(kv total_ms "$out")"
        result b1.parse_ms "$(kv parse_ms "$out")"
        result b1.compile_ms "$(kv compile_ms "$out")"
        result b1.free_ms "$(kv free_ms "$out")"
        result b1.memo_flows "$(kv memo_flows "$out")"
        result b1.rss_mb "$(awk -v k="$(kv max_rss_kb "$out")" 'BEGIN {printf "%.1f", k / 1024}')"
        result b1.bytes_per_flow "$(kv bytes_per_flow "$out")"
        say "B1 run $r: $out"
        # The same compiles without the memo of the flows bridges share.
        nomemo=$("$BUILD/bench/bench-intent" "$WORK/b1.json" -i 1 -c -M -m) || return 1
        result b1.compile_nomemo_ms "$(kv compile_ms "$nomemo")"
        say "B1 run $r, no memo: $nomemo"
        # The heap flowchaind holds per installed flow: desired + installed
        # of the largest bridge, through the real flow sync (the worst of a
        # full install, a reload and a read-back).
        mem=$("$BUILD/bench/bench-flowmem" "$WORK/b1.json" -b "$(kv max_bridge "$out")" -m) || return 1
        result b1.bytes_per_installed_flow "$(kv bytes_per_installed_flow "$mem")"
        say "B1 run $r: $mem"
    done
    meta b1.shape "$(kv vms "$out") VMs, $(kv nics "$out") NICs, $(kv hosts "$out") hosts, $(kv bridges "$out") bridges, $(kv policies "$out") policies, $(( $(kv json_bytes "$out") / 1000 )) kB of JSON -> $(kv flows "$out") flows and $(kv groups "$out") groups (largest bridge $(kv max_bridge "$out"): $(kv max_bridge_flows "$out") flows)"
    meta b1.args "$B1_ARGS"
}

# ---------------------------------------------------------------- lab helpers
# ovsh CMD...: an OVS tool against the lab host's daemons (unix sockets in
# its directory; no namespace needed for ovs-vsctl and ovs-ofctl).
ovsh() {
    OVS_RUNDIR=$HDIR OVS_LOGDIR=$HDIR OVS_DBDIR=$HDIR OVS_SYSCONFDIR=$HDIR "$@"
}
ofctl() { ovsh ovs-ofctl -O OpenFlow13 "$@"; }
flow_count() { ofctl dump-aggregate "$1" | sed -n 's/.*flow_count=\([0-9]*\).*/\1/p'; }
# set_controllers BR...: points the bridges at flowchaind, one transaction.
set_controllers() {
    local args=() b
    for b in "$@"; do
        args+=(-- set-controller "$b" "unix:$HDIR/controller.sock"
               -- set controller "$b" connection-mode=out-of-band
               max_backoff=1000 inactivity_probe=5000)
    done
    ovsh ovs-vsctl "${args[@]}"
}
# empty_bridges BR...: no controller (which flushes the flows), no flows,
# no groups.
empty_bridges() {
    local args=() b
    for b in "$@"; do args+=(-- del-controller "$b"); done
    ovsh ovs-vsctl "${args[@]}"
    for b in "$@"; do
        ofctl del-flows "$b"
        ofctl del-groups "$b"
    done
}
ensure_meter() {
    ofctl add-meter "$1" "meter=1,pktps,burst,band=type=drop,rate=100,burst_size=100" 2>/dev/null || true
}
# add_missing_ports FULL LABVIEW HOST: every NIC port of HOST in FULL that
# the lab did not create becomes an internal port (one transaction).
add_missing_ports() {
    local args=() br port n=0
    while read -r br port; do
        args+=(-- add-port "$br" "$port" -- set interface "$port" type=internal)
        n=$((n + 1))
    done < <($TOOL missing-ports "$1" "$2" "$3")
    [ "$n" -gt 0 ] && ovsh ovs-vsctl --timeout=300 "${args[@]}"
    say "added $n internal ports"
}
log_lines() { wc -l <"$FCD_LOG"; }
# log_find SKIP REGEX: the first log line after SKIP lines that matches
# REGEX: its time (epoch ms) in LOG_MS, the line in LOG_LINE.
log_find() {
    local out
    LOG_MS=0 LOG_LINE=
    out=$($TOOL logts "$FCD_LOG" "$1" "$2") || return 1
    LOG_LINE=${out#*$'\t'}
    LOG_MS=${out%%$'\t'*}
}
# write_intent FILE TRIGGER: FILE becomes flowchaind's intent (copied, then
# renamed over it: the file watcher, libev ev_stat with inotify, reloads at
# once; TRIGGER "sighup" also sends SIGHUP); waits for the next "synced:"
# line.  WRITE_MS: from the rename to that line's time stamp (the time is
# read just before rename(2), by the process that renames: starting a
# process, as `mv` would, took 5-9 ms on the 2-core test machine, which
# the figure would count); WRITE_MODS: the flow mods it reports; LOG_LINE:
# the line.
write_intent() {
    local l0 t0
    cp "$1" "$LAB_DIR/intent.json.new"
    l0=$(log_lines)
    t0=$($TOOL rename "$LAB_DIR/intent.json.new" "$LAB_DIR/intent.json") \
        || return 1
    [ "$2" = sighup ] && kill -HUP "$FCD_PID"
    wait_until 120 log_has "$l0" "synced: " || return 1
    log_find "$l0" "synced: "
    WRITE_MS=$((LOG_MS - t0))
    WRITE_MODS=$(sed -n 's/.*synced: \([0-9]*\) flow mods.*/\1/p' <<<"$LOG_LINE")
}
log_has() { tail -n +"$(($1 + 1))" "$FCD_LOG" | grep -q -- "$2"; }
n_in_sync() { fcctl status 2>/dev/null | grep -c 'sync: in sync'; }
no_switch() { [ "$(fcctl status 2>/dev/null | grep -c '^switch ')" = 0 ]; }
# bundle_file FLOWS GROUPS OUT: one `ovs-ofctl bundle` file, groups first.
bundle_file() {
    { sed 's/^ */group add /' "$2"; sed 's/^ */flow add /' "$1"; } >"$3"
}
dump_state() {      # dump_state BR PREFIX: PREFIX.flows, PREFIX.groups
    ofctl --no-stats dump-flows "$1" | grep 'actions=' | sed 's/^ *//' >"$2.flows"
    ofctl dump-groups "$1" | grep 'group_id=' | sed 's/^ *//' >"$2.groups"
}

# ---------------------------------------------------------------- B2-B4
bench_b234() {
    say "B2: generating the intent ($B2_ARGS)"
    $GEN $B2_ARGS -o "$WORK/b2.json" || return 1
    local out host br
    out=$("$BUILD/bench/bench-intent" "$WORK/b2.json" -i 1 -c -m) || return 1
    host=$(kv max_bridge "$out"); br=${host#*/}; host=${host%/*}
    say "B2: largest bridge $host/$br, $(kv max_bridge_flows "$out") flows with every port"
    local pair vm_a vm_b ping_ip
    pair=$($TOOL pick "$WORK/b2.json" "$host") || { say "no VM to ping on $host"; return 1; }
    read -r vm_a vm_b ping_ip <<<"$pair"
    local vms=$vm_a
    [ "$vm_b" != - ] && vms="$vm_a,$vm_b"
    $GEN $B2_ARGS --only-hosts "$host" --only-vms "$vms" -o "$WORK/b2-lab.json" || return 1
    say "B2: lab of $host with VMs $vms (ping $vm_a -> $ping_ip)"
    lab_up "$WORK/b2-lab.json" none || { say "lab up failed"; return 1; }
    HDIR=$(lab_get "hosts.$host.dir")
    ln -sf "$LAB_DIR/of.sock" "$HDIR/controller.sock"
    add_missing_ports "$WORK/b2.json" "$WORK/b2-lab.json" "$host" || return 1
    cp "$WORK/b2.json" "$LAB_DIR/intent.json"
    fcd_start "$LAB_DIR/intent.json"
    [ -n "${FCD_PID:-}" ] || return 1

    # Prime: one install to learn the flow count and the flows.
    empty_bridges "$br"
    set_controllers "$br"
    wait_until "$TIMEOUT" fcd_all_in_sync 1 || { say "B2: no sync"; return 1; }
    local n_flows n_groups
    n_flows=$(flow_count "$br")
    dump_state "$br" "$WORK/base"
    n_groups=$(wc -l <"$WORK/base.groups")
    bundle_file "$WORK/base.flows" "$WORK/base.groups" "$WORK/base.bundle"
    meta b2.shape "$(kv vms "$out") VMs, $(kv nics "$out") NICs, $(kv bridges "$out") bridges, $(kv policies "$out") policies; bridge $host/$br: $n_flows flows, $n_groups groups, $(ofctl show "$br" | grep -c '^ [0-9]*(') ports"
    meta b2.args "$B2_ARGS"
    meta b3.trigger "${B3_TRIGGER:-file}"
    say "B2: $n_flows flows, $n_groups groups"

    local r l0 t0 t1 c s n
    if [[ " $ONLY " = *" B2 "* ]]; then
        for r in $(seq "$RUNS"); do
            empty_bridges "$br"
            wait_until 30 no_switch
            l0=$(log_lines)
            t0=$(now_ms)
            set_controllers "$br"
            while [ "$(flow_count "$br")" != "$n_flows" ]; do
                [ $(( $(now_ms) - t0 )) -gt $((TIMEOUT * 1000)) ] && { say "B2: timeout"; return 1; }
                sleep 0.05
            done
            t1=$(now_ms)
            result b2.setctl_to_visible_ms $((t1 - t0))
            wait_until 60 log_has "$l0" "synced: " || { say "B2: no synced line"; return 1; }
            log_find "$l0" ": connected$"; c=$LOG_MS
            log_find "$l0" "synced: "; s=$LOG_MS
            result b2.connect_to_barrier_ms $((s - c))
            result b2.bundle_only_ms "$(sed -n 's/.* bundle, \([0-9]*\) ms.*/\1/p' <<<"$LOG_LINE")"
            say "B2 run $r: set-controller -> visible $((t1 - t0)) ms; connected -> synced $((s - c)) ms ($LOG_LINE)"

            # Baseline: the same flows and groups, no controller.
            empty_bridges "$br"
            ensure_meter "$br"
            t0=$(now_ms)
            ofctl bundle "$br" "$WORK/base.bundle" || { say "B2: ovs-ofctl bundle failed"; return 1; }
            t1=$(now_ms)
            n=$(flow_count "$br")
            [ "$n" = "$n_flows" ] || say "B2: the baseline bundle left $n flows, not $n_flows"
            result b2.bundle_ms $((t1 - t0))
            # The reference without a bundle takes minutes at full scale:
            # first run only.
            if [ "$r" = 1 ]; then
                empty_bridges "$br"
                ensure_meter "$br"
                t0=$(now_ms)
                ofctl add-groups "$br" "$WORK/base.groups" && ofctl add-flows "$br" "$WORK/base.flows" \
                    || { say "B2: add-flows failed"; return 1; }
                t1=$(now_ms)
                result b2.nobundle_ms $((t1 - t0))
                say "B2 run $r: without bundle $((t1 - t0)) ms"
            fi
            say "B2 run $r: baseline bundle $(grep '^b2.bundle_ms' "$RES" | tail -1 | cut -d' ' -f2) ms"
        done
    fi

    # Back to flowchaind, in sync with the base intent.
    resync() {
        empty_bridges "$br"
        wait_until 30 no_switch
        set_controllers "$br"
        wait_until "$TIMEOUT" fcd_all_in_sync 1
    }
    if [[ " $ONLY " = *" B3 "* ]]; then
        mkdir -p "$WORK/b3"
        local desc
        desc=$($TOOL variants "$WORK/b2.json" "$host" "$WORK/b3") || return 1
        say "B3: $(tr '\n' ';' <<<"$desc")"
        meta b3.changes "$(sed 's/$/;/' <<<"$desc" | tr '\n' ' ' | sed 's/; *$//')"
        local nbr nport
        read -r _ nbr nport <<<"$(grep '^addvm' <<<"$desc")"
        ovsh ovs-vsctl add-port "$nbr" "$nport" -- set interface "$nport" type=internal
        resync || { say "B3: no sync"; return 1; }
        sleep 1
        # apply FILE [KEY]: write_intent FILE; records KEY.ms and
        # KEY.flow_mods if KEY is given.  B3_TRIGGER=sighup also sends
        # SIGHUP, which makes a second full reload that delays reading the
        # barrier reply.
        apply() {
            local file=$1 key=${2:-}
            write_intent "$file" "${B3_TRIGGER:-file}" || { say "B3: no sync after $file"; return 1; }
            if [ -n "$key" ]; then
                result "$key.ms" "$WRITE_MS"
                result "$key.flow_mods" "$WRITE_MODS"
                say "B3 $key: $WRITE_MS ms ($LOG_LINE)"
            fi
            sleep 1
        }
        for r in $(seq "$RUNS"); do
            apply "$WORK/b3/addvm.json" b3.addvm || return 1
            [ "$r" = 1 ] && dump_state "$br" "$WORK/b3/addvm"
            apply "$WORK/b2.json" b3.rmvm || return 1
            apply "$WORK/b3/rule.json" b3.rule || return 1
            [ "$r" = 1 ] && dump_state "$br" "$WORK/b3/rule"
            apply "$WORK/b2.json" || return 1
            apply "$WORK/b3/category.json" b3.category || return 1
            [ "$r" = 1 ] && dump_state "$br" "$WORK/b3/category"
            apply "$WORK/b2.json" || return 1
        done
        # Baseline: ovs-ofctl --bundle replace-flows, no controller.
        empty_bridges "$br"
        ensure_meter "$br"
        ofctl bundle "$br" "$WORK/base.bundle" || return 1
        rf() {      # rf FLOWS [KEY]
            local t0 t1
            t0=$(now_ms)
            ofctl --bundle replace-flows "$br" "$1" || { say "B3: replace-flows failed"; return 1; }
            t1=$(now_ms)
            [ -n "${2:-}" ] && result "$2" $((t1 - t0))
            return 0
        }
        for r in $(seq "$RUNS"); do
            rf "$WORK/b3/addvm.flows" b3.addvm.replace_ms || return 1
            rf "$WORK/base.flows" b3.rmvm.replace_ms || return 1
            rf "$WORK/b3/rule.flows" b3.rule.replace_ms || return 1
            rf "$WORK/base.flows" || return 1
            rf "$WORK/b3/category.flows" b3.category.replace_ms || return 1
            rf "$WORK/base.flows" || return 1
            say "B3 run $r: replace-flows $(grep replace_ms "$RES" | tail -4 | cut -d' ' -f2 | tr '\n' ' ')ms"
        done
    fi

    if [[ " $ONLY " = *" B4 "* ]]; then
        resync || { say "B4: no sync"; return 1; }
        local vm_ns ping_pid sent got lost last t t_start
        vm_ns=$(lab_get "vms.$vm_a.ns")
        ping_ok "$vm_a" "$ping_ip" || say "B4: $vm_a does not reach $ping_ip before the restart"
        meta b4.ping "$vm_a -> $ping_ip ($( [ "$vm_b" = - ] && echo "its gateway, on the router behind the uplink: no two web-tier VMs of this host share a network" || echo "$vm_b, same network")), ping -i 0.05"
        for r in $(seq "$RUNS"); do
            ip netns exec "$vm_ns" ping -n -i 0.05 "$ping_ip" >"$WORK/ping.$r" 2>&1 &
            ping_pid=$!
            sleep 1
            fcd_stop
            l0=$(log_lines)
            t0=$(now_ms)
            fcd_start "$LAB_DIR/intent.json"
            wait_until "$TIMEOUT" fcd_all_in_sync 1 || { kill "$ping_pid"; say "B4: no sync"; return 1; }
            t1=$(now_ms)
            t=$t1 t_start=$t0
            sleep 1
            kill -INT "$ping_pid"; wait "$ping_pid" 2>/dev/null
            read -r sent got <<<"$(ping_counts "$WORK/ping.$r")"
            lost=$((sent - got))
            # The request ping sent just before it was interrupted may be
            # in flight, not lost: one unanswered request after the last
            # answered one does not count.
            last=$(sed -nE 's/.*icmp_seq=([0-9]+).*/\1/p' "$WORK/ping.$r" | tail -1)
            [ "$lost" -gt 0 ] && [ "${last:-0}" = $((sent - 1)) ] && lost=$((lost - 1))
            log_find "$l0" ": connected$"; c=$LOG_MS
            log_find "$l0" "switch holds "; s=$LOG_MS
            result b4.start_to_sync_ms $((t1 - t0))
            result b4.connect_to_sync_ms $((s - c))
            result b4.flow_mods "$(fcd_flow_mods)"
            result b4.pings_lost "$lost"
            t0=$(now_ms); ofctl dump-flows "$br" >/dev/null; t1=$(now_ms)
            result b4.dumpflows_ms $((t1 - t0))
            say "B4 run $r: start -> in sync $((t - t_start)) ms, connected -> read back $((s - c)) ms, $(fcd_flow_mods) flow mods, $lost of $sent pings lost, dump-flows $((t1 - t0)) ms"
        done
    fi
    fcd_stop
    cp "$FCD_LOG" "$WORK/b234-flowchaind.log"
    lab_down
}

# ---------------------------------------------------------------- B5
bench_b5() {
    say "B5: generating the intent ($B5_ARGS)"
    $GEN $B5_ARGS -o "$WORK/b5.json" || return 1
    $GEN $B5_ARGS --only-hosts host0 --max-vms-per-host 0 -o "$WORK/b5-lab.json" || return 1
    local out
    out=$("$BUILD/bench/bench-intent" "$WORK/b5.json" -i 1 -c -m) || return 1
    lab_up "$WORK/b5-lab.json" none || { say "lab up failed"; return 1; }
    HDIR=$(lab_get hosts.host0.dir)
    ln -sf "$LAB_DIR/of.sock" "$HDIR/controller.sock"
    add_missing_ports "$WORK/b5.json" "$WORK/b5-lab.json" host0 || return 1
    local bridges
    bridges=$($PY -c 'import json,sys; print(" ".join(b["name"] for h in json.load(open(sys.argv[1]))["hosts"] for b in h["bridges"]))' "$WORK/b5.json")
    cp "$WORK/b5.json" "$LAB_DIR/intent.json"
    fcd_start "$LAB_DIR/intent.json"
    local hz r t0 t1 c0 c1 n_flows
    hz=$(getconf CLK_TCK)
    for r in $(seq "$RUNS"); do
        # shellcheck disable=SC2086
        empty_bridges $bridges
        wait_until 30 no_switch
        c0=$(awk '{print $14 + $15}' "/proc/$FCD_PID/stat")
        t0=$(now_ms)
        # shellcheck disable=SC2086
        set_controllers $bridges
        wait_until "$TIMEOUT" fcd_all_in_sync "$B5_BRIDGES" || { say "B5: no sync"; return 1; }
        t1=$(now_ms)
        c1=$(awk '{print $14 + $15}' "/proc/$FCD_PID/stat")
        result b5.all_sync_ms $((t1 - t0))
        result b5.cpu_ms $(( (c1 - c0) * 1000 / hz ))
        result b5.rss_mb "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$FCD_PID/status")"
        n_flows=$(fcctl status | sed -n 's/^total: .*flows installed \([0-9]*\).*/\1/p')
        say "B5 run $r: all $B5_BRIDGES in sync after $((t1 - t0)) ms, CPU $(( (c1 - c0) * 1000 / hz )) ms, $n_flows flows"
    done
    meta b5.shape "$B5_BRIDGES bridges of one ovs-vswitchd, $(kv vms "$out") VMs (their ports as internal ports), $(kv policies "$out") policies: $n_flows flows, $(kv groups "$out") groups in all"
    meta b5.args "$B5_ARGS"
    meta b5.bridges "$B5_BRIDGES"
    fcd_stop
    cp "$FCD_LOG" "$WORK/b5-flowchaind.log"
    lab_down
}

# ---------------------------------------------------------------- B7
# b7_mbps FROM IP: TCP throughput in Mbit/s (iperf3, B7_SECONDS long, the
# receiver's figure) from the VM FROM to IP:9001.
b7_mbps() {
    lab_exec "$1" iperf3 -c "$2" -p 9001 -t "$B7_SECONDS" -J 2>/dev/null |
        $PY -c 'import json, sys
print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))'
}
# b7_measure RUN WHAT SUFFIX: web1 -> app2 (one host) and web1 -> app1
# (across the uplink), recorded as b7.local${SUFFIX}_mbps and
# b7.remote${SUFFIX}_mbps.  Uses $app1 and $app2 of bench_b7.
b7_measure() {
    local r=$1 what=$2 suffix=$3 where to v
    for where in local remote; do
        if [ "$where" = local ]; then to=$app2; else to=$app1; fi
        v=$(b7_mbps web1 "$to") || { say "B7: iperf3 ($what) web1 -> $to failed"; return 1; }
        result "b7.$where${suffix}_mbps" "$v"
        say "B7 run $r: $what, web1 -> $to ($where): $v Mbit/s"
    done
}
# b7_normal: every guest bridge holds one NORMAL flow and no group.
b7_normal() {
    local h
    for h in hv-host01 hv-host02; do
        lab_ovs "$h" ovs-ofctl -O OpenFlow13 del-flows br-guest || return 1
        lab_ovs "$h" ovs-ofctl -O OpenFlow13 del-groups br-guest || return 1
        lab_ovs "$h" ovs-ofctl -O OpenFlow13 add-flow br-guest \
            "priority=0,actions=NORMAL" || return 1
    done
}
# B7: TCP throughput (iperf3) through the full pipeline with policies (the
# lab of tests/lab/microseg-intent.json: web1 -> app2 on one host, web1 ->
# app1 across the uplink, allowed by policy web-app, conntrack on every
# VM port), against the same switches holding one NORMAL flow.  The second
# member of each guest bond is cut in both cases, so that NORMAL does not
# loop.  Runs alternate between the two.
bench_b7() {
    local intent=$top/tests/lab/microseg-intent.json
    lab_up "$intent" "unix:@LAB_DIR@/of.sock" || { say "B7: lab up failed"; return 1; }
    cp "$intent" "$LAB_DIR/intent.json"
    local h phys ns vm
    for h in hv-host01 hv-host02; do
        phys=$(lab_get "hosts.$h.bridges.br-guest.uplink.members.Ethernet4.phys_port") || return 1
        lab_exec phys ip link set "$phys" down
    done
    for vm in app1 app2; do
        ns=$(lab_get "names.$vm") || return 1
        lab_spawn ip netns exec "$ns" iperf3 -s -p 9001
    done
    local app1 app2 r v
    app1=$(lab_get vms.app1.nics.0.ip) app2=$(lab_get vms.app2.nics.0.ip)
    for r in $(seq "$RUNS"); do
        fcd_start "$LAB_DIR/intent.json"
        wait_until 60 fcd_all_in_sync 6 || { say "B7: no sync"; return 1; }
        b7_measure "$r" flowchain "" || return 1
        [ "$r" = 1 ] && fcctl policy-stats --policy web-app | sed 's/^/bench: B7 /' >&2
        fcd_stop
        b7_normal || { say "B7: could not set the NORMAL flow"; return 1; }
        b7_measure "$r" NORMAL _normal || return 1
    done
    meta b7.shape "tests/lab/microseg-intent.json: 6 VMs on 2 hosts, 4 policies; iperf3 -t $B7_SECONDS to tcp/9001 (allowed by web-app); second guest bond member cut"
    lab_down
}

# ---------------------------------------------------------------- B8
# B8: high availability at scale.  One ovs-vswitchd with B8_BRIDGES
# bridges (the VM ports as internal ports), the intent in a three-member
# Raft ovsdb-server cluster and three flowchaind --db instances (a, b, c),
# all in a namespace of this run (its loopback: the database's TCP ports)
# and listening on unix sockets in the lab host's run directory; every
# bridge has the three as its controllers.  Per run: the bridges emptied
# (no controller, flows, groups), then one ovs-vsctl transaction gives each
# bridge its three controllers; the time until the instances together
# master every bridge once, each in sync, and Open vSwitch shows one master
# row per bridge; each instance's masters, CPU time and peak RSS.  Then
# kill -9 of the instance with the most masters: the time until the two
# others master every bridge, in sync, and the flow mods they sent
# meanwhile; the killed instance is restarted and takes its bridges back
# (time and its flow mods).
B8_NAMES="a b c"
b8_ctl() {
    local name=$1; shift
    "$BUILD/flowchainctl" --control "$B8_DIR/$name.ctl" "$@"
}
# b8_roles NAME: "MASTERS INSYNC SLAVES" of instance NAME.
b8_roles() {
    FCD_CTL=$B8_DIR/$1.ctl fcd_roles
}
b8_mods() {
    FCD_CTL=$B8_DIR/$1.ctl fcd_flow_mods 2>/dev/null
}
b8_ovs_roles() {
    ovsh ovs-vsctl --bare --columns=role list controller | grep -cx "$1"
}
# b8_in_sync NAME...: these instances master every bridge once, each in
# sync, and Open vSwitch has one master controller row per bridge.  Each
# instance's masters, as read in this same check, in B8_MASTERS[NAME].
declare -gA B8_MASTERS
b8_in_sync() {
    local name m i s tm=0 ti=0
    for name in "$@"; do
        read -r m i s < <(b8_roles "$name")
        [ -n "$m" ] || return 1
        tm=$((tm + m)) ti=$((ti + i))
        B8_MASTERS[$name]=$m
    done
    [ "$tm" = "$B8_BRIDGES" ] && [ "$ti" = "$B8_BRIDGES" ] &&
        [ "$(b8_ovs_roles master)" = "$B8_BRIDGES" ]
}
# b8_no_switch: no instance has a switch.
b8_no_switch() {
    local name
    for name in $B8_NAMES; do
        [ "$(b8_ctl "$name" status 2>/dev/null | grep -c '^switch ')" = 0 ] || return 1
    done
}
b8_installed() {
    grep -q "reloaded database .* generation $2:" "$B8_DIR/$1.log" 2>/dev/null
}
b8_all_installed() {
    local name
    for name in $B8_NAMES; do b8_installed "$name" "$1" || return 1; done
}
b8_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
b8_inst_start() {
    local name=$1
    lab_spawn ip netns exec "$B8_NS" "$BUILD/flowchaind" --db="$B8_DB" \
        --instance-id="$name" --listen="unix:$HDIR/fc-$name.sock" \
        --control="$B8_DIR/$name.ctl" --log-file="$B8_DIR/$name.log" \
        2>>"$B8_DIR/$name.stderr"
    eval "B8_PID_$name=$LAB_LAST_PID"
    wait_until 20 b8_ctl "$name" version >/dev/null 2>&1
}
# b8_set_controllers BR...: the three instances become every bridge's
# controllers, in one ovs-vsctl transaction.
b8_set_controllers() {
    local args=() b name id ids
    for b in "$@"; do
        ids=
        for name in $B8_NAMES; do
            id="@c_${b//-/_}_$name"
            ids="$ids,$id"
            args+=(-- "--id=$id" create controller "target=\"unix:$HDIR/fc-$name.sock\""
                   connection-mode=out-of-band max_backoff=1000 inactivity_probe=5000)
        done
        args+=(-- set bridge "$b" "controller=[${ids#,}]")
    done
    ovsh ovs-vsctl --timeout=300 "${args[@]}" >/dev/null
}
# b8_empty_bridges BR...: no controller, no flows, no groups.
b8_empty_bridges() {
    local args=() b
    for b in "$@"; do args+=(-- del-controller "$b"); done
    ovsh ovs-vsctl --timeout=300 "${args[@]}"
    printf '%s\n' "$@" | OVS_RUNDIR=$HDIR xargs -P 4 -I{} ovs-ofctl -O OpenFlow13 del-flows {}
    printf '%s\n' "$@" | OVS_RUNDIR=$HDIR xargs -P 4 -I{} ovs-ofctl -O OpenFlow13 del-groups {}
}
b8_cleanup() {
    local rc=$?
    lab_down
    ip netns del "$B8_NS" 2>/dev/null
    exit "$rc"
}
bench_b8() {
    say "B8: generating the intent ($B8_ARGS)"
    $GEN $B8_ARGS -o "$WORK/b8.json" || return 1
    $GEN $B8_ARGS --only-hosts host0 --max-vms-per-host 0 -o "$WORK/b8-lab.json" || return 1
    local out
    out=$("$BUILD/bench/bench-intent" "$WORK/b8.json" -i 1 -c -m) || return 1
    B8_DIR=$WORK/b8
    mkdir -p "$B8_DIR"
    local t0 t1
    t0=$(now_ms)
    lab_up "$WORK/b8-lab.json" none || { say "B8: lab up failed"; return 1; }
    HDIR=$(lab_get hosts.host0.dir)
    add_missing_ports "$WORK/b8.json" "$WORK/b8-lab.json" host0 || return 1
    say "B8: lab of $B8_BRIDGES bridges up in $(( $(now_ms) - t0 )) ms"
    local bridges
    bridges=$($PY -c 'import json,sys; print(" ".join(b["name"] for h in json.load(open(sys.argv[1]))["hosts"] for b in h["bridges"]))' "$WORK/b8.json")

    # The database: three Raft members on the loopback of namespace B8_NS.
    B8_NS=$LAB_PREFIX-b8db
    trap b8_cleanup EXIT
    ip netns add "$B8_NS" && ip -n "$B8_NS" link set lo up ||
        { say "B8: namespace $B8_NS"; return 1; }
    local raft=(127.0.0.1:6644 127.0.0.1:6645 127.0.0.1:6646)
    local client=(127.0.0.1:6641 127.0.0.1:6642 127.0.0.1:6643)
    B8_DB="tcp:${client[0]},tcp:${client[1]},tcp:${client[2]}"
    local schema=$top/ovsdb/flowchain.ovsschema i d
    for i in 0 1 2; do mkdir -p "$B8_DIR/m$i"; done
    ovsdb-tool create-cluster "$B8_DIR/m0/db" "$schema" "tcp:${raft[0]}" &&
    ovsdb-tool join-cluster "$B8_DIR/m1/db" Flowchain "tcp:${raft[1]}" "tcp:${raft[0]}" &&
    ovsdb-tool join-cluster "$B8_DIR/m2/db" Flowchain "tcp:${raft[2]}" "tcp:${raft[0]}" ||
        { say "B8: could not create the cluster"; return 1; }
    for i in 0 1 2; do
        d=$B8_DIR/m$i
        lab_spawn ip netns exec "$B8_NS" ovsdb-server --no-chdir --pidfile="$d/pid" \
            --unixctl="$d/ctl" --remote="ptcp:${client[$i]#*:}:127.0.0.1" \
            --log-file="$d/log" "$d/db" 2>>"$d/stderr"
    done
    b8_cluster_ok() {
        local i
        for i in 0 1 2; do
            ip netns exec "$B8_NS" ovs-appctl -t "$B8_DIR/m$i/ctl" cluster/status Flowchain \
                2>/dev/null | grep -q '^Status: cluster member' || return 1
        done
    }
    wait_until 60 b8_cluster_ok || { say "B8: no cluster"; return 1; }
    ip netns exec "$B8_NS" "$BUILD/flowchainctl" apply --db="$B8_DB" "$WORK/b8.json" >/dev/null ||
        { say "B8: apply --db failed"; return 1; }
    local name
    for name in $B8_NAMES; do b8_inst_start "$name"; done
    wait_until 60 b8_all_installed 1 || { say "B8: the instances did not install generation 1"; return 1; }
    sleep 1

    local hz r c0 c1 pid m mmax victim surv sm0 sm1 vm
    declare -A cpu0
    hz=$(getconf CLK_TCK)
    for r in $(seq "$RUNS"); do
        # shellcheck disable=SC2086
        b8_empty_bridges $bridges
        wait_until 60 b8_no_switch || { say "B8: switches still connected"; return 1; }
        # Idle: no switch connected, 5 s; each instance is one sample.
        for name in $B8_NAMES; do
            eval "pid=\$B8_PID_$name"
            cpu0[$name]=$(b8_cpu "$pid")
        done
        sleep 5
        for name in $B8_NAMES; do
            eval "pid=\$B8_PID_$name"
            result b8.idle_cpu_pct $(( ($(b8_cpu "$pid") - cpu0[$name]) * 100 / (5 * hz) ))
        done
        for name in $B8_NAMES; do
            eval "pid=\$B8_PID_$name"
            cpu0[$name]=$(b8_cpu "$pid")
        done
        t0=$(now_ms)
        # shellcheck disable=SC2086
        b8_set_controllers $bridges
        # shellcheck disable=SC2086
        wait_until "$TIMEOUT" b8_in_sync $B8_NAMES || { say "B8: no sync"; return 1; }
        t1=$(now_ms)
        result b8.all_sync_ms $((t1 - t0))
        local line="all $B8_BRIDGES in sync after $((t1 - t0)) ms;"
        mmax=-1 victim=
        for name in $B8_NAMES; do
            eval "pid=\$B8_PID_$name"
            c1=$(b8_cpu "$pid")
            m=${B8_MASTERS[$name]}
            result "b8.$name.masters" "$m"
            result "b8.$name.cpu_ms" $(( (c1 - cpu0[$name]) * 1000 / hz ))
            result "b8.$name.rss_mb" "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")"
            line="$line $name: $m masters, CPU $(( (c1 - cpu0[$name]) * 1000 / hz )) ms;"
            [ "$m" -gt "$mmax" ] && { mmax=$m; victim=$name; }
        done
        say "B8 run $r: $line"

        # Failover: kill -9 the instance with the most masters.
        surv=()
        for name in $B8_NAMES; do [ "$name" = "$victim" ] || surv+=("$name"); done
        sm0=$(( $(b8_mods "${surv[0]}") + $(b8_mods "${surv[1]}") ))
        eval "pid=\$B8_PID_$victim"
        kill -KILL "$pid"; wait "$pid" 2>/dev/null
        t0=$(now_ms)
        wait_until "$TIMEOUT" b8_in_sync "${surv[@]}" || { say "B8: no failover"; return 1; }
        t1=$(now_ms)
        sm1=$(( $(b8_mods "${surv[0]}") + $(b8_mods "${surv[1]}") ))
        result b8.failover_ms $((t1 - t0))
        result b8.failover_flow_mods $((sm1 - sm0))
        line="kill -9 of $victim ($mmax masters) -> ${surv[*]} master all $B8_BRIDGES in sync after $((t1 - t0)) ms, $((sm1 - sm0)) flow mods;"
        # Takeback: the killed instance returns and masters its bridges
        # again (the same live set gives the same assignment).  It waits
        # until the others count it live (2 s of steady heartbeats).
        t0=$(now_ms)
        b8_inst_start "$victim"
        b8_took_back() {
            # shellcheck disable=SC2086
            b8_in_sync $B8_NAMES && [ "${B8_MASTERS[$victim]}" = "$mmax" ]
        }
        wait_until "$TIMEOUT" b8_took_back || { say "B8: no takeback"; return 1; }
        t1=$(now_ms)
        vm=$(b8_mods "$victim")
        result b8.takeback_ms $((t1 - t0))
        result b8.takeback_flow_mods "$vm"
        say "B8 run $r: $line restarted, it takes its switches back in $((t1 - t0)) ms, $vm flow mods"
    done
    meta b8.shape "$B8_BRIDGES bridges of one ovs-vswitchd, $(kv vms "$out") VMs (their ports as internal ports), $(kv policies "$out") policies: $(kv flows "$out") flows, $(kv groups "$out") groups in all; a three-member Raft ovsdb-server cluster and three flowchaind --db instances (a, b, c), each bridge pointed at all three"
    meta b8.args "$B8_ARGS"
    meta b8.bridges "$B8_BRIDGES"
    for name in $B8_NAMES; do cp "$B8_DIR/$name.log" "$WORK/b8-$name.log" 2>/dev/null; done
    lab_down
    ip netns del "$B8_NS" 2>/dev/null
    return 0
}

# ---------------------------------------------------------------- B6
# B6: flowchain against OVN on one host, the same workload
# (bench/gen-b6.py), one system after the other in each run (never at the
# same time).  flowchain: a lab host (tests/lab/lab.py) with br0, its bond
# and every VM NIC as an internal port; per run and per variant (with the
# rules, without) ovs-vswitchd restarted (no flows), flowchaind started
# on the intent, then `set-controller` -> in sync.  OVN (Debian's
# ovn-central and ovn-host on userspace OVS): in a namespace of its own,
# per run and variant from scratch: ovsdb-server for the Open_vSwitch, NB
# and SB databases, ovs-vswitchd, ovn-northd and ovn-controller, all with
# files in one directory of this run; br-int holds the VM ports as
# internal ports with external_ids:iface-id before anything is in NB; then
# one ovn-nbctl transaction creates everything, and `ovn-nbctl --wait=hv
# sync` returns when ovn-controller has installed it.
B6_OVSSCHEMA=/usr/share/openvswitch/vswitch.ovsschema
B6_NBSCHEMA=/usr/share/ovn/ovn-nb.ovsschema
B6_SBSCHEMA=/usr/share/ovn/ovn-sb.ovsschema
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# b6_ovs CMD...: an OVS tool against the OVN side's Open vSwitch.
declare -gA B6_PID
b6_ovs() {
    OVS_RUNDIR=$OD OVS_LOGDIR=$OD OVS_DBDIR=$OD OVS_SYSCONFDIR=$OD "$@"
}
b6_nbctl() { ovn-nbctl --db="unix:$OD/nb.sock" --timeout="$TIMEOUT" "$@"; }
b6_sbctl() { ovn-sbctl --db="unix:$OD/sb.sock" --timeout=30 "$@"; }
# b6_daemon NAME CMD...: CMD in the OVN namespace, in the background (a
# child of this shell, stopped by pid in b6_ovn_down or lab_down); its pid
# in B6_PID[NAME].  Its pidfile and log are DIR/NAME.pid and .log; its
# control socket is the default of OVN_RUNDIR or OVS_RUNDIR = DIR (some
# take --unixctl, ovn-controller 23.03 does not): DIR/NAME.PID.ctl.
b6_daemon() {
    local name=$1; shift
    lab_spawn ip netns exec "$B6_NS" env OVS_RUNDIR="$OD" OVS_LOGDIR="$OD" \
        OVS_DBDIR="$OD" OVS_SYSCONFDIR="$OD" OVN_RUNDIR="$OD" OVN_LOGDIR="$OD" \
        OVN_DBDIR="$OD" OVN_SYSCONFDIR="$OD" "$@" -vconsole:off -vfile:info \
        --no-chdir --pidfile="$OD/$name.pid" --log-file="$OD/$name.log" \
        2>>"$OD/$name.stderr"
    B6_PID[$name]=$LAB_LAST_PID
    B6_PIDS="$LAB_LAST_PID ${B6_PIDS:-}"
}
b6_answers() {
    local pid
    pid=$(cat "$OD/$1.pid" 2>/dev/null) && [ -S "$OD/$2.$pid.ctl" ] &&
        ovs-appctl -t "$OD/$2.$pid.ctl" version >/dev/null 2>&1
}
# b6_ovn_up DIR: the OVN side from scratch in DIR, with the VM ports on
# br-int, NB empty and ovn-controller registered and in sync with it.
b6_ovn_up() {
    OD=$1 B6_PIDS=
    mkdir -p "$OD"
    ovsdb-tool create "$OD/conf.db" "$B6_OVSSCHEMA" &&
    ovsdb-tool create "$OD/nb.db" "$B6_NBSCHEMA" &&
    ovsdb-tool create "$OD/sb.db" "$B6_SBSCHEMA" || return 1
    b6_daemon ovsdb-server ovsdb-server "$OD/conf.db" --remote="punix:$OD/db.sock"
    b6_daemon nb ovsdb-server "$OD/nb.db" --remote="punix:$OD/nb.sock"
    b6_daemon sb ovsdb-server "$OD/sb.db" --remote="punix:$OD/sb.sock"
    local d
    for d in ovsdb-server nb sb; do
        wait_until 20 b6_answers "$d" ovsdb-server || { say "B6: $d does not start"; return 1; }
    done
    b6_ovs ovs-vsctl --no-wait init || return 1
    b6_daemon ovs-vswitchd ovs-vswitchd "unix:$OD/db.sock"
    wait_until 20 b6_answers ovs-vswitchd ovs-vswitchd || { say "B6: ovs-vswitchd does not start"; return 1; }
    local args=(-- set open_vswitch . external_ids:system-id=b6-chassis
                "external_ids:ovn-remote=\"unix:$OD/sb.sock\""
                external_ids:ovn-encap-type=geneve external_ids:ovn-encap-ip=127.0.0.1
                external_ids:ovn-bridge-mappings=physnet:br-phys
                external_ids:ovn-bridge-datapath-type=netdev
                -- add-br br-int -- set bridge br-int datapath_type=netdev
                fail_mode=secure other_config:disable-in-band=true
                -- add-br br-phys -- set bridge br-phys datapath_type=netdev)
    local port vm
    while read -r port vm; do
        args+=(-- add-port br-int "$port" -- set interface "$port" type=internal
               "external_ids:iface-id=$vm")
    done <"$B6_DIR/ports"
    b6_ovs ovs-vsctl --timeout=300 "${args[@]}" || return 1
    b6_daemon northd ovn-northd --ovnnb-db="unix:$OD/nb.sock" --ovnsb-db="unix:$OD/sb.sock"
    b6_nbctl --timeout=60 --wait=sb sync || { say "B6: ovn-northd does not sync"; return 1; }
    # ovn-controller 23.03.1 (Debian) sometimes dies of SIGSEGV within
    # its first second, before anything is in NB; then it is started again
    # (at most 3 times), and the run says so.
    local try deadline
    for try in 1 2 3; do
        b6_daemon ovn-controller ovn-controller "unix:$OD/db.sock"
        deadline=$(( $(now_ms) + 60000 ))
        while _lab_pid_alive "${B6_PID[ovn-controller]}"; do
            if [ -n "$(b6_sbctl --bare --columns=name list chassis 2>/dev/null)" ] &&
                ovn-nbctl --db="unix:$OD/nb.sock" --timeout=2 --wait=hv sync 2>/dev/null; then
                sleep 1
                return 0
            fi
            [ "$(now_ms)" -gt "$deadline" ] && { say "B6: ovn-controller does not sync (empty NB)"; return 1; }
            sleep 0.2
        done
        wait "${B6_PID[ovn-controller]}"
        say "B6: ovn-controller died at its start (exit status $?, before any NB content; try $try)"
        B6_PIDS=${B6_PIDS/${B6_PID[ovn-controller]} /}
        B6_CTL_DEATHS=$((${B6_CTL_DEATHS:-0} + 1))
        echo "$B6_CTL_DEATHS" >"$B6_DIR/ctl-deaths"
    done
    return 1
}
# b6_ovn_down: stops the OVN side's daemons (by pid) and removes its files.
b6_ovn_down() {
    local p
    for p in ${B6_PIDS:-}; do
        _lab_pid_alive "$p" && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    B6_PIDS=
    [ "$KEEP" = 1 ] || rm -rf "$OD"
}
# b6_ovn_run RUN VARIANT: one OVN run; VARIANT "full" (with the ACLs, and
# the port group and ACL changes) or "noacl".
b6_ovn_run() {
    local r=$1 v=$2 args t0 t1 n pfx=b6.ovn
    [ "$v" = noacl ] && pfx=b6.ovn.noacl
    b6_ovn_up "$B6_DIR/ovn-$v.$r" || { b6_ovn_down; return 1; }
    mapfile -t args <"$B6_DIR/nb-$v.args"
    t0=$(now_ms)
    b6_nbctl "${args[@]}" || { say "B6: the NB transaction failed"; b6_ovn_down; return 1; }
    b6_nbctl --wait=hv sync || { say "B6: no hv sync"; b6_ovn_down; return 1; }
    t1=$(now_ms)
    n=$(b6_ovs ovs-ofctl -O OpenFlow13 dump-aggregate br-int | sed -n 's/.*flow_count=\([0-9]*\).*/\1/p')
    result "$pfx.converge_ms" $((t1 - t0))
    result "$pfx.flows" "$n"
    local line="OVN ($v): NB commit -> hv sync $((t1 - t0)) ms, $n flows on br-int"
    if [ "$v" = full ]; then
        result b6.ovn.ctl_rss_mb "$(rss_mb "${B6_PID[ovn-controller]}")"
        result b6.ovn.vswitchd_rss_mb "$(rss_mb "${B6_PID[ovs-vswitchd]}")"
        line="$line, RSS ovn-controller $(rss_mb "${B6_PID[ovn-controller]}") MB, ovs-vswitchd $(rss_mb "${B6_PID[ovs-vswitchd]}") MB"
        # One VM from pg_web into pg_app (as flowchain's category change).
        local u match prio
        u=$(b6_nbctl --bare --columns=_uuid find logical_switch_port "name=$B6_MOVE_VM")
        t0=$(now_ms)
        b6_nbctl --wait=hv remove port_group pg_web ports "$u" -- add port_group pg_app ports "$u" ||
            { say "B6: port group change failed"; b6_ovn_down; return 1; }
        t1=$(now_ms)
        result b6.ovn.pg_ms $((t1 - t0))
        line="$line; $B6_MOVE_VM into pg_app $((t1 - t0)) ms"
        b6_nbctl --wait=hv remove port_group pg_app ports "$u" -- add port_group pg_web ports "$u" || return 1
        # One new allow-related ACL (as flowchain's new rule).
        match=$(sed -n 's/^new_acl_match //p' "$B6_DIR/info")
        prio=$(sed -n 's/^new_acl_priority //p' "$B6_DIR/info")
        t0=$(now_ms)
        b6_nbctl --wait=hv --type=port-group acl-add pg_app to-lport "$prio" "$match" allow-related ||
            { say "B6: acl-add failed"; b6_ovn_down; return 1; }
        t1=$(now_ms)
        result b6.ovn.acl_ms $((t1 - t0))
        line="$line; one new ACL $((t1 - t0)) ms"
    fi
    say "B6 run $r: $line"
    b6_ovn_down
}
# b6_apply FILE [KEY]: write_intent FILE; records KEY (intent written ->
# synced) if given.
b6_apply() {
    write_intent "$1" file || { say "B6: no sync after $1"; return 1; }
    [ -n "${2:-}" ] && result "$2" "$WRITE_MS"
    B6_LINE="$WRITE_MS ms ($WRITE_MODS flow mods)"
    sleep 1
}
fc_in_sync() { [ "$(n_in_sync)" -ge 1 ]; }
# b6_fc_run RUN VARIANT: one flowchain run, "full" (and the category and
# rule changes) or "norules".
b6_fc_run() {
    local r=$1 v=$2 t0 t1 n pfx=b6.fc vpid intent=$B6_DIR/intent.json
    [ "$v" = norules ] && { pfx=b6.fc.norules; intent=$B6_DIR/intent-norules.json; }
    fcd_stop
    ovsh ovs-vsctl del-controller br0
    lab restart-vswitchd host0 >/dev/null || { say "B6: restart-vswitchd failed"; return 1; }
    vpid=$(cat "$HDIR/ovs-vswitchd.pid")
    # Every port (VM NICs and the two bond members) back before the clock
    # starts, as the OVN side's ports are before its NB transaction.
    b6_ports_back() { [ "$(ofctl show br0 2>/dev/null | grep -c '^ [0-9]*(')" = "$B6_NPORTS" ]; }
    wait_until 120 b6_ports_back || { say "B6: the ports of br0 did not come back"; return 1; }
    cp "$intent" "$LAB_DIR/intent.json"
    fcd_start "$LAB_DIR/intent.json"
    [ -n "${FCD_PID:-}" ] || return 1
    sleep 1
    local l0
    l0=$(log_lines)
    t0=$(now_ms)
    set_controllers br0
    while ! fc_in_sync; do
        [ $(( $(now_ms) - t0 )) -gt $((TIMEOUT * 1000)) ] && { say "B6: flowchaind: no sync"; return 1; }
        sleep 0.05
    done
    t1=$(now_ms)
    n=$(flow_count br0)
    result "$pfx.converge_ms" $((t1 - t0))
    result "$pfx.flows" "$n"
    wait_until 30 log_has "$l0" "synced: " && log_find "$l0" "synced: " &&
        result "$pfx.synced_ms" "$(sed -n 's/.* bundle, \([0-9]*\) ms.*/\1/p' <<<"$LOG_LINE")"
    local line="flowchain ($v): set-controller -> in sync $((t1 - t0)) ms, $n flows on br0 ($LOG_LINE)"
    if [ "$v" = full ]; then
        result b6.fc.ctl_rss_mb "$(rss_mb "$FCD_PID")"
        result b6.fc.vswitchd_rss_mb "$(rss_mb "$vpid")"
        line="$line, RSS flowchaind $(rss_mb "$FCD_PID") MB, ovs-vswitchd $(rss_mb "$vpid") MB"
        dump_state br0 "$B6_DIR/fc"
        bundle_file "$B6_DIR/fc.flows" "$B6_DIR/fc.groups" "$B6_DIR/fc.bundle"
        sleep 1
        b6_apply "$B6_DIR/category.json" b6.fc.category_ms || return 1
        line="$line; $B6_MOVE_VM into Tier app $B6_LINE"
        b6_apply "$B6_DIR/intent.json" || return 1
        b6_apply "$B6_DIR/rule.json" b6.fc.rule_ms || return 1
        line="$line; one new rule $B6_LINE"
        # Open vSwitch's own limit: the flows and groups flowchain
        # converged to, by `ovs-ofctl bundle` on the same bridge (with the
        # same ports), no controller.
        fcd_stop
        empty_bridges br0
        ensure_meter br0
        t0=$(now_ms)
        ofctl bundle br0 "$B6_DIR/fc.bundle" || { say "B6: ovs-ofctl bundle failed"; return 1; }
        t1=$(now_ms)
        n=$(flow_count br0)
        [ "$n" = "$(wc -l <"$B6_DIR/fc.flows")" ] || say "B6: the baseline bundle left $n flows, not $(wc -l <"$B6_DIR/fc.flows")"
        result b6.fc.bundle_ms $((t1 - t0))
        line="$line; ovs-ofctl bundle of the same flows $((t1 - t0)) ms"
    fi
    say "B6 run $r: $line"
}
b6_cleanup() {
    local rc=$?
    b6_ovn_down 2>/dev/null
    lab_down
    ip netns del "$B6_NS" 2>/dev/null
    exit "$rc"
}
bench_b6() {
    local f
    for f in ovn-northd ovn-controller ovn-nbctl ovn-sbctl "$B6_NBSCHEMA" "$B6_SBSCHEMA"; do
        [ -e "$f" ] || command -v "$f" >/dev/null ||
            { say "B6: $f missing (Debian's ovn-central and ovn-host: scripts/setup.sh)"; return 1; }
    done
    say "B6: generating the workload ($B6_ARGS)"
    B6_DIR=$WORK/b6
    # shellcheck disable=SC2086
    $GEN_B6 $B6_ARGS -d "$B6_DIR" || return 1
    for f in intent intent-norules category rule; do
        "$BUILD/flowchainctl" check "$B6_DIR/$f.json" >/dev/null || { say "B6: $f.json is not valid"; return 1; }
    done
    B6_MOVE_VM=$(sed -n 's/^move_vm //p' "$B6_DIR/info")
    lab_up "$B6_DIR/lab.json" none || { say "B6: lab up failed"; return 1; }
    B6_NS=$LAB_PREFIX-b6ovn
    trap b6_cleanup EXIT
    ip netns add "$B6_NS" && ip -n "$B6_NS" link set lo up || { say "B6: namespace $B6_NS"; return 1; }
    HDIR=$(lab_get hosts.host0.dir)
    ln -sf "$LAB_DIR/of.sock" "$HDIR/controller.sock"
    local args=() port vm
    while read -r port vm; do
        args+=(-- add-port br0 "$port" -- set interface "$port" type=internal)
    done <"$B6_DIR/ports"
    ovsh ovs-vsctl --timeout=300 "${args[@]}" || return 1
    B6_NPORTS=$(( $(wc -l <"$B6_DIR/ports") + 2 ))
    local r
    for r in $(seq "$RUNS"); do
        b6_fc_run "$r" full || return 1
        b6_fc_run "$r" norules || return 1
        fcd_stop
        [ "${B6_OVN:-1}" = 0 ] && continue
        b6_ovn_run "$r" full || return 1
        b6_ovn_run "$r" noacl || return 1
    done
    meta b6.shape "$(sed -n 's/^shape //p' "$B6_DIR/info"); one host, one bridge (flowchain: br0 with a balance-slb bond; OVN: br-int, localnet ports on br-phys), the VM ports as internal ports; moved VM $B6_MOVE_VM (web -> app), new rule web -> app TCP 8200"
    meta b6.args "$B6_ARGS"
    [ -s "$B6_DIR/ctl-deaths" ] &&
        meta b6.ovn_deaths "ovn-controller died of a signal at its start (empty NB, before any measurement) $(cat "$B6_DIR/ctl-deaths") times in this run and was started again"
    meta b6.ovn "OVN $(ovn-controller --version | sed -n '1s/.* //p') (Debian ovn-central, ovn-host), own namespace and ovsdb-servers, ovs-vswitchd $(ovs-vswitchd --version | head -1 | sed 's/.*) //') userspace datapath"
    cp "$FCD_LOG" "$WORK/b6-flowchaind.log" 2>/dev/null
    lab_down
    ip netns del "$B6_NS" 2>/dev/null
    return 0
}

# ---------------------------------------------------------------- main
export LAB_PREFIX=fcb$$
say "lab prefix $LAB_PREFIX"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
describe=$(git -C "$top" describe --always --dirty 2>/dev/null)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
rc=0
if [[ " $ONLY " = *" B1 "* ]]; then
    bench_b1 || { say "B1 failed"; rc=1; }
fi
if [[ " $ONLY " = *" B2 "* || " $ONLY " = *" B3 "* || " $ONLY " = *" B4 "* ]]; then
    # A subshell per lab: lib.sh's trap tears it down whatever happens.
    ( . "$top/tests/lab/lib.sh"; . "$top/tests/lab/fcd.sh"; bench_b234 ) || { say "B2-B4 failed"; rc=1; }
fi
if [[ " $ONLY " = *" B5 "* ]]; then
    ( . "$top/tests/lab/lib.sh"; . "$top/tests/lab/fcd.sh"; bench_b5 ) || { say "B5 failed"; rc=1; }
fi
if [[ " $ONLY " = *" B6 "* ]]; then
    ( . "$top/tests/lab/lib.sh"; . "$top/tests/lab/fcd.sh"; bench_b6 ) || { say "B6 failed"; rc=1; }
fi
if [[ " $ONLY " = *" B7 "* ]]; then
    ( . "$top/tests/lab/lib.sh"; . "$top/tests/lab/fcd.sh"; bench_b7 ) || { say "B7 failed"; rc=1; }
fi
if [[ " $ONLY " = *" B8 "* ]]; then
    ( . "$top/tests/lab/lib.sh"; . "$top/tests/lab/fcd.sh"; bench_b8 ) || { say "B8 failed"; rc=1; }
fi
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# The Markdown.
keep=""
if [ -f "$OUT" ] && grep -q '^<!-- end of generated part -->' "$OUT"; then
    keep=$(sed -n '/^<!-- end of generated part -->/,$p' "$OUT" | tail -n +2)
fi
cflags=$(sed -n 's/^CFLAGS = //p' "$BUILD/Makefile" 2>/dev/null)
{
    echo "# Performance"
    echo
    echo "Measured by \`bench/run.sh -n $RUNS -s $SCALE\` on $started."
    echo "Each figure is the median of $RUNS runs, with min and max. Each ratio is"
    echo "computed per run against the baseline measured in that same run (its"
    echo "median, min and max). Nothing here is a test: the test suite runs"
    echo "\`bench/run.sh -s tiny\` only to check that it works."
    echo
    echo "| | |"
    echo "|---|---|"
    echo "| CPU | $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores |"
    echo "| RAM | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
    echo "| kernel | $(uname -r) |"
    echo "| Open vSwitch | $(ovs-vswitchd --version | head -1 | sed 's/.*) //'), userspace datapath (netdev), one ovs-vswitchd per lab host |"
    echo "| flowchain | $describe at the start, built with \`${cflags:-?}\` (no sanitizers) |"
    echo "| load average | $load0 at the start, $load1 at the end (the machine was shared) |"
    for k in "b1.shape:B1 intent" "b1.args:B1 gen-intent.py arguments" \
             "b2.shape:B2-B4 intent" "b2.args:B2-B4 gen-intent.py arguments" \
             "b3.changes:B3 changes" "b3.trigger:B3 reload trigger" "b4.ping:B4 ping" "b5.shape:B5 intent" \
             "b5.args:B5 gen-intent.py arguments" "b6.shape:B6 workload" \
             "b6.args:B6 gen-b6.py arguments" "b6.ovn:B6 OVN" "b6.ovn_deaths:B6 OVN note" \
             "b7.shape:B7 lab" \
             "b8.shape:B8 intent and instances" "b8.args:B8 gen-intent.py arguments"; do
        v=$(sed -n "s/^meta ${k%%:*} //p" "$RES" | tail -1)
        if [ -n "$v" ]; then echo "| ${k#*:} | ${v//|/\\|} |"; fi
    done
    echo
    $TOOL report "$RES" -
    echo
    echo "<!-- end of generated part -->"
    if [ -n "$keep" ]; then printf '%s\n' "$keep"; fi
} >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
say "wrote $OUT"
[ "$KEEP" = 1 ] && cp "$RES" "$WORK/results.kept"
exit $rc
