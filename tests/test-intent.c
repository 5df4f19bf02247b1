/*
 * Tests of the intent model (models/intent.c).
 *
 * usage: test-intent [CORPUS-DIR [EXAMPLES-DIR]]
 *
 * Unit cases load the examples and check counts, lookups and cross
 * references.  Then every CORPUS-DIR/NAME.json is loaded and its errors are
 * compared line by line with CORPUS-DIR/NAME.err; each corpus file is one
 * case ("PASS: test-intent: corpus/NAME").  The directories default to the
 * source tree's tests/intent and examples.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/intent.h"
#include "models/json-check.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "smap.h"
#include "svec.h"
#include "tests/unit.h"
#include "util.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static const char *examples_dir = TOP_SRCDIR "/examples";
static const char *corpus_dir = TOP_SRCDIR "/tests/intent";

/* Loads example 'name', printing its errors if it fails. */
static struct intent *
load_example(const char *name)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    char *path = xasprintf("%s/%s", examples_dir, name);
    struct intent *intent = intent_load_file(path, &errors);

    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s: %s\n", path, errors.names[i]);
    }
    svec_destroy(&errors);
    free(path);
    return intent;
}

/* Returns "a.b.c.d" for 'ip' in a static buffer. */
static const char *
ip_s(ovs_be32 ip)
{
    static char buf[16];
    snprintf(buf, sizeof buf, IP_FMT, IP_ARGS(ip));
    return buf;
}

/* Parses 'text' and returns every error, joined with newlines. */
static char *
parse_errors(const char *text)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(text, &errors);
    struct ds s = DS_EMPTY_INITIALIZER;

    if (intent && errors.n) {
        ds_put_cstr(&s, "BUG: a model with errors\n");
    }
    intent_destroy(intent);
    for (size_t i = 0; i < errors.n; i++) {
        ds_put_format(&s, "%s\n", errors.names[i]);
    }
    svec_destroy(&errors);
    return ds_steal_cstr(&s);
}

