# SPDX-License-Identifier: MIT
#
# topo.sh — the lab's small internet: a school LAN behind a NAT gateway, an "internet"
# namespace with the vendor's cloud names, DNS and a TURN server, and a home network behind
# a second NAT. Sourced after common.sh. The diagram is in lab/README.md.
#
#   lab_topology          namespaces, links, addresses, routes, NAT, base firewalls
#   lab_certs DIR         lab public CA + server certificate (unless DIR already has them)
#   lab_services          dnsmasq (authoritative + school resolver), cloud HTTPS, coturn
#   lab_capture_start / lab_capture_stop FILE   tcpdump on the school LAN bridge
#
# Addresses (all from private or documentation ranges; nothing reaches a real network):

P=${LAB_PREFIX:-sslab-$$}
NS_GW=$P-gw NS_CON=$P-con NS_STU1=$P-stu1 NS_STU2=$P-stu2
NS_INET=$P-inet NS_DROP=$P-drop NS_HGW=$P-hgw NS_HOME=$P-home NS_WAN=$P-wan
WAN_DELAY_MS=${LAB_WAN_DELAY_MS:-10} # one way, on the school's internet link

# School LAN (bridge br0 in the gateway namespace), NAT to 203.0.113.10.
GW_LAN4=10.10.0.1 GW_LAN6=fd10::1
CON4=10.10.0.20 CON6=fd10::20     # teacher console
STU1_4=10.10.0.31 STU1_6=fd10::31 # student laptop
STU2_4=10.10.0.32 STU2_6=fd10::32 # second student laptop
SCHOOL_WAN4=203.0.113.10 SCHOOL_WAN6=2001:db8:ff::10
# Home network behind its own NAT (203.0.113.50).
HGW_LAN4=192.168.1.1 HOME4=192.168.1.20 HOME_WAN4=203.0.113.50 HOME_WAN6=2001:db8:ff::50
# The internet namespace: a bridge for the two gateways, servers on its loopback.
INET4=203.0.113.1 INET6=2001:db8:ff::1
DNS_AUTH=192.0.2.53
declare -A LAB_A=(
    [app.senso.cloud]=192.0.2.10
    [api.senso.cloud]=192.0.2.11
    [senso-eu1.service.signalr.net]=192.0.2.20
    [blob.ams07prdstr02a.store.core.windows.net]=192.0.2.30
    [blob.ams09prdstr05a.store.core.windows.net]=192.0.2.31
    [blob.dub14prdstr11c.store.core.windows.net]=192.0.2.32
    [senso-sturn-northeu.northeurope.cloudapp.azure.com]=198.51.100.10
    [senso-sturn-centralusa.centralus.cloudapp.azure.com]=198.51.100.11
    [news.example.org]=192.0.2.80
)
declare -A LAB_AAAA=(
    [app.senso.cloud]=2001:db8:10::10
    [senso-eu1.service.signalr.net]=2001:db8:10::20
)
# CNAME chains as the real names have (blob and cloudapp names are aliases).
declare -A LAB_CNAME=(
    [sensoeugeneral.blob.core.windows.net]=blob.ams07prdstr02a.store.core.windows.net
    [sensoeustorage.blob.core.windows.net]=blob.ams09prdstr05a.store.core.windows.net
    [sensologarchivestorage.blob.core.windows.net]=blob.dub14prdstr11c.store.core.windows.net
    [senso-sturn-northeu.cloudapp.net]=senso-sturn-northeu.northeurope.cloudapp.azure.com
    [senso-sturn-centralusa.cloudapp.net]=senso-sturn-centralusa.centralus.cloudapp.azure.com
)
TURN_EU=198.51.100.10 TURN_US=198.51.100.11 TURN_NAME_EU=senso-sturn-northeu.cloudapp.net
TURN_USER=senso TURN_PASS=labpass TURN_REALM=lab.senso.cloud
SIGNAL_HOST=senso-eu1.service.signalr.net

# lab_link NS1 IF1 NS2 IF2: a veth pair, offloads off (real checksums, MTU-sized segments).
lab_link() {
    local f
    ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
    for f in tx tso gso gro; do
        in_ns "$1" ethtool -K "$2" "$f" off >/dev/null 2>&1 || true
        in_ns "$3" ethtool -K "$4" "$f" off >/dev/null 2>&1 || true
    done
}

