#include <config.h>
#include "controller/ctlserver.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "controller/ctlrpc.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/list.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ctlserver);

/* A client that sends more than this without completing a request is
 * dropped.  It leaves room for "plan" with the largest intent text
 * flowchainctl sends (CTLSERVER_MAX_PLAN_BYTES, whose JSON string escapes
 * at most double it). */
#define MAX_REQUEST_BYTES (2 * CTLSERVER_MAX_PLAN_BYTES + 1024 * 1024)

/* Clients served at once; more are closed as soon as they connect. */
#define MAX_CLIENTS 32

/* After accept() fails for lack of file descriptors, accepting pauses until
 * a client leaves, or at the latest this long. */
#define ACCEPT_RETRY_SECONDS 1.0

struct command {
    const char *usage;
    int min_args, max_args;
    ctlserver_cb *cb;
    void *aux;
};

struct ctlserver {
    struct ev_loop *loop;
    unsigned long long int n_accepted;  /* Serial of the last client. */
    char *path;
    int fd;
    ev_io accept_io;
    struct shash commands;      /* struct command by name. */
    struct ovs_list conns;      /* struct ctlserver_conn. */
    size_t n_conns;
    bool accept_paused;         /* Out of file descriptors. */
    ev_timer accept_retry;
};

struct ctlserver_conn {
    struct ovs_list node;       /* In 'server->conns'. */
    struct ctlserver *server;
    int fd;
    ev_io io;
    struct json_parser *parser;
    size_t request_bytes;
    struct json *id;            /* Of the request awaiting a reply. */
    struct ds out;              /* Replies not yet written. */
    bool closing;               /* Close once 'out' is written. */
    unsigned long long int serial;  /* Unique for the server's life. */
};

static void conn_destroy(struct ctlserver_conn *);
static void conn_update_events(struct ctlserver_conn *);

static void
list_commands(struct ctlserver_conn *conn, int argc OVS_UNUSED,
              const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct shash_node **nodes = shash_sort(&conn->server->commands);
    ds_put_cstr(&s, "The available commands are:\n");
    for (size_t i = 0; i < shash_count(&conn->server->commands); i++) {
        const struct command *c = nodes[i]->data;
        ds_put_format(&s, "  %-23s %s\n", nodes[i]->name, c->usage);
    }
    free(nodes);
    ctlserver_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

static void
send_reply(struct ctlserver_conn *conn, const char *result, const char *error)
{
    char *s = ctlrpc_format_reply(conn->id, result, error);
    json_destroy(conn->id);
    conn->id = NULL;
    ds_put_cstr(&conn->out, s);
    free(s);
    conn_update_events(conn);
}

/* Answers the request pending on 'conn' with 'text'. */
void
ctlserver_reply(struct ctlserver_conn *conn, const char *text)
{
    send_reply(conn, text, NULL);
}

/* Returns 'conn''s serial number: unlike the pointer, it is never reused,
 * so a handler that answers later finds its client with
 * ctlserver_find_conn() (or learns it is gone). */
unsigned long long int
ctlserver_conn_serial(const struct ctlserver_conn *conn)
{
    return conn->serial;
}

/* Returns the client of 'server' whose serial is 'serial', or NULL if it
 * disconnected. */
struct ctlserver_conn *
ctlserver_find_conn(struct ctlserver *server, unsigned long long int serial)
{
    struct ctlserver_conn *conn;
    LIST_FOR_EACH (conn, node, &server->conns) {
        if (conn->serial == serial) {
            return conn;
        }
    }
    return NULL;
}

/* Answers the request pending on 'conn' with the error 'text'. */
void
ctlserver_reply_error(struct ctlserver_conn *conn, const char *text)
{
    send_reply(conn, NULL, text);
}

static void
dispatch(struct ctlserver_conn *conn, struct json *request)
{
    struct ctlrpc_request req;
    const char *error = ctlrpc_parse_request(request, &req);
    conn->id = req.id ? json_clone(req.id) : NULL;
    if (error) {
        ctlserver_reply_error(conn, error);
        return;
    }

    const struct command *c = shash_find_data(&conn->server->commands,
                                              req.method);
    if (!c) {
        char *msg = xasprintf("\"%s\" is not a valid command (try "
                              "list-commands)", req.method);
        ctlserver_reply_error(conn, msg);
        free(msg);
    } else if ((int) req.argc < c->min_args
               || (int) req.argc > c->max_args) {
        char *msg = xasprintf("\"%s\" takes %d to %d arguments, %"PRIuSIZE
                              " given (usage: %s %s)", req.method,
                              c->min_args, c->max_args, req.argc,
                              req.method, c->usage);
        ctlserver_reply_error(conn, msg);
        free(msg);
    } else {
        c->cb(conn, req.argc, req.argv, c->aux);
    }
    ctlrpc_request_uninit(&req);
}

static void
conn_read(struct ctlserver_conn *conn)
{
    char buf[65536];
    ssize_t n = read(conn->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        conn_destroy(conn);
        return;
    }
    conn->request_bytes += n;
    if (conn->request_bytes > MAX_REQUEST_BYTES) {
        VLOG_WARN("control client sent %"PRIuSIZE" bytes without a whole "
                  "request; closing it", conn->request_bytes);
        conn_destroy(conn);
        return;
    }
    size_t ofs = 0;
    while (ofs < (size_t) n) {
        if (conn->id || conn->closing) {
            /* One request at a time: ignore pipelined input until the
             * pending reply is sent. */
            return;
        }
        ofs += json_parser_feed(conn->parser, buf + ofs, n - ofs);
        if (json_parser_is_done(conn->parser)) {
            struct json *json = json_parser_finish(conn->parser);
            conn->parser = json_parser_create(0);
            conn->request_bytes = 0;
            if (json->type == JSON_STRING) {
                VLOG_WARN("bad control request: %s", json->string);
                json_destroy(json);
                conn->closing = true;
                conn_update_events(conn);
                return;
            }
            dispatch(conn, json);
            json_destroy(json);
        }
    }
}

static void
conn_write(struct ctlserver_conn *conn)
{
    while (conn->out.length) {
        ssize_t n = write(conn->fd, conn->out.string, conn->out.length);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        }
        if (n <= 0) {
            conn_destroy(conn);
            return;
        }
        memmove(conn->out.string, conn->out.string + n,
                conn->out.length - n);
        conn->out.length -= n;
    }
    if (conn->closing) {
        conn_destroy(conn);
    } else {
        conn_update_events(conn);
    }
}

