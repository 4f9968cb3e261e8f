/* SPDX-License-Identifier: MIT */
/* test_report.c - report/: JSON parsed back against the contract, text table, escaping, errors. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/rep.h"
#include "store/sto.h"

#include "records.h"

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

struct fixture {
    char dir[64];
    char path[96];
    struct sto_db *db;
    int64_t cap_file, cap_live;
    char *out; /* last report */
    size_t out_len;
};

/* ---- flow records ---- */

/* A TCP attempt nobody answered, with an application name full of terminal controls. */
static struct dis_flow_rec s0_flow(void)
{
    struct dis_flow_rec f;
    static const char evil[] = "Evil\033[2J\n\xff\xe2\x80\xae"
                               "x";

    memset(&f, 0, sizeof f);
    f.proto = DIS_IPPROTO_TCP;
    f.ipver = 4;
    set4(&f.orig, 10, 0, 0, 7);
    set4(&f.resp, 198, 51, 100, 20);
    f.orig_port = 40000;
    f.resp_port = 3478;
    f.first_ns = T0_NS + 3000000000ull;
    f.last_ns = T0_NS + 10000000000ull;
    f.pkts[0] = 3;
    f.bytes[0] = 180;
    f.ttl_min[0] = f.ttl_max[0] = 128;
    f.rtt_ns = -1;
    f.state = DIS_CS_S0;
    snprintf(f.history, sizeof f.history, "S");
    memcpy(f.app, evil, sizeof evil);
    f.end = DIS_END_IDLE;
    return f;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    char err[SS_ERRBUF_SIZE];
    struct sto_capture c;
    struct dis_flow_rec f1 = tcp_flow(), f2 = udp6_flow(), f3 = s0_flow();

    assert_non_null(fx);
    tmpdb_make("test_report", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path);
    fx->db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(fx->db);

    c = file_capture_rec("-", NULL, "EN10MB", 1);
    assert_int_equal(sto_capture_begin(fx->db, &c), 0);
    fx->cap_file = c.id;
    c.first_ns = T0_NS;
    c.last_ns = T0_NS + 10000000000ull;
    c.packets = 24;
    c.bytes = 6680;
    c.status = "complete";
    assert_int_equal(sto_capture_update(fx->db, &c), 0);
    assert_int_equal(sto_flow_add(fx->db, c.id, &f1), 0);
    assert_int_equal(sto_flow_add(fx->db, c.id, &f2), 0);
    assert_int_equal(sto_flow_add(fx->db, c.id, &f3), 0);

    c = file_capture_rec("/srv/a.pcap", SHA, "RAW", 101);
    assert_int_equal(sto_capture_begin(fx->db, &c), 0);
    fx->cap_live = c.id;
    assert_int_equal(sto_close(fx->db, err), 0);

    fx->db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(fx->db);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE];

    sto_close(fx->db, err);
    tmpdb_remove(fx->dir, fx->path);
    free(fx->out);
    free(fx);
    return 0;
}

/* Runs rep_write into memory; the text is in fx->out. */
static void run(struct fixture *fx, const struct rep_opts *o)
{
    char err[SS_ERRBUF_SIZE];
    FILE *f;

    free(fx->out);
    fx->out = NULL;
    f = open_memstream(&fx->out, &fx->out_len);
    assert_non_null(f);
    if (rep_write(fx->db, o, f, err) != 0)
        fail_msg("rep_write: %s", err);
    assert_int_equal(fclose(f), 0);
}

static json_t *run_json(struct fixture *fx, const struct rep_opts *o)
{
    json_error_t je;
    json_t *root;

    run(fx, o);
    root = json_loads(fx->out, 0, &je);
    if (!root)
        fail_msg("invalid JSON at line %d: %s\n%s", je.line, je.text, fx->out);
    assert_true(json_is_object(root));
    return root;
}

/* The member @p k of @p o, which must be there. */
static const json_t *jget(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);

    assert_non_null(v);
    return v;
}

static const char *jstr(const json_t *o, const char *k)
{
    const json_t *v = jget(o, k);

    assert_true(json_is_string(v));
    return json_string_value(v);
}

static json_int_t jint(const json_t *o, const char *k)
{
    const json_t *v = jget(o, k);

    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static double jreal(const json_t *o, const char *k)
{
    const json_t *v = jget(o, k);

    assert_true(json_is_real(v));
    return json_real_value(v);
}

static void assert_jnull(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);

    if (!v || !json_is_null(v))
        fail_msg("%s is not null", k);
}

