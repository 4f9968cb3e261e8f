/* SPDX-License-Identifier: MIT */
/*
 * quic.c - QUIC Initial packets of versions 1 (RFC 9000 §17.2.2, RFC 9001 §5) and 2 (RFC 9369):
 * Initial keys from the client's Destination Connection ID, header protection removal
 * (AES-128-ECB mask, RFC 9001 §5.4.3), AEAD_AES_128_GCM decryption (nonce = iv XOR packet
 * number, AAD = the unprotected header, RFC 9001 §5.3), frames of the Initial space (RFC 9000
 * §12.4, §19) and the CRYPTO stream collected through tcp_reasm (first copy wins).
 *
 * Anybody can compute Initial keys, so decryption does not make the content trusted: the
 * frames are parsed as hostile input like any packet bytes.
 */
#include "dissect/quic.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "dissect/rd.h"

/* Long packet types, numbered as in version 1 (version 2 permutes them, RFC 9369 §3.2). */
enum { LT_INITIAL = 0, LT_0RTT = 1, LT_HANDSHAKE = 2, LT_RETRY = 3 };

/* Frame types allowed in Initial packets (RFC 9000 §12.4, Table 3). */
enum {
    FT_PADDING = 0x00,
    FT_PING = 0x01,
    FT_ACK = 0x02,
    FT_ACK_ECN = 0x03,
    FT_CRYPTO = 0x06,
    FT_CLOSE = 0x1c,
};

#define QUIC_TAG_LEN 16
#define QUIC_SAMPLE_LEN 16
#define QUIC_VARINT_MAX ((1ull << 62) - 1)

/* Initial salts: RFC 9001 §5.2, draft-ietf-quic-tls-29 §5.2 and RFC 9369 §3.3.1. */
static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_d29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                     0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

/* The fields of a long header that the collector needs. */
struct quic_long {
    uint8_t first;    /* first byte, still protected */
    uint32_t version; /* DIS_QUIC_V1 or DIS_QUIC_V2 */
    int type;         /* LT_*, version 1 numbering */
    uint8_t dcid_len, scid_len;
    uint8_t dcid[DIS_QUIC_CID_MAX], scid[DIS_QUIC_CID_MAX];
    uint64_t length;  /* Length field: packet number + payload (not for Retry) */
    size_t pn_offset; /* bytes from the first byte to the packet number */
};

/* A variable-length integer (RFC 9000 §16); underrun leaves the reader errored. */
static uint64_t rd_varint(struct rd *r)
{
    uint8_t b = rd_u8(r);
    unsigned n = 1u << (b >> 6);
    uint64_t v = b & 0x3fu;
    for (unsigned i = 1; i < n; i++)
        v = v << 8 | rd_u8(r);
    return v;
}

/*
 * Reads a long header of version 1 or 2 up to the packet number (up to the end of the SCID
 * for Retry). DIS_TRUNCATED when the bytes end first.
 */
