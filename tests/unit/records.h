/* SPDX-License-Identifier: MIT */
/* records.h - test fixtures shared by the store and report tests: flows, STUN, DNS, TLS and
 * HTTP CONNECT events, captures, temp db; the analyzer's sessions, pairs, verdicts, hosts and
 * profile rules. */
#ifndef TESTS_UNIT_RECORDS_H
#define TESTS_UNIT_RECORDS_H

/* Include after defining _POSIX_C_SOURCE 200809L (mkdtemp), like every test here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sto.h"

#define T0_NS 1700000000123456000ull /* 2023-11-14T22:13:20.123456Z */

/* cmocka's assert_float_equal compares as float: too coarse for epoch seconds. */
#define assert_near(a, b, eps) assert_near_((a), (b), (eps), __LINE__)

static inline void assert_near_(double a, double b, double eps, int line)
{
    double d = a > b ? a - b : b - a;

    if (!(d <= eps))
        fail_msg("line %d: %.9f != %.9f (eps %g)", line, a, b, eps);
}

/* ---- temporary database ---- */

/* Makes the directory /tmp/<name>.XXXXXX in @p dir and names <dir>/ss.db in @p path. */
static inline void tmpdb_make(const char *name, char *dir, size_t dir_len, char *path,
                              size_t path_len)
{
    snprintf(dir, dir_len, "/tmp/%s.XXXXXX", name);
    assert_non_null(mkdtemp(dir));
    snprintf(path, path_len, "%s/ss.db", dir);
}

