#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# daemon-drops.sh - the highest replay rate at which `sensoscope capture` loses no packet, beside
# tcpdump's on the same replay: the benchmark workload (../shared/tools/bench/make-bench-pcap.sh,
# bench-1g.pcap: 1.74 M packets, 211 k flows of TLS, DNS, STUN/TURN, ICE, DTLS, RTP, bulk TLS, unanswered SYNs) replayed with
# tcpreplay --pps into one end of a veth pair in a namespace made here, the capture on the other.
#
#   sudo bench/daemon-drops.sh [RUNS] [SECONDS]     (default 3 searches of 10 s trials each)
#   SS_BIN=path  SS_ARGS="--no-ndpi"  PCAP=file    to vary what is measured
#   EVIDENCE=1    the daemon also keeps an --evidence ring (in the temporary directory)
#   TOOLS="sensoscope"    measure only these (default: sensoscope tcpdump)
#
# One trial at rate R: start the capture (64 MiB buffer for both, the daemon's default), replay
# R*SECONDS packets (looping the file when it is shorter, above 174 k pps for 10 s) at R
# packets/s, wait until the capture has read everything it is going to, stop it. The 64 MiB
# buffer holds about 100 k of these packets, so a trial of S seconds can hide at most 100 k/S
# packets/s of excess (10 k pps for 10 s trials): the figures are for bursts of S seconds. The trial passes when the capture read every
# packet tcpreplay sent and its drop counters stayed 0. The search doubles R from 5000 pps until
# a trial fails, then bisects to 5 %; the figure is the highest passing rate, and the median of
# RUNS searches is printed. The replay's own ceiling (tcpreplay --topspeed, nothing capturing)
# is printed too: figures near it measure the rig, not the capture.
# Needs root, iproute2, tcpreplay, tcpdump, capinfos, sqlite3; only the namespace's veth pair
# carries traffic.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
runs=${1:-3}
secs=${2:-10}
bin=$(readlink -f "${SS_BIN:-$root/build/cli/sensoscope}")
pcap=${PCAP:-/tmp/bench/bench-1g.pcap}
[ "$(id -u)" = 0 ] || { echo "daemon-drops.sh: needs root (a namespace and a veth pair)" >&2; exit 1; }
[ -x "$bin" ] || { echo "no sensoscope at $bin: build first (./setup.sh)" >&2; exit 1; }
if [ ! -f "$pcap" ]; then
    echo "making the workload with make-bench-pcap.sh (about 10 s)" >&2
    "$root/../shared/tools/bench/make-bench-pcap.sh" >/dev/null
fi
npk=$(capinfos -M -c -T "$pcap" | awk -F'\t' 'NR==2 {print $2}')

