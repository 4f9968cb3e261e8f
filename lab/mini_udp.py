#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""UDP helpers for lab/make-mini.sh (Python standard library only).

Every server answers at most --count requests and exits after --timeout seconds, so the
lab can never hang on it. Every client sends one request, waits at most --timeout seconds,
prints one line of key=value facts the lab records as ground truth, and exits 0 only if it
observed what was expected.

  stun-server --bind ADDR --port P        answer STUN Binding requests (XOR-MAPPED-ADDRESS)
  stun-client --server ADDR --port P      send one Binding request; expect a success response
              [--expect-refused]          ... or expect ICMP port unreachable (ECONNREFUSED)
  dns-server  --bind ADDR --port P --record NAME=TYPE=VALUE ...
  dns-query   --server ADDR --name NAME --type A|AAAA
"""
import argparse
import ipaddress
import os
import socket
import struct
import sys
import time

STUN_MAGIC = 0x2112A442
STUN_BINDING_REQUEST = 0x0001
STUN_BINDING_SUCCESS = 0x0101
STUN_XOR_MAPPED_ADDRESS = 0x0020
STUN_SOFTWARE = 0x8022


def family_of(addr):
    return socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET


def stun_attr(atype, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", atype, len(value)) + value + b"\0" * pad


def stun_message(mtype, txid, attrs=b""):
    return struct.pack("!HHI", mtype, len(attrs), STUN_MAGIC) + txid + attrs


def xor_mapped(addr, port, txid):
    ip = ipaddress.ip_address(addr)
    xport = port ^ (STUN_MAGIC >> 16)
    key = struct.pack("!I", STUN_MAGIC) + (txid if ip.version == 6 else b"")
    raw = bytes(a ^ b for a, b in zip(ip.packed, key))
    return struct.pack("!BBH", 0, 1 if ip.version == 4 else 2, xport) + raw


def parse_xor_mapped(value, txid):
    fam, xport = struct.unpack("!xBH", value[:4])
    key = struct.pack("!I", STUN_MAGIC) + (txid if fam == 2 else b"")
    raw = bytes(a ^ b for a, b in zip(value[4:], key))
    return str(ipaddress.ip_address(raw)), xport ^ (STUN_MAGIC >> 16)


def stun_server(args):
    s = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    s.bind((args.bind, args.port))
    deadline = time.monotonic() + args.timeout
    answered = 0
    while answered < args.count and time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            break
        if len(data) < 20:
            continue
        mtype, _, magic = struct.unpack("!HHI", data[:8])
        if mtype != STUN_BINDING_REQUEST or magic != STUN_MAGIC:
            continue
        txid = data[8:20]
        attrs = stun_attr(STUN_XOR_MAPPED_ADDRESS, xor_mapped(peer[0], peer[1], txid))
        attrs += stun_attr(STUN_SOFTWARE, b"sensoscope-lab")
        s.sendto(stun_message(STUN_BINDING_SUCCESS, txid, attrs), peer)
        answered += 1
    print(f"stun-server answered={answered}")
    return 0


def stun_client(args):
    s = socket.socket(family_of(args.server), socket.SOCK_DGRAM)
    s.connect((args.server, args.port))  # connected: ICMP errors surface as ECONNREFUSED
    local = s.getsockname()
    txid = os.urandom(12)
    s.send(stun_message(STUN_BINDING_REQUEST, txid, stun_attr(STUN_SOFTWARE, b"sensoscope-lab")))
    s.settimeout(args.timeout)
    facts = f"local={local[0]} lport={local[1]} txid={txid.hex()}"
    try:
        data = s.recv(2048)
    except ConnectionRefusedError:
        print(f"{facts} result=refused")
        return 0 if args.expect_refused else 1
    except socket.timeout:
        print(f"{facts} result=timeout")
        return 1
    if args.expect_refused:
        print(f"{facts} result=answered-unexpectedly")
        return 1
    mtype, mlen, magic = struct.unpack("!HHI", data[:8])
    if mtype != STUN_BINDING_SUCCESS or magic != STUN_MAGIC or data[8:20] != txid:
        print(f"{facts} result=bad-response")
        return 1
    mapped = None
    off = 20
    while off + 4 <= 20 + mlen:
        atype, alen = struct.unpack("!HH", data[off:off + 4])
        if atype == STUN_XOR_MAPPED_ADDRESS:
            mapped = parse_xor_mapped(data[off + 4:off + 4 + alen], txid)
        off += 4 + alen + (4 - alen % 4) % 4
    if mapped is None:
        print(f"{facts} result=no-mapped-address")
        return 1
    print(f"{facts} result=success mapped={mapped[0]}:{mapped[1]}")
    return 0


QTYPES = {"A": 1, "AAAA": 28}


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_read_name(msg, off):
    labels = []
    while True:
        n = msg[off]
        if n == 0:
            return ".".join(labels), off + 1
        if n & 0xC0:  # compression is never used in questions sent by dns-query
            raise ValueError("compressed name in question")
        labels.append(msg[off + 1:off + 1 + n].decode())
        off += 1 + n


def dns_server(args):
    records = {}
    for spec in args.record:
        name, rtype, value = spec.split("=")
        records.setdefault((name.lower(), QTYPES[rtype]), []).append(
            ipaddress.ip_address(value).packed)
    s = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    s.bind((args.bind, args.port))
    deadline = time.monotonic() + args.timeout
    answered = 0
    while answered < args.count and time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            msg, peer = s.recvfrom(2048)
        except socket.timeout:
            break
        try:
            qid, flags, qd = struct.unpack("!HHH", msg[:6])
            name, off = dns_read_name(msg, 12)
            qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
        except (ValueError, struct.error, IndexError):
            continue
        if flags & 0x8000 or qd != 1:
            continue
        question = msg[12:off + 4]
        answers = records.get((name.lower(), qtype), [])
        known = any(n == name.lower() for n, _ in records)
        rcode = 0 if known else 3  # NXDOMAIN for names the lab does not serve
        hdr = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
        body = b"".join(struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(a)) + a for a in answers)
        s.sendto(hdr + question + body, peer)
        answered += 1
    print(f"dns-server answered={answered}")
    return 0


def dns_query(args):
    s = socket.socket(family_of(args.server), socket.SOCK_DGRAM)
    s.connect((args.server, args.port))
    local = s.getsockname()
    qid = struct.unpack("!H", os.urandom(2))[0]
    qtype = QTYPES[args.type]
    s.send(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(args.name)
           + struct.pack("!HH", qtype, 1))
    s.settimeout(args.timeout)
    facts = f"local={local[0]} lport={local[1]} id={qid}"
    try:
        msg = s.recv(2048)
    except (socket.timeout, ConnectionRefusedError) as e:
        print(f"{facts} result={type(e).__name__}")
        return 1
    rid, flags, _, an = struct.unpack("!HHHH", msg[:8])
    if rid != qid:
        print(f"{facts} result=id-mismatch")
        return 1
    _, off = dns_read_name(msg, 12)
    off += 4
    answers = []
    for _ in range(an):
        _, rtype, _, _, rdlen = struct.unpack("!HHHIH", msg[off:off + 12])
        rdata = msg[off + 12:off + 12 + rdlen]
        if rtype == qtype:
            answers.append(str(ipaddress.ip_address(rdata)))
        off += 12 + rdlen
    rcode = flags & 0xF
    print(f"{facts} result=answer rcode={rcode} answers={','.join(answers) or '-'}")
    return 0 if rcode == 0 and answers else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("stun-server", "dns-server"):
        sp = sub.add_parser(name)
        sp.add_argument("--bind", required=True)
        sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--count", type=int, default=10, help="exit after this many answers")
        sp.add_argument("--timeout", type=float, default=30, help="exit after this many seconds")
        if name == "dns-server":
            sp.add_argument("--record", action="append", default=[], help="NAME=A|AAAA=ADDR")
    sp = sub.add_parser("stun-client")
    sp.add_argument("--server", required=True)
    sp.add_argument("--port", type=int, default=3478)
    sp.add_argument("--timeout", type=float, default=2)
    sp.add_argument("--expect-refused", action="store_true")
    sp = sub.add_parser("dns-query")
    sp.add_argument("--server", required=True)
    sp.add_argument("--port", type=int, default=53)
    sp.add_argument("--name", required=True)
    sp.add_argument("--type", choices=sorted(QTYPES), default="A")
    sp.add_argument("--timeout", type=float, default=2)
    args = p.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    return {"stun-server": stun_server, "stun-client": stun_client,
            "dns-server": dns_server, "dns-query": dns_query}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
