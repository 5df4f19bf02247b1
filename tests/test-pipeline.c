/*
 * Unit tests of the pipeline compiler (pipelines/): small intents and port
 * maps compiled to the exact expected flows, in ovs-ofctl syntax.
 *
 * The expected texts are written by hand.  In them, a cookie may be
 * written symbolically, "cookie=KIND:NAME[:INDEX]" with KIND one of BR,
 * NET, NIC, AD, UP (for example "cookie=NIC:vm1:0"), and is replaced with
 * pipeline_cookie_make()'s value before comparing; test_cookies checks
 * pipeline_cookie_make() itself against independently computed values.
 * Expected flows are sorted like flowset_format() sorts them, so they can
 * be written in any order within a table.
 *
 * Intents are written with single quotes, turned into double quotes
 * before parsing.
 *
 * Set PIPELINE_TEST_DUMP=1 to print every compiled flow set.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byte-order.h"
#include "flow.h"
#include "models/intent.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "pipelines/explain.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "pipelines/stages.h"
#include "svec.h"
#include "tests/unit.h"
#include "util.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* ---------------------------------------------------------------------- */
/* Helpers. */

/* Parses intent 'squoted' (JSON with ' for "), printing errors. */
static struct intent *
parse_intent(const char *squoted)
{
    char *text = xstrdup(squoted);
    for (char *p = text; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }

    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(text, &errors);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "intent error: %s\n", errors.names[i]);
    }
    UNIT_CHECK(intent != NULL);
    svec_destroy(&errors);
    free(text);
    return intent;
}

/* Fills 'pm' (initialized here) from 'spec': "NAME=NUMBER[/down][/lacp:
 * FLAGS] ...", where FLAGS has 'p' for an LACP partner, 'c' for collecting,
 * 'd' for distributing. */
static void
make_portmap(struct portmap *pm, const char *spec)
{
    portmap_init(pm);

    char *copy = xstrdup(spec), *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        ovs_assert(eq);
        *eq = '\0';
        bool live = !strstr(eq + 1, "/down");
        portmap_set(pm, tok, u16_to_ofp(atoi(eq + 1)), live);
        const char *lacp = strstr(eq + 1, "/lacp:");
        if (lacp) {
            lacp += strlen("/lacp:");
            size_t n = strcspn(lacp, "/");
            portmap_set_lacp(pm, tok, memchr(lacp, 'p', n) != NULL,
                             memchr(lacp, 'c', n) != NULL,
                             memchr(lacp, 'd', n) != NULL);
        }
    }
    free(copy);
}

/* Returns the only bridge of the first host of 'intent'. */
static const struct intent_bridge *
first_bridge(const struct intent *intent)
{
    return &intent_host_at(intent, 0)->bridges[0];
}

/* Compiles the first bridge of 'intent' with ports 'ports_spec' into 'fs'
 * (initialized here) and returns flowset_format()'s text (caller
 * frees). */
static char *
compile(const struct intent *intent, const char *ports_spec,
        struct flowset *fs)
{
    struct portmap pm;
    struct ds s = DS_EMPTY_INITIALIZER;

    make_portmap(&pm, ports_spec);
    flowset_init(fs);
    pipeline_compile(intent, first_bridge(intent), &pm, fs);
    flowset_format(fs, &s);
    portmap_destroy(&pm);
    if (getenv("PIPELINE_TEST_DUMP")) {
        printf("--- %s\n%s", ports_spec, ds_cstr(&s));
    }
    return ds_steal_cstr(&s);
}

/* Same as compile(), discarding the flow set. */
static char *
compile_text(const struct intent *intent, const char *ports_spec)
{
    struct flowset fs;
    char *text = compile(intent, ports_spec, &fs);
    flowset_destroy(&fs);
    return text;
}

/* Returns the lines of 'text' that start with 'prefix' (caller frees). */
static char *
grep_lines(const char *text, const char *prefix)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    size_t plen = strlen(prefix);

    while (*text) {
        const char *eol = strchr(text, '\n');
        size_t len = eol ? (size_t) (eol - text) + 1 : strlen(text);
        if (len >= plen && !strncmp(text, prefix, plen)) {
            ds_put_buffer(&out, text, len);
        }
        text += len;
    }
    return ds_steal_cstr(&out);
}

/* Returns the flows of table 'table' in 'text' (caller frees). */
static char *
table_lines(const char *text, int table)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "table=%d, ", table);
    return grep_lines(text, prefix);
}

/* Returns the cookie that the symbolic 'token' ("NIC:vm1:0") stands
 * for. */
static uint64_t
symbolic_cookie(const char *token)
{
    static const struct {
        const char *name;
        enum pipeline_cookie_kind kind;
    } kinds[] = {
        { "BR", PIPELINE_COOKIE_BRIDGE },
        { "NET", PIPELINE_COOKIE_NETWORK },
        { "NIC", PIPELINE_COOKIE_NIC },
        { "AD", PIPELINE_COOKIE_ADAPTER },
        { "UP", PIPELINE_COOKIE_UPLINK },
    };
    char *copy = xstrdup(token), *save = NULL;
    char *kind = strtok_r(copy, ":", &save);
    char *name = strtok_r(NULL, ":", &save);
    char *index = strtok_r(NULL, ":", &save);
    uint64_t cookie = 0;

    ovs_assert(kind && name);
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        if (!strcmp(kinds[i].name, kind)) {
            cookie = pipeline_cookie_make(kinds[i].kind, name,
                                          index ? atoi(index) : 0);
        }
    }
    ovs_assert(cookie);
    free(copy);
    return cookie;
}

/* A line of expected text with its sort key. */
struct line {
    int table, priority;
    char *text;
};

/* qsort() comparator: flowset_format()'s order. */
static int
line_cmp(const void *a_, const void *b_)
{
    const struct line *a = a_, *b = b_;
    if (a->table != b->table) {
        return a->table < b->table ? -1 : 1;
    }
    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }
    return strcmp(a->text, b->text);
}

/* Returns 'expected' with symbolic cookies replaced by their values and
 * flow lines sorted as flowset_format() sorts them (group lines, which do
 * not start with "table=", stay after them in their order). */
static char *
expand(const char *expected)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    const char *p = expected;

    /* Cookies. */
    for (;;) {
        const char *c = strstr(p, "cookie=");
        if (!c) {
            ds_put_cstr(&s, p);
            break;
        }
        c += strlen("cookie=");
        ds_put_buffer(&s, p, c - p);
        size_t len = strcspn(c, ", ");
        if (!strncmp(c, "0x", 2)) {
            ds_put_buffer(&s, c, len);
        } else {
            char *token = xmemdup0(c, len);
            ds_put_format(&s, "%#"PRIx64, symbolic_cookie(token));
            free(token);
        }
        p = c + len;
    }

    /* Sorting. */
    struct line *lines = NULL;
    size_t n = 0, allocated = 0;
    struct ds groups = DS_EMPTY_INITIALIZER;
    char *save = NULL;
    for (char *l = strtok_r(ds_cstr(&s), "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        int table, priority;
        if (sscanf(l, "table=%d, priority=%d", &table, &priority) == 2) {
            if (n >= allocated) {
                lines = x2nrealloc(lines, &allocated, sizeof *lines);
            }
            lines[n].table = table;
            lines[n].priority = priority;
            lines[n].text = l;
            n++;
        } else {
            ds_put_format(&groups, "%s\n", l);
        }
    }
    if (n) {
        qsort(lines, n, sizeof *lines, line_cmp);
    }

    struct ds out = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&out, "%s\n", lines[i].text);
    }
    ds_put_buffer(&out, groups.string, groups.length);
    free(lines);
    ds_destroy(&groups);
    ds_destroy(&s);
    return ds_steal_cstr(&out);
}

/* Checks that 'got' equals 'expected' after expand(); frees 'got'. */
#define CHECK_TEXT(GOT, EXPECTED)                                       \
    do {                                                                \
        char *got_ = (GOT);                                             \
        char *exp_ = expand(EXPECTED);                                  \
        UNIT_CHECK_STREQ(got_, exp_);                                   \
        free(got_);                                                     \
        free(exp_);                                                     \
    } while (0)

/* ---------------------------------------------------------------------- */
/* Intents. */

/* Intent A: two VLANs on an active-backup bond (primary eth4, the second
 * member); vm1 with an address on vlan101, vm2 without on vlan102.
 * '%s' is where extra VMs go (a leading comma included). */
#define INTENT_A_FMT                                                    \
    "{'version': 1,"                                                    \
    " 'networks': ["                                                    \
    "  {'name': 'vlan101', 'vlan': 101, 'subnet': '10.8.101.0/24'},"    \
    "  {'name': 'vlan102', 'vlan': 102, 'subnet': '10.8.102.0/24'}],"   \
    " 'hosts': [{'name': 'h1', 'bridges': [{"                           \
    "   'name': 'br0', 'datapath_id': '0000000000000001',"              \
    "   'uplink': {'name': 'br0-up', 'members': ['eth3', 'eth4'],"      \
    "              'mode': '%s'%s},"                                    \
    "   'networks': ['vlan101', 'vlan102']}]}],"                        \
    " 'vms': ["                                                         \
    "  {'name': 'vm1', 'host': 'h1', 'nics': [{'port': 'tap1',"         \
    "    'mac': '50:6b:8d:00:01:01', 'network': 'vlan101',"             \
    "    'ip': '10.8.101.1'}]},"                                        \
    "  {'name': 'vm2', 'host': 'h1', 'nics': [{'port': 'tap2',"         \
    "    'mac': '50:6b:8d:00:02:01', 'network': 'vlan102'}]}%s]}"

#define PORTS_A "tap1=1 tap2=2 eth3=10 eth4=11"

/* Returns intent A with bond 'mode', 'primary' (may be NULL) and the VMs
 * in 'extra_vms' appended. */
static struct intent *
intent_a(const char *mode, const char *primary, const char *extra_vms)
{
    char *prim = primary ? xasprintf(", 'primary': '%s'", primary)
                         : xstrdup("");
    char *json = xasprintf(INTENT_A_FMT, mode, prim, extra_vms);
    struct intent *intent = parse_intent(json);
    free(json);
    free(prim);
    return intent;
}

/* A third VM for intent A, on vlan101 (port tap5). */
#define VM5                                                             \
    ", {'name': 'vm5', 'host': 'h1', 'nics': [{'port': 'tap5',"         \
    "   'mac': '50:6b:8d:00:05:01', 'network': 'vlan101',"              \
    "   'ip': '10.8.101.5'}]}"

/* Intent B: an untagged network, a host adapter on it, an access VM on
 * it, and a trunk VM (native vlan101, tagged vlan102 and vlan103). */
static const char intent_b_json[] =
    "{'version': 1,"
    " 'networks': ["
    "  {'name': 'untagged', 'vlan': 0, 'subnet': '10.8.10.0/24'},"
    "  {'name': 'vlan101', 'vlan': 101, 'subnet': '10.8.101.0/24'},"
    "  {'name': 'vlan102', 'vlan': 102},"
    "  {'name': 'vlan103', 'vlan': 103}],"
    " 'hosts': [{'name': 'h1', 'bridges': [{"
    "   'name': 'br0', 'datapath_id': '0000000000000001',"
    "   'uplink': {'name': 'br0-up', 'members': ['eth3', 'eth4']},"
    "   'networks': ['vlan101', 'vlan102', 'vlan103', 'untagged'],"
    "   'adapters': [{'name': 'mgmt', 'port': 'mgmt0',"
    "     'role': 'management', 'network': 'untagged',"
    "     'mac': '02:00:0a:08:0a:0b', 'ip': '10.8.10.11'}]}]}],"
    " 'vms': ["
    "  {'name': 'vm3', 'host': 'h1', 'nics': [{'port': 'tap3',"
    "    'mac': '50:6b:8d:00:03:01', 'network': 'untagged'}]},"
    "  {'name': 'vm4', 'host': 'h1', 'nics': [{'port': 'tap4',"
    "    'mac': '50:6b:8d:00:04:01', 'network': 'vlan101',"
    "    'ip': '10.8.101.4', 'mode': 'trunk',"
    "    'trunk_networks': ['vlan102', 'vlan103']}]}]}";

#define PORTS_B "mgmt0=5 tap3=3 tap4=4 eth3=10 eth4=11"

/* ---------------------------------------------------------------------- */
/* One case per stage. */

