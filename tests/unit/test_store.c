/* SPDX-License-Identifier: MIT */
/*
 * test_store.c - store/: schema creation and refusal, migration from schemas 1 and 2, round trip
 * of flows, STUN messages, DNS transactions (with query/response pairing), TLS connections with
 * their certificates and HTTP CONNECT exchanges, batching, filters.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/sto.h"
#include "sto_int.h"

#include "records.h"

struct fixture {
    char dir[64];
    char path[96];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);

    assert_non_null(fx);
    tmpdb_make("test_store", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char p[128];

    snprintf(p, sizeof p, "%s/junk", fx->dir);
    unlink(p);
    tmpdb_remove(fx->dir, fx->path);
    free(fx);
    return 0;
}

/* ---- flow records ---- */

/* The shared UDP flow, with the history and category the flow table would give it. */
static struct dis_flow_rec udp6_flow_full(void)
{
    struct dis_flow_rec f = udp6_flow();

    snprintf(f.history, sizeof f.history, "D");
    snprintf(f.category, sizeof f.category, "Network");
    return f;
}

/* ICMP echo 10.0.0.5 -> 10.0.0.1, answered, no application. */
static struct dis_flow_rec icmp_flow(void)
{
    struct dis_flow_rec f;

    memset(&f, 0, sizeof f);
    f.id = 3;
    f.proto = DIS_IPPROTO_ICMP;
    f.ipver = 4;
    set4(&f.orig, 10, 0, 0, 5);
    set4(&f.resp, 10, 0, 0, 1);
    f.orig_port = 8;
    f.resp_port = 0;
    f.first_ns = T0_NS + 3000000000ull;
    f.last_ns = T0_NS + 3000500000ull;
    f.pkts[0] = 1;
    f.pkts[1] = 1;
    f.bytes[0] = 84;
    f.bytes[1] = 84;
    f.payload[0] = 56;
    f.payload[1] = 56;
    f.ttl_min[0] = f.ttl_max[0] = 64;
    f.ttl_min[1] = f.ttl_max[1] = 63;
    f.rtt_ns = -1;
    f.end = DIS_END_IDLE;
    return f;
}

/* The capture of fill(): a file of 123456 bytes, Ethernet, analysed by version 9.9.9. */
static struct sto_capture file_capture(const char *sha)
{
    struct sto_capture c = file_capture_rec("/captures/class 3b.pcapng", sha, "EN10MB", 1);

    c.file_bytes = 123456;
    c.version = "9.9.9";
    return c;
}

/* Opens a new database with one capture and the three flows; returns the capture id. */
static struct sto_db *fill(const char *path, const char *sha, int64_t *cap_id)
{
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(path, STO_READ_WRITE, err);
    struct sto_capture c = file_capture(sha);
    struct dis_flow_rec f1 = tcp_flow(), f2 = udp6_flow_full(), f3 = icmp_flow();

    assert_non_null(db);
    assert_int_equal(sto_capture_begin(db, &c), 0);
    assert_true(c.id > 0);
    assert_int_equal(sto_flow_add(db, c.id, &f1, NULL), 0);
    assert_int_equal(sto_flow_add(db, c.id, &f2, NULL), 0);
    assert_int_equal(sto_flow_add(db, c.id, &f3, NULL), 0);
    c.first_ns = T0_NS;
    c.last_ns = T0_NS + 3000500000ull;
    c.packets = 24;
    c.bytes = 6752;
    c.warnings = 2;
    c.status = "complete";
    assert_int_equal(sto_capture_update(db, &c), 0);
    assert_int_equal(sto_commit(db), 0);
    *cap_id = c.id;
    return db;
}

/* ---- collecting rows (strings are borrowed: copy them) ---- */

struct flow_copy {
    struct sto_flow_row r;
    char proto[8], src[64], dst[64], state[8], history[32], app[64], category[64];
    char end_reason[32], icmp_from[64], host[64];
    int has_state, has_app, has_icmp_from, has_host, has_rule;
};

struct flows {
    struct flow_copy f[8];
    int n;
};

static void copy(char *dst, size_t len, const char *src, int *present)
{
    if (present)
        *present = src != NULL;
    snprintf(dst, len, "%s", src ? src : "");
}

static int collect_flow(void *user, const struct sto_flow_row *r)
{
    struct flows *fl = user;
    struct flow_copy *c;

    if (fl->n >= 8)
        return 7;
    c = &fl->f[fl->n++];
    c->r = *r;
    copy(c->proto, sizeof c->proto, r->proto, NULL);
    copy(c->src, sizeof c->src, r->src, NULL);
    copy(c->dst, sizeof c->dst, r->dst, NULL);
    copy(c->state, sizeof c->state, r->state, &c->has_state);
    copy(c->history, sizeof c->history, r->history, NULL);
    copy(c->app, sizeof c->app, r->app, &c->has_app);
    copy(c->category, sizeof c->category, r->category, NULL);
    copy(c->end_reason, sizeof c->end_reason, r->end_reason, NULL);
    copy(c->icmp_from, sizeof c->icmp_from, r->icmp_from, &c->has_icmp_from);
    copy(c->host, sizeof c->host, r->host, &c->has_host);
    c->has_rule = r->rule != NULL;
    return 0;
}

static int count_cb(void *user, const struct sto_flow_row *r)
{
    (void)r;
    (*(int *)user)++;
    return 0;
}

static int count_flows(struct sto_db *db, const struct sto_filter *f)
{
    int n = 0;

    assert_int_equal(sto_each_flow(db, f, count_cb, &n), 0);
    return n;
}

/* Reads the 4-byte big-endian integer at @p off of the database header. */
static uint32_t header_u32(const char *path, long off)
{
    unsigned char b[4];
    FILE *f = fopen(path, "rb");

    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_equal(fread(b, 1, 4, f), 4);
    fclose(f);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void header_put_u32(const char *path, long off, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    FILE *f = fopen(path, "r+b");

    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_equal(fwrite(b, 1, 4, f), 4);
    assert_int_equal(fclose(f), 0);
}

/* ---- tests ---- */

static void test_new_database_schema(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);

    assert_non_null(db);
    assert_true(sto_schema_version() >= 1);
    assert_int_equal(sto_close(db, err), 0);
    /* SQLite header: user_version at 60, application_id at 68, WAL = 2 in bytes 18/19. */
    assert_int_equal(header_u32(fx->path, 60), (uint32_t)sto_schema_version());
    assert_int_equal(header_u32(fx->path, 68), 0x53534350u);
    assert_int_equal(header_u32(fx->path, 16) & 0xffffu, 0x0202u);

    /* Reopening an up-to-date database changes nothing. */
    db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);
    assert_int_equal(sto_close(db, err), 0);
    assert_int_equal(header_u32(fx->path, 60), (uint32_t)sto_schema_version());
}

