/*
 * policies[]: microsegmentation policies (application, isolation,
 * quarantine), their selectors, rules and ports.
 *
 * Selectors resolve to the VMs they match, in file order, while the policy
 * is parsed.  An index from each category pair (key, value) to the VMs that
 * carry it, built once from the VMs, makes that cheap: a selector starts
 * from the VMs of its rarest pair and keeps those that carry every other
 * pair, and selectors with the same pairs share what the first one found.
 * A pair that no VM carries is a warning, not an error: the intent may
 * name VMs that do not exist yet.
 */
#include <config.h>

#include "models/intent-private.h"

#include <inttypes.h>
#include <string.h>

#include "bitmap.h"
#include "hash.h"
#include "util.h"

/* Keys of a policy (each type uses some: check_type_key()), of one
 * direction of an application policy, and of a rule. */
static const char *const policy_keys[] = {
    "name", "type", "mode", "log", "target", "inbound", "outbound",
    "between", "level", "vms", "forensic_from",
};
static const char *const direction_keys[] = { "default", "allow" };
static const char *const rule_keys[] = {
    "name", "from", "to", "protocol", "ports",
};
static const char *const default_names[] = { "allow", "deny" };

/* The pairs of a selector that is not in use (a non-application policy's
 * target, a peer that is not a selector), so that 'pairs' is never NULL. */
static struct smap empty_pairs = SMAP_INITIALIZER(&empty_pairs);

/* The VMs that carry one category pair, in file order. */
struct category_vms {
    struct hmap_node node;          /* In struct policy_ctx's 'categories'. */
    const char *key;                /* Owned by a VM's categories. */
    const char *value;
    const struct intent_vm **vms;
    size_t n_vms, allocated_vms;
};

/* The VMs that one selector matches, shared by every selector of the model
 * with the same pairs. */
struct selector_match {
    const struct intent_vm **vms;   /* NULL if none. */
    size_t n_vms;
    unsigned long *vm_map;          /* Their indexes; NULL if none. */
    ovs_be32 *ips;                  /* Their NICs' distinct addresses. */
    size_t n_ips;
};

/* State for parsing the policies of one intent. */
struct policy_ctx {
    struct intent_parser *p;
    struct hmap categories;         /* Of struct category_vms. */
    struct hmap quarantined;        /* Claims: (VM) -> first quarantine. */
};

/* ---------------------------------------------------------------------- */
/* Category index and selectors. */

/* Returns the hash of category pair 'key'='value'. */
static uint32_t
category_hash(const char *key, const char *value)
{
    return hash_string(value, hash_string(key, 0));
}

/* Returns the VMs of 'ctx' that carry 'key'='value', or NULL if none. */
static const struct category_vms *
category_find(const struct policy_ctx *ctx, const char *key,
              const char *value)
{
    const struct category_vms *c;

    HMAP_FOR_EACH_WITH_HASH (c, node, category_hash(key, value),
                             &ctx->categories) {
        if (!strcmp(c->key, key) && !strcmp(c->value, value)) {
            return c;
        }
    }
    return NULL;
}

/* Fills the index of 'ctx' from every VM's categories, in VM order. */
static void
category_index_build(struct policy_ctx *ctx, const struct intent *intent)
{
    for (size_t i = 0; i < intent->n_vms; i++) {
        const struct intent_vm *vm = &intent->vms[i];
        const struct smap_node *node;

        SMAP_FOR_EACH (node, vm->categories) {
            struct category_vms *c = CONST_CAST(
                struct category_vms *,
                category_find(ctx, node->key, node->value));
            if (!c) {
                c = xzalloc(sizeof *c);
                c->key = node->key;
                c->value = node->value;
                hmap_insert(&ctx->categories, &c->node,
                            category_hash(node->key, node->value));
            }
            if (c->n_vms >= c->allocated_vms) {
                c->vms = x2nrealloc(c->vms, &c->allocated_vms,
                                    sizeof *c->vms);
            }
            c->vms[c->n_vms++] = vm;
        }
    }
}

