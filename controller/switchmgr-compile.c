/*
 * What each connected switch should hold, and bringing it there: the
 * compile orchestration of the switch manager.  Compiles a switch's bridge
 * from the intent and the ports it reported (in full, or patched for an
 * intent change that touches only VMs and policies: pipelines/delta.c),
 * recompiles on port changes (coalesced), runs the LACP actor of an LACP
 * uplink, and announces VMs that became active on a bridge.  Connection
 * handling is in switchmgr.c, the views (status, flows, plan) in
 * switchmgr-views.c.
 */
#include <config.h>
#include "controller/switchmgr.h"

#include <inttypes.h>
#include <stdlib.h>
#include "controller/announce.h"
#include "controller/flowsync.h"
#include "controller/lacp.h"
#include "controller/ofsession.h"
#include "controller/switchmgr-private.h"
#include "models/intent.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "flow.h"
#include "packets.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(switchmgr_compile);

/* Port events recompile a bridge at most once per this interval; the
 * first one after a quiet interval at once
 * (switchmgr_conn_ports_changed()). */
#define PORT_COMPILE_INTERVAL_MS 50

/* Fills 'pm' with the ports the switch of 'conn' reported, and the LACP
 * state of its uplink members. */
void
switchmgr_conn_portmap(const struct swconn *conn, struct portmap *pm)
{
    size_t n;
    struct ofputil_phy_port *ports = ofsession_ports(conn->session, &n);
    portmap_init(pm);
    for (size_t i = 0; i < n; i++) {
        portmap_set(pm, ports[i].name, ports[i].port_no,
                    ofsession_port_is_live(&ports[i]));
        struct lacp_member_status st;
        if (conn->lacp
            && lacp_member_status(conn->lacp, ports[i].name, &st)) {
            portmap_set_lacp(pm, ports[i].name, st.partner, st.collecting,
                             st.distributing);
        }
    }
    free(ports);
}

/* Returns the LACP system ID of the bridge with datapath ID 'dpid': its
 * low 48 bits, as a locally administered unicast address, so that a
 * restarted controller presents the same identity. */
static struct eth_addr
lacp_system_id(uint64_t dpid)
{
    struct eth_addr ea;
    for (int i = 0; i < ETH_ADDR_LEN; i++) {
        ea.ea[i] = dpid >> (8 * (ETH_ADDR_LEN - 1 - i));
    }
    ea.ea[0] = (ea.ea[0] & ~0x01) | 0x02;
    return ea;
}

/* Sends LACPDU 'frame' out of member 'port' of the switch of 'conn_'
 * (lacp_send_cb). */
static void
swconn_lacp_send(ofp_port_t port, const void *frame, size_t len,
                 void *conn_)
{
    struct swconn *conn = conn_;
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    ofpact_put_OUTPUT(&ofpacts)->port = port;

    struct ofputil_packet_out po = {
        .packet = frame,
        .packet_len = len,
        .buffer_id = UINT32_MAX,
        .ofpacts = ofpacts.data,
        .ofpacts_len = ofpacts.size,
    };
    match_init_catchall(&po.flow_metadata);
    match_set_in_port(&po.flow_metadata, OFPP_CONTROLLER);
    ofsession_send(conn->session, ofputil_encode_packet_out(
                       &po, ofputil_protocol_from_ofp_version(
                           OFP13_VERSION)));
    ofpbuf_uninit(&ofpacts);
}

/* Makes the LACP actor of 'conn' match the intent (created, replaced if
 * its settings changed, destroyed if the uplink is no LACP bond) and its
 * members the switch's ports. */
static void
swconn_lacp_update(struct swconn *conn, const struct intent_bridge *br,
                   long long int now)
{
    if (!br || br->uplink.mode != INTENT_BOND_LACP) {
        lacp_destroy(conn->lacp);
        conn->lacp = NULL;
        return;
    }

    const struct intent_uplink *up = &br->uplink;
    struct lacp_settings settings = {
        .name = up->name,
        .sys_id = lacp_system_id(br->datapath_id),
        .sys_priority = up->lacp_system_priority,
        .key = up->lacp_key,
        .fast = up->lacp_rate == INTENT_LACP_FAST,
    };
    if (conn->lacp && !lacp_settings_equal(conn->lacp, &settings)) {
        VLOG_INFO("%s: LACP settings of %s changed: restarting LACP",
                  ofsession_peer(conn->session), up->name);
        lacp_destroy(conn->lacp);
        conn->lacp = NULL;
    }
    if (!conn->lacp) {
        conn->lacp = lacp_create(&settings, now);
    }

    lacp_members_begin(conn->lacp);
    for (size_t i = 0; i < up->n_members; i++) {
        const struct ofputil_phy_port *pp
            = ofsession_find_port(conn->session, up->members[i]);
        if (pp) {
            lacp_member_set(conn->lacp, up->members[i], i, pp->port_no,
                            ofsession_port_is_live(pp), pp->hw_addr, now);
        }
    }
    lacp_members_end(conn->lacp, now);
}