/* ---- tests ---- */

static void test_json_contract(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON};
    json_t *root = run_json(fx, &o), *caps, *flows, *t, *u, *s, *c;
    const char *arrays[] = {"captures", "flows",    "tls",       "stun", "dns",
                            "sessions", "verdicts", "checklist", "hosts"};

    assert_string_equal(jstr(root, "version"), SS_VERSION_STRING);
    assert_int_equal(jint(root, "schema"), sto_schema_version());
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        json_t *a = json_object_get(root, arrays[i]);
        if (!json_is_array(a))
            fail_msg("%s is not an array", arrays[i]);
        if (i >= 2)
            assert_int_equal(json_array_size(a), 0);
    }

    caps = json_object_get(root, "captures");
    assert_int_equal(json_array_size(caps), 2);
    c = json_array_get(caps, 0);
    assert_int_equal(jint(c, "id"), fx->cap_file);
    assert_string_equal(jstr(c, "source"), "-");
    assert_jnull(c, "sha256");
    assert_near(jreal(c, "first"), 1700000000.123456, 1e-6);
    assert_near(jreal(c, "last"), 1700000010.123456, 1e-6);
    assert_int_equal(jint(c, "packets"), 24);
    assert_int_equal(jint(c, "bytes"), 6680);
    assert_int_equal(jint(c, "drops"), 0);
    assert_string_equal(jstr(c, "linktype"), "EN10MB");
    assert_string_equal(jstr(c, "status"), "complete");
    c = json_array_get(caps, 1);
    assert_string_equal(jstr(c, "sha256"), SHA);
    assert_jnull(c, "first"); /* no packets yet */
    assert_string_equal(jstr(c, "status"), "running");

    flows = json_object_get(root, "flows");
    assert_int_equal(json_array_size(flows), 3);
    t = json_array_get(flows, 0);
    assert_string_equal(jstr(t, "proto"), "tcp");
    assert_string_equal(jstr(t, "src"), "10.0.0.5");
    assert_int_equal(jint(t, "sport"), 51000);
    assert_string_equal(jstr(t, "dst"), "93.184.216.34");
    assert_int_equal(jint(t, "dport"), 443);
    /* Microseconds survive the trip through REAL and JSON. */
    assert_near(jreal(t, "first"), 1700000000.123456, 5e-7);
    assert_near(jreal(t, "last"), 1700000001.623456, 5e-7);
    assert_int_equal(jint(t, "pkts_out"), 10);
    assert_int_equal(jint(t, "pkts_in"), 8);
    assert_int_equal(jint(t, "bytes_out"), 1200);
    assert_int_equal(jint(t, "bytes_in"), 5000);
    assert_string_equal(jstr(t, "state"), "SF");
    assert_string_equal(jstr(t, "app"), "TLS");
    assert_jnull(t, "host");
    assert_jnull(t, "rule");
    assert_int_equal(jint(t, "channeldata"), 0);
    assert_int_equal(jint(t, "capture"), fx->cap_file);
    assert_string_equal(jstr(t, "history"), "ShADadFf");
    assert_near(jreal(t, "rtt"), 0.012345, 1e-12);
    assert_int_equal(jint(t, "payload_out"), 517);
    assert_int_equal(jint(t, "ttl_in_max"), 53);
    assert_string_equal(jstr(t, "end_reason"), "idle");
    assert_jnull(t, "icmp_type");

    u = json_array_get(flows, 1);
    assert_string_equal(jstr(u, "proto"), "udp");
    assert_string_equal(jstr(u, "src"), "2001:db8::1");
    assert_string_equal(jstr(u, "dst"), "2001:db8::2");
    assert_jnull(u, "state");
    assert_jnull(u, "rtt");
    assert_jnull(u, "ttl_in_min");
    assert_jnull(u, "history");
    assert_int_equal(jint(u, "icmp_type"), 1);
    assert_int_equal(jint(u, "icmp_code"), 4);
    assert_string_equal(jstr(u, "icmp_from"), "2001:db8::2");
    assert_int_equal(jint(u, "vlan"), 100);

    s = json_array_get(flows, 2);
    assert_string_equal(jstr(s, "state"), "S0");
    /* Raw bytes that are not UTF-8 are escaped, not lost; controls are JSON-escaped. */
    assert_string_equal(jstr(s, "app"), "Evil\\x1b[2J\\n\\xff\\u{202e}x");
    json_decref(root);
}

