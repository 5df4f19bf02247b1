/*
 * Addresses and names in the intent: the syntax of IPv4 addresses, subnets,
 * MAC addresses, datapath IDs and port names, and the host addresses of
 * adapters and VM NICs with their uniqueness (a MAC in the intent, an IP in
 * its network, a port name on its host).
 *
 * libopenvswitch converts where its parsers are as strict as the intent
 * format (ip_parse(), which is inet_pton()); where they are more lenient
 * (eth_addr_from_string() takes "1:2:3:4:5:6", dpid_from_string() takes
 * "0x1", ip_parse_cidr() takes an address without a prefix length), the
 * exact shape is checked here first.
 */
#include <config.h>

#include "models/intent-private.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packets.h"
#include "util.h"

/* Parses dotted-quad 's' (no leading zeros, no extra characters) into
 * '*ip' in host byte order. */
bool
intent_parse_ipv4(const char *s, uint32_t *ip)
{
    ovs_be32 addr;

    /* ip_parse() is inet_pton(), which is that strict. */
    if (!ip_parse(s, &addr)) {
        return false;
    }
    *ip = ntohl(addr);
    return true;
}

/* Returns the netmask for 'plen' in host byte order. */
uint32_t
intent_plen_mask(int plen)
{
    return ntohl(be32_prefix_mask(plen));
}

/* Parses 'a.b.c.d/len' into '*ip' and '*plen' (0..32, decimal without
 * leading zeros).  Unlike ip_parse_cidr(), the length is required and
 * nothing but digits may follow the slash. */
bool
intent_parse_cidr(const char *s, uint32_t *ip, int *plen)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash - s > 15) {
        return false;
    }

    char addr[16];
    memcpy(addr, s, slash - s);
    addr[slash - s] = '\0';
    if (!intent_parse_ipv4(addr, ip)) {
        return false;
    }

    const char *l = slash + 1;
    if (!l[0] || (l[0] == '0' && l[1]) || strspn(l, "0123456789") != strlen(l)
        || strlen(l) > 2 || atoi(l) > 32) {
        return false;
    }
    *plen = atoi(l);
    return true;
}

/* Parses 's', the value of member 'key' of the current object, as an IPv4
 * subnet "a.b.c.d/len" with host bits zero, into '*ip' and '*plen'.
 * Returns false, after reporting it, if it is not one. */
bool
intent_check_cidr(struct intent_parser *p, const char *key, const char *s,
                  uint32_t *ip, int *plen)
{
    char b[16];

    if (!intent_parse_cidr(s, ip, plen)) {
        intent_error_at(p, key, "\"%s\" is not a valid IPv4 subnet "
                        "(a.b.c.d/len)", s);
        return false;
    } else if (*ip & ~intent_plen_mask(*plen)) {
        intent_error_at(p, key, "\"%s\" has host bits set (did you mean "
                        "\"%s/%d\"?)", s,
                        intent_ip_str(*ip & intent_plen_mask(*plen), b),
                        *plen);
        return false;
    }
    return true;
}

/* Parses 'xx:xx:xx:xx:xx:xx' (exactly two hex digits per byte) into
 * '*mac'. */
static bool
parse_mac(const char *s, struct eth_addr *mac)
{
    if (strlen(s) != ETH_ADDR_STRLEN) {
        return false;
    }
    for (int i = 0; i < ETH_ADDR_STRLEN; i++) {
        if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char) s[i])) {
            return false;
        }
    }
    return eth_addr_from_string(s, mac);
}

/* Parses a datapath ID, exactly 16 hex digits, into '*dpid'.  All zeros
 * parses, as 0, for the caller to refuse with its own message. */
bool
intent_parse_dpid(const char *s, uint64_t *dpid)
{
    if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16) {
        return false;
    }
    dpid_from_string(s, dpid);
    return true;
}

/* Returns true if 's' is usable as a Linux network interface name, which an
 * OVS port name becomes: 1 to 15 bytes, not "." or "..", no '/', ':' or
 * white space. */
bool
intent_is_valid_ifname(const char *s)
{
    size_t len = strlen(s);
    if (!len || len > 15 || !strcmp(s, ".") || !strcmp(s, "..")) {
        return false;
    }
    for (const char *c = s; *c; c++) {
        if (*c == '/' || *c == ':' || isspace((unsigned char) *c)) {
            return false;
        }
    }
    return true;
}

/* Formats host-order 'ip' into 'buf' (at least 16 bytes); returns 'buf'. */
char *
intent_ip_str(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, IP_FMT, IP_ARGS(htonl(ip)));
    return buf;
}

/* Reads IPv4 member 'key' of 'obj' (host order) into '*ip'; returns false
 * if absent or malformed (reported). */
bool
intent_get_ipv4(struct intent_parser *p, const cJSON *obj, const char *key,
                bool required, uint32_t *ip)
{
    const char *s = intent_get_string(p, obj, key, required);
    if (!s) {
        return false;
    }
    if (!intent_parse_ipv4(s, ip)) {
        intent_error_at(p, key, "\"%s\" is not a valid IPv4 address", s);
        return false;
    }
    return true;
}

/* Returns "a.b.c.d/len" for 'net' in 'buf' (at least 32 bytes). */
static const char *
subnet_str(const struct intent_network *net, char buf[32])
{
    snprintf(buf, 32, IP_FMT"/%d", IP_ARGS(net->subnet), net->prefix_len);
    return buf;
}

/* Returns true if host-order 'ip' is inside the subnet of 'net'. */
static bool
in_subnet(const struct intent_network *net, uint32_t ip)
{
    uint32_t mask = intent_plen_mask(net->prefix_len);
    return (ip & mask) == ntohl(net->subnet);
}

