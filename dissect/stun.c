/* SPDX-License-Identifier: MIT */
/*
 * stun.c - STUN and TURN messages: RFC 8489 (RFC 5389) with classic RFC 3489 where it is
 * unambiguous, TURN RFC 8656 (RFC 5766) and RFC 6062, ICE attributes (RFC 8445 §16.1),
 * RFC 5780 addresses, the MS-TURN dialect and its multiplexed-TURN frames ([MS-TURN] §2.2.3),
 * ChannelData (RFC 8656 §12.4), stream framing (RFC 8656 §12.5, RFC 4571) and the RFC 7983 /
 * RFC 9443 first-byte demultiplexing.
 *
 * This parser decides what is STUN on any port, so recognition is strict: the magic cookie,
 * an exact length and a method of at most 0xFF (RFC 7983 §7) for RFC 5389 messages; for
 * classic messages a full walk of the attributes, each a well-formed RFC 3489 attribute that
 * the message type allows. Payloads that only resemble STUN (Zoom and Teams media, Discord IP
 * discovery) fail those checks.
 */
#include "dissect/stun.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <zlib.h>

#include "dissect/rd.h"

#define ATTR_HDR_LEN 4
#define CD_HDR_LEN 4     /* ChannelData: channel number, length */
#define MTURN_HDR_LEN 12 /* [MS-TURN] §2.2.3: Channel_ID, Length, 8-byte MTURN_Session_ID */
#define MTURN_SESSION_LEN 8
#define TXID_LEN 12
#define CLASSIC_TXID_LEN 16
#define FINGERPRINT_XOR 0x5354554Eu /* RFC 8489 §14.7: the CRC-32 XOR "STUN" */
#define MS_COOKIE_VALUE 0x72C64BC6u /* [MS-TURN] §2.2.2.8: value of the MAGIC-COOKIE attribute */
#define MAX_MAC_LEN 32

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                       */

const char *dis_stun_method_name(uint16_t method)
{
    switch (method) {
    case DIS_STUN_BINDING:
        return "binding";
    case DIS_STUN_ALLOCATE:
        return "allocate";
    case DIS_STUN_REFRESH:
        return "refresh";
    case DIS_STUN_SEND:
        return "send";
    case DIS_STUN_DATA:
        return "data";
    case DIS_STUN_CREATEPERMISSION:
        return "createpermission";
    case DIS_STUN_CHANNELBIND:
        return "channelbind";
    case DIS_STUN_GOOG_PING:
        return "goog-ping";
    default:
        return NULL;
    }
}

const char *dis_stun_class_name(uint8_t cls)
{
    static const char *const names[] = {"request", "indication", "success", "error"};
    return cls < 4 ? names[cls] : NULL;
}

enum dis_demux dis_demux_first_byte(uint8_t b)
{
    /* RFC 7983 §7 ranges, with RFC 9443 §4 giving QUIC 80-127 and 192-255. */
    if (b <= 3)
        return DIS_DEMUX_STUN;
    if (b <= 15)
        return DIS_DEMUX_DROP;
    if (b <= 19)
        return DIS_DEMUX_ZRTP;
    if (b <= 63)
        return DIS_DEMUX_DTLS;
    if (b <= 79)
        return DIS_DEMUX_TURN_CHANNEL;
    if (b <= 127)
        return DIS_DEMUX_QUIC;
    if (b <= 191)
        return DIS_DEMUX_RTP;
    return DIS_DEMUX_QUIC;
}

const char *dis_demux_name(enum dis_demux d)
{
    switch (d) {
    case DIS_DEMUX_STUN:
        return "stun";
    case DIS_DEMUX_ZRTP:
        return "zrtp";
    case DIS_DEMUX_DTLS:
        return "dtls";
    case DIS_DEMUX_TURN_CHANNEL:
        return "turn-channel";
    case DIS_DEMUX_QUIC:
        return "quic";
    case DIS_DEMUX_RTP:
        return "rtp";
    case DIS_DEMUX_DROP:
        break;
    }
    return "drop";
}

/* ------------------------------------------------------------------------------------------ */
/* Recognition                                                                                 */

/* Where the message is and which flavour it is, as found by locate(). */
struct stun_loc {
    size_t off;      /* bytes before the STUN header (the MS-TURN frame header), 0 or 12 */
    size_t msg_len;  /* 20 + length field */
    uint16_t type;   /* message type */
    uint16_t length; /* length field */
    bool classic;    /* RFC 3489 */
    bool ms_turn;    /* MS-TURN dialect (MAGIC-COOKIE attribute first) */
    bool mturn;      /* inside an MS-TURN multiplexed frame */
    uint8_t session[MTURN_SESSION_LEN];
};

/* What running out of captured bytes means: the datagram was cut, or the stream needs more. */
static enum dis_status short_of(enum dis_stun_transport t)
{
    return t == DIS_STUN_STREAM ? DIS_NEED_MORE : DIS_TRUNCATED;
}

/* @p n rounded up to a multiple of 4 when @p pad (RFC 8489 §14: attributes are padded). */
static size_t pad4(uint16_t n, bool pad)
{
    return pad ? ((size_t)n + 3) & ~(size_t)3 : n;
}

/*
 * Non-zero when the attributes at @p a start with the MS-TURN MAGIC-COOKIE attribute
 * ([MS-TURN] §2.2.2.8: type 0x000F, length 4, value 0x72C64BC6; it "MUST be the first attribute
 * in all TURN messages"). The reader must hold at least 8 bytes.
 */
static bool ms_cookie_first(struct rd a)
{
    return rd_be16(&a) == DIS_STUN_A_MS_MAGIC_COOKIE && rd_be16(&a) == 4 &&
           rd_be32(&a) == MS_COOKIE_VALUE && rd_ok(&a);
}

/* The RFC 3489 message types (§11.1): Binding and Shared Secret request, response, error. */
static bool classic_type(uint16_t type)
{
    switch (type) {
    case 0x0001:
    case 0x0101:
    case 0x0111:
    case 0x0002:
    case 0x0102:
    case 0x0112:
        return true;
    default:
        return false;
    }
}

