/* SPDX-License-Identifier: MIT */
/*
 * sto_analysis.c - SQLite storage: the analyzer's results (sessions with their candidate pairs,
 * verdicts, hosts) and the profile rules a capture was analysed with.
 */
#define _POSIX_C_SOURCE 200809L

#include "store/sto.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "sto_int.h"

/* Room for a host's names as a JSON array: each byte of dis_host_rec.names becomes at most
 * six (a control character as \u00XX), plus the quotes, commas and brackets. */
#define STO__NAMES_JSON_LEN (6 * sizeof(((struct dis_host_rec *)0)->names) + 16)

/*
 * The names stored for the analyzer's enums. They are the schema's contract (docs/schema.md,
 * docs/json.md), so they are spelled out here rather than taken from dissect/: renaming an
 * enum there must not silently change what databases hold. NULL for a value without a name.
 */
static const char *sto__kind_name(enum dis_sess_kind k)
{
    switch (k) {
    case DIS_SESS_ICE:
        return "ice";
    case DIS_SESS_TURN:
        return "turn";
    case DIS_SESS_BROADCAST:
        return "broadcast";
    case DIS_SESS_DIRECT:
        return "direct";
    }
    return NULL;
}

static const char *sto__submethod_name(enum dis_submethod s)
{
    switch (s) {
    case DIS_SUB_NONE:
        return NULL;
    case DIS_SUB_HOST:
        return "host";
    case DIS_SUB_SRFLX:
        return "srflx";
    case DIS_SUB_RELAY_UDP:
        return "relay-udp";
    case DIS_SUB_RELAY_TCP:
        return "relay-tcp";
    case DIS_SUB_RELAY_TLS:
        return "relay-tls";
    }
    return NULL;
}

static const char *sto__verdict_kind_name(enum dis_verdict_kind k)
{
    switch (k) {
    case DIS_VK_BLOCKED:
        return "blocked";
    case DIS_VK_INSPECTED:
        return "inspected";
    }
    return NULL;
}

static const char *sto__confidence_name(enum dis_confidence c)
{
    switch (c) {
    case DIS_CONF_CONFIRMED:
        return "confirmed";
    case DIS_CONF_SUSPECTED:
        return "suspected";
    }
    return NULL;
}

static const char *sto__role_name(enum dis_host_role r)
{
    switch (r) {
    case DIS_ROLE_CLIENT:
        return "client";
    case DIS_ROLE_CONSOLE:
        return "console";
    case DIS_ROLE_SERVER:
        return "server";
    case DIS_ROLE_OTHER:
        return "other";
    }
    return "other";
}

/* Binds an endpoint as "ip:port" text, NULL when the address is absent. */
static int sto__bind_ep(sqlite3_stmt *st, int i, const struct dis_ep *e)
{
    char buf[STO__EP_LEN];

    if (!sto__endpoint(&e->addr, e->port, buf, sizeof buf))
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

/* Binds a capture time in ns as epoch seconds, NULL for 0 (unknown). */
static int sto__bind_time0(sqlite3_stmt *st, int i, uint64_t ns)
{
    return ns ? sqlite3_bind_double(st, i, sto__secs(ns)) : sqlite3_bind_null(st, i);
}

/* Binds a protocol name ("udp", "tcp", or the number), NULL for 0 (unknown). */
static int sto__bind_proto(sqlite3_stmt *st, int i, uint8_t proto)
{
    char pbuf[4];

    if (proto == 0)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, sto__proto_name(proto, pbuf), -1, SQLITE_TRANSIENT);
}

/* Finds the row id of session @p seq of capture @p capture_id. Returns 1 with @p id set, 0 when
 * there is none, -1 on error. */
static int sto__session_find(struct sto_db *db, int64_t capture_id, uint64_t seq, int64_t *id)
{
    sqlite3_stmt *st = db->st[STO__SESSION_FIND];
    const char *what = "finding session";

    if (sqlite3_bind_int64(st, 1, capture_id) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, sto__i64(seq)) != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__find_id(db, st, what, id);
}

int sto__write_start(struct sto_db *db, const char *what)
{
    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    return 0;
}