static void test_flow_round_trip(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct flows fl = {.n = 0};
    const struct flow_copy *t, *u, *i;

    assert_int_equal(sto_each_flow(db, NULL, collect_flow, &fl), 0);
    assert_int_equal(fl.n, 3);
    t = &fl.f[0]; /* ordered by first time */
    u = &fl.f[1];
    i = &fl.f[2];

    assert_int_equal(t->r.capture_id, cap);
    assert_string_equal(t->proto, "tcp");
    assert_string_equal(t->src, "10.0.0.5");
    assert_int_equal(t->r.sport, 51000);
    assert_string_equal(t->dst, "93.184.216.34");
    assert_int_equal(t->r.dport, 443);
    assert_near(t->r.first, 1700000000.123456, 1e-6);
    assert_near(t->r.last, 1700000001.623456, 1e-6);
    assert_int_equal(t->r.pkts_out, 10);
    assert_int_equal(t->r.pkts_in, 8);
    assert_int_equal(t->r.bytes_out, 1200);
    assert_int_equal(t->r.bytes_in, 5000);
    assert_int_equal(t->r.payload_out, 517);
    assert_int_equal(t->r.payload_in, 4200);
    assert_true(t->has_state);
    assert_string_equal(t->state, "SF");
    assert_string_equal(t->history, "ShADadFf");
    assert_near(t->r.rtt, 0.012345, 1e-12);
    assert_int_equal(t->r.ttl_out_min, 64);
    assert_int_equal(t->r.ttl_out_max, 64);
    assert_int_equal(t->r.ttl_in_min, 52);
    assert_int_equal(t->r.ttl_in_max, 53);
    assert_string_equal(t->app, "TLS");
    assert_string_equal(t->category, "Web");
    assert_false(t->has_host);
    assert_false(t->has_rule);
    assert_int_equal(t->r.channeldata, 0);
    assert_int_equal(t->r.icmp_errors, 0);
    assert_int_equal(t->r.icmp_type, -1);
    assert_false(t->has_icmp_from);
    assert_string_equal(t->end_reason, "idle");
    assert_int_equal(t->r.vlan, 0);
    assert_int_equal(t->r.flow_seq, 1);
    assert_int_equal(t->r.stun_dropped, 0);
    assert_int_equal(t->r.stun_msgs, 0);

    assert_string_equal(u->proto, "udp");
    assert_string_equal(u->src, "2001:db8::1");
    assert_int_equal(u->r.sport, 5353);
    assert_string_equal(u->dst, "2001:db8::2");
    assert_int_equal(u->r.dport, 3478);
    assert_false(u->has_state); /* not TCP: NULL */
    assert_true(u->r.rtt < 0);
    assert_int_equal(u->r.pkts_in, 0);
    assert_int_equal(u->r.ttl_out_min, 255);
    assert_int_equal(u->r.ttl_in_min, 0); /* NULL: no packet that way */
    assert_int_equal(u->r.icmp_errors, 1);
    assert_int_equal(u->r.icmp_type, 1);
    assert_int_equal(u->r.icmp_code, 4);
    assert_string_equal(u->icmp_from, "2001:db8::2");
    assert_near(u->r.icmp_first, 1700000002.223456, 1e-6);
    assert_string_equal(u->end_reason, "capture_end");
    assert_int_equal(u->r.vlan, 100);
    assert_string_equal(u->app, "STUN");
    assert_int_equal(u->r.flow_seq, 2);
    assert_string_equal(u->host, "senso-sturn-northeu.cloudapp.net");
    assert_int_equal(u->r.channeldata, 12);
    assert_int_equal(u->r.stun_msgs, 40);
    assert_int_equal(u->r.stun_dropped, 3);

    assert_string_equal(i->proto, "icmp");
    assert_string_equal(i->src, "10.0.0.5");
    assert_string_equal(i->dst, "10.0.0.1");
    assert_int_equal(i->r.sport, 8);
    assert_int_equal(i->r.dport, 0);
    assert_false(i->has_state);
    assert_false(i->has_app); /* "" is stored as NULL */
    assert_near(i->r.last - i->r.first, 0.0005, 1e-6);

    assert_int_equal(sto_close(db, err), 0);
}

struct cap_copy {
    struct sto_capture_row r;
    char source[64], sha[80], linktype[16], status[16], version[16], kind[8];
    int has_sha;
    int n;
};

static int collect_capture(void *user, const struct sto_capture_row *r)
{
    struct cap_copy *c = user;

    c->r = *r;
    copy(c->source, sizeof c->source, r->source, NULL);
    copy(c->sha, sizeof c->sha, r->sha256, &c->has_sha);
    copy(c->linktype, sizeof c->linktype, r->linktype, NULL);
    copy(c->status, sizeof c->status, r->status, NULL);
    copy(c->version, sizeof c->version, r->version, NULL);
    copy(c->kind, sizeof c->kind, r->kind, NULL);
    c->n++;
    return 0;
}

static void test_capture_round_trip_and_totals(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct cap_copy c = {.n = 0};
    struct sto_totals t;
    struct sto_capture missing = file_capture(NULL);

    assert_int_equal(sto_each_capture(db, NULL, collect_capture, &c), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r.id, cap);
    assert_string_equal(c.source, "/captures/class 3b.pcapng");
    assert_string_equal(c.kind, "file");
    assert_false(c.has_sha);
    assert_int_equal(c.r.file_bytes, 123456);
    assert_string_equal(c.linktype, "EN10MB");
    assert_int_equal(c.r.linktype_num, 1);
    assert_near(c.r.first, 1700000000.123456, 1e-6);
    assert_near(c.r.last, 1700000003.123956, 1e-6);
    assert_int_equal(c.r.packets, 24);
    assert_int_equal(c.r.bytes, 6752);
    assert_int_equal(c.r.warnings, 2);
    assert_string_equal(c.status, "complete");
    assert_string_equal(c.version, "9.9.9");
    assert_true(c.r.analysed_at > 1.6e9);

    assert_int_equal(sto_totals(db, NULL, &t), 0);
    assert_int_equal(t.captures, 1);
    assert_int_equal(t.packets, 24);
    assert_int_equal(t.flows, 3);
    assert_int_equal(t.tcp_flows, 1);
    assert_int_equal(t.udp_flows, 1);
    assert_int_equal(t.icmp_flows, 1);
    assert_int_equal(t.other_flows, 0);
    assert_near(t.first, 1700000000.123456, 1e-6);

    missing.id = cap + 100;
    assert_int_equal(sto_capture_update(db, &missing), -1);
    assert_non_null(strstr(sto_errstr(db), "no such capture"));
    assert_int_equal(sto_close(db, err), 0);
}

static void test_sha256_find_and_cascade(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    const char *sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    int64_t cap, found = 0;
    struct sto_db *db = fill(fx->path, sha, &cap);
    struct sto_capture other = file_capture(NULL), dup = file_capture(sha);
    struct dis_flow_rec f = tcp_flow();
    struct sto_filter by_cap = {.capture_id = cap};

    assert_int_equal(sto_capture_find_sha256(db, sha, &found), 1);
    assert_int_equal(found, cap);
    assert_int_equal(sto_capture_find_sha256(db, "00", &found), 0);

    /* The same file twice is refused, with the reason; the batch survives. */
    assert_int_equal(sto_capture_begin(db, &dup), -1);
    assert_non_null(strstr(sto_errstr(db), "inserting capture"));
    assert_non_null(strstr(sto_errstr(db), "UNIQUE"));

    assert_int_equal(sto_capture_begin(db, &other), 0);
    assert_int_equal(sto_flow_add(db, other.id, &f, NULL), 0);
    assert_int_equal(count_flows(db, &by_cap), 3);

    assert_int_equal(sto_capture_delete(db, cap), 0);
    assert_int_equal(sto_commit(db), 0);
    assert_int_equal(count_flows(db, &by_cap), 0);
    assert_int_equal(count_flows(db, NULL), 1); /* the other capture's flow stays */
    assert_int_equal(sto_capture_find_sha256(db, sha, &found), 0);
    assert_int_equal(sto_capture_delete(db, cap), -1);
    assert_non_null(strstr(sto_errstr(db), "no such capture"));
    assert_int_equal(sto_close(db, err), 0);
}

/* Per-interval rows of a live capture: counts as given, NULL where a source had none, and
 * gone with their capture. */
static void test_capture_stats(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);
    struct sto_capture c = file_capture(NULL);
    c.kind = "live";
    assert_int_equal(sto_capture_begin(db, &c), 0);
    struct sto_capture_stats a = {.at_ns = 1700000005000000000ULL,
                                  .interval_ns = 5000000000ULL,
                                  .packets = 1234,
                                  .bytes = 567890,
                                  .has_pcap_stats = 1,
                                  .received = 1240,
                                  .dropped_kernel = 6,
                                  .dropped_iface = 0,
                                  .flows_active = 42,
                                  .has_evidence = 1,
                                  .evidence_packets = 77,
                                  .evidence_lost = 3};
    struct sto_capture_stats b = {
        .at_ns = 1700000007500000000ULL, .interval_ns = 2500000000ULL, .packets = 10, .bytes = 600};
    assert_int_equal(sto_capture_stats_add(db, c.id, &a), 0);
    assert_int_equal(sto_capture_stats_add(db, c.id, &b), 0);
    assert_int_equal(sto_commit(db), 0);
    assert_int_equal(sto_close(db, err), 0);

    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(fx->path, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(h,
                           "SELECT at, seconds, packets, bytes, received, dropped_kernel,"
                           " dropped_iface, flows_active, evidence_packets,"
                           " evidence_lost FROM capture_stats ORDER BY at",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_column_double(st, 0) == 1700000005.0);
    assert_true(sqlite3_column_double(st, 1) == 5.0);
    assert_int_equal(sqlite3_column_int64(st, 2), 1234);
    assert_int_equal(sqlite3_column_int64(st, 3), 567890);
    assert_int_equal(sqlite3_column_int64(st, 4), 1240);
    assert_int_equal(sqlite3_column_int64(st, 5), 6);
    assert_int_equal(sqlite3_column_int64(st, 6), 0);
    assert_int_equal(sqlite3_column_int64(st, 7), 42);
    assert_int_equal(sqlite3_column_int64(st, 8), 77);
    assert_int_equal(sqlite3_column_int64(st, 9), 3);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_column_double(st, 1) == 2.5);
    assert_int_equal(sqlite3_column_int64(st, 2), 10);
    for (int i = 4; i <= 6; i++)
        assert_int_equal(sqlite3_column_type(st, i), SQLITE_NULL);
    assert_int_equal(sqlite3_column_type(st, 8), SQLITE_NULL);
    assert_int_equal(sqlite3_column_type(st, 9), SQLITE_NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(h);

    db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);
    assert_int_equal(sto_capture_delete(db, c.id), 0);
    assert_int_equal(sto_close(db, err), 0);
    assert_int_equal(sqlite3_open(fx->path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM capture_stats", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static void test_read_only(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE], missing[128];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct dis_flow_rec f = tcp_flow();

    assert_int_equal(sto_close(db, err), 0);
    db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(db);
    assert_int_equal(count_flows(db, NULL), 3);
    assert_int_equal(sto_flow_add(db, cap, &f, NULL), -1);
    assert_non_null(strstr(sto_errstr(db), "read-only"));
    assert_int_equal(sto_close(db, err), 0);

    snprintf(missing, sizeof missing, "%s/nothing.db", fx->dir);
    assert_null(sto_open(missing, STO_READ_ONLY, err));
    assert_non_null(strstr(err, "no such database: "));
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "run 'sensoscope analyze' first"));
    assert_int_equal(access(missing, F_OK), -1); /* and nothing was created */
}

