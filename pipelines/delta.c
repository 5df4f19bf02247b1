/*
 * The incremental compile: which flows of a bridge a change of intent can
 * touch, named by their cookies (pipeline.h) and, for a policy's peer
 * flows, by their peer addresses.
 *
 * A delta compares the running model with the next one (intent_compare())
 * and marks intent objects "touched":
 *
 *   - a VM added, removed or changed, and its NICs' addresses and
 *     networks (access and trunk) in both models: a network's flows on a
 *     bridge depend on which of its ports are there;
 *   - a policy added or removed, or changed in more than the rules of its
 *     "allow" lists: touched whole, and every VM it applies to in either
 *     model (its target, isolation groups, quarantined VMs), since the
 *     dispatch flows of their ports list the policies that apply to them;
 *   - an application policy changed only in rules: those rule positions;
 *   - every policy that concerns a touched VM, in the model that has it
 *     (its target, an isolation group, a quarantine's VMs, a forensic
 *     source, or a rule's peer selects the VM), noting whether the VM is
 *     one it applies to (a "subject") or only a peer.
 *
 * A policy not touched whole keeps every flow but these: the flows of its
 * touched rules, and its peer flows whose address is a touched VM's.  Its
 * other flows are the same in both models, with two exceptions that touch
 * it whole: a rule whose peer selector goes between none, one and several
 * addresses changes shape (a cross product or a conjunctive match), so
 * that rule is touched; and where a touched VM is a subject, the
 * policy's evaluations may start or stop being used on a bridge, which
 * the microsegmentation stage checks per bridge (pipelines/microseg.c).
 *
 * A bridge's flows whose cookie names a touched VM (its NICs), a touched
 * network or a touched policy (as above), and every flow whose cookie
 * names the bridge, an adapter or the uplink (a few, cheap to recompute),
 * are the ones a partial compile produces, but for the microsegmentation
 * stage's dispatch flows (bridge cookie): only those of the dispatch IDs
 * that a touched VM has in either model, which the delta lists.  Compiling
 * them from the old model and from the new one gives what to take out of
 * the desired set and what to put in; likewise the groups of the touched
 * networks and of the uplink.  A change to anything else (networks, hosts,
 * the order of the policies) gives no delta: every bridge is compiled in
 * full.
 */
#include <config.h>

#include <stdlib.h>
#include "bitmap.h"
#include "hash.h"
#include "models/intent.h"
#include "openvswitch/hmap.h"
#include "pipelines/pipeline.h"
#include "pipelines/stages.h"
#include "sset.h"
#include "util.h"

/* A touched object: the 40-bit hash of its name, as in its cookies. */
struct delta_name {
    struct hmap_node node;
    uint64_t name_hash;
};

/* A touched policy. */
struct delta_policy {
    struct hmap_node node;      /* In 'policies', by hash of 'name_hash'. */
    uint64_t name_hash;         /* As in its cookies. */
    bool whole;                 /* Every flow of it. */
    bool subjects;              /* A touched VM is one it applies to. */
    unsigned long *rules[2];    /* Touched rule positions: [0] outbound,
                                 * [1] inbound; INTENT_MAX_RULES bits. */
};

/* An address of a touched VM. */
struct delta_addr {
    struct hmap_node node;
    ovs_be32 ip;
};

struct pipeline_delta {
    struct hmap vms;            /* Touched VMs, by name hash. */
    struct sset vm_names;       /* Touched VMs, by name. */
    struct hmap networks;       /* Networks of their NICs, by name hash. */
    struct hmap policies;       /* "struct delta_policy"s. */
    struct hmap addrs;          /* "struct delta_addr"s. */
    struct hmap dispatches;     /* Dispatch IDs of touched VMs in either
                                 * model, as "struct delta_name"s whose
                                 * 'name_hash' is (inbound << 32) | ID. */
    size_t n_dispatches[2];     /* How many of them: [0] source side,
                                 * [1] destination side. */
};

/* True if 'set' has 'name_hash'. */
static bool
name_set_contains(const struct hmap *set, uint64_t name_hash)
{
    const struct delta_name *n;
    HMAP_FOR_EACH_WITH_HASH (n, node, hash_uint64(name_hash), set) {
        if (n->name_hash == name_hash) {
            return true;
        }
    }
    return false;
}

