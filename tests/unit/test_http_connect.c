/* SPDX-License-Identifier: MIT */
/*
 * test_http_connect.c - HTTP CONNECT requests and proxy responses: 200 with the tunnel after
 * the header, 407 with Proxy-Authenticate, 403, Proxy-Authorization (scheme kept, credentials
 * not), IPv6 targets, headers arriving in pieces, every-offset truncation, bounds, garbage.
 * Inputs are exact heap copies, so ASan sees a read one past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect/http_connect.h"

static uint8_t *dup_exact(const void *src, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, src, n);
    return p;
}

static enum dis_status req(const char *s, size_t n, struct dis_http_connect_req *out)
{
    uint8_t *p = dup_exact(s, n);
    enum dis_status st = dis_http_connect_request(p, n, out);
    free(p);
    return st;
}

static enum dis_status resp(const char *s, size_t n, struct dis_http_connect_resp *out)
{
    uint8_t *p = dup_exact(s, n);
    enum dis_status st = dis_http_connect_response(p, n, out);
    free(p);
    return st;
}

static const char req_200[] = "CONNECT sensoeugeneral.blob.core.windows.net:443 HTTP/1.1\r\n"
                              "Host: sensoeugeneral.blob.core.windows.net:443\r\n"
                              "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\n"
                              "Proxy-Connection: keep-alive\r\n"
                              "\r\n";
static const char tls_start[] = "\x16\x03\x01\x02\x00\x01";

static const char resp_200[] = "HTTP/1.1 200 Connection established\r\n\r\n";

static const char resp_407[] = "HTTP/1.1 407 Proxy Authentication Required\r\n"
                               "Proxy-Authenticate: Basic realm=\"School proxy\"\r\n"
                               "Proxy-Authenticate: NTLM\r\n"
                               "Content-Type: text/html\r\n"
                               "Content-Length: 13\r\n"
                               "Proxy-Connection: close\r\n"
                               "\r\n"
                               "<html></html>";

static void test_connect_200(void **state)
{
    (void)state;
    char buf[512];
    size_t hl = strlen(req_200);
    memcpy(buf, req_200, hl);
    memcpy(buf + hl, tls_start, sizeof tls_start - 1); /* the tunnel follows at once */
    struct dis_http_connect_req r;
    assert_int_equal(dis_http_connect_probe((const uint8_t *)buf, hl), DIS_OK);
    assert_int_equal(req(buf, hl + sizeof tls_start - 1, &r), DIS_OK);
    assert_int_equal(r.header_len, hl);
    assert_string_equal(r.host, "sensoeugeneral.blob.core.windows.net");
    assert_int_equal(r.port, 443);
    assert_false(r.ipv6);
    assert_int_equal(r.minor, 1);
    assert_true(r.has_host);
    assert_string_equal(r.host_field, "sensoeugeneral.blob.core.windows.net:443");
    assert_string_equal(r.user_agent, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
    assert_false(r.ua_truncated);
    assert_false(r.proxy_auth);

    struct dis_http_connect_resp s;
    size_t rl = strlen(resp_200);
    memcpy(buf, resp_200, rl);
    memcpy(buf + rl, "\x16\x03\x03", 3);
    assert_int_equal(resp(buf, rl + 3, &s), DIS_OK);
    assert_int_equal(s.status, 200);
    assert_int_equal(s.minor, 1);
    assert_string_equal(s.reason, "Connection established");
    assert_int_equal(s.header_len, rl);
    assert_int_equal(s.body, DIS_HTTP_BODY_NONE);
    assert_false(s.proxy_authenticate);
}

static void test_407_proxy_authenticate(void **state)
{
    (void)state;
    struct dis_http_connect_resp s;
    assert_int_equal(resp(resp_407, strlen(resp_407), &s), DIS_OK);
    assert_int_equal(s.status, 407);
    assert_string_equal(s.reason, "Proxy Authentication Required");
    assert_true(s.proxy_authenticate);
    assert_int_equal(s.n_authenticate, 2);
    assert_string_equal(s.auth_scheme, "Basic");
    assert_true(s.has_content_length);
    assert_int_equal(s.content_length, 13);
    assert_int_equal(s.body, DIS_HTTP_BODY_LENGTH);
    assert_true(s.conn_close);
    /* The body ends exactly at the end of the message. */
    assert_int_equal(s.header_len + s.content_length, strlen(resp_407));
}

