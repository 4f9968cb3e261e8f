/* SPDX-License-Identifier: MIT */
/*
 * test_app_tcp.c - the TCP application layer through dis_engine, from handcrafted raw-IP
 * packets: a TLS ClientHello split over segments delivered out of order and retransmitted (one
 * summary at flush, SNI, JA3/JA4, host name), a TLS 1.2 handshake with an OpenSSL-made chain
 * (certificate info, verification against an X509_STORE, buffers freed once established, the
 * certificate's name as a last resort for the host), STUN/TURN over TCP (several messages per
 * segment, padded ChannelData with relayed STUN), DNS over TCP (events and attribution of a
 * later flow), HTTP CONNECT (tunnelled TLS; a 407 challenge, then a retry; a 407 alone), SOCKS5
 * (no auth to a domain; RFC 1929 auth to IPv6 byte by byte; a refusal) and SOCKS4a tunnels,
 * STARTTLS (SMTP, XMPP; a POP3 and an SMTP stream without it, freed), and a stream that is none
 * of these (SSH), whose buffers are freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dissect/engine.h"

#define SEC 1000000000ULL
#define T0 (1750000000ULL * SEC) /* 2025-06-15, inside the test certificates' validity */
#define MAX_RECS 16
#define MAX_EVS 32

/* ---- collecting records and events ---- */

struct ev_copy {
    enum dis_event_kind kind;
    uint64_t flow_id, ts;
    uint8_t transport;
    char src[48], dst[48];
    uint16_t sport, dport;
    bool inner;
    uint16_t channel;
    uint16_t stun_method;
    uint8_t stun_cls;
    char qname[DIS_DNS_NAME_STRLEN];
    bool qr;
    uint16_t status;
    char connect_host[256];
    uint16_t connect_port;
    struct dis_tls_summary tls; /* its pointers are cleared: they die with the callback */
    char sni[DIS_TLS_SNI_SIZE], ja3[DIS_TLS_JA3_SIZE], alpn[2][DIS_TLS_ALPN_SIZE];
    char server_alpn[DIS_TLS_ALPN_SIZE], proxy_target[256];
    char cert0_subject[DIS_TLS_NAME_SIZE];
    char cert0_san0[DIS_TLS_SAN_SIZE];
};

struct sink {
    int n, nev;
    struct dis_flow_rec recs[MAX_RECS];
    struct ev_copy ev[MAX_EVS];
};

static int on_flow(void *user, const struct dis_flow_rec *r)
{
    struct sink *s = user;
    if (s->n < MAX_RECS)
        s->recs[s->n] = *r;
    s->n++;
    return 0;
}

static int on_event(void *user, const struct dis_event *ev)
{
    struct sink *s = user;
    if (s->nev >= MAX_EVS) {
        s->nev++;
        return 0;
    }
    struct ev_copy *c = &s->ev[s->nev++];
    memset(c, 0, sizeof *c);
    c->kind = ev->kind;
    c->flow_id = ev->flow_id;
    c->ts = ev->ts_ns;
    c->transport = ev->transport;
    dis_addr_str(&ev->src, c->src, sizeof c->src);
    dis_addr_str(&ev->dst, c->dst, sizeof c->dst);
    c->sport = ev->sport;
    c->dport = ev->dport;
    c->inner = ev->inner;
    c->channel = ev->channel;
    switch (ev->kind) {
    case DIS_EV_STUN:
        c->stun_method = ev->u.stun->method;
        c->stun_cls = ev->u.stun->cls;
        break;
    case DIS_EV_DNS:
        snprintf(c->qname, sizeof c->qname, "%s", ev->u.dns->qname);
        c->qr = ev->u.dns->qr;
        break;
    case DIS_EV_HTTP_CONNECT:
        c->status = ev->u.connect->resp->status;
        snprintf(c->connect_host, sizeof c->connect_host, "%s", ev->u.connect->req->host);
        c->connect_port = ev->u.connect->req->port;
        break;
    case DIS_EV_TLS: {
        const struct dis_tls_summary *t = ev->u.tls;
        c->tls = *t;
        snprintf(c->sni, sizeof c->sni, "%s", t->sni);
        snprintf(c->ja3, sizeof c->ja3, "%s", t->ja3);
        for (int i = 0; i < 2 && i < t->n_alpn; i++)
            snprintf(c->alpn[i], sizeof c->alpn[i], "%s", t->alpn[i]);
        snprintf(c->server_alpn, sizeof c->server_alpn, "%s", t->server_alpn);
        snprintf(c->proxy_target, sizeof c->proxy_target, "%s", t->proxy_target);
        if (t->n_certs > 0) {
            assert_non_null(t->certs[0]);
            snprintf(c->cert0_subject, sizeof c->cert0_subject, "%s", t->certs[0]->subject);
            snprintf(c->cert0_san0, sizeof c->cert0_san0, "%s", t->certs[0]->san[0].name);
        }
        c->tls.sni = c->tls.ja3 = c->tls.ja3s = c->tls.server_alpn = c->tls.proxy_target = NULL;
        memset(c->tls.alpn, 0, sizeof c->tls.alpn);
        memset(c->tls.certs, 0, sizeof c->tls.certs);
        break;
    }
    default:
        break;
    }
    return 0;
}

static struct dis_engine *engine_kinds(struct sink **out, void *x509_store, uint32_t kinds)
{
    struct dis_engine_opts o;
    dis_engine_defaults(&o);
    o.use_ndpi = 0;
    o.x509_store = x509_store;
    o.event_kinds = kinds;
    char err[SS_ERRBUF_SIZE];
    struct sink *s = calloc(1, sizeof *s);
    assert_non_null(s);
    struct dis_engine *e = dis_engine_new(&o, on_flow, s, err);
    assert_non_null(e);
    dis_engine_set_event_cb(e, on_event, s);
    *out = s;
    return e;
}

static struct dis_engine *engine(struct sink **out, void *x509_store)
{
    return engine_kinds(out, x509_store, DIS_EV_KINDS_ALL);
}

static int count_kind(const struct sink *s, enum dis_event_kind k)
{
    int n = 0;
    for (int i = 0; i < s->nev && i < MAX_EVS; i++)
        n += s->ev[i].kind == k;
    return n;
}

static const struct ev_copy *find_kind(const struct sink *s, enum dis_event_kind k, int nth)
{
    for (int i = 0; i < s->nev && i < MAX_EVS; i++)
        if (s->ev[i].kind == k && nth-- == 0)
            return &s->ev[i];
    fail_msg("no event of kind %d", (int)k);
    return NULL;
}

static const struct dis_flow_rec *find_rec(const struct sink *s, uint16_t resp_port)
{
    for (int i = 0; i < s->n && i < MAX_RECS; i++)
        if (s->recs[i].resp_port == resp_port)
            return &s->recs[i];
    fail_msg("no flow to port %u", resp_port);
    return NULL;
}

