/* SPDX-License-Identifier: MIT */
/*
 * test_store_analysis.c - store/: the analyzer's results (schema 5): sessions with their
 * candidate pairs, verdicts, hosts and profile rules round trip; links and session ids resolved
 * to row ids; IPv6 endpoints; re-analysis replaces rows; filters; migration from schema 4.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/sto.h"
#include "sto_int.h"

#include "records.h"

#define SHA_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

struct fixture {
    char dir[64];
    char path[96];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);

    assert_non_null(fx);
    tmpdb_make("test_store_analysis", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    tmpdb_remove(fx->dir, fx->path);
    free(fx);
    return 0;
}

/* A new capture of file @p sha (may be NULL) in @p db; returns its id. */
static int64_t new_capture(struct sto_db *db, const char *sha)
{
    struct sto_capture c = file_capture_rec("/captures/class 3b.pcapng", sha, "EN10MB", 1);

    assert_int_equal(sto_capture_begin(db, &c), 0);
    return c.id;
}

/* ---- collecting rows (strings are borrowed: copy them) ---- */

#define S(field) char field[700]

struct sess_copy {
    struct sto_session_row r;
    S(kind);
    S(submethod);
    S(proto);
    S(sel_local);
    S(sel_remote);
    S(client);
    S(peer);
    S(server);
    S(ufrags);
    S(relayed);
    S(mapped);
    S(transport);
    S(explanation);
};

struct sessions {
    size_t n;
    struct sess_copy s[8];
};

/* Copies @p src ("(null)" for NULL). */
static void cp(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "(null)");
}

static int collect_session(void *user, const struct sto_session_row *r)
{
    struct sessions *l = user;
    struct sess_copy *c;

    assert_true(l->n < sizeof l->s / sizeof l->s[0]);
    c = &l->s[l->n++];
    c->r = *r;
    cp(c->kind, sizeof c->kind, r->kind);
    cp(c->submethod, sizeof c->submethod, r->submethod);
    cp(c->proto, sizeof c->proto, r->proto);
    cp(c->sel_local, sizeof c->sel_local, r->sel_local);
    cp(c->sel_remote, sizeof c->sel_remote, r->sel_remote);
    cp(c->client, sizeof c->client, r->client);
    cp(c->peer, sizeof c->peer, r->peer);
    cp(c->server, sizeof c->server, r->server);
    cp(c->ufrags, sizeof c->ufrags, r->ufrags);
    cp(c->relayed, sizeof c->relayed, r->relayed);
    cp(c->mapped, sizeof c->mapped, r->mapped);
    cp(c->transport, sizeof c->transport, r->transport);
    cp(c->explanation, sizeof c->explanation, r->explanation);
    return 0;
}

/* The session with analyzer id @p seq in capture @p cap. */
static const struct sess_copy *find_seq(const struct sessions *l, int64_t cap, int64_t seq)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->s[i].r.capture_id == cap && l->s[i].r.seq == seq)
            return &l->s[i];
    fail_msg("no session %lld in capture %lld", (long long)seq, (long long)cap);
    return NULL;
}

struct pairs {
    size_t n;
    struct sto_pair_row r[8];
    char line[8][256];
};

static int collect_pair(void *user, const struct sto_pair_row *r)
{
    struct pairs *l = user;

    assert_true(l->n < sizeof l->r / sizeof l->r[0]);
    l->r[l->n] = *r;
    snprintf(l->line[l->n], sizeof l->line[0], "%s %s %s", r->proto, r->local, r->remote);
    l->n++;
    return 0;
}

struct verdicts {
    size_t n;
    struct sto_verdict_row r[8];
    char line[8][256], evidence[8][600];
};

static int collect_verdict(void *user, const struct sto_verdict_row *r)
{
    struct verdicts *l = user;

    assert_true(l->n < sizeof l->r / sizeof l->r[0]);
    l->r[l->n] = *r;
    snprintf(l->line[l->n], sizeof l->line[0], "%s %s %s %s %s %s:%d %s:%d %s", r->kind, r->code,
             r->confidence, r->rule ? r->rule : "-", r->proto, r->src, r->sport, r->dst, r->dport,
             r->host ? r->host : "-");
    cp(l->evidence[l->n], sizeof l->evidence[0], r->evidence);
    l->n++;
    return 0;
}

