/* SPDX-License-Identifier: MIT */
/*
 * rep_checklist.c - the requirement checklist (DESIGN.md "Reports"): one row per rule of the
 * profile(s) the captures were analysed with, from the database only. A rule is blocked when a
 * blocked verdict names it, else inspected when an inspected one does (suspected ones too),
 * else ok when one of its flows was answered, else not seen. Each row carries the evidence
 * (counts, verdict codes, up to three example flows, the verdicts' flows first) and the change
 * to make, in plain words, from its worst verdict.
 */
#define _POSIX_C_SOURCE 200809L

#include "rep_int.h"

#include <stdlib.h>
#include <string.h>

#define REP__CK_CODES 24     /* distinct verdict codes kept per rule */
#define REP__CK_EXAMPLES 3   /* example flows per rule */
#define REP__CK_NAMES 3      /* names (and addresses) named in a change */
#define REP__CK_NAME_LEN 256 /* a host name or address kept for a change */
#define REP__CK_TEXT 1024    /* an example, the code list, a change */

/* A rule of the union, copied out of the store's walk (its strings are borrowed). */
struct rep__ck_rule {
    char *id, *hosts, *ports, *scope, *traffic, *used_for;
    int64_t flows, flows_ok, blocked, inspected;
};

struct rep__ck_rules {
    struct rep__ck_rule *v;
    size_t n, cap;
    int oom;
};

/* One verdict code of a rule: how often, and how bad. */
struct rep__ck_code {
    char code[48];
    int rank; /* 0 blocked confirmed, 1 blocked suspected, 2 inspected confirmed, 3 suspected */
    int64_t count;
};

/* An example flow: its identity (to merge verdicts of one flow), rank and text. */
struct rep__ck_example {
    int64_t capture_id, flow_seq, verdict_id;
    int rank;
    double first;
    char text[REP__CK_TEXT];
    size_t codes_at; /* where "(code, code)" starts in text; 0 for a flow without verdicts */
};

/* What one rule's walks collect. */
struct rep__ck_state {
    const struct rep__ck_rule *rule;
    struct rep__ck_code codes[REP__CK_CODES];
    int n_codes;
    int64_t other_codes; /* verdicts whose code did not fit */
    struct rep__ck_example ex[REP__CK_EXAMPLES];
    int n_ex;
    /* The worst verdict (lowest rank, then earliest) and the names/addresses of the verdicts
     * with its code. */
    int worst_rank;
    char worst_code[48], worst_proto[16];
    int worst_dport;
    char names[REP__CK_NAMES][REP__CK_NAME_LEN];
    int n_names;
    char dsts[REP__CK_NAMES][REP__CK_NAME_LEN];
    int n_dsts;
};

static char *rep__ck_dup(const char *s)
{
    return strdup(s ? s : "");
}

static int rep__ck_rule_cb(void *user, const struct sto_rule_stat_row *r)
{
    struct rep__ck_rules *rs = user;
    struct rep__ck_rule *x;

    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        struct rep__ck_rule *v = realloc(rs->v, cap * sizeof *v);

        if (!v) {
            rs->oom = 1;
            return 1;
        }
        rs->v = v;
        rs->cap = cap;
    }
    x = &rs->v[rs->n];
    memset(x, 0, sizeof *x);
    rs->n++;
    x->id = rep__ck_dup(r->id);
    x->hosts = rep__ck_dup(r->hosts);
    x->ports = rep__ck_dup(r->ports);
    x->scope = rep__ck_dup(r->scope);
    x->traffic = rep__ck_dup(r->traffic);
    x->used_for = rep__ck_dup(r->used_for);
    x->flows = r->flows;
    x->flows_ok = r->flows_ok;
    x->blocked = r->blocked;
    x->inspected = r->inspected;
    if (!x->id || !x->hosts || !x->ports || !x->scope || !x->traffic || !x->used_for) {
        rs->oom = 1;
        return 1;
    }
    return 0;
}

static void rep__ck_rules_free(struct rep__ck_rules *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->v[i].id);
        free(rs->v[i].hosts);
        free(rs->v[i].ports);
        free(rs->v[i].scope);
        free(rs->v[i].traffic);
        free(rs->v[i].used_for);
    }
    free(rs->v);
}

