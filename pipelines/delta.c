/*
 * The incremental compile: which flows of a bridge a change of intent can
 * touch, named by their cookies (pipeline.h).
 *
 * A delta compares the running model with the next one (intent_compare())
 * and marks intent objects "touched":
 *
 *   - a VM added, removed or changed;
 *   - a policy added, removed or changed;
 *   - every policy that concerns a touched VM, in the model that has it
 *     (its target, an isolation group, a quarantine's VMs, a forensic
 *     source, or a rule's peer selects the VM): its flows list the VM's
 *     addresses or exist because of the VM's port;
 *   - every VM that a touched policy applies to, in either model (its
 *     target, isolation groups, quarantined VMs): the dispatch flows of
 *     its ports list the policies that apply to it, in order.
 *
 * A bridge's flows whose cookie names a touched VM (its NICs) or a touched
 * policy, and every flow whose cookie names the bridge, a network, an
 * adapter or the uplink (a few per network and port, cheap to recompute),
 * are the ones a partial compile produces: compiling them from the old
 * model and from the new one gives what to take out of the desired set and
 * what to put in.  Groups are always compiled in full (a few per network).
 * A change to anything else (networks, hosts, the order of the policies)
 * gives no delta: every bridge is compiled in full.
 */
#include <config.h>

#include <stdlib.h>
#include "hash.h"
#include "models/intent.h"
#include "openvswitch/hmap.h"
#include "pipelines/pipeline.h"
#include "pipelines/stages.h"
#include "util.h"

/* A touched object: the 40-bit hash of its name, as in its cookies. */
struct delta_name {
    struct hmap_node node;
    uint64_t name_hash;
};

struct pipeline_delta {
    struct hmap vms;            /* Touched VMs, by name hash. */
    struct hmap policies;       /* Touched policies, by name hash. */
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

/* Adds the hash of 'name' to 'set'. */
static void
name_set_add(struct hmap *set, const char *name)
{
    uint64_t name_hash = pipeline_cookie_name_hash(name);
    if (!name_set_contains(set, name_hash)) {
        struct delta_name *n = xmalloc(sizeof *n);
        n->name_hash = name_hash;
        hmap_insert(set, &n->node, hash_uint64(name_hash));
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

/* True if the flows of policy 'p' can depend on 'vm' (both of the same
 * model): it applies to 'vm' or names it as a peer. */
static bool
policy_concerns(const struct intent_policy *p, const struct intent_vm *vm)
{
    switch (p->type) {
    case INTENT_POLICY_APPLICATION:
        return (intent_selector_matches(&p->target, vm)
                || rules_select(&p->inbound, vm)
                || rules_select(&p->outbound, vm));
    case INTENT_POLICY_ISOLATION:
        return (intent_selector_matches(&p->between[0], vm)
                || intent_selector_matches(&p->between[1], vm));
    case INTENT_POLICY_QUARANTINE:
        for (size_t i = 0; i < p->n_vms; i++) {
            if (p->vms[i] == vm) {
                return true;
            }
        }
        for (size_t i = 0; i < p->n_forensic_from; i++) {
            if (intent_selector_matches(&p->forensic_from[i], vm)) {
                return true;
            }
        }
        return false;
    }
    return true;
}

/* Adds to 'delta' every policy of 'intent' that concerns 'vm' (of
 * 'intent'). */
static void
touch_policies_of(struct pipeline_delta *delta, const struct intent *intent,
                  const struct intent_vm *vm)
{
    for (size_t i = 0; i < intent_n_policies(intent); i++) {
        const struct intent_policy *p = intent_policy_at(intent, i);
        if (policy_concerns(p, vm)) {
            name_set_add(&delta->policies, p->name);
        }
    }
}

/* Adds to 'delta' every VM that selector 's' matches. */
static void
touch_selected(struct pipeline_delta *delta, const struct intent_selector *s)
{
    for (size_t i = 0; i < s->n_vms; i++) {
        name_set_add(&delta->vms, s->vms[i]->name);
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
        name_set_add(&delta->vms, p->vms[i]->name);
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
    hmap_init(&delta->policies);

    const char *name;
    SSET_FOR_EACH (name, &change.policies) {
        name_set_add(&delta->policies, name);
        const struct intent_policy *p;
        if ((p = intent_find_policy(old, name))) {
            touch_subjects_of(delta, p);
        }
        if ((p = intent_find_policy(new, name))) {
            touch_subjects_of(delta, p);
        }
    }
    SSET_FOR_EACH (name, &change.vms) {
        name_set_add(&delta->vms, name);
        const struct intent_vm *vm;
        if ((vm = intent_find_vm(old, name))) {
            touch_policies_of(delta, old, vm);
        }
        if ((vm = intent_find_vm(new, name))) {
            touch_policies_of(delta, new, vm);
        }
    }
    intent_change_destroy(&change);
    return delta;
}

/* Frees 'delta'.  Accepts NULL. */
void
pipeline_delta_destroy(struct pipeline_delta *delta)
{
    if (delta) {
        name_set_destroy(&delta->vms);
        name_set_destroy(&delta->policies);
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
    case PIPELINE_COOKIE_POLICY:
    case PIPELINE_COOKIE_POLICY_ALLOW:
    case PIPELINE_COOKIE_POLICY_DENY:
    case PIPELINE_COOKIE_POLICY_MONITOR:
        return name_set_contains(&delta->policies, name_hash);
    default:
        return true;
    }
}

/* True if a partial compile with 'delta' recomputes the flows of 'p'. */
bool
pipeline_delta_touches_policy(const struct pipeline_delta *delta,
                              const struct intent_policy *p)
{
    return name_set_contains(&delta->policies,
                             pipeline_cookie_name_hash(p->name));
}

/* True if a partial compile with 'delta' recomputes the flows of 'vm'. */
bool
pipeline_delta_touches_vm(const struct pipeline_delta *delta,
                          const struct intent_vm *vm)
{
    return name_set_contains(&delta->vms,
                             pipeline_cookie_name_hash(vm->name));
}
