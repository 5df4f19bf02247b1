/*
 * Stages microseg_out (tables 30-34) and microseg_in (tables 55-59): the
 * microsegmentation stage, source side and destination side.
 *
 * The source side polices what a local VM sends, the destination side
 * what is delivered to a local VM (from this bridge or from the uplink),
 * so every packet between two VMs is checked on both hosts and traffic
 * from machines outside the intent is policed where it arrives.  Each
 * side has five tables:
 *
 *   ENTRY    A port that some policy concerns (a "policed" port) sends
 *            its packets to STATE with its conntrack zone in reg3 and its
 *            dispatch ID in reg1; ARP passes.  Everything else goes on
 *            untouched.
 *   STATE    Untracked packets (from ENTRY): IPv4 goes through conntrack
 *            in the zone in reg3 and comes back; other EtherTypes drop if
 *            an enforcing policy of the port's dispatch would deny them,
 *            else go on.  Invalid drops.  Replies and related packets
 *            pass while their connection's ct_mark is 0 and drop once it
 *            is 1.  Packets in the original direction (new or established)
 *            are dispatched: one resubmit to EVAL per policy that concerns
 *            the port, in AHV's order (quarantine, isolation,
 *            application), then VERDICT.
 *            A port under an enforcing quarantine dispatches every packet.
 *            Ports with the same evaluations share one dispatch flow,
 *            selected by their dispatch ID (a hash of the evaluations).
 *   CLASS    Before an application policy's evaluation, the peer
 *            address's classes for that policy: one bit of reg7 per
 *            distinct peer selector of its rules on this side, one flow
 *            per address the selectors match.
 *   EVAL     One policy's evaluation, selected by reg4; sets verdict bits
 *            in reg5.  A rule whose peer is a selector matches its class
 *            bit, so it is one flow per protocol/port match however many
 *            VMs the selector matches, and a VM that changes category
 *            changes one class flow per address.  Other rules (a CIDR, or
 *            a selector past the 32 classes) match peer addresses, in a
 *            conjunctive match (peer address x protocol/port) where both
 *            have several values.  Once a packet is decided (an enforcing
 *            quarantine or isolation), later evaluations match nothing.
 *            A monitored policy sets no bit: its "would deny" flow only
 *            counts (and logs) and the packet goes on.
 *   VERDICT  Allowed packets are committed with ct_mark 0 and go on;
 *            denied ones drop, counted against the deciding policy (reg6)
 *            and, if it logs, sent through the hit-log meter to the
 *            controller when new; an established connection that is now
 *            denied is committed with ct_mark 1, which cuts its replies.
 *
 * Every policy flow carries a policy cookie whose kind tells what its
 * counters mean (pipeline.h).  docs/pipeline.md has the details and traces.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "flow.h"
#include "hash.h"
#include "openvswitch/hmap.h"
#include "models/intent.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "pipelines/pipeline.h"
#include "pipelines/stages.h"
#include "smap.h"
#include "util.h"

/* Bytes of a denied packet sent to the controller for the hit log. */
#define MS_LOG_MAX_LEN 128

/* The tables of one side. */
struct ms_side {
    bool inbound;                   /* Destination side. */
    enum pipeline_table entry, state, eval, verdict, class, next;
};

static const struct ms_side ms_out = {
    false, PIPELINE_T_MICROSEG_OUT, PIPELINE_T_MS_OUT_STATE,
    PIPELINE_T_MS_OUT_EVAL, PIPELINE_T_MS_OUT_VERDICT,
    PIPELINE_T_MS_OUT_CLASS, PIPELINE_T_SERVICE_CHAIN,
};

static const struct ms_side ms_in = {
    true, PIPELINE_T_MICROSEG_IN, PIPELINE_T_MS_IN_STATE,
    PIPELINE_T_MS_IN_EVAL, PIPELINE_T_MS_IN_VERDICT, PIPELINE_T_MS_IN_CLASS,
    PIPELINE_T_EGRESS,
};

/* One evaluation in a port's dispatch: policy 'p' in role 'role'
 * (pipeline_policy_eval_id()). */
struct ms_eval {
    const struct intent_policy *p;
    unsigned int role;
};

/* What the policies say about one local VM port, on one side. */
struct ms_port {
    const struct pipeline_port *port;
    struct ms_eval *evals;          /* Dispatch order. */
    size_t n_evals, allocated;
    bool has_isolation;             /* Some of 'evals' are isolations. */
    bool quarantined;               /* Under an enforcing quarantine. */
    const struct intent_policy *denier;         /* First enforcing
                                                 * application policy. */
    const struct intent_policy *non_ip_denier;  /* First enforcing policy
                                                 * that denies other
                                                 * EtherTypes, or NULL. */
    uint32_t dispatch_id;           /* ms_dispatch_id(). */
    bool touched;                   /* Its ENTRY flows are compiled (in a
                                     * partial compile, a touched VM's). */
};

/* One distinct dispatch of a side: the ports with alike evaluations share
 * one STATE flow, selected by the ID their ENTRY flow loads into reg1. */
struct ms_dispatch {
    struct hmap_node node;          /* By 'id'. */
    uint32_t id;
    const struct ms_port *mp;       /* The first port that has it. */
    bool collides;                  /* A port with other evaluations has
                                     * the same ID. */
};

/* The compile state of one side of one bridge. */
struct ms_ctx {
    struct pipeline_ctx *ctx;
    const struct ms_side *side;
    struct ms_port *ports;
    size_t n_ports;
    /* Indexed by policy index: bit 'role' set if that evaluation is used
     * by some port of this side. */
    uint8_t *roles_used;

    /* A partial compile only.  'untouched_roles' is like 'roles_used', for
     * the ports of untouched VMs and the touched policies.  While
     * 'peers_only', the policy being compiled adds only its peer flows
     * whose address the delta touches (pipelines/delta.c). */
    uint8_t *untouched_roles;
    bool peers_only;
};

/* Appends evaluation ('p', 'role') to 'mp'. */
static void
ms_port_add_eval(struct ms_port *mp, const struct intent_policy *p,
                 unsigned int role)
{
    if (mp->n_evals >= mp->allocated) {
        mp->evals = x2nrealloc(mp->evals, &mp->allocated, sizeof *mp->evals);
    }
    mp->evals[mp->n_evals++] = (struct ms_eval) { p, role };
}

/* Returns 'p''s rule set for 'side'. */
static const struct intent_rule_set *
ms_rule_set(const struct intent_policy *p, const struct ms_side *side)
{
    return side->inbound ? &p->inbound : &p->outbound;
}

/* Returns the evaluations of policy 'p' that apply to 'vm' on 'side': bit
 * 'role' set for each (pipeline_policy_eval_id()); 0 if none. */
static unsigned int
ms_policy_roles(const struct intent_policy *p, const struct ms_side *side,
                const struct intent_vm *vm)
{
    unsigned int roles = 0;
    switch (p->type) {
    case INTENT_POLICY_QUARANTINE:
        if (intent_policy_quarantines(p, vm)) {
            roles |= 1u << 0;
        }
        break;
    case INTENT_POLICY_ISOLATION:
        for (unsigned int role = 1; role <= 2; role++) {
            if (intent_selector_matches(&p->between[role - 1], vm)) {
                roles |= 1u << role;
            }
        }
        break;
    case INTENT_POLICY_APPLICATION:
        /* A direction whose default is "allow" can deny nothing: its rules
         * change no decision and are not compiled. */
        if (!ms_rule_set(p, side)->default_allow
            && intent_selector_matches(&p->target, vm)) {
            roles |= 1u << 0;
        }
        break;
    }
    return roles;
}

/* Returns the evaluations of policy 'p' that some VM may get on 'side':
 * bit 'role' set for each, as in ms_policy_roles(). */
