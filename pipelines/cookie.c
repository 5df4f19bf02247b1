/*
 * Flow cookies and group IDs: stable names for what the pipeline
 * produces.  The layout is in pipeline.h and docs/pipeline.md.
 */
#include <config.h>

#include "pipelines/pipeline.h"

#include <string.h>
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"
#include "pipelines/stages.h"

#define FNV1A64_OFFSET 0xcbf29ce484222325ULL
#define FNV1A64_PRIME 0x100000001b3ULL
#define COOKIE_HASH_BITS 40
#define COOKIE_HASH_SHIFT 8
#define COOKIE_KIND_SHIFT 48

/* Returns the 40-bit name hash of 'name': the low 40 bits of the 64-bit
 * FNV-1a hash of its bytes (no terminator).  Stable across runs, hosts and
 * versions, unlike a file position. */
uint64_t
pipeline_cookie_name_hash(const char *name)
{
    uint64_t hash = FNV1A64_OFFSET;
    for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
        hash ^= *p;
        hash *= FNV1A64_PRIME;
    }
    return hash & ((UINT64_C(1) << COOKIE_HASH_BITS) - 1);
}

/* Returns the cookie of the object of 'kind' named 'name', with 'index'
 * (the NIC index within a VM; 0 otherwise) in the low 8 bits. */
uint64_t
pipeline_cookie_make(enum pipeline_cookie_kind kind, const char *name,
                     unsigned int index)
{
    return (PIPELINE_COOKIE_MARKER
            | ((uint64_t) (kind & 0xff) << COOKIE_KIND_SHIFT)
            | (pipeline_cookie_name_hash(name) << COOKIE_HASH_SHIFT)
            | (index & 0xff));
}

/* Returns the cookie of 'vm''s first NIC, which with
 * PIPELINE_COOKIE_OBJECT_MASK selects the flows of all of 'vm''s NICs. */
uint64_t
pipeline_cookie_vm(const struct intent_vm *vm)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_NIC, vm->name, 0);
}

/* Returns the cookie of the flows produced by 'nic'. */
uint64_t
pipeline_cookie_nic(const struct intent_nic *nic)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_NIC, nic->vm->name,
                                nic->index);
}

/* Returns the cookie of the flows produced by network 'net'. */
uint64_t
pipeline_cookie_network(const struct intent_network *net)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_NETWORK, net->name, 0);
}

/* Returns the cookie of the flows produced by host adapter 'a'. */
uint64_t
pipeline_cookie_adapter(const struct intent_adapter *a)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_ADAPTER, a->name, 0);
}

/* Returns the cookie of the flows produced by 'br''s uplink bond. */
uint64_t
pipeline_cookie_uplink(const struct intent_bridge *br)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_UPLINK, br->uplink.name, 0);
}

/* Returns the cookie of 'br''s bridge-wide flows. */
uint64_t
pipeline_cookie_bridge(const struct intent_bridge *br)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_BRIDGE, br->name, 0);
}

/* Returns true if 'cookie' (host byte order) carries flowchain's marker. */
bool
pipeline_cookie_is_ours(uint64_t cookie)
{
    return (cookie & PIPELINE_COOKIE_MARKER_MASK) == PIPELINE_COOKIE_MARKER;
}

/* Returns the ID of the group flooding VLAN 'vlan' from a local port (to
 * the local members and the uplink). */
uint32_t
pipeline_group_flood_local(uint16_t vlan)
{
    return PIPELINE_GROUP_FLOOD_LOCAL_BASE | (vlan & 0xfff);
}

/* Returns the ID of the group flooding VLAN 'vlan' from the uplink (to the
 * local members only). */
uint32_t
pipeline_group_flood_uplink(uint16_t vlan)
{
    return PIPELINE_GROUP_FLOOD_UPLINK_BASE | (vlan & 0xfff);
}

/* Returns the low 8 bits of a policy cookie for 'rule' (NULL for the
 * direction's default or the policy as a whole) on the inbound side if
 * 'inbound'. */
