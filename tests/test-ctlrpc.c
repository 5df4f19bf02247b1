/*
 * Tests of the control socket's JSON-RPC decoding and reply encoding
 * (controller/ctlrpc.c), including the cases the fuzz harness
 * fuzz/fuzz-ctlrpc.c found.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "controller/ctlrpc.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "tests/unit.h"
#include "util.h"

/* Checks that 'reply' is an object whose "result", "error" and "id"
 * print as 'result', 'error' and 'id'. */
static void
check_reply(const char *reply, const char *result, const char *error,
            const char *id)
{
    struct json *json = json_from_string(reply);
    UNIT_CHECK(json->type == JSON_OBJECT);
    if (json->type == JSON_OBJECT) {
        static const char *const keys[] = { "result", "error", "id" };
        const char *want[] = { result, error, id };
        UNIT_CHECK(shash_count(json->object) == 3);
        for (size_t i = 0; i < 3; i++) {
            const struct json *v = shash_find_data(json->object, keys[i]);
            char *got = v ? json_to_string(v, 0) : NULL;
            UNIT_CHECK_STREQ(got, want[i]);
            free(got);
        }
    }
    json_destroy(json);
}

/* Decodes 'text' and returns the error text, or NULL; on success
 * '*argc' gets the argument count and '*method' a copy of the method. */
static const char *
parse(const char *text, char **method, size_t *argc)
{
    struct json *json = json_from_string(text);
    struct ctlrpc_request req;
    const char *error = ctlrpc_parse_request(json, &req);
    *method = error ? NULL : xstrdup(req.method);
    *argc = error ? 0 : req.argc;
    if (!error) {
        UNIT_CHECK(req.argv[req.argc] == NULL);
    }
    ctlrpc_request_uninit(&req);
    json_destroy(json);
    return error;
}

static void
test_valid_request(void)
{
    struct json *json = json_from_string(
        "{\"method\":\"flows\",\"params\":[\"--vm\",\"vm-1\"],\"id\":7}");
    struct ctlrpc_request req;
    UNIT_CHECK(ctlrpc_parse_request(json, &req) == NULL);
    UNIT_CHECK_STREQ(req.method, "flows");
    UNIT_CHECK(req.argc == 2);
    UNIT_CHECK_STREQ(req.argv[0], "--vm");
    UNIT_CHECK_STREQ(req.argv[1], "vm-1");
    UNIT_CHECK(req.argv[2] == NULL);
    UNIT_CHECK(req.id && req.id->type == JSON_INTEGER
               && req.id->integer == 7);
    ctlrpc_request_uninit(&req);
    json_destroy(json);
}

static void
test_malformed_requests(void)
{
    static const char *const bad[] = {
        "[\"status\",[]]",
        "{\"method\":\"status\",\"id\":1}",
        "{\"params\":[],\"id\":1}",
        "{\"method\":3,\"params\":[],\"id\":1}",
        "{\"method\":\"status\",\"params\":{},\"id\":1}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *method;
        size_t argc;
        const char *error = parse(bad[i], &method, &argc);
        UNIT_CHECK(error && strstr(error, "malformed request"));
        UNIT_CHECK(method == NULL);
    }
    char *method;
    size_t argc;
    const char *error = parse("{\"method\":\"plan\",\"params\":[1],\"id\":1}",
                              &method, &argc);
    UNIT_CHECK_STREQ(error, "parameters must be strings");
    error = parse("{\"method\":\"status\",\"params\":[]}", &method, &argc);
    UNIT_CHECK(error == NULL && argc == 0);
    UNIT_CHECK_STREQ(method, "status");
    free(method);
}

/* The error reply to a malformed request still carries its id. */
static void
test_error_reply_keeps_id(void)
{
    struct json *json = json_from_string(
        "{\"method\":\"status\",\"params\":[2],\"id\":\"abc\"}");
    struct ctlrpc_request req;
    const char *error = ctlrpc_parse_request(json, &req);
    UNIT_CHECK(error != NULL);
    char *reply = ctlrpc_format_reply(req.id, NULL, error);
    check_reply(reply, "null", "\"parameters must be strings\"",
                "\"abc\"");
    free(reply);
    json_destroy(json);
}

static void
test_reply(void)
{
    char *reply = ctlrpc_format_reply(NULL, "ok\n", NULL);
    check_reply(reply, "\"ok\\n\"", "null", "null");
    free(reply);
}

/* fuzz/regress/ctlrpc/real-id: an id beyond int64 is a real; the reply
 * carries it with 15 significant digits (libopenvswitch's json printer),
 * and that text reads back as the same JSON. */
static void
test_real_id(void)
{
    struct json *id = json_from_string("[111111111111111111111]");
    char *reply = ctlrpc_format_reply(id->array.elems[0], "x", NULL);
    struct json *back = json_from_string(reply);
    UNIT_CHECK(back->type == JSON_OBJECT);
    const struct json *rid = shash_find_data(back->object, "id");
    UNIT_CHECK(rid && rid->type == JSON_REAL);
    char *a = json_to_string(id->array.elems[0], 0);
    char *b = json_to_string(rid, 0);
    UNIT_CHECK_STREQ(a, b);
    free(a);
    free(b);
    json_destroy(back);
    free(reply);
    json_destroy(id);
}

int
main(int argc OVS_UNUSED, char *argv[] OVS_UNUSED)
{
    unit_program = "test-ctlrpc";
    UNIT_RUN(test_valid_request);
    UNIT_RUN(test_malformed_requests);
    UNIT_RUN(test_error_reply_keeps_id);
    UNIT_RUN(test_reply);
    UNIT_RUN(test_real_id);
    return unit_finish();
}
