#!/bin/bash
# Builds the libFuzzer harnesses in fuzz/ with clang and runs them.
#
# usage: scripts/fuzz.sh [OPTIONS] [HARNESS...]
#   HARNESS is ofsession, intent, ctlrpc or lacp (default: all four, one after
#   the other).
#   -b DIR      build directory (default: ./build-fuzz); the harnesses,
#               corpora, crashes and logs live under it
#   -t SECONDS  how long to run each harness (default: 60)
#   --build     only build the harnesses and the seed corpora
#   --coverage  replay the corpus in DIR/corpus/HARNESS through a build
#               with clang's source-based coverage and print llvm-cov's
#               report for the flowchain files it covers (needs
#               llvm-profdata and llvm-cov, from the llvm package)
#   --check     the test command's mode: replay every input in
#               fuzz/regress/HARNESS/ once, then fuzz for -t seconds from
#               the seeds alone (a fresh corpus), printing one PASS:/FAIL:
#               line for each, or a SKIP: line if clang cannot build a
#               fuzzer
#
# Without --check, the corpus in DIR/corpus/HARNESS grows from run to run;
# crashing inputs land in DIR/crashes/HARNESS/ and each run's libFuzzer
# output in DIR/logs/HARNESS.log, whose last lines give the figures
# (executions, exec/s, cov, ft) that docs/fuzzing.md records.
#
# The harness code and the flowchain sources it covers are instrumented
# (-fsanitize=fuzzer,address,undefined); libopenvswitch, built with gcc by
# scripts/build-ovs.sh, and libcjson are linked uninstrumented: the fuzzer
# gets no coverage feedback from inside them and AddressSanitizer sees only
# their heap use through malloc, not their stack or global accesses.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$top/build-fuzz
seconds=60
mode=run
harnesses=()
while [ $# -gt 0 ]; do
    case $1 in
        -b) builddir=$2; shift 2 ;;
        -t) seconds=$2; shift 2 ;;
        --build) mode=build; shift ;;
        --check) mode=check; shift ;;
        --coverage) mode=coverage; shift ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        ofsession|intent|ctlrpc|lacp) harnesses+=("$1"); shift ;;
        *) echo "fuzz.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(ofsession intent ctlrpc lacp)
mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)

