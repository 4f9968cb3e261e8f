/* SPDX-License-Identifier: MIT */
/*
 * test_dns.c - the DNS parser, probe, TCP framing and answer map on messages built byte by
 * byte with compression pointers: CNAME chains to the Azure blob names, AAAA, NXDOMAIN with
 * SOA, SERVFAIL, REFUSED, extended RCODE, HTTPS with alpn and ipv4hint, a 0.0.0.0 sinkhole;
 * bad pointers, labels and name lengths; every valid message cut at every length in a heap
 * buffer of exactly that size (for ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect/dns.h"
#include "dissect/dns_map.h"

/* ---- a message builder ---- */

struct buf {
    uint8_t b[1400];
    size_t n;
};

static void u8(struct buf *w, unsigned v)
{
    assert_true(w->n < sizeof w->b);
    w->b[w->n++] = (uint8_t)v;
}

static void be16(struct buf *w, unsigned v)
{
    u8(w, v >> 8 & 0xFF);
    u8(w, v & 0xFF);
}

static void be32(struct buf *w, uint32_t v)
{
    be16(w, v >> 16);
    be16(w, v & 0xFFFF);
}

static void raw(struct buf *w, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        u8(w, ((const uint8_t *)p)[i]);
}

/* Writes the labels of dotted @p s (no root octet); returns the offset of the first. */
static size_t labels(struct buf *w, const char *s)
{
    size_t at = w->n;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        u8(w, (unsigned)n);
        raw(w, s, n);
        s += n + (dot ? 1 : 0);
    }
    return at;
}

/* A whole uncompressed name; returns its offset. */
static size_t name(struct buf *w, const char *s)
{
    size_t at = labels(w, s);
    u8(w, 0);
    return at;
}

static void ptr(struct buf *w, size_t off)
{
    be16(w, 0xC000 | (unsigned)off);
}

static void header(struct buf *w, unsigned id, unsigned flags, unsigned qd, unsigned an,
                   unsigned ns, unsigned ar)
{
    w->n = 0;
    be16(w, id);
    be16(w, flags);
    be16(w, qd);
    be16(w, an);
    be16(w, ns);
    be16(w, ar);
}

/* Type, class, TTL and a placeholder RDLENGTH; returns where RDLENGTH goes. */
static size_t rr_fixed(struct buf *w, unsigned type, unsigned rclass, uint32_t ttl)
{
    be16(w, type);
    be16(w, rclass);
    be32(w, ttl);
    size_t at = w->n;
    be16(w, 0);
    return at;
}

/* Patches RDLENGTH at @p at to cover everything written since. */
static void rdlen_done(struct buf *w, size_t at)
{
    size_t n = w->n - at - 2;
    w->b[at] = (uint8_t)(n >> 8);
    w->b[at + 1] = (uint8_t)n;
}

static uint8_t *dup_exact(const uint8_t *src, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, src, n);
    return p;
}

/* Parses @p n bytes of @p w from an exactly sized heap copy. */
static enum dis_status parse_n(const struct buf *w, size_t n, struct dis_dns_msg *m)
{
    uint8_t *p = dup_exact(w->b, n);
    enum dis_status st = dis_dns_parse(p, n, m);
    free(p);
    return st;
}

static enum dis_status parse(const struct buf *w, struct dis_dns_msg *m)
{
    return parse_n(w, w->n, m);
}

static struct dis_addr v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    struct dis_addr x;
    memset(&x, 0, sizeof x);
    x.family = 4;
    x.b[0] = (uint8_t)a, x.b[1] = (uint8_t)b, x.b[2] = (uint8_t)c, x.b[3] = (uint8_t)d;
    return x;
}

static const char *str(const struct dis_dns_name *n)
{
    static char s[DIS_DNS_NAME_STRLEN];
    return dis_dns_name_str(n, s, sizeof s);
}

#define BLOB "sensoeustorage.blob.core.windows.net"
#define BLOB_CANON "blob.ams23prdstr02a.store.core.windows.net"
#define STURN "senso-sturn-northeu.cloudapp.net"

/* ---- vectors ---- */

/* Query: id 0x1234, RD, A? sensoeustorage.blob.core.windows.net, EDNS 1232 with DO clear. */
static void v_query(struct buf *w)
{
    header(w, 0x1234, 0x0100, 1, 0, 0, 1);
    name(w, BLOB);
    be16(w, DIS_DNS_T_A);
    be16(w, DIS_DNS_C_IN);
    u8(w, 0);
    size_t at = rr_fixed(w, DIS_DNS_T_OPT, 1232, 0);
    rdlen_done(w, at);
}

/*
 * Response: BLOB CNAME BLOB_CANON (TTL 60), BLOB_CANON A 192.0.2.33 (TTL 30). The CNAME owner
 * points at the question, its target ends with a pointer to "core.windows.net" inside the
 * question, and the A owner points at the CNAME target.
 */
static void v_cname_chain(struct buf *w)
{
    header(w, 0x1234, 0x8180, 1, 2, 0, 0);
    size_t q = name(w, BLOB);
    be16(w, DIS_DNS_T_A);
    be16(w, DIS_DNS_C_IN);
    ptr(w, q);
    size_t at = rr_fixed(w, DIS_DNS_T_CNAME, DIS_DNS_C_IN, 60);
    size_t target = labels(w, "blob.ams23prdstr02a.store");
    ptr(w, q + 1 + 14 + 1 + 4); /* "core.windows.net" */
    rdlen_done(w, at);
    ptr(w, target);
    at = rr_fixed(w, DIS_DNS_T_A, DIS_DNS_C_IN, 30);
    u8(w, 192), u8(w, 0), u8(w, 2), u8(w, 33);
    rdlen_done(w, at);
}

/*
 * Two CNAMEs in reverse order, the question in 0x20 mixed case: the A record first, then
 * x.trafficmanager.net CNAME y.cloudapp.azure.com, then STURN CNAME x.trafficmanager.net.
 * Plus an unrelated A record whose owner is not on the chain.
 */
