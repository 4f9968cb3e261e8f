/* SPDX-License-Identifier: MIT */
/*
 * test_tls.c - TLS/DTLS dissection on handcrafted messages: ClientHello fields with GREASE,
 * JA3/JA3S (values cross-checked with tshark 4.0's tls.handshake.ja3/ja3s on the same bytes),
 * JA4 (FoxIO spec, including its published example), ServerHello 1.2/1.3, HelloRetryRequest,
 * the stream collector (records split anywhere, fed a byte at a time), an OpenSSL-generated
 * certificate chain verified against an X509_STORE, alerts, DTLS 1.2 hellos, every valid
 * vector cut at every offset into exactly-sized heap buffers (for ASan), and malformed lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dissect/tls.h"

/* ---- building blocks ---- */

#define RANDOM_C                                                                                   \
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,      \
        0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,  \
        0x1e, 0x1f
#define RANDOM_S                                                                                   \
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e,      \
        0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d,  \
        0x5e, 0x5f
#define SID32                                                                                      \
    0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee,      \
        0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,  \
        0xfe, 0xff
#define X25519_KEY                                                                                 \
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e,      \
        0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d,  \
        0x9e, 0x9f
/* Chrome's 15 cipher suites in Chrome's order. */
#define CHROME_CIPHERS                                                                             \
    0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30, 0xcc,      \
        0xa9, 0xcc, 0xa8, 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f, 0x00, 0x35
/* signature_algorithms extension: 0403,0804,0401,0503,0805,0501,0806,0601 (22 bytes). */
#define EXT_SIG_ALGS                                                                               \
    0x00, 0x0d, 0x00, 0x12, 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08,      \
        0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01
/* ALPN extension: "h2", "http/1.1" (18 bytes). */
#define EXT_ALPN_H2_H11                                                                            \
    0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1'

/*
 * ClientHello body (after the 4-byte handshake header), 295 bytes: a Chrome-like TLS 1.3
 * hello to app.senso.cloud with GREASE in the cipher suites (0a0a), extensions (1a1a first,
 * 4a4a last), supported_groups (2a2a), key_share (2a2a) and supported_versions (3a3a).
 */
static const uint8_t ch_senso[] = {
    0x03, 0x03,                             /* legacy_version TLS 1.2 */
    RANDOM_C, 0x20, SID32,                  /* legacy_session_id */
    0x00, 0x20, 0x0a, 0x0a, CHROME_CIPHERS, /* cipher_suites: GREASE + 15 */
    0x01, 0x00,                             /* compression_methods: null */
    0x00, 0xbe,                             /* extensions: 190 bytes */
    0x1a, 0x1a, 0x00, 0x00,                 /* GREASE, empty */
    /* server_name: host_name "app.senso.cloud" */
    0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 'a', 'p', 'p', '.', 's', 'e', 'n', 's',
    'o', '.', 'c', 'l', 'o', 'u', 'd', 0x00, 0x17, 0x00, 0x00, /* extended_master_secret */
    0xff, 0x01, 0x00, 0x01, 0x00,                              /* renegotiation_info */
    /* supported_groups: GREASE, x25519, secp256r1, secp384r1 */
    0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08, 0x2a, 0x2a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, 0x00, 0x0b,
    0x00, 0x02, 0x01, 0x00, /* ec_point_formats: uncompressed */
    0x00, 0x23, 0x00, 0x00, /* session_ticket */
    EXT_ALPN_H2_H11, 0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00,
    0x00,                                 /* status_request (OCSP) */
    EXT_SIG_ALGS, 0x00, 0x12, 0x00, 0x00, /* signed_certificate_timestamp */
    /* key_share: GREASE (1 byte), x25519 (32 bytes) */
    0x00, 0x33, 0x00, 0x2b, 0x00, 0x29, 0x2a, 0x2a, 0x00, 0x01, 0x00, 0x00, 0x1d, 0x00, 0x20,
    X25519_KEY, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, /* psk_key_exchange_modes: psk_dhe_ke */
    /* supported_versions: GREASE, 1.3, 1.2 */
    0x00, 0x2b, 0x00, 0x07, 0x06, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03, 0x00, 0x1b, 0x00, 0x03, 0x02,
    0x00, 0x02,                   /* compress_certificate: brotli */
    0x4a, 0x4a, 0x00, 0x01, 0x00, /* GREASE, 1 byte */
};

/*
 * JA3 of ch_senso, by hand: version 771; ciphers without GREASE; extensions without GREASE in
 * wire order (0 23 65281 10 11 35 16 5 13 18 51 45 43 27); groups without GREASE (29 23 24);
 * point formats (0). tshark 4.0 prints the same string and MD5 for these bytes.
 */
#define JA3_SENSO                                                                                  \
    "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"            \
    "0-23-65281-10-11-35-16-5-13-18-51-45-43-27,29-23-24,0"
#define JA3_SENSO_MD5 "7f805430de1e7d98b1de033adb58cf46"

/*
 * JA4 of ch_senso, by hand (FoxIO JA4.md):
 *   a = "t" (TCP) "13" (highest supported_versions entry, GREASE ignored) "d" (SNI present)
 *       "15" (ciphers, GREASE ignored) "14" (extensions, GREASE ignored, SNI/ALPN counted)
 *       "h2" (first and last character of the first ALPN value)
 *   b = sha256("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9")
 *       first 12 hex = 8daaf6152771 (the same cipher set as FoxIO's example)
 *   c = sha256("0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,ff01_" (sorted, no SNI,
 *       no ALPN, no GREASE) "0403,0804,0401,0503,0805,0501,0806,0601" (wire order))
 *       first 12 hex = bc9a4605e104 (computed with sha256sum)
 */
#define JA4_SENSO "t13d1514h2_8daaf6152771_bc9a4605e104"
#define JA4_SENSO_RAW                                                                              \
    "t13d1514h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_"       \
    "0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,ff01_"                                 \
    "0403,0804,0401,0503,0805,0501,0806,0601"

/*
 * FoxIO's published JA4 example (technical_details/JA4.md), rebuilt from its JA4_ro line: the
 * ciphers and extensions in exactly that original order, its signature algorithms, plus GREASE
 * in the ciphers, extensions, versions and groups, which JA4 must ignore. 319 bytes.
 */
static const uint8_t ch_foxio[] = {
    0x03,
    0x03,
    RANDOM_C,
    0x20,
    SID32,
    0x00,
    0x20,
    0x0a,
    0x0a,
    CHROME_CIPHERS,
    0x01,
    0x00,
    0x00,
    0xd6, /* extensions: 214 bytes */
    0x0a,
    0x0a,
    0x00,
    0x00, /* GREASE */
    0x00,
    0x1b,
    0x00,
    0x03,
    0x02,
    0x00,
    0x02, /* 001b compress_certificate */
    0x00,
    0x00,
    0x00,
    0x14,
    0x00,
    0x12,
    0x00,
    0x00,
    0x0f,
    'w',
    'w',
    'w',
    '.',
    'e',
    'x',
    'a',
    'm',
    'p',
    'l',
    'e',
    '.',
    'c',
    'o',
    'm', /* 0000 server_name */
    0x00,
    0x33,
    0x00,
    0x26,
    0x00,
    0x24,
    0x00,
    0x1d,
    0x00,
    0x20,
    X25519_KEY,      /* 0033 key_share */
    EXT_ALPN_H2_H11, /* 0010 */
    0x44,
    0x69,
    0x00,
    0x05,
    0x00,
    0x03,
    0x02,
    'h',
    '2', /* 4469 application_settings */
    0x00,
    0x17,
    0x00,
    0x00, /* 0017 */
    0x00,
    0x2d,
    0x00,
    0x02,
    0x01,
    0x01,         /* 002d */
    EXT_SIG_ALGS, /* 000d */
    0x00,
    0x05,
    0x00,
    0x05,
    0x01,
    0x00,
    0x00,
    0x00,
    0x00, /* 0005 */
    0x00,
    0x23,
    0x00,
    0x00, /* 0023 */
    0x00,
    0x12,
    0x00,
    0x00, /* 0012 */
    0x00,
    0x2b,
    0x00,
    0x07,
    0x06,
    0x0a,
    0x0a,
    0x03,
    0x04,
    0x03,
    0x03, /* 002b */
    0xff,
    0x01,
    0x00,
    0x01,
    0x00, /* ff01 */
    0x00,
    0x0b,
    0x00,
    0x02,
    0x01,
    0x00, /* 000b */
    0x00,
    0x0a,
    0x00,
    0x0a,
    0x00,
    0x08,
    0x0a,
    0x0a,
    0x00,
    0x1d,
    0x00,
    0x17,
    0x00,
    0x18, /* 000a */
    0x00,
    0x15,
    0x00,
    0x10,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0, /* 0015 padding */
    0x1a,
    0x1a,
    0x00,
    0x01,
    0x00, /* GREASE */
};
#define JA4_FOXIO "t13d1516h2_8daaf6152771_e5627efa2ab1"
#define JA4_FOXIO_RAW                                                                              \
    "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_"       \
    "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"                       \
    "0403,0804,0401,0503,0805,0501,0806,0601"
#define JA3_FOXIO_MD5 "c000e2caf3a25423f9de6c8a4b12a975" /* tshark 4.0 agrees */

