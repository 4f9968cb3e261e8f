/* SPDX-License-Identifier: MIT */
/* sto_events.c - SQLite storage: sto_event_add and the STUN, DNS, TLS/certificate, CONNECT writers.
 */
#define _POSIX_C_SOURCE 200809L

#include "store/sto.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "sto_int.h"

/* Room for every address of one kind: 2 * DIS_STUN_MAX_ADDRS of "[v6 with v4 tail]:65535 ". */
#define STO__ALIST_LEN (2 * DIS_STUN_MAX_ADDRS * 56)

/* Appends the endpoint of @p a to the space-separated list @p list (of @p len bytes, @p *n used)
 * unless it is there already (a response often carries MAPPED and XOR-MAPPED alike). */
static void sto__alist_add(char *list, size_t len, size_t *n, const struct dis_stun_addr *a)
{
    char ep[STO__EP_LEN];
    size_t elen;
    const char *p = list, *end = list + *n;

    if (!sto__endpoint(&a->addr, a->port, ep, sizeof ep))
        return;
    elen = strlen(ep);
    while (p < end) {
        const char *q = memchr(p, ' ', (size_t)(end - p));
        size_t tlen = q ? (size_t)(q - p) : (size_t)(end - p);

        if (tlen == elen && memcmp(p, ep, elen) == 0)
            return;
        p += tlen + 1;
    }
    if (*n + (*n ? 1 : 0) + elen + 1 > len)
        return; /* cannot happen with STO__ALIST_LEN; never cut an address */
    if (*n)
        list[(*n)++] = ' ';
    memcpy(list + *n, ep, elen + 1);
    *n += elen;
}

/* Builds the list of @p count addresses of @p a (then @p count2 of @p a2) into @p list. */
static void sto__alist(char *list, size_t len, const struct dis_stun_addr *a, uint8_t count,
                       const struct dis_stun_addr *a2, uint8_t count2)
{
    size_t n = 0;

    list[0] = '\0';
    for (uint8_t i = 0; i < count && i < DIS_STUN_MAX_ADDRS; i++)
        sto__alist_add(list, len, &n, &a[i]);
    for (uint8_t i = 0; i < count2 && i < DIS_STUN_MAX_ADDRS; i++)
        sto__alist_add(list, len, &n, &a2[i]);
}

/* Binds the first address of the list @p list at @p i_first and the list at @p i_all; NULL
 * for both when it is empty. */
static int sto__bind_alist(sqlite3_stmt *st, int i_first, int i_all, const char *list)
{
    const char *sp = strchr(list, ' ');
    int rc = SQLITE_OK;

    if (!*list)
        return sqlite3_bind_null(st, i_first) | sqlite3_bind_null(st, i_all);
    rc |= sqlite3_bind_text(st, i_first, list, sp ? (int)(sp - list) : -1, SQLITE_TRANSIENT);
    rc |= sqlite3_bind_text(st, i_all, list, -1, SQLITE_TRANSIENT);
    return rc;
}

/* Binds a text attribute: NULL when absent, else its bytes up to the first NUL. */
static int sto__bind_attr(sqlite3_stmt *st, int i, bool present, const char *s, size_t len)
{
    if (!present)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, (int)strnlen(s, len), SQLITE_TRANSIENT);
}