/* Frees the index of 'ctx'. */
static void
category_index_destroy(struct policy_ctx *ctx)
{
    struct category_vms *c;

    HMAP_FOR_EACH_POP (c, node, &ctx->categories) {
        free(c->vms);
        free(c);
    }
    hmap_destroy(&ctx->categories);
}

/* Makes 'sel' an empty selector that matches nothing. */
static void
selector_init(struct intent_selector *sel)
{
    sel->pairs = &empty_pairs;
    sel->vms = NULL;
    sel->n_vms = 0;
    sel->ips = NULL;
    sel->n_ips = 0;
    sel->vm_map = NULL;
}

/* Frees what 'sel' owns (its 'vms' belong to the model's
 * 'selector_matches'). */
static void
selector_destroy(struct intent_selector *sel)
{
    if (sel->pairs && sel->pairs != &empty_pairs) {
        struct smap *pairs = CONST_CAST(struct smap *, sel->pairs);
        smap_destroy(pairs);
        free(pairs);
    }
}

/* Returns the key of 'pairs' in the model's 'selector_matches': the pairs
 * in key order, each as "LEN:KEY=LEN:VALUE;".  The caller frees it. */
static char *
selector_key(const struct smap *pairs)
{
    const struct smap_node **nodes = smap_sort(pairs);
    struct ds key = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < smap_count(pairs); i++) {
        ds_put_format(&key, "%"PRIuSIZE":%s=%"PRIuSIZE":%s;",
                      strlen(nodes[i]->key), nodes[i]->key,
                      strlen(nodes[i]->value), nodes[i]->value);
    }
    free(nodes);
    return ds_steal_cstr(&key);
}

/* Returns true if the categories of 'vm' hold every pair of 'pairs'. */
static bool
pairs_match(const struct smap *pairs, const struct intent_vm *vm)
{
    const struct smap_node *node;

    SMAP_FOR_EACH (node, pairs) {
        const char *value = smap_get(vm->categories, node->key);
        if (!value || strcmp(value, node->value)) {
            return false;
        }
    }
    return true;
}

/* Returns true if the categories of 'vm' hold every pair of 'sel', a
 * resolved selector: its 'vms' are the VMs that do.  'vm' must be a VM of
 * the model 'sel' belongs to. */
bool
intent_selector_matches(const struct intent_selector *sel,
                        const struct intent_vm *vm)
{
    if (sel->vm_map) {
        return bitmap_is_set(sel->vm_map, vm->index);
    }

    /* 'vms' is in file order, which is index order. */
    size_t lo = 0, hi = sel->n_vms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t index = sel->vms[mid]->index;
        if (index == vm->index) {
            return sel->vms[mid] == vm;
        } else if (index < vm->index) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return false;
}

/* See intent.h. */
bool
intent_policy_quarantines(const struct intent_policy *p,
                          const struct intent_vm *vm)
{
    for (size_t i = 0; i < p->n_vms; i++) {
        if (p->vms[i] == vm) {
            return true;
        }
    }
    return false;
}

/* An address in selector_match_ips()'s index. */
struct selector_ip {
    struct hmap_node node;
    ovs_be32 ip;
};

/* Fills 'm''s 'ips' from the NICs of its VMs: each address once, in the
 * order first seen.  Every policy flow that names these VMs as peers is
 * built from this list, on every bridge, so it is made once here. */
static void
selector_match_ips(struct selector_match *m)
{
    size_t n_nics = 0;
    for (size_t i = 0; i < m->n_vms; i++) {
        n_nics += m->vms[i]->n_nics;
    }

    /* 'seen' finds repeated addresses; its nodes are 'nodes'. */
    struct selector_ip *nodes = xmalloc(MAX(n_nics, 1) * sizeof *nodes);
    struct hmap seen = HMAP_INITIALIZER(&seen);
    hmap_reserve(&seen, n_nics);
    size_t allocated = 0;

    for (size_t i = 0; i < m->n_vms; i++) {
        const struct intent_vm *vm = m->vms[i];
        for (size_t j = 0; j < vm->n_nics; j++) {
            if (!vm->nics[j].has_ip) {
                continue;
            }
            ovs_be32 ip = vm->nics[j].ip;
            uint32_t hash = hash_int((OVS_FORCE uint32_t) ip, 0);
            const struct selector_ip *si;
            bool dup = false;
            HMAP_FOR_EACH_WITH_HASH (si, node, hash, &seen) {
                dup = dup || si->ip == ip;
            }
            if (dup) {
                continue;
            }
            struct selector_ip *new = &nodes[hmap_count(&seen)];
            new->ip = ip;
            hmap_insert(&seen, &new->node, hash);
            if (m->n_ips >= allocated) {
                m->ips = x2nrealloc(m->ips, &allocated, sizeof *m->ips);
            }
            m->ips[m->n_ips++] = ip;
        }
    }

    hmap_destroy(&seen);
    free(nodes);
}

