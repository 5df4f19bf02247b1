/*
 * The intent model: the document as a whole (load, parse, destroy),
 * accessors, the summary and the names of enums.
 *
 * One pass walks the JSON document in a fixed order (version, networks,
 * hosts, vms, policies; arrays in file order; within one object first its
 * keys, then its fields in the order docs/intent.md lists them) and fills
 * the model's structs while checking every rule.  Each broken rule appends
 * one "PATH: message" line to the caller's error list; a field that is
 * broken is left empty and the rules that need its value are skipped, so a
 * mistake does not cascade into errors about what it made unknowable.
 * Uniqueness and reference checks go through hash maps, so validation is
 * linear in the size of the intent; which bridges carry which networks is
 * in tables of one bit per bridge and network and one word per host and
 * network.  Before any of this, models/json-check.c checks the text is
 * strict JSON and, if not, says where.  Each kind of object has its own
 * file (see models/intent-private.h).
 *
 * Every string in the model points into the parsed cJSON tree, which the
 * model keeps until intent_destroy().
 */
#include <config.h>

#include "models/intent-private.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "bitmap.h"
#include "hash.h"
#include "models/json-check.h"
#include "util.h"

/* The deepest nesting accepted.  An intent needs 6 levels; the limit keeps
 * the syntax check's recursion shallow. */
#define INTENT_MAX_DEPTH 100

/* ---------------------------------------------------------------------- */
/* Enum names. */

const char *const intent_bond_mode_names[] = {
    [INTENT_BOND_ACTIVE_BACKUP] = "active-backup",
    [INTENT_BOND_BALANCE_SLB] = "balance-slb",
    [INTENT_BOND_LACP] = "lacp",
};

const char *const intent_lacp_rate_names[] = {
    [INTENT_LACP_SLOW] = "slow",
    [INTENT_LACP_FAST] = "fast",
};

const char *const intent_lacp_fallback_names[] = {
    [INTENT_LACP_FALLBACK_AB] = "active-backup",
    [INTENT_LACP_FALLBACK_NONE] = "none",
};

const char *const intent_role_names[] = {
    [INTENT_ROLE_MANAGEMENT] = "management",
    [INTENT_ROLE_HEARTBEAT] = "heartbeat",
    [INTENT_ROLE_LIVE_MIGRATION] = "live-migration",
    [INTENT_ROLE_PROVISIONING] = "provisioning",
    [INTENT_ROLE_BACKPLANE] = "backplane",
    [INTENT_ROLE_STORAGE] = "storage",
    [INTENT_ROLE_OTHER] = "other",
};

const char *const intent_nic_mode_names[] = {
    [INTENT_NIC_ACCESS] = "access",
    [INTENT_NIC_TRUNK] = "trunk",
};

const char *const intent_policy_type_names[] = {
    [INTENT_POLICY_APPLICATION] = "application",
    [INTENT_POLICY_ISOLATION] = "isolation",
    [INTENT_POLICY_QUARANTINE] = "quarantine",
};

const char *const intent_policy_mode_names[] = {
    [INTENT_POLICY_ENFORCE] = "enforce",
    [INTENT_POLICY_MONITOR] = "monitor",
};

const char *const intent_quarantine_level_names[] = {
    [INTENT_QUARANTINE_STRICT] = "strict",
    [INTENT_QUARANTINE_FORENSIC] = "forensic",
};

const char *const intent_protocol_names[] = {
    [INTENT_PROTO_ANY] = "any",
    [INTENT_PROTO_TCP] = "tcp",
    [INTENT_PROTO_UDP] = "udp",
    [INTENT_PROTO_ICMP] = "icmp",
};

/* Returns the JSON spelling of bond mode 'mode'. */
const char *
intent_bond_mode_to_string(enum intent_bond_mode mode)
{
    return (size_t) mode < ARRAY_SIZE(intent_bond_mode_names)
           ? intent_bond_mode_names[mode] : "unknown";
}

