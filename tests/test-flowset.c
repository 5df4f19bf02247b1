/*
 * Unit tests for pipelines/flowset.c and pipelines/portmap.c.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "flow.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "pipelines/flowset.h"
#include "pipelines/portmap.h"
#include "tests/unit.h"
#include "util.h"

/* Builds a match on 'in_port' (and on dl_vlan 'vlan' unless it is 0). */
static void
make_match(struct match *m, int in_port, int vlan)
{
    match_init_catchall(m);
    match_set_in_port(m, u16_to_ofp(in_port));
    if (vlan) {
        match_set_dl_vlan(m, htons(vlan), 0);
    }
}

/* Adds to 'fs' the flow (table, priority, in_port 'in_port') with actions
 * "output:'out'" and cookie 'cookie'. */
static void
add_output_flow(struct flowset *fs, uint8_t table, uint16_t priority,
                int in_port, int out, uint64_t cookie)
{
    struct match m;
    make_match(&m, in_port, 0);

    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(out);
    flowset_add_flow(fs, table, priority, &m, htonll(cookie), ofpacts.data,
                     ofpacts.size);
    ofpbuf_uninit(&ofpacts);
}

/* Adds to 'fs' group 'id' of 'type' with one bucket per port in 'ports'
 * (terminated by 0), each "output:PORT", watching the port if 'ff'. */
static void
add_output_group(struct flowset *fs, uint32_t id, uint8_t type,
                 const int *ports)
{
    struct flowset_group *g = flowset_add_group(fs, id, type);
    for (; *ports; ports++) {
        uint64_t stub[64 / 8];
        struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
        ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(*ports);
        flowset_group_add_bucket(g, (type == OFPGT11_FF
                                     ? u16_to_ofp(*ports) : OFPP_ANY),
                                 ofpacts.data, ofpacts.size);
        ofpbuf_uninit(&ofpacts);
    }
}

/* Returns flowset_format() of 'fs' (caller frees). */
static char *
format_set(const struct flowset *fs)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    flowset_format(fs, &s);
    return ds_steal_cstr(&s);
}

static void
test_add_find(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_output_flow(&fs, 0, 100, 1, 2, 0xfc01);
    add_output_flow(&fs, 0, 90, 1, 3, 0xfc01);   /* Other priority. */
    add_output_flow(&fs, 10, 100, 1, 4, 0xfc01); /* Other table. */
    add_output_flow(&fs, 0, 100, 2, 5, 0xfc01);  /* Other match. */
    UNIT_CHECK(flowset_n_flows(&fs) == 4);

    struct match m;
    struct minimatch mm;
    make_match(&m, 1, 0);
    minimatch_init(&mm, &m);
    const struct flowset_flow *f = flowset_find_flow(&fs, 0, 90, &mm);
    UNIT_CHECK(f != NULL);
    if (f) {
        const struct ofpact_output *out = ofpact_get_OUTPUT(f->ofpacts);
        UNIT_CHECK(out->port == u16_to_ofp(3));
        flowset_remove_flow(&fs, f);
    }
    UNIT_CHECK(flowset_find_flow(&fs, 0, 90, &mm) == NULL);
    UNIT_CHECK(flowset_find_flow(&fs, 0, 100, &mm) != NULL);
    UNIT_CHECK(flowset_find_flow(&fs, 0, 80, &mm) == NULL);
    UNIT_CHECK(flowset_n_flows(&fs) == 3);
    minimatch_destroy(&mm);

    add_output_group(&fs, 7, OFPGT11_ALL, (int[]) { 1, 2, 0 });
    UNIT_CHECK(flowset_n_groups(&fs) == 1);
    UNIT_CHECK(flowset_find_group(&fs, 7) != NULL);
    UNIT_CHECK(flowset_find_group(&fs, 8) == NULL);
    flowset_remove_group(&fs, flowset_find_group(&fs, 7));
    UNIT_CHECK(flowset_n_groups(&fs) == 0);

    flowset_clear(&fs);
    UNIT_CHECK(flowset_n_flows(&fs) == 0);
    flowset_destroy(&fs);
    flowset_destroy(NULL);
}

