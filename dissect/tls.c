/* SPDX-License-Identifier: MIT */
/*
 * tls.c - TLS record layer and handshake observation: a per-direction collector over in-order
 * stream bytes (records and handshake messages split anywhere), ClientHello / ServerHello /
 * HelloRetryRequest / Certificate parsing, alerts, and DTLS 1.0/1.2 datagrams.
 *
 * References: RFC 5246 §6.2 (records), §7.4 (handshake), RFC 8446 §4.1.2-4.1.4 (hellos, HRR),
 * §4.2 (extensions), §5 (record layer), §6 (alerts), appendix D.4 (middlebox compatibility
 * mode); RFC 6066 §3 (server_name), RFC 7301 (ALPN), RFC 8701 (GREASE), RFC 6347 §4.1 and
 * §4.2.2 (DTLS records and handshake headers), RFC 7983 (demultiplexing by first byte).
 *
 * Every length-prefixed block is read through rd_sub() and must be consumed whole: a block that
 * overruns its container is malformed, a message that ends early is truncated.
 */
#include "dissect/tls.h"

#include <stdlib.h>
#include <string.h>

#include "dissect/rd.h"

/* Collector states (struct dis_tls_dir.state). */
enum { ST_HDR = 0, ST_BODY, ST_DEAD };

/* What the bytes of the current record are for (struct dis_tls_dir.rec_mode). */
enum { REC_SKIP = 0, REC_HANDSHAKE, REC_ALERT };

/* Longest ciphertext of an encrypted TLS 1.3 alert we accept as one: 2 bytes of alert, the
 * inner content type and a 16-byte AEAD tag make 19; a little padding is tolerated. The
 * shortest client flight that is not an alert, an empty Certificate, is 25 bytes. */
enum { TLS13_ALERT_MAX = 24 };

const uint8_t dis_tls_hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

int dis_tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *dis_tls_version_name(uint16_t v)
{
    switch (v) {
    case DIS_TLS_V_SSL3:
        return "ssl3";
    case DIS_TLS_V_TLS10:
        return "1.0";
    case DIS_TLS_V_TLS11:
        return "1.1";
    case DIS_TLS_V_TLS12:
        return "1.2";
    case DIS_TLS_V_TLS13:
        return "1.3";
    case DIS_TLS_V_DTLS10:
        return "dtls1.0";
    case DIS_TLS_V_DTLS12:
        return "dtls1.2";
    case DIS_TLS_V_DTLS13:
        return "dtls1.3";
    default:
        return NULL;
    }
}

/* TLS 1.3 or one of its drafts (0x7fXX). */
static bool version_tls13(uint16_t v)
{
    return v == DIS_TLS_V_TLS13 || (v >> 8) == 0x7f;
}

/* Orders versions: DTLS minor numbers count downwards (0xfeff is 1.0, 0xfefd is 1.2). */
static uint32_t version_rank(uint16_t v)
{
    if ((v >> 8) == 0xfe)
        return 0x10000u + (0xffu - (v & 0xffu));
    return v;
}

uint16_t dis_tls_client_max_version(const struct dis_tls_client_hello *ch)
{
    uint16_t best = 0;
    for (size_t i = 0; i < ch->n_versions && i < DIS_TLS_MAX_VERSIONS; i++) {
        uint16_t v = ch->versions[i];
        if (dis_tls_is_grease(v))
            continue;
        if (best == 0 || version_rank(v) > version_rank(best))
            best = v;
    }
    return best ? best : ch->legacy_version;
}

/* ---- field helpers ---- */

/*
 * Reads the rest of @p r as 16-bit values, keeping the first @p max in @p dst. Returns false
 * if an odd byte is left over.
 */
static bool read_u16_list(struct rd *r, uint16_t *dst, uint16_t *n, size_t max, uint32_t *flags)
{
    size_t kept = 0;
    while (rd_left(r) >= 2) {
        uint16_t v = rd_be16(r);
        if (kept < max)
            dst[kept++] = v;
        else
            *flags |= DIS_TLS_HF_LIST_CUT;
    }
    *n = (uint16_t)kept;
    return rd_left(r) == 0 && rd_ok(r);
}

/*
 * Copies the @p n next bytes of @p r as a printable string: bytes outside 0x21-0x7e become
 * '?' and set @p odd_flag; bytes beyond @p size - 1 are dropped and set @p cut_flag.
 */
static void copy_text(struct rd *r, size_t n, char *dst, size_t size, uint32_t *flags,
                      uint32_t cut_flag, uint32_t odd_flag)
{
    size_t k = 0;
    for (size_t i = 0; i < n && rd_ok(r); i++) {
        uint8_t b = rd_u8(r);
        if (b < 0x21 || b > 0x7e) {
            b = '?';
            *flags |= odd_flag;
        }
        if (k + 1 < size)
            dst[k++] = (char)b;
        else
            *flags |= cut_flag;
    }
    dst[k] = '\0';
}

