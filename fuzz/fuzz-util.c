/* Shared parts of the libFuzzer harnesses (fuzz.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "fuzz/fuzz.h"
#include "openvswitch/vlog.h"
#include "util.h"

int
LLVMFuzzerInitialize(int *argc OVS_UNUSED, char ***argv OVS_UNUSED)
{
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    return 0;
}

void
fuzz_fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", fuzz_name, what);
    abort();
}
