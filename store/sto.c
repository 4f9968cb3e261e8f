/* SPDX-License-Identifier: MIT */
/* sto.c - SQLite storage: open and migrate, batched inserts through prepared statements, reads. */
#define _POSIX_C_SOURCE 200809L

#include "store/sto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "sto_int.h"

#define STO__BUSY_MS 5000
#define STO__BATCH 20000u
#define STO__ADDR_LEN 64

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
    STO__FLOW_INSERT,
    STO__CAP_EACH,
    STO__FLOW_EACH,
    STO__APP_EACH,
    STO__TOT_CAP,
    STO__TOT_FLOW,
    STO__ST_COUNT
};

/*
 * The filters of struct sto_filter as SQL, one parameter each: ?1 capture id, ?2 address,
 * ?3 since, ?4 until; a NULL parameter does not filter. One statement serves every filter
 * combination, so nothing is prepared per call.
 */
#define STO__FLOW_WHERE                                                                            \
    " WHERE (?1 IS NULL OR capture_id = ?1) AND (?2 IS NULL OR src = ?2 OR dst = ?2)"              \
    " AND (?3 IS NULL OR last >= ?3) AND (?4 IS NULL OR first <= ?4)"
#define STO__CAP_WHERE                                                                             \
    " WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR EXISTS (SELECT 1 FROM flows"                \
    " WHERE flows.capture_id = captures.id AND (flows.src = ?2 OR flows.dst = ?2)))"               \
    " AND (?3 IS NULL OR last >= ?3) AND (?4 IS NULL OR first <= ?4)"

/* Epoch seconds now, as REAL, in SQL (unixepoch('subsec') needs SQLite 3.42). */
#define STO__NOW "((julianday('now') - 2440587.5) * 86400.0)"

static const struct {
    const char *sql;
    int write; /* not prepared in read-only mode */
} sto__sql[STO__ST_COUNT] = {
    [STO__BEGIN] = {"BEGIN IMMEDIATE", 1},
    [STO__COMMIT] = {"COMMIT", 1},
    [STO__ROLLBACK] = {"ROLLBACK", 1},
    [STO__READ_BEGIN] = {"BEGIN DEFERRED", 0},
    [STO__READ_END] = {"COMMIT", 0},
    [STO__CAP_INSERT] = {"INSERT INTO captures (source, kind, sha256, file_bytes, linktype,"
                         " linktype_num, first, last, packets, bytes, drops, warnings, status,"
                         " version, analysed_at)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'running',"
                         " ?13, " STO__NOW ")",
                         1},
    [STO__CAP_UPDATE] = {"UPDATE captures SET file_bytes = ?2, linktype = ?3, linktype_num = ?4,"
                         " first = ?5, last = ?6, packets = ?7, bytes = ?8, drops = ?9,"
                         " warnings = ?10, status = coalesce(?11, status),"
                         " sha256 = coalesce(?12, sha256) WHERE id = ?1",
                         1},
    [STO__CAP_FIND] = {"SELECT id FROM captures WHERE sha256 = ?1", 0},
    [STO__CAP_DELETE] = {"DELETE FROM captures WHERE id = ?1", 1},
    [STO__FLOW_INSERT] = {"INSERT INTO flows (capture_id, proto, src, sport, dst, dport, first,"
                          " last, pkts_out, pkts_in, bytes_out, bytes_in, payload_out, payload_in,"
                          " state, history, rtt, ttl_out_min, ttl_out_max, ttl_in_min, ttl_in_max,"
                          " app, category, frags, icmp_errors, icmp_type, icmp_code, icmp_from,"
                          " icmp_first, end_reason, vlan)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                          " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
                          " ?29, ?30, ?31)",
                          1},
    [STO__CAP_EACH] = {"SELECT id, source, kind, sha256, file_bytes, linktype, linktype_num,"
                       " first, last, packets, bytes, drops, warnings, status, version,"
                       " analysed_at FROM captures" STO__CAP_WHERE " ORDER BY id",
                       0},
    [STO__FLOW_EACH] = {"SELECT id, capture_id, proto, src, sport, dst, dport, first, last,"
                        " pkts_out, pkts_in, bytes_out, bytes_in, payload_out, payload_in, state,"
                        " history, rtt, ttl_out_min, ttl_out_max, ttl_in_min, ttl_in_max, app,"
                        " category, host, rule, channeldata, frags, icmp_errors, icmp_type,"
                        " icmp_code, icmp_from, icmp_first, end_reason, vlan"
                        " FROM flows" STO__FLOW_WHERE " ORDER BY first, id",
                        0},
    [STO__APP_EACH] = {"SELECT app, count(*), coalesce(sum(bytes_out + bytes_in), 0)"
                       " FROM flows" STO__FLOW_WHERE " GROUP BY app ORDER BY 2 DESC, 3 DESC, app",
                       0},
    [STO__TOT_CAP] = {"SELECT count(*), coalesce(sum(packets), 0), coalesce(sum(bytes), 0),"
                      " coalesce(sum(drops), 0), coalesce(sum(warnings), 0), min(first),"
                      " max(last) FROM captures" STO__CAP_WHERE,
                      0},
    [STO__TOT_FLOW] = {"SELECT count(*), coalesce(sum(proto = 'tcp'), 0),"
                       " coalesce(sum(proto = 'udp'), 0),"
                       " coalesce(sum(proto IN ('icmp', 'icmp6')), 0), min(first), max(last)"
                       " FROM flows" STO__FLOW_WHERE,
                       0},
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

/* ---- helpers ---- */

__attribute__((format(printf, 2, 3))) static int sto__fail(struct sto_db *db, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(db->err, sizeof db->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Epoch seconds of a nanosecond time, splitting so the integer part is exact. */
static double sto__secs(uint64_t ns)
{
    return (double)(ns / 1000000000u) + (double)(ns % 1000000000u) * 1e-9;
}

static sqlite3_int64 sto__i64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

/* Text of a nullable column; NULL for SQL NULL. */
static const char *sto__col_text(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return NULL;
    return (const char *)sqlite3_column_text(st, i);
}

static int sto__col_int(sqlite3_stmt *st, int i, int dflt)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return dflt;
    return sqlite3_column_int(st, i);
}

static double sto__col_double(sqlite3_stmt *st, int i, double dflt)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return dflt;
    return sqlite3_column_double(st, i);
}

/* Binds @p s (at most @p max bytes, may lack a NUL) as text, or NULL when empty. */
static int sto__bind_str(sqlite3_stmt *st, int i, const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max) : 0;

    if (n == 0)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
}

