#!/usr/bin/python3
# flowchain lab: real Open vSwitch bridges in network namespaces, built from
# an intent file (the format of docs/intent.md).
#
#   lab.py up INTENT --dir DIR --prefix P [--controller "TARGET..."] [--ipv6]
#             [--controller-ns] [--ssl-certs DIR --ssl-ca-cert FILE]
#             [--phys-lacp [--phys-lacp-time slow|fast]]
#   lab.py down --dir DIR
#   lab.py ovs HOST CMD...          ovs-vsctl/ovs-ofctl/ovs-appctl on HOST
#   lab.py exec NAME CMD...         run CMD in a VM/adapter/router/host ns
#   lab.py kill-vswitchd HOST | start-vswitchd HOST | restart-vswitchd HOST
#   lab.py get [KEY...]             print a part of lab.json (dotted keys)
#   lab.py matrix [INTENT] --dir DIR [--json] [--port N]  (TCP probes too if
#                                   the intent has policies)
#
# Every subcommand except `up` takes --dir DIR or the LAB_DIR environment
# variable.  Safety: nothing is ever created in the root network namespace.
# Every veth is created with both ends directly inside namespaces of this lab
# (ip -n NS link add ... peer ... netns NS2); daemons are stopped only by the
# pids in their pidfiles, after checking the process command line names this
# lab's directory.
#
# Python standard library only; run with /usr/bin/python3.

import argparse
import concurrent.futures
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import time

SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
IFNAMSIZ = 15
# --controller-ns: the controller's namespace has CTL_ADDR on its loopback;
# host number i (1-based) reaches it over a management veth
# 172.31.i.1 (controller side) <-> 172.31.i.2 (host side).  These addresses
# exist only inside the lab's namespaces.
CTL_ADDR = "172.31.0.1"
CTL_NET = "172.31.%d.%d"
MGMT_IF = "fc-ctl0"
PHYS_BRIDGE = "sw0"
OVS_TOOLS = ("ovs-vsctl", "ovs-ofctl", "ovs-appctl", "ovs-dpctl", "ovsdb-client",
             "ovs-pcap", "ovs-tcpdump", "ovs-tcpundump")


class LabError(Exception):
    pass


def log(msg):
    sys.stderr.write("lab: %s\n" % msg)


def run(argv, env=None, check=True, capture=True, input=None):
    """Run 'argv'; raise LabError with its stderr when it fails and 'check'."""
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)
    p = subprocess.run(argv, env=full_env, input=input,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None,
                       universal_newlines=True)
    if check and p.returncode != 0:
        raise LabError("command failed (%d): %s\n%s" % (
            p.returncode, " ".join(argv),
            (p.stderr or "").strip() if capture else ""))
    return p


def ns_run(ns, argv, **kw):
    """Run 'argv' inside network namespace 'ns'."""
    return run(["ip", "netns", "exec", ns] + list(argv), **kw)


# ---------------------------------------------------------------- state file

def state_path(d):
    return os.path.join(d, "lab.json")


def save_state(st):
    tmp = state_path(st["dir"]) + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f, indent=2, sort_keys=True)
        f.write("\n")
    os.rename(tmp, state_path(st["dir"]))


def load_state(d):
    try:
        with open(state_path(d)) as f:
            return json.load(f)
    except FileNotFoundError:
        raise LabError("no lab.json in %s (lab not up?)" % d)


def lab_dir(args):
    d = getattr(args, "dir", None) or os.environ.get("LAB_DIR")
    if not d:
        raise LabError("--dir DIR or LAB_DIR is required")
    return os.path.abspath(d)


# ------------------------------------------------------------------- naming

def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


class Namer:
    """Short unique names: 'want' when it is free and short enough, else a
    truncated name with a counter."""

    def __init__(self, limit):
        self.limit = limit
        self.used = set()

    def get(self, want):
        want = sanitize(want)
        if len(want) <= self.limit and want not in self.used:
            self.used.add(want)
            return want
        i = 1
        while True:
            suffix = "~%d" % i
            cand = want[:self.limit - len(suffix)] + suffix
            cand = cand.replace("~", "-")
            if cand not in self.used:
                self.used.add(cand)
                return cand
            i += 1


# ------------------------------------------------------------ OVS daemons

def ovs_env(hd):
    """Environment that points every OVS tool at the host directory 'hd'."""
    return {"OVS_RUNDIR": hd, "OVS_LOGDIR": hd, "OVS_DBDIR": hd,
            "OVS_SYSCONFDIR": hd}


def daemon_argv(name, hd):
    """Command line that starts daemon 'name' with all files under 'hd'."""
    common = ["--pidfile=%s/%s.pid" % (hd, name),
              "--unixctl=%s/%s.ctl" % (hd, name),
              "--log-file=%s/%s.log" % (hd, name),
              "-vconsole:off", "-vfile:info", "--detach", "--no-chdir"]
    if name == "ovsdb-server":
        return ["ovsdb-server", "%s/conf.db" % hd,
                "--remote=punix:%s/db.sock" % hd] + common
    return ["ovs-vswitchd", "unix:%s/db.sock" % hd] + common


