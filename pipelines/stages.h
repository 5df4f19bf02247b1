/*
 * Private to pipelines/: the compile context the stages share, the
 * registers, the priorities, and one entry point per stage.
 *
 * Table numbers live only in pipeline.h (enum pipeline_table); priorities
 * and register values live only here.  docs/pipeline.md explains them.
 */
#ifndef PIPELINES_STAGES_H
#define PIPELINES_STAGES_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/match.h"
#include "openvswitch/types.h"
#include "pipelines/pipeline.h"

/* The others are declared by pipelines/pipeline.h. */
struct ofpbuf;
struct portmap;
struct portmap_port;
struct intent_rule_set;

/* Registers.
 *
 * reg0: the ingress role, set by classify; reg2: the output, set by
 * l2_forward (or by a flood group bucket) and consumed by egress; reg8:
 * on a balance-slb bond's bridge, the member that the local port a frame
 * came from is pinned to, set by classify and consumed by egress. */
#define PIPELINE_REG_ROLE 0
#define PIPELINE_REG_OUT 2
#define PIPELINE_REG_PIN 8

/* Microsegmentation registers (microseg.c, docs/pipeline.md):
 *
 * reg1: the dispatch of the local VM port being policed (which policies
 *       its STATE flow evaluates), set by its ENTRY flow;
 * reg3: the conntrack zone of the local VM port being policed;
 * reg4: the policy evaluation a resubmit to an EVAL table performs;
 * reg5: verdict bits (PIPELINE_MS_*);
 * reg6: the policy a denial is counted against;
 * reg7: the peer classes of the packet's peer address for the application
 *       policy being evaluated (one bit per distinct peer selector of its
 *       rules on that side, set by the CLASS table). */
#define PIPELINE_REG_DISPATCH 1
#define PIPELINE_REG_ZONE 3
#define PIPELINE_REG_POLICY 4
#define PIPELINE_REG_VERDICT 5
#define PIPELINE_REG_DENIER 6
#define PIPELINE_REG_CLASS 7

/* The most peer classes of one side of one application policy (the bits
 * of reg7).  The rules whose selector comes later match the selector's
 * addresses one by one. */
#define PIPELINE_MS_MAX_CLASSES 32

#define PIPELINE_MS_DENY 0x1u           /* An enforcing quarantine or
                                         * isolation denied: final. */
#define PIPELINE_MS_ALLOW_FINAL 0x2u    /* A forensic quarantine allowed:
                                         * final. */
#define PIPELINE_MS_DECIDED (PIPELINE_MS_DENY | PIPELINE_MS_ALLOW_FINAL)
#define PIPELINE_MS_APP_ALLOW 0x4u      /* An enforcing application policy
                                         * allowed. */
#define PIPELINE_MS_APP_DENY 0x8u       /* An enforcing application policy
                                         * with a default deny targets the
                                         * VM. */

enum pipeline_role {
    PIPELINE_ROLE_VM = 1,           /* A VM's vNIC. */
    PIPELINE_ROLE_ADAPTER = 2,      /* A host adapter. */
    PIPELINE_ROLE_UPLINK = 3,       /* The accepting uplink member. */
};

/* reg2 value meaning "the uplink" (above any 16-bit OpenFlow port
 * number); otherwise reg2 holds the output port's number. */
#define PIPELINE_OUT_UPLINK 0x10000u

/* Priorities, per table.  Every table ends in a priority-0 table-miss
 * flow (a drop, or a goto for pass-through stages). */
#define PIPELINE_PRIO_MISS 0

#define CLASSIFY_PRIO_LACP 110          /* LACPDUs on an uplink member. */
#define CLASSIFY_PRIO_LOCAL 100         /* in_port and own source MAC of a
                                         * vNIC / adapter (access: only
                                         * untagged). */
#define CLASSIFY_PRIO_REFLECTION 90     /* SLB: local source MAC coming back
                                         * from the uplink: drop. */
#define CLASSIFY_PRIO_UPLINK_MCAST 85   /* SLB: multicast on a member that is
                                         * not the designated one: drop. */
#define CLASSIFY_PRIO_UPLINK 80         /* in_port of an uplink member. */

#define VLAN_IN_PRIO_ADMIT 100          /* Admitted (port, VLAN) pairs. */

#define PS_PRIO_UPLINK 100              /* Uplink skips port security. */
#define PS_PRIO_DENY 200                /* DHCP server replies, IPv6 RAs. */
#define PS_PRIO_IP_ALLOW 100            /* Own IPv4 / ARP. */
#define PS_PRIO_DHCP 95                 /* DHCP discover from 0.0.0.0 (one
                                         * flow a bridge). */