int sto_session_add(struct sto_db *db, int64_t capture_id, const struct dis_session_rec *s)
{
    sqlite3_stmt *st = db->st[STO__SESSION_INSERT];
    const char *what = "inserting session", *kind = sto__kind_name(s->kind), *transport = NULL;
    char kbuf[16];
    int turn = s->kind == DIS_SESS_TURN, rc = SQLITE_OK;

    if (sto__write_start(db, what) < 0)
        return -1;
    if (!kind) {
        snprintf(kbuf, sizeof kbuf, "%d", (int)s->kind);
        kind = kbuf;
    }
    if (s->sub == DIS_SUB_RELAY_TLS)
        transport = "tls";
    else if (s->transport == DIS_IPPROTO_UDP)
        transport = "udp";
    else if (s->transport == DIS_IPPROTO_TCP)
        transport = "tcp";

    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sqlite3_bind_int64(st, 2, sto__i64(s->id));
    rc |= sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
    rc |= s->method ? sqlite3_bind_int(st, 4, s->method) : sqlite3_bind_null(st, 4);
    rc |= sto__bind_str(st, 5, sto__submethod_name(s->sub), 16);
    if (s->has_selected) {
        rc |= sto__bind_proto(st, 6, s->proto);
        rc |= sto__bind_ep(st, 7, &s->sel_local);
        rc |= sto__bind_ep(st, 8, &s->sel_remote);
    } else {
        for (int i = 6; i <= 8; i++)
            rc |= sqlite3_bind_null(st, i);
    }
    rc |= sto__bind_addr(st, 9, &s->client);
    rc |= sto__bind_addr(st, 10, &s->peer);
    rc |= sto__bind_ep(st, 11, &s->server);
    rc |= sqlite3_bind_double(st, 12, sto__secs(s->first_ns));
    rc |= sqlite3_bind_double(st, 13, sto__secs(s->last_ns));
    rc |= sqlite3_bind_int64(st, 14, sto__i64(s->bytes));
    rc |= sto__bind_str(st, 15, s->ufrags, sizeof s->ufrags);
    rc |= s->link_id ? sqlite3_bind_int64(st, 16, sto__i64(s->link_id)) : sqlite3_bind_null(st, 16);
    /* The TURN columns do not apply to other kinds of session: NULL, not 0. */
    rc |= turn ? sto__bind_ep(st, 17, &s->relayed) : sqlite3_bind_null(st, 17);
    rc |= turn ? sto__bind_ep(st, 18, &s->mapped) : sqlite3_bind_null(st, 18);
    rc |= sto__bind_str(st, 19, transport, 8);
    if (turn) {
        rc |= sqlite3_bind_int64(st, 20, s->lifetime_s);
        rc |= sqlite3_bind_int64(st, 21, s->permissions);
        rc |= sqlite3_bind_int64(st, 22, s->channels);
        rc |= sqlite3_bind_int64(st, 23, s->peers);
        rc |= sqlite3_bind_int64(st, 24, s->errors);
        rc |= s->errors && s->last_error ? sqlite3_bind_int(st, 25, s->last_error)
                                         : sqlite3_bind_null(st, 25);
    } else {
        for (int i = 20; i <= 25; i++)
            rc |= sqlite3_bind_null(st, i);
    }
    rc |= sto__bind_str(st, 26, s->explanation, sizeof s->explanation);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

int sto_pair_add(struct sto_db *db, int64_t capture_id, const struct dis_pair_rec *p)
{
    sqlite3_stmt *st = db->st[STO__PAIR_INSERT];
    const char *what = "inserting candidate pair";
    int64_t sid = 0;
    int rc = SQLITE_OK, found;

    if (sto__write_start(db, what) < 0)
        return -1;
    found = sto__session_find(db, capture_id, p->session_id, &sid);
    if (found < 0)
        return -1;
    if (!found)
        return sto__fail(db, "%s: capture %lld has no session %llu", what, (long long)capture_id,
                         (unsigned long long)p->session_id);
    rc |= sqlite3_bind_int64(st, 1, sid);
    rc |= sto__bind_proto(st, 2, p->proto ? p->proto : DIS_IPPROTO_UDP);
    rc |= sqlite3_bind_int(st, 3, p->relayed ? 1 : 0);
    rc |= sto__bind_ep(st, 4, &p->local);
    rc |= sto__bind_ep(st, 5, &p->remote);
    rc |= sqlite3_bind_int64(st, 6, p->requests);
    rc |= sqlite3_bind_int64(st, 7, p->successes);
    rc |= sqlite3_bind_int64(st, 8, p->errors);
    rc |= sqlite3_bind_int(st, 9, p->nominated ? 1 : 0);
    rc |= sqlite3_bind_int(st, 10, p->selected ? 1 : 0);
    rc |= sqlite3_bind_double(st, 11, sto__secs(p->first_ns));
    rc |= sqlite3_bind_double(st, 12, sto__secs(p->last_ns));
    rc |= p->rtt_ns >= 0 ? sqlite3_bind_double(st, 13, (double)p->rtt_ns * 1e-6)
                         : sqlite3_bind_null(st, 13);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

int sto_verdict_add(struct sto_db *db, int64_t capture_id, const struct dis_verdict_rec *v)
{
    sqlite3_stmt *st = db->st[STO__VERDICT_INSERT];
    const char *what = "inserting verdict";
    const char *kind = sto__verdict_kind_name(v->kind), *conf = sto__confidence_name(v->confidence);
    int64_t sid = 0;
    int rc = SQLITE_OK, found = 0;

    if (sto__write_start(db, what) < 0)
        return -1;
    if (!kind || !conf || !v->code || !*v->code)
        return sto__fail(db, "%s: kind %d, confidence %d, code %s not known", what, (int)v->kind,
                         (int)v->confidence, v->code ? v->code : "(none)");
    if (v->session_id) {
        found = sto__session_find(db, capture_id, v->session_id, &sid);
        if (found < 0)
            return -1;
    }
    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= found ? sqlite3_bind_int64(st, 2, sid) : sqlite3_bind_null(st, 2);
    rc |= v->flow_id ? sqlite3_bind_int64(st, 3, sto__i64(v->flow_id)) : sqlite3_bind_null(st, 3);
    rc |= sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    rc |= sto__bind_str(st, 5, v->code, 64);
    rc |= sqlite3_bind_text(st, 6, conf, -1, SQLITE_STATIC);
    rc |= sto__bind_str(st, 7, v->rule, sizeof v->rule);
    rc |= sto__bind_proto(st, 8, v->proto);
    rc |= sto__bind_addr(st, 9, &v->src);
    rc |= sqlite3_bind_int(st, 10, v->sport);
    rc |= sto__bind_addr(st, 11, &v->dst);
    rc |= sqlite3_bind_int(st, 12, v->dport);
    rc |= sto__bind_str(st, 13, v->host, sizeof v->host);
    rc |= sqlite3_bind_double(st, 14, sto__secs(v->first_ns));
    rc |= sto__bind_str(st, 15, v->evidence, sizeof v->evidence);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

/* ---- hosts ---- */

/* Length (1-4) of the valid UTF-8 sequence at @p s (of @p n bytes); 0 when it is not valid
 * (overlong, surrogate, beyond U+10FFFF, cut short). */
static size_t sto__utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    uint32_t v, min;
    size_t len;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        v = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return len;
}

/*
 * Appends @p s (@p n bytes) as a JSON string to @p out (@p len bytes, @p *o used). Valid UTF-8
 * is kept; a byte that is not becomes the text \xNN (written "\\xNN"), as the report writes
 * such bytes; control characters are escaped. The caller sized @p out for the worst case.
 */
static void sto__json_str(char *out, size_t len, size_t *o, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    out[(*o)++] = '"';
    while (i < n && *o + 8 < len) {
        size_t k = sto__utf8_len(p + i, n - i);

        if (k == 0) {
            *o += (size_t)snprintf(out + *o, len - *o, "\\\\x%02x", p[i]);
            i++;
        } else if (p[i] == '"' || p[i] == '\\') {
            out[(*o)++] = '\\';
            out[(*o)++] = (char)p[i++];
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            *o += (size_t)snprintf(out + *o, len - *o, "\\u%04x", p[i]);
            i++;
        } else {
            memcpy(out + *o, p + i, k);
            *o += k;
            i += k;
        }
    }
    out[(*o)++] = '"';
    out[*o] = '\0';
}

/* The comma-separated @p names (at most @p max bytes) as a JSON array of strings, each without
 * the spaces around it; empty names are left out. */
static void sto__names_json(const char *names, size_t max, char *out, size_t len)
{
    size_t n = strnlen(names, max), o = 0, i = 0;
    int first = 1;

    out[o++] = '[';
    while (i < n) {
        size_t b = i, e;

        while (i < n && names[i] != ',')
            i++;
        e = i++;
        while (b < e && names[b] == ' ')
            b++;
        while (e > b && names[e - 1] == ' ')
            e--;
        if (e == b)
            continue;
        if (!first)
            out[o++] = ',';
        first = 0;
        sto__json_str(out, len - 2, &o, names + b, e - b);
    }
    out[o++] = ']';
    out[o] = '\0';
}

/* The method bits (1 << m) as a JSON array of numbers: "[2,3]". */
static void sto__methods_json(uint8_t bits, char *out, size_t len)
{
    size_t o = 0;

    out[o++] = '[';
    for (int m = 0; m < 8 && o + 4 < len; m++) {
        if (!(bits & (1u << m)))
            continue;
        if (o > 1)
            out[o++] = ',';
        out[o++] = (char)('0' + m);
    }
    out[o++] = ']';
    out[o] = '\0';
}

int sto_host_add(struct sto_db *db, int64_t capture_id, const struct dis_host_rec *h)
{
    sqlite3_stmt *st = db->st[STO__HOST_INSERT];
    const char *what = "inserting host";
    char names[STO__NAMES_JSON_LEN], methods[24];
    int rc = SQLITE_OK;

    if (sto__write_start(db, what) < 0)
        return -1;
    if (h->addr.family != 4 && h->addr.family != 6)
        return sto__fail(db, "%s: no address", what);
    sto__names_json(h->names, sizeof h->names, names, sizeof names);
    sto__methods_json(h->methods, methods, sizeof methods);
    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sto__bind_addr(st, 2, &h->addr);
    rc |= sqlite3_bind_text(st, 3, names, -1, SQLITE_TRANSIENT);
    rc |= sqlite3_bind_text(st, 4, sto__role_name(h->role), -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int(st, 5, h->local ? 1 : 0);
    rc |= sqlite3_bind_text(st, 6, methods, -1, SQLITE_TRANSIENT);
    rc |= sqlite3_bind_int64(st, 7, h->verdicts);
    rc |= sto__bind_time0(st, 8, h->first_ns);
    rc |= sto__bind_time0(st, 9, h->last_ns);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

/* ---- profile rules ---- */

int sto_rule_add(struct sto_db *db, int64_t capture_id, int position,
                 const struct dis_profile_rule *r)
{
    sqlite3_stmt *st = db->st[STO__RULE_INSERT];
    const char *what = "inserting profile rule";
    /* Patterns are names without spaces (the profile splits on them); ranges "udp/1-65535". */
    char hosts[DIS_PROFILE_MAX_HOSTS * 257], ports[DIS_PROFILE_MAX_PORTS * 20], pbuf[4];
    size_t n = 0;
    int rc = SQLITE_OK;

    if (sto__write_start(db, what) < 0)
        return -1;
    hosts[0] = ports[0] = '\0';
    for (unsigned i = 0; i < r->n_hosts && i < DIS_PROFILE_MAX_HOSTS; i++) {
        size_t k = strnlen(r->hosts[i], sizeof r->hosts[i]);

        if (k == 0)
            continue;
        if (n)
            hosts[n++] = ' ';
        memcpy(hosts + n, r->hosts[i], k);
        n += k;
        hosts[n] = '\0';
    }
    n = 0;
    for (unsigned i = 0; i < r->n_ports && i < DIS_PROFILE_MAX_PORTS; i++) {
        const struct dis_port_range *pr = &r->ports[i];
        const char *proto = sto__proto_name(pr->proto, pbuf);

        if (pr->lo == pr->hi)
            n += (size_t)snprintf(ports + n, sizeof ports - n, "%s%s/%u", n ? " " : "", proto,
                                  (unsigned)pr->lo);
        else
            n += (size_t)snprintf(ports + n, sizeof ports - n, "%s%s/%u-%u", n ? " " : "", proto,
                                  (unsigned)pr->lo, (unsigned)pr->hi);
    }
    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sqlite3_bind_int(st, 2, position);
    rc |= sqlite3_bind_text(st, 3, r->id, (int)strnlen(r->id, sizeof r->id), SQLITE_TRANSIENT);
    rc |= sto__bind_str(st, 4, hosts, sizeof hosts);
    rc |= sto__bind_str(st, 5, ports, sizeof ports);
    rc |=
        sqlite3_bind_text(st, 6, r->scope == DIS_SCOPE_LAN ? "lan" : "internet", -1, SQLITE_STATIC);
    rc |=
        sqlite3_bind_text(st, 7, r->traffic == DIS_TRAFFIC_ICE ? "ice" : "any", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int(st, 8, r->product ? 1 : 0);
    rc |= sto__bind_str(st, 9, r->used_for, sizeof r->used_for);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

int sto__exec_capture(struct sto_db *db, enum sto__st which, int64_t capture_id, const char *text,
                      const char *what)
{
    sqlite3_stmt *st = db->st[which];
    int rc = sqlite3_bind_int64(st, 1, capture_id);

    if (text && rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    if (sto__step_part(db, st, what) < 0)
        return -1;
    return sqlite3_changes(db->h);
}

int sto_analysis_clear(struct sto_db *db, int64_t capture_id)
{
    /* Verdicts before sessions, so deleting the sessions has no verdict to set to NULL. */
    static const enum sto__st order[] = {STO__CLEAR_VERDICTS, STO__CLEAR_SESSIONS, STO__CLEAR_HOSTS,
                                         STO__RULES_CLEAR};
    char what[64];

    snprintf(what, sizeof what, "clearing the analysis of capture %lld", (long long)capture_id);
    if (sto__write_start(db, what) < 0)
        return -1;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (sto__exec_capture(db, order[i], capture_id, NULL, what) < 0)
            return -1;
    if (++db->pending >= db->batch)
        return sto_commit(db);
    return 0;
}
