/*
 * Policy statistics (see polstats.h): sums of the counters of policy
 * flows, per policy, direction, rule and verdict.
 */
#include <config.h>
#include "controller/polstats.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "hash.h"
#include "models/intent.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "util.h"

#define COOKIE_KIND_SHIFT 48

/* The counters of every flow seen with one cookie. */
struct polstats_cookie {
    struct hmap_node node;      /* In 'polstats->cookies', by cookie. */
    uint64_t cookie;
    uint64_t packets, bytes;
};

struct polstats {
    struct hmap cookies;        /* struct polstats_cookie. */
};

/* Returns the kind bits of 'cookie'. */
static unsigned int
cookie_kind(uint64_t cookie)
{
    return (cookie >> COOKIE_KIND_SHIFT) & 0xff;
}

/* Returns true if 'kind' is one whose counters policy statistics sum. */
static bool
is_counted_kind(unsigned int kind)
{
    return (kind == PIPELINE_COOKIE_POLICY_ALLOW
            || kind == PIPELINE_COOKIE_POLICY_DENY
            || kind == PIPELINE_COOKIE_POLICY_MONITOR);
}

/* Creates an empty table. */
struct polstats *
polstats_create(void)
{
    struct polstats *ps = xmalloc(sizeof *ps);
    hmap_init(&ps->cookies);
    return ps;
}

/* Frees 'ps'.  Accepts NULL. */
void
polstats_destroy(struct polstats *ps)
{
    if (ps) {
        struct polstats_cookie *c;
        HMAP_FOR_EACH_POP (c, node, &ps->cookies) {
            free(c);
        }
        hmap_destroy(&ps->cookies);
        free(ps);
    }
}

/* Adds 'packets' and 'bytes' of one flow with 'cookie' (host order) to
 * 'ps'.  Cookies of other kinds than ALLOW, DENY and MONITOR, and unknown
 * counters (UINT64_MAX), are ignored. */
void
polstats_add(struct polstats *ps, uint64_t cookie, uint64_t packets,
             uint64_t bytes)
{
    if (!pipeline_cookie_is_ours(cookie)
        || !is_counted_kind(cookie_kind(cookie))) {
        return;
    }

    uint32_t hash = hash_uint64(cookie);
    struct polstats_cookie *c;
    HMAP_FOR_EACH_WITH_HASH (c, node, hash, &ps->cookies) {
        if (c->cookie == cookie) {
            goto found;
        }
    }
    c = xzalloc(sizeof *c);
    c->cookie = cookie;
    hmap_insert(&ps->cookies, &c->node, hash);
found:
    c->packets += packets == UINT64_MAX ? 0 : packets;
    c->bytes += bytes == UINT64_MAX ? 0 : bytes;
}

/* Adds every flow of the flow statistics reply 'oh' (one part of a
 * multipart reply) to 'ps'.  Returns 0, or the error that made part of it
 * undecodable (the flows before it are added). */
enum ofperr
polstats_add_reply(struct polstats *ps, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    uint64_t stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    int retval;

    for (;;) {
        struct ofputil_flow_stats fs;
        retval = ofputil_decode_flow_stats_reply(&fs, &b, false, &ofpacts);
        if (retval) {
            break;
        }
        polstats_add(ps, ntohll(fs.cookie), fs.packet_count, fs.byte_count);
    }
    ofpbuf_uninit(&ofpacts);
    return retval == EOF ? 0 : retval;
}

/* Returns how many distinct counted cookies 'ps' holds. */
size_t
polstats_n_cookies(const struct polstats *ps)
{
    return hmap_count(&ps->cookies);
}

/* Returns a flow statistics request (OpenFlow 1.3, every table) for the
 * flows of flowchain's policy cookies of 'kind'. */
struct ofpbuf *
polstats_encode_request(enum pipeline_cookie_kind kind)
{
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .cookie = htonll(PIPELINE_COOKIE_MARKER
                         | ((uint64_t) kind << COOKIE_KIND_SHIFT)),
        .cookie_mask = htonll(PIPELINE_COOKIE_KIND_MASK),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    match_init_catchall(&fsr.match);
    return ofputil_encode_flow_stats_request(&fsr, OFPUTIL_P_OF13_OXM);
}