def read_pid(pidfile):
    try:
        with open(pidfile) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid):
    """True when 'pid' runs and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def pid_is_ours(pid, hd):
    """True when process 'pid' is a live OVS daemon of directory 'hd'."""
    if not pid_alive(pid):
        return False
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read().decode(errors="replace").split("\0")
    except OSError:
        return False
    return any(a.startswith("--pidfile=%s/" % hd) for a in cmd)


def stop_daemon(hd, name, sig=signal.SIGTERM, timeout=5.0):
    """Stops daemon 'name' of host dir 'hd' by the pid in its pidfile,
    SIGKILL after 'timeout'.  Returns True if a process was signalled."""
    pid = read_pid("%s/%s.pid" % (hd, name))
    if pid is None or not pid_is_ours(pid, hd):
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    deadline = time.time() + timeout
    while pid_alive(pid):
        if time.time() > deadline:
            if sig == signal.SIGKILL:
                raise LabError("%s (pid %d) does not die" % (name, pid))
            os.kill(pid, signal.SIGKILL)
            sig = signal.SIGKILL
            deadline = time.time() + timeout
        time.sleep(0.02)
    return True


def start_daemon(ns, hd, name):
    ns_run(ns, daemon_argv(name, hd), env=ovs_env(hd))
    return read_pid("%s/%s.pid" % (hd, name))


def vsctl(ns, hd, args):
    return ns_run(ns, ["ovs-vsctl", "--timeout=30"] + args, env=ovs_env(hd))


def start_ovs(st, key, ns, hd):
    """Creates the db and starts ovsdb-server + ovs-vswitchd for host 'key'."""
    os.makedirs(hd, exist_ok=True)
    run(["ovsdb-tool", "create", "%s/conf.db" % hd, SCHEMA])
    st["daemons"].append({"key": key, "ns": ns, "dir": hd})
    save_state(st)
    start_daemon(ns, hd, "ovsdb-server")
    vsctl(ns, hd, ["--no-wait", "init"])
    return start_daemon(ns, hd, "ovs-vswitchd")


# ------------------------------------------------------------------ helpers

def prefixlen(net):
    if net and net.get("subnet"):
        return ipaddress.ip_network(net["subnet"], strict=False).prefixlen
    return 24


def check_ifname(name, where):
    if not name or len(name) > IFNAMSIZ or "/" in name or " " in name:
        raise LabError("%s: %r is not a valid Linux interface name "
                       "(1..15 chars)" % (where, name))


def controller_target(target, hd, link_name="controller.sock"):
    """The target a host whose OVS_RUNDIR is 'hd' uses for 'target'.
    ovs-vswitchd only connects to unix sockets inside its run directory
    (self-confinement), so unix:PATH elsewhere becomes a symlink
    hd/LINK_NAME -> PATH (connect() follows it)."""
    if not target.startswith("unix:"):
        return target
    path = os.path.abspath(target[5:])
    if path.startswith(hd + "/"):
        return "unix:" + path
    link = os.path.join(hd, link_name)
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(path, link)
    return "unix:" + link


def add_ns(st, ns, ipv6):
    if os.path.exists("/run/netns/" + ns):
        raise LabError("namespace %s already exists" % ns)
    run(["ip", "netns", "add", ns])
    st["namespaces"].append(ns)
    save_state(st)
    cmds = ["ip link set lo up"]
    if not ipv6:
        cmds.append("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                    "net.ipv6.conf.default.disable_ipv6=1")
    ns_run(ns, ["sh", "-c", " && ".join(cmds)])


def veth(ns1, if1, ns2, if2, mac=None):
    """Creates veth 'if1' in 'ns1' whose peer 'if2' is in 'ns2'; both up."""
    argv = ["ip", "-n", ns1, "link", "add", if1]
    if mac:
        argv += ["address", mac]
    argv += ["type", "veth", "peer", "name", if2, "netns", ns2]
    run(argv)
    run(["ip", "-n", ns1, "link", "set", if1, "up"])
    run(["ip", "-n", ns2, "link", "set", if2, "up"])


def endpoint_setup(ns, iface, ip, plen, gateway, default_route):
    """Address, checksum offload off, default route on an endpoint veth."""
    cmds = ["ethtool -K %s tx off >/dev/null" % iface]
    if ip:
        cmds.append("ip addr add %s/%d dev %s" % (ip, plen, iface))
        if gateway and default_route:
            cmds.append("ip route add default via %s dev %s" % (gateway, iface))
    ns_run(ns, ["sh", "-c", " && ".join(cmds)])


# ----------------------------------------------------------------------- up

def cmd_up(args):
    if bool(args.ssl_certs) != bool(args.ssl_ca_cert):
        raise LabError("--ssl-certs and --ssl-ca-cert go together")
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    if os.path.exists(state_path(d)):
        raise LabError("%s already holds a lab (lab.json); run down first" % d)
    with open(args.intent) as f:
        intent = json.load(f)
    P = args.prefix
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,11}$", P):
        raise LabError("prefix must be 1..12 chars [A-Za-z0-9_-]")
    t0 = time.time()
    st = {"version": 1, "prefix": P, "dir": d,
          "intent": os.path.abspath(args.intent),
          "controller": args.controller, "complete": False,
          "namespaces": [], "daemons": [], "hosts": {}, "phys": {},
          "router": {}, "vms": {}, "adapters": {}, "names": {},
          "controller_ns": None}
    save_state(st)
    try:
        build(st, intent, args)
    except BaseException:
        log("up failed; partial lab recorded in %s (run down)" % state_path(d))
        raise
    st["complete"] = True
    st["up_seconds"] = round(time.time() - t0, 3)
    save_state(st)
    log("up in %.2fs: %d namespaces" % (st["up_seconds"], len(st["namespaces"])))


def phys_lacp(args, up):
    """True if the physical switch's ends of uplink 'up' form an LACP bond
    (--phys-lacp and "mode": "lacp")."""
    return bool(args.phys_lacp and up.get("mode") == "lacp")


def build(st, intent, args):
    P = st["prefix"]
    d = st["dir"]
    ipv6 = args.ipv6
    nets = {n["name"]: n for n in intent.get("networks", [])}
    nsnamer = Namer(40)
    dirnamer = Namer(20)

    def nsname(want):
        return nsnamer.get("%s-%s" % (P, want))

    # The controller's own namespace, reached out of band (--controller-ns).
    ctl = None
    if args.controller_ns:
        if len(intent.get("hosts", [])) > 254:
            raise LabError("--controller-ns: at most 254 hosts")
        ctl = {"ns": nsname("ctl"), "address": CTL_ADDR, "links": {}}
        add_ns(st, ctl["ns"], ipv6)
        ns_run(ctl["ns"], ["ip", "addr", "add", CTL_ADDR + "/32", "dev",
                           "lo"])
        st["controller_ns"] = ctl
        st["names"]["ctl"] = ctl["ns"]
        save_state(st)

    # Physical switch.
    phys_ns = nsname("phys")
    phys_dir = os.path.join(d, dirnamer.get("phys"))
    add_ns(st, phys_ns, ipv6)
    st["phys"] = {"ns": phys_ns, "dir": phys_dir, "env": ovs_env(phys_dir),
                  "db": "unix:%s/db.sock" % phys_dir, "bridge": PHYS_BRIDGE,
                  "ports": {}}
    st["names"]["phys"] = phys_ns
    start_ovs(st, "phys", phys_ns, phys_dir)
    phys_cmds = ["add-br", PHYS_BRIDGE, "--", "set", "bridge", PHYS_BRIDGE,
                 "datapath_type=netdev", "fail_mode=standalone",
                 "other-config:datapath-id=00000000000000ff"]
    physnamer = Namer(IFNAMSIZ)

    # Router: one access link per network with a gateway.
    rtr_ns = nsname("rtr")
    add_ns(st, rtr_ns, ipv6)
    st["router"] = {"ns": rtr_ns, "links": {}}
    st["names"]["router"] = st["names"]["rtr"] = rtr_ns
    ns_run(rtr_ns, ["sysctl", "-qw", "net.ipv4.ip_forward=0",
                    "net.ipv4.conf.all.arp_ignore=1",
                    "net.ipv4.conf.all.arp_announce=2"])
    rtrnamer = Namer(IFNAMSIZ)
    table = 100
    for net in intent.get("networks", []):
        if not net.get("gateway"):
            continue
        vlan = int(net.get("vlan", 0))
        gif = rtrnamer.get("g%d" % vlan)
        pport = physnamer.get("r%d" % vlan)
        veth(rtr_ns, gif, phys_ns, pport)
        plen = prefixlen(net)
        gw = net["gateway"]
        subnet = str(ipaddress.ip_network("%s/%d" % (gw, plen), strict=False))
        endpoint_setup(rtr_ns, gif, gw, plen, None, False)
        # The router is a set of separate gateways, not a router: replies
        # sourced from one gateway address may only leave on its own link,
        # so a VM cannot reach another network's gateway through its own.
        table += 1
        ns_run(rtr_ns, ["sh", "-c",
                        "ip rule add from %s table %d pref %d && "
                        "ip route add %s dev %s src %s table %d && "
                        "ip route add unreachable default table %d" % (
                            gw, table, table, subnet, gif, gw, table, table)])
        mac = run(["ip", "-n", rtr_ns, "-j", "link", "show", gif]).stdout
        mac = json.loads(mac)[0]["address"]
        st["router"]["links"][net["name"]] = {
            "iface": gif, "ip": gw, "prefixlen": plen, "mac": mac,
            "vlan": vlan, "phys_port": pport, "network": net["name"]}
        # Access port; VLAN 0 = the untagged (native) network.
        phys_cmds += ["--", "add-port", PHYS_BRIDGE, pport, "--", "set",
                      "port", pport, "vlan_mode=access", "tag=%d" % vlan]
        st["phys"]["ports"][pport] = {"kind": "router", "network": net["name"],
                                      "vlan": vlan}
        save_state(st)

    # Hosts.
    ofport_next = {}

    def add_port(cmds, hname, bname, pname):
        """Appends ovs-vsctl words adding 'pname' to 'bname' with the next
        ofport number of that bridge (intent order: uplink members,
        adapters, VM NICs)."""
        n = ofport_next.get((hname, bname), 1)
        ofport_next[(hname, bname)] = n + 1
        cmds += ["--", "add-port", bname, pname, "--", "set", "interface",
                 pname, "ofport_request=%d" % n]

    host_cmds = {}
    local_adapters = []
    for hidx, host in enumerate(intent.get("hosts", []), 1):
        hname = host["name"]
        hns = nsname(hname)
        hd = os.path.join(d, dirnamer.get(hname))
        add_ns(st, hns, ipv6)
        if ctl:
            # Management link: the host reaches the controller over it,
            # never through its bridges (connection-mode=out-of-band).
            cif = "h%d" % hidx
            veth(ctl["ns"], cif, hns, MGMT_IF)
            cip, hip = CTL_NET % (hidx, 1), CTL_NET % (hidx, 2)
            ns_run(ctl["ns"], ["ip", "addr", "add", cip + "/24", "dev", cif])
            ns_run(hns, ["sh", "-c",
                         "ip addr add %s/24 dev %s && "
                         "ip route add %s/32 via %s" % (hip, MGMT_IF,
                                                        CTL_ADDR, cip)])
            ctl["links"][hname] = {"ctl_iface": cif, "ctl_ip": cip,
                                   "host_iface": MGMT_IF, "host_ip": hip}
            save_state(st)
        h = {"ns": hns, "dir": hd, "env": ovs_env(hd),
             "db": "unix:%s/db.sock" % hd,
             "vswitchd_ctl": "%s/ovs-vswitchd.ctl" % hd,
             "ovsdb_ctl": "%s/ovsdb-server.ctl" % hd,
             "vswitchd_pidfile": "%s/ovs-vswitchd.pid" % hd,
             "ovsdb_pidfile": "%s/ovsdb-server.pid" % hd,
             "bridges": {}}
        st["hosts"][hname] = h
        st["names"][hname] = hns
        save_state(st)
        h["vswitchd_pid"] = start_ovs(st, hname, hns, hd)
        h["ovsdb_pid"] = read_pid(h["ovsdb_pidfile"])
        cmds = []
        for br in host.get("bridges", []):
            bname = br["name"]
            check_ifname(bname, "%s bridge" % hname)
            dpid = br.get("datapath_id")
            b = {"datapath_id": dpid, "uplink": None, "ports": {}}
            h["bridges"][bname] = b
            cmds += ["--", "add-br", bname, "--", "set", "bridge", bname,
                     "datapath_type=netdev", "protocols=OpenFlow13",
                     "fail_mode=secure"]
            if dpid:
                cmds += ["other-config:datapath-id=%s" % dpid]
            cmds += ["other-config:disable-in-band=true"]
            up = br.get("uplink")
            if up:
                b["uplink"] = {"name": up.get("name"),
                               "mode": up.get("mode", "active-backup"),
                               "primary": up.get("primary"), "members": {}}
                for m in up.get("members", []):
                    check_ifname(m, "%s/%s uplink" % (hname, bname))
                    pport = physnamer.get("h%d-%s" % (hidx, m))
                    veth(hns, m, phys_ns, pport)
                    b["uplink"]["members"][m] = {"phys_port": pport}
                    b["ports"][m] = {"kind": "uplink"}
                    add_port(cmds, hname, bname, m)
                    if not phys_lacp(args, up):
                        phys_cmds += ["--", "add-port", PHYS_BRIDGE, pport]
                    st["phys"]["ports"][pport] = {
                        "kind": "uplink", "host": hname, "bridge": bname,
                        "member": m}
                    save_state(st)
                if phys_lacp(args, up):
                    # The physical switch's ends form one LACP bond, the
                    # partner of the controller's LACP.
                    pbond = physnamer.get("h%d-%s" % (hidx, bname))
                    pports = [b["uplink"]["members"][m]["phys_port"]
                              for m in up.get("members", [])]
                    phys_cmds += (["--", "add-bond", PHYS_BRIDGE, pbond]
                                  + pports
                                  + ["lacp=active", "bond_mode=balance-tcp",
                                     "other_config:lacp-time=%s"
                                     % args.phys_lacp_time])
                    b["uplink"]["phys_bond"] = pbond
                    st["phys"]["ports"][pbond] = {
                        "kind": "uplink-bond", "host": hname,
                        "bridge": bname, "members": pports}
                    save_state(st)
            for ad in br.get("adapters", []):
                aname = "%s/%s" % (hname, ad["name"])
                check_ifname(ad["port"], aname)
                net = nets.get(ad.get("network"), {})
                plen = prefixlen(net)
                local = ad["port"] == bname
                if local:
                    # The bridge's own internal port (AHV's br0): the
                    # adapter lives in the host namespace on LOCAL.
                    ans, iface = hns, bname
                    if ad.get("mac"):
                        cmds += ["--", "set", "bridge", bname,
                                 'other-config:hwaddr="%s"' % ad["mac"]]
                    local_adapters.append((hns, bname, ad.get("ip"), plen,
                                           net.get("gateway")))
                else:
                    ans, iface = nsname("%s-%s" % (hname, ad["name"])), "eth0"
                    add_ns(st, ans, ipv6)
                    veth(ans, "eth0", hns, ad["port"], mac=ad.get("mac"))
                    endpoint_setup(ans, "eth0", ad.get("ip"), plen,
                                   net.get("gateway"), True)
                nic = {"iface": iface, "port": ad["port"], "bridge": bname,
                       "local": local,
                       "mac": ad.get("mac"), "ip": ad.get("ip"),
                       "prefixlen": plen, "network": ad.get("network"),
                       "vlan": net.get("vlan"), "gateway": net.get("gateway"),
                       "mode": "access", "trunk_networks": []}
                st["adapters"][aname] = {"ns": ans, "host": hname,
                                         "role": ad.get("role"), "nics": [nic]}
                st["names"][aname] = ans
                st["names"]["%s-%s" % (hname, ad["name"])] = ans
                b["ports"][ad["port"]] = {"kind": "adapter", "owner": aname}
                if not local:
                    add_port(cmds, hname, bname, ad["port"])
                save_state(st)
        if args.controller:
            # Several targets, separated by spaces: every bridge connects
            # to each (several controller instances, OpenFlow roles).
            targets = [controller_target(t, hd, "controller.sock" if i == 0
                                         else "controller-%d.sock" % i)
                       for i, t in enumerate(args.controller.split())]
            h["controller_target"] = " ".join(targets)
            for bname in h["bridges"]:
                if len(targets) == 1:
                    cmds += ["--", "set-controller", bname, targets[0]]
                    continue
                ids = []
                for i, t in enumerate(targets):
                    cid = "@c_%s_%d" % (bname.replace("-", "_"), i)
                    ids.append(cid)
                    cmds += ["--", "--id=" + cid, "create", "controller",
                             "target=" + json.dumps(t),
                             "connection-mode=out-of-band",
                             "max_backoff=1000", "inactivity_probe=5000"]
                cmds += ["--", "set", "bridge", bname,
                         "controller=[%s]" % ",".join(ids)]
        host_cmds[hname] = cmds
        save_state(st)

    # VMs.
    hostbridges = {hh["name"]: hh.get("bridges", [])
                   for hh in intent.get("hosts", [])}
    for vm in intent.get("vms", []):
        vname = vm["name"]
        hname = vm["host"]
        if hname not in st["hosts"]:
            raise LabError("vm %s: unknown host %s" % (vname, hname))
        h = st["hosts"][hname]
        vns = nsname(vname)
        add_ns(st, vns, ipv6)
        v = {"ns": vns, "host": hname, "nics": [],
             "categories": vm.get("categories", {})}
        st["vms"][vname] = v
        st["names"][vname] = vns
        save_state(st)
        cmds = host_cmds[hname]
        have_default = False
        for i, n in enumerate(vm.get("nics", [])):
            check_ifname(n["port"], "vm %s" % vname)
            bname = n.get("bridge")
            if not bname:
                cands = [b["name"] for b in hostbridges[hname]
                         if n.get("network") in b.get("networks", [])]
                if len(cands) != 1:
                    raise LabError("vm %s nic %d: cannot pick a bridge (%s)"
                                   % (vname, i, cands))
                bname = cands[0]
            if bname not in h["bridges"]:
                raise LabError("vm %s: unknown bridge %s" % (vname, bname))
            iface = "eth%d" % i
            net = nets.get(n.get("network"), {})
            plen = prefixlen(net)
            veth(vns, iface, h["ns"], n["port"], mac=n.get("mac"))
            endpoint_setup(vns, iface, n.get("ip"), plen, net.get("gateway"),
                           not have_default)
            if n.get("ip") and net.get("gateway"):
                have_default = True
            v["nics"].append({
                "iface": iface, "port": n["port"], "bridge": bname,
                "mac": n.get("mac"), "ip": n.get("ip"), "prefixlen": plen,
                "network": n.get("network"), "vlan": net.get("vlan"),
                "gateway": net.get("gateway"),
                "mode": n.get("mode", "access"),
                "trunk_networks": n.get("trunk_networks", [])})
            h["bridges"][bname]["ports"][n["port"]] = {"kind": "vm",
                                                       "owner": vname}
            add_port(cmds, hname, bname, n["port"])
        save_state(st)

    # One ovs-vsctl transaction per switch (bridges, ports, controller),
    # all switches in parallel; each waits until its vswitchd applied it.
    jobs = [(phys_ns, phys_dir, phys_cmds)]
    for hname, h in st["hosts"].items():
        cmds = host_cmds[hname]
        if (args.controller and h["bridges"]
                and len(args.controller.split()) == 1):
            for bname in h["bridges"]:
                cmds += ["--", "set", "controller", bname,
                         "connection-mode=out-of-band", "max_backoff=1000",
                         "inactivity_probe=5000"]
        if args.ssl_certs:
            # ovs-pki names: DIR/HOST-privkey.pem, DIR/HOST-cert.pem.
            base = os.path.join(os.path.abspath(args.ssl_certs), hname)
            cmds += ["--", "set-ssl", base + "-privkey.pem",
                     base + "-cert.pem", os.path.abspath(args.ssl_ca_cert)]
            h["ssl"] = {"private_key": base + "-privkey.pem",
                        "certificate": base + "-cert.pem",
                        "ca_cert": os.path.abspath(args.ssl_ca_cert)}
        if cmds:
            jobs.append((h["ns"], h["dir"], cmds))
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        for f in [ex.submit(vsctl, *j) for j in jobs]:
            f.result()
    # Adapters on a bridge's LOCAL port, now that the port exists.
    with_default = set()
    for (ns, iface, ip, plen, gw) in local_adapters:
        ns_run(ns, ["ip", "link", "set", iface, "up"])
        endpoint_setup(ns, iface, ip, plen, gw, ns not in with_default)
        if ip and gw:
            with_default.add(ns)
    for hname, h in st["hosts"].items():
        # ofport numbers as assigned, for tests that need them.
        out = vsctl(h["ns"], h["dir"], ["--format=json", "--columns=name,ofport",
                                        "list", "Interface"]).stdout
        ofports = {r[0]: r[1] for r in json.loads(out)["data"]}
        for bname, b in h["bridges"].items():
            for pname, p in b["ports"].items():
                p["ofport"] = "LOCAL" if pname == bname else ofports.get(pname)
    save_state(st)


# --------------------------------------------------------------------- down

def cmd_down(args):
    d = lab_dir(args)
    if not os.path.exists(state_path(d)):
        log("nothing to tear down in %s" % d)
        return 0
    t0 = time.time()
    st = load_state(d)
    errors = []
    # vswitchd first (so it does not chase vanishing ports), then ovsdb.
    for name in ("ovs-vswitchd", "ovsdb-server"):
        for dm in st.get("daemons", []):
            try:
                stop_daemon(dm["dir"], name)
            except LabError as e:
                errors.append(str(e))
    # Also daemons and namespaces that a killed `up` did not record yet.
    for hd in sorted(os.listdir(d)):
        hd = os.path.join(d, hd)
        if os.path.isdir(hd) and hd not in [dm["dir"] for dm in st["daemons"]]:
            for name in ("ovs-vswitchd", "ovsdb-server"):
                try:
                    stop_daemon(hd, name)
                except LabError as e:
                    errors.append(str(e))
    listed = run(["ip", "netns", "list"]).stdout.split("\n")
    listed = [l.split()[0] for l in listed if l.strip()]
    extra = [ns for ns in listed if ns.startswith(st["prefix"] + "-")
             and ns not in st.get("namespaces", [])]
    for ns in reversed(st.get("namespaces", []) + extra):
        if not ns.startswith(st["prefix"] + "-"):
            errors.append("refusing to delete namespace %s" % ns)
            continue
        if os.path.exists("/run/netns/" + ns):
            p = run(["ip", "netns", "del", ns], check=False)
            if p.returncode != 0:
                errors.append("ip netns del %s: %s" % (ns, p.stderr.strip()))
    for e in errors:
        log(e)
    if errors:
        return 1
    os.rename(state_path(d), state_path(d) + ".down")
    log("down in %.2fs" % (time.time() - t0))
    return 0


# ------------------------------------------------------------ ovs and exec

def host_entry(st, host):
    if host == "phys":
        return st["phys"]
    if host not in st["hosts"]:
        raise LabError("unknown host %r (have: %s, phys)" % (
            host, ", ".join(st["hosts"])))
    return st["hosts"][host]


def cmd_ovs(args):
    st = load_state(lab_dir(args))
    h = host_entry(st, args.host)
    cmd = list(args.cmd)
    if not cmd:
        raise LabError("ovs: command missing")
    if cmd[0] not in OVS_TOOLS:
        raise LabError("ovs: %s is not an OVS tool (%s)" % (cmd[0],
                                                         ", ".join(OVS_TOOLS)))
    if cmd[0] == "ovs-appctl":
        # -t NAME -> this host's control socket; default ovs-vswitchd.
        rest = cmd[1:]
        target = "%s/ovs-vswitchd.ctl" % h["dir"]
        if len(rest) >= 2 and rest[0] in ("-t", "--target"):
            t = rest[1]
            target = t if t.startswith("/") else "%s/%s.ctl" % (h["dir"], t)
            rest = rest[2:]
        cmd = ["ovs-appctl", "-t", target] + rest
    env = dict(os.environ)
    env.update(ovs_env(h["dir"]))
    os.execvpe("ip", ["ip", "netns", "exec", h["ns"]] + cmd, env)


def resolve_ns(st, name):
    if name in st["names"]:
        return st["names"][name]
    if name in st.get("namespaces", []):
        return name
    raise LabError("unknown name %r (have: %s)" % (name,
                                                   ", ".join(sorted(st["names"]))))


def cmd_exec(args):
    st = load_state(lab_dir(args))
    ns = resolve_ns(st, args.name)
    if not args.cmd:
        raise LabError("exec: command missing")
    os.execvp("ip", ["ip", "netns", "exec", ns] + list(args.cmd))


def cmd_vswitchd(args):
    st = load_state(lab_dir(args))
    h = host_entry(st, args.host)
    action = args.action
    if action in ("kill-vswitchd", "restart-vswitchd"):
        sig = signal.SIGKILL if action == "kill-vswitchd" else signal.SIGTERM
        if not stop_daemon(h["dir"], "ovs-vswitchd", sig=sig):
            if action == "kill-vswitchd":
                raise LabError("ovs-vswitchd of %s is not running" % args.host)
    if action in ("start-vswitchd", "restart-vswitchd"):
        pid = read_pid("%s/ovs-vswitchd.pid" % h["dir"])
        if pid is not None and pid_is_ours(pid, h["dir"]):
            raise LabError("ovs-vswitchd of %s already runs (pid %d)"
                           % (args.host, pid))
        pid = start_daemon(h["ns"], h["dir"], "ovs-vswitchd")
        h["vswitchd_pid"] = pid
        save_state(st)
        print(pid)


def cmd_get(args):
    st = load_state(lab_dir(args))
    obj = st
    for k in args.keys:
        for part in k.split("."):
            if isinstance(obj, list):
                obj = obj[int(part)]
            elif isinstance(obj, dict) and part in obj:
                obj = obj[part]
            else:
                raise LabError("get: no key %r" % k)
    if isinstance(obj, (dict, list)):
        print(json.dumps(obj, indent=2, sort_keys=True))
    elif obj is None:
        print("")
    else:
        print(obj)


# ------------------------------------------------------------------- matrix

def endpoints(st):
    """[(label, ns, ip, network)] for every VM NIC and adapter with an IP."""
    out = []
    for kind in ("vms", "adapters"):
        for name in sorted(st[kind]):
            e = st[kind][name]
            nics = [n for n in e["nics"] if n.get("ip")]
            for n in nics:
                label = name if len(e["nics"]) == 1 else "%s/%s" % (name,
                                                                   n["iface"])
                out.append((label, e["ns"], n["ip"], n["network"]))
    return out


def ping(ns, src, dst):
    p = subprocess.run(["ip", "netns", "exec", ns, "ping", "-n", "-q",
                        "-c", "2", "-i", "0.2", "-W", "1", "-I", src, dst],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode == 0


# Policy evaluator for the matrix: an independent reading of the
# microsegmentation semantics (docs/intent.md "policies"), used only to
# compute the expected cells.  A peer is identified by its IPv4 address.

def _sel_matches(sel, cats):
    return all(cats.get(k) == v for k, v in sel.items())


def _peer_matches(peer, ip, vm_cats):
    """Does address 'ip' (of a VM with categories 'vm_cats', or None for a
    machine outside the intent) belong to rule peer 'peer'?"""
    if peer == "any":
        return True
    if "cidr" in peer:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(peer["cidr"])
    return vm_cats is not None and _sel_matches(peer, vm_cats)


def _rule_matches(rule, key, ip, cats, proto, port):
    if not _peer_matches(rule[key], ip, cats):
        return False
    rp = rule.get("protocol", "any")
    if rp != "any" and rp != proto:
        return False
    if "ports" in rule:
        for p in rule["ports"]:
            lo, hi = ((p, p) if isinstance(p, int)
                      else tuple(int(x) for x in p.split("-")))
            if lo <= port <= hi:
                return True
        return False
    return True


def policy_verdict(policies, src, dst, proto, port):
    """True if a new connection from 'src' to 'dst' passes the policies.
    'src'/'dst' are (ip, categories or None, is_vm)."""
    sip, scats, svm = src
    dip, dcats, dvm = dst
    enf = [p for p in policies if p.get("mode", "enforce") == "enforce"]

    def side(me, peer_ip, peer_cats, peer_vm, direction):
        # quarantine of 'me'
        for p in enf:
            if p["type"] != "quarantine" or me[0] not in p["_ips"]:
                continue
            if p["level"] == "strict":
                return False
            if direction == "inbound" and peer_cats is not None and any(
                    _sel_matches(s, peer_cats) for s in p["forensic_from"]):
                return True          # a quarantine that allows is final
            return False
        # isolation (inbound skips it if the sender is a local VM of the
        # same bridge: evaluated at the source, same verdict anyway)
        if peer_vm:
            for p in enf:
                if p["type"] != "isolation":
                    continue
                a, b = p["between"]
                if ((_sel_matches(a, me[1]) and _sel_matches(b, peer_cats)) or
                        (_sel_matches(b, me[1]) and _sel_matches(a, peer_cats))):
                    return False
        # application
        key = "from" if direction == "inbound" else "to"
        targeting = [p for p in enf if p["type"] == "application"
                     and _sel_matches(p["target"], me[1])]
        if not targeting:
            return True
        for p in targeting:
            d = p.get(direction, {"default": "allow"})
            if d["default"] == "allow":
                return True
            if any(_rule_matches(r, key, peer_ip, peer_cats, proto, port)
                   for r in d.get("allow", [])):
                return True
        return False

    if svm and not side((sip, scats), dip, dcats, dvm, "outbound"):
        return False
    if dvm and not side((dip, dcats), sip, scats, svm, "inbound"):
        return False
    return True


def listen(ns, port):
    """Start a TCP listener on 'port' in namespace 'ns' that accepts and
    closes connections; returns the Popen."""
    code = ("import socket\n"
            "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,"
            " socket.SO_REUSEADDR, 1)\n"
            "s.bind(('0.0.0.0', %d)); s.listen(64)\n"
            "while True:\n"
            "    c, _ = s.accept(); c.close()\n" % port)
    return subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3",
                             "-c", code], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def tcp_probe(ns, src, dst, port):
    code = ("import socket,sys\n"
            "s=socket.socket(); s.settimeout(2)\n"
            "s.bind((sys.argv[1], 0))\n"
            "try:\n    s.connect((sys.argv[2], int(sys.argv[3])))\n"
            "except OSError:\n    sys.exit(1)\n")
    p = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
                        code, src, dst, str(port)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode == 0


def matrix_policies(st, args):
    """The intent's policies, each quarantine with '_ips': the addresses of
    its VMs."""
    path = args.intent or st.get("intent")
    if not path:
        return []
    with open(path) as f:
        intent = json.load(f)
    ips = {vm["name"]: [n["ip"] for n in vm.get("nics", []) if n.get("ip")]
           for vm in intent.get("vms", [])}
    pols = intent.get("policies", [])
    for p in pols:
        p["_ips"] = set(ip for v in p.get("vms", []) for ip in ips.get(v, []))
    return pols


def cmd_matrix(args):
    st = load_state(lab_dir(args))
    eps = endpoints(st)
    gws = [("gw:%s" % net, link["ip"], net)
           for net, link in sorted(st["router"]["links"].items())]
    targets = [(l, ip, net) for (l, _, ip, net) in eps] + gws
    policies = matrix_policies(st, args)
    # Who an address is: (ip, categories, is_vm); adapters and the router
    # are outside the policies' reach (categories None).
    who = {}
    for name, v in st["vms"].items():
        for n in v["nics"]:
            if n.get("ip"):
                who[n["ip"]] = (n["ip"], v.get("categories") or {}, True)
    vm_ns = set(v["ns"] for v in st["vms"].values())
    probes = [("icmp", 0)]
    if policies:
        probes.append(("tcp", args.port))
    jobs = {}
    listeners = []
    try:
        if policies:
            for ns in sorted(vm_ns):
                listeners.append(listen(ns, args.port))
            time.sleep(1.0)
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=args.jobs) as ex:
            ns_of = {l: ns for (l, ns, _, _) in eps}
            for (sl, sns, sip, snet) in eps:
                for (tl, tip, tnet) in targets:
                    # A VM's own addresses (its other NICs) answer inside its
                    # namespace without touching a switch: not a cell.
                    if tl == sl or ns_of.get(tl) == sns:
                        continue
                    src = who.get(sip, (sip, None, False))
                    dst = who.get(tip, (tip, None, False))
                    for (proto, port) in probes:
                        if proto == "tcp" and ns_of.get(tl) not in vm_ns:
                            continue        # listeners run in VMs only
                        exp = snet == tnet and policy_verdict(
                            policies, src, dst, proto, port)
                        fut = (ex.submit(ping, sns, sip, tip)
                               if proto == "icmp"
                               else ex.submit(tcp_probe, sns, sip, tip, port))
                        col = tl if proto == "icmp" else "%s:%d" % (tl, port)
                        jobs[(sl, col)] = (exp, fut)
            results = {k: (exp, fut.result())
                       for k, (exp, fut) in jobs.items()}
    finally:
        for l in listeners:
            l.kill()
            l.wait()
    if policies:
        targets = targets + [("%s:%d" % (l, args.port), ip, net)
                             for (l, ns, ip, net) in eps if ns in vm_ns]
    cells = {}
    bad = 0
    for key, (exp, seen) in results.items():
        cells[key] = {"expected": "ok" if exp else "blocked",
                      "seen": "ok" if seen else "blocked"}
        if exp != seen:
            bad += 1
    if args.json:
        print(json.dumps({"rows": [e[0] for e in eps],
                          "columns": [t[0] for t in targets],
                          "mismatches": bad,
                          "cells": [{"from": k[0], "to": k[1], **v}
                                    for k, v in sorted(cells.items())]},
                         indent=2))
    else:
        cols = [t[0] for t in targets]
        w0 = max([len(e[0]) for e in eps] + [4])
        ws = [max(len(c), 12) for c in cols]
        print(" " * w0 + "  " + "  ".join(c.rjust(w) for c, w in zip(cols, ws)))
        for (sl, _, _, _) in eps:
            row = []
            for c, w in zip(cols, ws):
                cell = cells.get((sl, c))
                if cell is None:
                    txt = "-"
                elif cell["expected"] == cell["seen"]:
                    txt = cell["seen"]
                else:
                    txt = "FAIL:" + cell["seen"]
                row.append(txt.rjust(w))
            print(sl.ljust(w0) + "  " + "  ".join(row))
        print("%d cells, %d mismatches (FAIL:x = seen x, expected the other)"
              % (len(cells), bad))
    return 1 if bad else 0


# --------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(prog="lab.py", description=__doc__)
    sub = ap.add_subparsers(dest="sub", required=True)

    p = sub.add_parser("up", help="build the lab from an intent")
    p.add_argument("intent")
    p.add_argument("--dir", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--controller", default=None,
                   help="e.g. unix:DIR/of.sock or tcp:127.0.0.1:6653")
    p.add_argument("--ipv6", action="store_true",
                   help="keep IPv6 enabled in the namespaces")
    p.add_argument("--phys-lacp", action="store_true",
                   help="the physical switch's ends of every \"lacp\" "
                   "uplink form an OVS bond with LACP (lacp=active, "
                   "bond_mode=balance-tcp); "
                   "without it they are plain ports (no LACP partner)")
    p.add_argument("--phys-lacp-time", choices=("slow", "fast"),
                   default="slow",
                   help="with --phys-lacp: the rate the physical switch "
                   "asks of flowchain (default slow: it times flowchain "
                   "out after 90 s; fast: after 3 s)")
    p.add_argument("--controller-ns", action="store_true",
                   help="a namespace for the controller (exec ctl ...), "
                   "address %s, with a management veth to each host" %
                   CTL_ADDR)
    p.add_argument("--ssl-certs", metavar="DIR",
                   help="set-ssl on each host H with DIR/H-privkey.pem and "
                   "DIR/H-cert.pem (needs --ssl-ca-cert)")
    p.add_argument("--ssl-ca-cert", metavar="FILE",
                   help="CA certificate the hosts check the controller's "
                   "certificate against")
    p.set_defaults(fn=cmd_up)

    p = sub.add_parser("down", help="tear the lab down")
    p.add_argument("--dir")
    p.set_defaults(fn=cmd_down)

    p = sub.add_parser("ovs", help="run an OVS tool against a host")
    p.add_argument("--dir")
    p.add_argument("host")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_ovs)

    p = sub.add_parser("exec", help="run a command in a lab namespace")
    p.add_argument("--dir")
    p.add_argument("name")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_exec)

    for a in ("kill-vswitchd", "start-vswitchd", "restart-vswitchd"):
        p = sub.add_parser(a)
        p.add_argument("--dir")
        p.add_argument("host")
        p.set_defaults(fn=cmd_vswitchd, action=a)

    p = sub.add_parser("get", help="print part of lab.json (dotted keys)")
    p.add_argument("--dir")
    p.add_argument("keys", nargs="*")
    p.set_defaults(fn=cmd_get)

    p = sub.add_parser("matrix", help="expected vs seen reachability")
    p.add_argument("intent", nargs="?")
    p.add_argument("--dir")
    p.add_argument("--json", action="store_true")
    p.add_argument("--jobs", type=int, default=32)
    p.add_argument("--port", type=int, default=8080,
                   help="TCP port probed when the intent has policies")
    p.set_defaults(fn=cmd_matrix)

    args = ap.parse_args()
    try:
        return args.fn(args) or 0
    except LabError as e:
        log(str(e))
        return 2
    except (KeyError, ValueError, TypeError, OSError) as e:
        log("%s: %s" % (type(e).__name__, e))
        return 2


if __name__ == "__main__":
    sys.exit(main())
