# SPDX-License-Identifier: MIT
# Scenario blocked: the school firewall blocks three of the vendor's storage names in three
# different ways: an SNI filter that resets the connection after the ClientHello
# (blob-logs), an ICMP administratively-prohibited reject (blob-modules) and a silent drop
# (blob-general). The cloud front end and SignalR work.
SCEN_TITLE="storage blocked: SNI filter (RST after ClientHello), ICMP admin-prohibited, silent drop"

scenario_firewall() {
    # nftables has no string match: the SNI filter is iptables-nft's.
    in_ns "$NS_GW" iptables-nft -A FORWARD -i br0 -p tcp --dport 443 \
        -m string --string sensologarchivestorage --algo bm -j REJECT --reject-with tcp-reset
    lab_fw "$NS_GW" \
        "ip daddr $(addr_of sensoeustorage.blob.core.windows.net) tcp dport 443 counter reject with icmp type admin-prohibited comment \"icmp\"" \
        "ip daddr $(addr_of sensoeugeneral.blob.core.windows.net) tcp dport 443 counter drop comment \"drop\""
}

# blocked_https KEY NAME: DNS works, HTTPS does not; FACT[KEY.rc] is curl's exit code.
blocked_https() {
    step_dns "$1-dns" "$NS_STU1" "$STU1_4" "$2" A
    https "$1" "$NS_STU1" "$2" "$(addr_of "$2")" --connect-timeout 4
}

scenario_traffic() {
    product_start stu1 "$NS_STU1" "$STU1_4"
    blocked_https sni sensologarchivestorage.blob.core.windows.net
    expect_rc sni 35 "TLS handshake reset"
    blocked_https icmp sensoeustorage.blob.core.windows.net
    expect_rc icmp 7 "could not connect (host unreachable)"
    blocked_https drop sensoeugeneral.blob.core.windows.net
    expect_rc drop 28 "connect timeout"
    FACT[sni.n]=$(in_ns "$NS_GW" iptables-nft -L FORWARD -v -n -x | awk '/STRING match/ {print $1}')
    FACT[icmp.n]=$(lab_fw_counter "$NS_GW" icmp)
    FACT[drop.n]=$(lab_fw_counter "$NS_GW" drop)
    ((FACT[sni.n] >= 1 && FACT[icmp.n] >= 1 && FACT[drop.n] >= 2)) ||
        die "firewall counters sni=${FACT[sni.n]} icmp=${FACT[icmp.n]} drop=${FACT[drop.n]}"
}

scenario_truth() {
    local n
    n=sensologarchivestorage.blob.core.windows.net
    row tcp "$STU1_4" "${FACT[sni.port]}" "$(addr_of $n)" 443 "HTTPS to $n reset by an SNI filter" \
        - - - "tcp_reset_after_hello/blob-logs/confirmed" "handshake;sni=$n;rst-after-hello" \
        "curl exit 35 (connection reset during the TLS handshake); iptables string-match REJECT counter ${FACT[sni.n]}"
    n=sensoeustorage.blob.core.windows.net
    row tcp "$STU1_4" "${FACT[icmp.port]}" "$(addr_of $n)" 443 "HTTPS to $n rejected with ICMP admin-prohibited" \
        - - - "icmp_unreachable/blob-modules/confirmed" "icmp=3/13" \
        "curl exit 7 (no route to host); nft reject counter ${FACT[icmp.n]}"
    n=sensoeugeneral.blob.core.windows.net
    row tcp "$STU1_4" "${FACT[drop.port]}" "$(addr_of $n)" 443 "HTTPS to $n silently dropped" \
        - - - "tcp_no_answer/blob-general/confirmed" "syn-only>=2" \
        "curl exit 28 after --connect-timeout 4; nft drop counter ${FACT[drop.n]}"
    checklist cloud ok "HTTPS to app.senso.cloud, HTTP 200"
    checklist signalr ok "HTTPS to $SIGNAL_HOST, HTTP 200"
    checklist blob-general blocked "SYNs dropped by the school firewall"
    checklist blob-modules blocked "ICMP administratively prohibited from the school firewall"
    checklist blob-logs blocked "RST after the ClientHello (SNI filter)"
    local r
    for r in sturn-eu sturn-us relay holepunch broadcast; do
        checklist "$r" not_seen "not used in this scenario"
    done
}
