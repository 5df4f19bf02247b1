/*
 * The switch manager's connections and orchestration (see
 * switchmgr-private.h): listeners, TLS, accept and its limits, one
 * session per switch with its read and write events, close; per-switch
 * compile and flow sync, announcements, the statistics poll and policy
 * statistics requests.  The read-only views are in switchmgr-views.c.
 */
#include <config.h>
#include "controller/switchmgr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include "controller/announce.h"
#include "controller/flowsync.h"
#include "controller/lacp.h"
#include "controller/metrics.h"
#include "controller/ofsession.h"
#include "controller/polmon.h"
#include "controller/polstats.h"
#include "controller/stream-tls.h"
#include "controller/switchmgr-private.h"
#include "controller/transport.h"
#include "models/intent.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "flow.h"
#include "packets.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(switchmgr);

#define TICK_SECONDS 0.25

/* A tick this late means a callback kept the loop busy (compiling a large
 * bridge, say). */
#define LATE_TICK_MS 500

/* While more than this is queued for a switch, its socket is not read:
 * a peer that sends requests but never reads the replies stops being
 * served, so it cannot grow our memory, and the session's stall timer
 * closes it. */
#define READ_PAUSE_BYTES (1024 * 1024)

/* After accept() fails for lack of file descriptors, listening stops until
 * a connection closes, or at the latest this long. */
#define ACCEPT_RETRY_SECONDS 1.0

/* Default bound on connections (switches and peers still handshaking). */
#define DEFAULT_MAX_CONNECTIONS 1000

struct listener {
    struct ovs_list node;       /* In 'mgr->listeners'. */
    struct switchmgr *mgr;
    char *target;
    char *unix_path;            /* Removed on destroy; NULL for TCP. */
    bool tls;                   /* "ssl:" target. */
    int fd;
    ev_io io;
};

/* The cookie kinds whose flow counters the statistics poll reads. */
static const enum pipeline_cookie_kind poll_kinds[] = {
    PIPELINE_COOKIE_POLICY_ALLOW, PIPELINE_COOKIE_POLICY_DENY,
    PIPELINE_COOKIE_POLICY_MONITOR,
};
#define N_POLL_KINDS ARRAY_SIZE(poll_kinds)

/* A statistics poll of one switch in flight: a port statistics request
 * and one flow statistics request per policy cookie kind. */
struct swconn_poll {
    ovs_be32 port_xid;
    bool port_done;
    ovs_be32 flow_xids[N_POLL_KINDS];
    bool flow_done[N_POLL_KINDS];
    struct port_counters *ports;
    size_t n_ports, allocated_ports;
    struct polstats *policies;
    bool failed;                /* The switch refused a request. */
};

static void swconn_close(struct swconn *, const char *why);
static bool swconn_flush(struct swconn *);
static void accept_resume(struct switchmgr *);

long long int
switchmgr_now_ms(const struct switchmgr *mgr)
{
    return (long long int) (ev_now(mgr->loop) * 1000.0);
}

/* Checks that the certificate of 'conn', if it is a TLS connection, is for
 * datapath 'dpid'.  If not, kills its session (the reason names both) and
 * returns false. */
bool
switchmgr_conn_may_claim(struct swconn *conn, uint64_t dpid)
{
    if (!transport_is_tls(conn->transport)) {
        return true;
    }
    struct ds why = DS_EMPTY_INITIALIZER;
    bool ok = stream_tls_binding_check(transport_peer_name(conn->transport),
                                       conn->mgr->intent, dpid, &why);
    if (!ok) {
        ofsession_kill(conn->session, "refused: %s", ds_cstr(&why));
    }
    ds_destroy(&why);
    return ok;
}

