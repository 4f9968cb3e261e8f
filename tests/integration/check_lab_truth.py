#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check every row of a lab truth file against its capture, with tshark as the oracle.

    check_lab_truth.py CAPTURE.pcapng TRUTH.tsv      one capture
    check_lab_truth.py --dir pcaps                   every *.truth.tsv with a capture beside it

A truth row (lab/README.md, "Truth files") names a flow and lists evidence tokens in its
`evidence` column; each token is a claim about the packets of that flow that must hold in
the capture: `syn-only>=2` says the initiator sent at least two SYNs and nothing came back,
`chandata>=10` that the flow carries at least ten TURN ChannelData messages, and so on.
The tokens are independent of sensoscope: this test reads the capture only with tshark
(and openssl for certificates), so a wrong truth row fails here before it can mislead the
session and verdict tests that compare sensoscope with the truth.

Also checked: the header lines, a checklist line for every rule of the default profile,
field formats (proto, ports, method/submethod, verdict codes and confidences).

Exit status: 0 all rows hold, 1 a row does not hold (each failure printed), 2 usage/tool error.
"""
import argparse
import glob
import ipaddress
import os
import re
import subprocess
import sys

RULES = ["cloud", "signalr", "blob-general", "blob-modules", "blob-logs", "sturn-eu",
         "sturn-us", "relay", "holepunch", "broadcast"]
KINDS = {"-", "ice", "turn", "broadcast", "direct"}
SUBMETHODS = {"-", "host", "srflx", "relay-udp", "relay-tcp", "relay-tls"}
CODES = {"tcp_no_answer", "tcp_reset_on_connect", "tcp_reset_after_hello", "icmp_unreachable",
         "udp_no_answer", "tls_alert", "proxy_denied", "proxy_auth_required", "dns_failure",
         "turn_error", "untrusted_issuer", "inspection_issuer", "name_mismatch",
         "explicit_proxy", "ttl_anomaly", "rtt_anomaly"}
COLUMNS = ["proto", "src", "sport", "dst", "dport", "what", "kind", "method", "submethod",
           "verdicts", "evidence", "reason"]

# tshark fields, one line per frame; multi-valued fields joined by ','.
FIELDS = [
    "frame.number", "frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "ip.ttl", "ipv6.hlim",
    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
    "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.len", "udp.length",
    "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
    "tls.handshake.type", "tls.handshake.extensions_server_name",
    "tls.handshake.extensions.supported_version", "tls.handshake.version",
    "tls.record.content_type", "tls.handshake.certificate",
    "dns.flags.response", "dns.qry.name", "dns.flags.rcode", "dns.a", "dns.aaaa", "dns.cname",
    "dns.resp.name",
    "stun.type", "stun.id", "stun.channel", "stun.att.type", "stun.att.username",
    "dtls.record.content_type", "http.response.code", "http.request.method", "http.request.uri",
]
IDX = {f: i for i, f in enumerate(FIELDS)}
STUN_METHODS = {"binding": 0x001, "allocate": 0x003, "refresh": 0x004, "send": 0x006,
                "data": 0x007, "createpermission": 0x008, "channelbind": 0x009}
STUN_CLASSES = {"request": 0, "indication": 1, "success": 2, "error": 3}


class Packet:
    """One frame: outer addresses, the first transport header, and the app fields."""

    def __init__(self, cols):
        self.c = cols
        self.icmp = bool(cols[IDX["icmp.type"]] or cols[IDX["icmpv6.type"]])
        self.src, self.dst = self.addrs(0)
        self.tcp = bool(cols[IDX["tcp.srcport"]])
        self.udp = bool(cols[IDX["udp.srcport"]])
        self.proto = "tcp" if self.tcp else "udp" if self.udp else None
        pre = "tcp" if self.tcp else "udp"
        self.sport = first_int(cols[IDX[pre + ".srcport"]])
        self.dport = first_int(cols[IDX[pre + ".dstport"]])

    def addrs(self, n):
        """The n-th (0 = outer, 1 = quoted in an ICMP error) source and destination."""
        for fam in ("ip", "ipv6"):
            s = self.c[IDX[fam + ".src"]].split(",")
            d = self.c[IDX[fam + ".dst"]].split(",")
            if len(s) > n and s[n]:
                return norm(s[n]), norm(d[n])
        return None, None

    def f(self, name):
        v = self.c[IDX[name]]
        return v.split(",") if v else []

    def has(self, name, value=None):
        vals = self.f(name)
        return bool(vals) if value is None else value in vals


def first_int(s):
    s = s.split(",")[0] if s else ""
    return int(s, 0) if s else None


def norm(a):
    return str(ipaddress.ip_address(a))


def run_tshark(cap):
    cmd = ["tshark", "-n", "-r", cap, "-o", "udp.try_heuristic_first:TRUE",
           "-o", "tcp.try_heuristic_first:TRUE",
           "--disable-heuristic", "classicstun_udp", "--disable-heuristic", "classicstun_tcp",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"check_lab_truth: tshark failed on {cap}: {out.stderr.strip()}")
    pkts = []
    for line in out.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        pkts.append(Packet(cols))
    return pkts


class Flow:
    """The packets of one truth row's 5-tuple, split by direction; ICMP errors quoting it."""

    def __init__(self, pkts, proto, src, sport, dst, dport):
        self.out, self.back, self.icmp = [], [], []
        for p in pkts:
            if p.icmp:
                qs, qd = p.addrs(1)
                if p.proto == proto and (qs, p.sport, qd, p.dport) == (src, sport, dst, dport):
                    self.icmp.append(p)
                continue
            if p.proto != proto:
                continue
            if (p.src, p.sport, p.dst, p.dport) == (src, sport, dst, dport):
                self.out.append(p)
            elif (p.src, p.sport, p.dst, p.dport) == (dst, dport, src, sport):
                self.back.append(p)
        self.all = sorted(self.out + self.back, key=lambda p: int(p.c[0]))


