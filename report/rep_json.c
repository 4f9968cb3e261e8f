/* SPDX-License-Identifier: MIT */
/*
 * rep_json.c - the JSON report of DESIGN.md "Machine-readable output" (documented in
 * docs/json.md): captures, flows, TLS, STUN, DNS, HTTP CONNECT, the analysis (sessions with
 * their candidate pairs, verdicts, hosts, the profile rules) and the checklist still to be
 * filled. Each record is built as a jansson object, written and freed at once; the
 * enclosing object, arrays and commas are written here, so memory does not grow with the
 * number of flows. One record per line.
 */
#include "rep_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/*
 * Compact records; 16 significant digits keep microseconds of epoch times (10 integer
 * digits) and print short values such as an RTT of 0.0123 as they are (17 would print
 * 0.012300000000000001).
 */
#define REP__JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(16))

struct rep__jctx {
    struct rep__out *w;
    struct sto_db *db;      /* for the nested walk of DNS answers */
    size_t n;               /* records written in the current array */
    int oom;                /* building a record failed */
    char *err;              /* caller's SS_ERRBUF_SIZE buffer */
    struct rep__anon *anon; /* --anonymize: the pseudonyms; NULL otherwise */
};

/* A JSON string of @p s; null for NULL. Text that is not valid UTF-8 (later: names taken from
 * packets) is escaped as in the text report rather than dropped. */
static json_t *rep__jstr(const char *s)
{
    json_t *j;
    char buf[4096]; /* an explanation (640 bytes) with every byte escaped as \xNN */

    if (!s)
        return json_null();
    j = json_string(s);
    if (j)
        return j;
    rep__escape(s, buf, sizeof buf);
    return json_string(buf);
}

/* As rep__jstr, but an empty string is null too (nDPI's "no application"). */
static json_t *rep__jstr_opt(const char *s)
{
    return rep__jstr(s && *s ? s : NULL);
}

/* Epoch seconds, or null for 0 (no time known). */
static json_t *rep__jtime(double t)
{
    return t > 0 ? json_real(t) : json_null();
}

/* Room for an anonymised free text (an explanation, evidence, an example flow). */
#define REP__JTEXT 4096

/* @p s through the report's anonymiser (a copy when there is none); NULL stays NULL. */
static const char *rep__janon_text(struct rep__jctx *c, const char *s, char *buf, size_t len)
{
    return s ? rep__anon_text(c->anon, s, buf, len) : NULL;
}

/* What a string is, for the anonymiser. */
enum rep__jkind {
    REP__J_ADDR, /* an address */
    REP__J_NAME, /* a host name */
    REP__J_TEXT  /* free text: transport addresses, explanations, evidence, paths */
};

/* A JSON string of @p s, anonymised as @p k when the report is (--anonymize); null for NULL. */
static json_t *rep__jan(struct rep__jctx *c, const char *s, enum rep__jkind k)
{
    char buf[REP__JTEXT];

    if (!s)
        return json_null();
    if (!c->anon)
        return rep__jstr(s);
    switch (k) {
    case REP__J_ADDR:
        return rep__jstr(rep__anon_addr(c->anon, s, buf, sizeof buf));
    case REP__J_NAME:
        return rep__jstr(rep__anon_name(c->anon, s, buf, sizeof buf));
    case REP__J_TEXT:
        break;
    }
    return rep__jstr(rep__anon_text(c->anon, s, buf, sizeof buf));
}

/* As rep__jan, but an empty string is null too. */
static json_t *rep__jan_opt(struct rep__jctx *c, const char *s, enum rep__jkind k)
{
    return rep__jan(c, s && *s ? s : NULL, k);
}

/* Sets @p key of @p obj to @p v (taking the reference); remembers a failure. */
static void rep__set(struct rep__jctx *c, json_t *obj, const char *key, json_t *v)
{
    if (!obj || json_object_set_new(obj, key, v) != 0)
        c->oom = 1;
}

/* Starts the array @p name: "name":[ */
static void rep__array_open(struct rep__jctx *c, const char *name)
{
    rep__printf(c->w, ",\n\"%s\":[", name);
    c->n = 0;
}

static void rep__array_close(struct rep__jctx *c)
{
    rep__puts(c->w, c->n ? "\n]" : "]");
}

/* Writes @p obj as the next element of the open array and frees it. Returns non-zero (which
 * stops the store's walk) once writing or building failed. */
static int rep__emit(struct rep__jctx *c, json_t *obj)
{
    if (!obj || c->oom) {
        c->oom = 1;
        json_decref(obj);
        snprintf(c->err, SS_ERRBUF_SIZE, "building the JSON report: out of memory");
        return 1;
    }
    rep__puts(c->w, c->n ? ",\n" : "\n");
    c->n++;
    if (!c->w->err) {
        errno = 0;
        if (json_dumpf(obj, c->w->f, REP__JSON_FLAGS) != 0)
            rep__set_error(c->w);
    }
    json_decref(obj);
    return c->w->err ? 1 : 0;
}