/* The SCVMM example: hosts, bridges, adapters, networks, VMs. */
static void
test_scvmm_example(void)
{
    struct intent *intent = load_example("scvmm-logical-switch.json");
    UNIT_CHECK(intent != NULL);
    if (!intent) {
        return;
    }

    UNIT_CHECK(intent_n_hosts(intent) == 2);
    UNIT_CHECK(intent_n_bridges(intent) == 6);
    UNIT_CHECK(intent_n_networks(intent) == 6);
    UNIT_CHECK(intent_n_vms(intent) == 3);
    UNIT_CHECK(intent_n_nics(intent) == 3);
    UNIT_CHECK(intent_n_policies(intent) == 0);
    UNIT_CHECK(intent_warnings(intent)->n == 0);

    struct ds summary = DS_EMPTY_INITIALIZER;
    intent_format_summary(intent, &summary);
    UNIT_CHECK_STREQ(ds_cstr(&summary),
                     "valid: 2 hosts, 6 bridges, 6 networks, 3 VMs, 3 NICs, "
                     "0 policies");
    ds_destroy(&summary);

    /* Networks. */
    const struct intent_network *v101 = intent_find_network(intent,
                                                            "vlan101");
    UNIT_CHECK(v101 != NULL);
    if (v101) {
        UNIT_CHECK(v101->vlan == 101);
        UNIT_CHECK(v101->has_subnet && v101->prefix_len == 24);
        UNIT_CHECK_STREQ(ip_s(v101->subnet), "10.8.101.0");
        UNIT_CHECK(v101->has_gateway);
        UNIT_CHECK_STREQ(ip_s(v101->gateway), "10.8.101.254");
        UNIT_CHECK(v101->has_pool);
        UNIT_CHECK_STREQ(ip_s(v101->pool_first), "10.8.101.1");
        UNIT_CHECK_STREQ(ip_s(v101->pool_last), "10.8.101.200");
        UNIT_CHECK(intent_network_at(intent, v101->index) == v101);
    }
    for (int v = 101; v <= 104; v++) {
        char name[16];
        snprintf(name, sizeof name, "vlan%d", v);
        const struct intent_network *net = intent_find_network(intent, name);
        UNIT_CHECK(net && net->vlan == v);
    }
    UNIT_CHECK(intent_find_network(intent, "vlan105") == NULL);

    /* Hosts and bridges. */
    const struct intent_host *h1 = intent_find_host(intent, "hv-host01");
    const struct intent_host *h2 = intent_find_host(intent, "hv-host02");
    UNIT_CHECK(h1 && h2 && h1 != h2);
    UNIT_CHECK(intent_find_host(intent, "hv-host03") == NULL);
    if (!h1 || !h2) {
        intent_destroy(intent);
        return;
    }
    UNIT_CHECK(intent_host_at(intent, 0) == h1);
    UNIT_CHECK(intent_host_at(intent, 1) == h2);
    UNIT_CHECK(h1->n_bridges == 3 && h2->n_bridges == 3);

    const struct intent_bridge *guest = intent_host_find_bridge(h1,
                                                                "br-guest");
    const struct intent_bridge *mgmt = intent_host_find_bridge(h1, "br-mgmt");
    const struct intent_bridge *lm = intent_host_find_bridge(h2, "br-lm");
    UNIT_CHECK(guest && mgmt && lm);
    UNIT_CHECK(intent_host_find_bridge(h1, "br0") == NULL);
    if (!guest || !mgmt || !lm) {
        intent_destroy(intent);
        return;
    }
    UNIT_CHECK(guest->host == h1 && lm->host == h2);
    UNIT_CHECK(&h1->bridges[guest->index] == guest);

    /* Every bridge is found by its datapath ID, and the IDs differ. */
    for (size_t i = 0; i < intent_n_hosts(intent); i++) {
        const struct intent_host *h = intent_host_at(intent, i);
        for (size_t j = 0; j < h->n_bridges; j++) {
            const struct intent_bridge *b = &h->bridges[j];
            UNIT_CHECK(intent_find_bridge_by_dpid(intent, b->datapath_id)
                       == b);
        }
    }
    UNIT_CHECK(guest->datapath_id == 0x103);
    UNIT_CHECK(intent_find_bridge_by_dpid(intent, 0x999) == NULL);

    UNIT_CHECK_STREQ(mgmt->uplink.name, "mgmt-up");
    UNIT_CHECK(mgmt->uplink.n_members == 2);
    if (mgmt->uplink.n_members == 2) {
        UNIT_CHECK_STREQ(mgmt->uplink.members[0], "Ethernet1");
        UNIT_CHECK_STREQ(mgmt->uplink.members[1], "Ethernet2");
    }
    UNIT_CHECK(mgmt->uplink.mode == INTENT_BOND_ACTIVE_BACKUP);
    UNIT_CHECK_STREQ(mgmt->uplink.primary, "Ethernet1");
    UNIT_CHECK(guest->uplink.mode == INTENT_BOND_BALANCE_SLB);
    UNIT_CHECK(guest->uplink.primary == NULL);
    UNIT_CHECK_STREQ(intent_bond_mode_to_string(guest->uplink.mode),
                     "balance-slb");
    UNIT_CHECK(lm->uplink.n_members == 2);
    if (lm->uplink.n_members == 2) {
        UNIT_CHECK_STREQ(lm->uplink.members[0], "Ethernet5");
    }

    UNIT_CHECK(guest->n_networks == 4);
    if (guest->n_networks == 4) {
        UNIT_CHECK(guest->networks[0] == v101);
        UNIT_CHECK(guest->networks[3]->vlan == 104);
    }

    /* Adapters. */
    UNIT_CHECK(mgmt->n_adapters == 2);
    if (mgmt->n_adapters == 2) {
        const struct intent_adapter *a = &mgmt->adapters[0];
        UNIT_CHECK(a->role == INTENT_ROLE_MANAGEMENT);
        UNIT_CHECK_STREQ(a->port, "mgmt0");
        UNIT_CHECK(a->bridge == mgmt);
        UNIT_CHECK(a->network == intent_find_network(intent, "mgmt10"));
        UNIT_CHECK(a->has_ip);
        UNIT_CHECK_STREQ(ip_s(a->ip), "10.8.10.11");
        UNIT_CHECK(mgmt->adapters[1].role == INTENT_ROLE_HEARTBEAT);
        UNIT_CHECK_STREQ(intent_adapter_role_to_string(
                             mgmt->adapters[1].role), "heartbeat");
    }
    UNIT_CHECK(lm->n_adapters == 1);
    if (lm->n_adapters == 1) {
        UNIT_CHECK(lm->adapters[0].role == INTENT_ROLE_LIVE_MIGRATION);
        UNIT_CHECK_STREQ(ip_s(lm->adapters[0].ip), "10.8.11.2");
    }

    /* VMs and NICs, with their resolved bridges. */
    const struct intent_vm *vm1 = intent_find_vm(intent, "vm101-1");
    const struct intent_vm *vm2 = intent_find_vm(intent, "vm101-2");
    const struct intent_vm *vm3 = intent_find_vm(intent, "vm102-1");
    UNIT_CHECK(vm1 && vm2 && vm3);
    UNIT_CHECK(intent_find_vm(intent, "vm103-1") == NULL);
    if (vm1 && vm2 && vm3) {
        UNIT_CHECK(vm1->host == h1 && vm2->host == h2 && vm3->host == h1);
        UNIT_CHECK(intent_vm_at(intent, 2) == vm3);
        UNIT_CHECK(vm1->categories && smap_is_empty(vm1->categories));
        UNIT_CHECK(vm1->n_nics == 1 && vm3->n_nics == 1);
        const struct intent_nic *nic = &vm1->nics[0];
        UNIT_CHECK(nic->vm == vm1);
        UNIT_CHECK(nic->network == v101);
        UNIT_CHECK(nic->bridge == guest);
        UNIT_CHECK(nic->mode == INTENT_NIC_ACCESS);
        UNIT_CHECK_STREQ(ip_s(nic->ip), "10.8.101.1");
        struct eth_addr mac = ETH_ADDR_C(50,6b,8d,00,01,01);
        UNIT_CHECK(eth_addr_equals(nic->mac, mac));
        UNIT_CHECK(vm2->nics[0].bridge
                   == intent_host_find_bridge(h2, "br-guest"));
        UNIT_CHECK(vm3->nics[0].network->vlan == 102);

        /* Each bridge lists its NICs in VM order. */
        UNIT_CHECK(guest->n_nics == 2);
        if (guest->n_nics == 2) {
            UNIT_CHECK(guest->nics[0] == &vm1->nics[0]);
            UNIT_CHECK(guest->nics[1] == &vm3->nics[0]);
        }
        UNIT_CHECK(mgmt->n_nics == 0);
    }
    intent_destroy(intent);
}