/* Returns the VMs that match 'pairs', in file order, starting from
 * 'rarest', the VMs of one of its pairs, and their addresses; the model
 * has 'n_all_vms' VMs. */
static struct selector_match *
selector_match(const struct smap *pairs, const struct category_vms *rarest,
               size_t n_all_vms)
{
    struct selector_match *m = xzalloc(sizeof *m);

    if (smap_count(pairs) == 1) {
        m->n_vms = rarest->n_vms;
        m->vms = xmemdup(rarest->vms, rarest->n_vms * sizeof *m->vms);
    } else {
        const struct intent_vm **vms = xmalloc(rarest->n_vms * sizeof *vms);
        for (size_t i = 0; i < rarest->n_vms; i++) {
            if (pairs_match(pairs, rarest->vms[i])) {
                vms[m->n_vms++] = rarest->vms[i];
            }
        }
        if (m->n_vms) {
            m->vms = vms;
        } else {
            free(vms);
        }
    }
    selector_match_ips(m);
    /* The bitmap takes no more memory than 'vms' (one bit per VM of the
     * model against a pointer per match): a file cannot make thousands of
     * narrow selectors cost a bitmap of every VM each.  The others answer
     * by a binary search of 'vms'. */
    if (m->n_vms && n_all_vms / 64 <= m->n_vms) {
        m->vm_map = bitmap_allocate(n_all_vms);
        for (size_t i = 0; i < m->n_vms; i++) {
            bitmap_set1(m->vm_map, m->vms[i]->index);
        }
    }
    return m;
}

/* Finds the VMs that 'sel', parsed from the object 'json' at the current
 * path, matches.  Warns about each pair that no VM carries, or, if every
 * pair has VMs but no VM has them all, about the combination.  Selectors
 * with the same pairs share one list of VMs, found once. */
static void
selector_resolve(struct policy_ctx *ctx, struct intent_selector *sel,
                 const cJSON *json)
{
    struct intent *intent = ctx->p->intent;
    const struct category_vms *rarest = NULL;
    bool missing = false;
    const cJSON *item;

    cJSON_ArrayForEach (item, json) {
        const struct category_vms *c = category_find(ctx, item->string,
                                                     item->valuestring);
        if (!c) {
            intent_warning(ctx->p, "no VM has category %s=%s",
                           item->string, item->valuestring);
            missing = true;
        } else if (!rarest || c->n_vms < rarest->n_vms) {
            rarest = c;
        }
    }
    if (missing || !rarest) {
        return;
    }

    char *key = selector_key(sel->pairs);
    struct selector_match *m = shash_find_data(&intent->selector_matches,
                                               key);
    if (!m) {
        m = selector_match(sel->pairs, rarest, intent_n_vms(intent));
        shash_add_nocopy(&intent->selector_matches, key, m);
    } else {
        free(key);
    }

    if (!m->n_vms) {
        struct ds pairs = DS_EMPTY_INITIALIZER;
        cJSON_ArrayForEach (item, json) {
            ds_put_format(&pairs, "%s%s=%s", pairs.length ? ", " : "",
                          item->string, item->valuestring);
        }
        intent_warning(ctx->p, "no VM has all of %s", ds_cstr(&pairs));
        ds_destroy(&pairs);
    }
    sel->vms = m->vms;
    sel->n_vms = m->n_vms;
    sel->ips = m->ips;
    sel->n_ips = m->n_ips;
    sel->vm_map = m->vm_map;
}

/* Parses 'json', at the current path, as a selector into 'sel': a
 * non-empty object of category name to value.  Returns false, after
 * reporting it, if it is not one. */
