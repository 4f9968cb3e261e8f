/* SPDX-License-Identifier: MIT */
/*
 * tls.h - TLS and DTLS 1.2 handshake observation: the record layer, hellos, certificates and
 * alerts (RFC 5246, RFC 8446, RFC 6347), JA3/JA3S/JA4 fingerprints and X.509 chain checks.
 * Pure: bytes in, events out; no I/O. Certificates are verified against an X509_STORE that
 * the caller loaded.
 */
#ifndef DIS_TLS_H
#define DIS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/status.h"
#include "ss/common.h"

/* OpenSSL's X509_STORE, declared here so that this header does not pull in OpenSSL. */
struct x509_store_st;

/* ---- limits (STYLE.md §11): values beyond them are counted, not stored ---- */

#define DIS_TLS_MAX_CIPHERS 128     /**< cipher suites kept per ClientHello */
#define DIS_TLS_MAX_EXTS 64         /**< extension types kept per hello */
#define DIS_TLS_MAX_GROUPS 32       /**< supported_groups entries kept */
#define DIS_TLS_MAX_POINT_FORMATS 8 /**< ec_point_formats entries kept */
#define DIS_TLS_MAX_SIG_ALGS 48     /**< signature_algorithms entries kept */
#define DIS_TLS_MAX_VERSIONS 16     /**< supported_versions entries kept */
#define DIS_TLS_MAX_ALPN 8          /**< ALPN protocol names kept */
#define DIS_TLS_ALPN_SIZE 48        /**< bytes per kept ALPN name, NUL included */
#define DIS_TLS_SNI_SIZE 256        /**< bytes for the SNI host name, NUL included */
#define DIS_TLS_MAX_CERTS 10        /**< certificates kept per Certificate message */
#define DIS_TLS_HS_MAX 65536        /**< largest handshake message collected across records */
#define DIS_TLS_RECORD_MAX 18432    /**< largest record payload: 2^14 + 2048 (RFC 5246 §6.2.3) */
#define DIS_TLS_JA3_SIZE 1536       /**< buffer for a JA3 or JA3S string (fits the limits) */
#define DIS_TLS_MD5_HEX_SIZE 33     /**< 32 hex digits + NUL */
#define DIS_TLS_JA4_SIZE 37         /**< "t13d1516h2_8daaf6152771_e5627efa2ab1" + NUL */
#define DIS_TLS_JA4_RAW_SIZE 2048   /**< buffer for the raw (unhashed) JA4_r string */
#define DIS_TLS_SHA256_HEX_SIZE 65  /**< 64 hex digits + NUL */
#define DIS_TLS_NAME_SIZE 512       /**< subject / issuer one-line strings */
#define DIS_TLS_MAX_SANS 16         /**< subjectAltName entries kept per certificate */
#define DIS_TLS_SAN_SIZE 256        /**< bytes per kept SAN, NUL included */
#define DIS_TLS_VERIFY_STR_SIZE 128 /**< OpenSSL verify error string */

/* ---- protocol constants ---- */

/** Record content types (RFC 8446 §5.1). */
enum {
    DIS_TLS_CT_CHANGE_CIPHER_SPEC = 20,
    DIS_TLS_CT_ALERT = 21,
    DIS_TLS_CT_HANDSHAKE = 22,
    DIS_TLS_CT_APPLICATION_DATA = 23,
    DIS_TLS_CT_HEARTBEAT = 24,
};

/** Handshake message types used here (RFC 8446 §4, RFC 6347 §4.2.2). */
enum {
    DIS_TLS_HS_CLIENT_HELLO = 1,
    DIS_TLS_HS_SERVER_HELLO = 2,
    DIS_TLS_HS_HELLO_VERIFY_REQUEST = 3,
    DIS_TLS_HS_CERTIFICATE = 11,
};

/** Protocol versions as they appear on the wire. */
enum {
    DIS_TLS_V_SSL3 = 0x0300,
    DIS_TLS_V_TLS10 = 0x0301,
    DIS_TLS_V_TLS11 = 0x0302,
    DIS_TLS_V_TLS12 = 0x0303,
    DIS_TLS_V_TLS13 = 0x0304,
    DIS_TLS_V_DTLS10 = 0xfeff,
    DIS_TLS_V_DTLS12 = 0xfefd,
    DIS_TLS_V_DTLS13 = 0xfefc,
};

