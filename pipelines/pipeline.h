/*
 * The pipeline compiler: (intent, bridge, port map) -> desired flow set.
 *
 * Pure: no I/O, no globals that change, same input, same output.  Each
 * stage lives in its own file (classify.c, vlan_in.c, port_security.c,
 * microseg.c, service_chain.c, l2_forward.c, egress.c, bond.c) and appends
 * its flows; this header is the only place that knows the table plan.
 */
#ifndef PIPELINES_PIPELINE_H
#define PIPELINES_PIPELINE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct ds;
struct flowset;
struct intent;
struct intent_adapter;
struct intent_bridge;
struct intent_network;
struct intent_nic;
struct intent_policy;
struct intent_rule;
struct intent_vm;
struct portmap;

/* The table plan.  Gaps are left so that stages can grow. */
enum pipeline_table {
    PIPELINE_T_CLASSIFY = 0,
    PIPELINE_T_VLAN_IN = 10,
    PIPELINE_T_PORT_SECURITY = 20,
    PIPELINE_T_MICROSEG_OUT = 30,       /* Source side: conntrack. */
    PIPELINE_T_MS_OUT_STATE = 31,       /* Replies pass; else evaluate. */
    PIPELINE_T_MS_OUT_EVAL = 32,        /* One policy (by resubmit). */
    PIPELINE_T_MS_OUT_VERDICT = 33,     /* Allow (commit) or deny. */
    PIPELINE_T_MS_OUT_CLASS = 34,       /* Peer classes (by resubmit). */
    PIPELINE_T_SERVICE_CHAIN = 40,
    PIPELINE_T_L2_FORWARD = 50,
    PIPELINE_T_MICROSEG_IN = 55,        /* Destination side: conntrack. */
    PIPELINE_T_MS_IN_STATE = 56,
    PIPELINE_T_MS_IN_EVAL = 57,
    PIPELINE_T_MS_IN_VERDICT = 58,
    PIPELINE_T_MS_IN_CLASS = 59,
    PIPELINE_T_EGRESS = 60,
};

/* Name of table 'id' ("classify", ...), or NULL if it is not in the plan. */
const char *pipeline_table_name(uint8_t id);

/* Compiles the flows and groups of 'bridge' (which belongs to 'intent') for
 * a switch whose ports are 'ports', and adds them to 'out'. */
void pipeline_compile(const struct intent *, const struct intent_bridge *,
                      const struct portmap *, struct flowset *out);

/* A memo of the flows that are the same on every bridge of an intent that
 * uses them: today the EVAL, CLASS and VERDICT flows of a policy's
 * evaluations on one side, which depend on the policy and its peers, not
 * on the bridge.
 * pipeline_compile_memo() compiles such a block once and gives the next
 * bridges the same (immutable, shared) flows: the same flow set as
 * pipeline_compile(), for less time and, where several bridges are held,
 * less memory.  A memo serves one intent; it holds a reference to each
 * flow it shares until it is destroyed. */
struct pipeline_memo;
struct pipeline_memo *pipeline_memo_create(const struct intent *);
void pipeline_memo_destroy(struct pipeline_memo *);
const struct intent *pipeline_memo_intent(const struct pipeline_memo *);
size_t pipeline_memo_n_flows(const struct pipeline_memo *);
void pipeline_compile_memo(const struct intent *, const struct intent_bridge *,
                           const struct portmap *, struct pipeline_memo *,
                           struct flowset *out);

/* The incremental compile (pipelines/delta.c): what a change of intent
 * from 'old' to 'new' (both valid) touches, named by flow cookies.  NULL
 * from pipeline_delta_create() means "compile every bridge in full". */
struct pipeline_delta;
struct pipeline_delta *pipeline_delta_create(const struct intent *old,
                                             const struct intent *new);
void pipeline_delta_destroy(struct pipeline_delta *);
bool pipeline_delta_is_empty(const struct pipeline_delta *);
void pipeline_delta_count(const struct pipeline_delta *, size_t *n_vms,
                          size_t *n_policies);
bool pipeline_delta_touches(const struct pipeline_delta *, uint64_t cookie);
bool pipeline_delta_touches_policy(const struct pipeline_delta *,
                                   const struct intent_policy *);
