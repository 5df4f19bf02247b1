/* hosts[]: each host's bridges, their uplink bonds and host adapters. */
#include <config.h>

#include "models/intent-private.h"

#include <inttypes.h>
#include <string.h>

#include "bitmap.h"
#include "hash.h"
#include "util.h"

static const char *const host_keys[] = { "name", "bridges" };
static const char *const bridge_keys[] = {
    "name", "datapath_id", "uplink", "networks", "adapters",
};
static const char *const uplink_keys[] = {
    "name", "members", "mode", "primary", "lacp_rate", "lacp_fallback",
    "lacp_system_priority", "lacp_key",
};
static const char *const adapter_keys[] = {
    "name", "port", "role", "network", "mac", "ip",
};

/* Parses the LACP options of uplink 'json' into 'up'; 'lacp' says whether
 * its mode is "lacp" (the options are refused with any other mode). */
static void
parse_lacp_options(struct intent_parser *p, struct intent_uplink *up,
                   const cJSON *json, bool lacp)
{
    static const char *const keys[] = {
        "lacp_rate", "lacp_fallback", "lacp_system_priority", "lacp_key",
    };

    up->lacp_rate = INTENT_LACP_SLOW;
    up->lacp_fallback = INTENT_LACP_FALLBACK_AB;
    up->lacp_system_priority = INTENT_LACP_DEFAULT_SYSTEM_PRIORITY;
    up->lacp_key = INTENT_LACP_DEFAULT_KEY;

    if (!lacp) {
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
            if (cJSON_GetObjectItemCaseSensitive(json, keys[i])) {
                intent_error_at(p, keys[i], "only an uplink with \"mode\": "
                                "\"lacp\" takes LACP options");
            }
        }
        return;
    }

    int rate = intent_get_enum(p, json, "lacp_rate", intent_lacp_rate_names,
                               ARRAY_SIZE(intent_lacp_rate_names),
                               INTENT_LACP_SLOW);
    if (rate >= 0) {
        up->lacp_rate = rate;
    }
    int fallback = intent_get_enum(p, json, "lacp_fallback",
                                   intent_lacp_fallback_names,
                                   ARRAY_SIZE(intent_lacp_fallback_names),
                                   INTENT_LACP_FALLBACK_AB);
    if (fallback >= 0) {
        up->lacp_fallback = fallback;
    }
    long long int v;
    if (intent_get_int(p, json, "lacp_system_priority", false, 1, 65535,
                       &v)) {
        up->lacp_system_priority = v;
    }
    if (intent_get_int(p, json, "lacp_key", false, 1, 65535, &v)) {
        up->lacp_key = v;
    }
}

/* Parses the "uplink" object 'json' of 'bridge' on host 'host_idx'. */
static void
parse_uplink(struct intent_parser *p, struct intent_bridge *bridge,
             size_t host_idx, const cJSON *json)
{
    struct intent_uplink *up = &bridge->uplink;
    size_t len = intent_path_push_key(p, "uplink");

    if (!intent_check_object(p, json, uplink_keys, ARRAY_SIZE(uplink_keys))) {
        goto out;
    }

    up->name = intent_get_string(p, json, "name", true);
    if (up->name) {
        intent_claim_port(p, host_idx, "name", up->name);
    }

    const cJSON *members = intent_get_array(p, json, "members", true);
    if (members) {
        size_t mlen = intent_path_push_key(p, "members");
        size_t n = cJSON_GetArraySize(members);
        if (!n) {
            intent_error(p, "a bond needs at least one member");
        }
        up->members = xcalloc(n ? n : 1, sizeof *up->members);

        const cJSON *m;
        size_t i = 0;
        cJSON_ArrayForEach (m, members) {
            size_t ilen = intent_path_push_index(p, i++);
            const char *name = intent_json_string(p, m);
            if (name) {
                up->members[up->n_members++] = name;
                intent_claim_port(p, host_idx, NULL, name);
            }
            intent_path_pop(p, ilen);
        }
        intent_path_pop(p, mlen);
    }

    int m = intent_get_enum(p, json, "mode", intent_bond_mode_names,
                            ARRAY_SIZE(intent_bond_mode_names),
                            INTENT_BOND_ACTIVE_BACKUP);
    up->mode = m < 0 ? INTENT_BOND_ACTIVE_BACKUP : m;
    parse_lacp_options(p, up, json, m == INTENT_BOND_LACP);

    const char *primary = intent_get_string(p, json, "primary", false);
    if (primary) {
        bool found = false;
        for (size_t i = 0; i < up->n_members; i++) {
            if (!strcmp(up->members[i], primary)) {
                found = true;
                break;
            }
        }
        if (found) {
            up->primary = primary;
        } else if (members) {
            intent_error_at(p, "primary", "\"%s\" is not a member of "
                            "uplink%s%s%s", primary, up->name ? " \"" : "",
                            up->name ? up->name : "", up->name ? "\"" : "");
        }
    }

out:
    intent_path_pop(p, len);
}