static void
session_ready(struct ofsession *s, void *conn_)
{
    struct swconn *conn = conn_;
    struct switchmgr *mgr = conn->mgr;
    uint64_t dpid = ofsession_dpid(s);

    /* First of all, before it can replace anyone: may this peer claim this
     * datapath? */
    if (!switchmgr_conn_may_claim(conn, dpid)) {
        return;
    }

    /* A switch that reconnects before its old connection timed out: keep
     * the newest. */
    struct swconn *other;
    LIST_FOR_EACH_SAFE (other, node, &mgr->conns) {
        if (other != conn && ofsession_is_ready(other->session)
            && ofsession_dpid(other->session) == dpid) {
            swconn_close(other, "replaced by a new connection from the "
                         "same datapath");
        }
    }

    size_t n_ports;
    free(ofsession_ports(s, &n_ports));
    const struct intent_bridge *br
        = mgr->intent ? intent_find_bridge_by_dpid(mgr->intent, dpid) : NULL;
    if (br) {
        VLOG_INFO("%s: switch %016"PRIx64" (%s/%s) ready, %"PRIuSIZE
                  " ports", ofsession_peer(s), dpid, br->host->name,
                  br->name, n_ports);
    } else {
        VLOG_WARN("%s: switch %016"PRIx64" ready, %"PRIuSIZE" ports; its "
                  "datapath ID is not in the intent: it gets a table 0 that "
                  "drops everything", ofsession_peer(s), dpid, n_ports);
    }

    if (mgr->roles) {
        /* The sync starts if and when this instance becomes master. */
        switchmgr_roles_ready(conn);
    } else {
        switchmgr_conn_start_sync(conn);
    }
}

void
switchmgr_conn_start_sync(struct swconn *conn)
{
    struct switchmgr *mgr = conn->mgr;
    struct ofsession *s = conn->session;
    uint64_t dpid = ofsession_dpid(s);

    /* Before the first sync bundle: its flows may use the meter. */
    polmon_switch_ready(mgr->polmon, s);

    char *name = xasprintf("switch %016"PRIx64, dpid);
    conn->sync = flowsync_create(name);
    free(name);
    flowsync_connected(conn->sync, s);
    switchmgr_conn_compile(conn);
}

/* Adds the modifications 'conn''s sync sent to the manager's totals. */
static void
swconn_count_mods(struct swconn *conn)
{
    if (conn->sync) {
        const struct flowsync_stats *st = flowsync_stats(conn->sync);
        conn->mgr->flow_mods_sent += st->flow_mods_sent;
        conn->mgr->group_mods_sent += st->group_mods_sent;
    }
}

void
switchmgr_conn_stop_sync(struct swconn *conn)
{
    struct switchmgr *mgr = conn->mgr;
    if (!conn->sync) {
        return;
    }
    swconn_count_mods(conn);
    flowsync_destroy(conn->sync);
    conn->sync = NULL;
    if (mgr->polmon) {
        polmon_switch_gone(mgr->polmon, conn->session, mgr->intent,
                           switchmgr_now_ms(mgr));
    }
    /* A later master starts these again, as after a restart. */
    lacp_destroy(conn->lacp);
    conn->lacp = NULL;
    ev_timer_stop(mgr->loop, &conn->ports_timer);
    conn->ports_changed = false;
    sset_clear(&conn->active_nics);
    conn->nics_known = false;
    conn->announce_due = false;
}

bool
switchmgr_conn_flush(struct swconn *conn)
{
    return swconn_flush(conn);
}

static void
session_port_changed(struct ofsession *s, void *conn_)
{
    struct swconn *conn = conn_;
    VLOG_DBG("%s: port status changed", ofsession_peer(s));
    /* Coalesced: see switchmgr_conn_ports_changed(). */
    conn->ports_changed = true;
}

/* Feeds the sync latency histogram of 'conn' if a sync succeeded since
 * the last call (one per barrier reply: call after each message). */
static void
swconn_feed_latency(struct swconn *conn)
{
    const struct flowsync_stats *st = flowsync_stats(conn->sync);
    if (st->bundles_ok != conn->bundles_ok_seen) {
        conn->bundles_ok_seen = st->bundles_ok;
        metrics_histogram_observe(&conn->sync_latency,
                                  st->last_sync_latency_ms / 1000.0);
    }
}

/* Frees 'poll'.  Accepts NULL. */
static void
swconn_poll_destroy(struct swconn_poll *poll)
{
    if (poll) {
        free(poll->ports);
        polstats_destroy(poll->policies);
        free(poll);
    }
}

/* Returns the transaction ID of OpenFlow message 'msg'. */
static ovs_be32
msg_xid(const struct ofpbuf *msg)
{
    return ((const struct ofp_header *) msg->data)->xid;
}

/* Starts a statistics poll of 'conn': port statistics of every port and
 * the flow statistics of the policy flows.  A poll still in flight (the
 * switch did not answer within an interval) is given up: the numbers of
 * the last complete one stay. */
