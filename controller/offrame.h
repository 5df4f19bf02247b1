/*
 * OpenFlow message framing on a byte stream.
 *
 * Bytes read from a socket go in with offrame_put(); whole messages come out
 * of offrame_pull(), one at a time, each in its own ofpbuf.  The framer only
 * checks the length field of each header: shorter than a header is an
 * error (undersize), longer than the limit set with offrame_set_max_len() is
 * an error (oversize).  Decoding the message is the caller's business.
 */
#ifndef CONTROLLER_OFFRAME_H
#define CONTROLLER_OFFRAME_H 1

#include <stddef.h>

struct ds;
struct ofpbuf;

struct offrame;

enum offrame_result {
    OFFRAME_AGAIN,              /* Need more bytes for a whole message. */
    OFFRAME_MSG,                /* '*msgp' holds one message. */
    OFFRAME_ERROR,              /* The stream is unusable; see 'error'. */
};

struct offrame *offrame_create(size_t max_len);
void offrame_destroy(struct offrame *);
void offrame_set_max_len(struct offrame *, size_t max_len);

void offrame_put(struct offrame *, const void *data, size_t n);
enum offrame_result offrame_pull(struct offrame *, struct ofpbuf **msgp,
                                 struct ds *error);

/* Bytes buffered that do not yet form a whole message. */
size_t offrame_pending(const struct offrame *);
/* Length the next message's header claims, or 0 if no header yet. */
size_t offrame_wanted(const struct offrame *);

#endif /* controller/offrame.h */
