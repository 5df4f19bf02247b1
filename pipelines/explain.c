/* The explain evaluator (explain.h). */
#include <config.h>
#include "pipelines/explain.h"

#include <string.h>
#include "classifier.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-port.h"
#include "ovs-rcu.h"
#include "pipelines/flowset.h"
#include "pipelines/portmap.h"
#include "util.h"
#include "versions.h"

/* Limits, as ovs-vswitchd's translation has them: a deeper or longer
 * translation is cut (and the packet dropped). */
#define EXPLAIN_MAX_DEPTH 64
#define EXPLAIN_MAX_STEPS 4096

/* A flow in a table's classifier. */
struct explain_rule {
    struct cls_rule cr;
    const struct flowset_flow *flow;
};

struct explain {
    struct classifier *tables[256];     /* NULL for an empty table. */
    struct explain_rule *rules;
    size_t n_rules;
    const struct flowset *fs;
    struct portmap ports;               /* Copy: liveness of watch ports. */
};

/* Translation state of one run. */
struct xstate {
    const struct explain *ex;
    struct explain_result *r;
};

/* Returns an evaluator of the flows and groups of 'fs', with the port
 * liveness of 'ports' (may be NULL: every watch port is down).  'fs' must
 * outlive it, unchanged. */
struct explain *
explain_create(const struct flowset *fs, const struct portmap *ports)
{
    struct explain *ex = xzalloc(sizeof *ex);
    ex->fs = fs;
    if (ports) {
        portmap_clone(&ex->ports, ports);
    } else {
        portmap_init(&ex->ports);
    }
    ex->rules = xcalloc(MAX(flowset_n_flows(fs), 1), sizeof *ex->rules);

    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, fs) {
        struct classifier **cls = &ex->tables[f->table_id];
        if (!*cls) {
            *cls = xmalloc(sizeof **cls);
            classifier_init(*cls, NULL);
        }

        /* A flow whose actions are conjunction() actions is a clause of
         * those conjunctions; it has no actions of its own. */
        struct cls_conjunction *conjs = NULL;
        size_t n_conjs = 0;
        const struct ofpact *a;
        OFPACT_FOR_EACH (a, f->ofpacts, f->ofpacts_len) {
            if (a->type == OFPACT_CONJUNCTION) {
                const struct ofpact_conjunction *oc
                    = ofpact_get_CONJUNCTION(a);
                conjs = xrealloc(conjs, (n_conjs + 1) * sizeof *conjs);
                conjs[n_conjs].id = oc->id;
                conjs[n_conjs].clause = oc->clause;
                conjs[n_conjs].n_clauses = oc->n_clauses;
                n_conjs++;
            }
        }

        struct explain_rule *rule = &ex->rules[ex->n_rules++];
        cls_rule_init_from_minimatch(&rule->cr, &f->match, f->priority);
        rule->flow = f;
        if (classifier_find_rule_exactly(*cls, &rule->cr, OVS_VERSION_MAX)) {
            /* Cannot happen: a flow set is keyed like a table. */
            cls_rule_destroy(&rule->cr);
            ex->n_rules--;
        } else {
            classifier_insert(*cls, &rule->cr, OVS_VERSION_MIN, conjs,
                              n_conjs);
        }
        free(conjs);
    }
    return ex;
}

/* Frees 'ex' (may be NULL). */
void
explain_destroy(struct explain *ex)
{
    if (!ex) {
        return;
    }
    for (size_t i = 0; i < ex->n_rules; i++) {
        struct explain_rule *rule = &ex->rules[i];
        classifier_remove_assert(ex->tables[rule->flow->table_id],
                                 &rule->cr);
        cls_rule_destroy(&rule->cr);
    }
    for (size_t t = 0; t < ARRAY_SIZE(ex->tables); t++) {
        if (ex->tables[t]) {
            classifier_destroy(ex->tables[t]);
            free(ex->tables[t]);
        }
    }
    free(ex->rules);
    portmap_destroy(&ex->ports);
    free(ex);
    /* The classifier frees its internals through RCU callbacks; in this
     * single-threaded process, quiescing runs them now. */
    ovsrcu_quiesce();
}

/* Appends a step to the result of 'x'; takes 'note' (may be NULL).  Returns
 * its index. */
