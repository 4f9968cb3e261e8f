/* SPDX-License-Identifier: MIT */
/*
 * tcp_reasm.h - reassembly of the first bytes of one direction of a TCP stream (RFC 9293 §3.4
 * sequence space, RFC 1982 serial arithmetic), for the dissectors that need the start of a
 * stream in order: TLS handshakes, STUN over TCP, DNS over TCP, HTTP CONNECT. Also used for
 * byte streams that carry explicit offsets (QUIC CRYPTO frames) through dis_tcp_reasm_insert().
 *
 * Model. Stream offset 0 is the first byte after the SYN (or, when the SYN was missed, the first
 * byte of the first segment seen). Offsets [0, cap) map directly onto one buffer of cap bytes:
 * in-order and out-of-order data are copied into place, and a small sorted list of ranges
 * remembers which bytes past the in-order point are present. Bytes at offsets >= cap are not
 * kept: the stream is then marked DIS_TCP_REASM_F_CAPPED.
 *
 * Overlaps: the first copy wins (as in most IDSs); a later copy whose overlapping bytes differ
 * is counted in overlap_diff and sets DIS_TCP_REASM_F_OVERLAP_DIFF.
 *
 * Holes that will never be filled (the capture missed a segment) are skipped when
 * gap_after bytes are held beyond the hole, when the range list is full, at FIN and at RST, or
 * when the caller calls dis_tcp_reasm_flush(). A skipped hole is a gap: the readable view stops
 * in front of it, and the next view starts after it with its @c gap flag set.
 *
 * Reading. The caller peeks a borrowed view of the in-order bytes and consumes what it parsed
 * (or never consumes, and re-parses from dis_tcp_reasm_prefix() each time).
 *
 * Memory. The buffer is either the caller's (borrowed, for embedding) or allocated once, at
 * the first payload byte, and freed by dis_tcp_reasm_free(). Nothing is allocated per packet.
 * Not thread-safe: one reassembler belongs to one flow direction.
 */
#ifndef DIS_TCP_REASM_H
#define DIS_TCP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Default capacity: the first 64 KiB of a stream. */
#define DIS_TCP_REASM_DEFAULT_CAP (64u * 1024u)
/** Largest capacity accepted (keeps stream offsets far inside the 2^31 serial window). */
#define DIS_TCP_REASM_MAX_CAP (16u * 1024u * 1024u)
/** Default number of bytes held beyond a hole before the hole is declared a gap. */
#define DIS_TCP_REASM_DEFAULT_GAP_AFTER (16u * 1024u)
/** gap_after value meaning "never skip a hole for held bytes" (only FIN, RST, flush, full list). */
#define DIS_TCP_REASM_GAP_NEVER UINT32_MAX
/** Out-of-order ranges held past the in-order point. */
#define DIS_TCP_REASM_MAX_RANGES 16
/** Skipped holes remembered ahead of the reader; one more stops the stream (F_STOPPED). */
#define DIS_TCP_REASM_MAX_GAPS 8

/** State and anomaly flags (dis_tcp_reasm.flags). */
enum dis_tcp_reasm_flag {
    DIS_TCP_REASM_F_STARTED = 1u << 0,      /**< offset 0 is known */
    DIS_TCP_REASM_F_SYN = 1u << 1,          /**< offset 0 came from a SYN */
    DIS_TCP_REASM_F_MIDSTREAM = 1u << 2,    /**< SYN missed: offset 0 is the first segment seen */
    DIS_TCP_REASM_F_FIN = 1u << 3,          /**< FIN seen; fin_off is the stream length */
    DIS_TCP_REASM_F_RST = 1u << 4,          /**< RST seen: nothing more is accepted */
    DIS_TCP_REASM_F_CAPPED = 1u << 5,       /**< data beyond cap was seen and not kept */
    DIS_TCP_REASM_F_GAP = 1u << 6,          /**< at least one hole was skipped */
    DIS_TCP_REASM_F_OVERLAP_DIFF = 1u << 7, /**< a retransmission disagreed with the first copy */
    DIS_TCP_REASM_F_NOMEM = 1u << 8,        /**< the buffer could not be allocated */
    DIS_TCP_REASM_F_STOPPED = 1u << 9,      /**< too many gaps ahead of the reader: stopped */
    DIS_TCP_REASM_F_AFTER_FIN = 1u << 10,   /**< data beyond the FIN (dropped) */
};

/** A half-open range [start, end) of stream offsets. */
struct dis_tcp_reasm_range {
    uint32_t start;
    uint32_t end;
};

/**
 * One direction of one stream. Initialise with dis_tcp_reasm_init(), release with
 * dis_tcp_reasm_free(). Fields are readable by callers; change them only through the API.
 */
