/* Diagrams of the intent, in Graphviz DOT (diagram.h). */
#include <config.h>

#include "controller/diagram.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/shash.h"
#include "packets.h"
#include "sset.h"
#include "util.h"

/* One connected switch of the live state. */
struct diagram_switch {
    struct hmap_node node;      /* In 'switches', by hash of 'dpid'. */
    uint64_t dpid;
    bool in_sync;
    struct sset up_ports;       /* Port names, link up. */
    struct sset down_ports;     /* Port names, link down. */

    /* LACP uplink, if the bridge has one. */
    bool has_lacp;
    bool lacp_fallback;         /* No member has a partner. */
    struct shash lacp_members;  /* Member name -> struct diagram_lacp. */
};

/* One LACP bond member of the live state. */
struct diagram_lacp {
    char *rx;                   /* Receive state: "current", ... */
    bool distributing;          /* Collecting and distributing. */
};

struct diagram_live {
    struct hmap switches;       /* Of struct diagram_switch. */
};

/* What a bridge is, as drawn. */
enum bridge_state {
    BRIDGE_NEUTRAL,             /* No live state. */
    BRIDGE_NOT_CONNECTED,
    BRIDGE_CONNECTED,           /* Connected, not in sync. */
    BRIDGE_IN_SYNC,
};

/* What a port is, as drawn. */
enum port_state {
    PORT_NEUTRAL,               /* No live state. */
    PORT_UNKNOWN,               /* Its switch is not connected. */
    PORT_UP,
    PORT_UP_IDLE,               /* Link up, but the LACP bond does not use
                                 * it (no partner, unselected). */
    PORT_DOWN,
    PORT_ABSENT,                /* The connected switch has no such port. */
};

struct diagram_live *
diagram_live_create(void)
{
    struct diagram_live *live = xmalloc(sizeof *live);
    hmap_init(&live->switches);
    return live;
}

void
diagram_live_destroy(struct diagram_live *live)
{
    if (!live) {
        return;
    }
    struct diagram_switch *sw;
    HMAP_FOR_EACH_POP (sw, node, &live->switches) {
        sset_destroy(&sw->up_ports);
        sset_destroy(&sw->down_ports);
        struct shash_node *node;
        SHASH_FOR_EACH (node, &sw->lacp_members) {
            struct diagram_lacp *dl = node->data;
            free(dl->rx);
            free(dl);
        }
        shash_destroy(&sw->lacp_members);
        free(sw);
    }
    hmap_destroy(&live->switches);
    free(live);
}

static struct diagram_switch *
live_find(const struct diagram_live *live, uint64_t dpid)
{
    struct diagram_switch *sw;
    HMAP_FOR_EACH_WITH_HASH (sw, node, hash_uint64(dpid), &live->switches) {
        if (sw->dpid == dpid) {
            return sw;
        }
    }
    return NULL;
}

static struct diagram_switch *
live_find_or_add(struct diagram_live *live, uint64_t dpid)
{
    struct diagram_switch *sw = live_find(live, dpid);
    if (!sw) {
        sw = xmalloc(sizeof *sw);
        sw->dpid = dpid;
        sw->in_sync = false;
        sset_init(&sw->up_ports);
        sset_init(&sw->down_ports);
        sw->has_lacp = sw->lacp_fallback = false;
        shash_init(&sw->lacp_members);
        hmap_insert(&live->switches, &sw->node, hash_uint64(dpid));
    }
    return sw;
}

/* A switch recorded twice (an older connection not yet replaced) counts as
 * in sync if either connection is. */
void
diagram_live_add_switch(struct diagram_live *live, uint64_t dpid,
                        bool in_sync)
{
    struct diagram_switch *sw = live_find_or_add(live, dpid);
    sw->in_sync = sw->in_sync || in_sync;
}

