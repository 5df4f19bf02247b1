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
#include <time.h>
#include <unistd.h>
#include "controller/announce.h"
#include "controller/diagram.h"
#include "controller/flowsync.h"
#include "controller/metrics.h"
#include "controller/ofsession.h"
#include "controller/polmon.h"
#include "controller/polstats.h"
#include "controller/stream-tls.h"
#include "controller/transport.h"
#include "models/intent.h"
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
#include "sset.h"
#include "svec.h"
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

struct swconn {
    struct ovs_list node;       /* In 'mgr->conns'. */
    struct switchmgr *mgr;
    struct transport *transport;
    ev_io io;
    struct ofsession *session;
    struct flowsync *sync;      /* Once the session is ready. */
    bool ports_changed;         /* Recompile after this read's messages. */
    bool rx_paused;             /* Not read: too much queued for it. */
    struct sset active_nics;    /* Ports of VM NICs active when last in
                                 * sync (announce.h). */
    bool nics_known;            /* 'active_nics' is from a completed sync:
                                 * what becomes active later is announced. */
    bool announce_due;          /* Compiled since: check at the next sync. */

    /* Metrics (switchmgr_get_metrics()). */
    struct metrics_histogram sync_latency;  /* Seconds, per good sync. */
    uint64_t bundles_ok_seen;   /* flowsync's 'bundles_ok' when last fed. */
    struct swconn_poll *poll;   /* Statistics poll in flight, or NULL. */
    struct port_counters *ports;    /* From the last complete poll. */
    size_t n_ports;
    struct polstats *policies;      /* From the last complete poll. */
};

