# Benchmarks: built by "make" (so they keep compiling), never run by the
# tests; run bench/bench-intent by hand.  Needs "noinst_PROGRAMS =" in
# Makefile.am before this file is included.
noinst_PROGRAMS += bench/bench-intent
bench_bench_intent_SOURCES = bench/bench-intent.c
bench_bench_intent_LDADD = $(MODELS_LIBS)
EXTRA_DIST += bench/gen-intent.py bench/bench-sync.sh
