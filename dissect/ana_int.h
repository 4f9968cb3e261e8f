/* SPDX-License-Identifier: MIT */
/* ana_int.h - the analyzer's internal state, shared by ana.c (flows, verdicts, hosts) and
 * ana_ice.c (ICE sessions, candidate pairs, TURN allocations, methods). */
#ifndef DIS_ANA_INT_H
#define DIS_ANA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/analysis.h"

#define ANA_TXIDS 32            /* recent requests remembered per flow (responses match by txid) */
#define ANA_ERRS 4              /* TURN error responses kept per flow */
#define ANA_ALLOC_PEERS 1024    /* distinct peer transport addresses remembered per allocation */
#define ANA_ALLOC_CHANNELS 4096 /* channel bindings remembered per allocation */
#define ANA_NAT_MAX 4096        /* public addresses of the site remembered (XOR-MAPPED-ADDRESS) */
#define ANA_DNS_MAX 65536       /* (client, name) pairs with a failed DNS answer remembered */

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

/** A set of addresses with a value each: open addressing, linear probing, grown at half full.
 *  A slot with addr.family 0 is empty. */
struct ana_aslot {
    struct dis_addr addr;
    uint32_t val;
};

struct ana_aset {
    struct ana_aslot *s;
    size_t cap, n;
};

/** What the analyzer keeps of one engine flow while it is open (only flows with STUN, TLS or
 *  CONNECT get one; the engine's max_flows bounds them). Side 0 is the sender of the first
 *  event seen. */
struct ana_flow {
    uint64_t flow_id;
    struct ana_flow *next;
    struct dis_ep side0;
    /* STUN, outer messages */
    uint32_t req[2], resp[2]; /* requests and responses sent by each side */
    uint32_t ice_req[2];      /* of req: ICE checks (ana__ice_check) */
    uint64_t first_req_ns, last_req_ns;
    uint32_t relayed_msgs; /* inner STUN/ChannelData seen: a relay in use */
    struct ana_tx *tx;     /* ANA_TXIDS of them, allocated at the flow's first STUN message */
    uint32_t tx_next;
    struct ana_alloc *alloc;     /* a TURN allocation made on this flow */
    struct dis_ep ind_peer;      /* peer of the last Send/Data indication (for its inner msg) */
    struct ana_pair *last_pair;  /* pair of the last ICE check on the flow (for GOOG-PING) */
    struct ana_pair *last_rpair; /* pair of the last ICE check relayed inside it */
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
    char *verify_str;        /* owned, NULL when none (as the other strings here) */
    char *issuer;            /* leaf issuer DN */
    const char *vendor;      /* inspection product matched in the chain, static/list-owned */
    char *vendor_issuer;     /* the DN it matched in */
    bool alert_fatal_server; /* fatal alert from the server before the handshake ended */
    uint8_t alert_desc;
    uint64_t alert_ns;
    /* HTTP CONNECT */
    uint16_t connect_first, connect_last; /* statuses of the first and last CONNECT response */
    uint32_t connects;
    char *connect_target;
    uint16_t connect_port;
    uint64_t connect_ns;
};

/** Flow facts kept after the flow ended, for the sessions built at finish (at most
 *  opts.max_flows of them). */
struct ana_fsum {
    uint64_t flow_id;
    struct dis_ep orig, resp;
    uint64_t first_ns, last_ns, bytes;
    uint64_t pkts[2];
    uint64_t channeldata;
    const char *host;        /* interned attributed name, "" if none */
    struct ana_alloc *alloc; /* the TURN allocation made on it, or inferred for it at finish */
    uint32_t ice_req_orig, ice_req_resp, resp_orig, resp_resp;
    enum dis_conn_state state;
    int rule;
    uint8_t proto;
    bool tls;  /* TLS on it (TURN over TLS) */
    bool ice;  /* carried ICE checks */
    bool stun; /* carried any STUN */
};

/** SYNs or STUN requests of a flow that got nothing back: a block only if the capture went on
 *  long enough after the first, which is known at finish. */
