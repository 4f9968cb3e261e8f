/* SPDX-License-Identifier: MIT */
/*
 * tcp_reasm.c - per-direction reassembly of the first bytes of a TCP stream (RFC 9293 §3.4;
 * serial-number arithmetic as in RFC 1982). See tcp_reasm.h for the model: one buffer mapped
 * onto stream offsets [0, cap), a sorted list of out-of-order ranges, first copy wins, holes
 * skipped as gaps when they can no longer be filled.
 *
 * Packet bytes are read only through the rd.h reader; the buffer is ours and every offset used
 * on it is checked against cap (stream offsets are < cap <= DIS_TCP_REASM_MAX_CAP).
 */
#include "dissect/tcp_reasm.h"

#include <stdlib.h>
#include <string.h>

#include "dissect/decode.h"
#include "dissect/rd.h"

void dis_tcp_reasm_init(struct dis_tcp_reasm *r, uint8_t *buf, uint32_t cap, uint32_t gap_after)
{
    memset(r, 0, sizeof *r);
    if (!buf && cap == 0)
        cap = DIS_TCP_REASM_DEFAULT_CAP;
    if (cap > DIS_TCP_REASM_MAX_CAP)
        cap = DIS_TCP_REASM_MAX_CAP;
    r->buf = buf;
    r->cap = cap;
    r->gap_after = gap_after ? gap_after : DIS_TCP_REASM_DEFAULT_GAP_AFTER;
    r->prefix_end = UINT32_MAX;
}

void dis_tcp_reasm_free(struct dis_tcp_reasm *r)
{
    if (r->owns)
        free(r->buf);
    r->buf = NULL;
    r->owns = false;
}

