#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_tls.py - our TLS connections against tshark's ClientHellos (oracle/<name>.tls.tsv) for
every capture of the external corpus that has any.

Per capture:
  * the set of (src, sport, dst, dport, sni) of the ClientHellos: tshark prints one row per
    ClientHello (two for a stream with a HelloRetryRequest), we one object per connection with
    client_hellos >= 1, so both are compared as sets. Addresses are normalised with ipaddress.
    tshark's udp rows are QUIC Initials, compared like the others with our QUIC summaries; our
    DTLS summaries (udp too) have no tshark row here (tshark calls DTLS "dtls", not "tls") and
    are left out, counted in the detail;
  * where tshark shows the server's leaf certificate, our cert_subject names the same CN
    (tshark prints "id-at-commonName=x,id-at-organizationName=y", we RFC 2253 "CN=x,O=y").
Where tshark is wrong, the difference is listed in TSHARK_ERRORS with its reason and the check
asserts exactly that difference. Ends with "N passed, M failed"; exits 77 without the corpus.
"""
import argparse
import csv
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile

# capture -> ({"missing": {tuple, ...}, "extra": {tuple, ...}, "cn": {tuple: (theirs, ours)}},
#             reason). "missing": tshark's rows we do not have; "extra": ours tshark lacks;
# tuples are (src, sport, dst, dport, sni). None found so far: on these captures tshark's
# ClientHellos and leaf CNs are right wherever ours differ.
TSHARK_ERRORS = {}

# The same form for differences where tshark is right and we are not (yet). Asserted exactly,
# so that closing a gap makes the check fail until its entry is removed. TLS inside
# SOCKS5 (nDPI/tls_heur__trojan-tcp-tls.pcapng), after IRC STARTTLS
# (zeek/tls/irc-starttls.pcap) and QUIC draft-29 (nDPI/dlt_ppp.pcap) are followed since.
KNOWN_GAPS = {}


def norm_ip(s):
    return str(ipaddress.ip_address(s.strip()))


def tshark_cn(name):
    """The commonName of tshark's "id-at-commonName=x,id-at-organizationName=y" (values may
    contain commas), or None."""
    m = re.search(r"(?:^|,)id-at-commonName=(.*?)(?=,id-at-[A-Za-z]+=|,pkcs-9-at-|$)", name or "")
    return m.group(1) if m else None


def rfc2253_parts(name):
    """Splits an RFC 2253 name at unescaped ',' and '+' into unescaped (type, value) pairs."""
    parts, cur, i = [], "", 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name):
            cur += name[i:i + 2]  # kept escaped (a hex pair's second digit follows as is)
            i += 2
            continue
        if ch in ",+":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    parts.append(cur)
    out = []
    for p in parts:
        k, _, v = p.partition("=")
        raw, j = bytearray(), 0
        while j < len(v):
            if v[j] == "\\" and re.match(r"[0-9A-Fa-f]{2}", v[j + 1:j + 3]):
                raw += bytes.fromhex(v[j + 1:j + 3])
                j += 3
            elif v[j] == "\\" and j + 1 < len(v):
                raw += v[j + 1].encode()
                j += 2
            else:
                raw += v[j].encode()
                j += 1
        out.append((k.strip(), raw.decode("utf-8", "replace")))
    return out


def our_cn(name):
    for k, v in rfc2253_parts(name or ""):
        if k.upper() == "CN":
            return v
    return None


def is_dtls(t):
    """Our summary of a DTLS handshake (udp like QUIC, but a DTLS client version)."""
    return (t.get("transport") == "udp"
            and (t.get("client_version") or t.get("version_name") or "").startswith("dtls"))


def tuple_of(src, sport, dst, dport, sni):
    return (norm_ip(src), int(sport), norm_ip(dst), int(dport), sni or None)


def fmt(t):
    src, sport, dst, dport, sni = t
    a = f"[{src}]" if ":" in src else src
    b = f"[{dst}]" if ":" in dst else dst
    return f"{a}:{sport}->{b}:{dport} sni={sni}"


def check(args, rel, work):
    name = rel.replace("/", "__")
    orc = os.path.join(args.external, "oracle", name + ".tls.tsv")
    if not os.path.exists(orc):
        return None, "no oracle"
    rows = list(csv.DictReader(open(orc), delimiter="\t"))
    # Captures without TLS in tshark's view are analysed too: a ClientHello we report there
    # would be a false detection.
    db = os.path.join(work, name + ".db")
    p = subprocess.run([args.sensoscope, "analyze", "-q", "--no-ndpi", "--db", db,
                        os.path.join(args.external, rel)], capture_output=True, text=True)
    if p.returncode != 0:
        return False, f"analyze exited {p.returncode}: {p.stderr.strip()}"
    r = subprocess.run([args.sensoscope, "report", "--db", db, "--format", "json"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return False, f"report exited {r.returncode}: {r.stderr.strip()}"
    rep = json.loads(r.stdout)
    ours_all = [t for t in rep["tls"] if t.get("client_hellos", 0) > 0]
    dtls = [t for t in ours_all if is_dtls(t)]
    quic_rows = sum(1 for x in rows if x["transport"] == "udp")
    theirs = {tuple_of(x["src"], x["srcport"], x["dst"], x["dstport"], x["sni"]) for x in rows}
    ours = {}
    for t in ours_all:
        if is_dtls(t):
            continue
        ours.setdefault(tuple_of(t["src"], t["sport"], t["dst"], t["dport"], t["sni"]), t)

    if not rows and not ours:
        return None, "no TLS in tshark's view nor ours"
    expected, why = TSHARK_ERRORS.get(rel, ({}, ""))
    gap = rel in KNOWN_GAPS
    if gap:
        expected, why = KNOWN_GAPS[rel]
    problems = []
    missing = theirs - set(ours)
    extra = set(ours) - theirs
    if missing != set(expected.get("missing", set())):
        for t in sorted(missing - set(expected.get("missing", set()))):
            problems.append(f"tshark has, we lack: {fmt(t)}")
        for t in sorted(set(expected.get("missing", set())) - missing):
            problems.append(f"expected tshark-only row is now ours too: {fmt(t)}")
    if extra != set(expected.get("extra", set())):
        for t in sorted(extra - set(expected.get("extra", set()))):
            problems.append(f"we have, tshark lacks: {fmt(t)}")
        for t in sorted(set(expected.get("extra", set())) - extra):
            problems.append(f"expected extra row is gone: {fmt(t)}")

    certs = 0
    cn_diff = {}
    for x in rows:
        cn = tshark_cn(x["leaf_subject"])
        if cn is None:
            continue
        t = tuple_of(x["src"], x["srcport"], x["dst"], x["dstport"], x["sni"])
        o = ours.get(t)
        if o is None:
            continue  # reported above
        certs += 1
        mine = our_cn(o.get("cert_subject"))
        if mine != cn:
            cn_diff[t] = (cn, mine)
    exp_cn = expected.get("cn", {})
    for t, (cn, mine) in sorted(cn_diff.items()):
        if exp_cn.get(t) != (cn, mine):
            problems.append(f"leaf CN of {fmt(t)}: tshark {cn!r}, ours {mine!r} "
                            f"(cert_subject {ours[t].get('cert_subject')!r})")
    for t in sorted(set(exp_cn) - set(cn_diff)):
        problems.append(f"expected CN difference is gone: {fmt(t)}")

    detail = (f"{len(theirs)} ClientHello tuples, ours {len(ours)}, "
              f"{len(theirs & set(ours))} in common, {certs} leaf CNs compared")
    if quic_rows:
        detail += f", {quic_rows} of tshark's rows QUIC"
    if dtls:
        detail += f", {len(dtls)} DTLS summaries of ours not compared"
    if why:
        detail += f"; {'known gap of ours' if gap else 'tshark error'} asserted: {why[:70]}..."
    if problems:
        return False, detail + "\n    " + "\n    ".join(problems)
    return True, detail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensoscope", required=True)
    ap.add_argument("--external", required=True)
    ap.add_argument("--only", help="check only captures whose path contains this")
    args = ap.parse_args()
    if not os.path.isdir(args.external):
        print(f"SKIP: no external corpus at {args.external}")
        return 77
    rels = [r["path"] for r in csv.DictReader(open(os.path.join(args.external, "MANIFEST.tsv")),
                                              delimiter="\t")]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="ss-tls-") as work:
        for rel in rels:
            if args.only and args.only not in rel:
                continue
            ok, detail = check(args, rel, work)
            if ok is None:
                continue
            print(f"{'ok  ' if ok else 'FAIL'} {rel}: {detail}")
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