static int rep__capture_cb(void *user, const struct sto_capture_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();

    rep__set(c, o, "id", json_integer(r->id));
    char src[512];
    rep__set(c, o, "source",
             rep__jan(c,
                      c->anon
                          ? rep__anon_source(c->anon, r->id, r->kind, r->source, src, sizeof src)
                          : r->source,
                      REP__J_TEXT));
    rep__set(c, o, "kind", rep__jstr(r->kind));
    rep__set(c, o, "sha256", rep__jstr_opt(r->sha256));
    rep__set(c, o, "file_bytes", json_integer(r->file_bytes));
    rep__set(c, o, "first", rep__jtime(r->first));
    rep__set(c, o, "last", rep__jtime(r->last));
    rep__set(c, o, "packets", json_integer(r->packets));
    rep__set(c, o, "bytes", json_integer(r->bytes));
    rep__set(c, o, "drops", json_integer(r->drops));
    rep__set(c, o, "warnings", json_integer(r->warnings));
    rep__set(c, o, "linktype", rep__jstr_opt(r->linktype));
    rep__set(c, o, "linktype_num",
             r->linktype_num >= 0 ? json_integer(r->linktype_num) : json_null());
    rep__set(c, o, "status", rep__jstr(r->status));
    rep__set(c, o, "version", rep__jstr(r->version));
    rep__set(c, o, "analysed_at", rep__jtime(r->analysed_at));
    rep__set(c, o, "profile", rep__jstr(r->profile));
    return rep__emit(c, o);
}

/* A TTL of a direction: null when that direction carried no packet. */
static json_t *rep__jttl(int64_t pkts, int ttl)
{
    return pkts > 0 ? json_integer(ttl) : json_null();
}

static int rep__flow_cb(void *user, const struct sto_flow_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();
    int icmp = r->icmp_errors > 0;

    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "proto", rep__jstr(r->proto));
    rep__set(c, o, "src", rep__jan(c, r->src, REP__J_ADDR));
    rep__set(c, o, "sport", json_integer(r->sport));
    rep__set(c, o, "dst", rep__jan(c, r->dst, REP__J_ADDR));
    rep__set(c, o, "dport", json_integer(r->dport));
    rep__set(c, o, "first", json_real(r->first));
    rep__set(c, o, "last", json_real(r->last));
    rep__set(c, o, "pkts_out", json_integer(r->pkts_out));
    rep__set(c, o, "pkts_in", json_integer(r->pkts_in));
    rep__set(c, o, "bytes_out", json_integer(r->bytes_out));
    rep__set(c, o, "bytes_in", json_integer(r->bytes_in));
    rep__set(c, o, "payload_out", json_integer(r->payload_out));
    rep__set(c, o, "payload_in", json_integer(r->payload_in));
    rep__set(c, o, "state", rep__jstr_opt(r->state));
    rep__set(c, o, "history", rep__jstr_opt(r->history));
    rep__set(c, o, "rtt", r->rtt >= 0 ? json_real(r->rtt) : json_null());
    rep__set(c, o, "ttl_out_min", rep__jttl(r->pkts_out, r->ttl_out_min));
    rep__set(c, o, "ttl_out_max", rep__jttl(r->pkts_out, r->ttl_out_max));
    rep__set(c, o, "ttl_in_min", rep__jttl(r->pkts_in, r->ttl_in_min));
    rep__set(c, o, "ttl_in_max", rep__jttl(r->pkts_in, r->ttl_in_max));
    rep__set(c, o, "app", rep__jstr_opt(r->app));
    rep__set(c, o, "category", rep__jstr_opt(r->category));
    rep__set(c, o, "host", rep__jan_opt(c, r->host, REP__J_NAME));
    rep__set(c, o, "rule", rep__jstr_opt(r->rule));
    rep__set(c, o, "channeldata", json_integer(r->channeldata));
    rep__set(c, o, "frags", json_integer(r->frags));
    rep__set(c, o, "icmp_errors", json_integer(r->icmp_errors));
    rep__set(c, o, "icmp_type",
             icmp && r->icmp_type >= 0 ? json_integer(r->icmp_type) : json_null());
    rep__set(c, o, "icmp_code",
             icmp && r->icmp_code >= 0 ? json_integer(r->icmp_code) : json_null());
    rep__set(c, o, "icmp_from", rep__jan_opt(c, icmp ? r->icmp_from : NULL, REP__J_ADDR));
    rep__set(c, o, "icmp_first", rep__jtime(icmp ? r->icmp_first : 0));
    rep__set(c, o, "end_reason", rep__jstr_opt(r->end_reason));
    rep__set(c, o, "vlan", json_integer(r->vlan));
    rep__set(c, o, "flow_seq", r->flow_seq > 0 ? json_integer(r->flow_seq) : json_null());
    rep__set(c, o, "stun_msgs", json_integer(r->stun_msgs));
    rep__set(c, o, "stun_dropped", json_integer(r->stun_dropped));
    return rep__emit(c, o);
}

