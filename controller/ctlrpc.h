/*
 * The pure half of the control socket's JSON-RPC (controller/ctlserver.c):
 * decoding one parsed request and encoding one reply, with no socket, so
 * that unit tests and the fuzz harness (fuzz/fuzz-ctlrpc.c) reach it.
 *
 * A request is {"method": NAME, "params": [strings], "id": ID}; a reply is
 * {"result": TEXT or null, "error": TEXT or null, "id": ID}, as ovs-appctl
 * expects.
 */
#ifndef CONTROLLER_CTLRPC_H
#define CONTROLLER_CTLRPC_H 1

#include <stddef.h>

struct json;

struct ctlrpc_request {
    const char *method;         /* Points into the request's JSON. */
    const char **argv;          /* 'argc' strings (into the JSON) + NULL;
                                 * the array itself belongs to the request. */
    size_t argc;
    const struct json *id;      /* Points into the JSON, or NULL. */
};

const char *ctlrpc_parse_request(const struct json *,
                                 struct ctlrpc_request *);
void ctlrpc_request_uninit(struct ctlrpc_request *);

char *ctlrpc_format_reply(const struct json *id, const char *result,
                          const char *error);

#endif /* controller/ctlrpc.h */