static void
test_replace(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_output_flow(&fs, 0, 100, 1, 2, 0xfc01);
    add_output_flow(&fs, 0, 100, 1, 9, 0xfc02);   /* Same key. */
    UNIT_CHECK(flowset_n_flows(&fs) == 1);
    add_output_group(&fs, 7, OFPGT11_ALL, (int[]) { 1, 2, 0 });
    add_output_group(&fs, 7, OFPGT11_FF, (int[]) { 3, 0 });
    UNIT_CHECK(flowset_n_groups(&fs) == 1);

    char *text = format_set(&fs);
    UNIT_CHECK_STREQ(text,
                     "table=0, priority=100, cookie=0xfc02, in_port=1 "
                     "actions=output:9\n"
                     "group_id=7,type=ff,bucket=watch_port:3,"
                     "actions=output:3\n");
    free(text);
    flowset_destroy(&fs);
}

/* Returns true if 'list' (of struct flowset_ref) holds exactly one ref
 * whose flow (new side if present, else old) is in 'table' at
 * 'priority'. */
static bool
single_flow_ref(const struct ovs_list *list, uint8_t table,
                uint16_t priority)
{
    if (ovs_list_size(list) != 1) {
        return false;
    }
    const struct flowset_ref *ref = CONTAINER_OF(ovs_list_front(list),
                                                 struct flowset_ref, node);
    const struct flowset_flow *f = ref->new ? ref->new : ref->old;
    return f->table_id == table && f->priority == priority;
}

/* Returns the group ID of the single ref in 'list', or 0. */
static uint32_t
single_group_ref(const struct ovs_list *list)
{
    if (ovs_list_size(list) != 1) {
        return 0;
    }
    const struct flowset_ref *ref = CONTAINER_OF(ovs_list_front(list),
                                                 struct flowset_ref, node);
    const struct flowset_group *g = ref->new ? ref->new : ref->old;
    return g->group_id;
}

