/* SPDX-License-Identifier: MIT */
/* sto.c - SQLite storage: open, migrate, close; the statements; batches, transactions, errors. */
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

/*
 * The filters of struct sto_filter as SQL, one parameter each: ?1 capture id, ?2 address,
 * ?3 since, ?4 until, ?5 rule id, ?6 routing method; a NULL parameter does not filter. One
 * statement serves every filter combination, so nothing is prepared per call. A statement
 * binds only the parameters it uses up to its highest one (sqlite3_bind_parameter_count).
 */
#define STO__FLOW_WHERE                                                                            \
    " WHERE (?1 IS NULL OR capture_id = ?1) AND (?2 IS NULL OR src = ?2 OR dst = ?2)"              \
    " AND (?3 IS NULL OR last >= ?3) AND (?4 IS NULL OR first <= ?4)"                              \
    " AND (?5 IS NULL OR rule = ?5)"
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

/* Sessions (aliased s): an address at either end (client, peer, or the address of one of the
 * "ip:port" columns), first..last overlapping the window. */
#define STO__EP_IS(col)                                                                            \
    " substr(" col ", 1, length(?2) + 1) = ?2 || ':'"                                              \
    " OR substr(" col ", 1, length(?2) + 2) = '[' || ?2 || ']'"
#define STO__SESSION_WHERE                                                                         \
    " WHERE (?1 IS NULL OR s.capture_id = ?1) AND (?2 IS NULL OR s.client = ?2 OR s.peer = ?2"     \
    " OR" STO__EP_IS("s.server") " OR" STO__EP_IS("s.sel_local") " OR" STO__EP_IS(                 \
        "s.sel_remote") ") AND (?3 IS NULL OR s.last >= ?3) AND (?4 IS NULL OR s.first <= ?4)"     \
                        " AND (?6 IS NULL OR s.method = ?6)"
#define STO__SESSION_COLS                                                                          \
    "SELECT s.id, s.capture_id, s.seq, s.kind, s.method, s.submethod, s.proto, s.sel_local,"       \
    " s.sel_remote, s.client, s.peer, s.server, s.first, s.last, s.bytes, s.ufrags, s.link_seq,"   \
    " l.id, s.relayed, s.mapped, s.transport, s.lifetime, s.permissions, s.channels, s.peers,"     \
    " s.errors, s.last_error, s.explanation,"                                                      \
    " (SELECT count(*) FROM candidate_pairs p WHERE p.session_id = s.id)"                          \
    " FROM sessions s LEFT JOIN sessions l ON l.capture_id = s.capture_id AND l.seq = s.link_seq"
#define STO__PAIR_COLS                                                                             \
    "SELECT p.id, p.session_id, p.proto, p.relayed, p.local, p.remote, p.requests, p.successes,"   \
    " p.errors, p.nominated, p.selected, p.first, p.last, p.rtt_ms FROM candidate_pairs p"
/* Verdicts: src or dst, first inside the window; hosts: the address, first..last overlapping. */
/* With a method (?6), a verdict belongs to a session of that method; a host has it among its
 * methods (a JSON array of one-digit numbers, "[2,3]"). */
#define STO__VERDICT_WHERE                                                                         \
    " WHERE (?1 IS NULL OR capture_id = ?1) AND (?2 IS NULL OR src = ?2 OR dst = ?2)"              \
    " AND (?3 IS NULL OR first >= ?3) AND (?4 IS NULL OR first <= ?4)"                             \
    " AND (?5 IS NULL OR rule = ?5) AND (?6 IS NULL OR session_id IN"                              \
    " (SELECT m.id FROM sessions m WHERE m.method = ?6))"
#define STO__HOST_WHERE                                                                            \
    " WHERE (?1 IS NULL OR capture_id = ?1) AND (?2 IS NULL OR addr = ?2)"                         \
    " AND (?3 IS NULL OR last IS NULL OR last >= ?3) AND (?4 IS NULL OR first IS NULL"             \
    " OR first <= ?4) AND (?6 IS NULL OR instr(methods, CAST(?6 AS TEXT)) > 0)"