# Sources of each harness, besides fuzz/fuzz-NAME.c.
sources_ofsession="controller/ofsession.c controller/offrame.c tests/ofmsgs.c"
sources_intent=$(cd "$top" && echo models/*.c)
sources_ctlrpc="controller/ctlrpc.c"
sources_lacp="controller/lacp.c"
# Longest input each harness is given.
max_len_ofsession=8192
max_len_intent=16384
max_len_ctlrpc=4096
max_len_lacp=2048

# skip_all REASON: the test command's way out when there is no clang.
skip_all() {
    for h in "${harnesses[@]}"; do
        echo "SKIP: fuzz-$h: $1"
    done
    exit 0
}

fail_build() {
    if [ $mode = check ]; then
        for h in "${harnesses[@]}"; do
            echo "FAIL: fuzz-$h: build failed (see above)"
        done
    fi
    exit 1
}

# The compiler: $CLANG, else clang, else clang-14, if it can link a fuzzer.
cc=
for c in ${CLANG:-} clang clang-14; do
    command -v "$c" >/dev/null 2>&1 || continue
    echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
          { return (int) (d && n) * 0; }' > "$builddir/probe.c"
    if "$c" -fsanitize=fuzzer,address "$builddir/probe.c" \
            -o "$builddir/probe" >/dev/null 2>&1; then
        cc=$c
        break
    fi
done
rm -f "$builddir/probe.c" "$builddir/probe"
if [ -z "$cc" ]; then
    [ $mode = check ] && skip_all "no clang that links -fsanitize=fuzzer (apt-get install clang libclang-rt-14-dev)"
    echo "fuzz.sh: no clang that can link -fsanitize=fuzzer (apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi

ovs=$("$top/scripts/build-ovs.sh") || fail_build
ovs_libs="$ovs/lib/.libs/libopenvswitch.a $(sed -n 's/^Libs.private: //p' "$ovs/lib/libopenvswitch.pc")"
cppflags="-I$top -isystem $ovs/include -isystem $ovs/lib -isystem $ovs $(pkg-config --cflags libcjson)"
libs="$ovs_libs $(pkg-config --libs libcjson)"
cflags="-g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -fno-omit-frame-pointer"

# build NAME [SUFFIX FLAGS]: (re)builds DIR/fuzz-NAME[SUFFIX] with 'cflags'
# (or FLAGS) if a source is newer.
build() {
    local name=$1 suffix=${2:-} flags=${3:-$cflags} srcs var
    local out=$builddir/fuzz-$1$suffix
    var=sources_$name
    srcs="fuzz/fuzz-$name.c fuzz/fuzz-util.c ${!var}"
    local stale=0 s
    [ -x "$out" ] || stale=1
    for s in $srcs $(cd "$top" && ls controller/*.h models/*.h fuzz/fuzz.h tests/ofmsgs.h); do
        [ "$top/$s" -nt "$out" ] && stale=1
    done
    [ $stale = 1 ] || return 0
    (cd "$top" && "$cc" $flags $cppflags -o "$out.tmp" $srcs $libs) \
        && mv "$out.tmp" "$out"
}

# The seed generator is a plain program (no fuzzer main).
build_seeds() {
    local out=$builddir/fuzz-seeds
    if [ ! -x "$out" ] || [ "$top/fuzz/fuzz-seeds.c" -nt "$out" ]; then
        (cd "$top" && "$cc" -g -O1 -Wall -Wextra -Werror \
             -Wno-unused-parameter -Wno-sign-compare $cppflags -o "$out.tmp" \
             fuzz/fuzz-seeds.c $libs) && mv "$out.tmp" "$out"
    fi
}

# seed NAME DIR: fills DIR with the seed corpus of harness NAME.
seed() {
    local name=$1 dir=$2
    mkdir -p "$dir"
    case $name in
        intent)
            cp "$top"/tests/intent/*.json "$top"/examples/*.json \
               "$top"/fuzz/regress/intent/*.json "$dir"/ ;;
        ofsession|ctlrpc|lacp)
            "$builddir/fuzz-seeds" "$name" "$dir" ;;
    esac
}

if [ $mode = coverage ]; then
    covflags="-g -O0 -Wall -Wextra -Werror -Wno-unused-parameter
              -Wno-sign-compare -fsanitize=fuzzer
              -fprofile-instr-generate -fcoverage-mapping"
    for h in "${harnesses[@]}"; do
        build "$h" -cov "$covflags" || exit 1
        corpus=$builddir/corpus/$h
        if [ ! -d "$corpus" ]; then
            echo "fuzz.sh: $corpus missing: run the fuzzer first" >&2
            exit 1
        fi
        mkdir -p "$builddir/cov"
        rm -f "$builddir/cov/$h".prof*
        LLVM_PROFILE_FILE=$builddir/cov/$h.profraw \
            "$builddir/fuzz-$h-cov" -runs=0 -max_len=1048576 "$corpus" \
            >"$builddir/cov/$h.log" 2>&1 || exit 1
        llvm-profdata merge -sparse -o "$builddir/cov/$h.profdata" \
            "$builddir/cov/$h.profraw" || exit 1
        var=sources_$h
        echo "fuzz-$h: coverage of $(ls "$corpus" | wc -l) corpus inputs"
        (cd "$top" && llvm-cov report "$builddir/fuzz-$h-cov" \
             -instr-profile="$builddir/cov/$h.profdata" ${!var})
    done
    exit 0
fi

for h in "${harnesses[@]}"; do
    build "$h" || fail_build
done
build_seeds || fail_build
[ $mode = build ] && exit 0

# libFuzzer's options for harness NAME (a dictionary if there is one).
fuzz_opts() {
    local var=max_len_$1
    echo "-max_len=${!var} -timeout=${FUZZ_TIMEOUT:-30} -rss_limit_mb=2048 -print_final_stats=1"
    [ -f "$top/fuzz/$1.dict" ] && echo "-dict=$top/fuzz/$1.dict"
}

# Fast unwinding: tests/run.sh asks for slow, complete stacks, which would
# make the fuzzer crawl.
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# summary LOG: "N runs, M exec/s, cov C ft F" from libFuzzer's output.
summary() {
    local runs rate cov ft
    runs=$(sed -n 's/^stat::number_of_executed_units: //p' "$1" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$1" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$1" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$1" | tail -1 | cut -d' ' -f2)
    echo "${runs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?} ft ${ft:-?}"
}

status=0
for h in "${harnesses[@]}"; do
    bin=$builddir/fuzz-$h
    crashes=$builddir/crashes/$h
    mkdir -p "$crashes" "$builddir/logs"
    log=$builddir/logs/$h.log
    if [ $mode = check ]; then
        regress=("$top"/fuzz/regress/"$h"/*)
        if [ -e "${regress[0]}" ]; then
            if "$bin" $(fuzz_opts "$h") "${regress[@]}" >"$log" 2>&1; then
                echo "PASS: fuzz-$h: replayed ${#regress[@]} regression inputs"
            else
                tail -40 "$log"
                echo "FAIL: fuzz-$h: a regression input crashes (log above)"
                status=1
            fi
        fi
        corpus=$(mktemp -d "$builddir/corpus-check-$h.XXXXXX")
        seed "$h" "$corpus"
        n=$(ls "$corpus" | wc -l)
        if "$bin" $(fuzz_opts "$h") -max_total_time="$seconds" \
                -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1; then
            echo "PASS: fuzz-$h: $seconds s from $n seeds: $(summary "$log"), no crash"
        else
            tail -60 "$log"
            echo "FAIL: fuzz-$h: crash found in $seconds s; input in $crashes/ (log above)"
            status=1
        fi
        rm -rf "$corpus"
    else
        corpus=$builddir/corpus/$h
        seed "$h" "$corpus"
        echo "fuzz.sh: running fuzz-$h for $seconds s (log: $log)" >&2
        "$bin" $(fuzz_opts "$h") -max_total_time="$seconds" \
            -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1
        rc=$?
        echo "fuzz-$h: $(summary "$log"), corpus $(ls "$corpus" | wc -l) inputs, exit $rc"
        grep -h -A3 'ERROR: \|==ERROR\|runtime error' "$log" | head -20
        [ $rc -eq 0 ] || status=1
    fi
done
exit $status
