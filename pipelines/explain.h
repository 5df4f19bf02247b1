/*
 * The explain evaluator: what one bridge's desired flows do to one packet.
 *
 * explain_create() inserts the flows of a flow set into one OVS classifier
 * per table (conjunctive matches included: a flow whose actions are
 * conjunction() actions goes in as a clause, as ofproto inserts it), and
 * explain_run() walks a packet through them from table 0, the way
 * ovs-vswitchd's translation would: goto_table, resubmit, set_field
 * (registers, VLAN, ...), register moves, push_vlan / pop_vlan, groups
 * (all: every bucket on a copy of the packet; fast failover: the first
 * bucket whose watch port is live in the port map; select: the first
 * bucket, since the hash OVS would use is not simulated, and a note says
 * so), output (never back to the ingress port), controller and drop.
 *
 * Conntrack is simplified: a ct() action with a table recirculates the
 * packet to that table with ct_state=+trk+new in the ct() zone, i.e. the
 * first packet of a new connection, as `ofproto/trace --ct-next trk,new`
 * does; ct(commit) changes nothing but is noted.
 *
 * Pure: no I/O, no global state.  The result points into the flow set
 * given to explain_create(), which must outlive both.
 */
#ifndef PIPELINES_EXPLAIN_H
#define PIPELINES_EXPLAIN_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/flow.h"
#include "openvswitch/types.h"

struct flowset;
struct flowset_flow;
struct portmap;

/* One flow lookup, or one remark about what the actions did. */
struct explain_step {
    int depth;                      /* 0 for the main pipeline, +1 per
                                     * resubmit or group bucket. */
    uint8_t table_id;
    const struct flowset_flow *flow;    /* The flow that matched, or NULL
                                         * for a remark ('note'), or for a
                                         * lookup that matched nothing. */
    char *note;                     /* Owned; NULL for a plain match. */
};

/* One copy of the packet leaving the bridge. */
struct explain_output {
    ofp_port_t port;                /* An OpenFlow port, or OFPP_CONTROLLER
                                     * for a copy to the controller. */
    struct flow packet;             /* As it leaves (VLAN, registers...). */
    size_t step;                    /* Index of the step whose flow's
                                     * actions output it. */
};

struct explain_result {
    struct explain_step *steps;
    size_t n_steps, allocated_steps;
    struct explain_output *outputs;
    size_t n_outputs, allocated_outputs;
    bool truncated;                 /* Hit the resubmit depth or step
                                     * limit, as OVS would (it drops). */
};

struct explain *explain_create(const struct flowset *,
                               const struct portmap *);
void explain_destroy(struct explain *);

/* Walks 'packet' (in_port and packet fields set; packet_type Ethernet)
 * through the flows from table 0 and fills 'result' (call
 * explain_result_destroy() after). */
void explain_run(const struct explain *, const struct flow *packet,
                 struct explain_result *result);
void explain_result_destroy(struct explain_result *);

/* The number of copies output to real ports (not the controller). */
size_t explain_result_n_port_outputs(const struct explain_result *);

#endif /* pipelines/explain.h */
