/*
 * A flow set: flows keyed by (table, priority, match) and groups keyed by
 * group ID, in hash maps.  See flowset.h.
 */
#include <config.h>

#include "pipelines/flowset.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "flow.h"
#include "hash.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofpbuf.h"
#include "tun-metadata.h"
#include "util.h"

/* Initializes 'fs' as an empty flow set. */
void
flowset_init(struct flowset *fs)
{
    hmap_init(&fs->flows);
    hmap_init(&fs->groups);
    fs->pool = NULL;
}

/* A set's members are allocated from chunks of its own, not one malloc()
 * each: a set holds up to hundreds of thousands of them, and is built and
 * freed whole (a compile, a read-back).  A removed member goes to the free
 * list for the next one; the chunks are freed with the set's flows
 * (flowset_clear()).  Without the per-allocation overhead, a member takes
 * 24 bytes instead of 32. */
struct flowset_chunk {
    struct flowset_chunk *next;
    size_t n;                   /* Members in 'members'. */
    struct flowset_member members[];
};

struct flowset_pool {
    struct flowset_chunk *chunks;       /* The newest first. */
    size_t used;                        /* Of the newest chunk. */
    struct flowset_member *free;        /* Linked through 'node.next'. */
};

#define FLOWSET_CHUNK_MIN 64
#define FLOWSET_CHUNK_MAX 16384

/* Returns a new member of 'fs' (uninitialized). */
static struct flowset_member *
flowset_member_alloc(struct flowset *fs)
{
    struct flowset_pool *pool = fs->pool;
    if (!pool) {
        pool = fs->pool = xzalloc(sizeof *pool);
    }
    if (pool->free) {
        struct flowset_member *m = pool->free;
        pool->free = CONTAINER_OF(m->node.next, struct flowset_member, node);
        return m;
    }
    struct flowset_chunk *c = pool->chunks;
    if (!c || pool->used >= c->n) {
        /* Each chunk a quarter of the set so far, within bounds: at most
         * a quarter of the members allocated but unused. */
        size_t n = MIN(MAX(hmap_count(&fs->flows) / 4, FLOWSET_CHUNK_MIN),
                       FLOWSET_CHUNK_MAX);
        c = xmalloc(sizeof *c + n * sizeof c->members[0]);
        c->n = n;
        c->next = pool->chunks;
        pool->chunks = c;
        pool->used = 0;
    }
    return &c->members[pool->used++];
}

/* Returns member 'm' of 'fs' (out of 'fs->flows') to its pool. */
static void
flowset_member_free(struct flowset *fs, struct flowset_member *m)
{
    m->node.next = fs->pool->free ? &fs->pool->free->node : NULL;
    fs->pool->free = m;
}

/* Frees the pool of 'fs' (its members must be out of use). */
static void
flowset_pool_destroy(struct flowset *fs)
{
    struct flowset_pool *pool = fs->pool;
    if (pool) {
        struct flowset_chunk *c, *next;
        for (c = pool->chunks; c; c = next) {
            next = c->next;
            free(c);
        }
        free(pool);
        fs->pool = NULL;
    }
}

/* Frees group 'g' (already out of any map). */
static void
flowset_group_free(struct flowset_group *g)
{
    ofputil_bucket_list_destroy(&g->buckets);
    free(g);
}

/* Flows. */

/* Returns the bytes of a miniflow with 'n_values' values. */
static size_t
miniflow_bytes(size_t n_values)
{
    return sizeof(struct miniflow) + MINIFLOW_VALUES_SIZE(n_values);
}

/* Allocates a flow with room for a match whose flow and mask have
 * 'flow_values' and 'mask_values' values and for 'ofpacts_len' bytes of
 * actions, all in one block, and points its match and actions there. */
static struct flowset_flow *
flowset_flow_alloc(uint8_t table_id, uint16_t priority, ovs_be64 cookie,
                   size_t flow_values, size_t mask_values,
                   size_t ofpacts_len)
{
    size_t flow_bytes = miniflow_bytes(flow_values);
    size_t mask_bytes = miniflow_bytes(mask_values);
    ovs_assert(ofpacts_len <= UINT32_MAX);
    BUILD_ASSERT_DECL(sizeof(struct flowset_flow) % 8 == 0);
    struct flowset_flow *f = xmalloc(sizeof *f + flow_bytes + mask_bytes
                                     + ofpacts_len);
    uint8_t *p = (uint8_t *) (f + 1);
    f->hash = 0;
    f->ref_cnt = 0;
    f->cookie = cookie;
    f->match.flow = (struct miniflow *) p;
    f->match.mask = (struct minimask *) (p + flow_bytes);
    f->match.tun_md = NULL;
    f->ofpacts = (ofpacts_len
                  ? (const struct ofpact *) (p + flow_bytes + mask_bytes)
                  : NULL);
    f->ofpacts_len = ofpacts_len;
    f->priority = priority;
    f->table_id = table_id;
    return f;
}

