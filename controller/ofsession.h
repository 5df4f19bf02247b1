/*
 * The OpenFlow 1.3 protocol side of one switch connection, with no socket.
 *
 * Bytes the switch sent go in with ofsession_receive(); messages for the
 * switch come out of a bounded transmit queue that the owner drains with
 * ofsession_tx_front() and ofsession_tx_consume(); the owner passes the
 * time in, so timeouts are testable.  The session does the handshake
 * (HELLO with version bitmap, FEATURES, SET_CONFIG, port description),
 * answers echo requests, probes an idle switch with its own echoes, keeps
 * the port table current from PORT_STATUS, logs ERROR messages with their
 * meaning (except those its owner said it expects), and answers unknown
 * messages with OFPBRC_BAD_TYPE.  Everything
 * else is handed to the owner through the 'message' hook.
 *
 * A session that decides the connection is unusable becomes dead: it keeps
 * the reason (ofsession_error()) and whatever it still wants to send (for
 * example a HELLO_FAILED error); the owner flushes what it can and closes.
 */
#ifndef CONTROLLER_OFSESSION_H
#define CONTROLLER_OFSESSION_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/types.h"
#include "openvswitch/ofp-port.h"

struct ofpbuf;
struct ofsession;

struct ofsession_hooks {
    /* The handshake finished: DPID and ports are known. */
    void (*ready)(struct ofsession *, void *aux);
    /* A PORT_STATUS changed the port table (after 'ready' only). */
    void (*port_changed)(struct ofsession *, void *aux);
    /* Any other message after 'ready' (barrier and multipart replies,
     * errors, bundle replies).  'oh' is valid during the call only. */
    void (*message)(struct ofsession *, enum ofptype,
                    const struct ofp_header *oh, void *aux);
};

struct ofsession_config {
    long long int probe_interval_ms;    /* Idle time before an echo. */
    long long int inactivity_ms;        /* Silence that kills the session. */
    long long int handshake_ms;         /* Time allowed for the handshake. */
    long long int stall_ms;             /* Time a partial message or a
                                         * blocked transmit queue may last. */
    size_t max_queue_bytes;             /* Transmit queue bound. */
};

void ofsession_config_default(struct ofsession_config *);

struct ofsession *ofsession_create(const char *peer,
                                   const struct ofsession_hooks *, void *aux,
                                   const struct ofsession_config *,
                                   long long int now);
void ofsession_destroy(struct ofsession *);

void ofsession_receive(struct ofsession *, const void *data, size_t n,
                       long long int now);
void ofsession_run(struct ofsession *, long long int now);
/* Tells 's' whether its owner stopped reading the peer ('paused'), e.g.
 * because too much is queued for it.  While paused, the peer's silence
 * and a half-received message do not count against it (its bytes wait
 * unread on our side); on resume at 'now' both clocks start again. */
void ofsession_set_rx_paused(struct ofsession *, bool paused,
                             long long int now);

/* Queues 'msg' (taking ownership).  Returns false, and kills the session,
 * if the transmit queue would exceed its bound. */
bool ofsession_send(struct ofsession *, struct ofpbuf *msg);
/* Returns true if 'n' more bytes fit in the transmit queue. */
bool ofsession_can_queue(const struct ofsession *, size_t n);

/* The bytes to write next ('*n' of them), or NULL if the queue is empty. */
const void *ofsession_tx_front(const struct ofsession *, size_t *n);
/* Fills up to 'max' entries of 'iov' with the queued bytes, in order, and
 * returns how many it filled. */
struct iovec;
size_t ofsession_tx_iov(const struct ofsession *, struct iovec *iov,
                        size_t max);
/* Records that 'n' bytes from the front were written at 'now'. */
void ofsession_tx_consume(struct ofsession *, size_t n, long long int now);
size_t ofsession_tx_bytes(const struct ofsession *);

/* Says that the switch may refuse the request with 'xid' and that the
 * owner deals with it: an ERROR for 'xid' still goes to the 'message'
 * hook, but is neither logged as a warning nor counted in
 * 'errors_received'.  The session remembers the last
 * OFSESSION_QUIET_XIDS such xids. */
#define OFSESSION_QUIET_XIDS 8
void ofsession_quiet_errors(struct ofsession *, ovs_be32 xid);

bool ofsession_is_ready(const struct ofsession *);
bool ofsession_is_dead(const struct ofsession *);
const char *ofsession_error(const struct ofsession *);
/* Kills the session with the reason 'format', ... */
void ofsession_kill(struct ofsession *, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

const char *ofsession_peer(const struct ofsession *);
uint64_t ofsession_dpid(const struct ofsession *);
uint8_t ofsession_n_tables(const struct ofsession *);
long long int ofsession_connected_at(const struct ofsession *);

/* The switch's ports, sorted by port number, in a new array the caller
 * frees; '*n' gets the count. */
struct ofputil_phy_port *ofsession_ports(const struct ofsession *,
                                         size_t *n);
const struct ofputil_phy_port *ofsession_find_port(const struct ofsession *,
                                                   const char *name);
bool ofsession_port_is_live(const struct ofputil_phy_port *);

/* Counters. */
struct ofsession_stats {
    uint64_t rx_msgs, tx_msgs;
    uint64_t errors_received;
    uint64_t bad_type_replies;
};
const struct ofsession_stats *ofsession_stats(const struct ofsession *);

#endif /* controller/ofsession.h */
