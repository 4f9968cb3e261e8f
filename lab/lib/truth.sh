# SPDX-License-Identifier: MIT
#
# truth.sh — how a scenario runs its clients and writes down what they observed.
#
# Clients run through `run`, which keeps each one's exit code and output as facts. Client
# source ports are pinned (curl --local-port, socat bind=) so a truth row's 5-tuple comes
# from what the lab did, not from reading the capture. The rows and checklist lines are
# written by truth_write; tests/integration/check_lab_truth.py checks every row's evidence
# tokens against the capture with tshark. The file format is in lab/README.md.

declare -A FACT
TRUTH_ROWS=()
TRUTH_CHECKLIST=()
LAB_NEXT_PORT=${LAB_NEXT_PORT:-41001}

# next_port VAR: a fresh client port for a pinned-source connection.
next_port() {
    printf -v "$1" '%s' "$LAB_NEXT_PORT"
    LAB_NEXT_PORT=$((LAB_NEXT_PORT + 1))
}

# run KEY NS SECONDS CMD...: run a bounded client; FACT[KEY.rc], FACT[KEY.out] keep the result.
run() {
    local key=$1 ns=$2 secs=$3 rc=0 out
    shift 3
    out=$(in_ns "$ns" timeout "$secs" "$@" 2>"$LAB_WORK/$key.err") || rc=$?
    FACT[$key.rc]=$rc
    FACT[$key.out]=$out
    log "$key: exit $rc ${out:+($out)} $(head -c 300 "$LAB_WORK/$key.err" | tr '\n' ' ')"
}

# fact KEY FIELD: the value of FIELD=... in a client's one-line key=value output.
fact() { tr ' ' '\n' <<<"${FACT[$1.out]}" | sed -n "s/^$2=//p" | head -1; }

# expect_rc KEY RC WHY: the lab failed to do what the scenario says unless the exit code is RC.
expect_rc() {
    [[ ${FACT[$1.rc]} == "$2" ]] ||
        die "$1: exit ${FACT[$1.rc]}, expected $2 ($3): $(head -c 500 "$LAB_WORK/$1.err")"
}

# dnsq KEY NS NAME TYPE [SERVER]: one DNS query; facts lport, rcode, answers.
dnsq() {
    local key=$1 ns=$2 name=$3 type=$4 server=${5:-$GW_LAN4}
    run "$key" "$ns" 5 python3 "$LAB_DIR/mini_udp.py" dns-query --server "$server" \
        --name "$name" --type "$type"
}

# https KEY NS NAME ADDR [CURL-OPTION...]: HTTPS GET from a pinned source port; facts code,
# lport, verify (curl's ssl_verify_result), and FACT[KEY.port].
https() {
    local key=$1 ns=$2 name=$3 addr=$4 port
    shift 4
    next_port port
    FACT[$key.port]=$port
    [[ $addr == *:* ]] && addr="[$addr]"
    run "$key" "$ns" 12 curl -sS -o /dev/null --max-time 8 --cacert "$LAB_CERTS/ca.pem" \
        --local-port "$port" --resolve "$name:443:$addr" \
        -w 'code=%{http_code} lport=%{local_port} verify=%{ssl_verify_result}' \
        "$@" "https://$name/"
}

# row PROTO SRC SPORT DST DPORT WHAT KIND METHOD SUBMETHOD VERDICTS EVIDENCE REASON
row() {
    (($# == 12)) || die "row: $# fields, expected 12: $*"
    local f
    for f in "$@"; do
        [[ $f != *$'\t'* && $f != *$'\n'* && -n $f ]] || die "row: empty field or tab/newline in '$f'"
    done
    TRUTH_ROWS+=("$(printf '%s\t' "$@" | sed 's/\t$//')")
}

# checklist RULE STATUS WHY
checklist() {
    case $2 in ok | blocked | inspected | not_seen) ;; *) die "checklist: bad status $2" ;; esac
    TRUTH_CHECKLIST+=("$(printf '#checklist\t%s\t%s\t%s' "$1" "$2" "$3")")
}

# truth_write OUT.tsv PCAP NAME TITLE
truth_write() {
    local out=$1 cap=$2 name=$3 title=$4 n size
    n=$(tshark -r "$cap" -n 2>/dev/null | wc -l)
    size=$(stat -c %s "$cap")
    {
        echo "# sensoscope lab ground truth: $name — $title"
        echo "# written by lab/run-scenario.sh $name from what the lab did and observed (client"
        echo "# exit codes and answers, werift's selected pair, coturn's log, firewall counters)."
        echo "# capture: $name.pcapng, $n packets, $size bytes, sha256 $(sha256sum "$cap" | cut -d' ' -f1)"
        echo "# format: lab/README.md (\"Truth files\"); src/sport is the flow's initiator."
        printf '#checklist\trule\tstatus\twhy\n'
        printf '%s\n' "${TRUTH_CHECKLIST[@]}"
        printf 'proto\tsrc\tsport\tdst\tdport\twhat\tkind\tmethod\tsubmethod\tverdicts\tevidence\treason\n'
        printf '%s\n' "${TRUTH_ROWS[@]}"
    } >"$out"
}
