/* SPDX-License-Identifier: MIT */
/*
 * rep_html.c - the HTML report: one self-contained HTML5 file with inline CSS and inline SVG
 * charts drawn here (routing methods, sessions over time, checklist status); no scripts and
 * no external resources (a Content-Security-Policy meta forbids loading any), readable
 * without JavaScript and printable. The page opens with a verdict an admin reads in seconds
 * (how many requirements are blocked or inspected, and the changes to make), then the
 * sections of the text report: summary, requirement checklist, routing methods, sessions over
 * time, hosts, verdicts, sessions and, with --details, flows, TLS, STUN and DNS.
 *
 * Every string from the database came from packets: it goes through rep__escape() (valid
 * UTF-8, control and bidi characters shown as \xNN / \u{NNNN}, cut at a character boundary
 * with "...") and then through the HTML escaper (& < > " '), in text, attributes and SVG
 * alike. With --anonymize, every address, name and free text passes rep__anon_* first.
 * The output is streamed: the store is walked several times (totals first, then rows), so
 * memory does not grow with the number of flows or sessions.
 */
#include "rep_int.h"

#include <string.h>

#include <jansson.h>

#define H__CELL 320      /* bytes kept of a name or address in a cell */
#define H__LONG 4096     /* bytes kept of an explanation, evidence or change */
#define H__EXPLAIN 6     /* explanations listed per routing method */
#define H__TIMELINE 300  /* sessions drawn in the timeline */
#define H__TL_ROW 20     /* timeline row height, px */
#define H__TL_LABEL 190  /* timeline label column, px */
#define H__TL_WIDTH 1120 /* timeline width, px (it shrinks to fit a narrower window) */

/* ---- buckets: a session's routing method and sub-method ---- */

enum h__bucket {
    H__M1,
    H__M2_HOST,
    H__M2_SRFLX,
    H__M2,
    H__M3_UDP,
    H__M3_TCP,
    H__M3_TLS,
    H__M3,
    H__BCAST,
    H__TURN_IDLE,
    H__NONE,
    H__NBUCKETS
};

static const struct {
    const char *label; /* for people */
    const char *brief; /* the timeline's label column */
    const char *color; /* fill; text labels carry the meaning too */
} h__buckets[H__NBUCKETS] = {
    [H__M1] = {"Method 1 \xc2\xb7 direct on the LAN", "M1 direct", "#0f766e"},
    [H__M2_HOST] = {"Method 2 \xc2\xb7 host (LAN)", "M2 host", "#1d4ed8"},
    [H__M2_SRFLX] = {"Method 2 \xc2\xb7 srflx (through NAT)", "M2 srflx", "#3b82f6"},
    [H__M2] = {"Method 2", "M2", "#60a5fa"},
    [H__M3_UDP] = {"Method 3 \xc2\xb7 relay over UDP", "M3 relay-udp", "#7e22ce"},
    [H__M3_TCP] = {"Method 3 \xc2\xb7 relay over TCP", "M3 relay-tcp", "#a855f7"},
    [H__M3_TLS] = {"Method 3 \xc2\xb7 relay over TLS", "M3 relay-tls", "#c084fc"},
    [H__M3] = {"Method 3", "M3", "#d8b4fe"},
    [H__BCAST] = {"Screen broadcast (TCP 30100)", "broadcast", "#64748b"},
    [H__TURN_IDLE] = {"TURN allocation, not used", "TURN unused", "#94a3b8"},
    [H__NONE] = {"No working path", "no path", "#b91c1c"},
};

static int h__is(const char *s, const char *v)
{
    return s && !strcmp(s, v);
}

static enum h__bucket h__bucket_of(const struct sto_session_row *r)
{
    switch (r->method) {
    case 1:
        return H__M1;
    case 2:
        return h__is(r->submethod, "host")    ? H__M2_HOST
               : h__is(r->submethod, "srflx") ? H__M2_SRFLX
                                              : H__M2;
    case 3:
        return h__is(r->submethod, "relay-udp")   ? H__M3_UDP
               : h__is(r->submethod, "relay-tcp") ? H__M3_TCP
               : h__is(r->submethod, "relay-tls") ? H__M3_TLS
                                                  : H__M3;
    default:
        break;
    }
    if (h__is(r->kind, "broadcast"))
        return H__BCAST;
    if (h__is(r->kind, "turn"))
        return H__TURN_IDLE;
    return H__NONE;
}

/* Sessions between the product's peers (the rest are broadcasts and idle TURN allocations). */
static int h__peer_bucket(int b)
{
    return b <= H__M3 || b == H__NONE;
}

/* A TURN allocation that carries an ICE session's selected pair is that session's relay: the
 * session is counted once, as the ICE session. */
static int h__counted(const struct sto_session_row *r)
{
    return !(h__is(r->kind, "turn") && r->method > 0 && r->link_id > 0);
}

/* ---- checklist statuses ---- */

enum h__status { H__OK, H__BLOCKED, H__INSPECTED, H__NOT_SEEN, H__NSTATUS };

static const struct {
    const char *cls, *label, *icon, *color;
} h__statuses[H__NSTATUS] = {
    [H__OK] = {"ok", "OK", "\xe2\x9c\x93", "#15803d"},                  /* check mark */
    [H__BLOCKED] = {"blocked", "Blocked", "\xe2\x9c\x95", "#b91c1c"},   /* multiplication x */
    [H__INSPECTED] = {"inspected", "Inspected", "!", "#b45309"},        /* */
    [H__NOT_SEEN] = {"notseen", "Not seen", "\xe2\x80\x93", "#64748b"}, /* en dash */
};

static enum h__status h__status_of(const char *s)
{
    if (h__is(s, "ok"))
        return H__OK;
    if (h__is(s, "blocked"))
        return H__BLOCKED;
    if (h__is(s, "inspected"))
        return H__INSPECTED;
    return H__NOT_SEEN;
}

/* ---- state ---- */

struct h__ctx {
    struct sto_db *db;
    const struct rep_opts *o;
    struct rep__out *w;
    struct rep__anon *an; /* NULL without --anonymize */
    char *err;

    /* checklist */
    int64_t st[H__NSTATUS];
    int64_t rules;

    /* sessions (first pass) */
    int64_t sessions; /* every session row */
    int64_t counted;  /* those counted per method (h__counted) */
    int64_t b_n[H__NBUCKETS];
    int64_t b_bytes[H__NBUCKETS];
    double b_rtt[H__NBUCKETS]; /* sum of the selected pairs' round-trip times, ms */
    int64_t b_rtt_n[H__NBUCKETS];
    double t0, t1; /* first and last time of the sessions */

    /* hosts, verdicts */
    int64_t hosts, product_hosts, v_blocked, v_inspected;

    /* walks */
    int bucket; /* the bucket being listed; -1 for all */
    int64_t n, shown;
    double rtt; /* pair walk result, ms; < 0 unknown */
};

/* ---- writing ---- */

/* Writes @p s with & < > " ' as character references. @p s must be valid UTF-8 without
 * controls: the output of rep__escape(). */
static void h__esc_raw(struct rep__out *w, const char *s)
{
    const char *run = s;

    for (; *s; s++) {
        const char *ent;

        switch (*s) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        rep__write(w, run, (size_t)(s - run));
        rep__puts(w, ent);
        run = s + 1;
    }
    rep__write(w, run, (size_t)(s - run));
}

/* Writes untrusted @p s (NULL: @p none) for text or an attribute value, cut to about @p max
 * bytes (at most H__LONG). */
static void h__text(struct rep__out *w, const char *s, size_t max, const char *none)
{
    char buf[H__LONG];

    if (!s || !*s) {
        h__esc_raw(w, none);
        return;
    }
    rep__escape(s, buf, max < sizeof buf ? max : sizeof buf);
    h__esc_raw(w, buf);
}

/* Writes @p s as the safe part of an id or a "#" link: letters, digits, '-' and '_' kept, any
 * other byte as '_'; at most 64 bytes. */
