/*
 * A flow set: the OpenFlow flows and groups of one bridge, as structs.
 *
 * The pipeline compiler fills a desired flow set; the controller keeps an
 * installed one per switch.  Flows are keyed, as OpenFlow keys them, by
 * (table, priority, match); groups by group ID.  Both live in hash tables,
 * so flowset_diff() costs O(size of the smaller side + changes) and a
 * lookup is O(1).
 *
 * Flows are immutable and shared: a struct flowset_flow is one allocation
 * (key, cookie, match and actions together), reference-counted, and any
 * number of flow sets may hold the same one, each through a small node of
 * its own (struct flowset_member) in its hmap.  flowset_add_flow() builds a
 * new flow from the match and actions it is given; flowset_add_shared()
 * adds a flow of another set without copying it, which is how the
 * controller's installed set takes over the flows of the desired set a
 * bundle installed.  Nothing may change a flow once it is in a set:
 * "replacing" a flow puts a different one in its place.  Groups are few
 * and still owned, one copy per set.
 */
#ifndef PIPELINES_FLOWSET_H
#define PIPELINES_FLOWSET_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/types.h"

struct ds;
struct ofpact;
struct ofpbuf;
struct ofputil_port_map;

/* One flow.  Immutable once built; the match and the actions live in the
 * same allocation, after the struct. */
struct flowset_flow {
    uint32_t hash;              /* Of the key (table, priority, match). */
    uint32_t ref_cnt;           /* Flow sets holding it.  Private. */
    ovs_be64 cookie;
    struct minimatch match;     /* Points into this allocation. */
    const struct ofpact *ofpacts;  /* Points into this allocation. */
    uint32_t ofpacts_len;
    uint16_t priority;
    uint8_t table_id;
};

/* A flow's place in one set.  A shared flow cannot sit in the hmaps of
 * several sets through one node of its own, so each set holds its flows
 * through these, one per flow it holds. */
struct flowset_member {
    struct hmap_node node;      /* In flowset 'flows', by the flow's hash. */
    const struct flowset_flow *flow;    /* Holds a reference. */
};

struct flowset_group {
    struct hmap_node node;      /* In flowset 'groups', by group_id. */
    uint32_t group_id;
    uint8_t type;               /* OFPGT11_ALL, OFPGT11_SELECT,
                                 * OFPGT11_FF. */
    struct ovs_list buckets;    /* struct ofputil_bucket, owned. */
};

struct flowset {
    struct hmap flows;          /* struct flowset_member. */
    struct hmap groups;
    struct flowset_pool *pool;  /* Where the members live.  Private. */
};

void flowset_init(struct flowset *);
void flowset_destroy(struct flowset *);
void flowset_clear(struct flowset *);
void flowset_swap(struct flowset *, struct flowset *);
/* Initializes 'dst' as a copy of 'src': the same (shared) flows, copies
 * of the groups. */
void flowset_clone(struct flowset *dst, const struct flowset *src);

/* Adds a new flow built from 'match' and a copy of 'ofpacts'.  A flow with
 * the same key already present is replaced (the last writer wins). */
const struct flowset_flow *flowset_add_flow(struct flowset *,
                                            uint8_t table_id,
                                            uint16_t priority,
                                            const struct match *,
                                            ovs_be64 cookie,
                                            const struct ofpact *ofpacts,
                                            size_t ofpacts_len);
/* Same, from an already built minimatch and malloc'ed ofpacts, which it
 * takes over (and frees: the flow holds copies). */
const struct flowset_flow *flowset_add_flow_owned(struct flowset *,
                                                  uint8_t table_id,
                                                  uint16_t priority,
                                                  struct minimatch *,
                                                  ovs_be64 cookie,
                                                  struct ofpact *ofpacts,
                                                  size_t ofpacts_len);
/* Adds 'flow' (of any flow set) itself, not a copy: both sets hold it.  A
 * flow with the same key already present is replaced. */
void flowset_add_shared(struct flowset *, const struct flowset_flow *flow);
/* Takes and drops a reference to a flow, for holders other than flow sets
 * (a pipeline memo keeps the flows it shares between bridges).  The last
 * reference dropped frees the flow. */
const struct flowset_flow *flowset_flow_ref(const struct flowset_flow *);
void flowset_flow_unref(const struct flowset_flow *);
const struct flowset_flow *flowset_find_flow(const struct flowset *,
                                             uint8_t table_id,
                                             uint16_t priority,
                                             const struct minimatch *);
/* Removes 'flow' from the set (frees it unless another set holds it). */
void flowset_remove_flow(struct flowset *, const struct flowset_flow *);

/* Adds a group of 'type' with no buckets; the caller appends buckets with
 * flowset_group_add_bucket().  Replaces a group with the same ID. */
struct flowset_group *flowset_add_group(struct flowset *, uint32_t group_id,
                                        uint8_t type);
/* Appends a bucket to 'g'; copies 'ofpacts'.  'watch_port' is OFPP_ANY
 * unless the group is fast-failover. */
void flowset_group_add_bucket(struct flowset_group *, ofp_port_t watch_port,
                              const struct ofpact *ofpacts,
                              size_t ofpacts_len);
struct flowset_group *flowset_find_group(const struct flowset *,
                                         uint32_t group_id);
void flowset_remove_group(struct flowset *, struct flowset_group *);

