/*
 * The policy monitor (see polmon.h): hit-log meter, hit log, policy
 * statistics.
 */
#include <config.h>
#include "controller/polmon.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "controller/ofsession.h"
#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "models/intent.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-meter.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "pipelines/pipeline.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(polmon);

/* Logs 'line' through the "hitlog" vlog module (hitlog.c), so operators
 * can route or silence the hit log on its own. */
void hitlog_emit(const char *line);

/* A remembered connection attempt, for the hit log's dedupe. */
struct hit_entry {
    struct hmap_node node;      /* In 'polmon->hits'. */
    struct ovs_list lru;        /* In 'polmon->hit_lru', oldest first. */
    uint64_t cookie;
    uint64_t dpid;
    ovs_be32 nw_src, nw_dst;
    ovs_be16 tp_src, tp_dst;
    uint8_t nw_proto;
    long long int at;
};

/* One switch a statistics request waits for. */
struct stats_wait {
    const struct ofsession *session;
    ovs_be32 xids[3];           /* One request per counted kind. */
    bool done[3];
};

/* A statistics request in flight. */
struct stats_req {
    struct ovs_list node;       /* In 'polmon->requests'. */
    struct polmon_table *table;
    char *filter;               /* Policy name, or NULL for all. */
    struct stats_wait *waits;
    size_t n_waits;
    long long int deadline;
    polmon_stats_cb *cb;
    void *aux;
};

/* A meter check in flight. */
struct meter_wait {
    struct ovs_list node;       /* In 'polmon->meter_waits'. */
    const struct ofsession *session;
    ovs_be32 xid;
};

struct polmon {
    unsigned int rate;
    struct hmap hits;           /* struct hit_entry. */
    struct ovs_list hit_lru;
    size_t n_hits;
    struct ovs_list requests;   /* struct stats_req. */
    struct ovs_list meter_waits;

    uint64_t n_logged, n_suppressed, n_foreign, n_meters_added;
};

/* The cookie kinds whose counters policy statistics sum. */
static const enum pipeline_cookie_kind counted_kinds[3] = {
    PIPELINE_COOKIE_POLICY_ALLOW, PIPELINE_COOKIE_POLICY_DENY,
    PIPELINE_COOKIE_POLICY_MONITOR,
};

#define COOKIE_KIND_SHIFT 48

static unsigned int
cookie_kind(uint64_t cookie)
{
    return (cookie >> COOKIE_KIND_SHIFT) & 0xff;
}

struct polmon *
polmon_create(void)
{
    struct polmon *pm = xzalloc(sizeof *pm);
    pm->rate = POLMON_DEFAULT_RATE;
    hmap_init(&pm->hits);
    ovs_list_init(&pm->hit_lru);
    ovs_list_init(&pm->requests);
    ovs_list_init(&pm->meter_waits);
    return pm;
}

static void stats_req_destroy(struct stats_req *);

/* Frees 'pm'.  Requests still in flight are dropped without calling their
 * callbacks.  Accepts NULL. */
void
polmon_destroy(struct polmon *pm)
{
    if (!pm) {
        return;
    }
    struct hit_entry *e;
    HMAP_FOR_EACH_POP (e, node, &pm->hits) {
        free(e);
    }
    hmap_destroy(&pm->hits);
    struct stats_req *req;
    LIST_FOR_EACH_POP (req, node, &pm->requests) {
        stats_req_destroy(req);
    }
    struct meter_wait *mw;
    LIST_FOR_EACH_POP (mw, node, &pm->meter_waits) {
        free(mw);
    }
    free(pm);
}

/* Sets the hit-log meter's rate to 'pps' packets per second. */
void
polmon_set_rate(struct polmon *pm, unsigned int pps)
{
    pm->rate = pps;
}

/* ---------------------------------------------------------------------- */
/* The hit-log meter. */

static ovs_be32
msg_xid(const struct ofpbuf *msg)
{
    return ((const struct ofp_header *) msg->data)->xid;
}

