#!/bin/bash
# SPDX-License-Identifier: MIT
# test_daemon_live.sh - `sensoscope capture` on a live interface fed with a lab capture:
#
#   1. A veth pair in a namespace made here; pcaps/demo.pcapng replayed with tcpreplay (at its
#      own speed) into one end while daemons capture on the other. The database then holds the
#      same sessions and verdicts as `sensoscope analyze` of the file, every packet, zero drops
#      (capture row and per-interval rows); the --evidence ring holds exactly the packets it
#      should (the first N of each flow of a profile rule, every packet of a flow with a
#      verdict); a second daemon whose evidence directory is a full 64 KiB tmpfs warns, stops
#      writing evidence and still stores everything.
#   2. A first capture replayed, a pause for its flows to expire, then a second one during
#      which one daemon gets SIGTERM and another SIGKILL. Both databases pass
#      PRAGMA integrity_check and hold every flow of the first capture (expired before the
#      signal); the killed one's capture row was committed within the commit interval.
#
# Needs root, network namespaces and tcpreplay: exits 77 (skipped) loudly otherwise.
# Usage: test_daemon_live.sh SENSOSCOPE PCAPS_DIR
set -u
bin=$(readlink -f "$1")
pcaps=$(readlink -f "$2")
ns=sslive$$
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    mountpoint -q "$tmp/full" 2>/dev/null && umount "$tmp/full"
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if [ "$(id -u)" != 0 ] || ! command -v tcpreplay >/dev/null ||
    ! ip netns add "$ns" 2>/dev/null || ! ip netns exec "$ns" true 2>/dev/null; then
    echo "SKIP: test_daemon_live.sh needs root, network namespaces and tcpreplay" >&2
    echo "SKIP: the live capture test did not run"
    exit 77
fi
. "$(dirname "$0")/lib_live.sh"
replay_pair "$ns" || { echo "FAIL: cannot make the veth pair"; exit 1; }

q() { sqlite3 "$1" "$2"; }
integrity() { [ "$(q "$1" 'PRAGMA integrity_check')" = ok ]; }
# start NAME ARGS...: a daemon on cap0 into $tmp/NAME.db, stderr in $tmp/NAME.err; sets $pid.
start() {
    local name=$1
    shift
    # ip execs the command: $! is the daemon itself (a function would add a subshell).
    ip netns exec "$ns" "$bin" capture -i cap0 --db "$tmp/$name.db" "$@" 2>"$tmp/$name.err" &
    pid=$!
    pids+=("$pid")
    if ! wait_for 10 grep -q "capturing on cap0" "$tmp/$name.err"; then
        echo "FAIL: capture $name did not start: $(cat "$tmp/$name.err")"
        exit 1
    fi
}
# stop PID SIGNAL NAME: signals it, waits at most 20 s; its exit status in $rc.
stop() {
    kill -"$2" "$1"
    wait_for 20 eval "! kill -0 $1 2>/dev/null" || bad "$3: still running 20 s after SIG$2"
    wait "$1"
    rc=$?
}
# replay FILE: every packet sent (tcpreplay counts what the interface refused as failed).
replay() {
    ip netns exec "$ns" tcpreplay -i rep0 "$1" >"$tmp/replay.out" 2>&1 &&
        grep -q "Failed packets:[[:space:]]*0$" "$tmp/replay.out"
}

demo=$pcaps/demo.pcapng
npk=$(capinfos -M -c -T "$demo" | awk -F'\t' 'NR==2 {print $2}')

# --- 1. same sessions and verdicts as offline; zero drops; evidence --------------------
N=4
mkdir "$tmp/ev" "$tmp/full"
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$tmp/full"
start live --commit-interval 1 --analysis-interval 2 --evidence "$tmp/ev" --evidence-packets $N
pid_live=$pid
start full --commit-interval 1 --evidence "$tmp/full" --evidence-packets 100000
pid_full=$pid
replay "$demo" || bad "tcpreplay failed: $(cat "$tmp/replay.out")"
sleep 1
stop $pid_live TERM live
rc_live=$rc
stop $pid_full TERM full
rc_full=$rc
[ "$rc_live" = 0 ] || bad "live: exit $rc_live: $(cat "$tmp/live.err")"
[ "$rc_full" = 0 ] || bad "full: exit $rc_full: $(cat "$tmp/full.err")"
"$bin" analyze -q --db "$tmp/off.db" "$demo" 2>"$tmp/off.err" || bad "analyze: $(cat "$tmp/off.err")"

