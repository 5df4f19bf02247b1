/*
 * flowchaind: the flowchain controller daemon.
 *
 * Loads the intent, listens for Open vSwitch bridges, keeps an OpenFlow 1.3
 * session with each, and serves the control socket.  Everything runs in
 * one libev loop.
 */
#include <config.h>

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "controller/ctlserver.h"
#include "controller/diagram.h"
#include "controller/explain-req.h"
#include "controller/intentdb.h"
#include "controller/metrics.h"
#include "controller/metrics-http.h"
#include "controller/ofsession.h"
#include "controller/rendezvous.h"
#include "controller/stream-tls.h"
#include "controller/switchmgr.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/flowchain-idl.h"
#include "sha1.h"
#include "sset.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(flowchaind);

#define DEFAULT_CONTROL "/var/run/flowchain/flowchaind.ctl"
#define DEFAULT_LISTEN "tcp:6653"
#define DEFAULT_STATS_INTERVAL 10.0

struct daemon {
    struct ev_loop *loop;
    struct switchmgr *switches;
    struct ctlserver *ctl;
    struct intent *intent;
    struct intent *retired;     /* The intent 'intent' replaced, freed
                                 * by 'retire_timer'. */
    ev_timer retire_timer;
    char *intent_path;
    bool exiting;
    ev_stat intent_watch;
    ev_signal sighup;

    /* Metrics. */
    struct metrics_http *metrics;
    double start_time;          /* Unix time. */
    uint64_t reloads_ok, reloads_refused;
    uint64_t intent_seq;        /* Incremented at each new intent. */
    uint64_t sha1_seq;          /* 'intent_sha1' is of intent number... */
    char intent_sha1[SHA1_HEX_DIGEST_LEN + 1];  /* ...this (0: none). */

    /* --db: the intent comes from the flowchain OVSDB database
     * (docs/ha.md).  libev drives the IDL with a 20 ms timer that calls
     * ovsdb_idl_run(), so no poll-loop integration is needed. */
    char *db_remote;
    const char *instance_id;
    struct ovsdb_idl *db;
    ev_timer db_timer;
    int64_t db_generation;      /* Of the last intent read (good or not). */
    bool db_connected;
    long long int db_next_heartbeat;    /* time_msec(). */
    struct ovsdb_idl_txn *db_hb_txn;    /* Heartbeat in flight, or NULL. */
    struct shash db_peers;      /* Instance name -> struct db_peer. */
    struct sset db_live;        /* Live instances, this one included. */
    bool db_roles_ready;        /* Liveness known: roles may be decided. */
    long long int db_connected_ms;      /* time_msec() of the connection. */
    struct ovsdb_idl_txn *db_claim_txn; /* Taking a role generation. */
    int64_t db_claim_generation;        /* The one being taken. */
    uint64_t db_claims;         /* Role generations taken. */
    long long int db_last_tick_ms;      /* Of the --db timer. */
    long long int db_self_since_ms;     /* Own steady heartbeats since. */
    long long int db_self_last_hb_ms;   /* Own last heartbeat committed. */
    long long int db_settle_until_ms;   /* No role decisions before. */
};

/* Liveness of one instance in the Instance table, judged on our own clock.
 * A live instance is dead once its heartbeat (every DB_HEARTBEAT_MS) has not
 * changed for DB_PEER_DEAD_MS: a kill -9 is noticed within DB_PEER_DEAD_MS
 * plus a heartbeat period, and its switches move then (docs/ha.md).  A dead
 * one is live again only after its heartbeat has moved steadily for
 * DB_PEER_STABLE_MS, so an instance that stalls now and then (a long
 * compile) loses its switches once, not back and forth. */
#define DB_HEARTBEAT_MS 100
#define DB_PEER_DEAD_MS 500
#define DB_PEER_STABLE_MS 2000
struct db_peer {
    int64_t heartbeat;          /* Last value seen. */
    long long int seen_ms;      /* time_msec() when it last changed. */
    long long int moving_since_ms;  /* Start of its current run of changes
                                     * no further apart than
                                     * DB_PEER_DEAD_MS. */
    bool live;
    bool present;               /* Scratch: row seen in this pass. */
};

/* A tick of the --db timer this late means this instance's own loop was
 * busy: its view of the others' heartbeats is stale, so roles wait
 * DB_PEER_DEAD_MS before they are decided again. */
#define DB_LATE_TICK_MS 250

/* At most this many switches are claimed at once, so that the work of
 * becoming master (compile, read-back) comes in slices between heartbeats. */
#define DB_MAX_CLAIM 16

static void
usage(void)
{
    printf("flowchaind: OpenFlow 1.3 controller for Open vSwitch hosts\n"
           "usage: flowchaind [OPTIONS]\n"
           "\n"
           "  --intent=FILE          load the network intent from FILE\n"
           "  --db=DB                follow the intent in the flowchain OVSDB "
           "database DB\n"
           "                         (tcp:IP:PORT, unix:PATH; a cluster's "
           "members\n"
           "                         comma-separated) instead of --intent; "
           "every switch\n"
           "                         gets all instances as controllers, "
           "OpenFlow roles\n"
           "                         pick one master each (docs/ha.md)\n"
           "  --instance-id=NAME     this instance's name in the database "
           "(default:\n"
           "                         the host name)\n"
           "  --listen=TARGET        accept switches on TARGET: "
           "ssl:[IPV4ADDR:]PORT,\n"
           "                         tcp:[IPV4ADDR:]PORT or unix:PATH "
           "(repeatable;\n"
           "                         default " DEFAULT_LISTEN ")\n"
           "  --private-key=FILE     the controller's TLS private key (PEM)\n"
           "  --certificate=FILE     the controller's certificate (PEM)\n"
           "  --ca-cert=FILE         CA certificate that switch certificates "
           "must be\n"
           "                         signed by (ssl: needs all three)\n"
           "  --max-connections=N    switch connections kept open at once "
           "(default\n"
           "                         1000); more are closed on arrival\n"
           "  --control=PATH         control socket (default\n"
           "                         " DEFAULT_CONTROL ")\n"
           "  --control-group=GROUP  group of the control socket (mode 0770;"
           "\n"
           "                         default: the daemon's group)\n"
           "  --pidfile=FILE         write the process ID to FILE\n"
           "  --probe-interval=SECS  echo an idle switch after SECS (default "
           "5); a\n"
           "                         switch silent for 3x that is dropped\n"
           "  --handshake-timeout=SECS  drop a peer that has not finished the"
           "\n"
           "                         handshake, or stalls mid-message, after"
           " SECS\n"
           "                         (default 10)\n"
           "  --max-queue=MIB        bound of each switch's send queue "
           "(default 128)\n"
           "  --metrics=tcp:[IPV4ADDR:]PORT  serve Prometheus metrics at "
           "http://ADDR:PORT\n"
           "                         /metrics (ADDR defaults to "
           METRICS_HTTP_DEFAULT_ADDR ")\n"
           "  --stats-interval=SECS  with --metrics, poll port and policy "
           "counters every\n"
           "                         SECS (default 10)\n"
           "  --hit-log-rate=PPS     packets per second, per bridge, that "
           "policies with\n"
           "                         \"log\": true may send to the hit log "
           "(default 100)\n"
           "  -v, --verbose[=SPEC]   set log levels (ovs-appctl vlog/set "
           "syntax)\n"
           "  --log-file=FILE        also log to FILE\n"
           "  --syslog               log to syslog instead of stderr\n"
           "  -h, --help             show this help and exit\n"
           "  -V, --version          show the version and exit\n");
}