static void
test_table_names(void)
{
    UNIT_CHECK_STREQ(pipeline_table_name(0), "classify");
    UNIT_CHECK_STREQ(pipeline_table_name(10), "vlan_in");
    UNIT_CHECK_STREQ(pipeline_table_name(20), "port_security");
    UNIT_CHECK_STREQ(pipeline_table_name(30), "microseg_out");
    UNIT_CHECK_STREQ(pipeline_table_name(40), "service_chain");
    UNIT_CHECK_STREQ(pipeline_table_name(50), "l2_forward");
    UNIT_CHECK_STREQ(pipeline_table_name(55), "microseg_in");
    UNIT_CHECK_STREQ(pipeline_table_name(60), "egress");
    UNIT_CHECK_STREQ(pipeline_table_name(31), "microseg_out_state");
    UNIT_CHECK_STREQ(pipeline_table_name(32), "microseg_out_eval");
    UNIT_CHECK_STREQ(pipeline_table_name(33), "microseg_out_verdict");
    UNIT_CHECK_STREQ(pipeline_table_name(56), "microseg_in_state");
    UNIT_CHECK_STREQ(pipeline_table_name(57), "microseg_in_eval");
    UNIT_CHECK_STREQ(pipeline_table_name(58), "microseg_in_verdict");
    UNIT_CHECK(pipeline_table_name(1) == NULL);
    UNIT_CHECK(pipeline_table_name(254) == NULL);
}

/* Intent A's classify flows of vm1 and vm2: access ports on vlan101 and
 * vlan102, from their own MAC only and untagged only, their VLAN pushed
 * (4197 = 0x1000 | 101); 'PIN1' and 'PIN2' are their balance-slb pins'
 * actions ("set_field:0xb->reg8,"), or "". */
#define CLASSIFY_A(PIN1, PIN2)                                          \
    "table=0, priority=100, cookie=NIC:vm1:0, "                         \
    "in_port=1,vlan_tci=0x0000/0x1000,dl_src=50:6b:8d:00:01:01 "        \
    "actions=set_field:0x1->reg0," PIN1                                 \
    "push_vlan:0x8100,set_field:4197->vlan_vid,goto_table:20\n"         \
    "table=0, priority=100, cookie=NIC:vm2:0, "                         \
    "in_port=2,vlan_tci=0x0000/0x1000,dl_src=50:6b:8d:00:02:01 "        \
    "actions=set_field:0x1->reg0," PIN2                                 \
    "push_vlan:0x8100,set_field:4198->vlan_vid,goto_table:20\n"

static void
test_classify_active_backup(void)
{
    struct intent *a = intent_a("active-backup", "eth4", "");
    char *text = compile_text(a, PORTS_A);

    /* vNICs get role 1, from their own MAC only, and being access ports
     * only untagged, with their VLAN pushed (4197 = 0x1000 | 101): they
     * skip vlan_in.  eth4, the primary, is the active member and the only
     * one accepting (role 3); eth3 drops; unknown ports drop. */
    CHECK_TEXT(table_lines(text, 0),
        CLASSIFY_A("", "")
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 actions=drop\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=set_field:0x3->reg0,goto_table:10\n"
        "table=0, priority=0, cookie=BR:br0 actions=drop\n");
    free(text);
    intent_destroy(a);

    /* Without a primary the first member in file order is active. */
    a = intent_a("active-backup", NULL, "");
    text = compile_text(a, PORTS_A);
    CHECK_TEXT(grep_lines(text, "table=0, priority=80,"),
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 "
        "actions=set_field:0x3->reg0,goto_table:10\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=drop\n");
    free(text);
    intent_destroy(a);
}

static void
test_vlan_in(void)
{
    struct intent *a = intent_a("active-backup", "eth4", "");
    char *text = compile_text(a, PORTS_A);

    /* Access ports have no flows here (classify admits their untagged
     * frames and pushes the VLAN: test_classify_active_backup).  Uplink:
     * the two carried VLANs. */
    CHECK_TEXT(table_lines(text, 10),
        "table=10, priority=100, cookie=NET:vlan101, reg0=0x3,dl_vlan=101 "
        "actions=goto_table:20\n"
        "table=10, priority=100, cookie=NET:vlan102, reg0=0x3,dl_vlan=102 "
        "actions=goto_table:20\n"
        "table=10, priority=0, cookie=BR:br0 actions=drop\n");
    free(text);
    intent_destroy(a);

    /* Untagged network: no push, for the adapter and vm3 alike (their
     * classify flows go straight to port_security); the uplink admits
     * untagged frames.  Trunk vm4 (its classify flow goes to vlan_in):
     * untagged = native vlan101 (pushed), tagged 102 and 103 as they
     * are. */
    struct intent *b = parse_intent(intent_b_json);
    text = compile_text(b, PORTS_B);
    CHECK_TEXT(grep_lines(text, "table=0, priority=100,"),
        "table=0, priority=100, cookie=AD:mgmt, "
        "in_port=5,vlan_tci=0x0000/0x1000,dl_src=02:00:0a:08:0a:0b "
        "actions=set_field:0x2->reg0,goto_table:20\n"
        "table=0, priority=100, cookie=NIC:vm3:0, "
        "in_port=3,vlan_tci=0x0000/0x1000,dl_src=50:6b:8d:00:03:01 "
        "actions=set_field:0x1->reg0,goto_table:20\n"
        "table=0, priority=100, cookie=NIC:vm4:0, "
        "in_port=4,dl_src=50:6b:8d:00:04:01 "
        "actions=set_field:0x1->reg0,goto_table:10\n");
    CHECK_TEXT(table_lines(text, 10),
        "table=10, priority=100, cookie=NIC:vm4:0, "
        "in_port=4,vlan_tci=0x0000/0x1000 "
        "actions=push_vlan:0x8100,set_field:4197->vlan_vid,goto_table:20\n"
        "table=10, priority=100, cookie=NIC:vm4:0, in_port=4,dl_vlan=102 "
        "actions=goto_table:20\n"
        "table=10, priority=100, cookie=NIC:vm4:0, in_port=4,dl_vlan=103 "
        "actions=goto_table:20\n"
        "table=10, priority=100, cookie=NET:vlan101, reg0=0x3,dl_vlan=101 "
        "actions=goto_table:20\n"
        "table=10, priority=100, cookie=NET:vlan102, reg0=0x3,dl_vlan=102 "
        "actions=goto_table:20\n"
        "table=10, priority=100, cookie=NET:vlan103, reg0=0x3,dl_vlan=103 "
        "actions=goto_table:20\n"
        "table=10, priority=100, cookie=NET:untagged, "
        "reg0=0x3,vlan_tci=0x0000/0x1000 actions=goto_table:20\n"
        "table=10, priority=0, cookie=BR:br0 actions=drop\n");
    free(text);
    intent_destroy(b);
}

static void
test_port_security(void)
{
    struct intent *a = intent_a("active-backup", "eth4", "");
    char *text = compile_text(a, PORTS_A);

    /* The source MAC was checked by classify.  vm1 has an address: IPv4
     * and ARP must carry it.  vm2 has none: any IPv4, ARP must still carry
     * its MAC.  DHCP from 0.0.0.0 is allowed, and any other IPv4 or ARP
     * drops, at flows for the bridge; everything else goes on at the
     * table miss.  No DHCP server replies nor RAs from any VM port (two
     * flows for all, on the VM role in reg0). */
    CHECK_TEXT(table_lines(text, 20),
        "table=20, priority=200, cookie=BR:br0, udp,reg0=0x1,tp_src=67 "
        "actions=drop\n"
        "table=20, priority=200, cookie=BR:br0, "
        "icmp6,reg0=0x1,icmp_type=134 actions=drop\n"
        "table=20, priority=100, cookie=NIC:vm1:0, "
        "ip,in_port=1,nw_src=10.8.101.1 actions=goto_table:30\n"
        "table=20, priority=100, cookie=NIC:vm1:0, "
        "arp,in_port=1,arp_spa=10.8.101.1,arp_sha=50:6b:8d:00:01:01 "
        "actions=goto_table:30\n"

        "table=20, priority=80, cookie=NIC:vm2:0, "
        "ip,in_port=2 actions=goto_table:30\n"
        "table=20, priority=80, cookie=NIC:vm2:0, "
        "arp,in_port=2,arp_sha=50:6b:8d:00:02:01 actions=goto_table:30\n"

        "table=20, priority=100, cookie=UP:br0-up, reg0=0x3 "
        "actions=goto_table:30\n"
        "table=20, priority=95, cookie=BR:br0, "
        "udp,nw_src=0.0.0.0,tp_src=68,tp_dst=67 actions=goto_table:30\n"
        "table=20, priority=70, cookie=BR:br0, ip actions=drop\n"
        "table=20, priority=70, cookie=BR:br0, arp actions=drop\n"
        "table=20, priority=0, cookie=BR:br0 actions=goto_table:30\n");
    free(text);
    intent_destroy(a);

    /* The adapter: address rules, but no DHCP / RA denials (a host may
     * serve them: they match the VM role only).  The trunk vm4: address
     * rules on its native VLAN only (and drops of its own there), any
     * IPv4 and ARP with its MAC as sender on every VLAN. */
    struct intent *b = parse_intent(intent_b_json);
    text = compile_text(b, PORTS_B);
    char *got = table_lines(text, 20);
    char *adapter = grep_lines(got, "table=20, priority=");
    free(got);
    CHECK_TEXT(adapter,
        "table=20, priority=200, cookie=BR:br0, udp,reg0=0x1,tp_src=67 "
        "actions=drop\n"
        "table=20, priority=200, cookie=BR:br0, "
        "icmp6,reg0=0x1,icmp_type=134 actions=drop\n"
        "table=20, priority=100, cookie=AD:mgmt, "
        "ip,in_port=5,nw_src=10.8.10.11 actions=goto_table:30\n"
        "table=20, priority=100, cookie=AD:mgmt, "
        "arp,in_port=5,arp_spa=10.8.10.11,arp_sha=02:00:0a:08:0a:0b "
        "actions=goto_table:30\n"

        "table=20, priority=80, cookie=NIC:vm3:0, "
        "ip,in_port=3 actions=goto_table:30\n"
        "table=20, priority=80, cookie=NIC:vm3:0, "
        "arp,in_port=3,arp_sha=50:6b:8d:00:03:01 actions=goto_table:30\n"

        "table=20, priority=100, cookie=NIC:vm4:0, "
        "ip,in_port=4,dl_vlan=101,nw_src=10.8.101.4 actions=goto_table:30\n"
        "table=20, priority=100, cookie=NIC:vm4:0, "
        "arp,in_port=4,dl_vlan=101,"
        "arp_spa=10.8.101.4,arp_sha=50:6b:8d:00:04:01 "
        "actions=goto_table:30\n"
        "table=20, priority=90, cookie=NIC:vm4:0, ip,in_port=4,dl_vlan=101 "
        "actions=drop\n"
        "table=20, priority=90, cookie=NIC:vm4:0, "
        "arp,in_port=4,dl_vlan=101 actions=drop\n"
        "table=20, priority=80, cookie=NIC:vm4:0, "
        "ip,in_port=4 actions=goto_table:30\n"
        "table=20, priority=80, cookie=NIC:vm4:0, "
        "arp,in_port=4,arp_sha=50:6b:8d:00:04:01 actions=goto_table:30\n"

        "table=20, priority=100, cookie=UP:br0-up, reg0=0x3 "
        "actions=goto_table:30\n"
        "table=20, priority=95, cookie=BR:br0, "
        "udp,nw_src=0.0.0.0,tp_src=68,tp_dst=67 actions=goto_table:30\n"
        "table=20, priority=70, cookie=BR:br0, ip actions=drop\n"
        "table=20, priority=70, cookie=BR:br0, arp actions=drop\n"
        "table=20, priority=0, cookie=BR:br0 actions=goto_table:30\n");
    free(text);
    intent_destroy(b);
}

static void
test_pass_through(void)
{
    struct intent *a = intent_a("active-backup", "eth4", "");
    char *text = compile_text(a, PORTS_A);

    CHECK_TEXT(table_lines(text, 30),
        "table=30, priority=0, cookie=BR:br0 actions=goto_table:40\n");
    CHECK_TEXT(table_lines(text, 40),
        "table=40, priority=0, cookie=BR:br0 actions=goto_table:50\n");
    CHECK_TEXT(table_lines(text, 55),
        "table=55, priority=0, cookie=BR:br0 actions=goto_table:60\n");
    free(text);
    intent_destroy(a);
}