/* A port reported both up and down (two connections) counts as up. */
void
diagram_live_add_port(struct diagram_live *live, uint64_t dpid,
                      const char *port, bool up)
{
    struct diagram_switch *sw = live_find_or_add(live, dpid);
    if (up) {
        sset_find_and_delete(&sw->down_ports, port);
        sset_add(&sw->up_ports, port);
    } else if (!sset_contains(&sw->up_ports, port)) {
        sset_add(&sw->down_ports, port);
    }
}

void
diagram_live_set_lacp(struct diagram_live *live, uint64_t dpid,
                      bool fallback)
{
    struct diagram_switch *sw = live_find_or_add(live, dpid);
    sw->has_lacp = true;
    sw->lacp_fallback = fallback;
}

void
diagram_live_add_lacp_member(struct diagram_live *live, uint64_t dpid,
                             const char *member, const char *rx,
                             bool distributing)
{
    struct diagram_switch *sw = live_find_or_add(live, dpid);
    struct diagram_lacp *dl = shash_find_data(&sw->lacp_members, member);
    if (!dl) {
        dl = xzalloc(sizeof *dl);
        shash_add(&sw->lacp_members, member, dl);
    }
    free(dl->rx);
    dl->rx = xstrdup(rx);
    dl->distributing = distributing;
}

/* The LACP state of bridge 'br''s member 'member', or NULL if unknown (no
 * live state, switch not connected, not an LACP bond). */
static const struct diagram_lacp *
lacp_state(const struct diagram_live *live, const struct intent_bridge *br,
           const char *member)
{
    const struct diagram_switch *sw
        = live ? live_find(live, br->datapath_id) : NULL;
    return sw ? shash_find_data(&sw->lacp_members, member) : NULL;
}

static enum bridge_state
bridge_state(const struct diagram_live *live, const struct intent_bridge *br)
{
    if (!live) {
        return BRIDGE_NEUTRAL;
    }
    const struct diagram_switch *sw = live_find(live, br->datapath_id);
    return (!sw ? BRIDGE_NOT_CONNECTED
            : sw->in_sync ? BRIDGE_IN_SYNC
            : BRIDGE_CONNECTED);
}

static enum port_state
port_state(const struct diagram_live *live, const struct intent_bridge *br,
           const char *port)
{
    if (!live) {
        return PORT_NEUTRAL;
    }
    const struct diagram_switch *sw = live_find(live, br->datapath_id);
    return (!sw ? PORT_UNKNOWN
            : sset_contains(&sw->up_ports, port) ? PORT_UP
            : sset_contains(&sw->down_ports, port) ? PORT_DOWN
            : PORT_ABSENT);
}

/* Returns the length of the valid UTF-8 sequence of 2 to 4 bytes at 's', or
 * 0 if there is none (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF). */
static size_t
utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;     /* Range of the second byte. */

    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) {
            lo = 0xa0;
        } else if (c == 0xed) {
            hi = 0x9f;
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f;
        }
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return len;
}

void
diagram_escape(const char *s_, struct ds *out)
{
    const unsigned char *s = (const unsigned char *) s_;
    while (*s) {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            ds_put_char(out, '\\');
            ds_put_char(out, c);
            s++;
        } else if (c == '&') {
            /* Graphviz reads HTML entities in every label. */
            ds_put_cstr(out, "&amp;");
            s++;
        } else if (c < 0x20 || c == 0x7f) {
            ds_put_char(out, '?');
            s++;
        } else if (c < 0x80) {
            ds_put_char(out, c);
            s++;
        } else {
            size_t len = utf8_seq_len(s);
            if (len) {
                ds_put_buffer(out, (const char *) s, len);
                s += len;
            } else {
                ds_put_char(out, '?');
                s++;
            }
        }
    }
}

/* The attributes that give a bridge node its state's look: style, colors
 * and class (a CSS class in SVG output, which tests may also look for). */
