#include <config.h>
#include "controller/stream-tls.h"

#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "controller/transport-provider.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(stream_tls);

/* Bytes gathered from several queued messages into one SSL_write(): one
 * TLS record's worth. */
#define TLS_GATHER_BYTES 16384

struct stream_tls {
    SSL_CTX *ctx;
    char *description;          /* Of our own certificate. */
};

struct tls_transport {
    struct transport up;
    SSL *ssl;
    char *peer;                 /* For log messages. */
    char *peer_name;            /* Certificate CN, once handshaken. */
    bool handshake_logged;
    bool failed;                /* Fatal TLS error: no close_notify. */
    bool read_wants_write;      /* SSL_read() needs the socket writable. */
    bool write_wants_read;      /* SSL_write() needs it readable. */
    char gather[TLS_GATHER_BYTES];
};

/* The reason of the oldest error in OpenSSL's queue, or 'dflt'. */
static const char *
openssl_reason(const char *dflt)
{
    unsigned long e = ERR_get_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return reason ? reason : dflt;
}

/* Appends to 's' the subject of 'cert' on one line and its expiry. */
static void
describe_cert(X509 *cert, struct ds *s)
{
    char *subject = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
    ds_put_format(s, "%s", subject ? subject : "(no subject)");
    OPENSSL_free(subject);
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio && ASN1_TIME_print(bio, X509_get0_notAfter(cert))) {
        char *p;
        long n = BIO_get_mem_data(bio, &p);
        ds_put_format(s, ", valid until %.*s", (int) n, p);
    }
    BIO_free(bio);
}

