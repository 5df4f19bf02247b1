/*
 * The control socket: a unix socket speaking the JSON-RPC that ovs-appctl
 * speaks, served from the libev loop, so `flowchainctl` and
 * `ovs-appctl -t PATH` both work.
 *
 * Each request is {"method": NAME, "params": [strings], "id": ID}; the reply
 * carries either "result" (text) or "error" (text).  Commands are
 * registered with ctlserver_register(); a handler answers through
 * ctlserver_reply() or ctlserver_reply_error(), either during the call or
 * later (it may keep 'conn' until it answers, e.g. to wait for a switch).
 */
#ifndef CONTROLLER_CTLSERVER_H
#define CONTROLLER_CTLSERVER_H 1

#include <sys/types.h>

/* The largest intent text "plan" takes (flowchainctl checks it before
 * sending). */
#define CTLSERVER_MAX_PLAN_BYTES (8 * 1024 * 1024)

struct ev_loop;
struct ctlserver;
struct ctlserver_conn;

typedef void ctlserver_cb(struct ctlserver_conn *, int argc,
                          const char *argv[], void *aux);

/* Listens on the unix socket 'path' (replacing a stale one) with mode 0770
 * whatever the umask, in group 'group' ((gid_t) -1: the daemon's).  Returns
 * NULL and sets '*errorp' (to free) on failure. */
struct ctlserver *ctlserver_create(struct ev_loop *, const char *path,
                                   gid_t group, char **errorp);
void ctlserver_destroy(struct ctlserver *);

void ctlserver_register(struct ctlserver *, const char *name,
                        const char *usage, int min_args, int max_args,
                        ctlserver_cb *, void *aux);

void ctlserver_reply(struct ctlserver_conn *, const char *text);
/* A handler that answers later keeps the serial, not the pointer: the
 * client may disconnect meanwhile. */
unsigned long long int ctlserver_conn_serial(const struct ctlserver_conn *);
struct ctlserver_conn *ctlserver_find_conn(struct ctlserver *,
                                           unsigned long long int serial);
void ctlserver_reply_error(struct ctlserver_conn *, const char *text);

#endif /* controller/ctlserver.h */
