/* Unit tests for controller/diagram.c: DOT escaping, host filtering, live
 * state, determinism. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include "controller/diagram.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "svec.h"
#include "tests/unit.h"
#include "util.h"

/* Two hosts; names with a quote, a backslash and an ampersand. */
static const char intent_json[] =
    "{\"version\": 1,\n"
    " \"networks\": [{\"name\": \"v\\\"10\", \"vlan\": 10},\n"
    "              {\"name\": \"v20\", \"vlan\": 20}],\n"
    " \"hosts\": [\n"
    "  {\"name\": \"h\\\\1&\", \"bridges\": [\n"
    "   {\"name\": \"br0\", \"datapath_id\": \"00000000000000a1\",\n"
    "    \"uplink\": {\"name\": \"br0-up\", \"members\": [\"up0\", \"up1\"],\n"
    "                \"mode\": \"balance-slb\"},\n"
    "    \"networks\": [\"v\\\"10\"],\n"
    "    \"adapters\": [{\"name\": \"vmk0\", \"port\": \"vmk0\",\n"
    "       \"role\": \"management\", \"network\": \"v\\\"10\",\n"
    "       \"mac\": \"02:00:00:00:00:01\", \"ip\": \"10.0.10.1\"}]}]},\n"
    "  {\"name\": \"h2\", \"bridges\": [\n"
    "   {\"name\": \"br9\", \"datapath_id\": \"00000000000000b1\",\n"
    "    \"uplink\": {\"name\": \"br9-up\", \"members\": [\"eth0\"],\n"
    "                \"mode\": \"active-backup\"},\n"
    "    \"networks\": [\"v20\"]}]}],\n"
    " \"vms\": [\n"
    "  {\"name\": \"vm \\\"one\\\"\", \"host\": \"h\\\\1&\",\n"
    "   \"nics\": [{\"port\": \"tap1\", \"mac\": \"02:00:00:00:01:01\",\n"
    "             \"network\": \"v\\\"10\", \"ip\": \"10.0.10.11\"}]},\n"
    "  {\"name\": \"vm2\", \"host\": \"h2\",\n"
    "   \"nics\": [{\"port\": \"tap2\", \"mac\": \"02:00:00:00:01:02\",\n"
    "             \"network\": \"v20\"}]}]}\n";

static struct intent *
load(void)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(intent_json, &errors);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s\n", errors.names[i]);
    }
    svec_destroy(&errors);
    return intent;
}

/* The DOT of 'intent' (to free). */
static char *
format(const struct intent *intent, const char *host,
       const struct diagram_live *live)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    UNIT_CHECK(diagram_format(intent, host, live, &s));
    return ds_steal_cstr(&s);
}

static void
test_escape(void)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    diagram_escape("a\"b\\c&d\ne\x7f", &s);
    UNIT_CHECK_STREQ(ds_cstr(&s), "a\\\"b\\\\c&amp;d?e?");
    ds_clear(&s);
    /* Valid UTF-8 stays; a lone continuation byte, a truncated sequence,
     * an overlong form and a surrogate become '?'. */
    diagram_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\x80|\xc3|\xc0\xaf|"
                   "\xed\xa0\x80", &s);
    UNIT_CHECK_STREQ(ds_cstr(&s),
                     "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|?|?|??|???");
    ds_destroy(&s);
}

static void
test_names_escaped(void)
{
    struct intent *intent = load();
    UNIT_CHECK(intent);
    if (!intent) {
        return;
    }
    char *dot = format(intent, NULL, NULL);
    UNIT_CHECK(strstr(dot, "label=\"host h\\\\1&amp;\""));
    UNIT_CHECK(strstr(dot, "label=\"VM vm \\\"one\\\"\""));
    UNIT_CHECK(strstr(dot, "label=\"network v\\\"10\\nVLAN 10\""));
    UNIT_CHECK(strstr(dot, "label=\"uplink br0-up\\nbond balance-slb\""));
    UNIT_CHECK(strstr(dot, "role management\\nport vmk0"));
    UNIT_CHECK(strstr(dot, "label=\"port tap1\\nMAC 02:00:00:00:01:01\\n"
                      "IP 10.0.10.11\\nnetwork v\\\"10 (VLAN 10)\""));
    UNIT_CHECK(strstr(dot, "label=\"host h2\""));
    /* No live state: neutral, and no state words. */
    UNIT_CHECK(!strstr(dot, "\\nin sync") && !strstr(dot, "\\nlink ")
               && !strstr(dot, "connected"));
    UNIT_CHECK(strstr(dot, "(no live state)"));
    /* Every quote is escaped or delimits: an even count of unescaped
     * quotes on each line. */
    for (const char *line = dot; *line; ) {
        const char *end = strchr(line, '\n');
        int quotes = 0;
        for (const char *p = line; p < end; p++) {
            if (*p == '\\') {
                p++;
            } else if (*p == '"') {
                quotes++;
            }
        }
        UNIT_CHECK(quotes % 2 == 0);
        line = end + 1;
    }
    free(dot);
    intent_destroy(intent);
}