static unsigned int
ms_possible_roles(const struct intent_policy *p, const struct ms_side *side)
{
    switch (p->type) {
    case INTENT_POLICY_QUARANTINE:
        return 1u << 0;
    case INTENT_POLICY_ISOLATION:
        return (1u << 1) | (1u << 2);
    case INTENT_POLICY_APPLICATION:
        return ms_rule_set(p, side)->default_allow ? 0 : 1u << 0;
    }
    return 0;
}

/* Fills 'mp' with the evaluations that the policies of 'intent' ask for
 * the ports of 'vm' on 'side', in dispatch order: the quarantines, then
 * the isolations, then the application policies, each in file order.
 * Leaves 'mp->port' null. */
static void
ms_vm_collect(const struct intent *intent, const struct ms_side *side,
              const struct intent_vm *vm, struct ms_port *mp)
{
    static const enum intent_policy_type order[] = {
        INTENT_POLICY_QUARANTINE, INTENT_POLICY_ISOLATION,
        INTENT_POLICY_APPLICATION,
    };
    size_t n = intent_n_policies(intent);

    memset(mp, 0, sizeof *mp);
    for (size_t pass = 0; pass < ARRAY_SIZE(order); pass++) {
        for (size_t i = 0; i < n; i++) {
            const struct intent_policy *p = intent_policy_at(intent, i);
            if (p->type != order[pass]) {
                continue;
            }
            unsigned int roles = ms_policy_roles(p, side, vm);
            if (!roles) {
                continue;
            }
            bool enforce = p->mode == INTENT_POLICY_ENFORCE;
            for (unsigned int role = 0; role <= 2; role++) {
                if (roles & (1u << role)) {
                    ms_port_add_eval(mp, p, role);
                }
            }
            if (p->type == INTENT_POLICY_ISOLATION) {
                mp->has_isolation = true;
            } else if (enforce) {
                if (p->type == INTENT_POLICY_QUARANTINE) {
                    mp->quarantined = true;
                } else if (!mp->denier) {
                    mp->denier = p;
                }
                if (!mp->non_ip_denier) {
                    mp->non_ip_denier = p;
                }
            }
        }
    }
}

/* Fills 'mp' as ms_vm_collect() does and returns true if 'vm''s ports are
 * policed on 'side': some policy evaluates them there, or on the other
 * side.  A port policed on the other side only goes through conntrack on
 * 'side' too, with nothing to evaluate (every packet is committed and
 * allowed): otherwise the replies of the connections it opens on the other
 * side would reach it unknown to its zone, and be dropped as invalid or
 * judged as new.  The caller frees 'mp->evals'. */
static bool
ms_vm_policed(const struct intent *intent, const struct ms_side *side,
              const struct intent_vm *vm, struct ms_port *mp)
{
    ms_vm_collect(intent, side, vm, mp);
    if (mp->n_evals) {
        return true;
    }

    struct ms_port other;
    ms_vm_collect(intent, side->inbound ? &ms_out : &ms_in, vm, &other);
    free(other.evals);
    return other.n_evals > 0;
}

/* Returns the conntrack zone of 'port' on 'ctx''s bridge: the bridge's
 * position on its host above the port number's low 12 bits, so the
 * bridges of one host (which share a datapath) use different zones. */
static uint16_t
ms_zone(const struct pipeline_ctx *ctx, const struct pipeline_port *port)
{
    return ((ctx->br->index & 0xf) << 12) | (ofp_to_u16(port->ofp_port)
                                              & 0xfff);
}

/* Makes 'match' match the packets of local port 'port' on 'side': sent by
 * it (source side) or delivered to it (destination side). */
static void
ms_match_port(struct match *match, const struct ms_side *side,
              const struct pipeline_port *port)
{
    match_init_catchall(match);
    if (side->inbound) {
        match_set_reg(match, PIPELINE_REG_OUT, ofp_to_u16(port->ofp_port));
    } else {
        match_set_reg(match, PIPELINE_REG_ROLE, PIPELINE_ROLE_VM);
        match_set_in_port(match, port->ofp_port);
    }
}

/* Appends to 'ofpacts' an action setting the bits 'bits' of reg5. */
static void
ms_put_verdict_bits(struct ofpbuf *ofpacts, uint32_t bits)
{
    ovs_be32 value = htonl(bits);
    ovs_be32 mask = htonl(bits);
    ofpact_put_set_field(ofpacts, mf_from_id(MFF_REG0 + PIPELINE_REG_VERDICT),
                         &value, &mask);
}

/* Appends to 'ofpacts' a ct(commit) in the zone held by reg3 that sets
 * ct_mark to 'mark'. */
static void
ms_put_commit(struct ofpbuf *ofpacts, uint32_t mark)
{
    size_t ofs = ofpacts->size;
    struct ofpact_conntrack *ct = ofpact_put_CT(ofpacts);
    ct->flags = NX_CT_F_COMMIT;
    ct->zone_src.field = mf_from_id(MFF_REG0 + PIPELINE_REG_ZONE);
    ct->zone_src.ofs = 0;
    ct->zone_src.n_bits = 16;
    ct->recirc_table = NX_CT_RECIRC_NONE;

    ovs_be32 value = htonl(mark);
    ofpact_put_set_field(ofpacts, mf_from_id(MFF_CT_MARK), &value, NULL);

    ct = ofpbuf_at_assert(ofpacts, ofs, sizeof *ct);
    ofpacts->header = ct;
    ofpact_finish_CT(ofpacts, &ct);
}

/* Appends to 'ofpacts' a copy of the packet to the controller through the
 * hit-log meter. */
static void
ms_put_log(struct ofpbuf *ofpacts)
{
    struct ofpact_controller *oc = ofpact_put_CONTROLLER(ofpacts);
    oc->max_len = MS_LOG_MAX_LEN;
    oc->controller_id = 0;
    oc->reason = OFPR_ACTION;
    oc->meter_id = PIPELINE_METER_HIT_LOG;
    oc->provider_meter_id = UINT32_MAX;
    ofpact_finish_CONTROLLER(ofpacts, &oc);
}

/* Adds a flow to 'mc''s table 'table' at 'priority' for 'match' with
 * 'cookie' (host order) and 'ofpacts', unless 'mc' is compiling only a
 * policy's peer flows. */
static void
ms_add(struct ms_ctx *mc, enum pipeline_table table, uint16_t priority,
       const struct match *match, uint64_t cookie,
       const struct ofpbuf *ofpacts)
{
    if (!mc->peers_only) {
        pipeline_add_flow(mc->ctx, table, priority, match, htonll(cookie),
                          ofpacts);
    }
}

/* Like ms_add(), for a flow that matches a peer address for which
 * ms_peer_wanted() is true. */
static void
ms_add_peer(struct ms_ctx *mc, enum pipeline_table table, uint16_t priority,
            const struct match *match, uint64_t cookie,
            const struct ofpbuf *ofpacts)
{
    pipeline_add_flow(mc->ctx, table, priority, match, htonll(cookie),
                      ofpacts);
}

/* ---------------------------------------------------------------------- */
/* ENTRY and STATE. */

/* Appends to 'ofpacts' a resubmit to 'table'. */
static void
ms_put_resubmit(struct ofpbuf *ofpacts, enum pipeline_table table)
{
    struct ofpact_resubmit *r = ofpact_put_RESUBMIT(ofpacts);
    r->in_port = OFPP_IN_PORT;
    r->table_id = table;
}

/* Appends to 'ofpacts' the dispatch of 'mp': reg6 = the policy a default
 * denial is counted against, one resubmit to EVAL per evaluation (without
 * the isolations if 'skip_isolation'), for an application policy preceded
 * by one to CLASS, then a goto VERDICT. */