/* Adds 'name_hash' to 'set'. */
static void
name_set_add_hash(struct hmap *set, uint64_t name_hash)
{
    if (!name_set_contains(set, name_hash)) {
        struct delta_name *n = xmalloc(sizeof *n);
        n->name_hash = name_hash;
        hmap_insert(set, &n->node, hash_uint64(name_hash));
    }
}

/* Adds the hash of 'name' to 'set'. */
static void
name_set_add(struct hmap *set, const char *name)
{
    name_set_add_hash(set, pipeline_cookie_name_hash(name));
}

/* Adds VM 'name' to those 'delta' touches. */
static void
delta_touch_vm(struct pipeline_delta *delta, const char *name)
{
    name_set_add(&delta->vms, name);
    sset_add(&delta->vm_names, name);
}

/* Adds to 'delta' the dispatch IDs that the touched VMs of 'intent' have
 * (pipelines/microseg.c): the dispatch flows that a partial compile
 * recomputes. */
static void
delta_add_dispatches(struct pipeline_delta *delta,
                     const struct intent *intent)
{
    const char *name;
    SSET_FOR_EACH (name, &delta->vm_names) {
        const struct intent_vm *vm = intent_find_vm(intent, name);
        if (vm) {
            uint32_t ids[2];
            pipeline_microseg_dispatch_ids(intent, vm, ids);
            for (int inbound = 0; inbound < 2; inbound++) {
                uint64_t key = (uint64_t) inbound << 32 | ids[inbound];
                if (ids[inbound]
                    && !name_set_contains(&delta->dispatches, key)) {
                    name_set_add_hash(&delta->dispatches, key);
                    delta->n_dispatches[inbound]++;
                }
            }
        }
    }
}

/* Frees 'set' and its names. */
static void
name_set_destroy(struct hmap *set)
{
    struct delta_name *n;
    HMAP_FOR_EACH_POP (n, node, set) {
        free(n);
    }
    hmap_destroy(set);
}

/* Returns the touched policy with 'name_hash' in 'delta', or NULL. */
static struct delta_policy *
delta_policy_find(const struct pipeline_delta *delta, uint64_t name_hash)
{
    struct delta_policy *dp;
    HMAP_FOR_EACH_WITH_HASH (dp, node, hash_uint64(name_hash),
                             &delta->policies) {
        if (dp->name_hash == name_hash) {
            return dp;
        }
    }
    return NULL;
}

/* Returns policy 'name' of 'delta', touching it (nothing of it yet) if it
 * was not. */
static struct delta_policy *
delta_policy_get(struct pipeline_delta *delta, const char *name)
{
    uint64_t name_hash = pipeline_cookie_name_hash(name);
    struct delta_policy *dp = delta_policy_find(delta, name_hash);
    if (!dp) {
        dp = xzalloc(sizeof *dp);
        dp->name_hash = name_hash;
        dp->rules[0] = bitmap_allocate(INTENT_MAX_RULES);
        dp->rules[1] = bitmap_allocate(INTENT_MAX_RULES);
        hmap_insert(&delta->policies, &dp->node, hash_uint64(name_hash));
    }
    return dp;
}

/* True if 'delta' has 'ip' among the touched VMs' addresses. */
static bool
delta_has_addr(const struct pipeline_delta *delta, ovs_be32 ip)
{
    const struct delta_addr *a;
    HMAP_FOR_EACH_WITH_HASH (a, node, hash_int((OVS_FORCE uint32_t) ip, 0),
                             &delta->addrs) {
        if (a->ip == ip) {
            return true;
        }
    }
    return false;
}

/* Adds the addresses and the networks of 'vm''s NICs to 'delta'. */
static void
delta_add_nics(struct pipeline_delta *delta, const struct intent_vm *vm)
{
    for (size_t i = 0; i < vm->n_nics; i++) {
        const struct intent_nic *nic = &vm->nics[i];
        if (nic->network) {
            name_set_add(&delta->networks, nic->network->name);
        }
        for (size_t j = 0; j < nic->n_trunk_networks; j++) {
            name_set_add(&delta->networks, nic->trunk_networks[j]->name);
        }
        if (nic->has_ip && !delta_has_addr(delta, nic->ip)) {
            struct delta_addr *a = xmalloc(sizeof *a);
            a->ip = nic->ip;
            hmap_insert(&delta->addrs, &a->node,
                        hash_int((OVS_FORCE uint32_t) nic->ip, 0));
        }
    }
}