static enum dis_status parse_long(struct rd *r, struct quic_long *h)
{
    size_t start = rd_left(r);
    h->first = rd_u8(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (!(h->first & 0x80))
        return DIS_NOT_MINE; /* short header */
    h->version = rd_be32(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (h->version != DIS_QUIC_V1 && h->version != DIS_QUIC_V2 && h->version != DIS_QUIC_DRAFT29)
        return DIS_NOT_MINE; /* Version Negotiation (0) or a version we cannot decrypt */
    int t = (h->first >> 4) & 3;
    h->type = h->version == DIS_QUIC_V2 ? (t + 3) & 3 : t;
    h->dcid_len = rd_u8(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (h->dcid_len > DIS_QUIC_CID_MAX)
        return DIS_MALFORMED;
    rd_copy(r, h->dcid, h->dcid_len);
    h->scid_len = rd_u8(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (h->scid_len > DIS_QUIC_CID_MAX)
        return DIS_MALFORMED;
    rd_copy(r, h->scid, h->scid_len);
    RD_REQUIRE(r, DIS_TRUNCATED);
    h->length = 0;
    h->pn_offset = start - rd_left(r);
    if (h->type == LT_RETRY)
        return DIS_OK;
    if (h->type == LT_INITIAL) {
        uint64_t token_len = rd_varint(r);
        RD_REQUIRE(r, DIS_TRUNCATED);
        if (token_len > rd_left(r))
            return DIS_TRUNCATED;
        rd_skip(r, (size_t)token_len);
    }
    h->length = rd_varint(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    h->pn_offset = start - rd_left(r);
    return DIS_OK;
}

enum dis_status dis_quic_probe(const uint8_t *p, size_t len)
{
    struct rd r;
    rd_init(&r, p, len);
    struct quic_long h;
    enum dis_status st = parse_long(&r, &h);
    if (st != DIS_OK)
        return st;
    return h.type == LT_INITIAL ? DIS_OK : DIS_NOT_MINE;
}

/* One HKDF step (RFC 5869) with SHA-256 through EVP_KDF: extract when @p salt, else expand. */
static int hkdf(EVP_KDF *kdf, const uint8_t *salt, size_t salt_len, const uint8_t *key,
                size_t key_len, const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    /* OSSL_PARAM wants writable pointers; the inputs are copied into locals. */
    uint8_t key_buf[64], aux[64];
    char digest[] = "SHA256";
    if (key_len > sizeof key_buf || salt_len > sizeof aux || info_len > sizeof aux)
        return -1;
    memcpy(key_buf, key, key_len);
    int mode = salt ? EVP_KDF_HKDF_MODE_EXTRACT_ONLY : EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[5];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key_buf, key_len);
    if (salt) {
        memcpy(aux, salt, salt_len);
        params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, aux, salt_len);
    } else {
        memcpy(aux, info, info_len);
        params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, aux, info_len);
    }
    params[4] = OSSL_PARAM_construct_end();
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    if (!ctx)
        return -1;
    int ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty context. */
static int expand_label(EVP_KDF *kdf, const uint8_t *secret, const char *label, uint8_t *out,
                        size_t out_len)
{
    static const char prefix[] = "tls13 ";
    size_t plen = sizeof prefix - 1, llen = strlen(label);
    uint8_t info[64];
    size_t n = 0;
    if (4 + plen + llen > sizeof info)
        return -1;
    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(plen + llen);
    memcpy(info + n, prefix, plen);
    n += plen;
    memcpy(info + n, label, llen);
    n += llen;
    info[n++] = 0; /* context: empty */
    return hkdf(kdf, NULL, 0, secret, 32, info, n, out, out_len);
}

int dis_quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, bool server,
                          struct dis_quic_keys *out)
{
    memset(out, 0, sizeof *out);
    const uint8_t *salt;
    const char *lk, *li, *lh;
    if (version == DIS_QUIC_V1) {
        salt = salt_v1;
        lk = "quic key", li = "quic iv", lh = "quic hp";
    } else if (version == DIS_QUIC_DRAFT29) {
        salt = salt_d29;
        lk = "quic key", li = "quic iv", lh = "quic hp";
    } else if (version == DIS_QUIC_V2) {
        salt = salt_v2;
        lk = "quicv2 key", li = "quicv2 iv", lh = "quicv2 hp";
    } else {
        return -1;
    }
    if (dcid_len > DIS_QUIC_CID_MAX)
        return -1;
    uint8_t cid[DIS_QUIC_CID_MAX];
    struct rd r;
    rd_init(&r, dcid, dcid_len);
    if (rd_copy(&r, cid, dcid_len) < 0)
        return -1;

    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf)
        return -1;
    uint8_t initial[32], secret[32];
    int rc = hkdf(kdf, salt, sizeof salt_v1, cid, dcid_len, NULL, 0, initial, sizeof initial);
    if (rc == 0)
        rc = expand_label(kdf, initial, server ? "server in" : "client in", secret, 32);
    if (rc == 0)
        rc = expand_label(kdf, secret, lk, out->key, sizeof out->key);
    if (rc == 0)
        rc = expand_label(kdf, secret, li, out->iv, sizeof out->iv);
    if (rc == 0)
        rc = expand_label(kdf, secret, lh, out->hp, sizeof out->hp);
    EVP_KDF_free(kdf);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

void dis_quic_collector_init(struct dis_quic_collector *c, bool server)
{
    memset(c, 0, sizeof *c);
    c->server = server;
    c->largest_pn = -1;
    dis_tcp_reasm_init(&c->crypto, c->crypto_buf, sizeof c->crypto_buf, DIS_TCP_REASM_GAP_NEVER);
}

void dis_quic_collector_free(struct dis_quic_collector *c)
{
    EVP_CIPHER_CTX_free(c->hp_ctx);
    EVP_CIPHER_CTX_free(c->aead_ctx);
    c->hp_ctx = NULL;
    c->aead_ctx = NULL;
    c->have_keys = false;
    dis_tcp_reasm_free(&c->crypto);
}

int dis_quic_collector_set_odcid(struct dis_quic_collector *c, const uint8_t *dcid, size_t len)
{
    if (len > DIS_QUIC_CID_MAX)
        return -1;
    if (len > 0)
        memcpy(c->odcid, dcid, len);
    c->odcid_len = (uint8_t)len;
    c->have_odcid = true;
    return 0;
}

/* Derives keys and keys the two cipher contexts, unless they already match. */
static int setup_keys(struct dis_quic_collector *c, uint32_t version, const uint8_t *cid,
                      uint8_t cid_len)
{
    if (c->have_keys && c->key_version == version && c->key_dcid_len == cid_len &&
        memcmp(c->key_dcid, cid, cid_len) == 0)
        return 0;
    if (c->have_keys && (c->key_dcid_len != cid_len || memcmp(c->key_dcid, cid, cid_len) != 0))
        c->flags |= DIS_QUIC_F_NEW_DCID;
    c->have_keys = false;
    if (dis_quic_initial_keys(version, cid, cid_len, c->server, &c->keys) < 0)
        goto fail;
    if (!c->hp_ctx)
        c->hp_ctx = EVP_CIPHER_CTX_new();
    if (!c->aead_ctx)
        c->aead_ctx = EVP_CIPHER_CTX_new();
    if (!c->hp_ctx || !c->aead_ctx)
        goto fail;
    if (EVP_EncryptInit_ex(c->hp_ctx, EVP_aes_128_ecb(), NULL, c->keys.hp, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(c->hp_ctx, 0) != 1 ||
        EVP_DecryptInit_ex(c->aead_ctx, EVP_aes_128_gcm(), NULL, c->keys.key, NULL) != 1)
        goto fail;
    c->key_version = version;
    memcpy(c->key_dcid, cid, cid_len);
    c->key_dcid_len = cid_len;
    c->have_keys = true;
    return 0;
fail:
    c->flags |= DIS_QUIC_F_CRYPTO_ERR;
    return -1;
}

/* Packet number recovery, RFC 9000 Appendix A.3. */
static uint64_t decode_pn(int64_t largest, uint64_t truncated, unsigned nbits)
{
    uint64_t expected = (uint64_t)(largest + 1);
    uint64_t win = 1ull << nbits, hwin = win / 2, mask = win - 1;
    uint64_t candidate = (expected & ~mask) | truncated;
    if (candidate + hwin <= expected && candidate < (1ull << 62) - win)
        return candidate + win;
    if (candidate > expected + hwin && candidate >= win)
        return candidate - win;
    return candidate;
}

/* Feeds @p n bytes to the AEAD as AAD (@p out NULL) or ciphertext. */
static int aead_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t n)
{
    int outl = 0;
    if (n == 0)
        return 0;
    if (n > INT_MAX)
        return -1;
    return EVP_DecryptUpdate(ctx, out, &outl, in, (int)n) == 1 ? 0 : -1;
}

/*
 * Unprotects and decrypts one Initial: @p pkt is a reader at its first byte, @p body the
 * Length bytes after the header. On success the plaintext's first bytes are in c->plain.
 */
static enum dis_status decrypt_initial(struct dis_quic_collector *c, struct rd pkt,
                                       const struct quic_long *h, struct rd *body,
                                       size_t *plain_len, bool *partial)
{
    const uint8_t *kcid = c->server ? c->odcid : h->dcid;
    uint8_t kcid_len = c->server ? c->odcid_len : h->dcid_len;
    if (c->server && !c->have_odcid)
        return DIS_NOT_MINE;
    if (setup_keys(c, h->version, kcid, kcid_len) < 0)
        return DIS_MALFORMED;
    /* The sample is taken as if the packet number were 4 bytes (RFC 9001 §5.4.2). */
    if (rd_left(body) < 4 + QUIC_SAMPLE_LEN)
        return DIS_MALFORMED;
    struct rd s = *body;
    uint8_t sample[QUIC_SAMPLE_LEN], mask[QUIC_SAMPLE_LEN];
    rd_skip(&s, 4);
    rd_copy(&s, sample, sizeof sample);
    int outl = 0;
    if (EVP_EncryptUpdate(c->hp_ctx, mask, &outl, sample, sizeof sample) != 1 ||
        outl != (int)sizeof mask) {
        c->flags |= DIS_QUIC_F_CRYPTO_ERR;
        return DIS_MALFORMED;
    }
    uint8_t first = (uint8_t)(h->first ^ (mask[0] & 0x0f));
    unsigned pn_len = (first & 3u) + 1;
    uint8_t pnb[4];
    uint64_t tpn = 0;
    rd_copy(body, pnb, pn_len);
    for (unsigned i = 0; i < pn_len; i++) {
        pnb[i] ^= mask[1 + i];
        tpn = tpn << 8 | pnb[i];
    }
    uint64_t pn = decode_pn(c->largest_pn, tpn, pn_len * 8);
    size_t ct_len = rd_left(body) - QUIC_TAG_LEN; /* >= 16 - 4 + 4: checked above */

    uint8_t nonce[12];
    memcpy(nonce, c->keys.iv, sizeof nonce);
    for (unsigned i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    EVP_CIPHER_CTX *ctx = c->aead_ctx;
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1)
        return DIS_MALFORMED;
    /* AAD: the header with protection removed (RFC 9001 §5.3). */
    rd_skip(&pkt, 1);
    const uint8_t *mid = rd_view(&pkt, h->pn_offset - 1);
    if (!mid || aead_update(ctx, NULL, &first, 1) < 0 ||
        aead_update(ctx, NULL, mid, h->pn_offset - 1) < 0 ||
        aead_update(ctx, NULL, pnb, pn_len) < 0)
        return DIS_MALFORMED;
    /* Ciphertext: the first DIS_QUIC_PLAIN_MAX bytes kept, the rest only authenticated. */
    size_t keep = ct_len < sizeof c->plain ? ct_len : sizeof c->plain;
    const uint8_t *ct = rd_view(body, keep);
    if (!ct || aead_update(ctx, c->plain, ct, keep) < 0)
        return DIS_MALFORMED;
    uint8_t trash[256];
    for (size_t left = ct_len - keep; left > 0;) {
        size_t n = left < sizeof trash ? left : sizeof trash;
        const uint8_t *more = rd_view(body, n);
        if (!more || aead_update(ctx, trash, more, n) < 0)
            return DIS_MALFORMED;
        left -= n;
    }
    uint8_t tag[QUIC_TAG_LEN];
    if (rd_copy(body, tag, sizeof tag) < 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN, tag) != 1)
        return DIS_MALFORMED;
    if (EVP_DecryptFinal_ex(ctx, trash, &outl) != 1) {
        c->auth_failures++;
        c->flags |= DIS_QUIC_F_AUTH_FAIL;
        return DIS_MALFORMED;
    }
    /* Authenticated. Reserved bits must be zero (RFC 9000 §17.2), and a packet has a frame. */
    if ((first & 0x0c) || ct_len == 0)
        return DIS_MALFORMED;
    if ((int64_t)pn > c->largest_pn)
        c->largest_pn = (int64_t)pn;
    c->packets++;
    c->version = h->version;
    memcpy(c->dcid, h->dcid, h->dcid_len);
    c->dcid_len = h->dcid_len;
    memcpy(c->scid, h->scid, h->scid_len);
    c->scid_len = h->scid_len;
    *plain_len = keep;
    *partial = keep < ct_len;
    if (*partial)
        c->flags |= DIS_QUIC_F_PARTIAL;
    return DIS_OK;
}

bool dis_quic_hello_complete(const struct dis_quic_collector *c)
{
    const uint8_t *p;
    size_t len;
    dis_quic_crypto(c, &p, &len);
    struct rd r;
    rd_init(&r, p, len);
    rd_u8(&r); /* msg_type */
    uint32_t body = rd_be24(&r);
    return rd_ok(&r) && rd_left(&r) >= body;
}

static enum dis_status stream_status(const struct dis_quic_collector *c)
{
    return dis_quic_hello_complete(c) ? DIS_OK : DIS_NEED_MORE;
}

/* Parses frames; with @p partial the plaintext was cut, so running out is not an error. */
static enum dis_status parse_frames(struct dis_quic_collector *c, const uint8_t *p, size_t len,
                                    bool partial)
{
    struct rd r;
    rd_init(&r, p, len);
    bool cut = false; /* a frame runs past the plaintext */
    /* Every frame takes at least one byte: len + 1 iterations bound the loop. */
    for (size_t guard = 0; guard <= len && rd_left(&r) > 0 && !cut; guard++) {
        uint64_t type = rd_varint(&r);
        switch (type) {
        case FT_PADDING:
        case FT_PING:
            break;
        case FT_ACK:
        case FT_ACK_ECN: {
            rd_varint(&r); /* largest acknowledged */
            rd_varint(&r); /* ack delay */
            uint64_t count = rd_varint(&r);
            rd_varint(&r);                 /* first range */
            if (count > rd_left(&r) / 2) { /* each range takes two bytes at least */
                cut = true;
                break;
            }
            for (uint64_t i = 0; i < count && rd_ok(&r); i++) {
                rd_varint(&r); /* gap */
                rd_varint(&r); /* range length */
            }
            if (type == FT_ACK_ECN) {
                rd_varint(&r); /* ECT(0), ECT(1), ECN-CE counts */
                rd_varint(&r);
                rd_varint(&r);
            }
            break;
        }
        case FT_CRYPTO: {
            uint64_t off = rd_varint(&r), n = rd_varint(&r);
            if (n > rd_left(&r)) {
                cut = true;
                break;
            }
            if (off > QUIC_VARINT_MAX - n)
                return DIS_MALFORMED; /* FRAME_ENCODING_ERROR, RFC 9000 §19.6 */
            const uint8_t *data = rd_view(&r, (size_t)n);
            if (data)
                dis_tcp_reasm_insert(&c->crypto, off, data, (size_t)n);
            break;
        }
        case FT_CLOSE: {
            rd_varint(&r); /* error code */
            rd_varint(&r); /* frame type */
            uint64_t n = rd_varint(&r);
            if (n > rd_left(&r)) {
                cut = true;
                break;
            }
            rd_skip(&r, (size_t)n);
            c->flags |= DIS_QUIC_F_CLOSE;
            break;
        }
        default:
            return DIS_MALFORMED; /* PROTOCOL_VIOLATION in an Initial packet */
        }
        if (!rd_ok(&r))
            cut = true;
    }
    if (cut && !partial)
        return DIS_MALFORMED;
    return stream_status(c);
}

enum dis_status dis_quic_collect_frames(struct dis_quic_collector *c, const uint8_t *p, size_t len)
{
    return parse_frames(c, p, len, false);
}

enum dis_status dis_quic_collect(struct dis_quic_collector *c, const uint8_t *p, size_t len)
{
    struct rd r;
    rd_init(&r, p, len);
    if (len > INT_MAX)
        return DIS_MALFORMED;
    enum dis_status err = DIS_NOT_MINE;
    bool any = false;
    for (unsigned i = 0; i < DIS_QUIC_MAX_COALESCED && rd_left(&r) > 0; i++) {
        struct rd pkt = r;
        struct quic_long h;
        enum dis_status st = parse_long(&r, &h);
        if (st != DIS_OK) {
            /* Behind a first packet, a short header or junk ends the datagram. */
            if (i == 0 || (err == DIS_NOT_MINE && st != DIS_NOT_MINE))
                err = st;
            break;
        }
        if (h.type == LT_RETRY)
            break; /* a Retry has no Length and fills the datagram */
        if (h.length > rd_left(&r)) {
            if (err == DIS_NOT_MINE && h.type == LT_INITIAL)
                err = DIS_TRUNCATED;
            break;
        }
        struct rd body;
        rd_sub(&r, (size_t)h.length, &body);
        if (h.type != LT_INITIAL)
            continue; /* 0-RTT or Handshake: other keys */
        size_t plain_len = 0;
        bool partial = false;
        st = decrypt_initial(c, pkt, &h, &body, &plain_len, &partial);
        if (st == DIS_OK) {
            st = parse_frames(c, c->plain, plain_len, partial);
            if (st == DIS_MALFORMED && err == DIS_NOT_MINE)
                err = st;
            if (st != DIS_MALFORMED)
                any = true;
        } else if (err == DIS_NOT_MINE) {
            err = st;
        }
    }
    if (any)
        return stream_status(c);
    return err;
}

void dis_quic_crypto(const struct dis_quic_collector *c, const uint8_t **p, size_t *len)
{
    dis_tcp_reasm_prefix(&c->crypto, p, len);
}