/* Binds @p v at @p i when @p present, else NULL. */
static int sto__bind_opt_int(sqlite3_stmt *st, int i, bool present, int64_t v)
{
    return present ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

/* Binds the columns that every event row starts with: ?1 capture, ?2 flow_seq, ?3 ts,
 * ?4 transport. */
static int sto__bind_event_head(sqlite3_stmt *st, int64_t capture_id, const struct dis_event *ev)
{
    char pbuf[4];
    int rc = SQLITE_OK;

    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sqlite3_bind_int64(st, 2, sto__i64(ev->flow_id));
    rc |= sqlite3_bind_double(st, 3, sto__secs(ev->ts_ns));
    rc |= sqlite3_bind_text(st, 4, sto__proto_name(ev->transport, pbuf), -1, SQLITE_TRANSIENT);
    return rc;
}

/* Counts one event against the batch; commits when the batch is full. */
static int sto__event_done(struct sto_db *db)
{
    if (++db->pending >= db->batch)
        return sto_commit(db);
    return 0;
}

static int sto__stun_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    sqlite3_stmt *st = db->st[STO__STUN_INSERT];
    const struct dis_stun_msg *m = ev->u.stun;
    const char *what = "inserting STUN message";
    const char *cls = dis_stun_class_name(m->cls), *role = NULL, *fp = NULL;
    char list[STO__ALIST_LEN], txid[2 * sizeof m->txid + 1];
    unsigned tlen = m->txid_len <= sizeof m->txid ? m->txid_len : (unsigned)sizeof m->txid;
    int rc = SQLITE_OK;

    for (unsigned i = 0; i < tlen; i++)
        snprintf(txid + 2 * i, 3, "%02x", m->txid[i]);
    txid[2 * tlen] = '\0';
    if (m->ice_controlling)
        role = "controlling";
    else if (m->ice_controlled)
        role = "controlled";
    if (m->has_fingerprint)
        fp = m->fingerprint_ok ? "ok" : "bad";

    rc |= sto__bind_event_head(st, capture_id, ev);
    rc |= sto__bind_addr(st, 5, &ev->src);
    rc |= sqlite3_bind_int(st, 6, ev->sport);
    rc |= sto__bind_addr(st, 7, &ev->dst);
    rc |= sqlite3_bind_int(st, 8, ev->dport);
    rc |= sqlite3_bind_int(st, 9, m->method);
    rc |= sto__bind_str(st, 10, dis_stun_method_name(m->method), 32);
    rc |= sqlite3_bind_text(st, 11, cls ? cls : "?", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 12, txid, -1, SQLITE_TRANSIENT);
    rc |= sto__bind_attr(st, 13, m->has_username, m->username, sizeof m->username);
    rc |= sto__bind_attr(st, 14, m->has_realm, m->realm, sizeof m->realm);
    rc |= sto__bind_attr(st, 15, m->has_software, m->software, sizeof m->software);
    rc |= sto__bind_opt_int(st, 16, m->has_error, m->error_code);
    rc |= sto__bind_attr(st, 17, m->has_error, m->error_reason, sizeof m->error_reason);
    /* XOR-MAPPED first: it is what RFC 5389 clients use; MAPPED is the RFC 3489 fallback. */
    sto__alist(list, sizeof list, m->xor_mapped, m->n_xor_mapped, m->mapped, m->n_mapped);
    rc |= sto__bind_alist(st, 18, 21, list);
    sto__alist(list, sizeof list, m->relayed, m->n_relayed, NULL, 0);
    rc |= sto__bind_alist(st, 19, 22, list);
    sto__alist(list, sizeof list, m->peer, m->n_peer, NULL, 0);
    rc |= sto__bind_alist(st, 20, 23, list);
    rc |= sto__bind_opt_int(st, 24, m->has_priority, m->priority);
    rc |= sqlite3_bind_int(st, 25, m->use_candidate ? 1 : 0);
    rc |= sto__bind_str(st, 26, role, 16);
    rc |= sto__bind_opt_int(st, 27, m->has_lifetime, m->lifetime);
    rc |= sto__bind_opt_int(st, 28, m->has_channel_number, m->channel_number);
    rc |= sto__bind_opt_int(st, 29, m->has_requested_transport, m->requested_transport);
    rc |= sto__bind_str(st, 30, fp, 8);
    rc |= sqlite3_bind_int(st, 31, m->has_mi || m->has_mi_sha256 ? 1 : 0);
    rc |= sqlite3_bind_int(st, 32, m->classic ? 1 : 0);
    rc |= sqlite3_bind_int(st, 33, ev->inner ? 1 : 0);
    rc |= sto__bind_opt_int(st, 34, ev->inner && ev->channel, ev->channel);
    rc |= sqlite3_bind_int64(st, 35, m->anomalies);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

/* A record type or RCODE as its mnemonic, else its number. */
static const char *sto__mnemonic(const char *name, unsigned v, char *buf, size_t len)
{
    if (name)
        return name;
    snprintf(buf, len, "%u", v);
    return buf;
}

/* Appends formatted text to @p buf (size @p len, @p *n used); cuts at the end of the buffer. */
__attribute__((format(printf, 4, 5))) static void sto__cat(char *buf, size_t len, size_t *n,
                                                           const char *fmt, ...)
{
    va_list ap;
    int k;

    if (*n + 1 >= len)
        return;
    va_start(ap, fmt);
    k = vsnprintf(buf + *n, len - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n = (size_t)k < len - *n ? *n + (size_t)k : len - 1;
}

/* The SVCB/HTTPS RDATA summary of RFC 9460 presentation form: "priority target", then the
 * parameters in key order (alpn, no-default-alpn, port, ipv4hint, ech, ipv6hint); ech has no
 * value here, since only its presence is kept. */
static void sto__svcb_str(const struct dis_dns_rr *rr, char *buf, size_t len)
{
    const struct dis_dns_svcb *s = &rr->svcb;
    char name[DIS_DNS_NAME_STRLEN], ip[STO__ADDR_LEN];
    size_t n = 0;
    int fam;

    sto__cat(buf, len, &n, "%u %s", (unsigned)s->priority,
             dis_dns_name_str(&rr->target, name, sizeof name));
    for (uint8_t i = 0; i < s->n_alpn && i < DIS_DNS_MAX_ALPN; i++)
        sto__cat(buf, len, &n, "%s%.*s", i ? "," : " alpn=", DIS_DNS_ALPN_STRLEN, s->alpn[i]);
    if (s->no_default_alpn)
        sto__cat(buf, len, &n, " no-default-alpn");
    if (s->port)
        sto__cat(buf, len, &n, " port=%u", (unsigned)s->port);
    for (fam = 4; fam <= 6; fam += 2) {
        int k = 0;

        if (fam == 6 && s->ech)
            sto__cat(buf, len, &n, " ech");
        for (uint8_t i = 0; i < s->n_hints && i < DIS_DNS_MAX_HINTS; i++) {
            if (s->hint[i].family != fam)
                continue;
            dis_addr_str(&s->hint[i], ip, sizeof ip);
            sto__cat(buf, len, &n, "%s%s", k++ ? "," : fam == 4 ? " ipv4hint=" : " ipv6hint=", ip);
        }
    }
}

/* The data column of an answer: NULL for types whose RDATA is not decoded. */
static const char *sto__rr_data(const struct dis_dns_rr *rr, char *buf, size_t len)
{
    switch (rr->type) {
    case DIS_DNS_T_A:
    case DIS_DNS_T_AAAA:
        return rr->addr.family ? dis_addr_str(&rr->addr, buf, len) : NULL;
    case DIS_DNS_T_CNAME:
    case DIS_DNS_T_DNAME:
    case DIS_DNS_T_NS:
    case DIS_DNS_T_PTR:
        return rr->target.len ? dis_dns_name_str(&rr->target, buf, len) : NULL;
    case DIS_DNS_T_SVCB:
    case DIS_DNS_T_HTTPS:
        if (!rr->target.len)
            return NULL;
        sto__svcb_str(rr, buf, len);
        return buf;
    default:
        return NULL;
    }
}

static int sto__dns_answers(struct sto_db *db, int64_t dns_id, const struct dis_dns_msg *m)
{
    sqlite3_stmt *st = db->st[STO__DNS_ANSWER_INSERT];
    const char *what = "inserting DNS answer";
    char name[DIS_DNS_NAME_STRLEN], data[2048], tbuf[8];

    for (unsigned i = 0; i < m->n_answers && i < DIS_DNS_MAX_ANSWERS; i++) {
        const struct dis_dns_rr *rr = &m->answers[i];
        int rc = SQLITE_OK;

        rc |= sqlite3_bind_int64(st, 1, dns_id);
        rc |= sqlite3_bind_int(st, 2, (int)i);
        rc |= sqlite3_bind_text(st, 3, dis_dns_name_str(&rr->owner, name, sizeof name), -1,
                                SQLITE_TRANSIENT);
        rc |= sqlite3_bind_text(
            st, 4, sto__mnemonic(dis_dns_type_name(rr->type), rr->type, tbuf, sizeof tbuf), -1,
            SQLITE_TRANSIENT);
        rc |= sqlite3_bind_int64(st, 5, rr->ttl);
        rc |= sto__bind_str(st, 6, sto__rr_data(rr, data, sizeof data), sizeof data);
        if (rc != SQLITE_OK)
            return sto__step_fail(db, st, what, SQLITE_NOMEM);
        if (sto__step_part(db, st, what) < 0)
            return -1;
    }
    return 0;
}

/* Finds the unanswered query that the response @p ev answers. Returns 1 with @p id set, 0 when
 * there is none, -1 on error. */
static int sto__dns_find(struct sto_db *db, int64_t capture_id, const struct dis_event *ev,
                         const char *qname, int64_t *id)
{
    sqlite3_stmt *st = db->st[STO__DNS_FIND];
    const char *what = "matching DNS response";
    int rc = SQLITE_OK;

    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sqlite3_bind_int64(st, 2, sto__i64(ev->flow_id));
    rc |= sqlite3_bind_int(st, 3, ev->u.dns->id);
    rc |= qname ? sqlite3_bind_text(st, 4, qname, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, 4);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__find_id(db, st, what, id);
}

static int sto__dns_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    const struct dis_dns_msg *m = ev->u.dns;
    sqlite3_stmt *st;
    const char *what = m->qr ? "inserting DNS response" : "inserting DNS query";
    const char *qname = m->has_question ? m->qname : NULL, *qtype = NULL, *rcode = NULL;
    char tbuf[8], rbuf[8];
    int64_t id = 0;
    int rc = SQLITE_OK, found = 0;

    if (m->has_question)
        qtype = sto__mnemonic(dis_dns_type_name(m->qtype), m->qtype, tbuf, sizeof tbuf);
    if (m->qr) {
        rcode = sto__mnemonic(dis_dns_rcode_name(m->rcode), m->rcode, rbuf, sizeof rbuf);
        found = sto__dns_find(db, capture_id, ev, qname, &id);
        if (found < 0)
            return -1;
    }
    if (found) {
        st = db->st[STO__DNS_UPDATE];
        rc |= sqlite3_bind_int64(st, 1, id);
        rc |= sqlite3_bind_text(st, 2, rcode, -1, SQLITE_TRANSIENT);
        rc |= sqlite3_bind_double(st, 3, sto__secs(ev->ts_ns));
        rc |= sqlite3_bind_int64(st, 4, (int64_t)m->n_answers + m->answers_dropped);
    } else {
        /* The client is the query's sender, the response's receiver. */
        const struct dis_addr *cli = m->qr ? &ev->dst : &ev->src;
        const struct dis_addr *srv = m->qr ? &ev->src : &ev->dst;

        st = db->st[STO__DNS_INSERT];
        rc |= sto__bind_event_head(st, capture_id, ev);
        rc |= sto__bind_addr(st, 5, cli);
        rc |= sqlite3_bind_int(st, 6, m->qr ? ev->dport : ev->sport);
        rc |= sto__bind_addr(st, 7, srv);
        rc |= sqlite3_bind_int(st, 8, m->qr ? ev->sport : ev->dport);
        rc |= sqlite3_bind_int(st, 9, m->id);
        rc |= sto__bind_str(st, 10, qname, DIS_DNS_NAME_STRLEN);
        rc |= sto__bind_str(st, 11, qtype, 32); /* a mnemonic ("NSEC3PARAM") or tbuf */
        rc |= sto__bind_str(st, 12, rcode, 32);
        if (m->qr) {
            rc |= sqlite3_bind_null(st, 13);
            rc |= sqlite3_bind_double(st, 14, sto__secs(ev->ts_ns));
        } else {
            rc |= sqlite3_bind_double(st, 13, sto__secs(ev->ts_ns));
            rc |= sqlite3_bind_null(st, 14);
        }
        rc |= sqlite3_bind_int64(st, 15, m->qr ? (int64_t)m->n_answers + m->answers_dropped : 0);
    }
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    if (sto__step_part(db, st, what) < 0)
        return -1;
    if (!found)
        id = sqlite3_last_insert_rowid(db->h);
    if (m->qr && sto__dns_answers(db, id, m) < 0)
        return -1;
    return sto__event_done(db);
}

/* ---- TLS and HTTP CONNECT ---- */

/* A protocol version as text (docs/schema.md): "1.0".."1.3", "ssl3", "1.3-draftNN" for the
 * drafts' 0x7fNN, else "0x%04x"; NULL for 0 (not seen). */
static const char *sto__tls_version(uint16_t v, char *buf, size_t len)
{
    const char *name = dis_tls_version_name(v);

    if (v == 0)
        return NULL;
    if (name)
        return name;
    if ((v >> 8) == 0x7f)
        snprintf(buf, len, "1.3-draft%u", (unsigned)(v & 0xff));
    else
        snprintf(buf, len, "0x%04x", (unsigned)v);
    return buf;
}

/* Binds a capture time in ns as epoch seconds, NULL for 0 (not seen). */
static int sto__bind_opt_time(sqlite3_stmt *st, int i, uint64_t ns)
{
    return ns ? sqlite3_bind_double(st, i, sto__secs(ns)) : sqlite3_bind_null(st, i);
}

/* Appends @p s to the space-separated list @p list (@p len bytes, @p *n used); empty names and
 * names that do not fit whole are left out. */
static void sto__word_add(char *list, size_t len, size_t *n, const char *s, size_t max)
{
    size_t k = s ? strnlen(s, max) : 0;

    if (k == 0 || *n + (*n ? 1 : 0) + k + 1 > len)
        return;
    if (*n)
        list[(*n)++] = ' ';
    memcpy(list + *n, s, k);
    *n += k;
    list[*n] = '\0';
}

/*
 * Whether a certificate of the summary was decoded. The summary counts the ones that were not
 * (certs_bad) without saying which: such an entry holds only its sha256, while a decoded
 * certificate always has names or a validity period.
 */
static int sto__cert_readable(const struct dis_tls_summary *m, const struct dis_tls_cert_info *c)
{
    if (m->certs_bad == 0)
        return 1;
    return c->subject[0] || c->issuer[0] || c->not_before || c->not_after || c->n_san;
}

static int sto__certs_add(struct sto_db *db, int64_t tls_id, const struct dis_tls_summary *m)
{
    sqlite3_stmt *st = db->st[STO__CERT_INSERT];
    const char *what = "inserting TLS certificate";
    char sans[DIS_TLS_MAX_SANS * DIS_TLS_SAN_SIZE];

    for (unsigned i = 0; i < m->n_certs && i < DIS_TLS_MAX_CERTS; i++) {
        const struct dis_tls_cert_info *c = m->certs[i];
        int rc = SQLITE_OK, ok;
        size_t n = 0;

        if (!c)
            continue;
        ok = sto__cert_readable(m, c);
        sans[0] = '\0';
        for (size_t k = 0; k < c->n_san && k < DIS_TLS_MAX_SANS; k++)
            sto__word_add(sans, sizeof sans, &n, c->san[k].name, sizeof c->san[k].name);
        rc |= sqlite3_bind_int64(st, 1, tls_id);
        rc |= sqlite3_bind_int(st, 2, (int)i);
        rc |= sto__bind_str(st, 3, c->subject, sizeof c->subject);
        rc |= sto__bind_str(st, 4, c->issuer, sizeof c->issuer);
        rc |= sqlite3_bind_text(st, 5, c->sha256, (int)strnlen(c->sha256, sizeof c->sha256),
                                SQLITE_TRANSIENT);
        if (ok) {
            rc |= sqlite3_bind_double(st, 6, (double)c->not_before);
            rc |= sqlite3_bind_double(st, 7, (double)c->not_after);
        } else {
            rc |= sqlite3_bind_null(st, 6);
            rc |= sqlite3_bind_null(st, 7);
        }
        rc |= sto__bind_str(st, 8, sans, sizeof sans);
        rc |= sqlite3_bind_int64(st, 9, sto__i64(c->total_san));
        rc |= sqlite3_bind_int(st, 10, ok && c->self_issued ? 1 : 0);
        rc |= sqlite3_bind_int(st, 11, ok);
        if (rc != SQLITE_OK)
            return sto__step_fail(db, st, what, SQLITE_NOMEM);
        if (sto__step_part(db, st, what) < 0)
            return -1;
    }
    return 0;
}

/* Binds the alert columns ?30..?35: the first fatal alert, all NULL when there was none. */
/* The name stored for the proxy protocol of a tunnel ("http", "socks5", "socks4"). */
static const char *sto__proxy_kind_name(enum dis_tls_proxy k)
{
    switch (k) {
    case DIS_TLS_PROXY_HTTP:
        return "http";
    case DIS_TLS_PROXY_SOCKS5:
        return "socks5";
    case DIS_TLS_PROXY_SOCKS4:
        return "socks4";
    default:
        return NULL;
    }
}

static int sto__bind_tls_alert(sqlite3_stmt *st, const struct dis_tls_alert_info *a)
{
    int rc = SQLITE_OK;

    if (!a->seen) {
        for (int i = 30; i <= 35; i++)
            rc |= sqlite3_bind_null(st, i);
        return rc;
    }
    rc |= sto__bind_opt_time(st, 30, a->ts_ns);
    rc |= sto__bind_opt_int(st, 31, !a->encrypted, a->level);
    rc |= sto__bind_opt_int(st, 32, !a->encrypted, a->desc);
    rc |= sqlite3_bind_text(st, 33, a->from_client ? "client" : "server", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int(st, 34, a->before_established ? 1 : 0);
    rc |= sqlite3_bind_int(st, 35, a->encrypted ? 1 : 0);
    return rc;
}

/* Binds the verdict columns ?38..?41: verify details for a verdict, the reason alone when
 * verification could not run, NULL when it did not. */
static int sto__bind_tls_chain(sqlite3_stmt *st, const struct dis_tls_summary *m)
{
    const struct dis_tls_verify_result *v = &m->verify;
    const char *chain = NULL;
    int rc = SQLITE_OK, verdict = 0;

    switch (m->chain) {
    case DIS_TLS_CHAIN_VALID:
        chain = "valid";
        verdict = 1;
        break;
    case DIS_TLS_CHAIN_INVALID:
        chain = "invalid";
        verdict = 1;
        break;
    case DIS_TLS_CHAIN_ERROR:
        chain = "error";
        break;
    default:
        break;
    }
    rc |= sto__bind_str(st, 38, chain, 16);
    rc |= sto__bind_opt_int(st, 39, verdict, v->error);
    rc |= sto__bind_opt_int(st, 40, verdict, v->depth);
    rc |= sto__bind_str(st, 41, chain ? v->errstr : NULL, sizeof v->errstr);
    return rc;
}

static int sto__tls_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    sqlite3_stmt *st = db->st[STO__TLS_INSERT];
    const struct dis_tls_summary *m = ev->u.tls;
    const char *what = "inserting TLS connection";
    char alpn[DIS_TLS_MAX_ALPN * DIS_TLS_ALPN_SIZE], cipher[8], v1[16], v2[16], v3[16];
    size_t n = 0;
    int rc = SQLITE_OK;

    alpn[0] = '\0';
    for (unsigned i = 0; i < m->n_alpn && i < DIS_TLS_MAX_ALPN; i++)
        sto__word_add(alpn, sizeof alpn, &n, m->alpn[i], DIS_TLS_ALPN_SIZE);
    snprintf(cipher, sizeof cipher, "0x%04x", (unsigned)m->cipher);

    rc |= sto__bind_event_head(st, capture_id, ev);
    rc |= sto__bind_addr(st, 5, &ev->src);
    rc |= sqlite3_bind_int(st, 6, ev->sport);
    rc |= sto__bind_addr(st, 7, &ev->dst);
    rc |= sqlite3_bind_int(st, 8, ev->dport);
    rc |= sto__bind_str(st, 9, m->sni, DIS_TLS_SNI_SIZE);
    rc |= sqlite3_bind_int64(st, 10, m->client_hellos);
    rc |= sto__bind_str(
        st, 11, m->has_client_hello ? sto__tls_version(m->client_version, v1, sizeof v1) : NULL,
        sizeof v1);
    rc |= sto__bind_str(
        st, 12, m->has_client_hello ? sto__tls_version(m->client_max_version, v2, sizeof v2) : NULL,
        sizeof v2);
    rc |= sto__bind_str(st, 13, alpn, sizeof alpn);
    rc |= sto__bind_str(st, 14, m->ja3, DIS_TLS_JA3_SIZE);
    rc |= sto__bind_str(st, 15, m->ja3_md5, sizeof m->ja3_md5);
    rc |= sto__bind_str(st, 16, m->ja4, sizeof m->ja4);
    rc |= sqlite3_bind_int64(st, 17, m->client_hello_flags);
    rc |= sto__bind_opt_time(st, 18, m->has_server_hello ? m->server_hello_ns : 0);
    rc |= sto__bind_str(
        st, 19, m->has_server_hello ? sto__tls_version(m->selected_version, v3, sizeof v3) : NULL,
        sizeof v3);
    rc |= sto__bind_str(st, 20, m->has_server_hello ? cipher : NULL, sizeof cipher);
    rc |= sto__bind_str(st, 21, m->server_alpn, DIS_TLS_ALPN_SIZE);
    rc |= sto__bind_str(st, 22, m->ja3s, DIS_TLS_JA3_SIZE);
    rc |= sto__bind_str(st, 23, m->ja3s_md5, sizeof m->ja3s_md5);
    rc |= sqlite3_bind_int(st, 24, m->hrr ? 1 : 0);
    rc |= sqlite3_bind_int(st, 25, m->established ? 1 : 0);
    rc |= sto__bind_opt_time(st, 26, m->established ? m->established_ns : 0);
    rc |= sto__bind_opt_time(st, 27, m->client_appdata_ns);
    rc |= sto__bind_opt_time(st, 28, m->server_appdata_ns);
    rc |= sqlite3_bind_int64(st, 29, m->alerts);
    rc |= sto__bind_tls_alert(st, &m->alert);
    rc |= sqlite3_bind_int(st, 36, m->certs_total);
    rc |= sqlite3_bind_int(st, 37, m->client_cert ? 1 : 0);
    rc |= sto__bind_tls_chain(st, m);
    rc |= sqlite3_bind_int(st, 42, m->in_tunnel ? 1 : 0);
    if (m->in_tunnel) {
        rc |= sto__bind_str(st, 43, m->proxy_target, DIS_HTTP_HOST_LEN);
        rc |= sqlite3_bind_int(st, 44, m->proxy_port);
        /* in a tunnel the status is always meaningful: SOCKS5 success is 0 */
        rc |= sqlite3_bind_int(st, 45, m->proxy_status);
        rc |= sqlite3_bind_int(st, 46, m->proxy_first_status);
        rc |= sqlite3_bind_text(st, 49, sto__proxy_kind_name(m->proxy_kind), -1, SQLITE_STATIC);
    } else {
        for (int i = 43; i <= 46; i++)
            rc |= sqlite3_bind_null(st, i);
        rc |= sqlite3_bind_null(st, 49);
    }
    rc |= sqlite3_bind_int64(st, 47, m->conn_flags);
    rc |= sqlite3_bind_int(st, 48, m->midstream ? 1 : 0);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    if (sto__step_part(db, st, what) < 0)
        return -1;
    if (sto__certs_add(db, sqlite3_last_insert_rowid(db->h), m) < 0)
        return -1;
    return sto__event_done(db);
}

static int sto__http_connect_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    sqlite3_stmt *st = db->st[STO__HTTP_INSERT];
    const struct dis_http_connect_req *q = ev->u.connect->req;
    const struct dis_http_connect_resp *r = ev->u.connect->resp;
    const char *what = "inserting HTTP CONNECT exchange";
    int rc = SQLITE_OK;

    rc |= sto__bind_event_head(st, capture_id, ev);
    rc |= sto__bind_addr(st, 5, &ev->src);
    rc |= sqlite3_bind_int(st, 6, ev->sport);
    rc |= sto__bind_addr(st, 7, &ev->dst);
    rc |= sqlite3_bind_int(st, 8, ev->dport);
    rc |=
        sqlite3_bind_text(st, 9, q->host, (int)strnlen(q->host, sizeof q->host), SQLITE_TRANSIENT);
    rc |= sqlite3_bind_int(st, 10, q->port);
    rc |= sto__bind_opt_int(st, 11, r != NULL, r ? r->status : 0);
    rc |= sto__bind_str(st, 12, r ? r->reason : NULL, DIS_HTTP_REASON_LEN);
    /* '' when the challenge had no readable scheme: present, but nameless */
    rc |= r ? sto__bind_attr(st, 13, r->proxy_authenticate, r->auth_scheme, sizeof r->auth_scheme)
            : sqlite3_bind_null(st, 13);
    rc |= sqlite3_bind_int(st, 14, q->proxy_auth ? 1 : 0);
    rc |= sto__bind_attr(st, 15, q->proxy_auth, q->auth_scheme, sizeof q->auth_scheme);
    rc |= sto__bind_str(st, 16, q->user_agent, sizeof q->user_agent);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

int sto_event_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    const char *what = "adding event";

    if (sto__writable(db, what) < 0)
        return -1;
    switch (ev->kind) {
    case DIS_EV_STUN:
        if (!ev->u.stun)
            return sto__fail(db, "%s: STUN event without a message", what);
        if (sto__begin(db, what) < 0)
            return -1;
        return sto__stun_add(db, capture_id, ev);
    case DIS_EV_DNS:
        if (!ev->u.dns)
            return sto__fail(db, "%s: DNS event without a message", what);
        if (sto__begin(db, what) < 0)
            return -1;
        return sto__dns_add(db, capture_id, ev);
    case DIS_EV_TLS:
        if (!ev->u.tls)
            return sto__fail(db, "%s: TLS event without a summary", what);
        if (sto__begin(db, what) < 0)
            return -1;
        return sto__tls_add(db, capture_id, ev);
    case DIS_EV_HTTP_CONNECT:
        if (!ev->u.connect || !ev->u.connect->req)
            return sto__fail(db, "%s: HTTP CONNECT event without a request", what);
        if (sto__begin(db, what) < 0)
            return -1;
        return sto__http_connect_add(db, capture_id, ev);
    default:
        return sto__fail(db, "%s: unknown event kind %d", what, (int)ev->kind);
    }
}
