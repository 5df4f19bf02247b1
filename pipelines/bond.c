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
 * only the MACs pinned to it, and they come back when it does.  classify
 * accepts unicast on every live member but broadcast / multicast only on
 * the first live member (the physical switch floods to every member), and
 * drops frames whose source MAC is local (our own frames reflected back:
 * accepting them would teach nothing but loops).
 *
 * lacp: refused by the model.
 */
#include <config.h>

#include <string.h>
#include "byte-order.h"
#include "models/intent.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofpbuf.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "pipelines/stages.h"
#include "util.h"

#define FNV1A64_OFFSET 0xcbf29ce484222325ULL
#define FNV1A64_PRIME 0x100000001b3ULL

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

/* Adds the classify flows of the uplink members (and, for balance-slb,
 * the reflection filter). */
void
pipeline_bond_classify(struct pipeline_ctx *ctx)
{
    const struct portmap_port *first = bond_first_live(ctx);
    bool slb = bond_is_slb(ctx);
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
                          slb ? m->live : m == first);

        if (slb && m->live && m != first) {
            pipeline_match_multicast(&match, true);
            bond_add_classify(ctx, CLASSIFY_PRIO_UPLINK_MCAST, &match,
                              false);
        }
    }
    ofpbuf_uninit(&drop);
}

/* Adds the egress flows (and, for active-backup, the fast-failover group)
 * sending reg2 = PIPELINE_OUT_UPLINK to the bond. */
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
        struct flowset_group *g = flowset_add_group(ctx->out,
                                                    PIPELINE_GROUP_BOND,
                                                    OFPGT11_FF);
        for (size_t i = 0; i < ctx->n_members; i++) {
            const struct portmap_port *m = ctx->members[i];

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
    } else {
        for (size_t i = 0; i < ctx->n_ports; i++) {
            const struct pipeline_port *p = &ctx->ports[i];
            const struct portmap_port *m = pipeline_bond_slb_member(
                ctx, p->mac);
            if (!m) {
                continue;
            }

            match_init_catchall(&match);
            match_set_reg(&match, PIPELINE_REG_OUT, PIPELINE_OUT_UPLINK);
            match_set_dl_src(&match, p->mac);
            ofpbuf_clear(&ofpacts);
            ofpact_put_OUTPUT(&ofpacts)->port = m->ofp_port;
            pipeline_add_flow(ctx, PIPELINE_T_EGRESS, EGRESS_PRIO_OUTPUT,
                              &match, p->cookie, &ofpacts);
        }
    }
    ofpbuf_uninit(&ofpacts);
}
