/*
 * The intent model: JSON parsing, validation and lookups.
 *
 * One pass walks the JSON document in a fixed order (version, networks,
 * hosts, vms, policies; arrays in file order; within one object first its
 * keys, then its fields in the order docs/intent.md lists them) and fills
 * the model's structs while checking every rule.  Each broken rule appends
 * one "PATH: message" line to the caller's error list; a field that is
 * broken is left empty and the rules that need its value are skipped, so a
 * mistake does not cascade into errors about what it made unknowable.
 * Uniqueness and reference checks go through hash maps and per-bridge
 * bitmaps, so validation is linear in the size of the intent.  Before any
 * of this, models/json-check.c checks the text is strict JSON and, if not,
 * says where.
 *
 * Every string in the model points into the parsed cJSON tree, which the
 * model keeps until intent_destroy().
 */
#include <config.h>

#include "models/intent.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "hash.h"
#include "models/json-check.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/shash.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "smap.h"
#include "svec.h"
#include "util.h"

/* The deepest nesting accepted.  An intent needs 6 levels; the limit keeps
 * the syntax check's recursion shallow. */
#define INTENT_MAX_DEPTH 100

/* A host together with its index of bridges by name. */
struct intent_host_rec {
    struct intent_host up;
    struct shash bridges_by_name;   /* Bridge name -> struct intent_bridge. */
};

/* An entry of 'bridges_by_dpid'. */
struct intent_dpid_node {
    struct hmap_node node;          /* In struct intent's 'bridges_by_dpid'. */
    const struct intent_bridge *bridge;
};

struct intent {
    cJSON *json;                    /* Owns every string in the model. */

    struct intent_network *networks;
    size_t n_networks;
    struct intent_host_rec *hosts;
    size_t n_hosts;
    struct intent_vm *vms;
    size_t n_vms;
    struct smap *categories;        /* One per VM, 'n_vms' of them. */
    size_t n_bridges;
    size_t n_nics;

    struct shash networks_by_name;  /* -> struct intent_network. */
    struct shash hosts_by_name;     /* -> struct intent_host. */
    struct shash vms_by_name;       /* -> struct intent_vm. */
    struct hmap bridges_by_dpid;    /* Of struct intent_dpid_node. */
};

/* A claim on a key that must be unique (a MAC address, an IP address in a
 * network, a port name on a host) or that records a fact (the bridges of a
 * host that carry a network).  'a' and 'b' are model objects, 'name' a
 * string and 'value' a number; together they form the key.  Claims live in
 * blocks owned by the parser, so making one costs no malloc(). */
struct intent_claim {
    struct hmap_node node;
    const void *a;
    const void *b;
    const char *name;               /* Points into the JSON tree, or NULL. */
    uint64_t value;
    size_t path;                    /* Offset in the parser's 'paths' of
                                     * where it was first made, or SIZE_MAX. */
    const struct intent_bridge *bridge;  /* Host networks: first bridge. */
    size_t count;                   /* Host networks: number of bridges. */
};

#define INTENT_CLAIM_BLOCK 1024

/* Validation state for one intent_parse() call. */
struct intent_parser {
    struct intent *intent;
    struct svec *errors;
    struct ds path;                 /* JSON path of the current value. */

    const struct intent_network *by_vlan[4095];
    struct hmap macs;               /* MAC -> first owner. */
    struct hmap ips;                /* (network, IP) -> first owner. */
    struct hmap ports;              /* (host, port name) -> first owner;
                                     * (bridge, 1): its local port is used. */
    struct hmap adapter_names;      /* (host, adapter name) -> first. */
    struct hmap host_nets;          /* (host, network): carrying bridges. */

    /* Which networks each bridge carries: per host, one bitmap of
     * 'n_networks' bits for each of its bridges, 'bitmap_longs' apart. */
    unsigned long **bridge_bits;
    size_t bitmap_longs;

    struct ds paths;                /* Paths of claims, each NUL-ended. */
    struct intent_claim **blocks;   /* Storage for claims. */
    size_t n_blocks;
    size_t n_in_block;              /* Used in the last block. */
};

/* ---------------------------------------------------------------------- */
/* Enum names. */

static const char *const bond_mode_names[] = {
    [INTENT_BOND_ACTIVE_BACKUP] = "active-backup",
    [INTENT_BOND_BALANCE_SLB] = "balance-slb",
    [INTENT_BOND_LACP] = "lacp",
};

static const char *const role_names[] = {
    [INTENT_ROLE_MANAGEMENT] = "management",
    [INTENT_ROLE_HEARTBEAT] = "heartbeat",
    [INTENT_ROLE_LIVE_MIGRATION] = "live-migration",
    [INTENT_ROLE_PROVISIONING] = "provisioning",
    [INTENT_ROLE_BACKPLANE] = "backplane",
    [INTENT_ROLE_STORAGE] = "storage",
    [INTENT_ROLE_OTHER] = "other",
};

static const char *const nic_mode_names[] = {
    [INTENT_NIC_ACCESS] = "access",
    [INTENT_NIC_TRUNK] = "trunk",
};

/* Returns the JSON spelling of bond mode 'mode'. */
const char *
intent_bond_mode_to_string(enum intent_bond_mode mode)
{
    return (size_t) mode < ARRAY_SIZE(bond_mode_names)
           ? bond_mode_names[mode] : "unknown";
}

/* Returns the JSON spelling of adapter role 'role'. */
const char *
intent_adapter_role_to_string(enum intent_adapter_role role)
{
    return (size_t) role < ARRAY_SIZE(role_names)
           ? role_names[role] : "unknown";
}

/* Returns the JSON spelling of NIC mode 'mode'. */
const char *
intent_nic_mode_to_string(enum intent_nic_mode mode)
{
    return (size_t) mode < ARRAY_SIZE(nic_mode_names)
           ? nic_mode_names[mode] : "unknown";
}

/* ---------------------------------------------------------------------- */
/* Paths and errors. */

/* Appends ".'key'" to the parser's path (no dot at the top level) and
 * returns the previous length, for path_pop(). */
static size_t
path_push_key(struct intent_parser *p, const char *key)
{
    size_t len = p->path.length;
    if (len) {
        ds_put_char(&p->path, '.');
    }
    ds_put_cstr(&p->path, key);
    return len;
}

/* Appends "['i']" to the parser's path and returns the previous length. */
static size_t
path_push_index(struct intent_parser *p, size_t i)
{
    size_t len = p->path.length;
    ds_put_format(&p->path, "[%"PRIuSIZE"]", i);
    return len;
}

/* Restores the parser's path to length 'len'. */
static void
path_pop(struct intent_parser *p, size_t len)
{
    ds_truncate(&p->path, len);
}

/* Appends "PATH: message" to the errors, the message formatted from
 * 'format', at the current path. */
static void OVS_PRINTF_FORMAT(2, 3)
perr(struct intent_parser *p, const char *format, ...)
{
    struct ds line = DS_EMPTY_INITIALIZER;
    va_list args;

    ds_put_format(&line, "%s: ", p->path.length ? ds_cstr_ro(&p->path) : "$");
    va_start(args, format);
    ds_put_format_valist(&line, format, args);
    va_end(args);
    svec_add_nocopy(p->errors, ds_steal_cstr(&line));
}

/* Like perr(), for the member 'key' of the current object. */
static void OVS_PRINTF_FORMAT(3, 4)
perr_at(struct intent_parser *p, const char *key, const char *format, ...)
{
    size_t len = path_push_key(p, key);
    struct ds line = DS_EMPTY_INITIALIZER;
    va_list args;

    ds_put_format(&line, "%s: ", ds_cstr_ro(&p->path));
    va_start(args, format);
    ds_put_format_valist(&line, format, args);
    va_end(args);
    svec_add_nocopy(p->errors, ds_steal_cstr(&line));
    path_pop(p, len);
}

