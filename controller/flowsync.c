#include <config.h>
#include "controller/flowsync.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "controller/ofsession.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-monitor.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "byte-order.h"
#include "hash.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(flowsync);

/* Retry back-off after a bundle drew errors: doubles from the first to the
 * last value, back to the first after a clean sync. */
#define RETRY_FIRST_MS 5000
#define RETRY_MAX_MS 60000

/* A monitor event arriving while idle is applied at once; bursts that
 * arrive during a dump or a sync cause one more read-back, this long after
 * the last of them. */
#define DRIFT_SETTLE_MS 100

/* The aggregate count of the drift check runs every FLOWSYNC_CHECK_MS,
 * or every 1 ms per this many flows installed if that is longer. */
#define FLOWSYNC_COUNT_FLOWS_PER_MS 100

/* The table of the test hook's bulk flows: no stage goes there. */
#define TEST_BULK_TABLE 200

/* Changes listed in the log when repairing drift. */
#define DRIFT_LOG_LINES 10

/* Per-message logs (rejected messages, drift events) are rate limited;
 * summaries are not. */
static struct vlog_rate_limit error_rl = VLOG_RATE_LIMIT_INIT(5, 20);
static struct vlog_rate_limit drift_rl = VLOG_RATE_LIMIT_INIT(10, 20);

enum fs_state {
    FS_DISCONNECTED,
    FS_DUMPING,                 /* Reading the switch's flows and groups. */
    FS_IDLE,
    FS_SYNCING,                 /* A bundle is in flight. */
};

/* What a message of the bundle does. */
enum fs_op {
    OP_OPEN,
    OP_COMMIT,
    OP_DISCARD,
    OP_ADD_GROUP,
    OP_MOD_GROUP,
    OP_DEL_FLOW,
    OP_ADD_FLOW,
    OP_MOD_FLOW,
    OP_DEL_GROUP,
};

/* The order in which the lists of a diff go into a bundle: groups first,
 * since new flows may refer to them; groups deleted last, once no flow
 * refers to them. */
static const enum fs_op phase_ops[] = {
    OP_ADD_GROUP, OP_MOD_GROUP, OP_DEL_FLOW, OP_ADD_FLOW, OP_MOD_FLOW,
    OP_DEL_GROUP,
};
#define N_PHASES ARRAY_SIZE(phase_ops)

/* One message of the bundle in flight, for error reports.  'ref' points
 * into the diff, whose sides are 'installed' (unchanged while a bundle is
 * in flight) and the desired set the bundle was built from (kept in
 * 'held' if flowsync_set_desired() replaces it meanwhile). */
struct sent_msg {
    struct hmap_node node;      /* In 'fs->sent', by xid. */
    ovs_be32 xid;
    uint8_t op;                 /* enum fs_op. */
    const struct flowset_ref *ref;  /* NULL for bundle control. */
};

struct flowsync {
    char *name;
    enum fs_state state;
    struct flowset desired;
    struct flowset installed;
    uint64_t installed_gen;     /* Bumped whenever 'installed' changes. */

    /* Dump in progress. */
    ovs_be32 dump_flows_xid, dump_groups_xid;
    bool dump_flows_done, dump_groups_done;
    long long int dump_started;
    bool dump_for_drift;        /* List the repairs after this dump. */

    /* Bundle in flight. */
    struct flowset held;        /* The desired set the bundle refers to,
                                 * once a newer one replaced it. */
    bool holding;
    struct flowset_diff diff;
    bool has_diff;
    bool diff_prepared;         /* 'diff' comes from a patch and waits for
                                 * its bundle (state FS_IDLE). */
    uint64_t prepared_gen;      /* 'installed_gen' when it was made. */
    size_t phase;               /* Index into phase_ops[]. */
    const struct ovs_list *pos; /* Next ref of that phase's list. */
    bool all_sent;              /* Commit (or discard) and barrier sent. */
    struct sent_msg *sent_msgs; /* Array; nodes of 'sent' live in it. */
    size_t n_sent, allocated_sent;
    struct hmap sent;
    ovs_be32 barrier_xid;
    uint32_t bundle_id, next_bundle_id;
    size_t n_errors;
    char *first_error;          /* "ERROR for OBJECT", of this bundle. */
    char *too_big;              /* Why the bundle was discarded. */
    char *blocked;              /* Set until desired changes. */
    long long int sync_started, retry_at;
    int retry_ms;
    bool dirty;                 /* Desired or installed changed since the
                                 * last diff found them equal. */
    bool log_changes;           /* Log the next diff (drift repair). */
    size_t n_flow_mods, n_group_mods;
    size_t bundle_add_overhead;

    /* Drift. */
    ovs_be32 monitor_xid;
    bool have_monitor;          /* False once the switch refused it. */
    long long int next_check, next_count_check, next_full_check;
    ovs_be32 check_agg_xid, check_groups_xid;
    bool check_agg_pending, check_groups_pending;
    uint64_t check_gen;         /* 'installed_gen' when the check left. */
    struct flowset check_groups;
    bool reread_wanted;
    long long int reread_at;

    char *test_flow;            /* FLOWCHAIN_TEST_EXTRA_FLOW, or NULL. */
    unsigned long test_bulk;    /* FLOWCHAIN_TEST_BULK_FLOWS. */

    struct flowsync_stats stats;
};

static void clear_in_flight(struct flowsync *);
static void drop_prepared_diff(struct flowsync *);

static long long int
wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long int) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static ovs_be32
msg_xid(const struct ofpbuf *msg)
{
    return ((const struct ofp_header *) msg->data)->xid;
}

/* Returns the bytes a bundle add message adds around the message it
 * carries. */
static size_t
bundle_add_overhead(void)
{
    struct ofpbuf *inner = ofputil_encode_barrier_request(OFP13_VERSION);
    ofpmsg_update_length(inner);
    struct ofputil_bundle_add_msg bam = {
        .bundle_id = 0,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
        .msg = inner->data,
    };
    struct ofpbuf *msg = ofputil_encode_bundle_add(OFP13_VERSION, &bam);
    size_t overhead = msg->size - inner->size;
    ofpbuf_delete(msg);
    ofpbuf_delete(inner);
    return overhead;
}