/* Asks the switch of 's' for its meters; the reply decides whether the
 * hit-log meter is added or corrected (polmon_handle()).  The request goes
 * out before the first sync bundle, and the switch answers in order, so
 * the meter exists before any flow that uses it arrives. */
void
polmon_switch_ready(struct polmon *pm, struct ofsession *s)
{
    struct ofpbuf *msg = ofputil_encode_meter_request(OFP13_VERSION,
                                                      OFPUTIL_METER_CONFIG,
                                                      OFPM13_ALL);
    struct meter_wait *mw = xmalloc(sizeof *mw);
    mw->session = s;
    mw->xid = msg_xid(msg);
    ovs_list_push_back(&pm->meter_waits, &mw->node);
    ofsession_send(s, msg);
}

/* Sends to 's' the meter mod 'command' that makes the hit-log meter what
 * 'pm' wants. */
static void
send_meter_mod(struct polmon *pm, struct ofsession *s, uint16_t command)
{
    struct ofputil_meter_band band = {
        .type = OFPMBT13_DROP,
        .rate = pm->rate,
        .burst_size = pm->rate,
    };
    struct ofputil_meter_mod mm = {
        .command = command,
        .meter = {
            .meter_id = PIPELINE_METER_HIT_LOG,
            .flags = OFPMF13_PKTPS | OFPMF13_BURST | OFPMF13_STATS,
            .n_bands = 1,
            .bands = &band,
        },
    };
    ofsession_send(s, ofputil_encode_meter_mod(OFP13_VERSION, &mm));
}

/* Handles the meter configuration reply 'oh' for 'mw'. */
static void
handle_meter_reply(struct polmon *pm, struct ofsession *s,
                   const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofpbuf bands;
    bool found = false, same = false;

    ofpbuf_init(&bands, 64);
    for (;;) {
        struct ofputil_meter_config mc;
        int retval = ofputil_decode_meter_config(&b, &mc, &bands);
        if (retval) {
            if (retval != EOF) {
                VLOG_WARN("%s: undecodable meter configuration reply",
                          ofsession_peer(s));
            }
            break;
        }
        if (mc.meter_id == PIPELINE_METER_HIT_LOG) {
            found = true;
            same = (mc.n_bands == 1 && mc.bands[0].type == OFPMBT13_DROP
                    && mc.bands[0].rate == pm->rate
                    && (mc.flags & OFPMF13_PKTPS));
        }
    }
    ofpbuf_uninit(&bands);

    if (!found) {
        send_meter_mod(pm, s, OFPMC13_ADD);
        pm->n_meters_added++;
        VLOG_INFO("%s: added hit-log meter %u (%u packets/s)",
                  ofsession_peer(s), PIPELINE_METER_HIT_LOG, pm->rate);
    } else if (!same) {
        send_meter_mod(pm, s, OFPMC13_MODIFY);
        VLOG_INFO("%s: set hit-log meter %u to %u packets/s",
                  ofsession_peer(s), PIPELINE_METER_HIT_LOG, pm->rate);
    }
}

/* ---------------------------------------------------------------------- */
/* The hit log. */

/* Appends to 's' the rule that policy cookie 'cookie' names in 'p'. */
void
polmon_format_rule(const struct intent_policy *p, uint64_t cookie,
                   struct ds *s)
{
    unsigned int bits = cookie & 0xff;
    size_t index = bits & PIPELINE_COOKIE_RULE_MASK;

    if (p->type == INTENT_POLICY_APPLICATION) {
        const struct intent_rule_set *set
            = bits & PIPELINE_COOKIE_RULE_INBOUND ? &p->inbound : &p->outbound;
        if (index && index <= set->n_rules) {
            const struct intent_rule *r = &set->rules[index - 1];
            if (r->name) {
                ds_put_cstr(s, r->name);
            } else {
                ds_put_format(s, "#%"PRIuSIZE, index);
            }
        } else {
            ds_put_cstr(s, "default");
        }
    } else if (p->type == INTENT_POLICY_ISOLATION) {
        ds_put_cstr(s, "isolation");
    } else if (cookie_kind(cookie) == PIPELINE_COOKIE_POLICY_ALLOW) {
        ds_put_cstr(s, "forensic");
    } else {
        ds_put_cstr(s, "quarantine");
    }
}

