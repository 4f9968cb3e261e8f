/* SPDX-License-Identifier: MIT */
/* sto_int.h - private to store/: the handle, its statements, shared helpers, the migrations. */
#ifndef STO_STO_INT_H
#define STO_STO_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/sto.h"

/** PRAGMA application_id of a sensoscope database ("SSCP"), set by the first migration. */
#define STO__APPLICATION_ID 0x53534350

/** Room for an address as text (dis_addr_str), IPv6 included. */
#define STO__ADDR_LEN 64

/**
 * One schema migration: the SQL (one or more statements) that takes the schema from version
 * N-1 to N, where N is the entry's 1-based position in the list. @c what names it in errors.
 */
struct sto__migration {
    const char *what;
    const char *sql;
};

/** The migrations, oldest first; sets @p count (== sto_schema_version()). Static table. */
const struct sto__migration *sto__migrations(int *count);

/* Every statement the store runs after sto_open(): prepared once there, reset after use. */
enum sto__st {
    STO__BEGIN,
    STO__COMMIT,
    STO__ROLLBACK,
    STO__READ_BEGIN,
    STO__READ_END,
    STO__CAP_INSERT,
    STO__CAP_UPDATE,
    STO__CAP_FIND,
    STO__CAP_DELETE,
    STO__CAP_STATS_INSERT,
    STO__FLOW_INSERT,
    STO__STUN_INSERT,
    STO__DNS_INSERT,
    STO__DNS_FIND,
    STO__DNS_UPDATE,
    STO__DNS_ANSWER_INSERT,
    STO__TLS_INSERT,
    STO__CERT_INSERT,
    STO__HTTP_INSERT,
    STO__CAP_EACH,
    STO__FLOW_EACH,
    STO__APP_EACH,
    STO__TOT_CAP,
    STO__TOT_FLOW,
    STO__STUN_EACH,
    STO__DNS_EACH,
    STO__DNS_ANSWER_EACH,
    STO__STUN_COUNT,
    STO__STUN_ADDR,
    STO__DNS_RCODE,
    STO__DNS_FAIL,
    STO__TLS_EACH,
    STO__CERT_EACH,
    STO__HTTP_EACH,
    STO__TLS_TOTALS,
    STO__TLS_VERSION,
    STO__TLS_SNI,
    STO__TLS_LEAF,
    STO__TLS_ALERT,
    STO__SESSION_INSERT,
    STO__SESSION_FIND,
    STO__PAIR_INSERT,
    STO__VERDICT_INSERT,
    STO__HOST_INSERT,
    STO__RULE_INSERT,
    STO__RULES_CLEAR,
    STO__CAP_PROFILE,
    STO__CLEAR_VERDICTS,
    STO__CLEAR_SESSIONS,
    STO__CLEAR_HOSTS,
    STO__SESSION_EACH,
    STO__SESSION_PAIR_EACH,
    STO__PAIR_EACH,
    STO__VERDICT_EACH,
    STO__HOST_EACH,
    STO__RULE_EACH,
    STO__RULE_STAT,
    STO__METHOD_STAT,
    STO__ST_COUNT
};

struct sto_db {
    sqlite3 *h;
    enum sto_mode mode;
    sqlite3_stmt *st[STO__ST_COUNT];
    uint32_t batch;   /* rows per transaction */
    uint32_t pending; /* rows written in the open transaction */
    int in_txn;       /* our BEGIN is open */
    int in_read;      /* a read snapshot (sto_read_begin) is open */
    char err[SS_ERRBUF_SIZE];
    /* Set when written rows were rolled back: every later write and the final close fail
     * with it, so a caller cannot finish "successfully" with rows missing. */
    char lost[SS_ERRBUF_SIZE];
};

/* ---- helpers shared by the store's files (sto.c) ---- */

/** Formats the handle's error (sto_errstr) and returns -1. */
__attribute__((format(printf, 2, 3))) int sto__fail(struct sto_db *db, const char *fmt, ...);

/** Epoch seconds of a nanosecond time, the integer part exact. */
double sto__secs(uint64_t ns);

/** @p v clamped to INT64_MAX, for binding unsigned counters. */
sqlite3_int64 sto__i64(uint64_t v);

/** Binds @p s (at most @p max bytes, may lack a NUL) as text, or NULL when empty. */
int sto__bind_str(sqlite3_stmt *st, int i, const char *s, size_t max);

/** Binds an address as text, NULL when the address is absent. */
int sto__bind_addr(sqlite3_stmt *st, int i, const struct dis_addr *a);

/** "tcp", "udp", "icmp", "icmp6", else the number written into @p buf. */
const char *sto__proto_name(uint8_t proto, char buf[4]);

/** "ip:port", or "[v6addr]:port" as in URIs (RFC 3986), so the port is never ambiguous.
 *  Returns @p buf, or NULL when @p a is not an address (family 0). */
const char *sto__endpoint(const struct dis_addr *a, uint16_t port, char *buf, size_t len);

/** Room for an endpoint as text: "[" address "]:65535". */
#define STO__EP_LEN (STO__ADDR_LEN + 8)

/** Steps a bound write statement that is part of a larger row (not counted for the batch),
 *  then resets it. Returns 0 or -1. */
int sto__step_part(struct sto_db *db, sqlite3_stmt *st, const char *what);

/** Checks that @p db may write and opens the batch transaction. Returns 0 or -1. */
int sto__write_start(struct sto_db *db, const char *what);

/** Runs the statement @p which with @p capture_id as ?1 (and @p text as ?2 when not NULL), not
 *  counted for the batch. Returns the number of rows changed, or -1. */
int sto__exec_capture(struct sto_db *db, enum sto__st which, int64_t capture_id, const char *text,
                      const char *what);

/** Fails (with @p what in the message) when this handle must not write. Returns 0 or -1. */
int sto__writable(struct sto_db *db, const char *what);

/**
 * Records the failure of @p st (which returned @p rc) doing @p what; when SQLite rolled the
 * transaction back, every later write fails too. Returns -1.
 */
int sto__step_fail(struct sto_db *db, sqlite3_stmt *st, const char *what, int rc);

/** Opens the batch transaction on the first write. Returns 0 or -1. */
int sto__begin(struct sto_db *db, const char *what);

/** Steps a bound write statement and counts the row; commits when the batch is full. */
int sto__write(struct sto_db *db, sqlite3_stmt *st, const char *what);

/**
 * Steps a bound lookup @p st that yields at most one id (column 0). Returns 1 with @p id set,
 * 0 when there is no row, -1 on error (message names @p what).
 */
int sto__find_id(struct sto_db *db, sqlite3_stmt *st, const char *what, int64_t *id);

#endif
