#!/usr/bin/python3
"""Writes a large valid intent for benchmarks and for trying
"flowchainctl check" on something big.

usage: bench/gen-intent.py [N_VMS] > big.json

The shape matches bench-intent's built-in generator: 100 VMs per host, two
bridges per host (br0 carrying 400 VLANs over a balance-slb bond, br1 with
the untagged management network and a host adapter), one NIC with an IP
from its network's pool per VM, an "AppTier" category on every VM.
"""
import json
import sys

VMS_PER_HOST = 100
N_VLANS = 400


def vlan_net(v):
    """Returns (second octet, third octet) of VLAN index v's /22 subnet."""
    return 16 + v // 64, (v % 64) * 4


def main():
    n_vms = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    n_hosts = (n_vms + VMS_PER_HOST - 1) // VMS_PER_HOST

    networks = [{"name": "mgmt", "vlan": 0, "subnet": "10.0.0.0/16",
                 "gateway": "10.0.255.254"}]
    for v in range(N_VLANS):
        a, b = vlan_net(v)
        networks.append({
            "name": "vlan%d" % (v + 100), "vlan": v + 100,
            "subnet": "10.%d.%d.0/22" % (a, b),
            "gateway": "10.%d.%d.254" % (a, b + 3),
            "ip_pool": {"first": "10.%d.%d.1" % (a, b),
                        "last": "10.%d.%d.250" % (a, b + 3)}})

    hosts = []
    for h in range(n_hosts):
        hosts.append({"name": "host%d" % h, "bridges": [
            {"name": "br0", "datapath_id": "%016x" % ((h + 1) * 2),
             "uplink": {"name": "br0-up", "members": ["eth2", "eth3"],
                        "mode": "balance-slb"},
             "networks": ["vlan%d" % (v + 100) for v in range(N_VLANS)]},
            {"name": "br1", "datapath_id": "%016x" % ((h + 1) * 2 + 1),
             "uplink": {"name": "br1-up", "members": ["eth0", "eth1"]},
             "networks": ["mgmt"],
             "adapters": [{"name": "host", "port": "mgmt0",
                           "role": "management", "network": "mgmt",
                           "mac": "02:00:00:00:%02x:%02x" % (h >> 8 & 0xff,
                                                             h & 0xff),
                           "ip": "10.0.%d.%d" % (h // 250, h % 250 + 1)}]}]})

    vms = []
    for i in range(n_vms):
        v = i % N_VLANS
        k = i // N_VLANS
        a, b = vlan_net(v)
        vms.append({
            "name": "vm%d" % i, "host": "host%d" % (i // VMS_PER_HOST),
            "categories": {"AppTier": "web"},
            "nics": [{"port": "tap%d" % (i % VMS_PER_HOST),
                      "mac": "50:6b:8d:%02x:%02x:%02x" % (
                          i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff),
                      "network": "vlan%d" % (v + 100),
                      "ip": "10.%d.%d.%d" % (a, b + k // 250, k % 250 + 1)}]})

    json.dump({"version": 1, "networks": networks, "hosts": hosts,
               "vms": vms, "policies": []}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
