/* SPDX-License-Identifier: MIT */
/*
 * rep_text.c - the text report for a terminal: captures, totals, top applications and the flow
 * table with aligned columns. Every string from the database is escaped (rep__escape), since
 * names will come from packets. The table is walked twice: once to size the columns, once to
 * print, so memory does not grow with the number of flows.
 */
#include "rep_int.h"

#include <string.h>

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
    size_t c_proto, c_src, c_dst, c_state, c_pkts, c_bytes, c_dur; /* column widths */
    int64_t rows;                                                  /* rows seen in this pass */
    int64_t limit;                                                 /* 0 = all */
    int napps;
};

static const char *rep__on(const struct rep__tctx *t, const char *code)
{
    return t->o->color ? code : "";
}

/* "addr:port", "[v6addr]:port", or just the address for protocols without ports. Returns the
 * display width. */
static size_t rep__endpoint(const char *addr, int port, int ports, char *buf, size_t len)
{
    char a[72];
    size_t w = rep__escape(addr ? addr : "?", a, sizeof a);
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

static void rep__format_row(const struct sto_flow_row *r, struct rep__row *x)
{
    int ports = r->proto && (!strcmp(r->proto, "tcp") || !strcmp(r->proto, "udp"));
    char b1[24], b2[24];
    int n;

    x->w_proto = rep__escape(r->proto, x->proto, sizeof x->proto);
    x->w_src = rep__endpoint(r->src, r->sport, ports, x->src, sizeof x->src);
    x->w_dst = rep__endpoint(r->dst, r->dport, ports, x->dst, sizeof x->dst);
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
    rep__format_row(r, &x);
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
    rep__format_row(r, &x);
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

    rep__escape(r->source && strcmp(r->source, "-") ? r->source : "(stdin)", src, sizeof src);
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

static void rep__filter_line(struct rep__tctx *t)
{
    const struct sto_filter *f = &t->o->filter;
    char buf[160], ts[40];

    if (!f->capture_id && !(f->host && *f->host) && f->since <= 0 && f->until <= 0)
        return;
    rep__puts(t->w, "filter:");
    if (f->capture_id)
        rep__printf(t->w, " capture %lld", (long long)f->capture_id);
    if (f->host && *f->host) {
        rep__escape(f->host, buf, sizeof buf);
        rep__printf(t->w, " host %s", buf);
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

int rep__text(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err)
{
    struct rep__tctx t = {.w = w, .o = o, .limit = o->max_flows > 0 ? o->max_flows : 0};
    const char *bold = rep__on(&t, REP__BOLD), *reset = rep__on(&t, REP__RESET);
    struct sto_totals tot;
    int rc;

    if (sto_totals(db, &o->filter, &tot) < 0)
        return rep__check(db, w, -1, err);

    rep__printf(w, "%ssensoscope %s report%s (database schema %d)\n", bold, SS_VERSION_STRING,
                reset, sto_schema_version());
    rep__filter_line(&t);

    rep__printf(w, "\n%sCaptures%s (%lld)\n", bold, reset, (long long)tot.captures);
    if (tot.captures == 0)
        rep__puts(w, "  none\n");
    rc = sto_each_capture(db, &o->filter, rep__capture_cb, &t);
    if (rep__check(db, w, rc, err) < 0)
        return -1;

    rep__printf(w, "\n%sTotals%s\n", bold, reset);
    rep__printf(w, "  flows: %lld (tcp %lld, udp %lld, icmp %lld, other %lld)\n",
                (long long)tot.flows, (long long)tot.tcp_flows, (long long)tot.udp_flows,
                (long long)tot.icmp_flows, (long long)tot.other_flows);
    if (tot.flows > 0) {
        rep__puts(w, "  top applications: ");
        rc = sto_each_app(db, &o->filter, rep__app_cb, &t);
        if (rep__check(db, w, rc < 0 ? rc : 0, err) < 0)
            return -1;
        rep__puts(w, "\n");
    }

    rep__printf(w, "\n%sFlows%s (%lld)\n", bold, reset, (long long)tot.flows);
    if (tot.flows == 0) {
        rep__puts(w, "  none\n");
        return w->err ? -1 : 0;
    }
    /* Pass 1 sizes the columns from the headers and the rows to be shown. */
    t.c_proto = strlen("PROTO");
    t.c_src = strlen("SRC");
    t.c_dst = strlen("DST");
    t.c_state = strlen("STATE");
    t.c_pkts = strlen("PKTS OUT/IN");
    t.c_bytes = strlen("BYTES OUT/IN");
    t.c_dur = strlen("DURATION");
    rc = sto_each_flow(db, &o->filter, rep__size_cb, &t);
    if (rep__check(db, w, rc < 0 ? rc : 0, err) < 0)
        return -1;

    rep__puts(w, bold);
    rep__cell(w, "PROTO", 5, t.c_proto, 0, "", "");
    rep__cell(w, "SRC", 3, t.c_src, 0, "", "");
    rep__cell(w, "DST", 3, t.c_dst, 0, "", "");
    rep__cell(w, "STATE", 5, t.c_state, 0, "", "");
    rep__cell(w, "PKTS OUT/IN", 11, t.c_pkts, 1, "", "");
    rep__cell(w, "BYTES OUT/IN", 12, t.c_bytes, 1, "", "");
    rep__cell(w, "DURATION", 8, t.c_dur, 1, "", "");
    rep__printf(w, "APP%s\n", reset);

    t.rows = 0;
    rc = sto_each_flow(db, &o->filter, rep__print_cb, &t);
    if (rep__check(db, w, rc < 0 ? rc : 0, err) < 0)
        return -1;
    if (tot.flows > t.rows)
        rep__printf(w, "... %lld more flows not shown (limit %lld)\n",
                    (long long)(tot.flows - t.rows), (long long)t.limit);
    return w->err ? -1 : 0;
}
