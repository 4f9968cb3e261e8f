#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_cli.py - the sensoscope command line end to end: help and exit codes, analysing the
committed mini capture, duplicate analysis, truncated / foreign / unsupported files, standard
input, several files, a locked database, and the flow-table cap on a real capture.
Ends with "N passed, M failed"."""
import argparse
import hashlib
import json
import os
import re
import sqlite3
import struct
import subprocess
import sys
import tempfile
import traceback

ARGS = None
WORK = None


def ss(*argv, stdin=None, timeout=300):
    return subprocess.run([ARGS.sensoscope, *argv], capture_output=True, text=True,
                          input=stdin, timeout=timeout)


def ss_bytes_stdin(data, *argv):
    return subprocess.run([ARGS.sensoscope, *argv], capture_output=True, input=data,
                          timeout=300)


def report(db, *extra):
    p = ss("report", "--db", db, "--format", "json", *extra)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def db_path(name):
    return os.path.join(WORK, name + ".db")


def mini():
    return os.path.join(ARGS.pcaps, "mini.pcapng")


def ext(rel):
    return os.path.join(ARGS.external, rel)


def count_pcap_records(path):
    """Packets in a classic pcap or a pcapng file, read independently of libpcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        n, off = 0, 0
        bo = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        while off + 12 <= len(data):
            btype, blen = struct.unpack(bo + "II", data[off:off + 8])
            if btype in (3, 6):  # simple / enhanced packet block
                n += 1
            off += blen
        return n
    bo = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = struct.unpack(bo + "I", data[off + 8:off + 12])[0]
        off += 16 + incl
        if off <= len(data):
            n += 1
    return n


# ---------------------------------------------------------------- tests

def test_help_and_version():
    p = ss("--help")
    assert p.returncode == 0 and "analyze" in p.stdout and "report" in p.stdout
    for cmd in ("analyze", "capture", "report"):
        p = ss(cmd, "--help")
        assert p.returncode == 0, (cmd, p.returncode)
        assert p.stdout.startswith(f"usage: sensoscope {cmd}"), p.stdout[:80]
    p = ss("--version")
    assert p.returncode == 0 and re.match(r"sensoscope \d+\.\d+\.\d+ \(database schema \d+\)",
                                          p.stdout), p.stdout


def test_usage_errors_exit_2():
    assert ss().returncode == 2
    p = ss("frobnicate")
    assert p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr
    p = ss("analyze")
    assert p.returncode == 2 and "no capture file" in p.stderr
    p = ss("analyze", "--max-flows", "zero", mini())
    assert p.returncode == 2 and "--max-flows" in p.stderr
    p = ss("report", "--format", "xml")
    assert p.returncode == 2 and "--format" in p.stderr
    p = ss("capture")
    assert p.returncode == 2 and "no interface" in p.stderr


def test_analyze_mini_and_json_contract():
    db = db_path("mini")
    p = ss("analyze", "--db", db, mini())
    assert p.returncode == 0, p.stderr
    assert "stored as capture 1" in p.stdout, p.stdout
    rep = report(db)
    for arr in ("captures", "flows", "tls", "stun", "dns", "sessions", "verdicts", "checklist",
                "hosts"):
        assert isinstance(rep[arr], list), arr
    (cap,) = rep["captures"]
    with open(mini(), "rb") as f:
        assert cap["sha256"] == hashlib.sha256(f.read()).hexdigest()
    assert cap["source"] == mini()
    assert cap["packets"] == count_pcap_records(mini())
    assert cap["linktype"] == "EN10MB", cap["linktype"]
    assert cap["first"] <= cap["last"]
    fields = ("proto", "src", "sport", "dst", "dport", "first", "last", "pkts_out", "pkts_in",
              "bytes_out", "bytes_in", "state", "app", "host", "rule", "channeldata")
    assert rep["flows"], "no flows"
    for fl in rep["flows"]:
        for k in fields:
            assert k in fl, k
        assert (fl["state"] is None) == (fl["proto"] != "tcp"), fl
        assert fl["first"] <= fl["last"]


