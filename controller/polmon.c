/*
 * The policy monitor (see polmon.h): hit-log meter, hit log, policy
 * statistics requests.
 */
#include <config.h>
#include "controller/polmon.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "controller/hitlog.h"
#include "controller/ofsession.h"
#include "controller/polstats.h"
#include "models/intent.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-meter.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "pipelines/pipeline.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(polmon);

/* Where the hit-log meter of one switch stands. */
enum meter_state {
    METER_PENDING,              /* ADD (or MODIFY) sent, not checked yet. */
    METER_OK,                   /* Read back as requested. */
    METER_FAILED,               /* Refused, or read back wrong. */
};

/* The hit-log meter of one ready switch. */
struct meter_sw {
    struct ovs_list node;       /* In 'polmon->meters'. */
    const struct ofsession *session;
    ovs_be32 add_xid, mod_xid, check_xid;
    enum meter_state state;
    bool existed;               /* The ADD found it there (MODIFY sent). */
    char *error;                /* METER_FAILED: why. */
};

/* The cookie kinds whose counters policy statistics sum. */
static const enum pipeline_cookie_kind counted_kinds[] = {
    PIPELINE_COOKIE_POLICY_ALLOW, PIPELINE_COOKIE_POLICY_DENY,
    PIPELINE_COOKIE_POLICY_MONITOR,
};
#define N_KINDS ARRAY_SIZE(counted_kinds)

/* One switch a statistics request waits for. */
struct stats_wait {
    const struct ofsession *session;    /* NULL once it is gone. */
    uint64_t dpid;
    ovs_be32 xids[N_KINDS];     /* One request per counted kind. */
    bool done[N_KINDS];         /* Last part received (or an error). */
    enum ofperr error;          /* First error the switch sent, or 0. */
};

/* A statistics request in flight. */
struct stats_req {
    struct ovs_list node;       /* In 'polmon->requests'. */
    struct polstats *table;
    char *filter;               /* Policy name, or NULL for all. */
    struct stats_wait *waits;
    size_t n_waits;
    long long int deadline;
    polmon_stats_cb *cb;
    void *aux;
};

struct polmon {
    unsigned int rate;          /* Hit-log meter: packets per second. */
    struct ovs_list meters;     /* struct meter_sw. */
    struct hitlog *hitlog;
    struct ovs_list requests;   /* struct stats_req. */
};

static void stats_req_destroy(struct stats_req *);

/* Creates a policy monitor with the default hit-log rate. */
struct polmon *
polmon_create(void)
{
    struct polmon *pm = xzalloc(sizeof *pm);
    pm->rate = POLMON_DEFAULT_RATE;
    ovs_list_init(&pm->meters);
    pm->hitlog = hitlog_create();
    ovs_list_init(&pm->requests);
    return pm;
}

/* Frees 'm'.  Accepts NULL. */
static void
meter_sw_destroy(struct meter_sw *m)
{
    if (m) {
        free(m->error);
        free(m);
    }
}

/* Frees 'pm'.  Requests still in flight are answered with an error first.
 * Accepts NULL. */
void
polmon_destroy(struct polmon *pm)
{
    if (!pm) {
        return;
    }
    struct stats_req *req;
    LIST_FOR_EACH_POP (req, node, &pm->requests) {
        req->cb("flowchaind is exiting", false, req->aux);
        stats_req_destroy(req);
    }
    struct meter_sw *m;
    LIST_FOR_EACH_POP (m, node, &pm->meters) {
        meter_sw_destroy(m);
    }
    hitlog_destroy(pm->hitlog);
    free(pm);
}

/* Sets the hit-log meter's rate (and burst) to 'pps' packets per second,
 * for switches that become ready from now on. */
void
polmon_set_rate(struct polmon *pm, unsigned int pps)
{
    pm->rate = pps;
}

/* Returns the hit log's counters. */
const struct hitlog_stats *
polmon_hitlog_stats(const struct polmon *pm)
{
    return hitlog_get_stats(pm->hitlog);
}

/* Returns the xid of OpenFlow message 'msg'. */
static ovs_be32
msg_xid(const struct ofpbuf *msg)
{
    return ((const struct ofp_header *) msg->data)->xid;
}

