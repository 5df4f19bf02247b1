/* networks[]: name, VLAN, subnet, gateway, IP pool. */
#include <config.h>

#include "models/intent-private.h"

#include <limits.h>

#include "util.h"

static const char *const network_keys[] = {
    "name", "vlan", "subnet", "gateway", "ip_pool",
};
static const char *const pool_keys[] = { "first", "last" };


/* Parses the "ip_pool" object 'json' of 'net'. */
static void
parse_pool(struct intent_parser *p, struct intent_network *net,
           const cJSON *json, bool subnet_ok)
{
    size_t len = intent_path_push_key(p, "ip_pool");
    if (!intent_check_object(p, json, pool_keys, ARRAY_SIZE(pool_keys))) {
        goto out;
    }

    uint32_t first, last;
    bool first_ok = intent_get_ipv4(p, json, "first", true, &first);
    bool last_ok = intent_get_ipv4(p, json, "last", true, &last);
    if (!first_ok || !last_ok) {
        goto out;
    }
    if (!net->has_subnet) {
        if (subnet_ok) {
            intent_error(p, "an IP pool needs a subnet");
        }
        goto out;
    }
    first_ok = intent_check_in_subnet(p, "first", net, first);
    last_ok = intent_check_in_subnet(p, "last", net, last);
    if (!first_ok || !last_ok) {
        goto out;
    }

    char fb[16], lb[16], gb[16];
    if (first > last) {
        intent_error(p, "first %s is after last %s",
                     intent_ip_str(first, fb), intent_ip_str(last, lb));
        goto out;
    }
    if (net->has_gateway && ntohl(net->gateway) >= first
        && ntohl(net->gateway) <= last) {
        intent_error(p, "pool %s-%s contains the gateway %s",
                     intent_ip_str(first, fb), intent_ip_str(last, lb),
                     intent_ip_str(ntohl(net->gateway), gb));
        goto out;
    }
    net->has_pool = true;
    net->pool_first = htonl(first);
    net->pool_last = htonl(last);

out:
    intent_path_pop(p, len);
}

/* Parses network 'json', number 'i', into 'net'. */
void
intent_parse_network(struct intent_parser *p, struct intent_network *net,
                     const cJSON *json, size_t i)
{
    struct intent *intent = p->intent;

    net->index = i;
    if (!intent_check_object(p, json, network_keys,
                             ARRAY_SIZE(network_keys))) {
        return;
    }

    const char *name = intent_get_string(p, json, "name", true);
    if (name) {
        net->name = name;
        const struct intent_network *other
            = shash_find_data(&intent->networks_by_name, name);
        if (other) {
            intent_error_at(p, "name", "duplicate network name \"%s\" "
                            "(first at networks[%"PRIuSIZE"])", name,
                            other->index);
        } else {
            shash_add(&intent->networks_by_name, name, net);
        }
    }

    long long vlan;
    if (intent_get_int(p, json, "vlan", true, 0, 4094, &vlan)) {
        const struct intent_network *other = p->by_vlan[vlan];
        net->vlan = vlan;
        if (other) {
            intent_error_at(p, "vlan", "VLAN %lld is already used by network "
                            "\"%s\" (networks[%"PRIuSIZE"])", vlan,
                            other->name ? other->name : "", other->index);
        } else {
            p->by_vlan[vlan] = net;
        }
    }

    /* Subnet. */
    bool subnet_ok = true;
    const char *subnet = intent_get_string(p, json, "subnet", false);
    if (subnet) {
        uint32_t ip;
        int plen;
        if (!intent_check_cidr(p, "subnet", subnet, &ip, &plen)) {
            subnet_ok = false;
        } else {
            net->has_subnet = true;
            net->subnet = htonl(ip);
            net->prefix_len = plen;
        }
    } else if (cJSON_GetObjectItemCaseSensitive(json, "subnet")) {
        subnet_ok = false;
    }

    /* Gateway. */
    uint32_t gw;
    if (intent_get_ipv4(p, json, "gateway", false, &gw)) {
        if (!net->has_subnet) {
            if (subnet_ok) {
                intent_error_at(p, "gateway", "a gateway needs a subnet");
            }
        } else if (intent_check_in_subnet(p, "gateway", net, gw)) {
            net->has_gateway = true;
            net->gateway = htonl(gw);
        }
    }

    /* IP pool. */
    const cJSON *pool = cJSON_GetObjectItemCaseSensitive(json, "ip_pool");
    if (pool) {
        parse_pool(p, net, pool, subnet_ok);
    }
}

/* Looks up network 'name' at the current path; reports an unknown name. */
const struct intent_network *
intent_lookup_network(struct intent_parser *p, const char *name)
{
    const struct intent_network *net
        = shash_find_data(&p->intent->networks_by_name, name);
    if (!net) {
        intent_error(p, "unknown network \"%s\"", name);
    }
    return net;
}