static struct dis_engine_stats stats(const struct dis_engine *e)
{
    struct dis_engine_stats st;
    dis_engine_get_stats(e, &st);
    return st;
}

/* ---- byte buffers ---- */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void buf_u8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    buf_put(b, &x, 1);
}

static void buf_u16(struct buf *b, unsigned v)
{
    buf_u8(b, v >> 8);
    buf_u8(b, v);
}

static void buf_u24(struct buf *b, size_t v)
{
    buf_u8(b, (unsigned)(v >> 16));
    buf_u8(b, (unsigned)(v >> 8));
    buf_u8(b, (unsigned)v);
}

static void buf_record(struct buf *b, unsigned type, const void *data, size_t n)
{
    buf_u8(b, type);
    buf_u16(b, 0x0303);
    buf_u16(b, (unsigned)n);
    buf_put(b, data, n);
}

static void buf_hs(struct buf *b, unsigned type, const void *body, size_t n)
{
    buf_u8(b, type);
    buf_u24(b, n);
    buf_put(b, body, n);
}

/* ---- packets ---- */

/* One endpoint: 10.0.0.<host>:port. */
struct ep {
    uint8_t host;
    uint16_t port;
};

/* A TCP connection being played: the client's and the server's next sequence numbers. */
struct conn {
    struct dis_engine *e;
    struct ep c, s;
    uint32_t cseq, sseq;
    uint64_t ts;
};

#define SYN DIS_TH_SYN
#define ACK DIS_TH_ACK
#define FIN DIS_TH_FIN
#define RST DIS_TH_RST
#define PSH DIS_TH_PSH

/* Sends one segment of @p n payload bytes, in an exactly-sized heap buffer (for ASan). */
static void seg(struct dis_engine *e, uint64_t ts, struct ep from, struct ep to, uint8_t flags,
                uint32_t seq, const void *data, size_t n)
{
    size_t total = 40 + n;
    uint8_t *p = calloc(1, total);
    assert_non_null(p);
    p[0] = 0x45;
    p[2] = (uint8_t)(total >> 8), p[3] = (uint8_t)total;
    p[8] = 64;
    p[9] = 6;
    p[12] = 10, p[15] = from.host;
    p[16] = 10, p[19] = to.host;
    uint8_t *t = p + 20;
    t[0] = (uint8_t)(from.port >> 8), t[1] = (uint8_t)from.port;
    t[2] = (uint8_t)(to.port >> 8), t[3] = (uint8_t)to.port;
    for (int i = 0; i < 4; i++)
        t[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
    t[12] = 5 << 4;
    t[13] = flags;
    t[14] = 0xff, t[15] = 0xff;
    if (n)
        memcpy(t + 20, data, n);
    assert_int_equal(
        dis_engine_packet(e, DIS_LINKTYPE_RAW, ts, p, (uint32_t)total, (uint32_t)total), 0);
    free(p);
}

static struct conn open_conn(struct dis_engine *e, uint64_t ts, uint8_t chost, uint16_t cport,
                             uint8_t shost, uint16_t sport)
{
    struct conn c = {e, {chost, cport}, {shost, sport}, 1000, 900000, ts};
    seg(e, c.ts, c.c, c.s, SYN, c.cseq - 1, NULL, 0);
    seg(e, c.ts += 1000000, c.s, c.c, SYN | ACK, c.sseq - 1, NULL, 0);
    seg(e, c.ts += 1000000, c.c, c.s, ACK, c.cseq, NULL, 0);
    return c;
}

/* The client sends @p n bytes; the next client data follows them. */
static void c_send(struct conn *c, const void *data, size_t n)
{
    seg(c->e, c->ts += 1000000, c->c, c->s, ACK | PSH, c->cseq, data, n);
    c->cseq += (uint32_t)n;
}

static void s_send(struct conn *c, const void *data, size_t n)
{
    seg(c->e, c->ts += 1000000, c->s, c->c, ACK | PSH, c->sseq, data, n);
    c->sseq += (uint32_t)n;
}

/* The client's bytes [off, off + n) of what follows cseq, out of order (cseq unchanged). */
static void c_send_at(struct conn *c, const uint8_t *data, size_t off, size_t n)
{
    seg(c->e, c->ts += 1000000, c->c, c->s, ACK | PSH, c->cseq + (uint32_t)off, data + off, n);
}

static void close_conn(struct conn *c)
{
    seg(c->e, c->ts += 1000000, c->c, c->s, FIN | ACK, c->cseq, NULL, 0);
    seg(c->e, c->ts += 1000000, c->s, c->c, FIN | ACK, c->sseq, NULL, 0);
    seg(c->e, c->ts += 1000000, c->c, c->s, ACK, c->cseq + 1, NULL, 0);
}

/* ---- TLS messages (the ClientHello of test_tls.c) ---- */

#define RANDOM_C                                                                                   \
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,      \
        0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,  \
        0x1e, 0x1f
#define RANDOM_S                                                                                   \
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e,      \
        0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d,  \
        0x5e, 0x5f
#define SID32                                                                                      \
    0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee,      \
        0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,  \
        0xfe, 0xff
#define X25519_KEY                                                                                 \
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e,      \
        0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d,  \
        0x9e, 0x9f
#define CHROME_CIPHERS                                                                             \
    0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30, 0xcc,      \
        0xa9, 0xcc, 0xa8, 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f, 0x00, 0x35
#define EXT_SIG_ALGS                                                                               \
    0x00, 0x0d, 0x00, 0x12, 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08,      \
        0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01
#define EXT_ALPN_H2_H11                                                                            \
    0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1'

/* Chrome-like TLS 1.3 ClientHello body to app.senso.cloud, with GREASE (test_tls.c). */
static const uint8_t ch_senso[] = {
    0x03, 0x03, RANDOM_C, 0x20, SID32, 0x00, 0x20, 0x0a, 0x0a, CHROME_CIPHERS, 0x01, 0x00, 0x00,
    0xbe, 0x1a, 0x1a, 0x00, 0x00,
    /* server_name: host_name "app.senso.cloud" (offset 109) */
    0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 'a', 'p', 'p', '.', 's', 'e', 'n', 's',
    'o', '.', 'c', 'l', 'o', 'u', 'd', 0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00,
    0x0a, 0x00, 0x0a, 0x00, 0x08, 0x2a, 0x2a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, 0x00, 0x0b, 0x00,
    0x02, 0x01, 0x00, 0x00, 0x23, 0x00, 0x00, EXT_ALPN_H2_H11, 0x00, 0x05, 0x00, 0x05, 0x01, 0x00,
    0x00, 0x00, 0x00, EXT_SIG_ALGS, 0x00, 0x12, 0x00, 0x00, 0x00, 0x33, 0x00, 0x2b, 0x00, 0x29,
    0x2a, 0x2a, 0x00, 0x01, 0x00, 0x00, 0x1d, 0x00, 0x20, X25519_KEY, 0x00, 0x2d, 0x00, 0x02, 0x01,
    0x01, 0x00, 0x2b, 0x00, 0x07, 0x06, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03, 0x00, 0x1b, 0x00, 0x03,
    0x02, 0x00, 0x02, 0x4a, 0x4a, 0x00, 0x01, 0x00};
#define SNI_EXT_OFF 109
#define JA3_SENSO_MD5 "7f805430de1e7d98b1de033adb58cf46"
#define JA4_SENSO "t13d1514h2_8daaf6152771_bc9a4605e104"

/* ServerHello, TLS 1.2: ECDHE-RSA-AES128-GCM-SHA256, ALPN h2 (test_tls.c). */
static const uint8_t sh_12[] = {
    0x03, 0x03, RANDOM_S, 0x20, SID32, 0xc0, 0x2f, 0x00, 0x00, 0x20, 0xff, 0x01, 0x00, 0x01,
    0x00, 0x00, 0x00,     0x00, 0x00,  0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x23, 0x00,
    0x00, 0x00, 0x10,     0x00, 0x05,  0x00, 0x03, 0x02, 'h',  '2',  0x00, 0x17, 0x00, 0x00,
};
#define JA3S_12_MD5 "00447ab319e9d94ba2b4c1248e155917"

/* The ClientHello record, with another 15-character @p sni, or with the server_name extension
 * renamed to an unknown type (@p no_sni). */
static void client_hello(struct buf *b, const char *sni, bool no_sni)
{
    static const uint8_t sni_ext[] = {0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 'a'};
    uint8_t body[sizeof ch_senso];
    memcpy(body, ch_senso, sizeof body);
    assert_memory_equal(body + SNI_EXT_OFF, sni_ext, sizeof sni_ext);
    if (sni) {
        assert_int_equal(strlen(sni), 15);
        memcpy(body + SNI_EXT_OFF + 9, sni, 15);
    }
    if (no_sni)
        body[SNI_EXT_OFF] = 0x7b; /* extension 0x7b00: not server_name */
    struct buf m = {0};
    buf_hs(&m, 1, body, sizeof body);
    buf_record(b, 22, m.p, m.len);
    free(m.p);
}

/* ---- certificates ---- */

static EVP_PKEY *make_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    return k;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *x = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    assert_non_null(x);
    assert_int_equal(X509_add_ext(cert, x, -1), 1);
    X509_EXTENSION_free(x);
}