/* An integer that the store gives as -1 when absent: null then. */
static json_t *rep__jopt(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

/* A mnemonic, or the number it stands for when the store kept only the number ("65280"). */
static json_t *rep__jname_or_num(const char *s)
{
    size_t n = s ? strspn(s, "0123456789") : 0;

    if (s && n > 0 && n < 10 && s[n] == '\0')
        return json_integer(strtol(s, NULL, 10));
    return rep__jstr(s);
}

/* An array of the space-separated words of @p list ([] for NULL): addresses, ALPN names,
 * SANs (each shorter than 512 bytes). */
static json_t *rep__jwords_as(struct rep__jctx *c, const char *list, int anon, enum rep__jkind k)
{
    json_t *a = json_array();
    char buf[512];

    if (!a)
        return NULL;
    while (list && *list) {
        size_t n = strcspn(list, " ");

        if (n > 0 && n < sizeof buf) {
            memcpy(buf, list, n);
            buf[n] = '\0';
            if (json_array_append_new(a, anon ? rep__jan(c, buf, k) : rep__jstr(buf)) != 0)
                c->oom = 1;
        }
        list += n;
        list += strspn(list, " ");
    }
    return a;
}

/* rep__jwords_as, the words kept as they are (ALPN names, the profile's patterns and ports). */
static json_t *rep__jwords(struct rep__jctx *c, const char *list)
{
    return rep__jwords_as(c, list, 0, REP__J_TEXT);
}

static int rep__stun_cb(void *user, const struct sto_stun_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();

    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "flow", json_integer(r->flow_seq));
    rep__set(c, o, "ts", json_real(r->ts));
    rep__set(c, o, "transport", rep__jstr(r->transport));
    rep__set(c, o, "src", rep__jan(c, r->src, REP__J_ADDR));
    rep__set(c, o, "sport", json_integer(r->sport));
    rep__set(c, o, "dst", rep__jan(c, r->dst, REP__J_ADDR));
    rep__set(c, o, "dport", json_integer(r->dport));
    /* The contract names seven methods; any other (GOOG-PING, RFC 6062, ...) is its number. */
    bool named = r->method_name && r->method >= 0x001 && r->method <= 0x009 && r->method != 0x002 &&
                 r->method != 0x005;
    rep__set(c, o, "method", named ? rep__jstr(r->method_name) : json_integer(r->method));
    rep__set(c, o, "method_code", json_integer(r->method));
    rep__set(c, o, "class", rep__jstr(r->cls));
    rep__set(c, o, "txid", rep__jstr(r->txid));
    rep__set(c, o, "username", rep__jan(c, r->username, REP__J_TEXT));
    rep__set(c, o, "realm", rep__jan(c, r->realm, REP__J_NAME));
    rep__set(c, o, "software", rep__jan(c, r->software, REP__J_TEXT));
    rep__set(c, o, "error_code", rep__jopt(r->error_code));
    rep__set(c, o, "error_reason", rep__jan(c, r->error_reason, REP__J_TEXT));
    rep__set(c, o, "mapped", rep__jan(c, r->mapped, REP__J_TEXT));
    rep__set(c, o, "relayed", rep__jan(c, r->relayed, REP__J_TEXT));
    rep__set(c, o, "peer", rep__jan(c, r->peer, REP__J_TEXT));
    rep__set(c, o, "mapped_all", rep__jwords_as(c, r->mapped_all, 1, REP__J_TEXT));
    rep__set(c, o, "relayed_all", rep__jwords_as(c, r->relayed_all, 1, REP__J_TEXT));
    rep__set(c, o, "peer_all", rep__jwords_as(c, r->peer_all, 1, REP__J_TEXT));
    rep__set(c, o, "priority", rep__jopt(r->priority));
    rep__set(c, o, "use_candidate", json_boolean(r->use_candidate));
    rep__set(c, o, "ice_role", rep__jstr(r->ice_role));
    rep__set(c, o, "lifetime", rep__jopt(r->lifetime));
    rep__set(c, o, "channel_number", rep__jopt(r->channel_number));
    rep__set(c, o, "requested_transport", rep__jopt(r->requested_transport));
    rep__set(c, o, "fingerprint", rep__jstr(r->fingerprint));
    rep__set(c, o, "integrity", json_boolean(r->integrity));
    rep__set(c, o, "classic", json_boolean(r->classic));
    rep__set(c, o, "inner", json_boolean(r->inner));
    rep__set(c, o, "inner_channel",
             r->inner_channel > 0 ? json_integer(r->inner_channel) : json_null());
    rep__set(c, o, "anomalies", json_integer(r->anomalies));
    return rep__emit(c, o);
}