static bool
parse_selector(struct policy_ctx *ctx, const cJSON *json,
               struct intent_selector *sel)
{
    struct intent_parser *p = ctx->p;

    selector_init(sel);
    if (!cJSON_IsObject(json)) {
        intent_error(p, "expected a selector (an object of categories), "
                     "got %s", intent_json_type(json));
        return false;
    }
    if (!json->child) {
        intent_error(p, "a selector needs at least one category");
        return false;
    }

    struct smap *pairs = xmalloc(sizeof *pairs);
    smap_init(pairs);
    sel->pairs = pairs;

    size_t n_errors = p->errors->n;
    intent_parse_categories(p, json, pairs);
    if (p->errors->n > n_errors) {
        return false;
    }
    selector_resolve(ctx, sel, json);
    return true;
}

/* Parses the array member 'key' of 'obj' as a list of selectors into
 * '*sels' and '*n_sels', and returns the array, or NULL if it is absent
 * (reported if 'required') or not an array (reported). */
static const cJSON *
parse_selector_list(struct policy_ctx *ctx, const cJSON *obj,
                    const char *key, bool required,
                    struct intent_selector **sels, size_t *n_sels)
{
    struct intent_parser *p = ctx->p;
    const cJSON *array = intent_get_array(p, obj, key, required);
    if (!array) {
        return NULL;
    }

    size_t len = intent_path_push_key(p, key);
    size_t n = cJSON_GetArraySize(array);
    struct intent_selector *s = xcalloc(n ? n : 1, sizeof *s);
    const cJSON *item;
    size_t i = 0;
    cJSON_ArrayForEach (item, array) {
        size_t ilen = intent_path_push_index(p, i);
        parse_selector(ctx, item, &s[i]);
        i++;
        intent_path_pop(p, ilen);
    }
    intent_path_pop(p, len);

    *sels = s;
    *n_sels = n;
    return array;
}

/* ---------------------------------------------------------------------- */
/* Rules. */

/* Parses 'json', at the current path, as the peer of a rule into 'peer':
 * "any", {"cidr": "a.b.c.d/len"}, or a selector. */
static void
parse_peer(struct policy_ctx *ctx, const cJSON *json,
           struct intent_peer *peer)
{
    struct intent_parser *p = ctx->p;

    peer->kind = INTENT_PEER_ANY;
    selector_init(&peer->selector);
    if (cJSON_IsString(json)) {
        if (strcmp(json->valuestring, "any")) {
            intent_error(p, "\"%s\" is not a peer: use \"any\", a selector "
                         "or {\"cidr\": \"a.b.c.d/len\"}", json->valuestring);
        }
    } else if (cJSON_IsObject(json)
               && cJSON_GetObjectItemCaseSensitive(json, "cidr")) {
        peer->kind = INTENT_PEER_CIDR;

        const cJSON *item;
        cJSON_ArrayForEach (item, json) {
            if (strcmp(item->string, "cidr")) {
                intent_error_at(p, item->string, "a CIDR peer has only "
                                "\"cidr\" (use a separate rule for "
                                "categories)");
            }
        }

        const char *cidr = intent_get_string(p, json, "cidr", true);
        uint32_t ip;
        int plen;
        if (cidr && intent_check_cidr(p, "cidr", cidr, &ip, &plen)) {
            peer->cidr = htonl(ip);
            peer->prefix_len = plen;
        }
    } else if (cJSON_IsObject(json)) {
        peer->kind = INTENT_PEER_SELECTOR;
        parse_selector(ctx, json, &peer->selector);
    } else {
        intent_error(p, "expected \"any\", a selector or {\"cidr\": "
                     "\"a.b.c.d/len\"}, got %s", intent_json_type(json));
    }
}

/* Parses 's', a port range "LO-HI", into '*range'.  Returns false, after
 * reporting it, if it is malformed, out of 1..65535 or reversed. */
static bool
parse_port_range(struct intent_parser *p, const char *s,
                 struct intent_port_range *range)
{
    unsigned int ports[2];
    const char *c = s;

