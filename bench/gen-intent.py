#!/usr/bin/python3
"""Writes a large, valid, synthetic intent for benchmarks and for trying
"flowchainctl check" on something big.

usage: bench/gen-intent.py [options] > big.json
       bench/gen-intent.py N_VMS > big.json      (old form: N_VMS VMs,
                                                   100 per host)

Deterministic: the same options (seed included) give byte-identical
output; Python's random.Random(seed) decides which VM gets which
categories and how NICs spread over the VLANs, nothing else varies.

Shape:
- networks: "mgmt" (untagged, 10.0.0.0/16) and VLANS networks
  "vlan100".. with a /22 subnet, a gateway and an IP pool each;
- every host has two bridges: br0 (balance-slb bond br0-up over eth2/eth3)
  carrying every VLAN, and br1 (active-backup br1-up over eth0/eth1)
  carrying mgmt with one management adapter; or, with
  --bridges-per-host N > 2, N - 1 bridges br0.. sharing the VLANs and brm
  for mgmt;
- VMS_PER_HOST VMs per host, NICS_PER_VM access NICs each (ports
  "tapJ" or "tapJ-K"), each on a VLAN (spread evenly, shuffled), with an
  IP from its pool;
- categories: every VM has App=appN, Tier=web|app|db, Env=prod|dev|test;
  --categories C is the number of distinct (name, value) pairs, so there
  are C - 6 apps (at least 1);
- policies (--policies P): one isolation (Env prod vs dev), one strict
  quarantine of one VM, then application policies, two per app in turn:
  "appN-app" (target the app tier: inbound default deny, allow the app's
  web tier on TCP 8080 and 9000-9010 and ICMP from the management subnet)
  and "appN-db" (target the db tier: inbound default deny, allow the app's
  app tier on TCP 5432; outbound default deny, allow TCP 53 and UDP 53 to
  anywhere).

--only-hosts H1,H2 and --max-vms-per-host K (or --only-vms V1,V2) write a
*lab view* of the same intent instead: only those hosts, only the first K
VMs of each (or the VMs named), and
only the networks they use (for tests/lab/lab.py, which builds a namespace
per VM and a router link per network).  Policies are kept only in the
full intent (--lab-view-policies keeps them).
"""
import argparse
import json
import random
import sys

TIERS = ["web", "app", "db"]
ENVS = ["prod", "dev", "test"]


def vlan_net(v):
    """Returns (second octet, third octet) of VLAN index v's /22 subnet."""
    return 16 + v // 64, (v % 64) * 4


