/* LACP actor and per-member state machines (lacp.h). */
#include <config.h>

#include "controller/lacp.h"

#include <string.h>
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "packets.h"
#include "util.h"

/* LACPDU layout, after the Ethernet header (802.1AX 6.4.2.2). */
#define LACP_SUBTYPE 1
#define LACP_VERSION 1
#define LACP_TLV_ACTOR 1
#define LACP_TLV_PARTNER 2
#define LACP_TLV_COLLECTOR 3
#define LACP_TLV_TERMINATOR 0
#define LACP_INFO_LEN 20
#define LACP_COLLECTOR_LEN 16

#define LACP_OFS_ACTOR 2
#define LACP_OFS_PARTNER 22
#define LACP_OFS_COLLECTOR 42
#define LACP_OFS_TERMINATOR 58

/* Our port priority: every member the same. */
#define LACP_PORT_PRIORITY 32768

/* A partner sends at most 3 LACPDUs a second per member (802.1AX
 * 6.4.16); more than this many in a second are dropped, so that a flood
 * cannot churn the state machines and recompile the bridge. */
#define LACP_MAX_RX_PER_SEC 10

/* At most 3 LACPDUs per second per member (802.1AX 6.4.16). */
#define LACP_MIN_TX_SPACING_MS 334

struct lacp_member {
    struct ovs_list node;       /* In 'lacp->members', by 'order'. */
    char *name;
    unsigned int order;
    ofp_port_t port;
    bool live;
    struct eth_addr mac;
    bool seen;                  /* Set since lacp_members_begin(). */

    enum lacp_rx_state rx;
    long long int rx_deadline;  /* End of CURRENT or EXPIRED. */
    struct lacp_info partner;   /* Partner's operational information. */
    bool partner_sees_us;       /* Its last LACPDU's partner TLV was our
                                 * actor information. */
    struct lacp_info partner_view;  /* That partner TLV. */
    bool check_view;            /* Compare 'partner_view' at the next run. */

    bool selected;
    struct lacp_member_status status;   /* As last computed. */
    uint8_t actor_state;        /* As last sent. */
    bool ntt;                   /* Need to transmit. */
    long long int next_tx;
    long long int last_tx;      /* LLONG_MIN if never. */
    uint64_t rx_pdus, tx_pdus;
    long long int rx_window;    /* Start of the current 1-s window. */
    unsigned int rx_in_window;  /* LACPDUs accepted in it. */
};

struct lacp {
    char *name;
    struct lacp_settings settings;  /* 'name' points to 'name'. */
    struct ovs_list members;
    long long int grace_end;
    bool changed;               /* Forwarding state changed, not reported
                                 * by lacp_run() yet. */
    bool has_aggregator;
    struct lacp_info aggregator;    /* Partner system and key. */
    struct lacp_stats stats;
};

/* ---------------------------------------------------------------------- */
/* LACPDUs. */

static uint16_t
get_be16(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}

static void
put_be16(uint8_t *p, uint16_t x)
{
    p[0] = x >> 8;
    p[1] = x;
}

/* Parses the 18 bytes of actor or partner information at 'p'. */
static void
parse_info(const uint8_t *p, struct lacp_info *info)
{
    info->sys_priority = get_be16(p);
    memcpy(info->sys_id.ea, p + 2, ETH_ADDR_LEN);
    info->key = get_be16(p + 8);
    info->port_priority = get_be16(p + 10);
    info->port = get_be16(p + 12);
    info->state = p[14];
}

/* Writes 'info' as the 18 bytes at 'p' (and 3 reserved zero bytes). */
static void
put_info(uint8_t *p, const struct lacp_info *info)
{
    put_be16(p, info->sys_priority);
    memcpy(p + 2, info->sys_id.ea, ETH_ADDR_LEN);
    put_be16(p + 8, info->key);
    put_be16(p + 10, info->port_priority);
    put_be16(p + 12, info->port);
    p[14] = info->state;
}

/* Parses the slow-protocol payload 'data' ('len' bytes, after the Ethernet
 * header) into '*pdu'.  Strict: every TLV must have its type and length,
 * and all of it must be within 'len' (trailing bytes are allowed: some
 * switches pad).  On LACP_PARSE_BAD, '*why' says what was wrong. */
