/*
 * The policy monitor: the controller's side of microsegmentation, between
 * the switches' sessions (ofsession.h) and the pure hit log (hitlog.h) and
 * statistics (polstats.h).
 *
 * - The hit-log meter: when a switch becomes ready, polmon sends an ADD of
 *   meter PIPELINE_METER_HIT_LOG (OFPMF13_PKTPS | OFPMF13_BURST, rate =
 *   burst = the hit-log rate) before the first sync bundle, so the flows
 *   that send denied packets to the controller find it (Open vSwitch binds
 *   a controller action to its meter when the flow is added).  If the
 *   meter exists already (a controller restart), the switch answers
 *   OFPMMFC_METER_EXISTS and polmon sends a MODIFY instead; then it reads
 *   the meter back to check it.  These errors are expected: they are not
 *   logged as warnings and never reach flowsync.
 * - The hit log: every packet-in goes to hitlog; those without a policy
 *   hit cookie are counted and dropped with a rate-limited warning.
 * - Policy statistics: one flow statistics request per counted cookie
 *   kind to every ready switch; replies (every part of a multipart reply)
 *   are matched by xid, summed, and handed to the caller as a table once
 *   every switch answered or POLMON_STATS_TIMEOUT_MS passed, with a note
 *   naming the switches that did not answer.  Replies with xids polmon
 *   does not own pass on to flowsync.
 *
 * polmon never owns a socket: it sends through the switches' sessions and
 * sees their messages when switchmgr offers them (polmon_handle()).
 */
#ifndef CONTROLLER_POLMON_H
#define CONTROLLER_POLMON_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/ofp-msgs.h"

struct ds;
struct hitlog_stats;
struct intent;
struct intent_bridge;
struct intent_policy;
struct ofsession;

#define POLMON_STATS_TIMEOUT_MS 3000    /* policy-stats waits this long. */
#define POLMON_DEFAULT_RATE 100         /* Hit-log packets per second. */

struct polmon *polmon_create(void);
void polmon_destroy(struct polmon *);

void polmon_set_rate(struct polmon *, unsigned int pps);

void polmon_switch_ready(struct polmon *, struct ofsession *);
void polmon_switch_gone(struct polmon *, struct ofsession *,
                        const struct intent *, long long int now);

bool polmon_handle(struct polmon *, struct ofsession *,
                   const struct intent *, const struct intent_bridge *,
                   enum ofptype, const struct ofp_header *,
                   long long int now);

/* Called once with the text of a finished statistics request: the table
 * if 'ok', else an error message. */
typedef void polmon_stats_cb(const char *text, bool ok, void *aux);

void polmon_request_stats(struct polmon *, struct ofsession **sessions,
                          size_t n, const struct intent *,
                          const struct intent_policy *filter,
                          polmon_stats_cb *, void *aux, long long int now);
void polmon_run(struct polmon *, const struct intent *, long long int now);

void polmon_format_status(const struct polmon *, struct ds *);
void polmon_format_switch(const struct polmon *, const struct ofsession *,
                          struct ds *);
const struct hitlog_stats *polmon_hitlog_stats(const struct polmon *);

#endif /* controller/polmon.h */
