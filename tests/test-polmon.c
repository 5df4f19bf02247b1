/*
 * Unit tests of the controller's side of microsegmentation:
 *
 * - hitlog (controller/hitlog.c): the "policy hit:" line, what is no
 *   policy hit, the dedupe window and the bounded cache;
 * - polstats (controller/polstats.c): counters from flow statistics
 *   replies encoded with libopenvswitch (multipart included), summed over
 *   switches, named, filtered and sorted;
 * - polmon (controller/polmon.c) against a scripted switch (an ofsession
 *   fed with bytes): the hit-log meter's ADD before anything else, MODIFY
 *   after OFPMMFC_METER_EXISTS without an error counted, the read-back;
 *   policy-stats requests matched by xid, every reply part collected,
 *   the deadline, a switch going away; packet-ins.
 *
 * The intent is tests/polmon-intent.json.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "controller/hitlog.h"
#include "controller/ofsession.h"
#include "controller/polmon.h"
#include "controller/polstats.h"
#include "dp-packet.h"
#include "flow.h"
#include "models/intent.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-meter.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "svec.h"
#include "tests/ofmsgs.h"
#include "tests/unit.h"
#include "util.h"

static struct intent *intent;

/* Loads the test intent (tests/polmon-intent.json) into 'intent'. */
static void
load_intent(void)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    intent = intent_load_file(TOP_SRCDIR "/tests/polmon-intent.json",
                              &errors);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s\n", errors.names[i]);
    }
    svec_destroy(&errors);
    if (!intent) {
        fprintf(stderr, "cannot load the test intent\n");
        exit(1);
    }
}

static const struct intent_policy *
policy(const char *name)
{
    const struct intent_policy *p = intent_find_policy(intent, name);
    if (!p) {
        fprintf(stderr, "no policy %s in the test intent\n", name);
        exit(1);
    }
    return p;
}

static const struct intent_bridge *
bridge(uint64_t dpid)
{
    const struct intent_bridge *br = intent_find_bridge_by_dpid(intent, dpid);
    if (!br) {
        fprintf(stderr, "no bridge %#"PRIx64" in the test intent\n", dpid);
        exit(1);
    }
    return br;
}

/* A packet: 'vid' (0: untagged), IPv4 protocol 'proto' from 10.8.101.1
 * to 10.8.101.2 + 'dst_bump', ports 'sport' -> 'dport' (TCP SYN, UDP; for
 * ICMP an echo request). */
struct test_packet {
    uint8_t data[128];
    size_t len;
};

static void
make_packet(struct test_packet *pkt, uint16_t vid, uint8_t proto,
            uint16_t sport, uint16_t dport, uint8_t dst_bump)
{
    static const uint8_t eth[] = {
        0x50, 0x6b, 0x8d, 0x00, 0x01, 0x02,     /* dl_dst */
        0x50, 0x6b, 0x8d, 0x00, 0x01, 0x01,     /* dl_src */
    };
    uint8_t *b = pkt->data;
    size_t n;

    memset(pkt, 0, sizeof *pkt);
    memcpy(b, eth, sizeof eth);
    n = sizeof eth;
    if (vid) {
        b[n++] = 0x81; b[n++] = 0x00;
        b[n++] = vid >> 8; b[n++] = vid & 0xff;
    }
    b[n++] = 0x08; b[n++] = 0x00;
    uint8_t *ip = &b[n];
    ip[0] = 0x45;
    ip[3] = 40;                 /* Total length. */
    ip[8] = 64;                 /* TTL. */
    ip[9] = proto;
    ip[12] = 10; ip[13] = 8; ip[14] = 101; ip[15] = 1;
    ip[16] = 10; ip[17] = 8; ip[18] = 101; ip[19] = 2 + dst_bump;
    n += 20;
    uint8_t *l4 = &b[n];
    if (proto == IPPROTO_ICMP) {
        l4[0] = 8;              /* Echo request. */
    } else {
        l4[0] = sport >> 8; l4[1] = sport & 0xff;
        l4[2] = dport >> 8; l4[3] = dport & 0xff;
        if (proto == IPPROTO_TCP) {
            l4[12] = 0x50;      /* Data offset. */
            l4[13] = 0x02;      /* SYN. */
        } else {
            l4[5] = 8;          /* UDP length. */
        }
    }
    pkt->len = n + 20;
}

/* Appends to 's' the hit line of 'pkt' for 'cookie' on 'br'; returns what
 * hitlog_format() returned. */
static bool
format_hit(const struct intent_bridge *br, uint64_t cookie,
           const struct test_packet *pkt, struct ds *s)
{
    struct dp_packet dp;
    struct flow flow;
    dp_packet_use_const(&dp, pkt->data, pkt->len);
    flow_extract(&dp, &flow);
    dp_packet_uninit(&dp);
    return hitlog_format(intent, br, cookie, &flow, s);
}

/* ---------------------------------------------------------------------- */
/* The hit-log line. */

/* An enforcing application policy's inbound default denied a TCP SYN. */
static void
test_hit_line_denied_tcp(void)
{
    const struct intent_policy *p = policy("web-app");
    struct test_packet pkt;
    struct ds s = DS_EMPTY_INITIALIZER;

    make_packet(&pkt, 101, IPPROTO_TCP, 40000, 22, 0);
    UNIT_CHECK(format_hit(bridge(0x203), pipeline_cookie_policy(
                              PIPELINE_COOKIE_POLICY_DENY, p,
                              pipeline_cookie_rule_bits(true, NULL)),
                          &pkt, &s));
    UNIT_CHECK_STREQ(ds_cstr(&s),
                     "policy hit: host=hv-host02 bridge=br-guest "
                     "policy=web-app rule=default verdict=denied vlan=101 "
                     "tcp 10.8.101.1:40000 -> 10.8.101.2:22");
    ds_destroy(&s);
}