static void
conn_cb(struct ev_loop *loop OVS_UNUSED, ev_io *io, int revents)
{
    struct ctlserver_conn *conn = io->data;
    if (revents & EV_WRITE) {
        conn_write(conn);
        return;                 /* 'conn' may be gone. */
    }
    if (revents & EV_READ) {
        conn_read(conn);
    }
}

static void
conn_update_events(struct ctlserver_conn *conn)
{
    int events = conn->out.length ? EV_WRITE : EV_READ;
    if (events != (conn->io.events & (EV_READ | EV_WRITE))) {
        ev_io_stop(conn->server->loop, &conn->io);
        ev_io_set(&conn->io, conn->fd, events);
        ev_io_start(conn->server->loop, &conn->io);
    }
}

static void
accept_resume(struct ctlserver *server)
{
    if (server->accept_paused) {
        server->accept_paused = false;
        ev_timer_stop(server->loop, &server->accept_retry);
        ev_io_start(server->loop, &server->accept_io);
    }
}

static void
accept_retry_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *t,
                int revents OVS_UNUSED)
{
    accept_resume(t->data);
}

static void
conn_destroy(struct ctlserver_conn *conn)
{
    ev_io_stop(conn->server->loop, &conn->io);
    close(conn->fd);
    ovs_list_remove(&conn->node);
    conn->server->n_conns--;
    accept_resume(conn->server);
    json_parser_abort(conn->parser);
    json_destroy(conn->id);
    ds_destroy(&conn->out);
    free(conn);
}

static void
accept_cb(struct ev_loop *loop, ev_io *io, int revents OVS_UNUSED)
{
    struct ctlserver *server = io->data;
    int fd = accept4(server->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 1);
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
            || errno == ENOMEM) {
            /* The pending client would wake us at once again: wait. */
            VLOG_WARN_RL(&rl, "%s: accept failed: %s; not accepting control "
                         "clients until one leaves", server->path,
                         ovs_strerror(errno));
            server->accept_paused = true;
            ev_io_stop(loop, &server->accept_io);
            ev_timer_set(&server->accept_retry, ACCEPT_RETRY_SECONDS, 0.0);
            ev_timer_start(loop, &server->accept_retry);
        } else if (errno != EAGAIN && errno != EINTR) {
            VLOG_WARN_RL(&rl, "%s: accept failed: %s", server->path,
                         ovs_strerror(errno));
        }
        return;
    }
    if (server->n_conns >= MAX_CLIENTS) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 1);
        VLOG_WARN_RL(&rl, "%s: %d control clients already connected; "
                     "closing a new one", server->path, MAX_CLIENTS);
        close(fd);
        return;
    }
    server->n_conns++;
    struct ctlserver_conn *conn = xzalloc(sizeof *conn);
    conn->server = server;
    conn->fd = fd;
    conn->parser = json_parser_create(0);
    conn->serial = ++server->n_accepted;
    ds_init(&conn->out);
    ovs_list_push_back(&server->conns, &conn->node);
    ev_io_init(&conn->io, conn_cb, fd, EV_READ);
    conn->io.data = conn;
    ev_io_start(loop, &conn->io);
}

