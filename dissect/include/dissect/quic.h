/* SPDX-License-Identifier: MIT */
/*
 * quic.h - QUIC Initial packets: recognition (RFC 9000 §17.2, §17.2.2), Initial key derivation,
 * header protection removal and payload decryption (RFC 9001 §5.2, §5.4, §5.3), frames of the
 * Initial packet number space (RFC 9000 §12.4, §19), and a per-flow collector that puts the
 * CRYPTO stream back together from several packets and coalesced packets (RFC 9000 §12.2).
 * Versions: QUIC v1 (0x00000001) and QUIC v2 (0x6b3343cf, RFC 9369).
 *
 * The output is the CRYPTO stream from offset 0: a TLS handshake message stream (the
 * ClientHello, or with a server-side collector the ServerHello), parsed by the TLS module.
 */
#ifndef DIS_QUIC_H
#define DIS_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/status.h"
#include "dissect/tcp_reasm.h"

#define DIS_QUIC_V1 0x00000001u      /**< RFC 9000 */
#define DIS_QUIC_V2 0x6b3343cfu      /**< RFC 9369 */
#define DIS_QUIC_DRAFT29 0xff00001du /**< draft-ietf-quic-transport-29, still seen in captures */
/** Longest connection ID of versions 1 and 2 (RFC 9000 §17.2). */
#define DIS_QUIC_CID_MAX 20
/** CRYPTO stream bytes kept, offsets [0, DIS_QUIC_CRYPTO_MAX). */
#define DIS_QUIC_CRYPTO_MAX 16384
/** Plaintext bytes of one packet whose frames are parsed; the rest is authenticated only. */
#define DIS_QUIC_PLAIN_MAX 4096
/** Packets looked at in one datagram (coalesced packets, RFC 9000 §12.2). */
#define DIS_QUIC_MAX_COALESCED 8

/** AEAD_AES_128_GCM keys of one direction of the Initial packet number space. */
struct dis_quic_keys {
    uint8_t key[16]; /**< AEAD key */
    uint8_t iv[12];  /**< AEAD IV, XORed with the packet number */
    uint8_t hp[16];  /**< header protection key (AES-128-ECB) */
};

/** Collector flags (dis_quic_collector.flags). */
enum dis_quic_flag {
    DIS_QUIC_F_PARTIAL = 1u << 0,   /**< a plaintext exceeded DIS_QUIC_PLAIN_MAX: tail not parsed */
    DIS_QUIC_F_CLOSE = 1u << 1,     /**< CONNECTION_CLOSE seen in an Initial packet */
    DIS_QUIC_F_AUTH_FAIL = 1u << 2, /**< an Initial failed authentication */
    DIS_QUIC_F_CRYPTO_ERR = 1u << 3, /**< OpenSSL could not set up a context */
    DIS_QUIC_F_NEW_DCID = 1u << 4,   /**< the client changed its DCID (after a Retry) */
};

/**
 * Per-flow, per-direction collector of the Initial CRYPTO stream. Owns two OpenSSL cipher
 * contexts (created at the first Initial, freed by dis_quic_collector_free()) and a fixed
 * CRYPTO buffer; nothing is allocated per packet. Not thread-safe. About 21 KiB: allocate it
 * with the flow, once, and free it when the handshake message is complete. Do not copy or move
 * an initialised collector: its reassembler points into its own crypto_buf.
 */
struct dis_quic_collector {
    bool server;                        /**< collects the server's Initials ("server in" keys) */
    bool have_keys;                     /**< keys/contexts match key_version and key_dcid */
    uint32_t version;                   /**< version of the last decrypted Initial */
    uint32_t key_version;               /**< version the keys were derived for */
    uint8_t key_dcid[DIS_QUIC_CID_MAX]; /**< client DCID the keys were derived from */
    uint8_t key_dcid_len;
    uint8_t dcid[DIS_QUIC_CID_MAX]; /**< DCID of the last decrypted Initial */
    uint8_t dcid_len;
    uint8_t scid[DIS_QUIC_CID_MAX]; /**< SCID of the last decrypted Initial */
    uint8_t scid_len;
    bool have_odcid;                 /**< server side: odcid was set */
    uint8_t odcid[DIS_QUIC_CID_MAX]; /**< server side: the client DCID keys derive from */
    uint8_t odcid_len;
    int64_t largest_pn;                      /**< largest packet number decrypted, -1 before */
    uint32_t packets;                        /**< Initial packets decrypted */
    uint32_t auth_failures;                  /**< Initial packets that failed authentication */
    uint32_t flags;                          /**< enum dis_quic_flag */
    struct dis_quic_keys keys;               /**< current keys */
    void *hp_ctx;                            /**< EVP_CIPHER_CTX for header protection */
    void *aead_ctx;                          /**< EVP_CIPHER_CTX for AES-128-GCM */
    struct dis_tcp_reasm crypto;             /**< CRYPTO stream, over crypto_buf */
    uint8_t crypto_buf[DIS_QUIC_CRYPTO_MAX]; /**< CRYPTO bytes by offset */
    uint8_t plain[DIS_QUIC_PLAIN_MAX];       /**< scratch: the plaintext of one packet */
};