/* Binds an address as text, NULL when the address is absent. */
static int sto__bind_addr(sqlite3_stmt *st, int i, const struct dis_addr *a)
{
    char buf[STO__ADDR_LEN];

    if (a->family != 4 && a->family != 6)
        return sqlite3_bind_null(st, i);
    dis_addr_str(a, buf, sizeof buf);
    return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

static const char *sto__proto_name(uint8_t proto, char buf[4])
{
    switch (proto) {
    case DIS_IPPROTO_TCP:
        return "tcp";
    case DIS_IPPROTO_UDP:
        return "udp";
    case DIS_IPPROTO_ICMP:
        return "icmp";
    case DIS_IPPROTO_ICMPV6:
        return "icmp6";
    default:
        snprintf(buf, 4, "%u", (unsigned)proto);
        return buf;
    }
}

/* Runs @p sql that yields one integer (a PRAGMA or a count). Returns an SQLite code. */
static int sto__query_int(sqlite3 *h, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * Writes the message for a failure of @p what while opening @p path, worded for the person
 * running the command: the common causes get a sentence, the rest SQLite's own text.
 */
static void sto__open_msg(char *err, sqlite3 *h, const char *path, const char *what, int rc)
{
    const char *msg = h ? sqlite3_errmsg(h) : sqlite3_errstr(rc);

    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        snprintf(err, SS_ERRBUF_SIZE, "%s is not a sensoscope database (not an SQLite file)", path);
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        snprintf(err, SS_ERRBUF_SIZE,
                 "%s is locked by another process (is another sensoscope writing to it?): %s", path,
                 msg);
        break;
    case SQLITE_CANTOPEN: {
        int e = h ? sqlite3_system_errno(h) : 0;
        snprintf(err, SS_ERRBUF_SIZE, "cannot open database %s: %s%s%s%s", path, msg, e ? " (" : "",
                 e ? strerror(e) : "", e ? ")" : "");
        break;
    }
    case SQLITE_READONLY:
    case SQLITE_PERM:
        snprintf(err, SS_ERRBUF_SIZE, "cannot write database %s: %s", path, msg);
        break;
    case SQLITE_CORRUPT:
        snprintf(err, SS_ERRBUF_SIZE, "database %s is corrupt: %s", path, msg);
        break;
    default:
        snprintf(err, SS_ERRBUF_SIZE, "database %s: %s: %s", path, what, msg);
        break;
    }
}

/*
 * Reads the header fields that tell whose database this is and which schema it has, and
 * refuses what we must not touch. Returns 0 and sets @p version, or -1 with @p err set.
 */
static int sto__check(sqlite3 *h, const char *path, enum sto_mode mode, int *version, char *err)
{
    int app = 0, tables = 0, known = sto_schema_version();
    int rc = sto__query_int(h, "PRAGMA application_id", &app);

    if (rc == SQLITE_OK)
        rc = sto__query_int(h, "PRAGMA user_version", version);
    if (rc == SQLITE_OK)
        rc = sto__query_int(h, "SELECT count(*) FROM sqlite_master", &tables);
    if (rc != SQLITE_OK) {
        sto__open_msg(err, h, path, "reading the schema version", rc);
        return -1;
    }
    /* Ours, or a new empty file that becomes ours. Anything else belongs to someone else. */
    if ((uint32_t)app != STO__APPLICATION_ID && !(app == 0 && *version == 0 && tables == 0)) {
        snprintf(err, SS_ERRBUF_SIZE,
                 "%s is an SQLite database of another application, not a sensoscope database "
                 "(application_id 0x%08x, user_version %d)",
                 path, (unsigned)app, *version);
        return -1;
    }
    if (*version > known) {
        snprintf(err, SS_ERRBUF_SIZE,
                 "%s has schema version %d, newer than this sensoscope (%s) knows (%d): "
                 "upgrade sensoscope",
                 path, *version, SS_VERSION_STRING, known);
        return -1;
    }
    if (mode == STO_READ_ONLY && *version == 0) {
        snprintf(err, SS_ERRBUF_SIZE,
                 "%s holds no sensoscope data yet (run 'sensoscope analyze' first)", path);
        return -1;
    }
    if (mode == STO_READ_ONLY && *version < known) {
        snprintf(err, SS_ERRBUF_SIZE,
                 "%s has schema version %d, older than this sensoscope's %d: run "
                 "'sensoscope analyze' with it once to migrate it",
                 path, *version, known);
        return -1;
    }
    return 0;
}

/* Applies the missing migrations in one transaction, re-reading the version once the write
 * lock is held (another writer may have migrated meanwhile). Returns 0 or -1. */
static int sto__migrate(sqlite3 *h, const char *path, char *err)
{
    int n = 0, version = 0;
    const struct sto__migration *m = sto__migrations(&n);
    char sql[96];
    int rc = sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);

    if (rc != SQLITE_OK) {
        sto__open_msg(err, h, path, "starting the schema migration", rc);
        return -1;
    }
    rc = sto__query_int(h, "PRAGMA user_version", &version);
    if (rc != SQLITE_OK) {
        sto__open_msg(err, h, path, "reading the schema version", rc);
        goto fail;
    }
    if (version > n) { /* a newer sensoscope got there first */
        snprintf(err, SS_ERRBUF_SIZE,
                 "%s has schema version %d, newer than this sensoscope knows (%d): upgrade "
                 "sensoscope",
                 path, version, n);
        goto fail;
    }
    for (int v = version + 1; v <= n; v++) {
        rc = sqlite3_exec(h, m[v - 1].sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, SS_ERRBUF_SIZE, "database %s: migrating the schema to %s: %s", path,
                     m[v - 1].what, sqlite3_errmsg(h));
            goto fail;
        }
    }
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
             (int)STO__APPLICATION_ID, n);
    rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sto__open_msg(err, h, path, "committing the schema migration", rc);
        goto fail;
    }
    return 0;
