#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# setup.sh - the two ways to start on a fresh Debian 12 machine.
#
#   ./setup.sh          install what is missing, build, analyse the bundled demo capture and
#                       print its report
#   ./setup.sh test     install what is missing, build, run every test (normal build, then
#                       ASan+UBSan build), then each fuzz target for SS_FUZZ_SECONDS (60)
#
# Installing needs root (or sudo). Set SS_NO_INSTALL=1 to skip the package step.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
MODE=${1:-demo}
JOBS=$(nproc 2>/dev/null || echo 2)

BUILD_PKGS=(build-essential cmake pkg-config libpcap-dev libndpi-dev libssl-dev libsqlite3-dev libcap-dev
            libjansson-dev zlib1g-dev libinih-dev python3)
TEST_PKGS=(libcmocka-dev sqlite3 tshark tcpdump tcpreplay iproute2 nftables socat openssl curl
           wireshark-common clang libclang-rt-14-dev clang-format git
           iptables dnsmasq-base coturn nodejs jq ethtool chromium systemd)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_missing() {
    [ "${SS_NO_INSTALL:-0}" = 1 ] && return 0
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing: ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { echo "need root to install: ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    # wireshark-common asks whether non-root users may capture: answer for it (no).
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
        $sudo debconf-set-selections 2>/dev/null || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

build() { # build DIR [cmake args...]
    local dir=$1; shift
    cmake -S "$ROOT" -B "$dir" -DSS_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$JOBS"
}

case "$MODE" in
demo)
    install_missing "${BUILD_PKGS[@]}"
    log "building (build/)"
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF
    demo=pcaps/mini.pcapng
    [ -f pcaps/demo.pcapng ] && demo=pcaps/demo.pcapng
    rm -f build/demo.db build/demo.db-wal build/demo.db-shm
    log "analysing $demo into build/demo.db"
    ca=()
    [ -f "${demo%.pcapng}.ca.pem" ] && ca=(--ca-bundle "${demo%.pcapng}.ca.pem")
    build/cli/sensoscope analyze --db build/demo.db "${ca[@]}" "$demo"
    log "report (build/cli/sensoscope report --db build/demo.db)"
    build/cli/sensoscope report --db build/demo.db
    build/cli/sensoscope report --db build/demo.db --format html -o build/demo-report.html
    log "HTML report: $ROOT/build/demo-report.html (open it in a browser)"
    ;;
test)
    install_missing "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"
    log "build with warnings as errors (build/)"
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    log "tests (build/)"
    (cd build && ctest --output-on-failure -j "$JOBS")
    log "build with ASan + UBSan (build-asan/)"
    build build-asan -DCMAKE_BUILD_TYPE=Debug -DSS_SANITIZE=ON
    log "tests under ASan + UBSan (build-asan/)"
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$JOBS")
    log "fuzz targets, ${SS_FUZZ_SECONDS:-60} s each under libFuzzer + ASan + UBSan (build-fuzz/)"
    build build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DSS_FUZZ=ON \
        -DSS_SANITIZE=ON -DBUILD_TESTING=ON
    tests/fuzz/run-fuzzers.sh build-fuzz "${SS_FUZZ_SECONDS:-60}"
    ;;
*)
    echo "usage: ./setup.sh [test]" >&2
    exit 2
    ;;
esac
