/*
 * Internals of the intent model, shared by the files of models/ and by
 * nothing else: the model's own struct, the parser state, and the helpers
 * that each object's parser uses.  Other layers use models/intent.h.
 *
 * Files, one concern each:
 *   intent.c      the document: load, parse, destroy, accessors, summary,
 *                 enum names
 *   parse-util.c  JSON paths, errors, claims, JSON getters, did-you-mean
 *   addr.c        IPv4 / MAC / datapath ID / port name syntax; host
 *                 addresses (MACs, IPs, port names) and their uniqueness
 *   network.c     networks[]
 *   host.c        hosts[]: bridges, uplinks, adapters
 *   vm.c          vms[]: NICs, categories
 *   xref.c        references between objects: which bridges carry which
 *                 networks, the bridge of each NIC, each bridge's NICs
 *   policy.c      policies[]
 */
#ifndef MODELS_INTENT_PRIVATE_H
#define MODELS_INTENT_PRIVATE_H 1

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/intent.h"
#include "models/json-check.h"
#include "openvswitch/compiler.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/shash.h"
#include "openvswitch/types.h"
#include "smap.h"
#include "svec.h"

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

/* Memory for the cJSON tree of one model (intent.c). */
struct intent_json_mem {
    char **blocks;                  /* Each from xmalloc_size_align(). */
    size_t n_blocks;
    size_t block_size;              /* Size of the last block. */
    size_t used;                    /* Bytes used in the last block. */
};

struct intent {
    cJSON *json;                    /* Every string in the model points
                                     * into it. */
    struct intent_json_mem json_mem;  /* Holds 'json'. */

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

    struct intent_policy *policies;
    size_t n_policies;
    struct shash policies_by_name;  /* -> struct intent_policy. */
    struct shash selector_matches;  /* Selector key -> the VMs it matches
                                     * (policy.c). */

    struct svec warnings;           /* "PATH: message" lines. */

    /* The JSON text it was parsed from, and where its root members are in
     * it (the syntax check found them): compare.c compares by text. */
    char *text;
    size_t text_len;
    struct json_outline outline;
};

/* A claim on a key that must be unique (a MAC address, an IP address in a
 * network, a port name on a host).  'a' is a model object, 'name' a string
 * and 'value' a number; together they form the key.  Claims live in blocks
 * owned by the parser, so making one costs no malloc(). */
struct intent_claim {
    struct hmap_node node;
    const void *a;
    const char *name;               /* Points into the JSON tree, or NULL. */
    uint64_t value;
    size_t path;                    /* Offset in the parser's 'paths' of
                                     * where it was first made, or SIZE_MAX. */
};

#define INTENT_CLAIM_BLOCK 1024

/* In struct intent_parser's 'carriers': more than one bridge. */
#define INTENT_CARRIED_BY_SEVERAL UINT32_MAX

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

    /* Which networks each bridge carries: per host, one bitmap of
     * 'n_networks' bits for each of its bridges, 'bitmap_longs' apart. */
    unsigned long **bridge_bits;
    size_t bitmap_longs;

    /* Which bridges of each host carry each network: 'n_networks' entries
     * per host, in host order, each 0 if none of the host's bridges carries
     * the network, 1 + the index of the bridge if one does, or
     * INTENT_CARRIED_BY_SEVERAL. */
    uint32_t *carriers;

    struct ds paths;                /* Paths of claims, each NUL-ended. */
    struct intent_claim **blocks;   /* Storage for claims. */
    size_t n_blocks;
    size_t n_in_block;              /* Used in the last block. */
};

/* Enum names, as spelled in the JSON (intent.c). */
extern const char *const intent_bond_mode_names[INTENT_BOND_LACP + 1];
extern const char *const intent_lacp_rate_names[INTENT_LACP_FAST + 1];
extern const char *const intent_lacp_fallback_names[
    INTENT_LACP_FALLBACK_NONE + 1];
extern const char *const intent_role_names[INTENT_ROLE_OTHER + 1];
extern const char *const intent_nic_mode_names[INTENT_NIC_TRUNK + 1];
extern const char *const intent_policy_type_names[
    INTENT_POLICY_QUARANTINE + 1];
extern const char *const intent_policy_mode_names[INTENT_POLICY_MONITOR + 1];
extern const char *const intent_quarantine_level_names[
    INTENT_QUARANTINE_FORENSIC + 1];
extern const char *const intent_protocol_names[INTENT_PROTO_ICMP + 1];

