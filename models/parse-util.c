/*
 * What every object's parser uses: the JSON path of the value being
 * checked, "PATH: message" errors, claims (uniqueness and membership through
 * one kind of hash map), typed getters for JSON members, and the "did you
 * mean" suggestion for unknown keys.
 */
#include <config.h>

#include "models/intent-private.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "hash.h"
#include "util.h"

/* Appends ".'key'" to the parser's path (no dot at the top level) and
 * returns the previous length, for intent_path_pop(). */
size_t
intent_path_push_key(struct intent_parser *p, const char *key)
{
    size_t len = p->path.length;
    if (len) {
        ds_put_char(&p->path, '.');
    }
    ds_put_cstr(&p->path, key);
    return len;
}

/* Appends "['i']" to the parser's path and returns the previous length.
 * (Every array element comes through here, every VM and NIC of a large
 * intent, so it writes the digits itself rather than call printf().) */
size_t
intent_path_push_index(struct intent_parser *p, size_t i)
{
    size_t len = p->path.length;
    char digits[3 * sizeof i];
    size_t n = 0;

    do {
        digits[n++] = '0' + i % 10;
        i /= 10;
    } while (i);

    char *s = ds_put_uninit(&p->path, n + 2);
    *s++ = '[';
    while (n) {
        *s++ = digits[--n];
    }
    *s = ']';
    return len;
}

/* Restores the parser's path to length 'len'. */
void
intent_path_pop(struct intent_parser *p, size_t len)
{
    ds_truncate(&p->path, len);
}

/* Appends "PATH: message" to the errors, the message formatted from
 * 'format', at the current path. */
void OVS_PRINTF_FORMAT(2, 3)
intent_error(struct intent_parser *p, const char *format, ...)
{
    struct ds line = DS_EMPTY_INITIALIZER;
    va_list args;

    ds_put_format(&line, "%s: ", p->path.length ? ds_cstr_ro(&p->path) : "$");
    va_start(args, format);
    ds_put_format_valist(&line, format, args);
    va_end(args);
    svec_add_nocopy(p->errors, ds_steal_cstr(&line));
}

/* Appends "PATH: message" to the model's warnings, the message formatted
 * from 'format', at the current path.  A warning does not make the intent
 * invalid. */
void OVS_PRINTF_FORMAT(2, 3)
intent_warning(struct intent_parser *p, const char *format, ...)
{
    struct ds line = DS_EMPTY_INITIALIZER;
    va_list args;

    ds_put_format(&line, "%s: ", p->path.length ? ds_cstr_ro(&p->path) : "$");
    va_start(args, format);
    ds_put_format_valist(&line, format, args);
    va_end(args);
    svec_add_nocopy(&p->intent->warnings, ds_steal_cstr(&line));
}

/* Like intent_error(), for the member 'key' of the current object. */
void OVS_PRINTF_FORMAT(3, 4)
intent_error_at(struct intent_parser *p, const char *key,
                const char *format, ...)
{
    size_t len = intent_path_push_key(p, key);
    struct ds line = DS_EMPTY_INITIALIZER;
    va_list args;

    ds_put_format(&line, "%s: ", ds_cstr_ro(&p->path));
    va_start(args, format);
    ds_put_format_valist(&line, format, args);
    va_end(args);
    svec_add_nocopy(p->errors, ds_steal_cstr(&line));
    intent_path_pop(p, len);
}

/* ---------------------------------------------------------------------- */
/* Claims: uniqueness and membership through one kind of hash map. */

/* Returns the hash of the claim key ('a', 'name', 'value'). */
static uint32_t
claim_hash(const void *a, const char *name, uint64_t value)
{
    uint32_t hash = hash_uint64_basis(value, 0);
    if (name) {
        hash = hash_string(name, hash);
    }
    return hash_pointer(a, hash);
}

/* Claims the key ('a', 'name', 'value') in 'map'.  Returns the claim made
 * on it first, if there is one.  Otherwise makes the claim, which remembers
 * the current path for error messages if 'at_path', and returns NULL. */
