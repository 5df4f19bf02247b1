# The libFuzzer harnesses are built with clang by scripts/fuzz.sh, outside
# automake (the rest of the tree builds with the configured compiler).
# "make fuzz" builds them into BUILDDIR/fuzz and runs each for FUZZ_SECONDS;
# see docs/fuzzing.md.
FUZZ_SECONDS = 60
fuzz:
	$(top_srcdir)/scripts/fuzz.sh -b $(abs_builddir)/fuzz -t $(FUZZ_SECONDS)
.PHONY: fuzz

EXTRA_DIST += \
	fuzz/fuzz-ctlrpc.c \
	fuzz/fuzz-intent.c \
	fuzz/fuzz-lacp.c \
	fuzz/fuzz-ofsession.c \
	fuzz/fuzz-seeds.c \
	fuzz/fuzz-util.c \
	fuzz/fuzz.h \
	fuzz/intent.dict \
	fuzz/regress \
	scripts/fuzz.sh \
	tests/test-fuzz.sh