fail:
    if (!sqlite3_get_autocommit(h))
        sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static void sto__free(struct sto_db *db)
{
    for (int i = 0; i < STO__ST_COUNT; i++)
        sqlite3_finalize(db->st[i]);
    /* close_v2 frees the handle even if something is still open; nothing should be. */
    sqlite3_close_v2(db->h);
    free(db);
}

/* ---- open / close ---- */

struct sto_db *sto_open(const char *path, enum sto_mode mode, char err[SS_ERRBUF_SIZE])
{
    struct sto_db *db;
    struct stat sb;
    int flags, rc, version = 0;

    err[0] = '\0';
    if (!path || !*path) {
        snprintf(err, SS_ERRBUF_SIZE, "no database path given");
        return NULL;
    }
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(err, SS_ERRBUF_SIZE, "cannot open database %s: it is a directory", path);
        return NULL;
    }
    if (mode == STO_READ_ONLY && stat(path, &sb) != 0) {
        if (errno == ENOENT)
            snprintf(err, SS_ERRBUF_SIZE, "no such database: %s (run 'sensoscope analyze' first)",
                     path);
        else
            snprintf(err, SS_ERRBUF_SIZE, "cannot open database %s: %s", path, strerror(errno));
        return NULL;
    }
    db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, SS_ERRBUF_SIZE, "opening database %s: out of memory", path);
        return NULL;
    }
    db->mode = mode;
    db->batch = STO__BATCH;
    flags =
        mode == STO_READ_ONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    rc = sqlite3_open_v2(path, &db->h, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sto__open_msg(err, db->h, path, "opening", rc);
        goto fail;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, STO__BUSY_MS);

    /* Whose file is it and which schema, before changing anything (such as the journal). */
    if (sto__check(db->h, path, mode, &version, err) < 0)
        goto fail;
    if (mode == STO_READ_WRITE) {
        /* WAL: the report can read while analyze writes; NORMAL is durable across crashes of
         * the process (only power loss can cost the last transactions), and much faster. */
        rc = sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db->h, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            sto__open_msg(err, db->h, path, "setting the journal mode", rc);
            goto fail;
        }
    }
    /* Outside any transaction, where it takes effect. */
    rc = sqlite3_exec(db->h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sto__open_msg(err, db->h, path, "enabling foreign keys", rc);
        goto fail;
    }
    if (mode == STO_READ_WRITE && version < sto_schema_version() &&
        sto__migrate(db->h, path, err) < 0)
        goto fail;

    for (int i = 0; i < STO__ST_COUNT; i++) {
        if (mode == STO_READ_ONLY && sto__sql[i].write)
            continue;
        rc = sqlite3_prepare_v3(db->h, sto__sql[i].sql, -1, SQLITE_PREPARE_PERSISTENT, &db->st[i],
                                NULL);
        if (rc != SQLITE_OK) {
            sto__open_msg(err, db->h, path, "preparing statements", rc);
            goto fail;
        }
    }
    return db;