static const char *
bridge_attrs(enum bridge_state state)
{
    switch (state) {
    case BRIDGE_IN_SYNC:
        return "style=\"rounded,filled,bold\", fillcolor=\"#c8e6c9\", "
               "color=\"#2e7d32\", class=\"bridge in-sync\"";
    case BRIDGE_CONNECTED:
        return "style=\"rounded,filled,bold\", fillcolor=\"#ffe0b2\", "
               "color=\"#ef6c00\", class=\"bridge connected\"";
    case BRIDGE_NOT_CONNECTED:
        return "style=\"rounded,filled,bold,dashed\", fillcolor=\"#e0e0e0\", "
               "color=\"#c62828\", fontcolor=\"#616161\", "
               "class=\"bridge not-connected\"";
    case BRIDGE_NEUTRAL:
    default:
        return "style=\"rounded,filled,bold\", fillcolor=\"white\", "
               "class=\"bridge\"";
    }
}

static const char *
bridge_state_text(enum bridge_state state)
{
    switch (state) {
    case BRIDGE_IN_SYNC:
        return "in sync";
    case BRIDGE_CONNECTED:
        return "connected, not in sync";
    case BRIDGE_NOT_CONNECTED:
        return "not connected";
    case BRIDGE_NEUTRAL:
    default:
        return NULL;
    }
}

/* Like bridge_attrs(), for a port node of kind 'kind' ("member", "nic" or
 * "adapter"). */
static void
put_port_attrs(struct ds *out, const char *kind, enum port_state state)
{
    switch (state) {
    case PORT_UP:
        ds_put_format(out, "fillcolor=\"#c8e6c9\", color=\"#2e7d32\", "
                      "class=\"%s up\"", kind);
        break;
    case PORT_UP_IDLE:
        ds_put_format(out, "fillcolor=\"#ffe0b2\", color=\"#e65100\", "
                      "class=\"%s up not-aggregated\"", kind);
        break;
    case PORT_DOWN:
        ds_put_format(out, "fillcolor=\"#ffcdd2\", color=\"#c62828\", "
                      "penwidth=2, class=\"%s down\"", kind);
        break;
    case PORT_ABSENT:
        ds_put_format(out, "fillcolor=\"#eeeeee\", color=\"#9e9e9e\", "
                      "fontcolor=\"#616161\", style=\"rounded,filled,dashed\","
                      " class=\"%s absent\"", kind);
        break;
    case PORT_UNKNOWN:
        ds_put_format(out, "fillcolor=\"#eeeeee\", color=\"#9e9e9e\", "
                      "fontcolor=\"#616161\", class=\"%s unknown\"", kind);
        break;
    case PORT_NEUTRAL:
    default:
        ds_put_format(out, "fillcolor=\"white\", class=\"%s\"", kind);
        break;
    }
}

static const char *
port_state_text(enum port_state state)
{
    switch (state) {
    case PORT_UP:
        return "link up";
    case PORT_UP_IDLE:
        return "link up, not in the aggregate";
    case PORT_DOWN:
        return "link down";
    case PORT_ABSENT:
        return "absent";
    case PORT_UNKNOWN:
        return "state unknown";
    case PORT_NEUTRAL:
    default:
        return NULL;
    }
}

/* The color of the edge to a port in 'state'. */
static const char *
port_edge_color(enum port_state state)
{
    return (state == PORT_DOWN ? "#c62828"
            : state == PORT_UP ? "#2e7d32"
            : state == PORT_UP_IDLE ? "#e65100"
            : state == PORT_NEUTRAL ? "black"
            : "#9e9e9e");
}

/* "VLAN 110", or "untagged" for the untagged network. */
static void
put_vlan(struct ds *out, const struct intent_network *net)
{
    if (net->vlan) {
        ds_put_format(out, "VLAN %"PRIu16, net->vlan);
    } else {
        ds_put_cstr(out, "untagged");
    }
}

/* "NAME (VLAN 110)", escaped. */
static void
put_network_ref(struct ds *out, const struct intent_network *net)
{
    diagram_escape(net->name, out);
    ds_put_cstr(out, " (");
    put_vlan(out, net);
    ds_put_char(out, ')');
}