/* Returns the JSON spelling of adapter role 'role'. */
const char *
intent_adapter_role_to_string(enum intent_adapter_role role)
{
    return (size_t) role < ARRAY_SIZE(intent_role_names)
           ? intent_role_names[role] : "unknown";
}

/* Returns the JSON spelling of NIC mode 'mode'. */
const char *
intent_nic_mode_to_string(enum intent_nic_mode mode)
{
    return (size_t) mode < ARRAY_SIZE(intent_nic_mode_names)
           ? intent_nic_mode_names[mode] : "unknown";
}

/* Returns the JSON spelling of policy type 'type'. */
const char *
intent_policy_type_to_string(enum intent_policy_type type)
{
    return (size_t) type < ARRAY_SIZE(intent_policy_type_names)
           ? intent_policy_type_names[type] : "unknown";
}

/* Returns the JSON spelling of policy mode 'mode'. */
const char *
intent_policy_mode_to_string(enum intent_policy_mode mode)
{
    return (size_t) mode < ARRAY_SIZE(intent_policy_mode_names)
           ? intent_policy_mode_names[mode] : "unknown";
}

/* Returns the JSON spelling of quarantine level 'level'. */
const char *
intent_quarantine_level_to_string(enum intent_quarantine_level level)
{
    return (size_t) level < ARRAY_SIZE(intent_quarantine_level_names)
           ? intent_quarantine_level_names[level] : "unknown";
}

/* Returns the JSON spelling of protocol 'protocol'. */
const char *
intent_protocol_to_string(enum intent_protocol protocol)
{
    return (size_t) protocol < ARRAY_SIZE(intent_protocol_names)
           ? intent_protocol_names[protocol] : "unknown";
}

/* ---------------------------------------------------------------------- */
/* The memory of the JSON tree. */

/* A large intent's cJSON tree has hundreds of thousands of small nodes and
 * strings.  intent_parse() has cJSON carve them, one after the other, out of
 * a few large blocks that the model frees all at once: this is cheaper than
 * malloc() and free() for each, and the nodes of one object lie together in
 * memory, in the order the parser reads them.  No node of the tree is ever
 * freed alone, since the model never changes its tree. */

#define JSON_MEM_FIRST_BLOCK (64 * 1024)
#define JSON_MEM_MAX_BLOCK (4 * 1024 * 1024)
#define JSON_MEM_HUGE_PAGE (2 * 1024 * 1024)

/* The memory that cJSON allocates from inside intent_parse(), which sets it
 * for its call of cJSON_ParseWithLength() only: cJSON's allocation hooks
 * take no argument to say where.  The hooks are global, so no other thread
 * may use cJSON meanwhile (flowchain has one thread). */
static struct intent_json_mem *json_mem;

/* Returns a new block of 'size' bytes for a cJSON tree.  Blocks of huge
 * page size or more are aligned to it and marked for transparent huge
 * pages: faulting a large tree in 4 kB at a time costs more than parsing
 * it on some virtual machines. */
static char *
json_mem_block(size_t size)
{
    if (size < JSON_MEM_HUGE_PAGE) {
        return xmalloc_size_align(size, alignof(cJSON));
    }
    char *block = xmalloc_size_align(size, JSON_MEM_HUGE_PAGE);
#ifdef MADV_HUGEPAGE
    madvise(block, size, MADV_HUGEPAGE);   /* Only advice: may fail. */
#endif
    return block;
}

/* cJSON's malloc() while intent_parse() parses: returns 'size' bytes from
 * 'json_mem', aligned for a cJSON node (cJSON allocates only nodes and
 * strings while it parses). */
static void *
json_mem_alloc(size_t size)
{
    struct intent_json_mem *m = json_mem;

    size = ROUND_UP(MAX(size, 1), alignof(cJSON));
    if (!m->n_blocks || size > m->block_size - m->used) {
        size_t block_size = (!m->n_blocks ? JSON_MEM_FIRST_BLOCK
                             : MIN(m->block_size * 2, JSON_MEM_MAX_BLOCK));
        m->block_size = MAX(block_size, size);
        m->blocks = xrealloc(m->blocks, (m->n_blocks + 1) * sizeof *m->blocks);
        m->blocks[m->n_blocks++] = json_mem_block(m->block_size);
        m->used = 0;
    }

    void *p = m->blocks[m->n_blocks - 1] + m->used;
    m->used += size;
    return p;
}