/* ---------------------------------------------------------------------- */
/* Claims: uniqueness and membership through one kind of hash map. */

static uint32_t
claim_hash(const void *a, const void *b, const char *name, uint64_t value)
{
    uint32_t hash = hash_uint64_basis(value, 0);
    if (name) {
        hash = hash_string(name, hash);
    }
    return hash_pointer(a, hash_pointer(b, hash));
}

/* Returns the claim on ('a', 'b', 'name', 'value') in 'map', or NULL. */
static struct intent_claim *
claim_find(const struct hmap *map, const void *a, const void *b,
           const char *name, uint64_t value)
{
    struct intent_claim *c;

    HMAP_FOR_EACH_WITH_HASH (c, node, claim_hash(a, b, name, value), map) {
        if (c->a == a && c->b == b && c->value == value
            && (c->name == name || (c->name && name
                                    && !strcmp(c->name, name)))) {
            return c;
        }
    }
    return NULL;
}

/* Adds a claim on ('a', 'b', 'name', 'value') to 'map' and returns it.  If
 * 'at_path', the claim remembers the current path for error messages. */
static struct intent_claim *
claim_add(struct intent_parser *p, struct hmap *map, const void *a,
          const void *b, const char *name, uint64_t value, bool at_path)
{
    if (!p->n_blocks || p->n_in_block >= INTENT_CLAIM_BLOCK) {
        p->blocks = xrealloc(p->blocks, (p->n_blocks + 1) * sizeof *p->blocks);
        p->blocks[p->n_blocks++] = xmalloc(INTENT_CLAIM_BLOCK
                                           * sizeof **p->blocks);
        p->n_in_block = 0;
    }

    struct intent_claim *c = &p->blocks[p->n_blocks - 1][p->n_in_block++];
    c->a = a;
    c->b = b;
    c->name = name;
    c->value = value;
    c->path = SIZE_MAX;
    c->bridge = NULL;
    c->count = 0;
    if (at_path) {
        c->path = p->paths.length;
        ds_put_buffer(&p->paths, p->path.string, p->path.length);
        ds_put_char(&p->paths, '\0');
    }
    hmap_insert(map, &c->node, claim_hash(a, b, name, value));
    return c;
}

/* Returns the path where claim 'c' was made. */
static const char *
claim_path(const struct intent_parser *p, const struct intent_claim *c)
{
    return c->path == SIZE_MAX ? "?" : p->paths.string + c->path;
}

/* ---------------------------------------------------------------------- */
/* JSON helpers. */

/* Returns the JSON type of 'item', with an article, for messages. */
static const char *
json_type_name(const cJSON *item)
{
    return (cJSON_IsObject(item) ? "an object"
            : cJSON_IsArray(item) ? "an array"
            : cJSON_IsString(item) ? "a string"
            : cJSON_IsNumber(item) ? "a number"
            : cJSON_IsBool(item) ? "a boolean"
            : cJSON_IsNull(item) ? "null"
            : "an invalid value");
}

/* Returns the optimal-string-alignment distance between 'a' and 'b' (edits:
 * insert, delete, substitute, swap two neighbours). */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) {
        return SIZE_MAX;
    }

    size_t d[65][65];
    for (size_t i = 0; i <= la; i++) {
        d[i][0] = i;
    }
    for (size_t j = 0; j <= lb; j++) {
        d[0][j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
            best = MIN(best, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2]
                && a[i - 2] == b[j - 1]) {
                best = MIN(best, d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* Returns the member of 'keys' (of 'n_keys') closest to 'word', if it is
 * close enough to be a likely typo, otherwise NULL. */
static const char *
suggest(const char *word, const char *const *keys, size_t n_keys)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;

    for (size_t i = 0; i < n_keys; i++) {
        size_t len = strlen(keys[i]);
        size_t limit = len <= 3 ? 1 : len <= 7 ? 2 : 3;
        size_t d = edit_distance(word, keys[i]);
        if (d <= limit && d < best_d) {
            best = keys[i];
            best_d = d;
        }
    }
    return best;
}

/* Checks that 'json' is an object whose keys are all among 'keys' (of
 * 'n_keys') and appear once.  Reports each unknown key, with a suggestion
 * when one is close, and each repeated key.  Returns false, after reporting
 * it, if 'json' is not an object at all. */
static bool
check_object(struct intent_parser *p, const cJSON *json,
             const char *const *keys, size_t n_keys)
{
    if (!cJSON_IsObject(json)) {
        perr(p, "expected an object, got %s", json_type_name(json));
        return false;
    }

    uint64_t seen = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, json) {
        const char *key = item->string;
        size_t i;

        for (i = 0; i < n_keys; i++) {
            if (!strcmp(key, keys[i])) {
                break;
            }
        }
        if (i >= n_keys) {
            const char *s = suggest(key, keys, n_keys);
            if (s) {
                perr_at(p, key, "unknown key \"%s\" (did you mean \"%s\"?)",
                        key, s);
            } else {
                perr_at(p, key, "unknown key \"%s\"", key);
            }
        } else if (seen & (UINT64_C(1) << i)) {
            perr_at(p, key, "duplicate key \"%s\"", key);
        } else {
            seen |= UINT64_C(1) << i;
        }
    }
    return true;
}

/* Returns member 'key' of 'obj', or NULL.  If it is absent and 'required',
 * reports it. */
static const cJSON *
get_member(struct intent_parser *p, const cJSON *obj, const char *key,
           bool required)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item && required) {
        perr_at(p, key, "required field is missing");
    }
    return item;
}

/* Returns the string 'json' (at the current path), or NULL after reporting
 * that it is not a non-empty string. */
static const char *
json_string(struct intent_parser *p, const cJSON *json)
{
    if (!cJSON_IsString(json)) {
        perr(p, "expected a string, got %s", json_type_name(json));
        return NULL;
    } else if (!json->valuestring[0]) {
        perr(p, "must not be empty");
        return NULL;
    }
    return json->valuestring;
}

/* Returns the non-empty string member 'key' of 'obj', or NULL if it is
 * absent (reported if 'required') or not a non-empty string (reported). */
static const char *
get_string(struct intent_parser *p, const cJSON *obj, const char *key,
           bool required)
{
    const cJSON *item = get_member(p, obj, key, required);
    if (!item) {
        return NULL;
    }
    size_t len = path_push_key(p, key);
    const char *s = json_string(p, item);
    path_pop(p, len);
    return s;
}

/* Returns the array member 'key' of 'obj', or NULL if it is absent
 * (reported if 'required') or not an array (reported). */
static const cJSON *
get_array(struct intent_parser *p, const cJSON *obj, const char *key,
          bool required)
{
    const cJSON *item = get_member(p, obj, key, required);
    if (item && !cJSON_IsArray(item)) {
        perr_at(p, key, "expected an array, got %s", json_type_name(item));
        return NULL;
    }
    return item;
}

/* Reads integer member 'key' of 'obj' into '*out' if it is present and an
 * integer in 'min'..'max'; returns true if so, false if absent (reported if
 * 'required') or wrong (reported). */
static bool
get_int(struct intent_parser *p, const cJSON *obj, const char *key,
        bool required, long long min, long long max, long long *out)
{
    const cJSON *item = get_member(p, obj, key, required);
    if (!item) {
        return false;
    }
    if (!cJSON_IsNumber(item)) {
        perr_at(p, key, "expected an integer, got %s", json_type_name(item));
        return false;
    }

    double d = item->valuedouble;
    if (d != floor(d) || !isfinite(d)) {
        perr_at(p, key, "expected an integer, got %g", d);
        return false;
    }
    if (d < (double) min || d > (double) max) {
        perr_at(p, key, "%.0f is out of range %lld..%lld", d, min, max);
        return false;
    }
    *out = (long long) d;
    return true;
}

