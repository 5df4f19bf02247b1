#!/usr/bin/python3
"""Writes the workload of benchmark B6 (flowchain against OVN) twice: as a
flowchain intent and as OVN Northbound commands, so that both systems get
the same networks, VMs, categories and rules.

usage: bench/gen-b6.py [--networks N] [--vms-per-network K]
                       [--rules-per-tier R] -d DIR

Deterministic (no randomness).  Shape:
- one host "host0" with one bridge br0 (datapath ID 00000000000000b6,
  balance-slb bond br0-up over eth0/eth1) carrying N VLAN networks
  "vlanV" (V = 100..), each a /24 10.100+(i/256).(i%256).0/24 with a
  gateway (.254) and an IP pool (.1-.250);
- N * K VMs "vmI", one NIC each (port "tapI", MAC 50:6b:b6:..), VM I on
  network I / K (K VMs per network), with address .(I % K + 1); category
  Tier round robin over web, app, db (VM I gets TIERS[I % 3]);
- two application policies, "tier-app" (target Tier=app) and "tier-db"
  (target Tier=db), both inbound default deny, with R allow rules each:
  from Tier=web to TCP ports APP_PORTS (tier-app) and from Tier=app to TCP
  ports DB_PORTS (tier-db), one port per rule; 2R allow rules in all.
  Outbound is left at its default (allow); web is not targeted.

OVN, the same in Northbound terms: per network a logical switch "lsV"
with a localnet port "lnV" (network_name=physnet, tag_request=V,
addresses unknown); per VM a logical switch port named like the VM, with
addresses and port_security "MAC IP" (flowchain checks a VM's MAC and IP
too); port groups pg_web, pg_app and pg_db with the VMs of each tier;
per rule a to-lport allow-related ACL on the target tier's port group,
priority 1001, "outport == @pg_T && ip4.src == $pg_F_ip4 && tcp.dst ==
P"; and per targeted tier a to-lport drop ACL, priority 1000, "outport ==
@pg_T && ip4" (flowchain's policies govern IPv4 only; ARP always passes).
The VM ports on br-int are OVS internal ports "tapI" with
external_ids:iface-id=vmI.

Files written into DIR:
  intent.json          the flowchain intent
  intent-norules.json  the same without policies (categories kept)
  category.json        intent.json with the VM MOVE_VM moved from web to app
  rule.json            intent.json with one more rule in tier-app
                       (from web, TCP NEW_PORT)
  lab.json             the lab view for tests/lab/lab.py: host and bridge
                       only (no VM, no network; bench/run.sh adds the VM
                       ports as internal ports)
  ports                "PORT VM" per VM NIC (the internal ports to create)
  nb-full.args         ovn-nbctl arguments (one per line) that create it
                       all in one transaction
  nb-noacl.args        the same without ACLs (port groups kept)
  info                 "KEY VALUE" lines: move_vm, new_acl_match, ...
"""
import argparse
import json
import os

TIERS = ["web", "app", "db"]
# One TCP port per allow rule (at most 15 per tier, the issue's "about 30
# rules between tiers").
APP_PORTS = [8080, 8081, 8082, 8083, 8084, 8085, 8086, 8087, 8088, 8089,
             8443, 9000, 9001, 9090, 9443]
DB_PORTS = [5432, 3306, 6379, 27017, 9042, 9200, 11211, 5672, 1521, 1433,
            7000, 7001, 2379, 8086, 26257]
NEW_PORT = 8200
PRIO_ALLOW, PRIO_DROP = 1001, 1000


def net_of(i):
    """(name, vlan, "a.b.c" prefix) of network index i."""
    return "vlan%d" % (100 + i), 100 + i, "10.%d.%d" % (100 + i // 256,
                                                        i % 256)


def vms(o):
    out = []
    for i in range(o.networks * o.vms_per_network):
        n, k = divmod(i, o.vms_per_network)
        name, _, pfx = net_of(n)
        out.append({"name": "vm%d" % i, "tier": TIERS[i % 3],
                    "port": "tap%d" % i,
                    "mac": "50:6b:b6:%02x:%02x:%02x" % (
                        i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff),
                    "network": name, "ip": "%s.%d" % (pfx, k + 1)})
    return out


def rules(o):
    """[(target tier, from tier, port)] of the allow rules."""
    return [("app", "web", p) for p in APP_PORTS[:o.rules_per_tier]] + \
        [("db", "app", p) for p in DB_PORTS[:o.rules_per_tier]]


def intent(o, with_rules=True):
    nets = []
    for i in range(o.networks):
        name, vlan, pfx = net_of(i)
        nets.append({"name": name, "vlan": vlan, "subnet": pfx + ".0/24",
                     "gateway": pfx + ".254",
                     "ip_pool": {"first": pfx + ".1", "last": pfx + ".250"}})
    host = {"name": "host0", "bridges": [{
        "name": "br0", "datapath_id": "00000000000000b6",
        "uplink": {"name": "br0-up", "members": ["eth0", "eth1"],
                   "mode": "balance-slb"},
        "networks": [n["name"] for n in nets]}]}
    vmlist = [{"name": v["name"], "host": "host0",
               "categories": {"Tier": v["tier"]},
               "nics": [{"port": v["port"], "mac": v["mac"],
                         "network": v["network"], "ip": v["ip"]}]}
              for v in vms(o)]
    pols = []
    for tier in ("app", "db"):
        allow = [{"name": "%s-%d" % (frm, port), "from": {"Tier": frm},
                  "protocol": "tcp", "ports": [port]}
                 for tgt, frm, port in rules(o) if tgt == tier]
        pols.append({"name": "tier-" + tier, "type": "application",
                     "target": {"Tier": tier},
                     "inbound": {"default": "deny", "allow": allow}})
    return {"version": 1, "networks": nets, "hosts": [host], "vms": vmlist,
            "policies": pols if with_rules else []}