static void
swconn_poll_start(struct swconn *conn)
{
    swconn_poll_destroy(conn->poll);
    struct swconn_poll *poll = conn->poll = xzalloc(sizeof *poll);
    poll->policies = polstats_create();
    struct ofpbuf *msg = ofputil_encode_dump_ports_request(OFP13_VERSION,
                                                           OFPP_ANY);
    poll->port_xid = msg_xid(msg);
    ofsession_send(conn->session, msg);
    for (size_t k = 0; k < N_POLL_KINDS; k++) {
        msg = polstats_encode_request(poll_kinds[k]);
        poll->flow_xids[k] = msg_xid(msg);
        ofsession_send(conn->session, msg);
    }
}

/* Adds the ports of the port statistics reply 'oh' to 'poll'.  Returns
 * false if part of it could not be decoded. */
static bool
swconn_poll_add_ports(struct swconn_poll *poll, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    for (;;) {
        struct ofputil_port_stats ps;
        int retval = ofputil_decode_port_stats(&ps, &b);
        if (retval) {
            return retval == EOF;
        }
        if (poll->n_ports >= poll->allocated_ports) {
            poll->ports = x2nrealloc(poll->ports, &poll->allocated_ports,
                                     sizeof *poll->ports);
        }
        struct port_counters *pc = &poll->ports[poll->n_ports++];
        pc->port_no = ps.port_no;
        pc->rx_packets = ps.stats.rx_packets;
        pc->tx_packets = ps.stats.tx_packets;
        pc->rx_bytes = ps.stats.rx_bytes;
        pc->tx_bytes = ps.stats.tx_bytes;
        pc->rx_dropped = ps.stats.rx_dropped;
        pc->tx_dropped = ps.stats.tx_dropped;
    }
}

/* Offers message 'oh' of 'type' to the statistics poll of 'conn'.  Returns
 * true if it was a reply to, or an error for, one of its requests.  Once
 * every request was answered, what was answered replaces the last poll's
 * numbers. */
static bool
swconn_poll_handle(struct swconn *conn, enum ofptype type,
                   const struct ofp_header *oh)
{
    struct swconn_poll *poll = conn->poll;
    if (!poll) {
        return false;
    }
    bool is_port = oh->xid == poll->port_xid;
    bool *done = is_port ? &poll->port_done : NULL;
    for (size_t k = 0; !done && k < N_POLL_KINDS; k++) {
        if (oh->xid == poll->flow_xids[k]) {
            done = &poll->flow_done[k];
        }
    }
    if (!done || *done) {
        return false;
    }
    bool ok;
    if (type == OFPTYPE_ERROR) {
        ok = false;
        *done = true;
    } else if (type == OFPTYPE_PORT_STATS_REPLY && is_port) {
        ok = swconn_poll_add_ports(poll, oh);
        *done = !ok || !ofpmp_more(oh);
    } else if (type == OFPTYPE_FLOW_STATS_REPLY && !is_port) {
        ok = !polstats_add_reply(poll->policies, oh);
        *done = !ok || !ofpmp_more(oh);
    } else {
        return false;
    }
    if (!ok) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
        VLOG_WARN_RL(&rl, "%s: statistics poll refused or undecodable: "
                     "metrics keep the last numbers",
                     ofsession_peer(conn->session));
        poll->failed = true;
    }

    bool complete = poll->port_done;
    for (size_t k = 0; k < N_POLL_KINDS; k++) {
        complete = complete && poll->flow_done[k];
    }
    if (complete) {
        if (!poll->failed) {
            free(conn->ports);
            conn->ports = poll->ports;
            conn->n_ports = poll->n_ports;
            poll->ports = NULL;
            polstats_destroy(conn->policies);
            conn->policies = poll->policies;
            poll->policies = NULL;
        }
        swconn_poll_destroy(poll);
        conn->poll = NULL;
    }
    return true;
}

static void
session_message(struct ofsession *s, enum ofptype type,
                const struct ofp_header *oh, void *conn_)
{
    struct swconn *conn = conn_;
    struct switchmgr *mgr = conn->mgr;
    long long int now = switchmgr_now_ms(mgr);
    if (switchmgr_roles_handle(conn, type, oh)) {
        return;
    }
    const struct intent_bridge *br
        = mgr->intent ? intent_find_bridge_by_dpid(mgr->intent,
                                                   ofsession_dpid(s))
                      : NULL;
    if (type == OFPTYPE_PACKET_IN && conn->sync
        && switchmgr_conn_lacp_packet_in(conn, oh, now)) {
        return;
    }
    if (polmon_handle(mgr->polmon, s, mgr->intent, br, type, oh, now)) {
        return;
    }
    if (swconn_poll_handle(conn, type, oh)) {
        return;
    }
    if (conn->sync) {
        flowsync_handle(conn->sync, s, type, oh, now);
        swconn_feed_latency(conn);
        flowsync_run(conn->sync, s, now);
        switchmgr_conn_announce(conn);
    }
}