def test_mini_truth():
    """Every flow the lab's truth file lists is stored with that 5-tuple and state."""
    db = db_path("mini")
    if not os.path.exists(db):
        assert ss("analyze", "-q", "--db", db, mini()).returncode == 0
    rep = report(db)
    flows = {(f["proto"], f["src"], f["sport"], f["dst"], f["dport"]): f for f in rep["flows"]}
    n = 0
    with open(os.path.join(ARGS.pcaps, "mini.truth.tsv")) as f:
        header = None
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
                continue
            row = dict(zip(header, cols))
            k = (row["proto"], row["src"], int(row["sport"]), row["dst"], int(row["dport"]))
            assert k in flows, f"truth flow {k} ({row.get('what')}) not found"
            if row["state"] != "-":
                assert flows[k]["state"] == row["state"], (k, flows[k]["state"], row["state"])
            n += 1
    assert n >= 5, n


def test_tls_chain_and_ca_bundle():
    """The lab's HTTPS server has a certificate from the lab's own CA (pcaps/mini.ca.pem):
    untrusted by the system store alone, valid once the school adds that CA."""
    def tls_row(db, *extra):
        assert ss("analyze", "-q", "--db", db, *extra, mini()).returncode == 0
        rows = [t for t in report(db)["tls"] if t["sni"] == "app.senso.cloud"]
        assert len(rows) == 1, rows
        return rows[0]
    plain = tls_row(db_path("tls_plain"))
    assert plain["version"] == "1.2", plain["version"]
    assert plain["chain_valid"] is False, plain
    assert plain["cert_issuer"] and "sensoscope lab CA" in plain["cert_issuer"], plain
    assert plain["cert_subject"] and "app.senso.cloud" in plain["cert_subject"], plain
    trusted = tls_row(db_path("tls_ca"), "--ca-bundle", os.path.join(ARGS.pcaps, "mini.ca.pem"))
    assert trusted["chain_valid"] is True, trusted
    assert trusted["cert_sha256"] == plain["cert_sha256"] and len(plain["cert_sha256"]) == 64
    unverified = tls_row(db_path("tls_nover"), "--no-verify")
    assert unverified["chain_valid"] is None, unverified
    # the flow carries the SNI as its host name; the IPv6 connection has TLS 1.3 (no chain)
    flows = report(db_path("tls_plain"))["flows"]
    assert any(f["host"] == "app.senso.cloud" and f["dport"] == 443 for f in flows)
    v6 = [t for t in report(db_path("tls_plain"))["tls"] if t["sni"] == "eu.service.signalr.net"]
    assert len(v6) == 1 and v6[0]["version"] == "1.3" and v6[0]["chain_valid"] is None, v6
    p = ss("analyze", "--db", db_path("tls_bad"), "--ca-bundle",
           os.path.join(ARGS.pcaps, "mini.truth.tsv"), mini())
    assert p.returncode == 1 and "--ca-bundle" in p.stderr, p.stderr


def test_tls_inside_socks5():
    """nDPI/tls_heur__trojan-tcp-tls.pcapng: TLS through a SOCKS5 proxy on port 1080. The
    proxy's reply code 0 (succeeded, RFC 1928 §6) is a real status, not a missing one."""
    db = db_path("socks5")
    assert ss("analyze", "-q", "--db", db, ext("nDPI/tls_heur__trojan-tcp-tls.pcapng")).returncode == 0
    socks = [t for t in report(db)["tls"] if t["proxy"] and t["proxy"]["kind"] == "socks5"]
    assert socks, report(db)["tls"]
    for t in socks:
        assert t["dport"] == 1080 and t["proxy"]["status"] == 0, t
        assert t["sni"] and t["proxy"]["port"] == 443, t


