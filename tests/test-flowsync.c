/* Unit tests: flow sync (controller/flowsync.c) against a scripted switch:
 * the installed state is read back on connect, the difference goes out as
 * one bundle + barrier, the installed state advances only on the barrier
 * reply, and a rejected bundle changes nothing and is retried later. */
#include <config.h>

#include <arpa/inet.h>
#include <string.h>
#include "controller/flowsync.h"
#include "controller/offrame.h"
#include "controller/ofsession.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "tests/unit.h"
#include "byte-order.h"
#include "flow.h"
#include "util.h"

struct rig {
    struct ofsession *s;
    struct flowsync *sync;
    long long int now;
    struct ovs_list sent;       /* Messages the controller sent. */
};

static void
rig_message(struct ofsession *s, enum ofptype type,
            const struct ofp_header *oh, void *rig_)
{
    struct rig *rig = rig_;
    flowsync_handle(rig->sync, s, type, oh, rig->now);
}

static const struct ofsession_hooks rig_hooks = { .message = rig_message };

static void
rig_feed(struct rig *rig, struct ofpbuf *b)
{
    ofpmsg_update_length(b);
    ofsession_receive(rig->s, b->data, b->size, rig->now);
    ofpbuf_delete(b);
}

/* Moves every message the session queued into 'rig->sent'. */
static void
rig_drain(struct rig *rig)
{
    struct offrame *f = offrame_create(65535);
    const void *data;
    size_t len;
    while ((data = ofsession_tx_front(rig->s, &len)) != NULL) {
        offrame_put(f, data, len);
        ofsession_tx_consume(rig->s, len, rig->now);
    }
    struct ofpbuf *msg;
    struct ds err = DS_EMPTY_INITIALIZER;
    while (offrame_pull(f, &msg, &err) == OFFRAME_MSG) {
        ovs_list_push_back(&rig->sent, &msg->list_node);
    }
    ds_destroy(&err);
    offrame_destroy(f);
}

/* Pops the first sent message of 'type' (others before it are dropped);
 * NULL if none. */
static struct ofpbuf *
rig_pop(struct rig *rig, enum ofptype want)
{
    struct ofpbuf *msg;
    LIST_FOR_EACH_POP (msg, list_node, &rig->sent) {
        enum ofptype type;
        if (!ofptype_decode(&type, msg->data) && type == want) {
            return msg;
        }
        ofpbuf_delete(msg);
    }
    return NULL;
}

static size_t
rig_count(struct rig *rig, enum ofptype want)
{
    size_t n = 0;
    const struct ofpbuf *msg;
    LIST_FOR_EACH (msg, list_node, &rig->sent) {
        enum ofptype type;
        n += !ofptype_decode(&type, msg->data) && type == want;
    }
    return n;
}

static void
rig_clear(struct rig *rig)
{
    struct ofpbuf *msg;
    LIST_FOR_EACH_POP (msg, list_node, &rig->sent) {
        ofpbuf_delete(msg);
    }
}

/* Connects: handshake, then answers the flow and group dumps with empty
 * replies. */
static void
rig_init(struct rig *rig)
{
    struct ofsession_config cfg;
    ofsession_config_default(&cfg);
    memset(rig, 0, sizeof *rig);
    ovs_list_init(&rig->sent);
    rig->now = 1000;
    rig->s = ofsession_create("rig", &rig_hooks, rig, &cfg, rig->now);
    rig->sync = flowsync_create("rig");

    rig_feed(rig, ofputil_encode_hello(1u << OFP13_VERSION));
    struct ofputil_switch_features sf = { .datapath_id = 0x42,
                                          .n_tables = 254 };
    rig_feed(rig, ofputil_encode_switch_features(&sf, OFPUTIL_P_OF13_OXM,
                                                 htonl(1)));
    struct ovs_list replies;
    struct ofpbuf *req = ofputil_encode_port_desc_stats_request(
        OFP13_VERSION, OFPP_ANY);
    ofpmp_init(&replies, req->data);
    struct ofpbuf *reply;
    LIST_FOR_EACH_POP (reply, list_node, &replies) {
        rig_feed(rig, reply);
    }
    ofpbuf_delete(req);
    UNIT_CHECK(ofsession_is_ready(rig->s));
    rig_drain(rig);
    rig_clear(rig);

    flowsync_connected(rig->sync, rig->s);
    rig_drain(rig);
    struct ofpbuf *fdump = rig_pop(rig, OFPTYPE_FLOW_STATS_REQUEST);
    struct ofpbuf *gdump = rig_pop(rig, OFPTYPE_GROUP_DESC_STATS_REQUEST);
    UNIT_CHECK(fdump && gdump);
    UNIT_CHECK(!strcmp(flowsync_state(rig->sync), "reading switch state"));
    if (fdump && gdump) {
        ofpmp_init(&replies, fdump->data);
        LIST_FOR_EACH_POP (reply, list_node, &replies) {
            rig_feed(rig, reply);
        }
        ofpmp_init(&replies, gdump->data);
        LIST_FOR_EACH_POP (reply, list_node, &replies) {
            rig_feed(rig, reply);
        }
    }
    ofpbuf_delete(fdump);
    ofpbuf_delete(gdump);
}

