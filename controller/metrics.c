/*
 * Metrics (see metrics.h): Prometheus text exposition format 0.0.4.
 */
#include <config.h>
#include "controller/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "util.h"

const double metrics_sync_latency_bounds[] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
const size_t metrics_n_sync_latency_bounds
    = ARRAY_SIZE(metrics_sync_latency_bounds);

/* Initializes 'h' empty, with the 'n_bounds' upper bounds 'bounds' (not
 * copied: they must outlive 'h'). */
void
metrics_histogram_init(struct metrics_histogram *h, const double *bounds,
                       size_t n_bounds)
{
    h->bounds = bounds;
    h->n_bounds = n_bounds;
    h->counts = xcalloc(n_bounds + 1, sizeof *h->counts);
    h->count = 0;
    h->sum = 0;
}

/* Initializes 'dst' as a copy of 'src'. */
void
metrics_histogram_clone(struct metrics_histogram *dst,
                        const struct metrics_histogram *src)
{
    *dst = *src;
    dst->counts = xmemdup(src->counts,
                          (src->n_bounds + 1) * sizeof *src->counts);
}

/* Frees what 'h' holds.  Accepts NULL. */
void
metrics_histogram_destroy(struct metrics_histogram *h)
{
    if (h) {
        free(h->counts);
        h->counts = NULL;
    }
}

/* Records one observation of 'value' in 'h'. */
void
metrics_histogram_observe(struct metrics_histogram *h, double value)
{
    size_t i = 0;
    while (i < h->n_bounds && value > h->bounds[i]) {
        i++;
    }
    h->counts[i]++;
    h->count++;
    h->sum += value;
}

void
metrics_snapshot_init(struct metrics_snapshot *snap)
{
    memset(snap, 0, sizeof *snap);
}

/* Frees what 'snap' holds.  Accepts NULL. */
void
metrics_snapshot_destroy(struct metrics_snapshot *snap)
{
    if (!snap) {
        return;
    }
    for (size_t i = 0; i < snap->n_switches; i++) {
        struct metrics_switch *sw = &snap->switches[i];
        free(sw->dpid);
        free(sw->host);
        free(sw->bridge);
        metrics_histogram_destroy(&sw->sync_latency);
    }
    free(snap->switches);
    for (size_t i = 0; i < snap->n_nics; i++) {
        struct metrics_nic *nic = &snap->nics[i];
        free(nic->vm);
        free(nic->port);
        free(nic->host);
        free(nic->bridge);
    }
    free(snap->nics);
    for (size_t i = 0; i < snap->n_members; i++) {
        struct metrics_bond_member *m = &snap->members[i];
        free(m->host);
        free(m->bridge);
        free(m->bond);
        free(m->member);
    }
    free(snap->members);
    for (size_t i = 0; i < snap->n_rules; i++) {
        struct metrics_rule *r = &snap->rules[i];
        free(r->policy);
        free(r->direction);
        free(r->rule);
        free(r->verdict);
    }
    free(snap->rules);
    free(snap->intent_path);
    free(snap->intent_sha1);
    memset(snap, 0, sizeof *snap);
}

/* Returns a new zeroed element at the end of the array '*array' of '*n'
 * elements of 'size' bytes ('*allocated' of them allocated). */
static void *
add_elem(void **array, size_t *n, size_t *allocated, size_t size)
{
    if (*n >= *allocated) {
        *array = x2nrealloc(*array, allocated, size);
    }
    void *elem = (char *) *array + (*n)++ * size;
    memset(elem, 0, size);
    return elem;
}

static char *
nullable_strdup(const char *s)
{
    return xstrdup(s ? s : "");
}

