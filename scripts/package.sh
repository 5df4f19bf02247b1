#!/bin/sh
# Builds the Debian package flowchain_VERSION_ARCH.deb from debian/ with
# dpkg-buildpackage (debhelper; debian/rules configures against the cached
# libopenvswitch of scripts/build-ovs.sh).  The build runs in a copy of the
# source tree in a temporary directory, so the tree itself stays clean and
# nothing is written next to it.
#
# usage: scripts/package.sh [-o OUTDIR]   (default OUTDIR: ./build-deb)
# Prints the path of the .deb on stdout; the build log goes to
# OUTDIR/build.log (its tail to stderr on failure).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build-deb
while getopts o: opt; do
    case $opt in
        o) out=$OPTARG ;;
        *) echo "usage: $0 [-o OUTDIR]" >&2; exit 2 ;;
    esac
done
for tool in dpkg-buildpackage dh; do
    command -v "$tool" >/dev/null || {
        echo "package: $tool missing (scripts/setup.sh installs debhelper)" >&2
        exit 1; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
work=$(mktemp -d /tmp/flowchain-pkg.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/flowchain-$version
mkdir "$src"
# The sources: what git tracks plus new files it does not ignore, or, outside
# a git checkout, the tree without build directories.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$top" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
        | tar --null -T - -cf -) | tar -xf - -C "$src"
else
    (cd "$top" && tar --exclude='./build*' --exclude=./autom4te.cache \
        --exclude=./debian/build --exclude=./debian/flowchain -cf - .) \
        | tar -xf - -C "$src"
fi

log=$out/build.log
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "package: dpkg-buildpackage failed (log: $log)" >&2
    exit 1
fi
rm -f "$out"/flowchain_*.deb "$out"/flowchain-dbgsym_*.deb \
      "$out"/flowchain_*.changes "$out"/flowchain_*.buildinfo
for f in "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo; do
    [ -e "$f" ] && cp "$f" "$out/"
done
ls "$out"/flowchain_"$version"_*.deb