/* JSON paths and errors (parse-util.c).  The parser's 'path' is the JSON
 * path of the value being checked; every push returns the length to give
 * back to intent_path_pop(). */
size_t intent_path_push_key(struct intent_parser *, const char *key);
size_t intent_path_push_index(struct intent_parser *, size_t i);
void intent_path_pop(struct intent_parser *, size_t len);

/* limits.c */
void intent_check_port_limits(struct intent_parser *, struct intent *);
void intent_error(struct intent_parser *, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);
void intent_warning(struct intent_parser *, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);
void intent_error_at(struct intent_parser *, const char *key,
                     const char *format, ...)
    OVS_PRINTF_FORMAT(3, 4);

/* Claims (parse-util.c). */
const struct intent_claim *intent_claim(struct intent_parser *,
                                        struct hmap *, const void *a,
                                        const char *name, uint64_t value,
                                        bool at_path);
const char *intent_claim_path(const struct intent_parser *,
                              const struct intent_claim *);

/* JSON getters (parse-util.c): each reports what is wrong at the right
 * path and returns NULL / false / -1. */
const char *intent_json_type(const cJSON *);
bool intent_check_object(struct intent_parser *, const cJSON *,
                         const char *const *keys, size_t n_keys);
const cJSON *intent_get_member(struct intent_parser *, const cJSON *obj,
                               const char *key, bool required);
const char *intent_json_string(struct intent_parser *, const cJSON *);
const char *intent_get_string(struct intent_parser *, const cJSON *obj,
                              const char *key, bool required);
const cJSON *intent_get_array(struct intent_parser *, const cJSON *obj,
                              const char *key, bool required);
bool intent_json_int(struct intent_parser *, const cJSON *,
                     long long min, long long max, long long *out);
bool intent_get_bool(struct intent_parser *, const cJSON *obj,
                     const char *key, bool *out);
bool intent_get_int(struct intent_parser *, const cJSON *obj,
                    const char *key, bool required, long long min,
                    long long max, long long *out);
int intent_get_enum(struct intent_parser *, const cJSON *obj,
                    const char *key, const char *const *names,
                    size_t n_names, int dflt);

/* Addresses and names (addr.c).  IPv4 addresses are in host byte order. */
bool intent_parse_ipv4(const char *, uint32_t *ip);
uint32_t intent_plen_mask(int plen);
bool intent_parse_cidr(const char *, uint32_t *ip, int *plen);
bool intent_check_cidr(struct intent_parser *, const char *key,
                       const char *, uint32_t *ip, int *plen);
bool intent_parse_dpid(const char *, uint64_t *dpid);
bool intent_is_valid_ifname(const char *);
char *intent_ip_str(uint32_t ip, char buf[16]);
bool intent_get_ipv4(struct intent_parser *, const cJSON *obj,
                     const char *key, bool required, uint32_t *ip);
bool intent_check_in_subnet(struct intent_parser *, const char *key,
                            const struct intent_network *, uint32_t ip);
void intent_parse_host_mac(struct intent_parser *, const cJSON *obj,
                           struct eth_addr *);
void intent_parse_host_ip(struct intent_parser *, const cJSON *obj,
                          const struct intent_network *, bool is_vm,
                          bool *has_ip, ovs_be32 *ip);
void intent_claim_port(struct intent_parser *, size_t host_idx,
                       const char *key, const char *port);

/* Objects (network.c, host.c, vm.c). */
void intent_parse_network(struct intent_parser *, struct intent_network *,
                          const cJSON *, size_t i);
const struct intent_network *intent_lookup_network(struct intent_parser *,
                                                   const char *name);
void intent_parse_host(struct intent_parser *, const cJSON *, size_t i);
void intent_parse_vm(struct intent_parser *, const cJSON *, size_t i);
void intent_parse_categories(struct intent_parser *, const cJSON *,
                             struct smap *);

/* Policies (policy.c). */
void intent_parse_policies(struct intent_parser *, const cJSON *policies);
void intent_destroy_policies(struct intent *);

/* References between objects (xref.c). */
bool intent_bridge_carries(const struct intent_parser *,
                           const struct intent_bridge *,
                           const struct intent_network *);
uint32_t *intent_host_carrier(const struct intent_parser *, size_t host_idx,
                              const struct intent_network *);
const struct intent_bridge *intent_resolve_nic_bridge(
    struct intent_parser *, const struct intent_nic *,
    const struct intent_host *, const cJSON *);
void intent_link_bridge_nics(struct intent *);

#endif /* models/intent-private.h */
