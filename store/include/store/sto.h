/* SPDX-License-Identifier: MIT */
/* sto.h - SQLite storage: one writer, batched transactions, versioned schema, read iterators. */
#ifndef STO_STO_H
#define STO_STO_H

#include <stdint.h>

#include "dissect/analysis.h"
#include "dissect/events.h"
#include "dissect/flow.h"
#include "dissect/profile.h"
#include "ss/common.h"

/** An open database. One per thread; the writer batches its rows into transactions. */
struct sto_db;

/** Open modes. */
enum sto_mode {
    STO_READ_WRITE = 0, /**< create if missing, apply migrations */
    STO_READ_ONLY = 1   /**< for reports: never writes; fails on a schema newer than we know
                             (and on an older one, which only a read-write open migrates) */
};

/**
 * Opens (creating if needed) the database at @p path, sets WAL mode and a busy timeout, and
 * migrates the schema to the current version (PRAGMA user_version). NULL with a message in
 * @p err on failure: unreadable file, not a database, locked, schema from a newer sensoscope.
 */
struct sto_db *sto_open(const char *path, enum sto_mode mode, char err[SS_ERRBUF_SIZE]);

/** Commits pending rows and closes. Returns 0, or -1 when the final commit failed or rows were
 *  lost earlier (see sto_commit), with the message in @p err (may be NULL). @p db is freed in
 *  every case. */
int sto_close(struct sto_db *db, char err[SS_ERRBUF_SIZE]);

/** The last error of @p db (valid until the next call). */
const char *sto_errstr(const struct sto_db *db);

/** The schema version this build writes. */
int sto_schema_version(void);

/** What is known about a capture source; strings are borrowed for the call. */
struct sto_capture {
    int64_t id;           /**< filled by the store */
    const char *source;   /**< file path, "-" for stdin, or interface name */
    const char *kind;     /**< "file" or "live" */
    const char *sha256;   /**< hex digest of the file, or NULL (stdin, live) */
    uint64_t file_bytes;  /**< file size, 0 if unknown */
    const char *linktype; /**< libpcap name of the link type */
    int linktype_num;     /**< LINKTYPE_ number */
    uint64_t first_ns, last_ns;
    uint64_t packets, bytes; /**< frames read, their wire bytes */
    uint64_t drops;          /**< kernel + interface drops (live only) */
    uint64_t warnings;       /**< truncated file, malformed frames, ... */
    const char *status;      /**< "running", "complete", "truncated", "interrupted" */
    const char *version;     /**< sensoscope version that analysed it */
};

/**
 * Looks up a capture by file digest. Returns 1 and sets @p id when one exists, 0 when none,
 * -1 on error.
 */
int sto_capture_find_sha256(struct sto_db *db, const char *sha256, int64_t *id);

/** Deletes a capture and every row that belongs to it (re-analysis with --force). */
SS_MUST_CHECK int sto_capture_delete(struct sto_db *db, int64_t id);

/** Inserts a capture row (status "running") and sets c->id. Returns 0 or -1. */
SS_MUST_CHECK int sto_capture_begin(struct sto_db *db, struct sto_capture *c);

/** Updates the capture row @p c->id with the totals and status in @p c (a NULL status keeps
 *  the old one; a non-NULL sha256 is set, for stdin whose digest is known at the end).
 *  Returns 0, or -1 (also when there is no such capture). */
SS_MUST_CHECK int sto_capture_update(struct sto_db *db, const struct sto_capture *c);

/** One interval of a live capture (the capture_stats table): counts in the interval only. */
struct sto_capture_stats {
    uint64_t at_ns;          /**< end of the interval, wall clock */
    uint64_t interval_ns;    /**< its length */
    uint64_t packets, bytes; /**< frames read, their wire length */
    int has_pcap_stats;      /**< 0: pcap_stats() failed, the next three are NULL */
    uint64_t received;       /**< ps_recv */
    uint64_t dropped_kernel; /**< ps_drop */
    uint64_t dropped_iface;  /**< ps_ifdrop */
    uint32_t flows_active;   /**< flows held at the end of the interval */
    int has_evidence;        /**< 0: no --evidence ring, the next two are NULL */
    uint64_t evidence_packets, evidence_lost;
};

/** Adds an interval row of capture @p capture_id. Returns 0 or -1 (sto_errstr). */
SS_MUST_CHECK int sto_capture_stats_add(struct sto_db *db, int64_t capture_id,
                                        const struct sto_capture_stats *s);

/**
 * Adds a finished flow of capture @p capture_id; @p rule is the id of the profile rule it
 * belongs to (dis_ana_flow), NULL or "" for none. Rows are batched: a transaction is committed
 * every sto_set_batch() rows or when sto_commit() is called. Returns 0 or -1 (disk full,
 * database locked beyond the busy timeout...).
 */
SS_MUST_CHECK int sto_flow_add(struct sto_db *db, int64_t capture_id, const struct dis_flow_rec *f,
                               const char *rule);

