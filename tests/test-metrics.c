/* Unit tests for controller/metrics.c: Prometheus text exposition format
 * 0.0.4 (label escaping, cumulative histograms, one HELP/TYPE per
 * family). */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include "controller/metrics.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "tests/unit.h"
#include "util.h"

/* Backslash, double quote and newline are escaped; nothing else is. */
static void
test_label_escaping(void)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    metrics_put_label_value(&s, "a\\b\"c\nd\te'f");
    UNIT_CHECK_STREQ(ds_cstr(&s), "a\\\\b\\\"c\\nd\te'f");

    ds_clear(&s);
    struct metrics_label l[2] = {
        { "vm", "web \"1\"\n" }, { "port", "C:\\tap" },
    };
    metrics_put_sample(&s, "flowchain_x_total", l, 2, "7");
    UNIT_CHECK_STREQ(ds_cstr(&s),
                     "flowchain_x_total{vm=\"web \\\"1\\\"\\n\","
                     "port=\"C:\\\\tap\"} 7\n");

    ds_clear(&s);
    metrics_put_sample(&s, "flowchain_y", NULL, 0, "1");
    UNIT_CHECK_STREQ(ds_cstr(&s), "flowchain_y 1\n");
    ds_destroy(&s);
}

/* Buckets are cumulative, "+Inf" equals the count, a value equal to a
 * bound falls into that bound's bucket. */
static void
test_histogram(void)
{
    static const double bounds[] = { 0.01, 0.1, 1 };
    struct metrics_histogram h;
    metrics_histogram_init(&h, bounds, ARRAY_SIZE(bounds));
    metrics_histogram_observe(&h, 0.005);
    metrics_histogram_observe(&h, 0.01);
    metrics_histogram_observe(&h, 0.5);
    metrics_histogram_observe(&h, 30);

    struct ds s = DS_EMPTY_INITIALIZER;
    struct metrics_label l = { "dpid", "00000000000000a1" };
    metrics_put_histogram(&s, "flowchain_h_seconds", &l, 1, &h);
    UNIT_CHECK_STREQ(ds_cstr(&s),
        "flowchain_h_seconds_bucket{dpid=\"00000000000000a1\",le=\"0.01\"} 2\n"
        "flowchain_h_seconds_bucket{dpid=\"00000000000000a1\",le=\"0.1\"} 2\n"
        "flowchain_h_seconds_bucket{dpid=\"00000000000000a1\",le=\"1\"} 3\n"
        "flowchain_h_seconds_bucket{dpid=\"00000000000000a1\",le=\"+Inf\"} 4\n"
        "flowchain_h_seconds_sum{dpid=\"00000000000000a1\"} 30.515\n"
        "flowchain_h_seconds_count{dpid=\"00000000000000a1\"} 4\n");

    /* A copy is independent. */
    struct metrics_histogram copy;
    metrics_histogram_clone(&copy, &h);
    metrics_histogram_observe(&h, 0.001);
    UNIT_CHECK(copy.count == 4 && h.count == 5);
    UNIT_CHECK(copy.counts[0] == 2 && h.counts[0] == 3);
    metrics_histogram_destroy(&copy);
    metrics_histogram_destroy(&h);
    metrics_histogram_destroy(NULL);
    ds_destroy(&s);
}

/* Counts the lines of 'text' that start with 'prefix'. */
static size_t
count_lines(const char *text, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (const char *p = text; *p; ) {
        if (!strncmp(p, prefix, len)) {
            n++;
        }
        const char *nl = strchr(p, '\n');
        if (!nl) {
            break;
        }
        p = nl + 1;
    }
    return n;
}

/* A snapshot with two switches, NICs, members and rules: every family has
 * exactly one HELP and one TYPE line, before its samples; the samples of
 * one family are contiguous; label values are escaped. */