/* The counters of one port, from a port statistics reply. */
struct port_counters {
    ofp_port_t port_no;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_dropped, tx_dropped;
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

struct switchmgr {
    struct ev_loop *loop;
    struct ofsession_config cfg;
    struct ovs_list listeners;
    struct ovs_list conns;
    ev_timer tick;
    long long int last_tick_ms;
    const struct intent *intent;
    unsigned int n_accepted;
    struct polmon *polmon;      /* Hit-log meter, hit log, statistics. */
    struct stream_tls *tls;     /* For "ssl:" listeners, or NULL. */
    size_t n_conns, max_conns;
    uint64_t n_refused;         /* Connections over 'max_conns'. */
    bool accept_paused;         /* Out of file descriptors. */
    bool accept_pause_logged;
    ev_timer accept_retry;
    uint64_t flow_mods_sent;    /* By connections already closed. */
    uint64_t group_mods_sent;
    double stats_interval;      /* Statistics poll period, seconds; 0 for
                                 * none. */
    ev_timer stats_timer;
};

static void swconn_close(struct swconn *, const char *why);
static bool swconn_flush(struct swconn *);
static void accept_resume(struct switchmgr *);

static long long int
now_ms(const struct switchmgr *mgr)
{
    return (long long int) (ev_now(mgr->loop) * 1000.0);
}

/* Fills 'pm' with the ports the switch of 'conn' reported. */
static void
session_portmap(const struct ofsession *s, struct portmap *pm)
{
    size_t n;
    struct ofputil_phy_port *ports = ofsession_ports(s, &n);
    portmap_init(pm);
    for (size_t i = 0; i < n; i++) {
        portmap_set(pm, ports[i].name, ports[i].port_no,
                    ofsession_port_is_live(&ports[i]));
    }
    free(ports);
}

static const struct swconn *find_ready(const struct switchmgr *,
                                       uint64_t dpid);

/* Does the VM of 'nic' run on the host of 'br' now?  Yes if the intent
 * says so.  For a destination pre-provisioned with "migrating_to", once the
 * cutover happened: the NIC's port is gone from its source bridge's switch
 * (connected, so that we know). */
static bool
nic_placed(const struct intent_nic *nic, const struct intent_bridge *br,
           void *mgr_)
{
    const struct switchmgr *mgr = mgr_;
    if (nic->vm->host == br->host) {
        return true;
    } else if (nic->migration_bridge != br) {
        return false;
    }
    const struct swconn *src = find_ready(mgr, nic->bridge->datapath_id);
    return src && !ofsession_find_port(src->session, nic->port);
}

/* Once 'conn' is in sync, sends a gratuitous ARP for each VM NIC that
 * became active on its bridge since the last time it was in sync (a VM
 * that arrived by live migration), so that the physical network learns
 * its new place at once.  The NICs active at the first sync of a
 * connection are only recorded: a controller restart announces nothing. */
static void
swconn_announce(struct swconn *conn)
{
    struct switchmgr *mgr = conn->mgr;
    if (!conn->announce_due || !conn->sync
        || !flowsync_in_sync(conn->sync)) {
        return;
    }
    conn->announce_due = false;
    const struct intent_bridge *br
        = mgr->intent ? intent_find_bridge_by_dpid(mgr->intent,
                                                   ofsession_dpid(
                                                       conn->session))
                      : NULL;
    struct sset active = SSET_INITIALIZER(&active);
    if (br) {
        announce_active_nics(br, conn->session, nic_placed, mgr, &active);
    }
    VLOG_DBG("%s: in sync: %"PRIuSIZE" active VM NICs, %"PRIuSIZE" before%s",
             ofsession_peer(conn->session), sset_count(&active),
             sset_count(&conn->active_nics),
             conn->nics_known ? "" : " (first sync: not announced)");
    if (conn->nics_known && br) {
        for (size_t i = 0; i < br->n_nics; i++) {
            const struct intent_nic *nic = br->nics[i];
            if (!sset_contains(&active, nic->port)
                || sset_contains(&conn->active_nics, nic->port)) {
                continue;
            }
            const struct ofputil_phy_port *pp
                = ofsession_find_port(conn->session, nic->port);
            VLOG_INFO("%s: %s/%s now active on %s/%s (port %s): gratuitous "
                      "ARP for "IP_FMT, ofsession_peer(conn->session),
                      nic->vm->name, nic->port, br->host->name, br->name,
                      nic->port, IP_ARGS(nic->ip));
            ofsession_send(conn->session,
                           announce_garp(nic, pp->port_no, OFP13_VERSION));
        }
    }
    sset_swap(&active, &conn->active_nics);
    sset_destroy(&active);
    conn->nics_known = true;
}

/* Marks every switch of 'mgr' but 'except' for an announcement check
 * (swconn_announce()), and runs it on those in sync. */
static void
recheck_announcements(struct switchmgr *mgr, const struct swconn *except)
{
    struct swconn *c;
    LIST_FOR_EACH_SAFE (c, node, &mgr->conns) {
        if (c != except && c->sync && ofsession_is_ready(c->session)) {
            c->announce_due = true;
            swconn_announce(c);
            swconn_flush(c);
        }
    }
}

/* Recompiles the desired flows of 'conn' from the intent and its ports and
 * sends the difference, if any. */
static void
swconn_compile(struct swconn *conn)
{
    struct switchmgr *mgr = conn->mgr;
    uint64_t dpid = ofsession_dpid(conn->session);
    const struct intent_bridge *br
        = mgr->intent ? intent_find_bridge_by_dpid(mgr->intent, dpid) : NULL;
    struct flowset desired;
    flowset_init(&desired);
    if (br) {
        struct portmap pm;
        session_portmap(conn->session, &pm);
        pipeline_compile(mgr->intent, br, &pm, &desired);
        portmap_destroy(&pm);
    } else {
        pipeline_compile_unknown(&desired);
    }
    flowsync_set_desired(conn->sync, &desired);
    flowset_destroy(&desired);
    conn->announce_due = true;
    flowsync_run(conn->sync, conn->session, now_ms(mgr));
    swconn_announce(conn);
}

/* Checks that the certificate of 'conn', if it is a TLS connection, is for
 * datapath 'dpid'.  If not, kills its session (the reason names both) and
 * returns false. */
static bool
swconn_may_claim(struct swconn *conn, uint64_t dpid)
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
    if (!swconn_may_claim(conn, dpid)) {
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

    /* Before the first sync bundle: its flows may use the meter. */
    polmon_switch_ready(mgr->polmon, s);

    char *name = xasprintf("switch %016"PRIx64, dpid);
    conn->sync = flowsync_create(name);
    free(name);
    flowsync_connected(conn->sync, s);
    swconn_compile(conn);
}

static void
session_port_changed(struct ofsession *s, void *conn_)
{
    struct swconn *conn = conn_;
    VLOG_DBG("%s: port status changed", ofsession_peer(s));
    /* Coalesced: a burst of PORT_STATUS messages read at once costs one
     * recompile (swconn_cb). */
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
    long long int now = now_ms(mgr);
    const struct intent_bridge *br
        = mgr->intent ? intent_find_bridge_by_dpid(mgr->intent,
                                                   ofsession_dpid(s))
                      : NULL;
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
        swconn_announce(conn);
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
    transport_close(conn->transport, true);
    ovs_list_remove(&conn->node);
    mgr->n_conns--;
    if (mgr->accept_paused) {
        /* A file descriptor is free again. */
        accept_resume(mgr);
    }
    if (mgr->polmon) {
        polmon_switch_gone(mgr->polmon, conn->session, mgr->intent,
                           now_ms(mgr));
    }
    if (conn->sync) {
        const struct flowsync_stats *st = flowsync_stats(conn->sync);
        conn->mgr->flow_mods_sent += st->flow_mods_sent;
        conn->mgr->group_mods_sent += st->group_mods_sent;
    }
    flowsync_destroy(conn->sync);
    ofsession_destroy(conn->session);
    sset_destroy(&conn->active_nics);
    metrics_histogram_destroy(&conn->sync_latency);
    swconn_poll_destroy(conn->poll);
    free(conn->ports);
    polstats_destroy(conn->policies);
    free(conn);
}

/* Closes 'conn' if its session died, after one last try to send what the
 * session still queued (e.g. a HELLO_FAILED error).  Returns true if it
 * closed. */
static bool
swconn_reap(struct swconn *conn)
{
    if (!ofsession_is_dead(conn->session)) {
        return false;
    }
    struct iovec iov[16];
    size_t n = ofsession_tx_iov(conn->session, iov, ARRAY_SIZE(iov));
    if (n) {
        ssize_t r = transport_sendv(conn->transport, iov, n);
        if (r > 0) {
            ofsession_tx_consume(conn->session, r, now_ms(conn->mgr));
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
        ofsession_set_rx_paused(conn->session, !reading, now_ms(conn->mgr));
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
    if (swconn_reap(conn)) {
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
            ofsession_tx_consume(conn->session, r, now_ms(conn->mgr));
        }
        /* A bundle streams as the socket drains. */
        size_t queued = ofsession_tx_bytes(conn->session);
        if (!conn->sync || !ofsession_is_ready(conn->session)
            || !flowsync_streaming(conn->sync) || refills >= 4) {
            break;
        }
        flowsync_run(conn->sync, conn->session, now_ms(conn->mgr));
        if (ofsession_tx_bytes(conn->session) == queued) {
            break;
        }
    }
    if (swconn_reap(conn)) {
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
        ofsession_receive(conn->session, buf, n, now_ms(conn->mgr));
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
    if (conn->ports_changed && conn->sync
        && ofsession_is_ready(conn->session)) {
        /* Port events of this iteration's reads: one recompile. */
        conn->ports_changed = false;
        VLOG_DBG("%s: ports changed: recompiling",
                 ofsession_peer(conn->session));
        swconn_compile(conn);
        /* A port that left this switch may complete a live migration to
         * another one: re-check what they announce. */
        recheck_announcements(conn->mgr, conn);
    }
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
                                     now_ms(mgr));
    ovs_list_push_back(&mgr->conns, &conn->node);
    ev_io_init(&conn->io, swconn_cb, fd,
               transport_events(transport, true, false));
    conn->io.data = conn;
    ev_io_start(loop, &conn->io);
    VLOG_INFO("%s: connected", peer);
    free(peer);
    swconn_flush(conn);
}

static void
tick_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *t, int revents OVS_UNUSED)
{
    struct switchmgr *mgr = t->data;
    long long int now = now_ms(mgr);
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
            flowsync_run(conn->sync, conn->session, now);
            swconn_announce(conn);
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
        char *spec = xstrdup(target + 4);
        char *colon = strrchr(spec, ':');
        const char *addr = colon ? spec : "0.0.0.0";
        const char *port = colon ? colon + 1 : spec;
        if (colon) {
            *colon = '\0';
        }
        struct sockaddr_in sin = { .sin_family = AF_INET };
        char *end;
        long int p = strtol(port, &end, 10);
        if (*end || p < 0 || p > 65535
            || inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
            *errorp = xasprintf("%s: expected %.3s:[IPV4ADDR:]PORT", target,
                                target);
            free(spec);
            return -1;
        }
        free(spec);
        if (!*tlsp && (ntohl(sin.sin_addr.s_addr) >> 24) != 127) {
            VLOG_WARN("%s: plain TCP on a non-loopback address: switches are "
                      "not authenticated (any peer may claim any datapath "
                      "ID) and flows travel in clear; use ssl:%s with "
                      "--private-key, --certificate and --ca-cert",
                      target, target + 4);
        }
        sin.sin_port = htons(p);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd < 0
            || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)
            || bind(fd, (struct sockaddr *) &sin, sizeof sin) < 0) {
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

/* Makes 'intent' current and recompiles every ready switch; only those
 * whose flows changed are sent anything. */
void
switchmgr_set_intent(struct switchmgr *mgr, const struct intent *intent)
{
    mgr->intent = intent;
    struct swconn *conn;
    LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
        if (ofsession_is_ready(conn->session)
            && !swconn_may_claim(conn, ofsession_dpid(conn->session))) {
            /* The new intent moved or removed what its certificate
             * names. */
            swconn_reap(conn);
            continue;
        }
        if (conn->sync && ofsession_is_ready(conn->session)) {
            swconn_compile(conn);
            swconn_flush(conn);
        }
    }
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

static const struct swconn *
find_ready(const struct switchmgr *mgr, uint64_t dpid)
{
    const struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        if (conn->sync && ofsession_is_ready(conn->session)
            && ofsession_dpid(conn->session) == dpid) {
            return conn;
        }
    }
    return NULL;
}

