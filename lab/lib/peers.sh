# SPDX-License-Identifier: MIT
#
# peers.sh — WebRTC sessions between two lab hosts with werift (lab/node/peer.mjs).
#
#   ice_session KEY NS_OFFER NS_ANSWER "OFFER-OPTIONS" "ANSWER-OPTIONS"
#
# starts both peers in their namespaces (the answerer first; both long-poll the signalling
# mailbox at $SIGNAL_HOST over HTTPS), waits for both, and keeps each side's result file
# at $LAB_WORK/KEY.offer.json and $LAB_WORK/KEY.answer.json. FACT[KEY.rc] is 0 when both
# connected. The options are peer.mjs options (--stun, --turn, --policy, --seconds).

ice_session() {
    local key=$1 ns_o=$2 ns_a=$3 opt_o=$4 opt_a=$5 pid_o pid_a rc_o=0 rc_a=0
    local common=(--signal "https://$SIGNAL_HOST/signal/$key" --ca "$LAB_CERTS/ca.pem"
        --turn-user "$TURN_USER" --turn-pass "$TURN_PASS" --timeout 20)
    # shellcheck disable=SC2086 # option strings are word lists
    in_ns "$ns_a" timeout 40 node "$LAB_DIR/node/peer.mjs" --role answer "${common[@]}" $opt_a \
        --out "$LAB_WORK/$key.answer.json" >"$LAB_WORK/$key.answer.log" 2>&1 &
    pid_a=$!
    LAB_PIDS+=("$pid_a")
    # shellcheck disable=SC2086
    in_ns "$ns_o" timeout 40 node "$LAB_DIR/node/peer.mjs" --role offer "${common[@]}" $opt_o \
        --out "$LAB_WORK/$key.offer.json" >"$LAB_WORK/$key.offer.log" 2>&1 &
    pid_o=$!
    LAB_PIDS+=("$pid_o")
    wait "$pid_o" || rc_o=$?
    wait "$pid_a" || rc_a=$?
    FACT[$key.rc]=$((rc_o || rc_a))
    log "$key: offer exit $rc_o, answer exit $rc_a"
    ((rc_o == 0 && rc_a == 0)) || {
        tail -n 20 "$LAB_WORK/$key.offer.log" "$LAB_WORK/$key.answer.log" >&2
        die "$key: WebRTC session did not connect"
    }
    # The truth names one selected pair: a session that switched pairs while sending has none.
    local side
    for side in offer answer; do
        [[ $(jq -r '.selected_changes // 0' "$LAB_WORK/$key.$side.json") == 0 ]] ||
            die "$key: the $side side switched its nominated pair while sending data"
    done
}

declare -A ICE_DROPS=()

# checklist_ice RULE: blocked when ice_rows found dropped checks for RULE, else not_seen.
checklist_ice() {
    if ((${ICE_DROPS[$1]:-0} > 0)); then
        checklist "$1" blocked "${ICE_DROPS[$1]} flow(s) of connectivity checks dropped by the school firewall"
    else
        checklist "$1" not_seen "no check was sent that this rule covers"
    fi
}

# pj KEY SIDE JQ-FILTER: a value from one side's result file.
pj() { jq -r "$3" "$LAB_WORK/$1.$2.json"; }

# first_sender PROTO A APORT B BPORT: "A APORT B BPORT" or "B BPORT A APORT", whichever
# side sent the first packet of that 5-tuple in the capture ($CAP). The initiator of an
# ICE pair is a fact of the capture: both sides send checks at about the same time.
first_sender() {
    local proto=$1 a=$2 ap=$3 b=$4 bp=$5 ipf=ip first
    [[ $a == *:* ]] && ipf=ipv6
    first=$(tshark -r "$CAP" -n -Y "!icmp && !icmpv6 && $proto && (($ipf.src==$a && $proto.srcport==$ap && $ipf.dst==$b && $proto.dstport==$bp) || ($ipf.src==$b && $proto.srcport==$bp && $ipf.dst==$a && $proto.dstport==$ap))" \
        -T fields -e $ipf.src 2>/dev/null | head -1)
    [[ -n $first ]] || die "no $proto packet between $a:$ap and $b:$bp in the capture"
    if [[ $first == "$a" ]]; then echo "$a $ap $b $bp"; else echo "$b $bp $a $ap"; fi
}

