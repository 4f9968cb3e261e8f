# SPDX-License-Identifier: MIT
# Scenario broadcast: screen broadcasting on TCP 30100 (receiver → sender on the LAN).
# The console (sender) listens; one student's connection works; then the console's own
# host firewall drops the second student's SYNs (no answer), then rejects the first
# student's with a TCP RST.
SCEN_TITLE="broadcast 30100: working, dropped by the console's firewall, rejected with RST"

scenario_services() {
    bcast_listen
}

scenario_traffic() {
    product_start con "$NS_CON" "$CON4"
    product_start stu1 "$NS_STU1" "$STU1_4"
    product_start stu2 "$NS_STU2" "$STU2_4"

    step_bcast ok "$NS_STU1" "$STU1_4"
    expect_rc ok 0 "broadcast connection"
    [[ ${FACT[ok.out]} == "sensoscope-lab broadcast frame" ]] || die "ok: echo '${FACT[ok.out]}'"

    in_ns "$NS_CON" nft -f - <<NFT
table inet host_fw {
    chain input {
        type filter hook input priority filter; policy accept;
        ip saddr $STU2_4 tcp dport 30100 counter drop comment "drop"
        ip saddr $STU1_4 tcp dport 30100 counter reject with tcp reset comment "reset"
    }
}
NFT
    step_bcast drop "$NS_STU2" "$STU2_4"
    [[ ${FACT[drop.rc]} != 0 ]] || die "drop: connection went through"
    grep -qi 'timed out' "$LAB_WORK/drop.err" || die "drop: not a timeout: $(cat "$LAB_WORK/drop.err")"
    step_bcast rst "$NS_STU1" "$STU1_4"
    grep -qi 'refused' "$LAB_WORK/rst.err" || die "rst: not refused: $(cat "$LAB_WORK/rst.err")"
    FACT[drop.n]=$(in_ns "$NS_CON" nft list chain inet host_fw input | sed -n '/"drop"/s/.*packets \([0-9]*\).*/\1/p')
    FACT[rst.n]=$(in_ns "$NS_CON" nft list chain inet host_fw input | sed -n '/"reset"/s/.*packets \([0-9]*\).*/\1/p')
    ((FACT[drop.n] >= 2 && FACT[rst.n] >= 1)) || die "host firewall counters ${FACT[drop.n]}/${FACT[rst.n]}"
}

scenario_truth() {
    row tcp "$STU1_4" "${FACT[ok.port]}" "$CON4" 30100 "screen broadcast, student 1 to the console" \
        broadcast - - - "handshake;data-both;fin-both" \
        "socat exit 0, the console echoed the frame"
    row tcp "$STU2_4" "${FACT[drop.port]}" "$CON4" 30100 \
        "screen broadcast, dropped by the console's host firewall" broadcast - - \
        "tcp_no_answer/broadcast/confirmed" "syn-only>=2" \
        "socat: connection timed out after 4 s; console nft drop counter ${FACT[drop.n]}"
    row tcp "$STU1_4" "${FACT[rst.port]}" "$CON4" 30100 \
        "screen broadcast, rejected by the console's host firewall" broadcast - - \
        "tcp_reset_on_connect/broadcast/confirmed" "rst-on-syn" \
        "socat: connection refused; console nft reject counter ${FACT[rst.n]}"
    checklist cloud ok "HTTPS to app.senso.cloud from 3 hosts, HTTP 200"
    checklist signalr ok "HTTPS to $SIGNAL_HOST from 3 hosts, HTTP 200"
    checklist blob-general not_seen "not used in this scenario"
    checklist blob-modules not_seen "not used in this scenario"
    checklist blob-logs not_seen "not used in this scenario"
    checklist sturn-eu not_seen "not used in this scenario"
    checklist sturn-us not_seen "not used in this scenario"
    checklist relay not_seen "no WebRTC session"
    checklist holepunch not_seen "no WebRTC session"
    checklist broadcast blocked "1 connection dropped, 1 reset by the console's host firewall; 1 worked"
}