/**
 * Adds one engine event of capture @p capture_id (@p ev and what it points to are borrowed for
 * the call), in the same batched transaction as the flows:
 *  - DIS_EV_STUN: one `stun` row per message (the engine applies the per-flow cap);
 *  - DIS_EV_DNS: a query (qr = 0) inserts a `dns` row; a response (qr = 1) completes the
 *    newest row of the same capture, flow, DNS id and question name that has no response yet,
 *    else it inserts a row of its own (query not seen). The kept answers go to `dns_answers`;
 *  - DIS_EV_TLS: one `tls` row per connection, its server certificates in `certs`;
 *  - DIS_EV_HTTP_CONNECT: one `http_connect` row per CONNECT exchange.
 * An event counts as one row for the batch, whatever the number of statements it takes.
 * Returns 0 or -1 (write failure as for sto_flow_add, or an unknown event kind).
 */
SS_MUST_CHECK int sto_event_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev);

/* ---- analysis results (dissect/analysis.h): sessions, candidate pairs, verdicts, hosts ---- */

/**
 * Adds a session of capture @p capture_id (@p s is borrowed for the call). s->id is kept as
 * `sessions.seq` and must be unique within the capture; s->link_id is kept as `link_seq` and
 * resolved when reading (the linked session may come later). In the batched transaction, one
 * row. Returns 0 or -1 (write failure as for sto_flow_add; a second session with the same id
 * in the capture).
 */
SS_MUST_CHECK int sto_session_add(struct sto_db *db, int64_t capture_id,
                                  const struct dis_session_rec *s);

/**
 * Adds a candidate pair of the session p->session_id (a dis_session_rec.id) of capture
 * @p capture_id, which must have been added before (the analyzer emits a session, then its
 * pairs). Returns 0 or -1 (write failure; no such session in the capture).
 */
SS_MUST_CHECK int sto_pair_add(struct sto_db *db, int64_t capture_id, const struct dis_pair_rec *p);

/**
 * Adds a verdict of capture @p capture_id. v->session_id, when not 0, names a session of the
 * capture added before (the analyzer emits sessions first); one that is not there is stored
 * as no session. Returns 0 or -1.
 */
SS_MUST_CHECK int sto_verdict_add(struct sto_db *db, int64_t capture_id,
                                  const struct dis_verdict_rec *v);

/**
 * Adds a host of capture @p capture_id. Its comma-separated names are stored as a JSON array
 * of strings (bytes that are not UTF-8 become the text \xNN), its method bits as a JSON array
 * of numbers ("[2,3]"). Returns 0 or -1.
 */
SS_MUST_CHECK int sto_host_add(struct sto_db *db, int64_t capture_id, const struct dis_host_rec *h);

/**
 * Stores the requirement profile that capture @p capture_id was analysed with: its name in
 * `captures.profile` and one `rules` row per rule, replacing what the capture had. Counts as
 * one row per rule. Returns 0 or -1 (also when there is no such capture).
 */
SS_MUST_CHECK int sto_rules_set(struct sto_db *db, int64_t capture_id, const struct dis_profile *p);

/**
 * Stores rule @p r of the profile of capture @p capture_id at @p position (0-based), replacing
 * a rule at that position: what sto_rules_set does per rule, for callers that build rules
 * themselves. Returns 0 or -1.
 */
SS_MUST_CHECK int sto_rule_add(struct sto_db *db, int64_t capture_id, int position,
                               const struct dis_profile_rule *r);

/**
 * Deletes the sessions (with their pairs), verdicts, hosts and rules of capture @p capture_id,
 * keeping the capture, its flows and events: for running the analysis of a capture again.
 * Returns 0 or -1.
 */
SS_MUST_CHECK int sto_analysis_clear(struct sto_db *db, int64_t capture_id);

/**
 * Commits the open transaction, if any. Returns 0 or -1. When a commit fails, or SQLite rolls
 * a batch back (disk full, I/O error), the batch's rows are lost: from then on every write,
 * sto_commit() and sto_close() fail with that message, so the loss cannot go unnoticed.
 */
SS_MUST_CHECK int sto_commit(struct sto_db *db);

/** Rows per transaction (default 20000; 0 is taken as 1). */
void sto_set_batch(struct sto_db *db, uint32_t rows);

/** How long a statement waits for another process's lock before failing with "locked"
 *  (default 5000 ms). */
void sto_set_busy_timeout(struct sto_db *db, int ms);

/* ---- reading (for report/) ---- */

/**
 * Filters for the read iterators; zero/NULL fields do not filter. A flow matches the time
 * window when it overlaps it (last >= since and first <= until); a capture likewise; a STUN
 * message, DNS transaction, TLS connection or CONNECT exchange when its ts lies inside it. The
 * host is a flow's src or dst, a STUN message's src or dst, a DNS transaction's client or
 * server, a TLS connection's src or dst, a CONNECT exchange's client or proxy.
 *
 * Where @c method and @c rule apply (each walk's comment says it too):
 *  - method: sessions (sto_each_session, sto_each_pair, sto_each_method_stat) of that method;
 *    verdicts whose session has it; hosts that have it among their methods. Flows, events,
 *    captures, totals and rules are not filtered by method.
 *  - rule: flows (sto_each_flow, sto_each_app, sto_totals' flow counts) and verdicts with
 *    that rule; sto_each_rule_stat's rows. Sessions, hosts, events and captures are not
 *    filtered by rule.
 */
