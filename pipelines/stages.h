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

/* Registers.
 *
 * reg0: the ingress role, set by classify; reg2: the output, set by
 * l2_forward (or by a flood group bucket) and consumed by egress. */
#define PIPELINE_REG_ROLE 0
#define PIPELINE_REG_OUT 2

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

#define CLASSIFY_PRIO_LOCAL 100         /* in_port of a vNIC / adapter. */
#define CLASSIFY_PRIO_REFLECTION 90     /* SLB: local source MAC coming back
                                         * from the uplink: drop. */
#define CLASSIFY_PRIO_UPLINK_MCAST 85   /* SLB: multicast on a member that is
                                         * not the designated one: drop. */
#define CLASSIFY_PRIO_UPLINK 80         /* in_port of an uplink member. */

#define VLAN_IN_PRIO_ADMIT 100          /* Admitted (port, VLAN) pairs. */

#define PS_PRIO_UPLINK 100              /* Uplink skips port security. */
#define PS_PRIO_DENY 200                /* DHCP server replies, IPv6 RAs. */
#define PS_PRIO_IP_ALLOW 100            /* Own MAC and own IPv4 / ARP. */
#define PS_PRIO_IP_DENY 90              /* Any other IPv4 / ARP. */
#define PS_PRIO_ARP_ALLOW 80            /* ARP with own MAC as sha. */
#define PS_PRIO_ARP_DENY 70             /* Any other ARP. */
#define PS_PRIO_MAC_ALLOW 50            /* Anything else from own MAC. */

#define L2_PRIO_UNICAST 100             /* (VLAN, local MAC) -> port. */
#define L2_PRIO_FLOOD_FROM_UPLINK 60    /* Multicast from the uplink. */
#define L2_PRIO_FLOOD 50                /* Multicast from a local port. */
#define L2_PRIO_UPLINK_UNKNOWN 20       /* Unknown unicast from the uplink:
                                         * drop. */
#define L2_PRIO_TO_UPLINK 10            /* Unknown unicast from a local
                                         * port: to the uplink. */

#define EGRESS_PRIO_OUTPUT 100          /* reg2 -> output. */

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
};

/* Shared helpers (pipeline.c). */
void pipeline_add_flow(struct pipeline_ctx *, enum pipeline_table,
                       uint16_t priority, const struct match *,
                       ovs_be64 cookie, const struct ofpbuf *ofpacts);
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

/* Stages, in pipeline order.  Each appends its flows to 'ctx->out'. */
void pipeline_classify(struct pipeline_ctx *);
void pipeline_vlan_in(struct pipeline_ctx *);
void pipeline_port_security(struct pipeline_ctx *);
void pipeline_microseg_out(struct pipeline_ctx *);
void pipeline_service_chain(struct pipeline_ctx *);
void pipeline_l2_forward(struct pipeline_ctx *);
void pipeline_microseg_in(struct pipeline_ctx *);
void pipeline_egress(struct pipeline_ctx *);

/* Bond logic (bond.c), called by classify and egress. */
void pipeline_bond_classify(struct pipeline_ctx *);
void pipeline_bond_egress(struct pipeline_ctx *);
const struct portmap_port *pipeline_bond_slb_member(
    const struct pipeline_ctx *, struct eth_addr);

#endif /* pipelines/stages.h */
