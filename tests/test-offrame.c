/* Unit tests: OpenFlow framing (controller/offrame.c) and the protocol
 * state machine (controller/ofsession.c), driven with bytes, no socket. */
#include <config.h>

#include <arpa/inet.h>
#include <string.h>
#include "controller/offrame.h"
#include "controller/ofsession.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "tests/ofmsgs.h"
#include "tests/unit.h"
#include "flow.h"
#include "util.h"

/* An OpenFlow 1.3 echo request with 'n' payload bytes, encoded. */
static struct ofpbuf *
make_echo(size_t n)
{
    struct ofpbuf *b = ofputil_encode_echo_request(OFP13_VERSION);
    ofpbuf_put_zeros(b, n);
    ofpmsg_update_length(b);
    return b;
}

static void
test_whole_messages_in_one_read(void)
{
    struct offrame *f = offrame_create(65535);
    struct ofpbuf *a = make_echo(0), *b = make_echo(100);
    struct ds err = DS_EMPTY_INITIALIZER;
    struct ofpbuf *msg;

    offrame_put(f, a->data, a->size);
    offrame_put(f, b->data, b->size);
    UNIT_CHECK(offrame_pull(f, &msg, &err) == OFFRAME_MSG);
    UNIT_CHECK(msg && msg->size == a->size);
    ofpbuf_delete(msg);
    UNIT_CHECK(offrame_pull(f, &msg, &err) == OFFRAME_MSG);
    UNIT_CHECK(msg && msg->size == b->size
               && !memcmp(msg->data, b->data, b->size));
    ofpbuf_delete(msg);
    UNIT_CHECK(offrame_pull(f, &msg, &err) == OFFRAME_AGAIN);
    UNIT_CHECK(offrame_pending(f) == 0);
    ofpbuf_delete(a);
    ofpbuf_delete(b);
    ds_destroy(&err);
    offrame_destroy(f);
}

/* Every split point of two messages, fed byte by byte and in two parts,
 * yields the same two messages. */
static void
test_partial_reads(void)
{
    struct ofpbuf *a = make_echo(13), *b = make_echo(40);
    struct ofpbuf stream;
    ofpbuf_init(&stream, 0);
    ofpbuf_put(&stream, a->data, a->size);
    ofpbuf_put(&stream, b->data, b->size);

    for (size_t split = 0; split <= stream.size; split++) {
        struct offrame *f = offrame_create(65535);
        struct ds err = DS_EMPTY_INITIALIZER;
        struct ofpbuf *msg;
        size_t got = 0;

        offrame_put(f, stream.data, split);
        while (offrame_pull(f, &msg, &err) == OFFRAME_MSG) {
            got++;
            ofpbuf_delete(msg);
        }
        UNIT_CHECK(got == (split >= a->size + b->size ? 2
                           : split >= a->size ? 1 : 0));
        /* The rest, one byte at a time. */
        for (size_t i = split; i < stream.size; i++) {
            offrame_put(f, (char *) stream.data + i, 1);
            while (offrame_pull(f, &msg, &err) == OFFRAME_MSG) {
                got++;
                ofpbuf_delete(msg);
            }
        }
        UNIT_CHECK(got == 2);
        UNIT_CHECK(offrame_pending(f) == 0);
        UNIT_CHECK(!err.length);
        ds_destroy(&err);
        offrame_destroy(f);
    }
    ofpbuf_uninit(&stream);
    ofpbuf_delete(a);
    ofpbuf_delete(b);
}

static void
test_undersize_length(void)
{
    struct offrame *f = offrame_create(65535);
    struct ofp_header oh = { .version = OFP13_VERSION, .type = 0 /* HELLO */,
                             .length = htons(4), .xid = 0 };
    struct ds err = DS_EMPTY_INITIALIZER;
    struct ofpbuf *msg;

    offrame_put(f, &oh, sizeof oh);
    UNIT_CHECK(offrame_pull(f, &msg, &err) == OFFRAME_ERROR);
    UNIT_CHECK(!msg);
    UNIT_CHECK(strstr(ds_cstr(&err), "undersize length field 4") != NULL);
    ds_destroy(&err);
    offrame_destroy(f);
}

