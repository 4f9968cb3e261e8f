/* SPDX-License-Identifier: MIT */
/* sto_read.c - SQLite storage: the read walks (sto_each_*) and the totals summaries. */
#define _POSIX_C_SOURCE 200809L

#include "store/sto.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <sqlite3.h>

#include "sto_int.h"

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

static int64_t sto__col_i64(sqlite3_stmt *st, int i, int64_t dflt)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return dflt;
    return sqlite3_column_int64(st, i);
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

/* Resets @p st and binds the filter parameters ?1..?6 (those up to the statement's highest:
 * ?5 rule and ?6 method only where it uses them). Refuses a statement already being walked (a
 * callback that starts the same walk again). */
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
    if (f->rule && *f->rule && sqlite3_bind_parameter_count(st) >= 5)
        rc |= sqlite3_bind_text(st, 5, f->rule, -1, SQLITE_TRANSIENT);
    if (f->method > 0 && sqlite3_bind_parameter_count(st) >= 6)
        rc |= sqlite3_bind_int(st, 6, f->method);
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

/*
 * The caller's callback and its argument, as a walk hands them to its row function. Only the
 * member matching the walk is set: the callback types differ only in the row they take.
 */
struct sto__cb {
    union {
        sto_capture_cb capture;
        sto_flow_cb flow;
        sto_stun_cb stun;
        sto_dns_cb dns;
        sto_dns_answer_cb dns_answer;
        sto_stun_count_cb stun_count;
        sto_stun_addr_cb stun_addr;
        sto_app_cb app;
        sto_tls_cb tls;
        sto_tls_cert_cb tls_cert;
        sto_http_connect_cb http_connect;
        sto_tls_leaf_cb tls_leaf;
        sto_tls_alert_cb tls_alert;
        sto_dns_count_cb dns_count;
        sto_tls_count_cb tls_count;
        sto_session_cb session;
        sto_pair_cb pair;
        sto_verdict_cb verdict;
        sto_host_cb host;
        sto_rule_cb rule;
        sto_rule_stat_cb rule_stat;
        sto_method_stat_cb method_stat;
    } fn;
    void *user;
};

/* Fills the row struct from the current row of @p st and returns the callback's value. */
typedef int (*sto__row_fn)(sqlite3_stmt *st, const struct sto__cb *cb);

/*
 * The walk every sto_each_* shares: binds the filter @p f (or none) and, when @p parent is
 * not NULL, the parent id as ?1; then hands each row to @p row until it returns non-zero.
 * Returns the callback's non-zero value, -1 on an SQLite failure (message in the handle), or 0.
 */
static int sto__walk(struct sto_db *db, enum sto__st which, const struct sto_filter *f,
                     const int64_t *parent, sto__row_fn row, const struct sto__cb *cb,
                     const char *what)
{
    sqlite3_stmt *st = db->st[which];
    int rc, ret = 0;

    if (sto__bind_filter(db, st, f, what) < 0)
        return -1;
    if (parent && sqlite3_bind_int64(st, 1, *parent) != SQLITE_OK)
        return sto__fail(db, "%s: %s", what, sqlite3_errmsg(db->h));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = row(st, cb);
        if (ret)
            break;
    }
    return sto__walk_end(db, st, ret, rc, what);
}

/* One row of sto_each_capture to the caller's callback. */
static int sto__capture_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
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
        .profile = sto__col_text(st, 16),
    };

    return cb->fn.capture(cb->user, &r);
}

int sto_each_capture(struct sto_db *db, const struct sto_filter *f, sto_capture_cb cb, void *user)
{
    struct sto__cb c = {.fn.capture = cb, .user = user};

    return sto__walk(db, STO__CAP_EACH, f, NULL, sto__capture_row, &c, "reading captures");
}

/* One row of sto_each_flow to the caller's callback. */
static int sto__flow_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
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

    return cb->fn.flow(cb->user, &r);
}