#define ABIT(a) (1u << (a))

/* RFC 3489 §11.1 table: attributes each classic message type may carry, and must carry. */
static void classic_rules(uint16_t type, uint32_t *allowed, uint32_t *required)
{
    *required = 0;
    switch (type) {
    case 0x0001: /* Binding Request */
        *allowed = ABIT(DIS_STUN_A_RESPONSE_ADDRESS) | ABIT(DIS_STUN_A_CHANGE_REQUEST) |
                   ABIT(DIS_STUN_A_USERNAME) | ABIT(DIS_STUN_A_MESSAGE_INTEGRITY);
        break;
    case 0x0101: /* Binding Response */
        *allowed = ABIT(DIS_STUN_A_MAPPED_ADDRESS) | ABIT(DIS_STUN_A_SOURCE_ADDRESS) |
                   ABIT(DIS_STUN_A_CHANGED_ADDRESS) | ABIT(DIS_STUN_A_REFLECTED_FROM) |
                   ABIT(DIS_STUN_A_MESSAGE_INTEGRITY);
        *required = ABIT(DIS_STUN_A_MAPPED_ADDRESS);
        break;
    case 0x0102: /* Shared Secret Response */
        *allowed = ABIT(DIS_STUN_A_USERNAME) | ABIT(DIS_STUN_A_PASSWORD);
        *required = *allowed;
        break;
    case 0x0111: /* Binding Error Response */
    case 0x0112: /* Shared Secret Error Response */
        *allowed = ABIT(DIS_STUN_A_ERROR_CODE) | ABIT(DIS_STUN_A_UNKNOWN_ATTRIBUTES);
        *required = ABIT(DIS_STUN_A_ERROR_CODE);
        break;
    default: /* Shared Secret Request: no attributes */
        *allowed = 0;
        break;
    }
}

/* One RFC 3489 attribute value, checked against §11.2. */
static bool classic_attr_ok(uint16_t at, struct rd v)
{
    size_t len = rd_left(&v);
    switch (at) {
    case DIS_STUN_A_MAPPED_ADDRESS:
    case DIS_STUN_A_RESPONSE_ADDRESS:
    case DIS_STUN_A_SOURCE_ADDRESS:
    case DIS_STUN_A_CHANGED_ADDRESS:
    case DIS_STUN_A_REFLECTED_FROM: /* §11.2.1: 0, family 0x01 (IPv4 only), port, address */
        return len == 8 && rd_u8(&v) == 0 && rd_u8(&v) == 1;
    case DIS_STUN_A_CHANGE_REQUEST: /* §11.2.4: only the change-IP and change-port flags */
        return len == 4 && (rd_be32(&v) & ~6u) == 0;
    case DIS_STUN_A_USERNAME:
    case DIS_STUN_A_PASSWORD: /* §11.2.6, §11.2.7: a multiple of 4 bytes */
        return len > 0 && len % 4 == 0;
    case DIS_STUN_A_MESSAGE_INTEGRITY: /* §11.2.8: HMAC-SHA1 */
        return len == 20;
    case DIS_STUN_A_ERROR_CODE: { /* §11.2.9: 21 zero bits, class 1-6, number 0-99 */
        if (len < 4 || len % 4 != 0)
            return false;
        uint32_t v32 = rd_be32(&v);
        uint32_t cls = (v32 >> 8) & 7u;
        return (v32 >> 11) == 0 && cls >= 1 && cls <= 6 && (v32 & 0xFFu) <= 99;
    }
    case DIS_STUN_A_UNKNOWN_ATTRIBUTES: /* §11.2.10: padded by repeating an entry */
        return len > 0 && len % 4 == 0;
    default:
        return false;
    }
}

/*
 * The body of a candidate classic message must consist of RFC 3489 attributes only, each
 * well-formed and allowed in the message type, covering the body exactly, with the required
 * ones present. Anything else is not classic STUN: that is what keeps look-alike payloads out.
 */
static bool classic_body_ok(struct rd body, uint16_t type)
{
    uint32_t allowed, required, seen = 0;
    classic_rules(type, &allowed, &required);
    for (unsigned n = 0; rd_left(&body) > 0; n++) {
        if (n >= DIS_STUN_MAX_ATTRS || rd_left(&body) < ATTR_HDR_LEN)
            return false;
        uint16_t at = rd_be16(&body);
        uint16_t alen = rd_be16(&body);
        struct rd v;
        if (at < 1 || at > DIS_STUN_A_REFLECTED_FROM || !(allowed & ABIT(at)) ||
            rd_sub(&body, alen, &v) < 0 || !classic_attr_ok(at, v))
            return false;
        seen |= ABIT(at);
    }
    return rd_ok(&body) && (seen & required) == required;
}

/* True when the TLV chain of @p len bytes ends exactly at the end, with or without padding. */
static bool walk_exact(struct rd body, size_t len, bool pad)
{
    for (unsigned n = 0; len > 0; n++) {
        if (n >= DIS_STUN_MAX_ATTRS || len < ATTR_HDR_LEN)
            return false;
        rd_skip(&body, 2);
        size_t span = pad4(rd_be16(&body), pad);
        if (!rd_ok(&body) || ATTR_HDR_LEN + span > len || rd_skip(&body, span) < 0)
            return false;
        len -= ATTR_HDR_LEN + span;
    }
    return true;
}

/*
 * Finds a STUN message at the reader's position. @p wire is the number of bytes the datagram
 * has on the wire from here (ignored for streams). Fills @p loc on DIS_OK.
 */