/* Looks up the string member 'key' of 'obj' among 'names' (of 'n_names');
 * returns its index, or 'dflt' if it is absent, or -1 if it is wrong
 * (reported). */
static int
get_enum(struct intent_parser *p, const cJSON *obj, const char *key,
         const char *const *names, size_t n_names, int dflt)
{
    const cJSON *item = get_member(p, obj, key, false);
    if (!item) {
        return dflt;
    }

    size_t len = path_push_key(p, key);
    const char *s = json_string(p, item);
    int result = -1;
    if (s) {
        for (size_t i = 0; i < n_names; i++) {
            if (!strcmp(s, names[i])) {
                result = i;
                break;
            }
        }
        if (result < 0) {
            struct ds list = DS_EMPTY_INITIALIZER;
            for (size_t i = 0; i < n_names; i++) {
                ds_put_format(&list, "%s\"%s\"", i ? ", " : "", names[i]);
            }
            perr(p, "\"%s\" is not one of %s", s, ds_cstr(&list));
            ds_destroy(&list);
        }
    }
    path_pop(p, len);
    return result;
}

/* ---------------------------------------------------------------------- */
/* Value syntax. */

/* Parses dotted-quad 's' (no leading zeros, no extra characters) into
 * '*ip' in host byte order. */
static bool
parse_ipv4(const char *s, uint32_t *ip)
{
    uint32_t result = 0;

    for (int i = 0; i < 4; i++) {
        if (i && *s++ != '.') {
            return false;
        }
        if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] >= '0'
                                          && s[1] <= '9')) {
            return false;
        }
        unsigned int octet = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            octet = octet * 10 + (*s++ - '0');
            digits++;
        }
        if (octet > 255) {
            return false;
        }
        result = (result << 8) | octet;
    }
    if (*s) {
        return false;
    }
    *ip = result;
    return true;
}

/* Returns the netmask for 'plen' in host byte order. */
static uint32_t
plen_mask(int plen)
{
    return plen ? UINT32_MAX << (32 - plen) : 0;
}

/* Parses 'a.b.c.d/len' into '*ip' and '*plen'. */
static bool
parse_cidr(const char *s, uint32_t *ip, int *plen)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash - s > 15) {
        return false;
    }

    char addr[16];
    memcpy(addr, s, slash - s);
    addr[slash - s] = '\0';
    if (!parse_ipv4(addr, ip)) {
        return false;
    }

    const char *l = slash + 1;
    if (!l[0] || (l[0] == '0' && l[1]) || strspn(l, "0123456789") != strlen(l)
        || strlen(l) > 2 || atoi(l) > 32) {
        return false;
    }
    *plen = atoi(l);
    return true;
}

/* Parses 'xx:xx:xx:xx:xx:xx' into '*mac'. */
static bool
parse_mac(const char *s, struct eth_addr *mac)
{
    for (int i = 0; i < 6; i++) {
        if (i && *s++ != ':') {
            return false;
        }
        if (!isxdigit((unsigned char) s[0])
            || !isxdigit((unsigned char) s[1])) {
            return false;
        }
        char hex[3] = { s[0], s[1], '\0' };
        mac->ea[i] = strtoul(hex, NULL, 16);
        s += 2;
    }
    return *s == '\0';
}

/* Parses a datapath ID, exactly 16 hex digits, into '*dpid'. */
static bool
parse_dpid(const char *s, uint64_t *dpid)
{
    if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16) {
        return false;
    }
    *dpid = strtoull(s, NULL, 16);
    return true;
}

/* Returns true if 's' is usable as a Linux network interface name, which an
 * OVS port name becomes: 1 to 15 bytes, not "." or "..", no '/', ':' or
 * white space. */
static bool
is_valid_ifname(const char *s)
{
    size_t len = strlen(s);
    if (!len || len > 15 || !strcmp(s, ".") || !strcmp(s, "..")) {
        return false;
    }
    for (const char *c = s; *c; c++) {
        if (*c == '/' || *c == ':' || isspace((unsigned char) *c)) {
            return false;
        }
    }
    return true;
}

/* Formats host-order 'ip' into 'buf' (at least 16 bytes); returns 'buf'. */
static char *
ip_str(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, IP_FMT, IP_ARGS(htonl(ip)));
    return buf;
}

/* ---------------------------------------------------------------------- */
/* Networks. */

static const char *const network_keys[] = {
    "name", "vlan", "subnet", "gateway", "ip_pool",
};
static const char *const pool_keys[] = { "first", "last" };

/* Reads IPv4 member 'key' of 'obj' (host order) into '*ip'; returns false
 * if absent or malformed (reported). */
static bool
get_ipv4(struct intent_parser *p, const cJSON *obj, const char *key,
         bool required, uint32_t *ip)
{
    const char *s = get_string(p, obj, key, required);
    if (!s) {
        return false;
    }
    if (!parse_ipv4(s, ip)) {
        perr_at(p, key, "\"%s\" is not a valid IPv4 address", s);
        return false;
    }
    return true;
}

/* Returns "a.b.c.d/len" for 'net' in 'buf' (at least 19 bytes). */
static const char *
subnet_str(const struct intent_network *net, char buf[19])
{
    snprintf(buf, 19, IP_FMT"/%d", IP_ARGS(net->subnet), net->prefix_len);
    return buf;
}

/* Returns true if host-order 'ip' is inside the subnet of 'net'. */
static bool
in_subnet(const struct intent_network *net, uint32_t ip)
{
    uint32_t mask = plen_mask(net->prefix_len);
    return (ip & mask) == ntohl(net->subnet);
}

/* Checks that host-order 'ip', the value of member 'key', can be used as a
 * host address in 'net': inside the subnet and not its network or broadcast
 * address.  Reports and returns false otherwise. */
static bool
check_in_subnet(struct intent_parser *p, const char *key,
                const struct intent_network *net, uint32_t ip)
{
    char ipb[16], sb[19];
    uint32_t mask = plen_mask(net->prefix_len);

    if (!in_subnet(net, ip)) {
        perr_at(p, key, "%s is outside subnet %s of network \"%s\"",
                ip_str(ip, ipb), subnet_str(net, sb), net->name);
        return false;
    }
    if (net->prefix_len <= 30 && ip == ntohl(net->subnet)) {
        perr_at(p, key, "%s is the network address of subnet %s",
                ip_str(ip, ipb), subnet_str(net, sb));
        return false;
    }
    if (net->prefix_len <= 30 && ip == (ntohl(net->subnet) | ~mask)) {
        perr_at(p, key, "%s is the broadcast address of subnet %s",
                ip_str(ip, ipb), subnet_str(net, sb));
        return false;
    }
    return true;
}

