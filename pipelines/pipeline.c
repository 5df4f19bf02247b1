/*
 * The pipeline compiler's driver: builds the compile context for one
 * bridge (which local ports and uplink members the switch has, which
 * networks the bridge serves) and runs the stages in table order.  The
 * stages themselves live one per file; see stages.h and docs/pipeline.md.
 */
#include <config.h>

#include "pipelines/pipeline.h"

#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "hash.h"
#include "models/intent.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "pipelines/flowset.h"
#include "pipelines/portmap.h"
#include "pipelines/stages.h"
#include "util.h"

/* Returns the name of table 'id' ("classify", ...), or NULL if 'id' is not
 * in the table plan. */
const char *
pipeline_table_name(uint8_t id)
{
    switch (id) {
    case PIPELINE_T_CLASSIFY: return "classify";
    case PIPELINE_T_VLAN_IN: return "vlan_in";
    case PIPELINE_T_PORT_SECURITY: return "port_security";
    case PIPELINE_T_MICROSEG_OUT: return "microseg_out";
    case PIPELINE_T_MS_OUT_STATE: return "microseg_out_state";
    case PIPELINE_T_MS_OUT_EVAL: return "microseg_out_eval";
    case PIPELINE_T_MS_OUT_VERDICT: return "microseg_out_verdict";
    case PIPELINE_T_MS_OUT_CLASS: return "microseg_out_class";
    case PIPELINE_T_SERVICE_CHAIN: return "service_chain";
    case PIPELINE_T_L2_FORWARD: return "l2_forward";
    case PIPELINE_T_MICROSEG_IN: return "microseg_in";
    case PIPELINE_T_MS_IN_STATE: return "microseg_in_state";
    case PIPELINE_T_MS_IN_EVAL: return "microseg_in_eval";
    case PIPELINE_T_MS_IN_VERDICT: return "microseg_in_verdict";
    case PIPELINE_T_MS_IN_CLASS: return "microseg_in_class";
    case PIPELINE_T_EGRESS: return "egress";
    default: return NULL;
    }
}

static void pipeline_compile__(const struct intent *,
                               const struct intent_bridge *,
                               const struct portmap *,
                               const struct pipeline_delta *,
                               struct pipeline_memo *, struct flowset *out);

/* ---------------------------------------------------------------------- */
/* The memo of flows shared between bridges. */

/* The flows one stage compiled for one key, in the order it added them. */
struct pipeline_memo_block {
    struct hmap_node node;      /* In 'blocks', by hash_uint64('key'). */
    uint64_t key;
    const struct flowset_flow **flows;  /* Each holds a reference. */
    size_t n, allocated;
};

struct pipeline_memo {
    const struct intent *intent;
    struct hmap blocks;         /* struct pipeline_memo_block. */
    size_t n_flows;             /* In all blocks. */
    /* Of the sets compiled with it: the most flows per local port (plus
     * one), and the most flows.  A new set starts with room for as many
     * flows per port, but no more than the largest set. */
    size_t flows_per_port;
    size_t max_flows;
};

/* Returns a new, empty memo for compiling the bridges of 'intent'. */
struct pipeline_memo *
pipeline_memo_create(const struct intent *intent)
{
    struct pipeline_memo *memo = xmalloc(sizeof *memo);
    memo->intent = intent;
    hmap_init(&memo->blocks);
    memo->n_flows = 0;
    memo->flows_per_port = 0;
    memo->max_flows = 0;
    return memo;
}

/* Frees 'memo' and its references to flows.  'memo' may be NULL. */
void
pipeline_memo_destroy(struct pipeline_memo *memo)
{
    if (!memo) {
        return;
    }
    struct pipeline_memo_block *b;
    HMAP_FOR_EACH_POP (b, node, &memo->blocks) {
        for (size_t i = 0; i < b->n; i++) {
            flowset_flow_unref(b->flows[i]);
        }
        free(b->flows);
        free(b);
    }
    hmap_destroy(&memo->blocks);
    free(memo);
}

