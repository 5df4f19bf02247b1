/* vms[]: each VM's host, categories and NICs. */
#include <config.h>

#include "models/intent-private.h"

#include <string.h>

#include "util.h"

static const char *const vm_keys[] = {
    "name", "host", "migrating_to", "categories", "nics",
};
static const char *const nic_keys[] = {
    "port", "mac", "network", "ip", "bridge", "mode", "trunk_networks",
};

/* Parses the "trunk_networks" of 'nic' from NIC object 'json'. */
static void
parse_trunk_networks(struct intent_parser *p, struct intent_nic *nic,
                     const cJSON *json)
{
    const cJSON *trunks = intent_get_array(p, json, "trunk_networks", false);
    if (nic->mode == INTENT_NIC_ACCESS) {
        if (cJSON_GetObjectItemCaseSensitive(json, "trunk_networks")) {
            intent_error_at(p, "trunk_networks", "only a trunk NIC (\"mode\": "
                            "\"trunk\") has trunk networks");
        }
        return;
    }
    if (!cJSON_GetObjectItemCaseSensitive(json, "trunk_networks")) {
        intent_error_at(p, "trunk_networks",
                        "a trunk NIC needs trunk networks");
        return;
    } else if (!trunks) {
        return;
    }

    size_t len = intent_path_push_key(p, "trunk_networks");
    size_t n = cJSON_GetArraySize(trunks);
    if (!n) {
        intent_error(p, "a trunk NIC needs at least one trunk network");
    }
    nic->trunk_networks = xcalloc(n ? n : 1, sizeof *nic->trunk_networks);

    /* 'seen' finds repeated networks without a quadratic scan. */
    struct hmap seen = HMAP_INITIALIZER(&seen);
    const cJSON *item;
    size_t i = 0;
    cJSON_ArrayForEach (item, trunks) {
        size_t ilen = intent_path_push_index(p, i++);
        const char *name = intent_json_string(p, item);
        const struct intent_network *net
            = name ? intent_lookup_network(p, name) : NULL;
        if (!net) {
            /* Reported. */
        } else if (net == nic->network) {
            intent_error(p, "network \"%s\" is already the NIC's native "
                         "network", name);
        } else if (intent_claim(p, &seen, net, NULL, 0, false)) {
            intent_error(p, "network \"%s\" is listed twice", name);
        } else {
            nic->trunk_networks[nic->n_trunk_networks++] = net;
        }
        intent_path_pop(p, ilen);
    }
    hmap_destroy(&seen);
    intent_path_pop(p, len);
}

/* Parses the NIC 'json', number 'i', of 'vm' into 'nic'. */
static void
parse_nic(struct intent_parser *p, struct intent_nic *nic,
          const struct intent_vm *vm, const cJSON *json, size_t i)
{
    nic->vm = vm;
    nic->index = i;
    if (!intent_check_object(p, json, nic_keys, ARRAY_SIZE(nic_keys))) {
        return;
    }

    nic->port = intent_get_string(p, json, "port", true);
    if (nic->port && vm->migrating_to) {
        /* The port is taken on the destination host too. */
        intent_claim_port(p, vm->migrating_to->index, "port", nic->port);
    }
    if (nic->port && vm->host) {
        intent_claim_port(p, vm->host->index, "port", nic->port);
    } else if (nic->port && !intent_is_valid_ifname(nic->port)) {
        intent_error_at(p, "port", "\"%s\" is not a valid port name (1 to 15 "
                        "characters, no \"/\", \":\" or spaces)", nic->port);
    }

    intent_parse_host_mac(p, json, &nic->mac);

    const char *net_name = intent_get_string(p, json, "network", true);
    if (net_name) {
        size_t len = intent_path_push_key(p, "network");
        nic->network = intent_lookup_network(p, net_name);
        intent_path_pop(p, len);
    }

    intent_parse_host_ip(p, json, nic->network, true, &nic->has_ip, &nic->ip);

    int mode = intent_get_enum(p, json, "mode", intent_nic_mode_names,
                               ARRAY_SIZE(intent_nic_mode_names),
                               INTENT_NIC_ACCESS);
    nic->mode = mode < 0 ? INTENT_NIC_ACCESS : mode;
    if (mode >= 0) {
        parse_trunk_networks(p, nic, json);
    }

    if (vm->host) {
        nic->bridge = intent_resolve_nic_bridge(p, nic, vm->host, json);
    }
    if (vm->migrating_to) {
        nic->migration_bridge = intent_resolve_nic_bridge(
            p, nic, vm->migrating_to, json);
    }
}