struct hosts {
    size_t n;
    struct sto_host_row r[8];
    char line[8][1200];
};

static int collect_host(void *user, const struct sto_host_row *r)
{
    struct hosts *l = user;

    assert_true(l->n < sizeof l->r / sizeof l->r[0]);
    l->r[l->n] = *r;
    snprintf(l->line[l->n], sizeof l->line[0], "%s %s %d %s %s", r->addr, r->role, r->local,
             r->methods, r->names);
    l->n++;
    return 0;
}

struct rules {
    size_t n;
    char line[80][512];
};

static int collect_rule(void *user, const struct sto_rule_row *r)
{
    struct rules *l = user;

    assert_true(l->n < sizeof l->line / sizeof l->line[0]);
    snprintf(l->line[l->n], sizeof l->line[0], "%lld %d %s [%s] [%s] %s %s %d %s %s",
             (long long)r->capture_id, r->position, r->id, r->hosts ? r->hosts : "-",
             r->ports ? r->ports : "-", r->scope, r->traffic, r->product,
             r->used_for ? r->used_for : "-", r->profile ? r->profile : "-");
    l->n++;
    return 0;
}

static size_t count_sessions(struct sto_db *db, const struct sto_filter *f)
{
    struct sessions *l = calloc(1, sizeof *l);
    size_t n;

    assert_non_null(l);
    assert_int_equal(sto_each_session(db, f, collect_session, l), 0);
    n = l->n;
    free(l);
    return n;
}

static size_t count_pairs(struct sto_db *db, const struct sto_filter *f)
{
    struct pairs l = {.n = 0};

    assert_int_equal(sto_each_pair(db, f, collect_pair, &l), 0);
    return l.n;
}

/* ---- tests ---- */