def is_syn(p):
    return p.has("tcp.flags.syn", "1") and not p.has("tcp.flags.ack", "1")


def is_synack(p):
    return p.has("tcp.flags.syn", "1") and p.has("tcp.flags.ack", "1")


def payload(p):
    if p.tcp:
        return (first_int(p.c[IDX["tcp.len"]]) or 0) > 0
    return True


def stun_msgs(p):
    """(method, class, txid, attr types) of each STUN message in the frame."""
    out = []
    for t, i in zip(p.f("stun.type"), p.f("stun.id")):
        t = int(t, 0)  # RFC 8489 section 5: class bits C1 (0x100) and C0 (0x010)
        method = (t & 0x000F) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0F80)
        out.append((method, ((t >> 7) & 2) | ((t >> 4) & 1), i))
    return out


def cert_issuer(hexcert):
    der = bytes.fromhex(hexcert.replace(":", ""))
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-issuer",
                          "-nameopt", "RFC2253"], input=der, capture_output=True, check=False)
    return out.stdout.decode(errors="replace").strip()


def count_cmp(token, name):
    m = re.fullmatch(re.escape(name) + r">=(\d+)", token)
    return int(m.group(1)) if m else None


def check_token(tok, fl):
    """None if the token holds for the flow, else a reason."""
    syn_out = [p for p in fl.out if is_syn(p)]
    hello = [p for p in fl.out if p.has("tls.handshake.type", "1")]
    shello = [p for p in fl.back if p.has("tls.handshake.type", "2")]
    n = count_cmp(tok, "syn-only")
    if n is not None:
        if len(syn_out) < n or fl.back:
            return f"{len(syn_out)} SYN out, {len(fl.back)} packets back"
        return None
    if tok == "handshake":
        return None if syn_out and any(is_synack(p) for p in fl.back) else "no SYN/SYN-ACK"
    if tok == "rst-on-syn":
        ok = syn_out and any(p.has("tcp.flags.reset", "1") for p in fl.back) and \
            not any(is_synack(p) for p in fl.back)
        return None if ok else "no SYN answered by RST without SYN-ACK"
    if tok == "rst-after-hello":
        if not hello:
            return "no ClientHello"
        t0 = int(hello[0].c[0])
        rst = [p for p in fl.back if p.has("tcp.flags.reset", "1") and int(p.c[0]) > t0]
        return None if rst and not shello else f"{len(rst)} RST after hello, {len(shello)} ServerHello"
    if tok == "data-both":
        return None if any(map(payload, fl.out)) and any(map(payload, fl.back)) else \
            "payload missing in a direction"
    if tok == "fin-both":
        return None if any(p.has("tcp.flags.fin", "1") for p in fl.out) and \
            any(p.has("tcp.flags.fin", "1") for p in fl.back) else "no FIN both ways"
    if tok.startswith("sni="):
        name = tok[4:]
        return None if any(p.has("tls.handshake.extensions_server_name", name) for p in hello) \
            else f"no ClientHello with SNI {name} (have {[p.f('tls.handshake.extensions_server_name') for p in hello]})"
    if tok.startswith("tls="):
        want = {"1.2": "0x0303", "1.3": "0x0304"}[tok[4:]]
        for p in shello:
            sel = p.f("tls.handshake.extensions.supported_version")
            got = sel[-1] if sel else p.f("tls.handshake.version")[0]
            return None if int(got, 0) == int(want, 0) else f"ServerHello selects {got}"
        return "no ServerHello"
    if tok.startswith("issuer~"):
        want = tok[len("issuer~"):]
        certs = [p.f("tls.handshake.certificate")[0] for p in fl.back
                 if p.f("tls.handshake.certificate")]
        if not certs:
            return "no certificate in clear"
        iss = cert_issuer(certs[0])
        return None if want in iss else f"leaf issuer is {iss}"
    if tok.startswith("icmp="):
        t, c = tok[5:].split("/")
        for p in fl.icmp:
            ty = p.f("icmp.type") or p.f("icmpv6.type")
            co = p.f("icmp.code") or p.f("icmpv6.code")
            if ty and ty[0] == t and co and co[0] == c:
                return None
        return f"no ICMP {t}/{c} quoting the flow ({len(fl.icmp)} ICMP errors)"
    if tok.startswith("dns="):
        parts = tok[4:].split("/")
        qname, rcode = parts[0], parts[1]
        for p in fl.back:
            if p.has("dns.flags.response", "1") and p.has("dns.qry.name", qname) and \
                    p.f("dns.flags.rcode")[:1] == [rcode]:
                if len(parts) < 3 or parts[2] in p.f("dns.a") + p.f("dns.aaaa"):
                    return None
        return f"no DNS response for {qname} with rcode {rcode}" + \
            (f" and answer {parts[2]}" if len(parts) > 2 else "")
    if tok.startswith("cname="):
        alias, target = tok[6:].split("/")
        for p in fl.back:
            if target in p.f("dns.cname") and alias in p.f("dns.resp.name"):
                return None
        return f"no CNAME {alias} -> {target}"
    m = re.fullmatch(r"stun=([a-z]+)/([a-z]+)>=(\d+)", tok)
    if m:
        meth, cls, n = STUN_METHODS[m.group(1)], STUN_CLASSES[m.group(2)], int(m.group(3))
        got = sum(1 for p in fl.all for (mm, cc, _) in stun_msgs(p) if mm == meth and cc == cls)
        return None if got >= n else f"{got} {m.group(1)} {m.group(2)}"
    n = count_cmp(tok, "ice-unanswered")
    if n is not None:
        req = sum(1 for p in fl.out for (_, cc, _) in stun_msgs(p)
                  if cc == 0 and ":" in ",".join(p.f("stun.att.username")))
        resp = sum(1 for p in fl.all for (_, cc, _) in stun_msgs(p) if cc in (2, 3))
        return None if req >= n and resp == 0 else f"{req} requests, {resp} responses"
    if tok == "usecandidate-ok":
        nominated = {i for p in fl.all for (mm, cc, i) in stun_msgs(p)
                     if mm == 1 and cc == 0 and "0x0025" in p.f("stun.att.type")}
        ok = any(i in nominated for p in fl.all for (mm, cc, i) in stun_msgs(p)
                 if mm == 1 and cc == 2)
        return None if ok else f"{len(nominated)} USE-CANDIDATE requests, none answered"
    n = count_cmp(tok, "chandata")
    if n is not None:
        got = sum(1 for p in fl.all if p.f("stun.channel"))
        return None if got >= n else f"{got} ChannelData messages"
    if tok == "chandata-both":
        return None if any(p.f("stun.channel") for p in fl.out) and \
            any(p.f("stun.channel") for p in fl.back) else "ChannelData not in both directions"
    if tok == "dtls":
        return None if any(p.f("dtls.record.content_type") for p in fl.out) and \
            any(p.f("dtls.record.content_type") for p in fl.back) else "no DTLS both ways"
    n = count_cmp(tok, "appdata")
    if n is not None:
        a = sum(p.f("tls.record.content_type").count("23") for p in fl.out)
        b = sum(p.f("tls.record.content_type").count("23") for p in fl.back)
        return None if a >= n and b >= n else f"{a}/{b} application data records"
    n = count_cmp(tok, "udp-noanswer")
    if n is not None:
        return None if len(fl.out) >= n and not fl.back else \
            f"{len(fl.out)} datagrams out, {len(fl.back)} back"
    m = re.fullmatch(r"ttl=(\d+)", tok)
    if m:
        ttls = {(p.f("ip.ttl") or p.f("ipv6.hlim"))[0] for p in fl.back}
        return None if ttls == {m.group(1)} else f"TTLs from the server side: {sorted(ttls)}"
    n = count_cmp(tok, "rtt-split")
    if n is not None:
        t = lambda p: float(p.c[IDX["frame.time_epoch"]])
        synack = [p for p in fl.back if is_synack(p)]
        if not (syn_out and synack and hello and shello):
            return "needs SYN, SYN-ACK, ClientHello and ServerHello"
        tcp_rtt = t(synack[0]) - t(syn_out[-1])
        tls_rtt = t(shello[0]) - t(hello[0])
        ratio = tls_rtt / max(tcp_rtt, 1e-6)
        return None if ratio >= n else f"ClientHello->ServerHello {tls_rtt * 1e3:.2f} ms is only {ratio:.1f} x SYN->SYN-ACK {tcp_rtt * 1e3:.3f} ms"
    if tok.startswith("http="):
        want = tok[5:].split(",")
        got = [c for p in fl.back for c in p.f("http.response.code")]
        return None if got == want else f"HTTP responses {got}"
    if tok.startswith("connect="):
        ok = any(p.has("http.request.method", "CONNECT") and p.has("http.request.uri", tok[8:])
                 for p in fl.out)
        return None if ok else f"no CONNECT {tok[8:]}"
    return f"unknown evidence token '{tok}'"