static void
daemon_exit_cmd(struct ctlserver_conn *conn, int argc OVS_UNUSED,
                const char *argv[] OVS_UNUSED, void *d_)
{
    struct daemon *d = d_;
    d->exiting = true;
    ctlserver_reply(conn, "");
    ev_break(d->loop, EVBREAK_ALL);
}

static void
daemon_version_cmd(struct ctlserver_conn *conn, int argc OVS_UNUSED,
                   const char *argv[] OVS_UNUSED, void *d_ OVS_UNUSED)
{
    ctlserver_reply(conn, "flowchaind " FLOWCHAIN_VERSION "\n");
}

/* "status [--ports] [--host H] [--bridge B]": the intent, a summary line
 * per connected switch and totals, or with --ports every detail. */
/* Appends to 's' the database connection and the liveness of every
 * instance, for "status" in --db mode. */
static bool daemon_self_live(const struct daemon *);

static void
daemon_format_db(const struct daemon *d, struct ds *s)
{
    ds_put_format(s, "database: %s, %s; this instance: %s\n", d->db_remote,
                  d->db_connected ? "connected"
                  : "disconnected (enforcing the last intent read)",
                  d->instance_id);
    long long int now = time_msec();
    const struct shash_node **sorted = shash_sort(&d->db_peers);
    ds_put_cstr(s, "instances:");
    for (size_t i = 0; i < shash_count(&d->db_peers); i++) {
        const struct db_peer *p = sorted[i]->data;
        long long int age = now - p->seen_ms;
        if (p->live) {
            ds_put_format(s, " %s (live)", sorted[i]->name);
        } else if (age <= DB_PEER_DEAD_MS) {
            ds_put_format(s, " %s (returning: heartbeat moving for %.1f s)",
                          sorted[i]->name,
                          (now - p->moving_since_ms) / 1000.0);
        } else {
            ds_put_format(s, " %s (dead: no heartbeat for %.1f s)",
                          sorted[i]->name, age / 1000.0);
        }
    }
    ds_put_cstr(s, shash_count(&d->db_peers) ? "\n" : " none yet\n");
    free(sorted);

    struct switchmgr_role_counts rc;
    switchmgr_get_role_counts(d->switches, &rc);
    ds_put_format(s, "roles: master of %"PRIuSIZE" %s (%"PRIuSIZE" in sync), "
                  "slave of %"PRIuSIZE", %"PRIuSIZE" being decided; "
                  "switches taken over by another instance: %"PRIu64"%s\n",
                  rc.master, rc.master == 1 ? "switch" : "switches",
                  rc.master_in_sync, rc.slave, rc.pending, rc.demotions,
                  !d->db_roles_ready
                  ? " (waiting for the instances' liveness)"
                  : !daemon_self_live(d)
                  ? " (this instance takes switches after 2.3 s of steady "
                    "heartbeats)"
                  : "");
}

static void
daemon_status_cmd(struct ctlserver_conn *conn, int argc, const char *argv[],
                  void *d_)
{
    struct daemon *d = d_;
    struct switchmgr_status_opts opts = { .ports = false };
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--ports")) {
            opts.ports = true;
        } else if (!strcmp(argv[i], "--host") && i + 1 < argc) {
            opts.host = argv[++i];
        } else if (!strcmp(argv[i], "--bridge") && i + 1 < argc) {
            opts.bridge = argv[++i];
        } else {
            ctlserver_reply_error(conn, "usage: status [--ports] [--host H] "
                                  "[--bridge B]");
            return;
        }
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    if (d->db_remote) {
        ds_put_format(&s, "intent: database generation %"PRId64,
                      d->db_generation);
    } else {
        ds_put_format(&s, "intent: %s",
                      d->intent_path ? d->intent_path : "(none)");
    }
    if (d->intent) {
        /* "valid: 2 hosts, ..." without its "valid: ". */
        struct ds summary = DS_EMPTY_INITIALIZER;
        intent_format_summary(d->intent, &summary);
        const char *counts = strchr(ds_cstr(&summary), ' ');
        ds_put_format(&s, ": %s", counts ? counts + 1 : ds_cstr(&summary));
        ds_destroy(&summary);
    }
    ds_put_char(&s, '\n');
    if (d->db_remote) {
        daemon_format_db(d, &s);
    }
    struct ds body = DS_EMPTY_INITIALIZER;
    if (switchmgr_format_status(d->switches, &opts, &body)) {
        ds_put_cstr(&s, ds_cstr(&body));
        ctlserver_reply(conn, ds_cstr(&s));
    } else {
        ctlserver_reply_error(conn, ds_cstr(&body));
    }
    ds_destroy(&body);
    ds_destroy(&s);
}

/* Returns the SHA-1 of the text the running intent was loaded from (the
 * file, or with --db the intent rebuilt from the rows), as hex; computed
 * when first asked for (for the metrics), not at each reload, where
 * hashing megabytes would delay reading the switches' replies. */
static const char *
daemon_intent_sha1(struct daemon *d)
{
    if (d->sha1_seq != d->intent_seq) {
        size_t len;
        const char *text = intent_text(d->intent, &len);
        uint8_t digest[SHA1_DIGEST_SIZE];
        sha1_bytes(text, len, digest);
        sha1_to_hex(digest, d->intent_sha1);
        d->sha1_seq = d->intent_seq;
    }
    return d->intent_sha1;
}

/* Logs the warnings of 'intent' (a valid model), one line each. */
static void
log_intent_warnings(const struct intent *intent)
{
    const struct svec *w = intent_warnings(intent);
    for (size_t i = 0; i < w->n; i++) {
        VLOG_WARN("intent warning: %s", w->names[i]);
    }
}

/* Seconds a replaced intent is kept before it is freed. */
#define RETIRE_DELAY 0.5

static void
retire_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *t,
          int revents OVS_UNUSED)
{
    struct daemon *d = t->data;
    intent_destroy(d->retired);
    d->retired = NULL;
}

/* Makes 'next' (a valid model, taken over) the running intent, loaded from
 * 'source' (a file name or the database): only bridges whose flows change
 * are touched.  Appends the summary to 'msg'. */
static void
daemon_install(struct daemon *d, struct intent *next, const char *source,
               struct ds *msg)
{
    log_intent_warnings(next);
    switchmgr_set_intent(d->switches, next);
    /* Freeing a large model takes a while (tens of ms at 10,000 VMs): do
     * it once the switches' replies to the change have been read. */
    intent_destroy(d->retired);
    d->retired = d->intent;
    ev_timer_stop(d->loop, &d->retire_timer);
    ev_timer_set(&d->retire_timer, RETIRE_DELAY, 0.0);
    ev_timer_start(d->loop, &d->retire_timer);
    d->intent = next;
    d->intent_seq++;
    d->reloads_ok++;
    struct ds summary = DS_EMPTY_INITIALIZER;
    intent_format_summary(next, &summary);
    ds_put_format(msg, "reloaded %s: %s\n", source, ds_cstr(&summary));
    VLOG_INFO("reloaded %s: %s", source, ds_cstr(&summary));
    ds_destroy(&summary);
}

