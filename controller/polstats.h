/*
 * Policy statistics: the counters of the policy flows of kinds ALLOW, DENY
 * and MONITOR (pipelines/pipeline.h), summed per (policy, direction, rule,
 * verdict) over any number of switches' flow statistics replies, and
 * formatted as the table `flowchainctl policy-stats` prints:
 *
 *   POLICY  DIRECTION  RULE  VERDICT  PACKETS  BYTES
 *
 * one header line, then one row per (policy, direction, rule, verdict) in
 * policy file order, inbound before outbound, rules in order with the
 * default last, then allowed, denied, would-deny.  Columns are separated
 * by at least two spaces and aligned.  DIRECTION is inbound, outbound or
 * "-" (quarantine and isolation policies have none); RULE is the rule's
 * name, else "#N" (its 1-based position in its direction's "allow"), or
 * "default", "quarantine", "isolation"; VERDICT is allowed, denied or
 * would-deny.
 *
 * Pure: no I/O.
 */
#ifndef CONTROLLER_POLSTATS_H
#define CONTROLLER_POLSTATS_H 1

#include <stddef.h>
#include <stdint.h>
#include "openvswitch/ofp-errors.h"
#include "pipelines/pipeline.h"

struct ds;
struct intent;
struct intent_policy;
struct ofp_header;
struct ofpbuf;

/* The header line of the table (without "\n"). */
#define POLSTATS_HEADER "POLICY  DIRECTION  RULE  VERDICT  PACKETS  BYTES"

struct polstats *polstats_create(void);
void polstats_destroy(struct polstats *);

void polstats_add(struct polstats *, uint64_t cookie, uint64_t packets,
                  uint64_t bytes);
enum ofperr polstats_add_reply(struct polstats *, const struct ofp_header *);
size_t polstats_n_cookies(const struct polstats *);

void polstats_format(const struct polstats *, const struct intent *,
                     const struct intent_policy *filter, struct ds *);

/* Called for each row of the table, in table order. */
typedef void polstats_row_cb(const char *policy, const char *direction,
                             const char *rule, const char *verdict,
                             uint64_t packets, uint64_t bytes, void *aux);
void polstats_for_each_row(const struct polstats *, const struct intent *,
                           polstats_row_cb *, void *aux);
void polstats_merge(struct polstats *dst, const struct polstats *src);

struct ofpbuf *polstats_encode_request(enum pipeline_cookie_kind);

/* Names shared with the hit log. */
void polstats_format_rule(const struct intent_policy *, uint64_t cookie,
                          struct ds *);
const char *polstats_direction(const struct intent_policy *,
                               uint64_t cookie);
const char *polstats_verdict(enum pipeline_cookie_kind);

#endif /* controller/polstats.h */
