#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_external.py - every capture of the external corpus through `sensoscope analyze`,
compared with tshark's conversation tables (oracle/<name>.conv.tsv).

For each capture:
  * analyze must exit 0, or exit 1 with a one-line error that names the file (no crash, no
    sanitizer report: a sanitizer build aborts with another status);
  * the TCP and UDP flows we store, grouped by their unordered 5-tuple, must match tshark's
    conversations tuple for tuple. Where we hold more flows for a tuple than tshark, every
    extra flow must be explained by one of the rules below, which the check asserts on the
    flows themselves (not just on the counts):
      - idle:  the earlier flow ended by idle timeout ("end_reason": "idle") and the later one
               starts more than that protocol's timeout after the earlier one's last packet
               (tshark never splits a UDP conversation on time);
      - reuse: the earlier TCP flow had ended (FIN or RST seen) and the later one begins with
               a new SYN ("end_reason": "port_reuse"); tshark 4.0 splits on reuse too, so this
               only ever explains a difference where tshark did not see the SYN as new.
    Where tshark holds a conversation we do not, the only accepted reason is:
      - tunnel: tshark decapsulates GTP-U (UDP 2152, a mobile-core tunnel) and lists the inner
               conversation too; we do not decapsulate GTP. Asserted: we hold a UDP flow with
               port 2152 at both ends that carried at least as many packets as tshark counts
               for the inner conversation.
    Any other conversation of tshark's that we lack fails the check.
