/*
 * Stage vlan_in (table 10): every admitted frame leaves this table tagged
 * with its network's VLAN (untagged for the VLAN 0 network), so later
 * tables match the network by dl_vlan alone.
 *
 * - Access vNICs and host adapters: untagged frames get their network's
 *   VLAN pushed; tagged frames drop (no VLAN hopping, no double tags).
 * - Trunk vNICs: untagged frames belong to the native network (the NIC's
 *   'network'); frames tagged with one of its trunk networks' VLANs pass
 *   as they are; other tags drop.
 * - The uplink: only the VLANs the bridge carries (and untagged frames if
 *   it carries the VLAN 0 network).
 */
#include <config.h>

#include "byte-order.h"
#include "models/intent.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "pipelines/pipeline.h"
#include "pipelines/stages.h"

/* Adds the flows admitting frames from local port 'p'. */
static void
vlan_in_port(struct pipeline_ctx *ctx, const struct pipeline_port *p)
{
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    /* Untagged: the access or native network. */
    match_init_catchall(&match);
    match_set_in_port(&match, p->ofp_port);
    match_set_dl_tci_masked(&match, htons(0), htons(VLAN_CFI));
    if (p->network->vlan) {
        ovs_be16 vid = htons(p->network->vlan | VLAN_CFI);

        ofpact_put_PUSH_VLAN(&ofpacts)->ethertype = htons(ETH_TYPE_VLAN);
        ofpact_put_set_field(&ofpacts, mf_from_id(MFF_VLAN_VID), &vid,
                             NULL);
    }
    pipeline_put_goto(&ofpacts, PIPELINE_T_PORT_SECURITY);
    pipeline_add_flow(ctx, PIPELINE_T_VLAN_IN, VLAN_IN_PRIO_ADMIT, &match,
                      p->cookie, &ofpacts);

    /* Tagged: a trunk's networks other than the native one. */
    for (size_t i = 0; i < p->n_trunk_networks; i++) {
        const struct intent_network *net = p->trunk_networks[i];
        if (!pipeline_port_is_trunk_tagged(p, net, i)) {
            continue;
        }
        match_init_catchall(&match);
        match_set_in_port(&match, p->ofp_port);
        pipeline_match_network(&match, net);
        ofpbuf_clear(&ofpacts);
        pipeline_put_goto(&ofpacts, PIPELINE_T_PORT_SECURITY);
        pipeline_add_flow(ctx, PIPELINE_T_VLAN_IN, VLAN_IN_PRIO_ADMIT,
                          &match, p->cookie, &ofpacts);
    }
    ofpbuf_uninit(&ofpacts);
}

/* Adds the vlan_in flows of 'ctx''s bridge. */
void
pipeline_vlan_in(struct pipeline_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_ports; i++) {
        vlan_in_port(ctx, &ctx->ports[i]);
    }

    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    pipeline_put_goto(&ofpacts, PIPELINE_T_PORT_SECURITY);
    for (size_t i = 0; i < ctx->br->n_networks; i++) {
        const struct intent_network *net = ctx->br->networks[i];
        struct match match;

        match_init_catchall(&match);
        match_set_reg(&match, PIPELINE_REG_ROLE, PIPELINE_ROLE_UPLINK);
        pipeline_match_network(&match, net);
        pipeline_add_flow(ctx, PIPELINE_T_VLAN_IN, VLAN_IN_PRIO_ADMIT,
                          &match, htonll(pipeline_cookie_network(net)),
                          &ofpacts);
    }
    ofpbuf_uninit(&ofpacts);

    pipeline_add_miss(ctx, PIPELINE_T_VLAN_IN, false, 0);
}