struct stream_tls *
stream_tls_create(const char *private_key, const char *certificate,
                  const char *ca_cert, char **errorp)
{
    *errorp = NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        *errorp = xasprintf("cannot create a TLS context: %s",
                            openssl_reason("unknown error"));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* Writes may be partial and retried from a different address (the
     * gather buffer or the message itself); an EOF without close_notify is
     * an ordinary close (ovs-vswitchd killed). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                     | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                     | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
    /* Every connection authenticates in full: no session resumption. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);

    if (SSL_CTX_use_certificate_chain_file(ctx, certificate) != 1) {
        *errorp = xasprintf("--certificate %s: cannot load: %s", certificate,
                            openssl_reason("unknown error"));
        goto error;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, private_key, SSL_FILETYPE_PEM)
        != 1) {
        *errorp = xasprintf("--private-key %s: cannot load: %s", private_key,
                            openssl_reason("unknown error"));
        goto error;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        *errorp = xasprintf("--private-key %s does not match --certificate "
                            "%s: %s", private_key, certificate,
                            openssl_reason("mismatch"));
        goto error;
    }
    if (SSL_CTX_load_verify_locations(ctx, ca_cert, NULL) != 1) {
        *errorp = xasprintf("--ca-cert %s: cannot load: %s", ca_cert,
                            openssl_reason("unknown error"));
        goto error;
    }
    STACK_OF(X509_NAME) *cas = SSL_load_client_CA_file(ca_cert);
    if (!cas) {
        *errorp = xasprintf("--ca-cert %s: no CA certificate in it: %s",
                            ca_cert, openssl_reason("empty"));
        goto error;
    }
    SSL_CTX_set_client_CA_list(ctx, cas);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);

    struct stream_tls *tls = xzalloc(sizeof *tls);
    tls->ctx = ctx;
    struct ds d = DS_EMPTY_INITIALIZER;
    X509 *own = SSL_CTX_get0_certificate(ctx);
    if (own) {
        describe_cert(own, &d);
        if (X509_cmp_current_time(X509_get0_notAfter(own)) < 0) {
            VLOG_WARN("--certificate %s has expired (%s): switches will "
                      "refuse it", certificate, ds_cstr(&d));
        }
    }
    tls->description = ds_steal_cstr(&d);
    return tls;

error:
    SSL_CTX_free(ctx);
    return NULL;
}

/* Frees 'tls'.  Transports made from it must be closed first.  'tls' may be
 * NULL. */
void
stream_tls_destroy(struct stream_tls *tls)
{
    if (tls) {
        SSL_CTX_free(tls->ctx);
        free(tls->description);
        free(tls);
    }
}

void
stream_tls_describe(const struct stream_tls *tls, struct ds *s)
{
    ds_put_cstr(s, tls->description);
}

static struct tls_transport *
tls_cast(const struct transport *t)
{
    return CONTAINER_OF(t, struct tls_transport, up);
}

/* Records the peer's certificate name once the handshake is done, and logs
 * the session. */
static void
tls_note_handshake(struct tls_transport *tt)
{
    if (tt->handshake_logged || !SSL_is_init_finished(tt->ssl)) {
        return;
    }
    tt->handshake_logged = true;

    X509 *cert = SSL_get1_peer_certificate(tt->ssl);
    const char *problem = NULL;
    if (!cert) {
        problem = "no certificate";
    } else {
        X509_NAME *subject = X509_get_subject_name(cert);
        int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
        if (idx < 0) {
            problem = "its certificate has no subject common name";
        } else if (X509_NAME_get_index_by_NID(subject, NID_commonName, idx)
                   >= 0) {
            problem = "its certificate has several subject common names";
        } else {
            ASN1_STRING *data = X509_NAME_ENTRY_get_data(
                X509_NAME_get_entry(subject, idx));
            unsigned char *utf8 = NULL;
            int len = ASN1_STRING_to_UTF8(&utf8, data);
            if (len < 0 || memchr(utf8, '\0', len)) {
                problem = "its certificate's common name is not text";
            } else {
                tt->peer_name = xmemdup0((const char *) utf8, len);
            }
            OPENSSL_free(utf8);
        }
    }
    X509_free(cert);
    if (tt->peer_name) {
        VLOG_INFO("%s: %s session, client certificate \"%s\"", tt->peer,
                  SSL_get_version(tt->ssl), tt->peer_name);
    } else {
        VLOG_WARN("%s: %s session, but %s", tt->peer,
                  SSL_get_version(tt->ssl), problem);
    }
}

/* Handles the result 'r' of SSL_read() or SSL_write() (which must have
 * failed: r <= 0) on 'tt'.  Returns -EAGAIN, 0 for a closed stream, or a
 * negative errno value with the error text set. */
static ssize_t
tls_error(struct tls_transport *tt, int r, bool reading)
{
    int err = SSL_get_error(tt->ssl, r);
    const char *stage = SSL_is_init_finished(tt->ssl)
                        ? "TLS error" : "TLS handshake failed";
    switch (err) {
    case SSL_ERROR_WANT_READ:
        if (!reading) {
            tt->write_wants_read = true;
        }
        return -EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        if (reading) {
            tt->read_wants_write = true;
        }
        return -EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL: {
        int error = errno;
        tt->failed = true;
        if (!ERR_peek_error() && !error) {
            return 0;
        }
        if (ERR_peek_error()) {
            transport_set_error(&tt->up, "%s: %s", stage,
                                openssl_reason("system error"));
            return -EPROTO;
        }
        transport_set_error(&tt->up, "%s: %s", stage, ovs_strerror(error));
        return -error;
    }
    case SSL_ERROR_SSL:
    default: {
        tt->failed = true;
        const char *reason = openssl_reason("protocol error");
        long verify = SSL_get_verify_result(tt->ssl);
        if (verify != X509_V_OK) {
            transport_set_error(&tt->up, "%s: %s: client certificate "
                                "rejected: %s", stage, reason,
                                X509_verify_cert_error_string(verify));
        } else if (!SSL_is_init_finished(tt->ssl)
                   && (strstr(reason, "wrong version number")
                       || strstr(reason, "unknown protocol")
                       || strstr(reason, "http request")
                       || strstr(reason, "record layer failure")
                       || strstr(reason, "packet length too long"))) {
            transport_set_error(&tt->up, "%s: %s (the peer does not speak "
                                "TLS: plain TCP on an ssl: port?)", stage,
                                reason);
        } else {
            transport_set_error(&tt->up, "%s: %s", stage, reason);
        }
        return -EPROTO;
    }
    }
}

static ssize_t
tls_recv(struct transport *t, void *buf, size_t n)
{
    struct tls_transport *tt = tls_cast(t);
    tt->read_wants_write = false;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(tt->ssl, buf, MIN(n, INT_MAX));
    tls_note_handshake(tt);
    return r > 0 ? r : tls_error(tt, r, true);
}

static ssize_t
tls_sendv(struct transport *t, const struct iovec *iov, size_t n_iov)
{
    struct tls_transport *tt = tls_cast(t);
    size_t total = 0;
    for (size_t i = 0; i < n_iov && total < TLS_GATHER_BYTES; i++) {
        total += iov[i].iov_len;
    }
    /* The same queue front always gives the same first 'len' bytes, and
     * 'len' never shrinks until they are sent, as SSL_write() retries
     * require. */
    size_t len = MIN(total, TLS_GATHER_BYTES);
    const void *data;
    if (!len) {
        return 0;
    } else if (iov[0].iov_len >= len) {
        data = iov[0].iov_base;
    } else {
        size_t ofs = 0;
        for (size_t i = 0; ofs < len; i++) {
            size_t chunk = MIN(iov[i].iov_len, len - ofs);
            memcpy(tt->gather + ofs, iov[i].iov_base, chunk);
            ofs += chunk;
        }
        data = tt->gather;
    }
    tt->write_wants_read = false;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(tt->ssl, data, len);
    tls_note_handshake(tt);
    return r > 0 ? r : tls_error(tt, r, false);
}

static int
tls_events(const struct transport *t, bool want_recv, bool want_send)
{
    const struct tls_transport *tt = tls_cast(t);
    int events = 0;
    if (want_recv || !SSL_is_init_finished(tt->ssl)) {
        events |= tt->read_wants_write ? EV_WRITE : EV_READ;
    }
    if (want_send) {
        events |= tt->write_wants_read ? EV_READ : EV_WRITE;
    }
    return events;
}

static bool
tls_recv_ready(const struct transport *t, int revents)
{
    const struct tls_transport *tt = tls_cast(t);
    return (revents & (tt->read_wants_write ? EV_WRITE : EV_READ)) != 0
           || SSL_has_pending(tt->ssl);
}

static bool
tls_has_pending(const struct transport *t)
{
    return SSL_has_pending(tls_cast(t)->ssl) != 0;
}

static const char *
tls_peer_name(const struct transport *t)
{
    return tls_cast(t)->peer_name;
}

static void
tls_close(struct transport *t, bool clean)
{
    struct tls_transport *tt = tls_cast(t);
    if (clean && !tt->failed && SSL_is_init_finished(tt->ssl)) {
        /* One try: the socket is non-blocking and about to close. */
        ERR_clear_error();
        SSL_shutdown(tt->ssl);
    }
    ERR_clear_error();
    SSL_free(tt->ssl);
    free(tt->peer);
    free(tt->peer_name);
}

static const struct transport_class tls_class = {
    .name = "tls",
    .is_tls = true,
    .close = tls_close,
    .recv = tls_recv,
    .sendv = tls_sendv,
    .events = tls_events,
    .recv_ready = tls_recv_ready,
    .has_pending = tls_has_pending,
    .peer_name = tls_peer_name,
};

struct transport *
stream_tls_accept(struct stream_tls *tls, int fd, const char *peer)
{
    ERR_clear_error();
    SSL *ssl = SSL_new(tls->ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        VLOG_ERR("%s: cannot set up TLS: %s", peer,
                 openssl_reason("out of memory"));
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);

    struct tls_transport *tt = xzalloc(sizeof *tt);
    transport_init(&tt->up, &tls_class, fd);
    tt->ssl = ssl;
    tt->peer = xstrdup(peer);
    return &tt->up;
}

/* Returns true if 's' is exactly 16 hex digits, with the value in
 * '*dpid'. */
static bool
parse_dpid(const char *s, uint64_t *dpid)
{
    if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16) {
        return false;
    }
    *dpid = strtoull(s, NULL, 16);
    return true;
}