/* Numbers the ports 'br' names, in intent order, for showing the flows of
 * a bridge whose switch is not connected. */
static void
assumed_portmap(const struct intent_bridge *br, struct portmap *pm)
{
    uint16_t n = 0;
    portmap_init(pm);
    for (size_t i = 0; i < br->uplink.n_members; i++) {
        portmap_set(pm, br->uplink.members[i], u16_to_ofp(++n), true);
    }
    for (size_t i = 0; i < br->n_adapters; i++) {
        portmap_set(pm, br->adapters[i].port, u16_to_ofp(++n), true);
    }
    for (size_t i = 0; i < br->n_nics; i++) {
        portmap_set(pm, br->nics[i]->port, u16_to_ofp(++n), true);
    }
}

/* Compiles 'br' of 'intent' into 'out' with the ports of its connected
 * switch, or assumed ports if it is not connected; returns true if
 * connected. */
static bool
compile_bridge(const struct switchmgr *mgr, const struct intent *intent,
               const struct intent_bridge *br, struct flowset *out)
{
    const struct swconn *conn = find_ready(mgr, br->datapath_id);
    struct portmap pm;
    if (conn) {
        session_portmap(conn->session, &pm);
    } else {
        assumed_portmap(br, &pm);
    }
    pipeline_compile(intent, br, &pm, out);
    portmap_destroy(&pm);
    return conn != NULL;
}

/* True if a NIC of 'vm' is attached to 'br'. */
static bool
vm_uses_bridge(const struct intent_vm *vm, const struct intent_bridge *br)
{
    for (size_t i = 0; i < vm->n_nics; i++) {
        if (vm->nics[i].bridge == br || vm->nics[i].migration_bridge == br) {
            return true;
        }
    }
    return false;
}

/* Adds to 'names' the ports that 'br' puts on its switch: uplink members,
 * host adapters and VM NICs, in that order. */
static void
bridge_port_names(const struct intent_bridge *br, struct svec *names)
{
    for (size_t i = 0; i < br->uplink.n_members; i++) {
        svec_add(names, br->uplink.members[i]);
    }
    for (size_t i = 0; i < br->n_adapters; i++) {
        svec_add(names, br->adapters[i].port);
    }
    for (size_t i = 0; i < br->n_nics; i++) {
        svec_add(names, br->nics[i]->port);
    }
}

