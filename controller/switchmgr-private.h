/*
 * Internals of the switch manager, shared by the controller/switchmgr*.c
 * files and by nothing else (not installed).  Other code uses
 * controller/switchmgr.h.
 *
 * Files, one concern each:
 *   switchmgr.c        switch connections (listeners, TLS, accept, limits,
 *                      sessions, read and write events, close), per-switch
 *                      compile and flow sync, announcements, the
 *                      statistics poll, policy statistics requests
 *   switchmgr-views.c  read-only views of the manager's state: the flows,
 *                      plan and status texts, the live state for diagrams,
 *                      the metrics snapshot
 *   switchmgr-explain.c  the "explain" view: a packet through the desired
 *                      flows of the bridges on its path
 *   switchmgr-roles.c  OpenFlow roles when several instances share the
 *                      switches (docs/ha.md): role requests, replies,
 *                      role status, and which switches this one masters
 */
#ifndef CONTROLLER_SWITCHMGR_PRIVATE_H
#define CONTROLLER_SWITCHMGR_PRIVATE_H 1

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/metrics.h"
#include "controller/ofsession.h"
#include "openvswitch/list.h"
#include "openvswitch/types.h"
#include "sset.h"

struct flowset;
struct flowsync;
struct intent;
struct lacp;
struct intent_bridge;
struct polmon;
struct polstats;
struct portmap;
struct stream_tls;
struct swconn_poll;
struct transport;

/* This instance's OpenFlow role on one switch (switchmgr-roles.c).  With
 * roles off, every connection is SWCONN_EQUAL (OpenFlow's default: full
 * access), and its flow sync starts when the handshake ends.  With roles
 * on, a connection syncs only while SWCONN_MASTER. */
enum swconn_role {
    SWCONN_EQUAL,               /* Roles off. */
    SWCONN_PROBING,             /* Asked the switch's generation ID. */
    SWCONN_UNASSIGNED,          /* Knows it; no role asked yet. */
    SWCONN_SLAVE_ASKED,
    SWCONN_SLAVE,
    SWCONN_MASTER_ASKED,
    SWCONN_MASTER,
};

struct swconn {
    struct ovs_list node;       /* In 'mgr->conns'. */
    struct switchmgr *mgr;
    struct transport *transport;
    ev_io io;
    struct ofsession *session;
    struct flowsync *sync;      /* Once the session is ready. */
    bool ports_changed;         /* A PORT_STATUS awaits its recompile. */
    long long int ports_compiled_ms;    /* Last recompile for ports. */
    ev_timer ports_timer;       /* Runs while a port recompile waits. */
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
    struct lacp *lacp;          /* The bridge's LACP uplink, or NULL. */

    /* Roles (switchmgr-roles.c). */
    enum swconn_role role;
    ovs_be32 role_xid;          /* Of the role request in flight. */
    uint64_t switch_generation; /* The switch's generation ID, as last
                                 * learned (0 if it has none). */
    uint64_t role_generation;   /* Of the last role granted. */
    long long int role_since_ms;    /* When 'role' last changed. */
    long long int claim_after_ms;   /* No master request before this. */
    uint64_t n_demotions;       /* Times another instance took over. */
};

/* The counters of one port, from a port statistics reply. */
struct port_counters {
    ofp_port_t port_no;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_dropped, tx_dropped;
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
    bool roles;                 /* Several instances: OpenFlow roles. */
    /* The flows full compiles of 'intent' share (pipeline_compile_memo()),
     * kept while switches are being compiled: released when 'intent'
     * changes and after a quiet second ('memo_timer'). */
    struct pipeline_memo *memo;
    ev_timer memo_timer;
};

/* Starts the flow sync of 'conn' (its handshake is done and, with roles
 * on, it is master): the hit-log meter, the read-back, the first compile. */
void switchmgr_conn_start_sync(struct swconn *conn);
/* Stops the flow sync of 'conn' (another instance is master now): nothing
 * more is written to the switch. */
