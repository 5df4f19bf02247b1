/*
 * The policy hit log (see hitlog.h), and the "hitlog" vlog module it logs
 * through.
 */
#include <config.h>
#include "controller/hitlog.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "controller/polstats.h"
#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "pipelines/pipeline.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(hitlog);

/* What identifies a connection attempt. */
struct hit_key {
    uint64_t policy;            /* The policy's 40-bit name hash. */
    ovs_be32 nw_src, nw_dst;
    ovs_be16 tp_src, tp_dst;    /* ICMP: type and code. */
    uint8_t nw_proto;
};

/* A logged attempt. */
struct hit_entry {
    struct hmap_node node;      /* In 'hitlog->entries'. */
    struct ovs_list age_node;   /* In 'hitlog->by_age', oldest first. */
    struct hit_key key;
    long long int logged_at;
};

struct hitlog {
    struct hmap entries;        /* struct hit_entry, by key. */
    struct ovs_list by_age;     /* struct hit_entry, by 'logged_at'. */
    struct hitlog_stats stats;
};

/* Creates an empty hit log. */
struct hitlog *
hitlog_create(void)
{
    struct hitlog *hl = xzalloc(sizeof *hl);
    hmap_init(&hl->entries);
    ovs_list_init(&hl->by_age);
    return hl;
}

/* Frees 'hl'.  Accepts NULL. */
void
hitlog_destroy(struct hitlog *hl)
{
    if (hl) {
        struct hit_entry *e;
        HMAP_FOR_EACH_POP (e, node, &hl->entries) {
            free(e);
        }
        hmap_destroy(&hl->entries);
        free(hl);
    }
}

/* Returns 'hl''s counters. */
const struct hitlog_stats *
hitlog_get_stats(const struct hitlog *hl)
{
    return &hl->stats;
}

/* Counts one more foreign packet in 'hl' (one that could not even be
 * decoded). */
void
hitlog_count_foreign(struct hitlog *hl)
{
    hl->stats.foreign++;
}

/* Returns how many attempts 'hl' remembers. */
size_t
hitlog_cache_size(const struct hitlog *hl)
{
    return hmap_count(&hl->entries);
}

/* Returns the policy hit cookie kind of 'cookie' in 'intent', or 0 if
 * 'cookie' is not the DENY or MONITOR cookie of one of its policies; sets
 * '*pp' to the policy. */
static enum pipeline_cookie_kind
hit_kind(const struct intent *intent, uint64_t cookie,
         const struct intent_policy **pp)
{
    const struct intent_rule *rule;
    enum pipeline_cookie_kind kind;

    *pp = intent ? pipeline_cookie_find_policy(intent, cookie, &rule, &kind)
                 : NULL;
    if (!*pp || (kind != PIPELINE_COOKIE_POLICY_DENY
                 && kind != PIPELINE_COOKIE_POLICY_MONITOR)) {
        *pp = NULL;
        return 0;
    }
    return kind;
}

/* Appends to 's' "PROTO SRC[:SPORT] -> DST[:DPORT]" for 'flow' (ports for
 * TCP and UDP only). */
static void
format_five_tuple(const struct flow *flow, struct ds *s)
{
    if (flow->dl_type != htons(ETH_TYPE_IP)) {
        ds_put_format(s, "non-ipv4 eth_type=0x%04"PRIx16" "ETH_ADDR_FMT
                      " -> "ETH_ADDR_FMT, ntohs(flow->dl_type),
                      ETH_ADDR_ARGS(flow->dl_src),
                      ETH_ADDR_ARGS(flow->dl_dst));
        return;
    }

    bool ports = (flow->nw_proto == IPPROTO_TCP
                  || flow->nw_proto == IPPROTO_UDP);
    switch (flow->nw_proto) {
    case IPPROTO_TCP:
        ds_put_cstr(s, "tcp");
        break;
    case IPPROTO_UDP:
        ds_put_cstr(s, "udp");
        break;
    case IPPROTO_ICMP:
        ds_put_cstr(s, "icmp");
        break;
    default:
        ds_put_format(s, "ip-proto-%"PRIu8, flow->nw_proto);
        break;
    }
    ds_put_format(s, " "IP_FMT, IP_ARGS(flow->nw_src));
    if (ports) {
        ds_put_format(s, ":%"PRIu16, ntohs(flow->tp_src));
    }
    ds_put_format(s, " -> "IP_FMT, IP_ARGS(flow->nw_dst));
    if (ports) {
        ds_put_format(s, ":%"PRIu16, ntohs(flow->tp_dst));
    }
}

/* Appends to 's' the hit-log line for the packet parsed into 'flow' that a
 * flow with 'cookie' of bridge 'br' (NULL if unknown: "?") sent.  Returns
 * false, appending nothing, if 'cookie' is not the DENY or MONITOR cookie
 * of one of the policies of 'intent'. */
