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

/* The same filters for events: the address at either end, the time inside the window. */
#define STO__STUN_WHERE                                                                            \
    " WHERE (?1 IS NULL OR capture_id = ?1) AND (?2 IS NULL OR src = ?2 OR dst = ?2)"              \
    " AND (?3 IS NULL OR ts >= ?3) AND (?4 IS NULL OR ts <= ?4)"
#define STO__DNS_WHERE                                                                             \
    " WHERE (?1 IS NULL OR capture_id = ?1) AND (?2 IS NULL OR client = ?2 OR server = ?2)"        \
    " AND (?3 IS NULL OR ts >= ?3) AND (?4 IS NULL OR ts <= ?4)"

/* TLS (qualified: the walks join certs) and CONNECT exchanges (client or proxy). */
#define STO__TLS_WHERE                                                                             \
    " WHERE (?1 IS NULL OR tls.capture_id = ?1) AND (?2 IS NULL OR tls.src = ?2 OR tls.dst = ?2)"  \
    " AND (?3 IS NULL OR tls.ts >= ?3) AND (?4 IS NULL OR tls.ts <= ?4)"
#define STO__HTTP_WHERE                                                                            \
    " WHERE (?1 IS NULL OR capture_id = ?1) AND (?2 IS NULL OR client = ?2 OR proxy = ?2)"         \
    " AND (?3 IS NULL OR ts >= ?3) AND (?4 IS NULL OR ts <= ?4)"

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
                          " icmp_first, end_reason, vlan, flow_seq, stun_dropped, host,"
                          " channeldata, stun_msgs)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                          " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
                          " ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36)",
                          1},
    [STO__STUN_INSERT] = {"INSERT INTO stun (capture_id, flow_seq, ts, transport, src, sport, dst,"
                          " dport, method, method_name, class, txid, username, realm, software,"
                          " error_code, error_reason, mapped, relayed, peer, mapped_all,"
                          " relayed_all, peer_all, priority, use_candidate, ice_role, lifetime,"
                          " channel_number, requested_transport, fingerprint, integrity, classic,"
                          " inner, inner_channel, anomalies)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                          " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
                          " ?29, ?30, ?31, ?32, ?33, ?34, ?35)",
                          1},
    [STO__DNS_INSERT] = {"INSERT INTO dns (capture_id, flow_seq, ts, transport, client,"
                         " client_port, server, server_port, txid, qname, qtype, rcode, query_ts,"
                         " response_ts, answers)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                         " ?15)",
                         1},
    /* The newest unanswered query of the same flow, id and name (0x20 case randomisation
     * echoes the name's case, but a server may not). */
    [STO__DNS_FIND] = {"SELECT id FROM dns WHERE capture_id = ?1 AND flow_seq = ?2 AND txid = ?3"
                       " AND qname IS ?4 COLLATE NOCASE AND response_ts IS NULL"
                       " ORDER BY id DESC LIMIT 1",
                       1},
    [STO__DNS_UPDATE] = {"UPDATE dns SET rcode = ?2, response_ts = ?3, answers = ?4 WHERE id = ?1",
                         1},
    [STO__DNS_ANSWER_INSERT] = {"INSERT INTO dns_answers (dns_id, pos, name, type, ttl, data)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                1},
    [STO__TLS_INSERT] = {"INSERT INTO tls (capture_id, flow_seq, ts, transport, src, sport, dst,"
                         " dport, sni, client_hellos, client_version, client_max_version, alpn,"
                         " ja3, ja3_md5, ja4, hello_flags, server_hello_ts, version, cipher,"
                         " server_alpn, ja3s, ja3s_md5, hrr, established, established_ts,"
                         " client_appdata_ts, server_appdata_ts, alerts, alert_ts, alert_level,"
                         " alert_desc, alert_from, alert_before_established, alert_encrypted,"
                         " certs_total, client_cert, chain, verify_error, verify_depth,"
                         " verify_reason, in_tunnel, proxy_target, proxy_port, proxy_status,"
                         " proxy_first_status, flags, midstream)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                         " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
                         " ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42,"
                         " ?43, ?44, ?45, ?46, ?47, ?48)",
                         1},
    [STO__CERT_INSERT] = {"INSERT INTO certs (tls_id, pos, subject, issuer, sha256, not_before,"
                          " not_after, sans, san_total, self_issued, readable)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                          1},
    [STO__HTTP_INSERT] = {"INSERT INTO http_connect (capture_id, flow_seq, ts, transport, client,"
                          " client_port, proxy, proxy_port, target, target_port, status, reason,"
                          " proxy_authenticate, proxy_authorization, authorization_scheme,"
                          " user_agent)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                          " ?15, ?16)",
                          1},
    [STO__CAP_EACH] = {"SELECT id, source, kind, sha256, file_bytes, linktype, linktype_num,"
                       " first, last, packets, bytes, drops, warnings, status, version,"
                       " analysed_at FROM captures" STO__CAP_WHERE " ORDER BY id",
                       0},
    [STO__FLOW_EACH] = {"SELECT id, capture_id, proto, src, sport, dst, dport, first, last,"
                        " pkts_out, pkts_in, bytes_out, bytes_in, payload_out, payload_in, state,"
                        " history, rtt, ttl_out_min, ttl_out_max, ttl_in_min, ttl_in_max, app,"
                        " category, host, rule, channeldata, frags, icmp_errors, icmp_type,"
                        " icmp_code, icmp_from, icmp_first, end_reason, vlan, flow_seq,"
                        " stun_msgs, stun_dropped FROM flows" STO__FLOW_WHERE " ORDER BY first, id",
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
    [STO__STUN_EACH] = {"SELECT id, capture_id, flow_seq, ts, transport, src, sport, dst, dport,"
                        " method, method_name, class, txid, username, realm, software,"
                        " error_code, error_reason, mapped, relayed, peer, mapped_all,"
                        " relayed_all, peer_all, priority, use_candidate, ice_role, lifetime,"
                        " channel_number, requested_transport, fingerprint, integrity, classic,"
                        " inner, inner_channel, anomalies"
                        " FROM stun" STO__STUN_WHERE " ORDER BY ts, id",
                        0},
    [STO__DNS_EACH] = {"SELECT id, capture_id, flow_seq, ts, transport, client, client_port,"
                       " server, server_port, txid, qname, qtype, rcode, query_ts, response_ts,"
                       " answers FROM dns" STO__DNS_WHERE " ORDER BY ts, id",
                       0},
    [STO__DNS_ANSWER_EACH] = {"SELECT pos, name, type, ttl, data FROM dns_answers"
                              " WHERE dns_id = ?1 ORDER BY pos",
                              0},
    [STO__STUN_COUNT] = {"SELECT method, method_name, class, count(*), coalesce(sum(inner), 0)"
                         " FROM stun" STO__STUN_WHERE " GROUP BY method, method_name, class"
                         " ORDER BY method, CASE class WHEN 'request' THEN 0"
                         " WHEN 'indication' THEN 1 WHEN 'success' THEN 2 ELSE 3 END",
                         0},
    /* Splits the space-separated *_all lists (each address once per message) into rows. */
    [STO__STUN_ADDR] =
        {"WITH RECURSIVE sel(kind, rest, ts) AS ("
         "SELECT 'relayed', relayed_all || ' ', ts FROM stun" STO__STUN_WHERE
         " AND relayed_all IS NOT NULL"
         " UNION ALL SELECT 'mapped', mapped_all || ' ', ts FROM stun" STO__STUN_WHERE
         " AND mapped_all IS NOT NULL),"
         " split(kind, addr, rest, ts) AS (SELECT kind, NULL, rest, ts FROM sel"
         " UNION ALL SELECT kind, substr(rest, 1, instr(rest, ' ') - 1),"
         " substr(rest, instr(rest, ' ') + 1), ts FROM split WHERE rest <> '')"
         " SELECT kind, addr, count(*), min(ts) FROM split"
         " WHERE addr IS NOT NULL AND addr <> '' GROUP BY kind, addr"
         " ORDER BY kind = 'mapped', 3 DESC, addr",
         0},
    [STO__DNS_RCODE] = {"SELECT rcode, count(*) FROM dns" STO__DNS_WHERE
                        " GROUP BY rcode ORDER BY 2 DESC, rcode IS NULL, rcode",
                        0},
    [STO__DNS_FAIL] = {"SELECT rcode, qname, qtype, count(*) FROM dns" STO__DNS_WHERE
                       " AND rcode IN ('NXDOMAIN', 'SERVFAIL', 'REFUSED')"
                       " GROUP BY rcode, qname, qtype ORDER BY 4 DESC, qname, qtype, rcode",
                       0},
    /* With the leaf certificate's names (pos 0) and the number of certificates kept. */
    [STO__TLS_EACH] =
        {"SELECT tls.id, tls.capture_id, tls.flow_seq, tls.ts, tls.transport, tls.src,"
         " tls.sport, tls.dst, tls.dport, tls.sni, tls.client_hellos,"
         " tls.client_version, tls.client_max_version, tls.version, tls.cipher,"
         " tls.alpn, tls.server_alpn, tls.ja3, tls.ja3_md5, tls.ja3s, tls.ja3s_md5,"
         " tls.ja4, tls.hello_flags, tls.hrr, tls.server_hello_ts, tls.established,"
         " tls.established_ts, tls.client_appdata_ts, tls.server_appdata_ts,"
         " tls.alerts, tls.alert_ts, tls.alert_level, tls.alert_desc, tls.alert_from,"
         " tls.alert_before_established, tls.alert_encrypted, tls.certs_total,"
         " tls.client_cert, tls.chain, tls.verify_error, tls.verify_depth,"
         " tls.verify_reason, tls.in_tunnel, tls.proxy_target, tls.proxy_port,"
         " tls.proxy_status, tls.proxy_first_status, tls.flags, tls.midstream,"
         " c.subject, c.issuer, c.sha256,"
         " (SELECT count(*) FROM certs k WHERE k.tls_id = tls.id)"
         " FROM tls LEFT JOIN certs c ON c.tls_id = tls.id AND c.pos = 0" STO__TLS_WHERE
         " ORDER BY tls.ts, tls.id",
         0},
    [STO__CERT_EACH] = {"SELECT pos, subject, issuer, sha256, not_before, not_after, sans,"
                        " san_total, self_issued, readable FROM certs WHERE tls_id = ?1"
                        " ORDER BY pos",
                        0},
    [STO__HTTP_EACH] = {"SELECT id, capture_id, flow_seq, ts, transport, client, client_port,"
                        " proxy, proxy_port, target, target_port, status, reason,"
                        " proxy_authenticate, proxy_authorization, authorization_scheme,"
                        " user_agent FROM http_connect" STO__HTTP_WHERE " ORDER BY ts, id",
                        0},
    [STO__TLS_TOTALS] = {"SELECT count(*), coalesce(sum(established), 0), coalesce(sum(hrr), 0),"
                         " coalesce(sum(in_tunnel), 0), coalesce(sum(alert_from IS NOT NULL), 0),"
                         " coalesce(sum(certs_total > 0), 0), coalesce(sum(chain = 'valid'), 0),"
                         " coalesce(sum(chain = 'invalid'), 0), coalesce(sum(chain = 'error'), 0)"
                         " FROM tls" STO__TLS_WHERE,
                         0},
    [STO__TLS_VERSION] = {"SELECT version, count(*), coalesce(sum(established), 0)"
                          " FROM tls" STO__TLS_WHERE
                          " GROUP BY version ORDER BY 2 DESC, version IS NULL, version DESC",
                          0},
    [STO__TLS_SNI] = {"SELECT sni, count(*), coalesce(sum(established), 0) FROM tls" STO__TLS_WHERE
                      " GROUP BY sni ORDER BY 2 DESC, sni IS NULL, sni",
                      0},
    [STO__TLS_LEAF] = {"SELECT c.subject, c.issuer, c.sha256, tls.chain, tls.verify_reason,"
                       " max(c.self_issued), count(*)"
                       " FROM tls JOIN certs c ON c.tls_id = tls.id AND c.pos = 0" STO__TLS_WHERE
                       " GROUP BY c.sha256, tls.chain, tls.verify_reason"
                       " ORDER BY CASE tls.chain WHEN 'invalid' THEN 0 WHEN 'error' THEN 1"
                       " WHEN 'valid' THEN 3 ELSE 2 END, 7 DESC, c.subject, c.sha256",
                       0},
    [STO__TLS_ALERT] = {"SELECT alert_from, alert_level, alert_desc, alert_encrypted,"
                        " alert_before_established, min(sni), count(*) FROM tls" STO__TLS_WHERE
                        " AND alert_from IS NOT NULL GROUP BY alert_from, alert_level, alert_desc,"
                        " alert_encrypted, alert_before_established"
                        " ORDER BY 7 DESC, alert_from, alert_desc",
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
    if (f->id)
        rc |= sqlite3_bind_int64(st, 32, sto__i64(f->id));
    else
        rc |= sqlite3_bind_null(st, 32);
    rc |= sqlite3_bind_int64(st, 33, sto__i64(f->stun_dropped));
    rc |= sto__bind_str(st, 34, f->host, sizeof f->host);
    rc |= sqlite3_bind_int64(st, 35, sto__i64(f->channeldata));
    rc |= sqlite3_bind_int64(st, 36, sto__i64(f->stun_msgs));
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

/* ---- events ---- */

/* Room for every address of one kind: 2 * DIS_STUN_MAX_ADDRS of "[v6 with v4 tail]:65535 ". */
#define STO__ALIST_LEN (2 * DIS_STUN_MAX_ADDRS * 56)

/* "ip:port", or "[v6addr]:port" as in URIs (RFC 3986), so the port is never ambiguous.
 * Returns @p buf, or NULL when @p a is not an address. */
static const char *sto__endpoint(const struct dis_addr *a, uint16_t port, char *buf, size_t len)
{
    char ip[STO__ADDR_LEN];

    if (a->family != 4 && a->family != 6)
        return NULL;
    dis_addr_str(a, ip, sizeof ip);
    snprintf(buf, len, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)port);
    return buf;
}

/* Appends the endpoint of @p a to the space-separated list @p list (of @p len bytes, @p *n used)
 * unless it is there already (a response often carries MAPPED and XOR-MAPPED alike). */
static void sto__alist_add(char *list, size_t len, size_t *n, const struct dis_stun_addr *a)
{
    char ep[STO__ADDR_LEN + 8];
    size_t elen;
    const char *p = list, *end = list + *n;

    if (!sto__endpoint(&a->addr, a->port, ep, sizeof ep))
        return;
    elen = strlen(ep);
    while (p < end) {
        const char *q = memchr(p, ' ', (size_t)(end - p));
        size_t tlen = q ? (size_t)(q - p) : (size_t)(end - p);

        if (tlen == elen && memcmp(p, ep, elen) == 0)
            return;
        p += tlen + 1;
    }
    if (*n + (*n ? 1 : 0) + elen + 1 > len)
        return; /* cannot happen with STO__ALIST_LEN; never cut an address */
    if (*n)
        list[(*n)++] = ' ';
    memcpy(list + *n, ep, elen + 1);
    *n += elen;
}

/* Builds the list of @p count addresses of @p a (then @p count2 of @p a2) into @p list. */
static void sto__alist(char *list, size_t len, const struct dis_stun_addr *a, uint8_t count,
                       const struct dis_stun_addr *a2, uint8_t count2)
{
    size_t n = 0;

    list[0] = '\0';
    for (uint8_t i = 0; i < count && i < DIS_STUN_MAX_ADDRS; i++)
        sto__alist_add(list, len, &n, &a[i]);
    for (uint8_t i = 0; i < count2 && i < DIS_STUN_MAX_ADDRS; i++)
        sto__alist_add(list, len, &n, &a2[i]);
}

/* Binds the first address of the list @p list at @p i_first and the list at @p i_all; NULL
 * for both when it is empty. */
static int sto__bind_alist(sqlite3_stmt *st, int i_first, int i_all, const char *list)
{
    const char *sp = strchr(list, ' ');
    int rc = SQLITE_OK;

    if (!*list)
        return sqlite3_bind_null(st, i_first) | sqlite3_bind_null(st, i_all);
    rc |= sqlite3_bind_text(st, i_first, list, sp ? (int)(sp - list) : -1, SQLITE_TRANSIENT);
    rc |= sqlite3_bind_text(st, i_all, list, -1, SQLITE_TRANSIENT);
    return rc;
}

/* Binds a text attribute: NULL when absent, else its bytes up to the first NUL. */
static int sto__bind_attr(sqlite3_stmt *st, int i, bool present, const char *s, size_t len)
{
    if (!present)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, (int)strnlen(s, len), SQLITE_TRANSIENT);
}

/* Binds @p v at @p i when @p present, else NULL. */
static int sto__bind_opt_int(sqlite3_stmt *st, int i, bool present, int64_t v)
{
    return present ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

/* Binds the columns that every event row starts with: ?1 capture, ?2 flow_seq, ?3 ts,
 * ?4 transport. */
static int sto__bind_event_head(sqlite3_stmt *st, int64_t capture_id, const struct dis_event *ev)
{
    char pbuf[4];
    int rc = SQLITE_OK;

    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sqlite3_bind_int64(st, 2, sto__i64(ev->flow_id));
    rc |= sqlite3_bind_double(st, 3, sto__secs(ev->ts_ns));
    rc |= sqlite3_bind_text(st, 4, sto__proto_name(ev->transport, pbuf), -1, SQLITE_TRANSIENT);
    return rc;
}

/* Counts one event against the batch; commits when the batch is full. */
static int sto__event_done(struct sto_db *db)
{
    if (++db->pending >= db->batch)
        return sto_commit(db);
    return 0;
}

/* Steps a bound write statement that is part of a larger event (no batch counting). */
static int sto__step_part(struct sto_db *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE)
        return sto__step_fail(db, st, what, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return 0;
}

static int sto__stun_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    sqlite3_stmt *st = db->st[STO__STUN_INSERT];
    const struct dis_stun_msg *m = ev->u.stun;
    const char *what = "inserting STUN message";
    const char *cls = dis_stun_class_name(m->cls), *role = NULL, *fp = NULL;
    char list[STO__ALIST_LEN], txid[2 * sizeof m->txid + 1];
    unsigned tlen = m->txid_len <= sizeof m->txid ? m->txid_len : (unsigned)sizeof m->txid;
    int rc = SQLITE_OK;

    for (unsigned i = 0; i < tlen; i++)
        snprintf(txid + 2 * i, 3, "%02x", m->txid[i]);
    txid[2 * tlen] = '\0';
    if (m->ice_controlling)
        role = "controlling";
    else if (m->ice_controlled)
        role = "controlled";
    if (m->has_fingerprint)
        fp = m->fingerprint_ok ? "ok" : "bad";

    rc |= sto__bind_event_head(st, capture_id, ev);
    rc |= sto__bind_addr(st, 5, &ev->src);
    rc |= sqlite3_bind_int(st, 6, ev->sport);
    rc |= sto__bind_addr(st, 7, &ev->dst);
    rc |= sqlite3_bind_int(st, 8, ev->dport);
    rc |= sqlite3_bind_int(st, 9, m->method);
    rc |= sto__bind_str(st, 10, dis_stun_method_name(m->method), 32);
    rc |= sqlite3_bind_text(st, 11, cls ? cls : "?", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 12, txid, -1, SQLITE_TRANSIENT);
    rc |= sto__bind_attr(st, 13, m->has_username, m->username, sizeof m->username);
    rc |= sto__bind_attr(st, 14, m->has_realm, m->realm, sizeof m->realm);
    rc |= sto__bind_attr(st, 15, m->has_software, m->software, sizeof m->software);
    rc |= sto__bind_opt_int(st, 16, m->has_error, m->error_code);
    rc |= sto__bind_attr(st, 17, m->has_error, m->error_reason, sizeof m->error_reason);
    /* XOR-MAPPED first: it is what RFC 5389 clients use; MAPPED is the RFC 3489 fallback. */
    sto__alist(list, sizeof list, m->xor_mapped, m->n_xor_mapped, m->mapped, m->n_mapped);
    rc |= sto__bind_alist(st, 18, 21, list);
    sto__alist(list, sizeof list, m->relayed, m->n_relayed, NULL, 0);
    rc |= sto__bind_alist(st, 19, 22, list);
    sto__alist(list, sizeof list, m->peer, m->n_peer, NULL, 0);
    rc |= sto__bind_alist(st, 20, 23, list);
    rc |= sto__bind_opt_int(st, 24, m->has_priority, m->priority);
    rc |= sqlite3_bind_int(st, 25, m->use_candidate ? 1 : 0);
    rc |= sto__bind_str(st, 26, role, 16);
    rc |= sto__bind_opt_int(st, 27, m->has_lifetime, m->lifetime);
    rc |= sto__bind_opt_int(st, 28, m->has_channel_number, m->channel_number);
    rc |= sto__bind_opt_int(st, 29, m->has_requested_transport, m->requested_transport);
    rc |= sto__bind_str(st, 30, fp, 8);
    rc |= sqlite3_bind_int(st, 31, m->has_mi || m->has_mi_sha256 ? 1 : 0);
    rc |= sqlite3_bind_int(st, 32, m->classic ? 1 : 0);
    rc |= sqlite3_bind_int(st, 33, ev->inner ? 1 : 0);
    rc |= sto__bind_opt_int(st, 34, ev->inner && ev->channel, ev->channel);
    rc |= sqlite3_bind_int64(st, 35, m->anomalies);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

/* A record type or RCODE as its mnemonic, else its number. */
static const char *sto__mnemonic(const char *name, unsigned v, char *buf, size_t len)
{
    if (name)
        return name;
    snprintf(buf, len, "%u", v);
    return buf;
}

/* Appends formatted text to @p buf (size @p len, @p *n used); cuts at the end of the buffer. */
__attribute__((format(printf, 4, 5))) static void sto__cat(char *buf, size_t len, size_t *n,
                                                           const char *fmt, ...)
{
    va_list ap;
    int k;

    if (*n + 1 >= len)
        return;
    va_start(ap, fmt);
    k = vsnprintf(buf + *n, len - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n = (size_t)k < len - *n ? *n + (size_t)k : len - 1;
}

/* The SVCB/HTTPS RDATA summary of RFC 9460 presentation form: "priority target", then the
 * parameters in key order (alpn, no-default-alpn, port, ipv4hint, ech, ipv6hint); ech has no
 * value here, since only its presence is kept. */
static void sto__svcb_str(const struct dis_dns_rr *rr, char *buf, size_t len)
{
    const struct dis_dns_svcb *s = &rr->svcb;
    char name[DIS_DNS_NAME_STRLEN], ip[STO__ADDR_LEN];
    size_t n = 0;
    int fam;

    sto__cat(buf, len, &n, "%u %s", (unsigned)s->priority,
             dis_dns_name_str(&rr->target, name, sizeof name));
    for (uint8_t i = 0; i < s->n_alpn && i < DIS_DNS_MAX_ALPN; i++)
        sto__cat(buf, len, &n, "%s%.*s", i ? "," : " alpn=", DIS_DNS_ALPN_STRLEN, s->alpn[i]);
    if (s->no_default_alpn)
        sto__cat(buf, len, &n, " no-default-alpn");
    if (s->port)
        sto__cat(buf, len, &n, " port=%u", (unsigned)s->port);
    for (fam = 4; fam <= 6; fam += 2) {
        int k = 0;

        if (fam == 6 && s->ech)
            sto__cat(buf, len, &n, " ech");
        for (uint8_t i = 0; i < s->n_hints && i < DIS_DNS_MAX_HINTS; i++) {
            if (s->hint[i].family != fam)
                continue;
            dis_addr_str(&s->hint[i], ip, sizeof ip);
            sto__cat(buf, len, &n, "%s%s", k++ ? "," : fam == 4 ? " ipv4hint=" : " ipv6hint=", ip);
        }
    }
}

/* The data column of an answer: NULL for types whose RDATA is not decoded. */
static const char *sto__rr_data(const struct dis_dns_rr *rr, char *buf, size_t len)
{
    switch (rr->type) {
    case DIS_DNS_T_A:
    case DIS_DNS_T_AAAA:
        return rr->addr.family ? dis_addr_str(&rr->addr, buf, len) : NULL;
    case DIS_DNS_T_CNAME:
    case DIS_DNS_T_DNAME:
    case DIS_DNS_T_NS:
    case DIS_DNS_T_PTR:
        return rr->target.len ? dis_dns_name_str(&rr->target, buf, len) : NULL;
    case DIS_DNS_T_SVCB:
    case DIS_DNS_T_HTTPS:
        if (!rr->target.len)
            return NULL;
        sto__svcb_str(rr, buf, len);
        return buf;
    default:
        return NULL;
    }
}

static int sto__dns_answers(struct sto_db *db, int64_t dns_id, const struct dis_dns_msg *m)
{
    sqlite3_stmt *st = db->st[STO__DNS_ANSWER_INSERT];
    const char *what = "inserting DNS answer";
    char name[DIS_DNS_NAME_STRLEN], data[2048], tbuf[8];

    for (unsigned i = 0; i < m->n_answers && i < DIS_DNS_MAX_ANSWERS; i++) {
        const struct dis_dns_rr *rr = &m->answers[i];
        int rc = SQLITE_OK;

        rc |= sqlite3_bind_int64(st, 1, dns_id);
        rc |= sqlite3_bind_int(st, 2, (int)i);
        rc |= sqlite3_bind_text(st, 3, dis_dns_name_str(&rr->owner, name, sizeof name), -1,
                                SQLITE_TRANSIENT);
        rc |= sqlite3_bind_text(
            st, 4, sto__mnemonic(dis_dns_type_name(rr->type), rr->type, tbuf, sizeof tbuf), -1,
            SQLITE_TRANSIENT);
        rc |= sqlite3_bind_int64(st, 5, rr->ttl);
        rc |= sto__bind_str(st, 6, sto__rr_data(rr, data, sizeof data), sizeof data);
        if (rc != SQLITE_OK)
            return sto__step_fail(db, st, what, SQLITE_NOMEM);
        if (sto__step_part(db, st, what) < 0)
            return -1;
    }
    return 0;
}

/* Finds the unanswered query that the response @p ev answers. Returns 1 with @p id set, 0 when
 * there is none, -1 on error. */
static int sto__dns_find(struct sto_db *db, int64_t capture_id, const struct dis_event *ev,
                         const char *qname, int64_t *id)
{
    sqlite3_stmt *st = db->st[STO__DNS_FIND];
    const char *what = "matching DNS response";
    int rc = SQLITE_OK;

    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sqlite3_bind_int64(st, 2, sto__i64(ev->flow_id));
    rc |= sqlite3_bind_int(st, 3, ev->u.dns->id);
    rc |= qname ? sqlite3_bind_text(st, 4, qname, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, 4);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = 1;
    } else if (rc == SQLITE_DONE) {
        rc = 0;
    } else {
        return sto__step_fail(db, st, what, rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int sto__dns_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    const struct dis_dns_msg *m = ev->u.dns;
    sqlite3_stmt *st;
    const char *what = m->qr ? "inserting DNS response" : "inserting DNS query";
    const char *qname = m->has_question ? m->qname : NULL, *qtype = NULL, *rcode = NULL;
    char tbuf[8], rbuf[8];
    int64_t id = 0;
    int rc = SQLITE_OK, found = 0;

    if (m->has_question)
        qtype = sto__mnemonic(dis_dns_type_name(m->qtype), m->qtype, tbuf, sizeof tbuf);
    if (m->qr) {
        rcode = sto__mnemonic(dis_dns_rcode_name(m->rcode), m->rcode, rbuf, sizeof rbuf);
        found = sto__dns_find(db, capture_id, ev, qname, &id);
        if (found < 0)
            return -1;
    }
    if (found) {
        st = db->st[STO__DNS_UPDATE];
        rc |= sqlite3_bind_int64(st, 1, id);
        rc |= sqlite3_bind_text(st, 2, rcode, -1, SQLITE_TRANSIENT);
        rc |= sqlite3_bind_double(st, 3, sto__secs(ev->ts_ns));
        rc |= sqlite3_bind_int64(st, 4, (int64_t)m->n_answers + m->answers_dropped);
    } else {
        /* The client is the query's sender, the response's receiver. */
        const struct dis_addr *cli = m->qr ? &ev->dst : &ev->src;
        const struct dis_addr *srv = m->qr ? &ev->src : &ev->dst;

        st = db->st[STO__DNS_INSERT];
        rc |= sto__bind_event_head(st, capture_id, ev);
        rc |= sto__bind_addr(st, 5, cli);
        rc |= sqlite3_bind_int(st, 6, m->qr ? ev->dport : ev->sport);
        rc |= sto__bind_addr(st, 7, srv);
        rc |= sqlite3_bind_int(st, 8, m->qr ? ev->sport : ev->dport);
        rc |= sqlite3_bind_int(st, 9, m->id);
        rc |= sto__bind_str(st, 10, qname, DIS_DNS_NAME_STRLEN);
        rc |= sto__bind_str(st, 11, qtype, 32); /* a mnemonic ("NSEC3PARAM") or tbuf */
        rc |= sto__bind_str(st, 12, rcode, 32);
        if (m->qr) {
            rc |= sqlite3_bind_null(st, 13);
            rc |= sqlite3_bind_double(st, 14, sto__secs(ev->ts_ns));
        } else {
            rc |= sqlite3_bind_double(st, 13, sto__secs(ev->ts_ns));
            rc |= sqlite3_bind_null(st, 14);
        }
        rc |= sqlite3_bind_int64(st, 15, m->qr ? (int64_t)m->n_answers + m->answers_dropped : 0);
    }
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    if (sto__step_part(db, st, what) < 0)
        return -1;
    if (!found)
        id = sqlite3_last_insert_rowid(db->h);
    if (m->qr && sto__dns_answers(db, id, m) < 0)
        return -1;
    return sto__event_done(db);
}

/* ---- TLS and HTTP CONNECT ---- */

/* A protocol version as text (docs/schema.md): "1.0".."1.3", "ssl3", "1.3-draftNN" for the
 * drafts' 0x7fNN, else "0x%04x"; NULL for 0 (not seen). */
static const char *sto__tls_version(uint16_t v, char *buf, size_t len)
{
    const char *name = dis_tls_version_name(v);

    if (v == 0)
        return NULL;
    if (name)
        return name;
    if ((v >> 8) == 0x7f)
        snprintf(buf, len, "1.3-draft%u", (unsigned)(v & 0xff));
    else
        snprintf(buf, len, "0x%04x", (unsigned)v);
    return buf;
}

/* Binds a capture time in ns as epoch seconds, NULL for 0 (not seen). */
static int sto__bind_opt_time(sqlite3_stmt *st, int i, uint64_t ns)
{
    return ns ? sqlite3_bind_double(st, i, sto__secs(ns)) : sqlite3_bind_null(st, i);
}

/* Appends @p s to the space-separated list @p list (@p len bytes, @p *n used); empty names and
 * names that do not fit whole are left out. */
static void sto__word_add(char *list, size_t len, size_t *n, const char *s, size_t max)
{
    size_t k = s ? strnlen(s, max) : 0;

    if (k == 0 || *n + (*n ? 1 : 0) + k + 1 > len)
        return;
    if (*n)
        list[(*n)++] = ' ';
    memcpy(list + *n, s, k);
    *n += k;
    list[*n] = '\0';
}

/*
 * Whether a certificate of the summary was decoded. The summary counts the ones that were not
 * (certs_bad) without saying which: such an entry holds only its sha256, while a decoded
 * certificate always has names or a validity period.
 */
static int sto__cert_readable(const struct dis_tls_summary *m, const struct dis_tls_cert_info *c)
{
    if (m->certs_bad == 0)
        return 1;
    return c->subject[0] || c->issuer[0] || c->not_before || c->not_after || c->n_san;
}

static int sto__certs_add(struct sto_db *db, int64_t tls_id, const struct dis_tls_summary *m)
{
    sqlite3_stmt *st = db->st[STO__CERT_INSERT];
    const char *what = "inserting TLS certificate";
    char sans[DIS_TLS_MAX_SANS * DIS_TLS_SAN_SIZE];

    for (unsigned i = 0; i < m->n_certs && i < DIS_TLS_MAX_CERTS; i++) {
        const struct dis_tls_cert_info *c = m->certs[i];
        int rc = SQLITE_OK, ok;
        size_t n = 0;

        if (!c)
            continue;
        ok = sto__cert_readable(m, c);
        sans[0] = '\0';
        for (size_t k = 0; k < c->n_san && k < DIS_TLS_MAX_SANS; k++)
            sto__word_add(sans, sizeof sans, &n, c->san[k].name, sizeof c->san[k].name);
        rc |= sqlite3_bind_int64(st, 1, tls_id);
        rc |= sqlite3_bind_int(st, 2, (int)i);
        rc |= sto__bind_str(st, 3, c->subject, sizeof c->subject);
        rc |= sto__bind_str(st, 4, c->issuer, sizeof c->issuer);
        rc |= sqlite3_bind_text(st, 5, c->sha256, (int)strnlen(c->sha256, sizeof c->sha256),
                                SQLITE_TRANSIENT);
        if (ok) {
            rc |= sqlite3_bind_double(st, 6, (double)c->not_before);
            rc |= sqlite3_bind_double(st, 7, (double)c->not_after);
        } else {
            rc |= sqlite3_bind_null(st, 6);
            rc |= sqlite3_bind_null(st, 7);
        }
        rc |= sto__bind_str(st, 8, sans, sizeof sans);
        rc |= sqlite3_bind_int64(st, 9, sto__i64(c->total_san));
        rc |= sqlite3_bind_int(st, 10, ok && c->self_issued ? 1 : 0);
        rc |= sqlite3_bind_int(st, 11, ok);
        if (rc != SQLITE_OK)
            return sto__step_fail(db, st, what, SQLITE_NOMEM);
        if (sto__step_part(db, st, what) < 0)
            return -1;
    }
    return 0;
}

/* Binds the alert columns ?30..?35: the first fatal alert, all NULL when there was none. */
static int sto__bind_tls_alert(sqlite3_stmt *st, const struct dis_tls_alert_info *a)
{
    int rc = SQLITE_OK;

    if (!a->seen) {
        for (int i = 30; i <= 35; i++)
            rc |= sqlite3_bind_null(st, i);
        return rc;
    }
    rc |= sto__bind_opt_time(st, 30, a->ts_ns);
    rc |= sto__bind_opt_int(st, 31, !a->encrypted, a->level);
    rc |= sto__bind_opt_int(st, 32, !a->encrypted, a->desc);
    rc |= sqlite3_bind_text(st, 33, a->from_client ? "client" : "server", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int(st, 34, a->before_established ? 1 : 0);
    rc |= sqlite3_bind_int(st, 35, a->encrypted ? 1 : 0);
    return rc;
}

/* Binds the verdict columns ?38..?41: verify details for a verdict, the reason alone when
 * verification could not run, NULL when it did not. */
static int sto__bind_tls_chain(sqlite3_stmt *st, const struct dis_tls_summary *m)
{
    const struct dis_tls_verify_result *v = &m->verify;
    const char *chain = NULL;
    int rc = SQLITE_OK, verdict = 0;

    switch (m->chain) {
    case DIS_TLS_CHAIN_VALID:
        chain = "valid";
        verdict = 1;
        break;
    case DIS_TLS_CHAIN_INVALID:
        chain = "invalid";
        verdict = 1;
        break;
    case DIS_TLS_CHAIN_ERROR:
        chain = "error";
        break;
    default:
        break;
    }
    rc |= sto__bind_str(st, 38, chain, 16);
    rc |= sto__bind_opt_int(st, 39, verdict, v->error);
    rc |= sto__bind_opt_int(st, 40, verdict, v->depth);
    rc |= sto__bind_str(st, 41, chain ? v->errstr : NULL, sizeof v->errstr);
    return rc;
}

static int sto__tls_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    sqlite3_stmt *st = db->st[STO__TLS_INSERT];
    const struct dis_tls_summary *m = ev->u.tls;
    const char *what = "inserting TLS connection";
    char alpn[DIS_TLS_MAX_ALPN * DIS_TLS_ALPN_SIZE], cipher[8], v1[16], v2[16], v3[16];
    size_t n = 0;
    int rc = SQLITE_OK;

    alpn[0] = '\0';
    for (unsigned i = 0; i < m->n_alpn && i < DIS_TLS_MAX_ALPN; i++)
        sto__word_add(alpn, sizeof alpn, &n, m->alpn[i], DIS_TLS_ALPN_SIZE);
    snprintf(cipher, sizeof cipher, "0x%04x", (unsigned)m->cipher);

    rc |= sto__bind_event_head(st, capture_id, ev);
    rc |= sto__bind_addr(st, 5, &ev->src);
    rc |= sqlite3_bind_int(st, 6, ev->sport);
    rc |= sto__bind_addr(st, 7, &ev->dst);
    rc |= sqlite3_bind_int(st, 8, ev->dport);
    rc |= sto__bind_str(st, 9, m->sni, DIS_TLS_SNI_SIZE);
    rc |= sqlite3_bind_int64(st, 10, m->client_hellos);
    rc |= sto__bind_str(
        st, 11, m->has_client_hello ? sto__tls_version(m->client_version, v1, sizeof v1) : NULL,
        sizeof v1);
    rc |= sto__bind_str(
        st, 12, m->has_client_hello ? sto__tls_version(m->client_max_version, v2, sizeof v2) : NULL,
        sizeof v2);
    rc |= sto__bind_str(st, 13, alpn, sizeof alpn);
    rc |= sto__bind_str(st, 14, m->ja3, DIS_TLS_JA3_SIZE);
    rc |= sto__bind_str(st, 15, m->ja3_md5, sizeof m->ja3_md5);
    rc |= sto__bind_str(st, 16, m->ja4, sizeof m->ja4);
    rc |= sqlite3_bind_int64(st, 17, m->client_hello_flags);
    rc |= sto__bind_opt_time(st, 18, m->has_server_hello ? m->server_hello_ns : 0);
    rc |= sto__bind_str(
        st, 19, m->has_server_hello ? sto__tls_version(m->selected_version, v3, sizeof v3) : NULL,
        sizeof v3);
    rc |= sto__bind_str(st, 20, m->has_server_hello ? cipher : NULL, sizeof cipher);
    rc |= sto__bind_str(st, 21, m->server_alpn, DIS_TLS_ALPN_SIZE);
    rc |= sto__bind_str(st, 22, m->ja3s, DIS_TLS_JA3_SIZE);
    rc |= sto__bind_str(st, 23, m->ja3s_md5, sizeof m->ja3s_md5);
    rc |= sqlite3_bind_int(st, 24, m->hrr ? 1 : 0);
    rc |= sqlite3_bind_int(st, 25, m->established ? 1 : 0);
    rc |= sto__bind_opt_time(st, 26, m->established ? m->established_ns : 0);
    rc |= sto__bind_opt_time(st, 27, m->client_appdata_ns);
    rc |= sto__bind_opt_time(st, 28, m->server_appdata_ns);
    rc |= sqlite3_bind_int64(st, 29, m->alerts);
    rc |= sto__bind_tls_alert(st, &m->alert);
    rc |= sqlite3_bind_int(st, 36, m->certs_total);
    rc |= sqlite3_bind_int(st, 37, m->client_cert ? 1 : 0);
    rc |= sto__bind_tls_chain(st, m);
    rc |= sqlite3_bind_int(st, 42, m->in_tunnel ? 1 : 0);
    if (m->in_tunnel) {
        rc |= sto__bind_str(st, 43, m->proxy_target, DIS_HTTP_HOST_LEN);
        rc |= sqlite3_bind_int(st, 44, m->proxy_port);
        rc |= sto__bind_opt_int(st, 45, m->proxy_status != 0, m->proxy_status);
        rc |= sto__bind_opt_int(st, 46, m->proxy_first_status != 0, m->proxy_first_status);
    } else {
        for (int i = 43; i <= 46; i++)
            rc |= sqlite3_bind_null(st, i);
    }
    rc |= sqlite3_bind_int64(st, 47, m->conn_flags);
    rc |= sqlite3_bind_int(st, 48, m->midstream ? 1 : 0);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    if (sto__step_part(db, st, what) < 0)
        return -1;
    if (sto__certs_add(db, sqlite3_last_insert_rowid(db->h), m) < 0)
        return -1;
    return sto__event_done(db);
}

static int sto__http_connect_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    sqlite3_stmt *st = db->st[STO__HTTP_INSERT];
    const struct dis_http_connect_req *q = ev->u.connect->req;
    const struct dis_http_connect_resp *r = ev->u.connect->resp;
    const char *what = "inserting HTTP CONNECT exchange";
    int rc = SQLITE_OK;

    rc |= sto__bind_event_head(st, capture_id, ev);
    rc |= sto__bind_addr(st, 5, &ev->src);
    rc |= sqlite3_bind_int(st, 6, ev->sport);
    rc |= sto__bind_addr(st, 7, &ev->dst);
    rc |= sqlite3_bind_int(st, 8, ev->dport);
    rc |=
        sqlite3_bind_text(st, 9, q->host, (int)strnlen(q->host, sizeof q->host), SQLITE_TRANSIENT);
    rc |= sqlite3_bind_int(st, 10, q->port);
    rc |= sto__bind_opt_int(st, 11, r != NULL, r ? r->status : 0);
    rc |= sto__bind_str(st, 12, r ? r->reason : NULL, DIS_HTTP_REASON_LEN);
    /* '' when the challenge had no readable scheme: present, but nameless */
    rc |= r ? sto__bind_attr(st, 13, r->proxy_authenticate, r->auth_scheme, sizeof r->auth_scheme)
            : sqlite3_bind_null(st, 13);
    rc |= sqlite3_bind_int(st, 14, q->proxy_auth ? 1 : 0);
    rc |= sto__bind_attr(st, 15, q->proxy_auth, q->auth_scheme, sizeof q->auth_scheme);
    rc |= sto__bind_str(st, 16, q->user_agent, sizeof q->user_agent);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

int sto_event_add(struct sto_db *db, int64_t capture_id, const struct dis_event *ev)
{
    const char *what = "adding event";

    if (sto__writable(db, what) < 0)
        return -1;
    switch (ev->kind) {
    case DIS_EV_STUN:
        if (!ev->u.stun)
            return sto__fail(db, "%s: STUN event without a message", what);
        if (sto__begin(db, what) < 0)
            return -1;
        return sto__stun_add(db, capture_id, ev);
    case DIS_EV_DNS:
        if (!ev->u.dns)
            return sto__fail(db, "%s: DNS event without a message", what);
        if (sto__begin(db, what) < 0)
            return -1;
        return sto__dns_add(db, capture_id, ev);
    case DIS_EV_TLS:
        if (!ev->u.tls)
            return sto__fail(db, "%s: TLS event without a summary", what);
        if (sto__begin(db, what) < 0)
            return -1;
        return sto__tls_add(db, capture_id, ev);
    case DIS_EV_HTTP_CONNECT:
        if (!ev->u.connect || !ev->u.connect->req)
            return sto__fail(db, "%s: HTTP CONNECT event without a request", what);
        if (sto__begin(db, what) < 0)
            return -1;
        return sto__http_connect_add(db, capture_id, ev);
    default:
        return sto__fail(db, "%s: unknown event kind %d", what, (int)ev->kind);
    }
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
            .flow_seq = sqlite3_column_int64(st, 35),
            .stun_msgs = sqlite3_column_int64(st, 36),
            .stun_dropped = sqlite3_column_int64(st, 37),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

static int64_t sto__col_i64(sqlite3_stmt *st, int i, int64_t dflt)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return dflt;
    return sqlite3_column_int64(st, i);
}

int sto_each_stun(struct sto_db *db, const struct sto_filter *f, sto_stun_cb cb, void *user)
{
    sqlite3_stmt *st = db->st[STO__STUN_EACH];
    const char *what = "reading STUN messages";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_stun_row r = {
            .id = sqlite3_column_int64(st, 0),
            .capture_id = sqlite3_column_int64(st, 1),
            .flow_seq = sqlite3_column_int64(st, 2),
            .ts = sqlite3_column_double(st, 3),
            .transport = sto__col_text(st, 4),
            .src = sto__col_text(st, 5),
            .sport = sqlite3_column_int(st, 6),
            .dst = sto__col_text(st, 7),
            .dport = sqlite3_column_int(st, 8),
            .method = sqlite3_column_int(st, 9),
            .method_name = sto__col_text(st, 10),
            .cls = sto__col_text(st, 11),
            .txid = sto__col_text(st, 12),
            .username = sto__col_text(st, 13),
            .realm = sto__col_text(st, 14),
            .software = sto__col_text(st, 15),
            .error_code = sto__col_int(st, 16, -1),
            .error_reason = sto__col_text(st, 17),
            .mapped = sto__col_text(st, 18),
            .relayed = sto__col_text(st, 19),
            .peer = sto__col_text(st, 20),
            .mapped_all = sto__col_text(st, 21),
            .relayed_all = sto__col_text(st, 22),
            .peer_all = sto__col_text(st, 23),
            .priority = sto__col_i64(st, 24, -1),
            .use_candidate = sqlite3_column_int(st, 25),
            .ice_role = sto__col_text(st, 26),
            .lifetime = sto__col_i64(st, 27, -1),
            .channel_number = sto__col_int(st, 28, -1),
            .requested_transport = sto__col_int(st, 29, -1),
            .fingerprint = sto__col_text(st, 30),
            .integrity = sqlite3_column_int(st, 31),
            .classic = sqlite3_column_int(st, 32),
            .inner = sqlite3_column_int(st, 33),
            .inner_channel = sto__col_int(st, 34, 0),
            .anomalies = (uint32_t)sqlite3_column_int64(st, 35),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_dns(struct sto_db *db, const struct sto_filter *f, sto_dns_cb cb, void *user)
{
    sqlite3_stmt *st = db->st[STO__DNS_EACH];
    const char *what = "reading DNS transactions";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_dns_row r = {
            .id = sqlite3_column_int64(st, 0),
            .capture_id = sqlite3_column_int64(st, 1),
            .flow_seq = sqlite3_column_int64(st, 2),
            .ts = sqlite3_column_double(st, 3),
            .transport = sto__col_text(st, 4),
            .client = sto__col_text(st, 5),
            .client_port = sqlite3_column_int(st, 6),
            .server = sto__col_text(st, 7),
            .server_port = sqlite3_column_int(st, 8),
            .txid = sqlite3_column_int(st, 9),
            .qname = sto__col_text(st, 10),
            .qtype = sto__col_text(st, 11),
            .rcode = sto__col_text(st, 12),
            .query_ts = sto__col_double(st, 13, 0),
            .response_ts = sto__col_double(st, 14, 0),
            .answers = sqlite3_column_int64(st, 15),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_dns_answer(struct sto_db *db, int64_t dns_id, sto_dns_answer_cb cb, void *user)
{
    sqlite3_stmt *st = db->st[STO__DNS_ANSWER_EACH];
    const char *what = "reading DNS answers";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, NULL, what) < 0)
        return -1;
    if (sqlite3_bind_int64(st, 1, dns_id) != SQLITE_OK)
        return sto__fail(db, "%s: %s", what, sqlite3_errmsg(db->h));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_dns_answer_row r = {
            .pos = sqlite3_column_int(st, 0),
            .name = sto__col_text(st, 1),
            .type = sto__col_text(st, 2),
            .ttl = sqlite3_column_int64(st, 3),
            .data = sto__col_text(st, 4),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_stun_count(struct sto_db *db, const struct sto_filter *f, sto_stun_count_cb cb,
                        void *user)
{
    sqlite3_stmt *st = db->st[STO__STUN_COUNT];
    const char *what = "counting STUN messages";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_stun_count_row r = {
            .method = sqlite3_column_int(st, 0),
            .method_name = sto__col_text(st, 1),
            .cls = sto__col_text(st, 2),
            .messages = sqlite3_column_int64(st, 3),
            .inner = sqlite3_column_int64(st, 4),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_stun_addr(struct sto_db *db, const struct sto_filter *f, sto_stun_addr_cb cb,
                       void *user)
{
    sqlite3_stmt *st = db->st[STO__STUN_ADDR];
    const char *what = "listing STUN addresses";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_stun_addr_row r = {
            .kind = sto__col_text(st, 0),
            .addr = sto__col_text(st, 1),
            .messages = sqlite3_column_int64(st, 2),
            .first = sto__col_double(st, 3, 0),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

/* The rcode and failure walks: both yield (rcode[, qname, qtype], count). */
static int sto__dns_count_walk(struct sto_db *db, enum sto__st which, const struct sto_filter *f,
                               sto_dns_count_cb cb, void *user, const char *what)
{
    sqlite3_stmt *st = db->st[which];
    int names = which == STO__DNS_FAIL;
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_dns_count_row r = {
            .rcode = sto__col_text(st, 0),
            .qname = names ? sto__col_text(st, 1) : NULL,
            .qtype = names ? sto__col_text(st, 2) : NULL,
            .transactions = sqlite3_column_int64(st, names ? 3 : 1),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_dns_rcode(struct sto_db *db, const struct sto_filter *f, sto_dns_count_cb cb,
                       void *user)
{
    return sto__dns_count_walk(db, STO__DNS_RCODE, f, cb, user, "counting DNS response codes");
}

int sto_each_dns_failure(struct sto_db *db, const struct sto_filter *f, sto_dns_count_cb cb,
                         void *user)
{
    return sto__dns_count_walk(db, STO__DNS_FAIL, f, cb, user, "listing failed DNS names");
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

/* ---- reading TLS and HTTP CONNECT ---- */

int sto_each_tls(struct sto_db *db, const struct sto_filter *f, sto_tls_cb cb, void *user)
{
    sqlite3_stmt *st = db->st[STO__TLS_EACH];
    const char *what = "reading TLS connections";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_tls_row r = {
            .id = sqlite3_column_int64(st, 0),
            .capture_id = sqlite3_column_int64(st, 1),
            .flow_seq = sqlite3_column_int64(st, 2),
            .ts = sqlite3_column_double(st, 3),
            .transport = sto__col_text(st, 4),
            .src = sto__col_text(st, 5),
            .sport = sqlite3_column_int(st, 6),
            .dst = sto__col_text(st, 7),
            .dport = sqlite3_column_int(st, 8),
            .sni = sto__col_text(st, 9),
            .client_hellos = sqlite3_column_int(st, 10),
            .client_version = sto__col_text(st, 11),
            .client_max_version = sto__col_text(st, 12),
            .version = sto__col_text(st, 13),
            .cipher = sto__col_text(st, 14),
            .alpn = sto__col_text(st, 15),
            .server_alpn = sto__col_text(st, 16),
            .ja3 = sto__col_text(st, 17),
            .ja3_md5 = sto__col_text(st, 18),
            .ja3s = sto__col_text(st, 19),
            .ja3s_md5 = sto__col_text(st, 20),
            .ja4 = sto__col_text(st, 21),
            .hello_flags = (uint32_t)sqlite3_column_int64(st, 22),
            .hrr = sqlite3_column_int(st, 23),
            .server_hello_ts = sto__col_double(st, 24, 0),
            .established = sqlite3_column_int(st, 25),
            .established_ts = sto__col_double(st, 26, 0),
            .client_appdata_ts = sto__col_double(st, 27, 0),
            .server_appdata_ts = sto__col_double(st, 28, 0),
            .alerts = sqlite3_column_int64(st, 29),
            .alert_ts = sto__col_double(st, 30, 0),
            .alert_level = sto__col_int(st, 31, -1),
            .alert_desc = sto__col_int(st, 32, -1),
            .alert_from = sto__col_text(st, 33),
            .alert_before_established = sto__col_int(st, 34, -1),
            .alert_encrypted = sto__col_int(st, 35, -1),
            .certs_total = sqlite3_column_int(st, 36),
            .client_cert = sqlite3_column_int(st, 37),
            .chain = sto__col_text(st, 38),
            .verify_error = sto__col_int(st, 39, -1),
            .verify_depth = sto__col_int(st, 40, -1),
            .verify_reason = sto__col_text(st, 41),
            .in_tunnel = sqlite3_column_int(st, 42),
            .proxy_target = sto__col_text(st, 43),
            .proxy_port = sto__col_int(st, 44, 0),
            .proxy_status = sto__col_int(st, 45, 0),
            .proxy_first_status = sto__col_int(st, 46, 0),
            .flags = (uint32_t)sqlite3_column_int64(st, 47),
            .midstream = sqlite3_column_int(st, 48),
            .cert_subject = sto__col_text(st, 49),
            .cert_issuer = sto__col_text(st, 50),
            .cert_sha256 = sto__col_text(st, 51),
            .certs = sqlite3_column_int64(st, 52),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_tls_cert(struct sto_db *db, int64_t tls_id, sto_tls_cert_cb cb, void *user)
{
    sqlite3_stmt *st = db->st[STO__CERT_EACH];
    const char *what = "reading TLS certificates";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, NULL, what) < 0)
        return -1;
    if (sqlite3_bind_int64(st, 1, tls_id) != SQLITE_OK)
        return sto__fail(db, "%s: %s", what, sqlite3_errmsg(db->h));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_tls_cert_row r = {
            .pos = sqlite3_column_int(st, 0),
            .subject = sto__col_text(st, 1),
            .issuer = sto__col_text(st, 2),
            .sha256 = sto__col_text(st, 3),
            .not_before = sto__col_double(st, 4, 0),
            .not_after = sto__col_double(st, 5, 0),
            .sans = sto__col_text(st, 6),
            .san_total = sqlite3_column_int64(st, 7),
            .self_issued = sqlite3_column_int(st, 8),
            .readable = sqlite3_column_int(st, 9),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_http_connect(struct sto_db *db, const struct sto_filter *f, sto_http_connect_cb cb,
                          void *user)
{
    sqlite3_stmt *st = db->st[STO__HTTP_EACH];
    const char *what = "reading HTTP CONNECT exchanges";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_http_connect_row r = {
            .id = sqlite3_column_int64(st, 0),
            .capture_id = sqlite3_column_int64(st, 1),
            .flow_seq = sqlite3_column_int64(st, 2),
            .ts = sqlite3_column_double(st, 3),
            .transport = sto__col_text(st, 4),
            .client = sto__col_text(st, 5),
            .client_port = sqlite3_column_int(st, 6),
            .proxy = sto__col_text(st, 7),
            .proxy_port = sqlite3_column_int(st, 8),
            .target = sto__col_text(st, 9),
            .target_port = sqlite3_column_int(st, 10),
            .status = sto__col_int(st, 11, -1),
            .reason = sto__col_text(st, 12),
            .proxy_authenticate = sto__col_text(st, 13),
            .proxy_authorization = sqlite3_column_int(st, 14),
            .authorization_scheme = sto__col_text(st, 15),
            .user_agent = sto__col_text(st, 16),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_tls_totals(struct sto_db *db, const struct sto_filter *f, struct sto_tls_totals *t)
{
    sqlite3_stmt *st = db->st[STO__TLS_TOTALS];
    const char *what = "counting TLS connections";
    int rc;

    memset(t, 0, sizeof *t);
    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        return sto__walk_end(db, st, 0, rc, what);
    t->connections = sqlite3_column_int64(st, 0);
    t->established = sqlite3_column_int64(st, 1);
    t->hrr = sqlite3_column_int64(st, 2);
    t->tunnelled = sqlite3_column_int64(st, 3);
    t->fatal_alerts = sqlite3_column_int64(st, 4);
    t->with_certs = sqlite3_column_int64(st, 5);
    t->valid = sqlite3_column_int64(st, 6);
    t->invalid = sqlite3_column_int64(st, 7);
    t->errors = sqlite3_column_int64(st, 8);
    return sto__walk_end(db, st, 0, SQLITE_DONE, what);
}

/* The version and SNI walks: both yield (name, connections, established). */
static int sto__tls_count_walk(struct sto_db *db, enum sto__st which, const struct sto_filter *f,
                               sto_tls_count_cb cb, void *user, const char *what)
{
    sqlite3_stmt *st = db->st[which];
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_tls_count_row r = {
            .name = sto__col_text(st, 0),
            .connections = sqlite3_column_int64(st, 1),
            .established = sqlite3_column_int64(st, 2),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_tls_version(struct sto_db *db, const struct sto_filter *f, sto_tls_count_cb cb,
                         void *user)
{
    return sto__tls_count_walk(db, STO__TLS_VERSION, f, cb, user, "counting TLS versions");
}

int sto_each_tls_sni(struct sto_db *db, const struct sto_filter *f, sto_tls_count_cb cb, void *user)
{
    return sto__tls_count_walk(db, STO__TLS_SNI, f, cb, user, "counting TLS server names");
}

int sto_each_tls_leaf(struct sto_db *db, const struct sto_filter *f, sto_tls_leaf_cb cb, void *user)
{
    sqlite3_stmt *st = db->st[STO__TLS_LEAF];
    const char *what = "listing TLS certificates";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_tls_leaf_row r = {
            .subject = sto__col_text(st, 0),
            .issuer = sto__col_text(st, 1),
            .sha256 = sto__col_text(st, 2),
            .chain = sto__col_text(st, 3),
            .verify_reason = sto__col_text(st, 4),
            .self_issued = sqlite3_column_int(st, 5),
            .connections = sqlite3_column_int64(st, 6),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

int sto_each_tls_alert(struct sto_db *db, const struct sto_filter *f, sto_tls_alert_cb cb,
                       void *user)
{
    sqlite3_stmt *st = db->st[STO__TLS_ALERT];
    const char *what = "counting TLS alerts";
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sto_tls_alert_row r = {
            .from = sto__col_text(st, 0),
            .level = sto__col_int(st, 1, -1),
            .desc = sto__col_int(st, 2, -1),
            .encrypted = sto__col_int(st, 3, 0),
            .before_established = sto__col_int(st, 4, 0),
            .sni = sto__col_text(st, 5),
            .connections = sqlite3_column_int64(st, 6),
        };
        ret = cb(user, &r);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}