static void h__anchor(struct rep__out *w, const char *s)
{
    char buf[65];
    size_t i;

    for (i = 0; s && s[i] && i < sizeof buf - 1; i++) {
        char ch = s[i];

        buf[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                         ch == '-' || ch == '_'
                     ? ch
                     : '_';
    }
    buf[i] = '\0';
    rep__puts(w, buf);
}

static void h__addr(struct h__ctx *c, const char *a)
{
    char buf[H__CELL];

    h__text(c->w, a ? rep__anon_addr(c->an, a, buf, sizeof buf) : NULL, H__CELL, "?");
}

static void h__name(struct h__ctx *c, const char *n, const char *none)
{
    char buf[H__CELL];

    h__text(c->w, n ? rep__anon_name(c->an, n, buf, sizeof buf) : NULL, H__CELL, none);
}

static void h__free(struct h__ctx *c, const char *s, size_t max, const char *none)
{
    char buf[H__LONG];

    h__text(c->w, s ? rep__anon_text(c->an, s, buf, sizeof buf) : NULL, max, none);
}

/* "ip:port" of a stored transport address ("[v6]:port" already bracketed) is free text for
 * the anonymiser: the address inside it is replaced, the port kept. */
static void h__taddr(struct h__ctx *c, const char *ta)
{
    h__free(c, ta, H__CELL, "-");
}

/* An endpoint from separate address and port. */
static void h__endpoint(struct h__ctx *c, const char *addr, int port, const char *proto)
{
    int ports = h__is(proto, "tcp") || h__is(proto, "udp");
    int v6 = addr && strchr(addr, ':') != NULL;

    if (ports && v6)
        rep__puts(c->w, "[");
    h__addr(c, addr);
    if (ports)
        rep__printf(c->w, "%s:%d", v6 ? "]" : "", port);
}

static void h__time(struct rep__out *w, double t)
{
    char buf[40];

    rep__iso8601(t, buf, sizeof buf);
    /* "2026-11-25T04:09:29.316Z" -> "2026-11-25 04:09:29.316" for people; UTC is in the
     * column header. */
    if (strlen(buf) > 20 && buf[10] == 'T') {
        buf[10] = ' ';
        buf[strlen(buf) - 1] = '\0';
    }
    rep__puts(w, buf);
}

static void h__bytes(struct rep__out *w, int64_t n)
{
    char buf[24];

    rep__bytes(n, buf, sizeof buf);
    rep__puts(w, buf);
}

static void h__duration(struct rep__out *w, double s)
{
    char buf[24];

    rep__duration(s, buf, sizeof buf);
    rep__puts(w, buf);
}

static void h__badge(struct rep__out *w, enum h__status s)
{
    rep__printf(w, "<span class=\"badge s-%s\"><span aria-hidden=\"true\">%s</span> %s</span>",
                h__statuses[s].cls, h__statuses[s].icon, h__statuses[s].label);
}

/* Store walk result: -1 becomes the store's message; a stop for a write error is -1 too. */
static int h__check(struct h__ctx *c, int rc)
{
    if (rc < 0) {
        snprintf(c->err, SS_ERRBUF_SIZE, "%s", sto_errstr(c->db));
        return -1;
    }
    return c->w->err ? -1 : 0;
}

/* The elements of a stored JSON array (hosts.names, hosts.methods), escaped, comma
 * separated; names through the anonymiser. */
static void h__array(struct h__ctx *c, const char *a, int names)
{
    json_t *j = a ? json_loads(a, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    int any = 0;

    if (!json_is_array(j)) {
        json_decref(j);
        h__free(c, a, H__CELL, "\xe2\x80\x94");
        return;
    }
    json_array_foreach(j, i, v)
    {
        if (json_is_string(v)) {
            rep__puts(c->w, any ? ", " : "");
            if (names)
                h__name(c, json_string_value(v), "?");
            else
                h__text(c->w, json_string_value(v), H__CELL, "?");
            any = 1;
        } else if (json_is_integer(v)) {
            rep__printf(c->w, "%s%lld", any ? ", " : "", (long long)json_integer_value(v));
            any = 1;
        }
    }
    json_decref(j);
    if (!any)
        rep__puts(c->w, "\xe2\x80\x94");
}

/* ---- page frame ---- */

static const char h__css[] =
    ":root{--fg:#0f172a;--muted:#475569;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;"
    "--ok:#15803d;--ok-bg:#dcfce7;--bad:#b91c1c;--bad-bg:#fee2e2;--warn:#b45309;"
    "--warn-bg:#fef3c7;--na:#475569;--na-bg:#f1f5f9;--accent:#1d4ed8}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Noto Sans','DejaVu Sans',Arial,sans-serif}\n"
    "main{max-width:1200px;margin:0 auto;padding:0 24px 48px}\n"
    "header.top{background:#0f172a;color:#e2e8f0;padding:20px 0 18px}\n"
    "header.top .in{max-width:1200px;margin:0 auto;padding:0 24px}\n"
    "header.top .brand{font-size:12px;letter-spacing:.12em;text-transform:uppercase;"
    "color:#94a3b8}\n"
    "header.top h1{margin:2px 0 4px;font-size:26px;font-weight:650;color:#fff}\n"
    "header.top p{margin:0;color:#cbd5e1;font-size:14px;overflow-wrap:anywhere}\n"
    "h2{font-size:20px;margin:36px 0 10px;padding-bottom:6px;border-bottom:2px solid var(--line)}"
    "\n"
    "h3{font-size:16px;margin:20px 0 6px}\n"
    "p.note{color:var(--muted);margin:4px 0 12px}\n"
    ".verdict{display:flex;gap:18px;align-items:flex-start;margin:22px 0 14px;padding:18px 22px;"
    "border-radius:10px;border:1px solid;border-left-width:8px}\n"
    ".verdict .icon{flex:none;width:44px;height:44px;border-radius:50%;color:#fff;"
    "font-size:26px;font-weight:700;line-height:44px;text-align:center}\n"
    ".verdict h2{margin:0 0 4px;border:0;padding:0;font-size:22px}\n"
    ".verdict p{margin:0;color:#1e293b}\n"
    ".v-bad{background:var(--bad-bg);border-color:var(--bad)}.v-bad .icon{background:var(--bad)}"
    "\n"
    ".v-warn{background:var(--warn-bg);border-color:var(--warn)}"
    ".v-warn .icon{background:var(--warn)}\n"
    ".v-ok{background:var(--ok-bg);border-color:var(--ok)}.v-ok .icon{background:var(--ok)}\n"
    ".v-na{background:var(--na-bg);border-color:var(--na)}.v-na .icon{background:var(--na)}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;"
    "margin:0 0 16px}\n"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:12px 16px}\n"
    ".card .k{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}\n"
    ".card .v{font-size:26px;font-weight:650;line-height:1.2}\n"
    ".card .d{font-size:13px;color:var(--muted)}\n"
    ".actions{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:12px 20px 12px 20px;margin:0 0 8px}\n"
    ".actions h3{margin:4px 0 8px}\n"
    ".actions ol{margin:0;padding-left:22px}.actions li{margin:6px 0}\n"
    ".actions .rule{font-weight:650;color:var(--fg);text-decoration:none;"
    "border-bottom:1px dotted var(--muted)}\n"
    "nav.toc{font-size:14px;margin:10px 0 0;color:var(--muted)}\n"
    "nav.toc a{color:var(--accent);text-decoration:none;margin-right:14px;white-space:nowrap}\n"
    ".tw{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}"
    "\n"
    "table{border-collapse:collapse;width:100%;font-size:13.5px}\n"
    "th,td{text-align:left;vertical-align:top;padding:7px 10px;border-bottom:1px solid "
    "var(--line);overflow-wrap:anywhere}\n"
    "td.id{white-space:nowrap;overflow-wrap:normal}td.mono{min-width:16em}"
    "td.rule{min-width:15em}td.ev{min-width:26em}td.chg{min-width:16em}\n"
    "code.ex{display:block;font-size:11.5px;color:#334155;margin:1px 0}\n"
    "th{background:#f1f5f9;font-weight:600;font-size:12.5px;color:#334155;white-space:nowrap}\n"
    "tr:last-child td{border-bottom:0}\n"
    "td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "td.nw{white-space:nowrap}\n"
    "code,.mono{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;"
    "font-size:12.5px}\n"
    "td small,.small{color:var(--muted);font-size:12px}\n"
    ".badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;"
    "font-weight:650;white-space:nowrap;border:1px solid}\n"
    ".s-ok{color:var(--ok);background:var(--ok-bg);border-color:#86efac}\n"
    ".s-blocked{color:var(--bad);background:var(--bad-bg);border-color:#fca5a5}\n"
    ".s-inspected{color:var(--warn);background:var(--warn-bg);border-color:#fcd34d}\n"
    ".s-notseen{color:var(--na);background:var(--na-bg);border-color:#cbd5e1}\n"
    ".sw{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;"
    "vertical-align:-1px}\n"
    ".bar{display:inline-block;height:8px;border-radius:4px;background:#1d4ed8;"
    "vertical-align:middle;margin-right:6px}\n"
    ".chart{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:12px 14px;margin:0 0 14px}\n"
    ".chart svg{display:block;max-width:100%;height:auto}\n"
    ".chart .cap{font-size:13px;color:var(--muted);margin:0 0 6px}\n"
    "ul.expl{margin:4px 0 10px;padding-left:20px;font-size:14px}\n"
    "ul.expl li{margin:3px 0;overflow-wrap:anywhere}\n"
    "tr.product td:first-child{border-left:3px solid var(--accent)}\n"
    "footer{max-width:1200px;margin:0 auto;padding:16px 24px 32px;color:var(--muted);"
    "font-size:12.5px;border-top:1px solid var(--line)}\n"
    "svg text{font-family:system-ui,'DejaVu Sans',Arial,sans-serif}\n"
    "@page{margin:14mm}\n"
    "@media print{body{background:#fff;font-size:10.5pt}header.top{background:#fff;"
    "color:#000;border-bottom:2px solid #000}header.top h1{color:#000}header.top p,"
    "header.top .brand{color:#333}nav.toc{display:none}.tw,.chart,.card,.actions{border-color:"
    "#bbb}.tw{overflow:visible}tr,.card,.chart,.verdict{break-inside:avoid}"
    "thead{display:table-header-group}h2{break-after:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

static void h__head(struct h__ctx *c, const struct sto_totals *tot)
{
    struct rep__out *w = c->w;

    rep__puts(w, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'; img-src data:\">\n"
                 "<meta name=\"referrer\" content=\"no-referrer\">\n");
    rep__printf(w, "<meta name=\"generator\" content=\"sensoscope %s\">\n", SS_VERSION_STRING);
    rep__puts(w, "<title>Senso network report");
    if (tot->first > 0) {
        rep__puts(w, " \xe2\x80\x94 ");
        h__time(w, tot->first);
        rep__puts(w, " UTC");
    }
    rep__puts(w, "</title>\n<style>\n");
    rep__puts(w, h__css);
    rep__puts(w, "</style>\n</head>\n<body>\n");
}

/* ---- first passes: counts for the verdict, the cards and the charts ---- */

static int h__count_check_cb(void *user, const struct rep__check *k)
{
    struct h__ctx *c = user;

    c->st[h__status_of(k->status)]++;
    c->rules++;
    return 0;
}

static int h__rtt_cb(void *user, const struct sto_pair_row *p)
{
    struct h__ctx *c = user;

    /* The selected pair comes first. */
    if (p->selected && p->rtt_ms >= 0)
        c->rtt = p->rtt_ms;
    return 1;
}

static int h__count_session_cb(void *user, const struct sto_session_row *r)
{
    struct h__ctx *c = user;
    enum h__bucket b = h__bucket_of(r);

    c->sessions++;
    if (r->first > 0 && (c->t0 <= 0 || r->first < c->t0))
        c->t0 = r->first;
    if (r->last > c->t1)
        c->t1 = r->last;
    if (!h__counted(r))
        return 0;
    c->counted++;
    c->b_n[b]++;
    c->b_bytes[b] += r->bytes;
    if (r->pairs > 0) {
        c->rtt = -1;
        if (sto_each_session_pair(c->db, r->id, h__rtt_cb, c) < 0)
            return -1;
        if (c->rtt >= 0) {
            c->b_rtt[b] += c->rtt;
            c->b_rtt_n[b]++;
        }
    }
    return 0;
}

static int h__count_host_cb(void *user, const struct sto_host_row *r)
{
    struct h__ctx *c = user;

    c->hosts++;
    if (h__is(r->role, "client") || h__is(r->role, "console"))
        c->product_hosts++;
    return 0;
}

static int h__count_verdict_cb(void *user, const struct sto_verdict_row *r)
{
    struct h__ctx *c = user;

    if (h__is(r->kind, "blocked"))
        c->v_blocked++;
    else
        c->v_inspected++;
    return 0;
}

static int h__first_passes(struct h__ctx *c)
{
    const struct sto_filter *f = &c->o->filter;
    int rc;

    rc = rep__checklist(c->db, c->o, h__count_check_cb, c, c->err);
    if (rc < 0)
        return -1;
    if (h__check(c, sto_each_session(c->db, f, h__count_session_cb, c)) < 0 ||
        h__check(c, sto_each_host(c->db, f, h__count_host_cb, c)) < 0 ||
        h__check(c, sto_each_verdict(c->db, f, h__count_verdict_cb, c)) < 0)
        return -1;
    return 0;
}

/* ---- the top: header, verdict, cards, the changes to make ---- */

static int h__source_cb(void *user, const struct sto_capture_row *r)
{
    struct h__ctx *c = user;

    if (c->n++ < 3) {
        rep__puts(c->w, c->n > 1 ? ", " : "");
        char src[512];
        h__free(c, rep__anon_source(c->an, r->id, r->kind, r->source, src, sizeof src), 160, "?");
    }
    return c->w->err ? 1 : 0;
}

static int h__action_cb(void *user, const struct rep__check *k)
{
    struct h__ctx *c = user;
    enum h__status s = h__status_of(k->status);

    if ((s != H__BLOCKED && s != H__INSPECTED) || !k->change || !*k->change)
        return 0;
    rep__puts(c->w, "<li>");
    h__badge(c->w, s);
    rep__puts(c->w, " <a class=\"rule\" href=\"#rule-");
    h__anchor(c->w, k->rule);
    rep__puts(c->w, "\">");
    h__text(c->w, k->rule, 64, "?");
    rep__puts(c->w, "</a> <span class=\"small\">(");
    h__free(c, k->hosts, 200, "");
    rep__puts(c->w, " \xc2\xb7 ");
    h__text(c->w, k->ports, 120, "");
    rep__puts(c->w, ")</span>: ");
    h__free(c, k->change, H__LONG, "");
    rep__puts(c->w, "</li>\n");
    c->n++;
    return c->w->err ? 1 : 0;
}

static int h__top(struct h__ctx *c, const struct sto_totals *tot)
{
    struct rep__out *w = c->w;
    const char *cls, *icon;
    int64_t m[4] = {0, 0, 0, 0};
    int best = 0;

    rep__puts(w, "<header class=\"top\"><div class=\"in\">\n"
                 "<div class=\"brand\">sensoscope \xc2\xb7 network check for Senso</div>\n"
                 "<h1>Does the school network let Senso through?</h1>\n<p>");
    c->n = 0;
    if (h__check(c, sto_each_capture(c->db, &c->o->filter, h__source_cb, c)) < 0)
        return -1;
    if (c->n > 3)
        rep__printf(w, " and %lld more", (long long)(c->n - 3));
    if (c->n == 0)
        rep__puts(w, "no captures");
    if (tot->first > 0) {
        rep__puts(w, " \xc2\xb7 ");
        h__time(w, tot->first);
        rep__puts(w, " to ");
        h__time(w, tot->last);
        rep__puts(w, " UTC (");
        h__duration(w, tot->last - tot->first);
        rep__puts(w, ")");
    }
    rep__printf(w, " \xc2\xb7 sensoscope %s</p>\n</div></header>\n<main>\n", SS_VERSION_STRING);

    /* The verdict in one sentence. */
    if (c->st[H__BLOCKED] > 0) {
        cls = "v-bad";
        icon = "\xe2\x9c\x95";
    } else if (c->st[H__INSPECTED] > 0) {
        cls = "v-warn";
        icon = "!";
    } else if (c->st[H__OK] > 0) {
        cls = "v-ok";
        icon = "\xe2\x9c\x93";
    } else {
        cls = "v-na";
        icon = "?";
    }
    rep__printf(w,
                "<section class=\"verdict %s\" id=\"verdict\"><div class=\"icon\" "
                "aria-hidden=\"true\">%s</div><div>\n<h2>",
                cls, icon);
    if (c->st[H__BLOCKED] > 0 || c->st[H__INSPECTED] > 0) {
        rep__puts(w, "Action needed: ");
        if (c->st[H__BLOCKED] > 0)
            rep__printf(w, "%lld of %lld requirements blocked", (long long)c->st[H__BLOCKED],
                        (long long)c->rules);
        if (c->st[H__BLOCKED] > 0 && c->st[H__INSPECTED] > 0)
            rep__puts(w, ", ");
        if (c->st[H__INSPECTED] > 0)
            rep__printf(w, "%lld %sHTTPS-inspected", (long long)c->st[H__INSPECTED],
                        c->st[H__BLOCKED] > 0 ? "" : "requirement(s) ");
    } else if (c->st[H__OK] > 0) {
        rep__printf(w, "All %lld requirements seen in the traffic are open",
                    (long long)c->st[H__OK]);
    } else {
        rep__puts(w, "No traffic of the product's requirements was seen");
    }
    rep__puts(w, "</h2>\n<p>");
    rep__printf(w, "%lld of %lld requirements work", (long long)c->st[H__OK], (long long)c->rules);
    if (c->st[H__NOT_SEEN] > 0)
        rep__printf(w, "; %lld %s not exercised in this capture", (long long)c->st[H__NOT_SEEN],
                    c->st[H__NOT_SEEN] == 1 ? "was" : "were");
    rep__puts(w, ".");
    for (int b = 0; b < H__NBUCKETS; b++) {
        if (b <= H__M1)
            m[1] += c->b_n[b];
        else if (b <= H__M2)
            m[2] += c->b_n[b];
        else if (b <= H__M3)
            m[3] += c->b_n[b];
    }
    best = m[1] ? 1 : m[2] ? 2 : m[3] ? 3 : 0;
    if (m[3] > 0)
        rep__printf(w,
                    " %lld of %lld peer session%s fell back to method 3 (relayed through the "
                    "vendor's TURN servers: it works, but it is the slowest path).",
                    (long long)m[3], (long long)(m[1] + m[2] + m[3]),
                    m[1] + m[2] + m[3] == 1 ? "" : "s");
    if (c->v_blocked + c->v_inspected > 0)
        rep__printf(w, " %lld finding%s in total (%lld blocked, %lld inspected).",
                    (long long)(c->v_blocked + c->v_inspected),
                    c->v_blocked + c->v_inspected == 1 ? "" : "s", (long long)c->v_blocked,
                    (long long)c->v_inspected);
    rep__puts(w, "</p>\n</div></section>\n");

    /* Cards. */
    rep__puts(w, "<div class=\"cards\">\n");
    rep__printf(w,
                "<div class=\"card\"><div class=\"k\">Requirements</div><div class=\"v\">"
                "%lld / %lld OK</div><div class=\"d\">%lld blocked \xc2\xb7 %lld inspected "
                "\xc2\xb7 %lld not seen</div></div>\n",
                (long long)c->st[H__OK], (long long)c->rules, (long long)c->st[H__BLOCKED],
                (long long)c->st[H__INSPECTED], (long long)c->st[H__NOT_SEEN]);
    rep__printf(w,
                "<div class=\"card\"><div class=\"k\">Peer sessions</div><div class=\"v\">%lld"
                "</div><div class=\"d\">method 1: %lld \xc2\xb7 2: %lld \xc2\xb7 3: %lld</div>"
                "</div>\n",
                (long long)(m[1] + m[2] + m[3] + c->b_n[H__NONE]), (long long)m[1], (long long)m[2],
                (long long)m[3]);
    rep__printf(w, "<div class=\"card\"><div class=\"k\">Best method in use</div>"
                   "<div class=\"v\">");
    if (best)
        rep__printf(w, "Method %d", best);
    else
        rep__puts(w, "\xe2\x80\x94");
    rep__printf(w, "</div><div class=\"d\">1 = direct, 2 = peer-to-peer, 3 = relayed</div>"
                   "</div>\n");
    rep__printf(w,
                "<div class=\"card\"><div class=\"k\">Product hosts</div><div class=\"v\">%lld"
                "</div><div class=\"d\">clients and consoles (%lld hosts in all)</div></div>\n",
                (long long)c->product_hosts, (long long)c->hosts);
    rep__printf(w,
                "<div class=\"card\"><div class=\"k\">Packets</div><div class=\"v\">%lld</div>"
                "<div class=\"d\">%lld flows \xc2\xb7 %lld dropped</div></div>\n",
                (long long)tot->packets, (long long)tot->flows, (long long)tot->drops);
    rep__puts(w, "</div>\n");

    /* The changes to make. */
    if (c->st[H__BLOCKED] + c->st[H__INSPECTED] > 0) {
        rep__puts(w, "<section class=\"actions\" id=\"changes\"><h3>What to change</h3><ol>\n");
        c->n = 0;
        if (rep__checklist(c->db, c->o, h__action_cb, c, c->err) < 0)
            return -1;
        if (c->n == 0)
            rep__puts(w, "<li>See the checklist below for the evidence.</li>\n");
        rep__puts(w, "</ol></section>\n");
    }
    rep__puts(w, "<nav class=\"toc\" aria-label=\"Sections\"><a href=\"#summary\">Summary</a>"
                 "<a href=\"#checklist\">Checklist</a><a href=\"#methods\">Routing methods</a>"
                 "<a href=\"#timeline\">Sessions over time</a><a href=\"#hosts\">Hosts</a>"
                 "<a href=\"#verdicts\">Verdicts</a><a href=\"#sessions\">Sessions</a>");
    if (c->o->details)
        rep__puts(w, "<a href=\"#flows\">Flows</a><a href=\"#tls\">TLS</a><a href=\"#stun\">"
                     "STUN/TURN</a><a href=\"#dns\">DNS</a>");
    rep__puts(w, "</nav>\n");
    return w->err ? -1 : 0;
}

/* ---- summary ---- */

static int h__capture_cb(void *user, const struct sto_capture_row *r)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;

    rep__printf(w, "<tr><td class=\"n\">%lld</td><td>", (long long)r->id);
    char src[512];
    h__free(c, rep__anon_source(c->an, r->id, r->kind, r->source, src, sizeof src), H__CELL, "?");
    rep__puts(w, "<br><small>");
    h__text(w, r->kind, 32, "?");
    rep__puts(w, ", ");
    h__text(w, r->linktype, 32, "?");
    rep__puts(w, ", ");
    h__text(w, r->status, 32, "?");
    rep__puts(w, "</small></td><td class=\"nw\">");
    if (r->first > 0) {
        h__time(w, r->first);
        rep__puts(w, "<br>");
        h__time(w, r->last);
    } else {
        rep__puts(w, "no packets");
    }
    rep__puts(w, "</td><td class=\"n\">");
    h__duration(w, r->last - r->first);
    rep__printf(w, "</td><td class=\"n\">%lld</td><td class=\"n\">", (long long)r->packets);
    h__bytes(w, r->bytes);
    rep__printf(w, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>",
                (long long)r->drops, (long long)r->warnings);
    h__text(w, r->profile, 64, "default");
    rep__puts(w, "</td></tr>\n");
    return w->err ? 1 : 0;
}