struct sto_filter {
    int64_t capture_id;  /**< only this capture (0 = all) */
    const char *host;    /**< flows with this address at either end (an IP address is
                              compared in its canonical text form, so "2001:DB8:0::1" matches) */
    double since, until; /**< epoch seconds; 0 = open */
    int method;          /**< sessions of this routing method (1-3), their verdicts, the hosts
                              that used it; 0 = any */
    const char *rule;    /**< flows and verdicts of this profile rule id, and that rule's
                              checklist row; NULL or "" = any */
};

/** A capture row as read back. Strings are borrowed until the callback returns. */
struct sto_capture_row {
    int64_t id;
    const char *source, *kind, *sha256, *linktype, *status, *version;
    double first, last; /**< epoch seconds; 0 when the capture had no packets */
    int64_t packets, bytes, drops, warnings, file_bytes;
    int linktype_num;
    double analysed_at;  /**< epoch seconds when sto_capture_begin() stored it */
    const char *profile; /**< name of the requirement profile (sto_rules_set), or NULL */
};

/** A flow row as read back. Strings are borrowed until the callback returns. */
struct sto_flow_row {
    int64_t id, capture_id;
    int64_t flow_seq;  /**< the engine's number of the flow in its capture (dis_flow_rec.id);
                            0 when unknown (rows of a schema 1 database) */
    const char *proto; /**< "tcp", "udp", "icmp", "icmp6", or the number as text */
    const char *src, *dst;
    int sport, dport;
    double first, last;
    int64_t pkts_out, pkts_in, bytes_out, bytes_in, payload_out, payload_in;
    const char *state; /**< Zeek conn_state letters or NULL (not TCP) */
    const char *history;
    double rtt; /**< seconds; < 0 when unknown */
    int ttl_out_min, ttl_out_max, ttl_in_min, ttl_in_max;
    const char *app, *category; /**< nDPI names or NULL */
    const char *host, *rule;    /**< attribution; NULL when none */
    int64_t channeldata;        /**< TURN ChannelData messages */
    int64_t frags, icmp_errors;
    int icmp_type, icmp_code; /**< first ICMP error quoting this flow; -1 when none */
    const char *icmp_from;    /**< who sent that error, or NULL */
    double icmp_first;        /**< when; 0 when none */
    const char *end_reason;   /**< dis_flow_end_name(), or NULL */
    int vlan;                 /**< outermost VLAN id, 0 if untagged */
    int64_t stun_msgs;        /**< STUN/TURN messages seen in the flow (outer and inner) */
    int64_t stun_dropped;     /**< of which not stored in `stun` (per-flow cap) */
};

/**
 * A STUN/TURN message as read back. Strings are borrowed until the callback returns; NULL
 * means the attribute was absent. Integers that can be absent are -1 then.
 */
struct sto_stun_row {
    int64_t id, capture_id;
    int64_t flow_seq;      /**< flows.flow_seq of the flow the message travelled on */
    double ts;             /**< epoch seconds */
    const char *transport; /**< "udp", "tcp" (or the IP protocol number as text) */
    const char *src, *dst; /**< sender and receiver of this message (outer packet if inner) */
    int sport, dport;
    int method;              /**< 12-bit method number */
    const char *method_name; /**< dis_stun_method_name(), or NULL: use the number */
    const char *cls;         /**< "request", "indication", "success", "error" */
    const char *txid;        /**< lower-case hex, 24 digits (32 for classic RFC 3489) */
    const char *username, *realm, *software;
    int error_code; /**< class * 100 + number; -1 without ERROR-CODE */
    const char *error_reason;
    /** First address of each kind as "ip:port" ("[2001:db8::1]:3478" for IPv6). */
    const char *mapped, *relayed, *peer;
    /** Every address of each kind, space-separated, in message order. */
    const char *mapped_all, *relayed_all, *peer_all;
    int64_t priority;        /**< ICE PRIORITY; -1 when absent */
    int use_candidate;       /**< 0/1 */
    const char *ice_role;    /**< "controlling", "controlled" or NULL */
    int64_t lifetime;        /**< TURN LIFETIME seconds; -1 when absent */
    int channel_number;      /**< TURN CHANNEL-NUMBER; -1 when absent */
    int requested_transport; /**< REQUESTED-TRANSPORT protocol number; -1 when absent */
    const char *fingerprint; /**< "ok", "bad", or NULL when absent */
    int integrity;           /**< MESSAGE-INTEGRITY or -SHA256 present (0/1) */
    int classic;             /**< RFC 3489 message (0/1) */
    int inner;               /**< carried inside ChannelData or a Send/Data indication (0/1) */
    int inner_channel;       /**< the ChannelData channel of an inner message; 0 when none */
    uint32_t anomalies;      /**< enum dis_stun_anomaly bits */
};