static const struct ofsession_hooks session_hooks = {
    .ready = session_ready,
    .port_changed = session_port_changed,
    .message = session_message,
};

/* Closes 'conn', logging 'why'. */
static void
swconn_close(struct swconn *conn, const char *why)
{
    const struct ofsession *s = conn->session;
    if (ofsession_is_ready(s)) {
        VLOG_WARN("%s: closing connection to switch %016"PRIx64": %s",
                  ofsession_peer(s), ofsession_dpid(s), why);
    } else {
        VLOG_WARN("%s: closing connection: %s", ofsession_peer(s), why);
    }
    struct switchmgr *mgr = conn->mgr;
    ev_io_stop(mgr->loop, &conn->io);
    ev_timer_stop(mgr->loop, &conn->ports_timer);
    transport_close(conn->transport, true);
    ovs_list_remove(&conn->node);
    mgr->n_conns--;
    if (mgr->accept_paused) {
        /* A file descriptor is free again. */
        accept_resume(mgr);
    }
    if (mgr->polmon) {
        polmon_switch_gone(mgr->polmon, conn->session, mgr->intent,
                           switchmgr_now_ms(mgr));
    }
    swconn_count_mods(conn);
    flowsync_destroy(conn->sync);
    ofsession_destroy(conn->session);
    sset_destroy(&conn->active_nics);
    metrics_histogram_destroy(&conn->sync_latency);
    swconn_poll_destroy(conn->poll);
    free(conn->ports);
    polstats_destroy(conn->policies);
    lacp_destroy(conn->lacp);
    free(conn);
}

/* Closes 'conn' if its session died, after one last try to send what the
 * session still queued (e.g. a HELLO_FAILED error).  Returns true if it
 * closed. */
bool
switchmgr_conn_reap(struct swconn *conn)
{
    if (!ofsession_is_dead(conn->session)) {
        return false;
    }
    struct iovec iov[16];
    size_t n = ofsession_tx_iov(conn->session, iov, ARRAY_SIZE(iov));
    if (n) {
        ssize_t r = transport_sendv(conn->transport, iov, n);
        if (r > 0) {
            ofsession_tx_consume(conn->session, r,
                                 switchmgr_now_ms(conn->mgr));
        }
    }
    char *why = xstrdup(ofsession_error(conn->session));
    swconn_close(conn, why);
    free(why);
    return true;
}

/* True if 'conn' may be read now: not too much is queued for it. */
static bool
swconn_can_read(const struct swconn *conn)
{
    return ofsession_tx_bytes(conn->session) < READ_PAUSE_BYTES;
}

/* Waits for the socket events 'conn' needs now, and tells its session
 * whether it is being read. */
static void
swconn_update_events(struct swconn *conn)
{
    struct ev_loop *loop = conn->mgr->loop;
    bool reading = swconn_can_read(conn);
    if (conn->rx_paused == reading) {
        conn->rx_paused = !reading;
        VLOG_DBG("%s: %s reading: %"PRIuSIZE" bytes queued for it",
                 ofsession_peer(conn->session),
                 reading ? "resuming" : "pausing",
                 ofsession_tx_bytes(conn->session));
        ofsession_set_rx_paused(conn->session, !reading,
                                switchmgr_now_ms(conn->mgr));
    }
    bool streaming = (conn->sync && ofsession_is_ready(conn->session)
                      && flowsync_streaming(conn->sync));
    int events = transport_events(conn->transport, reading,
                                  ofsession_tx_bytes(conn->session) > 0
                                  || streaming);
    if (events != (conn->io.events & (EV_READ | EV_WRITE))) {
        ev_io_stop(loop, &conn->io);
        ev_io_set(&conn->io, transport_fd(conn->transport), events);
        ev_io_start(loop, &conn->io);
    }
    if (reading && transport_has_pending(conn->transport)) {
        /* Decrypted bytes that no socket event will announce. */
        ev_feed_event(loop, &conn->io, EV_READ);
    }
}