static void
test_diff(void)
{
    struct flowset installed, desired;
    flowset_init(&installed);
    flowset_init(&desired);

    /* Same in both. */
    add_output_flow(&installed, 0, 100, 1, 2, 0xfc01);
    add_output_flow(&desired, 0, 100, 1, 2, 0xfc01);
    /* Modified actions. */
    add_output_flow(&installed, 10, 100, 1, 2, 0xfc01);
    add_output_flow(&desired, 10, 100, 1, 3, 0xfc01);
    /* Modified cookie only. */
    add_output_flow(&installed, 20, 100, 1, 2, 0xfc01);
    add_output_flow(&desired, 20, 100, 1, 2, 0xfc02);
    /* Deleted. */
    add_output_flow(&installed, 30, 100, 1, 2, 0xfc01);
    /* Added: same match and table as the deleted one, other priority. */
    add_output_flow(&desired, 30, 90, 1, 2, 0xfc01);

    add_output_group(&installed, 1, OFPGT11_FF, (int[]) { 1, 2, 0 });
    add_output_group(&desired, 1, OFPGT11_FF, (int[]) { 1, 2, 0 });
    add_output_group(&installed, 2, OFPGT11_ALL, (int[]) { 1, 2, 0 });
    add_output_group(&desired, 2, OFPGT11_ALL, (int[]) { 2, 1, 0 });
    add_output_group(&installed, 3, OFPGT11_ALL, (int[]) { 1, 0 });
    add_output_group(&desired, 4, OFPGT11_ALL, (int[]) { 1, 0 });
    /* Same buckets, other type. */
    add_output_group(&installed, 5, OFPGT11_ALL, (int[]) { 1, 0 });
    add_output_group(&desired, 5, OFPGT11_FF, (int[]) { 1, 0 });

    struct flowset_diff d;
    flowset_diff(&installed, &desired, &d);
    UNIT_CHECK(!flowset_diff_is_empty(&d));
    UNIT_CHECK(d.n_add_flows == 1 && single_flow_ref(&d.add_flows, 30, 90));
    UNIT_CHECK(d.n_del_flows == 1
               && single_flow_ref(&d.del_flows, 30, 100));
    UNIT_CHECK(d.n_mod_flows == 2 && ovs_list_size(&d.mod_flows) == 2);
    UNIT_CHECK(d.n_add_groups == 1 && single_group_ref(&d.add_groups) == 4);
    UNIT_CHECK(d.n_del_groups == 1 && single_group_ref(&d.del_groups) == 3);
    UNIT_CHECK(d.n_mod_groups == 2 && ovs_list_size(&d.mod_groups) == 2);

    const struct flowset_ref *ref;
    LIST_FOR_EACH (ref, node, &d.mod_flows) {
        const struct flowset_flow *o = ref->old, *n = ref->new;
        UNIT_CHECK(o && n && o->table_id == n->table_id
                   && (o->table_id == 10 || o->table_id == 20));
    }
    flowset_diff_destroy(&d);

    /* A diff against itself and against a clone is empty. */
    flowset_diff(&desired, &desired, &d);
    UNIT_CHECK(flowset_diff_is_empty(&d));
    flowset_diff_destroy(&d);

    struct flowset copy;
    flowset_clone(&copy, &desired);
    flowset_diff(&copy, &desired, &d);
    UNIT_CHECK(flowset_diff_is_empty(&d));
    flowset_diff_destroy(&d);

    /* From empty: everything is an add; to empty: everything a delete. */
    struct flowset empty;
    flowset_init(&empty);
    flowset_diff(&empty, &desired, &d);
    UNIT_CHECK(d.n_add_flows == 4 && d.n_add_groups == 4
               && !d.n_mod_flows && !d.n_del_flows && !d.n_del_groups);
    flowset_diff_destroy(&d);
    flowset_diff(&desired, &empty, &d);
    UNIT_CHECK(d.n_del_flows == 4 && d.n_del_groups == 4
               && !d.n_add_flows && !d.n_mod_groups);
    flowset_diff_destroy(&d);
    flowset_diff_destroy(NULL);

    flowset_destroy(&empty);
    flowset_destroy(&copy);
    flowset_destroy(&installed);
    flowset_destroy(&desired);
}


/* Returns the one flow of 'fs' in 'table' at 'priority' matching in_port
 * 'in_port', or NULL. */
static const struct flowset_flow *
find_output_flow(const struct flowset *fs, uint8_t table, uint16_t priority,
                 int in_port)
{
    struct match m;
    struct minimatch mm;
    make_match(&m, in_port, 0);
    minimatch_init(&mm, &m);
    const struct flowset_flow *f = flowset_find_flow(fs, table, priority,
                                                     &mm);
    minimatch_destroy(&mm);
    return f;
}