/* A certificate for @p cn valid 2024-01-01..2034-01-01 (self-signed when @p issuer is NULL). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ca_key)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), issuer ? 2 : 1);
    ASN1_TIME_set(X509_getm_notBefore(x), 1704067200);
    ASN1_TIME_set(X509_getm_notAfter(x), 2019686400);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Senso Test", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(x, key);
    X509 *iss = issuer ? issuer : x;
    if (!issuer) {
        add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, iss, NID_ext_key_usage, "serverAuth");
        add_ext(x, iss, NID_subject_alt_name, "DNS:app.senso.cloud,DNS:*.senso.cloud");
    }
    assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
    return x;
}

static void der_of(X509 *x, struct buf *out)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    buf_put(out, der, (size_t)n);
    OPENSSL_free(der);
}

struct pki {
    EVP_PKEY *ca_key, *leaf_key;
    X509 *ca, *leaf;
    X509_STORE *store;
    struct buf cert_body; /* Certificate message body: leaf, CA */
};

static void pki_make(struct pki *k)
{
    memset(k, 0, sizeof *k);
    k->ca_key = make_key();
    k->leaf_key = make_key();
    k->ca = make_cert("Senso Test CA", k->ca_key, NULL, k->ca_key);
    k->leaf = make_cert("app.senso.cloud", k->leaf_key, k->ca, k->ca_key);
    k->store = X509_STORE_new();
    assert_non_null(k->store);
    assert_int_equal(X509_STORE_add_cert(k->store, k->ca), 1);
    struct buf leaf = {0}, ca = {0}, list = {0};
    der_of(k->leaf, &leaf);
    der_of(k->ca, &ca);
    buf_u24(&list, leaf.len);
    buf_put(&list, leaf.p, leaf.len);
    buf_u24(&list, ca.len);
    buf_put(&list, ca.p, ca.len);
    buf_u24(&k->cert_body, list.len);
    buf_put(&k->cert_body, list.p, list.len);
    free(leaf.p);
    free(ca.p);
    free(list.p);
}

static void pki_free(struct pki *k)
{
    X509_STORE_free(k->store);
    X509_free(k->leaf);
    X509_free(k->ca);
    EVP_PKEY_free(k->leaf_key);
    EVP_PKEY_free(k->ca_key);
    free(k->cert_body.p);
}

/* The rest of a TLS 1.2 handshake after the ClientHello: the server's first flight (with the
 * chain when @p k is given), the client's CKE/CCS/Finished and data, the server's CCS/Finished
 * and data. */
static void tls12_rest(struct conn *c, const struct pki *k)
{
    static const uint8_t cke[33] = {32};
    static const uint8_t fin[40] = {0x55};
    static const uint8_t app[29] = {0x66};
    struct buf flight = {0}, srv = {0}, cli = {0}, m = {0};
    buf_hs(&flight, 2, sh_12, sizeof sh_12);
    if (k)
        buf_hs(&flight, 11, k->cert_body.p, k->cert_body.len);
    buf_hs(&flight, 14, NULL, 0);
    buf_record(&srv, 22, flight.p, flight.len);
    s_send(c, srv.p, srv.len);

    buf_hs(&m, 16, cke, sizeof cke);
    buf_record(&cli, 22, m.p, m.len);
    buf_record(&cli, 20, "\x01", 1);
    buf_record(&cli, 22, fin, sizeof fin);
    buf_record(&cli, 23, app, sizeof app);
    c_send(c, cli.p, cli.len);

    srv.len = 0;
    buf_record(&srv, 20, "\x01", 1);
    buf_record(&srv, 22, fin, sizeof fin);
    buf_record(&srv, 23, app, sizeof app);
    s_send(c, srv.p, srv.len);
    free(flight.p);
    free(srv.p);
    free(cli.p);
    free(m.p);
}

/* ---- TLS ---- */