/* Parses the "ip_pool" object 'json' of 'net'. */
static void
parse_pool(struct intent_parser *p, struct intent_network *net,
           const cJSON *json, bool subnet_ok)
{
    size_t len = path_push_key(p, "ip_pool");
    if (!check_object(p, json, pool_keys, ARRAY_SIZE(pool_keys))) {
        goto out;
    }

    uint32_t first, last;
    bool first_ok = get_ipv4(p, json, "first", true, &first);
    bool last_ok = get_ipv4(p, json, "last", true, &last);
    if (!first_ok || !last_ok) {
        goto out;
    }
    if (!net->has_subnet) {
        if (subnet_ok) {
            perr(p, "an IP pool needs a subnet");
        }
        goto out;
    }
    first_ok = check_in_subnet(p, "first", net, first);
    last_ok = check_in_subnet(p, "last", net, last);
    if (!first_ok || !last_ok) {
        goto out;
    }

    char fb[16], lb[16], gb[16];
    if (first > last) {
        perr(p, "first %s is after last %s",
             ip_str(first, fb), ip_str(last, lb));
        goto out;
    }
    if (net->has_gateway && ntohl(net->gateway) >= first
        && ntohl(net->gateway) <= last) {
        perr(p, "pool %s-%s contains the gateway %s", ip_str(first, fb),
             ip_str(last, lb), ip_str(ntohl(net->gateway), gb));
        goto out;
    }
    net->has_pool = true;
    net->pool_first = htonl(first);
    net->pool_last = htonl(last);

out:
    path_pop(p, len);
}

/* Parses network 'json', number 'i', into 'net'. */
static void
parse_network(struct intent_parser *p, struct intent_network *net,
              const cJSON *json, size_t i)
{
    struct intent *intent = p->intent;

    net->index = i;
    if (!check_object(p, json, network_keys, ARRAY_SIZE(network_keys))) {
        return;
    }

    const char *name = get_string(p, json, "name", true);
    if (name) {
        net->name = name;
        const struct intent_network *other
            = shash_find_data(&intent->networks_by_name, name);
        if (other) {
            perr_at(p, "name", "duplicate network name \"%s\" "
                    "(first at networks[%"PRIuSIZE"])", name, other->index);
        } else {
            shash_add(&intent->networks_by_name, name, net);
        }
    }

    long long vlan;
    if (get_int(p, json, "vlan", true, 0, 4094, &vlan)) {
        const struct intent_network *other = p->by_vlan[vlan];
        net->vlan = vlan;
        if (other) {
            perr_at(p, "vlan", "VLAN %lld is already used by network "
                    "\"%s\" (networks[%"PRIuSIZE"])", vlan,
                    other->name ? other->name : "", other->index);
        } else {
            p->by_vlan[vlan] = net;
        }
    }

    /* Subnet. */
    bool subnet_ok = true;
    const char *subnet = get_string(p, json, "subnet", false);
    if (subnet) {
        uint32_t ip;
        int plen;
        if (!parse_cidr(subnet, &ip, &plen)) {
            perr_at(p, "subnet", "\"%s\" is not a valid IPv4 subnet "
                    "(a.b.c.d/len)", subnet);
            subnet_ok = false;
        } else if (ip & ~plen_mask(plen)) {
            char b[16];
            perr_at(p, "subnet", "\"%s\" has host bits set (did you mean "
                    "\"%s/%d\"?)", subnet, ip_str(ip & plen_mask(plen), b),
                    plen);
            subnet_ok = false;
        } else {
            net->has_subnet = true;
            net->subnet = htonl(ip);
            net->prefix_len = plen;
        }
    } else if (cJSON_GetObjectItemCaseSensitive(json, "subnet")) {
        subnet_ok = false;
    }

    /* Gateway. */
    uint32_t gw;
    if (get_ipv4(p, json, "gateway", false, &gw)) {
        if (!net->has_subnet) {
            if (subnet_ok) {
                perr_at(p, "gateway", "a gateway needs a subnet");
            }
        } else if (check_in_subnet(p, "gateway", net, gw)) {
            net->has_gateway = true;
            net->gateway = htonl(gw);
        }
    }

    /* IP pool. */
    const cJSON *pool = cJSON_GetObjectItemCaseSensitive(json, "ip_pool");
    if (pool) {
        parse_pool(p, net, pool, subnet_ok);
    }
}

/* ---------------------------------------------------------------------- */
/* Host addresses: MACs and IPs shared by adapters and VM NICs. */

/* Parses MAC member "mac" of 'obj' into '*mac' and claims it, globally
 * unique. */
static void
parse_host_mac(struct intent_parser *p, const cJSON *obj,
               struct eth_addr *mac)
{
    const char *s = get_string(p, obj, "mac", true);
    if (!s) {
        return;
    }

    size_t len = path_push_key(p, "mac");
    struct eth_addr ea;
    if (!parse_mac(s, &ea)) {
        perr(p, "\"%s\" is not a valid MAC address (xx:xx:xx:xx:xx:xx)", s);
    } else if (eth_addr_is_multicast(ea)) {
        perr(p, "%s is a multicast MAC address", s);
    } else if (eth_addr_is_zero(ea)) {
        perr(p, "00:00:00:00:00:00 is not a valid MAC address");
    } else {
        uint64_t key = eth_addr_to_uint64(ea);
        const struct intent_claim *c = claim_find(&p->macs, NULL, NULL,
                                                  NULL, key);
        if (c) {
            perr(p, "MAC "ETH_ADDR_FMT" is already used by %s",
                 ETH_ADDR_ARGS(ea), claim_path(p, c));
        } else {
            claim_add(p, &p->macs, NULL, NULL, NULL, key, true);
        }
        *mac = ea;
    }
    path_pop(p, len);
}

/* Parses IP member "ip" of 'obj' in network 'net' (NULL if unknown) into
 * '*has_ip' and '*ip'.  A VM address ('is_vm') must also come from the
 * network's pool when it has one. */
static void
parse_host_ip(struct intent_parser *p, const cJSON *obj,
              const struct intent_network *net, bool is_vm,
              bool *has_ip, ovs_be32 *ip)
{
    uint32_t addr;
    char ab[16], fb[16], lb[16];

    if (!get_ipv4(p, obj, "ip", false, &addr)) {
        return;
    }
    *has_ip = true;
    *ip = htonl(addr);

    uint8_t first_octet = addr >> 24;
    if (!addr || first_octet >= 224 || first_octet == 127) {
        perr_at(p, "ip", "%s is not a unicast host address",
                ip_str(addr, ab));
        return;
    }
    if (!net) {
        return;
    }
    if (net->has_subnet && !check_in_subnet(p, "ip", net, addr)) {
        return;
    }
    if (net->has_gateway && addr == ntohl(net->gateway)) {
        perr_at(p, "ip", "%s is the gateway of network \"%s\"",
                ip_str(addr, ab), net->name);
        return;
    }
    if (is_vm && net->has_pool
        && (addr < ntohl(net->pool_first) || addr > ntohl(net->pool_last))) {
        perr_at(p, "ip", "%s is outside the IP pool %s-%s of network \"%s\"",
                ip_str(addr, ab), ip_str(ntohl(net->pool_first), fb),
                ip_str(ntohl(net->pool_last), lb), net->name);
        return;
    }

    const struct intent_claim *c = claim_find(&p->ips, net, NULL, NULL,
                                              addr);
    if (c) {
        perr_at(p, "ip", "%s is already used in network \"%s\" by %s",
                ip_str(addr, ab), net->name, claim_path(p, c));
    } else {
        size_t len = path_push_key(p, "ip");
        claim_add(p, &p->ips, net, NULL, NULL, addr, true);
        path_pop(p, len);
    }
}

/* Claims port name 'port' (the value of member 'key' of the current object,
 * or the current value itself if 'key' is NULL) on host number 'host_idx'.
 * Reports a malformed name or one already used on that host. */
static void
claim_port(struct intent_parser *p, size_t host_idx, const char *key,
           const char *port)
{
    size_t len = key ? path_push_key(p, key) : p->path.length;
    if (!is_valid_ifname(port)) {
        perr(p, "\"%s\" is not a valid port name (1 to 15 characters, "
             "no \"/\", \":\" or spaces)", port);
    } else {
        const struct intent_host *host = &p->intent->hosts[host_idx].up;
        const struct intent_claim *c = claim_find(&p->ports, host, NULL,
                                                  port, 0);
        if (c) {
            perr(p, "port \"%s\" is already used on host \"%s\" by %s",
                 port, host->name ? host->name : "", claim_path(p, c));
        } else {
            claim_add(p, &p->ports, host, NULL, port, 0, true);
        }
    }
    path_pop(p, len);
}