/* ---------------------------------------------------------------------- */
/* The hit-log meter. */

/* Returns the hit-log meter state of switch 's', or NULL. */
static struct meter_sw *
find_meter_sw(const struct polmon *pm, const struct ofsession *s)
{
    struct meter_sw *m;
    LIST_FOR_EACH (m, node, &pm->meters) {
        if (m->session == s) {
            return m;
        }
    }
    return NULL;
}

/* Sends to 's' the meter mod 'command' (OFPMC13_ADD or _MODIFY) of the
 * hit-log meter at 'pm''s rate, as a request whose errors 'pm' expects;
 * returns its xid. */
static ovs_be32
send_meter_mod(const struct polmon *pm, struct ofsession *s,
               uint16_t command)
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
            .flags = OFPMF13_PKTPS | OFPMF13_BURST,
            .n_bands = 1,
            .bands = &band,
        },
    };
    struct ofpbuf *msg = ofputil_encode_meter_mod(OFP13_VERSION, &mm);
    ovs_be32 xid = msg_xid(msg);
    ofsession_quiet_errors(s, xid);
    ofsession_send(s, msg);
    return xid;
}

/* Sends to 's' a request for its meters' configuration (every meter, so
 * that a missing one is no error); returns its xid. */
static ovs_be32
send_meter_check(struct ofsession *s)
{
    struct ofpbuf *msg = ofputil_encode_meter_request(OFP13_VERSION,
                                                      OFPUTIL_METER_CONFIG,
                                                      OFPM13_ALL);
    ovs_be32 xid = msg_xid(msg);
    ofsession_quiet_errors(s, xid);
    ofsession_send(s, msg);
    return xid;
}

/* The switch behind 's' finished its handshake: adds the hit-log meter.
 * Must be called before anything else is sent to 's', in particular the
 * first sync bundle. */
void
polmon_switch_ready(struct polmon *pm, struct ofsession *s)
{
    struct meter_sw *m = find_meter_sw(pm, s);
    if (!m) {
        m = xzalloc(sizeof *m);
        m->session = s;
        ovs_list_push_back(&pm->meters, &m->node);
    }
    free(m->error);
    m->error = NULL;
    m->state = METER_PENDING;
    m->existed = false;
    m->mod_xid = 0;
    m->add_xid = send_meter_mod(pm, s, OFPMC13_ADD);
    m->check_xid = send_meter_check(s);
}

/* Marks the meter of 'm' (switch 's') failed because of 'why'. */
static void
meter_failed(struct meter_sw *m, const struct ofsession *s, char *why)
{
    VLOG_WARN("switch %016"PRIx64": hit-log meter %u: %s; hit-log "
              "packets of this switch are not rate-limited",
              ofsession_dpid(s), PIPELINE_METER_HIT_LOG, why);
    free(m->error);
    m->error = why;
    m->state = METER_FAILED;
}

/* Handles ERROR 'oh' from 's' for one of the meter requests of 'm'. */
static void
meter_error(struct polmon *pm, struct meter_sw *m, struct ofsession *s,
            const struct ofp_header *oh)
{
    enum ofperr error = ofperr_decode_msg(oh, NULL);
    const char *name = error ? ofperr_get_name(error) : "undecodable error";

    if (oh->xid == m->add_xid && error == OFPERR_OFPMMFC_METER_EXISTS) {
        /* A restart: the meter is there; make it what we want. */
        VLOG_DBG("switch %016"PRIx64": hit-log meter %u exists; modifying "
                 "it", ofsession_dpid(s), PIPELINE_METER_HIT_LOG);
        m->existed = true;
        m->mod_xid = send_meter_mod(pm, s, OFPMC13_MODIFY);
        m->check_xid = send_meter_check(s);
    } else if (oh->xid == m->add_xid || oh->xid == m->mod_xid) {
        meter_failed(m, s, xasprintf("the switch refused the %s: %s",
                                     oh->xid == m->add_xid ? "ADD"
                                                          : "MODIFY",
                                     name));
    } else if (m->state == METER_PENDING) {
        meter_failed(m, s, xasprintf("cannot read it back: %s", name));
    }
}

/* Handles the meter configuration reply 'oh' from 's' (for 'm''s latest
 * check; older ones are ignored). */
