/* SPDX-License-Identifier: MIT */
/*
 * rep_text.c - the text report for a terminal: captures, totals, top applications, the
 * verdicts, sessions and hosts of the analysis, the flow table with aligned columns, and
 * summaries of TLS, STUN/TURN and DNS. Every string from the
 * database is escaped (rep__escape), since names will come from packets. The table is walked twice:
 * once to size the columns, once to print, so memory does not grow with the number of flows.
 */
#include "rep_int.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define REP__BOLD "\033[1m"
#define REP__RED "\033[31m"
#define REP__RESET "\033[0m"
#define REP__TOP_APPS 10

/* One formatted table row; w_* are display widths. */
struct rep__row {
    char proto[24], src[96], dst[96], state[24], pkts[48], bytes[48], dur[24], app[160];
    size_t w_proto, w_src, w_dst, w_state, w_pkts, w_bytes, w_dur;
    int alert; /* an attempt that failed: shown in red */
};

struct rep__tctx {
    struct rep__out *w;
    const struct rep_opts *o;
    struct rep__anon *anon; /* --anonymize: the pseudonyms; NULL otherwise */
    size_t c_proto, c_src, c_dst, c_state, c_pkts, c_bytes, c_dur; /* column widths */
    int64_t rows;                                                  /* rows seen in this pass */
    int64_t limit;                                                 /* 0 = all */
    int napps;
};

/* What a string is, for the anonymiser. */
enum rep__tk {
    REP__T_ADDR, /* an address */
    REP__T_NAME, /* a host name */
    REP__T_TEXT  /* free text: "ip:port", explanations, evidence, paths, certificate names */
};

/* @p s anonymised as @p k when @p a is set, then escaped for the terminal into @p buf.
 * Returns the display width. */
static size_t rep__tesc(struct rep__anon *a, enum rep__tk k, const char *s, char *buf, size_t len)
{
    char tmp[4096];

    if (a && s) {
        if (k == REP__T_ADDR)
            s = rep__anon_addr(a, s, tmp, sizeof tmp);
        else if (k == REP__T_NAME)
            s = rep__anon_name(a, s, tmp, sizeof tmp);
        else
            s = rep__anon_text(a, s, tmp, sizeof tmp);
    }
    return rep__escape(s, buf, len);
}

static const char *rep__on(const struct rep__tctx *t, const char *code)
{
    return t->o->color ? code : "";
}

/* "addr:port", "[v6addr]:port", or just the address for protocols without ports. Returns the
 * display width. */
static size_t rep__endpoint(struct rep__anon *an, const char *addr, int port, int ports, char *buf,
                            size_t len)
{
    char a[72];
    size_t w = rep__tesc(an, REP__T_ADDR, addr ? addr : "?", a, sizeof a);
    int n;

    if (!ports)
        n = snprintf(buf, len, "%s", a);
    else if (strchr(a, ':'))
        n = snprintf(buf, len, "[%s]:%d", a, port);
    else
        n = snprintf(buf, len, "%s:%d", a, port);
    if (n < 0)
        return 0;
    return w + (size_t)n - strlen(a);
}

/* Zeek states where the connection attempt got nowhere: no answer, rejected, abandoned. */
static int rep__failed_state(const char *s)
{
    return s && (!strcmp(s, "S0") || !strcmp(s, "REJ") || !strcmp(s, "RSTOS0") || !strcmp(s, "SH"));
}

static void rep__format_row(struct rep__anon *an, const struct sto_flow_row *r, struct rep__row *x)
{
    int ports = r->proto && (!strcmp(r->proto, "tcp") || !strcmp(r->proto, "udp"));
    char b1[24], b2[24];
    int n;

    x->w_proto = rep__escape(r->proto, x->proto, sizeof x->proto);
    x->w_src = rep__endpoint(an, r->src, r->sport, ports, x->src, sizeof x->src);
    x->w_dst = rep__endpoint(an, r->dst, r->dport, ports, x->dst, sizeof x->dst);
    x->w_state = rep__escape(r->state && *r->state ? r->state : "-", x->state, sizeof x->state);
    x->alert = rep__failed_state(r->state);
    n = snprintf(x->pkts, sizeof x->pkts, "%lld/%lld", (long long)r->pkts_out,
                 (long long)r->pkts_in);
    x->w_pkts = n > 0 ? (size_t)n : 0;
    rep__bytes(r->bytes_out, b1, sizeof b1);
    rep__bytes(r->bytes_in, b2, sizeof b2);
    n = snprintf(x->bytes, sizeof x->bytes, "%s/%s", b1, b2);
    x->w_bytes = n > 0 ? (size_t)n : 0;
    rep__duration(r->last - r->first, x->dur, sizeof x->dur);
    x->w_dur = strlen(x->dur);
    rep__escape(r->app && *r->app ? r->app : "-", x->app, sizeof x->app);
}