static void
test_l2_forward(void)
{
    struct intent *a = intent_a("active-backup", "eth4", "");
    char *text = compile_text(a, PORTS_A);

    /* Known MACs -> their port (reg2); multicast from the uplink ->
     * "from uplink" group (0x20000 | VLAN), from anywhere else -> "from
     * local" group (0x10000 | VLAN); unknown unicast from the uplink
     * drops, from a local port goes to the uplink (reg2 = 0x10000). */
    CHECK_TEXT(table_lines(text, 50),
        "table=50, priority=100, cookie=NIC:vm1:0, "
        "dl_vlan=101,dl_dst=50:6b:8d:00:01:01 "
        "actions=set_field:0x1->reg2,goto_table:55\n"
        "table=50, priority=100, cookie=NIC:vm2:0, "
        "dl_vlan=102,dl_dst=50:6b:8d:00:02:01 "
        "actions=set_field:0x2->reg2,goto_table:55\n"
        "table=50, priority=60, cookie=NET:vlan101, "
        "reg0=0x3,dl_vlan=101,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 "
        "actions=group:131173\n"
        "table=50, priority=60, cookie=NET:vlan102, "
        "reg0=0x3,dl_vlan=102,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 "
        "actions=group:131174\n"
        "table=50, priority=50, cookie=NET:vlan101, "
        "dl_vlan=101,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 "
        "actions=group:65637\n"
        "table=50, priority=50, cookie=NET:vlan102, "
        "dl_vlan=102,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 "
        "actions=group:65638\n"
        "table=50, priority=20, cookie=UP:br0-up, "
        "reg0=0x3,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00 "
        "actions=drop\n"
        "table=50, priority=10, cookie=NET:vlan101, "
        "dl_vlan=101,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00 "
        "actions=set_field:0x10000->reg2,goto_table:55\n"
        "table=50, priority=10, cookie=NET:vlan102, "
        "dl_vlan=102,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00 "
        "actions=set_field:0x10000->reg2,goto_table:55\n"
        "table=50, priority=0, cookie=BR:br0 actions=drop\n");

    /* 65637 = 0x10065, 65638 = 0x10066: local members plus the uplink;
     * 131173 = 0x20065, 131174 = 0x20066: local members only. */
    CHECK_TEXT(grep_lines(text, "group_id=6"),
        "group_id=65637,type=all,"
        "bucket=actions=set_field:0x1->reg2,resubmit(,55),"
        "bucket=actions=set_field:0x10000->reg2,resubmit(,55)\n"
        "group_id=65638,type=all,"
        "bucket=actions=set_field:0x2->reg2,resubmit(,55),"
        "bucket=actions=set_field:0x10000->reg2,resubmit(,55)\n");
    CHECK_TEXT(grep_lines(text, "group_id=13"),
        "group_id=131173,type=all,"
        "bucket=actions=set_field:0x1->reg2,resubmit(,55)\n"
        "group_id=131174,type=all,"
        "bucket=actions=set_field:0x2->reg2,resubmit(,55)\n");
    free(text);
    intent_destroy(a);

    /* The trunk vm4 is reachable on all three of its VLANs; the untagged
     * network matches frames without a tag; its flood groups (VLAN 0:
     * 0x10000 = 65536, 0x20000 = 131072) hold vm3 and the adapter, in
     * port number order. */
    struct intent *b = parse_intent(intent_b_json);
    text = compile_text(b, PORTS_B);
    CHECK_TEXT(grep_lines(text, "table=50, priority=100,"),
        "table=50, priority=100, cookie=AD:mgmt, "
        "vlan_tci=0x0000/0x1000,dl_dst=02:00:0a:08:0a:0b "
        "actions=set_field:0x5->reg2,goto_table:55\n"
        "table=50, priority=100, cookie=NIC:vm3:0, "
        "vlan_tci=0x0000/0x1000,dl_dst=50:6b:8d:00:03:01 "
        "actions=set_field:0x3->reg2,goto_table:55\n"
        "table=50, priority=100, cookie=NIC:vm4:0, "
        "dl_vlan=101,dl_dst=50:6b:8d:00:04:01 "
        "actions=set_field:0x4->reg2,goto_table:55\n"
        "table=50, priority=100, cookie=NIC:vm4:0, "
        "dl_vlan=102,dl_dst=50:6b:8d:00:04:01 "
        "actions=set_field:0x4->reg2,goto_table:55\n"
        "table=50, priority=100, cookie=NIC:vm4:0, "
        "dl_vlan=103,dl_dst=50:6b:8d:00:04:01 "
        "actions=set_field:0x4->reg2,goto_table:55\n");
    CHECK_TEXT(grep_lines(text, "group_id="),
        "group_id=1,type=ff,bucket=watch_port:10,actions=output:10,"
        "bucket=watch_port:11,actions=output:11\n"
        "group_id=65536,type=all,"
        "bucket=actions=set_field:0x3->reg2,resubmit(,55),"
        "bucket=actions=set_field:0x5->reg2,resubmit(,55),"
        "bucket=actions=set_field:0x10000->reg2,resubmit(,55)\n"
        "group_id=65637,type=all,"
        "bucket=actions=set_field:0x4->reg2,resubmit(,55),"
        "bucket=actions=set_field:0x10000->reg2,resubmit(,55)\n"
        "group_id=65638,type=all,"
        "bucket=actions=set_field:0x4->reg2,resubmit(,55),"
        "bucket=actions=set_field:0x10000->reg2,resubmit(,55)\n"
        "group_id=65639,type=all,"
        "bucket=actions=set_field:0x4->reg2,resubmit(,55),"
        "bucket=actions=set_field:0x10000->reg2,resubmit(,55)\n"
        "group_id=131072,type=all,"
        "bucket=actions=set_field:0x3->reg2,resubmit(,55),"
        "bucket=actions=set_field:0x5->reg2,resubmit(,55)\n"
        "group_id=131173,type=all,"
        "bucket=actions=set_field:0x4->reg2,resubmit(,55)\n"
        "group_id=131174,type=all,"
        "bucket=actions=set_field:0x4->reg2,resubmit(,55)\n"
        "group_id=131175,type=all,"
        "bucket=actions=set_field:0x4->reg2,resubmit(,55)\n");
    free(text);
    intent_destroy(b);
}

static void
test_egress_active_backup(void)
{
    struct intent *a = intent_a("active-backup", "eth4", "");
    char *text = compile_text(a, PORTS_A);

    /* Access ports pop their VLAN; the uplink goes to the fast-failover
     * group 1, primary eth4 (11) first. */
    CHECK_TEXT(table_lines(text, 60),
        "table=60, priority=100, cookie=NIC:vm1:0, reg2=0x1,dl_vlan=101 "
        "actions=pop_vlan,output:1\n"
        "table=60, priority=100, cookie=NIC:vm2:0, reg2=0x2,dl_vlan=102 "
        "actions=pop_vlan,output:2\n"
        "table=60, priority=100, cookie=UP:br0-up, reg2=0x10000 "
        "actions=group:1\n"
        "table=60, priority=0, cookie=BR:br0 actions=drop\n");
    CHECK_TEXT(grep_lines(text, "group_id=1,"),
        "group_id=1,type=ff,bucket=watch_port:11,actions=output:11,"
        "bucket=watch_port:10,actions=output:10\n");
    free(text);
    intent_destroy(a);

    /* Untagged network: nothing to pop.  Trunk: native popped, others
     * leave tagged. */
    struct intent *b = parse_intent(intent_b_json);
    text = compile_text(b, PORTS_B);
    CHECK_TEXT(grep_lines(text, "table=60, priority=100, cookie=0xfc0"),
        "table=60, priority=100, cookie=AD:mgmt, "
        "reg2=0x5,vlan_tci=0x0000/0x1000 actions=output:5\n"
        "table=60, priority=100, cookie=NIC:vm3:0, "
        "reg2=0x3,vlan_tci=0x0000/0x1000 actions=output:3\n"
        "table=60, priority=100, cookie=NIC:vm4:0, reg2=0x4,dl_vlan=101 "
        "actions=pop_vlan,output:4\n"
        "table=60, priority=100, cookie=NIC:vm4:0, reg2=0x4,dl_vlan=102 "
        "actions=output:4\n"
        "table=60, priority=100, cookie=NIC:vm4:0, reg2=0x4,dl_vlan=103 "
        "actions=output:4\n"
        "table=60, priority=100, cookie=UP:br0-up, reg2=0x10000 "
        "actions=group:1\n");
    free(text);
    intent_destroy(b);
}

/* Counts the flows of 'd' in list 'which' (add, mod or del). */
static size_t
diff_count_table(const struct ovs_list *list, int table)
{
    size_t n = 0;
    const struct flowset_ref *ref;
    LIST_FOR_EACH (ref, node, list) {
        const struct flowset_flow *f = ref->new ? ref->new : ref->old;
        n += f->table_id == table;
    }
    return n;
}