/* Loads the intent file again.  If the new one is valid, makes it current
 * (only bridges whose flows changed are touched) and returns true;
 * otherwise keeps the running one, appends the errors to 'msg' and returns
 * false. */
static bool
daemon_reload(struct daemon *d, struct ds *msg)
{
    if (!d->intent_path) {
        ds_put_cstr(msg, "no intent file (start flowchaind with --intent)");
        return false;
    }
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *next = intent_load_file(d->intent_path, &errors);
    if (!next) {
        ds_put_format(msg, "%s: invalid intent, %"PRIuSIZE" error(s); the "
                      "running intent and its flows are unchanged\n",
                      d->intent_path, errors.n);
        for (size_t i = 0; i < errors.n; i++) {
            ds_put_format(msg, "%s\n", errors.names[i]);
        }
        VLOG_WARN("reload refused: %s", ds_cstr(msg));
        svec_destroy(&errors);
        d->reloads_refused++;
        return false;
    }
    svec_destroy(&errors);
    daemon_install(d, next, d->intent_path, msg);
    return true;
}

static void
daemon_reload_cmd(struct ctlserver_conn *conn, int argc OVS_UNUSED,
                  const char *argv[] OVS_UNUSED, void *d_)
{
    struct ds msg = DS_EMPTY_INITIALIZER;
    if (daemon_reload(d_, &msg)) {
        ctlserver_reply(conn, ds_cstr(&msg));
    } else {
        ctlserver_reply_error(conn, ds_cstr(&msg));
    }
    ds_destroy(&msg);
}

static void
daemon_flows_cmd(struct ctlserver_conn *conn, int argc, const char *argv[],
                 void *d_)
{
    struct daemon *d = d_;
    const char *host = NULL, *bridge = NULL, *vm = NULL, *policy = NULL;
    for (int i = 0; i < argc; i++) {
        const char **slot = (!strcmp(argv[i], "--host") ? &host
                             : !strcmp(argv[i], "--bridge") ? &bridge
                             : !strcmp(argv[i], "--vm") ? &vm
                             : !strcmp(argv[i], "--policy") ? &policy
                             : NULL);
        if (!slot || i + 1 >= argc) {
            ctlserver_reply_error(conn, "usage: flows [--host H] "
                                  "[--bridge B] [--vm V | --policy P]");
            return;
        }
        *slot = argv[++i];
    }
    if (vm && policy) {
        ctlserver_reply_error(conn, "flows: --vm and --policy exclude each "
                              "other (usage: flows [--host H] [--bridge B] "
                              "[--vm V | --policy P])");
        return;
    }
    struct ds s = DS_EMPTY_INITIALIZER;
    if (switchmgr_format_flows(d->switches, host, bridge, vm, policy, &s)) {
        ctlserver_reply(conn, ds_cstr(&s));
    } else {
        ctlserver_reply_error(conn, ds_cstr(&s));
    }
    ds_destroy(&s);
}

/* "explain --from VM[/NIC] --to VM|IP [...]": what the desired flows of
 * the bridges on the path do to one packet (switchmgr_format_explain()). */
static void
daemon_explain_cmd(struct ctlserver_conn *conn, int argc, const char *argv[],
                   void *d_)
{
    struct daemon *d = d_;
    struct explain_req req;
    char *error = explain_req_parse(argc, argv, &req);
    if (error) {
        ctlserver_reply_error(conn, error);
        free(error);
        explain_req_destroy(&req);
        return;
    }
    struct ds s = DS_EMPTY_INITIALIZER;
    if (switchmgr_format_explain(d->switches, &req, &s)) {
        ctlserver_reply(conn, ds_cstr(&s));
    } else {
        ctlserver_reply_error(conn, ds_cstr(&s));
    }
    ds_destroy(&s);
    explain_req_destroy(&req);
}

/* "diagram [--host H]": the intent as a Graphviz DOT graph, with the live
 * state of the switches (diagram.h). */
static void
daemon_diagram_cmd(struct ctlserver_conn *conn, int argc, const char *argv[],
                   void *d_)
{
    struct daemon *d = d_;
    const char *host = NULL;
    if (argc == 2 && !strcmp(argv[0], "--host")) {
        host = argv[1];
    } else if (argc) {
        ctlserver_reply_error(conn, "usage: diagram [--host H]");
        return;
    }
    if (!d->intent) {
        ctlserver_reply_error(conn, "no intent loaded");
        return;
    }
    struct diagram_live *live = diagram_live_create();
    switchmgr_get_live(d->switches, live);
    struct ds s = DS_EMPTY_INITIALIZER;
    if (diagram_format(d->intent, host, live, &s)) {
        ctlserver_reply(conn, ds_cstr(&s));
    } else {
        ctlserver_reply_error(conn, ds_cstr(&s));
    }
    ds_destroy(&s);
    diagram_live_destroy(live);
}

/* A policy-stats request waiting for the switches: which client asked. */
struct stats_caller {
    struct ctlserver *ctl;
    unsigned long long int serial;
};

/* Answers the client 'caller_' (a struct stats_caller, freed) of a
 * policy-stats request with 'text', as the result if 'ok', else as an
 * error; nothing if the client went away meanwhile. */
static void
policy_stats_done(const char *text, bool ok, void *caller_)
{
    struct stats_caller *caller = caller_;
    struct ctlserver_conn *conn = ctlserver_find_conn(caller->ctl,
                                                      caller->serial);
    if (conn) {
        if (ok) {
            ctlserver_reply(conn, text);
        } else {
            ctlserver_reply_error(conn, text);
        }
    }
    free(caller);
}

/* "policy-stats [--policy P]": the answer comes later, from
 * policy_stats_done(), once the switches answered (polmon.h). */
static void
daemon_policy_stats_cmd(struct ctlserver_conn *conn, int argc,
                        const char *argv[], void *d_)
{
    struct daemon *d = d_;
    const char *policy = NULL;
    if (argc == 2 && !strcmp(argv[0], "--policy")) {
        policy = argv[1];
    } else if (argc) {
        ctlserver_reply_error(conn, "usage: policy-stats [--policy P]");
        return;
    }
    struct stats_caller *caller = xmalloc(sizeof *caller);
    caller->ctl = d->ctl;
    caller->serial = ctlserver_conn_serial(conn);
    switchmgr_policy_stats(d->switches, policy, policy_stats_done, caller);
}

/* "plan TEXT [NAME]": the flow changes that making the intent 'TEXT' (JSON,
 * not a file name: the daemon opens no file for its callers) current would
 * cause.  NAME labels errors (flowchainctl sends the file's name). */