unsigned int
pipeline_cookie_rule_bits(bool inbound, const struct intent_rule *rule)
{
    return ((inbound ? PIPELINE_COOKIE_RULE_INBOUND : 0)
            | (rule ? (rule->index + 1) & PIPELINE_COOKIE_RULE_MASK : 0));
}

/* Returns the cookie of kind 'kind' for policy 'p' with 'rule_bits' in the
 * low 8 bits. */
uint64_t
pipeline_cookie_policy(enum pipeline_cookie_kind kind,
                       const struct intent_policy *p, unsigned int rule_bits)
{
    return pipeline_cookie_make(kind, p->name, rule_bits);
}

/* Returns true if 'kind' is one of the policy cookie kinds. */
static bool
is_policy_kind(unsigned int kind)
{
    return (kind >= PIPELINE_COOKIE_POLICY
            && kind <= PIPELINE_COOKIE_POLICY_MONITOR);
}

/* Finds the policy and rule that policy cookie 'cookie' names in 'intent'.
 * Returns the policy, or NULL if 'cookie' is not a policy cookie of
 * 'intent'; sets '*rulep' to the rule, or NULL for a default or the policy
 * as a whole (and to NULL when returning NULL).  'kindp', if nonnull, gets
 * the cookie's kind. */
const struct intent_policy *
pipeline_cookie_find_policy(const struct intent *intent, uint64_t cookie,
                            const struct intent_rule **rulep,
                            enum pipeline_cookie_kind *kindp)
{
    unsigned int kind = (cookie >> COOKIE_KIND_SHIFT) & 0xff;
    uint64_t hash = (cookie >> COOKIE_HASH_SHIFT)
                    & ((UINT64_C(1) << COOKIE_HASH_BITS) - 1);
    unsigned int bits = cookie & 0xff;

    *rulep = NULL;
    if (!pipeline_cookie_is_ours(cookie) || !is_policy_kind(kind)) {
        return NULL;
    }
    for (size_t i = 0; i < intent_n_policies(intent); i++) {
        const struct intent_policy *p = intent_policy_at(intent, i);
        if (pipeline_cookie_name_hash(p->name) != hash) {
            continue;
        }
        size_t index = bits & PIPELINE_COOKIE_RULE_MASK;
        const struct intent_rule_set *set
            = bits & PIPELINE_COOKIE_RULE_INBOUND ? &p->inbound : &p->outbound;
        if (index) {
            if (p->type != INTENT_POLICY_APPLICATION
                || index > set->n_rules) {
                return NULL;
            }
            *rulep = &set->rules[index - 1];
        }
        if (kindp) {
            *kindp = kind;
        }
        return p;
    }
    return NULL;
}

/* Returns the value of reg4 that selects the evaluation of policy 'p' in
 * role 'role' (0; for an isolation, 1 or 2: the local VM is in the first
 * or second group of "between").  Derived from the policy's name only, so
 * it never changes while the name does not.  Never 0. */
uint32_t
pipeline_policy_eval_id(const struct intent_policy *p, unsigned int role)
{
    uint32_t id = ((uint32_t) pipeline_cookie_name_hash(p->name)
                   & 0x3fffffff) << 2 | (role & 3);
    return id ? id : 4;
}

/* Returns the conjunction ID of the rule of policy 'p' whose cookie low
 * bits are 'rule_bits': 24 bits of the policy name's hash, then the rule
 * bits, so it is derived from names and positions only. */
uint32_t
pipeline_policy_conj_id(const struct intent_policy *p, unsigned int rule_bits)
{
    return ((uint32_t) pipeline_cookie_name_hash(p->name) & 0xffffff) << 8
           | (rule_bits & 0xff);
}

/* Appends to 's' the name of the object of 'intent' of cookie kind 'kind'
 * whose name hash is 'hash'; returns false if there is none. */
