/*
 * The uplink bond, implemented in the pipeline over plain member ports:
 * an OpenFlow output to one member of an OVS bond leaves through that
 * member only, so OVS's own bond logic never applies to our flows.
 *
 * active-backup: egress sends uplink traffic to a fast-failover group
 * (PIPELINE_GROUP_BOND) with one bucket per member, watching that member:
 * the primary first, then file order; the switch fails over by itself, at
 * link speed.  classify accepts uplink frames only on the active member,
 * the first live member in that same order; frames on the others drop.
 * The controller recompiles on PORT_STATUS, so the accept rule follows.
 *
 * balance-slb: each local source MAC is pinned to one live member.  Its
 * home member is members[hash(MAC) % n_members] (file order); if the home
 * is down, live[hash(MAC) % n_live] instead.  So a member going down moves
 * only the MACs pinned to it, and they come back when it does.  A local
 * port sends only from its own MAC (port_security), so the pin is loaded
 * into reg8 by the port's classify flow, which every frame from it passes,
 * and one egress flow outputs uplink frames to the member in reg8: no flow
 * per MAC in egress.  classify
 * accepts unicast on every live member but broadcast / multicast only on
 * the first live member (the physical switch floods to every member), and
 * drops frames whose source MAC is local (our own frames reflected back:
 * accepting them would teach nothing but loops).
 *
 * lacp: the controller runs LACP (controller/lacp.c) and passes each
 * member's state in the port map (portmap_set_lacp()).  classify sends
 * slow-protocol frames (LACPDUs) arriving on any member to the controller,
 * above everything else.  While some member has a partner, egress sends
 * uplink traffic to a select group (PIPELINE_GROUP_BOND) with one bucket
 * per live distributing member, which the switch hashes by L2-L4 fields
 * (balance-tcp), and classify accepts uplink frames only on live
 * collecting members.  While no member has a partner ("fallback"), the bond
 * compiles exactly like active-backup if lacp_fallback is "active-backup";
 * with "none", no member carries traffic (an empty select group, and
 * classify drops everything but LACPDUs).
 */
#include <config.h>

#include <string.h>
#include "byte-order.h"
#include "flow.h"
#include "models/intent.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "pipelines/stages.h"
#include "util.h"

#define FNV1A64_OFFSET 0xcbf29ce484222325ULL
#define FNV1A64_PRIME 0x100000001b3ULL

/* Returns true if 'ctx''s bridge runs LACP and at least one member has a
 * partner: the LACP forwarding applies, not the fallback. */
static bool
bond_lacp_aggregated(const struct pipeline_ctx *ctx)
{
    if (ctx->br->uplink.mode != INTENT_BOND_LACP) {
        return false;
    }
    for (size_t i = 0; i < ctx->n_members; i++) {
        if (ctx->members[i]->lacp_partner) {
            return true;
        }
    }
    return false;
}

/* Returns true if 'ctx''s bridge is an LACP bond without partner whose
 * fallback is "none": nothing is forwarded. */
static bool
bond_lacp_blocked(const struct pipeline_ctx *ctx)
{
    return (ctx->br->uplink.mode == INTENT_BOND_LACP
            && ctx->br->uplink.lacp_fallback == INTENT_LACP_FALLBACK_NONE
            && !bond_lacp_aggregated(ctx));
}

bool
pipeline_bond_in_fallback(const struct intent_bridge *br,
                          const struct portmap *ports)
{
    const struct intent_uplink *up = &br->uplink;
    if (up->mode != INTENT_BOND_LACP) {
        return false;
    }
    for (size_t i = 0; i < up->n_members; i++) {
        const struct portmap_port *m = portmap_find(ports, up->members[i]);
        if (m && m->lacp_partner) {
            return false;
        }
    }
    return true;
}

/* Returns true if 'ctx''s bridge pins source MACs (balance-slb). */
static bool
bond_is_slb(const struct pipeline_ctx *ctx)
{
    return ctx->br->uplink.mode == INTENT_BOND_BALANCE_SLB;
}

/* Returns the first live member of 'ctx''s bond in bond order, or NULL if
 * none is live: the active member (active-backup) or the one accepting
 * multicast (balance-slb). */
