/* SPDX-License-Identifier: MIT */
/*
 * test_app_udp.c - the UDP application layer through dis_engine, from handcrafted raw-IP
 * packets: the RFC 9001 A.2 client Initial (one TLS summary with transport 17 at flush, SNI,
 * JA4 "q", the flow's host name; retransmitted and answered without a second summary), the
 * RFC 9369 v2 Initial, the Initial cut at every length and corrupted (no summary, no leak), a
 * DNS query in the QUIC first-byte range (still DNS), and DTLS 1.2 hellos on a flow that also
 * carries STUN (RFC 7983): JA3, JA3S and JA4 "d" in the summary; the DTLS ClientHello cut at every
 * length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect/engine.h"

#define SEC 1000000000ULL
#define T0 (1750000000ULL * SEC)
#define MAX_RECS 8
#define MAX_EVS 16

/* ---- collecting records and events ---- */

struct ev_copy {
    enum dis_event_kind kind;
    uint64_t flow_id;
    uint8_t transport;
    char src[48], dst[48];
    uint16_t sport, dport;
    struct dis_tls_summary tls; /* its pointers are cleared: they die with the callback */
    char sni[DIS_TLS_SNI_SIZE], ja3[DIS_TLS_JA3_SIZE], ja3s[DIS_TLS_JA3_SIZE];
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
    c->transport = ev->transport;
    dis_addr_str(&ev->src, c->src, sizeof c->src);
    dis_addr_str(&ev->dst, c->dst, sizeof c->dst);
    c->sport = ev->sport;
    c->dport = ev->dport;
    if (ev->kind == DIS_EV_TLS) {
        const struct dis_tls_summary *t = ev->u.tls;
        c->tls = *t;
        snprintf(c->sni, sizeof c->sni, "%s", t->sni);
        snprintf(c->ja3, sizeof c->ja3, "%s", t->ja3);
        snprintf(c->ja3s, sizeof c->ja3s, "%s", t->ja3s);
        c->tls.sni = c->tls.ja3 = c->tls.ja3s = c->tls.server_alpn = c->tls.proxy_target = NULL;
        memset(c->tls.alpn, 0, sizeof c->tls.alpn);
        memset(c->tls.certs, 0, sizeof c->tls.certs);
    }
    return 0;
}

static struct dis_engine *engine(struct sink **out)
{
    struct dis_engine_opts o;
    dis_engine_defaults(&o);
    o.use_ndpi = 0;
    char err[SS_ERRBUF_SIZE];
    struct sink *s = calloc(1, sizeof *s);
    assert_non_null(s);
    struct dis_engine *e = dis_engine_new(&o, on_flow, s, err);
    assert_non_null(e);
    dis_engine_set_event_cb(e, on_event, s);
    *out = s;
    return e;
}

static int count_kind(const struct sink *s, enum dis_event_kind k)
{
    int n = 0;
    for (int i = 0; i < s->nev && i < MAX_EVS; i++)
        n += s->ev[i].kind == k;
    return n;
}

static const struct ev_copy *find_kind(const struct sink *s, enum dis_event_kind k)
{
    for (int i = 0; i < s->nev && i < MAX_EVS; i++)
        if (s->ev[i].kind == k)
            return &s->ev[i];
    fail_msg("no event of kind %d", (int)k);
    return NULL;
}

/* ---- packets ---- */

/* Sends one UDP datagram 10.0.0.<from>:sport -> 10.0.0.<to>:dport in an exactly-sized heap
 * buffer (for ASan), @p caplen of its bytes captured (the whole packet when 0). */