static size_t rep__max(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* Pass 1: column widths of the rows that will be shown. */
static int rep__size_cb(void *user, const struct sto_flow_row *r)
{
    struct rep__tctx *t = user;
    struct rep__row x;

    if (t->limit && t->rows >= t->limit)
        return 1;
    rep__format_row(t->anon, r, &x);
    t->c_proto = rep__max(t->c_proto, x.w_proto);
    t->c_src = rep__max(t->c_src, x.w_src);
    t->c_dst = rep__max(t->c_dst, x.w_dst);
    t->c_state = rep__max(t->c_state, x.w_state);
    t->c_pkts = rep__max(t->c_pkts, x.w_pkts);
    t->c_bytes = rep__max(t->c_bytes, x.w_bytes);
    t->c_dur = rep__max(t->c_dur, x.w_dur);
    t->rows++;
    return 0;
}

/* Writes @p s (display width @p w) in a column of width @p col, then two spaces. */
static void rep__cell(struct rep__out *w, const char *s, size_t sw, size_t col, int right,
                      const char *on, const char *off)
{
    size_t pad = col > sw ? col - sw : 0;

    if (right)
        rep__printf(w, "%*s", (int)pad, "");
    rep__printf(w, "%s%s%s", on, s, off);
    if (!right)
        rep__printf(w, "%*s", (int)pad, "");
    rep__puts(w, "  ");
}

/* Pass 2: the rows. */
static int rep__print_cb(void *user, const struct sto_flow_row *r)
{
    struct rep__tctx *t = user;
    struct rep__row x;
    const char *red;

    if (t->limit && t->rows >= t->limit)
        return 1;
    rep__format_row(t->anon, r, &x);
    red = x.alert ? rep__on(t, REP__RED) : "";
    rep__cell(t->w, x.proto, x.w_proto, t->c_proto, 0, "", "");
    rep__cell(t->w, x.src, x.w_src, t->c_src, 0, "", "");
    rep__cell(t->w, x.dst, x.w_dst, t->c_dst, 0, "", "");
    rep__cell(t->w, x.state, x.w_state, t->c_state, 0, red, *red ? REP__RESET : "");
    rep__cell(t->w, x.pkts, x.w_pkts, t->c_pkts, 1, "", "");
    rep__cell(t->w, x.bytes, x.w_bytes, t->c_bytes, 1, "", "");
    rep__cell(t->w, x.dur, x.w_dur, t->c_dur, 1, "", "");
    rep__printf(t->w, "%s\n", x.app);
    t->rows++;
    return t->w->err ? 1 : 0;
}

static int rep__capture_cb(void *user, const struct sto_capture_row *r)
{
    struct rep__tctx *t = user;
    char src[512], lt[64], kind[32], status[32], t1[40], t2[40], dur[24], bytes[24], sha[80];

    char srcname[512];
    rep__tesc(t->anon, REP__T_TEXT,
              rep__anon_source(t->anon, r->id, r->kind, r->source, srcname, sizeof srcname), src,
              sizeof src);
    rep__escape(r->linktype ? r->linktype : "?", lt, sizeof lt);
    rep__escape(r->kind, kind, sizeof kind);
    rep__escape(r->status, status, sizeof status);
    rep__iso8601(r->first, t1, sizeof t1);
    rep__iso8601(r->last, t2, sizeof t2);
    rep__duration(r->last - r->first, dur, sizeof dur);
    rep__bytes(r->bytes, bytes, sizeof bytes);

    rep__printf(t->w, "  #%lld %s (%s, link type %s/%d), %s\n", (long long)r->id, src, kind, lt,
                r->linktype_num, status);
    if (r->first > 0)
        rep__printf(t->w, "     %s to %s (%s)\n", t1, t2, dur);
    else
        rep__puts(t->w, "     no packets\n");
    rep__printf(t->w, "     %lld packets, %s, %lld drops, %lld warnings\n", (long long)r->packets,
                bytes, (long long)r->drops, (long long)r->warnings);
    if (r->sha256) {
        rep__escape(r->sha256, sha, sizeof sha);
        rep__printf(t->w, "     sha256 %s\n", sha);
    }
    return t->w->err ? 1 : 0;
}

static int rep__app_cb(void *user, const struct sto_app_row *r)
{
    struct rep__tctx *t = user;
    char app[160];

    if (t->napps >= REP__TOP_APPS)
        return 1;
    rep__escape(r->app ? r->app : "unclassified", app, sizeof app);
    rep__printf(t->w, "%s%s %lld", t->napps ? ", " : "", app, (long long)r->flows);
    t->napps++;
    return t->w->err ? 1 : 0;
}

/* Store walk result: -1 becomes the store's message; a stop for a write error is -1 too. */
static int rep__check(struct sto_db *db, struct rep__out *w, int rc, char *err)
{
    if (rc < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "%s", sto_errstr(db));
        return -1;
    }
    return w->err ? -1 : 0;
}

/* ---- STUN/TURN and DNS summaries ---- */

#define REP__TOP_ADDRS 10 /* addresses listed per kind */
#define REP__TOP_FAILS 20 /* failed names listed */
#define REP__W_METHOD 16  /* "createpermission" */
#define REP__W_CLASS 10   /* "indication" */
#define REP__W_RCODE 8    /* "NXDOMAIN", "SERVFAIL" */

/* State of the summary walks: totals in a first pass, lines in the second. */
struct rep__sctx {
    struct rep__out *w;
    struct rep__anon *anon;
    int64_t total;         /* messages / transactions / failures */
    int64_t shown;         /* items printed in the current list */
    int64_t hidden;        /* items not printed (beyond the limit) */
    const char *kind;      /* "relayed" or "mapped": the address list being written */
    size_t c_name, c_type; /* failure table: column widths */
    int print;             /* second pass */
};

static int rep__stun_count_cb(void *user, const struct sto_stun_count_row *r)
{
    struct rep__sctx *x = user;
    char m[32], cls[32], n[24], in[24];
    size_t wm, wc;

    if (!x->print) {
        x->total += r->messages;
        return 0;
    }
    if (r->method_name)
        wm = rep__escape(r->method_name, m, sizeof m);
    else
        wm = (size_t)snprintf(m, sizeof m, "%d", r->method);
    wc = rep__escape(r->cls, cls, sizeof cls);
    snprintf(n, sizeof n, "%lld", (long long)r->messages);
    snprintf(in, sizeof in, "%lld", (long long)r->inner);
    rep__puts(x->w, "  ");
    rep__cell(x->w, m, wm, REP__W_METHOD, 0, "", "");
    rep__cell(x->w, cls, wc, REP__W_CLASS, 0, "", "");
    rep__cell(x->w, n, strlen(n), strlen("MESSAGES"), 1, "", "");
    rep__printf(x->w, "%*s\n", (int)strlen("IN TURN"), in);
    return x->w->err ? 1 : 0;
}

/* One line per address kind: "  relayed: a (n), b (m), ... and 3 more". */
static void rep__addr_line_end(struct rep__sctx *x)
{
    if (!x->kind)
        return;
    if (x->hidden)
        rep__printf(x->w, ", and %lld more", (long long)x->hidden);
    rep__puts(x->w, "\n");
}

static int rep__stun_addr_cb(void *user, const struct sto_stun_addr_row *r)
{
    struct rep__sctx *x = user;
    char addr[96];

    if (!x->kind || !r->kind || strcmp(x->kind, r->kind) != 0) {
        rep__addr_line_end(x);
        /* The store gives "relayed", then "mapped"; keep our own static copy of the name. */
        x->kind = r->kind && !strcmp(r->kind, "relayed") ? "relayed" : "mapped";
        x->shown = x->hidden = 0;
        rep__printf(x->w, "  %s:%*s", x->kind, (int)(9 - strlen(x->kind)), "");
    }
    if (x->shown >= REP__TOP_ADDRS) {
        x->hidden++;
        return 0;
    }
    rep__tesc(x->anon, REP__T_TEXT, r->addr, addr, sizeof addr);
    rep__printf(x->w, "%s%s (%lld)", x->shown ? ", " : "", addr, (long long)r->messages);
    x->shown++;
    return x->w->err ? 1 : 0;
}

