/*
 * Stage egress (table 60): reg2 -> the wire.
 *
 * - A local port: frames of its access / native network leave untagged
 *   (pop_vlan, except for the VLAN 0 network which never had a tag);
 *   frames of a trunk's other networks leave tagged.  The match includes
 *   the VLAN, so a frame of another network can never leave through the
 *   port even if a stage set reg2 wrongly.
 * - The uplink (reg2 = PIPELINE_OUT_UPLINK): through the bond logic
 *   (bond.c), tag kept.
 */
#include <config.h>

#include "flow.h"
#include "models/intent.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "pipelines/pipeline.h"
#include "pipelines/stages.h"

/* Adds the egress flow of 'p' for network 'net', popping the tag if
 * 'pop'. */
static void
egress_add(struct pipeline_ctx *ctx, const struct pipeline_port *p,
           const struct intent_network *net, bool pop)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    match_init_catchall(&match);
    match_set_reg(&match, PIPELINE_REG_OUT, ofp_to_u16(p->ofp_port));
    pipeline_match_network(&match, net);
    if (pop) {
        ofpact_put_STRIP_VLAN(&ofpacts);
    }
    ofpact_put_OUTPUT(&ofpacts)->port = p->ofp_port;
    pipeline_add_flow(ctx, PIPELINE_T_EGRESS, EGRESS_PRIO_OUTPUT, &match,
                      p->cookie, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Adds the egress flows of 'ctx''s bridge. */
void
pipeline_egress(struct pipeline_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_ports; i++) {
        const struct pipeline_port *p = &ctx->ports[i];

        if (pipeline_skips_cookie(ctx, p->cookie)) {
            continue;
        }
        egress_add(ctx, p, p->network, p->network->vlan != 0);
        for (size_t j = 0; j < p->n_trunk_networks; j++) {
            const struct intent_network *net = p->trunk_networks[j];
            if (pipeline_port_is_trunk_tagged(p, net, j)) {
                egress_add(ctx, p, net, false);
            }
        }
    }
    pipeline_bond_egress(ctx);
    pipeline_add_miss(ctx, PIPELINE_T_EGRESS, false, 0);
}