/* Parses 'json', at the current path, as categories (an object of category
 * name to string value) into 'smap'.  VM categories and policy selectors
 * have this form. */
void
intent_parse_categories(struct intent_parser *p, const cJSON *json,
                        struct smap *smap)
{
    if (!cJSON_IsObject(json)) {
        intent_error(p, "expected an object, got %s", intent_json_type(json));
    } else {
        const cJSON *item;
        cJSON_ArrayForEach (item, json) {
            if (!item->string[0]) {
                /* Reported at the object: "x." would be no path. */
                intent_error(p, "a category name must not be empty");
                continue;
            }

            size_t klen = intent_path_push_key(p, item->string);
            if (!cJSON_IsString(item)) {
                intent_error(p, "expected a string, got %s",
                             intent_json_type(item));
            } else if (smap_get(smap, item->string)) {
                intent_error(p, "duplicate category \"%s\"", item->string);
            } else {
                smap_add(smap, item->string, item->valuestring);
            }
            intent_path_pop(p, klen);
        }
    }
}

/* Parses VM 'json', number 'i', into the model's VM 'i'. */
void
intent_parse_vm(struct intent_parser *p, const cJSON *json, size_t i)
{
    struct intent *intent = p->intent;
    struct intent_vm *vm = &intent->vms[i];

    if (!intent_check_object(p, json, vm_keys, ARRAY_SIZE(vm_keys))) {
        return;
    }

    const char *name = intent_get_string(p, json, "name", true);
    if (name) {
        vm->name = name;
        const struct intent_vm *other
            = shash_find_data(&intent->vms_by_name, name);
        if (other) {
            intent_error_at(p, "name", "duplicate VM name \"%s\" (first at "
                            "vms[%"PRIuSIZE"])", name, other->index);
        } else {
            shash_add(&intent->vms_by_name, name, vm);
        }
    }

    const char *host = intent_get_string(p, json, "host", true);
    if (host) {
        vm->host = intent_find_host(intent, host);
        if (!vm->host) {
            intent_error_at(p, "host", "unknown host \"%s\"", host);
        }
    }

    const char *to = intent_get_string(p, json, "migrating_to", false);
    if (to) {
        vm->migrating_to = intent_find_host(intent, to);
        if (!vm->migrating_to) {
            intent_error_at(p, "migrating_to", "unknown host \"%s\"", to);
        } else if (vm->migrating_to == vm->host) {
            intent_error_at(p, "migrating_to", "the VM already runs on host "
                            "\"%s\"", to);
            vm->migrating_to = NULL;
        }
    }

    const cJSON *categories = intent_get_member(p, json, "categories",
                                                false);
    if (categories) {
        size_t len = intent_path_push_key(p, "categories");
        intent_parse_categories(p, categories, &intent->categories[i]);
        intent_path_pop(p, len);
    }

    const cJSON *nics = intent_get_array(p, json, "nics", true);
    if (!nics) {
        return;
    }

    size_t len = intent_path_push_key(p, "nics");
    size_t n = cJSON_GetArraySize(nics);
    struct intent_nic *array = xcalloc(n ? n : 1, sizeof *array);
    vm->nics = array;
    vm->n_nics = n;
    intent->n_nics += n;

    const cJSON *item;
    size_t j = 0;
    cJSON_ArrayForEach (item, nics) {
        size_t ilen = intent_path_push_index(p, j);
        parse_nic(p, &array[j], vm, item, j);
        j++;
        intent_path_pop(p, ilen);
    }
    intent_path_pop(p, len);
}
