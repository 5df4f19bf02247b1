/*
 * Stage port_security (table 20): anti-spoofing for local ports.
 *
 * A vNIC or adapter may send only from its own MAC: classify checked
 * that already (its one flow per port matches the source MAC), so this
 * table checks addresses only.  With an IPv4 address in the intent, its
 * IPv4 packets must come from that address and its ARP packets must carry
 * it as sender (arp_spa) and its MAC as sender hardware address
 * (arp_sha).  A DHCP discover / request from 0.0.0.0 (udp 68 -> 67) is
 * allowed from every local port, by one flow for the whole bridge.
 * Without an address, any IPv4 is allowed (its source MAC is its own) and
 * ARP must carry its own MAC as arp_sha.  Any other IPv4 or ARP from a
 * local port drops at two flows for the whole bridge (below the allowing
 * flows), not at flows of every port; everything else goes on at the
 * table miss.  VMs (not host adapters) may never send DHCP server replies
 * (udp source port 67) nor IPv6 router advertisements (ICMPv6 type 134):
 * two flows for every VM port of the bridge, matching the VM role in
 * reg0.  On a trunk vNIC the address rules apply to the native network
 * only: the intent has no addresses for the other VLANs, so a trunk with
 * an address also has the rules of a port without one, and drops of its
 * own for the native network.  Frames from the uplink skip this table's
 * checks.
 *
 * Priorities, highest first: DENY, IP_ALLOW (and UPLINK), DHCP, IP_DENY,
 * MAC_IP_ALLOW, L3_DENY; anything left goes on at the table miss.
 */
#include <config.h>

#include "byte-order.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "pipelines/pipeline.h"
#include "pipelines/stages.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define ICMPV6_ROUTER_ADVERT 134

/* Initializes 'match' to match frames from 'p''s port; 'native' restricts
 * it to the native network on a trunk port. */
static void
ps_match_port(struct match *match, const struct pipeline_port *p,
              bool native)
{
    match_init_catchall(match);
    match_set_in_port(match, p->ofp_port);
    if (native && p->trunk) {
        pipeline_match_network(match, p->network);
    }
}

/* Adds a flow in port_security with 'cookie' at 'priority' matching
 * 'match': onward to microseg_out if 'allow', else a drop. */
static void
ps_add(struct pipeline_ctx *ctx, ovs_be64 cookie, uint16_t priority,
       const struct match *match, bool allow)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);

    if (allow) {
        pipeline_put_goto(&ofpacts, PIPELINE_T_MICROSEG_OUT);
    }
    pipeline_add_flow(ctx, PIPELINE_T_PORT_SECURITY, priority, match,
                      cookie, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Adds the flows that drop, from every VM port (reg0 = the VM role), DHCP
 * server replies and IPv6 router advertisements. */
static void
ps_vm_denials(struct pipeline_ctx *ctx)
{
    struct match m;

    match_init_catchall(&m);
    match_set_reg(&m, PIPELINE_REG_ROLE, PIPELINE_ROLE_VM);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_nw_proto(&m, IPPROTO_UDP);
    match_set_tp_src(&m, htons(DHCP_SERVER_PORT));
    ps_add(ctx, ctx->bridge_cookie, PS_PRIO_DENY, &m, false);

    match_init_catchall(&m);
    match_set_reg(&m, PIPELINE_REG_ROLE, PIPELINE_ROLE_VM);
    match_set_dl_type(&m, htons(ETH_TYPE_IPV6));
    match_set_nw_proto(&m, IPPROTO_ICMPV6);
    match_set_icmp_type(&m, ICMPV6_ROUTER_ADVERT);
    ps_add(ctx, ctx->bridge_cookie, PS_PRIO_DENY, &m, false);
}

/* Adds the flow that lets a DHCP discover / request from 0.0.0.0 (udp 68
 * -> 67) of any local port through, before the port has its address. */
static void
ps_dhcp_discover(struct pipeline_ctx *ctx)
{
    struct match m;

    match_init_catchall(&m);
    match_set_dl_type(&m, htons(ETH_TYPE_IP));
    match_set_nw_src(&m, htonl(0));
    match_set_nw_proto(&m, IPPROTO_UDP);
    match_set_tp_src(&m, htons(DHCP_CLIENT_PORT));
    match_set_tp_dst(&m, htons(DHCP_SERVER_PORT));
    ps_add(ctx, ctx->bridge_cookie, PS_PRIO_DHCP, &m, true);
}

/* Adds the flows that drop the IPv4 and ARP packets of local ports that no
 * flow of their port allowed (the uplink's frames went on at a higher
 * priority). */
static void
ps_l3_denials(struct pipeline_ctx *ctx)
{
    static const uint16_t types[] = { ETH_TYPE_IP, ETH_TYPE_ARP };

    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        struct match m;

        match_init_catchall(&m);
        match_set_dl_type(&m, htons(types[i]));
        ps_add(ctx, ctx->bridge_cookie, PS_PRIO_L3_DENY, &m, false);
    }
}