/* A flow that was answered: TCP established (also picked up midstream with traffic both
 * ways), other protocols packets both ways. */
#define STO__ANSWERED                                                                              \
    "(CASE WHEN flows.proto = 'tcp' THEN flows.state IN ('S1', 'SF', 'S2', 'S3', 'RSTO', 'RSTR')"  \
    " OR (flows.state = 'OTH' AND flows.pkts_out > 0 AND flows.pkts_in > 0)"                       \
    " ELSE flows.pkts_out > 0 AND flows.pkts_in > 0 END)"

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
    [STO__CAP_STATS_INSERT] = {"INSERT INTO capture_stats (capture_id, at, seconds, packets, bytes,"
                               " received, dropped_kernel, dropped_iface, flows_active,"
                               " evidence_packets, evidence_lost)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                               1},
    [STO__FLOW_INSERT] = {"INSERT INTO flows (capture_id, proto, src, sport, dst, dport, first,"
                          " last, pkts_out, pkts_in, bytes_out, bytes_in, payload_out, payload_in,"
                          " state, history, rtt, ttl_out_min, ttl_out_max, ttl_in_min, ttl_in_max,"
                          " app, category, frags, icmp_errors, icmp_type, icmp_code, icmp_from,"
                          " icmp_first, end_reason, vlan, flow_seq, stun_dropped, host,"
                          " channeldata, stun_msgs, rule)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                          " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
                          " ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37)",
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
                         " proxy_first_status, flags, midstream, proxy_kind)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                         " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28,"
                         " ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42,"
                         " ?43, ?44, ?45, ?46, ?47, ?48, ?49)",
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
                       " analysed_at, profile FROM captures" STO__CAP_WHERE " ORDER BY id",
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
         " (SELECT count(*) FROM certs k WHERE k.tls_id = tls.id), tls.proxy_kind"
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
    [STO__SESSION_INSERT] =
        {"INSERT INTO sessions (capture_id, seq, kind, method, submethod, proto,"
         " sel_local, sel_remote, client, peer, server, first, last, bytes,"
         " ufrags, link_seq, relayed, mapped, transport, lifetime, permissions,"
         " channels, peers, errors, last_error, explanation)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
         " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
         1},
    [STO__SESSION_FIND] = {"SELECT id FROM sessions WHERE capture_id = ?1 AND seq = ?2", 1},
    [STO__PAIR_INSERT] = {"INSERT INTO candidate_pairs (session_id, proto, relayed, local, remote,"
                          " requests, successes, errors, nominated, selected, first, last, rtt_ms)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                          1},
    [STO__VERDICT_INSERT] = {"INSERT INTO verdicts (capture_id, session_id, flow_seq, kind, code,"
                             " confidence, rule, proto, src, sport, dst, dport, host, first,"
                             " evidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                             " ?13, ?14, ?15)",
                             1},
    [STO__HOST_INSERT] = {"INSERT INTO hosts (capture_id, addr, names, role, local, methods,"
                          " verdicts, first, last) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                          1},
    [STO__RULE_INSERT] = {"INSERT OR REPLACE INTO rules (capture_id, position, id, hosts, ports,"
                          " scope, traffic, product, used_for)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                          1},
    [STO__RULES_CLEAR] = {"DELETE FROM rules WHERE capture_id = ?1", 1},
    [STO__CAP_PROFILE] = {"UPDATE captures SET profile = ?2 WHERE id = ?1", 1},
    [STO__CLEAR_VERDICTS] = {"DELETE FROM verdicts WHERE capture_id = ?1", 1},
    [STO__CLEAR_SESSIONS] = {"DELETE FROM sessions WHERE capture_id = ?1", 1},
    [STO__CLEAR_HOSTS] = {"DELETE FROM hosts WHERE capture_id = ?1", 1},
    [STO__SESSION_EACH] = {STO__SESSION_COLS STO__SESSION_WHERE " ORDER BY s.first, s.id", 0},
    [STO__SESSION_PAIR_EACH] = {STO__PAIR_COLS " WHERE p.session_id = ?1 ORDER BY p.id", 0},
    [STO__PAIR_EACH] = {STO__PAIR_COLS " JOIN sessions s ON s.id = p.session_id" STO__SESSION_WHERE
                                       " ORDER BY s.first, s.id, p.id",
                        0},
    [STO__VERDICT_EACH] = {"SELECT id, capture_id, session_id, flow_seq, kind, code, confidence,"
                           " rule, proto, src, sport, dst, dport, host, first, evidence"
                           " FROM verdicts" STO__VERDICT_WHERE " ORDER BY first, id",
                           0},
    [STO__HOST_EACH] = {"SELECT id, capture_id, addr, names, role, local, methods, verdicts, first,"
                        " last FROM hosts" STO__HOST_WHERE
                        " ORDER BY capture_id, CASE role WHEN 'client' THEN 0 WHEN 'console'"
                        " THEN 1 WHEN 'server' THEN 2 ELSE 3 END, addr, id",
                        0},
    [STO__RULE_EACH] = {"SELECT r.capture_id, r.position, r.id, r.hosts, r.ports, r.scope,"
                        " r.traffic, r.product, r.used_for, c.profile"
                        " FROM rules r JOIN captures c ON c.id = r.capture_id"
                        " WHERE (?1 IS NULL OR r.capture_id = ?1) ORDER BY r.capture_id,"
                        " r.position",
                        0},
    /* The union of the rules of the matching captures, one row per rule id (the text of its
     * newest capture), in position order; with the evidence of the flows and verdicts. */
    [STO__RULE_STAT] =
        {"WITH d AS (SELECT id, hosts, ports, scope, traffic, product, used_for,"
         " min(position) OVER (PARTITION BY id) AS pos,"
         " min(capture_id) OVER (PARTITION BY id) AS cap,"
         " row_number() OVER (PARTITION BY id ORDER BY capture_id DESC, position) AS rn"
         " FROM rules WHERE (?1 IS NULL OR capture_id = ?1) AND (?5 IS NULL OR id = ?5))"
         " SELECT d.id, d.hosts, d.ports, d.scope, d.traffic, d.product, d.used_for,"
         " (SELECT count(*) FROM flows" STO__FLOW_WHERE " AND flows.rule = d.id),"
         " (SELECT count(*) FROM flows" STO__FLOW_WHERE " AND flows.rule = d.id"
         " AND " STO__ANSWERED "),"
         " (SELECT count(*) FROM verdicts" STO__VERDICT_WHERE " AND verdicts.rule = d.id"
         " AND verdicts.kind = 'blocked'),"
         " (SELECT count(*) FROM verdicts" STO__VERDICT_WHERE " AND verdicts.rule = d.id"
         " AND verdicts.kind = 'inspected'),"
         " (SELECT min(first) FROM flows" STO__FLOW_WHERE " AND flows.rule = d.id),"
         " (SELECT max(last) FROM flows" STO__FLOW_WHERE " AND flows.rule = d.id)"
         " FROM d WHERE d.rn = 1 ORDER BY d.pos, d.cap, d.id",
         0},
    /* Sessions per (method, submethod; kind when there is no method), without the TURN
     * allocations that an ICE session ran through (counted with that session); the median
     * round-trip time of their selected pairs. */
    [STO__METHOD_STAT] =
        {"WITH g AS (SELECT s.id, coalesce(s.method, 0) AS m, s.submethod AS sub,"
         " CASE WHEN s.method IS NULL THEN s.kind END AS k, s.bytes"
         " FROM sessions s" STO__SESSION_WHERE " AND NOT (s.kind = 'turn' AND EXISTS"
         " (SELECT 1 FROM sessions i WHERE i.capture_id = s.capture_id AND i.seq = s.link_seq"
         " AND i.kind = 'ice'))),"
         " r AS (SELECT g.m, g.sub, g.k, p.rtt_ms AS rtt,"
         " row_number() OVER (PARTITION BY g.m, g.sub, g.k ORDER BY p.rtt_ms) AS rn,"
         " count(*) OVER (PARTITION BY g.m, g.sub, g.k) AS cnt"
         " FROM g JOIN candidate_pairs p ON p.session_id = g.id AND p.selected = 1"
         " AND p.rtt_ms IS NOT NULL),"
         " med AS (SELECT m, sub, k, avg(rtt) AS rtt, max(cnt) AS n FROM r"
         " WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2) GROUP BY m, sub, k)"
         " SELECT g.m, g.sub, g.k, count(*), coalesce(sum(g.bytes), 0), med.rtt,"
         " coalesce(med.n, 0)"
         " FROM g LEFT JOIN med ON med.m = g.m AND med.sub IS g.sub AND med.k IS g.k"
         " GROUP BY g.m, g.sub, g.k ORDER BY g.m = 0, g.m, g.sub, g.k",
         0},
};

/* ---- helpers ---- */

__attribute__((format(printf, 2, 3))) int sto__fail(struct sto_db *db, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(db->err, sizeof db->err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Epoch seconds of a nanosecond time, splitting so the integer part is exact. */
double sto__secs(uint64_t ns)
{
    return (double)(ns / 1000000000u) + (double)(ns % 1000000000u) * 1e-9;
}

sqlite3_int64 sto__i64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

/* Binds @p s (at most @p max bytes, may lack a NUL) as text, or NULL when empty. */
int sto__bind_str(sqlite3_stmt *st, int i, const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max) : 0;

    if (n == 0)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
}

/* Binds an address as text, NULL when the address is absent. */
int sto__bind_addr(sqlite3_stmt *st, int i, const struct dis_addr *a)
{
    char buf[STO__ADDR_LEN];

    if (a->family != 4 && a->family != 6)
        return sqlite3_bind_null(st, i);
    dis_addr_str(a, buf, sizeof buf);
    return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

const char *sto__endpoint(const struct dis_addr *a, uint16_t port, char *buf, size_t len)
{
    char ip[STO__ADDR_LEN];

    if (a->family != 4 && a->family != 6)
        return NULL;
    dis_addr_str(a, ip, sizeof ip);
    snprintf(buf, len, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)port);
    return buf;
}

int sto__step_part(struct sto_db *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE)
        return sto__step_fail(db, st, what, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return 0;
}

const char *sto__proto_name(uint8_t proto, char buf[4])
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
    /* Checkpoint explicitly: sqlite3_close() skips its final checkpoint when the file was
     * renamed while open (log rotation: mv db db.1; kill -HUP), and the last transactions
     * would stay behind in the old name's -wal. A busy reader only makes it partial. */
    if (db->mode == STO_READ_WRITE && ret == 0)
        (void)sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
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

/* Fails (with @p what in the message) when this handle must not write. */
int sto__writable(struct sto_db *db, const char *what)
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
int sto__step_fail(struct sto_db *db, sqlite3_stmt *st, const char *what, int rc)
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
int sto__begin(struct sto_db *db, const char *what)
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
int sto__write(struct sto_db *db, sqlite3_stmt *st, const char *what)
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

/* Steps a bound lookup that yields at most one id, then resets it. Returns 1 with @p id set,
 * 0 when there is no row, -1 on error. */
int sto__find_id(struct sto_db *db, sqlite3_stmt *st, const char *what, int64_t *id)
{
    int rc = sqlite3_step(st);

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

/* ---- read snapshots ---- */

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
