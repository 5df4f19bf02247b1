#include <config.h>
#include "controller/transport-provider.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "util.h"

/* Initializes the common part of 't' for 'class' over the socket 'fd'. */
void
transport_init(struct transport *t, const struct transport_class *class,
               int fd)
{
    t->class = class;
    t->fd = fd;
    t->error = NULL;
}

/* Replaces the error text of 't' with 'format', ... */
void
transport_set_error(struct transport *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    free(t->error);
    t->error = xvasprintf(format, args);
    va_end(args);
}

void
transport_close(struct transport *t, bool clean)
{
    if (t) {
        if (t->class->close) {
            t->class->close(t, clean);
        }
        close(t->fd);
        free(t->error);
        free(t);
    }
}

int
transport_fd(const struct transport *t)
{
    return t->fd;
}

ssize_t
transport_recv(struct transport *t, void *buf, size_t n)
{
    return t->class->recv(t, buf, n);
}

ssize_t
transport_sendv(struct transport *t, const struct iovec *iov, size_t n_iov)
{
    return t->class->sendv(t, iov, n_iov);
}

int
transport_events(const struct transport *t, bool want_recv, bool want_send)
{
    return t->class->events(t, want_recv, want_send);
}

bool
transport_recv_ready(const struct transport *t, int revents)
{
    return t->class->recv_ready(t, revents);
}

bool
transport_has_pending(const struct transport *t)
{
    return t->class->has_pending && t->class->has_pending(t);
}

const char *
transport_error(const struct transport *t)
{
    return t->error ? t->error : "no error";
}

const char *
transport_peer_name(const struct transport *t)
{
    return t->class->peer_name ? t->class->peer_name(t) : NULL;
}

bool
transport_is_tls(const struct transport *t)
{
    return t->class->is_tls;
}

/* Plain sockets. */

static ssize_t
plain_recv(struct transport *t, void *buf, size_t n)
{
    ssize_t r = read(t->fd, buf, n);
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            return -EAGAIN;
        }
        transport_set_error(t, "read failed: %s", ovs_strerror(errno));
        return -errno;
    }
    return r;
}

static ssize_t
plain_sendv(struct transport *t, const struct iovec *iov, size_t n_iov)
{
    ssize_t r = writev(t->fd, iov, n_iov);
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            return -EAGAIN;
        }
        transport_set_error(t, "write failed: %s", ovs_strerror(errno));
        return -errno;
    }
    return r;
}

static int
plain_events(const struct transport *t OVS_UNUSED, bool want_recv,
             bool want_send)
{
    return (want_recv ? EV_READ : 0) | (want_send ? EV_WRITE : 0);
}

static bool
plain_recv_ready(const struct transport *t OVS_UNUSED, int revents)
{
    return (revents & EV_READ) != 0;
}

static const struct transport_class plain_class = {
    .name = "plain",
    .recv = plain_recv,
    .sendv = plain_sendv,
    .events = plain_events,
    .recv_ready = plain_recv_ready,
};

/* Returns a transport over the connected socket 'fd', which it owns. */
struct transport *
transport_plain_create(int fd)
{
    struct transport *t = xmalloc(sizeof *t);
    transport_init(t, &plain_class, fd);
    return t;
}

bool
transport_parse_ipv4_port(const char *spec, const char *default_addr,
                          struct sockaddr_in *sin)
{
    char *copy = xstrdup(spec);
    char *colon = strrchr(copy, ':');
    const char *addr = colon ? copy : default_addr;
    const char *port = colon ? colon + 1 : copy;
    if (colon) {
        *colon = '\0';
    }
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    char *end;
    long int p = strtol(port, &end, 10);
    bool ok = (*port && !*end && p >= 0 && p <= 65535
               && inet_pton(AF_INET, addr, &sin->sin_addr) == 1);
    sin->sin_port = htons(ok ? p : 0);
    free(copy);
    return ok;
}

int
transport_bind_tcp(const struct sockaddr_in *sin)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0
        && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)
            || bind(fd, (const struct sockaddr *) sin, sizeof *sin) < 0)) {
        int error = errno;
        close(fd);
        errno = error;
        fd = -1;
    }
    return fd;
}
