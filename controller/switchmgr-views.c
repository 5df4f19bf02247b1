/*
 * Read-only views of the switch manager (see switchmgr-private.h): the
 * desired flows, the plan of an intent change, the status text, the live
 * state for diagrams and the metrics snapshot.  Nothing here reads or
 * writes a switch socket.
 */
#include <config.h>
#include "controller/switchmgr.h"

#include <string.h>
#include <time.h>
#include "controller/diagram.h"
#include "controller/flowsync.h"
#include "controller/lacp.h"
#include "controller/metrics.h"
#include "controller/ofsession.h"
#include "controller/polmon.h"
#include "controller/polstats.h"
#include "controller/switchmgr-private.h"
#include "controller/transport.h"
#include "models/intent.h"
#include "openvswitch/ofp-port.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "byte-order.h"
#include "svec.h"
#include "util.h"

/* True if a NIC of 'vm' is attached to 'br'. */
static bool
vm_uses_bridge(const struct intent_vm *vm, const struct intent_bridge *br)
{
    for (size_t i = 0; i < vm->n_nics; i++) {
        if (vm->nics[i].bridge == br || vm->nics[i].migration_bridge == br) {
            return true;
        }
    }
    return false;
}

/* Adds to 'names' the ports that 'br' puts on its switch: uplink members,
 * host adapters and VM NICs, in that order. */
static void
bridge_port_names(const struct intent_bridge *br, struct svec *names)
{
    for (size_t i = 0; i < br->uplink.n_members; i++) {
        svec_add(names, br->uplink.members[i]);
    }
    for (size_t i = 0; i < br->n_adapters; i++) {
        svec_add(names, br->adapters[i].port);
    }
    for (size_t i = 0; i < br->n_nics; i++) {
        svec_add(names, br->nics[i]->port);
    }
}

/* Appends to 's' the ports 'br' names that the switch of 'conn' does not
 * have (yet): their flows go in when they appear. */
static void
format_missing_ports(const struct swconn *conn,
                     const struct intent_bridge *br, struct ds *s)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    bridge_port_names(br, &names);
    size_t n = 0;
    for (size_t i = 0; i < names.n; i++) {
        if (!ofsession_find_port(conn->session, names.names[i])) {
            ds_put_format(s, "%s%s", n++ ? " " : "  ports not on the switch "
                          "yet (their flows go in when they appear): ",
                          names.names[i]);
        }
    }
    if (n) {
        ds_put_char(s, '\n');
    }
    svec_destroy(&names);
}

/* Initializes 'sel' with the flows of 'fs' (shared, not copied) that
 * policy 'p' produced: its cookies of every policy kind (PIPELINE_COOKIE_POLICY to
 * PIPELINE_COOKIE_POLICY_MONITOR), any rule.  No groups. */
static void
select_policy_flows(const struct flowset *fs, const struct intent_policy *p,
                    struct flowset *sel)
{
    flowset_init(sel);
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, fs) {
        uint64_t cookie = ntohll(f->cookie) & PIPELINE_COOKIE_OBJECT_MASK;
        for (int kind = PIPELINE_COOKIE_POLICY;
             kind <= PIPELINE_COOKIE_POLICY_MONITOR; kind++) {
            if (cookie == pipeline_cookie_policy(kind, p, 0)) {
                flowset_add_shared(sel, f);
                break;
            }
        }
    }
}

/* Appends the desired flows of the bridges of the current intent that
 * match the filters ('host', 'bridge', 'vm': NULL for any) to 's'.
 * Returns false with an error in 's' for an unknown name. */