/* A monitored isolation: "would-deny", no direction in the rule; UDP. */
static void
test_hit_line_monitor_udp(void)
{
    const struct intent_policy *p = policy("web-db");
    struct test_packet pkt;
    struct ds s = DS_EMPTY_INITIALIZER;

    make_packet(&pkt, 102, IPPROTO_UDP, 5353, 53, 0);
    UNIT_CHECK(format_hit(bridge(0x103), pipeline_cookie_policy(
                              PIPELINE_COOKIE_POLICY_MONITOR, p, 0),
                          &pkt, &s));
    UNIT_CHECK_STREQ(ds_cstr(&s),
                     "policy hit: host=hv-host01 bridge=br-guest "
                     "policy=web-db rule=isolation verdict=would-deny "
                     "vlan=102 udp 10.8.101.1:5353 -> 10.8.101.2:53");
    ds_destroy(&s);
}

/* ICMP has no ports; an untagged packet is vlan=0; a quarantine's rule is
 * "quarantine"; an unknown bridge is "?". */
static void
test_hit_line_icmp_untagged_quarantine(void)
{
    const struct intent_policy *p = policy("forensics");
    struct test_packet pkt;
    struct ds s = DS_EMPTY_INITIALIZER;

    make_packet(&pkt, 0, IPPROTO_ICMP, 0, 0, 0);
    UNIT_CHECK(format_hit(NULL, pipeline_cookie_policy(
                              PIPELINE_COOKIE_POLICY_DENY, p, 0),
                          &pkt, &s));
    UNIT_CHECK_STREQ(ds_cstr(&s),
                     "policy hit: host=? bridge=? policy=forensics "
                     "rule=quarantine verdict=denied vlan=0 "
                     "icmp 10.8.101.1 -> 10.8.101.2");
    ds_destroy(&s);
}

/* An application policy's outbound default in monitor mode. */
static void
test_hit_line_outbound_monitor(void)
{
    const struct intent_policy *p = policy("web-out");
    struct test_packet pkt;
    struct ds s = DS_EMPTY_INITIALIZER;

    make_packet(&pkt, 101, IPPROTO_TCP, 1234, 80, 0);
    UNIT_CHECK(format_hit(bridge(0x103), pipeline_cookie_policy(
                              PIPELINE_COOKIE_POLICY_MONITOR, p,
                              pipeline_cookie_rule_bits(false, NULL)),
                          &pkt, &s));
    UNIT_CHECK(strstr(ds_cstr(&s), " policy=web-out rule=default "
                      "verdict=would-deny vlan=101 tcp 10.8.101.1:1234 -> "
                      "10.8.101.2:80"));
    ds_destroy(&s);
}

/* Cookies that are not a policy's DENY or MONITOR cookie give no line. */
static void
test_hit_line_foreign(void)
{
    const struct intent_policy *p = policy("web-app");
    const uint64_t cookies[] = {
        0,
        pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_ALLOW, p, 0x81),
        pipeline_cookie_policy(PIPELINE_COOKIE_POLICY, p, 0x80),
        pipeline_cookie_make(PIPELINE_COOKIE_POLICY_DENY, "no-such", 0),
        pipeline_cookie_make(PIPELINE_COOKIE_NIC, "vm101-1", 0),
        /* web-app's DENY cookie without flowchain's marker. */
        pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, p, 0x80)
        & ~PIPELINE_COOKIE_MARKER_MASK,
        /* A rule that web-app does not have. */
        pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, p, 0x80 | 9),
    };
    struct test_packet pkt;
    struct ds s = DS_EMPTY_INITIALIZER;

    make_packet(&pkt, 101, IPPROTO_TCP, 1, 2, 0);
    for (size_t i = 0; i < ARRAY_SIZE(cookies); i++) {
        UNIT_CHECK(!format_hit(NULL, cookies[i], &pkt, &s));
    }
    UNIT_CHECK(s.length == 0);

    struct hitlog *hl = hitlog_create();
    for (size_t i = 0; i < ARRAY_SIZE(cookies); i++) {
        UNIT_CHECK(hitlog_packet(hl, intent, NULL, cookies[i], pkt.data,
                                 pkt.len, 0, &s) == HITLOG_FOREIGN);
    }
    uint64_t deny = pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, p,
                                           0x80);
    UNIT_CHECK(hitlog_packet(hl, NULL, NULL, deny, pkt.data, pkt.len, 0, &s)
               == HITLOG_FOREIGN);
    hitlog_count_foreign(hl);
    UNIT_CHECK(hitlog_get_stats(hl)->foreign == ARRAY_SIZE(cookies) + 2);
    UNIT_CHECK(hitlog_get_stats(hl)->logged == 0);
    UNIT_CHECK(s.length == 0);
    hitlog_destroy(hl);
    hitlog_destroy(NULL);
    ds_destroy(&s);
}