static void
ms_put_dispatch(struct ofpbuf *ofpacts, const struct ms_ctx *mc,
                const struct ms_port *mp, bool skip_isolation)
{
    pipeline_put_load_reg(ofpacts, PIPELINE_REG_DENIER,
                          mp->denier
                          ? pipeline_policy_eval_id(mp->denier, 0) : 0);
    for (size_t i = 0; i < mp->n_evals; i++) {
        const struct ms_eval *e = &mp->evals[i];
        if (skip_isolation && e->p->type == INTENT_POLICY_ISOLATION) {
            continue;
        }
        pipeline_put_load_reg(ofpacts, PIPELINE_REG_POLICY,
                              pipeline_policy_eval_id(e->p, e->role));
        if (e->p->type == INTENT_POLICY_APPLICATION) {
            ms_put_resubmit(ofpacts, mc->side->class);
        }
        ms_put_resubmit(ofpacts, mc->side->eval);
    }
    pipeline_put_goto(ofpacts, mc->side->verdict);
}

/* Adds the STATE flows of the packets of the ports whose dispatch is
 * 'mp''s: those with 'mp''s dispatch ID in reg1 or, if 'by_port' (another
 * dispatch has the same ID), 'mp''s own packets only.  The original
 * direction is dispatched; under an enforcing quarantine, every packet.
 * On the destination side, a port with isolations gets a second flow one
 * priority up for packets whose sender is a local VM: its source side
 * evaluated the isolation already, so same-host traffic is counted once.
 * These flows carry the bridge's cookie: they serve every port with that
 * dispatch, touched or not.  If the dispatch denies other EtherTypes, a
 * last flow drops them with the denying policy's cookie. */
static void
ms_add_dispatch(struct ms_ctx *mc, const struct ms_port *mp, bool by_port)
{
    uint64_t stub[512 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    uint64_t cookie = ntohll(mc->ctx->bridge_cookie);
    uint16_t priority;
    struct match packets, m;

    /* The packets of the dispatch, in any conntrack state. */
    if (by_port) {
        ms_match_port(&packets, mc->side, mp->port);
    } else {
        match_init_catchall(&packets);
    }
    match_set_reg(&packets, PIPELINE_REG_DISPATCH, mp->dispatch_id);

    m = packets;
    if (mp->quarantined) {
        match_set_ct_state_masked(&m, CS_TRACKED, CS_TRACKED);
        priority = MS_PRIO_STATE_QUARANTINE;
    } else {
        match_set_ct_state_masked(&m, CS_TRACKED, CS_TRACKED | CS_REPLY_DIR
                                  | CS_RELATED | CS_INVALID);
        priority = MS_PRIO_STATE_DISPATCH;
    }
    ms_put_dispatch(&ofpacts, mc, mp, false);
    ms_add(mc, mc->side->state, priority, &m, cookie, &ofpacts);
    if (mc->side->inbound && mp->has_isolation) {
        match_set_reg(&m, PIPELINE_REG_ROLE, PIPELINE_ROLE_VM);
        ofpbuf_clear(&ofpacts);
        ms_put_dispatch(&ofpacts, mc, mp, true);
        ms_add(mc, mc->side->state, priority + 1, &m, cookie, &ofpacts);
    }

    /* The other EtherTypes (untracked: conntrack takes IPv4 only), if an
     * enforcing policy of the dispatch denies them, counted against it.
     * Compiled with the dispatch whatever the delta says of that policy:
     * the dispatch decides which policy it is. */
    if (mp->non_ip_denier) {
        const struct intent_policy *p = mp->non_ip_denier;
        unsigned int bits = pipeline_cookie_rule_bits(
            mc->side->inbound && p->type == INTENT_POLICY_APPLICATION, NULL);
        m = packets;
        match_set_ct_state_masked(&m, 0, CS_TRACKED);
        ofpbuf_clear(&ofpacts);
        bool force = mc->ctx->force;
        mc->ctx->force = mc->ctx->delta != NULL;
        ms_add(mc, mc->side->state, MS_PRIO_STATE_NON_IP_DENY, &m,
               pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, p, bits),
               &ofpacts);
        mc->ctx->force = force;
    }
    ofpbuf_uninit(&ofpacts);
}

/* Narrows dispatch IDs in tests (pipeline_microseg_set_dispatch_id_mask()),
 * so that distinct dispatches collide. */
static uint32_t ms_dispatch_id_mask = UINT32_MAX;

/* See stages.h. */
void
pipeline_microseg_set_dispatch_id_mask(uint32_t mask)
{
    ms_dispatch_id_mask = mask;
}

/* Returns the dispatch ID of 'mp' (never 0): a hash of its evaluations,
 * each one's ID with its policy's type and mode, which are all that its
 * dispatch depends on.  Derived from policy names and modes only, so a
 * port's ID changes only when its evaluations do, and an untouched port's
 * ENTRY flow stays right in a partial compile. */
static uint32_t
ms_dispatch_id(const struct ms_port *mp)
{
    uint32_t hash = 0;

    for (size_t i = 0; i < mp->n_evals; i++) {
        const struct ms_eval *e = &mp->evals[i];
        hash = hash_add(hash, pipeline_policy_eval_id(e->p, e->role));
        hash = hash_add(hash, (e->p->type << 4) | e->p->mode);
    }
    uint32_t id = hash_finish(hash, mp->n_evals) & ms_dispatch_id_mask;
    return id ? id : 1;
}

/* See stages.h. */
void
pipeline_microseg_dispatch_ids(const struct intent *intent,
                               const struct intent_vm *vm, uint32_t ids[2])
{
    const struct ms_side *sides[2] = { &ms_out, &ms_in };

    for (size_t i = 0; i < 2; i++) {
        struct ms_port mp;
        ids[i] = (ms_vm_policed(intent, sides[i], vm, &mp)
                  ? ms_dispatch_id(&mp) : 0);
        free(mp.evals);
    }
}

/* True if ports 'a' and 'b' have the same evaluations, in the same order
 * (so the same dispatch). */
static bool
ms_same_evals(const struct ms_port *a, const struct ms_port *b)
{
    if (a->n_evals != b->n_evals) {
        return false;
    }
    for (size_t i = 0; i < a->n_evals; i++) {
        if (a->evals[i].p != b->evals[i].p
            || a->evals[i].role != b->evals[i].role) {
            return false;
        }
    }
    return true;
}

/* Returns the dispatch of 'dispatches' with ID 'id', or NULL. */
static struct ms_dispatch *
ms_dispatch_find(const struct hmap *dispatches, uint32_t id)
{
    struct ms_dispatch *d;
    HMAP_FOR_EACH_WITH_HASH (d, node, id, dispatches) {
        if (d->id == id) {
            return d;
        }
    }
    return NULL;
}

/* Adds the STATE dispatch flows of every policed port of 'mc', touched or
 * not: one per distinct dispatch, or, for the ports whose dispatch ID
 * another dispatch shares, one per port.  A partial compile adds those of
 * the dispatch IDs that a touched VM has in either model: the others are
 * the same in both. */
static void
ms_dispatch_flows(struct ms_ctx *mc)
{
    struct hmap dispatches = HMAP_INITIALIZER(&dispatches);

    for (size_t i = 0; i < mc->n_ports; i++) {
        const struct ms_port *mp = &mc->ports[i];
        struct ms_dispatch *d = ms_dispatch_find(&dispatches,
                                                 mp->dispatch_id);
        if (!d) {
            d = xmalloc(sizeof *d);
            *d = (struct ms_dispatch) { .id = mp->dispatch_id, .mp = mp };
            hmap_insert(&dispatches, &d->node, d->id);
        } else if (!ms_same_evals(d->mp, mp)) {
            d->collides = true;
        }
    }
    for (size_t i = 0; i < mc->n_ports; i++) {
        const struct ms_port *mp = &mc->ports[i];
        const struct ms_dispatch *d = ms_dispatch_find(&dispatches,
                                                       mp->dispatch_id);
        if (mc->ctx->delta
            && !pipeline_delta_touches_dispatch(mc->ctx->delta,
                                                mc->side->inbound, d->id)) {
            continue;
        }
        if (d->collides || d->mp == mp) {
            ms_add_dispatch(mc, mp, d->collides);
        }
    }

    struct ms_dispatch *d;
    HMAP_FOR_EACH_POP (d, node, &dispatches) {
        free(d);
    }
    hmap_destroy(&dispatches);
}