/* Creates a sync for the switch called 'name' (for logs). */
struct flowsync *
flowsync_create(const char *name)
{
    struct flowsync *fs = xzalloc(sizeof *fs);
    fs->name = xstrdup(name);
    fs->state = FS_DISCONNECTED;
    flowset_init(&fs->desired);
    flowset_init(&fs->installed);
    flowset_init(&fs->held);
    flowset_init(&fs->check_groups);
    hmap_init(&fs->sent);
    fs->next_bundle_id = 1;
    fs->have_monitor = true;
    fs->bundle_add_overhead = bundle_add_overhead();

    /* Test hook: a flow added to every desired set, so that lab tests can
     * make a real switch refuse one message of a real bundle. */
    const char *test_flow = getenv("FLOWCHAIN_TEST_EXTRA_FLOW");
    if (test_flow && test_flow[0]) {
        fs->test_flow = xstrdup(test_flow);
        VLOG_WARN("%s: test hook FLOWCHAIN_TEST_EXTRA_FLOW: adding \"%s\" "
                  "to the desired flows", fs->name, test_flow);
    }
    const char *bulk = getenv("FLOWCHAIN_TEST_BULK_FLOWS");
    if (bulk && bulk[0]) {
        fs->test_bulk = strtoul(bulk, NULL, 10);
        VLOG_WARN("%s: test hook FLOWCHAIN_TEST_BULK_FLOWS: adding %lu "
                  "flows to table %d of the desired flows", fs->name,
                  fs->test_bulk, TEST_BULK_TABLE);
    }
    return fs;
}

/* Frees 'fs'.  'fs' may be NULL. */
void
flowsync_destroy(struct flowsync *fs)
{
    if (fs) {
        clear_in_flight(fs);
        hmap_destroy(&fs->sent);
        flowset_destroy(&fs->held);
        flowset_destroy(&fs->check_groups);
        flowset_destroy(&fs->desired);
        flowset_destroy(&fs->installed);
        free(fs->blocked);
        free(fs->test_flow);
        free(fs->name);
        free(fs);
    }
}

/* Forgets the bundle in flight, if any. */
static void
clear_in_flight(struct flowsync *fs)
{
    if (fs->has_diff) {
        flowset_diff_destroy(&fs->diff);
        fs->has_diff = fs->diff_prepared = false;
    }
    hmap_destroy(&fs->sent);
    hmap_init(&fs->sent);
    free(fs->sent_msgs);
    fs->sent_msgs = NULL;
    fs->n_sent = fs->allocated_sent = 0;
    flowset_clear(&fs->held);
    fs->holding = false;
    fs->phase = 0;
    fs->pos = NULL;
    fs->all_sent = false;
    fs->n_errors = 0;
    free(fs->first_error);
    fs->first_error = NULL;
    free(fs->too_big);
    fs->too_big = NULL;
}

/* Adds the test hooks' flows, if any, to 'desired': FLOWCHAIN_TEST_BULK_FLOWS
 * flows that match metadata=I in a table no stage uses (for benchmarks and
 * fault injection with large bundles), and FLOWCHAIN_TEST_EXTRA_FLOW. */
static void
add_test_flow(const struct flowsync *fs, struct flowset *desired)
{
    for (unsigned long i = 0; i < fs->test_bulk; i++) {
        struct match match;
        match_init_catchall(&match);
        match_set_metadata(&match, htonll(i));
        flowset_add_flow(desired, TEST_BULK_TABLE, 1, &match,
                         htonll(PIPELINE_COOKIE_MARKER | 0xee), NULL, 0);
    }
    if (!fs->test_flow) {
        return;
    }
    struct ofputil_flow_mod fm;
    enum ofputil_protocol usable;
    char *error = parse_ofp_flow_mod_str(&fm, fs->test_flow, NULL, NULL,
                                         OFPFC_ADD, &usable);
    if (error) {
        VLOG_ERR("%s: FLOWCHAIN_TEST_EXTRA_FLOW: %s", fs->name, error);
        free(error);
        return;
    }
    struct match match;
    minimatch_expand(&fm.match, &match);
    flowset_add_flow(desired, fm.table_id == 0xff ? 0 : fm.table_id,
                     fm.priority, &match, fm.new_cookie, fm.ofpacts,
                     fm.ofpacts_len);
    minimatch_destroy(&fm.match);
    free(CONST_CAST(struct ofpact *, fm.ofpacts));
}

/* Makes 'desired' the state to reach.  A bundle in flight keeps referring
 * to the set it was built from: that set is held until the bundle ends. */
void
flowsync_set_desired(struct flowsync *fs, struct flowset *desired)
{
    drop_prepared_diff(fs);
    add_test_flow(fs, desired);
    if (fs->state == FS_SYNCING && !fs->holding) {
        flowset_swap(&fs->held, &fs->desired);
        fs->holding = true;
    }
    flowset_swap(&fs->desired, desired);
    flowset_clear(desired);
    fs->retry_at = 0;
    free(fs->blocked);
    fs->blocked = NULL;
    fs->dirty = true;
}

/* Patches the desired set: the flows with the keys of the flows of 'old'
 * leave it, those of 'new' (shared, not copied) and its groups come in
 * (flowset_patch()).  Only while idle and in sync, when the difference to
 * send is what the patch itself changes: the diff costs O(changes), not a
 * pass over the whole bridge.  Returns false, changing nothing, in any
 * other state, or if 'old' does not match the desired set: the caller then
 * sets the whole desired set (flowsync_set_desired()). */
bool
flowsync_patch_desired(struct flowsync *fs, const struct flowset *old,
                       const struct flowset *new)
{
    if (fs->state != FS_IDLE || fs->dirty || fs->has_diff || fs->blocked
        || fs->test_flow || fs->test_bulk
        || !flowset_patch(&fs->installed, &fs->desired, old, new,
                          &fs->diff)) {
        return false;
    }
    fs->retry_at = 0;
    if (flowset_diff_is_empty(&fs->diff)) {
        flowset_diff_destroy(&fs->diff);
    } else {
        fs->has_diff = fs->diff_prepared = true;
        fs->prepared_gen = fs->installed_gen;
        fs->dirty = true;
    }
    return true;
}

/* Forgets a diff prepared by flowsync_patch_desired() and not sent yet
 * (the desired or the installed set changed since). */
static void
drop_prepared_diff(struct flowsync *fs)
{
    if (fs->diff_prepared) {
        flowset_diff_destroy(&fs->diff);
        fs->has_diff = fs->diff_prepared = false;
    }
}

const struct flowset *
flowsync_desired(const struct flowsync *fs)
{
    return &fs->desired;
}

const struct flowset *
flowsync_installed(const struct flowsync *fs)
{
    return &fs->installed;
}

/* Sends the flow and group dumps that read the switch's state into
 * 'fs->installed', which is emptied. */
