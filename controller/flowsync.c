#include <config.h>
#include "controller/flowsync.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/time.h>
#include "controller/ofsession.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "byte-order.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(flowsync);

/* How long to wait before retrying a bundle the switch rejected. */
#define RETRY_MS 5000

enum fs_state {
    FS_DISCONNECTED,
    FS_DUMPING,                 /* Reading the switch's flows and groups. */
    FS_IDLE,
    FS_SYNCING,                 /* A bundle is in flight. */
};

/* One message of the bundle in flight, for error reports. */
struct sent_msg {
    ovs_be32 xid;
    char sign;                  /* '+', '-', '~'. */
    bool is_group;
    const void *obj;            /* flowset_flow or flowset_group. */
};

struct flowsync {
    char *name;
    enum fs_state state;
    struct flowset desired;
    struct flowset installed;

    /* Dump in progress. */
    ovs_be32 dump_flows_xid, dump_groups_xid;
    bool dump_flows_done, dump_groups_done;

    /* Bundle in flight: what it adds or modifies ('pending', copies), what
     * it deletes (pointers into 'installed', unchanged meanwhile). */
    struct flowset pending;
    struct flowset_flow **del_flows;
    size_t n_del_flows;
    struct flowset_group **del_groups;
    size_t n_del_groups;
    struct sent_msg *sent;
    size_t n_sent, allocated_sent;
    ovs_be32 commit_xid, barrier_xid;
    bool bundle_failed;
    uint32_t next_bundle_id;
    long long int sync_started, retry_at;
    bool dirty;                 /* Desired or installed changed since the
                                 * last diff found them equal. */
    size_t n_flow_mods, n_group_mods;

    struct flowsync_stats stats;
};

static long long int
wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long int) tv.tv_sec * 1000 + tv.tv_usec / 1000;
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
    flowset_init(&fs->pending);
    fs->next_bundle_id = 1;
    return fs;
}

static void
clear_in_flight(struct flowsync *fs)
{
    flowset_clear(&fs->pending);
    free(fs->del_flows);
    free(fs->del_groups);
    fs->del_flows = NULL;
    fs->del_groups = NULL;
    fs->n_del_flows = fs->n_del_groups = 0;
    free(fs->sent);
    fs->sent = NULL;
    fs->n_sent = fs->allocated_sent = 0;
    fs->bundle_failed = false;
}

/* Frees 'fs'.  'fs' may be NULL. */
void
flowsync_destroy(struct flowsync *fs)
{
    if (fs) {
        clear_in_flight(fs);
        flowset_destroy(&fs->pending);
        flowset_destroy(&fs->desired);
        flowset_destroy(&fs->installed);
        free(fs->name);
        free(fs);
    }
}

void
flowsync_set_desired(struct flowsync *fs, struct flowset *desired)
{
    flowset_swap(&fs->desired, desired);
    flowset_clear(desired);
    fs->retry_at = 0;
    fs->dirty = true;
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

static ovs_be32
msg_xid(const struct ofpbuf *msg)
{
    return ((const struct ofp_header *) msg->data)->xid;
}

void
flowsync_connected(struct flowsync *fs, struct ofsession *s)
{
    clear_in_flight(fs);
    flowset_clear(&fs->installed);

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
    fs->state = FS_DUMPING;
}

static void
dump_finished(struct flowsync *fs)
{
    size_t foreign = 0;
    const struct flowset_flow *f;
    HMAP_FOR_EACH (f, node, &fs->installed.flows) {
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
}

static void
handle_flow_dump(struct flowsync *fs, const struct ofp_header *oh)
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
        flowset_add_flow(&fs->installed, stats.table_id, stats.priority,
                         &stats.match, stats.cookie, stats.ofpacts,
                         stats.ofpacts_len);
    }
    ofpbuf_uninit(&ofpacts);
    if (!ofpmp_more(oh)) {
        fs->dump_flows_done = true;
    }
}