bool
switchmgr_format_flows(const struct switchmgr *mgr, const char *host,
                       const char *bridge, const char *vm,
                       const char *policy, struct ds *s)
{
    const struct intent *intent = mgr->intent;
    if (!intent) {
        ds_put_cstr(s, "no intent loaded");
        return false;
    }
    const struct intent_policy *pol = NULL;
    if (policy) {
        pol = intent_find_policy(intent, policy);
        if (!pol) {
            ds_put_format(s, "unknown policy \"%s\"", policy);
            return false;
        }
    }
    const struct intent_vm *v = NULL;
    if (vm) {
        v = intent_find_vm(intent, vm);
        if (!v) {
            ds_put_format(s, "unknown VM \"%s\"", vm);
            return false;
        }
        if (!host) {
            host = v->host->name;
        }
    }
    if (host && !intent_find_host(intent, host)) {
        ds_put_format(s, "unknown host \"%s\"", host);
        return false;
    }
    size_t n_shown = 0;
    for (size_t h = 0; h < intent_n_hosts(intent); h++) {
        const struct intent_host *ih = intent_host_at(intent, h);
        if (host && strcmp(ih->name, host)) {
            continue;
        }
        for (size_t b = 0; b < ih->n_bridges; b++) {
            const struct intent_bridge *br = &ih->bridges[b];
            if ((bridge && strcmp(br->name, bridge))
                || (v && !vm_uses_bridge(v, br))) {
                continue;
            }
            struct flowset fs;
            flowset_init(&fs);
            bool connected = switchmgr_compile_bridge(mgr, intent, br, &fs);
            ds_put_format(s, "# %s/%s (datapath %016"PRIx64")%s\n",
                          ih->name, br->name, br->datapath_id,
                          connected ? ""
                          : ": not connected, port numbers assumed");
            if (v) {
                flowset_format_filtered(&fs, pipeline_cookie_vm(v),
                                        PIPELINE_COOKIE_OBJECT_MASK, NULL, s);
            } else if (pol) {
                struct flowset sel;
                select_policy_flows(&fs, pol, &sel);
                flowset_format(&sel, s);
                flowset_destroy(&sel);
            } else {
                flowset_format(&fs, s);
            }
            flowset_destroy(&fs);
            n_shown++;
        }
    }
    if (!n_shown) {
        ds_put_format(s, "no bridge matches");
        return false;
    }
    return true;
}

/* Appends to 's', per bridge of the current or the 'next' intent, the flow
 * difference that making 'next' current would send. */
void
switchmgr_format_plan(const struct switchmgr *mgr, const struct intent *next,
                      struct ds *s)
{
    size_t total = 0;
    /* Bridges of 'next', against what they have now. */
    for (size_t h = 0; h < intent_n_hosts(next); h++) {
        const struct intent_host *ih = intent_host_at(next, h);
        for (size_t b = 0; b < ih->n_bridges; b++) {
            const struct intent_bridge *br = &ih->bridges[b];
            const struct swconn *conn = switchmgr_find_ready(mgr,
                                                             br->datapath_id);
            struct flowset cur, new;
            flowset_init(&cur);
            flowset_init(&new);
            switchmgr_compile_bridge(mgr, next, br, &new);
            const struct intent_bridge *old = mgr->intent
                ? intent_find_bridge_by_dpid(mgr->intent, br->datapath_id)
                : NULL;
            if (conn) {
                flowset_clone(&cur, flowsync_desired(conn->sync));
            } else if (old) {
                switchmgr_compile_bridge(mgr, mgr->intent, old, &cur);
            }
            struct flowset_diff d;
            flowset_diff(&cur, &new, &d);
            ds_put_format(s, "# %s/%s (datapath %016"PRIx64"): %"PRIuSIZE
                          " added, %"PRIuSIZE" removed, %"PRIuSIZE
                          " modified flows; %"PRIuSIZE" added, %"PRIuSIZE
                          " removed, %"PRIuSIZE" modified groups%s\n",
                          ih->name, br->name, br->datapath_id,
                          d.n_add_flows, d.n_del_flows, d.n_mod_flows,
                          d.n_add_groups, d.n_del_groups, d.n_mod_groups,
                          !old ? " (new bridge)"
                          : !conn ? " (not connected)" : "");
            if (conn) {
                format_missing_ports(conn, br, s);
            }
            flowsync_format_diff(&d, s);
            total += d.n_add_flows + d.n_del_flows + d.n_mod_flows
                     + d.n_add_groups + d.n_del_groups + d.n_mod_groups;
            flowset_diff_destroy(&d);
            flowset_destroy(&cur);
            flowset_destroy(&new);
        }
    }
    /* Bridges that 'next' drops. */
    for (size_t h = 0; mgr->intent && h < intent_n_hosts(mgr->intent); h++) {
        const struct intent_host *ih = intent_host_at(mgr->intent, h);
        for (size_t b = 0; b < ih->n_bridges; b++) {
            const struct intent_bridge *br = &ih->bridges[b];
            if (!intent_find_bridge_by_dpid(next, br->datapath_id)) {
                ds_put_format(s, "# %s/%s (datapath %016"PRIx64"): removed "
                              "from the intent; a connected switch gets a "
                              "drop-everything table 0\n", ih->name,
                              br->name, br->datapath_id);
                total++;
            }
        }
    }
    ds_put_format(s, "total changes: %"PRIuSIZE"\n", total);
}

