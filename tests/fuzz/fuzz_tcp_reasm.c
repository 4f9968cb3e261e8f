/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tcp_reasm.c - libFuzzer target for TCP reassembly. Input: ISN (4 bytes), a config byte
 * (capacity, gap policy), then 5-byte segment records: flags, 16-bit offset from the ISN,
 * 16-bit length. Payload bytes are a function of their sequence number, so that until a record
 * asks for corrupted bytes (or a SYN moves offset 0), every byte the reassembler delivers must
 * equal the reference: an oracle for ordering, overlap and wraparound handling.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/decode.h"
#include "dissect/rd.h"
#include "dissect/tcp_reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

enum { R_FIN = 1, R_SYN = 2, R_RST = 4, R_CORRUPT = 8, R_CONSUME = 16, R_PEEK = 32 };

static uint8_t ref(uint32_t seq)
{
    return (uint8_t)((seq * 2654435761u) >> 24);
}

static void check_view(struct dis_tcp_reasm *r, int exact)
{
    struct dis_tcp_view v;
    dis_tcp_reasm_peek(r, &v);
    CHECK(v.len <= r->cap && v.off <= r->cap && v.off + v.len <= r->cap);
    CHECK(v.len == 0 || v.p != NULL);
    for (size_t i = 0; i < v.len; i++)
        CHECK(!exact || v.p[i] == ref(r->base + v.off + (uint32_t)i));
    const uint8_t *p;
    size_t len;
    dis_tcp_reasm_prefix(r, &p, &len);
    CHECK(len <= r->cap && len <= r->contig);
    for (size_t i = 0; i < len; i++)
        CHECK(!exact || p[i] == ref(r->base + (uint32_t)i));
    CHECK(r->nranges <= DIS_TCP_REASM_MAX_RANGES && r->ngaps <= DIS_TCP_REASM_MAX_GAPS);
    for (unsigned i = 0; i < r->nranges; i++) {
        CHECK(r->ranges[i].start > r->contig && r->ranges[i].start < r->ranges[i].end);
        CHECK(r->ranges[i].end <= r->cap);
        if (i > 0)
            CHECK(r->ranges[i - 1].end < r->ranges[i].start);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t caps[4] = {64, 1000, 4096, 0};
    static const uint32_t gaps[4] = {0, 100, DIS_TCP_REASM_GAP_NEVER, 1};
    struct rd in;
    rd_init(&in, data, size);
    uint32_t isn = rd_be32(&in);
    int cfg = rd_u8(&in);
    if (!rd_ok(&in))
        return 0;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, caps[cfg & 3], gaps[(cfg >> 2) & 3]);
    uint8_t *payload = malloc(2048);
    if (!payload)
        return 0;
    int exact = 1;
    for (int k = 0; k < 4096 && rd_left(&in) >= 5; k++) {
        int flags = rd_u8(&in);
        uint32_t off = rd_be16(&in);
        size_t len = rd_be16(&in) % 2048;
        uint8_t th = DIS_TH_ACK;
        if (flags & R_FIN)
            th |= DIS_TH_FIN;
        if (flags & R_SYN)
            th |= DIS_TH_SYN;
        if (flags & R_RST)
            th |= DIS_TH_RST;
        uint32_t seq = isn + off; /* with SYN, data starts one after seq */
        uint32_t first = seq + ((th & DIS_TH_SYN) ? 1u : 0u);
        for (size_t i = 0; i < len; i++)
            payload[i] = (uint8_t)(ref(first + (uint32_t)i) ^ ((flags & R_CORRUPT) ? 0x5a : 0));
        if ((flags & R_CORRUPT) && len > 0)
            exact = 0;
        uint32_t base_before = r.base;
        int started = (r.flags & DIS_TCP_REASM_F_STARTED) != 0;
        int rc = dis_tcp_reasm_segment(&r, seq, th, len ? payload : NULL, len);
        CHECK(rc >= -1 && rc <= 1);
        if (started && r.base != base_before)
            exact = 0; /* a late SYN moved offset 0: the old bytes were not at these offsets */
        if (flags & R_PEEK)
            check_view(&r, exact);
        if (flags & R_CONSUME) {
            struct dis_tcp_view v;
            dis_tcp_reasm_peek(&r, &v);
            dis_tcp_reasm_consume(&r, off % (v.len + 1));
        }
    }
    check_view(&r, exact);
    dis_tcp_reasm_flush(&r);
    check_view(&r, exact);
    dis_tcp_reasm_free(&r);
    free(payload);
    return 0;
}