/* Writes as much of the transmit queue as the socket takes, then closes
 * the connection if the session died or updates the wanted events.
 * Returns false if it closed 'conn'. */
static bool
swconn_flush(struct swconn *conn)
{
    if (switchmgr_conn_reap(conn)) {
        return false;
    }
    /* At most a few refills per call, so that one switch's large bundle
     * does not hold the loop: EV_WRITE brings us back. */
    for (int refills = 0; ; refills++) {
        while (ofsession_tx_bytes(conn->session)) {
            struct iovec iov[64];
            size_t n = ofsession_tx_iov(conn->session, iov,
                                        ARRAY_SIZE(iov));
            ssize_t r = transport_sendv(conn->transport, iov, n);
            if (r == -EAGAIN) {
                break;
            } else if (r <= 0) {
                char *why = xstrdup(transport_error(conn->transport));
                swconn_close(conn, why);
                free(why);
                return false;
            }
            ofsession_tx_consume(conn->session, r,
                                 switchmgr_now_ms(conn->mgr));
        }
        /* A bundle streams as the socket drains. */
        size_t queued = ofsession_tx_bytes(conn->session);
        if (!conn->sync || !ofsession_is_ready(conn->session)
            || !flowsync_streaming(conn->sync) || refills >= 4) {
            break;
        }
        flowsync_run(conn->sync, conn->session,
                     switchmgr_now_ms(conn->mgr));
        if (ofsession_tx_bytes(conn->session) == queued) {
            break;
        }
    }
    if (switchmgr_conn_reap(conn)) {
        return false;
    }
    swconn_update_events(conn);
    return true;
}

/* Feeds what the peer of 'conn' sent to its session, a bounded amount per
 * call.  Returns false if it closed 'conn'. */
static bool
swconn_receive(struct swconn *conn)
{
    for (int i = 0; i < 4 && swconn_can_read(conn)
                    && !ofsession_is_dead(conn->session); i++) {
        char buf[65536];
        ssize_t n = transport_recv(conn->transport, buf, sizeof buf);
        if (n == -EAGAIN) {
            break;
        } else if (n == 0) {
            swconn_close(conn, "connection closed by peer");
            return false;
        } else if (n < 0) {
            char *why = xstrdup(transport_error(conn->transport));
            swconn_close(conn, why);
            free(why);
            return false;
        }
        ofsession_receive(conn->session, buf, n,
                          switchmgr_now_ms(conn->mgr));
    }
    return true;
}

static void
swconn_cb(struct ev_loop *loop OVS_UNUSED, ev_io *io, int revents)
{
    struct swconn *conn = io->data;
    if (swconn_can_read(conn)
        && transport_recv_ready(conn->transport, revents)
        && !swconn_receive(conn)) {
        return;
    }
    switchmgr_conn_ports_changed(conn);
    swconn_flush(conn);
}

/* Stops accepting on every listener of 'mgr' until a connection closes or
 * ACCEPT_RETRY_SECONDS pass: accept() just failed with 'error' (no file
 * descriptor), and the pending connection would wake us at once again. */
static void
accept_pause(struct switchmgr *mgr, const char *target, int error)
{
    if (!mgr->accept_pause_logged) {
        VLOG_WARN("%s: accept failed: %s; not accepting new connections "
                  "until one closes (%"PRIuSIZE" open)", target,
                  ovs_strerror(error), mgr->n_conns);
        mgr->accept_pause_logged = true;
    }
    mgr->accept_paused = true;
    struct listener *l;
    LIST_FOR_EACH (l, node, &mgr->listeners) {
        ev_io_stop(mgr->loop, &l->io);
    }
    ev_timer_stop(mgr->loop, &mgr->accept_retry);
    ev_timer_set(&mgr->accept_retry, ACCEPT_RETRY_SECONDS, 0.0);
    ev_timer_start(mgr->loop, &mgr->accept_retry);
}

/* Listens again after accept_pause(). */
static void
accept_resume(struct switchmgr *mgr)
{
    mgr->accept_paused = false;
    ev_timer_stop(mgr->loop, &mgr->accept_retry);
    struct listener *l;
    LIST_FOR_EACH (l, node, &mgr->listeners) {
        ev_io_start(mgr->loop, &l->io);
    }
}

static void
accept_retry_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *t,
                int revents OVS_UNUSED)
{
    accept_resume(t->data);
}

