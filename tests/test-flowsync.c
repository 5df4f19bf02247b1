/* Unit tests: flow sync (controller/flowsync.c) against a scripted switch:
 * the installed state is read back on connect, the difference goes out as
 * one bundle + barrier, the installed state advances only on the barrier
 * reply, and a rejected bundle changes nothing and is retried later. */
#include <config.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "controller/flowsync.h"
#include "controller/offrame.h"
#include "controller/ofsession.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-monitor.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "models/intent.h"
#include "svec.h"
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

/* Answers the group description request 'req' with the groups of 'sw'. */
static void
feed_groups(struct rig *rig, const struct ofpbuf *req,
            const struct flowset *sw)
{
    struct ovs_list replies;
    ofpmp_init(&replies, req->data);
    const struct flowset_group *g;
    HMAP_FOR_EACH (g, node, &sw->groups) {
        struct ofputil_group_desc gd = {
            .type = g->type, .group_id = g->group_id,
        };
        ovs_list_init(&gd.buckets);
        ofputil_bucket_clone_list(&gd.buckets, &g->buckets, NULL);
        ofputil_append_group_desc_reply(&gd, &gd.buckets, &replies);
        ofputil_bucket_list_destroy(&gd.buckets);
    }
    ofmsgs_feed_multipart(rig->s, req, &replies, rig->now);
}

/* Answers the flow and group dump requests among the sent messages with
 * the flows and groups of 'sw' (the switch's real state). */
static bool
rig_answer_dump(struct rig *rig, const struct flowset *sw)
{
    struct ofpbuf *fdump = ofmsgs_pop(&rig->sent, OFPTYPE_FLOW_STATS_REQUEST);
    struct ofpbuf *gdump = ofmsgs_pop(&rig->sent,
                                      OFPTYPE_GROUP_DESC_STATS_REQUEST);
    bool ok = fdump && gdump;
    if (ok) {
        struct ovs_list replies;
        ofpmp_init(&replies, fdump->data);
        const struct flowset_flow *f;
        FLOWSET_FOR_EACH_FLOW (f, sw) {
            struct ofputil_flow_stats fs = {
                .cookie = f->cookie, .table_id = f->table_id,
                .priority = f->priority, .idle_age = -1, .hard_age = -1,
                .ofpacts = f->ofpacts, .ofpacts_len = f->ofpacts_len,
            };
            minimatch_expand(&f->match, &fs.match);
            ofputil_append_flow_stats_reply(&fs, &replies, NULL);
        }
        ofmsgs_feed_multipart(rig->s, fdump, &replies, rig->now);
        feed_groups(rig, gdump, sw);
    }
    ofpbuf_delete(fdump);
    ofpbuf_delete(gdump);
    return ok;
}

/* Answers the first group description request among the sent messages
 * with the groups of 'sw'. */
static bool
rig_answer_groups(struct rig *rig, const struct flowset *sw)
{
    struct ofpbuf *req = ofmsgs_pop(&rig->sent,
                                    OFPTYPE_GROUP_DESC_STATS_REQUEST);
    if (req) {
        feed_groups(rig, req, sw);
        ofpbuf_delete(req);
    }
    return req != NULL;
}

/* A fast-failover group 7 with one bucket watching port 1. */
static void
one_group(struct flowset *fs)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(1);
    struct flowset_group *g = flowset_add_group(fs, 7, OFPGT11_FF);
    flowset_group_add_bucket(g, u16_to_ofp(1), ofpacts.data, ofpacts.size);
    ofpbuf_uninit(&ofpacts);
}

/* Feeds the error 'error' for 'request' (not freed). */
static void
rig_reject(struct rig *rig, const struct ofpbuf *request, enum ofperr error)
{
    ofmsgs_feed(rig->s, ofperr_encode_reply(error, request->data), rig->now);
}