void
switchmgr_get_live(const struct switchmgr *mgr, struct diagram_live *live)
{
    const struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        const struct ofsession *ses = conn->session;
        if (!ofsession_is_ready(ses)) {
            continue;
        }
        uint64_t dpid = ofsession_dpid(ses);
        diagram_live_add_switch(live, dpid,
                                conn->sync && flowsync_in_sync(conn->sync));
        size_t n;
        struct ofputil_phy_port *ports = ofsession_ports(ses, &n);
        for (size_t i = 0; i < n; i++) {
            diagram_live_add_port(live, dpid, ports[i].name,
                                  ofsession_port_is_live(&ports[i]));
            struct lacp_member_info li;
            if (conn->lacp
                && lacp_member_info(conn->lacp, ports[i].name, &li)) {
                diagram_live_add_lacp_member(
                    live, dpid, ports[i].name, lacp_rx_state_name(li.rx),
                    li.status.collecting && li.status.distributing);
            }
        }
        free(ports);
        if (conn->lacp) {
            diagram_live_set_lacp(live, dpid, lacp_in_fallback(conn->lacp));
        }
    }
}

/* At most this many port or bridge names in a line of the status summary;
 * "status --ports" lists them all. */
#define STATUS_MAX_NAMES 5

/* Totals over the switches a status shows. */
struct status_totals {
    size_t n_switches;          /* Ready sessions shown. */
    size_t n_in_sync;
    size_t n_unconnected;       /* Bridges of the intent with no switch. */
    size_t n_unconnected_ports; /* Ports the intent puts on those. */
    size_t n_expected;          /* Ports the intent puts on their bridges. */
    size_t n_known;             /* Of those, ports the switches have. */
    size_t n_down;              /* Of those, ports not live. */
    size_t n_flows;             /* Installed. */
    size_t n_groups;
};

/* Appends to 's' the line "  N WHAT: a, b, c" for the 'names', at most
 * STATUS_MAX_NAMES of them unless 'all'; nothing if 'names' is empty. */
static void
format_name_list(const struct svec *names, const char *what, bool all,
                 struct ds *s)
{
    if (!names->n) {
        return;
    }
    ds_put_format(s, "  %"PRIuSIZE" %s%s: ", names->n,
                  names->n == 1 ? "port" : "ports", what);
    size_t n = all ? names->n : MIN(names->n, STATUS_MAX_NAMES);
    for (size_t i = 0; i < n; i++) {
        ds_put_format(s, "%s%s", i ? ", " : "", names->names[i]);
    }
    if (n < names->n) {
        ds_put_cstr(s, ", ... (status --ports for all)");
    }
    ds_put_char(s, '\n');
}

/* Appends the detail of 'conn' to 's': its session, hit-log meter, sync
 * and every port ("status --ports"). */