/* One line per policy and 5-tuple per HITLOG_DEDUPE_MS. */
static void
test_hit_dedupe(void)
{
    const struct intent_policy *app = policy("web-app");
    const struct intent_policy *iso = policy("web-db");
    uint64_t deny = pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, app,
                                           0x80);
    uint64_t would = pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_MONITOR,
                                            iso, 0);
    struct hitlog *hl = hitlog_create();
    struct test_packet a, a_port, a_untagged;
    struct ds s = DS_EMPTY_INITIALIZER;
    long long int t = 1000;

    make_packet(&a, 101, IPPROTO_TCP, 40000, 22, 0);
    make_packet(&a_port, 101, IPPROTO_TCP, 40001, 22, 0);
    make_packet(&a_untagged, 0, IPPROTO_TCP, 40000, 22, 0);

    UNIT_CHECK(hitlog_packet(hl, intent, bridge(0x203), deny, a.data, a.len,
                             t, &s) == HITLOG_LOGGED);
    UNIT_CHECK(strstr(ds_cstr(&s), "policy hit: host=hv-host02 "));
    /* A retransmitted SYN; the same attempt seen on another bridge. */
    UNIT_CHECK(hitlog_packet(hl, intent, bridge(0x203), deny, a.data, a.len,
                             t + 1000, NULL) == HITLOG_SUPPRESSED);
    UNIT_CHECK(hitlog_packet(hl, intent, bridge(0x103), deny, a.data, a.len,
                             t + 2000, NULL) == HITLOG_SUPPRESSED);
    /* The 5-tuple does not include the VLAN. */
    UNIT_CHECK(hitlog_packet(hl, intent, bridge(0x203), deny, a_untagged.data,
                             a_untagged.len, t + 3000, NULL)
               == HITLOG_SUPPRESSED);
    /* Another source port is another attempt; another policy too. */
    UNIT_CHECK(hitlog_packet(hl, intent, bridge(0x203), deny, a_port.data,
                             a_port.len, t + 3000, NULL) == HITLOG_LOGGED);
    UNIT_CHECK(hitlog_packet(hl, intent, bridge(0x203), would, a.data, a.len,
                             t + 3000, NULL) == HITLOG_LOGGED);
    /* The window counts from the logged line, not from the last repeat. */
    UNIT_CHECK(hitlog_packet(hl, intent, bridge(0x203), deny, a.data, a.len,
                             t + HITLOG_DEDUPE_MS - 1, NULL)
               == HITLOG_SUPPRESSED);
    UNIT_CHECK(hitlog_packet(hl, intent, bridge(0x203), deny, a.data, a.len,
                             t + HITLOG_DEDUPE_MS, NULL) == HITLOG_LOGGED);

    const struct hitlog_stats *st = hitlog_get_stats(hl);
    UNIT_CHECK(st->logged == 4);
    UNIT_CHECK(st->suppressed == 4);
    UNIT_CHECK(st->foreign == 0);
    /* Expired attempts are forgotten: 'a' (logged again) remains. */
    UNIT_CHECK(hitlog_cache_size(hl) == 3);
    UNIT_CHECK(hitlog_packet(hl, intent, NULL, would, a.data, a.len,
                             t + 3000 + HITLOG_DEDUPE_MS, NULL)
               == HITLOG_LOGGED);
    UNIT_CHECK(hitlog_cache_size(hl) == 2);
    hitlog_destroy(hl);
    ds_destroy(&s);
}

/* The cache holds HITLOG_CACHE_MAX attempts; the oldest goes first. */
static void
test_hit_cache_bound(void)
{
    const struct intent_policy *app = policy("web-app");
    uint64_t deny = pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, app,
                                           0x80);
    struct hitlog *hl = hitlog_create();
    struct test_packet pkt;
    size_t n = HITLOG_CACHE_MAX + 1;

    /* vlog at INFO would print every line: quieten the module. */
    vlog_set_levels(vlog_module_from_name("hitlog"), VLF_ANY_DESTINATION,
                    VLL_WARN);
    for (size_t i = 0; i < n; i++) {
        make_packet(&pkt, 101, IPPROTO_TCP, 1024 + i, 22, 0);
        UNIT_CHECK(hitlog_packet(hl, intent, NULL, deny, pkt.data, pkt.len,
                                 1000 + i, NULL) == HITLOG_LOGGED);
    }
    UNIT_CHECK(hitlog_cache_size(hl) == HITLOG_CACHE_MAX);
    /* Attempt 0 was evicted: logged again (evicting attempt 1); attempt 2
     * is still remembered. */
    make_packet(&pkt, 101, IPPROTO_TCP, 1024, 22, 0);
    UNIT_CHECK(hitlog_packet(hl, intent, NULL, deny, pkt.data, pkt.len,
                             1000 + n, NULL) == HITLOG_LOGGED);
    make_packet(&pkt, 101, IPPROTO_TCP, 1026, 22, 0);
    UNIT_CHECK(hitlog_packet(hl, intent, NULL, deny, pkt.data, pkt.len,
                             1000 + n, NULL) == HITLOG_SUPPRESSED);
    UNIT_CHECK(hitlog_cache_size(hl) == HITLOG_CACHE_MAX);
    UNIT_CHECK(hitlog_get_stats(hl)->logged == n + 1);
    vlog_set_levels(vlog_module_from_name("hitlog"), VLF_ANY_DESTINATION,
                    VLL_INFO);
    hitlog_destroy(hl);
}

/* ---------------------------------------------------------------------- */
/* Policy statistics. */

/* Appends to 'replies' (started with ofpmp_init()) a flow with 'cookie',
 * 'packets' and 'bytes' in 'table'. */