/* True if some rule of 'rs' has a peer selector that matches 'vm'. */
static bool
rules_select(const struct intent_rule_set *rs, const struct intent_vm *vm)
{
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct intent_peer *peer = &rs->rules[i].peer;
        if (peer->kind == INTENT_PEER_SELECTOR
            && intent_selector_matches(&peer->selector, vm)) {
            return true;
        }
    }
    return false;
}

/* True if policy 'p' applies to 'vm' (both of the same model). */
static bool
policy_applies_to(const struct intent_policy *p, const struct intent_vm *vm)
{
    switch (p->type) {
    case INTENT_POLICY_APPLICATION:
        return intent_selector_matches(&p->target, vm);
    case INTENT_POLICY_ISOLATION:
        return (intent_selector_matches(&p->between[0], vm)
                || intent_selector_matches(&p->between[1], vm));
    case INTENT_POLICY_QUARANTINE:
        return intent_policy_quarantines(p, vm);
    }
    return true;
}

/* True if policy 'p' names 'vm' (of the same model) as a peer: a rule's
 * peer selector or a forensic source selects it.  (An isolation group's
 * VMs are peers of the other group: subjects as well.) */
static bool
policy_has_peer(const struct intent_policy *p, const struct intent_vm *vm)
{
    switch (p->type) {
    case INTENT_POLICY_APPLICATION:
        return (rules_select(&p->inbound, vm)
                || rules_select(&p->outbound, vm));
    case INTENT_POLICY_ISOLATION:
        return false;
    case INTENT_POLICY_QUARANTINE:
        for (size_t i = 0; i < p->n_forensic_from; i++) {
            if (intent_selector_matches(&p->forensic_from[i], vm)) {
                return true;
            }
        }
        return false;
    }
    return true;
}

/* Touches in 'delta' every policy of 'intent' that concerns 'vm' (of
 * 'intent'), noting those that apply to it. */
static void
touch_policies_of(struct pipeline_delta *delta, const struct intent *intent,
                  const struct intent_vm *vm)
{
    for (size_t i = 0; i < intent_n_policies(intent); i++) {
        const struct intent_policy *p = intent_policy_at(intent, i);
        if (policy_applies_to(p, vm)) {
            delta_policy_get(delta, p->name)->subjects = true;
        } else if (policy_has_peer(p, vm)) {
            delta_policy_get(delta, p->name);
        }
    }
}

/* Returns 0, 1 or 2 for a rule peer of no, one, or several addresses:
 * the shape of the rule's flows depends on it. */
static int
peer_shape(const struct intent_peer *peer)
{
    if (peer->kind != INTENT_PEER_SELECTOR) {
        return -1;              /* "any" or a CIDR: fixed by the rule. */
    }
    return peer->selector.n_ips < 2 ? (int) peer->selector.n_ips : 2;
}

/* Touches each rule of 'dp' (not touched whole) whose peer has another
 * shape in 'new' than in 'old' (policy 'dp' in both). */
static void
touch_reshaped_rules(struct delta_policy *dp, const struct intent_policy *old,
                     const struct intent_policy *new)
{
    const struct intent_rule_set *sets[2][2] = {
        { &old->outbound, &new->outbound },
        { &old->inbound, &new->inbound },
    };
    for (int dir = 0; dir < 2; dir++) {
        size_t n = MIN(sets[dir][0]->n_rules, sets[dir][1]->n_rules);
        for (size_t i = 0; i < n; i++) {
            if (peer_shape(&sets[dir][0]->rules[i].peer)
                != peer_shape(&sets[dir][1]->rules[i].peer)) {
                bitmap_set1(dp->rules[dir], i);
            }
        }
    }
}

/* Adds to 'delta' every VM that selector 's' matches. */
static void
touch_selected(struct pipeline_delta *delta, const struct intent_selector *s)
{
    for (size_t i = 0; i < s->n_vms; i++) {
        delta_touch_vm(delta, s->vms[i]->name);
    }
}

