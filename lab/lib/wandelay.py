#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wandelay.py - a delaying Ethernet bridge between two interfaces (the lab's WAN link).

    wandelay.py IF_A IF_B --delay-ms 10 [--seconds 600]

Every frame that arrives on one interface leaves on the other DELAY milliseconds later, in
order; nothing is changed, dropped or reordered. It stands in for `tc qdisc ... netem delay`
on kernels without netem: the lab's internet is one namespace away, and without it every
round trip is tens of microseconds, which no real school sees and which makes the timing
heuristics (rtt_anomaly) meaningless. Python standard library only (AF_PACKET sockets);
the interfaces must be up and in promiscuous mode (the lab script does that). Exits after
--seconds at the latest, or on SIGTERM.
"""
import argparse
import heapq
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("if_a")
    ap.add_argument("if_b")
    ap.add_argument("--delay-ms", type=float, default=10.0)
    ap.add_argument("--seconds", type=float, default=600.0)
    a = ap.parse_args()
    delay = a.delay_ms / 1000.0
    socks = {}
    for name in (a.if_a, a.if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.setblocking(False)
        socks[name] = s
    other = {socks[a.if_a]: socks[a.if_b], socks[a.if_b]: socks[a.if_a]}
    stop = time.monotonic() + a.seconds
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    queue = []  # (due, seq, out_sock, frame)
    seq = 0
    forwarded = 0
    print(f"wandelay: {a.if_a} <-> {a.if_b}, {a.delay_ms} ms each way", flush=True)
    while time.monotonic() < stop:
        now = time.monotonic()
        timeout = max(0.0, min(queue[0][0] - now, 0.2)) if queue else 0.2
        ready, _, _ = select.select(list(other), [], [], timeout)
        now = time.monotonic()
        for s in ready:
            for _ in range(256):  # bounded per wake-up
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own transmission, seen again by the raw socket
                heapq.heappush(queue, (now + delay, seq, other[s], frame))
                seq += 1
        while queue and queue[0][0] <= time.monotonic():
            _, _, out, frame = heapq.heappop(queue)
            try:
                out.send(frame)
                forwarded += 1
            except OSError as e:  # e.g. a frame larger than the MTU: report, keep going
                print(f"wandelay: send failed: {e}", file=sys.stderr, flush=True)
    print(f"wandelay: {forwarded} frames forwarded", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