static void test_tls_out_of_order(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 40000, 2, 443);
    struct buf ch = {0};
    client_hello(&ch, NULL, false);
    /* three segments: 100, 100, the rest; delivered 2, 3, 2 again (retransmitted), 1 */
    c_send_at(&c, ch.p, 100, 100);
    assert_int_equal(stats(e).tcp_app_active, 1); /* the start is missing: held */
    assert_true(stats(e).tcp_reasm_bytes > 0);
    c_send_at(&c, ch.p, 200, ch.len - 200);
    c_send_at(&c, ch.p, 100, 100);
    c_send_at(&c, ch.p, 0, 100);
    uint64_t ch_done = c.ts;
    c.cseq += (uint32_t)ch.len;
    tls12_rest(&c, NULL);
    /* established and both directions' first data seen: the buffers are gone, flow open */
    assert_int_equal(stats(e).tcp_reasm_bytes, 0);
    assert_int_equal(stats(e).tcp_app_active, 1);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 0); /* only when the flow ends */
    close_conn(&c);
    assert_int_equal(dis_engine_flush(e), 0);

    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS, 0);
    assert_int_equal(t->transport, 6);
    assert_string_equal(t->src, "10.0.0.1");
    assert_int_equal(t->sport, 40000);
    assert_string_equal(t->dst, "10.0.0.2");
    assert_int_equal(t->dport, 443);
    assert_int_equal(t->ts, ch_done);
    assert_true(t->tls.has_client_hello);
    assert_int_equal(t->tls.client_hellos, 1); /* the retransmission did not count twice */
    assert_int_equal(t->tls.client_hello_ns, ch_done);
    assert_string_equal(t->sni, "app.senso.cloud");
    assert_string_equal(t->tls.ja3_md5, JA3_SENSO_MD5);
    assert_string_equal(t->tls.ja4, JA4_SENSO);
    assert_int_equal(t->tls.client_version, 0x0303);
    assert_int_equal(t->tls.client_max_version, 0x0304);
    assert_int_equal(t->tls.n_alpn, 2);
    assert_string_equal(t->alpn[0], "h2");
    assert_string_equal(t->alpn[1], "http/1.1");
    assert_true(t->tls.has_server_hello);
    assert_int_equal(t->tls.selected_version, 0x0303);
    assert_int_equal(t->tls.cipher, 0xc02f);
    assert_string_equal(t->server_alpn, "h2");
    assert_string_equal(t->tls.ja3s_md5, JA3S_12_MD5);
    assert_false(t->tls.hrr);
    assert_true(t->tls.established);
    assert_true(t->tls.client_appdata_ns > t->tls.server_hello_ns);
    assert_true(t->tls.server_appdata_ns > t->tls.client_appdata_ns);
    assert_int_equal(t->tls.established_ns, t->tls.client_appdata_ns);
    assert_false(t->tls.alert.seen);
    assert_int_equal(t->tls.n_certs, 0);
    assert_int_equal(t->tls.chain, DIS_TLS_CHAIN_UNKNOWN);
    assert_false(t->tls.in_tunnel);
    assert_false(t->tls.midstream);

    assert_int_equal(s->n, 1);
    assert_string_equal(s->recs[0].host, "app.senso.cloud");
    assert_int_equal(t->flow_id, s->recs[0].id);
    struct dis_engine_stats st = stats(e);
    assert_int_equal(st.tls_flows, 1);
    assert_int_equal(st.tls_sni, 1);
    assert_int_equal(st.tcp_app_active, 0);
    assert_int_equal(st.tcp_app_states, 1);
    assert_int_equal(st.tcp_reasm_bytes, 0);
    free(ch.p);
    dis_engine_free(e);
    free(s);
}

/* A chain verified against the store, with the SNI as the name; a wrong SNI; and the leaf's name
 * as the host of a flow without SNI. */
static void test_tls_chain(void **state)
{
    (void)state;
    struct pki k;
    pki_make(&k);
    struct sink *s;
    struct dis_engine *e = engine(&s, k.store);
    struct buf ch = {0};

    client_hello(&ch, NULL, false);
    struct conn c = open_conn(e, T0, 1, 40001, 2, 443);
    c_send(&c, ch.p, ch.len);
    tls12_rest(&c, &k);
    assert_int_equal(stats(e).tcp_reasm_bytes, 0);

    ch.len = 0;
    client_hello(&ch, "bad.example.org", false);
    c = open_conn(e, T0 + SEC, 1, 40002, 3, 443);
    c_send(&c, ch.p, ch.len);
    tls12_rest(&c, &k);

    ch.len = 0;
    client_hello(&ch, NULL, true);
    c = open_conn(e, T0 + 2 * SEC, 1, 40003, 4, 443);
    c_send(&c, ch.p, ch.len);
    tls12_rest(&c, &k);
    assert_int_equal(dis_engine_flush(e), 0);

    assert_int_equal(count_kind(s, DIS_EV_TLS), 3);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS, 0);
    assert_int_equal(t->tls.n_certs, 2);
    assert_int_equal(t->tls.certs_total, 2);
    assert_int_equal(t->tls.certs_bad, 0);
    assert_string_equal(t->cert0_subject, "CN=app.senso.cloud,O=Senso Test");
    assert_string_equal(t->cert0_san0, "app.senso.cloud");
    assert_int_equal(t->tls.chain, DIS_TLS_CHAIN_VALID);
    assert_true(t->tls.verify.ok);
    assert_false(t->tls.client_cert);

    t = find_kind(s, DIS_EV_TLS, 1);
    assert_string_equal(t->sni, "bad.example.org");
    assert_int_equal(t->tls.chain, DIS_TLS_CHAIN_INVALID);
    assert_int_equal(t->tls.verify.error, X509_V_ERR_HOSTNAME_MISMATCH);

    t = find_kind(s, DIS_EV_TLS, 2);
    assert_string_equal(t->sni, "");
    assert_int_equal(t->tls.chain, DIS_TLS_CHAIN_VALID); /* no name to check */

    assert_string_equal(find_rec(s, 443)->host, "app.senso.cloud");
    assert_string_equal(s->recs[1].host, "bad.example.org");
    assert_string_equal(s->recs[2].host, "app.senso.cloud"); /* from the certificate */
    assert_int_equal(stats(e).tls_flows, 3);
    assert_int_equal(stats(e).tls_sni, 2);
    assert_int_equal(stats(e).tls_certs, 6);
    assert_int_equal(stats(e).tls_certs_decoded, 2); /* the same chain three times */
    free(ch.p);
    dis_engine_free(e);
    free(s);
    pki_free(&k);
}

/* A fatal alert from the server right after the ClientHello. */
static void test_tls_alert(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct buf ch = {0}, al = {0};
    client_hello(&ch, NULL, false);
    struct conn c = open_conn(e, T0, 1, 40010, 2, 443);
    c_send(&c, ch.p, ch.len);
    buf_record(&al, 21, "\x02\x28", 2); /* fatal handshake_failure */
    s_send(&c, al.p, al.len);
    uint64_t when = c.ts;
    seg(e, c.ts += 1000, c.s, c.c, RST | ACK, c.sseq, NULL, 0);
    assert_int_equal(stats(e).tcp_reasm_bytes, 0); /* the RST ends it */
    assert_int_equal(dis_engine_flush(e), 0);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS, 0);
    assert_true(t->tls.alert.seen);
    assert_int_equal(t->tls.alert.level, 2);
    assert_int_equal(t->tls.alert.desc, 40);
    assert_false(t->tls.alert.from_client);
    assert_true(t->tls.alert.before_established);
    assert_int_equal(t->tls.alert.ts_ns, when);
    assert_false(t->tls.established);
    assert_false(t->tls.has_server_hello);
    free(ch.p);
    free(al.p);
    dis_engine_free(e);
    free(s);
}

