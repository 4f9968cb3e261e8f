# SPDX-License-Identifier: MIT
# Scenario proxy: clients must use the school's explicit web proxy, which demands
# authentication: the first CONNECT is answered 407, the retry with credentials 200, and
# TLS then passes through untouched (the origin's own certificate). The vendor requires its
# endpoints to work without proxy authentication, so the 407 is a finding.
SCEN_TITLE="explicit proxy: CONNECT answered 407, then 200 with credentials"
SCEN_MITM=1
PROXY_PORT=3128

scenario_services() {
    lab_resolver "$NS_GW" "$DNS_AUTH"
    MB_STATE_DIR=$LAB_WORK/mb mb_authproxy_start "$NS_GW" "$GW_LAN4" $PROXY_PORT \
        schooluser schoolpass "$LAB_WORK/proxy.log"
    LAB_PIDS+=("$MB_LAST_PID")
}

# proxied KEY NAME: HTTPS through the proxy; curl tries without credentials first.
proxied() {
    local port
    next_port port
    FACT[$1.port]=$port
    # curl's --local-port covers both of its connections to the proxy: the range starts here.
    next_port _
    run "$1" "$NS_STU1" 12 curl -sS -o /dev/null --max-time 8 --cacert "$LAB_CERTS/ca.pem" \
        --local-port "$port-$((port + 1))" --proxy "http://$GW_LAN4:$PROXY_PORT" \
        --proxy-user schooluser:schoolpass --proxy-anyauth \
        -w 'code=%{http_code} lport=%{local_port} verify=%{ssl_verify_result}' "https://$2/"
    expect_rc "$1" 0 "HTTPS via the authenticating proxy"
    [[ $(fact "$1" code) == 200 && $(fact "$1" verify) == 0 ]] || die "$1: ${FACT[$1.out]}"
}

scenario_traffic() {
    proxied cloud app.senso.cloud
    proxied signalr "$SIGNAL_HOST"
}

scenario_truth() {
    local key name rule p
    for key in cloud signalr; do
        name=app.senso.cloud
        [[ $key == signalr ]] && name=$SIGNAL_HOST
        rule=$(rule_of $name)
        p=${FACT[$key.port]}
        [[ $(fact $key lport) == $((p + 1)) ]] || die "$key: second connection from port $(fact $key lport)"
        row tcp "$STU1_4" "$p" "$GW_LAN4" $PROXY_PORT "CONNECT $name:443 without credentials" - - - \
            "proxy_auth_required/$rule/confirmed" "connect=$name:443;http=407" \
            "the proxy demanded authentication (mitmproxy proxyauth); curl retried on a new connection"
        row tcp "$STU1_4" "$((p + 1))" "$GW_LAN4" $PROXY_PORT "CONNECT $name:443 with credentials, TLS tunnelled" - - - \
            "explicit_proxy/$rule/confirmed" "connect=$name:443;http=200;sni=$name" \
            "curl exit 0, HTTP 200, the origin's certificate verified against the lab CA"
    done
    checklist cloud blocked "the proxy demands authentication (407) before CONNECT app.senso.cloud:443"
    checklist signalr blocked "the proxy demands authentication (407) before CONNECT $SIGNAL_HOST:443"
    local r
    for r in blob-general blob-modules blob-logs sturn-eu sturn-us relay holepunch broadcast; do
        checklist "$r" not_seen "not used in this scenario"
    done
}
