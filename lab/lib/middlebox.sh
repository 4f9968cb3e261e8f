# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034  # MB_* results are for the caller
#
# middlebox.sh — middleboxes for the sensoscope network lab: a transparent HTTPS inspection
# proxy (a school web filter that forges certificates) and an explicit, authenticating HTTP
# proxy that does not intercept. Source it; every function is `set -euo pipefail` safe and
# returns non-zero (with a message on stderr) on failure.
#
#   source lab/lib/middlebox.sh
#
# Functions
#   mb_make_inspection_ca DIR
#       Make a throw-away inspection CA whose subject looks like a real web filter's:
#       "/C=GB/O=Smoothwall Ltd/OU=Web Filter/CN=Smoothwall Filter CA" (RSA 2048, 30 days).
#       Writes DIR/ca.pem (certificate), DIR/ca.key (key, mode 600), DIR/mitmproxy-ca.pem
#       (key + certificate: what mitmproxy's confdir wants) and DIR/mitmproxy-ca-cert.pem
#       (certificate). DIR is created; it is usable as mitmproxy's confdir (keep it writable:
#       mitmproxy writes mitmproxy-dhparam.pem into it).
#
#   mb_transparent_start NS CONFDIR LOGFILE [PORT]
#       In namespace NS (a router forwarding LAN -> WAN), start
#         mitmdump --mode transparent --showhost --set confdir=CONFDIR --listen-port PORT ...
#       (PORT default 8080; output to LOGFILE) and redirect TCP port 443 arriving on the LAN
#       interface to it with nftables: table `inet mb_redirect`, chain `prerouting`
#       (type nat hook prerouting priority dstnat - 5):
#         iifname $MB_LAN_IF ip  daddr { MB_TARGETS v4 } tcp dport 443 redirect to :PORT
#         iifname $MB_LAN_IF ip6 daddr { MB_TARGETS v6 } tcp dport 443 redirect to :PORT
#       (without MB_TARGETS: every destination, both families). Waits (bounded) until
#       mitmdump listens. Clients may negotiate TLS 1.2 (the forged certificate is then in
#       clear in a capture) or TLS 1.3.
#   mb_transparent_stop NS
#       Delete the table and stop that mitmdump (TERM, then KILL after 5 s).
#
#   mb_authproxy_start NS ADDR PORT USER PASS LOGFILE
#       In NS, start an explicit HTTP proxy on ADDR:PORT that demands Basic authentication
#       and tunnels TLS untouched (no interception; the client sees the origin's certificate):
#         mitmdump --mode regular --listen-host ADDR --listen-port PORT
#                  --set proxyauth=USER:PASS --ignore-hosts '.*' ...
#       A CONNECT without credentials is answered "407 Proxy Authentication Required"
#       (Proxy-Authenticate: Basic realm="mitmproxy"); with credentials "200 Connection
#       established". `curl --proxy http://ADDR:PORT --proxy-user U:P --proxy-anyauth URL`
#       therefore sends two CONNECTs. The 407 carries "Connection: close" (a workaround for a
#       mitmproxy 8 bug, see below), so the second CONNECT comes on a new TCP connection.
#       The proxy resolves CONNECT host names itself (DNS of NS); in a lab without DNS let
#       the client CONNECT to the address: curl --connect-to NAME:443:IP:443.
#       USER/PASS must not contain ':'.
#   mb_authproxy_stop NS
#
# Environment
#   MB_LAN_IF      LAN interface in NS for the redirect (default br0)
#   MB_TARGETS     space separated destination addresses to intercept (default: all)
#   MB_UPSTREAM_CA PEM file of the CA the origin servers' certificates chain to; passed as
#                  --set ssl_verify_upstream_trusted_ca=FILE. Without it mitmproxy uses the
#                  system store (lab servers would then fail verification: 502 for clients).
#   MB_WAIT_S      how long to wait for a proxy to listen (default 20 s)
#   MB_MITMDUMP    mitmdump binary (default: mitmdump in PATH)
#   MB_EXTRA_ARGS  extra mitmdump arguments (word split), appended to both proxies
#   MB_STATE_DIR   where pid files live (default /tmp/middlebox-state)
# Results (set in the caller's shell, so do not call the start functions in $( )):
#   MB_LAST_PID    pid of the mitmdump just started (also in $MB_STATE_DIR/NS.{transparent,authproxy}.pid)
#   MB_PIDS        space separated pids of all proxies started by this shell
#   MB_LAST_START_S seconds from launch to listening
#
# The proxies run as root inside NS; `ip netns exec` execs mitmdump, so the pid is
# mitmdump's. mitmdump's block_global is turned off (clients may have public addresses).

