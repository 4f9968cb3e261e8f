#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_lab_sessions.py - sensoscope's sessions, methods and verdicts against the lab's truth.

    check_lab_sessions.py --sensoscope BIN --pcaps DIR [--only NAME] [--checklist] [--keep DIR]

For every DIR/NAME.truth.tsv that has `#checklist` lines and a NAME.pcapng beside it (the lab
captures; mini.truth.tsv has another format and no checklist, so it is left out), run

    BIN analyze -q --db TMP/NAME.db --ca-bundle DIR/NAME.ca.pem DIR/NAME.pcapng
    BIN report --db TMP/NAME.db --format json

and compare the JSON (../shared/DESIGN.md, "Machine-readable output") with the truth
(lab/README.md, "Truth files"):

  * sessions: every truth row with a session kind needs a JSON `sessions` entry of the same
    `kind` whose `selected` {local, remote} is the row's (src, sport) and (dst, dport), in
    either order, with the row's `method` (int; `-` = null) and `submethod` (`-` = null).
    Exempt: `ice` rows with method `-` (flows of unanswered checks, which are no session).
    Rows of kind `broadcast` carry method `-` (broadcast is not a routing method): they need
    a `broadcast` session with method null. Endpoints: "ip:port" for IPv4, "[ip]:port" for
    IPv6, compared after ipaddress normalisation (an unbracketed IPv6 endpoint is an error:
    "fd10::20:36018" is itself a valid address).
  * verdicts: the set of (kind, code, rule, confidence, proto, src, sport, dst, dport) from
    the truth's `verdicts` column must equal the set from the JSON `verdicts` array; the
    truth's kind follows from the code (DESIGN.md, "Verdicts"). A capture whose truth lists
    no verdict must yield none. Each missing and each unexpected verdict is printed (the
    unexpected ones with their evidence).
  * checklist (only with --checklist): the JSON `checklist` (rule, status) pairs equal the
    truth's `#checklist` lines.

Output: one summary line per capture, every mismatch under it, then "N passed, M failed".
Exit status: 0 all agree, 1 a mismatch (or analyze/report failed), 2 usage, 77 when BIN or
the lab captures are missing (CTest: skipped).
"""
import argparse
import glob
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile

INSPECTED = {"untrusted_issuer", "inspection_issuer", "name_mismatch", "explicit_proxy",
             "ttl_anomaly", "rtt_anomaly"}
BLOCKED = {"tcp_no_answer", "tcp_reset_on_connect", "tcp_reset_after_hello",
           "icmp_unreachable", "udp_no_answer", "tls_alert", "proxy_denied",
           "proxy_auth_required", "dns_failure", "turn_error"}
SESSION_KINDS = {"ice", "turn", "broadcast", "direct"}
TRUTH_COLUMNS = ["proto", "src", "sport", "dst", "dport", "what", "kind", "method",
                 "submethod", "verdicts", "evidence", "reason"]


class TruthError(Exception):
    pass


# ---------------------------------------------------------------- addresses and endpoints

def norm_addr(a):
    """An address string (with or without an IPv6 zone) as an ipaddress object."""
    if not isinstance(a, str):
        raise ValueError("address %r is not a string" % (a,))
    return ipaddress.ip_address(a.split("%", 1)[0])


def parse_endpoint(s):
    """ "10.0.0.5:443" or "[2001:db8::1]:443" -> (ip_address, port). ValueError otherwise."""
    if not isinstance(s, str) or not s:
        raise ValueError("endpoint %r is not a non-empty string" % (s,))
    if s.startswith("["):
        close = s.find("]")
        if close < 0 or s[close + 1:close + 2] != ":":
            raise ValueError("endpoint %r: expected [addr]:port" % s)
        addr, port = s[1:close], s[close + 2:]
        ip = norm_addr(addr)
        if ip.version != 6:
            raise ValueError("endpoint %r: brackets around an IPv4 address" % s)
    else:
        addr, sep, port = s.rpartition(":")
        if not sep:
            raise ValueError("endpoint %r has no port" % s)
        ip = norm_addr(addr)
        if ip.version != 4:
            raise ValueError("endpoint %r: an IPv6 endpoint must be written [addr]:port" % s)
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("endpoint %r: bad port" % s)
    return (ip, int(port))


def fmt_ep(ep):
    ip, port = ep
    return ("[%s]:%d" if ip.version == 6 else "%s:%d") % (ip, port)


def ep_pair(a, b):
    """An unordered pair of endpoints."""
    return frozenset([a, b])


def selected_endpoints(session):
    """(local, remote) of a JSON session's `selected`, or None; ValueError when malformed."""
    sel = session.get("selected")
    if sel is None:
        return None
    if not isinstance(sel, dict):
        raise ValueError("selected is %r, not an object" % (sel,))
    return parse_endpoint(sel.get("local")), parse_endpoint(sel.get("remote"))


