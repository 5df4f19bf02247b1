/*
 * Unit tests of the explain evaluator (pipelines/explain.h): each action
 * it simulates on hand-written flows (ovs-ofctl syntax), and a compiled
 * pipeline with microsegmentation (tests/lab/microseg-intent.json).
 */
#include <config.h>

#include <netinet/in.h>
#include <stdlib.h>
#include "flow.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-protocol.h"
#include "packets.h"
#include "pipelines/explain.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "pipelines/stages.h"
#include "svec.h"
#include "tests/unit.h"
#include "util.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* Adds the flow 'text' ("table=N,priority=P,MATCH actions=...") to 'fs'. */
static void
add_flow(struct flowset *fs, const char *text)
{
    struct ofputil_flow_mod fm;
    enum ofputil_protocol usable;
    char *error = parse_ofp_str(&fm, OFPFC_ADD, text, NULL, NULL, &usable);
    if (error) {
        fprintf(stderr, "%s: %s\n", text, error);
        free(error);
        UNIT_CHECK(false);
        return;
    }
    struct match match;
    minimatch_expand(&fm.match, &match);
    flowset_add_flow(fs, fm.table_id == 0xff ? 0 : fm.table_id, fm.priority,
                     &match, fm.new_cookie, fm.ofpacts, fm.ofpacts_len);
    minimatch_destroy(&fm.match);
    free(fm.ofpacts);
}

/* Adds the group 'text' (ovs-ofctl add-group syntax) to 'fs'. */
static void
add_group(struct flowset *fs, const char *text)
{
    struct ofputil_group_mod gm;
    enum ofputil_protocol usable;
    char *error = parse_ofp_group_mod_str(&gm, OFPGC11_ADD, text, NULL, NULL,
                                          &usable);
    if (error) {
        fprintf(stderr, "%s: %s\n", text, error);
        free(error);
        UNIT_CHECK(false);
        return;
    }
    struct flowset_group *g = flowset_add_group(fs, gm.group_id, gm.type);
    const struct ofputil_bucket *b;
    LIST_FOR_EACH (b, list_node, &gm.buckets) {
        flowset_group_add_bucket(g, b->watch_port, b->ofpacts,
                                 b->ofpacts_len);
    }
    ofputil_uninit_group_mod(&gm);
}

/* An IPv4 TCP packet from 10.0.0.1 to 10.0.0.2:'dport' on 'in_port'. */
static void
make_packet(struct flow *p, uint16_t in_port, uint16_t dport)
{
    memset(p, 0, sizeof *p);
    p->packet_type = htonl(PT_ETH);
    p->in_port.ofp_port = u16_to_ofp(in_port);
    p->dl_src = (struct eth_addr) ETH_ADDR_C(02, 00, 00, 00, 00, 01);
    p->dl_dst = (struct eth_addr) ETH_ADDR_C(02, 00, 00, 00, 00, 02);
    p->dl_type = htons(ETH_TYPE_IP);
    p->nw_src = htonl(0x0a000001);
    p->nw_dst = htonl(0x0a000002);
    p->nw_proto = IPPROTO_TCP;
    p->nw_ttl = 64;
    p->tp_src = htons(40000);
    p->tp_dst = htons(dport);
}

/* Runs 'p' through 'fs' (ports 'pm', may be NULL) into 'r'. */
static void
run(const struct flowset *fs, const struct portmap *pm, const struct flow *p,
    struct explain_result *r)
{
    struct explain *ex = explain_create(fs, pm);
    explain_run(ex, p, r);
    explain_destroy(ex);
}

/* The output ports of 'r', "2,3" (OFPP_CONTROLLER as "C"); to free. */
static char *
outputs(const struct explain_result *r)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < r->n_outputs; i++) {
        if (i) {
            ds_put_char(&s, ',');
        }
        if (r->outputs[i].port == OFPP_CONTROLLER) {
            ds_put_char(&s, 'C');
        } else {
            ds_put_format(&s, "%"PRIu32, ofp_to_u16(r->outputs[i].port));
        }
    }
    return ds_steal_cstr(&s);
}

/* The notes of 'r' joined by "|"; to free. */
static char *
notes(const struct explain_result *r)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < r->n_steps; i++) {
        if (r->steps[i].note) {
            ds_put_format(&s, "%s|", r->steps[i].note);
        }
    }
    return ds_steal_cstr(&s);
}