static void test_round_trip(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    struct sessions *l = calloc(1, sizeof *l);
    struct pairs pl = {.n = 0};
    struct verdicts *vl = calloc(1, sizeof *vl);
    struct hosts *hl = calloc(1, sizeof *hl);
    struct rules *rl = calloc(1, sizeof *rl);
    const struct sess_copy *ice, *turn, *v6;
    int64_t cap;

    assert_non_null(db);
    assert_non_null(l);
    assert_non_null(vl);
    assert_non_null(hl);
    assert_non_null(rl);
    cap = new_capture(db, SHA_A);
    add_analysis(db, cap);
    assert_int_equal(sto_close(db, err), 0);

    db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(db);
    assert_int_equal(sto_each_session(db, NULL, collect_session, l), 0);
    assert_int_equal(l->n, 3);
    /* by first time: the TURN allocation (0.5 s), the relayed ICE session, the IPv6 one */
    assert_int_equal(l->s[0].r.seq, 2);
    assert_int_equal(l->s[1].r.seq, 1);
    assert_int_equal(l->s[2].r.seq, 3);
    ice = find_seq(l, cap, 1);
    turn = find_seq(l, cap, 2);
    v6 = find_seq(l, cap, 3);

    assert_string_equal(ice->kind, "ice");
    assert_int_equal(ice->r.method, 3);
    assert_string_equal(ice->submethod, "relay-tls");
    assert_string_equal(ice->proto, "tcp");
    assert_string_equal(ice->sel_local, "10.0.0.5:50000");
    assert_string_equal(ice->sel_remote, "203.0.113.7:443");
    assert_string_equal(ice->client, "10.0.0.5");
    assert_string_equal(ice->peer, "198.51.100.20");
    assert_string_equal(ice->server, "203.0.113.7:443");
    assert_near(ice->r.first, 1700000001.123456, 1e-6);
    assert_near(ice->r.last, 1700000061.123456, 1e-6);
    assert_int_equal(ice->r.bytes, 1234567);
    assert_string_equal(ice->ufrags, "abcd:wxyz");
    /* links: kept as the analyzer's ids, resolved to row ids */
    assert_int_equal(ice->r.link_seq, 2);
    assert_int_equal(ice->r.link_id, turn->r.id);
    assert_int_equal(turn->r.link_id, ice->r.id);
    assert_int_equal(v6->r.link_seq, 0);
    assert_int_equal(v6->r.link_id, 0);
    /* the TURN columns apply only to TURN sessions */
    assert_string_equal(ice->relayed, "(null)");
    assert_int_equal(ice->r.lifetime, -1);
    assert_int_equal(ice->r.last_error, -1);
    assert_string_equal(ice->transport, "tls");
    assert_int_equal(ice->r.pairs, 2);
    assert_non_null(strstr(ice->explanation, "method 3 over tls/443"));

    assert_string_equal(turn->kind, "turn");
    assert_string_equal(turn->relayed, "203.0.113.7:49152");
    assert_string_equal(turn->mapped, "198.51.100.1:61000");
    assert_string_equal(turn->transport, "tls");
    assert_int_equal(turn->r.lifetime, 600);
    assert_int_equal(turn->r.permissions, 1);
    assert_int_equal(turn->r.channels, 1);
    assert_int_equal(turn->r.peers, 1);
    assert_int_equal(turn->r.errors, 1);
    assert_int_equal(turn->r.last_error, 403);
    assert_int_equal(turn->r.pairs, 0);
    assert_string_equal(turn->ufrags, "(null)");

    /* IPv6 endpoints in the URI form; hostile bytes stored as received */
    assert_string_equal(v6->sel_local, "[2001:db8::1]:3478");
    assert_string_equal(v6->sel_remote, "[2001:db8::2]:50000");
    assert_string_equal(v6->client, "2001:db8::1");
    assert_string_equal(v6->server, "(null)");
    assert_string_equal(v6->submethod, "host");
    assert_string_equal(v6->proto, "udp");
    assert_string_equal(v6->explanation, "host pair \033[2J\xff\xe2\x80\xae ok");
    assert_string_equal(v6->transport, "(null)");

    assert_int_equal(sto_each_session_pair(db, ice->r.id, collect_pair, &pl), 0);
    assert_int_equal(pl.n, 2);
    assert_string_equal(pl.line[0], "udp 10.0.0.5:50001 198.51.100.20:50512");
    assert_int_equal(pl.r[0].requests, 6);
    assert_int_equal(pl.r[0].successes, 0);
    assert_false(pl.r[0].selected);
    assert_near(pl.r[0].rtt_ms, -1, 0);
    assert_string_equal(pl.line[1], "udp 203.0.113.7:49152 198.51.100.20:50512");
    assert_true(pl.r[1].relayed);
    assert_true(pl.r[1].nominated);
    assert_true(pl.r[1].selected);
    assert_int_equal(pl.r[1].successes, 3);
    assert_int_equal(pl.r[1].errors, 1);
    assert_int_equal(pl.r[1].session_id, ice->r.id);
    assert_near(pl.r[1].rtt_ms, 23.456, 1e-9);
    assert_near(pl.r[1].first, 1700000002.123456, 1e-6);

    assert_int_equal(sto_each_verdict(db, NULL, collect_verdict, vl), 0);
    assert_int_equal(vl->n, 2);
    assert_string_equal(vl->line[0], "blocked udp_no_answer confirmed sturn-eu udp 10.0.0.5:50002 "
                                     "203.0.113.7:3478 senso-sturn-northeu.cloudapp.net");
    assert_int_equal(vl->r[0].session_id, turn->r.id);
    assert_int_equal(vl->r[0].flow_seq, 2);
    assert_string_equal(vl->evidence[0], "14 STUN binding requests unanswered over 9.0 s");
    assert_string_equal(vl->line[1], "inspected inspection_issuer suspected cloud tcp "
                                     "10.0.0.5:51000 93.184.216.34:443 -");
    assert_int_equal(vl->r[1].session_id, 0);
    assert_int_equal(vl->r[1].flow_seq, 0);
    assert_string_equal(vl->evidence[1], "issuer CN=Evil\xff\033[2J\nInc");
    assert_near(vl->r[1].first, 1700000001.023456, 1e-6);

    assert_int_equal(sto_each_host(db, NULL, collect_host, hl), 0);
    assert_int_equal(hl->n, 2);
    assert_string_equal(hl->line[0], "10.0.0.5 client 1 [2,3] [\"pc-12.school.lan\",\"pc12\"]");
    assert_int_equal(hl->r[0].verdicts, 2);
    assert_near(hl->r[0].first, 1700000000.623456, 1e-6);
    /* not UTF-8: the text \xff; quote and backslash escaped: valid JSON text */
    assert_string_equal(hl->line[1], "203.0.113.7 server 0 [] "
                                     "[\"senso-sturn-northeu.cloudapp.net\","
                                     "\"evil\\\\xff\\\"na\\\\me\"]");

    assert_int_equal(sto_each_rule(db, NULL, collect_rule, rl), 0);
    assert_int_equal(rl->n, 2);
    assert_string_equal(rl->line[0], "1 0 cloud [*.senso.cloud] [tcp/443] internet any 1 "
                                     "front-end and back-end services -");
    assert_string_equal(rl->line[1], "1 1 relay [senso-sturn-northeu.cloudapp.net "
                                     "senso-sturn-centralusa.cloudapp.net] "
                                     "[udp/49152-65535 tcp/3478] internet ice 0 - -");
    free(l);
    free(vl);
    free(hl);
    free(rl);
    assert_int_equal(sto_close(db, err), 0);
}

