/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_reasm.c - TCP stream reassembly: in order, reversed, duplicates, overlaps that
 * differ (first copy wins), wraparound across 2^32, gaps (held bytes, FIN, RST, full range
 * list), the capacity cap, a TLS-like stream one byte per segment, and random permutations.
 * Segment payloads are heap copies freed right after each call, so ASan sees any kept pointer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect/decode.h"
#include "dissect/tcp_reasm.h"

/* The byte at stream offset @p off in the reference stream. */
static uint8_t pat(uint32_t off)
{
    return (uint8_t)((off * 31u + 7u) ^ (off >> 8));
}

/* Offers stream bytes [off, off+len) (pattern XOR @p x) with sequence numbers from @p isn. */
static int feed_x(struct dis_tcp_reasm *r, uint32_t isn, uint32_t off, uint32_t len, uint8_t flags,
                  uint8_t x)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    for (uint32_t i = 0; i < len; i++)
        p[i] = pat(off + i) ^ x;
    int rc = dis_tcp_reasm_segment(r, isn + 1u + off, flags, len ? p : NULL, len);
    free(p);
    return rc;
}

static int feed(struct dis_tcp_reasm *r, uint32_t isn, uint32_t off, uint32_t len)
{
    return feed_x(r, isn, off, len, DIS_TH_ACK | DIS_TH_PSH, 0);
}

static void syn(struct dis_tcp_reasm *r, uint32_t isn)
{
    assert_int_equal(dis_tcp_reasm_segment(r, isn, DIS_TH_SYN, NULL, 0), 0);
}

/* Asserts the view holds the reference bytes [off, off+len). */
static void expect_view(struct dis_tcp_reasm *r, uint32_t off, size_t len, bool gap)
{
    struct dis_tcp_view v;
    dis_tcp_reasm_peek(r, &v);
    assert_int_equal(v.off, off);
    assert_int_equal(v.len, len);
    assert_int_equal(v.gap, gap);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(v.p[i], pat(off + (uint32_t)i));
}

static void test_in_order(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    syn(&r, 1000);
    assert_true(r.flags & DIS_TCP_REASM_F_SYN);
    assert_int_equal(feed(&r, 1000, 0, 100), 1);
    assert_int_equal(feed(&r, 1000, 100, 100), 1);
    assert_int_equal(feed(&r, 1000, 200, 100), 1);
    expect_view(&r, 0, 300, false);
    dis_tcp_reasm_consume(&r, 150);
    expect_view(&r, 150, 150, false);
    assert_int_equal(feed_x(&r, 1000, 300, 0, DIS_TH_FIN | DIS_TH_ACK, 0), 1);
    assert_true(r.flags & DIS_TCP_REASM_F_FIN);
    assert_int_equal(r.fin_off, 300);
    assert_false(r.flags & DIS_TCP_REASM_F_GAP);
    const uint8_t *p;
    size_t len;
    dis_tcp_reasm_prefix(&r, &p, &len);
    assert_int_equal(len, 300);
    assert_int_equal(p[299], pat(299));
    dis_tcp_reasm_free(&r);
}

static void test_reversed(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    syn(&r, 7);
    assert_int_equal(feed(&r, 7, 200, 100), 0);
    assert_int_equal(feed(&r, 7, 100, 100), 0);
    expect_view(&r, 0, 0, false);
    assert_int_equal(r.nranges, 1);
    assert_int_equal(feed(&r, 7, 0, 100), 1);
    expect_view(&r, 0, 300, false);
    assert_int_equal(r.nranges, 0);
    dis_tcp_reasm_free(&r);
}

static void test_duplicate(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    syn(&r, 0);
    feed(&r, 0, 0, 100);
    assert_int_equal(feed(&r, 0, 0, 100), 0);
    feed(&r, 0, 200, 50);
    assert_int_equal(feed(&r, 0, 200, 50), 0); /* duplicate of an out-of-order range */
    feed(&r, 0, 100, 100);
    expect_view(&r, 0, 250, false);
    assert_int_equal(r.dup_bytes, 150);
    assert_int_equal(r.overlap_diff, 0);
    assert_false(r.flags & DIS_TCP_REASM_F_OVERLAP_DIFF);
    dis_tcp_reasm_free(&r);
}