/* ServerHello, TLS 1.2: ECDHE-RSA-AES128-GCM-SHA256, ALPN h2. 104 bytes. */
static const uint8_t sh_12[] = {
    0x03, 0x03, RANDOM_S, 0x20, SID32, 0xc0, 0x2f, 0x00, 0x00, 0x20, /* extensions: 32 bytes */
    0xff, 0x01, 0x00,     0x01, 0x00,                                /* renegotiation_info */
    0x00, 0x00, 0x00,     0x00,                               /* server_name (acknowledged) */
    0x00, 0x0b, 0x00,     0x02, 0x01,  0x00,                  /* ec_point_formats */
    0x00, 0x23, 0x00,     0x00,                               /* session_ticket */
    0x00, 0x10, 0x00,     0x05, 0x00,  0x03, 0x02, 'h',  '2', /* ALPN h2 */
    0x00, 0x17, 0x00,     0x00,                               /* extended_master_secret */
};
#define JA3S_12 "771,49199,65281-0-11-35-16-23"
#define JA3S_12_MD5 "00447ab319e9d94ba2b4c1248e155917"

/* ServerHello, TLS 1.3: TLS_AES_128_GCM_SHA256, key_share x25519, supported_versions 1.3. */
static const uint8_t sh_13[] = {
    0x03, 0x03, RANDOM_S, 0x20, SID32, 0x13, 0x01, 0x00, 0x00,       0x2e, /* extensions: 46 bytes
                                                                            */
    0x00, 0x33, 0x00,     0x24, 0x00,  0x1d, 0x00, 0x20, X25519_KEY, 0x00, 0x2b,
    0x00, 0x02, 0x03,     0x04,
};
#define JA3S_13 "771,4865,51-43"
#define JA3S_13_MD5 "eb1d94daa7e0344597e756a1fb6e7054"

/* ServerHello of TLS 1.3 draft-18 (version 0x7f12, as in arkime's tls13.pcap): no session id
 * and no compression method. JA3S by hand: "32530,4865,51". */
static const uint8_t sh_draft18[] = {
    0x7f, 0x12, RANDOM_S, 0x13, 0x01, 0x00, 0x28, 0x00,
    0x33, 0x00, 0x24,     0x00, 0x1d, 0x00, 0x20, X25519_KEY,
};
#define JA3S_DRAFT18_MD5 "6ba89da7f5b316cf71e90592183975ce"

/* HelloRetryRequest (RFC 8446 §4.1.3): the special random, key_share asking for secp256r1. */
static const uint8_t sh_hrr[] = {
    0x03, 0x03, 0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a,  0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
    0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16,  0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e,
    0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c, 0x20, SID32, 0x13, 0x01, 0x00, 0x00, 0x0c, /* extensions: 12
                                                                                      bytes */
    0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33,  0x00, 0x02, 0x00, 0x17,
};
#define JA3S_HRR "771,4865,43-51"
#define JA3S_HRR_MD5 "f4febc55ea12b31ae17cfb7e614afda8"

/* DTLS 1.2 ClientHello body, WebRTC-like: no SNI, empty cookie, use_srtp. 114 bytes. */
static const uint8_t dtls_ch[] = {
    0xfe, 0xfd, RANDOM_C, 0x00, /* empty session id */
    0x00,                       /* empty cookie */
    0x00, 0x10, 0xc0,     0x2b, 0xc0, 0x2f, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x09, 0xc0, 0x13, 0xc0,
    0x0a, 0xc0, 0x14,     0x01, 0x00, 0x00, 0x38, /* extensions: 56 bytes */
    0x00, 0x17, 0x00,     0x00, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x06,
    0x00, 0x1d, 0x00,     0x17, 0x00, 0x18, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x23, 0x00,
    0x00, 0x00, 0x0d,     0x00, 0x0a, 0x00, 0x08, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03,
    0x00, 0x0e, 0x00,     0x07, 0x00, 0x04, 0x00, 0x01, 0x00, 0x07, 0x00, /* use_srtp */
};
/* tshark 4.0 (dtls.handshake.ja3_full) agrees with this string and MD5. */
#define JA3_DTLS                                                                                   \
    "65277,49195-49199-52393-52392-49161-49171-49162-49172,23-65281-10-11-35-13-14,29-23-24,0"
#define JA3_DTLS_MD5 "ee9e4a7fe78b777b145632d7a942818e"
/*
 * JA4: "d" (DTLS) "d2" (no supported_versions: legacy 0xfefd) "i" (no SNI) "08" "07" "00" (no
 * ALPN); b = sha256("c009,c00a,c013,c014,c02b,c02f,cca8,cca9") = c6c2b6ec87e0...;
 * c = sha256("000a,000b,000d,000e,0017,0023,ff01_0403,0804,0401,0503") = 12cd27f5fd8c...
 */
#define JA4_DTLS "dd2i080700_c6c2b6ec87e0_12cd27f5fd8c"

/* DTLS 1.2 ServerHello body. */
static const uint8_t dtls_sh[] = {
    0xfe, 0xfd, RANDOM_S, 0x20, SID32, 0xc0, 0x2b, 0x00, 0x00, 0x18, 0x00, 0x17,
    0x00, 0x00, 0xff,     0x01, 0x00,  0x01, 0x00, 0x00, 0x0b, 0x00, 0x02, 0x01,
    0x00, 0x00, 0x0e,     0x00, 0x05,  0x00, 0x02, 0x00, 0x07, 0x00,
};
#define JA3S_DTLS "65277,49195,23-65281-11-14"
#define JA3S_DTLS_MD5 "57899975759b2c6d1eb98876e0fc7496"

/* ---- byte buffers ---- */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void buf_u8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    buf_put(b, &x, 1);
}

static void buf_u16(struct buf *b, unsigned v)
{
    buf_u8(b, v >> 8);
    buf_u8(b, v);
}

static void buf_u24(struct buf *b, size_t v)
{
    buf_u8(b, (unsigned)(v >> 16));
    buf_u8(b, (unsigned)(v >> 8));
    buf_u8(b, (unsigned)v);
}

/* A TLS record. */
static void buf_record(struct buf *b, unsigned type, unsigned version, const void *data, size_t n)
{
    buf_u8(b, type);
    buf_u16(b, version);
    buf_u16(b, (unsigned)n);
    buf_put(b, data, n);
}

/* A handshake message (header + body), not yet in a record. */
static void buf_hs(struct buf *b, unsigned type, const void *body, size_t n)
{
    buf_u8(b, type);
    buf_u24(b, n);
    buf_put(b, body, n);
}

/* A record holding one handshake message. */
static void buf_hs_record(struct buf *b, unsigned type, const void *body, size_t n)
{
    struct buf m = {0};
    buf_hs(&m, type, body, n);
    buf_record(b, DIS_TLS_CT_HANDSHAKE, 0x0303, m.p, m.len);
    free(m.p);
}

/* A DTLS record holding one unfragmented handshake message. */
static void buf_dtls_hs_record(struct buf *b, unsigned version, unsigned epoch, unsigned seq,
                               unsigned type, const void *body, size_t n)
{
    buf_u8(b, DIS_TLS_CT_HANDSHAKE);
    buf_u16(b, version);
    buf_u16(b, epoch);
    buf_u16(b, 0);
    buf_u16(b, 0);
    buf_u16(b, seq);
    buf_u16(b, (unsigned)(n + 12));
    buf_u8(b, type);
    buf_u24(b, n);
    buf_u16(b, seq); /* message_seq */
    buf_u24(b, 0);   /* fragment_offset */
    buf_u24(b, n);   /* fragment_length */
    buf_put(b, body, n);
}

/* ---- event recorder ---- */

#define MAX_EV 32

struct recorder {
    struct dis_tls_event ev[MAX_EV]; /* copies; pointers inside are cleared */
    size_t n;
    struct dis_tls_client_hello ch[2];
    size_t n_ch;
    struct dis_tls_server_hello sh[2];
    size_t n_sh;
    uint8_t *der[DIS_TLS_MAX_CERTS];
    size_t der_len[DIS_TLS_MAX_CERTS];
    size_t n_der, certs_total;
};

static void on_event(void *ctx, const struct dis_tls_event *ev)
{
    struct recorder *r = ctx;
    if (r->n < MAX_EV) {
        r->ev[r->n] = *ev;
        r->ev[r->n].ch = NULL;
        r->ev[r->n].sh = NULL;
        r->ev[r->n].certs = NULL;
        r->n++;
    }
    if (ev->type == DIS_TLS_EV_CLIENT_HELLO && r->n_ch < 2)
        r->ch[r->n_ch++] = *ev->ch;
    if (ev->type == DIS_TLS_EV_SERVER_HELLO && r->n_sh < 2)
        r->sh[r->n_sh++] = *ev->sh;
    if (ev->type == DIS_TLS_EV_CERTIFICATE) {
        for (size_t i = 0; i < r->n_der; i++)
            free(r->der[i]);
        r->n_der = ev->certs->n;
        r->certs_total = ev->certs->total;
        for (size_t i = 0; i < ev->certs->n; i++) {
            r->der[i] = malloc(ev->certs->cert[i].len);
            assert_non_null(r->der[i]);
            memcpy(r->der[i], ev->certs->cert[i].p, ev->certs->cert[i].len);
            r->der_len[i] = ev->certs->cert[i].len;
        }
    }
}

static void recorder_free(struct recorder *r)
{
    for (size_t i = 0; i < r->n_der; i++)
        free(r->der[i]);
    r->n_der = 0;
}

/* The recorded event types as a string of digits, for compact sequence checks. */
static const char *ev_seq(const struct recorder *r)
{
    static char s[MAX_EV + 1];
    for (size_t i = 0; i < r->n; i++)
        s[i] = (char)('0' + r->ev[i].type);
    s[r->n] = '\0';
    return s;
}

