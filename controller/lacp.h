/*
 * LACP (IEEE 802.1AX, formerly 802.3ad) for one uplink bond of one switch.
 *
 * The controller is the actor: one 'struct lacp' per LACP bond, one
 * member per bond port.  Each member runs a receive machine (current,
 * expired, defaulted: a partner is current for 3 s (fast) or 90 s (slow)
 * after its last LACPDU, then expired for 3 s, then forgotten), selection
 * (a member is selected when its link is up, its partner is current and
 * aggregatable, and the partner's system and key are the aggregator's: the
 * partner of the first such member in bond order), mux (a selected member
 * is in sync; it collects and distributes once the partner says it is in
 * sync with us too) and periodic transmission (every 1 s if the partner
 * asks for fast, every 30 s if slow, and at once on any change, at most 3
 * per second).
 *
 * Pure: no I/O, no clock.  The time comes in as an argument (ms); LACPDUs
 * come in as bytes (lacp_process_pdu()) and go out through a callback
 * (lacp_run()) as whole Ethernet frames.
 *
 * Restart rule: during the grace period after lacp_create() (one receive
 * timeout: 3 s fast, 90 s slow), a member with link up whose partner was
 * not heard yet is assumed to have a partner in sync: it counts as
 * selected, collecting and distributing, and its LACPDUs say so (sync,
 * collecting, distributing).  So a restarted controller neither tells the
 * partner to detach nor compiles the fallback over a working aggregation
 * before it had a chance to hear the partner.  A member's first LACPDU
 * ends its grace; a member still unheard at the end of the grace period
 * is defaulted.
 */
#ifndef CONTROLLER_LACP_H
#define CONTROLLER_LACP_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct ds;

/* Length of an LACPDU after the Ethernet header. */
#define LACP_PDU_LEN 110

/* Actor and partner state bits (802.1AX 6.4.2.3). */
#define LACP_STATE_ACTIVITY     0x01
#define LACP_STATE_TIMEOUT      0x02    /* Short (fast) timeout. */
#define LACP_STATE_AGGREGATION  0x04
#define LACP_STATE_SYNC         0x08
#define LACP_STATE_COLLECTING   0x10
#define LACP_STATE_DISTRIBUTING 0x20
#define LACP_STATE_DEFAULTED    0x40
#define LACP_STATE_EXPIRED      0x80

/* Timers, in milliseconds. */
#define LACP_FAST_PERIOD_MS 1000
#define LACP_SLOW_PERIOD_MS 30000
#define LACP_SHORT_TIMEOUT_MS 3000
#define LACP_LONG_TIMEOUT_MS 90000

/* One side of an LACPDU: an actor or partner information TLV. */
struct lacp_info {
    uint16_t sys_priority;
    struct eth_addr sys_id;
    uint16_t key;
    uint16_t port_priority;
    uint16_t port;
    uint8_t state;
};

/* A parsed LACPDU. */
struct lacp_pdu {
    struct lacp_info actor;
    struct lacp_info partner;
    uint16_t collector_max_delay;
};

/* Why lacp_pdu_parse() refused a frame. */
enum lacp_parse_result {
    LACP_PARSE_OK,
    LACP_PARSE_NOT_LACP,        /* Another slow protocol (e.g. marker). */
    LACP_PARSE_BAD,             /* Malformed LACPDU. */
};

enum lacp_parse_result lacp_pdu_parse(const void *pdu, size_t len,
                                      struct lacp_pdu *, const char **why);
void lacp_pdu_build(const struct lacp_pdu *, uint8_t pdu[LACP_PDU_LEN]);
void lacp_format_state(uint8_t state, struct ds *);

/* What the actor presents. */
struct lacp_settings {
    const char *name;           /* Bond name, for logs and status. */
    struct eth_addr sys_id;
    uint16_t sys_priority;
    uint16_t key;
    bool fast;                  /* Ask the partner for fast LACPDUs (and
                                 * time it out after 3 s). */
};

/* Receive machine state of a member. */
enum lacp_rx_state {
    LACP_RX_GRACE,              /* Not heard yet, restart grace period. */
    LACP_RX_CURRENT,
    LACP_RX_EXPIRED,
    LACP_RX_DEFAULTED,
};

const char *lacp_rx_state_name(enum lacp_rx_state);

/* What a member forwards, for the pipeline (portmap_set_lacp()). */
struct lacp_member_status {
    bool partner;               /* Partner current, or assumed in the
                                 * grace period (not timed out). */
    bool collecting;
    bool distributing;
};

/* Sends 'frame' ('len' bytes, a whole Ethernet frame) on member 'port'. */
typedef void lacp_send_cb(ofp_port_t port, const void *frame, size_t len,
                          void *aux);

struct lacp;

struct lacp *lacp_create(const struct lacp_settings *, long long int now);
void lacp_destroy(struct lacp *);
const char *lacp_name(const struct lacp *);
bool lacp_settings_equal(const struct lacp *, const struct lacp_settings *);

/* Adds member 'name' (or updates it) with OpenFlow port 'port', link state
 * 'live' and Ethernet address 'mac' (the LACPDUs' source); 'order' is its
 * position in the bond (the aggregator is chosen in that order). */
void lacp_member_set(struct lacp *, const char *name, unsigned int order,
                     ofp_port_t port, bool live, struct eth_addr mac,
                     long long int now);
/* Removes the members not set since the last lacp_members_begin(). */
void lacp_members_begin(struct lacp *);
void lacp_members_end(struct lacp *, long long int now);

/* Processes the slow-protocol payload 'pdu' ('len' bytes after the
 * Ethernet header) received on 'port'.  Returns the parse result; '*why'
 * says what was wrong with a bad one.  More than 10 LACPDUs a second on a
 * member are dropped as bad. */
enum lacp_parse_result lacp_process_pdu(struct lacp *, ofp_port_t port,
                                        const void *pdu, size_t len,
                                        long long int now,
                                        const char **why);

/* Runs timers and selection at 'now', sends the LACPDUs due through 'cb'.
 * Returns true if the forwarding state of some member (partner,
 * collecting, distributing) changed since the last call that returned
 * true: the bridge must be recompiled. */
bool lacp_run(struct lacp *, long long int now, lacp_send_cb *, void *aux);

bool lacp_member_status(const struct lacp *, const char *name,
                        struct lacp_member_status *);

/* A member's LACP as metrics show it. */
struct lacp_member_info {
    enum lacp_rx_state rx;
    struct lacp_member_status status;
    uint64_t rx_pdus, tx_pdus;
};
bool lacp_member_info(const struct lacp *, const char *name,
                      struct lacp_member_info *);
/* True if no member has a partner. */
bool lacp_in_fallback(const struct lacp *);

/* Counters. */
struct lacp_stats {
    uint64_t rx_pdus, tx_pdus, rx_bad, rx_other;
};
const struct lacp_stats *lacp_stats(const struct lacp *);

/* Appends one line per member to 's', each starting with 'indent'. */
void lacp_format_status(const struct lacp *, const char *indent,
                        struct ds *s);

#endif /* controller/lacp.h */