/* Removes the database @p path with its side files, then the (by now empty) directory @p dir. */
static inline void tmpdb_remove(const char *dir, const char *path)
{
    char p[128];
    const char *sfx[] = {"", "-wal", "-shm", "-journal"};

    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* ---- flow records ---- */

static inline void set4(struct dis_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    memset(a, 0, sizeof *a);
    a->family = 4;
    a->b[0] = x;
    a->b[1] = y;
    a->b[2] = z;
    a->b[3] = w;
}

/* 2001:db8::<last> */
static inline void set6(struct dis_addr *a, uint8_t last)
{
    memset(a, 0, sizeof *a);
    a->family = 6;
    a->b[0] = 0x20;
    a->b[1] = 0x01;
    a->b[2] = 0x0d;
    a->b[3] = 0xb8;
    a->b[15] = last;
}

/* TCP 10.0.0.5:51000 -> 93.184.216.34:443, SF, 1.5 s, RTT 12.345 ms. */
static inline struct dis_flow_rec tcp_flow(void)
{
    struct dis_flow_rec f;

    memset(&f, 0, sizeof f);
    f.id = 1;
    f.proto = DIS_IPPROTO_TCP;
    f.ipver = 4;
    set4(&f.orig, 10, 0, 0, 5);
    set4(&f.resp, 93, 184, 216, 34);
    f.orig_port = 51000;
    f.resp_port = 443;
    f.first_ns = T0_NS;
    f.last_ns = T0_NS + 1500000000ull;
    f.pkts[0] = 10;
    f.pkts[1] = 8;
    f.bytes[0] = 1200;
    f.bytes[1] = 5000;
    f.payload[0] = 517;
    f.payload[1] = 4200;
    f.ttl_min[0] = f.ttl_max[0] = 64;
    f.ttl_min[1] = 52;
    f.ttl_max[1] = 53;
    f.rtt_ns = 12345000;
    f.state = DIS_CS_SF;
    snprintf(f.history, sizeof f.history, "ShADadFf");
    snprintf(f.app, sizeof f.app, "TLS");
    snprintf(f.category, sizeof f.category, "Web");
    f.end = DIS_END_IDLE;
    return f;
}

/* UDP [2001:db8::1]:5353 -> [2001:db8::2]:3478, one-way, one ICMPv6 port unreachable, VLAN 100;
 * no history, no category; attributed to the EU TURN host, 12 ChannelData messages, 40 STUN
 * messages of which 3 over the per-flow cap. */
static inline struct dis_flow_rec udp6_flow(void)
{
    struct dis_flow_rec f;

    memset(&f, 0, sizeof f);
    f.id = 2;
    f.proto = DIS_IPPROTO_UDP;
    f.ipver = 6;
    set6(&f.orig, 1);
    set6(&f.resp, 2);
    f.orig_port = 5353;
    f.resp_port = 3478;
    f.first_ns = T0_NS + 2000000000ull;
    f.last_ns = T0_NS + 2250000000ull;
    f.pkts[0] = 3;
    f.bytes[0] = 300;
    f.payload[0] = 156;
    f.ttl_min[0] = f.ttl_max[0] = 255;
    f.rtt_ns = -1;
    f.state = DIS_CS_NONE;
    snprintf(f.app, sizeof f.app, "STUN");
    f.icmp_errors = 1;
    f.icmp_type = 1;
    f.icmp_code = 4;
    set6(&f.icmp_from, 2);
    f.icmp_first_ns = T0_NS + 2100000000ull;
    f.vlan = 100;
    snprintf(f.host, sizeof f.host, "senso-sturn-northeu.cloudapp.net");
    f.channeldata = 12;
    f.stun_msgs = 40;
    f.stun_dropped = 3;
    f.end = DIS_END_CAPTURE;
    return f;
}

/* ---- events: STUN/TURN messages ---- */

/* RFC 5769 §2.2 Sample IPv4 Response (as in test_stun.c): Binding success, txid
 * b7e7a701bc34d686fa87dfae, SOFTWARE "test vector ", XOR-MAPPED-ADDRESS 192.0.2.1:32853,
 * MESSAGE-INTEGRITY, FINGERPRINT. */
static const uint8_t rfc5769_v4_resp[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* Parses the RFC 5769 sample response into @p m. */
static inline void stun_rfc5769(struct dis_stun_msg *m)
{
    size_t used = 0;

    assert_int_equal(dis_stun_parse(rfc5769_v4_resp, sizeof rfc5769_v4_resp, sizeof rfc5769_v4_resp,
                                    DIS_STUN_DGRAM, m, &used),
                     DIS_OK);
    assert_int_equal(used, sizeof rfc5769_v4_resp);
}

static inline void stun_addr4(struct dis_stun_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w,
                              uint16_t port, uint16_t attr)
{
    set4(&a->addr, x, y, z, w);
    a->port = port;
    a->attr = attr;
}

/* A TURN Allocate success built by hand: relayed 203.0.113.7:49152 and [2001:db8::7]:49153,
 * XOR-MAPPED 198.51.100.20:50512 and the same again as MAPPED-ADDRESS, LIFETIME 600, SOFTWARE
 * with a terminal escape in it, MESSAGE-INTEGRITY, a FINGERPRINT that does not match. */
static inline void stun_alloc_ok(struct dis_stun_msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = 0x0103;
    m->method = DIS_STUN_ALLOCATE;
    m->cls = DIS_STUN_SUCCESS;
    m->txid_len = 12;
    for (int i = 0; i < 12; i++)
        m->txid[i] = (uint8_t)(0xa1 + i);
    m->has_software = true;
    snprintf(m->software, sizeof m->software, "coturn\033[2J");
    m->software_len = (uint16_t)strlen(m->software);
    m->n_relayed = 2;
    stun_addr4(&m->relayed[0], 203, 0, 113, 7, 49152, DIS_STUN_A_XOR_RELAYED_ADDRESS);
    set6(&m->relayed[1].addr, 7);
    m->relayed[1].port = 49153;
    m->relayed[1].attr = DIS_STUN_A_XOR_RELAYED_ADDRESS;
    m->n_xor_mapped = 1;
    stun_addr4(&m->xor_mapped[0], 198, 51, 100, 20, 50512, DIS_STUN_A_XOR_MAPPED_ADDRESS);
    m->n_mapped = 1;
    stun_addr4(&m->mapped[0], 198, 51, 100, 20, 50512, DIS_STUN_A_MAPPED_ADDRESS);
    m->has_lifetime = true;
    m->lifetime = 600;
    m->has_mi = true;
    m->has_fingerprint = true;
    m->fingerprint_ok = false;
    m->anomalies = DIS_STUN_AN_BAD_FINGERPRINT;
}

/* An ICE Binding request relayed inside ChannelData 0x4001: USERNAME "ab:cd", PRIORITY,
 * USE-CANDIDATE, ICE-CONTROLLING, two XOR-PEER-ADDRESSes (only to fill peer and peer_all). */
static inline void stun_inner_check(struct dis_stun_msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = 0x0001;
    m->method = DIS_STUN_BINDING;
    m->cls = DIS_STUN_REQUEST;
    m->txid_len = 12;
    m->txid[11] = 0x0c;
    m->has_username = true;
    snprintf(m->username, sizeof m->username, "ab:cd");
    m->username_len = 5;
    m->has_priority = true;
    m->priority = 1853817087u;
    m->use_candidate = true;
    m->ice_controlling = true;
    m->n_peer = 2;
    stun_addr4(&m->peer[0], 192, 0, 2, 50, 5000, DIS_STUN_A_XOR_PEER_ADDRESS);
    set6(&m->peer[1].addr, 0x50);
    m->peer[1].port = 5001;
    m->peer[1].attr = DIS_STUN_A_XOR_PEER_ADDRESS;
    m->has_fingerprint = true;
    m->fingerprint_ok = true;
}

/* An event for @p m on the UDP flow of udp6_flow() (id 2): from the server [2001:db8::2]:3478
 * to the client [2001:db8::1]:5353 when @p from_server, else the other way. */
static inline struct dis_event stun_ev(const struct dis_stun_msg *m, uint64_t ts_ns,
                                       int from_server)
{
    struct dis_event ev;

    memset(&ev, 0, sizeof ev);
    ev.kind = DIS_EV_STUN;
    ev.flow_id = 2;
    ev.ts_ns = ts_ns;
    ev.transport = DIS_IPPROTO_UDP;
    set6(&ev.src, from_server ? 2 : 1);
    set6(&ev.dst, from_server ? 1 : 2);
    ev.sport = from_server ? 3478 : 5353;
    ev.dport = from_server ? 5353 : 3478;
    ev.u.stun = m;
    return ev;
}

/* ---- events: DNS messages ---- */

/* Query id 0x1234 for example.com A (RD). */
static const uint8_t dns_q_a[] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'e',  'x',
    'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01,
};

/* Its response: NOERROR, example.com A 192.0.2.33 TTL 300 (owner compressed to offset 12). */
static const uint8_t dns_r_a[] = {
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 'e',  'x',
    'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01, 0xc0,
    0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04, 192,  0,    2,    33,
};

/* Response id 0x4321 (its query not captured): example.com HTTPS, priority 1, target ".",
 * alpn h2,h3, ipv4hint 192.0.2.33, TTL 60. */
static const uint8_t dns_r_https[] = {
    0x43, 0x21, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 'e',  'x',  'a',
    'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00, 0x41, 0x00, 0x01, 0xc0, 0x0c, 0x00,
    0x41, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x15, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x06,
    0x02, 'h',  '2',  0x02, 'h',  '3',  0x00, 0x04, 0x00, 0x04, 192,  0,    2,    33,
};

/* Query id 0x0bad for blocked.test AAAA, and its NXDOMAIN response (no records). */
static const uint8_t dns_q_nx[] = {
    0x0b, 0xad, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'b',  'l',
    'o',  'c',  'k',  'e',  'd',  0x04, 't',  'e',  's',  't',  0x00, 0x00, 0x1c, 0x00, 0x01,
};
static const uint8_t dns_r_nx[] = {
    0x0b, 0xad, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'b',  'l',
    'o',  'c',  'k',  'e',  'd',  0x04, 't',  'e',  's',  't',  0x00, 0x00, 0x1c, 0x00, 0x01,
};

/* Parses @p n bytes at @p b into @p m (which must be whole and valid). */
static inline void dns_parse(const uint8_t *b, size_t n, struct dis_dns_msg *m)
{
    assert_int_equal(dis_dns_parse(b, n, m), DIS_OK);
}

/* An event for @p m on flow 5, UDP 10.0.0.5:40001 <-> 10.0.0.1:53, direction from m->qr. */
static inline struct dis_event dns_ev(const struct dis_dns_msg *m, uint64_t ts_ns)
{
    struct dis_event ev;

    memset(&ev, 0, sizeof ev);
    ev.kind = DIS_EV_DNS;
    ev.flow_id = 5;
    ev.ts_ns = ts_ns;
    ev.transport = DIS_IPPROTO_UDP;
    set4(m->qr ? &ev.src : &ev.dst, 10, 0, 0, 1);
    set4(m->qr ? &ev.dst : &ev.src, 10, 0, 0, 5);
    ev.sport = m->qr ? 53 : 40001;
    ev.dport = m->qr ? 40001 : 53;
    ev.u.dns = m;
    return ev;
}

/* ---- events: TLS summaries and HTTP CONNECT ---- */

#define JA3_12 "771,49195-49199-52393-52392,0-23-65281-10-11-35-16-5-13,29-23-24,0"
#define JA3_12_MD5 "10fe0e3e1248736703c92c69115a7fb6"
#define JA3S_12 "771,49199,65281-0-11-16"
#define JA3S_12_MD5 "ae53107a2e47ea20c72ac44821a728bf"
#define JA3_13 "771,4865-4866-4867,0-10-13-16-43-51,29-23,0"
#define JA3_13_MD5 "9a06601fccba369e4905d6e2351390da"
#define JA3S_13 "771,4865,43-51"
#define JA3S_13_MD5 "f4febc55ea12b31ae17cfb7e614afda8"
#define JA4_12 "t12d0409h2_d34a8e72043a_b39be8c56a14"
#define JA4_13 "t13d0306h2_e0e1a18f5ef6_3b5074b1b5d0"
#define LEAF_SHA "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define BAD_SHA "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5"

/* A hand-built TLS summary with the certificates it points to. */
struct tls_fixture {
    struct dis_tls_summary s;
    struct dis_tls_cert_info leaf, bad;
};

/* The leaf of the TLS 1.2 fixtures: CN=example.com issued by CN=Test CA,O=Example, valid
 * 2023-01-01 to 2024-01-01, SANs example.com, *.example.com, 192.0.2.1 (3 of 3). */
static inline void cert_leaf(struct dis_tls_cert_info *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->subject, sizeof c->subject, "CN=example.com");
    snprintf(c->issuer, sizeof c->issuer, "CN=Test CA,O=Example");
    c->not_before = 1672531200;
    c->not_after = 1704067200;
    snprintf(c->sha256, sizeof c->sha256, LEAF_SHA);
    c->n_san = c->total_san = 3;
    c->san[0].kind = DIS_TLS_SAN_DNS;
    snprintf(c->san[0].name, sizeof c->san[0].name, "example.com");
    c->san[1].kind = DIS_TLS_SAN_DNS;
    snprintf(c->san[1].name, sizeof c->san[1].name, "*.example.com");
    c->san[2].kind = DIS_TLS_SAN_IP;
    snprintf(c->san[2].name, sizeof c->san[2].name, "192.0.2.1");
}

