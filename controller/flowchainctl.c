/*
 * flowchainctl: the command-line client of flowchaind.
 *
 * "check FILE" validates an intent locally; every other command is sent to
 * the daemon's control socket, in the JSON-RPC that ovs-appctl speaks.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
           "  status            connected switches, their ports and sync "
           "state\n"
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
    /* The daemon has its own working directory: send absolute paths. */
    char *abs_path = NULL;
    if (!strcmp(command, "plan") && argc - optind == 2) {
        abs_path = realpath(argv[optind + 1], NULL);
        if (!abs_path) {
            fprintf(stderr, "flowchainctl: %s: %s\n", argv[optind + 1],
                    ovs_strerror(errno));
            return 2;
        }
        argv[optind + 1] = abs_path;
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
    error = unixctl_client_transact(client, command, argc - optind - 1,
                                    argv + optind + 1, &result, &err);
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
    free(abs_path);
    return status;
}