static void v_chain_reversed(struct buf *w)
{
    header(w, 0x0203, 0x8180, 1, 4, 0, 0);
    size_t q = name(w, "Senso-Sturn-NorthEU.cloudapp.NET");
    be16(w, DIS_DNS_T_A);
    be16(w, DIS_DNS_C_IN);
    size_t y = name(w, "y.cloudapp.azure.com");
    size_t at = rr_fixed(w, DIS_DNS_T_A, DIS_DNS_C_IN, 10);
    u8(w, 198), u8(w, 51), u8(w, 100), u8(w, 7);
    rdlen_done(w, at);
    size_t x = name(w, "x.trafficmanager.net");
    at = rr_fixed(w, DIS_DNS_T_CNAME, DIS_DNS_C_IN, 300);
    ptr(w, y);
    rdlen_done(w, at);
    ptr(w, q);
    at = rr_fixed(w, DIS_DNS_T_CNAME, DIS_DNS_C_IN, 3600);
    ptr(w, x);
    rdlen_done(w, at);
    name(w, "unrelated.example");
    at = rr_fixed(w, DIS_DNS_T_A, DIS_DNS_C_IN, 10);
    u8(w, 203), u8(w, 0), u8(w, 113), u8(w, 9);
    rdlen_done(w, at);
}

/* AAAA? sensoeugeneral.blob.core.windows.net -> 2001:db8::33, TTL 120, AA set. */
static void v_aaaa(struct buf *w)
{
    header(w, 0x4444, 0x8580, 1, 1, 0, 0);
    size_t q = name(w, "sensoeugeneral.blob.core.windows.net");
    be16(w, DIS_DNS_T_AAAA);
    be16(w, DIS_DNS_C_IN);
    ptr(w, q);
    size_t at = rr_fixed(w, DIS_DNS_T_AAAA, DIS_DNS_C_IN, 120);
    static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x33};
    raw(w, a6, sizeof a6);
    rdlen_done(w, at);
}

/* NXDOMAIN for senso-sturn-northeu.cloudapp.net with the cloudapp.net SOA in authority. */
static void v_nxdomain(struct buf *w)
{
    header(w, 0x5555, 0x8183, 1, 0, 1, 0);
    size_t q = name(w, STURN);
    be16(w, DIS_DNS_T_A);
    be16(w, DIS_DNS_C_IN);
    ptr(w, q + 1 + 19); /* cloudapp.net */
    size_t at = rr_fixed(w, DIS_DNS_T_SOA, DIS_DNS_C_IN, 900);
    name(w, "ns1-39.azure-dns.com");
    labels(w, "azuredns-hostmaster.microsoft");
    u8(w, 3), raw(w, "com", 3), u8(w, 0);
    be32(w, 1);
    be32(w, 3600);
    be32(w, 300);
    be32(w, 2419200);
    be32(w, 60);
    rdlen_done(w, at);
}

/* A header-and-question response with RCODE @p rcode. */
static void v_rcode(struct buf *w, unsigned rcode)
{
    header(w, 0x6666, 0x8180 | rcode, 1, 0, 0, 0);
    name(w, "sensologarchivestorage.blob.core.windows.net");
    be16(w, DIS_DNS_T_A);
    be16(w, DIS_DNS_C_IN);
}

static void v_servfail(struct buf *w)
{
    v_rcode(w, DIS_DNS_RCODE_SERVFAIL);
}

static void v_refused(struct buf *w)
{
    v_rcode(w, DIS_DNS_RCODE_REFUSED);
}

/* BADVERS: header RCODE 0, OPT extended RCODE 1 -> 16; version 0, DO set, one option. */
static void v_badvers(struct buf *w)
{
    header(w, 0x7777, 0x8100, 1, 0, 0, 1);
    name(w, "senso.cloud");
    be16(w, DIS_DNS_T_A);
    be16(w, DIS_DNS_C_IN);
    u8(w, 0);
    size_t at = rr_fixed(w, DIS_DNS_T_OPT, 4096, 0x01008000);
    be16(w, 10); /* COOKIE */
    be16(w, 8);
    be32(w, 0x01020304);
    be32(w, 0x05060708);
    rdlen_done(w, at);
}

/* HTTPS? api.senso.cloud: priority 1, TargetName ".", alpn h2,h3, port 443, ipv4hint x2, ech. */
static void v_https(struct buf *w)
{
    header(w, 0x8888, 0x8180, 1, 1, 0, 0);
    size_t q = name(w, "api.senso.cloud");
    be16(w, DIS_DNS_T_HTTPS);
    be16(w, DIS_DNS_C_IN);
    ptr(w, q);
    size_t at = rr_fixed(w, DIS_DNS_T_HTTPS, DIS_DNS_C_IN, 300);
    be16(w, 1);
    u8(w, 0);
    be16(w, 1); /* alpn */
    be16(w, 6);
    u8(w, 2), raw(w, "h2", 2), u8(w, 2), raw(w, "h3", 2);
    be16(w, 3); /* port */
    be16(w, 2);
    be16(w, 443);
    be16(w, 4); /* ipv4hint */
    be16(w, 8);
    u8(w, 192), u8(w, 0), u8(w, 2), u8(w, 10);
    u8(w, 192), u8(w, 0), u8(w, 2), u8(w, 11);
    be16(w, 5); /* ech */
    be16(w, 3);
    u8(w, 0xfe), u8(w, 0x0d), u8(w, 0);
    rdlen_done(w, at);
}

/* A filter's sinkhole: BLOB A 0.0.0.0. */
static void v_sinkhole(struct buf *w)
{
    header(w, 0x9999, 0x8180, 1, 1, 0, 0);
    size_t q = name(w, BLOB);
    be16(w, DIS_DNS_T_A);
    be16(w, DIS_DNS_C_IN);
    ptr(w, q);
    size_t at = rr_fixed(w, DIS_DNS_T_A, DIS_DNS_C_IN, 10);
    be32(w, 0);
    rdlen_done(w, at);
}

