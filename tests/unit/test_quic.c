/* SPDX-License-Identifier: MIT */
/*
 * test_quic.c - QUIC Initial packets: the RFC 9001 Appendix A keys and packets (A.1 keys, A.2
 * client Initial, A.3 server Initial), the RFC 9369 Appendix A version 2 keys and client
 * Initial, truncation at every offset, versions we do not handle, authentication failures,
 * and a ClientHello spread over three Initials with out-of-order CRYPTO frames, coalesced
 * with a Handshake packet, sealed here with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "dissect/quic.h"

/* RFC 9001 Appendix A and RFC 9369 Appendix A, as hexadecimal text. */
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

static const char rfc9001_a3_packet[] =
    "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
    "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
    "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
    "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
    "2158407dd074ee";

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

static const char rfc9001_a2_crypto_frame[] =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff";

static const char rfc9001_a3_payload[] =
    "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
    "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
    "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
    "020304";
static const uint8_t rfc_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes @p hex into a heap buffer of exactly the decoded size (for ASan). */
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

static void expect_hex(const uint8_t *got, size_t len, const char *hex)
{
    size_t n;
    uint8_t *want = unhex(hex, &n);
    assert_int_equal(len, n);
    assert_memory_equal(got, want, n);
    free(want);
}

static struct dis_quic_collector *new_collector(bool server)
{
    struct dis_quic_collector *c = malloc(sizeof *c);
    assert_non_null(c);
    dis_quic_collector_init(c, server);
    return c;
}

static void drop_collector(struct dis_quic_collector *c)
{
    dis_quic_collector_free(c);
    free(c);
}

static void test_keys_rfc9001_a1(void **state)
{
    (void)state;
    struct dis_quic_keys k;
    assert_int_equal(dis_quic_initial_keys(DIS_QUIC_V1, rfc_dcid, 8, false, &k), 0);
    expect_hex(k.key, sizeof k.key, "1f369613dd76d5467730efcbe3b1a22d");
    expect_hex(k.iv, sizeof k.iv, "fa044b2f42a3fd3b46fb255c");
    expect_hex(k.hp, sizeof k.hp, "9f50449e04a0e810283a1e9933adedd2");
    assert_int_equal(dis_quic_initial_keys(DIS_QUIC_V1, rfc_dcid, 8, true, &k), 0);
    expect_hex(k.key, sizeof k.key, "cf3a5331653c364c88f0f379b6067e37");
    expect_hex(k.iv, sizeof k.iv, "0ac1493ca1905853b0bba03e");
    expect_hex(k.hp, sizeof k.hp, "c206b8d9b9f0f37644430b490eeaa314");
    /* an unknown version (draft-28) and an over-long DCID are refused */
    assert_int_equal(dis_quic_initial_keys(0xff00001c, rfc_dcid, 8, false, &k), -1);
    assert_int_equal(dis_quic_initial_keys(DIS_QUIC_V1, rfc_dcid, 21, false, &k), -1);
}

/* draft-ietf-quic-tls-29 appendix A.1: the same DCID with the draft's own Initial salt. */
static void test_keys_draft29(void **state)
{
    (void)state;
    struct dis_quic_keys k;
    assert_int_equal(dis_quic_initial_keys(DIS_QUIC_DRAFT29, rfc_dcid, 8, false, &k), 0);
    expect_hex(k.key, sizeof k.key, "175257a31eb09dea9366d8bb79ad80ba");
    expect_hex(k.iv, sizeof k.iv, "6b26114b9cba2b63a9e8dd4f");
    expect_hex(k.hp, sizeof k.hp, "9ddd12c994c0698b89374a9c077a3077");
}

static void test_keys_rfc9369_a1(void **state)
{
    (void)state;
    struct dis_quic_keys k;
    assert_int_equal(dis_quic_initial_keys(DIS_QUIC_V2, rfc_dcid, 8, false, &k), 0);
    expect_hex(k.key, sizeof k.key, "8b1a0bc121284290a29e0971b5cd045d");
    expect_hex(k.iv, sizeof k.iv, "91f73e2351d8fa91660e909f");
    expect_hex(k.hp, sizeof k.hp, "45b95e15235d6f45a6b19cbcb0294ba9");
}

