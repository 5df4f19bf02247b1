/* Unit tests: which datapath IDs a switch certificate may claim
 * (stream_tls_binding_check() in controller/stream-tls.c), on the SCVMM
 * example: hv-host01 has 0x101..0x103, hv-host02 0x201..0x203. */
#include <config.h>

#include <string.h>
#include "controller/stream-tls.h"
#include "models/intent.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "svec.h"
#include "tests/unit.h"
#include "util.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static struct intent *intent;

/* Checks that 'cn' may ('ok') or may not claim 'dpid'; a refusal's reason
 * must hold 'why' (if nonnull). */
static bool
check(const char *cn, const struct intent *in, uint64_t dpid, bool ok,
      const char *why)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    bool got = stream_tls_binding_check(cn, in, dpid, &s);
    bool good = got == ok && (ok ? !s.length
                              : !why || strstr(ds_cstr(&s), why) != NULL);
    if (!good) {
        fprintf(stderr, "\"%s\" claiming %016"PRIx64": got %s (%s)\n",
                cn ? cn : "(null)", dpid, got ? "allowed" : "refused",
                ds_cstr(&s));
    }
    ds_destroy(&s);
    return good;
}

static void
test_host_certificate(void)
{
    UNIT_CHECK(check("hv-host01 id:0b7c3f1e-1111-2222-3333-444455556666",
                     intent, 0x101, true, NULL));
    UNIT_CHECK(check("hv-host01 id:x", intent, 0x103, true, NULL));
    UNIT_CHECK(check("hv-host01", intent, 0x102, true, NULL));  /* -u */
    UNIT_CHECK(check("hv-host01 id:x", intent, 0x201, false,
                     "certificate \"hv-host01 id:x\" is for host hv-host01 "
                     "and cannot claim datapath 0000000000000201 "
                     "(hv-host02/br-mgmt)"));
    UNIT_CHECK(check("hv-host01 id:x", intent, 0xee, false,
                     "cannot claim datapath 00000000000000ee (not in the "
                     "intent)"));
    UNIT_CHECK(check("HV-HOST01 id:x", intent, 0x101, false,
                     "names neither a datapath ID"));
    UNIT_CHECK(check("hv-host0", intent, 0x101, false, NULL));
}

static void
test_datapath_certificate(void)
{
    UNIT_CHECK(check("0000000000000203 id:x", intent, 0x203, true, NULL));
    UNIT_CHECK(check("00000000000000Ee id:x", intent, 0xee, true, NULL));
    UNIT_CHECK(check("0000000000000203", NULL, 0x203, true, NULL));
    UNIT_CHECK(check("0000000000000203 id:x", intent, 0x201, false,
                     "certificate \"0000000000000203 id:x\" is for datapath "
                     "0000000000000203 and cannot claim datapath "
                     "0000000000000201 (hv-host02/br-mgmt)"));
    /* Not 16 digits: a (missing) host name. */
    UNIT_CHECK(check("203", intent, 0x203, false, "names neither"));
    UNIT_CHECK(check("00000000000002030", intent, 0x203, false, NULL));
}

static void
test_no_name_or_intent(void)
{
    UNIT_CHECK(check(NULL, intent, 0x101, false, "no usable subject common "
                     "name"));
    UNIT_CHECK(check("hv-host01 id:x", NULL, 0x101, false, "names neither"));
    UNIT_CHECK(check("", intent, 0x101, false, NULL));
}

int
main(int argc OVS_UNUSED, char *argv[])
{
    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    unit_program = "test-tlsbind";
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    intent = intent_load_file(TOP_SRCDIR "/examples/scvmm-logical-switch.json",
                              &errors);
    if (!intent) {
        fprintf(stderr, "cannot load the example: %s\n",
                errors.n ? errors.names[0] : "?");
        return 1;
    }
    svec_destroy(&errors);
    UNIT_RUN(test_host_certificate);
    UNIT_RUN(test_datapath_certificate);
    UNIT_RUN(test_no_name_or_intent);
    intent_destroy(intent);
    return unit_finish();
}