static void
test_active_backup_failover(void)
{
    struct intent *a = intent_a("active-backup", "eth4", "");
    struct flowset up, down, back;
    char *t_up = compile(a, PORTS_A, &up);
    char *t_down = compile(a, "tap1=1 tap2=2 eth3=10 eth4=11/down", &down);
    char *t_back = compile(a, PORTS_A, &back);

    /* The primary's link goes down: eth3 accepts, eth4 drops. */
    CHECK_TEXT(grep_lines(t_down, "table=0, priority=80,"),
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 "
        "actions=set_field:0x3->reg0,goto_table:10\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=drop\n");

    /* And that is the whole change: two classify flows; the group fails
     * over by itself (watch_port). */
    struct flowset_diff d;
    flowset_diff(&up, &down, &d);
    UNIT_CHECK(d.n_mod_flows == 2 && diff_count_table(&d.mod_flows, 0) == 2);
    UNIT_CHECK(!d.n_add_flows && !d.n_del_flows);
    UNIT_CHECK(!d.n_add_groups && !d.n_mod_groups && !d.n_del_groups);
    flowset_diff_destroy(&d);

    /* Back up: the primary is active again. */
    UNIT_CHECK_STREQ(t_back, t_up);
    flowset_diff(&down, &back, &d);
    UNIT_CHECK(d.n_mod_flows == 2 && flowset_n_flows(&back)
               == flowset_n_flows(&up));
    flowset_diff_destroy(&d);

    /* Both down: nobody accepts, the group stays (it drops by itself). */
    char *t_none = compile_text(
        a, "tap1=1 tap2=2 eth3=10/down eth4=11/down");
    CHECK_TEXT(grep_lines(t_none, "table=0, priority=80,"),
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 actions=drop\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=drop\n");
    free(t_none);

    free(t_up);
    free(t_down);
    free(t_back);
    flowset_destroy(&up);
    flowset_destroy(&down);
    flowset_destroy(&back);
    intent_destroy(a);
}

/* Returns intent A with an LACP bond with the extra uplink keys
 * 'options' (a leading comma included). */
static struct intent *
intent_lacp(const char *options)
{
    char *json = xasprintf(INTENT_A_FMT, "lacp", options, "");
    struct intent *intent = parse_intent(json);
    free(json);
    return intent;
}

static void
test_lacp_aggregated(void)
{
    struct intent *a = intent_lacp("");

    /* Both members with a partner, collecting and distributing: LACPDUs
     * go to the controller, both accept, the select group spreads over
     * both. */
    char *text = compile_text(
        a, "tap1=1 tap2=2 eth3=10/lacp:pcd eth4=11/lacp:pcd");
    CHECK_TEXT(grep_lines(text, "table=0, priority=1"),
        "table=0, priority=110, cookie=UP:br0-up, "
        "in_port=10,dl_dst=01:80:c2:00:00:02,dl_type=0x8809 "
        "actions=CONTROLLER:65535\n"
        "table=0, priority=110, cookie=UP:br0-up, "
        "in_port=11,dl_dst=01:80:c2:00:00:02,dl_type=0x8809 "
        "actions=CONTROLLER:65535\n"
        CLASSIFY_A("", ""));
    CHECK_TEXT(grep_lines(text, "table=0, priority=80,"),
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 "
        "actions=set_field:0x3->reg0,goto_table:10\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=set_field:0x3->reg0,goto_table:10\n");
    CHECK_TEXT(grep_lines(text, "table=60, priority=100, cookie=0xfc05"),
        "table=60, priority=100, cookie=UP:br0-up, reg2=0x10000 "
        "actions=group:1\n");
    CHECK_TEXT(grep_lines(text, "group_id=1,"),
        "group_id=1,type=select,bucket=watch_port:10,"
        "actions=output:10,bucket=watch_port:11,"
        "actions=output:11\n");
    free(text);

    /* eth4's partner is there but not in sync (not collecting or
     * distributing): eth4 drops and has no bucket. */
    text = compile_text(a, "tap1=1 tap2=2 eth3=10/lacp:pcd eth4=11/lacp:p");
    CHECK_TEXT(grep_lines(text, "table=0, priority=80,"),
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 "
        "actions=set_field:0x3->reg0,goto_table:10\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=drop\n");
    CHECK_TEXT(grep_lines(text, "group_id=1,"),
        "group_id=1,type=select,bucket=watch_port:10,"
        "actions=output:10\n");
    free(text);

    /* A member whose link is down neither accepts nor gets a bucket, even
     * while LACP still says collecting and distributing; the other one
     * keeps the bond aggregated. */
    text = compile_text(
        a, "tap1=1 tap2=2 eth3=10/down/lacp:pcd eth4=11/lacp:pcd");
    CHECK_TEXT(grep_lines(text, "table=0, priority=80,"),
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 "
        "actions=drop\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=set_field:0x3->reg0,goto_table:10\n");
    CHECK_TEXT(grep_lines(text, "group_id=1,"),
        "group_id=1,type=select,bucket=watch_port:11,"
        "actions=output:11\n");
    free(text);
    intent_destroy(a);
}

static void
test_lacp_fallback(void)
{
    /* No partner anywhere, fallback active-backup (the default): exactly
     * active-backup (primary eth4 first), plus the LACPDU punt. */
    struct intent *a = intent_lacp(", 'primary': 'eth4'");
    struct intent *ab = intent_a("active-backup", "eth4", "");
    char *text = compile_text(a, PORTS_A);
    char *ab_text = compile_text(ab, PORTS_A);
    char *punt = grep_lines(text, "table=0, priority=110,");
    CHECK_TEXT(punt,
        "table=0, priority=110, cookie=UP:br0-up, "
        "in_port=10,dl_dst=01:80:c2:00:00:02,dl_type=0x8809 "
        "actions=CONTROLLER:65535\n"
        "table=0, priority=110, cookie=UP:br0-up, "
        "in_port=11,dl_dst=01:80:c2:00:00:02,dl_type=0x8809 "
        "actions=CONTROLLER:65535\n");
    struct ds rest = DS_EMPTY_INITIALIZER;
    for (const char *l = text; *l; ) {
        size_t len = strcspn(l, "\n") + 1;
        if (strncmp(l, "table=0, priority=110,", 22)) {
            ds_put_buffer(&rest, l, len);
        }
        l += len;
    }
    UNIT_CHECK_STREQ(ds_cstr(&rest), ab_text);
    CHECK_TEXT(grep_lines(text, "group_id=1,"),
        "group_id=1,type=ff,bucket=watch_port:11,actions=output:11,"
        "bucket=watch_port:10,actions=output:10\n");
    ds_destroy(&rest);
    free(text);
    free(ab_text);

    /* Partners that expired (still distributing would be a bug, but only
     * the partner flag decides): still fallback. */
    text = compile_text(a, "tap1=1 tap2=2 eth3=10/lacp:cd eth4=11/lacp:cd");
    CHECK_TEXT(grep_lines(text, "group_id=1,"),
        "group_id=1,type=ff,bucket=watch_port:11,actions=output:11,"
        "bucket=watch_port:10,actions=output:10\n");
    free(text);
    intent_destroy(a);
    intent_destroy(ab);

    /* Fallback "none": nothing but LACPDUs is accepted, the select group
     * has no bucket. */
    a = intent_lacp(", 'lacp_fallback': 'none'");
    text = compile_text(a, PORTS_A);
    CHECK_TEXT(grep_lines(text, "table=0, priority=80,"),
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 actions=drop\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=drop\n");
    CHECK_TEXT(grep_lines(text, "group_id=1,"),
        "group_id=1,type=select\n");
    UNIT_CHECK(strstr(text, "priority=110,") != NULL);
    free(text);

    /* And once a partner appears, it aggregates. */
    text = compile_text(a, "tap1=1 tap2=2 eth3=10/lacp:pcd eth4=11");
    CHECK_TEXT(grep_lines(text, "group_id=1,"),
        "group_id=1,type=select,bucket=watch_port:10,"
        "actions=output:10\n");
    free(text);
    intent_destroy(a);
}

/* pipeline_bond_in_fallback(): LACP bonds only, no member with a
 * partner. */
static void
test_lacp_in_fallback(void)
{
    struct intent *a = intent_lacp("");
    struct intent *ab = intent_a("active-backup", NULL, "");
    struct portmap pm;

    make_portmap(&pm, PORTS_A);
    UNIT_CHECK(pipeline_bond_in_fallback(first_bridge(a), &pm));
    UNIT_CHECK(!pipeline_bond_in_fallback(first_bridge(ab), &pm));
    portmap_destroy(&pm);

    make_portmap(&pm, "tap1=1 eth3=10 eth4=11/lacp:p");
    UNIT_CHECK(!pipeline_bond_in_fallback(first_bridge(a), &pm));
    portmap_destroy(&pm);
    intent_destroy(a);
    intent_destroy(ab);
}

static void
test_balance_slb(void)
{
    struct intent *a = intent_a("balance-slb", NULL, "");
    struct flowset both, eth4_down;
    char *t_both = compile(a, PORTS_A, &both);

    /* Each VM port loads its pin into reg8: FNV-1a-64 of the MAC bytes
     * mod 2 (computed independently): 50:6b:8d:00:01:01 -> 1 (eth4, port
     * 11), 50:6b:8d:00:02:01 -> 0 (eth3, port 10).  Reflections (own MACs
     * from outside) drop; both members accept unicast; multicast only on
     * eth3 (the first live member). */
    CHECK_TEXT(table_lines(t_both, 0),
        CLASSIFY_A("set_field:0xb->reg8,", "set_field:0xa->reg8,")
        "table=0, priority=90, cookie=NIC:vm1:0, "
        "dl_src=50:6b:8d:00:01:01 actions=drop\n"
        "table=0, priority=90, cookie=NIC:vm2:0, "
        "dl_src=50:6b:8d:00:02:01 actions=drop\n"
        "table=0, priority=85, cookie=UP:br0-up, "
        "in_port=11,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 "
        "actions=drop\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 "
        "actions=set_field:0x3->reg0,goto_table:10\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=set_field:0x3->reg0,goto_table:10\n"
        "table=0, priority=0, cookie=BR:br0 actions=drop\n");

    /* One uplink flow outputs to the pin in reg8, whatever the source.
     * No bond group. */
    CHECK_TEXT(table_lines(t_both, 60),
        "table=60, priority=100, cookie=NIC:vm1:0, reg2=0x1,dl_vlan=101 "
        "actions=pop_vlan,output:1\n"
        "table=60, priority=100, cookie=NIC:vm2:0, reg2=0x2,dl_vlan=102 "
        "actions=pop_vlan,output:2\n"
        "table=60, priority=100, cookie=UP:br0-up, reg2=0x10000 "
        "actions=output:NXM_NX_REG8[0..15]\n"
        "table=60, priority=0, cookie=BR:br0 actions=drop\n");
    UNIT_CHECK(flowset_find_group(&both, PIPELINE_GROUP_BOND) == NULL);

    /* eth4 goes down: vm1 re-pinned to eth3, vm2 stays; eth4 drops; eth3
     * (still first live) keeps multicast. */
    char *t_down = compile(a, "tap1=1 tap2=2 eth3=10 eth4=11/down",
                           &eth4_down);
    CHECK_TEXT(grep_lines(t_down, "table=0, priority=100"),
        CLASSIFY_A("set_field:0xa->reg8,", "set_field:0xa->reg8,"));
    CHECK_TEXT(grep_lines(t_down, "table=0, priority=8"),
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 "
        "actions=set_field:0x3->reg0,goto_table:10\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=drop\n");

    /* The change is exactly: vm1's pin (its classify flow), eth4's accept
     * rule, and eth4's multicast drop (gone: the port drops everything
     * now). */
    struct flowset_diff d;
    flowset_diff(&both, &eth4_down, &d);
    UNIT_CHECK(d.n_mod_flows == 2);
    UNIT_CHECK(diff_count_table(&d.mod_flows, 0) == 2);
    UNIT_CHECK(d.n_del_flows == 1 && diff_count_table(&d.del_flows, 0) == 1);
    UNIT_CHECK(!d.n_add_flows && flowset_diff_is_empty(&d) == false);
    UNIT_CHECK(!d.n_add_groups && !d.n_mod_groups && !d.n_del_groups);
    flowset_diff_destroy(&d);

    /* eth3 goes down instead: vm2 moves to eth4, vm1 stays; eth4 is now
     * the first live member and takes multicast (no priority-85 drop). */
    char *t_down3 = compile_text(a, "tap1=1 tap2=2 eth3=10/down eth4=11");
    CHECK_TEXT(grep_lines(t_down3, "table=0, priority=100"),
        CLASSIFY_A("set_field:0xb->reg8,", "set_field:0xb->reg8,"));
    CHECK_TEXT(grep_lines(t_down3, "table=0, priority=8"),
        "table=0, priority=80, cookie=UP:br0-up, in_port=10 actions=drop\n"
        "table=0, priority=80, cookie=UP:br0-up, in_port=11 "
        "actions=set_field:0x3->reg0,goto_table:10\n");

    /* Both down: no pins at all, and no way to the uplink. */
    char *t_none = compile_text(
        a, "tap1=1 tap2=2 eth3=10/down eth4=11/down");
    UNIT_CHECK(strstr(t_none, "reg8") == NULL);
    UNIT_CHECK(strstr(t_none, "reg2=0x10000") == NULL);
    free(t_none);

    free(t_both);
    free(t_down);
    free(t_down3);
    flowset_destroy(&both);
    flowset_destroy(&eth4_down);
    intent_destroy(a);
}

/* Returns the number of flows of 'fs' whose cookie is 'cookie' under
 * 'mask'. */
static size_t
count_cookie(const struct flowset *fs, uint64_t cookie, uint64_t mask)
{
    size_t n = 0;
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, fs) {
        n += !((ntohll(f->cookie) ^ cookie) & mask);
    }
    return n;
}

static void
test_absent_port(void)
{
    struct intent *a = intent_a("active-backup", "eth4", "");
    const struct intent_vm *vm2 = intent_find_vm(a, "vm2");
    uint64_t c2 = pipeline_cookie_vm(vm2);
    struct flowset without, with;

    /* tap2 missing: no flow of vm2's, and no flood group for vlan102 (no
     * local member); vlan102 still reaches the uplink and is admitted
     * from it. */
    char *t_without = compile(a, "tap1=1 eth3=10 eth4=11", &without);
    UNIT_CHECK(count_cookie(&without, c2, PIPELINE_COOKIE_OBJECT_MASK) == 0);
    UNIT_CHECK(strstr(t_without, "in_port=2") == NULL);
    UNIT_CHECK(strstr(t_without, "0x2->reg2") == NULL);
    UNIT_CHECK(flowset_find_group(&without,
                                  pipeline_group_flood_local(102)) == NULL);
    UNIT_CHECK(flowset_find_group(&without,
                                  pipeline_group_flood_uplink(102)) == NULL);
    UNIT_CHECK(strstr(t_without, "reg0=0x3,dl_vlan=102 ") != NULL);

    /* tap2 appears: the change adds vm2's flows and vlan102's flood flows
     * and groups, and touches nothing else. */
    char *t_with = compile(a, PORTS_A, &with);
    size_t n_vm2 = count_cookie(&with, c2, PIPELINE_COOKIE_OBJECT_MASK);
    /* classify 1 (access port: no vlan_in flow), port_security 2 (no
     * address), l2_forward 1, egress 1. */
    UNIT_CHECK(n_vm2 == 5);

    struct flowset_diff d;
    flowset_diff(&without, &with, &d);
    UNIT_CHECK(!d.n_mod_flows && !d.n_del_flows);
    UNIT_CHECK(!d.n_mod_groups && !d.n_del_groups && d.n_add_groups == 2);
    UNIT_CHECK(d.n_add_flows == n_vm2 + 2);
    size_t n_net = 0;
    const struct flowset_ref *ref;
    LIST_FOR_EACH (ref, node, &d.add_flows) {
        const struct flowset_flow *f = ref->new;
        uint64_t cookie = ntohll(f->cookie);
        if (cookie == pipeline_cookie_make(PIPELINE_COOKIE_NETWORK,
                                           "vlan102", 0)) {
            n_net++;
            UNIT_CHECK(f->table_id == 50);
        } else {
            UNIT_CHECK(!((cookie ^ c2) & PIPELINE_COOKIE_OBJECT_MASK));
        }
    }
    UNIT_CHECK(n_net == 2);
    flowset_diff_destroy(&d);

    /* A member absent: no classify flow and no bucket for it. */
    char *t_member = compile_text(a, "tap1=1 tap2=2 eth4=11");
    UNIT_CHECK(strstr(t_member, "in_port=10") == NULL);
    CHECK_TEXT(grep_lines(t_member, "group_id=1,"),
        "group_id=1,type=ff,bucket=watch_port:11,actions=output:11\n");
    free(t_member);

    free(t_without);
    free(t_with);
    flowset_destroy(&without);
    flowset_destroy(&with);
    intent_destroy(a);
}

static void
test_add_vm_and_revert(void)
{
    struct intent *a = intent_a("active-backup", "eth4", "");
    struct intent *a5 = intent_a("active-backup", "eth4", VM5);
    struct intent *a_again = intent_a("active-backup", "eth4", "");
    const char *ports = PORTS_A " tap5=5";
    struct flowset s1, s2, s3;

    char *t1 = compile(a, ports, &s1);
    char *t2 = compile(a5, ports, &s2);
    char *t3 = compile(a_again, ports, &s3);

    /* Adding vm5 adds only vm5's flows and a bucket in each of vlan101's
     * two flood groups. */
    uint64_t c5 = pipeline_cookie_vm(intent_find_vm(a5, "vm5"));
    struct flowset_diff d;
    flowset_diff(&s1, &s2, &d);
    UNIT_CHECK(d.n_add_flows > 0 && !d.n_mod_flows && !d.n_del_flows);
    UNIT_CHECK(d.n_add_flows
               == count_cookie(&s2, c5, PIPELINE_COOKIE_OBJECT_MASK));
    UNIT_CHECK(!d.n_add_groups && !d.n_del_groups && d.n_mod_groups == 2);
    const struct flowset_ref *ref;
    LIST_FOR_EACH (ref, node, &d.mod_groups) {
        const struct flowset_group *g = ref->new;
        UNIT_CHECK(g->group_id == pipeline_group_flood_local(101)
                   || g->group_id == pipeline_group_flood_uplink(101));
    }
    flowset_diff_destroy(&d);

    /* Reverting gives back exactly the starting set. */
    UNIT_CHECK_STREQ(t3, t1);
    flowset_diff(&s1, &s3, &d);
    UNIT_CHECK(flowset_diff_is_empty(&d));
    flowset_diff_destroy(&d);
    flowset_diff(&s2, &s3, &d);
    UNIT_CHECK(d.n_del_flows == count_cookie(&s2, c5,
                                             PIPELINE_COOKIE_OBJECT_MASK)
               && !d.n_add_flows && !d.n_mod_flows && d.n_mod_groups == 2);
    flowset_diff_destroy(&d);

    free(t1);
    free(t2);
    free(t3);
    flowset_destroy(&s1);
    flowset_destroy(&s2);
    flowset_destroy(&s3);
    intent_destroy(a);
    intent_destroy(a5);
    intent_destroy(a_again);
}

static void
test_unknown_switch(void)
{
    struct flowset fs;
    struct ds s = DS_EMPTY_INITIALIZER;

    flowset_init(&fs);
    pipeline_compile_unknown(&fs);
    flowset_format(&fs, &s);
    /* 0xe484222325: the low 40 bits of FNV-1a-64("") (its offset
     * basis). */
    UNIT_CHECK_STREQ(ds_cstr(&s),
                     "table=0, priority=0, cookie=0xfc01e48422232500 "
                     "actions=drop\n");
    ds_destroy(&s);
    flowset_destroy(&fs);
}

static void
test_cookies(void)
{
    /* Known answers: FNV-1a-64("a") = 0xaf63dc4c8601ec8c (the published
     * test vector); FNV-1a-64("vm1") = 0x68f65f194ec59887 (Python). */
    UNIT_CHECK(pipeline_cookie_name_hash("a") == 0x4c8601ec8cULL);
    UNIT_CHECK(pipeline_cookie_make(PIPELINE_COOKIE_NIC, "vm1", 2)
               == 0xfc03194ec5988702ULL);
    UNIT_CHECK(pipeline_cookie_make(PIPELINE_COOKIE_NETWORK, "a", 0)
               == 0xfc024c8601ec8c00ULL);
    UNIT_CHECK(pipeline_cookie_is_ours(0xfc03194ec5988702ULL));
    UNIT_CHECK(!pipeline_cookie_is_ours(0x0ULL));
    UNIT_CHECK(!pipeline_cookie_is_ours(0xfd03194ec5988702ULL));

    /* A two-NIC VM: cookie_vm / OBJECT_MASK selects both NICs' flows,
     * the exact mask one NIC's. */
    struct intent *a = intent_a(
        "active-backup", "eth4",
        ", {'name': 'vm7', 'host': 'h1', 'nics': ["
        "   {'port': 'tap7', 'mac': '50:6b:8d:00:07:01',"
        "    'network': 'vlan101'},"
        "   {'port': 'tap8', 'mac': '50:6b:8d:00:07:02',"
        "    'network': 'vlan102'}]}");
    const struct intent_vm *vm7 = intent_find_vm(a, "vm7");
    struct flowset fs;
    char *text = compile(a, PORTS_A " tap7=7 tap8=8", &fs);
    uint64_t c0 = pipeline_cookie_nic(&vm7->nics[0]);
    uint64_t c1 = pipeline_cookie_nic(&vm7->nics[1]);
    UNIT_CHECK(c0 == pipeline_cookie_vm(vm7) && c1 == (c0 | 1));

    size_t n0 = count_cookie(&fs, c0, PIPELINE_COOKIE_EXACT_MASK);
    size_t n1 = count_cookie(&fs, c1, PIPELINE_COOKIE_EXACT_MASK);
    size_t n = count_cookie(&fs, pipeline_cookie_vm(vm7),
                            PIPELINE_COOKIE_OBJECT_MASK);
    UNIT_CHECK(n0 > 0 && n1 > 0 && n == n0 + n1);

    struct ds s = DS_EMPTY_INITIALIZER;
    flowset_format_filtered(&fs, pipeline_cookie_nic(&vm7->nics[1]),
                            PIPELINE_COOKIE_EXACT_MASK, NULL, &s);
    UNIT_CHECK(strstr(ds_cstr(&s), "in_port=8") != NULL);
    UNIT_CHECK(strstr(ds_cstr(&s), "in_port=7") == NULL);
    UNIT_CHECK(strstr(ds_cstr(&s), "in_port=1") == NULL);
    ds_destroy(&s);

    free(text);
    flowset_destroy(&fs);
    intent_destroy(a);
}

/* Encodes every flow and group of 'fs' as OpenFlow 1.3 flow_mods and
 * group_mods, decodes them into a new flow set, and returns true if that
 * set does not differ from 'fs': what the switch reports back compares
 * equal to what was compiled. */
static bool
round_trip(const struct flowset *fs)
{
    struct flowset back;
    flowset_init(&back);

    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, fs) {
        struct ofputil_flow_mod fm = {
            .priority = f->priority,
            .new_cookie = f->cookie,
            .table_id = f->table_id,
            .command = OFPFC_ADD,
            .buffer_id = UINT32_MAX,
            .out_port = OFPP_ANY,
            .out_group = OFPG_ANY,
            .ofpacts = CONST_CAST(struct ofpact *, f->ofpacts),
            .ofpacts_len = f->ofpacts_len,
        };
        minimatch_clone(&fm.match, &f->match);
        struct ofpbuf *msg = ofputil_encode_flow_mod(&fm,
                                                     OFPUTIL_P_OF13_OXM);
        minimatch_destroy(&fm.match);

        struct ofputil_flow_mod dm;
        struct ofpbuf ofpacts;
        ofpbuf_init(&ofpacts, 0);
        enum ofperr error = ofputil_decode_flow_mod(
            &dm, msg->data, OFPUTIL_P_OF13_OXM, NULL, NULL, &ofpacts,
            OFPP_MAX, 255);
        UNIT_CHECK(!error);
        if (!error) {
            flowset_add_flow_owned(&back, dm.table_id, dm.priority,
                                   &dm.match, dm.new_cookie,
                                   ofpbuf_steal_data(&ofpacts),
                                   dm.ofpacts_len);
        }
        ofpbuf_uninit(&ofpacts);
        ofpbuf_delete(msg);
    }

    const struct flowset_group *g;
    HMAP_FOR_EACH (g, node, &fs->groups) {
        struct ofputil_group_mod gm = {
            .command = OFPGC11_ADD,
            .type = g->type,
            .group_id = g->group_id,
        };
        ovs_list_init(&gm.buckets);
        ofputil_bucket_clone_list(&gm.buckets, &g->buckets, NULL);
        struct ofpbuf *msg = ofputil_encode_group_mod(OFP13_VERSION, &gm,
                                                      NULL, false);
        ofputil_uninit_group_mod(&gm);

        struct ofputil_group_mod dm;
        enum ofperr error = ofputil_decode_group_mod(msg->data, &dm);
        UNIT_CHECK(!error);
        if (!error) {
            struct flowset_group *bg = flowset_add_group(&back, dm.group_id,
                                                         dm.type);
            ovs_list_push_back_all(&bg->buckets, &dm.buckets);
            ofputil_uninit_group_mod(&dm);
        }
        ofpbuf_delete(msg);
    }

    struct flowset_diff d;
    flowset_diff(&back, fs, &d);
    bool same = flowset_diff_is_empty(&d);
    if (!same) {
        const struct flowset_ref *ref;
        LIST_FOR_EACH (ref, node, &d.del_flows) {
            struct ds s = DS_EMPTY_INITIALIZER;
            flowset_flow_format(ref->old, &s);
            fprintf(stderr, "  switch has: %s\n", ds_cstr(&s));
            ds_destroy(&s);
        }
        LIST_FOR_EACH (ref, node, &d.add_flows) {
            struct ds s = DS_EMPTY_INITIALIZER;
            flowset_flow_format(ref->new, &s);
            fprintf(stderr, "  compiled:   %s\n", ds_cstr(&s));
            ds_destroy(&s);
        }
        fprintf(stderr, "round trip: %"PRIuSIZE" added, %"PRIuSIZE
                " modified, %"PRIuSIZE" deleted flows; %"PRIuSIZE
                " added, %"PRIuSIZE" modified groups\n",
                d.n_add_flows, d.n_mod_flows, d.n_del_flows,
                d.n_add_groups, d.n_mod_groups);
    }
    flowset_diff_destroy(&d);
    flowset_destroy(&back);
    return same;
}

