/* SPDX-License-Identifier: MIT */
/* ana_int.h - the analyzer's internal state, shared by ana.c (flows, verdicts, hosts) and
 * ana_ice.c (ICE sessions, candidate pairs, TURN allocations, methods). */
#ifndef DIS_ANA_INT_H
#define DIS_ANA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/analysis.h"

#define ANA_TXIDS 32    /* recent requests remembered per flow (responses match by txid) */
#define ANA_CHANNELS 16 /* ChannelBind channel -> peer, per allocation */
#define ANA_ERRS 4      /* TURN error responses kept per flow */

struct ana_pair;
struct ana_alloc;

/** A request waiting for its response (matched by transaction id on the same flow). */
struct ana_tx {
    uint8_t id[12];
    bool used;
    uint16_t method;
    bool peer_local;       /* CreatePermission/ChannelBind to a local (private) peer address */
    struct ana_pair *pair; /* ICE check: its candidate pair */
    bool use_candidate;
    uint64_t ts_ns;
};

/** What the analyzer keeps of one engine flow while it is open (only flows with STUN, TLS or
 *  CONNECT get one). Side 0 is the sender of the first event seen. */
struct ana_flow {
    uint64_t flow_id;
    struct ana_flow *next;
    struct dis_ep side0;
    /* STUN, outer messages */
    uint32_t req[2], resp[2]; /* requests and responses sent by each side */
    uint32_t ice_req[2];      /* of req: ICE checks (USERNAME a:b) */
    uint64_t first_req_ns, last_req_ns;
    uint32_t relayed_msgs; /* inner STUN/ChannelData seen: a relay in use */
    struct ana_tx tx[ANA_TXIDS];
    uint32_t tx_next;
    struct ana_alloc *alloc; /* a TURN allocation made on this flow */
    struct dis_ep ind_peer;  /* peer of the last Send/Data indication (for its inner msg) */
    uint16_t turn_err_code[ANA_ERRS];
    uint16_t turn_err_method[ANA_ERRS];
    uint8_t n_turn_err;
    /* TLS */
    bool tls;
    bool tls_ch, tls_sh, tls_established;
    uint64_t tls_ch_ns, tls_sh_ns;
    uint16_t tls_version;
    uint8_t tls_certs; /* certificates visible (TLS <= 1.2) */
    enum dis_tls_chain chain;
    int verify_error;
    char verify_str[96];
    char issuer[256];   /* leaf issuer DN */
    const char *vendor; /* inspection product matched in the chain, static/list-owned */
    char vendor_issuer[256];
    bool alert_fatal_server; /* fatal alert from the server before the handshake ended */
    uint8_t alert_desc;
    uint64_t alert_ns;
    /* HTTP CONNECT */
    uint16_t connect_first, connect_last; /* statuses of the first and last CONNECT response */
    uint32_t connects;
    char connect_target[256];
    uint16_t connect_port;
    uint64_t connect_ns;
};

/** Flow facts kept after the flow ended, for the sessions built at finish. */
struct ana_fsum {
    uint64_t flow_id;
    uint8_t proto;
    struct dis_ep orig, resp;
    uint64_t first_ns, last_ns, bytes;
    uint64_t pkts[2];
    enum dis_conn_state state;
    int rule;
    bool tls;  /* TLS on it (TURN over TLS) */
    bool ice;  /* carried ICE checks */
    bool stun; /* carried any STUN */
    uint32_t ice_req_orig, ice_req_resp, resp_orig, resp_resp;
    uint64_t channeldata;
    char host[256];
};

/** A single unanswered SYN or STUN request: a block only if the capture went on long enough
 *  after it, which is known at finish. */
struct ana_pending {
    const char *code;
    int rule;
    uint8_t proto;
    struct dis_ep src, dst;
    uint64_t first_ns, flow_id;
    uint32_t wait_ms;
    char host[256];
};

/** An internet TCP flow with a SYN-ACK: the baselines of ttl_anomaly and rtt_anomaly. */
struct ana_tcpsum {
    uint64_t flow_id;
    struct dis_addr src, dst;
    uint16_t sport, dport;
    uint64_t first_ns;
    uint8_t hops; /* server hop distance from its TTL */
    uint8_t ttl;
    int64_t rtt_ns; /* SYN -> SYN-ACK */
    int64_t tls_ns; /* ClientHello -> ServerHello, -1 when not TLS */
    bool tls13;     /* TLS 1.3: certificate not visible, the heuristics apply */
    int rule;
    char host[256];
};