/* Returns the hash of the flow key ('table_id', 'priority', 'match'). */
static uint32_t
flowset_key_hash(uint8_t table_id, uint16_t priority,
                 const struct minimatch *match)
{
    return hash_int(((uint32_t) table_id << 16) | priority,
                    minimatch_hash(match, 0));
}

/* Builds a flow with key ('table_id', 'priority', 'match'), 'cookie' and
 * a copy of the 'ofpacts_len' bytes at 'ofpacts'. */
static struct flowset_flow *
flowset_flow_create(uint8_t table_id, uint16_t priority,
                    const struct match *match, ovs_be64 cookie,
                    const struct ofpact *ofpacts, size_t ofpacts_len)
{
    /* As minimatch_init() does: the flow keeps the values under the mask's
     * map. */
    struct miniflow map;
    miniflow_map_init(&map, &match->wc.masks);
    size_t n_values = miniflow_n_values(&map);
    struct flowset_flow *f = flowset_flow_alloc(table_id, priority, cookie,
                                                n_values, n_values,
                                                ofpacts_len);
    *f->match.flow = map;
    miniflow_init(f->match.flow, &match->flow);
    f->match.mask->masks = map;
    minimask_init(f->match.mask, &match->wc);
    f->match.tun_md = tun_metadata_allocation_clone(&match->tun_md);
    if (ofpacts_len) {
        memcpy(CONST_CAST(struct ofpact *, f->ofpacts), ofpacts,
               ofpacts_len);
    }
    f->hash = flowset_key_hash(table_id, priority, &f->match);
    return f;
}

/* Builds a flow like flowset_flow_create(), from the minimatch 'mm'. */
static struct flowset_flow *
flowset_flow_create_mini(uint8_t table_id, uint16_t priority,
                         const struct minimatch *mm, ovs_be64 cookie,
                         const struct ofpact *ofpacts, size_t ofpacts_len)
{
    size_t flow_values = miniflow_n_values(mm->flow);
    size_t mask_values = miniflow_n_values(&mm->mask->masks);
    struct flowset_flow *f = flowset_flow_alloc(table_id, priority, cookie,
                                                flow_values, mask_values,
                                                ofpacts_len);
    memcpy(f->match.flow, mm->flow, miniflow_bytes(flow_values));
    memcpy(f->match.mask, mm->mask, miniflow_bytes(mask_values));
    f->match.tun_md = tun_metadata_allocation_clone(mm->tun_md);
    if (ofpacts_len) {
        memcpy(CONST_CAST(struct ofpact *, f->ofpacts), ofpacts,
               ofpacts_len);
    }
    f->hash = flowset_key_hash(table_id, priority, &f->match);
    return f;
}

/* Takes a reference to 'f'. */
const struct flowset_flow *
flowset_flow_ref(const struct flowset_flow *f_)
{
    struct flowset_flow *f = CONST_CAST(struct flowset_flow *, f_);
    ovs_assert(f->ref_cnt < UINT32_MAX);
    f->ref_cnt++;
    return f;
}

/* Drops a reference to 'f', freeing it with the last one. */
void
flowset_flow_unref(const struct flowset_flow *f_)
{
    struct flowset_flow *f = CONST_CAST(struct flowset_flow *, f_);
    ovs_assert(f->ref_cnt > 0);
    if (!--f->ref_cnt) {
        free(f->match.tun_md);
        free(f);
    }
}

/* Returns the member of 'fs' that holds the flow with key ('table_id',
 * 'priority', 'match') whose hash is 'hash', or NULL. */
static struct flowset_member *
flowset_find_member(const struct flowset *fs, uint32_t hash,
                    uint8_t table_id, uint16_t priority,
                    const struct minimatch *match)
{
    struct flowset_member *m;
    HMAP_FOR_EACH_WITH_HASH (m, node, hash, &fs->flows) {
        const struct flowset_flow *f = m->flow;
        if (f->table_id == table_id && f->priority == priority
            && (f->match.flow == match->flow
                || minimatch_equal(&f->match, match))) {
            return m;
        }
    }
    return NULL;
}

/* Returns the member of 'fs' that holds 'f' itself, or NULL. */
static struct flowset_member *
flowset_find_member_of(const struct flowset *fs,
                       const struct flowset_flow *f)
{
    struct flowset_member *m;
    HMAP_FOR_EACH_WITH_HASH (m, node, f->hash, &fs->flows) {
        if (m->flow == f) {
            return m;
        }
    }
    return NULL;
}

/* Puts 'f' (whose reference the caller passes on) into 'fs', in place of
 * a flow with the same key, if any. */