static void
put_state_line(struct ds *out, const char *text)
{
    if (text) {
        ds_put_format(out, "\\n%s", text);
    }
}

static void
put_network(struct ds *out, const struct intent_network *net)
{
    ds_put_format(out, "    n%"PRIuSIZE" [shape=ellipse, fillcolor=\"#e3f2fd\""
                  ", color=\"#1565c0\", class=\"network\", label=\"network ",
                  net->index);
    diagram_escape(net->name, out);
    ds_put_cstr(out, "\\n");
    put_vlan(out, net);
    if (net->has_subnet) {
        ds_put_format(out, "\\n"IP_FMT"/%d", IP_ARGS(net->subnet),
                      net->prefix_len);
    }
    if (net->has_gateway) {
        ds_put_format(out, "\\ngateway "IP_FMT, IP_ARGS(net->gateway));
    }
    ds_put_cstr(out, "\"];\n");
}

/* Draws bridge 'br' (the 'bi'th of host 'hi') with its uplink, members and
 * adapters, and its edges to the networks it carries. */
static void
put_bridge(struct ds *out, size_t hi, size_t bi,
           const struct intent_bridge *br, const struct diagram_live *live)
{
    enum bridge_state bs = bridge_state(live, br);
    char *id = xasprintf("h%"PRIuSIZE"_b%"PRIuSIZE, hi, bi);

    ds_put_format(out, "        %s [shape=box, %s, label=\"bridge ", id,
                  bridge_attrs(bs));
    diagram_escape(br->name, out);
    ds_put_format(out, "\\ndpid %016"PRIx64, br->datapath_id);
    put_state_line(out, bridge_state_text(bs));
    ds_put_cstr(out, "\"];\n");

    /* The uplink bond and its members. */
    const struct intent_uplink *up = &br->uplink;
    ds_put_format(out, "        %s_up [shape=hexagon, fillcolor=\"#f3e5f5\", "
                  "color=\"#6a1b9a\", class=\"uplink\", label=\"uplink ", id);
    diagram_escape(up->name, out);
    ds_put_format(out, "\\nbond %s",
                  intent_bond_mode_to_string(up->mode));
    const struct diagram_switch *sw
        = live ? live_find(live, br->datapath_id) : NULL;
    if (sw && sw->has_lacp) {
        put_state_line(out, (sw->lacp_fallback
                             ? "LACP: no partner, fallback"
                             : "LACP: negotiated"));
    }
    ds_put_cstr(out, "\"];\n");
    ds_put_format(out, "        %s -> %s_up [penwidth=2];\n", id, id);
    for (size_t i = 0; i < up->n_members; i++) {
        const char *member = up->members[i];
        enum port_state ps = port_state(live, br, member);
        const struct diagram_lacp *dl = lacp_state(live, br, member);
        if (ps == PORT_UP && dl && !dl->distributing && !sw->lacp_fallback) {
            ps = PORT_UP_IDLE;
        }
        ds_put_format(out, "        %s_m%"PRIuSIZE" [shape=box, ", id, i);
        put_port_attrs(out, "member", ps);
        ds_put_cstr(out, ", label=\"member ");
        diagram_escape(member, out);
        if (up->primary && !strcmp(up->primary, member)) {
            ds_put_cstr(out, "\\nprimary");
        }
        put_state_line(out, port_state_text(ps));
        if (dl) {
            ds_put_format(out, "\\nLACP partner %s%s", dl->rx,
                          dl->distributing ? ", distributing" : "");
        }
        ds_put_cstr(out, "\"];\n");
        ds_put_format(out, "        %s_up -> %s_m%"PRIuSIZE" [color=\"%s\"%s]"
                      ";\n", id, id, i, port_edge_color(ps),
                      ps == PORT_DOWN ? ", style=dashed" : "");
    }

    /* Host adapters. */
    for (size_t i = 0; i < br->n_adapters; i++) {
        const struct intent_adapter *ad = &br->adapters[i];
        enum port_state ps = port_state(live, br, ad->port);
        ds_put_format(out, "        %s_a%"PRIuSIZE" [shape=cds, ", id, i);
        put_port_attrs(out, "adapter", ps);
        ds_put_cstr(out, ", label=\"adapter ");
        diagram_escape(ad->name, out);
        ds_put_format(out, "\\nrole %s\\nport ",
                      intent_adapter_role_to_string(ad->role));
        diagram_escape(ad->port, out);
        ds_put_cstr(out, "\\nnetwork ");
        put_network_ref(out, ad->network);
        ds_put_format(out, "\\nMAC "ETH_ADDR_FMT, ETH_ADDR_ARGS(ad->mac));
        if (ad->has_ip) {
            ds_put_format(out, "\\nIP "IP_FMT, IP_ARGS(ad->ip));
        }
        put_state_line(out, port_state_text(ps));
        ds_put_cstr(out, "\"];\n");
        ds_put_format(out, "        %s_a%"PRIuSIZE" -> %s [color=\"%s\"];\n",
                      id, i, id, port_edge_color(ps));
    }
    free(id);
}