# ice_selected KEY SIDE: the selected pair as seen on the LAN, from SIDE's result:
# "LTYPE LADDR LPORT RTYPE RADDR RPORT PROTO" with LADDR:LPORT the local base address
# (a srflx candidate's base is its related address; a relay candidate's is the client
# side of the allocation).
ice_selected() {
    jq -r '
      .selected as $s
      | ($s.local.type) as $lt
      | (if $lt == "srflx" or $lt == "prflx" then
           (.local_candidates[] | select(.address == $s.local.address and .port == $s.local.port)
            | [.relatedAddress, (.relatedPort|tostring)]) // [$s.local.address, ($s.local.port|tostring)]
         else [$s.local.address, ($s.local.port|tostring)] end) as $base
      | [$lt, $base[0], $base[1], $s.remote.type, $s.remote.address, ($s.remote.port|tostring),
         ($s.local.protocol // "udp")] | join(" ")' "$LAB_WORK/$1.$2.json" | head -1
}

# ice_rows KEY SIDE SCHOOL_ADDR WHAT RELAY_VERDICT HOLEPUNCH_VERDICT [SIDE2 SCHOOL_ADDR2]
# Truth rows for one ICE session, from SIDE's (the school peer's) result and the capture:
#  - the selected pair (method 2 host/srflx), or for a relayed session the client's flow
#    to the TURN server (method 3, with a second row for the TURN allocation itself);
#  - every other UDP flow from SCHOOL_ADDR carrying connectivity checks that got no
#    answer. Whether that is a block depends on where the check went: the remote peer's
#    private host candidate (no route can reach it) and the school's own public address
#    (no hairpin NAT) are not blocks; a check to the remote's public (srflx) address or
#    to its TURN relay port that the school firewall dropped is. RELAY_VERDICT and
#    HOLEPUNCH_VERDICT say which verdict those get in this scenario ("-" for none).
ice_rows() {
    local key=$1 side=$2 me=$3 what=$4 relay_v=$5 hole_v=$6 side2=${7:-} me2=${8:-}
    ME4=$me ME6=$(v6_of "$me")
    local lt la lp rt ra rp proto method sub f
    local sel
    sel=$(ice_selected "$key" "$side") || exit 1
    read -r lt la lp rt ra rp proto <<<"$sel"
    local trn
    trn=$(jq -r '.turn // empty | [.server, .transport] | join(" ")' "$LAB_WORK/$key.$side.json")
    if [[ $lt == relay ]]; then
        local srv stransport sip sport tproto cport ev
        read -r srv stransport <<<"$trn"
        sip=${srv%:*} sport=${srv##*:}
        tproto=udp
        [[ $stransport != udp ]] && tproto=tcp
        # The client's own port towards the TURN server, read from the capture.
        cport=$(tshark -r "$CAP" -n -Y "ip.src==$me && ip.dst==$sip && $tproto.dstport==$sport && !icmp" \
            -T fields -e $tproto.srcport 2>/dev/null | sort | uniq -c | sort -rn | awk 'NR==1 {print $2}')
        [[ -n $cport ]] || die "$key: no flow from $me to the TURN server $srv in the capture"
        sub=relay-$stransport
        case $stransport in
        udp) ev="stun=allocate/success>=1;chandata>=10;chandata-both" ;;
        tcp) ev="stun=allocate/success>=1;chandata>=10;chandata-both" ;;
        tls) ev="sni=$TURN_NAME_EU;handshake;appdata>=10" ;;
        esac
        row "$tproto" "$me" "$cport" "$sip" "$sport" "$what, relayed through the TURN server ($stransport)" \
            ice 3 "$sub" - "$ev" \
            "werift selected pair: local relay $(jq -r '.selected.local | "\(.address):\(.port)"' "$LAB_WORK/$key.$side.json") - remote $rt $ra:$rp"
        # coturn here, like most deployments, refuses to relay to private addresses: the
        # permissions for the remote's private host candidate get 403 (Forbidden IP). That
        # is the server's policy, not the school's network, so it is not a verdict.
        local n403 why403=""
        n403=$(tshark -r "$CAP" -n -Y "ip.addr==$me && $tproto.port==$cport && ip.addr==$sip && stun.att.error==3 && stun.att.error.reason contains \"Forbidden\"" \
            2>/dev/null | wc -l)
        if ((n403 > 0)); then
            ev+=";stun=createpermission/error>=1"
            why403="; $n403 responses 403 Forbidden IP to permissions for the remote's private address (server policy, not a turn_error)"
        fi
        row "$tproto" "$me" "$cport" "$sip" "$sport" "TURN allocation of $what ($stransport)" \
            turn 3 "$sub" - "$ev" \
            "werift: relayed address $(jq -r .turn.relayed "$LAB_WORK/$key.$side.json"), mapped $(jq -r .turn.mapped "$LAB_WORK/$key.$side.json")$why403"
    else
        method=2 sub=host
        [[ $lt == srflx || $rt == srflx || $lt == prflx || $rt == prflx ]] && sub=srflx
        [[ $ra == 10.* || $ra == fd* ]] || sub=srflx
        f=$(first_sender udp "$la" "$lp" "$ra" "$rp") || exit 1
        # shellcheck disable=SC2086 # four words
        row udp $f "$what, direct ($sub)" ice 2 "$sub" - "stun=binding/success>=1;usecandidate-ok;dtls" \
            "werift selected pair: local $lt $la:$lp - remote $rt $ra:$rp"
    fi
    ice_unanswered_rows "$key" "$side" "$me" "$what" "$relay_v" "$hole_v" "$lt" "$ra" "$rp"
    # A session between two school hosts: the other side's checks cross the firewall too.
    if [[ -n $side2 ]]; then
        ice_unanswered_rows "$key" "$side2" "$me2" "$what" "$relay_v" "$hole_v" - - -
    fi
}