def build(o):
    """Returns the intent as a dict, from the parsed options 'o'."""
    rnd = random.Random(o.seed)
    if o.vlans < 1 or o.vlans > 3008:
        sys.exit("gen-intent: --vlans must be 1..3008")
    n_apps = max(1, o.categories - len(TIERS) - len(ENVS))

    networks = [{"name": "mgmt", "vlan": 0, "subnet": "10.0.0.0/16",
                 "gateway": "10.0.255.254"}]
    for v in range(o.vlans):
        a, b = vlan_net(v)
        networks.append({
            "name": "vlan%d" % (v + 100), "vlan": v + 100,
            "subnet": "10.%d.%d.0/22" % (a, b),
            "gateway": "10.%d.%d.254" % (a, b + 3),
            "ip_pool": {"first": "10.%d.%d.1" % (a, b),
                        "last": "10.%d.%d.250" % (a, b + 3)}})

    hosts = []
    for h in range(o.hosts) if o.bridges_per_host > 2 else []:
        # br0..brN-2 share the VLANs (VLAN v on bridge v % (N - 1)); the
        # last bridge, brm, carries mgmt and the host adapter.
        nb = o.bridges_per_host - 1
        bridges = [{"name": "br%d" % k,
                    "datapath_id": "%016x" % ((h + 1) << 16 | k),
                    "uplink": {"name": "br%d-up" % k,
                               "members": ["e%da" % k, "e%db" % k],
                               "mode": "balance-slb"},
                    "networks": ["vlan%d" % (v + 100)
                                 for v in range(k, o.vlans, nb)]}
                   for k in range(nb)]
        bridges.append({"name": "brm",
                        "datapath_id": "%016x" % ((h + 1) << 16 | 0xffff),
                        "uplink": {"name": "brm-up", "members": ["m0a"]},
                        "networks": ["mgmt"],
                        "adapters": [{"name": "host", "port": "mgmt0",
                                      "role": "management",
                                      "network": "mgmt",
                                      "mac": "02:00:00:00:%02x:%02x" % (
                                          h >> 8 & 0xff, h & 0xff),
                                      "ip": "10.0.%d.%d" % (h // 250,
                                                            h % 250 + 1)}]})
        hosts.append({"name": "host%d" % h, "bridges": bridges})
    for h in range(o.hosts) if o.bridges_per_host <= 2 else []:
        hosts.append({"name": "host%d" % h, "bridges": [
            {"name": "br0", "datapath_id": "%016x" % ((h + 1) * 2),
             "uplink": {"name": "br0-up", "members": ["eth2", "eth3"],
                        "mode": "balance-slb"},
             "networks": ["vlan%d" % (v + 100) for v in range(o.vlans)]},
            {"name": "br1", "datapath_id": "%016x" % ((h + 1) * 2 + 1),
             "uplink": {"name": "br1-up", "members": ["eth0", "eth1"]},
             "networks": ["mgmt"],
             "adapters": [{"name": "host", "port": "mgmt0",
                           "role": "management", "network": "mgmt",
                           "mac": "02:00:00:00:%02x:%02x" % (h >> 8 & 0xff,
                                                             h & 0xff),
                           "ip": "10.0.%d.%d" % (h // 250,
                                                 h % 250 + 1)}]}]})

    # VLAN of each NIC: round robin over the VLANs in a shuffled order, so
    # every VLAN gets the same number of NICs (+-1).
    n_vms = o.hosts * o.vms_per_host
    n_nics = n_vms * o.nics_per_vm
    order = list(range(o.vlans))
    rnd.shuffle(order)
    in_vlan = [0] * o.vlans          # NICs given an address so far
    vms = []
    for i in range(n_vms):
        h, j = divmod(i, o.vms_per_host)
        nics = []
        for k in range(o.nics_per_vm):
            n = i * o.nics_per_vm + k
            v = order[n % o.vlans]
            idx = in_vlan[v]
            in_vlan[v] += 1
            if idx >= 1000:
                sys.exit("gen-intent: more than 1000 NICs on one VLAN; "
                         "use more --vlans")
            a, b = vlan_net(v)
            nics.append({
                "port": "tap%d" % j if o.nics_per_vm == 1
                else "tap%d-%d" % (j, k),
                "mac": "50:6b:%02x:%02x:%02x:%02x" % (
                    n >> 24 & 0xff, n >> 16 & 0xff, n >> 8 & 0xff, n & 0xff),
                "network": "vlan%d" % (v + 100),
                "ip": "10.%d.%d.%d" % (a, b + idx // 250, idx % 250 + 1)})
        vms.append({
            "name": "vm%d" % i, "host": "host%d" % h,
            "categories": {"App": "app%d" % rnd.randrange(n_apps),
                           "Tier": rnd.choice(TIERS),
                           "Env": rnd.choice(ENVS)},
            "nics": nics})
    assert n_nics == sum(len(vm["nics"]) for vm in vms)

    policies = []
    if o.policies >= 1:
        policies.append({
            "name": "prod-dev", "type": "isolation",
            "between": [{"Env": "prod"}, {"Env": "dev"}]})
    if o.policies >= 2 and vms:
        policies.append({
            "name": "quarantine-1", "type": "quarantine", "level": "strict",
            "vms": [vms[rnd.randrange(len(vms))]["name"]]})
    i = 0
    while len(policies) < o.policies:
        app = "app%d" % (i // 2 % n_apps)
        rnd_round = i // (2 * n_apps)     # >0 once every app has both
        suffix = "" if rnd_round == 0 else "-%d" % rnd_round
        if i % 2 == 0:
            policies.append({
                "name": "%s-app%s" % (app, suffix), "type": "application",
                "target": {"App": app, "Tier": "app"},
                "inbound": {"default": "deny", "allow": [
                    {"name": "web-8080", "from": {"App": app, "Tier": "web"},
                     "protocol": "tcp", "ports": [8080, "9000-9010"]},
                    {"name": "mgmt-icmp", "from": {"cidr": "10.0.0.0/16"},
                     "protocol": "icmp"}]}})
        else:
            policies.append({
                "name": "%s-db%s" % (app, suffix), "type": "application",
                "target": {"App": app, "Tier": "db"},
                "inbound": {"default": "deny", "allow": [
                    {"name": "app-5432", "from": {"App": app, "Tier": "app"},
                     "protocol": "tcp", "ports": [5432]}]},
                "outbound": {"default": "deny", "allow": [
                    {"name": "dns-tcp", "to": "any", "protocol": "tcp",
                     "ports": [53]},
                    {"name": "dns-udp", "to": "any", "protocol": "udp",
                     "ports": [53]}]}})
        i += 1

    return {"version": 1, "networks": networks, "hosts": hosts,
            "vms": vms, "policies": policies}


def lab_view(d, only_hosts, max_vms, keep_policies, only_vms=None):
    """Restricts intent 'd' to the hosts in 'only_hosts', at most 'max_vms'
    VMs per host (or only the VMs in 'only_vms'), and the networks these
    use."""
    hosts = [h for h in d["hosts"] if h["name"] in only_hosts]
    missing = set(only_hosts) - {h["name"] for h in hosts}
    if missing:
        sys.exit("gen-intent: no such host: %s" % ", ".join(sorted(missing)))
    per_host = {}
    vms = []
    for vm in d["vms"]:
        if only_vms is not None:
            if vm["name"] in only_vms:
                vms.append(vm)
        elif vm["host"] in only_hosts:
            per_host[vm["host"]] = per_host.get(vm["host"], 0) + 1
            if max_vms is None or per_host[vm["host"]] <= max_vms:
                vms.append(vm)
    used = {"mgmt"} | {n["network"] for vm in vms for n in vm["nics"]}
    for h in hosts:
        for br in h["bridges"]:
            br["networks"] = [n for n in br["networks"] if n in used]
    names = {vm["name"] for vm in vms}
    policies = []
    if keep_policies:
        for p in d["policies"]:
            if p["type"] == "quarantine":
                p = dict(p, vms=[v for v in p["vms"] if v in names])
                if not p["vms"]:
                    continue
            policies.append(p)
    return {"version": 1,
            "networks": [n for n in d["networks"] if n["name"] in used],
            "hosts": hosts, "vms": vms, "policies": policies}


def main():
    ap = argparse.ArgumentParser(
        description="Writes a synthetic intent (deterministic).")
    ap.add_argument("n_vms", nargs="?", type=int,
                    help="old form: this many VMs, 100 per host")
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--vms-per-host", type=int, default=100)
    ap.add_argument("--vlans", type=int, default=1000)
    ap.add_argument("--bridges-per-host", type=int, default=2,
                    help="2: br0 (all VLANs) and br1 (mgmt); N > 2: N - 1 "
                    "bridges sharing the VLANs and brm (mgmt)")
    ap.add_argument("--nics-per-vm", type=int, default=1)
    ap.add_argument("--categories", type=int, default=30,
                    help="distinct category (name, value) pairs (>= 7)")
    ap.add_argument("--policies", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only-hosts", default=None,
                    help="lab view: comma-separated host names")
    ap.add_argument("--max-vms-per-host", type=int, default=None,
                    help="lab view: at most this many VMs per host")
    ap.add_argument("--only-vms", default=None,
                    help="lab view: only these VMs (comma-separated)")
    ap.add_argument("--lab-view-policies", action="store_true",
                    help="lab view: keep the policies")
    ap.add_argument("-o", "--output", default=None,
                    help="write here instead of stdout")
    o = ap.parse_args()
    if o.n_vms is not None:
        o.vms_per_host = 100
        o.hosts = (o.n_vms + 99) // 100
    d = build(o)
    if o.n_vms is not None:
        d["vms"] = d["vms"][:o.n_vms]
        names = {vm["name"] for vm in d["vms"]}
        for p in d["policies"]:
            if p["type"] == "quarantine":
                p["vms"] = [v for v in p["vms"] if v in names] or \
                    [d["vms"][0]["name"]]
    if o.only_hosts is not None:
        d = lab_view(d, o.only_hosts.split(","), o.max_vms_per_host,
                     o.lab_view_policies,
                     o.only_vms.split(",") if o.only_vms else None)
    text = json.dumps(d, indent=1) + "\n"
    if o.output:
        with open(o.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