    for (int i = 0; i < 2; i++) {
        size_t n = strspn(c, "0123456789");
        if (!n || n > 5 || (c[0] == '0' && n > 1)
            || (i == 0 ? c[n] != '-' : c[n] != '\0')) {
            intent_error(p, "\"%s\" is not a port range \"LO-HI\" (write a "
                         "single port as a number)", s);
            return false;
        }
        ports[i] = strtoul(c, NULL, 10);
        if (ports[i] < 1 || ports[i] > 65535) {
            intent_error(p, "\"%s\": port %u is out of range 1..65535",
                         s, ports[i]);
            return false;
        }
        c += n + 1;
    }
    if (ports[0] > ports[1]) {
        intent_error(p, "\"%s\": %u is greater than %u", s, ports[0],
                     ports[1]);
        return false;
    }
    range->min = ports[0];
    range->max = ports[1];
    return true;
}

/* Parses the "ports" array 'json' of 'rule'. */
static void
parse_ports(struct intent_parser *p, const cJSON *json,
            struct intent_rule *rule)
{
    size_t n = cJSON_GetArraySize(json);
    if (!n) {
        intent_error(p, "a port list needs at least one port (leave "
                     "\"ports\" out for every port)");
        return;
    }

    struct intent_port_range *ports = xcalloc(n, sizeof *ports);
    rule->ports = ports;

    const cJSON *item;
    size_t i = 0;
    cJSON_ArrayForEach (item, json) {
        size_t ilen = intent_path_push_index(p, i++);
        struct intent_port_range range;
        long long port;

        if (cJSON_IsNumber(item)) {
            if (intent_json_int(p, item, 1, 65535, &port)) {
                range.min = range.max = port;
                ports[rule->n_ports++] = range;
            }
        } else if (cJSON_IsString(item)) {
            if (parse_port_range(p, item->valuestring, &range)) {
                ports[rule->n_ports++] = range;
            }
        } else {
            intent_error(p, "expected a port number or a range \"LO-HI\", "
                         "got %s", intent_json_type(item));
        }
        intent_path_pop(p, ilen);
    }
}

/* Parses rule 'json', number 'i' of the "allow" list of the inbound
 * direction (if 'inbound') or the outbound one, into 'rule'. */
static void
parse_rule(struct policy_ctx *ctx, const cJSON *json, bool inbound,
           size_t i, struct intent_rule *rule)
{
    struct intent_parser *p = ctx->p;

    rule->index = i;
    rule->inbound = inbound;
    rule->peer.kind = INTENT_PEER_ANY;
    selector_init(&rule->peer.selector);
    rule->protocol = INTENT_PROTO_ANY;
    if (!intent_check_object(p, json, rule_keys, ARRAY_SIZE(rule_keys))) {
        return;
    }

    rule->name = intent_get_string(p, json, "name", false);

    const char *peer_key = inbound ? "from" : "to";
    const char *wrong_key = inbound ? "to" : "from";
    bool wrong = cJSON_GetObjectItemCaseSensitive(json, wrong_key) != NULL;
    if (wrong) {
        intent_error_at(p, wrong_key, "an %s rule names its peer with "
                        "\"%s\", not \"%s\"",
                        inbound ? "inbound" : "outbound", peer_key,
                        wrong_key);
    }
    const cJSON *peer = intent_get_member(p, json, peer_key, !wrong);
    if (peer) {
        size_t len = intent_path_push_key(p, peer_key);
        parse_peer(ctx, peer, &rule->peer);
        intent_path_pop(p, len);
    }

    int protocol = intent_get_enum(p, json, "protocol", intent_protocol_names,
                                   ARRAY_SIZE(intent_protocol_names),
                                   INTENT_PROTO_ANY);
    rule->protocol = protocol < 0 ? INTENT_PROTO_ANY : protocol;

    const cJSON *ports = intent_get_array(p, json, "ports", false);
    if (ports) {
        size_t len = intent_path_push_key(p, "ports");
        if (protocol == INTENT_PROTO_TCP || protocol == INTENT_PROTO_UDP) {
            parse_ports(p, ports, rule);
        } else if (protocol >= 0) {
            intent_error(p, "ports apply only to protocol \"tcp\" or \"udp\" "
                         "(this rule's protocol is \"%s\")",
                         intent_protocol_names[protocol]);
        }
        intent_path_pop(p, len);
    }
}