static void
handle_group_dump(struct flowsync *fs, const struct ofp_header *oh)
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
        struct flowset_group *g = flowset_add_group(&fs->installed,
                                                    gd.group_id, gd.type);
        const struct ofputil_bucket *bucket;
        LIST_FOR_EACH (bucket, list_node, &gd.buckets) {
            flowset_group_add_bucket(g, bucket->watch_port, bucket->ofpacts,
                                     bucket->ofpacts_len);
        }
        ofputil_uninit_group_desc(&gd);
    }
    if (!ofpmp_more(oh)) {
        fs->dump_groups_done = true;
    }
}

static void
record_sent(struct flowsync *fs, ovs_be32 xid, char sign, bool is_group,
            const void *obj)
{
    if (fs->n_sent >= fs->allocated_sent) {
        fs->sent = x2nrealloc(fs->sent, &fs->allocated_sent, sizeof *fs->sent);
    }
    fs->sent[fs->n_sent++] = (struct sent_msg) {
        .xid = xid, .sign = sign, .is_group = is_group, .obj = obj,
    };
}

/* Wraps 'inner' in a bundle add message and queues it. */
static void
send_in_bundle(struct flowsync *fs, struct ofsession *s, struct ofpbuf *inner,
               char sign, bool is_group, const void *obj)
{
    ofpmsg_update_length(inner);
    struct ofputil_bundle_add_msg bam = {
        .bundle_id = fs->next_bundle_id,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
        .msg = inner->data,
    };
    struct ofpbuf *msg = ofputil_encode_bundle_add(OFP13_VERSION, &bam);
    record_sent(fs, msg_xid(msg), sign, is_group, obj);
    ofpbuf_delete(inner);
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
        .ofpacts = command == OFPFC_ADD ? f->ofpacts : NULL,
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

static void
copy_flow(struct flowset *dst, const struct flowset_flow *f)
{
    struct match match;
    minimatch_expand(&f->match, &match);
    flowset_add_flow(dst, f->table_id, f->priority, &match, f->cookie,
                     f->ofpacts, f->ofpacts_len);
}

static void
copy_group(struct flowset *dst, const struct flowset_group *g)
{
    struct flowset_group *copy = flowset_add_group(dst, g->group_id,
                                                   g->type);
    const struct ofputil_bucket *b;
    LIST_FOR_EACH (b, list_node, &g->buckets) {
        flowset_group_add_bucket(copy, b->watch_port, b->ofpacts,
                                 b->ofpacts_len);
    }
}

static void
send_bundle_ctrl(struct flowsync *fs, struct ofsession *s, uint16_t type,
                 ovs_be32 *xidp)
{
    struct ofputil_bundle_ctrl_msg bc = {
        .bundle_id = fs->next_bundle_id,
        .type = type,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
    };
    struct ofpbuf *msg = ofputil_encode_bundle_ctrl_request(OFP13_VERSION,
                                                            &bc);
    ovs_be32 xid = msg_xid(msg);
    if (xidp) {
        *xidp = xid;
    }
    record_sent(fs, xid, type == OFPBCT_OPEN_REQUEST ? 'o' : 'c', false,
                NULL);
    ofsession_send(s, msg);
}

/* Queues, for each group of 'refs' (new side), a copy in 'fs->pending' and
 * its group mod 'command' in the bundle, marked 'sign' for logs. */
static void
send_new_groups(struct flowsync *fs, struct ofsession *s,
                const struct ovs_list *refs, uint16_t command, char sign)
{
    const struct flowset_ref *r;
    LIST_FOR_EACH (r, node, refs) {
        copy_group(&fs->pending, r->new);
        send_in_bundle(fs, s, encode_group_mod(r->new, command), sign, true,
                       r->new);
    }
}

/* Queues, for each flow of 'refs' (new side), a copy in 'fs->pending' and
 * an OFPFC_ADD in the bundle (which also replaces a flow with the same
 * key), marked 'sign' for logs. */
static void
send_new_flows(struct flowsync *fs, struct ofsession *s,
               const struct ovs_list *refs, char sign)
{
    const struct flowset_ref *r;
    LIST_FOR_EACH (r, node, refs) {
        copy_flow(&fs->pending, r->new);
        send_in_bundle(fs, s, encode_flow_mod(r->new, OFPFC_ADD), sign,
                       false, r->new);
    }
}

/* Sends the difference between installed and desired as one bundle. */
static void
start_sync(struct flowsync *fs, struct ofsession *s,
           const struct flowset_diff *d, long long int now)
{
    const struct flowset_ref *r;

    clear_in_flight(fs);
    if (VLOG_IS_DBG_ENABLED()) {
        struct ds lines = DS_EMPTY_INITIALIZER;
        flowsync_format_diff(d, &lines);
        VLOG_DBG("%s: changes:\n%s", fs->name, ds_cstr(&lines));
        ds_destroy(&lines);
    }
    fs->del_flows = xmalloc(MAX(1, d->n_del_flows) * sizeof *fs->del_flows);
    fs->del_groups = xmalloc(MAX(1, d->n_del_groups)
                             * sizeof *fs->del_groups);

    send_bundle_ctrl(fs, s, OFPBCT_OPEN_REQUEST, NULL);
    /* Groups first, since new flows may refer to them. */
    send_new_groups(fs, s, &d->add_groups, OFPGC11_ADD, '+');
    send_new_groups(fs, s, &d->mod_groups, OFPGC11_MODIFY, '~');
    LIST_FOR_EACH (r, node, &d->del_flows) {
        fs->del_flows[fs->n_del_flows++] = CONST_CAST(struct flowset_flow *,
                                                      r->old);
        send_in_bundle(fs, s, encode_flow_mod(r->old, OFPFC_DELETE_STRICT),
                       '-', false, r->old);
    }
    send_new_flows(fs, s, &d->add_flows, '+');
    send_new_flows(fs, s, &d->mod_flows, '~');
    /* Groups last out, once no flow refers to them. */
    LIST_FOR_EACH (r, node, &d->del_groups) {
        fs->del_groups[fs->n_del_groups++]
            = CONST_CAST(struct flowset_group *, r->old);
        send_in_bundle(fs, s, encode_group_mod(r->old, OFPGC11_DELETE), '-',
                       true, r->old);
    }
    send_bundle_ctrl(fs, s, OFPBCT_COMMIT_REQUEST, &fs->commit_xid);

    struct ofpbuf *barrier = ofputil_encode_barrier_request(OFP13_VERSION);
    fs->barrier_xid = msg_xid(barrier);
    ofsession_send(s, barrier);

    fs->n_flow_mods = d->n_add_flows + d->n_mod_flows + d->n_del_flows;
    fs->n_group_mods = d->n_add_groups + d->n_mod_groups + d->n_del_groups;
    fs->sync_started = now;
    fs->next_bundle_id++;
    fs->state = FS_SYNCING;
    VLOG_DBG("%s: bundle sent: %"PRIuSIZE" flow mods, %"PRIuSIZE
             " group mods", fs->name, fs->n_flow_mods, fs->n_group_mods);
}

/* The barrier after the bundle came back: the bundle either applied whole
 * or not at all. */
static void
finish_sync(struct flowsync *fs, long long int now)
{
    if (fs->bundle_failed) {
        fs->stats.bundles_failed++;
        fs->retry_at = now + RETRY_MS;
        VLOG_WARN("%s: bundle rejected; the switch is unchanged; retrying "
                  "in %d s", fs->name, RETRY_MS / 1000);
        clear_in_flight(fs);
        fs->state = FS_IDLE;
        fs->dirty = true;
        return;
    }
    for (size_t i = 0; i < fs->n_del_flows; i++) {
        flowset_remove_flow(&fs->installed, fs->del_flows[i]);
    }
    for (size_t i = 0; i < fs->n_del_groups; i++) {
        flowset_remove_group(&fs->installed, fs->del_groups[i]);
    }
    const struct flowset_flow *f;
    HMAP_FOR_EACH (f, node, &fs->pending.flows) {
        copy_flow(&fs->installed, f);
    }
    const struct flowset_group *g;
    HMAP_FOR_EACH (g, node, &fs->pending.groups) {
        copy_group(&fs->installed, g);
    }
    fs->stats.bundles_ok++;
    fs->stats.flow_mods_sent += fs->n_flow_mods;
    fs->stats.group_mods_sent += fs->n_group_mods;
    fs->stats.last_sync_ms = wall_ms();
    fs->stats.last_sync_latency_ms = now - fs->sync_started;
    fs->stats.last_sync_size = fs->n_flow_mods + fs->n_group_mods;
    VLOG_INFO("%s: synced: %"PRIuSIZE" flow mods, %"PRIuSIZE" group mods "
              "in one bundle", fs->name, fs->n_flow_mods, fs->n_group_mods);
    clear_in_flight(fs);
    fs->state = FS_IDLE;
    fs->dirty = true;
}

static void
handle_error(struct flowsync *fs, const struct ofp_header *oh)
{
    for (size_t i = 0; i < fs->n_sent; i++) {
        const struct sent_msg *m = &fs->sent[i];
        if (m->xid != oh->xid) {
            continue;
        }
        struct ofpbuf payload;
        enum ofperr error = ofperr_decode_msg(oh, &payload);
        if (error) {
            ofpbuf_uninit(&payload);
        }
        struct ds s = DS_EMPTY_INITIALIZER;
        if (m->obj && m->is_group) {
            flowset_group_format(m->obj, &s);
        } else if (m->obj) {
            flowset_flow_format(m->obj, &s);
        } else {
            ds_put_cstr(&s, m->sign == 'o' ? "bundle open" : "bundle commit");
        }
        VLOG_WARN("%s: switch rejected %s%s: %s", fs->name,
                  m->obj ? (m->sign == '-' ? "deletion of " : "") : "",
                  ds_cstr(&s), error ? ofperr_get_name(error) : "?");
        ds_destroy(&s);
        fs->bundle_failed = true;
        return;
    }
}

bool
flowsync_handle(struct flowsync *fs, struct ofsession *s OVS_UNUSED,
                enum ofptype type, const struct ofp_header *oh,
                long long int now)
{
    switch (type) {
    case OFPTYPE_FLOW_STATS_REPLY:
        if (fs->state == FS_DUMPING && oh->xid == fs->dump_flows_xid) {
            handle_flow_dump(fs, oh);
        }
        break;
    case OFPTYPE_GROUP_DESC_STATS_REPLY:
        if (fs->state == FS_DUMPING && oh->xid == fs->dump_groups_xid) {
            handle_group_dump(fs, oh);
        }
        break;
    case OFPTYPE_ERROR:
        if (fs->state == FS_SYNCING) {
            handle_error(fs, oh);
        } else if (fs->state == FS_DUMPING
                   && (oh->xid == fs->dump_flows_xid
                       || oh->xid == fs->dump_groups_xid)) {
            /* No groups support, say: treat as an empty dump. */
            fs->dump_flows_done |= oh->xid == fs->dump_flows_xid;
            fs->dump_groups_done |= oh->xid == fs->dump_groups_xid;
        }
        break;
    case OFPTYPE_BARRIER_REPLY:
        if (fs->state == FS_SYNCING && oh->xid == fs->barrier_xid) {
            finish_sync(fs, now);
        }
        break;
    case OFPTYPE_BUNDLE_CONTROL:
        break;
    default:
        return false;
    }
    if (fs->state == FS_DUMPING && fs->dump_flows_done
        && fs->dump_groups_done) {
        dump_finished(fs);
    }
    return true;
}

/* Starts a sync if desired and installed may differ, no sync is in flight
 * and no retry is pending.  The diff is computed only after a change, not
 * on every call. */
void
flowsync_run(struct flowsync *fs, struct ofsession *s, long long int now)
{
    if (fs->state != FS_IDLE || now < fs->retry_at || !fs->dirty) {
        return;
    }
    struct flowset_diff d;
    flowset_diff(&fs->installed, &fs->desired, &d);
    if (flowset_diff_is_empty(&d)) {
        fs->dirty = false;
    } else {
        start_sync(fs, s, &d, now);
    }
    flowset_diff_destroy(&d);
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
    case FS_IDLE: return flowsync_in_sync(fs) ? "in sync" : "out of sync";
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
