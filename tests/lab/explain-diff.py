#!/usr/bin/python3
"""Differential test of `flowchainctl explain` against ofproto/trace.

    explain-diff.py --intent FILE --lab-dir DIR --flowchainctl BIN
                    --control CTL [--count N] [--seed S] [--case ARGS]...

For N random packets (VM -> VM on the same and on another network, to host
adapters, to the gateway, to addresses outside the intent; TCP and UDP to
policy ports and random ports, ICMP), runs `flowchainctl explain --json`,
then `ovs-appctl ofproto/trace BRIDGE PACKET --ct-next trk,new` on the real
switch of the first bridge with the packet explain built, and compares:

  - the flows that matched, in order: (table, priority, cookie);
  - the output ports (and so the verdict: delivered / uplink / dropped);
  - the copies to the controller.

When explain follows the frame across the uplink, the second bridge is
compared the same way (every such case, up to --follow-max).  Every
mismatch prints both sides; the exit status is 1 if any.  It also checks
that the comparison can fail (one explanation against another packet's
trace) and that the cases covered every verdict.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys

STEP_RE = re.compile(r"^ *(\d+)\. (?:.*, )?priority (\d+)(?:, cookie (0x[0-9a-f]+))?$")
OUTPUT_RE = re.compile(r"^ *output:(\d+)$")
# output:NXM_NX_REGn[..] (the balance-slb pin): the port follows.
OUTPUT_REG_RE = re.compile(r"^ *output:NXM_NX_REG\d+\[[0-9.]*\]$")
OUTPUT_REG_PORT_RE = re.compile(r"^ *-> output port is (\d+)$")
POLICY_PORTS = [22, 53, 80, 443, 5000, 5005, 5010, 5011, 5432, 8000, 8003,
                8004, 8080, 9000, 9005, 9010, 9011]


def run(argv, env=None):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, env=env)
    return p.returncode, p.stdout


def trace_summary(text):
    """(steps, outputs, n_controller) of an ofproto/trace output."""
    steps, outputs, n_ctl = [], [], 0
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = STEP_RE.match(line)
        if m:
            steps.append((int(m.group(1)), int(m.group(2)),
                          int(m.group(3) or "0", 16)))
            continue
        m = OUTPUT_RE.match(line)
        if m:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if "skipping output to input port" not in nxt:
                outputs.append(int(m.group(1)))
            continue
        if OUTPUT_REG_RE.match(line):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            after = lines[i + 2] if i + 2 < len(lines) else ""
            m = OUTPUT_REG_PORT_RE.match(nxt)
            if m and "skipping output to input port" not in after:
                outputs.append(int(m.group(1)))
            continue
        if re.match(r"^ *controller\(", line):
            n_ctl += 1
    return steps, sorted(outputs), n_ctl


def explain_summary(hop):
    """(steps, outputs, n_controller) of one hop of explain --json."""
    steps = []
    for s in hop.get("steps", []):
        if "flow" in s:
            m = re.match(r"table=(\d+), priority=(\d+), cookie=(0x[0-9a-f]+)",
                         s["flow"])
            steps.append((int(m.group(1)), int(m.group(2)),
                          int(m.group(3), 16)))
    return steps, sorted(o["port"] for o in hop.get("outputs", [])), \
        hop.get("controller", 0)


class Lab:
    def __init__(self, lab_dir):
        with open(os.path.join(lab_dir, "lab.json")) as f:
            self.state = json.load(f)

    def trace(self, host, bridge, packet):
        h = self.state["hosts"][host]
        env = dict(os.environ)
        env.update({"OVS_RUNDIR": h["dir"], "OVS_LOGDIR": h["dir"],
                    "OVS_DBDIR": h["dir"], "OVS_SYSCONFDIR": h["dir"]})
        rc, out = run(["ip", "netns", "exec", h["ns"], "ovs-appctl", "-t",
                       "%s/ovs-vswitchd.ctl" % h["dir"], "ofproto/trace",
                       bridge, packet, "--ct-next", "trk,new"], env)
        if rc:
            raise RuntimeError("ofproto/trace failed: %s" % out)
        return out


# Packets aimed at the rules of explain-intent.json's policies (sources,
# destinations, protocol, ports), so that rules (by peer class, by address)
# and monitor flows are hit often: (sources, destinations, protocol, ports).
RULE_CASES = [
    (["web1", "dev1", "web2"], ["app1", "app2", "q1"], "tcp",
     [8080, 9000, 9003, 9010, 9011, 8081]),
    (["app1", "app2"], ["db1"], "tcp", [5432, 5433]),
    (["dev1", "dev2"], ["web1", "web2", "dev1"], "tcp",
     [80, 443, 8000, 8002, 8003, 8004, 22]),
    (["dev1", "dev2"], ["10.8.102.7", "fx2", "web2"], "udp",
     [53, 5000, 5007, 5010, 5011, 54]),
    (["web1", "app1", "db1", "dev2", "fx1"], ["fx2"], "tcp", [22, 23]),
]


# Always compared too, so that every run covers a rule matched by peer
# class (reg7) on each side, a denial, the fast-failover uplink and a host adapter.
ANCHOR_CASES = [
    "--from web1 --to app1 --tcp 9005",
    "--from dev2 --to dev1 --tcp 8002",
    "--from web1 --to db1 --tcp 5432",
    "--from mon1 --to 10.8.10.12 --udp 161",
    "--from mon1 --to 10.8.10.21 --icmp",
]


def rule_case(rng):
    srcs, dsts, proto, ports = rng.choice(RULE_CASES)
    src = rng.choice(srcs)
    dst = rng.choice([d for d in dsts if d != src])
    return ["--from", src, "--to", dst, "--" + proto, str(rng.choice(ports))]


def gen_cases(intent, rng, n):
    vms = intent["vms"]
    nets = {net["name"]: net for net in intent["networks"]}
    adapters = [a for h in intent["hosts"] for b in h["bridges"]
                for a in b.get("adapters", []) if "ip" in a]
    cases = []
    for _ in range(n):
        if rng.random() < 0.3:
            cases.append(rule_case(rng))
            continue
        src = rng.choice(vms)
        net = nets[src["nics"][0]["network"]]
        kind = rng.choice(["vm-same", "vm-same", "vm-any", "vm-any",
                           "adapter", "gateway", "onlink", "outside"])
        same = [v for v in vms if v is not src
                and v["nics"][0]["network"] == net["name"]]
        if kind == "vm-same" and same:
            to = rng.choice(same)["name"]
        elif kind.startswith("vm"):
            to = rng.choice([v for v in vms if v is not src])["name"]
        elif kind == "adapter":
            to = rng.choice(adapters)["ip"]
        elif kind == "gateway" and "gateway" in net:
            to = net["gateway"]
        elif kind == "onlink":
            to = net["subnet"].rsplit(".", 1)[0] + ".%d" % rng.randint(201, 250)
        else:
            to = "192.0.2.%d" % rng.randint(1, 254)
        proto = rng.choice(["tcp", "tcp", "udp", "icmp"])
        args = ["--from", src["name"], "--to", to]
        if proto == "icmp":
            args.append("--icmp")
        else:
            port = (rng.choice(POLICY_PORTS) if rng.random() < 0.7
                    else rng.randint(1, 65535))
            args += ["--" + proto, str(port)]
        cases.append(args)
    return cases


def differ(a, b):
    return a != b


def fmt_flows(steps):
    return " ".join("%d/%d/%#x" % s for s in steps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--intent", required=True)
    ap.add_argument("--lab-dir", required=True)
    ap.add_argument("--flowchainctl", required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--case", action="append", default=[],
                    help="explain arguments (one string, split on spaces) "
                    "to compare instead of random packets; repeatable")
    args = ap.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    with open(args.intent) as f:
        intent = json.load(f)
    lab = Lab(args.lab_dir)
    if args.case:
        cases = [c.split() for c in args.case]
        print("%d given packets" % len(cases))
    else:
        cases = (gen_cases(intent, rng, args.count)
                 + [c.split() for c in ANCHOR_CASES])
        print("seed %d, %d random packets and %d fixed ones"
              % (seed, args.count, len(ANCHOR_CASES)))

    failures = 0
    verdicts = {}
    n_followed = 0
    n_class = 0
    n_controller = 0
    samples = []          # (explain hop, trace text) for the self-check
    for case in cases:
        rc, out = run([args.flowchainctl, "--control", args.control,
                       "explain", "--json"] + case)
        if rc:
            print("FAIL-CASE explain %s: exit %d: %s" % (" ".join(case), rc,
                                                         out))
            failures += 1
            continue
        ex = json.loads(out)
        for i, hop in enumerate(ex["hops"]):
            if "packet" not in hop:
                continue
            tr = lab.trace(hop["host"], hop["bridge"], hop["packet"])
            got_e = explain_summary(hop)
            got_t = trace_summary(tr)
            if i:
                n_followed += 1
            if any("reg7=" in s.get("flow", "") for s in hop["steps"]):
                n_class += 1
            verdicts[hop["verdict"]] = verdicts.get(hop["verdict"], 0) + 1
            n_controller += got_e[2] > 0
            samples.append((hop, tr))
            if differ(got_e, got_t):
                failures += 1
                print("MISMATCH: explain %s, hop %d (%s/%s)" %
                      (" ".join(case), i, hop["host"], hop["bridge"]))
                print("  packet: %s" % hop["packet"])
                print("  explain: outputs %s, controller %d, flows "
                      "(table/priority/cookie) %s"
                      % (got_e[1], got_e[2], fmt_flows(got_e[0])))
                print("  trace:   outputs %s, controller %d, flows "
                      "(table/priority/cookie) %s"
                      % (got_t[1], got_t[2], fmt_flows(got_t[0])))
                print("  --- trace ---")
                print("\n".join("    " + l for l in tr.splitlines()))
    print("compared %d bridges (%d across the uplink), %d with a "
          "rule matched by peer class, %d with a copy to the controller; "
          "verdicts %s; %d mismatches"
          % (len(samples), n_followed, n_class, n_controller,
             json.dumps(verdicts, sort_keys=True), failures))

    if args.case:
        return 1 if failures else 0

    # The comparison can fail: an explanation against the trace of a packet
    # with another verdict must differ.
    pair = None
    for hop, _ in samples:
        for _, tr2 in samples:
            if explain_summary(hop)[1] != trace_summary(tr2)[1]:
                pair = (hop, tr2)
                break
        if pair:
            break
    if not pair or not differ(explain_summary(pair[0]),
                              trace_summary(pair[1])):
        print("SELF-CHECK FAILED: the comparison found no difference "
              "between two packets with different outputs")
        failures += 1
    for v in ("delivered", "uplink", "dropped"):
        if not verdicts.get(v):
            print("COVERAGE: no packet was %s" % v)
            failures += 1
    if not n_followed or not n_class or not n_controller:
        print("COVERAGE: %d followed across the uplink, %d rules matched "
              "by peer class, %d copies to the controller"
              % (n_followed, n_class, n_controller))
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
