/* SPDX-License-Identifier: MIT */
/*
 * rep_csv.c - one table of the report (rep_opts.table) as CSV (RFC 4180): a header row, then
 * one row per record with every column the store gives for it; CRLF line ends; a field is
 * quoted when it holds a comma, a quote, CR or LF (or starts or ends with a space), and quotes
 * inside are doubled. The output is UTF-8: a byte that is not part of valid UTF-8 becomes
 * U+FFFD, and so does every C0 control other than TAB, LF and CR, DEL, and the C1 controls.
 * Against formula injection in spreadsheets (OWASP "CSV injection"), a text field that starts
 * with =, +, -, @, TAB or CR gets a leading apostrophe ('=cmd becomes '=cmd in the cell, shown
 * as text); numeric columns are written by us and never get one. Absent values are empty
 * fields. Times are epoch seconds with microseconds, as in the JSON report. --anonymize
 * applies to addresses, names and free text as in the other formats.
 */
#define _POSIX_C_SOURCE 200809L

#include "rep_int.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct rep__csv {
    struct rep__out *w;
    struct sto_db *db;
    struct rep__anon *a;
    char *buf; /* anonymiser output */
    size_t len;
    int col; /* fields written in the current row */
    int oom;
    char *err;
};

static void rep__csv_sep(struct rep__csv *c)
{
    if (c->col++)
        rep__write(c->w, ",", 1);
}

/* Writes a text field (NULL: empty), sanitised and quoted as described above. */
static void rep__csv_str(struct rep__csv *c, const char *s)
{
    static const char fffd[] = "\xef\xbf\xbd";
    const unsigned char *p = (const unsigned char *)s;
    size_t n, i = 0;
    int quote;

    rep__csv_sep(c);
    if (!s || !*s)
        return;
    n = strlen(s);
    quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[n - 1] == ' ' || s[0] == '\t' ||
            s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
    if (quote)
        rep__write(c->w, "\"", 1);
    if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r')
        rep__write(c->w, "'", 1);
    while (i < n) {
        uint32_t cp = 0;
        size_t k = rep__utf8(p + i, n - i, &cp);

        if (k == 0) {
            rep__write(c->w, fffd, 3);
            i++;
            continue;
        }
        if (cp == '"')
            rep__write(c->w, "\"\"", 2);
        else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f ||
                 (cp >= 0x80 && cp <= 0x9f))
            rep__write(c->w, fffd, 3);
        else
            rep__write(c->w, s + i, k);
        i += k;
    }
    if (quote)
        rep__write(c->w, "\"", 1);
}

/* The anonymiser's buffer, grown to hold what @p s can become (a pseudonym per character at
 * worst); NULL when out of memory. */
static char *rep__csv_room(struct rep__csv *c, const char *s)
{
    size_t need = strlen(s) * 16 + 64;

    if (need > c->len) {
        char *nb = realloc(c->buf, need);

        if (!nb) {
            c->oom = 1;
            return NULL;
        }
        c->buf = nb;
        c->len = need;
    }
    return c->buf;
}

enum rep__csv_kind { REP__C_TEXT, REP__C_ADDR, REP__C_NAME };

/* A text field from the database, through the anonymiser as @p kind. */
static void rep__csv_val(struct rep__csv *c, const char *s, enum rep__csv_kind kind)
{
    char *b;

    if (!s || !c->a) {
        rep__csv_str(c, s);
        return;
    }
    b = rep__csv_room(c, s);
    if (!b) {
        rep__csv_str(c, "");
        return;
    }
    if (kind == REP__C_ADDR)
        rep__anon_addr(c->a, s, b, c->len);
    else if (kind == REP__C_NAME)
        rep__anon_name(c->a, s, b, c->len);
    else
        rep__anon_text(c->a, s, b, c->len);
    rep__csv_str(c, b);
}

static void rep__csv_text(struct rep__csv *c, const char *s)
{
    rep__csv_val(c, s, REP__C_TEXT);
}

static void rep__csv_addr(struct rep__csv *c, const char *s)
{
    rep__csv_val(c, s, REP__C_ADDR);
}