/* The AHV example: three hosts, two bridges each, trunk and untagged. */
static void
test_ahv_example(void)
{
    struct intent *intent = load_example("ahv-cluster.json");
    UNIT_CHECK(intent != NULL);
    if (!intent) {
        return;
    }
    UNIT_CHECK(intent_n_hosts(intent) == 3);
    UNIT_CHECK(intent_n_bridges(intent) == 6);

    const struct intent_network *mgmt = NULL;
    for (size_t i = 0; i < intent_n_networks(intent); i++) {
        const struct intent_network *net = intent_network_at(intent, i);
        if (!net->vlan) {
            mgmt = net;
        }
    }
    UNIT_CHECK(mgmt != NULL);

    size_t n_trunks = 0, n_categorized = 0, n_cvms = 0;
    for (size_t i = 0; i < intent_n_vms(intent); i++) {
        const struct intent_vm *vm = intent_vm_at(intent, i);
        n_categorized += !smap_is_empty(vm->categories);
        for (size_t j = 0; j < vm->n_nics; j++) {
            const struct intent_nic *nic = &vm->nics[j];
            UNIT_CHECK(nic->bridge && nic->bridge->host == vm->host);
            if (!strcmp(nic->port, "vnet0")) {
                n_cvms++;
                UNIT_CHECK(nic->network == mgmt);
            }
            if (nic->mode == INTENT_NIC_TRUNK) {
                n_trunks++;
                UNIT_CHECK(nic->n_trunk_networks > 0);
            }
        }
    }
    UNIT_CHECK(n_cvms == 3);
    UNIT_CHECK(n_trunks >= 1);
    UNIT_CHECK(n_categorized >= 2);

    const struct intent_host *h = intent_host_at(intent, 0);
    const struct intent_bridge *br0 = intent_host_find_bridge(h, "br0");
    const struct intent_bridge *br1 = intent_host_find_bridge(h, "br1");
    UNIT_CHECK(br0 && br1);
    if (br0 && br1) {
        UNIT_CHECK_STREQ(br0->uplink.name, "br0-up");
        UNIT_CHECK_STREQ(br1->uplink.name, "br1-up");
        UNIT_CHECK(br0->uplink.mode == INTENT_BOND_ACTIVE_BACKUP);
        bool backplane = false;
        for (size_t i = 0; i < br0->n_adapters; i++) {
            backplane |= br0->adapters[i].role == INTENT_ROLE_BACKPLANE
                         && br0->adapters[i].network->vlan != 0;
        }
        UNIT_CHECK(backplane);
    }
    intent_destroy(intent);
}

/* The vSphere example: VMkernel adapters each on their own VLAN. */
static void
test_vsphere_example(void)
{
    struct intent *intent = load_example("vsphere-portgroups.json");
    UNIT_CHECK(intent != NULL);
    if (!intent) {
        return;
    }

    for (size_t i = 0; i < intent_n_hosts(intent); i++) {
        const struct intent_host *h = intent_host_at(intent, i);
        const struct intent_network *by_role[INTENT_ROLE_OTHER + 1] = { 0 };
        const struct intent_bridge *vmotion_bridge = NULL;
        size_t n_adapters = 0;
        for (size_t j = 0; j < h->n_bridges; j++) {
            const struct intent_bridge *b = &h->bridges[j];
            for (size_t k = 0; k < b->n_adapters; k++) {
                const struct intent_adapter *a = &b->adapters[k];
                by_role[a->role] = a->network;
                n_adapters++;
                if (a->role == INTENT_ROLE_LIVE_MIGRATION) {
                    vmotion_bridge = b;
                }
            }
        }
        UNIT_CHECK(n_adapters >= 3);
        const struct intent_network *m = by_role[INTENT_ROLE_MANAGEMENT];
        const struct intent_network *v = by_role[INTENT_ROLE_LIVE_MIGRATION];
        const struct intent_network *p = by_role[INTENT_ROLE_PROVISIONING];
        UNIT_CHECK(m && v && p);
        if (m && v && p) {
            UNIT_CHECK(m->vlan != v->vlan && v->vlan != p->vlan
                       && m->vlan != p->vlan);
        }
        /* vMotion has its own uplink pair: no other adapter role and no VM
         * shares its bridge. */
        UNIT_CHECK(vmotion_bridge != NULL);
        if (vmotion_bridge) {
            UNIT_CHECK(vmotion_bridge->n_nics == 0);
            UNIT_CHECK(vmotion_bridge->uplink.n_members == 2);
        }
    }
    intent_destroy(intent);
}

/* Defaults: uplink mode, adapter role, NIC mode, empty sections. */
static void
test_defaults(void)
{
    static const char text[] =
        "{\"version\": 1,"
        " \"networks\": [{\"name\": \"n\", \"vlan\": 0}],"
        " \"hosts\": [{\"name\": \"h\", \"bridges\": [{\"name\": \"br0\","
        "   \"datapath_id\": \"00000000000000AB\","
        "   \"uplink\": {\"name\": \"up\", \"members\": [\"e1\"]},"
        "   \"networks\": [\"n\"],"
        "   \"adapters\": [{\"name\": \"a\", \"port\": \"a0\","
        "     \"network\": \"n\", \"mac\": \"02:00:00:00:00:01\"}]}]}],"
        " \"vms\": [{\"name\": \"v\", \"host\": \"h\", \"categories\":"
        "   {\"AppTier\": \"web\"}, \"nics\": [{\"port\": \"t0\","
        "   \"mac\": \"02:00:00:00:00:02\", \"network\": \"n\"}]}]}";
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(text, &errors);

    UNIT_CHECK(intent && !errors.n);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s\n", errors.names[i]);
    }
    if (intent) {
        const struct intent_bridge *b = &intent_host_at(intent, 0)->bridges[0];
        UNIT_CHECK(b->datapath_id == 0xab);
        UNIT_CHECK(b->uplink.mode == INTENT_BOND_ACTIVE_BACKUP);
        UNIT_CHECK(b->uplink.primary == NULL);
        UNIT_CHECK(b->adapters[0].role == INTENT_ROLE_OTHER);
        UNIT_CHECK(!b->adapters[0].has_ip);
        const struct intent_vm *vm = intent_vm_at(intent, 0);
        UNIT_CHECK(vm->nics[0].mode == INTENT_NIC_ACCESS);
        UNIT_CHECK(!vm->nics[0].has_ip);
        UNIT_CHECK(vm->nics[0].bridge == b);
        UNIT_CHECK_STREQ(smap_get(vm->categories, "AppTier"), "web");
        struct ds s = DS_EMPTY_INITIALIZER;
        intent_format_summary(intent, &s);
        UNIT_CHECK_STREQ(ds_cstr(&s),
                         "valid: 1 host, 1 bridge, 1 network, 1 VM, 1 NIC, "
                         "0 policies");
        ds_destroy(&s);
    }
    intent_destroy(intent);
    svec_destroy(&errors);

    /* The smallest valid intent. */
    intent = intent_parse("{\"version\": 1}", NULL);
    UNIT_CHECK(intent && intent_n_hosts(intent) == 0
               && intent_n_vms(intent) == 0);
    intent_destroy(intent);
    intent_destroy(NULL);
}