/**
 * Derives the Initial keys of @p version (DIS_QUIC_V1 or DIS_QUIC_V2) from the client's
 * Destination Connection ID (@p dcid, @p dcid_len <= DIS_QUIC_CID_MAX): HKDF-Extract with the
 * version's salt, HKDF-Expand-Label "client in" (or "server in" when @p server), then the key,
 * iv and hp labels. Returns 0, or -1 for an unsupported version, a bad length or an OpenSSL
 * failure (@p out is then zeroed).
 */
int dis_quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len, bool server,
                          struct dis_quic_keys *out);

/**
 * Checks whether @p len bytes of a UDP payload start with a long-header Initial packet of a
 * supported version. DIS_OK: header sane up to the Length field; DIS_TRUNCATED: cut before it;
 * DIS_NOT_MINE: a short header, another version, Version Negotiation, another packet type.
 */
enum dis_status dis_quic_probe(const uint8_t *p, size_t len);

/** Prepares @p c for the client's Initials, or the server's when @p server. */
void dis_quic_collector_init(struct dis_quic_collector *c, bool server);

/** Frees the OpenSSL contexts; @p c must be initialised again before reuse. */
void dis_quic_collector_free(struct dis_quic_collector *c);

/**
 * Server side: sets the client's Destination Connection ID that the server's Initial keys
 * derive from (the collector of the client side has it in dcid). Returns 0, or -1 if too long.
 */
int dis_quic_collector_set_odcid(struct dis_quic_collector *c, const uint8_t *dcid, size_t len);

/**
 * Offers one UDP datagram (@p len bytes at @p p, borrowed for this call) of the collector's
 * direction. Every Initial packet in it (coalesced packets included; 0-RTT and Handshake
 * packets are skipped by their Length) is unprotected, decrypted, and its CRYPTO frames added.
 * A client collector takes its keys from each packet's DCID, so the Initials sent after a
 * Retry are decrypted too. Returns:
 *  - DIS_OK: the first handshake message of the CRYPTO stream is complete (see dis_quic_crypto);
 *  - DIS_NEED_MORE: an Initial was decrypted, but the message is not complete yet;
 *  - DIS_NOT_MINE: no Initial packet of a supported version at the start of the datagram
 *    (or a server collector without dis_quic_collector_set_odcid());
 *  - DIS_TRUNCATED: the datagram ends inside an Initial packet (capture snaplen);
 *  - DIS_MALFORMED: authentication failed (also with a corrupted or foreign packet), a length
 *    or frame contradicts RFC 9000, or the cipher contexts could not be set up.
 * When several Initials are coalesced, the first failure is returned only if none succeeded.
 */
enum dis_status dis_quic_collect(struct dis_quic_collector *c, const uint8_t *p, size_t len);

/**
 * Parses the frames of one decrypted Initial payload (@p len bytes at @p p, borrowed) into the
 * collector: PADDING, PING, ACK (skipped), CRYPTO (collected), CONNECTION_CLOSE (flagged).
 * dis_quic_collect() calls it; exposed for callers that decrypt themselves and for fuzzing.
 * Returns DIS_OK / DIS_NEED_MORE as dis_quic_collect(), or DIS_MALFORMED for a frame not
 * allowed in Initial packets, or one that runs past the payload.
 */
enum dis_status dis_quic_collect_frames(struct dis_quic_collector *c, const uint8_t *p, size_t len);

/**
 * The contiguous CRYPTO bytes from offset 0 (borrowed from @p c, valid until the next call on
 * it). Several handshake messages may follow one another; the TLS module parses them.
 */
void dis_quic_crypto(const struct dis_quic_collector *c, const uint8_t **p, size_t *len);

/** True once the first handshake message (4-byte header + body) is complete in the stream. */
bool dis_quic_hello_complete(const struct dis_quic_collector *c);

#endif