enum lacp_parse_result
lacp_pdu_parse(const void *data, size_t len, struct lacp_pdu *pdu,
               const char **why)
{
    const uint8_t *p = data;

    *why = NULL;
    if (len < 1) {
        *why = "empty";
        return LACP_PARSE_BAD;
    } else if (p[0] != LACP_SUBTYPE) {
        return LACP_PARSE_NOT_LACP;
    } else if (len < LACP_PDU_LEN) {
        *why = "truncated";
        return LACP_PARSE_BAD;
    } else if (p[1] < LACP_VERSION) {
        *why = "version 0";
        return LACP_PARSE_BAD;
    } else if (p[LACP_OFS_ACTOR] != LACP_TLV_ACTOR
               || p[LACP_OFS_ACTOR + 1] != LACP_INFO_LEN) {
        *why = "bad actor TLV";
        return LACP_PARSE_BAD;
    } else if (p[LACP_OFS_PARTNER] != LACP_TLV_PARTNER
               || p[LACP_OFS_PARTNER + 1] != LACP_INFO_LEN) {
        *why = "bad partner TLV";
        return LACP_PARSE_BAD;
    } else if (p[LACP_OFS_COLLECTOR] != LACP_TLV_COLLECTOR
               || p[LACP_OFS_COLLECTOR + 1] != LACP_COLLECTOR_LEN) {
        *why = "bad collector TLV";
        return LACP_PARSE_BAD;
    } else if (p[LACP_OFS_TERMINATOR] != LACP_TLV_TERMINATOR
               || p[LACP_OFS_TERMINATOR + 1] != 0) {
        *why = "bad terminator TLV";
        return LACP_PARSE_BAD;
    }

    memset(pdu, 0, sizeof *pdu);
    parse_info(p + LACP_OFS_ACTOR + 2, &pdu->actor);
    parse_info(p + LACP_OFS_PARTNER + 2, &pdu->partner);
    pdu->collector_max_delay = get_be16(p + LACP_OFS_COLLECTOR + 2);
    if (eth_addr_is_zero(pdu->actor.sys_id)) {
        *why = "zero actor system ID";
        return LACP_PARSE_BAD;
    }
    return LACP_PARSE_OK;
}

/* Writes 'pdu' as the LACP_PDU_LEN bytes at 'out'. */
void
lacp_pdu_build(const struct lacp_pdu *pdu, uint8_t out[LACP_PDU_LEN])
{
    memset(out, 0, LACP_PDU_LEN);
    out[0] = LACP_SUBTYPE;
    out[1] = LACP_VERSION;
    out[LACP_OFS_ACTOR] = LACP_TLV_ACTOR;
    out[LACP_OFS_ACTOR + 1] = LACP_INFO_LEN;
    put_info(out + LACP_OFS_ACTOR + 2, &pdu->actor);
    out[LACP_OFS_PARTNER] = LACP_TLV_PARTNER;
    out[LACP_OFS_PARTNER + 1] = LACP_INFO_LEN;
    put_info(out + LACP_OFS_PARTNER + 2, &pdu->partner);
    out[LACP_OFS_COLLECTOR] = LACP_TLV_COLLECTOR;
    out[LACP_OFS_COLLECTOR + 1] = LACP_COLLECTOR_LEN;
    put_be16(out + LACP_OFS_COLLECTOR + 2, pdu->collector_max_delay);
    /* Terminator (type 0, length 0) and the reserved bytes: zeros. */
}

/* Appends the names of the bits of 'state' to 's', e.g.
 * "ACT,AGG,SYNC,COL,DIST", or "-" if none. */
void
lacp_format_state(uint8_t state, struct ds *s)
{
    static const char *const names[8] = {
        "ACT", "FAST", "AGG", "SYNC", "COL", "DIST", "DEF", "EXP",
    };
    bool first = true;
    for (int i = 0; i < 8; i++) {
        if (state & (1u << i)) {
            ds_put_format(s, "%s%s", first ? "" : ",", names[i]);
            first = false;
        }
    }
    if (first) {
        ds_put_char(s, '-');
    }
}

const char *
lacp_rx_state_name(enum lacp_rx_state rx)
{
    switch (rx) {
    case LACP_RX_GRACE: return "grace";
    case LACP_RX_CURRENT: return "current";
    case LACP_RX_EXPIRED: return "expired";
    case LACP_RX_DEFAULTED: return "defaulted";
    }
    OVS_NOT_REACHED();
}