/* Adds a switch: a sync latency histogram is initialized empty. */
struct metrics_switch *
metrics_add_switch(struct metrics_snapshot *snap, uint64_t dpid,
                   const char *host, const char *bridge)
{
    struct metrics_switch *sw = add_elem((void **) &snap->switches,
                                         &snap->n_switches,
                                         &snap->allocated_switches,
                                         sizeof *sw);
    sw->dpid = xasprintf("%016"PRIx64, dpid);
    sw->host = nullable_strdup(host);
    sw->bridge = nullable_strdup(bridge);
    sw->master = -1;
    metrics_histogram_init(&sw->sync_latency, metrics_sync_latency_bounds,
                           metrics_n_sync_latency_bounds);
    return sw;
}

struct metrics_nic *
metrics_add_nic(struct metrics_snapshot *snap, const char *vm,
                const char *port, const char *host, const char *bridge)
{
    struct metrics_nic *nic = add_elem((void **) &snap->nics, &snap->n_nics,
                                       &snap->allocated_nics, sizeof *nic);
    nic->vm = nullable_strdup(vm);
    nic->port = nullable_strdup(port);
    nic->host = nullable_strdup(host);
    nic->bridge = nullable_strdup(bridge);
    return nic;
}

struct metrics_bond_member *
metrics_add_member(struct metrics_snapshot *snap, const char *host,
                   const char *bridge, const char *bond, const char *member)
{
    struct metrics_bond_member *m = add_elem((void **) &snap->members,
                                             &snap->n_members,
                                             &snap->allocated_members,
                                             sizeof *m);
    m->host = nullable_strdup(host);
    m->bridge = nullable_strdup(bridge);
    m->bond = nullable_strdup(bond);
    m->member = nullable_strdup(member);
    return m;
}

struct metrics_rule *
metrics_add_rule(struct metrics_snapshot *snap, const char *policy,
                 const char *direction, const char *rule,
                 const char *verdict)
{
    struct metrics_rule *r = add_elem((void **) &snap->rules, &snap->n_rules,
                                      &snap->allocated_rules, sizeof *r);
    r->policy = nullable_strdup(policy);
    r->direction = nullable_strdup(direction);
    r->rule = nullable_strdup(rule);
    r->verdict = nullable_strdup(verdict);
    return r;
}

/* Appends 'value' to 's' escaped for a label value: backslash, double
 * quote and newline become \\, \" and \n. */
void
metrics_put_label_value(struct ds *s, const char *value)
{
    for (const char *p = value; *p; p++) {
        switch (*p) {
        case '\\':
            ds_put_cstr(s, "\\\\");
            break;
        case '"':
            ds_put_cstr(s, "\\\"");
            break;
        case '\n':
            ds_put_cstr(s, "\\n");
            break;
        default:
            ds_put_char(s, *p);
        }
    }
}

/* Appends the HELP and TYPE lines of family 'name' to 's'.  'help' must
 * hold no backslash or newline. */
void
metrics_put_family(struct ds *s, const char *name, const char *type,
                   const char *help)
{
    ds_put_format(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends 'labels' to 's' in braces, if any, then 'extra' (NULL for
 * none) as one more label with value 'extra_value'. */
static void
put_labels(struct ds *s, const struct metrics_label *labels, size_t n,
           const char *extra, const char *extra_value)
{
    if (!n && !extra) {
        return;
    }
    ds_put_char(s, '{');
    for (size_t i = 0; i < n; i++) {
        ds_put_format(s, "%s%s=\"", i ? "," : "", labels[i].name);
        metrics_put_label_value(s, labels[i].value);
        ds_put_char(s, '"');
    }
    if (extra) {
        ds_put_format(s, "%s%s=\"", n ? "," : "", extra);
        metrics_put_label_value(s, extra_value);
        ds_put_char(s, '"');
    }
    ds_put_char(s, '}');
}

/* Appends one sample line: 'name', 'labels', 'value' (already
 * formatted). */
void
metrics_put_sample(struct ds *s, const char *name,
                   const struct metrics_label *labels, size_t n_labels,
                   const char *value)
{
    ds_put_cstr(s, name);
    put_labels(s, labels, n_labels, NULL, NULL);
    ds_put_format(s, " %s\n", value);
}

/* Appends 'v' as a sample value. */
static void
put_u64_sample(struct ds *s, const char *name,
               const struct metrics_label *labels, size_t n_labels,
               uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%"PRIu64, v);
    metrics_put_sample(s, name, labels, n_labels, buf);
}

/* Formats 'v' into 'buf' as the format wants a float: "+Inf", "-Inf",
 * "NaN", an integer without exponent, or the shortest decimal that reads
 * back the same. */
static void
format_double(char buf[32], double v)
{
    if (isnan(v)) {
        strcpy(buf, "NaN");
    } else if (isinf(v)) {
        strcpy(buf, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, 32, "%.0f", v);
    } else {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, 32, "%.*g", prec, v);
            if (strtod(buf, NULL) == v) {
                return;
            }
        }
    }
}