/** Extension types used here (IANA TLS ExtensionType Values). */
enum {
    DIS_TLS_EXT_SERVER_NAME = 0x0000,
    DIS_TLS_EXT_SUPPORTED_GROUPS = 0x000a,
    DIS_TLS_EXT_EC_POINT_FORMATS = 0x000b,
    DIS_TLS_EXT_SIGNATURE_ALGORITHMS = 0x000d,
    DIS_TLS_EXT_ALPN = 0x0010,
    DIS_TLS_EXT_SUPPORTED_VERSIONS = 0x002b,
    DIS_TLS_EXT_KEY_SHARE = 0x0033,
};

/** Hello anomalies (dis_tls_client_hello.flags, dis_tls_server_hello.flags). */
enum {
    DIS_TLS_HF_LIST_CUT = 1u << 0, /**< a list was longer than its DIS_TLS_MAX_* limit */
    DIS_TLS_HF_BAD_EXT = 1u << 1,  /**< a known extension's body contradicts its length */
    DIS_TLS_HF_DUP_EXT = 1u << 2,  /**< an extension type appeared twice (RFC 8446 §4.2) */
    DIS_TLS_HF_SNI_CUT = 1u << 3,  /**< the SNI was longer than DIS_TLS_SNI_SIZE - 1 */
    DIS_TLS_HF_SNI_ODD = 1u << 4,  /**< the SNI had bytes outside 0x21-0x7e (shown as '?') */
    DIS_TLS_HF_NO_EXTS = 1u << 5,  /**< no extensions block at all (SSL 3.0 style hello) */
    DIS_TLS_HF_ALPN_CUT = 1u << 6, /**< an ALPN name was cut or ALPN names were dropped */
};

/** Connection anomalies (dis_tls_conn_flags()). */
enum {
    DIS_TLS_CF_HS_TOO_BIG = 1u << 0,    /**< a handshake message exceeded DIS_TLS_HS_MAX */
    DIS_TLS_CF_BAD_HELLO = 1u << 1,     /**< a hello could not be parsed (no event for it) */
    DIS_TLS_CF_BAD_CERT = 1u << 2,      /**< a Certificate message could not be parsed */
    DIS_TLS_CF_CERTS_CUT = 1u << 3,     /**< more than DIS_TLS_MAX_CERTS certificates */
    DIS_TLS_CF_BAD_ALERT = 1u << 4,     /**< a plaintext alert record of odd length */
    DIS_TLS_CF_EMPTY_RECORD = 1u << 5,  /**< a zero-length handshake/alert/CCS record */
    DIS_TLS_CF_OOM = 1u << 6,           /**< the handshake buffer could not be allocated */
    DIS_TLS_CF_DTLS_FRAGMENT = 1u << 7, /**< a fragmented DTLS handshake message (skipped) */
};

/* ---- parsed messages (owning copies, bounded) ---- */

/**
 * A ClientHello (RFC 8446 §4.1.2; DTLS: RFC 6347 §4.2.1). Lists keep wire order and GREASE
 * values (RFC 8701); the fingerprint functions drop GREASE. A list longer than its limit keeps
 * its first entries and sets DIS_TLS_HF_LIST_CUT.
 */
struct dis_tls_client_hello {
    bool dtls;               /**< parsed from a DTLS handshake (has a cookie) */
    bool quic;               /**< set by the caller for a hello from QUIC CRYPTO frames (JA4 "q") */
    uint16_t legacy_version; /**< client_version / legacy_version field */
    uint8_t random[32];      /**< client random */
    uint8_t session_id_len;  /**< 0..32 */
    uint8_t cookie_len;      /**< DTLS only */
    uint8_t n_compressions;  /**< compression methods offered */
    uint16_t ciphers[DIS_TLS_MAX_CIPHERS]; /**< cipher suites, wire order */
    uint16_t n_ciphers;
    uint16_t exts[DIS_TLS_MAX_EXTS]; /**< extension types, wire order */
    uint16_t n_exts;
    uint16_t groups[DIS_TLS_MAX_GROUPS]; /**< supported_groups */
    uint16_t n_groups;
    uint8_t point_formats[DIS_TLS_MAX_POINT_FORMATS]; /**< ec_point_formats */
    uint16_t n_point_formats;
    uint16_t sig_algs[DIS_TLS_MAX_SIG_ALGS]; /**< signature_algorithms, wire order */
    uint16_t n_sig_algs;
    uint16_t versions[DIS_TLS_MAX_VERSIONS]; /**< supported_versions, wire order */
    uint16_t n_versions;
    bool has_sni;               /**< a server_name extension was present */
    char sni[DIS_TLS_SNI_SIZE]; /**< first host_name, NUL-terminated ("" if none) */
    bool has_alpn;              /**< an ALPN extension was present */
    uint16_t n_alpn;            /**< names kept in @c alpn */
    char alpn[DIS_TLS_MAX_ALPN][DIS_TLS_ALPN_SIZE]; /**< ALPN names (odd bytes shown as '?') */
    uint8_t alpn0_len;   /**< length of the first ALPN name on the wire (0: none or empty) */
    uint8_t alpn0_first; /**< first byte of the first ALPN name, raw (for JA4) */
    uint8_t alpn0_last;  /**< last byte of the first ALPN name, raw (for JA4) */
    uint32_t flags;      /**< DIS_TLS_HF_* */
};