/* A NIC's bridge: chosen with "bridge" when several bridges of the host
 * carry its network; a trunk's networks all resolve. */
static void
test_bridge_choice(void)
{
    static const char text[] =
        "{\"version\": 1,"
        " \"networks\": [{\"name\": \"a\", \"vlan\": 10},"
        "                {\"name\": \"b\", \"vlan\": 20},"
        "                {\"name\": \"c\", \"vlan\": 30}],"
        " \"hosts\": [{\"name\": \"h\", \"bridges\": ["
        "   {\"name\": \"br0\", \"datapath_id\": \"0000000000000001\","
        "    \"uplink\": {\"name\": \"up0\", \"members\": [\"e0\"]},"
        "    \"networks\": [\"a\", \"b\"]},"
        "   {\"name\": \"br1\", \"datapath_id\": \"0000000000000002\","
        "    \"uplink\": {\"name\": \"up1\", \"members\": [\"e1\"]},"
        "    \"networks\": [\"a\", \"b\", \"c\"]}]}],"
        " \"vms\": [{\"name\": \"v\", \"host\": \"h\", \"nics\": ["
        "   {\"port\": \"t0\", \"mac\": \"02:00:00:00:00:01\","
        "    \"network\": \"a\", \"bridge\": \"br1\"},"
        "   {\"port\": \"t1\", \"mac\": \"02:00:00:00:00:02\","
        "    \"network\": \"c\", \"mode\": \"trunk\","
        "    \"trunk_networks\": [\"b\", \"a\"]},"
        "   {\"port\": \"t2\", \"mac\": \"02:00:00:00:00:03\","
        "    \"network\": \"b\", \"bridge\": \"br0\"}]}]}";
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(text, &errors);

    UNIT_CHECK(intent && !errors.n);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s\n", errors.names[i]);
    }
    if (intent) {
        const struct intent_host *h = intent_find_host(intent, "h");
        const struct intent_bridge *br0 = intent_host_find_bridge(h, "br0");
        const struct intent_bridge *br1 = intent_host_find_bridge(h, "br1");
        const struct intent_vm *vm = intent_find_vm(intent, "v");

        UNIT_CHECK(vm->nics[0].bridge == br1);
        UNIT_CHECK(vm->nics[1].bridge == br1);
        UNIT_CHECK(vm->nics[2].bridge == br0);
        UNIT_CHECK(vm->nics[1].mode == INTENT_NIC_TRUNK);
        UNIT_CHECK_STREQ(intent_nic_mode_to_string(vm->nics[1].mode),
                         "trunk");
        UNIT_CHECK(vm->nics[1].network == intent_find_network(intent, "c"));
        UNIT_CHECK(vm->nics[1].n_trunk_networks == 2);
        if (vm->nics[1].n_trunk_networks == 2) {
            UNIT_CHECK(vm->nics[1].trunk_networks[0]
                       == intent_find_network(intent, "b"));
            UNIT_CHECK(vm->nics[1].trunk_networks[1]
                       == intent_find_network(intent, "a"));
        }
        UNIT_CHECK(br1->n_nics == 2 && br0->n_nics == 1);
        if (br1->n_nics == 2 && br0->n_nics == 1) {
            UNIT_CHECK(br1->nics[0] == &vm->nics[0]);
            UNIT_CHECK(br1->nics[1] == &vm->nics[1]);
            UNIT_CHECK(br0->nics[0] == &vm->nics[2]);
        }
    }
    intent_destroy(intent);
    svec_destroy(&errors);
}

/* Returns the VM names of 'sel', comma separated, in a static buffer. */
static const char *
selector_vms(const struct intent_selector *sel)
{
    static struct ds s = DS_EMPTY_INITIALIZER;

    ds_clear(&s);
    for (size_t i = 0; i < sel->n_vms; i++) {
        ds_put_format(&s, "%s%s", i ? "," : "", sel->vms[i]->name);
    }
    return ds_cstr(&s);
}

/* The valid LACP intent (tests/intent/valid/lacp.json): options given and
 * defaulted. */