/* The node name of bridge 'br' (by positions, as put_bridge() names it). */
static char *
bridge_id(const struct intent_bridge *br)
{
    return xasprintf("h%"PRIuSIZE"_b%"PRIuSIZE, br->host->index, br->index);
}

/* Draws VM 'vm' with its NICs and their edges to the bridges that are
 * drawn ('drawn_hosts' indexed by host position). */
static void
put_vm(struct ds *out, const struct intent_vm *vm, const bool *drawn_hosts,
       const struct diagram_live *live)
{
    ds_put_format(out, "        vm%"PRIuSIZE" [shape=box3d, "
                  "fillcolor=\"#fff9c4\", color=\"#f9a825\", class=\"vm\", "
                  "label=\"VM ", vm->index);
    diagram_escape(vm->name, out);
    if (vm->migrating_to) {
        ds_put_cstr(out, "\\nmigrating to ");
        diagram_escape(vm->migrating_to->name, out);
    }
    ds_put_cstr(out, "\"];\n");

    for (size_t i = 0; i < vm->n_nics; i++) {
        const struct intent_nic *nic = &vm->nics[i];
        bool home = drawn_hosts[nic->bridge->host->index];
        const struct intent_bridge *br = home ? nic->bridge
                                              : nic->migration_bridge;
        enum port_state ps = br ? port_state(live, br, nic->port)
                                : PORT_NEUTRAL;
        ds_put_format(out, "        vm%"PRIuSIZE"_nic%"PRIuSIZE" [shape=box, ",
                      vm->index, i);
        put_port_attrs(out, "nic", ps);
        ds_put_cstr(out, ", label=\"port ");
        diagram_escape(nic->port, out);
        ds_put_format(out, "\\nMAC "ETH_ADDR_FMT, ETH_ADDR_ARGS(nic->mac));
        if (nic->has_ip) {
            ds_put_format(out, "\\nIP "IP_FMT, IP_ARGS(nic->ip));
        }
        if (nic->mode == INTENT_NIC_ACCESS) {
            ds_put_cstr(out, "\\nnetwork ");
            put_network_ref(out, nic->network);
        } else {
            ds_put_cstr(out, "\\ntrunk, native ");
            put_network_ref(out, nic->network);
            for (size_t j = 0; j < nic->n_trunk_networks; j++) {
                ds_put_cstr(out, j ? ", " : "\\ntagged ");
                put_network_ref(out, nic->trunk_networks[j]);
            }
        }
        put_state_line(out, port_state_text(ps));
        ds_put_cstr(out, "\"];\n");
        ds_put_format(out, "        vm%"PRIuSIZE" -> vm%"PRIuSIZE"_nic%"
                      PRIuSIZE";\n", vm->index, vm->index, i);
        if (home) {
            char *bid = bridge_id(nic->bridge);
            ds_put_format(out, "        vm%"PRIuSIZE"_nic%"PRIuSIZE" -> %s "
                          "[color=\"%s\"];\n", vm->index, i, bid,
                          port_edge_color(ps));
            free(bid);
        }
        if (nic->migration_bridge
            && drawn_hosts[nic->migration_bridge->host->index]) {
            char *bid = bridge_id(nic->migration_bridge);
            ds_put_format(out, "        vm%"PRIuSIZE"_nic%"PRIuSIZE" -> %s "
                          "[style=dashed, label=\"migrating\"];\n",
                          vm->index, i, bid);
            free(bid);
        }
    }
}