/* The tables of the flows matched in 'r', "0,10,20"; to free. */
static char *
tables(const struct explain_result *r)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < r->n_steps; i++) {
        if (r->steps[i].flow) {
            ds_put_format(&s, "%s%"PRIu8, s.length ? "," : "",
                          r->steps[i].flow->table_id);
        }
    }
    return ds_steal_cstr(&s);
}

#define CHECK_OUTPUTS(R, EXPECTED)                  \
    do {                                            \
        char *o_ = outputs(R);                      \
        UNIT_CHECK_STREQ(o_, EXPECTED);             \
        free(o_);                                   \
    } while (0)

/* Runs make_packet(IN_PORT, DPORT) through 'FS' and checks its outputs. */
#define CHECK_PACKET_OUTPUTS(FS, IN_PORT, DPORT, EXPECTED)  \
    do {                                                    \
        struct flow p_;                                     \
        struct explain_result r_;                           \
        make_packet(&p_, IN_PORT, DPORT);                   \
        run(FS, NULL, &p_, &r_);                            \
        CHECK_OUTPUTS(&r_, EXPECTED);                       \
        explain_result_destroy(&r_);                        \
    } while (0)

#define CHECK_TABLES(R, EXPECTED)                   \
    do {                                            \
        char *t_ = tables(R);                       \
        UNIT_CHECK_STREQ(t_, EXPECTED);             \
        free(t_);                                   \
    } while (0)

/* Checks that some note of 'R' contains 'NEEDLE'. */
#define CHECK_NOTE(R, NEEDLE)                                       \
    do {                                                            \
        char *n_ = notes(R);                                        \
        if (!strstr(n_, NEEDLE)) {                                  \
            fprintf(stderr, "%s:%d: no note has \"%s\": %s\n",      \
                    __FILE__, __LINE__, NEEDLE, n_);                \
            unit_case_failed = true;                                \
        }                                                           \
        free(n_);                                                   \
    } while (0)

/* goto_table and set_field on a register; a table miss drops. */
static void
test_goto_and_miss(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_flow(&fs, "table=0,priority=10,in_port=1 "
             "actions=set_field:5->reg0,goto_table:10");
    add_flow(&fs, "table=10,priority=10,reg0=5 actions=output:2");
    add_flow(&fs, "table=10,priority=0 actions=drop");

    struct flow p;
    struct explain_result r;
    make_packet(&p, 1, 80);
    run(&fs, NULL, &p, &r);
    CHECK_OUTPUTS(&r, "2");
    CHECK_TABLES(&r, "0,10");
    UNIT_CHECK(r.outputs[0].packet.regs[0] == 5);
    UNIT_CHECK(!r.truncated);
    explain_result_destroy(&r);

    make_packet(&p, 7, 80);         /* No flow in table 0. */
    run(&fs, NULL, &p, &r);
    CHECK_OUTPUTS(&r, "");
    CHECK_NOTE(&r, "no flow matches: drop");
    explain_result_destroy(&r);
    flowset_destroy(&fs);
}

/* resubmit comes back and goes on with the flow's actions, with the
 * registers the resubmitted table set; a register move. */
static void
test_resubmit_and_move(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_flow(&fs, "table=0,priority=10 actions=resubmit(,20),"
             "move:NXM_NX_REG1[]->NXM_NX_REG2[],resubmit(,21)");
    add_flow(&fs, "table=20,priority=10 actions=set_field:7->reg1");
    add_flow(&fs, "table=21,priority=10,reg2=7 actions=output:4");
    add_flow(&fs, "table=21,priority=0 actions=drop");

    struct flow p;
    struct explain_result r;
    make_packet(&p, 1, 80);
    run(&fs, NULL, &p, &r);
    CHECK_OUTPUTS(&r, "4");
    CHECK_TABLES(&r, "0,20,21");
    UNIT_CHECK(r.n_steps == 3 && r.steps[1].depth == 1
               && r.steps[2].depth == 1);
    explain_result_destroy(&r);
    flowset_destroy(&fs);
}

/* output:REG outputs to the port number in the register's bits (the
 * balance-slb pin), as OVS does. */
static void
test_output_reg(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_flow(&fs, "table=0,priority=10,in_port=1 "
             "actions=set_field:0xb->reg8,goto_table:60");
    add_flow(&fs, "table=0,priority=10,in_port=2 "
             "actions=set_field:0xa->reg8,goto_table:60");
    add_flow(&fs, "table=60,priority=10 actions=output:NXM_NX_REG8[0..15]");

    CHECK_PACKET_OUTPUTS(&fs, 1, 80, "11");
    CHECK_PACKET_OUTPUTS(&fs, 2, 80, "10");
    flowset_destroy(&fs);
}