/* cJSON's free() while intent_parse() parses: nothing, since 'json_mem' is
 * freed as a whole. */
static void
json_mem_free(void *p OVS_UNUSED)
{
}

/* Parses 'text', 'len' bytes of JSON, into a cJSON tree whose memory comes
 * from 'm' (initially empty).  Returns the tree, or NULL if cJSON fails; in
 * both cases the caller frees 'm' with json_mem_destroy() (not the tree with
 * cJSON_Delete()). */
static cJSON *
json_mem_parse(struct intent_json_mem *m, const char *text, size_t len)
{
    cJSON_Hooks hooks = {
        .malloc_fn = json_mem_alloc,
        .free_fn = json_mem_free,
    };

    json_mem = m;
    cJSON_InitHooks(&hooks);
    cJSON *json = cJSON_ParseWithLength(text, len);
    cJSON_InitHooks(NULL);      /* Back to malloc() and free(). */
    json_mem = NULL;
    return json;
}

/* Frees the memory 'm' and the cJSON tree in it. */
static void
json_mem_destroy(struct intent_json_mem *m)
{
    for (size_t i = 0; i < m->n_blocks; i++) {
        free_size_align(m->blocks[i]);
    }
    free(m->blocks);
}

/* ---------------------------------------------------------------------- */
/* The document. */

static const char *const root_keys[] = {
    "version", "networks", "hosts", "vms", "policies",
};

/* Returns the number of NICs in the "nics" arrays of the VMs of array
 * 'vms'. */
static size_t
count_nics(const cJSON *vms)
{
    const cJSON *vm;
    size_t n = 0;

    cJSON_ArrayForEach (vm, vms) {
        const cJSON *nics = cJSON_GetObjectItemCaseSensitive(vm, "nics");
        if (cJSON_IsArray(nics)) {
            n += cJSON_GetArraySize(nics);
        }
    }
    return n;
}