static void
format_conn(const struct switchmgr *mgr, const struct swconn *conn,
            struct ds *s)
{
    const struct ofsession *ses = conn->session;
    long long int age
        = (switchmgr_now_ms(mgr) - ofsession_connected_at(ses)) / 1000;

    if (!ofsession_is_ready(ses)) {
        ds_put_format(s, "connection %s: handshaking, %llds\n",
                      ofsession_peer(ses), age);
        return;
    }
    uint64_t dpid = ofsession_dpid(ses);
    const struct intent_bridge *br
        = mgr->intent ? intent_find_bridge_by_dpid(mgr->intent, dpid) : NULL;
    ds_put_format(s, "switch %016"PRIx64": ", dpid);
    if (br) {
        ds_put_format(s, "host %s bridge %s\n", br->host->name, br->name);
    } else {
        ds_put_cstr(s, "not in the intent\n");
    }
    const struct ofsession_stats *st = ofsession_stats(ses);
    ds_put_format(s, "  peer: %s", ofsession_peer(ses));
    if (transport_peer_name(conn->transport)) {
        ds_put_format(s, ", certificate \"%s\"",
                      transport_peer_name(conn->transport));
    }
    ds_put_format(s, ", connected %llds, messages rx %"PRIu64" tx %"PRIu64
                  ", errors %"PRIu64"\n", age, st->rx_msgs, st->tx_msgs,
                  st->errors_received);
    if (mgr->roles) {
        ds_put_format(s, "  role: %s", switchmgr_role_name(conn->role));
        if (conn->role == SWCONN_MASTER || conn->role == SWCONN_SLAVE) {
            ds_put_format(s, " (generation %"PRIu64")",
                          conn->role_generation);
        }
        ds_put_format(s, ", taken over by another instance %"PRIu64
                      " times\n", conn->n_demotions);
    }
    polmon_format_switch(mgr->polmon, ses, s);
    if (conn->sync) {
        const struct flowsync_stats *fst = flowsync_stats(conn->sync);
        ds_put_format(s, "  sync: %s, flows installed %"PRIuSIZE", groups "
                      "installed %"PRIuSIZE", flow mods sent %"PRIu64
                      ", bundles %"PRIu64" ok %"PRIu64" failed, foreign "
                      "flows deleted %"PRIu64"\n",
                      flowsync_state(conn->sync),
                      flowset_n_flows(flowsync_installed(conn->sync)),
                      flowset_n_groups(flowsync_installed(conn->sync)),
                      fst->flow_mods_sent, fst->bundles_ok,
                      fst->bundles_failed, fst->foreign_flows_deleted);
        if (fst->bundles_ok) {
            ds_put_format(s, "  last sync: %llds ago, %"PRIu64" changes, "
                          "%lld ms to barrier reply\n",
                          (long long int) time(NULL)
                          - fst->last_sync_ms / 1000,
                          fst->last_sync_size, fst->last_sync_latency_ms);
        }
    }

    size_t n;
    struct ofputil_phy_port *ports = ofsession_ports(ses, &n);
    ds_put_format(s, "  ports: %"PRIuSIZE"\n", n);
    for (size_t i = 0; i < n; i++) {
        ds_put_cstr(s, "    ");
        ofputil_format_port(ports[i].port_no, NULL, s);
        ds_put_format(s, " %s %s\n", ports[i].name,
                      ofsession_port_is_live(&ports[i]) ? "up" : "down");
    }
    free(ports);
    if (conn->lacp) {
        lacp_format_status(conn->lacp, "  ", s);
    }
}

/* Appends the summary of the ready switch of 'conn' (bridge 'br' of the
 * intent, or NULL) to 's': one line, then at most two lines naming a few
 * ports of the intent that it lacks or that are down (all of them if
 * 'all'); adds its figures to 't'. */