static void
test_shared_flows(void)
{
    /* Flows are shared between sets, not copied: a set may drop, replace
     * or remove its flows without freeing (AddressSanitizer: use after
     * free, double free) or changing those of another set. */
    struct flowset a, b;
    flowset_init(&a);
    for (int i = 1; i <= 3; i++) {
        add_output_flow(&a, 0, 100, i, 10 + i, 0xfc01);
    }
    add_output_group(&a, 7, OFPGT11_ALL, (int[]) { 1, 2, 0 });
    char *a_text = format_set(&a);

    flowset_clone(&b, &a);
    const struct flowset_flow *fa = find_output_flow(&a, 0, 100, 1);
    const struct flowset_flow *fb = find_output_flow(&b, 0, 100, 1);
    UNIT_CHECK(fa && fa == fb);     /* The same object. */
    UNIT_CHECK(fa && fa->ref_cnt == 2);
    char *b_text = format_set(&b);
    UNIT_CHECK_STREQ(b_text, a_text);
    free(b_text);

    /* Replacing a shared flow in 'b' puts a new one there; 'a' keeps its
     * own, unchanged. */
    add_output_flow(&b, 0, 100, 1, 99, 0xfc02);
    fb = find_output_flow(&b, 0, 100, 1);
    UNIT_CHECK(fb && fb != fa && fb->cookie == htonll(0xfc02));
    UNIT_CHECK(fa->ref_cnt == 1);
    /* Removing one from 'b' leaves it in 'a'. */
    flowset_remove_flow(&b, find_output_flow(&b, 0, 100, 2));
    UNIT_CHECK(find_output_flow(&a, 0, 100, 2) != NULL);
    UNIT_CHECK(flowset_n_flows(&a) == 3 && flowset_n_flows(&b) == 2);
    b_text = format_set(&a);
    UNIT_CHECK_STREQ(b_text, a_text);
    free(b_text);

    /* Sharing into a set that holds an equal-key flow replaces it. */
    flowset_add_shared(&b, fa);
    UNIT_CHECK(find_output_flow(&b, 0, 100, 1) == fa && fa->ref_cnt == 2);
    /* Sharing a flow the set already holds changes nothing. */
    flowset_add_shared(&b, fa);
    UNIT_CHECK(fa->ref_cnt == 2 && flowset_n_flows(&b) == 2);

    /* 'a' goes first: 'b' still holds valid flows. */
    flowset_destroy(&a);
    UNIT_CHECK(fa->ref_cnt == 1);
    b_text = format_set(&b);
    UNIT_CHECK_STREQ(b_text,
                     "table=0, priority=100, cookie=0xfc01, in_port=1 "
                     "actions=output:11\n"
                     "table=0, priority=100, cookie=0xfc01, in_port=3 "
                     "actions=output:13\n"
                     "group_id=7,type=all,bucket=actions=output:1,"
                     "bucket=actions=output:2\n");
    free(b_text);
    free(a_text);
    flowset_destroy(&b);
}

static void
test_diff_share(void)
{
    /* flowset_diff_share() makes the installed set hold desired's flows
     * where the two agree, and only there. */
    struct flowset installed, desired;
    flowset_init(&installed);
    flowset_init(&desired);
    for (int i = 1; i <= 50; i++) {
        add_output_flow(&installed, 0, 100, i, 2, 0xfc01);
        add_output_flow(&desired, 0, 100, i, i == 7 ? 3 : 2, 0xfc01);
    }
    add_output_flow(&installed, 0, 90, 1, 2, 0xfc01);    /* Deleted. */
    add_output_flow(&desired, 0, 80, 1, 2, 0xfc01);      /* Added. */
    char *before = format_set(&installed);

    struct flowset_diff d;
    flowset_diff_share(&installed, &desired, &d);
    UNIT_CHECK(d.n_add_flows == 1 && d.n_del_flows == 1
               && d.n_mod_flows == 1);
    const struct flowset_ref *ref;
    LIST_FOR_EACH (ref, node, &d.mod_flows) {
        const struct flowset_flow *o = ref->old;
        UNIT_CHECK(o == find_output_flow(&installed, 0, 100, 7));
    }
    flowset_diff_destroy(&d);

    for (int i = 1; i <= 50; i++) {
        const struct flowset_flow *fi = find_output_flow(&installed, 0, 100,
                                                         i);
        const struct flowset_flow *fd = find_output_flow(&desired, 0, 100,
                                                         i);
        UNIT_CHECK(fi && fd && (i == 7 ? fi != fd : fi == fd));
    }
    /* The installed set means what it meant. */
    char *after = format_set(&installed);
    UNIT_CHECK_STREQ(after, before);
    free(after);

    /* Again: nothing more to share; desired goes away first. */
    flowset_diff_share(&installed, &desired, &d);
    UNIT_CHECK(d.n_add_flows == 1 && d.n_del_flows == 1
               && d.n_mod_flows == 1);
    flowset_diff_destroy(&d);
    flowset_destroy(&desired);
    after = format_set(&installed);
    UNIT_CHECK_STREQ(after, before);
    free(after);
    free(before);
    flowset_destroy(&installed);
}

