/*
 * The "explain" view of the switch manager (see switchmgr-private.h): one
 * packet through the desired flows of the bridges on its path.
 * pipelines/explain.h evaluates one bridge; this file builds the packet
 * from the intent, follows it across the uplink and formats the result,
 * as text or JSON.  Nothing here reads or writes a switch socket.
 */
#include <config.h>
#include "controller/switchmgr.h"

#include <netinet/in.h>
#include <string.h>
#include "controller/explain-req.h"
#include "controller/switchmgr-private.h"
#include "flow.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/ofp-port.h"
#include "packets.h"
#include "pipelines/explain.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "byte-order.h"
#include "util.h"

/* The most bridges one explanation follows: the sender's, then the one the
 * frame reaches across the uplink. */
#define EXPLAIN_MAX_HOPS 2

/* A MAC address of the intent: a VM NIC or a host adapter, on its
 * bridge. */
struct xp_endpoint {
    const struct intent_bridge *br;
    const struct intent_nic *nic;           /* One of these two. */
    const struct intent_adapter *adapter;
};

/* Appends the name of endpoint 'e' ("VM app1 NIC 0") to 's'. */
static void
xp_endpoint_format(const struct xp_endpoint *e, struct ds *s)
{
    if (e->nic) {
        ds_put_format(s, "VM %s NIC %"PRIuSIZE, e->nic->vm->name,
                      e->nic->index);
    } else {
        ds_put_format(s, "host adapter %s", e->adapter->name);
    }
}

/* Finds the endpoint whose MAC is 'mac', or whose IPv4 address is 'ip'
 * (when 'by_ip'), in 'intent'. */
static bool
xp_find_endpoint(const struct intent *intent, bool by_ip, struct eth_addr mac,
                 ovs_be32 ip, struct xp_endpoint *e)
{
    memset(e, 0, sizeof *e);
    for (size_t h = 0; h < intent_n_hosts(intent); h++) {
        const struct intent_host *host = intent_host_at(intent, h);
        for (size_t b = 0; b < host->n_bridges; b++) {
            const struct intent_bridge *br = &host->bridges[b];
            for (size_t i = 0; i < br->n_nics; i++) {
                const struct intent_nic *nic = br->nics[i];
                if (by_ip ? nic->has_ip && nic->ip == ip
                    : eth_addr_equals(nic->mac, mac)) {
                    e->br = br;
                    e->nic = nic;
                    return true;
                }
            }
            for (size_t i = 0; i < br->n_adapters; i++) {
                const struct intent_adapter *a = &br->adapters[i];
                if (by_ip ? a->has_ip && a->ip == ip
                    : eth_addr_equals(a->mac, mac)) {
                    e->br = br;
                    e->adapter = a;
                    return true;
                }
            }
        }
    }
    return false;
}

/* Appends what port 'name' of 'br' is to 's'; returns "vm", "adapter",
 * "uplink" or "other". */
static const char *
xp_port_role(const struct intent_bridge *br, const char *name, struct ds *s)
{
    for (size_t i = 0; i < br->n_nics; i++) {
        if (!strcmp(br->nics[i]->port, name)) {
            ds_put_format(s, "VM %s NIC %"PRIuSIZE, br->nics[i]->vm->name,
                          br->nics[i]->index);
            return "vm";
        }
    }
    for (size_t i = 0; i < br->n_adapters; i++) {
        if (!strcmp(br->adapters[i].port, name)) {
            ds_put_format(s, "host adapter %s", br->adapters[i].name);
            return "adapter";
        }
    }
    for (size_t i = 0; i < br->uplink.n_members; i++) {
        if (!strcmp(br->uplink.members[i], name)) {
            ds_put_format(s, "member of the uplink %s", br->uplink.name);
            return "uplink";
        }
    }
    ds_put_cstr(s, "a port the intent does not name");
    return "other";
}

/* Appends 'packet' to 's' in ofproto/trace syntax (the fields explain
 * sets). */