/* Appends to 's' the ports 'br' names that the switch of 'conn' does not
 * have (yet): their flows go in when they appear. */
static void
format_missing_ports(const struct swconn *conn,
                     const struct intent_bridge *br, struct ds *s)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    bridge_port_names(br, &names);
    size_t n = 0;
    for (size_t i = 0; i < names.n; i++) {
        if (!ofsession_find_port(conn->session, names.names[i])) {
            ds_put_format(s, "%s%s", n++ ? " " : "  ports not on the switch "
                          "yet (their flows go in when they appear): ",
                          names.names[i]);
        }
    }
    if (n) {
        ds_put_char(s, '\n');
    }
    svec_destroy(&names);
}

/* Initializes 'sel' with copies of the flows of 'fs' that policy 'p'
 * produced: its cookies of every policy kind (PIPELINE_COOKIE_POLICY to
 * PIPELINE_COOKIE_POLICY_MONITOR), any rule.  No groups. */
static void
select_policy_flows(const struct flowset *fs, const struct intent_policy *p,
                    struct flowset *sel)
{
    flowset_init(sel);
    const struct flowset_flow *f;
    HMAP_FOR_EACH (f, node, &fs->flows) {
        uint64_t cookie = ntohll(f->cookie) & PIPELINE_COOKIE_OBJECT_MASK;
        for (int kind = PIPELINE_COOKIE_POLICY;
             kind <= PIPELINE_COOKIE_POLICY_MONITOR; kind++) {
            if (cookie == pipeline_cookie_policy(kind, p, 0)) {
                struct match match;
                minimatch_expand(&f->match, &match);
                flowset_add_flow(sel, f->table_id, f->priority, &match,
                                 f->cookie, f->ofpacts, f->ofpacts_len);
                break;
            }
        }
    }
}

/* Appends the desired flows of the bridges of the current intent that
 * match the filters ('host', 'bridge', 'vm': NULL for any) to 's'.
 * Returns false with an error in 's' for an unknown name. */
bool
switchmgr_format_flows(const struct switchmgr *mgr, const char *host,
                       const char *bridge, const char *vm,
                       const char *policy, struct ds *s)
{
    const struct intent *intent = mgr->intent;
    if (!intent) {
        ds_put_cstr(s, "no intent loaded");
        return false;
    }
    const struct intent_policy *pol = NULL;
    if (policy) {
        pol = intent_find_policy(intent, policy);
        if (!pol) {
            ds_put_format(s, "unknown policy \"%s\"", policy);
            return false;
        }
    }
    const struct intent_vm *v = NULL;
    if (vm) {
        v = intent_find_vm(intent, vm);
        if (!v) {
            ds_put_format(s, "unknown VM \"%s\"", vm);
            return false;
        }
        if (!host) {
            host = v->host->name;
        }
    }
    if (host && !intent_find_host(intent, host)) {
        ds_put_format(s, "unknown host \"%s\"", host);
        return false;
    }
    size_t n_shown = 0;
    for (size_t h = 0; h < intent_n_hosts(intent); h++) {
        const struct intent_host *ih = intent_host_at(intent, h);
        if (host && strcmp(ih->name, host)) {
            continue;
        }
        for (size_t b = 0; b < ih->n_bridges; b++) {
            const struct intent_bridge *br = &ih->bridges[b];
            if ((bridge && strcmp(br->name, bridge))
                || (v && !vm_uses_bridge(v, br))) {
                continue;
            }
            struct flowset fs;
            flowset_init(&fs);
            bool connected = compile_bridge(mgr, intent, br, &fs);
            ds_put_format(s, "# %s/%s (datapath %016"PRIx64")%s\n",
                          ih->name, br->name, br->datapath_id,
                          connected ? ""
                          : ": not connected, port numbers assumed");
            if (v) {
                flowset_format_filtered(&fs, pipeline_cookie_vm(v),
                                        PIPELINE_COOKIE_OBJECT_MASK, NULL, s);
            } else if (pol) {
                struct flowset sel;
                select_policy_flows(&fs, pol, &sel);
                flowset_format(&sel, s);
                flowset_destroy(&sel);
            } else {
                flowset_format(&fs, s);
            }
            flowset_destroy(&fs);
            n_shown++;
        }
    }
    if (!n_shown) {
        ds_put_format(s, "no bridge matches");
        return false;
    }
    return true;
}

/* Appends to 's', per bridge of the current or the 'next' intent, the flow
 * difference that making 'next' current would send. */