int sto_each_flow(struct sto_db *db, const struct sto_filter *f, sto_flow_cb cb, void *user)
{
    struct sto__cb c = {.fn.flow = cb, .user = user};

    return sto__walk(db, STO__FLOW_EACH, f, NULL, sto__flow_row, &c, "reading flows");
}

/* One row of sto_each_stun to the caller's callback. */
static int sto__stun_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
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

    return cb->fn.stun(cb->user, &r);
}

int sto_each_stun(struct sto_db *db, const struct sto_filter *f, sto_stun_cb cb, void *user)
{
    struct sto__cb c = {.fn.stun = cb, .user = user};

    return sto__walk(db, STO__STUN_EACH, f, NULL, sto__stun_row, &c, "reading STUN messages");
}

/* One row of sto_each_dns to the caller's callback. */
static int sto__dns_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
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

    return cb->fn.dns(cb->user, &r);
}

int sto_each_dns(struct sto_db *db, const struct sto_filter *f, sto_dns_cb cb, void *user)
{
    struct sto__cb c = {.fn.dns = cb, .user = user};

    return sto__walk(db, STO__DNS_EACH, f, NULL, sto__dns_row, &c, "reading DNS transactions");
}

/* One row of sto_each_dns_answer to the caller's callback. */
static int sto__dns_answer_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_dns_answer_row r = {
        .pos = sqlite3_column_int(st, 0),
        .name = sto__col_text(st, 1),
        .type = sto__col_text(st, 2),
        .ttl = sqlite3_column_int64(st, 3),
        .data = sto__col_text(st, 4),
    };

    return cb->fn.dns_answer(cb->user, &r);
}

int sto_each_dns_answer(struct sto_db *db, int64_t dns_id, sto_dns_answer_cb cb, void *user)
{
    struct sto__cb c = {.fn.dns_answer = cb, .user = user};

    return sto__walk(db, STO__DNS_ANSWER_EACH, NULL, &dns_id, sto__dns_answer_row, &c,
                     "reading DNS answers");
}

/* One row of sto_each_stun_count to the caller's callback. */
static int sto__stun_count_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_stun_count_row r = {
        .method = sqlite3_column_int(st, 0),
        .method_name = sto__col_text(st, 1),
        .cls = sto__col_text(st, 2),
        .messages = sqlite3_column_int64(st, 3),
        .inner = sqlite3_column_int64(st, 4),
    };

    return cb->fn.stun_count(cb->user, &r);
}

int sto_each_stun_count(struct sto_db *db, const struct sto_filter *f, sto_stun_count_cb cb,
                        void *user)
{
    struct sto__cb c = {.fn.stun_count = cb, .user = user};

    return sto__walk(db, STO__STUN_COUNT, f, NULL, sto__stun_count_row, &c,
                     "counting STUN messages");
}

/* One row of sto_each_stun_addr to the caller's callback. */
static int sto__stun_addr_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_stun_addr_row r = {
        .kind = sto__col_text(st, 0),
        .addr = sto__col_text(st, 1),
        .messages = sqlite3_column_int64(st, 2),
        .first = sto__col_double(st, 3, 0),
    };

    return cb->fn.stun_addr(cb->user, &r);
}

int sto_each_stun_addr(struct sto_db *db, const struct sto_filter *f, sto_stun_addr_cb cb,
                       void *user)
{
    struct sto__cb c = {.fn.stun_addr = cb, .user = user};

    return sto__walk(db, STO__STUN_ADDR, f, NULL, sto__stun_addr_row, &c, "listing STUN addresses");
}

/* One row of sto_each_dns_rcode, (rcode, count), to the caller's callback. */
static int sto__dns_rcode_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_dns_count_row r = {
        .rcode = sto__col_text(st, 0),
        .qname = NULL,
        .qtype = NULL,
        .transactions = sqlite3_column_int64(st, 1),
    };

    return cb->fn.dns_count(cb->user, &r);
}