static void
format_conn_summary(const struct switchmgr *mgr, const struct swconn *conn,
                    const struct intent_bridge *br, bool all,
                    struct status_totals *t, struct ds *s)
{
    const struct ofsession *ses = conn->session;
    long long int age
        = (switchmgr_now_ms(mgr) - ofsession_connected_at(ses)) / 1000;

    ds_put_format(s, "switch %016"PRIx64": ", ofsession_dpid(ses));
    if (br) {
        ds_put_format(s, "host %s bridge %s", br->host->name, br->name);
    } else {
        ds_put_cstr(s, "not in the intent");
    }
    ds_put_format(s, ", connected %llds", age);
    if (mgr->roles) {
        ds_put_format(s, ", role: %s", switchmgr_role_name(conn->role));
    }
    ds_put_format(s, ", sync: %s",
                  conn->sync ? flowsync_state(conn->sync)
                  : mgr->roles ? "none (not master)" : "not started");
    t->n_switches++;
    if (conn->sync && flowsync_in_sync(conn->sync)) {
        t->n_in_sync++;
    }

    struct svec missing = SVEC_EMPTY_INITIALIZER;
    struct svec down = SVEC_EMPTY_INITIALIZER;
    if (br) {
        struct svec names = SVEC_EMPTY_INITIALIZER;
        bridge_port_names(br, &names);
        for (size_t i = 0; i < names.n; i++) {
            const struct ofputil_phy_port *p
                = ofsession_find_port(ses, names.names[i]);
            if (!p) {
                svec_add(&missing, names.names[i]);
            } else if (!ofsession_port_is_live(p)) {
                svec_add(&down, names.names[i]);
            }
        }
        size_t known = names.n - missing.n;
        ds_put_format(s, ", ports %"PRIuSIZE"/%"PRIuSIZE, known, names.n);
        t->n_expected += names.n;
        t->n_known += known;
        t->n_down += down.n;
        svec_destroy(&names);
    } else {
        size_t n;
        free(ofsession_ports(ses, &n));
        ds_put_format(s, ", %"PRIuSIZE" ports on the switch", n);
    }
    if (conn->sync) {
        const struct flowset *inst = flowsync_installed(conn->sync);
        const struct flowsync_stats *fst = flowsync_stats(conn->sync);
        ds_put_format(s, ", flows installed %"PRIuSIZE", groups installed %"
                      PRIuSIZE, flowset_n_flows(inst),
                      flowset_n_groups(inst));
        t->n_flows += flowset_n_flows(inst);
        t->n_groups += flowset_n_groups(inst);
        if (fst->bundles_ok) {
            ds_put_format(s, ", last sync %lld ms",
                          fst->last_sync_latency_ms);
        }
    }
    ds_put_char(s, '\n');
    format_name_list(&missing, " not on the switch yet", all, s);
    format_name_list(&down, " down", all, s);
    if (conn->lacp) {
        lacp_format_status(conn->lacp, "  ", s);
    }
    svec_destroy(&missing);
    svec_destroy(&down);
}

/* Returns the bridge of the intent that the ready switch of 'conn' is, or
 * NULL. */
static const struct intent_bridge *
conn_bridge(const struct switchmgr *mgr, const struct swconn *conn)
{
    return (mgr->intent
            ? intent_find_bridge_by_dpid(mgr->intent,
                                         ofsession_dpid(conn->session))
            : NULL);
}

/* True if bridge 'br' (NULL: not in the intent) passes the filters of
 * 'opts'. */
static bool
status_selects(const struct switchmgr_status_opts *opts,
               const struct intent_bridge *br)
{
    if (!opts->host && !opts->bridge) {
        return true;
    }
    return (br
            && (!opts->host || !strcmp(br->host->name, opts->host))
            && (!opts->bridge || !strcmp(br->name, opts->bridge)));
}

/* Checks the filters of 'opts' against the intent; returns false with an
 * error in 's' if one names no host or bridge of it. */
