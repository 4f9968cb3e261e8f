/* SPDX-License-Identifier: MIT */
/*
 * analysis.h - sessions, routing methods and verdicts (DESIGN.md "Sessions and methods",
 * "Verdicts"). The analyzer consumes what the engine hands on (events as they happen, flow
 * records as flows end) and, at dis_ana_finish(), emits ICE and TURN sessions with their
 * candidate pairs, broadcast and direct (method 1) sessions, the verdicts, and the hosts.
 * Pure: no I/O; records are borrowed for the duration of a sink callback only.
 *
 * Thresholds are named (struct dis_ana_opts) and documented in docs/verdicts.md.
 */
#ifndef DIS_ANALYSIS_H
#define DIS_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "dissect/decode.h"
#include "dissect/events.h"
#include "dissect/flow.h"
#include "dissect/profile.h"
#include "ss/common.h"

enum dis_sess_kind {
    DIS_SESS_ICE = 1,   /**< ICE checks grouped by the unordered ufrag pair */
    DIS_SESS_TURN,      /**< one TURN allocation (the client's 5-tuple to the server) */
    DIS_SESS_BROADCAST, /**< a TCP flow of the profile's LAN rule (screen broadcast, 30100) */
    DIS_SESS_DIRECT,    /**< method 1: a direct flow between two local product hosts, no ICE */
};
const char *dis_sess_kind_name(enum dis_sess_kind k);

enum dis_submethod {
    DIS_SUB_NONE = 0,
    DIS_SUB_HOST,      /**< method 2, both ends of the selected pair local */
    DIS_SUB_SRFLX,     /**< method 2 across a NAT */
    DIS_SUB_RELAY_UDP, /**< method 3, the client reaches the TURN server over UDP */
    DIS_SUB_RELAY_TCP, /**< ... over TCP */
    DIS_SUB_RELAY_TLS, /**< ... over TLS (usually 443) */
};
/** "host", "srflx", "relay-udp", "relay-tcp", "relay-tls", or NULL for DIS_SUB_NONE. */
const char *dis_submethod_name(enum dis_submethod s);

/** A transport address; addr.family 0 when unknown. */
struct dis_ep {
    struct dis_addr addr;
    uint16_t port;
};

#define DIS_UFRAGS_LEN 132  /**< "a:b", each ufrag cut at 64 bytes */
#define DIS_EXPLAIN_LEN 640 /**< one-line explanation */

struct dis_session_rec {
    uint64_t id; /**< 1-based, in emission order */
    enum dis_sess_kind kind;
    uint8_t method; /**< 1, 2, 3; 0 when none (failed, or an allocation that carried nothing) */
    enum dis_submethod sub;
    /** The flow that carries the session, as seen at the capture point: ICE the selected
     *  pair (method 3: local = the client, remote = the TURN server); TURN the client and the
     *  server; broadcast and direct the initiator and the responder. */
    bool has_selected;
    uint8_t proto; /**< of that flow: 17 UDP, 6 TCP */
    struct dis_ep sel_local, sel_remote;
    struct dis_addr client; /**< the local product host of the session */
    struct dis_addr peer;   /**< the other end (the remote peer, or the console) */
    struct dis_ep server;   /**< TURN server (method 3, TURN), else family 0 */
    uint64_t first_ns, last_ns;
    uint64_t bytes;                        /**< IP bytes of the selected flow (both directions) */
    char ufrags[DIS_UFRAGS_LEN];           /**< ICE: "a:b" with a <= b; else "" */
    uint64_t link_id;                      /**< ICE: the TURN session it ran through; TURN: the ICE
                                                session it carried; 0 when none */
    struct dis_ep relayed, mapped;         /**< TURN: XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS */
    uint8_t transport;                     /**< TURN: 17 udp, 6 tcp; tls is @c sub == RELAY_TLS */
    uint32_t lifetime_s;                   /**< TURN: the last LIFETIME granted */
    uint32_t permissions, channels, peers; /**< TURN: distinct peer addresses permitted, channels
                                              bound, peers seen */
    uint32_t errors;                       /**< TURN: error responses other than 401/438 */
    uint16_t last_error;                   /**< ... the last one's code */
    char explanation[DIS_EXPLAIN_LEN];
};