/* Appends to 's' the name of the rule that policy cookie 'cookie' names in
 * 'p': the rule's name, else "#N" (1-based within its direction), or
 * "default" (an application policy's default), "quarantine",
 * "isolation". */
void
polstats_format_rule(const struct intent_policy *p, uint64_t cookie,
                     struct ds *s)
{
    unsigned int bits = cookie & 0xff;
    size_t index = bits & PIPELINE_COOKIE_RULE_MASK;

    switch (p->type) {
    case INTENT_POLICY_APPLICATION: {
        const struct intent_rule_set *set
            = bits & PIPELINE_COOKIE_RULE_INBOUND ? &p->inbound : &p->outbound;
        if (index && index <= set->n_rules) {
            const struct intent_rule *r = &set->rules[index - 1];
            if (r->name) {
                ds_put_cstr(s, r->name);
            } else {
                ds_put_format(s, "#%"PRIuSIZE, index);
            }
        } else {
            ds_put_cstr(s, "default");
        }
        break;
    }
    case INTENT_POLICY_ISOLATION:
        ds_put_cstr(s, "isolation");
        break;
    case INTENT_POLICY_QUARANTINE:
    default:
        ds_put_cstr(s, "quarantine");
        break;
    }
}

/* Returns the direction that policy cookie 'cookie' of 'p' counts:
 * "inbound", "outbound", or "-" for a policy without directions. */
const char *
polstats_direction(const struct intent_policy *p, uint64_t cookie)
{
    if (p->type != INTENT_POLICY_APPLICATION) {
        return "-";
    }
    return cookie & PIPELINE_COOKIE_RULE_INBOUND ? "inbound" : "outbound";
}

/* Returns the verdict that the counters of a policy cookie of 'kind'
 * count: "allowed", "denied" or "would-deny". */
const char *
polstats_verdict(enum pipeline_cookie_kind kind)
{
    return (kind == PIPELINE_COOKIE_POLICY_ALLOW ? "allowed"
            : kind == PIPELINE_COOKIE_POLICY_DENY ? "denied"
            : kind == PIPELINE_COOKIE_POLICY_MONITOR ? "would-deny"
            : "?");
}

/* One row of the table being formatted. */
struct row {
    const struct intent_policy *p;
    bool inbound;
    unsigned int rule;          /* Index + 1, or 0 for the default. */
    enum pipeline_cookie_kind kind;
    uint64_t cookie;            /* Any of the row's cookies. */
    uint64_t packets, bytes;
    char *cells[4];             /* POLICY DIRECTION RULE VERDICT. */
    char numbers[2][24];        /* PACKETS BYTES. */
};

/* Orders rows by policy file order, inbound first, rules in order with the
 * default (0) last, then kind (allowed, denied, would-deny). */
static int
row_cmp(const void *a_, const void *b_)
{
    const struct row *a = a_, *b = b_;
    unsigned int ra = a->rule ? a->rule : UINT_MAX;
    unsigned int rb = b->rule ? b->rule : UINT_MAX;

    if (a->p->index != b->p->index) {
        return a->p->index < b->p->index ? -1 : 1;
    } else if (a->inbound != b->inbound) {
        return a->inbound ? -1 : 1;
    } else if (ra != rb) {
        return ra < rb ? -1 : 1;
    } else if (a->kind != b->kind) {
        return a->kind < b->kind ? -1 : 1;
    }
    return 0;
}

/* Appends 'text' to 's' padded to 'width', on the left if 'right'. */
static void
put_cell(struct ds *s, const char *text, size_t width, bool right)
{
    size_t len = strlen(text);
    size_t pad = width > len ? width - len : 0;
    if (right) {
        ds_put_char_multiple(s, ' ', pad);
        ds_put_cstr(s, text);
    } else {
        ds_put_cstr(s, text);
        ds_put_char_multiple(s, ' ', pad);
    }
}

/* Returns the rows of 'ps' for the policies of 'intent' (only 'filter' if
 * nonnull), sorted, in a new array the caller frees; '*n' gets their
 * count.  Cookies of policies that are not in 'intent' are left out. */
