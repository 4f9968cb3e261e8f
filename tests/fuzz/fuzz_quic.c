/* SPDX-License-Identifier: MIT */
/*
 * fuzz_quic.c - libFuzzer target for QUIC Initial packets. The first byte picks a mode:
 *   0  the rest is one datagram for a client collector (and the probe);
 *   1  the rest is a series of datagrams (16-bit length prefixes) for one client collector;
 *   2  the rest is a series of decrypted Initial payloads (16-bit length prefixes) given to
 *      dis_quic_collect_frames(), so that the frame parser is reached without a valid tag;
 *   3  the rest is one datagram for a server collector keyed with the RFC 9001 DCID.
 * Checks: statuses in range, the CRYPTO prefix bounded and readable, counters consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/quic.h"
#include "dissect/rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static const uint8_t rfc_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void check_collector(const struct dis_quic_collector *c, enum dis_status st)
{
    CHECK(st <= DIS_NOT_MINE);
    const uint8_t *p;
    size_t len;
    dis_quic_crypto(c, &p, &len);
    CHECK(len <= DIS_QUIC_CRYPTO_MAX);
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++) /* every byte readable (ASan) */
        sum += p[i];
    (void)sum;
    CHECK(c->crypto.contig <= DIS_QUIC_CRYPTO_MAX);
    CHECK(c->crypto.nranges <= DIS_TCP_REASM_MAX_RANGES);
    CHECK(c->dcid_len <= DIS_QUIC_CID_MAX && c->scid_len <= DIS_QUIC_CID_MAX);
    if (st == DIS_OK)
        CHECK(dis_quic_hello_complete(c));
    if (c->packets == 0)
        CHECK(c->largest_pn == -1);
}

/* Feeds each 16-bit-length-prefixed chunk of @p r to the collector (at most 64 chunks). */
static void chunks(struct dis_quic_collector *c, struct rd *r, int frames)
{
    for (int i = 0; i < 64 && rd_left(r) > 0; i++) {
        size_t n = rd_be16(r);
        if (n > rd_left(r))
            n = rd_left(r);
        const uint8_t *p = rd_view(r, n);
        if (!rd_ok(r))
            break;
        enum dis_status st = frames ? dis_quic_collect_frames(c, p, n) : dis_quic_collect(c, p, n);
        check_collector(c, st);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rd r;
    rd_init(&r, data, size);
    int mode = rd_u8(&r);
    if (!rd_ok(&r))
        return 0;
    size_t n = rd_left(&r);
    const uint8_t *rest = rd_ptr(&r);
    struct dis_quic_collector *c = malloc(sizeof *c);
    if (!c)
        return 0;
    dis_quic_collector_init(c, (mode & 3) == 3);
    switch (mode & 3) {
    case 0: {
        enum dis_status probe = dis_quic_probe(rest, n);
        CHECK(probe == DIS_OK || probe == DIS_NOT_MINE || probe == DIS_TRUNCATED ||
              probe == DIS_MALFORMED);
        enum dis_status st = dis_quic_collect(c, rest, n);
        check_collector(c, st);
        if (probe == DIS_OK && st == DIS_NOT_MINE) /* only a server collector says that */
            abort();
        break;
    }
    case 1:
        chunks(c, &r, 0);
        break;
    case 2:
        chunks(c, &r, 1);
        break;
    default:
        dis_quic_collector_set_odcid(c, rfc_dcid, sizeof rfc_dcid);
        check_collector(c, dis_quic_collect(c, rest, n));
        break;
    }
    dis_quic_collector_free(c);
    free(c);
    return 0;
}