/* Parses direction 'key' ("inbound" or "outbound") of application policy
 * object 'obj' into 'set'.  A missing direction allows everything. */
static void
parse_rule_set(struct policy_ctx *ctx, const cJSON *obj, const char *key,
               struct intent_rule_set *set)
{
    struct intent_parser *p = ctx->p;
    bool inbound = !strcmp(key, "inbound");

    set->default_allow = true;
    const cJSON *json = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!json) {
        return;
    }

    size_t len = intent_path_push_key(p, key);
    if (!intent_check_object(p, json, direction_keys,
                             ARRAY_SIZE(direction_keys))) {
        goto out;
    }

    if (intent_get_member(p, json, "default", true)) {
        int d = intent_get_enum(p, json, "default", default_names,
                                ARRAY_SIZE(default_names), 0);
        set->default_allow = d != 1;
    }

    const cJSON *allow = intent_get_array(p, json, "allow", false);
    if (allow) {
        size_t n = cJSON_GetArraySize(allow);
        if (n > INTENT_MAX_RULES) {
            intent_error_at(p, "allow", "%"PRIuSIZE" rules are too many (at "
                            "most %d in one direction)", n,
                            INTENT_MAX_RULES);
        }

        size_t alen = intent_path_push_key(p, "allow");
        struct intent_rule *rules = xcalloc(n ? n : 1, sizeof *rules);
        set->rules = rules;
        set->n_rules = n;

        const cJSON *item;
        size_t i = 0;
        cJSON_ArrayForEach (item, allow) {
            size_t ilen = intent_path_push_index(p, i);
            parse_rule(ctx, item, inbound, i, &rules[i]);
            i++;
            intent_path_pop(p, ilen);
        }
        intent_path_pop(p, alen);
    }

out:
    intent_path_pop(p, len);
}

/* ---------------------------------------------------------------------- */
/* Policies. */

/* Returns true if member 'key' of policy object 'json' may be used by a
 * policy of type 'type'; if not but it is there, reports it. */
static bool
check_type_key(struct intent_parser *p, const cJSON *json, const char *key,
               enum intent_policy_type type, enum intent_policy_type owner)
{
    if (type == owner) {
        return true;
    }
    if (cJSON_GetObjectItemCaseSensitive(json, key)) {
        intent_error_at(p, key, "\"%s\" applies only to %s policies (this "
                        "one is %s)", key, intent_policy_type_names[owner],
                        intent_policy_type_names[type]);
    }
    return false;
}

/* Parses the "vms" of quarantine policy 'pol' from its object 'json'. */
static void
parse_quarantine_vms(struct policy_ctx *ctx, struct intent_policy *pol,
                     const cJSON *json)
{
    struct intent_parser *p = ctx->p;
    const cJSON *vms = intent_get_array(p, json, "vms", true);
    if (!vms) {
        return;
    }

    size_t len = intent_path_push_key(p, "vms");
    size_t n = cJSON_GetArraySize(vms);
    if (!n) {
        intent_error(p, "a quarantine needs at least one VM");
    }
    pol->vms = xcalloc(n ? n : 1, sizeof *pol->vms);

    const cJSON *item;
    size_t i = 0;
    cJSON_ArrayForEach (item, vms) {
        size_t ilen = intent_path_push_index(p, i++);
        const char *name = intent_json_string(p, item);
        const struct intent_vm *vm
            = name ? intent_find_vm(p->intent, name) : NULL;
        if (!name) {
            /* Reported. */
        } else if (!vm) {
            intent_error(p, "unknown VM \"%s\"", name);
        } else {
            const struct intent_claim *c
                = intent_claim(p, &ctx->quarantined, vm, NULL, 0, true);
            if (c) {
                intent_error(p, "VM \"%s\" is already quarantined by %s",
                             name, intent_claim_path(p, c));
            } else {
                pol->vms[pol->n_vms++] = vm;
            }
        }
        intent_path_pop(p, ilen);
    }
    intent_path_pop(p, len);
}

