/* SPDX-License-Identifier: MIT */
/* app_int.h - private: the context the engine hands to the application-layer dissection. */
#ifndef DIS_APP_INT_H
#define DIS_APP_INT_H

#include <stdint.h>

#include "dissect/dns.h"
#include "dissect/dns_map.h"
#include "dissect/engine.h"
#include "dissect/events.h"
#include "dissect/rd.h"
#include "dissect/stun.h"
#include "flow_int.h"

struct cert_cache;

/**
 * One packet's application-layer work: the flow, the packet, and the engine's scratch and
 * settings. Events report @c dir's sender as their source (the flow's endpoints in that
 * direction), at time @c ts.
 */
struct app_ctx {
    struct ft_flow *f;
    const struct dis_pkt *p; /**< the packet; NULL in app_tcp_end() */
    int dir;                 /**< DIS_DIR_* of the bytes being reported */
    uint64_t ts;
    struct dis_engine_stats *st;
    dis_event_cb cb;
    void *user;
    uint32_t ev_kinds; /**< DIS_EV_BIT()s of the kinds the callback receives */
    uint32_t stun_cap;
    uint32_t reasm_cap;       /**< TCP reassembly bytes per direction */
    void *x509_store;         /**< X509_STORE for chain verification, or NULL */
    struct cert_cache *certs; /**< decoded certificates, shared (cert_cache.c) */
    struct dis_dns_map *dns_map;
    struct dis_stun_msg *outer, *inner; /**< scratch, owned by the engine */
    struct dis_dns_msg *dns;            /**< scratch, owned by the engine */
};

/** Dissects the UDP payload of a->p. Returns 0, or a callback's negative value. */
int app_udp(struct app_ctx *a);

/**
 * Dissects the TCP segment a->p of direction a->dir (after ft_tcp_update()): reassembles the
 * start of each direction, decides the stream's kind from its first bytes (TLS, HTTP CONNECT,
 * STUN/TURN, DNS; anything else is given up at once) and reports what it parses. Allocates the
 * flow's state at the first payload that needs it, never per packet. Returns 0, or a
 * callback's negative value.
 */
int app_tcp(struct app_ctx *a);

/** Where a TCP flow's host name can come from, in DESIGN.md's order of precedence. */
enum app_name_src { APP_NAME_SNI = 1, APP_NAME_CONNECT, APP_NAME_CERT };

/** The TCP flow's name from @p src ("" or NULL when it has none). Borrowed from the state. */
const char *app_tcp_name(const struct ft_flow *f, enum app_name_src src, char *buf, size_t size);

/**
 * The TCP flow leaves the table: reports its TLS summary (DIS_EV_TLS) if it had one and frees
 * its state. Call before the flow record is handed on; a->p is NULL. Always frees; returns 0 or
 * the callback's negative value.
 */
int app_tcp_end(struct app_ctx *a);

/* ---- shared by UDP and TCP (app_report.c) ---- */

/** The first byte of @p n bytes at @p p (0 when there are none), read through the reader. */
uint8_t app_first_byte(const uint8_t *p, size_t n);

/** Hands @p ev to the callback if there is one and it takes this kind; returns its value. */
int app_emit(const struct app_ctx *a, const struct dis_event *ev);

/** Fills the common part of an event: flow, time, transport and a->dir's endpoints. */
void app_event_init(const struct app_ctx *a, struct dis_event *ev, enum dis_event_kind kind);

/**
 * Parses one STUN message at @p p (@p caplen captured of @p len; @p t DGRAM: it fills the
 * datagram, or one stream frame) and reports it, with the STUN carried in its DATA attribute.
 * Returns 1 when it was STUN, 0 when not, negative when a callback stopped.
 */
int app_stun(struct app_ctx *a, const uint8_t *p, size_t caplen, size_t len,
             enum dis_stun_transport t);

/** Counts one ChannelData message and reports the STUN it relays. Returns 0 or negative. */
int app_channeldata(struct app_ctx *a, const struct dis_channeldata *cd);

/**
 * Parses one DNS message (a UDP payload, or a TCP frame without its length), reports it and
 * feeds a response to the address -> name map. Returns 1 when it was DNS, 0 when not,
 * negative when a callback stopped.
 */
int app_dns(struct app_ctx *a, const uint8_t *p, size_t caplen, size_t len);

/* ---- the TLS summary, shared by TCP and UDP (app_tls.c) ---- */

/** Points the summary's strings at "" (a zeroed summary's pointers are NULL). */
void app_tls_summary_init(struct dis_tls_summary *m);

/**
 * Counts a ClientHello into @p m and, for the first one, copies its fields, JA3 and JA4 (seen
 * at @p ts). Its strings (SNI, JA3, ALPN names) go into one exact-size allocation stored in
 * @p strs, which the caller frees with the summary; they stay "" when out of memory.
 */
void app_tls_client_hello(struct dis_tls_summary *m, char **strs,
                          const struct dis_tls_client_hello *ch, uint64_t ts);

/** As app_tls_client_hello() for the first ServerHello (a HelloRetryRequest sets hrr only). */
void app_tls_server_hello(struct dis_tls_summary *m, char **strs,
                          const struct dis_tls_server_hello *sh, uint64_t ts);

/**
 * Reports @p m as DIS_EV_TLS (the flow's transport, a->dir's sender as the client, at a->ts)
 * and counts it. Returns 0 or the callback's negative value.
 */
int app_tls_emit(struct app_ctx *a, const struct dis_tls_summary *m);

/* ---- UDP application state (app_udp.c) ---- */

/** The UDP flow's TLS SNI (QUIC), or NULL. Borrowed from the flow's state. */
const char *app_udp_name(const struct ft_flow *f);

/**
 * The UDP flow leaves the table: reports its TLS summary (QUIC or DTLS) if it had one and frees
 * its state. a->p is NULL. Always frees; returns 0 or the callback's negative value.
 */
int app_udp_end(struct app_ctx *a);

#endif
