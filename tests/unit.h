/*
 * A minimal unit-test harness.  Each case is a function run by UNIT_RUN();
 * a failed UNIT_CHECK() prints where and why and marks the case failed.
 * Every case prints one line, "PASS: program: case" or "FAIL: ...", which
 * tests/run.sh counts; the program exits 1 if any case failed.
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H 1

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int unit_failed_cases;
static int unit_passed_cases;
static bool unit_case_failed;
static const char *unit_program = "unit";

#define UNIT_CHECK(COND)                                                \
    do {                                                                \
        if (!(COND)) {                                                  \
            fprintf(stderr, "%s:%d: check failed: %s\n",                \
                    __FILE__, __LINE__, #COND);                         \
            unit_case_failed = true;                                    \
        }                                                               \
    } while (0)

/* Checks that strings 'A' and 'B' are equal, printing both if not. */
#define UNIT_CHECK_STREQ(A, B)                                          \
    do {                                                                \
        const char *unit_a_ = (A), *unit_b_ = (B);                      \
        if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_)) {         \
            fprintf(stderr, "%s:%d: %s != %s\n--- got:\n%s\n"           \
                    "--- expected:\n%s\n", __FILE__, __LINE__, #A, #B,  \
                    unit_a_ ? unit_a_ : "(null)",                       \
                    unit_b_ ? unit_b_ : "(null)");                      \
            unit_case_failed = true;                                    \
        }                                                               \
    } while (0)

#define UNIT_RUN(FUNC) unit_run__(#FUNC, FUNC)

static inline void
unit_run__(const char *name, void (*func)(void))
{
    unit_case_failed = false;
    func();
    printf("%s: %s: %s\n", unit_case_failed ? "FAIL" : "PASS",
           unit_program, name);
    fflush(stdout);
    if (unit_case_failed) {
        unit_failed_cases++;
    } else {
        unit_passed_cases++;
    }
}

/* Returns the exit status for main(). */
static inline int
unit_finish(void)
{
    return unit_failed_cases ? 1 : 0;
}

#endif /* tests/unit.h */