static int h__summary(struct h__ctx *c, const struct sto_totals *tot)
{
    struct rep__out *w = c->w;

    rep__puts(w, "<section id=\"summary\"><h2>Summary</h2>\n");
    rep__printf(w,
                "<p class=\"note\">%lld capture%s, %lld packets, %lld flows (TCP %lld, UDP %lld, "
                "ICMP %lld, other %lld), %lld product host%s.</p>\n",
                (long long)tot->captures, tot->captures == 1 ? "" : "s", (long long)tot->packets,
                (long long)tot->flows, (long long)tot->tcp_flows, (long long)tot->udp_flows,
                (long long)tot->icmp_flows, (long long)tot->other_flows,
                (long long)c->product_hosts, c->product_hosts == 1 ? "" : "s");
    rep__puts(w, "<div class=\"tw\"><table><thead><tr><th class=\"n\">#</th><th>Source</th>"
                 "<th>From / to (UTC)</th><th class=\"n\">Duration</th><th class=\"n\">Packets"
                 "</th><th class=\"n\">Bytes</th><th class=\"n\">Drops</th><th class=\"n\">"
                 "Warnings</th><th>Profile</th></tr></thead><tbody>\n");
    if (h__check(c, sto_each_capture(c->db, &c->o->filter, h__capture_cb, c)) < 0)
        return -1;
    if (tot->captures == 0)
        rep__puts(w, "<tr><td colspan=\"9\">No captures match.</td></tr>\n");
    rep__puts(w, "</tbody></table></div>\n</section>\n");
    return w->err ? -1 : 0;
}