/* Collects the answers of one DNS transaction into an array. */
/* A child-row walk (DNS answers, TLS certificates) filling one JSON array. */
struct rep__jchildren {
    struct rep__jctx *c;
    json_t *a;
};

static int rep__answer_cb(void *user, const struct sto_dns_answer_row *r)
{
    struct rep__jchildren *x = user;
    json_t *o = json_object();

    rep__set(x->c, o, "name", rep__jan(x->c, r->name, REP__J_NAME));
    rep__set(x->c, o, "type", rep__jname_or_num(r->type));
    rep__set(x->c, o, "ttl", json_integer(r->ttl));
    rep__set(x->c, o, "data", rep__jan(x->c, r->data, REP__J_TEXT));
    if (!o || json_array_append_new(x->a, o) != 0)
        x->c->oom = 1;
    return x->c->oom;
}

static int rep__dns_cb(void *user, const struct sto_dns_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();
    struct rep__jchildren x = {.c = c, .a = json_array()};
    int rc;

    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "flow", json_integer(r->flow_seq));
    rep__set(c, o, "ts", json_real(r->ts));
    rep__set(c, o, "transport", rep__jstr(r->transport));
    rep__set(c, o, "client", rep__jan(c, r->client, REP__J_ADDR));
    rep__set(c, o, "client_port", json_integer(r->client_port));
    rep__set(c, o, "server", rep__jan(c, r->server, REP__J_ADDR));
    rep__set(c, o, "server_port", json_integer(r->server_port));
    rep__set(c, o, "txid", json_integer(r->txid));
    rep__set(c, o, "qname", rep__jan(c, r->qname, REP__J_NAME));
    rep__set(c, o, "qtype", rep__jname_or_num(r->qtype));
    rep__set(c, o, "rcode", rep__jname_or_num(r->rcode));
    rep__set(c, o, "query_ts", rep__jtime(r->query_ts));
    rep__set(c, o, "response_ts", rep__jtime(r->response_ts));
    rep__set(c, o, "answer_count", json_integer(r->answers));
    if (!x.a) {
        c->oom = 1;
    } else {
        rc = sto_each_dns_answer(c->db, r->id, rep__answer_cb, &x);
        if (rc < 0) {
            json_decref(o);
            json_decref(x.a);
            return -1; /* the walk returns it; the store's message is reported */
        }
    }
    rep__set(c, o, "answers", x.a);
    return rep__emit(c, o);
}

/* ---- TLS and HTTP CONNECT ---- */

/* The contract's version: "1.0".."1.3" (a TLS 1.3 draft is "1.3"), null for anything else
 * (SSL 3.0, unknown values: see version_name). */
static json_t *rep__jtls_version(const char *v)
{
    static const char *const known[] = {"1.0", "1.1", "1.2", "1.3"};

    if (!v)
        return json_null();
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(v, known[i]))
            return json_string(known[i]);
    if (!strncmp(v, "1.3-draft", 9))
        return json_string("1.3");
    return json_null();
}

/* true for a chain that verified, false for one that did not, null when not verified. */
static json_t *rep__jchain_valid(const char *chain)
{
    if (chain && !strcmp(chain, "valid"))
        return json_true();
    if (chain && !strcmp(chain, "invalid"))
        return json_false();
    return json_null();
}

/* {"ts", "level", "desc", "desc_name", "from", "encrypted", "before_established"} of the first
 * fatal alert, or null. */
static json_t *rep__jtls_alert(struct rep__jctx *c, const struct sto_tls_row *r)
{
    json_t *o;

    if (!r->alert_from)
        return json_null();
    o = json_object();
    rep__set(c, o, "ts", rep__jtime(r->alert_ts));
    rep__set(c, o, "level", rep__jopt(r->alert_level));
    rep__set(c, o, "desc", rep__jopt(r->alert_desc));
    rep__set(c, o, "desc_name",
             rep__jstr(r->alert_desc >= 0 ? rep__tls_alert_name(r->alert_desc) : NULL));
    rep__set(c, o, "from", rep__jstr(r->alert_from));
    rep__set(c, o, "encrypted", json_boolean(r->alert_encrypted > 0));
    rep__set(c, o, "before_established", json_boolean(r->alert_before_established > 0));
    return o;
}

/* {"target", "port", "status", "first_status"} of a tunnelled connection, or null. */
static json_t *rep__jtls_proxy(struct rep__jctx *c, const struct sto_tls_row *r)
{
    json_t *o;

    if (!r->in_tunnel)
        return json_null();
    o = json_object();
    rep__set(c, o, "target", rep__jan(c, r->proxy_target, REP__J_NAME));
    rep__set(c, o, "port", r->proxy_port > 0 ? json_integer(r->proxy_port) : json_null());
    rep__set(c, o, "kind", r->proxy_kind ? rep__jstr(r->proxy_kind) : json_null());
    rep__set(c, o, "status", r->proxy_status >= 0 ? json_integer(r->proxy_status) : json_null());
    rep__set(c, o, "first_status",
             r->proxy_first_status >= 0 ? json_integer(r->proxy_first_status) : json_null());
    return o;
}