/* OVS never outputs to the ingress port; in_port is the way there. */
static void
test_output_ingress(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_flow(&fs, "table=0,priority=10 actions=output:1,output:2");
    add_flow(&fs, "table=0,priority=20,tcp,tp_dst=22 "
             "actions=in_port,controller(max_len=128)");

    struct flow p;
    struct explain_result r;
    make_packet(&p, 1, 80);
    run(&fs, NULL, &p, &r);
    CHECK_OUTPUTS(&r, "2");
    CHECK_NOTE(&r, "output:1 skipped: never back to the ingress port");
    explain_result_destroy(&r);

    make_packet(&p, 1, 22);
    run(&fs, NULL, &p, &r);
    CHECK_OUTPUTS(&r, "1,C");
    UNIT_CHECK(explain_result_n_port_outputs(&r) == 1);
    explain_result_destroy(&r);
    flowset_destroy(&fs);
}

/* push_vlan / set_field vlan_vid / pop_vlan, seen by later tables and in
 * the outputs. */
static void
test_vlan(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_flow(&fs, "table=0,priority=10,in_port=1,vlan_tci=0x0000/0x1000 "
             "actions=push_vlan:0x8100,set_field:4197->vlan_vid,"
             "goto_table:10");
    add_flow(&fs, "table=10,priority=10,dl_vlan=101 "
             "actions=output:2,pop_vlan,output:3");

    struct flow p;
    struct explain_result r;
    make_packet(&p, 1, 80);
    run(&fs, NULL, &p, &r);
    CHECK_OUTPUTS(&r, "2,3");
    if (r.n_outputs == 2) {
        UNIT_CHECK(r.outputs[0].packet.vlans[0].tci
                   == htons(VLAN_CFI | 101));
        UNIT_CHECK(!(r.outputs[1].packet.vlans[0].tci & htons(VLAN_CFI)));
    }
    explain_result_destroy(&r);
    flowset_destroy(&fs);
}

/* Groups: all (every bucket, each on its own copy), fast failover (the
 * first live watch port), select (the first bucket, with a note). */
static void
test_groups(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_group(&fs, "group_id=1,type=all,"
              "bucket=actions=set_field:9->reg3,output:2,"
              "bucket=actions=resubmit(,5)");
    add_group(&fs, "group_id=2,type=ff,"
              "bucket=watch_port:2,actions=output:2,"
              "bucket=watch_port:3,actions=output:3");
    add_group(&fs, "group_id=3,type=select,"
              "bucket=actions=output:4,bucket=actions=output:5");
    add_flow(&fs, "table=0,priority=10,tcp,tp_dst=1 actions=group:1");
    add_flow(&fs, "table=0,priority=10,tcp,tp_dst=2 actions=group:2");
    add_flow(&fs, "table=0,priority=10,tcp,tp_dst=3 actions=group:3");
    add_flow(&fs, "table=0,priority=10,tcp,tp_dst=4 actions=group:4");
    add_flow(&fs, "table=5,priority=10,reg3=0 actions=output:6");

    struct portmap pm;
    portmap_init(&pm);
    portmap_set(&pm, "eth2", u16_to_ofp(2), false);
    portmap_set(&pm, "eth3", u16_to_ofp(3), true);

    struct flow p;
    struct explain_result r;
    make_packet(&p, 1, 1);
    run(&fs, &pm, &p, &r);
    CHECK_OUTPUTS(&r, "2,6");       /* reg3 of bucket 0 not in bucket 1. */
    explain_result_destroy(&r);

    make_packet(&p, 1, 2);
    run(&fs, &pm, &p, &r);
    CHECK_OUTPUTS(&r, "3");         /* eth2 is down. */
    CHECK_NOTE(&r, "bucket 1, the first whose watch port 3 is live");
    explain_result_destroy(&r);

    portmap_set(&pm, "eth3", u16_to_ofp(3), false);
    run(&fs, &pm, &p, &r);
    CHECK_OUTPUTS(&r, "");
    CHECK_NOTE(&r, "no live bucket: drop");
    explain_result_destroy(&r);

    make_packet(&p, 1, 3);
    run(&fs, &pm, &p, &r);
    CHECK_OUTPUTS(&r, "4");
    CHECK_NOTE(&r, "not simulated here; showing bucket 0");
    explain_result_destroy(&r);

    make_packet(&p, 1, 4);
    run(&fs, &pm, &p, &r);
    CHECK_OUTPUTS(&r, "");
    CHECK_NOTE(&r, "group 4 does not exist: drop");
    explain_result_destroy(&r);

    portmap_destroy(&pm);
    flowset_destroy(&fs);
}