static void test_newer_schema_refused(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE], want[32];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);

    assert_non_null(db);
    assert_int_equal(sto_close(db, err), 0);
    header_put_u32(fx->path, 60, (uint32_t)sto_schema_version() + 1);
    snprintf(want, sizeof want, "schema version %d", sto_schema_version() + 1);

    assert_null(sto_open(fx->path, STO_READ_ONLY, err));
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "upgrade sensoscope"));
    assert_null(sto_open(fx->path, STO_READ_WRITE, err));
    assert_non_null(strstr(err, want));
    /* ... and it was left alone */
    assert_int_equal(header_u32(fx->path, 60), (uint32_t)sto_schema_version() + 1);
}

static void test_not_ours(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE], junk[128];
    struct sto_db *db;
    FILE *f;

    snprintf(junk, sizeof junk, "%s/junk", fx->dir);
    f = fopen(junk, "wb");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database. ", f);
    assert_int_equal(fclose(f), 0);
    assert_null(sto_open(junk, STO_READ_WRITE, err));
    assert_non_null(strstr(err, "is not a sensoscope database"));
    assert_null(sto_open(junk, STO_READ_ONLY, err));
    assert_non_null(strstr(err, "is not a sensoscope database"));

    /* An SQLite database of another application. */
    db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);
    assert_int_equal(sto_close(db, err), 0);
    header_put_u32(fx->path, 68, 0x12345678u);
    assert_null(sto_open(fx->path, STO_READ_WRITE, err));
    assert_non_null(strstr(err, "another application"));
}

static void test_batch_commits(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err), *rd;
    struct sto_capture c = file_capture(NULL);
    struct dis_flow_rec f = udp6_flow_full();

    assert_non_null(db);
    sto_set_batch(db, 100);
    assert_int_equal(sto_capture_begin(db, &c), 0);
    assert_int_equal(sto_commit(db), 0);
    for (int k = 0; k < 250; k++) {
        f.orig_port = (uint16_t)(10000 + k);
        assert_int_equal(sto_flow_add(db, c.id, &f, NULL), 0);
    }
    /* Another connection sees the committed batches only: 2 x 100 rows, 50 pending. */
    rd = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(rd);
    assert_int_equal(count_flows(rd, NULL), 200);
    assert_int_equal(sto_commit(db), 0);
    assert_int_equal(count_flows(rd, NULL), 250);
    assert_int_equal(sto_close(rd, err), 0);

    /* sto_close commits what is pending. */
    assert_int_equal(sto_flow_add(db, c.id, &f, NULL), 0);
    assert_int_equal(sto_close(db, err), 0);
    rd = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(rd);
    assert_int_equal(count_flows(rd, NULL), 251);
    assert_int_equal(sto_close(rd, err), 0);
}

static void test_locked(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *a = sto_open(fx->path, STO_READ_WRITE, err), *b;
    struct sto_capture c = file_capture(NULL);
    struct dis_flow_rec f = tcp_flow();

    assert_non_null(a);
    assert_int_equal(sto_capture_begin(a, &c), 0);
    assert_int_equal(sto_commit(a), 0);
    b = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(b);
    sto_set_busy_timeout(b, 50);

    assert_int_equal(sto_flow_add(a, c.id, &f, NULL), 0); /* a holds the write lock */
    assert_int_equal(sto_flow_add(b, c.id, &f, NULL), -1);
    assert_non_null(strstr(sto_errstr(b), "inserting flow: database is locked"));
    assert_int_equal(sto_commit(a), 0);
    assert_int_equal(sto_flow_add(b, c.id, &f, NULL), 0); /* nothing was lost for good */
    assert_int_equal(sto_close(b, err), 0);
    assert_int_equal(count_flows(a, NULL), 2);
    assert_int_equal(sto_close(a, err), 0);
}

static void test_filters(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct sto_filter f;
    struct flows fl = {.n = 0};

    memset(&f, 0, sizeof f);
    f.host = "10.0.0.5";
    assert_int_equal(count_flows(db, &f), 2); /* src of tcp and icmp */
    f.host = "93.184.216.34";
    assert_int_equal(count_flows(db, &f), 1); /* either end */
    f.host = "2001:DB8:0::2";                 /* compared in canonical form */
    assert_int_equal(sto_each_flow(db, &f, collect_flow, &fl), 0);
    assert_int_equal(fl.n, 1);
    assert_string_equal(fl.f[0].proto, "udp");
    f.host = "192.0.2.99";
    assert_int_equal(count_flows(db, &f), 0);

    memset(&f, 0, sizeof f);
    f.since = 1700000001.9; /* overlaps: udp and icmp */
    assert_int_equal(count_flows(db, &f), 2);
    f.until = 1700000002.5; /* udp only */
    assert_int_equal(count_flows(db, &f), 1);
    f.since = 0;
    assert_int_equal(count_flows(db, &f), 2); /* tcp and udp */

    memset(&f, 0, sizeof f);
    f.capture_id = cap + 1;
    assert_int_equal(count_flows(db, &f), 0);
    assert_int_equal(sto_close(db, err), 0);
}

/* A full disk, simulated with the file size limit: the failure is reported, the rows of the
 * batch are not half-committed, and nothing later pretends to succeed. */
static void test_disk_full_reported(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(fx->path, STO_READ_WRITE, err);
    struct sto_capture c = file_capture(NULL);
    struct dis_flow_rec f = tcp_flow();
    struct rlimit old, small;
    int failed_at = -1;

    assert_non_null(db);
    assert_int_equal(sto_capture_begin(db, &c), 0);
    assert_int_equal(sto_commit(db), 0);
    sto_set_batch(db, 1000000);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 256 * 1024;
    signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG instead of killing us */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);

    for (int k = 0; k < 20000 && failed_at < 0; k++) {
        f.orig_port = (uint16_t)k;
        if (sto_flow_add(db, c.id, &f, NULL) != 0)
            failed_at = k;
    }
    if (failed_at < 0)
        assert_int_equal(sto_commit(db), -1); /* everything fit in the cache until COMMIT */
    else
        assert_int_not_equal(sto_commit(db), 0);
    assert_true(strstr(sto_errstr(db), "full") || strstr(sto_errstr(db), "I/O error"));
    /* Later writes are refused with the reason, and close reports the loss too. */
    assert_int_equal(sto_flow_add(db, c.id, &f, NULL), -1);
    assert_int_equal(sto_close(db, err), -1);
    assert_true(err[0] != '\0');

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(db);
    assert_int_equal(count_flows(db, NULL), 0); /* the batch was rolled back as a whole */
    assert_int_equal(sto_close(db, err), 0);
}

/* ---- events ---- */

#define S_ALLOC_NS (T0_NS + 2010000000ull)
#define S_CHECK_NS (T0_NS + 2020000000ull)