/** A DNS transaction (query and/or response) as read back. Strings borrowed as above. */
struct sto_dns_row {
    int64_t id, capture_id;
    int64_t flow_seq;
    double ts;             /**< the query's time, else the response's */
    const char *transport; /**< "udp", "tcp" */
    const char *client, *server;
    int client_port, server_port;
    int txid;           /**< DNS message id */
    const char *qname;  /**< presentation form (dns.h escaping); NULL without a question */
    const char *qtype;  /**< "A", "AAAA", "HTTPS", ... or the number as text */
    const char *rcode;  /**< "NOERROR", "NXDOMAIN", ... or the number as text; NULL unanswered */
    double query_ts;    /**< 0 when the query was not seen */
    double response_ts; /**< 0 while unanswered */
    int64_t answers;    /**< answer records in the response (sto_each_dns_answer gives at most
                             DIS_DNS_MAX_ANSWERS of them) */
};

/** One answer record of a DNS transaction. Strings borrowed until the callback returns. */
struct sto_dns_answer_row {
    int pos;          /**< 0-based position in the answer section */
    const char *name; /**< owner name */
    const char *type; /**< "A", "CNAME", ... or the number as text */
    int64_t ttl;      /**< seconds */
    const char *data; /**< A/AAAA: address; CNAME, DNAME, NS, PTR: target; SVCB/HTTPS:
                           "priority target key=value ..."; NULL for other types */
};

/**
 * Starts a read snapshot: every read until sto_read_end() sees the same state of the database,
 * even while another process keeps writing (WAL). Writes through @p db fail until then. A
 * no-op inside this handle's own open write transaction, which is consistent already.
 * Returns 0 or -1.
 */
int sto_read_begin(struct sto_db *db);
/** Ends the snapshot of sto_read_begin() (no-op without one). Returns 0 or -1. */
int sto_read_end(struct sto_db *db);

typedef int (*sto_capture_cb)(void *user, const struct sto_capture_row *row);
typedef int (*sto_flow_cb)(void *user, const struct sto_flow_row *row);

/** Calls @p cb for each capture (ordered by id) that matches @p f. A non-zero return from the
 *  callback stops the walk and is returned. Returns 0, the callback's value, or -1 on error. */
int sto_each_capture(struct sto_db *db, const struct sto_filter *f, sto_capture_cb cb, void *user);
/** Calls @p cb for each flow matching @p f (capture, host, time window, rule), ordered by first
 *  time then id. As above. */
int sto_each_flow(struct sto_db *db, const struct sto_filter *f, sto_flow_cb cb, void *user);

typedef int (*sto_stun_cb)(void *user, const struct sto_stun_row *row);
typedef int (*sto_dns_cb)(void *user, const struct sto_dns_row *row);
typedef int (*sto_dns_answer_cb)(void *user, const struct sto_dns_answer_row *row);

/**
 * Calls @p cb for each STUN/TURN message matching @p f (capture; host = src or dst; since /
 * until on ts), ordered by ts then id. Returns 0, the callback's non-zero value, or -1.
 */
int sto_each_stun(struct sto_db *db, const struct sto_filter *f, sto_stun_cb cb, void *user);

/**
 * Calls @p cb for each DNS transaction matching @p f (capture; host = client or server; since /
 * until on ts), ordered by ts then id. Returns 0, the callback's non-zero value, or -1.
 * The callback may call sto_each_dns_answer() for the row's answers.
 */
int sto_each_dns(struct sto_db *db, const struct sto_filter *f, sto_dns_cb cb, void *user);

/** Calls @p cb for each answer of the DNS transaction @p dns_id, in answer order. As above. */
int sto_each_dns_answer(struct sto_db *db, int64_t dns_id, sto_dns_answer_cb cb, void *user);

/** STUN/TURN messages per method and class (text report). Strings borrowed as above. */
struct sto_stun_count_row {
    int method;
    const char *method_name; /**< NULL: use the number */
    const char *cls;
    int64_t messages;
    int64_t inner; /**< of which carried inside TURN */
};
typedef int (*sto_stun_count_cb)(void *user, const struct sto_stun_count_row *row);

/** Calls @p cb per (method, class) of the messages matching @p f, by method then class
 *  (request, indication, success, error). Returns 0, the callback's value, or -1. */
int sto_each_stun_count(struct sto_db *db, const struct sto_filter *f, sto_stun_count_cb cb,
                        void *user);

/** A distinct address learned from STUN (text report). */
struct sto_stun_addr_row {
    const char *kind; /**< "relayed" or "mapped" */
    const char *addr; /**< "ip:port" */
    int64_t messages; /**< messages that carried it */
    double first;     /**< the first of them, epoch seconds */
};
typedef int (*sto_stun_addr_cb)(void *user, const struct sto_stun_addr_row *row);

/** Calls @p cb for every distinct relayed, then mapped address (every one of the *_all lists)
 *  of the messages matching @p f, most messages first. Returns 0, the callback's value, or -1. */
int sto_each_stun_addr(struct sto_db *db, const struct sto_filter *f, sto_stun_addr_cb cb,
                       void *user);