static void
flowset_put(struct flowset *fs, const struct flowset_flow *f)
{
    struct flowset_member *m = flowset_find_member(fs, f->hash, f->table_id,
                                                   f->priority, &f->match);
    if (m) {
        const struct flowset_flow *old = m->flow;
        m->flow = f;
        flowset_flow_unref(old);
    } else {
        m = flowset_member_alloc(fs);
        m->flow = f;
        hmap_insert(&fs->flows, &m->node, f->hash);
    }
}

/* Removes and releases every flow and group of 'fs', leaving it empty. */
void
flowset_clear(struct flowset *fs)
{
    /* Not popped one by one: each hmap_remove() walks its bucket. */
    struct flowset_member *m;
    HMAP_FOR_EACH (m, node, &fs->flows) {
        flowset_flow_unref(m->flow);
    }
    /* Also frees the buckets and the members, as a set may stay empty for
     * long. */
    hmap_destroy(&fs->flows);
    hmap_init(&fs->flows);
    flowset_pool_destroy(fs);

    struct flowset_group *g;
    HMAP_FOR_EACH_POP (g, node, &fs->groups) {
        flowset_group_free(g);
    }
}

/* Frees everything in 'fs'.  'fs' may be NULL. */
void
flowset_destroy(struct flowset *fs)
{
    if (fs) {
        flowset_clear(fs);
        hmap_destroy(&fs->flows);
        hmap_destroy(&fs->groups);
    }
}

/* See flowset.h. */
void
flowset_reserve(struct flowset *fs, size_t n)
{
    hmap_reserve(&fs->flows, n);
}

/* Exchanges the contents of 'a' and 'b'. */
void
flowset_swap(struct flowset *a, struct flowset *b)
{
    hmap_swap(&a->flows, &b->flows);
    hmap_swap(&a->groups, &b->groups);
    struct flowset_pool *pool = a->pool;
    a->pool = b->pool;
    b->pool = pool;
}

/* Puts a copy of group 'sg' into 'dst', replacing any group with its ID. */
static void
flowset_put_group_copy(struct flowset *dst, const struct flowset_group *sg)
{
    struct flowset_group *copy = flowset_add_group(dst, sg->group_id,
                                                   sg->type);
    ofputil_bucket_clone_list(&copy->buckets, &sg->buckets, NULL);
}

/* Replaces the groups of 'dst' with copies of those of 'src'. */
static void
flowset_copy_groups(struct flowset *dst, const struct flowset *src)
{
    struct flowset_group *g;
    HMAP_FOR_EACH_POP (g, node, &dst->groups) {
        flowset_group_free(g);
    }
    const struct flowset_group *sg;
    HMAP_FOR_EACH (sg, node, &src->groups) {
        flowset_put_group_copy(dst, sg);
    }
}

/* Initializes 'dst' as a copy of 'src': the same flows (shared, not
 * copied) and copies of the groups. */
void
flowset_clone(struct flowset *dst, const struct flowset *src)
{
    flowset_init(dst);

    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, src) {
        flowset_add_shared(dst, f);
    }

    flowset_copy_groups(dst, src);
}

/* Returns the flow of 'fs' with key ('table_id', 'priority', 'match'), or
 * NULL. */
const struct flowset_flow *
flowset_find_flow(const struct flowset *fs, uint8_t table_id,
                  uint16_t priority, const struct minimatch *match)
{
    if (hmap_is_empty(&fs->flows)) {
        return NULL;
    }
    uint32_t hash = flowset_key_hash(table_id, priority, match);
    const struct flowset_member *m = flowset_find_member(fs, hash, table_id,
                                                         priority, match);
    return m ? m->flow : NULL;
}

/* Returns the flow of 'fs' with the key of 'f' (of any set), or NULL. */
static const struct flowset_flow *
flowset_find_same_key(const struct flowset *fs, const struct flowset_flow *f)
{
    const struct flowset_member *m = flowset_find_member(fs, f->hash,
                                                         f->table_id,
                                                         f->priority,
                                                         &f->match);
    return m ? m->flow : NULL;
}

/* Adds 'f' (a flow of any set) to 'fs' without copying it: both hold it.
 * A flow with the same key is replaced. */
void
flowset_add_shared(struct flowset *fs, const struct flowset_flow *f)
{
    flowset_put(fs, flowset_flow_ref(f));
}

/* Adds to 'fs' a flow in 'table_id' at 'priority' with 'match' and
 * 'cookie' and the 'ofpacts_len' bytes of actions 'ofpacts' (malloc'ed).
 * Takes over 'match' and 'ofpacts' and frees them (the flow holds copies):
 * the caller must not use or destroy them again.  A flow with the same
 * key is replaced.  Returns the flow in 'fs'. */
const struct flowset_flow *
flowset_add_flow_owned(struct flowset *fs, uint8_t table_id,
                       uint16_t priority, struct minimatch *match,
                       ovs_be64 cookie, struct ofpact *ofpacts,
                       size_t ofpacts_len)
{
    struct flowset_flow *f = flowset_flow_create_mini(table_id, priority,
                                                      match, cookie, ofpacts,
                                                      ofpacts_len);
    minimatch_destroy(match);
    free(ofpacts);
    flowset_put(fs, flowset_flow_ref(f));
    return f;
}

