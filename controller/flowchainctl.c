/*
 * flowchainctl: the command-line client of flowchaind.
 *
 * "check FILE" validates an intent locally, and "diagram --intent FILE"
 * draws one; every other command is sent to the daemon's control socket,
 * in the JSON-RPC that ovs-appctl speaks.
 * "plan FILE" and "apply FILE" read FILE here and send its content;
 * "apply" sends only an intent that is valid here.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "controller/ctlserver.h"
#include "controller/diagram.h"
#include "controller/explain-req.h"
#include "controller/intentdb.h"
#include "jsonrpc.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "svec.h"
#include "unixctl.h"
#include "util.h"

#define DEFAULT_CONTROL "/var/run/flowchain/flowchaind.ctl"

static void
usage(void)
{
    printf("flowchainctl: control and query flowchaind\n"
           "usage: flowchainctl [--control=PATH] COMMAND [ARG...]\n"
           "\n"
           "Commands that need no daemon:\n"
           "  check FILE        validate an intent file; exit 0 if valid, 1 "
           "if not\n"
           "\n"
           "Commands sent to the daemon:\n"
           "  status [--ports] [--host H] [--bridge B]\n"
           "                    one line per connected switch (sync state, "
           "ports of the\n"
           "                    intent present/expected, flows, groups), "
           "the bridges not\n"
           "                    connected, totals, the hit-log counters; "
           "--ports: every\n"
           "                    detail and every port; --host, --bridge: "
           "only those bridges\n"
           "  version           the daemon's version\n"
           "  exit              stop the daemon\n"
           "  reload            load the intent file again (an invalid one "
           "changes\n"
           "                    nothing)\n"
           "  flows [--host H] [--bridge B] [--vm V | --policy P]\n"
           "                    the desired flows, in ovs-ofctl syntax\n"
           "  policy-stats [--policy P]\n"
           "                    packets and bytes per policy rule, allowed, "
           "denied and\n"
           "                    would-be-denied (monitor mode), summed over "
           "the switches\n"
           "  explain --from VM[/NIC] --to VM|IP [--tcp PORT | --udp PORT | "
           "--icmp]\n"
           "          [--dl-dst MAC] [--json]\n"
           "                    walk one packet (default: an ICMP echo "
           "request) through\n"
           "                    the desired flows of each bridge on its "
           "path: the flow\n"
           "                    matched in each table, the intent object "
           "it comes from,\n"
           "                    the output port or the drop, and the "
           "policy that decided\n"
           "                    (conntrack: the first packet of a new "
           "connection)\n"
           "  plan FILE         the flow changes loading FILE would make, "
           "per bridge\n"
           "                    (FILE is read here, at most 8 MiB, and its "
           "content sent)\n"
           "  diagram [--host H] [--format dot|svg] [--intent FILE]\n"
           "                    draw hosts, bridges, bonds, networks, VMs "
           "and adapters\n"
           "                    with the switches' live state, as Graphviz "
           "DOT (default)\n"
           "                    or SVG (needs dot on PATH); with --intent, "
           "draw FILE\n"
           "                    here, without a daemon and without live "
           "state\n"
           "  apply FILE        validate FILE here, then have the daemon "
           "print its plan,\n"
           "                    write it to the daemon's own intent file and "
           "reload\n"
           "                    (an invalid FILE changes nothing)\n"
           "  apply --db=DB FILE  validate FILE here, then write it into "
           "the flowchain\n"
           "                    OVSDB database DB (tcp:IP:PORT, unix:PATH; "
           "a cluster's\n"
           "                    members comma-separated) in one "
           "transaction; no daemon\n"
           "                    is asked.  --db-timeout=MS (default 10000): "
           "no quorum\n"
           "                    within MS fails and changes nothing\n"
           "  list-commands     every command the daemon knows\n"
           "  vlog/set SPEC, vlog/list, vlog/reopen\n"
           "                    log levels and log file, as in ovs-appctl\n"
           "\n"
           "Options:\n"
           "  -t, --control=PATH  the daemon's control socket (default:\n"
           "                    $FLOWCHAIN_CONTROL, else "
           DEFAULT_CONTROL ")\n"
           "  -h, --help        show this help\n"
           "  -V, --version     show the version\n");
}

/* Validates the intent at 'path'; prints the summary (and any warnings, on
 * stderr, which do not make it invalid) or the errors. */
