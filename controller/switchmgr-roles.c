/*
 * OpenFlow 1.3 roles, for several flowchaind instances sharing the
 * switches (docs/ha.md).  See switchmgr-private.h.
 *
 * Each switch connects to every instance.  With roles on, a connection
 * that finished its handshake first asks the switch's current generation
 * ID (a role request with role "no change"), then:
 *   - on a switch this instance should not master, it asks to be slave,
 *     with the switch's own generation ID (so a slave never raises it);
 *   - on a switch it should master, its owner (flowchaind) takes a new
 *     generation ID from the database, higher than every one seen, and
 *     switchmgr_claim_masters() asks to be master with it.  The switch
 *     demotes the previous master, which learns it from a role status
 *     message (or, failing that, an "is slave" error) and stops writing.
 * Only a master has a flow sync: a slave sends no flow, group or meter
 * modification, bundle or packet-out.  A request refused as stale (a newer
 * master exists) makes the connection ask the generation ID again and
 * wait CLAIM_HOLDDOWN_MS before claiming, so that two instances that
 * briefly disagree about who is live do not take a switch from each other
 * in a loop.
 */
#include <config.h>
#include "controller/switchmgr.h"

#include <inttypes.h>
#include <string.h>
#include "byte-order.h"
#include "controller/flowsync.h"
#include "controller/switchmgr-private.h"
#include "openflow/openflow-1.2.h"
#include "openvswitch/ofp-connection.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(switchmgr_roles);

/* After another instance took a switch, or a request was stale, this
 * instance waits this long before it claims that switch. */
#define CLAIM_HOLDDOWN_MS 500

const char *
switchmgr_role_name(enum swconn_role role)
{
    switch (role) {
    case SWCONN_EQUAL: return "equal";
    case SWCONN_PROBING: return "asking generation";
    case SWCONN_UNASSIGNED: return "unassigned";
    case SWCONN_SLAVE_ASKED: return "slave requested";
    case SWCONN_SLAVE: return "slave";
    case SWCONN_MASTER_ASKED: return "master requested";
    case SWCONN_MASTER: return "master";
    }
    return "?";
}

static void
set_role(struct swconn *conn, enum swconn_role role)
{
    conn->role = role;
    conn->role_since_ms = switchmgr_now_ms(conn->mgr);
}

/* Sends a role request for 'role' with 'generation' to 'conn' and moves it
 * to 'next'. */
static void
send_role_request(struct swconn *conn, enum ofp12_controller_role role,
                  uint64_t generation, enum swconn_role next)
{
    struct ofpbuf *msg = ofpraw_alloc(OFPRAW_OFPT12_ROLE_REQUEST,
                                      OFP13_VERSION, 0);
    struct ofp12_role_request *rr = ofpbuf_put_zeros(msg, sizeof *rr);
    rr->role = htonl(role);
    rr->generation_id = htonll(generation);
    ofpmsg_update_length(msg);
    conn->role_xid = ((const struct ofp_header *) msg->data)->xid;
    /* A stale request is expected now and then: ours to deal with. */
    ofsession_quiet_errors(conn->session, conn->role_xid);
    set_role(conn, next);
    ofsession_send(conn->session, msg);
}

void
switchmgr_roles_ready(struct swconn *conn)
{
    conn->switch_generation = 0;
    conn->claim_after_ms = 0;
    send_role_request(conn, OFPCR12_ROLE_NOCHANGE, 0, SWCONN_PROBING);
}

/* Another instance is master of 'conn''s switch now (with 'generation', if
 * known): stop writing to it. */
static void
demote(struct swconn *conn, uint64_t generation, const char *how)
{
    uint64_t dpid = ofsession_dpid(conn->session);
    VLOG_WARN("switch %016"PRIx64": %s (generation %"PRIu64"); this "
              "instance is slave now", dpid, how, generation);
    switchmgr_conn_stop_sync(conn);
    if (generation > conn->switch_generation) {
        conn->switch_generation = generation;
    }
    conn->role_xid = 0;
    conn->n_demotions++;
    conn->claim_after_ms = switchmgr_now_ms(conn->mgr) + CLAIM_HOLDDOWN_MS;
    set_role(conn, SWCONN_SLAVE);
}

