#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_live.sh - `sensoscope capture` on a real interface: the loopback of a network namespace
# made by this test (so no traffic can leave it). Bounded traffic (20 UDP datagrams, one TCP
# connection to a closed port), then SIGTERM: the command must exit 0 and the database must
# hold a live capture with exactly those flows. Needs root (for the namespace); exits 77
# (skipped) without it.
set -u
bin=${1:?usage: test_live.sh SENSOSCOPE}
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
    echo "SKIP: needs root and iproute2 to make a network namespace"
    exit 77
fi
ns="ss-live-$$"
tmp=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
if ! ip netns add "$ns" 2>/dev/null || ! ip netns exec "$ns" true 2>/dev/null; then
    echo "SKIP: cannot create or enter a network namespace here (a chroot or container?):"
    echo "SKIP: the live capture test did not run"
    exit 77
fi
ip netns exec "$ns" ip link set lo up

# --immediate here; the daemon tests capture in blocks, the default.
ip netns exec "$ns" "$bin" capture -i lo --db "$tmp/live.db" --duration 30 --immediate \
    >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 50); do grep -q "capturing on lo" "$tmp/err" && break; sleep 0.1; done
ip netns exec "$ns" python3 - <<'PY'
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 45000))
for i in range(20):
    u.sendto(b"x" * 100, ("127.0.0.1", 7777))
t = socket.socket()
t.settimeout(2)
try:
    t.connect(("127.0.0.1", 7778))
except OSError:
    pass
PY
sleep 0.5
kill -TERM "$pid"
wait "$pid"
rc=$?
fail=0
if [ $rc != 0 ]; then echo "FAIL: capture exited $rc after SIGTERM"; cat "$tmp/err"; fail=1; fi
"$bin" report --db "$tmp/live.db" --format json >"$tmp/rep.json" || fail=1
python3 - "$tmp/rep.json" <<'PY' || fail=1
import json, sys
rep = json.load(open(sys.argv[1]))
(cap,) = rep["captures"]
assert cap["source"] == "lo" and cap["kind"] == "live", cap
assert cap["status"] == "complete", cap["status"]
assert cap["drops"] == 0, cap["drops"]
flows = {(f["proto"], f["src"], f["sport"], f["dst"], f["dport"]): f for f in rep["flows"]}
u = flows[("udp", "127.0.0.1", 45000, "127.0.0.1", 7777)]
# on loopback each datagram is captured once
assert u["pkts_out"] == 20 and u["bytes_out"] == 20 * 128, u
(t,) = [f for k, f in flows.items() if k[0] == "tcp" and k[4] == 7778]
assert t["state"] == "REJ", t
print("live capture: udp 20 datagrams, tcp REJ; status complete, 0 drops")
PY
if [ $fail = 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