/* Adds to 'fs' a flow with key ('table_id', 'priority', 'match'), 'cookie'
 * and a copy of the 'ofpacts_len' bytes of actions 'ofpacts'.  A flow with
 * the same key is replaced.  Returns the flow in 'fs'.
 *
 * 'match' is stored the way OpenFlow decoding leaves it, so that a flow
 * read back from a switch has the same key: a match on any packet field
 * (Ethernet and above, everything from dl_dst on in struct flow) also
 * matches packet_type=Ethernet, as the decoder adds that prerequisite. */
const struct flowset_flow *
flowset_add_flow(struct flowset *fs, uint8_t table_id, uint16_t priority,
                 const struct match *match, ovs_be64 cookie,
                 const struct ofpact *ofpacts, size_t ofpacts_len)
{
    const size_t packet_ofs = offsetof(struct flow, dl_dst);
    const uint8_t *masks = (const uint8_t *) &match->wc.masks;
    struct flowset_flow *f;

    if (!match->wc.masks.packet_type
        && !is_all_zeros(masks + packet_ofs,
                         sizeof match->wc.masks - packet_ofs)) {
        struct match copy = *match;
        match_set_default_packet_type(&copy);
        f = flowset_flow_create(table_id, priority, &copy, cookie, ofpacts,
                                ofpacts_len);
    } else {
        f = flowset_flow_create(table_id, priority, match, cookie, ofpacts,
                                ofpacts_len);
    }
    flowset_put(fs, flowset_flow_ref(f));
    return f;
}

/* Removes flow 'f', which must be in 'fs', from 'fs' and releases it (it
 * is freed unless another set holds it). */
void
flowset_remove_flow(struct flowset *fs, const struct flowset_flow *f)
{
    struct flowset_member *m = flowset_find_member_of(fs, f);
    ovs_assert(m);
    hmap_remove(&fs->flows, &m->node);
    flowset_member_free(fs, m);
    flowset_flow_unref(f);
}

/* Returns the group of 'fs' with 'group_id', or NULL. */
struct flowset_group *
flowset_find_group(const struct flowset *fs, uint32_t group_id)
{
    struct flowset_group *g;
    HMAP_FOR_EACH_WITH_HASH (g, node, hash_int(group_id, 0), &fs->groups) {
        if (g->group_id == group_id) {
            return g;
        }
    }
    return NULL;
}

/* Adds to 'fs' a group 'group_id' of 'type' (OFPGT11_*) with no buckets,
 * replacing any group with that ID.  Returns the group. */
struct flowset_group *
flowset_add_group(struct flowset *fs, uint32_t group_id, uint8_t type)
{
    struct flowset_group *g = flowset_find_group(fs, group_id);
    if (g) {
        ofputil_bucket_list_destroy(&g->buckets);
    } else {
        g = xzalloc(sizeof *g);
        g->group_id = group_id;
        hmap_insert(&fs->groups, &g->node, hash_int(group_id, 0));
    }
    g->type = type;
    ovs_list_init(&g->buckets);
    return g;
}

/* Appends to 'g' a bucket watching 'watch_port' (OFPP_ANY for none) whose
 * actions are a copy of the 'ofpacts_len' bytes at 'ofpacts'.  Bucket IDs
 * are the bucket positions, as OpenFlow 1.3 decoding numbers them. */
void
flowset_group_add_bucket(struct flowset_group *g, ofp_port_t watch_port,
                         const struct ofpact *ofpacts, size_t ofpacts_len)
{
    struct ofputil_bucket *b = xzalloc(sizeof *b);
    b->weight = g->type == OFPGT11_SELECT ? 1 : 0;
    b->watch_port = watch_port;
    b->watch_group = OFPG_ANY;
    b->bucket_id = ovs_list_size(&g->buckets);
    b->ofpacts = ofpacts_len ? xmemdup(ofpacts, ofpacts_len) : NULL;
    b->ofpacts_len = ofpacts_len;
    ovs_list_push_back(&g->buckets, &b->list_node);
}

/* Removes group 'g' from 'fs' and frees it. */
void
flowset_remove_group(struct flowset *fs, struct flowset_group *g)
{
    hmap_remove(&fs->groups, &g->node);
    flowset_group_free(g);
}

/* Returns the number of flows in 'fs'. */
size_t
flowset_n_flows(const struct flowset *fs)
{
    return hmap_count(&fs->flows);
}

/* Returns the number of groups in 'fs'. */
size_t
flowset_n_groups(const struct flowset *fs)
{
    return hmap_count(&fs->groups);
}

/* Encodes the 'len' bytes of ofpacts at 'ofpacts' as OpenFlow 1.3
 * instructions (if 'instructions') or actions into 'out'. */