void
switchmgr_format_plan(const struct switchmgr *mgr, const struct intent *next,
                      struct ds *s)
{
    size_t total = 0;
    /* Bridges of 'next', against what they have now. */
    for (size_t h = 0; h < intent_n_hosts(next); h++) {
        const struct intent_host *ih = intent_host_at(next, h);
        for (size_t b = 0; b < ih->n_bridges; b++) {
            const struct intent_bridge *br = &ih->bridges[b];
            const struct swconn *conn = find_ready(mgr, br->datapath_id);
            struct flowset cur, new;
            flowset_init(&cur);
            flowset_init(&new);
            compile_bridge(mgr, next, br, &new);
            const struct intent_bridge *old = mgr->intent
                ? intent_find_bridge_by_dpid(mgr->intent, br->datapath_id)
                : NULL;
            if (conn) {
                flowset_clone(&cur, flowsync_desired(conn->sync));
            } else if (old) {
                compile_bridge(mgr, mgr->intent, old, &cur);
            }
            struct flowset_diff d;
            flowset_diff(&cur, &new, &d);
            ds_put_format(s, "# %s/%s (datapath %016"PRIx64"): %"PRIuSIZE
                          " added, %"PRIuSIZE" removed, %"PRIuSIZE
                          " modified flows; %"PRIuSIZE" added, %"PRIuSIZE
                          " removed, %"PRIuSIZE" modified groups%s\n",
                          ih->name, br->name, br->datapath_id,
                          d.n_add_flows, d.n_del_flows, d.n_mod_flows,
                          d.n_add_groups, d.n_del_groups, d.n_mod_groups,
                          !old ? " (new bridge)"
                          : !conn ? " (not connected)" : "");
            if (conn) {
                format_missing_ports(conn, br, s);
            }
            flowsync_format_diff(&d, s);
            total += d.n_add_flows + d.n_del_flows + d.n_mod_flows
                     + d.n_add_groups + d.n_del_groups + d.n_mod_groups;
            flowset_diff_destroy(&d);
            flowset_destroy(&cur);
            flowset_destroy(&new);
        }
    }
    /* Bridges that 'next' drops. */
    for (size_t h = 0; mgr->intent && h < intent_n_hosts(mgr->intent); h++) {
        const struct intent_host *ih = intent_host_at(mgr->intent, h);
        for (size_t b = 0; b < ih->n_bridges; b++) {
            const struct intent_bridge *br = &ih->bridges[b];
            if (!intent_find_bridge_by_dpid(next, br->datapath_id)) {
                ds_put_format(s, "# %s/%s (datapath %016"PRIx64"): removed "
                              "from the intent; a connected switch gets a "
                              "drop-everything table 0\n", ih->name,
                              br->name, br->datapath_id);
                total++;
            }
        }
    }
    ds_put_format(s, "total changes: %"PRIuSIZE"\n", total);
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

void
switchmgr_get_live(const struct switchmgr *mgr, struct diagram_live *live)
{
    const struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        const struct ofsession *ses = conn->session;
        if (!ofsession_is_ready(ses)) {
            continue;
        }
        uint64_t dpid = ofsession_dpid(ses);
        diagram_live_add_switch(live, dpid,
                                conn->sync && flowsync_in_sync(conn->sync));
        size_t n;
        struct ofputil_phy_port *ports = ofsession_ports(ses, &n);
        for (size_t i = 0; i < n; i++) {
            diagram_live_add_port(live, dpid, ports[i].name,
                                  ofsession_port_is_live(&ports[i]));
        }
        free(ports);
    }
}

/* At most this many port or bridge names in a line of the status summary;
 * "status --ports" lists them all. */
#define STATUS_MAX_NAMES 5

/* Totals over the switches a status shows. */
struct status_totals {
    size_t n_switches;          /* Ready sessions shown. */
    size_t n_in_sync;
    size_t n_unconnected;       /* Bridges of the intent with no switch. */
    size_t n_unconnected_ports; /* Ports the intent puts on those. */
    size_t n_expected;          /* Ports the intent puts on their bridges. */
    size_t n_known;             /* Of those, ports the switches have. */
    size_t n_down;              /* Of those, ports not live. */
    size_t n_flows;             /* Installed. */
    size_t n_groups;
};

/* Appends to 's' the line "  N WHAT: a, b, c" for the 'names', at most
 * STATUS_MAX_NAMES of them unless 'all'; nothing if 'names' is empty. */
static void
format_name_list(const struct svec *names, const char *what, bool all,
                 struct ds *s)
{
    if (!names->n) {
        return;
    }
    ds_put_format(s, "  %"PRIuSIZE" %s%s: ", names->n,
                  names->n == 1 ? "port" : "ports", what);
    size_t n = all ? names->n : MIN(names->n, STATUS_MAX_NAMES);
    for (size_t i = 0; i < n; i++) {
        ds_put_format(s, "%s%s", i ? ", " : "", names->names[i]);
    }
    if (n < names->n) {
        ds_put_cstr(s, ", ... (status --ports for all)");
    }
    ds_put_char(s, '\n');
}

/* Appends the detail of 'conn' to 's': its session, hit-log meter, sync
 * and every port ("status --ports"). */
static void
format_conn(const struct switchmgr *mgr, const struct swconn *conn,
            struct ds *s)
{
    const struct ofsession *ses = conn->session;
    long long int age = (now_ms(mgr) - ofsession_connected_at(ses)) / 1000;

