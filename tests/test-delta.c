/*
 * Unit tests of the incremental compile (pipelines/delta.c,
 * flowset_patch()): after each change of intent, a bridge's desired set
 * patched with the partial compiles of the old and the new model must be
 * exactly the full compile of the new model, and the diff the patch gives
 * must be the full diff.
 *
 * Each intent file given on the command line goes through a fixed list of
 * changes (one of each kind: a VM's category, a VM removed, added,
 * reordered, two VMs' addresses swapped, a policy's rule, mode, removal
 * and addition, a quarantine, a rule added, removed, or given another
 * peer), then a seeded series of random ones.  The
 * changes are chained as reloads are: each step starts from the set the
 * previous step patched, as the daemon does.  Changes outside VMs and
 * policies (a network, the order of the policies) must give no delta.
 * Rules added, removed and given another peer check the compile of a
 * policy in parts (its touched rules, its peer flows of touched VMs);
 * on the workload of benchmark B6, the partial compiles must be small.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "flow.h"
#include "hash.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "pipelines/stages.h"
#include "svec.h"
#include "tests/unit.h"
#include "util.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* The state of one bridge across the chain of changes: its switch's ports
 * (stable numbers; ports of new VMs are added, none removed) and the
 * desired set, patched at each step. */
struct bridge_state {
    struct hmap_node node;      /* By datapath ID. */
    uint64_t dpid;
    struct portmap ports;
    ofp_port_t next_port;
    struct flowset desired;
};

struct chain {
    struct hmap bridges;
    struct intent *intent;      /* The running model. */
    cJSON *json;                /* Its JSON, to change. */
    unsigned int seed;
    size_t n_changes, n_patched_flows, n_full_flows;
    /* Of the last step, over every bridge: flows with a policy cookie and
     * groups in the partial compiles (old + new), and flow mods of the
     * full diff. */
    size_t last_policy_flows, last_part_groups, last_flow_mods;
};

static unsigned int
next_random(struct chain *c)
{
    c->seed = c->seed * 1103515245u + 12345u;
    return (c->seed >> 16) & 0x7fff;
}

/* Adds to 'b''s ports those of 'br' it lacks. */
static void
add_missing_ports(struct bridge_state *b, const struct intent_bridge *br)
{
    struct portmap all;
    portmap_assume(&all, br);
    const struct portmap_port *p;
    HMAP_FOR_EACH (p, node, &all.ports) {
        if (!portmap_find(&b->ports, p->name)) {
            portmap_set(&b->ports, p->name, b->next_port, true);
            b->next_port = u16_to_ofp(ofp_to_u16(b->next_port) + 1);
        }
    }
    portmap_destroy(&all);
}

static struct intent *
parse_or_report(const cJSON *json)
{
    char *text = cJSON_PrintUnformatted(json);
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(text, &errors);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "  intent error: %s\n", errors.names[i]);
    }
    svec_destroy(&errors);
    free(text);
    return intent;
}

/* Reads file 'path' as JSON, or returns NULL. */
static cJSON *
read_json(const char *path)
{
    FILE *f = fopen(path, "r");
    struct ds text = DS_EMPTY_INITIALIZER;
    char buf[4096];
    size_t n;
    while (f && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        ds_put_buffer(&text, buf, n);
    }
    if (f) {
        fclose(f);
    }
    cJSON *json = text.length ? cJSON_Parse(ds_cstr(&text)) : NULL;
    ds_destroy(&text);
    return json;
}

/* Starts a chain on the intent in file 'path'. */
static bool
chain_init(struct chain *c, const char *path, unsigned int seed)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    c->intent = intent_load_file(path, &errors);
    svec_destroy(&errors);
    if (!c->intent) {
        fprintf(stderr, "%s: invalid\n", path);
        return false;
    }
    c->json = read_json(path);
    hmap_init(&c->bridges);
    c->seed = seed;
    c->n_changes = c->n_patched_flows = c->n_full_flows = 0;

    for (size_t h = 0; h < intent_n_hosts(c->intent); h++) {
        const struct intent_host *host = intent_host_at(c->intent, h);
        for (size_t i = 0; i < host->n_bridges; i++) {
            const struct intent_bridge *br = &host->bridges[i];
            struct bridge_state *b = xzalloc(sizeof *b);
            b->dpid = br->datapath_id;
            portmap_init(&b->ports);
            b->next_port = u16_to_ofp(1);
            add_missing_ports(b, br);
            flowset_init(&b->desired);
            pipeline_compile(c->intent, br, &b->ports, &b->desired);
            hmap_insert(&c->bridges, &b->node, hash_uint64(b->dpid));
        }
    }
    return true;
}