struct dis_pair_rec {
    uint64_t session_id;
    uint8_t proto;
    bool relayed;         /**< the checks ran inside a TURN allocation (ChannelData, Send/Data) */
    struct dis_ep local;  /**< the capture point's side (for relayed pairs: the relayed address) */
    struct dis_ep remote; /**< the other side (for relayed pairs: the peer) */
    uint32_t requests;    /**< Binding requests with the session's USERNAME, both directions */
    uint32_t successes, errors; /**< responses matched by transaction id */
    bool nominated;             /**< a USE-CANDIDATE request on it was answered with success */
    bool selected;
    uint64_t first_ns, last_ns;
    int64_t rtt_ns; /**< first answered request -> its success response; -1 if none */
};

enum dis_verdict_kind { DIS_VK_BLOCKED = 1, DIS_VK_INSPECTED };
enum dis_confidence { DIS_CONF_CONFIRMED = 1, DIS_CONF_SUSPECTED };
const char *dis_verdict_kind_name(enum dis_verdict_kind k);
const char *dis_confidence_name(enum dis_confidence c);

struct dis_verdict_rec {
    enum dis_verdict_kind kind;
    const char *code; /**< static: "tcp_no_answer", "inspection_issuer", ... */
    enum dis_confidence confidence;
    char rule[DIS_PROFILE_ID_LEN]; /**< the profile rule it violates */
    uint8_t proto;
    struct dis_addr src, dst; /**< the flow, initiator first */
    uint16_t sport, dport;
    char host[256]; /**< the attributed name, "" if none */
    uint64_t first_ns;
    uint64_t flow_id;    /**< the engine's flow id (0 when none) */
    uint64_t session_id; /**< the session it belongs to (0 when none) */
    char evidence[512];
};

enum dis_host_role { DIS_ROLE_OTHER = 0, DIS_ROLE_CLIENT, DIS_ROLE_CONSOLE, DIS_ROLE_SERVER };
const char *dis_host_role_name(enum dis_host_role r);

struct dis_host_rec {
    struct dis_addr addr;
    char names[512]; /**< names, comma separated (servers: attributed names), "" if none */
    enum dis_host_role role;
    bool local;
    uint8_t methods; /**< bit (1 << m) for each method m of its sessions */
    uint32_t verdicts;
    uint64_t first_ns, last_ns;
};

/** Where the analyzer's records go. A callback returning nonzero stops dis_ana_finish(). */
struct dis_ana_sink {
    void *user;
    int (*session)(void *user, const struct dis_session_rec *s);
    int (*pair)(void *user, const struct dis_pair_rec *p);
    int (*verdict)(void *user, const struct dis_verdict_rec *v);
    int (*host)(void *user, const struct dis_host_rec *h);
};

/** Named thresholds (defaults in brackets; see docs/verdicts.md). */
struct dis_ana_opts {
    /** tcp_no_answer: unanswered SYNs count only when the capture went on this long after the
     *  first (SYNs that the capture cut off are in flight, not blocked) [3000 ms]: then one
     *  SYN is a suspected block, min_retries SYNs a confirmed one. */
    uint32_t syn_wait_ms;
    /** udp_no_answer: likewise for STUN/TURN requests to the profile's servers and for ICE
     *  connectivity checks [3000 ms]. */
    uint32_t udp_wait_ms;
    /** Requests (SYNs, STUN requests) without answer that confirm a block, once the wait
     *  after the first has passed [2]. */
    uint32_t min_retries;
    /** rtt_anomaly: a TLS flow's (ClientHello -> ServerHello) / (SYN -> SYN-ACK) ratio must be
     *  at least this many times the median ratio of the capture's other internet TLS flows
     *  [10]. */
    uint32_t rtt_factor;
    /** ttl_anomaly and rtt_anomaly: other internet servers (distinct addresses) needed for a
     *  baseline [2]. */
    uint32_t baseline_min;
    /** ttl_anomaly: hops the server must be nearer than the median of the others [2]. An
     *  answer that crossed no router at all (0 hops) counts against any median of 1 or more:
     *  no internet server is on the capture point's own network. */
    uint32_t ttl_margin;
    uint32_t max_sessions; /**< ICE sessions and TURN allocations held [100000] */
    uint32_t max_pairs;    /**< candidate pairs per ICE session [64] */
    /* Memory bounds (docs/verdicts.md "Limits"): what does not fit is counted in
     * struct dis_ana_stats, never an error. */
    uint32_t max_pairs_total; /**< candidate pairs of all sessions [1000000] */
    uint32_t max_hosts;       /**< host entries [500000] */
    uint32_t max_flows;       /**< ended flows kept for the sessions built at finish [1000000] */
    uint32_t max_baseline;    /**< internet servers sampled for the TLS 1.3 baselines, and TLS
                                   1.3 flows of the profile judged against them, each [65536] */
    uint32_t max_pending;  /**< unanswered attempts waiting for the end of the capture [262144] */
    uint32_t max_verdicts; /**< verdicts held [262144] */
};