static void
test_oversize_length(void)
{
    struct offrame *f = offrame_create(4096);
    struct ofp_header oh = { .version = OFP13_VERSION, .type = 0 /* HELLO */,
                             .length = htons(65535), .xid = 0 };
    struct ds err = DS_EMPTY_INITIALIZER;
    struct ofpbuf *msg;

    offrame_put(f, &oh, sizeof oh);
    UNIT_CHECK(offrame_pull(f, &msg, &err) == OFFRAME_ERROR);
    UNIT_CHECK(strstr(ds_cstr(&err), "oversize length field 65535")
               != NULL);
    ds_destroy(&err);

    /* With a 64 kB limit the same header is legal: the framer waits. */
    ds_init(&err);
    offrame_set_max_len(f, 65535);
    UNIT_CHECK(offrame_pull(f, &msg, &err) == OFFRAME_AGAIN);
    UNIT_CHECK(offrame_wanted(f) == 65535);
    ds_destroy(&err);
    offrame_destroy(f);
}

/* A session driven by hand: what it sent, decoded by type. */
struct fake_switch {
    struct ofsession *s;
    long long int now;
    int n_ready;
    int n_port_changes;
};

static void
fake_ready(struct ofsession *s OVS_UNUSED, void *fs_)
{
    struct fake_switch *fs = fs_;
    fs->n_ready++;
}

static void
fake_port_changed(struct ofsession *s OVS_UNUSED, void *fs_)
{
    struct fake_switch *fs = fs_;
    fs->n_port_changes++;
}

static const struct ofsession_hooks fake_hooks = {
    .ready = fake_ready,
    .port_changed = fake_port_changed,
};

static void
fake_init(struct fake_switch *fs)
{
    struct ofsession_config cfg;
    ofsession_config_default(&cfg);
    memset(fs, 0, sizeof *fs);
    fs->now = 1000;
    fs->s = ofsession_create("fake", &fake_hooks, fs, &cfg, fs->now);
}

static void
fake_send(struct fake_switch *fs, struct ofpbuf *b)
{
    ofmsgs_feed(fs->s, b, fs->now);
}

/* Takes everything 's' queued; returns 'want' if a message of that type
 * was among them (a copy in '*copy' if nonnull), else -1; counts all
 * messages in '*n'. */
static int
drain_find(struct fake_switch *fs, enum ofptype want, size_t *n,
           struct ofpbuf **copy)
{
    struct ovs_list msgs = OVS_LIST_INITIALIZER(&msgs);
    *n = ofmsgs_drain(fs->s, fs->now, &msgs);
    struct ofpbuf *msg = ofmsgs_pop(&msgs, want);
    ofmsgs_clear(&msgs);
    if (!msg) {
        return -1;
    }
    if (copy) {
        *copy = msg;
    } else {
        ofpbuf_delete(msg);
    }
    return want;
}

/* Plays a switch through the whole handshake. */
static void
fake_handshake(struct fake_switch *fs)
{
    size_t n;
    UNIT_CHECK(drain_find(fs, OFPTYPE_HELLO, &n, NULL) >= 0);
    fake_send(fs, ofputil_encode_hello(1u << OFP13_VERSION));
    UNIT_CHECK(drain_find(fs, OFPTYPE_FEATURES_REQUEST, &n, NULL) >= 0);

    struct ofputil_switch_features sf = {
        .datapath_id = 0x101, .n_buffers = 0, .n_tables = 254,
    };
    fake_send(fs, ofputil_encode_switch_features(
                  &sf, OFPUTIL_P_OF13_OXM, htonl(0)));
    UNIT_CHECK(drain_find(fs, OFPTYPE_PORT_DESC_STATS_REQUEST, &n, NULL)
               >= 0);
    if (ofsession_is_dead(fs->s)) {
        fprintf(stderr, "session died: %s\n", ofsession_error(fs->s));
    }

    struct ofpbuf *req = ofputil_encode_port_desc_stats_request(
        OFP13_VERSION, OFPP_ANY);
    struct ovs_list replies;
    ofpmp_init(&replies, req->data);
    struct ofputil_phy_port pp = { .port_no = u16_to_ofp(1) };
    ovs_strlcpy(pp.name, "tap0", sizeof pp.name);
    ofputil_append_port_desc_stats_reply(&pp, &replies);
    pp.port_no = u16_to_ofp(2);
    pp.state = OFPUTIL_PS_LINK_DOWN;
    ovs_strlcpy(pp.name, "eth3", sizeof pp.name);
    ofputil_append_port_desc_stats_reply(&pp, &replies);
    ofmsgs_feed_multipart(fs->s, req, &replies, fs->now);
    ofpbuf_delete(req);
}