static enum dis_status locate_msg(struct rd r, size_t wire, enum dis_stun_transport t,
                                  struct stun_loc *loc)
{
    int b0 = rd_peek_u8(&r, 0);
    if (t == DIS_STUN_DGRAM && wire < DIS_STUN_HDR_LEN)
        return DIS_NOT_MINE;
    if (b0 < 0)
        return short_of(t);
    /* Top two bits zero, and method <= 0xFF (RFC 7983 §7): the first byte is 0-3. */
    if (b0 > 3)
        return DIS_NOT_MINE;
    if (rd_left(&r) < 4)
        return short_of(t);
    loc->type = rd_be16(&r);
    loc->length = rd_be16(&r);
    loc->msg_len = DIS_STUN_HDR_LEN + (size_t)loc->length;
    if (t == DIS_STUN_DGRAM && loc->msg_len != wire)
        return DIS_NOT_MINE;
    if (rd_left(&r) < 4)
        return short_of(t);
    uint32_t cookie = rd_be32(&r);
    struct rd attrs = r;
    rd_skip(&attrs, TXID_LEN);

    if (cookie == DIS_STUN_COOKIE) {
        bool first_known = loc->length >= 8 && rd_left(&attrs) >= 8;
        loc->ms_turn = first_known && ms_cookie_first(attrs);
        /* RFC 8489 §5: the length is a multiple of 4. MS-TURN and WhatsApp do not pad their
         * attributes, so their messages may have any length: accepted when the MS-TURN
         * MAGIC-COOKIE comes first, or when the unpadded attributes cover the body exactly. */
        if (loc->length % 4 != 0) {
            if (loc->length < ATTR_HDR_LEN)
                return DIS_NOT_MINE;
            if (rd_left(&attrs) < (loc->length < 8 ? loc->length : 8))
                return short_of(t);
            if (loc->ms_turn)
                return DIS_OK;
            if (rd_left(&attrs) < loc->length)
                return short_of(t);
            if (!walk_exact(attrs, loc->length, false))
                return DIS_NOT_MINE;
        }
        return DIS_OK;
    }

    /* Classic RFC 3489: datagrams only, and only when nothing else could explain the bytes. */
    if (t == DIS_STUN_STREAM || !classic_type(loc->type) || loc->length % 4 != 0)
        return DIS_NOT_MINE;
    struct rd body;
    if (rd_left(&attrs) < loc->length)
        return DIS_NOT_MINE; /* cannot be told apart from a look-alike without the body */
    rd_sub(&attrs, loc->length, &body);
    if (!classic_body_ok(body, loc->type))
        return DIS_NOT_MINE;
    loc->classic = true;
    return DIS_OK;
}

/* Finds a STUN message at @p p, possibly inside an MS-TURN multiplexed frame. */
static enum dis_status locate(const uint8_t *p, size_t caplen, size_t wirelen,
                              enum dis_stun_transport t, struct stun_loc *loc)
{
    struct rd r;
    memset(loc, 0, sizeof *loc);
    rd_init(&r, p, caplen);
    if (rd_peek_u8(&r, 0) != 0xFF)
        return locate_msg(r, wirelen, t, loc);

    /* [MS-TURN] §2.2.3: Channel_ID 0xFF10, Length (bytes after it), MTURN_Session_ID, Data. */
    if (t == DIS_STUN_DGRAM && wirelen < MTURN_HDR_LEN + DIS_STUN_HDR_LEN)
        return DIS_NOT_MINE;
    if (rd_left(&r) < 2)
        return short_of(t);
    if (rd_be16(&r) != DIS_MTURN_CHANNEL)
        return DIS_NOT_MINE;
    if (rd_left(&r) < 2)
        return short_of(t);
    uint16_t flen = rd_be16(&r);
    if (flen < MTURN_SESSION_LEN + DIS_STUN_HDR_LEN)
        return DIS_NOT_MINE;
    if (t == DIS_STUN_DGRAM && CD_HDR_LEN + (size_t)flen != wirelen)
        return DIS_NOT_MINE;
    if (rd_left(&r) < MTURN_SESSION_LEN)
        return short_of(t);
    uint8_t session[MTURN_SESSION_LEN];
    rd_copy(&r, session, sizeof session);
    size_t inner = (size_t)flen - MTURN_SESSION_LEN;
    enum dis_status s = locate_msg(r, inner, t, loc);
    if (s != DIS_OK)
        return s;
    if (loc->classic || loc->msg_len != inner)
        return DIS_NOT_MINE;
    loc->mturn = true;
    loc->off = MTURN_HDR_LEN;
    memcpy(loc->session, session, sizeof session);
    return DIS_OK;
}

enum dis_status dis_stun_probe(const uint8_t *p, size_t caplen, size_t wirelen,
                               enum dis_stun_transport t)
{
    struct stun_loc loc;
    if (t == DIS_STUN_DGRAM && caplen > wirelen)
        caplen = wirelen;
    return locate(p, caplen, wirelen, t, &loc);
}

/* ------------------------------------------------------------------------------------------ */
/* Attributes                                                                                  */

/* State of one attribute walk. */
struct walk {
    struct dis_stun_msg *m;
    struct rd msg;       /* the whole message as captured, for FINGERPRINT */
    uint8_t xor_key[16]; /* magic cookie then transaction id (RFC 8489 §14.2) */
    bool after_mi;       /* MESSAGE-INTEGRITY seen */
    bool after_mi256;    /* MESSAGE-INTEGRITY-SHA256 seen */
    bool after_fp;       /* FINGERPRINT seen */
};

static void flag(struct dis_stun_msg *m, uint32_t bits)
{
    m->anomalies |= bits;
}

/* Copies a text value into @p dst (@p cap bytes with the NUL); returns the length copied. */
static uint16_t copy_text(struct dis_stun_msg *m, struct rd *v, char *dst, size_t cap)
{
    size_t n = rd_left(v);
    size_t k = n < cap - 1 ? n : cap - 1;
    rd_copy(v, dst, k);
    dst[k] = '\0';
    if (k < n)
        flag(m, DIS_STUN_AN_TEXT_TRUNCATED);
    return (uint16_t)k;
}

/*
 * Reads an address attribute (RFC 8489 §14.1/§14.2): a byte ignored on receipt, family
 * (0x01 IPv4, 0x02 IPv6), port, address. With @p xor_key the port is XORed with the top half of
 * the cookie and the address with the cookie (IPv4) or cookie and transaction id (IPv6).
 * Returns 0, or -1 for a bad family or length.
 */