/* Adds the ENTRY flow of policed port 'mp': every packet but ARP (which
 * passes above) goes to STATE with the port's conntrack zone in reg3 and
 * its dispatch ID in reg1.  STATE sends IPv4 through conntrack and judges
 * the other EtherTypes by the dispatch, so the port needs no flow of its
 * own for them.  On the destination side the packet may still be tracked
 * in the sender's zone (a reply, which the source side passes without a
 * commit): ct_clear makes it untracked, so that STATE runs conntrack in
 * this port's zone, as it must for every packet. */
static void
ms_port_flows(struct ms_ctx *mc, const struct ms_port *mp)
{
    const struct ms_side *side = mc->side;
    const struct pipeline_port *port = mp->port;
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match m;

    ms_match_port(&m, side, port);
    if (side->inbound) {
        /* The source side may have set verdict bits. */
        pipeline_put_load_reg(&ofpacts, PIPELINE_REG_VERDICT, 0);
    }
    pipeline_put_load_reg(&ofpacts, PIPELINE_REG_ZONE,
                          ms_zone(mc->ctx, port));
    pipeline_put_load_reg(&ofpacts, PIPELINE_REG_DISPATCH, mp->dispatch_id);
    if (side->inbound) {
        ofpact_put_CT_CLEAR(&ofpacts);
    }
    pipeline_put_goto(&ofpacts, side->state);
    ms_add(mc, side->entry, MS_PRIO_ENTRY, &m, ntohll(port->cookie),
           &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Adds the bridge-wide ENTRY and STATE flows of 'mc''s side. */
static void
ms_side_flows(struct ms_ctx *mc)
{
    const struct ms_side *side = mc->side;
    uint64_t cookie = ntohll(mc->ctx->bridge_cookie);
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match m;

    /* ARP is never policed (port security vouches for it). */
    match_init_catchall(&m);
    match_set_dl_type(&m, htons(ETH_TYPE_ARP));
    pipeline_put_goto(&ofpacts, side->next);
    ms_add(mc, side->entry, MS_PRIO_ARP, &m, cookie, &ofpacts);

    /* Untracked packets, from ENTRY: IPv4 through conntrack in the
     * port's zone (reg3), back into this table; the other EtherTypes go
     * on, unless their dispatch denies them (ms_add_dispatch()). */
    match_init_catchall(&m);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_ct_state_masked(&m, 0, CS_TRACKED);
    ofpbuf_clear(&ofpacts);
    struct ofpact_conntrack *ct = ofpact_put_CT(&ofpacts);
    ct->zone_src.field = mf_from_id(MFF_REG0 + PIPELINE_REG_ZONE);
    ct->zone_src.ofs = 0;
    ct->zone_src.n_bits = 16;
    ct->recirc_table = side->state;
    ofpact_finish_CT(&ofpacts, &ct);
    ms_add(mc, side->state, MS_PRIO_STATE_CT, &m, cookie, &ofpacts);

    match_init_catchall(&m);
    match_set_ct_state_masked(&m, 0, CS_TRACKED);
    ofpbuf_clear(&ofpacts);
    pipeline_put_goto(&ofpacts, side->next);
    ms_add(mc, side->state, MS_PRIO_STATE_NON_IP, &m, cookie, &ofpacts);

    /* Replies and related packets: on while ct_mark is 0. */
    static const uint32_t states[] = { CS_REPLY_DIR, CS_RELATED };
    for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
        match_init_catchall(&m);
        match_set_ct_state_masked(&m, CS_TRACKED | states[i],
                                  CS_TRACKED | states[i]);
        ofpbuf_clear(&ofpacts);
        ms_add(mc, side->state, MS_PRIO_STATE_REPLY_CUT, &m, cookie,
               &ofpacts);
        match_set_ct_mark(&m, 0);
        pipeline_put_goto(&ofpacts, side->next);
        ms_add(mc, side->state, MS_PRIO_STATE_REPLY, &m, cookie, &ofpacts);
    }

    /* Invalid packets. */
    match_init_catchall(&m);
    match_set_ct_state_masked(&m, CS_TRACKED | CS_INVALID,
                              CS_TRACKED | CS_INVALID);
    ofpbuf_clear(&ofpacts);
    ms_add(mc, side->state, MS_PRIO_STATE_INVALID, &m, cookie, &ofpacts);
    pipeline_add_miss(mc->ctx, side->state, false, 0);
    ofpbuf_uninit(&ofpacts);
}

/* ---------------------------------------------------------------------- */
/* EVAL. */

/* A set of peer addresses: "any", or a list of (address, mask) without
 * duplicates, in the order they were first added.  A set made from one
 * selector is a copy of its addresses (the model made them distinct);
 * adding more builds 'index', which finds an entry by value, so that a set
 * made of several selectors of thousands of VMs still costs linear time. */
struct ms_peers {
    bool any;
    struct ms_peer { ovs_be32 ip, mask; } *v;
    size_t n, allocated;
    struct hmap index;          /* Of "struct ms_peer_node"s. */
    size_t n_indexed;           /* v[0 .. n_indexed - 1] are in 'index'. */
};

/* An entry of 'ms_peers''s 'index'. */
struct ms_peer_node {
    struct hmap_node node;      /* In 'index', by ms_peer_hash(). */
    size_t idx;                 /* In 'v'. */
};

/* Initializes 'peers' as empty. */
static void
ms_peers_init_empty(struct ms_peers *peers)
{
    memset(peers, 0, sizeof *peers);
    hmap_init(&peers->index);
}

/* Frees what 'peers' holds. */
static void
ms_peers_destroy(struct ms_peers *peers)
{
    struct ms_peer_node *pn;
    HMAP_FOR_EACH_POP (pn, node, &peers->index) {
        free(pn);
    }
    hmap_destroy(&peers->index);
    free(peers->v);
}

static uint32_t
ms_peer_hash(ovs_be32 ip, ovs_be32 mask)
{
    return hash_2words((OVS_FORCE uint32_t) ip, (OVS_FORCE uint32_t) mask);
}

/* Appends 'ip'/'mask' to 'peers' without looking for it. */
static void
ms_peers_append(struct ms_peers *peers, ovs_be32 ip, ovs_be32 mask)
{
    if (peers->n >= peers->allocated) {
        peers->v = x2nrealloc(peers->v, &peers->allocated, sizeof *peers->v);
    }
    peers->v[peers->n].ip = ip;
    peers->v[peers->n].mask = mask;
    peers->n++;
}

/* Adds 'ip'/'mask' to 'peers' unless it is there already.  Returns its
 * position in 'peers->v'. */
static size_t
ms_peers_add(struct ms_peers *peers, ovs_be32 ip, ovs_be32 mask)
{
    for (; peers->n_indexed < peers->n; peers->n_indexed++) {
        const struct ms_peer *e = &peers->v[peers->n_indexed];
        struct ms_peer_node *pn = xmalloc(sizeof *pn);
        pn->idx = peers->n_indexed;
        hmap_insert(&peers->index, &pn->node, ms_peer_hash(e->ip, e->mask));
    }

    uint32_t hash = ms_peer_hash(ip, mask);
    const struct ms_peer_node *pn;
    HMAP_FOR_EACH_WITH_HASH (pn, node, hash, &peers->index) {
        if (peers->v[pn->idx].ip == ip && peers->v[pn->idx].mask == mask) {
            return pn->idx;
        }
    }
    ms_peers_append(peers, ip, mask);

    struct ms_peer_node *new = xmalloc(sizeof *new);
    new->idx = peers->n_indexed++;
    hmap_insert(&peers->index, &new->node, hash);
    return new->idx;
}

/* Adds to 'peers' the address of every NIC of the VMs 'sel' selects. */
static void
ms_peers_add_selector(struct ms_peers *peers,
                      const struct intent_selector *sel)
{
    if (!peers->n) {
        /* Already distinct. */
        for (size_t i = 0; i < sel->n_ips; i++) {
            ms_peers_append(peers, sel->ips[i], OVS_BE32_MAX);
        }
    } else {
        for (size_t i = 0; i < sel->n_ips; i++) {
            ms_peers_add(peers, sel->ips[i], OVS_BE32_MAX);
        }
    }
}

/* Fills 'peers' with 'peer''s addresses. */
static void
ms_peers_init(struct ms_peers *peers, const struct intent_peer *peer)
{
    ms_peers_init_empty(peers);
    switch (peer->kind) {
    case INTENT_PEER_ANY:
        peers->any = true;
        break;
    case INTENT_PEER_SELECTOR:
        ms_peers_add_selector(peers, &peer->selector);
        break;
    case INTENT_PEER_CIDR:
        ms_peers_add(peers, peer->cidr, be32_prefix_mask(peer->prefix_len));
        break;
    }
}

/* A set of protocol / destination port matches: "any", or a list. */
struct ms_protos {
    bool any;
    struct { uint8_t proto; bool has_port; uint16_t port, mask; } *v;
    size_t n, allocated;
};

/* Appends a protocol match to 'protos'. */
static void
ms_protos_add(struct ms_protos *protos, uint8_t proto, bool has_port,
              uint16_t port, uint16_t mask)
{
    if (protos->n >= protos->allocated) {
        protos->v = x2nrealloc(protos->v, &protos->allocated,
                               sizeof *protos->v);
    }
    protos->v[protos->n].proto = proto;
    protos->v[protos->n].has_port = has_port;
    protos->v[protos->n].port = port;
    protos->v[protos->n].mask = mask;
    protos->n++;
}

/* Fills 'protos' with the matches of 'rule''s protocol and ports: each
 * port range becomes the fewest value/mask pairs that cover it. */
static void
ms_protos_init(struct ms_protos *protos, const struct intent_rule *rule)
{
    memset(protos, 0, sizeof *protos);
    uint8_t proto = (rule->protocol == INTENT_PROTO_TCP ? IPPROTO_TCP
                     : rule->protocol == INTENT_PROTO_UDP ? IPPROTO_UDP
                     : rule->protocol == INTENT_PROTO_ICMP ? IPPROTO_ICMP
                     : 0);
    if (!proto) {
        protos->any = true;
    } else if (!rule->n_ports) {
        ms_protos_add(protos, proto, false, 0, 0);
    } else {
        for (size_t i = 0; i < rule->n_ports; i++) {
            uint32_t lo = rule->ports[i].min, hi = rule->ports[i].max;
            while (lo <= hi) {
                uint32_t size = lo ? lo & -lo : 0x10000;
                while (lo + size - 1 > hi) {
                    size >>= 1;
                }
                ms_protos_add(protos, proto, true, lo, ~(size - 1) & 0xffff);
                lo += size;
            }
        }
    }
}

/* Initializes 'm' as the match every EVAL flow of evaluation 'eval_id'
 * starts from: the evaluation, not yet decided, IPv4. */
static void
ms_match_eval(struct match *m, uint32_t eval_id)
{
    match_init_catchall(m);
    match_set_reg(m, PIPELINE_REG_POLICY, eval_id);
    match_set_reg_masked(m, PIPELINE_REG_VERDICT, 0, PIPELINE_MS_DECIDED);
    match_set_dl_type(m, htons(ETH_TYPE_IP));
}

/* Makes 'm' match peer address 'i' of 'peers' on 'side' (the destination
 * of what a local VM sends, the source of what it receives). */
static void
ms_match_peer(struct match *m, const struct ms_side *side,
              const struct ms_peers *peers, size_t i)
{
    if (side->inbound) {
        match_set_nw_src_masked(m, peers->v[i].ip, peers->v[i].mask);
    } else {
        match_set_nw_dst_masked(m, peers->v[i].ip, peers->v[i].mask);
    }
}

/* True if the flows for peer address 'i' of 'peers' are to be added: in a
 * full compile and for a policy or rule touched whole, always; while only
 * peer flows are compiled, if the address is a touched VM's. */
static bool
ms_peer_wanted(const struct ms_ctx *mc, const struct ms_peers *peers,
               size_t i)
{
    return (!mc->peers_only
            || (peers->v[i].mask == OVS_BE32_MAX
                && pipeline_delta_touches_addr(mc->ctx->delta,
                                               peers->v[i].ip)));
}

/* Makes 'm' match protocol match 'i' of 'protos'. */
static void
ms_match_proto(struct match *m, const struct ms_protos *protos, size_t i)
{
    match_set_nw_proto(m, protos->v[i].proto);
    if (protos->v[i].has_port) {
        match_set_tp_dst_masked(m, htons(protos->v[i].port),
                                htons(protos->v[i].mask));
    }
}

/* The peer classes of one side of an application policy: its rules'
 * distinct peer selectors, in the order of their first rule, at most
 * PIPELINE_MS_MAX_CLASSES.  Class 'i' is bit 'i' of reg7.  They depend on
 * the rules alone, never on which VMs the selectors match, so that a VM
 * changing category or address changes its class flows and nothing
 * else. */
struct ms_classes {
    const struct intent_selector *sels[PIPELINE_MS_MAX_CLASSES];
    size_t n;
};

/* Returns the class of 'sel' in 'classes', or -1 if it has none. */
static int
ms_classes_find(const struct ms_classes *classes,
                const struct intent_selector *sel)
{
    for (size_t i = 0; i < classes->n; i++) {
        if (classes->sels[i] == sel
            || smap_equal(classes->sels[i]->pairs, sel->pairs)) {
            return i;
        }
    }
    return -1;
}

/* Fills 'classes' with the peer classes of 'rs'. */
static void
ms_classes_init(struct ms_classes *classes, const struct intent_rule_set *rs)
{
    classes->n = 0;
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct intent_peer *peer = &rs->rules[i].peer;
        if (peer->kind == INTENT_PEER_SELECTOR
            && classes->n < PIPELINE_MS_MAX_CLASSES
            && ms_classes_find(classes, &peer->selector) < 0) {
            classes->sels[classes->n++] = &peer->selector;
        }
    }
}