/* "tcp 10.0.0.5:41000 -> 192.0.2.32:443" (IPv6 in brackets; no ports for other protocols). */
static size_t rep__ck_flow_text(char *buf, size_t len, const char *proto, const char *src,
                                int sport, const char *dst, int dport)
{
    int ports = proto && (!strcmp(proto, "tcp") || !strcmp(proto, "udp"));
    const char *s = src ? src : "?", *d = dst ? dst : "?";
    int n;

    if (!ports)
        n = snprintf(buf, len, "%s %s -> %s", proto ? proto : "?", s, d);
    else
        n = snprintf(buf, len, "%s %s%s%s:%d -> %s%s%s:%d", proto, strchr(s, ':') ? "[" : "", s,
                     strchr(s, ':') ? "]" : "", sport, strchr(d, ':') ? "[" : "", d,
                     strchr(d, ':') ? "]" : "", dport);
    if (n < 0)
        return 0;
    return (size_t)n < len ? (size_t)n : len - 1;
}

static int rep__ck_rank(const struct sto_verdict_row *v)
{
    int inspected = v->kind && strcmp(v->kind, "blocked") != 0;
    int suspected = v->confidence && strcmp(v->confidence, "confirmed") != 0;

    return inspected * 2 + suspected;
}

/* Adds @p s to the set @p set (of @p *n, at most REP__CK_NAMES) unless it is there. */
static void rep__ck_add_name(char set[][REP__CK_NAME_LEN], int *n, const char *s)
{
    if (!s || !*s)
        return;
    for (int i = 0; i < *n; i++)
        if (!strcmp(set[i], s))
            return;
    if (*n < REP__CK_NAMES)
        snprintf(set[(*n)++], REP__CK_NAME_LEN, "%s", s);
}

/* Appends ", @p code" inside the closing parenthesis of example @p e, unless it is listed. */
static void rep__ck_example_add_code(struct rep__ck_example *e, const char *code)
{
    size_t n = strlen(e->text), k = strlen(code);
    const char *p = e->text + e->codes_at;

    /* Listed already: the same code twice for one flow. */
    while ((p = strstr(p, code)) != NULL) {
        if ((p[-1] == '(' || p[-1] == ' ') && (p[k] == ',' || p[k] == ')'))
            return;
        p += k;
    }
    if (n + k + 3 >= sizeof e->text || n == 0)
        return;
    snprintf(e->text + n - 1, sizeof e->text - (n - 1), ", %s)", code);
}

static int rep__ck_verdict_cb(void *user, const struct sto_verdict_row *v)
{
    struct rep__ck_state *s = user;
    int rank = rep__ck_rank(v), i, worst;
    const char *code = v->code ? v->code : "?";
    struct rep__ck_example *e = NULL;

    /* The code's count. */
    for (i = 0; i < s->n_codes; i++)
        if (!strcmp(s->codes[i].code, code))
            break;
    if (i == s->n_codes && s->n_codes < REP__CK_CODES) {
        snprintf(s->codes[i].code, sizeof s->codes[i].code, "%s", code);
        s->codes[i].rank = rank;
        s->n_codes++;
    }
    if (i < s->n_codes) {
        s->codes[i].count++;
        if (rank < s->codes[i].rank)
            s->codes[i].rank = rank;
    } else {
        s->other_codes++;
    }

    /* The worst verdict; the names and addresses of its code's verdicts. */
    if (rank < s->worst_rank) {
        s->worst_rank = rank;
        snprintf(s->worst_code, sizeof s->worst_code, "%s", code);
        snprintf(s->worst_proto, sizeof s->worst_proto, "%s", v->proto ? v->proto : "");
        s->worst_dport = v->dport;
        s->n_names = s->n_dsts = 0;
    }
    if (!strcmp(code, s->worst_code)) {
        rep__ck_add_name(s->names, &s->n_names, v->host);
        rep__ck_add_name(s->dsts, &s->n_dsts, v->dst);
    }

    /* The examples: the worst flows, one line per flow with all its codes. */
    for (i = 0; i < s->n_ex; i++) {
        struct rep__ck_example *x = &s->ex[i];

        if (v->flow_seq > 0 ? x->capture_id == v->capture_id && x->flow_seq == v->flow_seq
                            : x->verdict_id == v->id) {
            rep__ck_example_add_code(x, code);
            if (rank < x->rank)
                x->rank = rank;
            return 0;
        }
    }
    if (s->n_ex < REP__CK_EXAMPLES) {
        e = &s->ex[s->n_ex++];
    } else {
        worst = 0;
        for (i = 1; i < s->n_ex; i++)
            if (s->ex[i].rank > s->ex[worst].rank)
                worst = i;
        if (s->ex[worst].rank <= rank)
            return 0;
        e = &s->ex[worst];
    }
    memset(e, 0, sizeof *e);
    e->capture_id = v->capture_id;
    e->flow_seq = v->flow_seq;
    e->verdict_id = v->id;
    e->rank = rank;
    e->first = v->first;
    {
        size_t n = rep__ck_flow_text(e->text, sizeof e->text, v->proto, v->src, v->sport, v->dst,
                                     v->dport);
        int k;

        if (v->host && *v->host) {
            k = snprintf(e->text + n, sizeof e->text - n, " %s", v->host);
            n = k > 0 && (size_t)k < sizeof e->text - n ? n + (size_t)k : sizeof e->text - 1;
        }
        e->codes_at = n;
        snprintf(e->text + n, sizeof e->text - n, " (%s)", code);
    }
    return 0;
}