static void
test_handshake(void)
{
    struct fake_switch fs;
    fake_init(&fs);
    fake_handshake(&fs);
    UNIT_CHECK(ofsession_is_ready(fs.s));
    UNIT_CHECK(fs.n_ready == 1);
    UNIT_CHECK(ofsession_dpid(fs.s) == 0x101);
    size_t n;
    struct ofputil_phy_port *ports = ofsession_ports(fs.s, &n);
    UNIT_CHECK(n == 2);
    if (n == 2) {
        UNIT_CHECK_STREQ(ports[0].name, "tap0");
        UNIT_CHECK(ofsession_port_is_live(&ports[0]));
        UNIT_CHECK_STREQ(ports[1].name, "eth3");
        UNIT_CHECK(!ofsession_port_is_live(&ports[1]));
    }
    free(ports);

    /* A port going away is seen. */
    struct ofputil_port_status ps = { .reason = OFPPR_DELETE };
    ps.desc.port_no = u16_to_ofp(1);
    ovs_strlcpy(ps.desc.name, "tap0", sizeof ps.desc.name);
    fake_send(&fs, ofputil_encode_port_status(&ps, OFPUTIL_P_OF13_OXM));
    UNIT_CHECK(fs.n_port_changes == 1);
    UNIT_CHECK(!ofsession_find_port(fs.s, "tap0"));
    UNIT_CHECK(ofsession_find_port(fs.s, "eth3") != NULL);

    /* Ports are found by name (an index of their own): a port added, and
     * a port number that comes back under another name. */
    ps.reason = OFPPR_ADD;
    ps.desc.port_no = u16_to_ofp(3);
    ovs_strlcpy(ps.desc.name, "vnet7", sizeof ps.desc.name);
    fake_send(&fs, ofputil_encode_port_status(&ps, OFPUTIL_P_OF13_OXM));
    const struct ofputil_phy_port *found = ofsession_find_port(fs.s,
                                                               "vnet7");
    UNIT_CHECK(found && ofp_to_u16(found->port_no) == 3);
    ps.reason = OFPPR_MODIFY;
    ovs_strlcpy(ps.desc.name, "vnet8", sizeof ps.desc.name);
    fake_send(&fs, ofputil_encode_port_status(&ps, OFPUTIL_P_OF13_OXM));
    UNIT_CHECK(!ofsession_find_port(fs.s, "vnet7"));
    found = ofsession_find_port(fs.s, "vnet8");
    UNIT_CHECK(found && ofp_to_u16(found->port_no) == 3);
    ofsession_destroy(fs.s);
}

/* After agreeing on 1.3: an OpenFlow 1.0 error (as Open vSwitch 3.1 sends
 * now and then) is dropped and the session lives; any other message of
 * another version kills it. */
static void
test_other_version(void)
{
    struct fake_switch fs;
    fake_init(&fs);
    fake_handshake(&fs);
    UNIT_CHECK(ofsession_is_ready(fs.s));

    struct {
        struct ofp_header oh;
        ovs_be16 type, code;
        uint8_t data[4];
    } err = {
        .oh = { .version = OFP10_VERSION, .type = 1 /* ERROR */,
                .length = htons(sizeof err), .xid = htonl(5) },
        .type = htons(1), .code = htons(1),
    };
    ofsession_receive(fs.s, &err, sizeof err, fs.now);
    UNIT_CHECK(!ofsession_is_dead(fs.s));

    /* An echo request of version 1.0: not allowed. */
    struct ofp_header echo = { .version = OFP10_VERSION, .type = 2,
                               .length = htons(sizeof echo),
                               .xid = htonl(6) };
    ofsession_receive(fs.s, &echo, sizeof echo, fs.now);
    UNIT_CHECK(ofsession_is_dead(fs.s));
    UNIT_CHECK(strstr(ofsession_error(fs.s), "version 0x01"));
    ofsession_destroy(fs.s);
}