static void
flowset_encode_ofpacts(const struct ofpact *ofpacts, size_t len,
                       bool instructions, struct ofpbuf *out)
{
    if (instructions) {
        ofpacts_put_openflow_instructions(ofpacts, len, out, OFP13_VERSION);
    } else {
        ofpacts_put_openflow_actions(ofpacts, len, out, OFP13_VERSION);
    }
}

/* Returns true if the two action lists 'a' and 'b' mean the same thing.
 * Identical bytes are the fast path (two lists built by the compiler);
 * otherwise the lists are compared as encoded for OpenFlow 1.3, which
 * hides differences that do not reach the switch, such as the spelling a
 * decoded action remembers ("pop_vlan" vs "strip_vlan"): a list read back
 * from a switch compares equal to the one that was sent. */
bool
flowset_ofpacts_equivalent(const struct ofpact *a, size_t a_len,
                           const struct ofpact *b, size_t b_len,
                           bool instructions)
{
    if (ofpacts_equal(a, a_len, b, b_len)) {
        return true;
    }

    uint64_t a_stub[1024 / 8], b_stub[1024 / 8];
    struct ofpbuf a_buf = OFPBUF_STUB_INITIALIZER(a_stub);
    struct ofpbuf b_buf = OFPBUF_STUB_INITIALIZER(b_stub);
    flowset_encode_ofpacts(a, a_len, instructions, &a_buf);
    flowset_encode_ofpacts(b, b_len, instructions, &b_buf);
    bool equal = (a_buf.size == b_buf.size
                  && !memcmp(a_buf.data, b_buf.data, a_buf.size));
    ofpbuf_uninit(&a_buf);
    ofpbuf_uninit(&b_buf);
    return equal;
}

/* Returns true if flows 'a' and 'b' have the same cookie and equivalent
 * actions. */
bool
flowset_flow_same_body(const struct flowset_flow *a,
                       const struct flowset_flow *b)
{
    return a == b || (a->cookie == b->cookie
                      && flowset_ofpacts_equivalent(a->ofpacts, a->ofpacts_len,
                                          b->ofpacts, b->ofpacts_len, true));
}

/* Returns true if groups 'a' and 'b' have the same ID, type and buckets
 * (watch port, watch group, weight and equivalent actions, in order). */
bool
flowset_group_equal(const struct flowset_group *a,
                    const struct flowset_group *b)
{
    if (a->group_id != b->group_id || a->type != b->type
        || ovs_list_size(&a->buckets) != ovs_list_size(&b->buckets)) {
        return false;
    }

    /* Not ovs_list_front(): a group may have no bucket. */
    const struct ovs_list *na = a->buckets.next;
    const struct ovs_list *nb = b->buckets.next;
    for (; na != &a->buckets; na = na->next, nb = nb->next) {
        const struct ofputil_bucket *ba = CONTAINER_OF(
            na, struct ofputil_bucket, list_node);
        const struct ofputil_bucket *bb = CONTAINER_OF(
            nb, struct ofputil_bucket, list_node);
        if (ba->watch_port != bb->watch_port
            || ba->watch_group != bb->watch_group
            || ba->weight != bb->weight
            || !flowset_ofpacts_equivalent(ba->ofpacts, ba->ofpacts_len,
                                           bb->ofpacts, bb->ofpacts_len,
                                           false)) {
            return false;
        }
    }
    return true;
}

/* Appends a new reference to 'old' and 'new' to 'list'. */
static void
flowset_ref_push(struct ovs_list *list, const void *old, const void *new)
{
    struct flowset_ref *ref = xmalloc(sizeof *ref);
    ref->old = old;
    ref->new = new;
    ovs_list_push_back(list, &ref->node);
}

/* Puts 'new' (of any set) in place of 'old' in 'fs'; they have the same
 * key. */
static void
flowset_replace(struct flowset *fs, const struct flowset_flow *old,
                const struct flowset_flow *new)
{
    struct flowset_member *m = flowset_find_member_of(fs, old);
    ovs_assert(m && new->hash == old->hash);
    m->flow = flowset_flow_ref(new);
    flowset_flow_unref(old);
}

/* Initializes 'diff' as empty. */
static void
flowset_diff_init(struct flowset_diff *diff)
{
    memset(diff, 0, sizeof *diff);
    ovs_list_init(&diff->add_flows);
    ovs_list_init(&diff->mod_flows);
    ovs_list_init(&diff->del_flows);
    ovs_list_init(&diff->add_groups);
    ovs_list_init(&diff->mod_groups);
    ovs_list_init(&diff->del_groups);
}

/* Adds to 'diff' what desired flow 'f' needs, given 'installed': an add, a
 * modify or nothing.  If 'share' (NULL or 'installed') holds an equal copy
 * of 'f', 'f' takes its place there. */