struct stun_copy {
    struct sto_stun_row r;
    char transport[8], src[64], dst[64], method_name[32], cls[16], txid[40], username[64];
    char software[64], mapped[64], relayed[64], peer[64], mapped_all[128], relayed_all[128];
    char peer_all[128], ice_role[16], fingerprint[8], realm[16], error_reason[16];
    int has_method_name, has_username, has_software, has_mapped, has_relayed, has_peer;
    int has_ice_role, has_fingerprint, has_realm, has_error_reason;
};

struct stuns {
    struct stun_copy s[8];
    int n;
};

static int collect_stun(void *user, const struct sto_stun_row *r)
{
    struct stuns *sl = user;
    struct stun_copy *c;

    if (sl->n >= 8)
        return 7;
    c = &sl->s[sl->n++];
    c->r = *r;
    copy(c->transport, sizeof c->transport, r->transport, NULL);
    copy(c->src, sizeof c->src, r->src, NULL);
    copy(c->dst, sizeof c->dst, r->dst, NULL);
    copy(c->method_name, sizeof c->method_name, r->method_name, &c->has_method_name);
    copy(c->cls, sizeof c->cls, r->cls, NULL);
    copy(c->txid, sizeof c->txid, r->txid, NULL);
    copy(c->username, sizeof c->username, r->username, &c->has_username);
    copy(c->software, sizeof c->software, r->software, &c->has_software);
    copy(c->realm, sizeof c->realm, r->realm, &c->has_realm);
    copy(c->error_reason, sizeof c->error_reason, r->error_reason, &c->has_error_reason);
    copy(c->mapped, sizeof c->mapped, r->mapped, &c->has_mapped);
    copy(c->relayed, sizeof c->relayed, r->relayed, &c->has_relayed);
    copy(c->peer, sizeof c->peer, r->peer, &c->has_peer);
    copy(c->mapped_all, sizeof c->mapped_all, r->mapped_all, NULL);
    copy(c->relayed_all, sizeof c->relayed_all, r->relayed_all, NULL);
    copy(c->peer_all, sizeof c->peer_all, r->peer_all, NULL);
    copy(c->ice_role, sizeof c->ice_role, r->ice_role, &c->has_ice_role);
    copy(c->fingerprint, sizeof c->fingerprint, r->fingerprint, &c->has_fingerprint);
    return 0;
}

static int count_stun(struct sto_db *db, const struct sto_filter *f)
{
    struct stuns sl = {.n = 0};

    assert_int_equal(sto_each_stun(db, f, collect_stun, &sl), 0);
    return sl.n;
}

/* Stores the three STUN messages of the tests: the RFC 5769 Binding success, the Allocate
 * success and the relayed ICE check (inside ChannelData 0x4001). */
static void add_stun(struct sto_db *db, int64_t cap)
{
    struct dis_stun_msg m;
    struct dis_event ev;

    stun_rfc5769(&m);
    ev = stun_ev(&m, T0_NS + 2000000000ull, 1);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    stun_alloc_ok(&m);
    ev = stun_ev(&m, S_ALLOC_NS, 1);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    stun_inner_check(&m);
    ev = stun_ev(&m, S_CHECK_NS, 0);
    ev.inner = true;
    ev.channel = 0x4001;
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
}

static void test_stun_round_trip(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct stuns sl = {.n = 0};
    const struct stun_copy *b, *a, *i;

    add_stun(db, cap);
    assert_int_equal(sto_commit(db), 0);
    assert_int_equal(sto_each_stun(db, NULL, collect_stun, &sl), 0);
    assert_int_equal(sl.n, 3);
    b = &sl.s[0];
    a = &sl.s[1];
    i = &sl.s[2];

    /* RFC 5769 sample response, as parsed */
    assert_int_equal(b->r.capture_id, cap);
    assert_int_equal(b->r.flow_seq, 2);
    assert_near(b->r.ts, 1700000002.123456, 1e-6);
    assert_string_equal(b->transport, "udp");
    assert_string_equal(b->src, "2001:db8::2");
    assert_int_equal(b->r.sport, 3478);
    assert_string_equal(b->dst, "2001:db8::1");
    assert_int_equal(b->r.dport, 5353);
    assert_int_equal(b->r.method, 1);
    assert_string_equal(b->method_name, "binding");
    assert_string_equal(b->cls, "success");
    assert_string_equal(b->txid, "b7e7a701bc34d686fa87dfae");
    assert_false(b->has_username);
    assert_string_equal(b->software, "test vector"); /* padded with a space on the wire */
    assert_int_equal(b->r.error_code, -1);
    assert_false(b->has_error_reason);
    assert_string_equal(b->mapped, "192.0.2.1:32853");
    assert_string_equal(b->mapped_all, "192.0.2.1:32853");
    assert_false(b->has_relayed);
    assert_false(b->has_peer);
    assert_int_equal(b->r.priority, -1);
    assert_int_equal(b->r.use_candidate, 0);
    assert_false(b->has_ice_role);
    assert_int_equal(b->r.lifetime, -1);
    assert_int_equal(b->r.channel_number, -1);
    assert_int_equal(b->r.requested_transport, -1);
    assert_string_equal(b->fingerprint, "ok");
    assert_int_equal(b->r.integrity, 1);
    assert_int_equal(b->r.classic, 0);
    assert_int_equal(b->r.inner, 0);
    assert_int_equal(b->r.inner_channel, 0);
    assert_int_equal(b->r.anomalies, 0);

    /* TURN Allocate success: every relayed address, IPv6 in brackets; MAPPED = XOR-MAPPED
     * is listed once; the software string is stored as received. */
    assert_string_equal(a->method_name, "allocate");
    assert_string_equal(a->cls, "success");
    assert_string_equal(a->txid, "a1a2a3a4a5a6a7a8a9aaabac");
    assert_string_equal(a->relayed, "203.0.113.7:49152");
    assert_string_equal(a->relayed_all, "203.0.113.7:49152 [2001:db8::7]:49153");
    assert_string_equal(a->mapped, "198.51.100.20:50512");
    assert_string_equal(a->mapped_all, "198.51.100.20:50512");
    assert_int_equal(a->r.lifetime, 600);
    assert_string_equal(a->software, "coturn\033[2J");
    assert_string_equal(a->fingerprint, "bad");
    assert_int_equal(a->r.anomalies, DIS_STUN_AN_BAD_FINGERPRINT);
    assert_int_equal(a->r.integrity, 1);

    /* the relayed ICE check */
    assert_string_equal(i->src, "2001:db8::1");
    assert_string_equal(i->method_name, "binding");
    assert_string_equal(i->cls, "request");
    assert_string_equal(i->txid, "00000000000000000000000c");
    assert_string_equal(i->username, "ab:cd");
    assert_int_equal(i->r.priority, 1853817087);
    assert_int_equal(i->r.use_candidate, 1);
    assert_string_equal(i->ice_role, "controlling");
    assert_string_equal(i->peer, "192.0.2.50:5000");
    assert_string_equal(i->peer_all, "192.0.2.50:5000 [2001:db8::50]:5001");
    assert_false(i->has_mapped);
    assert_int_equal(i->r.integrity, 0);
    assert_int_equal(i->r.inner, 1);
    assert_int_equal(i->r.inner_channel, 0x4001);

    assert_int_equal(sto_close(db, err), 0);
}

struct stun_counts {
    char lines[8][64];
    int n;
};

static int collect_stun_count(void *user, const struct sto_stun_count_row *r)
{
    struct stun_counts *c = user;

    if (c->n >= 8)
        return 7;
    snprintf(c->lines[c->n++], sizeof c->lines[0], "%d %s %s %lld %lld", r->method,
             r->method_name ? r->method_name : "-", r->cls, (long long)r->messages,
             (long long)r->inner);
    return 0;
}

static int collect_stun_addr(void *user, const struct sto_stun_addr_row *r)
{
    struct stun_counts *c = user;

    if (c->n >= 8)
        return 7;
    snprintf(c->lines[c->n++], sizeof c->lines[0], "%s %s %lld %.3f", r->kind, r->addr,
             (long long)r->messages, r->first - 1700000000.0);
    return 0;
}