def test_reanalysis_does_not_duplicate():
    db = db_path("dup")
    assert ss("analyze", "-q", "--db", db, mini()).returncode == 0
    first = report(db)
    p = ss("analyze", "--db", db, mini())
    assert p.returncode == 0 and "already in the database as capture 1" in p.stdout, p.stdout
    again = report(db)
    assert len(again["captures"]) == 1 and len(again["flows"]) == len(first["flows"])
    p = ss("analyze", "-q", "--force", "--db", db, mini())
    assert p.returncode == 0, p.stderr
    forced = report(db)
    assert len(forced["captures"]) == 1 and len(forced["flows"]) == len(first["flows"])
    assert forced["captures"][0]["sha256"] == first["captures"][0]["sha256"]


def test_truncated_file_keeps_what_came_before():
    src = ext("nDPI/http_connect.pcap")
    with open(src, "rb") as f:
        data = f.read()
    cut = os.path.join(WORK, "cut.pcap")
    with open(cut, "wb") as f:
        f.write(data[:len(data) - 700])
    db = db_path("cut")
    p = ss("analyze", "--db", db, cut)
    assert p.returncode == 0, p.stderr
    m = re.search(r"warning: .*frame (\d+).*offset (\d+)", p.stderr)
    assert m, p.stderr
    frame, offset = int(m.group(1)), int(m.group(2))
    rep = report(db)
    (cap,) = rep["captures"]
    assert cap["packets"] == frame - 1, (cap["packets"], frame)
    assert cap["status"] == "truncated"
    assert 24 < offset < len(data) - 700
    assert len(rep["flows"]) >= 3


def test_unsupported_linktype_is_named():
    path = os.path.join(WORK, "wifi.pcap")
    frame = b"\x08\x00" + b"\x00" * 30
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 105))
        f.write(struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame)
    p = ss("analyze", "--db", db_path("wifi"), path)
    assert p.returncode == 1, p.returncode
    assert "IEEE802_11" in p.stderr and "wifi.pcap" in p.stderr, p.stderr


def test_not_a_capture():
    path = os.path.join(WORK, "notes.txt")
    with open(path, "w") as f:
        f.write("this is not a capture file\n" * 10)
    p = ss("analyze", "--db", db_path("notes"), path)
    assert p.returncode == 1 and "notes.txt" in p.stderr, p.stderr
    assert p.stderr.count("\n") <= 2, p.stderr


def test_missing_file_and_database():
    p = ss("analyze", "--db", db_path("missing"), os.path.join(WORK, "nope.pcap"))
    assert p.returncode == 1 and "nope.pcap" in p.stderr
    p = ss("report", "--db", os.path.join(WORK, "absent.db"))
    assert p.returncode == 1 and "absent.db" in p.stderr, p.stderr


def test_stdin_and_several_files():
    with open(mini(), "rb") as f:
        data = f.read()
    db = db_path("stdin")
    p = ss_bytes_stdin(data, "analyze", "-q", "--db", db, "-")
    assert p.returncode == 0, p.stderr
    rep = report(db)
    (cap,) = rep["captures"]
    assert cap["source"] == "-" and cap["sha256"] is None
    assert cap["packets"] == count_pcap_records(mini())
    db2 = db_path("multi")
    p = ss("analyze", "--db", db2, mini(), ext("arkime/tls13.pcap"), ext("arkime/turn.pcap"))
    assert p.returncode == 0, p.stderr
    assert "total: 3 files analysed" in p.stdout, p.stdout
    assert len(report(db2)["captures"]) == 3
    assert len(report(db2, "--capture", "2")["captures"]) == 1


def test_locked_database_is_a_clear_error():
    db = db_path("locked")
    assert ss("analyze", "-q", "--db", db, ext("arkime/tls13.pcap")).returncode == 0
    con = sqlite3.connect(db, isolation_level=None, timeout=1)
    con.execute("BEGIN EXCLUSIVE")
    try:
        p = ss("analyze", "-q", "--db", db, ext("arkime/turn.pcap"), timeout=120)
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "locked" in p.stderr or "busy" in p.stderr, p.stderr