const struct intent_claim *
intent_claim(struct intent_parser *p, struct hmap *map, const void *a,
             const char *name, uint64_t value, bool at_path)
{
    uint32_t hash = claim_hash(a, name, value);
    struct intent_claim *c;

    HMAP_FOR_EACH_WITH_HASH (c, node, hash, map) {
        if (c->a == a && c->value == value
            && (c->name == name || (c->name && name
                                    && !strcmp(c->name, name)))) {
            return c;
        }
    }

    if (!p->n_blocks || p->n_in_block >= INTENT_CLAIM_BLOCK) {
        p->blocks = xrealloc(p->blocks, (p->n_blocks + 1) * sizeof *p->blocks);
        p->blocks[p->n_blocks++] = xmalloc(INTENT_CLAIM_BLOCK
                                           * sizeof **p->blocks);
        p->n_in_block = 0;
    }

    c = &p->blocks[p->n_blocks - 1][p->n_in_block++];
    c->a = a;
    c->name = name;
    c->value = value;
    c->path = SIZE_MAX;
    if (at_path) {
        c->path = p->paths.length;
        ds_put_buffer(&p->paths, p->path.string, p->path.length);
        ds_put_char(&p->paths, '\0');
    }
    hmap_insert(map, &c->node, hash);
    return NULL;
}

/* Returns the path where claim 'c' was made. */
const char *
intent_claim_path(const struct intent_parser *p, const struct intent_claim *c)
{
    return c->path == SIZE_MAX ? "?" : p->paths.string + c->path;
}

/* ---------------------------------------------------------------------- */
/* JSON helpers. */

/* Returns the JSON type of 'item', with an article, for messages. */
const char *
intent_json_type(const cJSON *item)
{
    return (cJSON_IsObject(item) ? "an object"
            : cJSON_IsArray(item) ? "an array"
            : cJSON_IsString(item) ? "a string"
            : cJSON_IsNumber(item) ? "a number"
            : cJSON_IsBool(item) ? "a boolean"
            : cJSON_IsNull(item) ? "null"
            : "an invalid value");
}

/* Returns the optimal-string-alignment distance between 'a' and 'b' (edits:
 * insert, delete, substitute, swap two neighbours). */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) {
        return SIZE_MAX;
    }

    size_t d[65][65];
    for (size_t i = 0; i <= la; i++) {
        d[i][0] = i;
    }
    for (size_t j = 0; j <= lb; j++) {
        d[0][j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
            best = MIN(best, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2]
                && a[i - 2] == b[j - 1]) {
                best = MIN(best, d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* Returns the member of 'keys' (of 'n_keys') closest to 'word', if it is
 * close enough to be a likely typo, otherwise NULL. */
static const char *
suggest(const char *word, const char *const *keys, size_t n_keys)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;

    for (size_t i = 0; i < n_keys; i++) {
        size_t len = strlen(keys[i]);
        size_t limit = len <= 3 ? 1 : len <= 7 ? 2 : 3;
        size_t d = edit_distance(word, keys[i]);
        if (d <= limit && d < best_d) {
            best = keys[i];
            best_d = d;
        }
    }
    return best;
}

/* Checks that 'json' is an object whose keys are all among 'keys' (of
 * 'n_keys') and appear once.  Reports each unknown key, with a suggestion
 * when one is close, and each repeated key.  Returns false, after reporting
 * it, if 'json' is not an object at all. */
bool
intent_check_object(struct intent_parser *p, const cJSON *json,
                    const char *const *keys, size_t n_keys)
{
    if (!cJSON_IsObject(json)) {
        intent_error(p, "expected an object, got %s", intent_json_type(json));
        return false;
    }

    uint64_t seen = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, json) {
        const char *key = item->string;
        size_t i;

        for (i = 0; i < n_keys; i++) {
            if (!strcmp(key, keys[i])) {
                break;
            }
        }
        if (i >= n_keys) {
            const char *s = suggest(key, keys, n_keys);
            if (s) {
                intent_error_at(p, key, "unknown key \"%s\" (did you mean "
                                "\"%s\"?)", key, s);
            } else {
                intent_error_at(p, key, "unknown key \"%s\"", key);
            }
        } else if (seen & (UINT64_C(1) << i)) {
            intent_error_at(p, key, "duplicate key \"%s\"", key);
        } else {
            seen |= UINT64_C(1) << i;
        }
    }
    return true;
}

/* Returns member 'key' of 'obj', or NULL.  If it is absent and 'required',
 * reports it. */
const cJSON *
intent_get_member(struct intent_parser *p, const cJSON *obj, const char *key,
                  bool required)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item && required) {
        intent_error_at(p, key, "required field is missing");
    }
    return item;
}

/* Returns the string 'json' (at the current path), or NULL after reporting
 * that it is not a non-empty string. */