/* ---- STUN/TURN over TCP ---- */

/* A STUN header with @p attr_len bytes of attributes to follow. */
static void stun_hdr(struct buf *b, unsigned type, unsigned attr_len, uint8_t txid_byte)
{
    buf_u16(b, type);
    buf_u16(b, attr_len);
    buf_u16(b, 0x2112);
    buf_u16(b, 0xa442);
    for (int i = 0; i < 12; i++)
        buf_u8(b, txid_byte);
}

static void test_stun_over_tcp(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 50000, 9, 3478);
    /* two Binding requests in one segment */
    struct buf b = {0};
    stun_hdr(&b, 0x0001, 0, 1);
    stun_hdr(&b, 0x0001, 0, 2);
    c_send(&c, b.p, b.len);
    assert_int_equal(count_kind(s, DIS_EV_STUN), 2);
    /* the answer: a Binding success response split over two segments */
    b.len = 0;
    stun_hdr(&b, 0x0101, 12, 1);
    buf_u16(&b, 0x0020); /* XOR-MAPPED-ADDRESS 10.0.0.1:50000 */
    buf_u16(&b, 8);
    buf_u16(&b, 0x0001);
    buf_u16(&b, 50000 ^ 0x2112);
    buf_u16(&b, (10u << 8) ^ 0x2112);
    buf_u16(&b, 1u ^ 0xa442);
    s_send(&c, b.p, 10);
    assert_int_equal(count_kind(s, DIS_EV_STUN), 2);
    s_send(&c, b.p + 10, b.len - 10);
    assert_int_equal(count_kind(s, DIS_EV_STUN), 3);
    /* an Allocate request, then padded ChannelData: 5 bytes of data (padded to 8), then a
     * relayed Binding request */
    b.len = 0;
    stun_hdr(&b, 0x0003, 0, 3);
    buf_u16(&b, 0x4000);
    buf_u16(&b, 5);
    buf_put(&b, "hello\0\0\0", 8);
    buf_u16(&b, 0x4001);
    buf_u16(&b, 20);
    stun_hdr(&b, 0x0001, 0, 4);
    c_send(&c, b.p, b.len);
    close_conn(&c);
    assert_int_equal(dis_engine_flush(e), 0);

    assert_int_equal(count_kind(s, DIS_EV_STUN), 5);
    for (int i = 0; i < 5; i++) {
        const struct ev_copy *v = find_kind(s, DIS_EV_STUN, i);
        assert_int_equal(v->transport, 6);
        assert_int_equal(v->inner, i == 4);
    }
    const struct ev_copy *v = find_kind(s, DIS_EV_STUN, 0);
    assert_string_equal(v->src, "10.0.0.1");
    assert_int_equal(v->dport, 3478);
    assert_int_equal(v->stun_method, 1);
    v = find_kind(s, DIS_EV_STUN, 2);
    assert_string_equal(v->src, "10.0.0.9");
    assert_int_equal(v->stun_cls, 2);
    v = find_kind(s, DIS_EV_STUN, 3);
    assert_int_equal(v->stun_method, 3);
    v = find_kind(s, DIS_EV_STUN, 4);
    assert_int_equal(v->channel, 0x4001);
    assert_int_equal(s->n, 1);
    assert_int_equal(s->recs[0].channeldata, 2);
    assert_int_equal(s->recs[0].stun_msgs, 5);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 0);
    free(b.p);
    dis_engine_free(e);
    free(s);
}

/* ICE-TCP (RFC 6544): every frame carries an RFC 4571 length; and an MS-TURN frame (0xFF10)
 * wrapping a relayed STUN message on a TURN stream. */
static void test_stun_framings(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 50002, 9, 443);
    struct buf b = {0};
    buf_u16(&b, 20);
    stun_hdr(&b, 0x0001, 0, 1);
    buf_u16(&b, 4);
    buf_put(&b, "\x80\x00\x00\x01", 4); /* an RTP-like frame: skipped */
    buf_u16(&b, 20);
    stun_hdr(&b, 0x0001, 0, 2);
    c_send(&c, b.p, b.len);
    assert_int_equal(count_kind(s, DIS_EV_STUN), 2);
    assert_false(find_kind(s, DIS_EV_STUN, 1)->inner);

    c = open_conn(e, T0 + SEC, 1, 50003, 9, 443);
    b.len = 0;
    stun_hdr(&b, 0x0003, 0, 3); /* Allocate */
    buf_u16(&b, 0xff10);
    buf_u16(&b, 8 + 20);
    buf_put(&b, "sessionX", 8);
    stun_hdr(&b, 0x0001, 0, 4);
    c_send(&c, b.p, b.len);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_STUN), 4);
    const struct ev_copy *v = find_kind(s, DIS_EV_STUN, 3);
    assert_true(v->inner);
    assert_int_equal(v->channel, 0xff10);
    assert_int_equal(v->transport, 6);
    assert_int_equal(find_rec(s, 443)->stun_msgs, 2);
    assert_int_equal(s->recs[1].channeldata, 1);
    free(b.p);
    dis_engine_free(e);
    free(s);
}

/* A long TURN-over-TCP stream is read past the reassembly cap (the reassembler moves along). */
static void test_stun_long_stream(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 50001, 9, 443);
    struct buf b = {0};
    stun_hdr(&b, 0x0003, 0, 1);
    c_send(&c, b.p, b.len);
    /* 100 segments of 1000-byte ChannelData (100 KB, past the 32 KiB cap) */
    uint8_t frame[1004];
    memset(frame, 0x80, sizeof frame); /* RTP-like relayed data */
    frame[0] = 0x40, frame[1] = 0x00, frame[2] = 0x03, frame[3] = 0xe8;
    for (int i = 0; i < 100; i++)
        c_send(&c, frame, sizeof frame);
    b.len = 0;
    stun_hdr(&b, 0x0004, 0, 2); /* Refresh at the end */
    c_send(&c, b.p, b.len);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(s->recs[0].channeldata, 100);
    assert_int_equal(count_kind(s, DIS_EV_STUN), 2);
    assert_int_equal(find_kind(s, DIS_EV_STUN, 1)->stun_method, 4);
    free(b.p);
    dis_engine_free(e);
    free(s);
}

/* ---- DNS over TCP ---- */

static void dns_name(struct buf *b, const char *name)
{
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        buf_u8(b, (unsigned)n);
        buf_put(b, p, n);
        p += n + (dot ? 1 : 0);
    }
    buf_u8(b, 0);
}