/*
 * TLS 1.2 from 10.0.0.5:51000 to 93.184.216.34:443 (flow 1 of tcp_flow()), ClientHello at
 * T0 + 20 ms: SNI example.com, ALPN h2 http/1.1 offered, h2 selected, cipher 0xc02f; the server
 * sent 3 certificates, kept: the leaf and one that did not decode (certs_bad 1); the chain did
 * not verify (20, depth 1); the client answered with a fatal unknown_ca before the handshake
 * completed; 2 alert records in all.
 */
static inline void tls_fixture_12(struct tls_fixture *x)
{
    struct dis_tls_summary *m = &x->s;

    memset(x, 0, sizeof *x);
    cert_leaf(&x->leaf);
    snprintf(x->bad.sha256, sizeof x->bad.sha256, BAD_SHA);
    m->has_client_hello = true;
    m->client_hellos = 1;
    m->client_hello_ns = T0_NS + 20000000ull;
    m->sni = "example.com";
    m->client_version = DIS_TLS_V_TLS12;
    m->client_max_version = DIS_TLS_V_TLS12;
    m->n_alpn = 2;
    m->alpn[0] = "h2";
    m->alpn[1] = "http/1.1";
    m->ja3 = JA3_12;
    snprintf(m->ja3_md5, sizeof m->ja3_md5, JA3_12_MD5);
    snprintf(m->ja4, sizeof m->ja4, JA4_12);
    m->has_server_hello = true;
    m->server_hello_ns = T0_NS + 45000000ull;
    m->server_version = DIS_TLS_V_TLS12;
    m->selected_version = DIS_TLS_V_TLS12;
    m->cipher = 0xc02f;
    m->server_alpn = "h2";
    m->ja3s = JA3S_12;
    snprintf(m->ja3s_md5, sizeof m->ja3s_md5, JA3S_12_MD5);
    m->alerts = 2;
    m->alert.seen = true;
    m->alert.from_client = true;
    m->alert.before_established = true;
    m->alert.level = 2;
    m->alert.desc = 48;
    m->alert.ts_ns = T0_NS + 50000000ull;
    m->n_certs = 2;
    m->certs_total = 3;
    m->certs_bad = 1;
    m->certs[0] = &x->leaf;
    m->certs[1] = &x->bad;
    m->chain = DIS_TLS_CHAIN_INVALID;
    m->verify.error = 20;
    m->verify.depth = 1;
    snprintf(m->verify.errstr, sizeof m->verify.errstr, "unable to get local issuer certificate");
    m->proxy_target = "";
}