/* Parses the quarantine-only fields of 'pol' from its object 'json'. */
static void
parse_quarantine(struct policy_ctx *ctx, struct intent_policy *pol,
                 const cJSON *json)
{
    struct intent_parser *p = ctx->p;

    int level = -1;
    if (intent_get_member(p, json, "level", true)) {
        level = intent_get_enum(p, json, "level",
                                intent_quarantine_level_names,
                                ARRAY_SIZE(intent_quarantine_level_names),
                                -1);
    }
    pol->level = level < 0 ? INTENT_QUARANTINE_STRICT : level;

    parse_quarantine_vms(ctx, pol, json);

    const cJSON *ff = cJSON_GetObjectItemCaseSensitive(json,
                                                       "forensic_from");
    if (level == INTENT_QUARANTINE_STRICT) {
        if (ff) {
            intent_error_at(p, "forensic_from", "only a forensic quarantine "
                            "(\"level\": \"forensic\") has "
                            "\"forensic_from\"");
        }
    } else if (level == INTENT_QUARANTINE_FORENSIC) {
        struct intent_selector *sels = NULL;
        size_t n = 0;
        if (!ff) {
            intent_error_at(p, "forensic_from", "a forensic quarantine needs "
                            "\"forensic_from\", the VMs that may connect to "
                            "it");
        } else if (parse_selector_list(ctx, json, "forensic_from", true,
                                       &sels, &n) && !n) {
            intent_error_at(p, "forensic_from", "a forensic quarantine needs "
                            "at least one selector");
        }
        pol->forensic_from = sels;
        pol->n_forensic_from = n;
    }
}

/* Parses the isolation-only field "between" of 'pol' from its object
 * 'json'. */
static void
parse_isolation(struct policy_ctx *ctx, struct intent_policy *pol,
                const cJSON *json)
{
    struct intent_parser *p = ctx->p;
    struct intent_selector *sels = NULL;
    size_t n = 0;

    if (!parse_selector_list(ctx, json, "between", true, &sels, &n)) {
        return;
    }
    if (n != 2) {
        intent_error_at(p, "between", "expected exactly two selectors (the "
                        "two groups), got %"PRIuSIZE, n);
    }
    for (size_t i = 0; i < n; i++) {
        if (i < 2) {
            pol->between[i] = sels[i];
        } else {
            selector_destroy(&sels[i]);
        }
    }
    free(sels);
}

/* Parses policy 'json', number 'i', into the model's policy 'i'. */
static void
parse_policy(struct policy_ctx *ctx, const cJSON *json, size_t i)
{
    struct intent_parser *p = ctx->p;
    struct intent *intent = p->intent;
    struct intent_policy *pol = &intent->policies[i];

    if (!intent_check_object(p, json, policy_keys,
                             ARRAY_SIZE(policy_keys))) {
        return;
    }

    const char *name = intent_get_string(p, json, "name", true);
    if (name) {
        pol->name = name;
        const struct intent_policy *other
            = shash_find_data(&intent->policies_by_name, name);
        if (other) {
            intent_error_at(p, "name", "duplicate policy name \"%s\" (first "
                            "at policies[%"PRIuSIZE"])", name, other->index);
        } else {
            shash_add(&intent->policies_by_name, name, pol);
        }
    }

    int type = -1;
    if (intent_get_member(p, json, "type", true)) {
        type = intent_get_enum(p, json, "type", intent_policy_type_names,
                               ARRAY_SIZE(intent_policy_type_names), -1);
    }
    pol->type = type < 0 ? INTENT_POLICY_APPLICATION : type;

    int mode = intent_get_enum(p, json, "mode", intent_policy_mode_names,
                               ARRAY_SIZE(intent_policy_mode_names),
                               INTENT_POLICY_ENFORCE);
    pol->mode = mode < 0 ? INTENT_POLICY_ENFORCE : mode;

    intent_get_bool(p, json, "log", &pol->log);

    if (type < 0) {
        /* Which other fields belong is unknowable. */
        return;
    }

    /* Application. */
    if (check_type_key(p, json, "target", type, INTENT_POLICY_APPLICATION)) {
        const cJSON *target = intent_get_member(p, json, "target", true);
        if (target) {
            size_t len = intent_path_push_key(p, "target");
            parse_selector(ctx, target, &pol->target);
            intent_path_pop(p, len);
        }
    }
    if (check_type_key(p, json, "inbound", type,
                       INTENT_POLICY_APPLICATION)) {
        parse_rule_set(ctx, json, "inbound", &pol->inbound);
    }
    if (check_type_key(p, json, "outbound", type,
                       INTENT_POLICY_APPLICATION)) {
        parse_rule_set(ctx, json, "outbound", &pol->outbound);
    }

    /* Isolation. */
    if (check_type_key(p, json, "between", type, INTENT_POLICY_ISOLATION)) {
        parse_isolation(ctx, pol, json);
    }

    /* Quarantine. */
    bool level = check_type_key(p, json, "level", type,
                                INTENT_POLICY_QUARANTINE);
    bool vms = check_type_key(p, json, "vms", type,
                              INTENT_POLICY_QUARANTINE);
    bool ff = check_type_key(p, json, "forensic_from", type,
                             INTENT_POLICY_QUARANTINE);
    if (level && vms && ff) {
        parse_quarantine(ctx, pol, json);
    }
}

