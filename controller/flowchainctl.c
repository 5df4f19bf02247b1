/*
 * flowchainctl: the command-line client of flowchaind.
 *
 * "check FILE" validates an intent locally; every other command is sent to
 * the daemon's control socket, in the JSON-RPC that ovs-appctl speaks.
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
#include <sys/stat.h>
#include <unistd.h>
#include "controller/ctlserver.h"
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
           "  plan FILE         the flow changes loading FILE would make, "
           "per bridge\n"
           "                    (FILE is read here, at most 8 MiB, and its "
           "content sent)\n"
           "  apply FILE        validate FILE here, then have the daemon "
           "print its plan,\n"
           "                    write it to the daemon's own intent file and "
           "reload\n"
           "                    (an invalid FILE changes nothing)\n"
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
    /* "plan FILE" and "apply FILE": the daemon opens no file for its
     * callers; FILE is read here, with the caller's rights, and its content
     * sent.  "apply" sends only a valid intent. */
    char *plan_text = NULL;
    const char *plan_argv[2];
    char **args = argv + optind + 1;
    int n_args = argc - optind - 1;
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
    } else if (result) {
        fputs(result, stdout);
    }
    free(result);
    free(err);
    free(plan_text);
    return status;
}