static void
xp_format_packet(const struct flow *p, struct ds *s)
{
    ds_put_format(s, "in_port=%"PRIu32, ofp_to_u16(p->in_port.ofp_port));
    if (p->vlans[0].tci & htons(VLAN_CFI)) {
        ds_put_format(s, ",dl_vlan=%d", vlan_tci_to_vid(p->vlans[0].tci));
    }
    ds_put_format(s, ",dl_src="ETH_ADDR_FMT",dl_dst="ETH_ADDR_FMT",%s"
                  ",nw_src="IP_FMT",nw_dst="IP_FMT",nw_ttl=%d",
                  ETH_ADDR_ARGS(p->dl_src), ETH_ADDR_ARGS(p->dl_dst),
                  (p->nw_proto == IPPROTO_TCP ? "tcp"
                   : p->nw_proto == IPPROTO_UDP ? "udp" : "icmp"),
                  IP_ARGS(p->nw_src), IP_ARGS(p->nw_dst), p->nw_ttl);
    if (p->nw_proto == IPPROTO_ICMP) {
        ds_put_format(s, ",icmp_type=%d,icmp_code=%d", ntohs(p->tp_src),
                      ntohs(p->tp_dst));
    } else {
        const char *l4 = p->nw_proto == IPPROTO_TCP ? "tcp" : "udp";
        ds_put_format(s, ",%s_src=%d,%s_dst=%d", l4, ntohs(p->tp_src), l4,
                      ntohs(p->tp_dst));
    }
}

/* A fresh packet with the headers of 'frame' arriving on 'in_port': no
 * registers, no conntrack state. */
static void
xp_arrive(const struct flow *frame, ofp_port_t in_port, struct flow *p)
{
    memset(p, 0, sizeof *p);
    p->packet_type = htonl(PT_ETH);
    p->in_port.ofp_port = in_port;
    p->vlans[0] = frame->vlans[0];
    p->dl_src = frame->dl_src;
    p->dl_dst = frame->dl_dst;
    p->dl_type = frame->dl_type;
    p->nw_src = frame->nw_src;
    p->nw_dst = frame->nw_dst;
    p->nw_proto = frame->nw_proto;
    p->nw_ttl = frame->nw_ttl;
    p->tp_src = frame->tp_src;
    p->tp_dst = frame->tp_dst;
}

/* The uplink member of 'br' that accepts a unicast frame from the physical
 * network: active-backup, the first live member in bond order (the
 * primary first); balance-slb, any live member does, the first live one
 * in file order is assumed.  NULL if none is live. */
static const struct portmap_port *
xp_accepting_member(const struct intent_bridge *br, const struct portmap *pm)
{
    const struct intent_uplink *up = &br->uplink;
    if (up->mode == INTENT_BOND_ACTIVE_BACKUP && up->primary) {
        const struct portmap_port *p = portmap_find(pm, up->primary);
        if (p && p->live) {
            return p;
        }
    }
    for (size_t i = 0; i < up->n_members; i++) {
        const struct portmap_port *p = portmap_find(pm, up->members[i]);
        if (p && p->live) {
            return p;
        }
    }
    return NULL;
}

/* Appends to 's' and to 'js' (a JSON array) the verdict of the
 * microsegmentation side called 'side' whose tables are 'entry' ..
 * 'verdict' in 'r'; 'unpoliced' says why, when the packet skipped the
 * side. */
