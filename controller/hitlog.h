/*
 * The policy hit log: one line per connection attempt that a policy with
 * "log": true denied (enforce) or would have denied (monitor).
 *
 * The switch sends such a packet to the controller from a flow whose
 * cookie is the deciding policy's (kind DENY or MONITOR, the rule in the
 * low byte; pipelines/pipeline.h).  hitlog turns it into
 *
 *   policy hit: host=H bridge=B policy=P rule=R verdict=denied|would-deny
 *   vlan=V PROTO SRC[:SPORT] -> DST[:DPORT]
 *
 * (one line), logged at INFO through the vlog module "hitlog", so that
 * `vlog/set hitlog:file:info` and friends route or silence it apart from
 * everything else.  A connection attempt is identified by the policy and
 * the 5-tuple: repeats within HITLOG_DEDUPE_MS of the line that was
 * logged (retransmitted SYNs, the same attempt seen by the bridges of
 * both ends) are counted, not logged.  The cache that remembers attempts
 * holds at most HITLOG_CACHE_MAX of them, the oldest evicted first.
 * Packets without a policy's DENY or MONITOR cookie are counted as
 * foreign and dropped.
 *
 * Pure apart from logging: the caller passes the time in.
 */
#ifndef CONTROLLER_HITLOG_H
#define CONTROLLER_HITLOG_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ds;
struct flow;
struct intent;
struct intent_bridge;

#define HITLOG_DEDUPE_MS 10000      /* One line per attempt within this. */
#define HITLOG_CACHE_MAX 4096       /* Attempts remembered at most. */

struct hitlog_stats {
    uint64_t logged;            /* Lines logged. */
    uint64_t suppressed;        /* Repeats of a logged attempt. */
    uint64_t foreign;           /* Packets without a policy hit cookie. */
};

enum hitlog_result {
    HITLOG_LOGGED,              /* A new attempt: one line logged. */
    HITLOG_SUPPRESSED,          /* A repeat: counted only. */
    HITLOG_FOREIGN,             /* Not a policy hit: counted, dropped. */
};

struct hitlog *hitlog_create(void);
void hitlog_destroy(struct hitlog *);

/* Handles the 'len' bytes at 'packet' that a flow with 'cookie' (host
 * order) of bridge 'br' (NULL if unknown) of 'intent' (may be NULL) sent
 * to the controller at 'now' (ms).  Logs the line if it is a new attempt
 * and, if 'line' is nonnull, appends it there too. */
enum hitlog_result hitlog_packet(struct hitlog *, const struct intent *,
                                 const struct intent_bridge *,
                                 uint64_t cookie, const void *packet,
                                 size_t len, long long int now,
                                 struct ds *line);

/* Counts a packet-in that could not even be decoded as foreign. */
void hitlog_count_foreign(struct hitlog *);

const struct hitlog_stats *hitlog_get_stats(const struct hitlog *);
/* Attempts remembered now (at most HITLOG_CACHE_MAX). */
size_t hitlog_cache_size(const struct hitlog *);

/* Appends to 's' the line (without "\n") for a packet parsed into 'flow'
 * that a flow with 'cookie' of 'br' sent.  Returns false, appending
 * nothing, if 'cookie' is not the DENY or MONITOR cookie of one of the
 * policies of 'intent'. */
bool hitlog_format(const struct intent *, const struct intent_bridge *,
                   uint64_t cookie, const struct flow *, struct ds *);

#endif /* controller/hitlog.h */