static void dgram(struct dis_engine *e, uint64_t ts, uint8_t from, uint16_t sport, uint8_t to,
                  uint16_t dport, const void *data, size_t n, size_t caplen)
{
    size_t total = 28 + n;
    uint8_t *p = calloc(1, total);
    assert_non_null(p);
    p[0] = 0x45;
    p[2] = (uint8_t)(total >> 8), p[3] = (uint8_t)total;
    p[8] = 64;
    p[9] = 17;
    p[12] = 10, p[15] = from;
    p[16] = 10, p[19] = to;
    uint8_t *u = p + 20;
    u[0] = (uint8_t)(sport >> 8), u[1] = (uint8_t)sport;
    u[2] = (uint8_t)(dport >> 8), u[3] = (uint8_t)dport;
    u[4] = (uint8_t)((8 + n) >> 8), u[5] = (uint8_t)(8 + n);
    if (n)
        memcpy(u + 8, data, n);
    uint32_t cap = caplen ? (uint32_t)(28 + caplen) : (uint32_t)total;
    uint8_t *c = malloc(cap); /* exactly the captured bytes */
    assert_non_null(c);
    memcpy(c, p, cap);
    assert_int_equal(dis_engine_packet(e, DIS_LINKTYPE_RAW, ts, c, cap, (uint32_t)total), 0);
    free(c);
    free(p);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes @p hex into a heap buffer of exactly the decoded size. */
static uint8_t *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        assert_true(hi >= 0 && lo >= 0);
        p[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n;
    return p;
}

/* ---- QUIC ---- */

/* RFC 9001 Appendix A.2: the client Initial, protected (from tests/unit/test_quic.c). */
static const char rfc9001_a2_packet[] =
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934";

static void test_quic_initial(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s);
    size_t n;
    uint8_t *pkt = unhex(rfc9001_a2_packet, &n);
    dgram(e, T0, 1, 50000, 2, 443, pkt, n, 0);
    dgram(e, T0 + SEC / 100, 1, 50000, 2, 443, pkt, n, 0); /* retransmitted */
    /* the server's answer: a long header that does not decrypt with the client's keys */
    uint8_t answer[64] = {0xc1, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 1,   2,
                          3,    4,    5,    6,    7,    8,    0x00, 0x2f};
    dgram(e, T0 + SEC / 50, 2, 443, 1, 50000, answer, sizeof answer, 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 0); /* reported when the flow ends */
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS);
    assert_int_equal(t->transport, 17);
    assert_string_equal(t->src, "10.0.0.1");
    assert_int_equal(t->sport, 50000);
    assert_string_equal(t->dst, "10.0.0.2");
    assert_int_equal(t->dport, 443);
    assert_string_equal(t->sni, "example.com");
    assert_true(t->tls.has_client_hello);
    assert_int_equal(t->tls.client_hellos, 1);
    assert_false(t->tls.has_server_hello);
    assert_int_equal(t->tls.client_max_version, 0x0304);
    assert_int_equal(t->tls.ja4[0], 'q');
    assert_int_equal(strncmp(t->tls.ja4, "q13d", 4), 0);
    assert_true(strncmp(t->ja3, "771,", 4) == 0);
    assert_int_equal(strlen(t->tls.ja3_md5), 32);
    assert_int_equal(s->n, 1);
    assert_int_equal(s->recs[0].proto, 17);
    assert_string_equal(s->recs[0].host, "example.com");
    assert_int_equal(t->flow_id, s->recs[0].id);
    free(pkt);
    dis_engine_free(e);
    free(s);
}

/* RFC 9369 Appendix A.2: the same ClientHello in a QUIC v2 client Initial. */
static const char rfc9369_a2_packet[] =
    "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
    "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
    "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
    "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
    "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
    "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
    "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
    "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
    "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
    "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
    "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
    "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
    "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
    "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
    "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
    "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
    "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
    "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
    "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
    "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
    "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
    "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
    "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
    "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
    "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
    "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
    "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
    "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
    "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
    "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
    "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
    "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
    "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
    "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
    "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
    "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
    "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
    "a18b2faa745b6fe189cf772a9f84cbfc";

static void test_quic_v2_initial(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s);
    size_t n;
    uint8_t *pkt = unhex(rfc9369_a2_packet, &n);
    dgram(e, T0, 1, 50003, 2, 8443, pkt, n, 0);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS);
    assert_int_equal(t->transport, 17);
    assert_string_equal(t->sni, "example.com");
    assert_int_equal(t->tls.ja4[0], 'q');
    assert_string_equal(s->recs[0].host, "example.com");
    free(pkt);
    dis_engine_free(e);
    free(s);
}

/* The Initial cut at every length by the snaplen, each on its own flow: only the whole one is
 * read (ASan checks the reads at the end of each captured buffer). */
