#!/bin/sh
# Configures and builds flowchain into BUILDDIR (default ./build), with the
# cached libopenvswitch.  Extra arguments go to configure (for example
# --enable-sanitizers).  Prints nothing but errors when all is well.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$top/build}
ovs=$("$top/scripts/build-ovs.sh")

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] \
        || [ Makefile.am -nt Makefile.in ] \
        || [ -n "$(find . -name automake.mk -newer Makefile.in)" ]; then
    autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi
mkdir -p "$builddir"
cd "$builddir"
want="--with-ovs=$ovs $*"
if [ ! -f Makefile ] || [ "$(cat .flowchain-configure 2>/dev/null)" != "$want" ]; then
    # shellcheck disable=SC2086
    "$top/configure" -q $want
    echo "$want" > .flowchain-configure
fi
make -s -j"$(nproc)" all
# Builds the unit-test programs too, without running them (tests/run.sh
# runs them, with the lab tests).
make -s -j"$(nproc)" check TESTS=