static void
test_openflow_round_trip(void)
{
    struct intent *intents[] = {
        intent_a("active-backup", "eth4", ""),
        intent_a("balance-slb", NULL, ""),
        parse_intent(intent_b_json),
    };
    const char *ports[] = { PORTS_A, PORTS_A, PORTS_B };

    for (size_t i = 0; i < ARRAY_SIZE(intents); i++) {
        struct flowset fs;
        free(compile(intents[i], ports[i], &fs));
        UNIT_CHECK(flowset_n_flows(&fs) > 0);
        UNIT_CHECK(round_trip(&fs));
        flowset_destroy(&fs);
        intent_destroy(intents[i]);
    }
}

/* Compiles every bridge of the SCVMM example, with every port the intent
 * names present and live, and checks the OpenFlow round trip. */
static void
test_scvmm_example(void)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_load_file(
        TOP_SRCDIR "/examples/scvmm-logical-switch.json", &errors);
    UNIT_CHECK(intent != NULL);
    svec_destroy(&errors);
    if (!intent) {
        return;
    }

    for (size_t h = 0; h < intent_n_hosts(intent); h++) {
        const struct intent_host *host = intent_host_at(intent, h);
        for (size_t b = 0; b < host->n_bridges; b++) {
            const struct intent_bridge *br = &host->bridges[b];
            struct portmap pm;
            uint16_t next = 1;

            portmap_init(&pm);
            for (size_t i = 0; i < br->uplink.n_members; i++) {
                portmap_set(&pm, br->uplink.members[i], u16_to_ofp(next++),
                            true);
            }
            for (size_t i = 0; i < br->n_adapters; i++) {
                portmap_set(&pm, br->adapters[i].port, u16_to_ofp(next++),
                            true);
            }
            for (size_t i = 0; i < br->n_nics; i++) {
                portmap_set(&pm, br->nics[i]->port, u16_to_ofp(next++),
                            true);
            }

            struct flowset fs;
            flowset_init(&fs);
            pipeline_compile(intent, br, &pm, &fs);
            /* Each local port has flows in classify, vlan_in,
             * port_security, l2_forward and egress. */
            UNIT_CHECK(flowset_n_flows(&fs)
                       >= 8 + 5 * (br->n_adapters + br->n_nics));
            UNIT_CHECK(round_trip(&fs));
            if (getenv("PIPELINE_TEST_DUMP")) {
                struct ds s = DS_EMPTY_INITIALIZER;
                flowset_format(&fs, &s);
                printf("--- %s/%s\n%s", host->name, br->name, ds_cstr(&s));
                ds_destroy(&s);
            }
            flowset_destroy(&fs);
            portmap_destroy(&pm);
        }
    }
    intent_destroy(intent);
}


