#!/usr/bin/python3
# TCP endpoints for the lab (run inside a lab namespace: lab.py exec NAME ...).
#
#   tcpsess.py server [--lifetime S] PORT...
#       Listens on every PORT (all addresses) and echoes every byte back,
#       any number of clients at a time.
#   tcpsess.py client [--lifetime S] [--patience S] IP PORT FILE
#       A long-lived session: connects, then sends a line every 100 ms and
#       expects its echo within 1 s (or --patience S).  FILE (replaced
#       atomically, one line):
#         "up T"                 connected at wall-clock time T
#         "ok N T"               N echoes so far, the last one at T
#                                (rewritten after every echo)
#         "broken T LAST REASON" noticed at T that the session is dead (an
#                                echo late by 1 s or S, a reset, a close); LAST
#                                is the time of the last echo (or of the
#                                connect); then the client exits with 1.
#       Times are seconds since the epoch with 3 decimals.
#
# Both exit by themselves after --lifetime seconds (default 900), so nothing
# outlives a test even if its namespace is gone.  Python standard library.
import os
import signal
import socket
import sys
import threading
import time


def write(path, text):
    """Replaces 'path' with the line 'text' (atomic for readers).  Exits
    quietly if the directory is gone (the test is over)."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except FileNotFoundError:
        os._exit(1)


def echo(conn):
    """Echoes what 'conn' sends until it closes."""
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    conn.close()


def accept_loop(s):
    """Accepts connections on listening socket 's' forever, one echo
    thread each."""
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def serve(ports):
    """Listens on every port of 'ports'; returns only on error."""
    for p in ports:
        # Bind here, in the main thread, so that an error shows at once.
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", p))
        s.listen(64)
        threading.Thread(target=accept_loop, args=(s,), daemon=True).start()
    while True:
        time.sleep(3600)


def client(ip, port, path, patience=1.0):
    """The long-lived session to ip:port, each echo awaited at most
    'patience' seconds; returns the exit status."""
    try:
        c = socket.create_connection((ip, port), timeout=3)
    except OSError as e:
        now = time.time()
        write(path, "broken %.3f %.3f connect: %s" % (now, now, e))
        return 1
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.settimeout(patience)
    last = time.time()
    write(path, "up %.3f" % last)
    n = 0
    while True:
        try:
            c.sendall(b"x\n")
            got = b""
            while not got.endswith(b"\n"):
                part = c.recv(64)
                if not part:
                    raise OSError("closed by the peer")
                got += part
        except OSError as e:
            write(path, "broken %.3f %.3f %s" % (time.time(), last,
                                                 e or "timed out"))
            return 1
        n += 1
        last = time.time()
        write(path, "ok %d %.3f" % (n, last))
        time.sleep(0.1)


def main(argv):
    lifetime = 900
    if len(argv) > 2 and argv[2] == "--lifetime":
        lifetime = int(argv[3])
        argv = argv[:2] + argv[4:]
    patience = 1.0
    if len(argv) > 2 and argv[2] == "--patience":
        patience = float(argv[3])
        argv = argv[:2] + argv[4:]
    signal.alarm(lifetime)
    if len(argv) >= 3 and argv[1] == "server":
        serve([int(p) for p in argv[2:]])
    elif len(argv) == 5 and argv[1] == "client":
        return client(argv[2], int(argv[3]), argv[4], patience)
    sys.stderr.write("usage: tcpsess.py server [--lifetime S] PORT...\n"
                     "       tcpsess.py client [--lifetime S] [--patience S] IP PORT "
                     "FILE\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
