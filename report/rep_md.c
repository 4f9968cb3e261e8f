/* SPDX-License-Identifier: MIT */
/*
 * rep_md.c - the Markdown report (GitHub-flavoured), to paste into a ticket: summary,
 * requirement checklist, routing methods, hosts, verdicts and sessions; with o->details also
 * flows, TLS, STUN and DNS. The same sections as the text report, as GFM tables.
 *
 * Every string from the database may come from packets. Each goes through the anonymiser (a
 * plain copy without --anonymize), then rep__escape (control characters, bidi controls and
 * bytes that are not UTF-8 become visible \xNN / \u{NNNN} text; long values are cut with
 * "..."), then a Markdown escape: a backslash before each of \ ` * _ [ ] < > | ~ & so that no
 * value can open emphasis, a link, a code span, HTML, an entity or a table cell. Newlines
 * never reach the output raw, so a value cannot end a table row. Code spans are used only for
 * values made of address characters ([0-9A-Za-z.:_/-]), where nothing needs escaping.
 */
#define _POSIX_C_SOURCE 200809L

#include "rep_int.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define REP__MD_CELL 1024   /* escaped characters shown per value (then "...") */
#define REP__MD_LONG 4096   /* explanations, evidence, changes */
#define REP__MD_ANON 262144 /* the anonymiser's output buffer */

struct rep__md {
    struct rep__out *w;
    const struct rep_opts *o;
    struct sto_db *db;
    struct rep__anon *a;
    char *abuf;     /* REP__MD_ANON bytes: anonymised value */
    char *ebuf;     /* REP__MD_LONG bytes: rep__escape output */
    int64_t n;      /* rows in the current walk */
    int64_t limit;  /* flows shown; 0 = all */
    int64_t hidden; /* rows not shown */
    /* per-method aggregation */
    struct {
        int method;
        char sub[16];
        int64_t sessions, bytes, rtt_n;
        double rtt_sum;
    } m[16];
    int n_m;
    int64_t m_total;
    double rtt; /* selected pair's RTT of the session being read; < 0 none */
};

enum rep__md_kind { REP__MD_TEXT, REP__MD_ADDR, REP__MD_NAME };

/* Writes @p s escaped for Markdown (it is already free of control characters). */
static void rep__md_raw(struct rep__out *w, const char *s)
{
    const char *p = s;

    while (*p) {
        size_t n = strcspn(p, "\\`*_[]<>|~&");

        rep__write(w, p, n);
        p += n;
        if (!*p)
            break;
        rep__write(w, "\\", 1);
        rep__write(w, p, 1);
        p++;
    }
}

/* Writes the database value @p s (NULL: @p none) anonymised as @p kind, escaped, at most
 * @p max escaped bytes. */
static void rep__md_val(struct rep__md *m, const char *s, enum rep__md_kind kind, const char *none,
                        size_t max)
{
    const char *v;

    if (!s || !*s) {
        rep__md_raw(m->w, none);
        return;
    }
    if (kind == REP__MD_ADDR)
        v = rep__anon_addr(m->a, s, m->abuf, REP__MD_ANON);
    else if (kind == REP__MD_NAME)
        v = rep__anon_name(m->a, s, m->abuf, REP__MD_ANON);
    else
        v = rep__anon_text(m->a, s, m->abuf, REP__MD_ANON);
    rep__escape(v, m->ebuf, max < REP__MD_LONG ? max : REP__MD_LONG);
    rep__md_raw(m->w, m->ebuf);
}

static void rep__md_text(struct rep__md *m, const char *s)
{
    rep__md_val(m, s, REP__MD_TEXT, "-", REP__MD_CELL);
}

static void rep__md_long(struct rep__md *m, const char *s)
{
    rep__md_val(m, s, REP__MD_TEXT, "-", REP__MD_LONG);
}

static void rep__md_name(struct rep__md *m, const char *s)
{
    rep__md_val(m, s, REP__MD_NAME, "-", REP__MD_CELL);
}

/* An address or transport address ("ip", "ip:port", "[v6]:port"), anonymised; in a code span
 * when it is made of address characters only. @p port > 0 appends ":port". */