static void test_stun_summaries_and_filters(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct stun_counts c = {.n = 0};
    struct sto_filter f;
    struct dis_stun_msg m;
    struct dis_event ev;

    add_stun(db, cap);
    /* a method without a name, and a second message with the same relayed address */
    stun_alloc_ok(&m);
    m.method = 0x123;
    m.n_xor_mapped = m.n_mapped = 0;
    ev = stun_ev(&m, S_CHECK_NS + 1000000ull, 1);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);

    assert_int_equal(sto_each_stun_count(db, NULL, collect_stun_count, &c), 0);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.lines[0], "1 binding request 1 1");
    assert_string_equal(c.lines[1], "1 binding success 1 0");
    assert_string_equal(c.lines[2], "3 allocate success 1 0");
    assert_string_equal(c.lines[3], "291 - success 1 0");

    c.n = 0;
    assert_int_equal(sto_each_stun_addr(db, NULL, collect_stun_addr, &c), 0);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.lines[0], "relayed 203.0.113.7:49152 2 2.133");
    assert_string_equal(c.lines[1], "relayed [2001:db8::7]:49153 2 2.133");
    assert_string_equal(c.lines[2], "mapped 192.0.2.1:32853 1 2.123");
    assert_string_equal(c.lines[3], "mapped 198.51.100.20:50512 1 2.133");

    memset(&f, 0, sizeof f);
    f.host = "2001:DB8::2"; /* canonicalised */
    assert_int_equal(count_stun(db, &f), 4);
    f.host = "10.0.0.5";
    assert_int_equal(count_stun(db, &f), 0);
    memset(&f, 0, sizeof f);
    f.since = 1700000002.14; /* ts inside the window: the check and the last one */
    assert_int_equal(count_stun(db, &f), 2);
    f.until = 1700000002.144;
    assert_int_equal(count_stun(db, &f), 1);
    memset(&f, 0, sizeof f);
    f.capture_id = cap + 1;
    assert_int_equal(count_stun(db, &f), 0);

    /* deleting the capture deletes its messages */
    assert_int_equal(sto_capture_delete(db, cap), 0);
    assert_int_equal(count_stun(db, NULL), 0);
    assert_int_equal(sto_close(db, err), 0);
}

struct dns_copy {
    struct sto_dns_row r;
    char transport[8], client[64], server[64], qname[64], qtype[16], rcode[16];
    int has_rcode;
    char answers[4][160];
    int n_answers;
};

struct dnss {
    struct sto_db *db;
    struct dns_copy d[8];
    int n;
};

static int collect_answer(void *user, const struct sto_dns_answer_row *r)
{
    struct dns_copy *c = user;

    if (c->n_answers >= 4)
        return 7;
    assert_int_equal(r->pos, c->n_answers);
    snprintf(c->answers[c->n_answers++], sizeof c->answers[0], "%s %s %lld %s", r->name, r->type,
             (long long)r->ttl, r->data ? r->data : "(null)");
    return 0;
}

static int collect_dns(void *user, const struct sto_dns_row *r)
{
    struct dnss *dl = user;
    struct dns_copy *c;

    if (dl->n >= 8)
        return 7;
    c = &dl->d[dl->n++];
    c->r = *r;
    copy(c->transport, sizeof c->transport, r->transport, NULL);
    copy(c->client, sizeof c->client, r->client, NULL);
    copy(c->server, sizeof c->server, r->server, NULL);
    copy(c->qname, sizeof c->qname, r->qname, NULL);
    copy(c->qtype, sizeof c->qtype, r->qtype, NULL);
    copy(c->rcode, sizeof c->rcode, r->rcode, &c->has_rcode);
    /* a nested walk of the answers, as the report does */
    c->n_answers = 0;
    return sto_each_dns_answer(dl->db, r->id, collect_answer, c) < 0 ? -1 : 0;
}

static int collect_dns_count(void *user, const struct sto_dns_count_row *r)
{
    struct stun_counts *c = user;

    if (c->n >= 8)
        return 7;
    snprintf(c->lines[c->n++], sizeof c->lines[0], "%s %s %s %lld",
             r->rcode ? r->rcode : "(unanswered)", r->qname ? r->qname : "-",
             r->qtype ? r->qtype : "-", (long long)r->transactions);
    return 0;
}

static void test_dns_pairing(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct dis_dns_msg *m = malloc(sizeof *m);
    struct dis_event ev;
    struct dnss dl = {.db = db, .n = 0};
    struct stun_counts c = {.n = 0};
    struct sto_filter f;
    const struct dns_copy *a, *h, *nx1, *nx2;
    int64_t old_id;

    assert_non_null(m);
    sto_set_batch(db, 1); /* every event its own transaction: pairing across commits */

    dns_parse(dns_q_a, sizeof dns_q_a, m);
    ev = dns_ev(m, T0_NS + 100000000ull);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    dns_parse(dns_q_nx, sizeof dns_q_nx, m); /* sent twice, answered once */
    ev = dns_ev(m, T0_NS + 101000000ull);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    ev = dns_ev(m, T0_NS + 102000000ull);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    dns_parse(dns_r_a, sizeof dns_r_a, m);
    ev = dns_ev(m, T0_NS + 105000000ull);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    dns_parse(dns_r_nx, sizeof dns_r_nx, m);
    ev = dns_ev(m, T0_NS + 106000000ull);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    dns_parse(dns_r_https, sizeof dns_r_https, m); /* its query was not captured */
    ev = dns_ev(m, T0_NS + 107000000ull);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    free(m);

    assert_int_equal(sto_each_dns(db, NULL, collect_dns, &dl), 0);
    assert_int_equal(dl.n, 4);
    a = &dl.d[0];
    nx1 = &dl.d[1];
    nx2 = &dl.d[2];
    h = &dl.d[3];

    assert_int_equal(a->r.capture_id, cap);
    assert_int_equal(a->r.flow_seq, 5);
    assert_string_equal(a->transport, "udp");
    assert_string_equal(a->client, "10.0.0.5");
    assert_int_equal(a->r.client_port, 40001);
    assert_string_equal(a->server, "10.0.0.1");
    assert_int_equal(a->r.server_port, 53);
    assert_int_equal(a->r.txid, 0x1234);
    assert_string_equal(a->qname, "example.com");
    assert_string_equal(a->qtype, "A");
    assert_string_equal(a->rcode, "NOERROR");
    assert_near(a->r.ts, 1700000000.223456, 1e-6);
    assert_near(a->r.query_ts, 1700000000.223456, 1e-6);
    assert_near(a->r.response_ts, 1700000000.228456, 1e-6);
    assert_int_equal(a->r.answers, 1);
    assert_int_equal(a->n_answers, 1);
    assert_string_equal(a->answers[0], "example.com A 300 192.0.2.33");

    /* the retransmitted query: the response completes the newest one */
    assert_string_equal(nx1->qname, "blocked.test");
    assert_string_equal(nx1->qtype, "AAAA");
    assert_false(nx1->has_rcode);
    assert_true(nx1->r.response_ts == 0);
    assert_int_equal(nx1->n_answers, 0);
    assert_string_equal(nx2->rcode, "NXDOMAIN");
    assert_near(nx2->r.query_ts, 1700000000.225456, 1e-6);
    assert_near(nx2->r.response_ts, 1700000000.229456, 1e-6);
    assert_int_equal(nx2->r.answers, 0);

    /* a response alone: its own time, the client is its receiver */
    assert_near(h->r.ts, 1700000000.230456, 1e-6);
    assert_true(h->r.query_ts == 0);
    assert_near(h->r.response_ts, 1700000000.230456, 1e-6);
    assert_string_equal(h->client, "10.0.0.5");
    assert_int_equal(h->r.client_port, 40001);
    assert_string_equal(h->server, "10.0.0.1");
    assert_int_equal(h->r.txid, 0x4321);
    assert_string_equal(h->qtype, "HTTPS");
    assert_string_equal(h->answers[0], "example.com HTTPS 60 1 . alpn=h2,h3 ipv4hint=192.0.2.33");

    assert_int_equal(sto_each_dns_rcode(db, NULL, collect_dns_count, &c), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.lines[0], "NOERROR - - 2");
    assert_string_equal(c.lines[1], "NXDOMAIN - - 1");
    assert_string_equal(c.lines[2], "(unanswered) - - 1"); /* last among equals */
    c.n = 0;
    assert_int_equal(sto_each_dns_failure(db, NULL, collect_dns_count, &c), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.lines[0], "NXDOMAIN blocked.test AAAA 1");

    memset(&f, 0, sizeof f);
    f.host = "10.0.0.1";
    dl.n = 0;
    assert_int_equal(sto_each_dns(db, &f, collect_dns, &dl), 0);
    assert_int_equal(dl.n, 4);
    f.host = "2001:db8::1";
    dl.n = 0;
    assert_int_equal(sto_each_dns(db, &f, collect_dns, &dl), 0);
    assert_int_equal(dl.n, 0);

    /* deleting the capture deletes the transactions and their answers */
    old_id = a->r.id;
    assert_int_equal(sto_capture_delete(db, cap), 0);
    dl.n = 0;
    assert_int_equal(sto_each_dns(db, NULL, collect_dns, &dl), 0);
    assert_int_equal(dl.n, 0);
    dl.d[0].n_answers = 0;
    assert_int_equal(sto_each_dns_answer(db, old_id, collect_answer, &dl.d[0]), 0);
    assert_int_equal(dl.d[0].n_answers, 0);
    assert_int_equal(sto_close(db, err), 0);
}

