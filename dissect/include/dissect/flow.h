/* SPDX-License-Identifier: MIT */
/* flow.h - the bidirectional flow record that the flow table hands on when a flow ends. */
#ifndef DIS_FLOW_H
#define DIS_FLOW_H

#include <stdint.h>

#include "dissect/decode.h"

/** Direction index: 0 = from the initiator ("out"), 1 = from the responder ("in"). */
enum { DIS_DIR_ORIG = 0, DIS_DIR_RESP = 1 };

/** Zeek's conn_state, with Zeek's meaning (see docs/schema.md). */
enum dis_conn_state {
    DIS_CS_NONE = 0, /**< not TCP */
    DIS_CS_S0,       /**< attempt seen, no reply */
    DIS_CS_S1,       /**< established, not terminated */
    DIS_CS_SF,       /**< normal establishment and termination */
    DIS_CS_REJ,      /**< attempt rejected (RST answer to SYN) */
    DIS_CS_S2,       /**< established, originator tried to close, no reply from responder */
    DIS_CS_S3,       /**< established, responder tried to close, no reply from originator */
    DIS_CS_RSTO,     /**< established, originator aborted (RST) */
    DIS_CS_RSTR,     /**< established, responder aborted (RST) */
    DIS_CS_RSTOS0,   /**< originator sent SYN then RST; no SYN-ACK seen */
    DIS_CS_RSTRH,    /**< responder sent SYN-ACK then RST; no SYN from the originator seen */
    DIS_CS_SH,       /**< originator sent SYN then FIN; no SYN-ACK seen */
    DIS_CS_SHR,      /**< responder sent SYN-ACK then FIN; no SYN from the originator seen */
    DIS_CS_OTH       /**< no SYN seen, midstream traffic */
};

/** The Zeek letters of @p s ("S0", "SF", ...); "" for DIS_CS_NONE. Static string. */
const char *dis_conn_state_name(enum dis_conn_state s);

/** Why a flow record was emitted. */
enum dis_flow_end {
    DIS_END_IDLE = 1, /**< idle timeout expired */
    DIS_END_EVICTED,  /**< table full: the longest-idle flow made room */
    DIS_END_CAPTURE,  /**< the capture ended with the flow still open */
    DIS_END_REUSED    /**< a new TCP connection reused the 5-tuple (new SYN after close) */
};
const char *dis_flow_end_name(enum dis_flow_end e);

#define DIS_APP_NAME_LEN 48
#define DIS_HISTORY_LEN 24

/**
 * Summary of one bidirectional flow. @c orig is the initiator: the sender of the first SYN
 * (without ACK), else the sender of the first packet seen.
 */
struct dis_flow_rec {
    uint64_t id;   /**< 1-based sequence number of the flow within the engine's run */
    uint8_t proto; /**< IP protocol number */
    uint8_t ipver; /**< 4 or 6 */
    struct dis_addr orig, resp;
    uint16_t orig_port, resp_port; /**< ICMP: type and code of the first message, as Zeek */
    uint64_t first_ns, last_ns;
    uint64_t pkts[2];               /**< packets per direction (DIS_DIR_*) */
    uint64_t bytes[2];              /**< IP bytes per direction (IP total length, wire size) */
    uint64_t payload[2];            /**< transport payload bytes per direction */
    uint8_t ttl_min[2], ttl_max[2]; /**< TTL / hop limit per direction (0/0 when no packet) */
    int64_t rtt_ns;                 /**< TCP SYN -> SYN-ACK time; -1 when not seen */
    enum dis_conn_state state;
    char history[DIS_HISTORY_LEN]; /**< Zeek-style history letters (S h A D F R, upper = orig) */
    uint32_t frags;                /**< non-first IP fragments counted against this flow */
    uint32_t icmp_errors;          /**< ICMP errors that quoted a packet of this flow */
    uint8_t icmp_type, icmp_code;  /**< the first such error */
    struct dis_addr icmp_from;     /**< who sent it (router or host) */
    uint64_t icmp_first_ns;
    uint16_t vlan;              /**< outermost VLAN id, 0 if untagged */
    char host[256];             /**< attributed host name (DNS answer the client got), "" if none */
    uint64_t channeldata;       /**< TURN ChannelData messages (both directions) */
    uint64_t stun_msgs;         /**< STUN/TURN messages seen (outer and relayed inner) */
    uint64_t stun_dropped;      /**< STUN messages not reported because of the per-flow cap */
    char app[DIS_APP_NAME_LEN]; /**< nDPI protocol name ("TLS", "Google.STUN"...), "" if none */
    char category[DIS_APP_NAME_LEN]; /**< nDPI category name */
    enum dis_flow_end end;
};

#endif