/* Returns the direction of policy cookie 'cookie' of 'p': "inbound",
 * "outbound", or "-" for policies without one. */
static const char *
cookie_direction(const struct intent_policy *p, uint64_t cookie)
{
    if (p->type != INTENT_POLICY_APPLICATION) {
        return "-";
    }
    return cookie & PIPELINE_COOKIE_RULE_INBOUND ? "inbound" : "outbound";
}

/* Parses the 'len' bytes at 'packet' into 'flow'. */
static void
extract_flow(const void *packet, size_t len, struct flow *flow)
{
    struct dp_packet dp;
    dp_packet_use_const(&dp, packet, len);
    flow_extract(&dp, flow);
    dp_packet_uninit(&dp);
}

/* Appends to 's' "PROTO SRC[:SPORT] -> DST[:DPORT]" for 'flow'. */
static void
format_five_tuple(const struct flow *flow, struct ds *s)
{
    bool ports = (flow->nw_proto == IPPROTO_TCP
                  || flow->nw_proto == IPPROTO_UDP);
    const char *proto = (flow->nw_proto == IPPROTO_TCP ? "tcp"
                         : flow->nw_proto == IPPROTO_UDP ? "udp"
                         : flow->nw_proto == IPPROTO_ICMP ? "icmp" : NULL);
    if (proto) {
        ds_put_cstr(s, proto);
    } else {
        ds_put_format(s, "ip-proto-%"PRIu8, flow->nw_proto);
    }
    ds_put_format(s, " "IP_FMT, IP_ARGS(flow->nw_src));
    if (ports) {
        ds_put_format(s, ":%"PRIu16, ntohs(flow->tp_src));
    }
    ds_put_format(s, " -> "IP_FMT, IP_ARGS(flow->nw_dst));
    if (ports) {
        ds_put_format(s, ":%"PRIu16, ntohs(flow->tp_dst));
    } else if (flow->nw_proto == IPPROTO_ICMP) {
        ds_put_format(s, " type %"PRIu16, ntohs(flow->tp_src));
    }
}

/* Appends to 's' the hit-log line for the packet at 'packet' ('len' bytes)
 * sent by a flow with 'cookie' of bridge 'br' of 'intent'.  Returns false,
 * appending nothing, if 'cookie' is not one of the policies' DENY or
 * MONITOR cookies. */
bool
polmon_format_hit(const struct intent *intent,
                  const struct intent_bridge *br, uint64_t cookie,
                  const void *packet, size_t len, struct ds *s)
{
    const struct intent_rule *rule;
    enum pipeline_cookie_kind kind;
    const struct intent_policy *p
        = intent ? pipeline_cookie_find_policy(intent, cookie, &rule, &kind)
                 : NULL;
    if (!p || (kind != PIPELINE_COOKIE_POLICY_DENY
               && kind != PIPELINE_COOKIE_POLICY_MONITOR)) {
        return false;
    }

    struct flow flow;
    extract_flow(packet, len, &flow);
    ds_put_format(s, "policy hit: host=%s bridge=%s policy=%s rule=",
                  br ? br->host->name : "?", br ? br->name : "?", p->name);
    polmon_format_rule(p, cookie, s);
    ds_put_format(s, " verdict=%s vlan=%"PRIu16" ",
                  kind == PIPELINE_COOKIE_POLICY_DENY ? "denied"
                  : "would-deny",
                  vlan_tci_to_vid(flow.vlans[0].tci));
    format_five_tuple(&flow, s);
    return true;
}

/* Returns true if the attempt 'key' was logged in the last
 * POLMON_DEDUPE_MS; remembers it either way. */
