#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-scenario.sh — run one lab scenario: build the topology, set the scenario's firewall,
# start the services, capture the school LAN while the scenario's clients run, and write
# the capture with its ground truth.
#
#   sudo lab/run-scenario.sh NAME [OUTDIR]      (OUTDIR defaults to pcaps/)
#   sudo lab/run-scenario.sh --list
#
# Writes OUTDIR/NAME.pcapng, OUTDIR/NAME.truth.tsv and OUTDIR/NAME.ca.pem (the lab public
# CA's certificate, for `sensoscope analyze --ca-bundle`). The outputs are replaced only
# when the whole run succeeds. Environment: LAB_CERTS=DIR reuses a CA (lab/run-all.sh
# shares one across scenarios); LAB_KEEP_FAILED=1 keeps the logs of a failed run.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
    sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//'
}
case ${1:-} in
-h | --help) usage; exit 0 ;;
--list)
    for f in "$HERE"/scenarios/*.sh; do
        n=$(basename "$f" .sh)
        printf '%-18s %s\n' "${n#[0-9][0-9]-}" "$(sed -n 's/^SCEN_TITLE="\(.*\)"$/\1/p' "$f")"
    done
    exit 0
    ;;
"" | -*) usage >&2; exit 2 ;;
esac
NAME=$1
OUTDIR=${2:-$HERE/../pcaps}
SCEN_FILE=$(ls "$HERE"/scenarios/[0-9][0-9]-"$NAME".sh 2>/dev/null | head -1)
[[ -n $SCEN_FILE ]] || { echo "run-scenario: no scenario '$NAME' (try --list)" >&2; exit 2; }
[[ $EUID -eq 0 ]] || { echo "run-scenario: must run as root (namespaces, tcpdump, nftables)" >&2; exit 1; }

LAB_TAG=$NAME
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
source "$HERE/lib/topo.sh"
source "$HERE/lib/truth.sh"
source "$HERE/lib/middlebox.sh"
source "$HERE/lib/peers.sh"
source "$HERE/lib/steps.sh"
SCEN_NODE_PEERS=0
SCEN_MITM=0
LAB_SCHOOL_DNS_EXTRA=()
source "$SCEN_FILE"

# Only what this scenario needs: npm (and werift) for WebRTC peers, mitmproxy for proxies.
((SCEN_NODE_PEERS)) || LAB_DEPS=("${LAB_DEPS[@]/npm:npm/}")
((SCEN_MITM)) || LAB_DEPS=("${LAB_DEPS[@]/mitmdump:mitmproxy/}")
lab_install_deps
((SCEN_NODE_PEERS)) && lab_node_deps
lab_trap
LAB_WORK=$(mktemp -d "/tmp/sslab-$NAME.XXXXXX")
LAB_CERTS=${LAB_CERTS:-$LAB_WORK/certs}
lab_certs "$LAB_CERTS"
mkdir -p "$OUTDIR"

declare -F scenario_dns >/dev/null && scenario_dns
lab_topology
declare -F scenario_firewall >/dev/null && scenario_firewall
lab_services
declare -F scenario_services >/dev/null && scenario_services
lab_capture_start
scenario_traffic
lab_capture_stop "$LAB_WORK/$NAME.pcapng" \
    "sensoscope lab scenario $NAME: $SCEN_TITLE (lab/run-scenario.sh); ground truth: $NAME.truth.tsv"
CAP=$LAB_WORK/$NAME.pcapng
scenario_truth
truth_write "$LAB_WORK/$NAME.truth.tsv" "$CAP" "$NAME" "$SCEN_TITLE"
size=$(stat -c %s "$CAP")
((size < 5 * 1024 * 1024)) || die "capture is $size bytes, over the 5 MB budget"
install -m 0644 "$CAP" "$OUTDIR/$NAME.pcapng"
install -m 0644 "$LAB_WORK/$NAME.truth.tsv" "$OUTDIR/$NAME.truth.tsv"
install -m 0644 "$LAB_CERTS/ca.pem" "$OUTDIR/$NAME.ca.pem"
log "wrote $NAME.pcapng ($size bytes) and $NAME.truth.tsv (${#TRUTH_ROWS[@]} rows) in $OUTDIR"
