/*
 * Limits that the intent must respect so that every bridge can be
 * programmed: a network's flood group has one bucket per local port of
 * that network on the bridge, and one OpenFlow message (64 KiB) carries the
 * whole group, so a bridge may have at most INTENT_MAX_PORTS_PER_NETWORK
 * local ports (VM NICs and host adapters) on one network.
 */
#include <config.h>

#include "models/intent-private.h"

#include "util.h"

/* Counts, for each bridge of 'intent', its local ports on each network
 * (a NIC counts on its access or native network and on each network it
 * carries tagged; an adapter on its network) and reports each bridge and
 * network over INTENT_MAX_PORTS_PER_NETWORK. */
void
intent_check_port_limits(struct intent_parser *p, struct intent *intent)
{
    size_t n_nets = intent->n_networks;
    size_t *count = xcalloc(MAX(n_nets, 1), sizeof *count);
    for (size_t h = 0; h < intent->n_hosts; h++) {
        const struct intent_host *host = &intent->hosts[h].up;
        for (size_t b = 0; b < host->n_bridges; b++) {
            const struct intent_bridge *br = &host->bridges[b];
            memset(count, 0, MAX(n_nets, 1) * sizeof *count);
            for (size_t i = 0; i < br->n_nics; i++) {
                const struct intent_nic *nic = br->nics[i];
                if (nic->network && nic->network->index < n_nets) {
                    count[nic->network->index]++;
                }
                for (size_t j = 0; j < nic->n_trunk_networks; j++) {
                    const struct intent_network *net
                        = nic->trunk_networks[j];
                    if (net && net != nic->network && net->index < n_nets) {
                        count[net->index]++;
                    }
                }
            }
            for (size_t i = 0; i < br->n_adapters; i++) {
                const struct intent_network *net = br->adapters[i].network;
                if (net && net->index < n_nets) {
                    count[net->index]++;
                }
            }
            for (size_t n = 0; n < n_nets; n++) {
                if (count[n] > INTENT_MAX_PORTS_PER_NETWORK) {
                    size_t l1 = intent_path_push_key(p, "hosts");
                    size_t l2 = intent_path_push_index(p, h);
                    size_t l3 = intent_path_push_key(p, "bridges");
                    size_t l4 = intent_path_push_index(p, b);
                    intent_error(p, "%"PRIuSIZE" local ports (VM NICs and "
                                 "adapters) on network \"%s\"; at most %d "
                                 "fit in its flood group (one OpenFlow "
                                 "message of at most 64 KiB)", count[n],
                                 intent->networks[n].name,
                                 INTENT_MAX_PORTS_PER_NETWORK);
                    intent_path_pop(p, l4);
                    intent_path_pop(p, l3);
                    intent_path_pop(p, l2);
                    intent_path_pop(p, l1);
                }
            }
        }
    }
    free(count);
}