static void
handle_role_reply(struct swconn *conn, const struct ofp_header *oh)
{
    uint64_t dpid = ofsession_dpid(conn->session);
    if (!conn->role_xid || oh->xid != conn->role_xid) {
        return;                 /* A reply we no longer wait for. */
    }
    conn->role_xid = 0;
    struct ofputil_role_request rr;
    enum ofperr error = ofputil_decode_role_message(oh, &rr);
    if (error) {
        VLOG_WARN("switch %016"PRIx64": bad role reply: %s", dpid,
                  ofperr_to_string(error));
        conn->claim_after_ms = switchmgr_now_ms(conn->mgr)
                               + CLAIM_HOLDDOWN_MS;
        set_role(conn, SWCONN_UNASSIGNED);
        return;
    }
    if (rr.have_generation_id
        && (int64_t) (rr.generation_id - conn->switch_generation) > 0) {
        conn->switch_generation = rr.generation_id;
    }
    enum swconn_role asked = conn->role;
    if (asked == SWCONN_MASTER_ASKED && rr.role == OFPCR12_ROLE_PRIMARY) {
        conn->role_generation = rr.generation_id;
        VLOG_INFO("switch %016"PRIx64": this instance is master "
                  "(generation %"PRIu64")", dpid, rr.generation_id);
        set_role(conn, SWCONN_MASTER);
        switchmgr_conn_start_sync(conn);
    } else if (asked == SWCONN_SLAVE_ASKED
               && rr.role == OFPCR12_ROLE_SECONDARY) {
        conn->role_generation = rr.generation_id;
        VLOG_INFO("switch %016"PRIx64": this instance is slave "
                  "(generation %"PRIu64")", dpid, rr.generation_id);
        set_role(conn, SWCONN_SLAVE);
    } else {
        /* The answer to "no change", or a role other than the one asked:
         * decide again. */
        set_role(conn, SWCONN_UNASSIGNED);
    }
}

static void
handle_role_status(struct swconn *conn, const struct ofp_header *oh)
{
    struct ofputil_role_status rs;
    if (ofputil_decode_role_status(oh, &rs)) {
        return;
    }
    if (rs.role == OFPCR12_ROLE_SECONDARY
        && (conn->role == SWCONN_MASTER || conn->role == SWCONN_MASTER_ASKED
            || conn->role == SWCONN_EQUAL)) {
        demote(conn, rs.generation_id, "another instance became master");
    }
}

/* Handles an error for the role request in flight, or an "is slave" error
 * for anything else.  Returns true if the error was the roles code's. */
static bool
handle_error(struct swconn *conn, const struct ofp_header *oh)
{
    uint64_t dpid = ofsession_dpid(conn->session);
    enum ofperr error = ofperr_decode_msg(oh, NULL);
    long long int now = switchmgr_now_ms(conn->mgr);
    if (conn->role_xid && oh->xid == conn->role_xid) {
        conn->role_xid = 0;
        conn->claim_after_ms = now + CLAIM_HOLDDOWN_MS;
        if (error == OFPERR_OFPRRFC_STALE) {
            VLOG_INFO("switch %016"PRIx64": role request (%s) refused: its "
                      "generation is stale (another controller claimed the "
                      "switch since); asking the switch's generation again",
                      dpid, switchmgr_role_name(conn->role));
        } else {
            VLOG_WARN("switch %016"PRIx64": role request (%s) refused: %s",
                      dpid, switchmgr_role_name(conn->role),
                      ofperr_to_string(error));
        }
        send_role_request(conn, OFPCR12_ROLE_NOCHANGE, 0, SWCONN_PROBING);
        return true;
    }
    if (error == OFPERR_OFPBRC_IS_SECONDARY) {
        if (conn->role == SWCONN_MASTER) {
            demote(conn, conn->switch_generation,
                   "the switch refused a change: this instance is not "
                   "master any more");
        }
        return true;
    }
    return false;
}