static void
append_flow(struct ovs_list *replies, uint64_t cookie, uint8_t table,
            uint16_t priority, uint64_t packets, uint64_t bytes)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(priority);
    struct ofputil_flow_stats fs = {
        .cookie = htonll(cookie),
        .table_id = table,
        .priority = priority,
        .idle_age = -1,
        .hard_age = -1,
        .packet_count = packets,
        .byte_count = bytes,
        .ofpacts = ofpacts.data,
        .ofpacts_len = ofpacts.size,
    };
    match_init_catchall(&fs.match);
    match_set_reg(&fs.match, 4, priority);
    ofputil_append_flow_stats_reply(&fs, replies, NULL);
    ofpbuf_uninit(&ofpacts);
}

/* Feeds every part of 'replies' to 'ps'; returns how many parts. */
static size_t
feed_replies(struct polstats *ps, struct ovs_list *replies)
{
    size_t n = 0;
    struct ofpbuf *reply;
    LIST_FOR_EACH_POP (reply, list_node, replies) {
        ofpmsg_update_length(reply);
        UNIT_CHECK(!polstats_add_reply(ps, reply->data));
        ofpbuf_delete(reply);
        n++;
    }
    return n;
}

/* Collapses runs of spaces in 's' to one, so checks do not depend on
 * column widths. */
static char *
squeeze(const char *s)
{
    struct ds c = DS_EMPTY_INITIALIZER;
    for (const char *q = s; *q; q++) {
        if (*q != ' ' || (c.length && ds_last(&c) != ' ')) {
            ds_put_char(&c, *q);
        }
    }
    return ds_steal_cstr(&c);
}

/* An empty table is the header alone. */
static void
test_stats_empty(void)
{
    struct polstats *ps = polstats_create();
    struct ds s = DS_EMPTY_INITIALIZER;
    polstats_format(ps, intent, NULL, &s);
    UNIT_CHECK_STREQ(ds_cstr(&s), POLSTATS_HEADER "\n");
    UNIT_CHECK_STREQ(POLSTATS_HEADER,
                     "POLICY  DIRECTION  RULE  VERDICT  PACKETS  BYTES");
    ds_destroy(&s);
    polstats_destroy(ps);
    polstats_destroy(NULL);
}

/* Replies of two switches (one of them in several parts) are summed per
 * row; rows come in policy file order, inbound first, rules in order with
 * the default last, then allowed, denied, would-deny; other kinds and
 * unknown policies are left out. */
static void
test_stats_sum_from_replies(void)
{
    const struct intent_policy *app = policy("web-app");
    const struct intent_policy *iso = policy("web-db");
    const struct intent_policy *fx = policy("forensics");
    const struct intent_policy *out = policy("web-out");
    uint64_t app_r1 = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_ALLOW, app,
        pipeline_cookie_rule_bits(true, &app->inbound.rules[0]));
    uint64_t app_r2 = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_ALLOW, app,
        pipeline_cookie_rule_bits(true, &app->inbound.rules[1]));
    uint64_t app_deny = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_DENY, app, pipeline_cookie_rule_bits(true,
                                                                    NULL));
    uint64_t app_plumbing = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY, app, pipeline_cookie_rule_bits(true, NULL));
    uint64_t iso_would = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_MONITOR, iso, 0);
    uint64_t fx_allow = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_ALLOW, fx, 0);
    uint64_t fx_deny = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_DENY, fx, 0);
    uint64_t out_r1 = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_ALLOW, out,
        pipeline_cookie_rule_bits(false, &out->outbound.rules[0]));
    uint64_t out_would = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_MONITOR, out,
        pipeline_cookie_rule_bits(false, NULL));
    struct ofpbuf *request = polstats_encode_request(
        PIPELINE_COOKIE_POLICY_ALLOW);
    struct polstats *ps = polstats_create();
    struct ovs_list replies;

    /* Switch 1: enough flows for a multipart reply; only 3 count. */
    ofpmp_init(&replies, request->data);
    for (int i = 0; i < 2000; i++) {
        append_flow(&replies, app_plumbing, 57, 1000 + i, 7, 7);
    }
    append_flow(&replies, app_deny, 58, 201, 3, 180);
    append_flow(&replies, app_r1, 57, 1000, 10, 1000);
    append_flow(&replies, app_r1, 57, 1000, 1, 100);     /* Conj. twin. */
    append_flow(&replies, pipeline_cookie_make(PIPELINE_COOKIE_NIC,
                                               "vm101-1", 0), 0, 100, 5, 5);
    append_flow(&replies, pipeline_cookie_make(PIPELINE_COOKIE_POLICY_DENY,
                                               "gone", 0), 58, 300, 9, 9);
    UNIT_CHECK(feed_replies(ps, &replies) >= 2);

    /* Switch 2. */
    ofpmp_init(&replies, request->data);
    append_flow(&replies, out_would, 32, 10, 6, 600);
    append_flow(&replies, out_r1, 32, 1000, 0, 0);
    append_flow(&replies, fx_deny, 33, 301, 2, 120);
    append_flow(&replies, fx_allow, 32, 500, 4, 400);
    append_flow(&replies, iso_would, 57, 500, 8, 800);
    append_flow(&replies, app_deny, 58, 200, 1, 60);
    append_flow(&replies, app_r2, 57, 999, 2, 196);
    append_flow(&replies, app_r1, 57, 1000, UINT64_MAX, UINT64_MAX);
    UNIT_CHECK(feed_replies(ps, &replies) == 1);
    ofpbuf_delete(request);

    UNIT_CHECK(polstats_n_cookies(ps) == 9);    /* 8 + "gone". */
    struct ds s = DS_EMPTY_INITIALIZER;
    polstats_format(ps, intent, NULL, &s);
    char *got = squeeze(ds_cstr(&s));
    UNIT_CHECK_STREQ(got,
                     "POLICY DIRECTION RULE VERDICT PACKETS BYTES\n"
                     "web-app inbound web-8080 allowed 11 1100\n"
                     "web-app inbound #2 allowed 2 196\n"
                     "web-app inbound default denied 4 240\n"
                     "web-db - isolation would-deny 8 800\n"
                     "forensics - quarantine allowed 4 400\n"
                     "forensics - quarantine denied 2 120\n"
                     "web-out outbound #1 allowed 0 0\n"
                     "web-out outbound default would-deny 6 600\n");
    free(got);

    /* Columns are aligned: every line is as long as the header up to its
     * last column. */
    UNIT_CHECK(strstr(ds_cstr(&s), "POLICY     DIRECTION  RULE        "
                      "VERDICT     PACKETS  BYTES\n"));
    UNIT_CHECK(strstr(ds_cstr(&s), "web-app    inbound    web-8080    "
                      "allowed          11   1100\n"));

    /* --policy. */
    ds_clear(&s);
    polstats_format(ps, intent, fx, &s);
    got = squeeze(ds_cstr(&s));
    UNIT_CHECK_STREQ(got,
                     "POLICY DIRECTION RULE VERDICT PACKETS BYTES\n"
                     "forensics - quarantine allowed 4 400\n"
                     "forensics - quarantine denied 2 120\n");
    free(got);
    ds_destroy(&s);
    polstats_destroy(ps);
}

