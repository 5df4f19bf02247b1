#!/bin/sh
# Builds the static libopenvswitch that flowchain links against, from Debian's
# openvswitch-source package, into a cache directory outside the clone, keyed
# by the Open vSwitch version, so fresh clones and CI reuse it.
#
# Usage: scripts/build-ovs.sh            prints the build directory on stdout
# Environment: FLOWCHAIN_OVS_CACHE overrides the cache root
#              (default ~/.cache/flowchain).
set -eu

TARBALL=/usr/src/openvswitch/openvswitch.tar.gz
if [ ! -f "$TARBALL" ]; then
    echo "build-ovs: $TARBALL missing (apt-get install openvswitch-source)" >&2
    exit 1
fi

version=$(dpkg-query -W -f='${Version}' openvswitch-source 2>/dev/null \
          | sed 's/-.*//')
[ -n "$version" ] || version=unknown
cache_root=${FLOWCHAIN_OVS_CACHE:-${HOME:-/root}/.cache/flowchain}
dir="$cache_root/ovs-$version"
stamp="$dir/.flowchain-built"

if [ -f "$stamp" ] && [ -f "$dir/lib/.libs/libopenvswitch.a" ]; then
    echo "$dir"
    exit 0
fi

echo "build-ovs: building libopenvswitch $version in $dir (a few minutes, once)" >&2
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
tar xzf "$TARBALL" -C "$dir.tmp" --strip-components=1
(
    cd "$dir.tmp"
    [ -x configure ] || ./boot.sh >&2
    ./configure --enable-static --disable-shared \
        CFLAGS="-O2 -g -fPIC" >"$dir.tmp/flowchain-configure.log" 2>&1 || {
        tail -30 "$dir.tmp/flowchain-configure.log" >&2; exit 1; }
    # The generated headers (BUILT_SOURCES) must exist before the library.
    jobs=$(nproc 2>/dev/null || echo 2)
    built=$(printf 'fc-print-built:\n\t@echo $(BUILT_SOURCES)\n' \
            | make -s -f Makefile -f - fc-print-built)
    make -j"$jobs" $built >"$dir.tmp/flowchain-make.log" 2>&1 || {
        tail -30 "$dir.tmp/flowchain-make.log" >&2; exit 1; }
    make -j"$jobs" lib/libopenvswitch.la >"$dir.tmp/flowchain-make.log" 2>&1 || {
        tail -30 "$dir.tmp/flowchain-make.log" >&2; exit 1; }
)
rm -rf "$dir"
mv "$dir.tmp" "$dir"
# libtool records absolute paths; the library itself is static, so the move
# is harmless for linking with -L$dir/lib/.libs.
touch "$stamp"
echo "$dir"