/* Checks that host-order 'ip', the value of member 'key', can be used as a
 * host address in 'net': inside the subnet and not its network or broadcast
 * address.  Reports and returns false otherwise. */
bool
intent_check_in_subnet(struct intent_parser *p, const char *key,
                       const struct intent_network *net, uint32_t ip)
{
    char ipb[16], sb[32];
    uint32_t mask = intent_plen_mask(net->prefix_len);

    if (!in_subnet(net, ip)) {
        intent_error_at(p, key, "%s is outside subnet %s of network \"%s\"",
                        intent_ip_str(ip, ipb), subnet_str(net, sb),
                        net->name);
        return false;
    }
    if (net->prefix_len <= 30 && ip == ntohl(net->subnet)) {
        intent_error_at(p, key, "%s is the network address of subnet %s",
                        intent_ip_str(ip, ipb), subnet_str(net, sb));
        return false;
    }
    if (net->prefix_len <= 30 && ip == (ntohl(net->subnet) | ~mask)) {
        intent_error_at(p, key, "%s is the broadcast address of subnet %s",
                        intent_ip_str(ip, ipb), subnet_str(net, sb));
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------------- */
/* Host addresses: MACs and IPs shared by adapters and VM NICs. */

/* Parses MAC member "mac" of 'obj' into '*mac' and claims it, globally
 * unique. */
void
intent_parse_host_mac(struct intent_parser *p, const cJSON *obj,
                      struct eth_addr *mac)
{
    const char *s = intent_get_string(p, obj, "mac", true);
    if (!s) {
        return;
    }

    size_t len = intent_path_push_key(p, "mac");
    struct eth_addr ea;
    if (!parse_mac(s, &ea)) {
        intent_error(p, "\"%s\" is not a valid MAC address "
                     "(xx:xx:xx:xx:xx:xx)", s);
    } else if (eth_addr_is_multicast(ea)) {
        intent_error(p, "%s is a multicast MAC address", s);
    } else if (eth_addr_is_zero(ea)) {
        intent_error(p, "00:00:00:00:00:00 is not a valid MAC address");
    } else {
        uint64_t key = eth_addr_to_uint64(ea);
        const struct intent_claim *c = intent_claim(p, &p->macs, NULL, NULL,
                                                    key, true);
        if (c) {
            intent_error(p, "MAC "ETH_ADDR_FMT" is already used by %s",
                         ETH_ADDR_ARGS(ea), intent_claim_path(p, c));
        }
        *mac = ea;
    }
    intent_path_pop(p, len);
}

/* Parses IP member "ip" of 'obj' in network 'net' (NULL if unknown) into
 * '*has_ip' and '*ip'.  A VM address ('is_vm') must also come from the
 * network's pool when it has one. */
void
intent_parse_host_ip(struct intent_parser *p, const cJSON *obj,
                     const struct intent_network *net, bool is_vm,
                     bool *has_ip, ovs_be32 *ip)
{
    uint32_t addr;
    char ab[16], fb[16], lb[16];

    if (!intent_get_ipv4(p, obj, "ip", false, &addr)) {
        return;
    }
    *has_ip = true;
    *ip = htonl(addr);

    uint8_t first_octet = addr >> 24;
    if (!addr || first_octet >= 224 || first_octet == 127) {
        intent_error_at(p, "ip", "%s is not a unicast host address",
                        intent_ip_str(addr, ab));
        return;
    }
    if (!net) {
        return;
    }
    if (net->has_subnet && !intent_check_in_subnet(p, "ip", net, addr)) {
        return;
    }
    if (net->has_gateway && addr == ntohl(net->gateway)) {
        intent_error_at(p, "ip", "%s is the gateway of network \"%s\"",
                        intent_ip_str(addr, ab), net->name);
        return;
    }
    if (is_vm && net->has_pool
        && (addr < ntohl(net->pool_first) || addr > ntohl(net->pool_last))) {
        intent_error_at(p, "ip", "%s is outside the IP pool %s-%s of network "
                        "\"%s\"", intent_ip_str(addr, ab),
                        intent_ip_str(ntohl(net->pool_first), fb),
                        intent_ip_str(ntohl(net->pool_last), lb), net->name);
        return;
    }

    size_t len = intent_path_push_key(p, "ip");
    const struct intent_claim *c = intent_claim(p, &p->ips, net, NULL, addr,
                                                true);
    if (c) {
        intent_error(p, "%s is already used in network \"%s\" by %s",
                     intent_ip_str(addr, ab), net->name,
                     intent_claim_path(p, c));
    }
    intent_path_pop(p, len);
}

/* Claims port name 'port' (the value of member 'key' of the current object,
 * or the current value itself if 'key' is NULL) on host number 'host_idx'.
 * Reports a malformed name or one already used on that host. */
void
intent_claim_port(struct intent_parser *p, size_t host_idx, const char *key,
                  const char *port)
{
    size_t len = key ? intent_path_push_key(p, key) : p->path.length;
    if (!intent_is_valid_ifname(port)) {
        intent_error(p, "\"%s\" is not a valid port name (1 to 15 characters, "
                     "no \"/\", \":\" or spaces)", port);
    } else {
        const struct intent_host *host = &p->intent->hosts[host_idx].up;
        const struct intent_claim *c = intent_claim(p, &p->ports, host, port,
                                                    0, true);
        if (c) {
            intent_error(p, "port \"%s\" is already used on host \"%s\" by %s",
                         port, host->name ? host->name : "",
                         intent_claim_path(p, c));
        }
    }
    intent_path_pop(p, len);
}