/* A conjunctive match: clause flows go into the classifier as clauses;
 * the conj_id flow matches only when every clause does. */
static void
test_conjunction(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_flow(&fs, "table=0,priority=10,ip,nw_src=10.0.0.1 "
             "actions=conjunction(7,1/2)");
    add_flow(&fs, "table=0,priority=10,ip,nw_src=10.0.0.3 "
             "actions=conjunction(7,1/2)");
    add_flow(&fs, "table=0,priority=10,tcp,tp_dst=80 "
             "actions=conjunction(7,2/2)");
    add_flow(&fs, "table=0,priority=10,tcp,tp_dst=443 "
             "actions=conjunction(7,2/2)");
    add_flow(&fs, "table=0,priority=10,conj_id=7,ip actions=output:2");
    add_flow(&fs, "table=0,priority=0 actions=output:9");

    CHECK_PACKET_OUTPUTS(&fs, 1, 443, "2");
    CHECK_PACKET_OUTPUTS(&fs, 1, 81, "9");      /* Clause 2 fails. */

    struct flow p;
    struct explain_result r;
    make_packet(&p, 1, 80);
    p.nw_src = htonl(0x0a000002);   /* Clause 1 fails. */
    run(&fs, NULL, &p, &r);
    CHECK_OUTPUTS(&r, "9");
    explain_result_destroy(&r);
    flowset_destroy(&fs);
}

/* ct(table=N) recirculates as +trk+new in its zone; after ct(commit) the
 * packet is untracked again. */
static void
test_conntrack(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_flow(&fs, "table=0,priority=10,ip "
             "actions=set_field:9->reg3,ct(table=5,zone=NXM_NX_REG3[0..15])");
    add_flow(&fs, "table=5,priority=10,ct_state=+trk+new,ct_zone=9,ip "
             "actions=ct(commit,zone=9),goto_table:6");
    add_flow(&fs, "table=5,priority=0 actions=drop");
    add_flow(&fs, "table=6,priority=10,ct_state=-trk actions=output:2");
    add_flow(&fs, "table=6,priority=0 actions=drop");

    struct flow p;
    struct explain_result r;
    make_packet(&p, 1, 80);
    run(&fs, NULL, &p, &r);
    CHECK_OUTPUTS(&r, "2");
    CHECK_TABLES(&r, "0,5,6");
    CHECK_NOTE(&r, "ct() in zone 9: recirculates to table 5");
    CHECK_NOTE(&r, "ct(commit) in zone 9");
    explain_result_destroy(&r);
    flowset_destroy(&fs);
}

/* A resubmit loop is cut, as OVS cuts it. */
static void
test_loop(void)
{
    struct flowset fs;
    flowset_init(&fs);
    add_flow(&fs, "table=0,priority=10 actions=resubmit(,0),output:2");

    struct flow p;
    struct explain_result r;
    make_packet(&p, 1, 80);
    run(&fs, NULL, &p, &r);
    UNIT_CHECK(r.truncated);
    CHECK_NOTE(&r, "too deep or too long");
    explain_result_destroy(&r);
    flowset_destroy(&fs);
    explain_destroy(NULL);
    explain_result_destroy(NULL);
}

/* The last step of 'r' whose flow is in 'table', or NULL. */
static const struct explain_step *
last_in_table(const struct explain_result *r, uint8_t table)
{
    const struct explain_step *found = NULL;
    for (size_t i = 0; i < r->n_steps; i++) {
        if (r->steps[i].flow && r->steps[i].table_id == table) {
            found = &r->steps[i];
        }
    }
    return found;
}

/* A compiled pipeline: tests/lab/microseg-intent.json, hv-host02's
 * br-guest (app1 on tap1, db1 on tap4), a frame from web1 arriving on the
 * uplink.  web-app allows tcp/8080 from web VMs (a conjunctive rule) and
 * denies tcp/22 by default; pipeline_cookie_format() names both. */
