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
#include "tests/ofmsgs.h"
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

    ofmsgs_handshake(rig->s, 0x42, NULL, 0, rig->now);
    UNIT_CHECK(ofsession_is_ready(rig->s));
    ofmsgs_drain(rig->s, rig->now, &rig->sent);
    ofmsgs_clear(&rig->sent);

    flowsync_connected(rig->sync, rig->s);
    ofmsgs_drain(rig->s, rig->now, &rig->sent);
    struct ofpbuf *fdump = ofmsgs_pop(&rig->sent, OFPTYPE_FLOW_STATS_REQUEST);
    struct ofpbuf *gdump = ofmsgs_pop(&rig->sent,
                                      OFPTYPE_GROUP_DESC_STATS_REQUEST);
    UNIT_CHECK(fdump && gdump);
    UNIT_CHECK(!strcmp(flowsync_state(rig->sync), "reading switch state"));
    if (fdump && gdump) {
        ofmsgs_feed_multipart(rig->s, fdump, NULL, rig->now);
        ofmsgs_feed_multipart(rig->s, gdump, NULL, rig->now);
    }
    ofpbuf_delete(fdump);
    ofpbuf_delete(gdump);
}

/* Sends what the sync wants to send now into 'rig->sent'. */
static void
rig_run(struct rig *rig)
{
    flowsync_run(rig->sync, rig->s, rig->now);
    ofmsgs_drain(rig->s, rig->now, &rig->sent);
}

/* Answers the barrier request among the sent messages; returns false if
 * there was none. */
static bool
rig_ack_barrier(struct rig *rig)
{
    struct ofpbuf *barrier = ofmsgs_pop(&rig->sent, OFPTYPE_BARRIER_REQUEST);
    if (!barrier) {
        return false;
    }
    ofmsgs_feed(rig->s, ofpraw_alloc_reply(OFPRAW_OFPT11_BARRIER_REPLY,
                                           barrier->data, 0), rig->now);
    ofpbuf_delete(barrier);
    return true;
}

static void
rig_destroy(struct rig *rig)
{
    ofmsgs_clear(&rig->sent);
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
    rig_run(&rig);
    /* Open and commit, two adds, a barrier. */
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_CONTROL) == 2);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 2);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BARRIER_REQUEST) == 1);
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 0);
    UNIT_CHECK(!strcmp(flowsync_state(rig.sync), "syncing"));

    /* Nothing more goes out while the bundle is in flight. */
    struct ovs_list more = OVS_LIST_INITIALIZER(&more);
    flowsync_run(rig.sync, rig.s, rig.now);
    UNIT_CHECK(!ofmsgs_drain(rig.s, rig.now, &more));

    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 2);
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(flowsync_stats(rig.sync)->flow_mods_sent == 2);
    UNIT_CHECK(flowsync_stats(rig.sync)->bundles_ok == 1);

    /* Same desired state again: nothing to send. */
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    ofmsgs_clear(&rig.sent);
    rig_run(&rig);
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
    rig_run(&rig);

    /* The switch rejects the second flow of the bundle, then the commit,
     * then answers the barrier. */
    struct ofpbuf *add1 = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
    struct ofpbuf *add2 = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
    struct ofpbuf *commit = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_CONTROL);
    UNIT_CHECK(add1 && add2 && commit);
    if (add2 && commit) {
        ofmsgs_feed(rig.s, ofperr_encode_reply(OFPERR_OFPBAC_BAD_OUT_PORT,
                                               add2->data), rig.now);
        ofmsgs_feed(rig.s, ofperr_encode_reply(OFPERR_OFPBFC_MSG_FAILED,
                                               commit->data), rig.now);
    }
    UNIT_CHECK(rig_ack_barrier(&rig));
    ofpbuf_delete(add1);
    ofpbuf_delete(add2);
    ofpbuf_delete(commit);

    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 0);
    UNIT_CHECK(flowsync_stats(rig.sync)->bundles_failed == 1);
    UNIT_CHECK(flowsync_stats(rig.sync)->flow_mods_sent == 0);
    UNIT_CHECK(!flowsync_in_sync(rig.sync));
    UNIT_CHECK(!strcmp(flowsync_state(rig.sync), "out of sync"));

    /* No retry storm: nothing before the back-off, the bundle after it. */
    ofmsgs_clear(&rig.sent);
    rig.now += 1000;
    rig_run(&rig);
    UNIT_CHECK(ovs_list_is_empty(&rig.sent));
    rig.now += 5000;
    rig_run(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 2);
    UNIT_CHECK(rig_ack_barrier(&rig));
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
    rig_run(&rig);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));

    /* A reconnect whose dump returns the two flows, as a switch would. */
    flowsync_connected(rig.sync, rig.s);
    ofmsgs_drain(rig.s, rig.now, &rig.sent);
    struct ofpbuf *fdump = ofmsgs_pop(&rig.sent, OFPTYPE_FLOW_STATS_REQUEST);
    struct ofpbuf *gdump = ofmsgs_pop(&rig.sent,
                                      OFPTYPE_GROUP_DESC_STATS_REQUEST);
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
        ofmsgs_feed_multipart(rig.s, fdump, &replies, rig.now);
        ofmsgs_feed_multipart(rig.s, gdump, NULL, rig.now);
    }
    ofpbuf_delete(fdump);
    ofpbuf_delete(gdump);
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 2);
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    ofmsgs_clear(&rig.sent);
    rig_run(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 0);
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
