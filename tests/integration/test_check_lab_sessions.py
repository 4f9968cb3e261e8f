#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of check_lab_sessions.py (and the matching in check_external_sessions.py):
synthetic truth + synthetic `report --format json` output, so that the checkers cannot pass
silently. Needs only python3; no sensoscope, no captures.
"""
import json
import os
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_lab_sessions as cls  # noqa: E402

HEADER = "\t".join(cls.TRUTH_COLUMNS)


def truth_text(rows, checklist=(("cloud", "ok"), ("relay", "blocked"))):
    lines = ["# sensoscope lab ground truth: synthetic", "#checklist\trule\tstatus\twhy"]
    lines += ["#checklist\t%s\t%s\twhy %s" % (r, s, r) for r, s in checklist]
    lines.append(HEADER)
    for r in rows:
        lines.append("\t".join(r))
    return "\n".join(lines) + "\n"


def row(proto, src, sport, dst, dport, kind="-", method="-", sub="-", verdicts="-",
        what="a flow", reason="a reason"):
    return [proto, src, str(sport), dst, str(dport), what, kind, method, sub, verdicts, "-",
            reason]


ROWS = [
    row("udp", "fd10::31", 38105, "fd10::20", 36018, "ice", "2", "host",
        what="LAN session", reason="werift selected pair: fd10::20:36018 - fd10::31:38105"),
    row("udp", "10.10.0.20", 47841, "198.51.100.10", 3478, "ice", "3", "relay-udp"),
    row("udp", "10.10.0.20", 47841, "198.51.100.10", 3478, "turn", "3", "relay-udp"),
    row("udp", "10.10.0.20", 48079, "192.168.1.20", 45829, "ice"),
    row("udp", "10.10.0.20", 48079, "198.51.100.10", 55568, "ice",
        verdicts="udp_no_answer/relay/confirmed"),
    row("tcp", "10.10.0.32", 41012, "10.10.0.20", 30100, "broadcast",
        verdicts="tcp_no_answer/broadcast/confirmed"),
    row("tcp", "10.10.0.31", 41008, "192.0.2.31", 443,
        verdicts="untrusted_issuer/blob-modules/confirmed,inspection_issuer/blob-modules/confirmed"),
    row("tcp", "10.10.0.32", 41010, "10.10.0.20", 30200, "direct", "1"),
]


def session(kind, method, sub, local, remote, sid=1):
    return {"id": sid, "kind": kind, "method": method, "submethod": sub,
            "selected": {"local": local, "remote": remote}, "explanation": "synthetic %d" % sid}


def verdict(kind, code, conf, rule, proto, src, sport, dst, dport):
    return {"kind": kind, "code": code, "confidence": conf, "rule": rule, "proto": proto,
            "src": src, "sport": sport, "dst": dst, "dport": dport, "host": None,
            "first": 1.0, "evidence": "evidence of %s" % code}


def good_report():
    return {
        "sessions": [
            # IPv6 written non-canonically, endpoints in the other order than the truth row
            session("ice", 2, "host", "[fd10:0:0::20]:36018", "[fd10::31]:38105", 1),
            session("ice", 3, "relay-udp", "10.10.0.20:47841", "198.51.100.10:3478", 2),
            session("turn", 3, "relay-udp", "10.10.0.20:47841", "198.51.100.10:3478", 3),
            session("broadcast", None, None, "10.10.0.32:41012", "10.10.0.20:30100", 4),
            session("direct", 1, None, "10.10.0.32:41010", "10.10.0.20:30200", 5),
        ],
        "verdicts": [
            verdict("blocked", "udp_no_answer", "confirmed", "relay", "udp",
                    "10.10.0.20", 48079, "198.51.100.10", 55568),
            verdict("blocked", "tcp_no_answer", "confirmed", "broadcast", "tcp",
                    "10.10.0.32", 41012, "10.10.0.20", 30100),
            verdict("inspected", "untrusted_issuer", "confirmed", "blob-modules", "tcp",
                    "10.10.0.31", 41008, "192.0.2.31", 443),
            verdict("inspected", "inspection_issuer", "confirmed", "blob-modules", "tcp",
                    "10.10.0.31", 41008, "192.0.2.31", 443),
        ],
        "checklist": [{"rule": "cloud", "status": "ok", "evidence": "x"},
                      {"rule": "relay", "status": "blocked", "evidence": "y"}],
    }


class Endpoints(unittest.TestCase):
    def test_forms(self):
        ip4 = cls.parse_endpoint("10.0.0.5:443")
        self.assertEqual(ip4, (cls.norm_addr("10.0.0.5"), 443))
        self.assertEqual(cls.parse_endpoint("[2001:db8:0::1]:53"),
                         cls.parse_endpoint("[2001:DB8::1]:53"))
        self.assertEqual(cls.fmt_ep(cls.parse_endpoint("[fd10:0::20]:1")), "[fd10::20]:1")

    def test_rejected(self):
        for bad in ("fd10::20:36018", "[10.0.0.5]:1", "10.0.0.5", "10.0.0.5:x",
                    "10.0.0.5:70000", "[fd10::20]36018", "", None, "host:80"):
            with self.assertRaises(ValueError, msg=bad):
                cls.parse_endpoint(bad)


class Compare(unittest.TestCase):
    def setUp(self):
        self.truth = cls.parse_truth_text(truth_text(ROWS))

    def test_matching(self):
        self.assertEqual(cls.compare(self.truth, good_report(), checklist=True), [])

    def test_expected_sessions(self):
        exp = [cls.expected_session(r) for r in self.truth.rows]
        self.assertEqual(exp, [("ice", 2, "host"), ("ice", 3, "relay-udp"),
                               ("turn", 3, "relay-udp"), None, None,
                               ("broadcast", None, None), None, ("direct", 1, None)])

    def test_missing_verdict(self):
        rep = good_report()
        del rep["verdicts"][3]
        probs, missing, unexpected = cls.check_verdicts(self.truth, rep)
        self.assertEqual(len(missing), 1)
        self.assertEqual(missing[0][1], "inspection_issuer")
        self.assertEqual(unexpected, [])
        self.assertTrue(any("verdict missing: inspection_issuer" in p for p in probs), probs)
        self.assertNotEqual(cls.compare(self.truth, rep), [])

    def test_extra_verdict(self):
        rep = good_report()
        rep["verdicts"].append(verdict("blocked", "udp_no_answer", "confirmed", "relay", "udp",
                                       "10.10.0.20", 48079, "192.168.1.20", 45829))
        probs, missing, unexpected = cls.check_verdicts(self.truth, rep)
        self.assertEqual(missing, [])
        self.assertEqual(len(unexpected), 1)
        self.assertTrue(any("unexpected" in p and "evidence of udp_no_answer" in p
                            for p in probs), probs)

    def test_verdict_fields_matter(self):
        for field, value in (("confidence", "suspected"), ("rule", "sturn-eu"),
                             ("kind", "inspected"), ("proto", "tcp"), ("sport", 48080),
                             ("dst", "198.51.100.11")):
            rep = good_report()
            rep["verdicts"][0][field] = value
            _, missing, unexpected = cls.check_verdicts(self.truth, rep)
            self.assertEqual((len(missing), len(unexpected)), (1, 1), field)

    def test_verdict_direction(self):
        rep = good_report()
        v = rep["verdicts"][0]
        v["src"], v["sport"], v["dst"], v["dport"] = v["dst"], v["dport"], v["src"], v["sport"]
        _, missing, unexpected = cls.check_verdicts(self.truth, rep)
        self.assertEqual((len(missing), len(unexpected)), (1, 1))

    def test_ipv6_verdict_normalised(self):
        rows = [row("udp", "fd10::31", 1, "2001:db8::1", 3478,
                    verdicts="udp_no_answer/sturn-eu/confirmed")]
        truth = cls.parse_truth_text(truth_text(rows))
        rep = {"sessions": [], "verdicts": [verdict(
            "blocked", "udp_no_answer", "confirmed", "sturn-eu", "udp", "fd10:0::31", 1,
            "2001:DB8:0::1", 3478)]}
        self.assertEqual(cls.compare(truth, rep), [])

    def test_no_verdicts_expected(self):
        truth = cls.parse_truth_text(truth_text([ROWS[7]]))
        rep = {"sessions": [good_report()["sessions"][4]], "verdicts": []}
        self.assertEqual(cls.compare(truth, rep), [])
        rep["verdicts"].append(good_report()["verdicts"][0])
        self.assertEqual(len(cls.compare(truth, rep)), 1)

    def test_duplicate_verdict(self):
        rep = good_report()
        rep["verdicts"].append(dict(rep["verdicts"][0]))
        probs, _, _ = cls.check_verdicts(self.truth, rep)
        self.assertTrue(any("duplicated" in p for p in probs), probs)

    def test_wrong_method(self):
        rep = good_report()
        rep["sessions"][1]["method"] = 2
        rep["sessions"][1]["submethod"] = "srflx"
        probs = cls.check_sessions(self.truth, rep)
        self.assertEqual(len(probs), 1, probs)
        self.assertIn("kind=ice method=3", probs[0])
        self.assertIn("another method/submethod", probs[0])
        self.assertIn("synthetic 2", probs[0])          # the session's explanation

    def test_wrong_submethod(self):
        rep = good_report()
        rep["sessions"][2]["submethod"] = "relay-tcp"
        self.assertEqual(len(cls.check_sessions(self.truth, rep)), 1)

    def test_submethod_null_vs_dash(self):
        rep = good_report()
        rep["sessions"][4]["submethod"] = "host"        # truth: direct 1 -
        self.assertEqual(len(cls.check_sessions(self.truth, rep)), 1)

    def test_wrong_kind(self):
        rep = good_report()
        rep["sessions"][2]["kind"] = "ice"              # the turn row loses its session
        probs = cls.check_sessions(self.truth, rep)
        self.assertEqual(len(probs), 1)
        self.assertIn("kind=turn", probs[0])

    def test_missing_session_shows_closest(self):
        rep = good_report()
        # the LAN session with the wrong remote port: closest shares the console's endpoint
        rep["sessions"][0]["selected"]["remote"] = "[fd10::31]:38106"
        probs = cls.check_sessions(self.truth, rep)
        self.assertEqual(len(probs), 1)
        self.assertIn("closest", probs[0])
        self.assertIn("what:   LAN session", probs[0])
        self.assertIn("reason: werift selected pair", probs[0])

    def test_ipv6_unbracketed_is_an_error(self):
        rep = good_report()
        rep["sessions"][0]["selected"] = {"local": "fd10::20:36018", "remote": "fd10::31:38105"}
        probs = cls.check_sessions(self.truth, rep)
        self.assertTrue(any("malformed selected" in p for p in probs), probs)
        self.assertTrue(any("session missing" in p for p in probs), probs)

    def test_selected_null(self):
        rep = good_report()
        rep["sessions"][0]["selected"] = None
        self.assertEqual(len(cls.check_sessions(self.truth, rep)), 1)

    def test_broadcast_needs_session(self):
        rep = good_report()
        del rep["sessions"][3]
        probs = cls.check_sessions(self.truth, rep)
        self.assertEqual(len(probs), 1)
        self.assertIn("kind=broadcast method=null", probs[0])

    def test_unanswered_checks_need_no_session(self):
        rows = [ROWS[3]]
        truth = cls.parse_truth_text(truth_text(rows))
        self.assertEqual(cls.compare(truth, {"sessions": [], "verdicts": []}), [])

    def test_no_arrays(self):
        self.assertNotEqual(cls.compare(self.truth, {}), [])

    def test_checklist(self):
        rep = good_report()
        rep["checklist"][1]["status"] = "ok"
        probs = cls.check_checklist(self.truth, rep)
        self.assertEqual(len(probs), 1)
        self.assertIn("relay is ok, truth says blocked", probs[0])
        rep["checklist"].append({"rule": "broadcast", "status": "not_seen"})
        self.assertEqual(len(cls.check_checklist(self.truth, rep)), 2)
        del rep["checklist"][0]
        self.assertEqual(len(cls.check_checklist(self.truth, rep)), 3)
        # --checklist is what makes it count
        self.assertNotEqual(cls.compare(self.truth, rep, checklist=True), [])
        self.assertEqual(cls.compare(self.truth, rep, checklist=False), [])

    def test_truth_errors(self):
        bad = truth_text(ROWS).replace("\tlan", "").rstrip("\n") + "\nudp\t1.2.3.4\n"
        with self.assertRaises(cls.TruthError):
            cls.parse_truth_text(bad)
        with self.assertRaises(cls.TruthError):
            cls.truth_verdicts(cls.parse_truth_text(truth_text(
                [row("tcp", "1.2.3.4", 1, "5.6.7.8", 2, verdicts="tcp_no_answer")])).rows)


FAKE = """#!/usr/bin/env python3
import sys, json
if sys.argv[1] == "analyze":
    open(sys.argv[sys.argv.index("--db") + 1], "w").write("db")
    sys.exit(int(%(analyze_rc)d))