static bool
hit_seen(struct polmon *pm, const struct hit_entry *key, long long int now)
{
    uint32_t hash = hash_bytes(&key->cookie, sizeof key->cookie, 0);
    hash = hash_add64(hash, key->dpid);
    hash = hash_add(hash, (OVS_FORCE uint32_t) key->nw_src);
    hash = hash_add(hash, (OVS_FORCE uint32_t) key->nw_dst);
    hash = hash_add(hash, ((uint32_t) ntohs(key->tp_src) << 16)
                          | ntohs(key->tp_dst));
    hash = hash_add(hash, key->nw_proto);

    struct hit_entry *e;
    HMAP_FOR_EACH_WITH_HASH (e, node, hash, &pm->hits) {
        if (e->cookie == key->cookie && e->dpid == key->dpid
            && e->nw_src == key->nw_src && e->nw_dst == key->nw_dst
            && e->tp_src == key->tp_src && e->tp_dst == key->tp_dst
            && e->nw_proto == key->nw_proto) {
            bool recent = now - e->at < POLMON_DEDUPE_MS;
            e->at = now;
            ovs_list_remove(&e->lru);
            ovs_list_push_back(&pm->hit_lru, &e->lru);
            return recent;
        }
    }

    if (pm->n_hits >= POLMON_DEDUPE_MAX) {
        struct hit_entry *old = CONTAINER_OF(ovs_list_pop_front(&pm->hit_lru),
                                             struct hit_entry, lru);
        hmap_remove(&pm->hits, &old->node);
        free(old);
        pm->n_hits--;
    }
    e = xmemdup(key, sizeof *key);
    e->at = now;
    hmap_insert(&pm->hits, &e->node, hash);
    ovs_list_push_back(&pm->hit_lru, &e->lru);
    pm->n_hits++;
    return false;
}

/* Handles packet-in 'oh' from 's' (bridge 'br' of 'intent'). */
static void
handle_packet_in(struct polmon *pm, struct ofsession *s,
                 const struct intent *intent, const struct intent_bridge *br,
                 const struct ofp_header *oh, long long int now)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    struct ofputil_packet_in pin;
    size_t total_len;
    uint32_t buffer_id;
    enum ofperr error = ofputil_decode_packet_in(oh, true, NULL, NULL, &pin,
                                                 &total_len, &buffer_id,
                                                 NULL);
    if (error) {
        pm->n_foreign++;
        VLOG_WARN_RL(&rl, "%s: undecodable packet-in (%s)",
                     ofsession_peer(s), ofperr_get_name(error));
        return;
    }

    uint64_t cookie = ntohll(pin.cookie);
    struct ds line = DS_EMPTY_INITIALIZER;
    if (!polmon_format_hit(intent, br, cookie, pin.packet, pin.packet_len,
                           &line)) {
        pm->n_foreign++;
        VLOG_WARN_RL(&rl, "%s: dropped a packet-in that no policy sent "
                     "(cookie %#"PRIx64", table %"PRIu8"); flowchain "
                     "accepts only hit-log packet-ins", ofsession_peer(s),
                     cookie, pin.table_id);
    } else {
        struct flow flow;
        extract_flow(pin.packet, pin.packet_len, &flow);
        struct hit_entry key = {
            .cookie = cookie,
            .dpid = ofsession_dpid(s),
            .nw_src = flow.nw_src, .nw_dst = flow.nw_dst,
            .tp_src = flow.tp_src, .tp_dst = flow.tp_dst,
            .nw_proto = flow.nw_proto,
        };
        if (hit_seen(pm, &key, now)) {
            pm->n_suppressed++;
        } else {
            pm->n_logged++;
            hitlog_emit(ds_cstr(&line));
        }
    }
    ds_destroy(&line);
}

/* ---------------------------------------------------------------------- */
/* Statistics tables. */

struct table_row {
    struct hmap_node node;      /* In 'polmon_table->rows', by cookie. */
    uint64_t cookie;
    uint64_t packets, bytes;
};

struct polmon_table {
    struct hmap rows;
};