struct ana_pending {
    const char *code;
    const char *host; /* interned */
    int rule;
    uint8_t proto;
    struct dis_ep src, dst;
    uint64_t first_ns, last_ns, flow_id;
    uint32_t n; /* SYNs or requests sent */
    uint32_t wait_ms;
};

/** Failed DNS answers for one name to one client (dns_failure: one verdict per pair). */
struct ana_dnsf {
    uint32_t next; /* hash chain: index + 1 in dis_ana.dnsf, 0 ends it */
    struct dis_addr client;
    const char *name; /* interned, lower case */
    int rule;
    uint8_t proto;
    struct dis_ep cli, srv; /* of the first failure */
    uint64_t first_ns, flow_id, last_fail_ns;
    struct dis_addr last_fail_srv;
    char why[160]; /* the first failure: "NXDOMAIN ..." or "sinkhole answer ..." */
    uint32_t fails;
    uint16_t qtype[2]; /* the first two query types that failed */
    uint8_t n_qtype;
    bool ok_after; /* a good answer came after the last failure, */
    bool ok_same;  /* from the resolver that failed last */
    struct dis_addr ok_srv;
};

/** The first TCP flow with a SYN-ACK to a distinct internet server: one sample of the
 *  baselines of ttl_anomaly and rtt_anomaly. */
struct ana_server {
    struct dis_addr addr;
    uint8_t hops;   /* hop distance from its TTL */
    int64_t rtt_ns; /* SYN -> SYN-ACK */
    int64_t tls_ns; /* ClientHello -> ServerHello, -1 when not TLS */
};

/** A TLS 1.3 flow of a profile rule (certificate not visible): judged against the baselines. */
struct ana_tcpsum {
    uint64_t flow_id;
    struct dis_addr src, dst;
    uint16_t sport, dport;
    uint64_t first_ns;
    uint8_t hops; /* server hop distance from its TTL */
    uint8_t ttl;
    int64_t rtt_ns; /* SYN -> SYN-ACK */
    int64_t tls_ns; /* ClientHello -> ServerHello, -1 when not TLS */
    int rule;
    const char *host; /* interned */
};

/** A verdict as kept until it is emitted: the strings sized to fit (the sink gets a
 *  struct dis_verdict_rec filled from it). */
struct ana_verdict {
    const char *code; /* static */
    const char *host; /* interned */
    char *evidence;   /* owned */
    uint64_t first_ns, flow_id, session_id;
    struct dis_addr src, dst;
    uint16_t sport, dport;
    int16_t rule; /* profile rule index, -1 none */
    uint8_t kind, conf, proto;
};

struct ana_pair {
    struct ana_pair *next;  /* in its session */
    struct ana_pair *knext; /* hash chain of (flow, session[, peer]) */
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
    uint32_t seq; /* creation number: part of its pairs' hash key */
    uint64_t first_ns, last_ns;
    uint64_t id;    /* emitted id */
    uint8_t method; /* results, set at finish */
    enum dis_submethod sub;
    struct ana_pair *sel;
    struct ana_alloc *tls_alloc; /* no direct pair worked: the TURN-over-TLS flow in use */
};

/** A channel binding of an allocation (kept sorted by number). */
struct ana_chan {
    uint16_t num;
    struct dis_ep peer;
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
    struct ana_chan *chan; /* sorted by number */
    uint32_t n_chan, cap_chan;
    struct dis_ep *peer_list;
    uint32_t n_peers, cap_peers;
    uint64_t first_ns, last_ns;
    uint64_t relayed_msgs;   /* ChannelData / Send / Data seen */
    struct ana_ice *carried; /* the ICE session whose checks ran through it */
    bool inferred;           /* TURN over TLS: encrypted, known from the flow and the session */
    uint64_t id;
};

struct ana_host {
    struct ana_host *next;
    char *names; /* comma separated, allocated to size; NULL when none */
    uint64_t first_ns, last_ns;
    uint32_t bcast_listen; /* TCP flows of the LAN rule it answered (the broadcast sender) */
    uint32_t peers;        /* at finish: distinct addresses it had ICE sessions with */
    uint32_t verdicts;
    struct dis_addr addr;
    uint8_t methods;
    bool product;
    bool local;
    bool server;
};