static void test_dns_over_tcp(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 53000, 53, 53);
    struct buf q = {0}, m = {0};
    buf_u16(&m, 0x1234); /* id */
    buf_u16(&m, 0x0100); /* RD */
    buf_u16(&m, 1);
    buf_u16(&m, 0);
    buf_u16(&m, 0);
    buf_u16(&m, 0);
    dns_name(&m, "app.senso.cloud");
    buf_u16(&m, 1);
    buf_u16(&m, 1);
    buf_u16(&q, (unsigned)m.len);
    buf_put(&q, m.p, m.len);
    /* the length alone first, then the message */
    c_send(&c, q.p, 2);
    assert_int_equal(count_kind(s, DIS_EV_DNS), 0);
    c_send(&c, q.p + 2, q.len - 2);
    assert_int_equal(count_kind(s, DIS_EV_DNS), 1);

    struct buf r = {0}, a = {0};
    buf_u16(&a, 0x1234);
    buf_u16(&a, 0x8180);
    buf_u16(&a, 1);
    buf_u16(&a, 1);
    buf_u16(&a, 0);
    buf_u16(&a, 0);
    dns_name(&a, "app.senso.cloud");
    buf_u16(&a, 1);
    buf_u16(&a, 1);
    buf_u16(&a, 0xc00c); /* answer: the question's name */
    buf_u16(&a, 1);
    buf_u16(&a, 1);
    buf_u16(&a, 0);
    buf_u16(&a, 300);
    buf_u16(&a, 4);
    buf_u8(&a, 10), buf_u8(&a, 0), buf_u8(&a, 0), buf_u8(&a, 7);
    buf_u16(&r, (unsigned)a.len);
    buf_put(&r, a.p, a.len);
    s_send(&c, r.p, r.len);
    close_conn(&c);
    assert_int_equal(count_kind(s, DIS_EV_DNS), 2);
    const struct ev_copy *v = find_kind(s, DIS_EV_DNS, 1);
    assert_int_equal(v->transport, 6);
    assert_true(v->qr);
    assert_string_equal(v->qname, "app.senso.cloud");
    assert_string_equal(v->src, "10.0.0.53");
    assert_string_equal(v->dst, "10.0.0.1");
    assert_false(find_kind(s, DIS_EV_DNS, 0)->qr);

    /* a later flow from the client to the answered address, carrying something else */
    struct conn h = open_conn(e, c.ts + SEC, 1, 40100, 7, 8443);
    c_send(&h, "GET / HTTP/1.1\r\n\r\n", 18);
    assert_int_equal(stats(e).tcp_app_states, 1); /* given up at its first segment */
    assert_int_equal(dis_engine_flush(e), 0);
    assert_string_equal(find_rec(s, 8443)->host, "app.senso.cloud");
    assert_int_equal(stats(e).dns_msgs, 2);
    free(q.p);
    free(m.p);
    free(r.p);
    free(a.p);
    dis_engine_free(e);
    free(s);
}

/* ---- HTTP CONNECT ---- */

static const char connect_req[] = "CONNECT app.senso.cloud:443 HTTP/1.1\r\n"
                                  "Host: app.senso.cloud:443\r\n"
                                  "User-Agent: test\r\n\r\n";

static void test_connect_tunnel(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 41000, 8, 8080);
    c_send(&c, connect_req, strlen(connect_req));
    const char *ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    s_send(&c, ok, strlen(ok));
    assert_int_equal(count_kind(s, DIS_EV_HTTP_CONNECT), 1);
    struct buf ch = {0};
    client_hello(&ch, "www.senso.cloud", false);
    c_send(&c, ch.p, ch.len);
    tls12_rest(&c, NULL);
    assert_int_equal(stats(e).tcp_reasm_bytes, 0);
    close_conn(&c);
    assert_int_equal(dis_engine_flush(e), 0);

    const struct ev_copy *v = find_kind(s, DIS_EV_HTTP_CONNECT, 0);
    assert_int_equal(v->status, 200);
    assert_string_equal(v->connect_host, "app.senso.cloud");
    assert_int_equal(v->connect_port, 443);
    assert_string_equal(v->src, "10.0.0.1");
    assert_int_equal(v->dport, 8080);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS, 0);
    assert_true(t->tls.in_tunnel);
    assert_string_equal(t->sni, "www.senso.cloud");
    assert_string_equal(t->proxy_target, "app.senso.cloud");
    assert_int_equal(t->tls.proxy_port, 443);
    assert_int_equal(t->tls.proxy_status, 200);
    assert_int_equal(t->tls.proxy_first_status, 200);
    assert_true(t->tls.established);
    assert_string_equal(t->src, "10.0.0.1");
    assert_int_equal(t->dport, 8080);
    /* the SNI comes before the CONNECT target */
    assert_string_equal(s->recs[0].host, "www.senso.cloud");
    assert_int_equal(stats(e).http_connects, 1);
    free(ch.p);
    dis_engine_free(e);
    free(s);
}

/* 407 with a body, then an authenticated retry on the same connection that opens the tunnel. */
static void test_connect_407_then_200(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 41001, 8, 3128);
    c_send(&c, connect_req, strlen(connect_req));
    const char *deny = "HTTP/1.1 407 Proxy Authentication Required\r\n"
                       "Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
                       "Content-Length: 5\r\n\r\n";
    s_send(&c, deny, strlen(deny));
    s_send(&c, "denied", 5);
    const char *retry = "CONNECT app.senso.cloud:443 HTTP/1.1\r\n"
                        "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n";
    c_send(&c, retry, strlen(retry));
    s_send(&c, "HTTP/1.1 200 OK\r\n\r\n", 19);
    struct buf ch = {0};
    client_hello(&ch, NULL, false);
    c_send(&c, ch.p, ch.len);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_HTTP_CONNECT), 2);
    assert_int_equal(find_kind(s, DIS_EV_HTTP_CONNECT, 0)->status, 407);
    assert_int_equal(find_kind(s, DIS_EV_HTTP_CONNECT, 1)->status, 200);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS, 0);
    assert_true(t->tls.in_tunnel);
    assert_int_equal(t->tls.proxy_status, 200);
    assert_int_equal(t->tls.proxy_first_status, 407);
    assert_string_equal(t->sni, "app.senso.cloud");
    free(ch.p);
    dis_engine_free(e);
    free(s);
}

/* 407 and the proxy closes: recorded, no TLS, the host is the CONNECT target. */
static void test_connect_407_close(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 41002, 8, 3128);
    c_send(&c, connect_req, strlen(connect_req));
    const char *deny = "HTTP/1.1 407 Proxy Authentication Required\r\n"
                       "Proxy-Authenticate: NTLM\r\nConnection: close\r\n"
                       "Content-Length: 0\r\n\r\n";
    s_send(&c, deny, strlen(deny));
    assert_int_equal(stats(e).tcp_reasm_bytes, 0);
    close_conn(&c);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_HTTP_CONNECT), 1);
    assert_int_equal(find_kind(s, DIS_EV_HTTP_CONNECT, 0)->status, 407);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 0);
    assert_string_equal(s->recs[0].host, "app.senso.cloud");
    assert_int_equal(stats(e).tcp_app_active, 0);
    dis_engine_free(e);
    free(s);
}

