#!/bin/sh
# The test command: installs what is missing, builds with AddressSanitizer
# and UBSan, and runs every test.  Ends with "N passed, N failed".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
BUILDDIR=$top/build-test "$top/scripts/build.sh" --enable-sanitizers
exec "$top/tests/run.sh" "$top/build-test" "$@"