static void
xp_format_side(const struct intent *intent, const struct explain_result *r,
               uint8_t entry, uint8_t verdict, const char *side,
               const char *unpoliced, struct ds *s, struct json *js)
{
    const struct explain_step *entered = NULL, *decided = NULL, *last = NULL;
    struct ds allows = DS_EMPTY_INITIALIZER;
    struct ds monitors = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < r->n_steps; i++) {
        const struct explain_step *st = &r->steps[i];
        if (!st->flow || st->table_id < entry || st->table_id > verdict) {
            continue;
        }
        last = st;
        if (st->table_id == entry && !entered) {
            entered = st;
        }
        uint64_t cookie = ntohll(st->flow->cookie);
        unsigned int kind = (cookie >> 48) & 0xff;
        struct ds *list = (kind == PIPELINE_COOKIE_POLICY_ALLOW ? &allows
                           : kind == PIPELINE_COOKIE_POLICY_MONITOR
                           ? &monitors : NULL);
        if (list && st->table_id != verdict) {
            if (list->length) {
                ds_put_cstr(list, "; ");
            }
            pipeline_cookie_format(intent, cookie, list);
        }
        if (st->table_id == verdict) {
            decided = st;
        }
    }

    const char *v;
    struct ds by = DS_EMPTY_INITIALIZER;
    if (!entered) {
        v = "not-reached";
        ds_put_cstr(&by, "the packet did not get this far");
    } else if (!entered->flow->priority) {
        v = "not-policed";
        ds_put_cstr(&by, unpoliced);
    } else if (decided) {
        uint64_t cookie = ntohll(decided->flow->cookie);
        unsigned int kind = (cookie >> 48) & 0xff;
        if (kind == PIPELINE_COOKIE_POLICY_DENY) {
            v = "deny";
            pipeline_cookie_format(intent, cookie, &by);
        } else {
            v = "allow";
            if (allows.length) {
                ds_put_cstr(&by, ds_cstr(&allows));
            } else {
                ds_put_cstr(&by, "no policy denies it");
            }
        }
    } else {
        v = "drop";
        ds_put_format(&by, "dropped at table %"PRIu8" before any verdict",
                      last->table_id);
    }
    if (monitors.length) {
        ds_put_format(&by, " (monitor mode: %s)", ds_cstr(&monitors));
    }
    ds_put_format(s, "  microsegmentation, %s side: %s: %s\n", side, v,
                  ds_cstr(&by));

    struct json *o = json_object_create();
    json_object_put_string(o, "side", side);
    json_object_put_string(o, "verdict", v);
    json_object_put_string(o, "by", ds_cstr(&by));
    json_array_add(js, o);
    ds_destroy(&by);
    ds_destroy(&allows);
    ds_destroy(&monitors);
}

/* The destination MAC explain assumes when the intent does not know it (a
 * gateway, an address outside the intent): locally administered, in no
 * intent.  Any MAC the bridges do not know takes the same path. */
static const struct eth_addr xp_assumed_mac
    = ETH_ADDR_C(02, fc, 00, 00, 00, 01);

/* Appends the steps, outputs and verdicts of one bridge's result to 's'
 * and to the JSON object 'jh'.  Sets '*frame' to the copy sent to the
 * uplink, if any, and returns true then. */
static bool
xp_format_hop(const struct intent *intent, const struct intent_bridge *br,
              const struct portmap *pm, const char *in_port,
              const struct explain_result *r, struct ds *s, struct json *jh,
              struct flow *frame, struct ds *result)
{
    struct ds first_local = DS_EMPTY_INITIALIZER;
    struct ofputil_port_map names = OFPUTIL_PORT_MAP_INITIALIZER(&names);
    const struct portmap_port *pp;
    HMAP_FOR_EACH (pp, node, &pm->ports) {
        ofputil_port_map_put(&names, pp->ofp_port, pp->name);
    }

    struct json *jsteps = json_array_create_empty();
    for (size_t i = 0; i < r->n_steps; i++) {
        const struct explain_step *st = &r->steps[i];
        int indent = 4 + 2 * st->depth;
        struct json *j = json_object_create();
        json_object_put(j, "depth", json_integer_create(st->depth));
        json_object_put(j, "table", json_integer_create(st->table_id));
        if (st->flow) {
            struct ds f = DS_EMPTY_INITIALIZER;
            struct ds obj = DS_EMPTY_INITIALIZER;
            uint64_t cookie = ntohll(st->flow->cookie);
            flowset_flow_format_ports(st->flow, &names, &f);
            pipeline_cookie_format(intent, cookie, &obj);
            ds_put_format(s, "%*s%2"PRIu8". %s\n%*s    from: %s\n", indent, "",
                          st->table_id, ds_cstr(&f), indent, "",
                          ds_cstr(&obj));
            json_object_put_string(j, "flow", ds_cstr(&f));
            json_object_put_format(j, "cookie", "%#"PRIx64, cookie);
            json_object_put_string(j, "object", ds_cstr(&obj));
            ds_destroy(&f);
            ds_destroy(&obj);
        } else {
            ds_put_format(s, "%*s    %s\n", indent, "", st->note);
            json_object_put_string(j, "note", st->note);
        }
        json_array_add(jsteps, j);
    }
    json_object_put(jh, "steps", jsteps);