static void test_403(void **state)
{
    (void)state;
    static const char r403[] = "HTTP/1.0 403 Forbidden\r\nContent-Type: text/html\r\n\r\nblocked";
    struct dis_http_connect_resp s;
    assert_int_equal(resp(r403, strlen(r403), &s), DIS_OK);
    assert_int_equal(s.status, 403);
    assert_int_equal(s.minor, 0);
    assert_string_equal(s.reason, "Forbidden");
    assert_false(s.proxy_authenticate);
    assert_int_equal(s.body, DIS_HTTP_BODY_UNTIL_CLOSE);
    assert_int_equal(s.header_len, strlen(r403) - strlen("blocked"));

    static const char chunked[] = "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: gzip, Chunked\r\n"
                                  "Content-Length: 5\r\n\r\n";
    assert_int_equal(resp(chunked, strlen(chunked), &s), DIS_OK);
    assert_int_equal(s.body, DIS_HTTP_BODY_CHUNKED);
    static const char no_reason[] = "HTTP/1.1 200\r\nContent-Length: 10\r\n\r\n";
    assert_int_equal(resp(no_reason, strlen(no_reason), &s), DIS_OK);
    assert_int_equal(s.status, 200);
    assert_string_equal(s.reason, "");
    assert_int_equal(s.body, DIS_HTTP_BODY_NONE); /* 2xx: the length is ignored */
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    assert_int_equal(resp(cont, strlen(cont), &s), DIS_OK);
    assert_int_equal(s.body, DIS_HTTP_BODY_NONE);
}

static void test_proxy_authorization(void **state)
{
    (void)state;
    static const char r[] = "CONNECT senso.cloud:443 HTTP/1.1\r\n"
                            "Host: senso.cloud:443\r\n"
                            "Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\n"
                            "\r\n";
    struct dis_http_connect_req q;
    assert_int_equal(req(r, strlen(r), &q), DIS_OK);
    assert_true(q.proxy_auth);
    assert_string_equal(q.auth_scheme, "Basic");
    assert_string_equal(q.user_agent, "");
    /* The credentials are not copied anywhere. */
    const char *bytes = (const char *)&q;
    for (size_t i = 0; i + 4 <= sizeof q; i++)
        assert_false(memcmp(bytes + i, "dXNl", 4) == 0);
}

static void test_ipv6_target(void **state)
{
    (void)state;
    static const char r[] = "CONNECT [2001:db8::1]:3478 HTTP/1.0\r\n\r\n";
    struct dis_http_connect_req q;
    assert_int_equal(req(r, strlen(r), &q), DIS_OK);
    assert_string_equal(q.host, "2001:db8::1");
    assert_true(q.ipv6);
    assert_int_equal(q.port, 3478);
    assert_int_equal(q.minor, 0);
    static const char bad1[] = "CONNECT [2001:db8::1]443 HTTP/1.1\r\n\r\n";
    static const char bad2[] = "CONNECT [senso.cloud]:443 HTTP/1.1\r\n\r\n";
    static const char bad3[] = "CONNECT 2001:db8::1:443 HTTP/1.1\r\n\r\n";
    assert_int_equal(req(bad1, strlen(bad1), &q), DIS_MALFORMED);
    assert_int_equal(req(bad2, strlen(bad2), &q), DIS_MALFORMED);
    assert_int_equal(req(bad3, strlen(bad3), &q), DIS_MALFORMED);
}

static void test_split_across_calls(void **state)
{
    (void)state;
    /* The stream grows as segments arrive; each call sees everything from the start. */
    size_t n = strlen(req_200);
    size_t cuts[] = {10, 60, 61, 100, n - 2, n - 1, n};
    struct dis_http_connect_req q;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        assert_int_equal(req(req_200, cuts[i], &q), cuts[i] == n ? DIS_OK : DIS_NEED_MORE);
    assert_int_equal(q.header_len, n);
    /* Bare LF line ends are accepted too. */
    static const char lf[] = "CONNECT a.example:8443 HTTP/1.1\nHost: a.example\n\n";
    assert_int_equal(req(lf, strlen(lf), &q), DIS_OK);
    assert_int_equal(q.header_len, strlen(lf));
    assert_int_equal(q.port, 8443);
}

static void test_truncation_every_offset(void **state)
{
    (void)state;
    struct dis_http_connect_req q;
    struct dis_http_connect_resp s;
    size_t n = strlen(req_200);
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_equal(req(req_200, cut, &q), DIS_NEED_MORE);
        uint8_t *p = dup_exact(req_200, cut);
        assert_int_equal(dis_http_connect_probe(p, cut), cut < 8 ? DIS_NEED_MORE : DIS_OK);
        free(p);
    }
    size_t hl = strlen(resp_407) - 13;
    for (size_t cut = 0; cut < hl; cut++)
        assert_int_equal(resp(resp_407, cut, &s), DIS_NEED_MORE);
    for (size_t cut = hl; cut <= strlen(resp_407); cut++)
        assert_int_equal(resp(resp_407, cut, &s), DIS_OK);
}