/* One row of sto_each_dns_failure, (rcode, qname, qtype, count), to the caller's callback. */
static int sto__dns_failure_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_dns_count_row r = {
        .rcode = sto__col_text(st, 0),
        .qname = sto__col_text(st, 1),
        .qtype = sto__col_text(st, 2),
        .transactions = sqlite3_column_int64(st, 3),
    };

    return cb->fn.dns_count(cb->user, &r);
}

int sto_each_dns_rcode(struct sto_db *db, const struct sto_filter *f, sto_dns_count_cb cb,
                       void *user)
{
    struct sto__cb c = {.fn.dns_count = cb, .user = user};

    return sto__walk(db, STO__DNS_RCODE, f, NULL, sto__dns_rcode_row, &c,
                     "counting DNS response codes");
}

int sto_each_dns_failure(struct sto_db *db, const struct sto_filter *f, sto_dns_count_cb cb,
                         void *user)
{
    struct sto__cb c = {.fn.dns_count = cb, .user = user};

    return sto__walk(db, STO__DNS_FAIL, f, NULL, sto__dns_failure_row, &c,
                     "listing failed DNS names");
}

/* One row of sto_each_app to the caller's callback. */
static int sto__app_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_app_row r = {
        .app = sto__col_text(st, 0),
        .flows = sqlite3_column_int64(st, 1),
        .bytes = sqlite3_column_int64(st, 2),
    };

    return cb->fn.app(cb->user, &r);
}

int sto_each_app(struct sto_db *db, const struct sto_filter *f, sto_app_cb cb, void *user)
{
    struct sto__cb c = {.fn.app = cb, .user = user};

    return sto__walk(db, STO__APP_EACH, f, NULL, sto__app_row, &c,
                     "counting flows per application");
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

/* One row of sto_each_tls to the caller's callback. */
static int sto__tls_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
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
        .proxy_status = sto__col_int(st, 45, -1),
        .proxy_first_status = sto__col_int(st, 46, -1),
        .flags = (uint32_t)sqlite3_column_int64(st, 47),
        .midstream = sqlite3_column_int(st, 48),
        .cert_subject = sto__col_text(st, 49),
        .cert_issuer = sto__col_text(st, 50),
        .cert_sha256 = sto__col_text(st, 51),
        .certs = sqlite3_column_int64(st, 52),
        .proxy_kind = sto__col_text(st, 53),
    };

    return cb->fn.tls(cb->user, &r);
}

int sto_each_tls(struct sto_db *db, const struct sto_filter *f, sto_tls_cb cb, void *user)
{
    struct sto__cb c = {.fn.tls = cb, .user = user};

    return sto__walk(db, STO__TLS_EACH, f, NULL, sto__tls_row, &c, "reading TLS connections");
}

/* One row of sto_each_tls_cert to the caller's callback. */
static int sto__tls_cert_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
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

    return cb->fn.tls_cert(cb->user, &r);
}

int sto_each_tls_cert(struct sto_db *db, int64_t tls_id, sto_tls_cert_cb cb, void *user)
{
    struct sto__cb c = {.fn.tls_cert = cb, .user = user};

    return sto__walk(db, STO__CERT_EACH, NULL, &tls_id, sto__tls_cert_row, &c,
                     "reading TLS certificates");
}

/* One row of sto_each_http_connect to the caller's callback. */
static int sto__http_connect_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
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

    return cb->fn.http_connect(cb->user, &r);
}

int sto_each_http_connect(struct sto_db *db, const struct sto_filter *f, sto_http_connect_cb cb,
                          void *user)
{
    struct sto__cb c = {.fn.http_connect = cb, .user = user};

    return sto__walk(db, STO__HTTP_EACH, f, NULL, sto__http_connect_row, &c,
                     "reading HTTP CONNECT exchanges");
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

/* One row of the version and SNI walks, (name, connections, established), to the callback. */
static int sto__tls_count_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_tls_count_row r = {
        .name = sto__col_text(st, 0),
        .connections = sqlite3_column_int64(st, 1),
        .established = sqlite3_column_int64(st, 2),
    };

    return cb->fn.tls_count(cb->user, &r);
}

