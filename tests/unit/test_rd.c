/* SPDX-License-Identifier: MIT */
/* test_rd.c - the byte reader: values, every read at the end of a buffer, sticky error, rd_sub. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect/rd.h"

/* A heap copy of exactly @p n bytes, so that ASan catches a read one past the end. */
static uint8_t *dup_exact(const uint8_t *src, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, src, n);
    return p;
}

static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a};

static void test_values(void **state)
{
    (void)state;
    uint8_t *b = dup_exact(bytes, sizeof bytes);
    struct rd r;
    rd_init(&r, b, sizeof bytes);
    assert_int_equal(rd_u8(&r), 0x01);
    assert_int_equal(rd_be16(&r), 0x0203);
    assert_int_equal(rd_be24(&r), 0x040506);
    assert_int_equal(rd_be32(&r), 0x0708090a);
    assert_true(rd_ok(&r));
    assert_int_equal(rd_left(&r), 0);

    rd_init(&r, b, sizeof bytes);
    assert_true(rd_be64(&r) == 0x0102030405060708ull);
    assert_int_equal(rd_le16(&r), 0x0a09);
    assert_true(rd_ok(&r));

    rd_init(&r, b, sizeof bytes);
    assert_int_equal(rd_le32(&r), 0x04030201);
    assert_int_equal(rd_peek_u8(&r, 0), 0x05);
    assert_int_equal(rd_peek_u8(&r, 5), 0x0a);
    assert_int_equal(rd_peek_u8(&r, 6), -1);
    assert_ptr_equal(rd_ptr(&r), b + 4);
    const uint8_t *v = rd_view(&r, 2);
    assert_ptr_equal(v, b + 4);
    assert_int_equal(rd_left(&r), 4);
    assert_int_equal(rd_skip(&r, 1), 0);
    uint8_t cp[3];
    assert_int_equal(rd_copy(&r, cp, 3), 0);
    assert_memory_equal(cp, bytes + 7, 3);
    assert_int_equal(rd_left(&r), 0);
    assert_true(rd_ok(&r));
    free(b);
}

/* Each fixed-size read with one byte too few: 0, error, reader emptied, nothing read past. */
static void test_read_at_end(void **state)
{
    (void)state;
    struct rd r;
    uint8_t *b;

#define AT_END(n, call)                                                                            \
    do {                                                                                           \
        b = dup_exact(bytes, (n));                                                                 \
        rd_init(&r, b, (n));                                                                       \
        assert_true((call) == 0);                                                                  \
        assert_false(rd_ok(&r));                                                                   \
        assert_int_equal(rd_left(&r), 0);                                                          \
        free(b);                                                                                   \
    } while (0)

    AT_END(0, rd_u8(&r));
    AT_END(1, rd_be16(&r));
    AT_END(2, rd_be24(&r));
    AT_END(3, rd_be32(&r));
    AT_END(7, rd_be64(&r));
    AT_END(1, rd_le16(&r));
    AT_END(3, rd_le32(&r));
    AT_END(3, rd_view(&r, 4) != NULL);
    AT_END(3, rd_skip(&r, 4) + 1);
#undef AT_END

    /* rd_copy zero-fills its destination on underrun. */
    b = dup_exact(bytes, 3);
    rd_init(&r, b, 3);
    uint8_t cp[4] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(rd_copy(&r, cp, 4), -1);
    assert_memory_equal(cp, "\0\0\0\0", 4);
    assert_false(rd_ok(&r));
    free(b);

    /* Exactly the bytes present: fine, and the reader is then empty but not errored. */
    b = dup_exact(bytes, 4);
    rd_init(&r, b, 4);
    assert_int_equal(rd_be32(&r), 0x01020304);
    assert_true(rd_ok(&r));
    assert_int_equal(rd_peek_u8(&r, 0), -1);
    free(b);

    /* An empty reader over NULL. */
    rd_init(&r, NULL, 0);
    assert_true(rd_ok(&r));
    assert_int_equal(rd_left(&r), 0);
    assert_int_equal(rd_u8(&r), 0);
    assert_false(rd_ok(&r));
}

/* Once errored, a reader stays errored: even zero-length requests fail. */
static void test_sticky(void **state)
{
    (void)state;
    uint8_t *b = dup_exact(bytes, 6);
    struct rd r;
    rd_init(&r, b, 6);
    assert_int_equal(rd_u8(&r), 0x01);
    assert_int_equal(rd_be64(&r), 0); /* 5 left: underrun */
    assert_false(rd_ok(&r));
    assert_int_equal(rd_left(&r), 0);
    assert_int_equal(rd_u8(&r), 0);
    assert_int_equal(rd_skip(&r, 0), -1);
    assert_null(rd_view(&r, 0));
    assert_int_equal(rd_peek_u8(&r, 0), -1);
    struct rd sub;
    assert_int_equal(rd_sub(&r, 0, &sub), -1);
    assert_false(rd_ok(&sub));
    rd_rest(&r, &sub);
    assert_false(rd_ok(&sub));
    assert_false(rd_ok(&r));
    free(b);
}

static void test_sub(void **state)
{
    (void)state;
    uint8_t *b = dup_exact(bytes, 6);
    struct rd r, sub;
    rd_init(&r, b, 6);
    rd_u8(&r);
    assert_int_equal(rd_sub(&r, 3, &sub), 0);
    assert_int_equal(rd_left(&sub), 3);
    assert_int_equal(rd_left(&r), 2);
    /* The sub-reader cannot read past its 3 bytes although the buffer goes on. */
    assert_int_equal(rd_be32(&sub), 0);
    assert_false(rd_ok(&sub));
    /* ... and its error does not touch the parent. */
    assert_true(rd_ok(&r));
    assert_int_equal(rd_be16(&r), 0x0506);

    rd_init(&r, b, 6);
    assert_int_equal(rd_sub(&r, 4, &sub), 0);
    assert_int_equal(rd_be16(&sub), 0x0102);
    assert_int_equal(rd_be16(&sub), 0x0304);
    assert_int_equal(rd_left(&sub), 0);
    assert_true(rd_ok(&sub));
    /* A block longer than what is left fails both readers. */
    assert_int_equal(rd_sub(&r, 3, &sub), -1);
    assert_false(rd_ok(&r));
    assert_false(rd_ok(&sub));
    assert_int_equal(rd_left(&sub), 0);

    /* rd_rest hands on the remainder and empties the parent. */
    rd_init(&r, b, 6);
    rd_skip(&r, 4);
    rd_rest(&r, &sub);
    assert_int_equal(rd_left(&r), 0);
    assert_true(rd_ok(&r));
    assert_int_equal(rd_left(&sub), 2);
    assert_int_equal(rd_be16(&sub), 0x0506);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_read_at_end),
        cmocka_unit_test(test_sticky),
        cmocka_unit_test(test_sub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
