/*
 * A connected, non-blocking byte stream to one switch: plain (TCP or unix
 * socket) or TLS (controller/stream-tls.h).  The switch manager owns one
 * per connection and drives it from libev; it reads and writes only
 * through these functions, so plain and TLS connections share its code.
 *
 * The owner waits on transport_fd() for the events transport_events()
 * asks for: a TLS stream may need the socket to be writable before it can
 * read (and the reverse) while it handshakes.  A TLS stream can also hold
 * received bytes that the socket no longer signals: transport_has_pending()
 * says so, and the owner must receive them without waiting for an event.
 */
#ifndef CONTROLLER_TRANSPORT_H
#define CONTROLLER_TRANSPORT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct iovec;
struct sockaddr_in;
struct transport;

/* Parses 'spec', "[IPV4ADDR:]PORT", into '*sin' (address 'default_addr'
 * when 'spec' has none).  Returns false if it is malformed. */
bool transport_parse_ipv4_port(const char *spec, const char *default_addr,
                               struct sockaddr_in *sin);

/* A non-blocking TCP socket with SO_REUSEADDR bound to '*sin' (not yet
 * listening).  Returns its fd, or -1 with errno set. */
int transport_bind_tcp(const struct sockaddr_in *sin);

/* A transport over the connected socket 'fd', which it owns. */
struct transport *transport_plain_create(int fd);
/* Closes the socket and frees 't'.  'clean' asks a TLS stream to send its
 * close_notify first (best effort).  't' may be NULL. */
void transport_close(struct transport *t, bool clean);

int transport_fd(const struct transport *);

/* Receives up to 'n' bytes into 'buf'.  Returns the number received (> 0),
 * 0 at the end of the stream, -EAGAIN if nothing can be received now, or
 * another negative errno value on error (transport_error() says why). */
ssize_t transport_recv(struct transport *, void *buf, size_t n);
/* Sends bytes from the 'n_iov' buffers in 'iov', in order.  Returns the
 * number sent (> 0, maybe fewer than offered), -EAGAIN, or another negative
 * errno value.  After -EAGAIN, the next call must offer at least the same
 * bytes again (the owner's queue front does not move until it is sent). */
ssize_t transport_sendv(struct transport *, const struct iovec *iov,
                        size_t n_iov);

/* The libev events (EV_READ, EV_WRITE) to wait for in order to receive, if
 * 'want_recv', and to send, if 'want_send'. */
int transport_events(const struct transport *, bool want_recv,
                     bool want_send);
/* True if 'revents' (from libev) may let a receive make progress. */
bool transport_recv_ready(const struct transport *, int revents);
/* True if received bytes are buffered inside 't' (no socket event will
 * announce them). */
bool transport_has_pending(const struct transport *);

/* Why the last failed call failed, in words. */
const char *transport_error(const struct transport *);
/* The authenticated name of the peer (a TLS client certificate's subject
 * common name) once known, else NULL. */
const char *transport_peer_name(const struct transport *);
/* True for TLS transports. */
bool transport_is_tls(const struct transport *);

#endif /* controller/transport.h */
