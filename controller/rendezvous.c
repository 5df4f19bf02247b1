/*
 * Rendezvous hashing (see rendezvous.h).
 */
#include <config.h>
#include "controller/rendezvous.h"

#include <string.h>
#include "hash.h"
#include "sset.h"

/* The same 64-bit score on every instance and every build: a mix of the
 * name's two 32-bit hashes (OVS's hash functions do not depend on the
 * host) and the datapath ID, finished with a 64-bit avalanche. */
uint64_t
rendezvous_score(uint64_t dpid, const char *instance)
{
    uint32_t lo = hash_string(instance, (uint32_t) dpid);
    uint32_t hi = hash_string(instance, (uint32_t) (dpid >> 32) ^ lo);
    uint64_t x = ((uint64_t) hi << 32 | lo) ^ dpid;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

const char *
rendezvous_owner(uint64_t dpid, const struct sset *instances)
{
    const char *best = NULL;
    uint64_t best_score = 0;
    const char *name;
    SSET_FOR_EACH (name, instances) {
        uint64_t score = rendezvous_score(dpid, name);
        if (!best || score > best_score
            || (score == best_score && strcmp(name, best) < 0)) {
            best = name;
            best_score = score;
        }
    }
    return best;
}
