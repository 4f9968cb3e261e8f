/* SPDX-License-Identifier: MIT */
/* rd.h - the one bounds-checked reader through which every packet byte is read (STYLE.md §3). */
#ifndef DIS_RD_H
#define DIS_RD_H

#include <stddef.h>
#include <stdint.h>

/**
 * A cursor over borrowed bytes. An underrun sets the sticky @c err flag, makes the reader
 * empty and returns 0 (or NULL for views); callers check rd_ok() at their checkpoints.
 * The bytes are borrowed: they stay owned by whoever passed them to rd_init().
 */
struct rd {
    const uint8_t *p; /**< next unread byte */
    size_t left;      /**< bytes remaining */
    int err;          /**< non-zero once any read ran past the end */
};

/** Starts a reader over @p len bytes at @p p (p may be NULL when len is 0). */
void rd_init(struct rd *r, const uint8_t *p, size_t len);

/** Non-zero while no read has underrun. */
int rd_ok(const struct rd *r);
/** Bytes left to read (0 after an underrun). */
size_t rd_left(const struct rd *r);

uint8_t rd_u8(struct rd *r);
uint16_t rd_be16(struct rd *r);
uint32_t rd_be24(struct rd *r);
uint32_t rd_be32(struct rd *r);
uint64_t rd_be64(struct rd *r);
/** Little-endian reads, for the few link layers that use host order (BSD loopback). */
uint16_t rd_le16(struct rd *r);
uint32_t rd_le32(struct rd *r);

/** Skips @p n bytes; returns 0, or -1 (and sets err) when fewer are left. */
int rd_skip(struct rd *r, size_t n);

/**
 * Returns a borrowed pointer to the next @p n bytes and advances past them, or NULL (and sets
 * err) when fewer are left. The pointer is valid as long as the reader's bytes are.
 */
const uint8_t *rd_view(struct rd *r, size_t n);

/** Copies the next @p n bytes to @p dst; on underrun fills @p dst with zeros and returns -1. */
int rd_copy(struct rd *r, void *dst, size_t n);

/**
 * Narrows: makes @p sub a reader over the next @p n bytes of @p r and advances @p r past them.
 * Returns 0, or -1 (sets err on @p r, @p sub is empty and errored) when fewer are left.
 * Used for length-prefixed blocks: parse @p sub, then require rd_left(sub) == 0.
 */
int rd_sub(struct rd *r, size_t n, struct rd *sub);

/** Makes @p sub a reader over everything left in @p r and empties @p r. */
void rd_rest(struct rd *r, struct rd *sub);

/** Peeks the byte at offset @p off without advancing; returns -1 if out of range. */
int rd_peek_u8(const struct rd *r, size_t off);

/** Borrowed pointer to the current position (no bytes consumed); for handing a block on. */
const uint8_t *rd_ptr(const struct rd *r);

/** Bounds macro (the one STYLE.md allows): fails the enclosing function with @p ret if err. */
#define RD_REQUIRE(r, ret)                                                                         \
    do {                                                                                           \
        if (!rd_ok(r))                                                                             \
            return (ret);                                                                          \
    } while (0)

#endif
