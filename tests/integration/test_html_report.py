#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The HTML report in a real browser.

Analyses pcaps/demo.pcapng into a temporary database, writes `sensoscope report --format html`
and checks it:
  - as markup (python's html.parser): HTML5 frame (doctype, lang, charset, viewport, the CSP
    meta), every element closed in order, no <script> or other active or loading element, no
    URL that leaves the page (href only "#...", src only "data:", no url() in styles), no
    http:// or https:// anywhere;
  - in headless Chromium (Debian's chromium): rendered to PNG at 1280 px, the PNG is decoded
    (zlib + struct, stdlib only) and must be big and varied (not a blank page), and Chromium
    must log no console message, CSP violation or load attempt. A control page that does try
    to load something proves the log check sees such errors in this Chromium build;
  - with hostile strings written into the database (markup, quotes, control characters,
    invalid UTF-8, 64 KiB values) in the columns the report shows: the same checks, plus
    strict UTF-8 and no raw control characters.
Exits 77 (skipped, said loudly) only when chromium is not installed.
"""
import argparse
import html.parser
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import zlib

WIDTH, HEIGHT = 1280, 2400
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# Elements that run code, embed or load other documents, or submit anywhere.
FORBIDDEN = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "link",
             "base", "form", "audio", "video", "source", "track", "portal", "noscript"}
# SVG elements that are self-closed in our output ("<rect .../>").
SVG_SELF = {"rect", "line", "circle", "path", "polyline", "polygon", "ellipse", "stop"}
# Chromium log lines that mean the page tried something it should not, or failed.
BAD_LOG = re.compile(r"CONSOLE|Content.Security.Policy|Refused to|net::ERR_|Failed to load|"
                     r"Uncaught|Not allowed to load", re.I)

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


class Checker(html.parser.HTMLParser):
    """Well-formedness and no-external-resource checks over the parser's events."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.doctype = None
        self.metas = []
        self.html_lang = None
        self.text = []

    def handle_decl(self, decl):
        self.doctype = decl

    def _attrs(self, tag, attrs):
        for name, value in attrs:
            v = (value or "").strip()
            if name.startswith("on"):
                self.errors.append(f"event handler attribute {name} on <{tag}>")
            if name in ("href", "xlink:href") and not v.startswith("#"):
                self.errors.append(f"<{tag} {name}={v[:60]!r}> leaves the page")
            if name in ("src", "srcset", "poster", "data", "action", "formaction", "background"):
                if not v.startswith("data:"):
                    self.errors.append(f"<{tag} {name}={v[:60]!r}> loads a resource")
            if name == "style" and re.search(r"url\s*\(|@import|expression\s*\(", v, re.I):
                self.errors.append(f"<{tag} style> loads a resource: {v[:60]!r}")

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN:
            self.errors.append(f"forbidden element <{tag}>")
        if tag == "meta":
            self.metas.append(dict(attrs))
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        if tag in FORBIDDEN:
            self.errors.append(f"forbidden element <{tag}>")
        self._attrs(tag, attrs)
        if tag not in VOID and tag not in SVG_SELF:
            self.errors.append(f"self-closed non-void <{tag}/> at line {self.getpos()[0]}")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag of void element </{tag}> at line {self.getpos()[0]}")
            return
        if not self.stack:
            self.errors.append(f"</{tag}> with nothing open at line {self.getpos()[0]}")
            return
        top, pos = self.stack.pop()
        if top != tag:
            self.errors.append(f"</{tag}> at line {self.getpos()[0]} closes <{top}> "
                               f"opened at line {pos[0]}")

    def handle_data(self, data):
        self.text.append(data)


def check_markup(path, label, strict_urls=True):
    raw = open(path, "rb").read()
    try:
        doc = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"{label}: not valid UTF-8: {e}")
        doc = raw.decode("utf-8", "replace")
    ctrl = [c for c in doc if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f]
    if ctrl:
        fail(f"{label}: {len(ctrl)} raw control characters, e.g. {ctrl[0]!r}")
    if not doc.lower().startswith("<!doctype html>"):
        fail(f"{label}: does not start with <!doctype html>")
    p = Checker()
    p.feed(doc)
    p.close()
    for e in p.errors[:20]:
        fail(f"{label}: {e}")
    if p.stack:
        fail(f"{label}: unclosed elements: {[t for t, _ in p.stack][:10]}")
    if not p.html_lang:
        fail(f"{label}: <html> has no lang")
    metas = p.metas
    if not any(m.get("charset", "").lower() == "utf-8" for m in metas):
        fail(f"{label}: no <meta charset=utf-8>")
    if not any(m.get("name") == "viewport" for m in metas):
        fail(f"{label}: no viewport meta")
    csp = [m.get("content") for m in metas
           if (m.get("http-equiv") or "").lower() == "content-security-policy"]
    if csp != [CSP]:
        fail(f"{label}: CSP meta is {csp!r}, expected [{CSP!r}]")
    if strict_urls:
        for pat in ("http://", "https://", "src=", "url("):
            if pat in doc:
                fail(f"{label}: contains {pat!r}")
        for m in re.finditer(r"href\s*=\s*\"([^\"]*)\"", doc):
            if not m.group(1).startswith("#"):
                fail(f"{label}: href {m.group(1)[:60]!r}")
    return doc, "".join(p.text)


