/*
 * Stage l2_forward (table 50): (VLAN, destination MAC) -> output, written
 * to reg2 for egress.  Proactive: the intent knows every local MAC, so
 * nothing is learned.
 *
 * - A local port's MAC on each of its networks: reg2 = its port number.
 * - Unknown unicast from a local port: reg2 = the uplink (if the bridge
 *   carries the network).  Unknown unicast from the uplink: drop (the
 *   destination is not here, and sending it back out would loop).
 * - Broadcast and multicast: a per-VLAN flood group.  Two per VLAN, so
 *   that frames from the uplink never go back to it: "from local" (every
 *   local member of the VLAN plus the uplink) and "from uplink" (the local
 *   members only).  A bucket sets reg2 and resubmits to microseg_in, so
 *   each copy goes through the destination-side stages and egress like a
 *   unicast frame would.  OVS never outputs to the ingress port, so the
 *   sender's own bucket sends nothing.
 */
#include <config.h>

#include <stdlib.h>

#include "byte-order.h"
#include "flow.h"
#include "models/intent.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/stages.h"

/* Appends to 'g' a bucket delivering a copy to output 'out' (a reg2
 * value). */
static void
l2_add_bucket(struct flowset_group *g, uint32_t out)
{
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct ofpact_resubmit *resubmit;

    pipeline_put_load_reg(&ofpacts, PIPELINE_REG_OUT, out);
    resubmit = ofpact_put_RESUBMIT(&ofpacts);
    resubmit->in_port = OFPP_IN_PORT;
    resubmit->table_id = PIPELINE_T_MICROSEG_IN;
    flowset_group_add_bucket(g, OFPP_ANY, ofpacts.data, ofpacts.size);
    ofpbuf_uninit(&ofpacts);
}

static int
l2_compare_ports(const void *a_, const void *b_)
{
    const uint32_t *a = a_, *b = b_;
    return *a < *b ? -1 : *a > *b;
}

/* Adds the flood group 'group_id' for 'net' (every local member, plus the
 * uplink if 'with_uplink') and the flow in l2_forward that sends
 * multicast of 'net' to it at 'priority' (from the uplink only, if
 * 'from_uplink').  The members' buckets are in port number order, so that
 * the group depends on which ports are members, not on the order of the
 * VMs in the intent (which a partial compile may not see change). */
static void
l2_flood(struct pipeline_ctx *ctx, const struct intent_network *net,
         uint32_t group_id, bool with_uplink, bool from_uplink,
         uint16_t priority)
{
    const struct pipeline_members *members = &ctx->members_of[net->index];
    struct flowset_group *g = flowset_add_group(ctx->out, group_id,
                                                OFPGT11_ALL);
    uint32_t *outs = xmalloc(MAX(members->n, 1) * sizeof *outs);
    for (size_t i = 0; i < members->n; i++) {
        outs[i] = ofp_to_u16(ctx->ports[members->ports[i]].ofp_port);
    }
    qsort(outs, members->n, sizeof *outs, l2_compare_ports);
    for (size_t i = 0; i < members->n; i++) {
        l2_add_bucket(g, outs[i]);
    }
    free(outs);
    if (with_uplink) {
        l2_add_bucket(g, PIPELINE_OUT_UPLINK);
    }

    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    match_init_catchall(&match);
    if (from_uplink) {
        match_set_reg(&match, PIPELINE_REG_ROLE, PIPELINE_ROLE_UPLINK);
    }
    pipeline_match_network(&match, net);
    pipeline_match_multicast(&match, true);
    ofpact_put_GROUP(&ofpacts)->group_id = group_id;
    pipeline_add_flow(ctx, PIPELINE_T_L2_FORWARD, priority, &match,
                      htonll(pipeline_cookie_network(net)), &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Adds the flows and groups of network 'net' on 'ctx''s bridge. */
static void
l2_network(struct pipeline_ctx *ctx, const struct intent_network *net)
{
    bool carried = pipeline_network_carried(ctx, net);
    bool has_local = ctx->members_of[net->index].n > 0;

    /* A partial compile that leaves out the network's flows leaves out its
     * flood groups too: they depend on the same ports. */
    if (has_local
        && !pipeline_skips_cookie(ctx,
                                  htonll(pipeline_cookie_network(net)))) {
        l2_flood(ctx, net, pipeline_group_flood_local(net->vlan), carried,
                 false, L2_PRIO_FLOOD);
        if (carried) {
            l2_flood(ctx, net, pipeline_group_flood_uplink(net->vlan),
                     false, true, L2_PRIO_FLOOD_FROM_UPLINK);
        }
    }

    if (carried) {
        uint64_t stub[64 / 8];
        struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
        struct match match;

        match_init_catchall(&match);
        pipeline_match_network(&match, net);
        pipeline_match_multicast(&match, false);
        pipeline_put_load_reg(&ofpacts, PIPELINE_REG_OUT,
                              PIPELINE_OUT_UPLINK);
        pipeline_put_goto(&ofpacts, PIPELINE_T_MICROSEG_IN);
        pipeline_add_flow(ctx, PIPELINE_T_L2_FORWARD, L2_PRIO_TO_UPLINK,
                          &match, htonll(pipeline_cookie_network(net)),
                          &ofpacts);
        ofpbuf_uninit(&ofpacts);
    }
}

/* Adds the unicast flow delivering frames of 'net' for 'p''s MAC to
 * 'p'. */
static void
l2_unicast(struct pipeline_ctx *ctx, const struct pipeline_port *p,
           const struct intent_network *net)
{
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    pipeline_put_load_reg(&ofpacts, PIPELINE_REG_OUT,
                          ofp_to_u16(p->ofp_port));
    pipeline_put_goto(&ofpacts, PIPELINE_T_MICROSEG_IN);
    match_init_catchall(&match);
    pipeline_match_network(&match, net);
    match_set_dl_dst(&match, p->mac);
    pipeline_add_flow(ctx, PIPELINE_T_L2_FORWARD, L2_PRIO_UNICAST, &match,
                      p->cookie, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Adds the unicast flows of local port 'p': its MAC on each of its
 * networks. */
static void
l2_port(struct pipeline_ctx *ctx, const struct pipeline_port *p)
{
    l2_unicast(ctx, p, p->network);
    for (size_t i = 0; i < p->n_trunk_networks; i++) {
        const struct intent_network *net = p->trunk_networks[i];
        if (pipeline_port_is_trunk_tagged(p, net, i)) {
            l2_unicast(ctx, p, net);
        }
    }
}

/* Adds the l2_forward flows and flood groups of 'ctx''s bridge. */
void
pipeline_l2_forward(struct pipeline_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_ports; i++) {
        if (!pipeline_skips_cookie(ctx, ctx->ports[i].cookie)) {
            l2_port(ctx, &ctx->ports[i]);
        }
    }
    for (size_t i = 0; i < ctx->n_nets; i++) {
        l2_network(ctx, ctx->nets[i]);
    }

    /* Unknown unicast from the uplink. */
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    match_init_catchall(&match);
    match_set_reg(&match, PIPELINE_REG_ROLE, PIPELINE_ROLE_UPLINK);
    pipeline_match_multicast(&match, false);
    pipeline_add_flow(ctx, PIPELINE_T_L2_FORWARD, L2_PRIO_UPLINK_UNKNOWN,
                      &match, ctx->uplink_cookie, &ofpacts);
    ofpbuf_uninit(&ofpacts);

    pipeline_add_miss(ctx, PIPELINE_T_L2_FORWARD, false, 0);
}