/** DNS transactions per response code, or per failed name (text report). */
struct sto_dns_count_row {
    const char *rcode;         /**< NULL: unanswered */
    const char *qname, *qtype; /**< sto_each_dns_failure only; otherwise NULL */
    int64_t transactions;
};
typedef int (*sto_dns_count_cb)(void *user, const struct sto_dns_count_row *row);

/** Calls @p cb per rcode (NULL = unanswered) of the transactions matching @p f, most first.
 *  Returns 0, the callback's value, or -1. */
int sto_each_dns_rcode(struct sto_db *db, const struct sto_filter *f, sto_dns_count_cb cb,
                       void *user);

/** Calls @p cb per (rcode, qname, qtype) of the transactions matching @p f answered NXDOMAIN,
 *  SERVFAIL or REFUSED, most first. Returns 0, the callback's value, or -1. */
int sto_each_dns_failure(struct sto_db *db, const struct sto_filter *f, sto_dns_count_cb cb,
                         void *user);

/**
 * A TLS connection as read back (one DIS_EV_TLS summary). Strings are borrowed until the
 * callback returns; NULL means absent or unknown. Times are epoch seconds, 0 when not seen.
 * Versions are text: "1.0".."1.3", "ssl3", "1.3-draftNN" (a TLS 1.3 draft), or "0x7e01" for
 * other values.
 */
struct sto_tls_row {
    int64_t id, capture_id;
    int64_t flow_seq;      /**< flows.flow_seq of the flow */
    double ts;             /**< the ClientHello (else the first TLS record seen) */
    const char *transport; /**< "tcp" */
    const char *src, *dst; /**< TLS client and server (the proxy, for a tunnel) */
    int sport, dport;
    const char *sni;
    int client_hellos;                           /**< 2 after a HelloRetryRequest */
    const char *client_version;                  /**< ClientHello legacy_version */
    const char *client_max_version;              /**< highest version offered */
    const char *version;                         /**< negotiated; NULL without ServerHello */
    const char *cipher;                          /**< "0x1301"; NULL without ServerHello */
    const char *alpn;                            /**< offered, space-separated */
    const char *server_alpn;                     /**< selected */
    const char *ja3, *ja3_md5, *ja3s, *ja3s_md5; /**< strings and their MD5s */
    const char *ja4;
    uint32_t hello_flags; /**< DIS_TLS_HF_* of the ClientHello */
    int hrr;              /**< a HelloRetryRequest was seen (0/1) */
    double server_hello_ts;
    int established; /**< 0/1 */
    double established_ts, client_appdata_ts, server_appdata_ts;
    int64_t alerts;               /**< alert records, both sides */
    double alert_ts;              /**< the first fatal alert; 0 when none */
    int alert_level, alert_desc;  /**< -1 when none or encrypted */
    const char *alert_from;       /**< "client", "server"; NULL when no fatal alert */
    int alert_before_established; /**< 0/1; -1 when no fatal alert */
    int alert_encrypted;          /**< 0/1; -1 when no fatal alert */
    int certs_total;              /**< certificates in the server's Certificate message */
    int64_t certs;                /**< of which stored in `certs` */
    int client_cert;              /**< the client sent a certificate (0/1) */
    const char *chain;            /**< "valid", "invalid", "error"; NULL when not verified */
    int verify_error;             /**< OpenSSL X509_V_* code; -1 when none */
    int verify_depth;             /**< depth of that error; -1 when none */
    const char *verify_reason;    /**< its text, or why verification could not run */
    int in_tunnel;                /**< inside a proxy tunnel: HTTP CONNECT or SOCKS (0/1) */
    const char *proxy_kind;       /**< "http", "socks5", "socks4", or NULL */
    const char *proxy_target;     /**< the tunnel's target host, or NULL */
    int proxy_port;               /**< 0 when not in a tunnel */
    int proxy_status;             /**< HTTP status or SOCKS reply code; -1 when not in a tunnel */
    int proxy_first_status;       /**< the flow's first CONNECT status (407: challenged), or -1 */
    uint32_t flags;               /**< DIS_TLS_CF_* */
    int midstream;                /**< picked up without its SYN (0/1) */
    const char *cert_subject;     /**< the leaf certificate's (pos 0), or NULL */
    const char *cert_issuer;
    const char *cert_sha256;
};

/** One server certificate of a TLS connection. Strings borrowed until the callback returns. */
struct sto_tls_cert_row {
    int pos;                      /**< 0 = leaf, then in the order sent */
    const char *subject, *issuer; /**< RFC 2253 one-line; NULL when unreadable */
    const char *sha256;           /**< SHA-256 of the DER, lower-case hex */
    double not_before, not_after; /**< epoch seconds; meaningful when @c readable */
    const char *sans;             /**< DNS names and IP addresses, space-separated, or NULL */
    int64_t san_total;            /**< SANs in the certificate (sans keeps at most 16) */
    int self_issued;              /**< subject equals issuer (0/1) */
    int readable;                 /**< 0: the certificate did not decode; only sha256 */
};