static void
chain_destroy(struct chain *c)
{
    struct bridge_state *b;
    HMAP_FOR_EACH_POP (b, node, &c->bridges) {
        portmap_destroy(&b->ports);
        flowset_destroy(&b->desired);
        free(b);
    }
    hmap_destroy(&c->bridges);
    intent_destroy(c->intent);
    cJSON_Delete(c->json);
}

/* True if 'a' and 'b' hold flows with the same keys and bodies, and equal
 * groups; prints the first difference. */
static bool
same_sets(const struct flowset *a, const struct flowset *b, const char *what)
{
    struct ds sa = DS_EMPTY_INITIALIZER, sb = DS_EMPTY_INITIALIZER;
    flowset_format(a, &sa);
    flowset_format(b, &sb);
    bool same = !strcmp(ds_cstr(&sa), ds_cstr(&sb));
    if (!same) {
        const char *x = ds_cstr(&sa), *y = ds_cstr(&sb);
        while (*x && *x == *y) {
            x++, y++;
        }
        while (x > ds_cstr(&sa) && x[-1] != '\n') {
            x--, y--;
        }
        fprintf(stderr, "  %s: first difference:\n  patched: %.300s\n"
                "  full:    %.300s\n", what, x, y);
    }
    ds_destroy(&sa);
    ds_destroy(&sb);
    return same;
}

/* True if compiling 'br' of 'intent' with 'memo' (shared by the bridges
 * of 'intent' a test compiles) gives the same set as 'full', compiled
 * without: once as it comes (the memo may be filled by other bridges or
 * empty) and once more, when the memo has every block of 'br'. */
static bool
same_as_memo_compile(const struct intent *intent,
                     const struct intent_bridge *br,
                     const struct portmap *ports, struct pipeline_memo *memo,
                     const struct flowset *full, const char *what)
{
    bool same = true;
    for (int pass = 0; pass < 2; pass++) {
        struct flowset memoed;
        flowset_init(&memoed);
        pipeline_compile_memo(intent, br, ports, memo, &memoed);
        if (!same_sets(&memoed, full, what)) {
            fprintf(stderr, "  %s: %s: compiled with a memo (pass %d), it "
                    "differs from the compile without\n", what, br->name,
                    pass + 1);
            same = false;
        }
        flowset_destroy(&memoed);
    }
    return same;
}

/* Returns the number of flows of 'fs' with a policy cookie. */
static size_t
count_policy_flows(const struct flowset *fs)
{
    size_t n = 0;
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, fs) {
        unsigned int kind = (ntohll(f->cookie) >> 48) & 0xff;
        n += (kind >= PIPELINE_COOKIE_POLICY
              && kind <= PIPELINE_COOKIE_POLICY_MONITOR);
    }
    return n;
}

/* Makes 'next' (a changed copy of the running JSON, taken over) the
 * running intent, checking every bridge.  'expect_delta': the change is
 * one a delta covers.  Returns false if a check failed. */