/* ---------------------------------------------------------------------- */
/* Microsegmentation. */

/* Intent M: one bridge, vlan101; web1, app1, db1 and dev1 local, web2 on
 * another host; '%s' is where the policies go. */
#define INTENT_M_FMT                                                    \
    "{'version': 1,"                                                    \
    " 'networks': [{'name': 'vlan101', 'vlan': 101,"                    \
    "               'subnet': '10.8.101.0/24'}],"                       \
    " 'hosts': ["                                                       \
    "  {'name': 'h1', 'bridges': [{'name': 'br0',"                      \
    "    'datapath_id': '0000000000000001',"                            \
    "    'uplink': {'name': 'br0-up', 'members': ['eth3', 'eth4']},"    \
    "    'networks': ['vlan101']}]},"                                   \
    "  {'name': 'h2', 'bridges': [{'name': 'br0',"                      \
    "    'datapath_id': '0000000000000002',"                            \
    "    'uplink': {'name': 'br0-up', 'members': ['eth3', 'eth4']},"    \
    "    'networks': ['vlan101']}]}],"                                  \
    " 'vms': ["                                                         \
    "  {'name': 'web1', 'host': 'h1', 'categories': {'AppTier': 'web',"  \
    "    'Environment': 'prod'}, 'nics': [{'port': 'tap1',"             \
    "    'mac': '50:6b:8d:00:01:01', 'network': 'vlan101',"             \
    "    'ip': '10.8.101.1'}]},"                                        \
    "  {'name': 'app1', 'host': 'h1', 'categories': {'AppTier': 'app',"  \
    "    'Environment': 'prod'}, 'nics': [{'port': 'tap2',"             \
    "    'mac': '50:6b:8d:00:02:01', 'network': 'vlan101',"             \
    "    'ip': '10.8.101.2'}]},"                                        \
    "  {'name': 'db1', 'host': 'h1', 'categories': {'AppTier': 'db',"    \
    "    'Environment': 'prod'}, 'nics': [{'port': 'tap3',"             \
    "    'mac': '50:6b:8d:00:03:01', 'network': 'vlan101',"             \
    "    'ip': '10.8.101.3'}]},"                                        \
    "  {'name': 'dev1', 'host': 'h1', 'categories': "                   \
    "    {'Environment': 'dev'}, 'nics': [{'port': 'tap4',"             \
    "    'mac': '50:6b:8d:00:04:01', 'network': 'vlan101',"             \
    "    'ip': '10.8.101.4'}]},"                                        \
    "  {'name': 'web2', 'host': 'h2', 'categories': {'AppTier': 'web',"  \
    "    'Environment': 'prod'}, 'nics': [{'port': 'tap1',"             \
    "    'mac': '50:6b:8d:00:05:01', 'network': 'vlan101',"             \
    "    'ip': '10.8.101.5'}]}],"                                       \
    " 'policies': [%s]}"

#define PORTS_M "tap1=1 tap2=2 tap3=3 tap4=4 eth3=10 eth4=11"

/* The application policy of the issue: app accepts tcp 8080 and
 * 9000-9010 from web, and icmp from 10.8.10.0/24. */
#define POLICY_WEB_APP                                                  \
    "{'name': 'web-app', 'type': 'application', 'mode': '%s',"          \
    " 'log': true, 'target': {'AppTier': 'app'},"                       \
    " 'inbound': {'default': 'deny', 'allow': ["                        \
    "   {'from': {'AppTier': 'web'}, 'protocol': 'tcp',"                \
    "    'ports': [8080, '9000-9010']},"                                \
    "   {'from': {'cidr': '10.8.10.0/24'}, 'protocol': 'icmp'}]},"      \
    " 'outbound': {'default': 'allow'}}"

#define POLICY_PROD_DEV                                                 \
    "{'name': 'prod-dev', 'type': 'isolation', 'mode': '%s',"           \
    " 'between': [{'Environment': 'prod'}, {'Environment': 'dev'}]}"

/* Returns intent M with 'policies' (JSON, ' for "). */
static struct intent *
intent_m(const char *policies)
{
    char *json = xasprintf(INTENT_M_FMT, policies);
    struct intent *intent = parse_intent(json);
    free(json);
    return intent;
}

/* Returns the number of flows of 'fs' in tables 'lo'...'hi'. */
static size_t
count_tables(const struct flowset *fs, int lo, int hi)
{
    size_t n = 0;
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, fs) {
        n += f->table_id >= lo && f->table_id <= hi;
    }
    return n;
}

/* Returns the cookie of kind 'kind' of policy 'name' in 'intent' with
 * rule bits 'bits'. */
static uint64_t
policy_cookie(const struct intent *intent, const char *name,
              enum pipeline_cookie_kind kind, unsigned int bits)
{
    const struct intent_policy *p = intent_find_policy(intent, name);
    ovs_assert(p);
    return pipeline_cookie_policy(kind, p, bits);
}

/* Returns the dispatch ID (reg1) that the first flow of table 'table' in
 * 'text' loading one sets, or 0 if none does. */
static uint32_t
dispatch_id(const char *text, int table)
{
    char *lines = table_lines(text, table);
    const char *load = strstr(lines, "->reg1,");
    uint32_t id = 0;
    if (load) {
        while (load > lines && load[-1] != ':') {
            load--;
        }
        id = strtoul(load, NULL, 16);
    }
    free(lines);
    return id;
}

static void
test_microseg_application(void)
{
    char *pol = xasprintf(POLICY_WEB_APP, "enforce");
    struct intent *m = intent_m(pol);
    struct flowset fs;
    char *text = compile(m, PORTS_M, &fs);
    uint32_t id = pipeline_policy_eval_id(intent_find_policy(m, "web-app"),
                                          0);

    /* The source side evaluates nothing (the policy's outbound default is
     * allow), but app1 still goes through conntrack there, so the replies
     * of the connections it opens are known when they come back; its
     * dispatch evaluates nothing and goes straight to the verdict. */
    uint32_t out_id = dispatch_id(text, 30), in_id = dispatch_id(text, 55);
    UNIT_CHECK(out_id && in_id && out_id != in_id);
    char *exp = xasprintf(
        "table=30, priority=110, cookie=BR:br0, arp actions=goto_table:40\n"
        "table=30, priority=100, cookie=NIC:app1:0, reg0=0x1,in_port=2 "
        "actions=set_field:0x2->reg3,set_field:%#"PRIx32"->reg1,"
        "goto_table:31\n"
        "table=30, priority=0, cookie=BR:br0 actions=goto_table:40\n",
        out_id);
    CHECK_TEXT(table_lines(text, 30), exp);
    free(exp);
    /* STATE: IPv4 into conntrack in the zone in reg3; other EtherTypes on
     * (nothing denies them on this side); the dispatch is the bridge's,
     * selected by reg1. */
    char *out_state = table_lines(text, 31);
    exp = xasprintf("table=31, priority=300, cookie=%#"PRIx64", "
                    "ct_state=-trk,ip "
                    "actions=ct(table=31,zone=NXM_NX_REG3[0..15])\n"
                    "table=31, priority=280, cookie=%#"PRIx64", "
                    "ct_state=-trk actions=goto_table:40\n",
                    symbolic_cookie("BR:br0"), symbolic_cookie("BR:br0"));
    UNIT_CHECK(strstr(out_state, exp) == out_state);
    free(exp);
    exp = xasprintf("table=31, priority=50, cookie=%#"PRIx64", "
                    "ct_state=-rel-rpl-inv+trk,reg1=%#"PRIx32" "
                    "actions=set_field:0->reg6,goto_table:33\n",
                    symbolic_cookie("BR:br0"), out_id);
    UNIT_CHECK(strstr(out_state, exp) != NULL);
    free(exp);
    free(out_state);
    UNIT_CHECK(count_tables(&fs, 32, 32) == 1);     /* The miss. */

    /* The destination side: app1 (tap2, zone 2) goes to STATE, untracked
     * (a reply from a VM of this bridge is still tracked in the sender's
     * zone). */
    exp = xasprintf(
        "table=55, priority=110, cookie=BR:br0, arp actions=goto_table:60\n"
        "table=55, priority=100, cookie=NIC:app1:0, reg2=0x2 "
        "actions=set_field:0->reg5,set_field:0x2->reg3,"
        "set_field:%#"PRIx32"->reg1,ct_clear,goto_table:56\n"
        "table=55, priority=0, cookie=BR:br0 actions=goto_table:60\n",
        in_id);
    CHECK_TEXT(table_lines(text, 55), exp);
    free(exp);

    /* STATE: IPv4 into conntrack; the other EtherTypes of app1's dispatch
     * denied, counted against web-app; replies on while ct_mark is 0;
     * originals dispatched. */
    exp = xasprintf(
        "table=56, priority=300, cookie=BR:br0, ct_state=-trk,ip "
        "actions=ct(table=56,zone=NXM_NX_REG3[0..15])\n"
        "table=56, priority=290, cookie=%#"PRIx64", ct_state=-trk,"
        "reg1=%#"PRIx32" actions=drop\n"
        "table=56, priority=280, cookie=BR:br0, ct_state=-trk "
        "actions=goto_table:60\n"
        "table=56, priority=150, cookie=BR:br0, ct_state=+inv+trk "
        "actions=drop\n"
        "table=56, priority=100, cookie=BR:br0, ct_state=+rel+trk,"
        "ct_mark=0 actions=goto_table:60\n"
        "table=56, priority=100, cookie=BR:br0, ct_state=+rpl+trk,"
        "ct_mark=0 actions=goto_table:60\n"
        "table=56, priority=90, cookie=BR:br0, ct_state=+rel+trk "
        "actions=drop\n"
        "table=56, priority=90, cookie=BR:br0, ct_state=+rpl+trk "
        "actions=drop\n"
        "table=56, priority=50, cookie=BR:br0, "
        "ct_state=-rel-rpl-inv+trk,reg1=%#"PRIx32" actions=set_field:%#"PRIx32
        "->reg6,set_field:%#"PRIx32"->reg4,resubmit(,59),resubmit(,57),"
        "goto_table:58\n"
        "table=56, priority=0, cookie=BR:br0 actions=drop\n",
        policy_cookie(m, "web-app", PIPELINE_COOKIE_POLICY_DENY, 0x80),
        in_id, in_id, id, id);
    CHECK_TEXT(table_lines(text, 56), exp);
    free(exp);

    /* CLASS: rule 1's peer, AppTier web, is class 0 (reg7 bit 0x1) of the
     * policy's inbound side: one flow per web address (10.8.101.1 here,
     * 10.8.101.5 on h2); any other address has no class. */
    exp = xasprintf(
        "table=59, priority=100, cookie=%#"PRIx64", ip,reg4=%#"PRIx32","
        "nw_src=10.8.101.1 actions=set_field:0x1->reg7\n"
        "table=59, priority=100, cookie=%#"PRIx64", ip,reg4=%#"PRIx32","
        "nw_src=10.8.101.5 actions=set_field:0x1->reg7\n"
        "table=59, priority=0, cookie=BR:br0 actions=set_field:0->reg7\n",
        policy_cookie(m, "web-app", PIPELINE_COOKIE_POLICY, 0x80), id,
        policy_cookie(m, "web-app", PIPELINE_COOKIE_POLICY, 0x80), id);
    CHECK_TEXT(table_lines(text, 59), exp);
    free(exp);

    /* EVAL: rule 1 is its class bit x 4 port matches (8080, 9000/0xfff8,
     * 9008/0xfffe, 9010), one flow each however many VMs are web; rule 2
     * (a CIDR) a single flow.  No conjunction. */
    char *eval = table_lines(text, 57);
    static const char *const rule1_ports[] = {
        "tp_dst=8080", "tp_dst=0x2328/0xfff8", "tp_dst=0x2330/0xfffe",
        "tp_dst=9010",
    };
    for (size_t i = 0; i < ARRAY_SIZE(rule1_ports); i++) {
        char *flow = xasprintf("tcp,reg4=%#"PRIx32",reg5=0/0x3,"
                               "reg7=0x1/0x1,%s actions=load:0x1"
                               "->NXM_NX_REG5[2]\n", id, rule1_ports[i]);
        UNIT_CHECK(strstr(eval, flow) != NULL);
        free(flow);
    }
    UNIT_CHECK(!strstr(eval, "conjunction"));
    UNIT_CHECK(strstr(eval, "icmp,reg4=") && strstr(eval,
                                                    "nw_src=10.8.10.0/24"));
    /* 4 rule 1 flows, the icmp flow, the default and the table miss. */
    UNIT_CHECK(count_tables(&fs, 57, 57) == 7);
    free(eval);

    /* VERDICT: the policy's denials are counted on DENY cookies, the new
     * ones go to the hit log through meter 1. */
    char *verdict = table_lines(text, 58);
    UNIT_CHECK(strstr(verdict, "ct_state=+new,ip,reg5=0x8/0x8,reg6=")
               && strstr(verdict, "actions=controller(max_len=128,"
                         "meter_id=1)\n"));
    UNIT_CHECK(strstr(verdict, "ip,reg5=0x8/0x8,reg6=")
               && strstr(verdict, "actions=ct(commit,zone=NXM_NX_REG3"
                         "[0..15],exec(set_field:0x1->ct_mark))\n"));
    free(verdict);
    UNIT_CHECK(count_cookie(&fs, policy_cookie(m, "web-app",
                                               PIPELINE_COOKIE_POLICY_DENY,
                                               0x80),
                            PIPELINE_COOKIE_EXACT_MASK) == 3);
    UNIT_CHECK(round_trip(&fs));

    free(text);
    flowset_destroy(&fs);
    intent_destroy(m);
    free(pol);
}