static int rep__ck_flow_cb(void *user, const struct sto_flow_row *f)
{
    struct rep__ck_state *s = user;
    struct rep__ck_example *e;
    int tcp = f->proto && !strcmp(f->proto, "tcp");
    int answered;
    size_t n;
    int k;

    if (s->n_ex >= REP__CK_EXAMPLES)
        return 1;
    for (int i = 0; i < s->n_ex; i++)
        if (f->flow_seq > 0 && s->ex[i].capture_id == f->capture_id &&
            s->ex[i].flow_seq == f->flow_seq)
            return 0;
    if (tcp)
        answered = f->state && (!strcmp(f->state, "S1") || !strcmp(f->state, "SF") ||
                                !strcmp(f->state, "S2") || !strcmp(f->state, "S3") ||
                                !strcmp(f->state, "RSTO") || !strcmp(f->state, "RSTR") ||
                                (!strcmp(f->state, "OTH") && f->pkts_out > 0 && f->pkts_in > 0));
    else
        answered = f->pkts_out > 0 && f->pkts_in > 0;
    e = &s->ex[s->n_ex++];
    memset(e, 0, sizeof *e);
    e->capture_id = f->capture_id;
    e->flow_seq = f->flow_seq;
    e->rank = 4;
    e->first = f->first;
    n = rep__ck_flow_text(e->text, sizeof e->text, f->proto, f->src, f->sport, f->dst, f->dport);
    if (f->host && *f->host) {
        k = snprintf(e->text + n, sizeof e->text - n, " %s", f->host);
        n = k > 0 && (size_t)k < sizeof e->text - n ? n + (size_t)k : sizeof e->text - 1;
    }
    snprintf(e->text + n, sizeof e->text - n, " (%s)", answered ? "answered" : "no answer");
    return s->n_ex >= REP__CK_EXAMPLES ? 1 : 0;
}

/* "a", "a and b", "a, b and c" of the set. */
static void rep__ck_join(char set[][REP__CK_NAME_LEN], int n, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && o < len; i++) {
        int k = snprintf(buf + o, len - o, "%s%s",
                         i == 0       ? ""
                         : i == n - 1 ? " and "
                                      : ", ",
                         set[i]);

        if (k < 0)
            break;
        o += (size_t)k;
    }
}

/* The rule's port ranges of protocol @p proto ("udp"), as "3478", "3478 and 49152-65535",
 * or "" when it has none; *any set when one covers every port. */
static void rep__ck_ports(const char *ports, const char *proto, char *buf, size_t len, int *any)
{
    size_t plen = strlen(proto), o = 0;
    const char *p = ports;
    int first = 1;

    buf[0] = '\0';
    *any = 0;
    while (p && *p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);

        if (n > plen + 1 && !strncmp(p, proto, plen) && p[plen] == '/') {
            int k;

            if ((n - plen - 1 == 7 && !strncmp(p + plen + 1, "0-65535", 7)) ||
                (n - plen - 1 == 7 && !strncmp(p + plen + 1, "1-65535", 7)))
                *any = 1;
            k = snprintf(buf + o, o < len ? len - o : 0, "%s%.*s", first ? "" : " and ",
                         (int)(n - plen - 1), p + plen + 1);
            if (k > 0 && o + (size_t)k < len)
                o += (size_t)k;
            first = 0;
        }
        p = e ? e + 1 : NULL;
    }
}

static int rep__ck_is(const char *code, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(code, *set))
            return 1;
    return 0;
}

