/*
 * The arguments of "explain" (flowchainctl and flowchaind share the
 * parser, so flowchainctl refuses bad arguments without a daemon).
 *
 *   explain --from VM[/NIC] --to VM|IP [--tcp PORT | --udp PORT | --icmp]
 *           [--dl-dst MAC] [--json]
 */
#ifndef CONTROLLER_EXPLAIN_REQ_H
#define CONTROLLER_EXPLAIN_REQ_H 1

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/types.h"

#define EXPLAIN_REQ_USAGE \
    "explain --from VM[/NIC] --to VM|IP [--tcp PORT | --udp PORT | " \
    "--icmp] [--dl-dst MAC] [--json]"

/* The TCP / UDP source port of the packets explain builds. */
#define EXPLAIN_REQ_SRC_PORT 40000

struct explain_req {
    char *from_vm;              /* Owned. */
    const char *from_nic;       /* Index or port name, or NULL (NIC 0);
                                 * points into the parsed arguments, as
                                 * 'to' does. */
    const char *to;             /* VM name or IPv4 address. */
    uint8_t nw_proto;           /* IPPROTO_TCP, IPPROTO_UDP or
                                 * IPPROTO_ICMP (the default: an echo
                                 * request). */
    uint16_t tp_dst;            /* TCP / UDP only. */
    bool has_dl_dst;            /* --dl-dst given. */
    struct eth_addr dl_dst;
    bool json;
};

/* Parses 'argv' (the arguments after "explain"; the strings must outlive
 * 'req').  Returns NULL, or an error message (to free).  Either way, call
 * explain_req_destroy() after. */
char *explain_req_parse(int argc, const char *const argv[],
                        struct explain_req *req);
void explain_req_destroy(struct explain_req *);

#endif /* controller/explain-req.h */