/** One HTTP CONNECT exchange as read back. Strings borrowed until the callback returns. */
struct sto_http_connect_row {
    int64_t id, capture_id, flow_seq;
    double ts;             /**< the proxy's response */
    const char *transport; /**< "tcp" */
    const char *client, *proxy;
    int client_port, proxy_port;
    const char *target; /**< the requested host (IPv6 literal without brackets) */
    int target_port;
    int status;                       /**< the proxy's status code; -1 when unknown */
    const char *reason;               /**< its reason phrase */
    const char *proxy_authenticate;   /**< scheme of the proxy's challenge, or NULL */
    int proxy_authorization;          /**< the request carried Proxy-Authorization (0/1) */
    const char *authorization_scheme; /**< its scheme ("Basic", "NTLM"), never credentials */
    const char *user_agent;
};

typedef int (*sto_tls_cb)(void *user, const struct sto_tls_row *row);
typedef int (*sto_tls_cert_cb)(void *user, const struct sto_tls_cert_row *row);
typedef int (*sto_http_connect_cb)(void *user, const struct sto_http_connect_row *row);

/**
 * Calls @p cb for each TLS connection matching @p f (capture; host = src or dst; since / until
 * on ts), ordered by ts then id. Returns 0, the callback's non-zero value, or -1. The callback
 * may call sto_each_tls_cert() for the row's certificates.
 */
int sto_each_tls(struct sto_db *db, const struct sto_filter *f, sto_tls_cb cb, void *user);

/** Calls @p cb for each certificate of the TLS connection @p tls_id, leaf first. As above. */
int sto_each_tls_cert(struct sto_db *db, int64_t tls_id, sto_tls_cert_cb cb, void *user);

/**
 * Calls @p cb for each CONNECT exchange matching @p f (capture; host = client or proxy; since /
 * until on ts), ordered by ts then id. Returns 0, the callback's non-zero value, or -1.
 */
int sto_each_http_connect(struct sto_db *db, const struct sto_filter *f, sto_http_connect_cb cb,
                          void *user);

/** TLS totals over the connections matching a filter (text report). */
struct sto_tls_totals {
    int64_t connections, established, hrr, tunnelled;
    int64_t fatal_alerts;           /**< connections with a fatal alert */
    int64_t with_certs;             /**< connections whose server certificate was seen */
    int64_t valid, invalid, errors; /**< chain verdicts */
};

/** Fills @p t for the TLS connections matching @p f. Returns 0 or -1. */
int sto_tls_totals(struct sto_db *db, const struct sto_filter *f, struct sto_tls_totals *t);

/** TLS connections per value of one column (text report). */
struct sto_tls_count_row {
    const char *name; /**< the version or SNI; NULL: none */
    int64_t connections;
    int64_t established;
};
typedef int (*sto_tls_count_cb)(void *user, const struct sto_tls_count_row *row);

/** Calls @p cb per negotiated version (NULL: no ServerHello) of the connections matching @p f,
 *  most first. Returns 0, the callback's value, or -1. */
int sto_each_tls_version(struct sto_db *db, const struct sto_filter *f, sto_tls_count_cb cb,
                         void *user);
/** Calls @p cb per SNI (NULL: none) of the connections matching @p f, most first, then by
 *  name. Returns 0, the callback's value, or -1. */
int sto_each_tls_sni(struct sto_db *db, const struct sto_filter *f, sto_tls_count_cb cb,
                     void *user);

/** Connections per leaf certificate and chain verdict (text report). */
struct sto_tls_leaf_row {
    const char *subject, *issuer; /**< of the leaf; NULL when unreadable */
    const char *sha256;
    const char *chain;         /**< "valid", "invalid", "error", or NULL (not verified) */
    const char *verify_reason; /**< of the first such connection */
    int self_issued;
    int64_t connections;
};
typedef int (*sto_tls_leaf_cb)(void *user, const struct sto_tls_leaf_row *row);

/** Calls @p cb per (leaf certificate, verdict) of the connections matching @p f: invalid and
 *  error verdicts first, then most connections. Returns 0, the callback's value, or -1. */
int sto_each_tls_leaf(struct sto_db *db, const struct sto_filter *f, sto_tls_leaf_cb cb,
                      void *user);

/** Connections per kind of fatal alert (text report). */
struct sto_tls_alert_row {
    const char *from;       /**< "client", "server" */
    int level, desc;        /**< -1 when encrypted */
    int encrypted;          /**< 0/1 */
    int before_established; /**< 0/1 */
    const char *sni;        /**< one SNI of those connections (the smallest), or NULL */
    int64_t connections;
};
typedef int (*sto_tls_alert_cb)(void *user, const struct sto_tls_alert_row *row);

/** Calls @p cb per (sender, level, description, encrypted, before the handshake end) of the
 *  fatal alerts of the connections matching @p f, most first. Returns 0, the callback's value,
 *  or -1. */
int sto_each_tls_alert(struct sto_db *db, const struct sto_filter *f, sto_tls_alert_cb cb,
                       void *user);

/* ---- reading analysis results ---- */