/* Parses and checks the whole document 'root'. */
static void
parse_root(struct intent_parser *p, const cJSON *root)
{
    struct intent *intent = p->intent;

    if (!intent_check_object(p, root, root_keys, ARRAY_SIZE(root_keys))) {
        return;
    }

    long long version;
    if (intent_get_int(p, root, "version", true, INT_MIN, INT_MAX, &version)
        && version != 1) {
        intent_error_at(p, "version", "unsupported version %lld (this "
                        "flowchain reads version 1)", version);
    }

    const cJSON *networks = intent_get_array(p, root, "networks", false);
    if (networks) {
        size_t len = intent_path_push_key(p, "networks");
        intent->n_networks = cJSON_GetArraySize(networks);
        intent->networks = xcalloc(intent->n_networks ? intent->n_networks : 1,
                                   sizeof *intent->networks);
        hmap_reserve(&intent->networks_by_name.map, intent->n_networks);
        const cJSON *item;
        size_t i = 0;
        cJSON_ArrayForEach (item, networks) {
            size_t ilen = intent_path_push_index(p, i);
            intent_parse_network(p, &intent->networks[i], item, i);
            i++;
            intent_path_pop(p, ilen);
        }
        intent_path_pop(p, len);
    }

    const cJSON *hosts = intent_get_array(p, root, "hosts", false);
    if (hosts) {
        size_t len = intent_path_push_key(p, "hosts");
        size_t n = cJSON_GetArraySize(hosts);
        intent->n_hosts = n;
        intent->hosts = xcalloc(n ? n : 1, sizeof *intent->hosts);
        p->bridge_bits = xcalloc(n ? n : 1, sizeof *p->bridge_bits);
        p->carriers = xcalloc(MAX(n * intent->n_networks, 1),
                              sizeof *p->carriers);
        hmap_reserve(&intent->hosts_by_name.map, n);
        for (size_t i = 0; i < n; i++) {
            intent->hosts[i].up.index = i;
            shash_init(&intent->hosts[i].bridges_by_name);
        }

        const cJSON *item;
        size_t i = 0;
        cJSON_ArrayForEach (item, hosts) {
            size_t ilen = intent_path_push_index(p, i);
            intent_parse_host(p, item, i);
            i++;
            intent_path_pop(p, ilen);
        }
        intent_path_pop(p, len);
    }

    const cJSON *vms = intent_get_array(p, root, "vms", false);
    if (vms) {
        size_t len = intent_path_push_key(p, "vms");
        size_t n = cJSON_GetArraySize(vms);
        intent->n_vms = n;
        intent->vms = xcalloc(n ? n : 1, sizeof *intent->vms);
        intent->categories = xcalloc(n ? n : 1, sizeof *intent->categories);
        for (size_t i = 0; i < n; i++) {
            smap_init(&intent->categories[i]);
            intent->vms[i].index = i;
            intent->vms[i].categories = &intent->categories[i];
        }

        /* Sizes the maps once, instead of growing them NIC by NIC. */
        size_t n_nics = count_nics(vms);
        hmap_reserve(&intent->vms_by_name.map, n);
        hmap_reserve(&p->macs, hmap_count(&p->macs) + n_nics);
        hmap_reserve(&p->ips, hmap_count(&p->ips) + n_nics);
        hmap_reserve(&p->ports, hmap_count(&p->ports) + n_nics);

        const cJSON *item;
        size_t i = 0;
        cJSON_ArrayForEach (item, vms) {
            size_t ilen = intent_path_push_index(p, i);
            intent_parse_vm(p, item, i);
            i++;
            intent_path_pop(p, ilen);
        }
        intent_path_pop(p, len);
    }

    const cJSON *policies = intent_get_array(p, root, "policies", false);
    if (policies) {
        intent_parse_policies(p, policies);
    }

    intent_link_bridge_nics(intent);
    intent_check_port_limits(p, intent);
}

/* Returns the number of networks that 'root' declares, 0 if it is
 * malformed. */
static size_t
count_networks(const cJSON *root)
{
    const cJSON *networks = cJSON_GetObjectItemCaseSensitive(root,
                                                             "networks");
    return cJSON_IsArray(networks) ? cJSON_GetArraySize(networks) : 0;
}

/* Creates an empty model owning 'json'. */
struct intent *
intent_create(cJSON *json)
{
    struct intent *intent = xzalloc(sizeof *intent);
    intent->json = json;
    shash_init(&intent->networks_by_name);
    shash_init(&intent->hosts_by_name);
    shash_init(&intent->vms_by_name);
    hmap_init(&intent->bridges_by_dpid);
    shash_init(&intent->policies_by_name);
    shash_init(&intent->selector_matches);
    svec_init(&intent->warnings);
    return intent;
}

/* Appends to 'errors' why 'text' (of 'len' bytes) is not JSON, as
 * "line L, column C: invalid JSON: REASON".  Returns true if it is JSON.
 * Records in 'outline' where the root members are, either way. */
static bool
check_json_syntax(struct svec *errors, const char *text, size_t len,
                  struct json_outline *outline)
{
    size_t line, column;
    const char *reason, *at;

    if (json_check_syntax(text, len, INTENT_MAX_DEPTH, &line, &column,
                          &reason, &at, outline)) {
        return true;
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_format(&s, "line %"PRIuSIZE", column %"PRIuSIZE": invalid JSON: "
                  "%s", line, column, reason);
    if (!strncmp(reason, "expected", 8)) {
        if (at >= text + len) {
            ds_put_cstr(&s, ", found the end of the input");
        } else if (*at >= 0x21 && *at < 0x7f) {
            ds_put_format(&s, ", found '%c'", *at);
        } else {
            ds_put_format(&s, ", found byte 0x%02x", (unsigned char) *at);
        }
    }
    svec_add_nocopy(errors, ds_steal_cstr(&s));
    return false;
}

/* intent_parse() of the 'len' bytes at 'json_text', without keeping the
 * text in the model. */
static struct intent *
intent_parse_text(const char *json_text, size_t len, struct svec *errors)
{
    struct svec local_errors = SVEC_EMPTY_INITIALIZER;
    if (!errors) {
        errors = &local_errors;
    }

    const char *text = json_text;
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
        text += 3;              /* A UTF-8 byte order mark, as some Windows
                                 * editors write. */
        len -= 3;
    }