/* The requests select one kind of flowchain's cookies in every table. */
static void
test_stats_request(void)
{
    struct ofpbuf *msg = polstats_encode_request(PIPELINE_COOKIE_POLICY_DENY);
    struct ofputil_flow_stats_request fsr;
    ofpmsg_update_length(msg);
    UNIT_CHECK(!ofputil_decode_flow_stats_request(&fsr, msg->data, NULL,
                                                  NULL));
    UNIT_CHECK(((struct ofp_header *) msg->data)->version == OFP13_VERSION);
    UNIT_CHECK(!fsr.aggregate);
    UNIT_CHECK(ntohll(fsr.cookie) == 0xfc08000000000000ULL);
    UNIT_CHECK(ntohll(fsr.cookie_mask) == PIPELINE_COOKIE_KIND_MASK);
    UNIT_CHECK(fsr.table_id == 0xff);
    UNIT_CHECK(flow_wildcards_is_catchall(&fsr.match.wc));
    ofpbuf_delete(msg);
}

/* ---------------------------------------------------------------------- */
/* polmon against a scripted switch. */

struct rig {
    struct polmon *pm;
    struct ofsession *s;
    long long int now;
    struct ovs_list sent;       /* Messages the controller sent. */
    size_t n_unclaimed;         /* Messages polmon did not take. */
    char *stats_text;           /* Last statistics answer. */
    bool stats_ok;
    int n_answers;
};

static void
rig_message(struct ofsession *s, enum ofptype type,
            const struct ofp_header *oh, void *rig_)
{
    struct rig *rig = rig_;
    const struct intent_bridge *br
        = intent_find_bridge_by_dpid(intent, ofsession_dpid(s));
    if (!polmon_handle(rig->pm, s, intent, br, type, oh, rig->now)) {
        rig->n_unclaimed++;
    }
}

static const struct ofsession_hooks rig_hooks = { .message = rig_message };

/* Connects a switch with 'dpid' and hands it to polmon as ready. */
static void
rig_init(struct rig *rig, uint64_t dpid)
{
    struct ofsession_config cfg;
    ofsession_config_default(&cfg);
    memset(rig, 0, sizeof *rig);
    ovs_list_init(&rig->sent);
    rig->now = 1000;
    rig->pm = polmon_create();
    rig->s = ofsession_create("rig", &rig_hooks, rig, &cfg, rig->now);
    ofmsgs_handshake(rig->s, dpid, NULL, 0, rig->now);
    UNIT_CHECK(ofsession_is_ready(rig->s));
    ofmsgs_drain(rig->s, rig->now, &rig->sent);
    ofmsgs_clear(&rig->sent);
}

static void
rig_destroy(struct rig *rig)
{
    ofmsgs_clear(&rig->sent);
    polmon_destroy(rig->pm);
    ofsession_destroy(rig->s);
    free(rig->stats_text);
}

static void
rig_drain(struct rig *rig)
{
    ofmsgs_drain(rig->s, rig->now, &rig->sent);
}

/* Pops the first sent message; checks it is a meter mod of 'command' for
 * the hit-log meter at 'rate'; returns it (to free). */