static int
check_file(const char *path)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_load_file(path, &errors);
    int status;
    if (intent) {
        const struct svec *warnings = intent_warnings(intent);
        for (size_t i = 0; i < warnings->n; i++) {
            fprintf(stderr, "warning: %s\n", warnings->names[i]);
        }

        struct ds s = DS_EMPTY_INITIALIZER;
        intent_format_summary(intent, &s);
        printf("%s: %s\n", path, ds_cstr(&s));
        ds_destroy(&s);
        status = 0;
    } else {
        for (size_t i = 0; i < errors.n; i++) {
            printf("%s\n", errors.names[i]);
        }
        fprintf(stderr, "%s: %"PRIuSIZE" error(s)\n", path, errors.n);
        status = 1;
    }
    intent_destroy(intent);
    svec_destroy(&errors);
    return status;
}

/* Reads the intent file 'path' for 'command' ("plan" or "apply") into
 * '*textp' (to free).  Returns NULL, or an error message (to free) if it
 * cannot be read, is not a regular file, holds a NUL byte or is larger than
 * the daemon takes. */
static char *
read_intent_file(const char *command, const char *path, char **textp)
{
    *textp = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return xasprintf("%s: %s", path, ovs_strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return xasprintf("%s: not a regular file", path);
    }
    struct ds text = DS_EMPTY_INITIALIZER;
    char *error = NULL;
    for (;;) {
        char buf[65536];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            error = xasprintf("%s: read failed: %s", path,
                              ovs_strerror(errno));
            break;
        } else if (!n) {
            break;
        }
        ds_put_buffer(&text, buf, n);
        if (text.length > CTLSERVER_MAX_PLAN_BYTES) {
            error = xasprintf("%s: larger than %d MiB, the most %s "
                              "sends", path,
                              CTLSERVER_MAX_PLAN_BYTES / (1024 * 1024),
                              command);
            break;
        }
    }
    close(fd);
    if (!error && memchr(ds_cstr_ro(&text), '\0', text.length)) {
        error = xasprintf("%s: contains a NUL byte: not an intent", path);
    }
    if (error) {
        ds_destroy(&text);
        return error;
    }
    *textp = ds_steal_cstr(&text);
    return NULL;
}

/* Sends 'command' with its arguments to the daemon at 'control'.  Returns
 * 0 and sets '*resultp' (to free; may be NULL) on success; otherwise prints
 * the error and returns 1 (the daemon refused) or 2 (no answer). */
static int
daemon_transact(const char *control, const char *command, int n_args,
                char *args[], char **resultp)
{
    *resultp = NULL;
    struct jsonrpc *client;
    int error = unixctl_client_create(control, &client);
    if (error) {
        fprintf(stderr, "flowchainctl: cannot connect to %s: %s (is "
                "flowchaind running? see --control)\n", control,
                ovs_strerror(error));
        return 2;
    }
    char *result = NULL, *err = NULL;
    error = unixctl_client_transact(client, command, n_args, args, &result,
                                    &err);
    jsonrpc_close(client);
    if (error) {
        fprintf(stderr, "flowchainctl: %s: transaction failed: %s\n",
                control, ovs_strerror(error));
        return 2;
    }
    int status = 0;
    if (err) {
        fprintf(stderr, "flowchainctl: %s", err);
        if (!*err || err[strlen(err) - 1] != '\n') {
            fputc('\n', stderr);
        }
        status = 1;
        free(result);
    } else {
        *resultp = result;
    }
    free(err);
    return status;
}

/* Returns the full path (to free) of the executable 'name' found in $PATH,
 * or NULL. */
static char *
find_in_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path) {
        return NULL;
    }
    char *copy = xstrdup(path);
    char *save = NULL;
    char *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir;
         dir = strtok_r(NULL, ":", &save)) {
        char *file = xasprintf("%s/%s", dir, name);
        struct stat st;
        if (!stat(file, &st) && S_ISREG(st.st_mode)
            && !access(file, X_OK)) {
            found = file;
            break;
        }
        free(file);
    }
    free(copy);
    return found;
}

/* Writes the DOT text 'dot' to standard output as SVG, through Graphviz's
 * "dot -Tsvg".  Returns 0, or 1 after printing why it failed. */