typedef void (*vector_fn)(struct buf *w);
static const vector_fn valid[] = {v_query,    v_cname_chain, v_chain_reversed, v_aaaa,  v_nxdomain,
                                  v_servfail, v_refused,     v_badvers,        v_https, v_sinkhole};

/* ---- parser ---- */

static void test_query(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    v_query(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.id, 0x1234);
    assert_false(m.qr);
    assert_true(m.rd);
    assert_int_equal(m.opcode, DIS_DNS_OP_QUERY);
    assert_int_equal(m.qdcount, 1);
    assert_int_equal(m.arcount, 1);
    assert_true(m.has_question);
    assert_string_equal(m.qname, BLOB);
    assert_int_equal(m.qtype, DIS_DNS_T_A);
    assert_int_equal(m.qclass, DIS_DNS_C_IN);
    assert_int_equal(m.n_answers, 0);
    assert_true(m.has_opt);
    assert_int_equal(m.edns_udp_size, 1232);
    assert_int_equal(m.rcode, 0);
    assert_int_equal(m.flags, 0);
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_OK);
}

static void test_cname_chain(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    v_cname_chain(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_true(m.qr && m.rd && m.ra);
    assert_false(m.aa);
    assert_int_equal(m.rcode, DIS_DNS_RCODE_NOERROR);
    assert_string_equal(m.qname, BLOB);
    assert_int_equal(m.n_answers, 2);
    assert_string_equal(str(&m.answers[0].owner), BLOB);
    assert_int_equal(m.answers[0].type, DIS_DNS_T_CNAME);
    assert_int_equal(m.answers[0].ttl, 60);
    assert_int_equal(m.answers[0].rdlength, 28);
    assert_string_equal(str(&m.answers[0].target), BLOB_CANON);
    assert_string_equal(str(&m.answers[1].owner), BLOB_CANON);
    assert_int_equal(m.answers[1].type, DIS_DNS_T_A);
    assert_int_equal(m.answers[1].ttl, 30);
    struct dis_addr a = v4(192, 0, 2, 33);
    assert_int_equal(dis_addr_cmp(&m.answers[1].addr, &a), 0);
    assert_false(dis_dns_addr_sinkhole(&m.answers[1].addr));
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_OK);
}

static void test_aaaa(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    v_aaaa(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_true(m.aa);
    assert_int_equal(m.qtype, DIS_DNS_T_AAAA);
    assert_int_equal(m.n_answers, 1);
    char s[64];
    assert_int_equal(m.answers[0].addr.family, 6);
    assert_string_equal(dis_addr_str(&m.answers[0].addr, s, sizeof s), "2001:db8::33");
    assert_int_equal(m.answers[0].ttl, 120);
}

static void test_nxdomain_soa(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    v_nxdomain(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.rcode, DIS_DNS_RCODE_NXDOMAIN);
    assert_string_equal(dis_dns_rcode_name(m.rcode), "NXDOMAIN");
    assert_string_equal(m.qname, STURN);
    assert_int_equal(m.n_answers, 0);
    assert_int_equal(m.nscount, 1);
    assert_true(m.has_soa);
    assert_int_equal(m.soa_ttl, 900);
    assert_int_equal(m.soa_minimum, 60);
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_OK);
}

static void test_servfail_refused(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    v_servfail(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.rcode, DIS_DNS_RCODE_SERVFAIL);
    assert_string_equal(dis_dns_rcode_name(m.rcode), "SERVFAIL");
    assert_string_equal(m.qname, "sensologarchivestorage.blob.core.windows.net");
    assert_false(m.has_soa);
    v_refused(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.rcode, DIS_DNS_RCODE_REFUSED);
    assert_string_equal(dis_dns_rcode_name(m.rcode), "REFUSED");
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_OK);
    /* An error response without a question is still DNS. */
    header(&w, 1, 0x8185, 0, 0, 0, 0);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_false(m.has_question);
    assert_string_equal(m.qname, "");
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_OK);
}

static void test_extended_rcode(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    v_badvers(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.rcode, DIS_DNS_RCODE_BADVERS);
    assert_string_equal(dis_dns_rcode_name(m.rcode), "BADVERS");
    assert_true(m.has_opt);
    assert_true(m.edns_do);
    assert_int_equal(m.edns_version, 0);
    assert_int_equal(m.edns_udp_size, 4096);

    /* A second OPT record contradicts RFC 6891 §6.1.1. */
    w.b[11] = 2;
    u8(&w, 0);
    size_t at = rr_fixed(&w, DIS_DNS_T_OPT, 512, 0);
    rdlen_done(&w, at);
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);
    /* An OPT option running past RDLENGTH. */
    v_badvers(&w);
    w.b[w.n - 9] = 9; /* option length 8 -> 9 */
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);
}