/* How much of a policy's flows a partial compile recomputes. */
enum pipeline_delta_scope {
    PIPELINE_DELTA_UNTOUCHED,   /* None. */
    PIPELINE_DELTA_PARTS,       /* Its touched rules' flows and its peer
                                 * flows for touched VMs' addresses. */
    PIPELINE_DELTA_WHOLE,       /* All. */
};
enum pipeline_delta_scope pipeline_delta_policy(
    const struct pipeline_delta *, const struct intent_policy *,
    bool *subjects);
bool pipeline_delta_touches_rule(const struct pipeline_delta *,
                                 const struct intent_policy *,
                                 const struct intent_rule *);
bool pipeline_delta_touches_addr(const struct pipeline_delta *, ovs_be32 ip);
bool pipeline_delta_touches_vm(const struct pipeline_delta *,
                               const struct intent_vm *);
bool pipeline_delta_touches_dispatch(const struct pipeline_delta *,
                                     bool inbound, uint32_t dispatch_id);
bool pipeline_delta_has_dispatches(const struct pipeline_delta *,
                                   bool inbound);

/* Compiles, like pipeline_compile(), only the flows of 'bridge' that
 * 'delta' touches, and all of its groups.  Compiling them with the old
 * model and with the new one (same port map) gives the flows to take out
 * of the bridge's desired set and those to put in: the result equals a
 * full compile of the new model.  A null 'delta' compiles everything. */
void pipeline_compile_partial(const struct intent *,
                              const struct intent_bridge *,
                              const struct portmap *,
                              const struct pipeline_delta *,
                              struct flowset *out);

/* Returns true if 'br' has an LACP uplink and no member in 'ports' has an
 * LACP partner: the bond forwards by its "lacp_fallback". */
bool pipeline_bond_in_fallback(const struct intent_bridge *,
                               const struct portmap *);

/* Compiles the flow set given to a switch whose datapath ID is not in the
 * intent: table 0 drops everything. */
void pipeline_compile_unknown(struct flowset *out);

/* Cookies: which intent object produced a flow (docs/pipeline.md).
 *
 *   bits 63..56  0xfc, flowchain's marker (reconciliation knows its own)
 *   bits 55..48  kind (enum pipeline_cookie_kind)
 *   bits 47..8   40-bit stable hash of the object's name (low 40 bits of
 *                the 64-bit FNV-1a hash of the name's bytes)
 *   bits 7..0    NIC index within the VM (0 for other kinds)
 *
 * `ovs-ofctl dump-flows br0 cookie=C/PIPELINE_COOKIE_OBJECT_MASK` with
 * C = pipeline_cookie_vm(vm) selects all of one VM's flows (every NIC);
 * with C = pipeline_cookie_nic(nic) and mask PIPELINE_COOKIE_EXACT_MASK,
 * one NIC's. */
#define PIPELINE_COOKIE_MARKER      0xfc00000000000000ULL
#define PIPELINE_COOKIE_MARKER_MASK 0xff00000000000000ULL
#define PIPELINE_COOKIE_KIND_MASK   0xffff000000000000ULL
#define PIPELINE_COOKIE_OBJECT_MASK 0xffffffffffffff00ULL
#define PIPELINE_COOKIE_EXACT_MASK  0xffffffffffffffffULL

enum pipeline_cookie_kind {
    PIPELINE_COOKIE_BRIDGE = 1,     /* Bridge-wide flows (table misses,
                                     * pass-through stages). */
    PIPELINE_COOKIE_NETWORK = 2,    /* A network on this bridge. */
    PIPELINE_COOKIE_NIC = 3,        /* A VM's NIC; name = the VM's. */
    PIPELINE_COOKIE_ADAPTER = 4,    /* A host adapter. */
    PIPELINE_COOKIE_UPLINK = 5,     /* The uplink bond. */

    /* Policy flows; name = the policy's, low 8 bits = the rule
     * (pipeline_cookie_policy()).  The kind says what the flow's
     * counters mean, so policy statistics are a sum over cookies. */
    PIPELINE_COOKIE_POLICY = 6,     /* Plumbing: dispatch, peer and port
                                     * clauses; its counters mean nothing. */
    PIPELINE_COOKIE_POLICY_ALLOW = 7,   /* A rule allowed the packet (or,
                                         * in monitor mode, would have). */
    PIPELINE_COOKIE_POLICY_DENY = 8,    /* The policy denied the packet. */
    PIPELINE_COOKIE_POLICY_MONITOR = 9, /* A monitored policy would have
                                         * denied it; it passed on. */
    /* 10..255: reserved (service chains). */
};