static void
test_lacp(void)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    char *path = xasprintf("%s/valid/lacp.json", corpus_dir);
    struct intent *intent = intent_load_file(path, &errors);

    UNIT_CHECK(intent && !errors.n);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s: %s\n", path, errors.names[i]);
    }
    svec_destroy(&errors);
    free(path);
    if (!intent) {
        return;
    }

    const struct intent_uplink *up
        = &intent_host_at(intent, 0)->bridges[0].uplink;
    UNIT_CHECK(up->mode == INTENT_BOND_LACP);
    UNIT_CHECK(up->lacp_rate == INTENT_LACP_FAST);
    UNIT_CHECK(up->lacp_fallback == INTENT_LACP_FALLBACK_NONE);
    UNIT_CHECK(up->lacp_system_priority == 100);
    UNIT_CHECK(up->lacp_key == 7);

    up = &intent_host_at(intent, 0)->bridges[1].uplink;
    UNIT_CHECK(up->mode == INTENT_BOND_LACP);
    UNIT_CHECK(up->lacp_rate == INTENT_LACP_SLOW);
    UNIT_CHECK(up->lacp_fallback == INTENT_LACP_FALLBACK_AB);
    UNIT_CHECK(up->lacp_system_priority
               == INTENT_LACP_DEFAULT_SYSTEM_PRIORITY);
    UNIT_CHECK(up->lacp_key == INTENT_LACP_DEFAULT_KEY);
    intent_destroy(intent);
}

/* A selector answers from a bitmap of the model's VMs only when that is no
 * larger than its list of VMs (it matches at least 1/64 of them), so many
 * narrow selectors cannot cost a bitmap each; both kinds answer alike.
 * The policy intent, with 126 more VMs of tier "web". */
static void
test_selector_bitmaps(void)
{
    char *path = xasprintf("%s/valid/policies.json", corpus_dir);
    FILE *f = fopen(path, "r");
    struct ds text = DS_EMPTY_INITIALIZER;
    UNIT_CHECK(f != NULL);
    if (f) {
        int c;
        while ((c = getc(f)) != EOF) {
            ds_put_char(&text, c);
        }
        fclose(f);
    }
    free(path);

    const char *vms = strstr(ds_cstr(&text), "\"vms\": [");
    UNIT_CHECK(vms != NULL);
    if (!vms) {
        ds_destroy(&text);
        return;
    }
    size_t at = vms - ds_cstr(&text) + strlen("\"vms\": [");
    struct ds json = DS_EMPTY_INITIALIZER;
    ds_put_buffer(&json, ds_cstr(&text), at);
    for (int i = 0; i < 126; i++) {
        ds_put_format(&json, "{\"name\": \"extra%d\", \"host\": \"h1\", "
                      "\"categories\": {\"AppTier\": \"web\"}, "
                      "\"nics\": [{\"port\": \"x%d\", "
                      "\"mac\": \"50:6b:8d:00:7e:%02x\", "
                      "\"network\": \"vlan101\"}]}, ", i, i, i);
    }
    ds_put_cstr(&json, ds_cstr(&text) + at);
    ds_destroy(&text);

    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(ds_cstr(&json), &errors);
    ds_destroy(&json);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s\n", errors.names[i]);
    }
    svec_destroy(&errors);
    UNIT_CHECK(intent && intent_n_vms(intent) == 129);
    const struct intent_policy *app = (intent
                                       ? intent_find_policy(intent, "web-app")
                                       : NULL);
    UNIT_CHECK(app && app->inbound.n_rules == 3);
    if (!app || app->inbound.n_rules != 3) {
        intent_destroy(intent);
        return;
    }
    const struct intent_selector *narrow = &app->target;   /* vm2 only. */
    const struct intent_selector *wide = &app->inbound.rules[0].peer.selector;
    UNIT_CHECK(narrow->n_vms == 1 && !narrow->vm_map);
    UNIT_CHECK(wide->n_vms == 127 && wide->vm_map);
    for (size_t i = 0; i < intent_n_vms(intent); i++) {
        const struct intent_vm *vm = intent_vm_at(intent, i);
        bool web = !strcmp(smap_get_def(vm->categories, "AppTier", ""),
                           "web");
        UNIT_CHECK(intent_selector_matches(wide, vm) == web);
        UNIT_CHECK(intent_selector_matches(narrow, vm)
                   == !strcmp(vm->name, "vm2"));
    }
    intent_destroy(intent);
}

/* The valid policy intent (tests/intent/valid/policies.json): every policy
 * type, resolved selectors, peers, ports, modes and warnings. */