/* Runs the LACP actor of 'conn', if any, at 'now'.  Returns true if the
 * forwarding state of a member changed: the bridge needs a recompile. */
bool
switchmgr_conn_lacp_run(struct swconn *conn, long long int now)
{
    if (!conn->lacp) {
        return false;
    }
    bool was_fallback = lacp_in_fallback(conn->lacp);
    bool changed = lacp_run(conn->lacp, now, swconn_lacp_send, conn);
    bool fallback = lacp_in_fallback(conn->lacp);
    if (fallback != was_fallback) {
        VLOG_WARN("%s: switch %016"PRIx64": LACP bond %s %s",
                  ofsession_peer(conn->session),
                  ofsession_dpid(conn->session),
                  lacp_name(conn->lacp),
                  fallback ? "has no partner: fallback"
                           : "has a partner: aggregated");
    }
    return changed;
}

/* Offers packet-in 'oh' to the LACP actor of 'conn'.  Returns true if it
 * was a slow-protocol frame (handled or dropped here). */
bool
switchmgr_conn_lacp_packet_in(struct swconn *conn, const struct ofp_header *oh,
                      long long int now)
{
    struct ofputil_packet_in pin;
    size_t total_len;
    uint32_t buffer_id;
    if (ofputil_decode_packet_in(oh, true, NULL, NULL, &pin, &total_len,
                                 &buffer_id, NULL)) {
        return false;
    }
    const uint8_t *p = pin.packet;
    if (pin.packet_len < ETH_HEADER_LEN
        || ((p[12] << 8) | p[13]) != ETH_TYPE_LACP) {
        return false;
    }

    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    uint16_t port = ofp_to_u16(pin.flow_metadata.flow.in_port.ofp_port);
    uint64_t dpid = ofsession_dpid(conn->session);
    if (!conn->lacp) {
        VLOG_WARN_RL(&rl, "switch %016"PRIx64" port %"PRIu16": dropped a "
                     "slow-protocol frame: the bridge has no LACP uplink",
                     dpid, port);
        return true;
    }
    const char *why;
    enum lacp_parse_result r = lacp_process_pdu(
        conn->lacp, pin.flow_metadata.flow.in_port.ofp_port,
        p + ETH_HEADER_LEN, pin.packet_len - ETH_HEADER_LEN, now, &why);
    if (r == LACP_PARSE_BAD) {
        VLOG_WARN_RL(&rl, "switch %016"PRIx64" port %"PRIu16": dropped a "
                     "bad LACPDU (%s)", dpid, port, why);
    } else if (r == LACP_PARSE_NOT_LACP && why) {
        VLOG_DBG_RL(&rl, "switch %016"PRIx64" port %"PRIu16": ignored an "
                    "LACPDU (%s)", dpid, port, why);
    }
    if (switchmgr_conn_lacp_run(conn, now)) {
        switchmgr_conn_compile(conn);
    }
    return true;
}

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
    const struct swconn *src = switchmgr_find_ready(mgr,
                                                    nic->bridge->datapath_id);
    return src && !ofsession_find_port(src->session, nic->port);
}

/* Once 'conn' is in sync, sends a gratuitous ARP for each VM NIC that
 * became active on its bridge since the last time it was in sync (a VM
 * that arrived by live migration), so that the physical network learns
 * its new place at once.  The NICs active at the first sync of a
 * connection are only recorded: a controller restart announces nothing. */
void
switchmgr_conn_announce(struct swconn *conn)
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
 * (switchmgr_conn_announce()), and runs it on those in sync. */
void
switchmgr_recheck_announcements(struct switchmgr *mgr, const struct swconn *except)
{
    struct swconn *c;
    LIST_FOR_EACH_SAFE (c, node, &mgr->conns) {
        if (c != except && c->sync && ofsession_is_ready(c->session)) {
            c->announce_due = true;
            switchmgr_conn_announce(c);
            switchmgr_conn_flush(c);
        }
    }
}

/* After a new desired set for 'conn' (compiled or patched): starts its sync
 * and has what becomes active announced once it is in sync. */
static void
swconn_desired_changed(struct swconn *conn)
{
    conn->announce_due = true;
    flowsync_run(conn->sync, conn->session, switchmgr_now_ms(conn->mgr));
    switchmgr_conn_announce(conn);
}

/* How long a memo of shared flows is kept after its last use, in seconds:
 * long enough for the switches that connect together (B5, a restart) to
 * share it, short enough that an idle daemon holds no second reference to
 * its policy flows. */
#define MEMO_KEEP_SECONDS 1.0

