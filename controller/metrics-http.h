/*
 * The metrics listener: a minimal HTTP/1.0-style server on the daemon's
 * libev loop that answers "GET /metrics" with the text its owner
 * produces (metrics.h), then closes the connection.
 *
 * Target "tcp:[IPV4ADDR:]PORT"; ADDR defaults to 127.0.0.1 (loopback:
 * the numbers describe the network, so exposing them is a choice).
 *
 * Answers: 200 with Content-Type "text/plain; version=0.0.4" for GET of
 * /metrics (a query string is ignored); 404 for another path; 405 for
 * another method; 400 for a malformed request or one larger than
 * METRICS_HTTP_MAX_REQUEST bytes.  A client has METRICS_HTTP_DEADLINE_S
 * seconds to send its request and METRICS_HTTP_DEADLINE_S more to read the
 * answer, else it is closed.  At most METRICS_HTTP_MAX_CLIENTS clients are
 * served at once; more are closed as soon as they connect.
 */
#ifndef CONTROLLER_METRICS_HTTP_H
#define CONTROLLER_METRICS_HTTP_H 1

#include <stdbool.h>

struct ds;
struct ev_loop;

#define METRICS_HTTP_MAX_REQUEST 8192
#define METRICS_HTTP_DEADLINE_S 5.0
#define METRICS_HTTP_MAX_CLIENTS 16
#define METRICS_HTTP_DEFAULT_ADDR "127.0.0.1"

/* Appends the metrics text to 'body'. */
typedef void metrics_http_cb(struct ds *body, void *aux);

struct metrics_http;

/* Listens on 'target' and serves the text 'cb' produces.  Returns NULL
 * and sets '*errorp' (to free) on failure. */
struct metrics_http *metrics_http_create(struct ev_loop *,
                                         const char *target,
                                         metrics_http_cb *, void *aux,
                                         char **errorp);
void metrics_http_destroy(struct metrics_http *);

#endif /* controller/metrics-http.h */