#define PS_PRIO_IP_DENY 90              /* A trunk's native network: any
                                         * other IPv4 / ARP. */
#define PS_PRIO_MAC_IP_ALLOW 80         /* Without an address (or a trunk's
                                         * other networks): any IPv4, ARP
                                         * with own MAC as sha. */
#define PS_PRIO_L3_DENY 70              /* Any other IPv4 / ARP from a local
                                         * port (two flows a bridge). */

#define L2_PRIO_UNICAST 100             /* (VLAN, local MAC) -> port. */
#define L2_PRIO_FLOOD_FROM_UPLINK 60    /* Multicast from the uplink. */
#define L2_PRIO_FLOOD 50                /* Multicast from a local port. */
#define L2_PRIO_UPLINK_UNKNOWN 20       /* Unknown unicast from the uplink:
                                         * drop. */
#define L2_PRIO_TO_UPLINK 10            /* Unknown unicast from a local
                                         * port: to the uplink. */

#define EGRESS_PRIO_OUTPUT 100          /* reg2 -> output. */

/* Microsegmentation, per side (out: tables 30-34, in: 55-59). */
#define MS_PRIO_ARP 110                 /* ARP is never policed. */
#define MS_PRIO_ENTRY 100               /* Policed port: to STATE. */

#define MS_PRIO_STATE_CT 300            /* Untracked IPv4: conntrack. */
#define MS_PRIO_STATE_NON_IP_DENY 290   /* Untracked, other EtherTypes of a
                                         * dispatch that denies them. */
#define MS_PRIO_STATE_NON_IP 280        /* Untracked, other EtherTypes. */
#define MS_PRIO_STATE_QUARANTINE 200    /* Quarantined port: every packet
                                         * is evaluated, replies too. */
#define MS_PRIO_STATE_INVALID 150       /* ct_state=+inv: drop. */
#define MS_PRIO_STATE_REPLY 100         /* Replies / related, mark 0. */
#define MS_PRIO_STATE_REPLY_CUT 90      /* Replies / related, mark 1. */
#define MS_PRIO_STATE_LOCAL_SENDER 60   /* In side, sender on this bridge:
                                         * dispatch without isolation. */
#define MS_PRIO_STATE_DISPATCH 50       /* Original direction: dispatch. */

#define MS_PRIO_EVAL_RULE 1000          /* Minus the rule's index. */
#define MS_PRIO_EVAL_PEER 500           /* Quarantine / isolation peers. */
#define MS_PRIO_EVAL_DEFAULT 10         /* The policy's default. */
#define MS_PRIO_CLASS 100               /* A peer address's classes. */

#define MS_PRIO_VERDICT_FINAL 400
#define MS_PRIO_VERDICT_DENY 300
#define MS_PRIO_VERDICT_APP_ALLOW 250
#define MS_PRIO_VERDICT_APP_DENY 200
/* A flow whose only difference is "ct_state=+new" is one priority up. */

/* A local port of the bridge (a vNIC or a host adapter) that the switch
 * has: the stages' view of both kinds. */
struct pipeline_port {
    const struct intent_nic *nic;           /* Exactly one of these two */
    const struct intent_adapter *adapter;   /* is nonnull. */
    const char *name;                       /* OVS port name. */
    ofp_port_t ofp_port;
    struct eth_addr mac;
    bool has_ip;
    ovs_be32 ip;
    const struct intent_network *network;   /* Access / native network. */
    bool trunk;
    const struct intent_network *const *trunk_networks;
    size_t n_trunk_networks;
    enum pipeline_role role;
    ovs_be64 cookie;
};

/* Everything the stages need while compiling one bridge. */
struct pipeline_ctx {
    const struct intent *intent;
    const struct intent_bridge *br;
    const struct portmap *portmap;
    struct flowset *out;

    /* The local ports present in 'portmap': adapters then vNICs, in file
     * order. */
    struct pipeline_port *ports;
    size_t n_ports;

    /* Every network with a local port or carried on the uplink: the
     * bridge's networks first, then the others in order of first use. */
    const struct intent_network **nets;
    size_t n_nets;

    /* Indexed by intent_network 'index': whether the uplink carries the
     * network, and the local ports ('ports' indexes, in 'ports' order)
     * that are members of it: its access / native network, and for a
     * trunk port each network pipeline_port_is_trunk_tagged() accepts. */
    bool *carried;
    struct pipeline_members {
        size_t *ports;
        size_t n, allocated;
    } *members_of;

    /* Uplink members present in 'portmap', in bond order (active-backup:
     * the primary first, then file order; balance-slb: file order). */
    const struct portmap_port **members;
    size_t n_members;

    ovs_be64 bridge_cookie;
    ovs_be64 uplink_cookie;

