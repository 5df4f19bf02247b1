#!/usr/bin/python3
"""A scripted OpenFlow 1.3 switch that reads slowly, for tests of the
controller's read pause.

  fakeswitch.py intent BASE.json N OUT.json
      writes BASE plus host "fake" with bridge "brf" (datapath
      00000000000000f1) and N VMs on it (ports f0..f{N-1}).
  fakeswitch.py run SOCKET N --read-rate BYTES_PER_S [--echo-interval S]
                    [--echo-burst K] [--hold S] [--timeout S]
      connects to the controller's unix SOCKET as datapath f1 with the
      ports of that bridge, answers the handshake, the flow and group dumps,
      bundle control and barriers, and echoes; reads at most BYTES_PER_S
      (its receive buffer is small, so the controller's queue fills up) and
      sends an echo request every S seconds (it is never silent).  With
      --echo-burst, it also sends K echo requests of 64,000 bytes when the
      bundle opens: their replies alone exceed the controller's 1 MiB
      read-pause threshold while it reads slowly.  After
      the barrier that follows the bundle commit, it stays connected for
      --hold seconds.

Prints what happened; exit 0 if the bundle was committed and the
connection was still open at the end, 1 if the controller closed it.
"""
import json
import socket
import struct
import sys
import time

VERSION = 4
OFPT_HELLO, OFPT_ERROR, OFPT_ECHO_REQUEST, OFPT_ECHO_REPLY = 0, 1, 2, 3
OFPT_EXPERIMENTER = 4
OFPT_FEATURES_REQUEST, OFPT_FEATURES_REPLY = 5, 6
OFPT_MULTIPART_REQUEST, OFPT_MULTIPART_REPLY = 18, 19
OFPT_BARRIER_REQUEST, OFPT_BARRIER_REPLY = 20, 21
OFPMP_FLOW, OFPMP_GROUP_DESC, OFPMP_PORT_DESC = 1, 7, 13
ONF_VENDOR_ID = 0x4f4e4600
ONFT_BUNDLE_CONTROL = 2300
OFPBCT_OPEN_REQUEST = 0
OFPBCT_COMMIT_REQUEST = 4
DPID = 0xf1


def port_names(n):
    return ["f-up0", "f-up1"] + ["f%d" % i for i in range(n)]