static const struct portmap_port *
bond_first_live(const struct pipeline_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_members; i++) {
        if (ctx->members[i]->live) {
            return ctx->members[i];
        }
    }
    return NULL;
}

/* Returns the 64-bit FNV-1a hash of 'mac''s six bytes. */
static uint64_t
bond_hash_mac(struct eth_addr mac)
{
    uint64_t hash = FNV1A64_OFFSET;
    for (size_t i = 0; i < sizeof mac.ea; i++) {
        hash ^= mac.ea[i];
        hash *= FNV1A64_PRIME;
    }
    return hash;
}

/* Returns the member that source MAC 'mac' is pinned to on 'ctx''s
 * balance-slb bond, or NULL if no member is live. */
const struct portmap_port *
pipeline_bond_slb_member(const struct pipeline_ctx *ctx, struct eth_addr mac)
{
    size_t n_live = 0;
    for (size_t i = 0; i < ctx->n_members; i++) {
        n_live += ctx->members[i]->live;
    }
    if (!n_live) {
        return NULL;
    }

    uint64_t hash = bond_hash_mac(mac);
    const struct portmap_port *home = ctx->members[hash % ctx->n_members];
    if (home->live) {
        return home;
    }

    size_t k = hash % n_live;
    for (size_t i = 0; i < ctx->n_members; i++) {
        if (ctx->members[i]->live && !k--) {
            return ctx->members[i];
        }
    }
    OVS_NOT_REACHED();
}

/* Appends to 'ofpacts' (the actions of local port 'p''s classify flow) the
 * load of the member that 'p''s MAC is pinned to into PIPELINE_REG_PIN, if
 * 'ctx''s bridge has a balance-slb bond with a live member; nothing
 * otherwise. */
void
pipeline_bond_put_pin(const struct pipeline_ctx *ctx,
                      const struct pipeline_port *p, struct ofpbuf *ofpacts)
{
    if (bond_is_slb(ctx)) {
        const struct portmap_port *m = pipeline_bond_slb_member(ctx, p->mac);
        if (m) {
            pipeline_put_load_reg(ofpacts, PIPELINE_REG_PIN,
                                  ofp_to_u16(m->ofp_port));
        }
    }
}

/* Adds a classify flow for uplink member 'm' at 'priority' matching
 * 'match': accept (reg0 = uplink, on to vlan_in) if 'accept', else drop. */