print(json.dumps(%(report)s))
"""


class EndToEnd(unittest.TestCase):
    """main() with a fake sensoscope that prints a canned report."""

    def run_main(self, report, analyze_rc=0, extra=(), make_bin=True, caps=True):
        with tempfile.TemporaryDirectory() as d:
            pc = os.path.join(d, "pcaps")
            os.mkdir(pc)
            if caps:
                with open(os.path.join(pc, "lab.truth.tsv"), "w") as f:
                    f.write(truth_text(ROWS))
                open(os.path.join(pc, "lab.pcapng"), "wb").close()
                open(os.path.join(pc, "lab.ca.pem"), "w").close()
            # mini has no checklist and must be left out
            with open(os.path.join(pc, "mini.truth.tsv"), "w") as f:
                f.write("# mini\nproto\tsrc\n")
            open(os.path.join(pc, "mini.pcapng"), "wb").close()
            binary = os.path.join(d, "sensoscope")
            if make_bin:
                with open(binary, "w") as f:
                    f.write(FAKE % {"analyze_rc": analyze_rc, "report": repr(report)})
                os.chmod(binary, os.stat(binary).st_mode | stat.S_IEXEC)
            p = subprocess.run([sys.executable, os.path.join(HERE, "check_lab_sessions.py"),
                                "--sensoscope", binary, "--pcaps", pc, *extra],
                               capture_output=True, text=True)
            return p.returncode, p.stdout + p.stderr

    def test_pass(self):
        rc, out = self.run_main(good_report(), extra=["--checklist"])
        self.assertEqual(rc, 0, out)
        self.assertIn("1 passed, 0 failed", out)

    def test_fail(self):
        rep = good_report()
        rep["sessions"][0]["method"] = 3
        rc, out = self.run_main(rep)
        self.assertEqual(rc, 1, out)
        self.assertIn("session missing", out)

    def test_analyze_fails(self):
        rc, out = self.run_main(good_report(), analyze_rc=1)
        self.assertEqual(rc, 1, out)

    def test_skip_and_usage(self):
        self.assertEqual(self.run_main(good_report(), make_bin=False)[0], 77)
        self.assertEqual(self.run_main(good_report(), caps=False)[0], 77)
        self.assertEqual(self.run_main(good_report(), extra=["--only", "nope"])[0], 2)
        self.assertEqual(self.run_main(good_report(), extra=["--bogus"])[0], 2)


# ------------------------------------------------- check_external_sessions.py's matching

class External(unittest.TestCase):
    def setUp(self):
        try:
            import check_external_sessions as ces
        except ImportError:
            self.skipTest("check_external_sessions.py not present")
        self.ces = ces

    def test_match(self):
        exp = [{"kind": "ice", "method": 2, "submethod": "srflx",
                "selected": {"local": "192.168.1.6:50016", "remote": "93.71.110.205:16332"}},
               {"kind": "ice", "method": 3, "submethod": "relay-tcp",
                "selected": {"local": "[2001:db8::5]:1", "remote": "[2001:db8::6]:3478"}}]
        rep = {"sessions": [
            session("ice", 2, "srflx", "93.71.110.205:16332", "192.168.1.6:50016", 1),
            session("ice", 3, "relay-tcp", "[2001:DB8:0::6]:3478", "[2001:db8::5]:1", 2),
            session("turn", 3, "relay-udp", "192.168.1.6:50017", "52.114.250.141:3478", 3)]}
        missing, extra, notes = self.ces.match_sessions(exp, rep)
        self.assertEqual(missing, [])
        self.assertEqual([s["id"] for s in extra], [3])
        rep["sessions"][0]["submethod"] = "host"
        missing, extra, _ = self.ces.match_sessions(exp, rep)
        self.assertEqual(len(missing), 1)
        self.assertEqual(len(extra), 2)
        rep["sessions"][1]["selected"]["local"] = "2001:db8::6:3478"   # unbracketed
        missing, _, notes = self.ces.match_sessions(exp, rep)
        self.assertEqual(len(missing), 2)
        self.assertTrue(any("malformed" in n for n in notes), notes)


if __name__ == "__main__":
    unittest.main(verbosity=1)
