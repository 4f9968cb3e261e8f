#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run-fuzzers.sh BUILD_DIR [SECONDS] - runs every libFuzzer target of a fuzz build (cmake
# --preset fuzz: clang, SS_FUZZ=ON, ASan+UBSan) for SECONDS each (default 60), two at a time,
# each on a temporary copy of its committed seed corpus (tests/fuzz/corpus/<name>), so the
# committed corpora stay small and unchanged. A crash, leak or sanitizer report fails the run;
# the reproducer is kept in BUILD_DIR/fuzz-findings/. Ends with "N passed, M failed".
set -u
build=${1:?usage: run-fuzzers.sh BUILD_DIR [SECONDS]}
secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-findings"
targets=()
for src in "$here"/fuzz_*.c; do
    name=$(basename "$src" .c)
    [ -x "$build/tests/fuzz/$name" ] && targets+=("$name")
done
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets built in $build"; exit 1; }

run_one() { # name
    local name=$1 short=${1#fuzz_}
    mkdir -p "$work/$short"
    [ -d "$here/corpus/$short" ] && cp -r "$here/corpus/$short/." "$work/$short/"
    if "$build/tests/fuzz/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/fuzz-findings/$short-" "$work/$short" \
        >"$work/$short.log" 2>&1; then
        local execs rate
        execs=$(awk '/stat::number_of_executed_units/{print $2}' "$work/$short.log")
        rate=$(awk '/stat::average_exec_per_sec/{print $2}' "$work/$short.log")
        echo "ok   $short: $execs inputs in ${secs} s ($rate/s)"
    else
        echo "FAIL $short:"
        grep -E "ERROR|SUMMARY|Test unit written" "$work/$short.log" | head -5
        return 1
    fi
}
export -f run_one
export build secs here work
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'run_one {}' >"$work/results" 2>&1
cat "$work/results"
passed=$(grep -c '^ok ' "$work/results")
failed=$(grep -c '^FAIL' "$work/results")
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