static void
test_policies(void)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    char *path = xasprintf("%s/valid/policies.json", corpus_dir);
    struct intent *intent = intent_load_file(path, &errors);

    UNIT_CHECK(intent && !errors.n);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s: %s\n", path, errors.names[i]);
    }
    svec_destroy(&errors);
    free(path);
    if (!intent) {
        return;
    }

    const struct intent_vm *vm1 = intent_find_vm(intent, "vm1");
    const struct intent_vm *vm2 = intent_find_vm(intent, "vm2");
    const struct intent_vm *vm3 = intent_find_vm(intent, "vm3");
    UNIT_CHECK(intent_n_policies(intent) == 5);
    struct ds summary = DS_EMPTY_INITIALIZER;
    intent_format_summary(intent, &summary);
    UNIT_CHECK_STREQ(ds_cstr(&summary), "valid: 2 hosts, 3 bridges, "
                     "4 networks, 3 VMs, 3 NICs, 5 policies");
    ds_destroy(&summary);

    /* Application: target, rules in both directions, peers, ports. */
    const struct intent_policy *app = intent_find_policy(intent, "web-app");
    UNIT_CHECK(app && app == intent_policy_at(intent, 0));
    UNIT_CHECK(intent_find_policy(intent, "nope") == NULL);
    if (app) {
        UNIT_CHECK(app->index == 0);
        UNIT_CHECK(app->type == INTENT_POLICY_APPLICATION);
        UNIT_CHECK(app->mode == INTENT_POLICY_ENFORCE);
        UNIT_CHECK(app->log);
        UNIT_CHECK(smap_count(app->target.pairs) == 2);
        UNIT_CHECK_STREQ(smap_get(app->target.pairs, "Environment"), "prod");
        UNIT_CHECK_STREQ(selector_vms(&app->target), "vm2");
        UNIT_CHECK(intent_selector_matches(&app->target, vm2));
        UNIT_CHECK(!intent_selector_matches(&app->target, vm1));

        UNIT_CHECK(!app->inbound.default_allow);
        UNIT_CHECK(app->inbound.n_rules == 3);
        UNIT_CHECK(app->outbound.default_allow);
        UNIT_CHECK(app->outbound.n_rules == 0);
    }
    if (app && app->inbound.n_rules == 3) {
        const struct intent_rule *r = app->inbound.rules;

        UNIT_CHECK_STREQ(r[0].name, "web-8080");
        UNIT_CHECK(r[0].index == 0 && r[0].inbound);
        UNIT_CHECK(r[0].peer.kind == INTENT_PEER_SELECTOR);
        UNIT_CHECK_STREQ(selector_vms(&r[0].peer.selector), "vm1");
        UNIT_CHECK(r[0].protocol == INTENT_PROTO_TCP);
        UNIT_CHECK(r[0].n_ports == 2);
        if (r[0].n_ports == 2) {
            UNIT_CHECK(r[0].ports[0].min == 8080 && r[0].ports[0].max == 8080);
            UNIT_CHECK(r[0].ports[1].min == 9000 && r[0].ports[1].max == 9010);
        }

        UNIT_CHECK(r[1].name == NULL);
        UNIT_CHECK(r[1].index == 1 && r[1].inbound);
        UNIT_CHECK(r[1].peer.kind == INTENT_PEER_CIDR);
        UNIT_CHECK_STREQ(ip_s(r[1].peer.cidr), "10.0.0.0");
        UNIT_CHECK(r[1].peer.prefix_len == 24);
        UNIT_CHECK(r[1].protocol == INTENT_PROTO_ICMP);
        UNIT_CHECK(r[1].n_ports == 0);
        UNIT_CHECK_STREQ(intent_protocol_to_string(r[1].protocol), "icmp");

        UNIT_CHECK(r[2].peer.kind == INTENT_PEER_ANY);
        UNIT_CHECK(r[2].protocol == INTENT_PROTO_UDP);
        UNIT_CHECK(r[2].n_ports == 1 && r[2].ports[0].min == 53
                   && r[2].ports[0].max == 53);
    }

    /* Isolation, monitored. */
    const struct intent_policy *iso = intent_find_policy(intent, "prod-dev");
    UNIT_CHECK(iso != NULL);
    if (iso) {
        UNIT_CHECK(iso->type == INTENT_POLICY_ISOLATION);
        UNIT_CHECK(iso->mode == INTENT_POLICY_MONITOR);
        UNIT_CHECK(!iso->log);
        UNIT_CHECK_STREQ(intent_policy_mode_to_string(iso->mode), "monitor");
        UNIT_CHECK_STREQ(intent_policy_type_to_string(iso->type),
                         "isolation");
        UNIT_CHECK_STREQ(selector_vms(&iso->between[0]), "vm1,vm2");
        UNIT_CHECK_STREQ(selector_vms(&iso->between[1]), "vm3");
        /* The addresses of their NICs, once each, in VM order. */
        UNIT_CHECK(iso->between[0].n_ips == 2);
        if (iso->between[0].n_ips == 2) {
            UNIT_CHECK(iso->between[0].ips[0] == vm1->nics[0].ip);
            UNIT_CHECK(iso->between[0].ips[1] == vm2->nics[0].ip);
        }
        UNIT_CHECK(iso->between[1].n_ips == 1
                   && iso->between[1].ips[0] == vm3->nics[0].ip);
        /* Fields of other types are empty. */
        UNIT_CHECK(iso->target.pairs && smap_is_empty(iso->target.pairs));
        UNIT_CHECK(iso->target.n_vms == 0 && iso->target.n_ips == 0);
        UNIT_CHECK(iso->inbound.default_allow && !iso->inbound.n_rules);
        UNIT_CHECK(iso->n_vms == 0 && iso->n_forensic_from == 0);
    }

    /* Quarantines. */
    const struct intent_policy *strict = intent_policy_at(intent, 2);
    UNIT_CHECK(strict->type == INTENT_POLICY_QUARANTINE);
    UNIT_CHECK(strict->level == INTENT_QUARANTINE_STRICT);
    UNIT_CHECK(strict->n_vms == 1 && strict->vms[0] == vm3);
    UNIT_CHECK(strict->n_forensic_from == 0);
    const struct intent_policy *forensic = intent_policy_at(intent, 3);
    UNIT_CHECK(forensic->level == INTENT_QUARANTINE_FORENSIC);
    UNIT_CHECK_STREQ(intent_quarantine_level_to_string(forensic->level),
                     "forensic");
    UNIT_CHECK(forensic->n_vms == 1 && forensic->vms[0] == vm2);
    UNIT_CHECK(forensic->n_forensic_from == 1);
    if (forensic->n_forensic_from == 1) {
        UNIT_CHECK_STREQ(selector_vms(&forensic->forensic_from[0]), "vm1");
    }

    /* A monitored policy whose selectors match no VM: warnings, in file
     * order, and still a valid model. */
    const struct intent_policy *typo = intent_policy_at(intent, 4);
    UNIT_CHECK(typo->target.n_vms == 0);
    UNIT_CHECK(typo->outbound.n_rules == 1);
    if (typo->outbound.n_rules == 1) {
        const struct intent_rule *r = &typo->outbound.rules[0];
        UNIT_CHECK(!r->inbound && r->index == 0);
        UNIT_CHECK(r->peer.kind == INTENT_PEER_SELECTOR);
        UNIT_CHECK(r->peer.selector.n_vms == 0);
        UNIT_CHECK(r->n_ports == 1 && r->ports[0].min == 1
                   && r->ports[0].max == 65535);
    }
    const struct svec *w = intent_warnings(intent);
    UNIT_CHECK(w->n == 2);
    if (w->n == 2) {
        UNIT_CHECK_STREQ(w->names[0], "policies[4].target: no VM has "
                         "category AppTier=ap");
        UNIT_CHECK_STREQ(w->names[1], "policies[4].outbound.allow[0].to: "
                         "no VM has all of AppTier=web, Environment=dev");
    }
    UNIT_CHECK(vm1 && vm2 && vm3);
    intent_destroy(intent);
}

