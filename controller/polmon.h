/*
 * The policy monitor: the controller's side of microsegmentation.
 *
 * - The hit-log meter: when a switch becomes ready, polmon reads its meters
 *   and adds (or corrects) meter PIPELINE_METER_HIT_LOG before the first
 *   sync bundle, so the flows that send denied packets to the controller
 *   through it are accepted.
 * - The hit log: a packet-in whose cookie is a policy's DENY or MONITOR
 *   cookie becomes one "policy hit:" line (vlog module "hitlog"), once per
 *   connection attempt: repeats of the same policy and 5-tuple within
 *   POLMON_DEDUPE_MS are counted, not logged.  Any other packet-in is
 *   counted and dropped.
 * - Policy statistics: flow statistics of every policy cookie of kinds
 *   ALLOW, DENY and MONITOR, requested from every ready switch and summed
 *   per policy, direction, rule and verdict.
 *
 * polmon never owns a socket: it sends through the switches' ofsessions
 * and sees their messages when switchmgr offers them.
 */
#ifndef CONTROLLER_POLMON_H
#define CONTROLLER_POLMON_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/ofp-msgs.h"

struct ds;
struct intent;
struct intent_bridge;
struct intent_policy;
struct ofsession;
struct polmon;

#define POLMON_DEDUPE_MS 10000          /* One line per attempt within. */
#define POLMON_DEDUPE_MAX 4096          /* Remembered attempts at most. */
#define POLMON_STATS_TIMEOUT_MS 3000    /* policy-stats waits this long. */
#define POLMON_DEFAULT_RATE 100         /* Hit-log packets per second. */

struct polmon *polmon_create(void);
void polmon_destroy(struct polmon *);

/* Sets the hit-log meter's rate (packets per second, per bridge). */
void polmon_set_rate(struct polmon *, unsigned int pps);

/* The switch behind 's' became ready: check its hit-log meter. */
void polmon_switch_ready(struct polmon *, struct ofsession *s);
/* The switch behind 's' is going away: pending requests stop waiting. */
void polmon_switch_gone(struct polmon *, struct ofsession *s,
                        const struct intent *, long long int now);

/* Offers message 'oh' of 'type' from 's' (bridge 'br' of 'intent', either
 * may be NULL) to polmon.  Returns true if it was polmon's. */
bool polmon_handle(struct polmon *, struct ofsession *s,
                   const struct intent *, const struct intent_bridge *br,
                   enum ofptype type, const struct ofp_header *oh,
                   long long int now);

/* Called with the text of a finished statistics request ('ok' false for an
 * error message). */
typedef void polmon_stats_cb(const char *text, bool ok, void *aux);

/* Requests the policy statistics of 'n' ready switches 'sessions' for the
 * policies of 'intent' (only 'filter' if nonnull); calls 'cb' with the
 * table once every switch answered or POLMON_STATS_TIMEOUT_MS passed. */
void polmon_request_stats(struct polmon *, struct ofsession **sessions,
                          size_t n, const struct intent *,
                          const struct intent_policy *filter,
                          polmon_stats_cb *cb, void *aux, long long int now);

/* Expires requests whose time is up. */
void polmon_run(struct polmon *, const struct intent *, long long int now);

/* Appends polmon's counters to 's' (one line). */
void polmon_format_status(const struct polmon *, struct ds *);

/* Pure helpers, exposed for the unit tests. */

/* Appends to 's' the hit-log line for the packet of 'len' bytes at
 * 'packet' that a flow with cookie 'cookie' of bridge 'br' sent.  Returns
 * false (and appends nothing) if 'cookie' is not a DENY or MONITOR policy
 * cookie of 'intent'. */
bool polmon_format_hit(const struct intent *, const struct intent_bridge *br,
                       uint64_t cookie, const void *packet, size_t len,
                       struct ds *s);

/* Appends to 's' the rule that policy cookie 'cookie' names in 'p': the
 * rule's name or "#N", else "default", "quarantine" or "isolation"
 * (forensic quarantine peers: "forensic"). */
void polmon_format_rule(const struct intent_policy *p, uint64_t cookie,
                        struct ds *s);

/* A statistics table being summed. */
struct polmon_table;
struct polmon_table *polmon_table_create(void);
void polmon_table_destroy(struct polmon_table *);
/* Adds the counters of one flow with 'cookie' (host order). */
void polmon_table_add(struct polmon_table *, uint64_t cookie,
                      uint64_t packets, uint64_t bytes);
/* Appends the table for the policies of 'intent' (only 'filter' if
 * nonnull): a header, then one row per policy, direction, rule and
 * verdict, in file order. */
void polmon_table_format(const struct polmon_table *, const struct intent *,
                         const struct intent_policy *filter, struct ds *);

#endif /* controller/polmon.h */
