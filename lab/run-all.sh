#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-all.sh — rebuild every lab capture and its ground truth from nothing.
#
#   sudo lab/run-all.sh [--out DIR] [SCENARIO...]
#
# On a bare Debian 12 machine, as root: installs what the lab needs (apt-get, and werift
# from the npm registry into lab/node/node_modules), makes one lab CA for the whole run,
# runs each scenario (default: all of lab/scenarios/, then the mini capture of
# lab/make-mini.sh), and checks every truth row against its capture with
# tests/integration/check_lab_truth.py. Writes into pcaps/ unless --out is given (the mini
# capture is only rebuilt into pcaps/). A scenario that fails is retried once, and the
# retry is reported; a second failure fails the run. Takes about 2 minutes after the
# packages are installed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$ROOT/pcaps
case ${1:-} in
-h | --help) sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
--out) OUT=$(realpath -m "$2"); shift 2 ;;
esac
[[ $EUID -eq 0 ]] || { echo "run-all: must run as root" >&2; exit 1; }

LAB_TAG=run-all
source "$HERE/lib/common.sh"
T0=$(date +%s)
lab_install_deps
lab_node_deps
lab_trap
LAB_WORK=$(mktemp -d /tmp/sslab-all.XXXXXX)
source "$HERE/lib/topo.sh"
export LAB_CERTS=$LAB_WORK/certs
lab_certs "$LAB_CERTS"

if (($#)); then
    names=("$@")
else
    names=()
    for f in "$HERE"/scenarios/[0-9][0-9]-*.sh; do
        n=$(basename "$f" .sh)
        names+=("${n#[0-9][0-9]-}")
    done
fi
mkdir -p "$OUT"
retried=()
for n in "${names[@]}"; do
    log "scenario $n"
    if ! "$HERE/run-scenario.sh" "$n" "$OUT"; then
        retried+=("$n")
        log "scenario $n failed; retrying once"
        "$HERE/run-scenario.sh" "$n" "$OUT" || die "scenario $n failed twice"
    fi
done
if ((!$#)) && [[ $OUT == "$ROOT/pcaps" ]]; then
    log "mini capture (lab/make-mini.sh)"
    "$HERE/make-mini.sh"
fi

log "checking every truth row against its capture"
python3 "$ROOT/tests/integration/check_lab_truth.py" --dir "$OUT" --min "${#names[@]}"
total=$(du -cb "$OUT"/*.pcapng | tail -1 | cut -f1)
((total < 30 * 1024 * 1024)) || die "captures total $total bytes, over the 30 MB budget"
log "done in $(($(date +%s) - T0)) s: ${#names[@]} scenarios, captures $((total / 1024)) KiB in all" \
    "${retried[*]:+; retried once: ${retried[*]}}"