/* The CRYPTO stream holds the A.2 ClientHello: the frame's bytes after its 4-byte header. */
static void expect_rfc_client_hello(const struct dis_quic_collector *c)
{
    size_t n;
    uint8_t *frame = unhex(rfc9001_a2_crypto_frame, &n);
    const uint8_t *p;
    size_t len;
    dis_quic_crypto(c, &p, &len);
    assert_int_equal(len, n - 4);
    assert_memory_equal(p, frame + 4, len);
    static const uint8_t start[] = {0x01, 0x00, 0x00, 0xed, 0x03, 0x03};
    assert_memory_equal(p, start, sizeof start);
    assert_true(dis_quic_hello_complete(c));
    free(frame);
}

static void test_rfc9001_a2_client_initial(void **state)
{
    (void)state;
    size_t n;
    uint8_t *pkt = unhex(rfc9001_a2_packet, &n);
    assert_int_equal(n, 1200);
    assert_int_equal(dis_quic_probe(pkt, n), DIS_OK);
    struct dis_quic_collector *c = new_collector(false);
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_OK);
    expect_rfc_client_hello(c);
    assert_int_equal(c->largest_pn, 2);
    assert_int_equal(c->packets, 1);
    assert_int_equal(c->version, DIS_QUIC_V1);
    assert_int_equal(c->dcid_len, 8);
    assert_memory_equal(c->dcid, rfc_dcid, 8);
    assert_int_equal(c->scid_len, 0);
    /* The same datagram again (a retransmission): first copy wins, nothing changes. */
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_OK);
    assert_int_equal(c->crypto.dup_bytes, 241);
    assert_int_equal(c->crypto.overlap_diff, 0);
    drop_collector(c);
    free(pkt);
}

static void test_rfc9001_a3_server_initial(void **state)
{
    (void)state;
    size_t n;
    uint8_t *pkt = unhex(rfc9001_a3_packet, &n);
    struct dis_quic_collector *c = new_collector(true);
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_NOT_MINE); /* no odcid yet */
    assert_int_equal(dis_quic_collector_set_odcid(c, rfc_dcid, 8), 0);
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_OK);
    assert_int_equal(c->largest_pn, 1);
    size_t pn;
    uint8_t *payload = unhex(rfc9001_a3_payload, &pn);
    const uint8_t *p;
    size_t len;
    dis_quic_crypto(c, &p, &len);
    /* payload: ACK (5 bytes), then CRYPTO 06 00 40 5a and the 90-byte ServerHello */
    assert_int_equal(len, 90);
    assert_memory_equal(p, payload + 9, 90);
    assert_int_equal(p[0], 0x02);
    free(payload);
    drop_collector(c);
    free(pkt);
}

static void test_rfc9369_v2_client_initial(void **state)
{
    (void)state;
    size_t n;
    uint8_t *pkt = unhex(rfc9369_a2_packet, &n);
    assert_int_equal(n, 1200);
    assert_int_equal(dis_quic_probe(pkt, n), DIS_OK);
    struct dis_quic_collector *c = new_collector(false);
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_OK);
    assert_int_equal(c->version, DIS_QUIC_V2);
    expect_rfc_client_hello(c);
    drop_collector(c);
    free(pkt);
}

