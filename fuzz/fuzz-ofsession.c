/*
 * libFuzzer harness for OpenFlow input: the framer (controller/offrame.c)
 * and the session state machine (controller/ofsession.c), with no socket
 * and a fake clock.
 *
 * Input layout (fuzz/fuzz-seeds.c writes seeds in it):
 *
 *   byte 0      flags: FUZZ_HANDSHAKE plays a correct handshake (HELLO,
 *               FEATURES_REPLY, port description) before the input, so
 *               the fuzzer starts from a ready session as often as from a
 *               new one; FUZZ_DRAIN writes the transmit queue out after
 *               each chunk; FUZZ_TIMERS runs the session's timers after
 *               each chunk
 *   byte 1      chunk size: the stream is fed in pieces of this many bytes
 *               (0: all at once), which exercises partial headers and
 *               messages
 *   bytes 2-3   clock step in ms (big-endian) between chunks
 *   the rest    the bytes the "switch" sends
 *
 * Checks, besides AddressSanitizer and UBSan: the framer hands out every
 * byte it was given exactly once, in order; every message the session
 * queues for the switch is well formed (whole, decodable OpenFlow); a dead
 * session says why; the port table holds no duplicate port numbers.
 */
#include <config.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "fuzz/fuzz.h"
#include "controller/offrame.h"
#include "controller/ofsession.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "tests/ofmsgs.h"
#include "flow.h"
#include "util.h"

#define FUZZ_HANDSHAKE 0x01
#define FUZZ_DRAIN 0x02
#define FUZZ_TIMERS 0x04
#define FUZZ_PARTIAL 0x08       /* Drain in writes of 'chunk' bytes. */
#define FUZZ_SMALL_QUEUE 0x10   /* A 512-byte transmit queue bound. */

const char fuzz_name[] = "fuzz-ofsession";

/* Checks the port table of 's': sorted, no port number twice, and each
 * port found again by its name. */
static void
check_ports(struct ofsession *s)
{
    size_t n;
    struct ofputil_phy_port *ports = ofsession_ports(s, &n);
    for (size_t i = 0; i < n; i++) {
        if (i && ofp_to_u16(ports[i - 1].port_no)
                 >= ofp_to_u16(ports[i].port_no)) {
            fuzz_fail("port table unsorted or with a port twice");
        }
        if (!ofsession_find_port(s, ports[i].name)) {
            fuzz_fail("port not found by its own name");
        }
        (void) ofsession_port_is_live(&ports[i]);
    }
    free(ports);
}

static void
ready_cb(struct ofsession *s, void *aux OVS_UNUSED)
{
    check_ports(s);
}

static void
port_changed_cb(struct ofsession *s, void *aux OVS_UNUSED)
{
    check_ports(s);
}

static void
message_cb(struct ofsession *s OVS_UNUSED, enum ofptype type,
           const struct ofp_header *oh, void *aux OVS_UNUSED)
{
    if (ntohs(oh->length) < sizeof *oh) {
        fuzz_fail("message hook got a message shorter than its header");
    }
    (void) ofptype_get_name(type);
}

static const struct ofsession_hooks hooks = {
    .ready = ready_cb,
    .port_changed = port_changed_cb,
    .message = message_cb,
};

/* Writes out everything 's' queued, as a switch that reads it all would,
 * in writes of at most 'max_write' bytes (0: no limit), and checks that it
 * is a sequence of whole, decodable messages and that ofsession_tx_iov()
 * agrees with ofsession_tx_front(). */
static void
drain(struct ofsession *s, long long int now, size_t max_write)
{
    size_t queued = ofsession_tx_bytes(s), got = 0;
    if (!queued) {
        return;
    }
    struct offrame *f = offrame_create(65535);
    const void *front;
    size_t len;
    while ((front = ofsession_tx_front(s, &len)) != NULL) {
        struct iovec iov[4];
        size_t n_iov = ofsession_tx_iov(s, iov, ARRAY_SIZE(iov));
        if (!len || !n_iov || iov[0].iov_base != front
            || iov[0].iov_len != len) {
            fuzz_fail("tx_iov disagrees with tx_front");
        }
        size_t n = max_write && len > max_write ? max_write : len;
        offrame_put(f, front, n);
        ofsession_tx_consume(s, n, now);
        got += n;
    }
    if (ofsession_tx_bytes(s) || got != queued) {
        fuzz_fail("transmit queue not empty after draining, or its byte "
                  "count was wrong");
    }

    struct ds error = DS_EMPTY_INITIALIZER;
    struct ofpbuf *msg;
    enum offrame_result r;
    while ((r = offrame_pull(f, &msg, &error)) == OFFRAME_MSG) {
        enum ofptype type;
        if (ofptype_decode(&type, msg->data)) {
            fuzz_fail("the session queued an undecodable message");
        }
        ofpbuf_delete(msg);
    }
    if (r == OFFRAME_ERROR || offrame_pending(f)) {
        fuzz_fail("queued bytes do not form whole messages");
    }
    ds_destroy(&error);
    offrame_destroy(f);
}

