#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make-mini.sh — build the "mini" capture: a small, reproducible pcapng plus its ground truth.
#
#   sudo lab/make-mini.sh        → pcaps/mini.pcapng, pcaps/mini.truth.tsv and the lab CA's
#                                  certificate pcaps/mini.ca.pem (overwritten, together)
#
# Four network namespaces, all private to this run (names ssmini-<pid>-*); nothing is
# connected to the host's own network, so no packet can leave them:
#
#   ssmini-N-a   client   10.77.0.10  fd77::10 ─┐
#                                               ├─ br0 ─ ssmini-N-gw  router, DNS, nftables
#   ssmini-N-b   console  10.77.0.20  fd77::20 ─┘  10.77.0.1 fd77::1   capture point: br0
#                                                       │ 203.0.113.0/30, 2001:db8:ff::/64
#   ssmini-N-srv "internet": 192.0.2.10 (app.senso.cloud), 2001:db8:10::10
#                (eu.service.signalr.net), 198.51.100.20 (STUN), 198.51.100.30 (blob, dropped)
#
# The ground truth is what the lab did and observed (client exit codes and answers, nftables
# counters, ports and packets read back from the capture with tshark), never sensoscope's
# output. The script fails, and leaves the previous outputs alone, if any observation
# contradicts the scenario. See lab/README-mini.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT_PCAP=$ROOT/pcaps/mini.pcapng
OUT_TRUTH=$ROOT/pcaps/mini.truth.tsv
OUT_CA=$ROOT/pcaps/mini.ca.pem   # the lab CA's certificate (public; the key is never kept)
T_START=$(date +%s.%N)