static void test_event_refused(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct dis_event ev;

    memset(&ev, 0, sizeof ev);
    ev.kind = (enum dis_event_kind)99;
    assert_int_equal(sto_event_add(db, cap, &ev), -1);
    assert_non_null(strstr(sto_errstr(db), "unknown event kind 99"));
    ev.kind = DIS_EV_DNS;
    assert_int_equal(sto_event_add(db, cap, &ev), -1);
    assert_non_null(strstr(sto_errstr(db), "without a message"));
    ev.kind = DIS_EV_TLS;
    assert_int_equal(sto_event_add(db, cap, &ev), -1);
    assert_non_null(strstr(sto_errstr(db), "TLS event without a summary"));
    ev.kind = DIS_EV_HTTP_CONNECT;
    assert_int_equal(sto_event_add(db, cap, &ev), -1);
    assert_non_null(strstr(sto_errstr(db), "HTTP CONNECT event without a request"));
    assert_int_equal(sto_close(db, err), 0);

    db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(db);
    ev.kind = DIS_EV_STUN;
    assert_int_equal(sto_event_add(db, cap, &ev), -1);
    assert_non_null(strstr(sto_errstr(db), "read-only"));
    assert_int_equal(sto_close(db, err), 0);
}

/* ---- TLS and HTTP CONNECT ---- */

#define S(x) ((x) ? (x) : "-")

/* TLS rows as one line of their text columns and flags (times are checked apart). */
struct tlss {
    struct sto_db *db; /* to read the certificates of each row, nested */
    struct sto_tls_row r[8];
    char line[8][1024];
    char certs[8][2][512];
    int n_certs[8];
    int n;
};

static int collect_cert(void *user, const struct sto_tls_cert_row *c)
{
    struct tlss *t = user;
    int i = t->n - 1, k = t->n_certs[i];

    if (k >= 2)
        return 7;
    snprintf(t->certs[i][k], sizeof t->certs[i][k], "%d %s|%s|%s|%.0f|%.0f|%s|%lld|%d|%d", c->pos,
             S(c->subject), S(c->issuer), S(c->sha256), c->not_before, c->not_after, S(c->sans),
             (long long)c->san_total, c->self_issued, c->readable);
    t->n_certs[i]++;
    return 0;
}

static int collect_tls(void *user, const struct sto_tls_row *r)
{
    struct tlss *t = user;

    if (t->n >= 8)
        return 7;
    t->r[t->n] = *r;
    snprintf(t->line[t->n], sizeof t->line[0],
             "%s %s:%d>%s:%d flow=%lld sni=%s v=%s,%s,%s cipher=%s alpn=%s,%s ja3=%s,%s "
             "ja3s=%s,%s ja4=%s hf=%u hellos=%d hrr=%d est=%d alerts=%lld alert=%s,%d,%d,%d,%d "
             "certs=%d,%lld cc=%d chain=%s,%d,%d,%s tunnel=%d,%s,%s,%d,%d,%d flags=%u mid=%d "
             "leaf=%s|%s|%s",
             S(r->transport), S(r->src), r->sport, S(r->dst), r->dport, (long long)r->flow_seq,
             S(r->sni), S(r->client_version), S(r->client_max_version), S(r->version), S(r->cipher),
             S(r->alpn), S(r->server_alpn), S(r->ja3), S(r->ja3_md5), S(r->ja3s), S(r->ja3s_md5),
             S(r->ja4), r->hello_flags, r->client_hellos, r->hrr, r->established,
             (long long)r->alerts, S(r->alert_from), r->alert_level, r->alert_desc,
             r->alert_before_established, r->alert_encrypted, r->certs_total, (long long)r->certs,
             r->client_cert, S(r->chain), r->verify_error, r->verify_depth, S(r->verify_reason),
             r->in_tunnel, S(r->proxy_kind), S(r->proxy_target), r->proxy_port, r->proxy_status,
             r->proxy_first_status, r->flags, r->midstream, S(r->cert_subject), S(r->cert_issuer),
             S(r->cert_sha256));
    t->n_certs[t->n] = 0;
    t->n++;
    if (t->db)
        return sto_each_tls_cert(t->db, r->id, collect_cert, t) < 0 ? 9 : 0;
    return 0;
}

struct lines {
    char l[8][256];
    int n;
};

static int collect_connect(void *user, const struct sto_http_connect_row *r)
{
    struct lines *c = user;

    if (c->n >= 8)
        return 7;
    snprintf(c->l[c->n++], sizeof c->l[0], "%.3f %lld %s %s:%d>%s:%d %s:%d %d %s|%s|%d|%s|%s",
             r->ts - 1700000000.0, (long long)r->flow_seq, S(r->transport), S(r->client),
             r->client_port, S(r->proxy), r->proxy_port, S(r->target), r->target_port, r->status,
             S(r->reason), S(r->proxy_authenticate), r->proxy_authorization,
             S(r->authorization_scheme), S(r->user_agent));
    return 0;
}

static int collect_tls_count(void *user, const struct sto_tls_count_row *r)
{
    struct lines *c = user;

    if (c->n >= 8)
        return 7;
    snprintf(c->l[c->n++], sizeof c->l[0], "%s %lld %lld", S(r->name), (long long)r->connections,
             (long long)r->established);
    return 0;
}

static int collect_tls_leaf(void *user, const struct sto_tls_leaf_row *r)
{
    struct lines *c = user;

    if (c->n >= 8)
        return 7;
    snprintf(c->l[c->n++], sizeof c->l[0], "%s %s|%s|%.8s %s %d %lld", S(r->chain), S(r->subject),
             S(r->issuer), S(r->sha256), S(r->verify_reason), r->self_issued,
             (long long)r->connections);
    return 0;
}

static int collect_tls_alert(void *user, const struct sto_tls_alert_row *r)
{
    struct lines *c = user;

    if (c->n >= 8)
        return 7;
    snprintf(c->l[c->n++], sizeof c->l[0], "%s %d %d %d %d %s %lld", S(r->from), r->level, r->desc,
             r->encrypted, r->before_established, S(r->sni), (long long)r->connections);
    return 0;
}

