/* Gratuitous ARP for VM NICs that became active on a bridge (announce.h). */
#include <config.h>

#include "controller/announce.h"

#include "controller/ofsession.h"
#include "dp-packet.h"
#include "models/intent.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "sset.h"

struct ofpbuf *
announce_garp(const struct intent_nic *nic, ofp_port_t in_port,
              enum ofp_version version)
{
    struct dp_packet *pkt = dp_packet_new(64);
    compose_arp(pkt, ARP_OP_REQUEST, nic->mac, eth_addr_zero, true,
                nic->ip, nic->ip);

    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts;
    ofpbuf_use_stub(&ofpacts, stub, sizeof stub);
    ofpact_put_OUTPUT(&ofpacts)->port = OFPP_TABLE;

    struct ofputil_packet_out po = {
        .packet = dp_packet_data(pkt),
        .packet_len = dp_packet_size(pkt),
        .buffer_id = UINT32_MAX,
        .ofpacts = ofpacts.data,
        .ofpacts_len = ofpacts.size,
    };
    match_init_catchall(&po.flow_metadata);
    match_set_in_port(&po.flow_metadata, in_port);
    struct ofpbuf *msg = ofputil_encode_packet_out(
        &po, ofputil_protocol_from_ofp_version(version));
    ofpbuf_uninit(&ofpacts);
    dp_packet_delete(pkt);
    return msg;
}

void
announce_active_nics(const struct intent_bridge *br,
                     const struct ofsession *s,
                     bool (*placed)(const struct intent_nic *,
                                    const struct intent_bridge *, void *),
                     void *aux, struct sset *active)
{
    for (size_t i = 0; i < br->n_nics; i++) {
        const struct intent_nic *nic = br->nics[i];
        if (!nic->has_ip || nic->mode != INTENT_NIC_ACCESS
            || !placed(nic, br, aux)) {
            continue;
        }
        const struct ofputil_phy_port *pp = ofsession_find_port(s, nic->port);
        if (pp && ofsession_port_is_live(pp)) {
            sset_add(active, nic->port);
        }
    }
}
