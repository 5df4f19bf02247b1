#!/bin/bash
# Port security with real frames: a VM that changes its MAC, takes another
# VM's IP, forges an ARP reply, sends 802.1Q-tagged frames on its access
# port, or sends from 0.0.0.0 anything but a DHCP discover reaches
# nothing.  Each attack has a control that shows the same path
# works when the frame is honest, so a pass is not an accident.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

INTENT=$FLOWCHAIN_SRCDIR/examples/scvmm-logical-switch.json
FRAMES="/usr/bin/python3 $LAB_HOME/frames.py"
VM1_MAC=50:6b:8d:00:01:01      # vm101-1 on hv-host01, 10.8.101.1
VM2_MAC=50:6b:8d:00:01:02      # vm101-2 on hv-host02, 10.8.101.2
GW=10.8.101.254

fcd_lab "$INTENT"
t_check "control: vm101-1 reaches vm101-2" ping_ok vm101-1 10.8.101.2

# 1. A changed MAC.
lab_exec vm101-1 ip link set eth0 address 02:de:ad:be:ef:01
lab_exec vm101-1 ip neigh flush dev eth0
t_check "vm101-1 with a forged MAC reaches nothing (peer)" \
    ping_fails vm101-1 10.8.101.2
t_check "vm101-1 with a forged MAC reaches nothing (gateway)" \
    ping_fails vm101-1 "$GW"
lab_exec vm101-1 ip link set eth0 address "$VM1_MAC"
lab_exec vm101-1 ip neigh flush dev eth0
t_check "control: with its own MAC back, vm101-1 reaches vm101-2" \
    ping_ok vm101-1 10.8.101.2

# 2. Another VM's IP (vm101-2's), while vm101-2 is quiet.
lab_exec vm101-1 ip addr del 10.8.101.1/24 dev eth0
lab_exec vm101-1 ip addr add 10.8.101.2/24 dev eth0
lab_exec vm101-1 ip neigh flush dev eth0
t_check "vm101-1 using vm101-2's IP cannot reach the gateway" \
    ping_fails vm101-1 "$GW"
lab_exec vm101-1 ip addr del 10.8.101.2/24 dev eth0
lab_exec vm101-1 ip addr add 10.8.101.1/24 dev eth0
lab_exec vm101-1 ip neigh flush dev eth0
t_check "control: with its own IP back, vm101-1 reaches the gateway" \
    ping_ok vm101-1 "$GW"

# 3. A forged ARP reply: vm101-1 tells vm101-2 that the gateway is at
# vm101-1's MAC.  The victim accepts unsolicited replies (arp_accept) and
# has not updated the entry within the last second (Linux locktime).
lab_exec vm101-2 sysctl -qw net.ipv4.conf.eth0.arp_accept=1
t_check "vm101-2 knows the real gateway" ping_ok vm101-2 "$GW"
gw_mac() { lab_exec vm101-2 ip neigh show "$GW" dev eth0 | awk '{print $3}'; }
real_gw_mac=$(gw_mac)
sleep 1.5
lab_exec vm101-1 $FRAMES arp-reply eth0 "$VM1_MAC" "$VM2_MAC" \
    "$VM1_MAC" "$GW" "$VM2_MAC" 10.8.101.2
sleep 0.5
t_check "a forged ARP reply does not poison vm101-2's cache ($real_gw_mac)" \
    [ "$(gw_mac)" = "$real_gw_mac" ]
# Control: the same frame with vm101-1's own address is delivered and
# learned, so the drop above is port security, not the path.
lab_exec vm101-2 ip neigh flush dev eth0
lab_exec vm101-1 $FRAMES arp-reply eth0 "$VM1_MAC" "$VM2_MAC" \
    "$VM1_MAC" 10.8.101.1 "$VM2_MAC" 10.8.101.2
sleep 0.5
t_check "control: an honest ARP reply from vm101-1 is learned" \
    lab_exec vm101-2 sh -c "ip neigh show 10.8.101.1 dev eth0 | grep -qi $VM1_MAC"

# 4. 802.1Q-tagged frames on an access port (VLAN hopping, double tags).
# vm102-1 (vlan102, same host) listens; the router sends a control frame on
# vlan102 from outside, which must arrive.
rtr_if=$(lab_get router.links.vlan102.iface)
rtr_mac=$(lab_get router.links.vlan102.mac)
lab_exec vm102-1 $FRAMES sniff-arp eth0 10.8.102.77 4 >"$LAB_DIR/sniff-hop" &
sniff1=$!
lab_exec router $FRAMES sniff-arp "$rtr_if" 10.8.102.77 4 >"$LAB_DIR/sniff-rtr" &
sniff2=$!
lab_exec vm102-1 $FRAMES sniff-arp eth0 10.8.102.78 4 >"$LAB_DIR/sniff-ctl" &
sniff3=$!
sleep 1
lab_exec vm101-1 $FRAMES tagged-arp eth0 "$VM1_MAC" 102 10.8.102.77 10.8.102.1
lab_exec vm101-1 $FRAMES tagged-arp eth0 "$VM1_MAC" 101,102 10.8.102.77 10.8.102.1
lab_exec router $FRAMES tagged-arp "$rtr_if" "$rtr_mac" none 10.8.102.78 10.8.102.1
wait $sniff1 $sniff2 $sniff3
echo "    tagged frames seen by vm102-1: $(cat "$LAB_DIR/sniff-hop"), by the" \
     "vlan102 gateway: $(cat "$LAB_DIR/sniff-rtr"); control frames: $(cat "$LAB_DIR/sniff-ctl")"