/** The 32-byte random that marks a HelloRetryRequest (RFC 8446 §4.1.3). */
extern const uint8_t dis_tls_hrr_random[32];

/**
 * A ServerHello or HelloRetryRequest (RFC 8446 §4.1.3). @c selected_version is the
 * supported_versions value when present, else @c legacy_version. TLS 1.3 drafts before -22
 * (version 0x7fXX, no session id or compression) are read too; they count as TLS 1.3.
 */
struct dis_tls_server_hello {
    bool dtls;                 /**< parsed from a DTLS handshake */
    bool hrr;                  /**< a HelloRetryRequest (its random is dis_tls_hrr_random) */
    uint16_t legacy_version;   /**< server_version / legacy_version field */
    uint16_t selected_version; /**< negotiated version */
    uint8_t random[32];
    uint8_t session_id_len;
    uint16_t cipher;                 /**< selected cipher suite */
    uint8_t compression;             /**< selected compression method */
    uint16_t exts[DIS_TLS_MAX_EXTS]; /**< extension types, wire order */
    uint16_t n_exts;
    uint16_t key_share_group;     /**< key_share group (HRR: the requested one), 0 if absent */
    char alpn[DIS_TLS_ALPN_SIZE]; /**< selected ALPN protocol, "" if none */
    uint32_t flags;               /**< DIS_TLS_HF_* */
};

/** A borrowed view of one DER certificate. */
struct dis_tls_der {
    const uint8_t *p; /**< first byte; borrowed (see the event that carries it) */
    size_t len;
};

/** The certificate_list of a TLS <= 1.2 / DTLS Certificate message (RFC 5246 §7.4.2). */
struct dis_tls_cert_list {
    struct dis_tls_der cert[DIS_TLS_MAX_CERTS]; /**< leaf first, as sent */
    size_t n;                                   /**< views kept */
    size_t total; /**< certificates in the message (n < total: DIS_TLS_CF_CERTS_CUT) */
};

/* ---- events ---- */

/** What an event reports. */
enum dis_tls_event_type {
    DIS_TLS_EV_CLIENT_HELLO = 1, /**< @c ch */
    DIS_TLS_EV_SERVER_HELLO,     /**< @c sh (also a HelloRetryRequest: sh->hrr) */
    DIS_TLS_EV_CERTIFICATE,      /**< @c certs */
    DIS_TLS_EV_ALERT,            /**< @c alert_level, @c alert_desc, @c encrypted */
    DIS_TLS_EV_CHANGE_CIPHER_SPEC,
    DIS_TLS_EV_APPDATA,     /**< the first application_data record of this direction */
    DIS_TLS_EV_ESTABLISHED, /**< the handshake completed (once per connection) */
};

/**
 * One observation. Everything it points to is borrowed for the duration of the callback only:
 * copy what you keep.
 *
 * DIS_TLS_EV_CERTIFICATE comes from whichever direction sent it: the server's chain, or a
 * client certificate in mutual TLS (the direction that sent the ClientHello). TLS 1.3
 * certificates are encrypted and never reported.
 *
 * DIS_TLS_EV_ALERT with @c encrypted set has unknown level and description (both 0): an alert
 * record after ChangeCipherSpec (TLS 1.2), a short application_data record before the
 * handshake completed in TLS 1.3 (19..24 bytes: an encrypted 2-byte alert), or a DTLS alert
 * with epoch > 0.
 *
 * DIS_TLS_EV_APPDATA reports the first application_data (23) record of a direction. Under
 * TLS 1.3 (@c tls13) that record carries encrypted handshake messages (the server's
 * EncryptedExtensions..Finished, the client's Finished), not application data yet.
 *
 * DIS_TLS_EV_ESTABLISHED: TLS <= 1.2, the first application_data record after the
 * ServerHello; TLS 1.3, the client's first encrypted record after the ServerHello that is too
 * long to be an alert (its Finished: the client accepted the server). If the stream was picked
 * up after the hellos, the first application_data record.
 */