static size_t
add_step(struct xstate *x, int depth, uint8_t table_id,
         const struct flowset_flow *flow, char *note)
{
    struct explain_result *r = x->r;
    if (r->n_steps >= r->allocated_steps) {
        r->steps = x2nrealloc(r->steps, &r->allocated_steps,
                              sizeof *r->steps);
    }
    struct explain_step *s = &r->steps[r->n_steps];
    s->depth = depth;
    s->table_id = table_id;
    s->flow = flow;
    s->note = note;
    return r->n_steps++;
}

/* Appends a remark, formatted from 'format', at 'depth' in 'table_id'. */
static void OVS_PRINTF_FORMAT(4, 5)
add_note(struct xstate *x, int depth, uint8_t table_id,
         const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *note = xvasprintf(format, args);
    va_end(args);
    add_step(x, depth, table_id, NULL, note);
}

/* Records a copy of 'packet' leaving through 'port', output by the flow of
 * step 'step'. */
static void
add_output(struct xstate *x, ofp_port_t port, const struct flow *packet,
           size_t step)
{
    struct explain_result *r = x->r;
    if (r->n_outputs >= r->allocated_outputs) {
        r->outputs = x2nrealloc(r->outputs, &r->allocated_outputs,
                                sizeof *r->outputs);
    }
    struct explain_output *o = &r->outputs[r->n_outputs++];
    o->port = port;
    o->packet = *packet;
    o->step = step;
}

static bool too_deep(struct xstate *, int depth);
static void do_table(struct xstate *, struct flow *, uint8_t table_id,
                     int depth);
static void do_actions(struct xstate *, struct flow *,
                       const struct ofpact *, size_t ofpacts_len,
                       uint8_t table_id, int depth, size_t step);

/* True if the bucket watching 'port' is live. */
static bool
port_is_live(const struct explain *ex, ofp_port_t port)
{
    const struct portmap_port *p = portmap_find_by_number(&ex->ports, port);
    return p && p->live;
}

/* Executes group 'group_id' on 'flow' (see explain.h for the types). */
static void
do_group(struct xstate *x, struct flow *flow, uint32_t group_id,
         uint8_t table_id, int depth, size_t step)
{
    const struct flowset_group *g = flowset_find_group(x->ex->fs, group_id);
    if (!g) {
        add_note(x, depth, table_id, "group %"PRIu32" does not exist: drop",
                 group_id);
        return;
    }
    const struct ofputil_bucket *b;
    size_t i = 0;
    if (g->type == OFPGT11_ALL) {
        add_note(x, depth, table_id, "group %"PRIu32" (all): every bucket, "
                 "each on a copy of the packet", group_id);
        LIST_FOR_EACH (b, list_node, &g->buckets) {
            struct flow copy = *flow;
            add_note(x, depth + 1, table_id, "bucket %"PRIuSIZE, i++);
            do_actions(x, &copy, b->ofpacts, b->ofpacts_len, table_id,
                       depth + 1, step);
        }
        return;
    }
    if (g->type == OFPGT11_FF) {
        LIST_FOR_EACH (b, list_node, &g->buckets) {
            if (port_is_live(x->ex, b->watch_port)) {
                add_note(x, depth, table_id, "group %"PRIu32" (fast "
                         "failover): bucket %"PRIuSIZE", the first whose "
                         "watch port %"PRIu32" is live", group_id, i,
                         ofp_to_u16(b->watch_port));
                struct flow copy = *flow;
                do_actions(x, &copy, b->ofpacts, b->ofpacts_len, table_id,
                           depth + 1, step);
                return;
            }
            i++;
        }
        add_note(x, depth, table_id, "group %"PRIu32" (fast failover): no "
                 "live bucket: drop", group_id);
        return;
    }
    /* Select (or any other type): the hash OVS would use is not
     * simulated; the first bucket stands for the one it picks. */
    if (ovs_list_is_empty(&g->buckets)) {
        add_note(x, depth, table_id, "group %"PRIu32": no bucket: drop",
                 group_id);
        return;
    }
    b = CONTAINER_OF(ovs_list_front(&g->buckets), struct ofputil_bucket,
                     list_node);
    add_note(x, depth, table_id, "group %"PRIu32" (select, %"PRIuSIZE
             " buckets): OVS picks one by hash, not simulated here; "
             "showing bucket 0", group_id, ovs_list_size(&g->buckets));
    struct flow copy = *flow;
    do_actions(x, &copy, b->ofpacts, b->ofpacts_len, table_id, depth + 1,
               step);
}