static int read_addr(struct rd *v, const uint8_t *xor_key, uint16_t attr, bool v4_only,
                     struct dis_stun_addr *a)
{
    size_t len = rd_left(v);
    memset(a, 0, sizeof *a);
    a->attr = attr;
    if (len != 8 && len != 20)
        return -1;
    rd_skip(v, 1);
    uint8_t family = rd_u8(v);
    uint16_t port = rd_be16(v);
    size_t n;
    if (family == 1 && len == 8)
        n = 4;
    else if (family == 2 && len == 20 && !v4_only)
        n = 16;
    else
        return -1;
    if (rd_copy(v, a->addr.b, n) < 0)
        return -1;
    a->addr.family = n == 4 ? 4 : 6;
    if (xor_key) {
        port ^= (uint16_t)(DIS_STUN_COOKIE >> 16);
        for (size_t i = 0; i < n; i++)
            a->addr.b[i] ^= xor_key[i];
    }
    a->port = port;
    return 0;
}

static void push_addr(struct dis_stun_msg *m, struct dis_stun_addr *arr, uint8_t *n,
                      const struct dis_stun_addr *a)
{
    if (*n < DIS_STUN_MAX_ADDRS) {
        arr[(*n)++] = *a;
    } else {
        if (m->addrs_dropped < UINT16_MAX)
            m->addrs_dropped++;
        flag(m, DIS_STUN_AN_ADDRS_DROPPED);
    }
}

static void push_type(struct dis_stun_msg *m, uint16_t *arr, uint8_t *n, uint16_t type)
{
    if (*n < DIS_STUN_MAX_UNKNOWN)
        arr[(*n)++] = type;
    else
        flag(m, DIS_STUN_AN_LISTS_DROPPED);
}

/*
 * Comprehension-required types (0x0000-0x7FFF) that a registry defines or once defined:
 * 0x0001-0x002A (RFC 3489, 5389, 8489, 5766, 8656, 5780, 6062, 7635, 8445) and 0x0030.
 * 0x4000-0x7FFF has no assignment.
 */
static bool known_required(uint16_t at)
{
    return (at >= 0x0001 && at <= 0x002A) || at == 0x0030;
}

/* Decodes an address attribute into @p dst (when @p dst is not NULL, else validates only). */
static void addr_attr(struct walk *w, struct rd *v, uint16_t at, bool xor,
                      struct dis_stun_addr *arr, uint8_t *n)
{
    struct dis_stun_addr a;
    if (read_addr(v, xor? w->xor_key : NULL, at, w->m->classic, &a) < 0) {
        flag(w->m, DIS_STUN_AN_BAD_ADDRESS);
        return;
    }
    if (arr)
        push_addr(w->m, arr, n, &a);
}

/* A single-valued address attribute; @p weak ones (RFC 3489 names) yield to the RFC 5780 ones. */
static void single_addr(struct walk *w, struct rd *v, uint16_t at, bool *has,
                        struct dis_stun_addr *dst, bool weak)
{
    struct dis_stun_addr a;
    if (read_addr(v, NULL, at, w->m->classic, &a) < 0) {
        flag(w->m, DIS_STUN_AN_BAD_ADDRESS);
        return;
    }
    if (*has) {
        if (weak)
            return; /* the RFC 5780 attribute, or an earlier RFC 3489 one, stays */
        if (dst->attr == at) {
            flag(w->m, DIS_STUN_AN_DUPLICATE);
            return;
        }
    }
    *dst = a;
    *has = true;
}

/* Fixed-size attributes: true when @p v holds exactly @p want bytes (else flags it). */
static bool sized(struct dis_stun_msg *m, const struct rd *v, size_t want)
{
    if (rd_left(v) == want)
        return true;
    flag(m, DIS_STUN_AN_BAD_ATTR_LENGTH);
    return false;
}

/* First occurrence of a single-valued attribute: true; a repeat is flagged and skipped. */
static bool first(struct dis_stun_msg *m, bool *has)
{
    if (*has) {
        flag(m, DIS_STUN_AN_DUPLICATE);
        return false;
    }
    *has = true;
    return true;
}

static void error_code_attr(struct dis_stun_msg *m, struct rd *v)
{
    if (rd_left(v) < 4) {
        flag(m, DIS_STUN_AN_BAD_ERROR_CODE);
        return;
    }
    if (!first(m, &m->has_error))
        return;
    /* RFC 8489 §14.8: 21 reserved bits, Class (3 bits, 3-6), Number (0-99), reason phrase. */
    uint32_t v32 = rd_be32(v);
    uint32_t cls = (v32 >> 8) & 7u, num = v32 & 0xFFu;
    uint32_t lo = m->classic ? 1 : 3;
    m->error_code = (uint16_t)(cls * 100 + num);
    if (cls < lo || cls > 6 || num > 99)
        flag(m, DIS_STUN_AN_BAD_ERROR_CODE);
    m->error_reason_len = copy_text(m, v, m->error_reason, sizeof m->error_reason);
}

static void fingerprint_attr(struct walk *w, struct rd *v, size_t off)
{
    struct dis_stun_msg *m = w->m;
    w->after_fp = true;
    if (!sized(m, v, 4) || !first(m, &m->has_fingerprint))
        return;
    /* RFC 8489 §14.7: CRC-32 of the message up to the attribute, XOR 0x5354554e. */
    uint32_t want = rd_be32(v);
    struct rd whole = w->msg;
    const uint8_t *bytes = rd_view(&whole, off);
    if (!bytes)
        return;
    uLong crc = crc32(crc32(0L, Z_NULL, 0), bytes, (uInt)off);
    m->fingerprint_ok = ((uint32_t)crc ^ FINGERPRINT_XOR) == want;
    if (!m->fingerprint_ok)
        flag(m, DIS_STUN_AN_BAD_FINGERPRINT);
}

