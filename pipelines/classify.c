/*
 * Stage classify (table 0): the ingress port decides the role.
 *
 * A vNIC or host adapter port the switch has sets reg0 to its role and
 * goes on to vlan_in; on a balance-slb bond's bridge it also loads into
 * reg8 the member the port is pinned to.  Uplink members are the bond
 * logic's business (bond.c): which member accepts, which drops.
 * Everything else (a port the intent does not know) drops at the table
 * miss.
 */
#include <config.h>

#include "openvswitch/ofpbuf.h"
#include "pipelines/pipeline.h"
#include "pipelines/stages.h"

/* Adds the classify flows of 'ctx''s bridge. */
void
pipeline_classify(struct pipeline_ctx *ctx)
{
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);

    for (size_t i = 0; i < ctx->n_ports; i++) {
        const struct pipeline_port *p = &ctx->ports[i];
        struct match match;

        if (pipeline_skips_cookie(ctx, p->cookie)) {
            continue;
        }
        match_init_catchall(&match);
        match_set_in_port(&match, p->ofp_port);
        ofpbuf_clear(&ofpacts);
        pipeline_put_load_reg(&ofpacts, PIPELINE_REG_ROLE, p->role);
        pipeline_bond_put_pin(ctx, p, &ofpacts);
        pipeline_put_goto(&ofpacts, PIPELINE_T_VLAN_IN);
        pipeline_add_flow(ctx, PIPELINE_T_CLASSIFY, CLASSIFY_PRIO_LOCAL,
                          &match, p->cookie, &ofpacts);
    }
    ofpbuf_uninit(&ofpacts);

    pipeline_bond_classify(ctx);
    pipeline_add_miss(ctx, PIPELINE_T_CLASSIFY, false, 0);
}