static void
accept_cb(struct ev_loop *loop, ev_io *io, int revents OVS_UNUSED)
{
    struct listener *l = io->data;
    struct switchmgr *mgr = l->mgr;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept4(l->fd, (struct sockaddr *) &ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
            || errno == ENOMEM) {
            accept_pause(mgr, l->target, errno);
        } else if (errno != EAGAIN && errno != EINTR) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
            VLOG_WARN_RL(&rl, "%s: accept failed: %s", l->target,
                         ovs_strerror(errno));
        }
        return;
    }
    mgr->accept_pause_logged = false;

    char *peer;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) &ss;
        char addr[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof addr);
        peer = xasprintf("%s:%s:%u", l->tls ? "ssl" : "tcp", addr,
                         ntohs(sin->sin_port));
    } else {
        peer = xasprintf("%s#%u", l->target, ++mgr->n_accepted);
    }
    if (mgr->n_conns >= mgr->max_conns) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
        mgr->n_refused++;
        VLOG_WARN_RL(&rl, "%s: refused: connection limit reached (%"PRIuSIZE
                     " open, --max-connections); %"PRIu64" refused so far",
                     peer, mgr->n_conns, mgr->n_refused);
        close(fd);
        free(peer);
        return;
    }
    if (ss.ss_family == AF_INET) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    struct transport *transport = (l->tls
                                   ? stream_tls_accept(mgr->tls, fd, peer)
                                   : transport_plain_create(fd));
    if (!transport) {
        close(fd);
        free(peer);
        return;
    }

    struct swconn *conn = xzalloc(sizeof *conn);
    conn->mgr = mgr;
    sset_init(&conn->active_nics);
    metrics_histogram_init(&conn->sync_latency, metrics_sync_latency_bounds,
                           metrics_n_sync_latency_bounds);
    conn->transport = transport;
    mgr->n_conns++;
    conn->session = ofsession_create(peer, &session_hooks, conn, &mgr->cfg,
                                     switchmgr_now_ms(mgr));
    ovs_list_push_back(&mgr->conns, &conn->node);
    ev_io_init(&conn->io, swconn_cb, fd,
               transport_events(transport, true, false));
    conn->io.data = conn;
    ev_io_start(loop, &conn->io);
    ev_timer_init(&conn->ports_timer, switchmgr_conn_ports_timer_cb, 0.0, 0.0);
    conn->ports_timer.data = conn;
    VLOG_INFO("%s: connected", peer);
    free(peer);
    swconn_flush(conn);
}

static void
tick_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *t, int revents OVS_UNUSED)
{
    struct switchmgr *mgr = t->data;
    long long int now = switchmgr_now_ms(mgr);
    /* After the loop was busy, every peer waited too: before any timer
     * judges a peer silent or stalled, take what it sent and write what
     * was queued for it meanwhile. */
    bool late = mgr->last_tick_ms && now - mgr->last_tick_ms > LATE_TICK_MS;
    mgr->last_tick_ms = now;
    struct swconn *conn;
    LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
        if (late && ((swconn_can_read(conn) && !swconn_receive(conn))
                     || !swconn_flush(conn))) {
            continue;
        }
        ofsession_run(conn->session, now);
        if (conn->sync && ofsession_is_ready(conn->session)) {
            if (switchmgr_conn_lacp_run(conn, now)) {
                switchmgr_conn_compile(conn);
            }
            flowsync_run(conn->sync, conn->session, now);
            switchmgr_conn_announce(conn);
        }
        swconn_flush(conn);
    }
    polmon_run(mgr->polmon, mgr->intent, now);
}

static void
stats_timer_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *t,
               int revents OVS_UNUSED)
{
    struct switchmgr *mgr = t->data;
    struct swconn *conn;
    LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
        if (conn->sync && ofsession_is_ready(conn->session)) {
            swconn_poll_start(conn);
            swconn_flush(conn);
        }
    }
}

/* Polls the port statistics and the policy flow counters of every ready
 * switch every 'seconds' (0 to stop), for switchmgr_get_metrics(). */
void
switchmgr_set_stats_interval(struct switchmgr *mgr, double seconds)
{
    mgr->stats_interval = seconds;
    ev_timer_stop(mgr->loop, &mgr->stats_timer);
    if (seconds > 0) {
        ev_timer_set(&mgr->stats_timer, seconds, seconds);
        ev_timer_start(mgr->loop, &mgr->stats_timer);
    }
}

