/*
 * Flow sync: keeps one switch's flow table and groups equal to a desired
 * flow set, sending only the difference, and keeps them equal when
 * something else changes the switch.
 *
 * On connect, the installed state is read back from the switch (a flow
 * dump and a group description dump); nothing is assumed.  Then, whenever
 * desired and installed differ and no sync is in flight, the difference
 * goes out as one ordered, atomic bundle (group adds and modifications,
 * flow deletions, flow adds and modifications, group deletions), commit
 * and barrier.  The bundle is streamed: its messages are encoded only as
 * the transmit queue drains below FLOWSYNC_TX_HIGH_WATER, so a sync of any
 * size queues a bounded number of bytes.
 *
 * The installed state advances only on the barrier reply of a bundle that
 * drew no error.  After any error, the switch is read back again: Open
 * vSwitch answers a bundled message it cannot decode with an error and
 * leaves the bundle open without it, so the commit may have applied the
 * rest.  The next diff starts from what the switch really holds; retries
 * back off from 5 s to 60 s.  Errors are matched to the message they refer
 * to by transaction ID (a hash), logged at a limited rate, and summed up
 * once per bundle.
 *
 * Drift: changes made behind flowchain's back are found and repaired.  A
 * flow monitor reports flows added, modified or deleted by any other
 * connection (ovs-ofctl, another controller); each is applied to the
 * installed view, logged, and repaired by the next sync.  Every second
 * while idle, a group description dump and an aggregate flow count (every
 * 10 s per million flows on a large bridge, as the switch walks its whole
 * table for it) are compared with the installed view: a different count
 * triggers a full read-back, different groups are repaired.  Without a flow monitor (the
 * switch refused it), the whole flow table is read back every
 * FLOWSYNC_FULL_CHECK_MS instead.
 *
 * Dumps are bounded: more than FLOWSYNC_DUMP_MAX_FLOWS flows or
 * FLOWSYNC_DUMP_MAX_GROUPS groups, or a dump that lasts longer than
 * FLOWSYNC_DUMP_DEADLINE_MS, kills the session.
 *
 * Flows whose cookie does not carry flowchain's marker are not ours: the
 * switch belongs to flowchain, so they are deleted, and counted.
 */
#ifndef CONTROLLER_FLOWSYNC_H
#define CONTROLLER_FLOWSYNC_H 1

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/ofp-msgs.h"

struct ds;
struct flowset;
struct flowset_diff;
struct ofsession;

struct flowsync;

/* Bundle messages are encoded while fewer bytes than this are queued. */
#define FLOWSYNC_TX_HIGH_WATER (256 * 1024)
/* OpenFlow's message size limit (16-bit length field). */
#define FLOWSYNC_MAX_MSG_LEN 65535
/* Period of the cheap drift check (groups; the flow count too, or every
 * 10 s per million flows on a large bridge) while idle. */
#define FLOWSYNC_CHECK_MS 1000
/* Period of the full read-back when the switch has no flow monitor. */
#define FLOWSYNC_FULL_CHECK_MS 10000
/* Dump bounds. */
#define FLOWSYNC_DUMP_MAX_FLOWS 4000000
#define FLOWSYNC_DUMP_MAX_GROUPS 1000000
#define FLOWSYNC_DUMP_DEADLINE_MS 300000

struct flowsync_stats {
    uint64_t flow_mods_sent;    /* Flow mods inside committed bundles. */
    uint64_t group_mods_sent;
    uint64_t bundles_ok;
    uint64_t bundles_failed;
    uint64_t foreign_flows_deleted;
    uint64_t errors;            /* OpenFlow errors for bundle messages. */
    uint64_t rereads;           /* Read-backs after connect. */
    uint64_t drift_flows;       /* Flows changed behind our back (found). */
    uint64_t drift_groups;      /* Groups changed behind our back. */
    long long int last_sync_ms; /* Wall clock of the last barrier reply. */
    long long int last_sync_latency_ms;  /* Bundle sent -> barrier reply. */
    uint64_t last_sync_size;    /* Flow and group mods in it. */
    uint64_t max_tx_queued;     /* Largest transmit queue seen by a sync. */
};

struct flowsync *flowsync_create(const char *name);
void flowsync_destroy(struct flowsync *);

/* Makes 'desired' the state to reach; its contents are moved into the
 * sync, leaving 'desired' empty. */
void flowsync_set_desired(struct flowsync *, struct flowset *desired);
/* Patches the desired set in place: out with the flows with the keys of
 * 'old', in with those of 'new' and its groups.  Only while idle and in
 * sync; false (nothing changed) otherwise: then set the whole set. */
bool flowsync_patch_desired(struct flowsync *, const struct flowset *old,
                            const struct flowset *new);
const struct flowset *flowsync_desired(const struct flowsync *);
const struct flowset *flowsync_installed(const struct flowsync *);

/* The switch behind 's' (re)connected: forget what was installed and read
 * it back. */
void flowsync_connected(struct flowsync *, struct ofsession *s);
/* Offers the message 'oh' of 'type' to the sync; true if it was its. */
bool flowsync_handle(struct flowsync *, struct ofsession *,
                     enum ofptype type, const struct ofp_header *oh,
                     long long int now);
/* Does what is due at 'now': starts a sync, streams more of the bundle in
 * flight if the transmit queue of 's' has room, runs the drift checks and
 * the dump deadline. */
void flowsync_run(struct flowsync *, struct ofsession *s, long long int now);
/* True while a bundle has messages left to encode (the owner should call
 * flowsync_run() again once the transmit queue drains). */
bool flowsync_streaming(const struct flowsync *);

/* True once installed equals desired with nothing in flight. */
bool flowsync_in_sync(const struct flowsync *);
const char *flowsync_state(const struct flowsync *);
const struct flowsync_stats *flowsync_stats(const struct flowsync *);

/* Appends, for 'diff', one line per change in ovs-ofctl syntax, prefixed
 * "+", "-" or "~" (modified). */
void flowsync_format_diff(const struct flowset_diff *, struct ds *);

#endif /* controller/flowsync.h */
