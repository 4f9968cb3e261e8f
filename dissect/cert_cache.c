/* SPDX-License-Identifier: MIT */
/*
 * cert_cache.c - decoded TLS certificates and chain verdicts, remembered per engine (see
 * cert_cache_int.h). Both tables are direct-mapped on the SHA-256 of their key: a new key
 * takes its slot, and a certificate pushed out stays alive for as long as a flow holds it.
 */
#include "cert_cache_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* A remembered verification. */
struct verdict {
    bool used;
    uint64_t last;   /* tick of its last use, to pick which of two to replace */
    uint8_t key[32]; /* SHA-256 over the certificates' keys, the host and the time mode */
    uint32_t when;   /* where the time stood against each certificate's validity period */
    int rc;
    struct dis_tls_verify_result res;
};

struct cert_cache {
    uint32_t mask;
    struct cert_entry **slot;
    struct verdict *verdicts; /* mask + 1 of them, made at the first verification; two-way:
                                 a key may sit in its slot or the slot's neighbour */
    uint64_t tick;
    EVP_MD *sha256; /* fetched once: an implicit fetch per digest costs locks */
    EVP_MD_CTX *ctx;
};

struct cert_cache *cert_cache_new(uint32_t slots, char err[SS_ERRBUF_SIZE])
{
    uint32_t n = 1;
    if (slots == 0)
        slots = 1024;
    if (slots > (1u << 20))
        slots = 1u << 20;
    while (n < slots)
        n <<= 1;
    struct cert_cache *c = calloc(1, sizeof *c);
    if (!c)
        goto oom;
    c->mask = n - 1;
    c->slot = calloc(n, sizeof *c->slot);
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    c->ctx = EVP_MD_CTX_new();
    if (!c->slot || !c->sha256 || !c->ctx)
        goto oom;
    return c;
oom:
    snprintf(err, SS_ERRBUF_SIZE, "out of memory creating the certificate cache");
    cert_cache_free(c);
    return NULL;
}

void cert_cache_free(struct cert_cache *c)
{
    if (!c)
        return;
    if (c->slot)
        for (uint32_t i = 0; i <= c->mask; i++)
            cert_cache_put(c->slot[i]);
    free(c->slot);
    free(c->verdicts);
    EVP_MD_free(c->sha256);
    EVP_MD_CTX_free(c->ctx);
    free(c);
}

static uint32_t slot_of(const struct cert_cache *c, const uint8_t key[32])
{
    uint32_t h = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
    return h & c->mask;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

struct cert_entry *cert_cache_get(struct cert_cache *c, const uint8_t *der, size_t len,
                                  bool *decoded)
{
    uint8_t key[32];
    unsigned int klen = 0;
    if (decoded)
        *decoded = false;
    if (EVP_Digest(der, len, key, &klen, c->sha256, NULL) != 1 || klen != sizeof key)
        return NULL;
    uint32_t i = slot_of(c, key);
    struct cert_entry *e = c->slot[i];
    if (e && memcmp(e->key, key, sizeof key) == 0) {
        e->refs++;
        return e;
    }
    struct cert_entry *n = malloc(sizeof *n);
    if (!n)
        return NULL;
    if (dis_tls_cert_info(der, len, &n->info) < 0) {
        memset(&n->info, 0, sizeof n->info);
        hex(key, sizeof key, n->info.sha256);
        n->bad = true;
    } else {
        n->bad = false;
    }
    memcpy(n->key, key, sizeof key);
    n->refs = 2; /* the table and the caller */
    c->slot[i] = n;
    cert_cache_put(e);
    if (decoded)
        *decoded = true;
    return n;
}

void cert_cache_put(struct cert_entry *e)
{
    if (e && --e->refs == 0)
        free(e);
}

/* The verdict's key: the certificates, the host, and whether the time is checked at all. */
static int verdict_key(struct cert_cache *c, struct cert_entry *const *ents, size_t n,
                       const char *host, bool timed, uint8_t key[32])
{
    unsigned int klen = 0;
    uint8_t mode = timed ? 1 : 0;
    if (!EVP_DigestInit_ex(c->ctx, c->sha256, NULL))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!EVP_DigestUpdate(c->ctx, ents[i]->key, sizeof ents[i]->key))
            return -1;
    if (!EVP_DigestUpdate(c->ctx, host ? host : "", host ? strlen(host) + 1 : 1) ||
        !EVP_DigestUpdate(c->ctx, &mode, 1) || !EVP_DigestFinal_ex(c->ctx, key, &klen) ||
        klen != 32)
        return -1;
    return 0;
}

/*
 * Where @p when stands against the validity period of each certificate, 2 bits each: before,
 * inside, after (3 for one that did not decode). Two times with the same answer get the same
 * verdict from the same store.
 */
static uint32_t time_class(struct cert_entry *const *ents, size_t n, int64_t when)
{
    uint32_t sig = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        uint32_t c = 3;
        if (!ents[i]->bad)
            c = when < ents[i]->info.not_before ? 0 : when > ents[i]->info.not_after ? 2 : 1;
        sig |= c << (2 * i);
    }
    return sig;
}

int cert_cache_verify(struct cert_cache *c, struct x509_store_st *store,
                      const struct dis_tls_cert_list *chain, struct cert_entry *const *ents,
                      size_t n, const char *host, int64_t when, struct dis_tls_verify_result *out)
{
    bool timed = when > 0;
    uint8_t key[32];
    bool cacheable = n > 0 && n == chain->n;
    for (size_t i = 0; i < n && cacheable; i++)
        cacheable = ents[i] != NULL;
    if (cacheable && !c->verdicts)
        c->verdicts = calloc((size_t)c->mask + 1, sizeof *c->verdicts);
    if (!cacheable || !c->verdicts || verdict_key(c, ents, n, host, timed, key) < 0)
        return dis_tls_verify_chain(store, chain, host, when, out);
    uint32_t tc = timed ? time_class(ents, n, when) : UINT32_MAX;
    uint32_t i = slot_of(c, key);
    struct verdict *pair[2] = {&c->verdicts[i], &c->verdicts[i ^ 1u]};
    c->tick++;
    for (int k = 0; k < 2; k++) {
        struct verdict *v = pair[k];
        if (v->used && v->when == tc && memcmp(v->key, key, sizeof key) == 0) {
            v->last = c->tick;
            *out = v->res;
            return v->rc;
        }
    }
    int rc = dis_tls_verify_chain(store, chain, host, when, out);
    struct verdict *v = pair[0]->last <= pair[1]->last ? pair[0] : pair[1];
    v->used = true;
    v->last = c->tick;
    memcpy(v->key, key, sizeof key);
    v->when = tc;
    v->rc = rc;
    v->res = *out;
    return rc;
}