struct switchmgr *
switchmgr_create(struct ev_loop *loop, const struct ofsession_config *cfg)
{
    struct switchmgr *mgr = xzalloc(sizeof *mgr);
    mgr->loop = loop;
    mgr->cfg = *cfg;
    ovs_list_init(&mgr->listeners);
    ovs_list_init(&mgr->conns);
    mgr->polmon = polmon_create();
    ev_timer_init(&mgr->tick, tick_cb, TICK_SECONDS, TICK_SECONDS);
    mgr->tick.data = mgr;
    ev_timer_start(loop, &mgr->tick);
    mgr->max_conns = DEFAULT_MAX_CONNECTIONS;
    ev_timer_init(&mgr->accept_retry, accept_retry_cb, ACCEPT_RETRY_SECONDS,
                  0.0);
    mgr->accept_retry.data = mgr;
    ev_timer_init(&mgr->stats_timer, stats_timer_cb, 1.0, 1.0);
    mgr->stats_timer.data = mgr;
    switchmgr_memo_init(mgr);
    return mgr;
}

/* Closes every connection and listener of 'mgr' and frees it.  'mgr' may
 * be NULL. */
void
switchmgr_destroy(struct switchmgr *mgr)
{
    if (!mgr) {
        return;
    }
    /* First: statistics requests in flight get their error answer while
     * the control server is still there, and no switch is waited for. */
    polmon_destroy(mgr->polmon);
    mgr->polmon = NULL;
    struct swconn *conn;
    LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
        swconn_close(conn, "controller exiting");
    }
    struct listener *l;
    LIST_FOR_EACH_POP (l, node, &mgr->listeners) {
        ev_io_stop(mgr->loop, &l->io);
        close(l->fd);
        if (l->unix_path) {
            unlink(l->unix_path);
        }
        free(l->unix_path);
        free(l->target);
        free(l);
    }
    ev_timer_stop(mgr->loop, &mgr->tick);
    ev_timer_stop(mgr->loop, &mgr->accept_retry);
    ev_timer_stop(mgr->loop, &mgr->stats_timer);
    switchmgr_memo_release(mgr);
    stream_tls_destroy(mgr->tls);
    free(mgr);
}

/* Opens a listening socket for 'target'; returns the fd or -1 with
 * '*errorp' set.  Sets '*tlsp' for an "ssl:" target. */
static int
open_listener(const char *target, char **unix_pathp, bool *tlsp,
              char **errorp)
{
    int fd = -1;
    *unix_pathp = NULL;
    *tlsp = !strncmp(target, "ssl:", 4);
    if (!strncmp(target, "unix:", 5)) {
        const char *path = target + 5;
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        if (!*path || strlen(path) >= sizeof sun.sun_path) {
            *errorp = xasprintf("%s: bad or too long socket path", target);
            return -1;
        }
        strcpy(sun.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        unlink(path);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sun, sizeof sun) < 0) {
            goto error;
        }
        *unix_pathp = xstrdup(path);
    } else if (!strncmp(target, "tcp:", 4) || *tlsp) {
        struct sockaddr_in sin;
        if (!transport_parse_ipv4_port(target + 4, "0.0.0.0", &sin)) {
            *errorp = xasprintf("%s: expected %.3s:[IPV4ADDR:]PORT", target,
                                target);
            return -1;
        }
        if (!*tlsp && (ntohl(sin.sin_addr.s_addr) >> 24) != 127) {
            VLOG_WARN("%s: plain TCP on a non-loopback address: switches are "
                      "not authenticated (any peer may claim any datapath "
                      "ID) and flows travel in clear; use ssl:%s with "
                      "--private-key, --certificate and --ca-cert",
                      target, target + 4);
        }
        fd = transport_bind_tcp(&sin);
        if (fd < 0) {
            goto error;
        }
    } else {
        *errorp = xasprintf("%s: unknown target (use ssl:[ADDR:]PORT, "
                            "tcp:[ADDR:]PORT or unix:PATH)", target);
        return -1;
    }
    if (listen(fd, 64) < 0) {
        goto error;
    }
    return fd;

error:
    *errorp = xasprintf("%s: %s", target, ovs_strerror(errno));
    if (fd >= 0) {
        close(fd);
    }
    free(*unix_pathp);
    *unix_pathp = NULL;
    return -1;
}