/* Remembers an extension type; returns true if it was seen before in this hello. */
static bool note_ext(uint16_t *exts, uint16_t *n, uint16_t type, uint32_t *flags)
{
    bool dup = false;
    for (size_t i = 0; i < *n; i++)
        if (exts[i] == type)
            dup = true;
    if (dup)
        *flags |= DIS_TLS_HF_DUP_EXT;
    if (*n < DIS_TLS_MAX_EXTS)
        exts[(*n)++] = type;
    else
        *flags |= DIS_TLS_HF_LIST_CUT;
    return dup;
}

/* server_name (RFC 6066 §3): the first host_name entry. */
static bool ext_sni(struct rd *e, struct dis_tls_client_hello *ch)
{
    struct rd list;
    ch->has_sni = true;
    if (rd_left(e) == 0)
        return true; /* empty: how servers acknowledge SNI; tolerated here */
    if (rd_sub(e, rd_be16(e), &list) < 0 || rd_left(e) != 0)
        return false;
    bool got = false;
    while (rd_left(&list) > 0) {
        uint8_t type = rd_u8(&list);
        struct rd name;
        if (rd_sub(&list, rd_be16(&list), &name) < 0)
            return false;
        if (type == 0 && !got) {
            copy_text(&name, rd_left(&name), ch->sni, sizeof ch->sni, &ch->flags,
                      DIS_TLS_HF_SNI_CUT, DIS_TLS_HF_SNI_ODD);
            got = true;
        }
    }
    return rd_ok(&list);
}

/* application_layer_protocol_negotiation (RFC 7301 §3.1) in a ClientHello. */
static bool ext_alpn(struct rd *e, struct dis_tls_client_hello *ch)
{
    struct rd list;
    ch->has_alpn = true;
    if (rd_sub(e, rd_be16(e), &list) < 0 || rd_left(e) != 0)
        return false;
    bool first = true;
    while (rd_left(&list) > 0) {
        struct rd name;
        uint8_t n = rd_u8(&list);
        if (rd_sub(&list, n, &name) < 0)
            return false;
        if (first) {
            ch->alpn0_len = n;
            if (n > 0) {
                ch->alpn0_first = (uint8_t)rd_peek_u8(&name, 0);
                ch->alpn0_last = (uint8_t)rd_peek_u8(&name, n - 1u);
            }
            first = false;
        }
        if (ch->n_alpn < DIS_TLS_MAX_ALPN) {
            copy_text(&name, n, ch->alpn[ch->n_alpn], DIS_TLS_ALPN_SIZE, &ch->flags,
                      DIS_TLS_HF_ALPN_CUT, 0);
            ch->n_alpn++;
        } else {
            ch->flags |= DIS_TLS_HF_ALPN_CUT;
        }
    }
    return rd_ok(&list);
}

/* A list with a 16-bit length prefix that must fill the extension body. */
static bool ext_u16_list16(struct rd *e, uint16_t *dst, uint16_t *n, size_t max, uint32_t *flags)
{
    struct rd list;
    if (rd_sub(e, rd_be16(e), &list) < 0 || rd_left(e) != 0)
        return false;
    return read_u16_list(&list, dst, n, max, flags);
}

/* ec_point_formats (RFC 8422 §5.1.2): 8-bit length, 8-bit entries. */
static bool ext_point_formats(struct rd *e, struct dis_tls_client_hello *ch)
{
    struct rd list;
    if (rd_sub(e, rd_u8(e), &list) < 0 || rd_left(e) != 0)
        return false;
    size_t kept = 0;
    while (rd_left(&list) > 0) {
        uint8_t v = rd_u8(&list);
        if (kept < DIS_TLS_MAX_POINT_FORMATS)
            ch->point_formats[kept++] = v;
        else
            ch->flags |= DIS_TLS_HF_LIST_CUT;
    }
    ch->n_point_formats = (uint16_t)kept;
    return true;
}

/* supported_versions in a ClientHello (RFC 8446 §4.2.1): 8-bit length, 16-bit entries. */
static bool ext_versions(struct rd *e, struct dis_tls_client_hello *ch)
{
    struct rd list;
    if (rd_sub(e, rd_u8(e), &list) < 0 || rd_left(e) != 0)
        return false;
    return read_u16_list(&list, ch->versions, &ch->n_versions, DIS_TLS_MAX_VERSIONS, &ch->flags);
}

static void ch_extension(uint16_t type, struct rd *e, struct dis_tls_client_hello *ch)
{
    bool ok = true;
    switch (type) {
    case DIS_TLS_EXT_SERVER_NAME:
        ok = ext_sni(e, ch);
        break;
    case DIS_TLS_EXT_ALPN:
        ok = ext_alpn(e, ch);
        break;
    case DIS_TLS_EXT_SUPPORTED_GROUPS:
        ok = ext_u16_list16(e, ch->groups, &ch->n_groups, DIS_TLS_MAX_GROUPS, &ch->flags);
        break;
    case DIS_TLS_EXT_EC_POINT_FORMATS:
        ok = ext_point_formats(e, ch);
        break;
    case DIS_TLS_EXT_SIGNATURE_ALGORITHMS:
        ok = ext_u16_list16(e, ch->sig_algs, &ch->n_sig_algs, DIS_TLS_MAX_SIG_ALGS, &ch->flags);
        break;
    case DIS_TLS_EXT_SUPPORTED_VERSIONS:
        ok = ext_versions(e, ch);
        break;
    default:
        break;
    }
    if (!ok)
        ch->flags |= DIS_TLS_HF_BAD_EXT;
}