/* Returns the intent 'memo' serves. */
const struct intent *
pipeline_memo_intent(const struct pipeline_memo *memo)
{
    return memo->intent;
}

/* Returns the number of flows 'memo' holds. */
size_t
pipeline_memo_n_flows(const struct pipeline_memo *memo)
{
    return memo ? memo->n_flows : 0;
}

/* Appends 'f' to block 'b' of 'memo'. */
static void
pipeline_memo_record(struct pipeline_memo *memo,
                     struct pipeline_memo_block *b,
                     const struct flowset_flow *f)
{
    if (b->n >= b->allocated) {
        b->flows = x2nrealloc(b->flows, &b->allocated, sizeof *b->flows);
    }
    b->flows[b->n++] = flowset_flow_ref(f);
    memo->n_flows++;
}

/* See stages.h. */
bool
pipeline_memo_begin(struct pipeline_ctx *ctx, uint64_t key)
{
    struct pipeline_memo *memo = ctx->memo;
    ovs_assert(!ctx->recording);
    if (!memo) {
        return false;
    }

    uint32_t hash = hash_uint64(key);
    struct pipeline_memo_block *b;
    HMAP_FOR_EACH_WITH_HASH (b, node, hash, &memo->blocks) {
        if (b->key == key) {
            for (size_t i = 0; i < b->n; i++) {
                flowset_add_shared(ctx->out, b->flows[i]);
            }
            return true;
        }
    }
    b = xzalloc(sizeof *b);
    b->key = key;
    hmap_insert(&memo->blocks, &b->node, hash);
    ctx->recording = b;
    return false;
}

/* See stages.h. */
void
pipeline_memo_end(struct pipeline_ctx *ctx)
{
    struct pipeline_memo_block *b = ctx->recording;
    if (b && b->n < b->allocated) {
        b->flows = xrealloc(b->flows, (b->n ? b->n : 1) * sizeof *b->flows);
        b->allocated = b->n;
    }
    ctx->recording = NULL;
}

/* ---------------------------------------------------------------------- */

/* See stages.h. */
bool
pipeline_skips_cookie(const struct pipeline_ctx *ctx, ovs_be64 cookie)
{
    return (ctx->delta && !ctx->force
            && !pipeline_delta_touches(ctx->delta, ntohll(cookie)));
}

/* Adds to 'ctx''s output a flow in 'table' at 'priority' matching 'match',
 * with 'cookie' and the actions in 'ofpacts'.  A partial compile leaves
 * out the flows its delta does not touch, unless 'ctx->force'. */
void
pipeline_add_flow(struct pipeline_ctx *ctx, enum pipeline_table table,
                  uint16_t priority, const struct match *match,
                  ovs_be64 cookie, const struct ofpbuf *ofpacts)
{
    if (pipeline_skips_cookie(ctx, cookie)) {
        return;
    }
    const struct flowset_flow *f = flowset_add_flow(ctx->out, table,
                                                    priority, match, cookie,
                                                    ofpacts->data,
                                                    ofpacts->size);
    if (ctx->recording) {
        pipeline_memo_record(ctx->memo, ctx->recording, f);
    }
}

/* Adds 'table''s table-miss flow (priority 0, matching everything, with
 * the bridge-wide cookie): a goto to 'next' if 'to_next', else a drop. */