/* ---- checklist ---- */

/* Chart 3: requirements per status, one stacked bar with a labelled legend. */
static void h__chart_status(struct h__ctx *c)
{
    struct rep__out *w = c->w;
    const double width = 900, bar = 34;
    double x = 0;

    rep__printf(w,
                "<figure class=\"chart\"><p class=\"cap\">Requirements by status</p>"
                "<svg width=\"%.0f\" height=\"78\" viewBox=\"0 0 %.0f 78\" role=\"img\" "
                "aria-label=\"Requirements by status: "
                "%lld OK, %lld blocked, %lld inspected, %lld not seen\">\n",
                width, width, (long long)c->st[H__OK], (long long)c->st[H__BLOCKED],
                (long long)c->st[H__INSPECTED], (long long)c->st[H__NOT_SEEN]);
    if (c->rules == 0)
        rep__printf(w, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#e2e8f0\"/>",
                    width, bar);
    for (int s = 0; s < H__NSTATUS && c->rules > 0; s++) {
        double seg = width * (double)c->st[s] / (double)c->rules;

        if (c->st[s] == 0)
            continue;
        rep__printf(w,
                    "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\" "
                    "stroke=\"#fff\" stroke-width=\"2\"><title>%s: %lld</title></rect>\n",
                    x, seg, bar, h__statuses[s].color, h__statuses[s].label, (long long)c->st[s]);
        if (seg >= 28)
            rep__printf(w,
                        "<text x=\"%.1f\" y=\"23\" text-anchor=\"middle\" fill=\"#fff\" "
                        "font-size=\"16\" font-weight=\"700\">%lld</text>\n",
                        x + seg / 2, (long long)c->st[s]);
        x += seg;
    }
    x = 0;
    for (int s = 0; s < H__NSTATUS; s++) {
        rep__printf(w,
                    "<rect x=\"%.0f\" y=\"52\" width=\"14\" height=\"14\" rx=\"3\" fill=\"%s\"/>"
                    "<text x=\"%.0f\" y=\"64\" font-size=\"15\" fill=\"#0f172a\">%s %s: %lld"
                    "</text>\n",
                    x, h__statuses[s].color, x + 20, h__statuses[s].icon, h__statuses[s].label,
                    (long long)c->st[s]);
        x += 200;
    }
    rep__puts(w, "</svg></figure>\n");
}