/* ---------------------------------------------------------------------- */
/* State machines. */

static long long int
lacp_timeout_ms(const struct lacp *lacp)
{
    return lacp->settings.fast ? LACP_SHORT_TIMEOUT_MS : LACP_LONG_TIMEOUT_MS;
}

/* Creates the LACP actor of a bond with 'settings', starting its grace
 * period at 'now'. */
struct lacp *
lacp_create(const struct lacp_settings *settings, long long int now)
{
    struct lacp *lacp = xzalloc(sizeof *lacp);
    lacp->name = xstrdup(settings->name);
    lacp->settings = *settings;
    lacp->settings.name = lacp->name;
    ovs_list_init(&lacp->members);
    lacp->grace_end = now + lacp_timeout_ms(lacp);
    return lacp;
}

static void
lacp_member_destroy(struct lacp_member *m)
{
    ovs_list_remove(&m->node);
    free(m->name);
    free(m);
}

/* Frees 'lacp'.  Accepts NULL. */
void
lacp_destroy(struct lacp *lacp)
{
    if (lacp) {
        struct lacp_member *m;
        LIST_FOR_EACH_SAFE (m, node, &lacp->members) {
            lacp_member_destroy(m);
        }
        free(lacp->name);
        free(lacp);
    }
}

/* Returns the bond name of 'lacp'. */
const char *
lacp_name(const struct lacp *lacp)
{
    return lacp->name;
}

/* Returns true if 'lacp' presents what 'settings' says. */
bool
lacp_settings_equal(const struct lacp *lacp,
                    const struct lacp_settings *settings)
{
    const struct lacp_settings *a = &lacp->settings;
    return (!strcmp(a->name, settings->name)
            && eth_addr_equals(a->sys_id, settings->sys_id)
            && a->sys_priority == settings->sys_priority
            && a->key == settings->key
            && a->fast == settings->fast);
}

static struct lacp_member *
lacp_find_member(const struct lacp *lacp, const char *name)
{
    struct lacp_member *m;
    LIST_FOR_EACH (m, node, &lacp->members) {
        if (!strcmp(m->name, name)) {
            return m;
        }
    }
    return NULL;
}

static struct lacp_member *
lacp_find_port(const struct lacp *lacp, ofp_port_t port)
{
    struct lacp_member *m;
    LIST_FOR_EACH (m, node, &lacp->members) {
        if (m->port == port) {
            return m;
        }
    }
    return NULL;
}

/* Forgets the partner of 'm'. */
static void
lacp_member_default(struct lacp_member *m)
{
    m->rx = LACP_RX_DEFAULTED;
    memset(&m->partner, 0, sizeof m->partner);
    m->partner_sees_us = false;
    m->check_view = false;
}

void
lacp_members_begin(struct lacp *lacp)
{
    struct lacp_member *m;
    LIST_FOR_EACH (m, node, &lacp->members) {
        m->seen = false;
    }
}

void
lacp_members_end(struct lacp *lacp, long long int now OVS_UNUSED)
{
    struct lacp_member *m;
    LIST_FOR_EACH_SAFE (m, node, &lacp->members) {
        if (!m->seen) {
            lacp_member_destroy(m);
            lacp->changed = true;
        }
    }
}

void
lacp_member_set(struct lacp *lacp, const char *name, unsigned int order,
                ofp_port_t port, bool live, struct eth_addr mac,
                long long int now)
{
    struct lacp_member *m = lacp_find_member(lacp, name);
    if (!m) {
        m = xzalloc(sizeof *m);
        m->name = xstrdup(name);
        m->rx = now < lacp->grace_end ? LACP_RX_GRACE : LACP_RX_DEFAULTED;
        m->next_tx = now;
        m->last_tx = LLONG_MIN;

        struct ovs_list *before = &lacp->members;
        struct lacp_member *pos;
        LIST_FOR_EACH (pos, node, &lacp->members) {
            if (pos->order > order) {
                before = &pos->node;
                break;
            }
        }
        ovs_list_insert(before, &m->node);
        lacp->changed = true;
    }
    m->seen = true;
    m->order = order;
    if (m->port != port) {
        m->port = port;
        m->ntt = true;
    }
    m->mac = mac;
    if (m->live != live) {
        m->live = live;
        if (!live && m->rx != LACP_RX_GRACE) {
            /* What the partner said is stale on a link that went down. */
            lacp_member_default(m);
        }
        m->ntt = live;
    }
}