/* Appends the samples of histogram 'h' named 'name': cumulative
 * name_bucket{...,le="B"} lines, the last with le="+Inf" equal to
 * name_count, then name_sum and name_count. */
void
metrics_put_histogram(struct ds *s, const char *name,
                      const struct metrics_label *labels, size_t n_labels,
                      const struct metrics_histogram *h)
{
    uint64_t cumulative = 0;
    char le[32];
    for (size_t i = 0; i <= h->n_bounds; i++) {
        cumulative += h->counts[i];
        if (i < h->n_bounds) {
            format_double(le, h->bounds[i]);
        } else {
            strcpy(le, "+Inf");
        }
        ds_put_format(s, "%s_bucket", name);
        put_labels(s, labels, n_labels, "le", le);
        ds_put_format(s, " %"PRIu64"\n", cumulative);
    }
    char sum[32];
    format_double(sum, h->sum);
    ds_put_format(s, "%s_sum", name);
    put_labels(s, labels, n_labels, NULL, NULL);
    ds_put_format(s, " %s\n", sum);
    ds_put_format(s, "%s_count", name);
    put_labels(s, labels, n_labels, NULL, NULL);
    ds_put_format(s, " %"PRIu64"\n", h->count);
}

/* The per-switch counters: family name, help, offset in struct
 * metrics_switch. */
static const struct {
    const char *name;
    const char *help;
    size_t offset;
} switch_counters[] = {
#define SWITCH_COUNTER(NAME, MEMBER, HELP) \
    { "flowchain_switch_" NAME "_total", HELP, \
      offsetof(struct metrics_switch, MEMBER) }
    SWITCH_COUNTER("flow_mods_sent", flow_mods_sent,
                   "Flow mods sent in committed bundles on this "
                   "connection."),
    SWITCH_COUNTER("group_mods_sent", group_mods_sent,
                   "Group mods sent in committed bundles on this "
                   "connection."),
    SWITCH_COUNTER("bundles_ok", bundles_ok,
                   "Sync bundles the switch applied without error."),
    SWITCH_COUNTER("bundles_failed", bundles_failed,
                   "Sync bundles that drew an error."),
    SWITCH_COUNTER("rereads", rereads,
                   "Full read-backs of the switch's flows and groups."),
    SWITCH_COUNTER("drift_flows", drift_flows,
                   "Flows found changed behind flowchain's back (repaired)."),
    SWITCH_COUNTER("drift_groups", drift_groups,
                   "Groups found changed behind flowchain's back "
                   "(repaired)."),
    SWITCH_COUNTER("foreign_flows_deleted", foreign_flows_deleted,
                   "Flows without flowchain's cookie marker deleted."),
#undef SWITCH_COUNTER
};