int sto_each_tls_version(struct sto_db *db, const struct sto_filter *f, sto_tls_count_cb cb,
                         void *user)
{
    struct sto__cb c = {.fn.tls_count = cb, .user = user};

    return sto__walk(db, STO__TLS_VERSION, f, NULL, sto__tls_count_row, &c,
                     "counting TLS versions");
}

int sto_each_tls_sni(struct sto_db *db, const struct sto_filter *f, sto_tls_count_cb cb, void *user)
{
    struct sto__cb c = {.fn.tls_count = cb, .user = user};

    return sto__walk(db, STO__TLS_SNI, f, NULL, sto__tls_count_row, &c,
                     "counting TLS server names");
}

/* One row of sto_each_tls_leaf to the caller's callback. */
static int sto__tls_leaf_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_tls_leaf_row r = {
        .subject = sto__col_text(st, 0),
        .issuer = sto__col_text(st, 1),
        .sha256 = sto__col_text(st, 2),
        .chain = sto__col_text(st, 3),
        .verify_reason = sto__col_text(st, 4),
        .self_issued = sqlite3_column_int(st, 5),
        .connections = sqlite3_column_int64(st, 6),
    };

    return cb->fn.tls_leaf(cb->user, &r);
}

int sto_each_tls_leaf(struct sto_db *db, const struct sto_filter *f, sto_tls_leaf_cb cb, void *user)
{
    struct sto__cb c = {.fn.tls_leaf = cb, .user = user};

    return sto__walk(db, STO__TLS_LEAF, f, NULL, sto__tls_leaf_row, &c, "listing TLS certificates");
}

/* One row of sto_each_tls_alert to the caller's callback. */
static int sto__tls_alert_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_tls_alert_row r = {
        .from = sto__col_text(st, 0),
        .level = sto__col_int(st, 1, -1),
        .desc = sto__col_int(st, 2, -1),
        .encrypted = sto__col_int(st, 3, 0),
        .before_established = sto__col_int(st, 4, 0),
        .sni = sto__col_text(st, 5),
        .connections = sqlite3_column_int64(st, 6),
    };

    return cb->fn.tls_alert(cb->user, &r);
}

int sto_each_tls_alert(struct sto_db *db, const struct sto_filter *f, sto_tls_alert_cb cb,
                       void *user)
{
    struct sto__cb c = {.fn.tls_alert = cb, .user = user};

    return sto__walk(db, STO__TLS_ALERT, f, NULL, sto__tls_alert_row, &c, "counting TLS alerts");
}

/* ---- reading analysis results ---- */

/* One row of sto_each_session to the caller's callback. */
static int sto__session_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_session_row r = {
        .id = sqlite3_column_int64(st, 0),
        .capture_id = sqlite3_column_int64(st, 1),
        .seq = sqlite3_column_int64(st, 2),
        .kind = sto__col_text(st, 3),
        .method = sto__col_int(st, 4, 0),
        .submethod = sto__col_text(st, 5),
        .proto = sto__col_text(st, 6),
        .sel_local = sto__col_text(st, 7),
        .sel_remote = sto__col_text(st, 8),
        .client = sto__col_text(st, 9),
        .peer = sto__col_text(st, 10),
        .server = sto__col_text(st, 11),
        .first = sqlite3_column_double(st, 12),
        .last = sqlite3_column_double(st, 13),
        .bytes = sqlite3_column_int64(st, 14),
        .ufrags = sto__col_text(st, 15),
        .link_seq = sto__col_i64(st, 16, 0),
        .link_id = sto__col_i64(st, 17, 0),
        .relayed = sto__col_text(st, 18),
        .mapped = sto__col_text(st, 19),
        .transport = sto__col_text(st, 20),
        .lifetime = sto__col_i64(st, 21, -1),
        .permissions = sto__col_i64(st, 22, -1),
        .channels = sto__col_i64(st, 23, -1),
        .peers = sto__col_i64(st, 24, -1),
        .errors = sto__col_i64(st, 25, -1),
        .last_error = sto__col_int(st, 26, -1),
        .explanation = sto__col_text(st, 27),
        .pairs = sqlite3_column_int64(st, 28),
    };

    return cb->fn.session(cb->user, &r);
}