/* Returns the actor information that 'lacp' presents on 'm', with actor
 * state 'state'. */
static struct lacp_info
lacp_actor_info(const struct lacp *lacp, const struct lacp_member *m,
                uint8_t state)
{
    struct lacp_info info = {
        .sys_priority = lacp->settings.sys_priority,
        .sys_id = lacp->settings.sys_id,
        .key = lacp->settings.key,
        .port_priority = LACP_PORT_PRIORITY,
        .port = ofp_to_u16(m->port),
        .state = state,
    };
    return info;
}

static bool
lacp_info_equal(const struct lacp_info *a, const struct lacp_info *b)
{
    return (a->sys_priority == b->sys_priority
            && eth_addr_equals(a->sys_id, b->sys_id)
            && a->key == b->key
            && a->port_priority == b->port_priority
            && a->port == b->port
            && a->state == b->state);
}

enum lacp_parse_result
lacp_process_pdu(struct lacp *lacp, ofp_port_t port, const void *data,
                 size_t len, long long int now, const char **why)
{
    struct lacp_pdu pdu;
    enum lacp_parse_result r = lacp_pdu_parse(data, len, &pdu, why);
    if (r == LACP_PARSE_BAD) {
        lacp->stats.rx_bad++;
        return r;
    } else if (r == LACP_PARSE_NOT_LACP) {
        lacp->stats.rx_other++;
        return r;
    }

    struct lacp_member *m = lacp_find_port(lacp, port);
    if (!m) {
        lacp->stats.rx_other++;
        *why = "not on a bond member";
        return LACP_PARSE_NOT_LACP;
    }
    if (eth_addr_equals(pdu.actor.sys_id, lacp->settings.sys_id)
        && pdu.actor.sys_priority == lacp->settings.sys_priority) {
        /* Our own LACPDU, looped back to us. */
        lacp->stats.rx_bad++;
        *why = "our own LACPDU, looped back";
        return LACP_PARSE_BAD;
    }

    if (now - m->rx_window >= 1000 || now < m->rx_window) {
        m->rx_window = now;
        m->rx_in_window = 0;
    }
    if (++m->rx_in_window > LACP_MAX_RX_PER_SEC) {
        lacp->stats.rx_bad++;
        *why = "more than 10 LACPDUs in a second";
        return LACP_PARSE_BAD;
    }

    lacp->stats.rx_pdus++;
    m->rx_pdus++;
    m->rx = LACP_RX_CURRENT;
    m->rx_deadline = now + lacp_timeout_ms(lacp);
    m->partner = pdu.actor;

    /* Does the partner know us as we are?  Its sync counts only then. */
    struct lacp_info me = lacp_actor_info(lacp, m, 0);
    m->partner_sees_us
        = (pdu.partner.sys_priority == me.sys_priority
           && eth_addr_equals(pdu.partner.sys_id, me.sys_id)
           && pdu.partner.key == me.key
           && pdu.partner.port_priority == me.port_priority
           && pdu.partner.port == me.port
           && pdu.partner.state & LACP_STATE_AGGREGATION);
    m->partner_view = pdu.partner;
    m->check_view = true;
    return LACP_PARSE_OK;
}

/* Runs the timers of the receive machine of 'm'. */
static void
lacp_member_timers(struct lacp *lacp, struct lacp_member *m,
                   long long int now)
{
    switch (m->rx) {
    case LACP_RX_GRACE:
        if (now >= lacp->grace_end) {
            lacp_member_default(m);
        }
        break;
    case LACP_RX_CURRENT:
        if (now >= m->rx_deadline) {
            m->rx = LACP_RX_EXPIRED;
            m->partner.state |= LACP_STATE_TIMEOUT;
            m->partner.state &= ~LACP_STATE_SYNC;
            m->partner_sees_us = false;
            m->rx_deadline = now + LACP_SHORT_TIMEOUT_MS;
        }
        break;
    case LACP_RX_EXPIRED:
        if (now >= m->rx_deadline) {
            lacp_member_default(m);
        }
        break;
    case LACP_RX_DEFAULTED:
        break;
    }
}