/* Adds to 'delta' every VM that 'p' applies to. */
static void
touch_subjects_of(struct pipeline_delta *delta, const struct intent_policy *p)
{
    touch_selected(delta, &p->target);
    touch_selected(delta, &p->between[0]);
    touch_selected(delta, &p->between[1]);
    for (size_t i = 0; i < p->n_vms; i++) {
        delta_touch_vm(delta, p->vms[i]->name);
    }
}

/* Returns what a partial compile must recompute when 'new' replaces
 * 'old' (both valid models), or NULL if every bridge must be compiled in
 * full.  The caller frees it with pipeline_delta_destroy(). */
struct pipeline_delta *
pipeline_delta_create(const struct intent *old, const struct intent *new)
{
    struct intent_change change;
    intent_compare(old, new, &change);
    if (change.other) {
        intent_change_destroy(&change);
        return NULL;
    }

    struct pipeline_delta *delta = xmalloc(sizeof *delta);
    hmap_init(&delta->vms);
    sset_init(&delta->vm_names);
    hmap_init(&delta->networks);
    hmap_init(&delta->policies);
    hmap_init(&delta->addrs);
    hmap_init(&delta->dispatches);
    delta->n_dispatches[0] = delta->n_dispatches[1] = 0;

    const char *name;
    SSET_FOR_EACH (name, &change.policies) {
        const struct intent_policy *po = intent_find_policy(old, name);
        const struct intent_policy *pn = intent_find_policy(new, name);
        struct delta_policy *dp = delta_policy_get(delta, name);
        if (po && pn && intent_compare_policy_rules(old, po, new, pn,
                                                    dp->rules[1],
                                                    dp->rules[0])
            && pipeline_microseg_same_classes(&po->inbound, &pn->inbound)
            && pipeline_microseg_same_classes(&po->outbound,
                                              &pn->outbound)) {
            continue;
        }
        dp->whole = true;
        if (po) {
            touch_subjects_of(delta, po);
        }
        if (pn) {
            touch_subjects_of(delta, pn);
        }
    }
    SSET_FOR_EACH (name, &change.vms) {
        delta_touch_vm(delta, name);
        const struct intent_vm *vm;
        if ((vm = intent_find_vm(old, name))) {
            delta_add_nics(delta, vm);
            touch_policies_of(delta, old, vm);
        }
        if ((vm = intent_find_vm(new, name))) {
            delta_add_nics(delta, vm);
            touch_policies_of(delta, new, vm);
        }
    }
    intent_change_destroy(&change);

    for (size_t i = 0; i < intent_n_policies(old); i++) {
        const struct intent_policy *po = intent_policy_at(old, i);
        struct delta_policy *dp = delta_policy_find(
            delta, pipeline_cookie_name_hash(po->name));
        const struct intent_policy *pn;
        if (dp && !dp->whole && (pn = intent_find_policy(new, po->name))) {
            touch_reshaped_rules(dp, po, pn);
        }
    }
    delta_add_dispatches(delta, old);
    delta_add_dispatches(delta, new);
    return delta;
}

/* Frees 'delta'.  Accepts NULL. */
void
pipeline_delta_destroy(struct pipeline_delta *delta)
{
    if (delta) {
        name_set_destroy(&delta->vms);
        sset_destroy(&delta->vm_names);
        name_set_destroy(&delta->networks);
        name_set_destroy(&delta->dispatches);
        struct delta_policy *dp;
        HMAP_FOR_EACH_POP (dp, node, &delta->policies) {
            bitmap_free(dp->rules[0]);
            bitmap_free(dp->rules[1]);
            free(dp);
        }
        hmap_destroy(&delta->policies);
        struct delta_addr *a;
        HMAP_FOR_EACH_POP (a, node, &delta->addrs) {
            free(a);
        }
        hmap_destroy(&delta->addrs);
        free(delta);
    }
}

/* True if 'delta' touches nothing: the models give the same flows. */
bool
pipeline_delta_is_empty(const struct pipeline_delta *delta)
{
    return hmap_is_empty(&delta->vms) && hmap_is_empty(&delta->policies);
}