/**
 * A session as read back. Strings are borrowed until the callback returns; NULL when absent.
 * Transport addresses are "ip:port" ("[2001:db8::1]:3478" for IPv6), addresses "ip".
 */
struct sto_session_row {
    int64_t id, capture_id;
    int64_t seq;               /**< the analyzer's id of the session in its capture */
    const char *kind;          /**< "ice", "turn", "broadcast", "direct" */
    int method;                /**< 1, 2, 3; 0 when none */
    const char *submethod;     /**< "host", "srflx", "relay-udp", "relay-tcp", "relay-tls" */
    const char *proto;         /**< of the selected flow: "udp", "tcp" */
    const char *sel_local;     /**< selected pair, capture side; NULL: none selected */
    const char *sel_remote;    /**< selected pair, other side */
    const char *client, *peer; /**< addresses */
    const char *server;        /**< TURN server, "ip:port" */
    double first, last;
    int64_t bytes;
    const char *ufrags;    /**< ICE: "a:b" */
    int64_t link_seq;      /**< seq of the linked session; 0 when none */
    int64_t link_id;       /**< its row id; 0 when none (or not in the database) */
    const char *relayed;   /**< TURN: relayed transport address */
    const char *mapped;    /**< TURN: mapped transport address */
    const char *transport; /**< TURN: "udp", "tcp", "tls" */
    /** TURN counters; -1 for other kinds of session. */
    int64_t lifetime, permissions, channels, peers, errors;
    int last_error; /**< TURN: code of the last error; -1 when none */
    const char *explanation;
    int64_t pairs; /**< candidate pairs stored */
};

/** A candidate pair as read back. Strings borrowed until the callback returns. */
struct sto_pair_row {
    int64_t id, session_id;     /**< session_id: sessions.id (the row id) */
    const char *proto;          /**< "udp", "tcp" */
    int relayed;                /**< 0/1 */
    const char *local, *remote; /**< "ip:port" */
    int64_t requests, successes, errors;
    int nominated, selected; /**< 0/1 */
    double first, last;
    double rtt_ms; /**< < 0 when unknown */
};

/** A verdict as read back. Strings borrowed until the callback returns; NULL when absent. */
struct sto_verdict_row {
    int64_t id, capture_id;
    int64_t session_id;     /**< sessions.id; 0 when none */
    int64_t flow_seq;       /**< flows.flow_seq; 0 when none */
    const char *kind;       /**< "blocked", "inspected" */
    const char *code;       /**< "tcp_no_answer", ... */
    const char *confidence; /**< "confirmed", "suspected" */
    const char *rule;
    const char *proto; /**< "tcp", "udp", ... */
    const char *src, *dst;
    int sport, dport;
    const char *host;
    double first;
    const char *evidence;
};

/** A host as read back. Strings borrowed until the callback returns. */
struct sto_host_row {
    int64_t id, capture_id;
    const char *addr;
    const char *names;   /**< JSON array of strings, as stored ("[]" when none) */
    const char *role;    /**< "client", "console", "server", "other" */
    int local;           /**< 0/1 */
    const char *methods; /**< JSON array of numbers ("[2,3]") */
    int64_t verdicts;
    double first, last; /**< 0 when unknown */
};

/** A profile rule of a capture as read back. Strings borrowed until the callback returns. */
struct sto_rule_row {
    int64_t capture_id;
    int position;        /**< 0-based order in the profile */
    const char *id;      /**< rule id */
    const char *hosts;   /**< host patterns, space-separated, or NULL */
    const char *ports;   /**< "tcp/443 udp/3478 udp/49152-65535", or NULL */
    const char *scope;   /**< "internet", "lan" */
    const char *traffic; /**< "any", "ice" */
    int product;         /**< 0/1 */
    const char *used_for;
    const char *profile; /**< the profile's name (captures.profile), or NULL */
};

typedef int (*sto_session_cb)(void *user, const struct sto_session_row *row);
typedef int (*sto_pair_cb)(void *user, const struct sto_pair_row *row);
typedef int (*sto_verdict_cb)(void *user, const struct sto_verdict_row *row);
typedef int (*sto_host_cb)(void *user, const struct sto_host_row *row);
typedef int (*sto_rule_cb)(void *user, const struct sto_rule_row *row);

/**
 * Calls @p cb for each session matching @p f (capture; host = client, peer or the server's
 * address; the time window overlapping first..last; method), ordered by first time then id.
 * The callback may call sto_each_session_pair(). Returns 0, the callback's value, or -1.
 */
int sto_each_session(struct sto_db *db, const struct sto_filter *f, sto_session_cb cb, void *user);

/** Calls @p cb for each candidate pair of the session with row id @p session_id: the
 *  selected pair first, then by first time. Returns 0, the callback's value, or -1. */
int sto_each_session_pair(struct sto_db *db, int64_t session_id, sto_pair_cb cb, void *user);

/** Calls @p cb for each candidate pair of the sessions matching @p f (as sto_each_session), by
 *  session then as sto_each_session_pair. Returns 0, the callback's value, or -1. */
