/*
 * libFuzzer harness for controller/lacp.c: LACPDU parsing and the actor's
 * state machines, with a fake clock.  The input is a flags byte (bit 0:
 * fast rate) and then a list of operations on a bond of two members
 * (OpenFlow ports 1 and 2); each operation is one byte, OP | MEMBER << 2:
 *
 *   OP 0: a slow-protocol payload of the next byte's length (the rest of
 *         the input if shorter) received on the member, as is;
 *   OP 1: the clock advances by the next byte times 100 ms;
 *   OP 2: the member's link changes (up <-> down);
 *   OP 3: a well-formed LACPDU on the member whose partner TLV echoes what
 *         we last sent there, with the actor state and key in the next two
 *         bytes (so that negotiation is easy to reach).
 *
 * After each operation lacp_run() runs.  Checks, besides AddressSanitizer
 * and UBSan: every LACPDU we send parses back with our own identity;
 * collecting and distributing go together (coupled control) and only with
 * a partner and a link; lacp_in_fallback() is true exactly when no member
 * has a partner; a PDU that parses builds back to the same bytes.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "controller/lacp.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

const char fuzz_name[] = "fuzz-lacp";

static const struct eth_addr sys_id = ETH_ADDR_C(02, 00, 00, 00, 00, a1);

struct harness {
    uint8_t last[3][ETH_HEADER_LEN + LACP_PDU_LEN];
    bool sent[3];
    /* When the last LACPDUs accepted on each member were fed, newest
     * at [n_ok % 10]: more than 10 a second are refused (lacp.c). */
    long long int ok_at[3][10];
    size_t n_ok[3];
};

/* Records that a LACPDU fed on member 'p' at 'now' was accepted. */
static void
note_ok(struct harness *h, int p, long long int now)
{
    h->ok_at[p][h->n_ok[p]++ % 10] = now;
}

/* Returns true if 10 LACPDUs were accepted on member 'p' within the
 * second before 'now': only then may a well-formed one be refused. */
static bool
rate_limited(const struct harness *h, int p, long long int now)
{
    if (h->n_ok[p] < 10) {
        return false;
    }
    long long int oldest = h->ok_at[p][h->n_ok[p] % 10];
    return now - oldest < 1000;
}

static void
check_sent(ofp_port_t port, const void *frame, size_t len, void *h_)
{
    struct harness *h = h_;
    int p = ofp_to_u16(port);
    struct lacp_pdu pdu;
    const char *why;

    if ((p != 1 && p != 2) || len != sizeof h->last[p]) {
        fuzz_fail("LACPDU on a wrong port or of a wrong length");
    }
    if (lacp_pdu_parse((const uint8_t *) frame + ETH_HEADER_LEN,
                       LACP_PDU_LEN, &pdu, &why) != LACP_PARSE_OK
        || !eth_addr_equals(pdu.actor.sys_id, sys_id)
        || pdu.actor.port != p || pdu.actor.key != 7) {
        fuzz_fail("our LACPDU does not parse back as ours");
    }
    memcpy(h->last[p], frame, len);
    h->sent[p] = true;
}

static void
check_status(const struct lacp *lacp, const bool live[3])
{
    static const char *const names[3] = { NULL, "m1", "m2" };
    bool any_partner = false;
    for (int p = 1; p <= 2; p++) {
        struct lacp_member_status st;
        if (!lacp_member_status(lacp, names[p], &st)) {
            fuzz_fail("member lost");
        }
        if (st.collecting != st.distributing) {
            fuzz_fail("collecting without distributing or vice versa");
        }
        if (st.distributing && (!st.partner || !live[p])) {
            fuzz_fail("distributing without partner or link");
        }
        any_partner |= st.partner;
    }
    if (lacp_in_fallback(lacp) == any_partner) {
        fuzz_fail("fallback disagrees with the members' partners");
    }
}

/* Tells 'lacp' about its two members, with links 'live'. */
static void
set_members(struct lacp *lacp, const bool live[3], long long int now)
{
    lacp_members_begin(lacp);
    lacp_member_set(lacp, "m1", 0, u16_to_ofp(1), live[1], eth_addr_zero,
                    now);
    lacp_member_set(lacp, "m2", 1, u16_to_ofp(2), live[2], eth_addr_zero,
                    now);
    lacp_members_end(lacp, now);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) {
        return 0;
    }
    struct lacp_settings settings = {
        .name = "bond", .sys_id = sys_id, .sys_priority = 100, .key = 7,
        .fast = data[0] & 1,
    };
    long long int now = 1000;
    struct lacp *lacp = lacp_create(&settings, now);
    struct harness h;
    bool live[3] = { false, true, true };
    memset(&h, 0, sizeof h);
    set_members(lacp, live, now);

    for (size_t i = 1; i < size; ) {
        uint8_t op = data[i++];
        int p = 1 + ((op >> 2) & 1);
        const char *why;

        switch (op & 3) {
        case 0: {
            size_t n = i < size ? MIN(data[i], size - i - 1) : 0;
            const uint8_t *pdu = data + i + (i < size);
            struct lacp_pdu parsed;
            if (lacp_pdu_parse(pdu, n, &parsed, &why) == LACP_PARSE_OK) {
                uint8_t back[LACP_PDU_LEN];
                lacp_pdu_build(&parsed, back);
                /* Only the fields we keep are compared: the reserved
                 * bytes need not be zero in what we receive. */
                struct lacp_pdu again;
                if (lacp_pdu_parse(back, sizeof back, &again, &why)
                    != LACP_PARSE_OK || memcmp(&again, &parsed,
                                               sizeof again)) {
                    fuzz_fail("a parsed LACPDU does not build back");
                }
            }
            if (lacp_process_pdu(lacp, u16_to_ofp(p), pdu, n, now, &why)
                == LACP_PARSE_OK) {
                note_ok(&h, p, now);
            }
            i += n + (i < size);
            break;
        }
        case 1:
            now += (i < size ? data[i++] : 0) * 100;
            break;
        case 2:
            live[p] = !live[p];
            break;
        case 3: {
            uint8_t state = i < size ? data[i++] : 0x3d;
            uint8_t key = i < size ? data[i++] : 5;
            struct lacp_pdu pdu = {
                .actor = { 32768, ETH_ADDR_C(0a, 00, 00, 00, 00, 01), key,
                           32768, 100 + p, state },
            };
            struct lacp_pdu mine;
            if (h.sent[p]
                && lacp_pdu_parse(h.last[p] + ETH_HEADER_LEN, LACP_PDU_LEN,
                                  &mine, &why) == LACP_PARSE_OK) {
                pdu.partner = mine.actor;
            }
            uint8_t buf[LACP_PDU_LEN];
            lacp_pdu_build(&pdu, buf);
            if (lacp_process_pdu(lacp, u16_to_ofp(p), buf, sizeof buf, now,
                                 &why) == LACP_PARSE_OK) {
                note_ok(&h, p, now);
            } else if (!rate_limited(&h, p, now)) {
                fuzz_fail("a well-formed LACPDU was refused");
            }
            break;
        }
        }
        set_members(lacp, live, now);
        lacp_run(lacp, now, check_sent, &h);
        check_status(lacp, live);
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    lacp_format_status(lacp, "", &s);
    ds_destroy(&s);
    lacp_destroy(lacp);
    return 0;
}