struct dis_tls_event {
    enum dis_tls_event_type type;
    int dir;                               /**< the direction fed (DIS_DIR_*) */
    const struct dis_tls_client_hello *ch; /**< DIS_TLS_EV_CLIENT_HELLO */
    const struct dis_tls_server_hello *sh; /**< DIS_TLS_EV_SERVER_HELLO */
    const struct dis_tls_cert_list *certs; /**< DIS_TLS_EV_CERTIFICATE */
    uint8_t alert_level;                   /**< 1 warning, 2 fatal */
    uint8_t alert_desc;                    /**< AlertDescription (RFC 8446 §6) */
    bool encrypted;                        /**< alert content unreadable */
    bool tls13;                            /**< TLS 1.3 was negotiated (when known) */
    size_t rec_len;                        /**< record payload length (APPDATA, ALERT) */
};

/** Receives events; @p ctx is the caller's pointer given to the feeding function. */
typedef void (*dis_tls_event_fn)(void *ctx, const struct dis_tls_event *ev);

/* ---- stream collector (TLS over TCP) ---- */

/** Per-direction collector state. Opaque to callers: use the dis_tls_conn_* functions. */
struct dis_tls_dir {
    uint8_t state;     /* collector state (tls.c) */
    uint8_t status;    /* enum dis_status once the direction stopped */
    uint8_t rec_mode;  /* what the current record's bytes are used for (tls.c) */
    bool started;      /* a record header was accepted */
    bool ccs_seen;     /* a ChangeCipherSpec record was sent */
    bool encrypted;    /* handshake records are encrypted from now on */
    bool hs_off;       /* handshake collection stopped (too big, out of memory) */
    bool appdata_seen; /* DIS_TLS_EV_APPDATA was reported */
    uint8_t hdr[5];    /* record header being assembled */
    uint8_t hdr_have;
    uint8_t alert[2]; /* plaintext alert being assembled */
    uint8_t alert_have;
    uint8_t hs_hdr[4]; /* handshake message header being assembled */
    uint8_t hs_hdr_have;
    uint16_t rec_len;    /* current record's payload length */
    uint16_t rec_left;   /* payload bytes of the current record still to come */
    uint32_t hs_msg_len; /* body length of the message being collected */
    uint32_t hs_have;    /* body bytes collected */
    uint8_t *hs;         /* owned body buffer (malloc, <= DIS_TLS_HS_MAX), made lazily */
    uint32_t hs_cap;
};

/**
 * A TLS connection seen from the wire: one collector per direction plus what one direction
 * tells about the other (the negotiated version, who is the client). Initialise with
 * dis_tls_conn_init(), release with dis_tls_conn_free(). Not thread-safe; one owner.
 */
struct dis_tls_conn {
    struct dis_tls_dir dir[2];
    uint16_t version;  /* selected version of the ServerHello (not an HRR), 0 until seen */
    int8_t client_dir; /* direction that sent a ClientHello, -1 until known */
    int8_t server_dir; /* direction that sent a ServerHello or HRR, -1 until known */
    bool hrr;          /* a HelloRetryRequest was seen */
    bool established;  /* DIS_TLS_EV_ESTABLISHED was reported */
    uint32_t flags;    /* DIS_TLS_CF_* */
};

/** Initialises @p c (no allocation). */
void dis_tls_conn_init(struct dis_tls_conn *c);

/** Frees what @p c owns (the handshake buffers); @p c can be initialised again. */
void dis_tls_conn_free(struct dis_tls_conn *c);

/**
 * Feeds @p len in-order stream bytes of direction @p dir (0 or 1) and calls @p cb for each
 * event found, before returning. Bytes are borrowed for the call. Records and handshake
 * messages may be split anywhere across calls; a handshake message up to DIS_TLS_HS_MAX
 * bytes is collected across records, a larger one sets DIS_TLS_CF_HS_TOO_BIG and ends
 * handshake parsing in that direction (records are still walked).
 *
 * Returns DIS_OK while the direction looks like TLS; DIS_NOT_MINE if its first record header
 * is not TLS; DIS_MALFORMED if a later record header is impossible (bad type, version or
 * length). After a non-OK return the direction is stopped and returns the same status.
 * @p cb may be NULL.
 */