: "${MB_PIDS:=}"

_mb_err() { printf 'middlebox: %s\n' "$*" >&2; }
_mb_now() { date +%s.%N; }
_mb_since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }
_mb_state() {
    local d=${MB_STATE_DIR:-/tmp/middlebox-state}
    mkdir -p "$d" && chmod 700 "$d" && printf '%s' "$d"
}

# _mb_wait_listen NS PID PORT LOGFILE — poll until PID listens on TCP PORT in NS (bounded)
_mb_wait_listen() {
    local ns=$1 pid=$2 port=$3 log=$4 wait_s=${MB_WAIT_S:-20} i n
    n=$((wait_s * 10))
    for ((i = 0; i < n; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            _mb_err "mitmdump (pid $pid) in $ns exited during start-up; log $log:"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        if ip netns exec "$ns" ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid,"; then
            return 0
        fi
        sleep 0.1
    done
    _mb_err "mitmdump (pid $pid) in $ns not listening on :$port after ${wait_s}s; log $log:"
    tail -n 20 "$log" >&2 || true
    return 1
}

# _mb_kill_pidfile FILE — stop the mitmdump whose pid is in FILE (TERM, 5 s, KILL)
_mb_kill_pidfile() {
    local f=$1 pid i
    [[ -f $f ]] || return 0
    pid=$(<"$f")
    rm -f "$f"
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    # only if that pid is still a mitmdump (pids get reused)
    grep -qa mitmdump "/proc/$pid/cmdline" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.1
    fi
    # shellcheck disable=SC2086  # split the pid list
    MB_PIDS=$(printf '%s\n' $MB_PIDS | grep -vx "$pid" | tr '\n' ' ' || true)
    MB_PIDS=${MB_PIDS% }
    return 0
}

# _mb_launch NS KIND LOGFILE PORT ARGS... — start mitmdump in NS, wait for PORT, record pid
_mb_launch() {
    local ns=$1 kind=$2 log=$3 port=$4 st pid t0
    shift 4
    st=$(_mb_state) || return 1
    local bin=${MB_MITMDUMP:-mitmdump}
    command -v "$bin" >/dev/null || { _mb_err "$bin not found"; return 1; }
    local -a extra=()
    # shellcheck disable=SC2206
    [[ -n ${MB_EXTRA_ARGS:-} ]] && extra=(${MB_EXTRA_ARGS})
    if [[ -n ${MB_UPSTREAM_CA:-} ]]; then
        [[ -r $MB_UPSTREAM_CA ]] || { _mb_err "MB_UPSTREAM_CA $MB_UPSTREAM_CA unreadable"; return 1; }
        extra+=(--set "ssl_verify_upstream_trusted_ca=$MB_UPSTREAM_CA")
    fi
    : >"$log" || return 1
    t0=$(_mb_now)
    # ip netns exec execs the command after setns(): $! is mitmdump's pid.
    # HOME is pointed at the state directory so nothing can land in root's ~/.mitmproxy.
    HOME=$st ip netns exec "$ns" "$bin" "$@" "${extra[@]}" </dev/null >>"$log" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$st/$ns.$kind.pid"
    if ! _mb_wait_listen "$ns" "$pid" "$port" "$log"; then
        _mb_kill_pidfile "$st/$ns.$kind.pid"
        kill -KILL "$pid" 2>/dev/null || true
        return 1
    fi
    MB_LAST_START_S=$(_mb_since "$t0")
    MB_LAST_PID=$pid
    MB_PIDS="${MB_PIDS:+$MB_PIDS }$pid"
    return 0
}

mb_make_inspection_ca() {
    local dir=${1:?usage: mb_make_inspection_ca DIR}
    local subj=${MB_CA_SUBJECT:-/C=GB/O=Smoothwall Ltd/OU=Web Filter/CN=Smoothwall Filter CA}
    mkdir -p "$dir" || return 1
    (
        umask 077
        openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 30 \
            -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "$subj" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -addext "subjectKeyIdentifier=hash" 2>/dev/null
    ) || { _mb_err "openssl could not make the inspection CA in $dir"; return 1; }
    cat "$dir/ca.key" "$dir/ca.pem" >"$dir/mitmproxy-ca.pem" && chmod 600 "$dir/mitmproxy-ca.pem" &&
        cp "$dir/ca.pem" "$dir/mitmproxy-ca-cert.pem" && chmod 644 "$dir/ca.pem" "$dir/mitmproxy-ca-cert.pem"
}

mb_transparent_start() {
    local ns=${1:?usage: mb_transparent_start NS CONFDIR LOGFILE [PORT]}
    local confdir=${2:?confdir missing} log=${3:?logfile missing} port=${4:-8080}
    local lan=${MB_LAN_IF:-br0} st v4=() v6=() a rules
    [[ -r $confdir/mitmproxy-ca.pem ]] || { _mb_err "$confdir/mitmproxy-ca.pem missing (mb_make_inspection_ca)"; return 1; }
    st=$(_mb_state) || return 1
    [[ -f $st/$ns.transparent.pid ]] && mb_transparent_stop "$ns"
    for a in ${MB_TARGETS:-}; do
        if [[ $a == *:* ]]; then v6+=("$a"); else v4+=("$a"); fi
    done
    _mb_launch "$ns" transparent "$log" "$port" \
        --mode transparent --showhost --listen-port "$port" \
        --set "confdir=$confdir" --set block_global=false \
        --set termlog_verbosity=info --set flow_detail=1 || return 1
    # The redirect goes in only once the proxy listens, so no client sees a refused port.
    rules="add table inet mb_redirect
add chain inet mb_redirect prerouting { type nat hook prerouting priority dstnat - 5; policy accept; }"
    if ((${#v4[@]} + ${#v6[@]} == 0)); then
        rules+="
add rule inet mb_redirect prerouting iifname \"$lan\" meta l4proto tcp tcp dport 443 counter redirect to :$port"
    fi
    if ((${#v4[@]})); then
        rules+="
add rule inet mb_redirect prerouting iifname \"$lan\" ip daddr { $(IFS=,; echo "${v4[*]}") } tcp dport 443 counter redirect to :$port"
    fi
    if ((${#v6[@]})); then
        rules+="
add rule inet mb_redirect prerouting iifname \"$lan\" ip6 daddr { $(IFS=,; echo "${v6[*]}") } tcp dport 443 counter redirect to :$port"
    fi
    ip netns exec "$ns" nft delete table inet mb_redirect 2>/dev/null || true
    if ! printf '%s\n' "$rules" | ip netns exec "$ns" nft -f -; then
        _mb_err "nft redirect in $ns failed"
        _mb_kill_pidfile "$st/$ns.transparent.pid"
        return 1
    fi
    return 0
}

mb_transparent_stop() {
    local ns=${1:?usage: mb_transparent_stop NS} st
    st=$(_mb_state) || return 1
    ip netns exec "$ns" nft delete table inet mb_redirect 2>/dev/null || true
    _mb_kill_pidfile "$st/$ns.transparent.pid"
}

mb_authproxy_start() {
    local ns=${1:?usage: mb_authproxy_start NS ADDR PORT USER PASS LOGFILE}
    local addr=${2:?addr missing} port=${3:?port missing} user=${4:?user missing}
    local pass=${5:?pass missing} log=${6:?logfile missing} st confdir
    [[ $user != *:* && $pass != *:* ]] || { _mb_err "USER/PASS must not contain ':'"; return 1; }
    st=$(_mb_state) || return 1
    [[ -f $st/$ns.authproxy.pid ]] && mb_authproxy_stop "$ns"
    # mitmproxy creates a CA in its confdir even if it never uses it: give it a private one.
    confdir=$st/$ns.authproxy.confdir
    mkdir -p "$confdir" && chmod 700 "$confdir"
    # mitmproxy 8.1.1 bug (mitmproxy#5519, #5779): a second CONNECT on the connection that got
    # the 407 is never answered, so curl --proxy-anyauth hangs. Workaround: this addon (run
    # after the built-in proxyauth addon) marks the 407 "Connection: close"; mitmproxy then
    # closes the client connection and curl retries with credentials on a new one.
    cat >"$confdir/close_on_407.py" <<'PYEOF'
class CloseOn407:
    def http_connect(self, flow):
        if flow.response is not None and flow.response.status_code == 407:
            flow.response.headers["Connection"] = "close"
            flow.response.headers["Proxy-Connection"] = "close"


addons = [CloseOn407()]
PYEOF
    _mb_launch "$ns" authproxy "$log" "$port" \
        --mode regular --listen-host "$addr" --listen-port "$port" \
        --set "confdir=$confdir" --set "proxyauth=$user:$pass" --ignore-hosts '.*' \
        -s "$confdir/close_on_407.py" \
        --set block_global=false --set termlog_verbosity=info --set flow_detail=1
}

mb_authproxy_stop() {
    local ns=${1:?usage: mb_authproxy_stop NS} st
    st=$(_mb_state) || return 1
    _mb_kill_pidfile "$st/$ns.authproxy.pid"
    rm -rf "$st/$ns.authproxy.confdir"
}