static bool
status_check_filters(const struct switchmgr *mgr,
                     const struct switchmgr_status_opts *opts, struct ds *s)
{
    if (!opts->host && !opts->bridge) {
        return true;
    }
    if (!mgr->intent) {
        ds_put_cstr(s, "no intent loaded: --host and --bridge select the "
                    "intent's hosts and bridges");
        return false;
    }
    if (opts->host && !intent_find_host(mgr->intent, opts->host)) {
        ds_put_format(s, "unknown host \"%s\"", opts->host);
        return false;
    }
    if (opts->bridge) {
        for (size_t h = 0; h < intent_n_hosts(mgr->intent); h++) {
            const struct intent_host *ih = intent_host_at(mgr->intent, h);
            if (opts->host && strcmp(ih->name, opts->host)) {
                continue;
            }
            for (size_t b = 0; b < ih->n_bridges; b++) {
                if (!strcmp(ih->bridges[b].name, opts->bridge)) {
                    return true;
                }
            }
        }
        if (opts->host) {
            ds_put_format(s, "host \"%s\" has no bridge \"%s\"", opts->host,
                          opts->bridge);
        } else {
            ds_put_format(s, "unknown bridge \"%s\"", opts->bridge);
        }
        return false;
    }
    return true;
}

/* Appends to 's' the bridges of the intent selected by 'opts' that no
 * switch is connected for: with 'opts->ports' one line each, else one line
 * naming a few.  Adds their number and expected ports to 't'. */
static void
format_unconnected(const struct switchmgr *mgr,
                   const struct switchmgr_status_opts *opts,
                   struct status_totals *t, struct ds *s)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    for (size_t h = 0; mgr->intent && h < intent_n_hosts(mgr->intent); h++) {
        const struct intent_host *ih = intent_host_at(mgr->intent, h);
        for (size_t b = 0; b < ih->n_bridges; b++) {
            const struct intent_bridge *br = &ih->bridges[b];
            if (!status_selects(opts, br)
                || switchmgr_find_ready(mgr, br->datapath_id)) {
                continue;
            }
            struct svec ports = SVEC_EMPTY_INITIALIZER;
            bridge_port_names(br, &ports);
            t->n_unconnected_ports += ports.n;
            if (opts->ports) {
                ds_put_format(s, "bridge %s/%s (datapath %016"PRIx64"): not "
                              "connected, %"PRIuSIZE" ports expected\n",
                              ih->name, br->name, br->datapath_id, ports.n);
            }
            svec_destroy(&ports);
            svec_add_nocopy(&names, xasprintf("%s/%s", ih->name, br->name));
        }
    }
    t->n_unconnected = names.n;
    if (names.n && !opts->ports) {
        ds_put_format(s, "%"PRIuSIZE" %s of the intent not connected: ",
                      names.n, names.n == 1 ? "bridge" : "bridges");
        size_t n = MIN(names.n, STATUS_MAX_NAMES);
        for (size_t i = 0; i < n; i++) {
            ds_put_format(s, "%s%s", i ? ", " : "", names.names[i]);
        }
        if (n < names.n) {
            ds_put_cstr(s, ", ... (status --ports for all)");
        }
        ds_put_char(s, '\n');
    }
    svec_destroy(&names);
}