/* Past PIPELINE_MS_MAX_CLASSES distinct peer selectors, a rule matches
 * its peers' addresses: here 32 rules from selectors of no VM take the 32
 * classes, so the 33rd (from AppTier web, two ports) is a conjunctive
 * match of the 2 web addresses x 2 ports. */
static void
test_microseg_class_overflow(void)
{
    struct ds pol = DS_EMPTY_INITIALIZER;
    ds_put_cstr(&pol, "{'name': 'many', 'type': 'application',"
                " 'target': {'AppTier': 'app'},"
                " 'inbound': {'default': 'deny', 'allow': [");
    for (int i = 0; i < PIPELINE_MS_MAX_CLASSES; i++) {
        ds_put_format(&pol, "{'from': {'Owner': 'team%d'}, 'protocol':"
                      " 'tcp', 'ports': [%d]}, ", i, 1000 + i);
    }
    ds_put_cstr(&pol, "{'from': {'AppTier': 'web'}, 'protocol': 'tcp',"
                " 'ports': [8080, 8443]}]}}");
    struct intent *m = intent_m(ds_cstr(&pol));
    struct flowset fs;
    char *text = compile(m, PORTS_M, &fs);
    const struct intent_policy *p = intent_find_policy(m, "many");
    uint32_t conj = pipeline_policy_conj_id(
        p, PIPELINE_COOKIE_RULE_INBOUND | (PIPELINE_MS_MAX_CLASSES + 1));

    char *eval = table_lines(text, 57);
    UNIT_CHECK(strstr(eval, "reg7=0x1/0x1,tp_dst=1000 ") != NULL);
    UNIT_CHECK(strstr(eval, "reg7=0x80000000/0x80000000,tp_dst=1031 ")
               != NULL);
    UNIT_CHECK(strstr(eval, "nw_src=10.8.101.1 actions=conjunction(")
               != NULL);
    UNIT_CHECK(strstr(eval, "nw_src=10.8.101.5 actions=conjunction(")
               != NULL);
    UNIT_CHECK(strstr(eval, "tp_dst=8080 actions=conjunction(") != NULL);
    UNIT_CHECK(strstr(eval, "tp_dst=8443 actions=conjunction(") != NULL);
    char *conj_flow = xasprintf("conj_id=%"PRIu32",", conj);
    UNIT_CHECK(strstr(eval, conj_flow) != NULL);
    free(conj_flow);
    /* 32 class rules, 2 + 2 clause flows, the conj_id flow, the default
     * and the table miss. */
    UNIT_CHECK(count_tables(&fs, 57, 57) == 32 + 4 + 1 + 2);
    free(eval);
    /* The classes select no VM: only the CLASS table's miss. */
    UNIT_CHECK(count_tables(&fs, 59, 59) == 1);
    UNIT_CHECK(round_trip(&fs));

    free(text);
    flowset_destroy(&fs);
    intent_destroy(m);
    ds_destroy(&pol);
}

/* Returns intent M with isolation prod-dev in mode 'iso_mode', then the
 * enforcing application policy web-app. */
static struct intent *
intent_m_iso_app(const char *iso_mode)
{
    char *iso = xasprintf(POLICY_PROD_DEV, iso_mode);
    char *app = xasprintf(POLICY_WEB_APP, "enforce");
    char *both = xasprintf("%s, %s", iso, app);
    struct intent *m = intent_m(both);
    free(both);
    free(app);
    free(iso);
    return m;
}

static void
test_microseg_monitor_and_isolation(void)
{
    struct intent *m = intent_m_iso_app("monitor");
    struct flowset fs;
    char *text = compile(m, PORTS_M, &fs);
    const struct intent_policy *pi = intent_find_policy(m, "prod-dev");
    const struct intent_policy *pa = intent_find_policy(m, "web-app");

    /* app1 dispatches to the isolation first, then the application
     * policy; a monitored policy sets no verdict bit. */
    char *d = xasprintf("set_field:%#"PRIx32"->reg4,resubmit(,57),"
                        "set_field:%#"PRIx32"->reg4,resubmit(,59),"
                        "resubmit(,57),goto_table:58",
                        pipeline_policy_eval_id(pi, 1),
                        pipeline_policy_eval_id(pa, 0));
    UNIT_CHECK(strstr(text, d) != NULL);
    free(d);
    uint64_t mon = policy_cookie(m, "prod-dev",
                                 PIPELINE_COOKIE_POLICY_MONITOR, 0);
    const struct flowset_flow *f;
    size_t n_mon = 0;
    FLOWSET_FOR_EACH_FLOW (f, &fs) {
        if (ntohll(f->cookie) == mon) {
            n_mon++;
            /* Counting only: no action at all. */
            UNIT_CHECK(f->ofpacts_len == 0);
        }
    }
    /* prod VMs see dev1's address, dev1 sees the 4 prod addresses; both
     * sides. */
    UNIT_CHECK(n_mon == 2 * (1 + 4));
    UNIT_CHECK(count_cookie(&fs, policy_cookie(m, "prod-dev",
                                               PIPELINE_COOKIE_POLICY_DENY,
                                               0),
                            PIPELINE_COOKIE_EXACT_MASK) == 0);

    /* The destination side dispatches twice for a port with isolations:
     * a local sender skips the isolation (counted once). */
    UNIT_CHECK(strstr(text, "table=56, priority=51, ") != NULL);
    UNIT_CHECK(round_trip(&fs));

    /* Enforcing the isolation: its denials are counted in VERDICT. */
    struct intent *me = intent_m_iso_app("enforce");
    struct flowset fse;
    char *text_e = compile(me, PORTS_M, &fse);
    UNIT_CHECK(count_cookie(&fse, policy_cookie(me, "prod-dev",
                                                PIPELINE_COOKIE_POLICY_DENY,
                                                0),
                            PIPELINE_COOKIE_EXACT_MASK) == 4);
    UNIT_CHECK(round_trip(&fse));

    free(text_e);
    flowset_destroy(&fse);
    intent_destroy(me);
    free(text);
    flowset_destroy(&fs);
    intent_destroy(m);
}

/* The output ports of a TCP packet ('dport'; ICMP echo if 0) from local
 * port 'in_port' (VM 'src' of intent M, 1-based) to VM 'dst' through the
 * flows of 'fs', as explain walks it (a new connection), "2" or "" if
 * dropped; to free. */
static char *
m_verdict(const struct flowset *fs, const struct portmap *pm, int src,
          int dst, uint16_t dport)
{
    struct flow p;
    memset(&p, 0, sizeof p);
    p.packet_type = htonl(PT_ETH);
    p.in_port.ofp_port = u16_to_ofp(src);
    p.dl_src = (struct eth_addr) ETH_ADDR_C(50, 6b, 8d, 00, 00, 01);
    p.dl_src.ea[4] = src;
    p.dl_dst = (struct eth_addr) ETH_ADDR_C(50, 6b, 8d, 00, 00, 01);
    p.dl_dst.ea[4] = dst;
    p.dl_type = htons(ETH_TYPE_IP);
    p.nw_src = htonl(0x0a086500 | src);
    p.nw_dst = htonl(0x0a086500 | dst);
    p.nw_ttl = 64;
    if (dport) {
        p.nw_proto = IPPROTO_TCP;
        p.tp_src = htons(40000);
        p.tp_dst = htons(dport);
    } else {
        p.nw_proto = IPPROTO_ICMP;
        p.tp_src = htons(ICMP4_ECHO_REQUEST);
    }

    struct explain *ex = explain_create(fs, pm);
    struct explain_result r;
    struct ds s = DS_EMPTY_INITIALIZER;
    explain_run(ex, &p, &r);
    for (size_t i = 0; i < r.n_outputs; i++) {
        ds_put_format(&s, "%s%"PRIu32, i ? "," : "",
                      ofp_to_u16(r.outputs[i].port));
    }
    explain_result_destroy(&r);
    explain_destroy(ex);
    return ds_steal_cstr(&s);
}

/* Ports with the same evaluations share one STATE dispatch flow, selected
 * by the ID their ENTRY flow loads into reg1; where two different
 * dispatches have the same ID (forced here by masking every ID to 0, so
 * that all are 1), each port of theirs gets its own STATE flow, matching
 * its port too, and packets are decided as before. */
