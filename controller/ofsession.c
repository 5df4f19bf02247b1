#include <config.h>
#include "controller/ofsession.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>
#include <sys/uio.h>
#include "controller/offrame.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "util.h"
#include "flow.h"
#include "hash.h"

VLOG_DEFINE_THIS_MODULE(ofsession);

/* Before the version is agreed, only small messages (HELLO) make sense. */
#define HANDSHAKE_MAX_LEN 4096
#define MAX_MSG_LEN 65535

enum ofsession_state {
    S_HELLO,                    /* Waiting for the peer's HELLO. */
    S_FEATURES,                 /* Waiting for FEATURES_REPLY. */
    S_PORTS,                    /* Waiting for the whole port description. */
    S_READY,
    S_DEAD,
};

static const char *
state_name(enum ofsession_state state)
{
    switch (state) {
    case S_HELLO: return "waiting for HELLO";
    case S_FEATURES: return "waiting for FEATURES_REPLY";
    case S_PORTS: return "waiting for port description";
    case S_READY: return "ready";
    case S_DEAD: return "dead";
    }
    return "?";
}

struct port_node {
    struct hmap_node node;      /* In 'ports', by port number. */
    struct hmap_node name_node; /* In 'ports_by_name', by name. */
    struct ofputil_phy_port pp;
};

struct ofsession {
    char *peer;
    const struct ofsession_hooks *hooks;
    void *aux;
    struct ofsession_config cfg;
    enum ofsession_state state;
    char *error;

    struct offrame *framer;
    long long int created, last_rx, partial_since;
    bool probe_outstanding;
    long long int probe_sent;   /* When the outstanding probe was queued. */
    bool rx_paused;             /* The owner does not read the peer. */

    struct ovs_list txq;        /* struct ofpbuf via list_node. */
    size_t tx_bytes, tx_ofs;    /* Queued bytes; offset into the front. */
    long long int last_tx_progress;

    uint64_t dpid;
    uint8_t n_tables;
    struct hmap ports;
    struct hmap ports_by_name;  /* The same nodes, by name: the compile
                                 * and the announcements look up every VM
                                 * NIC's port by name. */
    struct ofsession_stats stats;

    /* Requests whose errors the owner expects (ofsession_quiet_errors()),
     * a ring; 0 is no xid. */
    ovs_be32 quiet_xids[OFSESSION_QUIET_XIDS];
    size_t next_quiet;
};

/* Fills 'cfg' with the defaults: probe after 5 s idle, dead after 15 s of
 * silence, 10 s for the handshake and for stalls, a 128 MiB queue. */
void
ofsession_config_default(struct ofsession_config *cfg)
{
    cfg->probe_interval_ms = 5000;
    cfg->inactivity_ms = 15000;
    cfg->handshake_ms = 10000;
    cfg->stall_ms = 10000;
    cfg->max_queue_bytes = 128 * 1024 * 1024;
}

/* Creates a session for the switch at 'peer' (a name for logs) and queues
 * our HELLO.  'hooks' and 'aux' must outlive the session. */
struct ofsession *
ofsession_create(const char *peer, const struct ofsession_hooks *hooks,
                 void *aux, const struct ofsession_config *cfg,
                 long long int now)
{
    struct ofsession *s = xzalloc(sizeof *s);
    s->peer = xstrdup(peer);
    s->hooks = hooks;
    s->aux = aux;
    s->cfg = *cfg;
    s->state = S_HELLO;
    s->framer = offrame_create(HANDSHAKE_MAX_LEN);
    s->created = s->last_rx = s->last_tx_progress = now;
    ovs_list_init(&s->txq);
    hmap_init(&s->ports);
    hmap_init(&s->ports_by_name);
    ofsession_send(s, ofputil_encode_hello(1u << OFP13_VERSION));
    return s;
}