static void
test_snapshot(void)
{
    struct metrics_snapshot snap;
    metrics_snapshot_init(&snap);
    snap.start_time = 1700000000;
    snap.reloads_ok = 2;
    snap.reloads_refused = 1;
    snap.intent_path = xstrdup("/etc/flowchain/intent.json");
    snap.intent_sha1 = xstrdup("da39a3ee5e6b4b0d3255bfef95601890afd80709");

    struct metrics_switch *sw = metrics_add_switch(&snap, 0xa1, "h\"1",
                                                   "br0");
    sw->connected = sw->in_sync = true;
    sw->flows_per_table[0] = 5;
    sw->flows_per_table[3] = 2;
    sw->flow_mods_sent = 7;
    metrics_histogram_observe(&sw->sync_latency, 0.02);
    metrics_add_switch(&snap, 0xb2, "h2", "br0");   /* Not connected. */

    struct metrics_nic *nic = metrics_add_nic(&snap, "web\n1", "tap0", "h1",
                                              "br0");
    nic->rx_packets = 20;
    nic->tx_dropped = UINT64_MAX;       /* Not counted by the switch. */
    metrics_add_member(&snap, "h1", "br0", "br0-up", "eth0")->up = true;
    metrics_add_member(&snap, "h1", "br0", "br0-up", "eth1");
    struct metrics_bond_member *lm = metrics_add_member(&snap, "h2", "br0",
                                                        "lag", "p0");
    lm->up = lm->lacp = lm->lacp_distributing = true;
    lm->lacp_rx = "current";
    lm->lacp_rx_pdus = 12;
    lm->lacp_tx_pdus = 11;
    metrics_add_rule(&snap, "web", "inbound", "http", "allowed")->packets
        = 3;
    metrics_add_rule(&snap, "web", "inbound", "default", "denied");

    struct ds s = DS_EMPTY_INITIALIZER;
    metrics_format(&snap, &s);
    const char *text = ds_cstr(&s);

    /* Families: HELP and TYPE once each, in this order. */
    static const char *families[] = {
        "flowchain_start_time_seconds", "flowchain_reloads_total",
        "flowchain_intent_info", "flowchain_switch_connected",
        "flowchain_switch_in_sync", "flowchain_switch_flows",
        "flowchain_switch_groups", "flowchain_switch_flow_mods_sent_total",
        "flowchain_switch_bundles_failed_total",
        "flowchain_switch_rereads_total", "flowchain_sync_latency_seconds",
        "flowchain_nic_rx_packets_total", "flowchain_nic_tx_bytes_total",
        "flowchain_bond_member_up", "flowchain_bond_member_lacp_state",
        "flowchain_bond_member_lacp_distributing",
        "flowchain_bond_member_lacpdus_total",
        "flowchain_policy_packets_total",
        "flowchain_policy_bytes_total",
    };
    for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
        char *help = xasprintf("# HELP %s ", families[i]);
        char *type = xasprintf("# TYPE %s ", families[i]);
        UNIT_CHECK(count_lines(text, help) == 1);
        UNIT_CHECK(count_lines(text, type) == 1);
        free(help);
        free(type);
    }
    /* Every "# TYPE" line follows its "# HELP" line, and each family's
     * samples follow it, named after it. */
    char *copy = xstrdup(text);
    char *save = NULL;
    char family[128] = "";
    size_t n_types = 0, n_helps = 0;
    for (char *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (!strncmp(line, "# HELP ", 7)) {
            n_helps++;
            continue;
        } else if (!strncmp(line, "# TYPE ", 7)) {
            n_types++;
            UNIT_CHECK(sscanf(line, "# TYPE %127s", family) == 1);
            continue;
        }
        UNIT_CHECK(family[0] && !strncmp(line, family, strlen(family)));
    }
    UNIT_CHECK(n_types == n_helps);
    free(copy);

    UNIT_CHECK(strstr(text, "flowchain_reloads_total{result=\"ok\"} 2\n"));
    UNIT_CHECK(strstr(text,
                      "flowchain_reloads_total{result=\"refused\"} 1\n"));
    UNIT_CHECK(strstr(text, "flowchain_intent_info{path=\"/etc/flowchain/"
                      "intent.json\",sha1=\"da39a3ee5e6b4b0d3255bfef956018"
                      "90afd80709\"} 1\n"));
    UNIT_CHECK(strstr(text, "flowchain_switch_connected{dpid=\"00000000000"
                      "000a1\",host=\"h\\\"1\",bridge=\"br0\"} 1\n"));
    UNIT_CHECK(strstr(text, "flowchain_switch_connected{dpid=\"00000000000"
                      "000b2\",host=\"h2\",bridge=\"br0\"} 0\n"));
    UNIT_CHECK(strstr(text, "flowchain_switch_flows{dpid=\"00000000000000a1"
                      "\",host=\"h\\\"1\",bridge=\"br0\",table=\"3\"} 2\n"));
    /* Not connected: no flows, counters or histogram. */
    UNIT_CHECK(!strstr(text,
                       "flowchain_switch_flows{dpid=\"00000000000000b2"));
    UNIT_CHECK(!strstr(text, "flowchain_sync_latency_seconds_count{dpid=\""
                       "00000000000000b2"));
    UNIT_CHECK(strstr(text, "flowchain_sync_latency_seconds_bucket{dpid=\""
                      "00000000000000a1\",host=\"h\\\"1\",bridge=\"br0\","
                      "le=\"0.025\"} 1\n"));
    UNIT_CHECK(strstr(text, "flowchain_nic_rx_packets_total{vm=\"web\\n1\","
                      "port=\"tap0\",host=\"h1\",bridge=\"br0\"} 20\n"));
    UNIT_CHECK(strstr(text, "flowchain_nic_rx_dropped_total{vm="));
    UNIT_CHECK(!strstr(text, "flowchain_nic_tx_dropped_total{vm="));
    UNIT_CHECK(strstr(text, "flowchain_bond_member_up{host=\"h1\",bridge=\""
                      "br0\",bond=\"br0-up\",member=\"eth1\"} 0\n"));
    /* LACP: only the LACP bond's member, one state at 1. */
    UNIT_CHECK(strstr(text, "flowchain_bond_member_lacp_state{host=\"h2\","
                      "bridge=\"br0\",bond=\"lag\",member=\"p0\",state="
                      "\"current\"} 1\n"));
    UNIT_CHECK(strstr(text, "flowchain_bond_member_lacp_state{host=\"h2\","
                      "bridge=\"br0\",bond=\"lag\",member=\"p0\",state="
                      "\"expired\"} 0\n"));
    UNIT_CHECK(count_lines(text, "flowchain_bond_member_lacp_state{") == 4);
    UNIT_CHECK(strstr(text, "flowchain_bond_member_lacp_distributing{host="
                      "\"h2\",bridge=\"br0\",bond=\"lag\",member=\"p0\"} "
                      "1\n"));
    UNIT_CHECK(strstr(text, "flowchain_bond_member_lacpdus_total{host=\"h2\","
                      "bridge=\"br0\",bond=\"lag\",member=\"p0\",direction="
                      "\"tx\"} 11\n"));
    UNIT_CHECK(!strstr(text, "member=\"eth0\",direction="));
    UNIT_CHECK(strstr(text, "flowchain_policy_packets_total{policy=\"web\","
                      "direction=\"inbound\",rule=\"http\",verdict=\""
                      "allowed\"} 3\n"));
    UNIT_CHECK(strstr(text, "flowchain_start_time_seconds 1700000000\n"));
    UNIT_CHECK(text[s.length - 1] == '\n');

    ds_destroy(&s);
    metrics_snapshot_destroy(&snap);
    metrics_snapshot_destroy(NULL);
}