static void test_garbage_not_mine(void **state)
{
    (void)state;
    struct dis_http_connect_req q;
    struct dis_http_connect_resp s;
    static const char get[] = "GET http://senso.cloud/ HTTP/1.1\r\n\r\n";
    static const char lower[] = "connect senso.cloud:443 HTTP/1.1\r\n\r\n";
    static const char ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";
    assert_int_equal(req(get, strlen(get), &q), DIS_NOT_MINE);
    assert_int_equal(req(lower, strlen(lower), &q), DIS_NOT_MINE);
    assert_int_equal(req(tls_start, sizeof tls_start - 1, &q), DIS_NOT_MINE);
    assert_int_equal(resp(ssh, strlen(ssh), &s), DIS_NOT_MINE);
    assert_int_equal(resp(tls_start, sizeof tls_start - 1, &s), DIS_NOT_MINE);
    assert_int_equal(dis_http_connect_probe((const uint8_t *)"CONNEXT", 7), DIS_NOT_MINE);
}

static void test_malformed_and_bounds(void **state)
{
    (void)state;
    struct dis_http_connect_req q;
    struct dis_http_connect_resp s;
    static const char *bad_req[] = {
        "CONNECT senso.cloud HTTP/1.1\r\n\r\n",                 /* no port */
        "CONNECT senso.cloud:70000 HTTP/1.1\r\n\r\n",           /* port too large */
        "CONNECT senso.cloud:0 HTTP/1.1\r\n\r\n",               /* port zero */
        "CONNECT :443 HTTP/1.1\r\n\r\n",                        /* no host */
        "CONNECT senso.cloud:443 HTTP/2.0\r\n\r\n",             /* not HTTP/1.x */
        "CONNECT senso.cloud:443\r\n\r\n",                      /* no version */
        "CONNECT senso.cloud:443 HTTP/1.1\r\nHost : x\r\n\r\n", /* space before colon */
        "CONNECT senso.cloud:443 HTTP/1.1\r\nNoColon\r\n\r\n",
        "CONNECT senso.cloud:443 HTTP/1.1\r\n folded\r\n\r\n",
        "CONNECT sen\x01so.cloud:443 HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad_req / sizeof bad_req[0]; i++)
        assert_int_equal(req(bad_req[i], strlen(bad_req[i]), &q), DIS_MALFORMED);
    static const char *bad_resp[] = {
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 20x OK\r\n\r\n",
        "HTTP/1.1 407 X\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 407 X\r\nContent-Length: -5\r\n\r\n",
        "HTTP/1.1 407 X\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad_resp / sizeof bad_resp[0]; i++)
        assert_int_equal(resp(bad_resp[i], strlen(bad_resp[i]), &s), DIS_MALFORMED);

    /* A header that never ends: NEED_MORE under the bound, MALFORMED at it. */
    char *big = malloc(DIS_HTTP_CONNECT_HEAD_MAX + 100);
    assert_non_null(big);
    size_t n = (size_t)snprintf(big, 64, "CONNECT a.example:443 HTTP/1.1\r\nX-Pad: ");
    memset(big + n, 'a', DIS_HTTP_CONNECT_HEAD_MAX + 100 - n);
    assert_int_equal(req(big, DIS_HTTP_CONNECT_HEAD_MAX - 1, &q), DIS_NEED_MORE);
    assert_int_equal(req(big, DIS_HTTP_CONNECT_HEAD_MAX, &q), DIS_MALFORMED);
    assert_int_equal(req(big, DIS_HTTP_CONNECT_HEAD_MAX + 100, &q), DIS_MALFORMED);
    free(big);

    /* Too many lines. */
    char lines[2048];
    n = (size_t)snprintf(lines, sizeof lines, "CONNECT a.example:443 HTTP/1.1\r\n");
    for (int i = 0; i < DIS_HTTP_CONNECT_LINES_MAX; i++)
        n += (size_t)snprintf(lines + n, sizeof lines - n, "X: %d\r\n", i);
    n += (size_t)snprintf(lines + n, sizeof lines - n, "\r\n");
    assert_int_equal(req(lines, n, &q), DIS_MALFORMED);

    /* A long User-Agent with a control byte: cut, cleaned, flagged. */
    char ua[600];
    n = (size_t)snprintf(ua, sizeof ua, "CONNECT a.example:443 HTTP/1.1\r\nUser-Agent: \x7f");
    memset(ua + n, 'u', 300);
    n += 300;
    n += (size_t)snprintf(ua + n, sizeof ua - n, "\r\n\r\n");
    assert_int_equal(req(ua, n, &q), DIS_OK);
    assert_true(q.ua_truncated);
    assert_int_equal(strlen(q.user_agent), DIS_HTTP_UA_LEN - 1);
    assert_int_equal(q.user_agent[0], '?');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_200),
        cmocka_unit_test(test_407_proxy_authenticate),
        cmocka_unit_test(test_403),
        cmocka_unit_test(test_proxy_authorization),
        cmocka_unit_test(test_ipv6_target),
        cmocka_unit_test(test_split_across_calls),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_garbage_not_mine),
        cmocka_unit_test(test_malformed_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