static void
clear_ports(struct ofsession *s)
{
    struct port_node *p;
    HMAP_FOR_EACH_POP (p, node, &s->ports) {
        free(p);
    }
    hmap_clear(&s->ports_by_name);
}

/* Frees 's' and everything it holds.  's' may be NULL. */
void
ofsession_destroy(struct ofsession *s)
{
    if (s) {
        struct ofpbuf *b;
        LIST_FOR_EACH_POP (b, list_node, &s->txq) {
            ofpbuf_delete(b);
        }
        clear_ports(s);
        hmap_destroy(&s->ports);
        hmap_destroy(&s->ports_by_name);
        offrame_destroy(s->framer);
        free(s->error);
        free(s->peer);
        free(s);
    }
}

void
ofsession_kill(struct ofsession *s, const char *format, ...)
{
    if (s->state == S_DEAD) {
        return;
    }
    va_list args;
    va_start(args, format);
    s->error = xvasprintf(format, args);
    va_end(args);
    s->state = S_DEAD;
}

bool
ofsession_can_queue(const struct ofsession *s, size_t n)
{
    return s->tx_bytes + n <= s->cfg.max_queue_bytes;
}

bool
ofsession_send(struct ofsession *s, struct ofpbuf *msg)
{
    /* Encoders leave the final length to the sender, as vconn does. */
    ofpmsg_update_length(msg);
    if (!ofsession_can_queue(s, msg->size)) {
        ofsession_kill(s, "transmit queue full (%"PRIuSIZE" bytes queued, "
                       "limit %"PRIuSIZE"): switch not reading",
                       s->tx_bytes, s->cfg.max_queue_bytes);
        ofpbuf_delete(msg);
        return false;
    }
    if (!s->tx_bytes) {
        s->last_tx_progress = s->last_rx > s->last_tx_progress
                              ? s->last_rx : s->last_tx_progress;
    }
    s->tx_bytes += msg->size;
    s->stats.tx_msgs++;
    ovs_list_push_back(&s->txq, &msg->list_node);
    return true;
}

const void *
ofsession_tx_front(const struct ofsession *s, size_t *n)
{
    if (ovs_list_is_empty(&s->txq)) {
        *n = 0;
        return NULL;
    }
    const struct ofpbuf *b = CONTAINER_OF(ovs_list_front(&s->txq),
                                          struct ofpbuf, list_node);
    *n = b->size - s->tx_ofs;
    return (const char *) b->data + s->tx_ofs;
}

size_t
ofsession_tx_iov(const struct ofsession *s, struct iovec *iov, size_t max)
{
    size_t n = 0;
    const struct ofpbuf *b;
    LIST_FOR_EACH (b, list_node, &s->txq) {
        if (n >= max) {
            break;
        }
        size_t ofs = n ? 0 : s->tx_ofs;
        iov[n].iov_base = (char *) b->data + ofs;
        iov[n].iov_len = b->size - ofs;
        n++;
    }
    return n;
}

void
ofsession_tx_consume(struct ofsession *s, size_t n, long long int now)
{
    if (n) {
        s->last_tx_progress = now;
    }
    while (n && !ovs_list_is_empty(&s->txq)) {
        struct ofpbuf *b = CONTAINER_OF(ovs_list_front(&s->txq),
                                        struct ofpbuf, list_node);
        size_t left = b->size - s->tx_ofs;
        size_t used = MIN(n, left);
        s->tx_ofs += used;
        s->tx_bytes -= used;
        n -= used;
        if (s->tx_ofs == b->size) {
            ovs_list_remove(&b->list_node);
            ofpbuf_delete(b);
            s->tx_ofs = 0;
        }
    }
}

size_t
ofsession_tx_bytes(const struct ofsession *s)
{
    return s->tx_bytes;
}