/* The same server later, verified: established at T0 + 1.2 s, no alert, only the leaf kept. */
static inline void tls_fixture_12_valid(struct tls_fixture *x)
{
    struct dis_tls_summary *m = &x->s;

    tls_fixture_12(x);
    m->client_hello_ns = T0_NS + 1000000000ull;
    m->server_hello_ns = T0_NS + 1020000000ull;
    m->alerts = 0;
    memset(&m->alert, 0, sizeof m->alert);
    m->n_certs = 1;
    m->certs_total = 2;
    m->certs_bad = 0;
    m->certs[1] = NULL;
    m->established = true;
    m->established_ns = T0_NS + 1200000000ull;
    m->client_appdata_ns = T0_NS + 1200000000ull;
    m->server_appdata_ns = T0_NS + 1230000000ull;
    m->chain = DIS_TLS_CHAIN_VALID;
    m->verify.error = 0;
    m->verify.depth = 0;
    snprintf(m->verify.errstr, sizeof m->verify.errstr, "ok");
}

/*
 * TLS 1.3 inside an HTTP CONNECT tunnel to example.org:443 through 10.0.0.1:3128 (flow 6),
 * opened with 200 after a 407 challenge; ClientHello at T0 + 500 ms with a HelloRetryRequest
 * (2 ClientHellos), no ALPN, a duplicated extension; established; the certificate is encrypted
 * (chain not verified); picked up midstream, with an empty-record anomaly.
 */