static void
daemon_plan_cmd(struct ctlserver_conn *conn, int argc, const char *argv[],
                void *d_)
{
    struct daemon *d = d_;
    const char *text = argv[0];
    const char *name = argc > 1 ? argv[1] : "plan";
    if (text[strspn(text, " \t\r\n")] != '{') {
        ctlserver_reply_error(conn, "plan takes the intent's JSON text, not "
                              "a file name (the daemon opens no file for "
                              "its callers): use \"flowchainctl plan FILE\","
                              " which sends the file's content\n");
        return;
    }
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *next = intent_parse(text, &errors);
    struct ds s = DS_EMPTY_INITIALIZER;
    if (!next) {
        ds_put_format(&s, "%s: invalid intent, %"PRIuSIZE" error(s)\n",
                      name, errors.n);
        for (size_t i = 0; i < errors.n; i++) {
            ds_put_format(&s, "%s\n", errors.names[i]);
        }
        ctlserver_reply_error(conn, ds_cstr(&s));
    } else {
        switchmgr_format_plan(d->switches, next, &s);
        ctlserver_reply(conn, ds_cstr(&s));
    }
    intent_destroy(next);
    svec_destroy(&errors);
    ds_destroy(&s);
}

/* Replaces the content of the intent file 'path' by 'text', atomically:
 * writes a temporary file in the same directory, syncs it, gives it the
 * mode (and, if allowed, the owner) of the file it replaces, and renames
 * it over 'path'; a symbolic link is followed, so its target is replaced.
 * Returns NULL, or an error message (to free) with 'path' untouched. */
static char *
write_intent_file(const char *path, const char *text)
{
    char *real = realpath(path, NULL);
    const char *target = real ? real : path;
    struct stat st;
    bool exists = !stat(target, &st);
    char *tmp = xasprintf("%s.apply-XXXXXX", target);
    char *error = NULL;

    int fd = mkstemp(tmp);
    if (fd < 0) {
        error = xasprintf("%s: cannot create: %s", tmp, ovs_strerror(errno));
        goto out;
    }
    size_t len = strlen(text);
    for (size_t done = 0; done < len; ) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            error = xasprintf("%s: write failed: %s", tmp,
                              ovs_strerror(errno));
            break;
        }
        done += n;
    }
    if (!error && exists) {
        if (fchmod(fd, st.st_mode & 07777)) {
            error = xasprintf("%s: cannot set its mode: %s", tmp,
                              ovs_strerror(errno));
        } else if (fchown(fd, st.st_uid, st.st_gid)) {
            /* Not ours to give away: the file becomes the daemon's. */
            VLOG_WARN("%s: cannot keep the owner of %s: %s", tmp, target,
                      ovs_strerror(errno));
        }
    } else if (!error && fchmod(fd, 0644)) {
        error = xasprintf("%s: cannot set its mode: %s", tmp,
                          ovs_strerror(errno));
    }
    if (!error && fsync(fd)) {
        error = xasprintf("%s: fsync failed: %s", tmp, ovs_strerror(errno));
    }
    if (close(fd) && !error) {
        error = xasprintf("%s: close failed: %s", tmp, ovs_strerror(errno));
    }
    if (!error && rename(tmp, target)) {
        error = xasprintf("cannot rename %s to %s: %s", tmp, target,
                          ovs_strerror(errno));
    }
    if (error) {
        unlink(tmp);
        goto out;
    }

    /* The rename itself is durable once the directory is synced. */
    char *dir = xstrdup(target);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *(slash == dir ? slash + 1 : slash) = '\0';
    }
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);

out:
    free(tmp);
    free(real);
    return error;
}

/* "apply TEXT [NAME]": makes the intent 'TEXT' (JSON, as for "plan") the
 * content of the daemon's own intent file and loads it.  An invalid 'TEXT'
 * changes nothing: neither the file nor the running intent.  The reply is
 * the plan (what the load changes) and the reload's result. */
static void
daemon_apply_cmd(struct ctlserver_conn *conn, int argc, const char *argv[],
                 void *d_)
{
    struct daemon *d = d_;
    const char *text = argv[0];
    const char *name = argc > 1 ? argv[1] : "apply";
    if (!d->intent_path) {
        ctlserver_reply_error(conn, "no intent file: apply writes the file "
                              "flowchaind was started with (--intent), and "
                              "this one has none\n");
        return;
    }
    if (text[strspn(text, " \t\r\n")] != '{') {
        ctlserver_reply_error(conn, "apply takes the intent's JSON text, not "
                              "a file name (the daemon opens no file for "
                              "its callers): use \"flowchainctl apply "
                              "FILE\", which sends the file's content\n");
        return;
    }
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *next = intent_parse(text, &errors);
    struct ds s = DS_EMPTY_INITIALIZER;
    if (!next) {
        ds_put_format(&s, "%s: invalid intent, %"PRIuSIZE" error(s); %s not "
                      "written, the running intent and its flows are "
                      "unchanged\n", name, errors.n, d->intent_path);
        for (size_t i = 0; i < errors.n; i++) {
            ds_put_format(&s, "%s\n", errors.names[i]);
        }
        VLOG_WARN("apply refused: %s", ds_cstr(&s));
        ctlserver_reply_error(conn, ds_cstr(&s));
        goto out;
    }
    switchmgr_format_plan(d->switches, next, &s);

    char *error = write_intent_file(d->intent_path, text);
    if (error) {
        VLOG_WARN("apply: %s", error);
        ds_put_format(&s, "apply failed: %s; the intent file, the running "
                      "intent and its flows are unchanged\n", error);
        ctlserver_reply_error(conn, ds_cstr(&s));
        free(error);
        goto out;
    }
    VLOG_INFO("apply: wrote %s (%"PRIuSIZE" bytes from %s)", d->intent_path,
              strlen(text), name);
    ds_put_format(&s, "wrote %s\n", d->intent_path);
    bool ok = daemon_reload(d, &s);
    /* The file watcher would see the rename and load the file once more.
     * Restarting it takes the new file (its inode, and the times of the
     * read just done) as its reference: nothing to see. */
    ev_stat_stop(d->loop, &d->intent_watch);
    ev_stat_start(d->loop, &d->intent_watch);
    if (ok) {
        ctlserver_reply(conn, ds_cstr(&s));
    } else {
        ctlserver_reply_error(conn, ds_cstr(&s));
    }

out:
    intent_destroy(next);
    svec_destroy(&errors);
    ds_destroy(&s);
}

static void
vlog_set_cmd(struct ctlserver_conn *conn, int argc, const char *argv[],
             void *d_ OVS_UNUSED)
{
    for (int i = 0; i < argc; i++) {
        char *error = vlog_set_levels_from_string(argv[i]);
        if (error) {
            ctlserver_reply_error(conn, error);
            free(error);
            return;
        }
    }
    ctlserver_reply(conn, "");
}

static void
vlog_list_cmd(struct ctlserver_conn *conn, int argc OVS_UNUSED,
              const char *argv[] OVS_UNUSED, void *d_ OVS_UNUSED)
{
    char *levels = vlog_get_levels();
    ctlserver_reply(conn, levels);
    free(levels);
}

static void
vlog_reopen_cmd(struct ctlserver_conn *conn, int argc OVS_UNUSED,
                const char *argv[] OVS_UNUSED, void *d_ OVS_UNUSED)
{
    int error = vlog_reopen_log_file();
    if (error) {
        ctlserver_reply_error(conn, ovs_strerror(error));
    } else {
        ctlserver_reply(conn, "");
    }
}