bool
hitlog_format(const struct intent *intent, const struct intent_bridge *br,
              uint64_t cookie, const struct flow *flow, struct ds *s)
{
    const struct intent_policy *p;
    enum pipeline_cookie_kind kind = hit_kind(intent, cookie, &p);
    if (!kind) {
        return false;
    }

    ds_put_format(s, "policy hit: host=%s bridge=%s policy=%s rule=",
                  br ? br->host->name : "?", br ? br->name : "?", p->name);
    polstats_format_rule(p, cookie, s);
    ds_put_format(s, " verdict=%s vlan=%"PRIu16" ",
                  kind == PIPELINE_COOKIE_POLICY_DENY ? "denied"
                  : "would-deny",
                  vlan_tci_to_vid(flow->vlans[0].tci));
    format_five_tuple(flow, s);
    return true;
}

/* Returns the hash of 'key'. */
static uint32_t
hit_key_hash(const struct hit_key *key)
{
    uint32_t hash = hash_uint64(key->policy);
    hash = hash_add(hash, (OVS_FORCE uint32_t) key->nw_src);
    hash = hash_add(hash, (OVS_FORCE uint32_t) key->nw_dst);
    hash = hash_add(hash, ((uint32_t) ntohs(key->tp_src) << 16)
                          | ntohs(key->tp_dst));
    hash = hash_add(hash, key->nw_proto);
    return hash_finish(hash, sizeof *key);
}

/* Returns true if 'a' and 'b' are the same attempt. */
static bool
hit_key_equals(const struct hit_key *a, const struct hit_key *b)
{
    return (a->policy == b->policy
            && a->nw_src == b->nw_src && a->nw_dst == b->nw_dst
            && a->tp_src == b->tp_src && a->tp_dst == b->tp_dst
            && a->nw_proto == b->nw_proto);
}

/* Removes 'e' from 'hl' and frees it. */
static void
hit_entry_remove(struct hitlog *hl, struct hit_entry *e)
{
    hmap_remove(&hl->entries, &e->node);
    ovs_list_remove(&e->age_node);
    free(e);
}

/* Forgets the attempts logged HITLOG_DEDUPE_MS or more before 'now'. */
static void
hitlog_expire(struct hitlog *hl, long long int now)
{
    while (!ovs_list_is_empty(&hl->by_age)) {
        struct hit_entry *e = CONTAINER_OF(ovs_list_front(&hl->by_age),
                                           struct hit_entry, age_node);
        if (now - e->logged_at < HITLOG_DEDUPE_MS) {
            break;
        }
        hit_entry_remove(hl, e);
    }
}

/* Handles the 'len' bytes at 'packet' that a flow with 'cookie' (host
 * order) of bridge 'br' of 'intent' sent to the controller at 'now'.  A
 * new attempt is logged (and appended to 'line' if nonnull); a repeat
 * within HITLOG_DEDUPE_MS of its logged line is counted; a packet without
 * a policy hit cookie is counted as foreign. */
enum hitlog_result
hitlog_packet(struct hitlog *hl, const struct intent *intent,
              const struct intent_bridge *br, uint64_t cookie,
              const void *packet, size_t len, long long int now,
              struct ds *line)
{
    const struct intent_policy *p;
    if (!hit_kind(intent, cookie, &p)) {
        hl->stats.foreign++;
        return HITLOG_FOREIGN;
    }

    struct dp_packet dp;
    struct flow flow;
    dp_packet_use_const(&dp, packet, len);
    flow_extract(&dp, &flow);
    dp_packet_uninit(&dp);

    struct hit_key key;
    memset(&key, 0, sizeof key);
    key.policy = pipeline_cookie_name_hash(p->name);
    if (flow.dl_type == htons(ETH_TYPE_IP)) {
        key.nw_src = flow.nw_src;
        key.nw_dst = flow.nw_dst;
        key.tp_src = flow.tp_src;
        key.tp_dst = flow.tp_dst;
        key.nw_proto = flow.nw_proto;
    }
    uint32_t hash = hit_key_hash(&key);

    hitlog_expire(hl, now);
    struct hit_entry *e;
    HMAP_FOR_EACH_WITH_HASH (e, node, hash, &hl->entries) {
        if (hit_key_equals(&e->key, &key)) {
            hl->stats.suppressed++;
            return HITLOG_SUPPRESSED;
        }
    }

    if (hmap_count(&hl->entries) >= HITLOG_CACHE_MAX) {
        hit_entry_remove(hl, CONTAINER_OF(ovs_list_front(&hl->by_age),
                                          struct hit_entry, age_node));
    }
    e = xmalloc(sizeof *e);
    e->key = key;
    e->logged_at = now;
    hmap_insert(&hl->entries, &e->node, hash);
    ovs_list_push_back(&hl->by_age, &e->age_node);

    struct ds s = DS_EMPTY_INITIALIZER;
    hitlog_format(intent, br, cookie, &flow, &s);
    VLOG_INFO("%s", ds_cstr(&s));
    if (line) {
        ds_put_cstr(line, ds_cstr(&s));
    }
    ds_destroy(&s);
    hl->stats.logged++;
    return HITLOG_LOGGED;
}