/* Integrity, fingerprint and the attributes RFC 8489 §14.5 lets follow them. */
static bool integrity_order(struct walk *w, uint16_t at)
{
    if (w->after_fp) {
        flag(w->m, DIS_STUN_AN_AFTER_FINGERPRINT);
        return false;
    }
    if ((w->after_mi256 && at != DIS_STUN_A_FINGERPRINT) ||
        (w->after_mi && at != DIS_STUN_A_MESSAGE_INTEGRITY_SHA256 &&
         at != DIS_STUN_A_FINGERPRINT)) {
        flag(w->m, DIS_STUN_AN_AFTER_INTEGRITY);
        return false;
    }
    return true;
}

/* Address attributes; returns false when @p at is not one. */
static bool address_attr(struct walk *w, uint16_t at, struct rd *v)
{
    struct dis_stun_msg *m = w->m;
    bool ms = m->ms_turn;
    switch (at) {
    case DIS_STUN_A_MAPPED_ADDRESS:
        /* [MS-TURN] §3.2.5.1: an Allocate response's MAPPED-ADDRESS is the allocated address. */
        if (ms && m->method == DIS_STUN_ALLOCATE && m->cls == DIS_STUN_SUCCESS)
            addr_attr(w, v, at, false, m->relayed, &m->n_relayed);
        else
            addr_attr(w, v, at, false, m->mapped, &m->n_mapped);
        return true;
    case DIS_STUN_A_XOR_MAPPED_ADDRESS:
    case DIS_STUN_A_MS_XOR_MAPPED_ADDRESS:
        addr_attr(w, v, at, true, m->xor_mapped, &m->n_xor_mapped);
        return true;
    case DIS_STUN_A_XOR_RELAYED_ADDRESS:
        addr_attr(w, v, at, true, m->relayed, &m->n_relayed);
        return true;
    case DIS_STUN_A_XOR_PEER_ADDRESS: /* MS-TURN REMOTE-ADDRESS is not XORed */
        addr_attr(w, v, at, !ms, m->peer, &m->n_peer);
        return true;
    case DIS_STUN_A_MS_DESTINATION_ADDRESS:
        if (ms)
            addr_attr(w, v, at, false, m->peer, &m->n_peer);
        return true;
    case DIS_STUN_A_RESPONSE_ADDRESS:
    case DIS_STUN_A_REFLECTED_FROM:
        addr_attr(w, v, at, false, NULL, NULL);
        return true;
    case DIS_STUN_A_SOURCE_ADDRESS:
        single_addr(w, v, at, &m->has_response_origin, &m->response_origin, true);
        return true;
    case DIS_STUN_A_RESPONSE_ORIGIN:
        single_addr(w, v, at, &m->has_response_origin, &m->response_origin, false);
        return true;
    case DIS_STUN_A_CHANGED_ADDRESS:
        single_addr(w, v, at, &m->has_other_address, &m->other_address, true);
        return true;
    case DIS_STUN_A_OTHER_ADDRESS:
        single_addr(w, v, at, &m->has_other_address, &m->other_address, false);
        return true;
    case DIS_STUN_A_ALTERNATE_SERVER:
    case DIS_STUN_A_MS_ALTERNATE_SERVER:
        single_addr(w, v, at, &m->has_alternate_server, &m->alternate_server, false);
        return true;
    default:
        return false;
    }
}

/* Text attributes; returns false when @p at is not one. */
static bool text_attr(struct dis_stun_msg *m, uint16_t at, struct rd *v)
{
    /* MS-TURN swaps the numbers of REALM and NONCE (its 0x0014 is NONCE). */
    if (m->ms_turn && (at == DIS_STUN_A_REALM || at == DIS_STUN_A_NONCE))
        at = at == DIS_STUN_A_REALM ? DIS_STUN_A_NONCE : DIS_STUN_A_REALM;
    switch (at) {
    case DIS_STUN_A_USERNAME:
        if (first(m, &m->has_username))
            m->username_len = copy_text(m, v, m->username, sizeof m->username);
        return true;
    case DIS_STUN_A_REALM:
        if (first(m, &m->has_realm))
            m->realm_len = copy_text(m, v, m->realm, sizeof m->realm);
        return true;
    case DIS_STUN_A_NONCE:
        if (first(m, &m->has_nonce))
            m->nonce_len = copy_text(m, v, m->nonce, sizeof m->nonce);
        return true;
    case DIS_STUN_A_SOFTWARE:
        if (first(m, &m->has_software))
            m->software_len = copy_text(m, v, m->software, sizeof m->software);
        return true;
    default:
        return false;
    }
}

/* Fixed-size numeric attributes (TURN, ICE, MS-TURN); returns false when @p at is not one. */
static bool scalar_attr(struct dis_stun_msg *m, uint16_t at, struct rd *v)
{
    switch (at) {
    case DIS_STUN_A_LIFETIME:
        if (sized(m, v, 4) && first(m, &m->has_lifetime))
            m->lifetime = rd_be32(v);
        return true;
    case DIS_STUN_A_REQUESTED_TRANSPORT: /* protocol, then 3 RFFU bytes */
        if (sized(m, v, 4) && first(m, &m->has_requested_transport))
            m->requested_transport = rd_u8(v);
        return true;
    case DIS_STUN_A_CHANNEL_NUMBER: /* channel, then 2 RFFU bytes */
        if (sized(m, v, 4) && first(m, &m->has_channel_number))
            m->channel_number = rd_be16(v);
        return true;
    case DIS_STUN_A_CONNECTION_ID:
        if (sized(m, v, 4) && first(m, &m->has_connection_id))
            m->connection_id = rd_be32(v);
        return true;
    case DIS_STUN_A_PRIORITY:
        if (sized(m, v, 4) && first(m, &m->has_priority))
            m->priority = rd_be32(v);
        return true;
    case DIS_STUN_A_USE_CANDIDATE:
        if (sized(m, v, 0))
            m->use_candidate = true;
        return true;
    case DIS_STUN_A_ICE_CONTROLLED:
    case DIS_STUN_A_ICE_CONTROLLING:
        if (!sized(m, v, 8))
            return true;
        if (m->ice_controlled || m->ice_controlling)
            flag(m, DIS_STUN_AN_DUPLICATE);
        else
            m->tiebreaker = rd_be64(v);
        if (at == DIS_STUN_A_ICE_CONTROLLING)
            m->ice_controlling = true;
        else
            m->ice_controlled = true;
        return true;
    case DIS_STUN_A_CHANGE_REQUEST:
    case DIS_STUN_A_MS_MAGIC_COOKIE:
        sized(m, v, 4);
        return true;
    case DIS_STUN_A_MS_VERSION:
        if (sized(m, v, 4) && first(m, &m->has_ms_version))
            m->ms_version = rd_be32(v);
        return true;
    case DIS_STUN_A_MS_MULTIPLEXED_SESSION:
        if (sized(m, v, MTURN_SESSION_LEN) && first(m, &m->has_ms_session))
            rd_copy(v, m->ms_session, sizeof m->ms_session);
        return true;
    default:
        return false;
    }
}