static void
set_port(struct ofsession *s, const struct ofputil_phy_port *pp)
{
    struct port_node *p;
    uint32_t hash = hash_int(ofp_to_u16(pp->port_no), 0);
    HMAP_FOR_EACH_WITH_HASH (p, node, hash, &s->ports) {
        if (p->pp.port_no == pp->port_no) {
            if (strcmp(p->pp.name, pp->name)) {
                hmap_remove(&s->ports_by_name, &p->name_node);
                hmap_insert(&s->ports_by_name, &p->name_node,
                            hash_string(pp->name, 0));
            }
            p->pp = *pp;
            return;
        }
    }
    p = xmalloc(sizeof *p);
    p->pp = *pp;
    hmap_insert(&s->ports, &p->node, hash);
    hmap_insert(&s->ports_by_name, &p->name_node, hash_string(pp->name, 0));
}

static void
delete_port(struct ofsession *s, ofp_port_t port_no)
{
    struct port_node *p;
    uint32_t hash = hash_int(ofp_to_u16(port_no), 0);
    HMAP_FOR_EACH_WITH_HASH (p, node, hash, &s->ports) {
        if (p->pp.port_no == port_no) {
            hmap_remove(&s->ports, &p->node);
            hmap_remove(&s->ports_by_name, &p->name_node);
            free(p);
            return;
        }
    }
}

static void
handle_hello(struct ofsession *s, const struct ofp_header *oh)
{
    uint32_t allowed = 0;
    ofputil_decode_hello(oh, &allowed);
    if (!(allowed & (1u << OFP13_VERSION))) {
        struct ds versions = DS_EMPTY_INITIALIZER;
        for (int v = 1; v < 32; v++) {
            if (allowed & (1u << v)) {
                /* Wire version 1 is OpenFlow 1.0, 4 is 1.3, ... */
                ds_put_format(&versions, "%s1.%d",
                              versions.length ? ", " : "", v - 1);
            }
        }
        if (!versions.length) {
            ds_put_cstr(&versions, "none");
        }
        char *reason = xasprintf("flowchain speaks OpenFlow 1.3 only; peer "
                                 "offers %s", ds_cstr(&versions));
        ofsession_send(s, ofperr_encode_hello(OFPERR_OFPHFC_INCOMPATIBLE,
                                              oh->version, reason));
        ofsession_kill(s, "HELLO_FAILED: %s", reason);
        free(reason);
        ds_destroy(&versions);
        return;
    }
    offrame_set_max_len(s->framer, MAX_MSG_LEN);
    s->state = S_FEATURES;
    ofsession_send(s, ofpraw_alloc(OFPRAW_OFPT_FEATURES_REQUEST,
                                   OFP13_VERSION, 0));
}

static void
handle_features(struct ofsession *s, const struct ofp_header *oh)
{
    struct ofputil_switch_features features;
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    enum ofperr error = ofputil_pull_switch_features(&b, &features);
    if (error) {
        ofsession_kill(s, "bad FEATURES_REPLY: %s", ofperr_to_string(error));
        return;
    }
    s->dpid = features.datapath_id;
    s->n_tables = features.n_tables;

    struct ofputil_switch_config config = {
        .frag = OFPUTIL_FRAG_NORMAL,
        .invalid_ttl_to_controller = -1,
        .miss_send_len = 128,
    };
    ofsession_send(s, ofputil_encode_set_config(&config, OFP13_VERSION));
    ofsession_send(s, ofputil_encode_port_desc_stats_request(OFP13_VERSION,
                                                             OFPP_ANY));
    s->state = S_PORTS;
}

static void
handle_port_desc(struct ofsession *s, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    ofpraw_pull_assert(&b);
    for (;;) {
        struct ofputil_phy_port pp;
        int retval = ofputil_pull_phy_port(oh->version, &b, &pp);
        if (retval == EOF) {
            break;
        } else if (retval) {
            ofsession_kill(s, "bad port description reply: %s",
                           ofperr_to_string(retval));
            return;
        }
        set_port(s, &pp);
    }
    if (!ofpmp_more(oh)) {
        s->state = S_READY;
        if (s->hooks->ready) {
            s->hooks->ready(s, s->aux);
        }
    }
}

