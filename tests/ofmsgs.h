/*
 * Test helpers: play the switch side of an ofsession with no socket.
 * Messages the controller queued are drained into a list of ofpbufs
 * (list_node), popped by type; replies are fed back as bytes.
 */
#ifndef TESTS_OFMSGS_H
#define TESTS_OFMSGS_H 1

#include <stddef.h>
#include <stdint.h>
#include "openvswitch/list.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"

struct ofpbuf;
struct ofsession;

/* Feeds 'msg' (freed) to 's' as the switch's bytes at 'now'. */
void ofmsgs_feed(struct ofsession *s, struct ofpbuf *msg, long long int now);
/* Moves every message 's' queued onto the end of 'msgs'; returns how many. */
size_t ofmsgs_drain(struct ofsession *s, long long int now,
                    struct ovs_list *msgs);
/* Removes and returns the first message of 'type' in 'msgs' (the ones
 * before it are freed), or NULL. */
struct ofpbuf *ofmsgs_pop(struct ovs_list *msgs, enum ofptype type);
size_t ofmsgs_count(const struct ovs_list *msgs, enum ofptype type);
void ofmsgs_clear(struct ovs_list *msgs);

/* Answers 'request' (a multipart request) with the replies in 'replies'
 * made by ofpmp_init() and appends, or with an empty reply if NULL. */
void ofmsgs_feed_multipart(struct ofsession *s, const struct ofpbuf *request,
                           struct ovs_list *replies, long long int now);

/* Plays the switch through the handshake: HELLO, FEATURES_REPLY with
 * 'dpid', and a port description of the 'n' ports in 'ports'. */
void ofmsgs_handshake(struct ofsession *s, uint64_t dpid,
                      const struct ofputil_phy_port *ports, size_t n,
                      long long int now);

#endif /* tests/ofmsgs.h */