static void test_overlap_differs(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    syn(&r, 5);
    feed(&r, 5, 0, 100);
    /* [50, 150) with other bytes: [50, 100) keeps the first copy, [100, 150) is new. */
    feed_x(&r, 5, 50, 100, DIS_TH_ACK, 0xff);
    assert_int_equal(r.overlap_diff, 1);
    assert_true(r.flags & DIS_TCP_REASM_F_OVERLAP_DIFF);
    struct dis_tcp_view v;
    dis_tcp_reasm_peek(&r, &v);
    assert_int_equal(v.len, 150);
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(v.p[i], pat(i));
    for (uint32_t i = 100; i < 150; i++)
        assert_int_equal(v.p[i], pat(i) ^ 0xff);

    /* Out of order: [300, 400) held, then [250, 450) differing over all of it. */
    feed(&r, 5, 300, 100);
    feed_x(&r, 5, 250, 200, DIS_TH_ACK, 0x55);
    assert_int_equal(r.overlap_diff, 2);
    feed(&r, 5, 150, 100);
    dis_tcp_reasm_peek(&r, &v);
    assert_int_equal(v.len, 450);
    for (uint32_t i = 250; i < 300; i++)
        assert_int_equal(v.p[i], pat(i) ^ 0x55);
    for (uint32_t i = 300; i < 400; i++)
        assert_int_equal(v.p[i], pat(i));
    for (uint32_t i = 400; i < 450; i++)
        assert_int_equal(v.p[i], pat(i) ^ 0x55);
    dis_tcp_reasm_free(&r);
}

static void test_wraparound(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    uint32_t isn = 0xffffff00u; /* offset 255 is sequence number 0 */
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    syn(&r, isn);
    assert_int_equal(r.base, 0xffffff01u);
    feed(&r, isn, 400, 100); /* wholly past 2^32, out of order */
    feed(&r, isn, 200, 200); /* straddles 2^32 */
    feed(&r, isn, 0, 200);
    expect_view(&r, 0, 500, false);
    /* A segment from before the ISN (old duplicate) is late, not data. */
    assert_int_equal(dis_tcp_reasm_segment(&r, isn - 50, DIS_TH_ACK, (const uint8_t *)"x", 1), 0);
    assert_int_equal(r.late_bytes, 1);
    dis_tcp_reasm_free(&r);

    /* Missed SYN: offset 0 is the first segment seen, here just below 2^32. */
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    feed(&r, 0xfffffff0u - 1, 0, 64);
    assert_true(r.flags & DIS_TCP_REASM_F_MIDSTREAM);
    feed(&r, 0xfffffff0u - 1, 64, 64);
    expect_view(&r, 0, 128, false);
    dis_tcp_reasm_free(&r);
}

static void test_gap_after_bytes(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, 1000);
    syn(&r, 1);
    feed(&r, 1, 0, 100);
    /* [100, 200) never arrives. */
    for (uint32_t off = 200; off < 1100; off += 100)
        assert_int_equal(feed(&r, 1, off, 100), 0);
    expect_view(&r, 0, 100, false);
    assert_int_equal(feed(&r, 1, 1100, 100), 1); /* 1000 bytes held beyond the hole */
    assert_true(r.flags & DIS_TCP_REASM_F_GAP);
    assert_int_equal(r.gaps_skipped, 1);
    assert_int_equal(r.gap_bytes, 100);
    expect_view(&r, 0, 100, false); /* the view stops in front of the gap */
    dis_tcp_reasm_consume(&r, 100);
    expect_view(&r, 200, 1000, true);
    dis_tcp_reasm_consume(&r, 10);
    expect_view(&r, 210, 990, false);
    /* The missing segment arrives too late: not delivered. */
    assert_int_equal(feed(&r, 1, 100, 100), 0);
    assert_int_equal(r.late_bytes, 100);
    const uint8_t *p;
    size_t len;
    dis_tcp_reasm_prefix(&r, &p, &len);
    assert_int_equal(len, 100);
    dis_tcp_reasm_free(&r);
}

static void test_gap_at_fin(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    syn(&r, 9);
    feed(&r, 9, 0, 100);
    feed(&r, 9, 200, 100);
    expect_view(&r, 0, 100, false);
    assert_int_equal(feed_x(&r, 9, 300, 0, DIS_TH_FIN | DIS_TH_ACK, 0), 1);
    assert_true(r.flags & DIS_TCP_REASM_F_GAP);
    expect_view(&r, 0, 100, false);
    dis_tcp_reasm_consume(&r, 100);
    expect_view(&r, 200, 100, true);
    dis_tcp_reasm_free(&r);

    /* The missing bytes are just before the FIN: a tail gap, nothing after it. */
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    syn(&r, 9);
    feed(&r, 9, 0, 100);
    feed_x(&r, 9, 300, 0, DIS_TH_FIN | DIS_TH_ACK, 0);
    assert_int_equal(r.gap_bytes, 200);
    dis_tcp_reasm_consume(&r, 100);
    expect_view(&r, 300, 0, true);
    /* Data after the FIN is dropped. */
    feed(&r, 9, 300, 10);
    assert_true(r.flags & DIS_TCP_REASM_F_AFTER_FIN);
    dis_tcp_reasm_free(&r);
}