bool
switchmgr_roles_handle(struct swconn *conn, enum ofptype type,
                       const struct ofp_header *oh)
{
    if (!conn->mgr->roles) {
        return false;
    }
    switch (type) {
    case OFPTYPE_ROLE_REPLY:
        handle_role_reply(conn, oh);
        return true;
    case OFPTYPE_ROLE_STATUS:
        handle_role_status(conn, oh);
        return true;
    case OFPTYPE_ERROR:
        return handle_error(conn, oh);
    default:
        return false;
    }
}

/* Turns roles on: from now on, switches are synced only by the instance
 * that masters them.  Call before any switch connects. */
void
switchmgr_enable_roles(struct switchmgr *mgr)
{
    mgr->roles = true;
}

static bool
conn_settled(const struct swconn *conn)
{
    return (ofsession_is_ready(conn->session)
            && !ofsession_is_dead(conn->session)
            && (conn->role == SWCONN_UNASSIGNED
                || conn->role == SWCONN_SLAVE
                || conn->role == SWCONN_MASTER));
}

bool
switchmgr_update_roles(struct switchmgr *mgr, switchmgr_is_mine_func *is_mine,
                       void *aux, uint64_t *floorp)
{
    long long int now = switchmgr_now_ms(mgr);
    bool need = false;
    uint64_t floor = 0;
    struct swconn *conn;
    LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
        if (!mgr->roles || !conn_settled(conn)) {
            continue;
        }
        uint64_t dpid = ofsession_dpid(conn->session);
        if (is_mine(dpid, aux)) {
            if (conn->role != SWCONN_MASTER && now >= conn->claim_after_ms) {
                need = true;
                floor = MAX(floor, conn->switch_generation);
            }
        } else if (conn->role != SWCONN_SLAVE) {
            if (conn->role == SWCONN_MASTER) {
                VLOG_INFO("switch %016"PRIx64": assigned to another "
                          "instance now: becoming slave", dpid);
                switchmgr_conn_stop_sync(conn);
            }
            send_role_request(conn, OFPCR12_ROLE_SECONDARY,
                              conn->switch_generation, SWCONN_SLAVE_ASKED);
            switchmgr_conn_flush(conn);
        }
    }
    *floorp = floor;
    return need;
}

void
switchmgr_claim_masters(struct switchmgr *mgr,
                        switchmgr_is_mine_func *is_mine, void *aux,
                        uint64_t generation, size_t max)
{
    long long int now = switchmgr_now_ms(mgr);
    size_t n = 0;
    struct swconn *conn;
    LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
        if (n >= max) {
            break;
        }
        if (!mgr->roles || !conn_settled(conn)
            || conn->role == SWCONN_MASTER || now < conn->claim_after_ms
            || (int64_t) (generation - conn->switch_generation) <= 0
            || !is_mine(ofsession_dpid(conn->session), aux)) {
            continue;
        }
        send_role_request(conn, OFPCR12_ROLE_PRIMARY, generation,
                          SWCONN_MASTER_ASKED);
        switchmgr_conn_flush(conn);
        n++;
    }
}

void
switchmgr_get_role_counts(const struct switchmgr *mgr,
                          struct switchmgr_role_counts *c)
{
    memset(c, 0, sizeof *c);
    const struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        if (!ofsession_is_ready(conn->session)) {
            continue;
        }
        switch (conn->role) {
        case SWCONN_MASTER:
            c->master++;
            c->master_in_sync += conn->sync && flowsync_in_sync(conn->sync);
            break;
        case SWCONN_SLAVE:
            c->slave++;
            break;
        case SWCONN_EQUAL:
            c->equal++;
            break;
        case SWCONN_PROBING:
        case SWCONN_UNASSIGNED:
        case SWCONN_SLAVE_ASKED:
        case SWCONN_MASTER_ASKED:
            c->pending++;
            break;
        }
        c->demotions += conn->n_demotions;
    }
}
