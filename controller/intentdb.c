/* The intent in the flowchain OVSDB database: rebuild it from the rows,
 * write a file's intent as one transaction.  See intentdb.h. */
#include <config.h>
#include "controller/intentdb.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/util.h"
#include "ovsdb-idl.h"
#include "ovsdb/flowchain-idl.h"
#include "timeval.h"

/* The four arrays of an intent, each kept in one table. */
enum intentdb_kind { IDB_NETWORK, IDB_HOST, IDB_VM, IDB_POLICY, IDB_N_KINDS };
static const char *const intentdb_keys[IDB_N_KINDS] = {
    "networks", "hosts", "vms", "policies",
};

/* Creates an IDL on 'remote' (one or more comma-separated OVSDB remotes)
 * that replicates every table of the flowchain schema.  The caller runs it
 * with ovsdb_idl_run() and destroys it with ovsdb_idl_destroy(). */
struct ovsdb_idl *
intentdb_idl_create(const char *remote)
{
    struct ovsdb_idl *idl = ovsdb_idl_create(remote, &fcrec_idl_class,
                                             true, true);
    ovsdb_idl_set_leader_only(idl, true);
    return idl;
}

/* Appends to 'names' and 'bodies' the (name, body) pairs of table 'kind' in
 * 'idl'. */
static void
intentdb_collect(const struct ovsdb_idl *idl_, enum intentdb_kind kind,
                 struct shash *rows)
{
    struct ovsdb_idl *idl = CONST_CAST(struct ovsdb_idl *, idl_);
    switch (kind) {
    case IDB_NETWORK: {
        const struct fcrec_network *r;
        FCREC_NETWORK_FOR_EACH (r, idl) {
            shash_replace(rows, r->name, r->body);
        }
        break;
    }
    case IDB_HOST: {
        const struct fcrec_host *r;
        FCREC_HOST_FOR_EACH (r, idl) {
            shash_replace(rows, r->name, r->body);
        }
        break;
    }
    case IDB_VM: {
        const struct fcrec_vm *r;
        FCREC_VM_FOR_EACH (r, idl) {
            shash_replace(rows, r->name, r->body);
        }
        break;
    }
    case IDB_POLICY: {
        const struct fcrec_policy *r;
        FCREC_POLICY_FOR_EACH (r, idl) {
            shash_replace(rows, r->name, r->body);
        }
        break;
    }
    case IDB_N_KINDS:
    default:
        OVS_NOT_REACHED();
    }
}

/* Returns true if 'idl' holds an intent (its Global row exists). */
bool
intentdb_has_intent(const struct ovsdb_idl *idl)
{
    return fcrec_global_first(idl) != NULL;
}

/* Rebuilds the intent JSON text (to free) from the rows in 'idl': the
 * Global row's version, then each array with its rows' bodies sorted by
 * name.  A body that is not JSON is kept as a string, so the validator
 * reports it at its path.  Stores the Global row's generation in
 * '*generationp' (0 if there is no Global row, in which case the text is
 * an empty intent that the validator refuses). */
char *
intentdb_to_json(const struct ovsdb_idl *idl, int64_t *generationp)
{
    const struct fcrec_global *g = fcrec_global_first(idl);
    *generationp = g ? g->generation : 0;

    cJSON *root = cJSON_CreateObject();
    if (g) {
        cJSON_AddNumberToObject(root, "version", (double) g->version);
    }
    for (int k = 0; k < IDB_N_KINDS; k++) {
        struct shash rows = SHASH_INITIALIZER(&rows);
        intentdb_collect(idl, k, &rows);
        if (shash_is_empty(&rows)) {
            shash_destroy(&rows);
            continue;
        }
        cJSON *array = cJSON_AddArrayToObject(root, intentdb_keys[k]);
        const struct shash_node **sorted = shash_sort(&rows);
        for (size_t i = 0; i < shash_count(&rows); i++) {
            const char *body = sorted[i]->data;
            cJSON *obj = cJSON_Parse(body);
            cJSON_AddItemToArray(array, obj ? obj : cJSON_CreateString(body));
        }
        free(sorted);
        shash_destroy(&rows);
    }
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    char *text = xstrdup(s);
    cJSON_free(s);
    return text;
}

/* Fills 'want' with name -> body (to free) for array 'key' of 'root'. */
static void
intentdb_wanted(const cJSON *root, const char *key, struct shash *want)
{
    const cJSON *array = cJSON_GetObjectItemCaseSensitive(root, key);
    const cJSON *obj;
    cJSON_ArrayForEach (obj, array) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "name");
        if (!cJSON_IsString(name)) {
            continue;           /* intent_parse() has refused it already. */
        }
        char *s = cJSON_PrintUnformatted(obj);
        free(shash_replace(want, name->valuestring, xstrdup(s)));
        cJSON_free(s);
    }
}

/* Adds to 'txn' the changes that make table 'kind' hold exactly 'want'
 * (name -> body; emptied).  Returns the number of rows touched. */