static void
rig_destroy(struct rig *rig)
{
    rig_clear(rig);
    flowsync_destroy(rig->sync);
    ofsession_destroy(rig->s);
}

/* Two flows: in_port=1 -> output:2 and in_port=2 -> output:1. */
static void
two_flows(struct flowset *fs)
{
    for (int i = 1; i <= 2; i++) {
        struct match match;
        match_init_catchall(&match);
        match_set_in_port(&match, u16_to_ofp(i));
        uint64_t stub[64 / 8];
        struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
        ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(3 - i);
        flowset_add_flow(fs, 0, 100, &match,
                         htonll(PIPELINE_COOKIE_MARKER | i), ofpacts.data,
                         ofpacts.size);
        ofpbuf_uninit(&ofpacts);
    }
}

static void
test_sync_advances_on_barrier_only(void)
{
    struct rig rig;
    rig_init(&rig);
    UNIT_CHECK(flowsync_in_sync(rig.sync));

    struct flowset desired;
    flowset_init(&desired);
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    flowsync_run(rig.sync, rig.s, rig.now);
    rig_drain(&rig);
    UNIT_CHECK(rig_count(&rig, OFPTYPE_BUNDLE_CONTROL) == 2);  /* Open,
                                                                * commit. */
    UNIT_CHECK(rig_count(&rig, OFPTYPE_BUNDLE_ADD_MESSAGE) == 2);
    struct ofpbuf *barrier = rig_pop(&rig, OFPTYPE_BARRIER_REQUEST);
    UNIT_CHECK(barrier != NULL);
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 0);
    UNIT_CHECK(!strcmp(flowsync_state(rig.sync), "syncing"));

    /* Nothing more goes out while the bundle is in flight. */
    flowsync_run(rig.sync, rig.s, rig.now);
    rig_drain(&rig);
    UNIT_CHECK(ovs_list_is_empty(&rig.sent));

    if (barrier) {
        rig_feed(&rig, ofpraw_alloc_reply(OFPRAW_OFPT11_BARRIER_REPLY,
                                          barrier->data, 0));
        ofpbuf_delete(barrier);
    }
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 2);
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(flowsync_stats(rig.sync)->flow_mods_sent == 2);
    UNIT_CHECK(flowsync_stats(rig.sync)->bundles_ok == 1);

    /* Same desired state again: nothing to send. */
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    flowsync_run(rig.sync, rig.s, rig.now);
    rig_drain(&rig);
    UNIT_CHECK(ovs_list_is_empty(&rig.sent));
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