def acl_match(tgt, frm, port):
    return "outport == @pg_%s && ip4.src == $pg_%s_ip4 && tcp.dst == %d" % (
        tgt, frm, port)


def nb_args(o, with_acls=True):
    """ovn-nbctl arguments (a list of words) for everything, one
    transaction."""
    a = []

    def cmd(*words):
        if a:
            a.append("--")
        a.extend(str(w) for w in words)

    for i in range(o.networks):
        name, vlan, _ = net_of(i)
        ls, ln = "ls%d" % vlan, "ln%d" % vlan
        cmd("ls-add", ls)
        cmd("lsp-add", ls, ln)
        cmd("lsp-set-type", ln, "localnet")
        cmd("lsp-set-addresses", ln, "unknown")
        cmd("lsp-set-options", ln, "network_name=physnet")
        cmd("set", "logical_switch_port", ln, "tag_request=%d" % vlan)
    by_tier = {t: [] for t in TIERS}
    for v in vms(o):
        ls = "ls" + v["network"][len("vlan"):]
        cmd("lsp-add", ls, v["name"])
        cmd("lsp-set-addresses", v["name"], "%s %s" % (v["mac"], v["ip"]))
        cmd("lsp-set-port-security", v["name"], "%s %s" % (v["mac"],
                                                            v["ip"]))
        by_tier[v["tier"]].append(v["name"])
    for t in TIERS:
        cmd("pg-add", "pg_" + t, *by_tier[t])
    if with_acls:
        for tgt, frm, port in rules(o):
            cmd("--type=port-group", "acl-add", "pg_" + tgt, "to-lport",
                PRIO_ALLOW, acl_match(tgt, frm, port), "allow-related")
        for tgt in ("app", "db"):
            cmd("--type=port-group", "acl-add", "pg_" + tgt, "to-lport",
                PRIO_DROP, "outport == @pg_%s && ip4" % tgt, "drop")
    return a


def write_json(path, d):
    with open(path, "w") as f:
        f.write(json.dumps(d, indent=1) + "\n")


def write_args(path, words):
    for w in words:
        if "\n" in w:
            raise SystemExit("gen-b6: newline in an argument")
    with open(path, "w") as f:
        f.write("\n".join(words) + "\n")


def main():
    ap = argparse.ArgumentParser(description="Writes the B6 workload.")
    ap.add_argument("--networks", type=int, default=100)
    ap.add_argument("--vms-per-network", type=int, default=10)
    ap.add_argument("--rules-per-tier", type=int, default=15)
    ap.add_argument("-d", "--dir", required=True)
    o = ap.parse_args()
    if not 1 <= o.networks <= 1000:
        ap.error("--networks: 1..1000")
    if not 3 <= o.vms_per_network <= 250:
        ap.error("--vms-per-network: 3..250")
    if not 1 <= o.rules_per_tier <= len(APP_PORTS):
        ap.error("--rules-per-tier: 1..%d" % len(APP_PORTS))
    os.makedirs(o.dir, exist_ok=True)
    base = intent(o)
    write_json(os.path.join(o.dir, "intent.json"), base)
    write_json(os.path.join(o.dir, "intent-norules.json"),
               intent(o, with_rules=False))

    # One VM into a category: the first web VM becomes app.
    move = next(v for v in vms(o) if v["tier"] == "web")
    d = intent(o)
    next(v for v in d["vms"] if v["name"] == move["name"])[
        "categories"]["Tier"] = "app"
    write_json(os.path.join(o.dir, "category.json"), d)

    # One new rule: tier-app allows web on TCP NEW_PORT.
    d = intent(o)
    d["policies"][0]["inbound"]["allow"].append(
        {"name": "web-%d" % NEW_PORT, "from": {"Tier": "web"},
         "protocol": "tcp", "ports": [NEW_PORT]})
    write_json(os.path.join(o.dir, "rule.json"), d)

    lab = intent(o, with_rules=False)
    lab["networks"], lab["vms"] = [], []
    lab["hosts"][0]["bridges"][0]["networks"] = []
    write_json(os.path.join(o.dir, "lab.json"), lab)

    with open(os.path.join(o.dir, "ports"), "w") as f:
        for v in vms(o):
            f.write("%s %s\n" % (v["port"], v["name"]))
    write_args(os.path.join(o.dir, "nb-full.args"), nb_args(o))
    write_args(os.path.join(o.dir, "nb-noacl.args"),
               nb_args(o, with_acls=False))
    n_rules = len(rules(o))
    with open(os.path.join(o.dir, "info"), "w") as f:
        f.write("move_vm %s\n" % move["name"])
        f.write("new_acl_match %s\n" % acl_match("app", "web", NEW_PORT))
        f.write("new_acl_priority %d\n" % PRIO_ALLOW)
        f.write("shape %d VLAN networks, %d VMs (%d per network, one NIC "
                "each, Tier web/app/db round robin), %d allow rules "
                "(web -> app and app -> db, one TCP port each), inbound "
                "default deny for app and db\n" % (
                    o.networks, len(vms(o)), o.vms_per_network, n_rules))


if __name__ == "__main__":
    main()
