#!/bin/sh
# Installs what flowchain needs on Debian 12 and builds the cached
# libopenvswitch.  Idempotent: fast when everything is already there.
# Run as root (or with sudo available).
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
openvswitch-switch openvswitch-common openvswitch-source ovn-central ovn-host
libev-dev libcjson-dev libssl-dev
iproute2 iputils-ping netcat-openbsd ethtool procps psmisc iperf3
python3 python3-scapy python3-jsonschema graphviz
clang libclang-rt-14-dev
curl prometheus
debhelper lintian systemd man-db"

missing=
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    echo "setup: installing:$missing" >&2
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update >&2
    # The openvswitch-switch package starts the system's own OVS service;
    # the lab never uses it (its daemons have their own directories), so
    # keep it from starting during the install.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        remove_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y \
        --no-install-recommends $missing >&2
    if [ "${remove_policy:-0}" = 1 ]; then
        $SUDO rm -f /usr/sbin/policy-rc.d
    fi
fi

# libopenvswitch: built once per OVS version into the cache.
here=$(cd "$(dirname "$0")" && pwd)
"$here/build-ovs.sh"