/* Collects the certificates of one TLS connection into an array. */
static int rep__cert_cb(void *user, const struct sto_tls_cert_row *r)
{
    struct rep__jchildren *x = user;
    json_t *o = json_object();

    rep__set(x->c, o, "subject", rep__jan(x->c, r->subject, REP__J_TEXT));
    rep__set(x->c, o, "issuer", rep__jan(x->c, r->issuer, REP__J_TEXT));
    rep__set(x->c, o, "sha256", rep__jstr(r->sha256));
    rep__set(x->c, o, "not_before", r->readable ? json_real(r->not_before) : json_null());
    rep__set(x->c, o, "not_after", r->readable ? json_real(r->not_after) : json_null());
    rep__set(x->c, o, "sans", rep__jwords_as(x->c, r->sans, 1, REP__J_TEXT));
    rep__set(x->c, o, "san_total", json_integer(r->san_total));
    rep__set(x->c, o, "self_issued", json_boolean(r->self_issued));
    rep__set(x->c, o, "readable", json_boolean(r->readable));
    if (!o || json_array_append_new(x->a, o) != 0)
        x->c->oom = 1;
    return x->c->oom;
}

static int rep__tls_cb(void *user, const struct sto_tls_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();
    struct rep__jchildren x = {.c = c, .a = json_array()};
    int bad = r->chain && strcmp(r->chain, "valid") != 0;

    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "flow", json_integer(r->flow_seq));
    rep__set(c, o, "ts", json_real(r->ts));
    rep__set(c, o, "transport", rep__jstr(r->transport));
    rep__set(c, o, "src", rep__jan(c, r->src, REP__J_ADDR));
    rep__set(c, o, "sport", json_integer(r->sport));
    rep__set(c, o, "dst", rep__jan(c, r->dst, REP__J_ADDR));
    rep__set(c, o, "dport", json_integer(r->dport));
    rep__set(c, o, "sni", rep__jan(c, r->sni, REP__J_NAME));
    rep__set(c, o, "version", rep__jtls_version(r->version));
    rep__set(c, o, "version_name", rep__jstr(r->version));
    rep__set(c, o, "client_version", rep__jstr(r->client_version));
    rep__set(c, o, "client_max_version", rep__jstr(r->client_max_version));
    rep__set(c, o, "cipher", rep__jstr(r->cipher));
    rep__set(c, o, "alpn", rep__jwords(c, r->alpn));
    rep__set(c, o, "server_alpn", rep__jstr(r->server_alpn));
    /* As Zeek and Suricata: ja3 / ja3s are the MD5 hashes, the strings are extras. */
    rep__set(c, o, "ja3", rep__jstr(r->ja3_md5));
    rep__set(c, o, "ja3_string", rep__jstr(r->ja3));
    rep__set(c, o, "ja3s", rep__jstr(r->ja3s_md5));
    rep__set(c, o, "ja3s_string", rep__jstr(r->ja3s));
    rep__set(c, o, "ja4", rep__jstr(r->ja4));
    rep__set(c, o, "client_hellos", json_integer(r->client_hellos));
    rep__set(c, o, "hrr", json_boolean(r->hrr));
    rep__set(c, o, "server_hello_ts", rep__jtime(r->server_hello_ts));
    rep__set(c, o, "established", json_boolean(r->established));
    rep__set(c, o, "established_ts", rep__jtime(r->established_ts));
    rep__set(c, o, "client_appdata_ts", rep__jtime(r->client_appdata_ts));
    rep__set(c, o, "server_appdata_ts", rep__jtime(r->server_appdata_ts));
    rep__set(c, o, "alerts", json_integer(r->alerts));
    rep__set(c, o, "alert", rep__jtls_alert(c, r));
    rep__set(c, o, "cert_subject", rep__jan(c, r->cert_subject, REP__J_TEXT));
    rep__set(c, o, "cert_issuer", rep__jan(c, r->cert_issuer, REP__J_TEXT));
    rep__set(c, o, "cert_sha256", rep__jstr(r->cert_sha256));
    rep__set(c, o, "chain_valid", rep__jchain_valid(r->chain));
    rep__set(c, o, "chain", rep__jstr(r->chain));
    rep__set(c, o, "chain_error", rep__jan(c, bad ? r->verify_reason : NULL, REP__J_TEXT));
    rep__set(c, o, "verify_error", rep__jopt(bad ? r->verify_error : -1));
    rep__set(c, o, "certs_total", json_integer(r->certs_total));
    rep__set(c, o, "client_cert", json_boolean(r->client_cert));
    rep__set(c, o, "proxy", rep__jtls_proxy(c, r));
    rep__set(c, o, "hello_flags", json_integer(r->hello_flags));
    rep__set(c, o, "flags", json_integer(r->flags));
    rep__set(c, o, "midstream", json_boolean(r->midstream));
    if (!x.a) {
        c->oom = 1;
    } else if (r->certs > 0 && sto_each_tls_cert(c->db, r->id, rep__cert_cb, &x) < 0) {
        json_decref(o);
        json_decref(x.a);
        return -1; /* the walk returns it; the store's message is reported */
    }
    rep__set(c, o, "certs", x.a);
    return rep__emit(c, o);
}