/* ---- hellos ---- */

/*
 * Reads the fields a ClientHello and a ServerHello share: version, random, session id.
 * Returns DIS_OK, DIS_TRUNCATED or DIS_MALFORMED.
 */
static enum dis_status hello_start(struct rd *r, uint16_t *version, uint8_t random[32],
                                   uint8_t *sid_len)
{
    *version = rd_be16(r);
    rd_copy(r, random, 32);
    uint8_t n = rd_u8(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (n > 32)
        return DIS_MALFORMED; /* opaque legacy_session_id<0..32> */
    *sid_len = n;
    rd_skip(r, n);
    RD_REQUIRE(r, DIS_TRUNCATED);
    return DIS_OK;
}

enum dis_status dis_tls_parse_client_hello(const uint8_t *body, size_t len, bool dtls,
                                           struct dis_tls_client_hello *ch)
{
    struct rd r, ciphers, comp, exts;
    memset(ch, 0, sizeof *ch);
    ch->dtls = dtls;
    rd_init(&r, body, len);

    enum dis_status st = hello_start(&r, &ch->legacy_version, ch->random, &ch->session_id_len);
    if (st != DIS_OK)
        return st;
    if (dtls) { /* opaque cookie<0..2^8-1> (RFC 6347 §4.2.1) */
        ch->cookie_len = rd_u8(&r);
        rd_skip(&r, ch->cookie_len);
    }
    uint16_t cs_len = rd_be16(&r);
    RD_REQUIRE(&r, DIS_TRUNCATED);
    if (cs_len < 2 || cs_len % 2 != 0)
        return DIS_MALFORMED; /* CipherSuite cipher_suites<2..2^16-2> */
    if (rd_sub(&r, cs_len, &ciphers) < 0)
        return DIS_TRUNCATED;
    read_u16_list(&ciphers, ch->ciphers, &ch->n_ciphers, DIS_TLS_MAX_CIPHERS, &ch->flags);

    uint8_t comp_len = rd_u8(&r);
    RD_REQUIRE(&r, DIS_TRUNCATED);
    if (comp_len < 1)
        return DIS_MALFORMED; /* compression_methods<1..2^8-1> */
    if (rd_sub(&r, comp_len, &comp) < 0)
        return DIS_TRUNCATED;
    ch->n_compressions = comp_len;

    if (rd_left(&r) == 0) { /* extensions are optional before TLS 1.3 (RFC 5246 §7.4.1.2) */
        ch->flags |= DIS_TLS_HF_NO_EXTS;
        return DIS_OK;
    }
    uint16_t ext_len = rd_be16(&r);
    RD_REQUIRE(&r, DIS_TRUNCATED);
    if (rd_sub(&r, ext_len, &exts) < 0)
        return DIS_TRUNCATED;
    if (rd_left(&r) != 0)
        return DIS_MALFORMED; /* bytes after the extensions block */

    /* Bounded: every pass consumes at least the 4-byte extension header. */
    while (rd_left(&exts) > 0) {
        uint16_t type = rd_be16(&exts);
        struct rd e;
        if (rd_sub(&exts, rd_be16(&exts), &e) < 0)
            return DIS_MALFORMED; /* an extension overruns the extensions block */
        if (note_ext(ch->exts, &ch->n_exts, type, &ch->flags))
            continue; /* a duplicate: keep what the first one said */
        ch_extension(type, &e, ch);
    }
    return DIS_OK;
}

static void sh_extension(uint16_t type, struct rd *e, struct dis_tls_server_hello *sh)
{
    bool ok = true;
    switch (type) {
    case DIS_TLS_EXT_SUPPORTED_VERSIONS: /* selected_version (RFC 8446 §4.2.1) */
        sh->selected_version = rd_be16(e);
        ok = rd_ok(e) && rd_left(e) == 0;
        if (!ok)
            sh->selected_version = sh->legacy_version;
        break;
    case DIS_TLS_EXT_KEY_SHARE: /* server_share.group, or the HRR's selected_group */
        sh->key_share_group = rd_be16(e);
        ok = rd_ok(e);
        break;
    case DIS_TLS_EXT_ALPN: { /* exactly one ProtocolName (RFC 7301 §3.1) */
        struct rd list, name;
        ok = rd_sub(e, rd_be16(e), &list) == 0 && rd_left(e) == 0 &&
             rd_sub(&list, rd_u8(&list), &name) == 0 && rd_left(&list) == 0;
        if (ok)
            copy_text(&name, rd_left(&name), sh->alpn, sizeof sh->alpn, &sh->flags,
                      DIS_TLS_HF_ALPN_CUT, 0);
        break;
    }
    default:
        break;
    }
    if (!ok)
        sh->flags |= DIS_TLS_HF_BAD_EXT;
}

enum dis_status dis_tls_parse_server_hello(const uint8_t *body, size_t len, bool dtls,
                                           struct dis_tls_server_hello *sh)
{
    struct rd r, exts;
    memset(sh, 0, sizeof *sh);
    sh->dtls = dtls;
    rd_init(&r, body, len);

    /* TLS 1.3 drafts before -22 (version 0x7fXX, e.g. 0x7f12 = draft-18) had neither session
     * id nor compression method in their ServerHello (draft-ietf-tls-tls13-18 §4.1.3). */
    bool draft = rd_peek_u8(&r, 0) == 0x7f;
    if (draft) {
        sh->legacy_version = rd_be16(&r);
        rd_copy(&r, sh->random, sizeof sh->random);
    } else {
        enum dis_status st = hello_start(&r, &sh->legacy_version, sh->random, &sh->session_id_len);
        if (st != DIS_OK)
            return st;
    }
    sh->selected_version = sh->legacy_version;
    sh->hrr = memcmp(sh->random, dis_tls_hrr_random, sizeof sh->random) == 0;
    sh->cipher = rd_be16(&r);
    if (!draft)
        sh->compression = rd_u8(&r);
    RD_REQUIRE(&r, DIS_TRUNCATED);
    if (rd_left(&r) == 0) {
        sh->flags |= DIS_TLS_HF_NO_EXTS;
        return DIS_OK;
    }
    uint16_t ext_len = rd_be16(&r);
    RD_REQUIRE(&r, DIS_TRUNCATED);
    if (rd_sub(&r, ext_len, &exts) < 0)
        return DIS_TRUNCATED;
    if (rd_left(&r) != 0)
        return DIS_MALFORMED;
    while (rd_left(&exts) > 0) {
        uint16_t type = rd_be16(&exts);
        struct rd e;
        if (rd_sub(&exts, rd_be16(&exts), &e) < 0)
            return DIS_MALFORMED;
        if (note_ext(sh->exts, &sh->n_exts, type, &sh->flags))
            continue;
        sh_extension(type, &e, sh);
    }
    return DIS_OK;
}

enum dis_status dis_tls_parse_certificate(const uint8_t *body, size_t len,
                                          struct dis_tls_cert_list *out)
{
    struct rd r, list;
    memset(out, 0, sizeof *out);
    rd_init(&r, body, len);
    uint32_t list_len = rd_be24(&r); /* ASN.1Cert certificate_list<0..2^24-1> */
    RD_REQUIRE(&r, DIS_TRUNCATED);
    if (rd_sub(&r, list_len, &list) < 0)
        return DIS_TRUNCATED;
    if (rd_left(&r) != 0)
        return DIS_MALFORMED;
    /* Bounded: every pass consumes at least 4 bytes (length and one byte of certificate). */
    while (rd_left(&list) > 0) {
        uint32_t n = rd_be24(&list);
        const uint8_t *der = rd_view(&list, n);
        if (!der || n == 0)
            return DIS_MALFORMED; /* opaque ASN.1Cert<1..2^24-1> overrunning the list */
        if (out->n < DIS_TLS_MAX_CERTS) {
            out->cert[out->n].p = der;
            out->cert[out->n].len = n;
            out->n++;
        }
        out->total++;
    }
    return DIS_OK;
}

/* ---- events ---- */

static void emit(dis_tls_event_fn cb, void *ctx, const struct dis_tls_event *ev)
{
    if (cb)
        cb(ctx, ev);
}

static struct dis_tls_event ev_make(enum dis_tls_event_type type, int dir, bool tls13)
{
    struct dis_tls_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.dir = dir;
    ev.tls13 = tls13;
    return ev;
}

/* Emits one hello or certificate event for a complete handshake message; false if unparsed. */
static bool hs_event(uint8_t type, const uint8_t *body, size_t len, bool dtls, int dir, bool tls13,
                     uint32_t *flags, dis_tls_event_fn cb, void *ctx,
                     struct dis_tls_server_hello *sh_out)
{
    struct dis_tls_event ev;
    switch (type) {
    case DIS_TLS_HS_CLIENT_HELLO: {
        struct dis_tls_client_hello ch;
        if (dis_tls_parse_client_hello(body, len, dtls, &ch) != DIS_OK) {
            *flags |= DIS_TLS_CF_BAD_HELLO;
            return false;
        }
        ev = ev_make(DIS_TLS_EV_CLIENT_HELLO, dir, tls13);
        ev.ch = &ch;
        emit(cb, ctx, &ev);
        return true;
    }
    case DIS_TLS_HS_SERVER_HELLO:
        if (dis_tls_parse_server_hello(body, len, dtls, sh_out) != DIS_OK) {
            *flags |= DIS_TLS_CF_BAD_HELLO;
            return false;
        }
        ev = ev_make(DIS_TLS_EV_SERVER_HELLO, dir,
                     !sh_out->hrr && version_tls13(sh_out->selected_version));
        ev.sh = sh_out;
        emit(cb, ctx, &ev);
        return true;
    case DIS_TLS_HS_CERTIFICATE: {
        struct dis_tls_cert_list certs;
        if (dis_tls_parse_certificate(body, len, &certs) != DIS_OK) {
            *flags |= DIS_TLS_CF_BAD_CERT;
            return false;
        }
        if (certs.total > certs.n)
            *flags |= DIS_TLS_CF_CERTS_CUT;
        ev = ev_make(DIS_TLS_EV_CERTIFICATE, dir, tls13);
        ev.certs = &certs;
        emit(cb, ctx, &ev);
        return true;
    }
    default:
        return false;
    }
}

/* ---- stream collector ---- */

void dis_tls_conn_init(struct dis_tls_conn *c)
{
    memset(c, 0, sizeof *c);
    c->client_dir = -1;
    c->server_dir = -1;
}

static void hs_release(struct dis_tls_dir *d)
{
    free(d->hs);
    d->hs = NULL;
    d->hs_cap = 0;
}

void dis_tls_conn_free(struct dis_tls_conn *c)
{
    hs_release(&c->dir[0]);
    hs_release(&c->dir[1]);
}

uint32_t dis_tls_conn_flags(const struct dis_tls_conn *c)
{
    return c->flags;
}

static bool conn_tls13(const struct dis_tls_conn *c)
{
    return version_tls13(c->version);
}

/* Makes room for a handshake body of @p n bytes (n <= DIS_TLS_HS_MAX, checked by the caller). */
static bool hs_reserve(struct dis_tls_dir *d, uint32_t n)
{
    if (n <= d->hs_cap)
        return true;
    uint32_t cap = n < 1024 ? 1024 : n;
    uint8_t *p = realloc(d->hs, cap);
    if (!p)
        return false;
    d->hs = p;
    d->hs_cap = cap;
    return true;
}

/* A complete handshake message of direction @p dir is in d->hs: report it. */
static void hs_message(struct dis_tls_conn *c, int dir, dis_tls_event_fn cb, void *ctx)
{
    struct dis_tls_dir *d = &c->dir[dir];
    struct rd h;
    rd_init(&h, d->hs_hdr, sizeof d->hs_hdr);
    uint8_t type = rd_u8(&h);
    struct dis_tls_server_hello sh;
    if (type == DIS_TLS_HS_CERTIFICATE && conn_tls13(c))
        return; /* TLS 1.3 certificates are encrypted; a plaintext one is not a 1.2 list */
    if (!hs_event(type, d->hs, d->hs_msg_len, false, dir, conn_tls13(c), &c->flags, cb, ctx, &sh))
        return;
    if (type == DIS_TLS_HS_CLIENT_HELLO && c->client_dir < 0) {
        c->client_dir = (int8_t)dir;
    } else if (type == DIS_TLS_HS_SERVER_HELLO) {
        c->server_dir = (int8_t)dir;
        if (sh.hrr) {
            c->hrr = true;
        } else {
            c->version = sh.selected_version;
            if (conn_tls13(c)) {
                /* Everything after the ServerHello is encrypted (RFC 8446 §2). */
                d->encrypted = true;
                hs_release(d);
            }
        }
    }
}

/* Collects handshake bytes of one record chunk into messages (RFC 5246 §6.2.1: a message
 * may span records, a record may hold several messages). */
static void hs_collect(struct dis_tls_conn *c, int dir, struct rd *chunk, dis_tls_event_fn cb,
                       void *ctx)
{
    struct dis_tls_dir *d = &c->dir[dir];
    /* Bounded: every pass consumes bytes of the chunk or leaves the loop. */
    while (rd_left(chunk) > 0 && !d->hs_off && !d->encrypted) {
        if (d->hs_hdr_have < sizeof d->hs_hdr) {
            size_t take = sizeof d->hs_hdr - d->hs_hdr_have;
            if (take > rd_left(chunk))
                take = rd_left(chunk);
            rd_copy(chunk, d->hs_hdr + d->hs_hdr_have, take);
            d->hs_hdr_have = (uint8_t)(d->hs_hdr_have + take);
            if (d->hs_hdr_have < sizeof d->hs_hdr)
                break;
            struct rd h;
            rd_init(&h, d->hs_hdr, sizeof d->hs_hdr);
            rd_skip(&h, 1);
            d->hs_msg_len = rd_be24(&h);
            d->hs_have = 0;
            if (d->hs_msg_len > DIS_TLS_HS_MAX) {
                c->flags |= DIS_TLS_CF_HS_TOO_BIG;
                d->hs_off = true;
                hs_release(d);
                break;
            }
            if (!hs_reserve(d, d->hs_msg_len)) {
                c->flags |= DIS_TLS_CF_OOM;
                d->hs_off = true;
                hs_release(d);
                break;
            }
        }
        size_t take = d->hs_msg_len - d->hs_have;
        if (take > rd_left(chunk))
            take = rd_left(chunk);
        if (take > 0) {
            rd_copy(chunk, d->hs + d->hs_have, take);
            d->hs_have += (uint32_t)take;
        }
        if (d->hs_have == d->hs_msg_len) {
            d->hs_hdr_have = 0;
            hs_message(c, dir, cb, ctx);
        }
    }
}

/* Reports plaintext alerts, two bytes each (RFC 8446 §6: never fragmented across records). */
static void alert_bytes(struct dis_tls_conn *c, int dir, struct rd *chunk, dis_tls_event_fn cb,
                        void *ctx)
{
    struct dis_tls_dir *d = &c->dir[dir];
    /* Bounded: every pass consumes one byte. */
    while (rd_left(chunk) > 0 && d->alert_have < sizeof d->alert) {
        rd_copy(chunk, d->alert + d->alert_have, 1);
        if (++d->alert_have < sizeof d->alert)
            continue;
        d->alert_have = 0;
        struct rd a;
        rd_init(&a, d->alert, sizeof d->alert);
        struct dis_tls_event ev = ev_make(DIS_TLS_EV_ALERT, dir, conn_tls13(c));
        ev.alert_level = rd_u8(&a);
        ev.alert_desc = rd_u8(&a);
        ev.rec_len = d->rec_len;
        emit(cb, ctx, &ev);
    }
}

/* An application_data record starts: APPDATA, ESTABLISHED, or a TLS 1.3 encrypted alert. */
static void appdata_start(struct dis_tls_conn *c, int dir, dis_tls_event_fn cb, void *ctx)
{
    struct dis_tls_dir *d = &c->dir[dir];
    struct dis_tls_event ev;
    if (!d->appdata_seen) {
        d->appdata_seen = true;
        ev = ev_make(DIS_TLS_EV_APPDATA, dir, conn_tls13(c));
        ev.rec_len = d->rec_len;
        emit(cb, ctx, &ev);
    }
    if (c->established)
        return;
    bool done;
    if (c->server_dir < 0 || c->version == 0) {
        /* No ServerHello (or only an HRR): a stream picked up mid-way is established; after
         * a ClientHello this is 0-RTT early data (RFC 8446 §4.2.10), not the handshake's end. */
        done = c->client_dir < 0;
    } else if (conn_tls13(c)) {
        if (dir == c->server_dir)
            return; /* the server's encrypted flight */
        if (d->rec_len <= TLS13_ALERT_MAX) {
            ev = ev_make(DIS_TLS_EV_ALERT, dir, true);
            ev.encrypted = true;
            ev.rec_len = d->rec_len;
            emit(cb, ctx, &ev);
            return;
        }
        done = true; /* the client's Finished: it accepted the server */
    } else {
        done = true;
    }
    if (done) {
        c->established = true;
        /* The handshake is over: give its buffers back, unless a direction is in the middle
         * of a message (reordered or odd streams), which keeps collecting into its buffer. */
        for (int i = 0; i < 2; i++)
            if (c->dir[i].hs_hdr_have == 0)
                hs_release(&c->dir[i]);
        ev = ev_make(DIS_TLS_EV_ESTABLISHED, dir, conn_tls13(c));
        ev.rec_len = d->rec_len;
        emit(cb, ctx, &ev);
    }
}

/*
 * A record header is complete in d->hdr: validate it and decide what its bytes are for.
 * Returns DIS_OK, or DIS_NOT_MINE / DIS_MALFORMED for a header that cannot be TLS.
 */
static enum dis_status record_start(struct dis_tls_conn *c, int dir, dis_tls_event_fn cb, void *ctx)
{
    struct dis_tls_dir *d = &c->dir[dir];
    struct rd h;
    rd_init(&h, d->hdr, sizeof d->hdr);
    uint8_t type = rd_u8(&h);
    uint16_t version = rd_be16(&h);
    uint16_t len = rd_be16(&h);
    if (type < DIS_TLS_CT_CHANGE_CIPHER_SPEC || type > DIS_TLS_CT_HEARTBEAT ||
        (version >> 8) != 3 || (version & 0xff) > 4 || len > DIS_TLS_RECORD_MAX)
        return d->started ? DIS_MALFORMED : DIS_NOT_MINE;
    d->started = true;
    d->rec_len = len;
    d->rec_left = len;
    d->rec_mode = REC_SKIP;
    d->alert_have = 0;
    if (len == 0 && type != DIS_TLS_CT_APPLICATION_DATA)
        c->flags |= DIS_TLS_CF_EMPTY_RECORD; /* RFC 5246 §6.2.1 forbids these */

    /* After its ChangeCipherSpec a TLS <= 1.2 direction encrypts; a TLS 1.3 client's CCS is
     * a middlebox-compatibility dummy (RFC 8446 D.4) that may precede a second ClientHello. */
    bool after_ccs = d->ccs_seen && !c->hrr && !conn_tls13(c);
    switch (type) {
    case DIS_TLS_CT_HANDSHAKE:
        if (!d->encrypted && !after_ccs && !d->hs_off)
            d->rec_mode = REC_HANDSHAKE;
        break;
    case DIS_TLS_CT_ALERT:
        if ((d->encrypted || after_ccs) && len != 2) {
            struct dis_tls_event ev = ev_make(DIS_TLS_EV_ALERT, dir, conn_tls13(c));
            ev.encrypted = true;
            ev.rec_len = len;
            emit(cb, ctx, &ev);
        } else {
            d->rec_mode = REC_ALERT;
        }
        break;
    case DIS_TLS_CT_APPLICATION_DATA:
        appdata_start(c, dir, cb, ctx);
        break;
    default: /* ChangeCipherSpec is reported at its end; heartbeats are skipped */
        break;
    }
    return DIS_OK;
}

/* The current record's payload is complete. */
static void record_end(struct dis_tls_conn *c, int dir, dis_tls_event_fn cb, void *ctx)
{
    struct dis_tls_dir *d = &c->dir[dir];
    struct rd h;
    rd_init(&h, d->hdr, 1);
    uint8_t type = rd_u8(&h);
    if (d->rec_mode == REC_ALERT && d->alert_have != 0) {
        c->flags |= DIS_TLS_CF_BAD_ALERT;
        d->alert_have = 0;
    }
    if (type == DIS_TLS_CT_CHANGE_CIPHER_SPEC) {
        d->ccs_seen = true;
        struct dis_tls_event ev = ev_make(DIS_TLS_EV_CHANGE_CIPHER_SPEC, dir, conn_tls13(c));
        ev.rec_len = d->rec_len;
        emit(cb, ctx, &ev);
    }
}

enum dis_status dis_tls_conn_feed(struct dis_tls_conn *c, int dir, const uint8_t *data, size_t len,
                                  dis_tls_event_fn cb, void *ctx)
{
    if (dir != 0 && dir != 1)
        return DIS_MALFORMED;
    struct dis_tls_dir *d = &c->dir[dir];
    if (d->state == ST_DEAD)
        return (enum dis_status)d->status;
    struct rd in;
    rd_init(&in, data, len);
    /* Bounded: every pass consumes input bytes or completes a zero-length record. */
    while (rd_left(&in) > 0) {
        if (d->state == ST_HDR) {
            size_t take = sizeof d->hdr - d->hdr_have;
            if (take > rd_left(&in))
                take = rd_left(&in);
            rd_copy(&in, d->hdr + d->hdr_have, take);
            d->hdr_have = (uint8_t)(d->hdr_have + take);
            if (d->hdr_have < sizeof d->hdr)
                break;
            d->hdr_have = 0;
            enum dis_status st = record_start(c, dir, cb, ctx);
            if (st != DIS_OK) {
                d->state = ST_DEAD;
                d->status = (uint8_t)st;
                hs_release(d);
                return st;
            }
            if (d->rec_left == 0)
                record_end(c, dir, cb, ctx);
            else
                d->state = ST_BODY;
            continue;
        }
        size_t take = d->rec_left;
        if (take > rd_left(&in))
            take = rd_left(&in);
        struct rd chunk;
        rd_sub(&in, take, &chunk);
        if (d->rec_mode == REC_HANDSHAKE)
            hs_collect(c, dir, &chunk, cb, ctx);
        else if (d->rec_mode == REC_ALERT)
            alert_bytes(c, dir, &chunk, cb, ctx);
        d->rec_left = (uint16_t)(d->rec_left - take);
        if (d->rec_left == 0) {
            d->state = ST_HDR;
            record_end(c, dir, cb, ctx);
        }
    }
    return DIS_OK;
}

/* Checks a record header at the start of @p r without consuming it: type 22, version 3.x,
 * a plausible length, and (with 6 bytes) a hello. */
enum dis_status dis_tls_probe(const uint8_t *p, size_t len)
{
    struct rd r;
    rd_init(&r, p, len);
    int type = rd_peek_u8(&r, 0), major = rd_peek_u8(&r, 1), minor = rd_peek_u8(&r, 2);
    if ((type >= 0 && type != DIS_TLS_CT_HANDSHAKE) || (major >= 0 && major != 3) || minor > 4)
        return DIS_NOT_MINE;
    if (len < 6)
        return DIS_NEED_MORE;
    rd_skip(&r, 3);
    uint16_t rlen = rd_be16(&r);
    uint8_t hs = rd_u8(&r);
    if (rlen == 0 || rlen > DIS_TLS_RECORD_MAX ||
        (hs != DIS_TLS_HS_CLIENT_HELLO && hs != DIS_TLS_HS_SERVER_HELLO))
        return DIS_NOT_MINE;
    return DIS_OK;
}

/* ---- DTLS ---- */

enum { DTLS_RECORD_HDR = 13, DTLS_HS_HDR = 12 };

static bool dtls_version_ok(uint16_t v)
{
    return v == DIS_TLS_V_DTLS10 || v == DIS_TLS_V_DTLS12;
}

enum dis_status dis_dtls_probe(const uint8_t *p, size_t len)
{
    struct rd r;
    rd_init(&r, p, len);
    uint8_t type = rd_u8(&r);
    uint16_t version = rd_be16(&r);
    if (!rd_ok(&r) || type < DIS_TLS_CT_CHANGE_CIPHER_SPEC || type > 63 ||
        !dtls_version_ok(version))
        return DIS_NOT_MINE;
    return DIS_OK;
}

/* The handshake messages of one epoch-0 DTLS record (RFC 6347 §4.2.2). */
static enum dis_status dtls_handshake(struct rd *rec, int dir, dis_tls_event_fn cb, void *ctx,
                                      uint32_t *flags)
{
    /* Bounded: every pass consumes at least the 12-byte handshake header. */
    while (rd_left(rec) > 0) {
        uint8_t type = rd_u8(rec);
        uint32_t msg_len = rd_be24(rec);
        rd_skip(rec, 2); /* message_seq */
        uint32_t frag_off = rd_be24(rec);
        uint32_t frag_len = rd_be24(rec);
        struct rd frag;
        if (!rd_ok(rec) || rd_sub(rec, frag_len, &frag) < 0)
            return DIS_MALFORMED; /* a fragment overruns its record */
        if (frag_off != 0 || frag_len != msg_len) {
            *flags |= DIS_TLS_CF_DTLS_FRAGMENT;
            continue;
        }
        struct dis_tls_server_hello sh;
        hs_event(type, rd_ptr(&frag), rd_left(&frag), true, dir, false, flags, cb, ctx, &sh);
    }
    return DIS_OK;
}

enum dis_status dis_dtls_parse(const uint8_t *p, size_t len, int dir, dis_tls_event_fn cb,
                               void *ctx, uint32_t *flags)
{
    uint32_t scratch = 0;
    if (!flags)
        flags = &scratch;
    struct rd r;
    rd_init(&r, p, len);
    bool first = true;
    /* Bounded: every pass consumes at least a 13-byte record header. */
    while (rd_left(&r) > 0) {
        int b0 = rd_peek_u8(&r, 0);
        if (!first && b0 >= 32 && b0 <= 63)
            return DIS_OK; /* a DTLS 1.3 unified header (RFC 9147 §4): not walked */
        if (rd_left(&r) < DTLS_RECORD_HDR)
            return first ? DIS_NOT_MINE : DIS_TRUNCATED;
        uint8_t type = rd_u8(&r);
        uint16_t version = rd_be16(&r);
        uint16_t epoch = rd_be16(&r);
        rd_skip(&r, 6); /* 48-bit sequence_number */
        uint16_t rlen = rd_be16(&r);
        if (type < DIS_TLS_CT_CHANGE_CIPHER_SPEC || type > DIS_TLS_CT_HEARTBEAT ||
            !dtls_version_ok(version) || rlen > DIS_TLS_RECORD_MAX)
            return first ? DIS_NOT_MINE : DIS_MALFORMED;
        first = false;
        struct rd rec;
        if (rd_sub(&r, rlen, &rec) < 0)
            return DIS_TRUNCATED;
        struct dis_tls_event ev;
        switch (type) {
        case DIS_TLS_CT_HANDSHAKE:
            if (epoch == 0) { /* later epochs carry the encrypted Finished */
                enum dis_status st = dtls_handshake(&rec, dir, cb, ctx, flags);
                if (st != DIS_OK)
                    return st;
            }
            break;
        case DIS_TLS_CT_ALERT:
            if (epoch == 0 && rlen % 2 == 0) {
                while (rd_left(&rec) > 0) {
                    ev = ev_make(DIS_TLS_EV_ALERT, dir, false);
                    ev.alert_level = rd_u8(&rec);
                    ev.alert_desc = rd_u8(&rec);
                    ev.rec_len = rlen;
                    emit(cb, ctx, &ev);
                }
            } else if (epoch == 0) {
                *flags |= DIS_TLS_CF_BAD_ALERT;
            } else {
                ev = ev_make(DIS_TLS_EV_ALERT, dir, false);
                ev.encrypted = true;
                ev.rec_len = rlen;
                emit(cb, ctx, &ev);
            }
            break;
        case DIS_TLS_CT_CHANGE_CIPHER_SPEC:
            ev = ev_make(DIS_TLS_EV_CHANGE_CIPHER_SPEC, dir, false);
            ev.rec_len = rlen;
            emit(cb, ctx, &ev);
            break;
        case DIS_TLS_CT_APPLICATION_DATA:
            ev = ev_make(DIS_TLS_EV_APPDATA, dir, false);
            ev.rec_len = rlen;
            emit(cb, ctx, &ev);
            break;
        default:
            break;
        }
    }
    return DIS_OK;
}
