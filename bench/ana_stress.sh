#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ana_stress.sh - builds bench/ana_stress.c against a build tree's libss_dissect.a and prints the
# median (of RUNS, default 3) of the feed and finish times of one synthetic case.
#
#   bench/ana_stress.sh BUILD_DIR CASE N [K] [RUNS]
#   e.g. bench/ana_stress.sh build baseline 20000 1
#        bench/ana_stress.sh build ufrags 80000
#        bench/ana_stress.sh build finish 20000
#        bench/ana_stress.sh build hosts 2000000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:?usage: bench/ana_stress.sh BUILD_DIR CASE N [K] [RUNS]}
case_=${2:?case}
n=${3:?N}
k=${4:-1}
runs=${5:-3}
lib=$build/dissect/libss_dissect.a
[ -f "$lib" ] || { echo "no $lib: build first" >&2; exit 1; }
bin=$build/ana_stress
# shellcheck disable=SC2046
cc -O2 -std=c11 -I"$root/dissect/include" -I"$root/include" "$here/ana_stress.c" "$lib" \
    $(pkg-config --libs inih libcrypto zlib) $(pkg-config --libs libndpi 2>/dev/null || true) \
    -lm -o "$bin"
out=()
for _ in $(seq "$runs"); do
    line=$("$bin" "$case_" "$n" "$k")
    echo "  $line" >&2
    out+=("$line")
done
med() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# the line: CASE n=N k=K feed F s finish G s ...
feed=$(printf '%s\n' "${out[@]}" | awk '{ print $5 }' | med)
fin=$(printf '%s\n' "${out[@]}" | awk '{ print $8 }' | med)
echo "median of $runs: feed $feed s, finish $fin s"