def cmd_intent(base, n, out):
    with open(base) as f:
        d = json.load(f)
    # Two networks: a flood group holds at most 1000 local ports.
    for k in range(2):
        d["networks"].append({"name": "fakenet%d" % k, "vlan": 20 + k,
                              "subnet": "10.%d.0.0/16" % (78 + k),
                              "gateway": "10.%d.255.254" % (78 + k)})
    d["hosts"].append({"name": "fake", "bridges": [
        {"name": "brf", "datapath_id": "%016x" % DPID,
         "uplink": {"name": "brf-up", "members": ["f-up0", "f-up1"],
                    "mode": "balance-slb"},
         "networks": ["fakenet0", "fakenet1"]}]})
    for i in range(n):
        d["vms"].append({"name": "fvm%d" % i, "host": "fake", "nics": [
            {"port": "f%d" % i, "network": "fakenet%d" % (i % 2),
             "mac": "02:fa:00:00:%02x:%02x" % (i >> 8, i & 0xff),
             "ip": "10.%d.%d.%d" % (78 + i % 2, i // 250, i % 250 + 1)}]})
    with open(out, "w") as f:
        json.dump(d, f, indent=1)
    return 0


def msg(mtype, body=b"", xid=0):
    return struct.pack("!BBHI", VERSION, mtype, 8 + len(body), xid) + body


OFPMPF_REPLY_MORE = 1


def multipart_reply(mp_type, xid, body=b"", more=False):
    return msg(OFPT_MULTIPART_REPLY,
               struct.pack("!HH4x", mp_type, OFPMPF_REPLY_MORE if more else 0)
               + body, xid)


def port_desc_replies(n, xid):
    """The port description, in replies of at most 900 ports (64 bytes
    each: one message is at most 65535 bytes)."""
    ports = []
    for i, name in enumerate(port_names(n), 1):
        ports.append(struct.pack("!I4x6s2x16sIIIIIIII", i,
                                 bytes([2, 0xfb, 0, 0, i >> 8, i & 0xff]),
                                 name.encode(), 0, 4, 0, 0, 0, 0, 0, 0))
    chunks = [ports[i:i + 900] for i in range(0, len(ports), 900)]
    return b"".join(multipart_reply(OFPMP_PORT_DESC, xid, b"".join(c),
                                    more=k < len(chunks) - 1)
                    for k, c in enumerate(chunks))


class Peer:
    def __init__(self, path, n, rate, echo_interval, echo_burst=0):
        self.n = n
        self.echo_burst = echo_burst
        self.rate = rate
        self.echo_interval = echo_interval
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Small buffers: what we do not read stays on the controller's side.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.out = bytearray()
        self.bytes_read = 0
        self.closed = False
        self.committed = False
        self.commit_xid = None
        self.barrier_after_commit = False
        self.echo_replies = 0
        self.echoes_sent = 0

    def send(self, data):
        self.out += data
        self.flush()

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except BlockingIOError:
                return
            except (BrokenPipeError, ConnectionResetError):
                self.closed = True
                return
            del self.out[:n]

    def handle(self, m):
        _, mtype, length, xid = struct.unpack_from("!BBHI", m)
        if mtype == OFPT_HELLO:
            self.send(msg(OFPT_HELLO, struct.pack("!HHI", 1, 8, 1 << VERSION)))
        elif mtype == OFPT_ECHO_REQUEST:
            self.send(msg(OFPT_ECHO_REPLY, bytes(m[8:]), xid))
        elif mtype == OFPT_ECHO_REPLY:
            self.echo_replies += 1
        elif mtype == OFPT_FEATURES_REQUEST:
            self.send(msg(OFPT_FEATURES_REPLY,
                          struct.pack("!QIBB2xII", DPID, 0, 254, 0, 0x4f, 0),
                          xid))
        elif mtype == OFPT_MULTIPART_REQUEST:
            mp_type = struct.unpack_from("!H", m, 8)[0]
            if mp_type == OFPMP_PORT_DESC:
                self.send(port_desc_replies(self.n, xid))
            elif mp_type in (OFPMP_FLOW, OFPMP_GROUP_DESC):
                self.send(multipart_reply(mp_type, xid))
        elif mtype == OFPT_EXPERIMENTER:
            vendor, exp_type = struct.unpack_from("!II", m, 8)
            if vendor == ONF_VENDOR_ID and exp_type == ONFT_BUNDLE_CONTROL:
                bundle_id, bc_type, flags = struct.unpack_from("!IHH", m, 16)
                reply = struct.pack("!IIIHH", vendor, exp_type, bundle_id,
                                    bc_type + 1, flags)
                self.send(msg(OFPT_EXPERIMENTER, reply, xid))
                if bc_type == OFPBCT_OPEN_REQUEST and self.echo_burst:
                    # Echo requests of 64,000 bytes each: their replies
                    # pile up on the controller's side while we read
                    # slowly, beyond its read-pause threshold.
                    for k in range(self.echo_burst):
                        self.send(msg(OFPT_ECHO_REQUEST, bytes(64000),
                                      0x7d000000 + k))
                    self.echoes_sent += self.echo_burst
                    self.echo_burst = 0
                if bc_type == OFPBCT_COMMIT_REQUEST:
                    self.committed = True
        elif mtype == OFPT_BARRIER_REQUEST:
            self.send(msg(OFPT_BARRIER_REPLY, b"", xid))
            if self.committed:
                self.barrier_after_commit = True

    def step(self, budget):
        """Reads at most 'budget' bytes; returns the number read."""
        try:
            data = self.sock.recv(max(1, budget))
        except BlockingIOError:
            return 0
        except ConnectionResetError:
            self.closed = True
            return 0
        if not data:
            self.closed = True
            return 0
        self.bytes_read += len(data)
        self.buf += data
        while len(self.buf) >= 8:
            length = struct.unpack_from("!H", self.buf, 2)[0]
            if length < 8 or len(self.buf) < length:
                break
            m = bytes(self.buf[:length])
            del self.buf[:length]
            self.handle(m)
        return len(data)


def cmd_run(args):
    path, n = args[0], int(args[1])
    opts = dict(zip(args[2::2], args[3::2]))
    rate = float(opts.get("--read-rate", "262144"))
    echo_interval = float(opts.get("--echo-interval", "0.2"))
    hold = float(opts.get("--hold", "3"))
    timeout = float(opts.get("--timeout", "60"))
    echo_burst = int(opts.get("--echo-burst", "0"))
    p = Peer(path, n, rate, echo_interval, echo_burst)
    start = time.time()
    next_echo = start + echo_interval
    done_at = None
    commit_at = None
    tick = 0.05
    while time.time() - start < timeout and not p.closed:
        now = time.time()
        if now >= next_echo:
            # Never silent: an echo request every interval (if it fits).
            if len(p.out) < 4096:
                p.send(msg(OFPT_ECHO_REQUEST, b"", 0x7e000000 + p.echoes_sent))
                p.echoes_sent += 1
            next_echo = now + echo_interval
        p.flush()
        budget = int(rate * tick)
        while budget > 0 and not p.closed:
            got = p.step(budget)
            if not got:
                break
            budget -= got
        if p.barrier_after_commit and done_at is None:
            done_at = commit_at = time.time()
        if done_at is not None and time.time() - done_at >= hold:
            break
        # Sleep out the tick, but keep pushing what we have to send (our
        # send buffer is small): the echo burst reaches the controller in
        # a fraction of a second, not at 16 KiB per tick.
        end = now + tick
        while time.time() < end:
            if p.out and not p.closed:
                p.flush()
            time.sleep(0.002 if p.out else max(0.0, min(tick, end - time.time())))
    elapsed = time.time() - start
    print("read %d bytes in %.1f s; %d echo requests sent, %d replies; "
          "bundle %s; connection %s" % (
              p.bytes_read, elapsed, p.echoes_sent, p.echo_replies,
              "committed after %.1f s" % (commit_at - start) if commit_at
              else "NOT committed",
              "closed by the controller" if p.closed else "open"))
    return 0 if commit_at and not p.closed else 1


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "intent" and len(sys.argv) == 5:
        return cmd_intent(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        return cmd_run(sys.argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