/* Chooses the aggregator: the partner system and key of the first member,
 * in bond order, whose link is up and whose partner is current and
 * aggregatable. */
static void
lacp_choose_aggregator(struct lacp *lacp)
{
    struct lacp_member *m;
    lacp->has_aggregator = false;
    LIST_FOR_EACH (m, node, &lacp->members) {
        if (m->live && m->rx == LACP_RX_CURRENT
            && m->partner.state & LACP_STATE_AGGREGATION) {
            lacp->has_aggregator = true;
            lacp->aggregator = m->partner;
            return;
        }
    }
}

/* Returns true if member 'm' of 'lacp' is selected. */
static bool
lacp_member_selected(const struct lacp *lacp, const struct lacp_member *m)
{
    if (!m->live) {
        return false;
    } else if (m->rx == LACP_RX_GRACE) {
        return true;
    } else if (m->rx != LACP_RX_CURRENT || !lacp->has_aggregator
               || !(m->partner.state & LACP_STATE_AGGREGATION)) {
        return false;
    }
    const struct lacp_info *a = &lacp->aggregator;
    return (m->partner.sys_priority == a->sys_priority
            && eth_addr_equals(m->partner.sys_id, a->sys_id)
            && m->partner.key == a->key);
}

/* Returns the actor state that 'lacp' presents on 'm' now. */
static uint8_t
lacp_actor_state(const struct lacp *lacp, const struct lacp_member *m)
{
    uint8_t state = LACP_STATE_ACTIVITY | LACP_STATE_AGGREGATION;
    if (lacp->settings.fast) {
        state |= LACP_STATE_TIMEOUT;
    }
    if (m->selected) {
        state |= LACP_STATE_SYNC;
    }
    if (m->status.collecting) {
        state |= LACP_STATE_COLLECTING;
    }
    if (m->status.distributing) {
        state |= LACP_STATE_DISTRIBUTING;
    }
    if (m->rx == LACP_RX_DEFAULTED) {
        state |= LACP_STATE_DEFAULTED;
    } else if (m->rx == LACP_RX_EXPIRED) {
        state |= LACP_STATE_EXPIRED;
    }
    return state;
}

/* Sends an LACPDU on 'm' through 'cb'. */
static void
lacp_member_send(struct lacp *lacp, struct lacp_member *m, uint8_t state,
                 long long int now, lacp_send_cb *cb, void *aux)
{
    uint8_t frame[ETH_HEADER_LEN + LACP_PDU_LEN];
    struct lacp_pdu pdu = {
        .actor = lacp_actor_info(lacp, m, state),
        .partner = m->partner,
        .collector_max_delay = 0,
    };

    memcpy(frame, eth_addr_lacp.ea, ETH_ADDR_LEN);
    memcpy(frame + ETH_ADDR_LEN, m->mac.ea, ETH_ADDR_LEN);
    put_be16(frame + 2 * ETH_ADDR_LEN, ETH_TYPE_LACP);
    lacp_pdu_build(&pdu, frame + ETH_HEADER_LEN);
    cb(m->port, frame, sizeof frame, aux);

    m->actor_state = state;
    m->ntt = false;
    m->last_tx = now;
    /* Fast if the partner asks for it and, in the grace period, whatever
     * it asked before the restart. */
    long long int period = (m->rx == LACP_RX_GRACE
                            || m->partner.state & LACP_STATE_TIMEOUT
                            ? LACP_FAST_PERIOD_MS : LACP_SLOW_PERIOD_MS);
    m->next_tx = now + period;
    m->tx_pdus++;
    lacp->stats.tx_pdus++;
}