static void rep__md_addr(struct rep__md *m, const char *s, int port)
{
    const char *v;
    char pbuf[16];
    size_t n;

    if (!s || !*s) {
        rep__puts(m->w, "-");
        return;
    }
    v = rep__anon_addr(m->a, s, m->abuf, REP__MD_ANON);
    n = strlen(v);
    if (n > 0 && n < 128 &&
        strspn(v, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.:_/[]-") == n) {
        int v6 = strchr(v, ':') != NULL;

        pbuf[0] = '\0';
        if (port > 0)
            snprintf(pbuf, sizeof pbuf, ":%d", port);
        rep__printf(m->w, "`%s%s%s%s`", v6 && port > 0 ? "[" : "", v, v6 && port > 0 ? "]" : "",
                    pbuf);
        return;
    }
    rep__escape(v, m->ebuf, REP__MD_CELL);
    rep__md_raw(m->w, m->ebuf);
    if (port > 0)
        rep__printf(m->w, ":%d", port);
}

static void rep__md_time(struct rep__md *m, double t)
{
    char b[40];

    rep__iso8601(t, b, sizeof b);
    rep__puts(m->w, b);
}

/* Store walk result: -1 becomes the store's message; a stop for a write error is -1 too. */
static int rep__md_check(struct rep__md *m, int rc, char *err)
{
    if (rc < 0) {
        if (!*err)
            snprintf(err, SS_ERRBUF_SIZE, "%s", sto_errstr(m->db));
        return -1;
    }
    return m->w->err ? -1 : 0;
}

static void rep__md_head(struct rep__md *m, const char *const *cols)
{
    size_t n = 0;

    rep__puts(m->w, "\n|");
    for (; cols[n]; n++)
        rep__printf(m->w, " %s |", cols[n]);
    rep__puts(m->w, "\n|");
    for (size_t i = 0; i < n; i++)
        rep__puts(m->w, "---|");
    rep__puts(m->w, "\n");
}

/* ---- summary ---- */

static int rep__md_capture_cb(void *user, const struct sto_capture_row *r)
{
    struct rep__md *m = user;
    char b[24];

    rep__printf(m->w, "| %lld | ", (long long)r->id);
    char src[512];
    rep__md_text(m, rep__anon_source(m->a, r->id, r->kind, r->source, src, sizeof src));
    rep__puts(m->w, " | ");
    rep__md_text(m, r->linktype);
    rep__puts(m->w, " | ");
    rep__md_time(m, r->first);
    rep__puts(m->w, " | ");
    rep__md_time(m, r->last);
    rep__bytes(r->bytes, b, sizeof b);
    rep__printf(m->w, " | %lld | %s | %lld | ", (long long)r->packets, b, (long long)r->drops);
    rep__md_text(m, r->status);
    rep__puts(m->w, " |\n");
    return m->w->err ? 1 : 0;
}

static int rep__md_product_cb(void *user, const struct sto_host_row *r)
{
    struct rep__md *m = user;

    if (r->role && (!strcmp(r->role, "client") || !strcmp(r->role, "console")))
        m->n++;
    return 0;
}

static int rep__md_summary(struct rep__md *m, char *err)
{
    static const char *const cols[] = {"#",       "source", "link type", "first",  "last",
                                       "packets", "bytes",  "drops",     "status", NULL};
    const struct sto_filter *f = &m->o->filter;
    struct sto_totals t;
    char b1[40], b2[40], d[24];

    if (sto_totals(m->db, f, &t) < 0)
        return rep__md_check(m, -1, err);
    rep__printf(m->w, "# sensoscope report\n\n_sensoscope %s, database schema %d%s_\n",
                SS_VERSION_STRING, sto_schema_version(),
                m->a ? ", anonymised: addresses and names outside the profile are pseudonyms" : "");
    if (f->capture_id || (f->host && *f->host) || f->since > 0 || f->until > 0 || f->method ||
        (f->rule && *f->rule)) {
        rep__puts(m->w, "\n**Filter:**");
        if (f->capture_id)
            rep__printf(m->w, " capture %lld;", (long long)f->capture_id);
        if (f->host && *f->host) {
            rep__puts(m->w, " host ");
            rep__md_addr(m, f->host, 0);
            rep__puts(m->w, ";");
        }
        if (f->method)
            rep__printf(m->w, " method %d;", f->method);
        if (f->rule && *f->rule) {
            rep__puts(m->w, " rule ");
            rep__md_text(m, f->rule);
            rep__puts(m->w, ";");
        }
        if (f->since > 0) {
            rep__iso8601(f->since, b1, sizeof b1);
            rep__printf(m->w, " since %s;", b1);
        }
        if (f->until > 0) {
            rep__iso8601(f->until, b1, sizeof b1);
            rep__printf(m->w, " until %s;", b1);
        }
        rep__puts(m->w, "\n");
    }
    rep__puts(m->w, "\n## Summary\n");
    rep__iso8601(t.first, b1, sizeof b1);
    rep__iso8601(t.last, b2, sizeof b2);
    rep__duration(t.last - t.first, d, sizeof d);
    m->n = 0;
    if (rep__md_check(m, sto_each_host(m->db, f, rep__md_product_cb, m), err) < 0)
        return -1;
    rep__printf(m->w,
                "\n- **Time range:** %s to %s (%s)\n- **Packets:** %lld, %lld dropped, %lld "
                "warnings\n- **Flows:** %lld (tcp %lld, udp %lld, icmp %lld, other %lld)\n"
                "- **Product hosts** (clients and consoles): %lld\n",
                b1, b2, t.first > 0 ? d : "-", (long long)t.packets, (long long)t.drops,
                (long long)t.warnings, (long long)t.flows, (long long)t.tcp_flows,
                (long long)t.udp_flows, (long long)t.icmp_flows, (long long)t.other_flows,
                (long long)m->n);
    rep__printf(m->w, "\n### Captures (%lld)\n", (long long)t.captures);
    if (t.captures == 0) {
        rep__puts(m->w, "\nnone\n");
        return m->w->err ? -1 : 0;
    }
    rep__md_head(m, cols);
    return rep__md_check(m, sto_each_capture(m->db, f, rep__md_capture_cb, m), err);
}

/* ---- checklist ---- */

static const char *rep__md_status(const char *s)
{
    if (!s)
        return "?";
    if (!strcmp(s, "ok"))
        return "**ok**";
    if (!strcmp(s, "blocked"))
        return "**BLOCKED**";
    if (!strcmp(s, "inspected"))
        return "**INSPECTED**";
    if (!strcmp(s, "not_seen"))
        return "not seen";
    return "?";
}

static int rep__md_check_cb(void *user, const struct rep__check *c)
{
    struct rep__md *m = user;

    rep__puts(m->w, "| ");
    rep__md_text(m, c->rule);
    rep__puts(m->w, " | ");
    rep__md_text(m, c->hosts);
    rep__puts(m->w, " | ");
    rep__md_text(m, c->ports);
    rep__printf(m->w, " | %s | %lld (%lld answered) | %lld | %lld | ", rep__md_status(c->status),
                (long long)c->flows, (long long)c->flows_ok, (long long)c->blocked,
                (long long)c->inspected);
    rep__md_text(m, c->codes);
    rep__puts(m->w, " | ");
    rep__md_long(m, c->change);
    rep__puts(m->w, " |\n");
    return m->w->err ? 1 : 0;
}

/* The example flows, as a list under the table. */
static int rep__md_example_cb(void *user, const struct rep__check *c)
{
    struct rep__md *m = user;

    for (int i = 0; i < c->n_examples && i < 3; i++) {
        if (!c->examples[i])
            continue;
        rep__puts(m->w, "- ");
        rep__md_text(m, c->rule);
        rep__puts(m->w, ": ");
        rep__md_long(m, c->examples[i]);
        rep__puts(m->w, "\n");
        m->n++;
    }
    return m->w->err ? 1 : 0;
}

static int rep__md_checklist(struct rep__md *m, char *err)
{
    static const char *const cols[] = {"rule",    "destinations", "ports", "status", "flows",
                                       "blocked", "inspected",    "codes", "change", NULL};
    int rc;

    rep__puts(m->w, "\n## Requirement checklist\n");
    rep__md_head(m, cols);
    rc = rep__checklist(m->db, m->o, rep__md_check_cb, m, err);
    if (rep__md_check(m, rc, err) < 0)
        return -1;
    rep__puts(m->w, "\nExample flows:\n\n");
    m->n = 0;
    rc = rep__checklist(m->db, m->o, rep__md_example_cb, m, err);
    if (rep__md_check(m, rc, err) < 0)
        return -1;
    if (m->n == 0)
        rep__puts(m->w, "none\n");
    return m->w->err ? -1 : 0;
}

/* ---- methods ---- */

static int rep__md_sel_pair_cb(void *user, const struct sto_pair_row *r)
{
    struct rep__md *m = user;

    if (r->selected && r->rtt_ms >= 0)
        m->rtt = r->rtt_ms;
    return 1; /* the selected pair comes first */
}

static int rep__md_method_cb(void *user, const struct sto_session_row *r)
{
    struct rep__md *m = user;
    const char *sub = r->submethod ? r->submethod : "";
    int i;

    if (r->method <= 0)
        return 0;
    /* A TURN allocation that carries an ICE session's selected pair repeats that session. */
    if (r->kind && !strcmp(r->kind, "turn"))
        return 0;
    m->rtt = -1;
    if (r->pairs > 0 && sto_each_session_pair(m->db, r->id, rep__md_sel_pair_cb, m) < 0)
        return -1;
    for (i = 0; i < m->n_m; i++) {
        if (m->m[i].method == r->method && !strncmp(m->m[i].sub, sub, sizeof m->m[i].sub - 1))
            break;
    }
    if (i == m->n_m) {
        if (m->n_m == (int)(sizeof m->m / sizeof m->m[0]))
            i--; /* more kinds than expected: counted with the last */
        else
            m->n_m++;
        m->m[i].method = r->method;
        snprintf(m->m[i].sub, sizeof m->m[i].sub, "%s", sub);
    }
    m->m[i].sessions++;
    m->m[i].bytes += r->bytes;
    if (m->rtt >= 0) {
        m->m[i].rtt_sum += m->rtt;
        m->m[i].rtt_n++;
    }
    m->m_total++;
    return 0;
}

static int rep__md_method_expl_cb(void *user, const struct sto_session_row *r)
{
    struct rep__md *m = user;

    if (r->method <= 0 || (r->kind && !strcmp(r->kind, "turn")))
        return 0;
    rep__printf(m->w, "- session %lld, method %d", (long long)r->id, r->method);
    if (r->submethod) {
        rep__puts(m->w, "/");
        rep__md_text(m, r->submethod);
    }
    rep__puts(m->w, ": ");
    rep__md_long(m, r->explanation);
    rep__puts(m->w, "\n");
    return m->w->err ? 1 : 0;
}

static int rep__md_methods(struct rep__md *m, char *err)
{
    static const char *const cols[] = {"method", "sub-method", "sessions", "share",
                                       "bytes",  "mean RTT",   NULL};
    int rc = sto_each_session(m->db, &m->o->filter, rep__md_method_cb, m);

    if (rep__md_check(m, rc, err) < 0)
        return -1;
    rep__puts(m->w, "\n## Routing methods\n");
    if (m->m_total == 0) {
        rep__puts(m->w, "\nNo session with a routing method.\n");
        return m->w->err ? -1 : 0;
    }
    rep__md_head(m, cols);
    for (int i = 0; i < m->n_m; i++) {
        char b[24], rtt[24];

        rep__bytes(m->m[i].bytes, b, sizeof b);
        if (m->m[i].rtt_n)
            snprintf(rtt, sizeof rtt, "%.1f ms", m->m[i].rtt_sum / (double)m->m[i].rtt_n);
        else
            snprintf(rtt, sizeof rtt, "-");
        rep__printf(m->w, "| %d | ", m->m[i].method);
        rep__md_text(m, m->m[i].sub);
        rep__printf(m->w, " | %lld | %.0f%% | %s | %s |\n", (long long)m->m[i].sessions,
                    100.0 * (double)m->m[i].sessions / (double)m->m_total, b, rtt);
    }
    rep__puts(m->w, "\nExplanations:\n\n");
    rc = sto_each_session(m->db, &m->o->filter, rep__md_method_expl_cb, m);
    return rep__md_check(m, rc, err);
}

/* ---- hosts, verdicts, sessions ---- */

/* The elements of a stored JSON array (hosts.names / methods), comma separated. */
static void rep__md_array(struct rep__md *m, const char *a, int names)
{
    json_t *j = a ? json_loads(a, 0, NULL) : NULL;
    size_t i;
    json_t *v;

    if (!json_is_array(j) || json_array_size(j) == 0) {
        json_decref(j);
        rep__puts(m->w, "-");
        return;
    }
    json_array_foreach(j, i, v)
    {
        if (i)
            rep__puts(m->w, ", ");
        if (i >= 16) {
            rep__printf(m->w, "and %zu more", json_array_size(j) - i);
            break;
        }
        if (json_is_integer(v))
            rep__printf(m->w, "%lld", (long long)json_integer_value(v));
        else if (json_is_string(v) && names)
            rep__md_name(m, json_string_value(v));
        else if (json_is_string(v))
            rep__md_text(m, json_string_value(v));
    }
    json_decref(j);
}

static int rep__md_host_cb(void *user, const struct sto_host_row *r)
{
    struct rep__md *m = user;

    rep__puts(m->w, "| ");
    rep__md_addr(m, r->addr, 0);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->role);
    rep__printf(m->w, " | %s | ", r->local ? "yes" : "no");
    rep__md_array(m, r->names, 1);
    rep__puts(m->w, " | ");
    rep__md_array(m, r->methods, 0);
    rep__printf(m->w, " | %lld | ", (long long)r->verdicts);
    rep__md_time(m, r->first);
    rep__puts(m->w, " | ");
    rep__md_time(m, r->last);
    rep__puts(m->w, " |\n");
    m->n++;
    return m->w->err ? 1 : 0;
}

