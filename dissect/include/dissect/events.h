/* SPDX-License-Identifier: MIT */
/*
 * events.h - what the dissectors report: STUN/TURN and DNS messages while flows are running,
 * HTTP CONNECT exchanges as they complete, and one TLS summary per TLS flow when it ends.
 */
#ifndef DIS_EVENTS_H
#define DIS_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "dissect/decode.h"
#include "dissect/dns.h"
#include "dissect/http_connect.h"
#include "dissect/stun.h"
#include "dissect/tls.h"

/** Kinds of event. */
enum dis_event_kind {
    DIS_EV_STUN = 1,     /**< one STUN/TURN message (u.stun) */
    DIS_EV_DNS,          /**< one DNS query or response (u.dns) */
    DIS_EV_TLS,          /**< the TLS summary of a flow that ended (u.tls) */
    DIS_EV_HTTP_CONNECT, /**< one CONNECT request and the proxy's response (u.connect) */
};

/** The bit of event kind @p k in dis_engine_opts.event_kinds. */
#define DIS_EV_BIT(k) (1u << (unsigned)(k))

/** Every kind: what an event callback receives unless told otherwise. */
#define DIS_EV_KINDS_ALL                                                                           \
    (DIS_EV_BIT(DIS_EV_STUN) | DIS_EV_BIT(DIS_EV_DNS) | DIS_EV_BIT(DIS_EV_TLS) |                   \
     DIS_EV_BIT(DIS_EV_HTTP_CONNECT))

/** The explicit proxy whose tunnel carried a TLS connection (dis_tls_summary.proxy_kind). */
enum dis_tls_proxy {
    DIS_TLS_PROXY_NONE = 0, /**< not tunnelled */
    DIS_TLS_PROXY_HTTP,     /**< HTTP CONNECT (RFC 9110 §9.3.6) */
    DIS_TLS_PROXY_SOCKS5,   /**< SOCKS5 CONNECT (RFC 1928) */
    DIS_TLS_PROXY_SOCKS4,   /**< SOCKS4 or SOCKS4a CONNECT */
};

/** The verdict on a TLS server's certificate chain (dis_tls_summary.chain). */
enum dis_tls_chain {
    DIS_TLS_CHAIN_UNKNOWN = 0, /**< not verified: no trust store given, or no certificate seen
                                    (TLS 1.3 encrypts it; a stream picked up late) */
    DIS_TLS_CHAIN_VALID,       /**< verified: trust, validity period and host name (the SNI) */
    DIS_TLS_CHAIN_INVALID,     /**< did not verify: @c verify says why */
    DIS_TLS_CHAIN_ERROR        /**< verification could not run (unreadable certificate) */
};

/** A TLS alert as the summary keeps it. */
struct dis_tls_alert_info {
    bool seen;
    bool encrypted;          /**< level and description unreadable (both 0) */
    bool from_client;        /**< sent by the TLS client (else by the server) */
    bool before_established; /**< sent before the handshake completed */
    uint8_t level;           /**< 1 warning, 2 fatal (0 when encrypted) */
    uint8_t desc;            /**< AlertDescription (RFC 8446 §6) */
    uint64_t ts_ns;
};

/**
 * What one TLS connection (over TCP, possibly inside an HTTP CONNECT tunnel) showed in clear:
 * hellos, fingerprints, the server's certificate chain (TLS <= 1.2), alerts and progress. Over
 * UDP (dis_event.transport 17) the summary is of a QUIC client Initial's ClientHello (JA4 "q";
 * no ServerHello, certificates or progress) or of DTLS 1.0/1.2 hellos (JA4 "d"; alerts and
 * application data counted; no certificates), told apart by the client version or the JA4.
 * Times are capture times in ns, 0 when the thing was not seen. String pointers are never NULL
 * ("" when absent) and point to bounded, NUL-terminated copies. Everything is owned by the
 * engine and borrowed by the DIS_EV_TLS callback, for the call only.
 */
struct dis_tls_summary {
    /* ClientHello (the first one; a second after a HelloRetryRequest is counted) */
    bool has_client_hello;
    uint32_t client_hellos;      /**< ClientHellos seen (2 after a HelloRetryRequest) */
    uint64_t client_hello_ns;    /**< time of the first ClientHello */
    const char *sni;             /**< server_name host name */
    uint16_t client_version;     /**< legacy_version of the ClientHello */
    uint16_t client_max_version; /**< highest version offered (dis_tls_client_max_version) */
    uint8_t n_alpn;              /**< ALPN names offered, in @c alpn */
    const char *alpn[DIS_TLS_MAX_ALPN];
    const char *ja3;                    /**< JA3 string */
    char ja3_md5[DIS_TLS_MD5_HEX_SIZE]; /**< its MD5 */
    char ja4[DIS_TLS_JA4_SIZE];         /**< JA4 */
    uint32_t client_hello_flags;        /**< DIS_TLS_HF_* of the ClientHello */