static void
test_many_flows(void)
{
    /* The table through growth and random removals: every flow stays
     * findable, and the set iterates over each exactly once. */
    enum { N = 3000 };
    struct flowset fs;
    flowset_init(&fs);
    bool present[N + 1];
    for (int i = 1; i <= N; i++) {
        add_output_flow(&fs, i % 4, 100, i, 1, 0xfc01);
        present[i] = true;
    }
    UNIT_CHECK(flowset_n_flows(&fs) == N);
    unsigned int x = 12345;
    for (int round = 0; round < 2 * N; round++) {
        x = x * 1103515245 + 12345;
        int i = 1 + (x >> 8) % N;
        if (present[i]) {
            flowset_remove_flow(&fs, find_output_flow(&fs, i % 4, 100, i));
        } else {
            add_output_flow(&fs, i % 4, 100, i, 1, 0xfc01);
        }
        present[i] = !present[i];
    }
    size_t n = 0;
    for (int i = 1; i <= N; i++) {
        const struct flowset_flow *f = find_output_flow(&fs, i % 4, 100, i);
        UNIT_CHECK(!f == !present[i]);
        n += present[i];
    }
    UNIT_CHECK(flowset_n_flows(&fs) == n);
    size_t seen = 0;
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, &fs) {
        seen++;
    }
    UNIT_CHECK(seen == n);
    flowset_destroy(&fs);
}

static void
test_remove_while_iterating(void)
{
    /* FLOWSET_FOR_EACH_FLOW_SAFE may remove the flow it is on: the loop
     * still visits every flow once, and a set sharing the flows keeps
     * them all. */
    enum { N = 500 };
    struct flowset a, b;
    flowset_init(&a);
    for (int i = 1; i <= N; i++) {
        add_output_flow(&a, i % 3, 100, i, i, 0xfc01);
    }
    flowset_clone(&b, &a);
    char *a_text = format_set(&a);

    size_t seen = 0;
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW_SAFE (f, &b) {
        seen++;
        if (ofp_to_u16(ofpact_get_OUTPUT(f->ofpacts)->port) % 2) {
            flowset_remove_flow(&b, f);
        }
    }
    UNIT_CHECK(f == NULL);
    UNIT_CHECK(seen == N);
    UNIT_CHECK(flowset_n_flows(&b) == N / 2);
    FLOWSET_FOR_EACH_FLOW (f, &b) {
        UNIT_CHECK(!(ofp_to_u16(ofpact_get_OUTPUT(f->ofpacts)->port) % 2));
        UNIT_CHECK(f->ref_cnt == 2);
    }
    UNIT_CHECK(find_output_flow(&a, 1, 100, 1)->ref_cnt == 1);

    /* Removing every flow empties the set. */
    FLOWSET_FOR_EACH_FLOW_SAFE (f, &b) {
        flowset_remove_flow(&b, f);
    }
    UNIT_CHECK(flowset_n_flows(&b) == 0);
    FLOWSET_FOR_EACH_FLOW (f, &b) {
        UNIT_CHECK(false);
    }
    flowset_destroy(&b);

    char *text = format_set(&a);
    UNIT_CHECK_STREQ(text, a_text);
    free(text);
    free(a_text);
    flowset_destroy(&a);
}