/* Runs the 'n' bytes at 'data' through a framer alone and checks that the
 * messages and the leftover are exactly those bytes. */
static void
check_framer(const uint8_t *data, size_t n, size_t chunk)
{
    struct offrame *f = offrame_create(65535);
    struct ds error = DS_EMPTY_INITIALIZER;
    size_t ofs = 0, out = 0;
    bool failed = false;

    while (ofs < n && !failed) {
        size_t len = chunk && n - ofs > chunk ? chunk : n - ofs;
        offrame_put(f, data + ofs, len);
        ofs += len;
        for (;;) {
            struct ofpbuf *msg;
            enum offrame_result r = offrame_pull(f, &msg, &error);
            if (r == OFFRAME_ERROR) {
                if (!error.length) {
                    fuzz_fail("framing error without a reason");
                }
                failed = true;
                break;
            } else if (r == OFFRAME_AGAIN) {
                break;
            }
            if (msg->size < sizeof(struct ofp_header)
                || out + msg->size > n
                || memcmp(msg->data, data + out, msg->size)) {
                fuzz_fail("framer returned bytes it was not given");
            }
            out += msg->size;
            ofpbuf_delete(msg);
        }
    }
    if (!failed && out + offrame_pending(f) != n) {
        fuzz_fail("framer lost or duplicated bytes");
    }
    ds_destroy(&error);
    offrame_destroy(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) {
        return 0;
    }
    uint8_t flags = data[0];
    size_t chunk = data[1];
    long long int step = (data[2] << 8) | data[3];
    data += 4;
    size -= 4;

    check_framer(data, size, chunk);

    struct ofsession_config cfg;
    ofsession_config_default(&cfg);
    cfg.max_queue_bytes = flags & FUZZ_SMALL_QUEUE ? 512 : 1024 * 1024;
    size_t max_write = flags & FUZZ_PARTIAL ? chunk : 0;
    long long int now = 1000;
    struct ofsession *s = ofsession_create("fuzz", &hooks, NULL, &cfg, now);
    if (flags & FUZZ_HANDSHAKE) {
        struct ofputil_phy_port ports[2] = {
            { .port_no = u16_to_ofp(1), .name = "uplink0",
              .hw_addr = ETH_ADDR_C(02, 00, 00, 00, 00, 01) },
            { .port_no = u16_to_ofp(2), .name = "tap0",
              .state = OFPUTIL_PS_LINK_DOWN,
              .hw_addr = ETH_ADDR_C(02, 00, 00, 00, 00, 02) },
        };
        ofmsgs_handshake(s, 0xa101, ports, 2, now);
        if (!ofsession_is_ready(s)) {
            fuzz_fail("correct handshake did not make the session ready");
        }
        drain(s, now, max_write);
    }

    size_t ofs = 0;
    while (ofs < size && !ofsession_is_dead(s)) {
        size_t len = chunk && size - ofs > chunk ? chunk : size - ofs;
        ofsession_receive(s, data + ofs, len, now);
        ofs += len;
        now += step;
        if (flags & FUZZ_TIMERS) {
            ofsession_run(s, now);
        }
        if (flags & FUZZ_DRAIN) {
            drain(s, now, max_write);
        }
    }
    ofsession_run(s, now);
    drain(s, now, max_write);
    if (ofsession_is_dead(s)) {
        const char *error = ofsession_error(s);
        if (!error || !error[0]) {
            fuzz_fail("dead session without a reason");
        }
    } else {
        check_ports(s);
    }
    const struct ofsession_stats *st = ofsession_stats(s);
    if (st->bad_type_replies > st->rx_msgs) {
        fuzz_fail("more BAD_TYPE replies than messages received");
    }
    ofsession_destroy(s);
    return 0;
}
