/*
 * For implementations of controller/transport.h only: the class interface
 * and the common part of every transport.
 */
#ifndef CONTROLLER_TRANSPORT_PROVIDER_H
#define CONTROLLER_TRANSPORT_PROVIDER_H 1

#include "controller/transport.h"
#include "openvswitch/compiler.h"

struct transport {
    const struct transport_class *class;
    int fd;
    char *error;                /* Why the last call failed, or NULL. */
};

struct transport_class {
    const char *name;
    bool is_tls;
    /* Frees what the implementation added to 't' (not the fd, not 't'). */
    void (*close)(struct transport *t, bool clean);
    ssize_t (*recv)(struct transport *, void *buf, size_t n);
    ssize_t (*sendv)(struct transport *, const struct iovec *, size_t);
    int (*events)(const struct transport *, bool want_recv, bool want_send);
    bool (*recv_ready)(const struct transport *, int revents);
    bool (*has_pending)(const struct transport *);
    const char *(*peer_name)(const struct transport *);
};

/* Initializes the common part of 't' for 'class' over 'fd'. */
void transport_init(struct transport *t, const struct transport_class *,
                    int fd);
/* Sets the error text of 't' to 'format', ... */
void transport_set_error(struct transport *t, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

#endif /* controller/transport-provider.h */