/* Parses and checks the "policies" array 'policies'. */
void
intent_parse_policies(struct intent_parser *p, const cJSON *policies)
{
    struct intent *intent = p->intent;
    size_t n = cJSON_GetArraySize(policies);

    intent->n_policies = n;
    intent->policies = xcalloc(n ? n : 1, sizeof *intent->policies);
    for (size_t i = 0; i < n; i++) {
        struct intent_policy *pol = &intent->policies[i];
        pol->index = i;
        pol->mode = INTENT_POLICY_ENFORCE;
        selector_init(&pol->target);
        pol->inbound.default_allow = pol->outbound.default_allow = true;
        selector_init(&pol->between[0]);
        selector_init(&pol->between[1]);
    }
    if (!n) {
        return;
    }

    struct policy_ctx ctx = {
        .p = p,
        .categories = HMAP_INITIALIZER(&ctx.categories),
        .quarantined = HMAP_INITIALIZER(&ctx.quarantined),
    };
    category_index_build(&ctx, intent);

    size_t len = intent_path_push_key(p, "policies");
    const cJSON *item;
    size_t i = 0;
    cJSON_ArrayForEach (item, policies) {
        size_t ilen = intent_path_push_index(p, i);
        parse_policy(&ctx, item, i);
        i++;
        intent_path_pop(p, ilen);
    }
    intent_path_pop(p, len);

    category_index_destroy(&ctx);
    hmap_destroy(&ctx.quarantined);
}

/* Frees the rules of 'set'. */
static void
rule_set_destroy(struct intent_rule_set *set)
{
    for (size_t i = 0; i < set->n_rules; i++) {
        struct intent_rule *rule = CONST_CAST(struct intent_rule *,
                                              &set->rules[i]);
        selector_destroy(&rule->peer.selector);
        free(CONST_CAST(struct intent_port_range *, rule->ports));
    }
    free(CONST_CAST(struct intent_rule *, set->rules));
}

/* Frees the policies of 'intent'. */
void
intent_destroy_policies(struct intent *intent)
{
    for (size_t i = 0; i < intent->n_policies; i++) {
        struct intent_policy *pol = &intent->policies[i];

        selector_destroy(&pol->target);
        rule_set_destroy(&pol->inbound);
        rule_set_destroy(&pol->outbound);
        selector_destroy(&pol->between[0]);
        selector_destroy(&pol->between[1]);
        free(pol->vms);
        for (size_t j = 0; j < pol->n_forensic_from; j++) {
            selector_destroy(CONST_CAST(struct intent_selector *,
                                        &pol->forensic_from[j]));
        }
        free(CONST_CAST(struct intent_selector *, pol->forensic_from));
    }
    free(intent->policies);
    intent->policies = NULL;
    intent->n_policies = 0;

    struct shash_node *node;
    SHASH_FOR_EACH_SAFE (node, &intent->selector_matches) {
        struct selector_match *m = node->data;
        free(m->vms);
        free(m->ips);
        free(m->vm_map);
        free(m);
    }
    shash_destroy(&intent->selector_matches);
}
