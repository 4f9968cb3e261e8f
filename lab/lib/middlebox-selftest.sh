#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2015,SC2086  # ok/bad never fail; pid lists are split on purpose
#
# middlebox-selftest.sh — self test of lab/lib/middlebox.sh (run as root; about 15 s).
#
#   client 10.10.0.31 ── br0 ── gw 10.10.0.1 │ 203.0.113.10 (masquerade) ── inet 203.0.113.1
#                        (capture)                                          lo: 192.0.2.30 (sensoeugeneral.blob.core.windows.net)
#                                                                               192.0.2.20 (eu1.service.signalr.net)
#
# Namespaces ssmbtest-<pid>-{client,gw,inet} are private to the run and removed (processes
# first) by an EXIT trap, also on failure. The origin servers are tiny python3 HTTPS servers
# with certificates from a throw-away "lab public CA". Cases, each captured on gw's br0 and
# checked with tshark:
#   (a) transparent inspection, client TLS 1.2: forged certificate (issuer = inspection CA)
#       in clear on the LAN; the intercepted server's TTL on the LAN is 64, a
#       non-intercepted flow (192.0.2.20) shows 63.
#   (b) transparent inspection, TLS 1.3: ServerHello supported_version 0x0304, no clear
#       Certificate message; curl still sees the inspection CA as issuer.
#   (c) explicit auth proxy: CONNECT -> 407, CONNECT with credentials -> 200, and the client
#       sees the origin's certificate (issuer = lab public CA), also in the capture.
# Exit status 0 when every check passes. MB_SELFTEST_KEEP=1 keeps the temp dir (pcaps, logs).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/lib/middlebox.sh
source "$HERE/middlebox.sh"