/* Appends the metrics text to 'body' (metrics-http.h). */
static void
daemon_metrics_cb(struct ds *body, void *d_)
{
    struct daemon *d = d_;
    struct metrics_snapshot snap;
    metrics_snapshot_init(&snap);
    snap.start_time = d->start_time;
    snap.reloads_ok = d->reloads_ok;
    snap.reloads_refused = d->reloads_refused;
    if (d->intent) {
        /* The intent file, or with --db the database. */
        snap.intent_path = xstrdup(d->intent_path ? d->intent_path
                                   : d->db_remote);
        snap.intent_sha1 = xstrdup(daemon_intent_sha1(d));
    }
    switchmgr_get_metrics(d->switches, &snap);
    metrics_format(&snap, body);
    metrics_snapshot_destroy(&snap);
}

static void
sighup_cb(struct ev_loop *loop OVS_UNUSED, ev_signal *w, int revents OVS_UNUSED)
{
    struct ds msg = DS_EMPTY_INITIALIZER;
    VLOG_INFO("SIGHUP: reloading the intent");
    daemon_reload(w->data, &msg);
    ds_destroy(&msg);
}

static void
intent_changed_cb(struct ev_loop *loop OVS_UNUSED, ev_stat *w,
                  int revents OVS_UNUSED)
{
    struct daemon *d = w->data;
    if (!w->attr.st_nlink) {
        VLOG_WARN("%s: intent file removed; keeping the running intent",
                  d->intent_path);
        return;
    }
    struct ds msg = DS_EMPTY_INITIALIZER;
    VLOG_INFO("%s changed: reloading", d->intent_path);
    daemon_reload(d, &msg);
    ds_destroy(&msg);
}

/* Reads the intent from the database if its generation changed since the
 * last read, and installs it if it is valid (the same validator and the
 * same install as a reload of the file); an invalid one is logged and the
 * running intent stays. */
static void
daemon_db_read(struct daemon *d)
{
    const struct fcrec_global *g = fcrec_global_first(d->db);
    if (!g || g->generation == d->db_generation) {
        /* Checked first: rebuilding the text of a large intent on every
         * tick would cost a good part of a core. */
        return;
    }
    int64_t generation;
    char *text = intentdb_to_json(d->db, &generation);
    d->db_generation = generation;
    char *source = xasprintf("database %s generation %"PRId64,
                             d->db_remote, generation);
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *next = intent_parse(text, &errors);
    if (!next) {
        VLOG_WARN("%s: invalid intent, %"PRIuSIZE" error(s); the running "
                  "intent and its flows are unchanged", source, errors.n);
        for (size_t i = 0; i < errors.n; i++) {
            VLOG_WARN("%s", errors.names[i]);
        }
        d->reloads_refused++;
    } else {
        struct ds msg = DS_EMPTY_INITIALIZER;
        daemon_install(d, next, source, &msg);
        ds_destroy(&msg);
    }
    svec_destroy(&errors);
    free(source);
    free(text);
}

/* Notes the end of a heartbeat transaction.  This instance's own steady
 * run of heartbeats starts again after a gap that the others may have
 * judged dead (see daemon_self_live()). */
static void
daemon_db_heartbeat_done(struct daemon *d, enum ovsdb_idl_txn_status status)
{
    long long int now = time_msec();
    if (status == TXN_SUCCESS) {
        if (!d->db_self_since_ms
            || now - d->db_self_last_hb_ms > DB_PEER_DEAD_MS) {
            d->db_self_since_ms = now;
        }
        d->db_self_last_hb_ms = now;
    } else if (status != TXN_UNCHANGED) {
        VLOG_DBG("heartbeat: %s", ovsdb_idl_txn_status_to_string(status));
    }
    ovsdb_idl_txn_destroy(d->db_hb_txn);
    d->db_hb_txn = NULL;
}

/* Returns true if this instance counts itself live for assignment: the
 * others count it live only after DB_PEER_STABLE_MS of steady heartbeats
 * (after its start, or after a gap), so it waits that long too, with a
 * margin, before it claims switches; otherwise a restarted instance and
 * the ones that took its switches would take them from each other until
 * they agree.  Alone in the database, it is live at once. */
static bool
daemon_self_live(const struct daemon *d)
{
    long long int now = time_msec();
    if (shash_count(&d->db_peers)
        == (shash_find(&d->db_peers, d->instance_id) ? 1 : 0)) {
        return true;            /* No other instance in the database. */
    }
    return (d->db_self_since_ms
            && now - d->db_self_last_hb_ms <= DB_PEER_DEAD_MS
            && now - d->db_self_since_ms >= DB_PEER_STABLE_MS + 300);
}

/* Every DB_HEARTBEAT_MS, increments this instance's heartbeat in its Instance row
 * (creating the row the first time).  Other instances judge liveness by
 * how long ago, on their own clock, they saw the counter change. */
static void
daemon_db_heartbeat(struct daemon *d)
{
    if (d->db_hb_txn) {
        enum ovsdb_idl_txn_status status
            = ovsdb_idl_txn_commit(d->db_hb_txn);
        if (status == TXN_INCOMPLETE) {
            return;
        }
        daemon_db_heartbeat_done(d, status);
    }
    long long int now = time_msec();
    if (now < d->db_next_heartbeat || !ovsdb_idl_is_connected(d->db)
        || !ovsdb_idl_has_ever_connected(d->db)) {
        return;
    }
    d->db_next_heartbeat = now + DB_HEARTBEAT_MS;
    d->db_hb_txn = ovsdb_idl_txn_create(d->db);
    const struct fcrec_instance *row = NULL, *r;
    FCREC_INSTANCE_FOR_EACH (r, d->db) {
        if (!strcmp(r->name, d->instance_id)) {
            row = r;
            break;
        }
    }
    if (!row) {
        row = fcrec_instance_insert(d->db_hb_txn);
        fcrec_instance_set_name(row, d->instance_id);
        fcrec_instance_set_address(row, "");
        fcrec_instance_set_heartbeat(row, 1);
    } else {
        fcrec_instance_set_heartbeat(row, row->heartbeat + 1);
    }
    enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(d->db_hb_txn);
    if (status != TXN_INCOMPLETE) {
        daemon_db_heartbeat_done(d, status);
    }
}

/* Notes, for every row of the Instance table, when its heartbeat last
 * changed (on this host's clock: no clock is compared across hosts);
 * forgets the instances whose rows are gone. */
static void
daemon_db_observe(struct daemon *d)
{
    if (!d->db_connected) {
        /* The rows are as of the last contact: liveness stays as it was. */
        return;
    }
    long long int now = time_msec();
    struct shash_node *node;
    SHASH_FOR_EACH (node, &d->db_peers) {
        struct db_peer *p = node->data;
        p->present = false;
    }
    const struct fcrec_instance *r;
    FCREC_INSTANCE_FOR_EACH (r, d->db) {
        struct db_peer *p = shash_find_data(&d->db_peers, r->name);
        if (!p) {
            /* Seen for the first time: assumed live until its heartbeat
             * shows otherwise. */
            p = xzalloc(sizeof *p);
            p->heartbeat = r->heartbeat;
            p->seen_ms = p->moving_since_ms = now;
            p->live = true;
            shash_add(&d->db_peers, r->name, p);
        } else if (p->heartbeat != r->heartbeat) {
            p->heartbeat = r->heartbeat;
            if (now - p->seen_ms > DB_PEER_DEAD_MS) {
                p->moving_since_ms = now;
            }
            p->seen_ms = now;
        }
        p->present = true;
        if (now - p->seen_ms > DB_PEER_DEAD_MS) {
            p->live = false;
        } else if (!p->live && now - p->moving_since_ms >= DB_PEER_STABLE_MS) {
            p->live = true;
        }
    }
    SHASH_FOR_EACH_SAFE (node, &d->db_peers) {
        struct db_peer *p = node->data;
        if (!p->present) {
            free(p);
            shash_delete(&d->db_peers, node);
        }
    }

    sset_clear(&d->db_live);
    if (daemon_self_live(d)) {
        sset_add(&d->db_live, d->instance_id);
    }
    SHASH_FOR_EACH (node, &d->db_peers) {
        const struct db_peer *p = node->data;
        if (p->live && strcmp(node->name, d->instance_id)) {
            sset_add(&d->db_live, node->name);
        }
    }
}