static void test_https(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    v_https(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.qtype, DIS_DNS_T_HTTPS);
    assert_string_equal(dis_dns_type_name(m.qtype), "HTTPS");
    assert_int_equal(m.n_answers, 1);
    const struct dis_dns_rr *rr = &m.answers[0];
    assert_int_equal(rr->type, DIS_DNS_T_HTTPS);
    assert_int_equal(rr->svcb.priority, 1);
    assert_string_equal(str(&rr->target), ".");
    assert_int_equal(rr->svcb.n_alpn, 2);
    assert_string_equal(rr->svcb.alpn[0], "h2");
    assert_string_equal(rr->svcb.alpn[1], "h3");
    assert_int_equal(rr->svcb.alpn_dropped, 0);
    assert_int_equal(rr->svcb.port, 443);
    assert_true(rr->svcb.ech);
    assert_false(rr->svcb.no_default_alpn);
    assert_int_equal(rr->svcb.n_hints, 2);
    struct dis_addr a = v4(192, 0, 2, 10), b = v4(192, 0, 2, 11);
    assert_int_equal(dis_addr_cmp(&rr->svcb.hint[0], &a), 0);
    assert_int_equal(dis_addr_cmp(&rr->svcb.hint[1], &b), 0);

    /* Keys out of order (alpn, dohpath, ipv4hint) are malformed (RFC 9460 §2.2). */
    size_t alpn_key = 12 + 17 + 4 + 2 + 10 + 3;
    size_t port_key = alpn_key + 4 + 6;
    assert_int_equal(w.b[alpn_key + 1], 1);
    assert_int_equal(w.b[port_key + 1], 3);
    w.b[port_key + 1] = 7;
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);
    /* An empty alpn-id is malformed. */
    v_https(&w);
    w.b[alpn_key + 4] = 0;
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);
    /* ipv4hint of 7 bytes: not a multiple of 4. */
    v_https(&w);
    size_t v4key = port_key + 4 + 2;
    assert_int_equal(w.b[v4key + 1], 4);
    w.b[v4key + 3] = 7;
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);
    /* A compressed TargetName is not allowed in SVCB (RFC 9460 §2.2). */
    header(&w, 1, 0x8180, 1, 1, 0, 0);
    size_t q = name(&w, "api.senso.cloud");
    be16(&w, DIS_DNS_T_HTTPS);
    be16(&w, DIS_DNS_C_IN);
    ptr(&w, q);
    size_t at = rr_fixed(&w, DIS_DNS_T_HTTPS, DIS_DNS_C_IN, 300);
    be16(&w, 0);
    ptr(&w, q + 4);
    rdlen_done(&w, at);
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);
}

static void test_https_limits(void **state)
{
    (void)state;
    /* ServiceMode with five alpn ids (one too many), one ipv6hint, TargetName elsewhere. */
    struct buf w;
    struct dis_dns_msg m;
    header(&w, 1, 0x8180, 1, 2, 0, 0);
    size_t q = name(&w, "senso.cloud");
    be16(&w, DIS_DNS_T_HTTPS);
    be16(&w, DIS_DNS_C_IN);
    ptr(&w, q);
    size_t at = rr_fixed(&w, DIS_DNS_T_HTTPS, DIS_DNS_C_IN, 60);
    be16(&w, 2);
    name(&w, "svc.senso.cloud");
    be16(&w, 1);
    be16(&w, 9 + 3 + 3 + 2 + 2);
    u8(&w, 8), raw(&w, "http/1.1", 8);
    u8(&w, 2), raw(&w, "h2", 2), u8(&w, 2), raw(&w, "h3", 2), u8(&w, 1), u8(&w, 'x');
    u8(&w, 1), u8(&w, 0xC3);
    be16(&w, 6);
    be16(&w, 16);
    static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x44};
    raw(&w, a6, sizeof a6);
    rdlen_done(&w, at);
    /* AliasMode with a parameter: ignored, flagged. */
    ptr(&w, q);
    at = rr_fixed(&w, DIS_DNS_T_HTTPS, DIS_DNS_C_IN, 60);
    be16(&w, 0);
    name(&w, "alias.senso.cloud");
    be16(&w, 3);
    be16(&w, 2);
    be16(&w, 8443);
    rdlen_done(&w, at);
    assert_int_equal(parse(&w, &m), DIS_OK);
    const struct dis_dns_svcb *s = &m.answers[0].svcb;
    assert_int_equal(s->priority, 2);
    assert_string_equal(str(&m.answers[0].target), "svc.senso.cloud");
    assert_int_equal(s->n_alpn, 4);
    assert_int_equal(s->alpn_dropped, 1);
    assert_string_equal(s->alpn[0], "http/1.1");
    assert_string_equal(s->alpn[3], "x");
    assert_int_equal(s->n_hints, 1);
    assert_int_equal(s->hint[0].family, 6);
    assert_int_equal(s->hint[0].b[15], 0x44);
    assert_int_equal(m.answers[1].svcb.priority, 0);
    assert_int_equal(m.answers[1].svcb.port, 0);
    assert_int_equal(m.flags, DIS_DNS_F_ALIAS_PARAMS);

    /* The hints map to the asked name; canon is the TargetName. */
    struct dis_dns_map *map = dis_dns_map_new(4, 0, (char[SS_ERRBUF_SIZE]){0});
    assert_non_null(map);
    struct dis_addr client = v4(10, 0, 0, 9);
    assert_int_equal(dis_dns_map_add_response(map, &client, &m, 1), 1);
    struct dis_dns_map_result r;
    assert_true(dis_dns_map_lookup(map, &client, &s->hint[0], 1, &r));
    assert_string_equal(r.name, "senso.cloud");
    assert_string_equal(r.canon, "svc.senso.cloud");
    assert_true(r.from_hint);
    dis_dns_map_free(map);
}

static void test_sinkhole(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    v_sinkhole(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.n_answers, 1);
    struct dis_addr zero = v4(0, 0, 0, 0), lo = v4(127, 0, 0, 1), pub = v4(192, 0, 2, 1);
    assert_int_equal(dis_addr_cmp(&m.answers[0].addr, &zero), 0);
    assert_true(dis_dns_addr_sinkhole(&m.answers[0].addr));
    assert_true(dis_dns_addr_sinkhole(&lo));
    assert_false(dis_dns_addr_sinkhole(&pub));
    struct dis_addr six;
    memset(&six, 0, sizeof six);
    six.family = 6;
    assert_true(dis_dns_addr_sinkhole(&six));
    six.b[15] = 1;
    assert_true(dis_dns_addr_sinkhole(&six));
    six.b[0] = 0x20;
    assert_false(dis_dns_addr_sinkhole(&six));
}