static void test_quic_every_caplen(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s);
    size_t n;
    uint8_t *pkt = unhex(rfc9001_a2_packet, &n);
    for (size_t cap = 1; cap <= n; cap++)
        dgram(e, T0 + cap, 1, (uint16_t)(10000 + cap), 2, 443, pkt, n, cap);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    assert_int_equal(find_kind(s, DIS_EV_TLS)->sport, 10000 + n);
    free(pkt);
    dis_engine_free(e);
    free(s);
}

/* A DNS query whose ID puts 0xC0 in the first byte (a QUIC long header's range) stays DNS. */
static void test_dns_not_stolen(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s);
    static const uint8_t query[] = {0xc1, 0x23, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',
                                    0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01};
    dgram(e, T0, 1, 40000, 2, 53, query, sizeof query, 0);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_DNS), 1);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 0);
    dis_engine_free(e);
    free(s);
}

/* Cut by the snaplen, or corrupted: nothing decrypts, nothing is reported, nothing leaks. */
static void test_quic_bad_initial(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s);
    size_t n;
    uint8_t *pkt = unhex(rfc9001_a2_packet, &n);
    dgram(e, T0, 1, 50001, 2, 443, pkt, n, 100);
    pkt[n - 1] ^= 0x01; /* the AEAD tag */
    dgram(e, T0 + 1, 1, 50002, 2, 443, pkt, n, 0);
    dgram(e, T0 + 2, 1, 50002, 2, 443, pkt, n, 0);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 0);
    assert_int_equal(s->n, 2);
    assert_string_equal(s->recs[0].host, "");
    assert_string_equal(s->recs[1].host, "");
    free(pkt);
    dis_engine_free(e);
    free(s);
}

/* ---- DTLS ---- */

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

/* DTLS 1.2 ClientHello body, WebRTC-like: no SNI, empty cookie, use_srtp. 114 bytes. */
static const uint8_t dtls_ch[] = {
    0xfe, 0xfd, RANDOM_C, 0x00, /* empty session id */
    0x00,                       /* empty cookie */
    0x00, 0x10, 0xc0,     0x2b, 0xc0, 0x2f, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x09, 0xc0, 0x13, 0xc0,
    0x0a, 0xc0, 0x14,     0x01, 0x00, 0x00, 0x38, /* extensions: 56 bytes */
    0x00, 0x17, 0x00,     0x00, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x06,
    0x00, 0x1d, 0x00,     0x17, 0x00, 0x18, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x23, 0x00,
    0x00, 0x00, 0x0d,     0x00, 0x0a, 0x00, 0x08, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03,
    0x00, 0x0e, 0x00,     0x07, 0x00, 0x04, 0x00, 0x01, 0x00, 0x07, 0x00, /* use_srtp */
};
/* tshark 4.0 (dtls.handshake.ja3_full) agrees with this string and MD5. */
#define JA3_DTLS                                                                                   \
    "65277,49195-49199-52393-52392-49161-49171-49162-49172,23-65281-10-11-35-13-14,29-23-24,0"
#define JA3_DTLS_MD5 "ee9e4a7fe78b777b145632d7a942818e"
/*
 * JA4: "d" (DTLS) "d2" (no supported_versions: legacy 0xfefd) "i" (no SNI) "08" "07" "00" (no
 * ALPN); b = sha256("c009,c00a,c013,c014,c02b,c02f,cca8,cca9") = c6c2b6ec87e0...;
 * c = sha256("000a,000b,000d,000e,0017,0023,ff01_0403,0804,0401,0503") = 12cd27f5fd8c...
 */
#define JA4_DTLS "dd2i080700_c6c2b6ec87e0_12cd27f5fd8c"

/* DTLS 1.2 ServerHello body. */
static const uint8_t dtls_sh[] = {
    0xfe, 0xfd, RANDOM_S, 0x20, SID32, 0xc0, 0x2b, 0x00, 0x00, 0x18, 0x00, 0x17,
    0x00, 0x00, 0xff,     0x01, 0x00,  0x01, 0x00, 0x00, 0x0b, 0x00, 0x02, 0x01,
    0x00, 0x00, 0x0e,     0x00, 0x05,  0x00, 0x02, 0x00, 0x07, 0x00,
};
#define JA3S_DTLS "65277,49195,23-65281-11-14"
#define JA3S_DTLS_MD5 "57899975759b2c6d1eb98876e0fc7496"

