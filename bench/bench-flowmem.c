/*
 * Benchmark: the heap flowchaind holds per installed flow, measured on the
 * real flow sync (controller/flowsync.c) against a scripted switch (the
 * helpers of tests/ofmsgs.c; no socket, no lab).
 *
 * usage: bench-flowmem FILE [-b HOST/BRIDGE] [-m]
 *
 * Compiles one bridge of the intent FILE (by default the one with the most
 * VM NICs; every port it names present, numbered as bench-intent numbers
 * them) and drives one flowsync through the three ways flowchaind comes to
 * hold a bridge's flows:
 *
 *   install  the switch connects empty; the compiled set is desired, the
 *            whole of it goes out as one bundle and is committed;
 *   reload   the bridge is compiled again (as an intent reload or a port
 *            event does) and becomes the desired set; nothing to send;
 *   reread   the switch reconnects (as after a restart of flowchaind) and
 *            its flows and groups are read back from a dump; nothing to
 *            send.
 *
 * After each, with the sync idle and in sync, it takes the heap in use
 * (glibc's mallinfo2(): uordblks + hblkhd, so mmap'ed hash tables count)
 * minus the heap before the first compile, and divides by the number of
 * flows installed.  That is every byte the sync holds for the bridge:
 * desired and installed flows and groups, their hash tables.  -m prints one
 * line of "key=value" pairs (for bench/run.sh); bytes_per_installed_flow is
 * the largest of the three.
 */
#include <config.h>

#include <malloc.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/flowsync.h"
#include "controller/ofsession.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "flow.h"
#include "svec.h"
#include "tests/ofmsgs.h"
#include "util.h"

struct rig {
    struct ofsession *s;
    struct flowsync *sync;
    long long int now;
    struct ovs_list sent;
};

static void
rig_message(struct ofsession *s, enum ofptype type,
            const struct ofp_header *oh, void *rig_)
{
    struct rig *rig = rig_;
    flowsync_handle(rig->sync, s, type, oh, rig->now);
}

static const struct ofsession_hooks rig_hooks = { .message = rig_message };

/* The heap in use, mmap'ed blocks included. */
static size_t
heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* Answers the dump requests among the sent messages with the flows and
 * groups of 'sw'. */
static bool
answer_dump(struct rig *rig, const struct flowset *sw)
{
    struct ofpbuf *fdump = ofmsgs_pop(&rig->sent, OFPTYPE_FLOW_STATS_REQUEST);
    struct ofpbuf *gdump = ofmsgs_pop(&rig->sent,
                                      OFPTYPE_GROUP_DESC_STATS_REQUEST);
    if (!fdump || !gdump) {
        ofpbuf_delete(fdump);
        ofpbuf_delete(gdump);
        return false;
    }
    if (sw) {
        struct ovs_list replies;
        ofpmp_init(&replies, fdump->data);
        const struct flowset_flow *f;
        FLOWSET_FOR_EACH_FLOW (f, sw) {
            struct ofputil_flow_stats fst = {
                .cookie = f->cookie, .table_id = f->table_id,
                .priority = f->priority, .idle_age = -1, .hard_age = -1,
                .ofpacts = CONST_CAST(struct ofpact *, f->ofpacts),
                .ofpacts_len = f->ofpacts_len,
            };
            minimatch_expand(&f->match, &fst.match);
            ofputil_append_flow_stats_reply(&fst, &replies, NULL);
        }
        ofmsgs_feed_multipart(rig->s, fdump, &replies, rig->now);

        ofpmp_init(&replies, gdump->data);
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
        ofmsgs_feed_multipart(rig->s, gdump, &replies, rig->now);
    } else {
        ofmsgs_feed_multipart(rig->s, fdump, NULL, rig->now);
        ofmsgs_feed_multipart(rig->s, gdump, NULL, rig->now);
    }
    ofpbuf_delete(fdump);
    ofpbuf_delete(gdump);
    return true;
}

/* Runs the sync until it is idle: streams any bundle (the messages are
 * dropped as they go out, as a switch consumes them) and acknowledges its
 * barrier.  Returns the number of bundle messages sent. */
static size_t
run_to_idle(struct rig *rig)
{
    size_t n_adds = 0;
    for (int i = 0; i < 1000000; i++) {
        flowsync_run(rig->sync, rig->s, rig->now);
        ofmsgs_drain(rig->s, rig->now, &rig->sent);
        n_adds += ofmsgs_count(&rig->sent, OFPTYPE_BUNDLE_ADD_MESSAGE);
        struct ofpbuf *barrier = ofmsgs_pop(&rig->sent,
                                            OFPTYPE_BARRIER_REQUEST);
        if (barrier) {
            ofmsgs_feed(rig->s,
                        ofpraw_alloc_reply(OFPRAW_OFPT11_BARRIER_REPLY,
                                           barrier->data, 0), rig->now);
            ofpbuf_delete(barrier);
        }
        ofmsgs_clear(&rig->sent);
        if (!flowsync_streaming(rig->sync)
            && strcmp(flowsync_state(rig->sync), "syncing")) {
            break;
        }
    }
    return n_adds;
}

