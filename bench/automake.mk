# Benchmarks: built by "make" (so they keep compiling).  bench/run.sh runs
# them (docs/performance.md); the tests run it only at a tiny scale
# (tests/lab/test-bench-smoke.sh) and assert no time.  Needs
# "noinst_PROGRAMS =" in Makefile.am before this file is included.
noinst_PROGRAMS += bench/bench-intent
bench_bench_intent_SOURCES = bench/bench-intent.c
bench_bench_intent_LDADD = $(PIPELINES_LIBS)
EXTRA_DIST += bench/gen-intent.py bench/gen-b6.py bench/bench-sync.sh bench/run.sh
noinst_PROGRAMS += bench/bench-flowmem
bench_bench_flowmem_SOURCES = bench/bench-flowmem.c tests/ofmsgs.c \
	tests/ofmsgs.h
bench_bench_flowmem_LDADD = $(FLOWCHAIN_LIBS)