def describe_session(s):
    sel = s.get("selected")
    if isinstance(sel, dict):
        seltext = "%s <-> %s" % (sel.get("local"), sel.get("remote"))
    else:
        seltext = "selected=null"
    return ("id=%s kind=%s method=%s submethod=%s %s; explanation: %s"
            % (s.get("id"), s.get("kind"), json.dumps(s.get("method")),
               json.dumps(s.get("submethod")), seltext, s.get("explanation")))


# ---------------------------------------------------------------- the truth file

class Truth:
    def __init__(self, rows, checklist):
        self.rows = rows            # list of dicts keyed by TRUTH_COLUMNS (+ "line")
        self.checklist = checklist  # list of (rule, status, why)


def parse_truth_text(text, name="truth"):
    rows, checklist, header = [], [], None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#checklist"):
            f = line.split("\t")
            if len(f) < 3:
                raise TruthError("%s:%d: checklist line with %d fields" % (name, n, len(f)))
            if f[1] == "rule":      # the checklist's own header line
                continue
            checklist.append((f[1], f[2], f[3] if len(f) > 3 else ""))
            continue
        if line.startswith("#"):
            continue
        f = line.split("\t")
        if header is None:
            header = f
            missing = [c for c in TRUTH_COLUMNS if c not in header]
            if missing:
                raise TruthError("%s:%d: header lacks %s" % (name, n, ", ".join(missing)))
            continue
        if len(f) != len(header):
            raise TruthError("%s:%d: %d fields, header has %d" % (name, n, len(f), len(header)))
        row = dict(zip(header, f))
        row["line"] = n
        rows.append(row)
    return Truth(rows, checklist)


def row_endpoints(row):
    return ((norm_addr(row["src"]), int(row["sport"])), (norm_addr(row["dst"]), int(row["dport"])))


def row_flow(row):
    a, b = row_endpoints(row)
    return "%s %s -> %s" % (row["proto"], fmt_ep(a), fmt_ep(b))


def dash_none(v):
    return None if v == "-" else v


def expected_session(row):
    """(kind, method, submethod) a truth row requires, or None when it needs no session."""
    kind = row["kind"]
    if kind == "-" or kind not in SESSION_KINDS:
        return None
    if kind == "ice" and row["method"] == "-":
        return None                       # unanswered checks: no session of their own
    method = None if row["method"] == "-" else int(row["method"])
    return kind, method, dash_none(row["submethod"])


def verdict_kind(code):
    if code in INSPECTED:
        return "inspected"
    if code in BLOCKED:
        return "blocked"
    return "?"


def truth_verdicts(rows):
    """{(kind, code, rule, confidence, proto, src, sport, dst, dport): row}"""
    out = {}
    for row in rows:
        if row["verdicts"] in ("-", ""):
            continue
        a, b = row_endpoints(row)
        for item in row["verdicts"].split(","):
            parts = item.strip().split("/")
            if len(parts) != 3:
                raise TruthError("line %d: verdict %r is not code/rule/confidence"
                                 % (row["line"], item))
            code, rule, conf = parts
            out[(verdict_kind(code), code, rule, conf, row["proto"], a[0], a[1], b[0], b[1])] = row
    return out


def port_or_none(p):
    if p is None or p == "":
        return None
    return int(p)


def json_verdict_key(v):
    src = norm_addr(v.get("src")) if v.get("src") is not None else None
    dst = norm_addr(v.get("dst")) if v.get("dst") is not None else None
    return (v.get("kind"), v.get("code"), v.get("rule"), v.get("confidence"), v.get("proto"),
            src, port_or_none(v.get("sport")), dst, port_or_none(v.get("dport")))


def fmt_verdict(k):
    kind, code, rule, conf, proto, src, sport, dst, dport = k
    def ep(a, p):
        if a is None:
            return "?"
        return fmt_ep((a, p)) if p is not None else str(a)
    return "%s/%s/%s (%s) %s %s -> %s" % (code, rule, conf, kind, proto, ep(src, sport),
                                          ep(dst, dport))


# ---------------------------------------------------------------- the checks