static int rep__md_ports(const char *proto)
{
    return proto && (!strcmp(proto, "tcp") || !strcmp(proto, "udp"));
}

static int rep__md_verdict_cb(void *user, const struct sto_verdict_row *r)
{
    struct rep__md *m = user;
    int ports = rep__md_ports(r->proto);

    rep__puts(m->w, "| ");
    rep__md_text(m, r->code);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->kind);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->confidence);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->rule);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->proto);
    rep__puts(m->w, " ");
    rep__md_addr(m, r->src, ports ? r->sport : 0);
    rep__puts(m->w, " → ");
    rep__md_addr(m, r->dst, ports ? r->dport : 0);
    rep__puts(m->w, " | ");
    rep__md_name(m, r->host);
    rep__puts(m->w, " | ");
    rep__md_time(m, r->first);
    rep__puts(m->w, " | ");
    rep__md_long(m, r->evidence);
    rep__puts(m->w, " |\n");
    m->n++;
    return m->w->err ? 1 : 0;
}

static int rep__md_session_cb(void *user, const struct sto_session_row *r)
{
    struct rep__md *m = user;
    char b[24], d[24];

    rep__printf(m->w, "| %lld | ", (long long)r->id);
    rep__md_text(m, r->kind);
    if (r->method > 0) {
        rep__printf(m->w, " | %d", r->method);
        if (r->submethod) {
            rep__puts(m->w, "/");
            rep__md_text(m, r->submethod);
        }
    } else {
        rep__puts(m->w, " | -");
    }
    rep__puts(m->w, " | ");
    if (r->sel_local || r->sel_remote) {
        rep__md_text(m, r->proto);
        rep__puts(m->w, " ");
        rep__md_addr(m, r->sel_local, 0);
        rep__puts(m->w, " ↔ ");
        rep__md_addr(m, r->sel_remote, 0);
    } else {
        rep__puts(m->w, "-");
    }
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->client, 0);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->peer, 0);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->server, 0);
    rep__bytes(r->bytes, b, sizeof b);
    rep__duration(r->last - r->first, d, sizeof d);
    rep__printf(m->w, " | %s | %s | ", b, d);
    rep__md_long(m, r->explanation);
    rep__puts(m->w, " |\n");
    m->n++;
    return m->w->err ? 1 : 0;
}