int sto_each_pair(struct sto_db *db, const struct sto_filter *f, sto_pair_cb cb, void *user);

/** Calls @p cb for each verdict matching @p f (capture; host = src or dst; first inside the
 *  window; rule; method: the verdict's session has it), ordered by first time then id.
 *  Returns 0, the callback's value, or -1. */
int sto_each_verdict(struct sto_db *db, const struct sto_filter *f, sto_verdict_cb cb, void *user);

/** Calls @p cb for each host matching @p f (capture; host = addr; first..last overlapping the
 *  window; method: among the host's methods), ordered by capture, then role (client, console,
 *  server, other), then address. Returns 0, the callback's value, or -1. */
int sto_each_host(struct sto_db *db, const struct sto_filter *f, sto_host_cb cb, void *user);

/** Calls @p cb for each profile rule of the captures matching f->capture_id (the other filters
 *  do not apply), by capture then position. Returns 0, the callback's value, or -1. */
int sto_each_rule(struct sto_db *db, const struct sto_filter *f, sto_rule_cb cb, void *user);

/**
 * One profile rule with the evidence against it, for the requirement checklist. Strings are
 * borrowed until the callback returns.
 */
struct sto_rule_stat_row {
    const char *id;       /**< rule id */
    const char *hosts;    /**< host patterns, space-separated, or NULL */
    const char *ports;    /**< "tcp/443 udp/3478", or NULL */
    const char *scope;    /**< "internet", "lan" */
    const char *traffic;  /**< "any", "ice" */
    int product;          /**< 0/1 */
    const char *used_for; /**< or NULL */
    int64_t flows;        /**< flows attributed to the rule (matching the filter) */
    int64_t flows_ok;     /**< of which answered: TCP established, other protocols both ways */
    int64_t blocked;      /**< blocked verdicts with the rule (matching the filter) */
    int64_t inspected;    /**< inspected verdicts with the rule */
    double first, last;   /**< of those flows; 0 when none */
};
typedef int (*sto_rule_stat_cb)(void *user, const struct sto_rule_stat_row *row);

/**
 * Calls @p cb once per rule id of the captures matching f->capture_id and f->rule: the union
 * of their profiles, grouped by rule id (the text is that of the newest capture's rule), by
 * lowest position, then first capture. The counts take f's capture, host, since/until and rule
 * (host: flows and verdicts with that address at either end); f->method does not apply.
 * Returns 0, the callback's value, or -1.
 */
int sto_each_rule_stat(struct sto_db *db, const struct sto_filter *f, sto_rule_stat_cb cb,
                       void *user);

/** Sessions of one routing method and sub-method (the Methods section of a report). */
struct sto_method_stat_row {
    int method;            /**< 1, 2, 3; 0 for sessions without a method */
    const char *submethod; /**< "host", "srflx", "relay-udp" ...; NULL when none */
    const char *kind;      /**< method 0: the sessions' kind ("broadcast", "turn"); else NULL */
    int64_t sessions;      /**< sessions (a TURN allocation that an ICE session ran through is
                                counted with that session, not again) */
    int64_t bytes;         /**< IP bytes of their selected flows */
    double rtt_ms;         /**< median round-trip time of their selected pairs' first answered
                                check, milliseconds; < 0 when none is known */
    int64_t rtt_n;         /**< selected pairs with a round-trip time */
};
typedef int (*sto_method_stat_cb)(void *user, const struct sto_method_stat_row *row);

/**
 * Calls @p cb per (method, submethod) of the sessions matching @p f (as sto_each_session, also
 * f->method), by method (those without one last), then submethod and kind. Returns 0, the
 * callback's value, or -1.
 */
int sto_each_method_stat(struct sto_db *db, const struct sto_filter *f, sto_method_stat_cb cb,
                         void *user);

/** Totals for summaries. */
struct sto_totals {
    int64_t captures, packets, bytes, drops, warnings; /**< over the matching captures */
    int64_t flows, tcp_flows, udp_flows, icmp_flows;   /**< icmp counts ICMP and ICMPv6 */
    int64_t other_flows;                               /**< neither TCP, UDP nor ICMP */
    double first, last; /**< earliest/latest time of the matching flows, else of the matching
                             captures; 0 when there is none */
};

/**
 * Fills @p t for the captures and flows matching @p f (captures match the host filter when
 * one of their flows does; f->rule restricts the flow counts, not the captures). Returns 0 or
 * -1.
 */
int sto_totals(struct sto_db *db, const struct sto_filter *f, struct sto_totals *t);

/** Flows per application. @c app is borrowed until the callback returns; NULL groups the
 *  flows nDPI did not classify. */
struct sto_app_row {
    const char *app;
    int64_t flows, bytes; /**< bytes: both directions */
};
typedef int (*sto_app_cb)(void *user, const struct sto_app_row *row);

/** Calls @p cb per application of the flows matching @p f, most flows first (then most
 *  bytes, then name). Returns 0, the callback's non-zero value, or -1 on error. */
int sto_each_app(struct sto_db *db, const struct sto_filter *f, sto_app_cb cb, void *user);

#endif