void
pipeline_add_miss(struct pipeline_ctx *ctx, enum pipeline_table table,
                  bool to_next, enum pipeline_table next)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    match_init_catchall(&match);
    if (to_next) {
        pipeline_put_goto(&ofpacts, next);
    }
    pipeline_add_flow(ctx, table, PIPELINE_PRIO_MISS, &match,
                      ctx->bridge_cookie, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Appends to 'ofpacts' a goto_table to 'table'. */
void
pipeline_put_goto(struct ofpbuf *ofpacts, enum pipeline_table table)
{
    ofpact_put_GOTO_TABLE(ofpacts)->table_id = table;
}

/* Appends to 'ofpacts' an action setting register 'reg' to 'value'. */
void
pipeline_put_load_reg(struct ofpbuf *ofpacts, int reg, uint32_t value)
{
    ovs_be32 v = htonl(value);
    ofpact_put_set_field(ofpacts, mf_from_id(MFF_REG0 + reg), &v, NULL);
}

/* Makes 'match' match the frames of network 'net' as they travel inside
 * the pipeline: tagged with its VLAN, or untagged for the VLAN 0
 * network. */
void
pipeline_match_network(struct match *match, const struct intent_network *net)
{
    if (net->vlan) {
        match_set_dl_vlan(match, htons(net->vlan), 0);
    } else {
        match_set_dl_tci_masked(match, htons(0), htons(VLAN_CFI));
    }
}

/* Makes 'match' match frames whose destination is a multicast (or
 * broadcast) address if 'multicast', else unicast frames: the group bit of
 * dl_dst, "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00" or
 * "dl_dst=00:00:00:00:00:00/01:00:00:00:00:00". */
void
pipeline_match_multicast(struct match *match, bool multicast)
{
    static const struct eth_addr group_bit = ETH_ADDR_C(01,00,00,00,00,00);

    match_set_dl_dst_masked(match, multicast ? group_bit : eth_addr_zero,
                            group_bit);
}

/* Returns true if 'ctx''s bridge carries 'net' on its uplink. */
bool
pipeline_network_carried(const struct pipeline_ctx *ctx,
                         const struct intent_network *net)
{
    return ctx->carried[net->index];
}

/* Returns true if 'net' is 'p''s access or native network. */
bool
pipeline_port_is_native(const struct pipeline_port *p,
                        const struct intent_network *net)
{
    return p->network == net;
}

/* Returns true if 'net', the entry 'j' of 'p''s trunk networks, is one
 * that 'p' carries tagged: a trunk network other than the native one,
 * with a VLAN (the VLAN 0 network cannot be tagged), and not listed
 * earlier.  Every stage walks trunk networks through this test. */
bool
pipeline_port_is_trunk_tagged(const struct pipeline_port *p,
                              const struct intent_network *net, size_t j)
{
    if (!net->vlan || pipeline_port_is_native(p, net)) {
        return false;
    }
    for (size_t i = 0; i < j; i++) {
        if (p->trunk_networks[i] == net) {
            return false;
        }
    }
    return true;
}

/* Appends 'net' to 'ctx->nets' unless 'seen' (indexed by network index)
 * says it is there already. */
static void
pipeline_ctx_add_net(struct pipeline_ctx *ctx, bool *seen,
                     const struct intent_network *net)
{
    if (!seen[net->index]) {
        seen[net->index] = true;
        ctx->nets[ctx->n_nets++] = net;
    }
}

/* Records local port 'port_idx' as a member of 'net'. */
static void
pipeline_ctx_add_member(struct pipeline_ctx *ctx,
                        const struct intent_network *net, size_t port_idx)
{
    struct pipeline_members *m = &ctx->members_of[net->index];
    if (m->n >= m->allocated) {
        m->ports = x2nrealloc(m->ports, &m->allocated, sizeof *m->ports);
    }
    m->ports[m->n++] = port_idx;
}

/* Returns true if uplink member 'name' is 'ctx''s bridge's primary. */
static bool
pipeline_is_primary(const struct pipeline_ctx *ctx, const char *name)
{
    const struct intent_uplink *up = &ctx->br->uplink;
    return (up->mode != INTENT_BOND_BALANCE_SLB && up->primary
            && !strcmp(up->primary, name));
}

/* Appends to 'ctx''s local ports the port 'name' with the given address
 * and network, if the switch has it; returns it, or NULL if the switch has
 * no such port.  The caller fills in the role, cookie and owner. */
static struct pipeline_port *
pipeline_ctx_add_port(struct pipeline_ctx *ctx, const char *name,
                      struct eth_addr mac, bool has_ip, ovs_be32 ip,
                      const struct intent_network *network)
{
    const struct portmap_port *pp = portmap_find(ctx->portmap, name);
    if (!pp) {
        return NULL;
    }
    struct pipeline_port *p = &ctx->ports[ctx->n_ports++];
    p->name = name;
    p->ofp_port = pp->ofp_port;
    p->mac = mac;
    p->has_ip = has_ip;
    p->ip = ip;
    p->network = network;
    return p;
}

/* Initializes 'ctx' for compiling 'br' of 'intent' against 'portmap' into
 * 'out'. */
static void
pipeline_ctx_init(struct pipeline_ctx *ctx, const struct intent *intent,
                  const struct intent_bridge *br,
                  const struct portmap *portmap, struct flowset *out)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->intent = intent;
    ctx->br = br;
    ctx->portmap = portmap;
    ctx->out = out;
    ctx->bridge_cookie = htonll(pipeline_cookie_bridge(br));
    ctx->uplink_cookie = htonll(pipeline_cookie_uplink(br));

    /* Local ports the switch has: adapters, then vNICs. */
    ctx->ports = xcalloc(br->n_adapters + br->n_nics + 1,
                         sizeof *ctx->ports);
    size_t n_trunk_nets = 0;
    for (size_t i = 0; i < br->n_adapters; i++) {
        const struct intent_adapter *a = &br->adapters[i];
        struct pipeline_port *p = pipeline_ctx_add_port(
            ctx, a->port, a->mac, a->has_ip, a->ip, a->network);
        if (!p) {
            continue;
        }
        p->adapter = a;
        p->role = PIPELINE_ROLE_ADAPTER;
        p->cookie = htonll(pipeline_cookie_adapter(a));
    }
    for (size_t i = 0; i < br->n_nics; i++) {
        const struct intent_nic *nic = br->nics[i];
        struct pipeline_port *p = pipeline_ctx_add_port(
            ctx, nic->port, nic->mac, nic->has_ip, nic->ip, nic->network);
        if (!p) {
            continue;
        }
        p->nic = nic;
        p->trunk = nic->mode == INTENT_NIC_TRUNK;
        if (p->trunk) {
            p->trunk_networks = nic->trunk_networks;
            p->n_trunk_networks = nic->n_trunk_networks;
            n_trunk_nets += nic->n_trunk_networks;
        }
        p->role = PIPELINE_ROLE_VM;
        p->cookie = htonll(pipeline_cookie_nic(nic));
    }

    /* Networks: the bridge's, then those its local ports add; members of
     * each. */
    size_t n_all_nets = intent_n_networks(intent);
    bool *seen = xcalloc(n_all_nets + 1, sizeof *seen);
    ctx->carried = xcalloc(n_all_nets + 1, sizeof *ctx->carried);
    ctx->members_of = xcalloc(n_all_nets + 1, sizeof *ctx->members_of);
    ctx->nets = xcalloc(br->n_networks + ctx->n_ports + n_trunk_nets + 1,
                        sizeof *ctx->nets);
    for (size_t i = 0; i < br->n_networks; i++) {
        ctx->carried[br->networks[i]->index] = true;
        pipeline_ctx_add_net(ctx, seen, br->networks[i]);
    }
    for (size_t i = 0; i < ctx->n_ports; i++) {
        const struct pipeline_port *p = &ctx->ports[i];
        pipeline_ctx_add_net(ctx, seen, p->network);
        pipeline_ctx_add_member(ctx, p->network, i);
        for (size_t j = 0; j < p->n_trunk_networks; j++) {
            const struct intent_network *net = p->trunk_networks[j];
            if (pipeline_port_is_trunk_tagged(p, net, j)) {
                pipeline_ctx_add_net(ctx, seen, net);
                pipeline_ctx_add_member(ctx, net, i);
            }
        }
    }
    free(seen);

    /* Uplink members the switch has, primary first (active-backup). */
    const struct intent_uplink *up = &br->uplink;
    ctx->members = xcalloc(up->n_members + 1, sizeof *ctx->members);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < up->n_members; i++) {
            if (pipeline_is_primary(ctx, up->members[i]) != !pass) {
                continue;
            }
            const struct portmap_port *pp = portmap_find(portmap,
                                                         up->members[i]);
            if (pp) {
                ctx->members[ctx->n_members++] = pp;
            }
        }
    }
}