L=$tmp/live.db
integrity "$L" || bad "live.db fails integrity_check"
got=$(q "$L" "SELECT packets || ' ' || drops || ' ' || status FROM captures")
[ "$got" = "$npk 0 complete" ] || bad "live capture row '$got', expected '$npk 0 complete'"
got=$(q "$L" "SELECT count(*) || ' ' || sum(packets) || ' ' || sum(dropped_kernel) || ' ' ||
              sum(dropped_iface) || ' ' || count(received) FROM capture_stats")
set -- $got
[ "$1" -ge 15 ] || bad "only $1 interval rows in capture_stats for a ~19 s capture"
[ "$2 $3 $4" = "$npk 0 0" ] || bad "capture_stats: packets/drops '$2 $3 $4', expected '$npk 0 0'"
[ "$5" = "$1" ] || bad "capture_stats: pcap_stats missing in $(($1 - $5)) rows"
echo "live: $npk packets, 0 drops, $1 interval rows"

# Sessions and verdicts: everything but times and ids.
sessions='SELECT kind, method, submethod, transport, proto, sel_local, sel_remote, client, peer, server, bytes, explanation
          FROM sessions ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12'
verdicts='SELECT code, kind, confidence, rule, proto, src, sport, dst, dport, host FROM verdicts
          ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9'
flows='SELECT proto, src, sport, dst, dport, pkts_out, pkts_in, rule FROM flows ORDER BY 1, 2, 3, 4, 5'
# Durations in explanations ("over 0.8 s") are rounded: replay jitter may cross a boundary.
for what in sessions verdicts flows; do
    q "$L" "${!what}" | sed -E 's/[0-9]+(\.[0-9]+)? s\b/N s/g' >"$tmp/live.$what"
    q "$tmp/off.db" "${!what}" | sed -E 's/[0-9]+(\.[0-9]+)? s\b/N s/g' >"$tmp/off.$what"
    if ! cmp -s "$tmp/live.$what" "$tmp/off.$what"; then
        bad "$what differ between live and offline:"
        diff "$tmp/off.$what" "$tmp/live.$what" | head -20
    fi
done
ns_=$(wc -l <"$tmp/live.sessions")
nv=$(wc -l <"$tmp/live.verdicts")
nf=$(wc -l <"$tmp/live.flows")
[ "$ns_" -ge 5 ] && [ "$nv" -ge 5 ] || bad "too little to compare: $ns_ sessions, $nv verdicts"
echo "live = offline: $nf flows, $ns_ sessions, $nv verdicts"

# Evidence: per flow of a rule, every packet (and ICMP error quoting it) if it has a verdict,
# else the first N; nothing of any other flow.
want=$(q "$L" "SELECT coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM verdicts v
                 WHERE v.capture_id = f.capture_id AND v.flow_seq = f.flow_seq)
               THEN n ELSE min(n, $N) END), 0)
        FROM (SELECT *, pkts_out + pkts_in + icmp_errors AS n FROM flows) f
        WHERE rule IS NOT NULL")
have=0
for f in "$tmp"/ev/evidence-*.pcap; do
    [ -e "$f" ] || continue
    c=$(capinfos -M -c -T "$f" | awk -F'\t' 'NR==2 {print $2}')
    have=$((have + c))
done
[ "$want" -gt 0 ] && [ "$have" = "$want" ] || bad "evidence holds $have packets, expected $want"
grep -q "evidence: $want packets of" "$tmp/live.err" || bad "no evidence summary: $(cat "$tmp/live.err")"
# Each verdict's flow complete: a TCP/UDP verdict flow's packets, both ways, by 5-tuple.
q "$L" "SELECT v.proto, v.src, v.sport, v.dst, v.dport, f.pkts_out + f.pkts_in FROM verdicts v
        JOIN flows f ON f.capture_id = v.capture_id AND f.flow_seq = v.flow_seq
        WHERE v.proto IN ('tcp', 'udp') AND f.icmp_errors = 0" >"$tmp/vflows"
mergecap -F pcap -w "$tmp/ev.pcap" "$tmp"/ev/evidence-*.pcap
while IFS='|' read -r proto src sport dst dport n; do
    ip=ip
    case $src in *:*) ip=ipv6 ;; esac
    filter="$proto && (($ip.src == $src && $proto.srcport == $sport && $ip.dst == $dst && $proto.dstport == $dport) || ($ip.src == $dst && $proto.srcport == $dport && $ip.dst == $src && $proto.dstport == $sport)) && !icmp && !icmpv6"
    c=$(tshark -r "$tmp/ev.pcap" -Y "$filter" 2>/dev/null | wc -l)
    [ "$c" = "$n" ] || bad "evidence of the verdict flow $proto $src:$sport > $dst:$dport: $c packets, expected $n"