/* True if rule sets 'a' and 'b' have the same peer classes: the same
 * distinct peer selectors, in the same order.  Where they differ, a
 * policy's rule flows and class flows change beyond its changed rules. */
bool
pipeline_microseg_same_classes(const struct intent_rule_set *a,
                               const struct intent_rule_set *b)
{
    struct ms_classes ca, cb;
    ms_classes_init(&ca, a);
    ms_classes_init(&cb, b);
    if (ca.n != cb.n) {
        return false;
    }
    for (size_t i = 0; i < ca.n; i++) {
        if (!smap_equal(ca.sels[i]->pairs, cb.sels[i]->pairs)) {
            return false;
        }
    }
    return true;
}

/* Adds the CLASS flows of evaluation 'eval_id' of a policy whose peer
 * classes are 'classes': for each address some class selects, reg7 = the
 * bits of every class that selects it.  'cookie' is the policy's. */
static void
ms_eval_classes(struct ms_ctx *mc, const struct ms_classes *classes,
                uint32_t eval_id, uint64_t cookie)
{
    struct ms_peers peers;
    uint32_t *bits = NULL;
    size_t n_bits = 0;

    ms_peers_init_empty(&peers);
    for (size_t c = 0; c < classes->n; c++) {
        const struct intent_selector *sel = classes->sels[c];
        for (size_t i = 0; i < sel->n_ips; i++) {
            /* The first selector's addresses are distinct already. */
            size_t idx;
            if (!c) {
                ms_peers_append(&peers, sel->ips[i], OVS_BE32_MAX);
                idx = peers.n - 1;
            } else {
                idx = ms_peers_add(&peers, sel->ips[i], OVS_BE32_MAX);
            }
            if (idx >= n_bits) {
                size_t n = MAX(peers.n, 2 * n_bits);
                bits = xrealloc(bits, n * sizeof *bits);
                memset(&bits[n_bits], 0, (n - n_bits) * sizeof *bits);
                n_bits = n;
            }
            bits[idx] |= 1u << c;
        }
    }

    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    for (size_t i = 0; i < peers.n; i++) {
        if (!ms_peer_wanted(mc, &peers, i)) {
            continue;
        }
        struct match m;
        match_init_catchall(&m);
        match_set_reg(&m, PIPELINE_REG_POLICY, eval_id);
        match_set_dl_type(&m, htons(ETH_TYPE_IP));
        ms_match_peer(&m, mc->side, &peers, i);
        ofpbuf_clear(&ofpacts);
        pipeline_put_load_reg(&ofpacts, PIPELINE_REG_CLASS, bits[i]);
        ms_add_peer(mc, mc->side->class, MS_PRIO_CLASS, &m, cookie,
                    &ofpacts);
    }
    ofpbuf_uninit(&ofpacts);
    ms_peers_destroy(&peers);
    free(bits);
}