elapsed() { awk -v a="$(date +%s.%N)" -v b="$T_START" 'BEGIN { printf "%.1f", a - b }'; }
log() { printf '[mini %5ss] %s\n' "$(elapsed)" "$*" >&2; }
die() { printf 'make-mini: error: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root (network namespaces, tcpdump, nftables)"

# ---------------------------------------------------------------- dependencies
missing=()
for pair in ip:iproute2 tcpdump:tcpdump socat:socat openssl:openssl curl:curl nft:nftables \
            tshark:tshark editcap:wireshark-common ethtool:ethtool; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[[ -x /usr/bin/python3 ]] || command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ((${#missing[@]})); then
    echo "make-mini: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
UDP=("$PY" "$HERE/mini_udp.py")

# ---------------------------------------------------------------- namespaces, cleanup
PFX=ssmini-$$
NS_A=$PFX-a NS_B=$PFX-b NS_G=$PFX-gw NS_S=$PFX-srv
ALL_NS=("$NS_A" "$NS_B" "$NS_G" "$NS_S")
WORK=$(mktemp -d /tmp/ssmini.XXXXXX)
BG_PIDS=()

cleanup() {
    local rc=$? pid pids ns i sig
    set +e
    trap - EXIT INT TERM
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for ns in "${ALL_NS[@]}"; do
        [[ -e /run/netns/$ns ]] || continue
        # Only processes inside this run's own namespaces: all of them were started here.
        for i in 1 2 3 4 5 6 7 8 9 10; do
            pids=$(ip netns pids "$ns" 2>/dev/null)
            [[ -z $pids ]] && break
            sig=-TERM; ((i < 10)) || sig=-KILL
            # shellcheck disable=SC2086 # a list of pids
            kill "$sig" $pids 2>/dev/null
            sleep 0.1
        done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$WORK"
    ((rc == 0)) || echo "make-mini: failed (exit $rc); namespaces and temp files removed" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
bg() { # bg LOGNAME NS CMD... : background process in a namespace, killed by cleanup
    local name=$1 ns=$2; shift 2
    ip netns exec "$ns" "$@" >"$WORK/$name.log" 2>&1 &   # ip execs the command: $! is its pid
    BG_PIDS+=($!)
}
wait_listen() { # wait_listen NS tcp|udp ADDR PORT
    local ns=$1 proto=$2 addr=$3 port=$4 i flag=-Hltn out
    [[ $proto == udp ]] && flag=-Hlun
    for i in $(seq 50); do
        out=$(in_ns "$ns" ss $flag "sport = :$port")
        [[ $out == *"$addr"* ]] && return 0
        sleep 0.1
    done
    die "nothing listening on $proto $addr:$port in $ns after 5 s"
}

log "namespaces ${ALL_NS[*]}"
for ns in "${ALL_NS[@]}"; do
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    # Quiet IPv6 before any interface exists: static addresses, no router solicitations,
    # no duplicate address detection, MLD repeats over quickly (before the capture starts).
    for k in accept_ra=0 accept_dad=0 dad_transmits=0 router_solicitations=0 \
             mldv2_unsolicited_report_interval=10 mldv1_unsolicited_report_interval=10; do
        in_ns "$ns" sysctl -qw "net.ipv6.conf.default.$k" "net.ipv6.conf.all.$k" >/dev/null
    done
done

# LAN: a bridge in the gateway, one veth per LAN host (fixed, locally administered MACs).
ip -n "$NS_G" link add br0 address 02:00:0a:4d:00:01 type bridge stp_state 0 forward_delay 0
ip -n "$NS_G" link add p-a type veth peer name eth0 netns "$NS_A"
ip -n "$NS_G" link add p-b type veth peer name eth0 netns "$NS_B"
ip -n "$NS_A" link set eth0 address 02:00:0a:4d:00:0a
ip -n "$NS_B" link set eth0 address 02:00:0a:4d:00:14
for p in p-a p-b; do ip -n "$NS_G" link set "$p" master br0 up; done
ip -n "$NS_G" addr add 10.77.0.1/24 dev br0
ip -n "$NS_G" addr add fd77::1/64 dev br0 nodad
ip -n "$NS_G" link set br0 up
for h in A:10 B:20; do
    ns_var=NS_${h%%:*}; ns=${!ns_var}; n=${h#*:}
    ip -n "$ns" addr add "10.77.0.$n/24" dev eth0
    ip -n "$ns" addr add "fd77::$n/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via 10.77.0.1
    ip -n "$ns" -6 route add default via fd77::1
done

# WAN: gateway ↔ "internet" server namespace.
ip -n "$NS_G" link add wan0 type veth peer name eth0 netns "$NS_S"
ip -n "$NS_G" addr add 203.0.113.1/30 dev wan0
ip -n "$NS_G" addr add 2001:db8:ff::1/64 dev wan0 nodad
ip -n "$NS_G" link set wan0 up
ip -n "$NS_S" addr add 203.0.113.2/30 dev eth0
ip -n "$NS_S" addr add 2001:db8:ff::2/64 dev eth0 nodad
ip -n "$NS_S" link set eth0 up
for a in 192.0.2.10/32 198.51.100.20/32 198.51.100.30/32; do ip -n "$NS_S" addr add "$a" dev lo; done
ip -n "$NS_S" addr add 2001:db8:10::10/128 dev lo
ip -n "$NS_S" route add default via 203.0.113.1
ip -n "$NS_S" -6 route add default via 2001:db8:ff::1
ip -n "$NS_G" route add 192.0.2.0/24 via 203.0.113.2
ip -n "$NS_G" route add 198.51.100.0/24 via 203.0.113.2
ip -n "$NS_G" -6 route add 2001:db8:10::/48 via 2001:db8:ff::2
in_ns "$NS_G" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
# Bridged frames must not go through the IP firewall (only routed traffic is filtered).
in_ns "$NS_G" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
    net.bridge.bridge-nf-call-ip6tables=0 >/dev/null 2>&1 || true

# Real checksums and MTU-sized segments in the capture: no offloads on the veths.
for nd in "$NS_A eth0" "$NS_B eth0" "$NS_S eth0" "$NS_G br0" "$NS_G p-a" "$NS_G p-b" "$NS_G wan0"; do
    read -r ns dev <<<"$nd"
    for feature in tx tso gso gro; do
        in_ns "$ns" ethtool -K "$dev" "$feature" off >/dev/null 2>&1 || true
    done
done

# The school firewall: drop (no answer) TCP 443 to the blob storage address.
in_ns "$NS_G" nft -f - <<'EOF'
table inet ssmini {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ip daddr 198.51.100.30 tcp dport 443 counter drop comment "blob storage blocked"
    }
}
EOF

# ---------------------------------------------------------------- certificates
log "certificates"
(
    cd "$WORK"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "/O=sensoscope lab/CN=sensoscope lab CA" -keyout ca.key -out ca.crt \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        2>/dev/null
    for name in app.senso.cloud eu.service.signalr.net; do
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj "/O=sensoscope lab/CN=$name" -keyout "$name.key" -out "$name.csr" 2>/dev/null
        printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
            "$name" >"$name.ext"
        openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
            -extfile "$name.ext" -out "$name.crt" 2>/dev/null
    done
)

# ---------------------------------------------------------------- servers
log "servers"
S_OPTS=(-www -naccept 1 -quiet)
bg s_server4 "$NS_S" timeout 40 openssl s_server -4 -accept 192.0.2.10:443 "${S_OPTS[@]}" \
    -cert "$WORK/app.senso.cloud.crt" -key "$WORK/app.senso.cloud.key"
bg s_server6 "$NS_S" timeout 40 openssl s_server -6 -accept '[2001:db8:10::10]:443' "${S_OPTS[@]}" \
    -cert "$WORK/eu.service.signalr.net.crt" -key "$WORK/eu.service.signalr.net.key"
bg stun "$NS_S" timeout 40 "${UDP[@]}" stun-server --bind 198.51.100.20 --port 3478 --count 5 --timeout 35
bg dns "$NS_G" timeout 40 "${UDP[@]}" dns-server --bind 10.77.0.1 --port 53 --count 10 --timeout 35 \
    --record app.senso.cloud=A=192.0.2.10 \
    --record eu.service.signalr.net=AAAA=2001:db8:10::10 \
    --record senso-sturn-northeu.cloudapp.net=A=198.51.100.20 \
    --record sensoeustorage.blob.core.windows.net=A=198.51.100.30
# Screen broadcast: the console (sender) listens on TCP 30100, one connection, echoes.
bg bcast "$NS_B" timeout 40 socat TCP-LISTEN:30100,bind=10.77.0.20,reuseaddr EXEC:cat
wait_listen "$NS_S" tcp 192.0.2.10 443
wait_listen "$NS_S" tcp 2001:db8:10::10 443
wait_listen "$NS_S" udp 198.51.100.20 3478
wait_listen "$NS_G" udp 10.77.0.1 53
wait_listen "$NS_B" tcp 10.77.0.20 30100

# ---------------------------------------------------------------- capture
sleep 0.3   # let the last interface-up MLD reports go by before the capture starts
log "capture on $NS_G br0"
ip netns exec "$NS_G" tcpdump -i br0 -n -s 0 -B 65536 -U --immediate-mode -Z root --time-stamp-precision=nano \
    -w "$WORK/mini.pcap" 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
BG_PIDS+=("$TCPDUMP_PID")
for i in $(seq 50); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
grep -q 'listening on' "$WORK/tcpdump.log" || die "tcpdump did not start: $(cat "$WORK/tcpdump.log")"

# ---------------------------------------------------------------- traffic
# Each step records the facts a client observed in FACT_<key> (exit code, its own output).
declare -A FACT
run() { # run KEY NS CMD... : run a bounded client, remember exit code and stdout
    local key=$1 ns=$2 rc=0 out; shift 2
    out=$(in_ns "$ns" timeout 10 "$@" 2>"$WORK/$key.err") || rc=$?
    FACT[$key.rc]=$rc FACT[$key.out]=$out
    log "$key: exit $rc ${out:+($out)} $(head -c 200 "$WORK/$key.err" | tr '\n' ' ')"
    sleep 0.2
}
CURL=(curl -sS -o /dev/null --max-time 8 --cacert "$WORK/ca.crt"
      -w '%{http_code} %{local_ip} %{local_port} verify=%{ssl_verify_result}')

run dns1 "$NS_A" "${UDP[@]}" dns-query --server 10.77.0.1 --name app.senso.cloud --type A
run https4 "$NS_A" "${CURL[@]}" --tls-max 1.2 \
    --resolve app.senso.cloud:443:192.0.2.10 https://app.senso.cloud/
run dns2 "$NS_B" "${UDP[@]}" dns-query --server 10.77.0.1 --name eu.service.signalr.net --type AAAA
run https6 "$NS_B" "${CURL[@]}" \
    --resolve 'eu.service.signalr.net:443:[2001:db8:10::10]' https://eu.service.signalr.net/
run dns3 "$NS_A" "${UDP[@]}" dns-query --server 10.77.0.1 --name senso-sturn-northeu.cloudapp.net --type A
run stun "$NS_A" "${UDP[@]}" stun-client --server 198.51.100.20 --port 3478
run udpclosed "$NS_A" "${UDP[@]}" stun-client --server 192.0.2.10 --port 3478 --expect-refused
run rej "$NS_A" curl -sS -o /dev/null --connect-timeout 3 http://198.51.100.20:3478/
run dns4 "$NS_A" "${UDP[@]}" dns-query --server 10.77.0.1 --name sensoeustorage.blob.core.windows.net --type A
run s0 "$NS_A" "${CURL[@]}" --connect-timeout 3.5 \
    --resolve sensoeustorage.blob.core.windows.net:443:198.51.100.30 \
    https://sensoeustorage.blob.core.windows.net/
run bcast "$NS_A" socat -t 2 - TCP:10.77.0.20:30100,connect-timeout=3 \
    <<<"sensoscope-lab broadcast hello"

sleep 0.5   # last ACKs
NFT_DROPS=$(in_ns "$NS_G" nft list chain inet ssmini forward |
            sed -n 's/.*counter packets \([0-9]*\) bytes.*/\1/p')
kill -TERM "$TCPDUMP_PID" # background jobs of a script ignore SIGINT
wait "$TCPDUMP_PID" || true
log "tcpdump: $(grep -E 'captured|dropped' "$WORK/tcpdump.log" | tr '\n' ' ')"
grep -q '^0 packets dropped by kernel' "$WORK/tcpdump.log" || die "tcpdump dropped packets"

# ---------------------------------------------------------------- client expectations
expect_rc() { # KEY RC WHY
    [[ ${FACT[$1.rc]} == "$2" ]] || die "$1: exit ${FACT[$1.rc]}, expected $2 ($3): $(cat "$WORK/$1.err")"
}
fact() { # fact KEY FIELD : value of FIELD=... in a python client's output line
    tr ' ' '\n' <<<"${FACT[$1.out]}" | sed -n "s/^$2=//p"
}
for k in dns1 dns2 dns3 dns4 stun udpclosed; do expect_rc "$k" 0 "answer as expected"; done
expect_rc https4 0 "HTTPS to app.senso.cloud"
expect_rc https6 0 "HTTPS to eu.service.signalr.net"
expect_rc rej 7 "connection refused"
expect_rc s0 28 "connect timeout"
expect_rc bcast 0 "socat to the console"
for k in https4 https6; do
    read -r code _ _ verify <<<"${FACT[$k.out]}"
    [[ $code == 200 && $verify == verify=0 ]] || die "$k: got '${FACT[$k.out]}'"
done
[[ ${FACT[bcast.out]} == "sensoscope-lab broadcast hello" ]] || die "bcast: echo '${FACT[bcast.out]}'"
[[ $(fact dns1 answers) == 192.0.2.10 && $(fact dns2 answers) == 2001:db8:10::10 &&
   $(fact dns3 answers) == 198.51.100.20 && $(fact dns4 answers) == 198.51.100.30 ]] ||
    die "unexpected DNS answers"
[[ $(fact stun mapped) == "10.77.0.10:$(fact stun lport)" ]] || die "stun: ${FACT[stun.out]}"
[[ $(fact udpclosed result) == refused ]] || die "udpclosed: ${FACT[udpclosed.out]}"
[[ $NFT_DROPS =~ ^[1-9][0-9]*$ ]] || die "nft drop counter is '$NFT_DROPS'"

# ---------------------------------------------------------------- convert, read back
CAP=$WORK/mini.pcapng
editcap -F pcapng --capture-comment \
    "sensoscope mini lab (lab/make-mini.sh); ground truth: mini.truth.tsv" "$WORK/mini.pcap" "$CAP"
ts() { tshark -r "$CAP" -n "$@" 2>/dev/null; }
isset() { [[ $1 == 1 || $1 == True ]]; }

ROWS=()
N_TCP=0 N_UDP=0
first_stream() { # first_stream PROTO SRC DST DPORT [SPORT] → "stream sport" of the initiator's flow
    local proto=$1 src=$2 dst=$3 dport=$4 sport=${5:-} ipf=ip f
    [[ $dst == *:* ]] && ipf=ipv6
    f="$ipf.src==$src && $ipf.dst==$dst && $proto.dstport==$dport && !icmp && !icmpv6"
    [[ $sport ]] && f+=" && $proto.srcport==$sport"
    [[ $proto == tcp ]] && f+=" && tcp.flags.syn==1 && tcp.flags.ack==0"
    ts -Y "$f" -T fields -e "$proto.stream" -e "$proto.srcport" | sort -u
}
add_row() { ROWS+=("$(printf '%s\t' "$@" | sed 's/\t$//')"); }

tcp_row() { # tcp_row KEY SRC DST DPORT STATE WHAT CLIENT_FACT
    local key=$1 src=$2 dst=$3 dport=$4 state=$5 what=$6 cfact=$7 ipf=ip sel stream sport
    [[ $dst == *:* ]] && ipf=ipv6
    sel=$(first_stream tcp "$src" "$dst" "$dport")
    [[ $(wc -l <<<"$sel") == 1 && -n $sel ]] || die "$key: expected one TCP flow $src → $dst:$dport, got '$sel'"
    read -r stream sport <<<"$sel"
    # Per direction: packets, SYN, SYN-ACK, FIN, RST.
    local o_p=0 r_p=0 syn=0 synack=0 o_fin=0 r_fin=0 o_rst=0 r_rst=0 s S A F R
    while read -r s S A F R; do
        if [[ $s == "$src" ]]; then
            ((++o_p)); isset "$S" && ! isset "$A" && ((++syn)); isset "$F" && ((++o_fin)); isset "$R" && ((++o_rst))
        else
            ((++r_p)); isset "$S" && isset "$A" && ((++synack)); isset "$F" && ((++r_fin)); isset "$R" && ((++r_rst))
        fi
    done < <(ts -Y "tcp.stream==$stream" -T fields -e "$ipf.src" -e tcp.flags.syn -e tcp.flags.ack \
                -e tcp.flags.fin -e tcp.flags.reset)
    local seen=OTH ev
    if ((r_p == 0 && o_fin == 0 && o_rst == 0)); then
        seen=S0 ev="$syn SYN, nothing back"
    elif ((synack == 0 && r_rst > 0)); then
        seen=REJ ev="$syn SYN answered by RST, no SYN-ACK"
    elif ((synack > 0 && o_fin > 0 && r_fin > 0 && o_rst + r_rst == 0)); then
        seen=SF ev="SYN/SYN-ACK, FIN both ways, no RST, $o_p/$r_p pkts"
    fi
    [[ $seen == "$state" ]] || die "$key: capture shows $seen for $src:$sport → $dst:$dport, expected $state"
    if [[ $state == S0 ]]; then
        [[ $syn == "$NFT_DROPS" ]] || die "$key: $syn SYNs in capture but nft counter $NFT_DROPS"
        cfact+="; nft drop rule counter = $NFT_DROPS"
    fi
    local lport
    lport=$(awk '{print $3}' <<<"${FACT[$key.out]:-}")
    [[ $state != SF || $key == bcast || $lport == "$sport" ]] || die "$key: curl local port $lport, capture $sport"
    add_row tcp "$src" "$sport" "$dst" "$dport" "$state" "$what" "$cfact; capture: $ev"
    ((++N_TCP))
}

udp_row() { # udp_row KEY SRC DST DPORT WHAT CLIENT_FACT [icmp]
    local key=$1 src=$2 dst=$3 dport=$4 what=$5 cfact=$6 icmp=${7:-} ipf=ip sel stream sport
    [[ $dst == *:* ]] && ipf=ipv6
    # Several DNS queries share src, dst and dport: the client's own port tells them apart,
    # and must be in the capture exactly once.
    sel=$(first_stream udp "$src" "$dst" "$dport" "$(fact "$key" lport)")
    [[ $(wc -l <<<"$sel") == 1 && -n $sel ]] ||
        die "$key: expected one UDP flow $src:$(fact "$key" lport) → $dst:$dport, got '$sel'"
    read -r stream sport <<<"$sel"
    local o_p r_p ev n_icmp
    o_p=$(ts -Y "udp.stream==$stream && !icmp && $ipf.src==$src" | wc -l)
    r_p=$(ts -Y "udp.stream==$stream && !icmp && $ipf.src==$dst" | wc -l)
    if [[ $icmp ]]; then
        n_icmp=$(ts -Y "icmp.type==3 && icmp.code==3 && udp.srcport==$sport && udp.dstport==$dport" | wc -l)
        ((o_p >= 1 && r_p == 0 && n_icmp >= 1)) || die "$key: $o_p out, $r_p back, $n_icmp ICMP"
        ev="$o_p pkt out, no UDP back, $n_icmp ICMP port unreachable (3/3) from $dst quoting it"
    else
        ((o_p >= 1 && r_p >= 1)) || die "$key: $o_p out, $r_p back"
        ev="$o_p request(s), $r_p response(s)"
    fi
    add_row udp "$src" "$sport" "$dst" "$dport" - "$what" "$cfact; capture: $ev"
    ((++N_UDP))
}

A=10.77.0.10 B=10.77.0.20 DNS=10.77.0.1
udp_row dns1 $A $DNS 53 "DNS A app.senso.cloud" "dns-query rcode 0, answer $(fact dns1 answers)"
tcp_row https4 $A 192.0.2.10 443 SF "HTTPS (TLS 1.2) to app.senso.cloud, rule cloud" \
    "curl exit 0, HTTP 200, certificate verified against the lab CA"
udp_row dns2 $B $DNS 53 "DNS AAAA eu.service.signalr.net" "dns-query rcode 0, answer $(fact dns2 answers)"
tcp_row https6 fd77::20 2001:db8:10::10 443 SF "HTTPS (TLS 1.3) over IPv6 to eu.service.signalr.net, rule signalr" \
    "curl exit 0, HTTP 200, certificate verified against the lab CA"
udp_row dns3 $A $DNS 53 "DNS A senso-sturn-northeu.cloudapp.net" "dns-query rcode 0, answer $(fact dns3 answers)"
udp_row stun $A 198.51.100.20 3478 "STUN Binding to senso-sturn-northeu.cloudapp.net, rule sturn-eu" \
    "Binding success, txid matched, XOR-MAPPED-ADDRESS $(fact stun mapped)"
udp_row udpclosed $A 192.0.2.10 3478 "STUN Binding to a port where nothing listens" \
    "client socket got ECONNREFUSED" icmp
tcp_row rej $A 198.51.100.20 3478 REJ "TCP to a closed port (no TURN over TCP)" \
    "curl exit 7 (could not connect)"
udp_row dns4 $A $DNS 53 "DNS A sensoeustorage.blob.core.windows.net" "dns-query rcode 0, answer $(fact dns4 answers)"
tcp_row s0 $A 198.51.100.30 443 S0 "HTTPS to sensoeustorage.blob.core.windows.net dropped by the gateway, rule blob-modules" \
    "curl exit 28 after --connect-timeout 3.5"
tcp_row bcast $A $B 30100 SF "screen broadcast, client (receiver) to console (sender) on the LAN, rule broadcast" \
    "socat exit 0, console echoed the $((${#FACT[bcast.out]} + 1)) bytes sent"

# Completeness: every TCP/UDP flow in the capture is one of the rows above.
cap_tcp=$(ts -Y 'tcp && !icmp && !icmpv6' -T fields -e tcp.stream | sort -u | grep -c .)
cap_udp=$(ts -Y 'udp && !icmp && !icmpv6' -T fields -e udp.stream | sort -u | grep -c .)
[[ $cap_tcp == "$N_TCP" && $cap_udp == "$N_UDP" ]] ||
    die "capture has $cap_tcp TCP / $cap_udp UDP flows, truth has $N_TCP / $N_UDP"

# What else is in the capture (not flows of interest, so not rows).
other=()
n=$(ts -Y arp | wc -l); ((n)) && other+=("ARP: $n frames")
declare -A V6NAME=([133]="router solicitation" [134]="router advertisement"
                   [135]="neighbor solicitation" [136]="neighbor advertisement" [143]="MLDv2 report")
v6=$(ts -Y 'icmpv6' -T fields -e icmpv6.type | sort -n | uniq -c |
     while read -r c t; do printf '%s %s (type %s), ' "$c" "${V6NAME[$t]:-other}" "$t"; done)
[[ $v6 ]] && other+=("ICMPv6: ${v6%, }")
n=$(ts -Y '!arp && !ip && !ipv6' | wc -l); ((n)) && other+=("other non-IP: $n frames")
n_pkts=$(ts | wc -l)
size=$(stat -c %s "$CAP")
((size < 200000)) || die "capture is $size bytes, over the 200 KB budget"

{
    echo "# sensoscope mini lab ground truth, written by lab/make-mini.sh from what the lab did and observed"
    echo "# capture: mini.pcapng, $n_pkts packets, $size bytes, sha256 $(sha256sum "$CAP" | cut -d' ' -f1)"
    echo "# rows: one per flow the scenario creates; src/sport = initiator; state = Zeek conn_state (TCP), '-' for UDP"
    echo "# ICMP errors are not rows: the port unreachable belongs to the UDP flow it quotes (see its reason)"
    ((${#other[@]})) && echo "# not flows of interest, not listed: $(IFS=';'; o="${other[*]}"; echo "${o//;/; }")"
    printf 'proto\tsrc\tsport\tdst\tdport\tstate\twhat\treason\n'
    printf '%s\n' "${ROWS[@]}"
} >"$WORK/mini.truth.tsv"

mkdir -p "$ROOT/pcaps"
install -m 0644 "$CAP" "$OUT_PCAP"
install -m 0644 "$WORK/mini.truth.tsv" "$OUT_TRUTH"
install -m 0644 "$WORK/ca.crt" "$OUT_CA"
log "wrote ${OUT_PCAP#"$ROOT"/} ($size bytes, $n_pkts packets) and ${OUT_TRUTH#"$ROOT"/} (${#ROWS[@]} flows)"