static void test_truncation_every_offset(void **state)
{
    (void)state;
    size_t n;
    uint8_t *pkt = unhex(rfc9001_a2_packet, &n);
    struct dis_quic_collector *c = new_collector(false);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *p = malloc(cut ? cut : 1);
        assert_non_null(p);
        memcpy(p, pkt, cut);
        enum dis_status st = dis_quic_collect(c, p, cut);
        if (cut == 0)
            assert_int_equal(st, DIS_NOT_MINE);
        else
            assert_int_equal(st, DIS_TRUNCATED);
        enum dis_status pst = dis_quic_probe(p, cut);
        assert_true(pst == DIS_TRUNCATED || pst == DIS_OK || (cut == 0 && pst == DIS_NOT_MINE));
        free(p);
    }
    assert_int_equal(c->packets, 0);
    drop_collector(c);
    free(pkt);
}

static void test_not_mine(void **state)
{
    (void)state;
    size_t n;
    uint8_t *pkt = unhex(rfc9001_a2_packet, &n);
    struct dis_quic_collector *c = new_collector(false);
    pkt[4] = 0x02; /* version 2, not QUIC v2's number */
    assert_int_equal(dis_quic_probe(pkt, n), DIS_NOT_MINE);
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_NOT_MINE);
    memset(pkt + 1, 0, 4); /* Version Negotiation */
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_NOT_MINE);
    pkt[4] = 0x01;
    pkt[0] = 0x40; /* short header */
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_NOT_MINE);
    assert_int_equal(dis_quic_probe(pkt, n), DIS_NOT_MINE);
    pkt[0] = 0xe0; /* a Handshake packet, not an Initial */
    assert_int_equal(dis_quic_probe(pkt, n), DIS_NOT_MINE);
    static const uint8_t dns[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01};
    assert_int_equal(dis_quic_collect(c, dns, sizeof dns), DIS_NOT_MINE);
    drop_collector(c);
    free(pkt);
}

static void test_authentication_failure(void **state)
{
    (void)state;
    size_t n;
    uint8_t *pkt = unhex(rfc9001_a2_packet, &n);
    struct dis_quic_collector *c = new_collector(false);
    pkt[n - 1] ^= 0x01; /* the tag */
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_MALFORMED);
    assert_int_equal(c->auth_failures, 1);
    assert_true(c->flags & DIS_QUIC_F_AUTH_FAIL);
    pkt[n - 1] ^= 0x01;
    pkt[600] ^= 0x80; /* the ciphertext */
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_MALFORMED);
    pkt[600] ^= 0x80;
    pkt[7] ^= 0x01; /* the DCID: other keys */
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_MALFORMED);
    pkt[7] ^= 0x01;
    assert_int_equal(c->packets, 0);
    const uint8_t *p;
    size_t len;
    dis_quic_crypto(c, &p, &len);
    assert_int_equal(len, 0);
    assert_int_equal(dis_quic_collect(c, pkt, n), DIS_OK); /* intact again */
    drop_collector(c);
    free(pkt);
}

/* Seals one Initial (4-byte packet number) as a client would; returns its length. */
static size_t seal_initial(uint32_t version, const uint8_t *dcid, uint8_t dcid_len, uint32_t pn,
                           const uint8_t *payload, size_t plen, uint8_t *out)
{
    struct dis_quic_keys k;
    assert_int_equal(dis_quic_initial_keys(version, dcid, dcid_len, false, &k), 0);
    size_t h = 0;
    out[h++] = (uint8_t)(version == DIS_QUIC_V2 ? 0xd3 : 0xc3);
    for (int i = 3; i >= 0; i--)
        out[h++] = (uint8_t)(version >> (8 * i));
    out[h++] = dcid_len;
    memcpy(out + h, dcid, dcid_len);
    h += dcid_len;
    out[h++] = 3; /* SCID */
    out[h++] = 0xaa;
    out[h++] = 0xbb;
    out[h++] = 0xcc;
    out[h++] = 0; /* token length */
    size_t length = 4 + plen + 16;
    assert_true(length < 16384);
    out[h++] = (uint8_t)(0x40 | length >> 8);
    out[h++] = (uint8_t)length;
    size_t pn_off = h;
    for (int i = 3; i >= 0; i--)
        out[h++] = (uint8_t)(pn >> (8 * i));
    uint8_t nonce[12];
    memcpy(nonce, k.iv, 12);
    for (int i = 0; i < 4; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl;
    assert_non_null(ctx);
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k.key, nonce), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &outl, out, (int)h), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, out + h, &outl, payload, (int)plen), 1);
    assert_int_equal(EVP_EncryptFinal_ex(ctx, out + h + plen, &outl), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + h + plen), 1);
    uint8_t mask[16];
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, k.hp, NULL), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    assert_int_equal(EVP_EncryptUpdate(ctx, mask, &outl, out + pn_off + 4, 16), 1);
    EVP_CIPHER_CTX_free(ctx);
    out[0] ^= mask[0] & 0x0f;
    for (int i = 0; i < 4; i++)
        out[pn_off + (size_t)i] ^= mask[1 + i];
    return h + plen + 16;
}

