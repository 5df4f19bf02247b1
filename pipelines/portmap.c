/*
 * A port map: the ports of one switch by name, with OpenFlow number and
 * liveness.  See portmap.h.
 */
#include <config.h>

#include "pipelines/portmap.h"

#include <stdlib.h>
#include <string.h>
#include "flow.h"
#include "hash.h"
#include "models/intent.h"
#include "util.h"

/* Initializes 'pm' as an empty port map. */
void
portmap_init(struct portmap *pm)
{
    hmap_init(&pm->ports);
}

/* Frees every port of 'pm' and 'pm''s own storage.  'pm' may be NULL. */
void
portmap_destroy(struct portmap *pm)
{
    if (!pm) {
        return;
    }

    struct portmap_port *p;
    HMAP_FOR_EACH_POP (p, node, &pm->ports) {
        free(p->name);
        free(p);
    }
    hmap_destroy(&pm->ports);
}

/* Initializes 'dst' as a copy of 'src'. */
void
portmap_clone(struct portmap *dst, const struct portmap *src)
{
    portmap_init(dst);

    const struct portmap_port *p;
    HMAP_FOR_EACH (p, node, &src->ports) {
        portmap_set(dst, p->name, p->ofp_port, p->live);
        portmap_set_lacp(dst, p->name, p->lacp_partner, p->lacp_collecting,
                         p->lacp_distributing);
    }
}

/* Returns the port named 'name' in 'pm' (mutable), or NULL. */
static struct portmap_port *
portmap_find__(const struct portmap *pm, const char *name)
{
    struct portmap_port *p;
    HMAP_FOR_EACH_WITH_HASH (p, node, hash_string(name, 0), &pm->ports) {
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

/* Adds the port 'name' with number 'ofp_port' and link state 'live' to
 * 'pm', or updates it if 'pm' already has a port with that name. */
void
portmap_set(struct portmap *pm, const char *name, ofp_port_t ofp_port,
            bool live)
{
    struct portmap_port *p = portmap_find__(pm, name);
    if (!p) {
        p = xzalloc(sizeof *p);
        p->name = xstrdup(name);
        hmap_insert(&pm->ports, &p->node, hash_string(name, 0));
    }
    p->ofp_port = ofp_port;
    p->live = live;
}

/* Sets the LACP state of the port 'name' in 'pm': whether an LACP partner
 * is current on it, and whether it is collecting and distributing.  Does
 * nothing if 'pm' has no such port. */
void
portmap_set_lacp(struct portmap *pm, const char *name, bool partner,
                 bool collecting, bool distributing)
{
    struct portmap_port *p = portmap_find__(pm, name);
    if (p) {
        p->lacp_partner = partner;
        p->lacp_collecting = collecting;
        p->lacp_distributing = distributing;
    }
}

/* Removes the port 'name' from 'pm', if it is there. */
void
portmap_remove(struct portmap *pm, const char *name)
{
    struct portmap_port *p = portmap_find__(pm, name);
    if (p) {
        hmap_remove(&pm->ports, &p->node);
        free(p->name);
        free(p);
    }
}

/* Returns the port named 'name' in 'pm', or NULL if there is none. */
const struct portmap_port *
portmap_find(const struct portmap *pm, const char *name)
{
    return portmap_find__(pm, name);
}

/* Returns the port of 'pm' whose OpenFlow number is 'ofp_port', or NULL.
 * This is a linear scan: port maps are small and this is not on a hot
 * path. */
const struct portmap_port *
portmap_find_by_number(const struct portmap *pm, ofp_port_t ofp_port)
{
    const struct portmap_port *p;
    HMAP_FOR_EACH (p, node, &pm->ports) {
        if (p->ofp_port == ofp_port) {
            return p;
        }
    }
    return NULL;
}

/* Returns the number of ports in 'pm'. */
size_t
portmap_count(const struct portmap *pm)
{
    return hmap_count(&pm->ports);
}

/* Returns true if 'a' and 'b' hold the same ports with the same numbers,
 * link states and LACP states. */
bool
portmap_equal(const struct portmap *a, const struct portmap *b)
{
    if (portmap_count(a) != portmap_count(b)) {
        return false;
    }

    const struct portmap_port *pa;
    HMAP_FOR_EACH (pa, node, &a->ports) {
        const struct portmap_port *pb = portmap_find(b, pa->name);
        if (!pb || pb->ofp_port != pa->ofp_port || pb->live != pa->live
            || pb->lacp_partner != pa->lacp_partner
            || pb->lacp_collecting != pa->lacp_collecting
            || pb->lacp_distributing != pa->lacp_distributing) {
            return false;
        }
    }
    return true;
}

void
portmap_assume(struct portmap *pm, const struct intent_bridge *br)
{
    uint16_t n = 0;
    portmap_init(pm);
    for (size_t i = 0; i < br->uplink.n_members; i++) {
        portmap_set(pm, br->uplink.members[i], u16_to_ofp(++n), true);
    }
    for (size_t i = 0; i < br->n_adapters; i++) {
        portmap_set(pm, br->adapters[i].port, u16_to_ofp(++n), true);
    }
    for (size_t i = 0; i < br->n_nics; i++) {
        portmap_set(pm, br->nics[i]->port, u16_to_ofp(++n), true);
    }
}