struct dis_tcp_reasm {
    uint8_t *buf;          /**< cap bytes: borrowed from the caller, or owned when @c owns */
    uint32_t cap;          /**< bytes of stream kept, offsets [0, cap) */
    uint32_t gap_after;    /**< held bytes beyond a hole after which the hole is skipped */
    bool owns;             /**< buf was allocated here (freed by dis_tcp_reasm_free) */
    bool gap_pending;      /**< the reader crossed a gap since its last consume */
    uint32_t flags;        /**< enum dis_tcp_reasm_flag */
    uint32_t base;         /**< sequence number of stream offset 0 */
    uint32_t contig;       /**< [0, contig) is in order (skipped gaps included) */
    uint32_t read;         /**< reader position (consumed bytes) */
    uint32_t prefix_end;   /**< start of the first gap ever skipped, else UINT32_MAX */
    uint32_t checked_from; /**< end of the last gap: bytes below it are not compared */
    uint32_t fin_off;      /**< stream offset of the FIN (valid with F_FIN) */
    uint8_t nranges;       /**< entries used in ranges */
    uint8_t ngaps;         /**< entries used in gaps */
    struct dis_tcp_reasm_range ranges[DIS_TCP_REASM_MAX_RANGES]; /**< sorted, disjoint */
    struct dis_tcp_reasm_range gaps[DIS_TCP_REASM_MAX_GAPS];     /**< skipped holes >= read */
    /* counters, for evidence */
    uint32_t segments;     /**< segments offered */
    uint32_t dup_bytes;    /**< bytes already held, equal to the first copy */
    uint32_t overlap_diff; /**< segments whose overlap differed from the first copy */
    uint32_t late_bytes;   /**< bytes before offset 0, or below the end of the last skipped
                                gap (a gap's bytes arriving late; not compared) */
    uint32_t gaps_skipped; /**< holes skipped */
    uint64_t gap_bytes;    /**< bytes in skipped holes */
};

/** A borrowed view of in-order bytes, valid until the next call on the reassembler. */
struct dis_tcp_view {
    const uint8_t *p; /**< first byte (NULL when len is 0) */
    size_t len;       /**< bytes readable now */
    uint32_t off;     /**< stream offset of p[0] */
    bool gap;         /**< a skipped hole lies between the last consumed byte and p[0] */
};

/**
 * Prepares @p r. @p buf: caller-owned storage of @p cap bytes that must outlive @p r, or NULL to
 * have cap bytes allocated at the first payload byte. @p cap: 0 for the default, clamped to
 * DIS_TCP_REASM_MAX_CAP (a caller buffer's cap is never enlarged). @p gap_after: 0 for the
 * default, DIS_TCP_REASM_GAP_NEVER to skip holes only at FIN, RST, flush or a full range list.
 */
void dis_tcp_reasm_init(struct dis_tcp_reasm *r, uint8_t *buf, uint32_t cap, uint32_t gap_after);

/** Releases the buffer if it was allocated here; @p r must be initialised again before reuse. */
void dis_tcp_reasm_free(struct dis_tcp_reasm *r);

/**
 * Offers one TCP segment of this direction: sequence number @p seq, TCP flags @p th_flags
 * (DIS_TH_* of decode.h) and @p len payload bytes at @p payload (borrowed for this call only;
 * the bytes kept are copied). The first SYN, or the first segment with data or FIN when the
 * SYN was missed, fixes offset 0. Returns 1 when the readable view may have changed (new
 * in-order bytes, a gap skipped, FIN or RST), 0 when not, or -1 when the buffer could not be
 * allocated (F_NOMEM; the stream is then ignored).
 */
int dis_tcp_reasm_segment(struct dis_tcp_reasm *r, uint32_t seq, uint8_t th_flags,
                          const uint8_t *payload, size_t len);

/**
 * Offers @p len bytes at stream offset @p off directly, for streams whose data carries explicit
 * offsets (QUIC CRYPTO frames): no sequence numbers, no SYN/FIN. Same rules and returns as
 * dis_tcp_reasm_segment().
 */
int dis_tcp_reasm_insert(struct dis_tcp_reasm *r, uint64_t off, const uint8_t *p, size_t len);

/**
 * Skips every hole now (end of flow, or the caller decides no retransmission will come), so
 * that every byte held becomes readable. Returns 1 if anything changed, else 0.
 */
int dis_tcp_reasm_flush(struct dis_tcp_reasm *r);

/**
 * Fills @p v with the bytes readable from the reader position up to the next gap or the end of
 * in-order data. Steps over a gap found exactly at the reader position (setting v->gap).
 */
void dis_tcp_reasm_peek(struct dis_tcp_reasm *r, struct dis_tcp_view *v);

/** Marks @p n bytes of the last view consumed (clamped to the view). */
void dis_tcp_reasm_consume(struct dis_tcp_reasm *r, size_t n);

/**
 * The stream from offset 0 up to its first gap or the end of in-order data, whatever was
 * consumed: for callers that re-parse from the start. Borrowed, valid until the next call.
 */
void dis_tcp_reasm_prefix(const struct dis_tcp_reasm *r, const uint8_t **p, size_t *len);

#endif