static int
write_svg(const char *dot)
{
    char *prog = find_in_path("dot");
    if (!prog) {
        fprintf(stderr, "flowchainctl: --format svg needs Graphviz's "
                "\"dot\", not found on PATH (install the graphviz "
                "package, or use --format dot)\n");
        return 1;
    }
    fflush(stdout);
    int fds[2];
    if (pipe(fds)) {
        fprintf(stderr, "flowchainctl: pipe: %s\n", ovs_strerror(errno));
        free(prog);
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "flowchainctl: fork: %s\n", ovs_strerror(errno));
        close(fds[0]);
        close(fds[1]);
        free(prog);
        return 1;
    } else if (!pid) {
        dup2(fds[0], STDIN_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(prog, "dot", "-Tsvg", (char *) NULL);
        fprintf(stderr, "flowchainctl: %s: %s\n", prog, ovs_strerror(errno));
        _exit(127);
    }
    close(fds[0]);

    /* A dot that quits early must not kill us with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    size_t len = strlen(dot);
    int write_error = 0;
    while (len) {
        ssize_t n = write(fds[1], dot, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            write_error = errno;
            break;
        }
        dot += n;
        len -= n;
    }
    close(fds[1]);

    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
        continue;
    }
    int status = 0;
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus)) {
        fprintf(stderr, "flowchainctl: %s -Tsvg failed (%s)\n", prog,
                WIFEXITED(wstatus) ? "non-zero exit status" : "killed");
        status = 1;
    } else if (write_error) {
        fprintf(stderr, "flowchainctl: writing to %s: %s\n", prog,
                ovs_strerror(write_error));
        status = 1;
    }
    free(prog);
    return status;
}

/* "diagram [--host H] [--format dot|svg] [--intent FILE]": draws the
 * intent of the daemon at 'control' with its live state, or the intent
 * FILE here, without live state. */
static int
diagram_cmd(const char *control, int argc, char *argv[])
{
    static const char usage_text[] = "usage: flowchainctl diagram "
        "[--host H] [--format dot|svg] [--intent FILE]\n";
    char *host = NULL;
    const char *format = "dot", *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (i + 1 >= argc) {
            fputs(usage_text, stderr);
            return 2;
        }
        if (!strcmp(argv[i], "--host")) {
            host = argv[++i];
        } else if (!strcmp(argv[i], "--format")) {
            format = argv[++i];
        } else if (!strcmp(argv[i], "--intent")) {
            file = argv[++i];
        } else {
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (strcmp(format, "dot") && strcmp(format, "svg")) {
        fprintf(stderr, "flowchainctl: unknown format \"%s\" (dot or "
                "svg)\n", format);
        return 2;
    }

    char *dot = NULL;
    if (file) {
        struct svec errors = SVEC_EMPTY_INITIALIZER;
        struct intent *intent = intent_load_file(file, &errors);
        if (!intent) {
            for (size_t i = 0; i < errors.n; i++) {
                fprintf(stderr, "%s\n", errors.names[i]);
            }
            fprintf(stderr, "flowchainctl: %s: invalid intent, %"PRIuSIZE
                    " error(s)\n", file, errors.n);
            svec_destroy(&errors);
            return 1;
        }
        svec_destroy(&errors);
        struct ds s = DS_EMPTY_INITIALIZER;
        bool ok = diagram_format(intent, host, NULL, &s);
        intent_destroy(intent);
        if (!ok) {
            fprintf(stderr, "flowchainctl: %s\n", ds_cstr(&s));
            ds_destroy(&s);
            return 1;
        }
        dot = ds_steal_cstr(&s);
    } else {
        char *args[2] = { CONST_CAST(char *, "--host"), host };
        int status = daemon_transact(control, "diagram", host ? 2 : 0, args,
                                     &dot);
        if (status) {
            return status;
        }
        if (!dot) {
            dot = xstrdup("");
        }
    }

    int status = 0;
    if (!strcmp(format, "svg")) {
        status = write_svg(dot);
    } else {
        fputs(dot, stdout);
    }
    free(dot);
    return status;
}

static bool validate_text(const char *path, const char *text);

/* "apply --db=DB [--db-timeout=MS] FILE": validates FILE here and writes it
 * into the database 'DB' (docs/ha.md).  'argv' starts after "apply".
 * Returns the exit status: 0 written (or already there), 1 refused (an
 * invalid intent, or the database failed), 2 bad usage. */
static int
apply_db_cmd(int argc, char *argv[])
{
    const char *db = NULL;
    const char *path = NULL;
    int timeout_ms = 10000;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "--db=", 5)) {
            db = argv[i] + 5;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strncmp(argv[i], "--db-timeout=", 13)) {
            timeout_ms = atoi(argv[i] + 13);
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            path = NULL;
            db = NULL;
            break;
        }
    }
    if (!db || !*db || !path || timeout_ms <= 0) {
        fprintf(stderr, "usage: flowchainctl apply --db=DB "
                "[--db-timeout=MS] FILE\n");
        return 2;
    }
    char *text;
    char *error = read_intent_file("apply", path, &text);
    if (error) {
        fprintf(stderr, "flowchainctl: %s\n", error);
        free(error);
        return 2;
    }
    if (!validate_text(path, text)) {
        free(text);
        return 1;
    }
    bool changed;
    int64_t generation;
    error = intentdb_write(db, text, timeout_ms, &changed, &generation);
    free(text);
    if (error) {
        fprintf(stderr, "flowchainctl: %s: %s: %s\n", path, db, error);
        free(error);
        return 1;
    }
    if (changed) {
        printf("%s: written to %s\n", path, db);
    } else {
        printf("%s: %s holds this intent already (generation %"PRId64
               "); nothing written\n", path, db, generation);
    }
    return 0;
}

