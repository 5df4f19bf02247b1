/*
 * Writes the seed corpora of the fuzz harnesses that take binary or
 * generated input.
 *
 * usage: fuzz-seeds ofsession|ctlrpc|lacp DIR
 *
 * ofsession: OpenFlow byte streams in fuzz/fuzz-ofsession.c's layout (a
 * 4-byte header of flags, chunk size and clock step, then the switch's
 * bytes), built with libopenvswitch's encoders the way the unit tests
 * (tests/ofmsgs.c, tests/test-offrame.c) build them: the handshake, echo,
 * PORT_STATUS, ERROR, barrier, multipart and bundle replies, a refused
 * HELLO, framing errors.
 *
 * ctlrpc: control socket requests as flowchainctl and ovs-appctl send
 * them, for each command flowchaind registers, and malformed ones.
 *
 * lacp: operation lists in fuzz/fuzz-lacp.c's layout: a negotiation, a
 * partner that times out, a key mismatch, link flaps, a raw LACPDU and
 * broken ones.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openflow/openflow.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "flow.h"
#include "util.h"

#define FUZZ_HANDSHAKE 0x01
#define FUZZ_DRAIN 0x02
#define FUZZ_TIMERS 0x04
#define FUZZ_PARTIAL 0x08
#define FUZZ_SMALL_QUEUE 0x10

static const char *out_dir;

/* Writes the 'n' bytes at 'data' to OUT_DIR/'name'. */
static void
write_seed(const char *name, const void *data, size_t n)
{
    char *path = xasprintf("%s/%s", out_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
        ovs_fatal(errno, "%s: write failed", path);
    }
    free(path);
}

/* Appends 'msg' (freed) to 'b' with its final length. */
static void
put_msg(struct ofpbuf *b, struct ofpbuf *msg)
{
    ofpmsg_update_length(msg);
    ofpbuf_put(b, msg->data, msg->size);
    ofpbuf_delete(msg);
}

/* Starts an ofsession seed in 'b': the 4-byte header. */
static void
start_seed(struct ofpbuf *b, uint8_t flags, uint8_t chunk, uint16_t step)
{
    ofpbuf_init(b, 0);
    uint8_t header[4] = { flags, chunk, step >> 8, step & 0xff };
    ofpbuf_put(b, header, sizeof header);
}

static void
finish_seed(struct ofpbuf *b, const char *name)
{
    write_seed(name, b->data, b->size);
    ofpbuf_uninit(b);
}

static struct ofputil_phy_port
make_port(uint16_t port_no, const char *name, bool link_down)
{
    struct ofputil_phy_port pp = {
        .port_no = u16_to_ofp(port_no),
        .hw_addr = ETH_ADDR_C(02, 00, 00, 00, 00, 00),
        .state = link_down ? OFPUTIL_PS_LINK_DOWN : 0,
        .curr_speed = 10000000,
        .max_speed = 10000000,
    };
    pp.hw_addr.ea[5] = port_no;
    ovs_strlcpy(pp.name, name, sizeof pp.name);
    return pp;
}

/* Appends a port description reply with 'n' ports from 'ports'; with
 * 'more', flags it as not the last part. */
static void
put_port_desc(struct ofpbuf *b, const struct ofputil_phy_port *ports,
              size_t n, bool more)
{
    struct ofpbuf *req = ofputil_encode_port_desc_stats_request(
        OFP13_VERSION, OFPP_ANY);
    struct ovs_list replies;
    ofpmp_init(&replies, req->data);
    for (size_t i = 0; i < n; i++) {
        ofputil_append_port_desc_stats_reply(&ports[i], &replies);
    }
    struct ofpbuf *reply;
    LIST_FOR_EACH_POP (reply, list_node, &replies) {
        ofpmsg_update_length(reply);
        if (more) {
            /* The multipart flags follow the 8-byte header and the
             * 2-byte type. */
            ovs_be16 flags = htons(OFPSF_REPLY_MORE);
            memcpy((char *) reply->data + 10, &flags, sizeof flags);
        }
        put_msg(b, reply);
    }
    ofpbuf_delete(req);
}

/* Appends a correct handshake: HELLO, FEATURES_REPLY, port description. */
static void
put_handshake(struct ofpbuf *b)
{
    put_msg(b, ofputil_encode_hello(1u << OFP13_VERSION));
    struct ofputil_switch_features sf = { .datapath_id = 0xa101,
                                          .n_tables = 254 };
    put_msg(b, ofputil_encode_switch_features(&sf, OFPUTIL_P_OF13_OXM,
                                              htonl(1)));
    struct ofputil_phy_port ports[] = {
        make_port(1, "uplink0", false),
        make_port(2, "tap0", true),
        make_port(3, "vmk0", false),
    };
    put_port_desc(b, ports, ARRAY_SIZE(ports), false);
}