static int h__check_row_cb(void *user, const struct rep__check *k)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;
    enum h__status s = h__status_of(k->status);

    rep__puts(w, "<tr id=\"rule-");
    h__anchor(w, k->rule);
    rep__puts(w, "\"><td class=\"rule\"><strong>");
    h__text(w, k->rule, 64, "?");
    rep__puts(w, "</strong><br><small>");
    h__free(c, k->hosts, 400, "");
    rep__puts(w, "<br>");
    h__text(w, k->ports, 200, "");
    if (k->used_for && *k->used_for) {
        rep__puts(w, "<br>");
        h__text(w, k->used_for, 300, "");
    }
    rep__puts(w, "</small></td><td>");
    h__badge(w, s);
    rep__printf(w,
                "</td><td class=\"n\">%lld<br><small>%lld answered</small></td>"
                "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"ev\">",
                (long long)k->flows, (long long)k->flows_ok, (long long)k->blocked,
                (long long)k->inspected);
    if (k->codes && *k->codes) {
        rep__puts(w, "<small>");
        h__text(w, k->codes, 400, "");
        rep__puts(w, "</small>");
    }
    for (int i = 0; i < k->n_examples && i < 3; i++) {
        rep__puts(w, "<code class=\"ex\">");
        h__free(c, k->examples[i], 600, "");
        rep__puts(w, "</code>");
    }
    if (k->n_examples == 0 && !(k->codes && *k->codes))
        rep__puts(w, "\xe2\x80\x94");
    rep__puts(w, "</td><td class=\"chg\">");
    h__free(c, k->change, H__LONG, "\xe2\x80\x94");
    rep__puts(w, "</td></tr>\n");
    return w->err ? 1 : 0;
}

static int h__checklist(struct h__ctx *c)
{
    struct rep__out *w = c->w;

    rep__puts(w, "<section id=\"checklist\"><h2>Requirement checklist</h2>\n<p class=\"note\">"
                 "One row per rule of the vendor's profile: is the traffic it allows let "
                 "through, blocked, or HTTPS-inspected?</p>\n");
    h__chart_status(c);
    rep__puts(w, "<div class=\"tw\"><table><thead><tr><th>Rule</th><th>Status</th>"
                 "<th class=\"n\">Flows</th><th class=\"n\">Blocked</th><th class=\"n\">"
                 "Inspected</th><th>Evidence</th><th>Change to make</th></tr></thead><tbody>\n");
    if (rep__checklist(c->db, c->o, h__check_row_cb, c, c->err) < 0)
        return -1;
    if (c->rules == 0)
        rep__puts(w, "<tr><td colspan=\"7\">No profile rules stored.</td></tr>\n");
    rep__puts(w, "</tbody></table></div>\n</section>\n");
    return w->err ? -1 : 0;
}

/* ---- routing methods ---- */

/* Chart 1: sessions per method and sub-method, horizontal bars with labels. */
static void h__chart_methods(struct h__ctx *c)
{
    struct rep__out *w = c->w;
    const double label = 270, plot = 560, row = 30;
    int64_t max = 0;
    int rows = 0, y = 0;

    for (int b = 0; b < H__NBUCKETS; b++) {
        if (c->b_n[b] > max)
            max = c->b_n[b];
        rows += c->b_n[b] > 0;
    }
    rep__printf(w,
                "<figure class=\"chart\"><p class=\"cap\">Sessions per routing method</p>"
                "<svg width=\"900\" height=\"%d\" viewBox=\"0 0 900 %d\" role=\"img\" "
                "aria-label=\"Sessions per routing method\">\n",
                rows * (int)row + 8, rows * (int)row + 8);
    for (int b = 0; b < H__NBUCKETS; b++) {
        double len;

        if (c->b_n[b] == 0)
            continue;
        len = plot * (double)c->b_n[b] / (double)max;
        rep__printf(w,
                    "<text x=\"%.0f\" y=\"%d\" text-anchor=\"end\" font-size=\"14\" "
                    "fill=\"#0f172a\">%s</text>\n"
                    "<rect x=\"%.0f\" y=\"%d\" width=\"%.1f\" height=\"20\" rx=\"3\" "
                    "fill=\"%s\"><title>%s: %lld session%s</title></rect>\n"
                    "<text x=\"%.1f\" y=\"%d\" font-size=\"14\" font-weight=\"650\" "
                    "fill=\"#0f172a\">%lld</text>\n",
                    label - 10, y + 19, h__buckets[b].label, label, y + 4, len, h__buckets[b].color,
                    h__buckets[b].label, (long long)c->b_n[b], c->b_n[b] == 1 ? "" : "s",
                    label + len + 8, y + 19, (long long)c->b_n[b]);
        y += (int)row;
    }
    rep__puts(w, "</svg></figure>\n");
}

static int h__explain_cb(void *user, const struct sto_session_row *r)
{
    struct h__ctx *c = user;

    if (!h__counted(r) || (int)h__bucket_of(r) != c->bucket)
        return 0;
    c->n++;
    if (c->shown >= H__EXPLAIN)
        return 0;
    c->shown++;
    rep__printf(c->w, "<li><a href=\"#s%lld\">#%lld</a> ", (long long)r->id, (long long)r->id);
    h__free(c, r->explanation, H__LONG, "(no explanation)");
    rep__puts(c->w, "</li>\n");
    return c->w->err ? 1 : 0;
}

