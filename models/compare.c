/*
 * intent_compare(): which objects differ between two valid models, for the
 * incremental compile (pipelines/delta.c).
 *
 * Each model keeps the JSON it was parsed from, so an object is compared
 * as JSON: a VM or a policy is "changed" if its member values differ (in
 * any order of members), "added" or "removed" if its name is in only one
 * model.  Everything else ("version", "networks", "hosts") is compared as
 * a whole; so is the order of the policies both models have, since a
 * port's policies are evaluated in file order.  A changed application
 * policy can then be compared rule by rule (intent_compare_policy_rules()).
 */
#include <config.h>

#include "models/intent-private.h"

#include <stdlib.h>
#include <string.h>
#include "bitmap.h"
#include "util.h"

/* ---------------------------------------------------------------------- */
/* Comparing by text.
 *
 * Comparing 10,000 VMs as cJSON trees means chasing every node of both;
 * comparing their text is a memcmp().  The syntax check that every parse
 * runs first records where the root members, and the elements of arrays
 * among them, are in the text (json-check.h); the model keeps the text.
 * Equal text is equal JSON; text that differs is compared as JSON after
 * all (it may differ only in spacing or member order), so the result is
 * the same either way. */

/* Returns the first root member 'key' of 'intent' as the text has it, or
 * NULL (also if the text names it otherwise, with an escape). */
static const struct json_member *
text_member(const struct intent *intent, const char *key)
{
    return json_outline_find(&intent->outline, key);
}

/* Returns the spans of the 'n' elements of root array 'key' of 'intent',
 * or NULL if the text does not show exactly 'n'. */
static const struct json_span *
text_elements(const struct intent *intent, const char *key, size_t n)
{
    const struct json_member *m = text_member(intent, key);
    return m && m->n_elems == n && n ? m->elems : NULL;
}

/* True if 'a' and 'b' have the same text. */
static bool
same_text(const struct json_span *a, const struct json_span *b)
{
    return a->len == b->len && !memcmp(a->start, b->start, a->len);
}

/* ---------------------------------------------------------------------- */

/* Fills 'items' (of 'n' entries) with the elements of array 'key' of
 * 'root', in order; fewer if the array is shorter. */
static void
collect_items(const cJSON *root, const char *key, const cJSON **items,
              size_t n)
{
    const cJSON *array = cJSON_GetObjectItemCaseSensitive(root, key);
    const cJSON *item;
    size_t i = 0;
    cJSON_ArrayForEach (item, array) {
        if (i >= n) {
            break;
        }
        items[i++] = item;
    }
}

/* True if member 'key' is the same JSON in 'a' and 'b' (both absent
 * counts as the same). */
static bool
same_member(const cJSON *a, const cJSON *b, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, key);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, key);
    return (!x && !y) || (x && y && cJSON_Compare(x, y, true));
}

/* Adds to 'changed' the name of every object of array 'key' ("vms" or
 * "policies", 'n_a' and 'n_b' of them) that is in only one of the models,
 * or in both with other JSON.  'name_at' gives a model's object name by
 * index, 'index_of' a name's index (SIZE_MAX if absent).  'spans_a' and
 * 'spans_b', if nonnull, are where the objects are in the models' texts:
 * objects with the same text are the same without a look at their
 * JSON. */
static void
compare_objects(const struct intent *a, const struct intent *b,
                const char *key, size_t n_a, size_t n_b,
                const char *(*name_at)(const struct intent *, size_t),
                size_t (*index_of)(const struct intent *, const char *),
                const struct json_span *spans_a,
                const struct json_span *spans_b,
                struct sset *changed)
{
    const cJSON **items_a = NULL, **items_b = NULL;

    for (size_t i = 0; i < n_b; i++) {
        const char *name = name_at(b, i);
        size_t j = index_of(a, name);
        if (j == SIZE_MAX) {
            sset_add(changed, name);
            continue;
        }
        if (spans_a && spans_b && same_text(&spans_a[j], &spans_b[i])) {
            continue;
        }
        if (!items_a) {
            items_a = xcalloc(n_a + 1, sizeof *items_a);
            items_b = xcalloc(n_b + 1, sizeof *items_b);
            collect_items(a->json, key, items_a, n_a);
            collect_items(b->json, key, items_b, n_b);
        }
        if (!items_a[j] || !items_b[i]
            || !cJSON_Compare(items_a[j], items_b[i], true)) {
            sset_add(changed, name);
        }
    }
    for (size_t j = 0; j < n_a; j++) {
        const char *name = name_at(a, j);
        if (index_of(b, name) == SIZE_MAX) {
            sset_add(changed, name);
        }
    }
    free(items_a);
    free(items_b);
}

/* Name lookups by index and index lookups by name (SIZE_MAX: none), for
 * compare_objects(). */
static const char *
vm_name_at(const struct intent *intent, size_t i)
{
    return intent->vms[i].name;
}

static size_t
vm_index_of(const struct intent *intent, const char *name)
{
    const struct intent_vm *vm = shash_find_data(&intent->vms_by_name, name);
    return vm ? vm->index : SIZE_MAX;
}

static const char *
policy_name_at(const struct intent *intent, size_t i)
{
    return intent->policies[i].name;
}

static size_t
policy_index_of(const struct intent *intent, const char *name)
{
    const struct intent_policy *p = shash_find_data(&intent->policies_by_name,
                                                    name);
    return p ? p->index : SIZE_MAX;
}