    if (!ofsession_is_ready(ses)) {
        ds_put_format(s, "connection %s: handshaking, %llds\n",
                      ofsession_peer(ses), age);
        return;
    }
    uint64_t dpid = ofsession_dpid(ses);
    const struct intent_bridge *br
        = mgr->intent ? intent_find_bridge_by_dpid(mgr->intent, dpid) : NULL;
    ds_put_format(s, "switch %016"PRIx64": ", dpid);
    if (br) {
        ds_put_format(s, "host %s bridge %s\n", br->host->name, br->name);
    } else {
        ds_put_cstr(s, "not in the intent\n");
    }
    const struct ofsession_stats *st = ofsession_stats(ses);
    ds_put_format(s, "  peer: %s", ofsession_peer(ses));
    if (transport_peer_name(conn->transport)) {
        ds_put_format(s, ", certificate \"%s\"",
                      transport_peer_name(conn->transport));
    }
    ds_put_format(s, ", connected %llds, messages rx %"PRIu64" tx %"PRIu64
                  ", errors %"PRIu64"\n", age, st->rx_msgs, st->tx_msgs,
                  st->errors_received);
    polmon_format_switch(mgr->polmon, ses, s);
    if (conn->sync) {
        const struct flowsync_stats *fst = flowsync_stats(conn->sync);
        ds_put_format(s, "  sync: %s, flows installed %"PRIuSIZE", groups "
                      "installed %"PRIuSIZE", flow mods sent %"PRIu64
                      ", bundles %"PRIu64" ok %"PRIu64" failed, foreign "
                      "flows deleted %"PRIu64"\n",
                      flowsync_state(conn->sync),
                      flowset_n_flows(flowsync_installed(conn->sync)),
                      flowset_n_groups(flowsync_installed(conn->sync)),
                      fst->flow_mods_sent, fst->bundles_ok,
                      fst->bundles_failed, fst->foreign_flows_deleted);
        if (fst->bundles_ok) {
            ds_put_format(s, "  last sync: %llds ago, %"PRIu64" changes, "
                          "%lld ms to barrier reply\n",
                          (long long int) time(NULL)
                          - fst->last_sync_ms / 1000,
                          fst->last_sync_size, fst->last_sync_latency_ms);
        }
    }

    size_t n;
    struct ofputil_phy_port *ports = ofsession_ports(ses, &n);
    ds_put_format(s, "  ports: %"PRIuSIZE"\n", n);
    for (size_t i = 0; i < n; i++) {
        ds_put_cstr(s, "    ");
        ofputil_format_port(ports[i].port_no, NULL, s);
        ds_put_format(s, " %s %s\n", ports[i].name,
                      ofsession_port_is_live(&ports[i]) ? "up" : "down");
    }
    free(ports);
}

/* Appends the summary of the ready switch of 'conn' (bridge 'br' of the
 * intent, or NULL) to 's': one line, then at most two lines naming a few
 * ports of the intent that it lacks or that are down (all of them if
 * 'all'); adds its figures to 't'. */
static void
format_conn_summary(const struct switchmgr *mgr, const struct swconn *conn,
                    const struct intent_bridge *br, bool all,
                    struct status_totals *t, struct ds *s)
{
    const struct ofsession *ses = conn->session;
    long long int age = (now_ms(mgr) - ofsession_connected_at(ses)) / 1000;

    ds_put_format(s, "switch %016"PRIx64": ", ofsession_dpid(ses));
    if (br) {
        ds_put_format(s, "host %s bridge %s", br->host->name, br->name);
    } else {
        ds_put_cstr(s, "not in the intent");
    }
    ds_put_format(s, ", connected %llds, sync: %s", age,
                  conn->sync ? flowsync_state(conn->sync) : "not started");
    t->n_switches++;
    if (conn->sync && flowsync_in_sync(conn->sync)) {
        t->n_in_sync++;
    }

    struct svec missing = SVEC_EMPTY_INITIALIZER;
    struct svec down = SVEC_EMPTY_INITIALIZER;
    if (br) {
        struct svec names = SVEC_EMPTY_INITIALIZER;
        bridge_port_names(br, &names);
        for (size_t i = 0; i < names.n; i++) {
            const struct ofputil_phy_port *p
                = ofsession_find_port(ses, names.names[i]);
            if (!p) {
                svec_add(&missing, names.names[i]);
            } else if (!ofsession_port_is_live(p)) {
                svec_add(&down, names.names[i]);
            }
        }
        size_t known = names.n - missing.n;
        ds_put_format(s, ", ports %"PRIuSIZE"/%"PRIuSIZE, known, names.n);
        t->n_expected += names.n;
        t->n_known += known;
        t->n_down += down.n;
        svec_destroy(&names);
    } else {
        size_t n;
        free(ofsession_ports(ses, &n));
        ds_put_format(s, ", %"PRIuSIZE" ports on the switch", n);
    }
    if (conn->sync) {
        const struct flowset *inst = flowsync_installed(conn->sync);
        const struct flowsync_stats *fst = flowsync_stats(conn->sync);
        ds_put_format(s, ", flows installed %"PRIuSIZE", groups installed %"
                      PRIuSIZE, flowset_n_flows(inst),
                      flowset_n_groups(inst));
        t->n_flows += flowset_n_flows(inst);
        t->n_groups += flowset_n_groups(inst);
        if (fst->bundles_ok) {
            ds_put_format(s, ", last sync %lld ms",
                          fst->last_sync_latency_ms);
        }
    }
    ds_put_char(s, '\n');
    format_name_list(&missing, " not on the switch yet", all, s);
    format_name_list(&down, " down", all, s);
    svec_destroy(&missing);
    svec_destroy(&down);
}

/* Returns the bridge of the intent that the ready switch of 'conn' is, or
 * NULL. */
static const struct intent_bridge *
conn_bridge(const struct switchmgr *mgr, const struct swconn *conn)
{
    return (mgr->intent
            ? intent_find_bridge_by_dpid(mgr->intent,
                                         ofsession_dpid(conn->session))
            : NULL);
}

/* True if bridge 'br' (NULL: not in the intent) passes the filters of
 * 'opts'. */
static bool
status_selects(const struct switchmgr_status_opts *opts,
               const struct intent_bridge *br)
{
    if (!opts->host && !opts->bridge) {
        return true;
    }
    return (br
            && (!opts->host || !strcmp(br->host->name, opts->host))
            && (!opts->bridge || !strcmp(br->name, opts->bridge)));
}