struct dis_ana;

/** What the analyzer holds and what its bounds (struct dis_ana_opts) made it leave out. Each
 *  "dropped" counter counts refusals: an item refused again later counts again. */
struct dis_ana_stats {
    uint64_t hosts, flows, sessions, pairs, verdicts; /**< held now */
    uint64_t hosts_dropped;    /**< addresses left without a host entry (max_hosts) */
    uint64_t flows_dropped;    /**< ended flows not kept for the sessions (max_flows) */
    uint64_t sessions_dropped; /**< ICE checks or Allocates that found no room for their session
                                    (max_sessions) */
    uint64_t pairs_dropped;    /**< ICE checks that found no room for their candidate pair
                                    (max_pairs, max_pairs_total) */
    uint64_t baseline_dropped; /**< servers and TLS 1.3 flows left out of the baselines */
    uint64_t pending_dropped;  /**< single unanswered attempts not judged (max_pending) */
    uint64_t verdicts_dropped; /**< verdicts not kept (max_verdicts) */
    uint64_t nat_dropped;      /**< public addresses of the site not remembered (4096 kept) */
    uint64_t peers_dropped;    /**< TURN peers and channels beyond what an allocation keeps */
    uint64_t dns_dropped;      /**< failed DNS answers of (client, name) pairs not remembered
                                    (65536 kept) */
};

/** The analyzer's counters (@p st is filled). A caller that reports on a capture should warn
 *  when a "dropped" counter is not zero: the picture is then incomplete. */
void dis_ana_get_stats(const struct dis_ana *a, struct dis_ana_stats *st);

void dis_ana_defaults(struct dis_ana_opts *o);

/**
 * A new analyzer. @p prof and @p issuers (may be NULL) are borrowed and must outlive it.
 * Returns NULL with @p err on failure.
 */
struct dis_ana *dis_ana_new(const struct dis_ana_opts *o, const struct dis_profile *prof,
                            const struct dis_issuers *issuers, const struct dis_ana_sink *sink,
                            char err[SS_ERRBUF_SIZE]);
void dis_ana_free(struct dis_ana *a);

/** Feeds one engine event (any kind; those it does not use are ignored). Returns 0 or -1
 *  (out of memory: dis_ana_errstr). */
SS_MUST_CHECK int dis_ana_event(struct dis_ana *a, const struct dis_event *ev);

/**
 * Feeds a flow that ended. Returns the index of the profile rule the flow belongs to (for
 * the flows table), -1 when none, or -2 on an internal error (dis_ana_errstr).
 */
int dis_ana_flow(struct dis_ana *a, const struct dis_flow_rec *rec);

/** Notes the capture's current time (live capture: the last packet or the wall clock); the
 *  waits above are measured against the latest time seen. */
void dis_ana_time(struct dis_ana *a, uint64_t now_ns);

/**
 * Builds and emits everything: sessions with their pairs (a session, then its pairs), the
 * verdicts, then the hosts. Call after the engine's last flow ended (dis_engine_flush). It
 * may also be called before, and again later (a live capture): each call emits the complete
 * picture of the flows that ended so far, with session ids counted from 1 again, so the
 * caller replaces what an earlier call emitted. Returns 0, the sink's nonzero value, or -1
 * (dis_ana_errstr).
 */
SS_MUST_CHECK int dis_ana_finish(struct dis_ana *a);

const char *dis_ana_errstr(const struct dis_ana *a);

#endif