/* A query whose question name is whatever @p fill writes at offset 12. */
static enum dis_status question_with(void (*fill)(struct buf *w), struct dis_dns_msg *m)
{
    struct buf w;
    header(&w, 1, 0x0100, 1, 0, 0, 0);
    fill(&w);
    be16(&w, DIS_DNS_T_A);
    be16(&w, DIS_DNS_C_IN);
    for (int i = 0; i < 40; i++) /* room for forward targets */
        u8(&w, 0);
    return parse(&w, m);
}

static void q_forward(struct buf *w)
{
    ptr(w, 30);
}

static void q_self(struct buf *w)
{
    ptr(w, 12);
}

static void q_loop(struct buf *w)
{
    labels(w, "a"); /* at 12: "a", then a pointer at 14 back to 12 */
    ptr(w, 12);
}

static void q_header(struct buf *w)
{
    ptr(w, 4);
}

static void q_label64(struct buf *w)
{
    u8(w, 64);
    for (int i = 0; i < 64; i++)
        u8(w, 'x');
    u8(w, 0);
}

static void q_label128(struct buf *w)
{
    u8(w, 0x80);
    u8(w, 0);
}

static void q_long(struct buf *w)
{
    for (int l = 0; l < 5; l++) {
        u8(w, 63);
        for (int i = 0; i < 63; i++)
            u8(w, 'a');
    }
    u8(w, 0);
}

/* 3 x 63 + 61 content octets: 255 octets with length and root octets - the largest name. */
static void q_255(struct buf *w)
{
    for (int l = 0; l < 4; l++) {
        int n = l < 3 ? 63 : 61;
        u8(w, (unsigned)n);
        for (int i = 0; i < n; i++)
            u8(w, 'a' + (unsigned)l);
    }
    u8(w, 0);
}

static void q_256(struct buf *w)
{
    for (int l = 0; l < 4; l++) {
        int n = l < 3 ? 63 : 62;
        u8(w, (unsigned)n);
        for (int i = 0; i < n; i++)
            u8(w, 'a');
    }
    u8(w, 0);
}

static void q_odd_bytes(struct buf *w)
{
    static const uint8_t l1[] = {'a', '.', 'b', ' ', 0xff, '\\', '"', 0};
    u8(w, sizeof l1);
    raw(w, l1, sizeof l1);
    name(w, "Example");
}

static void q_root(struct buf *w)
{
    u8(w, 0);
}

static void test_bad_names(void **state)
{
    (void)state;
    struct dis_dns_msg m;
    assert_int_equal(question_with(q_forward, &m), DIS_MALFORMED);
    assert_int_equal(question_with(q_self, &m), DIS_MALFORMED);
    assert_int_equal(question_with(q_loop, &m), DIS_MALFORMED);
    assert_int_equal(question_with(q_header, &m), DIS_MALFORMED);
    assert_int_equal(question_with(q_label64, &m), DIS_MALFORMED);
    assert_int_equal(question_with(q_label128, &m), DIS_MALFORMED);
    assert_int_equal(question_with(q_long, &m), DIS_MALFORMED);
    assert_int_equal(question_with(q_256, &m), DIS_MALFORMED);
    assert_int_equal(question_with(q_255, &m), DIS_OK);
    assert_int_equal(m.qname_wire.len, 255);
    assert_int_equal(strlen(m.qname), 3 * 63 + 61 + 3);

    /* Compression can also build a name over 255 octets: a question of three 63-octet labels
     * (193 octets), an owner of 61 + 1 octets and a pointer to the question: 257. */
    struct buf w;
    header(&w, 1, 0x8180, 1, 1, 0, 0);
    for (int l = 0; l < 3; l++) {
        u8(&w, 63);
        for (int i = 0; i < 63; i++)
            u8(&w, 'a');
    }
    u8(&w, 0);
    be16(&w, DIS_DNS_T_A);
    be16(&w, DIS_DNS_C_IN);
    u8(&w, 61);
    for (int i = 0; i < 61; i++)
        u8(&w, 'c');
    u8(&w, 1);
    u8(&w, 'b');
    ptr(&w, 12);
    size_t at = rr_fixed(&w, DIS_DNS_T_A, DIS_DNS_C_IN, 1);
    be32(&w, 0);
    rdlen_done(&w, at);
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);

    /* A pointer to a pointer to the question is fine: targets decrease. */
    header(&w, 1, 0x8180, 1, 2, 0, 0);
    size_t q = name(&w, "senso.cloud");
    be16(&w, DIS_DNS_T_A);
    be16(&w, DIS_DNS_C_IN);
    size_t p1 = w.n;
    ptr(&w, q);
    at = rr_fixed(&w, DIS_DNS_T_A, DIS_DNS_C_IN, 1);
    be32(&w, 0x0a000001);
    rdlen_done(&w, at);
    ptr(&w, p1);
    at = rr_fixed(&w, DIS_DNS_T_A, DIS_DNS_C_IN, 1);
    be32(&w, 0x0a000002);
    rdlen_done(&w, at);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_string_equal(str(&m.answers[1].owner), "senso.cloud");
}

static void test_escaping(void **state)
{
    (void)state;
    struct dis_dns_msg m;
    struct buf w;
    header(&w, 1, 0x0100, 1, 0, 0, 0);
    q_odd_bytes(&w);
    be16(&w, DIS_DNS_T_A);
    be16(&w, DIS_DNS_C_IN);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_string_equal(m.qname, "a\\046b\\032\\255\\092\\034\\000.Example");
    /* A short buffer cuts at a whole character, NUL-terminated. */
    char s[8];
    assert_string_equal(dis_dns_name_str(&m.qname_wire, s, sizeof s), "a\\046b");
    header(&w, 1, 0x0100, 1, 0, 0, 0);
    q_root(&w);
    be16(&w, DIS_DNS_T_NS);
    be16(&w, DIS_DNS_C_IN);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_string_equal(m.qname, ".");
    /* Case-insensitive equality. */
    struct dis_dns_name a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.len = b.len = 7;
    memcpy(a.b, "\005Senso\0", 7);
    memcpy(b.b, "\005sENSO\0", 7);
    assert_true(dis_dns_name_eq(&a, &b));
    b.b[3] = 'x';
    assert_false(dis_dns_name_eq(&a, &b));
}

