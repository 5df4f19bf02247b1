/*
 * Benchmark: how long intent_parse() takes to parse and validate a large
 * intent, and (with -c) how long pipeline_compile() takes to compile every
 * bridge of it.
 *
 * usage: bench-intent [FILE | -n N_VMS] [-i ITERATIONS] [-c [-M]] [-m]
 *        bench-intent FILE -d NEW_FILE [-i ITERATIONS]
 *
 * -c compiles every bridge of the intent after parsing it, with every port
 * the bridge names present (numbered in intent order: uplink members,
 * adapters, VM NICs, as flowchaind assumes for a bridge that is not
 * connected), as flowchaind compiles the bridges of one intent: with a
 * memo of the flows bridges share (pipeline_compile_memo()), or without
 * one with -M.  It reports the flows and groups.  -m prints one line of
 * "key=value" pairs instead of the sentence (for bench/run.sh): times of
 * the median run in ms, the flow and group counts, the largest bridge,
 * and the process's peak RSS (getrusage) in KiB.
 *
 * -d times a reload from FILE to NEW_FILE as flowchaind does one, step by
 * step, without a switch: reading and parsing NEW_FILE, comparing the
 * models (pipeline_delta_create()), the partial compiles of every bridge
 * from both models, and flowset_patch() of each bridge's desired set (a
 * full compile of FILE, in sync).  Each bridge's ports are those NEW_FILE
 * names.  Prints the median of each step, the flows the partial compiles
 * produced, and the flow mods of the patch.
 *
 * With FILE (for example from bench/gen-intent.py), times that file.
 * Otherwise builds an intent with N_VMS VMs (default 10,000) in memory: one
 * VM NIC per VM, 100 VMs per host, 2 bridges per host, 400 VLANs with
 * subnets and pools, every VM with an IP.  Prints the best and median time
 * of ITERATIONS runs (default 10).  It asserts nothing about time: the
 * figure is for people to read.
 */
#include <config.h>

#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-port.h"
#include "flow.h"
#include "pipelines/flowset.h"
#include "pipelines/pipeline.h"
#include "pipelines/portmap.h"
#include "svec.h"
#include "util.h"

#define VMS_PER_HOST 100
#define N_VLANS 400

/* Writes an intent with 'n_vms' VMs into 's'. */
static void
generate(struct ds *s, size_t n_vms)
{
    size_t n_hosts = (n_vms + VMS_PER_HOST - 1) / VMS_PER_HOST;

    ds_put_cstr(s, "{\"version\": 1,\n\"networks\": [\n");
    ds_put_cstr(s, "{\"name\": \"mgmt\", \"vlan\": 0, \"subnet\": "
                "\"10.0.0.0/16\", \"gateway\": \"10.0.255.254\"}");
    for (int v = 0; v < N_VLANS; v++) {
        ds_put_format(s, ",\n{\"name\": \"vlan%d\", \"vlan\": %d, "
                      "\"subnet\": \"10.%d.%d.0/22\", \"gateway\": "
                      "\"10.%d.%d.254\", \"ip_pool\": {\"first\": "
                      "\"10.%d.%d.1\", \"last\": \"10.%d.%d.250\"}}",
                      v + 100, v + 100,
                      16 + v / 64, (v % 64) * 4,
                      16 + v / 64, (v % 64) * 4 + 3,
                      16 + v / 64, (v % 64) * 4,
                      16 + v / 64, (v % 64) * 4 + 3);
    }
    ds_put_cstr(s, "],\n\"hosts\": [\n");
    for (size_t h = 0; h < n_hosts; h++) {
        ds_put_format(s, "%s{\"name\": \"host%"PRIuSIZE"\", \"bridges\": [\n"
                      " {\"name\": \"br0\", \"datapath_id\": \"%016"PRIx64
                      "\",\n  \"uplink\": {\"name\": \"br0-up\", \"members\":"
                      " [\"eth2\", \"eth3\"], \"mode\": \"balance-slb\"},\n"
                      "  \"networks\": [", h ? ",\n" : "", h,
                      (uint64_t) (h + 1) * 2);
        for (int v = 0; v < N_VLANS; v++) {
            ds_put_format(s, "%s\"vlan%d\"", v ? ", " : "", v + 100);
        }
        ds_put_format(s, "]},\n {\"name\": \"br1\", \"datapath_id\": \"%016"
                      PRIx64"\",\n  \"uplink\": {\"name\": \"br1-up\", "
                      "\"members\": [\"eth0\", \"eth1\"]},\n"
                      "  \"networks\": [\"mgmt\"],\n  \"adapters\": [{\"name\": "
                      "\"host\", \"port\": \"mgmt0\", \"role\": \"management\","
                      " \"network\": \"mgmt\", \"mac\": \"02:00:00:00:%02x:%02x\","
                      " \"ip\": \"10.0.%d.%d\"}]}]}",
                      (uint64_t) (h + 1) * 2 + 1,
                      (unsigned int) (h >> 8) & 0xff, (unsigned int) h & 0xff,
                      (int) (h / 250), (int) (h % 250) + 1);
    }
    ds_put_cstr(s, "],\n\"vms\": [\n");
    for (size_t i = 0; i < n_vms; i++) {
        size_t h = i / VMS_PER_HOST;
        int v = i % N_VLANS;
        size_t k = i / N_VLANS;         /* Index of this VM in its VLAN. */
        ds_put_format(s, "%s{\"name\": \"vm%"PRIuSIZE"\", \"host\": \"host%"
                      PRIuSIZE"\", \"categories\": {\"AppTier\": \"web\"}, "
                      "\"nics\": [{\"port\": \"tap%"PRIuSIZE"\", \"mac\": "
                      "\"50:6b:8d:%02x:%02x:%02x\", \"network\": \"vlan%d\", "
                      "\"ip\": \"10.%d.%d.%d\"}]}",
                      i ? ",\n" : "", i, h, i % VMS_PER_HOST,
                      (unsigned int) (i >> 16) & 0xff,
                      (unsigned int) (i >> 8) & 0xff,
                      (unsigned int) i & 0xff, v + 100,
                      16 + v / 64, (v % 64) * 4 + (int) (k / 250),
                      (int) (k % 250) + 1);
    }
    ds_put_cstr(s, "],\n\"policies\": []}\n");
}