static bool
format_object(const struct intent *intent, unsigned int kind, uint64_t hash,
              unsigned int index, struct ds *s)
{
    switch (kind) {
    case PIPELINE_COOKIE_NIC:
        for (size_t i = 0; i < intent_n_vms(intent); i++) {
            const struct intent_vm *vm = intent_vm_at(intent, i);
            if (pipeline_cookie_name_hash(vm->name) == hash) {
                ds_put_format(s, "VM %s NIC %u", vm->name, index);
                return true;
            }
        }
        return false;
    case PIPELINE_COOKIE_NETWORK:
        for (size_t i = 0; i < intent_n_networks(intent); i++) {
            const struct intent_network *net = intent_network_at(intent, i);
            if (pipeline_cookie_name_hash(net->name) == hash) {
                ds_put_format(s, "network %s", net->name);
                return true;
            }
        }
        return false;
    case PIPELINE_COOKIE_ADAPTER:
    case PIPELINE_COOKIE_UPLINK:
    case PIPELINE_COOKIE_BRIDGE:
        for (size_t h = 0; h < intent_n_hosts(intent); h++) {
            const struct intent_host *host = intent_host_at(intent, h);
            for (size_t b = 0; b < host->n_bridges; b++) {
                const struct intent_bridge *br = &host->bridges[b];
                if (kind == PIPELINE_COOKIE_BRIDGE
                    && pipeline_cookie_name_hash(br->name) == hash) {
                    ds_put_format(s, "bridge %s", br->name);
                    return true;
                } else if (kind == PIPELINE_COOKIE_UPLINK
                           && pipeline_cookie_name_hash(br->uplink.name)
                              == hash) {
                    ds_put_format(s, "uplink bond %s", br->uplink.name);
                    return true;
                }
                for (size_t a = 0; kind == PIPELINE_COOKIE_ADAPTER
                                   && a < br->n_adapters; a++) {
                    if (pipeline_cookie_name_hash(br->adapters[a].name)
                        == hash) {
                        ds_put_format(s, "host adapter %s",
                                      br->adapters[a].name);
                        return true;
                    }
                }
            }
        }
        return false;
    default:
        return false;
    }
}

/* Appends to 's' what the flow of cookie 'cookie' (host byte order) exists
 * for in 'intent'. */
void
pipeline_cookie_format(const struct intent *intent, uint64_t cookie,
                       struct ds *s)
{
    unsigned int kind = (cookie >> COOKIE_KIND_SHIFT) & 0xff;
    uint64_t hash = (cookie >> COOKIE_HASH_SHIFT)
                    & ((UINT64_C(1) << COOKIE_HASH_BITS) - 1);
    unsigned int bits = cookie & 0xff;

    if (!pipeline_cookie_is_ours(cookie)) {
        ds_put_cstr(s, "not a flowchain cookie");
        return;
    }
    if (is_policy_kind(kind)) {
        const struct intent_rule *rule;
        const struct intent_policy *p
            = pipeline_cookie_find_policy(intent, cookie, &rule, NULL);
        if (!p) {
            ds_put_cstr(s, "unknown policy");
            return;
        }
        ds_put_format(s, "policy %s", p->name);
        if (p->type == INTENT_POLICY_APPLICATION) {
            ds_put_cstr(s, bits & PIPELINE_COOKIE_RULE_INBOUND
                           ? " inbound" : " outbound");
            if (rule) {
                ds_put_format(s, " rule %"PRIuSIZE, rule->index + 1);
                if (rule->name) {
                    ds_put_format(s, " \"%s\"", rule->name);
                }
            } else {
                ds_put_cstr(s, " default");
            }
        } else {
            ds_put_format(s, " (%s)", intent_policy_type_to_string(p->type));
        }
        ds_put_cstr(s, (kind == PIPELINE_COOKIE_POLICY_ALLOW ? ": allow"
                        : kind == PIPELINE_COOKIE_POLICY_DENY ? ": deny"
                        : kind == PIPELINE_COOKIE_POLICY_MONITOR
                        ? ": would deny (monitor)" : ": plumbing"));
        return;
    }
    if (!format_object(intent, kind, hash, bits, s)) {
        ds_put_format(s, "unknown object (kind %u)", kind);
    }
}