Prints one line per capture and ends with "N passed, M failed".
"""
import argparse
import collections
import csv
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

TIMEOUTS = {"udp": 120.0, "tcp": 30.0}


def norm_addr(a):
    return ipaddress.ip_address(a)


def split_v6_quirk(addr, port):
    """tshark 4.0 prints IPv6 addresses ending in '::' with the port glued on."""
    if port not in (None, "") and port.isdigit():
        return addr, int(port)
    head, _, tail = addr.rpartition(":")
    return head, int(tail)


def oracle_tuples(path, frames=None):
    out = collections.Counter()
    with open(path, newline="") as f:
        rows = csv.DictReader(f, delimiter="\t")
        for r in rows:
            proto = r["proto"]
            if proto not in ("tcp", "udp"):
                continue
            a, pa = split_v6_quirk(r["addr_a"], r["port_a"])
            b, pb = split_v6_quirk(r["addr_b"], r["port_b"])
            k = key(proto, a, pa, b, pb)
            out[k] += 1
            if frames is not None:
                frames[k] = frames.get(k, 0) + int(r["frames_total"])
    return out


def key(proto, a, pa, b, pb):
    x, y = (norm_addr(a), int(pa)), (norm_addr(b), int(pb))
    lo, hi = sorted([x, y], key=lambda t: (t[0].version, t[0].packed, t[1]))
    return (proto, lo, hi)


def explain_extra(flows, proto):
    """Flows of one tuple in time order; returns (explained splits, problems)."""
    flows = sorted(flows, key=lambda f: f["first"])
    explained, problems = 0, []
    for prev, nxt in zip(flows, flows[1:]):
        why = prev.get("end_reason")
        gap = nxt["first"] - prev["last"]
        if why == "idle" and gap > TIMEOUTS.get(proto, 60.0):
            explained += 1
        elif why == "port_reuse" and proto == "tcp":
            explained += 1
        else:
            problems.append(f"split with end_reason={why} after a gap of {gap:.3f} s")
    return explained, problems


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def check_capture(args, rel, work):
    path = os.path.join(args.external, rel)
    name = rel.replace("/", "__")
    db = os.path.join(work, name + ".db")
    p = run([args.sensoscope, "analyze", "-q", "--db", db, path])
    if p.returncode not in (0, 1):
        return False, f"analyze exited {p.returncode}: {p.stderr.strip()[-400:]}", {}
    if p.returncode == 1:
        msg = p.stderr.strip()
        ok = msg.count("\n") == 0 and rel.split("/")[-1] in msg
        return ok, f"clear error: {msg}" if ok else f"unclear error: {msg!r}", {}
    if "runtime error" in p.stderr or "Sanitizer" in p.stderr:
        return False, f"sanitizer: {p.stderr[-400:]}", {}
    r = run([args.sensoscope, "report", "--db", db, "--format", "json"])
    if r.returncode != 0:
        return False, f"report exited {r.returncode}: {r.stderr.strip()}", {}
    rep = json.loads(r.stdout)
    ours = collections.defaultdict(list)
    for f in rep["flows"]:
        if f["proto"] in ("tcp", "udp"):
            ours[key(f["proto"], f["src"], f["sport"], f["dst"], f["dport"])].append(f)
    frames = {}
    theirs = oracle_tuples(os.path.join(args.external, "oracle", name + ".conv.tsv"), frames)
    gtp = [f for f in rep["flows"] if f["proto"] == "udp" and f["sport"] == 2152 and
           f["dport"] == 2152]
    gtp_pkts = max((f["pkts_out"] + f["pkts_in"] for f in gtp), default=0)
    problems, stats = [], collections.Counter()
    for k in set(ours) | set(theirs):
        o, t = len(ours.get(k, [])), theirs.get(k, 0)
        stats[k[0] + "_ours"] += o
        stats[k[0] + "_tshark"] += t
        if o == t:
            continue
        if o == 0 and gtp and frames.get(k, 0) <= gtp_pkts:
            stats["explained_tunnel"] += t
            continue
        if o < t:
            problems.append(f"{fmt(k)}: tshark {t}, ours {o}")
            continue
        explained, why = explain_extra(ours[k], k[0])
        if t == 0:
            problems.append(f"{fmt(k)}: not in tshark's table ({o} flows of ours)")
        elif explained >= o - t:
            stats["explained_" + k[0]] += o - t
        else:
            problems.append(f"{fmt(k)}: tshark {t}, ours {o}: " + "; ".join(why))
    detail = (f"tcp {stats['tcp_ours']}/{stats['tcp_tshark']} "
              f"udp {stats['udp_ours']}/{stats['udp_tshark']}")
    if stats["explained_tcp"] or stats["explained_udp"]:
        detail += (f" (explained splits: tcp {stats['explained_tcp']}, "
                   f"udp {stats['explained_udp']})")
    if stats["explained_tunnel"]:
        detail += f" (inside GTP-U, not decapsulated: {stats['explained_tunnel']})"
    if problems:
        return False, detail + "\n    " + "\n    ".join(problems[:20]), stats
    return True, detail, stats


def fmt(k):
    proto, (a, pa), (b, pb) = k
    return f"{proto} {a}:{pa} <-> {b}:{pb}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sensoscope", required=True)
    ap.add_argument("--external", required=True)
    ap.add_argument("--only", help="one capture path relative to the corpus")
    args = ap.parse_args()
    if not os.path.isdir(args.external):
        print(f"SKIP: no external corpus at {args.external}")
        return 77
    with open(os.path.join(args.external, "MANIFEST.tsv"), newline="") as f:
        rels = [r["path"] for r in csv.DictReader(f, delimiter="\t")]
    if args.only:
        rels = [args.only]
    passed = failed = 0
    total = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="ss-ext-") as work:
        for rel in rels:
            ok, detail, stats = check_capture(args, rel, work)
            total.update(stats)
            print(f"{'ok  ' if ok else 'FAIL'} {rel}: {detail}")
            passed += ok
            failed += not ok
    print(f"flows ours/tshark: tcp {total['tcp_ours']}/{total['tcp_tshark']}, "
          f"udp {total['udp_ours']}/{total['udp_tshark']}; splits explained by rule: "
          f"tcp {total['explained_tcp']}, udp {total['explained_udp']}; inside GTP-U: "
          f"{total['explained_tunnel']}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