static void test_json_filter(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON};
    json_t *root, *flows;

    o.filter.host = "2001:db8::2";
    root = run_json(fx, &o);
    flows = json_object_get(root, "flows");
    assert_int_equal(json_array_size(flows), 1);
    assert_string_equal(jstr(json_array_get(flows, 0), "proto"), "udp");
    /* captures holding the host only */
    assert_int_equal(json_array_size(json_object_get(root, "captures")), 1);
    json_decref(root);

    o.filter.host = "203.0.113.1";
    root = run_json(fx, &o);
    assert_int_equal(json_array_size(json_object_get(root, "flows")), 0);
    assert_int_equal(json_array_size(json_object_get(root, "captures")), 0);
    json_decref(root);
}

/* The line of the text report that contains @p needle. */
static const char *line_with(const char *text, const char *needle, char *buf, size_t len)
{
    const char *p = strstr(text, needle), *b, *e;

    if (!p)
        fail_msg("no line with '%s' in:\n%s", needle, text);
    for (b = p; b > text && b[-1] != '\n'; b--)
        ;
    e = strchr(p, '\n');
    if (!e)
        e = p + strlen(p);
    snprintf(buf, len, "%.*s", (int)(e - b), b);
    return buf;
}

static void test_text(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_TEXT};
    char line[512];

    run(fx, &o);
    if (getenv("SS_SHOW")) /* SS_SHOW=1 ./test_report shows the report */
        fputs(fx->out, stderr);
    assert_null(strchr(fx->out, '\033')); /* no colour, no raw escape from the app name */
    assert_non_null(strstr(fx->out, "2023-11-14T22:13:20.123Z to 2023-11-14T22:13:30.123Z"));
    assert_non_null(strstr(fx->out, "24 packets, 6.7 kB, 0 drops, 0 warnings"));
    assert_non_null(strstr(fx->out, "sha256 " SHA));
    assert_non_null(strstr(fx->out, "flows: 3 (tcp 2, udp 1, icmp 0, other 0)"));
    assert_non_null(strstr(fx->out, "top applications: "));

    /* Columns: proto, src, dst, state, packets, bytes, duration, app; widest src is 19. */
    line_with(fx->out, "10.0.0.5:51000", line, sizeof line);
    assert_string_equal(line, "tcp    10.0.0.5:51000      93.184.216.34:443   SF     "
                              "       10/8  1.2 kB/5.0 kB   1.500 s  TLS");
    line_with(fx->out, "[2001:db8::1]:5353", line, sizeof line);
    assert_string_equal(line, "udp    [2001:db8::1]:5353  [2001:db8::2]:3478  -      "
                              "        3/0      300 B/0 B  250.0 ms  STUN");
    line_with(fx->out, "10.0.0.7:40000", line, sizeof line);
    assert_non_null(strstr(line, "  S0  "));
    assert_non_null(strstr(line, "7.000 s  Evil\\x1b[2J\\n\\xff\\u{202e}x"));
    line_with(fx->out, "PROTO", line, sizeof line);
    assert_string_equal(line, "PROTO  SRC                 DST                 STATE  PKTS OUT/IN   "
                              "BYTES OUT/IN  DURATION  APP");
    assert_non_null(strstr(fx->out, "  #1 (stdin) (file, link type EN10MB/1), complete\n"));
}

static void test_text_limit_and_colour(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_TEXT, .color = 1, .max_flows = 2};
    char line[512];

    run(fx, &o);
    assert_non_null(strstr(fx->out, "\033[1mFlows\033[0m (3)"));
    assert_non_null(strstr(fx->out, "... 1 more flows not shown (limit 2)\n"));
    assert_null(strstr(fx->out, "10.0.0.7:40000"));

    o.max_flows = 0;
    run(fx, &o);
    line_with(fx->out, "10.0.0.7:40000", line, sizeof line);
    assert_non_null(strstr(line, "\033[31mS0\033[0m"));
    assert_null(strstr(fx->out, "more flows not shown"));
}

static void test_write_error(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON};
    char err[SS_ERRBUF_SIZE];
    FILE *f = fopen("/dev/full", "w");

    if (!f)
        skip();
    assert_int_equal(rep_write(fx->db, &o, f, err), -1);
    assert_non_null(strstr(err, "writing report: No space left on device"));
    fclose(f);

    o.format = REP_TEXT;
    f = fopen("/dev/full", "w");
    assert_non_null(f);
    assert_int_equal(rep_write(fx->db, &o, f, err), -1);
    assert_non_null(strstr(err, "writing report: "));
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_limit_and_colour, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