/* ---- details ---- */

static int rep__md_flow_cb(void *user, const struct sto_flow_row *r)
{
    struct rep__md *m = user;
    int ports = rep__md_ports(r->proto);
    char b1[24], b2[24], d[24];

    if (m->limit && m->n >= m->limit) {
        m->hidden++;
        return 0;
    }
    rep__puts(m->w, "| ");
    rep__md_text(m, r->proto);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->src, ports ? r->sport : 0);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->dst, ports ? r->dport : 0);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->state);
    rep__bytes(r->bytes_out, b1, sizeof b1);
    rep__bytes(r->bytes_in, b2, sizeof b2);
    rep__duration(r->last - r->first, d, sizeof d);
    rep__printf(m->w, " | %lld/%lld | %s/%s | %s | ", (long long)r->pkts_out, (long long)r->pkts_in,
                b1, b2, d);
    rep__md_text(m, r->app);
    rep__puts(m->w, " | ");
    rep__md_name(m, r->host);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->rule);
    rep__puts(m->w, " |\n");
    m->n++;
    return m->w->err ? 1 : 0;
}

static int rep__md_tls_cb(void *user, const struct sto_tls_row *r)
{
    struct rep__md *m = user;

    rep__puts(m->w, "| ");
    rep__md_time(m, r->ts);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->src, r->sport);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->dst, r->dport);
    rep__puts(m->w, " | ");
    rep__md_name(m, r->sni);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->version);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->alpn);
    rep__printf(m->w, " | %s | ", r->established ? "yes" : "no");
    rep__md_text(m, r->cert_subject);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->cert_issuer);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->chain);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->ja4);
    rep__puts(m->w, " |\n");
    m->n++;
    return m->w->err ? 1 : 0;
}