static int h__methods(struct h__ctx *c)
{
    struct rep__out *w = c->w;
    int64_t total_bytes = 0, peers = 0;

    rep__puts(w, "<section id=\"methods\"><h2>Routing methods</h2>\n<p class=\"note\">"
                 "The client tries method 1 (direct, inside the school network), then method 2 "
                 "(WebRTC peer-to-peer: on the LAN, or through NAT with STUN), then method 3 "
                 "(relayed through the vendor's TURN servers: works almost everywhere, but "
                 "slowest). A TURN allocation that carries a session is counted with that "
                 "session.</p>\n");
    if (c->counted == 0) {
        rep__puts(w, "<p>No sessions match.</p>\n</section>\n");
        return w->err ? -1 : 0;
    }
    h__chart_methods(c);
    for (int b = 0; b < H__NBUCKETS; b++) {
        total_bytes += c->b_bytes[b];
        if (h__peer_bucket(b))
            peers += c->b_n[b];
    }
    rep__puts(w, "<div class=\"tw\"><table><thead><tr><th>Method</th><th class=\"n\">Sessions"
                 "</th><th>Share of peer sessions</th><th class=\"n\">Bytes</th><th "
                 "class=\"n\">Share of bytes"
                 "</th><th class=\"n\">RTT (selected pair)</th></tr></thead><tbody>\n");
    for (int b = 0; b < H__NBUCKETS; b++) {
        double share;

        if (c->b_n[b] == 0)
            continue;
        rep__printf(w,
                    "<tr><td><span class=\"sw\" style=\"background:%s\"></span>%s</td>"
                    "<td class=\"n\">%lld</td><td class=\"nw\">",
                    h__buckets[b].color, h__buckets[b].label, (long long)c->b_n[b]);
        if (h__peer_bucket(b) && peers > 0) {
            share = 100.0 * (double)c->b_n[b] / (double)peers;
            rep__printf(w,
                        "<span class=\"bar\" style=\"width:%.0fpx;background:%s\"></span>"
                        "%.0f%%",
                        share, h__buckets[b].color, share);
        } else {
            rep__puts(w, "<small>not a peer session</small>");
        }
        rep__puts(w, "</td><td class=\"n\">");
        h__bytes(w, c->b_bytes[b]);
        rep__printf(w, "</td><td class=\"n\">%.0f%%</td><td class=\"n\">",
                    total_bytes > 0 ? 100.0 * (double)c->b_bytes[b] / (double)total_bytes : 0.0);
        if (c->b_rtt_n[b] > 0)
            rep__printf(w, "%.1f ms<br><small>mean of %lld</small>",
                        c->b_rtt[b] / (double)c->b_rtt_n[b], (long long)c->b_rtt_n[b]);
        else
            rep__puts(w, "<small>unknown</small>");
        rep__puts(w, "</td></tr>\n");
    }
    rep__puts(w, "</tbody></table></div>\n");

    for (int b = 0; b < H__NBUCKETS; b++) {
        if (c->b_n[b] == 0)
            continue;
        rep__printf(w,
                    "<h3><span class=\"sw\" style=\"background:%s\"></span>%s</h3>"
                    "<ul class=\"expl\">\n",
                    h__buckets[b].color, h__buckets[b].label);
        c->bucket = b;
        c->n = c->shown = 0;
        if (h__check(c, sto_each_session(c->db, &c->o->filter, h__explain_cb, c)) < 0)
            return -1;
        if (c->n > c->shown)
            rep__printf(w,
                        "<li class=\"small\">and %lld more: see <a href=\"#sessions\">"
                        "Sessions</a></li>\n",
                        (long long)(c->n - c->shown));
        rep__puts(w, "</ul>\n");
    }
    rep__puts(w, "</section>\n");
    return w->err ? -1 : 0;
}

/* ---- chart 2: sessions over time ---- */

/* A tick step giving at most 8 ticks over @p span seconds. */
static double h__tick_step(double span)
{
    static const double steps[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05,  0.1,   0.2,  0.5,
                                   1,     2,     5,     10,   15,   30,    60,    120,  300,
                                   600,   900,   1800,  3600, 7200, 21600, 43200, 86400};

    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (span / steps[i] <= 8)
            return steps[i];
    return span / 8;
}

static void h__tick_label(double t, double step, char *buf, size_t len)
{
    if (step >= 3600)
        snprintf(buf, len, "+%.0f h", t / 3600);
    else if (step >= 60)
        snprintf(buf, len, "+%.0f min", t / 60);
    else if (step >= 1)
        snprintf(buf, len, "+%.0f s", t);
    else if (step >= 0.1)
        snprintf(buf, len, "+%.1f s", t);
    else
        snprintf(buf, len, "+%.0f ms", t * 1000);
}

static int h__bar_cb(void *user, const struct sto_session_row *r)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;
    enum h__bucket b = h__bucket_of(r);
    const double plot = H__TL_WIDTH - H__TL_LABEL - 20;
    double span = c->t1 - c->t0, x, len;
    int y = 34 + (int)c->n * H__TL_ROW;

    if (c->n >= H__TIMELINE)
        return 1;
    x = H__TL_LABEL + (r->first > 0 ? plot * (r->first - c->t0) / span : 0);
    len = r->last > r->first ? plot * (r->last - r->first) / span : 0;
    if (len < 3)
        len = 3;
    if (c->n % 2)
        rep__printf(w, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f8fafc\"/>\n", y,
                    H__TL_WIDTH, H__TL_ROW);
    rep__printf(w,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"12\" fill=\"#334155\">"
                "#%lld ",
                H__TL_LABEL - 8, y + 14, (long long)r->id);
    h__text(w, r->kind, 16, "?");
    rep__printf(w, " \xc2\xb7 %s</text>\n", h__buckets[b].brief);
    rep__printf(w,
                "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"3\" fill=\"%s\"%s>"
                "<title>#%lld ",
                x, y + 4, len, H__TL_ROW - 8, h__buckets[b].color,
                h__counted(r) ? "" : " fill-opacity=\"0.45\"", (long long)r->id);
    h__text(w, r->kind, 16, "?");
    rep__printf(w, ", %s: ", h__buckets[b].label);
    h__taddr(c, r->sel_local);
    rep__puts(w, " \xe2\x86\x94 ");
    h__taddr(c, r->sel_remote);
    rep__puts(w, ", ");
    h__bytes(w, r->bytes);
    rep__puts(w, " in ");
    h__duration(w, r->last - r->first);
    rep__puts(w, "</title></rect>\n");
    c->n++;
    return w->err ? 1 : 0;
}

static int h__timeline(struct h__ctx *c)
{
    struct rep__out *w = c->w;
    const double plot = H__TL_WIDTH - H__TL_LABEL - 20;
    int64_t rows = c->sessions < H__TIMELINE ? c->sessions : H__TIMELINE;
    int height = 34 + (int)rows * H__TL_ROW + 10;
    double span = c->t1 - c->t0, step;
    char t0[40], lab[32];
    int rc;

    rep__puts(w, "<section id=\"timeline\"><h2>Sessions over time</h2>\n");
    if (c->sessions == 0 || c->t0 <= 0) {
        rep__puts(w, "<p>No sessions match.</p>\n</section>\n");
        return w->err ? -1 : 0;
    }
    if (span <= 0)
        span = 0.001;
    step = h__tick_step(span);
    rep__iso8601(c->t0, t0, sizeof t0);
    rep__printf(w,
                "<figure class=\"chart\"><p class=\"cap\">One bar per session, from its first to "
                "its last packet, coloured by method; time from %s. Pale bars: TURN allocations "
                "counted with the session they carry.",
                t0);
    if (c->sessions > rows)
        rep__printf(w, " The first %lld of %lld sessions are shown.", (long long)rows,
                    (long long)c->sessions);
    rep__printf(w,
                "</p>\n<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
                "aria-label=\"Timeline of %lld sessions\">\n",
                H__TL_WIDTH, height, H__TL_WIDTH, height, (long long)rows);
    for (double t = 0; t <= span + step / 1000; t += step) {
        double x = H__TL_LABEL + plot * t / span;

        h__tick_label(t, step, lab, sizeof lab);
        rep__printf(w,
                    "<line x1=\"%.1f\" y1=\"26\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e2e8f0\"/>"
                    "<text x=\"%.1f\" y=\"18\" text-anchor=\"middle\" font-size=\"12\" "
                    "fill=\"#475569\">%s</text>\n",
                    x, x, height - 6, x, lab);
    }
    c->n = 0;
    rc = sto_each_session(c->db, &c->o->filter, h__bar_cb, c);
    if (h__check(c, rc < 0 ? rc : 0) < 0)
        return -1;
    rep__puts(w, "</svg>\n<p class=\"cap\">");
    for (int b = 0; b < H__NBUCKETS; b++)
        if (c->b_n[b] > 0)
            rep__printf(w,
                        "<span class=\"nw\" style=\"margin-right:14px\"><span class=\"sw\" "
                        "style=\"background:%s\"></span>%s</span> ",
                        h__buckets[b].color, h__buckets[b].label);
    rep__puts(w, "</p></figure>\n</section>\n");
    return w->err ? -1 : 0;
}