static inline void tls_fixture_13(struct tls_fixture *x)
{
    struct dis_tls_summary *m = &x->s;

    memset(x, 0, sizeof *x);
    m->has_client_hello = true;
    m->client_hellos = 2;
    m->client_hello_ns = T0_NS + 500000000ull;
    m->sni = "example.org";
    m->client_version = DIS_TLS_V_TLS12;
    m->client_max_version = DIS_TLS_V_TLS13;
    m->ja3 = JA3_13;
    snprintf(m->ja3_md5, sizeof m->ja3_md5, JA3_13_MD5);
    snprintf(m->ja4, sizeof m->ja4, JA4_13);
    m->client_hello_flags = DIS_TLS_HF_DUP_EXT;
    m->has_server_hello = true;
    m->server_hello_ns = T0_NS + 530000000ull;
    m->server_version = DIS_TLS_V_TLS12;
    m->selected_version = DIS_TLS_V_TLS13;
    m->cipher = 0x1301;
    m->server_alpn = "";
    m->ja3s = JA3S_13;
    snprintf(m->ja3s_md5, sizeof m->ja3s_md5, JA3S_13_MD5);
    m->hrr = true;
    m->established = true;
    m->established_ns = T0_NS + 560000000ull;
    m->client_appdata_ns = T0_NS + 560000000ull;
    m->server_appdata_ns = T0_NS + 531000000ull;
    m->in_tunnel = true;
    m->proxy_kind = DIS_TLS_PROXY_HTTP;
    m->proxy_target = "example.org";
    m->proxy_port = 443;
    m->proxy_status = 200;
    m->proxy_first_status = 407;
    m->conn_flags = DIS_TLS_CF_EMPTY_RECORD;
    m->midstream = true;
}

/* The DIS_EV_TLS event of @p m: flow 1 from 10.0.0.5:51000 to 93.184.216.34:443, or, with
 * @p tunnel, flow 6 from 10.0.0.5:51001 to the proxy 10.0.0.1:3128. */
static inline struct dis_event tls_ev(const struct dis_tls_summary *m, int tunnel)
{
    struct dis_event ev;

    memset(&ev, 0, sizeof ev);
    ev.kind = DIS_EV_TLS;
    ev.flow_id = tunnel ? 6 : 1;
    ev.ts_ns = m->client_hello_ns;
    ev.transport = DIS_IPPROTO_TCP;
    set4(&ev.src, 10, 0, 0, 5);
    ev.sport = tunnel ? 51001 : 51000;
    if (tunnel)
        set4(&ev.dst, 10, 0, 0, 1);
    else
        set4(&ev.dst, 93, 184, 216, 34);
    ev.dport = tunnel ? 3128 : 443;
    ev.u.tls = m;
    return ev;
}

/* The CONNECT exchanges of flow 6: example.org:443 answered 407 (Basic challenge), then, with
 * credentials, 200. */
struct connect_fixture {
    struct dis_http_connect_req req[2];
    struct dis_http_connect_resp resp[2];
    struct dis_http_connect_event ce[2];
    struct dis_event ev[2];
};