/* Checks the filters of 'opts' against the intent; returns false with an
 * error in 's' if one names no host or bridge of it. */
static bool
status_check_filters(const struct switchmgr *mgr,
                     const struct switchmgr_status_opts *opts, struct ds *s)
{
    if (!opts->host && !opts->bridge) {
        return true;
    }
    if (!mgr->intent) {
        ds_put_cstr(s, "no intent loaded: --host and --bridge select the "
                    "intent's hosts and bridges");
        return false;
    }
    if (opts->host && !intent_find_host(mgr->intent, opts->host)) {
        ds_put_format(s, "unknown host \"%s\"", opts->host);
        return false;
    }
    if (opts->bridge) {
        for (size_t h = 0; h < intent_n_hosts(mgr->intent); h++) {
            const struct intent_host *ih = intent_host_at(mgr->intent, h);
            if (opts->host && strcmp(ih->name, opts->host)) {
                continue;
            }
            for (size_t b = 0; b < ih->n_bridges; b++) {
                if (!strcmp(ih->bridges[b].name, opts->bridge)) {
                    return true;
                }
            }
        }
        if (opts->host) {
            ds_put_format(s, "host \"%s\" has no bridge \"%s\"", opts->host,
                          opts->bridge);
        } else {
            ds_put_format(s, "unknown bridge \"%s\"", opts->bridge);
        }
        return false;
    }
    return true;
}

/* Appends to 's' the bridges of the intent selected by 'opts' that no
 * switch is connected for: with 'opts->ports' one line each, else one line
 * naming a few.  Adds their number and expected ports to 't'. */
static void
format_unconnected(const struct switchmgr *mgr,
                   const struct switchmgr_status_opts *opts,
                   struct status_totals *t, struct ds *s)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    for (size_t h = 0; mgr->intent && h < intent_n_hosts(mgr->intent); h++) {
        const struct intent_host *ih = intent_host_at(mgr->intent, h);
        for (size_t b = 0; b < ih->n_bridges; b++) {
            const struct intent_bridge *br = &ih->bridges[b];
            if (!status_selects(opts, br)
                || find_ready(mgr, br->datapath_id)) {
                continue;
            }
            struct svec ports = SVEC_EMPTY_INITIALIZER;
            bridge_port_names(br, &ports);
            t->n_unconnected_ports += ports.n;
            if (opts->ports) {
                ds_put_format(s, "bridge %s/%s (datapath %016"PRIx64"): not "
                              "connected, %"PRIuSIZE" ports expected\n",
                              ih->name, br->name, br->datapath_id, ports.n);
            }
            svec_destroy(&ports);
            svec_add_nocopy(&names, xasprintf("%s/%s", ih->name, br->name));
        }
    }
    t->n_unconnected = names.n;
    if (names.n && !opts->ports) {
        ds_put_format(s, "%"PRIuSIZE" %s of the intent not connected: ",
                      names.n, names.n == 1 ? "bridge" : "bridges");
        size_t n = MIN(names.n, STATUS_MAX_NAMES);
        for (size_t i = 0; i < n; i++) {
            ds_put_format(s, "%s%s", i ? ", " : "", names.names[i]);
        }
        if (n < names.n) {
            ds_put_cstr(s, ", ... (status --ports for all)");
        }
        ds_put_char(s, '\n');
    }
    svec_destroy(&names);
}

bool
switchmgr_format_status(const struct switchmgr *mgr,
                        const struct switchmgr_status_opts *opts,
                        struct ds *s)
{
    if (!status_check_filters(mgr, opts, s)) {
        return false;
    }
    bool filtered = opts->host || opts->bridge;
    struct status_totals t;
    memset(&t, 0, sizeof t);
    const struct swconn *conn;
    size_t n = 0;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        bool ready = ofsession_is_ready(conn->session);
        const struct intent_bridge *br = ready ? conn_bridge(mgr, conn) : NULL;
        if (filtered && (!ready || !status_selects(opts, br))) {
            continue;
        }
        if (opts->ports) {
            format_conn(mgr, conn, s);
            if (ready) {
                /* The same figures for the totals line; and the ports of
                 * the intent it lacks or that are down, all of them. */
                struct ds ignore = DS_EMPTY_INITIALIZER;
                format_conn_summary(mgr, conn, br, true, &t, &ignore);
                ds_destroy(&ignore);
                if (br) {
                    format_missing_ports(conn, br, s);
                }
            }
        } else if (ready) {
            format_conn_summary(mgr, conn, br, false, &t, s);
        } else {
            format_conn(mgr, conn, s);
        }
        n++;
    }
    if (!n) {
        ds_put_cstr(s, filtered ? "no matching switch connected\n"
                    : "no switches connected\n");
    }
    format_unconnected(mgr, opts, &t, s);
    ds_put_format(s, "total: %"PRIuSIZE" %s connected, %"PRIuSIZE" in sync, %"
                  PRIuSIZE" %s of the intent not connected (%"PRIuSIZE
                  " ports); ports %"PRIuSIZE"/%"PRIuSIZE", %"PRIuSIZE
                  " not on the switch yet, %"PRIuSIZE" down; flows installed %"
                  PRIuSIZE", groups installed %"PRIuSIZE"\n",
                  t.n_switches, t.n_switches == 1 ? "switch" : "switches",
                  t.n_in_sync, t.n_unconnected,
                  t.n_unconnected == 1 ? "bridge" : "bridges",
                  t.n_unconnected_ports,
                  t.n_known, t.n_expected, t.n_expected - t.n_known,
                  t.n_down, t.n_flows, t.n_groups);
    polmon_format_status(mgr->polmon, s);
    uint64_t flow_mods, group_mods;
    switchmgr_get_totals(mgr, &flow_mods, &group_mods);
    ds_put_format(s, "flow mods sent since start: %"PRIu64", group mods: %"
                  PRIu64"\n", flow_mods, group_mods);
    return true;
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
                         aux, now_ms(mgr));
    free(sessions);
    LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
        swconn_flush(conn);
    }
}