static void
start_dump(struct flowsync *fs, struct ofsession *s, long long int now)
{
    clear_in_flight(fs);
    flowset_clear(&fs->installed);
    fs->installed_gen++;

    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .cookie = htonll(0),
        .cookie_mask = htonll(0),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    match_init_catchall(&fsr.match);
    struct ofpbuf *msg = ofputil_encode_flow_stats_request(
        &fsr, OFPUTIL_P_OF13_OXM);
    fs->dump_flows_xid = msg_xid(msg);
    ofsession_send(s, msg);

    msg = ofputil_encode_group_desc_request(OFP13_VERSION, OFPG_ALL);
    fs->dump_groups_xid = msg_xid(msg);
    ofsession_send(s, msg);

    fs->dump_flows_done = fs->dump_groups_done = false;
    fs->dump_started = now;
    fs->check_agg_pending = fs->check_groups_pending = false;
    flowset_clear(&fs->check_groups);
    fs->reread_wanted = false;
    fs->state = FS_DUMPING;
}

/* Reads the switch back again, after an error or on drift ('for_drift':
 * the repairs that follow are logged). */
static void
reread(struct flowsync *fs, struct ofsession *s, long long int now,
       bool for_drift)
{
    fs->stats.rereads++;
    fs->dump_for_drift = for_drift;
    start_dump(fs, s, now);
}

/* Asks the switch to report flows that other connections add, modify or
 * delete (our own changes come back abbreviated). */
static void
send_monitor(struct flowsync *fs, struct ofsession *s)
{
    struct ofputil_flow_monitor_request rq = {
        .id = 1,
        .command = OFPFMC_ADD,
        .flags = (OFPFMF_ADD | OFPFMF_REMOVED | OFPFMF_MODIFY
                  | OFPFMF_INSTRUCTIONS),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    match_init_catchall(&rq.match);
    struct ofpbuf *msg = ofpbuf_new(128);
    ofputil_append_flow_monitor_request(&rq, msg, OFPUTIL_P_OF13_OXM);
    fs->monitor_xid = msg_xid(msg);
    ofsession_send(s, msg);
}

void
flowsync_connected(struct flowsync *fs, struct ofsession *s)
{
    fs->have_monitor = true;
    send_monitor(fs, s);
    fs->next_check = fs->next_count_check = fs->next_full_check = 0;
    fs->retry_at = 0;
    fs->retry_ms = 0;
    fs->dump_for_drift = false;
    start_dump(fs, s, 0);
}

static void
dump_finished(struct flowsync *fs, long long int now)
{
    size_t foreign = 0;
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, &fs->installed) {
        if (!pipeline_cookie_is_ours(ntohll(f->cookie))) {
            foreign++;
        }
    }
    if (foreign) {
        VLOG_WARN("%s: %"PRIuSIZE" flows on the switch carry cookies that "
                  "are not flowchain's; they will be deleted", fs->name,
                  foreign);
        fs->stats.foreign_flows_deleted += foreign;
    }
    VLOG_INFO("%s: switch holds %"PRIuSIZE" flows and %"PRIuSIZE" groups",
              fs->name, flowset_n_flows(&fs->installed),
              flowset_n_groups(&fs->installed));
    fs->state = FS_IDLE;
    fs->dirty = true;
    fs->log_changes = fs->dump_for_drift;
    fs->dump_for_drift = false;
    fs->next_check = now + FLOWSYNC_CHECK_MS;
    fs->next_full_check = now + FLOWSYNC_FULL_CHECK_MS;
}

/* Adds the flows of the flow stats reply 'oh' to 'fs->installed'. */
static void
handle_flow_dump(struct flowsync *fs, struct ofsession *s,
                 const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofpbuf ofpacts;
    ofpbuf_init(&ofpacts, 64);
    for (;;) {
        struct ofputil_flow_stats stats;
        int retval = ofputil_decode_flow_stats_reply(&stats, &b, false,
                                                     &ofpacts);
        if (retval) {
            if (retval != EOF) {
                VLOG_WARN("%s: bad flow stats reply: %s", fs->name,
                          ofperr_to_string(retval));
            }
            break;
        }
        const struct flowset_flow *f = flowset_add_flow(
            &fs->installed, stats.table_id, stats.priority, &stats.match,
            stats.cookie, stats.ofpacts, stats.ofpacts_len);
        /* A flow the desired set holds too: keep desired's, free the copy
         * at once (so that a read-back does not hold the bridge's flows
         * twice until the diff that follows it). */
        const struct flowset_flow *d = flowset_find_flow(
            &fs->desired, f->table_id, f->priority, &f->match);
        if (d && flowset_flow_same_body(d, f)) {
            flowset_add_shared(&fs->installed, d);
        }
    }
    ofpbuf_uninit(&ofpacts);
    if (flowset_n_flows(&fs->installed) > FLOWSYNC_DUMP_MAX_FLOWS) {
        ofsession_kill(s, "flow dump exceeds %d flows",
                       FLOWSYNC_DUMP_MAX_FLOWS);
    } else if (!ofpmp_more(oh)) {
        fs->dump_flows_done = true;
    }
}

/* Adds the groups of the group description reply 'oh' to 'dst'.  Returns
 * false if the dump went over its bound (and kills 's'). */
static bool
decode_groups(struct flowsync *fs, struct ofsession *s,
              const struct ofp_header *oh, struct flowset *dst)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    for (;;) {
        struct ofputil_group_desc gd;
        int retval = ofputil_decode_group_desc_reply(&gd, &b, oh->version);
        if (retval) {
            if (retval != EOF) {
                VLOG_WARN("%s: bad group description reply: %s", fs->name,
                          ofperr_to_string(retval));
            }
            break;
        }
        struct flowset_group *g = flowset_add_group(dst, gd.group_id,
                                                    gd.type);
        const struct ofputil_bucket *bucket;
        LIST_FOR_EACH (bucket, list_node, &gd.buckets) {
            flowset_group_add_bucket(g, bucket->watch_port, bucket->ofpacts,
                                     bucket->ofpacts_len);
        }
        ofputil_uninit_group_desc(&gd);
    }
    if (flowset_n_groups(dst) > FLOWSYNC_DUMP_MAX_GROUPS) {
        ofsession_kill(s, "group dump exceeds %d groups",
                       FLOWSYNC_DUMP_MAX_GROUPS);
        return false;
    }
    return true;
}

static void
handle_group_dump(struct flowsync *fs, struct ofsession *s,
                  const struct ofp_header *oh)
{
    if (decode_groups(fs, s, oh, &fs->installed) && !ofpmp_more(oh)) {
        fs->dump_groups_done = true;
    }
}