static void
test_rejected_bundle_rereads(void)
{
    /* As Open vSwitch does it: a bundled message it cannot decode is
     * answered with an error and left out; the commit applies the rest.
     * flowchain reads the switch back instead of assuming it unchanged,
     * so the retry does not re-add the group (GROUP_EXISTS forever). */
    struct rig rig;
    rig_init(&rig);

    struct flowset desired;
    flowset_init(&desired);
    two_flows(&desired);
    one_group(&desired);
    flowsync_set_desired(rig.sync, &desired);
    rig_run(&rig);

    /* Group add, then the two flows; the switch refuses the second. */
    struct ofpbuf *gadd = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
    struct ofpbuf *add1 = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
    struct ofpbuf *add2 = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
    UNIT_CHECK(gadd && add1 && add2);
    if (add2) {
        rig_reject(&rig, add2, OFPERR_OFPBRC_EPERM);
    }
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_stats(rig.sync)->bundles_failed == 1);
    UNIT_CHECK(flowsync_stats(rig.sync)->errors == 1);
    UNIT_CHECK(flowsync_stats(rig.sync)->flow_mods_sent == 0);

    /* It reads the switch back: the group and the first flow went in. */
    ofmsgs_drain(rig.s, rig.now, &rig.sent);
    UNIT_CHECK(!strcmp(flowsync_state(rig.sync), "reading switch state"));
    struct flowset sw;
    flowset_init(&sw);
    one_group(&sw);
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, flowsync_desired(rig.sync)) {
        if (!sw.flows.n) {
            struct match match;
            minimatch_expand(&f->match, &match);
            flowset_add_flow(&sw, f->table_id, f->priority, &match,
                             f->cookie, f->ofpacts, f->ofpacts_len);
        }
    }
    UNIT_CHECK(rig_answer_dump(&rig, &sw));
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 1);
    UNIT_CHECK(flowset_n_groups(flowsync_installed(rig.sync)) == 1);
    UNIT_CHECK(!strcmp(flowsync_state(rig.sync), "out of sync"));

    /* No retry storm: nothing before the back-off, then only the missing
     * flow, no group. */
    ofmsgs_clear(&rig.sent);
    rig.now += 1000;
    rig_run(&rig);
    UNIT_CHECK(!ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE));
    rig.now += 5000;
    rig_run(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 1);
    struct ofpbuf *retry = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
    if (retry) {
        struct ofputil_bundle_add_msg bam;
        enum ofptype type = 0;
        UNIT_CHECK(!ofputil_decode_bundle_add(retry->data, &bam, &type));
        UNIT_CHECK(type == OFPTYPE_FLOW_MOD);
    }
    ofpbuf_delete(retry);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 2);
    ofpbuf_delete(gadd);
    ofpbuf_delete(add1);
    ofpbuf_delete(add2);
    flowset_destroy(&sw);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

/* True if every installed flow of 'sync' is the very flow (the same
 * object) of its desired set with that key, and the two sets have the
 * same flows. */
static bool
installed_shares_desired(const struct flowsync *sync)
{
    const struct flowset *inst = flowsync_installed(sync);
    const struct flowset *des = flowsync_desired(sync);
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, inst) {
        if (flowset_find_flow(des, f->table_id, f->priority, &f->match)
            != f) {
            return false;
        }
    }
    return flowset_n_flows(inst) == flowset_n_flows(des);
}

/* Returns flowset_format() of 'fs' (caller frees). */
static char *
format_flows(const struct flowset *fs)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    flowset_format(fs, &s);
    return ds_steal_cstr(&s);
}

