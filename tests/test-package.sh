#!/bin/bash
# Packaging: "make install DESTDIR=..." of the build tree, then the Debian
# package that scripts/package.sh builds: lintian, its control fields, an
# unpack with "dpkg --root" into an empty tree (a dpkg database of its own;
# no maintainer script runs, nothing goes to the real root), the installed
# programs run from that tree with the host's shared libraries (the daemon
# as nobody with no capability, as the hardened unit runs it), the
# sysusers.d file, the unit's contents and "systemd-analyze verify" of the
# installed unit.  Needs debhelper, lintian and systemd (scripts/setup.sh).
T_PROG=package
. "$(dirname "$0")/cli-lib.sh"
tmp=$(mktemp -d /tmp/fcpkg.XXXXXX)
dpid=
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid"
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- make install DESTDIR=... (default prefix /usr/local) -----------------
di=$tmp/destdir
t_check "make install DESTDIR= installs both programs, both man pages, the unit, the sysusers.d and environment files" \
    eval 'make -s -C "$bin" install DESTDIR="$di" > "$tmp/mi.out" 2>&1 &&
          for f in sbin/flowchaind bin/flowchainctl share/man/man8/flowchaind.8 \
                   share/man/man8/flowchainctl.8 lib/systemd/system/flowchaind.service \
                   lib/sysusers.d/flowchain.conf etc/default/flowchaind; do
              [ -f "$di/usr/local/$f" ] || { echo "missing /usr/local/$f"; exit 1; }
          done &&
          [ -x "$di/usr/local/sbin/flowchaind" ] &&
          grep -qx "ExecStart=/usr/local/sbin/flowchaind --intent=/usr/local/etc/flowchain/intent.json --control=/run/flowchain/flowchaind.ctl \$FLOWCHAIND_OPTS" \
              "$di/usr/local/lib/systemd/system/flowchaind.service"'
echo 'FLOWCHAIND_OPTS="--mine"' > "$di/usr/local/etc/default/flowchaind"
t_check "make install again keeps an edited environment file; uninstall removes the rest" \
    eval 'make -s -C "$bin" install DESTDIR="$di" > "$tmp/mi.out" 2>&1 &&
          grep -qx "FLOWCHAIND_OPTS=\"--mine\"" "$di/usr/local/etc/default/flowchaind" &&
          make -s -C "$bin" uninstall DESTDIR="$di" > "$tmp/mi.out" 2>&1 &&
          [ -z "$(find "$di" -type f ! -path "*/etc/default/flowchaind")" ]'

# ---- the package -----------------------------------------------------------
start=$(date +%s)
deb=$("$top/scripts/package.sh" -o "$tmp/out" 2> "$tmp/package.err")
rc=$?
echo "# scripts/package.sh took $(( $(date +%s) - start )) s"
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
t_check "scripts/package.sh builds flowchain_${version}_$arch.deb" \
    eval '{ [ "$rc" -eq 0 ] && [ "$deb" = "$tmp/out/flowchain_${version}_$arch.deb" ] &&
            [ -f "$deb" ]; } || { cat "$tmp/package.err"; false; }'
if [ ! -f "${deb:-/nonexistent}" ]; then
    exit 1
fi

# lintian prints one line per tag; errors and warnings fail.
lintian --fail-on error,warning -I "$tmp/out/flowchain_${version}_$arch.changes" \
    > "$tmp/lintian.out" 2> "$tmp/lintian.err"
lrc=$?
sed 's/^/# lintian: /' "$tmp/lintian.out"
t_check "lintian reports no error and no warning" \
    eval '{ [ "$lrc" -eq 0 ] && ! grep -q "^[EW]: " "$tmp/lintian.out"; } ||
          { cat "$tmp/lintian.out" "$tmp/lintian.err"; false; }'

field() { dpkg-deb -f "$deb" "$1"; }
ovs_version=$(dpkg-query -W -f='${source:Version}' openvswitch-source)
t_check "control: Package, Version, Architecture, Section" \
    eval '[ "$(field Package)" = flowchain ] && [ "$(field Version)" = "$version" ] &&
          [ "$(field Architecture)" = "$arch" ] && [ "$(field Section)" = net ]'
t_check "control: Depends from shlibs has libev4, libcjson1, libssl3, libc6 (and a sysusers provider)" \
    eval 'd=$(field Depends) && echo "$d" &&
          for p in libev4 libcjson1 libssl3 libc6; do
              echo "$d" | grep -qE "(^|, )$p \(>= " || exit 1
          done && echo "$d" | grep -q "systemd | systemd-standalone-sysusers"'