/* Decodes one attribute of type @p at, value @p v, at offset @p off in the message. */
static void handle_attr(struct walk *w, uint16_t at, struct rd *v, size_t off)
{
    struct dis_stun_msg *m = w->m;
    if (!integrity_order(w, at))
        return;
    if (address_attr(w, at, v) || text_attr(m, at, v) || scalar_attr(m, at, v))
        return;
    switch (at) {
    case DIS_STUN_A_ERROR_CODE:
        error_code_attr(m, v);
        break;
    case DIS_STUN_A_UNKNOWN_ATTRIBUTES:
        if (rd_left(v) % 2 != 0) {
            flag(m, DIS_STUN_AN_BAD_ATTR_LENGTH);
            break;
        }
        while (rd_left(v) >= 2)
            push_type(m, m->unknown_attrs, &m->n_unknown_attrs, rd_be16(v));
        break;
    case DIS_STUN_A_DATA:
        if (first(m, &m->has_data)) {
            m->data_len = (uint16_t)rd_left(v);
            m->data = rd_view(v, m->data_len);
        }
        break;
    case DIS_STUN_A_MESSAGE_INTEGRITY:
        /* HMAC-SHA1 (RFC 8489 §14.5); MS-TURN also sends a 32-byte HMAC-SHA256 here. */
        w->after_mi = true;
        if ((rd_left(v) == 20 || (m->ms_turn && rd_left(v) == 32) || sized(m, v, 20)) &&
            first(m, &m->has_mi))
            m->mi_offset = (uint32_t)off;
        break;
    case DIS_STUN_A_MESSAGE_INTEGRITY_SHA256:
        /* RFC 8489 §14.6: 16 to 32 bytes, a multiple of 4. */
        w->after_mi256 = true;
        if (rd_left(v) < 16 || rd_left(v) > 32 || rd_left(v) % 4 != 0)
            flag(m, DIS_STUN_AN_BAD_ATTR_LENGTH);
        else if (first(m, &m->has_mi_sha256))
            m->mi256_offset = (uint32_t)off;
        break;
    case DIS_STUN_A_FINGERPRINT:
        fingerprint_attr(w, v, off);
        break;
    case DIS_STUN_A_USERHASH: /* RFC 8489 §14.4: SHA-256, 32 bytes */
        if (sized(m, v, 32))
            m->has_userhash = true;
        break;
    default:
        if (at < 0x8000 && !known_required(at)) {
            flag(m, DIS_STUN_AN_UNKNOWN_REQUIRED);
            push_type(m, m->unknown_required, &m->n_unknown_required, at);
        }
        break;
    }
}

/*
 * Walks the attributes: @p body holds the captured part of the @p declared body bytes.
 * Returns DIS_OK, DIS_MALFORMED (a fatal anomaly) or DIS_TRUNCATED (the capture ended first).
 */
static enum dis_status walk_attrs(struct walk *w, struct rd *body, size_t declared, bool pad)
{
    struct dis_stun_msg *m = w->m;
    size_t left = declared;
    for (unsigned n = 0; left > 0; n++) {
        if (n >= DIS_STUN_MAX_ATTRS) {
            flag(m, DIS_STUN_AN_TOO_MANY_ATTRS);
            break;
        }
        if (left < ATTR_HDR_LEN) {
            flag(m, DIS_STUN_AN_ATTR_OVERRUN);
            break;
        }
        if (rd_left(body) < ATTR_HDR_LEN)
            return (m->anomalies & DIS_STUN_AN_FATAL) ? DIS_MALFORMED : DIS_TRUNCATED;
        uint16_t at = rd_be16(body);
        uint16_t alen = rd_be16(body);
        size_t span = pad4(alen, pad);
        if (ATTR_HDR_LEN + span > left) {
            flag(m, DIS_STUN_AN_ATTR_OVERRUN);
            break;
        }
        if (rd_left(body) < span)
            return (m->anomalies & DIS_STUN_AN_FATAL) ? DIS_MALFORMED : DIS_TRUNCATED;
        size_t off = DIS_STUN_HDR_LEN + (declared - left);
        struct rd v;
        rd_sub(body, alen, &v);
        rd_skip(body, span - alen);
        left -= ATTR_HDR_LEN + span;
        m->attr_count++;
        handle_attr(w, at, &v, off);
    }
    return (m->anomalies & DIS_STUN_AN_FATAL) ? DIS_MALFORMED : DIS_OK;
}

