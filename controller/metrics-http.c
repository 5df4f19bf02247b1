/*
 * The metrics listener (see metrics-http.h).
 */
#include <config.h>
#include "controller/metrics-http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "controller/transport.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(metrics_http);

struct metrics_http {
    struct ev_loop *loop;
    char *target;
    int fd;
    ev_io accept_io;
    metrics_http_cb *cb;
    void *aux;
    struct ovs_list clients;    /* struct mh_client. */
    size_t n_clients;
};

/* One HTTP client: reads its request, then writes the answer. */
struct mh_client {
    struct ovs_list node;       /* In 'mh->clients'. */
    struct metrics_http *mh;
    int fd;
    ev_io io;
    ev_timer deadline;
    char request[METRICS_HTTP_MAX_REQUEST];
    size_t request_len;
    struct ds out;              /* The answer, once the request is read. */
    size_t out_ofs;             /* Bytes of 'out' already written. */
    bool answering;
};

/* Closes 'c' and frees it. */
static void
mh_client_destroy(struct mh_client *c)
{
    struct metrics_http *mh = c->mh;
    ev_io_stop(mh->loop, &c->io);
    ev_timer_stop(mh->loop, &c->deadline);
    close(c->fd);
    ds_destroy(&c->out);
    ovs_list_remove(&c->node);
    mh->n_clients--;
    free(c);
    /* Accepting again if it stopped for lack of file descriptors (a no-op
     * on an active watcher). */
    ev_io_start(mh->loop, &mh->accept_io);
}

/* Queues for 'c' a complete answer with 'status' (e.g. "404 Not Found"),
 * 'content_type' and 'body', and starts writing it. */
static void
mh_client_answer(struct mh_client *c, const char *status,
                 const char *content_type, const char *extra_headers,
                 const char *body, size_t body_len)
{
    ds_put_format(&c->out, "HTTP/1.0 %s\r\n"
                  "Content-Type: %s\r\n"
                  "Content-Length: %"PRIuSIZE"\r\n"
                  "%s"
                  "Connection: close\r\n"
                  "\r\n", status, content_type, body_len, extra_headers);
    ds_put_buffer(&c->out, body, body_len);
    c->answering = true;
    c->out_ofs = 0;

    struct ev_loop *loop = c->mh->loop;
    ev_io_stop(loop, &c->io);
    ev_io_set(&c->io, c->fd, EV_WRITE);
    ev_io_start(loop, &c->io);
    ev_timer_stop(loop, &c->deadline);
    ev_timer_set(&c->deadline, METRICS_HTTP_DEADLINE_S, 0.0);
    ev_timer_start(loop, &c->deadline);
}

/* Answers 'c' with an error 'status' and a one-line text body. */
static void
mh_client_error(struct mh_client *c, const char *status,
                const char *extra_headers)
{
    char *body = xasprintf("%s\n", status);
    mh_client_answer(c, status, "text/plain; charset=utf-8", extra_headers,
                     body, strlen(body));
    free(body);
}

/* Answers the complete request head in 'c->request'. */
static void
mh_client_dispatch(struct mh_client *c)
{
    /* Request line: METHOD SP TARGET SP VERSION. */
    size_t line_len = strcspn(c->request, "\r\n");
    char *line = xmemdup0(c->request, line_len);
    char *save = NULL;
    char *method = strtok_r(line, " ", &save);
    char *target = method ? strtok_r(NULL, " ", &save) : NULL;
    char *version = target ? strtok_r(NULL, " ", &save) : NULL;

    if (!version || strtok_r(NULL, " ", &save)
        || strncmp(version, "HTTP/", 5)) {
        mh_client_error(c, "400 Bad Request", "");
    } else if (strcmp(method, "GET")) {
        mh_client_error(c, "405 Method Not Allowed", "Allow: GET\r\n");
    } else if (strncmp(target, "/metrics", 8)
               || (target[8] != '\0' && target[8] != '?')) {
        mh_client_error(c, "404 Not Found", "");
    } else {
        struct ds body = DS_EMPTY_INITIALIZER;
        c->mh->cb(&body, c->mh->aux);
        mh_client_answer(c, "200 OK", "text/plain; version=0.0.4; "
                         "charset=utf-8", "", body.string ? body.string : "",
                         body.length);
        ds_destroy(&body);
    }
    free(line);
}

/* Returns true if the request head in 'c' is complete: it ends with an
 * empty line. */
static bool
mh_client_request_complete(const struct mh_client *c)
{
    const char *r = c->request;
    size_t n = c->request_len;
    for (size_t i = 0; i + 1 < n; i++) {
        if (r[i] == '\n'
            && (r[i + 1] == '\n'
                || (r[i + 1] == '\r' && i + 2 < n && r[i + 2] == '\n'))) {
            return true;
        }
    }
    return false;
}

/* Reads what 'c' sent; answers once the request is complete.  Returns
 * false if it destroyed 'c'. */
static bool
mh_client_read(struct mh_client *c)
{
    size_t room = sizeof c->request - 1 - c->request_len;
    ssize_t n = recv(c->fd, c->request + c->request_len, room, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return true;
    } else if (n <= 0) {
        mh_client_destroy(c);
        return false;
    }
    c->request_len += n;
    c->request[c->request_len] = '\0';
    if (memchr(c->request, '\0', c->request_len)) {
        mh_client_error(c, "400 Bad Request", "");
    } else if (mh_client_request_complete(c)) {
        mh_client_dispatch(c);
    } else if (c->request_len >= sizeof c->request - 1) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
        VLOG_WARN_RL(&rl, "%s: request larger than %d bytes: refused",
                     c->mh->target, METRICS_HTTP_MAX_REQUEST);
        mh_client_error(c, "400 Bad Request", "");
    }
    return true;
}

