/* The arguments of "explain" (explain-req.h). */
#include <config.h>
#include "controller/explain-req.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "packets.h"
#include "util.h"

/* Parses the port number 's' (1..65535) into '*port'. */
static bool
parse_port(const char *s, uint16_t *port)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v < 1 || v > 65535 || s[0] == '-' || s[0] == '+') {
        return false;
    }
    *port = v;
    return true;
}

/* Parses the arguments of "explain" (explain-req.h). */
char *
explain_req_parse(int argc, const char *const argv[], struct explain_req *req)
{
    memset(req, 0, sizeof *req);
    req->nw_proto = IPPROTO_ICMP;
    int n_proto = 0;
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i];
        bool takes_arg = (!strcmp(opt, "--from") || !strcmp(opt, "--to")
                          || !strcmp(opt, "--tcp") || !strcmp(opt, "--udp")
                          || !strcmp(opt, "--dl-dst"));
        if (takes_arg && i + 1 >= argc) {
            return xasprintf("%s needs an argument (usage: "
                             EXPLAIN_REQ_USAGE ")", opt);
        }
        const char *arg = takes_arg ? argv[++i] : NULL;
        if (!strcmp(opt, "--from")) {
            const char *slash = strchr(arg, '/');
            if (slash == arg || (slash && !slash[1])) {
                return xasprintf("--from: \"%s\" is not VM or VM/NIC", arg);
            }
            free(req->from_vm);
            req->from_vm = slash ? xmemdup0(arg, slash - arg) : xstrdup(arg);
            req->from_nic = slash ? slash + 1 : NULL;
        } else if (!strcmp(opt, "--to")) {
            req->to = arg;
        } else if (!strcmp(opt, "--tcp") || !strcmp(opt, "--udp")) {
            if (!parse_port(arg, &req->tp_dst)) {
                return xasprintf("%s: \"%s\" is not a port number "
                                 "(1-65535)", opt, arg);
            }
            req->nw_proto = opt[2] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
            n_proto++;
        } else if (!strcmp(opt, "--icmp")) {
            req->nw_proto = IPPROTO_ICMP;
            n_proto++;
        } else if (!strcmp(opt, "--dl-dst")) {
            if (!eth_addr_from_string(arg, &req->dl_dst)
                || eth_addr_is_multicast(req->dl_dst)) {
                return xasprintf("--dl-dst: \"%s\" is not a unicast MAC "
                                 "address", arg);
            }
            req->has_dl_dst = true;
        } else if (!strcmp(opt, "--json")) {
            req->json = true;
        } else {
            return xasprintf("unknown argument \"%s\" (usage: "
                             EXPLAIN_REQ_USAGE ")", opt);
        }
    }
    if (!req->from_vm || !req->to) {
        return xstrdup("--from and --to are required (usage: "
                       EXPLAIN_REQ_USAGE ")");
    }
    if (n_proto > 1) {
        return xstrdup("--tcp, --udp and --icmp exclude each other");
    }
    return NULL;
}

/* Frees what 'req' owns (not 'req'; may be NULL). */
void
explain_req_destroy(struct explain_req *req)
{
    if (req) {
        free(req->from_vm);
        req->from_vm = NULL;
    }
}