/* Parses the adapter 'json', number 'i', into 'ad' on 'bridge' of host
 * 'host_idx'. */
static void
parse_adapter(struct intent_parser *p, struct intent_adapter *ad,
              const struct intent_bridge *bridge, size_t host_idx,
              const cJSON *json, size_t i)
{
    ad->index = i;
    ad->bridge = bridge;
    ad->role = INTENT_ROLE_OTHER;
    if (!intent_check_object(p, json, adapter_keys,
                             ARRAY_SIZE(adapter_keys))) {
        return;
    }

    const char *name = intent_get_string(p, json, "name", true);
    if (name) {
        const struct intent_host *host = &p->intent->hosts[host_idx].up;
        const struct intent_claim *c
            = intent_claim(p, &p->adapter_names, host, name, 0, true);
        if (c) {
            intent_error_at(p, "name", "duplicate adapter name \"%s\" on host "
                            "\"%s\" (first at %s)", name,
                            host->name ? host->name : "",
                            intent_claim_path(p, c));
        }
        ad->name = name;
    }

    ad->port = intent_get_string(p, json, "port", true);
    if (ad->port && bridge->name && !strcmp(ad->port, bridge->name)) {
        /* The bridge's own local port, as AHV puts the host's address on
         * "br0": one adapter may use it. */
        size_t len = intent_path_push_key(p, "port");
        const struct intent_claim *c
            = intent_claim(p, &p->ports, bridge, NULL, 1, true);
        if (c) {
            const char *host = p->intent->hosts[host_idx].up.name;
            intent_error(p, "port \"%s\" is already used on host \"%s\" by "
                         "%s", ad->port, host ? host : "",
                         intent_claim_path(p, c));
        }
        intent_path_pop(p, len);
    } else if (ad->port) {
        intent_claim_port(p, host_idx, "port", ad->port);
    }

    int role = intent_get_enum(p, json, "role", intent_role_names,
                               ARRAY_SIZE(intent_role_names),
                               INTENT_ROLE_OTHER);
    ad->role = role < 0 ? INTENT_ROLE_OTHER : role;

    const char *net_name = intent_get_string(p, json, "network", true);
    if (net_name) {
        size_t len = intent_path_push_key(p, "network");
        ad->network = intent_lookup_network(p, net_name);
        if (ad->network && !intent_bridge_carries(p, bridge, ad->network)) {
            intent_error(p, "network \"%s\" is not carried by bridge \"%s\" "
                         "(add it to the bridge's \"networks\")", net_name,
                         bridge->name ? bridge->name : "");
        }
        intent_path_pop(p, len);
    }

    intent_parse_host_mac(p, json, &ad->mac);
    intent_parse_host_ip(p, json, ad->network, false, &ad->has_ip, &ad->ip);
}

/* Parses the bridge 'json', number 'i', of host number 'host_idx' into
 * 'bridge'. */
