/* SPDX-License-Identifier: MIT */
/* engine.h - the dissect stage: frames in, flow records (and later events) out, no I/O. */
#ifndef DIS_ENGINE_H
#define DIS_ENGINE_H

#include <stdint.h>

#include "dissect/decode.h"
#include "dissect/events.h"
#include "dissect/flow.h"
#include "ss/common.h"

/** Tunables; dis_engine_defaults() fills the documented defaults. Times are seconds. */
struct dis_engine_opts {
    uint32_t max_flows;        /**< flows held at once; the longest-idle is evicted (500000) */
    uint32_t tcp_est_timeout;  /**< idle timeout of an established TCP flow (300) */
    uint32_t tcp_timeout;      /**< TCP not (or no longer) established (30) */
    uint32_t udp_timeout;      /**< UDP (120) */
    uint32_t other_timeout;    /**< ICMP and other protocols (60) */
    uint32_t ndpi_max_packets; /**< packets per flow given to nDPI before giving up (24) */
    int use_ndpi;              /**< 1 to classify with nDPI (default when built with it) */
    uint32_t stun_per_flow;    /**< STUN messages reported per flow; the rest are counted (1000) */
    uint32_t dns_map_size;     /**< (client, address) -> name pairs remembered (16384) */
    uint32_t tcp_reasm_cap;    /**< bytes reassembled per TCP direction for the content
                                    dissectors (TLS, STUN/TURN, DNS, HTTP CONNECT), 256 at
                                    least (32768) */
    uint32_t event_kinds;      /**< DIS_EV_BIT()s of the event kinds the event callback gets
                                    (DIS_EV_KINDS_ALL) */
    void *x509_store;          /**< OpenSSL X509_STORE to verify TLS server chains against,
                                    borrowed (must outlive the engine; only read, so it may be
                                    shared between engines); NULL: chains are not verified */
};

/** Counters of everything the engine saw; cumulative over the engine's life. */
struct dis_engine_stats {
    uint64_t frames, frame_bytes; /**< frames given to the engine, their wire bytes */
    uint64_t ip_packets;          /**< frames that decoded to IP */
    uint64_t non_ip;              /**< frames without IP (ARP, LLDP, ...) */
    uint64_t truncated;           /**< frames cut before a header ended */
    uint64_t malformed;           /**< frames with a header that contradicts itself */
    uint64_t frag_unmatched;      /**< non-first fragments whose first fragment was not seen */
    uint64_t icmp_errors_matched; /**< ICMP errors matched to the flow they quote */
    uint64_t flows_created, flows_ended, flows_evicted;
    uint64_t stun_msgs, channeldata, dns_msgs; /**< application messages parsed */
    uint64_t stun_inner;        /**< of stun_msgs: relayed, inside ChannelData or Send/Data */
    uint64_t tls_flows;         /**< TLS flows summarised (DIS_EV_TLS, also without a callback) */
    uint64_t tls_sni;           /**< of tls_flows: with a ClientHello carrying an SNI */
    uint64_t http_connects;     /**< CONNECT request/response exchanges parsed */
    uint64_t tls_certs;         /**< server certificates received (at most 10 per flow) */
    uint64_t tls_certs_decoded; /**< of tls_certs: decoded, not found in the engine's cache */
    uint64_t tcp_app_states;    /**< TCP flows given per-flow application state (cumulative) */
    uint64_t tcp_app_active;    /**< ... of which still held now */
    uint64_t tcp_reasm_bytes, tcp_reasm_bytes_max; /**< reassembly buffers held: now, peak */
    uint32_t flows_active, flows_active_max;
};

/** Receives each finished flow. The record is borrowed for the call. Return 0 to go on, or a
 *  negative value to make dis_engine_packet()/dis_engine_flush() stop and return it. */
typedef int (*dis_flow_cb)(void *user, const struct dis_flow_rec *rec);

struct dis_engine;

/** Fills @p o with the defaults. */
void dis_engine_defaults(struct dis_engine_opts *o);

/**
 * Creates an engine. Allocates the flow table's index up front (sized from max_flows) and
 * flow storage in chunks as it fills, never per packet. NULL with a message in @p err on
 * failure (out of memory, nDPI initialisation).
 */
struct dis_engine *dis_engine_new(const struct dis_engine_opts *o, dis_flow_cb cb, void *user,
                                  char err[SS_ERRBUF_SIZE]);

/** Frees the engine without emitting open flows (call dis_engine_flush() first to keep them). */
void dis_engine_free(struct dis_engine *e);

/**
 * Processes one frame of link type @p linktype captured at @p ts_ns. The frame is borrowed for
 * the call. Expires idle flows as time advances (capture time, not wall time). Returns 0, or
 * the negative value a callback returned.
 */
SS_MUST_CHECK int dis_engine_packet(struct dis_engine *e, int linktype, uint64_t ts_ns,
                                    const uint8_t *frame, uint32_t caplen, uint32_t wirelen);

/**
 * The id (dis_flow_rec.id) of the flow the frame last given to dis_engine_packet() counted
 * against: its own flow, the flow an ICMP error quoted, or the flow of a later fragment's first
 * fragment; 0 when it counted against none (not IP, cut short, unmatched). The flow's record
 * carries the same id when the flow ends, so a caller can keep per-flow state of its own.
 */
uint64_t dis_engine_last_flow(const struct dis_engine *e);

/**
 * Emits every open flow (end reason DIS_END_CAPTURE) and empties the table. Used at the end of
 * an offline run and on shutdown. Returns 0 or a callback's negative value.
 */
SS_MUST_CHECK int dis_engine_flush(struct dis_engine *e);

/**
 * Expires flows idle at capture time @p now_ns (for live capture when no packet arrives).
 */
SS_MUST_CHECK int dis_engine_tick(struct dis_engine *e, uint64_t now_ns);

/**
 * Sets the receiver of dissector events (STUN/TURN, DNS, HTTP CONNECT), called as they are
 * parsed, before the flow they belong to ends, and of the TLS summaries, called as a TLS flow
 * ends, just before its record; only the kinds in dis_engine_opts.event_kinds. NULL turns
 * them off (parsing still counts and attributes).
 */
void dis_engine_set_event_cb(struct dis_engine *e, dis_event_cb cb, void *user);

/** Current counters. */
void dis_engine_get_stats(const struct dis_engine *e, struct dis_engine_stats *st);

#endif
