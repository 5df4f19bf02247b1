/* What every libFuzzer harness in fuzz/ shares (fuzz-util.c). */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H 1

#include <stddef.h>
#include <stdint.h>
#include "openvswitch/compiler.h"

/* The harness's name for fuzz_fail()'s message, e.g. "fuzz-intent":
 * each harness defines it. */
extern const char fuzz_name[];

/* libFuzzer's entry points.  fuzz-util.c defines LLVMFuzzerInitialize() (it
 * silences logging, which would only slow the fuzzer down); each harness
 * defines LLVMFuzzerTestOneInput(). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Reports the broken invariant 'what' and crashes, so that libFuzzer saves
 * the input. */
void fuzz_fail(const char *what) OVS_NO_RETURN;

#endif /* fuzz/fuzz.h */