static int rep__md_stun_cb(void *user, const struct sto_stun_row *r)
{
    struct rep__md *m = user;

    rep__puts(m->w, "| ");
    rep__md_time(m, r->ts);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->transport);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->src, r->sport);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->dst, r->dport);
    if (r->method_name) {
        rep__puts(m->w, " | ");
        rep__md_text(m, r->method_name);
    } else {
        rep__printf(m->w, " | %d", r->method);
    }
    rep__puts(m->w, " | ");
    rep__md_text(m, r->cls);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->username);
    if (r->error_code >= 0)
        rep__printf(m->w, " | %d", r->error_code);
    else
        rep__puts(m->w, " | -");
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->mapped, 0);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->relayed, 0);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->peer, 0);
    rep__printf(m->w, " | %s |\n", r->inner ? "yes" : "no");
    m->n++;
    return m->w->err ? 1 : 0;
}

static int rep__md_answer_cb(void *user, const struct sto_dns_answer_row *r)
{
    struct rep__md *m = user;
    if (r->pos > 0)
        rep__puts(m->w, ", ");
    rep__md_text(m, r->type);
    rep__puts(m->w, " ");
    if (r->type && (!strcmp(r->type, "A") || !strcmp(r->type, "AAAA")))
        rep__md_addr(m, r->data, 0);
    else if (r->type && (!strcmp(r->type, "CNAME") || !strcmp(r->type, "PTR")))
        rep__md_name(m, r->data);
    else
        rep__md_text(m, r->data);
    return m->w->err ? 1 : 0;
}