static void
test_unknown_message_type(void)
{
    struct fake_switch fs;
    fake_init(&fs);
    fake_handshake(&fs);

    /* Type 200 exists in no OpenFlow version. */
    struct ofp_header oh = { .version = OFP13_VERSION, .type = 200,
                             .length = htons(sizeof oh),
                             .xid = htonl(77) };
    ofsession_receive(fs.s, &oh, sizeof oh, fs.now);
    UNIT_CHECK(!ofsession_is_dead(fs.s));

    size_t n;
    struct ofpbuf *reply = NULL;
    UNIT_CHECK(drain_find(&fs, OFPTYPE_ERROR, &n, &reply) >= 0);
    if (reply) {
        struct ofpbuf payload;
        const struct ofp_header *roh = reply->data;
        UNIT_CHECK(ofperr_decode_msg(roh, &payload) == OFPERR_OFPBRC_BAD_TYPE);
        ofpbuf_uninit(&payload);
        UNIT_CHECK(ntohl(roh->xid) == 77);
        ofpbuf_delete(reply);
    }
    UNIT_CHECK(ofsession_stats(fs.s)->bad_type_replies == 1);

    /* The session still answers echoes. */
    fake_send(&fs, ofputil_encode_echo_request(OFP13_VERSION));
    UNIT_CHECK(drain_find(&fs, OFPTYPE_ECHO_REPLY, &n, NULL) >= 0);
    ofsession_destroy(fs.s);
}

static void
test_hello_openflow10_only(void)
{
    struct fake_switch fs;
    size_t n;
    fake_init(&fs);
    UNIT_CHECK(drain_find(&fs, OFPTYPE_HELLO, &n, NULL) >= 0);
    fake_send(&fs, ofputil_encode_hello(1u << OFP10_VERSION));
    UNIT_CHECK(ofsession_is_dead(fs.s));
    UNIT_CHECK(strstr(ofsession_error(fs.s), "HELLO_FAILED") != NULL);
    UNIT_CHECK(strstr(ofsession_error(fs.s), "1.0") != NULL);

    struct ofpbuf *reply = NULL;
    UNIT_CHECK(drain_find(&fs, OFPTYPE_ERROR, &n, &reply) >= 0);
    if (reply) {
        struct ofpbuf payload;
        UNIT_CHECK(ofperr_decode_msg(reply->data, &payload)
                   == OFPERR_OFPHFC_INCOMPATIBLE);
        ofpbuf_uninit(&payload);
        ofpbuf_delete(reply);
    }
    ofsession_destroy(fs.s);
}

static void
test_garbage_before_hello(void)
{
    struct fake_switch fs;
    fake_init(&fs);
    const char garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ofsession_receive(fs.s, garbage, sizeof garbage - 1, fs.now);
    UNIT_CHECK(ofsession_is_dead(fs.s));
    ofsession_destroy(fs.s);
}

static void
test_stalled_partial_message(void)
{
    struct fake_switch fs;
    size_t n;
    fake_init(&fs);
    fake_handshake(&fs);
    drain_find(&fs, OFPTYPE_HELLO, &n, NULL);

    struct ofp_header oh = { .version = OFP13_VERSION,
                             .type = 2 /* ECHO_REQUEST */,
                             .length = htons(65535), .xid = 0 };
    ofsession_receive(fs.s, &oh, sizeof oh, fs.now);
    fs.now += 5000;
    ofsession_run(fs.s, fs.now);
    UNIT_CHECK(!ofsession_is_dead(fs.s));
    fs.now += 6000;
    ofsession_run(fs.s, fs.now);
    UNIT_CHECK(ofsession_is_dead(fs.s));
    UNIT_CHECK(strstr(ofsession_error(fs.s), "claims 65535 bytes") != NULL);
    ofsession_destroy(fs.s);
}

static void
test_probe_and_inactivity(void)
{
    struct fake_switch fs;
    size_t n;
    fake_init(&fs);
    fake_handshake(&fs);
    drain_find(&fs, OFPTYPE_HELLO, &n, NULL);

    fs.now += 6000;
    ofsession_run(fs.s, fs.now);
    UNIT_CHECK(drain_find(&fs, OFPTYPE_ECHO_REQUEST, &n, NULL) >= 0);
    UNIT_CHECK(!ofsession_is_dead(fs.s));
    fs.now += 10000;
    ofsession_run(fs.s, fs.now);
    UNIT_CHECK(ofsession_is_dead(fs.s));
    ofsession_destroy(fs.s);
}