/* Policy defaults: mode, log, missing directions, protocol; a selector over
 * several VMs keeps file order; no warnings when every selector matches. */
static void
test_policy_defaults(void)
{
    static const char text[] =
        "{\"version\": 1,"
        " \"networks\": [{\"name\": \"n\", \"vlan\": 0}],"
        " \"hosts\": [{\"name\": \"h\", \"bridges\": [{\"name\": \"br0\","
        "   \"datapath_id\": \"00000000000000AB\","
        "   \"uplink\": {\"name\": \"up\", \"members\": [\"e1\"]},"
        "   \"networks\": [\"n\"]}]}],"
        " \"vms\": ["
        "  {\"name\": \"a\", \"host\": \"h\", \"categories\": {\"T\": \"x\"},"
        "   \"nics\": []},"
        "  {\"name\": \"b\", \"host\": \"h\", \"categories\": {\"U\": \"y\"},"
        "   \"nics\": []},"
        "  {\"name\": \"c\", \"host\": \"h\","
        "   \"categories\": {\"T\": \"x\", \"U\": \"y\"}, \"nics\": []}],"
        " \"policies\": ["
        "  {\"name\": \"p\", \"type\": \"application\","
        "   \"target\": {\"T\": \"x\"},"
        "   \"inbound\": {\"default\": \"deny\","
        "                \"allow\": [{\"from\": \"any\"}]}},"
        "  {\"name\": \"q\", \"type\": \"application\","
        "   \"target\": {\"U\": \"y\", \"T\": \"x\"}}]}";
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(text, &errors);

    UNIT_CHECK(intent && !errors.n);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s\n", errors.names[i]);
    }
    if (intent) {
        const struct intent_policy *p = intent_policy_at(intent, 0);
        UNIT_CHECK(p->mode == INTENT_POLICY_ENFORCE && !p->log);
        UNIT_CHECK_STREQ(selector_vms(&p->target), "a,c");
        UNIT_CHECK(!p->inbound.default_allow && p->inbound.n_rules == 1);
        if (p->inbound.n_rules == 1) {
            const struct intent_rule *r = &p->inbound.rules[0];
            UNIT_CHECK(r->name == NULL && r->inbound);
            UNIT_CHECK(r->peer.kind == INTENT_PEER_ANY);
            UNIT_CHECK(r->protocol == INTENT_PROTO_ANY && r->n_ports == 0);
        }
        UNIT_CHECK(p->outbound.default_allow && p->outbound.n_rules == 0);

        const struct intent_policy *q = intent_find_policy(intent, "q");
        UNIT_CHECK(q && q->inbound.default_allow && !q->inbound.n_rules);
        UNIT_CHECK(q && q->outbound.default_allow && !q->outbound.n_rules);
        UNIT_CHECK_STREQ(selector_vms(&q->target), "c");
        UNIT_CHECK(intent_warnings(intent)->n == 0);
    }
    intent_destroy(intent);
    svec_destroy(&errors);
}

/* Errors from intent_parse() itself: syntax positions, a byte order mark,
 * trailing text, a missing file, and the errors list left as it was. */
static void
test_syntax_errors(void)
{
    char *e;

    e = parse_errors("{\n  \"version\": 1,\n  \"vms\": [,]\n}\n");
    UNIT_CHECK_STREQ(e, "line 3, column 11: invalid JSON: expected a value, "
                     "found ','\n");
    free(e);

    e = parse_errors("");
    UNIT_CHECK_STREQ(e, "line 1, column 1: invalid JSON: expected a value, "
                     "found the end of the input\n");
    free(e);

    e = parse_errors("{\"version\": 1} {}");
    UNIT_CHECK_STREQ(e, "line 1, column 16: invalid JSON: expected the end "
                     "of the input after the value, found '{'\n");
    free(e);

    /* Columns count characters, not bytes. */
    e = parse_errors("{\"n\": \"\xc3\xa9\xc3\xa9\" x}");
    UNIT_CHECK_STREQ(e, "line 1, column 12: invalid JSON: expected ',' or "
                     "'}', found 'x'\n");
    free(e);

    e = parse_errors("\xef\xbb\xbf{\"version\": 1}");
    UNIT_CHECK_STREQ(e, "");
    free(e);

    struct svec errors = SVEC_EMPTY_INITIALIZER;
    svec_add(&errors, "earlier");
    UNIT_CHECK(!intent_load_file("/nonexistent/intent.json", &errors));
    UNIT_CHECK(errors.n == 2);
    if (errors.n == 2) {
        UNIT_CHECK_STREQ(errors.names[0], "earlier");
        UNIT_CHECK_STREQ(errors.names[1], "/nonexistent/intent.json: "
                         "cannot open: No such file or directory");
    }
    svec_destroy(&errors);
}

/* Reads file 'path' into '*s'; returns false if it cannot. */
static bool
read_whole_file(const char *path, struct ds *s)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return false;
    }
    ds_clear(s);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        ds_put_buffer(s, buf, n);
    }
    fclose(f);
    return true;
}

/* qsort() comparison for an array of strings. */
static int
compare_strings(const void *a_, const void *b_)
{
    const char *const *a = a_, *const *b = b_;
    return strcmp(*a, *b);
}