static bool
chain_step(struct chain *c, cJSON *next, bool expect_delta,
           const char *what)
{
    struct intent *new = parse_or_report(next);
    if (!new) {
        fprintf(stderr, "  %s: the changed intent is invalid\n", what);
        cJSON_Delete(next);
        return false;
    }
    bool ok = true;
    struct pipeline_delta *delta = pipeline_delta_create(c->intent, new);
    if (!delta != !expect_delta) {
        fprintf(stderr, "  %s: %s delta\n", what,
                delta ? "unexpected" : "no");
        ok = false;
    }

    struct bridge_state *b;
    c->last_policy_flows = c->last_part_groups = c->last_flow_mods = 0;
    struct pipeline_memo *memo = pipeline_memo_create(new);
    HMAP_FOR_EACH (b, node, &c->bridges) {
        const struct intent_bridge *old_br
            = intent_find_bridge_by_dpid(c->intent, b->dpid);
        const struct intent_bridge *new_br
            = intent_find_bridge_by_dpid(new, b->dpid);
        if (!old_br || !new_br) {
            continue;
        }
        add_missing_ports(b, new_br);
        struct flowset full;
        flowset_init(&full);
        pipeline_compile(new, new_br, &b->ports, &full);
        if (!same_as_memo_compile(new, new_br, &b->ports, memo, &full,
                                  what)) {
            ok = false;
        }

        if (delta) {
            struct flowset old_part, new_part, installed;
            struct flowset_diff patch_diff, full_diff;
            flowset_init(&old_part);
            flowset_init(&new_part);
            pipeline_compile_partial(c->intent, old_br, &b->ports, delta,
                                     &old_part);
            pipeline_compile_partial(new, new_br, &b->ports, delta,
                                     &new_part);
            flowset_clone(&installed, &b->desired);
            flowset_diff(&installed, &full, &full_diff);
            if (!flowset_patch(&installed, &b->desired, &old_part,
                               &new_part, &patch_diff)) {
                fprintf(stderr, "  %s: %s: the old partial set does not "
                        "match the desired set\n", what, new_br->name);
                ok = false;
                flowset_destroy(&b->desired);
                flowset_clone(&b->desired, &full);
            } else {
                if (!same_sets(&b->desired, &full, what)) {
                    ok = false;
                }
                if (patch_diff.n_add_flows != full_diff.n_add_flows
                    || patch_diff.n_mod_flows != full_diff.n_mod_flows
                    || patch_diff.n_del_flows != full_diff.n_del_flows
                    || patch_diff.n_add_groups != full_diff.n_add_groups
                    || patch_diff.n_mod_groups != full_diff.n_mod_groups
                    || patch_diff.n_del_groups != full_diff.n_del_groups) {
                    fprintf(stderr, "  %s: %s: the patch's diff (+%"PRIuSIZE
                            " ~%"PRIuSIZE" -%"PRIuSIZE") is not the full "
                            "diff (+%"PRIuSIZE" ~%"PRIuSIZE" -%"PRIuSIZE")\n",
                            what, new_br->name, patch_diff.n_add_flows,
                            patch_diff.n_mod_flows, patch_diff.n_del_flows,
                            full_diff.n_add_flows, full_diff.n_mod_flows,
                            full_diff.n_del_flows);
                    ok = false;
                }
                flowset_diff_destroy(&patch_diff);
            }
            c->n_patched_flows += (flowset_n_flows(&old_part)
                                   + flowset_n_flows(&new_part));
            c->last_policy_flows += (count_policy_flows(&old_part)
                                     + count_policy_flows(&new_part));
            c->last_part_groups += (flowset_n_groups(&old_part)
                                    + flowset_n_groups(&new_part));
            c->last_flow_mods += (full_diff.n_add_flows
                                  + full_diff.n_mod_flows
                                  + full_diff.n_del_flows);
            c->n_full_flows += flowset_n_flows(&full);
            flowset_diff_destroy(&full_diff);
            flowset_destroy(&installed);
            flowset_destroy(&old_part);
            flowset_destroy(&new_part);
        } else {
            flowset_destroy(&b->desired);
            flowset_clone(&b->desired, &full);
        }
        flowset_destroy(&full);
    }
    pipeline_memo_destroy(memo);
    pipeline_delta_destroy(delta);
    intent_destroy(c->intent);
    c->intent = new;
    cJSON_Delete(c->json);
    c->json = next;
    c->n_changes++;
    return ok;
}

/* ---------------------------------------------------------------------- */
/* Changes, on a copy of the running JSON. */

static cJSON *
array_of(cJSON *root, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(root, key);
}

static cJSON *
item_at(cJSON *root, const char *key, int i)
{
    return cJSON_GetArrayItem(array_of(root, key), i);
}

static int
count_of(cJSON *root, const char *key)
{
    return cJSON_GetArraySize(array_of(root, key));
}

static void
set_string(cJSON *obj, const char *key, const char *value)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key,
                                               cJSON_CreateString(value));
    } else {
        cJSON_AddStringToObject(obj, key, value);
    }
}

/* VM 'i' takes one category (key and value) of VM 'j'. */
static bool
change_category(cJSON *root, int i, int j)
{
    cJSON *from = cJSON_GetObjectItemCaseSensitive(item_at(root, "vms", j),
                                                   "categories");
    cJSON *vm = item_at(root, "vms", i);
    if (!from || !from->child || !vm) {
        return false;
    }
    const cJSON *pair = from->child;
    cJSON *cats = cJSON_GetObjectItemCaseSensitive(vm, "categories");
    if (!cats) {
        cats = cJSON_AddObjectToObject(vm, "categories");
    }
    set_string(cats, pair->string, pair->valuestring);
    return true;
}

/* True if some quarantine names VM 'i'. */
static bool
is_quarantined(cJSON *root, int i)
{
    const char *name = cJSON_GetObjectItemCaseSensitive(
        item_at(root, "vms", i), "name")->valuestring;
    cJSON *p;
    cJSON_ArrayForEach (p, array_of(root, "policies")) {
        cJSON *v;
        cJSON_ArrayForEach (v, cJSON_GetObjectItemCaseSensitive(p, "vms")) {
            if (cJSON_IsString(v) && !strcmp(v->valuestring, name)) {
                return true;
            }
        }
    }
    return false;
}