static void
meter_reply(const struct polmon *pm, struct meter_sw *m,
            const struct ofsession *s, const struct ofp_header *oh)
{
    if (oh->xid != m->check_xid || m->state != METER_PENDING) {
        return;
    }

    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofpbuf bands;
    struct ofputil_meter_config found = { .meter_id = 0 };
    struct ofputil_meter_band band = { .rate = 0 };
    ofpbuf_init(&bands, 64);
    for (;;) {
        struct ofputil_meter_config mc;
        if (ofputil_decode_meter_config(&b, &mc, &bands)) {
            break;
        }
        if (mc.meter_id == PIPELINE_METER_HIT_LOG) {
            found = mc;
            if (mc.n_bands) {
                band = mc.bands[0];
            }
            found.bands = NULL;
        }
    }
    ofpbuf_uninit(&bands);

    if (found.meter_id != PIPELINE_METER_HIT_LOG) {
        if (ofpmp_more(oh)) {
            return;             /* Maybe in a later part. */
        }
        meter_failed(m, s, xstrdup("missing after the ADD"));
    } else if (found.n_bands != 1 || band.type != OFPMBT13_DROP
               || band.rate != pm->rate || band.burst_size != pm->rate
               || !(found.flags & OFPMF13_PKTPS)) {
        meter_failed(m, s, xasprintf("read back with other settings (%"
                                     PRIuSIZE" bands, rate %"PRIu32
                                     ", burst %"PRIu32")",
                                     (size_t) found.n_bands, band.rate,
                                     band.burst_size));
    } else {
        m->state = METER_OK;
        VLOG_INFO("switch %016"PRIx64": hit-log meter %u %s: %u packets/s, "
                  "burst %u", ofsession_dpid(s), PIPELINE_METER_HIT_LOG,
                  m->existed ? "was there (updated)" : "added",
                  pm->rate, pm->rate);
    }
}

/* ---------------------------------------------------------------------- */
/* The hit log. */

/* Handles packet-in 'oh' from 's' (bridge 'br' of 'intent'). */
static void
handle_packet_in(struct polmon *pm, const struct ofsession *s,
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
        hitlog_count_foreign(pm->hitlog);
        VLOG_WARN_RL(&rl, "switch %016"PRIx64": dropped an undecodable "
                     "packet-in (%s)", ofsession_dpid(s),
                     ofperr_get_name(error));
        return;
    }

    uint64_t cookie = ntohll(pin.cookie);
    if (hitlog_packet(pm->hitlog, intent, br, cookie, pin.packet,
                      pin.packet_len, now, NULL) == HITLOG_FOREIGN) {
        VLOG_WARN_RL(&rl, "switch %016"PRIx64": dropped a packet-in that is "
                     "no policy hit (cookie %#"PRIx64", table %"PRIu8"); "
                     "flowchain expects packet-ins only from policies with "
                     "\"log\": true", ofsession_dpid(s), cookie,
                     pin.table_id);
    }
}

/* ---------------------------------------------------------------------- */
/* Statistics requests. */

/* Frees 'req' (already out of its list). */
static void
stats_req_destroy(struct stats_req *req)
{
    polstats_destroy(req->table);
    free(req->filter);
    free(req->waits);
    free(req);
}

/* Requests the policy statistics of the 'n' ready switches 'sessions' for
 * the policies of 'intent' (only 'filter' if nonnull).  Calls 'cb' with
 * 'aux' once every switch answered or POLMON_STATS_TIMEOUT_MS after 'now'
 * (perhaps before returning, e.g. if 'n' is 0). */
void
polmon_request_stats(struct polmon *pm, struct ofsession **sessions,
                     size_t n, const struct intent *intent,
                     const struct intent_policy *filter,
                     polmon_stats_cb *cb, void *aux, long long int now)
{
    struct stats_req *req = xzalloc(sizeof *req);
    req->table = polstats_create();
    req->filter = filter ? xstrdup(filter->name) : NULL;
    req->waits = xcalloc(n + 1, sizeof *req->waits);
    req->deadline = now + POLMON_STATS_TIMEOUT_MS;
    req->cb = cb;
    req->aux = aux;
    ovs_list_push_back(&pm->requests, &req->node);

    for (size_t i = 0; i < n; i++) {
        struct stats_wait *w = &req->waits[req->n_waits++];
        w->session = sessions[i];
        w->dpid = ofsession_dpid(sessions[i]);
        for (size_t k = 0; k < N_KINDS; k++) {
            struct ofpbuf *msg = polstats_encode_request(counted_kinds[k]);
            w->xids[k] = msg_xid(msg);
            ofsession_send(sessions[i], msg);
        }
    }
    polmon_run(pm, intent, now);
}