/* Outputs 'flow' to 'port', except back to its ingress port, as OVS
 * does. */
static void
do_output(struct xstate *x, struct flow *flow, ofp_port_t port,
          uint8_t table_id, int depth, size_t step)
{
    if (port == OFPP_IN_PORT) {
        port = flow->in_port.ofp_port;
    } else if (port == flow->in_port.ofp_port) {
        add_note(x, depth, table_id, "output:%"PRIu32" skipped: never back "
                 "to the ingress port", ofp_to_u16(port));
        return;
    }
    if (port == OFPP_CONTROLLER) {
        add_note(x, depth, table_id, "copy to the controller");
    } else if (ofp_to_u16(port) >= ofp_to_u16(OFPP_MAX)) {
        char name[OFP_MAX_PORT_NAME_LEN];
        ofputil_port_to_string(port, NULL, name, sizeof name);
        add_note(x, depth, table_id, "output to the reserved port %s is "
                 "not simulated", name);
        return;
    }
    add_output(x, port, flow, step);
}

/* Makes 'flow' untracked: no conntrack state, zone, mark or label. */
static void
explain_untrack(struct flow *flow)
{
    flow->ct_state = 0;
    flow->ct_zone = 0;
    flow->ct_mark = 0;
    memset(&flow->ct_label, 0, sizeof flow->ct_label);
}

/* Executes the actions 'ofpacts' of the flow of step 'step' (matched in
 * 'table_id') on 'flow'. */
static void
do_actions(struct xstate *x, struct flow *flow, const struct ofpact *ofpacts,
           size_t ofpacts_len, uint8_t table_id, int depth, size_t step)
{
    const struct ofpact *a;
    OFPACT_FOR_EACH (a, ofpacts, ofpacts_len) {
        if (too_deep(x, depth)) {
            return;
        }
        switch (a->type) {
        case OFPACT_OUTPUT:
            do_output(x, flow, ofpact_get_OUTPUT(a)->port, table_id, depth,
                      step);
            break;
        case OFPACT_OUTPUT_REG: {
            const struct ofpact_output_reg *o = ofpact_get_OUTPUT_REG(a);
            do_output(x, flow, u16_to_ofp(mf_get_subfield(&o->src, flow)),
                      table_id, depth, step);
            break;
        }
        case OFPACT_CONTROLLER:
            add_note(x, depth, table_id, "copy to the controller");
            add_output(x, OFPP_CONTROLLER, flow, step);
            break;
        case OFPACT_GROUP:
            do_group(x, flow, ofpact_get_GROUP(a)->group_id, table_id,
                     depth, step);
            break;
        case OFPACT_SET_FIELD: {
            const struct ofpact_set_field *sf = ofpact_get_SET_FIELD(a);
            mf_set_flow_value_masked(sf->field, sf->value,
                                     ofpact_set_field_mask(sf), flow);
            break;
        }
        case OFPACT_REG_MOVE: {
            const struct ofpact_reg_move *m = ofpact_get_REG_MOVE(a);
            mf_subfield_copy(&m->src, &m->dst, flow, NULL);
            break;
        }
        case OFPACT_PUSH_VLAN:
            flow_push_vlan_uninit(flow, NULL);
            flow->vlans[0].tpid = ofpact_get_PUSH_VLAN(a)->ethertype;
            flow->vlans[0].tci = htons(VLAN_CFI);
            break;
        case OFPACT_STRIP_VLAN:
            flow_pop_vlan(flow, NULL);
            break;
        case OFPACT_SET_VLAN_VID:
            flow->vlans[0].tci &= ~htons(VLAN_VID_MASK);
            flow->vlans[0].tci |= htons(ofpact_get_SET_VLAN_VID(a)->vlan_vid
                                        | VLAN_CFI);
            break;
        case OFPACT_RESUBMIT: {
            const struct ofpact_resubmit *rs = ofpact_get_RESUBMIT(a);
            union flow_in_port save_in_port = flow->in_port;
            if (rs->in_port != OFPP_IN_PORT) {
                flow->in_port.ofp_port = rs->in_port;
            }
            do_table(x, flow, rs->table_id == 255 ? table_id : rs->table_id,
                     depth + 1);
            flow->in_port = save_in_port;
            break;
        }
        case OFPACT_GOTO_TABLE:
            do_table(x, flow, ofpact_get_GOTO_TABLE(a)->table_id, depth);
            return;
        case OFPACT_CT: {
            const struct ofpact_conntrack *ct = ofpact_get_CT(a);
            uint16_t zone = (ct->zone_src.field
                             ? mf_get_subfield(&ct->zone_src, flow)
                             : ct->zone_imm);
            if (ct->flags & NX_CT_F_COMMIT) {
                add_note(x, depth, table_id, "ct(commit) in zone %"PRIu16,
                         zone);
            }
            if (ct->recirc_table != NX_CT_RECIRC_NONE) {
                add_note(x, depth, table_id, "ct() in zone %"PRIu16": "
                         "recirculates to table %"PRIu8" as the first "
                         "packet of a new connection (ct_state=+trk+new, "
                         "simulated)", zone, ct->recirc_table);
                flow->ct_state = CS_TRACKED | CS_NEW;
                flow->ct_zone = zone;
                do_table(x, flow, ct->recirc_table, depth);
                return;
            }
            /* As in OVS, the packet is untracked again after ct(). */
            explain_untrack(flow);
            break;
        }
        case OFPACT_CT_CLEAR:
            explain_untrack(flow);
            break;
        case OFPACT_CONJUNCTION:
            /* Clause flows are in the classifier as clauses. */
            break;
        case OFPACT_NOTE:
        case OFPACT_METER:
            break;
        default:
            add_note(x, depth, table_id, "action %s not simulated",
                     ofpact_name(a->type));
            break;
        }
    }
}

