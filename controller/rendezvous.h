/*
 * Rendezvous (highest random weight) hashing of switches over controller
 * instances (docs/ha.md).
 *
 * Every instance computes, for each datapath ID, a score per live instance
 * name and picks the highest: all instances that see the same live set
 * agree on each switch's master without talking to each other, and when an
 * instance comes or goes only the switches it wins or held move.
 */
#ifndef CONTROLLER_RENDEZVOUS_H
#define CONTROLLER_RENDEZVOUS_H 1

#include <stddef.h>
#include <stdint.h>

struct sset;

/* Returns the member of 'instances' that 'dpid' is assigned to, or NULL if
 * 'instances' is empty.  The result points into 'instances'. */
const char *rendezvous_owner(uint64_t dpid, const struct sset *instances);

/* The score of 'instance' for 'dpid' (higher wins; ties go to the name
 * that sorts first). */
uint64_t rendezvous_score(uint64_t dpid, const char *instance);

#endif /* controller/rendezvous.h */