/* Low 8 bits of a policy cookie: bits 6..0 the rule's index + 1, or 0
 * for a direction's default or the policy as a whole (a quarantine or an
 * isolation); bit 7 set for an application policy's inbound side (its
 * rules and its inbound default), clear for its outbound side and for
 * quarantine and isolation policies (which have no direction). */
#define PIPELINE_COOKIE_RULE_INBOUND 0x80u
#define PIPELINE_COOKIE_RULE_MASK 0x7fu

/* The OpenFlow meter that rate-limits the policy hit log: every packet
 * that a policy flow sends to the controller goes through it
 * (controller(meter_id=1)).  The controller installs it on connect. */
#define PIPELINE_METER_HIT_LOG 1u

/* Flow priorities of the policy flows that send packets to the
 * controller are not part of this contract; their cookie is. */

uint64_t pipeline_cookie_name_hash(const char *name);
uint64_t pipeline_cookie_make(enum pipeline_cookie_kind, const char *name,
                              unsigned int index);
uint64_t pipeline_cookie_vm(const struct intent_vm *);
uint64_t pipeline_cookie_nic(const struct intent_nic *);
uint64_t pipeline_cookie_network(const struct intent_network *);
uint64_t pipeline_cookie_adapter(const struct intent_adapter *);
uint64_t pipeline_cookie_uplink(const struct intent_bridge *);
uint64_t pipeline_cookie_bridge(const struct intent_bridge *);
/* Cookie of kind 'kind' (one of the PIPELINE_COOKIE_POLICY* kinds) for
 * policy 'p', with 'rule_bits' (pipeline_cookie_rule_bits()) in the low
 * 8 bits. */
uint64_t pipeline_cookie_policy(enum pipeline_cookie_kind,
                                const struct intent_policy *p,
                                unsigned int rule_bits);
/* The low 8 bits of a policy cookie: PIPELINE_COOKIE_RULE_INBOUND if
 * 'inbound', or'd with rule's index + 1 ('rule' may be NULL: the
 * direction's default, or the policy as a whole). */
unsigned int pipeline_cookie_rule_bits(bool inbound,
                                       const struct intent_rule *rule);
/* Finds, in 'intent', the policy and rule that policy cookie 'cookie'
 * (host byte order) names.  Returns the policy, or NULL if none; sets
 * '*rulep' to the rule or NULL (the policy as a whole).  'kindp', if
 * nonnull, gets the cookie's kind. */
const struct intent_policy *pipeline_cookie_find_policy(
    const struct intent *, uint64_t cookie,
    const struct intent_rule **rulep, enum pipeline_cookie_kind *kindp);
/* True if 'cookie' carries flowchain's marker. */
bool pipeline_cookie_is_ours(uint64_t cookie);
/* Appends to 's' the intent object that 'cookie' (host byte order) names
 * in 'intent', e.g. "VM web1 NIC 0", "network vlan101", "policy web-app
 * inbound rule 1 \"web-to-app\" (allow)", or "unknown object" when no
 * object of 'intent' has its name hash. */
void pipeline_cookie_format(const struct intent *, uint64_t cookie,
                            struct ds *);

/* Group IDs (stable, documented in docs/pipeline.md). */
#define PIPELINE_GROUP_BOND 1u                  /* Active-backup fast
                                                 * failover over the uplink
                                                 * members, or LACP's select
                                                 * group. */
#define PIPELINE_GROUP_FLOOD_LOCAL_BASE 0x10000u   /* | VLAN: flood from a
                                                    * local port. */
#define PIPELINE_GROUP_FLOOD_UPLINK_BASE 0x20000u  /* | VLAN: flood from the
                                                    * uplink. */
uint32_t pipeline_group_flood_local(uint16_t vlan);
uint32_t pipeline_group_flood_uplink(uint16_t vlan);

#endif /* pipelines/pipeline.h */