int
main(int argc, char *argv[])
{
    const char *file = NULL, *which = NULL;
    bool machine = false;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-b") && i + 1 < argc) {
            which = argv[++i];
        } else if (!strcmp(argv[i], "-m")) {
            machine = true;
        } else if (argv[i][0] != '-' && !file) {
            file = argv[i];
        } else {
            file = NULL;
            break;
        }
    }
    if (!file) {
        fprintf(stderr, "usage: %s FILE [-b HOST/BRIDGE] [-m]\n", argv[0]);
        return 2;
    }
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_WARN);

    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_load_file(file, &errors);
    if (!intent) {
        for (size_t j = 0; j < errors.n && j < 10; j++) {
            fprintf(stderr, "%s\n", errors.names[j]);
        }
        fprintf(stderr, "bench-flowmem: %s: not a valid intent\n", file);
        return 1;
    }
    svec_destroy(&errors);

    const struct intent_host *host = NULL;
    const struct intent_bridge *br = NULL;
    for (size_t h = 0; h < intent_n_hosts(intent); h++) {
        const struct intent_host *ih = intent_host_at(intent, h);
        for (size_t b = 0; b < ih->n_bridges; b++) {
            const struct intent_bridge *ib = &ih->bridges[b];
            char *name = xasprintf("%s/%s", ih->name, ib->name);
            bool pick = (which ? !strcmp(which, name)
                         : !br || ib->n_nics > br->n_nics);
            free(name);
            if (pick) {
                host = ih;
                br = ib;
            }
        }
    }
    if (!br) {
        fprintf(stderr, "bench-flowmem: no bridge %s\n", which ? which : "");
        return 1;
    }

    struct rig rig;
    struct ofsession_config cfg;
    ofsession_config_default(&cfg);
    memset(&rig, 0, sizeof rig);
    ovs_list_init(&rig.sent);
    rig.now = 1000;
    rig.s = ofsession_create("bench", &rig_hooks, &rig, &cfg, rig.now);
    rig.sync = flowsync_create("bench");
    ofmsgs_handshake(rig.s, 0x42, NULL, 0, rig.now);
    ofmsgs_drain(rig.s, rig.now, &rig.sent);
    ofmsgs_clear(&rig.sent);
    flowsync_connected(rig.sync, rig.s);
    ofmsgs_drain(rig.s, rig.now, &rig.sent);
    answer_dump(&rig, NULL);
    ofmsgs_clear(&rig.sent);

    struct portmap pm;
    portmap_assume(&pm, br);
    size_t base = heap_bytes();

    /* install */
    struct flowset desired;
    flowset_init(&desired);
    pipeline_compile(intent, br, &pm, &desired);
    flowsync_set_desired(rig.sync, &desired);
    size_t install_adds = run_to_idle(&rig);
    bool ok = flowsync_in_sync(rig.sync);
    size_t n = flowset_n_flows(flowsync_installed(rig.sync));
    size_t n_groups = flowset_n_groups(flowsync_installed(rig.sync));
    size_t heap_install = heap_bytes() - base;

    /* reload */
    pipeline_compile(intent, br, &pm, &desired);
    flowsync_set_desired(rig.sync, &desired);
    size_t reload_adds = run_to_idle(&rig);
    ok = ok && flowsync_in_sync(rig.sync);
    size_t heap_reload = heap_bytes() - base;

    /* reread */
    struct flowset sw;
    flowset_clone(&sw, flowsync_installed(rig.sync));
    rig.now += 1000;
    flowsync_connected(rig.sync, rig.s);
    ofmsgs_drain(rig.s, rig.now, &rig.sent);
    ok = answer_dump(&rig, &sw) && ok;
    ofmsgs_clear(&rig.sent);
    flowset_destroy(&sw);
    size_t reread_adds = run_to_idle(&rig);
    ok = ok && flowsync_in_sync(rig.sync);
    size_t heap_reread = heap_bytes() - base;

    double bpf_install = n ? (double) heap_install / n : 0;
    double bpf_reload = n ? (double) heap_reload / n : 0;
    double bpf_reread = n ? (double) heap_reread / n : 0;
    double bpf = MAX(bpf_install, MAX(bpf_reload, bpf_reread));
    if (machine) {
        printf("bridge=%s/%s flows=%"PRIuSIZE" groups=%"PRIuSIZE
               " install_bytes_per_flow=%.0f reload_bytes_per_flow=%.0f"
               " reread_bytes_per_flow=%.0f bytes_per_installed_flow=%.0f"
               " in_sync=%d reload_mods=%"PRIuSIZE" reread_mods=%"PRIuSIZE
               "\n", host->name, br->name, n, n_groups, bpf_install,
               bpf_reload, bpf_reread, bpf, ok, reload_adds, reread_adds);
    } else {
        printf("bench-flowmem: %s/%s: %"PRIuSIZE" flows, %"PRIuSIZE
               " groups installed (%"PRIuSIZE" bundle messages); heap held "
               "by the sync per installed flow: %.0f bytes after the full "
               "install, %.0f after a reload (%"PRIuSIZE" messages), %.0f "
               "after a read-back (%"PRIuSIZE" messages)%s\n",
               host->name, br->name, n, n_groups, install_adds, bpf_install,
               bpf_reload, reload_adds, bpf_reread, reread_adds,
               ok ? "" : "; NOT IN SYNC");
    }

    flowset_destroy(&desired);
    portmap_destroy(&pm);
    flowsync_destroy(rig.sync);
    ofsession_destroy(rig.s);
    intent_destroy(intent);
    return ok ? 0 : 1;
}
