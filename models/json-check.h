/*
 * A strict JSON (RFC 8259) syntax check that says where and why a text is
 * not JSON.  cJSON is lenient (it takes "01", "+1", "1." and reports error
 * positions loosely), so the intent model runs this check first: what it
 * accepts is exactly JSON, and what it rejects gets a precise line, column
 * and reason.
 */
#ifndef MODELS_JSON_CHECK_H
#define MODELS_JSON_CHECK_H 1

#include <stdbool.h>
#include <stddef.h>

/* A stretch of the checked text. */
struct json_span {
    const char *start;
    size_t len;
};

/* One member of the root object, as it is in the text. */
struct json_member {
    struct json_span key;       /* Between the quotes, escapes as written. */
    struct json_span value;
    struct json_span *elems;    /* If 'value' is an array, its elements. */
    size_t n_elems, allocated;
};

/* Where the root object's members are in the text, in text order (empty if
 * the root is not an object).  The spans point into the checked text. */
struct json_outline {
    struct json_member *members;
    size_t n_members, allocated;
};

void json_outline_destroy(struct json_outline *);
const struct json_member *json_outline_find(const struct json_outline *,
                                            const char *key);

/* Checks that the 'len' bytes at 'text' are one JSON value surrounded by
 * optional white space, nested at most 'max_depth' levels.  On success
 * returns true.  On failure returns false and sets '*line' and '*column'
 * (both from 1; the column counts UTF-8 characters), '*reason' to a static
 * string such as "expected ',' or '}'" and, if 'error_at' is nonnull,
 * '*error_at' to the offending byte (possibly 'text' + 'len').  If
 * 'outline' is nonnull (initially empty), records in it where the root
 * object's members are, whatever the result; the caller destroys it. */
bool json_check_syntax(const char *text, size_t len, int max_depth,
                       size_t *line, size_t *column, const char **reason,
                       const char **error_at, struct json_outline *outline);

#endif /* models/json-check.h */