static void
test_host_filter(void)
{
    struct intent *intent = load();
    if (!intent) {
        UNIT_CHECK(intent);
        return;
    }
    char *dot = format(intent, "h2", NULL);
    UNIT_CHECK(strstr(dot, "label=\"host h2\""));
    UNIT_CHECK(strstr(dot, "bridge br9"));
    UNIT_CHECK(strstr(dot, "VM vm2"));
    UNIT_CHECK(strstr(dot, "network v20"));
    UNIT_CHECK(!strstr(dot, "h\\\\1"));
    UNIT_CHECK(!strstr(dot, "br0"));
    UNIT_CHECK(!strstr(dot, "VM vm \\\"one"));
    UNIT_CHECK(!strstr(dot, "network v\\\"10"));
    free(dot);

    struct ds s = DS_EMPTY_INITIALIZER;
    UNIT_CHECK(!diagram_format(intent, "h3", NULL, &s));
    UNIT_CHECK_STREQ(ds_cstr(&s), "unknown host \"h3\"");
    ds_destroy(&s);
    intent_destroy(intent);
}

static void
test_live_state(void)
{
    struct intent *intent = load();
    if (!intent) {
        UNIT_CHECK(intent);
        return;
    }
    /* h1's bridge in sync: up0 up, up1 down, tap1 absent, vmk0 up; h2's
     * bridge not connected. */
    struct diagram_live *live = diagram_live_create();
    diagram_live_add_switch(live, 0xa1, true);
    diagram_live_add_port(live, 0xa1, "up0", true);
    diagram_live_add_port(live, 0xa1, "up1", false);
    diagram_live_add_port(live, 0xa1, "vmk0", true);
    char *dot = format(intent, NULL, live);
    UNIT_CHECK(strstr(dot, "class=\"bridge in-sync\", label=\"bridge br0\\n"
                      "dpid 00000000000000a1\\nin sync\""));
    UNIT_CHECK(strstr(dot, "class=\"member up\", label=\"member up0\\n"
                      "link up\""));
    UNIT_CHECK(strstr(dot, "class=\"member down\", label=\"member up1\\n"
                      "link down\""));
    UNIT_CHECK(strstr(dot, "class=\"nic absent\", label=\"port tap1"));
    UNIT_CHECK(strstr(dot, "class=\"adapter up\", label=\"adapter vmk0"));
    UNIT_CHECK(strstr(dot, "class=\"bridge not-connected\", label=\"bridge "
                      "br9\\ndpid 00000000000000b1\\nnot connected\""));
    UNIT_CHECK(strstr(dot, "class=\"member unknown\", label=\"member eth0\\n"
                      "state unknown\""));
    UNIT_CHECK(strstr(dot, "legend_port_down"));

    /* Connected, not in sync; a port reported up by another connection
     * wins over down. */
    diagram_live_add_switch(live, 0xb1, false);
    diagram_live_add_port(live, 0xa1, "up1", true);
    char *dot2 = format(intent, NULL, live);
    UNIT_CHECK(strstr(dot2, "class=\"bridge connected\", label=\"bridge br9"
                      "\\ndpid 00000000000000b1\\nconnected, not in sync\""));
    UNIT_CHECK(strstr(dot2, "class=\"member up\", label=\"member up1\\n"
                      "link up\""));
    UNIT_CHECK(strstr(dot2, "class=\"member absent\", label=\"member eth0"));

    /* An LACP uplink: up1's link is up but it does not distribute (orange),
     * unless the bond is in fallback. */
    diagram_live_set_lacp(live, 0xa1, false);
    diagram_live_add_lacp_member(live, 0xa1, "up0", "current", true);
    diagram_live_add_lacp_member(live, 0xa1, "up1", "defaulted", false);
    char *dot3 = format(intent, NULL, live);
    UNIT_CHECK(strstr(dot3, "\\nLACP: negotiated\"]"));
    UNIT_CHECK(strstr(dot3, "class=\"member up\", label=\"member up0\\n"
                      "link up\\nLACP partner current, distributing\""));
    UNIT_CHECK(strstr(dot3, "class=\"member up not-aggregated\", label=\""
                      "member up1\\nlink up, not in the aggregate\\nLACP "
                      "partner defaulted\""));
    UNIT_CHECK(strstr(dot3, "legend_port_idle"));
    diagram_live_set_lacp(live, 0xa1, true);
    char *dot4 = format(intent, NULL, live);
    UNIT_CHECK(strstr(dot4, "\\nLACP: no partner, fallback\"]"));
    UNIT_CHECK(strstr(dot4, "class=\"member up\", label=\"member up1\\n"
                      "link up\\nLACP partner defaulted\""));
    /* h2's bridge (no LACP state) draws no LACP line. */
    UNIT_CHECK(!strstr(dot4, "member eth0\\nabsent\\nLACP"));
    free(dot3);
    free(dot4);
    free(dot);
    free(dot2);
    diagram_live_destroy(live);
    diagram_live_destroy(NULL);
    intent_destroy(intent);
}

/* The same input, the same bytes; a second model from the same text too. */
static void
test_deterministic(void)
{
    struct intent *a = load(), *b = load();
    if (!a || !b) {
        UNIT_CHECK(a && b);
        intent_destroy(a);
        intent_destroy(b);
        return;
    }
    char *d1 = format(a, NULL, NULL);
    char *d2 = format(a, NULL, NULL);
    char *d3 = format(b, NULL, NULL);
    UNIT_CHECK_STREQ(d1, d2);
    UNIT_CHECK_STREQ(d1, d3);
    free(d1);
    free(d2);
    free(d3);
    intent_destroy(a);
    intent_destroy(b);
}

int
main(int argc OVS_UNUSED, char *argv[])
{
    set_program_name(argv[0]);
    unit_program = "test-diagram";
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    UNIT_RUN(test_escape);
    UNIT_RUN(test_names_escaped);
    UNIT_RUN(test_host_filter);
    UNIT_RUN(test_live_state);
    UNIT_RUN(test_deterministic);
    return unit_finish();
}