def test_flow_cap_on_real_capture():
    """More flows than the cap: the table never holds more, evicted flows are stored."""
    cap_path = ext("nDPI/synscan.pcap")
    full, small = db_path("cap_full"), db_path("cap_small")
    assert ss("analyze", "-q", "--db", full, cap_path).returncode == 0
    p = ss("analyze", "--max-flows", "16", "--db", small, cap_path)
    assert p.returncode == 0, p.stderr
    m = re.search(r"peak (\d+) flows held \(cap 16\), (\d+) evicted", p.stdout)
    assert m, p.stdout
    peak, evicted = int(m.group(1)), int(m.group(2))
    assert peak <= 16 and evicted > 0, (peak, evicted)
    a, b = report(full)["flows"], report(small)["flows"]
    assert len(a) > 16
    # Unordered: after an eviction, the initiator of a flow's later packets is inferred again.
    tuples = lambda fl: {(f["proto"],) + tuple(sorted([(f["src"], f["sport"]),
                                                        (f["dst"], f["dport"])])) for f in fl}
    assert tuples(a) == tuples(b), "a flow was lost to eviction"
    assert sum(f["pkts_out"] + f["pkts_in"] for f in a) == \
        sum(f["pkts_out"] + f["pkts_in"] for f in b), "packets lost to eviction"
    assert sum(1 for f in b if f.get("end_reason") == "evicted") == evicted


def test_rules_direct_section_round_trip():
    """A profile's [direct] section is shown by `rules` and survives `rules --format ini`."""
    prof = os.path.join(WORK, "direct.ini")
    with open(prof, "w") as f:
        f.write("[profile]\nname = t\n[rule cloud]\nhosts = *.senso.cloud\nports = tcp/443\n"
                "[direct]\nports = tcp/30200 udp/30201-30202\nexclude = tcp/9000\n")
    p = ss("rules", "--profile", prof)
    assert p.returncode == 0, p.stderr
    assert "method 1 (direct, LAN): tcp/30200, udp/30201-30202\n" in p.stdout, p.stdout
    p = ss("rules", "--profile", prof, "--format", "ini")
    assert p.returncode == 0, p.stderr
    assert "\n[direct]\nports = tcp/30200 udp/30201-30202\nexclude = tcp/9000\n" in p.stdout
    again = os.path.join(WORK, "direct2.ini")
    with open(again, "w") as f:
        f.write(p.stdout)
    q = ss("rules", "--profile", again, "--format", "ini")
    assert q.returncode == 0, q.stderr
    assert q.stdout.split("\n", 1)[1] == p.stdout.split("\n", 1)[1]  # but the "from" line
    p = ss("rules")
    assert "method 1 (direct, LAN): any port from 1024 up but well-known services" in p.stdout


def main():
    global ARGS, WORK
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensoscope", required=True)
    ap.add_argument("--pcaps", required=True)
    ap.add_argument("--external", required=True)
    ARGS = ap.parse_args()
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    needs_external = {"test_truncated_file_keeps_what_came_before", "test_stdin_and_several_files",
                      "test_locked_database_is_a_clear_error", "test_flow_cap_on_real_capture",
                      "test_tls_inside_socks5"}
    passed = failed = skipped = 0
    with tempfile.TemporaryDirectory(prefix="ss-cli-") as WORK:
        for name, fn in tests:
            if name in needs_external and not os.path.isdir(ARGS.external):
                print(f"skip {name}: no external corpus")
                skipped += 1
                continue
            try:
                fn()
                print(f"ok   {name}")
                passed += 1
            except Exception:  # noqa: BLE001 - report every failure and go on
                print(f"FAIL {name}")
                traceback.print_exc(limit=3)
                failed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