/* Adds, for a policy whose counters mean "would deny" (monitor mode), the
 * flow matching 'match' at 'priority' with 'cookie' and no action: and if
 * 'log', its twin one priority up for new connections, which also sends
 * the packet to the hit log.  If 'peer', 'match' matches a peer address
 * for which ms_peer_wanted() is true. */
static void
ms_add_counted(struct ms_ctx *mc, enum pipeline_table table,
               uint16_t priority, const struct match *match,
               uint64_t cookie, const struct ofpbuf *actions, bool log,
               bool peer)
{
    struct match m = *match;
    uint64_t stub[256 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);

    for (int twin = 0; twin < (log ? 2 : 1); twin++) {
        if (twin) {
            match_set_ct_state_masked(&m, CS_NEW, CS_NEW);
            ms_put_log(&ofpacts);
        }
        ofpbuf_put(&ofpacts, actions->data, actions->size);
        if (peer) {
            ms_add_peer(mc, table, priority + twin, &m, cookie, &ofpacts);
        } else {
            ms_add(mc, table, priority + twin, &m, cookie, &ofpacts);
        }
        ofpbuf_clear(&ofpacts);
    }
    ofpbuf_uninit(&ofpacts);
}

/* Adds the flows of application rule 'rule' of 'p' to EVAL.  A peer
 * selector with a class in 'classes' is its reg7 bit, so one flow per
 * protocol match; otherwise the peer and protocol clauses of a
 * conjunctive match where both have several values, else their cross
 * product (at most as many flows as the larger side). */
static void
ms_eval_rule(struct ms_ctx *mc, const struct intent_policy *p,
             const struct ms_classes *classes,
             const struct intent_rule *rule, uint32_t eval_id)
{
    const struct ms_side *side = mc->side;
    unsigned int bits = pipeline_cookie_rule_bits(side->inbound, rule);
    uint64_t allow_cookie = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_ALLOW, p, bits);
    uint64_t clause_cookie = pipeline_cookie_policy(PIPELINE_COOKIE_POLICY,
                                                    p, bits);
    uint16_t priority = MS_PRIO_EVAL_RULE - rule->index;
    uint64_t stub[128 / 8];
    struct ofpbuf allow = OFPBUF_STUB_INITIALIZER(stub);
    struct ms_peers peers;
    struct ms_protos protos;
    struct match m;

    if (p->mode == INTENT_POLICY_ENFORCE) {
        ms_put_verdict_bits(&allow, PIPELINE_MS_APP_ALLOW);
    }
    ms_protos_init(&protos, rule);

    int class = (rule->peer.kind == INTENT_PEER_SELECTOR
                 ? ms_classes_find(classes, &rule->peer.selector) : -1);
    if (class >= 0) {
        size_t n_protos = protos.any ? 1 : protos.n;
        for (size_t j = 0; j < n_protos; j++) {
            ms_match_eval(&m, eval_id);
            match_set_reg_masked(&m, PIPELINE_REG_CLASS, 1u << class,
                                 1u << class);
            if (!protos.any) {
                ms_match_proto(&m, &protos, j);
            }
            ms_add(mc, side->eval, priority, &m, allow_cookie, &allow);
        }
        free(protos.v);
        ofpbuf_uninit(&allow);
        return;
    }

    ms_peers_init(&peers, &rule->peer);
    if (!peers.any && !peers.n) {
        /* A selector that matches no addressed VM: the rule allows
         * nothing. */
    } else if (peers.n >= 2 && protos.n >= 2) {
        uint32_t conj_id = pipeline_policy_conj_id(p, bits);
        uint64_t cstub[64 / 8];
        struct ofpbuf conj = OFPBUF_STUB_INITIALIZER(cstub);
        for (int clause = 0; clause < 2; clause++) {
            size_t n = clause ? protos.n : peers.n;
            ofpbuf_clear(&conj);
            struct ofpact_conjunction *c = ofpact_put_CONJUNCTION(&conj);
            c->id = conj_id;
            c->clause = clause;
            c->n_clauses = 2;
            for (size_t i = 0; i < n; i++) {
                ms_match_eval(&m, eval_id);
                if (clause) {
                    ms_match_proto(&m, &protos, i);
                    ms_add(mc, side->eval, priority, &m, clause_cookie,
                           &conj);
                } else if (ms_peer_wanted(mc, &peers, i)) {
                    ms_match_peer(&m, side, &peers, i);
                    ms_add_peer(mc, side->eval, priority, &m, clause_cookie,
                                &conj);
                }
            }
        }
        ofpbuf_uninit(&conj);

        ms_match_eval(&m, eval_id);
        match_set_conj_id(&m, conj_id);
        ms_add(mc, side->eval, priority, &m, allow_cookie, &allow);
    } else {
        size_t n_peers = peers.any ? 1 : peers.n;
        size_t n_protos = protos.any ? 1 : protos.n;
        for (size_t i = 0; i < n_peers; i++) {
            if (!peers.any && !ms_peer_wanted(mc, &peers, i)) {
                continue;
            }
            for (size_t j = 0; j < n_protos; j++) {
                ms_match_eval(&m, eval_id);
                if (!protos.any) {
                    ms_match_proto(&m, &protos, j);
                }
                if (peers.any) {
                    ms_add(mc, side->eval, priority, &m, allow_cookie,
                           &allow);
                } else {
                    ms_match_peer(&m, side, &peers, i);
                    ms_add_peer(mc, side->eval, priority, &m, allow_cookie,
                                &allow);
                }
            }
        }
    }
    ms_peers_destroy(&peers);
    free(protos.v);
    ofpbuf_uninit(&allow);
}

/* Adds the EVAL flow of evaluation 'eval_id' of 'p' that applies when
 * nothing of it allowed: in enforce mode it sets 'bits' (and names 'p' in
 * reg6 if 'deny'), in monitor mode it counts a would-be denial with
 * 'rule_bits'. */
