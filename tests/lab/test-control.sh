#!/bin/bash
# Local callers of the control socket: the socket is mode 0770 whatever the
# daemon's umask, in the group --control-group names; a user outside it is
# refused.  `plan` never makes the daemon open a path its caller chose:
# flowchainctl reads the file with the caller's rights and sends the text,
# within a size limit.  Idle control clients are bounded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fcd.sh"

PY=/usr/bin/python3
INTENT=$LAB_HOME/one-host.json
# The socket lives in a directory everyone may traverse (LAB_DIR is 0700).
CDIR=$(mktemp -d /tmp/fcctl.XXXXXX)
chmod 755 "$CDIR"
LAB_CLEANUP=$CDIR
trap 'rm -rf "$CDIR"' EXIT
MEMBER=(setpriv --reuid=65534 --regid=65534 --clear-groups)     # nobody:nogroup
OUTSIDER=(setpriv --reuid=65533 --regid=65533 --clear-groups)   # no group of ours

lab_up "$INTENT" "unix:@LAB_DIR@/of.sock" || { t_fail "lab up"; exit 1; }
FCD_CTL=$CDIR/flowchaind.ctl
old_umask=$(umask)
umask 000                      # the most permissive umask: must not matter
fcd_start "$INTENT" --control-group=nogroup
umask "$old_umask"
t_check "the switch reaches sync" wait_until 60 fcd_all_in_sync 1

t_check "under umask 000 the control socket is still mode 0770" \
    [ "$(stat -c %a "$FCD_CTL")" = 770 ]
t_check "its group is --control-group's (nogroup)" \
    [ "$(stat -c %G "$FCD_CTL")" = nogroup ]
t_check "a member of that group may use it" \
    eval '"${MEMBER[@]}" "$FCD_BIN/flowchainctl" --control "$FCD_CTL" status |
          grep -q "switch 00000000000000a1: host h1 bridge br0"'
t_check "a user outside the group is refused by the socket's mode" \
    eval '! "${OUTSIDER[@]}" "$FCD_BIN/flowchainctl" --control "$FCD_CTL" status \
          > "$CDIR/out" 2>&1 && grep -q "Permission denied" "$CDIR/out"'

# plan: the content, read by the caller.
$PY - "$INTENT" "$CDIR/new.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["vms"].append({"name": "vm2", "host": "h1", "nics": [
    {"port": "tap2", "mac": "02:00:00:00:01:02", "network": "vlan10",
     "ip": "10.77.10.2"}]})
json.dump(d, open(sys.argv[2], "w"), indent=1)
EOF
cp "$CDIR/new.json" "$CDIR/secret.json"
chmod 644 "$CDIR/new.json"
chmod 600 "$CDIR/secret.json"      # root's: the caller may not read it
t_check "a member plans a file it can read" \
    eval '"${MEMBER[@]}" "$FCD_BIN/flowchainctl" --control "$FCD_CTL" plan \
          "$CDIR/new.json" > "$CDIR/out" &&
          grep -qE "^total changes: [0-9]+$" "$CDIR/out" &&
          grep -q "ports not on the switch yet (their flows go in when they appear): tap2" "$CDIR/out"'
t_check "flowchainctl plan of a file the caller cannot read fails in the CLI" \
    eval '! "${MEMBER[@]}" "$FCD_BIN/flowchainctl" --control "$FCD_CTL" plan \
          "$CDIR/secret.json" > "$CDIR/out" 2>&1 &&
          grep -q "secret.json: Permission denied" "$CDIR/out"'
t_check "the daemon does not open a path sent to it (ovs-appctl plan PATH)" \
    eval '! "${MEMBER[@]}" ovs-appctl -t "$FCD_CTL" plan "$CDIR/secret.json" \
          > "$CDIR/out" 2>&1 &&
          grep -q "plan takes the intent.s JSON text, not a file name" "$CDIR/out" &&
          ! grep -q "total changes" "$CDIR/out"'
sed 's/^/    /' "$CDIR/out"
t_check "an invalid intent text is refused with its errors, named by file" \
    eval 'printf "{\"version\": 1, \"bogus\": 1}" > "$CDIR/bad.json" &&
          ! fcctl plan "$CDIR/bad.json" > "$CDIR/out" 2>&1 &&
          grep -q "$CDIR/bad.json: invalid intent" "$CDIR/out" &&
          grep -q "bogus" "$CDIR/out"'
# Over the old 1 MiB request bound, under the 8 MiB plan limit: fine.
$PY -c 'import sys; t = open(sys.argv[1]).read(); open(sys.argv[2], "w").write(t[:-2] + " " * (3 << 20) + t[-2:])' \
    "$CDIR/new.json" "$CDIR/big.json"
t_check "a 3 MiB intent file is planned" \
    eval 'fcctl plan "$CDIR/big.json" | grep -qE "^total changes: [0-9]+$"'
$PY -c 'import sys; t = open(sys.argv[1]).read(); open(sys.argv[2], "w").write(t[:-2] + " " * (9 << 20) + t[-2:])' \
    "$CDIR/new.json" "$CDIR/huge.json"
t_check "a 9 MiB one is refused by the CLI, naming the limit" \
    eval '! fcctl plan "$CDIR/huge.json" > "$CDIR/out" 2>&1 &&
          grep -q "huge.json: larger than 8 MiB, the most plan sends" "$CDIR/out"'
t_check "the daemon still answers" fcctl version

# Idle control clients: at most 32 at once.
cat > "$CDIR/idle.py" <<'EOF'
import socket, sys, time
path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
time.sleep(1)
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1, socket.MSG_PEEK) == b"":
            closed += 1
    except BlockingIOError:
        pass
    except ConnectionResetError:
        closed += 1
open(out, "w").write("open=%d closed=%d\n" % (n - closed, closed))
EOF
t_check "40 idle control clients: 32 are kept, 8 closed at once" \
    eval '$PY "$CDIR/idle.py" "$FCD_CTL" 40 "$CDIR/idle" &&
          grep -qx "open=32 closed=8" "$CDIR/idle"'
t_check "and that is logged" grep -q "32 control clients already connected" "$FCD_LOG"
t_check "once they left, commands work again" fcctl version

fcd_stop; rc=$?
t_check "flowchaind exits cleanly on SIGTERM (status $rc)" [ "$rc" -eq 0 ]
t_check "and removes its control socket" [ ! -e "$FCD_CTL" ]
t_check "no sanitizer report from flowchaind" \
    not grep -q "Sanitizer" "$LAB_DIR/flowchaind.stderr"
t_done