static void test_rdata_contradictions(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    /* A record with RDLENGTH 5. */
    v_sinkhole(&w);
    w.b[w.n - 5] = 5;
    u8(&w, 0);
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);
    assert_int_equal(m.n_answers, 0);
    /* CNAME whose target does not fill RDLENGTH. */
    v_cname_chain(&w);
    size_t rdl = 12 + 38 + 4 + 2 + 8;
    assert_int_equal(w.b[rdl + 1], 28);
    struct buf w2 = w;
    w2.n = rdl + 2 + 28;
    w2.b[rdl + 1] = 29;
    u8(&w2, 0xAA);
    for (size_t i = rdl + 2 + 28; i < w.n; i++)
        u8(&w2, w.b[i]);
    assert_int_equal(parse(&w2, &m), DIS_MALFORMED);
    /* A CNAME target running past RDLENGTH. */
    w.b[rdl + 1] = 20;
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);
    /* Trailing bytes are only flagged. */
    v_cname_chain(&w);
    u8(&w, 0);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.flags, DIS_DNS_F_TRAILING);
    /* Unassigned opcode. */
    v_query(&w);
    w.b[2] = 0x18; /* opcode 3 */
    assert_int_equal(parse(&w, &m), DIS_NOT_MINE);
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_NOT_MINE);
    /* Counts larger than the data: truncated (or malformed, for a caller that knows). */
    v_query(&w);
    w.b[7] = 10;
    assert_int_equal(parse(&w, &m), DIS_TRUNCATED);
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_NOT_MINE);
}

static void test_update(void **state)
{
    (void)state;
    /* RFC 2136 UPDATE: zone senso.cloud SOA; prerequisite "www CNAME exists" (class ANY,
     * empty RDATA); update "delete the www SOA RRset" (class ANY, empty RDATA). */
    struct buf w;
    struct dis_dns_msg m;
    header(&w, 7, 0x2800, 1, 1, 1, 0);
    size_t z = name(&w, "senso.cloud");
    be16(&w, DIS_DNS_T_SOA);
    be16(&w, DIS_DNS_C_IN);
    size_t www = labels(&w, "www");
    ptr(&w, z);
    size_t at = rr_fixed(&w, DIS_DNS_T_CNAME, 255, 0);
    rdlen_done(&w, at);
    ptr(&w, www);
    at = rr_fixed(&w, DIS_DNS_T_SOA, 255, 0);
    rdlen_done(&w, at);
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_OK);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.opcode, DIS_DNS_OP_UPDATE);
    assert_string_equal(m.qname, "senso.cloud");
    assert_int_equal(m.n_answers, 1);
    assert_int_equal(m.answers[0].type, DIS_DNS_T_CNAME);
    assert_int_equal(m.answers[0].rdlength, 0);
    assert_false(m.has_soa);
}

static void test_many_answers(void **state)
{
    (void)state;
    struct buf w;
    struct dis_dns_msg m;
    header(&w, 1, 0x8180, 1, 40, 0, 0);
    size_t q = name(&w, "senso.cloud");
    be16(&w, DIS_DNS_T_A);
    be16(&w, DIS_DNS_C_IN);
    for (unsigned i = 0; i < 40; i++) {
        ptr(&w, q);
        size_t at = rr_fixed(&w, DIS_DNS_T_A, DIS_DNS_C_IN, 5);
        be32(&w, 0x0a000000 + i);
        rdlen_done(&w, at);
    }
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.n_answers, DIS_DNS_MAX_ANSWERS);
    assert_int_equal(m.answers_dropped, 8);
    assert_int_equal(m.answers[31].addr.b[3], 31);
    /* The dropped ones are still checked. */
    w.b[w.n - 5] = 3;
    assert_int_equal(parse(&w, &m), DIS_MALFORMED);
}

static void test_every_cut(void **state)
{
    (void)state;
    struct dis_dns_msg m;
    for (size_t v = 0; v < sizeof valid / sizeof valid[0]; v++) {
        struct buf w;
        valid[v](&w);
        assert_int_equal(parse(&w, &m), DIS_OK);
        assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_OK);
        for (size_t n = 0; n < w.n; n++) {
            enum dis_status st = parse_n(&w, n, &m);
            if (st != DIS_TRUNCATED)
                fail_msg("vector %zu cut at %zu: %s", v, n, dis_status_name(st));
            uint8_t *p = dup_exact(w.b, n);
            st = dis_dns_probe(p, n, w.n);
            assert_true(st == DIS_OK || st == DIS_TRUNCATED);
            st = dis_dns_probe(p, n, n);
            assert_true(st == DIS_OK || st == DIS_TRUNCATED || st == DIS_NOT_MINE);
            free(p);
        }
    }
}

static void test_probe(void **state)
{
    (void)state;
    static const char http[] = "GET / HTTP/1.1\r\nHost: senso.cloud\r\n\r\n";
    assert_int_equal(dis_dns_probe((const uint8_t *)http, strlen(http), strlen(http)),
                     DIS_NOT_MINE);
    /* STUN Binding request: type 0x0001, length 0, magic cookie, transaction id. */
    static const uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                                     3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
    assert_int_equal(dis_dns_probe(stun, sizeof stun, sizeof stun), DIS_NOT_MINE);
    /* TLS ClientHello record start. */
    static const uint8_t tls[16] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01,
                                    0xfc, 0x03, 0x03, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
    assert_int_equal(dis_dns_probe(tls, sizeof tls, sizeof tls), DIS_NOT_MINE);
    assert_int_equal(dis_dns_probe(tls, 4, 4), DIS_NOT_MINE);
    struct buf w;
    v_query(&w);
    assert_int_equal(dis_dns_probe(w.b, 20, w.n), DIS_TRUNCATED);
    /* A query with an RCODE, a query with two questions, an unknown class. */
    w.b[3] = 0x03;
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_NOT_MINE);
    v_query(&w);
    w.b[5] = 2;
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_NOT_MINE);
    v_query(&w);
    w.b[12 + 38 + 3] = 9;
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_NOT_MINE);
    /* A DSO keepalive header (all counts zero). */
    header(&w, 0, 0x3000, 0, 0, 0, 0);
    assert_int_equal(dis_dns_probe(w.b, w.n, w.n), DIS_OK);
    struct dis_dns_msg m;
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.opcode, DIS_DNS_OP_DSO);
}