T0=$(date +%s.%N)
el() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }
log() { printf '[mbtest %6ss] %s\n' "$(el "$T0")" "$*" >&2; }
FAILS=0
ok() { printf '  ok   %s\n' "$*" >&2; }
bad() { printf '  FAIL %s\n' "$*" >&2; FAILS=$((FAILS + 1)); }
die() { printf 'middlebox-selftest: error: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root"
for c in ip nft openssl curl tcpdump tshark mitmdump ss; do
    command -v "$c" >/dev/null || die "$c missing"
done
PY=/usr/bin/python3
[[ -x $PY ]] || die "/usr/bin/python3 missing"

P=ssmbtest-$$-
C=${P}client G=${P}gw I=${P}inet
TMP=$(mktemp -d /tmp/ssmbtest.XXXXXX)
export MB_STATE_DIR=$TMP/state
TCPDUMP_PID=

cleanup() {
    local rc=$? ns pids i
    set +e
    for ns in "$C" "$G" "$I"; do
        ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [[ -n $pids ]] && kill -TERM $pids 2>/dev/null
    done
    for ((i = 0; i < 30; i++)); do
        pids=
        for ns in "$C" "$G" "$I"; do
            pids+=" $(ip netns pids "$ns" 2>/dev/null)"
        done
        [[ -z ${pids// /} ]] && break
        sleep 0.1
    done
    [[ -n ${pids// /} ]] && kill -KILL $pids 2>/dev/null
    for ns in "$C" "$G" "$I"; do
        ip netns del "$ns" 2>/dev/null
    done
    if [[ ${MB_SELFTEST_KEEP:-0} == 1 ]]; then
        echo "middlebox-selftest: kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- topology
log "namespaces ${P}{client,gw,inet}"
for ns in "$C" "$G" "$I"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$C" link add eth0 type veth peer name lan0 netns "$G"
ip -n "$G" link add br0 type bridge
ip -n "$G" link set lan0 master br0
ip -n "$G" link set lan0 up
ip -n "$G" link set br0 up
ip -n "$G" addr add 10.10.0.1/24 dev br0
ip -n "$C" link set eth0 up
ip -n "$C" addr add 10.10.0.31/24 dev eth0
ip -n "$C" route add default via 10.10.0.1
ip -n "$G" link add wan0 type veth peer name eth0 netns "$I"
ip -n "$G" addr add 203.0.113.10/24 dev wan0
ip -n "$G" link set wan0 up
ip -n "$G" route add default via 203.0.113.1
ip -n "$I" addr add 203.0.113.1/24 dev eth0
ip -n "$I" link set eth0 up
ip -n "$I" addr add 192.0.2.30/32 dev lo
ip -n "$I" addr add 192.0.2.20/32 dev lo
ip netns exec "$G" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$G" nft -f - <<'EOF'
table ip lab_nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan0" masquerade
    }
}
EOF

# ---------------------------------------------------------------- lab public CA, origins
log "lab public CA and origin certificates"
openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 2 -keyout "$TMP/labca.key" \
    -out "$TMP/labca.pem" -subj "/C=US/O=Sensoscope Lab Public CA/CN=Lab Public Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
mkleaf() { # NAME IP
    openssl req -new -newkey rsa:2048 -nodes -keyout "$TMP/$1.key" -out "$TMP/$1.csr" \
        -subj "/CN=$1" 2>/dev/null
    openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/labca.pem" -CAkey "$TMP/labca.key" \
        -CAcreateserial -days 2 -sha256 -out "$TMP/$1.pem" -extfile <(printf '%s\n' \
        "subjectAltName=DNS:$1,IP:$2" "extendedKeyUsage=serverAuth" \
        "basicConstraints=CA:FALSE") 2>/dev/null
}
BLOB=sensoeugeneral.blob.core.windows.net
SIGR=eu1.service.signalr.net
mkleaf "$BLOB" 192.0.2.30
mkleaf "$SIGR" 192.0.2.20

cat >"$TMP/origin.py" <<'EOF'
import http.server, ssl, sys
addr, name, cert, key = sys.argv[1:5]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = ("hello from %s\n" % name).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *a):
        sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % a))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(cert, key)
srv = http.server.ThreadingHTTPServer((addr, 443), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
EOF
ip netns exec "$I" "$PY" "$TMP/origin.py" 192.0.2.30 "$BLOB" "$TMP/$BLOB.pem" "$TMP/$BLOB.key" \
    >"$TMP/origin-blob.log" 2>&1 &
ip netns exec "$I" "$PY" "$TMP/origin.py" 192.0.2.20 "$SIGR" "$TMP/$SIGR.pem" "$TMP/$SIGR.key" \
    >"$TMP/origin-signalr.log" 2>&1 &
for ((i = 0; i < 100; i++)); do
    [[ $(ip netns exec "$I" ss -Hltn "sport = :443" | wc -l) -ge 2 ]] && break
    sleep 0.1
done
[[ $(ip netns exec "$I" ss -Hltn "sport = :443" | wc -l) -ge 2 ]] || die "origin servers not listening"

# ---------------------------------------------------------------- helpers
cap_start() { # FILE
    ip netns exec "$G" tcpdump -i br0 --immediate-mode -U -Z root -n -s 0 -w "$1" 'tcp' >"$1.log" 2>&1 &
    TCPDUMP_PID=$!
    local i
    for ((i = 0; i < 50; i++)); do
        grep -q 'listening on' "$1.log" 2>/dev/null && return 0
        sleep 0.1
    done
    die "tcpdump did not start"
}
cap_stop() {
    local i
    sleep 0.3 # let the last FINs/RSTs land
    kill -INT "$TCPDUMP_PID" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$TCPDUMP_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$TCPDUMP_PID" 2>/dev/null || true
    wait "$TCPDUMP_PID" 2>/dev/null || true
    TCPDUMP_PID=
}
ts() { tshark -r "$1" -Y "$2" -T fields -E separator='|' "${@:3}" 2>/dev/null; }
# client curl: NAME IP OUTBASE CURLARGS...  → prints "http_code ssl_verify_result"
ccurl() {
    local name=$1 ip=$2 out=$3
    shift 3
    ip netns exec "$C" curl -sS -v --max-time 15 --resolve "$name:443:$ip" "$@" \
        -o "$out.body" -w '%{http_code} %{ssl_verify_result}' "https://$name/" 2>"$out.err" || true
}
show() { sed 's/^/         /' >&2; }

INSP_SUBJ_CN="Smoothwall Filter CA"
mb_make_inspection_ca "$TMP/insp"
log "inspection CA: $(openssl x509 -in "$TMP/insp/ca.pem" -noout -subject)"

# ---------------------------------------------------------------- (a) TLS 1.2
log "start transparent proxy (MB_TARGETS=192.0.2.30)"
MB_TARGETS=192.0.2.30 MB_UPSTREAM_CA=$TMP/labca.pem \
    mb_transparent_start "$G" "$TMP/insp" "$TMP/mitm-transparent.log" 8080
log "mitmdump transparent listening after ${MB_LAST_START_S}s (pid $MB_LAST_PID)"
ip netns exec "$G" nft list table inet mb_redirect | show

log "case (a): TLS 1.2 through the inspection proxy"
ta=$(date +%s.%N)
cap_start "$TMP/a.pcapng"
r=$(ccurl "$BLOB" 192.0.2.30 "$TMP/a1" --tls-max 1.2 --cacert "$TMP/insp/ca.pem")
r2=$(ccurl "$SIGR" 192.0.2.20 "$TMP/a2" --tls-max 1.2 --cacert "$TMP/labca.pem")
cap_stop
[[ $r == "200 0" ]] && ok "curl via inspection: $r, body: $(cat "$TMP/a1.body")" ||
    { bad "curl via inspection: '$r'"; tail -5 "$TMP/a1.err" | show; }
[[ $r2 == "200 0" ]] && ok "curl non-intercepted 192.0.2.20: $r2" ||
    { bad "curl 192.0.2.20: '$r2'"; tail -5 "$TMP/a2.err" | show; }
grep -E '^\* +(subject|issuer):|SSL connection using' "$TMP/a1.err" | show
out=$(ts "$TMP/a.pcapng" 'tls.handshake.type == 11' -e frame.number -e ip.src -e ip.ttl \
    -e tls.handshake.version -e x509sat.printableString -e x509sat.uTF8String)
printf '%s\n' "$out" | show
grep -E "^[0-9]+\|192\.0\.2\.30\|64\|.*$INSP_SUBJ_CN" <<<"$out" >/dev/null &&
    ok "clear Certificate from 192.0.2.30 (TTL 64) names the inspection CA" ||
    bad "no Certificate with issuer '$INSP_SUBJ_CN' from 192.0.2.30 with TTL 64"
grep -E "^[0-9]+\|192\.0\.2\.20\|63\|.*Lab Public Root CA" <<<"$out" >/dev/null &&
    ok "non-intercepted Certificate from 192.0.2.20 (TTL 63) names the lab public CA" ||
    bad "no Certificate from 192.0.2.20 with TTL 63 and issuer lab CA"
out=$(ts "$TMP/a.pcapng" 'tcp.flags.syn == 1 && tcp.flags.ack == 1' -e ip.src -e ip.dst -e ip.ttl)
printf '%s\n' "$out" | show
grep -qx '192.0.2.30|10.10.0.31|64' <<<"$out" && ok "SYN/ACK from 192.0.2.30: TTL 64 (gw answered)" ||
    bad "SYN/ACK 192.0.2.30 TTL != 64"
grep -qx '192.0.2.20|10.10.0.31|63' <<<"$out" && ok "SYN/ACK from 192.0.2.20: TTL 63 (routed)" ||
    bad "SYN/ACK 192.0.2.20 TTL != 63"
log "case (a) took $(el "$ta")s"

# ---------------------------------------------------------------- (b) TLS 1.3
log "case (b): TLS 1.3 through the inspection proxy"
tb=$(date +%s.%N)
cap_start "$TMP/b.pcapng"
r=$(ccurl "$BLOB" 192.0.2.30 "$TMP/b1" --tlsv1.3 --cacert "$TMP/insp/ca.pem")
cap_stop
[[ $r == "200 0" ]] && ok "curl TLS 1.3 via inspection: $r" ||
    { bad "curl TLS 1.3: '$r'"; tail -5 "$TMP/b1.err" | show; }
grep -E '^\* +(subject|issuer):|SSL connection using' "$TMP/b1.err" | show
grep -q "issuer:.*$INSP_SUBJ_CN" "$TMP/b1.err" && ok "curl saw issuer $INSP_SUBJ_CN" ||
    bad "curl did not see the inspection CA"
out=$(ts "$TMP/b.pcapng" 'tls.handshake.type == 2' -e frame.number -e ip.src -e ip.ttl \
    -e tls.handshake.extensions.supported_version)
printf '%s\n' "$out" | show
grep -qE '^[0-9]+\|192\.0\.2\.30\|64\|0x0304$' <<<"$out" &&
    ok "ServerHello supported_version 0x0304 (TLS 1.3), TTL 64" || bad "no TLS 1.3 ServerHello"
n=$(ts "$TMP/b.pcapng" 'tls.handshake.type == 11' -e frame.number | wc -l)
[[ $n -eq 0 ]] && ok "no cleartext Certificate message in the TLS 1.3 capture" ||
    bad "$n cleartext Certificate messages in TLS 1.3 capture"
log "case (b) took $(el "$tb")s"
tstop=$(date +%s.%N)
mb_transparent_stop "$G"
log "transparent proxy stopped in $(el "$tstop")s"
ip netns exec "$G" nft list tables | grep -q mb_redirect && bad "mb_redirect table still there" ||
    ok "redirect table removed"
ip netns exec "$G" ss -Hltn 'sport = :8080' | grep -q . && bad "8080 still listening" ||
    ok "mitmdump gone"

# ---------------------------------------------------------------- (c) auth proxy
log "case (c): explicit proxy with Basic auth, no interception"
mb_authproxy_start "$G" 10.10.0.1 3128 labuser 'lab-secret' "$TMP/mitm-auth.log"
log "mitmdump auth proxy listening after ${MB_LAST_START_S}s (pid $MB_LAST_PID)"
tc=$(date +%s.%N)
cap_start "$TMP/c.pcapng"
# The proxy (in gw) cannot resolve lab names: --connect-to makes curl CONNECT to the IP
# while SNI and Host stay the name. TLS 1.2, so the tunnelled certificate is in clear.
r=$(ccurl "$BLOB" 192.0.2.30 "$TMP/c1" --connect-to "$BLOB:443:192.0.2.30:443" \
    --proxy http://10.10.0.1:3128 --proxy-user labuser:lab-secret --proxy-anyauth \
    --tls-max 1.2 --cacert "$TMP/labca.pem")
cap_stop
[[ $r == "200 0" ]] && ok "curl via auth proxy: $r, body: $(cat "$TMP/c1.body")" ||
    { bad "curl via auth proxy: '$r'"; tail -8 "$TMP/c1.err" | show; }
grep -E '^(> CONNECT|< HTTP/1\.[01] (407|200))|^\* +(subject|issuer):' "$TMP/c1.err" | tr -d '\r' | show
grep -q "issuer:.*Lab Public Root CA" "$TMP/c1.err" && ok "curl saw the origin's issuer (lab public CA)" ||
    bad "curl did not see the lab public CA"
out=$(ts "$TMP/c.pcapng" 'http.request.method == "CONNECT" || http.response' -e frame.number \
    -e tcp.stream -e ip.src -e http.request.method -e http.request.uri -e http.response.code \
    -e http.proxy_authorization -e http.proxy_authenticate)
printf '%s\n' "$out" | show
codes=$(awk -F'|' '$4 == "CONNECT" { printf "C%s ", ($7 == "" ? "-" : "+") } $6 != "" { printf "%s ", $6 }' <<<"$out")
[[ $codes == "C- 407 C+ 200 " ]] && ok "CONNECT without auth -> 407, CONNECT with auth -> 200" ||
    bad "CONNECT sequence '$codes' (want 'C- 407 C+ 200 ')"
n=$(awk -F'|' '$4 == "CONNECT" { print $2 }' <<<"$out" | sort -u | wc -l)
ok "the two CONNECTs used $n TCP connection(s) (407 carries Connection: close)"
out=$(ts "$TMP/c.pcapng" 'tls.handshake.type == 11' -e frame.number -e ip.src -e tcp.srcport \
    -e x509sat.printableString -e x509sat.uTF8String)
printf '%s\n' "$out" | show
grep -qE '10\.10\.0\.1\|3128\|.*Lab Public Root CA' <<<"$out" && ! grep -q "$INSP_SUBJ_CN" <<<"$out" &&
    ok "tunnelled Certificate is the origin's (issuer lab public CA)" ||
    bad "tunnelled certificate not the origin's"
log "case (c) took $(el "$tc")s"
mb_authproxy_stop "$G"

log "total $(el "$T0")s, $FAILS failure(s)"
((FAILS == 0)) || exit 1
echo "middlebox-selftest: PASS" >&2