fail:
    sto__free(db);
    return NULL;
}

int sto_close(struct sto_db *db, char err[SS_ERRBUF_SIZE])
{
    int ret = 0;

    if (err)
        err[0] = '\0';
    if (!db)
        return 0;
    (void)sto_read_end(db); /* nothing was written in it */
    if (db->mode == STO_READ_WRITE && sto_commit(db) < 0) {
        ret = -1;
        if (err)
            snprintf(err, SS_ERRBUF_SIZE, "%s", db->err);
    }
    for (int i = 0; i < STO__ST_COUNT; i++) {
        sqlite3_finalize(db->st[i]);
        db->st[i] = NULL;
    }
    /* In WAL mode the last connection checkpoints here; its failure is a write error too. */
    if (sqlite3_close(db->h) != SQLITE_OK) {
        if (ret == 0 && err)
            snprintf(err, SS_ERRBUF_SIZE, "closing database: %s", sqlite3_errmsg(db->h));
        ret = -1;
        sqlite3_close_v2(db->h);
    }
    free(db);
    return ret;
}

const char *sto_errstr(const struct sto_db *db)
{
    return db->err;
}

void sto_set_batch(struct sto_db *db, uint32_t rows)
{
    db->batch = rows ? rows : 1;
}

void sto_set_busy_timeout(struct sto_db *db, int ms)
{
    sqlite3_busy_timeout(db->h, ms);
}

/* ---- writing ---- */

/* Fails (with @p what in the message) when this handle must not write. */
static int sto__writable(struct sto_db *db, const char *what)
{
    if (db->mode == STO_READ_ONLY)
        return sto__fail(db, "%s: the database is open read-only", what);
    if (db->lost[0])
        return sto__fail(db, "%s: refused after an earlier failure: %s", what, db->lost);
    if (db->in_read)
        return sto__fail(db, "%s: a read snapshot is open", what);
    return 0;
}

/*
 * Records the failure of @p st (which returned @p rc) doing @p what. When SQLite rolled the
 * whole transaction back (disk full, I/O error), the batch's rows are gone: say so, and make
 * every later write fail too.
 */