/* Cuts 's' (a flow or group in ovs-ofctl syntax, for a log line) to at
 * most LOG_OBJECT_MAX characters, saying how much was left out: a flood group
 * of a large network would otherwise make a line of tens of kilobytes. */
#define LOG_OBJECT_MAX 240
static void
log_trim(struct ds *s)
{
    if (s->length > LOG_OBJECT_MAX) {
        size_t cut = s->length - LOG_OBJECT_MAX;
        ds_truncate(s, LOG_OBJECT_MAX);
        ds_put_format(s, "... (%"PRIuSIZE" more characters)", cut);
    }
}

/* Describes the object of 'm' in ovs-ofctl syntax into 's'. */
static void
format_sent(const struct sent_msg *m, struct ds *s)
{
    const struct flowset_ref *r = m->ref;
    switch ((enum fs_op) m->op) {
    case OP_OPEN:
        ds_put_cstr(s, "bundle open");
        break;
    case OP_COMMIT:
        ds_put_cstr(s, "bundle commit");
        break;
    case OP_DISCARD:
        ds_put_cstr(s, "bundle discard");
        break;
    case OP_ADD_GROUP:
    case OP_MOD_GROUP:
        ds_put_cstr(s, m->op == OP_ADD_GROUP ? "+ " : "~ ");
        flowset_group_format(r->new, s);
        break;
    case OP_DEL_GROUP:
        ds_put_cstr(s, "- ");
        flowset_group_format(r->old, s);
        break;
    case OP_ADD_FLOW:
    case OP_MOD_FLOW:
        ds_put_cstr(s, m->op == OP_ADD_FLOW ? "+ " : "~ ");
        flowset_flow_format(r->new, s);
        break;
    case OP_DEL_FLOW:
        ds_put_cstr(s, "- ");
        flowset_flow_format(r->old, s);
        break;
    }
}

/* Records that the message with 'xid' doing 'op' on 'ref' went out. */
static void
record_sent(struct flowsync *fs, ovs_be32 xid, enum fs_op op,
            const struct flowset_ref *ref)
{
    ovs_assert(fs->n_sent < fs->allocated_sent);
    struct sent_msg *m = &fs->sent_msgs[fs->n_sent++];
    m->xid = xid;
    m->op = op;
    m->ref = ref;
    hmap_insert(&fs->sent, &m->node, hash_int((OVS_FORCE uint32_t) xid, 0));
}

static struct sent_msg *
find_sent(const struct flowsync *fs, ovs_be32 xid)
{
    struct sent_msg *m;
    HMAP_FOR_EACH_WITH_HASH (m, node, hash_int((OVS_FORCE uint32_t) xid, 0),
                             &fs->sent) {
        if (m->xid == xid) {
            return m;
        }
    }
    return NULL;
}

static void
send_bundle_ctrl(struct flowsync *fs, struct ofsession *s, uint16_t type,
                 enum fs_op op)
{
    struct ofputil_bundle_ctrl_msg bc = {
        .bundle_id = fs->bundle_id,
        .type = type,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
    };
    struct ofpbuf *msg = ofputil_encode_bundle_ctrl_request(OFP13_VERSION,
                                                            &bc);
    record_sent(fs, msg_xid(msg), op, NULL);
    ofsession_send(s, msg);
}

static struct ofpbuf *
encode_flow_mod(const struct flowset_flow *f, uint16_t command)
{
    struct ofputil_flow_mod fm = {
        .priority = f->priority,
        .cookie = htonll(0),
        .cookie_mask = htonll(0),
        .new_cookie = command == OFPFC_ADD ? f->cookie : OVS_BE64_MAX,
        .modify_cookie = false,
        .table_id = f->table_id,
        .command = command,
        .buffer_id = UINT32_MAX,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .ofpacts = (command == OFPFC_ADD
                    ? CONST_CAST(struct ofpact *, f->ofpacts) : NULL),
        .ofpacts_len = command == OFPFC_ADD ? f->ofpacts_len : 0,
    };
    fm.match = f->match;        /* Shallow: encoding only reads it. */
    return ofputil_encode_flow_mod(&fm, OFPUTIL_P_OF13_OXM);
}

static struct ofpbuf *
encode_group_mod(const struct flowset_group *g, uint16_t command)
{
    struct ofputil_group_mod gm = {
        .command = command,
        .type = g->type,
        .group_id = g->group_id,
        .command_bucket_id = OFPG15_BUCKET_ALL,
    };
    ovs_list_init(&gm.buckets);
    if (command != OFPGC11_DELETE) {
        ofputil_bucket_clone_list(&gm.buckets, &g->buckets, NULL);
    }
    struct ofpbuf *msg = ofputil_encode_group_mod(OFP13_VERSION, &gm, NULL,
                                                  -1);
    ofputil_bucket_list_destroy(&gm.buckets);
    return msg;
}

/* Encodes the message doing 'op' on 'r'. */
static struct ofpbuf *
encode_change(enum fs_op op, const struct flowset_ref *r)
{
    switch (op) {
    case OP_ADD_GROUP:
        return encode_group_mod(r->new, OFPGC11_ADD);
    case OP_MOD_GROUP:
        return encode_group_mod(r->new, OFPGC11_MODIFY);
    case OP_DEL_GROUP:
        return encode_group_mod(r->old, OFPGC11_DELETE);
    case OP_ADD_FLOW:
    case OP_MOD_FLOW:
        /* An OFPFC_ADD also replaces a flow with the same key. */
        return encode_flow_mod(r->new, OFPFC_ADD);
    case OP_DEL_FLOW:
        return encode_flow_mod(r->old, OFPFC_DELETE_STRICT);
    case OP_OPEN:
    case OP_COMMIT:
    case OP_DISCARD:
    default:
        OVS_NOT_REACHED();
    }
}

static const struct ovs_list *
phase_list(const struct flowsync *fs, size_t phase)
{
    switch (phase_ops[phase]) {
    case OP_ADD_GROUP: return &fs->diff.add_groups;
    case OP_MOD_GROUP: return &fs->diff.mod_groups;
    case OP_DEL_FLOW: return &fs->diff.del_flows;
    case OP_ADD_FLOW: return &fs->diff.add_flows;
    case OP_MOD_FLOW: return &fs->diff.mod_flows;
    case OP_DEL_GROUP: return &fs->diff.del_groups;
    case OP_OPEN:
    case OP_COMMIT:
    case OP_DISCARD:
    default:
        OVS_NOT_REACHED();
    }
}

/* Returns the next change of the bundle in flight and its '*opp', or NULL
 * once every change went out. */
