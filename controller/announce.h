/* Announcing a VM where it now is: after a live migration, the physical
 * network still sends its traffic to the host it left until it hears from
 * it on the new one.  Hypervisors send a gratuitous ARP for the VM at
 * cutover; flowchain does the same for a VM NIC that becomes active on a
 * bridge (its port appeared there, or the intent moved it there, and the
 * bridge is in sync).  See docs/operations.md, "Live migration". */
#ifndef CONTROLLER_ANNOUNCE_H
#define CONTROLLER_ANNOUNCE_H 1

#include <stdbool.h>
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/types.h"

struct intent_bridge;
struct ofpbuf;
struct ofsession;
struct sset;

/* Returns a PACKET_OUT, for OpenFlow 'version', that injects into the
 * pipeline (output:TABLE) a gratuitous ARP request for 'nic' as if 'nic'
 * had sent it from its port 'in_port': it floods its network locally and
 * leaves through the uplink with the network's tag, like a frame of the
 * VM.  The caller frees the result. */
struct intent_nic;
struct ofpbuf *announce_garp(const struct intent_nic *nic, ofp_port_t in_port,
                             enum ofp_version version);

/* Fills 'active' (initialized by the caller) with the port names of the
 * VM NICs of 'br' that have an IPv4 address, whose port is on the switch
 * of session 's' and live, and for which 'placed'(nic, br, aux) says the
 * VM now runs on that bridge's host (the caller knows the other switches:
 * a VM "migrating_to" this host has cut over once its port left the
 * source). */
void announce_active_nics(const struct intent_bridge *br,
                          const struct ofsession *s,
                          bool (*placed)(const struct intent_nic *,
                                         const struct intent_bridge *,
                                         void *aux),
                          void *aux, struct sset *active);

#endif /* controller/announce.h */