/* Frees what 'ctx' allocated. */
static void
pipeline_ctx_destroy(struct pipeline_ctx *ctx)
{
    size_t n_all_nets = intent_n_networks(ctx->intent);
    for (size_t i = 0; i < n_all_nets; i++) {
        free(ctx->members_of[i].ports);
    }
    free(ctx->members_of);
    free(ctx->carried);
    free(ctx->ports);
    free(ctx->nets);
    free(ctx->members);
}

/* Compiles the flows and groups of 'br' (which belongs to 'intent') for a
 * switch whose ports are 'portmap', and adds them to 'out'.  Pure: the
 * same arguments always give the same flow set. */
void
pipeline_compile(const struct intent *intent, const struct intent_bridge *br,
                 const struct portmap *portmap, struct flowset *out)
{
    pipeline_compile__(intent, br, portmap, NULL, NULL, out);
}

/* Like pipeline_compile(), with the flows of 'memo' (which must serve
 * 'intent'; NULL: none) and adding what it compiles to it. */
void
pipeline_compile_memo(const struct intent *intent,
                      const struct intent_bridge *br,
                      const struct portmap *portmap,
                      struct pipeline_memo *memo, struct flowset *out)
{
    ovs_assert(!memo || memo->intent == intent);
    pipeline_compile__(intent, br, portmap, NULL, memo, out);
}