/* ---------------------------------------------------------------------- */
/* Hosts and bridges. */

static const char *const host_keys[] = { "name", "bridges" };
static const char *const bridge_keys[] = {
    "name", "datapath_id", "uplink", "networks", "adapters",
};
static const char *const uplink_keys[] = {
    "name", "members", "mode", "primary",
};
static const char *const adapter_keys[] = {
    "name", "port", "role", "network", "mac", "ip",
};

/* Looks up network 'name' at the current path; reports an unknown name. */
static const struct intent_network *
find_network(struct intent_parser *p, const char *name)
{
    const struct intent_network *net
        = shash_find_data(&p->intent->networks_by_name, name);
    if (!net) {
        perr(p, "unknown network \"%s\"", name);
    }
    return net;
}

/* Returns true if 'bridge' carries 'net'. */
static bool
bridge_carries(const struct intent_parser *p,
               const struct intent_bridge *bridge,
               const struct intent_network *net)
{
    const unsigned long *bits = p->bridge_bits[bridge->host->index];
    return bitmap_is_set(bits + bridge->index * p->bitmap_longs, net->index);
}

/* Parses the "uplink" object 'json' of 'bridge' on host 'host_idx'. */
static void
parse_uplink(struct intent_parser *p, struct intent_bridge *bridge,
             size_t host_idx, const cJSON *json)
{
    struct intent_uplink *up = &bridge->uplink;
    size_t len = path_push_key(p, "uplink");

    if (!check_object(p, json, uplink_keys, ARRAY_SIZE(uplink_keys))) {
        goto out;
    }

    up->name = get_string(p, json, "name", true);
    if (up->name) {
        claim_port(p, host_idx, "name", up->name);
    }

    const cJSON *members = get_array(p, json, "members", true);
    if (members) {
        size_t mlen = path_push_key(p, "members");
        size_t n = cJSON_GetArraySize(members);
        if (!n) {
            perr(p, "a bond needs at least one member");
        }
        up->members = xcalloc(n ? n : 1, sizeof *up->members);

        const cJSON *m;
        size_t i = 0;
        cJSON_ArrayForEach (m, members) {
            size_t ilen = path_push_index(p, i++);
            const char *name = json_string(p, m);
            if (name) {
                up->members[up->n_members++] = name;
                claim_port(p, host_idx, NULL, name);
            }
            path_pop(p, ilen);
        }
        path_pop(p, mlen);
    }

    const cJSON *mode = get_member(p, json, "mode", false);
    if (mode && cJSON_IsString(mode) && !strcmp(mode->valuestring, "lacp")) {
        perr_at(p, "mode", "\"lacp\" is not supported yet; use "
                "\"active-backup\" or \"balance-slb\"");
        up->mode = INTENT_BOND_LACP;
    } else {
        /* "lacp" is left out of the names offered. */
        int m = get_enum(p, json, "mode", bond_mode_names, 2,
                         INTENT_BOND_ACTIVE_BACKUP);
        up->mode = m < 0 ? INTENT_BOND_ACTIVE_BACKUP : m;
    }

    const char *primary = get_string(p, json, "primary", false);
    if (primary) {
        bool found = false;
        for (size_t i = 0; i < up->n_members; i++) {
            if (!strcmp(up->members[i], primary)) {
                found = true;
                break;
            }
        }
        if (found) {
            up->primary = primary;
        } else if (members) {
            perr_at(p, "primary", "\"%s\" is not a member of uplink%s%s%s",
                    primary, up->name ? " \"" : "", up->name ? up->name : "",
                    up->name ? "\"" : "");
        }
    }

out:
    path_pop(p, len);
}

/* Parses the adapter 'json', number 'i', into 'ad' on 'bridge' of host
 * 'host_idx'. */
static void
parse_adapter(struct intent_parser *p, struct intent_adapter *ad,
              const struct intent_bridge *bridge, size_t host_idx,
              const cJSON *json, size_t i)
{
    ad->index = i;
    ad->bridge = bridge;
    ad->role = INTENT_ROLE_OTHER;
    if (!check_object(p, json, adapter_keys, ARRAY_SIZE(adapter_keys))) {
        return;
    }

    const char *name = get_string(p, json, "name", true);
    if (name) {
        const struct intent_host *host = &p->intent->hosts[host_idx].up;
        const struct intent_claim *c = claim_find(&p->adapter_names, host,
                                                  NULL, name, 0);
        if (c) {
            perr_at(p, "name", "duplicate adapter name \"%s\" on host "
                    "\"%s\" (first at %s)", name,
                    host->name ? host->name : "", claim_path(p, c));
        } else {
            claim_add(p, &p->adapter_names, host, NULL, name, 0, true);
        }
        ad->name = name;
    }

    ad->port = get_string(p, json, "port", true);
    if (ad->port && bridge->name && !strcmp(ad->port, bridge->name)) {
        /* The bridge's own local port, as AHV puts the host's address on
         * "br0": one adapter may use it. */
        const struct intent_claim *c
            = claim_find(&p->ports, bridge, NULL, NULL, 1);
        if (c) {
            const char *host = p->intent->hosts[host_idx].up.name;
            perr_at(p, "port", "port \"%s\" is already used on host \"%s\" "
                    "by %s", ad->port, host ? host : "", claim_path(p, c));
        } else {
            size_t len = path_push_key(p, "port");
            claim_add(p, &p->ports, bridge, NULL, NULL, 1, true);
            path_pop(p, len);
        }
    } else if (ad->port) {
        claim_port(p, host_idx, "port", ad->port);
    }

    int role = get_enum(p, json, "role", role_names, ARRAY_SIZE(role_names),
                        INTENT_ROLE_OTHER);
    ad->role = role < 0 ? INTENT_ROLE_OTHER : role;

    const char *net_name = get_string(p, json, "network", true);
    if (net_name) {
        size_t len = path_push_key(p, "network");
        ad->network = find_network(p, net_name);
        if (ad->network && !bridge_carries(p, bridge, ad->network)) {
            perr(p, "network \"%s\" is not carried by bridge \"%s\" (add it "
                 "to the bridge's \"networks\")", net_name,
                 bridge->name ? bridge->name : "");
        }
        path_pop(p, len);
    }

    parse_host_mac(p, json, &ad->mac);
    parse_host_ip(p, json, ad->network, false, &ad->has_ip, &ad->ip);
}

/* Parses the bridge 'json', number 'i', of host number 'host_idx' into
 * 'bridge'. */