/* ---- hosts, verdicts, sessions ---- */

static int h__host_cb(void *user, const struct sto_host_row *r)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;
    int product = h__is(r->role, "client") || h__is(r->role, "console");

    c->n++;
    rep__printf(w, "<tr%s><td class=\"mono\">", product ? " class=\"product\"" : "");
    h__addr(c, r->addr);
    rep__puts(w, "</td><td>");
    h__text(w, r->role, 16, "?");
    rep__printf(w, "%s</td><td>", r->local ? " <small>(local)</small>" : "");
    h__array(c, r->names, 1);
    rep__puts(w, "</td><td>");
    h__array(c, r->methods, 0);
    rep__printf(w, "</td><td class=\"n\">%lld</td><td class=\"nw\">", (long long)r->verdicts);
    h__time(w, r->first);
    rep__puts(w, "</td><td class=\"nw\">");
    h__time(w, r->last);
    rep__puts(w, "</td></tr>\n");
    return w->err ? 1 : 0;
}

static int h__verdict_cb(void *user, const struct sto_verdict_row *r)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;

    c->n++;
    rep__puts(w, "<tr><td class=\"id\">");
    h__badge(w, h__is(r->kind, "blocked") ? H__BLOCKED : H__INSPECTED);
    rep__puts(w, "<br><code>");
    h__text(w, r->code, 64, "?");
    rep__puts(w, "</code><br><small>");
    h__text(w, r->confidence, 16, "?");
    rep__puts(w, "</small></td><td class=\"id\">");
    h__text(w, r->rule, 64, "\xe2\x80\x94");
    rep__puts(w, "</td><td class=\"mono\">");
    h__text(w, r->proto, 16, "?");
    rep__puts(w, " ");
    h__endpoint(c, r->src, r->sport, r->proto);
    rep__puts(w, " \xe2\x86\x92 ");
    h__endpoint(c, r->dst, r->dport, r->proto);
    if (r->host) {
        rep__puts(w, "<br>");
        h__name(c, r->host, "");
    }
    if (r->session_id > 0)
        rep__printf(w, "<br><a href=\"#s%lld\">session #%lld</a>", (long long)r->session_id,
                    (long long)r->session_id);
    rep__puts(w, "</td><td class=\"nw\">");
    h__time(w, r->first);
    rep__puts(w, "</td><td>");
    h__free(c, r->evidence, H__LONG, "");
    rep__puts(w, "</td></tr>\n");
    return w->err ? 1 : 0;
}

static int h__session_cb(void *user, const struct sto_session_row *r)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;
    enum h__bucket b = h__bucket_of(r);

    c->n++;
    rep__printf(w, "<tr id=\"s%lld\"><td class=\"n\">%lld</td><td>", (long long)r->id,
                (long long)r->id);
    h__text(w, r->kind, 16, "?");
    rep__printf(w, "</td><td><span class=\"sw\" style=\"background:%s\"></span>%s",
                h__buckets[b].color, h__buckets[b].brief);
    if (r->link_id > 0)
        rep__printf(w, "<br><small>with <a href=\"#s%lld\">#%lld</a></small>",
                    (long long)r->link_id, (long long)r->link_id);
    rep__puts(w, "</td><td class=\"mono\">");
    if (r->sel_local || r->sel_remote) {
        h__text(w, r->proto, 8, "?");
        rep__puts(w, " ");
        h__taddr(c, r->sel_local);
        rep__puts(w, " \xe2\x86\x94 ");
        h__taddr(c, r->sel_remote);
    } else {
        rep__puts(w, "<small>none selected</small>");
    }
    if (r->server) {
        rep__puts(w, "<br><small>TURN ");
        h__taddr(c, r->server);
        rep__puts(w, "</small>");
    }
    rep__puts(w, "</td><td class=\"n\">");
    h__bytes(w, r->bytes);
    rep__puts(w, "</td><td class=\"n\">");
    h__duration(w, r->last - r->first);
    rep__puts(w, "</td><td class=\"nw\">");
    h__time(w, r->first);
    rep__puts(w, "</td><td>");
    h__free(c, r->explanation, H__LONG, "");
    rep__puts(w, "</td></tr>\n");
    return w->err ? 1 : 0;
}

/* ---- details ---- */

static int h__flow_cb(void *user, const struct sto_flow_row *r)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;

    c->n++;
    rep__puts(w, "<tr><td>");
    h__text(w, r->proto, 16, "?");
    rep__puts(w, "</td><td class=\"mono\">");
    h__endpoint(c, r->src, r->sport, r->proto);
    rep__puts(w, "</td><td class=\"mono\">");
    h__endpoint(c, r->dst, r->dport, r->proto);
    rep__puts(w, "</td><td>");
    h__text(w, r->state, 16, "\xe2\x80\x94");
    rep__printf(w, "</td><td class=\"n\">%lld / %lld</td><td class=\"n\">", (long long)r->pkts_out,
                (long long)r->pkts_in);
    h__bytes(w, r->bytes_out);
    rep__puts(w, " / ");
    h__bytes(w, r->bytes_in);
    rep__puts(w, "</td><td class=\"n\">");
    h__duration(w, r->last - r->first);
    rep__puts(w, "</td><td>");
    h__text(w, r->app, 64, "\xe2\x80\x94");
    rep__puts(w, "</td><td>");
    h__name(c, r->host, "\xe2\x80\x94");
    rep__puts(w, "</td><td>");
    h__text(w, r->rule, 64, "\xe2\x80\x94");
    rep__puts(w, "</td></tr>\n");
    return w->err ? 1 : 0;
}

static int h__tls_cb(void *user, const struct sto_tls_row *r)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;

    c->n++;
    rep__puts(w, "<tr><td class=\"nw\">");
    h__time(w, r->ts);
    rep__puts(w, "</td><td class=\"mono\">");
    h__endpoint(c, r->src, r->sport, "tcp");
    rep__puts(w, " \xe2\x86\x92 ");
    h__endpoint(c, r->dst, r->dport, "tcp");
    rep__puts(w, "</td><td>");
    h__name(c, r->sni, "\xe2\x80\x94");
    rep__puts(w, "</td><td>");
    h__text(w, r->version, 24, "\xe2\x80\x94");
    rep__puts(w, "</td><td>");
    h__text(w, r->alpn, 120, "\xe2\x80\x94");
    rep__printf(w, "</td><td>%s</td><td>", r->established ? "yes" : "no");
    h__text(w, r->chain, 16, "\xe2\x80\x94");
    rep__puts(w, "</td><td><small>");
    h__free(c, r->cert_issuer, 400, "\xe2\x80\x94");
    rep__puts(w, "</small></td><td class=\"mono\"><small>");
    h__text(w, r->ja4, 64, "\xe2\x80\x94");
    rep__puts(w, "</small></td></tr>\n");
    return w->err ? 1 : 0;
}

static int h__stun_cb(void *user, const struct sto_stun_row *r)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;

    c->n++;
    rep__puts(w, "<tr><td class=\"nw\">");
    h__time(w, r->ts);
    rep__puts(w, "</td><td class=\"mono\">");
    h__text(w, r->transport, 8, "?");
    rep__puts(w, " ");
    h__endpoint(c, r->src, r->sport, "udp");
    rep__puts(w, " \xe2\x86\x92 ");
    h__endpoint(c, r->dst, r->dport, "udp");
    rep__puts(w, "</td><td>");
    if (r->method_name)
        h__text(w, r->method_name, 32, "?");
    else
        rep__printf(w, "0x%03x", (unsigned)r->method & 0xfffu);
    rep__puts(w, " ");
    h__text(w, r->cls, 16, "?");
    if (r->inner)
        rep__puts(w, " <small>(in TURN)</small>");
    if (r->error_code >= 0) {
        rep__printf(w, "<br><small>error %d ", r->error_code);
        h__text(w, r->error_reason, 120, "");
        rep__puts(w, "</small>");
    }
    rep__puts(w, "</td><td class=\"mono\"><small>");
    h__free(c, r->username, 200, "\xe2\x80\x94");
    rep__puts(w, "</small></td><td class=\"mono\"><small>");
    if (r->mapped) {
        rep__puts(w, "mapped ");
        h__taddr(c, r->mapped);
        rep__puts(w, "<br>");
    }
    if (r->relayed) {
        rep__puts(w, "relayed ");
        h__taddr(c, r->relayed);
        rep__puts(w, "<br>");
    }
    if (r->peer) {
        rep__puts(w, "peer ");
        h__taddr(c, r->peer);
    }
    rep__puts(w, "</small></td></tr>\n");
    return w->err ? 1 : 0;
}

