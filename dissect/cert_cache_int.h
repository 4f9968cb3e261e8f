/* SPDX-License-Identifier: MIT */
/*
 * cert_cache_int.h - private: the engine's cache of decoded TLS certificates and of chain
 * verdicts. Servers send the same chain to every client, and decoding a certificate with
 * OpenSSL 3 costs tens of microseconds: each distinct certificate (by SHA-256 of its DER) is
 * decoded once, and its one copy is shared, by reference count, by the TLS summaries of every
 * flow that received it.
 */
#ifndef DIS_CERT_CACHE_INT_H
#define DIS_CERT_CACHE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/tls.h"
#include "ss/common.h"

/** One decoded certificate, shared. Read-only for holders. */
struct cert_entry {
    struct dis_tls_cert_info info; /**< zeros but @c sha256 when the DER did not decode */
    bool bad;                      /**< dis_tls_cert_info() refused the DER */
    uint8_t key[32];               /**< SHA-256 of the DER */
    uint32_t refs;                 /**< holders: flows, plus one while in the table */
};

struct cert_cache;

/**
 * Creates a cache of @p slots decoded certificates (rounded up to a power of two; 0: 1024)
 * and, made at the first verification, as many chain verdicts. NULL with @p err on failure.
 */
struct cert_cache *cert_cache_new(uint32_t slots, char err[SS_ERRBUF_SIZE]);

/** Frees the cache. Entries still held are freed by their last cert_cache_put(). */
void cert_cache_free(struct cert_cache *c);

/**
 * A reference to the decoded form of the DER certificate @p der (@p len bytes, borrowed for the
 * call): from the cache, or decoded now. Release with cert_cache_put(). NULL when out of
 * memory or hashing failed. @p decoded (may be NULL) is set when it was decoded now.
 */
struct cert_entry *cert_cache_get(struct cert_cache *c, const uint8_t *der, size_t len,
                                  bool *decoded);

/** Drops a reference taken with cert_cache_get(); NULL is allowed. */
void cert_cache_put(struct cert_entry *e);

/**
 * dis_tls_verify_chain() of @p chain against @p store for @p host at @p when, remembered for
 * the same certificates (@p ents, @p n, the entries of chain's first n certificates) and host:
 * a remembered verdict is reused for a time that stands where the remembered one stood against
 * each certificate's validity period (before, inside, after). The store is assumed not to
 * change during the engine's life, nor its certificates to expire during the capture.
 * Returns as dis_tls_verify_chain().
 */
int cert_cache_verify(struct cert_cache *c, struct x509_store_st *store,
                      const struct dis_tls_cert_list *chain, struct cert_entry *const *ents,
                      size_t n, const char *host, int64_t when, struct dis_tls_verify_result *out);

#endif
