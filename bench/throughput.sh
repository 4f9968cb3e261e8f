#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# throughput.sh - packets/s and MB/s of `sensoscope analyze` on a capture, median of N runs,
# beside a bare libpcap read loop (../shared/tools/bench/pcaploop.c) and the parse + flow-table
# floor (flowfloor.c) over the same file, so the ratios come from one run on one machine.
#
#   bench/throughput.sh FILE [RUNS]        (default 5 runs; needs a built build/cli/sensoscope)
#   SS_BIN=path/to/sensoscope  SS_ARGS="--no-ndpi"  to vary what is measured
#
# Each run writes a fresh database in a temporary directory; the file is read once beforehand
# so every run starts from the page cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
file=${1:?usage: bench/throughput.sh FILE [RUNS]}
runs=${2:-5}
bin=${SS_BIN:-$root/build/cli/sensoscope}
floors=${SS_FLOORS:-$root/../shared/tools/bench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$bin" ] || { echo "no sensoscope at $bin: build first (./setup.sh)" >&2; exit 1; }
bytes=$(stat -c %s "$file")
pkts=$(capinfos -M -c -T "$file" 2>/dev/null | awk -F'\t' 'NR==2{print $2}')
if [ -z "$pkts" ]; then
    pkts=$(tshark -r "$file" -T fields -e frame.number 2>/dev/null | wc -l)
fi
cat "$file" >/dev/null

median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
time_cmd() { # prints wall seconds of "$@"
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f\n", b-a}'
}

declare -A med
measure() { # name cmd...
    local name=$1; shift
    local i
    for ((i = 0; i < runs; i++)); do
        rm -f "$tmp"/run.db*
        time_cmd "$@"
    done | median > "$tmp/$name.med"
    med[$name]=$(cat "$tmp/$name.med")
}

if [ -f "$floors/pcaploop.c" ]; then
    cc -O2 -o "$tmp/pcaploop" "$floors/pcaploop.c" -lpcap
    cc -O2 -o "$tmp/flowfloor" "$floors/flowfloor.c" -lpcap
    measure pcaploop "$tmp/pcaploop" "$file"
    measure flowfloor "$tmp/flowfloor" "$file"
fi
# shellcheck disable=SC2086
measure sensoscope "$bin" analyze -q ${SS_ARGS:-} --db "$tmp/run.db" "$file"
# shellcheck disable=SC2086
measure sensoscope_nondpi "$bin" analyze -q --no-ndpi --db "$tmp/run.db" "$file"

echo "file: $file ($bytes bytes, $pkts packets); median of $runs runs; $(nproc) cores; $(date -u +%F)"
printf '%-20s %10s %12s %10s %s\n' what seconds Mpkt/s MB/s "ratio to pcaploop"
for k in pcaploop flowfloor sensoscope sensoscope_nondpi; do
    [ -n "${med[$k]:-}" ] || continue
    awk -v k="$k" -v s="${med[$k]}" -v p="$pkts" -v b="$bytes" -v base="${med[pcaploop]:-0}" \
        'BEGIN{r = base > 0 ? sprintf("%.2fx slower", s/base) : "-";
               printf "%-20s %10.3f %12.3f %10.1f %s\n", k, s, p/s/1e6, b/s/1e6, r}'
done