static inline void connect_fixture(struct connect_fixture *x)
{
    memset(x, 0, sizeof *x);
    for (int i = 0; i < 2; i++) {
        struct dis_http_connect_req *q = &x->req[i];
        struct dis_http_connect_resp *r = &x->resp[i];
        struct dis_event *ev = &x->ev[i];

        snprintf(q->host, sizeof q->host, "example.org");
        q->port = 443;
        q->minor = 1;
        snprintf(q->user_agent, sizeof q->user_agent, "Senso/4.2");
        r->minor = 1;
        x->ce[i].req = q;
        x->ce[i].resp = r;
        ev->kind = DIS_EV_HTTP_CONNECT;
        ev->flow_id = 6;
        ev->ts_ns = T0_NS + (i ? 480000000ull : 450000000ull);
        ev->transport = DIS_IPPROTO_TCP;
        set4(&ev->src, 10, 0, 0, 5);
        ev->sport = 51001;
        set4(&ev->dst, 10, 0, 0, 1);
        ev->dport = 3128;
        ev->u.connect = &x->ce[i];
    }
    x->resp[0].status = 407;
    snprintf(x->resp[0].reason, sizeof x->resp[0].reason, "Proxy Authentication Required");
    x->resp[0].proxy_authenticate = true;
    x->resp[0].n_authenticate = 1;
    snprintf(x->resp[0].auth_scheme, sizeof x->resp[0].auth_scheme, "Basic");
    x->req[1].proxy_auth = true;
    snprintf(x->req[1].auth_scheme, sizeof x->req[1].auth_scheme, "Basic");
    x->resp[1].status = 200;
    snprintf(x->resp[1].reason, sizeof x->resp[1].reason, "Connection established");
}

/* Stores the TLS fixtures (1.2 invalid, 1.2 valid, 1.3 tunnelled) and the CONNECT exchanges
 * into capture @p cap. */
static inline void add_tls(struct sto_db *db, int64_t cap)
{
    struct tls_fixture *x = malloc(sizeof *x);
    struct connect_fixture *c = malloc(sizeof *c);
    struct dis_event ev;

    assert_non_null(x);
    assert_non_null(c);
    tls_fixture_12(x);
    ev = tls_ev(&x->s, 0);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    tls_fixture_12_valid(x);
    ev = tls_ev(&x->s, 0);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    connect_fixture(c);
    assert_int_equal(sto_event_add(db, cap, &c->ev[0]), 0);
    assert_int_equal(sto_event_add(db, cap, &c->ev[1]), 0);
    tls_fixture_13(x);
    ev = tls_ev(&x->s, 1);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    free(x);
    free(c);
}

/* ---- captures ---- */

/* A capture row of kind "file", not begun yet; @p sha256 may be NULL. */
static inline struct sto_capture file_capture_rec(const char *source, const char *sha256,
                                                  const char *linktype, int linktype_num)
{
    struct sto_capture c;

    memset(&c, 0, sizeof c);
    c.source = source;
    c.kind = "file";
    c.sha256 = sha256;
    c.linktype = linktype;
    c.linktype_num = linktype_num;
    return c;
}

/* ---- analysis: sessions, candidate pairs, verdicts, hosts, rules ---- */

/* An endpoint 10.0.0.x or 2001:db8::x (family 6 when @p v6). */
static inline struct dis_ep ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct dis_ep e;

    set4(&e.addr, a, b, c, d);
    e.port = port;
    return e;
}

static inline struct dis_ep ep6(uint8_t last, uint16_t port)
{
    struct dis_ep e;

    set6(&e.addr, last);
    e.port = port;
    return e;
}

/* Session 1: ICE, method 3 over TLS: the client 10.0.0.5 reaches the TURN server
 * 203.0.113.7:443 over TCP; the peer is 198.51.100.20; linked to TURN session 2. */
static inline void sess_ice_relay(struct dis_session_rec *s)
{
    memset(s, 0, sizeof *s);
    s->id = 1;
    s->kind = DIS_SESS_ICE;
    s->method = 3;
    s->sub = DIS_SUB_RELAY_TLS;
    s->has_selected = true;
    s->proto = DIS_IPPROTO_TCP;
    s->sel_local = ep4(10, 0, 0, 5, 50000);
    s->sel_remote = ep4(203, 0, 113, 7, 443);
    set4(&s->client, 10, 0, 0, 5);
    set4(&s->peer, 198, 51, 100, 20);
    s->server = ep4(203, 0, 113, 7, 443);
    s->first_ns = T0_NS + 1000000000ull;
    s->last_ns = T0_NS + 61000000000ull;
    s->bytes = 1234567;
    snprintf(s->ufrags, sizeof s->ufrags, "abcd:wxyz");
    s->link_id = 2;
    snprintf(s->explanation, sizeof s->explanation,
             "method 3 over tls/443: 14 STUN binding requests to 203.0.113.7:3478 unanswered "
             "-> allow outbound UDP (rules relay, holepunch)");
}