    struct json_outline outline = { .members = NULL };
    if (!check_json_syntax(errors, text, len, &outline)) {
        json_outline_destroy(&outline);
        svec_destroy(&local_errors);
        return NULL;
    }
    struct intent_json_mem mem = { .blocks = NULL };
    cJSON *json = json_mem_parse(&mem, text, len);
    if (!json) {
        /* The syntax is fine, so cJSON ran out of memory or into one of its
         * own limits. */
        svec_add(errors, "$: cJSON could not parse this valid JSON");
        json_mem_destroy(&mem);
        json_outline_destroy(&outline);
        svec_destroy(&local_errors);
        return NULL;
    }

    struct intent *intent = intent_create(json);
    intent->json_mem = mem;
    intent->outline = outline;
    struct intent_parser p = {
        .intent = intent,
        .errors = errors,
        .path = DS_EMPTY_INITIALIZER,
    };
    hmap_init(&p.macs);
    hmap_init(&p.ips);
    hmap_init(&p.ports);
    hmap_init(&p.adapter_names);
    ds_init(&p.paths);
    p.bitmap_longs = bitmap_n_longs(count_networks(json));

    size_t n_errors = errors->n;
    parse_root(&p, json);

    for (size_t i = 0; i < intent->n_hosts; i++) {
        free(p.bridge_bits[i]);
    }
    free(p.bridge_bits);
    free(p.carriers);
    hmap_destroy(&p.macs);
    hmap_destroy(&p.ips);
    hmap_destroy(&p.ports);
    hmap_destroy(&p.adapter_names);
    for (size_t i = 0; i < p.n_blocks; i++) {
        free(p.blocks[i]);
    }
    free(p.blocks);
    ds_destroy(&p.paths);
    ds_destroy(&p.path);

    if (errors->n > n_errors) {
        intent_destroy(intent);
        intent = NULL;
    }
    svec_destroy(&local_errors);
    return intent;
}

/* Parses and validates the intent in 'json_text' (of 'text_len' bytes, a
 * null-terminated string that the caller passes on to the model or frees,
 * as it returns).  Returns the model, or NULL after appending every error
 * found to 'errors' (when nonnull). */
static struct intent *
intent_parse__(char *json_text, size_t text_len, struct svec *errors)
{
    struct intent *intent = intent_parse_text(json_text, text_len,
                                               errors);
    if (intent) {
        intent->text = json_text;
        intent->text_len = text_len;
    } else {
        free(json_text);
    }
    return intent;
}

/* Parses and validates the intent in 'json_text'.  Returns the model, or
 * NULL after appending every error found to 'errors' (when nonnull). */
struct intent *
intent_parse(const char *json_text, struct svec *errors)
{
    size_t len = strlen(json_text);
    return intent_parse__(xmemdup0(json_text, len), len, errors);
}

/* Reads, parses and validates the intent in file 'path'.  Returns the model,
 * or NULL after appending every error found to 'errors' (when nonnull). */