/* Fills 'sw' with the state and counters of the ready switch 'conn'. */
static void
fill_switch_metrics(const struct swconn *conn, struct metrics_switch *sw)
{
    const struct flowset *installed = flowsync_installed(conn->sync);
    const struct flowsync_stats *st = flowsync_stats(conn->sync);
    sw->connected = true;
    sw->in_sync = flowsync_in_sync(conn->sync);
    const struct flowset_flow *f;
    HMAP_FOR_EACH (f, node, &installed->flows) {
        sw->flows_per_table[f->table_id]++;
    }
    sw->groups = flowset_n_groups(installed);
    sw->flow_mods_sent = st->flow_mods_sent;
    sw->group_mods_sent = st->group_mods_sent;
    sw->bundles_ok = st->bundles_ok;
    sw->bundles_failed = st->bundles_failed;
    sw->rereads = st->rereads;
    sw->drift_flows = st->drift_flows;
    sw->drift_groups = st->drift_groups;
    sw->foreign_flows_deleted = st->foreign_flows_deleted;
    metrics_histogram_destroy(&sw->sync_latency);
    metrics_histogram_clone(&sw->sync_latency, &conn->sync_latency);
}

/* Returns the counters of port 'port_no' from the last statistics poll of
 * 'conn', or NULL. */
static const struct port_counters *
find_port_counters(const struct swconn *conn, ofp_port_t port_no)
{
    for (size_t i = 0; i < conn->n_ports; i++) {
        if (conn->ports[i].port_no == port_no) {
            return &conn->ports[i];
        }
    }
    return NULL;
}

static void
add_rule_metrics(const char *policy, const char *direction, const char *rule,
                 const char *verdict, uint64_t packets, uint64_t bytes,
                 void *snap)
{
    struct metrics_rule *r = metrics_add_rule(snap, policy, direction, rule,
                                              verdict);
    r->packets = packets;
    r->bytes = bytes;
}

/* Adds to 'snap' the bridge 'br': its switch, its uplink members, and the
 * port counters of its VM NICs (connected switches only). */
static void
add_bridge_metrics(const struct switchmgr *mgr,
                   const struct intent_bridge *br,
                   struct metrics_snapshot *snap)
{
    const struct swconn *conn = find_ready(mgr, br->datapath_id);
    const char *host = br->host->name;
    struct metrics_switch *sw = metrics_add_switch(snap, br->datapath_id,
                                                   host, br->name);
    if (conn) {
        fill_switch_metrics(conn, sw);
    }
    for (size_t i = 0; i < br->uplink.n_members; i++) {
        const char *member = br->uplink.members[i];
        struct metrics_bond_member *m
            = metrics_add_member(snap, host, br->name, br->uplink.name,
                                 member);
        const struct ofputil_phy_port *pp
            = conn ? ofsession_find_port(conn->session, member) : NULL;
        m->up = pp && ofsession_port_is_live(pp);
    }
    for (size_t i = 0; conn && i < br->n_nics; i++) {
        const struct intent_nic *nic = br->nics[i];
        const struct ofputil_phy_port *pp
            = ofsession_find_port(conn->session, nic->port);
        const struct port_counters *pc
            = pp ? find_port_counters(conn, pp->port_no) : NULL;
        if (pc) {
            struct metrics_nic *mn = metrics_add_nic(snap, nic->vm->name,
                                                     nic->port, host,
                                                     br->name);
            mn->rx_packets = pc->rx_packets;
            mn->tx_packets = pc->tx_packets;
            mn->rx_bytes = pc->rx_bytes;
            mn->tx_bytes = pc->tx_bytes;
            mn->rx_dropped = pc->rx_dropped;
            mn->tx_dropped = pc->tx_dropped;
        }
    }
}

/* Adds to 'snap' the switches (every bridge of the intent, connected or
 * not, then connected switches the intent does not name), their uplink
 * members, the port counters of VM NICs and the policy rule counters, the
 * last two from the last statistics poll (switchmgr_set_stats_interval()).
 */
void
switchmgr_get_metrics(const struct switchmgr *mgr,
                      struct metrics_snapshot *snap)
{
    const struct intent *intent = mgr->intent;
    for (size_t h = 0; intent && h < intent_n_hosts(intent); h++) {
        const struct intent_host *ih = intent_host_at(intent, h);
        for (size_t b = 0; b < ih->n_bridges; b++) {
            add_bridge_metrics(mgr, &ih->bridges[b], snap);
        }
    }
    struct polstats *policies = polstats_create();
    const struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        if (!conn->sync || !ofsession_is_ready(conn->session)) {
            continue;
        }
        uint64_t dpid = ofsession_dpid(conn->session);
        if (!intent || !intent_find_bridge_by_dpid(intent, dpid)) {
            fill_switch_metrics(conn, metrics_add_switch(snap, dpid, "",
                                                         ""));
        }
        if (conn->policies) {
            polstats_merge(policies, conn->policies);
        }
    }
    if (intent) {
        polstats_for_each_row(policies, intent, add_rule_metrics, snap);
    }
    polstats_destroy(policies);
}