/* Event type digits, matching enum dis_tls_event_type. */
#define E_CH "1"
#define E_SH "2"
#define E_CERT "3"
#define E_ALERT "4"
#define E_CCS "5"
#define E_APP "6"
#define E_EST "7"

/* Feeds @p n bytes in exactly-sized heap copies of @p chunk bytes each. */
static enum dis_status feed_chunked(struct dis_tls_conn *c, int dir, const uint8_t *p, size_t n,
                                    size_t chunk, struct recorder *r)
{
    enum dis_status st = DIS_OK;
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        uint8_t *copy = malloc(k);
        assert_non_null(copy);
        memcpy(copy, p + off, k);
        st = dis_tls_conn_feed(c, dir, copy, k, on_event, r);
        free(copy);
    }
    return st;
}

/* ---- hellos and fingerprints ---- */

static void test_client_hello_fields(void **state)
{
    (void)state;
    struct dis_tls_client_hello ch;
    assert_int_equal(dis_tls_parse_client_hello(ch_senso, sizeof ch_senso, false, &ch), DIS_OK);
    assert_false(ch.dtls);
    assert_int_equal(ch.legacy_version, 0x0303);
    assert_int_equal(ch.random[0], 0x00);
    assert_int_equal(ch.random[31], 0x1f);
    assert_int_equal(ch.session_id_len, 32);
    assert_int_equal(ch.n_compressions, 1);
    static const uint16_t ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                       0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
                                       0x009c, 0x009d, 0x002f, 0x0035};
    assert_int_equal(ch.n_ciphers, 16);
    assert_memory_equal(ch.ciphers, ciphers, sizeof ciphers);
    static const uint16_t exts[] = {0x1a1a, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010,
                                    0x0005, 0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x4a4a};
    assert_int_equal(ch.n_exts, 16);
    assert_memory_equal(ch.exts, exts, sizeof exts);
    static const uint16_t groups[] = {0x2a2a, 0x001d, 0x0017, 0x0018};
    assert_int_equal(ch.n_groups, 4);
    assert_memory_equal(ch.groups, groups, sizeof groups);
    assert_int_equal(ch.n_point_formats, 1);
    assert_int_equal(ch.point_formats[0], 0);
    static const uint16_t sigs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
    assert_int_equal(ch.n_sig_algs, 8);
    assert_memory_equal(ch.sig_algs, sigs, sizeof sigs);
    static const uint16_t versions[] = {0x3a3a, 0x0304, 0x0303};
    assert_int_equal(ch.n_versions, 3);
    assert_memory_equal(ch.versions, versions, sizeof versions);
    assert_true(ch.has_sni);
    assert_string_equal(ch.sni, "app.senso.cloud");
    assert_true(ch.has_alpn);
    assert_int_equal(ch.n_alpn, 2);
    assert_string_equal(ch.alpn[0], "h2");
    assert_string_equal(ch.alpn[1], "http/1.1");
    assert_int_equal(ch.alpn0_len, 2);
    assert_int_equal(ch.alpn0_first, 'h');
    assert_int_equal(ch.alpn0_last, '2');
    assert_int_equal(ch.flags, 0);
    assert_int_equal(dis_tls_client_max_version(&ch), DIS_TLS_V_TLS13);
    assert_string_equal(dis_tls_version_name(dis_tls_client_max_version(&ch)), "1.3");

    char ja3[DIS_TLS_JA3_SIZE], md5[DIS_TLS_MD5_HEX_SIZE], ja4[DIS_TLS_JA4_SIZE];
    char raw[DIS_TLS_JA4_RAW_SIZE];
    assert_int_equal(dis_tls_ja3(&ch, ja3, sizeof ja3, md5), 0);
    assert_string_equal(ja3, JA3_SENSO);
    assert_string_equal(md5, JA3_SENSO_MD5);
    assert_int_equal(dis_tls_ja4(&ch, ja4), 0);
    assert_string_equal(ja4, JA4_SENSO);
    assert_int_equal(dis_tls_ja4_raw(&ch, raw, sizeof raw), 0);
    assert_string_equal(raw, JA4_SENSO_RAW);
    /* too small a buffer is an error, not a cut string */
    assert_int_equal(dis_tls_ja3(&ch, ja3, 20, md5), -1);
    assert_int_equal(dis_tls_ja4_raw(&ch, raw, 20), -1);
}

static void test_ja4_foxio_example(void **state)
{
    (void)state;
    struct dis_tls_client_hello ch;
    char ja4[DIS_TLS_JA4_SIZE], raw[DIS_TLS_JA4_RAW_SIZE], ja3[DIS_TLS_JA3_SIZE];
    char md5[DIS_TLS_MD5_HEX_SIZE];
    assert_int_equal(dis_tls_parse_client_hello(ch_foxio, sizeof ch_foxio, false, &ch), DIS_OK);
    assert_string_equal(ch.sni, "www.example.com");
    assert_int_equal(dis_tls_ja4(&ch, ja4), 0);
    assert_string_equal(ja4, JA4_FOXIO);
    assert_int_equal(dis_tls_ja4_raw(&ch, raw, sizeof raw), 0);
    assert_string_equal(raw, JA4_FOXIO_RAW);
    assert_int_equal(dis_tls_ja3(&ch, ja3, sizeof ja3, md5), 0);
    assert_string_equal(md5, JA3_FOXIO_MD5);
}

/* JA4_a for a variant of ch_senso whose first ALPN value is @p v (n bytes, 0: no ALPN). */
static void check_alpn(const uint8_t *v, size_t n, const char *expect)
{
    struct dis_tls_client_hello ch;
    char ja4[DIS_TLS_JA4_SIZE];
    assert_int_equal(dis_tls_parse_client_hello(ch_senso, sizeof ch_senso, false, &ch), DIS_OK);
    ch.has_alpn = n > 0;
    ch.alpn0_len = (uint8_t)n;
    ch.alpn0_first = n ? v[0] : 0;
    ch.alpn0_last = n ? v[n - 1] : 0;
    assert_int_equal(dis_tls_ja4(&ch, ja4), 0);
    assert_memory_equal(ja4 + 8, expect, 2);
}

static void test_ja4_rules(void **state)
{
    (void)state;
    /* ALPN examples of JA4.md */
    check_alpn(NULL, 0, "00");
    check_alpn((const uint8_t *)"http/1.1", 8, "h1");
    check_alpn((const uint8_t *)"x", 1, "xx");
    check_alpn((const uint8_t[]){0xab}, 1, "ab");
    check_alpn((const uint8_t[]){0xab, 0xcd}, 2, "ad");
    check_alpn((const uint8_t[]){0x30, 0xab}, 2, "3b");
    check_alpn((const uint8_t[]){0x30, 0x31, 0xab, 0xcd}, 4, "3d");
    check_alpn((const uint8_t[]){0x30, 0xab, 0xcd, 0x31}, 4, "01");

    struct dis_tls_client_hello ch;
    char ja4[DIS_TLS_JA4_SIZE];
    assert_int_equal(dis_tls_parse_client_hello(ch_senso, sizeof ch_senso, false, &ch), DIS_OK);
    /* QUIC: 'q' */
    ch.quic = true;
    assert_int_equal(dis_tls_ja4(&ch, ja4), 0);
    assert_string_equal(ja4, "q13d1514h2_8daaf6152771_bc9a4605e104");
    ch.quic = false;
    /* no supported_versions: the legacy version; no SNI: 'i' */
    ch.n_versions = 0;
    ch.has_sni = false;
    assert_int_equal(dis_tls_ja4(&ch, ja4), 0);
    assert_memory_equal(ja4, "t12i1514h2_", 11);
    /* no signature algorithms: no '_' before them in the hashed string */
    ch.n_sig_algs = 0;
    assert_int_equal(dis_tls_ja4(&ch, ja4), 0);
    char raw[DIS_TLS_JA4_RAW_SIZE];
    assert_int_equal(dis_tls_ja4_raw(&ch, raw, sizeof raw), 0);
    assert_string_equal(strrchr(raw, '_'), "_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,"
                                           "0033,ff01");
    /* more than 99 ciphers count as 99 */
    for (uint16_t i = 0; i < 120; i++)
        ch.ciphers[i] = (uint16_t)(0x0100 + i);
    ch.n_ciphers = 120;
    assert_int_equal(dis_tls_ja4(&ch, ja4), 0);
    assert_memory_equal(ja4, "t12i9914", 8);
    /* nothing to hash: twelve zeros */
    ch.n_ciphers = 1;
    ch.ciphers[0] = 0x3a3a;
    ch.n_exts = 2;
    ch.exts[0] = 0x0000;
    ch.exts[1] = 0x0010;
    assert_int_equal(dis_tls_ja4(&ch, ja4), 0);
    assert_string_equal(ja4, "t12i0002h2_000000000000_000000000000");
    /* GREASE detection */
    assert_true(dis_tls_is_grease(0x0a0a));
    assert_true(dis_tls_is_grease(0xfafa));
    assert_false(dis_tls_is_grease(0x0a1a));
    assert_false(dis_tls_is_grease(0x1301));
}