    struct json *jouts = json_array_create_empty();
    bool delivered = false, to_uplink = false;
    size_t n_controller = 0;
    for (size_t i = 0; i < r->n_outputs; i++) {
        const struct explain_output *o = &r->outputs[i];
        if (o->port == OFPP_CONTROLLER) {
            n_controller++;
            continue;
        }
        const struct portmap_port *p = portmap_find_by_number(pm, o->port);
        struct ds what = DS_EMPTY_INITIALIZER;
        const char *role = (p ? xp_port_role(br, p->name, &what) : "other");
        if (!p) {
            ds_put_cstr(&what, "a port the switch does not have");
        }
        int vlan = (o->packet.vlans[0].tci & htons(VLAN_CFI)
                    ? vlan_tci_to_vid(o->packet.vlans[0].tci) : -1);
        ds_put_format(s, "  output: port %"PRIu32" (%s: %s), ",
                      ofp_to_u16(o->port), p ? p->name : "?",
                      ds_cstr(&what));
        if (vlan >= 0) {
            ds_put_format(s, "tagged VLAN %d\n", vlan);
        } else {
            ds_put_cstr(s, "untagged\n");
        }
        struct json *j = json_object_create();
        json_object_put(j, "port", json_integer_create(ofp_to_u16(o->port)));
        json_object_put_string(j, "name", p ? p->name : "");
        json_object_put_string(j, "role", role);
        json_object_put_string(j, "object", ds_cstr(&what));
        json_object_put(j, "vlan", json_integer_create(vlan));
        json_array_add(jouts, j);

        if (!strcmp(role, "uplink")) {
            if (!to_uplink) {
                *frame = o->packet;
            }
            to_uplink = true;
        } else if (!strcmp(role, "vm") || !strcmp(role, "adapter")) {
            if (!delivered) {
                ds_put_format(result, "delivered to %s on %s/%s",
                              ds_cstr(&what), br->host->name, br->name);
                ds_put_cstr(&first_local, ds_cstr(&what));
            }
            delivered = true;
        }
        ds_destroy(&what);
    }
    json_object_put(jh, "outputs", jouts);
    json_object_put(jh, "controller", json_integer_create(n_controller));
    if (n_controller) {
        ds_put_format(s, "  a copy to the controller (the policy hit log)"
                      "\n");
    }

    const char *verdict = (delivered ? "delivered"
                           : to_uplink ? "uplink" : "dropped");
    json_object_put_string(jh, "verdict", verdict);
    if (!delivered && !to_uplink) {
        size_t t = r->n_steps ? r->steps[r->n_steps - 1].table_id : 0;
        for (size_t i = r->n_steps; i-- > 0; ) {
            if (r->steps[i].flow) {
                t = r->steps[i].table_id;
                break;
            }
        }
        ds_put_format(s, "  verdict: dropped (last flow in table %"PRIuSIZE
                      ")\n", t);
        ds_put_format(result, "dropped on %s/%s at table %"PRIuSIZE,
                      br->host->name, br->name, t);
    } else {
        ds_put_format(s, "  verdict: %s\n", delivered && to_uplink
                      ? "delivered locally and sent to the uplink"
                      : delivered ? "delivered" : "sent to the uplink");
    }

    /* Why a side may have been skipped. */
    struct ds src = DS_EMPTY_INITIALIZER, dst = DS_EMPTY_INITIALIZER;
    struct ds who = DS_EMPTY_INITIALIZER;
    if (!strcmp(xp_port_role(br, in_port, &who), "uplink")) {
        ds_put_cstr(&src, "the frame comes from the uplink: its sender was "
                    "policed on its own bridge");
    } else {
        ds_put_format(&src, "no policy targets %s", ds_cstr(&who));
    }
    if (delivered) {
        ds_put_format(&dst, "no policy targets %s", ds_cstr(&first_local));
    } else if (to_uplink) {
        ds_put_cstr(&dst, "the destination is beyond the uplink (policed "
                    "where it arrives, if a bridge of the intent holds "
                    "it)");
    } else {
        ds_put_cstr(&dst, "the packet skipped this side");
    }
    struct json *jms = json_array_create_empty();
    xp_format_side(intent, r, PIPELINE_T_MICROSEG_OUT,
                   PIPELINE_T_MS_OUT_VERDICT, "source", ds_cstr(&src), s,
                   jms);
    xp_format_side(intent, r, PIPELINE_T_MICROSEG_IN,
                   PIPELINE_T_MS_IN_VERDICT, "destination", ds_cstr(&dst), s,
                   jms);
    json_object_put(jh, "microseg", jms);
    ds_destroy(&src);
    ds_destroy(&dst);
    ds_destroy(&who);
    ds_destroy(&first_local);
    ofputil_port_map_destroy(&names);
    return to_uplink;
}

