# SPDX-License-Identifier: MIT
# Scenario all-open: a school that opened everything the vendor asks for. Every product
# host reaches the cloud names over HTTPS (one over IPv6); the console holds one WebRTC
# session with a student on the LAN (method 2, host candidates) and one with a student at
# home behind a second NAT (method 2, server-reflexive candidates through both NATs, found
# with STUN at senso-sturn-northeu). The truth has no verdict at all.
SCEN_TITLE="everything open: method 2 host on the LAN, method 2 srflx to home, HTTPS to every cloud name"
SCEN_NODE_PEERS=1

scenario_traffic() {
    product_start con "$NS_CON" "$CON4"
    product_start stu1 "$NS_STU1" "$STU1_4"
    step_cloud stu2-cloud6 "$NS_STU2" "$STU2_6" app.senso.cloud v6
    step_cloud stu2-signalr "$NS_STU2" "$STU2_4" "$SIGNAL_HOST"
    step_cloud blob1 "$NS_CON" "$CON4" sensoeugeneral.blob.core.windows.net
    step_cloud blob2 "$NS_CON" "$CON4" sensoeustorage.blob.core.windows.net
    step_cloud blob3 "$NS_CON" "$CON4" sensologarchivestorage.blob.core.windows.net
    local stun="--stun stun:senso-sturn-northeu.cloudapp.net:3478"
    ice_session lan "$NS_CON" "$NS_STU1" "$stun" "$stun"
    ice_session home "$NS_CON" "$NS_HOME" "$stun" "$stun"
    [[ $(ice_selected lan offer | cut -d' ' -f1,4) == "host host" ]] ||
        die "lan: selected $(ice_selected lan offer), expected a host pair"
    [[ $(ice_selected home offer | cut -d' ' -f4) == srflx ]] ||
        die "home: selected $(ice_selected home offer), expected the home peer's srflx candidate"
}

scenario_truth() {
    ice_rows lan offer "$CON4" "WebRTC session console - student 1 on the LAN" - - answer "$STU1_4"
    ice_rows home offer "$CON4" "WebRTC session console - student at home" - -
    checklist cloud ok "HTTPS to app.senso.cloud (IPv4 and IPv6), HTTP 200"
    checklist signalr ok "HTTPS to $SIGNAL_HOST, HTTP 200"
    checklist blob-general ok "HTTPS, HTTP 200"
    checklist blob-modules ok "HTTPS, HTTP 200"
    checklist blob-logs ok "HTTPS, HTTP 200"
    checklist sturn-eu ok "STUN Binding requests answered with the school's public address"
    checklist sturn-us not_seen "the EU server is used"
    checklist relay not_seen "no session needed a relay"
    checklist holepunch ok "the session to the home student runs on server-reflexive candidates"
    checklist broadcast not_seen "no screen broadcast"
}