struct polmon_table *
polmon_table_create(void)
{
    struct polmon_table *t = xmalloc(sizeof *t);
    hmap_init(&t->rows);
    return t;
}

/* Frees 't'.  Accepts NULL. */
void
polmon_table_destroy(struct polmon_table *t)
{
    if (t) {
        struct table_row *r;
        HMAP_FOR_EACH_POP (r, node, &t->rows) {
            free(r);
        }
        hmap_destroy(&t->rows);
        free(t);
    }
}

/* Adds 'packets' and 'bytes' of a flow with 'cookie' to 't'. */
void
polmon_table_add(struct polmon_table *t, uint64_t cookie, uint64_t packets,
                 uint64_t bytes)
{
    uint32_t hash = hash_uint64(cookie);
    struct table_row *r;
    HMAP_FOR_EACH_WITH_HASH (r, node, hash, &t->rows) {
        if (r->cookie == cookie) {
            goto found;
        }
    }
    r = xzalloc(sizeof *r);
    r->cookie = cookie;
    hmap_insert(&t->rows, &r->node, hash);
found:
    r->packets += packets == UINT64_MAX ? 0 : packets;
    r->bytes += bytes == UINT64_MAX ? 0 : bytes;
}

/* A row of the formatted table, with its sort key. */
struct sorted_row {
    const struct table_row *row;
    const struct intent_policy *p;
    bool inbound;
    unsigned int rule;          /* Index + 1, or 0. */
    unsigned int kind;
};

static int
sorted_row_cmp(const void *a_, const void *b_)
{
    const struct sorted_row *a = a_, *b = b_;
    if (a->p->index != b->p->index) {
        return a->p->index < b->p->index ? -1 : 1;
    }
    if (a->inbound != b->inbound) {
        return a->inbound ? -1 : 1;
    }
    if (a->rule != b->rule) {
        /* Rules in order, the default last. */
        return (a->rule ? a->rule : UINT_MAX) < (b->rule ? b->rule : UINT_MAX)
               ? -1 : 1;
    }
    return a->kind < b->kind ? -1 : a->kind > b->kind;
}

/* Appends the table 't' for the policies of 'intent' (only 'filter' if
 * nonnull) to 's'. */
void
polmon_table_format(const struct polmon_table *t, const struct intent *intent,
                    const struct intent_policy *filter, struct ds *s)
{
    struct sorted_row *rows = xcalloc(hmap_count(&t->rows) + 1,
                                      sizeof *rows);
    size_t n = 0;
    const struct table_row *r;
    HMAP_FOR_EACH (r, node, &t->rows) {
        const struct intent_rule *rule;
        enum pipeline_cookie_kind kind;
        const struct intent_policy *p = pipeline_cookie_find_policy(
            intent, r->cookie, &rule, &kind);
        if (!p || (filter && p != filter)) {
            continue;
        }
        rows[n++] = (struct sorted_row) {
            .row = r, .p = p,
            .inbound = (p->type == INTENT_POLICY_APPLICATION
                        && r->cookie & PIPELINE_COOKIE_RULE_INBOUND),
            .rule = r->cookie & PIPELINE_COOKIE_RULE_MASK,
            .kind = kind,
        };
    }
    if (n) {
        qsort(rows, n, sizeof *rows, sorted_row_cmp);
    }

    ds_put_cstr(s, "POLICY DIRECTION RULE VERDICT PACKETS BYTES\n");
    for (size_t i = 0; i < n; i++) {
        const struct sorted_row *sr = &rows[i];
        ds_put_format(s, "%s %s ", sr->p->name,
                      cookie_direction(sr->p, sr->row->cookie));
        polmon_format_rule(sr->p, sr->row->cookie, s);
        ds_put_format(s, " %s %"PRIu64" %"PRIu64"\n",
                      sr->kind == PIPELINE_COOKIE_POLICY_ALLOW ? "allowed"
                      : sr->kind == PIPELINE_COOKIE_POLICY_DENY ? "denied"
                      : "would-deny",
                      sr->row->packets, sr->row->bytes);
    }
    free(rows);
}