/* Like pipeline_compile(), but if 'delta' is nonnull, adds only the flows
 * that 'delta' touches (and every group): see pipelines/delta.c. */
void
pipeline_compile_partial(const struct intent *intent,
                         const struct intent_bridge *br,
                         const struct portmap *portmap,
                         const struct pipeline_delta *delta,
                         struct flowset *out)
{
    pipeline_compile__(intent, br, portmap, delta, NULL, out);
}

/* Compiles 'br' into 'out': the flows 'delta' touches if it is nonnull
 * (then without 'memo'), else all of them, with 'memo' if nonnull. */
static void
pipeline_compile__(const struct intent *intent,
                   const struct intent_bridge *br,
                   const struct portmap *portmap,
                   const struct pipeline_delta *delta,
                   struct pipeline_memo *memo, struct flowset *out)
{
    struct pipeline_ctx ctx;

    pipeline_ctx_init(&ctx, intent, br, portmap, out);
    ctx.delta = delta;
    ctx.memo = delta ? NULL : memo;
    if (ctx.memo && !flowset_n_flows(out)) {
        flowset_reserve(out, MIN(memo->flows_per_port * (ctx.n_ports + 1),
                                 memo->max_flows));
    }
    pipeline_classify(&ctx);
    pipeline_vlan_in(&ctx);
    pipeline_port_security(&ctx);
    pipeline_microseg_out(&ctx);
    pipeline_service_chain(&ctx);
    pipeline_l2_forward(&ctx);
    pipeline_microseg_in(&ctx);
    pipeline_egress(&ctx);
    if (ctx.memo) {
        size_t n = flowset_n_flows(out);
        memo->flows_per_port = MAX(memo->flows_per_port,
                                   DIV_ROUND_UP(n, ctx.n_ports + 1));
        memo->max_flows = MAX(memo->max_flows, n);
    }
    pipeline_ctx_destroy(&ctx);
}

/* Adds to 'out' the flow set of a switch whose datapath ID is not in the
 * intent: one table-0 flow that drops everything. */
void
pipeline_compile_unknown(struct flowset *out)
{
    struct match match;

    match_init_catchall(&match);
    flowset_add_flow(out, PIPELINE_T_CLASSIFY, PIPELINE_PRIO_MISS, &match,
                     htonll(pipeline_cookie_make(PIPELINE_COOKIE_BRIDGE, "",
                                                 0)),
                     NULL, 0);
}
