/* SPDX-License-Identifier: MIT */
/* sto.h - SQLite storage: one writer, batched transactions, versioned schema, read iterators. */
#ifndef STO_STO_H
#define STO_STO_H

#include <stdint.h>

#include "dissect/flow.h"
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

/**
 * Adds a finished flow of capture @p capture_id. Rows are batched: a transaction is committed
 * every sto_set_batch() rows or when sto_commit() is called. Returns 0 or -1 (disk full,
 * database locked beyond the busy timeout...).
 */
SS_MUST_CHECK int sto_flow_add(struct sto_db *db, int64_t capture_id, const struct dis_flow_rec *f);

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
 * window when it overlaps it (last >= since and first <= until); a capture likewise.
 */
struct sto_filter {
    int64_t capture_id;  /**< only this capture (0 = all) */
    const char *host;    /**< flows with this address at either end (an IP address is
                              compared in its canonical text form, so "2001:DB8:0::1" matches) */
    double since, until; /**< epoch seconds; 0 = open */
};

/** A capture row as read back. Strings are borrowed until the callback returns. */
struct sto_capture_row {
    int64_t id;
    const char *source, *kind, *sha256, *linktype, *status, *version;
    double first, last; /**< epoch seconds; 0 when the capture had no packets */
    int64_t packets, bytes, drops, warnings, file_bytes;
    int linktype_num;
    double analysed_at; /**< epoch seconds when sto_capture_begin() stored it */
};

/** A flow row as read back. Strings are borrowed until the callback returns. */
struct sto_flow_row {
    int64_t id, capture_id;
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
    const char *host, *rule;    /**< attribution (later issues); NULL for now */
    int64_t channeldata;
    int64_t frags, icmp_errors;
    int icmp_type, icmp_code; /**< first ICMP error quoting this flow; -1 when none */
    const char *icmp_from;    /**< who sent that error, or NULL */
    double icmp_first;        /**< when; 0 when none */
    const char *end_reason;   /**< dis_flow_end_name(), or NULL */
    int vlan;                 /**< outermost VLAN id, 0 if untagged */
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
/** Calls @p cb for each flow matching @p f, ordered by first time then id. As above. */
int sto_each_flow(struct sto_db *db, const struct sto_filter *f, sto_flow_cb cb, void *user);

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
 * one of their flows does). Returns 0 or -1.
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