# ice_unanswered_rows KEY SIDE ADDR WHAT RELAY_V HOLE_V SEL_LTYPE SEL_RADDR SEL_RPORT: rows for
# the flows of SIDE's checks (from ADDR) that got no answer.
ice_unanswered_rows() {
    local key=$1 side=$2 me=$3 what=$4 relay_v=$5 hole_v=$6 lt=$7 ra=$8 rp=$9
    ME4=$me ME6=$(v6_of "$me")
    local line src sport dst dport v why ports
    # Every base port of the school peer's host candidates (srflx share them).
    ports=$(jq -r '.local_candidates[] | select(.type == "host") | .port' "$LAB_WORK/$key.$side.json" | sort -u)
    while read -r src sport dst dport; do
        [[ -n $src ]] || continue
        # The selected pair itself (a direct one: a relayed pair reaches the remote through
        # the TURN server, so direct checks to the same remote address are still listed).
        [[ $lt != relay && $dst == "$ra" && $dport == "$rp" ]] && continue
        case $dst in
        192.168.* | 10.* | fd* | fe80*)
            v=- why="check to the remote peer's private host candidate: no route reaches it, not a block" ;;
        "$SCHOOL_WAN4")
            v=- why="check to the school's own public address (a local peer's srflx candidate): no hairpin NAT, not a block" ;;
        "$TURN_EU" | "$TURN_US")
            v=$relay_v why="check to the remote peer's relayed candidate (TURN relay port $dport)" ;;
        *)
            v=$hole_v why="check to the remote peer's server-reflexive address" ;;
        esac
        [[ $v != - ]] && why+=", dropped by the school firewall"
        [[ $v == */relay/* ]] && ICE_DROPS[relay]=$((${ICE_DROPS[relay]:-0} + 1))
        [[ $v == */holepunch/* ]] && ICE_DROPS[holepunch]=$((${ICE_DROPS[holepunch]:-0} + 1))
        row udp "$src" "$sport" "$dst" "$dport" "$what: connectivity checks without answer" ice - - \
            "$v" "ice-unanswered>=1" "$why"
    done < <(for p in $ports; do unanswered_checks "$p"; done | sort -u)
}

# unanswered_checks PORT: "src sport dst dport" of UDP flows from the school peer's PORT
# (any of its addresses, IPv4 or IPv6: $ME4 $ME6) that carry STUN requests and got no STUN
# answer at all (read from the capture).
unanswered_checks() {
    tshark -r "$CAP" -n -o udp.try_heuristic_first:TRUE \
        -Y "stun && !icmp && !icmpv6 && udp.port==$1 && (ip.addr==$ME4 || ipv6.addr==$ME6)" \
        -T fields -e ip.src -e ipv6.src -e udp.srcport -e ip.dst -e ipv6.dst -e udp.dstport \
        -e stun.type.class -e stun.att.username 2>/dev/null |
        awk -F'\t' -v m4="$ME4" -v m6="$ME6" -v port="$1" '
            { s = $1 $2; d = $4 $5; sp = $3; dp = $6; c = $7
              mine = (s == m4 || s == m6) && sp == port
              if (mine) k = s " " sp " " d " " dp; else k = d " " dp " " s " " sp }
            # Connectivity checks only: requests with an ICE USERNAME (ufrag:ufrag), not the
            # peer'"'"'s own Binding/Allocate requests to the STUN/TURN server.
            c == "0x0000" && mine && $8 ~ /:/ { req[k]++ }
            c == "0x0010" || c == "0x0011" { ans[k]++ }   # tshark prints the class bits C1C0
            END { for (k in req) if (!(k in ans)) print k }' | sort
}

# v6_of ADDR4: the same LAN host's IPv6 address.
v6_of() {
    case $1 in
    "$CON4") echo "$CON6" ;; "$STU1_4") echo "$STU1_6" ;; "$STU2_4") echo "$STU2_6" ;; *) echo :: ;;
    esac
}