static void
parse_bridge(struct intent_parser *p, struct intent_bridge *bridge,
             size_t host_idx, const cJSON *json, size_t i)
{
    struct intent *intent = p->intent;
    struct intent_host_rec *host = &intent->hosts[host_idx];

    bridge->host = &host->up;
    bridge->index = i;
    if (!intent_check_object(p, json, bridge_keys, ARRAY_SIZE(bridge_keys))) {
        return;
    }

    const char *name = intent_get_string(p, json, "name", true);
    if (name) {
        bridge->name = name;
        const struct intent_bridge *other
            = shash_find_data(&host->bridges_by_name, name);
        if (other) {
            intent_error_at(p, "name", "duplicate bridge name \"%s\" on host "
                            "\"%s\" (first at hosts[%"PRIuSIZE"].bridges"
                            "[%"PRIuSIZE"])",
                            name, host->up.name ? host->up.name : "",
                            host_idx, other->index);
        } else {
            shash_add(&host->bridges_by_name, name, bridge);
            /* The bridge's own local port bears its name. */
            intent_claim_port(p, host_idx, "name", name);
        }
    }

    const char *dpid_s = intent_get_string(p, json, "datapath_id", true);
    if (dpid_s) {
        uint64_t dpid;
        if (!intent_parse_dpid(dpid_s, &dpid)) {
            intent_error_at(p, "datapath_id", "\"%s\" is not a datapath ID "
                            "(16 hex digits)", dpid_s);
        } else if (!dpid) {
            intent_error_at(p, "datapath_id", "datapath ID must not be zero");
        } else {
            const struct intent_bridge *other
                = intent_find_bridge_by_dpid(intent, dpid);
            if (other) {
                intent_error_at(p, "datapath_id", "datapath ID %016"PRIx64" "
                                "is already used by hosts[%"PRIuSIZE"]"
                                ".bridges[%"PRIuSIZE"]", dpid,
                                other->host->index, other->index);
            } else {
                struct intent_dpid_node *node = xmalloc(sizeof *node);
                node->bridge = bridge;
                hmap_insert(&intent->bridges_by_dpid, &node->node,
                            hash_uint64(dpid));
            }
            bridge->datapath_id = dpid;
        }
    }

    const cJSON *uplink = intent_get_member(p, json, "uplink", true);
    if (uplink) {
        parse_uplink(p, bridge, host_idx, uplink);
    }

    const cJSON *networks = intent_get_array(p, json, "networks", false);
    if (networks) {
        size_t len = intent_path_push_key(p, "networks");
        size_t n = cJSON_GetArraySize(networks);
        bridge->networks = xcalloc(n ? n : 1, sizeof *bridge->networks);

        const cJSON *item;
        size_t j = 0;
        cJSON_ArrayForEach (item, networks) {
            size_t ilen = intent_path_push_index(p, j++);
            const char *net_name = intent_json_string(p, item);
            const struct intent_network *net
                = net_name ? intent_lookup_network(p, net_name) : NULL;
            if (net && intent_bridge_carries(p, bridge, net)) {
                intent_error(p, "network \"%s\" is listed twice", net_name);
            } else if (net) {
                bridge->networks[bridge->n_networks++] = net;
                bitmap_set1(p->bridge_bits[host_idx]
                            + bridge->index * p->bitmap_longs, net->index);

                uint32_t *carrier = intent_host_carrier(p, host_idx, net);
                *carrier = (*carrier ? INTENT_CARRIED_BY_SEVERAL
                            : bridge->index + 1);
            }
            intent_path_pop(p, ilen);
        }
        intent_path_pop(p, len);
    }

    const cJSON *adapters = intent_get_array(p, json, "adapters", false);
    if (adapters) {
        size_t len = intent_path_push_key(p, "adapters");
        size_t n = cJSON_GetArraySize(adapters);
        struct intent_adapter *ads = xcalloc(n ? n : 1, sizeof *ads);
        bridge->adapters = ads;
        bridge->n_adapters = n;

        const cJSON *item;
        size_t j = 0;
        cJSON_ArrayForEach (item, adapters) {
            size_t ilen = intent_path_push_index(p, j);
            parse_adapter(p, &ads[j], bridge, host_idx, item, j);
            j++;
            intent_path_pop(p, ilen);
        }
        intent_path_pop(p, len);
    }
}

/* Parses host 'json', number 'i', into the model's host 'i'. */
void
intent_parse_host(struct intent_parser *p, const cJSON *json, size_t i)
{
    struct intent *intent = p->intent;
    struct intent_host_rec *host = &intent->hosts[i];

    if (!intent_check_object(p, json, host_keys, ARRAY_SIZE(host_keys))) {
        return;
    }

    const char *name = intent_get_string(p, json, "name", true);
    if (name) {
        host->up.name = name;
        const struct intent_host *other
            = shash_find_data(&intent->hosts_by_name, name);
        if (other) {
            intent_error_at(p, "name", "duplicate host name \"%s\" (first at "
                            "hosts[%"PRIuSIZE"])", name, other->index);
        } else {
            shash_add(&intent->hosts_by_name, name, &host->up);
        }
    }

    const cJSON *bridges = intent_get_array(p, json, "bridges", true);
    if (!bridges) {
        return;
    }

    size_t len = intent_path_push_key(p, "bridges");
    size_t n = cJSON_GetArraySize(bridges);
    if (!n) {
        intent_error(p, "a host needs at least one bridge");
    }
    struct intent_bridge *brs = xcalloc(n ? n : 1, sizeof *brs);
    p->bridge_bits[i] = xcalloc(MAX(n * p->bitmap_longs, 1),
                                sizeof *p->bridge_bits[i]);
    host->up.bridges = brs;
    host->up.n_bridges = n;
    intent->n_bridges += n;

    const cJSON *item;
    size_t j = 0;
    cJSON_ArrayForEach (item, bridges) {
        size_t ilen = intent_path_push_index(p, j);
        parse_bridge(p, &brs[j], i, item, j);
        j++;
        intent_path_pop(p, ilen);
    }
    intent_path_pop(p, len);
}