    /* A partial compile (pipelines/delta.c): only the flows 'delta'
     * touches, and those added while 'force' is true. */
    const struct pipeline_delta *delta;
    bool force;

    /* A full compile with a memo (pipeline_compile_memo()): the block of
     * flows being compiled for the memo, which records each flow added. */
    struct pipeline_memo *memo;
    struct pipeline_memo_block *recording;
};

/* Shared helpers (pipeline.c). */
void pipeline_add_flow(struct pipeline_ctx *, enum pipeline_table,
                       uint16_t priority, const struct match *,
                       ovs_be64 cookie, const struct ofpbuf *ofpacts);
/* True if a partial compile leaves out every flow with 'cookie': what
 * pipeline_add_flow() would do to each, checked before building them. */
bool pipeline_skips_cookie(const struct pipeline_ctx *, ovs_be64 cookie);
void pipeline_add_miss(struct pipeline_ctx *, enum pipeline_table,
                       bool to_next, enum pipeline_table next);
void pipeline_put_goto(struct ofpbuf *, enum pipeline_table);
void pipeline_put_load_reg(struct ofpbuf *, int reg, uint32_t value);
void pipeline_match_network(struct match *, const struct intent_network *);
void pipeline_match_multicast(struct match *, bool multicast);
bool pipeline_network_carried(const struct pipeline_ctx *,
                              const struct intent_network *);
bool pipeline_port_is_trunk_tagged(const struct pipeline_port *,
                                   const struct intent_network *, size_t j);
bool pipeline_port_is_native(const struct pipeline_port *,
                             const struct intent_network *);

/* A block of flows the memo shares between bridges, keyed by 'key' (a
 * stage's own numbering of what the block depends on).  If the memo has
 * the block, adds its flows to 'ctx->out' and returns true: the caller
 * compiles nothing.  Otherwise returns false, and the flows the caller
 * adds until pipeline_memo_end() become the block.  Without a memo (or in
 * a partial compile) returns false and records nothing. */
bool pipeline_memo_begin(struct pipeline_ctx *, uint64_t key);
void pipeline_memo_end(struct pipeline_ctx *);

/* Stages, in pipeline order.  Each appends its flows to 'ctx->out'. */
void pipeline_classify(struct pipeline_ctx *);
void pipeline_vlan_in(struct pipeline_ctx *);
void pipeline_port_security(struct pipeline_ctx *);
void pipeline_microseg_out(struct pipeline_ctx *);
void pipeline_service_chain(struct pipeline_ctx *);
void pipeline_l2_forward(struct pipeline_ctx *);
void pipeline_microseg_in(struct pipeline_ctx *);
void pipeline_egress(struct pipeline_ctx *);

/* For classify's flow of local port 'p': admits an access port's untagged
 * frames there (restricts 'match', appends the VLAN push to 'ofpacts') and
 * returns the table the flow goes to: port_security for an access port,
 * vlan_in for a trunk (vlan_in.c). */
enum pipeline_table pipeline_vlan_in_local(const struct pipeline_port *,
                                           struct match *,
                                           struct ofpbuf *ofpacts);

/* True if rule sets 'a' and 'b' have the same peer classes: the same
 * distinct peer selectors, in the same order (microseg.c). */
bool pipeline_microseg_same_classes(const struct intent_rule_set *a,
                                    const struct intent_rule_set *b);

/* Sets 'ids[0]' and 'ids[1]' to the dispatch IDs (reg1) of 'vm''s ports on
 * the source and destination sides of the microsegmentation stage, or to 0
 * where they are not policed (microseg.c). */
void pipeline_microseg_dispatch_ids(const struct intent *,
                                    const struct intent_vm *,
                                    uint32_t ids[2]);

/* For tests: keeps only the bits of 'mask' of every dispatch ID (reg1) the
 * microsegmentation stage computes from then on (all ones by default), so
 * that distinct dispatches share IDs and get per-port STATE flows. */
void pipeline_microseg_set_dispatch_id_mask(uint32_t mask);

/* Policy evaluation IDs (reg4) and conjunction IDs (cookie.c). */
uint32_t pipeline_policy_eval_id(const struct intent_policy *,
                                 unsigned int role);
uint32_t pipeline_policy_conj_id(const struct intent_policy *,
                                 unsigned int rule_bits);

/* Bond logic (bond.c), called by classify and egress. */
void pipeline_bond_classify(struct pipeline_ctx *);
void pipeline_bond_egress(struct pipeline_ctx *);
void pipeline_bond_put_pin(const struct pipeline_ctx *,
                           const struct pipeline_port *, struct ofpbuf *);
const struct portmap_port *pipeline_bond_slb_member(
    const struct pipeline_ctx *, struct eth_addr);

#endif /* pipelines/stages.h */