static int rep__md_dns_cb(void *user, const struct sto_dns_row *r)
{
    struct rep__md *m = user;

    rep__puts(m->w, "| ");
    rep__md_time(m, r->ts);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->client, 0);
    rep__puts(m->w, " | ");
    rep__md_addr(m, r->server, 0);
    rep__puts(m->w, " | ");
    rep__md_name(m, r->qname);
    rep__puts(m->w, " | ");
    rep__md_text(m, r->qtype);
    rep__puts(m->w, " | ");
    rep__md_val(m, r->rcode, REP__MD_TEXT, "unanswered", REP__MD_CELL);
    rep__puts(m->w, " | ");
    if (r->answers == 0)
        rep__puts(m->w, "-");
    else if (sto_each_dns_answer(m->db, r->id, rep__md_answer_cb, m) < 0)
        return -1;
    rep__puts(m->w, " |\n");
    m->n++;
    return m->w->err ? 1 : 0;
}

/* One table section: a title, a header, the rows of @p walk, or "none". */
enum rep__md_table {
    REP__T_HOSTS,
    REP__T_VERDICTS,
    REP__T_SESSIONS,
    REP__T_FLOWS,
    REP__T_TLS,
    REP__T_STUN,
    REP__T_DNS
};

static int rep__md_walk(struct rep__md *m, enum rep__md_table t)
{
    const struct sto_filter *f = &m->o->filter;

    switch (t) {
    case REP__T_HOSTS:
        return sto_each_host(m->db, f, rep__md_host_cb, m);
    case REP__T_VERDICTS:
        return sto_each_verdict(m->db, f, rep__md_verdict_cb, m);
    case REP__T_SESSIONS:
        return sto_each_session(m->db, f, rep__md_session_cb, m);
    case REP__T_FLOWS:
        return sto_each_flow(m->db, f, rep__md_flow_cb, m);
    case REP__T_TLS:
        return sto_each_tls(m->db, f, rep__md_tls_cb, m);
    case REP__T_STUN:
        return sto_each_stun(m->db, f, rep__md_stun_cb, m);
    case REP__T_DNS:
        return sto_each_dns(m->db, f, rep__md_dns_cb, m);
    }
    return 0;
}

