/* SPDX-License-Identifier: MIT */
/* test_store.c - store/: schema creation and refusal, round trip of flows, batching, filters. */
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

#include "store/sto.h"

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
    assert_int_equal(sto_flow_add(db, c.id, &f1), 0);
    assert_int_equal(sto_flow_add(db, c.id, &f2), 0);
    assert_int_equal(sto_flow_add(db, c.id, &f3), 0);
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
    char end_reason[32], icmp_from[64];
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
    c->has_host = r->host != NULL;
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
    assert_int_equal(sto_flow_add(db, other.id, &f), 0);
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
    assert_int_equal(sto_flow_add(db, cap, &f), -1);
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
        assert_int_equal(sto_flow_add(db, c.id, &f), 0);
    }
    /* Another connection sees the committed batches only: 2 x 100 rows, 50 pending. */
    rd = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(rd);
    assert_int_equal(count_flows(rd, NULL), 200);
    assert_int_equal(sto_commit(db), 0);
    assert_int_equal(count_flows(rd, NULL), 250);
    assert_int_equal(sto_close(rd, err), 0);

    /* sto_close commits what is pending. */
    assert_int_equal(sto_flow_add(db, c.id, &f), 0);
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

    assert_int_equal(sto_flow_add(a, c.id, &f), 0); /* a holds the write lock */
    assert_int_equal(sto_flow_add(b, c.id, &f), -1);
    assert_non_null(strstr(sto_errstr(b), "inserting flow: database is locked"));
    assert_int_equal(sto_commit(a), 0);
    assert_int_equal(sto_flow_add(b, c.id, &f), 0); /* nothing was lost for good */
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
        if (sto_flow_add(db, c.id, &f) != 0)
            failed_at = k;
    }
    if (failed_at < 0)
        assert_int_equal(sto_commit(db), -1); /* everything fit in the cache until COMMIT */
    else
        assert_int_not_equal(sto_commit(db), 0);
    assert_true(strstr(sto_errstr(db), "full") || strstr(sto_errstr(db), "I/O error"));
    /* Later writes are refused with the reason, and close reports the loss too. */
    assert_int_equal(sto_flow_add(db, c.id, &f), -1);
    assert_int_equal(sto_close(db, err), -1);
    assert_true(err[0] != '\0');

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(db);
    assert_int_equal(count_flows(db, NULL), 0); /* the batch was rolled back as a whole */
    assert_int_equal(sto_close(db, err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_database_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capture_round_trip_and_totals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha256_find_and_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