static bool
remove_vm(cJSON *root, int i)
{
    if (count_of(root, "vms") < 2 || is_quarantined(root, i)) {
        return false;
    }
    cJSON_DeleteItemFromArray(array_of(root, "vms"), i);
    return true;
}

/* A copy of VM 'i' as a new VM (new name, ports and MACs, no addresses). */
static bool
add_vm(cJSON *root, int i, unsigned int serial)
{
    cJSON *vm = cJSON_Duplicate(item_at(root, "vms", i), true);
    char name[32];
    snprintf(name, sizeof name, "dvm%u", serial);
    set_string(vm, "name", name);
    cJSON_DeleteItemFromObjectCaseSensitive(vm, "migrating_to");
    cJSON *nic;
    int k = 0;
    cJSON_ArrayForEach (nic, cJSON_GetObjectItemCaseSensitive(vm, "nics")) {
        char port[32], mac[32];
        snprintf(port, sizeof port, "dt%u-%d", serial % 100000, k % 100);
        snprintf(mac, sizeof mac, "02:de:%02x:%02x:%02x:%02x",
                 (serial >> 16) & 0xff, (serial >> 8) & 0xff, serial & 0xff,
                 k & 0xff);
        set_string(nic, "port", port);
        set_string(nic, "mac", mac);
        cJSON_DeleteItemFromObjectCaseSensitive(nic, "ip");
        k++;
    }
    cJSON_AddItemToArray(array_of(root, "vms"), vm);
    return true;
}

/* Moves VM 'i' to the end of "vms". */
static bool
reorder_vm(cJSON *root, int i)
{
    cJSON *vms = array_of(root, "vms");
    cJSON_AddItemToArray(vms, cJSON_DetachItemFromArray(vms, i));
    return true;
}

static cJSON *
first_nic(cJSON *vm)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(vm, "nics"),
                              0);
}

/* Swaps the addresses of the first NICs of VM 'i' and of another VM whose
 * first NIC is on the same network. */
static bool
swap_ips(cJSON *root, int i)
{
    cJSON *a = first_nic(item_at(root, "vms", i));
    const cJSON *net_a = cJSON_GetObjectItemCaseSensitive(a, "network");
    cJSON *ip_a = cJSON_GetObjectItemCaseSensitive(a, "ip");
    if (!net_a || !ip_a) {
        return false;
    }
    for (int j = 0; j < count_of(root, "vms"); j++) {
        cJSON *b = first_nic(item_at(root, "vms", j));
        const cJSON *net_b = cJSON_GetObjectItemCaseSensitive(b, "network");
        cJSON *ip_b = cJSON_GetObjectItemCaseSensitive(b, "ip");
        if (j != i && net_b && ip_b && cJSON_Compare(net_a, net_b, true)
            && strcmp(ip_a->valuestring, ip_b->valuestring)) {
            char *tmp = xstrdup(ip_a->valuestring);
            set_string(a, "ip", ip_b->valuestring);
            set_string(b, "ip", tmp);
            free(tmp);
            return true;
        }
    }
    return false;
}

/* Changes the first port of the first rule with ports of policy 'k', or
 * its first rule's protocol to icmp. */
static bool
change_rule(cJSON *root, int k)
{
    cJSON *p = item_at(root, "policies", k);
    for (int dir = 0; dir < 2; dir++) {
        cJSON *rs = cJSON_GetObjectItemCaseSensitive(p, dir ? "outbound"
                                                     : "inbound");
        cJSON *rule;
        cJSON_ArrayForEach (rule, cJSON_GetObjectItemCaseSensitive(rs,
                                                                   "allow")) {
            cJSON *ports = cJSON_GetObjectItemCaseSensitive(rule, "ports");
            if (ports && cJSON_GetArraySize(ports)) {
                cJSON_ReplaceItemInArray(ports, 0, cJSON_CreateNumber(4242));
            } else {
                set_string(rule, "protocol", "icmp");
                cJSON_DeleteItemFromObjectCaseSensitive(rule, "ports");
            }
            return true;
        }
    }
    return false;
}

/* The "allow" array of the first direction of policy 'k' that has one
 * ('*inbound' tells which), or NULL. */
static cJSON *
rule_list(cJSON *root, int k, bool *inbound)
{
    cJSON *p = item_at(root, "policies", k);
    for (int dir = 0; dir < 2; dir++) {
        cJSON *rs = cJSON_GetObjectItemCaseSensitive(p, dir ? "outbound"
                                                     : "inbound");
        cJSON *allow = cJSON_GetObjectItemCaseSensitive(rs, "allow");
        if (allow) {
            *inbound = !dir;
            return allow;
        }
    }
    return NULL;
}

