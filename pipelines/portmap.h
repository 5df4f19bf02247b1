/*
 * A port map: the ports a switch reported (port description and
 * PORT_STATUS), by name, with their OpenFlow numbers and link state.  The
 * pipeline binds intent ports to OpenFlow ports through it; a port of the
 * intent that is absent from the map compiles to no flows.
 */
#ifndef PIPELINES_PORTMAP_H
#define PIPELINES_PORTMAP_H 1

#include <stdbool.h>
#include <stddef.h>
#include "openvswitch/hmap.h"
#include "openvswitch/types.h"

struct intent_bridge;

struct portmap_port {
    struct hmap_node node;      /* In portmap 'ports', by name hash. */
    char *name;
    ofp_port_t ofp_port;
    bool live;                  /* Link up and port not administratively
                                 * down. */

    /* LACP bond members only, from the controller's LACP state machines
     * (portmap_set_lacp()); false otherwise. */
    bool lacp_partner;          /* An LACP partner is current on it. */
    bool lacp_collecting;       /* Frames from it may be accepted. */
    bool lacp_distributing;     /* Frames may be sent to it. */
};

struct portmap {
    struct hmap ports;
};

void portmap_init(struct portmap *);
void portmap_destroy(struct portmap *);
void portmap_clone(struct portmap *dst, const struct portmap *src);
/* Adds or updates the port 'name'. */
void portmap_set(struct portmap *, const char *name, ofp_port_t, bool live);
/* Sets the LACP state of the port 'name', if 'pm' has it. */
void portmap_set_lacp(struct portmap *, const char *name, bool partner,
                      bool collecting, bool distributing);
void portmap_remove(struct portmap *, const char *name);

/* Initializes 'pm' with the ports 'br' names, numbered 1, 2, ... in intent
 * order (uplink members, adapters, VM NICs), all live: the port map of a
 * switch that has every port, for a bridge whose switch is not connected
 * (and for benchmarks). */
void portmap_assume(struct portmap *pm, const struct intent_bridge *br);
const struct portmap_port *portmap_find(const struct portmap *,
                                        const char *name);
const struct portmap_port *portmap_find_by_number(const struct portmap *,
                                                  ofp_port_t);
size_t portmap_count(const struct portmap *);
bool portmap_equal(const struct portmap *, const struct portmap *);

#endif /* pipelines/portmap.h */
