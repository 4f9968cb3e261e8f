# SPDX-License-Identifier: MIT
# Scenario udp-blocked: the school firewall drops all outbound UDP. STUN to the TURN
# server's port 3478 goes unanswered, and the console reaches the home student only through
# the TURN server over TLS on port 443 (method 3, relay-tls).
SCEN_TITLE="all outbound UDP blocked: method 3 over TURN/TLS 443"
SCEN_NODE_PEERS=1

scenario_firewall() {
    lab_fw "$NS_GW" "meta l4proto udp counter drop comment \"udp\""
}

scenario_traffic() {
    product_start con "$NS_CON" "$CON4"
    local sturn=senso-sturn-northeu.cloudapp.net
    # The console (school) tries STUN over UDP, then TURN over TLS on 443; the home peer
    # uses TURN over UDP as usual.
    ice_session home "$NS_CON" "$NS_HOME" \
        "--stun stun:$sturn:3478 --turn turns:$sturn:443?transport=tcp" \
        "--stun stun:$sturn:3478 --turn turn:$sturn:3478?transport=udp"
    [[ $(ice_selected home offer | cut -d' ' -f1) == relay ]] ||
        die "home: selected $(ice_selected home offer), expected the console's relay candidate"
    [[ $(jq -r .turn.transport "$LAB_WORK/home.offer.json") == tls ]] || die "home: TURN transport is not tls"
    FACT[fw.n]=$(lab_fw_counter "$NS_GW" udp)
    ((FACT[fw.n] > 0)) || die "the UDP drop rule counted nothing"
}

scenario_truth() {
    ice_rows home offer "$CON4" "WebRTC session console - student at home" \
        udp_no_answer/relay/confirmed udp_no_answer/holepunch/confirmed
    local p
    for p in $(tshark -r "$CAP" -n -Y "ip.src==$CON4 && ip.dst==$TURN_EU && udp.dstport==3478" \
        -T fields -e udp.srcport 2>/dev/null | sort -u); do
        row udp "$CON4" "$p" "$TURN_EU" 3478 "STUN Binding to senso-sturn-northeu.cloudapp.net, dropped" - - - \
            udp_no_answer/sturn-eu/confirmed "stun=binding/request>=1;udp-noanswer>=1" \
            "werift's srflx gathering got no answer; school firewall UDP drop counter ${FACT[fw.n]}"
    done
    checklist cloud ok "HTTPS to app.senso.cloud, HTTP 200"
    checklist signalr ok "HTTPS to $SIGNAL_HOST, HTTP 200"
    local r
    for r in blob-general blob-modules blob-logs; do checklist "$r" not_seen "not used in this scenario"; done
    checklist sturn-eu blocked "UDP 3478 dropped (TURN over TLS 443 works)"
    checklist sturn-us not_seen "the EU server is used"
    checklist_ice relay
    checklist_ice holepunch
    checklist broadcast not_seen "no screen broadcast"
}