static void
bond_add_classify(struct pipeline_ctx *ctx, uint16_t priority,
                  const struct match *match, bool accept)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);

    if (accept) {
        pipeline_put_load_reg(&ofpacts, PIPELINE_REG_ROLE,
                              PIPELINE_ROLE_UPLINK);
        pipeline_put_goto(&ofpacts, PIPELINE_T_VLAN_IN);
    }
    pipeline_add_flow(ctx, PIPELINE_T_CLASSIFY, priority, match,
                      ctx->uplink_cookie, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Adds, for LACP, the flow that sends the slow-protocol frames arriving
 * on member 'm' to the controller. */
static void
bond_add_lacp_punt(struct pipeline_ctx *ctx, const struct portmap_port *m)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    match_init_catchall(&match);
    match_set_in_port(&match, m->ofp_port);
    match_set_dl_type(&match, htons(ETH_TYPE_LACP));
    match_set_dl_dst(&match, eth_addr_lacp);

    struct ofpact_controller *oc = ofpact_put_CONTROLLER(&ofpacts);
    oc->max_len = UINT16_MAX;
    oc->controller_id = 0;
    oc->reason = OFPR_ACTION;
    oc->provider_meter_id = UINT32_MAX;
    ofpact_finish_CONTROLLER(&ofpacts, &oc);

    pipeline_add_flow(ctx, PIPELINE_T_CLASSIFY, CLASSIFY_PRIO_LACP, &match,
                      ctx->uplink_cookie, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Returns true if classify accepts uplink frames on member 'm'; 'first' is
 * the first live member. */
static bool
bond_accepts(const struct pipeline_ctx *ctx, const struct portmap_port *m,
             const struct portmap_port *first)
{
    if (bond_is_slb(ctx)) {
        return m->live;
    } else if (bond_lacp_aggregated(ctx)) {
        return m->live && m->lacp_collecting;
    } else if (bond_lacp_blocked(ctx)) {
        return false;
    } else {
        return m == first;
    }
}

/* Adds the classify flows of the uplink members (and, for balance-slb,
 * the reflection filter; for LACP, the LACPDU punt). */
void
pipeline_bond_classify(struct pipeline_ctx *ctx)
{
    const struct portmap_port *first = bond_first_live(ctx);
    bool slb = bond_is_slb(ctx);
    bool lacp = ctx->br->uplink.mode == INTENT_BOND_LACP;
    uint64_t stub[64 / 8];
    struct ofpbuf drop = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    if (slb) {
        /* Our own source MACs coming back from the physical network. */
        for (size_t i = 0; i < ctx->n_ports; i++) {
            const struct pipeline_port *p = &ctx->ports[i];

            match_init_catchall(&match);
            match_set_dl_src(&match, p->mac);
            pipeline_add_flow(ctx, PIPELINE_T_CLASSIFY,
                              CLASSIFY_PRIO_REFLECTION, &match, p->cookie,
                              &drop);
        }
    }

    for (size_t i = 0; i < ctx->n_members; i++) {
        const struct portmap_port *m = ctx->members[i];

        match_init_catchall(&match);
        match_set_in_port(&match, m->ofp_port);
        bond_add_classify(ctx, CLASSIFY_PRIO_UPLINK, &match,
                          bond_accepts(ctx, m, first));
        if (lacp) {
            bond_add_lacp_punt(ctx, m);
        }

        if (slb && m->live && m != first) {
            pipeline_match_multicast(&match, true);
            bond_add_classify(ctx, CLASSIFY_PRIO_UPLINK_MCAST, &match,
                              false);
        }
    }
    ofpbuf_uninit(&drop);
}

/* Adds the egress flows (and, for active-backup, the fast-failover group;
 * for LACP, the select group) sending reg2 = PIPELINE_OUT_UPLINK to the
 * bond. */
void
pipeline_bond_egress(struct pipeline_ctx *ctx)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    if (!ctx->n_members) {
        return;
    }

    if (!bond_is_slb(ctx)) {
        bool aggregated = bond_lacp_aggregated(ctx);
        bool blocked = bond_lacp_blocked(ctx);
        struct flowset_group *g = flowset_add_group(
            ctx->out, PIPELINE_GROUP_BOND,
            aggregated || blocked ? OFPGT11_SELECT : OFPGT11_FF);
        for (size_t i = 0; i < ctx->n_members; i++) {
            const struct portmap_port *m = ctx->members[i];
            if (blocked
                || (aggregated && !(m->live && m->lacp_distributing))) {
                continue;
            }

            ofpbuf_clear(&ofpacts);
            ofpact_put_OUTPUT(&ofpacts)->port = m->ofp_port;
            flowset_group_add_bucket(g, m->ofp_port, ofpacts.data,
                                     ofpacts.size);
        }

        match_init_catchall(&match);
        match_set_reg(&match, PIPELINE_REG_OUT, PIPELINE_OUT_UPLINK);
        ofpbuf_clear(&ofpacts);
        ofpact_put_GROUP(&ofpacts)->group_id = PIPELINE_GROUP_BOND;
        pipeline_add_flow(ctx, PIPELINE_T_EGRESS, EGRESS_PRIO_OUTPUT,
                          &match, ctx->uplink_cookie, &ofpacts);
    } else if (bond_first_live(ctx)) {
        /* The member each local port is pinned to, loaded by its classify
         * flow.  Frames from the uplink never go back to it, so reg8 is
         * always set here. */
        match_init_catchall(&match);
        match_set_reg(&match, PIPELINE_REG_OUT, PIPELINE_OUT_UPLINK);
        struct ofpact_output_reg *out = ofpact_put_OUTPUT_REG(&ofpacts);
        out->src.field = mf_from_id(MFF_REG0 + PIPELINE_REG_PIN);
        out->src.ofs = 0;
        out->src.n_bits = 16;
        out->max_len = 0;
        pipeline_add_flow(ctx, PIPELINE_T_EGRESS, EGRESS_PRIO_OUTPUT,
                          &match, ctx->uplink_cookie, &ofpacts);
    }
    ofpbuf_uninit(&ofpacts);
}