/* The buffer is allocated once per stream, at the first byte to keep. */
static int ensure_buf(struct dis_tcp_reasm *r)
{
    if (r->buf)
        return 0;
    if (r->flags & DIS_TCP_REASM_F_NOMEM)
        return -1;
    r->buf = malloc(r->cap ? r->cap : 1);
    if (!r->buf) {
        r->flags |= DIS_TCP_REASM_F_NOMEM;
        return -1;
    }
    r->owns = true;
    return 0;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static void remove_range(struct dis_tcp_reasm *r, unsigned i)
{
    memmove(&r->ranges[i], &r->ranges[i + 1], (r->nranges - i - 1) * sizeof r->ranges[0]);
    r->nranges--;
}

/* Moves the in-order point over every range that now touches it. */
static int advance(struct dis_tcp_reasm *r)
{
    int changed = 0;
    while (r->nranges > 0 && r->ranges[0].start <= r->contig) {
        if (r->ranges[0].end > r->contig)
            r->contig = r->ranges[0].end;
        remove_range(r, 0);
        changed = 1;
    }
    return changed;
}

/*
 * Declares [contig, hole_end) a gap and moves the in-order point to @p new_contig. Gaps are
 * remembered while the reader is behind them, so that a view never spans one; when that list is
 * full the stream stops (F_STOPPED) instead of losing track of a gap.
 */
static int skip_hole(struct dis_tcp_reasm *r, uint32_t hole_end, uint32_t new_contig)
{
    if (r->ngaps == DIS_TCP_REASM_MAX_GAPS) {
        r->flags |= DIS_TCP_REASM_F_STOPPED;
        return 0;
    }
    struct dis_tcp_reasm_range g = {r->contig, hole_end};
    r->gaps[r->ngaps++] = g;
    if (r->prefix_end == UINT32_MAX)
        r->prefix_end = g.start;
    r->gap_bytes += g.end - g.start;
    r->gaps_skipped++;
    r->flags |= DIS_TCP_REASM_F_GAP;
    r->checked_from = hole_end;
    r->contig = new_contig;
    return 1;
}

/* Skips the hole in front of the first out-of-order range. */
static int skip_first_hole(struct dis_tcp_reasm *r)
{
    if (r->nranges == 0)
        return 0;
    struct dis_tcp_reasm_range first = r->ranges[0];
    if (!skip_hole(r, first.start, first.end))
        return 0;
    remove_range(r, 0);
    advance(r);
    return 1;
}

/* Skips every hole; after a FIN also the missing tail in front of it. */
static int skip_all_holes(struct dis_tcp_reasm *r)
{
    int changed = 0;
    for (unsigned i = 0; i < DIS_TCP_REASM_MAX_RANGES && r->nranges > 0; i++)
        if (skip_first_hole(r))
            changed = 1;
    if ((r->flags & DIS_TCP_REASM_F_FIN) && r->nranges == 0) {
        uint32_t end = min_u32(r->fin_off, r->cap);
        if (r->contig < end && skip_hole(r, end, end))
            changed = 1;
    }
    return changed;
}

/* Skips holes while at least gap_after bytes are held beyond the first one. */
static int apply_gap_after(struct dis_tcp_reasm *r)
{
    if (r->gap_after == DIS_TCP_REASM_GAP_NEVER)
        return 0;
    uint64_t held = 0;
    for (unsigned i = 0; i < r->nranges; i++)
        held += r->ranges[i].end - r->ranges[i].start;
    int changed = 0;
    while (r->nranges > 0 && held >= r->gap_after) {
        uint32_t first = r->ranges[0].end - r->ranges[0].start;
        if (!skip_first_hole(r))
            break;
        held -= first;
        changed = 1;
    }
    return changed;
}

/* The data reader @p d sits at stream offset *dpos; moves it to @p target (>= *dpos). */
static void seek(struct rd *d, uint32_t *dpos, uint32_t target)
{
    rd_skip(d, target - *dpos);
    *dpos = target;
}

/* Copies new bytes [from, to) into place. */
static void copy_in(struct dis_tcp_reasm *r, struct rd *d, uint32_t *dpos, uint32_t from,
                    uint32_t to)
{
    seek(d, dpos, from);
    rd_copy(d, r->buf + from, to - from);
    *dpos = to;
}

/*
 * Bytes [from, to) are already held: the first copy wins. Compares them with the first copy,
 * except below checked_from, where the buffer may hold a skipped gap rather than data.
 */
static void compare_held(struct dis_tcp_reasm *r, struct rd *d, uint32_t *dpos, uint32_t from,
                         uint32_t to, bool *differ)
{
    if (from < r->checked_from) {
        uint32_t e = min_u32(to, r->checked_from);
        r->late_bytes += e - from;
        from = e;
    }
    if (from >= to)
        return;
    seek(d, dpos, from);
    const uint8_t *v = rd_view(d, to - from);
    *dpos = to;
    if (!v)
        return;
    if (memcmp(v, r->buf + from, to - from) != 0)
        *differ = true;
    else
        r->dup_bytes += to - from;
}

/* Does new data starting at @p a (> contig) and ending at @p b need a range slot of its own? */
static bool needs_slot(const struct dis_tcp_reasm *r, uint32_t a, uint32_t b)
{
    if (a <= r->contig)
        return false;
    for (unsigned i = 0; i < r->nranges; i++)
        if (r->ranges[i].start <= b && r->ranges[i].end >= a)
            return false;
    return true;
}

/* Records [a, b) as held (its new bytes are already copied), merging touching ranges. */
static void add_range(struct dis_tcp_reasm *r, uint32_t a, uint32_t b)
{
    if (a <= r->contig) {
        if (b > r->contig)
            r->contig = b;
        return;
    }
    unsigned i = 0;
    while (i < r->nranges && r->ranges[i].end < a)
        i++;
    unsigned j = i;
    while (j < r->nranges && r->ranges[j].start <= b)
        j++;
    if (j > i) { /* ranges[i..j-1] touch [a, b): merge them into ranges[i] */
        if (r->ranges[i].start < a)
            a = r->ranges[i].start;
        if (r->ranges[j - 1].end > b)
            b = r->ranges[j - 1].end;
        r->ranges[i].start = a;
        r->ranges[i].end = b;
        for (unsigned k = j - 1; k > i; k--)
            remove_range(r, k);
        return;
    }
    if (r->nranges == DIS_TCP_REASM_MAX_RANGES)
        return; /* not reached: store() frees a slot first */
    memmove(&r->ranges[i + 1], &r->ranges[i], (r->nranges - i) * sizeof r->ranges[0]);
    r->ranges[i].start = a;
    r->ranges[i].end = b;
    r->nranges++;
}

/* Stores the bytes of @p d at stream offset @p off: the core of segment() and insert(). */
static int store(struct dis_tcp_reasm *r, uint64_t off, struct rd *d)
{
    size_t len = rd_left(d);
    if (len == 0 || (r->flags & (DIS_TCP_REASM_F_RST | DIS_TCP_REASM_F_STOPPED)))
        return 0;
    if (off >= r->cap) {
        r->flags |= DIS_TCP_REASM_F_CAPPED;
        return 0;
    }
    uint32_t a = (uint32_t)off, b;
    if (len > r->cap - a) {
        b = r->cap;
        r->flags |= DIS_TCP_REASM_F_CAPPED;
    } else {
        b = a + (uint32_t)len;
    }
    if ((r->flags & DIS_TCP_REASM_F_FIN) && b > r->fin_off) {
        r->flags |= DIS_TCP_REASM_F_AFTER_FIN;
        if (a >= r->fin_off)
            return 0;
        b = r->fin_off;
    }
    if (ensure_buf(r) < 0)
        return -1;

    int changed = 0;
    uint32_t a0 = a > r->contig ? a : r->contig;
    if (a0 < b && r->nranges == DIS_TCP_REASM_MAX_RANGES && needs_slot(r, a0, b)) {
        /* Sixteen holes at once: the oldest will not be filled any more. */
        changed |= skip_first_hole(r);
        if (r->flags & DIS_TCP_REASM_F_STOPPED)
            return changed;
        a0 = a > r->contig ? a : r->contig;
    }

    uint32_t pos = a, dpos = a;
    bool differ = false;
    if (pos < r->contig) {
        uint32_t e = min_u32(b, r->contig);
        compare_held(r, d, &dpos, pos, e, &differ);
        pos = e;
    }
    for (unsigned i = 0; i < r->nranges && pos < b; i++) {
        struct dis_tcp_reasm_range g = r->ranges[i];
        if (g.end <= pos)
            continue;
        if (g.start >= b)
            break;
        if (pos < g.start) {
            copy_in(r, d, &dpos, pos, g.start);
            pos = g.start;
        }
        uint32_t e = min_u32(g.end, b);
        compare_held(r, d, &dpos, pos, e, &differ);
        pos = e;
    }
    if (pos < b)
        copy_in(r, d, &dpos, pos, b);
    if (differ) {
        r->overlap_diff++;
        r->flags |= DIS_TCP_REASM_F_OVERLAP_DIFF;
    }
    if (a0 < b) {
        uint32_t before = r->contig;
        add_range(r, a0, b);
        advance(r);
        if (r->contig != before)
            changed = 1;
        changed |= apply_gap_after(r);
    }
    return changed;
}

int dis_tcp_reasm_insert(struct dis_tcp_reasm *r, uint64_t off, const uint8_t *p, size_t len)
{
    struct rd d;
    rd_init(&d, p, len);
    r->flags |= DIS_TCP_REASM_F_STARTED;
    return store(r, off, &d);
}

int dis_tcp_reasm_segment(struct dis_tcp_reasm *r, uint32_t seq, uint8_t th_flags,
                          const uint8_t *payload, size_t len)
{
    bool syn = th_flags & DIS_TH_SYN, fin = th_flags & DIS_TH_FIN, rst = th_flags & DIS_TH_RST;
    r->segments++;
    if (r->flags & DIS_TCP_REASM_F_RST)
        return 0;
    if (rst) { /* the peer sends nothing more: every held byte becomes readable */
        r->flags |= DIS_TCP_REASM_F_RST;
        return skip_all_holes(r) | ((r->flags & DIS_TCP_REASM_F_STARTED) ? 1 : 0);
    }
    if (!(r->flags & DIS_TCP_REASM_F_STARTED)) {
        if (syn) {
            r->base = seq + 1u;
            r->flags |= DIS_TCP_REASM_F_STARTED | DIS_TCP_REASM_F_SYN;
        } else if (len > 0 || fin) {
            r->base = seq;
            r->flags |= DIS_TCP_REASM_F_STARTED | DIS_TCP_REASM_F_MIDSTREAM;
        } else {
            return 0; /* a bare ACK fixes nothing */
        }
    } else if (syn && seq + 1u != r->base && !(r->flags & DIS_TCP_REASM_F_SYN) && r->contig == 0 &&
               r->nranges == 0 && !(r->flags & DIS_TCP_REASM_F_FIN)) {
        /* The SYN arrived after a bare FIN or nothing useful: it defines offset 0. */
        r->base = seq + 1u;
        r->flags = (r->flags | DIS_TCP_REASM_F_SYN) & ~(uint32_t)DIS_TCP_REASM_F_MIDSTREAM;
    }

    /* Serial arithmetic (RFC 1982): a difference below 2^31 is forward of offset 0. */
    uint32_t dseq = seq + (syn ? 1u : 0u);
    uint32_t diff = dseq - r->base;
    struct rd d;
    rd_init(&d, payload, len);
    uint64_t off = diff;
    if (diff >= 0x80000000u) { /* starts before offset 0 */
        uint32_t back = 0u - diff;
        if (back >= len) {
            r->late_bytes += (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len);
            rd_skip(&d, len);
        } else {
            r->late_bytes += back;
            rd_skip(&d, back);
        }
        off = 0;
    }
    int changed = store(r, off, &d);
    if (changed < 0)
        return -1;

    if (fin && !(r->flags & DIS_TCP_REASM_F_FIN)) {
        uint32_t fin_diff = dseq + (uint32_t)len - r->base;
        if (fin_diff < 0x80000000u) {
            r->flags |= DIS_TCP_REASM_F_FIN;
            r->fin_off = fin_diff;
            skip_all_holes(r);
            changed = 1;
        }
    }
    return changed;
}

int dis_tcp_reasm_flush(struct dis_tcp_reasm *r)
{
    return skip_all_holes(r);
}

/* End of what the reader may see now: the in-order point or the next gap. */
static uint32_t view_end(const struct dis_tcp_reasm *r)
{
    uint32_t end = r->contig;
    if (r->ngaps > 0 && r->gaps[0].start < end)
        end = r->gaps[0].start;
    return end;
}

void dis_tcp_reasm_peek(struct dis_tcp_reasm *r, struct dis_tcp_view *v)
{
    while (r->ngaps > 0 && r->gaps[0].start <= r->read) {
        if (r->gaps[0].end > r->read)
            r->read = r->gaps[0].end;
        memmove(&r->gaps[0], &r->gaps[1], (r->ngaps - 1u) * sizeof r->gaps[0]);
        r->ngaps--;
        r->gap_pending = true;
    }
    uint32_t end = view_end(r);
    v->off = r->read;
    v->gap = r->gap_pending;
    if (end > r->read && r->buf) {
        v->p = r->buf + r->read;
        v->len = end - r->read;
    } else {
        v->p = NULL;
        v->len = 0;
    }
}

void dis_tcp_reasm_consume(struct dis_tcp_reasm *r, size_t n)
{
    uint32_t end = view_end(r);
    uint32_t avail = end > r->read ? end - r->read : 0;
    if (n > avail)
        n = avail;
    if (n == 0)
        return;
    r->read += (uint32_t)n;
    r->gap_pending = false;
}

void dis_tcp_reasm_prefix(const struct dis_tcp_reasm *r, const uint8_t **p, size_t *len)
{
    uint32_t end = min_u32(r->contig, r->prefix_end);
    *p = end > 0 ? r->buf : NULL;
    *len = r->buf ? end : 0;
}