static void
flowset_diff_flow(const struct flowset *installed, struct flowset *share,
                  const struct flowset_flow *f, struct flowset_diff *diff)
{
    const struct flowset_flow *old = flowset_find_same_key(installed, f);
    if (!old) {
        flowset_ref_push(&diff->add_flows, NULL, f);
        diff->n_add_flows++;
    } else if (old == f) {
        /* Shared: the same flow. */
    } else if (!flowset_flow_same_body(old, f)) {
        flowset_ref_push(&diff->mod_flows, old, f);
        diff->n_mod_flows++;
    } else if (share) {
        /* Equal, two copies: keep desired's.  Same key, same member of
         * 'share'; 'old' is in no list of 'diff'. */
        flowset_replace(share, old, f);
    }
}

/* Adds to 'diff' the change of group 'group_id' from 'installed' to
 * 'desired', if any. */
static void
flowset_diff_group(const struct flowset *installed,
                   const struct flowset *desired, uint32_t group_id,
                   struct flowset_diff *diff)
{
    const struct flowset_group *i = flowset_find_group(installed, group_id);
    const struct flowset_group *d = flowset_find_group(desired, group_id);
    if (d && !i) {
        flowset_ref_push(&diff->add_groups, NULL, d);
        diff->n_add_groups++;
    } else if (d && !flowset_group_equal(i, d)) {
        flowset_ref_push(&diff->mod_groups, i, d);
        diff->n_mod_groups++;
    } else if (!d && i) {
        flowset_ref_push(&diff->del_groups, i, NULL);
        diff->n_del_groups++;
    }
}

/* Adds to 'diff' the group changes that turn 'installed' into 'desired'. */
static void
flowset_diff_groups(const struct flowset *installed,
                    const struct flowset *desired, struct flowset_diff *diff)
{
    const struct flowset_group *g;
    HMAP_FOR_EACH (g, node, &desired->groups) {
        flowset_diff_group(installed, desired, g->group_id, diff);
    }
    HMAP_FOR_EACH (g, node, &installed->groups) {
        if (!flowset_find_group(desired, g->group_id)) {
            flowset_diff_group(installed, desired, g->group_id, diff);
        }
    }
}

/* flowset_diff() and flowset_diff_share(): 'share' is NULL or
 * 'installed'. */
static void
flowset_diff__(const struct flowset *installed, struct flowset *share,
               const struct flowset *desired, struct flowset_diff *diff)
{
    flowset_diff_init(diff);

    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, desired) {
        flowset_diff_flow(installed, share, f, diff);
    }
    FLOWSET_FOR_EACH_FLOW (f, installed) {
        if (!flowset_find_same_key(desired, f)) {
            flowset_ref_push(&diff->del_flows, f, NULL);
            diff->n_del_flows++;
        }
    }

    flowset_diff_groups(installed, desired, diff);
}

/* Computes in 'diff' (which need not be initialized) the flows and groups
 * to add, modify and delete to turn 'installed' into 'desired'.  The
 * result points into both sets.  Lookups are hashed, so the cost is one
 * pass over each set. */
void
flowset_diff(const struct flowset *installed, const struct flowset *desired,
             struct flowset_diff *diff)
{
    flowset_diff__(installed, NULL, desired, diff);
}

/* Same as flowset_diff(), and makes 'installed' share with 'desired' the
 * flows they agree on: an installed flow equal to a desired one (same key,
 * cookie and equivalent actions) but a different object, such as one read
 * back from the switch or left from an earlier desired set, is replaced by
 * desired's, and freed unless another set holds it. */
void
flowset_diff_share(struct flowset *installed, const struct flowset *desired,
                   struct flowset_diff *diff)
{
    flowset_diff__(installed, installed, desired, diff);
}

/* Patches 'desired' in place: the flows with the keys of the flows of
 * 'old' leave it, the flows of 'new' join it (shared, not copied), the
 * groups of 'old' leave it and copies of the groups of 'new' join it
 * (a group that neither names stays as it is).  'installed' must hold
 * the same flows and groups as 'desired' before the patch (the switch was
 * in sync).  Puts in 'diff' (which need not be initialized) what turns
 * 'installed' into the patched 'desired', at a cost that grows with the
 * sizes of 'old' and 'new', not of 'desired'; like flowset_diff_share(),
 * an installed flow equal to one of 'new' is replaced by it.
 *
 * Returns false, changing nothing, if some flow of 'old' is not in
 * 'desired' with the same cookie and actions: 'old' is then not what the
 * flows it names were, and the caller must set the whole desired set. */
