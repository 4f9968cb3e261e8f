#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_dissectors.py - our STUN/TURN messages against tshark's (oracle/<name>.stun.tsv and
.channeldata.tsv) for every capture of the external corpus.

Per capture:
  * the number of STUN messages per (method, class), outer messages only (tshark does not
    dissect what TURN relays; ours have "inner": true), rows quoted in ICMP errors excluded
    (tshark's in_icmp_error=1: such a quote is evidence for the error, not a message);
  * every XOR-MAPPED, XOR-RELAYED and XOR-PEER address tshark shows appears in our output;
  * the number of ChannelData messages (tshark counts MS-TURN 0xFF10 frames as ChannelData;
    so do we, and the STUN inside them is ours as an inner message).
Where tshark is wrong, the difference is listed in TSHARK_ERRORS with its reason and the check
asserts exactly that difference. Ends with "N passed, M failed".
"""
import argparse
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile

METHODS = {"binding": 1, "allocate": 3, "refresh": 4, "send": 6, "data": 7,
           "createpermission": 8, "channelbind": 9, "goog-ping": 0x80}
CLASSES = {"request": 0, "indication": 1, "success": 2, "error": 3}

# capture -> {(method, class): tshark count minus ours, ...} with the reason.
TSHARK_ERRORS = {
    "arkime/stun.pcap": (
        {(1, 0): 1},
        "tshark's RFC 3489 heuristic (enabled for this capture) takes a Zoom payload for a "
        "classic Binding Request; its attribute 0x0101 is not an RFC 3489 attribute "
        "(RFC 3489 §11.2 defines 0x0001-0x000b), so it is not STUN"),
}


def split_type(hexstr):
    t = int(hexstr, 16)
    method = ((t & 0x3E00) >> 2) | ((t & 0x00E0) >> 1) | (t & 0x000F)
    cls = ((t & 0x0100) >> 7) | ((t & 0x0010) >> 4)
    return method, cls


def norm_ep(s):
    """'ip:port' or '[ip6]:port' or tshark's 'ip6:port' -> (ipaddress, port)."""
    import ipaddress
    s = s.strip()
    if s.startswith("["):
        host, _, port = s[1:].partition("]:")
    else:
        host, _, port = s.rpartition(":")
    return ipaddress.ip_address(host), int(port)


def ours_method(m):
    return METHODS[m] if isinstance(m, str) else int(m)


def check(args, rel, work):
    name = rel.replace("/", "__")
    orc = os.path.join(args.external, "oracle", name)
    rows = [r for r in csv.DictReader(open(orc + ".stun.tsv"), delimiter="\t")
            if r["in_icmp_error"] != "1"]
    cd_rows = list(csv.DictReader(open(orc + ".channeldata.tsv"), delimiter="\t"))
    if not rows and not cd_rows:
        return None, "no STUN in tshark's view"
    db = os.path.join(work, name + ".db")
    p = subprocess.run([args.sensoscope, "analyze", "-q", "--no-ndpi", "--db", db,
                        os.path.join(args.external, rel)], capture_output=True, text=True)
    if p.returncode != 0:
        return False, f"analyze exited {p.returncode}: {p.stderr.strip()}"
    r = subprocess.run([args.sensoscope, "report", "--db", db, "--format", "json"],
                       capture_output=True, text=True)
    rep = json.loads(r.stdout)
    theirs = collections.Counter(split_type(x["msg_type_hex"]) for x in rows)
    ours = collections.Counter((ours_method(s["method"]), CLASSES[s["class"]])
                               for s in rep["stun"] if not s["inner"])
    problems = []
    expected, why = TSHARK_ERRORS.get(rel, ({}, ""))
    for k in set(theirs) | set(ours):
        diff = theirs.get(k, 0) - ours.get(k, 0)
        if diff != expected.get(k, 0):
            problems.append(f"method 0x{k[0]:03x} class {k[1]}: tshark {theirs.get(k, 0)}, "
                            f"ours {ours.get(k, 0)}")
    have = set()
    for s in rep["stun"]:
        for f in ("mapped_all", "relayed_all", "peer_all"):
            for a in s.get(f) or []:
                have.add(norm_ep(a))
    missing = set()
    for x in rows:
        for col in ("xor_mapped_address", "xor_relayed_address", "xor_peer_address"):
            for a in filter(None, (x[col] or "").split(",")):
                if norm_ep(a) not in have:
                    missing.add(a)
    if missing:
        problems.append(f"addresses tshark shows that we lack: {sorted(missing)[:5]}")
    t_cd = sum(int(x["channeldata_count"]) for x in cd_rows)
    o_cd = sum(f["channeldata"] for f in rep["flows"])
    if t_cd != o_cd:
        problems.append(f"ChannelData: tshark {t_cd}, ours {o_cd}")
    n_inner = sum(1 for s in rep["stun"] if s["inner"])
    detail = (f"{sum(ours.values())} messages ({len(ours)} method/class pairs), "
              f"{len(have)} addresses, {o_cd} ChannelData, {n_inner} relayed inner")
    if why:
        detail += f"; tshark error asserted: {why[:60]}..."
    if problems:
        return False, detail + "\n    " + "\n    ".join(problems)
    return True, detail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensoscope", required=True)
    ap.add_argument("--external", required=True)
    args = ap.parse_args()
    if not os.path.isdir(args.external):
        print(f"SKIP: no external corpus at {args.external}")
        return 77
    rels = [r["path"] for r in csv.DictReader(open(os.path.join(args.external, "MANIFEST.tsv")),
                                              delimiter="\t")]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="ss-dis-") as work:
        for rel in rels:
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