static void
test_microseg_dispatch_collision(void)
{
    struct intent *m = intent_m_iso_app("enforce");
    struct flowset fs, fs0;
    struct portmap pm;
    char *text = compile(m, PORTS_M, &fs);
    pipeline_microseg_set_dispatch_id_mask(0);
    char *text0 = compile(m, PORTS_M, &fs0);
    pipeline_microseg_set_dispatch_id_mask(UINT32_MAX);

    for (int t = 0; t < 2; t++) {
        int state = t ? 56 : 31;
        char *lines = table_lines(text, state);
        char *lines0 = table_lines(text0, state);
        size_t n = 0, n0 = 0, n_ports0 = 0;
        for (char *l = lines; (l = strstr(l, ",reg1=")); l++) {
            n++;
        }
        for (char *l = lines0; (l = strstr(l, "reg1=0x1")); l++) {
            n0++;
        }
        for (char *l = lines0; (l = strstr(l, t ? "reg2=" : "in_port="));
             l++) {
            n_ports0++;
        }
        /* h1's four VMs: web1, app1, db1 (prod) and dev1 (dev), each
         * policed on both sides (web-app's target app1 on the destination
         * side only, but the rest for the isolation); same-host senders
         * get a second flow on the destination side. */
        UNIT_CHECK(n0 > n);
        UNIT_CHECK(n0 == n_ports0);
        free(lines);
        free(lines0);
    }
    /* Outside ENTRY (the ID loaded) and STATE, nothing differs. */
    for (int table = 0; table < 64; table++) {
        if (table != 30 && table != 31 && table != 55 && table != 56) {
            char *a = table_lines(text, table);
            char *b = table_lines(text0, table);
            UNIT_CHECK_STREQ(a, b);
            free(a);
            free(b);
        }
    }

    /* Every pair of h1's VMs, three kinds of packets: the same outputs
     * with either flow set, and some allowed, some denied. */
    static const uint16_t dports[] = { 8080, 22, 0 };
    size_t n_allowed = 0, n_denied = 0;
    make_portmap(&pm, PORTS_M);
    for (int src = 1; src <= 4; src++) {
        for (int dst = 1; dst <= 4; dst++) {
            for (size_t i = 0; src != dst && i < ARRAY_SIZE(dports); i++) {
                char *a = m_verdict(&fs, &pm, src, dst, dports[i]);
                char *b = m_verdict(&fs0, &pm, src, dst, dports[i]);
                UNIT_CHECK_STREQ(a, b);
                if (*a) {
                    n_allowed++;
                } else {
                    n_denied++;
                }
                free(a);
                free(b);
            }
        }
    }
    UNIT_CHECK(n_allowed > 0 && n_denied > 0);
    UNIT_CHECK(round_trip(&fs0));

    portmap_destroy(&pm);
    flowset_destroy(&fs);
    flowset_destroy(&fs0);
    free(text);
    free(text0);
    intent_destroy(m);
}

static void
test_microseg_quarantine(void)
{
    struct intent *m = intent_m(
        "{'name': 'q', 'type': 'quarantine', 'level': 'forensic',"
        " 'vms': ['db1'], 'forensic_from': [{'AppTier': 'web'}]}");
    struct flowset fs;
    char *text = compile(m, PORTS_M, &fs);

    /* db1 (tap3) is dispatched on every packet, on both sides. */
    UNIT_CHECK(strstr(text, "table=31, priority=200, cookie=") != NULL);
    UNIT_CHECK(strstr(text, "table=56, priority=200, cookie=") != NULL);
    /* Source side: replies to web addresses; destination side: originals
     * from them. */
    UNIT_CHECK(strstr(text, "ct_state=+rpl,ip,reg4=")
               && strstr(text, "nw_dst=10.8.101.5 actions="));
    UNIT_CHECK(strstr(text, "ct_state=-rpl,ip,reg4=")
               && strstr(text, "nw_src=10.8.101.5 actions="));
    /* Other EtherTypes of db1's dispatch drop on both sides. */
    UNIT_CHECK(strstr(text, "table=31, priority=290, "));
    UNIT_CHECK(strstr(text, "table=56, priority=290, "));
    UNIT_CHECK(round_trip(&fs));

    /* Selectors that select the same VMs again add no flow: each peer
     * address is matched once. */
    struct intent *m2 = intent_m(
        "{'name': 'q', 'type': 'quarantine', 'level': 'forensic',"
        " 'vms': ['db1'], 'forensic_from': [{'AppTier': 'web'},"
        " {'AppTier': 'web', 'Environment': 'prod'}, {'AppTier': 'web'}]}");
    struct flowset fs2;
    char *text2 = compile(m2, PORTS_M, &fs2);
    UNIT_CHECK_STREQ(text2, text);
    free(text2);
    flowset_destroy(&fs2);
    intent_destroy(m2);

    free(text);
    flowset_destroy(&fs);
    intent_destroy(m);
}

/* The issue's bound: a policy between 100 source VMs and 100 target VMs
 * on 5 ports, all on one bridge, stays below 1,000 flows. */
static void
test_microseg_bound(void)
{
    struct ds vms = DS_EMPTY_INITIALIZER, ports = DS_EMPTY_INITIALIZER;
    for (int i = 0; i < 200; i++) {
        ds_put_format(&vms, "%s{'name': 'v%d', 'host': 'h1', "
                      "'categories': {'Tier': '%s'}, 'nics': [{"
                      "'port': 't%d', 'mac': '50:6b:8d:01:%02x:%02x', "
                      "'network': 'vlan101', 'ip': '10.8.%d.%d'}]}",
                      i ? ", " : "", i, i < 100 ? "src" : "dst", i,
                      i / 256, i % 256, 100 + i / 200, 10 + i % 200);
        ds_put_format(&ports, "t%d=%d ", i, i + 1);
    }
    ds_put_cstr(&ports, "eth3=1000 eth4=1001");
    char *json = xasprintf(
        "{'version': 1,"
        " 'networks': [{'name': 'vlan101', 'vlan': 101,"
        "               'subnet': '10.8.100.0/22'}],"
        " 'hosts': [{'name': 'h1', 'bridges': [{'name': 'br0',"
        "    'datapath_id': '0000000000000001',"
        "    'uplink': {'name': 'br0-up', 'members': ['eth3', 'eth4']},"
        "    'networks': ['vlan101']}]}],"
        " 'vms': [%s],"
        " 'policies': [{'name': 'p', 'type': 'application',"
        "   'target': {'Tier': 'dst'}, 'inbound': {'default': 'deny',"
        "   'allow': [{'from': {'Tier': 'src'}, 'protocol': 'tcp',"
        "              'ports': [22, 80, 443, 8080, 8443]}]}}]}",
        ds_cstr(&vms));
    struct intent *intent = parse_intent(json);
    struct flowset without, with;
    struct portmap pm;

    make_portmap(&pm, ds_cstr(&ports));
    flowset_init(&with);
    pipeline_compile(intent, first_bridge(intent), &pm, &with);

    /* The same intent without the policy, to count the policy's share. */
    char *bare = xstrdup(json);
    *strstr(bare, ", 'policies'") = '\0';
    strcat(bare, "}");
    struct intent *intent0 = parse_intent(bare);
    flowset_init(&without);
    pipeline_compile(intent0, first_bridge(intent0), &pm, &without);

    size_t n = flowset_n_flows(&with) - flowset_n_flows(&without);
    printf("microseg bound: %"PRIuSIZE" flows for 100 x 100 VMs x 5 "
           "ports\n", n);
    UNIT_CHECK(n < 1000);
    /* 100 targets x entry on both sides. */
    UNIT_CHECK(n > 200);
    /* The targets share one dispatch per side: STATE holds the bridge's
     * seven flows (untracked IPv4 to conntrack, other untracked EtherTypes
     * on, invalid, replies and related with ct_mark 0 or not), its miss
     * and one dispatch flow; on the destination side, where the policy
     * denies by default, also the dispatch's denial of other EtherTypes. */
    UNIT_CHECK(count_tables(&with, 31, 31) == 9);
    UNIT_CHECK(count_tables(&with, 56, 56) == 10);

    portmap_destroy(&pm);
    flowset_destroy(&with);
    flowset_destroy(&without);
    intent_destroy(intent);
    intent_destroy(intent0);
    free(bare);
    free(json);
    ds_destroy(&vms);
    ds_destroy(&ports);
}

/* Adding a policy rewrites no flow of another one (IDs and cookies come
 * from names), and removing it restores the flow set exactly. */
static void
test_microseg_stable(void)
{
    char *app = xasprintf(POLICY_WEB_APP, "enforce");
    char *iso = xasprintf(POLICY_PROD_DEV, "enforce");
    char *both = xasprintf("%s, %s", app, iso);
    struct intent *m1 = intent_m(app);
    struct intent *m2 = intent_m(both);
    struct intent *m3 = intent_m(app);
    struct flowset s1, s2, s3;
    char *t1 = compile(m1, PORTS_M, &s1);
    char *t2 = compile(m2, PORTS_M, &s2);
    char *t3 = compile(m3, PORTS_M, &s3);
    uint64_t app_cookie = pipeline_cookie_make(PIPELINE_COOKIE_POLICY,
                                               "web-app", 0);

    struct flowset_diff d;
    flowset_diff(&s1, &s2, &d);
    const struct flowset_ref *ref;
    LIST_FOR_EACH (ref, node, &d.mod_flows) {
        const struct flowset_flow *f = ref->new;
        /* Only dispatch flows (the VM's cookie) change. */
        UNIT_CHECK(((ntohll(f->cookie) ^ app_cookie)
                    & 0x00ffffffffffff00ULL) != 0);
    }
    LIST_FOR_EACH (ref, node, &d.del_flows) {
        const struct flowset_flow *f = ref->old;
        UNIT_CHECK(((ntohll(f->cookie) ^ app_cookie)
                    & 0x00ffffffffffff00ULL) != 0);
    }
    flowset_diff_destroy(&d);
    UNIT_CHECK_STREQ(t1, t3);

    free(t1);
    free(t2);
    free(t3);
    flowset_destroy(&s1);
    flowset_destroy(&s2);
    flowset_destroy(&s3);
    intent_destroy(m1);
    intent_destroy(m2);
    intent_destroy(m3);
    free(app);
    free(iso);
    free(both);
}

/* Policy cookies name the policy and rule they came from. */
static void
test_microseg_cookies(void)
{
    char *app = xasprintf(POLICY_WEB_APP, "enforce");
    struct intent *m = intent_m(app);
    const struct intent_policy *p = intent_find_policy(m, "web-app");
    const struct intent_rule *rule;
    enum pipeline_cookie_kind kind;

    uint64_t c = pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_ALLOW, p,
                                        PIPELINE_COOKIE_RULE_INBOUND | 2);
    UNIT_CHECK(pipeline_cookie_find_policy(m, c, &rule, &kind) == p);
    UNIT_CHECK(rule == &p->inbound.rules[1]);
    UNIT_CHECK(kind == PIPELINE_COOKIE_POLICY_ALLOW);

    c = pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, p,
                               PIPELINE_COOKIE_RULE_INBOUND);
    UNIT_CHECK(pipeline_cookie_find_policy(m, c, &rule, &kind) == p);
    UNIT_CHECK(rule == NULL && kind == PIPELINE_COOKIE_POLICY_DENY);

    /* A rule that does not exist, another kind, another name. */
    c = pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_ALLOW, p,
                               PIPELINE_COOKIE_RULE_INBOUND | 9);
    UNIT_CHECK(pipeline_cookie_find_policy(m, c, &rule, NULL) == NULL);
    c = pipeline_cookie_make(PIPELINE_COOKIE_NIC, "web-app", 0);
    UNIT_CHECK(pipeline_cookie_find_policy(m, c, &rule, NULL) == NULL);
    c = pipeline_cookie_make(PIPELINE_COOKIE_POLICY_DENY, "nope", 0);
    UNIT_CHECK(pipeline_cookie_find_policy(m, c, &rule, NULL) == NULL);

    intent_destroy(m);
    free(app);
}

int
main(void)
{
    unit_program = "test-pipeline";
    UNIT_RUN(test_table_names);
    UNIT_RUN(test_classify_active_backup);
    UNIT_RUN(test_vlan_in);
    UNIT_RUN(test_port_security);
    UNIT_RUN(test_pass_through);
    UNIT_RUN(test_l2_forward);
    UNIT_RUN(test_egress_active_backup);
    UNIT_RUN(test_active_backup_failover);
    UNIT_RUN(test_balance_slb);
    UNIT_RUN(test_lacp_aggregated);
    UNIT_RUN(test_lacp_fallback);
    UNIT_RUN(test_lacp_in_fallback);
    UNIT_RUN(test_absent_port);
    UNIT_RUN(test_add_vm_and_revert);
    UNIT_RUN(test_unknown_switch);
    UNIT_RUN(test_cookies);
    UNIT_RUN(test_openflow_round_trip);
    UNIT_RUN(test_scvmm_example);
    UNIT_RUN(test_microseg_application);
    UNIT_RUN(test_microseg_class_overflow);
    UNIT_RUN(test_microseg_monitor_and_isolation);
    UNIT_RUN(test_microseg_quarantine);
    UNIT_RUN(test_microseg_dispatch_collision);
    UNIT_RUN(test_microseg_bound);
    UNIT_RUN(test_microseg_stable);
    UNIT_RUN(test_microseg_cookies);
    return unit_finish();
}
