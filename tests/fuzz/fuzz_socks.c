/* SPDX-License-Identifier: MIT */
/*
 * fuzz_socks.c - libFuzzer target for the SOCKS parsers: the input is probed and parsed as
 * every client and server message (both versions, first or not), whole and cut in two places
 * as a growing stream would be. Checks: lengths inside the input, hosts terminated inside
 * their array, a prefix never doing better than the whole and agreeing with it when complete.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/socks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static enum dis_status one(const uint8_t *p, size_t n, int which, struct dis_socks_msg *m)
{
    enum dis_status st;
    if (which < 2)
        st = dis_socks_client_msg(p, n, which == 0, m);
    else
        st = dis_socks_server_msg(p, n, which < 5 ? 5 : 4, which == 2, m);
    CHECK(st == DIS_OK || st == DIS_NEED_MORE || st == DIS_NOT_MINE || st == DIS_MALFORMED);
    if (st == DIS_OK) {
        CHECK(m->len > 0 && m->len <= n);
        CHECK(memchr(m->host, '\0', sizeof m->host) != NULL);
        CHECK(m->version == 4 || m->version == 5);
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum dis_status pr = dis_socks_probe(data, size);
    CHECK(pr == DIS_OK || pr == DIS_NEED_MORE || pr == DIS_NOT_MINE);
    for (int which = 0; which < 6; which++) {
        struct dis_socks_msg whole, part;
        enum dis_status w = one(data, size, which, &whole);
        size_t cuts[2] = {size / 2, size > 0 ? size - 1 : 0};
        for (int i = 0; i < 2; i++) {
            enum dis_status st = one(data, cuts[i], which, &part);
            /* a complete message stays the same when more bytes follow */
            if (st == DIS_OK) {
                CHECK(w == DIS_OK && whole.len == part.len && whole.kind == part.kind);
                CHECK(strcmp(whole.host, part.host) == 0);
            }
        }
    }
    return 0;
}
