/*
 * The intent model: what the operator asked for, parsed from JSON, fully
 * validated and immutable once loaded.
 *
 * intent_load_file() or intent_parse() build a model; every error found is
 * appended to 'errors' as one "PATH: message" line (for example
 * `vms[3].nics[0].network: unknown network "vlan130"`), and no model is
 * returned unless there were none.  A loaded model never changes: a reload
 * builds a new one beside the old and the caller swaps them only when the
 * new one is valid.
 *
 * The object structs below are visible because the pipeline compiler walks
 * them; treat every field as read-only.  Cross references are pointers into
 * the same model (a NIC's network, a bridge's host), so they stay valid for
 * the life of the model.  Arrays keep the order of the JSON file, which makes
 * compiled output deterministic.
 */
#ifndef MODELS_INTENT_H
#define MODELS_INTENT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"
#include "sset.h"

struct ds;
struct svec;
struct smap;

struct intent;
struct intent_host;
struct intent_bridge;
struct intent_vm;

/* Teaming mode of a bridge's uplink bond. */
enum intent_bond_mode {
    INTENT_BOND_ACTIVE_BACKUP,  /* One member carries everything. */
    INTENT_BOND_BALANCE_SLB,    /* Each source MAC pinned to one member. */
    INTENT_BOND_LACP,           /* IEEE 802.1AX (802.3ad) LACP. */
};

/* LACPDU transmission rate asked of the partner (and used by us). */
enum intent_lacp_rate {
    INTENT_LACP_SLOW,           /* Every 30 s; 90 s timeout. */
    INTENT_LACP_FAST,           /* Every 1 s; 3 s timeout. */
};

/* What an LACP bond does while no member has a partner. */
enum intent_lacp_fallback {
    INTENT_LACP_FALLBACK_AB,    /* Forward like active-backup. */
    INTENT_LACP_FALLBACK_NONE,  /* Forward nothing. */
};

#define INTENT_LACP_DEFAULT_SYSTEM_PRIORITY 65534
#define INTENT_LACP_DEFAULT_KEY 1

/* What a host adapter is for. */
enum intent_adapter_role {
    INTENT_ROLE_MANAGEMENT,
    INTENT_ROLE_HEARTBEAT,
    INTENT_ROLE_LIVE_MIGRATION,
    INTENT_ROLE_PROVISIONING,
    INTENT_ROLE_BACKPLANE,
    INTENT_ROLE_STORAGE,
    INTENT_ROLE_OTHER,
};

enum intent_nic_mode {
    INTENT_NIC_ACCESS,          /* Untagged; the network's VLAN is pushed. */
    INTENT_NIC_TRUNK,           /* Tagged with the VLANs of its networks. */
};

/* An L2 segment (VM network / port group / AHV network). */
struct intent_network {
    const char *name;
    size_t index;               /* Position in "networks". */
    uint16_t vlan;              /* 1..4094, or 0 for the untagged network. */

    bool has_subnet;
    ovs_be32 subnet;            /* Network address. */
    int prefix_len;             /* 0..32. */
    bool has_gateway;
    ovs_be32 gateway;
    bool has_pool;
    ovs_be32 pool_first, pool_last;
};

/* A bridge's uplink bond. */
struct intent_uplink {
    const char *name;           /* Bond name, e.g. "br0-up". */
    const char **members;       /* Port names, in file order. */
    size_t n_members;
    enum intent_bond_mode mode;
    const char *primary;        /* One of 'members', or NULL. */

    /* "lacp" mode only (defaults otherwise). */
    enum intent_lacp_rate lacp_rate;
    enum intent_lacp_fallback lacp_fallback;
    uint16_t lacp_system_priority;  /* 1..65535. */
    uint16_t lacp_key;              /* 1..65535. */
};

/* A host port with its own address: VMkernel port / host vNIC. */
struct intent_adapter {
    const char *name;
    const char *port;           /* OVS port name. */
    size_t index;               /* Position in the bridge's "adapters". */
    enum intent_adapter_role role;
    const struct intent_network *network;
    const struct intent_bridge *bridge;
    struct eth_addr mac;
    bool has_ip;
    ovs_be32 ip;
};

/* Local ports (VM NICs and host adapters) of one network on one bridge:
 * its flood group has a bucket for each, and one OpenFlow message (64 KiB)
 * must carry the whole group (models/limits.c). */
#define INTENT_MAX_PORTS_PER_NETWORK 1000

/* One vNIC of a VM. */
struct intent_nic {
    const struct intent_vm *vm;
    size_t index;               /* Position in the VM's "nics". */
    const char *port;           /* OVS port name, e.g. "tap0". */
    struct eth_addr mac;
    const struct intent_network *network;   /* Access or native network. */
    bool has_ip;
    ovs_be32 ip;
    const struct intent_bridge *bridge;     /* Resolved, never NULL. */
    const struct intent_bridge *migration_bridge; /* On the VM's
                                                    * 'migrating_to' host, or
                                                    * NULL. */
    enum intent_nic_mode mode;
    const struct intent_network **trunk_networks;   /* Trunk mode only. */
    size_t n_trunk_networks;
};