int sto_each_session(struct sto_db *db, const struct sto_filter *f, sto_session_cb cb, void *user)
{
    struct sto__cb c = {.fn.session = cb, .user = user};

    return sto__walk(db, STO__SESSION_EACH, f, NULL, sto__session_row, &c, "reading sessions");
}

/* One row of the candidate pair walks to the caller's callback. */
static int sto__pair_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_pair_row r = {
        .id = sqlite3_column_int64(st, 0),
        .session_id = sqlite3_column_int64(st, 1),
        .proto = sto__col_text(st, 2),
        .relayed = sqlite3_column_int(st, 3),
        .local = sto__col_text(st, 4),
        .remote = sto__col_text(st, 5),
        .requests = sqlite3_column_int64(st, 6),
        .successes = sqlite3_column_int64(st, 7),
        .errors = sqlite3_column_int64(st, 8),
        .nominated = sqlite3_column_int(st, 9),
        .selected = sqlite3_column_int(st, 10),
        .first = sqlite3_column_double(st, 11),
        .last = sqlite3_column_double(st, 12),
        .rtt_ms = sto__col_double(st, 13, -1),
    };

    return cb->fn.pair(cb->user, &r);
}

int sto_each_session_pair(struct sto_db *db, int64_t session_id, sto_pair_cb cb, void *user)
{
    struct sto__cb c = {.fn.pair = cb, .user = user};

    return sto__walk(db, STO__SESSION_PAIR_EACH, NULL, &session_id, sto__pair_row, &c,
                     "reading candidate pairs");
}

int sto_each_pair(struct sto_db *db, const struct sto_filter *f, sto_pair_cb cb, void *user)
{
    struct sto__cb c = {.fn.pair = cb, .user = user};

    return sto__walk(db, STO__PAIR_EACH, f, NULL, sto__pair_row, &c, "reading candidate pairs");
}

/* One row of sto_each_verdict to the caller's callback. */
static int sto__verdict_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_verdict_row r = {
        .id = sqlite3_column_int64(st, 0),
        .capture_id = sqlite3_column_int64(st, 1),
        .session_id = sto__col_i64(st, 2, 0),
        .flow_seq = sto__col_i64(st, 3, 0),
        .kind = sto__col_text(st, 4),
        .code = sto__col_text(st, 5),
        .confidence = sto__col_text(st, 6),
        .rule = sto__col_text(st, 7),
        .proto = sto__col_text(st, 8),
        .src = sto__col_text(st, 9),
        .sport = sto__col_int(st, 10, 0),
        .dst = sto__col_text(st, 11),
        .dport = sto__col_int(st, 12, 0),
        .host = sto__col_text(st, 13),
        .first = sqlite3_column_double(st, 14),
        .evidence = sto__col_text(st, 15),
    };

    return cb->fn.verdict(cb->user, &r);
}

int sto_each_verdict(struct sto_db *db, const struct sto_filter *f, sto_verdict_cb cb, void *user)
{
    struct sto__cb c = {.fn.verdict = cb, .user = user};

    return sto__walk(db, STO__VERDICT_EACH, f, NULL, sto__verdict_row, &c, "reading verdicts");
}

/* One row of sto_each_host to the caller's callback. */
static int sto__host_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    const char *names = sto__col_text(st, 3), *methods = sto__col_text(st, 6);
    struct sto_host_row r = {
        .id = sqlite3_column_int64(st, 0),
        .capture_id = sqlite3_column_int64(st, 1),
        .addr = sto__col_text(st, 2),
        .names = names ? names : "[]",
        .role = sto__col_text(st, 4),
        .local = sqlite3_column_int(st, 5),
        .methods = methods ? methods : "[]",
        .verdicts = sqlite3_column_int64(st, 7),
        .first = sto__col_double(st, 8, 0),
        .last = sto__col_double(st, 9, 0),
    };

    return cb->fn.host(cb->user, &r);
}

