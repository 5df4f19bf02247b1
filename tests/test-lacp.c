/* Unit tests for controller/lacp.c: LACPDU parsing and building, and the
 * actor's state machines with the time passed in. */
#include <config.h>

#include "controller/lacp.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "tests/unit.h"
#include "util.h"

#define P1 u16_to_ofp(1)
#define P2 u16_to_ofp(2)

static const struct eth_addr our_sys = ETH_ADDR_C(02, 00, 00, 00, 01, 01);
static const struct eth_addr peer_sys = ETH_ADDR_C(0a, 00, 00, 00, 00, 99);

/* What lacp_run() sent, per port (1 and 2). */
struct sent {
    int n[3];
    uint8_t last[3][ETH_HEADER_LEN + LACP_PDU_LEN];
};

static void
record_send(ofp_port_t port, const void *frame, size_t len, void *sent_)
{
    struct sent *sent = sent_;
    int p = ofp_to_u16(port);
    ovs_assert(p >= 1 && p <= 2 && len == sizeof sent->last[p]);
    sent->n[p]++;
    memcpy(sent->last[p], frame, len);
}

/* Parses the LACPDU last sent on port 'p'. */
static struct lacp_pdu
last_pdu(const struct sent *sent, int p)
{
    struct lacp_pdu pdu;
    const char *why;
    const uint8_t *f = sent->last[p];
    UNIT_CHECK(eth_addr_equals(*(const struct eth_addr *) f, eth_addr_lacp));
    UNIT_CHECK(f[12] == 0x88 && f[13] == 0x09);
    UNIT_CHECK(lacp_pdu_parse(f + ETH_HEADER_LEN, LACP_PDU_LEN, &pdu, &why)
               == LACP_PARSE_OK);
    return pdu;
}

static struct lacp *
make_lacp(bool fast, long long int now)
{
    struct lacp_settings s = {
        .name = "br0-up",
        .sys_id = our_sys,
        .sys_priority = 65534,
        .key = 1,
        .fast = fast,
    };
    struct lacp *lacp = lacp_create(&s, now);
    lacp_members_begin(lacp);
    lacp_member_set(lacp, "eth0", 0, P1, true,
                    (struct eth_addr) ETH_ADDR_C(02, 00, 00, 00, 00, 01), now);
    lacp_member_set(lacp, "eth1", 1, P2, true,
                    (struct eth_addr) ETH_ADDR_C(02, 00, 00, 00, 00, 02), now);
    lacp_members_end(lacp, now);
    return lacp;
}

/* Delivers to 'lacp' on port 'p' a partner LACPDU with key 'key' and
 * state 'state', whose partner TLV echoes what 'lacp' last sent there. */
static void
partner_says(struct lacp *lacp, const struct sent *sent, int p,
             uint16_t key, uint8_t state, long long int now)
{
    struct lacp_pdu mine = last_pdu(sent, p);
    struct lacp_pdu pdu = {
        .actor = {
            .sys_priority = 32768, .sys_id = peer_sys, .key = key,
            .port_priority = 32768, .port = 100 + p, .state = state,
        },
        .partner = mine.actor,
    };
    uint8_t buf[LACP_PDU_LEN];
    const char *why;
    lacp_pdu_build(&pdu, buf);
    UNIT_CHECK(lacp_process_pdu(lacp, u16_to_ofp(p), buf, sizeof buf, now,
                                &why) == LACP_PARSE_OK);
}

static struct lacp_member_status
status(const struct lacp *lacp, const char *name)
{
    struct lacp_member_status st;
    UNIT_CHECK(lacp_member_status(lacp, name, &st));
    return st;
}

#define IN_SYNC (LACP_STATE_ACTIVITY | LACP_STATE_AGGREGATION \
                 | LACP_STATE_SYNC | LACP_STATE_COLLECTING \
                 | LACP_STATE_DISTRIBUTING)