static void
test_rejected_bundle_changes_nothing(void)
{
    struct rig rig;
    rig_init(&rig);

    struct flowset desired;
    flowset_init(&desired);
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    flowsync_run(rig.sync, rig.s, rig.now);
    rig_drain(&rig);

    /* The switch rejects the second flow of the bundle, then the commit,
     * then answers the barrier. */
    struct ofpbuf *add1 = rig_pop(&rig, OFPTYPE_BUNDLE_ADD_MESSAGE);
    struct ofpbuf *add2 = rig_pop(&rig, OFPTYPE_BUNDLE_ADD_MESSAGE);
    struct ofpbuf *commit = rig_pop(&rig, OFPTYPE_BUNDLE_CONTROL);
    struct ofpbuf *barrier = rig_pop(&rig, OFPTYPE_BARRIER_REQUEST);
    UNIT_CHECK(add1 && add2 && commit && barrier);
    if (add2 && commit && barrier) {
        rig_feed(&rig, ofperr_encode_reply(OFPERR_OFPBAC_BAD_OUT_PORT,
                                           add2->data));
        rig_feed(&rig, ofperr_encode_reply(OFPERR_OFPBFC_MSG_FAILED,
                                           commit->data));
        rig_feed(&rig, ofpraw_alloc_reply(OFPRAW_OFPT11_BARRIER_REPLY,
                                          barrier->data, 0));
    }
    ofpbuf_delete(add1);
    ofpbuf_delete(add2);
    ofpbuf_delete(commit);
    ofpbuf_delete(barrier);

    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 0);
    UNIT_CHECK(flowsync_stats(rig.sync)->bundles_failed == 1);
    UNIT_CHECK(flowsync_stats(rig.sync)->flow_mods_sent == 0);
    UNIT_CHECK(!flowsync_in_sync(rig.sync));
    UNIT_CHECK(!strcmp(flowsync_state(rig.sync), "out of sync"));

    /* No retry storm: nothing before the back-off, the bundle after it. */
    rig.now += 1000;
    flowsync_run(rig.sync, rig.s, rig.now);
    rig_drain(&rig);
    UNIT_CHECK(ovs_list_is_empty(&rig.sent));
    rig.now += 5000;
    flowsync_run(rig.sync, rig.s, rig.now);
    rig_drain(&rig);
    UNIT_CHECK(rig_count(&rig, OFPTYPE_BUNDLE_ADD_MESSAGE) == 2);
    barrier = rig_pop(&rig, OFPTYPE_BARRIER_REQUEST);
    if (barrier) {
        rig_feed(&rig, ofpraw_alloc_reply(OFPRAW_OFPT11_BARRIER_REPLY,
                                          barrier->data, 0));
        ofpbuf_delete(barrier);
    }
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 2);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

static void
test_dump_counts_as_installed(void)
{
    /* Flows the switch already holds are not sent again: after a dump that
     * returns the desired flows, the diff is empty. */
    struct rig rig;
    rig_init(&rig);

    struct flowset desired;
    flowset_init(&desired);
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    flowsync_run(rig.sync, rig.s, rig.now);
    rig_drain(&rig);
    struct ofpbuf *barrier = rig_pop(&rig, OFPTYPE_BARRIER_REQUEST);
    if (barrier) {
        rig_feed(&rig, ofpraw_alloc_reply(OFPRAW_OFPT11_BARRIER_REPLY,
                                          barrier->data, 0));
        ofpbuf_delete(barrier);
    }
    UNIT_CHECK(flowsync_in_sync(rig.sync));

    /* A reconnect whose dump returns the two flows, as a switch would. */
    flowsync_connected(rig.sync, rig.s);
    rig_drain(&rig);
    struct ofpbuf *fdump = rig_pop(&rig, OFPTYPE_FLOW_STATS_REQUEST);
    struct ofpbuf *gdump = rig_pop(&rig, OFPTYPE_GROUP_DESC_STATS_REQUEST);
    UNIT_CHECK(fdump && gdump);
    if (fdump && gdump) {
        struct ovs_list replies;
        ofpmp_init(&replies, fdump->data);
        const struct flowset_flow *f;
        HMAP_FOR_EACH (f, node, &flowsync_desired(rig.sync)->flows) {
            struct ofputil_flow_stats fs = {
                .cookie = f->cookie, .table_id = f->table_id,
                .priority = f->priority, .idle_age = -1, .hard_age = -1,
                .packet_count = 0, .byte_count = 0,
                .ofpacts = f->ofpacts, .ofpacts_len = f->ofpacts_len,
            };
            minimatch_expand(&f->match, &fs.match);
            ofputil_append_flow_stats_reply(&fs, &replies, NULL);
        }
        struct ofpbuf *reply;
        LIST_FOR_EACH_POP (reply, list_node, &replies) {
            rig_feed(&rig, reply);
        }
        ofpmp_init(&replies, gdump->data);
        LIST_FOR_EACH_POP (reply, list_node, &replies) {
            rig_feed(&rig, reply);
        }
    }
    ofpbuf_delete(fdump);
    ofpbuf_delete(gdump);
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 2);
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    flowsync_run(rig.sync, rig.s, rig.now);
    rig_drain(&rig);
    UNIT_CHECK(rig_count(&rig, OFPTYPE_BUNDLE_ADD_MESSAGE) == 0);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

int
main(int argc OVS_UNUSED, char *argv[])
{
    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    unit_program = "test-flowsync";
    UNIT_RUN(test_sync_advances_on_barrier_only);
    UNIT_RUN(test_rejected_bundle_changes_nothing);
    UNIT_RUN(test_dump_counts_as_installed);
    return unit_finish();
}