static void
test_format_deterministic(void)
{
    struct flowset a, b;
    flowset_init(&a);
    flowset_init(&b);

    /* The same content inserted in opposite orders. */
    add_output_flow(&a, 10, 5, 3, 1, 0xfc00000000000001ULL);
    add_output_flow(&a, 0, 100, 2, 1, 0xfc00000000000001ULL);
    add_output_flow(&a, 0, 100, 1, 1, 0xfc00000000000001ULL);
    add_output_flow(&a, 0, 200, 9, 1, 0xfc00000000000001ULL);
    add_output_group(&a, 0x20065, OFPGT11_ALL, (int[]) { 1, 2, 0 });
    add_output_group(&a, 1, OFPGT11_FF, (int[]) { 4, 5, 0 });

    add_output_group(&b, 1, OFPGT11_FF, (int[]) { 4, 5, 0 });
    add_output_group(&b, 0x20065, OFPGT11_ALL, (int[]) { 1, 2, 0 });
    add_output_flow(&b, 0, 200, 9, 1, 0xfc00000000000001ULL);
    add_output_flow(&b, 0, 100, 1, 1, 0xfc00000000000001ULL);
    add_output_flow(&b, 0, 100, 2, 1, 0xfc00000000000001ULL);
    add_output_flow(&b, 10, 5, 3, 1, 0xfc00000000000001ULL);

    char *ta = format_set(&a), *tb = format_set(&b);
    UNIT_CHECK_STREQ(ta, tb);
    UNIT_CHECK_STREQ(ta,
        "table=0, priority=200, cookie=0xfc00000000000001, in_port=9 "
        "actions=output:1\n"
        "table=0, priority=100, cookie=0xfc00000000000001, in_port=1 "
        "actions=output:1\n"
        "table=0, priority=100, cookie=0xfc00000000000001, in_port=2 "
        "actions=output:1\n"
        "table=10, priority=5, cookie=0xfc00000000000001, in_port=3 "
        "actions=output:1\n"
        "group_id=1,type=ff,bucket=watch_port:4,actions=output:4,"
        "bucket=watch_port:5,actions=output:5\n"
        "group_id=131173,type=all,bucket=actions=output:1,"
        "bucket=actions=output:2\n");
    free(ta);
    free(tb);

    /* A catch-all match prints no match at all; no actions is "drop". */
    struct flowset c;
    flowset_init(&c);
    struct match m;
    match_init_catchall(&m);
    flowset_add_flow(&c, 0, 0, &m, htonll(0xfc01000000000000ULL), NULL, 0);
    char *tc = format_set(&c);
    UNIT_CHECK_STREQ(tc, "table=0, priority=0, cookie=0xfc01000000000000 "
                     "actions=drop\n");
    free(tc);

    /* Filtering by cookie. */
    add_output_flow(&c, 0, 100, 1, 2, 0xfc03aaaaaaaaaa01ULL);
    add_output_flow(&c, 0, 100, 2, 2, 0xfc03aaaaaaaaaa02ULL);
    add_output_flow(&c, 0, 100, 3, 2, 0xfc03bbbbbbbbbb01ULL);
    struct ds s = DS_EMPTY_INITIALIZER;
    flowset_format_filtered(&c, 0xfc03aaaaaaaaaa00ULL, 0xffffffffffffff00ULL,
                            NULL, &s);
    UNIT_CHECK_STREQ(ds_cstr(&s),
        "table=0, priority=100, cookie=0xfc03aaaaaaaaaa01, in_port=1 "
        "actions=output:2\n"
        "table=0, priority=100, cookie=0xfc03aaaaaaaaaa02, in_port=2 "
        "actions=output:2\n");
    ds_destroy(&s);

    flowset_destroy(&a);
    flowset_destroy(&b);
    flowset_destroy(&c);
}

/* Parses 'text' as OpenFlow 1.3 instructions into 'ofpacts'. */
static void
parse_actions(const char *text, struct ofpbuf *ofpacts)
{
    enum ofputil_protocol usable;
    struct ofpact_parse_params pp = { .ofpacts = ofpacts,
                                      .usable_protocols = &usable };
    char *error = ofpacts_parse_instructions(text, &pp);
    UNIT_CHECK(error == NULL);
    free(error);
}

