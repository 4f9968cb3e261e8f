/* SPDX-License-Identifier: MIT */
/*
 * x509.c - the certificates of a TLS <= 1.2 Certificate message, read with OpenSSL: subject
 * and issuer (RFC 2253 one-line), subjectAltName DNS names and IP addresses (RFC 5280
 * §4.2.1.6), validity as epoch seconds, SHA-256 of the DER; and verification of the chain for
 * TLS server use against a caller-loaded X509_STORE, at the capture time, for the SNI
 * (RFC 6125 name matching as OpenSSL implements it). No file I/O: the caller loads the store.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dissect/rd.h"
#include "dissect/tls.h"

/* Bounded copy of a NUL-terminated string. */
static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/*
 * Decodes exactly one certificate from @p len DER bytes, or returns NULL. OpenSSL keeps the
 * received encoding, so re-encoding gives its length: any other length means trailing bytes.
 */
static X509 *der_decode(const uint8_t *der, size_t len)
{
    if (!der || len == 0 || len > INT_MAX)
        return NULL;
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, (long)len);
    if (x && i2d_X509(x, NULL) != (int)len) {
        X509_free(x);
        x = NULL;
    }
    if (!x)
        ERR_clear_error();
    return x;
}

/* One-line RFC 2253 form of @p name, UTF-8 kept (not \XX-escaped), control bytes escaped. */
static int name_line(const X509_NAME *name, char *dst, size_t size)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return -1;
    int rc = -1;
    unsigned long flags = XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB;
    if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n >= 0) {
            struct rd r;
            rd_init(&r, (const uint8_t *)data, (size_t)n);
            size_t k = (size_t)n < size - 1 ? (size_t)n : size - 1;
            rd_copy(&r, dst, k);
            dst[k] = '\0';
            rc = 0;
        }
    }
    BIO_free(bio);
    return rc;
}

/* Seconds since the epoch of an ASN.1 time, without timegm() (not in C11 or POSIX). */
static int asn1_epoch(const ASN1_TIME *t, int64_t *out)
{
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int days = 0, secs = 0;
    int ok = epoch && t && ASN1_TIME_diff(&days, &secs, epoch, t);
    ASN1_TIME_free(epoch);
    if (!ok)
        return -1;
    *out = (int64_t)days * 86400 + secs;
    return 0;
}

/* A DNS SAN as printable text: bytes outside 0x21-0x7e become '?'. */
static void san_dns(const ASN1_STRING *s, char *dst, size_t size)
{
    struct rd r;
    rd_init(&r, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
    size_t k = 0;
    while (rd_left(&r) > 0 && k + 1 < size) {
        uint8_t b = rd_u8(&r);
        dst[k++] = (char)(b < 0x21 || b > 0x7e ? '?' : b);
    }
    dst[k] = '\0';
}

/* An IP SAN (4 or 16 bytes) as text; false for other lengths. */
static bool san_ip(const ASN1_STRING *s, char *dst, size_t size)
{
    unsigned char a[16];
    int n = ASN1_STRING_length(s);
    if (n != 4 && n != 16)
        return false;
    struct rd r;
    rd_init(&r, ASN1_STRING_get0_data(s), (size_t)n);
    rd_copy(&r, a, (size_t)n);
    return inet_ntop(n == 4 ? AF_INET : AF_INET6, a, dst, (socklen_t)size) != NULL;
}

static void read_sans(X509 *x, struct dis_tls_cert_info *out)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!gens) {
        ERR_clear_error();
        return;
    }
    int n = sk_GENERAL_NAME_num(gens);
    for (int i = 0; i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type != GEN_DNS && g->type != GEN_IPADD)
            continue;
        out->total_san++;
        if (out->n_san >= DIS_TLS_MAX_SANS)
            continue;
        char *dst = out->san[out->n_san].name;
        if (g->type == GEN_DNS) {
            out->san[out->n_san].kind = DIS_TLS_SAN_DNS;
            san_dns(g->d.dNSName, dst, DIS_TLS_SAN_SIZE);
        } else {
            out->san[out->n_san].kind = DIS_TLS_SAN_IP;
            if (!san_ip(g->d.iPAddress, dst, DIS_TLS_SAN_SIZE))
                continue;
        }
        out->n_san++;
    }
    GENERAL_NAMES_free(gens);
}