static void
parse_bridge(struct intent_parser *p, struct intent_bridge *bridge,
             size_t host_idx, const cJSON *json, size_t i)
{
    struct intent *intent = p->intent;
    struct intent_host_rec *host = &intent->hosts[host_idx];

    bridge->host = &host->up;
    bridge->index = i;
    if (!check_object(p, json, bridge_keys, ARRAY_SIZE(bridge_keys))) {
        return;
    }

    const char *name = get_string(p, json, "name", true);
    if (name) {
        bridge->name = name;
        const struct intent_bridge *other
            = shash_find_data(&host->bridges_by_name, name);
        if (other) {
            perr_at(p, "name", "duplicate bridge name \"%s\" on host \"%s\" "
                    "(first at hosts[%"PRIuSIZE"].bridges[%"PRIuSIZE"])",
                    name, host->up.name ? host->up.name : "",
                    host_idx, other->index);
        } else {
            shash_add(&host->bridges_by_name, name, bridge);
            /* The bridge's own local port bears its name. */
            claim_port(p, host_idx, "name", name);
        }
    }

    const char *dpid_s = get_string(p, json, "datapath_id", true);
    if (dpid_s) {
        uint64_t dpid;
        if (!parse_dpid(dpid_s, &dpid)) {
            perr_at(p, "datapath_id", "\"%s\" is not a datapath ID (16 hex "
                    "digits)", dpid_s);
        } else if (!dpid) {
            perr_at(p, "datapath_id", "datapath ID must not be zero");
        } else {
            const struct intent_bridge *other
                = intent_find_bridge_by_dpid(intent, dpid);
            if (other) {
                perr_at(p, "datapath_id", "datapath ID %016"PRIx64" is "
                        "already used by hosts[%"PRIuSIZE"].bridges"
                        "[%"PRIuSIZE"]", dpid, other->host->index,
                        other->index);
            } else {
                struct intent_dpid_node *node = xmalloc(sizeof *node);
                node->bridge = bridge;
                hmap_insert(&intent->bridges_by_dpid, &node->node,
                            hash_uint64(dpid));
            }
            bridge->datapath_id = dpid;
        }
    }

    const cJSON *uplink = get_member(p, json, "uplink", true);
    if (uplink) {
        parse_uplink(p, bridge, host_idx, uplink);
    }

    const cJSON *networks = get_array(p, json, "networks", false);
    if (networks) {
        size_t len = path_push_key(p, "networks");
        size_t n = cJSON_GetArraySize(networks);
        bridge->networks = xcalloc(n ? n : 1, sizeof *bridge->networks);

        const cJSON *item;
        size_t j = 0;
        cJSON_ArrayForEach (item, networks) {
            size_t ilen = path_push_index(p, j++);
            const char *net_name = json_string(p, item);
            const struct intent_network *net
                = net_name ? find_network(p, net_name) : NULL;
            if (net && bridge_carries(p, bridge, net)) {
                perr(p, "network \"%s\" is listed twice", net_name);
            } else if (net) {
                bridge->networks[bridge->n_networks++] = net;
                bitmap_set1(p->bridge_bits[host_idx]
                            + bridge->index * p->bitmap_longs, net->index);

                struct intent_claim *c
                    = claim_find(&p->host_nets, &host->up, net, NULL, 0);
                if (!c) {
                    c = claim_add(p, &p->host_nets, &host->up, net, NULL, 0,
                                  false);
                    c->bridge = bridge;
                }
                c->count++;
            }
            path_pop(p, ilen);
        }
        path_pop(p, len);
    }

    const cJSON *adapters = get_array(p, json, "adapters", false);
    if (adapters) {
        size_t len = path_push_key(p, "adapters");
        size_t n = cJSON_GetArraySize(adapters);
        struct intent_adapter *ads = xcalloc(n ? n : 1, sizeof *ads);
        bridge->adapters = ads;
        bridge->n_adapters = n;

        const cJSON *item;
        size_t j = 0;
        cJSON_ArrayForEach (item, adapters) {
            size_t ilen = path_push_index(p, j);
            parse_adapter(p, &ads[j], bridge, host_idx, item, j);
            j++;
            path_pop(p, ilen);
        }
        path_pop(p, len);
    }
}

/* Parses host 'json', number 'i', into the model's host 'i'. */
static void
parse_host(struct intent_parser *p, const cJSON *json, size_t i)
{
    struct intent *intent = p->intent;
    struct intent_host_rec *host = &intent->hosts[i];

    if (!check_object(p, json, host_keys, ARRAY_SIZE(host_keys))) {
        return;
    }

    const char *name = get_string(p, json, "name", true);
    if (name) {
        host->up.name = name;
        const struct intent_host *other
            = shash_find_data(&intent->hosts_by_name, name);
        if (other) {
            perr_at(p, "name", "duplicate host name \"%s\" (first at "
                    "hosts[%"PRIuSIZE"])", name, other->index);
        } else {
            shash_add(&intent->hosts_by_name, name, &host->up);
        }
    }

    const cJSON *bridges = get_array(p, json, "bridges", true);
    if (!bridges) {
        return;
    }

    size_t len = path_push_key(p, "bridges");
    size_t n = cJSON_GetArraySize(bridges);
    if (!n) {
        perr(p, "a host needs at least one bridge");
    }
    struct intent_bridge *brs = xcalloc(n ? n : 1, sizeof *brs);
    p->bridge_bits[i] = xcalloc(MAX(n * p->bitmap_longs, 1),
                                sizeof *p->bridge_bits[i]);
    host->up.bridges = brs;
    host->up.n_bridges = n;
    intent->n_bridges += n;

    const cJSON *item;
    size_t j = 0;
    cJSON_ArrayForEach (item, bridges) {
        size_t ilen = path_push_index(p, j);
        parse_bridge(p, &brs[j], i, item, j);
        j++;
        path_pop(p, ilen);
    }
    path_pop(p, len);
}

/* ---------------------------------------------------------------------- */
/* VMs. */

static const char *const vm_keys[] = { "name", "host", "categories", "nics" };
static const char *const nic_keys[] = {
    "port", "mac", "network", "ip", "bridge", "mode", "trunk_networks",
};

/* Returns the name of 'bridge' for messages, even if it has none. */
static const char *
bridge_name(const struct intent_bridge *bridge)
{
    return bridge->name ? bridge->name : "(unnamed)";
}

/* Writes the names of the bridges of 'host' that carry 'net' into 's',
 * comma separated. */
static void
list_carriers(const struct intent_parser *p, const struct intent_host *host,
              const struct intent_network *net, struct ds *s)
{
    for (size_t i = 0; i < host->n_bridges; i++) {
        const struct intent_bridge *b = &host->bridges[i];
        if (bridge_carries(p, b, net)) {
            ds_put_format(s, "%s%s", s->length ? ", " : "", bridge_name(b));
        }
    }
}

/* Parses the "trunk_networks" of 'nic' from NIC object 'json'. */
static void
parse_trunk_networks(struct intent_parser *p, struct intent_nic *nic,
                     const cJSON *json)
{
    const cJSON *trunks = get_array(p, json, "trunk_networks", false);
    if (nic->mode == INTENT_NIC_ACCESS) {
        if (cJSON_GetObjectItemCaseSensitive(json, "trunk_networks")) {
            perr_at(p, "trunk_networks", "only a trunk NIC (\"mode\": "
                    "\"trunk\") has trunk networks");
        }
        return;
    }
    if (!cJSON_GetObjectItemCaseSensitive(json, "trunk_networks")) {
        perr_at(p, "trunk_networks", "a trunk NIC needs trunk networks");
        return;
    } else if (!trunks) {
        return;
    }

    size_t len = path_push_key(p, "trunk_networks");
    size_t n = cJSON_GetArraySize(trunks);
    if (!n) {
        perr(p, "a trunk NIC needs at least one trunk network");
    }
    nic->trunk_networks = xcalloc(n ? n : 1, sizeof *nic->trunk_networks);

    /* 'seen' finds repeated networks without a quadratic scan. */
    struct hmap seen = HMAP_INITIALIZER(&seen);
    const cJSON *item;
    size_t i = 0;
    cJSON_ArrayForEach (item, trunks) {
        size_t ilen = path_push_index(p, i++);
        const char *name = json_string(p, item);
        const struct intent_network *net = name ? find_network(p, name) : NULL;
        if (!net) {
            /* Reported. */
        } else if (net == nic->network) {
            perr(p, "network \"%s\" is already the NIC's native network",
                 name);
        } else if (claim_find(&seen, NULL, net, NULL, 0)) {
            perr(p, "network \"%s\" is listed twice", name);
        } else {
            claim_add(p, &seen, NULL, net, NULL, 0, false);
            nic->trunk_networks[nic->n_trunk_networks++] = net;
        }
        path_pop(p, ilen);
    }
    hmap_destroy(&seen);
    path_pop(p, len);
}