/* Its two candidate pairs: a direct one that failed, the relayed one selected. */
static inline void pairs_ice_relay(struct dis_pair_rec p[2])
{
    memset(p, 0, 2 * sizeof *p);
    p[0].session_id = 1;
    p[0].proto = DIS_IPPROTO_UDP;
    p[0].local = ep4(10, 0, 0, 5, 50001);
    p[0].remote = ep4(198, 51, 100, 20, 50512);
    p[0].requests = 6;
    p[0].first_ns = T0_NS + 1100000000ull;
    p[0].last_ns = T0_NS + 6100000000ull;
    p[0].rtt_ns = -1;
    p[1].session_id = 1;
    p[1].proto = DIS_IPPROTO_UDP;
    p[1].relayed = true;
    p[1].local = ep4(203, 0, 113, 7, 49152);
    p[1].remote = ep4(198, 51, 100, 20, 50512);
    p[1].requests = 4;
    p[1].successes = 3;
    p[1].errors = 1;
    p[1].nominated = true;
    p[1].selected = true;
    p[1].first_ns = T0_NS + 2000000000ull;
    p[1].last_ns = T0_NS + 61000000000ull;
    p[1].rtt_ns = 23456000; /* 23.456 ms */
}

/* Session 2: the TURN allocation over TLS that carried session 1. */
static inline void sess_turn(struct dis_session_rec *s)
{
    memset(s, 0, sizeof *s);
    s->id = 2;
    s->kind = DIS_SESS_TURN;
    s->method = 3;
    s->sub = DIS_SUB_RELAY_TLS;
    s->has_selected = true;
    s->proto = DIS_IPPROTO_TCP;
    s->sel_local = ep4(10, 0, 0, 5, 50000);
    s->sel_remote = ep4(203, 0, 113, 7, 443);
    set4(&s->client, 10, 0, 0, 5);
    set4(&s->peer, 198, 51, 100, 20);
    s->server = ep4(203, 0, 113, 7, 443);
    s->first_ns = T0_NS + 500000000ull;
    s->last_ns = T0_NS + 62000000000ull;
    s->bytes = 1300000;
    s->link_id = 1;
    s->relayed = ep4(203, 0, 113, 7, 49152);
    s->mapped = ep4(198, 51, 100, 1, 61000);
    s->transport = DIS_IPPROTO_TCP;
    s->lifetime_s = 600;
    s->permissions = 1;
    s->channels = 1;
    s->peers = 1;
    s->errors = 1;
    s->last_error = 403;
    snprintf(s->explanation, sizeof s->explanation, "TURN allocation over tls/443");
}

/* Session 3: ICE, method 2 host, over IPv6 on the LAN, an explanation with hostile bytes. */
static inline void sess_ice_v6(struct dis_session_rec *s)
{
    static const char evil[] = "host pair \033[2J\xff\xe2\x80\xae ok";

    memset(s, 0, sizeof *s);
    s->id = 3;
    s->kind = DIS_SESS_ICE;
    s->method = 2;
    s->sub = DIS_SUB_HOST;
    s->has_selected = true;
    s->proto = DIS_IPPROTO_UDP;
    s->sel_local = ep6(1, 3478);
    s->sel_remote = ep6(2, 50000);
    set6(&s->client, 1);
    set6(&s->peer, 2);
    s->first_ns = T0_NS + 3000000000ull;
    s->last_ns = T0_NS + 4000000000ull;
    s->bytes = 4000;
    snprintf(s->ufrags, sizeof s->ufrags, "aaaa:bbbb");
    memcpy(s->explanation, evil, sizeof evil);
}

/* A confirmed block in session 2, and a suspected inspection with hostile evidence. */
static inline void verdicts_fixture(struct dis_verdict_rec v[2])
{
    static const char evil[] = "issuer CN=Evil\xff\033[2J\nInc";

    memset(v, 0, 2 * sizeof *v);
    v[0].kind = DIS_VK_BLOCKED;
    v[0].code = "udp_no_answer";
    v[0].confidence = DIS_CONF_CONFIRMED;
    snprintf(v[0].rule, sizeof v[0].rule, "sturn-eu");
    v[0].proto = DIS_IPPROTO_UDP;
    set4(&v[0].src, 10, 0, 0, 5);
    v[0].sport = 50002;
    set4(&v[0].dst, 203, 0, 113, 7);
    v[0].dport = 3478;
    snprintf(v[0].host, sizeof v[0].host, "senso-sturn-northeu.cloudapp.net");
    v[0].first_ns = T0_NS + 700000000ull;
    v[0].flow_id = 2;
    v[0].session_id = 2;
    snprintf(v[0].evidence, sizeof v[0].evidence, "14 STUN binding requests unanswered over 9.0 s");
    v[1].kind = DIS_VK_INSPECTED;
    v[1].code = "inspection_issuer";
    v[1].confidence = DIS_CONF_SUSPECTED;
    snprintf(v[1].rule, sizeof v[1].rule, "cloud");
    v[1].proto = DIS_IPPROTO_TCP;
    set4(&v[1].src, 10, 0, 0, 5);
    v[1].sport = 51000;
    set4(&v[1].dst, 93, 184, 216, 34);
    v[1].dport = 443;
    v[1].first_ns = T0_NS + 900000000ull;
    memcpy(v[1].evidence, evil, sizeof evil);
}

