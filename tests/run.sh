#!/bin/bash
# Runs every flowchain test: the C unit tests, a short run of each fuzz
# harness (tests/test-fuzz.sh), then the lab tests (real
# ovs-vswitchd in network namespaces).  Each test prints "PASS: ..." /
# "FAIL: ..." / "SKIP: ..." lines; this script counts them and ends with
# one line "N passed, N failed[, N skipped]".
#
# usage: tests/run.sh BUILDDIR [PATTERN]
#   PATTERN (a shell glob) selects tests by name, e.g. 'lab-*'.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(cd "${1:?usage: tests/run.sh BUILDDIR [PATTERN]}" && pwd)
pattern=${2:-*}
export FLOWCHAIN_BUILDDIR=$builddir FLOWCHAIN_SRCDIR=$top
export PATH=$builddir:$PATH
# Complete stacks for leak reports from the (frame-pointer-less) OVS library.
export ASAN_OPTIONS=${ASAN_OPTIONS:-fast_unwind_on_malloc=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 skipped=0
log=$(mktemp -d /tmp/flowchain-tests.XXXXXX)

# run NAME CMD...: runs one test program, echoes its output, counts lines.
run() {
    local name=$1; shift
    case $name in $pattern) ;; *) return ;; esac
    local out="$log/$name.out"
    echo "=== $name"
    "$@" >"$out" 2>&1
    local rc=$?
    cat "$out"
    local p f s
    p=$(grep -c '^PASS: ' "$out")
    f=$(grep -c '^FAIL: ' "$out")
    s=$(grep -c '^SKIP: ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL: $name: exited with status $rc and no FAIL line"
        f=1
    fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
        echo "FAIL: $name: ran no test case"
        f=1
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# Unit tests (C).
run unit-offrame "$builddir/tests/test-offrame"
run unit-flowsync "$builddir/tests/test-flowsync"
run unit-tlsbind "$builddir/tests/test-tlsbind"
run unit-polmon "$builddir/tests/test-polmon"
run unit-announce "$builddir/tests/test-announce"
run unit-rendezvous "$builddir/tests/test-rendezvous"
run unit-lacp "$builddir/tests/test-lacp"
run unit-diagram "$builddir/tests/test-diagram"
run unit-ctlrpc "$builddir/tests/test-ctlrpc"
run unit-metrics "$builddir/tests/test-metrics"
run unit-flowset "$builddir/tests/test-flowset"
run unit-pipeline "$builddir/tests/test-pipeline"
run unit-explain "$builddir/tests/test-explain"
run unit-delta "$builddir/tests/test-delta"
# The same on generated intents: more VMs, NICs, bridges and policies.
/usr/bin/python3 "$top/bench/gen-intent.py" --hosts 3 --vms-per-host 12 \
    --vlans 6 --nics-per-vm 2 --categories 9 --policies 10 -o "$log/delta1.json"
/usr/bin/python3 "$top/bench/gen-intent.py" --hosts 2 --bridges-per-host 4 \
    --vms-per-host 20 --vlans 8 --categories 12 --policies 12 --seed 3 \
    -o "$log/delta2.json"
# And on a small B6 workload (bench/gen-b6.py): how little a VM moved
# between tiers and a new rule recompile.
/usr/bin/python3 "$top/bench/gen-b6.py" --networks 4 --vms-per-network 6 \
    --rules-per-tier 4 -d "$log/delta-b6" >/dev/null
DELTA_TEST_B6=$log/delta-b6 run unit-delta-generated \
    "$builddir/tests/test-delta" "$log/delta1.json" "$log/delta2.json"
run unit-intent "$builddir/tests/test-intent" "$top/tests/intent"
run intent-schema "$top/tests/test-intent-schema.sh" "$top"

run cli bash "$top/tests/test-cli.sh"
run cli-diagram bash "$top/tests/test-diagram.sh"
run cli-explain bash "$top/tests/test-cli-explain.sh"

# Packaging: make install DESTDIR, the Debian package (scripts/package.sh),
# lintian, an unpack into a scratch tree, systemd-analyze verify.
run package bash "$top/tests/test-package.sh"

# Fuzz harnesses (fuzz/, docs/fuzzing.md): regressions, then a short run.
run fuzz bash "$top/tests/test-fuzz.sh"

# Lab tests: real Open vSwitch in network namespaces.
for t in "$top"/tests/lab/test-*.sh; do
    [ -e "$t" ] || continue
    name=lab-$(basename "$t" .sh | sed 's/^test-//')
    run "$name" bash "$t"
done

rm -rf "$log"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
