/*
 * Metrics: the daemon's state as Prometheus text exposition format 0.0.4
 * (docs/operations.md, "Metrics").
 *
 * The owner fills a struct metrics_snapshot (plain data: strings, numbers,
 * histograms) and metrics_format() turns it into the text: every family
 * once, with its "# HELP" and "# TYPE" lines, then its samples, label
 * values escaped as the format wants (backslash, double quote, newline).
 * A family without samples is still announced.
 *
 * Pure: no I/O.  The HTTP side is metrics-http.h.
 */
#ifndef CONTROLLER_METRICS_H
#define CONTROLLER_METRICS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ds;

/* A histogram with fixed upper bounds.  'counts[i]' counts observations
 * in (bounds[i - 1], bounds[i]] (not cumulative: metrics_format() sums);
 * 'counts[n_bounds]' those above the last bound. */
struct metrics_histogram {
    const double *bounds;       /* Increasing; not owned. */
    size_t n_bounds;
    uint64_t *counts;           /* n_bounds + 1 entries. */
    uint64_t count;
    double sum;
};

/* Bounds of flowchain_sync_latency_seconds. */
extern const double metrics_sync_latency_bounds[];
extern const size_t metrics_n_sync_latency_bounds;

void metrics_histogram_init(struct metrics_histogram *,
                            const double *bounds, size_t n_bounds);
void metrics_histogram_clone(struct metrics_histogram *,
                             const struct metrics_histogram *);
void metrics_histogram_destroy(struct metrics_histogram *);
void metrics_histogram_observe(struct metrics_histogram *, double value);

/* One switch: a bridge of the intent (connected or not), or a connected
 * switch that the intent does not name (empty host and bridge). */
struct metrics_switch {
    char *dpid;                 /* 16 hex digits. */
    char *host, *bridge;
    bool connected, in_sync;
    int master;                 /* With OpenFlow roles (--db): 1 if this
                                 * instance is master, else 0; -1 without
                                 * roles. */
    uint64_t flows_per_table[256];
    uint64_t groups;
    uint64_t flow_mods_sent, group_mods_sent;
    uint64_t bundles_ok, bundles_failed;
    uint64_t rereads, drift_flows, drift_groups, foreign_flows_deleted;
    struct metrics_histogram sync_latency;   /* Seconds. */
};

/* Port statistics of one VM NIC, from the last poll.  UINT64_MAX: the
 * switch does not count it (the sample is left out). */
struct metrics_nic {
    char *vm, *port, *host, *bridge;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_dropped, tx_dropped;
};

/* One member of a bridge's uplink bond. */
struct metrics_bond_member {
    char *host, *bridge, *bond, *member;
    bool up;

    /* An LACP bond whose switch is connected: the fields below are set. */
    bool lacp;
    const char *lacp_rx;        /* "grace", "current", "expired" or
                                 * "defaulted" (a static string). */
    bool lacp_distributing;     /* Collecting and distributing. */
    uint64_t lacp_rx_pdus, lacp_tx_pdus;
};

/* Counters of one (policy, direction, rule, verdict), summed over every
 * switch's last poll. */
struct metrics_rule {
    char *policy, *direction, *rule, *verdict;
    uint64_t packets, bytes;
};

struct metrics_snapshot {
    double start_time;          /* Unix time, seconds. */
    uint64_t reloads_ok, reloads_refused;
    char *intent_path;          /* NULL: no intent. */
    char *intent_sha1;          /* 40 hex digits, or NULL. */

    struct metrics_switch *switches;
    size_t n_switches, allocated_switches;
    struct metrics_nic *nics;
    size_t n_nics, allocated_nics;
    struct metrics_bond_member *members;
    size_t n_members, allocated_members;
    struct metrics_rule *rules;
    size_t n_rules, allocated_rules;
};

void metrics_snapshot_init(struct metrics_snapshot *);
void metrics_snapshot_destroy(struct metrics_snapshot *);

/* Each returns a new zeroed entry of the snapshot, with copies of the
 * strings given. */
struct metrics_switch *metrics_add_switch(struct metrics_snapshot *,
                                          uint64_t dpid, const char *host,
                                          const char *bridge);
struct metrics_nic *metrics_add_nic(struct metrics_snapshot *,
                                    const char *vm, const char *port,
                                    const char *host, const char *bridge);
struct metrics_bond_member *metrics_add_member(struct metrics_snapshot *,
                                               const char *host,
                                               const char *bridge,
                                               const char *bond,
                                               const char *member);
struct metrics_rule *metrics_add_rule(struct metrics_snapshot *,
                                      const char *policy,
                                      const char *direction,
                                      const char *rule, const char *verdict);

/* Appends the exposition text of 'snap' to 's'. */
void metrics_format(const struct metrics_snapshot *, struct ds *);

/* Building blocks, public for the tests. */
void metrics_put_label_value(struct ds *, const char *value);
void metrics_put_family(struct ds *, const char *name, const char *type,
                        const char *help);
struct metrics_label {
    const char *name;
    const char *value;
};
void metrics_put_sample(struct ds *, const char *name,
                        const struct metrics_label *, size_t n_labels,
                        const char *value);
void metrics_put_histogram(struct ds *, const char *name,
                           const struct metrics_label *, size_t n_labels,
                           const struct metrics_histogram *);

#endif /* controller/metrics.h */
