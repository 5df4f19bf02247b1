#!/bin/bash
# The command-line contract, without a lab: `flowchainctl check`, the
# daemon's refusal of an invalid intent, --help and --version.
top=${FLOWCHAIN_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${FLOWCHAIN_BUILDDIR:-$top/build}
T_PROG=test-cli
failed=0
t_check() {
    local name=$1 out; shift
    if out=$("$@" 2>&1); then
        echo "PASS: $T_PROG: $name"
    else
        echo "FAIL: $T_PROG: $name"; failed=1
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
    fi
}
tmp=$(mktemp -d /tmp/fccli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for ex in "$top"/examples/*.json; do
    t_check "check accepts $(basename "$ex") with a one-line summary" \
        eval '"$bin/flowchainctl" check "$ex" > "$tmp/out" &&
              [ "$(wc -l < "$tmp/out")" -eq 1 ] &&
              grep -qE "hosts?, [0-9]+ bridges?, [0-9]+ networks?, [0-9]+ VMs?, [0-9]+ NICs?, [0-9]+ polic(y|ies)$" "$tmp/out"'
done

# A valid intent with warnings: exit 0, the summary on stdout, each warning
# on stderr as "warning: PATH: message".
pol=$top/tests/intent/valid/policies.json
t_check "check prints a policy intent's warnings on stderr and exits 0" \
    eval '"$bin/flowchainctl" check "$pol" > "$tmp/out" 2> "$tmp/err" &&
          [ "$(wc -l < "$tmp/out")" -eq 1 ] &&
          grep -q ", 5 policies$" "$tmp/out" &&
          [ "$(wc -l < "$tmp/err")" -eq 2 ] &&
          grep -qx "warning: policies\[4\]\.target: no VM has category AppTier=ap" "$tmp/err" &&
          ! grep -v "^warning: policies\[4\]\." "$tmp/err"'

bad=$(ls "$top"/tests/intent/*.json | head -1)
t_check "check rejects $(basename "$bad") with exit 1 and its error lines" \
    eval '"$bin/flowchainctl" check "$bad" > "$tmp/out" 2>/dev/null;
          [ $? -eq 1 ] && diff -u "${bad%.json}.err" "$tmp/out"'

printf '{"version": 1,\n "networks": [\n' > "$tmp/notjson.json"
t_check "check names line and column of a file that is not JSON" \
    eval '! "$bin/flowchainctl" check "$tmp/notjson.json" > "$tmp/out" 2>&1 &&
          grep -qE "line [0-9]+, column [0-9]+" "$tmp/out"'

t_check "flowchaind refuses to start with an invalid intent" \
    eval '! timeout 10 "$bin/flowchaind" --intent "$bad" \
              --listen "unix:$tmp/of.sock" --control "$tmp/ctl" \
              > "$tmp/out" 2>&1 &&
          grep -qF "$(head -1 "${bad%.json}.err")" "$tmp/out" &&
          [ ! -e "$tmp/ctl" ]'

t_check "flowchaind --help lists its options" \
    eval '"$bin/flowchaind" --help | grep -q -- "--intent=FILE" &&
          "$bin/flowchaind" --help | grep -q -- "--listen=TARGET"'
t_check "flowchainctl --help lists its commands" \
    eval '"$bin/flowchainctl" --help | grep -qE "^  (check|status|flows|plan|reload)"'
t_check "--version of both programs" \
    eval '"$bin/flowchaind" --version | grep -qE "^flowchaind [0-9]" &&
          "$bin/flowchainctl" --version | grep -qE "^flowchainctl [0-9]"'
t_check "flowchainctl without a daemon says how to reach one" \
    eval '! "$bin/flowchainctl" --control "$tmp/none.ctl" status > "$tmp/out" 2>&1 &&
          grep -q "is flowchaind running" "$tmp/out"'
t_check "flowchaind rejects a bad listen target" \
    eval '! "$bin/flowchaind" --listen "udp:1" --control "$tmp/ctl2" > "$tmp/out" 2>&1 &&
          grep -q "unknown target" "$tmp/out"'
exit $failed
