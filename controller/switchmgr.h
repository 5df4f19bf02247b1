/*
 * The switch manager: listens for switches, owns one connection per switch
 * (socket, libev watchers, OpenFlow session), and drives each session's
 * timers.  The only code that reads or writes switch sockets.
 *
 * Targets are "ssl:[ADDR:]PORT", "tcp:[ADDR:]PORT" (ADDR defaults to
 * 0.0.0.0) and "unix:PATH".  A switch that connects again with the same
 * datapath ID replaces its older connection.  On "ssl:" targets, a switch
 * may only claim the datapath IDs its certificate names
 * (stream_tls_binding_check()).
 *
 * Bounds: at most --max-connections connections (more are closed at once);
 * when accept() runs out of file descriptors, listening pauses until a
 * connection closes.
 */
#ifndef CONTROLLER_SWITCHMGR_H
#define CONTROLLER_SWITCHMGR_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "controller/polmon.h"

struct diagram_live;
struct explain_req;
struct ds;
struct ev_loop;
struct intent;
struct metrics_snapshot;
struct ofsession_config;
struct stream_tls;
struct switchmgr;

struct switchmgr *switchmgr_create(struct ev_loop *,
                                   const struct ofsession_config *);
void switchmgr_destroy(struct switchmgr *);

void switchmgr_set_tls(struct switchmgr *, struct stream_tls *);
void switchmgr_set_max_connections(struct switchmgr *, size_t max);

/* Starts listening on 'target'.  Returns false and sets '*errorp' (to free)
 * on failure. */
bool switchmgr_listen(struct switchmgr *, const char *target, char **errorp);

/* Makes 'intent' (may be NULL; must outlive its use) the model the
 * switches are named and programmed from. */
void switchmgr_set_intent(struct switchmgr *, const struct intent *);

/* Flow mods and group mods sent since the daemon started. */
void switchmgr_get_totals(const struct switchmgr *, uint64_t *flow_mods,
                          uint64_t *group_mods);

/* Appends the desired flows of the bridges matching the filters (NULL for
 * any; 'vm' or 'policy' also select flows by cookie) to 's'; returns false
 * with an error in 's' for an unknown name. */
bool switchmgr_format_flows(const struct switchmgr *, const char *host,
                            const char *bridge, const char *vm,
                            const char *policy, struct ds *);
/* Appends to 's' what the desired flows of the bridges on the path do to
 * the packet 'req' describes (controller/explain-req.h): per bridge, the
 * flows that match, the intent objects they come from, the outputs and the
 * microsegmentation verdicts; as JSON if 'req->json'.  Returns false with
 * an error in 's' if 'req' names what the intent does not have. */
bool switchmgr_format_explain(const struct switchmgr *,
                              const struct explain_req *, struct ds *);
/* Appends the flow difference that making 'next' current would cause. */
void switchmgr_format_plan(const struct switchmgr *,
                           const struct intent *next, struct ds *);

/* Sets the hit-log meter's rate, packets per second per bridge. */
void switchmgr_set_hit_log_rate(struct switchmgr *, unsigned int pps);

/* Collects the policy statistics of every connected switch (only policy
 * 'policy' if nonnull) and calls 'cb' with the table when all answered or
 * after POLMON_STATS_TIMEOUT_MS (see polmon.h). */
void switchmgr_policy_stats(struct switchmgr *, const char *policy,
                            polmon_stats_cb *cb, void *aux);

/* What "status" shows. */
struct switchmgr_status_opts {
    bool ports;                 /* Every port of every switch, and all the
                                 * details (today's long form); else one
                                 * line per switch. */
    const char *host;           /* Only this host's bridges, or NULL. */
    const char *bridge;         /* Only bridges of this name, or NULL. */
};

/* Appends a human-readable status of the connected switches that 'opts'
 * selects, the bridges of the intent that are not connected, and totals,
 * to 's'.  Returns false with an error in 's' if 'opts' names a host or
 * bridge that the intent does not have. */
bool switchmgr_format_status(const struct switchmgr *,
                             const struct switchmgr_status_opts *,
                             struct ds *);
size_t switchmgr_n_ready(const struct switchmgr *);

/* Records in 'live' each switch that finished its handshake: whether it is
 * in sync, and its ports with their link state (diagram.h). */
void switchmgr_get_live(const struct switchmgr *, struct diagram_live *);

/* Polls the port statistics and policy flow counters of every ready
 * switch every 'seconds' (0: never) for switchmgr_get_metrics(). */
void switchmgr_set_stats_interval(struct switchmgr *, double seconds);
/* Adds the switches, uplink members, VM NIC port counters and policy rule
 * counters to 'snap' (metrics.h). */
void switchmgr_get_metrics(const struct switchmgr *,
                           struct metrics_snapshot *);

/* OpenFlow roles, for several instances sharing the switches (docs/ha.md,
 * switchmgr-roles.c).  With roles on, each switch is either mastered by
 * this instance (and synced) or left to another one (this instance is
 * slave and writes nothing to it). */
void switchmgr_enable_roles(struct switchmgr *);

/* Returns true if this instance should master the switch 'dpid'. */
typedef bool switchmgr_is_mine_func(uint64_t dpid, void *aux);

/* Makes this instance slave of every switch 'is_mine' says is not its own.
 * Returns true if some switch that is its own needs a master request; then
 * the caller takes a new generation ID greater than '*floorp' (and than
 * every generation ID it handed out before) and calls
 * switchmgr_claim_masters() with it. */
bool switchmgr_update_roles(struct switchmgr *, switchmgr_is_mine_func *,
                            void *aux, uint64_t *floorp);
/* Asks to be master, with 'generation', of up to 'max' switches that are
 * this instance's own and not mastered yet (the rest at a later call). */
void switchmgr_claim_masters(struct switchmgr *, switchmgr_is_mine_func *,
                             void *aux, uint64_t generation, size_t max);

struct switchmgr_role_counts {
    size_t master, master_in_sync;
    size_t slave;
    size_t pending;             /* Role being decided or asked. */
    size_t equal;               /* Roles off. */
    uint64_t demotions;         /* Times another instance took a switch. */
};
void switchmgr_get_role_counts(const struct switchmgr *,
                               struct switchmgr_role_counts *);

#endif /* controller/switchmgr.h */