/* Returns true once every switch of 'w' answered every request. */
static bool
stats_wait_complete(const struct stats_wait *w)
{
    for (size_t k = 0; k < N_KINDS; k++) {
        if (!w->done[k]) {
            return false;
        }
    }
    return true;
}

/* Returns true once every switch of 'req' answered. */
static bool
stats_req_complete(const struct stats_req *req)
{
    for (size_t i = 0; i < req->n_waits; i++) {
        if (!stats_wait_complete(&req->waits[i])) {
            return false;
        }
    }
    return true;
}

/* Appends to 's' "switch DPID (host H bridge B)" for 'dpid'. */
static void
format_switch_name(const struct intent *intent, uint64_t dpid, struct ds *s)
{
    const struct intent_bridge *br = intent_find_bridge_by_dpid(intent, dpid);
    ds_put_format(s, "switch %016"PRIx64, dpid);
    if (br) {
        ds_put_format(s, " (host %s bridge %s)", br->host->name, br->name);
    }
}

/* Finishes 'req': formats its table, with a note for each switch that did
 * not answer (or answered with an error), and hands it to its callback. */
static void
stats_req_finish(struct stats_req *req, const struct intent *intent)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct intent_policy *filter
        = req->filter && intent ? intent_find_policy(intent, req->filter)
                                : NULL;

    ovs_list_remove(&req->node);
    if (!intent) {
        req->cb("no intent loaded", false, req->aux);
    } else if (req->filter && !filter) {
        ds_put_format(&s, "policy \"%s\" went away with a reload while "
                      "collecting its statistics", req->filter);
        req->cb(ds_cstr(&s), false, req->aux);
    } else {
        polstats_format(req->table, intent, filter, &s);
        if (!req->n_waits) {
            ds_put_cstr(&s, "# no switch is connected\n");
        }
        for (size_t i = 0; i < req->n_waits; i++) {
            const struct stats_wait *w = &req->waits[i];
            if (w->error) {
                ds_put_cstr(&s, "# ");
                format_switch_name(intent, w->dpid, &s);
                ds_put_format(&s, " refused the request (%s): its flows are "
                              "not all counted\n", ofperr_get_name(w->error));
            } else if (!stats_wait_complete(w)) {
                ds_put_cstr(&s, "# ");
                format_switch_name(intent, w->dpid, &s);
                if (w->session) {
                    ds_put_format(&s, " did not answer within %d s",
                                  POLMON_STATS_TIMEOUT_MS / 1000);
                } else {
                    ds_put_cstr(&s, " disconnected");
                }
                ds_put_cstr(&s, ": its flows are not counted\n");
            }
        }
        req->cb(ds_cstr(&s), true, req->aux);
    }
    ds_destroy(&s);
    stats_req_destroy(req);
}

/* Handles flow statistics reply or ERROR 'oh' from 's'.  Returns true if
 * a request of 'pm' was waiting for it. */
static bool
stats_reply(struct polmon *pm, const struct ofsession *s,
            const struct intent *intent, enum ofptype type,
            const struct ofp_header *oh)
{
    struct stats_req *req;
    LIST_FOR_EACH (req, node, &pm->requests) {
        for (size_t i = 0; i < req->n_waits; i++) {
            struct stats_wait *w = &req->waits[i];
            if (w->session != s) {
                continue;
            }
            for (size_t k = 0; k < N_KINDS; k++) {
                if (w->xids[k] != oh->xid || w->done[k]) {
                    continue;
                }
                if (type == OFPTYPE_ERROR) {
                    enum ofperr error = ofperr_decode_msg(oh, NULL);
                    w->error = w->error ? w->error
                               : error ? error : OFPERR_OFPBRC_BAD_LEN;
                    w->done[k] = true;
                } else {
                    enum ofperr error = polstats_add_reply(req->table, oh);
                    if (error && !w->error) {
                        w->error = error;
                    }
                    w->done[k] = !ofpmp_more(oh);
                }
                if (stats_req_complete(req)) {
                    stats_req_finish(req, intent);
                }
                return true;
            }
        }
    }
    return false;
}