struct ana_pair {
    struct ana_pair *next;  /* in its session */
    struct ana_pair *fnext; /* pairs of the same flow */
    struct ana_ice *sess;
    uint64_t flow_id;
    uint8_t proto;
    bool relayed;
    struct dis_ep a, b; /* outer: request sender first seen; relayed: relayed addr, peer */
    uint32_t requests, successes, errors;
    uint32_t req_from_a, req_from_b;
    bool nominated;
    uint64_t first_ns, last_ns, first_unanswered_ns;
    int64_t rtt_ns;
    struct ana_alloc *alloc; /* relayed: the allocation it ran in */
};

struct ana_ice {
    struct ana_ice *next;  /* hash chain */
    struct ana_ice *lnext; /* list in creation order */
    char ufrags[DIS_UFRAGS_LEN];
    struct ana_pair *pairs;
    uint32_t n_pairs;
    uint64_t first_ns, last_ns;
    uint64_t id;    /* emitted id */
    uint8_t method; /* results, set at finish */
    enum dis_submethod sub;
    struct ana_pair *sel;
    struct ana_alloc *tls_alloc; /* no direct pair worked: the TURN-over-TLS flow in use */
};

struct ana_alloc {
    struct ana_alloc *next; /* list */
    uint64_t flow_id;
    uint8_t proto; /* of the client flow */
    struct dis_ep client, server;
    struct dis_ep relayed, mapped;
    bool success;
    uint32_t lifetime;
    uint32_t permissions, channels, peers, errors;
    uint16_t last_error;
    uint16_t chan[ANA_CHANNELS];
    struct dis_ep chan_peer[ANA_CHANNELS];
    uint8_t n_chan;
    struct dis_ep peer_list[16];
    uint8_t n_peers;
    uint64_t first_ns, last_ns;
    uint64_t relayed_msgs;   /* ChannelData / Send / Data seen */
    struct ana_ice *carried; /* the ICE session whose checks ran through it */
    bool inferred;           /* TURN over TLS: encrypted, known from the flow and the session */
    uint64_t id;
};

struct ana_host {
    struct ana_host *next;
    struct dis_addr addr;
    bool product;
    bool local;
    bool server;
    uint32_t bcast_listen; /* TCP flows of the LAN rule it answered (the broadcast sender) */
    uint32_t ice_peers;    /* ICE sessions it was in */
    uint8_t methods;
    uint32_t verdicts;
    uint64_t first_ns, last_ns;
    char names[512];
};

struct vec {
    void *p;
    size_t n, cap, size;
};

struct dis_ana {
    struct dis_ana_opts o;
    const struct dis_profile *prof;
    const struct dis_issuers *issuers;
    struct dis_ana_sink sink;
    char err[SS_ERRBUF_SIZE];
    uint64_t now_ns;

    struct ana_flow **flows; /* open flows by id */
    size_t flows_cap, flows_n;
    struct ana_ice **ice; /* ICE sessions by ufrags */
    size_t ice_cap, ice_n;
    struct ana_ice *ice_list, *ice_tail;
    struct ana_alloc *allocs, *allocs_tail;
    size_t allocs_n;
    struct ana_pair **pairs_by_flow; /* flow id -> pairs (chained by fnext) */
    size_t pbf_cap;
    struct ana_host **hosts;
    size_t hosts_cap, hosts_n;

    struct vec fsums;        /* struct ana_fsum */
    struct vec tcpsums;      /* struct ana_tcpsum */
    struct vec verdicts;     /* struct dis_verdict_rec */
    struct vec pending;      /* struct ana_pending: single unanswered attempts, decided at finish */
    struct dis_addr nat[16]; /* public addresses of local clients (XOR-MAPPED-ADDRESS) */
    size_t n_nat;
    uint64_t verdicts_dropped;
    uint64_t next_session_id;
};

/* ana.c */
void *ana__vec_push(struct dis_ana *a, struct vec *v);
struct ana_host *ana__host(struct dis_ana *a, const struct dis_addr *addr, bool create);
int ana__verdict(struct dis_ana *a, enum dis_verdict_kind kind, const char *code,
                 enum dis_confidence conf, const char *rule, uint8_t proto,
                 const struct dis_ep *src, const struct dis_ep *dst, const char *host,
                 uint64_t first_ns, uint64_t flow_id, uint64_t session_id, const char *evidence);
bool ana__addr_eq(const struct dis_addr *x, const struct dis_addr *y);
bool ana__ep_eq(const struct dis_ep *x, const struct dis_ep *y);
char *ana__ep_str(const struct dis_ep *e, char *buf, size_t len);
bool ana__is_local(const struct dis_ana *a, const struct dis_addr *x);
const struct ana_fsum *ana__fsum(const struct dis_ana *a, uint64_t flow_id);

/* ana_ice.c */
int ana__ice_stun(struct dis_ana *a, struct ana_flow *f, const struct dis_event *ev);
int ana__ice_finish(struct dis_ana *a);
void ana__ice_free(struct dis_ana *a);

#endif