/* Returns the monotonic time in milliseconds. */
static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* qsort() comparison for an array of doubles. */
static int
compare_doubles(const void *a_, const void *b_)
{
    const double *a = a_, *b = b_;
    return *a < *b ? -1 : *a > *b;
}

struct compile_result {
    size_t flows, groups;       /* Over every bridge. */
    size_t memo_flows;          /* Flows compiled once, shared. */
    double compile_ms, free_ms; /* Compiling, freeing the sets. */
    double heap_per_flow;       /* Of the largest bridge's set alone. */
    size_t max_flows;           /* Of the largest bridge... */
    const char *max_host, *max_bridge;  /* ...which is this one... */
    const struct intent_bridge *max_br; /* ...while the intent lives. */
};

/* Returns the heap in use, mmap'ed blocks (large hash tables) included. */
static size_t
heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* Compiles every bridge of 'intent', as flowchaind compiles the bridges
 * of one intent (with a memo of the flows bridges share, unless
 * 'no_memo'), and counts what it gives.  Each bridge's set is freed once
 * counted, so that one bridge's set is alive at a time; flowchaind keeps
 * the set of each switch, so the time spent freeing them is timed apart:
 * 'r->compile_ms' is the compiles, 'r->free_ms' the frees. */
static void
compile_all(const struct intent *intent, bool no_memo,
            struct compile_result *r)
{
    memset(r, 0, sizeof *r);

    double t0 = now_ms();
    struct pipeline_memo *memo = no_memo ? NULL : pipeline_memo_create(intent);
    r->compile_ms += now_ms() - t0;

    for (size_t h = 0; h < intent_n_hosts(intent); h++) {
        const struct intent_host *host = intent_host_at(intent, h);
        for (size_t b = 0; b < host->n_bridges; b++) {
            const struct intent_bridge *br = &host->bridges[b];
            struct flowset fs;
            struct portmap pm;

            t0 = now_ms();
            flowset_init(&fs);
            portmap_assume(&pm, br);
            pipeline_compile_memo(intent, br, &pm, memo, &fs);
            r->compile_ms += now_ms() - t0;
            size_t n = flowset_n_flows(&fs);
            r->flows += n;
            r->groups += flowset_n_groups(&fs);
            if (n > r->max_flows) {
                r->max_flows = n;
                r->max_host = host->name;
                r->max_bridge = br->name;
                r->max_br = br;
            }
            t0 = now_ms();
            portmap_destroy(&pm);
            flowset_destroy(&fs);
            r->free_ms += now_ms() - t0;
        }
    }
    r->memo_flows = pipeline_memo_n_flows(memo);
    t0 = now_ms();
    pipeline_memo_destroy(memo);
    r->free_ms += now_ms() - t0;
}

/* Returns the heap per flow of the flow set of bridge 'br' of 'intent'
 * compiled alone (no memo: every flow its own). */
