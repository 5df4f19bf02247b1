#!/bin/bash
# The fuzz harnesses as a test: replays every input in fuzz/regress/NAME/
# (the crashes found so far), then fuzzes each harness for
# FLOWCHAIN_FUZZ_SECONDS (default 20) from its seeds alone.  One PASS:/FAIL:
# line per step and harness; SKIP: lines if clang cannot build a fuzzer.
# The harnesses build into BUILDDIR/fuzz (tests/run.sh sets
# FLOWCHAIN_BUILDDIR).
set -u
top=${FLOWCHAIN_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${FLOWCHAIN_BUILDDIR:-$top/build}
exec "$top/scripts/fuzz.sh" --check -b "$builddir/fuzz" \
    -t "${FLOWCHAIN_FUZZ_SECONDS:-20}"