lab_lan_host() { # lab_lan_host NS PORT MAC V4 V6
    local ns=$1 port=$2 mac=$3 v4=$4 v6=$5
    lab_link "$NS_GW" "$port" "$ns" eth0
    ip -n "$NS_GW" link set "$port" master br0 up
    ip -n "$ns" link set eth0 address "$mac"
    ip -n "$ns" addr add "$v4/24" dev eth0
    ip -n "$ns" addr add "$v6/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$GW_LAN4"
    ip -n "$ns" -6 route add default via "$GW_LAN6"
    lab_resolver "$ns" "$GW_LAN4"
}

lab_topology() {
    local ns a
    log "namespaces $P-{gw,con,stu1,stu2,inet,drop,hgw,home,wan}"
    for ns in "$NS_GW" "$NS_CON" "$NS_STU1" "$NS_STU2" "$NS_INET" "$NS_DROP" "$NS_HGW" "$NS_HOME" \
        "$NS_WAN"; do
        lab_ns_add "$ns"
    done

    # School LAN: bridge br0 in the gateway, one port per host, fixed MAC addresses.
    ip -n "$NS_GW" link add br0 address 02:00:0a:0a:00:01 type bridge stp_state 0 forward_delay 0
    ip -n "$NS_GW" addr add "$GW_LAN4/24" dev br0
    ip -n "$NS_GW" addr add "$GW_LAN6/64" dev br0 nodad
    ip -n "$NS_GW" link set br0 up
    lab_lan_host "$NS_CON" p-con 02:00:0a:0a:00:14 "$CON4" "$CON6"
    lab_lan_host "$NS_STU1" p-stu1 02:00:0a:0a:00:1f "$STU1_4" "$STU1_6"
    lab_lan_host "$NS_STU2" p-stu2 02:00:0a:0a:00:20 "$STU2_4" "$STU2_6"

    # Internet: bridge ix joins the school and home gateways; servers live on lo.
    ip -n "$NS_INET" link add ix type bridge stp_state 0 forward_delay 0
    ip -n "$NS_INET" addr add "$INET4/24" dev ix
    ip -n "$NS_INET" addr add "$INET6/64" dev ix nodad
    ip -n "$NS_INET" link set ix up
    # The school's internet link runs through a delaying bridge (lib/wandelay.py; this
    # kernel has no netem): WAN_DELAY_MS each way, so round trips look like a real uplink.
    lab_link "$NS_INET" x-school "$NS_WAN" dly-inet
    lab_link "$NS_WAN" dly-school "$NS_GW" wan0
    ip -n "$NS_WAN" link set dly-school promisc on up
    ip -n "$NS_WAN" link set dly-inet promisc on up
    bg wandelay "$NS_WAN" python3 "$LAB_DIR/lib/wandelay.py" dly-school dly-inet \
        --delay-ms "$WAN_DELAY_MS" \
        --seconds 900
    lab_link "$NS_INET" x-home "$NS_HGW" wan0
    ip -n "$NS_INET" link set x-school master ix up
    ip -n "$NS_INET" link set x-home master ix up
    for a in "${LAB_A[@]}" "$DNS_AUTH"; do ip -n "$NS_INET" addr add "$a/32" dev lo; done
    for a in "${LAB_AAAA[@]}"; do ip -n "$NS_INET" addr add "$a/128" dev lo; done
    # Unknown destinations (private addresses from ICE candidates, say) go to a namespace
    # that drops everything. Not a blackhole route: coturn tears an allocation down when a
    # relay send fails with EINVAL, which a blackhole route causes.
    lab_link "$NS_INET" d0 "$NS_DROP" eth0
    ip -n "$NS_INET" addr add 100.127.255.1/30 dev d0
    ip -n "$NS_INET" link set d0 up
    ip -n "$NS_DROP" addr add 100.127.255.2/30 dev eth0
    ip -n "$NS_DROP" link set eth0 up
    ip -n "$NS_INET" route add default via 100.127.255.2
    ip -n "$NS_INET" -6 route add default dev d0
    in_ns "$NS_DROP" nft -f - <<'NFT'
table inet sink {
    chain input { type filter hook input priority filter; policy drop; }
    chain forward { type filter hook forward priority filter; policy drop; }
}
NFT
    in_ns "$NS_INET" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

    # School gateway: WAN side, NAT, base firewall (scenario rules go in chain "school").
    ip -n "$NS_GW" addr add "$SCHOOL_WAN4/24" dev wan0
    ip -n "$NS_GW" addr add "$SCHOOL_WAN6/64" dev wan0 nodad
    ip -n "$NS_GW" link set wan0 up
    ip -n "$NS_GW" route add default via "$INET4"
    ip -n "$NS_GW" -6 route add default via "$INET6"
    in_ns "$NS_GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    in_ns "$NS_GW" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
        net.bridge.bridge-nf-call-ip6tables=0 >/dev/null 2>&1 || true
    lab_nat_gateway "$NS_GW" br0

    # Home: a second NAT, one remote peer behind it.
    lab_link "$NS_HGW" lan0 "$NS_HOME" eth0
    ip -n "$NS_HGW" addr add "$HGW_LAN4/24" dev lan0
    ip -n "$NS_HGW" link set lan0 up
    ip -n "$NS_HGW" addr add "$HOME_WAN4/24" dev wan0
    ip -n "$NS_HGW" addr add "$HOME_WAN6/64" dev wan0 nodad
    ip -n "$NS_HGW" link set wan0 up
    ip -n "$NS_HGW" route add default via "$INET4"
    in_ns "$NS_HGW" sysctl -qw net.ipv4.ip_forward=1
    lab_nat_gateway "$NS_HGW" lan0
    ip -n "$NS_HOME" link set eth0 address 02:00:c0:a8:01:14
    ip -n "$NS_HOME" addr add "$HOME4/24" dev eth0
    ip -n "$NS_HOME" link set eth0 up
    ip -n "$NS_HOME" route add default via "$HGW_LAN4"
    lab_resolver "$NS_HOME" "$DNS_AUTH"
}