static void
test_compiled_microseg(void)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_load_file(
        TOP_SRCDIR "/tests/lab/microseg-intent.json", &errors);
    UNIT_CHECK(intent);
    svec_destroy(&errors);
    if (!intent) {
        return;
    }
    const struct intent_host *h2 = intent_find_host(intent, "hv-host02");
    const struct intent_bridge *br = intent_host_find_bridge(h2, "br-guest");
    struct portmap pm;
    portmap_init(&pm);
    portmap_set(&pm, "Ethernet3", u16_to_ofp(1), true);
    portmap_set(&pm, "Ethernet4", u16_to_ofp(2), true);
    portmap_set(&pm, "tap1", u16_to_ofp(3), true);
    portmap_set(&pm, "tap4", u16_to_ofp(4), true);
    portmap_set(&pm, "tap6", u16_to_ofp(5), true);
    struct flowset fs;
    flowset_init(&fs);
    pipeline_compile(intent, br, &pm, &fs);

    struct flow p;
    make_packet(&p, 1, 8080);
    p.vlans[0].tci = htons(VLAN_CFI | 101);
    p.vlans[0].tpid = htons(ETH_TYPE_VLAN);
    eth_addr_from_string("50:6b:8d:00:0a:01", &p.dl_src);   /* web1 */
    eth_addr_from_string("50:6b:8d:00:0a:02", &p.dl_dst);   /* app1 */
    p.nw_src = htonl(0x0a08650b);                           /* .11 */
    p.nw_dst = htonl(0x0a086515);                           /* .21 */

    struct explain_result r;
    run(&fs, &pm, &p, &r);
    CHECK_OUTPUTS(&r, "3");
    if (r.n_outputs) {
        UNIT_CHECK(!(r.outputs[0].packet.vlans[0].tci & htons(VLAN_CFI)));
    }
    struct ds s = DS_EMPTY_INITIALIZER;
    /* The sender's address is classed first (web1 is web: reg7 bit 0),
     * then the rule matches that class bit. */
    bool classed = false, by_class = false;
    for (size_t i = 0; i < r.n_steps; i++) {
        const struct flowset_flow *f = r.steps[i].flow;
        if (f && f->table_id == PIPELINE_T_MS_IN_CLASS && f->priority) {
            classed = true;
        }
        if (f && f->table_id == PIPELINE_T_MS_IN_EVAL
            && ((ntohll(f->cookie) >> 48) & 0xff)
               == PIPELINE_COOKIE_POLICY_ALLOW) {
            struct match m;
            minimatch_expand(&f->match, &m);
            by_class = m.wc.masks.regs[PIPELINE_REG_CLASS] == 0x1;
            pipeline_cookie_format(intent, ntohll(f->cookie), &s);
        }
    }
    UNIT_CHECK(classed);
    UNIT_CHECK(by_class);
    UNIT_CHECK_STREQ(ds_cstr(&s),
                     "policy web-app inbound rule 1 \"web-to-app\": allow");
    explain_result_destroy(&r);

    p.tp_dst = htons(22);
    run(&fs, &pm, &p, &r);
    CHECK_OUTPUTS(&r, "");
    const struct explain_step *v = last_in_table(&r, PIPELINE_T_MS_IN_VERDICT);
    UNIT_CHECK(v);
    if (v) {
        ds_clear(&s);
        pipeline_cookie_format(intent, ntohll(v->flow->cookie), &s);
        UNIT_CHECK_STREQ(ds_cstr(&s),
                         "policy web-app inbound default: deny");
    }
    explain_result_destroy(&r);

    ds_clear(&s);
    pipeline_cookie_format(intent, pipeline_cookie_bridge(br), &s);
    pipeline_cookie_format(intent, pipeline_cookie_uplink(br), &s);
    pipeline_cookie_format(intent, pipeline_cookie_make(
                               PIPELINE_COOKIE_NIC, "db1", 0), &s);
    pipeline_cookie_format(intent, pipeline_cookie_make(
                               PIPELINE_COOKIE_NETWORK, "nosuch", 0), &s);
    UNIT_CHECK_STREQ(ds_cstr(&s), "bridge br-guestuplink bond guest-up"
                     "VM db1 NIC 0unknown object (kind 2)");
    ds_destroy(&s);
    flowset_destroy(&fs);
    portmap_destroy(&pm);
    intent_destroy(intent);
}

int
main(void)
{
    unit_program = "test-explain";
    UNIT_RUN(test_goto_and_miss);
    UNIT_RUN(test_resubmit_and_move);
    UNIT_RUN(test_output_reg);
    UNIT_RUN(test_output_ingress);
    UNIT_RUN(test_vlan);
    UNIT_RUN(test_groups);
    UNIT_RUN(test_conjunction);
    UNIT_RUN(test_conntrack);
    UNIT_RUN(test_loop);
    UNIT_RUN(test_compiled_microseg);
    return unit_finish();
}
