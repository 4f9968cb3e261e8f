# SPDX-License-Identifier: MIT
# Scenario demo: one school's morning, the README's demo capture. A school firewall that
# lets UDP out only to port 3478, an SNI filter that resets the log-archive storage, and a
# web filter that inspects HTTPS to the module storage. The teacher console holds WebRTC
# sessions with two students on the LAN (method 2, host) and one at home (method 3 over
# UDP: the checks to the home student's relay port are dropped), a student connects
# directly (method 1), and two students receive a screen broadcast, one of them through
# the console's host firewall, which drops it.
SCEN_TITLE="a school's morning: relay fallback, SNI filter, HTTPS inspection, a broadcast dropped"
SCEN_MITM=1
SCEN_NODE_PEERS=1
DIRECT_PORT=30200

scenario_firewall() {
    lab_fw "$NS_GW" "meta l4proto udp udp dport != 3478 counter drop comment \"udp\""
    in_ns "$NS_GW" iptables-nft -A FORWARD -i br0 -p tcp --dport 443 \
        -m string --string sensologarchivestorage --algo bm -j REJECT --reject-with tcp-reset
}

scenario_services() {
    mb_make_inspection_ca "$LAB_WORK/insp"
    lab_resolver "$NS_GW" "$DNS_AUTH"
    MB_TARGETS="$(addr_of sensoeustorage.blob.core.windows.net)" \
        MB_UPSTREAM_CA=$LAB_CERTS/ca.pem MB_STATE_DIR=$LAB_WORK/mb \
        mb_transparent_start "$NS_GW" "$LAB_WORK/insp" "$LAB_WORK/mitm.log"
    LAB_PIDS+=("$MB_LAST_PID")
    bcast_listen
    bg direct-listen "$NS_CON" timeout 90 socat TCP-LISTEN:$DIRECT_PORT,bind="$CON4",reuseaddr,fork \
        SYSTEM:'head -c 32 >/dev/null; head -c 32768 /dev/zero'
    wait_listen "$NS_CON" tcp "$CON4" $DIRECT_PORT
}

scenario_traffic() {
    product_start con "$NS_CON" "$CON4"
    product_start stu1 "$NS_STU1" "$STU1_4"
    product_start stu2 "$NS_STU2" "$STU2_4"
    step_cloud general "$NS_CON" "$CON4" sensoeugeneral.blob.core.windows.net

    # Module download through the web filter (the school's devices trust its CA).
    step_dns modules-dns "$NS_STU1" "$STU1_4" sensoeustorage.blob.core.windows.net A
    https modules "$NS_STU1" sensoeustorage.blob.core.windows.net \
        "$(fact modules-dns answers)" --tls-max 1.2 --cacert "$LAB_WORK/insp/ca.pem"
    expect_rc modules 0 "HTTPS through the inspection proxy"
    # Log upload reset by the SNI filter.
    step_dns logs-dns "$NS_STU2" "$STU2_4" sensologarchivestorage.blob.core.windows.net A
    https logs "$NS_STU2" sensologarchivestorage.blob.core.windows.net "$(fact logs-dns answers)"
    expect_rc logs 35 "TLS handshake reset by the SNI filter"

    local ice="--stun stun:$TURN_NAME_EU:3478 --turn turn:$TURN_NAME_EU:3478?transport=udp"
    ice_session lan1 "$NS_CON" "$NS_STU1" "$ice" "$ice"
    ice_session lan2 "$NS_CON" "$NS_STU2" "$ice" "$ice"
    ice_session home "$NS_CON" "$NS_HOME" "$ice" "$ice"
    local k
    for k in lan1 lan2; do
        [[ $(ice_selected $k offer | cut -d' ' -f1,4) == "host host" ]] ||
            die "$k: selected $(ice_selected $k offer), expected a host pair"
    done
    [[ $(ice_selected home offer | cut -d' ' -f1) == relay ]] ||
        die "home: selected $(ice_selected home offer), expected the console's relay candidate"

    local port
    next_port port
    FACT[direct.port]=$port
    run direct "$NS_STU2" 10 bash -c "head -c 32 /dev/zero | socat -t 2 - TCP:$CON4:$DIRECT_PORT,bind=$STU2_4:$port,connect-timeout=3 | wc -c"
    expect_rc direct 0 "direct connection to the console"

    step_bcast bc-ok "$NS_STU1" "$STU1_4"
    expect_rc bc-ok 0 "broadcast connection"
    in_ns "$NS_CON" nft -f - <<NFT
table inet host_fw {
    chain input {
        type filter hook input priority filter; policy accept;
        ip saddr $STU2_4 tcp dport 30100 counter drop comment "drop"
    }
}
NFT
    step_bcast bc-drop "$NS_STU2" "$STU2_4"
    grep -qi 'timed out' "$LAB_WORK/bc-drop.err" || die "bc-drop: not a timeout"
    FACT[fw.n]=$(lab_fw_counter "$NS_GW" udp)
}

