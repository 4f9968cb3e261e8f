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
}

# pj KEY SIDE JQ-FILTER: a value from one side's result file.
pj() { jq -r "$3" "$LAB_WORK/$1.$2.json"; }