/* One DTLS record (epoch 0, sequence @p seq) holding one unfragmented handshake message. */
static size_t dtls_hs(uint8_t *out, uint16_t version, unsigned seq, uint8_t type,
                      const uint8_t *body, size_t n)
{
    size_t i = 0, m = 12 + n;
    out[i++] = 22;
    out[i++] = (uint8_t)(version >> 8), out[i++] = (uint8_t)version;
    for (int k = 0; k < 7; k++)
        out[i++] = 0; /* epoch, sequence_number (high bytes) */
    out[i++] = (uint8_t)seq;
    out[i++] = (uint8_t)(m >> 8), out[i++] = (uint8_t)m;
    out[i++] = type;
    for (int k = 0; k < 2; k++) { /* length, then fragment_length after the offset */
        out[i++] = (uint8_t)(n >> 16), out[i++] = (uint8_t)(n >> 8), out[i++] = (uint8_t)n;
        if (k == 0) {
            out[i++] = 0, out[i++] = (uint8_t)seq;    /* message_seq */
            out[i++] = 0, out[i++] = 0, out[i++] = 0; /* fragment_offset */
        }
    }
    memcpy(out + i, body, n);
    return i + n;
}

static void test_dtls_with_stun(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s);
    /* an ICE connectivity check first, on the same 5-tuple (RFC 7983) */
    static const uint8_t binding[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                                        3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
    dgram(e, T0, 1, 5000, 2, 6000, binding, sizeof binding, 0);
    uint8_t rec[256];
    size_t n = dtls_hs(rec, 0xfeff, 0, 1, dtls_ch, sizeof dtls_ch);
    dgram(e, T0 + 1000, 1, 5000, 2, 6000, rec, n, 0);
    n = dtls_hs(rec, 0xfefd, 0, 2, dtls_sh, sizeof dtls_sh);
    dgram(e, T0 + 2000, 2, 6000, 1, 5000, rec, n, 0);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_STUN), 1);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS);
    assert_int_equal(t->transport, 17);
    assert_string_equal(t->src, "10.0.0.1");
    assert_int_equal(t->dport, 6000);
    assert_string_equal(t->sni, "");
    assert_string_equal(t->ja3, JA3_DTLS);
    assert_string_equal(t->tls.ja3_md5, JA3_DTLS_MD5);
    assert_string_equal(t->tls.ja4, JA4_DTLS);
    assert_true(t->tls.has_server_hello);
    assert_string_equal(t->ja3s, JA3S_DTLS);
    assert_string_equal(t->tls.ja3s_md5, JA3S_DTLS_MD5);
    assert_int_equal(t->tls.client_version, 0xfefd);
    assert_int_equal(t->tls.cipher, 0xc02b);
    assert_int_equal(s->n, 1);
    assert_string_equal(s->recs[0].host, "");
    dis_engine_free(e);
    free(s);
}

/* The DTLS ClientHello cut at every length, each on its own flow: only the whole one counts. */
static void test_dtls_every_caplen(void **state)
{
    (void)state;
    struct sink *s;
    struct dis_engine *e = engine(&s);
    uint8_t rec[256];
    size_t n = dtls_hs(rec, 0xfefd, 0, 1, dtls_ch, sizeof dtls_ch);
    for (size_t cap = 1; cap <= n; cap++)
        dgram(e, T0 + cap, 1, (uint16_t)(20000 + cap), 2, 6000, rec, n, cap);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(count_kind(s, DIS_EV_TLS), 1);
    const struct ev_copy *t = find_kind(s, DIS_EV_TLS);
    assert_int_equal(t->sport, 20000 + n);
    assert_string_equal(t->ja3, JA3_DTLS);
    dis_engine_free(e);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quic_initial),      cmocka_unit_test(test_quic_v2_initial),
        cmocka_unit_test(test_quic_every_caplen), cmocka_unit_test(test_dns_not_stolen),
        cmocka_unit_test(test_quic_bad_initial),  cmocka_unit_test(test_dtls_with_stun),
        cmocka_unit_test(test_dtls_every_caplen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
