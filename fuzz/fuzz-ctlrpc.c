/*
 * libFuzzer harness for the control socket's JSON-RPC: the input is what a
 * client writes to the socket.  It goes through the same steps as in
 * controller/ctlserver.c's conn_read(): a streaming json_parser fed in
 * reads of at most 4096 bytes, one request decoded by
 * ctlrpc_parse_request() each time a JSON value is whole, then a reply
 * made by ctlrpc_format_reply(); a parse error ends the connection.
 *
 * Checks, besides AddressSanitizer and UBSan: a decoded request has a
 * method and 'argc' string arguments followed by NULL; every reply is one
 * JSON object that parses back, with exactly one of "result" and "error"
 * a string and the request's id unchanged (as JSON text).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "controller/ctlrpc.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "util.h"

const char fuzz_name[] = "fuzz-ctlrpc";

/* Checks that 'text' is a well-formed reply to a request with 'id'. */
static void
check_reply(const char *text, const struct json *id, bool is_error)
{
    struct json *reply = json_from_string(text);
    if (reply->type != JSON_OBJECT) {
        fuzz_fail("reply does not parse back as an object");
    }
    const struct json *result = shash_find_data(reply->object, "result");
    const struct json *error = shash_find_data(reply->object, "error");
    const struct json *rid = shash_find_data(reply->object, "id");
    if (!result || !error || !rid
        || (result->type == JSON_STRING) == is_error
        || (error->type == JSON_STRING) != is_error) {
        fuzz_fail("reply lacks result, error or id, or has both");
    }
    /* Compared as text: libopenvswitch prints a non-integer number with
     * 15 significant digits (DBL_DIG), so an id such as
     * 111111111111111111111 (a real, beyond int64) comes back rounded;
     * fuzz/regress/ctlrpc/real-id keeps that case. */
    char *want = id ? json_to_string(id, JSSF_SORT) : xstrdup("null");
    char *got = json_to_string(rid, JSSF_SORT);
    if (strcmp(want, got)) {
        fuzz_fail("reply's id differs from the request's");
    }
    free(want);
    free(got);
    json_destroy(reply);
}

/* Handles the whole request 'json' as the server would, with a "command"
 * that echoes its arguments. */
static void
handle(const struct json *json)
{
    struct ctlrpc_request req;
    const char *error = ctlrpc_parse_request(json, &req);
    char *reply;

    if (error) {
        if (!error[0] || req.argv) {
            fuzz_fail("an error reply without text, or with arguments");
        }
        reply = ctlrpc_format_reply(req.id, NULL, error);
    } else {
        struct ds s = DS_EMPTY_INITIALIZER;
        if (!req.method || req.argv[req.argc]) {
            fuzz_fail("request without a method or a NULL after argv");
        }
        ds_put_cstr(&s, req.method);
        for (size_t i = 0; i < req.argc; i++) {
            ds_put_format(&s, " %s", req.argv[i]);
        }
        reply = ctlrpc_format_reply(req.id, ds_cstr(&s), NULL);
        ds_destroy(&s);
    }
    check_reply(reply, req.id, error != NULL);
    free(reply);
    ctlrpc_request_uninit(&req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_parser *parser = json_parser_create(0);
    size_t ofs = 0;

    while (ofs < size) {
        size_t n = MIN(size - ofs, 4096), used = 0;
        const char *buf = (const char *) data + ofs;
        ofs += n;
        while (used < n) {
            used += json_parser_feed(parser, buf + used, n - used);
            if (json_parser_is_done(parser)) {
                struct json *json = json_parser_finish(parser);
                parser = json_parser_create(0);
                if (json->type == JSON_STRING) {
                    /* A parse error: the server drops the client. */
                    json_destroy(json);
                    goto out;
                }
                handle(json);
                json_destroy(json);
            }
        }
    }
out:
    json_parser_abort(parser);
    return 0;
}