static struct ofpbuf *
pop_meter_mod(struct rig *rig, uint16_t command, uint32_t rate)
{
    if (ovs_list_is_empty(&rig->sent)) {
        UNIT_CHECK(!"a meter mod was sent");
        return NULL;
    }
    struct ofpbuf *msg = CONTAINER_OF(ovs_list_pop_front(&rig->sent),
                                      struct ofpbuf, list_node);
    struct ofputil_meter_mod mm;
    struct ofpbuf bands;
    ofpbuf_init(&bands, 64);
    UNIT_CHECK(!ofputil_decode_meter_mod(msg->data, &mm, &bands));
    UNIT_CHECK(mm.command == command);
    UNIT_CHECK(mm.meter.meter_id == PIPELINE_METER_HIT_LOG);
    UNIT_CHECK(mm.meter.flags == (OFPMF13_PKTPS | OFPMF13_BURST));
    UNIT_CHECK(mm.meter.n_bands == 1);
    if (mm.meter.n_bands == 1) {
        UNIT_CHECK(mm.meter.bands[0].type == OFPMBT13_DROP);
        UNIT_CHECK(mm.meter.bands[0].rate == rate);
        UNIT_CHECK(mm.meter.bands[0].burst_size == rate);
    }
    ofpbuf_uninit(&bands);
    return msg;
}

/* Answers meter configuration request 'req' with meter 1 at 'rate' (none
 * if 0) and meter 7. */
static void
answer_meters(struct rig *rig, const struct ofpbuf *req, uint32_t rate)
{
    struct ovs_list replies;
    struct ofputil_meter_band band = {
        .type = OFPMBT13_DROP, .rate = 5, .burst_size = 5,
    };
    struct ofputil_meter_config mc = {
        .meter_id = 7, .flags = OFPMF13_KBPS, .n_bands = 1, .bands = &band,
    };
    ofpmp_init(&replies, req->data);
    ofputil_append_meter_config(&replies, &mc);
    if (rate) {
        struct ofputil_meter_band b1 = {
            .type = OFPMBT13_DROP, .rate = rate, .burst_size = rate,
        };
        struct ofputil_meter_config m1 = {
            .meter_id = 1, .flags = OFPMF13_PKTPS | OFPMF13_BURST,
            .n_bands = 1, .bands = &b1,
        };
        ofputil_append_meter_config(&replies, &m1);
    }
    ofmsgs_feed_multipart(rig->s, req, &replies, rig->now);
}

/* Returns polmon's per-switch line for the rig's switch. */
static char *
meter_line(const struct rig *rig)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    polmon_format_switch(rig->pm, rig->s, &s);
    return ds_steal_cstr(&s);
}

/* A new switch: ADD first, then the read-back. */
static void
test_meter_added(void)
{
    struct rig rig;
    rig_init(&rig, 0x103);
    polmon_set_rate(rig.pm, 50);
    polmon_switch_ready(rig.pm, rig.s);
    rig_drain(&rig);
    UNIT_CHECK(ovs_list_size(&rig.sent) == 2);
    ofpbuf_delete(pop_meter_mod(&rig, OFPMC13_ADD, 50));
    struct ofpbuf *check = ofmsgs_pop(&rig.sent,
                                      OFPTYPE_METER_CONFIG_STATS_REQUEST);
    UNIT_CHECK(check != NULL);
    char *line = meter_line(&rig);
    UNIT_CHECK_STREQ(line, "  hit-log meter 1: being set up\n");
    free(line);
    if (check) {
        answer_meters(&rig, check, 50);
        ofpbuf_delete(check);
    }
    line = meter_line(&rig);
    UNIT_CHECK_STREQ(line, "  hit-log meter 1: 50 packets/s, burst 50 "
                     "(added)\n");
    free(line);
    UNIT_CHECK(rig.n_unclaimed == 0);
    rig_destroy(&rig);
}

/* A restart: the ADD meets OFPMMFC_METER_EXISTS, which is expected (not
 * counted, not passed on); a MODIFY follows, then a new read-back; the
 * first read-back (the old settings) is ignored. */
static void
test_meter_exists_modify(void)
{
    struct rig rig;
    rig_init(&rig, 0x103);
    polmon_switch_ready(rig.pm, rig.s);
    rig_drain(&rig);
    struct ofpbuf *add = pop_meter_mod(&rig, OFPMC13_ADD,
                                       POLMON_DEFAULT_RATE);
    struct ofpbuf *check1 = ofmsgs_pop(&rig.sent,
                                       OFPTYPE_METER_CONFIG_STATS_REQUEST);
    UNIT_CHECK(add && check1);
    if (!add || !check1) {
        ofpbuf_delete(add);
        ofpbuf_delete(check1);
        rig_destroy(&rig);
        return;
    }
    ofmsgs_feed(rig.s, ofperr_encode_reply(OFPERR_OFPMMFC_METER_EXISTS,
                                           add->data), rig.now);
    UNIT_CHECK(ofsession_stats(rig.s)->errors_received == 0);
    answer_meters(&rig, check1, 30);        /* Before the MODIFY. */
    char *line = meter_line(&rig);
    UNIT_CHECK_STREQ(line, "  hit-log meter 1: being set up\n");
    free(line);

    rig_drain(&rig);
    struct ofpbuf *mod = pop_meter_mod(&rig, OFPMC13_MODIFY,
                                       POLMON_DEFAULT_RATE);
    struct ofpbuf *check2 = ofmsgs_pop(&rig.sent,
                                       OFPTYPE_METER_CONFIG_STATS_REQUEST);
    UNIT_CHECK(mod && check2);
    if (check2) {
        answer_meters(&rig, check2, POLMON_DEFAULT_RATE);
    }
    line = meter_line(&rig);
    UNIT_CHECK_STREQ(line, "  hit-log meter 1: 100 packets/s, burst 100 "
                     "(was there, updated)\n");
    free(line);
    UNIT_CHECK(rig.n_unclaimed == 0);

    /* Another request's error is not polmon's: counted, passed on. */
    struct ofpbuf *barrier = ofputil_encode_barrier_request(OFP13_VERSION);
    ofpmsg_update_length(barrier);
    ofmsgs_feed(rig.s, ofperr_encode_reply(OFPERR_OFPBAC_BAD_OUT_GROUP,
                                           barrier->data), rig.now);
    ofpbuf_delete(barrier);
    UNIT_CHECK(rig.n_unclaimed == 1);
    UNIT_CHECK(ofsession_stats(rig.s)->errors_received == 1);

    ofpbuf_delete(add);
    ofpbuf_delete(check1);
    ofpbuf_delete(mod);
    ofpbuf_delete(check2);
    rig_destroy(&rig);
}