/* Chooses the bridge for 'nic' of a VM on 'host', from its "bridge" member
 * in 'json' or from the networks, and checks that the bridge carries every
 * network of the NIC. */
static void
resolve_nic_bridge(struct intent_parser *p, struct intent_nic *nic,
                   const struct intent_host *host, const cJSON *json)
{
    const struct intent_network *net = nic->network;
    const struct intent_bridge *bridge = NULL;
    const char *wanted = get_string(p, json, "bridge", false);

    if (wanted) {
        bridge = intent_host_find_bridge(host, wanted);
        if (!bridge) {
            perr_at(p, "bridge", "unknown bridge \"%s\" on host \"%s\"",
                    wanted, host->name);
            return;
        }
        if (net && !bridge_carries(p, bridge, net)) {
            perr_at(p, "network", "network \"%s\" is not carried by bridge "
                    "\"%s\" of host \"%s\"", net->name, bridge_name(bridge),
                    host->name);
        }
    } else if (cJSON_GetObjectItemCaseSensitive(json, "bridge")) {
        return;                 /* Malformed, reported. */
    } else if (net) {
        const struct intent_claim *c
            = claim_find(&p->host_nets, host, net, NULL, 0);
        if (!c) {
            perr_at(p, "network", "network \"%s\" is not carried by any "
                    "bridge of host \"%s\"", net->name, host->name);
            return;
        } else if (c->count > 1) {
            struct ds list = DS_EMPTY_INITIALIZER;
            list_carriers(p, host, net, &list);
            perr_at(p, "network", "network \"%s\" is carried by several "
                    "bridges of host \"%s\" (%s); set \"bridge\"",
                    net->name, host->name, ds_cstr(&list));
            ds_destroy(&list);
            return;
        }
        bridge = c->bridge;
    } else {
        return;
    }

    for (size_t i = 0; i < nic->n_trunk_networks; i++) {
        const struct intent_network *t = nic->trunk_networks[i];
        if (!bridge_carries(p, bridge, t)) {
            size_t len = path_push_key(p, "trunk_networks");
            size_t ilen = path_push_index(p, i);
            perr(p, "network \"%s\" is not carried by bridge \"%s\" of host "
                 "\"%s\"", t->name, bridge_name(bridge), host->name);
            path_pop(p, ilen);
            path_pop(p, len);
        }
    }
    nic->bridge = bridge;
}

/* Parses the NIC 'json', number 'i', of 'vm' into 'nic'. */
static void
parse_nic(struct intent_parser *p, struct intent_nic *nic,
          const struct intent_vm *vm, const cJSON *json, size_t i)
{
    nic->vm = vm;
    nic->index = i;
    if (!check_object(p, json, nic_keys, ARRAY_SIZE(nic_keys))) {
        return;
    }

    nic->port = get_string(p, json, "port", true);
    if (nic->port && vm->host) {
        claim_port(p, vm->host->index, "port", nic->port);
    } else if (nic->port && !is_valid_ifname(nic->port)) {
        perr_at(p, "port", "\"%s\" is not a valid port name (1 to 15 "
                "characters, no \"/\", \":\" or spaces)", nic->port);
    }

    parse_host_mac(p, json, &nic->mac);

    const char *net_name = get_string(p, json, "network", true);
    if (net_name) {
        size_t len = path_push_key(p, "network");
        nic->network = find_network(p, net_name);
        path_pop(p, len);
    }

    parse_host_ip(p, json, nic->network, true, &nic->has_ip, &nic->ip);

    int mode = get_enum(p, json, "mode", nic_mode_names,
                        ARRAY_SIZE(nic_mode_names), INTENT_NIC_ACCESS);
    nic->mode = mode < 0 ? INTENT_NIC_ACCESS : mode;
    if (mode >= 0) {
        parse_trunk_networks(p, nic, json);
    }

    if (vm->host) {
        resolve_nic_bridge(p, nic, vm->host, json);
    }
}

/* Parses the "categories" object 'json' into 'smap'. */
static void
parse_categories(struct intent_parser *p, const cJSON *json,
                 struct smap *smap)
{
    size_t len = path_push_key(p, "categories");

    if (!cJSON_IsObject(json)) {
        perr(p, "expected an object, got %s", json_type_name(json));
    } else {
        const cJSON *item;
        cJSON_ArrayForEach (item, json) {
            size_t klen = path_push_key(p, item->string);
            if (!item->string[0]) {
                perr(p, "a category name must not be empty");
            } else if (!cJSON_IsString(item)) {
                perr(p, "expected a string, got %s", json_type_name(item));
            } else if (smap_get(smap, item->string)) {
                perr(p, "duplicate category \"%s\"", item->string);
            } else {
                smap_add(smap, item->string, item->valuestring);
            }
            path_pop(p, klen);
        }
    }
    path_pop(p, len);
}

/* Parses VM 'json', number 'i', into the model's VM 'i'. */
static void
parse_vm(struct intent_parser *p, const cJSON *json, size_t i)
{
    struct intent *intent = p->intent;
    struct intent_vm *vm = &intent->vms[i];

    if (!check_object(p, json, vm_keys, ARRAY_SIZE(vm_keys))) {
        return;
    }

    const char *name = get_string(p, json, "name", true);
    if (name) {
        vm->name = name;
        const struct intent_vm *other
            = shash_find_data(&intent->vms_by_name, name);
        if (other) {
            perr_at(p, "name", "duplicate VM name \"%s\" (first at "
                    "vms[%"PRIuSIZE"])", name, other->index);
        } else {
            shash_add(&intent->vms_by_name, name, vm);
        }
    }

    const char *host = get_string(p, json, "host", true);
    if (host) {
        vm->host = intent_find_host(intent, host);
        if (!vm->host) {
            perr_at(p, "host", "unknown host \"%s\"", host);
        }
    }

    const cJSON *categories = get_member(p, json, "categories", false);
    if (categories) {
        parse_categories(p, categories, &intent->categories[i]);
    }

    const cJSON *nics = get_array(p, json, "nics", true);
    if (!nics) {
        return;
    }

    size_t len = path_push_key(p, "nics");
    size_t n = cJSON_GetArraySize(nics);
    struct intent_nic *array = xcalloc(n ? n : 1, sizeof *array);
    vm->nics = array;
    vm->n_nics = n;
    intent->n_nics += n;

    const cJSON *item;
    size_t j = 0;
    cJSON_ArrayForEach (item, nics) {
        size_t ilen = path_push_index(p, j);
        parse_nic(p, &array[j], vm, item, j);
        j++;
        path_pop(p, ilen);
    }
    path_pop(p, len);
}

/* Fills every bridge's list of NICs, in VM order. */
static void
link_bridge_nics(struct intent *intent)
{
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < intent->n_vms; i++) {
            const struct intent_vm *vm = &intent->vms[i];
            for (size_t j = 0; j < vm->n_nics; j++) {
                const struct intent_nic *nic = &vm->nics[j];
                struct intent_bridge *b = CONST_CAST(struct intent_bridge *,
                                                     nic->bridge);
                if (!b) {
                    continue;
                }
                if (!pass) {
                    b->n_nics++;
                } else {
                    CONST_CAST(const struct intent_nic **,
                               b->nics)[b->n_nics++] = nic;
                }
            }
        }
        if (!pass) {
            for (size_t h = 0; h < intent->n_hosts; h++) {
                const struct intent_host *host = &intent->hosts[h].up;
                for (size_t k = 0; k < host->n_bridges; k++) {
                    struct intent_bridge *b = CONST_CAST(
                        struct intent_bridge *, &host->bridges[k]);
                    b->nics = xcalloc(b->n_nics ? b->n_nics : 1,
                                      sizeof *b->nics);
                    b->n_nics = 0;
                }
            }
        }
    }
}