/* The change to make, from the rule's worst verdict. */
static void rep__ck_change(const struct rep__ck_state *s, char *buf, size_t len)
{
    static const char *const inspection[] = {"untrusted_issuer", "inspection_issuer",
                                             "name_mismatch",    "ttl_anomaly",
                                             "rtt_anomaly",      NULL};
    static const char *const connect[] = {"tcp_no_answer", "tcp_reset_on_connect",
                                          "icmp_unreachable", NULL};
    const struct rep__ck_rule *r = s->rule;
    const char *code = s->worst_code;
    char names[3 * REP__CK_NAME_LEN + 16], dsts[3 * REP__CK_NAME_LEN + 16], ports[256];
    char proto[16];
    int any;

    buf[0] = '\0';
    if (!*code)
        return;
    rep__ck_join((char(*)[REP__CK_NAME_LEN])s->dsts, s->n_dsts, dsts, sizeof dsts);
    rep__ck_join((char(*)[REP__CK_NAME_LEN])s->names, s->n_names, names, sizeof names);
    if (!*names)
        snprintf(names, sizeof names, "%s", *dsts ? dsts : *r->hosts ? r->hosts : r->id);
    snprintf(proto, sizeof proto, "%s", *s->worst_proto ? s->worst_proto : "tcp");
    for (char *p = proto; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');

    if (!strcmp(code, "tcp_reset_after_hello")) {
        snprintf(buf, len,
                 "exclude %s from SNI/HTTPS filtering (it resets the connection after the "
                 "ClientHello)",
                 names);
    } else if (!strcmp(code, "tls_alert")) {
        snprintf(buf, len,
                 "exclude %s from SNI/HTTPS filtering (the handshake is refused with a TLS "
                 "alert)",
                 names);
    } else if (rep__ck_is(code, inspection)) {
        snprintf(buf, len, "exclude %s from HTTPS inspection", names);
    } else if (!strcmp(code, "explicit_proxy")) {
        snprintf(buf, len, "let %s bypass the proxy, or exclude it from the proxy's inspection",
                 names);
    } else if (!strcmp(code, "proxy_auth_required")) {
        snprintf(buf, len, "let %s through the proxy without authentication", names);
    } else if (!strcmp(code, "proxy_denied")) {
        snprintf(buf, len, "allow %s on the proxy (it refuses the CONNECT)", names);
    } else if (!strcmp(code, "dns_failure")) {
        snprintf(buf, len, "stop the DNS filter from blocking %s", names);
    } else if (!strcmp(code, "udp_no_answer")) {
        rep__ck_ports(r->ports, "udp", ports, sizeof ports, &any);
        if (!*ports)
            snprintf(ports, sizeof ports, "%d", s->worst_dport);
        if (!strncmp(r->hosts, "rule:", 5))
            snprintf(buf, len, "allow outbound UDP %s to the TURN servers", ports);
        else if (!strcmp(r->hosts, "*") && any)
            snprintf(buf, len, "allow outbound UDP to any address and port (hole punching)");
        else if (!strcmp(r->hosts, "*"))
            snprintf(buf, len, "allow outbound UDP %s to any address", ports);
        else
            snprintf(buf, len, "allow outbound UDP %s to %s", ports, names);
    } else if (rep__ck_is(code, connect) && !strcmp(r->scope, "lan")) {
        snprintf(buf, len, "on the console%s%s%s, allow inbound %s %d in the Windows firewall",
                 *dsts ? " (" : "", dsts, *dsts ? ")" : "", proto, s->worst_dport);
    } else if (!strcmp(code, "tcp_no_answer")) {
        snprintf(buf, len, "allow outbound %s %d to %s in the firewall (its SYNs go unanswered)",
                 proto, s->worst_dport, names);
    } else if (!strcmp(code, "tcp_reset_on_connect")) {
        snprintf(buf, len, "allow outbound %s %d to %s in the firewall (it resets the connection)",
                 proto, s->worst_dport, names);
    } else if (!strcmp(code, "icmp_unreachable")) {
        snprintf(buf, len,
                 "allow outbound %s %d to %s in the firewall (it rejects the connection with "
                 "ICMP unreachable)",
                 proto, s->worst_dport, names);
    } else if (!strcmp(code, "turn_error")) {
        snprintf(buf, len,
                 "let TURN requests to %s through unchanged (they are answered with errors)",
                 names);
    } else {
        snprintf(buf, len, "allow %s as the vendor requires (%s)", names, code);
    }
}

/* "tcp_no_answer 3, dns_failure 1": worst first, then most. */
static void rep__ck_codes(struct rep__ck_state *s, char *buf, size_t len)
{
    size_t o = 0;

    /* Insertion sort: at most REP__CK_CODES entries. */
    for (int i = 1; i < s->n_codes; i++) {
        struct rep__ck_code c = s->codes[i];
        int j = i;

        while (j > 0 && (s->codes[j - 1].rank > c.rank ||
                         (s->codes[j - 1].rank == c.rank && s->codes[j - 1].count < c.count))) {
            s->codes[j] = s->codes[j - 1];
            j--;
        }
        s->codes[j] = c;
    }
    buf[0] = '\0';
    for (int i = 0; i < s->n_codes && o < len; i++) {
        int k = snprintf(buf + o, len - o, "%s%s %lld", i ? ", " : "", s->codes[i].code,
                         (long long)s->codes[i].count);

        if (k < 0)
            break;
        o += (size_t)k;
    }
    if (s->other_codes && o < len)
        snprintf(buf + o, len - o, ", other %lld", (long long)s->other_codes);
}

/* Orders the examples worst first, then by time (verdict flows before the others). */
static void rep__ck_sort_examples(struct rep__ck_state *s)
{
    for (int i = 1; i < s->n_ex; i++) {
        struct rep__ck_example e = s->ex[i];
        int j = i;

        while (j > 0 && (s->ex[j - 1].rank > e.rank ||
                         (s->ex[j - 1].rank == e.rank && s->ex[j - 1].first > e.first))) {
            s->ex[j] = s->ex[j - 1];
            j--;
        }
        s->ex[j] = e;
    }
}

int rep__checklist(struct sto_db *db, const struct rep_opts *o, rep__check_cb cb, void *user,
                   char *err)
{
    struct rep__ck_rules rs = {0};
    struct sto_filter f = o->filter;
    struct rep__ck_state *s = NULL;
    int ret = 0;

    f.method = 0;
    if (sto_each_rule_stat(db, &f, rep__ck_rule_cb, &rs) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "%s", sto_errstr(db));
        ret = -1;
        goto out;
    }
    if (rs.oom) {
        snprintf(err, SS_ERRBUF_SIZE, "checklist: out of memory");
        ret = -1;
        goto out;
    }
    s = malloc(sizeof *s);
    if (!s && rs.n) {
        snprintf(err, SS_ERRBUF_SIZE, "checklist: out of memory");
        ret = -1;
        goto out;
    }
    for (size_t i = 0; i < rs.n; i++) {
        const struct rep__ck_rule *r = &rs.v[i];
        struct sto_filter g = f;
        char codes[REP__CK_TEXT], change[REP__CK_TEXT];
        struct rep__check c;

        memset(s, 0, sizeof *s);
        s->rule = r;
        s->worst_rank = 99;
        g.rule = r->id;
        if (r->blocked + r->inspected > 0 && sto_each_verdict(db, &g, rep__ck_verdict_cb, s) < 0) {
            snprintf(err, SS_ERRBUF_SIZE, "%s", sto_errstr(db));
            ret = -1;
            goto out;
        }
        if (s->n_ex < REP__CK_EXAMPLES && r->flows > 0 &&
            sto_each_flow(db, &g, rep__ck_flow_cb, s) < 0) {
            snprintf(err, SS_ERRBUF_SIZE, "%s", sto_errstr(db));
            ret = -1;
            goto out;
        }
        rep__ck_sort_examples(s);
        rep__ck_codes(s, codes, sizeof codes);
        memset(&c, 0, sizeof c);
        c.rule = r->id;
        c.hosts = r->hosts;
        c.ports = r->ports;
        c.used_for = r->used_for;
        c.flows = r->flows;
        c.flows_ok = r->flows_ok;
        c.blocked = r->blocked;
        c.inspected = r->inspected;
        c.status = r->blocked > 0     ? "blocked"
                   : r->inspected > 0 ? "inspected"
                   : r->flows_ok > 0  ? "ok"
                                      : "not_seen";
        c.codes = codes;
        c.n_examples = s->n_ex;
        for (int k = 0; k < s->n_ex; k++)
            c.examples[k] = s->ex[k].text;
        change[0] = '\0';
        if (r->blocked + r->inspected > 0)
            rep__ck_change(s, change, sizeof change);
        c.change = change;
        ret = cb(user, &c);
        if (ret)
            goto out;
    }
out:
    free(s);
    rep__ck_rules_free(&rs);
    return ret;
}