/* A switch that refuses the meter: failed, with the reason. */
static void
test_meter_refused(void)
{
    struct rig rig;
    rig_init(&rig, 0x103);
    polmon_switch_ready(rig.pm, rig.s);
    rig_drain(&rig);
    struct ofpbuf *add = pop_meter_mod(&rig, OFPMC13_ADD,
                                       POLMON_DEFAULT_RATE);
    if (add) {
        ofmsgs_feed(rig.s, ofperr_encode_reply(OFPERR_OFPMMFC_OUT_OF_METERS,
                                               add->data), rig.now);
    }
    char *line = meter_line(&rig);
    UNIT_CHECK_STREQ(line, "  hit-log meter 1: failed: the switch refused "
                     "the ADD: OFPMMFC_OUT_OF_METERS\n");
    free(line);
    UNIT_CHECK(rig.n_unclaimed == 0);
    ofpbuf_delete(add);
    rig_destroy(&rig);
}

static void
stats_cb(const char *text, bool ok, void *rig_)
{
    struct rig *rig = rig_;
    free(rig->stats_text);
    rig->stats_text = xstrdup(text);
    rig->stats_ok = ok;
    rig->n_answers++;
}

/* policy-stats: three requests, every part of every reply, the answer
 * once all arrived; replies with other xids are not polmon's. */
static void
test_stats_requests(void)
{
    const struct intent_policy *app = policy("web-app");
    struct rig rig;
    rig_init(&rig, 0x203);
    struct ofsession *sessions[] = { rig.s };

    polmon_request_stats(rig.pm, sessions, 1, intent, NULL, stats_cb, &rig,
                         rig.now);
    rig_drain(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_FLOW_STATS_REQUEST) == 3);
    UNIT_CHECK(rig.n_answers == 0);

    struct ofpbuf *reqs[3];
    for (int i = 0; i < 3; i++) {
        reqs[i] = ofmsgs_pop(&rig.sent, OFPTYPE_FLOW_STATS_REQUEST);
    }
    UNIT_CHECK(reqs[0] && reqs[1] && reqs[2]);
    if (!reqs[0] || !reqs[1] || !reqs[2]) {
        rig_destroy(&rig);
        return;
    }

    /* An unrelated flow stats reply (flowsync's dump, say). */
    struct ofpbuf *other = ofputil_encode_flow_stats_request(
        &(struct ofputil_flow_stats_request) { .table_id = 0xff,
                                               .out_port = OFPP_ANY,
                                               .out_group = OFPG_ANY },
        OFPUTIL_P_OF13_OXM);
    ofmsgs_feed_multipart(rig.s, other, NULL, rig.now);
    ofpbuf_delete(other);
    UNIT_CHECK(rig.n_unclaimed == 1);

    /* ALLOW: a reply in several parts. */
    struct ovs_list replies;
    uint64_t r1 = pipeline_cookie_policy(
        PIPELINE_COOKIE_POLICY_ALLOW, app,
        pipeline_cookie_rule_bits(true, &app->inbound.rules[0]));
    ofpmp_init(&replies, reqs[0]->data);
    for (int i = 0; i < 1500; i++) {
        append_flow(&replies, r1, 57, i, 1, 10);
    }
    UNIT_CHECK(ovs_list_size(&replies) >= 2);
    ofmsgs_feed_multipart(rig.s, reqs[0], &replies, rig.now);
    /* DENY. */
    ofpmp_init(&replies, reqs[1]->data);
    append_flow(&replies, pipeline_cookie_policy(
                    PIPELINE_COOKIE_POLICY_DENY, app, 0x80), 58, 201, 2, 74);
    ofmsgs_feed_multipart(rig.s, reqs[1], &replies, rig.now);
    UNIT_CHECK(rig.n_answers == 0);
    /* MONITOR: empty. */
    ofmsgs_feed_multipart(rig.s, reqs[2], NULL, rig.now);

    UNIT_CHECK(rig.n_answers == 1);
    UNIT_CHECK(rig.stats_ok);
    char *got = squeeze(rig.stats_text ? rig.stats_text : "");
    UNIT_CHECK_STREQ(got,
                     "POLICY DIRECTION RULE VERDICT PACKETS BYTES\n"
                     "web-app inbound web-8080 allowed 1500 15000\n"
                     "web-app inbound default denied 2 74\n");
    free(got);
    UNIT_CHECK(rig.n_unclaimed == 1);

    /* A late duplicate is no longer polmon's. */
    ofmsgs_feed_multipart(rig.s, reqs[2], NULL, rig.now);
    UNIT_CHECK(rig.n_unclaimed == 2);
    UNIT_CHECK(rig.n_answers == 1);

    for (int i = 0; i < 3; i++) {
        ofpbuf_delete(reqs[i]);
    }
    rig_destroy(&rig);
}