/* ---- SOCKS ---- */

/* SOCKS5, no authentication, CONNECT to a domain; the client's ClientHello in the tunnel. */
static void test_socks5_domain(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 44000, 8, 1080);
    c_send(&c, "\x05\x01\x00", 3);
    s_send(&c, "\x05\x00", 2);
    const char req[] = "\x05\x01\x00\x03\x0f"
                       "app.senso.cloud"
                       "\x01\xbb";
    c_send(&c, req, sizeof req - 1);
    s_send(&c, "\x05\x00\x00\x01\x0a\x00\x00\x08\x9c\x40", 10);
    struct buf ch = {0};
    client_hello(&ch, "www.senso.cloud", false);
    c_send(&c, ch.p, ch.len);
    tls12_rest(&c, NULL);
    assert_int_equal(stats(e).tcp_reasm_bytes, 0);
    close_conn(&c);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS, 0);
    assert_string_equal(t->sni, "www.senso.cloud");
    assert_true(t->tls.in_tunnel);
    assert_int_equal(t->tls.proxy_kind, DIS_TLS_PROXY_SOCKS5);
    assert_string_equal(t->proxy_target, "app.senso.cloud");
    assert_int_equal(t->tls.proxy_port, 443);
    assert_int_equal(t->tls.proxy_status, 0);
    assert_true(t->tls.established);
    assert_string_equal(t->src, "10.0.0.1");
    assert_int_equal(t->dport, 1080);
    assert_string_equal(s->recs[0].host, "www.senso.cloud");
    assert_int_equal(stats(e).tcp_app_active, 0);
    free(ch.p);
    dis_engine_free(e);
    free(s);
}

/* SOCKS5 with username/password (RFC 1929), CONNECT to an IPv6 address, every message in
 * one-byte segments; then SOCKS4a; then a SOCKS5 refusal (REP 5), which keeps nothing. */
static void test_socks_variants(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct buf ch = {0};
    client_hello(&ch, "six.senso.cloud", false);

    struct conn c = open_conn(e, T0, 1, 44001, 8, 1080);
    const uint8_t greet[] = {5, 2, 0, 2};
    for (size_t i = 0; i < sizeof greet; i++)
        c_send(&c, greet + i, 1);
    s_send(&c, "\x05\x02", 2);
    const char auth[] = "\x01\x04user\x06secret";
    c_send(&c, auth, sizeof auth - 1);
    s_send(&c, "\x01\x00", 2);
    const uint8_t req[] = {5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0,    0,
                           0, 0, 0, 0, 0,    0,    0,    0,    1, 0x01, 0xbb};
    for (size_t i = 0; i < sizeof req; i++)
        c_send(&c, req + i, 1);
    const uint8_t rep[] = {5, 0, 0, 1, 10, 0, 0, 8, 0x9c, 0x40};
    for (size_t i = 0; i < sizeof rep; i++)
        s_send(&c, rep + i, 1);
    c_send(&c, ch.p, ch.len);
    close_conn(&c);

    c = open_conn(e, T0 + SEC, 1, 44002, 8, 1080);
    const char req4[] = "\x04\x01\x01\xbb\x00\x00\x00\x01"
                        "alice\0"
                        "four.senso.cloud";
    c_send(&c, req4, sizeof req4); /* with its final NUL */
    s_send(&c, "\x00\x5a\x00\x00\x00\x00\x00\x00", 8);
    c_send(&c, ch.p, ch.len);
    close_conn(&c);

    c = open_conn(e, T0 + 2 * SEC, 1, 44003, 8, 1080);
    c_send(&c, "\x05\x01\x00", 3);
    s_send(&c, "\x05\x00", 2);
    c_send(&c, "\x05\x01\x00\x01\x0a\x00\x00\x09\x01\xbb", 10);
    s_send(&c, "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", 10);
    c_send(&c, ch.p, ch.len);
    assert_int_equal(stats(e).tcp_app_active, 2); /* the two tunnels keep their summaries */
    close_conn(&c);

    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 2);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS, 0);
    assert_int_equal(t->tls.proxy_kind, DIS_TLS_PROXY_SOCKS5);
    assert_string_equal(t->proxy_target, "2001:db8::1");
    assert_int_equal(t->tls.proxy_port, 443);
    assert_string_equal(t->sni, "six.senso.cloud");
    t = find_kind(s, DIS_EV_TLS, 1);
    assert_int_equal(t->tls.proxy_kind, DIS_TLS_PROXY_SOCKS4);
    assert_string_equal(t->proxy_target, "four.senso.cloud");
    assert_int_equal(t->tls.proxy_status, 90);
    assert_int_equal(stats(e).tcp_app_active, 0);
    assert_int_equal(stats(e).tcp_reasm_bytes, 0);
    free(ch.p);
    dis_engine_free(e);
    free(s);
}

/* ---- STARTTLS ---- */

/* SMTP: greeting, EHLO, STARTTLS, 220, then the TLS handshake on the same connection. */
static void test_smtp_starttls(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 45000, 8, 25);
    const char *greet = "220 mx.senso.cloud ESMTP\r\n";
    s_send(&c, greet, strlen(greet));
    c_send(&c, "EHLO client\r\n", 13);
    const char *caps = "250-mx.senso.cloud\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
    s_send(&c, caps, strlen(caps));
    c_send(&c, "StartTLS\r\n", 10);
    const char *go = "220 2.0.0 Ready to start TLS\r\n";
    s_send(&c, go, strlen(go));
    struct buf ch = {0};
    client_hello(&ch, "smtp.senso.clou", false);
    /* the ClientHello split inside its record header */
    c_send(&c, ch.p, 3);
    c_send(&c, ch.p + 3, ch.len - 3);
    tls12_rest(&c, NULL);
    assert_int_equal(stats(e).tcp_reasm_bytes, 0);
    close_conn(&c);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS, 0);
    assert_string_equal(t->sni, "smtp.senso.clou");
    assert_true(t->tls.has_server_hello);
    assert_true(t->tls.established);
    assert_false(t->tls.in_tunnel);
    assert_int_equal(t->tls.proxy_kind, DIS_TLS_PROXY_NONE);
    assert_string_equal(t->src, "10.0.0.1");
    assert_int_equal(t->dport, 25);
    free(ch.p);
    dis_engine_free(e);
    free(s);
}