const char *
intent_json_string(struct intent_parser *p, const cJSON *json)
{
    if (!cJSON_IsString(json)) {
        intent_error(p, "expected a string, got %s", intent_json_type(json));
        return NULL;
    } else if (!json->valuestring[0]) {
        intent_error(p, "must not be empty");
        return NULL;
    }
    return json->valuestring;
}

/* Returns the non-empty string member 'key' of 'obj', or NULL if it is
 * absent (reported if 'required') or not a non-empty string (reported). */
const char *
intent_get_string(struct intent_parser *p, const cJSON *obj, const char *key,
                  bool required)
{
    const cJSON *item = intent_get_member(p, obj, key, required);
    if (!item) {
        return NULL;
    }
    size_t len = intent_path_push_key(p, key);
    const char *s = intent_json_string(p, item);
    intent_path_pop(p, len);
    return s;
}

/* Returns the array member 'key' of 'obj', or NULL if it is absent
 * (reported if 'required') or not an array (reported). */
const cJSON *
intent_get_array(struct intent_parser *p, const cJSON *obj, const char *key,
                 bool required)
{
    const cJSON *item = intent_get_member(p, obj, key, required);
    if (item && !cJSON_IsArray(item)) {
        intent_error_at(p, key, "expected an array, got %s",
                        intent_json_type(item));
        return NULL;
    }
    return item;
}

/* Reads 'json' (at the current path) into '*out' if it is an integer in
 * 'min'..'max'; returns true if so, false if not (reported). */
bool
intent_json_int(struct intent_parser *p, const cJSON *json,
                long long min, long long max, long long *out)
{
    if (!cJSON_IsNumber(json)) {
        intent_error(p, "expected an integer, got %s", intent_json_type(json));
        return false;
    }

    double d = json->valuedouble;
    if (d != floor(d) || !isfinite(d)) {
        intent_error(p, "expected an integer, got %g", d);
        return false;
    }
    if (d < (double) min || d > (double) max) {
        intent_error(p, "%.0f is out of range %lld..%lld", d, min, max);
        return false;
    }
    *out = (long long) d;
    return true;
}

/* Reads integer member 'key' of 'obj' into '*out' if it is present and an
 * integer in 'min'..'max'; returns true if so, false if absent (reported if
 * 'required') or wrong (reported). */
bool
intent_get_int(struct intent_parser *p, const cJSON *obj, const char *key,
               bool required, long long min, long long max, long long *out)
{
    const cJSON *item = intent_get_member(p, obj, key, required);
    if (!item) {
        return false;
    }

    size_t len = intent_path_push_key(p, key);
    bool ok = intent_json_int(p, item, min, max, out);
    intent_path_pop(p, len);
    return ok;
}

/* Reads boolean member 'key' of 'obj' into '*out' if it is present and a
 * boolean; returns true if so, false if absent or not a boolean
 * (reported). */
bool
intent_get_bool(struct intent_parser *p, const cJSON *obj, const char *key,
                bool *out)
{
    const cJSON *item = intent_get_member(p, obj, key, false);
    if (!item) {
        return false;
    }
    if (!cJSON_IsBool(item)) {
        intent_error_at(p, key, "expected a boolean, got %s",
                        intent_json_type(item));
        return false;
    }
    *out = cJSON_IsTrue(item);
    return true;
}

/* Looks up the string member 'key' of 'obj' among 'names' (of 'n_names');
 * returns its index, or 'dflt' if it is absent, or -1 if it is wrong
 * (reported). */
int
intent_get_enum(struct intent_parser *p, const cJSON *obj, const char *key,
                const char *const *names, size_t n_names, int dflt)
{
    const cJSON *item = intent_get_member(p, obj, key, false);
    if (!item) {
        return dflt;
    }

    size_t len = intent_path_push_key(p, key);
    const char *s = intent_json_string(p, item);
    int result = -1;
    if (s) {
        for (size_t i = 0; i < n_names; i++) {
            if (!strcmp(s, names[i])) {
                result = i;
                break;
            }
        }
        if (result < 0) {
            struct ds list = DS_EMPTY_INITIALIZER;
            for (size_t i = 0; i < n_names; i++) {
                ds_put_format(&list, "%s\"%s\"", i ? ", " : "", names[i]);
            }
            intent_error(p, "\"%s\" is not one of %s", s, ds_cstr(&list));
            ds_destroy(&list);
        }
    }
    intent_path_pop(p, len);
    return result;
}
