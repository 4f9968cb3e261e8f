/* SPDX-License-Identifier: MIT */
/* flow_int.h - private: the flow table (hash index, chunked storage, idle lists) and TCP state. */
#ifndef DIS_FLOW_INT_H
#define DIS_FLOW_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "dissect/engine.h"
#include "dissect/flow.h"

struct dis_ndpi_flow;
struct app_tcp;
struct app_udp;

/** Idle classes: each has its own timeout and its own list ordered by last activity. */
enum ft_class { FT_TCP_EST = 0, FT_TCP, FT_UDP, FT_OTHER, FT_NCLASS };

/** Zeek's TCP endpoint states. */
enum ft_tcp_ep {
    FT_EP_INACTIVE = 0,
    FT_EP_SYN_SENT,
    FT_EP_SYN_ACK_SENT,
    FT_EP_PARTIAL,
    FT_EP_ESTABLISHED,
    FT_EP_CLOSED,
    FT_EP_RESET
};

/** The lookup key: the two endpoints in canonical order (lower address/port first). */
struct ft_key {
    struct dis_addr lo, hi;
    uint16_t lo_port, hi_port;
    uint8_t proto;
};

/** One flow: the record being accumulated plus the table's and the TCP tracker's state. */
struct ft_flow {
    struct dis_flow_rec rec;
    struct ft_key key;
    bool orig_is_lo;     /**< the initiator is key.lo */
    uint8_t cls;         /**< enum ft_class */
    uint32_t prev, next; /**< idle list links (index + 1; 0 = none) */
    uint32_t slot_hash;  /**< full hash, kept for backward-shift deletion */
    uint32_t self;       /**< this flow's index in the table's storage */

    /* TCP tracking */
    uint8_t ep[2], ep_prev[2]; /**< enum ft_tcp_ep per direction */
    uint32_t isn[2];
    bool syn_seen[2];
    uint64_t syn_ns;    /**< time of the first SYN from the originator */
    uint16_t hist_seen; /**< letters already in the history (bit per letter and side) */

    /* application layer */
    uint32_t stun_reported; /**< STUN events reported (capped per flow) */
    bool turn_seen;         /**< a TURN method was seen: ChannelData is expected */
    bool app_tcp_off;       /**< TCP: the stream is not one we parse, or parsing ended */
    struct app_tcp *app;    /**< TCP application state (app_tcp.c), made at the first payload
                                 that needs it; freed by app_tcp_end() when the flow leaves */
    /** UDP application state (app_udp.c: QUIC, DTLS), made at the first datagram that needs
     * it; freed by app_udp_end() when the flow leaves */
    struct app_udp *app_udp;

    /* nDPI */
    struct dis_ndpi_flow *ndpi;
    uint16_t ndpi_pkts;
    bool ndpi_done;
};

/** Called for each flow leaving the table; the flow is freed after the call. */
typedef int (*ft_emit_fn)(void *ctx, struct ft_flow *f, enum dis_flow_end why);

struct ft;

/** Creates a table for at most @p max_flows flows. NULL with @p err on failure. */
struct ft *ft_new(uint32_t max_flows, const uint32_t timeout_s[FT_NCLASS], ft_emit_fn emit,
                  void *ctx, char err[SS_ERRBUF_SIZE]);
/** Frees the table (no emission). */
void ft_free(struct ft *t);

/** Builds the canonical key for a packet; returns true when (src, sport) is key.lo. */
bool ft_key_make(struct ft_key *k, uint8_t proto, const struct dis_addr *src, uint16_t sport,
                 const struct dis_addr *dst, uint16_t dport);

/** Finds the flow of @p k, or NULL. */
struct ft_flow *ft_find(struct ft *t, const struct ft_key *k);

/**
 * Inserts a new flow for @p k, evicting the longest-idle flow first when the table is full.
 * Returns the zeroed flow (key set), or NULL when the emit callback failed (its value in *rc).
 */
struct ft_flow *ft_insert(struct ft *t, const struct ft_key *k, int *rc);

/** Removes @p f from the table, emitting it with reason @p why; returns the callback's value. */
int ft_remove(struct ft *t, struct ft_flow *f, enum dis_flow_end why);

/** Marks @p f active at @p now_ns in class @p cls (moves it to the tail of that idle list). */
void ft_touch(struct ft *t, struct ft_flow *f, enum ft_class cls);

/** Emits and removes every flow idle longer than its class timeout at @p now_ns. */
int ft_expire(struct ft *t, uint64_t now_ns);

/** Emits and removes every flow (oldest activity first). */
int ft_flush(struct ft *t, enum dis_flow_end why);

/** Flows currently held, and the most ever held. */
uint32_t ft_count(const struct ft *t);
uint32_t ft_count_max(const struct ft *t);
uint64_t ft_evicted(const struct ft *t);

/* ---- TCP tracking (tcp_track.c) ---- */

/** Updates the endpoint states and history of @p f for a TCP packet from direction @p dir. */
void ft_tcp_update(struct ft_flow *f, int dir, uint8_t flags, uint32_t seq, uint32_t payload_len,
                   uint64_t ts_ns);
/** Zeek's conn_state for the flow's current endpoint states. */
enum dis_conn_state ft_tcp_conn_state(const struct ft_flow *f);
/** True when a TCP flow counts as established for the idle timeout. */
bool ft_tcp_established(const struct ft_flow *f);
/** True when a new SYN from the originator starts a new connection on this 5-tuple. */
bool ft_tcp_is_reuse(const struct ft_flow *f, int dir, uint8_t flags, uint32_t seq);

#endif