int dis_tls_cert_info(const uint8_t *der, size_t len, struct dis_tls_cert_info *out)
{
    memset(out, 0, sizeof *out);
    X509 *x = der_decode(der, len);
    if (!x)
        return -1;
    int ret = -1;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (name_line(X509_get_subject_name(x), out->subject, sizeof out->subject) < 0 ||
        name_line(X509_get_issuer_name(x), out->issuer, sizeof out->issuer) < 0)
        goto out;
    if (asn1_epoch(X509_get0_notBefore(x), &out->not_before) < 0 ||
        asn1_epoch(X509_get0_notAfter(x), &out->not_after) < 0)
        goto out;
    if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        goto out;
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < mdlen; i++) {
        out->sha256[2 * i] = hex[md[i] >> 4];
        out->sha256[2 * i + 1] = hex[md[i] & 0xf];
    }
    out->sha256[2 * mdlen] = '\0';
    out->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    read_sans(x, out);
    ret = 0;
out:
    if (ret < 0)
        ERR_clear_error();
    X509_free(x);
    return ret;
}

int dis_tls_verify_chain(struct x509_store_st *store, const struct dis_tls_cert_list *chain,
                         const char *host, int64_t when, struct dis_tls_verify_result *out)
{
    memset(out, 0, sizeof *out);
    out->error = X509_V_ERR_UNSPECIFIED;
    if (!store || !chain || chain->n == 0) {
        copy_str(out->errstr, sizeof out->errstr, "no certificate");
        return -1;
    }
    int ret = -1;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *untrusted = NULL;
    X509 *leaf = der_decode(chain->cert[0].p, chain->cert[0].len);
    if (!leaf) {
        copy_str(out->errstr, sizeof out->errstr, "leaf certificate not decodable");
        goto out;
    }
    untrusted = sk_X509_new_null();
    ctx = X509_STORE_CTX_new();
    if (!untrusted || !ctx) {
        copy_str(out->errstr, sizeof out->errstr, "out of memory");
        goto out;
    }
    /* Intermediates that do not decode are left out: the chain then fails on its own. */
    for (size_t i = 1; i < chain->n && i < DIS_TLS_MAX_CERTS; i++) {
        X509 *x = der_decode(chain->cert[i].p, chain->cert[i].len);
        if (x && !sk_X509_push(untrusted, x))
            X509_free(x);
    }
    if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1 ||
        X509_STORE_CTX_set_default(ctx, "ssl_server") != 1) {
        copy_str(out->errstr, sizeof out->errstr, "cannot set up verification");
        goto out;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    if (when > 0)
        X509_VERIFY_PARAM_set_time(param, (time_t)when);
    else /* a capture without a real clock: leave the validity period unchecked */
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
    /* An SNI must be a host name (RFC 6066 §3), but some clients (Teams relays) send an
     * address literal: there is no name to check then, only the chain. */
    unsigned char ipbuf[16];
    if (host && (inet_pton(AF_INET, host, ipbuf) == 1 || inet_pton(AF_INET6, host, ipbuf) == 1))
        host = NULL;
    if (host && host[0] != '\0' && X509_VERIFY_PARAM_set1_host(param, host, 0) != 1) {
        copy_str(out->errstr, sizeof out->errstr, "cannot set the host name");
        goto out;
    }
    int rc = X509_verify_cert(ctx);
    if (rc < 0) {
        copy_str(out->errstr, sizeof out->errstr, "verification failed internally");
        goto out;
    }
    out->ok = rc == 1;
    out->error = X509_STORE_CTX_get_error(ctx);
    out->depth = X509_STORE_CTX_get_error_depth(ctx);
    copy_str(out->errstr, sizeof out->errstr, X509_verify_cert_error_string(out->error));
    ret = 0;
out:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(untrusted, X509_free);
    X509_free(leaf);
    return ret;
}