/* switchmgr_is_mine_func: rendezvous hashing of 'dpid' over the live
 * instances. */
static bool
daemon_is_mine(uint64_t dpid, void *d_)
{
    const struct daemon *d = d_;
    const char *owner = rendezvous_owner(dpid, &d->db_live);
    return owner && !strcmp(owner, d->instance_id);
}

/* Finishes the role generation transaction in flight, if it is done: on
 * success, asks to be master of this instance's switches with it. */
static void
daemon_db_claim_finish(struct daemon *d)
{
    enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(d->db_claim_txn);
    if (status == TXN_INCOMPLETE) {
        return;
    }
    if (status == TXN_SUCCESS) {
        d->db_claims++;
        VLOG_DBG("role generation %"PRId64" taken", d->db_claim_generation);
        switchmgr_claim_masters(d->switches, daemon_is_mine, d,
                                d->db_claim_generation, DB_MAX_CLAIM);
    } else {
        /* TRY_AGAIN (another instance took one first), or no database:
         * the next pass tries again with what the database says then. */
        VLOG_DBG("taking a role generation: %s",
                 ovsdb_idl_txn_status_to_string(status));
    }
    ovsdb_idl_txn_destroy(d->db_claim_txn);
    d->db_claim_txn = NULL;
}

/* Decides this instance's role on every connected switch: slave of those
 * the rendezvous hash gives to another live instance; for its own, takes a
 * new role generation in the database (Global.role_generation, incremented
 * in a transaction guarded by a verify, so no two claims share one) and
 * asks to be master with it.  Nothing changes while the database is
 * unreachable: the roles stay as they are. */
static void
daemon_db_roles(struct daemon *d)
{
    if (d->db_claim_txn) {
        daemon_db_claim_finish(d);
    }
    if (!d->db_connected) {
        d->db_roles_ready = false;
        return;
    }
    if (!d->db_roles_ready) {
        /* Freshly (re)connected: every instance row counts as live until
         * DB_PEER_DEAD_MS shows whether its heartbeat moves. */
        if (time_msec() - d->db_connected_ms <= DB_PEER_DEAD_MS) {
            return;
        }
        d->db_roles_ready = true;
    }
    long long int now = time_msec();
    if (now < d->db_settle_until_ms) {
        return;
    }
    if (!d->db_self_last_hb_ms
        || now - d->db_self_last_hb_ms > DB_PEER_DEAD_MS) {
        /* Our own heartbeats do not commit: the database is not usable
         * now, and the others' liveness cannot be judged.  Roles stay. */
        return;
    }
    uint64_t floor;
    if (!switchmgr_update_roles(d->switches, daemon_is_mine, d, &floor)
        || d->db_claim_txn) {
        return;
    }
    const struct fcrec_global *g = fcrec_global_first(d->db);
    if (!g) {
        return;                 /* No intent in the database yet. */
    }
    int64_t next = MAX(g->role_generation, (int64_t) floor) + 1;
    d->db_claim_txn = ovsdb_idl_txn_create(d->db);
    ovsdb_idl_txn_add_comment(d->db_claim_txn,
                              "flowchaind %s: role generation %"PRId64,
                              d->instance_id, next);
    fcrec_global_verify_role_generation(g);
    fcrec_global_set_role_generation(g, next);
    d->db_claim_generation = next;
    daemon_db_claim_finish(d);
}

/* The --db timer (every 20 ms): runs the IDL, logs connection changes,
 * installs a new intent generation, heartbeats. */
static void
db_timer_cb(struct ev_loop *loop OVS_UNUSED, ev_timer *w,
            int revents OVS_UNUSED)
{
    struct daemon *d = w->data;
    long long int now = time_msec();
    if (d->db_last_tick_ms && now - d->db_last_tick_ms > DB_LATE_TICK_MS) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
        VLOG_INFO_RL(&rl, "the event loop was busy for %lld ms (the 20 ms "
                     "database tick came late): no role decisions for %d ms",
                     now - d->db_last_tick_ms, DB_PEER_DEAD_MS);
        d->db_settle_until_ms = now + DB_PEER_DEAD_MS;
    }
    d->db_last_tick_ms = now;
    ovsdb_idl_run(d->db);
    bool connected = ovsdb_idl_is_connected(d->db);
    if (connected != d->db_connected) {
        d->db_connected = connected;
        if (connected) {
            d->db_connected_ms = time_msec();
            /* The gap was the database's, not the instances': nobody is
             * judged by it (a fresh DB_PEER_DEAD_MS for every one). */
            struct shash_node *node;
            SHASH_FOR_EACH (node, &d->db_peers) {
                struct db_peer *p = node->data;
                p->seen_ms = d->db_connected_ms;
                if (!p->live) {
                    /* A dead one must still show 2 s of heartbeats. */
                    p->moving_since_ms = d->db_connected_ms;
                }
            }
            if (d->db_self_last_hb_ms) {
                d->db_self_last_hb_ms = d->db_connected_ms;
            }
            VLOG_INFO("database %s: connected", d->db_remote);
        } else {
            VLOG_WARN("database %s: disconnected; enforcing the last intent "
                      "read", d->db_remote);
        }
    }
    daemon_db_read(d);
    daemon_db_observe(d);
    daemon_db_heartbeat(d);
    daemon_db_roles(d);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents OVS_UNUSED)
{
    VLOG_INFO("received signal %d, exiting", w->signum);
    ev_break(loop, EVBREAK_ALL);
}

/* Loads the intent at 'path', printing its errors.  Returns NULL if it is
 * invalid. */
static struct intent *
load_intent(const char *path)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_load_file(path, &errors);
    if (!intent) {
        fprintf(stderr, "flowchaind: %s: invalid intent, %"PRIuSIZE
                " error(s):\n", path, errors.n);
        for (size_t i = 0; i < errors.n; i++) {
            fprintf(stderr, "%s\n", errors.names[i]);
        }
    }
    svec_destroy(&errors);
    return intent;
}

static void
write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        ovs_fatal(errno, "%s: cannot write pidfile", path);
    }
    fprintf(f, "%ld\n", (long int) getpid());
    fclose(f);
}

/* Parses a positive number of 'unit's for 'option' from 'arg'. */
static double
parse_positive(const char *option, const char *arg, const char *unit)
{
    char *end;
    double v = strtod(arg, &end);
    if (*end || v <= 0) {
        ovs_fatal(0, "--%s: expected a positive number of %s, got \"%s\"",
                  option, unit, arg);
    }
    return v;
}

