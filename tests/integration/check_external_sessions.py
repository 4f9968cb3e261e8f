#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_external_sessions.py - sensoscope's ICE/TURN sessions on real WebRTC captures.

    check_external_sessions.py --sensoscope BIN --external DIR [--expect FILE] [--only PATH]
                               [--strict] [--keep DIR]

The expectations are in external_sessions.json beside this script: for each capture of the
external corpus (DIR/<path>, checked against its sha256), the sessions that must be found
({kind, method, submethod, selected {local, remote}}) and a `how` text saying how each was
established from the packets with tshark (frame numbers, filters), never from sensoscope.

For each capture: `BIN analyze` + `BIN report --format json`; every expected session must
match a JSON session of the same kind, method and submethod whose `selected` endpoints equal
the expected ones in either order ("ip:port" for IPv4, "[ip]:port" for IPv6, compared after
normalisation). Sessions in the JSON that are not expected are listed; they fail the check
only with --strict.

Exit status: 0 all found, 1 a session missing (or analyze/report failed, or a capture is not
the one the expectations were made from), 2 usage, 77 when BIN or the corpus is missing.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from check_lab_sessions import (describe_session, ep_pair, parse_endpoint,  # noqa: E402
                                run_sensoscope, selected_endpoints)


def expected_pair(exp):
    sel = exp["selected"]
    return ep_pair(parse_endpoint(sel["local"]), parse_endpoint(sel["remote"]))


def match_sessions(expected, report):
    """(missing expectations, JSON sessions matched by none, notes)."""
    notes, parsed = [], []
    for s in report.get("sessions") or []:
        try:
            sel = selected_endpoints(s)
        except ValueError as e:
            notes.append("session %s: malformed selected: %s" % (s.get("id"), e))
            sel = None
        parsed.append((s, ep_pair(*sel) if sel else None))
    missing, used = [], set()
    for exp in expected:
        want = expected_pair(exp)
        hit = [i for i, (s, pair) in enumerate(parsed)
               if pair == want and s.get("kind") == exp["kind"]
               and s.get("method") == exp["method"] and s.get("submethod") == exp["submethod"]]
        if hit:
            used.update(hit)
        else:
            missing.append(exp)
    extra = [s for i, (s, _) in enumerate(parsed) if i not in used]
    return missing, extra, notes


def closest(exp, report):
    """JSON sessions that share an endpoint with the expectation (any kind)."""
    want = expected_pair(exp)
    out = []
    for s in report.get("sessions") or []:
        try:
            sel = selected_endpoints(s)
        except ValueError:
            continue
        if sel and set(sel) & want:
            out.append(s)
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sensoscope", required=True)
    ap.add_argument("--external", required=True, help="the external capture corpus")
    ap.add_argument("--expect", default=os.path.join(HERE, "external_sessions.json"))
    ap.add_argument("--only", action="append", metavar="PATH")
    ap.add_argument("--strict", action="store_true", help="unexpected sessions fail too")
    ap.add_argument("--keep", metavar="DIR", help="keep databases and JSON reports in DIR")
    args = ap.parse_args(argv)

    if not (os.path.isfile(args.sensoscope) and os.access(args.sensoscope, os.X_OK)):
        print("SKIP: sensoscope not found at %s" % args.sensoscope)
        return 77
    if not os.path.isfile(os.path.join(args.external, "MANIFEST.tsv")):
        print("SKIP: no external corpus (MANIFEST.tsv) in %s" % args.external)
        return 77
    with open(args.expect, encoding="utf-8") as f:
        spec = json.load(f)
    caps = spec["captures"]
    if args.only:
        known = {c["path"] for c in caps}
        unknown = [p for p in args.only if p not in known]
        if unknown:
            print("usage: no expectations for %s" % ", ".join(unknown), file=sys.stderr)
            return 2
        caps = [c for c in caps if c["path"] in args.only]

    work = args.keep or tempfile.mkdtemp(prefix="ss-ext-sessions-")
    os.makedirs(work, exist_ok=True)
    passed = failed = 0
    try:
        for cap in caps:
            path = os.path.join(args.external, cap["path"])
            if not os.path.isfile(path):
                print("FAIL %s: capture missing from the corpus" % cap["path"])
                failed += 1
                continue
            if cap.get("sha256") and sha256(path) != cap["sha256"]:
                print("FAIL %s: sha256 differs from the capture the expectations were made "
                      "from" % cap["path"])
                failed += 1
                continue
            db = os.path.join(work, cap["path"].replace("/", "__") + ".db")
            if os.path.exists(db):
                os.unlink(db)
            report, err = run_sensoscope(args.sensoscope, path, db)
            if report is None:
                print("FAIL %s: %s" % (cap["path"], err))
                failed += 1
                continue
            if args.keep:
                with open(db[:-3] + ".json", "w") as f:
                    json.dump(report, f, indent=1)
            missing, extra, notes = match_sessions(cap["sessions"], report)
            bad = bool(missing) or (args.strict and bool(extra))
            print("%s %s: %d/%d expected sessions found, %d other session(s) in the JSON"
                  % ("FAIL" if bad else "ok  ", cap["path"],
                     len(cap["sessions"]) - len(missing), len(cap["sessions"]), len(extra)))
            for n in notes:
                print("  - " + n)
            for exp in missing:
                sel = exp["selected"]
                print("  - session missing: kind=%s method=%s submethod=%s %s <-> %s"
                      % (exp["kind"], json.dumps(exp["method"]), json.dumps(exp["submethod"]),
                         sel["local"], sel["remote"]))
                print("    how it was established: %s" % exp.get("how", ""))
                near = closest(exp, report)
                if near:
                    print("    closest (sharing an endpoint):")
                    for s in near:
                        print("      " + describe_session(s))
                else:
                    print("    no JSON session shares an endpoint with it")
            for s in extra:
                print("  %s session not expected: %s"
                      % ("-" if args.strict else "note:", describe_session(s)))
            if bad:
                failed += 1
            else:
                passed += 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