/* Runs every corpus file in 'dir' as one case.  Returns the number of
 * corpus files found. */
static size_t
run_corpus(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("FAIL: %s: corpus: cannot open %s (%s)\n", unit_program, dir,
               strerror(errno));
        unit_failed_cases++;
        return 0;
    }

    struct svec names = SVEC_EMPTY_INITIALIZER;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 5 && !strcmp(de->d_name + len - 5, ".json")) {
            svec_add_nocopy(&names, xmemdup0(de->d_name, len - 5));
        }
    }
    closedir(d);
    if (names.n) {
        qsort(names.names, names.n, sizeof *names.names, compare_strings);
    }

    struct ds expected = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < names.n; i++) {
        const char *name = names.names[i];
        char *json_path = xasprintf("%s/%s.json", dir, name);
        char *err_path = xasprintf("%s/%s.err", dir, name);
        struct svec errors = SVEC_EMPTY_INITIALIZER;
        struct intent *intent = intent_load_file(json_path, &errors);
        struct ds got = DS_EMPTY_INITIALIZER;
        bool ok = true;

        for (size_t j = 0; j < errors.n; j++) {
            ds_put_format(&got, "%s\n", errors.names[j]);
        }
        if (!read_whole_file(err_path, &expected)) {
            fprintf(stderr, "%s: missing\n", err_path);
            ok = false;
        } else if (intent || !errors.n) {
            fprintf(stderr, "%s: accepted, but it is invalid\n", json_path);
            ok = false;
        } else if (strcmp(ds_cstr(&got), ds_cstr(&expected))) {
            fprintf(stderr, "%s: errors differ\n--- expected:\n%s--- got:\n"
                    "%s", json_path, ds_cstr(&expected), ds_cstr(&got));
            ok = false;
        }
        printf("%s: %s: corpus/%s\n", ok ? "PASS" : "FAIL", unit_program,
               name);
        if (ok) {
            unit_passed_cases++;
        } else {
            unit_failed_cases++;
        }

        intent_destroy(intent);
        svec_destroy(&errors);
        ds_destroy(&got);
        free(json_path);
        free(err_path);
    }
    fflush(stdout);
    ds_destroy(&expected);

    size_t n = names.n;
    svec_destroy(&names);
    return n;
}

/* Runs the unit cases, then the corpus. */
/* True if 'span' holds exactly 'text'. */
static bool
span_is(const struct json_span *span, const char *text)
{
    return span->len == strlen(text) && !memcmp(span->start, text, span->len);
}

/* The outline of the root object that the syntax check records, which
 * the incremental compile compares by text: members in text order with
 * their values, the elements of arrays among them (strings holding
 * brackets and escaped quotes included), the first of a member named
 * twice, nothing for a root that is not an object. */
static void
test_json_outline(void)
{
    static const char text[] =
        " { \"a\" : 1 ,\n \"vms\": [ {\"x\": [1]} , [2, 3],\"s\\\"]\" ],"
        " \"b\": {\"c\": [4]}, \"e\": [], \"a\": 2 } ";
    struct json_outline o = { .members = NULL };
    size_t line, column;
    const char *reason;

    UNIT_CHECK(json_check_syntax(text, strlen(text), 8, &line, &column,
                                 &reason, NULL, &o));
    UNIT_CHECK(o.n_members == 5);
    const struct json_member *m = json_outline_find(&o, "a");
    UNIT_CHECK(m && span_is(&m->value, "1") && m == &o.members[0]);
    m = json_outline_find(&o, "vms");
    UNIT_CHECK(m && m->n_elems == 3);
    if (m && m->n_elems == 3) {
        UNIT_CHECK(span_is(&m->elems[0], "{\"x\": [1]}"));
        UNIT_CHECK(span_is(&m->elems[1], "[2, 3]"));
        UNIT_CHECK(span_is(&m->elems[2], "\"s\\\"]\""));
    }
    m = json_outline_find(&o, "b");
    UNIT_CHECK(m && span_is(&m->value, "{\"c\": [4]}") && !m->n_elems);
    m = json_outline_find(&o, "e");
    UNIT_CHECK(m && span_is(&m->value, "[]") && !m->n_elems);
    UNIT_CHECK(!json_outline_find(&o, "c"));
    json_outline_destroy(&o);

    struct json_outline none = { .members = NULL };
    UNIT_CHECK(json_check_syntax("[{\"a\": 1}]", 10, 8, &line, &column,
                                 &reason, NULL, &none));
    UNIT_CHECK(none.n_members == 0);
    json_outline_destroy(&none);
}

int
main(int argc, char *argv[])
{
    if (argc > 1) {
        corpus_dir = argv[1];
    }
    unit_program = "test-intent";
    if (argc > 2) {
        examples_dir = argv[2];
    } else if (argc > 1) {
        /* CORPUS-DIR is tests/intent: the examples are ../../examples. */
        examples_dir = xasprintf("%s/../../examples", corpus_dir);
    }

    UNIT_RUN(test_scvmm_example);
    UNIT_RUN(test_ahv_example);
    UNIT_RUN(test_vsphere_example);
    UNIT_RUN(test_defaults);
    UNIT_RUN(test_bridge_choice);
    UNIT_RUN(test_lacp);
    UNIT_RUN(test_policies);
    UNIT_RUN(test_selector_bitmaps);
    UNIT_RUN(test_policy_defaults);
    UNIT_RUN(test_syntax_errors);
    UNIT_RUN(test_json_outline);

    if (run_corpus(corpus_dir) < 40) {
        printf("FAIL: %s: corpus has fewer than 40 files\n", unit_program);
        unit_failed_cases++;
    }
    return unit_finish();
}