/* Validates the intent 'text', read from 'path', for "apply".  Returns
 * true if it is valid; else prints its errors and returns false. */
static bool
validate_text(const char *path, const char *text)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *intent = intent_parse(text, &errors);
    if (!intent) {
        fprintf(stderr, "flowchainctl: %s: invalid intent, %"PRIuSIZE
                " error(s); nothing sent to the daemon\n", path, errors.n);
        for (size_t i = 0; i < errors.n; i++) {
            fprintf(stderr, "%s\n", errors.names[i]);
        }
    }
    intent_destroy(intent);
    svec_destroy(&errors);
    return intent != NULL;
}

int
main(int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"control", required_argument, NULL, 't'},
        {"target", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *control = getenv("FLOWCHAIN_CONTROL");

    set_program_name(argv[0]);
    /* Our own messages say what went wrong; the library's would repeat
     * it. */
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    for (;;) {
        int c = getopt_long(argc, argv, "+t:hV", long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case 't':
            control = optarg;
            break;
        case 'h':
            usage();
            return 0;
        case 'V':
            printf("flowchainctl " FLOWCHAIN_VERSION "\n");
            return 0;
        default:
            fprintf(stderr, "try 'flowchainctl --help'\n");
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "flowchainctl: missing command (try --help)\n");
        return 2;
    }
    const char *command = argv[optind];
    if (!strcmp(command, "check")) {
        if (argc - optind != 2) {
            fprintf(stderr, "usage: flowchainctl check FILE\n");
            return 2;
        }
        return check_file(argv[optind + 1]);
    }

    if (!control) {
        control = DEFAULT_CONTROL;
    }
    if (!strcmp(command, "diagram")) {
        return diagram_cmd(control, argc - optind - 1, argv + optind + 1);
    }
    if (!strcmp(command, "explain")) {
        /* Bad arguments are refused here, without a daemon. */
        struct explain_req req;
        char *error = explain_req_parse(argc - optind - 1,
                                        (const char *const *) argv + optind
                                        + 1, &req);
        explain_req_destroy(&req);
        if (error) {
            fprintf(stderr, "flowchainctl: explain: %s\n", error);
            free(error);
            return 2;
        }
    }
    /* "plan FILE" and "apply FILE": the daemon opens no file for its
     * callers; FILE is read here, with the caller's rights, and its content
     * sent.  "apply" sends only a valid intent. */
    char *plan_text = NULL;
    const char *plan_argv[2];
    char **args = argv + optind + 1;
    int n_args = argc - optind - 1;
    if (!strcmp(command, "apply")) {
        for (int i = 0; i < n_args; i++) {
            if (!strncmp(args[i], "--db", 4)) {
                return apply_db_cmd(n_args, args);
            }
        }
    }
    if (!strcmp(command, "plan") || !strcmp(command, "apply")) {
        if (n_args != 1) {
            fprintf(stderr, "usage: flowchainctl %s FILE\n", command);
            return 2;
        }
        char *error = read_intent_file(command, args[0], &plan_text);
        if (error) {
            fprintf(stderr, "flowchainctl: %s\n", error);
            free(error);
            return 2;
        }
        if (!strcmp(command, "apply") && !validate_text(args[0], plan_text)) {
            free(plan_text);
            return 1;
        }
        plan_argv[0] = plan_text;
        plan_argv[1] = args[0];
        args = CONST_CAST(char **, plan_argv);
        n_args = 2;
    }
    char *result;
    int status = daemon_transact(control, command, n_args, args, &result);
    if (result) {
        fputs(result, stdout);
    }
    free(result);
    free(plan_text);
    return status;
}