static int rep__http_connect_cb(void *user, const struct sto_http_connect_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();

    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "flow", json_integer(r->flow_seq));
    rep__set(c, o, "ts", json_real(r->ts));
    rep__set(c, o, "transport", rep__jstr(r->transport));
    rep__set(c, o, "client", rep__jan(c, r->client, REP__J_ADDR));
    rep__set(c, o, "client_port", json_integer(r->client_port));
    rep__set(c, o, "proxy", rep__jan(c, r->proxy, REP__J_ADDR));
    rep__set(c, o, "proxy_port", json_integer(r->proxy_port));
    rep__set(c, o, "target", rep__jan(c, r->target, REP__J_NAME));
    rep__set(c, o, "target_port", json_integer(r->target_port));
    rep__set(c, o, "status", rep__jopt(r->status));
    rep__set(c, o, "reason", rep__jan(c, r->reason, REP__J_TEXT));
    rep__set(c, o, "proxy_authenticate", rep__jstr(r->proxy_authenticate));
    rep__set(c, o, "proxy_authorization", json_boolean(r->proxy_authorization));
    rep__set(c, o, "authorization_scheme", rep__jstr(r->authorization_scheme));
    rep__set(c, o, "user_agent", rep__jan(c, r->user_agent, REP__J_TEXT));
    return rep__emit(c, o);
}

/* ---- analysis: sessions, candidate pairs, verdicts, hosts, rules ---- */

/* An integer column that is NULL (-1 from the store) for other kinds of rows. */
static json_t *rep__jcount(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

static int rep__pair_cb(void *user, const struct sto_pair_row *r)
{
    struct rep__jchildren *x = user;
    json_t *o = json_object();

    rep__set(x->c, o, "local", rep__jan(x->c, r->local, REP__J_TEXT));
    rep__set(x->c, o, "remote", rep__jan(x->c, r->remote, REP__J_TEXT));
    rep__set(x->c, o, "proto", rep__jstr(r->proto));
    rep__set(x->c, o, "relayed", json_boolean(r->relayed));
    rep__set(x->c, o, "requests", json_integer(r->requests));
    rep__set(x->c, o, "successes", json_integer(r->successes));
    rep__set(x->c, o, "errors", json_integer(r->errors));
    rep__set(x->c, o, "nominated", json_boolean(r->nominated));
    rep__set(x->c, o, "selected", json_boolean(r->selected));
    rep__set(x->c, o, "first", json_real(r->first));
    rep__set(x->c, o, "last", json_real(r->last));
    rep__set(x->c, o, "rtt_ms", r->rtt_ms >= 0 ? json_real(r->rtt_ms) : json_null());
    if (!o || json_array_append_new(x->a, o) != 0)
        x->c->oom = 1;
    return x->c->oom;
}

/* {"relayed", "mapped", "transport", "lifetime", ...} of a TURN session, else null. */
static json_t *rep__jturn(struct rep__jctx *c, const struct sto_session_row *r)
{
    json_t *o;

    if (!r->kind || strcmp(r->kind, "turn") != 0)
        return json_null();
    o = json_object();
    rep__set(c, o, "relayed", rep__jan(c, r->relayed, REP__J_TEXT));
    rep__set(c, o, "mapped", rep__jan(c, r->mapped, REP__J_TEXT));
    rep__set(c, o, "transport", rep__jstr(r->transport));
    rep__set(c, o, "lifetime", rep__jcount(r->lifetime));
    rep__set(c, o, "permissions", rep__jcount(r->permissions));
    rep__set(c, o, "channels", rep__jcount(r->channels));
    rep__set(c, o, "peers", rep__jcount(r->peers));
    rep__set(c, o, "errors", rep__jcount(r->errors));
    rep__set(c, o, "last_error", r->last_error > 0 ? json_integer(r->last_error) : json_null());
    return o;
}

/* {"local", "remote"} of the selected pair, or null. */
static json_t *rep__jselected(struct rep__jctx *c, const struct sto_session_row *r)
{
    json_t *o;

    if (!r->sel_local && !r->sel_remote)
        return json_null();
    o = json_object();
    rep__set(c, o, "local", rep__jan(c, r->sel_local, REP__J_TEXT));
    rep__set(c, o, "remote", rep__jan(c, r->sel_remote, REP__J_TEXT));
    return o;
}

static int rep__session_cb(void *user, const struct sto_session_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();
    struct rep__jchildren x = {.c = c, .a = json_array()};

    /* The row id: unique across captures (seq is unique only within one). */
    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "seq", json_integer(r->seq));
    rep__set(c, o, "kind", rep__jstr(r->kind));
    rep__set(c, o, "method", r->method > 0 ? json_integer(r->method) : json_null());
    rep__set(c, o, "submethod", rep__jstr(r->submethod));
    rep__set(c, o, "proto", rep__jstr(r->proto));
    rep__set(c, o, "client", rep__jan(c, r->client, REP__J_ADDR));
    rep__set(c, o, "peer", rep__jan(c, r->peer, REP__J_TEXT));
    rep__set(c, o, "server", rep__jan(c, r->server, REP__J_TEXT));
    rep__set(c, o, "selected", rep__jselected(c, r));
    rep__set(c, o, "first", json_real(r->first));
    rep__set(c, o, "last", json_real(r->last));
    rep__set(c, o, "bytes", json_integer(r->bytes));
    rep__set(c, o, "ufrags", rep__jstr(r->ufrags));
    rep__set(c, o, "link", r->link_id > 0 ? json_integer(r->link_id) : json_null());
    rep__set(c, o, "explanation", rep__jan(c, r->explanation, REP__J_TEXT));
    rep__set(c, o, "turn", rep__jturn(c, r));
    if (!x.a) {
        c->oom = 1;
    } else if (r->pairs > 0 && sto_each_session_pair(c->db, r->id, rep__pair_cb, &x) < 0) {
        json_decref(o);
        json_decref(x.a);
        return -1; /* the walk returns it; the store's message is reported */
    }
    rep__set(c, o, "pairs", x.a);
    return rep__emit(c, o);
}