/* Returns the group ID of 'name' (a group name or number), or exits. */
static gid_t
parse_group(const char *name)
{
    struct group *gr = getgrnam(name);
    if (gr) {
        return gr->gr_gid;
    }
    char *end;
    unsigned long int gid = strtoul(name, &end, 10);
    if (*name && !*end && name[0] != '-' && gid < (gid_t) -1) {
        return gid;
    }
    ovs_fatal(0, "--control-group: no group \"%s\"", name);
}

/* Keeps freed memory in the heap for the next reload.  A reload builds
 * the new model next to the running one (tens of MB for 10,000 VMs), and
 * the running one is freed soon after; by default glibc gives large
 * blocks back to the kernel at once (mmap) and trims the heap's top, so
 * each reload would fault every page of its model in again, which is
 * expensive on some virtual machines.  With these settings the process
 * holds its high-water mark (about two models) instead. */
static void
keep_heap(void)
{
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
}

int
main(int argc, char *argv[])
{
    enum {
        OPT_INTENT = UCHAR_MAX + 1, OPT_LISTEN, OPT_CONTROL, OPT_PIDFILE,
        OPT_PROBE, OPT_HANDSHAKE, OPT_MAX_QUEUE, OPT_LOG_FILE, OPT_SYSLOG,
        OPT_HIT_LOG_RATE,
        OPT_PRIVATE_KEY, OPT_CERTIFICATE, OPT_CA_CERT, OPT_MAX_CONNECTIONS,
        OPT_CONTROL_GROUP, OPT_METRICS, OPT_STATS_INTERVAL,
        OPT_DB, OPT_INSTANCE_ID,
    };
    static const struct option long_options[] = {
        {"intent", required_argument, NULL, OPT_INTENT},
        {"db", required_argument, NULL, OPT_DB},
        {"instance-id", required_argument, NULL, OPT_INSTANCE_ID},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"control", required_argument, NULL, OPT_CONTROL},
        {"pidfile", required_argument, NULL, OPT_PIDFILE},
        {"probe-interval", required_argument, NULL, OPT_PROBE},
        {"handshake-timeout", required_argument, NULL, OPT_HANDSHAKE},
        {"max-queue", required_argument, NULL, OPT_MAX_QUEUE},
        {"hit-log-rate", required_argument, NULL, OPT_HIT_LOG_RATE},
        {"private-key", required_argument, NULL, OPT_PRIVATE_KEY},
        {"certificate", required_argument, NULL, OPT_CERTIFICATE},
        {"ca-cert", required_argument, NULL, OPT_CA_CERT},
        {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
        {"control-group", required_argument, NULL, OPT_CONTROL_GROUP},
        {"metrics", required_argument, NULL, OPT_METRICS},
        {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
        {"verbose", optional_argument, NULL, 'v'},
        {"log-file", required_argument, NULL, OPT_LOG_FILE},
        {"syslog", no_argument, NULL, OPT_SYSLOG},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct svec listens = SVEC_EMPTY_INITIALIZER;
    const char *control = DEFAULT_CONTROL;
    const char *pidfile = NULL;
    struct ofsession_config cfg;
    struct daemon d = { .intent_path = NULL };
    unsigned int hit_log_rate = POLMON_DEFAULT_RATE;
    const char *private_key = NULL, *certificate = NULL, *ca_cert = NULL;
    size_t max_connections = 0;
    gid_t control_group = (gid_t) -1;
    const char *metrics_target = NULL;
    double stats_interval = DEFAULT_STATS_INTERVAL;

    set_program_name(argv[0]);
    keep_heap();
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_INFO);
    vlog_set_levels(NULL, VLF_SYSLOG, VLL_OFF);
    ofsession_config_default(&cfg);

    for (;;) {
        int c = getopt_long(argc, argv, "v::hV", long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_INTENT:
            d.intent_path = optarg;
            break;
        case OPT_DB:
            d.db_remote = xstrdup(optarg);
            break;
        case OPT_INSTANCE_ID:
            d.instance_id = optarg;
            break;
        case OPT_LISTEN:
            svec_add(&listens, optarg);
            break;
        case OPT_CONTROL:
            control = optarg;
            break;
        case OPT_PIDFILE:
            pidfile = optarg;
            break;
        case OPT_PROBE:
            cfg.probe_interval_ms = parse_positive("probe-interval",
                                                   optarg, "seconds") * 1000;
            cfg.inactivity_ms = 3 * cfg.probe_interval_ms;
            break;
        case OPT_HANDSHAKE:
            cfg.handshake_ms = cfg.stall_ms
                = parse_positive("handshake-timeout", optarg, "seconds") * 1000;
            break;
        case OPT_MAX_QUEUE:
            cfg.max_queue_bytes = parse_positive("max-queue", optarg,
                                                 "MiB") * 1024 * 1024;
            break;
        case OPT_HIT_LOG_RATE:
            hit_log_rate = parse_positive("hit-log-rate", optarg,
                                          "packets per second");
            if (hit_log_rate < 1 || hit_log_rate > 1000000) {
                ovs_fatal(0, "--hit-log-rate: expected 1 to 1000000 packets "
                          "per second, got \"%s\"", optarg);
            }
            break;
        case OPT_PRIVATE_KEY:
            private_key = optarg;
            break;
        case OPT_CERTIFICATE:
            certificate = optarg;
            break;
        case OPT_CA_CERT:
            ca_cert = optarg;
            break;
        case OPT_MAX_CONNECTIONS: {
            char *end;
            unsigned long int n = strtoul(optarg, &end, 10);
            if (*end || !n || n > 1000000 || optarg[0] == '-') {
                ovs_fatal(0, "--max-connections: expected 1 to 1000000, got "
                          "\"%s\"", optarg);
            }
            max_connections = n;
            break;
        }
        case OPT_CONTROL_GROUP:
            control_group = parse_group(optarg);
            break;
        case OPT_METRICS:
            metrics_target = optarg;
            break;
        case OPT_STATS_INTERVAL:
            stats_interval = parse_positive("stats-interval", optarg,
                                            "seconds");
            if (stats_interval < 0.1 || stats_interval > 86400) {
                ovs_fatal(0, "--stats-interval: expected 0.1 to 86400 "
                          "seconds, got \"%s\"", optarg);
            }
            break;
        case 'v':
            vlog_set_verbosity(optarg);
            break;
        case OPT_LOG_FILE:
            if (vlog_set_log_file(optarg)) {
                ovs_fatal(0, "%s: cannot open log file", optarg);
            }
            break;
        case OPT_SYSLOG:
            vlog_set_levels(NULL, VLF_SYSLOG, VLL_INFO);
            vlog_set_levels(NULL, VLF_CONSOLE, VLL_OFF);
            break;
        case 'h':
            usage();
            exit(EXIT_SUCCESS);
        case 'V':
            printf("flowchaind " FLOWCHAIN_VERSION "\n");
            exit(EXIT_SUCCESS);
        default:
            fprintf(stderr, "try 'flowchaind --help'\n");
            exit(EXIT_FAILURE);
        }
    }
    if (optind < argc) {
        ovs_fatal(0, "unexpected argument \"%s\" (try --help)", argv[optind]);
    }
    if (!listens.n) {
        svec_add(&listens, DEFAULT_LISTEN);
    }
    if (d.db_remote && d.intent_path) {
        ovs_fatal(0, "--db and --intent exclude each other: the intent "
                  "comes from one place");
    }
    if (d.instance_id && !d.db_remote) {
        ovs_fatal(0, "--instance-id needs --db");
    }
    char hostname[256];
    if (d.db_remote && !d.instance_id) {
        if (gethostname(hostname, sizeof hostname)) {
            ovs_fatal(errno, "gethostname (give --instance-id)");
        }
        hostname[sizeof hostname - 1] = '\0';
        d.instance_id = hostname;
    }
    struct stream_tls *tls = NULL;
    if (private_key || certificate || ca_cert) {
        if (!private_key || !certificate || !ca_cert) {
            ovs_fatal(0, "TLS needs all of --private-key, --certificate and "
                      "--ca-cert");
        }
        char *error;
        tls = stream_tls_create(private_key, certificate, ca_cert, &error);
        if (!tls) {
            ovs_fatal(0, "%s", error);
        }
    }

    if (d.intent_path) {
        d.intent = load_intent(d.intent_path);
        if (!d.intent) {
            exit(EXIT_FAILURE);
        }
        log_intent_warnings(d.intent);
        d.intent_seq++;
    }
    d.start_time = time(NULL);

    signal(SIGPIPE, SIG_IGN);
    d.loop = EV_DEFAULT;
    d.switches = switchmgr_create(d.loop, &cfg);
    switchmgr_set_hit_log_rate(d.switches, hit_log_rate);
    if (tls) {
        struct ds desc = DS_EMPTY_INITIALIZER;
        stream_tls_describe(tls, &desc);
        VLOG_INFO("TLS certificate: %s", ds_cstr(&desc));
        ds_destroy(&desc);
        switchmgr_set_tls(d.switches, tls);
    }
    if (max_connections) {
        switchmgr_set_max_connections(d.switches, max_connections);
    }
    switchmgr_set_intent(d.switches, d.intent);
    if (d.db_remote) {
        /* Several instances: each switch connects to all of them, and
         * OpenFlow roles say which one writes to it. */
        switchmgr_enable_roles(d.switches);
    }
    for (size_t i = 0; i < listens.n; i++) {
        char *error;
        if (!switchmgr_listen(d.switches, listens.names[i], &error)) {
            ovs_fatal(0, "cannot listen: %s", error);
        }
    }

    char *error;
    if (metrics_target) {
        d.metrics = metrics_http_create(d.loop, metrics_target,
                                        daemon_metrics_cb, &d, &error);
        if (!d.metrics) {
            ovs_fatal(0, "--metrics: %s", error);
        }
        switchmgr_set_stats_interval(d.switches, stats_interval);
    }

    char *control_dir = xstrdup(control);
    char *slash = strrchr(control_dir, '/');
    if (slash && slash != control_dir) {
        *slash = '\0';
        mkdir(control_dir, 0755);
    }
    free(control_dir);
    d.ctl = ctlserver_create(d.loop, control, control_group, &error);
    if (!d.ctl) {
        ovs_fatal(0, "cannot open control socket: %s", error);
    }
    ctlserver_register(d.ctl, "status", "[--ports] [--host H] [--bridge B]",
                       0, 5, daemon_status_cmd, &d);
    ctlserver_register(d.ctl, "version", "", 0, 0, daemon_version_cmd, &d);
    ctlserver_register(d.ctl, "exit", "", 0, 0, daemon_exit_cmd, &d);
    ctlserver_register(d.ctl, "reload", "", 0, 0, daemon_reload_cmd, &d);
    ctlserver_register(d.ctl, "flows",
                       "[--host H] [--bridge B] [--vm V | --policy P]",
                       0, 6, daemon_flows_cmd, &d);
    ctlserver_register(d.ctl, "explain",
                       EXPLAIN_REQ_USAGE + strlen("explain "), 0, 16,
                       daemon_explain_cmd, &d);
    ctlserver_register(d.ctl, "policy-stats", "[--policy P]", 0, 2,
                       daemon_policy_stats_cmd, &d);
    ctlserver_register(d.ctl, "plan", "INTENT-JSON [NAME]", 1, 2,
                       daemon_plan_cmd, &d);
    ctlserver_register(d.ctl, "diagram", "[--host H]", 0, 2,
                       daemon_diagram_cmd, &d);
    ctlserver_register(d.ctl, "apply", "INTENT-JSON [NAME]", 1, 2,
                       daemon_apply_cmd, &d);
    ctlserver_register(d.ctl, "vlog/set", "{SPEC | MODULE:DEST:LEVEL}", 1,
                       INT_MAX, vlog_set_cmd, &d);
    ctlserver_register(d.ctl, "vlog/list", "", 0, 0, vlog_list_cmd, &d);
    ctlserver_register(d.ctl, "vlog/reopen", "", 0, 0, vlog_reopen_cmd, &d);

    if (pidfile) {
        write_pidfile(pidfile);
    }

    ev_signal sigterm, sigint;
    ev_signal_init(&sigterm, signal_cb, SIGTERM);
    ev_signal_init(&sigint, signal_cb, SIGINT);
    ev_signal_start(d.loop, &sigterm);
    ev_signal_start(d.loop, &sigint);
    ev_timer_init(&d.retire_timer, retire_cb, RETIRE_DELAY, 0.0);
    d.retire_timer.data = &d;
    ev_signal_init(&d.sighup, sighup_cb, SIGHUP);
    d.sighup.data = &d;
    ev_signal_start(d.loop, &d.sighup);
    if (d.intent_path) {
        ev_stat_init(&d.intent_watch, intent_changed_cb, d.intent_path, 0.5);
        d.intent_watch.data = &d;
        ev_stat_start(d.loop, &d.intent_watch);
    }
    if (d.db_remote) {
        d.db = intentdb_idl_create(d.db_remote);
        shash_init(&d.db_peers);
        sset_init(&d.db_live);
        ev_timer_init(&d.db_timer, db_timer_cb, 0.0, 0.02);
        d.db_timer.data = &d;
        ev_timer_start(d.loop, &d.db_timer);
        VLOG_INFO("following the intent in database %s as instance %s",
                  d.db_remote, d.instance_id);
    }
    VLOG_INFO("flowchaind " FLOWCHAIN_VERSION " started; control socket %s",
              control);

    ev_run(d.loop, 0);

    if (d.intent_path) {
        ev_stat_stop(d.loop, &d.intent_watch);
    }
    if (d.db) {
        ev_timer_stop(d.loop, &d.db_timer);
        if (d.db_hb_txn) {
            ovsdb_idl_txn_destroy(d.db_hb_txn);
        }
        if (d.db_claim_txn) {
            ovsdb_idl_txn_destroy(d.db_claim_txn);
        }
        ovsdb_idl_destroy(d.db);
        shash_destroy_free_data(&d.db_peers);
        sset_destroy(&d.db_live);
    }
    free(d.db_remote);
    metrics_http_destroy(d.metrics);
    switchmgr_destroy(d.switches);
    ctlserver_destroy(d.ctl);
    ev_timer_stop(d.loop, &d.retire_timer);
    intent_destroy(d.retired);
    intent_destroy(d.intent);
    svec_destroy(&listens);
    if (pidfile) {
        unlink(pidfile);
    }
    VLOG_INFO("exited cleanly");
    return 0;
}