enum dis_status dis_tls_conn_feed(struct dis_tls_conn *c, int dir, const uint8_t *data, size_t len,
                                  dis_tls_event_fn cb, void *ctx);

/** DIS_TLS_CF_* anomalies seen so far. */
uint32_t dis_tls_conn_flags(const struct dis_tls_conn *c);

/**
 * Whether @p len bytes at @p p start like a TLS stream: a handshake record (type 22, version
 * 3.x, length 1..DIS_TLS_RECORD_MAX) whose first message is a ClientHello or ServerHello.
 * Returns DIS_OK, DIS_NEED_MORE (consistent so far but fewer than 6 bytes), or DIS_NOT_MINE.
 */
enum dis_status dis_tls_probe(const uint8_t *p, size_t len);

/* ---- DTLS (one datagram at a time) ---- */

/**
 * Whether a UDP payload starts like DTLS 1.0/1.2 (RFC 7983 first byte 20..63, then a record
 * header with version 0xfeff or 0xfefd). Returns DIS_OK or DIS_NOT_MINE.
 */
enum dis_status dis_dtls_probe(const uint8_t *p, size_t len);

/**
 * Walks the DTLS 1.0/1.2 records of one datagram (RFC 6347 §4.1) and reports unfragmented
 * ClientHello, ServerHello and Certificate messages, plaintext (epoch 0) and encrypted alerts,
 * ChangeCipherSpec and application_data records (APPDATA for every such record: datagrams
 * carry no stream state). @p dir is copied into the events. @p flags (may be NULL) receives
 * DIS_TLS_CF_* anomalies.
 *
 * Returns DIS_OK when every record was walked, DIS_NOT_MINE if the first record is not DTLS,
 * DIS_TRUNCATED if the last record is cut short, DIS_MALFORMED on an impossible record.
 */
enum dis_status dis_dtls_parse(const uint8_t *p, size_t len, int dir, dis_tls_event_fn cb,
                               void *ctx, uint32_t *flags);

/* ---- message parsers (bodies after the handshake header) ---- */

/**
 * Parses a ClientHello body (after the 4-byte TLS or 12-byte DTLS handshake header; @p dtls
 * selects the cookie field) into @p out. Returns DIS_OK, DIS_TRUNCATED when the body ends
 * early, or DIS_MALFORMED when a length contradicts its block (@p out is then unspecified).
 */
SS_MUST_CHECK enum dis_status dis_tls_parse_client_hello(const uint8_t *body, size_t len, bool dtls,
                                                         struct dis_tls_client_hello *out);

/** Parses a ServerHello / HelloRetryRequest body; returns as dis_tls_parse_client_hello(). */
SS_MUST_CHECK enum dis_status dis_tls_parse_server_hello(const uint8_t *body, size_t len, bool dtls,
                                                         struct dis_tls_server_hello *out);

/**
 * Parses a TLS <= 1.2 Certificate body into borrowed views into @p body. Returns DIS_OK,
 * DIS_TRUNCATED or DIS_MALFORMED. More than DIS_TLS_MAX_CERTS certificates: the first ones
 * are kept, @c total counts all.
 */
SS_MUST_CHECK enum dis_status dis_tls_parse_certificate(const uint8_t *body, size_t len,
                                                        struct dis_tls_cert_list *out);

/**
 * The highest version a ClientHello offers: the highest non-GREASE supported_versions entry
 * (DTLS versions count downwards), else legacy_version.
 */
uint16_t dis_tls_client_max_version(const struct dis_tls_client_hello *ch);

/** "1.0".."1.3", "ssl3", "dtls1.0", "dtls1.2", "dtls1.3", or NULL for other values. */
const char *dis_tls_version_name(uint16_t v);

/** Non-zero for a GREASE value (RFC 8701: 0x0a0a, 0x1a1a, .., 0xfafa). */
int dis_tls_is_grease(uint16_t v);

/* ---- fingerprints (ja.c) ---- */