static void
put_port_status(struct ofpbuf *b, enum ofp_port_reason reason,
                uint16_t port_no, const char *name, bool link_down)
{
    struct ofputil_port_status ps = {
        .reason = reason,
        .desc = make_port(port_no, name, link_down),
    };
    put_msg(b, ofputil_encode_port_status(&ps, OFPUTIL_P_OF13_OXM));
}

/* Appends the messages a switch sends after the handshake. */
static void
put_ready_traffic(struct ofpbuf *b)
{
    put_msg(b, ofputil_encode_echo_request(OFP13_VERSION));
    put_port_status(b, OFPPR_ADD, 4, "tap1", false);
    put_port_status(b, OFPPR_MODIFY, 2, "tap0", false);
    put_port_status(b, OFPPR_DELETE, 3, "vmk0", false);

    struct ofpbuf *barrier = ofpraw_alloc_xid(OFPRAW_OFPT11_BARRIER_REPLY,
                                              OFP13_VERSION, htonl(7), 0);
    put_msg(b, barrier);

    /* An ERROR about a flow_mod-sized request. */
    struct ofp_header req = { .version = OFP13_VERSION, .type = 14 /* FLOW_MOD */,
                              .length = htons(56), .xid = htonl(9) };
    put_msg(b, ofperr_encode_reply(OFPERR_OFPBAC_BAD_OUT_PORT, &req));

    /* An empty flow stats reply. */
    struct ofputil_flow_stats_request fsr = { .out_port = OFPP_ANY,
                                              .out_group = OFPG_ANY,
                                              .table_id = 0xff };
    match_init_catchall(&fsr.match);
    struct ofpbuf *fs = ofputil_encode_flow_stats_request(
        &fsr, OFPUTIL_P_OF13_OXM);
    ofpmsg_update_length(fs);
    struct ovs_list replies;
    ofpmp_init(&replies, fs->data);
    struct ofpbuf *reply;
    LIST_FOR_EACH_POP (reply, list_node, &replies) {
        put_msg(b, reply);
    }
    ofpbuf_delete(fs);

    /* A bundle control reply. */
    struct ofputil_bundle_ctrl_msg bc = { .bundle_id = 3,
                                          .type = OFPBCT_OPEN_REQUEST };
    struct ofpbuf *breq = ofputil_encode_bundle_ctrl_request(OFP13_VERSION,
                                                             &bc);
    ofpmsg_update_length(breq);
    bc.type = OFPBCT_COMMIT_REPLY;
    put_msg(b, ofputil_encode_bundle_ctrl_reply(breq->data, &bc));
    ofpbuf_delete(breq);

    /* A message type no one knows. */
    struct ofp_header unknown = { .version = OFP13_VERSION, .type = 200,
                                  .length = htons(8), .xid = htonl(11) };
    ofpbuf_put(b, &unknown, sizeof unknown);
    put_msg(b, ofputil_encode_echo_request(OFP13_VERSION));
}