static const struct flowset_ref *
next_change(struct flowsync *fs, enum fs_op *opp)
{
    while (fs->phase < N_PHASES) {
        const struct ovs_list *list = phase_list(fs, fs->phase);
        if (!fs->pos) {
            fs->pos = list->next;
        }
        if (fs->pos != list) {
            const struct flowset_ref *r = CONTAINER_OF(fs->pos,
                                                       struct flowset_ref,
                                                       node);
            fs->pos = fs->pos->next;
            *opp = phase_ops[fs->phase];
            return r;
        }
        fs->phase++;
        fs->pos = NULL;
    }
    return NULL;
}

/* Ends the bundle with 'type' (commit or discard) and a barrier. */
static void
end_bundle(struct flowsync *fs, struct ofsession *s, uint16_t type,
           enum fs_op op)
{
    send_bundle_ctrl(fs, s, type, op);
    struct ofpbuf *barrier = ofputil_encode_barrier_request(OFP13_VERSION);
    fs->barrier_xid = msg_xid(barrier);
    ofsession_send(s, barrier);
    fs->all_sent = true;
}

/* Queues messages of the bundle in flight while the transmit queue of 's'
 * holds less than FLOWSYNC_TX_HIGH_WATER bytes; ends the bundle after the
 * last one.  A message over OpenFlow's size limit is not sent: the bundle
 * is discarded instead, and the sync blocked until desired changes. */
static void
pump(struct flowsync *fs, struct ofsession *s)
{
    while (!fs->all_sent && !ofsession_is_dead(s)
           && ofsession_tx_bytes(s) < FLOWSYNC_TX_HIGH_WATER) {
        enum fs_op op;
        const struct flowset_ref *r = next_change(fs, &op);
        if (!r) {
            end_bundle(fs, s, OFPBCT_COMMIT_REQUEST, OP_COMMIT);
            break;
        }
        struct ofpbuf *inner = encode_change(op, r);
        if (inner->size + fs->bundle_add_overhead > FLOWSYNC_MAX_MSG_LEN) {
            struct sent_msg m = { .op = op, .ref = r };
            struct ds what = DS_EMPTY_INITIALIZER;
            format_sent(&m, &what);
            log_trim(&what);
            fs->too_big = xasprintf(
                "%s: %"PRIuSIZE" bytes in a bundle, over OpenFlow's limit "
                "of %d bytes per message", ds_cstr(&what),
                inner->size + fs->bundle_add_overhead, FLOWSYNC_MAX_MSG_LEN);
            ds_destroy(&what);
            ofpbuf_delete(inner);
            end_bundle(fs, s, OFPBCT_DISCARD_REQUEST, OP_DISCARD);
            break;
        }
        ofpmsg_update_length(inner);
        struct ofputil_bundle_add_msg bam = {
            .bundle_id = fs->bundle_id,
            .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
            .msg = inner->data,
        };
        struct ofpbuf *msg = ofputil_encode_bundle_add(OFP13_VERSION, &bam);
        ofpbuf_delete(inner);
        record_sent(fs, msg_xid(msg), op, r);
        ofsession_send(s, msg);
    }
    size_t queued = ofsession_tx_bytes(s);
    if (queued > fs->stats.max_tx_queued) {
        fs->stats.max_tx_queued = queued;
    }
}

/* Logs the first changes of 'd', which repair changes made behind
 * flowchain's back. */
static void
log_repair(const struct flowsync *fs, const struct flowset_diff *d)
{
    struct ds lines = DS_EMPTY_INITIALIZER;
    flowsync_format_diff(d, &lines);
    size_t total = d->n_add_flows + d->n_mod_flows + d->n_del_flows
                   + d->n_add_groups + d->n_mod_groups + d->n_del_groups;
    /* Keep the first DRIFT_LOG_LINES lines. */
    const char *p = ds_cstr(&lines);
    for (int i = 0; i < DRIFT_LOG_LINES && *p; i++) {
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    size_t shown = p - ds_cstr(&lines);
    bool more = shown < lines.length;
    ds_truncate(&lines, shown);
    VLOG_WARN("%s: repairing %"PRIuSIZE" changes made behind flowchain's "
              "back (flows: %"PRIuSIZE" to add, %"PRIuSIZE" to restore, "
              "%"PRIuSIZE" to delete; groups: %"PRIuSIZE" to add, "
              "%"PRIuSIZE" to restore, %"PRIuSIZE" to delete):\n%s%s",
              fs->name, total, d->n_add_flows, d->n_mod_flows,
              d->n_del_flows, d->n_add_groups, d->n_mod_groups,
              d->n_del_groups, ds_cstr(&lines), more ? "...\n" : "");
    ds_destroy(&lines);
}

/* Starts streaming the difference 'fs->diff' as one bundle. */
static void
start_sync(struct flowsync *fs, struct ofsession *s, long long int now)
{
    const struct flowset_diff *d = &fs->diff;
    if (VLOG_IS_DBG_ENABLED()) {
        struct ds lines = DS_EMPTY_INITIALIZER;
        flowsync_format_diff(d, &lines);
        VLOG_DBG("%s: changes:\n%s", fs->name, ds_cstr(&lines));
        ds_destroy(&lines);
    }
    if (fs->log_changes) {
        log_repair(fs, d);
        fs->log_changes = false;
    }
    fs->n_flow_mods = d->n_add_flows + d->n_mod_flows + d->n_del_flows;
    fs->n_group_mods = d->n_add_groups + d->n_mod_groups + d->n_del_groups;
    /* Open, every change, commit or discard: the array never moves. */
    fs->allocated_sent = fs->n_flow_mods + fs->n_group_mods + 2;
    fs->sent_msgs = xmalloc(fs->allocated_sent * sizeof *fs->sent_msgs);
    fs->n_sent = 0;
    hmap_reserve(&fs->sent, fs->allocated_sent);
    fs->phase = 0;
    fs->pos = NULL;
    fs->all_sent = false;
    fs->bundle_id = fs->next_bundle_id++;
    fs->sync_started = now;
    fs->state = FS_SYNCING;

    send_bundle_ctrl(fs, s, OFPBCT_OPEN_REQUEST, OP_OPEN);
    pump(fs, s);
    VLOG_DBG("%s: bundle %"PRIu32" started: %"PRIuSIZE" flow mods, %"PRIuSIZE
             " group mods", fs->name, fs->bundle_id, fs->n_flow_mods,
             fs->n_group_mods);
}

/* Applies the committed diff of the bundle in flight to 'fs->installed'.
 * The flows added or modified are not copied: 'installed' takes a
 * reference to the very flows of the desired set (or of 'held'). */
static void
apply_diff(struct flowsync *fs)
{
    const struct flowset_diff *d = &fs->diff;
    const struct flowset_ref *r;

    LIST_FOR_EACH (r, node, &d->del_flows) {
        flowset_remove_flow(&fs->installed, r->old);
    }
    LIST_FOR_EACH (r, node, &d->del_groups) {
        flowset_remove_group(&fs->installed,
                             CONST_CAST(struct flowset_group *, r->old));
    }
    for (int i = 0; i < 2; i++) {
        /* A modified flow replaces (and releases) 'r->old', which no later
         * ref points to: each installed flow is in at most one ref. */
        LIST_FOR_EACH (r, node, i ? &d->mod_flows : &d->add_flows) {
            flowset_add_shared(&fs->installed, r->new);
        }
        LIST_FOR_EACH (r, node, i ? &d->mod_groups : &d->add_groups) {
            const struct flowset_group *g = r->new;
            struct flowset_group *copy = flowset_add_group(&fs->installed,
                                                           g->group_id,
                                                           g->type);
            const struct ofputil_bucket *b;
            LIST_FOR_EACH (b, list_node, &g->buckets) {
                flowset_group_add_bucket(copy, b->watch_port, b->ofpacts,
                                         b->ofpacts_len);
            }
        }
    }
    fs->installed_gen++;
}

/* "in N s" for a back-off of 'ms' milliseconds, in a static buffer. */
static const char *
retry_ms_text(int ms)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "in %d s", ms / 1000);
    return buf;
}