/* With OpenFlow roles: flowchain_switch_master says which switches this
 * instance masters; a slave counts as connected but reports no flows or
 * counters (it keeps none).  Without roles, the family is absent. */
static void
test_roles(void)
{
    struct metrics_snapshot snap;
    metrics_snapshot_init(&snap);
    struct metrics_switch *m = metrics_add_switch(&snap, 0xa1, "h1", "br0");
    m->connected = m->in_sync = true;
    m->master = 1;
    m->flows_per_table[0] = 5;
    struct metrics_switch *sl = metrics_add_switch(&snap, 0xb2, "h2", "br0");
    sl->connected = true;
    sl->master = 0;

    struct ds s = DS_EMPTY_INITIALIZER;
    metrics_format(&snap, &s);
    const char *t = ds_cstr(&s);
    UNIT_CHECK(strstr(t, "flowchain_switch_master{dpid=\"00000000000000a1\","
                         "host=\"h1\",bridge=\"br0\"} 1\n"));
    UNIT_CHECK(strstr(t, "flowchain_switch_master{dpid=\"00000000000000b2\","
                         "host=\"h2\",bridge=\"br0\"} 0\n"));
    UNIT_CHECK(strstr(t, "flowchain_switch_connected{dpid=\"00000000000000b2\","
                         "host=\"h2\",bridge=\"br0\"} 1\n"));
    UNIT_CHECK(strstr(t, "flowchain_switch_flows{dpid=\"00000000000000a1\""));
    UNIT_CHECK(!strstr(t, "flowchain_switch_groups{dpid=\"00000000000000b2\""));
    ds_destroy(&s);
    metrics_snapshot_destroy(&snap);

    metrics_snapshot_init(&snap);
    metrics_add_switch(&snap, 0xa1, "h1", "br0")->connected = true;
    ds_init(&s);
    metrics_format(&snap, &s);
    UNIT_CHECK(!strstr(ds_cstr(&s), "flowchain_switch_master"));
    UNIT_CHECK(strstr(ds_cstr(&s), "flowchain_switch_groups{dpid="));
    ds_destroy(&s);
    metrics_snapshot_destroy(&snap);
}

/* An empty snapshot (no intent, no switch) still announces every
 * family. */
static void
test_empty(void)
{
    struct metrics_snapshot snap;
    metrics_snapshot_init(&snap);
    struct ds s = DS_EMPTY_INITIALIZER;
    metrics_format(&snap, &s);
    UNIT_CHECK(count_lines(ds_cstr(&s), "# TYPE ")
               == count_lines(ds_cstr(&s), "# HELP "));
    UNIT_CHECK(count_lines(ds_cstr(&s), "# TYPE ") >= 20);
    UNIT_CHECK(!strstr(ds_cstr(&s), "flowchain_intent_info{"));
    ds_destroy(&s);
    metrics_snapshot_destroy(&snap);
}

int
main(void)
{
    unit_program = "test-metrics";
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_EMER);
    UNIT_RUN(test_label_escaping);
    UNIT_RUN(test_histogram);
    UNIT_RUN(test_snapshot);
    UNIT_RUN(test_roles);
    UNIT_RUN(test_empty);
    return unit_finish();
}