static void
ofsession_seeds(void)
{
    struct ofpbuf b;

    start_seed(&b, 0, 0, 0);
    put_handshake(&b);
    finish_seed(&b, "handshake");

    start_seed(&b, 0, 0, 0);
    put_handshake(&b);
    put_ready_traffic(&b);
    finish_seed(&b, "handshake-traffic");

    start_seed(&b, FUZZ_DRAIN | FUZZ_TIMERS, 3, 100);
    put_handshake(&b);
    put_ready_traffic(&b);
    finish_seed(&b, "handshake-traffic-chunked");

    start_seed(&b, FUZZ_HANDSHAKE | FUZZ_DRAIN, 0, 0);
    put_ready_traffic(&b);
    finish_seed(&b, "ready-traffic");

    start_seed(&b, FUZZ_HANDSHAKE | FUZZ_DRAIN | FUZZ_TIMERS, 17, 2500);
    put_ready_traffic(&b);
    finish_seed(&b, "ready-traffic-slow");

    /* The switch reads our messages a few bytes at a time. */
    start_seed(&b, FUZZ_DRAIN | FUZZ_PARTIAL | FUZZ_TIMERS, 5, 10);
    put_handshake(&b);
    put_ready_traffic(&b);
    finish_seed(&b, "partial-writes");

    /* A switch that never reads, and echo requests that fill the queue. */
    start_seed(&b, FUZZ_HANDSHAKE | FUZZ_SMALL_QUEUE, 0, 0);
    for (int i = 0; i < 80; i++) {
        put_msg(&b, ofputil_encode_echo_request(OFP13_VERSION));
    }
    finish_seed(&b, "queue-full");

    /* The port description in two parts. */
    start_seed(&b, FUZZ_DRAIN, 0, 0);
    put_msg(&b, ofputil_encode_hello(1u << OFP13_VERSION));
    struct ofputil_switch_features sf = { .datapath_id = 7, .n_tables = 10 };
    put_msg(&b, ofputil_encode_switch_features(&sf, OFPUTIL_P_OF13_OXM,
                                               htonl(1)));
    struct ofputil_phy_port p1 = make_port(1, "eth1", false);
    struct ofputil_phy_port p2 = make_port(0xfffe /* LOCAL */, "br0", false);
    put_port_desc(&b, &p1, 1, true);
    put_port_desc(&b, &p2, 1, false);
    finish_seed(&b, "port-desc-more");

    /* A switch that speaks OpenFlow 1.0 only, and one that offers both. */
    start_seed(&b, FUZZ_DRAIN, 0, 0);
    put_msg(&b, ofputil_encode_hello(1u << OFP10_VERSION));
    finish_seed(&b, "hello-of10");

    start_seed(&b, FUZZ_DRAIN, 0, 0);
    put_msg(&b, ofputil_encode_hello((1u << OFP10_VERSION)
                                     | (1u << OFP13_VERSION)
                                     | (1u << OFP15_VERSION)));
    finish_seed(&b, "hello-bitmap");

    /* A HELLO whose bitmap names no version at all. */
    start_seed(&b, FUZZ_DRAIN, 0, 0);
    static const uint8_t no_versions[] = {
        OFP13_VERSION, 0, 0, 16, 0, 0, 0, 1,    /* HELLO, 16 bytes. */
        0, 1, 0, 8, 0, 0, 0, 1,                 /* Bitmap: bit 0 only. */
    };
    ofpbuf_put(&b, no_versions, sizeof no_versions);
    finish_seed(&b, "hello-no-versions");

    /* Handshakes that stop half way, then the timers run 20 s later. */
    start_seed(&b, FUZZ_TIMERS, 0, 20000);
    put_msg(&b, ofputil_encode_hello(1u << OFP13_VERSION));
    finish_seed(&b, "timeout-features");

    start_seed(&b, FUZZ_TIMERS, 0, 20000);
    put_msg(&b, ofputil_encode_hello(1u << OFP13_VERSION));
    put_msg(&b, ofputil_encode_switch_features(&sf, OFPUTIL_P_OF13_OXM,
                                               htonl(1)));
    finish_seed(&b, "timeout-ports");

    /* Something other than HELLO first. */
    start_seed(&b, FUZZ_DRAIN, 0, 0);
    put_msg(&b, ofputil_encode_echo_request(OFP13_VERSION));
    finish_seed(&b, "no-hello");

    /* Framing errors: undersize and oversize length fields. */
    start_seed(&b, 0, 0, 0);
    struct ofp_header bad = { .version = OFP13_VERSION, .type = 0 /* HELLO */,
                              .length = htons(4) };
    ofpbuf_put(&b, &bad, sizeof bad);
    finish_seed(&b, "undersize");

    start_seed(&b, 0, 0, 0);
    bad.length = htons(5000);
    ofpbuf_put(&b, &bad, sizeof bad);
    finish_seed(&b, "oversize-handshake");

    /* A message from another version after agreeing on 1.3. */
    start_seed(&b, FUZZ_HANDSHAKE, 0, 0);
    put_msg(&b, ofputil_encode_echo_request(OFP10_VERSION));
    finish_seed(&b, "version-change");

    /* A partial message, then silence: the timers' business. */
    start_seed(&b, FUZZ_HANDSHAKE | FUZZ_TIMERS, 5, 6000);
    put_msg(&b, ofputil_encode_echo_request(OFP13_VERSION));
    ofpbuf_put(&b, &bad, 6);
    finish_seed(&b, "stall");
}

