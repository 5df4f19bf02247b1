/*
 * TLS on switch connections (OpenSSL), for "ssl:" listen targets.
 *
 * One context holds the controller's private key and certificate and the
 * CA certificate that switch certificates must chain to (files as made by
 * ovs-pki).  Authentication is mutual: a switch without a certificate
 * signed by that CA does not get past the handshake.  Each accepted socket
 * becomes a transport (controller/transport.h) that handshakes as it is
 * read and written.
 *
 * Datapath ID binding: a valid certificate proves who the switch is, not
 * which bridge it may program.  stream_tls_binding_check() decides, from
 * the certificate's subject common name, whether a switch may claim the
 * datapath ID it announced (see the comment on that function and
 * docs/operations.md, "TLS").
 */
#ifndef CONTROLLER_STREAM_TLS_H
#define CONTROLLER_STREAM_TLS_H 1

#include <stdbool.h>
#include <stdint.h>

struct ds;
struct intent;
struct stream_tls;
struct transport;

/* Loads the controller's 'private_key' and 'certificate' (PEM; the
 * certificate file may hold a chain) and the 'ca_cert' that switch
 * certificates must be signed by.  Returns NULL and sets '*errorp' (to
 * free), naming the file and OpenSSL's reason, on failure. */
struct stream_tls *stream_tls_create(const char *private_key,
                                     const char *certificate,
                                     const char *ca_cert, char **errorp);
void stream_tls_destroy(struct stream_tls *);

/* Appends a one-line description of the controller's certificate (subject
 * and expiry) to 's'. */
void stream_tls_describe(const struct stream_tls *, struct ds *s);

/* Returns a server-side TLS transport over the accepted socket 'fd' (which
 * it then owns), for the peer called 'peer' in log messages, or NULL (and
 * 'fd' is not taken) if OpenSSL cannot set one up. */
struct transport *stream_tls_accept(struct stream_tls *, int fd,
                                    const char *peer);

/* Decides whether a switch whose certificate's subject common name is
 * 'cert_name' (NULL if it has none) may claim datapath 'dpid' under
 * 'intent' (may be NULL).  The name is first cut at " id:", the unique
 * suffix ovs-pki adds ("hv-host01 id:7c2a..." -> "hv-host01").  Then:
 *
 *   - 16 hex digits: the certificate is for that one datapath ID;
 *   - otherwise it must be the name of a host of the intent, and the
 *     certificate is for that host's bridges.
 *
 * Returns true if allowed; otherwise false with the reason, naming both the
 * certificate and the datapath, appended to 'why'. */
bool stream_tls_binding_check(const char *cert_name,
                              const struct intent *intent, uint64_t dpid,
                              struct ds *why);

#endif /* controller/stream-tls.h */
