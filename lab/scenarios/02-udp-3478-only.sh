# SPDX-License-Identifier: MIT
# Scenario udp-3478-only: the school firewall drops outbound UDP except to port 3478. The
# console still learns its public address with STUN, but its checks to the home student's
# public address and TURN relay port are dropped, so the session falls back to the TURN
# server over UDP 3478 (method 3, relay-udp). The session with a student on the LAN never
# crosses the firewall and stays on host candidates (method 2).
SCEN_TITLE="outbound UDP only to 3478: method 3 over UDP to home, method 2 host on the LAN"
SCEN_NODE_PEERS=1

scenario_firewall() {
    lab_fw "$NS_GW" "meta l4proto udp udp dport != 3478 counter drop comment \"udp\""
}

scenario_traffic() {
    product_start con "$NS_CON" "$CON4"
    product_start stu1 "$NS_STU1" "$STU1_4"
    local ice="--stun stun:senso-sturn-northeu.cloudapp.net:3478 --turn turn:senso-sturn-northeu.cloudapp.net:3478?transport=udp"
    ice_session lan "$NS_CON" "$NS_STU1" "$ice" "$ice"
    ice_session home "$NS_CON" "$NS_HOME" "$ice" "$ice"
    [[ $(ice_selected lan offer | cut -d' ' -f1,4) == "host host" ]] ||
        die "lan: selected $(ice_selected lan offer), expected a host pair"
    [[ $(ice_selected home offer | cut -d' ' -f1) == relay ]] ||
        die "home: selected $(ice_selected home offer), expected the console's relay candidate"
    FACT[fw.n]=$(lab_fw_counter "$NS_GW" udp)
    ((FACT[fw.n] > 0)) || die "the UDP drop rule counted nothing"
}

scenario_truth() {
    ice_rows lan offer "$CON4" "WebRTC session console - student 1 on the LAN" \
        udp_no_answer/relay/confirmed udp_no_answer/holepunch/confirmed answer "$STU1_4"
    ice_rows home offer "$CON4" "WebRTC session console - student at home" \
        udp_no_answer/relay/confirmed udp_no_answer/holepunch/confirmed
    checklist cloud ok "HTTPS to app.senso.cloud, HTTP 200"
    checklist signalr ok "HTTPS to $SIGNAL_HOST, HTTP 200"
    local r
    for r in blob-general blob-modules blob-logs; do checklist "$r" not_seen "not used in this scenario"; done
    checklist sturn-eu ok "STUN and TURN over UDP 3478 answered"
    checklist sturn-us not_seen "the EU server is used"
    checklist_ice relay
    checklist_ice holepunch
    checklist broadcast not_seen "no screen broadcast"
}