static void
ms_eval_default(struct ms_ctx *mc, const struct intent_policy *p,
                uint32_t eval_id, uint32_t bits, unsigned int rule_bits)
{
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match m;

    ms_match_eval(&m, eval_id);
    if (p->mode == INTENT_POLICY_ENFORCE) {
        ms_put_verdict_bits(&ofpacts, bits);
        if (bits & PIPELINE_MS_DENY) {
            pipeline_put_load_reg(&ofpacts, PIPELINE_REG_DENIER,
                                  pipeline_policy_eval_id(p, 0));
        }
        ms_add(mc, mc->side->eval, MS_PRIO_EVAL_DEFAULT, &m,
               pipeline_cookie_policy(PIPELINE_COOKIE_POLICY, p, rule_bits),
               &ofpacts);
    } else {
        ms_add_counted(mc, mc->side->eval, MS_PRIO_EVAL_DEFAULT, &m,
                       pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_MONITOR,
                                              p, rule_bits),
                       &ofpacts, p->log, false);
    }
    ofpbuf_uninit(&ofpacts);
}

/* Adds the EVAL flows of a quarantine 'p'.  Strict: everything is denied.
 * Forensic: what a VM of "forensic_from" opened towards the quarantined
 * VM is allowed (final), on the source side its replies, on the
 * destination side its original direction. */
static void
ms_eval_quarantine(struct ms_ctx *mc, const struct intent_policy *p)
{
    uint32_t eval_id = pipeline_policy_eval_id(p, 0);

    if (p->level == INTENT_QUARANTINE_FORENSIC) {
        uint64_t stub[64 / 8];
        struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
        struct ms_peers peers;
        struct match m;

        ms_peers_init_empty(&peers);
        for (size_t i = 0; i < p->n_forensic_from; i++) {
            ms_peers_add_selector(&peers, &p->forensic_from[i]);
        }
        if (p->mode == INTENT_POLICY_ENFORCE) {
            ms_put_verdict_bits(&ofpacts, PIPELINE_MS_ALLOW_FINAL);
        }
        for (size_t i = 0; i < peers.n; i++) {
            if (!ms_peer_wanted(mc, &peers, i)) {
                continue;
            }
            ms_match_eval(&m, eval_id);
            ms_match_peer(&m, mc->side, &peers, i);
            match_set_ct_state_masked(&m, mc->side->inbound
                                      ? 0 : CS_REPLY_DIR, CS_REPLY_DIR);
            ms_add_peer(mc, mc->side->eval, MS_PRIO_EVAL_PEER, &m,
                        pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_ALLOW,
                                               p, 0),
                        &ofpacts);
        }
        ms_peers_destroy(&peers);
        ofpbuf_uninit(&ofpacts);
    }
    ms_eval_default(mc, p, eval_id, PIPELINE_MS_DENY, 0);
}

/* Adds the EVAL flows of isolation 'p' for a local VM in group 'role'
 * (1 or 2): a peer of the other group is denied. */
static void
ms_eval_isolation(struct ms_ctx *mc, const struct intent_policy *p,
                  unsigned int role)
{
    uint32_t eval_id = pipeline_policy_eval_id(p, role);
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct ms_peers peers;
    struct match m;
    bool enforce = p->mode == INTENT_POLICY_ENFORCE;
    uint64_t cookie = pipeline_cookie_policy(
        enforce ? PIPELINE_COOKIE_POLICY : PIPELINE_COOKIE_POLICY_MONITOR,
        p, 0);

    ms_peers_init_empty(&peers);
    ms_peers_add_selector(&peers, &p->between[2 - role]);
    if (enforce) {
        ms_put_verdict_bits(&ofpacts, PIPELINE_MS_DENY);
        pipeline_put_load_reg(&ofpacts, PIPELINE_REG_DENIER,
                              pipeline_policy_eval_id(p, 0));
    }
    for (size_t i = 0; i < peers.n; i++) {
        if (!ms_peer_wanted(mc, &peers, i)) {
            continue;
        }
        ms_match_eval(&m, eval_id);
        ms_match_peer(&m, mc->side, &peers, i);
        ms_add_counted(mc, mc->side->eval, MS_PRIO_EVAL_PEER, &m, cookie,
                       &ofpacts, !enforce && p->log, true);
    }
    ms_peers_destroy(&peers);
    ofpbuf_uninit(&ofpacts);
}

/* Adds the EVAL flows of application policy 'p' on 'mc''s side. */
static void
ms_eval_application(struct ms_ctx *mc, const struct intent_policy *p)
{
    const struct intent_rule_set *set = ms_rule_set(p, mc->side);
    uint32_t eval_id = pipeline_policy_eval_id(p, 0);
    unsigned int bits = pipeline_cookie_rule_bits(mc->side->inbound, NULL);
    struct ms_classes classes;

    ms_classes_init(&classes, set);
    ms_eval_classes(mc, &classes, eval_id,
                    pipeline_cookie_policy(PIPELINE_COOKIE_POLICY, p, bits));

    bool peers_only = mc->peers_only;
    for (size_t i = 0; i < set->n_rules; i++) {
        const struct intent_rule *rule = &set->rules[i];
        mc->peers_only = (peers_only
                          && !pipeline_delta_touches_rule(mc->ctx->delta, p,
                                                          rule));
        ms_eval_rule(mc, p, &classes, rule, eval_id);
    }
    mc->peers_only = peers_only;
    ms_eval_default(mc, p, eval_id, PIPELINE_MS_APP_DENY, bits);
}

/* ---------------------------------------------------------------------- */
/* VERDICT. */

/* Appends to 'ofpacts' what an allowed packet does: commit with ct_mark 0,
 * then on to the side's next stage. */
static void
ms_put_accept(struct ofpbuf *ofpacts, const struct ms_side *side)
{
    ms_put_commit(ofpacts, 0);
    pipeline_put_goto(ofpacts, side->next);
}

/* Adds the VERDICT flows that drop what 'p' denied ('bit' set in reg5 and
 * reg6 naming 'p') at 'priority': new connections are dropped (and sent
 * to the hit log if 'p' logs), established ones are also marked cut. */