static void test_rst_and_flush(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    syn(&r, 3);
    feed(&r, 3, 0, 10);
    feed(&r, 3, 20, 10);
    feed(&r, 3, 40, 10);
    assert_int_equal(dis_tcp_reasm_segment(&r, 3 + 1 + 50, DIS_TH_RST, NULL, 0), 1);
    assert_int_equal(r.gaps_skipped, 2);
    assert_int_equal(r.contig, 50);
    assert_int_equal(feed(&r, 3, 10, 10), 0); /* nothing accepted after RST */
    dis_tcp_reasm_free(&r);

    dis_tcp_reasm_init(&r, NULL, 0, DIS_TCP_REASM_GAP_NEVER);
    syn(&r, 3);
    feed(&r, 3, 0, 10);
    feed(&r, 3, 20, 10);
    assert_int_equal(dis_tcp_reasm_flush(&r), 1);
    assert_int_equal(dis_tcp_reasm_flush(&r), 0);
    assert_int_equal(r.contig, 30);
    dis_tcp_reasm_free(&r);
}

static void test_range_list_full(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, DIS_TCP_REASM_GAP_NEVER);
    syn(&r, 0);
    for (uint32_t i = 0; i < DIS_TCP_REASM_MAX_RANGES; i++)
        feed(&r, 0, 20 + 20 * i, 10);
    assert_int_equal(r.nranges, DIS_TCP_REASM_MAX_RANGES);
    assert_int_equal(r.contig, 0);
    /* One more disjoint range: the oldest hole [0, 20) is given up. */
    assert_int_equal(feed(&r, 0, 1000, 10), 1);
    assert_int_equal(r.nranges, DIS_TCP_REASM_MAX_RANGES);
    assert_int_equal(r.contig, 30);
    assert_int_equal(r.gaps_skipped, 1);
    expect_view(&r, 20, 10, true);
    /* Filling a hole that touches existing ranges needs no slot. */
    feed(&r, 0, 30, 10);
    assert_int_equal(r.contig, 50);
    dis_tcp_reasm_free(&r);
}

static void test_capacity(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 1000, 0);
    syn(&r, 77);
    for (uint32_t off = 0; off < 1500; off += 300)
        feed(&r, 77, off, 300);
    assert_true(r.flags & DIS_TCP_REASM_F_CAPPED);
    expect_view(&r, 0, 1000, false);
    assert_int_equal(feed(&r, 77, 2000, 300), 0);
    dis_tcp_reasm_free(&r);

    /* A caller-owned buffer is used as is and never freed here. */
    uint8_t own[64];
    dis_tcp_reasm_init(&r, own, sizeof own, 0);
    syn(&r, 0);
    feed(&r, 0, 0, 100);
    assert_true(r.flags & DIS_TCP_REASM_F_CAPPED);
    assert_false(r.owns);
    expect_view(&r, 0, 64, false);
    assert_int_equal(own[63], pat(63));
    dis_tcp_reasm_free(&r);
}

static void test_syn_with_data(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    uint8_t *p = malloc(20);
    assert_non_null(p);
    for (uint32_t i = 0; i < 20; i++)
        p[i] = pat(i);
    /* TCP Fast Open: the SYN carries bytes, the first at ISN + 1. */
    assert_int_equal(dis_tcp_reasm_segment(&r, 500, DIS_TH_SYN, p, 20), 1);
    free(p);
    feed(&r, 500, 20, 30);
    expect_view(&r, 0, 50, false);
    dis_tcp_reasm_free(&r);
}

static void test_insert_offsets(void **state)
{
    (void)state;
    struct dis_tcp_reasm r;
    uint8_t buf[256];
    uint8_t a[100], b[100];
    for (uint32_t i = 0; i < 100; i++) {
        a[i] = pat(i);
        b[i] = pat(100 + i);
    }
    dis_tcp_reasm_init(&r, buf, sizeof buf, DIS_TCP_REASM_GAP_NEVER);
    assert_int_equal(dis_tcp_reasm_insert(&r, 100, b, sizeof b), 0);
    assert_int_equal(dis_tcp_reasm_insert(&r, 0, a, sizeof a), 1);
    assert_int_equal(dis_tcp_reasm_insert(&r, 1ull << 62, a, sizeof a), 0);
    assert_true(r.flags & DIS_TCP_REASM_F_CAPPED);
    expect_view(&r, 0, 200, false);
    dis_tcp_reasm_free(&r);
}