void switchmgr_conn_stop_sync(struct swconn *conn);
/* Sends what is queued for 'conn'; returns false if it closed. */
bool switchmgr_conn_flush(struct swconn *conn);

/* Connection handling (switchmgr.c) for the compile code: checks that
 * 'conn''s certificate may claim 'dpid' (kills its session if not), and
 * closes a connection whose session died (true if it did). */
bool switchmgr_conn_may_claim(struct swconn *conn, uint64_t dpid);
bool switchmgr_conn_reap(struct swconn *conn);

/* Compile orchestration (switchmgr-compile.c). */
/* Fills 'pm' with the ports 'conn''s switch reported and the LACP state of
 * its uplink members. */
void switchmgr_conn_portmap(const struct swconn *conn, struct portmap *pm);
/* Recompiles 'conn''s desired flows in full and starts sending the
 * difference. */
void switchmgr_conn_compile(struct swconn *conn);
/* Sets up and tears down 'mgr''s memo of shared flows. */
void switchmgr_memo_init(struct switchmgr *mgr);
void switchmgr_memo_release(struct switchmgr *mgr);
/* Recompiles 'conn' for the PORT_STATUS messages received since the last
 * time, coalesced; the timer callback of 'conn->ports_timer'. */
void switchmgr_conn_ports_changed(struct swconn *conn);
void switchmgr_conn_ports_timer_cb(struct ev_loop *, ev_timer *,
                                   int revents);
/* Runs 'conn''s LACP actor; true if a member's forwarding state changed
 * (the bridge needs a recompile). */
bool switchmgr_conn_lacp_run(struct swconn *conn, long long int now);
/* Offers packet-in 'oh' to 'conn''s LACP actor; true if it was a
 * slow-protocol frame. */
bool switchmgr_conn_lacp_packet_in(struct swconn *conn,
                                   const struct ofp_header *oh,
                                   long long int now);
/* Once 'conn' is in sync, announces the VM NICs that became active on its
 * bridge; and the same check on every switch but 'except'. */
void switchmgr_conn_announce(struct swconn *conn);
void switchmgr_recheck_announcements(struct switchmgr *,
                                     const struct swconn *except);

/* Roles (switchmgr-roles.c).  Called when the handshake of 'conn' ends,
 * with roles on: asks the switch's generation ID. */
void switchmgr_roles_ready(struct swconn *conn);
/* Offers 'oh' to the roles code: role replies, role status, errors for
 * role requests and "is slave" errors.  True if it was the roles code's. */
bool switchmgr_roles_handle(struct swconn *conn, enum ofptype type,
                            const struct ofp_header *oh);
/* A short name for 'role' ("master", "slave", ...). */
const char *switchmgr_role_name(enum swconn_role role);

/* Returns the event loop's current time, in milliseconds. */
long long int switchmgr_now_ms(const struct switchmgr *);

/* Returns the connection of the switch with datapath ID 'dpid' that
 * finished its handshake (synced or not: with roles, a slave), or NULL. */
const struct swconn *switchmgr_find_session(const struct switchmgr *,
                                            uint64_t dpid);

/* Returns the connection of the ready switch with datapath ID 'dpid' whose
 * flow sync has started, or NULL. */
const struct swconn *switchmgr_find_ready(const struct switchmgr *,
                                          uint64_t dpid);

/* Compiles 'br' of 'intent' into 'out' with the ports of its connected
 * switch, or assumed ports if it is not connected; returns true if
 * connected. */
bool switchmgr_compile_bridge(const struct switchmgr *,
                              const struct intent *,
                              const struct intent_bridge *,
                              struct flowset *out);

/* The ports of 'br''s switch (or assumed ones, if it is not connected)
 * into '*pm' (to destroy), and the desired flows held for it, or NULL. */
const struct flowset *switchmgr_bridge_desired(const struct switchmgr *,
                                               const struct intent_bridge *,
                                               struct portmap *pm);

#endif /* controller/switchmgr-private.h */
