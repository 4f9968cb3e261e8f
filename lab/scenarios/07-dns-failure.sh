# SPDX-License-Identifier: MIT
# Scenario dns-failure: the school's resolver (a DNS filter) answers NXDOMAIN for one
# required name and sinkholes another to 0.0.0.0. Clients never get to connect to them.
SCEN_TITLE="DNS filter: NXDOMAIN for blob-modules, 0.0.0.0 sinkhole for blob-logs"

scenario_dns() {
    LAB_SCHOOL_DNS_EXTRA=(--address=/sensoeustorage.blob.core.windows.net/
        --address=/sensologarchivestorage.blob.core.windows.net/0.0.0.0)
}

scenario_traffic() {
    product_start stu1 "$NS_STU1" "$STU1_4"
    step_dns nx "$NS_STU1" "$STU1_4" sensoeustorage.blob.core.windows.net A 3
    dnsq sink "$NS_STU1" sensologarchivestorage.blob.core.windows.net A
    [[ $(fact sink rcode) == 0 && $(fact sink answers) == 0.0.0.0 ]] || die "sink: ${FACT[sink.out]}"
}

scenario_truth() {
    row udp "$STU1_4" "$(fact nx lport)" "$GW_LAN4" 53 "DNS A sensoeustorage.blob.core.windows.net" \
        - - - "dns_failure/blob-modules/confirmed" "dns=sensoeustorage.blob.core.windows.net/3" \
        "dns-query rcode 3 (NXDOMAIN) from the school resolver (dnsmasq --address=/name/)"
    row udp "$STU1_4" "$(fact sink lport)" "$GW_LAN4" 53 "DNS A sensologarchivestorage.blob.core.windows.net" \
        - - - "dns_failure/blob-logs/confirmed" "dns=sensologarchivestorage.blob.core.windows.net/0/0.0.0.0" \
        "dns-query rcode 0 with the sinkhole answer 0.0.0.0 (dnsmasq --address=/name/0.0.0.0)"
    checklist cloud ok "HTTPS to app.senso.cloud, HTTP 200"
    checklist signalr ok "HTTPS to $SIGNAL_HOST, HTTP 200"
    checklist blob-modules blocked "NXDOMAIN from the school resolver"
    checklist blob-logs blocked "sinkhole answer 0.0.0.0 from the school resolver"
    local r
    for r in blob-general sturn-eu sturn-us relay holepunch broadcast; do
        checklist "$r" not_seen "not used in this scenario"
    done
}