/* ---------------------------------------------------------------------- */
/* The document. */

static const char *const root_keys[] = {
    "version", "networks", "hosts", "vms", "policies",
};

/* Parses and checks the whole document 'root'. */
static void
parse_root(struct intent_parser *p, const cJSON *root)
{
    struct intent *intent = p->intent;

    if (!check_object(p, root, root_keys, ARRAY_SIZE(root_keys))) {
        return;
    }

    long long version;
    if (get_int(p, root, "version", true, INT_MIN, INT_MAX, &version)
        && version != 1) {
        perr_at(p, "version", "unsupported version %lld (this flowchain "
                "reads version 1)", version);
    }

    const cJSON *networks = get_array(p, root, "networks", false);
    if (networks) {
        size_t len = path_push_key(p, "networks");
        intent->n_networks = cJSON_GetArraySize(networks);
        intent->networks = xcalloc(intent->n_networks ? intent->n_networks : 1,
                                   sizeof *intent->networks);
        const cJSON *item;
        size_t i = 0;
        cJSON_ArrayForEach (item, networks) {
            size_t ilen = path_push_index(p, i);
            parse_network(p, &intent->networks[i], item, i);
            i++;
            path_pop(p, ilen);
        }
        path_pop(p, len);
    }

    const cJSON *hosts = get_array(p, root, "hosts", false);
    if (hosts) {
        size_t len = path_push_key(p, "hosts");
        size_t n = cJSON_GetArraySize(hosts);
        intent->n_hosts = n;
        intent->hosts = xcalloc(n ? n : 1, sizeof *intent->hosts);
        p->bridge_bits = xcalloc(n ? n : 1, sizeof *p->bridge_bits);
        for (size_t i = 0; i < n; i++) {
            intent->hosts[i].up.index = i;
            shash_init(&intent->hosts[i].bridges_by_name);
        }

        const cJSON *item;
        size_t i = 0;
        cJSON_ArrayForEach (item, hosts) {
            size_t ilen = path_push_index(p, i);
            parse_host(p, item, i);
            i++;
            path_pop(p, ilen);
        }
        path_pop(p, len);
    }

    const cJSON *vms = get_array(p, root, "vms", false);
    if (vms) {
        size_t len = path_push_key(p, "vms");
        size_t n = cJSON_GetArraySize(vms);
        intent->n_vms = n;
        intent->vms = xcalloc(n ? n : 1, sizeof *intent->vms);
        intent->categories = xcalloc(n ? n : 1, sizeof *intent->categories);
        for (size_t i = 0; i < n; i++) {
            smap_init(&intent->categories[i]);
            intent->vms[i].index = i;
            intent->vms[i].categories = &intent->categories[i];
        }

        const cJSON *item;
        size_t i = 0;
        cJSON_ArrayForEach (item, vms) {
            size_t ilen = path_push_index(p, i);
            parse_vm(p, item, i);
            i++;
            path_pop(p, ilen);
        }
        path_pop(p, len);
    }

    /* "policies" belongs to the microsegmentation model: only its type is
     * checked here. */
    get_array(p, root, "policies", false);

    link_bridge_nics(intent);
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
static struct intent *
intent_create(cJSON *json)
{
    struct intent *intent = xzalloc(sizeof *intent);
    intent->json = json;
    shash_init(&intent->networks_by_name);
    shash_init(&intent->hosts_by_name);
    shash_init(&intent->vms_by_name);
    hmap_init(&intent->bridges_by_dpid);
    return intent;
}

/* Appends to 'errors' why 'text' (of 'len' bytes) is not JSON, as
 * "line L, column C: invalid JSON: REASON".  Returns true if it is JSON. */
static bool
check_json_syntax(struct svec *errors, const char *text, size_t len)
{
    size_t line, column;
    const char *reason, *at;

    if (json_check_syntax(text, len, INTENT_MAX_DEPTH, &line, &column,
                          &reason, &at)) {
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

/* Parses and validates the intent in 'json_text'.  Returns the model, or
 * NULL after appending every error found to 'errors' (when nonnull). */
struct intent *
intent_parse(const char *json_text, struct svec *errors)
{
    struct svec local_errors = SVEC_EMPTY_INITIALIZER;
    if (!errors) {
        errors = &local_errors;
    }

    size_t len = strlen(json_text);
    const char *text = json_text;
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
        text += 3;              /* A UTF-8 byte order mark, as some Windows
                                 * editors write. */
        len -= 3;
    }

    if (!check_json_syntax(errors, text, len)) {
        svec_destroy(&local_errors);
        return NULL;
    }
    cJSON *json = cJSON_ParseWithLength(text, len);
    if (!json) {
        /* The syntax is fine, so cJSON ran out of memory or into one of its
         * own limits. */
        svec_add(errors, "$: cJSON could not parse this valid JSON");
        svec_destroy(&local_errors);
        return NULL;
    }

    struct intent *intent = intent_create(json);
    struct intent_parser p = {
        .intent = intent,
        .errors = errors,
        .path = DS_EMPTY_INITIALIZER,
    };
    hmap_init(&p.macs);
    hmap_init(&p.ips);
    hmap_init(&p.ports);
    hmap_init(&p.adapter_names);
    hmap_init(&p.host_nets);
    ds_init(&p.paths);
    p.bitmap_longs = bitmap_n_longs(count_networks(json));

    size_t n_errors = errors->n;
    parse_root(&p, json);

    for (size_t i = 0; i < intent->n_hosts; i++) {
        free(p.bridge_bits[i]);
    }
    free(p.bridge_bits);
    hmap_destroy(&p.macs);
    hmap_destroy(&p.ips);
    hmap_destroy(&p.ports);
    hmap_destroy(&p.adapter_names);
    hmap_destroy(&p.host_nets);
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

    struct ds text = DS_EMPTY_INITIALIZER;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, file)) > 0) {
        ds_put_buffer(&text, buf, n);
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

    struct intent *intent = intent_parse(ds_cstr(&text), errors);
    ds_destroy(&text);
    return intent;
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

    struct intent_dpid_node *node;
    HMAP_FOR_EACH_POP (node, node, &intent->bridges_by_dpid) {
        free(node);
    }
    hmap_destroy(&intent->bridges_by_dpid);
    shash_destroy(&intent->networks_by_name);
    shash_destroy(&intent->hosts_by_name);
    shash_destroy(&intent->vms_by_name);
    cJSON_Delete(intent->json);
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

/* Appends "'n' 'noun'" to 's', with an "s" unless 'n' is 1. */
static void
put_count(struct ds *s, size_t n, const char *noun, const char *sep)
{
    ds_put_format(s, "%s%"PRIuSIZE" %s%s", sep, n, noun, n == 1 ? "" : "s");
}

/* Appends to 's' the one-line summary of 'intent' that "flowchainctl check"
 * prints, e.g. "valid: 2 hosts, 6 bridges, 6 networks, 3 VMs, 3 NICs". */
void
intent_format_summary(const struct intent *intent, struct ds *s)
{
    ds_put_cstr(s, "valid: ");
    put_count(s, intent->n_hosts, "host", "");
    put_count(s, intent->n_bridges, "bridge", ", ");
    put_count(s, intent->n_networks, "network", ", ");
    put_count(s, intent->n_vms, "VM", ", ");
    put_count(s, intent->n_nics, "NIC", ", ");
}
