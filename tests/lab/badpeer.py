#!/usr/bin/python3
"""Plays a misbehaving OpenFlow peer against flowchaind and reports whether
the controller closed the connection.

usage: badpeer.py MODE HOST PORT [TIMEOUT]
MODE: garbage | hello10 | short65535 | noread
Exit 0 and "closed: ..." if the controller closed the connection within
TIMEOUT seconds (default 20), 1 otherwise.
"""
import socket
import struct
import sys
import time

OFPT_HELLO, OFPT_ERROR, OFPT_ECHO_REQUEST = 0, 1, 2


def header(version, msg_type, length, xid=1):
    return struct.pack("!BBHI", version, msg_type, length, xid)


def hello13():
    # HELLO with a version bitmap element offering 1.3 only.
    elem = struct.pack("!HHI", 1, 8, 1 << 4)
    return header(4, OFPT_HELLO, 8 + len(elem)) + elem


def wait_closed(sock, deadline, seen):
    """Reads until EOF/reset or the deadline; returns True on close."""
    while time.time() < deadline:
        sock.settimeout(max(0.1, deadline - time.time()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        if not data:
            return True
        seen.extend(data)
    return False


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
    sock = socket.create_connection((host, port), timeout=5)
    start = time.time()
    deadline = start + timeout
    seen = bytearray()

    if mode == "garbage":
        sock.sendall(b"GET / HTTP/1.1\r\nHost: flowchain\r\n\r\n" * 4)
        closed = wait_closed(sock, deadline, seen)
    elif mode == "hello10":
        sock.sendall(header(1, OFPT_HELLO, 8))
        closed = wait_closed(sock, deadline, seen)
        # The controller must have said why: an OFPT_ERROR of type
        # HELLO_FAILED (0) after its own HELLO.
        types = []
        ofs = 0
        while ofs + 8 <= len(seen):
            _, t, length, _ = struct.unpack_from("!BBHI", seen, ofs)
            if length < 8:
                break
            types.append((t, bytes(seen[ofs + 8:ofs + 10])))
            ofs += length
        if not any(t == OFPT_ERROR and body == b"\x00\x00"
                   for t, body in types):
            print("no HELLO_FAILED error received (got types %s)"
                  % [t for t, _ in types])
            closed = False
    elif mode == "short65535":
        sock.sendall(hello13())
        sock.sendall(header(4, OFPT_ECHO_REQUEST, 65535) + b"x" * 20)
        closed = wait_closed(sock, deadline, seen)
    elif mode == "noread":
        # Finish nothing, read nothing: send HELLO and a stream of large
        # echo requests whose replies pile up on the controller's side.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(hello13())
        payload = b"e" * 60000
        msg = header(4, OFPT_ECHO_REQUEST, 8 + len(payload)) + payload
        sock.settimeout(1.0)
        closed = False
        while time.time() < deadline:
            try:
                sock.sendall(msg)
            except socket.timeout:
                time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            # Peek without consuming whether the controller hung up.
            try:
                sock.setblocking(False)
                data = sock.recv(1, socket.MSG_PEEK)
                if data == b"":
                    closed = True
                    break
            except BlockingIOError:
                pass
            except ConnectionResetError:
                closed = True
                break
            finally:
                sock.settimeout(1.0)
    else:
        print("unknown mode %s" % mode)
        return 2

    elapsed = time.time() - start
    if closed:
        print("closed: %s after %.1f s" % (mode, elapsed))
        return 0
    print("NOT closed: %s after %.1f s" % (mode, elapsed))
    return 1


if __name__ == "__main__":
    sys.exit(main())