bool
switchmgr_format_status(const struct switchmgr *mgr,
                        const struct switchmgr_status_opts *opts,
                        struct ds *s)
{
    if (!status_check_filters(mgr, opts, s)) {
        return false;
    }
    bool filtered = opts->host || opts->bridge;
    struct status_totals t;
    memset(&t, 0, sizeof t);
    const struct swconn *conn;
    size_t n = 0;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        bool ready = ofsession_is_ready(conn->session);
        const struct intent_bridge *br = ready ? conn_bridge(mgr, conn) : NULL;
        if (filtered && (!ready || !status_selects(opts, br))) {
            continue;
        }
        if (opts->ports) {
            format_conn(mgr, conn, s);
            if (ready) {
                /* The same figures for the totals line; and the ports of
                 * the intent it lacks or that are down, all of them. */
                struct ds ignore = DS_EMPTY_INITIALIZER;
                format_conn_summary(mgr, conn, br, true, &t, &ignore);
                ds_destroy(&ignore);
                if (br) {
                    format_missing_ports(conn, br, s);
                }
            }
        } else if (ready) {
            format_conn_summary(mgr, conn, br, false, &t, s);
        } else {
            format_conn(mgr, conn, s);
        }
        n++;
    }
    if (!n) {
        ds_put_cstr(s, filtered ? "no matching switch connected\n"
                    : "no switches connected\n");
    }
    format_unconnected(mgr, opts, &t, s);
    ds_put_format(s, "total: %"PRIuSIZE" %s connected, %"PRIuSIZE" in sync, %"
                  PRIuSIZE" %s of the intent not connected (%"PRIuSIZE
                  " ports); ports %"PRIuSIZE"/%"PRIuSIZE", %"PRIuSIZE
                  " not on the switch yet, %"PRIuSIZE" down; flows installed %"
                  PRIuSIZE", groups installed %"PRIuSIZE"\n",
                  t.n_switches, t.n_switches == 1 ? "switch" : "switches",
                  t.n_in_sync, t.n_unconnected,
                  t.n_unconnected == 1 ? "bridge" : "bridges",
                  t.n_unconnected_ports,
                  t.n_known, t.n_expected, t.n_expected - t.n_known,
                  t.n_down, t.n_flows, t.n_groups);
    polmon_format_status(mgr->polmon, s);
    uint64_t flow_mods, group_mods;
    switchmgr_get_totals(mgr, &flow_mods, &group_mods);
    ds_put_format(s, "flow mods sent since start: %"PRIu64", group mods: %"
                  PRIu64"\n", flow_mods, group_mods);
    return true;
}

/* Fills 'sw' with the state and counters of the ready switch 'conn'. */
static void
fill_switch_metrics(const struct swconn *conn, struct metrics_switch *sw)
{
    const struct flowset *installed = flowsync_installed(conn->sync);
    const struct flowsync_stats *st = flowsync_stats(conn->sync);
    sw->connected = true;
    sw->in_sync = flowsync_in_sync(conn->sync);
    const struct flowset_flow *f;
    FLOWSET_FOR_EACH_FLOW (f, installed) {
        sw->flows_per_table[f->table_id]++;
    }
    sw->groups = flowset_n_groups(installed);
    sw->flow_mods_sent = st->flow_mods_sent;
    sw->group_mods_sent = st->group_mods_sent;
    sw->bundles_ok = st->bundles_ok;
    sw->bundles_failed = st->bundles_failed;
    sw->rereads = st->rereads;
    sw->drift_flows = st->drift_flows;
    sw->drift_groups = st->drift_groups;
    sw->foreign_flows_deleted = st->foreign_flows_deleted;
    metrics_histogram_destroy(&sw->sync_latency);
    metrics_histogram_clone(&sw->sync_latency, &conn->sync_latency);
}

/* Returns the counters of port 'port_no' from the last statistics poll of
 * 'conn', or NULL. */
static const struct port_counters *
find_port_counters(const struct swconn *conn, ofp_port_t port_no)
{
    for (size_t i = 0; i < conn->n_ports; i++) {
        if (conn->ports[i].port_no == port_no) {
            return &conn->ports[i];
        }
    }
    return NULL;
}

static void
add_rule_metrics(const char *policy, const char *direction, const char *rule,
                 const char *verdict, uint64_t packets, uint64_t bytes,
                 void *snap)
{
    struct metrics_rule *r = metrics_add_rule(snap, policy, direction, rule,
                                              verdict);
    r->packets = packets;
    r->bytes = bytes;
}

/* Adds to 'snap' the bridge 'br': its switch, its uplink members, and the
 * port counters of its VM NICs (connected switches only). */