/* XMPP: no line ends; '>' closes each piece. */
static void test_xmpp_starttls(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 45001, 8, 5222);
    const char *open = "<?xml version='1.0'?><stream:stream to='senso.cloud' "
                       "xmlns='jabber:client' version='1.0'>";
    c_send(&c, open, strlen(open));
    const char *feat = "<?xml version='1.0'?><stream:stream from='senso.cloud' id='1'>"
                       "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                       "<required/></starttls></stream:features>";
    s_send(&c, feat, strlen(feat));
    const char *st = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
    c_send(&c, st, strlen(st));
    const char *go = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
    s_send(&c, go, strlen(go));
    struct buf ch = {0};
    client_hello(&ch, "xmpp.senso.clou", false);
    c_send(&c, ch.p, ch.len);
    tls12_rest(&c, NULL);
    close_conn(&c);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS, 0);
    assert_string_equal(t->sni, "xmpp.senso.clou");
    assert_true(t->tls.established);
    free(ch.p);
    dis_engine_free(e);
    free(s);
}

/* A line-based stream that never asks for STARTTLS: its buffers go after PLAIN_LINES lines,
 * and at once when the initiator closes. */
static void test_plain_without_starttls(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct conn c = open_conn(e, T0, 1, 45002, 8, 110);
    s_send(&c, "+OK POP3 ready\r\n", 16);
    assert_int_equal(stats(e).tcp_app_active, 1);
    for (int i = 0; i < 40; i++) {
        c_send(&c, "NOOP\r\n", 6);
        s_send(&c, "+OK\r\n", 5);
    }
    struct dis_engine_stats st = stats(e);
    assert_int_equal(st.tcp_app_active, 0);
    assert_int_equal(st.tcp_reasm_bytes, 0);

    c = open_conn(e, T0 + SEC, 1, 45003, 8, 25);
    s_send(&c, "220 mx ESMTP\r\n", 14);
    c_send(&c, "EHLO x\r\n", 8);
    c_send(&c, "QUIT\r\n", 6);
    assert_int_equal(stats(e).tcp_app_active, 1);
    close_conn(&c);
    st = stats(e);
    assert_int_equal(st.tcp_app_active, 0);
    assert_int_equal(st.tcp_reasm_bytes, 0);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 0);
    dis_engine_free(e);
    free(s);
}

/* ---- streams that are none of ours ---- */

static void test_ssh_given_up(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    const char *banner = "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n";
    size_t n = strlen(banner);

    /* in order: decided at the first segment, nothing allocated */
    struct conn c = open_conn(e, T0, 1, 42000, 2, 22);
    s_send(&c, banner, n);
    c_send(&c, banner, n);
    assert_int_equal(stats(e).tcp_app_states, 0);

    /* the client's banner out of order: held until its start arrives, then freed */
    c = open_conn(e, T0 + SEC, 1, 42001, 3, 22);
    c_send_at(&c, (const uint8_t *)banner, 10, n - 10);
    struct dis_engine_stats st = stats(e);
    assert_int_equal(st.tcp_app_active, 1);
    assert_int_equal(st.tcp_reasm_bytes, 32768);
    c_send_at(&c, (const uint8_t *)banner, 0, 10);
    c.cseq += (uint32_t)n;
    st = stats(e);
    assert_int_equal(st.tcp_app_states, 1);
    assert_int_equal(st.tcp_app_active, 0);
    assert_int_equal(st.tcp_reasm_bytes, 0);
    assert_int_equal(st.tcp_reasm_bytes_max, 32768);
    s_send(&c, banner, n); /* nothing more is looked at */
    assert_int_equal(stats(e).tcp_app_states, 1);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(s->nev, 0);
    assert_int_equal(s->n, 2);
    dis_engine_free(e);
    free(s);
}

/* A flow that ends while its state is held (flush, and free without flush) leaks nothing. */
static void test_state_freed_at_end(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s, NULL);
    struct buf ch = {0};
    client_hello(&ch, NULL, false);
    struct conn c = open_conn(e, T0, 1, 43000, 2, 443);
    c_send_at(&c, ch.p, 50, ch.len - 50); /* its start never comes */
    c = open_conn(e, T0, 1, 43001, 2, 443);
    c_send(&c, ch.p, ch.len); /* no answer */
    assert_int_equal(stats(e).tcp_app_active, 2);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(stats(e).tcp_app_active, 0);
    assert_int_equal(stats(e).tcp_reasm_bytes, 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1); /* the second: its ClientHello was read */
    c = open_conn(e, T0 + SEC, 1, 43002, 2, 443);
    c_send(&c, ch.p, ch.len);
    dis_engine_free(e); /* no flush: dropped, freed (ASan/LSan check) */
    free(ch.p);
    free(s);
}

/* The defaults; a callback that takes only STUN and DNS gets no TLS summary, which is still
 * made (counted, and the host name taken from it). */
static void test_event_kinds(void **state)
{
    (void)state;
    struct dis_engine_opts o;
    dis_engine_defaults(&o);
    assert_int_equal(o.event_kinds, DIS_EV_KINDS_ALL);
    assert_int_equal(o.tcp_reasm_cap, 32768);
    assert_null(o.x509_store);
    struct sink *s;
    struct dis_engine *e = engine_kinds(&s, NULL, DIS_EV_BIT(DIS_EV_STUN) | DIS_EV_BIT(DIS_EV_DNS));
    struct conn c = open_conn(e, T0, 1, 41003, 8, 8080);
    c_send(&c, connect_req, strlen(connect_req));
    s_send(&c, "HTTP/1.1 200 OK\r\n\r\n", 19);
    struct buf ch = {0};
    client_hello(&ch, NULL, false);
    c_send(&c, ch.p, ch.len);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(s->nev, 0);
    assert_int_equal(stats(e).tls_flows, 1);
    assert_int_equal(stats(e).tls_sni, 1);
    assert_int_equal(stats(e).http_connects, 1);
    assert_string_equal(s->recs[0].host, "app.senso.cloud");
    free(ch.p);
    dis_engine_free(e);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_out_of_order),
        cmocka_unit_test(test_tls_chain),
        cmocka_unit_test(test_tls_alert),
        cmocka_unit_test(test_stun_over_tcp),
        cmocka_unit_test(test_stun_framings),
        cmocka_unit_test(test_stun_long_stream),
        cmocka_unit_test(test_dns_over_tcp),
        cmocka_unit_test(test_connect_tunnel),
        cmocka_unit_test(test_connect_407_then_200),
        cmocka_unit_test(test_connect_407_close),
        cmocka_unit_test(test_socks5_domain),
        cmocka_unit_test(test_socks_variants),
        cmocka_unit_test(test_smtp_starttls),
        cmocka_unit_test(test_xmpp_starttls),
        cmocka_unit_test(test_plain_without_starttls),
        cmocka_unit_test(test_ssh_given_up),
        cmocka_unit_test(test_state_freed_at_end),
        cmocka_unit_test(test_event_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