/* Appends a CRYPTO frame carrying hello[off, off+n) to @p f; returns the new length. */
static size_t crypto_frame(uint8_t *f, size_t at, const uint8_t *hello, uint32_t off, uint32_t n)
{
    f[at++] = 0x06;
    f[at++] = (uint8_t)(0x40 | off >> 8);
    f[at++] = (uint8_t)off;
    f[at++] = (uint8_t)(0x40 | n >> 8);
    f[at++] = (uint8_t)n;
    memcpy(f + at, hello + off, n);
    return at + n;
}

static void test_split_client_hello(void **state)
{
    (void)state;
    /* A 3000-byte ClientHello-like message: type 1, length 2996. */
    enum { HELLO = 3000 };
    uint8_t *hello = malloc(HELLO);
    assert_non_null(hello);
    hello[0] = 0x01;
    hello[1] = 0x00;
    hello[2] = (uint8_t)((HELLO - 4) >> 8);
    hello[3] = (uint8_t)(HELLO - 4);
    for (int i = 4; i < HELLO; i++)
        hello[i] = (uint8_t)(i * 7);
    static const uint8_t dcid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t frames[2048];
    uint8_t *dgram = malloc(6000);
    assert_non_null(dgram);
    struct dis_quic_collector *c = new_collector(false);

    /* Packet 1: [2500, 3000) and [500, 1000), ACK and PING between, then padding. */
    size_t f = 0;
    f = crypto_frame(frames, f, hello, 2500, 500);
    frames[f++] = 0x01; /* PING */
    static const uint8_t ack[] = {0x03, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    memcpy(frames + f, ack, sizeof ack); /* ACK_ECN, one extra range */
    f += sizeof ack;
    f = crypto_frame(frames, f, hello, 500, 500);
    memset(frames + f, 0, 40);
    f += 40;
    size_t n1 = seal_initial(DIS_QUIC_V1, dcid, sizeof dcid, 1, frames, f, dgram);
    assert_int_equal(dis_quic_collect(c, dgram, n1), DIS_NEED_MORE);
    const uint8_t *p;
    size_t len;
    dis_quic_crypto(c, &p, &len);
    assert_int_equal(len, 0);

    /* One datagram: packet 0 ([1000, 2000) then [0, 500)), packet 2 ([2000, 2500)), and a
     * Handshake packet that is skipped by its Length. */
    f = 0;
    f = crypto_frame(frames, f, hello, 1000, 1000);
    f = crypto_frame(frames, f, hello, 0, 500);
    size_t n0 = seal_initial(DIS_QUIC_V1, dcid, sizeof dcid, 0, frames, f, dgram);
    f = 0;
    f = crypto_frame(frames, f, hello, 2000, 500);
    size_t n2 = seal_initial(DIS_QUIC_V1, dcid, sizeof dcid, 2, frames, f, dgram + n0);
    static const uint8_t handshake[] = {0xe0, 0x00, 0x00, 0x00, 0x01, 0x00,
                                        0x00, 0x04, 0xde, 0xad, 0xbe, 0xef};
    memcpy(dgram + n0 + n2, handshake, sizeof handshake);
    size_t total = n0 + n2 + sizeof handshake;
    uint8_t *exact = malloc(total);
    assert_non_null(exact);
    memcpy(exact, dgram, total);
    assert_int_equal(dis_quic_collect(c, exact, total), DIS_OK);
    free(exact);
    assert_int_equal(c->packets, 3);
    assert_int_equal(c->largest_pn, 2);
    dis_quic_crypto(c, &p, &len);
    assert_int_equal(len, HELLO);
    assert_memory_equal(p, hello, HELLO);

    /* After a Retry the client uses a new DCID: the collector follows it. */
    static const uint8_t dcid2[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    f = crypto_frame(frames, 0, hello, 0, 500);
    size_t n3 = seal_initial(DIS_QUIC_V1, dcid2, sizeof dcid2, 3, frames, f, dgram);
    assert_int_equal(dis_quic_collect(c, dgram, n3), DIS_OK);
    assert_true(c->flags & DIS_QUIC_F_NEW_DCID);
    assert_int_equal(c->packets, 4);
    assert_memory_equal(c->dcid, dcid2, 8);

    drop_collector(c);
    free(dgram);
    free(hello);
}

static void test_frames(void **state)
{
    (void)state;
    struct dis_quic_collector *c = new_collector(false);
    static const uint8_t stream_frame[] = {0x08, 0x00, 0x01, 0x41};
    assert_int_equal(dis_quic_collect_frames(c, stream_frame, sizeof stream_frame), DIS_MALFORMED);
    static const uint8_t cut_crypto[] = {0x06, 0x00, 0x05, 0x01, 0x00};
    assert_int_equal(dis_quic_collect_frames(c, cut_crypto, sizeof cut_crypto), DIS_MALFORMED);
    static const uint8_t huge_ack[] = {0x02, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0x00, 0x00};
    assert_int_equal(dis_quic_collect_frames(c, huge_ack, sizeof huge_ack), DIS_MALFORMED);
    static const uint8_t beyond[] = {0x06, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0x01, 0x00}; /* offset 2^62 - 1, one byte */
    assert_int_equal(dis_quic_collect_frames(c, beyond, sizeof beyond), DIS_MALFORMED);
    static const uint8_t close_frame[] = {0x1c, 0x0a, 0x06, 0x02, 'n', 'o', 0x00, 0x01};
    assert_int_equal(dis_quic_collect_frames(c, close_frame, sizeof close_frame), DIS_NEED_MORE);
    assert_true(c->flags & DIS_QUIC_F_CLOSE);
    /* A message header that announces 2 bytes, then both bytes in a second frame. */
    static const uint8_t hdr[] = {0x06, 0x00, 0x04, 0x01, 0x00, 0x00, 0x02};
    static const uint8_t body[] = {0x06, 0x04, 0x02, 0xaa, 0xbb};
    assert_int_equal(dis_quic_collect_frames(c, hdr, sizeof hdr), DIS_NEED_MORE);
    assert_int_equal(dis_quic_collect_frames(c, body, sizeof body), DIS_OK);
    /* CRYPTO beyond the kept 16 KiB is ignored, not an error. */
    static const uint8_t far[] = {0x06, 0x80, 0x01, 0x00, 0x00, 0x01, 0x42};
    assert_int_equal(dis_quic_collect_frames(c, far, sizeof far), DIS_OK);
    assert_true(c->crypto.flags & DIS_TCP_REASM_F_CAPPED);
    drop_collector(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_rfc9001_a1),
        cmocka_unit_test(test_keys_draft29),
        cmocka_unit_test(test_keys_rfc9369_a1),
        cmocka_unit_test(test_rfc9001_a2_client_initial),
        cmocka_unit_test(test_rfc9001_a3_server_initial),
        cmocka_unit_test(test_rfc9369_v2_client_initial),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_not_mine),
        cmocka_unit_test(test_authentication_failure),
        cmocka_unit_test(test_split_client_hello),
        cmocka_unit_test(test_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