/* Makes 'tls' (owned by 'mgr' from now on) the TLS context of "ssl:"
 * listeners; call before switchmgr_listen(). */
void
switchmgr_set_tls(struct switchmgr *mgr, struct stream_tls *tls)
{
    stream_tls_destroy(mgr->tls);
    mgr->tls = tls;
}

/* Bounds the connections 'mgr' keeps open (ready switches and peers still
 * handshaking) to 'max'; more are closed as soon as they are accepted. */
void
switchmgr_set_max_connections(struct switchmgr *mgr, size_t max)
{
    mgr->max_conns = max;
}

bool
switchmgr_listen(struct switchmgr *mgr, const char *target, char **errorp)
{
    char *unix_path;
    bool tls;
    *errorp = NULL;
    if (!strncmp(target, "ssl:", 4) && !mgr->tls) {
        *errorp = xasprintf("%s: an ssl: target needs --private-key, "
                            "--certificate and --ca-cert", target);
        return false;
    }
    int fd = open_listener(target, &unix_path, &tls, errorp);
    if (fd < 0) {
        return false;
    }
    struct listener *l = xzalloc(sizeof *l);
    l->mgr = mgr;
    l->target = xstrdup(target);
    l->unix_path = unix_path;
    l->tls = tls;
    l->fd = fd;
    ev_io_init(&l->io, accept_cb, fd, EV_READ);
    l->io.data = l;
    if (!mgr->accept_paused) {
        ev_io_start(mgr->loop, &l->io);
    }
    ovs_list_push_back(&mgr->listeners, &l->node);
    VLOG_INFO("listening on %s", target);
    return true;
}

/* Totals since the daemon started, over every connection. */
void
switchmgr_get_totals(const struct switchmgr *mgr, uint64_t *flow_mods,
                     uint64_t *group_mods)
{
    *flow_mods = mgr->flow_mods_sent;
    *group_mods = mgr->group_mods_sent;
    const struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        if (conn->sync) {
            *flow_mods += flowsync_stats(conn->sync)->flow_mods_sent;
            *group_mods += flowsync_stats(conn->sync)->group_mods_sent;
        }
    }
}

const struct swconn *
switchmgr_find_ready(const struct switchmgr *mgr, uint64_t dpid)
{
    /* A switch has at most one ready connection (a newer one replaces an
     * older one in session_ready()). */
    const struct swconn *conn = switchmgr_find_session(mgr, dpid);
    return conn && conn->sync ? conn : NULL;
}

const struct swconn *
switchmgr_find_session(const struct switchmgr *mgr, uint64_t dpid)
{
    const struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        if (ofsession_is_ready(conn->session)
            && ofsession_dpid(conn->session) == dpid) {
            return conn;
        }
    }
    return NULL;
}

size_t
switchmgr_n_ready(const struct switchmgr *mgr)
{
    size_t n = 0;
    const struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        n += ofsession_is_ready(conn->session);
    }
    return n;
}

/* Sets the hit-log meter's rate to 'pps' packets per second per bridge. */
void
switchmgr_set_hit_log_rate(struct switchmgr *mgr, unsigned int pps)
{
    polmon_set_rate(mgr->polmon, pps);
}

/* Collects the policy statistics of every ready switch for the current
 * intent's policies (only 'policy' if nonnull) and calls 'cb' with the
 * table, or with an error if 'policy' is unknown. */
void
switchmgr_policy_stats(struct switchmgr *mgr, const char *policy,
                       polmon_stats_cb *cb, void *aux)
{
    const struct intent_policy *filter = NULL;
    if (!mgr->intent) {
        cb("no intent loaded", false, aux);
        return;
    }
    if (policy) {
        filter = intent_find_policy(mgr->intent, policy);
        if (!filter) {
            char *msg = xasprintf("unknown policy \"%s\"", policy);
            cb(msg, false, aux);
            free(msg);
            return;
        }
    }

    struct ofsession **sessions = xcalloc(ovs_list_size(&mgr->conns) + 1,
                                          sizeof *sessions);
    size_t n = 0;
    struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        if (conn->sync && ofsession_is_ready(conn->session)) {
            sessions[n++] = conn->session;
        }
    }
    polmon_request_stats(mgr->polmon, sessions, n, mgr->intent, filter, cb,
                         aux, switchmgr_now_ms(mgr));
    free(sessions);
    LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
        swconn_flush(conn);
    }
}