/* Adds the port security flows of local port 'p'. */
static void
ps_port(struct pipeline_ctx *ctx, const struct pipeline_port *p)
{
    struct match m;

    if (p->has_ip) {
        /* IPv4 from its own address. */
        ps_match_port(&m, p, true);
        match_set_dl_type(&m, htons(ETH_TYPE_IP));
        match_set_nw_src(&m, p->ip);
        ps_add(ctx, p->cookie, PS_PRIO_IP_ALLOW, &m, true);

        /* ARP with its own MAC and address. */
        ps_match_port(&m, p, true);
        match_set_dl_type(&m, htons(ETH_TYPE_ARP));
        match_set_nw_src(&m, p->ip);
        match_set_arp_sha(&m, p->mac);
        ps_add(ctx, p->cookie, PS_PRIO_IP_ALLOW, &m, true);

        if (p->trunk) {
            /* Any other IPv4 or ARP on the native network (the flows
             * below allow the other networks'). */
            ps_match_port(&m, p, true);
            match_set_dl_type(&m, htons(ETH_TYPE_IP));
            ps_add(ctx, p->cookie, PS_PRIO_IP_DENY, &m, false);
            ps_match_port(&m, p, true);
            match_set_dl_type(&m, htons(ETH_TYPE_ARP));
            ps_add(ctx, p->cookie, PS_PRIO_IP_DENY, &m, false);
        }
    }

    if (!p->has_ip || p->trunk) {
        /* Any IPv4 (from its own MAC, as classify checked); ARP must carry
         * its own MAC.  The address is not known. */
        ps_match_port(&m, p, false);
        match_set_dl_type(&m, htons(ETH_TYPE_IP));
        ps_add(ctx, p->cookie, PS_PRIO_MAC_IP_ALLOW, &m, true);

        ps_match_port(&m, p, false);
        match_set_dl_type(&m, htons(ETH_TYPE_ARP));
        match_set_arp_sha(&m, p->mac);
        ps_add(ctx, p->cookie, PS_PRIO_MAC_IP_ALLOW, &m, true);
    }
}

/* Adds the port_security flows of 'ctx''s bridge. */
void
pipeline_port_security(struct pipeline_ctx *ctx)
{
    struct match match;

    /* The uplink is trusted. */
    match_init_catchall(&match);
    match_set_reg(&match, PIPELINE_REG_ROLE, PIPELINE_ROLE_UPLINK);
    ps_add(ctx, ctx->uplink_cookie, PS_PRIO_UPLINK, &match, true);

    bool any_vm = false;
    for (size_t i = 0; i < ctx->n_ports; i++) {
        any_vm = any_vm || ctx->ports[i].role == PIPELINE_ROLE_VM;
        if (!pipeline_skips_cookie(ctx, ctx->ports[i].cookie)) {
            ps_port(ctx, &ctx->ports[i]);
        }
    }
    if (any_vm) {
        ps_vm_denials(ctx);
    }
    if (ctx->n_ports) {
        ps_dhcp_discover(ctx);
        ps_l3_denials(ctx);
    }
    pipeline_add_miss(ctx, PIPELINE_T_PORT_SECURITY, true,
                      PIPELINE_T_MICROSEG_OUT);
}
