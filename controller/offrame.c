#include <config.h>
#include "controller/offrame.h"

#include <arpa/inet.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "util.h"
#include "openflow/openflow-common.h"

struct offrame {
    struct ofpbuf rx;           /* Bytes received, not yet pulled. */
    size_t max_len;             /* Largest message accepted. */
};

/* Creates a framer that accepts messages of at most 'max_len' bytes. */
struct offrame *
offrame_create(size_t max_len)
{
    struct offrame *f = xzalloc(sizeof *f);
    ofpbuf_init(&f->rx, 4096);
    f->max_len = max_len;
    return f;
}

/* Frees 'f' and any bytes it holds.  'f' may be NULL. */
void
offrame_destroy(struct offrame *f)
{
    if (f) {
        ofpbuf_uninit(&f->rx);
        free(f);
    }
}

/* Sets the largest message length 'f' accepts to 'max_len'. */
void
offrame_set_max_len(struct offrame *f, size_t max_len)
{
    f->max_len = max_len;
}

/* Appends the 'n' bytes at 'data' to what 'f' has received. */
void
offrame_put(struct offrame *f, const void *data, size_t n)
{
    if (!f->rx.size) {
        ofpbuf_clear(&f->rx);
    } else if (ofpbuf_headroom(&f->rx) > f->rx.size) {
        /* Reclaim the space of messages already pulled, so a long-lived
         * stream does not grow its buffer. */
        ofpbuf_shift(&f->rx, -(int) ofpbuf_headroom(&f->rx));
    }
    ofpbuf_put(&f->rx, data, n);
}

/* Returns the length field of the header at the front of 'f', or 0 if not
 * a whole header has arrived. */
size_t
offrame_wanted(const struct offrame *f)
{
    if (f->rx.size < sizeof(struct ofp_header)) {
        return 0;
    }
    /* The stream position need not be aligned: copy the field out. */
    ovs_be16 length;
    memcpy(&length, (const char *) f->rx.data
           + offsetof(struct ofp_header, length), sizeof length);
    return ntohs(length);
}

/* Bytes in 'f' that do not yet form a whole message. */
size_t
offrame_pending(const struct offrame *f)
{
    return f->rx.size;
}

/* Takes the next whole message out of 'f'.  On OFFRAME_MSG, '*msgp' is a
 * new ofpbuf the caller must free.  On OFFRAME_ERROR, appends the reason to
 * 'error'; the stream cannot be resynchronized and should be closed. */
enum offrame_result
offrame_pull(struct offrame *f, struct ofpbuf **msgp, struct ds *error)
{
    *msgp = NULL;
    size_t len = offrame_wanted(f);
    if (!len && f->rx.size < sizeof(struct ofp_header)) {
        return OFFRAME_AGAIN;
    }
    if (len < sizeof(struct ofp_header)) {
        ds_put_format(error, "undersize length field %"PRIuSIZE
                      " (an OpenFlow header alone is %"PRIuSIZE" bytes)",
                      len, sizeof(struct ofp_header));
        return OFFRAME_ERROR;
    }
    if (len > f->max_len) {
        ds_put_format(error, "oversize length field %"PRIuSIZE
                      " (limit %"PRIuSIZE" bytes at this stage)",
                      len, f->max_len);
        return OFFRAME_ERROR;
    }
    if (f->rx.size < len) {
        return OFFRAME_AGAIN;
    }
    *msgp = ofpbuf_clone_data(f->rx.data, len);
    ofpbuf_pull(&f->rx, len);
    return OFFRAME_MSG;
}