/* Listens on the unix socket 'path', mode 0770, owned by the group 'group'
 * (or the daemon's group if it is (gid_t) -1). */
struct ctlserver *
ctlserver_create(struct ev_loop *loop, const char *path, gid_t group,
                 char **errorp)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    *errorp = NULL;
    if (strlen(path) >= sizeof sun.sun_path) {
        *errorp = xasprintf("%s: control socket path too long", path);
        return NULL;
    }
    strcpy(sun.sun_path, path);

    /* A socket that still answers belongs to a running daemon: never steal
     * it.  One that refuses connections is stale and is replaced. */
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0
        && !connect(probe, (struct sockaddr *) &sun, sizeof sun)) {
        close(probe);
        *errorp = xasprintf("%s: another daemon is answering on this "
                            "control socket", path);
        return NULL;
    }
    if (probe >= 0) {
        close(probe);
    }

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *errorp = xasprintf("socket: %s", ovs_strerror(errno));
        return NULL;
    }
    unlink(path);
    /* Bound as 0600 whatever the umask, so that no one else can connect
     * before the group and mode are set. */
    mode_t old_umask = umask(0177);
    int error = bind(fd, (struct sockaddr *) &sun, sizeof sun) ? errno : 0;
    umask(old_umask);
    if (!error && group != (gid_t) -1 && chown(path, -1, group)) {
        error = errno;
    }
    if (!error && chmod(path, 0770)) {
        error = errno;
    }
    if (!error && listen(fd, 16) < 0) {
        error = errno;
    }
    if (error) {
        *errorp = xasprintf("%s: %s", path, ovs_strerror(error));
        close(fd);
        return NULL;
    }

    struct ctlserver *server = xzalloc(sizeof *server);
    server->loop = loop;
    server->path = xstrdup(path);
    server->fd = fd;
    shash_init(&server->commands);
    ovs_list_init(&server->conns);
    ev_io_init(&server->accept_io, accept_cb, fd, EV_READ);
    server->accept_io.data = server;
    ev_io_start(loop, &server->accept_io);
    ev_timer_init(&server->accept_retry, accept_retry_cb,
                  ACCEPT_RETRY_SECONDS, 0.0);
    server->accept_retry.data = server;
    ctlserver_register(server, "list-commands", "", 0, 0, list_commands,
                       NULL);
    return server;
}

/* Closes 'server' and its clients and removes its socket.  'server' may be
 * NULL. */
void
ctlserver_destroy(struct ctlserver *server)
{
    if (server) {
        struct ctlserver_conn *conn;
        LIST_FOR_EACH_SAFE (conn, node, &server->conns) {
            /* Best effort, so that e.g. the reply to "exit" arrives. */
            if (conn->out.length
                && write(conn->fd, conn->out.string, conn->out.length) < 0) {
                VLOG_DBG("control client gone before its reply");
            }
            conn_destroy(conn);
        }
        ev_io_stop(server->loop, &server->accept_io);
        ev_timer_stop(server->loop, &server->accept_retry);
        close(server->fd);
        unlink(server->path);
        shash_destroy_free_data(&server->commands);
        free(server->path);
        free(server);
    }
}

/* Adds the command 'name', taking 'min_args' to 'max_args' string
 * arguments, handled by 'cb' with 'aux'. */
void
ctlserver_register(struct ctlserver *server, const char *name,
                   const char *usage, int min_args, int max_args,
                   ctlserver_cb *cb, void *aux)
{
    struct command *c = xmalloc(sizeof *c);
    c->usage = usage;
    c->min_args = min_args;
    c->max_args = max_args;
    c->cb = cb;
    c->aux = aux;
    free(shash_replace(&server->commands, name, c));
}
