#!/bin/bash
# bench/run.sh at a tiny scale (-s tiny -n 1): it runs against real
# ovs-vswitchd and writes a well-formed table to a temporary file (never
# docs/).  Asserts no time: benchmarks are not tests.  Also checks that
# bench/gen-intent.py is deterministic and that its default intent is
# valid.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
T_PROG=test-bench-smoke
. "$top/tests/lab/lib.sh"
BUILD=${FLOWCHAIN_BUILDDIR:-$top/build}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fc-bench-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
table=$tmp/performance.md

gen() { /usr/bin/python3 "$top/bench/gen-intent.py" "$@"; }
not() { ! "$@"; }
args=(--hosts 4 --vms-per-host 5 --vlans 6 --nics-per-vm 2 --policies 9 --seed 7)
gen "${args[@]}" -o "$tmp/a.json"
gen "${args[@]}" -o "$tmp/b.json"
t_check "gen-intent.py: same arguments, byte-identical output" cmp "$tmp/a.json" "$tmp/b.json"
gen "${args[@]}" --seed 8 -o "$tmp/c.json"
t_check "gen-intent.py: another seed, another intent" not cmp -s "$tmp/a.json" "$tmp/c.json"
t_check "gen-intent.py: the intent is valid" "$BUILD/flowchainctl" check "$tmp/a.json"
t_check "gen-intent.py: the default (B1) intent is valid" \
    eval "gen | \"$BUILD/flowchainctl\" check /dev/stdin"
gen --hosts 2 --bridges-per-host 5 --vms-per-host 6 --vlans 8 -o "$tmp/d.json"
t_check "gen-intent.py: --bridges-per-host is valid" "$BUILD/flowchainctl" check "$tmp/d.json"
gen "${args[@]}" --only-hosts host1 --max-vms-per-host 2 -o "$tmp/e.json"
t_check "gen-intent.py: a lab view is valid" "$BUILD/flowchainctl" check "$tmp/e.json"

"$top/bench/run.sh" -n 1 -s tiny -b "$BUILD" -o "$table" >"$tmp/run.log" 2>&1
rc=$?
t_check "bench/run.sh -s tiny exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/    /' "$tmp/run.log" | tail -30 >&2
t_check "it wrote the table" [ -s "$table" ]

# well_formed: every table row has as many cells as its header; every
# figure B1..B8 is there with a number in its median, min and max cells.
well_formed() {
    /usr/bin/python3 - "$table" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
assert text.startswith("# Performance\n"), "no title"
for key in ("CPU", "RAM", "kernel", "Open vSwitch", "flowchain"):
    assert re.search(r"^\| %s \| \S" % re.escape(key), text, re.M), key
rows = [l for l in text.splitlines() if re.match(r"^\| B[0-9] \| ", l)]
header = [l for l in text.splitlines() if l.startswith("| | figure |")]
assert len(header) == 1, "no figure table header"
n = header[0].count("|")
seen = set()
for r in rows:
    assert r.count("|") == n, "bad row: " + r
    cells = [c.strip() for c in r.strip("|").split("|")]
    for c in cells[2:5]:
        assert re.match(r"^[0-9][0-9,.]*( [\w/]+)?$", c), "not a number: %r in %s" % (c, r)
    seen.add(cells[0])
assert seen == {"B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"}, "figures: %s" % sorted(seen)
ratio = [r for r in rows if "connection -> barrier" in r]
assert ratio and re.search(r"\| [0-9.]+ \([0-9.]+-[0-9.]+\) \|", ratio[0]), "no B2 ratio"
tput = [r for r in rows if r.startswith("| B7 |")]
assert len(tput) == 2 and all(re.search(r"\| [0-9.]+ \([0-9.]+-[0-9.]+\) \| ratio >= 0.9 \|", r) for r in tput), "no B7 ratios"
b6 = [r for r in rows if r.startswith("| B6 |")]
for what in ("converge", "OpenFlow flows on the bridge", "controller RSS",
             "ovs-vswitchd RSS", "one VM into a category", "one new allow rule",
             "without rules (OVN: without ACLs): converge",
             "without rules (OVN: without ACLs): OpenFlow flows"):
    r = [x for x in b6 if ("| " + what) in x]
    assert r and re.search(r"\| [0-9.]+ \([0-9.]+-[0-9.]+\) \|", r[0]), "no B6 ratio: " + what
assert len([x for x in b6 if "|   OVN alone |" in x]) == 8, "B6: not 8 OVN rows"
for what, target in (("converge", "<= 1,000 ms"), ("OpenFlow flows on the bridge", "<= 30,000"),
                     ("one VM into a category", "<= 20 ms"), ("one new allow rule", "<= 50 ms")):
    r = [x for x in b6 if ("| " + what) in x]
    assert re.search(r"\| %s \| (yes|no \(\+[0-9.,]+( ms)?\)) \|" % re.escape(target), r[0]), "B6 target: " + what
assert "<!-- end of generated part -->" in text
PY
}
t_check "the table is well formed (machine, versions, B1-B8, ratios, B6 targets)" well_formed
no_ns_left() {
    [ -n "$1" ] || return 1
    ! ip netns list | grep -q "^$1-"
}
t_check "B1: the heap per installed flow is in the table" \
    grep -q '^| B1 | heap per installed flow as flowchaind holds it' "$table"
t_check "B4: the restarted controller sent 0 flow mods" \
    grep -q '^| B4 | restart, unchanged intent: flow mods sent | 0 |' "$table"
t_check "B8: the instances that took over after kill -9 sent 0 flow mods" \
    grep -q '^| B8 |   flow mods they sent meanwhile | 0 |' "$table"
t_check "B8: the restarted instance took its bridges back with 0 flow mods" \
    grep -q '^| B8 |   flow mods it sent | 0 |' "$table"
t_check "B6: gen-b6.py writes valid intents" eval '
    /usr/bin/python3 "$top/bench/gen-b6.py" --networks 3 --vms-per-network 4 --rules-per-tier 2 -d "$tmp/b6" &&
    for f in intent intent-norules category rule lab; do "$BUILD/flowchainctl" check "$tmp/b6/$f.json" || exit 1; done'
t_check "B6: OVN and flowchain ran (their lines in the log)" \
    eval 'grep -q "^bench: B6 run 1: OVN (full): NB commit" "$tmp/run.log" &&
          grep -q "^bench: B6 run 1: flowchain (full): set-controller" "$tmp/run.log"'
t_check "no lab namespace of the bench is left" \
    no_ns_left "$(sed -n 's/^bench: lab prefix \(.*\)$/\1/p' "$tmp/run.log" | head -1)"
t_done