# lab_nat_gateway NS LANIF: masquerade to wan0 (Linux keeps source ports where it can) and
# drop unsolicited inbound on the WAN side, also to the gateway itself. Without that drop an
# early inbound connectivity check would create a conntrack entry on the gateway's own
# address and port, the NAT would then pick another port for the peer's outbound packets,
# and hole punching would fail.
lab_nat_gateway() {
    in_ns "$1" nft -f - <<NFT
table inet lab {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        iifname "wan0" counter drop comment "unsolicited inbound"
        iifname "$2" jump school
    }
    chain school {
    }
    chain input {
        type filter hook input priority filter; policy accept;
        iifname "wan0" ct state established,related accept
        iifname "wan0" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
        iifname "wan0" counter drop comment "unsolicited inbound to the gateway"
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan0" masquerade
    }
}
NFT
}

# lab_fw NS RULE...: add rules to the gateway's scenario chain (nft syntax, one per arg).
lab_fw() {
    local ns=$1 r
    shift
    for r in "$@"; do in_ns "$ns" nft add rule inet lab school $r; done
}

# lab_fw_counter NS COMMENT: the packet counter of the scenario rule with that comment.
lab_fw_counter() {
    in_ns "$1" nft list chain inet lab school |
        sed -n "/comment \"$2\"/s/.*counter packets \([0-9]*\) bytes.*/\1/p"
}

# lab_certs DIR: the lab's "public" CA and one server certificate for all cloud names.
lab_certs() {
    local d=$1
    mkdir -p "$d"
    [[ -s $d/ca.pem && -s $d/server.pem && -s $d/server.key ]] && return 0
    log "certificates (lab public CA)"
    (
        cd "$d"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
            -subj "/C=NL/O=sensoscope lab/CN=sensoscope lab Public Root CA" \
            -keyout ca.key -out ca.pem \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj "/C=NL/O=sensoscope lab/CN=*.senso.cloud" -keyout server.key -out server.csr \
            2>/dev/null
        {
            printf 'subjectAltName=DNS:*.senso.cloud,DNS:*.service.signalr.net,'
            printf 'DNS:*.blob.core.windows.net,DNS:*.cloudapp.net,DNS:news.example.org\n'
            printf 'extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n'
        } >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
            -extfile server.ext -out server.pem 2>/dev/null
        cat server.pem ca.pem >server-chain.pem
    )
}