static void test_server_hello_12(void **state)
{
    (void)state;
    struct dis_tls_server_hello sh;
    char ja3s[DIS_TLS_JA3_SIZE], md5[DIS_TLS_MD5_HEX_SIZE];
    assert_int_equal(dis_tls_parse_server_hello(sh_12, sizeof sh_12, false, &sh), DIS_OK);
    assert_false(sh.hrr);
    assert_int_equal(sh.legacy_version, 0x0303);
    assert_int_equal(sh.selected_version, 0x0303);
    assert_int_equal(sh.random[0], 0x40);
    assert_int_equal(sh.session_id_len, 32);
    assert_int_equal(sh.cipher, 0xc02f);
    assert_int_equal(sh.compression, 0);
    assert_int_equal(sh.n_exts, 6);
    assert_string_equal(sh.alpn, "h2");
    assert_int_equal(sh.key_share_group, 0);
    assert_int_equal(sh.flags, 0);
    assert_int_equal(dis_tls_ja3s(&sh, ja3s, sizeof ja3s, md5), 0);
    assert_string_equal(ja3s, JA3S_12);
    assert_string_equal(md5, JA3S_12_MD5);
}

static void test_server_hello_13(void **state)
{
    (void)state;
    struct dis_tls_server_hello sh;
    char ja3s[DIS_TLS_JA3_SIZE], md5[DIS_TLS_MD5_HEX_SIZE];
    assert_int_equal(dis_tls_parse_server_hello(sh_13, sizeof sh_13, false, &sh), DIS_OK);
    assert_false(sh.hrr);
    assert_int_equal(sh.legacy_version, 0x0303);
    assert_int_equal(sh.selected_version, DIS_TLS_V_TLS13);
    assert_int_equal(sh.cipher, 0x1301);
    assert_int_equal(sh.key_share_group, 0x001d);
    assert_string_equal(sh.alpn, "");
    assert_int_equal(dis_tls_ja3s(&sh, ja3s, sizeof ja3s, md5), 0);
    assert_string_equal(ja3s, JA3S_13);
    assert_string_equal(md5, JA3S_13_MD5);
}

static void test_server_hello_draft(void **state)
{
    (void)state;
    struct dis_tls_server_hello sh;
    char ja3s[DIS_TLS_JA3_SIZE], md5[DIS_TLS_MD5_HEX_SIZE];
    assert_int_equal(dis_tls_parse_server_hello(sh_draft18, sizeof sh_draft18, false, &sh), DIS_OK);
    assert_int_equal(sh.selected_version, 0x7f12);
    assert_int_equal(sh.session_id_len, 0);
    assert_int_equal(sh.cipher, 0x1301);
    assert_int_equal(sh.key_share_group, 0x001d);
    assert_int_equal(dis_tls_ja3s(&sh, ja3s, sizeof ja3s, md5), 0);
    assert_string_equal(ja3s, "32530,4865,51");
    assert_string_equal(md5, JA3S_DRAFT18_MD5);
    /* in a stream it counts as TLS 1.3: what follows is encrypted */
    struct dis_tls_conn c;
    struct recorder r = {0};
    struct buf srv = {0};
    buf_hs_record(&srv, DIS_TLS_HS_SERVER_HELLO, sh_draft18, sizeof sh_draft18);
    buf_record(&srv, DIS_TLS_CT_APPLICATION_DATA, 0x0301, sh_13, 40);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 1, srv.p, srv.len, on_event, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_SH E_APP);
    assert_true(r.ev[0].tls13);
    assert_true(r.ev[1].tls13);
    assert_false(c.established);
    dis_tls_conn_free(&c);
    free(srv.p);
}

static void test_hello_retry_request(void **state)
{
    (void)state;
    struct dis_tls_server_hello sh;
    char ja3s[DIS_TLS_JA3_SIZE], md5[DIS_TLS_MD5_HEX_SIZE];
    assert_int_equal(dis_tls_parse_server_hello(sh_hrr, sizeof sh_hrr, false, &sh), DIS_OK);
    assert_true(sh.hrr);
    assert_int_equal(sh.selected_version, DIS_TLS_V_TLS13);
    assert_int_equal(sh.key_share_group, 0x0017);
    assert_int_equal(dis_tls_ja3s(&sh, ja3s, sizeof ja3s, md5), 0);
    assert_string_equal(ja3s, JA3S_HRR);
    assert_string_equal(md5, JA3S_HRR_MD5);

    /* On the wire: HRR, then the client's middlebox-compatibility CCS and second ClientHello
     * (RFC 8446 D.4), which must still be parsed although it follows a CCS. */
    struct dis_tls_conn c;
    struct recorder r = {0};
    struct buf cli = {0}, srv = {0}, cli2 = {0};
    dis_tls_conn_init(&c);
    buf_hs_record(&cli, DIS_TLS_HS_CLIENT_HELLO, ch_senso, sizeof ch_senso);
    buf_hs_record(&srv, DIS_TLS_HS_SERVER_HELLO, sh_hrr, sizeof sh_hrr);
    buf_record(&cli2, DIS_TLS_CT_CHANGE_CIPHER_SPEC, 0x0303, "\x01", 1);
    buf_hs_record(&cli2, DIS_TLS_HS_CLIENT_HELLO, ch_foxio, sizeof ch_foxio);
    buf_hs_record(&srv, DIS_TLS_HS_SERVER_HELLO, sh_13, sizeof sh_13);
    assert_int_equal(dis_tls_conn_feed(&c, 0, cli.p, cli.len, on_event, &r), DIS_OK);
    assert_int_equal(dis_tls_conn_feed(&c, 1, srv.p, 4 + 5 + sizeof sh_hrr, on_event, &r), DIS_OK);
    assert_int_equal(dis_tls_conn_feed(&c, 0, cli2.p, cli2.len, on_event, &r), DIS_OK);
    assert_int_equal(dis_tls_conn_feed(&c, 1, srv.p + 9 + sizeof sh_hrr,
                                       srv.len - 9 - sizeof sh_hrr, on_event, &r),
                     DIS_OK);
    assert_string_equal(ev_seq(&r), E_CH E_SH E_CCS E_CH E_SH);
    assert_true(r.sh[0].hrr);
    assert_false(r.sh[1].hrr);
    assert_string_equal(r.ch[1].sni, "www.example.com");
    assert_true(r.ev[4].tls13);
    assert_true(c.hrr);
    assert_int_equal(c.version, DIS_TLS_V_TLS13);
    dis_tls_conn_free(&c);
    free(cli.p);
    free(cli2.p);
    free(srv.p);
}

/* ---- stream collector ---- */

/* A TLS 1.2 exchange. Client: ClientHello, ClientKeyExchange, CCS, encrypted Finished,
 * application data. Server: ServerHello, Certificate (one fake DER), ServerHelloDone, CCS,
 * encrypted Finished, application data. */
static void tls12_streams(struct buf *cli, struct buf *srv)
{
    static const uint8_t cke[33] = {32};
    static const uint8_t fin[40] = {0x55};
    static const uint8_t app[29] = {0x66};
    static const uint8_t cert_body[] = {0x00, 0x00, 0x07, 0x00, 0x00, 0x04, 0x30, 0x02, 0x05, 0x00};
    buf_hs_record(cli, DIS_TLS_HS_CLIENT_HELLO, ch_senso, sizeof ch_senso);
    buf_hs_record(cli, 16, cke, sizeof cke);
    buf_record(cli, DIS_TLS_CT_CHANGE_CIPHER_SPEC, 0x0303, "\x01", 1);
    buf_record(cli, DIS_TLS_CT_HANDSHAKE, 0x0303, fin, sizeof fin);
    buf_record(cli, DIS_TLS_CT_APPLICATION_DATA, 0x0303, app, sizeof app);

    /* ServerHello, Certificate and ServerHelloDone in one record */
    struct buf flight = {0};
    buf_hs(&flight, DIS_TLS_HS_SERVER_HELLO, sh_12, sizeof sh_12);
    buf_hs(&flight, DIS_TLS_HS_CERTIFICATE, cert_body, sizeof cert_body);
    buf_hs(&flight, 14, NULL, 0);
    buf_record(srv, DIS_TLS_CT_HANDSHAKE, 0x0303, flight.p, flight.len);
    free(flight.p);
    buf_record(srv, DIS_TLS_CT_CHANGE_CIPHER_SPEC, 0x0303, "\x01", 1);
    buf_record(srv, DIS_TLS_CT_HANDSHAKE, 0x0303, fin, sizeof fin);
    buf_record(srv, DIS_TLS_CT_APPLICATION_DATA, 0x0303, app, sizeof app);
}

static void test_stream_tls12(void **state)
{
    (void)state;
    struct buf cli = {0}, srv = {0};
    tls12_streams(&cli, &srv);
    size_t cli_hello = 9 + sizeof ch_senso, srv_flight = 5 + 4 + sizeof sh_12 + 14 + 4;
    for (size_t chunk = 1; chunk <= 4096; chunk = chunk < 16 ? chunk + 1 : chunk * 4) {
        struct dis_tls_conn c;
        struct recorder r = {0};
        dis_tls_conn_init(&c);
        assert_int_equal(feed_chunked(&c, 0, cli.p, cli_hello, chunk, &r), DIS_OK);
        assert_int_equal(feed_chunked(&c, 1, srv.p, srv_flight, chunk, &r), DIS_OK);
        assert_int_equal(feed_chunked(&c, 0, cli.p + cli_hello, cli.len - cli_hello, chunk, &r),
                         DIS_OK);
        assert_int_equal(feed_chunked(&c, 1, srv.p + srv_flight, srv.len - srv_flight, chunk, &r),
                         DIS_OK);
        /* CH; SH, CERT; client CCS, client APPDATA + ESTABLISHED; server CCS, APPDATA */
        assert_string_equal(ev_seq(&r), E_CH E_SH E_CERT E_CCS E_APP E_EST E_CCS E_APP);
        assert_int_equal(r.ev[0].dir, 0);
        assert_int_equal(r.ev[1].dir, 1);
        assert_int_equal(r.ev[5].dir, 0);
        assert_int_equal(r.ev[4].rec_len, 29);
        assert_false(r.ev[5].tls13);
        assert_string_equal(r.ch[0].sni, "app.senso.cloud");
        assert_int_equal(r.sh[0].cipher, 0xc02f);
        assert_int_equal(r.n_der, 1);
        assert_int_equal(r.certs_total, 1);
        assert_int_equal(r.der_len[0], 4);
        assert_int_equal(c.version, DIS_TLS_V_TLS12);
        assert_true(c.established);
        assert_int_equal(dis_tls_conn_flags(&c), 0);
        dis_tls_conn_free(&c);
        recorder_free(&r);
    }
    free(cli.p);
    free(srv.p);
}