def parse_truth(path):
    """(checklist dict, rows, header errors)."""
    errs, rows, checklist, header = [], [], {}, None
    with open(path, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if line.startswith("#checklist\t"):
                f = line.split("\t")
                if f[1] != "rule":
                    checklist[f[1]] = f[2]
                continue
            if line.startswith("#") or not line:
                continue
            f = line.split("\t")
            if header is None:
                header = f
                if f != COLUMNS:
                    errs.append(f"{path}:{ln}: header {f} != {COLUMNS}")
                continue
            if len(f) != len(COLUMNS):
                errs.append(f"{path}:{ln}: {len(f)} fields")
                continue
            rows.append((ln, dict(zip(COLUMNS, f))))
    if set(checklist) != set(RULES):
        errs.append(f"{path}: checklist rules {sorted(checklist)} != profile {sorted(RULES)}")
    for rule, status in checklist.items():
        if status not in ("ok", "blocked", "inspected", "not_seen"):
            errs.append(f"{path}: checklist {rule}: bad status {status}")
    return checklist, rows, errs


def check_row(ln, r, pkts):
    errs = []
    where = f"line {ln} ({r['proto']} {r['src']}:{r['sport']} -> {r['dst']}:{r['dport']}, {r['what']})"
    if r["kind"] not in KINDS or r["submethod"] not in SUBMETHODS or \
            r["method"] not in ("-", "1", "2", "3"):
        errs.append(f"{where}: bad kind/method/submethod")
    if r["verdicts"] != "-":
        for v in r["verdicts"].split(","):
            parts = v.split("/")
            if len(parts) != 3 or parts[0] not in CODES or parts[1] not in RULES + ["-"] or \
                    parts[2] not in ("confirmed", "suspected"):
                errs.append(f"{where}: bad verdict '{v}'")
    fl = Flow(pkts, r["proto"], norm(r["src"]), int(r["sport"]), norm(r["dst"]), int(r["dport"]))
    if not fl.out:
        return errs + [f"{where}: the initiator sent nothing on this 5-tuple"]
    if fl.back and int(fl.back[0].c[0]) < int(fl.out[0].c[0]):
        errs.append(f"{where}: the other side sent first (src/sport is not the initiator)")
    for tok in r["evidence"].split(";"):
        why = check_token(tok, fl)
        if why:
            errs.append(f"{where}: evidence '{tok}' does not hold: {why}")
    return errs


def check_one(cap, truth):
    _, rows, errs = parse_truth(truth)
    pkts = run_tshark(cap)
    for ln, r in rows:
        errs += check_row(ln, r, pkts)
    print(f"{os.path.basename(truth)}: {len(rows)} rows, {len(pkts)} packets, "
          f"{'OK' if not errs else f'{len(errs)} FAILED'}")
    for e in errs:
        print(f"  {e}")
    return not errs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("capture", nargs="?")
    ap.add_argument("truth", nargs="?")
    ap.add_argument("--dir", help="check every NAME.truth.tsv that has NAME.pcapng beside it")
    ap.add_argument("--min", type=int, default=1, help="with --dir: fail if fewer pairs exist")
    a = ap.parse_args()
    if a.dir:
        pairs = []
        for t in sorted(glob.glob(os.path.join(a.dir, "*.truth.tsv"))):
            cap = t[:-len(".truth.tsv")] + ".pcapng"
            with open(t, encoding="utf-8") as fh:
                if "#checklist" not in fh.read():
                    continue  # the older mini truth format has its own test
            if os.path.exists(cap):
                pairs.append((cap, t))
        if len(pairs) < a.min:
            print(f"check_lab_truth: {len(pairs)} lab captures in {a.dir}, expected >= {a.min}")
            return 1
    elif a.capture and a.truth:
        pairs = [(a.capture, a.truth)]
    else:
        ap.print_usage(sys.stderr)
        return 2
    ok = all([check_one(c, t) for c, t in pairs])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