static void
test_pdu_format(void)
{
    struct lacp_pdu pdu = {
        .actor = { 65534, ETH_ADDR_C(02, 00, 00, 00, 01, 01), 7, 32768, 3,
                   0x3d },
        .partner = { 32768, ETH_ADDR_C(0a, 00, 00, 00, 00, 99), 5, 255, 9,
                     0x3f },
    };
    uint8_t buf[LACP_PDU_LEN + 4];
    lacp_pdu_build(&pdu, buf);

    /* The layout of 802.1AX. */
    UNIT_CHECK(buf[0] == 1 && buf[1] == 1);
    UNIT_CHECK(buf[2] == 1 && buf[3] == 20);
    UNIT_CHECK(buf[4] == 0xff && buf[5] == 0xfe);
    UNIT_CHECK(buf[12] == 0 && buf[13] == 7 && buf[17] == 3);
    UNIT_CHECK(buf[18] == 0x3d);
    UNIT_CHECK(buf[22] == 2 && buf[23] == 20 && buf[38] == 0x3f);
    UNIT_CHECK(buf[42] == 3 && buf[43] == 16);
    UNIT_CHECK(buf[58] == 0 && buf[59] == 0);

    struct lacp_pdu back;
    const char *why;
    UNIT_CHECK(lacp_pdu_parse(buf, LACP_PDU_LEN, &back, &why)
               == LACP_PARSE_OK);
    UNIT_CHECK(back.actor.key == 7 && back.actor.port == 3);
    UNIT_CHECK(back.actor.state == 0x3d && back.partner.state == 0x3f);
    UNIT_CHECK(eth_addr_equals(back.partner.sys_id, pdu.partner.sys_id));
    UNIT_CHECK(back.partner.port_priority == 255);

    /* Padding after the PDU is fine. */
    memset(buf + LACP_PDU_LEN, 0xaa, 4);
    UNIT_CHECK(lacp_pdu_parse(buf, sizeof buf, &back, &why)
               == LACP_PARSE_OK);

    /* Strict checks. */
    UNIT_CHECK(lacp_pdu_parse(buf, LACP_PDU_LEN - 1, &back, &why)
               == LACP_PARSE_BAD);
    UNIT_CHECK_STREQ(why, "truncated");
    UNIT_CHECK(lacp_pdu_parse(buf, 0, &back, &why) == LACP_PARSE_BAD);
    buf[3] = 19;
    UNIT_CHECK(lacp_pdu_parse(buf, LACP_PDU_LEN, &back, &why)
               == LACP_PARSE_BAD);
    UNIT_CHECK_STREQ(why, "bad actor TLV");
    buf[3] = 20;
    buf[42] = 4;
    UNIT_CHECK(lacp_pdu_parse(buf, LACP_PDU_LEN, &back, &why)
               == LACP_PARSE_BAD);
    UNIT_CHECK_STREQ(why, "bad collector TLV");
    buf[42] = 3;
    buf[59] = 2;
    UNIT_CHECK(lacp_pdu_parse(buf, LACP_PDU_LEN, &back, &why)
               == LACP_PARSE_BAD);
    buf[59] = 0;
    buf[1] = 0;
    UNIT_CHECK(lacp_pdu_parse(buf, LACP_PDU_LEN, &back, &why)
               == LACP_PARSE_BAD);
    buf[1] = 1;
    memset(buf + 6, 0, 6);
    UNIT_CHECK(lacp_pdu_parse(buf, LACP_PDU_LEN, &back, &why)
               == LACP_PARSE_BAD);
    UNIT_CHECK_STREQ(why, "zero actor system ID");

    /* A marker PDU (subtype 2) is another slow protocol. */
    buf[0] = 2;
    UNIT_CHECK(lacp_pdu_parse(buf, LACP_PDU_LEN, &back, &why)
               == LACP_PARSE_NOT_LACP);

    struct ds s = DS_EMPTY_INITIALIZER;
    lacp_format_state(0x3d, &s);
    ds_put_char(&s, ' ');
    lacp_format_state(0, &s);
    UNIT_CHECK_STREQ(ds_cstr(&s), "ACT,AGG,SYNC,COL,DIST -");
    ds_destroy(&s);
}

/* After a restart, members are assumed in sync for one timeout; hearing
 * the partner makes it real; the members aggregate. */
