#!/usr/bin/python3
"""A minimal OpenFlow 1.3 controller for role tests (tests/lab/test-ha.sh).

    ofrole.py --listen PATH --generation G [--hold SECS] [--stale G2]

Listens on the unix socket PATH, accepts one switch, says HELLO, asks to be
master with generation ID G and prints the reply; keeps the connection for
SECS seconds (answering echo requests); then, with --stale, asks to be
master again with generation ID G2 and prints whether the switch refused it
as stale.  Exit status 0 if every answer was the expected one: master on the
first request; with --stale, the OFPRRFC_STALE error.
"""
import argparse
import os
import socket
import struct
import sys
import time

OFP13 = 4
T_ERROR, T_ECHO_REQUEST, T_ECHO_REPLY = 1, 2, 3
T_ROLE_REQUEST, T_ROLE_REPLY = 24, 25
ROLE_PRIMARY = 2
ET_ROLE_REQUEST_FAILED, RRFC_STALE = 11, 0


def msg(mtype, xid, body=b""):
    return struct.pack("!BBHI", OFP13, mtype, 8 + len(body), xid) + body


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def recv(self, deadline):
        """Returns (type, xid, body) of the next message, or None."""
        while True:
            if len(self.buf) >= 8:
                _, mtype, length, xid = struct.unpack("!BBHI", self.buf[:8])
                if len(self.buf) >= length:
                    body = self.buf[8:length]
                    self.buf = self.buf[length:]
                    if mtype == T_ECHO_REQUEST:
                        self.sock.sendall(msg(T_ECHO_REPLY, xid, body))
                        continue
                    return mtype, xid, body
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise EOFError("switch closed the connection")
            self.buf += data

    def request(self, mtype, xid, body, timeout=5.0):
        """Sends a request; returns the reply or error with its xid."""
        self.sock.sendall(msg(mtype, xid, body))
        deadline = time.time() + timeout
        while True:
            m = self.recv(deadline)
            if m is None or m[1] == xid:
                return m


def role_request(gen):
    return struct.pack("!I4xQ", ROLE_PRIMARY, gen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--generation", type=int, required=True)
    ap.add_argument("--hold", type=float, default=1.0)
    ap.add_argument("--stale", type=int)
    ap.add_argument("--accept-timeout", type=float, default=20.0)
    args = ap.parse_args()

    if os.path.exists(args.listen):
        os.unlink(args.listen)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(args.listen)
    ls.listen(1)
    ls.settimeout(args.accept_timeout)
    print("ready", flush=True)
    sock, _ = ls.accept()
    ls.close()
    os.unlink(args.listen)
    c = Conn(sock)
    sock.sendall(msg(0, 1))                 # HELLO
    ok = True

    m = c.request(T_ROLE_REQUEST, 2, role_request(args.generation))
    if m and m[0] == T_ROLE_REPLY:
        role, gen = struct.unpack("!I4xQ", m[2][:16])
        print("master request, generation %d: reply role %d, generation %d"
              % (args.generation, role, gen))
        ok = ok and role == ROLE_PRIMARY
    else:
        print("master request, generation %d: no role reply (%r)"
              % (args.generation, m))
        ok = False

    end = time.time() + args.hold
    while c.recv(end) is not None:
        pass

    if args.stale is not None:
        m = c.request(T_ROLE_REQUEST, 3, role_request(args.stale))
        if m and m[0] == T_ERROR:
            etype, code = struct.unpack("!HH", m[2][:4])
            stale = (etype, code) == (ET_ROLE_REQUEST_FAILED, RRFC_STALE)
            print("master request, generation %d: error type %d code %d%s"
                  % (args.stale, etype, code,
                     " (OFPRRFC_STALE)" if stale else ""))
            ok = ok and stale
        else:
            print("master request, generation %d: not refused (%r)"
                  % (args.stale, m and m[0]))
            ok = False
    sock.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