static void test_tls_round_trip(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct tlss *t = calloc(1, sizeof *t);
    struct lines c = {.n = 0};
    struct sto_tls_totals tot;

    assert_non_null(t);
    t->db = db;
    add_tls(db, cap);
    assert_int_equal(sto_commit(db), 0);
    assert_int_equal(sto_each_tls(db, NULL, collect_tls, t), 0);
    assert_int_equal(t->n, 3);

    /* TLS 1.2, chain refused by the client: leaf and an unreadable certificate kept */
    assert_string_equal(
        t->line[0],
        "tcp 10.0.0.5:51000>93.184.216.34:443 flow=1 sni=example.com v=1.2,1.2,1.2 "
        "cipher=0xc02f alpn=h2 http/1.1,h2 ja3=" JA3_12 "," JA3_12_MD5 " ja3s=" JA3S_12
        "," JA3S_12_MD5 " ja4=" JA4_12 " hf=0 hellos=1 hrr=0 est=0 alerts=2 alert=client,2,48,1,0 "
        "certs=3,2 cc=0 chain=invalid,20,1,unable to get local issuer certificate "
        "tunnel=0,-,-,0,-1,-1 flags=0 mid=0 leaf=CN=example.com|CN=Test CA,O=Example|" LEAF_SHA);
    assert_int_equal(t->r[0].capture_id, cap);
    assert_near(t->r[0].ts, 1700000000.143456, 1e-6);
    assert_near(t->r[0].server_hello_ts, 1700000000.168456, 1e-6);
    assert_near(t->r[0].alert_ts, 1700000000.173456, 1e-6);
    assert_true(t->r[0].established_ts == 0);
    assert_true(t->r[0].client_appdata_ts == 0);
    assert_int_equal(t->n_certs[0], 2);
    assert_string_equal(t->certs[0][0], "0 CN=example.com|CN=Test CA,O=Example|" LEAF_SHA
                                        "|1672531200|1704067200|example.com *.example.com "
                                        "192.0.2.1|3|0|1");
    assert_string_equal(t->certs[0][1], "1 -|-|" BAD_SHA "|0|0|-|0|0|0");

    /* TLS 1.3 through the proxy: no certificate, not verified */
    assert_string_equal(t->line[1],
                        "tcp 10.0.0.5:51001>10.0.0.1:3128 flow=6 sni=example.org v=1.2,1.3,1.3 "
                        "cipher=0x1301 alpn=-,- ja3=" JA3_13 "," JA3_13_MD5 " ja3s=" JA3S_13
                        "," JA3S_13_MD5 " ja4=" JA4_13 " hf=4 hellos=2 hrr=1 est=1 alerts=0 "
                        "alert=-,-1,-1,-1,-1 certs=0,0 cc=0 chain=-,-1,-1,- "
                        "tunnel=1,http,example.org,443,200,407 flags=32 mid=1 leaf=-|-|-");
    assert_near(t->r[1].established_ts, 1700000000.683456, 1e-6);
    assert_near(t->r[1].client_appdata_ts, 1700000000.683456, 1e-6);
    assert_near(t->r[1].server_appdata_ts, 1700000000.654456, 1e-6);
    assert_true(t->r[1].alert_ts == 0);
    assert_int_equal(t->n_certs[1], 0);

    /* TLS 1.2 verified */
    assert_non_null(strstr(t->line[2], " est=1 alerts=0 alert=-,-1,-1,-1,-1 certs=2,1 cc=0 "
                                       "chain=valid,0,0,ok tunnel=0,-,-,0,-1,-1 "));
    assert_int_equal(t->n_certs[2], 1);
    assert_string_equal(t->certs[2][0], t->certs[0][0]);

    assert_int_equal(sto_each_http_connect(db, NULL, collect_connect, &c), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.l[0], "0.573 6 tcp 10.0.0.5:51001>10.0.0.1:3128 example.org:443 407 "
                                "Proxy Authentication Required|Basic|0|-|Senso/4.2");
    assert_string_equal(c.l[1], "0.603 6 tcp 10.0.0.5:51001>10.0.0.1:3128 example.org:443 200 "
                                "Connection established|-|1|Basic|Senso/4.2");

    /* summaries */
    assert_int_equal(sto_tls_totals(db, NULL, &tot), 0);
    assert_int_equal(tot.connections, 3);
    assert_int_equal(tot.established, 2);
    assert_int_equal(tot.hrr, 1);
    assert_int_equal(tot.tunnelled, 1);
    assert_int_equal(tot.fatal_alerts, 1);
    assert_int_equal(tot.with_certs, 2);
    assert_int_equal(tot.valid, 1);
    assert_int_equal(tot.invalid, 1);
    assert_int_equal(tot.errors, 0);
    c.n = 0;
    assert_int_equal(sto_each_tls_version(db, NULL, collect_tls_count, &c), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.l[0], "1.2 2 1");
    assert_string_equal(c.l[1], "1.3 1 1");
    c.n = 0;
    assert_int_equal(sto_each_tls_sni(db, NULL, collect_tls_count, &c), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.l[0], "example.com 2 1");
    assert_string_equal(c.l[1], "example.org 1 1");
    c.n = 0;
    assert_int_equal(sto_each_tls_leaf(db, NULL, collect_tls_leaf, &c), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.l[0], "invalid CN=example.com|CN=Test CA,O=Example|0f1e2d3c unable to "
                                "get local issuer certificate 0 1");
    assert_string_equal(c.l[1], "valid CN=example.com|CN=Test CA,O=Example|0f1e2d3c ok 0 1");
    c.n = 0;
    assert_int_equal(sto_each_tls_alert(db, NULL, collect_tls_alert, &c), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.l[0], "client 2 48 0 1 example.com 1");

    /* filters: the proxy's address selects the tunnelled connection and the exchanges */
    {
        struct sto_filter f = {.host = "10.0.0.1"};
        struct tlss *u = calloc(1, sizeof *u);

        assert_non_null(u);
        assert_int_equal(sto_each_tls(db, &f, collect_tls, u), 0);
        assert_int_equal(u->n, 1);
        assert_int_equal(u->r[0].flow_seq, 6);
        c.n = 0;
        assert_int_equal(sto_each_http_connect(db, &f, collect_connect, &c), 0);
        assert_int_equal(c.n, 2);
        f.host = "93.184.216.34";
        u->n = 0;
        assert_int_equal(sto_each_tls(db, &f, collect_tls, u), 0);
        assert_int_equal(u->n, 2);
        c.n = 0;
        assert_int_equal(sto_each_http_connect(db, &f, collect_connect, &c), 0);
        assert_int_equal(c.n, 0);
        f.host = NULL;
        f.since = 1700000000.4;
        f.until = 1700000000.7;
        u->n = 0;
        assert_int_equal(sto_each_tls(db, &f, collect_tls, u), 0);
        assert_int_equal(u->n, 1);
        assert_int_equal(u->r[0].hrr, 1);
        free(u);
    }

    /* deleting the capture deletes connections, certificates and exchanges */
    {
        int64_t old_id = t->r[0].id;

        assert_int_equal(sto_capture_delete(db, cap), 0);
        t->n = 0;
        assert_int_equal(sto_each_tls(db, NULL, collect_tls, t), 0);
        assert_int_equal(t->n, 0);
        t->n = 1;
        t->n_certs[0] = 0;
        assert_int_equal(sto_each_tls_cert(db, old_id, collect_cert, t), 0);
        assert_int_equal(t->n_certs[0], 0);
        c.n = 0;
        assert_int_equal(sto_each_http_connect(db, NULL, collect_connect, &c), 0);
        assert_int_equal(c.n, 0);
    }
    free(t);
    assert_int_equal(sto_close(db, err), 0);
}

/* Versions as stored: names, the drafts of TLS 1.3, SSL 3.0, unknown values as hex; a
 * connection without ClientHello or ServerHello; a verification that could not run. */
static void test_tls_versions_and_gaps(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    int64_t cap;
    struct sto_db *db = fill(fx->path, NULL, &cap);
    struct tls_fixture *x = malloc(sizeof *x);
    struct tlss *t = calloc(1, sizeof *t);
    struct dis_event ev;
    static const uint16_t versions[] = {0x7f12, DIS_TLS_V_SSL3, 0x7e01, DIS_TLS_V_TLS10};
    static const char *const names[] = {"1.3-draft18", "ssl3", "0x7e01", "1.0"};

    assert_non_null(x);
    assert_non_null(t);
    for (size_t i = 0; i < 4; i++) {
        tls_fixture_13(x);
        x->s.client_hello_ns += i * 1000000ull;
        x->s.selected_version = versions[i];
        x->s.client_max_version = versions[i];
        ev = tls_ev(&x->s, 1);
        assert_int_equal(sto_event_add(db, cap, &ev), 0);
    }
    /* a stream picked up after the ClientHello: only the ServerHello and an error verdict */
    tls_fixture_12(x);
    x->s.has_client_hello = false;
    x->s.client_hellos = 0;
    x->s.sni = "";
    x->s.n_alpn = 0;
    x->s.ja3 = "";
    x->s.ja3_md5[0] = x->s.ja4[0] = '\0';
    x->s.client_hello_ns = T0_NS + 100000000ull;
    x->s.chain = DIS_TLS_CHAIN_ERROR;
    snprintf(x->s.verify.errstr, sizeof x->s.verify.errstr, "unparseable certificate");
    x->s.alert.encrypted = true;
    x->s.alert.level = x->s.alert.desc = 0;
    x->s.alert.from_client = false;
    ev = tls_ev(&x->s, 0);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    /* and one without a ServerHello */
    tls_fixture_12(x);
    x->s.has_server_hello = false;
    x->s.ja3s = "";
    x->s.ja3s_md5[0] = '\0';
    x->s.server_alpn = "";
    x->s.n_certs = 0;
    x->s.certs_total = 0;
    x->s.chain = DIS_TLS_CHAIN_UNKNOWN;
    x->s.alert.seen = false;
    x->s.client_hello_ns = T0_NS + 200000000ull;
    ev = tls_ev(&x->s, 0);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    free(x);

    assert_int_equal(sto_each_tls(db, NULL, collect_tls, t), 0);
    assert_int_equal(t->n, 6);
    assert_non_null(strstr(t->line[0], " sni=- v=-,-,1.2 cipher=0xc02f alpn=-,h2 ja3=-,- "));
    assert_non_null(strstr(t->line[0], " alert=server,-1,-1,1,1 "));
    assert_non_null(strstr(t->line[0], " chain=error,-1,-1,unparseable certificate "));
    assert_non_null(strstr(t->line[1], " v=1.2,1.2,- cipher=- alpn=h2 http/1.1,- "));
    assert_non_null(strstr(t->line[1], " ja3s=-,- "));
    assert_non_null(strstr(t->line[1], " certs=0,0 cc=0 chain=-,-1,-1,- "));
    for (size_t i = 0; i < 4; i++) {
        char want[64];

        snprintf(want, sizeof want, " v=1.2,%s,%s ", names[i], names[i]);
        if (!strstr(t->line[2 + i], want))
            fail_msg("%s not in %s", want, t->line[2 + i]);
    }
    free(t);
    assert_int_equal(sto_close(db, err), 0);
}