/* The legend: one sample node per kind of node, and the live-state colors
 * when there is live state. */
static void
put_legend(struct ds *out, bool live)
{
    ds_put_cstr(out, "    subgraph cluster_legend {\n"
                "        label=\"legend\"; style=\"rounded\"; "
                "color=\"#9e9e9e\"; fontsize=10;\n"
                "        node [fontsize=9];\n"
                "        legend_bridge [shape=box, style=\"rounded,filled,"
                "bold\", fillcolor=\"white\", label=\"bridge\"];\n"
                "        legend_uplink [shape=hexagon, fillcolor=\"#f3e5f5\", "
                "color=\"#6a1b9a\", label=\"uplink bond\"];\n"
                "        legend_member [shape=box, fillcolor=\"white\", "
                "label=\"bond member\"];\n"
                "        legend_network [shape=ellipse, "
                "fillcolor=\"#e3f2fd\", color=\"#1565c0\", "
                "label=\"network\"];\n"
                "        legend_vm [shape=box3d, fillcolor=\"#fff9c4\", "
                "color=\"#f9a825\", label=\"VM\"];\n"
                "        legend_nic [shape=box, fillcolor=\"white\", "
                "label=\"VM NIC\"];\n"
                "        legend_adapter [shape=cds, fillcolor=\"white\", "
                "label=\"host adapter\"];\n");
    if (live) {
        ds_put_format(out,
                "        legend_in_sync [shape=box, %s, label=\"in sync\"];\n"
                "        legend_connected [shape=box, %s, "
                "label=\"connected,\\nnot in sync\"];\n"
                "        legend_not_connected [shape=box, %s, "
                "label=\"not connected\"];\n",
                bridge_attrs(BRIDGE_IN_SYNC), bridge_attrs(BRIDGE_CONNECTED),
                bridge_attrs(BRIDGE_NOT_CONNECTED));
        static const enum port_state states[] = {
            PORT_UP, PORT_UP_IDLE, PORT_DOWN, PORT_ABSENT, PORT_UNKNOWN,
        };
        static const char *names[] = {
            "up", "idle", "down", "absent", "unknown",
        };
        for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
            ds_put_format(out, "        legend_port_%s [shape=box, ",
                          names[i]);
            put_port_attrs(out, "legend", states[i]);
            ds_put_format(out, ", label=\"port %s\"];\n",
                          port_state_text(states[i]));
        }
    }
    /* Invisible edges stack the samples in one column. */
    ds_put_cstr(out, "        edge [style=invis];\n"
                "        legend_bridge -> legend_uplink -> legend_member;\n"
                "        legend_network -> legend_vm -> legend_nic -> "
                "legend_adapter;\n");
    if (live) {
        ds_put_cstr(out, "        legend_in_sync -> legend_connected -> "
                    "legend_not_connected;\n"
                    "        legend_port_up -> legend_port_idle -> "
                    "legend_port_down -> "
                    "legend_port_absent -> legend_port_unknown;\n");
    }
    ds_put_cstr(out, "    }\n");
}