static void
test_installed_shares_desired(void)
{
    /* The installed set holds the desired set's flows themselves, not
     * copies: after a bundle, after an equal desired set replaces the
     * old one (a reload), and after a read-back.  A flow freed while the
     * other set holds it, freed twice, or changed in place shows up under
     * AddressSanitizer or in the formatted sets. */
    struct rig rig;
    rig_init(&rig);

    struct flowset desired;
    flowset_init(&desired);
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    rig_run(&rig);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(installed_shares_desired(rig.sync));
    char *text = format_flows(flowsync_installed(rig.sync));

    /* A reload with the same flows (new objects): nothing to send, and the
     * installed set moves over to the new objects; the old ones go. */
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    ofmsgs_clear(&rig.sent);
    rig_run(&rig);
    UNIT_CHECK(ovs_list_is_empty(&rig.sent));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(installed_shares_desired(rig.sync));
    char *now = format_flows(flowsync_installed(rig.sync));
    UNIT_CHECK_STREQ(now, text);
    free(now);

    /* One flow changes: the bundle modifies it; the installed set takes
     * the new flow and the other stays shared. */
    flowset_clear(&desired);
    two_flows(&desired);
    struct match match;
    match_init_catchall(&match);
    match_set_in_port(&match, u16_to_ofp(1));
    flowset_add_flow(&desired, 0, 100, &match,
                     htonll(PIPELINE_COOKIE_MARKER | 9), NULL, 0);
    flowsync_set_desired(rig.sync, &desired);
    rig_run(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 1);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(installed_shares_desired(rig.sync));
    struct minimatch mm;
    minimatch_init(&mm, &match);
    const struct flowset_flow *f = flowset_find_flow(
        flowsync_installed(rig.sync), 0, 100, &mm);
    minimatch_destroy(&mm);
    UNIT_CHECK(f && f->cookie == htonll(PIPELINE_COOKIE_MARKER | 9));

    /* A new desired set arrives while a bundle built from the old one is
     * in flight: the installed set takes the old set's flows ('held'),
     * which must outlive that set. */
    flowset_clear(&desired);
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    ofmsgs_clear(&rig.sent);
    rig_run(&rig);
    UNIT_CHECK(!strcmp(flowsync_state(rig.sync), "syncing"));
    flowset_clear(&desired);
    flowsync_set_desired(rig.sync, &desired);   /* Empty. */
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 2);
    free(text);
    text = format_flows(flowsync_installed(rig.sync));
    ofmsgs_clear(&rig.sent);
    rig_run(&rig);              /* Deletes both. */
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 2);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 0);

    /* Read-back: the switch's copies are replaced by desired's. */
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    rig_run(&rig);
    UNIT_CHECK(rig_ack_barrier(&rig));
    struct flowset sw;
    flowset_init(&sw);
    two_flows(&sw);
    rig.now += 1000;
    flowsync_connected(rig.sync, rig.s);
    ofmsgs_clear(&rig.sent);
    ofmsgs_drain(rig.s, rig.now, &rig.sent);
    UNIT_CHECK(rig_answer_dump(&rig, &sw));
    flowset_destroy(&sw);
    /* Already while reading the dump, not only at the next diff. */
    UNIT_CHECK(installed_shares_desired(rig.sync));
    ofmsgs_clear(&rig.sent);
    rig_run(&rig);
    UNIT_CHECK(!ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(installed_shares_desired(rig.sync));
    now = format_flows(flowsync_installed(rig.sync));
    UNIT_CHECK_STREQ(now, text);
    free(now);

    free(text);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

static void
test_change_during_failed_bundle_not_delayed(void)
{
    /* A port event (here: a new desired set) that comes while a bundle is
     * in flight must not wait for the back-off of that bundle's failure:
     * once the switch is read back, the new set goes out at once.  Before
     * the fix it waited the back-off (5 s, then 10, 20...), so a bond
     * failover during a failing retry took up to a minute to reach the
     * switch. */
    struct rig rig;
    rig_init(&rig);

    struct flowset desired;
    flowset_init(&desired);
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    rig_run(&rig);
    struct ofpbuf *add1 = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
    struct ofpbuf *add2 = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
    UNIT_CHECK(add1 && add2);

    /* The switch refuses the second flow; meanwhile the desired set
     * changes (a third flow). */
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    if (add2) {
        rig_reject(&rig, add2, OFPERR_OFPBRC_EPERM);
    }
    flowset_clear(&desired);
    two_flows(&desired);
    struct match match;
    match_init_catchall(&match);
    match_set_in_port(&match, u16_to_ofp(3));
    flowset_add_flow(&desired, 0, 100, &match,
                     htonll(PIPELINE_COOKIE_MARKER | 3), NULL, 0);
    flowsync_set_desired(rig.sync, &desired);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_stats(rig.sync)->bundles_failed == 1);

    /* Read back: the switch holds the first flow. */
    ofmsgs_drain(rig.s, rig.now, &rig.sent);
    struct flowset sw;
    flowset_init(&sw);
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, flowsync_desired(rig.sync)) {
        if (f->cookie == htonll(PIPELINE_COOKIE_MARKER | 1)) {
            struct match m;
            minimatch_expand(&f->match, &m);
            flowset_add_flow(&sw, f->table_id, f->priority, &m, f->cookie,
                             f->ofpacts, f->ofpacts_len);
        }
    }
    UNIT_CHECK(flowset_n_flows(&sw) == 1);
    UNIT_CHECK(rig_answer_dump(&rig, &sw));
    ofmsgs_clear(&rig.sent);

    /* 100 ms later, well within the back-off: the new set goes out, two
     * flows (the refused one and the new one). */
    rig.now += 100;
    rig_run(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 2);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 3);

    ofpbuf_delete(add1);
    ofpbuf_delete(add2);
    flowset_destroy(&sw);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