static int h__dns_answer_cb(void *user, const struct sto_dns_answer_row *r)
{
    struct h__ctx *c = user;

    rep__puts(c->w, c->shown++ ? "<br>" : "");
    h__text(c->w, r->type, 16, "?");
    rep__puts(c->w, " ");
    if (h__is(r->type, "A") || h__is(r->type, "AAAA"))
        h__addr(c, r->data);
    else
        h__name(c, r->data, "\xe2\x80\x94");
    return c->w->err ? 1 : 0;
}

static int h__dns_cb(void *user, const struct sto_dns_row *r)
{
    struct h__ctx *c = user;
    struct rep__out *w = c->w;

    c->n++;
    rep__puts(w, "<tr><td class=\"nw\">");
    h__time(w, r->ts);
    rep__puts(w, "</td><td class=\"mono\">");
    h__addr(c, r->client);
    rep__puts(w, " \xe2\x86\x92 ");
    h__addr(c, r->server);
    rep__puts(w, "</td><td>");
    h__name(c, r->qname, "\xe2\x80\x94");
    rep__puts(w, "</td><td>");
    h__text(w, r->qtype, 16, "?");
    rep__puts(w, "</td><td>");
    h__text(w, r->rcode, 16, "unanswered");
    rep__puts(w, "</td><td class=\"mono\"><small>");
    c->shown = 0;
    if (r->answers > 0 && sto_each_dns_answer(c->db, r->id, h__dns_answer_cb, c) < 0)
        return -1;
    if (c->shown == 0)
        rep__puts(w, "\xe2\x80\x94");
    rep__puts(w, "</small></td></tr>\n");
    return w->err ? 1 : 0;
}

/* A table section: heading, note, header row; the row callbacks count their rows in c->n. */
static int h__table_open(struct h__ctx *c, const char *id, const char *title, const char *note,
                         const char *head)
{
    rep__printf(c->w, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
    if (note)
        rep__printf(c->w, "<p class=\"note\">%s</p>\n", note);
    rep__printf(c->w, "<div class=\"tw\"><table><thead><tr>%s</tr></thead><tbody>\n", head);
    c->n = 0;
    return c->w->err ? -1 : 0;
}

static int h__table_close(struct h__ctx *c, int rc, int cols)
{
    if (h__check(c, rc) < 0)
        return -1;
    if (c->n == 0)
        rep__printf(c->w, "<tr><td colspan=\"%d\">None.</td></tr>\n", cols);
    rep__puts(c->w, "</tbody></table></div>\n</section>\n");
    return c->w->err ? -1 : 0;
}

static int h__details(struct h__ctx *c)
{
    const struct sto_filter *f = &c->o->filter;
    int rc;

    if (h__table_open(c, "flows", "Flows", NULL,
                      "<th>Proto</th><th>Source</th><th>Destination</th><th>State</th>"
                      "<th class=\"n\">Packets out / in</th><th class=\"n\">Bytes out / in</th>"
                      "<th class=\"n\">Duration</th><th>App</th><th>Host</th><th>Rule</th>") < 0)
        return -1;
    rc = sto_each_flow(c->db, f, h__flow_cb, c);
    if (h__table_close(c, rc, 10) < 0)
        return -1;

    if (h__table_open(c, "tls", "TLS", NULL,
                      "<th>Time (UTC)</th><th>Client \xe2\x86\x92 server</th><th>SNI</th>"
                      "<th>Version</th><th>ALPN</th><th>Established</th><th>Chain</th>"
                      "<th>Issuer</th><th>JA4</th>") < 0)
        return -1;
    rc = sto_each_tls(c->db, f, h__tls_cb, c);
    if (h__table_close(c, rc, 9) < 0)
        return -1;

    if (h__table_open(c, "stun", "STUN/TURN", NULL,
                      "<th>Time (UTC)</th><th>From \xe2\x86\x92 to</th><th>Message</th>"
                      "<th>USERNAME</th><th>Addresses</th>") < 0)
        return -1;
    rc = sto_each_stun(c->db, f, h__stun_cb, c);
    if (h__table_close(c, rc, 5) < 0)
        return -1;

    if (h__table_open(c, "dns", "DNS", NULL,
                      "<th>Time (UTC)</th><th>Client \xe2\x86\x92 server</th><th>Name</th>"
                      "<th>Type</th><th>Response</th><th>Answers</th>") < 0)
        return -1;
    rc = sto_each_dns(c->db, f, h__dns_cb, c);
    if (h__table_close(c, rc, 6) < 0)
        return -1;
    return c->w->err ? -1 : 0;
}

static int h__body(struct h__ctx *c)
{
    const struct sto_filter *f = &c->o->filter;
    struct sto_totals tot;
    int rc;

    if (sto_totals(c->db, f, &tot) < 0)
        return h__check(c, -1);
    if (h__first_passes(c) < 0)
        return -1;
    h__head(c, &tot);
    if (h__top(c, &tot) < 0 || h__summary(c, &tot) < 0 || h__checklist(c) < 0 ||
        h__methods(c) < 0 || h__timeline(c) < 0)
        return -1;

    if (h__table_open(c, "hosts", "Hosts",
                      "Clients and consoles (marked) are the product hosts: the hosts that talk "
                      "to the product's cloud.",
                      "<th>Address</th><th>Role</th><th>Names</th><th>Methods</th>"
                      "<th class=\"n\">Verdicts</th><th>First seen (UTC)</th>"
                      "<th>Last seen (UTC)</th>") < 0)
        return -1;
    rc = sto_each_host(c->db, f, h__host_cb, c);
    if (h__table_close(c, rc, 7) < 0)
        return -1;

    if (h__table_open(c, "verdicts", "Verdicts",
                      "Each finding with its evidence: blocked (the traffic did not get through) "
                      "or inspected (something between the school and the internet read or "
                      "answered it).",
                      "<th>Finding</th><th>Rule</th><th>Flow</th><th>First (UTC)</th>"
                      "<th>Evidence</th>") < 0)
        return -1;
    rc = sto_each_verdict(c->db, f, h__verdict_cb, c);
    if (h__table_close(c, rc, 5) < 0)
        return -1;

    if (h__table_open(c, "sessions", "Sessions", NULL,
                      "<th class=\"n\">#</th><th>Kind</th><th>Method</th><th>Selected pair</th>"
                      "<th class=\"n\">Bytes</th><th class=\"n\">Duration</th>"
                      "<th>Start (UTC)</th><th>Explanation</th>") < 0)
        return -1;
    rc = sto_each_session(c->db, f, h__session_cb, c);
    if (h__table_close(c, rc, 8) < 0)
        return -1;

    if (c->o->details) {
        if (h__details(c) < 0)
            return -1;
    } else {
        rep__puts(c->w, "<p class=\"note\">Flows, TLS, STUN and DNS details: run "
                        "<code>sensoscope report --format html --details</code>.</p>\n");
    }
    rep__printf(c->w,
                "</main>\n<footer>Written by sensoscope %s from its database (schema %d)%s. "
                "Self-contained: no scripts, no external resources.</footer>\n</body>\n"
                "</html>\n",
                SS_VERSION_STRING, sto_schema_version(),
                c->an ? "; addresses and local names anonymised" : "");
    return c->w->err ? -1 : 0;
}

int rep__html(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err)
{
    struct h__ctx c = {.db = db, .o = o, .w = w, .err = err, .bucket = -1};
    int ret;

    if (o->anonymize) {
        c.an = rep__anon_new(db, err);
        if (!c.an)
            return -1;
    }
    ret = h__body(&c);
    rep__anon_free(c.an);
    return ret;
}