t_check "control: Built-Using names the static libopenvswitch's source version" \
    eval '[ "$(field Built-Using)" = "openvswitch (= $ovs_version)" ]'
t_check "control: /etc/default/flowchaind is the conffile" \
    eval 'dpkg-deb -e "$deb" "$tmp/control" &&
          [ "$(cat "$tmp/control/conffiles")" = /etc/default/flowchaind ] &&
          [ ! -e "$tmp/control/preinst" ]'

# ---- unpacked into an empty tree with its own dpkg database ----------------
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
# --unpack runs no maintainer script (the package has no preinst): the
# postinst would enable the unit, which must not happen on this machine.
# The conffile stays /etc/default/flowchaind.dpkg-new until configuration.
# --path-include: unpack man pages and examples even where dpkg.cfg.d
# excludes /usr/share/doc and /usr/share/man (minimal container images).
t_check "dpkg --root unpacks it into an empty tree" \
    eval 'dpkg --root="$root" --force-depends --no-triggers --path-include="/*" \
              --unpack "$deb" &&
          dpkg-query --admindir="$root/var/lib/dpkg" -W -f="\${Status}|\${Conffiles}\n" flowchain \
              > "$tmp/q" && cat "$tmp/q" &&
          grep -q "^install ok unpacked| /etc/default/flowchaind " "$tmp/q"'
t_check "installed files: daemon in /usr/sbin, client in /usr/bin, man pages, unit, sysusers.d, /etc/flowchain, examples, copyright" \
    eval 'for f in usr/sbin/flowchaind usr/bin/flowchainctl \
                   usr/share/man/man8/flowchaind.8.gz usr/share/man/man8/flowchainctl.8.gz \
                   lib/systemd/system/flowchaind.service usr/lib/sysusers.d/flowchain.conf \
                   etc/default/flowchaind.dpkg-new usr/share/doc/flowchain/copyright \
                   usr/share/doc/flowchain/README.Debian; do
              [ -f "$root/$f" ] || { echo "missing /$f"; exit 1; }
          done &&
          [ -x "$root/usr/sbin/flowchaind" ] && [ -x "$root/usr/bin/flowchainctl" ] &&
          [ -d "$root/etc/flowchain" ] &&
          [ "$(ls "$root"/usr/share/doc/flowchain/examples/*.json | wc -l)" -eq \
            "$(ls "$top"/examples/*.json | wc -l)" ]'
t_check "copyright and README.Debian say libopenvswitch is linked statically (Apache-2.0)" \
    eval 'grep -q "^License: Apache-2.0" "$root/usr/share/doc/flowchain/copyright" &&
          grep -q "linked statically" "$root/usr/share/doc/flowchain/copyright" &&
          grep -q "linked statically with libopenvswitch" "$root/usr/share/doc/flowchain/README.Debian"'
t_check "installed flowchaind and flowchainctl --version print $version" \
    eval '[ "$("$root/usr/sbin/flowchaind" --version)" = "flowchaind $version" ] &&
          [ "$("$root/usr/bin/flowchainctl" --version)" = "flowchainctl $version" ]'