/* Sets the peer of 'rule' (of the direction 'inbound' tells) to the first
 * category of VM 'i': a selector of one VM or of many. */
static bool
set_rule_peer(cJSON *root, cJSON *rule, bool inbound, int i)
{
    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(
        item_at(root, "vms", i), "categories");
    if (!cats || !cats->child) {
        return false;
    }
    cJSON *sel = cJSON_CreateObject();
    cJSON_AddStringToObject(sel, cats->child->string,
                            cats->child->valuestring);
    const char *key = inbound ? "from" : "to";
    if (cJSON_GetObjectItemCaseSensitive(rule, key)) {
        cJSON_ReplaceItemInObjectCaseSensitive(rule, key, sel);
    } else {
        cJSON_AddItemToObject(rule, key, sel);
    }
    return true;
}

/* Appends to policy 'k' a copy of its rule 'j' with another port and the
 * first category of VM 'i' as its peer. */
static bool
add_rule(cJSON *root, int k, int j, int i, unsigned int serial)
{
    bool inbound;
    cJSON *allow = rule_list(root, k, &inbound);
    int n = allow ? cJSON_GetArraySize(allow) : 0;
    if (!n || n >= 100) {
        return false;
    }
    cJSON *rule = cJSON_Duplicate(cJSON_GetArrayItem(allow, j % n), true);
    cJSON_DeleteItemFromObjectCaseSensitive(rule, "name");
    set_string(rule, "protocol", "tcp");
    cJSON *ports = cJSON_CreateArray();
    cJSON_AddItemToArray(ports, cJSON_CreateNumber(20000 + serial % 1000));
    cJSON_AddItemToArray(ports, cJSON_CreateNumber(30000 + serial % 1000));
    if (cJSON_GetObjectItemCaseSensitive(rule, "ports")) {
        cJSON_ReplaceItemInObjectCaseSensitive(rule, "ports", ports);
    } else {
        cJSON_AddItemToObject(rule, "ports", ports);
    }
    if (!set_rule_peer(root, rule, inbound, i)) {
        cJSON_Delete(rule);
        return false;
    }
    cJSON_AddItemToArray(allow, rule);
    return true;
}

/* Removes rule 'j' of policy 'k': the rules after it move up. */
static bool
remove_rule(cJSON *root, int k, int j)
{
    bool inbound;
    cJSON *allow = rule_list(root, k, &inbound);
    int n = allow ? cJSON_GetArraySize(allow) : 0;
    if (!n) {
        return false;
    }
    cJSON_DeleteItemFromArray(allow, j % n);
    return true;
}

/* Makes the first category of VM 'i' the peer of rule 'j' of policy 'k'. */
static bool
change_rule_peer(cJSON *root, int k, int j, int i)
{
    bool inbound;
    cJSON *allow = rule_list(root, k, &inbound);
    int n = allow ? cJSON_GetArraySize(allow) : 0;
    return n && set_rule_peer(root, cJSON_GetArrayItem(allow, j % n),
                              inbound, i);
}

static bool
toggle_mode(cJSON *root, int k)
{
    cJSON *p = item_at(root, "policies", k);
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(p, "mode");
    set_string(p, "mode", (mode && !strcmp(mode->valuestring, "monitor")
                           ? "enforce" : "monitor"));
    return true;
}

static bool
remove_policy(cJSON *root, int k)
{
    cJSON_DeleteItemFromArray(array_of(root, "policies"), k);
    return true;
}

/* A copy of policy 'k' under a new name, at the end. */
static bool
add_policy(cJSON *root, int k, unsigned int serial)
{
    cJSON *p = cJSON_Duplicate(item_at(root, "policies", k), true);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
    if (type && !strcmp(type->valuestring, "quarantine")) {
        cJSON_Delete(p);
        return false;           /* A VM may be in one quarantine only. */
    }
    char name[32];
    snprintf(name, sizeof name, "dpol%u", serial);
    set_string(p, "name", name);
    cJSON_AddItemToArray(array_of(root, "policies"), p);
    return true;
}

/* A strict quarantine of VM 'i', unless some quarantine names it. */
static bool
quarantine_vm(cJSON *root, int i, unsigned int serial)
{
    if (is_quarantined(root, i)) {
        return false;
    }
    const char *name = cJSON_GetObjectItemCaseSensitive(
        item_at(root, "vms", i), "name")->valuestring;
    char pname[32];
    snprintf(pname, sizeof pname, "dq%u", serial);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", pname);
    cJSON_AddStringToObject(p, "type", "quarantine");
    cJSON_AddStringToObject(p, "level", "strict");
    cJSON *vms = cJSON_AddArrayToObject(p, "vms");
    cJSON_AddItemToArray(vms, cJSON_CreateString(name));
    if (!array_of(root, "policies")) {
        cJSON_AddArrayToObject(root, "policies");
    }
    cJSON_AddItemToArray(array_of(root, "policies"), p);
    return true;
}