/* Big-endian 16 bits through the view's bytes. */
static size_t be16_at(const uint8_t *p)
{
    return (size_t)p[0] << 8 | p[1];
}

static void test_tls_like_byte_per_segment(void **state)
{
    (void)state;
    /* Three TLS-like records (type 0x16, version, length), fed one byte per segment. */
    static const size_t bodies[3] = {10, 200, 30};
    uint8_t stream[5 * 3 + 10 + 200 + 30];
    size_t n = 0, ends[3];
    for (int i = 0; i < 3; i++) {
        stream[n++] = 0x16;
        stream[n++] = 0x03;
        stream[n++] = 0x01;
        stream[n++] = (uint8_t)(bodies[i] >> 8);
        stream[n++] = (uint8_t)bodies[i];
        for (size_t j = 0; j < bodies[i]; j++)
            stream[n++] = (uint8_t)(i * 50 + j);
        ends[i] = n;
    }
    struct dis_tcp_reasm r;
    dis_tcp_reasm_init(&r, NULL, 0, 0);
    syn(&r, 0xfffffff0u); /* and across 2^32 for good measure */
    int records = 0;
    size_t consumed = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = malloc(1);
        assert_non_null(b);
        b[0] = stream[i];
        assert_int_equal(dis_tcp_reasm_segment(&r, 0xfffffff1u + (uint32_t)i, DIS_TH_ACK, b, 1), 1);
        free(b);
        struct dis_tcp_view v;
        dis_tcp_reasm_peek(&r, &v);
        assert_int_equal(v.off, consumed);
        if (v.len >= 5 && v.len >= 5 + be16_at(v.p + 3)) {
            size_t rec = 5 + be16_at(v.p + 3);
            assert_memory_equal(v.p, stream + consumed, rec);
            dis_tcp_reasm_consume(&r, rec);
            consumed += rec;
            assert_int_equal(consumed, ends[records]);
            records++;
            assert_int_equal(i + 1, consumed);
        }
    }
    assert_int_equal(records, 3);
    dis_tcp_reasm_free(&r);
}

/* xorshift32: a fixed-seed generator, local state only. */
static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static void test_random_permutations(void **state)
{
    (void)state;
    uint32_t seed = 0x5eed1234u;
    for (int round = 0; round < 200; round++) {
        uint32_t off[20], len[20], order[20], total = 0;
        for (int i = 0; i < 20; i++) {
            off[i] = total;
            len[i] = 1 + next_rand(&seed) % 97;
            total += len[i];
            order[i] = (uint32_t)i;
        }
        for (int i = 19; i > 0; i--) { /* Fisher-Yates */
            uint32_t j = next_rand(&seed) % (uint32_t)(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        uint32_t isn = next_rand(&seed);
        struct dis_tcp_reasm r;
        dis_tcp_reasm_init(&r, NULL, 0, 0);
        if (round % 4 != 0)
            syn(&r, isn);
        else /* missed SYN: make segment 0 the first one seen */
            feed(&r, isn, off[0], len[0]);
        for (int k = 0; k < 20; k++) {
            uint32_t i = order[k];
            feed(&r, isn, off[i], len[i]);
            if (next_rand(&seed) % 3 == 0) { /* an overlapping retransmission of the same bytes */
                uint32_t a = off[i] + next_rand(&seed) % len[i];
                uint32_t b = a + 1 + next_rand(&seed) % 150;
                if (b > total)
                    b = total;
                feed(&r, isn, a, b - a);
            }
        }
        expect_view(&r, 0, total, false);
        assert_int_equal(r.overlap_diff, 0);
        assert_false(r.flags & DIS_TCP_REASM_F_GAP);
        assert_int_equal(r.nranges, 0);
        dis_tcp_reasm_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_reversed),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_overlap_differs),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_gap_after_bytes),
        cmocka_unit_test(test_gap_at_fin),
        cmocka_unit_test(test_rst_and_flush),
        cmocka_unit_test(test_range_list_full),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_syn_with_data),
        cmocka_unit_test(test_insert_offsets),
        cmocka_unit_test(test_tls_like_byte_per_segment),
        cmocka_unit_test(test_random_permutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
