/*
 * Strict JSON syntax check with precise error positions.  See
 * models/json-check.h.
 */
#include <config.h>

#include "models/json-check.h"

#include <stdlib.h>
#include <string.h>
#include "util.h"

struct json_scan {
    const char *p;              /* Next byte. */
    const char *end;            /* One past the last byte. */
    int depth;                  /* Current nesting. */
    int max_depth;
    const char *error_at;       /* Where the first error is. */
    const char *reason;         /* Why, or NULL while all is well. */
    struct json_outline *outline;   /* Or NULL. */
    struct json_member *member; /* The root member whose value is being
                                 * scanned, if 'outline'. */
};

static bool scan_value(struct json_scan *);

/* Records the error 'reason' at 'at' and returns false. */
static bool
scan_fail(struct json_scan *s, const char *at, const char *reason)
{
    s->error_at = at;
    s->reason = reason;
    return false;
}

/* Skips JSON white space. */
static void
scan_ws(struct json_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'
                             || *s->p == '\n' || *s->p == '\r')) {
        s->p++;
    }
}

/* Returns true if 'c' is an ASCII hex digit. */
static bool
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F');
}

/* Returns true if 'c' is an ASCII decimal digit. */
static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Scans a string whose opening quote is at 's->p'. */
static bool
scan_string(struct json_scan *s)
{
    const char *start = s->p++;

    while (s->p < s->end) {
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return true;
        } else if (c == '\n') {
            return scan_fail(s, start, "unterminated string (a string "
                             "cannot span lines)");
        } else if (c < 0x20) {
            return scan_fail(s, s->p, "control character in string "
                             "(write it as an escape such as \\n)");
        } else if (c == '\\') {
            const char *esc = s->p++;
            if (s->p >= s->end) {
                break;
            }
            c = *s->p;
            if (c == 'u') {
                for (int i = 1; i <= 4; i++) {
                    if (s->p + i >= s->end || !is_hex(s->p[i])) {
                        return scan_fail(s, esc, "invalid \\u escape "
                                         "(needs 4 hex digits)");
                    }
                }
                s->p += 5;
            } else if (strchr("\"\\/bfnrt", c) && c) {
                s->p++;
            } else {
                return scan_fail(s, esc, "invalid escape in string");
            }
        } else {
            s->p++;
        }
    }
    return scan_fail(s, start, "unterminated string");
}

/* Scans a number starting at 's->p'. */
static bool
scan_number(struct json_scan *s)
{
    const char *start = s->p;
    const char *p = s->p;

    if (p < s->end && *p == '-') {
        p++;
    }
    if (p >= s->end || !is_digit(*p)) {
        return scan_fail(s, start, "invalid number");
    }
    if (*p == '0') {
        p++;
        if (p < s->end && is_digit(*p)) {
            return scan_fail(s, start, "invalid number (no leading zeros)");
        }
    } else {
        while (p < s->end && is_digit(*p)) {
            p++;
        }
    }
    if (p < s->end && *p == '.') {
        p++;
        if (p >= s->end || !is_digit(*p)) {
            return scan_fail(s, start, "invalid number (digits must follow "
                             "'.')");
        }
        while (p < s->end && is_digit(*p)) {
            p++;
        }
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < s->end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p >= s->end || !is_digit(*p)) {
            return scan_fail(s, start, "invalid number (bad exponent)");
        }
        while (p < s->end && is_digit(*p)) {
            p++;
        }
    }
    s->p = p;
    return true;
}

/* Scans the literal 'word' at 's->p'. */
static bool
scan_literal(struct json_scan *s, const char *word)
{
    size_t len = strlen(word);
    if (s->end - s->p < (ptrdiff_t) len || memcmp(s->p, word, len)
        || (s->p + len < s->end && ((s->p[len] >= 'a' && s->p[len] <= 'z')
                                    || (s->p[len] >= 'A'
                                        && s->p[len] <= 'Z')))) {
        return scan_fail(s, s->p, "expected a value");
    }
    s->p += len;
    return true;
}

/* Returns the span of the value that starts at or after 'start' (after
 * white space) and ends before 's->p'. */
static struct json_span
scan_span(const struct json_scan *s, const char *start)
{
    while (*start == ' ' || *start == '\t' || *start == '\n'
           || *start == '\r') {
        start++;
    }
    return (struct json_span) { start, s->p - start };
}