static void test_tcp_frame(void **state)
{
    (void)state;
    struct buf a, b, s;
    v_query(&a);
    v_cname_chain(&b);
    s.n = 0;
    be16(&s, (unsigned)a.n);
    raw(&s, a.b, a.n);
    be16(&s, (unsigned)b.n);
    raw(&s, b.b, b.n);
    uint8_t *p = dup_exact(s.b, s.n);
    const uint8_t *msg;
    size_t len, used;
    assert_int_equal(dis_dns_tcp_frame(p, s.n, &msg, &len, &used), DIS_OK);
    assert_ptr_equal(msg, p + 2);
    assert_int_equal(len, a.n);
    assert_int_equal(used, a.n + 2);
    struct dis_dns_msg m;
    assert_int_equal(dis_dns_parse(msg, len, &m), DIS_OK);
    assert_false(m.qr);
    assert_int_equal(dis_dns_tcp_frame(p + used, s.n - used, &msg, &len, &used), DIS_OK);
    assert_int_equal(len, b.n);
    assert_int_equal(dis_dns_parse(msg, len, &m), DIS_OK);
    assert_true(m.qr);
    assert_int_equal(m.n_answers, 2);
    free(p);

    /* The second message split across two segments: every prefix needs more. */
    for (size_t n = 0; n < b.n + 2; n++) {
        p = dup_exact(s.b + a.n + 2, n);
        assert_int_equal(dis_dns_tcp_frame(p, n, &msg, &len, &used), DIS_NEED_MORE);
        free(p);
    }
    /* A length below the DNS header: not a DNS stream. */
    static const uint8_t bad[] = {0x00, 0x05, 1, 2, 3, 4, 5};
    assert_int_equal(dis_dns_tcp_frame(bad, sizeof bad, &msg, &len, &used), DIS_MALFORMED);
}

/* ---- answer map ---- */

static struct dis_dns_map *map_new(uint32_t cap)
{
    char err[SS_ERRBUF_SIZE];
    struct dis_dns_map *map = dis_dns_map_new(cap, 42, err);
    assert_non_null(map);
    return map;
}

#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