/* While the owner does not read the switch (too much queued for it), its
 * silence and a half-received message do not count; once reading resumes,
 * real silence still ends the session. */
static void
test_rx_pause_is_not_silence(void)
{
    struct fake_switch fs;
    size_t n;
    fake_init(&fs);
    fake_handshake(&fs);
    drain_find(&fs, OFPTYPE_HELLO, &n, NULL);

    struct ofp_header oh = { .version = OFP13_VERSION,
                             .type = 2 /* ECHO_REQUEST */,
                             .length = htons(100), .xid = 0 };
    ofsession_receive(fs.s, &oh, sizeof oh, fs.now);
    ofsession_set_rx_paused(fs.s, true, fs.now);
    for (int i = 0; i < 60; i++) {
        fs.now += 1000;
        ofsession_run(fs.s, fs.now);
    }
    UNIT_CHECK(!ofsession_is_dead(fs.s));
    UNIT_CHECK(drain_find(&fs, OFPTYPE_ECHO_REQUEST, &n, NULL) < 0);

    ofsession_set_rx_paused(fs.s, false, fs.now);
    fs.now += 6000;
    ofsession_run(fs.s, fs.now);
    UNIT_CHECK(!ofsession_is_dead(fs.s));
    fs.now += 6000;
    ofsession_run(fs.s, fs.now);
    UNIT_CHECK(ofsession_is_dead(fs.s));
    UNIT_CHECK(strstr(ofsession_error(fs.s), "claims 100 bytes") != NULL);
    ofsession_destroy(fs.s);
}

/* A loop too busy to probe in time (one run after 20 s) does not prove
 * silence: the probe goes out then, and only its going unanswered does. */
static void
test_late_probe_is_not_silence(void)
{
    struct fake_switch fs;
    size_t n;
    fake_init(&fs);
    fake_handshake(&fs);
    drain_find(&fs, OFPTYPE_HELLO, &n, NULL);

    fs.now += 20000;
    ofsession_run(fs.s, fs.now);
    UNIT_CHECK(!ofsession_is_dead(fs.s));
    UNIT_CHECK(drain_find(&fs, OFPTYPE_ECHO_REQUEST, &n, NULL) >= 0);
    fs.now += 9000;
    ofsession_run(fs.s, fs.now);
    UNIT_CHECK(!ofsession_is_dead(fs.s));
    fs.now += 2000;
    ofsession_run(fs.s, fs.now);
    UNIT_CHECK(ofsession_is_dead(fs.s));
    ofsession_destroy(fs.s);
}

static void
test_bounded_queue(void)
{
    struct ofsession_config cfg;
    ofsession_config_default(&cfg);
    cfg.max_queue_bytes = 1000;
    struct ofsession *s = ofsession_create("fake", &fake_hooks, NULL, &cfg,
                                           0);
    UNIT_CHECK(ofsession_send(s, make_echo(500)));
    UNIT_CHECK(!ofsession_send(s, make_echo(600)));
    UNIT_CHECK(ofsession_is_dead(s));
    UNIT_CHECK(ofsession_tx_bytes(s) <= 1000);
    ofsession_destroy(s);
}

int
main(int argc OVS_UNUSED, char *argv[])
{
    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    unit_program = "test-offrame";
    UNIT_RUN(test_whole_messages_in_one_read);
    UNIT_RUN(test_partial_reads);
    UNIT_RUN(test_undersize_length);
    UNIT_RUN(test_oversize_length);
    UNIT_RUN(test_handshake);
    UNIT_RUN(test_unknown_message_type);
    UNIT_RUN(test_other_version);
    UNIT_RUN(test_hello_openflow10_only);
    UNIT_RUN(test_garbage_before_hello);
    UNIT_RUN(test_stalled_partial_message);
    UNIT_RUN(test_probe_and_inactivity);
    UNIT_RUN(test_rx_pause_is_not_silence);
    UNIT_RUN(test_late_probe_is_not_silence);
    UNIT_RUN(test_bounded_queue);
    return unit_finish();
}