static int rep__md_table(struct rep__md *m, enum rep__md_table t, const char *title,
                         const char *const *cols, char *err)
{
    rep__printf(m->w, "\n## %s\n", title);
    rep__md_head(m, cols);
    m->n = 0;
    m->hidden = 0;
    if (rep__md_check(m, rep__md_walk(m, t), err) < 0)
        return -1;
    if (m->n == 0)
        rep__puts(m->w, "\nnone\n");
    if (m->hidden)
        rep__printf(m->w, "\n%lld more not shown (--max-flows)\n", (long long)m->hidden);
    return m->w->err ? -1 : 0;
}

int rep__markdown(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err)
{
    static const char *const c_hosts[] = {"address",  "role",  "local", "names", "methods",
                                          "verdicts", "first", "last",  NULL};
    static const char *const c_verdicts[] = {"code", "kind",  "confidence", "rule", "flow",
                                             "host", "first", "evidence",   NULL};
    static const char *const c_sessions[] = {"#",        "kind",        "method", "selected pair",
                                             "client",   "peer",        "server", "bytes",
                                             "duration", "explanation", NULL};
    static const char *const c_flows[] = {"proto",       "src",          "dst",      "state",
                                          "pkts out/in", "bytes out/in", "duration", "app",
                                          "host",        "rule",         NULL};
    static const char *const c_tls[] = {"time",    "client", "server",      "SNI",
                                        "version", "ALPN",   "established", "certificate",
                                        "issuer",  "chain",  "JA4",         NULL};
    static const char *const c_stun[] = {"time",  "transport", "src",   "dst",    "method",
                                         "class", "username",  "error", "mapped", "relayed",
                                         "peer",  "inner",     NULL};
    static const char *const c_dns[] = {"time", "client", "server",  "name",
                                        "type", "rcode",  "answers", NULL};
    struct rep__md m;
    int ret = -1;

    err[0] = '\0';
    memset(&m, 0, sizeof m);
    m.w = w;
    m.o = o;
    m.db = db;
    m.limit = o->max_flows > 0 ? o->max_flows : 0;
    m.abuf = malloc(REP__MD_ANON);
    m.ebuf = malloc(REP__MD_LONG);
    if (!m.abuf || !m.ebuf) {
        snprintf(err, SS_ERRBUF_SIZE, "Markdown report: out of memory");
        goto out;
    }
    if (o->anonymize && !(m.a = rep__anon_new(db, err)))
        goto out;
    if (rep__md_summary(&m, err) < 0 || rep__md_checklist(&m, err) < 0 ||
        rep__md_methods(&m, err) < 0 ||
        rep__md_table(&m, REP__T_HOSTS, "Hosts", c_hosts, err) < 0 ||
        rep__md_table(&m, REP__T_VERDICTS, "Verdicts", c_verdicts, err) < 0 ||
        rep__md_table(&m, REP__T_SESSIONS, "Sessions", c_sessions, err) < 0)
        goto out;
    if (o->details && (rep__md_table(&m, REP__T_FLOWS, "Flows", c_flows, err) < 0 ||
                       rep__md_table(&m, REP__T_TLS, "TLS", c_tls, err) < 0 ||
                       rep__md_table(&m, REP__T_STUN, "STUN/TURN", c_stun, err) < 0 ||
                       rep__md_table(&m, REP__T_DNS, "DNS", c_dns, err) < 0))
        goto out;
    ret = w->err ? -1 : 0;
out:
    rep__anon_free(m.a);
    free(m.abuf);
    free(m.ebuf);
    return ret;
}