static int rep__verdict_cb(void *user, const struct sto_verdict_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();

    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "kind", rep__jstr(r->kind));
    rep__set(c, o, "code", rep__jstr(r->code));
    rep__set(c, o, "confidence", rep__jstr(r->confidence));
    rep__set(c, o, "rule", rep__jstr(r->rule));
    rep__set(c, o, "proto", rep__jstr(r->proto));
    rep__set(c, o, "src", rep__jan(c, r->src, REP__J_ADDR));
    rep__set(c, o, "sport", json_integer(r->sport));
    rep__set(c, o, "dst", rep__jan(c, r->dst, REP__J_ADDR));
    rep__set(c, o, "dport", json_integer(r->dport));
    rep__set(c, o, "host", rep__jan(c, r->host, REP__J_NAME));
    rep__set(c, o, "first", json_real(r->first));
    rep__set(c, o, "evidence", rep__jan(c, r->evidence, REP__J_TEXT));
    rep__set(c, o, "session", r->session_id > 0 ? json_integer(r->session_id) : json_null());
    rep__set(c, o, "flow", r->flow_seq > 0 ? json_integer(r->flow_seq) : json_null());
    return rep__emit(c, o);
}

/* The JSON array text @p text as stored (hosts.names, hosts.methods); an array holding the
 * text itself when it is not one (a database edited by hand). */
static json_t *rep__jarray_text(struct rep__jctx *c, const char *text)
{
    json_t *a = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;

    if (json_is_array(a))
        return a;
    json_decref(a);
    a = json_array();
    if (!a)
        return NULL;
    if (text && *text && json_array_append_new(a, rep__jstr(text)) != 0)
        c->oom = 1;
    return a;
}

/* The host names array text @p text (hosts.names), each name anonymised when the report is. */
static json_t *rep__jnames(struct rep__jctx *c, const char *text)
{
    json_t *a = rep__jarray_text(c, text), *v;
    size_t i;

    if (!a || !c->anon)
        return a;
    json_array_foreach(a, i, v)
    {
        if (json_is_string(v) &&
            json_array_set_new(a, i, rep__jan(c, json_string_value(v), REP__J_NAME)) != 0)
            c->oom = 1;
    }
    return a;
}

static int rep__host_cb(void *user, const struct sto_host_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();

    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "addr", rep__jan(c, r->addr, REP__J_ADDR));
    rep__set(c, o, "names", rep__jnames(c, r->names));
    rep__set(c, o, "role", rep__jstr(r->role));
    rep__set(c, o, "local", json_boolean(r->local));
    rep__set(c, o, "methods", rep__jarray_text(c, r->methods));
    rep__set(c, o, "verdicts", json_integer(r->verdicts));
    rep__set(c, o, "first", rep__jtime(r->first));
    rep__set(c, o, "last", rep__jtime(r->last));
    return rep__emit(c, o);
}