    /* ServerHello (the one after a HelloRetryRequest, when there was one) */
    bool has_server_hello;
    uint64_t server_hello_ns;
    uint16_t server_version;             /**< legacy_version of the ServerHello */
    uint16_t selected_version;           /**< the negotiated version */
    uint16_t cipher;                     /**< selected cipher suite */
    const char *server_alpn;             /**< selected ALPN protocol */
    const char *ja3s;                    /**< JA3S string */
    char ja3s_md5[DIS_TLS_MD5_HEX_SIZE]; /**< its MD5 */
    bool hrr;                            /**< a HelloRetryRequest was seen */

    /* progress */
    bool established; /**< the handshake completed (see DIS_TLS_EV_ESTABLISHED) */
    uint64_t established_ns;
    uint64_t client_appdata_ns; /**< first application_data record from the client */
    uint64_t server_appdata_ns; /**< ... from the server (TLS 1.3: its encrypted flight) */

    /* alerts */
    uint32_t alerts;                 /**< alert records seen, both sides, encrypted included */
    struct dis_tls_alert_info alert; /**< the first fatal one: a plaintext level-2 alert, or an
                                          encrypted alert before the handshake completed */

    /* the server's certificate chain (TLS <= 1.2; leaf first, as sent) */
    uint8_t n_certs;      /**< entries in @c certs (at most DIS_TLS_MAX_CERTS) */
    uint16_t certs_total; /**< certificates in the message */
    uint8_t certs_bad;    /**< of n_certs, those dis_tls_cert_info() could not read: their
                               entry holds only the @c sha256 */
    const struct dis_tls_cert_info *certs[DIS_TLS_MAX_CERTS]; /**< decoded once per engine and
                                                                    shared between flows */
    bool client_cert;                    /**< the client sent a certificate (mutual TLS) */
    enum dis_tls_chain chain;            /**< verdict (needs dis_engine_opts.x509_store) */
    struct dis_tls_verify_result verify; /**< details when chain is VALID or INVALID */

    /* explicit proxy: HTTP CONNECT or SOCKS */
    bool in_tunnel;                /**< the TLS ran inside a proxy tunnel on this flow */
    enum dis_tls_proxy proxy_kind; /**< which proxy protocol opened it (NONE when not) */
    const char *proxy_target;      /**< the target host (CONNECT authority; SOCKS domain name
                                        or address text) */
    uint16_t proxy_port;           /**< ... and port */
    uint16_t proxy_status;         /**< what opened the tunnel: HTTP status (200), SOCKS5 REP
                                        (0 succeeded, RFC 1928 §6), SOCKS4 CD (90 granted) */
    uint16_t proxy_first_status;   /**< HTTP: status of the flow's first CONNECT response (407
                                        when a challenge preceded the tunnel); SOCKS: as
                                        proxy_status */

    uint32_t conn_flags; /**< DIS_TLS_CF_* anomalies */
    bool midstream;      /**< a direction was picked up without its SYN */
};

/** One CONNECT exchange (DIS_EV_HTTP_CONNECT): both parsed headers. */
struct dis_http_connect_event {
    const struct dis_http_connect_req *req;   /**< the request */
    const struct dis_http_connect_resp *resp; /**< the proxy's response to it */
};

/**
 * One event. Everything is borrowed for the duration of the callback. @c flow_id is the
 * dis_flow_rec.id of the flow it travelled on, which is stored later, when the flow ends.
 *
 * STUN and DNS: @c src / @c sport are the sender of this message (not necessarily the flow's
 * initiator); @c ts_ns is the time of the packet that completed it. HTTP CONNECT: @c src is
 * the client, @c dst the proxy, @c ts_ns the time of the response. TLS: reported once, when
 * the flow leaves the flow table and before its record; @c src is the TLS client and @c dst
 * the server as the hellos say, @c ts_ns the time of the first ClientHello (of the first TLS
 * record seen when there was none).
 */
struct dis_event {
    enum dis_event_kind kind;
    uint64_t flow_id;
    uint64_t ts_ns;
    uint8_t transport; /**< IP protocol the message came on: 17 UDP, 6 TCP */
    struct dis_addr src, dst;
    uint16_t sport, dport;
    bool inner;       /**< STUN: carried inside ChannelData or a Send/Data indication (relayed);
                           src/dst are then the outer packet's, as for tshark */
    uint16_t channel; /**< STUN inner: the ChannelData channel it came in, 0 if none */
    union {
        const struct dis_stun_msg *stun;
        const struct dis_dns_msg *dns;
        const struct dis_tls_summary *tls;
        const struct dis_http_connect_event *connect;
    } u;
};

/** Receives events; return 0 to go on, negative to stop the engine with that value. */
typedef int (*dis_event_cb)(void *user, const struct dis_event *ev);

#endif