static double
heap_per_flow(const struct intent *intent, const struct intent_bridge *br)
{
    struct flowset fs;
    struct portmap pm;

    flowset_init(&fs);
    portmap_assume(&pm, br);
    size_t heap_before = heap_in_use();
    pipeline_compile(intent, br, &pm, &fs);
    size_t heap_after = heap_in_use();
    size_t n = flowset_n_flows(&fs);
    portmap_destroy(&pm);
    flowset_destroy(&fs);
    return (n && heap_after > heap_before
            ? (double) (heap_after - heap_before) / n : 0.0);
}

/* The median of the 'n' values of 'v' (sorts 'v'). */
static double
median(double *v, int n)
{
    qsort(v, n, sizeof *v, compare_doubles);
    return v[n / 2];
}

/* One bridge of a reload benchmark: its ports and the full compile of the
 * old model, as the switch holds it. */
struct reload_bridge {
    const struct intent_bridge *old_br, *new_br;
    struct portmap ports;
    struct flowset desired;
};

/* Times reloads from 'old_path' to 'new_path' (-d): prints the median of
 * each step over 'iterations' runs.  Returns the exit status. */
static int
bench_reload(const char *old_path, const char *new_path, int iterations)
{
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    struct intent *old = intent_load_file(old_path, &errors);
    if (!old) {
        fprintf(stderr, "%s: not a valid intent (%s)\n", old_path,
                errors.n ? errors.names[0] : "?");
        return 1;
    }

    size_t n_bridges = 0;
    struct reload_bridge *bridges = NULL;
    {
        struct intent *new = intent_load_file(new_path, &errors);
        if (!new) {
            fprintf(stderr, "%s: not a valid intent (%s)\n", new_path,
                    errors.n ? errors.names[0] : "?");
            return 1;
        }
        bridges = xcalloc(intent_n_bridges(old) + 1, sizeof *bridges);
        for (size_t h = 0; h < intent_n_hosts(old); h++) {
            const struct intent_host *host = intent_host_at(old, h);
            for (size_t b = 0; b < host->n_bridges; b++) {
                struct reload_bridge *rb = &bridges[n_bridges++];
                rb->old_br = &host->bridges[b];
                const struct intent_bridge *nb
                    = intent_find_bridge_by_dpid(new, rb->old_br->datapath_id);
                portmap_assume(&rb->ports, nb ? nb : rb->old_br);
                flowset_init(&rb->desired);
                pipeline_compile(old, rb->old_br, &rb->ports, &rb->desired);
            }
        }
        intent_destroy(new);
    }

    double *t_parse = xcalloc(iterations, sizeof *t_parse);
    double *t_delta = xcalloc(iterations, sizeof *t_delta);
    double *t_compile = xcalloc(iterations, sizeof *t_compile);
    double *t_patch = xcalloc(iterations, sizeof *t_patch);
    size_t n_part_flows = 0, n_mods = 0, n_refused = 0;
    size_t n_vms = 0, n_policies = 0;
    for (int i = 0; i < iterations; i++) {
        double t0 = now_ms();
        struct intent *new = intent_load_file(new_path, &errors);
        double t1 = now_ms();
        struct pipeline_delta *delta = pipeline_delta_create(old, new);
        double t2 = now_ms();
        if (!delta) {
            fprintf(stderr, "bench-intent: the change needs a full "
                    "compile (not only VMs and policies changed)\n");
            return 1;
        }
        pipeline_delta_count(delta, &n_vms, &n_policies);

        struct flowset *old_part = xcalloc(n_bridges + 1, sizeof *old_part);
        struct flowset *new_part = xcalloc(n_bridges + 1, sizeof *new_part);
        n_part_flows = 0;
        for (size_t b = 0; b < n_bridges; b++) {
            struct reload_bridge *rb = &bridges[b];
            rb->new_br = intent_find_bridge_by_dpid(new, rb->old_br->datapath_id);
            flowset_init(&old_part[b]);
            flowset_init(&new_part[b]);
            pipeline_compile_partial(old, rb->old_br, &rb->ports, delta,
                                     &old_part[b]);
            pipeline_compile_partial(new, rb->new_br, &rb->ports, delta,
                                     &new_part[b]);
            n_part_flows += (flowset_n_flows(&old_part[b])
                             + flowset_n_flows(&new_part[b]));
        }
        double t3 = now_ms();

        /* The patch changes the desired set: patch copies. */
        struct flowset *installed = xcalloc(n_bridges + 1,
                                            sizeof *installed);
        struct flowset *desired = xcalloc(n_bridges + 1, sizeof *desired);
        for (size_t b = 0; b < n_bridges; b++) {
            flowset_clone(&installed[b], &bridges[b].desired);
            flowset_clone(&desired[b], &bridges[b].desired);
        }
        double t4 = now_ms();
        n_mods = n_refused = 0;
        for (size_t b = 0; b < n_bridges; b++) {
            struct flowset_diff diff;
            if (flowset_patch(&installed[b], &desired[b], &old_part[b],
                              &new_part[b], &diff)) {
                n_mods += (diff.n_add_flows + diff.n_mod_flows
                           + diff.n_del_flows);
                flowset_diff_destroy(&diff);
            } else {
                n_refused++;
            }
        }
        t_patch[i] = now_ms() - t4;
        t_parse[i] = t1 - t0;
        t_delta[i] = t2 - t1;
        t_compile[i] = t3 - t2;

        for (size_t b = 0; b < n_bridges; b++) {
            flowset_destroy(&old_part[b]);
            flowset_destroy(&new_part[b]);
            flowset_destroy(&installed[b]);
            flowset_destroy(&desired[b]);
        }
        free(old_part);
        free(new_part);
        free(installed);
        free(desired);
        pipeline_delta_destroy(delta);
        intent_destroy(new);
    }

    printf("bench-intent: reload %s -> %s: %"PRIuSIZE" VMs and %"PRIuSIZE
           " policies touched, %"PRIuSIZE" bridges; medians of %d runs: "
           "read+parse+validate %.2f ms, compare %.2f ms, partial compiles "
           "%.2f ms (%"PRIuSIZE" flows, old and new), patch %.2f ms (%"
           PRIuSIZE" flow mods%s)\n",
           old_path, new_path, n_vms, n_policies, n_bridges, iterations,
           median(t_parse, iterations), median(t_delta, iterations),
           median(t_compile, iterations), n_part_flows,
           median(t_patch, iterations), n_mods,
           n_refused ? "; SOME PATCHES REFUSED" : "");

    for (size_t b = 0; b < n_bridges; b++) {
        portmap_destroy(&bridges[b].ports);
        flowset_destroy(&bridges[b].desired);
    }
    free(bridges);
    free(t_parse);
    free(t_delta);
    free(t_compile);
    free(t_patch);
    svec_destroy(&errors);
    intent_destroy(old);
    return n_refused ? 1 : 0;
}