static size_t
intentdb_sync_table(struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn,
                    enum intentdb_kind kind, struct shash *want)
{
    size_t n = 0;
#define INTENTDB_SYNC(TYPE, MACRO)                                          \
    do {                                                                    \
        const struct fcrec_##TYPE *r;                                       \
        MACRO##_FOR_EACH_SAFE (r, idl) {                                    \
            char *body = shash_find_and_delete(want, r->name);              \
            if (!body) {                                                    \
                fcrec_##TYPE##_delete(r);                                   \
                n++;                                                        \
            } else if (strcmp(body, r->body)) {                             \
                fcrec_##TYPE##_set_body(r, body);                           \
                n++;                                                        \
            }                                                               \
            free(body);                                                     \
        }                                                                   \
        struct shash_node *node;                                            \
        SHASH_FOR_EACH (node, want) {                                       \
            const struct fcrec_##TYPE *nr = fcrec_##TYPE##_insert(txn);     \
            fcrec_##TYPE##_set_name(nr, node->name);                        \
            fcrec_##TYPE##_set_body(nr, node->data);                        \
            n++;                                                            \
        }                                                                   \
    } while (0)
    switch (kind) {
    case IDB_NETWORK:
        INTENTDB_SYNC(network, FCREC_NETWORK);
        break;
    case IDB_HOST:
        INTENTDB_SYNC(host, FCREC_HOST);
        break;
    case IDB_VM:
        INTENTDB_SYNC(vm, FCREC_VM);
        break;
    case IDB_POLICY:
        INTENTDB_SYNC(policy, FCREC_POLICY);
        break;
    case IDB_N_KINDS:
    default:
        OVS_NOT_REACHED();
    }
#undef INTENTDB_SYNC
    shash_destroy_free_data(want);
    return n;
}

/* Builds in 'txn' the changes that make the database hold intent 'root'.
 * Returns the number of rows touched (0: the database holds it already). */
static size_t
intentdb_build_txn(struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn,
                   const cJSON *root)
{
    size_t n = 0;
    for (int k = 0; k < IDB_N_KINDS; k++) {
        struct shash want = SHASH_INITIALIZER(&want);
        intentdb_wanted(root, intentdb_keys[k], &want);
        n += intentdb_sync_table(idl, txn, k, &want);
    }
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    int64_t v = cJSON_IsNumber(version) ? (int64_t) version->valuedouble : 1;
    const struct fcrec_global *g = fcrec_global_first(idl);
    if (!g) {
        g = fcrec_global_insert(txn);
        fcrec_global_set_version(g, v);
        fcrec_global_set_generation(g, 1);
        fcrec_global_set_role_generation(g, 0);
        n++;
    } else {
        if (g->version != v) {
            fcrec_global_set_version(g, v);
            n++;
        }
        if (n) {
            /* Readers see one generation per write. */
            fcrec_global_verify_generation(g);
            fcrec_global_set_generation(g, g->generation + 1);
        }
    }
    return n;
}

/* Writes the intent 'text' (already valid: see intent_parse()) into the
 * database at 'remote' in one transaction that touches only the rows that
 * differ, waiting at most 'timeout_ms'.  Returns NULL on success, setting
 * '*changedp' (false if the database held this intent already) and
 * '*generationp' (the Global row's generation afterwards); otherwise an
 * error message (to free), and nothing is changed. */
char *
intentdb_write(const char *remote, const char *text, int timeout_ms,
               bool *changedp, int64_t *generationp)
{
    *changedp = false;
    *generationp = 0;
    cJSON *root = cJSON_Parse(text);
    if (!root) {
        return xstrdup("not JSON");
    }
    struct ovsdb_idl *idl = intentdb_idl_create(remote);
    long long int deadline = time_msec() + timeout_ms;
    char *error = NULL;
    struct ovsdb_idl_txn *txn = NULL;

    for (;;) {
        ovsdb_idl_run(idl);
        if (!ovsdb_idl_is_alive(idl)) {
            error = xstrdup(ovsdb_idl_get_last_error(idl)
                            ? "the database refused the connection"
                            : "the database connection failed");
            break;
        }
        if (!txn && ovsdb_idl_has_ever_connected(idl)
            && ovsdb_idl_is_connected(idl)
            && !ovsdb_idl_is_lock_contended(idl)) {
            txn = ovsdb_idl_txn_create(idl);
            ovsdb_idl_txn_add_comment(txn, "flowchainctl apply");
            size_t n = intentdb_build_txn(idl, txn, root);
            if (!n) {
                const struct fcrec_global *g = fcrec_global_first(idl);
                *generationp = g ? g->generation : 0;
                break;
            }
        }
        if (txn) {
            enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(txn);
            if (status == TXN_SUCCESS) {
                *changedp = true;
                const struct fcrec_global *g = fcrec_global_first(idl);
                /* The IDL shows our write once the server echoes it; the
                 * generation we wrote is the one we read plus one. */
                *generationp = g ? g->generation : 0;
                break;
            } else if (status == TXN_TRY_AGAIN) {
                ovsdb_idl_txn_destroy(txn);
                txn = NULL;     /* Someone else wrote: rebuild. */
            } else if (status != TXN_INCOMPLETE) {
                error = xasprintf("transaction failed: %s%s%s",
                                  ovsdb_idl_txn_status_to_string(status),
                                  ovsdb_idl_txn_get_error(txn) ? ": " : "",
                                  ovsdb_idl_txn_get_error(txn)
                                  ? ovsdb_idl_txn_get_error(txn) : "");
                break;
            }
        }
        if (time_msec() >= deadline) {
            error = xasprintf("no answer from the database within %d ms "
                              "(unreachable, or a cluster without a "
                              "quorum); nothing changed", timeout_ms);
            break;
        }
        ovsdb_idl_wait(idl);
        if (txn) {
            ovsdb_idl_txn_wait(txn);
        }
        poll_timer_wait_until(deadline);
        poll_block();
    }
    if (txn) {
        ovsdb_idl_txn_destroy(txn);
    }
    ovsdb_idl_destroy(idl);
    cJSON_Delete(root);
    return error;
}