enum dis_status dis_stun_parse(const uint8_t *p, size_t caplen, size_t wirelen,
                               enum dis_stun_transport t, struct dis_stun_msg *out,
                               size_t *consumed)
{
    struct stun_loc loc;
    struct walk w;
    if (consumed)
        *consumed = 0;
    memset(out, 0, sizeof *out);
    if (t == DIS_STUN_DGRAM && caplen > wirelen)
        caplen = wirelen;
    enum dis_status s = locate(p, caplen, wirelen, t, &loc);
    if (s != DIS_OK)
        return s;

    struct rd r;
    rd_init(&r, p, caplen);
    rd_skip(&r, loc.off);
    memset(&w, 0, sizeof w);
    w.m = out;
    w.msg = r;
    out->mturn_framed = loc.mturn;
    memcpy(out->mturn_session, loc.session, sizeof loc.session);
    out->classic = loc.classic;
    out->ms_turn = loc.ms_turn;
    out->type = rd_be16(&r);
    out->length = rd_be16(&r);
    /* RFC 8489 §5: M11-M7 C1 M6-M4 C0 M3-M0 below the two zero bits. */
    out->method = (uint16_t)((out->type & 0x000Fu) | ((out->type & 0x00E0u) >> 1) |
                             ((out->type & 0x3E00u) >> 2));
    out->cls = (uint8_t)(((out->type >> 4) & 1u) | ((out->type >> 7) & 2u));
    if (loc.classic) {
        out->txid_len = CLASSIC_TXID_LEN;
        rd_copy(&r, out->txid, CLASSIC_TXID_LEN);
    } else {
        out->txid_len = TXID_LEN;
        rd_skip(&r, 4);
        rd_copy(&r, out->txid, TXID_LEN);
    }
    if (!rd_ok(&r))
        return short_of(t); /* cut inside the header */

    size_t total = loc.off + loc.msg_len;
    if (t == DIS_STUN_STREAM && caplen < total)
        return DIS_NEED_MORE;
    /* XOR key: the cookie's bytes, then the transaction id. */
    uint32_t cookie = DIS_STUN_COOKIE;
    for (size_t i = 0; i < 4; i++)
        w.xor_key[i] = (uint8_t)(cookie >> (24 - 8 * i));
    memcpy(w.xor_key + 4, out->txid, TXID_LEN);

    size_t cap_body = rd_left(&r) < loc.length ? rd_left(&r) : loc.length;
    struct rd body;
    rd_sub(&r, cap_body, &body);
    /* Padding: RFC 5389 pads to 4 bytes, RFC 3489 attributes need none, MS-TURN and WhatsApp
     * send none. Each sender's usual form is tried first, the other one when it alone covers
     * the (whole) body exactly. */
    bool pad = !loc.classic && !loc.ms_turn;
    if (!loc.classic && cap_body == loc.length && !walk_exact(body, cap_body, pad) &&
        walk_exact(body, cap_body, !pad))
        pad = !pad;
    if (!loc.classic && !loc.ms_turn && !pad)
        flag(out, DIS_STUN_AN_UNPADDED);
    s = walk_attrs(&w, &body, loc.length, pad);
    if (s != DIS_TRUNCATED && consumed)
        *consumed = total;
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* ChannelData and stream framing                                                              */

enum dis_status dis_channeldata_parse(const uint8_t *p, size_t caplen, size_t wirelen,
                                      enum dis_stun_transport t, struct dis_channeldata *out,
                                      size_t *consumed)
{
    struct rd r;
    memset(out, 0, sizeof *out);
    if (consumed)
        *consumed = 0;
    if (t == DIS_STUN_DGRAM && caplen > wirelen)
        caplen = wirelen;
    if (t == DIS_STUN_DGRAM && wirelen < CD_HDR_LEN)
        return DIS_NOT_MINE;
    rd_init(&r, p, caplen);
    int b0 = rd_peek_u8(&r, 0);
    if (b0 < 0)
        return short_of(t);
    /* RFC 8656 §12: channels 0x4000-0x4FFF; RFC 5766 §11 allowed up to 0x7FFF. */
    if ((b0 < 0x40 || b0 > 0x7F) && b0 != 0xFF)
        return DIS_NOT_MINE;
    if (rd_left(&r) < 2)
        return short_of(t);
    out->channel = rd_be16(&r);
    out->mturn = out->channel == DIS_MTURN_CHANNEL;
    if (b0 == 0xFF && !out->mturn)
        return DIS_NOT_MINE;
    out->rfc5766_only = out->channel >= 0x5000 && out->channel <= 0x7FFF;
    if (rd_left(&r) < 2)
        return short_of(t);
    out->length = rd_be16(&r);

    size_t frame;
    if (out->mturn) {
        /* [MS-TURN] §2.2.3: Length counts the session id and data; no padding. */
        if (out->length < MTURN_SESSION_LEN)
            return DIS_NOT_MINE;
        frame = CD_HDR_LEN + (size_t)out->length;
        if (t == DIS_STUN_DGRAM && frame != wirelen)
            return DIS_NOT_MINE;
        if (rd_left(&r) < MTURN_SESSION_LEN)
            return short_of(t);
        rd_copy(&r, out->session, sizeof out->session);
        out->data_len = (uint16_t)(out->length - MTURN_SESSION_LEN);
    } else {
        /* RFC 8656 §12.5: padded to 4 bytes over streams; over UDP the padding may be sent. */
        size_t bare = CD_HDR_LEN + (size_t)out->length;
        size_t padded = CD_HDR_LEN + pad4(out->length, true);
        if (t == DIS_STUN_STREAM)
            frame = padded;
        else if (wirelen == bare || wirelen == padded)
            frame = wirelen;
        else
            return DIS_NOT_MINE;
        out->padded = frame > bare;
        out->data_len = out->length;
    }
    out->data_caplen = rd_left(&r) < out->data_len ? rd_left(&r) : out->data_len;
    out->data = rd_view(&r, out->data_caplen);
    if (t == DIS_STUN_STREAM && caplen < frame)
        return DIS_NEED_MORE;
    if (consumed)
        *consumed = frame;
    return out->data_caplen < out->data_len ? DIS_TRUNCATED : DIS_OK;
}

enum dis_status dis_stun_frame_len(const uint8_t *p, size_t avail, unsigned flags,
                                   size_t *frame_len, enum dis_stun_frame *kind)
{
    struct rd r;
    *frame_len = 0;
    rd_init(&r, p, avail);
    if (flags & DIS_STUN_F_RFC4571) {
        if (avail < 2)
            return DIS_NEED_MORE;
        *frame_len = 2 + (size_t)rd_be16(&r);
        if (kind)
            *kind = DIS_STUN_FRAME_RFC4571;
        return DIS_OK;
    }
    int b0 = rd_peek_u8(&r, 0);
    if (b0 < 0)
        return DIS_NEED_MORE;
    if (b0 <= 3) {
        struct stun_loc loc;
        memset(&loc, 0, sizeof loc);
        enum dis_status s = locate_msg(r, 0, DIS_STUN_STREAM, &loc);
        if (s == DIS_OK) {
            *frame_len = loc.msg_len;
            if (kind)
                *kind = DIS_STUN_FRAME_STUN;
            return DIS_OK;
        }
        /* RFC 6544 ICE-TCP: an RFC 4571 length, then STUN with the cookie at offset 6. The two
         * cannot both match: the cookie cannot sit at both 4 and 6. */
        if (s != DIS_NOT_MINE || avail < 10)
            return s == DIS_NOT_MINE ? DIS_NEED_MORE : s;
        uint16_t flen = rd_be16(&r);
        struct rd in = r;
        uint16_t type = rd_be16(&in), slen = rd_be16(&in);
        if ((type >> 8) <= 3 && rd_be32(&in) == DIS_STUN_COOKIE &&
            flen == DIS_STUN_HDR_LEN + (size_t)slen) {
            *frame_len = 2 + (size_t)flen;
            if (kind)
                *kind = DIS_STUN_FRAME_RFC4571;
            return DIS_OK;
        }
        return DIS_NOT_MINE;
    }
    if ((b0 >= 0x40 && b0 <= 0x7F) || b0 == 0xFF) {
        if (avail < CD_HDR_LEN)
            return DIS_NEED_MORE;
        uint16_t ch = rd_be16(&r), len = rd_be16(&r);
        if (b0 == 0xFF) {
            if (ch != DIS_MTURN_CHANNEL || len < MTURN_SESSION_LEN)
                return DIS_NOT_MINE;
            *frame_len = CD_HDR_LEN + (size_t)len;
            if (kind)
                *kind = DIS_STUN_FRAME_MTURN;
            return DIS_OK;
        }
        *frame_len = CD_HDR_LEN + pad4(len, true);
        if (kind)
            *kind = DIS_STUN_FRAME_CHANNELDATA;
        return DIS_OK;
    }
    return DIS_NOT_MINE;
}

/* ------------------------------------------------------------------------------------------ */
/* Integrity                                                                                   */

/* HMAC of @p hdr (20 bytes) then @p body with @p digest into @p out; returns its length or -1. */
static int hmac2(const char *digest, const uint8_t *key, size_t keylen, const uint8_t *hdr,
                 const uint8_t *body, size_t body_len, uint8_t out[MAX_MAC_LEN])
{
    static const uint8_t empty[1] = {0};
    int ret = -1;
    size_t outl = 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!ctx || !EVP_MAC_init(ctx, keylen ? key : empty, keylen, params) ||
        !EVP_MAC_update(ctx, hdr, DIS_STUN_HDR_LEN) ||
        (body_len && !EVP_MAC_update(ctx, body, body_len)) ||
        !EVP_MAC_final(ctx, out, &outl, MAX_MAC_LEN))
        goto out;
    ret = (int)outl;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ret;
}

