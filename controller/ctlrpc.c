#include <config.h>
#include "controller/ctlrpc.h"

#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "util.h"

/* Decodes 'json', one whole request read from a control client, into
 * 'req'.  'req->id' is set (or NULL) in every case, so that even an error
 * reply can carry the request's id.  Returns NULL on success: then
 * 'req->method' and 'req->argv' point into 'json', which must outlive
 * 'req', and the caller frees 'req' with ctlrpc_request_uninit().
 * Otherwise returns the error text to send back (a constant), and 'req'
 * holds nothing to free. */
const char *
ctlrpc_parse_request(const struct json *json, struct ctlrpc_request *req)
{
    const struct json *method = NULL, *params = NULL;

    req->method = NULL;
    req->argv = NULL;
    req->argc = 0;
    req->id = NULL;
    if (json->type == JSON_OBJECT) {
        method = shash_find_data(json->object, "method");
        params = shash_find_data(json->object, "params");
        req->id = shash_find_data(json->object, "id");
    }
    if (!method || method->type != JSON_STRING
        || !params || params->type != JSON_ARRAY) {
        return "malformed request: expected an object with \"method\" "
               "and \"params\"";
    }

    const struct json_array *a = json_array(params);
    for (size_t i = 0; i < a->n; i++) {
        if (a->elems[i]->type != JSON_STRING) {
            return "parameters must be strings";
        }
    }
    req->method = method->string;
    req->argc = a->n;
    req->argv = xmalloc((a->n + 1) * sizeof *req->argv);
    for (size_t i = 0; i < a->n; i++) {
        req->argv[i] = a->elems[i]->string;
    }
    req->argv[a->n] = NULL;
    return NULL;
}

/* Frees what 'req' holds (not the JSON it points into).  'req' may be
 * NULL. */
void
ctlrpc_request_uninit(struct ctlrpc_request *req)
{
    if (req) {
        free(req->argv);
        req->argv = NULL;
    }
}

/* Returns the reply, a new string, to the request with 'id' (NULL for
 * none): 'result' on success, or 'error' (exactly one of them non-NULL). */
char *
ctlrpc_format_reply(const struct json *id, const char *result,
                    const char *error)
{
    struct json *reply = json_object_create();
    json_object_put(reply, "result",
                    result ? json_string_create(result) : json_null_create());
    json_object_put(reply, "error",
                    error ? json_string_create(error) : json_null_create());
    json_object_put(reply, "id", id ? json_clone(id) : json_null_create());
    char *s = json_to_string(reply, 0);
    json_destroy(reply);
    return s;
}