static void
test_error_after_desired_replaced(void)
{
    /* The messages of a bundle in flight refer to the desired set they
     * were built from.  A port event or a reload replaces that set during
     * the sync; an error for one of those messages must still name its
     * flow without touching freed memory (AddressSanitizer). */
    struct rig rig;
    rig_init(&rig);

    struct flowset desired;
    flowset_init(&desired);
    two_flows(&desired);
    flowsync_set_desired(rig.sync, &desired);
    rig_run(&rig);
    struct ofpbuf *add1 = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
    UNIT_CHECK(add1);

    /* A new desired set (one flow) while the bundle is in flight. */
    struct match match;
    match_init_catchall(&match);
    flowset_add_flow(&desired, 0, 1, &match, htonll(PIPELINE_COOKIE_MARKER),
                     NULL, 0);
    flowsync_set_desired(rig.sync, &desired);
    flowset_destroy(&desired);
    flowset_init(&desired);

    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_WARN);
    if (add1) {
        rig_reject(&rig, add1, OFPERR_OFPBAC_BAD_OUT_PORT);
    }
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    UNIT_CHECK(flowsync_stats(rig.sync)->errors == 1);
    UNIT_CHECK(rig_ack_barrier(&rig));
    ofpbuf_delete(add1);
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
        FLOWSET_FOR_EACH_FLOW (f, flowsync_desired(rig.sync)) {
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

/* Runs the sync and drains what it sends until it sends nothing more, as
 * a switch that reads everything would; returns the messages drained. */
static size_t
rig_run_all(struct rig *rig, size_t *max_queued)
{
    size_t n = 0;
    for (;;) {
        flowsync_run(rig->sync, rig->s, rig->now);
        size_t queued = ofsession_tx_bytes(rig->s);
        if (max_queued && queued > *max_queued) {
            *max_queued = queued;
        }
        size_t got = ofmsgs_drain(rig->s, rig->now, &rig->sent);
        if (!got) {
            return n;
        }
        n += got;
    }
}

/* 'n' flows in table 0: in_port=1,dl_vlan=I -> output:2. */
static void
many_flows(struct flowset *fs, int n)
{
    for (int i = 0; i < n; i++) {
        struct match match;
        match_init_catchall(&match);
        match_set_in_port(&match, u16_to_ofp(1));
        match_set_dl_vlan(&match, htons(i % 4096), 0);
        struct eth_addr mac = { .ea = { 2, 0, 0, 0, i >> 8, i & 0xff } };
        match_set_dl_src(&match, mac);
        uint64_t stub[64 / 8];
        struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
        ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(2);
        flowset_add_flow(fs, 0, 100, &match,
                         htonll(PIPELINE_COOKIE_MARKER | i), ofpacts.data,
                         ofpacts.size);
        ofpbuf_uninit(&ofpacts);
    }
}

static void
test_bundle_streams_within_bound(void)
{
    /* 20,000 flows: the bundle is not queued whole; it goes out as the
     * queue drains, never holding much more than 256 KiB. */
    struct rig rig;
    rig_init(&rig);
    struct flowset desired;
    flowset_init(&desired);
    many_flows(&desired, 20000);
    flowsync_set_desired(rig.sync, &desired);
    flowsync_run(rig.sync, rig.s, rig.now);
    size_t first = ofsession_tx_bytes(rig.s);
    UNIT_CHECK(first <= 256 * 1024 + 65536);
    size_t max_queued = first;
    rig_run_all(&rig, &max_queued);
    UNIT_CHECK(max_queued <= 256 * 1024 + 65536);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 20000);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_CONTROL) == 2);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(flowset_n_flows(flowsync_installed(rig.sync)) == 20000);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