static void
handle_port_status(struct ofsession *s, const struct ofp_header *oh)
{
    struct ofputil_port_status ps;
    enum ofperr error = ofputil_decode_port_status(oh, &ps);
    if (error) {
        VLOG_WARN("%s: bad PORT_STATUS: %s", s->peer,
                  ofperr_to_string(error));
        return;
    }
    if (ps.reason == OFPPR_DELETE) {
        delete_port(s, ps.desc.port_no);
    } else {
        set_port(s, &ps.desc);
    }
    if (s->state == S_READY && s->hooks->port_changed) {
        s->hooks->port_changed(s, s->aux);
    }
}

/* Logs the ERROR message 'oh' with its meaning and the request it refers
 * to. */
static void
log_error_msg(struct ofsession *s, const struct ofp_header *oh)
{
    struct ofpbuf payload;
    enum ofperr error = ofperr_decode_msg(oh, &payload);
    s->stats.errors_received++;
    if (!error) {
        VLOG_WARN("%s: undecodable ERROR message", s->peer);
        return;
    }
    const char *request = "unknown request";
    if (payload.size >= sizeof(struct ofp_header)) {
        enum ofpraw raw;
        if (!ofpraw_decode_partial(&raw, payload.data, payload.size)) {
            request = ofpraw_get_name(raw);
        }
    }
    /* Rate limited: a rejected bundle of a million flows must not write a
     * million lines (flowsync sums its errors up per bundle). */
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);
    VLOG_WARN_RL(&rl, "%s: switch reports error %s (%s) for %s "
              "xid=0x%"PRIx32, s->peer, ofperr_get_name(error),
              ofperr_get_description(error), request, ntohl(oh->xid));
    ofpbuf_uninit(&payload);
}

/* Returns true if ERROR 'oh' answers a request whose errors the owner
 * expects (ofsession_quiet_errors()). */
static bool
is_quiet_error(const struct ofsession *s, const struct ofp_header *oh)
{
    for (size_t i = 0; i < OFSESSION_QUIET_XIDS; i++) {
        if (s->quiet_xids[i] && s->quiet_xids[i] == oh->xid) {
            return true;
        }
    }
    return false;
}

/* Makes an ERROR that the switch sends for request 'xid' the business of
 * 's''s owner alone: handed to the 'message' hook, not logged as a warning,
 * not counted.  Remembers the last OFSESSION_QUIET_XIDS xids. */
void
ofsession_quiet_errors(struct ofsession *s, ovs_be32 xid)
{
    s->quiet_xids[s->next_quiet] = xid;
    s->next_quiet = (s->next_quiet + 1) % OFSESSION_QUIET_XIDS;
}

