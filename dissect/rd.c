/* SPDX-License-Identifier: MIT */
/*
 * rd.c - the bounds-checked byte reader (STYLE.md §3). This is the only file that indexes or
 * does arithmetic on packet bytes; everything else reads through these functions.
 */
#include "dissect/rd.h"

#include <string.h>

/*
 * Marks an underrun: sets the sticky error and empties the reader. The cursor moves to the
 * end of the bytes so that rd_ptr() never points back into data the caller thought consumed.
 * A NULL pointer is never offset (NULL + 0 is undefined behaviour in C).
 */
static void rd_fail(struct rd *r)
{
    if (r->left > 0)
        r->p += r->left;
    r->left = 0;
    r->err = 1;
}

/*
 * Checks that @p n bytes can be read. On an errored reader even a zero-length request fails,
 * so that the error stays visible to every later checkpoint.
 */
static int rd_have(struct rd *r, size_t n)
{
    if (r->err || n > r->left) {
        rd_fail(r);
        return 0;
    }
    return 1;
}

void rd_init(struct rd *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->left = p ? len : 0;
    r->err = 0;
}

int rd_ok(const struct rd *r)
{
    return !r->err;
}

size_t rd_left(const struct rd *r)
{
    return r->left;
}

uint8_t rd_u8(struct rd *r)
{
    if (!rd_have(r, 1))
        return 0;
    uint8_t v = r->p[0];
    r->p += 1;
    r->left -= 1;
    return v;
}

uint16_t rd_be16(struct rd *r)
{
    if (!rd_have(r, 2))
        return 0;
    uint16_t v = (uint16_t)((unsigned)r->p[0] << 8 | r->p[1]);
    r->p += 2;
    r->left -= 2;
    return v;
}

uint32_t rd_be24(struct rd *r)
{
    if (!rd_have(r, 3))
        return 0;
    uint32_t v = (uint32_t)r->p[0] << 16 | (uint32_t)r->p[1] << 8 | r->p[2];
    r->p += 3;
    r->left -= 3;
    return v;
}

uint32_t rd_be32(struct rd *r)
{
    if (!rd_have(r, 4))
        return 0;
    uint32_t v =
        (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    r->p += 4;
    r->left -= 4;
    return v;
}

uint64_t rd_be64(struct rd *r)
{
    if (!rd_have(r, 8))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = v << 8 | r->p[i];
    r->p += 8;
    r->left -= 8;
    return v;
}

uint16_t rd_le16(struct rd *r)
{
    if (!rd_have(r, 2))
        return 0;
    uint16_t v = (uint16_t)((unsigned)r->p[1] << 8 | r->p[0]);
    r->p += 2;
    r->left -= 2;
    return v;
}

uint32_t rd_le32(struct rd *r)
{
    if (!rd_have(r, 4))
        return 0;
    uint32_t v =
        (uint32_t)r->p[3] << 24 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[1] << 8 | r->p[0];
    r->p += 4;
    r->left -= 4;
    return v;
}

int rd_skip(struct rd *r, size_t n)
{
    if (!rd_have(r, n))
        return -1;
    if (n > 0) {
        r->p += n;
        r->left -= n;
    }
    return 0;
}

const uint8_t *rd_view(struct rd *r, size_t n)
{
    if (!rd_have(r, n))
        return NULL;
    const uint8_t *v = r->p;
    if (n > 0) {
        r->p += n;
        r->left -= n;
    }
    return v;
}

int rd_copy(struct rd *r, void *dst, size_t n)
{
    if (!rd_have(r, n)) {
        if (n > 0)
            memset(dst, 0, n);
        return -1;
    }
    if (n > 0) {
        memcpy(dst, r->p, n);
        r->p += n;
        r->left -= n;
    }
    return 0;
}

int rd_sub(struct rd *r, size_t n, struct rd *sub)
{
    if (!rd_have(r, n)) {
        sub->p = r->p;
        sub->left = 0;
        sub->err = 1;
        return -1;
    }
    sub->p = r->p;
    sub->left = n;
    sub->err = 0;
    if (n > 0) {
        r->p += n;
        r->left -= n;
    }
    return 0;
}

void rd_rest(struct rd *r, struct rd *sub)
{
    *sub = *r;
    if (r->left > 0)
        r->p += r->left;
    r->left = 0;
}

int rd_peek_u8(const struct rd *r, size_t off)
{
    if (r->err || off >= r->left)
        return -1;
    return r->p[off];
}

const uint8_t *rd_ptr(const struct rd *r)
{
    return r->p;
}