static void
ctlrpc_seeds(void)
{
    static const char *const seeds[][2] = {
        { "list-commands", "{\"method\":\"list-commands\",\"params\":[],"
                           "\"id\":0}" },
        { "status", "{\"method\":\"status\",\"params\":[],\"id\":1}" },
        { "flows", "{\"method\":\"flows\",\"params\":[\"--host\",\"h1\","
                   "\"--bridge\",\"br0\",\"--vm\",\"vm-1\"],\"id\":2}" },
        { "plan", "{\"method\":\"plan\",\"params\":[\"/tmp/intent.json\"],"
                  "\"id\":\"x\"}" },
        { "vlog-set", "{\"method\":\"vlog/set\",\"params\":"
                      "[\"ofsession:file:dbg\"],\"id\":3}" },
        { "pipelined", "{\"method\":\"version\",\"params\":[],\"id\":4}"
                       "{\"method\":\"reload\",\"params\":[],\"id\":5}" },
        { "id-object", "{\"id\":{\"a\":[1,2.5,true,null]},\"params\":"
                       "[\"\\u00e9\\n\"],\"method\":\"exit\"}" },
        { "bad-params", "{\"method\":\"status\",\"params\":[1],\"id\":6}" },
        { "no-params", "{\"method\":\"status\",\"id\":7}" },
        { "not-object", "[\"status\",[]]" },
        { "bad-json", "{\"method\":\"status\",\"params\":[" },
        { "string", "\"status\"" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
        write_seed(seeds[i][0], seeds[i][1], strlen(seeds[i][1]));
    }
}

/* Writes into 'pdu' (110 bytes) an LACPDU from a partner in sync with key
 * 5 on its port 'port'. */
static void
lacp_raw_pdu(uint8_t *pdu, uint8_t port)
{
    static const uint8_t head[] = {
        1, 1,                                   /* Subtype, version. */
        1, 20, 0x80, 0x00, 0x0a, 0, 0, 0, 0, 1, /* Actor: priority, system. */
        0, 5, 0x80, 0x00, 0, 0, 0x3d, 0, 0, 0,  /* Key, port, state. */
        2, 20, 0, 100, 0x02, 0, 0, 0, 0, 0xa1,  /* Partner: us. */
        0, 7, 0x80, 0x00, 0, 1, 0x3d, 0, 0, 0,
        3, 16,                                  /* Collector. */
    };
    memset(pdu, 0, 110);
    memcpy(pdu, head, sizeof head);
    pdu[17] = port;
}

static void
lacp_seeds(void)
{
    /* flags, then OP | MEMBER << 2 and its bytes (fuzz/fuzz-lacp.c). */
    static const uint8_t negotiate[] = {
        1, 3, 0x3d, 5, 7, 0x3d, 5, 1, 5, 3, 0x3d, 5, 7, 0x3d, 5, 1, 10,
    };
    static const uint8_t expire[] = {
        1, 3, 0x3d, 5, 7, 0x3d, 5, 1, 10, 1, 30, 1, 30, 1, 255,
    };
    static const uint8_t key_mismatch[] = {
        0, 3, 0x3d, 5, 7, 0x3d, 6, 1, 5, 3, 0x3d, 5, 7, 0x3d, 6,
    };
    static const uint8_t not_in_sync[] = {
        1, 3, 0x05, 5, 7, 0x07, 5, 1, 5, 3, 0x3d, 5, 1, 200,
    };
    static const uint8_t flaps[] = {
        1, 3, 0x3d, 5, 2, 1, 1, 2, 6, 1, 40, 6, 3, 0x3d, 5,
    };
    write_seed("negotiate", negotiate, sizeof negotiate);
    write_seed("expire", expire, sizeof expire);
    write_seed("key-mismatch", key_mismatch, sizeof key_mismatch);
    write_seed("not-in-sync", not_in_sync, sizeof not_in_sync);
    write_seed("link-flaps", flaps, sizeof flaps);

    /* flags; OP 0 on member 1 (110 bytes); the clock; OP 0 on member 2. */
    uint8_t raw[3 + 110 + 2 + 2 + 110];
    size_t n = 0;
    raw[n++] = 1;
    raw[n++] = 0;
    raw[n++] = 110;
    lacp_raw_pdu(raw + n, 1);
    n += 110;
    raw[n++] = 1;
    raw[n++] = 5;
    raw[n++] = 4;
    raw[n++] = 110;
    lacp_raw_pdu(raw + n, 2);
    n += 110;
    write_seed("raw-pdus", raw, n);

    /* Truncated, and with a broken actor TLV. */
    raw[2] = 60;
    write_seed("truncated", raw, 3 + 60);
    raw[2] = 110;
    raw[3 + 3] = 19;
    write_seed("bad-tlv", raw, 3 + 110);
}

int
main(int argc, char *argv[])
{
    if (argc != 3) {
        ovs_fatal(0, "usage: %s ofsession|ctlrpc|lacp DIR", argv[0]);
    }
    out_dir = argv[2];
    if (!strcmp(argv[1], "ofsession")) {
        ofsession_seeds();
    } else if (!strcmp(argv[1], "ctlrpc")) {
        ctlrpc_seeds();
    } else if (!strcmp(argv[1], "lacp")) {
        lacp_seeds();
    } else {
        ovs_fatal(0, "%s: unknown harness", argv[1]);
    }
    return 0;
}