/* Counts the lines of file 'path' that contain 'needle'. */
static size_t
count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        n += strstr(line, needle) != NULL;
    }
    if (f) {
        fclose(f);
    }
    return n;
}

static void
test_many_errors_rate_limited(void)
{
    /* 5,000 rejected messages: each is found by its xid and counted; the
     * log gets a few of them and one summary, not 5,000 lines. */
    char log[] = "/tmp/test-flowsync-log.XXXXXX";
    int fd = mkstemp(log);
    UNIT_CHECK(fd >= 0);
    close(fd);
    vlog_set_log_file(log);
    vlog_set_levels(NULL, VLF_FILE, VLL_WARN);

    struct rig rig;
    rig_init(&rig);
    struct flowset desired;
    flowset_init(&desired);
    many_flows(&desired, 5000);
    flowsync_set_desired(rig.sync, &desired);
    rig_run_all(&rig, NULL);
    struct ofpbuf *msg;
    LIST_FOR_EACH (msg, list_node, &rig.sent) {
        enum ofptype type;
        if (!ofptype_decode(&type, msg->data)
            && type == OFPTYPE_BUNDLE_ADD_MESSAGE) {
            rig_reject(&rig, msg, OFPERR_OFPBRC_EPERM);
        }
    }
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_stats(rig.sync)->errors == 5000);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    vlog_close_log_file();
    size_t n_lines = count_lines(log, "rejected");
    UNIT_CHECK(n_lines >= 2 && n_lines <= 30);
    UNIT_CHECK(count_lines(log, "rejected 5000 of its 5002 messages") == 1);
    unlink(log);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

static void
test_oversize_message_not_sent(void)
{
    /* A group too large for one OpenFlow message (here 2,100 buckets,
     * 67 KB) would be truncated by its 16-bit length.  It is not sent:
     * the bundle is discarded, and the sync waits for a new intent. */
    struct rig rig;
    rig_init(&rig);
    struct flowset desired;
    flowset_init(&desired);
    struct flowset_group *g = flowset_add_group(&desired, 9, OFPGT11_ALL);
    for (int i = 0; i < 2100; i++) {
        uint64_t stub[64 / 8];
        struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
        ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(i + 1);
        flowset_group_add_bucket(g, OFPP_ANY, ofpacts.data, ofpacts.size);
        ofpbuf_uninit(&ofpacts);
    }
    flowsync_set_desired(rig.sync, &desired);
    rig_run_all(&rig, NULL);
    UNIT_CHECK(!ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE));
    struct ofpbuf *open = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_CONTROL);
    struct ofpbuf *end = ofmsgs_pop(&rig.sent, OFPTYPE_BUNDLE_CONTROL);
    UNIT_CHECK(open && end);
    if (end) {
        struct ofputil_bundle_ctrl_msg bc;
        UNIT_CHECK(!ofputil_decode_bundle_ctrl(end->data, &bc));
        UNIT_CHECK(bc.type == OFPBCT_DISCARD_REQUEST);
    }
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(!strncmp(flowsync_state(rig.sync), "blocked", 7));
    ofmsgs_clear(&rig.sent);
    rig.now += 600000;
    rig_run(&rig);
    UNIT_CHECK(!ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_CONTROL));
    ofpbuf_delete(open);
    ofpbuf_delete(end);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