t_check "control: an untagged frame on vlan102 from the router reaches vm102-1" \
    [ "$(cat "$LAB_DIR/sniff-ctl")" -ge 1 ]
t_check "tagged frames from an access port reach no one on vlan102" \
    eval '[ "$(cat "$LAB_DIR/sniff-hop")" -eq 0 ] &&
          [ "$(cat "$LAB_DIR/sniff-rtr")" -eq 0 ]'
trace=$(lab_trace hv-host01 br-guest "in_port=tap0,dl_src=$VM1_MAC,dl_dst=ff:ff:ff:ff:ff:ff,dl_vlan=102,dl_type=0x0806")
t_check "ofproto/trace: a tagged frame on tap0 is dropped" \
    grep -q "Datapath actions: drop" <<<"$trace"

# 5. From 0.0.0.0 (no address yet) only a DHCP discover (udp 68 -> 67) gets
# through, and only from the VM's own MAC; another EtherType too gets
# through from its own MAC only.  The vlan101 gateway, across the uplink,
# counts what arrives.
FORGED=02:de:ad:be:ef:01
rtr101_if=$(lab_get router.links.vlan101.iface)
sniffers=()
# sniff KIND MAC KEY: counts at the gateway, for 15 s, the frames from MAC
# of KIND udp (to port KEY) or ethertype (EtherType KEY); seen reads the
# count.  Each sniffer creates its ready-* file once it captures.
sniff() {
    lab_exec router $FRAMES "sniff-$1" "$rtr101_if" "$2" "$3" 15 \
        "$LAB_DIR/ready-$1-$2-$3" >"$LAB_DIR/sniff-$1-$2-$3" &
    sniffers+=($!)
}
seen() { cat "$LAB_DIR/sniff-$1-$2-$3"; }
n_ready() { [ "$(ls "$LAB_DIR" | grep -c '^ready-')" -eq "$1" ]; }
sniff udp "$VM1_MAC" 67
sniff udp "$VM1_MAC" 69
sniff udp "$FORGED" 67
sniff ethertype "$VM1_MAC" 0x88b5
sniff ethertype "$FORGED" 0x88b5
t_check "the gateway's five sniffers capture" wait_until 12 n_ready 5
senders=()
send() { lab_exec vm101-1 $FRAMES "$@" & senders+=($!); }
send udp-broadcast eth0 "$VM1_MAC" 0.0.0.0 68 67
send udp-broadcast eth0 "$VM1_MAC" 0.0.0.0 68 69
send udp-broadcast eth0 "$FORGED" 0.0.0.0 68 67
send ethertype eth0 "$VM1_MAC" ff:ff:ff:ff:ff:ff 0x88b5
send ethertype eth0 "$FORGED" ff:ff:ff:ff:ff:ff 0x88b5
wait "${senders[@]}"
wait "${sniffers[@]}"
echo "    at the gateway: discovers $(seen udp "$VM1_MAC" 67) (forged MAC:" \
     "$(seen udp "$FORGED" 67)), to port 69 $(seen udp "$VM1_MAC" 69);" \
     "EtherType 0x88b5 $(seen ethertype "$VM1_MAC" 0x88b5) (forged MAC:" \
     "$(seen ethertype "$FORGED" 0x88b5))"
t_check "a DHCP discover from 0.0.0.0 reaches the gateway" \
    [ "$(seen udp "$VM1_MAC" 67)" -ge 5 ]
t_check "other UDP from 0.0.0.0 reaches nothing" \
    [ "$(seen udp "$VM1_MAC" 69)" -eq 0 ]
t_check "the same discover from a forged MAC reaches nothing" \
    [ "$(seen udp "$FORGED" 67)" -eq 0 ]
t_check "another EtherType from its own MAC reaches the gateway" \
    [ "$(seen ethertype "$VM1_MAC" 0x88b5)" -ge 5 ]
t_check "another EtherType from a forged MAC reaches nothing" \
    [ "$(seen ethertype "$FORGED" 0x88b5)" -eq 0 ]
trace=$(lab_trace hv-host01 br-guest "in_port=tap0,dl_src=$VM1_MAC,dl_dst=ff:ff:ff:ff:ff:ff,udp,nw_src=0.0.0.0,nw_dst=255.255.255.255,udp_src=68,udp_dst=69")
t_check "ofproto/trace: UDP 68 -> 69 from 0.0.0.0 is dropped" \
    grep -q "Datapath actions: drop" <<<"$trace"
t_done