/**
 * JA3 of a ClientHello: "version,ciphers,extensions,groups,point_formats" in decimal, '-'
 * joined, GREASE removed, into @p str (DIS_TLS_JA3_SIZE bytes suffice), and its MD5 as lower
 * case hex into @p md5 (may be NULL). Returns 0, or -1 if @p str is too small or MD5 is
 * unavailable.
 */
SS_MUST_CHECK int dis_tls_ja3(const struct dis_tls_client_hello *ch, char *str, size_t size,
                              char md5[DIS_TLS_MD5_HEX_SIZE]);

/** JA3S of a ServerHello: "version,cipher,extensions"; as dis_tls_ja3(). */
SS_MUST_CHECK int dis_tls_ja3s(const struct dis_tls_server_hello *sh, char *str, size_t size,
                               char md5[DIS_TLS_MD5_HEX_SIZE]);

/**
 * JA4 (FoxIO, client side only; BSD-3-Clause) of a ClientHello: "t13d1516h2_<12 hex>_<12
 * hex>", with 'q' as the first character for QUIC (@c quic), 'd' for DTLS. Returns 0, or -1 if
 * SHA-256 failed.
 */
SS_MUST_CHECK int dis_tls_ja4(const struct dis_tls_client_hello *ch, char out[DIS_TLS_JA4_SIZE]);

/**
 * JA4_r, the unhashed form: "<a>_<sorted ciphers>_<sorted extensions>_<sig algs>", into
 * @p str (DIS_TLS_JA4_RAW_SIZE bytes suffice). Returns 0, or -1 if @p str is too small.
 */
SS_MUST_CHECK int dis_tls_ja4_raw(const struct dis_tls_client_hello *ch, char *str, size_t size);

/* ---- certificates (x509.c, OpenSSL) ---- */

/** subjectAltName kinds kept. */
enum dis_tls_san_kind { DIS_TLS_SAN_DNS = 1, DIS_TLS_SAN_IP = 2 };

/** What is read from one certificate. Strings are NUL-terminated, cut to their buffers. */
struct dis_tls_cert_info {
    char subject[DIS_TLS_NAME_SIZE];      /**< RFC 2253 one-line, UTF-8 */
    char issuer[DIS_TLS_NAME_SIZE];       /**< RFC 2253 one-line, UTF-8 */
    int64_t not_before;                   /**< epoch seconds */
    int64_t not_after;                    /**< epoch seconds */
    char sha256[DIS_TLS_SHA256_HEX_SIZE]; /**< SHA-256 of the DER, lower case hex */
    size_t n_san;                         /**< SANs kept */
    size_t total_san;                     /**< DNS and IP SANs in the certificate */
    struct {
        enum dis_tls_san_kind kind;
        char name[DIS_TLS_SAN_SIZE]; /**< DNS name, or IPv4/IPv6 text */
    } san[DIS_TLS_MAX_SANS];
    bool self_issued; /**< subject equals issuer */
};

/**
 * Decodes one DER certificate with OpenSSL into @p out. Returns 0, or -1 if the bytes are not
 * exactly one certificate (trailing bytes included) or a field could not be converted.
 */
SS_MUST_CHECK int dis_tls_cert_info(const uint8_t *der, size_t len, struct dis_tls_cert_info *out);

/** Outcome of dis_tls_verify_chain(). */
struct dis_tls_verify_result {
    bool ok;                              /**< the chain verified, host name and time included */
    int error;                            /**< OpenSSL X509_V_* code (X509_V_OK when ok) */
    int depth;                            /**< chain depth at which the error was found */
    char errstr[DIS_TLS_VERIFY_STR_SIZE]; /**< X509_verify_cert_error_string() */
};

/**
 * Verifies @p chain (leaf first; the others are untrusted intermediates) against @p store for
 * TLS server use (purpose sslserver), at the time @p when (epoch seconds; the capture time;
 * 0 or less skips the validity-period check, for captures without a real clock), for @p host
 * (the SNI; NULL, "" or an address literal skips the name check). The caller loads @p store (system
 * trust store plus any user bundle); it is only read, so it may be shared between threads.
 *
 * Returns 0 when verification ran (the verdict is in @p out), or -1 when it could not (no
 * certificate, an unparseable one, out of memory; @p out->errstr says which).
 */
SS_MUST_CHECK int dis_tls_verify_chain(struct x509_store_st *store,
                                       const struct dis_tls_cert_list *chain, const char *host,
                                       int64_t when, struct dis_tls_verify_result *out);

#endif