static int rep__rule_cb(void *user, const struct sto_rule_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();

    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "profile", rep__jstr(r->profile));
    rep__set(c, o, "position", json_integer(r->position));
    rep__set(c, o, "id", rep__jstr(r->id));
    rep__set(c, o, "hosts", rep__jwords(c, r->hosts));
    rep__set(c, o, "ports", rep__jwords(c, r->ports));
    rep__set(c, o, "scope", rep__jstr(r->scope));
    rep__set(c, o, "traffic", rep__jstr(r->traffic));
    rep__set(c, o, "product", json_boolean(r->product));
    rep__set(c, o, "used_for", rep__jstr_opt(r->used_for));
    return rep__emit(c, o);
}

/* One row of the requirement checklist (rep__checklist). */
static int rep__jcheck_cb(void *user, const struct rep__check *k)
{
    struct rep__jctx *c = user;
    json_t *o = json_object(), *ev = json_object(), *ex = json_array();
    char buf[REP__JTEXT];

    for (int i = 0; i < k->n_examples; i++)
        if (!ex || json_array_append_new(
                       ex, rep__jstr(rep__janon_text(c, k->examples[i], buf, sizeof buf))) != 0)
            c->oom = 1;
    rep__set(c, ev, "flows", json_integer(k->flows));
    rep__set(c, ev, "flows_ok", json_integer(k->flows_ok));
    rep__set(c, ev, "blocked", json_integer(k->blocked));
    rep__set(c, ev, "inspected", json_integer(k->inspected));
    rep__set(c, ev, "codes", rep__jstr(k->codes));
    rep__set(c, ev, "examples", ex ? ex : json_null());
    rep__set(c, o, "rule", rep__jstr(k->rule));
    rep__set(c, o, "status", rep__jstr(k->status));
    rep__set(c, o, "evidence", ev ? ev : json_null());
    rep__set(c, o, "change", rep__jstr(rep__janon_text(c, k->change, buf, sizeof buf)));
    rep__set(c, o, "hosts", rep__jwords(c, k->hosts));
    rep__set(c, o, "ports", rep__jwords(c, k->ports));
    rep__set(c, o, "used_for", rep__jstr_opt(k->used_for));
    return rep__emit(c, o);
}

/* Runs a store walk; turns its -1 into the store's message. Returns 0 or -1. */
static int rep__walk_result(struct rep__jctx *c, struct sto_db *db, int rc)
{
    if (rc < 0) {
        snprintf(c->err, SS_ERRBUF_SIZE, "%s", sto_errstr(db));
        return -1;
    }
    return rc || c->oom || c->w->err ? -1 : 0;
}

static int rep__json_write(struct rep__jctx *cp, struct sto_db *db, const struct rep_opts *o,
                           struct rep__out *w, char *err)
{
    struct rep__jctx c = *cp;
    json_t *version = json_string(SS_VERSION_STRING);

    if (!version) {
        snprintf(err, SS_ERRBUF_SIZE, "building the JSON report: out of memory");
        return -1;
    }
    rep__puts(w, "{\"version\":");
    errno = 0;
    if (!w->err && json_dumpf(version, w->f, REP__JSON_FLAGS | JSON_ENCODE_ANY) != 0)
        rep__set_error(w);
    json_decref(version);
    rep__printf(w, ",\"schema\":%d", sto_schema_version());

    rep__array_open(&c, "captures");
    if (rep__walk_result(&c, db, sto_each_capture(db, &o->filter, rep__capture_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "flows");
    if (rep__walk_result(&c, db, sto_each_flow(db, &o->filter, rep__flow_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "tls");
    if (rep__walk_result(&c, db, sto_each_tls(db, &o->filter, rep__tls_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "stun");
    if (rep__walk_result(&c, db, sto_each_stun(db, &o->filter, rep__stun_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "dns");
    if (rep__walk_result(&c, db, sto_each_dns(db, &o->filter, rep__dns_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "http_connect");
    if (rep__walk_result(&c, db, sto_each_http_connect(db, &o->filter, rep__http_connect_cb, &c)) <
        0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "sessions");
    if (rep__walk_result(&c, db, sto_each_session(db, &o->filter, rep__session_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "verdicts");
    if (rep__walk_result(&c, db, sto_each_verdict(db, &o->filter, rep__verdict_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "checklist");
    {
        int rc = rep__checklist(db, o, rep__jcheck_cb, &c, err);

        if (rc < 0 || rc > 0 || c.oom || w->err)
            return -1;
    }
    rep__array_close(&c);

    rep__array_open(&c, "hosts");
    if (rep__walk_result(&c, db, sto_each_host(db, &o->filter, rep__host_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "rules");
    if (rep__walk_result(&c, db, sto_each_rule(db, &o->filter, rep__rule_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);
    rep__puts(w, "}\n");
    return w->err ? -1 : 0;
}

int rep__json(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err)
{
    struct rep__jctx c = {.w = w, .db = db, .n = 0, .oom = 0, .err = err};
    int ret;

    if (o->anonymize) {
        c.anon = rep__anon_new(db, err);
        if (!c.anon)
            return -1;
    }
    ret = rep__json_write(&c, db, o, w, err);
    rep__anon_free(c.anon);
    return ret;
}