def chromium_cmd(browser, profile, url, png):
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--hide-scrollbars",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
            f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", url]


def render(browser, html_path, png, tmp):
    """Renders @html_path to @png; returns the log lines that report a page problem."""
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
    r = subprocess.run(chromium_cmd(browser, profile, "file://" + os.path.abspath(html_path), png),
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, LANG="C.UTF-8"))
    if r.returncode != 0:
        fail(f"chromium exited {r.returncode} on {html_path}: {r.stderr[-800:]}")
    return [ln for ln in (r.stdout + r.stderr).splitlines() if BAD_LOG.search(ln)]


def png_decode(path):
    """(width, height, rows of bytes, bytes per pixel) of an 8-bit RGB/RGBA PNG."""
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(d):
        n, t = struct.unpack(">I4s", d[pos:pos + 8])
        body = d[pos + 8:pos + 8 + n]
        pos += 12 + n
        if t == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif t == b"IDAT":
            idat += body
        elif t == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"unexpected PNG format depth={depth} type={ctype}")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 255
        elif f == 3:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + (a + prev[x]) // 2) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def check_png(png, label, min_kb=40, min_colors=64):
    if not os.path.exists(png):
        fail(f"{label}: no PNG written")
        return
    size = os.path.getsize(png)
    if size < min_kb * 1024:
        fail(f"{label}: PNG is only {size} bytes")
    try:
        w, h, rows, bpp = png_decode(png)
    except (ValueError, zlib.error, struct.error, TypeError) as e:
        fail(f"{label}: PNG does not decode: {e}")
        return
    if (w, h) != (WIDTH, HEIGHT):
        fail(f"{label}: PNG is {w}x{h}, expected {WIDTH}x{HEIGHT}")
    colors, inked = set(), 0
    bg = rows[h // 2][:3]
    for y in range(0, h, 4):
        row = rows[y]
        for x in range(0, w * bpp, 3 * bpp):
            px = row[x:x + 3]
            colors.add(px)
            inked += px != bg
    samples = len(range(0, h, 4)) * len(range(0, w * bpp, 3 * bpp))
    print(f"{label}: PNG {w}x{h}, {size} bytes, {len(colors)} colours sampled, "
          f"{100.0 * inked / samples:.0f}% not background", flush=True)
    if len(colors) < min_colors:
        fail(f"{label}: only {len(colors)} distinct colours: blank or broken page")


HOSTILE = ("<script>alert('x')</script>\"'><img src=x onerror=alert(1)>&amp;&#0;"
           "\x01\x07\x1b[31m\u202etxt.exe\u202c ")


def poison(db):
    """Writes hostile values into the columns the report shows."""
    bad_utf8 = b"caf\xc3 \xff\xfe \xed\xa0\x80 \xc0\xaf"
    big = "A" * 65536
    con = sqlite3.connect(db)
    cur = con.cursor()
    cur.execute("UPDATE sessions SET explanation = ? || CAST(? AS TEXT) || ?",
                (HOSTILE, bad_utf8, big))
    cur.execute("UPDATE verdicts SET evidence = ? || CAST(? AS TEXT)", (HOSTILE, bad_utf8))
    cur.execute("UPDATE verdicts SET host = ? WHERE rowid % 2 = 0", (HOSTILE + big,))
    cur.execute("UPDATE tls SET sni = ? || ?", (HOSTILE, big))
    cur.execute("UPDATE flows SET host = CAST(? AS TEXT), app = ?", (bad_utf8, HOSTILE))
    cur.execute("UPDATE stun SET username = ? || ?", (HOSTILE, big))
    cur.execute("UPDATE dns SET qname = ? || CAST(? AS TEXT)", (HOSTILE, bad_utf8))
    cur.execute("UPDATE hosts SET names = ?", ('["' + "<b>x</b>\\u0000\\\"" + big + '"]',))
    cur.execute("UPDATE sessions SET kind = ? WHERE rowid = 1", ("<svg onload=alert(1)>",))
    con.commit()
    con.close()


def run(cmd, label):
    r = subprocess.run(cmd, capture_output=True, timeout=300)
    if r.returncode != 0:
        fail(f"{label}: exit {r.returncode}: {r.stderr.decode('utf-8', 'replace')[-800:]}")
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sensoscope", required=True)
    ap.add_argument("--pcaps", required=True)
    ap.add_argument("--chromium", default=None)
    ap.add_argument("--keep", default=None, help="directory to keep the HTML and PNG files in")
    a = ap.parse_args()

    browser = a.chromium or shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if not browser:
        print("=" * 72 + "\nSKIPPED: chromium is not installed (apt-get install chromium);\n"
              "the HTML report was not checked in a browser.\n" + "=" * 72, flush=True)
        return 77

    demo = os.path.join(a.pcaps, "demo.pcapng")
    ca = os.path.join(a.pcaps, "demo.ca.pem")
    with tempfile.TemporaryDirectory(prefix="ss-html-") as tmp:
        out = a.keep or tmp
        os.makedirs(out, exist_ok=True)
        db = os.path.join(tmp, "demo.db")
        cmd = [a.sensoscope, "analyze", "--db", db]
        if os.path.exists(ca):
            cmd += ["--ca-bundle", ca]
        run(cmd + [demo], "analyze")

        # 0. The log check must see a page that tries to load something.
        control = os.path.join(tmp, "control.html")
        with open(control, "w") as f:
            f.write("<!doctype html><html lang=en><head><meta charset=utf-8>"
                    f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
                    "</head><body><p>control</p><img src=\"http://127.0.0.1:9/x.png\">"
                    "<script>console.log('ran')</script></body></html>")
        bad = render(browser, control, os.path.join(tmp, "control.png"), tmp)
        if not bad:
            fail("the control page's CSP violations were not seen in chromium's log: "
                 "the console check would be blind")

        # 1. The demo report.
        report = os.path.join(out, "report.html")
        run([a.sensoscope, "report", "--db", db, "--format", "html", "-o", report], "report")
        doc, text = check_markup(report, "demo report")
        for must in ("Requirement checklist", "Routing methods", "Sessions over time", "Hosts",
                     "Verdicts", "Sessions", "<svg"):
            if must not in doc:
                fail(f"demo report: no {must!r}")
        if doc.count("<svg") < 3:
            fail(f"demo report: {doc.count('<svg')} SVG charts, expected 3")
        png = os.path.join(out, "report.png")
        for ln in render(browser, report, png, tmp):
            fail(f"demo report: chromium: {ln}")
        check_png(png, "demo report")

        # 2. With --details.
        details = os.path.join(out, "report-details.html")
        run([a.sensoscope, "report", "--db", db, "--format", "html", "--details", "-o",
             details], "report --details")
        doc, _ = check_markup(details, "details report")
        for must in ('id="flows"', 'id="tls"', 'id="stun"', 'id="dns"'):
            if must not in doc:
                fail(f"details report: no {must}")
        for ln in render(browser, details, os.path.join(out, "report-details.png"), tmp):
            fail(f"details report: chromium: {ln}")

        # 3. Hostile values in the database.
        poison(db)
        hostile = os.path.join(out, "report-hostile.html")
        run([a.sensoscope, "report", "--db", db, "--format", "html", "--details", "-o",
             hostile], "report of hostile values")
        doc, text = check_markup(hostile, "hostile report", strict_urls=False)
        if "<script>alert" in doc or "<img src=x" in doc or "<svg onload" in doc:
            fail("hostile report: markup from the database was not escaped")
        if "&lt;script&gt;alert(" not in doc:
            fail("hostile report: the escaped hostile text is missing")
        if "A" * 5000 in doc:
            fail("hostile report: a 64 KiB value was not cut")
        for ln in render(browser, hostile, os.path.join(out, "report-hostile.png"), tmp):
            fail(f"hostile report: chromium: {ln}")
        check_png(os.path.join(out, "report-hostile.png"), "hostile report")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok: HTML report well-formed, self-contained, rendered by chromium without errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
