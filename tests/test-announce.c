/* Unit tests for controller/announce.c: the gratuitous ARP sent for a VM
 * NIC that arrived on a bridge (live migration). */
#include <config.h>

#include "controller/announce.h"
#include "dp-packet.h"
#include "flow.h"
#include "models/intent.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "tests/unit.h"

/* The packet-out injects into the pipeline, from the NIC's port, an ARP
 * request from the NIC's MAC and IP for its own IP, broadcast. */
static void
test_garp_packet_out(void)
{
    struct intent_nic nic = {
        .port = "tap7",
        .mac = ETH_ADDR_C(02, 00, 00, 00, 65, 02),
        .has_ip = true,
        .ip = htonl(0x0a086502),        /* 10.8.101.2 */
    };
    struct ofpbuf *msg = announce_garp(&nic, u16_to_ofp(7), OFP13_VERSION);
    const struct ofp_header *oh = msg->data;
    enum ofptype type;
    UNIT_CHECK(!ofptype_decode(&type, oh) && type == OFPTYPE_PACKET_OUT);
    UNIT_CHECK(oh->version == OFP13_VERSION);

    struct ofputil_packet_out po;
    uint64_t stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    UNIT_CHECK(!ofputil_decode_packet_out(&po, oh, NULL, &ofpacts));
    UNIT_CHECK(po.buffer_id == UINT32_MAX);
    UNIT_CHECK(po.flow_metadata.flow.in_port.ofp_port == u16_to_ofp(7));

    /* One action: output to the pipeline (OFPP_TABLE). */
    const struct ofpact *a = po.ofpacts;
    UNIT_CHECK(po.ofpacts_len == OFPACT_ALIGN(sizeof(struct ofpact_output)));
    UNIT_CHECK(a->type == OFPACT_OUTPUT
               && ofpact_get_OUTPUT(a)->port == OFPP_TABLE);

    struct dp_packet pkt;
    dp_packet_use_const(&pkt, po.packet, po.packet_len);
    struct flow f;
    flow_extract(&pkt, &f);
    UNIT_CHECK(f.dl_type == htons(ETH_TYPE_ARP));
    UNIT_CHECK(eth_addr_equals(f.dl_src, nic.mac));
    UNIT_CHECK(eth_addr_is_broadcast(f.dl_dst));
    UNIT_CHECK(f.nw_proto == ARP_OP_REQUEST);
    UNIT_CHECK(f.nw_src == nic.ip && f.nw_dst == nic.ip);
    UNIT_CHECK(eth_addr_equals(f.arp_sha, nic.mac));
    UNIT_CHECK(eth_addr_is_zero(f.arp_tha));

    ofpbuf_uninit(&ofpacts);
    ofpbuf_delete(msg);
}

int
main(void)
{
    unit_program = "test-announce";
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_EMER);
    UNIT_RUN(test_garp_packet_out);
    return unit_finish();
}