static int rep__stun_section(struct sto_db *db, struct rep__tctx *t, char *err)
{
    struct rep__sctx x = {.w = t->w, .anon = t->anon};
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);
    int rc;

    rc = sto_each_stun_count(db, &t->o->filter, rep__stun_count_cb, &x);
    if (rep__check(db, t->w, rc, err) < 0)
        return -1;
    rep__printf(t->w, "\n%sSTUN/TURN%s (%lld messages)\n", bold, reset, (long long)x.total);
    if (x.total == 0) {
        rep__puts(t->w, "  none\n");
        return t->w->err ? -1 : 0;
    }
    rep__printf(t->w, "  %s", bold);
    rep__cell(t->w, "METHOD", 6, REP__W_METHOD, 0, "", "");
    rep__cell(t->w, "CLASS", 5, REP__W_CLASS, 0, "", "");
    rep__printf(t->w, "MESSAGES  IN TURN%s\n", reset);
    x.print = 1;
    rc = sto_each_stun_count(db, &t->o->filter, rep__stun_count_cb, &x);
    if (rep__check(db, t->w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    rc = sto_each_stun_addr(db, &t->o->filter, rep__stun_addr_cb, &x);
    if (rep__check(db, t->w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    rep__addr_line_end(&x);
    return t->w->err ? -1 : 0;
}

static int rep__dns_rcode_cb(void *user, const struct sto_dns_count_row *r)
{
    struct rep__sctx *x = user;
    char rc[32];

    if (!x->print) {
        x->total += r->transactions;
        return 0;
    }
    rep__escape(r->rcode ? r->rcode : "unanswered", rc, sizeof rc);
    rep__printf(x->w, "%s%s %lld", x->shown++ ? ", " : "  response codes: ", rc,
                (long long)r->transactions);
    return x->w->err ? 1 : 0;
}

static int rep__dns_fail_cb(void *user, const struct sto_dns_count_row *r)
{
    struct rep__sctx *x = user;
    char rcode[32], name[256], type[32], n[24];
    size_t wr, wn, wt;

    if (x->shown >= REP__TOP_FAILS) {
        x->hidden++;
        return 0;
    }
    x->shown++;
    wr = rep__escape(r->rcode, rcode, sizeof rcode);
    wn = rep__tesc(x->anon, REP__T_NAME, r->qname ? r->qname : "-", name, sizeof name);
    wt = rep__escape(r->qtype ? r->qtype : "-", type, sizeof type);
    if (!x->print) {
        x->c_name = rep__max(x->c_name, wn);
        x->c_type = rep__max(x->c_type, wt);
        return 0;
    }
    snprintf(n, sizeof n, "%lld", (long long)r->transactions);
    rep__puts(x->w, "    ");
    rep__cell(x->w, rcode, wr, REP__W_RCODE, 0, "", "");
    rep__cell(x->w, name, wn, x->c_name, 0, "", "");
    rep__cell(x->w, type, wt, x->c_type, 0, "", "");
    rep__printf(x->w, "%s\n", n);
    return x->w->err ? 1 : 0;
}

static int rep__dns_section(struct sto_db *db, struct rep__tctx *t, char *err)
{
    struct rep__sctx x = {.w = t->w, .anon = t->anon};
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);
    int rc;

    rc = sto_each_dns_rcode(db, &t->o->filter, rep__dns_rcode_cb, &x);
    if (rep__check(db, t->w, rc, err) < 0)
        return -1;
    rep__printf(t->w, "\n%sDNS%s (%lld transactions)\n", bold, reset, (long long)x.total);
    if (x.total == 0) {
        rep__puts(t->w, "  none\n");
        return t->w->err ? -1 : 0;
    }
    x.print = 1;
    rc = sto_each_dns_rcode(db, &t->o->filter, rep__dns_rcode_cb, &x);
    if (rep__check(db, t->w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    rep__puts(t->w, "\n");

    /* Pass 1 sizes the name and type columns of the failures shown. */
    x.print = 0;
    x.shown = x.hidden = 0;
    x.c_name = strlen("NAME");
    x.c_type = strlen("TYPE");
    rc = sto_each_dns_failure(db, &t->o->filter, rep__dns_fail_cb, &x);
    if (rep__check(db, t->w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    if (x.shown == 0)
        return t->w->err ? -1 : 0;
    rep__printf(t->w, "  failed names:\n    %s", bold);
    rep__cell(t->w, "RCODE", 5, REP__W_RCODE, 0, "", "");
    rep__cell(t->w, "NAME", 4, x.c_name, 0, "", "");
    rep__cell(t->w, "TYPE", 4, x.c_type, 0, "", "");
    rep__printf(t->w, "COUNT%s\n", reset);
    x.print = 1;
    x.shown = x.hidden = 0;
    rc = sto_each_dns_failure(db, &t->o->filter, rep__dns_fail_cb, &x);
    if (rep__check(db, t->w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    if (x.hidden)
        rep__printf(t->w, "    ... %lld more names not shown\n", (long long)x.hidden);
    return t->w->err ? -1 : 0;
}

/* ---- TLS ---- */

#define REP__TOP_SNIS 10   /* server names listed */
#define REP__TOP_LEAVES 20 /* leaf certificates listed */
#define REP__TOP_ALERTS 10 /* kinds of alert listed */

/* "name n, name n, ..., and k more" lists of the TLS section. */
struct rep__tlsctx {
    struct rep__out *w;
    struct rep__anon *anon;
    int64_t shown, hidden, limit;
    int names; /* the list is of server names (anonymised), not versions */
};

static int rep__tls_count_cb(void *user, const struct sto_tls_count_row *r, const char *none)
{
    struct rep__tlsctx *x = user;
    char name[DIS_TLS_SNI_SIZE + 64];

    if (x->limit && x->shown >= x->limit) {
        x->hidden++;
        return 0;
    }
    if (r->name && x->anon && x->names)
        rep__tesc(x->anon, REP__T_NAME, r->name, name, sizeof name);
    else
        rep__escape(r->name ? r->name : none, name, sizeof name);
    rep__printf(x->w, "%s%s %lld", x->shown++ ? ", " : "", name, (long long)r->connections);
    return x->w->err ? 1 : 0;
}

static int rep__tls_version_cb(void *user, const struct sto_tls_count_row *r)
{
    return rep__tls_count_cb(user, r, "no ServerHello");
}

static int rep__tls_sni_cb(void *user, const struct sto_tls_count_row *r)
{
    return rep__tls_count_cb(user, r, "(none)");
}

/* The value of hex digit @p c, or -1. */
static int rep__hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The value of attribute @p key ("CN", "O") of the RFC 2253 name @p dn, unescaped ("\\," is a
 * comma, "\\XX" a hex byte), into @p buf; NULL when absent. The scan is bounded by the name. */
static const char *rep__dn_attr(const char *dn, const char *key, char *buf, size_t len)
{
    size_t klen = strlen(key);
    const char *p = dn;

    while (p && *p) {
        int match = strncmp(p, key, klen) == 0 && p[klen] == '=';
        size_t n = 0;

        if (match)
            p += klen + 1;
        while (*p && *p != ',' && *p != '+') {
            char ch = *p++;

            if (ch == '\\' && *p) {
                int hi = rep__hexval(p[0]), lo = hi >= 0 ? rep__hexval(p[1]) : -1;

                if (lo >= 0) {
                    ch = (char)(hi << 4 | lo);
                    p += 2;
                } else {
                    ch = *p++;
                }
            }
            if (match && n + 1 < len)
                buf[n++] = ch;
        }
        if (match) {
            buf[n] = '\0';
            return buf;
        }
        if (*p)
            p++;
    }
    return NULL;
}

/* A short form of a distinguished name for the terminal: "CN (O)", "CN", "O", else the name
 * itself; escaped. */
static void rep__dn_short(struct rep__anon *an, const char *dn, char *buf, size_t len)
{
    char cn[DIS_TLS_NAME_SIZE], o[DIS_TLS_NAME_SIZE], both[2 * DIS_TLS_NAME_SIZE + 4];
    const char *c = rep__dn_attr(dn, "CN", cn, sizeof cn);
    const char *org = rep__dn_attr(dn, "O", o, sizeof o);

    if (c && org)
        snprintf(both, sizeof both, "%s (%s)", c, org);
    else
        snprintf(both, sizeof both, "%s", c ? c : org ? org : dn);
    rep__tesc(an, REP__T_TEXT, both, buf, len);
}

static int rep__tls_leaf_cb(void *user, const struct sto_tls_leaf_row *r)
{
    struct rep__tlsctx *x = user;
    char subj[DIS_TLS_NAME_SIZE + 64], iss[DIS_TLS_NAME_SIZE + 64],
        why[DIS_TLS_VERIFY_STR_SIZE + 64];
    const char *verdict = r->chain ? r->chain : "unverified";
    int bad = r->chain && strcmp(r->chain, "valid") != 0;

    if (x->shown >= x->limit) {
        x->hidden++;
        return 0;
    }
    x->shown++;
    if (r->subject)
        rep__dn_short(x->anon, r->subject, subj, sizeof subj);
    else
        rep__escape("(unreadable certificate)", subj, sizeof subj);
    rep__dn_short(x->anon, r->issuer ? r->issuer : "?", iss, sizeof iss);
    rep__tesc(x->anon, REP__T_TEXT, bad && r->verify_reason ? r->verify_reason : "", why,
              sizeof why);
    rep__printf(x->w, "    %-10s %s", verdict, subj);
    if (r->self_issued)
        rep__puts(x->w, " (self-issued)");
    else if (r->subject)
        rep__printf(x->w, ", issued by %s", iss);
    if (*why)
        rep__printf(x->w, ": %s", why);
    rep__printf(x->w, " (%lld connection%s)\n", (long long)r->connections,
                r->connections == 1 ? "" : "s");
    return x->w->err ? 1 : 0;
}

static int rep__tls_alert_cb(void *user, const struct sto_tls_alert_row *r)
{
    struct rep__tlsctx *x = user;
    const char *name = r->desc >= 0 ? rep__tls_alert_name(r->desc) : NULL;
    char sni[DIS_TLS_SNI_SIZE + 64];

    if (x->shown >= x->limit) {
        x->hidden++;
        return 0;
    }
    x->shown++;
    rep__printf(x->w, "    %lld from %s: ", (long long)r->connections,
                r->from && !strcmp(r->from, "client") ? "client" : "server");
    if (r->encrypted)
        rep__puts(x->w, "encrypted");
    else
        rep__printf(x->w, "%s (%d)", name ? name : "alert", r->desc);
    rep__puts(x->w, r->before_established ? ", during the handshake" : ", after the handshake");
    if (r->sni) {
        rep__tesc(x->anon, REP__T_NAME, r->sni, sni, sizeof sni);
        rep__printf(x->w, ", e.g. %s", sni);
    }
    rep__puts(x->w, "\n");
    return x->w->err ? 1 : 0;
}

/* Ends a list line of the TLS section. */
static void rep__tls_list_end(struct rep__tlsctx *x)
{
    if (x->hidden)
        rep__printf(x->w, ", and %lld more", (long long)x->hidden);
    rep__puts(x->w, "\n");
}

static int rep__tls_section(struct sto_db *db, struct rep__tctx *t, char *err)
{
    struct rep__tlsctx x = {.w = t->w, .anon = t->anon};
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);
    const struct sto_filter *f = &t->o->filter;
    struct sto_tls_totals tot;
    int rc;

    if (sto_tls_totals(db, f, &tot) < 0)
        return rep__check(db, t->w, -1, err);
    rep__printf(t->w, "\n%sTLS%s (%lld connection%s, %lld established", bold, reset,
                (long long)tot.connections, tot.connections == 1 ? "" : "s",
                (long long)tot.established);
    if (tot.hrr)
        rep__printf(t->w, ", %lld with HelloRetryRequest", (long long)tot.hrr);
    if (tot.tunnelled)
        rep__printf(t->w, ", %lld through an HTTP proxy", (long long)tot.tunnelled);
    rep__puts(t->w, ")\n");
    if (tot.connections == 0) {
        rep__puts(t->w, "  none\n");
        return t->w->err ? -1 : 0;
    }

    rep__puts(t->w, "  versions: ");
    rc = sto_each_tls_version(db, f, rep__tls_version_cb, &x);
    if (rep__check(db, t->w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    rep__tls_list_end(&x);

    x.shown = x.hidden = 0;
    x.limit = REP__TOP_SNIS;
    x.names = 1;
    rep__puts(t->w, "  server names: ");
    rc = sto_each_tls_sni(db, f, rep__tls_sni_cb, &x);
    if (rep__check(db, t->w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    rep__tls_list_end(&x);

    /* TLS 1.3 encrypts the certificate: only TLS <= 1.2 connections can show one. */
    if (tot.with_certs == 0)
        rep__puts(t->w, "  certificates: none seen\n");
    else
        rep__printf(t->w,
                    "  certificates: %lld connection%s showed one (%lld valid, %lld invalid, "
                    "%lld not verifiable, %lld not verified)\n",
                    (long long)tot.with_certs, tot.with_certs == 1 ? "" : "s", (long long)tot.valid,
                    (long long)tot.invalid, (long long)tot.errors,
                    (long long)(tot.with_certs - tot.valid - tot.invalid - tot.errors));
    x.shown = x.hidden = 0;
    x.limit = REP__TOP_LEAVES;
    x.names = 0;
    rc = sto_each_tls_leaf(db, f, rep__tls_leaf_cb, &x);
    if (rep__check(db, t->w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    if (x.hidden)
        rep__printf(t->w, "    ... %lld more certificates not shown\n", (long long)x.hidden);

    if (tot.fatal_alerts == 0) {
        rep__puts(t->w, "  fatal alerts: none\n");
        return t->w->err ? -1 : 0;
    }
    rep__printf(t->w, "  fatal alerts: %lld connection%s\n", (long long)tot.fatal_alerts,
                tot.fatal_alerts == 1 ? "" : "s");
    x.shown = x.hidden = 0;
    x.limit = REP__TOP_ALERTS;
    rc = sto_each_tls_alert(db, f, rep__tls_alert_cb, &x);
    if (rep__check(db, t->w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    if (x.hidden)
        rep__printf(t->w, "    ... %lld more kinds not shown\n", (long long)x.hidden);
    return t->w->err ? -1 : 0;
}

/* ---- analysis: sessions, verdicts, hosts ---- */

/* State of the analysis sections: a count in a first pass, lines in the second. */
struct rep__actx {
    struct rep__out *w;
    struct rep__anon *anon;
    const char *pad; /* hosts: what precedes a line; NULL: two spaces */
    int64_t total;
    int print;
};

/* Writes "    " and the escaped @p s on a line of its own (nothing for NULL or ""). */
static void rep__indented(struct rep__out *w, struct rep__anon *an, const char *s)
{
    char buf[4096];

    if (!s || !*s)
        return;
    rep__tesc(an, REP__T_TEXT, s, buf, sizeof buf);
    rep__printf(w, "      %s\n", buf);
}

static int rep__session_line_cb(void *user, const struct sto_session_row *r)
{
    struct rep__actx *x = user;
    char kind[32], sub[32], loc[96], rem[96], proto[16], bytes[24], dur[24];

    x->total++;
    if (!x->print)
        return 0;
    rep__escape(r->kind, kind, sizeof kind);
    rep__printf(x->w, "  #%lld %s", (long long)r->id, kind);
    if (r->method > 0) {
        rep__escape(r->submethod, sub, sizeof sub);
        rep__printf(x->w, ", method %d%s%s", r->method, r->submethod ? "/" : "", sub);
    } else {
        rep__puts(x->w, ", no method");
    }
    if (r->sel_local || r->sel_remote) {
        rep__tesc(x->anon, REP__T_TEXT, r->sel_local ? r->sel_local : "?", loc, sizeof loc);
        rep__tesc(x->anon, REP__T_TEXT, r->sel_remote ? r->sel_remote : "?", rem, sizeof rem);
        rep__escape(r->proto ? r->proto : "?", proto, sizeof proto);
        rep__printf(x->w, ", %s %s <-> %s", proto, loc, rem);
    }
    rep__bytes(r->bytes, bytes, sizeof bytes);
    rep__duration(r->last - r->first, dur, sizeof dur);
    rep__printf(x->w, ", %s in %s", bytes, dur);
    if (r->pairs > 0)
        rep__printf(x->w, ", %lld pair%s", (long long)r->pairs, r->pairs == 1 ? "" : "s");
    if (r->link_id > 0)
        rep__printf(x->w, ", with #%lld", (long long)r->link_id);
    rep__puts(x->w, "\n");
    rep__indented(x->w, x->anon, r->explanation);
    return x->w->err ? 1 : 0;
}

static int rep__verdict_line_cb(void *user, const struct sto_verdict_row *r)
{
    struct rep__actx *x = user;
    char code[64], kind[32], conf[32], rule[64], proto[16], src[96], dst[96], host[512];
    int ports = r->proto && (!strcmp(r->proto, "tcp") || !strcmp(r->proto, "udp"));

    x->total++;
    if (!x->print)
        return 0;
    rep__escape(r->code, code, sizeof code);
    rep__escape(r->kind, kind, sizeof kind);
    rep__escape(r->confidence, conf, sizeof conf);
    rep__escape(r->rule ? r->rule : "-", rule, sizeof rule);
    rep__escape(r->proto ? r->proto : "?", proto, sizeof proto);
    rep__endpoint(x->anon, r->src, r->sport, ports, src, sizeof src);
    rep__endpoint(x->anon, r->dst, r->dport, ports, dst, sizeof dst);
    rep__printf(x->w, "  %s (%s, %s), rule %s: %s %s -> %s", code, kind, conf, rule, proto, src,
                dst);
    if (r->host) {
        rep__tesc(x->anon, REP__T_NAME, r->host, host, sizeof host);
        rep__printf(x->w, " (%s)", host);
    }
    if (r->session_id > 0)
        rep__printf(x->w, ", session #%lld", (long long)r->session_id);
    rep__puts(x->w, "\n");
    rep__indented(x->w, x->anon, r->evidence);
    return x->w->err ? 1 : 0;
}

/* The elements of the stored JSON array text @p a (hosts.names, hosts.methods) as an escaped
 * comma list ("a.example, b.example", "2, 3"); "" for an empty array, the text itself escaped
 * when it is not an array. */
static void rep__array_text(struct rep__anon *an, const char *a, char *buf, size_t len)
{
    json_t *j = a ? json_loads(a, 0, NULL) : NULL;
    char tmp[2048];
    size_t o = 0, i;
    json_t *v;

    tmp[0] = '\0';
    if (!json_is_array(j)) {
        json_decref(j);
        rep__escape(a, buf, len);
        return;
    }
    json_array_foreach(j, i, v)
    {
        int n = 0;

        if (o + 1 >= sizeof tmp)
            break;
        if (json_is_string(v)) {
            char nb[512];

            n = snprintf(tmp + o, sizeof tmp - o, "%s%s", i ? ", " : "",
                         an ? rep__anon_name(an, json_string_value(v), nb, sizeof nb)
                            : json_string_value(v));
        } else if (json_is_integer(v))
            n = snprintf(tmp + o, sizeof tmp - o, "%s%lld", i ? ", " : "",
                         (long long)json_integer_value(v));
        if (n > 0)
            o = (size_t)n < sizeof tmp - o ? o + (size_t)n : sizeof tmp - 1;
    }
    json_decref(j);
    rep__escape(tmp, buf, len);
}

static int rep__host_line_cb(void *user, const struct sto_host_row *r)
{
    struct rep__actx *x = user;
    char addr[72], role[32], methods[64], names[512], t1[40], t2[40];

    x->total++;
    if (!x->print)
        return 0;
    rep__tesc(x->anon, REP__T_ADDR, r->addr, addr, sizeof addr);
    rep__escape(r->role, role, sizeof role);
    rep__array_text(NULL, r->methods, methods, sizeof methods);
    rep__array_text(x->anon, r->names, names, sizeof names);
    rep__iso8601(r->first, t1, sizeof t1);
    rep__iso8601(r->last, t2, sizeof t2);
    rep__printf(x->w, "%s%s %s%s, methods %s, %lld verdict%s, %s to %s", x->pad ? x->pad : "  ",
                addr, role, r->local ? " (local)" : "", *methods ? methods : "none",
                (long long)r->verdicts, r->verdicts == 1 ? "" : "s", t1, t2);
    if (*names)
        rep__printf(x->w, ": %s", names);
    rep__puts(x->w, "\n");
    return x->w->err ? 1 : 0;
}

/* The three walks differ only in their row type; each is called through its own type. */
enum rep__akind { REP__A_SESSIONS, REP__A_VERDICTS, REP__A_HOSTS };

static int rep__awalk(struct sto_db *db, const struct sto_filter *f, enum rep__akind k,
                      struct rep__actx *x)
{
    switch (k) {
    case REP__A_SESSIONS:
        return sto_each_session(db, f, rep__session_line_cb, x);
    case REP__A_VERDICTS:
        return sto_each_verdict(db, f, rep__verdict_line_cb, x);
    case REP__A_HOSTS:
        return sto_each_host(db, f, rep__host_line_cb, x);
    }
    return 0;
}

static int rep__analysis_section(struct sto_db *db, struct rep__tctx *t, enum rep__akind k,
                                 const char *title, char *err)
{
    struct rep__actx x = {.w = t->w, .anon = t->anon};
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);

    if (rep__check(db, t->w, rep__awalk(db, &t->o->filter, k, &x), err) < 0)
        return -1;
    rep__printf(t->w, "\n%s%s%s (%lld)\n", bold, title, reset, (long long)x.total);
    if (x.total == 0) {
        rep__puts(t->w, "  none\n");
        return t->w->err ? -1 : 0;
    }
    x.print = 1;
    return rep__check(db, t->w, rep__awalk(db, &t->o->filter, k, &x), err);
}

static void rep__filter_line(struct rep__tctx *t)
{
    const struct sto_filter *f = &t->o->filter;
    char buf[160], ts[40];

    if (!f->capture_id && !(f->host && *f->host) && f->since <= 0 && f->until <= 0 &&
        f->method <= 0 && !(f->rule && *f->rule))
        return;
    rep__puts(t->w, "filter:");
    if (f->capture_id)
        rep__printf(t->w, " capture %lld", (long long)f->capture_id);
    if (f->host && *f->host) {
        rep__tesc(t->anon, REP__T_ADDR, f->host, buf, sizeof buf);
        rep__printf(t->w, " host %s", buf);
    }
    if (f->method > 0)
        rep__printf(t->w, " method %d", f->method);
    if (f->rule && *f->rule) {
        rep__escape(f->rule, buf, sizeof buf);
        rep__printf(t->w, " rule %s", buf);
    }
    if (f->since > 0) {
        rep__iso8601(f->since, ts, sizeof ts);
        rep__printf(t->w, " since %s", ts);
    }
    if (f->until > 0) {
        rep__iso8601(f->until, ts, sizeof ts);
        rep__printf(t->w, " until %s", ts);
    }
    rep__puts(t->w, "\n");
}

/* ---- summary, checklist, methods, hosts ---- */

#define REP__GREEN "\033[32m"
#define REP__YELLOW "\033[33m"
#define REP__DIM "\033[2m"

/* Product hosts (clients and consoles) and other hosts, counted per role. */
struct rep__hcount {
    int64_t clients, consoles, servers, others;
};

static int rep__hcount_cb(void *user, const struct sto_host_row *r)
{
    struct rep__hcount *h = user;

    if (r->role && !strcmp(r->role, "client"))
        h->clients++;
    else if (r->role && !strcmp(r->role, "console"))
        h->consoles++;
    else if (r->role && !strcmp(r->role, "server"))
        h->servers++;
    else
        h->others++;
    return 0;
}

static int rep__summary_section(struct sto_db *db, struct rep__tctx *t,
                                const struct sto_totals *tot, char *err)
{
    struct rep__out *w = t->w;
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);
    struct rep__hcount h = {0};
    char t1[40], t2[40], dur[24], bytes[24];
    int rc;

    rc = sto_each_host(db, &t->o->filter, rep__hcount_cb, &h);
    if (rep__check(db, w, rc, err) < 0)
        return -1;
    rep__printf(w, "\n%sSummary%s\n", bold, reset);
    rep__printf(w, "  sources: %lld capture%s\n", (long long)tot->captures,
                tot->captures == 1 ? "" : "s");
    if (tot->first > 0) {
        rep__iso8601(tot->first, t1, sizeof t1);
        rep__iso8601(tot->last, t2, sizeof t2);
        rep__duration(tot->last - tot->first, dur, sizeof dur);
        rep__printf(w, "  time: %s to %s (%s)\n", t1, t2, dur);
    } else {
        rep__puts(w, "  time: -\n");
    }
    rep__bytes(tot->bytes, bytes, sizeof bytes);
    rep__printf(w, "  packets: %lld (%s), %lld drops, %lld warnings\n", (long long)tot->packets,
                bytes, (long long)tot->drops, (long long)tot->warnings);
    rep__printf(w, "  flows: %lld (tcp %lld, udp %lld, icmp %lld, other %lld)\n",
                (long long)tot->flows, (long long)tot->tcp_flows, (long long)tot->udp_flows,
                (long long)tot->icmp_flows, (long long)tot->other_flows);
    if (tot->flows > 0) {
        rep__puts(w, "  top applications: ");
        t->napps = 0;
        rc = sto_each_app(db, &t->o->filter, rep__app_cb, t);
        if (rep__check(db, w, rc < 0 ? rc : 0, err) < 0)
            return -1;
        rep__puts(w, "\n");
    }
    rep__printf(w, "  product hosts: %lld (%lld console%s, %lld client%s); %lld server%s\n",
                (long long)(h.clients + h.consoles), (long long)h.consoles,
                h.consoles == 1 ? "" : "s", (long long)h.clients, h.clients == 1 ? "" : "s",
                (long long)h.servers, h.servers == 1 ? "" : "s");
    return w->err ? -1 : 0;
}

/* One checklist row, copied out of rep__checklist's callback (its strings are borrowed). */
struct rep__ckrow {
    char rule[96], status[16], flows[48], verdicts[64], change[1024], codes[512];
    char examples[3][1024];
    int n_examples;
    size_t w_rule, w_flows, w_verdicts;
};

struct rep__ckctx {
    struct rep__anon *anon;
    struct rep__ckrow *v;
    size_t n, cap;
    int oom;
};

static int rep__ck_collect_cb(void *user, const struct rep__check *c)
{
    struct rep__ckctx *x = user;
    struct rep__ckrow *r;
    int n;

    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        struct rep__ckrow *v = realloc(x->v, cap * sizeof *v);

        if (!v) {
            x->oom = 1;
            return 1;
        }
        x->v = v;
        x->cap = cap;
    }
    r = &x->v[x->n++];
    memset(r, 0, sizeof *r);
    r->w_rule = rep__escape(c->rule, r->rule, sizeof r->rule);
    rep__escape(c->status, r->status, sizeof r->status);
    n = snprintf(r->flows, sizeof r->flows, "%lld/%lld", (long long)c->flows_ok,
                 (long long)c->flows);
    r->w_flows = n > 0 ? (size_t)n : 0;
    if (c->blocked && c->inspected)
        n = snprintf(r->verdicts, sizeof r->verdicts, "%lld blocked, %lld inspected",
                     (long long)c->blocked, (long long)c->inspected);
    else if (c->blocked)
        n = snprintf(r->verdicts, sizeof r->verdicts, "%lld blocked", (long long)c->blocked);
    else if (c->inspected)
        n = snprintf(r->verdicts, sizeof r->verdicts, "%lld inspected", (long long)c->inspected);
    else
        n = snprintf(r->verdicts, sizeof r->verdicts, "-");
    r->w_verdicts = n > 0 ? (size_t)n : 0;
    rep__tesc(x->anon, REP__T_TEXT, c->change && *c->change ? c->change : "-", r->change,
              sizeof r->change);
    rep__escape(c->codes, r->codes, sizeof r->codes);
    for (int i = 0; i < c->n_examples && i < 3; i++)
        rep__tesc(x->anon, REP__T_TEXT, c->examples[i], r->examples[i], sizeof r->examples[i]);
    r->n_examples = c->n_examples < 3 ? c->n_examples : 3;
    return 0;
}

static const char *rep__status_color(const struct rep__tctx *t, const char *status)
{
    if (!t->o->color)
        return "";
    if (!strcmp(status, "ok"))
        return REP__GREEN;
    if (!strcmp(status, "blocked"))
        return REP__RED;
    if (!strcmp(status, "inspected"))
        return REP__YELLOW;
    return REP__DIM;
}

static int rep__checklist_section(struct sto_db *db, struct rep__tctx *t, char *err)
{
    struct rep__out *w = t->w;
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);
    struct rep__ckctx x = {.anon = t->anon};
    size_t c_rule = strlen("RULE"), c_status = strlen("inspected"), c_flows = strlen("ANSWERED"),
           c_verd = strlen("VERDICTS");
    int rc = rep__checklist(db, t->o, rep__ck_collect_cb, &x, err);

    if (rc < 0 || x.oom) {
        if (x.oom)
            snprintf(err, SS_ERRBUF_SIZE, "checklist: out of memory");
        free(x.v);
        return -1;
    }
    rep__printf(w, "\n%sChecklist%s (%zu rule%s)\n", bold, reset, x.n, x.n == 1 ? "" : "s");
    if (x.n == 0) {
        rep__puts(w, "  none (no analysed capture with a profile)\n");
        free(x.v);
        return w->err ? -1 : 0;
    }
    for (size_t i = 0; i < x.n; i++) {
        c_rule = rep__max(c_rule, x.v[i].w_rule);
        c_flows = rep__max(c_flows, x.v[i].w_flows);
        c_verd = rep__max(c_verd, x.v[i].w_verdicts);
    }
    rep__printf(w, "  %s", bold);
    rep__cell(w, "RULE", 4, c_rule, 0, "", "");
    rep__cell(w, "STATUS", 6, c_status, 0, "", "");
    rep__cell(w, "ANSWERED", 8, c_flows, 1, "", "");
    rep__cell(w, "VERDICTS", 8, c_verd, 0, "", "");
    rep__printf(w, "CHANGE%s\n", reset);
    for (size_t i = 0; i < x.n && !w->err; i++) {
        const struct rep__ckrow *r = &x.v[i];
        const char *on = rep__status_color(t, r->status);

        rep__puts(w, "  ");
        rep__cell(w, r->rule, r->w_rule, c_rule, 0, "", "");
        rep__cell(w, r->status, strlen(r->status), c_status, 0, on, *on ? REP__RESET : "");
        rep__cell(w, r->flows, r->w_flows, c_flows, 1, "", "");
        rep__cell(w, r->verdicts, r->w_verdicts, c_verd, 0, "", "");
        rep__printf(w, "%s\n", r->change);
        if (*r->codes)
            rep__printf(w, "      codes: %s\n", r->codes);
        for (int k = 0; k < r->n_examples; k++)
            rep__printf(w, "      %s\n", r->examples[k]);
    }
    free(x.v);
    return w->err ? -1 : 0;
}

/* The Methods section: one line per (method, submethod), then its sessions' explanations. */
struct rep__mrow {
    int method;
    char submethod[32], kind[32]; /* "" when NULL */
    int64_t sessions, bytes, rtt_n;
    double rtt_ms;
};

struct rep__mctx {
    struct rep__mrow *v;
    size_t n, cap;
    int oom;
    int64_t with_method; /* sessions with a method: the base of the shares */
};

static int rep__mstat_cb(void *user, const struct sto_method_stat_row *r)
{
    struct rep__mctx *x = user;
    struct rep__mrow *m;

    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 8;
        struct rep__mrow *v = realloc(x->v, cap * sizeof *v);

        if (!v) {
            x->oom = 1;
            return 1;
        }
        x->v = v;
        x->cap = cap;
    }
    m = &x->v[x->n++];
    memset(m, 0, sizeof *m);
    m->method = r->method;
    snprintf(m->submethod, sizeof m->submethod, "%s", r->submethod ? r->submethod : "");
    snprintf(m->kind, sizeof m->kind, "%s", r->kind ? r->kind : "");
    m->sessions = r->sessions;
    m->bytes = r->bytes;
    m->rtt_ms = r->rtt_ms;
    m->rtt_n = r->rtt_n;
    if (r->method > 0)
        x->with_method += r->sessions;
    return 0;
}

/* The sessions of one Methods row, each with its explanation. */
struct rep__msess {
    struct rep__out *w;
    struct rep__anon *anon;
    const struct rep__mrow *m;
};

static int rep__msess_cb(void *user, const struct sto_session_row *r)
{
    struct rep__msess *x = user;
    const struct rep__mrow *m = x->m;
    char a[96], b[96], bytes[24], dur[24], why[4096];

    if (r->method != m->method || strcmp(r->submethod ? r->submethod : "", m->submethod) != 0)
        return 0;
    if (m->method == 0 && strcmp(r->kind ? r->kind : "", m->kind) != 0)
        return 0;
    /* A TURN allocation that an ICE session ran through is listed with that session. */
    if (r->kind && !strcmp(r->kind, "turn") && r->link_id > 0)
        return 0;
    rep__tesc(x->anon, REP__T_ADDR, r->client ? r->client : "?", a, sizeof a);
    if (r->peer)
        rep__tesc(x->anon, REP__T_ADDR, r->peer, b, sizeof b);
    else
        rep__tesc(x->anon, REP__T_TEXT, r->server ? r->server : "?", b, sizeof b);
    rep__bytes(r->bytes, bytes, sizeof bytes);
    rep__duration(r->last - r->first, dur, sizeof dur);
    rep__printf(x->w, "    #%lld %s <-> %s, %s in %s\n", (long long)r->id, a, b, bytes, dur);
    if (r->explanation && *r->explanation) {
        rep__tesc(x->anon, REP__T_TEXT, r->explanation, why, sizeof why);
        rep__printf(x->w, "      %s\n", why);
    }
    return x->w->err ? 1 : 0;
}

static int rep__methods_section(struct sto_db *db, struct rep__tctx *t, char *err)
{
    struct rep__out *w = t->w;
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);
    struct rep__mctx x = {0};
    int64_t total = 0;
    int rc = sto_each_method_stat(db, &t->o->filter, rep__mstat_cb, &x);

    if (rc < 0 || x.oom) {
        free(x.v);
        if (x.oom) {
            snprintf(err, SS_ERRBUF_SIZE, "methods: out of memory");
            return -1;
        }
        return rep__check(db, w, -1, err);
    }
    for (size_t i = 0; i < x.n; i++)
        total += x.v[i].sessions;
    rep__printf(w, "\n%sMethods%s (%lld session%s)\n", bold, reset, (long long)total,
                total == 1 ? "" : "s");
    if (x.n == 0)
        rep__puts(w, "  none\n");
    for (size_t i = 0; i < x.n && !w->err; i++) {
        const struct rep__mrow *m = &x.v[i];
        struct rep__msess s = {.w = w, .anon = t->anon, .m = m};
        struct sto_filter f = t->o->filter;
        char bytes[24], sub[48], kind[48];

        rep__bytes(m->bytes, bytes, sizeof bytes);
        rep__escape(m->submethod, sub, sizeof sub);
        rep__escape(m->kind, kind, sizeof kind);
        if (m->method > 0)
            rep__printf(
                w, "  %smethod %d%s%s%s: %lld session%s (%.0f%%), %s", bold, m->method,
                *sub ? " " : "", sub, reset, (long long)m->sessions, m->sessions == 1 ? "" : "s",
                x.with_method ? 100.0 * (double)m->sessions / (double)x.with_method : 0.0, bytes);
        else
            rep__printf(w, "  %sno method (%s)%s: %lld session%s, %s", bold, *kind ? kind : "other",
                        reset, (long long)m->sessions, m->sessions == 1 ? "" : "s", bytes);
        if (m->rtt_n > 0)
            rep__printf(w, ", RTT %.1f ms (median of %lld)", m->rtt_ms, (long long)m->rtt_n);
        rep__puts(w, "\n");
        f.method = m->method;
        rc = sto_each_session(db, &f, rep__msess_cb, &s);
        if (rep__check(db, w, rc < 0 ? rc : 0, err) < 0) {
            free(x.v);
            return -1;
        }
    }
    free(x.v);
    return w->err ? -1 : 0;
}

/* Hosts: the product hosts (clients, consoles), then the servers and others. */
struct rep__hctx {
    struct rep__actx a;
    int product; /* 1: clients and consoles; 0: the others */
};

static int rep__host_pick_cb(void *user, const struct sto_host_row *r)
{
    struct rep__hctx *h = user;
    int product = r->role && (!strcmp(r->role, "client") || !strcmp(r->role, "console"));

    if (product != h->product)
        return 0;
    return rep__host_line_cb(&h->a, r);
}

static int rep__hosts_section(struct sto_db *db, struct rep__tctx *t, char *err)
{
    struct rep__out *w = t->w;
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);
    struct rep__hcount n = {0};
    struct rep__hctx h = {.a = {.w = w, .anon = t->anon, .pad = "    ", .print = 1}, .product = 1};
    int rc = sto_each_host(db, &t->o->filter, rep__hcount_cb, &n);

    if (rep__check(db, w, rc, err) < 0)
        return -1;
    rep__printf(w, "\n%sHosts%s (%lld)\n", bold, reset,
                (long long)(n.clients + n.consoles + n.servers + n.others));
    if (n.clients + n.consoles + n.servers + n.others == 0) {
        rep__puts(w, "  none\n");
        return w->err ? -1 : 0;
    }
    rep__printf(w, "  product hosts (%lld):\n", (long long)(n.clients + n.consoles));
    rc = sto_each_host(db, &t->o->filter, rep__host_pick_cb, &h);
    if (rep__check(db, w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    if (n.servers + n.others == 0)
        return w->err ? -1 : 0;
    rep__printf(w, "  servers and others (%lld):\n", (long long)(n.servers + n.others));
    h.product = 0;
    rc = sto_each_host(db, &t->o->filter, rep__host_pick_cb, &h);
    return rep__check(db, w, rc < 0 ? rc : 0, err);
}

/* The flow table of the @p flows matching flows, sized in a first pass. */
static int rep__flow_table(struct sto_db *db, struct rep__tctx *t, int64_t flows, char *err)
{
    struct rep__out *w = t->w;
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);
    int rc;

    /* Pass 1 sizes the columns from the headers and the rows to be shown. */
    t->c_proto = strlen("PROTO");
    t->c_src = strlen("SRC");
    t->c_dst = strlen("DST");
    t->c_state = strlen("STATE");
    t->c_pkts = strlen("PKTS OUT/IN");
    t->c_bytes = strlen("BYTES OUT/IN");
    t->c_dur = strlen("DURATION");
    rc = sto_each_flow(db, &t->o->filter, rep__size_cb, t);
    if (rep__check(db, w, rc < 0 ? rc : 0, err) < 0)
        return -1;

    rep__puts(w, bold);
    rep__cell(w, "PROTO", 5, t->c_proto, 0, "", "");
    rep__cell(w, "SRC", 3, t->c_src, 0, "", "");
    rep__cell(w, "DST", 3, t->c_dst, 0, "", "");
    rep__cell(w, "STATE", 5, t->c_state, 0, "", "");
    rep__cell(w, "PKTS OUT/IN", 11, t->c_pkts, 1, "", "");
    rep__cell(w, "BYTES OUT/IN", 12, t->c_bytes, 1, "", "");
    rep__cell(w, "DURATION", 8, t->c_dur, 1, "", "");
    rep__printf(w, "APP%s\n", reset);

    t->rows = 0;
    rc = sto_each_flow(db, &t->o->filter, rep__print_cb, t);
    if (rep__check(db, w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    if (flows > t->rows)
        rep__printf(w, "... %lld more flows not shown (limit %lld)\n", (long long)(flows - t->rows),
                    (long long)t->limit);
    return w->err ? -1 : 0;
}

/* The sections, in order; the detail sections only with o->details. */
static int rep__text_sections(struct sto_db *db, struct rep__tctx *t, char *err)
{
    const struct rep_opts *o = t->o;
    struct rep__out *w = t->w;
    const char *bold = rep__on(t, REP__BOLD), *reset = rep__on(t, REP__RESET);
    struct sto_totals tot;
    int rc;

    if (sto_totals(db, &o->filter, &tot) < 0)
        return rep__check(db, w, -1, err);

    rep__printf(w, "%ssensoscope %s report%s (database schema %d)\n", bold, SS_VERSION_STRING,
                reset, sto_schema_version());
    rep__filter_line(t);

    rep__printf(w, "\n%sCaptures%s (%lld)\n", bold, reset, (long long)tot.captures);
    if (tot.captures == 0)
        rep__puts(w, "  none\n");
    rc = sto_each_capture(db, &o->filter, rep__capture_cb, t);
    if (rep__check(db, w, rc, err) < 0)
        return -1;

    if (rep__summary_section(db, t, &tot, err) < 0 || rep__checklist_section(db, t, err) < 0 ||
        rep__methods_section(db, t, err) < 0 || rep__hosts_section(db, t, err) < 0 ||
        rep__analysis_section(db, t, REP__A_VERDICTS, "Verdicts", err) < 0 ||
        rep__analysis_section(db, t, REP__A_SESSIONS, "Sessions", err) < 0)
        return -1;
    if (!o->details)
        return w->err ? -1 : 0;

    rep__printf(w, "\n%sFlows%s (%lld)\n", bold, reset, (long long)tot.flows);
    if (tot.flows == 0)
        rep__puts(w, "  none\n");
    else if (rep__flow_table(db, t, tot.flows, err) < 0)
        return -1;
    if (rep__tls_section(db, t, err) < 0 || rep__stun_section(db, t, err) < 0 ||
        rep__dns_section(db, t, err) < 0)
        return -1;
    return w->err ? -1 : 0;
}

int rep__text(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err)
{
    struct rep__tctx t = {.w = w, .o = o, .limit = o->max_flows > 0 ? o->max_flows : 0};
    int ret;

    if (o->anonymize) {
        t.anon = rep__anon_new(db, err);
        if (!t.anon)
            return -1;
    }
    ret = rep__text_sections(db, &t, err);
    rep__anon_free(t.anon);
    return ret;
}