bool
flowset_patch(struct flowset *installed, struct flowset *desired,
              const struct flowset *old, const struct flowset *new,
              struct flowset_diff *diff)
{
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, old) {
        const struct flowset_flow *d = flowset_find_same_key(desired, f);
        if (!d || (d != f && !flowset_flow_same_body(d, f))) {
            return false;
        }
    }
    const struct flowset_group *g;
    HMAP_FOR_EACH (g, node, &old->groups) {
        const struct flowset_group *d = flowset_find_group(desired,
                                                           g->group_id);
        if (!d || !flowset_group_equal(d, g)) {
            return false;
        }
    }

    /* Out with the old flows (the installed set still holds them), in with
     * the new. */
    FLOWSET_FOR_EACH_FLOW (f, old) {
        flowset_remove_flow(desired, flowset_find_same_key(desired, f));
    }
    FLOWSET_FOR_EACH_FLOW (f, new) {
        flowset_add_shared(desired, f);
    }
    HMAP_FOR_EACH (g, node, &old->groups) {
        flowset_remove_group(desired,
                             flowset_find_group(desired, g->group_id));
    }
    HMAP_FOR_EACH (g, node, &new->groups) {
        flowset_put_group_copy(desired, g);
    }

    flowset_diff_init(diff);
    FLOWSET_FOR_EACH_FLOW (f, new) {
        flowset_diff_flow(installed, installed, f, diff);
    }
    FLOWSET_FOR_EACH_FLOW (f, old) {
        if (!flowset_find_same_key(desired, f)) {
            const struct flowset_flow *i = flowset_find_same_key(installed,
                                                                 f);
            if (i) {
                flowset_ref_push(&diff->del_flows, i, NULL);
                diff->n_del_flows++;
            }
        }
    }
    HMAP_FOR_EACH (g, node, &new->groups) {
        flowset_diff_group(installed, desired, g->group_id, diff);
    }
    HMAP_FOR_EACH (g, node, &old->groups) {
        if (!flowset_find_group(new, g->group_id)) {
            flowset_diff_group(installed, desired, g->group_id, diff);
        }
    }
    return true;
}

/* Returns true if 'diff' changes nothing. */
bool
flowset_diff_is_empty(const struct flowset_diff *diff)
{
    return !(diff->n_add_flows || diff->n_mod_flows || diff->n_del_flows
             || diff->n_add_groups || diff->n_mod_groups
             || diff->n_del_groups);
}

/* Frees every reference in 'list'. */
static void
flowset_ref_list_destroy(struct ovs_list *list)
{
    struct flowset_ref *ref;
    LIST_FOR_EACH_POP (ref, node, list) {
        free(ref);
    }
}

/* Frees the lists of 'diff' (not the flows they point to).  'diff' may be
 * NULL. */
void
flowset_diff_destroy(struct flowset_diff *diff)
{
    if (diff) {
        flowset_ref_list_destroy(&diff->add_flows);
        flowset_ref_list_destroy(&diff->mod_flows);
        flowset_ref_list_destroy(&diff->del_flows);
        flowset_ref_list_destroy(&diff->add_groups);
        flowset_ref_list_destroy(&diff->mod_groups);
        flowset_ref_list_destroy(&diff->del_groups);
    }
}

/* Appends to 's' the 'len' bytes of ofpacts at 'ofpacts' as the switch
 * would print them after an OpenFlow 1.3 round trip (so "pop_vlan", not
 * "strip_vlan"), with 'port_map' (may be NULL) naming ports.  Formats them
 * directly if the round trip fails. */
static void
flowset_format_ofpacts(const struct ofpact *ofpacts, size_t len,
                       bool instructions,
                       const struct ofputil_port_map *port_map,
                       struct ds *s)
{
    uint64_t wire_stub[1024 / 8], back_stub[1024 / 8];
    struct ofpbuf wire = OFPBUF_STUB_INITIALIZER(wire_stub);
    struct ofpbuf back = OFPBUF_STUB_INITIALIZER(back_stub);
    struct ofpact_format_params fp = { .port_map = port_map, .s = s };

    flowset_encode_ofpacts(ofpacts, len, instructions, &wire);
    enum ofperr error = (instructions
                         ? ofpacts_pull_openflow_instructions(
                             &wire, wire.size, OFP13_VERSION, NULL, NULL,
                             &back)
                         : ofpacts_pull_openflow_actions(
                             &wire, wire.size, OFP13_VERSION, NULL, NULL,
                             &back));
    if (!error) {
        ofpacts_format(back.data, back.size, &fp);
    } else {
        ofpacts_format(ofpacts, len, &fp);
    }
    ofpbuf_uninit(&wire);
    ofpbuf_uninit(&back);
}

/* Appends 'f' to 's' in ovs-ofctl syntax, with 'port_map' (may be NULL)
 * naming ports. */
void
flowset_flow_format_ports(const struct flowset_flow *f,
                          const struct ofputil_port_map *port_map,
                          struct ds *s)
{
    ds_put_format(s, "table=%"PRIu8", priority=%"PRIu16", cookie=%#"PRIx64,
                  f->table_id, f->priority, ntohll(f->cookie));

    struct match match;
    minimatch_expand(&f->match, &match);
    size_t start = s->length;
    ds_put_cstr(s, ", ");
    match_format(&match, port_map, s, OFP_DEFAULT_PRIORITY);
    if (s->length == start + 2) {
        ds_truncate(s, start);
    }