bool
diagram_format(const struct intent *intent, const char *host,
               const struct diagram_live *live, struct ds *out)
{
    const struct intent_host *only = NULL;
    if (host) {
        only = intent_find_host(intent, host);
        if (!only) {
            ds_put_format(out, "unknown host \"%s\"", host);
            return false;
        }
    }

    size_t n_hosts = intent_n_hosts(intent);
    size_t n_networks = intent_n_networks(intent);
    size_t n_vms = intent_n_vms(intent);
    bool *drawn_hosts = xcalloc(n_hosts + 1, sizeof *drawn_hosts);
    bool *drawn_networks = xcalloc(n_networks + 1, sizeof *drawn_networks);
    for (size_t i = 0; i < n_hosts; i++) {
        drawn_hosts[i] = !only || intent_host_at(intent, i) == only;
    }
    for (size_t i = 0; i < n_networks; i++) {
        drawn_networks[i] = !only;
    }

    /* With a host filter: the networks its bridges carry. (Those cover its
     * adapters and the NICs attached to them.) */
    for (size_t i = 0; only && i < only->n_bridges; i++) {
        const struct intent_bridge *br = &only->bridges[i];
        for (size_t j = 0; j < br->n_networks; j++) {
            drawn_networks[br->networks[j]->index] = true;
        }
    }

    ds_put_cstr(out, "digraph flowchain {\n"
                "    graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, "
                "nodesep=0.2, ranksep=0.5, labelloc=t, label=\"flowchain "
                "intent");
    if (only) {
        ds_put_cstr(out, ", host ");
        diagram_escape(only->name, out);
    }
    ds_put_format(out, "%s\"];\n",
                  live ? ", live state" : " (no live state)");
    ds_put_cstr(out, "    node [fontname=\"Helvetica\", fontsize=10, "
                "shape=box, style=\"rounded,filled\"];\n"
                "    edge [arrowhead=none, fontname=\"Helvetica\", "
                "fontsize=9];\n");

    /* Networks first, at the top level: a node belongs to the first
     * subgraph that names it. */
    for (size_t i = 0; i < n_networks; i++) {
        if (drawn_networks[i]) {
            put_network(out, intent_network_at(intent, i));
        }
    }

    for (size_t hi = 0; hi < n_hosts; hi++) {
        if (!drawn_hosts[hi]) {
            continue;
        }
        const struct intent_host *h = intent_host_at(intent, hi);
        ds_put_format(out, "    subgraph cluster_h%"PRIuSIZE" {\n"
                      "        label=\"host ", hi);
        diagram_escape(h->name, out);
        ds_put_cstr(out, "\"; style=\"rounded\"; color=\"#455a64\"; "
                    "class=\"host\";\n");
        for (size_t bi = 0; bi < h->n_bridges; bi++) {
            put_bridge(out, hi, bi, &h->bridges[bi], live);
        }
        /* The host's VMs, and VMs migrating here from a host not drawn. */
        for (size_t vi = 0; vi < n_vms; vi++) {
            const struct intent_vm *vm = intent_vm_at(intent, vi);
            if (vm->host == h
                || (vm->migrating_to == h && !drawn_hosts[vm->host->index])) {
                put_vm(out, vm, drawn_hosts, live);
            }
        }
        ds_put_cstr(out, "    }\n");

        /* Uplinks to the networks they carry, outside the cluster, a
         * column further than the members. */
        for (size_t bi = 0; bi < h->n_bridges; bi++) {
            const struct intent_bridge *br = &h->bridges[bi];
            for (size_t j = 0; j < br->n_networks; j++) {
                ds_put_format(out, "    h%"PRIuSIZE"_b%"PRIuSIZE"_up -> n%"
                              PRIuSIZE" [color=\"#1565c0\", style=dashed, "
                              "minlen=2];\n", hi, bi,
                              br->networks[j]->index);
            }
        }
    }

    put_legend(out, live != NULL);
    ds_put_cstr(out, "}\n");

    free(drawn_hosts);
    free(drawn_networks);
    return true;
}