def check_sessions(truth, report):
    """Problems (strings) for the sessions; empty when every truth row has its session."""
    problems = []
    sessions = report.get("sessions")
    if not isinstance(sessions, list):
        return ["JSON has no `sessions` array"]
    parsed = []          # (session, (local, remote) or None)
    for s in sessions:
        try:
            parsed.append((s, selected_endpoints(s)))
        except ValueError as e:
            problems.append("session %s: malformed selected: %s" % (s.get("id"), e))
            parsed.append((s, None))
    for row in truth.rows:
        exp = expected_session(row)
        if exp is None:
            continue
        kind, method, submethod = exp
        a, b = row_endpoints(row)
        want = ep_pair(a, b)
        same_pair = [s for s, sel in parsed
                     if sel is not None and s.get("kind") == kind and ep_pair(*sel) == want]
        if any(s.get("method") == method and s.get("submethod") == submethod
               for s in same_pair):
            continue
        head = ("session missing: %s kind=%s method=%s submethod=%s (truth line %d)"
                % (row_flow(row), kind, json.dumps(method), json.dumps(submethod), row["line"]))
        lines = [head, "    what:   %s" % row["what"], "    reason: %s" % row["reason"]]
        if same_pair:
            lines.append("    same kind and endpoints, but another method/submethod:")
            lines += ["      " + describe_session(s) for s in same_pair]
        else:
            near = [s for s, sel in parsed
                    if sel is not None and s.get("kind") == kind and (set(sel) & want)]
            if near:
                lines.append("    closest (same kind, sharing one endpoint):")
                lines += ["      " + describe_session(s) for s in near]
            else:
                others = [s for s, _ in parsed if s.get("kind") == kind]
                lines.append("    no %s session shares an endpoint with it (%d %s sessions in all%s)"
                             % (kind, len(others), kind, ":" if others else ""))
                lines += ["      " + describe_session(s) for s in others[:5]]
        problems.append("\n".join(lines))
    return problems


def unmatched_sessions(truth, report):
    """JSON sessions no truth row asks for (informational)."""
    wanted = set()
    for row in truth.rows:
        exp = expected_session(row)
        if exp:
            wanted.add((exp[0], ep_pair(*row_endpoints(row))))
    out = []
    for s in report.get("sessions") or []:
        try:
            sel = selected_endpoints(s)
        except ValueError:
            sel = None
        if sel is None or (s.get("kind"), ep_pair(*sel)) not in wanted:
            out.append(s)
    return out


def check_verdicts(truth, report):
    """(problems, missing keys, unexpected keys)."""
    verdicts = report.get("verdicts")
    if not isinstance(verdicts, list):
        return ["JSON has no `verdicts` array"], [], []
    problems = []
    want = truth_verdicts(truth.rows)
    got = {}
    for v in verdicts:
        try:
            k = json_verdict_key(v)
        except (ValueError, TypeError) as e:
            problems.append("verdict with malformed fields (%s): %s" % (e, json.dumps(v)))
            continue
        got.setdefault(k, []).append(v)
    missing = sorted((k for k in want if k not in got), key=fmt_verdict)
    unexpected = sorted((k for k in got if k not in want), key=fmt_verdict)
    for k in missing:
        row = want[k]
        problems.append("verdict missing: %s\n    what:   %s\n    reason: %s"
                        % (fmt_verdict(k), row["what"], row["reason"]))
        # the same flow with another code/rule/confidence helps the reader
        near = [g for g in got if g[4:] == k[4:]]
        for g in near:
            problems[-1] += "\n    on this flow instead: %s" % fmt_verdict(g)
    for k in unexpected:
        ev = "; ".join(str(v.get("evidence")) for v in got[k])
        problems.append("verdict unexpected: %s\n    evidence: %s" % (fmt_verdict(k), ev))
    for k, vs in got.items():
        if len(vs) > 1 and k in want:
            problems.append("verdict duplicated %d times: %s" % (len(vs), fmt_verdict(k)))
    return problems, missing, unexpected


def check_checklist(truth, report):
    items = report.get("checklist")
    if not isinstance(items, list):
        return ["JSON has no `checklist` array"]
    problems = []
    want = {rule: (status, why) for rule, status, why in truth.checklist}
    got = {}
    for c in items:
        rule = c.get("rule")
        if rule in got:
            problems.append("checklist: rule %s listed twice" % rule)
        got[rule] = c
    for rule, (status, why) in want.items():
        if rule not in got:
            problems.append("checklist: rule %s missing (truth: %s, %s)" % (rule, status, why))
        elif got[rule].get("status") != status:
            problems.append("checklist: rule %s is %s, truth says %s (%s); evidence: %s"
                            % (rule, got[rule].get("status"), status, why,
                               got[rule].get("evidence")))
    for rule in got:
        if rule not in want:
            problems.append("checklist: rule %s not in the truth (status %s)"
                            % (rule, got[rule].get("status")))
    return problems


def compare(truth, report, checklist=False):
    """All problems of one capture: sessions, verdicts and (optionally) the checklist."""
    problems = check_sessions(truth, report)
    problems += check_verdicts(truth, report)[0]
    if checklist:
        problems += check_checklist(truth, report)
    return problems