# lab_services: DNS, the cloud HTTPS endpoints (and the signalling mailbox) and coturn.
# LAB_SCHOOL_DNS_EXTRA (array): extra dnsmasq options for the school resolver (a filter).
lab_services() {
    local name args=() a
    log "services: dnsmasq, cloud HTTPS, coturn"
    for name in "${!LAB_A[@]}"; do
        a=${LAB_A[$name]}
        [[ -n ${LAB_AAAA[$name]:-} ]] && a+=",${LAB_AAAA[$name]}"
        args+=("--host-record=$name,$a")
    done
    for name in "${!LAB_CNAME[@]}"; do args+=("--cname=$name,${LAB_CNAME[$name]}"); done
    # Authoritative for the lab's zones: --local makes unknown names NXDOMAIN (without it,
    # dnsmasq with no upstream answers REFUSED, AAAA queries included).
    bg dns-auth "$NS_INET" dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$DNS_AUTH" --except-interface=ix --log-queries --log-facility=- \
        --local=/senso.cloud/ --local=/signalr.net/ --local=/windows.net/ \
        --local=/cloudapp.net/ --local=/azure.com/ --local=/example.org/ \
        --pid-file= --user=root "${args[@]}"
    # The school's resolver on the gateway forwards to it, with the scenario's filter.
    bg dns-school "$NS_GW" dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$GW_LAN4" --listen-address="$GW_LAN6" --log-queries --log-facility=- \
        --server="$DNS_AUTH" --pid-file= --user=root --cache-size=0 \
        "${LAB_SCHOOL_DNS_EXTRA[@]}"

    local listen=()
    for a in "${LAB_A[@]}"; do
        [[ $a == 198.51.100.* ]] || listen+=(--listen "$a:443")
    done
    for a in "${LAB_AAAA[@]}"; do listen+=(--listen "[$a]:443"); done
    bg cloud "$NS_INET" node "$LAB_DIR/node/cloud.mjs" --cert "$LAB_CERTS/server-chain.pem" \
        --key "$LAB_CERTS/server.key" "${listen[@]}"

    lab_coturn
    wait_listen "$NS_INET" udp "$DNS_AUTH" 53
    wait_listen "$NS_GW" udp "$GW_LAN4" 53
    wait_listen "$NS_INET" tcp 192.0.2.10 443
    wait_listen "$NS_INET" udp "$TURN_EU" 3478
    wait_listen "$NS_INET" tcp "$TURN_EU" 443
}

# coturn at the sturn names: UDP and TCP 3478, TLS on 443, relay ports 49152-65535,
# long-term credentials.
lab_coturn() {
    local ip
    for ip in "$TURN_EU" "$TURN_US"; do
        bg "coturn-$ip" "$NS_INET" turnserver -n --no-cli --log-file=stdout --simple-log \
            --fingerprint --lt-cred-mech --user="$TURN_USER:$TURN_PASS" --realm="$TURN_REALM" \
            --listening-ip="$ip" --relay-ip="$ip" --listening-port=3478 --tls-listening-port=443 \
            --cert="$LAB_CERTS/server-chain.pem" --pkey="$LAB_CERTS/server.key" \
            --min-port=49152 --max-port=65535 --no-multicast-peers --no-dtls \
            --allowed-peer-ip=203.0.113.0-203.0.113.255 --denied-peer-ip=10.0.0.0-10.255.255.255 \
            --denied-peer-ip=192.168.0.0-192.168.255.255 --no-rfc5780 --no-stun-backward-compatibility \
            --pidfile="$LAB_WORK/turnserver-$ip.pid" --userdb="$LAB_WORK/turndb-$ip" --verbose
    done
}

# lab_capture_start NAME: tcpdump on the school LAN bridge (the mirror port's view).
lab_capture_start() {
    sleep 0.3 # let interface-up noise pass
    log "capture on $NS_GW br0"
    ip netns exec "$NS_GW" tcpdump -i br0 -n -s 0 -B 65536 -U --immediate-mode -Z root --time-stamp-precision=nano \
        -w "$LAB_WORK/capture.pcap" 2>"$LAB_WORK/tcpdump.log" &
    LAB_TCPDUMP=$!
    LAB_PIDS+=("$LAB_TCPDUMP")
    local i
    for i in $(seq 50); do
        grep -q 'listening on' "$LAB_WORK/tcpdump.log" && return 0
        sleep 0.1
    done
    die "tcpdump did not start: $(cat "$LAB_WORK/tcpdump.log")"
}

# lab_capture_stop OUT.pcapng COMMENT: stop tcpdump, require zero drops, write pcapng.
lab_capture_stop() {
    sleep 0.5 # last ACKs and FINs
    kill -TERM "$LAB_TCPDUMP" # background jobs of a script ignore SIGINT
    wait "$LAB_TCPDUMP" || true
    grep -q '^0 packets dropped by kernel' "$LAB_WORK/tcpdump.log" ||
        die "tcpdump dropped packets: $(cat "$LAB_WORK/tcpdump.log")"
    editcap -F pcapng --capture-comment "$2" "$LAB_WORK/capture.pcap" "$1"
}