struct intent *
intent_load_file(const char *path, struct svec *errors)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        if (errors) {
            svec_add_nocopy(errors, xasprintf("%s: cannot open: %s", path,
                                              ovs_strerror(errno)));
        }
        return NULL;
    }

    /* Read in place into one buffer of the file's size (and one byte more,
     * to see the end), instead of growing it chunk by chunk: an 8 MB intent
     * would be copied about twice over. */
    struct ds text = DS_EMPTY_INITIALIZER;
    struct stat st;
    if (!fstat(fileno(file), &st) && S_ISREG(st.st_mode) && st.st_size > 0) {
        ds_reserve(&text, st.st_size + 1);
    }
    for (;;) {
        if (text.allocated == text.length) {
            ds_reserve(&text, text.length + 65536);
        }
        size_t n = fread(text.string + text.length, 1,
                         text.allocated - text.length, file);
        if (!n) {
            break;
        }
        text.length += n;
    }
    bool failed = ferror(file);
    int error_code = errno;
    fclose(file);

    if (failed) {
        if (errors) {
            svec_add_nocopy(errors, xasprintf("%s: read failed: %s", path,
                                              ovs_strerror(error_code)));
        }
        ds_destroy(&text);
        return NULL;
    }
    if (memchr(ds_cstr_ro(&text), '\0', text.length)) {
        if (errors) {
            svec_add_nocopy(errors, xasprintf("%s: contains a NUL byte; not "
                                              "a JSON text file", path));
        }
        ds_destroy(&text);
        return NULL;
    }

    size_t len = text.length;
    return intent_parse__(ds_steal_cstr(&text), len, errors);
}

/* Returns the JSON text 'intent' was parsed from (the whole file, byte
 * order mark included), and its length in '*len'. */
const char *
intent_text(const struct intent *intent, size_t *len)
{
    *len = intent->text_len;
    return intent->text;
}

/* Frees 'intent' and everything in it.  Accepts NULL. */
void
intent_destroy(struct intent *intent)
{
    if (!intent) {
        return;
    }

    for (size_t i = 0; i < intent->n_hosts; i++) {
        const struct intent_host *host = &intent->hosts[i].up;
        for (size_t j = 0; j < host->n_bridges; j++) {
            const struct intent_bridge *b = &host->bridges[j];
            free(b->uplink.members);
            free(b->networks);
            free(CONST_CAST(struct intent_adapter *, b->adapters));
            free(b->nics);
        }
        free(CONST_CAST(struct intent_bridge *, host->bridges));
        shash_destroy(&intent->hosts[i].bridges_by_name);
    }
    free(intent->hosts);

    for (size_t i = 0; i < intent->n_vms; i++) {
        const struct intent_vm *vm = &intent->vms[i];
        for (size_t j = 0; j < vm->n_nics; j++) {
            free(vm->nics[j].trunk_networks);
        }
        free(CONST_CAST(struct intent_nic *, vm->nics));
        smap_destroy(&intent->categories[i]);
    }
    free(intent->vms);
    free(intent->categories);
    free(intent->networks);

    intent_destroy_policies(intent);
    shash_destroy(&intent->policies_by_name);
    svec_destroy(&intent->warnings);

    struct intent_dpid_node *node;
    HMAP_FOR_EACH_POP (node, node, &intent->bridges_by_dpid) {
        free(node);
    }
    hmap_destroy(&intent->bridges_by_dpid);
    shash_destroy(&intent->networks_by_name);
    shash_destroy(&intent->hosts_by_name);
    shash_destroy(&intent->vms_by_name);
    json_mem_destroy(&intent->json_mem);
    free(intent->text);
    json_outline_destroy(&intent->outline);
    free(intent);
}

/* ---------------------------------------------------------------------- */
/* Access. */

/* Returns the number of networks in 'intent'. */
size_t
intent_n_networks(const struct intent *intent)
{
    return intent->n_networks;
}

/* Returns network number 'i' of 'intent', in file order. */
const struct intent_network *
intent_network_at(const struct intent *intent, size_t i)
{
    ovs_assert(i < intent->n_networks);
    return &intent->networks[i];
}

/* Returns the number of hosts in 'intent'. */
size_t
intent_n_hosts(const struct intent *intent)
{
    return intent->n_hosts;
}

/* Returns host number 'i' of 'intent', in file order. */
const struct intent_host *
intent_host_at(const struct intent *intent, size_t i)
{
    ovs_assert(i < intent->n_hosts);
    return &intent->hosts[i].up;
}

