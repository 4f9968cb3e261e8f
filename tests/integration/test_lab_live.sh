#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_lab_live.sh - one lab scenario run live: lab/run-scenario.sh builds the school/home/
# internet namespaces, runs the "broadcast" scenario (HTTPS to the cloud names from three
# hosts, screen broadcast working, dropped and reset), captures it and writes its truth;
# then every truth row is checked against the fresh capture with tshark. The lab removes
# its namespaces even when it fails. Needs root and network namespaces; without them the
# test exits 77 (skipped) and says so loudly.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
scenario=${1:-broadcast}
skip() {
    echo "################################################################"
    echo "SKIP: $1"
    echo "SKIP: the live lab scenario '$scenario' did NOT run"
    echo "################################################################"
    exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
probe="ss-labprobe-$$"
if ! ip netns add "$probe" 2>/dev/null || ! ip netns exec "$probe" true 2>/dev/null; then
    ip netns del "$probe" 2>/dev/null
    skip "cannot create or enter a network namespace here (a chroot or container?)"
fi
ip netns del "$probe"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
prefix="sslab-live-$$"
LAB_PREFIX=$prefix timeout 300 "$root/lab/run-scenario.sh" "$scenario" "$out" ||
    { echo "FAIL: the lab scenario failed"; exit 1; }
left=$(ip netns list | grep -c "^$prefix-" || true)
[ "$left" = 0 ] || { echo "FAIL: $left lab namespaces left behind"; exit 1; }
python3 "$here/check_lab_truth.py" "$out/$scenario.pcapng" "$out/$scenario.truth.tsv"
