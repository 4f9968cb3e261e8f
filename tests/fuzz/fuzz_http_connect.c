/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http_connect.c - libFuzzer target for the HTTP CONNECT parsers: the input is probed and
 * parsed as a request and as a response, whole and cut in two places as a growing stream would
 * be. Checks: statuses in range, header_len inside the input and at a line end, copied strings
 * terminated inside their arrays, a prefix never doing better than the whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/http_connect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static void check_str(const char *s, size_t cap)
{
    CHECK(memchr(s, '\0', cap) != NULL);
}

static enum dis_status check_req(const uint8_t *p, size_t n)
{
    struct dis_http_connect_req q;
    enum dis_status st = dis_http_connect_request(p, n, &q);
    CHECK(st == DIS_OK || st == DIS_NEED_MORE || st == DIS_NOT_MINE || st == DIS_MALFORMED);
    enum dis_status probe = dis_http_connect_probe(p, n);
    if (probe != DIS_OK)
        CHECK(st == probe);
    if (st == DIS_OK) {
        CHECK(q.header_len > 0 && q.header_len <= n && q.header_len <= DIS_HTTP_CONNECT_HEAD_MAX);
        CHECK(p[q.header_len - 1] == '\n');
        CHECK(q.port > 0 && q.host[0] != '\0');
        check_str(q.host, sizeof q.host);
        check_str(q.host_field, sizeof q.host_field);
        check_str(q.user_agent, sizeof q.user_agent);
        check_str(q.auth_scheme, sizeof q.auth_scheme);
    }
    return st;
}

static enum dis_status check_resp(const uint8_t *p, size_t n)
{
    struct dis_http_connect_resp s;
    enum dis_status st = dis_http_connect_response(p, n, &s);
    CHECK(st == DIS_OK || st == DIS_NEED_MORE || st == DIS_NOT_MINE || st == DIS_MALFORMED);
    if (st == DIS_OK) {
        CHECK(s.header_len > 0 && s.header_len <= n && s.header_len <= DIS_HTTP_CONNECT_HEAD_MAX);
        CHECK(p[s.header_len - 1] == '\n');
        CHECK(s.status >= 100 && s.status <= 599);
        CHECK(s.body <= DIS_HTTP_BODY_UNTIL_CLOSE);
        if (s.status < 300)
            CHECK(s.body == DIS_HTTP_BODY_NONE);
        check_str(s.reason, sizeof s.reason);
        check_str(s.auth_scheme, sizeof s.auth_scheme);
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum dis_status whole_req = check_req(data, size);
    enum dis_status whole_resp = check_resp(data, size);
    size_t cuts[2] = {size / 2, size > 0 ? size - 1 : 0};
    for (int i = 0; i < 2; i++) {
        enum dis_status a = check_req(data, cuts[i]);
        enum dis_status b = check_resp(data, cuts[i]);
        /* A complete header stays complete when more bytes follow. */
        if (a == DIS_OK)
            CHECK(whole_req == DIS_OK);
        if (b == DIS_OK)
            CHECK(whole_resp == DIS_OK);
    }
    return 0;
}