/* Returns the number of VMs in 'intent'. */
size_t
intent_n_vms(const struct intent *intent)
{
    return intent->n_vms;
}

/* Returns VM number 'i' of 'intent', in file order. */
const struct intent_vm *
intent_vm_at(const struct intent *intent, size_t i)
{
    ovs_assert(i < intent->n_vms);
    return &intent->vms[i];
}

/* Returns the number of bridges over all hosts of 'intent'. */
size_t
intent_n_bridges(const struct intent *intent)
{
    return intent->n_bridges;
}

/* Returns the number of NICs over all VMs of 'intent'. */
size_t
intent_n_nics(const struct intent *intent)
{
    return intent->n_nics;
}

/* Returns the number of policies in 'intent'. */
size_t
intent_n_policies(const struct intent *intent)
{
    return intent->n_policies;
}

/* Returns policy number 'i' of 'intent', in file order. */
const struct intent_policy *
intent_policy_at(const struct intent *intent, size_t i)
{
    ovs_assert(i < intent->n_policies);
    return &intent->policies[i];
}

/* Returns the warnings found while loading 'intent', one "PATH: message"
 * line each, in the order of the file. */
const struct svec *
intent_warnings(const struct intent *intent)
{
    return &intent->warnings;
}

/* Returns the network named 'name' in 'intent', or NULL. */
const struct intent_network *
intent_find_network(const struct intent *intent, const char *name)
{
    return shash_find_data(&intent->networks_by_name, name);
}

/* Returns the host named 'name' in 'intent', or NULL. */
const struct intent_host *
intent_find_host(const struct intent *intent, const char *name)
{
    return shash_find_data(&intent->hosts_by_name, name);
}

/* Returns the VM named 'name' in 'intent', or NULL. */
const struct intent_vm *
intent_find_vm(const struct intent *intent, const char *name)
{
    return shash_find_data(&intent->vms_by_name, name);
}

/* Returns the policy named 'name' in 'intent', or NULL. */
const struct intent_policy *
intent_find_policy(const struct intent *intent, const char *name)
{
    return shash_find_data(&intent->policies_by_name, name);
}

/* Returns the bridge of 'intent' whose datapath ID is 'dpid', or NULL. */
const struct intent_bridge *
intent_find_bridge_by_dpid(const struct intent *intent, uint64_t dpid)
{
    const struct intent_dpid_node *node;

    HMAP_FOR_EACH_WITH_HASH (node, node, hash_uint64(dpid),
                             &intent->bridges_by_dpid) {
        if (node->bridge->datapath_id == dpid) {
            return node->bridge;
        }
    }
    return NULL;
}

/* Returns the bridge named 'name' of 'host', or NULL. */
const struct intent_bridge *
intent_host_find_bridge(const struct intent_host *host, const char *name)
{
    const struct intent_host_rec *rec
        = CONTAINER_OF(host, struct intent_host_rec, up);
    return shash_find_data(&rec->bridges_by_name, name);
}

/* Appends "'n' 'one'" to 's' if 'n' is 1, else "'n' 'many'", after
 * 'sep'. */
static void
put_count(struct ds *s, const char *sep, size_t n, const char *one,
          const char *many)
{
    ds_put_format(s, "%s%"PRIuSIZE" %s", sep, n, n == 1 ? one : many);
}

/* Appends to 's' the one-line summary of 'intent' that "flowchainctl check"
 * prints, e.g. "valid: 2 hosts, 6 bridges, 6 networks, 3 VMs, 3 NICs,
 * 0 policies". */
void
intent_format_summary(const struct intent *intent, struct ds *s)
{
    ds_put_cstr(s, "valid: ");
    put_count(s, "", intent->n_hosts, "host", "hosts");
    put_count(s, ", ", intent->n_bridges, "bridge", "bridges");
    put_count(s, ", ", intent->n_networks, "network", "networks");
    put_count(s, ", ", intent->n_vms, "VM", "VMs");
    put_count(s, ", ", intent->n_nics, "NIC", "NICs");
    put_count(s, ", ", intent->n_policies, "policy", "policies");
}