/* TLS 1.3: the server's flight after its ServerHello and the client's Finished are type 23. */
static void test_stream_tls13(void **state)
{
    (void)state;
    static const uint8_t enc[200] = {0x77};
    struct buf cli = {0}, srv = {0}, fin = {0}, alert = {0};
    buf_hs_record(&cli, DIS_TLS_HS_CLIENT_HELLO, ch_senso, sizeof ch_senso);
    buf_hs_record(&srv, DIS_TLS_HS_SERVER_HELLO, sh_13, sizeof sh_13);
    buf_record(&srv, DIS_TLS_CT_CHANGE_CIPHER_SPEC, 0x0303, "\x01", 1);
    buf_record(&srv, DIS_TLS_CT_APPLICATION_DATA, 0x0303, enc, 150);
    buf_record(&fin, DIS_TLS_CT_CHANGE_CIPHER_SPEC, 0x0303, "\x01", 1);
    buf_record(&fin, DIS_TLS_CT_APPLICATION_DATA, 0x0303, enc, 53);  /* Finished */
    buf_record(&fin, DIS_TLS_CT_APPLICATION_DATA, 0x0303, enc, 200); /* data */
    buf_record(&alert, DIS_TLS_CT_CHANGE_CIPHER_SPEC, 0x0303, "\x01", 1);
    buf_record(&alert, DIS_TLS_CT_APPLICATION_DATA, 0x0303, enc, 19); /* encrypted alert */

    struct dis_tls_conn c;
    struct recorder r = {0};
    dis_tls_conn_init(&c);
    assert_int_equal(feed_chunked(&c, 0, cli.p, cli.len, 7, &r), DIS_OK);
    assert_int_equal(feed_chunked(&c, 1, srv.p, srv.len, 7, &r), DIS_OK);
    assert_int_equal(feed_chunked(&c, 0, fin.p, fin.len, 7, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_CH E_SH E_CCS E_APP E_CCS E_APP E_EST);
    assert_true(r.ev[1].tls13);
    assert_true(r.ev[3].tls13);
    assert_int_equal(r.ev[3].dir, 1);
    assert_int_equal(r.ev[3].rec_len, 150);
    assert_int_equal(r.ev[6].dir, 0);
    assert_int_equal(r.ev[6].rec_len, 53);
    assert_true(c.established);
    dis_tls_conn_free(&c);

    /* the client rejects the server (bad certificate): a 19-byte encrypted alert */
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 0, cli.p, cli.len, on_event, &r), DIS_OK);
    assert_int_equal(dis_tls_conn_feed(&c, 1, srv.p, srv.len, on_event, &r), DIS_OK);
    assert_int_equal(dis_tls_conn_feed(&c, 0, alert.p, alert.len, on_event, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_CH E_SH E_CCS E_APP E_CCS E_APP E_ALERT);
    assert_true(r.ev[6].encrypted);
    assert_int_equal(r.ev[6].rec_len, 19);
    assert_false(c.established);
    dis_tls_conn_free(&c);

    /* 0-RTT data after the ClientHello is not the end of the handshake */
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 0, cli.p, cli.len, on_event, &r), DIS_OK);
    assert_int_equal(dis_tls_conn_feed(&c, 0, fin.p + 6, fin.len - 6, on_event, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_CH E_APP);
    assert_false(c.established);
    dis_tls_conn_free(&c);

    /* a stream picked up after the handshake */
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 1, fin.p + 6, fin.len - 6, on_event, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_APP E_EST);
    dis_tls_conn_free(&c);
    free(cli.p);
    free(srv.p);
    free(fin.p);
    free(alert.p);
}

/* The ClientHello split across three records (at 100 and 200 bytes of the message), fed one
 * byte at a time in exactly-sized heap buffers. */
static void test_split_records_bytewise(void **state)
{
    (void)state;
    struct buf msg = {0}, s = {0};
    buf_hs(&msg, DIS_TLS_HS_CLIENT_HELLO, ch_senso, sizeof ch_senso);
    buf_record(&s, DIS_TLS_CT_HANDSHAKE, 0x0301, msg.p, 100);
    buf_record(&s, DIS_TLS_CT_HANDSHAKE, 0x0301, msg.p + 100, 100);
    buf_record(&s, DIS_TLS_CT_HANDSHAKE, 0x0301, msg.p + 200, msg.len - 200);
    assert_int_equal(s.len, 3 * 5 + 4 + sizeof ch_senso);

    struct dis_tls_conn c;
    struct recorder r = {0};
    dis_tls_conn_init(&c);
    assert_int_equal(feed_chunked(&c, 0, s.p, s.len, 1, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_CH);
    char ja3[DIS_TLS_JA3_SIZE], md5[DIS_TLS_MD5_HEX_SIZE], ja4[DIS_TLS_JA4_SIZE];
    assert_int_equal(dis_tls_ja3(&r.ch[0], ja3, sizeof ja3, md5), 0);
    assert_string_equal(md5, JA3_SENSO_MD5);
    assert_int_equal(dis_tls_ja4(&r.ch[0], ja4), 0);
    assert_string_equal(ja4, JA4_SENSO);
    assert_string_equal(r.ch[0].sni, "app.senso.cloud");
    dis_tls_conn_free(&c);
    free(msg.p);
    free(s.p);
}

/* ---- certificates ---- */

static EVP_PKEY *make_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    return k;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(cert, e, -1), 1);
    X509_EXTENSION_free(e);
}