/* Resolves the source NIC of 'req' in 'intent'; NULL with an error in
 * 's'. */
static const struct intent_nic *
xp_source_nic(const struct intent *intent, const struct explain_req *req,
              struct ds *s)
{
    const struct intent_vm *vm = intent_find_vm(intent, req->from_vm);
    if (!vm) {
        ds_put_format(s, "unknown VM \"%s\"", req->from_vm);
        return NULL;
    }
    const struct intent_nic *nic = NULL;
    if (!req->from_nic) {
        nic = vm->n_nics ? &vm->nics[0] : NULL;
    } else {
        for (size_t i = 0; i < vm->n_nics; i++) {
            char index[32];
            snprintf(index, sizeof index, "%"PRIuSIZE, i);
            if (!strcmp(req->from_nic, index)
                || !strcmp(req->from_nic, vm->nics[i].port)) {
                nic = &vm->nics[i];
                break;
            }
        }
    }
    if (!nic) {
        ds_put_format(s, "VM \"%s\" has no NIC \"%s\" (an index from 0, or "
                      "a port name)", vm->name,
                      req->from_nic ? req->from_nic : "0");
        return NULL;
    }
    if (!nic->has_ip) {
        ds_put_format(s, "VM %s NIC %"PRIuSIZE" has no IPv4 address in the "
                      "intent", vm->name, nic->index);
        return NULL;
    }
    return nic;
}

/* Resolves the destination of 'req' for a packet from 'src': its address
 * into '*ip', its endpoint into '*dst' if the intent has it (returns true
 * then).  Returns -1 with an error in 's'. */
static int
xp_destination(const struct intent *intent, const struct explain_req *req,
               const struct intent_nic *src, ovs_be32 *ip,
               struct xp_endpoint *dst, struct ds *s)
{
    const struct intent_vm *vm = intent_find_vm(intent, req->to);
    memset(dst, 0, sizeof *dst);
    if (vm) {
        const struct intent_nic *best = NULL;
        for (size_t i = 0; i < vm->n_nics; i++) {
            const struct intent_nic *n = &vm->nics[i];
            if (n->has_ip && (!best || (n->network == src->network
                                        && best->network != src->network))) {
                best = n;
            }
        }
        if (!best) {
            ds_put_format(s, "VM %s has no NIC with an IPv4 address in the "
                          "intent", vm->name);
            return -1;
        }
        dst->br = best->bridge;
        dst->nic = best;
        *ip = best->ip;
        return 1;
    }
    if (!ip_parse(req->to, ip)) {
        ds_put_format(s, "\"%s\" is neither a VM of the intent nor an IPv4 "
                      "address", req->to);
        return -1;
    }
    return xp_find_endpoint(intent, true, eth_addr_zero, *ip, dst);
}

/* Appends the explanation of 'req' to 's' (as JSON if 'req->json');
 * returns false with an error in 's' if 'req' names what the intent does
 * not have. */