enum change_kind {
    CH_CATEGORY, CH_REMOVE_VM, CH_ADD_VM, CH_REORDER_VM, CH_SWAP_IPS,
    CH_RULE, CH_MODE, CH_REMOVE_POLICY, CH_ADD_POLICY, CH_QUARANTINE,
    CH_ADD_RULE, CH_REMOVE_RULE, CH_RULE_PEER, N_CHANGE_KINDS
};

static const char *const change_names[] = {
    "VM category", "VM removed", "VM added", "VM reordered",
    "VM addresses swapped", "policy rule", "policy mode", "policy removed",
    "policy added", "quarantine added", "rule added", "rule removed",
    "rule peer",
};

/* Applies change 'kind' to a copy of the running JSON (VM 'i', policy
 * 'k', other VM 'j') and checks the step; a change that does not apply
 * is skipped (returns true). */
static bool
apply_change(struct chain *c, enum change_kind kind, int i, int j, int k)
{
    cJSON *next = cJSON_Duplicate(c->json, true);
    int n_vms = count_of(next, "vms");
    int n_policies = count_of(next, "policies");
    unsigned int serial = c->n_changes + 1;
    bool applied = false;

    i = n_vms ? i % n_vms : 0;
    j = n_vms ? j % n_vms : 0;
    k = n_policies ? k % n_policies : 0;
    switch (kind) {
    case CH_CATEGORY: applied = n_vms && change_category(next, i, j); break;
    case CH_REMOVE_VM: applied = n_vms && remove_vm(next, i); break;
    case CH_ADD_VM: applied = n_vms && add_vm(next, i, serial); break;
    case CH_REORDER_VM: applied = n_vms && reorder_vm(next, i); break;
    case CH_SWAP_IPS: applied = n_vms && swap_ips(next, i); break;
    case CH_RULE: applied = n_policies && change_rule(next, k); break;
    case CH_MODE: applied = n_policies && toggle_mode(next, k); break;
    case CH_REMOVE_POLICY:
        applied = n_policies && remove_policy(next, k);
        break;
    case CH_ADD_POLICY:
        applied = n_policies && add_policy(next, k, serial);
        break;
    case CH_QUARANTINE:
        applied = n_vms && quarantine_vm(next, i, serial);
        break;
    case CH_ADD_RULE:
        applied = n_policies && n_vms && add_rule(next, k, j, i, serial);
        break;
    case CH_REMOVE_RULE:
        applied = n_policies && remove_rule(next, k, j);
        break;
    case CH_RULE_PEER:
        applied = n_policies && n_vms && change_rule_peer(next, k, j, i);
        break;
    case N_CHANGE_KINDS:
        break;
    }
    if (!applied) {
        cJSON_Delete(next);
        return true;
    }
    return chain_step(c, next, true, change_names[kind]);
}

/* ---------------------------------------------------------------------- */

static const char **files;
static size_t n_files;

/* One of each change, on each file. */
static void
test_each_change(void)
{
    for (size_t f = 0; f < n_files; f++) {
        struct chain c;
        UNIT_CHECK(chain_init(&c, files[f], 1));
        for (int kind = 0; kind < N_CHANGE_KINDS; kind++) {
            bool ok = apply_change(&c, kind, 1, 2, 1);
            if (!ok) {
                fprintf(stderr, "  in %s\n", files[f]);
            }
            UNIT_CHECK(ok);
        }
        chain_destroy(&c);
    }
}

/* A seeded series of random changes, on each file: DELTA_TEST_CHANGES of
 * them (default 60), from seed DELTA_TEST_SEED (default 7). */
static void
test_random_changes(void)
{
    int n = getenv("DELTA_TEST_CHANGES") ? atoi(getenv("DELTA_TEST_CHANGES"))
            : 60;
    for (size_t f = 0; f < n_files; f++) {
        struct chain c;
        unsigned int seed = (getenv("DELTA_TEST_SEED")
                             ? atoi(getenv("DELTA_TEST_SEED")) : 7);
        UNIT_CHECK(chain_init(&c, files[f], seed));
        for (int step = 0; step < n; step++) {
            int kind = next_random(&c) % N_CHANGE_KINDS;
            int i = next_random(&c), j = next_random(&c);
            int k = next_random(&c);
            bool ok = apply_change(&c, kind, i, j, k);
            if (!ok) {
                fprintf(stderr, "  in %s, step %d\n", files[f], step);
            }
            UNIT_CHECK(ok);
        }
        /* The partial compiles are a small part of full ones. */
        if (c.n_full_flows) {
            printf("%s: %"PRIuSIZE" changes, flows compiled by the partial "
                   "compiles (old + new): %.1f%% of the full ones\n",
                   files[f], c.n_changes,
                   100.0 * c.n_patched_flows / c.n_full_flows);
        }
        chain_destroy(&c);
    }
}

