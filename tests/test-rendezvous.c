/* Unit tests for controller/rendezvous.c: switches spread over controller
 * instances, and an instance that comes or goes moves only its own. */
#include <config.h>

#include "controller/rendezvous.h"
#include "openvswitch/vlog.h"
#include "sset.h"
#include "tests/unit.h"

#define N_DPIDS 3000

/* The datapath IDs of a large lab: consecutive numbers. */
static uint64_t
dpid_of(int i)
{
    return 0x0000000000001000ULL + i;
}

/* No instance, no owner; one instance owns everything. */
static void
test_trivial(void)
{
    struct sset s = SSET_INITIALIZER(&s);
    UNIT_CHECK(rendezvous_owner(1, &s) == NULL);
    sset_add(&s, "a");
    for (int i = 0; i < 100; i++) {
        UNIT_CHECK(!strcmp(rendezvous_owner(dpid_of(i), &s), "a"));
    }
    sset_destroy(&s);
}

/* Three instances: each gets about a third (within 10%), and the answer
 * does not depend on the order the names were added in. */
static void
test_spread(void)
{
    struct sset s1 = SSET_INITIALIZER(&s1), s2 = SSET_INITIALIZER(&s2);
    sset_add(&s1, "a");
    sset_add(&s1, "b");
    sset_add(&s1, "c");
    sset_add(&s2, "c");
    sset_add(&s2, "a");
    sset_add(&s2, "b");
    int n[3] = { 0, 0, 0 };
    for (int i = 0; i < N_DPIDS; i++) {
        const char *o1 = rendezvous_owner(dpid_of(i), &s1);
        const char *o2 = rendezvous_owner(dpid_of(i), &s2);
        UNIT_CHECK(!strcmp(o1, o2));
        n[o1[0] - 'a']++;
    }
    for (int k = 0; k < 3; k++) {
        UNIT_CHECK(n[k] > N_DPIDS / 3 * 9 / 10 && n[k] < N_DPIDS / 3 * 11 / 10);
    }
    sset_destroy(&s1);
    sset_destroy(&s2);
}

/* Instance c goes: exactly c's switches move, and they spread over a and
 * b; c comes back: exactly those return. */
static void
test_minimal_movement(void)
{
    struct sset all = SSET_INITIALIZER(&all), two = SSET_INITIALIZER(&two);
    sset_add(&all, "a");
    sset_add(&all, "b");
    sset_add(&all, "c");
    sset_add(&two, "a");
    sset_add(&two, "b");
    int moved = 0, of_c = 0, to_a = 0;
    for (int i = 0; i < N_DPIDS; i++) {
        const char *before = rendezvous_owner(dpid_of(i), &all);
        const char *after = rendezvous_owner(dpid_of(i), &two);
        bool was_c = !strcmp(before, "c");
        of_c += was_c;
        if (strcmp(before, after)) {
            moved++;
            UNIT_CHECK(was_c);
            to_a += !strcmp(after, "a");
        } else {
            UNIT_CHECK(!was_c);
        }
    }
    UNIT_CHECK(moved == of_c);
    UNIT_CHECK(to_a > of_c * 4 / 10 && to_a < of_c * 6 / 10);
    sset_destroy(&all);
    sset_destroy(&two);
}

/* The score is a pure function of its inputs (every instance computes the
 * same); a fixed value guards against a change of hash that would make
 * instances of two builds disagree. */
static void
test_score_stable(void)
{
    UNIT_CHECK(rendezvous_score(42, "a") == rendezvous_score(42, "a"));
    UNIT_CHECK(rendezvous_score(42, "a") != rendezvous_score(43, "a"));
    UNIT_CHECK(rendezvous_score(42, "a") != rendezvous_score(42, "b"));
    UNIT_CHECK(rendezvous_score(1ULL << 40, "a")
               != rendezvous_score(1ULL << 41, "a"));
    UNIT_CHECK(rendezvous_score(0x1000, "a") == UINT64_C(0x3d989c819a05d219));
}

int
main(void)
{
    unit_program = "test-rendezvous";
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_EMER);
    UNIT_RUN(test_trivial);
    UNIT_RUN(test_spread);
    UNIT_RUN(test_minimal_movement);
    UNIT_RUN(test_score_stable);
    return unit_finish();
}