struct intent_bridge {
    const char *name;
    const struct intent_host *host;
    size_t index;               /* Position in the host's "bridges". */
    uint64_t datapath_id;
    struct intent_uplink uplink;
    const struct intent_network **networks;  /* Carried on the uplink. */
    size_t n_networks;
    const struct intent_adapter *adapters;
    size_t n_adapters;
    const struct intent_nic **nics;          /* VM NICs attached here. */
    size_t n_nics;
};

struct intent_host {
    const char *name;
    size_t index;
    const struct intent_bridge *bridges;
    size_t n_bridges;
};

struct intent_vm {
    const char *name;
    size_t index;               /* Position in "vms". */
    const struct intent_host *host;
    const struct intent_host *migrating_to; /* Destination of a live
                                             * migration in progress (its
                                             * bridges get the VM's flows
                                             * too), or NULL. */
    const struct smap *categories;           /* Never NULL; may be empty. */
    const struct intent_nic *nics;
    size_t n_nics;
};

/* Microsegmentation policies (docs/intent.md, "policies"). */
enum intent_policy_type {
    INTENT_POLICY_APPLICATION,  /* Inbound / outbound rules for a target. */
    INTENT_POLICY_ISOLATION,    /* No traffic between two groups. */
    INTENT_POLICY_QUARANTINE,   /* Named VMs cut off (strict / forensic). */
};

enum intent_policy_mode {
    INTENT_POLICY_ENFORCE,      /* Decides. */
    INTENT_POLICY_MONITOR,      /* Never decides: would-be denials are
                                 * counted (and logged), then the packet
                                 * goes on to the next policy. */
};

enum intent_quarantine_level {
    INTENT_QUARANTINE_STRICT,   /* Nothing in or out. */
    INTENT_QUARANTINE_FORENSIC, /* Only connections from 'forensic_from'. */
};

enum intent_protocol {
    INTENT_PROTO_ANY,
    INTENT_PROTO_TCP,
    INTENT_PROTO_UDP,
    INTENT_PROTO_ICMP,
};

/* A category selector, e.g. {"AppTier": "app", "Environment": "prod"}:
 * the VMs whose categories hold every pair.  Never empty (the model
 * refuses an empty selector). */
struct intent_selector {
    const struct smap *pairs;               /* Key -> value, never NULL. */
    const struct intent_vm **vms;           /* Matching VMs, file order;
                                             * may be empty (a warning). */
    size_t n_vms;
    const ovs_be32 *ips;        /* The distinct IPv4 addresses of their
                                 * NICs, in the order first seen. */
    size_t n_ips;
    const unsigned long *vm_map;    /* Bit 'index' set for each VM of
                                     * 'vms'; NULL if 'vms' is empty or
                                     * less than 1/64 of the VMs. */
};

enum intent_peer_kind {
    INTENT_PEER_ANY,            /* "any" */
    INTENT_PEER_SELECTOR,       /* A category selector: its VMs' NIC
                                 * addresses. */
    INTENT_PEER_CIDR,           /* {"cidr": "10.8.10.0/24"} */
};

/* The other end of a rule: "from" of an inbound rule, "to" of an outbound
 * one. */
struct intent_peer {
    enum intent_peer_kind kind;
    struct intent_selector selector;        /* INTENT_PEER_SELECTOR. */
    ovs_be32 cidr;                          /* INTENT_PEER_CIDR: network */
    int prefix_len;                         /* address and 0..32. */
};

/* An inclusive destination port range; a single port has min == max. */
struct intent_port_range {
    uint16_t min, max;
};

/* The most rules in one direction of one policy (the rule number must fit
 * in a flow cookie's low 7 bits; see pipelines/pipeline.h). */
#define INTENT_MAX_RULES 127

/* One allow rule of an application policy. */
struct intent_rule {
    const char *name;           /* "name" in the JSON, or NULL. */
    size_t index;               /* Position in its "allow" array. */
    bool inbound;               /* In "inbound" (else "outbound"). */
    struct intent_peer peer;
    enum intent_protocol protocol;
    const struct intent_port_range *ports;  /* TCP / UDP only; none means
                                             * every port. */
    size_t n_ports;
};

/* One direction of an application policy. */
struct intent_rule_set {
    bool default_allow;         /* "default": "allow" (else "deny"). */
    const struct intent_rule *rules;
    size_t n_rules;
};

struct intent_policy {
    const char *name;
    size_t index;               /* Position in "policies". */
    enum intent_policy_type type;
    enum intent_policy_mode mode;
    bool log;                   /* Log denied / would-be-denied new
                                 * connections. */