/* The changes again with every dispatch ID the same (masked to 0), so that
 * ports with different evaluations share an ID and get per-port STATE
 * flows, which partial compiles must keep right too. */
static void
test_colliding_dispatches(void)
{
    pipeline_microseg_set_dispatch_id_mask(0);
    test_each_change();
    test_random_changes();
    pipeline_microseg_set_dispatch_id_mask(UINT32_MAX);
}

/* Changes that no delta covers: every bridge is compiled in full. */
static void
test_no_delta(void)
{
    for (size_t f = 0; f < n_files; f++) {
        struct chain c;
        UNIT_CHECK(chain_init(&c, files[f], 3));

        /* A network's VLAN. */
        cJSON *next = cJSON_Duplicate(c.json, true);
        cJSON *net = item_at(next, "networks", 0);
        cJSON_ReplaceItemInObjectCaseSensitive(net, "vlan",
                                               cJSON_CreateNumber(3999));
        UNIT_CHECK(chain_step(&c, next, false, "network VLAN"));

        /* The order of two policies. */
        if (count_of(c.json, "policies") >= 2) {
            next = cJSON_Duplicate(c.json, true);
            cJSON *pols = array_of(next, "policies");
            cJSON_AddItemToArray(pols, cJSON_DetachItemFromArray(pols, 0));
            UNIT_CHECK(chain_step(&c, next, false, "policy order"));
        }

        /* Nothing at all: a delta that touches nothing. */
        struct intent *same = parse_or_report(c.json);
        struct pipeline_delta *d = pipeline_delta_create(c.intent, same);
        UNIT_CHECK(d && pipeline_delta_is_empty(d));
        pipeline_delta_destroy(d);

        /* The same JSON in other text (indented, members of every VM and
         * policy in reverse order): the texts differ everywhere, the JSON
         * nowhere. */
        cJSON *shuffled = cJSON_Duplicate(c.json, true);
        static const char *const arrays[] = { "vms", "policies" };
        for (size_t a = 0; a < ARRAY_SIZE(arrays); a++) {
            cJSON *obj;
            cJSON_ArrayForEach (obj, array_of(shuffled, arrays[a])) {
                cJSON *members[64];
                size_t n = 0;
                while (obj->child && n < ARRAY_SIZE(members)) {
                    members[n++] = cJSON_DetachItemViaPointer(obj,
                                                              obj->child);
                }
                while (n--) {
                    cJSON_AddItemToObject(obj, members[n]->string,
                                          members[n]);
                }
            }
        }
        char *text = cJSON_Print(shuffled);
        struct svec errors = SVEC_EMPTY_INITIALIZER;
        struct intent *other_text = intent_parse(text, &errors);
        UNIT_CHECK(other_text != NULL);
        d = other_text ? pipeline_delta_create(same, other_text) : NULL;
        UNIT_CHECK(d && pipeline_delta_is_empty(d));
        pipeline_delta_destroy(d);
        intent_destroy(other_text);
        svec_destroy(&errors);
        free(text);
        cJSON_Delete(shuffled);
        intent_destroy(same);
        chain_destroy(&c);
    }
}

/* On the workload of benchmark B6 (bench/gen-b6.py, directory in
 * DELTA_TEST_B6; skipped without it): a VM moved from tier web to tier
 * app (a peer of one policy becomes a target of it and a peer of the
 * other), then back, and one rule added to a policy.  Besides the checks
 * of every step, the partial compiles must hold few policy flows: at most
 * two per flow mod and 8 more, where recompiling the policies whole would
 * give every peer flow of both tiers' rules; and only the flood groups of
 * the moved VM's network (two, in each model), not the bridge's (two per
 * network). */