/* Numbers of VMs and policies 'delta' touches. */
void
pipeline_delta_count(const struct pipeline_delta *delta, size_t *n_vms,
                     size_t *n_policies)
{
    *n_vms = hmap_count(&delta->vms);
    *n_policies = hmap_count(&delta->policies);
}

/* True if a partial compile with 'delta' recomputes the flows with
 * 'cookie' (host byte order). */
bool
pipeline_delta_touches(const struct pipeline_delta *delta, uint64_t cookie)
{
    uint64_t name_hash = (cookie >> 8) & ((UINT64_C(1) << 40) - 1);
    switch ((cookie >> 48) & 0xff) {
    case PIPELINE_COOKIE_NIC:
        return name_set_contains(&delta->vms, name_hash);
    case PIPELINE_COOKIE_NETWORK:
        return name_set_contains(&delta->networks, name_hash);
    case PIPELINE_COOKIE_POLICY:
    case PIPELINE_COOKIE_POLICY_ALLOW:
    case PIPELINE_COOKIE_POLICY_DENY:
    case PIPELINE_COOKIE_POLICY_MONITOR:
        return delta_policy_find(delta, name_hash) != NULL;
    default:
        return true;
    }
}

/* True if a partial compile with 'delta' recomputes flows of 'p' (all
 * or some, see pipeline_delta_policy()). */
bool
pipeline_delta_touches_policy(const struct pipeline_delta *delta,
                              const struct intent_policy *p)
{
    return pipeline_delta_policy(delta, p, NULL) != PIPELINE_DELTA_UNTOUCHED;
}

/* Returns how much of 'p''s flows a partial compile with 'delta'
 * recomputes.  If 'subjects' is nonnull, sets it to true if a touched VM
 * is one that 'p' applies to, in either model. */
enum pipeline_delta_scope
pipeline_delta_policy(const struct pipeline_delta *delta,
                      const struct intent_policy *p, bool *subjects)
{
    const struct delta_policy *dp
        = delta_policy_find(delta, pipeline_cookie_name_hash(p->name));
    if (subjects) {
        *subjects = dp && dp->subjects;
    }
    return (!dp ? PIPELINE_DELTA_UNTOUCHED
            : dp->whole ? PIPELINE_DELTA_WHOLE
            : PIPELINE_DELTA_PARTS);
}

/* True if a partial compile with 'delta' recomputes every flow of 'rule'
 * of 'p' (a policy touched in parts or whole). */
bool
pipeline_delta_touches_rule(const struct pipeline_delta *delta,
                            const struct intent_policy *p,
                            const struct intent_rule *rule)
{
    const struct delta_policy *dp
        = delta_policy_find(delta, pipeline_cookie_name_hash(p->name));
    return dp && (dp->whole
                  || (rule->index < INTENT_MAX_RULES
                      && bitmap_is_set(dp->rules[rule->inbound],
                                       rule->index)));
}

/* True if 'ip' is an address of a touched VM: a policy touched in parts
 * recomputes its peer flows for that address. */
bool
pipeline_delta_touches_addr(const struct pipeline_delta *delta, ovs_be32 ip)
{
    return delta_has_addr(delta, ip);
}

/* True if a partial compile with 'delta' recomputes the flows of 'vm'. */
bool
pipeline_delta_touches_vm(const struct pipeline_delta *delta,
                          const struct intent_vm *vm)
{
    return name_set_contains(&delta->vms,
                             pipeline_cookie_name_hash(vm->name));
}

/* True if a partial compile with 'delta' recomputes the dispatch flows of
 * dispatch ID 'dispatch_id' on the destination side if 'inbound', else on
 * the source side: a touched VM has that ID in either model. */
bool
pipeline_delta_touches_dispatch(const struct pipeline_delta *delta,
                                bool inbound, uint32_t dispatch_id)
{
    return name_set_contains(&delta->dispatches,
                             (uint64_t) inbound << 32 | dispatch_id);
}

/* True if 'delta' touches some dispatch ID on the destination side if
 * 'inbound', else on the source side. */
bool
pipeline_delta_has_dispatches(const struct pipeline_delta *delta,
                              bool inbound)
{
    return delta->n_dispatches[inbound] > 0;
}
