/* SPDX-License-Identifier: MIT */
/*
 * ja.c - TLS fingerprints of parsed hellos: JA3 and JA3S (Salesforce, MD5 of a decimal field
 * string) and JA4 (FoxIO, client side only; BSD-3-Clause; see FoxIO-LLC/ja4
 * technical_details/JA4.md). GREASE values (RFC 8701) are ignored everywhere. JA4S, JA4X,
 * JA4L and JA4T are under a non-commercial licence and deliberately not implemented here.
 */
#include <string.h>

#include <openssl/evp.h>

#include "dissect/tls.h"

/* A bounded string builder: appends stop (and set @c over) when @c size is reached. */
struct sb {
    char *p;
    size_t size;
    size_t len;
    bool over;
};

static void sb_init(struct sb *b, char *p, size_t size)
{
    b->p = p;
    b->size = size;
    b->len = 0;
    b->over = size == 0;
    if (size > 0)
        p[0] = '\0';
}

static void sb_char(struct sb *b, char ch)
{
    if (b->over || b->len + 1 >= b->size) {
        b->over = true;
        return;
    }
    b->p[b->len++] = ch;
    b->p[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
    for (size_t i = 0; s[i] != '\0' && !b->over; i++)
        sb_char(b, s[i]);
}

static void sb_dec(struct sb *b, unsigned v)
{
    char tmp[12];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < sizeof tmp);
    while (n > 0)
        sb_char(b, tmp[--n]);
}

static const char hexdig[] = "0123456789abcdef";

/* Four lower-case hex digits, as JA4 writes cipher, extension and algorithm codes. */
static void sb_hex4(struct sb *b, uint16_t v)
{
    for (int shift = 12; shift >= 0; shift -= 4)
        sb_char(b, hexdig[(v >> shift) & 0xf]);
}

/* Appends the non-GREASE values of @p v joined by @p sep, in decimal or 4-digit hex. */
static void sb_list(struct sb *b, const uint16_t *v, size_t n, char sep, bool hex)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (dis_tls_is_grease(v[i]))
            continue;
        if (!first)
            sb_char(b, sep);
        first = false;
        if (hex)
            sb_hex4(b, v[i]);
        else
            sb_dec(b, v[i]);
    }
}

/* Lower-case hex of a digest. */
static void hex_encode(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[d[i] >> 4];
        out[2 * i + 1] = hexdig[d[i] & 0xf];
    }
    out[2 * n] = '\0';
}

/* Digest of a NUL-terminated string as hex into @p out (2 * digest size + 1 bytes). */
static int digest_hex(const EVP_MD *md, const char *s, char *out)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!md || EVP_Digest(s, strlen(s), d, &n, md, NULL) != 1)
        return -1;
    hex_encode(d, n, out);
    return 0;
}

static int finish_md5(struct sb *b, char md5[DIS_TLS_MD5_HEX_SIZE])
{
    if (b->over)
        return -1;
    if (!md5)
        return 0;
    return digest_hex(EVP_md5(), b->p, md5);
}

int dis_tls_ja3(const struct dis_tls_client_hello *ch, char *str, size_t size,
                char md5[DIS_TLS_MD5_HEX_SIZE])
{
    struct sb b;
    sb_init(&b, str, size);
    sb_dec(&b, ch->legacy_version);
    sb_char(&b, ',');
    sb_list(&b, ch->ciphers, ch->n_ciphers, '-', false);
    sb_char(&b, ',');
    sb_list(&b, ch->exts, ch->n_exts, '-', false);
    sb_char(&b, ',');
    sb_list(&b, ch->groups, ch->n_groups, '-', false);
    sb_char(&b, ',');
    for (size_t i = 0; i < ch->n_point_formats && i < DIS_TLS_MAX_POINT_FORMATS; i++) {
        if (i > 0)
            sb_char(&b, '-');
        sb_dec(&b, ch->point_formats[i]);
    }
    return finish_md5(&b, md5);
}

int dis_tls_ja3s(const struct dis_tls_server_hello *sh, char *str, size_t size,
                 char md5[DIS_TLS_MD5_HEX_SIZE])
{
    struct sb b;
    sb_init(&b, str, size);
    sb_dec(&b, sh->legacy_version);
    sb_char(&b, ',');
    sb_dec(&b, sh->cipher);
    sb_char(&b, ',');
    sb_list(&b, sh->exts, sh->n_exts, '-', false);
    return finish_md5(&b, md5);
}

/* ---- JA4 ---- */

/* Copies the non-GREASE values of @p v (minus SNI and ALPN if @p drop_sni_alpn), sorted. */
static size_t sorted_copy(const uint16_t *v, size_t n, bool drop_sni_alpn, uint16_t *out,
                          size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++) {
        uint16_t x = v[i];
        if (dis_tls_is_grease(x))
            continue;
        if (drop_sni_alpn && (x == DIS_TLS_EXT_SERVER_NAME || x == DIS_TLS_EXT_ALPN))
            continue;
        /* insertion sort: at most DIS_TLS_MAX_CIPHERS entries */
        size_t j = k++;
        while (j > 0 && out[j - 1] > x) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = x;
    }
    return k;
}

static size_t count_non_grease(const uint16_t *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!dis_tls_is_grease(v[i]))
            k++;
    return k;
}