/* The client (methods 2 and 3, two names) and the TURN server (a hostile name). */
static inline void hosts_fixture(struct dis_host_rec h[2])
{
    static const char evil[] = "senso-sturn-northeu.cloudapp.net,evil\xff\"na\\me";

    memset(h, 0, 2 * sizeof *h);
    set4(&h[0].addr, 10, 0, 0, 5);
    snprintf(h[0].names, sizeof h[0].names, "pc-12.school.lan, pc12");
    h[0].role = DIS_ROLE_CLIENT;
    h[0].local = true;
    h[0].methods = (1u << 2) | (1u << 3);
    h[0].verdicts = 2;
    h[0].first_ns = T0_NS + 500000000ull;
    h[0].last_ns = T0_NS + 62000000000ull;
    set4(&h[1].addr, 203, 0, 113, 7);
    memcpy(h[1].names, evil, sizeof evil);
    h[1].role = DIS_ROLE_SERVER;
    h[1].verdicts = 1;
    h[1].first_ns = T0_NS + 500000000ull;
    h[1].last_ns = T0_NS + 62000000000ull;
}

/* Two rules as a profile would hold them. */
static inline void rules_fixture(struct dis_profile_rule r[2])
{
    memset(r, 0, 2 * sizeof *r);
    snprintf(r[0].id, sizeof r[0].id, "cloud");
    snprintf(r[0].used_for, sizeof r[0].used_for, "front-end and back-end services");
    r[0].n_hosts = 1;
    snprintf(r[0].hosts[0], sizeof r[0].hosts[0], "*.senso.cloud");
    r[0].n_ports = 1;
    r[0].ports[0] = (struct dis_port_range){DIS_IPPROTO_TCP, 443, 443};
    r[0].product = true;
    snprintf(r[1].id, sizeof r[1].id, "relay");
    r[1].n_hosts = 2;
    snprintf(r[1].hosts[0], sizeof r[1].hosts[0], "senso-sturn-northeu.cloudapp.net");
    snprintf(r[1].hosts[1], sizeof r[1].hosts[1], "senso-sturn-centralusa.cloudapp.net");
    r[1].n_ports = 2;
    r[1].ports[0] = (struct dis_port_range){DIS_IPPROTO_UDP, 49152, 65535};
    r[1].ports[1] = (struct dis_port_range){DIS_IPPROTO_TCP, 3478, 3478};
    r[1].traffic = DIS_TRAFFIC_ICE;
}

/* Stores what the analyzer emits for a capture, in its order: session 1 with its pairs, the
 * TURN session 2, session 3, the verdicts, the hosts; then the two rules. */
static inline void add_analysis(struct sto_db *db, int64_t cap)
{
    struct dis_session_rec *s = malloc(sizeof *s);
    struct dis_pair_rec p[2];
    struct dis_verdict_rec *v = malloc(2 * sizeof *v);
    struct dis_host_rec h[2];
    struct dis_profile_rule *r = malloc(2 * sizeof *r);

    assert_non_null(s);
    assert_non_null(v);
    assert_non_null(r);
    sess_ice_relay(s);
    assert_int_equal(sto_session_add(db, cap, s), 0);
    pairs_ice_relay(p);
    assert_int_equal(sto_pair_add(db, cap, &p[0]), 0);
    assert_int_equal(sto_pair_add(db, cap, &p[1]), 0);
    sess_turn(s);
    assert_int_equal(sto_session_add(db, cap, s), 0);
    sess_ice_v6(s);
    assert_int_equal(sto_session_add(db, cap, s), 0);
    verdicts_fixture(v);
    assert_int_equal(sto_verdict_add(db, cap, &v[0]), 0);
    assert_int_equal(sto_verdict_add(db, cap, &v[1]), 0);
    hosts_fixture(h);
    assert_int_equal(sto_host_add(db, cap, &h[0]), 0);
    assert_int_equal(sto_host_add(db, cap, &h[1]), 0);
    rules_fixture(r);
    assert_int_equal(sto_rule_add(db, cap, 0, &r[0]), 0);
    assert_int_equal(sto_rule_add(db, cap, 1, &r[1]), 0);
    free(s);
    free(v);
    free(r);
}

#endif