    /* INTENT_POLICY_APPLICATION. */
    struct intent_selector target;
    struct intent_rule_set inbound, outbound;

    /* INTENT_POLICY_ISOLATION: the two groups. */
    struct intent_selector between[2];

    /* INTENT_POLICY_QUARANTINE. */
    enum intent_quarantine_level level;
    const struct intent_vm **vms;           /* "vms", resolved. */
    size_t n_vms;
    const struct intent_selector *forensic_from;    /* Forensic only. */
    size_t n_forensic_from;

    /* The fields of the other types are empty: selectors with no pairs and
     * no VMs, directions that allow with no rules, no VMs. */
};

/* Loading. */
struct intent *intent_load_file(const char *path, struct svec *errors);
struct intent *intent_parse(const char *json_text, struct svec *errors);
void intent_destroy(struct intent *);

/* Whole-model access, in file order. */
size_t intent_n_networks(const struct intent *);
const struct intent_network *intent_network_at(const struct intent *,
                                               size_t);
size_t intent_n_hosts(const struct intent *);
const struct intent_host *intent_host_at(const struct intent *, size_t);
size_t intent_n_vms(const struct intent *);
const struct intent_vm *intent_vm_at(const struct intent *, size_t);
size_t intent_n_bridges(const struct intent *);   /* Over all hosts. */
size_t intent_n_nics(const struct intent *);      /* Over all VMs. */
size_t intent_n_policies(const struct intent *);
const struct intent_policy *intent_policy_at(const struct intent *, size_t);

/* Warnings found while loading a valid model (for example a selector
 * that no VM matches), one "PATH: message" line each; never NULL. */
const struct svec *intent_warnings(const struct intent *);

/* Lookups by key, O(1) through hash maps; NULL when absent. */
const struct intent_network *intent_find_network(const struct intent *,
                                                 const char *name);
const struct intent_host *intent_find_host(const struct intent *,
                                           const char *name);
const struct intent_vm *intent_find_vm(const struct intent *,
                                       const char *name);
const struct intent_policy *intent_find_policy(const struct intent *,
                                               const char *name);
const struct intent_bridge *intent_find_bridge_by_dpid(const struct intent *,
                                                       uint64_t dpid);
const struct intent_bridge *intent_host_find_bridge(
    const struct intent_host *, const char *name);

/* Names for enums, as spelled in the JSON. */
const char *intent_bond_mode_to_string(enum intent_bond_mode);
const char *intent_adapter_role_to_string(enum intent_adapter_role);
const char *intent_nic_mode_to_string(enum intent_nic_mode);
const char *intent_policy_type_to_string(enum intent_policy_type);
const char *intent_policy_mode_to_string(enum intent_policy_mode);
const char *intent_quarantine_level_to_string(enum intent_quarantine_level);
const char *intent_protocol_to_string(enum intent_protocol);

/* True if 'vm''s categories hold every pair of 'sel', a selector of a
 * valid model (its 'vms' are the VMs that do; 'vm_map' answers in one bit
 * test, else a binary search of 'vms').  'vm' must be a VM of the model
 * 'sel' belongs to. */
bool intent_selector_matches(const struct intent_selector *,
                             const struct intent_vm *);
/* True if quarantine 'p' names 'vm' (of the same model) among its VMs. */
bool intent_policy_quarantines(const struct intent_policy *,
                               const struct intent_vm *);

/* What differs between two valid models (models/compare.c), for the
 * incremental compile: names of the VMs and of the policies added, removed
 * or changed; 'other' if anything else differs ("version", "networks",
 * "hosts", or the order of the policies both have), which leaves only a
 * full compile.  When 'other' is true, 'vms' and 'policies' are empty. */
struct intent_change {
    bool other;
    struct sset vms;
    struct sset policies;
};
void intent_compare(const struct intent *old, const struct intent *new,
                    struct intent_change *);
void intent_change_destroy(struct intent_change *);

/* Compares application policy 'pa' of model 'a' with 'pb' of model 'b'
 * (the same policy name).  Returns true if they differ at most in the
 * rules of their "allow" lists: then sets bit i of 'inbound' (of
 * 'outbound'), bitmaps of INTENT_MAX_RULES bits, for each rule position i
 * that differs or that only one of them has.  Returns false, setting
 * nothing, if anything else differs. */
bool intent_compare_policy_rules(const struct intent *a,
                                 const struct intent_policy *pa,
                                 const struct intent *b,
                                 const struct intent_policy *pb,
                                 unsigned long *inbound,
                                 unsigned long *outbound);

/* The one-line summary "flowchainctl check" prints for a valid model, e.g.
 * "valid: 2 hosts, 6 bridges, 6 networks, 3 VMs, 3 NICs, 0 policies". */
void intent_format_summary(const struct intent *, struct ds *);

/* The JSON text the model was parsed from; its length in '*len'. */
const char *intent_text(const struct intent *, size_t *len);

#endif /* models/intent.h */