bool
switchmgr_format_explain(const struct switchmgr *mgr,
                         const struct explain_req *req, struct ds *s)
{
    const struct intent *intent = mgr->intent;
    if (!intent) {
        ds_put_cstr(s, "no intent loaded");
        return false;
    }
    const struct intent_nic *nic = xp_source_nic(intent, req, s);
    if (!nic) {
        return false;
    }
    ovs_be32 dst_ip;
    struct xp_endpoint dst;
    int found = xp_destination(intent, req, nic, &dst_ip, &dst, s);
    if (found < 0) {
        return false;
    }

    /* The packet, and what was assumed to build it. */
    struct json *jnotes = json_array_create_empty();
    struct ds note = DS_EMPTY_INITIALIZER;
    const struct intent_network *net = nic->network;
    struct flow packet;
    memset(&packet, 0, sizeof packet);
    packet.packet_type = htonl(PT_ETH);
    packet.dl_src = nic->mac;
    packet.dl_type = htons(ETH_TYPE_IP);
    packet.nw_src = nic->ip;
    packet.nw_dst = dst_ip;
    packet.nw_proto = req->nw_proto;
    packet.nw_ttl = 64;
    if (req->nw_proto == IPPROTO_ICMP) {
        packet.tp_src = htons(ICMP4_ECHO_REQUEST);
        packet.tp_dst = htons(0);
    } else {
        packet.tp_src = htons(EXPLAIN_REQ_SRC_PORT);
        packet.tp_dst = htons(req->tp_dst);
    }

    const struct intent_network *dst_net = (dst.nic ? dst.nic->network
                                            : dst.adapter
                                            ? dst.adapter->network : NULL);
    if (req->has_dl_dst) {
        packet.dl_dst = req->dl_dst;
        ds_put_cstr(&note, "dl_dst: given with --dl-dst");
    } else if (found && dst_net == net) {
        packet.dl_dst = dst.nic ? dst.nic->mac : dst.adapter->mac;
        ds_put_cstr(&note, "dl_dst: the MAC of ");
        xp_endpoint_format(&dst, &note);
        ds_put_format(&note, " (same network, %s)", net->name);
    } else {
        packet.dl_dst = xp_assumed_mac;
        bool on_link = (net->has_subnet
                        && !((dst_ip ^ net->subnet)
                             & be32_prefix_mask(net->prefix_len)));
        bool is_gw = net->has_gateway && net->gateway == dst_ip;
        if (on_link && !is_gw) {
            ds_put_format(&note, "dl_dst: "IP_FMT" is on network %s but the "
                          "intent does not know its MAC", IP_ARGS(dst_ip),
                          net->name);
        } else if (net->has_gateway) {
            ds_put_format(&note, "dl_dst: "IP_FMT" is %s: the packet goes to "
                          "the gateway "IP_FMT" of %s, whose MAC the intent "
                          "does not know", IP_ARGS(dst_ip),
                          is_gw ? "the gateway itself"
                          : "outside the sender's network",
                          IP_ARGS(net->gateway), net->name);
        } else {
            ds_put_format(&note, "dl_dst: "IP_FMT" is outside network %s, "
                          "which has no gateway in the intent",
                          IP_ARGS(dst_ip), net->name);
        }
        ds_put_format(&note, "; assumed "ETH_ADDR_FMT" (any MAC the bridges "
                      "do not know takes the same path)",
                      ETH_ADDR_ARGS(xp_assumed_mac));
    }
    json_array_add(jnotes, json_string_create(ds_cstr(&note)));
    ds_clear(&note);
    ds_put_cstr(&note, "conntrack: each ct() is simulated as the first "
                "packet of a new connection (ct_state=+trk+new), as "
                "ofproto/trace --ct-next trk,new does");
    json_array_add(jnotes, json_string_create(ds_cstr(&note)));
    ds_destroy(&note);

    struct json *top = json_object_create();
    json_object_put(top, "notes", jnotes);
    struct json *jhops = json_array_create_empty();
    struct ds text = DS_EMPTY_INITIALIZER;
    struct ds result = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < jnotes->array.n; i++) {
        ds_put_format(&text, "note: %s\n", json_string(jnotes->array.elems[i]));
    }

    const struct intent_bridge *br = nic->bridge;
    struct flow frame;
    memset(&frame, 0, sizeof frame);
    for (int hop = 0; br && hop < EXPLAIN_MAX_HOPS; hop++) {
        struct portmap pm;
        struct flowset scratch;
        flowset_init(&scratch);
        const struct flowset *fs = switchmgr_bridge_desired(mgr, br, &pm);
        bool connected = switchmgr_find_ready(mgr, br->datapath_id) != NULL;
        if (!fs) {
            pipeline_compile(intent, br, &pm, &scratch);
            fs = &scratch;
        }
        struct json *jh = json_object_create();
        json_object_put_string(jh, "host", br->host->name);
        json_object_put_string(jh, "bridge", br->name);
        json_object_put(jh, "connected", json_boolean_create(connected));
        ds_put_format(&text, "\n%s/%s (datapath %016"PRIx64")%s\n",
                      br->host->name, br->name, br->datapath_id,
                      connected ? ""
                      : ": not connected, port numbers assumed");

        const struct portmap_port *in;
        if (!hop) {
            in = portmap_find(&pm, nic->port);
            if (!in) {
                ds_put_format(&text, "  port %s of VM %s is not on the "
                              "switch: it has no flows, nothing is "
                              "forwarded\n", nic->port, nic->vm->name);
                ds_put_format(&result, "dropped: port %s is not on the "
                              "switch of %s/%s", nic->port, br->host->name,
                              br->name);
                json_object_put_string(jh, "verdict", "dropped");
            } else {
                packet.in_port.ofp_port = in->ofp_port;
            }
        } else {
            in = xp_accepting_member(br, &pm);
            if (!in) {
                ds_put_format(&text, "  no live member of the uplink %s: "
                              "the frame cannot arrive\n", br->uplink.name);
                ds_put_format(&result, "lost: no live member of the uplink "
                              "of %s/%s", br->host->name, br->name);
                json_object_put_string(jh, "verdict", "dropped");
            } else {
                ds_put_format(&text, "  arrives on %s (%s of %s)\n",
                              in->name,
                              br->uplink.mode == INTENT_BOND_ACTIVE_BACKUP
                              ? "the active member" : "the first live "
                              "member; balance-slb accepts unicast on any "
                              "live member", br->uplink.name);
                xp_arrive(&frame, in->ofp_port, &packet);
            }
        }
        const struct intent_bridge *next = NULL;
        if (in) {
            struct ds p = DS_EMPTY_INITIALIZER;
            xp_format_packet(&packet, &p);
            ds_put_format(&text, "  packet: %s\n", ds_cstr(&p));
            json_object_put_string(jh, "packet", ds_cstr(&p));
            json_object_put(jh, "in_port",
                            json_integer_create(ofp_to_u16(in->ofp_port)));
            ds_destroy(&p);

            struct explain *ex = explain_create(fs, &pm);
            struct explain_result r;
            explain_run(ex, &packet, &r);
            if (xp_format_hop(intent, br, &pm, in->name, &r, &text, jh,
                              &frame, &result)) {
                struct xp_endpoint e;
                if (xp_find_endpoint(intent, false, frame.dl_dst, 0, &e)
                    && e.br != br) {
                    ds_put_format(&text, "  across the uplink, ");
                    if (frame.vlans[0].tci & htons(VLAN_CFI)) {
                        ds_put_format(&text, "VLAN %d, ",
                                      vlan_tci_to_vid(frame.vlans[0].tci));
                    }
                    ds_put_format(&text, "the physical network carries the "
                                  "frame to %s/%s, which holds "ETH_ADDR_FMT
                                  " (", e.br->host->name, e.br->name,
                                  ETH_ADDR_ARGS(frame.dl_dst));
                    xp_endpoint_format(&e, &text);
                    ds_put_cstr(&text, ")\n");
                    next = e.br;
                } else if (!result.length) {
                    ds_put_format(&text, "  beyond the uplink: no bridge "
                                  "of the intent holds "ETH_ADDR_FMT": the "
                                  "frame goes to the physical network (the "
                                  "gateway / router); not followed\n",
                                  ETH_ADDR_ARGS(frame.dl_dst));
                    ds_put_format(&result, "leaves %s/%s through the uplink "
                                  "%s toward the gateway / physical network",
                                  br->host->name, br->name,
                                  br->uplink.name);
                }
            }
            explain_result_destroy(&r);
            explain_destroy(ex);
        }
        json_array_add(jhops, jh);
        portmap_destroy(&pm);
        flowset_destroy(&scratch);
        if (next && hop + 1 >= EXPLAIN_MAX_HOPS && !result.length) {
            ds_put_cstr(&result, "still travelling after the hops followed");
        }
        br = next;
    }
    json_object_put(top, "hops", jhops);
    json_object_put_string(top, "result", ds_cstr(&result));
    ds_put_format(&text, "\nresult: %s\n", ds_cstr(&result));

    if (req->json) {
        char *js = json_to_string(top, JSSF_SORT | JSSF_PRETTY);
        ds_put_format(s, "%s\n", js);
        free(js);
    } else {
        ds_put_cstr(s, ds_cstr(&text));
    }
    json_destroy(top);
    ds_destroy(&text);
    ds_destroy(&result);
    return true;
}
