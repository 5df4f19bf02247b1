/*
 * Flow cookies and group IDs: stable names for what the pipeline
 * produces.  The layout is in pipeline.h and docs/pipeline.md.
 */
#include <config.h>

#include "pipelines/pipeline.h"

#include <string.h>
#include "models/intent.h"

#define FNV1A64_OFFSET 0xcbf29ce484222325ULL
#define FNV1A64_PRIME 0x100000001b3ULL
#define COOKIE_HASH_BITS 40
#define COOKIE_HASH_SHIFT 8
#define COOKIE_KIND_SHIFT 48

/* Returns the 40-bit name hash of 'name': the low 40 bits of the 64-bit
 * FNV-1a hash of its bytes (no terminator).  Stable across runs, hosts and
 * versions, unlike a file position. */
uint64_t
pipeline_cookie_name_hash(const char *name)
{
    uint64_t hash = FNV1A64_OFFSET;
    for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
        hash ^= *p;
        hash *= FNV1A64_PRIME;
    }
    return hash & ((UINT64_C(1) << COOKIE_HASH_BITS) - 1);
}

/* Returns the cookie of the object of 'kind' named 'name', with 'index'
 * (the NIC index within a VM; 0 otherwise) in the low 8 bits. */
uint64_t
pipeline_cookie_make(enum pipeline_cookie_kind kind, const char *name,
                     unsigned int index)
{
    return (PIPELINE_COOKIE_MARKER
            | ((uint64_t) (kind & 0xff) << COOKIE_KIND_SHIFT)
            | (pipeline_cookie_name_hash(name) << COOKIE_HASH_SHIFT)
            | (index & 0xff));
}

/* Returns the cookie of 'vm''s first NIC, which with
 * PIPELINE_COOKIE_OBJECT_MASK selects the flows of all of 'vm''s NICs. */
uint64_t
pipeline_cookie_vm(const struct intent_vm *vm)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_NIC, vm->name, 0);
}

/* Returns the cookie of the flows produced by 'nic'. */
uint64_t
pipeline_cookie_nic(const struct intent_nic *nic)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_NIC, nic->vm->name,
                                nic->index);
}

/* Returns the cookie of the flows produced by network 'net'. */
uint64_t
pipeline_cookie_network(const struct intent_network *net)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_NETWORK, net->name, 0);
}

/* Returns the cookie of the flows produced by host adapter 'a'. */
uint64_t
pipeline_cookie_adapter(const struct intent_adapter *a)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_ADAPTER, a->name, 0);
}

/* Returns the cookie of the flows produced by 'br''s uplink bond. */
uint64_t
pipeline_cookie_uplink(const struct intent_bridge *br)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_UPLINK, br->uplink.name, 0);
}

/* Returns the cookie of 'br''s bridge-wide flows. */
uint64_t
pipeline_cookie_bridge(const struct intent_bridge *br)
{
    return pipeline_cookie_make(PIPELINE_COOKIE_BRIDGE, br->name, 0);
}

/* Returns true if 'cookie' (host byte order) carries flowchain's marker. */
bool
pipeline_cookie_is_ours(uint64_t cookie)
{
    return (cookie & PIPELINE_COOKIE_MARKER_MASK) == PIPELINE_COOKIE_MARKER;
}

/* Returns the ID of the group flooding VLAN 'vlan' from a local port (to
 * the local members and the uplink). */
uint32_t
pipeline_group_flood_local(uint16_t vlan)
{
    return PIPELINE_GROUP_FLOOD_LOCAL_BASE | (vlan & 0xfff);
}

/* Returns the ID of the group flooding VLAN 'vlan' from the uplink (to the
 * local members only). */
uint32_t
pipeline_group_flood_uplink(uint16_t vlan)
{
    return PIPELINE_GROUP_FLOOD_UPLINK_BASE | (vlan & 0xfff);
}