/* A database as sensoscope with schema 1 left it: the v1 migration, one capture, one flow. */
static void make_v1(const char *path)
{
    int n = 0;
    const struct sto__migration *m = sto__migrations(&n);
    sqlite3 *h = NULL;
    char *msg = NULL;

    assert_true(n >= 2);
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    if (sqlite3_exec(h, m[0].sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("v1 schema: %s", msg);
    if (sqlite3_exec(h,
                     "PRAGMA application_id = 1397965648; PRAGMA user_version = 1;"
                     "INSERT INTO captures (id, source, kind, version, analysed_at, status)"
                     " VALUES (7, 'old.pcap', 'file', '0.1.0', 1700000000.5, 'complete');"
                     "INSERT INTO flows (capture_id, proto, src, sport, dst, dport, first, last,"
                     " pkts_out, pkts_in, bytes_out, bytes_in, payload_out, payload_in)"
                     " VALUES (7, 'udp', '10.0.0.5', 5000, '203.0.113.7', 3478, 1700000000.0,"
                     " 1700000001.0, 2, 1, 120, 60, 40, 20);",
                     NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("v1 rows: %s", msg);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

static void test_migrate_from_v1(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db;
    struct flows fl = {.n = 0};
    struct stuns sl = {.n = 0};
    struct dis_stun_msg m;
    struct dis_event ev;
    struct dis_flow_rec f = tcp_flow();

    make_v1(fx->path);
    assert_int_equal(header_u32(fx->path, 60), 1);
    /* A report does not migrate: it asks for a write open first. */
    assert_null(sto_open(fx->path, STO_READ_ONLY, err));
    assert_non_null(strstr(err, "schema version 1, older"));

    db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);
    assert_int_equal(sto_each_flow(db, NULL, collect_flow, &fl), 0);
    assert_int_equal(fl.n, 1); /* the old flow is kept, without the new facts */
    assert_int_equal(fl.f[0].r.capture_id, 7);
    assert_string_equal(fl.f[0].dst, "203.0.113.7");
    assert_int_equal(fl.f[0].r.pkts_out, 2);
    assert_int_equal(fl.f[0].r.flow_seq, 0);
    assert_int_equal(fl.f[0].r.stun_dropped, 0);

    /* and the new tables take rows */
    stun_rfc5769(&m);
    ev = stun_ev(&m, T0_NS, 1);
    assert_int_equal(sto_event_add(db, 7, &ev), 0);
    assert_int_equal(sto_flow_add(db, 7, &f, NULL), 0);
    assert_int_equal(sto_close(db, err), 0);
    assert_int_equal(header_u32(fx->path, 60), (uint32_t)sto_schema_version());

    db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(db);
    assert_int_equal(sto_each_stun(db, NULL, collect_stun, &sl), 0);
    assert_int_equal(sl.n, 1);
    assert_string_equal(sl.s[0].mapped, "192.0.2.1:32853");
    fl.n = 0;
    assert_int_equal(sto_each_flow(db, NULL, collect_flow, &fl), 0);
    assert_int_equal(fl.n, 2);
    assert_int_equal(fl.f[1].r.flow_seq, 1);
    assert_int_equal(sto_close(db, err), 0);
}

/* A database as sensoscope with schema 2 left it: capture 7 with a flow, a STUN message and
 * a DNS transaction with its answer. */
static void make_v2(const char *path)
{
    int n = 0;
    const struct sto__migration *m = sto__migrations(&n);
    sqlite3 *h = NULL;
    char *msg = NULL;

    assert_true(n >= 3);
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    for (int i = 0; i < 2; i++)
        if (sqlite3_exec(h, m[i].sql, NULL, NULL, &msg) != SQLITE_OK)
            fail_msg("v%d schema: %s", i + 1, msg);
    if (sqlite3_exec(
            h,
            "PRAGMA application_id = 1397965648; PRAGMA user_version = 2;"
            "INSERT INTO captures (id, source, kind, version, analysed_at, status)"
            " VALUES (7, 'old.pcap', 'file', '0.2.0', 1700000000.5, 'complete');"
            "INSERT INTO flows (capture_id, proto, src, sport, dst, dport, first, last,"
            " pkts_out, pkts_in, bytes_out, bytes_in, payload_out, payload_in, flow_seq)"
            " VALUES (7, 'udp', '10.0.0.5', 5000, '203.0.113.7', 3478, 1700000000.0,"
            " 1700000001.0, 2, 1, 120, 60, 40, 20, 4);"
            "INSERT INTO stun (capture_id, flow_seq, ts, transport, src, sport, dst, dport,"
            " method, method_name, class, txid, mapped, mapped_all)"
            " VALUES (7, 4, 1700000000.5, 'udp', '203.0.113.7', 3478, '10.0.0.5', 5000,"
            " 1, 'binding', 'success', '000102030405060708090a0b', '198.51.100.20:5000',"
            " '198.51.100.20:5000');"
            "INSERT INTO dns (id, capture_id, flow_seq, ts, transport, client, client_port,"
            " server, server_port, txid, qname, qtype, rcode, query_ts, response_ts,"
            " answers) VALUES (3, 7, 5, 1700000000.25, 'udp', '10.0.0.5', 40001,"
            " '10.0.0.1', 53, 4660, 'example.com', 'A', 'NOERROR', 1700000000.25,"
            " 1700000000.26, 1);"
            "INSERT INTO dns_answers (dns_id, pos, name, type, ttl, data)"
            " VALUES (3, 0, 'example.com', 'A', 300, '192.0.2.33');",
            NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("v2 rows: %s", msg);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

static void test_migrate_from_v2(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db;
    struct flows fl = {.n = 0};
    struct stuns sl = {.n = 0};
    struct dnss dl = {.n = 0};
    struct tlss *t = calloc(1, sizeof *t);
    struct lines c = {.n = 0};

    assert_non_null(t);
    make_v2(fx->path);
    assert_int_equal(header_u32(fx->path, 60), 2);
    assert_null(sto_open(fx->path, STO_READ_ONLY, err));
    assert_non_null(strstr(err, "schema version 2, older"));

    db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);
    add_tls(db, 7);
    assert_int_equal(sto_close(db, err), 0);
    assert_int_equal(header_u32(fx->path, 60), (uint32_t)sto_schema_version());

    db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(db);
    /* the old rows are all there */
    assert_int_equal(sto_each_flow(db, NULL, collect_flow, &fl), 0);
    assert_int_equal(fl.n, 1);
    assert_int_equal(fl.f[0].r.flow_seq, 4);
    assert_int_equal(sto_each_stun(db, NULL, collect_stun, &sl), 0);
    assert_int_equal(sl.n, 1);
    assert_string_equal(sl.s[0].mapped, "198.51.100.20:5000");
    dl.db = db;
    assert_int_equal(sto_each_dns(db, NULL, collect_dns, &dl), 0);
    assert_int_equal(dl.n, 1);
    assert_string_equal(dl.d[0].qname, "example.com");
    assert_int_equal(dl.d[0].n_answers, 1);
    assert_string_equal(dl.d[0].answers[0], "example.com A 300 192.0.2.33");
    /* and the new ones */
    t->db = db;
    assert_int_equal(sto_each_tls(db, NULL, collect_tls, t), 0);
    assert_int_equal(t->n, 3);
    assert_int_equal(t->r[0].capture_id, 7);
    assert_int_equal(t->n_certs[0], 2);
    assert_int_equal(sto_each_http_connect(db, NULL, collect_connect, &c), 0);
    assert_int_equal(c.n, 2);
    free(t);
    assert_int_equal(sto_close(db, err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_database_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capture_round_trip_and_totals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha256_find_and_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capture_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stun_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stun_summaries_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_pairing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_versions_and_gaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_v2, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