/* ---------------------------------------------------------------------- */
/* Statistics requests. */

static void
stats_req_destroy(struct stats_req *req)
{
    polmon_table_destroy(req->table);
    free(req->filter);
    free(req->waits);
    free(req);
}

/* Requests the policy statistics of 'n' ready switches 'sessions'. */
void
polmon_request_stats(struct polmon *pm, struct ofsession **sessions,
                     size_t n, const struct intent *intent,
                     const struct intent_policy *filter,
                     polmon_stats_cb *cb, void *aux, long long int now)
{
    struct stats_req *req = xzalloc(sizeof *req);
    req->table = polmon_table_create();
    req->filter = filter ? xstrdup(filter->name) : NULL;
    req->waits = xcalloc(n + 1, sizeof *req->waits);
    req->deadline = now + POLMON_STATS_TIMEOUT_MS;
    req->cb = cb;
    req->aux = aux;
    ovs_list_push_back(&pm->requests, &req->node);

    for (size_t i = 0; i < n; i++) {
        struct stats_wait *w = &req->waits[req->n_waits++];
        w->session = sessions[i];
        for (size_t k = 0; k < ARRAY_SIZE(counted_kinds); k++) {
            struct ofputil_flow_stats_request fsr = {
                .cookie = htonll(PIPELINE_COOKIE_MARKER
                                 | ((uint64_t) counted_kinds[k]
                                    << COOKIE_KIND_SHIFT)),
                .cookie_mask = htonll(PIPELINE_COOKIE_KIND_MASK),
                .out_port = OFPP_ANY,
                .out_group = OFPG_ANY,
                .table_id = 0xff,
            };
            match_init_catchall(&fsr.match);
            struct ofpbuf *msg = ofputil_encode_flow_stats_request(
                &fsr, OFPUTIL_P_OF13_OXM);
            w->xids[k] = msg_xid(msg);
            ofsession_send(sessions[i], msg);
        }
    }
    polmon_run(pm, intent, now);
}

/* Returns true once every switch of 'req' answered. */
static bool
stats_req_complete(const struct stats_req *req)
{
    for (size_t i = 0; i < req->n_waits; i++) {
        for (size_t k = 0; k < ARRAY_SIZE(counted_kinds); k++) {
            if (!req->waits[i].done[k]) {
                return false;
            }
        }
    }
    return true;
}

/* Finishes 'req': formats its table (noting the switches that did not
 * answer) and hands it to its callback. */
static void
stats_req_finish(struct polmon *pm OVS_UNUSED, struct stats_req *req,
                 const struct intent *intent)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct intent_policy *filter
        = req->filter && intent ? intent_find_policy(intent, req->filter)
                                : NULL;
    if (!intent || (req->filter && !filter)) {
        ds_put_cstr(&s, "the intent changed while collecting statistics; "
                    "try again");
        req->cb(ds_cstr(&s), false, req->aux);
    } else {
        polmon_table_format(req->table, intent, filter, &s);
        for (size_t i = 0; i < req->n_waits; i++) {
            const struct stats_wait *w = &req->waits[i];
            if (!w->done[0] || !w->done[1] || !w->done[2]) {
                ds_put_format(&s, "# no answer from switch %016"PRIx64
                              " within %d ms: not counted\n",
                              w->session ? ofsession_dpid(w->session) : 0,
                              POLMON_STATS_TIMEOUT_MS);
            }
        }
        req->cb(ds_cstr(&s), true, req->aux);
    }
    ds_destroy(&s);
    ovs_list_remove(&req->node);
    stats_req_destroy(req);
}

/* Handles flow statistics reply 'oh' from 's'; returns true if a request
 * of 'pm' was waiting for it. */