size_t flowset_n_flows(const struct flowset *);
/* Makes room for 'n' flows in 'fs' without growing its hash table. */
void flowset_reserve(struct flowset *, size_t n);
/* Iterates over the flows of a flow set, in no particular order, with
 * FLOW a 'const struct flowset_flow *' (NULL after the last one).  The set
 * must not change during the loop. */
#define FLOWSET_FOR_EACH_FLOW(FLOW, FLOWSET)                            \
    for (const struct hmap_node *FLOW##_node__                          \
             = hmap_first(&(FLOWSET)->flows);                           \
         ((FLOW) = flowset_node_flow__(FLOW##_node__)) != NULL;         \
         FLOW##_node__ = hmap_next(&(FLOWSET)->flows, FLOW##_node__))
/* Same, but the loop may remove FLOW (only) from the set with
 * flowset_remove_flow(). */
#define FLOWSET_FOR_EACH_FLOW_SAFE(FLOW, FLOWSET)                       \
    for (const struct hmap_node *FLOW##_node__                          \
             = hmap_first(&(FLOWSET)->flows), *FLOW##_next__;           \
         ((FLOW) = flowset_node_flow__(FLOW##_node__)) != NULL          \
         && ((FLOW##_next__ = hmap_next(&(FLOWSET)->flows,              \
                                        FLOW##_node__)), true);         \
         FLOW##_node__ = FLOW##_next__)
static inline const struct flowset_flow *
flowset_node_flow__(const struct hmap_node *node)
{
    return (node
            ? CONTAINER_OF(node, struct flowset_member, node)->flow
            : NULL);
}
size_t flowset_n_groups(const struct flowset *);

/* True if the two flows have the same cookie and actions (their keys are
 * assumed equal). */
bool flowset_flow_same_body(const struct flowset_flow *,
                            const struct flowset_flow *);
bool flowset_group_equal(const struct flowset_group *,
                         const struct flowset_group *);
/* True if two ofpact lists mean the same on the wire: identical bytes, or
 * identical OpenFlow 1.3 encodings ('instructions': encode as instructions,
 * else as bucket actions).  So a flow read back from a switch (whose
 * decoded actions remember their spelling, e.g. pop_vlan vs strip_vlan)
 * compares equal to the one sent. */
bool flowset_ofpacts_equivalent(const struct ofpact *, size_t,
                                const struct ofpact *, size_t,
                                bool instructions);

/* The difference that turns 'installed' into 'desired'.  The lists hold
 * pointers (struct flowset_ref) into the two sets, which must outlive the
 * diff and stay unchanged while it is used. */
struct flowset_ref {
    struct ovs_list node;
    const void *old;            /* In 'installed', or NULL for an add. */
    const void *new;            /* In 'desired', or NULL for a delete. */
};
struct flowset_diff {
    struct ovs_list add_flows, mod_flows, del_flows;      /* flowset_flow */
    struct ovs_list add_groups, mod_groups, del_groups;   /* flowset_group */
    size_t n_add_flows, n_mod_flows, n_del_flows;
    size_t n_add_groups, n_mod_groups, n_del_groups;
};
void flowset_diff(const struct flowset *installed,
                  const struct flowset *desired, struct flowset_diff *);
/* Same, and every flow of 'installed' that equals a flow of 'desired'
 * (same key, cookie and equivalent actions) but is a different object is
 * replaced by desired's: afterwards the two sets share every flow they
 * agree on, instead of each holding a copy. */
void flowset_diff_share(struct flowset *installed,
                        const struct flowset *desired,
                        struct flowset_diff *);
/* Patches 'desired' (equal to 'installed') by taking out the flows with the
 * keys of 'old' and the groups with its IDs and putting in the flows and
 * groups of 'new'; 'diff' gets what turns 'installed' into the result.
 * O(|old| + |new|), groups included.  False, changing nothing, if 'old'
 * does not match 'desired'. */
bool flowset_patch(struct flowset *installed, struct flowset *desired,
                   const struct flowset *old, const struct flowset *new,
                   struct flowset_diff *);
bool flowset_diff_is_empty(const struct flowset_diff *);
void flowset_diff_destroy(struct flowset_diff *);

/* Appends 'flow' to 's' in ovs-ofctl add-flow syntax
 * ("table=N, priority=P, cookie=0x..., MATCH actions=..."), the form
 * `ovs-ofctl dump-flows --no-stats` prints, ports by number (see
 * flowset_flow_format_ports() for port names). */
void flowset_flow_format(const struct flowset_flow *, struct ds *);
void flowset_group_format(const struct flowset_group *, struct ds *);
/* Appends all flows, sorted by (table, priority descending, text), one per
 * line, then all groups sorted by ID.  Deterministic; used by tests. */
void flowset_format(const struct flowset *, struct ds *);

/* Same as the three above, with 'port_map' (may be NULL) naming ports. */
void flowset_flow_format_ports(const struct flowset_flow *,
                               const struct ofputil_port_map *,
                               struct ds *);
void flowset_group_format_ports(const struct flowset_group *,
                                const struct ofputil_port_map *,
                                struct ds *);
/* Like flowset_format(), but only the flows whose cookie equals 'cookie'
 * under 'cookie_mask' (host byte order), as `ovs-ofctl dump-flows
 * cookie=X/MASK` selects them; groups (which have no cookie) only when
 * 'cookie_mask' is 0. */
void flowset_format_filtered(const struct flowset *, uint64_t cookie,
                             uint64_t cookie_mask,
                             const struct ofputil_port_map *, struct ds *);

#endif /* pipelines/flowset.h */