static void
test_equivalent_actions(void)
{
    /* Built: strip_vlan + set_field reg; parsed: the spellings a switch
     * reports.  Same meaning on the wire, different bytes in memory. */
    struct ofpbuf built, parsed, other;
    ofpbuf_init(&built, 0);
    ofpbuf_init(&parsed, 0);
    ofpbuf_init(&other, 0);

    ofpact_put_STRIP_VLAN(&built);
    ofpact_put_OUTPUT(&built)->port = u16_to_ofp(3);
    parse_actions("pop_vlan,output:3", &parsed);
    parse_actions("pop_vlan,output:4", &other);

    UNIT_CHECK(flowset_ofpacts_equivalent(built.data, built.size,
                                          parsed.data, parsed.size, true));
    UNIT_CHECK(flowset_ofpacts_equivalent(built.data, built.size,
                                          parsed.data, parsed.size, false));
    UNIT_CHECK(!flowset_ofpacts_equivalent(built.data, built.size,
                                           other.data, other.size, true));

    /* The same holds for flows and through the diff. */
    struct flowset a, b;
    flowset_init(&a);
    flowset_init(&b);
    struct match m;
    make_match(&m, 1, 101);
    flowset_add_flow(&a, 60, 100, &m, htonll(1), built.data, built.size);
    flowset_add_flow(&b, 60, 100, &m, htonll(1), parsed.data, parsed.size);
    struct flowset_diff d;
    flowset_diff(&a, &b, &d);
    UNIT_CHECK(flowset_diff_is_empty(&d));
    flowset_diff_destroy(&d);

    /* Formatting shows what the switch shows: pop_vlan. */
    char *text = format_set(&a);
    UNIT_CHECK_STREQ(text, "table=60, priority=100, cookie=0x1, "
                     "in_port=1,dl_vlan=101 actions=pop_vlan,output:3\n");
    free(text);

    flowset_destroy(&a);
    flowset_destroy(&b);
    ofpbuf_uninit(&built);
    ofpbuf_uninit(&parsed);
    ofpbuf_uninit(&other);
}

/* A match on a packet field is stored with packet_type=Ethernet, as the
 * OpenFlow decoder leaves it, so the two spellings are one key; a match on
 * metadata only (in_port, registers) is left alone. */
static void
test_packet_type_normalized(void)
{
    struct flowset fs;
    flowset_init(&fs);

    struct match plain, decoded;
    make_match(&plain, 1, 101);
    decoded = plain;
    match_set_default_packet_type(&decoded);
    flowset_add_flow(&fs, 0, 100, &plain, htonll(1), NULL, 0);
    flowset_add_flow(&fs, 0, 100, &decoded, htonll(2), NULL, 0);
    UNIT_CHECK(flowset_n_flows(&fs) == 1);

    struct minimatch mm;
    minimatch_init(&mm, &decoded);
    const struct flowset_flow *f = flowset_find_flow(&fs, 0, 100, &mm);
    UNIT_CHECK(f && f->cookie == htonll(2));
    minimatch_destroy(&mm);

    struct match meta;
    make_match(&meta, 1, 0);
    match_set_reg(&meta, 0, 3);
    flowset_add_flow(&fs, 0, 100, &meta, htonll(3), NULL, 0);
    UNIT_CHECK(flowset_n_flows(&fs) == 2);
    minimatch_init(&mm, &meta);
    f = flowset_find_flow(&fs, 0, 100, &mm);
    UNIT_CHECK(f != NULL);
    if (f) {
        struct match back;
        minimatch_expand(&f->match, &back);
        UNIT_CHECK(!back.wc.masks.packet_type);
    }
    minimatch_destroy(&mm);

    flowset_destroy(&fs);
}