static void
test_negotiation(void)
{
    struct sent sent = { .n = { 0 } };
    long long int now = 1000;
    struct lacp *lacp = make_lacp(true, now);

    /* Grace: both forward, and say so at once. */
    UNIT_CHECK(lacp_run(lacp, now, record_send, &sent));
    UNIT_CHECK(sent.n[1] == 1 && sent.n[2] == 1);
    struct lacp_pdu pdu = last_pdu(&sent, 1);
    UNIT_CHECK(pdu.actor.state == (IN_SYNC | LACP_STATE_TIMEOUT));
    UNIT_CHECK(eth_addr_equals(pdu.actor.sys_id, our_sys));
    UNIT_CHECK(pdu.actor.key == 1 && pdu.actor.sys_priority == 65534);
    UNIT_CHECK(pdu.actor.port == 1);
    UNIT_CHECK(eth_addr_equals(*(struct eth_addr *) (sent.last[1] + 6),
                               (struct eth_addr) ETH_ADDR_C(02, 00, 00, 00,
                                                            00, 01)));
    UNIT_CHECK(status(lacp, "eth0").distributing);
    UNIT_CHECK(!lacp_in_fallback(lacp));

    /* Nothing due 0.5 s later. */
    now += 500;
    UNIT_CHECK(!lacp_run(lacp, now, record_send, &sent));
    UNIT_CHECK(sent.n[1] == 1);

    /* The partner answers on eth0, in sync: still forwarding, no change
     * for the pipeline, but eth0 left its grace. */
    partner_says(lacp, &sent, 1, 5, IN_SYNC | LACP_STATE_TIMEOUT, now);
    lacp_run(lacp, now, record_send, &sent);
    struct lacp_member_status st = status(lacp, "eth0");
    UNIT_CHECK(st.partner && st.collecting && st.distributing);

    /* The grace period ends: eth1, never heard, is defaulted. */
    now = 1000 + LACP_SHORT_TIMEOUT_MS;
    partner_says(lacp, &sent, 1, 5, IN_SYNC | LACP_STATE_TIMEOUT, now);
    UNIT_CHECK(lacp_run(lacp, now, record_send, &sent));
    st = status(lacp, "eth1");
    UNIT_CHECK(!st.partner && !st.collecting && !st.distributing);
    UNIT_CHECK(status(lacp, "eth0").distributing);
    pdu = last_pdu(&sent, 2);
    UNIT_CHECK(pdu.actor.state & LACP_STATE_DEFAULTED);
    UNIT_CHECK(!(pdu.actor.state & LACP_STATE_SYNC));

    /* eth1's partner appears, not yet in sync: selected (we say sync),
     * not forwarding.  (At most 3 LACPDUs a second: 400 ms later.) */
    now += 400;
    partner_says(lacp, &sent, 2, 5, LACP_STATE_ACTIVITY
                 | LACP_STATE_AGGREGATION | LACP_STATE_TIMEOUT, now);
    int n2 = sent.n[2];
    UNIT_CHECK(lacp_run(lacp, now, record_send, &sent));
    st = status(lacp, "eth1");
    UNIT_CHECK(st.partner && !st.collecting && !st.distributing);
    UNIT_CHECK(sent.n[2] == n2 + 1);
    pdu = last_pdu(&sent, 2);
    UNIT_CHECK(pdu.actor.state & LACP_STATE_SYNC);
    UNIT_CHECK(!(pdu.actor.state & LACP_STATE_COLLECTING));
    UNIT_CHECK(pdu.partner.key == 5 && pdu.partner.port == 102);

    /* Then in sync: collecting and distributing. */
    now += 400;
    partner_says(lacp, &sent, 2, 5, IN_SYNC | LACP_STATE_TIMEOUT, now);
    UNIT_CHECK(lacp_run(lacp, now, record_send, &sent));
    st = status(lacp, "eth1");
    UNIT_CHECK(st.partner && st.collecting && st.distributing);

    struct ds s = DS_EMPTY_INITIALIZER;
    lacp_format_status(lacp, "", &s);
    UNIT_CHECK(strstr(ds_cstr(&s), "member eth1 (port 2): link up, partner "
                      "current, selected, collecting+distributing"));
    UNIT_CHECK(strstr(ds_cstr(&s), "negotiated"));
    ds_destroy(&s);
    lacp_destroy(lacp);
}

/* A partner whose sync refers to someone else (its partner TLV is not us)
 * does not make us forward. */
