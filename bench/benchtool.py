#!/usr/bin/python3
"""Helpers of bench/run.sh (Python standard library only).

  benchtool.py pick INTENT HOST
      two VMs of HOST for the ping of B4: "VM_A VM_B IP": both in the web
      tier (no application policy targets it), not quarantined, not one
      prod and one dev, sharing a network (IP: B's address on it); else
      "VM_A - GATEWAY" (A pings its first NIC's gateway).
  benchtool.py missing-ports FULL LAB HOST
      "BRIDGE PORT" for every VM NIC of HOST in FULL whose VM is not in LAB
      (bench/run.sh adds them as internal ports, so that the bridge has
      every port of the full intent without a namespace per VM).
  benchtool.py variants INTENT HOST DIR
      writes DIR/addvm.json (one new VM "vmbench" on HOST, port "tapbench",
      web tier), DIR/rule.json (the first application policy that targets a
      VM of HOST: its first inbound rule's first port + 1) and
      DIR/category.json (a web VM of HOST moved to the tier that policy
      targets); prints the new VM's bridge and port and what changed.
  benchtool.py logts LOG SKIP REGEX
      the first line after the first SKIP lines of flowchaind's LOG that
      matches REGEX: "EPOCH_MS<TAB>LINE"; exit 1 if none.
  benchtool.py rename SRC DST
      renames SRC to DST and prints the time just before rename(2), in
      milliseconds since the epoch (when an intent file was written).
  benchtool.py stats FILE KEY
      "median min max n" of the values of KEY in FILE.
  benchtool.py report RESULTS OUT.md
      writes the Markdown table of docs/performance.md from RESULTS (lines
      "KEY VALUE" per run, and "meta KEY VALUE..."); OUT "-" is stdout.
"""
import calendar
import json
import os
import re
import statistics
import sys
import time


def load(path):
    with open(path) as f:
        return json.load(f)


def host_vms(d, host):
    return [vm for vm in d["vms"] if vm["host"] == host]


def quarantined(d):
    return {v for p in d.get("policies", []) if p["type"] == "quarantine"
            for v in p["vms"]}


def cmd_pick(intent, host):
    d = load(intent)
    q = quarantined(d)
    ok = [vm for vm in host_vms(d, host)
          if vm["categories"].get("Tier") == "web" and vm["name"] not in q
          and vm["nics"]]
    for i, a in enumerate(ok):
        for b in ok[i + 1:]:
            envs = {a["categories"].get("Env"), b["categories"].get("Env")}
            if envs == {"prod", "dev"}:
                continue
            nets_a = {n["network"] for n in a["nics"]}
            for n in b["nics"]:
                if n["network"] in nets_a and "ip" in n:
                    print(a["name"], b["name"], n["ip"])
                    return 0
    if not ok:
        return 1
    nets = {n["name"]: n for n in d["networks"]}
    gw = nets[ok[0]["nics"][0]["network"]].get("gateway")
    if not gw:
        return 1
    print(ok[0]["name"], "-", gw)
    return 0


def nic_bridge(d, vm, nic):
    """Name of the bridge of vm's host that 'nic' attaches to."""
    if "bridge" in nic:
        return nic["bridge"]
    host = next(h for h in d["hosts"] if h["name"] == vm["host"])
    for br in host["bridges"]:
        if nic["network"] in br["networks"]:
            return br["name"]
    raise SystemExit("no bridge carries %s" % nic["network"])


def cmd_missing_ports(full, lab, host):
    d = load(full)
    in_lab = {vm["name"] for vm in load(lab)["vms"]}
    for vm in host_vms(d, host):
        if vm["name"] in in_lab:
            continue
        for nic in vm["nics"]:
            print(nic_bridge(d, vm, nic), nic["port"])
    return 0


def write(path, d):
    with open(path, "w") as f:
        f.write(json.dumps(d, indent=1) + "\n")


