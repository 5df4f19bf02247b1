#!/bin/bash
# `flowchainctl diagram`, without a lab: for every example, the DOT that
# --intent draws is accepted by Graphviz, names every host, bridge, VM,
# network VLAN ID and bond mode of the intent (expected values derived from
# the JSON), is the same on every run, and --host keeps only that host.
# Then unknown hosts, bad usage, --format svg (and without dot on PATH),
# names that need escaping, and the daemon's "diagram" with no switch
# connected (every bridge not connected).
T_PROG=cli-diagram
PY=/usr/bin/python3
. "$(dirname "$0")/cli-lib.sh"
tmp=$(mktemp -d /tmp/fcdiag.XXXXXX)
dpid=
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid"
    rm -rf "$tmp"
}
trap cleanup EXIT
fcctl() { "$bin/flowchainctl" "$@"; }

if ! command -v dot >/dev/null; then
    echo "FAIL: $T_PROG: Graphviz's dot is not installed (scripts/setup.sh installs graphviz)"
    exit 1
fi

# expect_labels INTENT DOT [HOST]: every label the intent's objects (only
# HOST's with HOST) must have in DOT, derived from the JSON; prints the
# missing ones and fails if any.  With HOST, also fails if another host's
# cluster is drawn.
expect_labels() {
    $PY - "$@" <<'EOF'
import json, sys
intent = json.load(open(sys.argv[1]))
dot = open(sys.argv[2]).read()
only = sys.argv[3] if len(sys.argv) > 3 else None

def esc(s):
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")

nets = {n["name"]: n for n in intent["networks"]}
want, unwanted = [], []
used = set()
for h in intent["hosts"]:
    if only is not None and h["name"] != only:
        unwanted.append('label="host %s"' % esc(h["name"]))
        continue
    want.append('label="host %s"' % esc(h["name"]))
    for b in h["bridges"]:
        want.append('label="bridge %s\\ndpid %s' % (esc(b["name"]),
                                                    b["datapath_id"].lower()))
        up = b["uplink"]
        want.append('label="uplink %s\\nbond %s"' % (esc(up["name"]),
                                                     up["mode"]))
        for m in up["members"]:
            want.append('label="member %s' % esc(m))
        for a in b.get("adapters", []):
            want.append('label="adapter %s\\nrole %s\\nport %s' % (
                esc(a["name"]), a["role"], esc(a["port"])))
        used.update(b.get("networks", []))
for n in intent["networks"]:
    if only is None or n["name"] in used:
        vlan = "VLAN %d" % n["vlan"] if n["vlan"] else "untagged"
        want.append('label="network %s\\n%s' % (esc(n["name"]), vlan))
for vm in intent.get("vms", []):
    if only is None or only in (vm["host"], vm.get("migrating_to")):
        want.append('label="VM %s' % esc(vm["name"]))
        for nic in vm["nics"]:
            want.append('label="port %s\\nMAC %s' % (esc(nic["port"]),
                                                     nic["mac"].lower()))
    else:
        unwanted.append('label="VM %s' % esc(vm["name"]))
missing = [w for w in want if w not in dot]
extra = [u for u in unwanted if u in dot]
for w in missing:
    print("missing:", w)
for u in extra:
    print("should not be drawn:", u)
print("%d labels checked" % len(want), file=sys.stderr)
sys.exit(1 if missing or extra or not want else 0)
EOF
}