# ---------------------------------------------------------------- running sensoscope

def run_sensoscope(binary, capture, db, ca_bundle=None, timeout=300):
    """analyze + report --format json; returns (report dict, None) or (None, error text)."""
    cmd = [binary, "analyze", "-q", "--db", db]
    if ca_bundle and os.path.exists(ca_bundle):
        cmd += ["--ca-bundle", ca_bundle]
    cmd.append(capture)
    for c in (cmd, [binary, "report", "--db", db, "--format", "json"]):
        try:
            p = subprocess.run(c, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, "%s: timed out after %d s" % (" ".join(c), timeout)
        if p.returncode != 0:
            tail = "\n".join(p.stderr.strip().splitlines()[-5:])
            return None, "%s: exit %d\n    %s" % (" ".join(c), p.returncode, tail)
    try:
        return json.loads(p.stdout), None
    except ValueError as e:
        return None, "report --format json: not JSON (%s)" % e


def lab_captures(pcaps):
    """[(name, truth path, capture path)] of the lab captures in DIR."""
    out = []
    for truth in sorted(glob.glob(os.path.join(pcaps, "*.truth.tsv"))):
        name = os.path.basename(truth)[:-len(".truth.tsv")]
        cap = os.path.join(pcaps, name + ".pcapng")
        if name == "mini" or not os.path.exists(cap):
            continue
        with open(truth, encoding="utf-8") as f:
            if not any(line.startswith("#checklist\t") for line in f):
                continue
        out.append((name, truth, cap))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sensoscope", required=True, help="the sensoscope executable")
    ap.add_argument("--pcaps", required=True, help="directory with NAME.pcapng + NAME.truth.tsv")
    ap.add_argument("--only", action="append", metavar="NAME", help="only this capture (repeatable)")
    ap.add_argument("--checklist", action="store_true", help="also compare the checklist")
    ap.add_argument("--keep", metavar="DIR", help="keep the databases and JSON reports in DIR")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also list the JSON sessions that no truth row asks for")
    args = ap.parse_args(argv)

    if not (os.path.isfile(args.sensoscope) and os.access(args.sensoscope, os.X_OK)):
        print("SKIP: sensoscope not found at %s" % args.sensoscope)
        return 77
    caps = lab_captures(args.pcaps)
    if not caps:
        print("SKIP: no lab captures (NAME.truth.tsv with #checklist + NAME.pcapng) in %s"
              % args.pcaps)
        return 77
    if args.only:
        names = {c[0] for c in caps}
        unknown = [n for n in args.only if n not in names]
        if unknown:
            print("usage: no lab capture named %s (have: %s)"
                  % (", ".join(unknown), ", ".join(sorted(names))), file=sys.stderr)
            return 2
        caps = [c for c in caps if c[0] in args.only]

    work = args.keep or tempfile.mkdtemp(prefix="ss-lab-sessions-")
    os.makedirs(work, exist_ok=True)
    passed = failed = 0
    try:
        for name, truth_path, cap in caps:
            with open(truth_path, encoding="utf-8") as f:
                try:
                    truth = parse_truth_text(f.read(), truth_path)
                except TruthError as e:
                    print("FAIL %s: bad truth file: %s" % (name, e))
                    failed += 1
                    continue
            db = os.path.join(work, name + ".db")
            if os.path.exists(db):
                os.unlink(db)
            report, err = run_sensoscope(args.sensoscope, cap, db,
                                         os.path.join(args.pcaps, name + ".ca.pem"))
            if report is None:
                print("FAIL %s: %s" % (name, err))
                failed += 1
                continue
            if args.keep:
                with open(os.path.join(work, name + ".json"), "w") as f:
                    json.dump(report, f, indent=1)
            sp = check_sessions(truth, report)
            vp, missing, unexpected = check_verdicts(truth, report)
            cp = check_checklist(truth, report) if args.checklist else []
            nsess = sum(1 for r in truth.rows if expected_session(r))
            nverd = len(truth_verdicts(truth.rows))
            summary = ("%s: sessions %d/%d found (%d in the JSON); verdicts %d expected, "
                       "%d missing, %d unexpected%s"
                       % (name, nsess - sum(1 for p in sp if p.startswith("session missing")),
                          nsess, len(report.get("sessions") or []), nverd, len(missing),
                          len(unexpected),
                          "; checklist %d problem(s)" % len(cp) if args.checklist else ""))
            problems = sp + vp + cp
            print(("FAIL " if problems else "ok   ") + summary)
            for p in problems:
                print("  - " + p)
            if args.verbose:
                for s in unmatched_sessions(truth, report):
                    print("  note: session not in the truth: " + describe_session(s))
            if problems:
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