static void
test_portmap(void)
{
    struct portmap pm, copy;
    portmap_init(&pm);
    portmap_set(&pm, "tap0", u16_to_ofp(1), true);
    portmap_set(&pm, "eth3", u16_to_ofp(2), false);
    UNIT_CHECK(portmap_count(&pm) == 2);

    const struct portmap_port *p = portmap_find(&pm, "eth3");
    UNIT_CHECK(p && p->ofp_port == u16_to_ofp(2) && !p->live);
    UNIT_CHECK(portmap_find(&pm, "eth4") == NULL);
    p = portmap_find_by_number(&pm, u16_to_ofp(1));
    UNIT_CHECK(p && !strcmp(p->name, "tap0"));
    UNIT_CHECK(portmap_find_by_number(&pm, u16_to_ofp(9)) == NULL);

    portmap_clone(&copy, &pm);
    UNIT_CHECK(portmap_equal(&copy, &pm));
    portmap_set(&copy, "eth3", u16_to_ofp(2), true);      /* Link up. */
    UNIT_CHECK(portmap_count(&copy) == 2);
    UNIT_CHECK(!portmap_equal(&copy, &pm));
    portmap_set(&copy, "eth3", u16_to_ofp(2), false);
    UNIT_CHECK(portmap_equal(&copy, &pm));
    portmap_set(&copy, "eth3", u16_to_ofp(5), false);     /* Renumbered. */
    UNIT_CHECK(!portmap_equal(&copy, &pm));
    portmap_remove(&copy, "eth3");
    portmap_remove(&copy, "nonexistent");
    UNIT_CHECK(portmap_count(&copy) == 1);
    UNIT_CHECK(!portmap_equal(&copy, &pm));

    /* LACP state: cloned and compared. */
    portmap_destroy(&copy);
    portmap_set_lacp(&pm, "eth3", true, true, false);
    portmap_clone(&copy, &pm);
    p = portmap_find(&copy, "eth3");
    UNIT_CHECK(p->lacp_partner && p->lacp_collecting
               && !p->lacp_distributing);
    UNIT_CHECK(portmap_equal(&copy, &pm));
    portmap_set_lacp(&copy, "eth3", true, true, true);
    UNIT_CHECK(!portmap_equal(&copy, &pm));
    portmap_set_lacp(&copy, "nonexistent", true, true, true);
    UNIT_CHECK(portmap_count(&copy) == 2);

    portmap_destroy(&copy);
    portmap_destroy(&pm);
    portmap_destroy(NULL);
}

/* Groups without buckets (an LACP bond with no member distributing)
 * compare and diff. */
static void
test_empty_group(void)
{
    struct flowset a, b;
    flowset_init(&a);
    flowset_init(&b);
    struct flowset_group *ga = flowset_add_group(&a, 1, OFPGT11_SELECT);
    struct flowset_group *gb = flowset_add_group(&b, 1, OFPGT11_SELECT);
    UNIT_CHECK(flowset_group_equal(ga, gb));

    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(1);
    flowset_group_add_bucket(gb, u16_to_ofp(1), ofpacts.data, ofpacts.size);
    ofpbuf_uninit(&ofpacts);
    UNIT_CHECK(!flowset_group_equal(ga, gb));

    struct flowset_diff d;
    flowset_diff(&b, &a, &d);
    UNIT_CHECK(d.n_mod_groups == 1);
    flowset_diff_destroy(&d);
    flowset_destroy(&a);
    flowset_destroy(&b);
}

int
main(void)
{
    unit_program = "test-flowset";
    UNIT_RUN(test_add_find);
    UNIT_RUN(test_replace);
    UNIT_RUN(test_diff);
    UNIT_RUN(test_shared_flows);
    UNIT_RUN(test_diff_share);
    UNIT_RUN(test_many_flows);
    UNIT_RUN(test_remove_while_iterating);
    UNIT_RUN(test_format_deterministic);
    UNIT_RUN(test_equivalent_actions);
    UNIT_RUN(test_packet_type_normalized);
    UNIT_RUN(test_portmap);
    UNIT_RUN(test_empty_group);
    return unit_finish();
}