/* Parses the options, builds or reads the intent, times it. */
int
main(int argc, char *argv[])
{
    struct ds text = DS_EMPTY_INITIALIZER;
    const char *file = NULL, *new_file = NULL;
    size_t n_vms = 10000;
    int iterations = 10;
    bool compile = false, machine = false, no_memo = false;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            n_vms = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "-i") && i + 1 < argc) {
            iterations = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "-c")) {
            compile = true;
        } else if (!strcmp(argv[i], "-M")) {
            no_memo = true;
        } else if (!strcmp(argv[i], "-m")) {
            machine = true;
        } else if (!strcmp(argv[i], "-d") && i + 1 < argc) {
            new_file = argv[++i];
        } else if (argv[i][0] != '-') {
            file = argv[i];
        } else {
            fprintf(stderr, "usage: %s [FILE | -n N_VMS] [-i ITERATIONS] "
                    "[-c [-M]] [-m]\n       %s FILE -d NEW_FILE [-i ITERATIONS]\n",
                    argv[0], argv[0]);
            return 2;
        }
    }
    if (iterations < 1) {
        iterations = 1;
    }
    if (new_file) {
        if (!file) {
            fprintf(stderr, "bench-intent: -d needs FILE\n");
            return 2;
        }
        return bench_reload(file, new_file, iterations);
    }

    if (file) {
        FILE *f = fopen(file, "r");
        if (!f) {
            fprintf(stderr, "%s: %s\n", file, ovs_strerror(errno));
            return 1;
        }
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            ds_put_buffer(&text, buf, n);
        }
        fclose(f);
    } else {
        generate(&text, n_vms);
    }

    double *times = xmalloc(iterations * sizeof *times);
    double *ctimes = xmalloc(iterations * sizeof *ctimes);
    double *ftimes = xcalloc(iterations, sizeof *ftimes);
    double *ttimes = xmalloc(iterations * sizeof *ttimes);
    struct compile_result cr;
    size_t vms = 0, nics = 0, hosts = 0, bridges = 0, policies = 0;
    memset(&cr, 0, sizeof cr);
    for (int i = 0; i < iterations; i++) {
        struct svec errors = SVEC_EMPTY_INITIALIZER;
        double start = now_ms();
        struct intent *intent = intent_parse(ds_cstr(&text), &errors);
        times[i] = now_ms() - start;

        if (!intent) {
            for (size_t j = 0; j < errors.n && j < 10; j++) {
                fprintf(stderr, "%s\n", errors.names[j]);
            }
            fprintf(stderr, "bench-intent: the intent is not valid\n");
            return 1;
        }
        if (compile) {
            compile_all(intent, no_memo, &cr);
            ctimes[i] = cr.compile_ms;
            ftimes[i] = cr.free_ms;
            if (i == iterations - 1 && cr.max_br) {
                cr.heap_per_flow = heap_per_flow(intent, cr.max_br);
            }
            cr.max_br = NULL;
        } else {
            ctimes[i] = 0;
        }
        ttimes[i] = times[i] + ctimes[i];
        vms = intent_n_vms(intent);
        nics = intent_n_nics(intent);
        hosts = intent_n_hosts(intent);
        bridges = intent_n_bridges(intent);
        policies = intent_n_policies(intent);
        if (compile && cr.max_host) {
            /* The names live in 'intent': keep copies past its end. */
            static char host_name[256], bridge_name[256];
            ovs_strlcpy(host_name, cr.max_host, sizeof host_name);
            ovs_strlcpy(bridge_name, cr.max_bridge, sizeof bridge_name);
            cr.max_host = host_name;
            cr.max_bridge = bridge_name;
        }
        intent_destroy(intent);
        svec_destroy(&errors);
    }
    qsort(times, iterations, sizeof *times, compare_doubles);
    qsort(ctimes, iterations, sizeof *ctimes, compare_doubles);
    qsort(ftimes, iterations, sizeof *ftimes, compare_doubles);
    qsort(ttimes, iterations, sizeof *ttimes, compare_doubles);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (machine) {
        printf("vms=%"PRIuSIZE" nics=%"PRIuSIZE" hosts=%"PRIuSIZE
               " bridges=%"PRIuSIZE" policies=%"PRIuSIZE" json_bytes=%"
               PRIuSIZE" runs=%d parse_ms=%.3f compile_ms=%.3f free_ms=%.3f"
               " total_ms=%.3f"
               " total_min_ms=%.3f total_max_ms=%.3f flows=%"PRIuSIZE
               " groups=%"PRIuSIZE" max_bridge_flows=%"PRIuSIZE
               " max_bridge=%s/%s max_rss_kb=%ld bytes_per_flow=%.0f"
               " memo_flows=%"PRIuSIZE"\n",
               vms, nics, hosts, bridges, policies, text.length, iterations,
               times[iterations / 2], ctimes[iterations / 2],
               ftimes[iterations / 2],
               ttimes[iterations / 2], ttimes[0], ttimes[iterations - 1],
               cr.flows, cr.groups, cr.max_flows,
               cr.max_host ? cr.max_host : "-",
               cr.max_bridge ? cr.max_bridge : "-", ru.ru_maxrss,
               cr.heap_per_flow, cr.memo_flows);
        goto done;
    }
    if (compile) {
        printf("bench-intent: %"PRIuSIZE" bridges compiled to %"PRIuSIZE
               " flows and %"PRIuSIZE" groups (largest: %s/%s, %"PRIuSIZE
               " flows): compile best %.2f ms, median %.2f ms (then "
               "freeing the sets, not counted: median %.2f ms); parse+"
               "validate+compile median %.2f ms; peak RSS %ld KiB; "
               "heap per flow in the largest set alone %.0f bytes; ",
               bridges, cr.flows, cr.groups,
               cr.max_host ? cr.max_host : "-",
               cr.max_bridge ? cr.max_bridge : "-", cr.max_flows,
               ctimes[0], ctimes[iterations / 2], ftimes[iterations / 2],
               ttimes[iterations / 2], ru.ru_maxrss, cr.heap_per_flow);
        if (no_memo) {
            printf("no memo (-M)\n");
        } else {
            printf("%"PRIuSIZE" flows compiled once and shared (memo)\n",
                   cr.memo_flows);
        }
    }
    printf("bench-intent: %"PRIuSIZE" VMs, %"PRIuSIZE" NICs, %"PRIuSIZE
           " hosts, %.1f MB of JSON: parse+validate best %.2f ms, median "
           "%.2f ms (%d runs)\n", vms, nics, hosts, text.length / 1e6,
           times[0], times[iterations / 2], iterations);
done:
    free(times);
    free(ctimes);
    free(ftimes);
    free(ttimes);
    ds_destroy(&text);
    return 0;
}
