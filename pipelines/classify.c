/*
 * Stage classify (table 0): the ingress port decides the role.
 *
 * A vNIC or host adapter port the switch has is admitted by one flow,
 * which matches its port and its own source MAC (a port may send only
 * from its MAC: port_security relies on this check), sets reg0 to its
 * role and, on a balance-slb bond's bridge, loads into reg8 the member
 * the port is pinned to.  An access port's flow also admits only untagged
 * frames and pushes its network's VLAN, and goes straight on to
 * port_security; a trunk's goes on to vlan_in (vlan_in.c).  Uplink
 * members are the bond logic's business (bond.c): which member accepts,
 * which drops.  Everything else (a port the intent does not know, a
 * foreign source MAC, a tagged frame from an access port) drops at the
 * table miss, or on a balance-slb bridge at the reflection filter of the
 * port's MAC.
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
        match_set_dl_src(&match, p->mac);
        ofpbuf_clear(&ofpacts);
        pipeline_put_load_reg(&ofpacts, PIPELINE_REG_ROLE, p->role);
        pipeline_bond_put_pin(ctx, p, &ofpacts);
        enum pipeline_table next = pipeline_vlan_in_local(p, &match,
                                                          &ofpacts);
        pipeline_put_goto(&ofpacts, next);
        pipeline_add_flow(ctx, PIPELINE_T_CLASSIFY, CLASSIFY_PRIO_LOCAL,
                          &match, p->cookie, &ofpacts);
    }
    ofpbuf_uninit(&ofpacts);

    pipeline_bond_classify(ctx);
    pipeline_add_miss(ctx, PIPELINE_T_CLASSIFY, false, 0);
}