/* Writes what it can of the answer of 'c'; closes it once all is out.
 * Returns false if it destroyed 'c'. */
static bool
mh_client_write(struct mh_client *c)
{
    while (c->out_ofs < c->out.length) {
        ssize_t n = send(c->fd, c->out.string + c->out_ofs,
                         c->out.length - c->out_ofs, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return true;
        } else if (n <= 0) {
            mh_client_destroy(c);
            return false;
        }
        c->out_ofs += n;
    }
    shutdown(c->fd, SHUT_WR);
    mh_client_destroy(c);
    return false;
}

static void
mh_client_cb(struct ev_loop *loop OVS_UNUSED, ev_io *io,
             int revents OVS_UNUSED)
{
    struct mh_client *c = io->data;
    if (!c->answering) {
        if (!mh_client_read(c) || !c->answering) {
            return;
        }
    }
    mh_client_write(c);
}

static void
mh_deadline_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *t,
               int revents OVS_UNUSED)
{
    struct mh_client *c = t->data;
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    VLOG_INFO_RL(&rl, "%s: client too slow (%s, %.0f s): closed",
                 c->mh->target,
                 c->answering ? "reading the answer" : "sending its request",
                 METRICS_HTTP_DEADLINE_S);
    mh_client_destroy(c);
}

static void
mh_accept_cb(struct ev_loop *loop, ev_io *io, int revents OVS_UNUSED)
{
    struct metrics_http *mh = io->data;
    int fd = accept4(mh->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
            VLOG_WARN_RL(&rl, "%s: accept failed: %s", mh->target,
                         ovs_strerror(errno));
            if (errno == EMFILE || errno == ENFILE) {
                /* Let the clients we have finish; the listen queue keeps
                 * the others. */
                ev_io_stop(loop, &mh->accept_io);
            }
        }
        return;
    }
    if (mh->n_clients >= METRICS_HTTP_MAX_CLIENTS) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
        VLOG_WARN_RL(&rl, "%s: %d clients already: connection closed",
                     mh->target, METRICS_HTTP_MAX_CLIENTS);
        close(fd);
        return;
    }
    struct mh_client *c = xmalloc(sizeof *c);
    c->mh = mh;
    c->fd = fd;
    c->request_len = 0;
    c->request[0] = '\0';
    ds_init(&c->out);
    c->out_ofs = 0;
    c->answering = false;
    ovs_list_push_back(&mh->clients, &c->node);
    mh->n_clients++;
    ev_io_init(&c->io, mh_client_cb, fd, EV_READ);
    c->io.data = c;
    ev_io_start(loop, &c->io);
    ev_timer_init(&c->deadline, mh_deadline_cb, METRICS_HTTP_DEADLINE_S,
                  0.0);
    c->deadline.data = c;
    ev_timer_start(loop, &c->deadline);
}

/* Listens on 'target' for metrics scrapes, answered with the text 'cb'
 * appends (called with 'aux' once per GET /metrics). */
struct metrics_http *
metrics_http_create(struct ev_loop *loop, const char *target,
                    metrics_http_cb *cb, void *aux, char **errorp)
{
    struct sockaddr_in sin;
    *errorp = NULL;
    if (strncmp(target, "tcp:", 4)
        || !transport_parse_ipv4_port(target + 4, METRICS_HTTP_DEFAULT_ADDR,
                                      &sin)) {
        *errorp = xasprintf("%s: expected tcp:[IPV4ADDR:]PORT", target);
        return NULL;
    }
    int fd = transport_bind_tcp(&sin);
    if (fd < 0 || listen(fd, 16) < 0) {
        *errorp = xasprintf("%s: %s", target, ovs_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    if ((ntohl(sin.sin_addr.s_addr) >> 24) != 127) {
        VLOG_WARN("%s: metrics served on a non-loopback address: anyone "
                  "who can reach it learns the network's layout and "
                  "traffic", target);
    }

    struct metrics_http *mh = xzalloc(sizeof *mh);
    mh->loop = loop;
    mh->target = xstrdup(target);
    mh->fd = fd;
    mh->cb = cb;
    mh->aux = aux;
    ovs_list_init(&mh->clients);
    ev_io_init(&mh->accept_io, mh_accept_cb, fd, EV_READ);
    mh->accept_io.data = mh;
    ev_io_start(loop, &mh->accept_io);
    char addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sin.sin_addr, addr, sizeof addr);
    VLOG_INFO("metrics on http://%s:%u/metrics", addr, ntohs(sin.sin_port));
    return mh;
}

/* Closes every client and the listener of 'mh' and frees it.  Accepts
 * NULL. */
void
metrics_http_destroy(struct metrics_http *mh)
{
    if (!mh) {
        return;
    }
    struct mh_client *c;
    LIST_FOR_EACH_SAFE (c, node, &mh->clients) {
        mh_client_destroy(c);
    }
    ev_io_stop(mh->loop, &mh->accept_io);
    close(mh->fd);
    free(mh->target);
    free(mh);
}