/* Syncs two_flows() and one_group() to the rig's switch. */
static void
rig_sync_basic(struct rig *rig, struct flowset *desired)
{
    flowset_init(desired);
    two_flows(desired);
    one_group(desired);
    flowsync_set_desired(rig->sync, desired);
    rig_run(rig);
    UNIT_CHECK(rig_ack_barrier(rig));
    UNIT_CHECK(flowsync_in_sync(rig->sync));
    ofmsgs_clear(&rig->sent);
}

/* Answers the aggregate request of a drift check with 'n_flows'. */
static bool
rig_answer_count(struct rig *rig, uint64_t n_flows)
{
    struct ofpbuf *req = ofmsgs_pop(&rig->sent,
                                    OFPTYPE_AGGREGATE_STATS_REQUEST);
    if (!req) {
        return false;
    }
    struct ofputil_aggregate_stats as = { .flow_count = n_flows };
    ofmsgs_feed(rig->s, ofputil_encode_aggregate_stats_reply(&as, req->data),
                rig->now);
    ofpbuf_delete(req);
    return true;
}

static void
test_drift_flow_monitor(void)
{
    /* Another connection modifies one of our flows, deletes the other and
     * adds its own: the flow monitor reports it, and the next sync
     * repairs exactly that. */
    struct rig rig;
    struct flowset desired;
    rig_init(&rig);
    rig_sync_basic(&rig, &desired);

    struct ovs_list replies;
    ofputil_start_flow_update(&replies, OFPUTIL_P_OF13_OXM);
    int i = 0;
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, flowsync_desired(rig.sync)) {
        uint64_t stub[64 / 8];
        struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
        ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(9);
        struct ofputil_flow_update fu = {
            .event = i++ ? OFPFME_REMOVED : OFPFME_MODIFIED,
            .table_id = f->table_id, .priority = f->priority,
            .cookie = f->cookie,
            .ofpacts = ofpacts.data, .ofpacts_len = ofpacts.size,
        };
        minimatch_expand(&f->match, &fu.match);
        ofputil_append_flow_update(&fu, &replies, NULL);
        ofpbuf_uninit(&ofpacts);
    }
    struct ofputil_flow_update fu = {
        .event = OFPFME_ADDED, .table_id = 3, .priority = 5,
        .cookie = htonll(0x1234),
    };
    match_init_catchall(&fu.match);
    ofputil_append_flow_update(&fu, &replies, NULL);
    struct ofpbuf *reply;
    LIST_FOR_EACH_POP (reply, list_node, &replies) {
        ofmsgs_feed(rig.s, reply, rig.now);
    }
    UNIT_CHECK(flowsync_stats(rig.sync)->drift_flows == 3);
    UNIT_CHECK(!flowsync_in_sync(rig.sync));

    /* Before repairing, it checks the groups (and the count): unchanged. */
    rig_run(&rig);
    UNIT_CHECK(!ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE));
    struct ofpbuf *greq = ofmsgs_pop(&rig.sent,
                                     OFPTYPE_GROUP_DESC_STATS_REQUEST);
    UNIT_CHECK(greq);
    UNIT_CHECK(rig_answer_count(&rig, 2));
    if (greq) {
        struct flowset sw;
        flowset_init(&sw);
        one_group(&sw);
        ovs_list_push_back(&rig.sent, &greq->list_node);
        UNIT_CHECK(rig_answer_groups(&rig, &sw));
        flowset_destroy(&sw);
    }
    UNIT_CHECK(!flowsync_stats(rig.sync)->drift_groups);
    rig_run(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 3);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

