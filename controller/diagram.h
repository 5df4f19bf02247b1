/*
 * Diagrams: the intent drawn as a Graphviz DOT graph, optionally with the
 * live state of the switches.
 *
 * diagram_format() is pure: it reads a model (and a snapshot of live
 * state), appends text, and does no I/O.  The same input gives
 * byte-identical output: everything is drawn in the model's file order and
 * node names are derived from positions, not from user-chosen names.
 * Names from the intent appear only inside quoted labels, escaped.
 *
 * What is drawn: one cluster per host holding its bridges, each bridge's
 * uplink bond (name, mode) with its members, its host adapters (role,
 * port, network, MAC, IP), and the VMs of the host with one node per NIC
 * (port, MAC, IP, network); the networks (name, VLAN ID, subnet) outside
 * the clusters, joined to the uplinks that carry them; a legend.
 *
 * Live state is a struct diagram_live, filled by the caller (the daemon
 * fills it from the switch manager): which bridges are connected and in
 * sync, and which ports each connected bridge has, up or down.  Without it
 * everything is drawn neutral.
 */
#ifndef CONTROLLER_DIAGRAM_H
#define CONTROLLER_DIAGRAM_H 1

#include <stdbool.h>
#include <stdint.h>

struct ds;
struct intent;
struct diagram_live;

/* Live state, by datapath ID. */
struct diagram_live *diagram_live_create(void);
void diagram_live_destroy(struct diagram_live *);

/* Records that the switch with 'dpid' is connected (handshake done), in
 * sync with its desired flows if 'in_sync'. */
void diagram_live_add_switch(struct diagram_live *, uint64_t dpid,
                             bool in_sync);
/* Records that connected switch 'dpid' has a port named 'port', with its
 * link up if 'up'.  Adds the switch (not in sync) if not yet recorded. */
void diagram_live_add_port(struct diagram_live *, uint64_t dpid,
                           const char *port, bool up);
/* Records that connected switch 'dpid' has an LACP uplink, in fallback
 * (no member has a partner) if 'fallback'. */
void diagram_live_set_lacp(struct diagram_live *, uint64_t dpid,
                           bool fallback);
/* Records the LACP state of uplink member 'member' of switch 'dpid': 'rx'
 * its receive state ("current", "expired", ...), 'distributing' whether
 * the bond forwards over it.  A member whose link is up but that does not
 * distribute (outside fallback) is drawn orange. */
void diagram_live_add_lacp_member(struct diagram_live *, uint64_t dpid,
                                  const char *member, const char *rx,
                                  bool distributing);

/* Appends to 'out' the DOT graph of 'intent': only host 'host' (and the
 * networks and VMs it uses) if nonnull, with the live state 'live' if
 * nonnull.  Returns false, with an error message in 'out' instead, if
 * 'host' is not in the intent. */
bool diagram_format(const struct intent *intent, const char *host,
                    const struct diagram_live *live, struct ds *out);

/* Appends 's' to 'out' escaped for a DOT double-quoted string used as a
 * label: quotes and backslashes escaped, '&' as an entity, control
 * characters and invalid UTF-8 as '?'. */
void diagram_escape(const char *s, struct ds *out);

#endif /* controller/diagram.h */
