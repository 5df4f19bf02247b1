/*
 * libFuzzer harness for the intent loader (models/intent.c).
 *
 * The input is taken as the text of an intent file and given to
 * intent_parse().  A model that loads is walked through its public API
 * (summary, lookups by every key, warnings), so that a model that claims to
 * be valid but holds dangling cross references trips AddressSanitizer.  A
 * refused input must come with at least one error line, and a loaded one
 * with none.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "svec.h"
#include "util.h"

const char fuzz_name[] = "fuzz-intent";

/* Walks every object of the valid model 'intent' through the lookups and
 * checks that each finds what it was found from. */
static void
walk(const struct intent *intent)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    intent_format_summary(intent, &s);
    ds_destroy(&s);

    for (size_t i = 0; i < intent_n_networks(intent); i++) {
        const struct intent_network *n = intent_network_at(intent, i);
        if (intent_find_network(intent, n->name) != n) {
            abort();
        }
    }
    for (size_t i = 0; i < intent_n_hosts(intent); i++) {
        const struct intent_host *h = intent_host_at(intent, i);
        if (intent_find_host(intent, h->name) != h) {
            abort();
        }
        for (size_t j = 0; j < h->n_bridges; j++) {
            const struct intent_bridge *b = &h->bridges[j];
            if (intent_host_find_bridge(h, b->name) != b
                || b->host != h
                || intent_find_bridge_by_dpid(intent, b->datapath_id) != b) {
                abort();
            }
            for (size_t k = 0; k < b->uplink.n_members; k++) {
                (void) strlen(b->uplink.members[k]);
            }
            for (size_t k = 0; k < b->n_networks; k++) {
                (void) strlen(b->networks[k]->name);
            }
            for (size_t k = 0; k < b->n_adapters; k++) {
                const struct intent_adapter *a = &b->adapters[k];
                if (a->bridge != b) {
                    abort();
                }
                (void) strlen(a->network->name);
                (void) intent_adapter_role_to_string(a->role);
            }
            for (size_t k = 0; k < b->n_nics; k++) {
                /* A bridge lists its own NICs and those of VMs migrating
                 * to its host. */
                const struct intent_nic *nic = b->nics[k];
                if (nic->bridge != b && nic->migration_bridge != b) {
                    abort();
                }
            }
            (void) intent_bond_mode_to_string(b->uplink.mode);
        }
    }
    for (size_t i = 0; i < intent_n_vms(intent); i++) {
        const struct intent_vm *vm = intent_vm_at(intent, i);
        if (intent_find_vm(intent, vm->name) != vm) {
            abort();
        }
        for (size_t j = 0; j < vm->n_nics; j++) {
            const struct intent_nic *nic = &vm->nics[j];
            if (nic->vm != vm) {
                abort();
            }
            (void) strlen(nic->network->name);
            (void) strlen(nic->bridge->name);
            if (nic->bridge->host != vm->host) {
                abort();
            }
            if ((nic->migration_bridge != NULL) != (vm->migrating_to != NULL)
                || (nic->migration_bridge
                    && (nic->migration_bridge->host != vm->migrating_to
                        || vm->migrating_to == vm->host))) {
                abort();
            }
            for (size_t k = 0; k < nic->n_trunk_networks; k++) {
                (void) strlen(nic->trunk_networks[k]->name);
            }
            (void) intent_nic_mode_to_string(nic->mode);
        }
    }
    /* Policies and warnings (declared in models/intent.h, not yet
     * implemented) are left for when the model loads them. */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmemdup0((const char *) data, size);
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(text, &errors);

    if (intent) {
        if (errors.n) {
            abort();            /* A model and errors at once. */
        }
        walk(intent);
        intent_destroy(intent);
    } else if (!errors.n) {
        abort();                /* Refused without saying why. */
    }
    for (size_t i = 0; i < errors.n; i++) {
        if (!errors.names[i][0]) {
            abort();            /* An empty error line. */
        }
    }
    svec_destroy(&errors);
    free(text);
    return 0;
}