/* The per-NIC counters. */
static const struct {
    const char *name;
    const char *help;
    size_t offset;
} nic_counters[] = {
#define NIC_COUNTER(NAME, MEMBER, HELP) \
    { "flowchain_nic_" NAME "_total", HELP, \
      offsetof(struct metrics_nic, MEMBER) }
    NIC_COUNTER("rx_packets", rx_packets,
                "Packets the switch received on the VM NIC's port."),
    NIC_COUNTER("tx_packets", tx_packets,
                "Packets the switch sent on the VM NIC's port."),
    NIC_COUNTER("rx_bytes", rx_bytes,
                "Bytes the switch received on the VM NIC's port."),
    NIC_COUNTER("tx_bytes", tx_bytes,
                "Bytes the switch sent on the VM NIC's port."),
    NIC_COUNTER("rx_dropped", rx_dropped,
                "Packets dropped on receive on the VM NIC's port."),
    NIC_COUNTER("tx_dropped", tx_dropped,
                "Packets dropped on transmit on the VM NIC's port."),
#undef NIC_COUNTER
};

/* Fills 'labels' with the labels of 'sw'. */
static void
switch_labels(const struct metrics_switch *sw, struct metrics_label l[3])
{
    l[0] = (struct metrics_label) { "dpid", sw->dpid };
    l[1] = (struct metrics_label) { "host", sw->host };
    l[2] = (struct metrics_label) { "bridge", sw->bridge };
}

static void
format_daemon(const struct metrics_snapshot *snap, struct ds *s)
{
    char buf[32];

    metrics_put_family(s, "flowchain_start_time_seconds", "gauge",
                       "Start time of flowchaind since the Unix epoch.");
    format_double(buf, snap->start_time);
    metrics_put_sample(s, "flowchain_start_time_seconds", NULL, 0, buf);

    metrics_put_family(s, "flowchain_reloads_total", "counter",
                       "Intent reloads, by result (ok or refused).");
    struct metrics_label l = { "result", "ok" };
    put_u64_sample(s, "flowchain_reloads_total", &l, 1, snap->reloads_ok);
    l.value = "refused";
    put_u64_sample(s, "flowchain_reloads_total", &l, 1,
                   snap->reloads_refused);

    metrics_put_family(s, "flowchain_intent_info", "gauge",
                       "The running intent: its file and the SHA-1 of its "
                       "text (value 1).");
    if (snap->intent_path) {
        struct metrics_label il[2] = {
            { "path", snap->intent_path },
            { "sha1", snap->intent_sha1 ? snap->intent_sha1 : "" },
        };
        metrics_put_sample(s, "flowchain_intent_info", il, 2, "1");
    }
}

/* True if this instance syncs 'sw': connected, and its master if there are
 * OpenFlow roles (a slave writes nothing and keeps no flows). */
static bool
syncs(const struct metrics_switch *sw)
{
    return sw->connected && sw->master != 0;
}