static void
add_bridge_metrics(const struct switchmgr *mgr,
                   const struct intent_bridge *br,
                   struct metrics_snapshot *snap)
{
    const struct swconn *conn = switchmgr_find_ready(mgr, br->datapath_id);
    const char *host = br->host->name;
    struct metrics_switch *sw = metrics_add_switch(snap, br->datapath_id,
                                                   host, br->name);
    if (conn) {
        fill_switch_metrics(conn, sw);
    }
    if (mgr->roles) {
        /* A slave's session counts as connected; only a master syncs. */
        const struct swconn *c = switchmgr_find_session(mgr,
                                                        br->datapath_id);
        sw->connected = c != NULL;
        sw->master = c && c->role == SWCONN_MASTER;
    }
    for (size_t i = 0; i < br->uplink.n_members; i++) {
        const char *member = br->uplink.members[i];
        struct metrics_bond_member *m
            = metrics_add_member(snap, host, br->name, br->uplink.name,
                                 member);
        const struct ofputil_phy_port *pp
            = conn ? ofsession_find_port(conn->session, member) : NULL;
        m->up = pp && ofsession_port_is_live(pp);

        struct lacp_member_info li;
        if (conn && conn->lacp && lacp_member_info(conn->lacp, member, &li)) {
            m->lacp = true;
            m->lacp_rx = lacp_rx_state_name(li.rx);
            m->lacp_distributing = (li.status.collecting
                                    && li.status.distributing);
            m->lacp_rx_pdus = li.rx_pdus;
            m->lacp_tx_pdus = li.tx_pdus;
        }
    }
    for (size_t i = 0; conn && i < br->n_nics; i++) {
        const struct intent_nic *nic = br->nics[i];
        const struct ofputil_phy_port *pp
            = ofsession_find_port(conn->session, nic->port);
        const struct port_counters *pc
            = pp ? find_port_counters(conn, pp->port_no) : NULL;
        if (pc) {
            struct metrics_nic *mn = metrics_add_nic(snap, nic->vm->name,
                                                     nic->port, host,
                                                     br->name);
            mn->rx_packets = pc->rx_packets;
            mn->tx_packets = pc->tx_packets;
            mn->rx_bytes = pc->rx_bytes;
            mn->tx_bytes = pc->tx_bytes;
            mn->rx_dropped = pc->rx_dropped;
            mn->tx_dropped = pc->tx_dropped;
        }
    }
}

/* Adds to 'snap' the switches (every bridge of the intent, connected or
 * not, then connected switches the intent does not name), their uplink
 * members, the port counters of VM NICs and the policy rule counters, the
 * last two from the last statistics poll (switchmgr_set_stats_interval()).
 */
void
switchmgr_get_metrics(const struct switchmgr *mgr,
                      struct metrics_snapshot *snap)
{
    const struct intent *intent = mgr->intent;
    for (size_t h = 0; intent && h < intent_n_hosts(intent); h++) {
        const struct intent_host *ih = intent_host_at(intent, h);
        for (size_t b = 0; b < ih->n_bridges; b++) {
            add_bridge_metrics(mgr, &ih->bridges[b], snap);
        }
    }
    struct polstats *policies = polstats_create();
    const struct swconn *conn;
    LIST_FOR_EACH (conn, node, &mgr->conns) {
        if (!conn->sync || !ofsession_is_ready(conn->session)) {
            continue;
        }
        uint64_t dpid = ofsession_dpid(conn->session);
        if (!intent || !intent_find_bridge_by_dpid(intent, dpid)) {
            fill_switch_metrics(conn, metrics_add_switch(snap, dpid, "",
                                                         ""));
        }
        if (conn->policies) {
            polstats_merge(policies, conn->policies);
        }
    }
    if (intent) {
        polstats_for_each_row(policies, intent, add_rule_metrics, snap);
    }
    polstats_destroy(policies);
}