int sto_each_host(struct sto_db *db, const struct sto_filter *f, sto_host_cb cb, void *user)
{
    struct sto__cb c = {.fn.host = cb, .user = user};

    return sto__walk(db, STO__HOST_EACH, f, NULL, sto__host_row, &c, "reading hosts");
}

/* One row of sto_each_rule to the caller's callback. */
static int sto__rule_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_rule_row r = {
        .capture_id = sqlite3_column_int64(st, 0),
        .position = sqlite3_column_int(st, 1),
        .id = sto__col_text(st, 2),
        .hosts = sto__col_text(st, 3),
        .ports = sto__col_text(st, 4),
        .scope = sto__col_text(st, 5),
        .traffic = sto__col_text(st, 6),
        .product = sqlite3_column_int(st, 7),
        .used_for = sto__col_text(st, 8),
        .profile = sto__col_text(st, 9),
    };

    return cb->fn.rule(cb->user, &r);
}

int sto_each_rule(struct sto_db *db, const struct sto_filter *f, sto_rule_cb cb, void *user)
{
    struct sto__cb c = {.fn.rule = cb, .user = user};
    /* The statement has only the capture parameter. */
    struct sto_filter only = {.capture_id = f ? f->capture_id : 0};

    return sto__walk(db, STO__RULE_EACH, &only, NULL, sto__rule_row, &c, "reading profile rules");
}

/* One row of sto_each_rule_stat to the caller's callback. */
static int sto__rule_stat_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_rule_stat_row r = {
        .id = sto__col_text(st, 0),
        .hosts = sto__col_text(st, 1),
        .ports = sto__col_text(st, 2),
        .scope = sto__col_text(st, 3),
        .traffic = sto__col_text(st, 4),
        .product = sqlite3_column_int(st, 5),
        .used_for = sto__col_text(st, 6),
        .flows = sqlite3_column_int64(st, 7),
        .flows_ok = sqlite3_column_int64(st, 8),
        .blocked = sqlite3_column_int64(st, 9),
        .inspected = sqlite3_column_int64(st, 10),
        .first = sto__col_double(st, 11, 0),
        .last = sto__col_double(st, 12, 0),
    };

    return cb->fn.rule_stat(cb->user, &r);
}

int sto_each_rule_stat(struct sto_db *db, const struct sto_filter *f, sto_rule_stat_cb cb,
                       void *user)
{
    struct sto__cb c = {.fn.rule_stat = cb, .user = user};
    struct sto_filter g = {0};

    /* The method does not apply to the checklist. */
    if (f) {
        g = *f;
        g.method = 0;
    }
    return sto__walk(db, STO__RULE_STAT, &g, NULL, sto__rule_stat_row, &c,
                     "reading the rules' evidence");
}

/* One row of sto_each_method_stat to the caller's callback. */
static int sto__method_stat_row(sqlite3_stmt *st, const struct sto__cb *cb)
{
    struct sto_method_stat_row r = {
        .method = sqlite3_column_int(st, 0),
        .submethod = sto__col_text(st, 1),
        .kind = sto__col_text(st, 2),
        .sessions = sqlite3_column_int64(st, 3),
        .bytes = sqlite3_column_int64(st, 4),
        .rtt_ms = sto__col_double(st, 5, -1),
        .rtt_n = sqlite3_column_int64(st, 6),
    };

    return cb->fn.method_stat(cb->user, &r);
}

int sto_each_method_stat(struct sto_db *db, const struct sto_filter *f, sto_method_stat_cb cb,
                         void *user)
{
    struct sto__cb c = {.fn.method_stat = cb, .user = user};

    return sto__walk(db, STO__METHOD_STAT, f, NULL, sto__method_stat_row, &c,
                     "counting sessions per method");
}