/* The barrier after the bundle came back. */
static void
finish_sync(struct flowsync *fs, struct ofsession *s, long long int now)
{
    if (fs->too_big) {
        fs->stats.bundles_failed++;
        VLOG_ERR("%s: bundle %"PRIu32" discarded: %s; the switch is left as "
                 "it is until the intent or the ports change", fs->name,
                 fs->bundle_id, fs->too_big);
        fs->blocked = fs->too_big;
        fs->too_big = NULL;
        clear_in_flight(fs);
        fs->state = FS_IDLE;
        fs->retry_at = LLONG_MAX;
        return;
    }
    if (fs->n_errors) {
        /* A desired set that came during the bundle (a port event, a
         * reload) is news: it is tried as soon as the switch is read back,
         * not after the back-off meant for the same failing content. */
        bool changed = fs->holding;
        fs->stats.bundles_failed++;
        fs->retry_ms = (fs->retry_ms
                        ? MIN(fs->retry_ms * 2, RETRY_MAX_MS)
                        : RETRY_FIRST_MS);
        VLOG_WARN("%s: bundle %"PRIu32": the switch rejected %"PRIuSIZE" of "
                  "its %"PRIuSIZE" messages (first: %s); it may have applied "
                  "the others, so its flows and groups are read back; next "
                  "try %s", fs->name, fs->bundle_id, fs->n_errors,
                  fs->n_sent, fs->first_error,
                  changed ? "at once (the desired flows changed meanwhile)"
                  : retry_ms_text(fs->retry_ms));
        reread(fs, s, now, false);
        fs->retry_at = changed ? 0 : now + fs->retry_ms;
        return;
    }
    apply_diff(fs);
    fs->retry_ms = 0;
    fs->stats.bundles_ok++;
    fs->stats.flow_mods_sent += fs->n_flow_mods;
    fs->stats.group_mods_sent += fs->n_group_mods;
    fs->stats.last_sync_ms = wall_ms();
    fs->stats.last_sync_latency_ms = now - fs->sync_started;
    fs->stats.last_sync_size = fs->n_flow_mods + fs->n_group_mods;
    VLOG_INFO("%s: synced: %"PRIuSIZE" flow mods, %"PRIuSIZE" group mods "
              "in one bundle, %lld ms, at most %"PRIu64" bytes queued",
              fs->name, fs->n_flow_mods, fs->n_group_mods,
              now - fs->sync_started, fs->stats.max_tx_queued);
    /* Installed now equals the desired set the bundle was built from: no
     * need to diff again (a full diff of a large bridge costs) unless a
     * newer desired set came meanwhile. */
    fs->dirty = fs->holding;
    clear_in_flight(fs);
    fs->state = FS_IDLE;
}

/* An ERROR for a message of the bundle in flight: counted, logged at a
 * limited rate; the sync reads the switch back when the barrier comes. */
static void
handle_bundle_error(struct flowsync *fs, const struct ofp_header *oh)
{
    const struct sent_msg *m = find_sent(fs, oh->xid);
    if (!m) {
        return;
    }
    enum ofperr error = ofperr_decode_msg(oh, NULL);
    const char *name = error ? ofperr_get_name(error) : "undecodable error";
    fs->n_errors++;
    fs->stats.errors++;
    if (!fs->first_error || !VLOG_DROP_WARN(&error_rl)) {
        struct ds what = DS_EMPTY_INITIALIZER;
        format_sent(m, &what);
        log_trim(&what);
        if (!fs->first_error) {
            fs->first_error = xasprintf("%s for %s", name, ds_cstr(&what));
        }
        VLOG_WARN("%s: switch rejected %s: %s", fs->name, ds_cstr(&what),
                  name);
        ds_destroy(&what);
    }
}

/* Logs the drift event 'fu' and applies it to the installed view, or, if
 * a dump or a bundle is in flight, asks for one more read-back. */
static void
handle_drift_flow(struct flowsync *fs, const struct ofputil_flow_update *fu,
                  long long int now)
{
    const char *what = (fu->event == OFPFME_ADDED ? "added"
                        : fu->event == OFPFME_REMOVED ? "deleted"
                        : "modified");
    fs->stats.drift_flows++;
    if (!VLOG_DROP_WARN(&drift_rl)) {
        struct ds s = DS_EMPTY_INITIALIZER;
        ofputil_flow_update_format(&s, fu, NULL, NULL);
        log_trim(&s);
        VLOG_WARN("%s: a flow was %s behind flowchain's back:%s", fs->name,
                  what, ds_cstr(&s));
        ds_destroy(&s);
    }
    if (fs->state != FS_IDLE) {
        fs->reread_wanted = true;
        fs->reread_at = now + DRIFT_SETTLE_MS;
        return;
    }
    if (fu->event == OFPFME_REMOVED) {
        struct minimatch mm;
        minimatch_init(&mm, &fu->match);
        const struct flowset_flow *f = flowset_find_flow(&fs->installed,
                                                         fu->table_id,
                                                         fu->priority, &mm);
        minimatch_destroy(&mm);
        if (f) {
            flowset_remove_flow(&fs->installed, f);
        }
    } else {
        flowset_add_flow(&fs->installed, fu->table_id, fu->priority,
                         &fu->match, fu->cookie, fu->ofpacts,
                         fu->ofpacts_len);
    }
    fs->installed_gen++;
    fs->dirty = true;
    fs->log_changes = true;
    /* Check the groups before repairing: deleting a group also deletes the
     * flows that use it, and re-adding those alone would fail. */
    fs->next_check = now;
}