/* The two-character version code of JA4 ("13", "d2", ..., "00" when unknown). */
static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case DIS_TLS_V_TLS13:
        return "13";
    case DIS_TLS_V_TLS12:
        return "12";
    case DIS_TLS_V_TLS11:
        return "11";
    case DIS_TLS_V_TLS10:
        return "10";
    case DIS_TLS_V_SSL3:
        return "s3";
    case 0x0002:
        return "s2";
    case DIS_TLS_V_DTLS10:
        return "d1";
    case DIS_TLS_V_DTLS12:
        return "d2";
    case DIS_TLS_V_DTLS13:
        return "d3";
    default:
        return "00";
    }
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* JA4_a: protocol, version, SNI, two-digit counts, ALPN first and last characters. */
static void ja4_a(const struct dis_tls_client_hello *ch, struct sb *b)
{
    sb_char(b, ch->quic ? 'q' : ch->dtls ? 'd' : 't');
    sb_str(b, ja4_version(dis_tls_client_max_version(ch)));
    sb_char(b, ch->has_sni ? 'd' : 'i');
    size_t nc = count_non_grease(ch->ciphers, ch->n_ciphers);
    size_t ne = count_non_grease(ch->exts, ch->n_exts);
    nc = nc > 99 ? 99 : nc;
    ne = ne > 99 ? 99 : ne;
    sb_char(b, (char)('0' + nc / 10));
    sb_char(b, (char)('0' + nc % 10));
    sb_char(b, (char)('0' + ne / 10));
    sb_char(b, (char)('0' + ne % 10));
    if (!ch->has_alpn || ch->alpn0_len == 0) {
        sb_str(b, "00");
    } else if (is_alnum(ch->alpn0_first) && is_alnum(ch->alpn0_last)) {
        sb_char(b, (char)ch->alpn0_first);
        sb_char(b, (char)ch->alpn0_last);
    } else { /* first and last characters of the value's hex form */
        sb_char(b, hexdig[ch->alpn0_first >> 4]);
        sb_char(b, hexdig[ch->alpn0_last & 0xf]);
    }
}

/* JA4_b input: sorted ciphers as comma-separated hex; false if there are none. */
static bool ja4_b_raw(const struct dis_tls_client_hello *ch, struct sb *b)
{
    uint16_t v[DIS_TLS_MAX_CIPHERS];
    size_t n = sorted_copy(ch->ciphers, ch->n_ciphers, false, v, DIS_TLS_MAX_CIPHERS);
    /* v[0..n) is all that sorted_copy wrote: with nothing kept, the list is not read at all
     * (gcc -O3 cannot see that sb_list reads no element of an empty list). */
    if (n == 0)
        return false;
    sb_list(b, v, n, ',', true);
    return true;
}

/* JA4_c input: sorted extensions minus SNI and ALPN, then '_' and the signature algorithms in
 * wire order (no '_' without them); false if the extension list is empty. */
static bool ja4_c_raw(const struct dis_tls_client_hello *ch, struct sb *b)
{
    uint16_t v[DIS_TLS_MAX_EXTS];
    size_t n = sorted_copy(ch->exts, ch->n_exts, true, v, DIS_TLS_MAX_EXTS);
    if (n > 0) /* as in ja4_b_raw: v[0..n) only */
        sb_list(b, v, n, ',', true);
    if (count_non_grease(ch->sig_algs, ch->n_sig_algs) > 0) {
        sb_char(b, '_');
        sb_list(b, ch->sig_algs, ch->n_sig_algs, ',', true);
    }
    return n > 0;
}

/* Appends the first 12 hex digits of SHA-256(@p s), or "000000000000" if @p empty. */
static int sb_hash12(struct sb *b, const char *s, bool empty)
{
    char hex[DIS_TLS_SHA256_HEX_SIZE];
    if (empty) {
        sb_str(b, "000000000000");
        return 0;
    }
    if (digest_hex(EVP_sha256(), s, hex) < 0)
        return -1;
    hex[12] = '\0';
    sb_str(b, hex);
    return 0;
}

int dis_tls_ja4(const struct dis_tls_client_hello *ch, char out[DIS_TLS_JA4_SIZE])
{
    char raw[DIS_TLS_JA4_RAW_SIZE];
    struct sb b, r;
    sb_init(&b, out, DIS_TLS_JA4_SIZE);
    ja4_a(ch, &b);
    sb_char(&b, '_');
    sb_init(&r, raw, sizeof raw);
    bool any = ja4_b_raw(ch, &r);
    if (r.over || sb_hash12(&b, raw, !any) < 0)
        return -1;
    sb_char(&b, '_');
    sb_init(&r, raw, sizeof raw);
    any = ja4_c_raw(ch, &r);
    if (r.over || sb_hash12(&b, raw, !any) < 0)
        return -1;
    return b.over ? -1 : 0;
}

int dis_tls_ja4_raw(const struct dis_tls_client_hello *ch, char *str, size_t size)
{
    struct sb b;
    sb_init(&b, str, size);
    ja4_a(ch, &b);
    sb_char(&b, '_');
    ja4_b_raw(ch, &b);
    sb_char(&b, '_');
    ja4_c_raw(ch, &b);
    return b.over ? -1 : 0;
}
