/* SPDX-License-Identifier: MIT */
/*
 * test_socks.c - SOCKS handshake messages: SOCKS5 greeting, method choice, RFC 1929
 * username/password (never copied) and its status, requests to IPv4, a domain and IPv6, the
 * reply; SOCKS4 and SOCKS4a requests and reply; the probe; every-offset truncation; malformed
 * and foreign input. Inputs are exact heap copies, so ASan sees a read one past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect/socks.h"

static uint8_t *dup_exact(const void *src, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, src, n);
    return p;
}

static enum dis_status cmsg(const void *s, size_t n, bool first, struct dis_socks_msg *m)
{
    uint8_t *p = dup_exact(s, n);
    enum dis_status st = dis_socks_client_msg(p, n, first, m);
    free(p);
    return st;
}

static enum dis_status smsg(const void *s, size_t n, uint8_t ver, bool first,
                            struct dis_socks_msg *m)
{
    uint8_t *p = dup_exact(s, n);
    enum dis_status st = dis_socks_server_msg(p, n, ver, first, m);
    free(p);
    return st;
}

static enum dis_status probe(const void *s, size_t n)
{
    uint8_t *p = dup_exact(s, n);
    enum dis_status st = dis_socks_probe(p, n);
    free(p);
    return st;
}

/* Every strict prefix of a client message is NEED_MORE; the whole is OK. */
static void client_prefixes(const void *s, size_t n, bool first)
{
    struct dis_socks_msg m;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cmsg(s, i, first, &m), DIS_NEED_MORE);
    assert_int_equal(cmsg(s, n, first, &m), DIS_OK);
    assert_int_equal(m.len, n);
}

static void server_prefixes(const void *s, size_t n, uint8_t ver, bool first)
{
    struct dis_socks_msg m;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(smsg(s, i, ver, first, &m), DIS_NEED_MORE);
    assert_int_equal(smsg(s, n, ver, first, &m), DIS_OK);
    assert_int_equal(m.len, n);
}

static void test_socks5(void **state)
{
    (void)state;
    struct dis_socks_msg m;
    const uint8_t greet[] = {5, 2, 0, 2};
    assert_int_equal(cmsg(greet, sizeof greet, true, &m), DIS_OK);
    assert_int_equal(m.kind, DIS_SOCKS_GREETING);
    assert_int_equal(m.code, 2);
    client_prefixes(greet, sizeof greet, true);

    const char auth[] = "\x01\x04user\x06secret";
    assert_int_equal(cmsg(auth, sizeof auth - 1, false, &m), DIS_OK);
    assert_int_equal(m.kind, DIS_SOCKS_AUTH);
    assert_string_equal(m.host, ""); /* nothing copied */
    client_prefixes(auth, sizeof auth - 1, false);

    const char dom[] = "\x05\x01\x00\x03\x0b"
                       "a.senso\x01.io"
                       "\x01\xbb"
                       "\x16\x03"; /* the tunnel follows */
    assert_int_equal(cmsg(dom, sizeof dom - 1, false, &m), DIS_OK);
    assert_int_equal(m.kind, DIS_SOCKS_REQUEST);
    assert_int_equal(m.code, DIS_SOCKS_CMD_CONNECT);
    assert_true(m.domain);
    assert_string_equal(m.host, "a.senso?.io");
    assert_int_equal(m.port, 443);
    assert_int_equal(m.len, sizeof dom - 3);
    client_prefixes(dom, sizeof dom - 3, false);

    const uint8_t v4[] = {5, 1, 0, 1, 142, 250, 180, 142, 0x01, 0xbb};
    assert_int_equal(cmsg(v4, sizeof v4, false, &m), DIS_OK);
    assert_false(m.domain);
    assert_string_equal(m.host, "142.250.180.142");
    const uint8_t v6[] = {5, 1, 0, 4, 0x20, 1, 0x0d, 0xb8, 0, 0, 0,
                          0, 0, 0, 0, 0,    0, 0,    0,    1, 0, 80};
    assert_int_equal(cmsg(v6, sizeof v6, false, &m), DIS_OK);
    assert_string_equal(m.host, "2001:db8::1");
    assert_int_equal(m.port, 80);
    client_prefixes(v6, sizeof v6, false);

    const uint8_t choice[] = {5, 0};
    assert_int_equal(smsg(choice, 2, 5, true, &m), DIS_OK);
    assert_int_equal(m.kind, DIS_SOCKS_CHOICE);
    assert_int_equal(m.code, 0);
    server_prefixes(choice, 2, 5, true);
    const uint8_t st[] = {1, 0};
    assert_int_equal(smsg(st, 2, 5, false, &m), DIS_OK);
    assert_int_equal(m.kind, DIS_SOCKS_AUTH_STATUS);
    const uint8_t rep[] = {5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0x38};
    assert_int_equal(smsg(rep, sizeof rep, 5, false, &m), DIS_OK);
    assert_int_equal(m.kind, DIS_SOCKS_REPLY);
    assert_int_equal(m.code, DIS_SOCKS5_REP_OK);
    assert_int_equal(m.port, 1080);
    server_prefixes(rep, sizeof rep, 5, false);
    const uint8_t refused[] = {5, 5, 0, 3, 1, 'x', 0, 0};
    assert_int_equal(smsg(refused, sizeof refused, 5, false, &m), DIS_OK);
    assert_int_equal(m.code, 5);
}