static void
test_drift_flow_count(void)
{
    /* A flow deleted without the monitor telling: the periodic count
     * differs, the switch is read back, and the flow re-added. */
    struct rig rig;
    struct flowset desired;
    rig_init(&rig);
    rig_sync_basic(&rig, &desired);

    rig.now += 1000;
    rig_run(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_GROUP_DESC_STATS_REQUEST)
               == 1);
    UNIT_CHECK(rig_answer_count(&rig, 1));
    ofmsgs_drain(rig.s, rig.now, &rig.sent);
    struct flowset sw;
    flowset_clone(&sw, flowsync_desired(rig.sync));
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, &sw) {
        break;                  /* The first one. */
    }
    flowset_remove_flow(&sw, f);
    UNIT_CHECK(rig_answer_dump(&rig, &sw));
    ofmsgs_clear(&rig.sent);
    rig_run(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 1);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    flowset_destroy(&sw);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

static void
test_drift_group_deleted(void)
{
    /* A group deleted behind our back is found by the periodic group
     * description dump and added again. */
    struct rig rig;
    struct flowset desired;
    rig_init(&rig);
    rig_sync_basic(&rig, &desired);

    rig.now += 1000;
    rig_run(&rig);
    struct ofpbuf *greq = ofmsgs_pop(&rig.sent,
                                     OFPTYPE_GROUP_DESC_STATS_REQUEST);
    UNIT_CHECK(greq);
    UNIT_CHECK(rig_answer_count(&rig, 2));
    if (greq) {
        ofmsgs_feed_multipart(rig.s, greq, NULL, rig.now);
    }
    ofpbuf_delete(greq);
    UNIT_CHECK(flowsync_stats(rig.sync)->drift_groups == 1);
    ofmsgs_clear(&rig.sent);
    rig_run(&rig);
    UNIT_CHECK(ofmsgs_count(&rig.sent, OFPTYPE_BUNDLE_ADD_MESSAGE) == 1);
    UNIT_CHECK(rig_ack_barrier(&rig));
    UNIT_CHECK(flowsync_in_sync(rig.sync));
    UNIT_CHECK(flowset_n_groups(flowsync_installed(rig.sync)) == 1);
    flowset_destroy(&desired);
    rig_destroy(&rig);
}

static void
test_dump_deadline(void)
{
    /* A switch that never finishes its dump is dropped, not waited for. */
    struct rig rig;
    rig_init(&rig);
    flowsync_connected(rig.sync, rig.s);
    rig_run(&rig);
    UNIT_CHECK(!ofsession_is_dead(rig.s));
    rig.now += 301 * 1000;
    rig_run(&rig);
    UNIT_CHECK(ofsession_is_dead(rig.s));
    rig_destroy(&rig);
}

/* Returns the text of an intent with one bridge and 'n' VMs, one NIC each,
 * on network vlan10. */
static char *
intent_with_vms(int n)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_cstr(&s, "{\"version\": 1, \"networks\": [{\"name\": \"vlan10\", "
                "\"vlan\": 10, \"subnet\": \"10.10.0.0/16\", \"gateway\": "
                "\"10.10.255.254\"}], \"hosts\": [{\"name\": \"h1\", "
                "\"bridges\": [{\"name\": \"br0\", \"datapath_id\": "
                "\"00000000000000a1\", \"uplink\": {\"name\": \"up\", "
                "\"members\": [\"up0\"], \"mode\": \"active-backup\"}, "
                "\"networks\": [\"vlan10\"]}]}], \"vms\": [");
    for (int i = 0; i < n; i++) {
        ds_put_format(&s, "%s{\"name\": \"vm%d\", \"host\": \"h1\", \"nics\": "
                      "[{\"port\": \"t%d\", \"mac\": \"02:00:00:00:%02x:%02x\","
                      " \"network\": \"vlan10\", \"ip\": \"10.10.%d.%d\"}]}",
                      i ? ", " : "", i, i, i >> 8, i & 0xff, i / 250,
                      i % 250 + 1);
    }
    ds_put_cstr(&s, "]}");
    return ds_steal_cstr(&s);
}

