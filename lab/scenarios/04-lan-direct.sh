# SPDX-License-Identifier: MIT
# Scenario lan-direct: routing method 1. Console and student start the product (cloud and
# SignalR over HTTPS: both are product hosts), then the student connects straight to the
# console on the LAN, without ICE, and they exchange data both ways.
SCEN_TITLE="method 1: a direct peer connection between two product hosts on the LAN"
DIRECT_PORT=30200

scenario_services() {
    # The console answers each connection with 64 KiB, after reading the client's hello.
    bg direct-listen "$NS_CON" timeout 60 socat TCP-LISTEN:$DIRECT_PORT,bind="$CON4",reuseaddr,fork \
        SYSTEM:'head -c 32 >/dev/null; head -c 65536 /dev/zero'
    wait_listen "$NS_CON" tcp "$CON4" $DIRECT_PORT
}

scenario_traffic() {
    product_start con "$NS_CON" "$CON4"
    product_start stu1 "$NS_STU1" "$STU1_4"
    local port
    next_port port
    FACT[direct.port]=$port
    run direct "$NS_STU1" 10 bash -c "head -c 32 /dev/zero | socat -t 2 - TCP:$CON4:$DIRECT_PORT,bind=$STU1_4:$port,connect-timeout=3 | wc -c"
    expect_rc direct 0 "direct connection to the console"
    [[ ${FACT[direct.out]} == 65536 ]] || die "direct: got ${FACT[direct.out]} bytes, expected 65536"
}

scenario_truth() {
    row tcp "$STU1_4" "${FACT[direct.port]}" "$CON4" $DIRECT_PORT \
        "direct connection, student 1 to the console on the LAN (no ICE)" direct 1 - - \
        "handshake;data-both;fin-both" "socat exit 0, 32 bytes sent, 65536 bytes received"
    checklist cloud ok "HTTPS to app.senso.cloud from 2 hosts, HTTP 200"
    checklist signalr ok "HTTPS to $SIGNAL_HOST from 2 hosts, HTTP 200"
    local r
    for r in blob-general blob-modules blob-logs sturn-eu sturn-us relay holepunch broadcast; do
        checklist "$r" not_seen "not used in this scenario"
    done
}