/* Scans an object or array whose opening bracket is at 's->p'. */
static bool
scan_container(struct json_scan *s)
{
    bool object = *s->p == '{';
    char close = object ? '}' : ']';

    if (++s->depth > s->max_depth) {
        return scan_fail(s, s->p, "nested too deeply");
    }
    /* The root object's members, and the elements of an array that is one
     * of their values, go into the outline. */
    bool root = s->outline && s->depth == 1 && object;
    struct json_member *owner = (s->depth == 2 && !object ? s->member
                                 : NULL);
    s->p++;
    scan_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        struct json_member *m = NULL;
        if (object) {
            if (s->p >= s->end || *s->p != '"') {
                return scan_fail(s, s->p, "expected a string key");
            }
            const char *key = s->p;
            if (!scan_string(s)) {
                return false;
            }
            if (root) {
                struct json_outline *o = s->outline;
                if (o->n_members >= o->allocated) {
                    o->members = x2nrealloc(o->members, &o->allocated,
                                            sizeof *o->members);
                }
                m = &o->members[o->n_members++];
                memset(m, 0, sizeof *m);
                m->key = (struct json_span) { key + 1, s->p - key - 2 };
            }
            scan_ws(s);
            if (s->p >= s->end || *s->p != ':') {
                return scan_fail(s, s->p, "expected ':'");
            }
            s->p++;
        }
        const char *start = s->p;     /* White space first, if any. */
        if (m) {
            s->member = m;
        }
        if (!scan_value(s)) {
            return false;
        }
        if (m) {
            m->value = scan_span(s, start);
            s->member = NULL;
        } else if (owner) {
            if (owner->n_elems >= owner->allocated) {
                owner->elems = x2nrealloc(owner->elems, &owner->allocated,
                                          sizeof *owner->elems);
            }
            owner->elems[owner->n_elems++] = scan_span(s, start);
        }
        scan_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            scan_ws(s);
        } else if (s->p < s->end && *s->p == close) {
            s->p++;
            s->depth--;
            return true;
        } else {
            return scan_fail(s, s->p, object ? "expected ',' or '}'"
                             : "expected ',' or ']'");
        }
    }
}

/* Scans one value, with the white space before it. */
static bool
scan_value(struct json_scan *s)
{
    scan_ws(s);
    if (s->p >= s->end) {
        return scan_fail(s, s->p, "expected a value");
    }
    switch (*s->p) {
    case '{':
    case '[':
        return scan_container(s);
    case '"':
        return scan_string(s);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        if (*s->p == '-' || is_digit(*s->p)) {
            return scan_number(s);
        }
        return scan_fail(s, s->p, "expected a value");
    }
}

/* Frees what 'outline' holds.  Accepts NULL. */
void
json_outline_destroy(struct json_outline *outline)
{
    if (outline) {
        for (size_t i = 0; i < outline->n_members; i++) {
            free(outline->members[i].elems);
        }
        free(outline->members);
    }
}

/* Returns the first root member of 'outline' whose key is written 'key'
 * in the text, or NULL. */
const struct json_member *
json_outline_find(const struct json_outline *outline, const char *key)
{
    size_t len = strlen(key);
    for (size_t i = 0; i < outline->n_members; i++) {
        const struct json_member *m = &outline->members[i];
        if (m->key.len == len && !memcmp(m->key.start, key, len)) {
            return m;
        }
    }
    return NULL;
}

/* Checks the JSON syntax of 'text' ('len' bytes); see json-check.h. */
bool
json_check_syntax(const char *text, size_t len, int max_depth,
                  size_t *line, size_t *column, const char **reason,
                  const char **error_at, struct json_outline *outline)
{
    struct json_scan s = {
        .p = text,
        .end = text + len,
        .max_depth = max_depth,
        .outline = outline,
    };

    if (scan_value(&s)) {
        scan_ws(&s);
        if (s.p >= s.end) {
            return true;
        }
        scan_fail(&s, s.p, "expected the end of the input after the value");
    }

    *line = 1;
    *column = 1;
    for (const char *c = text; c < s.error_at; c++) {
        if (*c == '\n') {
            ++*line;
            *column = 1;
        } else if (((unsigned char) *c & 0xc0) != 0x80) {
            ++*column;          /* Count characters, not UTF-8 bytes. */
        }
    }
    *reason = s.reason;
    if (error_at) {
        *error_at = s.error_at;
    }
    return false;
}
