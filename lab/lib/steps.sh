# SPDX-License-Identifier: MIT
#
# steps.sh — client steps the scenarios share. Each step runs real clients, checks that
# they observed what the scenario intends (or dies), and adds its truth rows.

# rule_of NAME: the default profile's rule for a host name (lab names only).
rule_of() {
    case $1 in
    *.senso.cloud) echo cloud ;;
    *.service.signalr.net) echo signalr ;;
    sensoeugeneral.blob.core.windows.net) echo blob-general ;;
    sensoeustorage.blob.core.windows.net) echo blob-modules ;;
    sensologarchivestorage.blob.core.windows.net) echo blob-logs ;;
    senso-sturn-northeu.cloudapp.net) echo sturn-eu ;;
    senso-sturn-centralusa.cloudapp.net) echo sturn-us ;;
    *) echo - ;;
    esac
}

# addr_of NAME [A|AAAA]: the lab address a name ends at (following its CNAME).
addr_of() {
    local n=$1 t=${2:-A}
    [[ -n ${LAB_CNAME[$n]:-} ]] && n=${LAB_CNAME[$n]}
    if [[ $t == AAAA ]]; then echo "${LAB_AAAA[$n]}"; else echo "${LAB_A[$n]}"; fi
}

# step_dns KEY NS SRC NAME TYPE [RCODE]: a lookup through the school resolver, and its row.
# The answer must be the lab's address for NAME (RCODE 0) or absent (NXDOMAIN, RCODE 3).
step_dns() {
    local key=$1 ns=$2 src=$3 name=$4 type=$5 want=${6:-0} addr ev
    dnsq "$key" "$ns" "$name" "$type"
    [[ $(fact "$key" rcode) == "$want" ]] ||
        die "$key: DNS $type $name answered rcode '$(fact "$key" rcode)', expected $want"
    if ((want == 0)); then
        addr=$(addr_of "$name" "$type")
        [[ $(fact "$key" answers) == "$addr" ]] || die "$key: answer $(fact "$key" answers), expected $addr"
        ev="dns=$name/0/$addr"
        [[ -n ${LAB_CNAME[$name]:-} ]] && ev+=";cname=$name/${LAB_CNAME[$name]}"
        row udp "$(fact "$key" local)" "$(fact "$key" lport)" "$GW_LAN4" 53 "DNS $type $name" - - - - "$ev" \
            "dns-query rcode 0, answer $addr${LAB_CNAME[$name]:+ via CNAME ${LAB_CNAME[$name]}}"
    fi
}

# step_cloud KEY NS SRC NAME [v6] [CURL-OPTION...]: DNS lookup then HTTPS GET; both must
# succeed with a certificate verified against the lab CA. Rows for both flows.
step_cloud() {
    local key=$1 ns=$2 src=$3 name=$4 type=A
    shift 4
    if [[ ${1:-} == v6 ]]; then
        type=AAAA
        shift
    fi
    local addr rule ver=1.3
    step_dns "$key-dns" "$ns" "$src" "$name" "$type"
    addr=$(fact "$key-dns" answers)
    rule=$(rule_of "$name")
    https "$key" "$ns" "$name" "$addr" "$@"
    expect_rc "$key" 0 "HTTPS to $name"
    [[ $(fact "$key" code) == 200 && $(fact "$key" verify) == 0 ]] ||
        die "$key: curl said '${FACT[$key.out]}'"
    [[ " $* " == *" --tls-max 1.2 "* ]] && ver=1.2
    row tcp "$src" "${FACT[$key.port]}" "$addr" 443 "HTTPS to $name (TLS $ver), rule $rule" \
        - - - - "sni=$name;handshake;tls=$ver;data-both" \
        "curl exit 0, HTTP 200, certificate verified against the lab CA"
}

# product_start KEY NS SRC: what the Senso client does at start: the cloud front end and
# SignalR. A host that does this is a product host.
product_start() {
    step_cloud "$1-cloud" "$2" "$3" app.senso.cloud
    step_cloud "$1-signalr" "$2" "$3" "$SIGNAL_HOST"
}

# bcast_listen: the console (broadcast sender) listens on TCP 30100 and echoes what it gets.
bcast_listen() {
    bg bcast-listen "$NS_CON" timeout 90 socat TCP-LISTEN:30100,bind="$CON4",reuseaddr,fork EXEC:cat
    wait_listen "$NS_CON" tcp "$CON4" 30100
}

# step_bcast KEY NS SRC: one broadcast connection from SRC to the console, pinned source
# port (FACT[KEY.port]); the caller checks the outcome.
step_bcast() {
    local port
    next_port port
    FACT[$1.port]=$port
    run "$1" "$2" 8 socat -t 1 - "TCP:$CON4:30100,bind=$3:$port,connect-timeout=4" \
        <<<"sensoscope-lab broadcast frame"
}
