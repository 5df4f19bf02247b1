/*
 * References between objects that need more than one of them: which
 * bridges of a host carry a network (per-bridge bitmaps and per-host
 * tables filled by host.c),
 * the bridge each VM NIC attaches to, and each bridge's list of NICs.
 */
#include <config.h>

#include "models/intent-private.h"

#include "bitmap.h"
#include "util.h"

/* Returns true if 'bridge' carries 'net'. */
bool
intent_bridge_carries(const struct intent_parser *p,
                      const struct intent_bridge *bridge,
                      const struct intent_network *net)
{
    const unsigned long *bits = p->bridge_bits[bridge->host->index];
    return bitmap_is_set(bits + bridge->index * p->bitmap_longs, net->index);
}

/* Returns the entry of the parser's 'carriers' that says which bridges of
 * host number 'host_idx' carry 'net'. */
uint32_t *
intent_host_carrier(const struct intent_parser *p, size_t host_idx,
                    const struct intent_network *net)
{
    return &p->carriers[host_idx * p->intent->n_networks + net->index];
}

/* Returns the name of 'bridge' for messages, even if it has none. */
static const char *
bridge_name(const struct intent_bridge *bridge)
{
    return bridge->name ? bridge->name : "(unnamed)";
}

/* Writes the names of the bridges of 'host' that carry 'net' into 's',
 * comma separated. */
static void
list_carriers(const struct intent_parser *p, const struct intent_host *host,
              const struct intent_network *net, struct ds *s)
{
    for (size_t i = 0; i < host->n_bridges; i++) {
        const struct intent_bridge *b = &host->bridges[i];
        if (intent_bridge_carries(p, b, net)) {
            ds_put_format(s, "%s%s", s->length ? ", " : "", bridge_name(b));
        }
    }
}

/* Chooses the bridge for 'nic' of a VM on 'host', from its "bridge" member
 * in 'json' or from the networks, and checks that the bridge carries every
 * network of the NIC.  Returns the bridge, or NULL after an error. */
const struct intent_bridge *
intent_resolve_nic_bridge(struct intent_parser *p,
                          const struct intent_nic *nic,
                          const struct intent_host *host, const cJSON *json)
{
    const struct intent_network *net = nic->network;
    const struct intent_bridge *bridge = NULL;
    const char *wanted = intent_get_string(p, json, "bridge", false);

    if (wanted) {
        bridge = intent_host_find_bridge(host, wanted);
        if (!bridge) {
            intent_error_at(p, "bridge", "unknown bridge \"%s\" on host "
                            "\"%s\"", wanted, host->name);
            return NULL;
        }
        if (net && !intent_bridge_carries(p, bridge, net)) {
            intent_error_at(p, "network", "network \"%s\" is not carried by "
                            "bridge \"%s\" of host \"%s\"", net->name,
                            bridge_name(bridge), host->name);
        }
    } else if (cJSON_GetObjectItemCaseSensitive(json, "bridge")) {
        return NULL;            /* Malformed, reported. */
    } else if (net) {
        uint32_t carrier = *intent_host_carrier(p, host->index, net);
        if (!carrier) {
            intent_error_at(p, "network", "network \"%s\" is not carried by "
                            "any bridge of host \"%s\"", net->name,
                            host->name);
            return NULL;
        } else if (carrier == INTENT_CARRIED_BY_SEVERAL) {
            struct ds list = DS_EMPTY_INITIALIZER;
            list_carriers(p, host, net, &list);
            intent_error_at(p, "network", "network \"%s\" is carried by "
                            "several bridges of host \"%s\" (%s); set "
                            "\"bridge\"",
                            net->name, host->name, ds_cstr(&list));
            ds_destroy(&list);
            return NULL;
        }
        bridge = &host->bridges[carrier - 1];
    } else {
        return NULL;
    }

    for (size_t i = 0; i < nic->n_trunk_networks; i++) {
        const struct intent_network *t = nic->trunk_networks[i];
        if (!intent_bridge_carries(p, bridge, t)) {
            size_t len = intent_path_push_key(p, "trunk_networks");
            size_t ilen = intent_path_push_index(p, i);
            intent_error(p, "network \"%s\" is not carried by bridge \"%s\" "
                         "of host \"%s\"", t->name, bridge_name(bridge),
                         host->name);
            intent_path_pop(p, ilen);
            intent_path_pop(p, len);
        }
    }
    return bridge;
}

/* Fills every bridge's list of NICs, in VM order. */
void
intent_link_bridge_nics(struct intent *intent)
{
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < intent->n_vms; i++) {
            const struct intent_vm *vm = &intent->vms[i];
            for (size_t j = 0; j < vm->n_nics; j++) {
                const struct intent_nic *nic = &vm->nics[j];
                const struct intent_bridge *both[2] = {
                    nic->bridge, nic->migration_bridge,
                };
                for (size_t k = 0; k < ARRAY_SIZE(both); k++) {
                    struct intent_bridge *b = CONST_CAST(
                        struct intent_bridge *, both[k]);
                    if (!b) {
                        continue;
                    } else if (!pass) {
                        b->n_nics++;
                    } else {
                        CONST_CAST(const struct intent_nic **,
                                   b->nics)[b->n_nics++] = nic;
                    }
                }
            }
        }
        if (!pass) {
            for (size_t h = 0; h < intent->n_hosts; h++) {
                const struct intent_host *host = &intent->hosts[h].up;
                for (size_t k = 0; k < host->n_bridges; k++) {
                    struct intent_bridge *b = CONST_CAST(
                        struct intent_bridge *, &host->bridges[k]);
                    b->nics = xcalloc(b->n_nics ? b->n_nics : 1,
                                      sizeof *b->nics);
                    b->n_nics = 0;
                }
            }
        }
    }
}
