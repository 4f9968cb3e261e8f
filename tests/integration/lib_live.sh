# SPDX-License-Identifier: MIT
# lib_live.sh - shell helpers shared by the live tests (test_daemon.sh, test_daemon_live.sh)
# and bench/daemon-drops.sh. Source it; it defines functions only.

# wait_for SECONDS COMMAND...: polls every 0.1 s; 1 when it times out.
wait_for() {
    local n=$(($1 * 10))
    shift
    while ! "$@"; do
        n=$((n - 1))
        [ $n -le 0 ] && return 1
        sleep 0.1
    done
}

# replay_pair NS: in namespace NS (made by the caller), a veth pair rep0 (replay into it) and
# cap0 (capture on it), up, without addresses and without IPv6, so that the only frames on it
# are the replayed ones; MTU 9000, since the lab's captures hold frames a little above 1514
# bytes (segmentation offload at capture time).
replay_pair() {
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 &&
        ip -n "$1" link add rep0 type veth peer name cap0 &&
        ip -n "$1" link set rep0 mtu 9000 &&
        ip -n "$1" link set cap0 mtu 9000 &&
        ip -n "$1" link set rep0 up &&
        ip -n "$1" link set cap0 up &&
        ip -n "$1" link set lo up
}
