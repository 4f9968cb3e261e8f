# SPDX-License-Identifier: MIT
# Scenario inspection: the school gateway runs a transparent HTTPS-inspection proxy
# (mitmproxy) with a CA named like a real web filter's, for two of the vendor's addresses.
# The client trusts the filter's CA, as managed school devices do. One inspected connection
# negotiates TLS 1.2 (the forged certificate is in clear), one TLS 1.3 (it is encrypted:
# only the gateway's TTL and its quick SYN-ACK give it away). SignalR, api.senso.cloud and
# an unrelated web site are not inspected and form the capture's baseline.
SCEN_TITLE="HTTPS inspection by a transparent proxy: TLS 1.2 (forged certificate) and TLS 1.3"
SCEN_MITM=1

scenario_services() {
    mb_make_inspection_ca "$LAB_WORK/insp"
    lab_resolver "$NS_GW" "$DNS_AUTH"
    MB_TARGETS="$(addr_of sensoeugeneral.blob.core.windows.net) $(addr_of app.senso.cloud)" \
        MB_UPSTREAM_CA=$LAB_CERTS/ca.pem MB_STATE_DIR=$LAB_WORK/mb \
        mb_transparent_start "$NS_GW" "$LAB_WORK/insp" "$LAB_WORK/mitm.log"
    LAB_PIDS+=("$MB_LAST_PID")
}

scenario_traffic() {
    local insp=(--cacert "$LAB_WORK/insp/ca.pem")
    step_cloud base1 "$NS_STU1" "$STU1_4" "$SIGNAL_HOST"
    step_cloud base2 "$NS_STU1" "$STU1_4" api.senso.cloud
    step_cloud base3 "$NS_STU1" "$STU1_4" news.example.org
    step_dns i12-dns "$NS_STU1" "$STU1_4" sensoeugeneral.blob.core.windows.net A
    https i12 "$NS_STU1" sensoeugeneral.blob.core.windows.net "$(fact i12-dns answers)" \
        --tls-max 1.2 "${insp[@]}"
    expect_rc i12 0 "HTTPS through the inspection proxy"
    step_dns i13-dns "$NS_STU1" "$STU1_4" app.senso.cloud A
    https i13 "$NS_STU1" app.senso.cloud "$(fact i13-dns answers)" "${insp[@]}"
    expect_rc i13 0 "HTTPS through the inspection proxy"
    # Without the filter's CA the lab CA does not verify the forged certificate.
    [[ $(fact i12 code) == 200 && $(fact i13 code) == 200 ]] || die "inspected: HTTP codes"
    grep -q 'sensoeugeneral' "$LAB_WORK/mitm.log" && grep -q 'app.senso.cloud' "$LAB_WORK/mitm.log" ||
        die "mitmproxy log does not show both inspected connections"
}

scenario_truth() {
    local n=sensoeugeneral.blob.core.windows.net
    row tcp "$STU1_4" "${FACT[i12.port]}" "$(addr_of $n)" 443 \
        "HTTPS to $n (TLS 1.2) intercepted by the school's inspection proxy" - - - \
        "untrusted_issuer/blob-general/confirmed,inspection_issuer/blob-general/confirmed" \
        "sni=$n;tls=1.2;issuer~Smoothwall;ttl=64" \
        "curl exit 0 trusting only the filter CA; mitmproxy log shows the flow; certificate issued by Smoothwall Filter CA"
    n=app.senso.cloud
    row tcp "$STU1_4" "${FACT[i13.port]}" "$(addr_of $n)" 443 \
        "HTTPS to $n (TLS 1.3) intercepted by the school's inspection proxy" - - - \
        "ttl_anomaly/cloud/suspected,rtt_anomaly/cloud/suspected" \
        "sni=$n;tls=1.3;ttl=64;rtt-split>=20" \
        "curl exit 0 trusting only the filter CA; mitmproxy on the gateway answered the SYN and dialled upstream"
    checklist cloud inspected "app.senso.cloud intercepted (TLS 1.3: gateway TTL and SYN-ACK timing)"
    checklist signalr ok "HTTPS to $SIGNAL_HOST not intercepted, certificate from the lab CA"
    checklist blob-general inspected "forged certificate from Smoothwall Filter CA"
    local r
    for r in blob-modules blob-logs sturn-eu sturn-us relay holepunch broadcast; do
        checklist "$r" not_seen "not used in this scenario"
    done
}