static void rep__csv_name(struct rep__csv *c, const char *s)
{
    rep__csv_val(c, s, REP__C_NAME);
}

/* A space-separated list of addresses ("ip:port ip:port"), each anonymised. */
static void rep__csv_addrs(struct rep__csv *c, const char *s)
{
    char *b, *tmp;
    size_t o = 0;
    const char *p = s;

    if (!s || !c->a) {
        rep__csv_str(c, s);
        return;
    }
    b = rep__csv_room(c, s);
    tmp = b ? malloc(c->len) : NULL;
    if (!tmp) {
        c->oom = 1;
        rep__csv_str(c, "");
        return;
    }
    b[0] = '\0';
    while (*p) {
        size_t n = strcspn(p, " ");
        char one[128];

        if (n > 0 && n < sizeof one) {
            memcpy(one, p, n);
            one[n] = '\0';
            rep__anon_addr(c->a, one, tmp, c->len);
            size_t t = strlen(tmp);
            if (o + t + 2 < c->len) {
                if (o)
                    b[o++] = ' ';
                memcpy(b + o, tmp, t + 1);
                o += t;
            }
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    free(tmp);
    rep__csv_str(c, b);
}

static void rep__csv_int(struct rep__csv *c, int64_t v)
{
    rep__csv_sep(c);
    rep__printf(c->w, "%lld", (long long)v);
}

/* An integer the store gives as -1 (or below) when absent: empty then. */
static void rep__csv_opt(struct rep__csv *c, int64_t v)
{
    rep__csv_sep(c);
    if (v >= 0)
        rep__printf(c->w, "%lld", (long long)v);
}

static void rep__csv_time(struct rep__csv *c, double t)
{
    rep__csv_sep(c);
    if (t > 0)
        rep__printf(c->w, "%.6f", t);
}

static void rep__csv_real(struct rep__csv *c, double v, int present)
{
    rep__csv_sep(c);
    if (present)
        rep__printf(c->w, "%.6g", v);
}

static void rep__csv_bool(struct rep__csv *c, int v)
{
    rep__csv_sep(c);
    rep__puts(c->w, v ? "true" : "false");
}

static int rep__csv_end(struct rep__csv *c)
{
    rep__write(c->w, "\r\n", 2);
    c->col = 0;
    return c->w->err || c->oom ? 1 : 0;
}

static void rep__csv_header(struct rep__csv *c, const char *const *cols)
{
    for (size_t i = 0; cols[i]; i++)
        rep__csv_str(c, cols[i]);
    rep__csv_end(c);
}

/* ---- tables ---- */

static const char *const rep__c_flows[] = {
    "id",        "capture",      "flow_seq",    "proto",       "src",        "sport",
    "dst",       "dport",        "first",       "last",        "pkts_out",   "pkts_in",
    "bytes_out", "bytes_in",     "payload_out", "payload_in",  "state",      "history",
    "rtt",       "ttl_out_min",  "ttl_out_max", "ttl_in_min",  "ttl_in_max", "app",
    "category",  "host",         "rule",        "channeldata", "frags",      "icmp_errors",
    "icmp_type", "icmp_code",    "icmp_from",   "icmp_first",  "end_reason", "vlan",
    "stun_msgs", "stun_dropped", NULL};

static int rep__csv_flow_cb(void *user, const struct sto_flow_row *r)
{
    struct rep__csv *c = user;
    int icmp = r->icmp_errors > 0;

    rep__csv_int(c, r->id);
    rep__csv_int(c, r->capture_id);
    rep__csv_opt(c, r->flow_seq > 0 ? r->flow_seq : -1);
    rep__csv_text(c, r->proto);
    rep__csv_addr(c, r->src);
    rep__csv_int(c, r->sport);
    rep__csv_addr(c, r->dst);
    rep__csv_int(c, r->dport);
    rep__csv_time(c, r->first);
    rep__csv_time(c, r->last);
    rep__csv_int(c, r->pkts_out);
    rep__csv_int(c, r->pkts_in);
    rep__csv_int(c, r->bytes_out);
    rep__csv_int(c, r->bytes_in);
    rep__csv_int(c, r->payload_out);
    rep__csv_int(c, r->payload_in);
    rep__csv_text(c, r->state);
    rep__csv_text(c, r->history);
    rep__csv_real(c, r->rtt, r->rtt >= 0);
    rep__csv_opt(c, r->pkts_out > 0 ? r->ttl_out_min : -1);
    rep__csv_opt(c, r->pkts_out > 0 ? r->ttl_out_max : -1);
    rep__csv_opt(c, r->pkts_in > 0 ? r->ttl_in_min : -1);
    rep__csv_opt(c, r->pkts_in > 0 ? r->ttl_in_max : -1);
    rep__csv_text(c, r->app);
    rep__csv_text(c, r->category);
    rep__csv_name(c, r->host);
    rep__csv_text(c, r->rule);
    rep__csv_int(c, r->channeldata);
    rep__csv_int(c, r->frags);
    rep__csv_int(c, r->icmp_errors);
    rep__csv_opt(c, icmp ? r->icmp_type : -1);
    rep__csv_opt(c, icmp ? r->icmp_code : -1);
    rep__csv_addr(c, icmp ? r->icmp_from : NULL);
    rep__csv_time(c, icmp ? r->icmp_first : 0);
    rep__csv_text(c, r->end_reason);
    rep__csv_int(c, r->vlan);
    rep__csv_int(c, r->stun_msgs);
    rep__csv_int(c, r->stun_dropped);
    return rep__csv_end(c);
}

static const char *const rep__c_sessions[] = {
    "id",     "capture",    "seq",        "kind",        "method",   "submethod",
    "proto",  "sel_local",  "sel_remote", "client",      "peer",     "server",
    "first",  "last",       "bytes",      "ufrags",      "link_id",  "relayed",
    "mapped", "transport",  "lifetime",   "permissions", "channels", "peers",
    "errors", "last_error", "pairs",      "explanation", NULL};

static int rep__csv_session_cb(void *user, const struct sto_session_row *r)
{
    struct rep__csv *c = user;

    rep__csv_int(c, r->id);
    rep__csv_int(c, r->capture_id);
    rep__csv_int(c, r->seq);
    rep__csv_text(c, r->kind);
    rep__csv_opt(c, r->method > 0 ? r->method : -1);
    rep__csv_text(c, r->submethod);
    rep__csv_text(c, r->proto);
    rep__csv_addr(c, r->sel_local);
    rep__csv_addr(c, r->sel_remote);
    rep__csv_addr(c, r->client);
    rep__csv_addr(c, r->peer);
    rep__csv_addr(c, r->server);
    rep__csv_time(c, r->first);
    rep__csv_time(c, r->last);
    rep__csv_int(c, r->bytes);
    rep__csv_text(c, r->ufrags);
    rep__csv_opt(c, r->link_id > 0 ? r->link_id : -1);
    rep__csv_addr(c, r->relayed);
    rep__csv_addr(c, r->mapped);
    rep__csv_text(c, r->transport);
    rep__csv_opt(c, r->lifetime);
    rep__csv_opt(c, r->permissions);
    rep__csv_opt(c, r->channels);
    rep__csv_opt(c, r->peers);
    rep__csv_opt(c, r->errors);
    rep__csv_opt(c, r->last_error);
    rep__csv_int(c, r->pairs);
    rep__csv_text(c, r->explanation);
    return rep__csv_end(c);
}

static const char *const rep__c_verdicts[] = {
    "id",  "capture", "session", "flow_seq", "kind", "code",  "confidence", "rule", "proto",
    "src", "sport",   "dst",     "dport",    "host", "first", "evidence",   NULL};

static int rep__csv_verdict_cb(void *user, const struct sto_verdict_row *r)
{
    struct rep__csv *c = user;

    rep__csv_int(c, r->id);
    rep__csv_int(c, r->capture_id);
    rep__csv_opt(c, r->session_id > 0 ? r->session_id : -1);
    rep__csv_opt(c, r->flow_seq > 0 ? r->flow_seq : -1);
    rep__csv_text(c, r->kind);
    rep__csv_text(c, r->code);
    rep__csv_text(c, r->confidence);
    rep__csv_text(c, r->rule);
    rep__csv_text(c, r->proto);
    rep__csv_addr(c, r->src);
    rep__csv_int(c, r->sport);
    rep__csv_addr(c, r->dst);
    rep__csv_int(c, r->dport);
    rep__csv_name(c, r->host);
    rep__csv_time(c, r->first);
    rep__csv_text(c, r->evidence);
    return rep__csv_end(c);
}

static const char *const rep__c_hosts[] = {"id",      "capture",  "addr",  "names", "role", "local",
                                           "methods", "verdicts", "first", "last",  NULL};

/* A stored JSON array as its elements separated by a space (names anonymised one by one). */
static void rep__csv_array(struct rep__csv *c, const char *a, int names)
{
    json_t *j = a ? json_loads(a, 0, NULL) : NULL, *v;
    size_t i, o = 0, total = 0;
    char *out, *tmp;

    if (!json_is_array(j)) {
        json_decref(j);
        rep__csv_text(c, a);
        return;
    }
    json_array_foreach(j, i, v)
    {
        total += (json_is_string(v) ? strlen(json_string_value(v)) * 16 : 0) + 64;
    }
    out = malloc(total + 1);
    tmp = malloc(total + 1);
    if (!out || !tmp) {
        free(out);
        free(tmp);
        json_decref(j);
        c->oom = 1;
        rep__csv_str(c, "");
        return;
    }
    out[0] = '\0';
    json_array_foreach(j, i, v)
    {
        const char *s = tmp;

        if (json_is_integer(v))
            snprintf(tmp, total + 1, "%lld", (long long)json_integer_value(v));
        else if (json_is_string(v) && names)
            rep__anon_name(c->a, json_string_value(v), tmp, total + 1);
        else if (json_is_string(v))
            rep__anon_text(c->a, json_string_value(v), tmp, total + 1);
        else
            continue;
        size_t n = strlen(s);
        if (o + n + 2 > total + 1)
            break;
        if (o)
            out[o++] = ' ';
        memcpy(out + o, s, n + 1);
        o += n;
    }
    rep__csv_str(c, out);
    free(out);
    free(tmp);
    json_decref(j);
}

static int rep__csv_host_cb(void *user, const struct sto_host_row *r)
{
    struct rep__csv *c = user;

    rep__csv_int(c, r->id);
    rep__csv_int(c, r->capture_id);
    rep__csv_addr(c, r->addr);
    rep__csv_array(c, r->names, 1);
    rep__csv_text(c, r->role);
    rep__csv_bool(c, r->local);
    rep__csv_array(c, r->methods, 0);
    rep__csv_int(c, r->verdicts);
    rep__csv_time(c, r->first);
    rep__csv_time(c, r->last);
    return rep__csv_end(c);
}

static const char *const rep__c_checklist[] = {
    "rule",      "hosts", "ports",     "used_for",  "status",    "flows",  "flows_ok", "blocked",
    "inspected", "codes", "example_1", "example_2", "example_3", "change", NULL};

static int rep__csv_check_cb(void *user, const struct rep__check *k)
{
    struct rep__csv *c = user;

    rep__csv_text(c, k->rule);
    rep__csv_text(c, k->hosts);
    rep__csv_text(c, k->ports);
    rep__csv_text(c, k->used_for);
    rep__csv_text(c, k->status);
    rep__csv_int(c, k->flows);
    rep__csv_int(c, k->flows_ok);
    rep__csv_int(c, k->blocked);
    rep__csv_int(c, k->inspected);
    rep__csv_text(c, k->codes);
    for (int i = 0; i < 3; i++)
        rep__csv_text(c, i < k->n_examples ? k->examples[i] : NULL);
    rep__csv_text(c, k->change);
    return rep__csv_end(c);
}

static const char *const rep__c_tls[] = {"id",
                                         "capture",
                                         "flow_seq",
                                         "ts",
                                         "transport",
                                         "src",
                                         "sport",
                                         "dst",
                                         "dport",
                                         "sni",
                                         "client_hellos",
                                         "client_version",
                                         "client_max_version",
                                         "version",
                                         "cipher",
                                         "alpn",
                                         "server_alpn",
                                         "ja3",
                                         "ja3_md5",
                                         "ja3s",
                                         "ja3s_md5",
                                         "ja4",
                                         "hello_flags",
                                         "hrr",
                                         "server_hello_ts",
                                         "established",
                                         "established_ts",
                                         "client_appdata_ts",
                                         "server_appdata_ts",
                                         "alerts",
                                         "alert_ts",
                                         "alert_level",
                                         "alert_desc",
                                         "alert_from",
                                         "alert_before_established",
                                         "alert_encrypted",
                                         "certs_total",
                                         "certs",
                                         "client_cert",
                                         "chain",
                                         "verify_error",
                                         "verify_depth",
                                         "verify_reason",
                                         "in_tunnel",
                                         "proxy_kind",
                                         "proxy_target",
                                         "proxy_port",
                                         "proxy_status",
                                         "proxy_first_status",
                                         "flags",
                                         "midstream",
                                         "cert_subject",
                                         "cert_issuer",
                                         "cert_sha256",
                                         NULL};

static int rep__csv_tls_cb(void *user, const struct sto_tls_row *r)
{
    struct rep__csv *c = user;
    int alert = r->alert_from != NULL;

    rep__csv_int(c, r->id);
    rep__csv_int(c, r->capture_id);
    rep__csv_int(c, r->flow_seq);
    rep__csv_time(c, r->ts);
    rep__csv_text(c, r->transport);
    rep__csv_addr(c, r->src);
    rep__csv_int(c, r->sport);
    rep__csv_addr(c, r->dst);
    rep__csv_int(c, r->dport);
    rep__csv_name(c, r->sni);
    rep__csv_int(c, r->client_hellos);
    rep__csv_text(c, r->client_version);
    rep__csv_text(c, r->client_max_version);
    rep__csv_text(c, r->version);
    rep__csv_text(c, r->cipher);
    rep__csv_text(c, r->alpn);
    rep__csv_text(c, r->server_alpn);
    rep__csv_text(c, r->ja3);
    rep__csv_text(c, r->ja3_md5);
    rep__csv_text(c, r->ja3s);
    rep__csv_text(c, r->ja3s_md5);
    rep__csv_text(c, r->ja4);
    rep__csv_int(c, r->hello_flags);
    rep__csv_bool(c, r->hrr);
    rep__csv_time(c, r->server_hello_ts);
    rep__csv_bool(c, r->established);
    rep__csv_time(c, r->established_ts);
    rep__csv_time(c, r->client_appdata_ts);
    rep__csv_time(c, r->server_appdata_ts);
    rep__csv_int(c, r->alerts);
    rep__csv_time(c, r->alert_ts);
    rep__csv_opt(c, alert ? r->alert_level : -1);
    rep__csv_opt(c, alert ? r->alert_desc : -1);
    rep__csv_text(c, r->alert_from);
    rep__csv_opt(c, alert ? r->alert_before_established : -1);
    rep__csv_opt(c, alert ? r->alert_encrypted : -1);
    rep__csv_int(c, r->certs_total);
    rep__csv_int(c, r->certs);
    rep__csv_bool(c, r->client_cert);
    rep__csv_text(c, r->chain);
    rep__csv_opt(c, r->verify_error);
    rep__csv_opt(c, r->verify_depth);
    rep__csv_text(c, r->verify_reason);
    rep__csv_bool(c, r->in_tunnel);
    rep__csv_text(c, r->proxy_kind);
    rep__csv_name(c, r->proxy_target);
    rep__csv_opt(c, r->in_tunnel ? r->proxy_port : -1);
    rep__csv_opt(c, r->proxy_status);
    rep__csv_opt(c, r->proxy_first_status);
    rep__csv_int(c, r->flags);
    rep__csv_bool(c, r->midstream);
    rep__csv_text(c, r->cert_subject);
    rep__csv_text(c, r->cert_issuer);
    rep__csv_text(c, r->cert_sha256);
    return rep__csv_end(c);
}

static const char *const rep__c_stun[] = {"id",
                                          "capture",
                                          "flow_seq",
                                          "ts",
                                          "transport",
                                          "src",
                                          "sport",
                                          "dst",
                                          "dport",
                                          "method",
                                          "method_name",
                                          "class",
                                          "txid",
                                          "username",
                                          "realm",
                                          "software",
                                          "error_code",
                                          "error_reason",
                                          "mapped",
                                          "relayed",
                                          "peer",
                                          "mapped_all",
                                          "relayed_all",
                                          "peer_all",
                                          "priority",
                                          "use_candidate",
                                          "ice_role",
                                          "lifetime",
                                          "channel_number",
                                          "requested_transport",
                                          "fingerprint",
                                          "integrity",
                                          "classic",
                                          "inner",
                                          "inner_channel",
                                          "anomalies",
                                          NULL};

static int rep__csv_stun_cb(void *user, const struct sto_stun_row *r)
{
    struct rep__csv *c = user;

    rep__csv_int(c, r->id);
    rep__csv_int(c, r->capture_id);
    rep__csv_int(c, r->flow_seq);
    rep__csv_time(c, r->ts);
    rep__csv_text(c, r->transport);
    rep__csv_addr(c, r->src);
    rep__csv_int(c, r->sport);
    rep__csv_addr(c, r->dst);
    rep__csv_int(c, r->dport);
    rep__csv_int(c, r->method);
    rep__csv_text(c, r->method_name);
    rep__csv_text(c, r->cls);
    rep__csv_text(c, r->txid);
    rep__csv_text(c, r->username);
    rep__csv_text(c, r->realm);
    rep__csv_text(c, r->software);
    rep__csv_opt(c, r->error_code);
    rep__csv_text(c, r->error_reason);
    rep__csv_addr(c, r->mapped);
    rep__csv_addr(c, r->relayed);
    rep__csv_addr(c, r->peer);
    rep__csv_addrs(c, r->mapped_all);
    rep__csv_addrs(c, r->relayed_all);
    rep__csv_addrs(c, r->peer_all);
    rep__csv_opt(c, r->priority);
    rep__csv_bool(c, r->use_candidate);
    rep__csv_text(c, r->ice_role);
    rep__csv_opt(c, r->lifetime);
    rep__csv_opt(c, r->channel_number);
    rep__csv_opt(c, r->requested_transport);
    rep__csv_text(c, r->fingerprint);
    rep__csv_bool(c, r->integrity);
    rep__csv_bool(c, r->classic);
    rep__csv_bool(c, r->inner);
    rep__csv_opt(c, r->inner ? r->inner_channel : -1);
    rep__csv_int(c, r->anomalies);
    return rep__csv_end(c);
}

static const char *const rep__c_dns[] = {
    "id",          "capture",  "flow_seq",    "ts",           "transport", "client",
    "client_port", "server",   "server_port", "txid",         "qname",     "qtype",
    "rcode",       "query_ts", "response_ts", "answer_count", "answers",   NULL};

/* Answers as "TYPE data" separated by "; " (names and addresses anonymised). */
struct rep__csv_ans {
    struct rep__csv *c;
    char *out;
    size_t len, pos;
};

static int rep__csv_answer_cb(void *user, const struct sto_dns_answer_row *r)
{
    struct rep__csv_ans *x = user;
    const char *d = r->data ? r->data : "";
    char *one = malloc(strlen(d) * 16 + 64);
    int n;

    if (!one) {
        x->c->oom = 1;
        return 1;
    }
    if (!x->c->a)
        snprintf(one, strlen(d) * 16 + 64, "%s", d);
    else if (r->type && (!strcmp(r->type, "A") || !strcmp(r->type, "AAAA")))
        rep__anon_addr(x->c->a, d, one, strlen(d) * 16 + 64);
    else if (r->type && (!strcmp(r->type, "CNAME") || !strcmp(r->type, "PTR") ||
                         !strcmp(r->type, "NS") || !strcmp(r->type, "DNAME")))
        rep__anon_name(x->c->a, d, one, strlen(d) * 16 + 64);
    else
        rep__anon_text(x->c->a, d, one, strlen(d) * 16 + 64);
    n = snprintf(x->out + x->pos, x->len - x->pos, "%s%s %s", x->pos ? "; " : "",
                 r->type ? r->type : "?", one);
    if (n > 0)
        x->pos = (size_t)n < x->len - x->pos ? x->pos + (size_t)n : x->len - 1;
    free(one);
    return 0;
}

static int rep__csv_dns_cb(void *user, const struct sto_dns_row *r)
{
    struct rep__csv *c = user;
    struct rep__csv_ans x = {.c = c, .len = 65536};

    rep__csv_int(c, r->id);
    rep__csv_int(c, r->capture_id);
    rep__csv_int(c, r->flow_seq);
    rep__csv_time(c, r->ts);
    rep__csv_text(c, r->transport);
    rep__csv_addr(c, r->client);
    rep__csv_int(c, r->client_port);
    rep__csv_addr(c, r->server);
    rep__csv_int(c, r->server_port);
    rep__csv_int(c, r->txid);
    rep__csv_name(c, r->qname);
    rep__csv_text(c, r->qtype);
    rep__csv_text(c, r->rcode);
    rep__csv_time(c, r->query_ts);
    rep__csv_time(c, r->response_ts);
    rep__csv_int(c, r->answers);
    x.out = malloc(x.len);
    if (!x.out) {
        c->oom = 1;
        return 1;
    }
    x.out[0] = '\0';
    if (r->answers > 0 && sto_each_dns_answer(c->db, r->id, rep__csv_answer_cb, &x) < 0) {
        free(x.out);
        return -1;
    }
    rep__csv_str(c, x.out);
    free(x.out);
    return rep__csv_end(c);
}

int rep__csv(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err)
{
    struct rep__csv c = {.w = w, .db = db, .err = err};
    const char *t = o->table ? o->table : "";
    const struct sto_filter *f = &o->filter;
    int rc, ret = -1;

    err[0] = '\0';
    if (o->anonymize && !(c.a = rep__anon_new(db, err)))
        return -1;
    if (!strcmp(t, "flows")) {
        rep__csv_header(&c, rep__c_flows);
        rc = sto_each_flow(db, f, rep__csv_flow_cb, &c);
    } else if (!strcmp(t, "sessions")) {
        rep__csv_header(&c, rep__c_sessions);
        rc = sto_each_session(db, f, rep__csv_session_cb, &c);
    } else if (!strcmp(t, "verdicts")) {
        rep__csv_header(&c, rep__c_verdicts);
        rc = sto_each_verdict(db, f, rep__csv_verdict_cb, &c);
    } else if (!strcmp(t, "hosts")) {
        rep__csv_header(&c, rep__c_hosts);
        rc = sto_each_host(db, f, rep__csv_host_cb, &c);
    } else if (!strcmp(t, "checklist")) {
        rep__csv_header(&c, rep__c_checklist);
        rc = rep__checklist(db, o, rep__csv_check_cb, &c, err);
        if (rc < 0 && *err) {
            ret = -1;
            goto out;
        }
    } else if (!strcmp(t, "tls")) {
        rep__csv_header(&c, rep__c_tls);
        rc = sto_each_tls(db, f, rep__csv_tls_cb, &c);
    } else if (!strcmp(t, "stun")) {
        rep__csv_header(&c, rep__c_stun);
        rc = sto_each_stun(db, f, rep__csv_stun_cb, &c);
    } else if (!strcmp(t, "dns")) {
        rep__csv_header(&c, rep__c_dns);
        rc = sto_each_dns(db, f, rep__csv_dns_cb, &c);
    } else {
        snprintf(err, SS_ERRBUF_SIZE,
                 "CSV needs a table: flows, sessions, verdicts, hosts, checklist, tls, stun or "
                 "dns");
        goto out;
    }
    if (c.oom) {
        snprintf(err, SS_ERRBUF_SIZE, "CSV report: out of memory");
        goto out;
    }
    if (rc < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "%s", sto_errstr(db));
        goto out;
    }
    ret = w->err ? -1 : 0;
out:
    rep__anon_free(c.a);
    free(c.buf);
    return ret;
}
