# Shared by the tests that need no lab (test-cli.sh, test-diagram.sh,
# test-package.sh).  Source it after setting T_PROG, the name in the
# PASS:/FAIL: lines.  Sets 'top' (the source tree), 'bin' (the build tree)
# and 'failed' (1 once a check failed), and defines t_check.
top=${FLOWCHAIN_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
bin=${FLOWCHAIN_BUILDDIR:-$top/build}
failed=0

# t_check NAME CMD...: runs CMD; prints PASS or FAIL for NAME, and on
# failure CMD's output, indented.
t_check() {
    local name=$1 out; shift
    if out=$("$@" 2>&1); then
        echo "PASS: $T_PROG: $name"
    else
        echo "FAIL: $T_PROG: $name"; failed=1
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
    fi
}