/* A switch that does not answer is named after the deadline; one that
 * goes away ends the wait at once; a filter by policy; no switch at all. */
static void
test_stats_deadline_and_gone(void)
{
    struct rig rig;
    rig_init(&rig, 0x203);
    struct ofsession *sessions[] = { rig.s };

    polmon_request_stats(rig.pm, sessions, 1, intent, policy("web-app"),
                         stats_cb, &rig, rig.now);
    polmon_run(rig.pm, intent, rig.now + POLMON_STATS_TIMEOUT_MS - 1);
    UNIT_CHECK(rig.n_answers == 0);
    polmon_run(rig.pm, intent, rig.now + POLMON_STATS_TIMEOUT_MS);
    UNIT_CHECK(rig.n_answers == 1);
    UNIT_CHECK(rig.stats_ok);
    UNIT_CHECK_STREQ(rig.stats_text,
                     POLSTATS_HEADER "\n"
                     "# switch 0000000000000203 (host hv-host02 bridge "
                     "br-guest) did not answer within 3 s: its flows are "
                     "not counted\n");

    polmon_request_stats(rig.pm, sessions, 1, intent, NULL, stats_cb, &rig,
                         rig.now);
    polmon_switch_gone(rig.pm, rig.s, intent, rig.now + 1);
    UNIT_CHECK(rig.n_answers == 2);
    UNIT_CHECK(rig.stats_text && strstr(rig.stats_text, "bridge br-guest) "
                                        "disconnected"));

    polmon_request_stats(rig.pm, NULL, 0, intent, NULL, stats_cb, &rig,
                         rig.now);
    UNIT_CHECK(rig.n_answers == 3);
    UNIT_CHECK_STREQ(rig.stats_text,
                     POLSTATS_HEADER "\n# no switch is connected\n");

    /* Still waiting when polmon goes: answered with an error. */
    polmon_request_stats(rig.pm, sessions, 1, intent, NULL, stats_cb, &rig,
                         rig.now);
    polmon_destroy(rig.pm);
    rig.pm = NULL;
    UNIT_CHECK(rig.n_answers == 4);
    UNIT_CHECK(!rig.stats_ok);
    rig_destroy(&rig);
}

/* Packet-ins: a policy hit is logged once, anything else is foreign. */
static void
test_packet_in(void)
{
    const struct intent_policy *app = policy("web-app");
    struct rig rig;
    struct test_packet pkt;
    rig_init(&rig, 0x203);
    make_packet(&pkt, 101, IPPROTO_TCP, 40000, 22, 0);

    uint64_t cookies[] = {
        pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, app, 0x80),
        pipeline_cookie_policy(PIPELINE_COOKIE_POLICY_DENY, app, 0x80),
        0x1234,
    };
    for (size_t i = 0; i < ARRAY_SIZE(cookies); i++) {
        struct ofputil_packet_in_private pin;
        memset(&pin, 0, sizeof pin);
        pin.base.packet = pkt.data;
        pin.base.packet_len = pkt.len;
        pin.base.reason = OFPR_ACTION;
        pin.base.table_id = 58;
        pin.base.cookie = htonll(cookies[i]);
        match_init_catchall(&pin.base.flow_metadata);
        match_set_in_port(&pin.base.flow_metadata, u16_to_ofp(3));
        ofmsgs_feed(rig.s, ofputil_encode_packet_in_private(
                        &pin, OFPUTIL_P_OF13_OXM, OFPUTIL_PACKET_IN_STD),
                    rig.now);
    }
    const struct hitlog_stats *st = polmon_hitlog_stats(rig.pm);
    UNIT_CHECK(st->logged == 1);
    UNIT_CHECK(st->suppressed == 1);
    UNIT_CHECK(st->foreign == 1);
    UNIT_CHECK(rig.n_unclaimed == 0);

    struct ds s = DS_EMPTY_INITIALIZER;
    polmon_format_status(rig.pm, &s);
    UNIT_CHECK_STREQ(ds_cstr(&s), "hit log: 1 lines, 1 repeats suppressed, "
                     "1 foreign packet-ins dropped; meter 1: 100 packets/s "
                     "per bridge\n");
    ds_destroy(&s);
    rig_destroy(&rig);
}

int
main(void)
{
    unit_program = "test-polmon";
    /* The rig's expected warnings would clutter the output. */
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_EMER);
    vlog_set_levels(vlog_module_from_name("hitlog"), VLF_ANY_DESTINATION,
                    VLL_INFO);
    load_intent();
    UNIT_RUN(test_hit_line_denied_tcp);
    UNIT_RUN(test_hit_line_monitor_udp);
    UNIT_RUN(test_hit_line_icmp_untagged_quarantine);
    UNIT_RUN(test_hit_line_outbound_monitor);
    UNIT_RUN(test_hit_line_foreign);
    UNIT_RUN(test_hit_dedupe);
    UNIT_RUN(test_hit_cache_bound);
    UNIT_RUN(test_stats_empty);
    UNIT_RUN(test_stats_sum_from_replies);
    UNIT_RUN(test_stats_request);
    UNIT_RUN(test_meter_added);
    UNIT_RUN(test_meter_exists_modify);
    UNIT_RUN(test_meter_refused);
    UNIT_RUN(test_stats_requests);
    UNIT_RUN(test_stats_deadline_and_gone);
    UNIT_RUN(test_packet_in);
    intent_destroy(intent);
    return unit_finish();
}
