#include <config.h>
#include "tests/ofmsgs.h"

#include <arpa/inet.h>
#include "controller/offrame.h"
#include "controller/ofsession.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"

void
ofmsgs_feed(struct ofsession *s, struct ofpbuf *msg, long long int now)
{
    ofpmsg_update_length(msg);
    ofsession_receive(s, msg->data, msg->size, now);
    ofpbuf_delete(msg);
}

size_t
ofmsgs_drain(struct ofsession *s, long long int now, struct ovs_list *msgs)
{
    struct offrame *f = offrame_create(65535);
    const void *data;
    size_t len, n = 0;
    while ((data = ofsession_tx_front(s, &len)) != NULL) {
        offrame_put(f, data, len);
        ofsession_tx_consume(s, len, now);
    }
    struct ofpbuf *msg;
    struct ds err = DS_EMPTY_INITIALIZER;
    while (offrame_pull(f, &msg, &err) == OFFRAME_MSG) {
        ovs_list_push_back(msgs, &msg->list_node);
        n++;
    }
    ds_destroy(&err);
    offrame_destroy(f);
    return n;
}

static bool
is_type(const struct ofpbuf *msg, enum ofptype want)
{
    enum ofptype type;
    return !ofptype_decode(&type, msg->data) && type == want;
}

struct ofpbuf *
ofmsgs_pop(struct ovs_list *msgs, enum ofptype want)
{
    struct ofpbuf *msg;
    LIST_FOR_EACH_POP (msg, list_node, msgs) {
        if (is_type(msg, want)) {
            return msg;
        }
        ofpbuf_delete(msg);
    }
    return NULL;
}

size_t
ofmsgs_count(const struct ovs_list *msgs, enum ofptype want)
{
    size_t n = 0;
    const struct ofpbuf *msg;
    LIST_FOR_EACH (msg, list_node, msgs) {
        n += is_type(msg, want);
    }
    return n;
}

void
ofmsgs_clear(struct ovs_list *msgs)
{
    struct ofpbuf *msg;
    LIST_FOR_EACH_POP (msg, list_node, msgs) {
        ofpbuf_delete(msg);
    }
}

void
ofmsgs_feed_multipart(struct ofsession *s, const struct ofpbuf *request,
                      struct ovs_list *replies, long long int now)
{
    struct ovs_list empty;
    if (!replies) {
        ofpmp_init(&empty, request->data);
        replies = &empty;
    }
    struct ofpbuf *reply;
    LIST_FOR_EACH_POP (reply, list_node, replies) {
        ofmsgs_feed(s, reply, now);
    }
}

void
ofmsgs_handshake(struct ofsession *s, uint64_t dpid,
                 const struct ofputil_phy_port *ports, size_t n,
                 long long int now)
{
    ofmsgs_feed(s, ofputil_encode_hello(1u << OFP13_VERSION), now);
    struct ofputil_switch_features sf = { .datapath_id = dpid,
                                          .n_tables = 254 };
    ofmsgs_feed(s, ofputil_encode_switch_features(&sf, OFPUTIL_P_OF13_OXM,
                                                  htonl(1)), now);
    struct ofpbuf *req = ofputil_encode_port_desc_stats_request(
        OFP13_VERSION, OFPP_ANY);
    struct ovs_list replies;
    ofpmp_init(&replies, req->data);
    for (size_t i = 0; i < n; i++) {
        ofputil_append_port_desc_stats_reply(&ports[i], &replies);
    }
    ofmsgs_feed_multipart(s, req, &replies, now);
    ofpbuf_delete(req);
}