/** An interned string (host names shared by many flows and verdicts). */
struct ana_str {
    struct ana_str *next;
    uint64_t hash;
    char s[];
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
    bool oom; /* sticky: an allocation failed (err says where) */
    uint64_t now_ns;
    struct dis_ana_stats st;

    struct ana_flow **flows; /* open flows by id */
    size_t flows_cap, flows_n;
    struct ana_ice **ice; /* ICE sessions by ufrags */
    size_t ice_cap, ice_n;
    struct ana_ice *ice_list, *ice_tail;
    struct ana_alloc *allocs, *allocs_tail;
    size_t allocs_n;
    struct ana_pair **pairs; /* by (flow, session[, peer]), chained by knext */
    size_t pairs_cap, pairs_n;
    struct ana_host **hosts;
    size_t hosts_cap, hosts_n;
    struct ana_str **strs; /* interned strings */
    size_t strs_cap, strs_n;

    struct vec fsums;   /* struct ana_fsum */
    struct vec servers; /* struct ana_server: the baseline samples, one per server address */
    struct ana_aset server_idx; /* server address -> index in servers */
    struct vec tls13;           /* struct ana_tcpsum: the flows the TLS 1.3 heuristics judge */
    struct vec verdicts;        /* struct ana_verdict */
    struct vec pending;  /* struct ana_pending: single unanswered attempts, decided at finish */
    struct ana_aset nat; /* public addresses of local clients (XOR-MAPPED-ADDRESS) */
    struct ana_aset turn_servers; /* addresses that were sent an Allocate */
    struct vec dnsf;              /* struct ana_dnsf, in order of the first failure */
    uint32_t *dnsf_head;          /* hash buckets: index + 1 in dnsf */
    size_t dnsf_cap;
    uint64_t next_session_id;
};

/* ana.c */
void *ana__vec_push(struct dis_ana *a, struct vec *v);
struct ana_host *ana__host(struct dis_ana *a, const struct dis_addr *addr, bool create);
int ana__verdict(struct dis_ana *a, enum dis_verdict_kind kind, const char *code,
                 enum dis_confidence conf, int rule, uint8_t proto, const struct dis_ep *src,
                 const struct dis_ep *dst, const char *host, uint64_t first_ns, uint64_t flow_id,
                 uint64_t session_id, const char *evidence);
bool ana__addr_eq(const struct dis_addr *x, const struct dis_addr *y);
/** Appends printf-style to the NUL-terminated @p buf of @p len bytes, cutting what does not
 *  fit. */
void ana__cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool ana__ep_eq(const struct dis_ep *x, const struct dis_ep *y);
char *ana__ep_str(const struct dis_ep *e, char *buf, size_t len);
bool ana__is_local(const struct dis_ana *a, const struct dis_addr *x);
const struct ana_fsum *ana__fsum(const struct dis_ana *a, uint64_t flow_id);
uint64_t ana__addr_hash(const struct dis_addr *x);
/* Address sets: find returns the slot or NULL; put inserts (val 0) when absent and returns
 * the slot, *created telling which (NULL on out of memory). clear empties, free releases. */
struct ana_aslot *ana__aset_find(const struct ana_aset *s, const struct dis_addr *x);
struct ana_aslot *ana__aset_put(struct dis_ana *a, struct ana_aset *s, const struct dis_addr *x,
                                bool *created);
void ana__aset_free(struct ana_aset *s);

/* ana_ice.c */
enum ana_check {
    ANA_NOT_CHECK = 0,
    ANA_CHECK,      /* a Binding request with the session's ufrags */
    ANA_CHECK_PING, /* libwebrtc's GOOG-PING: a check on the flow's last candidate pair */
};
/** Is this STUN message an ICE connectivity check? The one predicate for ana.c (a flow carries
 *  ICE) and ana_ice.c (sessions and pairs). */
enum ana_check ana__ice_check(const struct dis_ana *a, const struct ana_flow *f,
                              const struct dis_event *ev);
int ana__ice_stun(struct dis_ana *a, struct ana_flow *f, const struct dis_event *ev);
int ana__ice_finish(struct dis_ana *a);
void ana__ice_free(struct dis_ana *a);

#endif