static void
handle_msg(struct ofsession *s, const struct ofpbuf *msg)
{
    const struct ofp_header *oh = msg->data;
    enum ofptype type;
    enum ofperr error = ofptype_decode(&type, oh);

    s->stats.rx_msgs++;
    if (s->state == S_HELLO) {
        if (!error && type == OFPTYPE_HELLO) {
            handle_hello(s, oh);
        } else {
            ofsession_kill(s, "expected HELLO, received %s",
                           error ? "an undecodable message"
                                 : ofptype_get_name(type));
        }
        return;
    }
    if (oh->version != OFP13_VERSION && !error && type == OFPTYPE_ERROR) {
        /* Open vSwitch's own connections let an error of another version
         * through, and Open vSwitch 3.1 sends one now and then (a 16-byte
         * OpenFlow 1.0 error, seen under load when several instances take
         * switches from each other): it cannot be matched reliably, so it
         * is dropped with a warning and the session goes on, instead of
         * closing a working connection. */
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
        VLOG_WARN_RL(&rl, "%s: ignoring an error message of OpenFlow "
                     "version 0x%02x (%"PRIu16" bytes, xid %#"PRIx32") "
                     "after agreeing on 1.3", s->peer, oh->version,
                     ntohs(oh->length), ntohl(oh->xid));
        return;
    }
    if (oh->version != OFP13_VERSION) {
        ofsession_kill(s, "message of OpenFlow version 0x%02x (%s, type "
                       "%"PRIu8", %"PRIu16" bytes) after agreeing on 1.3",
                       oh->version,
                       error ? "undecodable" : ofptype_get_name(type),
                       oh->type, ntohs(oh->length));
        return;
    }
    if (error) {
        s->stats.bad_type_replies++;
        VLOG_WARN("%s: cannot decode message type %"PRIu8" (%s); replying "
                  "with an error", s->peer, oh->type,
                  ofperr_get_name(error));
        ofsession_send(s, ofperr_encode_reply(error, oh));
        return;
    }

    switch (type) {
    case OFPTYPE_ECHO_REQUEST:
        ofsession_send(s, ofputil_encode_echo_reply(oh));
        return;
    case OFPTYPE_ECHO_REPLY:
        return;
    case OFPTYPE_HELLO:
        return;
    case OFPTYPE_FEATURES_REPLY:
        if (s->state == S_FEATURES) {
            handle_features(s, oh);
        }
        return;
    case OFPTYPE_PORT_DESC_STATS_REPLY:
        if (s->state == S_PORTS) {
            handle_port_desc(s, oh);
        }
        return;
    case OFPTYPE_PORT_STATUS:
        handle_port_status(s, oh);
        return;
    case OFPTYPE_ERROR:
        if (is_quiet_error(s, oh)) {
            VLOG_DBG("%s: expected ERROR for xid=0x%"PRIx32", handled by "
                     "its requester", s->peer, ntohl(oh->xid));
        } else {
            log_error_msg(s, oh);
        }
        break;
    default:
        break;
    }
    if (s->state == S_READY && s->hooks->message) {
        s->hooks->message(s, type, oh, s->aux);
    }
}

/* Feeds the 'n' bytes at 'data', received at 'now', to 's'. */
void
ofsession_receive(struct ofsession *s, const void *data, size_t n,
                  long long int now)
{
    if (s->state == S_DEAD) {
        return;
    }
    s->last_rx = now;
    s->probe_outstanding = false;
    offrame_put(s->framer, data, n);
    for (;;) {
        struct ofpbuf *msg;
        struct ds error = DS_EMPTY_INITIALIZER;
        enum offrame_result r = offrame_pull(s->framer, &msg, &error);
        if (r == OFFRAME_ERROR) {
            ofsession_kill(s, "framing error: %s", ds_cstr(&error));
            ds_destroy(&error);
            return;
        }
        ds_destroy(&error);
        if (r == OFFRAME_AGAIN) {
            break;
        }
        handle_msg(s, msg);
        ofpbuf_delete(msg);
        if (s->state == S_DEAD) {
            return;
        }
    }
    s->partial_since = offrame_pending(s->framer) ? now : 0;
}

void
ofsession_set_rx_paused(struct ofsession *s, bool paused, long long int now)
{
    if (s->rx_paused && !paused) {
        s->last_rx = now;
        s->probe_outstanding = false;
        if (s->partial_since) {
            s->partial_since = now;
        }
    }
    s->rx_paused = paused;
}

/* Runs the timers of 's' at time 'now': handshake and stall limits, echo
 * probes, the inactivity limit. */