static void
memo_timer_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *t,
              int revents OVS_UNUSED)
{
    switchmgr_memo_release(t->data);
}

/* Initializes 'mgr''s memo (none yet) and its timer. */
void
switchmgr_memo_init(struct switchmgr *mgr)
{
    mgr->memo = NULL;
    ev_timer_init(&mgr->memo_timer, memo_timer_cb, 0.0, MEMO_KEEP_SECONDS);
    mgr->memo_timer.data = mgr;
}

/* Frees 'mgr''s memo, if any (the flows stay in the sets that hold
 * them). */
void
switchmgr_memo_release(struct switchmgr *mgr)
{
    ev_timer_stop(mgr->loop, &mgr->memo_timer);
    pipeline_memo_destroy(mgr->memo);
    mgr->memo = NULL;
}

/* Returns the memo for a full compile of 'mgr''s intent, made if needed,
 * and keeps it for MEMO_KEEP_SECONDS more. */
static struct pipeline_memo *
switchmgr_memo(struct switchmgr *mgr)
{
    if (!mgr->memo) {
        mgr->memo = pipeline_memo_create(mgr->intent);
    }
    ovs_assert(pipeline_memo_intent(mgr->memo) == mgr->intent);
    ev_timer_again(mgr->loop, &mgr->memo_timer);
    return mgr->memo;
}

/* Recompiles the desired flows of 'conn' from the intent and its ports and
 * sends the difference, if any. */
void
switchmgr_conn_compile(struct swconn *conn)
{
    struct switchmgr *mgr = conn->mgr;
    uint64_t dpid = ofsession_dpid(conn->session);
    const struct intent_bridge *br
        = mgr->intent ? intent_find_bridge_by_dpid(mgr->intent, dpid) : NULL;
    struct flowset desired;
    flowset_init(&desired);
    long long int now = switchmgr_now_ms(mgr);
    swconn_lacp_update(conn, br, now);
    switchmgr_conn_lacp_run(conn, now);
    if (br) {
        struct portmap pm;
        switchmgr_conn_portmap(conn, &pm);
        pipeline_compile_memo(mgr->intent, br, &pm, switchmgr_memo(mgr),
                              &desired);
        portmap_destroy(&pm);
    } else {
        pipeline_compile_unknown(&desired);
    }
    flowsync_set_desired(conn->sync, &desired);
    flowset_destroy(&desired);
    swconn_desired_changed(conn);
}

/* Recompiles 'conn''s bridge for the PORT_STATUS messages received since
 * the last time.  Port events are coalesced: the first one recompiles at
 * once (a bond failover is not delayed), and later ones wait until
 * PORT_COMPILE_INTERVAL_MS have passed since that recompile, so a burst of
 * port messages (30 ports added in one transaction arrive about 1 ms
 * apart) costs a few recompiles, not one each. */
void
switchmgr_conn_ports_changed(struct swconn *conn)
{
    if (!conn->ports_changed || !conn->sync
        || !ofsession_is_ready(conn->session)
        || ev_is_active(&conn->ports_timer)) {
        return;
    }
    struct switchmgr *mgr = conn->mgr;
    long long int now = switchmgr_now_ms(mgr);
    long long int wait = (conn->ports_compiled_ms + PORT_COMPILE_INTERVAL_MS
                          - now);
    if (conn->ports_compiled_ms && wait > 0) {
        ev_timer_set(&conn->ports_timer, wait / 1000.0, 0.0);
        ev_timer_start(mgr->loop, &conn->ports_timer);
        return;
    }
    conn->ports_changed = false;
    conn->ports_compiled_ms = now;
    VLOG_DBG("%s: ports changed: recompiling", ofsession_peer(conn->session));
    switchmgr_conn_compile(conn);
    /* A port that left this switch may complete a live migration to
     * another one: re-check what they announce. */
    switchmgr_recheck_announcements(mgr, conn);
}

void
switchmgr_conn_ports_timer_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *t,
                      int revents OVS_UNUSED)
{
    struct swconn *conn = t->data;
    switchmgr_conn_ports_changed(conn);
    switchmgr_conn_flush(conn);
}

/* Patches the desired flows of 'conn' for the change 'delta' from 'old'
 * (the intent its desired set was compiled from, with the same ports) to
 * 'new': compiles only the flows 'delta' touches, from both, and swaps
 * them (pipeline_compile_partial(), flowsync_patch_desired()).  Returns
 * false, changing nothing, when that cannot be done: the bridge is new or
 * gone, a port change waits for its recompile, or the switch is not idle
 * and in sync; the caller then compiles in full. */