static void
test_b6_granularity(void)
{
    const char *dir = getenv("DELTA_TEST_B6");
    if (!dir) {
        return;
    }
    char *path = xasprintf("%s/intent.json", dir);
    struct chain c;
    UNIT_CHECK(chain_init(&c, path, 1));
    free(path);

    static const char *const steps[] = {
        "category.json", "intent.json", "rule.json", "intent.json",
    };
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        char *step_path = xasprintf("%s/%s", dir, steps[i]);
        cJSON *next = read_json(step_path);
        free(step_path);
        UNIT_CHECK(next != NULL);
        if (!next) {
            break;
        }
        UNIT_CHECK(chain_step(&c, next, true, steps[i]));
        printf("B6 workload, to %s: %"PRIuSIZE" flow mods, %"PRIuSIZE
               " policy flows and %"PRIuSIZE" groups in the partial "
               "compiles\n", steps[i], c.last_flow_mods,
               c.last_policy_flows, c.last_part_groups);
        UNIT_CHECK(c.last_flow_mods > 0);
        UNIT_CHECK(c.last_policy_flows <= 2 * c.last_flow_mods + 8);
        UNIT_CHECK(c.last_part_groups <= 4);
    }
    chain_destroy(&c);
}

/* The memo: on each intent, every bridge compiled with one memo gives the
 * set it gives without (checked by chain_step() at every change as well),
 * and where two bridges use the same policy evaluation, their sets hold
 * the same flow objects, compiled once. */
static void
test_memo(void)
{
    for (size_t i = 0; i < n_files; i++) {
        struct svec errors = SVEC_EMPTY_INITIALIZER;
        struct intent *intent = intent_load_file(files[i], &errors);
        svec_destroy(&errors);
        UNIT_CHECK(intent != NULL);
        if (!intent) {
            continue;
        }
        struct pipeline_memo *memo = pipeline_memo_create(intent);
        struct flowset *sets = xcalloc(intent_n_bridges(intent) + 1,
                                       sizeof *sets);
        size_t n_sets = 0, n_policy_flows = 0, n_shared = 0;
        for (size_t h = 0; h < intent_n_hosts(intent); h++) {
            const struct intent_host *host = intent_host_at(intent, h);
            for (size_t j = 0; j < host->n_bridges; j++) {
                const struct intent_bridge *br = &host->bridges[j];
                struct portmap pm;
                struct flowset full;
                portmap_assume(&pm, br);
                flowset_init(&full);
                pipeline_compile(intent, br, &pm, &full);
                n_policy_flows += count_policy_flows(&full);
                UNIT_CHECK(same_as_memo_compile(intent, br, &pm, memo, &full,
                                                files[i]));
                flowset_destroy(&full);

                /* Kept, to look for flows shared with earlier bridges. */
                struct flowset *fs = &sets[n_sets++];
                flowset_init(fs);
                pipeline_compile_memo(intent, br, &pm, memo, fs);
                const struct flowset_flow *f;
                FLOWSET_FOR_EACH_FLOW (f, fs) {
                    for (size_t k = 0; k + 1 < n_sets; k++) {
                        if (flowset_find_flow(&sets[k], f->table_id,
                                              f->priority, &f->match) == f) {
                            n_shared++;
                            break;
                        }
                    }
                }
                portmap_destroy(&pm);
            }
        }
        printf("%s: %"PRIuSIZE" bridges, %"PRIuSIZE" policy flows, memo "
               "%"PRIuSIZE" flows, %"PRIuSIZE" flows shared with an "
               "earlier bridge\n", files[i], n_sets, n_policy_flows,
               pipeline_memo_n_flows(memo), n_shared);
        /* The memo holds policy flows only.  Every intent here but
         * polmon-intent.json (each of its policies' evaluations is used
         * on one bridge) has an evaluation used on two bridges or more,
         * whose flows must be shared. */
        UNIT_CHECK(pipeline_memo_n_flows(memo) <= n_policy_flows);
        if (!strstr(files[i], "polmon-intent.json")) {
            UNIT_CHECK(n_shared > 0);
        }
        for (size_t k = 0; k < n_sets; k++) {
            flowset_destroy(&sets[k]);
        }
        free(sets);
        pipeline_memo_destroy(memo);
        intent_destroy(intent);
    }
}

int
main(int argc, char *argv[])
{
    static const char *defaults[] = {
        TOP_SRCDIR "/tests/lab/explain-intent.json",
        TOP_SRCDIR "/tests/polmon-intent.json",
        TOP_SRCDIR "/tests/lab/microseg-intent.json",
    };
    unit_program = "test-delta";
    if (argc > 1) {
        files = (const char **) argv + 1;
        n_files = argc - 1;
    } else {
        files = defaults;
        n_files = ARRAY_SIZE(defaults);
    }
    UNIT_RUN(test_each_change);
    UNIT_RUN(test_random_changes);
    UNIT_RUN(test_colliding_dispatches);
    UNIT_RUN(test_no_delta);
    UNIT_RUN(test_b6_granularity);
    UNIT_RUN(test_memo);
    return unit_finish();
}