static void
test_partner_view(void)
{
    struct sent sent = { .n = { 0 } };
    long long int now = 0;
    struct lacp *lacp = make_lacp(false, now);
    lacp_run(lacp, now, record_send, &sent);

    struct lacp_pdu pdu = {
        .actor = { 32768, peer_sys, 5, 32768, 101, IN_SYNC },
        .partner = { 1, ETH_ADDR_C(02, 00, 00, 00, 07, 07), 9, 1, 1,
                     IN_SYNC },
    };
    uint8_t buf[LACP_PDU_LEN];
    const char *why;
    lacp_pdu_build(&pdu, buf);
    UNIT_CHECK(lacp_process_pdu(lacp, P1, buf, sizeof buf, now, &why)
               == LACP_PARSE_OK);
    int n1 = sent.n[1];
    now += 1000;
    lacp_run(lacp, now, record_send, &sent);
    struct lacp_member_status st = status(lacp, "eth0");
    UNIT_CHECK(st.partner && !st.collecting && !st.distributing);
    /* Its view is stale: we tell it who we are at once. */
    UNIT_CHECK(sent.n[1] == n1 + 1);

    /* Our own LACPDU looped back is refused and counted. */
    pdu.actor.sys_id = our_sys;
    pdu.actor.sys_priority = 65534;
    lacp_pdu_build(&pdu, buf);
    UNIT_CHECK(lacp_process_pdu(lacp, P1, buf, sizeof buf, now, &why)
               == LACP_PARSE_BAD);
    buf[0] = 1;
    UNIT_CHECK(lacp_process_pdu(lacp, P1, buf, 40, now, &why)
               == LACP_PARSE_BAD);
    UNIT_CHECK(lacp_stats(lacp)->rx_bad == 2);

    /* A flood: 10 a second are taken, the rest dropped as bad. */
    pdu.actor.sys_id = peer_sys;
    pdu.actor.sys_priority = 32768;
    lacp_pdu_build(&pdu, buf);
    now += 5000;
    uint64_t rx = lacp_stats(lacp)->rx_pdus;
    for (int i = 0; i < 25; i++) {
        lacp_process_pdu(lacp, P1, buf, sizeof buf, now + i * 10, &why);
    }
    UNIT_CHECK(lacp_stats(lacp)->rx_pdus == rx + 10);
    UNIT_CHECK(lacp_stats(lacp)->rx_bad == 2 + 15);
    UNIT_CHECK(lacp_process_pdu(lacp, P1, buf, sizeof buf, now + 1000, &why)
               == LACP_PARSE_OK);
    lacp_destroy(lacp);
}

/* A member whose partner has another key is not selected. */
static void
test_key_mismatch(void)
{
    struct sent sent = { .n = { 0 } };
    long long int now = 0;
    struct lacp *lacp = make_lacp(true, now);
    lacp_run(lacp, now, record_send, &sent);
    partner_says(lacp, &sent, 1, 5, IN_SYNC | LACP_STATE_TIMEOUT, now);
    partner_says(lacp, &sent, 2, 6, IN_SYNC | LACP_STATE_TIMEOUT, now);
    lacp_run(lacp, now, record_send, &sent);
    now += 400;
    lacp_run(lacp, now, record_send, &sent);
    UNIT_CHECK(status(lacp, "eth0").distributing);
    struct lacp_member_status st = status(lacp, "eth1");
    UNIT_CHECK(st.partner && !st.collecting && !st.distributing);
    UNIT_CHECK(!(last_pdu(&sent, 2).actor.state & LACP_STATE_SYNC));

    struct ds s = DS_EMPTY_INITIALIZER;
    lacp_format_status(lacp, "", &s);
    UNIT_CHECK(strstr(ds_cstr(&s), "member eth1 (port 2): link up, partner "
                      "current, unselected, not forwarding"));
    UNIT_CHECK(strstr(ds_cstr(&s), "key 6 port 102 state "
                      "ACT,FAST,AGG,SYNC,COL,DIST"));
    ds_destroy(&s);

    /* eth0's link goes down: eth1's partner is the aggregator now. */
    lacp_members_begin(lacp);
    lacp_member_set(lacp, "eth0", 0, P1, false, eth_addr_zero, now);
    lacp_member_set(lacp, "eth1", 1, P2, true, eth_addr_zero, now);
    lacp_members_end(lacp, now);
    UNIT_CHECK(lacp_run(lacp, now, record_send, &sent));
    UNIT_CHECK(!status(lacp, "eth0").distributing);
    UNIT_CHECK(status(lacp, "eth1").distributing);
    lacp_destroy(lacp);
}

