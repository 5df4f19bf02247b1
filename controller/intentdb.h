/* The intent in the flowchain OVSDB database (ovsdb/flowchain.ovsschema,
 * docs/ha.md).
 *
 * One row per intent object: a Network, Host, VM or Policy row holds the
 * object's "name" and its JSON body; the Global row holds the intent's
 * "version" and a "generation" counter that every write increments.  The
 * intent is rebuilt from the rows (each array sorted by name) and goes
 * through intent_parse(), like a file, so the database never bypasses the
 * validator.
 *
 * The IDL is OVS's own (ovsdb_idl), with the class generated from the
 * schema by ovsdb-idlc; a remote may be a comma-separated list of the
 * members of a cluster, and the IDL talks only to the leader. */
#ifndef INTENTDB_H
#define INTENTDB_H 1

#include <stdbool.h>
#include <stdint.h>

struct ovsdb_idl;

struct ovsdb_idl *intentdb_idl_create(const char *remote);
char *intentdb_to_json(const struct ovsdb_idl *, int64_t *generationp);
bool intentdb_has_intent(const struct ovsdb_idl *);
char *intentdb_write(const char *remote, const char *text, int timeout_ms,
                     bool *changedp, int64_t *generationp);

#endif /* intentdb.h */