int dis_stun_check_integrity(const uint8_t *msg, size_t len, const uint8_t *key, size_t keylen,
                             int sha256)
{
    struct dis_stun_msg m;
    enum dis_status s = dis_stun_parse(msg, len, len, DIS_STUN_DGRAM, &m, NULL);
    if ((s != DIS_OK && s != DIS_MALFORMED) || m.classic)
        return -1;
    size_t off = sha256 ? m.mi256_offset : m.mi_offset;
    if (off == 0)
        return -1;

    struct rd r, a;
    uint8_t hdr[DIS_STUN_HDR_LEN], want[MAX_MAC_LEN], got[MAX_MAC_LEN];
    rd_init(&r, msg, len);
    rd_skip(&r, m.mturn_framed ? MTURN_HDR_LEN : 0);
    rd_copy(&r, hdr, sizeof hdr);
    a = r;
    rd_skip(&a, off - DIS_STUN_HDR_LEN + 2);
    uint16_t alen = rd_be16(&a);
    if (alen > MAX_MAC_LEN || rd_copy(&a, want, alen) < 0)
        return -1;
    const uint8_t *body = rd_view(&r, off - DIS_STUN_HDR_LEN);
    if (!rd_ok(&r))
        return -1;
    /* RFC 8489 §14.5: the length field counts up to the end of the integrity attribute. */
    size_t adj = off - DIS_STUN_HDR_LEN + ATTR_HDR_LEN + alen;
    hdr[2] = (uint8_t)(adj >> 8);
    hdr[3] = (uint8_t)adj;
    const char *digest = sha256 || alen == 32 ? "SHA256" : "SHA1";
    int n = hmac2(digest, key, keylen, hdr, body, off - DIS_STUN_HDR_LEN, got);
    if (n < (int)alen)
        return -1;
    return CRYPTO_memcmp(got, want, alen) == 0 ? 1 : 0;
}

int dis_stun_long_term_key(const char *username, const char *realm, const char *password,
                           uint8_t key[16])
{
    int ret = -1;
    unsigned int n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL) ||
        !EVP_DigestUpdate(ctx, username, strlen(username)) || !EVP_DigestUpdate(ctx, ":", 1) ||
        !EVP_DigestUpdate(ctx, realm, strlen(realm)) || !EVP_DigestUpdate(ctx, ":", 1) ||
        !EVP_DigestUpdate(ctx, password, strlen(password)) || !EVP_DigestFinal_ex(ctx, key, &n))
        goto out;
    ret = n == 16 ? 0 : -1;
out:
    EVP_MD_CTX_free(ctx);
    return ret;
}