static int sto__step_fail(struct sto_db *db, sqlite3_stmt *st, const char *what, int rc)
{
    const char *hint = "";

    if ((rc & 0xff) == SQLITE_BUSY)
        hint = " (another process holds the write lock)";
    sto__fail(db, "%s: %s%s", what, sqlite3_errmsg(db->h), hint);
    sqlite3_reset(st);
    if (db->in_txn && sqlite3_get_autocommit(db->h)) {
        size_t n = strlen(db->err);
        snprintf(db->err + n, sizeof db->err - n, " (%u uncommitted rows rolled back)",
                 (unsigned)db->pending);
        memcpy(db->lost, db->err, sizeof db->lost);
        db->in_txn = 0;
        db->pending = 0;
    }
    return -1;
}

/* Opens the batch transaction on the first write. */
static int sto__begin(struct sto_db *db, const char *what)
{
    sqlite3_stmt *st = db->st[STO__BEGIN];
    int rc;

    if (db->in_txn)
        return 0;
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return sto__step_fail(db, st, what, rc);
    sqlite3_reset(st);
    db->in_txn = 1;
    db->pending = 0;
    return 0;
}

/* Steps a bound write statement and counts the row; commits when the batch is full. */
static int sto__write(struct sto_db *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE)
        return sto__step_fail(db, st, what, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (++db->pending >= db->batch)
        return sto_commit(db);
    return 0;
}

int sto_commit(struct sto_db *db)
{
    sqlite3_stmt *st;
    int rc;

    if (db->lost[0])
        return sto__fail(db, "%s", db->lost);
    if (!db->in_txn)
        return 0;
    st = db->st[STO__COMMIT];
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        db->in_txn = 0;
        db->pending = 0;
        return 0;
    }
    sto__fail(db, "committing %u rows: %s (the rows are lost)", (unsigned)db->pending,
              sqlite3_errmsg(db->h));
    sqlite3_reset(st);
    /* A failed COMMIT may leave the transaction open (busy); end it so locks are released. */
    if (!sqlite3_get_autocommit(db->h)) {
        sqlite3_step(db->st[STO__ROLLBACK]);
        sqlite3_reset(db->st[STO__ROLLBACK]);
    }
    memcpy(db->lost, db->err, sizeof db->lost);
    db->in_txn = 0;
    db->pending = 0;
    return -1;
}