static void
ms_verdict_deny(struct ms_ctx *mc, const struct intent_policy *p,
                uint32_t bit, uint16_t priority)
{
    bool app = p->type == INTENT_POLICY_APPLICATION;
    unsigned int bits = pipeline_cookie_rule_bits(app && mc->side->inbound,
                                                  NULL);
    uint64_t cookie = pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, p,
                                             bits);
    uint64_t stub[256 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match m;

    match_init_catchall(&m);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_reg_masked(&m, PIPELINE_REG_VERDICT, bit, bit);
    match_set_reg(&m, PIPELINE_REG_DENIER, pipeline_policy_eval_id(p, 0));
    ms_put_commit(&ofpacts, 1);
    ms_add(mc, mc->side->verdict, priority, &m, cookie, &ofpacts);

    ofpbuf_clear(&ofpacts);
    if (p->log) {
        ms_put_log(&ofpacts);
    }
    match_set_ct_state_masked(&m, CS_NEW, CS_NEW);
    ms_add(mc, mc->side->verdict, priority + 1, &m, cookie, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Adds the VERDICT flow at 'priority' for packets with 'bit' set in reg5:
 * accepted if 'accept', else dropped. */
static void
ms_verdict_bit(struct ms_ctx *mc, uint32_t bit, uint16_t priority,
               bool accept)
{
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match m;

    match_init_catchall(&m);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    if (bit) {
        match_set_reg_masked(&m, PIPELINE_REG_VERDICT, bit, bit);
    }
    if (accept) {
        ms_put_accept(&ofpacts, mc->side);
    }
    ms_add(mc, mc->side->verdict, priority, &m,
           ntohll(mc->ctx->bridge_cookie), &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Adds the EVAL and VERDICT flows of every evaluation some policed port of
 * 'mc' dispatches to. */
static void
ms_policy_flows(struct ms_ctx *mc)
{
    const struct intent *intent = mc->ctx->intent;

    for (size_t i = 0; i < intent_n_policies(intent); i++) {
        const struct intent_policy *p = intent_policy_at(intent, i);
        uint8_t roles = mc->roles_used[i];
        bool enforce = p->mode == INTENT_POLICY_ENFORCE;

        if (!roles) {
            continue;
        }
        mc->peers_only = false;
        if (mc->ctx->delta) {
            bool subjects;
            enum pipeline_delta_scope scope
                = pipeline_delta_policy(mc->ctx->delta, p, &subjects);
            if (scope == PIPELINE_DELTA_UNTOUCHED) {
                continue;
            }
            /* Touched in parts: unless a touched VM it applies to may
             * decide whether this bridge uses its evaluations at all,
             * which it cannot once the untouched VMs use them all. */
            mc->peers_only = (scope == PIPELINE_DELTA_PARTS
                              && (!subjects
                                  || (mc->untouched_roles[i]
                                      == ms_possible_roles(p, mc->side))));
        }
        /* What follows depends on the policy, the side and the roles
         * used, not on the bridge: compiled once per intent with a
         * memo. */
        if (pipeline_memo_begin(mc->ctx, ((uint64_t) p->index << 4)
                                | (mc->side->inbound << 3) | roles)) {
            continue;
        }
        switch (p->type) {
        case INTENT_POLICY_QUARANTINE:
            ms_eval_quarantine(mc, p);
            if (enforce) {
                ms_verdict_deny(mc, p, PIPELINE_MS_DENY,
                                MS_PRIO_VERDICT_DENY);
            }
            break;
        case INTENT_POLICY_ISOLATION:
            for (unsigned int role = 1; role <= 2; role++) {
                if (roles & (1u << role)) {
                    ms_eval_isolation(mc, p, role);
                }
            }
            if (enforce) {
                ms_verdict_deny(mc, p, PIPELINE_MS_DENY,
                                MS_PRIO_VERDICT_DENY);
            }
            break;
        case INTENT_POLICY_APPLICATION:
            ms_eval_application(mc, p);
            if (enforce) {
                ms_verdict_deny(mc, p, PIPELINE_MS_APP_DENY,
                                MS_PRIO_VERDICT_APP_DENY);
            }
            break;
        }
        pipeline_memo_end(mc->ctx);
    }
    mc->peers_only = false;
    pipeline_add_miss(mc->ctx, mc->side->eval, false, 0);

    /* An address that no class selects has none (the CLASS table is only
     * resubmitted to, so its miss flow is what clears reg7). */
    uint64_t stub[32 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match m;
    match_init_catchall(&m);
    pipeline_put_load_reg(&ofpacts, PIPELINE_REG_CLASS, 0);
    ms_add(mc, mc->side->class, PIPELINE_PRIO_MISS, &m,
           ntohll(mc->ctx->bridge_cookie), &ofpacts);
    ofpbuf_uninit(&ofpacts);

    /* A final allow wins; a final deny whose policy is not named (never
     * expected) and an application denial likewise drop; anything else is
     * allowed. */
    ms_verdict_bit(mc, PIPELINE_MS_ALLOW_FINAL, MS_PRIO_VERDICT_FINAL, true);
    ms_verdict_bit(mc, PIPELINE_MS_DENY, MS_PRIO_VERDICT_DENY - 10, false);
    ms_verdict_bit(mc, PIPELINE_MS_APP_ALLOW, MS_PRIO_VERDICT_APP_ALLOW,
                   true);
    ms_verdict_bit(mc, PIPELINE_MS_APP_DENY, MS_PRIO_VERDICT_APP_DENY - 10,
                   false);
    ms_verdict_bit(mc, 0, PIPELINE_PRIO_MISS + 1, true);
    pipeline_add_miss(mc->ctx, mc->side->verdict, false, 0);
}

/* Compiles one side of the stage for 'ctx''s bridge. */
static void
ms_compile_side(struct pipeline_ctx *ctx, const struct ms_side *side)
{
    struct ms_ctx mc = {
        .ctx = ctx,
        .side = side,
        .ports = xcalloc(ctx->n_ports + 1, sizeof *mc.ports),
        .roles_used = xcalloc(intent_n_policies(ctx->intent) + 1, 1),
        .untouched_roles = xcalloc(intent_n_policies(ctx->intent) + 1, 1),
    };

    /* A partial compile compiles the ENTRY flows of the touched VMs' ports
     * only, and the dispatch flows of the dispatch IDs its delta touches on
     * this side, which depend on every port that has them.  Without such
     * IDs, an untouched port counts only for whether any port is policed
     * and for the evaluations of the touched policies it uses (a touched
     * VM touches the policies that name it as a peer, not the VMs they
     * apply to, whose ports keep using them); with them, it counts with
     * all its evaluations. */
    const struct intent_policy **touched_policies = NULL;
    size_t n_touched_policies = 0;
    bool all_ports = (!ctx->delta
                      || pipeline_delta_has_dispatches(ctx->delta,
                                                       side->inbound));
    if (!all_ports) {
        size_t n = intent_n_policies(ctx->intent);
        touched_policies = xcalloc(n + 1, sizeof *touched_policies);
        for (size_t i = 0; i < n; i++) {
            const struct intent_policy *p = intent_policy_at(ctx->intent, i);
            if (pipeline_delta_touches_policy(ctx->delta, p)) {
                touched_policies[n_touched_policies++] = p;
            }
        }
    }
    bool any_policed = false;
    for (size_t i = 0; i < ctx->n_ports; i++) {
        const struct pipeline_port *port = &ctx->ports[i];
        struct ms_port *mp = &mc.ports[mc.n_ports];
        if (!port->nic) {
            continue;           /* Host adapters are not policed. */
        }
        if (!all_ports && !pipeline_delta_touches_vm(ctx->delta,
                                                     port->nic->vm)) {
            for (size_t j = 0; j < n_touched_policies; j++) {
                const struct intent_policy *p = touched_policies[j];
                unsigned int roles = ms_policy_roles(p, side, port->nic->vm);
                mc.roles_used[p->index] |= roles;
                mc.untouched_roles[p->index] |= roles;
                any_policed = any_policed || roles;
            }
            if (!any_policed) {
                any_policed = ms_vm_policed(ctx->intent, side,
                                            port->nic->vm, mp);
                free(mp->evals);
            }
            continue;
        }
        if (!ms_vm_policed(ctx->intent, side, port->nic->vm, mp)) {
            free(mp->evals);
            continue;
        }
        mp->port = port;
        any_policed = true;
        mp->dispatch_id = ms_dispatch_id(mp);
        mp->touched = (!ctx->delta
                       || pipeline_delta_touches_vm(ctx->delta,
                                                    port->nic->vm));
        for (size_t j = 0; j < mp->n_evals; j++) {
            unsigned int bit = 1u << mp->evals[j].role;
            size_t index = mp->evals[j].p->index;
            mc.roles_used[index] |= bit;
            if (!mp->touched) {
                mc.untouched_roles[index] |= bit;
            }
        }
        mc.n_ports++;
    }
    free(touched_policies);

    if (any_policed) {
        ms_side_flows(&mc);
        for (size_t i = 0; i < mc.n_ports; i++) {
            if (mc.ports[i].touched) {
                ms_port_flows(&mc, &mc.ports[i]);
            }
        }
        ms_dispatch_flows(&mc);
        ms_policy_flows(&mc);
    }
    pipeline_add_miss(ctx, side->entry, true, side->next);

    for (size_t i = 0; i < mc.n_ports; i++) {
        free(mc.ports[i].evals);
    }
    free(mc.ports);
    free(mc.roles_used);
    free(mc.untouched_roles);
}

/* Adds the microseg_out flows (tables 30-34). */
void
pipeline_microseg_out(struct pipeline_ctx *ctx)
{
    ms_compile_side(ctx, &ms_out);
}

/* Adds the microseg_in flows (tables 55-59). */
void
pipeline_microseg_in(struct pipeline_ctx *ctx)
{
    ms_compile_side(ctx, &ms_in);
}