ns=ssbench$$
tmp=$(mktemp -d)
cpid=
cleanup() {
    [ -n "$cpid" ] && kill -KILL "$cpid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
nsx() { ip netns exec "$ns" "$@"; }
. "$root/tests/integration/lib_live.sh"
replay_pair "$ns"

# replay RATE COUNT: prints the packets tcpreplay sent.
replay() {
    local loops=$(( ($2 + npk - 1) / npk ))
    nsx tcpreplay -i rep0 --pps="$1" --loop="$loops" --limit="$2" "$pcap" 2>&1 |
        awk '/Successful packets:/ {print $3}'
}

# trial_sensoscope RATE: 0 when nothing was lost.
trial_sensoscope() {
    local rate=$1 n=$(( $1 * secs )) sent got prev=-1 stalls=0
    rm -f "$tmp"/s.db*
    local ev=()
    if [ "${EVIDENCE:-0}" = 1 ]; then
        rm -rf "$tmp/ev"
        mkdir "$tmp/ev"
        ev=(--evidence "$tmp/ev")
    fi
    ip netns exec "$ns" "$bin" capture -i cap0 --db "$tmp/s.db" --commit-interval 1 -q \
        "${ev[@]}" ${SS_ARGS:-} 2>"$tmp/s.err" &
    cpid=$!
    until [ -s "$tmp/s.db" ] && [ "$(sqlite3 "$tmp/s.db" 'SELECT count(*) FROM captures' 2>/dev/null)" = 1 ]; do
        sleep 0.1
    done
    sent=$(replay "$rate" "$n")
    # Until it has read what it will (the count stops moving for 2 s), at most 60 s.
    for _ in $(seq 120); do
        got=$(sqlite3 "$tmp/s.db" 'SELECT packets FROM captures' 2>/dev/null || echo "$prev")
        [ "$got" = "$sent" ] && break
        if [ "$got" = "$prev" ]; then stalls=$((stalls + 1)); [ $stalls -ge 4 ] && break; else stalls=0; fi
        prev=$got
        sleep 0.5
    done
    kill -TERM "$cpid"
    wait "$cpid" || true
    cpid=
    read -r got drops < <(sqlite3 -separator ' ' "$tmp/s.db" 'SELECT packets, drops FROM captures')
    echo "  sensoscope $rate pps: sent $sent, read $got, drops $drops" >&2
    [ "$got" = "$sent" ] && [ "$drops" = 0 ]
}

# trial_tcpdump RATE: 0 when nothing was lost.
trial_tcpdump() {
    local rate=$1 n=$(( $1 * secs )) sent
    rm -f /dev/shm/ssbench.pcap
    ip netns exec "$ns" tcpdump -i cap0 -B 65536 -s 262144 -w /dev/shm/ssbench.pcap \
        2>"$tmp/t.err" &
    cpid=$!
    until grep -q "listening on cap0" "$tmp/t.err"; do sleep 0.1; done
    sent=$(replay "$rate" "$n")
    sleep 3
    kill -INT "$cpid"
    wait "$cpid" || true
    cpid=
    rm -f /dev/shm/ssbench.pcap
    local got drops
    got=$(awk '/packets captured/ {print $1}' "$tmp/t.err")
    drops=$(awk '/dropped by kernel/ {print $1}' "$tmp/t.err")
    echo "  tcpdump $rate pps: sent $sent, captured $got, dropped by kernel $drops" >&2
    [ "$got" = "$sent" ] && [ "$drops" = 0 ]
}

# search TOOL: the highest passing rate.
search() {
    local tool=$1 lo=0 hi=0 r=5000
    while trial_"$tool" $r; do
        lo=$r
        r=$((r * 2))
        [ $r -gt 2000000 ] && { echo $lo; return; }
    done
    hi=$r
    while [ $((hi - lo)) -gt $((lo / 20)) ] && [ $((hi - lo)) -gt 500 ]; do
        r=$(((lo + hi) / 2))
        if trial_"$tool" $r; then lo=$r; else hi=$r; fi
    done
    echo $lo
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

top=$(nsx tcpreplay -i rep0 --topspeed --limit=$npk "$pcap" 2>&1 | awk '/Rated:/ {printf "%d", $(NF-1); exit}')
echo "workload: $pcap ($npk packets); $runs searches of ${secs} s trials; $(nproc) cores;" \
    "sensoscope arguments: ${SS_ARGS:-none}${EVIDENCE:+, evidence ring}"
echo "replay ceiling (tcpreplay --topspeed, nothing capturing): about $top pps"
declare -A res
for tool in ${TOOLS:-sensoscope tcpdump}; do
    for i in $(seq "$runs"); do
        echo "search $i, $tool:" >&2
        search $tool
    done >"$tmp/$tool.rates"
    res[$tool]=$(median <"$tmp/$tool.rates")
    echo "$tool: highest rate with zero drops, median of $runs: ${res[$tool]} pps (runs: $(tr '\n' ' ' <"$tmp/$tool.rates"))"
done
if [ -n "${res[sensoscope]:-}" ] && [ -n "${res[tcpdump]:-}" ]; then
    awk -v a="${res[sensoscope]}" -v b="${res[tcpdump]}" \
        'BEGIN { if (b > 0) printf "sensoscope / tcpdump: %.2f\n", a / b }'
fi