scenario_truth() {
    local n=sensoeustorage.blob.core.windows.net
    row tcp "$STU1_4" "${FACT[modules.port]}" "$(addr_of $n)" 443 \
        "HTTPS to $n (TLS 1.2) intercepted by the school's web filter" - - - \
        "untrusted_issuer/blob-modules/confirmed,inspection_issuer/blob-modules/confirmed" \
        "sni=$n;tls=1.2;issuer~Smoothwall;ttl=64" \
        "curl exit 0 trusting only the filter CA; certificate issued by Smoothwall Filter CA"
    n=sensologarchivestorage.blob.core.windows.net
    row tcp "$STU2_4" "${FACT[logs.port]}" "$(addr_of $n)" 443 "HTTPS to $n reset by an SNI filter" \
        - - - "tcp_reset_after_hello/blob-logs/confirmed" "handshake;sni=$n;rst-after-hello" \
        "curl exit 35 (connection reset during the TLS handshake)"
    ice_rows lan1 offer "$CON4" "WebRTC session console - student 1" \
        udp_no_answer/relay/confirmed udp_no_answer/holepunch/confirmed answer "$STU1_4"
    ice_rows lan2 offer "$CON4" "WebRTC session console - student 2" \
        udp_no_answer/relay/confirmed udp_no_answer/holepunch/confirmed answer "$STU2_4"
    ice_rows home offer "$CON4" "WebRTC session console - student at home" \
        udp_no_answer/relay/confirmed udp_no_answer/holepunch/confirmed
    row tcp "$STU2_4" "${FACT[direct.port]}" "$CON4" $DIRECT_PORT \
        "direct connection, student 2 to the console on the LAN (no ICE)" direct 1 - - \
        "handshake;data-both;fin-both" "socat exit 0, 32 bytes sent, ${FACT[direct.out]} bytes received"
    row tcp "$STU1_4" "${FACT[bc-ok.port]}" "$CON4" 30100 "screen broadcast, student 1 to the console" \
        broadcast - - - "handshake;data-both;fin-both" "socat exit 0, the console echoed the frame"
    row tcp "$STU2_4" "${FACT[bc-drop.port]}" "$CON4" 30100 \
        "screen broadcast, dropped by the console's host firewall" broadcast - - \
        "tcp_no_answer/broadcast/confirmed" "syn-only>=2" "socat: connection timed out after 4 s"
    checklist cloud ok "HTTPS to app.senso.cloud from 3 hosts, HTTP 200"
    checklist signalr ok "HTTPS to $SIGNAL_HOST from 3 hosts, HTTP 200"
    checklist blob-general ok "HTTPS, HTTP 200"
    checklist blob-modules inspected "forged certificate from Smoothwall Filter CA"
    checklist blob-logs blocked "RST after the ClientHello (SNI filter)"
    checklist sturn-eu ok "STUN and TURN over UDP 3478 answered"
    checklist sturn-us not_seen "the EU server is used"
    checklist_ice relay
    checklist_ice holepunch
    checklist broadcast blocked "1 connection dropped by the console's host firewall; 1 worked"
}