/* True if the policies that both 'a' and 'b' have come in the same order
 * in both. */
static bool
same_policy_order(const struct intent *a, const struct intent *b)
{
    size_t j = 0;
    for (size_t i = 0; i < b->n_policies; i++) {
        const char *name = b->policies[i].name;
        if (policy_index_of(a, name) == SIZE_MAX) {
            continue;
        }
        while (j < a->n_policies
               && policy_index_of(b, a->policies[j].name) == SIZE_MAX) {
            j++;
        }
        if (j >= a->n_policies || strcmp(a->policies[j].name, name)) {
            return false;
        }
        j++;
    }
    return true;
}

/* Compares the valid models 'a' (the running one) and 'b' (the next) and
 * fills 'change' (which this initializes) with what differs. */
void
intent_compare(const struct intent *a, const struct intent *b,
               struct intent_change *change)
{
    static const char *const root_keys[] = { "version", "networks", "hosts" };

    change->other = !same_policy_order(a, b);
    for (size_t i = 0; i < ARRAY_SIZE(root_keys) && !change->other; i++) {
        const struct json_member *x = text_member(a, root_keys[i]);
        const struct json_member *y = text_member(b, root_keys[i]);
        change->other = (!(x && y && same_text(&x->value, &y->value))
                         && !same_member(a->json, b->json, root_keys[i]));
    }
    sset_init(&change->vms);
    sset_init(&change->policies);
    if (change->other) {
        return;
    }
    compare_objects(a, b, "vms", a->n_vms, b->n_vms, vm_name_at,
                    vm_index_of, text_elements(a, "vms", a->n_vms),
                    text_elements(b, "vms", b->n_vms), &change->vms);
    compare_objects(a, b, "policies", a->n_policies, b->n_policies,
                    policy_name_at, policy_index_of,
                    text_elements(a, "policies", a->n_policies),
                    text_elements(b, "policies", b->n_policies),
                    &change->policies);
}

/* Frees what 'change' holds.  Accepts NULL. */
void
intent_change_destroy(struct intent_change *change)
{
    if (change) {
        sset_destroy(&change->vms);
        sset_destroy(&change->policies);
    }
}

/* Returns the JSON object that policy 'p' of 'intent' was parsed from. */
static const cJSON *
policy_json(const struct intent *intent, const struct intent_policy *p)
{
    const cJSON *array = cJSON_GetObjectItemCaseSensitive(intent->json,
                                                          "policies");
    return cJSON_GetArrayItem(array, p->index);
}

/* True if every member of 'a' other than those named in 'skip' (a
 * null-terminated list) is the same JSON in 'b', and the other way
 * round. */
static bool
same_members_but(const cJSON *a, const cJSON *b, const char *const *skip)
{
    const cJSON *objs[2] = { a, b };
    for (size_t i = 0; i < 2; i++) {
        const cJSON *m;
        cJSON_ArrayForEach (m, objs[i]) {
            bool skipped = false;
            for (const char *const *s = skip; *s; s++) {
                skipped = skipped || !strcmp(m->string, *s);
            }
            if (!skipped && !same_member(a, b, m->string)) {
                return false;
            }
        }
    }
    return true;
}

/* Compares direction 'key' ("inbound" or "outbound") of policy objects
 * 'a' and 'b': returns false if anything but the rules of its "allow"
 * list differs, else sets in 'rules' the bit of each rule position that
 * differs. */
static bool
compare_direction(const cJSON *a, const cJSON *b, const char *key,
                  unsigned long *rules)
{
    static const char *const allow[] = { "allow", NULL };
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, key);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, key);
    if (!x || !y) {
        return !x && !y;
    }
    if (!same_members_but(x, y, allow)) {
        return false;
    }

    const cJSON *rx = cJSON_GetObjectItemCaseSensitive(x, "allow");
    const cJSON *ry = cJSON_GetObjectItemCaseSensitive(y, "allow");
    const cJSON *ix = rx ? rx->child : NULL;
    const cJSON *iy = ry ? ry->child : NULL;
    for (size_t i = 0; (ix || iy) && i < INTENT_MAX_RULES; i++) {
        if (!ix || !iy || !cJSON_Compare(ix, iy, true)) {
            bitmap_set1(rules, i);
        }
        ix = ix ? ix->next : NULL;
        iy = iy ? iy->next : NULL;
    }
    return true;
}

bool
intent_compare_policy_rules(const struct intent *a,
                            const struct intent_policy *pa,
                            const struct intent *b,
                            const struct intent_policy *pb,
                            unsigned long *inbound, unsigned long *outbound)
{
    static const char *const directions[] = { "inbound", "outbound", NULL };
    const cJSON *ja = policy_json(a, pa);
    const cJSON *jb = policy_json(b, pb);
    if (!ja || !jb || pa->type != INTENT_POLICY_APPLICATION
        || pb->type != INTENT_POLICY_APPLICATION
        || !same_members_but(ja, jb, directions)) {
        return false;
    }

    unsigned long *in = bitmap_allocate(INTENT_MAX_RULES);
    unsigned long *out = bitmap_allocate(INTENT_MAX_RULES);
    bool ok = (compare_direction(ja, jb, "inbound", in)
               && compare_direction(ja, jb, "outbound", out));
    if (ok) {
        bitmap_or(inbound, in, INTENT_MAX_RULES);
        bitmap_or(outbound, out, INTENT_MAX_RULES);
    }
    bitmap_free(in);
    bitmap_free(out);
    return ok;
}
