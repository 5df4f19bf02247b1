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
    INTENT_BOND_LACP,           /* 802.3ad; refused until implemented. */
};

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
    const struct smap *categories;           /* Never NULL; may be empty. */
    const struct intent_nic *nics;
    size_t n_nics;
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

/* Lookups by key, O(1) through hash maps; NULL when absent. */
const struct intent_network *intent_find_network(const struct intent *,
                                                 const char *name);
const struct intent_host *intent_find_host(const struct intent *,
                                           const char *name);
const struct intent_vm *intent_find_vm(const struct intent *,
                                       const char *name);
const struct intent_bridge *intent_find_bridge_by_dpid(const struct intent *,
                                                       uint64_t dpid);
const struct intent_bridge *intent_host_find_bridge(
    const struct intent_host *, const char *name);

/* Names for enums, as spelled in the JSON. */
const char *intent_bond_mode_to_string(enum intent_bond_mode);
const char *intent_adapter_role_to_string(enum intent_adapter_role);
const char *intent_nic_mode_to_string(enum intent_nic_mode);

/* The one-line summary "flowchainctl check" prints for a valid model, e.g.
 * "valid: 2 hosts, 6 bridges, 6 networks, 3 VMs, 3 NICs". */
void intent_format_summary(const struct intent *, struct ds *);

#endif /* models/intent.h */
