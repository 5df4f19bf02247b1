/*
 * Benchmark: how long intent_parse() takes to parse and validate a large
 * intent.
 *
 * usage: bench-intent [FILE | -n N_VMS] [-i ITERATIONS]
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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
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

/* Parses the options, builds or reads the intent, times it. */
int
main(int argc, char *argv[])
{
    struct ds text = DS_EMPTY_INITIALIZER;
    const char *file = NULL;
    size_t n_vms = 10000;
    int iterations = 10;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            n_vms = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "-i") && i + 1 < argc) {
            iterations = atoi(argv[++i]);
        } else if (argv[i][0] != '-') {
            file = argv[i];
        } else {
            fprintf(stderr, "usage: %s [FILE | -n N_VMS] [-i ITERATIONS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (iterations < 1) {
        iterations = 1;
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
    size_t vms = 0, nics = 0, hosts = 0;
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
        vms = intent_n_vms(intent);
        nics = intent_n_nics(intent);
        hosts = intent_n_hosts(intent);
        intent_destroy(intent);
        svec_destroy(&errors);
    }
    qsort(times, iterations, sizeof *times, compare_doubles);

    printf("bench-intent: %"PRIuSIZE" VMs, %"PRIuSIZE" NICs, %"PRIuSIZE
           " hosts, %.1f MB of JSON: parse+validate best %.2f ms, median "
           "%.2f ms (%d runs)\n", vms, nics, hosts, text.length / 1e6,
           times[0], times[iterations / 2], iterations);
    free(times);
    ds_destroy(&text);
    return 0;
}