static void
handle_monitor_reply(struct flowsync *fs, const struct ofp_header *oh,
                     long long int now)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofpbuf ofpacts;
    ofpbuf_init(&ofpacts, 64);
    for (;;) {
        struct ofputil_flow_update fu;
        int retval = ofputil_decode_flow_update(&fu, &b, &ofpacts);
        if (retval) {
            if (retval != EOF) {
                VLOG_WARN("%s: bad flow monitor reply: %s", fs->name,
                          ofperr_to_string(retval));
            }
            break;
        }
        if (fu.event == OFPFME_ADDED || fu.event == OFPFME_REMOVED
            || fu.event == OFPFME_MODIFIED) {
            handle_drift_flow(fs, &fu, now);
        }
        /* OFPFME_ABBREV: our own bundle.  OFPFME_INITIAL: not asked. */
    }
    ofpbuf_uninit(&ofpacts);
}

/* The aggregate flow count of a drift check came back. */
static void
handle_check_count(struct flowsync *fs, struct ofsession *s,
                   const struct ofp_header *oh, long long int now)
{
    struct ofputil_aggregate_stats as;
    fs->check_agg_pending = false;
    if (ofputil_decode_aggregate_stats_reply(&as, oh)
        || fs->state != FS_IDLE || fs->check_gen != fs->installed_gen) {
        return;
    }
    size_t n = flowset_n_flows(&fs->installed);
    if (as.flow_count != n) {
        VLOG_WARN("%s: the switch holds %"PRIu32" flows, flowchain "
                  "installed %"PRIuSIZE": flows changed behind its back; "
                  "reading the switch back", fs->name, as.flow_count, n);
        fs->stats.drift_flows += (as.flow_count > n ? as.flow_count - n
                                  : n - as.flow_count);
        reread(fs, s, now, true);
    }
}

/* Compares the groups of a finished drift check with the installed ones;
 * differences are logged and become the installed view, to be repaired. */
static void
finish_check_groups(struct flowsync *fs)
{
    fs->check_groups_pending = false;
    if (fs->state != FS_IDLE || fs->check_gen != fs->installed_gen) {
        flowset_clear(&fs->check_groups);
        return;
    }
    size_t n = 0;
    const struct flowset_group *g;
    HMAP_FOR_EACH (g, node, &fs->installed.groups) {
        const struct flowset_group *now_ = flowset_find_group(
            &fs->check_groups, g->group_id);
        if (!now_ || !flowset_group_equal(g, now_)) {
            n++;
            if (!VLOG_DROP_WARN(&drift_rl)) {
                struct ds s = DS_EMPTY_INITIALIZER;
                flowset_group_format(now_ ? now_ : g, &s);
                log_trim(&s);
                VLOG_WARN("%s: a group was %s behind flowchain's back: %s",
                          fs->name, now_ ? "modified" : "deleted",
                          ds_cstr(&s));
                ds_destroy(&s);
            }
        }
    }
    HMAP_FOR_EACH (g, node, &fs->check_groups.groups) {
        if (!flowset_find_group(&fs->installed, g->group_id)) {
            n++;
            if (!VLOG_DROP_WARN(&drift_rl)) {
                struct ds s = DS_EMPTY_INITIALIZER;
                flowset_group_format(g, &s);
                log_trim(&s);
                VLOG_WARN("%s: a group was added behind flowchain's back: "
                          "%s", fs->name, ds_cstr(&s));
                ds_destroy(&s);
            }
        }
    }
    if (n) {
        hmap_swap(&fs->installed.groups, &fs->check_groups.groups);
        fs->installed_gen++;
        fs->dirty = true;
        fs->log_changes = true;
        fs->stats.drift_groups += n;
    }
    flowset_clear(&fs->check_groups);
}

/* Sends the cheap drift check: the aggregate flow count and the group
 * descriptions. */