/* The names JSON is valid JSON for SQLite's own parser too (views, users' queries). */
static void test_names_json_valid(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    struct dis_host_rec h;
    sqlite3 *raw;
    sqlite3_stmt *st;
    int64_t cap;
    int n = 0;

    assert_non_null(db);
    cap = new_capture(db, NULL);
    memset(&h, 0, sizeof h);
    set6(&h.addr, 9);
    /* every byte value but NUL, commas included (they split names) */
    for (int i = 1; i < 256 && i < (int)sizeof h.names; i++)
        h.names[i - 1] = (char)i;
    assert_int_equal(sto_host_add(db, cap, &h), 0);
    memset(&h.names, 0, sizeof h.names);
    memset(h.names, 0xc3, sizeof h.names - 1); /* 511 lead bytes, none completed */
    assert_int_equal(sto_host_add(db, cap, &h), 0);
    memset(&h.names, 0, sizeof h.names);
    h.methods = 1u << 1;
    assert_int_equal(sto_host_add(db, cap, &h), 0);
    assert_int_equal(sto_close(db, err), 0);

    assert_int_equal(sqlite3_open(fx->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw,
                                        "SELECT json_valid(names), json_array_length(names),"
                                        " methods FROM hosts ORDER BY id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_int_equal(sqlite3_column_int(st, 0), 1);
        if (n == 0)
            assert_int_equal(sqlite3_column_int(st, 1), 2); /* split at the ',' (44) */
        if (n == 1)
            assert_int_equal(sqlite3_column_int(st, 1), 1);
        if (n == 2) {
            assert_int_equal(sqlite3_column_int(st, 1), 0);
            assert_string_equal((const char *)sqlite3_column_text(st, 2), "[1]");
        }
        n++;
    }
    assert_int_equal(n, 3);
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

/* analyze --force deletes the capture and stores it again: no row is left twice; clearing the
 * analysis of one capture keeps the other's. */
static void test_reanalysis_replaces(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    struct hosts *hl = calloc(1, sizeof *hl);
    struct verdicts *vl = calloc(1, sizeof *vl);
    struct rules *rl = calloc(1, sizeof *rl);
    struct sto_filter by_other;
    int64_t cap, other, found = 0;

    assert_non_null(db);
    assert_non_null(hl);
    assert_non_null(vl);
    assert_non_null(rl);
    cap = new_capture(db, SHA_A);
    add_analysis(db, cap);
    other = new_capture(db, NULL);
    add_analysis(db, other);
    by_other = (struct sto_filter){.capture_id = other};
    assert_int_equal(count_sessions(db, NULL), 6);
    assert_int_equal(count_pairs(db, NULL), 4);

    /* what cmd_analyze does for a file it has seen */
    assert_int_equal(sto_capture_find_sha256(db, SHA_A, &found), 1);
    assert_int_equal(sto_capture_delete(db, found), 0);
    cap = new_capture(db, SHA_A);
    add_analysis(db, cap);
    assert_int_equal(sto_commit(db), 0);
    assert_int_equal(count_sessions(db, NULL), 6);
    assert_int_equal(count_pairs(db, NULL), 4);
    assert_int_equal(sto_each_verdict(db, NULL, collect_verdict, vl), 0);
    assert_int_equal(vl->n, 4);
    assert_int_equal(sto_each_host(db, NULL, collect_host, hl), 0);
    assert_int_equal(hl->n, 4);
    assert_int_equal(sto_each_rule(db, NULL, collect_rule, rl), 0);
    assert_int_equal(rl->n, 4);

    /* the analysis of one capture again, without deleting it */
    assert_int_equal(sto_analysis_clear(db, cap), 0);
    assert_int_equal(count_sessions(db, NULL), 3);
    assert_int_equal(count_sessions(db, &by_other), 3);
    assert_int_equal(count_pairs(db, NULL), 2);
    vl->n = hl->n = rl->n = 0;
    assert_int_equal(sto_each_verdict(db, NULL, collect_verdict, vl), 0);
    assert_int_equal(vl->n, 2);
    assert_int_equal(vl->r[0].capture_id, other);
    assert_int_equal(sto_each_host(db, NULL, collect_host, hl), 0);
    assert_int_equal(hl->n, 2);
    assert_int_equal(sto_each_rule(db, NULL, collect_rule, rl), 0);
    assert_int_equal(rl->n, 2);
    add_analysis(db, cap); /* the same ids again are welcome */
    assert_int_equal(count_sessions(db, NULL), 6);
    free(hl);
    free(vl);
    free(rl);
    assert_int_equal(sto_close(db, err), 0);
}

/* A pair of a session that was not stored, and a session id used twice, are refused. */
static void test_refused(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    struct dis_session_rec s;
    struct dis_pair_rec p[2];
    struct dis_verdict_rec v[2];
    struct dis_host_rec h[2];
    int64_t cap, other;

    assert_non_null(db);
    cap = new_capture(db, NULL);
    other = new_capture(db, NULL);
    sess_ice_relay(&s);
    assert_int_equal(sto_session_add(db, cap, &s), 0);
    pairs_ice_relay(p);
    p[0].session_id = 9;
    assert_int_equal(sto_pair_add(db, cap, &p[0]), -1);
    assert_non_null(strstr(sto_errstr(db), "has no session 9"));
    assert_int_equal(sto_pair_add(db, other, &p[1]), -1); /* session 1 is in the other capture */
    assert_int_equal(sto_pair_add(db, cap, &p[1]), 0);    /* the batch goes on */
    assert_int_equal(sto_session_add(db, cap, &s), -1);
    assert_non_null(strstr(sto_errstr(db), "UNIQUE"));
    assert_int_equal(sto_session_add(db, other, &s), 0);

    /* a verdict of a session not stored is kept, without the session */
    verdicts_fixture(v);
    v[0].session_id = 42;
    assert_int_equal(sto_verdict_add(db, cap, &v[0]), 0);
    v[1].code = NULL;
    assert_int_equal(sto_verdict_add(db, cap, &v[1]), -1);
    hosts_fixture(h);
    h[0].addr.family = 0;
    assert_int_equal(sto_host_add(db, cap, &h[0]), -1);
    assert_int_equal(sto_close(db, err), 0);

    db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(db);
    assert_int_equal(sto_session_add(db, cap, &s), -1);
    assert_non_null(strstr(sto_errstr(db), "read-only"));
    assert_int_equal(count_pairs(db, NULL), 1);
    assert_int_equal(sto_close(db, err), 0);
}

static void test_filters(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    struct verdicts *vl = calloc(1, sizeof *vl);
    struct hosts *hl = calloc(1, sizeof *hl);
    struct sto_filter f;
    int64_t cap;

    assert_non_null(db);
    assert_non_null(vl);
    assert_non_null(hl);
    cap = new_capture(db, NULL);
    add_analysis(db, cap);
    assert_int_equal(sto_commit(db), 0);

    f = (struct sto_filter){.host = "2001:DB8:0::1"}; /* canonicalised; the selected pair */
    assert_int_equal(count_sessions(db, &f), 1);
    assert_int_equal(count_pairs(db, &f), 0);
    f.host = "2001:db8::2"; /* the peer */
    assert_int_equal(count_sessions(db, &f), 1);
    f.host = "203.0.113.7"; /* the server, as "ip:port" */
    assert_int_equal(count_sessions(db, &f), 2);
    assert_int_equal(count_pairs(db, &f), 2);
    f.host = "203.0.113.70"; /* not a prefix match */
    assert_int_equal(count_sessions(db, &f), 0);
    f.host = "198.51.100.20";
    assert_int_equal(count_sessions(db, &f), 2);
    f = (struct sto_filter){.since = 1700000003.5}; /* overlapping: sessions 1, 2, 3 */
    assert_int_equal(count_sessions(db, &f), 3);
    f = (struct sto_filter){.since = 1700000061.5};
    assert_int_equal(count_sessions(db, &f), 1); /* the TURN allocation lasts until 62 */
    f = (struct sto_filter){.until = 1700000000.85};
    assert_int_equal(count_sessions(db, &f), 1);
    assert_int_equal(sto_each_verdict(db, &f, collect_verdict, vl), 0);
    assert_int_equal(vl->n, 1);
    assert_non_null(strstr(vl->line[0], " udp_no_answer "));
    f = (struct sto_filter){.host = "93.184.216.34"};
    vl->n = 0;
    assert_int_equal(sto_each_verdict(db, &f, collect_verdict, vl), 0);
    assert_int_equal(vl->n, 1);
    assert_int_equal(sto_each_host(db, &f, collect_host, hl), 0);
    assert_int_equal(hl->n, 0);
    f.host = "203.0.113.7";
    assert_int_equal(sto_each_host(db, &f, collect_host, hl), 0);
    assert_int_equal(hl->n, 1);
    f = (struct sto_filter){.capture_id = cap + 1};
    assert_int_equal(count_sessions(db, &f), 0);
    free(vl);
    free(hl);
    assert_int_equal(sto_close(db, err), 0);
}

/* sto_rules_set stores the profile (the built-in default) and replaces it when called again. */
static void test_rules_set(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    struct dis_profile *prof = NULL;
    struct rules *rl = calloc(1, sizeof *rl);
    int64_t cap;
    size_t n;

    assert_non_null(db);
    assert_non_null(rl);
    assert_int_equal(dis_profile_default(&prof, err), 0);
    n = dis_profile_rule_count(prof);
    assert_true(n >= 2);
    cap = new_capture(db, NULL);
    assert_int_equal(sto_rules_set(db, cap, prof), 0);
    assert_int_equal(sto_rules_set(db, cap, prof), 0);
    assert_int_equal(sto_each_rule(db, NULL, collect_rule, rl), 0);
    assert_int_equal(rl->n, n);
    for (size_t i = 0; i < n; i++) {
        char want[64];

        snprintf(want, sizeof want, "1 %zu %s ", i, dis_profile_rule_at(prof, i)->id);
        assert_true(strncmp(rl->line[i], want, strlen(want)) == 0);
        assert_non_null(strstr(rl->line[i], dis_profile_name(prof)));
    }
    assert_int_equal(sto_rules_set(db, cap + 1, prof), -1);
    assert_non_null(strstr(sto_errstr(db), "no such capture"));
    dis_profile_free(prof);
    free(rl);
    assert_int_equal(sto_close(db, err), 0);
}

/* A database as sensoscope with schema 4 left it: capture 7 with a flow and a TLS row. */
static void make_v4(const char *path)
{
    int n = 0;
    const struct sto__migration *m = sto__migrations(&n);
    sqlite3 *h = NULL;
    char *msg = NULL;

    assert_true(n >= 5);
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    for (int i = 0; i < 4; i++)
        if (sqlite3_exec(h, m[i].sql, NULL, NULL, &msg) != SQLITE_OK)
            fail_msg("v%d schema: %s", i + 1, msg);
    if (sqlite3_exec(h,
                     "PRAGMA application_id = 1397965648; PRAGMA user_version = 4;"
                     "INSERT INTO captures (id, source, kind, sha256, version, analysed_at,"
                     " status) VALUES (7, 'old.pcap', 'file', '" SHA_A "', '0.4.0',"
                     " 1700000000.5, 'complete');"
                     "INSERT INTO flows (capture_id, proto, src, sport, dst, dport, first, last,"
                     " pkts_out, pkts_in, bytes_out, bytes_in, payload_out, payload_in, flow_seq)"
                     " VALUES (7, 'tcp', '10.0.0.5', 51000, '93.184.216.34', 443, 1700000000.0,"
                     " 1700000001.0, 2, 1, 120, 60, 40, 20, 4);"
                     "INSERT INTO tls (capture_id, flow_seq, ts, transport, src, sport, dst,"
                     " dport, sni, proxy_kind) VALUES (7, 4, 1700000000.1, 'tcp', '10.0.0.5',"
                     " 51000, '93.184.216.34', 443, 'example.com', NULL);",
                     NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("v4 rows: %s", msg);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

static int user_version(const char *path)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int v = -1;

    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static int one_flow(void *user, const struct sto_flow_row *r)
{
    (*(int64_t *)user)++;
    assert_string_equal(r->dst, "93.184.216.34");
    return 0;
}

static void test_migrate_from_v4(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db;
    struct sessions *l = calloc(1, sizeof *l);
    int64_t flows = 0, found = 0;
    sqlite3 *raw;

    assert_non_null(l);
    assert_int_equal(sto_schema_version(), 6);
    make_v4(fx->path);
    assert_int_equal(user_version(fx->path), 4);
    assert_null(sto_open(fx->path, STO_READ_ONLY, err));
    assert_non_null(strstr(err, "schema version 4, older"));

    db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);
    assert_int_equal(sto_close(db, err), 0);
    assert_int_equal(user_version(fx->path), 6);

    db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);
    assert_int_equal(sto_each_flow(db, NULL, one_flow, &flows), 0);
    assert_int_equal(flows, 1);
    add_analysis(db, 7);
    assert_int_equal(sto_commit(db), 0);
    assert_int_equal(sto_each_session(db, NULL, collect_session, l), 0);
    assert_int_equal(l->n, 3);
    assert_int_equal(l->s[0].r.capture_id, 7);
    /* the old capture is replaced as any other: its new rows go with it */
    assert_int_equal(sto_capture_find_sha256(db, SHA_A, &found), 1);
    assert_int_equal(sto_capture_delete(db, found), 0);
    assert_int_equal(sto_commit(db), 0);
    assert_int_equal(count_sessions(db, NULL), 0);
    assert_int_equal(count_pairs(db, NULL), 0);
    assert_int_equal(sto_close(db, err), 0);

    /* the views work */
    assert_int_equal(sqlite3_open(fx->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw,
                                  "SELECT * FROM v_sessions; SELECT * FROM v_candidate_pairs;"
                                  " SELECT * FROM v_verdicts; SELECT * FROM v_hosts;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    free(l);
}

/* The views join what a user needs: the capture's source, the link as a row id. */
static void test_views(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    sqlite3 *raw;
    sqlite3_stmt *st;
    int64_t cap;

    assert_non_null(db);
    cap = new_capture(db, NULL);
    add_analysis(db, cap);
    assert_int_equal(sto_close(db, err), 0);

    assert_int_equal(sqlite3_open(fx->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw,
                                        "SELECT source, kind, method, submethod, pairs,"
                                        " (SELECT seq FROM sessions WHERE id = link_id)"
                                        " FROM v_sessions WHERE seq = 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "/captures/class 3b.pcapng");
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "ice");
    assert_int_equal(sqlite3_column_int(st, 2), 3);
    assert_string_equal((const char *)sqlite3_column_text(st, 3), "relay-tls");
    assert_int_equal(sqlite3_column_int(st, 4), 2);
    assert_int_equal(sqlite3_column_int(st, 5), 2);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(raw,
                                        "SELECT session_kind, session_method, source FROM"
                                        " v_verdicts WHERE code = 'udp_no_answer'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "turn");
    assert_int_equal(sqlite3_column_int(st, 1), 3);
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

/* The flow's rule (sto_flow_add's last argument) is stored. */
static int collect_rule_of_flow(void *user, const struct sto_flow_row *r)
{
    snprintf(user, 32, "%s", r->rule ? r->rule : "(null)");
    return 0;
}

static void test_flow_rule(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE], rule[32] = "";
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    struct dis_flow_rec f = tcp_flow();
    struct sto_filter by_seq = {0};
    int64_t cap;

    assert_non_null(db);
    cap = new_capture(db, NULL);
    assert_int_equal(sto_flow_add(db, cap, &f, "cloud"), 0);
    assert_int_equal(sto_each_flow(db, &by_seq, collect_rule_of_flow, rule), 0);
    assert_string_equal(rule, "cloud");
    f.id = 2;
    assert_int_equal(sto_flow_add(db, cap, &f, ""), 0);
    assert_int_equal(sto_each_flow(db, &by_seq, collect_rule_of_flow, rule), 0);
    assert_string_equal(rule, "(null)"); /* the last flow: "" is none */
    assert_int_equal(sto_close(db, err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_json_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reanalysis_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_v4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_rule, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