done <"$tmp/vflows"
echo "evidence: $have packets ($(wc -l <"$tmp/vflows") verdict flows checked packet by packet)"

# The full evidence disk: warned, stopped, nothing else lost.
grep -q "the evidence ring stopped writing: writing .*No space left on device" "$tmp/full.err" ||
    bad "no clear warning for the full evidence disk: $(cat "$tmp/full.err")"
got=$(q "$tmp/full.db" "SELECT packets || ' ' || status FROM captures")
[ "$got" = "$npk complete" ] || bad "full-evidence daemon stored '$got', expected '$npk complete'"
q "$tmp/full.db" "$verdicts" | sed -E 's/[0-9]+(\.[0-9]+)? s\b/N s/g' >"$tmp/full.verdicts"
cmp -s "$tmp/full.verdicts" "$tmp/off.verdicts" || bad "full-evidence daemon's verdicts differ"
echo "full evidence disk: warned, capture complete"

# --- 2. SIGTERM and SIGKILL mid-run -------------------------------------------------------
first=$pcaps/inspection.pcapng
T=(--commit-interval 1 --tcp-timeout 2 --tcp-est-timeout 2 --udp-timeout 2 --other-timeout 2)
start term "${T[@]}"
pid_term=$pid
start kill "${T[@]}"
pid_kill=$pid
replay "$first" || bad "tcpreplay failed: $(cat "$tmp/replay.out")"
# Idle timeout 2 s, expiry checked every second, commit every second: 5 s is enough.
sleep 5
pause=$(date +%s.%N)
ip netns exec "$ns" tcpreplay -q -i rep0 "$demo" >/dev/null 2>&1 &
rpid=$!
pids+=("$rpid")
sleep 3
killed_at=$(date +%s.%N)
kill -KILL $pid_kill
stop $pid_term TERM term
rc_term=$rc
wait $pid_kill 2>/dev/null
kill $rpid 2>/dev/null
wait $rpid 2>/dev/null
[ "$rc_term" = 0 ] || bad "SIGTERM: exit $rc_term: $(cat "$tmp/term.err")"
"$bin" analyze -q --db "$tmp/first.db" "${T[@]:2}" "$first" 2>"$tmp/first.err" ||
    bad "analyze: $(cat "$tmp/first.err")"
pre="SELECT proto, src, sport, dst, dport, pkts_out, pkts_in FROM flows"
q "$tmp/first.db" "$pre ORDER BY 1, 2, 3, 4, 5" >"$tmp/first.flows"
nfirst=$(wc -l <"$tmp/first.flows")
[ "$nfirst" -ge 5 ] || bad "the first capture has only $nfirst flows"
for name in term kill; do
    D=$tmp/$name.db
    integrity "$D" || bad "$name.db fails integrity_check after SIG${name^^}"
    q "$D" "$pre WHERE first < $pause ORDER BY 1, 2, 3, 4, 5" >"$tmp/$name.flows"
    cmp -s "$tmp/first.flows" "$tmp/$name.flows" || {
        bad "$name.db: the flows that expired before the signal differ from the first capture:"
        diff "$tmp/first.flows" "$tmp/$name.flows" | head -10
    }
done
[ "$(q "$tmp/term.db" "SELECT status FROM captures")" = complete ] || bad "SIGTERM: capture not complete"
[ "$(q "$tmp/kill.db" "SELECT status FROM captures")" = running ] ||
    bad "SIGKILL: capture row says $(q "$tmp/kill.db" "SELECT status FROM captures"), expected running"
# What SIGKILL lost is at most the commit interval (1 s), plus the replay's first second.
lag=$(q "$tmp/kill.db" "SELECT printf('%.1f', $killed_at - max(last, (SELECT max(at) FROM capture_stats))) FROM captures")
awk -v l="$lag" 'BEGIN { exit !(l <= 2.0) }' || bad "SIGKILL: last commit $lag s before the kill, more than the commit interval"
nterm=$(q "$tmp/term.db" "SELECT count(*) FROM flows WHERE first >= $pause")
[ "$nterm" -gt 0 ] || bad "SIGTERM stored none of the flows open at the signal"
echo "SIGTERM: exit 0, $nfirst expired flows kept, $nterm open flows stored; SIGKILL: intact, last commit $lag s before"

[ $fail = 0 ] && echo "PASS"
exit $fail