static void
format_switches(const struct metrics_snapshot *snap, struct ds *s)
{
    struct metrics_label l[4];

    metrics_put_family(s, "flowchain_switch_connected", "gauge",
                       "1 if the switch has an OpenFlow session, else 0.");
    for (size_t i = 0; i < snap->n_switches; i++) {
        switch_labels(&snap->switches[i], l);
        metrics_put_sample(s, "flowchain_switch_connected", l, 3,
                           snap->switches[i].connected ? "1" : "0");
    }
    metrics_put_family(s, "flowchain_switch_in_sync", "gauge",
                       "1 if the switch holds exactly the desired flows and "
                       "groups, else 0.");
    for (size_t i = 0; i < snap->n_switches; i++) {
        switch_labels(&snap->switches[i], l);
        metrics_put_sample(s, "flowchain_switch_in_sync", l, 3,
                           snap->switches[i].in_sync ? "1" : "0");
    }
    bool roles = false;
    for (size_t i = 0; i < snap->n_switches; i++) {
        roles = roles || snap->switches[i].master >= 0;
    }
    if (roles) {
        metrics_put_family(s, "flowchain_switch_master", "gauge",
                           "1 if this instance is the switch's OpenFlow "
                           "master (several instances, --db), else 0.");
        for (size_t i = 0; i < snap->n_switches; i++) {
            if (snap->switches[i].master >= 0) {
                switch_labels(&snap->switches[i], l);
                metrics_put_sample(s, "flowchain_switch_master", l, 3,
                                   snap->switches[i].master ? "1" : "0");
            }
        }
    }

    /* The rest only for the switches this instance syncs: connected, and
     * master if there are roles. */
    metrics_put_family(s, "flowchain_switch_flows", "gauge",
                       "Flows installed, per table.");
    for (size_t i = 0; i < snap->n_switches; i++) {
        const struct metrics_switch *sw = &snap->switches[i];
        if (!syncs(sw)) {
            continue;
        }
        switch_labels(sw, l);
        for (size_t t = 0; t < ARRAY_SIZE(sw->flows_per_table); t++) {
            if (sw->flows_per_table[t]) {
                char table[8];
                snprintf(table, sizeof table, "%"PRIuSIZE, t);
                l[3] = (struct metrics_label) { "table", table };
                put_u64_sample(s, "flowchain_switch_flows", l, 4,
                               sw->flows_per_table[t]);
            }
        }
    }
    metrics_put_family(s, "flowchain_switch_groups", "gauge",
                       "Groups installed.");
    for (size_t i = 0; i < snap->n_switches; i++) {
        const struct metrics_switch *sw = &snap->switches[i];
        if (syncs(sw)) {
            switch_labels(sw, l);
            put_u64_sample(s, "flowchain_switch_groups", l, 3, sw->groups);
        }
    }
    for (size_t c = 0; c < ARRAY_SIZE(switch_counters); c++) {
        metrics_put_family(s, switch_counters[c].name, "counter",
                           switch_counters[c].help);
        for (size_t i = 0; i < snap->n_switches; i++) {
            const struct metrics_switch *sw = &snap->switches[i];
            if (syncs(sw)) {
                uint64_t v;
                memcpy(&v, (const char *) sw + switch_counters[c].offset,
                       sizeof v);
                switch_labels(sw, l);
                put_u64_sample(s, switch_counters[c].name, l, 3, v);
            }
        }
    }
    metrics_put_family(s, "flowchain_sync_latency_seconds", "histogram",
                       "Time from sending a sync bundle to its barrier "
                       "reply, per successful sync.");
    for (size_t i = 0; i < snap->n_switches; i++) {
        const struct metrics_switch *sw = &snap->switches[i];
        if (syncs(sw)) {
            switch_labels(sw, l);
            metrics_put_histogram(s, "flowchain_sync_latency_seconds", l, 3,
                                  &sw->sync_latency);
        }
    }
}

/* The LACP families: one sample set per member of an LACP bond whose
 * switch is connected. */
static void
format_lacp(const struct metrics_snapshot *snap, struct ds *s)
{
    static const char *states[] = {
        "grace", "current", "expired", "defaulted",
    };

    metrics_put_family(s, "flowchain_bond_member_lacp_state", "gauge",
                       "1 for the receive state of an LACP bond member "
                       "(grace: not heard since the controller started; "
                       "current: the partner's LACPDUs arrive; expired, "
                       "defaulted: they stopped), 0 for the others.");
    for (size_t i = 0; i < snap->n_members; i++) {
        const struct metrics_bond_member *m = &snap->members[i];
        for (size_t j = 0; m->lacp && j < ARRAY_SIZE(states); j++) {
            struct metrics_label l[5] = {
                { "host", m->host }, { "bridge", m->bridge },
                { "bond", m->bond }, { "member", m->member },
                { "state", states[j] },
            };
            metrics_put_sample(s, "flowchain_bond_member_lacp_state", l, 5,
                               !strcmp(m->lacp_rx, states[j]) ? "1" : "0");
        }
    }

    metrics_put_family(s, "flowchain_bond_member_lacp_distributing", "gauge",
                       "1 if the LACP bond member collects and distributes "
                       "(carries traffic), else 0.");
    for (size_t i = 0; i < snap->n_members; i++) {
        const struct metrics_bond_member *m = &snap->members[i];
        if (m->lacp) {
            struct metrics_label l[4] = {
                { "host", m->host }, { "bridge", m->bridge },
                { "bond", m->bond }, { "member", m->member },
            };
            metrics_put_sample(s, "flowchain_bond_member_lacp_distributing",
                               l, 4, m->lacp_distributing ? "1" : "0");
        }
    }

    metrics_put_family(s, "flowchain_bond_member_lacpdus_total", "counter",
                       "LACPDUs received (accepted) and sent on an LACP "
                       "bond member since the controller started.");
    for (size_t i = 0; i < snap->n_members; i++) {
        const struct metrics_bond_member *m = &snap->members[i];
        for (int dir = 0; m->lacp && dir < 2; dir++) {
            struct metrics_label l[5] = {
                { "host", m->host }, { "bridge", m->bridge },
                { "bond", m->bond }, { "member", m->member },
                { "direction", dir ? "tx" : "rx" },
            };
            put_u64_sample(s, "flowchain_bond_member_lacpdus_total", l, 5,
                           dir ? m->lacp_tx_pdus : m->lacp_rx_pdus);
        }
    }
}

