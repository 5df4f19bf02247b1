/*
 * Stage vlan_in (table 10): every admitted frame leaves this stage tagged
 * with its network's VLAN (untagged for the VLAN 0 network), so later
 * tables match the network by dl_vlan alone.
 *
 * - Access vNICs and host adapters: untagged frames get their network's
 *   VLAN pushed; tagged frames drop (no VLAN hopping, no double tags).
 *   These ports have no flows in table 10: their one classify flow admits
 *   only untagged frames and pushes the tag itself
 *   (pipeline_vlan_in_local()), which saves a flow and a lookup per port.
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

/* Restricts 'match' to untagged frames and appends to 'ofpacts' the push
 * of network 'net''s VLAN (nothing for the VLAN 0 network). */
static void
vlan_in_untagged(const struct intent_network *net, struct match *match,
                 struct ofpbuf *ofpacts)
{
    match_set_dl_tci_masked(match, htons(0), htons(VLAN_CFI));
    if (net->vlan) {
        ovs_be16 vid = htons(net->vlan | VLAN_CFI);

        ofpact_put_PUSH_VLAN(ofpacts)->ethertype = htons(ETH_TYPE_VLAN);
        ofpact_put_set_field(ofpacts, mf_from_id(MFF_VLAN_VID), &vid, NULL);
    }
}

/* For classify's flow of local port 'p' (its 'match' and, so far, its
 * 'ofpacts'): returns the table that flow goes to.  An access port's
 * frames are admitted there: 'match' is restricted to untagged frames,
 * the push of its network's VLAN is appended to 'ofpacts', and the frames
 * skip vlan_in.  A trunk port's go to vlan_in, which has its flows. */
enum pipeline_table
pipeline_vlan_in_local(const struct pipeline_port *p, struct match *match,
                       struct ofpbuf *ofpacts)
{
    if (p->trunk) {
        return PIPELINE_T_VLAN_IN;
    }
    vlan_in_untagged(p->network, match, ofpacts);
    return PIPELINE_T_PORT_SECURITY;
}

/* Adds the flows admitting frames from trunk port 'p'. */
static void
vlan_in_trunk(struct pipeline_ctx *ctx, const struct pipeline_port *p)
{
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    /* Untagged: the native network. */
    match_init_catchall(&match);
    match_set_in_port(&match, p->ofp_port);
    vlan_in_untagged(p->network, &match, &ofpacts);
    pipeline_put_goto(&ofpacts, PIPELINE_T_PORT_SECURITY);
    pipeline_add_flow(ctx, PIPELINE_T_VLAN_IN, VLAN_IN_PRIO_ADMIT, &match,
                      p->cookie, &ofpacts);

    /* Tagged: its networks other than the native one. */
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
        if (ctx->ports[i].trunk) {
            vlan_in_trunk(ctx, &ctx->ports[i]);
        }
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