/* True (after noting it once) if the translation went too deep or too
 * long. */
static bool
too_deep(struct xstate *x, int depth)
{
    if (depth < EXPLAIN_MAX_DEPTH && x->r->n_steps < EXPLAIN_MAX_STEPS) {
        return false;
    }
    if (!x->r->truncated) {
        x->r->truncated = true;
        add_note(x, 0, 0, "translation too deep or too long: OVS would "
                 "drop the packet here");
    }
    return true;
}

/* Looks 'flow' up in 'table_id' and executes the matching flow's
 * actions. */
static void
do_table(struct xstate *x, struct flow *flow, uint8_t table_id, int depth)
{
    if (too_deep(x, depth)) {
        return;
    }
    const struct classifier *cls = x->ex->tables[table_id];
    const struct cls_rule *cr = (cls
                                 ? classifier_lookup(cls, OVS_VERSION_MIN,
                                                     flow, NULL)
                                 : NULL);
    if (!cr) {
        add_note(x, depth, table_id, "no flow matches: drop");
        return;
    }
    const struct explain_rule *rule = CONTAINER_OF(cr, struct explain_rule,
                                                   cr);
    size_t step = add_step(x, depth, table_id, rule->flow, NULL);
    do_actions(x, flow, rule->flow->ofpacts, rule->flow->ofpacts_len,
               table_id, depth, step);
}

/* Walks 'packet' through the flows of 'ex' from table 0. */
void
explain_run(const struct explain *ex, const struct flow *packet,
            struct explain_result *r)
{
    memset(r, 0, sizeof *r);
    struct xstate x = { .ex = ex, .r = r };
    struct flow flow = *packet;
    do_table(&x, &flow, 0, 0);
}

/* Frees what 'r' holds (not 'r'). */
void
explain_result_destroy(struct explain_result *r)
{
    if (r) {
        for (size_t i = 0; i < r->n_steps; i++) {
            free(r->steps[i].note);
        }
        free(r->steps);
        free(r->outputs);
        memset(r, 0, sizeof *r);
    }
}

/* Returns the number of copies of the packet output to ports (not to the
 * controller). */
size_t
explain_result_n_port_outputs(const struct explain_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_outputs; i++) {
        n += r->outputs[i].port != OFPP_CONTROLLER;
    }
    return n;
}