/* The switch behind 's' is going away: forgets its meter, and requests
 * stop waiting for it. */
void
polmon_switch_gone(struct polmon *pm, struct ofsession *s,
                   const struct intent *intent, long long int now)
{
    struct meter_sw *m = find_meter_sw(pm, s);
    if (m) {
        ovs_list_remove(&m->node);
        meter_sw_destroy(m);
    }
    struct stats_req *req;
    LIST_FOR_EACH (req, node, &pm->requests) {
        for (size_t i = 0; i < req->n_waits; i++) {
            if (req->waits[i].session == s) {
                req->waits[i].session = NULL;
                req->deadline = MIN(req->deadline, now);
            }
        }
    }
    polmon_run(pm, intent, now);
}

/* Finishes the requests that are complete or whose time is up at 'now'. */
void
polmon_run(struct polmon *pm, const struct intent *intent,
           long long int now)
{
    struct stats_req *req;
    LIST_FOR_EACH_SAFE (req, node, &pm->requests) {
        if (stats_req_complete(req) || now >= req->deadline) {
            stats_req_finish(req, intent);
        }
    }
}

/* Offers message 'oh' of 'type' from 's' (bridge 'br' of 'intent'; either
 * may be NULL) to 'pm'.  Returns true if it was 'pm''s: a packet-in, a
 * reply to or an error for one of its requests. */
bool
polmon_handle(struct polmon *pm, struct ofsession *s,
              const struct intent *intent, const struct intent_bridge *br,
              enum ofptype type, const struct ofp_header *oh,
              long long int now)
{
    struct meter_sw *m;

    switch (type) {
    case OFPTYPE_PACKET_IN:
        handle_packet_in(pm, s, intent, br, oh, now);
        return true;
    case OFPTYPE_FLOW_STATS_REPLY:
        return stats_reply(pm, s, intent, type, oh);
    case OFPTYPE_METER_CONFIG_STATS_REPLY:
        m = find_meter_sw(pm, s);
        if (m) {
            meter_reply(pm, m, s, oh);
            return true;
        }
        return false;
    case OFPTYPE_ERROR:
        m = find_meter_sw(pm, s);
        if (m && oh->xid
            && (oh->xid == m->add_xid || oh->xid == m->mod_xid
                || oh->xid == m->check_xid)) {
            meter_error(pm, m, s, oh);
            return true;
        }
        return stats_reply(pm, s, intent, type, oh);
    default:
        return false;
    }
}

/* Appends 'pm''s counters to 's' (one line). */
void
polmon_format_status(const struct polmon *pm, struct ds *s)
{
    const struct hitlog_stats *st = hitlog_get_stats(pm->hitlog);
    ds_put_format(s, "hit log: %"PRIu64" lines, %"PRIu64" repeats "
                  "suppressed, %"PRIu64" foreign packet-ins dropped; "
                  "meter %u: %u packets/s per bridge\n", st->logged,
                  st->suppressed, st->foreign, PIPELINE_METER_HIT_LOG,
                  pm->rate);
}

/* Appends to 's' the state of the hit-log meter of switch 'ses' (one
 * indented line), if 'pm' knows it. */
void
polmon_format_switch(const struct polmon *pm, const struct ofsession *ses,
                     struct ds *s)
{
    const struct meter_sw *m = find_meter_sw(pm, ses);
    if (!m) {
        return;
    }
    ds_put_format(s, "  hit-log meter %u: ", PIPELINE_METER_HIT_LOG);
    switch (m->state) {
    case METER_PENDING:
        ds_put_cstr(s, "being set up\n");
        break;
    case METER_OK:
        ds_put_format(s, "%u packets/s, burst %u (%s)\n", pm->rate,
                      pm->rate, m->existed ? "was there, updated" : "added");
        break;
    case METER_FAILED:
        ds_put_format(s, "failed: %s\n", m->error);
        break;
    }
}
