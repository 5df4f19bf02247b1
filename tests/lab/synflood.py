#!/usr/bin/python3
# A TCP SYN flood for the hit-log tests, run inside a VM namespace (scapy:
# run it with /usr/bin/python3):
#
#   synflood.py IFACE SRC-MAC DST-MAC SRC-IP DST-IP DPORT SECONDS
#
# Sends SYNs from SRC-IP, each from a random source port (so each is a new
# connection attempt), to DST-IP:DPORT through IFACE as fast as it can for
# SECONDS, then prints "SENT ELAPSED" (packets, seconds).  Frames carry
# the VM's own MAC and IP, so port security lets them in.
import logging
import sys
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, TCP, RandShort, conf  # noqa: E402


def main(argv):
    if len(argv) != 8:
        sys.stderr.write("usage: synflood.py IFACE SRC-MAC DST-MAC SRC-IP "
                         "DST-IP DPORT SECONDS\n")
        return 2
    iface, smac, dmac, src, dst, dport, secs = argv[1:]
    conf.verb = 0
    pkt = (Ether(src=smac, dst=dmac) / IP(src=src, dst=dst)
           / TCP(sport=RandShort(), dport=int(dport), flags="S"))
    sock = conf.L2socket(iface=iface)
    sent = 0
    t0 = time.time()
    while time.time() - t0 < float(secs):
        for _ in range(50):
            sock.send(pkt)      # RandShort: a new source port each time
            sent += 1
    print(sent, "%.3f" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