for ex in "$root"/usr/share/doc/flowchain/examples/*.json; do
    t_check "installed flowchainctl check accepts examples/$(basename "$ex")" \
        "$root/usr/bin/flowchainctl" check "$ex"
done
t_check "the installed man pages render" \
    eval 'MANWIDTH=80 man -l "$root/usr/share/man/man8/flowchaind.8.gz" | grep -q "SIGHUP" &&
          MANWIDTH=80 man -l "$root/usr/share/man/man8/flowchainctl.8.gz" | grep -q flowchainctl'

# ---- the service: user, unit, reload ---------------------------------------
t_check "the sysusers.d file, as the postinst runs it, creates user and group flowchain (in the tree)" \
    eval 'systemd-sysusers --root="$root" flowchain.conf &&
          grep -q "^flowchain:x:[0-9]*:[0-9]*:" "$root/etc/passwd" &&
          grep -q "^flowchain:x:" "$root/etc/group"'
unit=$root/lib/systemd/system/flowchaind.service
t_check "unit: foreground flowchaind on /etc/flowchain/intent.json, control socket in /run/flowchain" \
    eval 'grep -qx "Type=simple" "$unit" &&
          grep -qx "ExecStart=/usr/sbin/flowchaind --intent=/etc/flowchain/intent.json --control=/run/flowchain/flowchaind.ctl \$FLOWCHAIND_OPTS" "$unit" &&
          grep -qx "EnvironmentFile=-/etc/default/flowchaind" "$unit" &&
          grep -qx "RuntimeDirectory=flowchain" "$unit" &&
          grep -qx "ConditionPathExists=/etc/flowchain/intent.json" "$unit" &&
          grep -qx "User=flowchain" "$unit"'
t_check "unit: Restart=on-failure, reload by SIGHUP, after network-online and OVS without wanting OVS" \
    eval 'grep -qx "Restart=on-failure" "$unit" &&
          grep -qx "ExecReload=/bin/kill -HUP \$MAINPID" "$unit" &&
          grep -qx "Wants=network-online.target" "$unit" &&
          grep -qx "After=network-online.target openvswitch-switch.service" "$unit" &&
          ! grep -E "^(Wants|Requires|BindsTo|PartOf)=.*openvswitch" "$unit" &&
          grep -qx "ProtectSystem=strict" "$unit" && grep -qx "CapabilityBoundingSet=" "$unit" &&
          grep -qx "WantedBy=multi-user.target" "$unit"'
# verify --root resolves ExecStart= and the units it needs inside the
# tree: give it the host's units and kill(1), in the tree.
mkdir -p "$root/usr/lib/systemd/system" "$root/bin"
cp -a /lib/systemd/system/. "$root/usr/lib/systemd/system/"
cp /bin/kill "$root/bin/kill"
t_check "systemd-analyze verify: the installed unit, with no message" \
    eval 'MANPATH="$root/usr/share/man" SYSTEMD_LOG_LEVEL=notice \
              systemd-analyze verify --root="$root" /lib/systemd/system/flowchaind.service \
              > "$tmp/verify.out" 2>&1; vrc=$?; cat "$tmp/verify.out";
          [ "$vrc" -eq 0 ] && [ ! -s "$tmp/verify.out" ]'

# The hardening, as systemd rates it offline (0 = best, 10 = none).
systemd-analyze security --offline=yes --root="$root" \
    /lib/systemd/system/flowchaind.service > "$tmp/security.out" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for flowchaind.service: \([0-9.]*\).*/\1/p' \
           "$tmp/security.out")
echo "# systemd-analyze security: exposure ${exposure:-?}"
t_check "systemd-analyze security: exposure level at most 2.0 (hardened)" \
    eval '[ -n "$exposure" ] && awk -v e="$exposure" "BEGIN { exit !(e <= 2.0) }" ||
          { cat "$tmp/security.out"; false; }'

# What ExecStart and ExecReload do, with the installed daemon (temporary
# paths instead of /etc and /run), as the unit runs it: an unprivileged
# user (nobody here), no capability at all, no new privileges, its runtime
# directory its own.  SIGHUP reloads, SIGTERM exits 0.
chmod 0755 "$tmp"
mkdir "$tmp/run" "$tmp/srv"
chown nobody "$tmp/run" "$tmp/srv"
cp "$root/usr/share/doc/flowchain/examples/ahv-cluster.json" "$tmp/intent.json"
chmod 0644 "$tmp/intent.json"
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --no-new-privs \
        --inh-caps=-all --bounding-set=-all \
    "$root/usr/sbin/flowchaind" --intent="$tmp/intent.json" \
    --control="$tmp/run/flowchaind.ctl" --listen="unix:$tmp/srv/of.sock" \
    > "$tmp/d.out" 2>&1 &
dpid=$!
for _ in $(seq 50); do [ -S "$tmp/run/flowchaind.ctl" ] && break; sleep 0.1; done
t_check "the installed daemon runs as nobody with no capability and answers the installed flowchainctl" \
    eval '[ "$(stat -c %U "$tmp/run/flowchaind.ctl")" = nobody ] &&
          grep -qx "CapEff:[[:space:]]*0*" "/proc/$dpid/status" &&
          grep -qx "CapBnd:[[:space:]]*0*" "/proc/$dpid/status" &&
          "$root/usr/bin/flowchainctl" --control "$tmp/run/flowchaind.ctl" status > "$tmp/st" &&
          grep -q "intent: " "$tmp/st"'
kill -HUP "$dpid"
for _ in $(seq 50); do grep -q "SIGHUP: reloading the intent" "$tmp/d.out" && break; sleep 0.1; done
t_check "SIGHUP (ExecReload) reloads the intent" \
    eval '{ grep -q "SIGHUP: reloading the intent" "$tmp/d.out" && kill -0 "$dpid"; } ||
          { cat "$tmp/d.out"; false; }'
kill -TERM "$dpid"
wait "$dpid"
drc=$?
dpid=
t_check "SIGTERM (systemctl stop) exits 0" \
    eval '{ [ "$drc" -eq 0 ] && [ ! -e "$tmp/run/flowchaind.ctl" ]; } ||
          { cat "$tmp/d.out"; false; }'

exit $failed