static bool
swconn_patch(struct swconn *conn, const struct intent *old,
             const struct intent *new, const struct pipeline_delta *delta)
{
    uint64_t dpid = ofsession_dpid(conn->session);
    const struct intent_bridge *old_br = intent_find_bridge_by_dpid(old,
                                                                    dpid);
    const struct intent_bridge *new_br = intent_find_bridge_by_dpid(new,
                                                                    dpid);
    if (!old_br || !new_br || conn->ports_changed) {
        return false;
    }

    struct portmap pm;
    struct flowset old_flows, new_flows;
    flowset_init(&old_flows);
    flowset_init(&new_flows);
    switchmgr_conn_portmap(conn, &pm);
    pipeline_compile_partial(old, old_br, &pm, delta, &old_flows);
    pipeline_compile_partial(new, new_br, &pm, delta, &new_flows);
    portmap_destroy(&pm);
    bool ok = flowsync_patch_desired(conn->sync, &old_flows, &new_flows);
    VLOG_DBG("%s: %s: %"PRIuSIZE" flows out, %"PRIuSIZE" in",
             ofsession_peer(conn->session),
             ok ? "patched" : "cannot patch (full compile)",
             flowset_n_flows(&old_flows), flowset_n_flows(&new_flows));
    flowset_destroy(&old_flows);
    flowset_destroy(&new_flows);
    if (ok) {
        swconn_desired_changed(conn);
    }
    return ok;
}

/* Makes 'intent' current and brings every ready switch to it; only those
 * whose flows changed are sent anything.  When the running intent and
 * 'intent' differ only in VMs and policies (pipelines/delta.c), each
 * switch in sync gets only the flows of what changed recompiled; the
 * others are compiled in full. */
void
switchmgr_set_intent(struct switchmgr *mgr, const struct intent *intent)
{
    const struct intent *old = mgr->intent;
    long long int start = time_msec();
    struct pipeline_delta *delta = (old && intent
                                    ? pipeline_delta_create(old, intent)
                                    : NULL);
    size_t n_patched = 0, n_full = 0;

    switchmgr_memo_release(mgr);    /* It serves 'old'. */
    mgr->intent = intent;
    struct swconn *conn;
    LIST_FOR_EACH_SAFE (conn, node, &mgr->conns) {
        if (ofsession_is_ready(conn->session)
            && !switchmgr_conn_may_claim(conn, ofsession_dpid(conn->session))) {
            /* The new intent moved or removed what its certificate
             * names. */
            switchmgr_conn_reap(conn);
            continue;
        }
        if (conn->sync && ofsession_is_ready(conn->session)) {
            if (delta && swconn_patch(conn, old, intent, delta)) {
                n_patched++;
            } else {
                switchmgr_conn_compile(conn);
                n_full++;
            }
            switchmgr_conn_flush(conn);
        }
    }
    if (delta) {
        size_t n_vms, n_policies;
        pipeline_delta_count(delta, &n_vms, &n_policies);
        VLOG_INFO("intent change: %"PRIuSIZE" VMs and %"PRIuSIZE" policies "
                  "touched; %"PRIuSIZE" switches patched, %"PRIuSIZE
                  " compiled in full, in %lld ms", n_vms, n_policies,
                  n_patched, n_full, time_msec() - start);
    } else if (old && intent) {
        VLOG_INFO("intent change: networks, hosts or the order of policies "
                  "changed; %"PRIuSIZE" switches compiled in full, in %lld "
                  "ms", n_full, time_msec() - start);
    }
    pipeline_delta_destroy(delta);
}

/* Compiles 'br' of 'intent' into 'out' with the ports of its connected
 * switch, or assumed ports if it is not connected; returns true if
 * connected. */
bool
switchmgr_compile_bridge(const struct switchmgr *mgr,
                         const struct intent *intent,
                         const struct intent_bridge *br, struct flowset *out)
{
    const struct swconn *conn = switchmgr_find_ready(mgr, br->datapath_id);
    struct portmap pm;
    if (conn) {
        switchmgr_conn_portmap(conn, &pm);
    } else {
        portmap_assume(&pm, br);
    }
    pipeline_compile(intent, br, &pm, out);
    portmap_destroy(&pm);
    return conn != NULL;
}

/* Sets '*pm' (to destroy) to the ports of the switch of 'br' (the bridge of
 * the current intent), or to assumed ports if it is not connected, and
 * returns the desired flow set the daemon holds for it, or NULL if it holds
 * none (not connected, or no sync yet): then the caller compiles one. */
const struct flowset *
switchmgr_bridge_desired(const struct switchmgr *mgr,
                         const struct intent_bridge *br, struct portmap *pm)
{
    const struct swconn *conn = switchmgr_find_ready(mgr, br->datapath_id);
    if (conn) {
        switchmgr_conn_portmap(conn, pm);
        return conn->sync ? flowsync_desired(conn->sync) : NULL;
    }
    portmap_assume(pm, br);
    return NULL;
}