static void test_map_chain(void **state)
{
    (void)state;
    struct dis_dns_map *map = map_new(64);
    struct buf w;
    struct dis_dns_msg m;
    v_cname_chain(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    struct dis_addr client = v4(10, 0, 0, 5), other = v4(10, 0, 0, 6), a = v4(192, 0, 2, 33);
    assert_int_equal(dis_dns_map_add_response(map, &client, &m, T0), 1);

    struct dis_dns_map_result r;
    assert_true(dis_dns_map_lookup(map, &client, &a, T0 + 10 * SEC, &r));
    assert_string_equal(r.name, BLOB);
    assert_string_equal(r.canon, BLOB_CANON);
    assert_int_equal(r.cnames, 1);
    assert_int_equal(r.ttl, 30); /* min(CNAME 60, A 30) */
    assert_int_equal(r.qtype, DIS_DNS_T_A);
    assert_true(r.answered_ns == T0);
    assert_false(r.expired);
    assert_false(r.from_hint);
    assert_true(dis_dns_map_lookup(map, &client, &a, T0 + 31 * SEC, &r));
    assert_true(r.expired);
    assert_false(dis_dns_map_lookup(map, &other, &a, T0, &r));
    struct dis_addr b = v4(192, 0, 2, 34);
    assert_false(dis_dns_map_lookup(map, &client, &b, T0, &r));

    /* The query itself and error answers add nothing. */
    v_query(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(dis_dns_map_add_response(map, &client, &m, T0), 0);
    v_nxdomain(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(dis_dns_map_add_response(map, &client, &m, T0), 0);

    /* Answered again later: updated, not duplicated. */
    v_cname_chain(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(dis_dns_map_add_response(map, &client, &m, T0 + 100 * SEC), 1);
    assert_true(dis_dns_map_lookup(map, &client, &a, T0 + 110 * SEC, &r));
    assert_false(r.expired);
    struct dis_dns_map_stats st;
    dis_dns_map_stats(map, &st);
    assert_int_equal(st.count, 1);
    assert_int_equal(st.inserted, 1);
    assert_int_equal(st.updated, 1);
    assert_int_equal(st.capacity, 64);
    dis_dns_map_free(map);
}

static void test_map_reversed_chain(void **state)
{
    (void)state;
    struct dis_dns_map *map = map_new(64);
    struct buf w;
    struct dis_dns_msg m;
    v_chain_reversed(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(m.n_answers, 4);
    struct dis_addr client = v4(10, 0, 0, 5), a = v4(198, 51, 100, 7), u = v4(203, 0, 113, 9);
    assert_int_equal(dis_dns_map_add_response(map, &client, &m, T0), 1);
    struct dis_dns_map_result r;
    assert_true(dis_dns_map_lookup(map, &client, &a, T0, &r));
    assert_string_equal(r.name, STURN); /* lower case */
    assert_string_equal(r.canon, "y.cloudapp.azure.com");
    assert_int_equal(r.cnames, 2);
    assert_int_equal(r.ttl, 10);
    assert_false(dis_dns_map_lookup(map, &client, &u, T0, &r)); /* not on the chain */
    dis_dns_map_free(map);
}

static void test_map_cname_loop(void **state)
{
    (void)state;
    /* q CNAME b, b CNAME q (a loop), b A 192.0.2.1: the address is still q's. */
    struct buf w;
    struct dis_dns_msg m;
    header(&w, 1, 0x8180, 1, 3, 0, 0);
    size_t q = name(&w, "senso.cloud");
    be16(&w, DIS_DNS_T_A);
    be16(&w, DIS_DNS_C_IN);
    ptr(&w, q);
    size_t at = rr_fixed(&w, DIS_DNS_T_CNAME, DIS_DNS_C_IN, 50);
    size_t b = labels(&w, "b");
    ptr(&w, q);
    rdlen_done(&w, at);
    ptr(&w, b);
    at = rr_fixed(&w, DIS_DNS_T_CNAME, DIS_DNS_C_IN, 50);
    ptr(&w, q);
    rdlen_done(&w, at);
    ptr(&w, b);
    at = rr_fixed(&w, DIS_DNS_T_A, DIS_DNS_C_IN, 70);
    be32(&w, 0xc0000201);
    rdlen_done(&w, at);
    assert_int_equal(parse(&w, &m), DIS_OK);
    struct dis_dns_map *map = map_new(4);
    struct dis_addr client = v4(10, 0, 0, 5), a = v4(192, 0, 2, 1);
    assert_int_equal(dis_dns_map_add_response(map, &client, &m, T0), 1);
    struct dis_dns_map_result r;
    assert_true(dis_dns_map_lookup(map, &client, &a, T0, &r));
    assert_string_equal(r.name, "senso.cloud");
    assert_string_equal(r.canon, "b.senso.cloud");
    assert_int_equal(r.ttl, 50);
    dis_dns_map_free(map);
}

static void test_map_hints_and_aaaa(void **state)
{
    (void)state;
    struct dis_dns_map *map = map_new(64);
    struct buf w;
    struct dis_dns_msg m;
    struct dis_addr client;
    memset(&client, 0, sizeof client);
    client.family = 6;
    client.b[0] = 0xfd, client.b[15] = 5;
    v_https(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(dis_dns_map_add_response(map, &client, &m, T0), 2);
    struct dis_addr h = v4(192, 0, 2, 11);
    struct dis_dns_map_result r;
    assert_true(dis_dns_map_lookup(map, &client, &h, T0, &r));
    assert_string_equal(r.name, "api.senso.cloud");
    assert_string_equal(r.canon, "api.senso.cloud");
    assert_true(r.from_hint);
    assert_int_equal(r.qtype, DIS_DNS_T_HTTPS);

    v_aaaa(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    assert_int_equal(dis_dns_map_add_response(map, &client, &m, T0), 1);
    assert_true(dis_dns_map_lookup(map, &client, &m.answers[0].addr, T0 + 121 * SEC, &r));
    assert_string_equal(r.name, "sensoeugeneral.blob.core.windows.net");
    assert_true(r.expired);
    dis_dns_map_free(map);
}

static void test_map_eviction(void **state)
{
    (void)state;
    struct dis_dns_map *map = map_new(2);
    struct buf w;
    struct dis_dns_msg m;
    v_cname_chain(&w);
    assert_int_equal(parse(&w, &m), DIS_OK);
    struct dis_addr c1 = v4(10, 0, 0, 1), c2 = v4(10, 0, 0, 2), c3 = v4(10, 0, 0, 3);
    struct dis_addr a = v4(192, 0, 2, 33);
    struct dis_dns_map_result r;
    dis_dns_map_add_response(map, &c1, &m, T0);
    dis_dns_map_add_response(map, &c2, &m, T0 + 1);
    assert_true(dis_dns_map_lookup(map, &c1, &a, T0, &r)); /* c1 now most recent */
    dis_dns_map_add_response(map, &c3, &m, T0 + 2);        /* evicts c2 */
    assert_true(dis_dns_map_lookup(map, &c1, &a, T0, &r));
    assert_false(dis_dns_map_lookup(map, &c2, &a, T0, &r));
    assert_true(dis_dns_map_lookup(map, &c3, &a, T0, &r));
    struct dis_dns_map_stats st;
    dis_dns_map_stats(map, &st);
    assert_int_equal(st.count, 2);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.lookups, 4);
    assert_int_equal(st.hits, 3);

    /* Many clients through a small map: the chains stay consistent. */
    for (unsigned i = 0; i < 1000; i++) {
        struct dis_addr c = v4(10, 1, i >> 8, i & 0xFF);
        dis_dns_map_add_response(map, &c, &m, T0 + i);
        assert_true(dis_dns_map_lookup(map, &c, &a, T0 + i, &r));
    }
    dis_dns_map_stats(map, &st);
    assert_int_equal(st.count, 2);

    char err[SS_ERRBUF_SIZE];
    assert_null(dis_dns_map_new(0, 1, err));
    assert_non_null(strstr(err, "capacity"));
    dis_dns_map_free(map);
    dis_dns_map_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_cname_chain),
        cmocka_unit_test(test_aaaa),
        cmocka_unit_test(test_nxdomain_soa),
        cmocka_unit_test(test_servfail_refused),
        cmocka_unit_test(test_extended_rcode),
        cmocka_unit_test(test_https),
        cmocka_unit_test(test_https_limits),
        cmocka_unit_test(test_sinkhole),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_rdata_contradictions),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_many_answers),
        cmocka_unit_test(test_every_cut),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_tcp_frame),
        cmocka_unit_test(test_map_chain),
        cmocka_unit_test(test_map_reversed_chain),
        cmocka_unit_test(test_map_cname_loop),
        cmocka_unit_test(test_map_hints_and_aaaa),
        cmocka_unit_test(test_map_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