    ds_put_cstr(s, " actions=");
    flowset_format_ofpacts(f->ofpacts, f->ofpacts_len, true, port_map, s);
}

/* Appends 'f' to 's' in ovs-ofctl syntax ("table=N, priority=P,
 * cookie=0x..., MATCH actions=..."), ports by number. */
void
flowset_flow_format(const struct flowset_flow *f, struct ds *s)
{
    flowset_flow_format_ports(f, NULL, s);
}

/* Appends 'g' to 's' in ovs-ofctl add-group syntax, with 'port_map' (may
 * be NULL) naming ports. */
void
flowset_group_format_ports(const struct flowset_group *g,
                           const struct ofputil_port_map *port_map,
                           struct ds *s)
{
    static const char *const types[] = { "all", "select", "indirect", "ff" };

    ds_put_format(s, "group_id=%"PRIu32",type=%s", g->group_id,
                  g->type < ARRAY_SIZE(types) ? types[g->type] : "unknown");

    const struct ofputil_bucket *b;
    LIST_FOR_EACH (b, list_node, &g->buckets) {
        ds_put_cstr(s, ",bucket=");
        if (b->watch_port != OFPP_ANY) {
            ds_put_cstr(s, "watch_port:");
            ofputil_format_port(b->watch_port, port_map, s);
            ds_put_char(s, ',');
        }
        ds_put_cstr(s, "actions=");
        flowset_format_ofpacts(b->ofpacts, b->ofpacts_len, false, port_map,
                               s);
    }
}

/* Appends 'g' to 's' in ovs-ofctl add-group syntax
 * ("group_id=N,type=T,bucket=[watch_port:P,]actions=..."). */
void
flowset_group_format(const struct flowset_group *g, struct ds *s)
{
    flowset_group_format_ports(g, NULL, s);
}

/* One formatted flow, for sorting. */
struct flowset_line {
    uint8_t table_id;
    uint16_t priority;
    char *text;
};

/* qsort() comparator: table ascending, priority descending, then text. */
static int
flowset_line_cmp(const void *a_, const void *b_)
{
    const struct flowset_line *a = a_, *b = b_;
    if (a->table_id != b->table_id) {
        return a->table_id < b->table_id ? -1 : 1;
    }
    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }
    return strcmp(a->text, b->text);
}

/* qsort() comparator for groups by ID. */
static int
flowset_group_ptr_cmp(const void *a_, const void *b_)
{
    const struct flowset_group *const *a = a_, *const *b = b_;
    return ((*a)->group_id > (*b)->group_id) - ((*a)->group_id
                                                 < (*b)->group_id);
}

/* Appends to 's' the flows of 'fs' whose cookie equals 'cookie' under
 * 'cookie_mask' (both in host byte order; a zero mask selects every
 * flow), sorted by table, descending priority and text, one per line,
 * then, if 'cookie_mask' is zero, all groups sorted by ID.  'port_map'
 * (may be NULL) names ports. */
void
flowset_format_filtered(const struct flowset *fs, uint64_t cookie,
                        uint64_t cookie_mask,
                        const struct ofputil_port_map *port_map,
                        struct ds *s)
{
    size_t n = 0;
    struct flowset_line *lines = xmalloc((flowset_n_flows(fs) + 1)
                                         * sizeof *lines);
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, fs) {
        if ((ntohll(f->cookie) ^ cookie) & cookie_mask) {
            continue;
        }
        struct ds line = DS_EMPTY_INITIALIZER;
        flowset_flow_format_ports(f, port_map, &line);
        lines[n].table_id = f->table_id;
        lines[n].priority = f->priority;
        lines[n].text = ds_steal_cstr(&line);
        n++;
    }
    qsort(lines, n, sizeof *lines, flowset_line_cmp);
    for (size_t i = 0; i < n; i++) {
        ds_put_format(s, "%s\n", lines[i].text);
        free(lines[i].text);
    }
    free(lines);

    if (cookie_mask) {
        return;
    }

    const struct flowset_group **groups = xmalloc(
        (flowset_n_groups(fs) + 1) * sizeof *groups);
    n = 0;
    const struct flowset_group *g;
    HMAP_FOR_EACH (g, node, &fs->groups) {
        groups[n++] = g;
    }
    qsort(groups, n, sizeof *groups, flowset_group_ptr_cmp);
    for (size_t i = 0; i < n; i++) {
        flowset_group_format_ports(groups[i], port_map, s);
        ds_put_char(s, '\n');
    }
    free(groups);
}

/* Appends all flows of 'fs' to 's', sorted by (table, priority descending,
 * text), one per line, then all groups sorted by ID. */
void
flowset_format(const struct flowset *fs, struct ds *s)
{
    flowset_format_filtered(fs, 0, 0, NULL, s);
}