def cmd_variants(intent, host, outdir):
    base = load(intent)
    mine = host_vms(base, host)
    web = [vm for vm in mine if vm["categories"].get("Tier") == "web"
           and vm["name"] not in quarantined(base)]

    # One new VM on HOST: on the network of the host's first web VM's
    # first NIC, with that network's last pool address (the generator
    # fills pools from the start).
    d = load(intent)
    tmpl = web[0]["nics"][0]
    net = next(n for n in d["networks"] if n["name"] == tmpl["network"])
    vm = {"name": "vmbench", "host": host,
          "categories": dict(web[0]["categories"]),
          "nics": [{"port": "tapbench", "mac": "52:54:00:be:9c:01",
                    "network": tmpl["network"],
                    "ip": net["ip_pool"]["last"]}]}
    d["vms"].append(vm)
    write("%s/addvm.json" % outdir, d)
    print("addvm", nic_bridge(d, vm, vm["nics"][0]), "tapbench")

    # One rule: the first application policy that targets a VM of HOST.
    d = load(intent)
    for p in d["policies"]:
        if p["type"] != "application" or not p.get("inbound", {}).get(
                "allow"):
            continue
        tgt = p["target"]
        if any(all(vm["categories"].get(k) == v for k, v in tgt.items())
               for vm in mine):
            rule = next((r for r in p["inbound"]["allow"] if "ports" in r),
                        None)
            if rule is None:
                continue
            first = rule["ports"][0]
            if isinstance(first, int) and first < 65535:
                rule["ports"][0] = first + 1
                print("rule", p["name"], rule.get("name", "#1"),
                      "port %d -> %d" % (first, first + 1))
                write("%s/rule.json" % outdir, d)
                break
    else:
        raise SystemExit("no application policy targets a VM of " + host)

    # One VM into a category: a web VM of HOST becomes a target of that
    # policy (its App and Tier).
    d = load(intent)
    vm = next(v for v in d["vms"] if v["name"] == web[-1]["name"])
    old = dict(vm["categories"])
    vm["categories"].update(tgt)
    write("%s/category.json" % outdir, d)
    print("category", vm["name"], json.dumps(old, sort_keys=True), "->",
          json.dumps(vm["categories"], sort_keys=True))
    return 0


TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z\|")


def cmd_logts(log, skip, regex):
    pat = re.compile(regex)
    with open(log, errors="replace") as f:
        for i, line in enumerate(f):
            if i < int(skip) or not pat.search(line):
                continue
            m = TS.match(line)
            if not m:
                continue
            t = calendar.timegm(time.strptime(m.group(1),
                                              "%Y-%m-%dT%H:%M:%S"))
            print("%d\t%s" % (t * 1000 + int(m.group(2)), line.rstrip()))
            return 0
    return 1


def cmd_rename(src, dst):
    t = time.time()
    os.rename(src, dst)
    print(int(t * 1000))
    return 0