static void
send_check(struct flowsync *fs, struct ofsession *s, long long int now)
{
    fs->next_check = now + FLOWSYNC_CHECK_MS;
    fs->check_gen = fs->installed_gen;

    struct ofpbuf *msg = ofputil_encode_group_desc_request(OFP13_VERSION,
                                                           OFPG_ALL);
    fs->check_groups_xid = msg_xid(msg);
    ofsession_send(s, msg);
    flowset_clear(&fs->check_groups);
    fs->check_groups_pending = true;

    /* The switch walks its whole flow table for an aggregate count: on a
     * large bridge, count less often (1 s per 100,000 flows). */
    if (now < fs->next_count_check) {
        return;
    }
    size_t n = flowset_n_flows(&fs->installed);
    fs->next_count_check = now + MAX(FLOWSYNC_CHECK_MS,
                                     n / FLOWSYNC_COUNT_FLOWS_PER_MS);
    struct ofputil_flow_stats_request fsr = {
        .aggregate = true,
        .cookie = htonll(0),
        .cookie_mask = htonll(0),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    match_init_catchall(&fsr.match);
    msg = ofputil_encode_flow_stats_request(&fsr, OFPUTIL_P_OF13_OXM);
    fs->check_agg_xid = msg_xid(msg);
    ofsession_send(s, msg);
    fs->check_agg_pending = true;
}

bool
flowsync_handle(struct flowsync *fs, struct ofsession *s,
                enum ofptype type, const struct ofp_header *oh,
                long long int now)
{
    switch (type) {
    case OFPTYPE_FLOW_STATS_REPLY:
        if (fs->state == FS_DUMPING && oh->xid == fs->dump_flows_xid) {
            handle_flow_dump(fs, s, oh);
        }
        break;
    case OFPTYPE_GROUP_DESC_STATS_REPLY:
        if (fs->state == FS_DUMPING && oh->xid == fs->dump_groups_xid) {
            handle_group_dump(fs, s, oh);
        } else if (fs->check_groups_pending
                   && oh->xid == fs->check_groups_xid) {
            if (decode_groups(fs, s, oh, &fs->check_groups)
                && !ofpmp_more(oh)) {
                finish_check_groups(fs);
            }
        }
        break;
    case OFPTYPE_AGGREGATE_STATS_REPLY:
        if (fs->check_agg_pending && oh->xid == fs->check_agg_xid) {
            handle_check_count(fs, s, oh, now);
        }
        break;
    case OFPTYPE_FLOW_MONITOR_STATS_REPLY:
        handle_monitor_reply(fs, oh, now);
        break;
    case OFPTYPE_FLOW_MONITOR_PAUSED:
    case OFPTYPE_FLOW_MONITOR_RESUMED:
        /* Changes during the pause may be reported in part only. */
        fs->reread_wanted = true;
        fs->reread_at = now + DRIFT_SETTLE_MS;
        break;
    case OFPTYPE_ERROR:
        if (fs->state == FS_SYNCING) {
            handle_bundle_error(fs, oh);
        } else if (fs->state == FS_DUMPING
                   && (oh->xid == fs->dump_flows_xid
                       || oh->xid == fs->dump_groups_xid)) {
            /* No groups support, say: treat as an empty dump. */
            fs->dump_flows_done |= oh->xid == fs->dump_flows_xid;
            fs->dump_groups_done |= oh->xid == fs->dump_groups_xid;
        }
        if (oh->xid == fs->monitor_xid && fs->have_monitor) {
            fs->have_monitor = false;
            VLOG_INFO("%s: the switch refused a flow monitor; flows changed "
                      "behind flowchain's back without changing their "
                      "number are found by reading the switch back every "
                      "%d s", fs->name, FLOWSYNC_FULL_CHECK_MS / 1000);
        } else if (oh->xid == fs->check_agg_xid) {
            fs->check_agg_pending = false;
        } else if (oh->xid == fs->check_groups_xid) {
            fs->check_groups_pending = false;
            flowset_clear(&fs->check_groups);
        }
        break;
    case OFPTYPE_BARRIER_REPLY:
        if (fs->state == FS_SYNCING && fs->all_sent
            && oh->xid == fs->barrier_xid) {
            finish_sync(fs, s, now);
        }
        break;
    case OFPTYPE_BUNDLE_CONTROL:
        break;
    default:
        return false;
    }
    if (fs->state == FS_DUMPING && fs->dump_flows_done
        && fs->dump_groups_done) {
        dump_finished(fs, now);
    }
    return true;
}

/* Starts a sync if desired and installed may differ, no sync is in flight
 * and no retry is pending.  The diff is computed only after a change, not
 * on every call. */
static void
maybe_start_sync(struct flowsync *fs, struct ofsession *s,
                 long long int now)
{
    if (now < fs->retry_at || !fs->dirty) {
        return;
    }
    if (fs->diff_prepared) {
        if (fs->prepared_gen == fs->installed_gen) {
            fs->diff_prepared = false;
            start_sync(fs, s, now);
            return;
        }
        drop_prepared_diff(fs);
    }
    /* Also makes 'installed' share the flows it agrees on with 'desired'
     * (after a reload or a read-back, each side holds its own copy of
     * them): no bridge's flows are held twice for long. */
    flowset_diff_share(&fs->installed, &fs->desired, &fs->diff);
    if (flowset_diff_is_empty(&fs->diff)) {
        flowset_diff_destroy(&fs->diff);
        fs->dirty = false;
        fs->log_changes = false;
    } else {
        fs->has_diff = true;
        start_sync(fs, s, now);
    }
}

void
flowsync_run(struct flowsync *fs, struct ofsession *s, long long int now)
{
    if (ofsession_is_dead(s)) {
        return;
    }
    switch (fs->state) {
    case FS_DISCONNECTED:
        break;
    case FS_DUMPING:
        if (!fs->dump_started) {
            fs->dump_started = now;
        } else if (now - fs->dump_started > FLOWSYNC_DUMP_DEADLINE_MS) {
            ofsession_kill(s, "flow and group dump not finished after "
                           "%d s", FLOWSYNC_DUMP_DEADLINE_MS / 1000);
        }
        break;
    case FS_SYNCING:
        pump(fs, s);
        break;
    case FS_IDLE:
        if ((fs->reread_wanted && now >= fs->reread_at)
            || (!fs->have_monitor && now >= fs->next_full_check)) {
            reread(fs, s, now, true);
            break;
        }
        if (!fs->check_agg_pending && !fs->check_groups_pending
            && now >= fs->next_check) {
            send_check(fs, s, now);
        }
        /* A repair waits for the check in flight (one round trip), so
         * that it also repairs what the check finds, in the same bundle. */
        if (!fs->log_changes
            || (!fs->check_agg_pending && !fs->check_groups_pending)) {
            maybe_start_sync(fs, s, now);
        }
        break;
    }
}

bool
flowsync_streaming(const struct flowsync *fs)
{
    return fs->state == FS_SYNCING && !fs->all_sent;
}

bool
flowsync_in_sync(const struct flowsync *fs)
{
    if (fs->state != FS_IDLE) {
        return false;
    } else if (!fs->dirty) {
        return true;
    }
    struct flowset_diff d;
    flowset_diff(&fs->installed, &fs->desired, &d);
    bool empty = flowset_diff_is_empty(&d);
    flowset_diff_destroy(&d);
    return empty;
}

const char *
flowsync_state(const struct flowsync *fs)
{
    switch (fs->state) {
    case FS_DISCONNECTED: return "disconnected";
    case FS_DUMPING: return "reading switch state";
    case FS_IDLE:
        return (flowsync_in_sync(fs) ? "in sync"
                : fs->blocked ? "blocked (a message is too large, see log)"
                : "out of sync");
    case FS_SYNCING: return "syncing";
    }
    return "?";
}

const struct flowsync_stats *
flowsync_stats(const struct flowsync *fs)
{
    return &fs->stats;
}

static void
format_refs(const struct ovs_list *refs, char sign, bool groups,
            bool use_new, struct ds *s)
{
    const struct flowset_ref *r;
    LIST_FOR_EACH (r, node, refs) {
        ds_put_format(s, "%c ", sign);
        const void *obj = use_new ? r->new : r->old;
        if (groups) {
            flowset_group_format(obj, s);
        } else {
            flowset_flow_format(obj, s);
        }
        ds_put_char(s, '\n');
    }
}

void
flowsync_format_diff(const struct flowset_diff *d, struct ds *s)
{
    format_refs(&d->add_groups, '+', true, true, s);
    format_refs(&d->mod_groups, '~', true, true, s);
    format_refs(&d->del_groups, '-', true, false, s);
    format_refs(&d->add_flows, '+', false, true, s);
    format_refs(&d->mod_flows, '~', false, true, s);
    format_refs(&d->del_flows, '-', false, false, s);
}