/* A certificate for @p cn (O=Senso Test) valid 2024-01-01..2034-01-01, signed by @p ca_key
 * (self-signed when @p issuer is NULL). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ca_key, long serial)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    ASN1_TIME_set(X509_getm_notBefore(x), 1704067200);
    ASN1_TIME_set(X509_getm_notAfter(x), 2019686400);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Senso Test", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(x, key);
    X509 *iss = issuer ? issuer : x;
    if (!issuer) {
        add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, iss, NID_ext_key_usage, "serverAuth");
        add_ext(x, iss, NID_subject_alt_name,
                "DNS:app.senso.cloud,DNS:*.senso.cloud,IP:192.0.2.7,IP:2001:db8::7");
    }
    assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
    return x;
}

static void der_of(X509 *x, struct buf *out)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    buf_put(out, der, (size_t)n);
    OPENSSL_free(der);
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    assert_int_equal(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL), 1);
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_certificate_chain(void **state)
{
    (void)state;
    EVP_PKEY *ca_key = make_key(), *leaf_key = make_key();
    X509 *ca = make_cert("Senso Test CA", ca_key, NULL, ca_key, 1);
    X509 *leaf = make_cert("app.senso.cloud", leaf_key, ca, ca_key, 2);
    struct buf leaf_der = {0}, ca_der = {0}, list = {0}, body = {0}, s = {0};
    der_of(leaf, &leaf_der);
    der_of(ca, &ca_der);
    buf_u24(&list, leaf_der.len);
    buf_put(&list, leaf_der.p, leaf_der.len);
    buf_u24(&list, ca_der.len);
    buf_put(&list, ca_der.p, ca_der.len);
    buf_u24(&body, list.len);
    buf_put(&body, list.p, list.len);
    /* ServerHello and Certificate, the Certificate split over two records */
    struct buf msgs = {0};
    buf_hs(&msgs, DIS_TLS_HS_SERVER_HELLO, sh_12, sizeof sh_12);
    buf_hs(&msgs, DIS_TLS_HS_CERTIFICATE, body.p, body.len);
    buf_record(&s, DIS_TLS_CT_HANDSHAKE, 0x0303, msgs.p, 300);
    buf_record(&s, DIS_TLS_CT_HANDSHAKE, 0x0303, msgs.p + 300, msgs.len - 300);

    struct dis_tls_conn c;
    struct recorder r = {0};
    dis_tls_conn_init(&c);
    assert_int_equal(feed_chunked(&c, 1, s.p, s.len, 5, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_SH E_CERT);
    assert_int_equal(r.n_der, 2);
    assert_int_equal(r.certs_total, 2);
    assert_int_equal(r.der_len[0], leaf_der.len);
    assert_memory_equal(r.der[0], leaf_der.p, leaf_der.len);

    struct dis_tls_cert_info info;
    char hex[65];
    assert_int_equal(dis_tls_cert_info(r.der[0], r.der_len[0], &info), 0);
    assert_string_equal(info.subject, "CN=app.senso.cloud,O=Senso Test");
    assert_string_equal(info.issuer, "CN=Senso Test CA,O=Senso Test");
    assert_int_equal(info.not_before, 1704067200);
    assert_int_equal(info.not_after, 2019686400);
    sha256_hex(leaf_der.p, leaf_der.len, hex);
    assert_string_equal(info.sha256, hex);
    assert_int_equal(info.total_san, 4);
    assert_int_equal(info.n_san, 4);
    assert_int_equal(info.san[0].kind, DIS_TLS_SAN_DNS);
    assert_string_equal(info.san[0].name, "app.senso.cloud");
    assert_string_equal(info.san[1].name, "*.senso.cloud");
    assert_int_equal(info.san[2].kind, DIS_TLS_SAN_IP);
    assert_string_equal(info.san[2].name, "192.0.2.7");
    assert_string_equal(info.san[3].name, "2001:db8::7");
    assert_false(info.self_issued);
    assert_int_equal(dis_tls_cert_info(r.der[1], r.der_len[1], &info), 0);
    assert_string_equal(info.subject, "CN=Senso Test CA,O=Senso Test");
    assert_true(info.self_issued);
    assert_int_equal(info.n_san, 0);
    /* a certificate with a trailing byte, or cut short, is refused */
    uint8_t *longer = malloc(leaf_der.len + 1);
    assert_non_null(longer);
    memcpy(longer, leaf_der.p, leaf_der.len);
    longer[leaf_der.len] = 0;
    assert_int_equal(dis_tls_cert_info(longer, leaf_der.len + 1, &info), -1);
    assert_int_equal(dis_tls_cert_info(longer, leaf_der.len - 1, &info), -1);
    free(longer);

    /* rebuild the borrowed view list over the recorded copies */
    struct dis_tls_cert_list chain = {0};
    chain.n = chain.total = 2;
    for (size_t i = 0; i < 2; i++) {
        chain.cert[i].p = r.der[i];
        chain.cert[i].len = r.der_len[i];
    }
    X509_STORE *store = X509_STORE_new(), *empty = X509_STORE_new();
    assert_non_null(store);
    assert_non_null(empty);
    assert_int_equal(X509_STORE_add_cert(store, ca), 1);
    const int64_t when = 1750000000; /* 2025-06-15: inside the validity period */
    struct dis_tls_verify_result v;

    assert_int_equal(dis_tls_verify_chain(store, &chain, "app.senso.cloud", when, &v), 0);
    assert_true(v.ok);
    assert_int_equal(v.error, X509_V_OK);
    assert_string_equal(v.errstr, "ok");
    assert_int_equal(dis_tls_verify_chain(store, &chain, "www.senso.cloud", when, &v), 0);
    assert_true(v.ok); /* *.senso.cloud */

    assert_int_equal(dis_tls_verify_chain(store, &chain, "wrong.example.org", when, &v), 0);
    assert_false(v.ok);
    assert_int_equal(v.error, X509_V_ERR_HOSTNAME_MISMATCH);
    assert_string_equal(v.errstr, "hostname mismatch");

    /* untrusted: the chain ends in a root the store does not hold */
    assert_int_equal(dis_tls_verify_chain(empty, &chain, "app.senso.cloud", when, &v), 0);
    assert_false(v.ok);
    assert_int_equal(v.error, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    chain.n = 1; /* the leaf alone: its issuer is nowhere */
    assert_int_equal(dis_tls_verify_chain(empty, &chain, "app.senso.cloud", when, &v), 0);
    assert_false(v.ok);
    assert_int_equal(v.error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_string_equal(v.errstr, "unable to get local issuer certificate");
    chain.n = 2;

    assert_int_equal(dis_tls_verify_chain(store, &chain, "app.senso.cloud", 2050000000, &v), 0);
    assert_false(v.ok);
    assert_int_equal(v.error, X509_V_ERR_CERT_HAS_EXPIRED);
    /* no usable capture clock (0): the validity period is not checked */
    assert_int_equal(dis_tls_verify_chain(store, &chain, "app.senso.cloud", 0, &v), 0);
    assert_true(v.ok);

    /* the leaf alone, the CA not in the message: still verifies from the store */
    chain.n = 1;
    assert_int_equal(dis_tls_verify_chain(store, &chain, NULL, when, &v), 0);
    assert_true(v.ok);
    chain.n = 0;
    assert_int_equal(dis_tls_verify_chain(store, &chain, NULL, when, &v), -1);

    X509_STORE_free(store);
    X509_STORE_free(empty);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(ca_key);
    dis_tls_conn_free(&c);
    recorder_free(&r);
    free(leaf_der.p);
    free(ca_der.p);
    free(list.p);
    free(body.p);
    free(msgs.p);
    free(s.p);
}

/* ---- alerts ---- */

static void test_alert(void **state)
{
    (void)state;
    static const uint8_t fatal_hs_failure[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    struct dis_tls_conn c;
    struct recorder r = {0};
    struct buf cli = {0};
    dis_tls_conn_init(&c);
    buf_hs_record(&cli, DIS_TLS_HS_CLIENT_HELLO, ch_senso, sizeof ch_senso);
    assert_int_equal(dis_tls_conn_feed(&c, 0, cli.p, cli.len, on_event, &r), DIS_OK);
    assert_int_equal(feed_chunked(&c, 1, fatal_hs_failure, sizeof fatal_hs_failure, 1, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_CH E_ALERT);
    assert_int_equal(r.ev[1].dir, 1);
    assert_int_equal(r.ev[1].alert_level, 2);
    assert_int_equal(r.ev[1].alert_desc, 40);
    assert_false(r.ev[1].encrypted);
    assert_false(c.established);
    dis_tls_conn_free(&c);

    /* TLS 1.2: an alert after the direction's CCS is encrypted (here a 26-byte record) */
    static const uint8_t enc[26] = {0};
    struct buf srv = {0};
    buf_hs_record(&srv, DIS_TLS_HS_SERVER_HELLO, sh_12, sizeof sh_12);
    buf_record(&srv, DIS_TLS_CT_CHANGE_CIPHER_SPEC, 0x0303, "\x01", 1);
    buf_record(&srv, DIS_TLS_CT_ALERT, 0x0303, enc, sizeof enc);
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 1, srv.p, srv.len, on_event, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_SH E_CCS E_ALERT);
    assert_true(r.ev[2].encrypted);
    assert_int_equal(r.ev[2].rec_len, 26);
    dis_tls_conn_free(&c);

    /* two alerts in one record; an odd trailing byte is flagged */
    static const uint8_t two[] = {0x15, 0x03, 0x03, 0x00, 0x05, 0x01, 0x00, 0x02, 0x50, 0x01};
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 0, two, sizeof two, on_event, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_ALERT E_ALERT);
    assert_int_equal(r.ev[0].alert_level, 1);
    assert_int_equal(r.ev[0].alert_desc, 0);
    assert_int_equal(r.ev[1].alert_desc, 80);
    assert_true(dis_tls_conn_flags(&c) & DIS_TLS_CF_BAD_ALERT);
    dis_tls_conn_free(&c);
    free(cli.p);
    free(srv.p);
}

/* ---- DTLS ---- */

static void test_dtls(void **state)
{
    (void)state;
    struct buf d = {0}, s = {0};
    buf_dtls_hs_record(&d, DIS_TLS_V_DTLS10, 0, 0, DIS_TLS_HS_CLIENT_HELLO, dtls_ch,
                       sizeof dtls_ch);
    assert_int_equal(dis_dtls_probe(d.p, d.len), DIS_OK);
    assert_int_equal(dis_tls_probe(d.p, d.len), DIS_NOT_MINE);

    struct recorder r = {0};
    uint32_t flags = 0;
    assert_int_equal(dis_dtls_parse(d.p, d.len, 0, on_event, &r, &flags), DIS_OK);
    assert_string_equal(ev_seq(&r), E_CH);
    assert_int_equal(flags, 0);
    const struct dis_tls_client_hello *ch = &r.ch[0];
    assert_true(ch->dtls);
    assert_int_equal(ch->legacy_version, DIS_TLS_V_DTLS12);
    assert_int_equal(ch->cookie_len, 0);
    assert_false(ch->has_sni);
    assert_string_equal(ch->sni, "");
    assert_int_equal(ch->n_ciphers, 8);
    assert_int_equal(ch->n_exts, 7);
    assert_string_equal(dis_tls_version_name(dis_tls_client_max_version(ch)), "dtls1.2");
    char ja3[DIS_TLS_JA3_SIZE], md5[DIS_TLS_MD5_HEX_SIZE], ja4[DIS_TLS_JA4_SIZE];
    assert_int_equal(dis_tls_ja3(ch, ja3, sizeof ja3, md5), 0);
    assert_string_equal(ja3, JA3_DTLS);
    assert_string_equal(md5, JA3_DTLS_MD5);
    assert_int_equal(dis_tls_ja4(ch, ja4), 0);
    assert_string_equal(ja4, JA4_DTLS);

    /* a cookie: the second ClientHello after HelloVerifyRequest */
    uint8_t with_cookie[sizeof dtls_ch + 16];
    memcpy(with_cookie, dtls_ch, 35);
    with_cookie[35] = 16;
    memset(with_cookie + 36, 0xcc, 16);
    memcpy(with_cookie + 52, dtls_ch + 36, sizeof dtls_ch - 36);
    struct dis_tls_client_hello ch2;
    assert_int_equal(dis_tls_parse_client_hello(with_cookie, sizeof with_cookie, true, &ch2),
                     DIS_OK);
    assert_int_equal(ch2.cookie_len, 16);
    assert_int_equal(dis_tls_ja3(&ch2, ja3, sizeof ja3, md5), 0);
    assert_string_equal(md5, JA3_DTLS_MD5);

    /* server: ServerHello and ServerHelloDone in two records of one datagram, then CCS, an
     * encrypted Finished (epoch 1), application data and an encrypted alert */
    buf_dtls_hs_record(&s, DIS_TLS_V_DTLS12, 0, 0, DIS_TLS_HS_SERVER_HELLO, dtls_sh,
                       sizeof dtls_sh);
    buf_dtls_hs_record(&s, DIS_TLS_V_DTLS12, 0, 1, 14, NULL, 0);
    static const uint8_t tail[] = {
        0x14, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0x01,                   /* CCS */
        0x16, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef, /* Finished */
        0x17, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 2, 0x11, 0x22,             /* data */
        0x15, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 2, 0, 3, 0x01, 0x02, 0x03,       /* alert */
    };
    buf_put(&s, tail, sizeof tail);
    memset(&r, 0, sizeof r);
    assert_int_equal(dis_dtls_parse(s.p, s.len, 1, on_event, &r, &flags), DIS_OK);
    assert_string_equal(ev_seq(&r), E_SH E_CCS E_APP E_ALERT);
    assert_true(r.sh[0].dtls);
    assert_int_equal(r.sh[0].cipher, 0xc02b);
    assert_int_equal(r.ev[2].rec_len, 2);
    assert_true(r.ev[3].encrypted);
    char ja3s[DIS_TLS_JA3_SIZE];
    assert_int_equal(dis_tls_ja3s(&r.sh[0], ja3s, sizeof ja3s, md5), 0);
    assert_string_equal(ja3s, JA3S_DTLS);
    assert_string_equal(md5, JA3S_DTLS_MD5);

    /* plaintext alert, fatal handshake_failure */
    static const uint8_t alert[] = {0x15, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 40};
    memset(&r, 0, sizeof r);
    assert_int_equal(dis_dtls_parse(alert, sizeof alert, 1, on_event, &r, NULL), DIS_OK);
    assert_string_equal(ev_seq(&r), E_ALERT);
    assert_int_equal(r.ev[0].alert_level, 2);
    assert_int_equal(r.ev[0].alert_desc, 40);
    assert_false(r.ev[0].encrypted);

    /* a fragmented ClientHello is flagged, not parsed */
    struct buf f = {0};
    buf_put(&f, d.p, 13);
    buf_u8(&f, 1);
    buf_u24(&f, sizeof dtls_ch);
    buf_u16(&f, 0);
    buf_u24(&f, 0);
    buf_u24(&f, 50);
    buf_put(&f, dtls_ch, 50);
    f.p[11] = 0;
    f.p[12] = 62;
    memset(&r, 0, sizeof r);
    flags = 0;
    assert_int_equal(dis_dtls_parse(f.p, f.len, 0, on_event, &r, &flags), DIS_OK);
    assert_int_equal(r.n, 0);
    assert_true(flags & DIS_TLS_CF_DTLS_FRAGMENT);

    /* not DTLS: STUN, RTP, TLS */
    static const uint8_t stun[] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                                   3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
    assert_int_equal(dis_dtls_probe(stun, sizeof stun), DIS_NOT_MINE);
    assert_int_equal(dis_dtls_parse(stun, sizeof stun, 0, on_event, &r, NULL), DIS_NOT_MINE);
    free(d.p);
    free(s.p);
    free(f.p);
}

static void test_probe(void **state)
{
    (void)state;
    struct buf s = {0};
    buf_hs_record(&s, DIS_TLS_HS_CLIENT_HELLO, ch_senso, sizeof ch_senso);
    assert_int_equal(dis_tls_probe(s.p, s.len), DIS_OK);
    assert_int_equal(dis_tls_probe(s.p, 3), DIS_NEED_MORE);
    assert_int_equal(dis_tls_probe(s.p, 0), DIS_NEED_MORE);
    assert_int_equal(dis_tls_probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16), DIS_NOT_MINE);
    assert_int_equal(dis_tls_probe((const uint8_t *)"\x16\x03\x01\x00\x10\x0b", 6), DIS_NOT_MINE);
    free(s.p);
}

/* ---- truncation and malformed input ---- */

/* Every prefix of @p p, in an exactly-sized heap buffer: parsers must not read past it. */
static void cut_everywhere(const uint8_t *p, size_t n, int kind)
{
    for (size_t k = 0; k <= n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        assert_non_null(copy);
        memcpy(copy, p, k);
        struct recorder r = {0};
        struct dis_tls_client_hello ch;
        struct dis_tls_server_hello sh;
        struct dis_tls_cert_list cl;
        enum dis_status st;
        switch (kind) {
        case 0: /* ClientHello body */
            st = dis_tls_parse_client_hello(copy, k, false, &ch);
            /* a body cut right after its compression methods is a valid SSL 3.0 hello */
            assert_true(k == n ? st == DIS_OK
                               : st != DIS_OK || (ch.flags & DIS_TLS_HF_NO_EXTS) != 0);
            break;
        case 1: /* ServerHello body */
            st = dis_tls_parse_server_hello(copy, k, false, &sh);
            assert_true(k == n ? st == DIS_OK
                               : st != DIS_OK || (sh.flags & DIS_TLS_HF_NO_EXTS) != 0);
            break;
        case 2: /* DTLS ClientHello body */
            st = dis_tls_parse_client_hello(copy, k, true, &ch);
            assert_true(k == n ? st == DIS_OK
                               : st != DIS_OK || (ch.flags & DIS_TLS_HF_NO_EXTS) != 0);
            break;
        case 3: /* Certificate body */
            st = dis_tls_parse_certificate(copy, k, &cl);
            assert_true(k == n ? st == DIS_OK : st != DIS_OK);
            break;
        case 4: { /* a TLS stream, both directions */
            struct dis_tls_conn c;
            dis_tls_conn_init(&c);
            assert_int_equal(dis_tls_conn_feed(&c, 0, copy, k, on_event, &r), DIS_OK);
            assert_int_equal(dis_tls_conn_feed(&c, 1, copy, k, on_event, &r), DIS_OK);
            dis_tls_conn_free(&c);
            break;
        }
        default: /* a DTLS datagram */
            st = dis_dtls_parse(copy, k, 0, on_event, &r, NULL);
            if (k == n)
                assert_int_equal(st, DIS_OK);
            break;
        }
        recorder_free(&r);
        free(copy);
    }
}

static void test_truncation(void **state)
{
    (void)state;
    cut_everywhere(ch_senso, sizeof ch_senso, 0);
    cut_everywhere(ch_foxio, sizeof ch_foxio, 0);
    cut_everywhere(sh_12, sizeof sh_12, 1);
    cut_everywhere(sh_13, sizeof sh_13, 1);
    cut_everywhere(sh_hrr, sizeof sh_hrr, 1);
    cut_everywhere(sh_draft18, sizeof sh_draft18, 1);
    cut_everywhere(dtls_ch, sizeof dtls_ch, 2);
    static const uint8_t certs[] = {0x00, 0x00, 0x0b, 0x00, 0x00, 0x02, 0x30,
                                    0x00, 0x00, 0x00, 0x03, 0x30, 0x01, 0x00};
    cut_everywhere(certs, sizeof certs, 3);
    struct buf cli = {0}, srv = {0}, d = {0};
    tls12_streams(&cli, &srv);
    cut_everywhere(cli.p, cli.len, 4);
    cut_everywhere(srv.p, srv.len, 4);
    buf_dtls_hs_record(&d, DIS_TLS_V_DTLS10, 0, 0, DIS_TLS_HS_CLIENT_HELLO, dtls_ch,
                       sizeof dtls_ch);
    buf_dtls_hs_record(&d, DIS_TLS_V_DTLS12, 0, 1, DIS_TLS_HS_SERVER_HELLO, dtls_sh,
                       sizeof dtls_sh);
    cut_everywhere(d.p, d.len, 5);
    free(cli.p);
    free(srv.p);
    free(d.p);
}

/* A copy of @p p with byte @p off replaced by @p v. */
static uint8_t *patched(const uint8_t *p, size_t n, size_t off, uint8_t v)
{
    uint8_t *q = malloc(n);
    assert_non_null(q);
    memcpy(q, p, n);
    q[off] = v;
    return q;
}

static void test_malformed_hellos(void **state)
{
    (void)state;
    struct dis_tls_client_hello ch;
    struct dis_tls_server_hello sh;
    uint8_t *q;
    /* session id longer than 32 */
    q = patched(ch_senso, sizeof ch_senso, 34, 33);
    assert_int_equal(dis_tls_parse_client_hello(q, sizeof ch_senso, false, &ch), DIS_MALFORMED);
    free(q);
    /* odd cipher_suites length */
    q = patched(ch_senso, sizeof ch_senso, 68, 0x1f);
    assert_int_equal(dis_tls_parse_client_hello(q, sizeof ch_senso, false, &ch), DIS_MALFORMED);
    free(q);
    /* no compression method */
    q = patched(ch_senso, sizeof ch_senso, 101, 0);
    assert_int_equal(dis_tls_parse_client_hello(q, sizeof ch_senso, false, &ch), DIS_MALFORMED);
    free(q);
    /* extensions block one byte shorter: the last extension overruns it */
    q = patched(ch_senso, sizeof ch_senso, 104, 0xbd);
    assert_int_equal(dis_tls_parse_client_hello(q, sizeof ch_senso, false, &ch), DIS_MALFORMED);
    free(q);
    /* extensions block one byte longer than the message */
    q = patched(ch_senso, sizeof ch_senso, 104, 0xbf);
    assert_int_equal(dis_tls_parse_client_hello(q, sizeof ch_senso, false, &ch), DIS_TRUNCATED);
    free(q);
    /* SNI list length off by one: the hello parses, the extension is flagged */
    q = patched(ch_senso, sizeof ch_senso, 114, 0x13);
    assert_int_equal(dis_tls_parse_client_hello(q, sizeof ch_senso, false, &ch), DIS_OK);
    assert_true(ch.flags & DIS_TLS_HF_BAD_EXT);
    assert_true(ch.has_sni);
    free(q);
    /* an SNI byte outside the printable range */
    q = patched(ch_senso, sizeof ch_senso, 119, 0x00);
    assert_int_equal(dis_tls_parse_client_hello(q, sizeof ch_senso, false, &ch), DIS_OK);
    assert_string_equal(ch.sni, "a?p.senso.cloud");
    assert_true(ch.flags & DIS_TLS_HF_SNI_ODD);
    free(q);
    /* a duplicate extension: extended_master_secret (00 17) turned into a second, empty
     * server_name (00 00) */
    q = patched(ch_senso, sizeof ch_senso, 134, 0x00);
    assert_int_equal(dis_tls_parse_client_hello(q, sizeof ch_senso, false, &ch), DIS_OK);
    assert_true(ch.flags & DIS_TLS_HF_DUP_EXT);
    assert_string_equal(ch.sni, "app.senso.cloud");
    free(q);
    /* trailing byte after the extensions */
    uint8_t *longer = malloc(sizeof ch_senso + 1);
    assert_non_null(longer);
    memcpy(longer, ch_senso, sizeof ch_senso);
    longer[sizeof ch_senso] = 0;
    assert_int_equal(dis_tls_parse_client_hello(longer, sizeof ch_senso + 1, false, &ch),
                     DIS_MALFORMED);
    free(longer);
    /* ServerHello: the last extension overruns the extensions block */
    q = patched(sh_13, sizeof sh_13, sizeof sh_13 - 3, 0x03);
    assert_int_equal(dis_tls_parse_server_hello(q, sizeof sh_13, false, &sh), DIS_MALFORMED);
    free(q);
    q = patched(sh_12, sizeof sh_12, 97, 0x04); /* ALPN name longer than its list */
    assert_int_equal(dis_tls_parse_server_hello(q, sizeof sh_12, false, &sh), DIS_OK);
    assert_true(sh.flags & DIS_TLS_HF_BAD_EXT);
    assert_string_equal(sh.alpn, "");
    free(q);
    /* Certificate: an entry overrunning the list, an empty entry, a list past the body */
    static const uint8_t over[] = {0x00, 0x00, 0x05, 0x00, 0x00, 0x03, 0x30, 0x00};
    static const uint8_t empty[] = {0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
    static const uint8_t past[] = {0x00, 0x00, 0x09, 0x00, 0x00, 0x01, 0x30};
    struct dis_tls_cert_list cl;
    assert_int_equal(dis_tls_parse_certificate(over, sizeof over, &cl), DIS_MALFORMED);
    assert_int_equal(dis_tls_parse_certificate(past, sizeof past, &cl), DIS_TRUNCATED);
    assert_int_equal(dis_tls_parse_certificate(empty, sizeof empty, &cl), DIS_MALFORMED);
}

static void test_malformed_stream(void **state)
{
    (void)state;
    struct dis_tls_conn c;
    struct recorder r = {0};
    /* not TLS at all */
    dis_tls_conn_init(&c);
    assert_int_equal(
        dis_tls_conn_feed(&c, 0, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, on_event, &r),
        DIS_NOT_MINE);
    assert_int_equal(dis_tls_conn_feed(&c, 0, (const uint8_t *)"\x16\x03\x01", 3, on_event, &r),
                     DIS_NOT_MINE);
    assert_int_equal(dis_tls_conn_feed(&c, 5, (const uint8_t *)"x", 1, on_event, &r),
                     DIS_MALFORMED);
    /* the other direction is independent */
    assert_int_equal(
        dis_tls_conn_feed(&c, 1, (const uint8_t *)"\x15\x03\x03\x00\x02\x02\x28", 7, on_event, &r),
        DIS_OK);
    dis_tls_conn_free(&c);

    /* a first record longer than 2^14 + 2048 is not TLS; a later one is malformed */
    static const uint8_t big[] = {0x16, 0x03, 0x03, 0x48, 0x01};
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 0, big, sizeof big, on_event, &r), DIS_NOT_MINE);
    dis_tls_conn_free(&c);
    static const uint8_t later[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00,
                                    0x19, 0x03, 0x03, 0x00, 0x01, 0x00};
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 0, later, sizeof later, on_event, &r), DIS_MALFORMED);
    assert_string_equal(ev_seq(&r), E_ALERT);
    dis_tls_conn_free(&c);

    /* a handshake message above DIS_TLS_HS_MAX: given up, records still walked */
    static const uint8_t huge[] = {0x16, 0x03, 0x03, 0x00, 0x08, 0x0b, 0x01, 0x00, 0x01,
                                   0x00, 0x00, 0x00, 0x00, 0x15, 0x03, 0x03, 0x00, 0x02,
                                   0x02, 0x50, 0x16, 0x03, 0x03, 0x00, 0x01, 0x01};
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 1, huge, sizeof huge, on_event, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_ALERT);
    assert_true(dis_tls_conn_flags(&c) & DIS_TLS_CF_HS_TOO_BIG);
    dis_tls_conn_free(&c);

    /* a ClientHello whose inner lengths are broken: flagged, no event, stream goes on */
    struct buf s = {0};
    uint8_t *q = patched(ch_senso, sizeof ch_senso, 104, 0xbd);
    buf_hs_record(&s, DIS_TLS_HS_CLIENT_HELLO, q, sizeof ch_senso);
    buf_record(&s, DIS_TLS_CT_ALERT, 0x0303, "\x02\x28", 2);
    buf_record(&s, DIS_TLS_CT_ALERT, 0x0303, NULL, 0);
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 0, s.p, s.len, on_event, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_ALERT);
    assert_true(dis_tls_conn_flags(&c) & DIS_TLS_CF_BAD_HELLO);
    assert_true(dis_tls_conn_flags(&c) & DIS_TLS_CF_EMPTY_RECORD);
    dis_tls_conn_free(&c);
    free(q);
    free(s.p);

    /* a Certificate with a broken list: flagged */
    static const uint8_t bad_cert[] = {0x16, 0x03, 0x03, 0x00, 0x0a, 0x0b, 0x00, 0x00,
                                       0x06, 0x00, 0x00, 0x03, 0x00, 0x00, 0x09};
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 1, bad_cert, sizeof bad_cert, on_event, &r), DIS_OK);
    assert_int_equal(r.n, 0);
    assert_true(dis_tls_conn_flags(&c) & DIS_TLS_CF_BAD_CERT);
    dis_tls_conn_free(&c);

    /* the other direction establishes while this one is inside a handshake message: its
     * buffer must survive (fuzzer finding) */
    struct buf m = {0}, part1 = {0}, part2 = {0}, app = {0};
    buf_hs(&m, DIS_TLS_HS_SERVER_HELLO, sh_12, sizeof sh_12);
    buf_record(&part1, DIS_TLS_CT_HANDSHAKE, 0x0303, m.p, 50);
    buf_record(&part2, DIS_TLS_CT_HANDSHAKE, 0x0303, m.p + 50, m.len - 50);
    buf_record(&app, DIS_TLS_CT_APPLICATION_DATA, 0x0303, sh_12, 30);
    memset(&r, 0, sizeof r);
    dis_tls_conn_init(&c);
    assert_int_equal(dis_tls_conn_feed(&c, 1, part1.p, part1.len, on_event, &r), DIS_OK);
    assert_int_equal(dis_tls_conn_feed(&c, 0, app.p, app.len, on_event, &r), DIS_OK);
    assert_int_equal(dis_tls_conn_feed(&c, 1, part2.p, part2.len, on_event, &r), DIS_OK);
    assert_string_equal(ev_seq(&r), E_APP E_EST E_SH);
    assert_int_equal(r.sh[0].cipher, 0xc02f);
    dis_tls_conn_free(&c);
    free(m.p);
    free(part1.p);
    free(part2.p);
    free(app.p);

    /* DTLS: a fragment longer than its record; a record longer than the datagram */
    static const uint8_t dover[] = {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13,
                                    0x01, 0,    0,    9, 0, 0, 0, 0, 0, 0, 0, 9, 0};
    static const uint8_t dshort[] = {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 1, 2};
    assert_int_equal(dis_dtls_parse(dover, sizeof dover, 0, on_event, &r, NULL), DIS_MALFORMED);
    assert_int_equal(dis_dtls_parse(dshort, sizeof dshort, 0, on_event, &r, NULL), DIS_TRUNCATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_hello_fields),
        cmocka_unit_test(test_ja4_foxio_example),
        cmocka_unit_test(test_ja4_rules),
        cmocka_unit_test(test_server_hello_12),
        cmocka_unit_test(test_server_hello_13),
        cmocka_unit_test(test_server_hello_draft),
        cmocka_unit_test(test_hello_retry_request),
        cmocka_unit_test(test_stream_tls12),
        cmocka_unit_test(test_stream_tls13),
        cmocka_unit_test(test_split_records_bytewise),
        cmocka_unit_test(test_certificate_chain),
        cmocka_unit_test(test_alert),
        cmocka_unit_test(test_dtls),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_malformed_hellos),
        cmocka_unit_test(test_malformed_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
