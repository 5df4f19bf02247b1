#!/usr/bin/python3
"""Crafts and counts frames for the lab's spoofing tests (scapy).

  frames.py arp-reply IFACE ETH_SRC ETH_DST HWSRC PSRC HWDST PDST [COUNT]
  frames.py tagged-arp IFACE ETH_SRC VLAN[,VLAN2] PSRC PDST [COUNT]
      an ARP request in one (or two: double-tagged) 802.1Q tags; VLAN
      "none" sends it untagged
  frames.py sniff-arp IFACE PSRC SECONDS [READY_FILE]
      prints how many ARP packets with sender IP PSRC arrived on IFACE
  frames.py ethertype IFACE ETH_SRC ETH_DST TYPE [COUNT]
      frames of EtherType TYPE (e.g. 0x88b5, neither IPv4 nor ARP)
  frames.py sniff-ethertype IFACE ETH_SRC TYPE SECONDS [READY_FILE]
      prints how many frames of EtherType TYPE from ETH_SRC arrived on IFACE
  frames.py udp-broadcast IFACE ETH_SRC IP_SRC SPORT DPORT [COUNT]
      broadcast UDP datagrams (to 255.255.255.255), e.g. a DHCP discover
      from 0.0.0.0, 68 -> 67
  frames.py sniff-udp IFACE ETH_SRC DPORT SECONDS [READY_FILE]
      prints how many UDP datagrams to DPORT from ETH_SRC arrived on IFACE

The sniff-* commands create READY_FILE, if given, once they capture.
"""
import sys
import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, IP, UDP, Dot1Q, Ether, Raw,  # noqa: E402
                       sendp, sniff)


def count_frames(iface, seconds, keep, ready):
    """Prints how many frames that 'keep' accepts arrive on 'iface' within
    'seconds'; creates file 'ready' (unless None) once capturing."""
    def started():
        if ready:
            open(ready, "w").close()
    print(len(sniff(iface=iface, timeout=seconds, lfilter=keep,
                    started_callback=started)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "arp-reply":
        iface, esrc, edst, hwsrc, psrc, hwdst, pdst = args[:7]
        count = int(args[7]) if len(args) > 7 else 3
        pkt = Ether(src=esrc, dst=edst) / ARP(op=2, hwsrc=hwsrc, psrc=psrc,
                                               hwdst=hwdst, pdst=pdst)
        sendp(pkt, iface=iface, count=count, inter=0.1, verbose=0)
    elif cmd == "tagged-arp":
        iface, esrc, vlans, psrc, pdst = args[:5]
        count = int(args[5]) if len(args) > 5 else 3
        pkt = Ether(src=esrc, dst="ff:ff:ff:ff:ff:ff")
        for v in vlans.split(",") if vlans != "none" else []:
            pkt = pkt / Dot1Q(vlan=int(v))
        pkt = pkt / ARP(op=1, hwsrc=esrc, psrc=psrc, pdst=pdst)
        sendp(pkt, iface=iface, count=count, inter=0.1, verbose=0)
    elif cmd == "sniff-arp":
        iface, psrc, seconds = args[0], args[1], float(args[2])
        count_frames(iface, seconds,
                     lambda p: ARP in p and p[ARP].psrc == psrc,
                     args[3] if len(args) > 3 else None)
    elif cmd == "ethertype":
        iface, esrc, edst, etype = args[:4]
        count = int(args[4]) if len(args) > 4 else 5
        pkt = Ether(src=esrc, dst=edst, type=int(etype, 0)) / Raw(
            b"flowchain other EtherType" * 2)
        sendp(pkt, iface=iface, count=count, inter=0.1, verbose=0)
    elif cmd == "sniff-ethertype":
        iface, esrc, etype, seconds = args[0], args[1], int(args[2], 0), \
            float(args[3])
        count_frames(iface, seconds,
                     lambda p: (Ether in p and p[Ether].type == etype
                                and p[Ether].src == esrc),
                     args[4] if len(args) > 4 else None)
    elif cmd == "udp-broadcast":
        iface, esrc, psrc, sport, dport = args[:5]
        count = int(args[5]) if len(args) > 5 else 5
        pkt = (Ether(src=esrc, dst="ff:ff:ff:ff:ff:ff")
               / IP(src=psrc, dst="255.255.255.255")
               / UDP(sport=int(sport), dport=int(dport))
               / Raw(b"flowchain udp broadcast"))
        sendp(pkt, iface=iface, count=count, inter=0.1, verbose=0)
    elif cmd == "sniff-udp":
        iface, esrc, dport, seconds = args[0], args[1], int(args[2]), \
            float(args[3])
        count_frames(iface, seconds,
                     lambda p: (UDP in p and p[UDP].dport == dport
                                and p[Ether].src == esrc),
                     args[4] if len(args) > 4 else None)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