def read_results(path):
    vals, meta = {}, {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if parts[0] == "meta" and len(parts) >= 2:
                meta[parts[1]] = parts[2] if len(parts) > 2 else ""
            elif len(parts) >= 2:
                try:
                    vals.setdefault(parts[0], []).append(float(parts[1]))
                except ValueError:
                    pass
    return vals, meta


def cmd_stats(path, key):
    vals, _ = read_results(path)
    v = vals.get(key)
    if not v:
        return 1
    print(statistics.median(v), min(v), max(v), len(v))
    return 0


def fmt(x):
    if x is None:
        return "–"
    if abs(x) >= 100 or x == int(x):
        return "{:,.0f}".format(x)
    if abs(x) >= 10:
        return "%.1f" % x
    return "%.2f" % x


def fmt_ratio(x):
    """Two decimals; three below 0.1 (B6's ratios to OVN are that small)."""
    return "%.3f" % x if x < 0.1 else "%.2f" % x


# (id, figure, unit, key, baseline key or None, target "<= X" on the value
# (no baseline) or on the ratio (with one), reference-only note)
ROWS = [
    ("B1", "validate + compile every bridge", "ms", "b1.total_ms", None,
     300, ""),
    ("B1", "  of which parse + validate", "ms", "b1.parse_ms", None, None,
     ""),
    ("B1", "  of which compile", "ms", "b1.compile_ms",
     "b1.compile_nomemo_ms", None,
     "baseline: the same compiles without the memo of shared flows"),
    ("B1", "  compile without the memo (`bench-intent -c -M`)", "ms",
     "b1.compile_nomemo_ms", None, None, ""),
    ("B1", "  flows compiled once and shared by the bridges (memo)", "",
     "b1.memo_flows", None, None, ""),
    ("B1", "  then freeing each bridge's set once counted (the benchmark's "
     "own: flowchaind keeps them; not in the figures above)", "ms",
     "b1.free_ms", None, None, ""),
    ("B1", "peak RSS of the above", "MB", "b1.rss_mb", None, 200, ""),
    ("B1", "heap per flow of one compiled flow set (the largest bridge's, "
     "compiled alone)", "bytes",
     "b1.bytes_per_flow", None, None, ""),
    ("B1", "heap per installed flow as flowchaind holds it (desired + "
     "installed set of the largest bridge, worst of install, reload and "
     "read-back; bench-flowmem)", "bytes", "b1.bytes_per_installed_flow",
     None, 300, ""),
    ("B2", "full install: switch connection -> barrier reply", "ms",
     "b2.connect_to_barrier_ms", "b2.bundle_ms", 1.1,
     "baseline: `ovs-ofctl bundle` of the same flows and groups"),
    ("B2", "full install: `set-controller` -> all flows in "
     "`dump-aggregate`", "ms", "b2.setctl_to_visible_ms", "b2.bundle_ms",
     1.1, "same baseline"),
    ("B2", "  sync time in flowchaind's `synced:` line (from the loop "
     "iteration that began the sync: compile, diff, bundle, barrier)", "ms",
     "b2.bundle_only_ms", None, None, ""),
    ("B2", "  reference: `ovs-ofctl add-groups` + `add-flows`, no bundle "
     "(first run only)",
     "ms", "b2.nobundle_ms", None, None, ""),
    ("B3", "add one VM: intent written -> in sync", "ms",
     "b3.addvm.ms", "b3.addvm.replace_ms", None, ""),
    ("B3", "  flow mods sent", "", "b3.addvm.flow_mods", None, None, ""),
    ("B3", "remove it: intent written -> in sync", "ms",
     "b3.rmvm.ms", "b3.rmvm.replace_ms", None, ""),
    ("B3", "  flow mods sent", "", "b3.rmvm.flow_mods", None, None, ""),
    ("B3", "change one policy rule: intent written -> in sync", "ms",
     "b3.rule.ms", "b3.rule.replace_ms", None, ""),
    ("B3", "  flow mods sent", "", "b3.rule.flow_mods", None, None, ""),
    ("B3", "move one VM into a category: intent written -> in sync", "ms",
     "b3.category.ms", "b3.category.replace_ms", None, ""),
    ("B3", "  flow mods sent", "", "b3.category.flow_mods", None, None,
     ""),
    ("B4", "restart, unchanged intent: flow mods sent", "",
     "b4.flow_mods", None, 0, ""),
    ("B4", "restart: switch connection -> read back, in sync", "ms",
     "b4.connect_to_sync_ms", "b4.dumpflows_ms", None,
     "baseline: one `ovs-ofctl dump-flows`"),
    ("B4", "restart: process start -> in sync (polled every 0.1 s)", "ms",
     "b4.start_to_sync_ms", None, None, ""),
    ("B4", "pings lost during the restart", "", "b4.pings_lost", None, None,
     ""),
    ("B5", "N bridges connect at once (full install): all in sync",
     "ms", "b5.all_sync_ms", None, None, ""),
    ("B5", "  flowchaind CPU time (user + system) meanwhile", "ms",
     "b5.cpu_ms", None, None, ""),
    ("B5", "  flowchaind peak RSS (VmHWM)", "MB", "b5.rss_mb", None, None,
     ""),
    # B6: flowchain against OVN, one after the other in the same run; the
    # baseline is OVN, the target is on flowchain's own figure.
    ("B6", "converge: flowchain `set-controller` -> in sync; OVN: one NB "
     "transaction -> `ovn-nbctl --wait=hv sync` returns", "ms",
     "b6.fc.converge_ms", "b6.ovn.converge_ms", 1000, "baseline: OVN"),
    ("B6", "  flowchain: sync time in flowchaind's `synced:` line "
     "(compile, diff, bundle, barrier)", "ms", "b6.fc.synced_ms", None,
     None, ""),
    ("B6", "  flowchain converge against Open vSwitch's own limit: "
     "`ovs-ofctl bundle` of the same flows and groups on the same bridge, "
     "no controller", "ms", "b6.fc.converge_ms", "b6.fc.bundle_ms", None,
     "baseline: `ovs-ofctl bundle` of the same flows and groups"),
    ("B6", "  OVN alone", "ms", "b6.ovn.converge_ms", None, None, ""),
    ("B6", "OpenFlow flows on the bridge (`dump-aggregate`; OVN: br-int)",
     "", "b6.fc.flows", "b6.ovn.flows", 30000, "baseline: OVN"),
    ("B6", "  OVN alone", "", "b6.ovn.flows", None, None, ""),
    ("B6", "controller RSS once converged: flowchaind (OVN: "
     "ovn-controller)", "MB", "b6.fc.ctl_rss_mb", "b6.ovn.ctl_rss_mb", None,
     "baseline: OVN"),
    ("B6", "  OVN alone", "MB", "b6.ovn.ctl_rss_mb", None, None, ""),
    ("B6", "ovs-vswitchd RSS once converged", "MB", "b6.fc.vswitchd_rss_mb",
     "b6.ovn.vswitchd_rss_mb", None, "baseline: OVN"),
    ("B6", "  OVN alone", "MB", "b6.ovn.vswitchd_rss_mb", None, None, ""),
    ("B6", "one VM into a category: intent written -> in sync (OVN: from "
     "one port group into another, `ovn-nbctl --wait=hv`)", "ms",
     "b6.fc.category_ms", "b6.ovn.pg_ms", 20, "baseline: OVN"),
    ("B6", "  OVN alone", "ms", "b6.ovn.pg_ms", None, None, ""),
    ("B6", "one new allow rule: intent written -> in sync (OVN: one new "
     "allow-related ACL, `ovn-nbctl --wait=hv`)", "ms", "b6.fc.rule_ms",
     "b6.ovn.acl_ms", 50, "baseline: OVN"),
    ("B6", "  OVN alone", "ms", "b6.ovn.acl_ms", None, None, ""),
    ("B6", "without rules (OVN: without ACLs): converge", "ms",
     "b6.fc.norules.converge_ms", "b6.ovn.noacl.converge_ms", None,
     "baseline: OVN"),
    ("B6", "  flowchain: sync time in flowchaind's `synced:` line", "ms",
     "b6.fc.norules.synced_ms", None, None, ""),
    ("B6", "  OVN alone", "ms", "b6.ovn.noacl.converge_ms", None, None, ""),
    ("B6", "without rules (OVN: without ACLs): OpenFlow flows", "",
     "b6.fc.norules.flows", "b6.ovn.noacl.flows", None, "baseline: OVN"),
    ("B6", "  OVN alone", "", "b6.ovn.noacl.flows", None, None, ""),
    ("B7", "TCP throughput, two VMs on one host, full pipeline with "
     "policies", "Mbit/s", "b7.local_mbps", "b7.local_normal_mbps", 0.9,
     "baseline: the same switch with one `NORMAL` flow"),
    ("B7", "TCP throughput across the uplink (two hosts), full pipeline",
     "Mbit/s", "b7.remote_mbps", "b7.remote_normal_mbps", 0.9,
     "same baseline"),
]
B3_TARGET = 20
# B8 (high availability at scale): "{bridges}" is the number of bridges.
ROWS += [
    ("B8", "{bridges} bridges, 3 instances: `set-controller` (one "
     "transaction, 3 controllers per bridge) -> one master per bridge, all "
     "in sync (polled every 0.1 s)", "ms", "b8.all_sync_ms", None, None, ""),
]
for _i in "abc":
    ROWS += [
        ("B8", "  instance %s: bridges it masters" % _i, "",
         "b8.%s.masters" % _i, None, None, ""),
        ("B8", "  instance %s: CPU time (user + system) meanwhile" % _i, "ms",
         "b8.%s.cpu_ms" % _i, None, None, ""),
        ("B8", "  instance %s: peak RSS (VmHWM)" % _i, "MB",
         "b8.%s.rss_mb" % _i, None, None, ""),
    ]
ROWS += [
    ("B8", "  each instance's CPU while idle, in percent of one core "
     "(database connected, no switch; over 5 s, one sample per instance)",
     "", "b8.idle_cpu_pct", None, None, ""),
    ("B8", "kill -9 of the instance with the most masters -> the other two "
     "master every bridge, in sync (polled every 0.1 s)", "ms",
     "b8.failover_ms", None, None, ""),
    ("B8", "  flow mods they sent meanwhile", "", "b8.failover_flow_mods",
     None, 0, ""),
    ("B8", "the killed instance restarted: start -> it masters its bridges "
     "again, all in sync", "ms", "b8.takeback_ms", None, None, ""),
    ("B8", "  flow mods it sent", "", "b8.takeback_flow_mods", None, 0, ""),
]


def cmd_report(path, out):
    vals, meta = read_results(path)
    lines = []
    lines.append("| | figure | median | min | max | baseline (median) | "
                 "ratio (median, min-max) | target | met |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for bid, name, unit, key, base, target, note in ROWS:
        v = vals.get(key)
        if not v:
            continue
        u = (" " + unit) if unit else ""
        med, lo, hi = statistics.median(v), min(v), max(v)
        bcell = rcell = ""
        met = ""
        tcell = ""
        b = vals.get(base) if base else None
        if b:
            bcell = fmt(statistics.median(b)) + u
            ratios = [x / y for x, y in zip(v, b) if y > 0]
            if ratios:
                rm = statistics.median(ratios)
                rcell = "%s (%s-%s)" % (fmt_ratio(rm), fmt_ratio(min(ratios)),
                                        fmt_ratio(max(ratios)))
            if note:
                bcell += " (%s)" % note.replace("baseline: ", "")
        if key.startswith("b3.") and key.endswith(".ms"):
            target = B3_TARGET
            tcell = "<= %d ms" % target
            met = "yes" if med <= target else \
                "no (+%s ms)" % fmt(med - target)
        elif target is not None and b and key.startswith("b7."):
            # Throughput: higher is better.
            tcell = "ratio >= %s" % target
            if rcell:
                met = "yes" if rm >= target else "no (x%.2f)" % (rm / target)
        elif target is not None and b and key.startswith("b2."):
            tcell = "ratio <= %s" % target
            if rcell:
                met = "yes" if rm <= target else "no (x%.2f)" % (rm / target)
        elif target is not None:
            tcell = ("%s %s" % ("<=" if target else "=", fmt(target)) + u)
            if target == 0:
                met = "yes" if med == 0 else "no"
            else:
                met = "yes" if med <= target else \
                    "no (+%s%s)" % (fmt(med - target), u)
        if "N bridges" in name and "b5.bridges" in meta:
            name = name.replace("N bridges", meta["b5.bridges"] + " bridges")
        if "{bridges}" in name:
            name = name.replace("{bridges}", meta.get("b8.bridges", "N"))
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            bid, name, fmt(med) + u, fmt(lo) + u, fmt(hi) + u, bcell,
            rcell, tcell, met))
    text = "\n".join(lines) + "\n"
    if out == "-":
        sys.stdout.write(text)
    else:
        with open(out, "w") as f:
            f.write(text)
    return 0


def main(argv):
    cmds = {"pick": (cmd_pick, 2), "missing-ports": (cmd_missing_ports, 3),
            "variants": (cmd_variants, 3), "logts": (cmd_logts, 3),
            "rename": (cmd_rename, 2), "stats": (cmd_stats, 2),
            "report": (cmd_report, 2)}
    if len(argv) < 2 or argv[1] not in cmds or \
            len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
