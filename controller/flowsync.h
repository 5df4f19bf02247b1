/*
 * Flow sync: keeps one switch's flow table and groups equal to a desired
 * flow set, sending only the difference.
 *
 * On connect, the installed state is read back from the switch (a flow
 * dump and a group description dump); nothing is assumed.  Then, whenever
 * desired and installed differ and no sync is in flight, the difference
 * goes out as one ordered, atomic bundle (group adds and modifications,
 * flow deletions, flow adds and modifications, group deletions) followed by
 * a barrier.  The installed state advances only on the barrier reply; an
 * error inside the bundle leaves the switch as it was (the bundle is
 * atomic), is logged with the flow it refers to, and the sync is retried
 * later.  Flows whose cookie does not carry flowchain's marker are not
 * ours: the switch belongs to flowchain, so they are deleted, and counted.
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

struct flowsync_stats {
    uint64_t flow_mods_sent;    /* Flow mods inside committed bundles. */
    uint64_t group_mods_sent;
    uint64_t bundles_ok;
    uint64_t bundles_failed;
    uint64_t foreign_flows_deleted;
    long long int last_sync_ms; /* Wall clock of the last barrier reply. */
    long long int last_sync_latency_ms;  /* Bundle sent -> barrier reply. */
    uint64_t last_sync_size;    /* Flow and group mods in it. */
};

struct flowsync *flowsync_create(const char *name);
void flowsync_destroy(struct flowsync *);

/* Makes 'desired' the state to reach; its contents are moved into the
 * sync, leaving 'desired' empty. */
void flowsync_set_desired(struct flowsync *, struct flowset *desired);
const struct flowset *flowsync_desired(const struct flowsync *);
const struct flowset *flowsync_installed(const struct flowsync *);

/* The switch behind 's' (re)connected: forget what was installed and read
 * it back. */
void flowsync_connected(struct flowsync *, struct ofsession *s);
/* Offers the message 'oh' of 'type' to the sync; true if it was its. */
bool flowsync_handle(struct flowsync *, struct ofsession *,
                     enum ofptype type, const struct ofp_header *oh,
                     long long int now);
/* Starts a sync if one is due. */
void flowsync_run(struct flowsync *, struct ofsession *, long long int now);

/* True once installed equals desired with nothing in flight. */
bool flowsync_in_sync(const struct flowsync *);
const char *flowsync_state(const struct flowsync *);
const struct flowsync_stats *flowsync_stats(const struct flowsync *);

/* Appends, for 'diff', one line per change in ovs-ofctl syntax, prefixed
 * "+", "-" or "~" (modified). */
void flowsync_format_diff(const struct flowset_diff *, struct ds *);

#endif /* controller/flowsync.h */