/* The VM NIC counters and the bond member families. */
static void
format_nics(const struct metrics_snapshot *snap, struct ds *s)
{
    for (size_t c = 0; c < ARRAY_SIZE(nic_counters); c++) {
        metrics_put_family(s, nic_counters[c].name, "counter",
                           nic_counters[c].help);
        for (size_t i = 0; i < snap->n_nics; i++) {
            const struct metrics_nic *nic = &snap->nics[i];
            struct metrics_label l[4] = {
                { "vm", nic->vm }, { "port", nic->port },
                { "host", nic->host }, { "bridge", nic->bridge },
            };
            uint64_t v;
            memcpy(&v, (const char *) nic + nic_counters[c].offset,
                   sizeof v);
            if (v != UINT64_MAX) {
                /* All ones: the switch does not count it. */
                put_u64_sample(s, nic_counters[c].name, l, 4, v);
            }
        }
    }

    metrics_put_family(s, "flowchain_bond_member_up", "gauge",
                       "1 if the uplink bond member's link is up, else 0.");
    for (size_t i = 0; i < snap->n_members; i++) {
        const struct metrics_bond_member *m = &snap->members[i];
        struct metrics_label l[4] = {
            { "host", m->host }, { "bridge", m->bridge },
            { "bond", m->bond }, { "member", m->member },
        };
        metrics_put_sample(s, "flowchain_bond_member_up", l, 4,
                           m->up ? "1" : "0");
    }
    format_lacp(snap, s);
}

static void
format_rules(const struct metrics_snapshot *snap, struct ds *s)
{
    static const char *names[2] = {
        "flowchain_policy_packets_total", "flowchain_policy_bytes_total",
    };
    static const char *helps[2] = {
        "Packets counted by a policy rule's flows, by verdict (allowed, "
        "denied, would-deny).",
        "Bytes counted by a policy rule's flows, by verdict (allowed, "
        "denied, would-deny).",
    };
    for (size_t k = 0; k < 2; k++) {
        metrics_put_family(s, names[k], "counter", helps[k]);
        for (size_t i = 0; i < snap->n_rules; i++) {
            const struct metrics_rule *r = &snap->rules[i];
            struct metrics_label l[4] = {
                { "policy", r->policy }, { "direction", r->direction },
                { "rule", r->rule }, { "verdict", r->verdict },
            };
            put_u64_sample(s, names[k], l, 4, k ? r->bytes : r->packets);
        }
    }
}

/* Appends the exposition text of 'snap' to 's': every family once, in a
 * fixed order, with HELP and TYPE lines. */
void
metrics_format(const struct metrics_snapshot *snap, struct ds *s)
{
    format_daemon(snap, s);
    format_switches(snap, s);
    format_nics(snap, s);
    format_rules(snap, s);
}