int sto_capture_find_sha256(struct sto_db *db, const char *sha256, int64_t *id)
{
    sqlite3_stmt *st = db->st[STO__CAP_FIND];
    int rc;

    if (!sha256 || !*sha256)
        return 0;
    if (sqlite3_bind_text(st, 1, sha256, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        return sto__step_fail(db, st, "finding capture by sha256", SQLITE_NOMEM);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = 1;
    } else if (rc == SQLITE_DONE) {
        rc = 0;
    } else {
        return sto__step_fail(db, st, "finding capture by sha256", rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int sto_capture_delete(struct sto_db *db, int64_t id)
{
    sqlite3_stmt *st = db->st[STO__CAP_DELETE];
    char what[64];
    int rc;

    snprintf(what, sizeof what, "deleting capture %lld", (long long)id);
    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return sto__step_fail(db, st, what, rc);
    sqlite3_reset(st);
    if (sqlite3_changes(db->h) == 0)
        return sto__fail(db, "%s: no such capture", what);
    if (++db->pending >= db->batch)
        return sto_commit(db);
    return 0;
}

/* Binds the fields that sto_capture_begin and _update share, at their own positions. */
static int sto__bind_capture_times(sqlite3_stmt *st, int first_idx, const struct sto_capture *c)
{
    int rc = SQLITE_OK;

    /* No packet, no time: NULL rather than 1970. */
    if (c->first_ns || c->last_ns) {
        rc |= sqlite3_bind_double(st, first_idx, sto__secs(c->first_ns));
        rc |= sqlite3_bind_double(st, first_idx + 1, sto__secs(c->last_ns));
    } else {
        rc |= sqlite3_bind_null(st, first_idx);
        rc |= sqlite3_bind_null(st, first_idx + 1);
    }
    rc |= sqlite3_bind_int64(st, first_idx + 2, sto__i64(c->packets));
    rc |= sqlite3_bind_int64(st, first_idx + 3, sto__i64(c->bytes));
    rc |= sqlite3_bind_int64(st, first_idx + 4, sto__i64(c->drops));
    rc |= sqlite3_bind_int64(st, first_idx + 5, sto__i64(c->warnings));
    return rc;
}

int sto_capture_begin(struct sto_db *db, struct sto_capture *c)
{
    sqlite3_stmt *st = db->st[STO__CAP_INSERT];
    const char *what = "inserting capture";
    int rc = SQLITE_OK;

    if (!c->source || !*c->source)
        return sto__fail(db, "%s: no source given", what);
    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    rc |= sqlite3_bind_text(st, 1, c->source, -1, SQLITE_TRANSIENT);
    rc |= sqlite3_bind_text(st, 2, c->kind ? c->kind : "file", -1, SQLITE_TRANSIENT);
    rc |= sto__bind_str(st, 3, c->sha256, 256);
    rc |= sqlite3_bind_int64(st, 4, sto__i64(c->file_bytes));
    rc |= sto__bind_str(st, 5, c->linktype, 256);
    rc |= sqlite3_bind_int(st, 6, c->linktype_num);
    rc |= sto__bind_capture_times(st, 7, c);
    rc |= sqlite3_bind_text(st, 13, c->version ? c->version : SS_VERSION_STRING, -1,
                            SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    if (sto__write(db, st, what) < 0)
        return -1;
    c->id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

int sto_capture_update(struct sto_db *db, const struct sto_capture *c)
{
    sqlite3_stmt *st = db->st[STO__CAP_UPDATE];
    char what[64];
    int rc = SQLITE_OK;

    snprintf(what, sizeof what, "updating capture %lld", (long long)c->id);
    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    rc |= sqlite3_bind_int64(st, 1, c->id);
    rc |= sqlite3_bind_int64(st, 2, sto__i64(c->file_bytes));
    rc |= sto__bind_str(st, 3, c->linktype, 256);
    rc |= sqlite3_bind_int(st, 4, c->linktype_num);
    rc |= sto__bind_capture_times(st, 5, c);
    rc |= sto__bind_str(st, 11, c->status, 64);
    rc |= sto__bind_str(st, 12, c->sha256, 256);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return sto__step_fail(db, st, what, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (sqlite3_changes(db->h) == 0)
        return sto__fail(db, "%s: no such capture", what);
    if (++db->pending >= db->batch)
        return sto_commit(db);
    return 0;
}

int sto_flow_add(struct sto_db *db, int64_t capture_id, const struct dis_flow_rec *f)
{
    sqlite3_stmt *st = db->st[STO__FLOW_INSERT];
    const char *what = "inserting flow";
    char pbuf[4];
    const char *state = NULL, *end = NULL;
    int rc = SQLITE_OK;

    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    if (f->proto == DIS_IPPROTO_TCP && f->state != DIS_CS_NONE)
        state = dis_conn_state_name(f->state);
    if (f->end)
        end = dis_flow_end_name(f->end);

    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sqlite3_bind_text(st, 2, sto__proto_name(f->proto, pbuf), -1, SQLITE_TRANSIENT);
    rc |= sto__bind_addr(st, 3, &f->orig);
    rc |= sqlite3_bind_int(st, 4, f->orig_port);
    rc |= sto__bind_addr(st, 5, &f->resp);
    rc |= sqlite3_bind_int(st, 6, f->resp_port);
    rc |= sqlite3_bind_double(st, 7, sto__secs(f->first_ns));
    rc |= sqlite3_bind_double(st, 8, sto__secs(f->last_ns));
    for (int d = 0; d < 2; d++) {
        rc |= sqlite3_bind_int64(st, 9 + d, sto__i64(f->pkts[d]));
        rc |= sqlite3_bind_int64(st, 11 + d, sto__i64(f->bytes[d]));
        rc |= sqlite3_bind_int64(st, 13 + d, sto__i64(f->payload[d]));
        /* A direction without packets has no TTL (the record holds 0/0). */
        if (f->pkts[d]) {
            rc |= sqlite3_bind_int(st, 18 + 2 * d, f->ttl_min[d]);
            rc |= sqlite3_bind_int(st, 19 + 2 * d, f->ttl_max[d]);
        } else {
            rc |= sqlite3_bind_null(st, 18 + 2 * d);
            rc |= sqlite3_bind_null(st, 19 + 2 * d);
        }
    }
    rc |= sto__bind_str(st, 15, state, 16);
    rc |= sto__bind_str(st, 16, f->history, sizeof f->history);
    if (f->rtt_ns >= 0)
        rc |= sqlite3_bind_double(st, 17, (double)f->rtt_ns * 1e-9);
    else
        rc |= sqlite3_bind_null(st, 17);
    rc |= sto__bind_str(st, 22, f->app, sizeof f->app);
    rc |= sto__bind_str(st, 23, f->category, sizeof f->category);
    rc |= sqlite3_bind_int64(st, 24, f->frags);
    rc |= sqlite3_bind_int64(st, 25, f->icmp_errors);
    if (f->icmp_errors) {
        rc |= sqlite3_bind_int(st, 26, f->icmp_type);
        rc |= sqlite3_bind_int(st, 27, f->icmp_code);
        rc |= sto__bind_addr(st, 28, &f->icmp_from);
        rc |= sqlite3_bind_double(st, 29, sto__secs(f->icmp_first_ns));
    } else {
        for (int i = 26; i <= 29; i++)
            rc |= sqlite3_bind_null(st, i);
    }
    rc |= sto__bind_str(st, 30, end, 32);
    rc |= sqlite3_bind_int(st, 31, f->vlan);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

/* ---- reading ---- */

int sto_read_begin(struct sto_db *db)
{
    sqlite3_stmt *st = db->st[STO__READ_BEGIN];
    int rc;

    if (db->in_txn || db->in_read)
        return 0;
    /* A deferred BEGIN takes its snapshot at the first read and keeps it until COMMIT. */
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sto__fail(db, "starting a read snapshot: %s", sqlite3_errmsg(db->h));
    db->in_read = 1;
    return 0;
}

int sto_read_end(struct sto_db *db)
{
    sqlite3_stmt *st = db->st[STO__READ_END];
    int rc;

    if (!db->in_read)
        return 0;
    db->in_read = 0;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sto__fail(db, "ending a read snapshot: %s", sqlite3_errmsg(db->h));
    return 0;
}

/* The canonical text of @p host when it is an IP address (as stored), else @p host. */
static const char *sto__canon_host(const char *host, char *buf, size_t len)
{
    struct dis_addr a;

    memset(&a, 0, sizeof a);
    if (inet_pton(AF_INET, host, a.b) == 1)
        a.family = 4;
    else if (inet_pton(AF_INET6, host, a.b) == 1)
        a.family = 6;
    else
        return host;
    return dis_addr_str(&a, buf, len);
}

/* Resets @p st and binds the filter parameters ?1..?4. Refuses a statement already being
 * walked (a callback that starts the same walk again). */
static int sto__bind_filter(struct sto_db *db, sqlite3_stmt *st, const struct sto_filter *f,
                            const char *what)
{
    char buf[STO__ADDR_LEN];
    int rc = SQLITE_OK;

    if (sqlite3_stmt_busy(st))
        return sto__fail(db, "%s: already in progress (nested walk)", what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!f)
        return 0;
    if (f->capture_id)
        rc |= sqlite3_bind_int64(st, 1, f->capture_id);
    if (f->host && *f->host)
        rc |= sqlite3_bind_text(st, 2, sto__canon_host(f->host, buf, sizeof buf), -1,
                                SQLITE_TRANSIENT);
    if (f->since > 0)
        rc |= sqlite3_bind_double(st, 3, f->since);
    if (f->until > 0)
        rc |= sqlite3_bind_double(st, 4, f->until);
    if (rc != SQLITE_OK)
        return sto__fail(db, "%s: %s", what, sqlite3_errmsg(db->h));
    return 0;
}

/* Ends a walk: the callback's value, or -1 when stepping failed. */
static int sto__walk_end(struct sto_db *db, sqlite3_stmt *st, int ret, int rc, const char *what)
{
    if (ret == 0 && rc != SQLITE_DONE) {
        sto__fail(db, "%s: %s", what, sqlite3_errmsg(db->h));
        ret = -1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

int sto_each_capture(struct sto_db *db, const struct sto_filter *f, sto_capture_cb cb, void *user)
{
    sqlite3_stmt *st = db->st[STO__CAP_EACH];
    const char *what = "reading captures";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_capture_row r = {
            .id = sqlite3_column_int64(st, 0),
            .source = sto__col_text(st, 1),
            .kind = sto__col_text(st, 2),
            .sha256 = sto__col_text(st, 3),
            .file_bytes = sqlite3_column_int64(st, 4),
            .linktype = sto__col_text(st, 5),
            .linktype_num = sto__col_int(st, 6, -1),
            .first = sto__col_double(st, 7, 0),
            .last = sto__col_double(st, 8, 0),
            .packets = sqlite3_column_int64(st, 9),
            .bytes = sqlite3_column_int64(st, 10),
            .drops = sqlite3_column_int64(st, 11),
            .warnings = sqlite3_column_int64(st, 12),
            .status = sto__col_text(st, 13),
            .version = sto__col_text(st, 14),
            .analysed_at = sto__col_double(st, 15, 0),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_flow(struct sto_db *db, const struct sto_filter *f, sto_flow_cb cb, void *user)
{
    sqlite3_stmt *st = db->st[STO__FLOW_EACH];
    const char *what = "reading flows";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_flow_row r = {
            .id = sqlite3_column_int64(st, 0),
            .capture_id = sqlite3_column_int64(st, 1),
            .proto = sto__col_text(st, 2),
            .src = sto__col_text(st, 3),
            .sport = sqlite3_column_int(st, 4),
            .dst = sto__col_text(st, 5),
            .dport = sqlite3_column_int(st, 6),
            .first = sqlite3_column_double(st, 7),
            .last = sqlite3_column_double(st, 8),
            .pkts_out = sqlite3_column_int64(st, 9),
            .pkts_in = sqlite3_column_int64(st, 10),
            .bytes_out = sqlite3_column_int64(st, 11),
            .bytes_in = sqlite3_column_int64(st, 12),
            .payload_out = sqlite3_column_int64(st, 13),
            .payload_in = sqlite3_column_int64(st, 14),
            .state = sto__col_text(st, 15),
            .history = sto__col_text(st, 16),
            .rtt = sto__col_double(st, 17, -1),
            .ttl_out_min = sto__col_int(st, 18, 0),
            .ttl_out_max = sto__col_int(st, 19, 0),
            .ttl_in_min = sto__col_int(st, 20, 0),
            .ttl_in_max = sto__col_int(st, 21, 0),
            .app = sto__col_text(st, 22),
            .category = sto__col_text(st, 23),
            .host = sto__col_text(st, 24),
            .rule = sto__col_text(st, 25),
            .channeldata = sqlite3_column_int64(st, 26),
            .frags = sqlite3_column_int64(st, 27),
            .icmp_errors = sqlite3_column_int64(st, 28),
            .icmp_type = sto__col_int(st, 29, -1),
            .icmp_code = sto__col_int(st, 30, -1),
            .icmp_from = sto__col_text(st, 31),
            .icmp_first = sto__col_double(st, 32, 0),
            .end_reason = sto__col_text(st, 33),
            .vlan = sto__col_int(st, 34, 0),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_app(struct sto_db *db, const struct sto_filter *f, sto_app_cb cb, void *user)
{
    sqlite3_stmt *st = db->st[STO__APP_EACH];
    const char *what = "counting flows per application";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_app_row r = {
            .app = sto__col_text(st, 0),
            .flows = sqlite3_column_int64(st, 1),
            .bytes = sqlite3_column_int64(st, 2),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_totals(struct sto_db *db, const struct sto_filter *f, struct sto_totals *t)
{
    sqlite3_stmt *st = db->st[STO__TOT_CAP];
    const char *what = "computing totals";
    double cfirst, clast;
    int rc;

    memset(t, 0, sizeof *t);
    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        return sto__walk_end(db, st, 0, rc, what);
    t->captures = sqlite3_column_int64(st, 0);
    t->packets = sqlite3_column_int64(st, 1);
    t->bytes = sqlite3_column_int64(st, 2);
    t->drops = sqlite3_column_int64(st, 3);
    t->warnings = sqlite3_column_int64(st, 4);
    cfirst = sto__col_double(st, 5, 0);
    clast = sto__col_double(st, 6, 0);
    sto__walk_end(db, st, 0, SQLITE_DONE, what);

    st = db->st[STO__TOT_FLOW];
    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        return sto__walk_end(db, st, 0, rc, what);
    t->flows = sqlite3_column_int64(st, 0);
    t->tcp_flows = sqlite3_column_int64(st, 1);
    t->udp_flows = sqlite3_column_int64(st, 2);
    t->icmp_flows = sqlite3_column_int64(st, 3);
    t->other_flows = t->flows - t->tcp_flows - t->udp_flows - t->icmp_flows;
    t->first = sto__col_double(st, 4, cfirst);
    t->last = sto__col_double(st, 5, clast);
    return sto__walk_end(db, st, 0, SQLITE_DONE, what);
}