static void test_socks4(void **state)
{
    (void)state;
    struct dis_socks_msg m;
    const char r4[] = "\x04\x01\x00\x50\x0a\x00\x00\x01"
                      "bob";
    assert_int_equal(cmsg(r4, sizeof r4, true, &m), DIS_OK);
    assert_int_equal(m.version, 4);
    assert_int_equal(m.kind, DIS_SOCKS_REQUEST);
    assert_false(m.domain);
    assert_string_equal(m.host, "10.0.0.1");
    assert_int_equal(m.port, 80);
    client_prefixes(r4, sizeof r4, true);
    const char r4a[] = "\x04\x01\x01\xbb\x00\x00\x00\x07"
                       "\0"
                       "four.example";
    assert_int_equal(cmsg(r4a, sizeof r4a, true, &m), DIS_OK);
    assert_true(m.domain);
    assert_string_equal(m.host, "four.example");
    client_prefixes(r4a, sizeof r4a, true);
    const uint8_t rep[] = {0, 90, 0, 0, 0, 0, 0, 0};
    assert_int_equal(smsg(rep, sizeof rep, 4, true, &m), DIS_OK);
    assert_int_equal(m.code, DIS_SOCKS4_CD_OK);
    server_prefixes(rep, sizeof rep, 4, true);
}

static void test_probe(void **state)
{
    (void)state;
    assert_int_equal(probe("\x05\x01\x00", 3), DIS_OK);
    assert_int_equal(probe("\x05\x02\x00\x02\x01", 5), DIS_OK);
    assert_int_equal(probe("\x05\x01\x00\x05", 4), DIS_OK);
    assert_int_equal(probe("\x05\x02\x00", 3), DIS_NEED_MORE);
    assert_int_equal(probe("", 0), DIS_NEED_MORE);
    assert_int_equal(probe("\x05\x00", 2), DIS_NOT_MINE);
    assert_int_equal(probe("\x05\x01\xff", 3), DIS_NOT_MINE);
    assert_int_equal(probe("\x05\x01\x00\x16", 4), DIS_NOT_MINE);
    assert_int_equal(probe("\x04\x01\x00\x50\x0a\x00\x00\x01x", 10), DIS_OK);
    assert_int_equal(probe("\x04\x01\x00\x50\x0a\x00\x00\x01x", 9), DIS_NEED_MORE);
    assert_int_equal(probe("\x04\x09\x00\x50\x0a\x00\x00\x01", 9), DIS_NOT_MINE);
    assert_int_equal(probe("SSH-2.0", 7), DIS_NOT_MINE);
}

static void test_malformed(void **state)
{
    (void)state;
    struct dis_socks_msg m;
    const uint8_t atyp[] = {5, 1, 0, 9, 1, 2, 3, 4, 0, 80};
    assert_int_equal(cmsg(atyp, sizeof atyp, false, &m), DIS_MALFORMED);
    assert_int_equal(smsg(atyp, sizeof atyp, 5, false, &m), DIS_MALFORMED);
    uint8_t longid[8 + 300];
    memset(longid, 'a', sizeof longid);
    memcpy(longid, "\x04\x01\x00\x50\x0a\x00\x00\x01", 8);
    assert_int_equal(cmsg(longid, sizeof longid, true, &m), DIS_MALFORMED);
    /* an unexpected version for the step */
    assert_int_equal(cmsg("\x01\x00", 2, true, &m), DIS_NOT_MINE);
    assert_int_equal(cmsg("\x04\x01", 2, false, &m), DIS_NOT_MINE);
    assert_int_equal(smsg("\x01\x00", 2, 5, true, &m), DIS_NOT_MINE);
    assert_int_equal(smsg("\x05\x00", 2, 4, true, &m), DIS_NOT_MINE);
    assert_int_equal(smsg("HTTP", 4, 5, false, &m), DIS_NOT_MINE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_socks5),
        cmocka_unit_test(test_socks4),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