for ex in "$top"/examples/*.json; do
    ex_name=$(basename "$ex" .json)
    d=$tmp/$ex_name.dot
    t_check "$ex_name: diagram --intent exits 0 and dot -Tsvg accepts it" \
        eval 'fcctl diagram --intent "$ex" > "$d" &&
              dot -Tsvg "$d" > "$tmp/$ex_name.svg" 2> "$tmp/dot.err" &&
              [ ! -s "$tmp/dot.err" ] && grep -q "</svg>" "$tmp/$ex_name.svg"'
    t_check "$ex_name: every host, bridge, uplink (bond mode), member, adapter, network (VLAN ID), VM and NIC is drawn" \
        expect_labels "$ex" "$d"
    t_check "$ex_name: two runs give identical DOT" \
        eval 'fcctl diagram --intent "$ex" | cmp - "$d"'
    t_check "$ex_name: --format svg is dot -Tsvg of the DOT" \
        eval 'fcctl diagram --intent "$ex" --format svg > "$tmp/out.svg" &&
              cmp "$tmp/out.svg" "$tmp/$ex_name.svg"'
    for h in $($PY -c 'import json,sys; print(" ".join(h["name"] for h in json.load(open(sys.argv[1]))["hosts"]))' "$ex"); do
        t_check "$ex_name: --host $h draws that host only (its objects, no other host or VM)" \
            eval 'fcctl diagram --intent "$ex" --host "$h" > "$tmp/h.dot" &&
                  expect_labels "$ex" "$tmp/h.dot" "$h" &&
                  dot -Tsvg "$tmp/h.dot" > /dev/null'
    done
done

ex=$top/examples/ahv-cluster.json
t_check "--host of an unknown host: error, exit 1, no output" \
    eval 'fcctl diagram --intent "$ex" --host no-such > "$tmp/out" 2> "$tmp/err";
          [ $? -eq 1 ] && [ ! -s "$tmp/out" ] &&
          grep -qx "flowchainctl: unknown host \"no-such\"" "$tmp/err"'
t_check "--format svg without dot on PATH: a clear error, exit 1" \
    eval 'PATH=/nonexistent "$bin/flowchainctl" diagram --intent "$ex" \
              --format svg > "$tmp/out" 2> "$tmp/err";
          [ $? -eq 1 ] && [ ! -s "$tmp/out" ] &&
          grep -q "needs Graphviz.s \"dot\", not found on PATH" "$tmp/err"'
t_check "an unknown --format, a stray argument: usage errors, exit 2" \
    eval 'fcctl diagram --intent "$ex" --format png > /dev/null 2>&1;
          [ $? -eq 2 ] &&
          { fcctl diagram --intent "$ex" --bogus x > /dev/null 2>&1;
            [ $? -eq 2 ]; } &&
          { fcctl diagram --intent > /dev/null 2>&1; [ $? -eq 2 ]; }'
bad=$(ls "$top"/tests/intent/*.json | head -1)
t_check "--intent of an invalid file: its errors, exit 1" \
    eval 'fcctl diagram --intent "$bad" > "$tmp/out" 2> "$tmp/err";
          [ $? -eq 1 ] && [ ! -s "$tmp/out" ] &&
          grep -qF "$(head -1 "${bad%.json}.err")" "$tmp/err"'

# Names that need escaping: a quote, a backslash, an ampersand.
cat > "$tmp/quotes.json" <<'EOF'
{"version": 1,
 "networks": [{"name": "v\"10", "vlan": 10}],
 "hosts": [{"name": "h\\1&", "bridges": [
   {"name": "br0", "datapath_id": "00000000000000a1",
    "uplink": {"name": "br0-up", "members": ["up0"], "mode": "active-backup"},
    "networks": ["v\"10"]}]}],
 "vms": [{"name": "vm \"one\"", "host": "h\\1&",
          "nics": [{"port": "tap1", "mac": "02:00:00:00:01:01",
                    "network": "v\"10"}]}]}
EOF
t_check "names with quotes, a backslash and & are escaped; dot renders them as written" \
    eval 'fcctl check "$tmp/quotes.json" > /dev/null &&
          fcctl diagram --intent "$tmp/quotes.json" > "$tmp/q.dot" &&
          expect_labels "$tmp/quotes.json" "$tmp/q.dot" &&
          dot -Tsvg "$tmp/q.dot" > "$tmp/q.svg" 2> "$tmp/dot.err" &&
          [ ! -s "$tmp/dot.err" ] &&
          grep -q ">VM vm &quot;one&quot;<" "$tmp/q.svg" &&
          grep -q ">host h\\\\1&amp;<" "$tmp/q.svg" &&
          grep -q ">network v&quot;10<" "$tmp/q.svg"'

# The daemon's diagram, no switch connected: live state, all not connected.
"$bin/flowchaind" --intent "$ex" --listen "unix:$tmp/of.sock" \
    --control "$tmp/ctl" --log-file="$tmp/d.log" > "$tmp/d.out" 2>&1 &
dpid=$!
for _ in $(seq 100); do [ -S "$tmp/ctl" ] && break; sleep 0.1; done
n_bridges=$($PY -c 'import json,sys; print(sum(len(h["bridges"]) for h in json.load(open(sys.argv[1]))["hosts"]))' "$ex")
t_check "daemon: diagram draws every bridge not connected, its members state unknown" \
    eval 'fcctl --control "$tmp/ctl" diagram > "$tmp/live.dot" &&
          expect_labels "$ex" "$tmp/live.dot" &&
          [ "$(grep -c "class=\"bridge not-connected\", label=\"bridge " "$tmp/live.dot")" -eq "$n_bridges" ] &&
          ! grep -q "class=\"bridge in-sync\", label=\"bridge " "$tmp/live.dot" &&
          grep -q "class=\"member unknown\"" "$tmp/live.dot" &&
          grep -q "live state" "$tmp/live.dot" &&
          dot -Tsvg "$tmp/live.dot" > /dev/null'
t_check "daemon: diagram --host and --format svg" \
    eval 'fcctl --control "$tmp/ctl" diagram --host ahv-host2 > "$tmp/h.dot" &&
          expect_labels "$ex" "$tmp/h.dot" ahv-host2 &&
          fcctl --control "$tmp/ctl" diagram --host ahv-host2 --format svg |
              grep -q "</svg>"'
t_check "daemon: diagram --host of an unknown host: error, exit 1" \
    eval 'fcctl --control "$tmp/ctl" diagram --host no-such > "$tmp/out" 2> "$tmp/err";
          [ $? -eq 1 ] && [ ! -s "$tmp/out" ] &&
          grep -qx "flowchainctl: unknown host \"no-such\"" "$tmp/err"'
t_check "ovs-appctl -t speaks diagram too; a stray argument is a usage error" \
    eval 'ovs-appctl -t "$tmp/ctl" diagram | head -1 | grep -qx "digraph flowchain {" &&
          ! ovs-appctl -t "$tmp/ctl" diagram --bogus > "$tmp/out" 2>&1 &&
          grep -q "usage: diagram \[--host H\]" "$tmp/out"'
t_check "flowchainctl --help describes diagram" \
    eval 'fcctl --help | grep -q "^  diagram \[--host H\] \[--format dot|svg\] \[--intent FILE\]"'
fcctl --control "$tmp/ctl" exit > /dev/null 2>&1
wait "$dpid"
rc=$?
dpid=
t_check "the daemon exits cleanly after those commands (status $rc, no leak)" \
    eval '[ "$rc" -eq 0 ] && grep -q "exited cleanly" "$tmp/d.log" &&
          ! grep -q "LeakSanitizer\|runtime error" "$tmp/d.out"'
exit $failed
