# SPDX-License-Identifier: MIT
#
# common.sh — shared helpers of the lab scripts: logging, dependency install, namespace
# bookkeeping and the cleanup trap. Sourced by lab/run-scenario.sh and lab/run-all.sh.
#
# Every namespace, process and temporary file a run makes is registered here and removed
# by lab_cleanup, which runs on EXIT (also after an error or Ctrl-C).

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_ROOT=$(cd "$LAB_DIR/.." && pwd)
LAB_T0=$(date +%s.%N)
LAB_NS=()      # namespaces made by this run
LAB_PIDS=()    # background processes started by this run
LAB_ETC=()     # /etc/netns/<ns> folders made by this run (per-namespace resolv.conf)
LAB_TAG=${LAB_TAG:-lab}

lab_elapsed() { awk -v a="$(date +%s.%N)" -v b="$LAB_T0" 'BEGIN { printf "%.1f", a - b }'; }
log() { printf '[%s %6ss] %s\n' "$LAB_TAG" "$(lab_elapsed)" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$LAB_TAG" "$*" >&2
    exit 1
}

# Debian packages the lab needs, as command:package pairs.
LAB_DEPS=(ip:iproute2 tcpdump:tcpdump socat:socat openssl:openssl curl:curl nft:nftables
    iptables-nft:iptables tshark:tshark editcap:wireshark-common mergecap:wireshark-common
    ethtool:ethtool dnsmasq:dnsmasq-base turnserver:coturn mitmdump:mitmproxy
    node:nodejs npm:npm python3:python3 jq:jq update-ca-certificates:ca-certificates
    sysctl:procps pkill:procps)

# lab_install_deps: install whatever of LAB_DEPS is missing (root, Debian 12).
lab_install_deps() {
    local pair missing=()
    for pair in "${LAB_DEPS[@]}"; do
        [[ -n $pair ]] || continue
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    ((${#missing[@]})) || return 0
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # wireshark-common asks whether non-root users may capture; the answer does not matter.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The coturn package starts no daemon without systemd, but make sure none runs.
    pkill -x turnserver 2>/dev/null || true
}

# lab_node_deps: werift and its dependencies into lab/node/node_modules (npm registry).
lab_node_deps() {
    local dir=$LAB_DIR/node
    if [[ -d $dir/node_modules/werift ]] &&
        cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.lab" 2>/dev/null; then
        return 0
    fi
    log "npm ci in lab/node"
    # Bounded: a registry that cannot be reached fails the run instead of hanging it.
    (cd "$dir" && timeout 900 npm ci --no-audit --no-fund --loglevel=error \
        --fetch-timeout=60000 --fetch-retries=2 >/dev/null) ||
        die "npm ci in lab/node failed (is the npm registry reachable, and its certificate trusted?)"
    cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.lab"
}

in_ns() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

# bg NAME NS CMD... : start CMD in namespace NS in the background, output to $LAB_WORK/NAME.log.
bg() {
    local name=$1 ns=$2
    shift 2
    ip netns exec "$ns" "$@" >"$LAB_WORK/$name.log" 2>&1 &
    LAB_PIDS+=($!)
    eval "PID_${name//[^a-zA-Z0-9_]/_}=$!"
}

# wait_listen NS tcp|udp ADDR PORT [SECONDS]: wait until something listens there.
wait_listen() {
    local ns=$1 proto=$2 addr=$3 port=$4 secs=${5:-10} i flag=-Hltn out
    [[ $proto == udp ]] && flag=-Hlun
    for ((i = 0; i < secs * 10; i++)); do
        out=$(in_ns "$ns" ss $flag "sport = :$port")
        [[ $out == *"$addr:$port"* || $out == *"[$addr]:$port"* ]] && return 0
        sleep 0.1
    done
    die "nothing listening on $proto $addr:$port in $ns after $secs s"
}

lab_ns_add() { # lab_ns_add NAME: a new namespace with lo up and quiet IPv6
    local ns=$1 k
    ip netns add "$ns"
    LAB_NS+=("$ns")
    in_ns "$ns" ip link set lo up
    # Static addresses only: no router solicitations, no duplicate address detection.
    for k in accept_ra=0 accept_dad=0 dad_transmits=0 router_solicitations=0 \
        mldv2_unsolicited_report_interval=10 mldv1_unsolicited_report_interval=10; do
        in_ns "$ns" sysctl -qw "net.ipv6.conf.default.$k" "net.ipv6.conf.all.$k" >/dev/null
    done
}

# lab_resolver NS ADDR: the namespace's resolv.conf (ip netns exec bind-mounts it).
lab_resolver() {
    mkdir -p "/etc/netns/$1"
    LAB_ETC+=("/etc/netns/$1")
    printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$2" >"/etc/netns/$1/resolv.conf"
}

lab_cleanup() {
    local rc=$? pid pids ns i sig d
    set +e
    trap - EXIT INT TERM
    for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for ns in "${LAB_NS[@]}"; do
        [[ -e /run/netns/$ns ]] || continue
        # Only processes inside this run's own namespaces: all of them were started here.
        for i in 1 2 3 4 5 6 7 8 9 10; do
            pids=$(ip netns pids "$ns" 2>/dev/null)
            [[ -z $pids ]] && break
            sig=-TERM
            ((i < 10)) || sig=-KILL
            # shellcheck disable=SC2086 # a list of pids
            kill "$sig" $pids 2>/dev/null
            sleep 0.1
        done
        ip netns del "$ns" 2>/dev/null
    done
    for d in "${LAB_ETC[@]}"; do rm -rf "$d"; done
    if [[ -n ${LAB_WORK:-} && -d $LAB_WORK ]]; then
        if ((rc != 0)) && [[ -n ${LAB_KEEP_FAILED:-} ]]; then
            echo "$LAB_TAG: failed; logs kept in $LAB_WORK" >&2
        else
            rm -rf "$LAB_WORK"
        fi
    fi
    ((rc == 0)) || echo "$LAB_TAG: failed (exit $rc); namespaces and temporary files removed" >&2
    exit "$rc"
}

lab_trap() {
    trap lab_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