/* Timeouts: current -> expired after 3 s (fast) -> defaulted 3 s later;
 * then fallback.  Periodic transmission at the partner's rate. */
static void
test_timeouts(void)
{
    struct sent sent = { .n = { 0 } };
    long long int now = 0;
    struct lacp *lacp = make_lacp(true, now);
    lacp_run(lacp, now, record_send, &sent);
    partner_says(lacp, &sent, 1, 5, IN_SYNC | LACP_STATE_TIMEOUT, now);
    partner_says(lacp, &sent, 2, 5, IN_SYNC, now);
    lacp_run(lacp, now, record_send, &sent);

    /* eth0's partner asked fast: one LACPDU per second; eth1's slow: none
     * in 9 s (after the first one, due from the grace period's fast
     * rate). */
    int n1 = 0, n2 = 0;
    for (int i = 1; i <= 10; i++) {
        partner_says(lacp, &sent, 1, 5, IN_SYNC | LACP_STATE_TIMEOUT,
                     now + i * 1000 - 10);
        partner_says(lacp, &sent, 2, 5, IN_SYNC, now + i * 1000 - 10);
        lacp_run(lacp, now + i * 1000, record_send, &sent);
        if (i == 1) {
            n1 = sent.n[1];
            n2 = sent.n[2];
        }
    }
    UNIT_CHECK(sent.n[1] - n1 == 9);
    UNIT_CHECK(sent.n[2] == n2);
    now += 10000;

    /* Silence after the last LACPDUs: expired after 3 s. */
    partner_says(lacp, &sent, 1, 5, IN_SYNC | LACP_STATE_TIMEOUT, now);
    partner_says(lacp, &sent, 2, 5, IN_SYNC, now);
    UNIT_CHECK(!lacp_run(lacp, now + 2999, record_send, &sent));
    UNIT_CHECK(lacp_run(lacp, now + 3000, record_send, &sent));
    /* A partner that timed out is no partner: fallback. */
    struct lacp_member_status st = status(lacp, "eth0");
    UNIT_CHECK(!st.partner && !st.distributing);
    UNIT_CHECK(lacp_in_fallback(lacp));
    lacp_run(lacp, now + 3400, record_send, &sent);
    UNIT_CHECK(last_pdu(&sent, 1).actor.state & LACP_STATE_EXPIRED);

    /* Defaulted 3 s later. */
    struct ds s = DS_EMPTY_INITIALIZER;
    lacp_format_status(lacp, "", &s);
    UNIT_CHECK(strstr(ds_cstr(&s), "partner expired"));
    ds_clear(&s);
    lacp_run(lacp, now + 6000, record_send, &sent);
    lacp_format_status(lacp, "", &s);
    UNIT_CHECK(strstr(ds_cstr(&s), "partner defaulted"));
    UNIT_CHECK(strstr(ds_cstr(&s), "FALLBACK"));
    ds_destroy(&s);
    UNIT_CHECK(lacp_in_fallback(lacp));
    lacp_destroy(lacp);

    /* A partner never heard: fallback after the grace period (90 s,
     * slow). */
    lacp = make_lacp(false, 0);
    lacp_run(lacp, 0, record_send, &sent);
    UNIT_CHECK(!lacp_in_fallback(lacp));
    UNIT_CHECK(!lacp_run(lacp, LACP_LONG_TIMEOUT_MS - 1, record_send,
                         &sent));
    UNIT_CHECK(lacp_run(lacp, LACP_LONG_TIMEOUT_MS, record_send, &sent));
    UNIT_CHECK(lacp_in_fallback(lacp));
    lacp_destroy(lacp);
    lacp_destroy(NULL);
}

int
main(void)
{
    unit_program = "test-lacp";
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_EMER);
    UNIT_RUN(test_pdu_format);
    UNIT_RUN(test_negotiation);
    UNIT_RUN(test_partner_view);
    UNIT_RUN(test_key_mismatch);
    UNIT_RUN(test_timeouts);
    return unit_finish();
}