static struct row *
collect_rows(const struct polstats *ps, const struct intent *intent,
             const struct intent_policy *filter, size_t *np)
{
    struct row *rows = xcalloc(hmap_count(&ps->cookies) + 1, sizeof *rows);
    size_t n = 0;

    /* Rows: one per cookie (a cookie names exactly one row). */
    const struct polstats_cookie *c;
    HMAP_FOR_EACH (c, node, &ps->cookies) {
        const struct intent_rule *rule;
        enum pipeline_cookie_kind kind;
        const struct intent_policy *p
            = pipeline_cookie_find_policy(intent, c->cookie, &rule, &kind);
        if (!p || (filter && p != filter)) {
            continue;
        }
        struct row *r = &rows[n++];
        r->p = p;
        r->inbound = (p->type == INTENT_POLICY_APPLICATION
                      && c->cookie & PIPELINE_COOKIE_RULE_INBOUND);
        r->rule = rule ? rule->index + 1 : 0;
        r->kind = kind;
        r->cookie = c->cookie;
        r->packets = c->packets;
        r->bytes = c->bytes;
    }
    if (n) {
        qsort(rows, n, sizeof *rows, row_cmp);
    }
    *np = n;
    return rows;
}

/* Calls 'cb' with 'aux' for each row of the table of 'ps' for the policies
 * of 'intent', in table order (see polstats_format()). */
void
polstats_for_each_row(const struct polstats *ps, const struct intent *intent,
                      polstats_row_cb *cb, void *aux)
{
    size_t n;
    struct row *rows = collect_rows(ps, intent, NULL, &n);
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct ds rule = DS_EMPTY_INITIALIZER;
        polstats_format_rule(r->p, r->cookie, &rule);
        cb(r->p->name, polstats_direction(r->p, r->cookie), ds_cstr(&rule),
           polstats_verdict(r->kind), r->packets, r->bytes, aux);
        ds_destroy(&rule);
    }
    free(rows);
}

/* Adds the counters of every cookie of 'src' to 'dst'. */
void
polstats_merge(struct polstats *dst, const struct polstats *src)
{
    const struct polstats_cookie *c;
    HMAP_FOR_EACH (c, node, &src->cookies) {
        polstats_add(dst, c->cookie, c->packets, c->bytes);
    }
}

/* Appends to 's' the table of 'ps' for the policies of 'intent' (only
 * 'filter' if nonnull): the header, then one row per (policy, direction,
 * rule, verdict) whose flows were seen.  Cookies of policies that are not
 * in 'intent' are left out. */
void
polstats_format(const struct polstats *ps, const struct intent *intent,
                const struct intent_policy *filter, struct ds *s)
{
    static const char *headers[6] = {
        "POLICY", "DIRECTION", "RULE", "VERDICT", "PACKETS", "BYTES",
    };
    size_t n;
    struct row *rows = collect_rows(ps, intent, filter, &n);

    /* Cells and column widths. */
    size_t widths[6];
    for (size_t i = 0; i < 6; i++) {
        widths[i] = strlen(headers[i]);
    }
    for (size_t i = 0; i < n; i++) {
        struct row *r = &rows[i];
        struct ds rule = DS_EMPTY_INITIALIZER;
        polstats_format_rule(r->p, r->cookie, &rule);
        r->cells[0] = xstrdup(r->p->name);
        r->cells[1] = xstrdup(polstats_direction(r->p, r->cookie));
        r->cells[2] = ds_steal_cstr(&rule);
        r->cells[3] = xstrdup(polstats_verdict(r->kind));
        snprintf(r->numbers[0], sizeof r->numbers[0], "%"PRIu64,
                 r->packets);
        snprintf(r->numbers[1], sizeof r->numbers[1], "%"PRIu64, r->bytes);
        for (size_t j = 0; j < 4; j++) {
            widths[j] = MAX(widths[j], strlen(r->cells[j]));
        }
        for (size_t j = 0; j < 2; j++) {
            widths[4 + j] = MAX(widths[4 + j], strlen(r->numbers[j]));
        }
    }

    /* Header and rows: text left-aligned, numbers right-aligned. */
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = 0; j < 6; j++) {
            const char *text = (!i ? headers[j]
                                : j < 4 ? rows[i - 1].cells[j]
                                : rows[i - 1].numbers[j - 4]);
            if (j) {
                ds_put_cstr(s, "  ");
            }
            put_cell(s, text, widths[j], j >= 4);
        }
        ds_put_char(s, '\n');
    }

    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < 4; j++) {
            free(rows[i].cells[j]);
        }
    }
    free(rows);
}
