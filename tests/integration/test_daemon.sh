#!/bin/bash
# SPDX-License-Identifier: MIT
# test_daemon.sh - `sensoscope capture` as a daemon: --user drops root and every capability
# after the interface is open (checked in /proc), SIGHUP after a rename rotates the database
# (the old file complete and closed, a new one with a new capture row), SIGTERM flushes and
# exits 0; refusals (database directory writable by others as root, unknown user); the systemd
# unit passes `systemd-analyze verify`. Needs root and network namespaces: exits 77 (skipped)
# loudly otherwise. Usage: test_daemon.sh SENSOSCOPE UNIT_FILE
set -u
bin=$(readlink -f "$1")
unit=$2
ns=ssdaemon$$
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if [ "$(id -u)" != 0 ] || ! ip netns add "$ns" 2>/dev/null || ! ip netns exec "$ns" true 2>/dev/null; then
    echo "SKIP: test_daemon.sh needs root and network namespaces (ip netns add failed)" >&2
    echo "SKIP: the daemon test did not run"
    exit 77
fi
ip netns exec "$ns" ip link set lo up

. "$(dirname "$0")/lib_live.sh"
# send N: N UDP datagrams to port 9 on a fresh source port each batch, and one TCP attempt.
send() {
    ip netns exec "$ns" python3 - "$1" <<'PY'
import socket, sys
for i in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x" * 32, ("127.0.0.1", 9))
    s.close()
t = socket.socket()
t.settimeout(1)
try:
    t.connect(("127.0.0.1", 9))
except OSError:
    pass
t.close()
PY
}
integrity() { [ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ]; }
q() { sqlite3 "$1" "$2"; }

# --- 1. refusals -----------------------------------------------------------------------
shared=$(mktemp -d -p "$tmp")
chmod 1777 "$shared"
"$bin" capture -i lo --db "$shared/x.db" --duration 1 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || bad "root + --db in a 1777 directory exited $rc, expected 1"
grep -q "refusing to write the database as root" "$tmp/err" || bad "no clear refusal: $(cat "$tmp/err")"
[ -e "$shared/x.db" ] && bad "the refused database was created"
other=$(mktemp -d -p "$tmp")
chown nobody "$other"
chmod 755 "$other"
"$bin" capture -i lo --db "$other/x.db" --duration 1 >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] && grep -q "owned by another user" "$tmp/err" || bad "directory owned by nobody not refused: $(cat "$tmp/err")"
"$bin" capture -i lo --db "$tmp/u.db" --user no-such-user-ss >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 2 ] || bad "unknown user exited $rc, expected 2"
grep -q "no such user 'no-such-user-ss'" "$tmp/err" || bad "unknown user message: $(cat "$tmp/err")"
"$bin" capture -i lo --db "$tmp/u.db" --user root >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] || bad "--user root accepted"
echo "refusals: 1777 directory, nobody's directory, unknown user, root"

# --- 2. --user nobody, SIGHUP rotation, SIGTERM ----------------------------------------
dir=$tmp/state
chmod 711 "$tmp" # nobody must reach its own directory inside
mkdir "$dir"
chown nobody:nogroup "$dir"
chmod 700 "$dir"
ip netns exec "$ns" "$bin" capture -i lo --db "$dir/db" --user nobody --commit-interval 1 \
    --udp-timeout 2 --other-timeout 2 --tcp-timeout 2 2>"$tmp/cap.err" &
pid=$!
started() { [ -s "$dir/db" ] && grep -q "capturing on lo" "$tmp/cap.err"; }
if ! wait_for 10 started; then
    echo "FAIL: capture did not start: $(cat "$tmp/cap.err")"
    exit 1
fi
st=/proc/$pid/status
uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$st")
nobody=$(id -u nobody)
[ "$uid" = "$nobody $nobody $nobody $nobody" ] || bad "Uid line '$uid', expected nobody ($nobody)"
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
    v=$(awk -v f="$f:" '$1 == f {print $2}' "$st")
    [ "$v" = 0000000000000000 ] || bad "$f is $v, expected 0"
done
grep -q '^NoNewPrivs:[[:space:]]*1' "$st" || bad "NoNewPrivs not set"
[ "$(stat -c %U "$dir/db")" = nobody ] || bad "database owned by $(stat -c %U "$dir/db")"
send 10
sleep 1.5
mv "$dir/db" "$dir/db.1"
kill -HUP $pid
rotated() { [ -s "$dir/db" ] && grep -q "SIGHUP: capture" "$tmp/cap.err"; }
wait_for 10 rotated || bad "no new database after SIGHUP: $(cat "$tmp/cap.err")"
kill -0 $pid 2>/dev/null || bad "the capture died on SIGHUP"
[ -e "$dir/db-wal" ] && [ ! -s "$dir/db" ] && bad "stale -wal"
integrity "$dir/db.1" || bad "db.1 fails integrity_check"
[ "$(q "$dir/db.1" "SELECT status FROM captures")" = complete ] ||
    bad "db.1 capture status $(q "$dir/db.1" "SELECT status FROM captures")"
n1=$(q "$dir/db.1" "SELECT count(*) FROM flows WHERE proto = 'udp' AND dport = 9")
[ "$n1" = 10 ] || bad "db.1 holds $n1 UDP flows to port 9, expected 10"
[ -e "$dir/db.1-wal" ] && bad "db.1 has a -wal left: not closed"
send 5
sleep 1.5
kill -TERM $pid
rc=0
wait_for 10 eval '! kill -0 $pid 2>/dev/null' || bad "no exit within 10 s of SIGTERM"
wait $pid
rc=$?
pid=
[ $rc = 0 ] || bad "exit $rc after SIGTERM: $(cat "$tmp/cap.err")"
integrity "$dir/db" || bad "db fails integrity_check"
[ "$(q "$dir/db" "SELECT status FROM captures")" = complete ] || bad "db capture not complete"
n2=$(q "$dir/db" "SELECT count(*) FROM flows WHERE proto = 'udp' AND dport = 9")
[ "$n2" = 5 ] || bad "db holds $n2 UDP flows to port 9, expected 5"
[ "$(stat -c %U "$dir/db")" = nobody ] || bad "new database owned by $(stat -c %U "$dir/db")"
echo "daemon: nobody, no capabilities; rotation $n1 + $n2 flows; SIGTERM exit $rc"

# --- 3. the systemd unit ----------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
    cp "$bin" "$tmp/sensoscope"
    sed "s|/usr/local/bin/sensoscope|$tmp/sensoscope|g" "$unit" >"$tmp/sensoscope-capture@.service"
    # verify needs an instance; it cannot resolve the user nor run as PID 1: only its
    # complaints about the unit itself count.
    ln -s "sensoscope-capture@.service" "$tmp/sensoscope-capture@eth0.service"
    systemd-analyze verify --man=no "$tmp/sensoscope-capture@eth0.service" >"$tmp/verify" 2>&1
    vrc=$?
    grep -v -e 'Failed to connect to' -e 'System has not been booted with systemd' \
        -e 'Cannot find unit' "$tmp/verify" >"$tmp/verify.real"
    if [ $vrc != 0 ] || [ -s "$tmp/verify.real" ]; then
        bad "systemd-analyze verify (exit $vrc): $(cat "$tmp/verify")"
    else
        echo "systemd-analyze verify: clean"
    fi
else
    echo "WARNING: systemd-analyze not installed; the unit was not verified" >&2
fi

[ $fail = 0 ] && echo "PASS"
exit $fail
