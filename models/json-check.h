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

/* Checks that the 'len' bytes at 'text' are one JSON value surrounded by
 * optional white space, nested at most 'max_depth' levels.  On success
 * returns true.  On failure returns false and sets '*line' and '*column'
 * (both from 1; the column counts UTF-8 characters), '*reason' to a static
 * string such as "expected ',' or '}'" and, if 'error_at' is nonnull,
 * '*error_at' to the offending byte (possibly 'text' + 'len'). */
bool json_check_syntax(const char *text, size_t len, int max_depth,
                       size_t *line, size_t *column, const char **reason,
                       const char **error_at);

#endif /* models/json-check.h */