bool
lacp_run(struct lacp *lacp, long long int now, lacp_send_cb *cb, void *aux)
{
    struct lacp_member *m;

    LIST_FOR_EACH (m, node, &lacp->members) {
        lacp_member_timers(lacp, m, now);
    }
    lacp_choose_aggregator(lacp);

    LIST_FOR_EACH (m, node, &lacp->members) {
        m->selected = lacp_member_selected(lacp, m);

        struct lacp_member_status st = {
            .partner = (m->rx == LACP_RX_CURRENT
                        || (m->rx == LACP_RX_GRACE && m->live)),
        };
        st.collecting = st.distributing
            = m->selected && (m->rx == LACP_RX_GRACE
                              || (m->partner_sees_us
                                  && m->partner.state & LACP_STATE_SYNC));
        if (memcmp(&st, &m->status, sizeof st)) {
            m->status = st;
            lacp->changed = true;
        }

        uint8_t state = lacp_actor_state(lacp, m);
        if (state != m->actor_state) {
            m->ntt = true;
        }
        if (m->check_view) {
            struct lacp_info me = lacp_actor_info(lacp, m, state);
            if (!lacp_info_equal(&me, &m->partner_view)) {
                m->ntt = true;
            }
            m->check_view = false;
        }
        if (m->live && cb
            && (now >= m->next_tx
                || (m->ntt && (m->last_tx == LLONG_MIN
                               || now - m->last_tx
                                  >= LACP_MIN_TX_SPACING_MS)))) {
            lacp_member_send(lacp, m, state, now, cb, aux);
        }
    }

    bool changed = lacp->changed;
    lacp->changed = false;
    return changed;
}

bool
lacp_member_status(const struct lacp *lacp, const char *name,
                   struct lacp_member_status *st)
{
    const struct lacp_member *m = lacp_find_member(lacp, name);
    if (!m) {
        memset(st, 0, sizeof *st);
        return false;
    }
    *st = m->status;
    return true;
}

/* Fills '*info' with the state of member 'name' and returns true, or
 * returns false (zeroing '*info') if the bond has no such member. */
bool
lacp_member_info(const struct lacp *lacp, const char *name,
                 struct lacp_member_info *info)
{
    const struct lacp_member *m = lacp_find_member(lacp, name);
    if (!m) {
        memset(info, 0, sizeof *info);
        return false;
    }
    info->rx = m->rx;
    info->status = m->status;
    info->rx_pdus = m->rx_pdus;
    info->tx_pdus = m->tx_pdus;
    return true;
}

bool
lacp_in_fallback(const struct lacp *lacp)
{
    const struct lacp_member *m;
    LIST_FOR_EACH (m, node, &lacp->members) {
        if (m->status.partner) {
            return false;
        }
    }
    return true;
}

const struct lacp_stats *
lacp_stats(const struct lacp *lacp)
{
    return &lacp->stats;
}

void
lacp_format_status(const struct lacp *lacp, const char *indent,
                   struct ds *s)
{
    const struct lacp_settings *st = &lacp->settings;
    ds_put_format(s, "%slacp %s: system %"PRIu16"/"ETH_ADDR_FMT" key %"
                  PRIu16", %s rate, %s; LACPDUs rx %"PRIu64" tx %"PRIu64
                  " bad %"PRIu64"\n", indent, st->name, st->sys_priority,
                  ETH_ADDR_ARGS(st->sys_id), st->key,
                  st->fast ? "fast" : "slow",
                  lacp_in_fallback(lacp) ? "FALLBACK (no partner)"
                                         : "negotiated",
                  lacp->stats.rx_pdus, lacp->stats.tx_pdus,
                  lacp->stats.rx_bad);

    const struct lacp_member *m;
    LIST_FOR_EACH (m, node, &lacp->members) {
        ds_put_format(s, "%s  member %s (port %"PRIu16"): link %s, partner "
                      "%s, %s, %s\n", indent, m->name, ofp_to_u16(m->port),
                      m->live ? "up" : "down", lacp_rx_state_name(m->rx),
                      m->selected ? "selected" : "unselected",
                      m->status.collecting && m->status.distributing
                      ? "collecting+distributing"
                      : m->status.collecting ? "collecting"
                      : m->status.distributing ? "distributing"
                      : "not forwarding");
        ds_put_format(s, "%s    actor state ", indent);
        lacp_format_state(lacp_actor_state(lacp, m), s);
        ds_put_format(s, "; partner %"PRIu16"/"ETH_ADDR_FMT" key %"PRIu16
                      " port %"PRIu16" state ", m->partner.sys_priority,
                      ETH_ADDR_ARGS(m->partner.sys_id), m->partner.key,
                      m->partner.port);
        lacp_format_state(m->partner.state, s);
        ds_put_format(s, "; rx %"PRIu64" tx %"PRIu64"\n", m->rx_pdus,
                      m->tx_pdus);
    }
}