static bool
handle_stats_reply(struct polmon *pm, const struct ofsession *s,
                   const struct intent *intent, const struct ofp_header *oh)
{
    struct stats_req *req;
    LIST_FOR_EACH (req, node, &pm->requests) {
        for (size_t i = 0; i < req->n_waits; i++) {
            struct stats_wait *w = &req->waits[i];
            if (w->session != s) {
                continue;
            }
            for (size_t k = 0; k < ARRAY_SIZE(counted_kinds); k++) {
                if (w->xids[k] != oh->xid || w->done[k]) {
                    continue;
                }
                struct ofpbuf b = ofpbuf_const_initializer(
                    oh, ntohs(oh->length));
                struct ofpbuf ofpacts;
                ofpbuf_init(&ofpacts, 64);
                for (;;) {
                    struct ofputil_flow_stats fs;
                    if (ofputil_decode_flow_stats_reply(&fs, &b, false,
                                                        &ofpacts)) {
                        break;
                    }
                    polmon_table_add(req->table, ntohll(fs.cookie),
                                     fs.packet_count, fs.byte_count);
                }
                ofpbuf_uninit(&ofpacts);
                if (!ofpmp_more(oh)) {
                    w->done[k] = true;
                    if (stats_req_complete(req)) {
                        stats_req_finish(pm, req, intent);
                    }
                }
                return true;
            }
        }
    }
    return false;
}

/* The switch of 's' goes away: requests stop waiting for it. */
void
polmon_switch_gone(struct polmon *pm, struct ofsession *s,
                   const struct intent *intent, long long int now)
{
    struct meter_wait *mw;
    LIST_FOR_EACH_SAFE (mw, node, &pm->meter_waits) {
        if (mw->session == s) {
            ovs_list_remove(&mw->node);
            free(mw);
        }
    }
    struct stats_req *req;
    LIST_FOR_EACH (req, node, &pm->requests) {
        for (size_t i = 0; i < req->n_waits; i++) {
            if (req->waits[i].session == s) {
                /* Counted as not answering; forget the pointer. */
                req->waits[i].session = NULL;
                req->deadline = MIN(req->deadline, now);
            }
        }
    }
    polmon_run(pm, intent, now);
}

/* Finishes the requests that are complete or whose time is up. */
void
polmon_run(struct polmon *pm, const struct intent *intent,
           long long int now)
{
    struct stats_req *req;
    LIST_FOR_EACH_SAFE (req, node, &pm->requests) {
        if (stats_req_complete(req) || now >= req->deadline) {
            stats_req_finish(pm, req, intent);
        }
    }
}

/* Offers message 'oh' of 'type' from 's' to 'pm'. */
bool
polmon_handle(struct polmon *pm, struct ofsession *s,
              const struct intent *intent, const struct intent_bridge *br,
              enum ofptype type, const struct ofp_header *oh,
              long long int now)
{
    switch (type) {
    case OFPTYPE_PACKET_IN:
        handle_packet_in(pm, s, intent, br, oh, now);
        return true;
    case OFPTYPE_FLOW_STATS_REPLY:
        return handle_stats_reply(pm, s, intent, oh);
    case OFPTYPE_METER_CONFIG_STATS_REPLY: {
        struct meter_wait *mw;
        LIST_FOR_EACH (mw, node, &pm->meter_waits) {
            if (mw->session == s && mw->xid == oh->xid) {
                ovs_list_remove(&mw->node);
                free(mw);
                handle_meter_reply(pm, s, oh);
                return true;
            }
        }
        return false;
    }
    default:
        return false;
    }
}

/* Appends 'pm''s counters to 's'. */
void
polmon_format_status(const struct polmon *pm, struct ds *s)
{
    ds_put_format(s, "policy hit log: %"PRIu64" lines, %"PRIu64" repeats "
                  "suppressed, %"PRIu64" other packet-ins dropped; meter %u "
                  "at %u packets/s per bridge (added on %"PRIu64
                  " switches)\n", pm->n_logged, pm->n_suppressed,
                  pm->n_foreign, PIPELINE_METER_HIT_LOG, pm->rate,
                  pm->n_meters_added);
}