static void
test_max_ports_fit_in_one_message(void)
{
    /* The model allows INTENT_MAX_PORTS_PER_NETWORK local ports on one
     * network of a bridge, and refuses one more: the flood group of that
     * many ports, compiled by the pipeline, must fit in one message inside
     * a bundle. */
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    char *text = intent_with_vms(INTENT_MAX_PORTS_PER_NETWORK + 1);
    struct intent *intent = intent_parse(text, &errors);
    UNIT_CHECK(!intent && errors.n == 1
               && strstr(errors.names[0], "1001 local ports"));
    intent_destroy(intent);
    free(text);
    svec_clear(&errors);

    text = intent_with_vms(INTENT_MAX_PORTS_PER_NETWORK);
    intent = intent_parse(text, &errors);
    UNIT_CHECK(intent);
    if (intent) {
        struct portmap pm;
        portmap_init(&pm);
        portmap_set(&pm, "up0", u16_to_ofp(1), true);
        for (int i = 0; i < INTENT_MAX_PORTS_PER_NETWORK; i++) {
            char name[16];
            snprintf(name, sizeof name, "t%d", i);
            portmap_set(&pm, name, u16_to_ofp(i + 2), true);
        }
        struct flowset fs;
        flowset_init(&fs);
        pipeline_compile(intent, &intent_host_at(intent, 0)->bridges[0], &pm,
                         &fs);
        size_t biggest = 0;
        const struct flowset_group *g;
        HMAP_FOR_EACH (g, node, &fs.groups) {
            struct ofputil_group_mod gm = {
                .command = OFPGC11_ADD, .type = g->type,
                .group_id = g->group_id,
                .command_bucket_id = OFPG15_BUCKET_ALL,
            };
            ovs_list_init(&gm.buckets);
            ofputil_bucket_clone_list(&gm.buckets, &g->buckets, NULL);
            struct ofpbuf *msg = ofputil_encode_group_mod(OFP13_VERSION, &gm,
                                                          NULL, -1);
            biggest = MAX(biggest, msg->size);
            ofputil_bucket_list_destroy(&gm.buckets);
            ofpbuf_delete(msg);
        }
        /* A bundle add message adds 24 bytes in OpenFlow 1.3. */
        UNIT_CHECK(biggest > 1000 * 32);
        UNIT_CHECK(biggest + 24 <= FLOWSYNC_MAX_MSG_LEN);
        printf("# largest group of %d ports: %"PRIuSIZE" bytes\n",
               INTENT_MAX_PORTS_PER_NETWORK, biggest);
        flowset_destroy(&fs);
        portmap_destroy(&pm);
    }
    intent_destroy(intent);
    free(text);
    svec_destroy(&errors);
}

int
main(int argc OVS_UNUSED, char *argv[])
{
    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    unit_program = "test-flowsync";
    UNIT_RUN(test_sync_advances_on_barrier_only);
    UNIT_RUN(test_rejected_bundle_rereads);
    UNIT_RUN(test_error_after_desired_replaced);
    UNIT_RUN(test_change_during_failed_bundle_not_delayed);
    UNIT_RUN(test_installed_shares_desired);
    UNIT_RUN(test_dump_counts_as_installed);
    UNIT_RUN(test_bundle_streams_within_bound);
    UNIT_RUN(test_many_errors_rate_limited);
    UNIT_RUN(test_oversize_message_not_sent);
    UNIT_RUN(test_drift_flow_monitor);
    UNIT_RUN(test_drift_flow_count);
    UNIT_RUN(test_drift_group_deleted);
    UNIT_RUN(test_dump_deadline);
    UNIT_RUN(test_max_ports_fit_in_one_message);
    return unit_finish();
}