void
ofsession_run(struct ofsession *s, long long int now)
{
    if (s->state == S_DEAD) {
        return;
    }
    if (s->state != S_READY && now - s->created > s->cfg.handshake_ms) {
        ofsession_kill(s, "handshake not finished after %lld ms (%s)",
                       s->cfg.handshake_ms, state_name(s->state));
        return;
    }
    if (s->partial_since && !s->rx_paused
        && now - s->partial_since > s->cfg.stall_ms) {
        ofsession_kill(s, "incomplete message: header claims %"PRIuSIZE
                       " bytes, %"PRIuSIZE" received, nothing more for "
                       "%lld ms", offrame_wanted(s->framer),
                       offrame_pending(s->framer), s->cfg.stall_ms);
        return;
    }
    if (s->tx_bytes && now - s->last_tx_progress > s->cfg.stall_ms) {
        ofsession_kill(s, "switch not reading: %"PRIuSIZE" bytes queued, "
                       "none written for %lld ms", s->tx_bytes,
                       s->cfg.stall_ms);
        return;
    }
    if (s->rx_paused) {
        /* Not reading: the peer's messages, echo replies included, wait
         * on our side.  The stalled-output limit above still applies. */
        return;
    }
    /* Silence is proven only by an echo request left unanswered for the
     * rest of the inactivity time: if we could not send it in time (the
     * loop was busy), the peer gets its full time to answer. */
    if (now - s->last_rx > s->cfg.inactivity_ms
        && (s->state == S_HELLO
            || (s->probe_outstanding
                && now - s->probe_sent >= (s->cfg.inactivity_ms
                                          - s->cfg.probe_interval_ms)))) {
        ofsession_kill(s, "no message for %lld ms (echo unanswered)",
                       now - s->last_rx);
        return;
    }
    if (s->state != S_HELLO && !s->probe_outstanding
        && now - s->last_rx > s->cfg.probe_interval_ms) {
        s->probe_outstanding = true;
        s->probe_sent = now;
        ofsession_send(s, ofputil_encode_echo_request(OFP13_VERSION));
    }
}

bool
ofsession_is_ready(const struct ofsession *s)
{
    return s->state == S_READY;
}

bool
ofsession_is_dead(const struct ofsession *s)
{
    return s->state == S_DEAD;
}

const char *
ofsession_error(const struct ofsession *s)
{
    return s->error;
}

const char *
ofsession_peer(const struct ofsession *s)
{
    return s->peer;
}

uint64_t
ofsession_dpid(const struct ofsession *s)
{
    return s->dpid;
}

uint8_t
ofsession_n_tables(const struct ofsession *s)
{
    return s->n_tables;
}

long long int
ofsession_connected_at(const struct ofsession *s)
{
    return s->created;
}

static int
compare_ports(const void *a_, const void *b_)
{
    const struct ofputil_phy_port *a = a_, *b = b_;
    uint32_t pa = ofp_to_u16(a->port_no), pb = ofp_to_u16(b->port_no);
    return pa < pb ? -1 : pa > pb;
}

struct ofputil_phy_port *
ofsession_ports(const struct ofsession *s, size_t *n)
{
    struct ofputil_phy_port *ports = xmalloc(
        MAX(1, hmap_count(&s->ports)) * sizeof *ports);
    const struct port_node *p;
    size_t i = 0;
    HMAP_FOR_EACH (p, node, &s->ports) {
        ports[i++] = p->pp;
    }
    qsort(ports, i, sizeof *ports, compare_ports);
    *n = i;
    return ports;
}

const struct ofputil_phy_port *
ofsession_find_port(const struct ofsession *s, const char *name)
{
    const struct port_node *p;
    HMAP_FOR_EACH_WITH_HASH (p, name_node, hash_string(name, 0),
                             &s->ports_by_name) {
        if (!strcmp(p->pp.name, name)) {
            return &p->pp;
        }
    }
    return NULL;
}

/* True if 'pp' is administratively up and has link. */
bool
ofsession_port_is_live(const struct ofputil_phy_port *pp)
{
    return !(pp->config & OFPUTIL_PC_PORT_DOWN)
           && !(pp->state & OFPUTIL_PS_LINK_DOWN);
}

const struct ofsession_stats *
ofsession_stats(const struct ofsession *s)
{
    return &s->stats;
}