/* Appends to 's' the datapath ID 'dpid' and, if 'intent' has it, its
 * host and bridge. */
static void
format_datapath(const struct intent *intent, uint64_t dpid, struct ds *s)
{
    const struct intent_bridge *br
        = intent ? intent_find_bridge_by_dpid(intent, dpid) : NULL;
    ds_put_format(s, "datapath %016"PRIx64, dpid);
    if (br) {
        ds_put_format(s, " (%s/%s)", br->host->name, br->name);
    } else {
        ds_put_cstr(s, " (not in the intent)");
    }
}

bool
stream_tls_binding_check(const char *cert_name, const struct intent *intent,
                         uint64_t dpid, struct ds *why)
{
    if (!cert_name) {
        ds_put_cstr(why, "the client certificate has no usable subject "
                    "common name, so it can claim no ");
        format_datapath(intent, dpid, why);
        return false;
    }

    const char *suffix = strstr(cert_name, " id:");
    char *name = suffix ? xmemdup0(cert_name, suffix - cert_name)
                        : xstrdup(cert_name);
    bool ok = false;
    uint64_t cert_dpid;
    if (parse_dpid(name, &cert_dpid)) {
        ok = cert_dpid == dpid;
        if (!ok) {
            ds_put_format(why, "certificate \"%s\" is for datapath %016"PRIx64
                          " and cannot claim ", cert_name, cert_dpid);
            format_datapath(intent, dpid, why);
        }
    } else {
        const struct intent_host *host
            = intent ? intent_find_host(intent, name) : NULL;
        const struct intent_bridge *br
            = intent ? intent_find_bridge_by_dpid(intent, dpid) : NULL;
        if (!host) {
            ds_put_format(why, "certificate \"%s\" names neither a datapath "
                          "ID (16 hex digits) nor a host of the intent, so "
                          "it cannot claim ", cert_name);
            format_datapath(intent, dpid, why);
        } else if (br && br->host == host) {
            ok = true;
        } else {
            ds_put_format(why, "certificate \"%s\" is for host %s and cannot "
                          "claim ", cert_name, host->name);
            format_datapath(intent, dpid, why);
        }
    }
    free(name);
    return ok;
}
