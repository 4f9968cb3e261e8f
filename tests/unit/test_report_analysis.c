/* SPDX-License-Identifier: MIT */
/*
 * test_report_analysis.c - report/: the analysis in the JSON report (sessions with their TURN
 * fields and candidate pairs, verdicts, hosts, rules) parsed back against docs/json.md, session
 * ids unique across captures, hostile text kept valid; the text report's sections.
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

#include <jansson.h>

#include "report/rep.h"
#include "store/sto.h"

#include "records.h"

struct fixture {
    char dir[64];
    char path[96];
    struct sto_db *db;
    int64_t cap1, cap2;
    char *out;
    size_t out_len;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    char err[SS_ERRBUF_SIZE];
    struct sto_capture c;

    assert_non_null(fx);
    tmpdb_make("test_report_analysis", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path);
    fx->db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(fx->db);
    /* two captures with the same analysis: the same seq numbers in both */
    c = file_capture_rec("/srv/monday.pcap", NULL, "EN10MB", 1);
    assert_int_equal(sto_capture_begin(fx->db, &c), 0);
    fx->cap1 = c.id;
    add_analysis(fx->db, c.id);
    c = file_capture_rec("/srv/tuesday.pcap", NULL, "EN10MB", 1);
    assert_int_equal(sto_capture_begin(fx->db, &c), 0);
    fx->cap2 = c.id;
    add_analysis(fx->db, c.id);
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
    return root;
}

static const json_t *jget(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);

    if (!v)
        fail_msg("no member %s", k);
    return v;
}

static const char *jstr(const json_t *o, const char *k)
{
    const json_t *v = jget(o, k);

    if (!json_is_string(v))
        fail_msg("%s is not a string", k);
    return json_string_value(v);
}

static json_int_t jint(const json_t *o, const char *k)
{
    const json_t *v = jget(o, k);

    if (!json_is_integer(v))
        fail_msg("%s is not an integer", k);
    return json_integer_value(v);
}

static double jreal(const json_t *o, const char *k)
{
    const json_t *v = jget(o, k);

    if (!json_is_real(v))
        fail_msg("%s is not a number with a fraction", k);
    return json_real_value(v);
}

static void assert_jnull(const json_t *o, const char *k)
{
    if (!json_is_null(jget(o, k)))
        fail_msg("%s is not null", k);
}

static void assert_jbool(const json_t *o, const char *k, int want)
{
    const json_t *v = jget(o, k);

    if (!json_is_boolean(v) || json_is_true(v) != !!want)
        fail_msg("%s is not %s", k, want ? "true" : "false");
}

/* The session of capture @p cap with analyzer id @p seq. */
static const json_t *session(const json_t *root, int64_t cap, int64_t seq)
{
    const json_t *a = jget(root, "sessions"), *s;
    size_t i;

    json_array_foreach(a, i, s)
    {
        if (jint(s, "capture") == cap && jint(s, "seq") == seq)
            return s;
    }
    fail_msg("no session %lld of capture %lld", (long long)seq, (long long)cap);
    return NULL;
}

static void test_json_sessions(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON};
    json_t *root = run_json(fx, &o);
    const json_t *a = jget(root, "sessions"), *ice, *turn, *v6, *t, *sel, *pairs, *p, *s;
    size_t i, j;

    assert_int_equal(json_array_size(a), 6);
    /* the row id: unique across the two captures */
    json_array_foreach(a, i, s)
    {
        for (j = i + 1; j < json_array_size(a); j++)
            assert_int_not_equal(jint(s, "id"), jint(json_array_get(a, j), "id"));
    }

    ice = session(root, fx->cap1, 1);
    turn = session(root, fx->cap1, 2);
    v6 = session(root, fx->cap1, 3);
    assert_string_equal(jstr(ice, "kind"), "ice");
    assert_int_equal(jint(ice, "method"), 3);
    assert_string_equal(jstr(ice, "submethod"), "relay-tls");
    assert_string_equal(jstr(ice, "client"), "10.0.0.5");
    assert_string_equal(jstr(ice, "peer"), "198.51.100.20");
    assert_string_equal(jstr(ice, "server"), "203.0.113.7:443");
    assert_string_equal(jstr(ice, "proto"), "tcp");
    sel = jget(ice, "selected");
    assert_string_equal(jstr(sel, "local"), "10.0.0.5:50000");
    assert_string_equal(jstr(sel, "remote"), "203.0.113.7:443");
    assert_near(jreal(ice, "first"), 1700000001.123456, 1e-6);
    assert_near(jreal(ice, "last"), 1700000061.123456, 1e-6);
    assert_int_equal(jint(ice, "bytes"), 1234567);
    assert_string_equal(jstr(ice, "ufrags"), "abcd:wxyz");
    assert_int_equal(jint(ice, "link"), jint(turn, "id"));
    assert_non_null(strstr(jstr(ice, "explanation"), "-> allow outbound UDP"));
    assert_jnull(ice, "turn");

    pairs = jget(ice, "pairs");
    assert_int_equal(json_array_size(pairs), 2);
    p = json_array_get(pairs, 0);
    assert_string_equal(jstr(p, "local"), "10.0.0.5:50001");
    assert_string_equal(jstr(p, "remote"), "198.51.100.20:50512");
    assert_int_equal(jint(p, "requests"), 6);
    assert_int_equal(jint(p, "successes"), 0);
    assert_jbool(p, "selected", 0);
    assert_jbool(p, "relayed", 0);
    assert_jnull(p, "rtt_ms");
    p = json_array_get(pairs, 1);
    assert_string_equal(jstr(p, "local"), "203.0.113.7:49152");
    assert_string_equal(jstr(p, "proto"), "udp");
    assert_jbool(p, "relayed", 1);
    assert_jbool(p, "nominated", 1);
    assert_jbool(p, "selected", 1);
    assert_int_equal(jint(p, "requests"), 4);
    assert_int_equal(jint(p, "successes"), 3);
    assert_int_equal(jint(p, "errors"), 1);
    assert_near(jreal(p, "rtt_ms"), 23.456, 1e-9);
    assert_near(jreal(p, "first"), 1700000002.123456, 1e-6);

    assert_string_equal(jstr(turn, "kind"), "turn");
    assert_int_equal(jint(turn, "link"), jint(ice, "id"));
    t = jget(turn, "turn");
    assert_string_equal(jstr(t, "relayed"), "203.0.113.7:49152");
    assert_string_equal(jstr(t, "mapped"), "198.51.100.1:61000");
    assert_string_equal(jstr(t, "transport"), "tls");
    assert_int_equal(jint(t, "lifetime"), 600);
    assert_int_equal(jint(t, "permissions"), 1);
    assert_int_equal(jint(t, "channels"), 1);
    assert_int_equal(jint(t, "peers"), 1);
    assert_int_equal(jint(t, "errors"), 1);
    assert_int_equal(jint(t, "last_error"), 403);
    assert_int_equal(json_array_size(jget(turn, "pairs")), 0);
    assert_jnull(turn, "ufrags");

    assert_int_equal(jint(v6, "method"), 2);
    assert_string_equal(jstr(v6, "submethod"), "host");
    assert_string_equal(jstr(jget(v6, "selected"), "local"), "[2001:db8::1]:3478");
    assert_string_equal(jstr(jget(v6, "selected"), "remote"), "[2001:db8::2]:50000");
    assert_string_equal(jstr(v6, "client"), "2001:db8::1");
    assert_jnull(v6, "server");
    assert_jnull(v6, "link");
    /* not UTF-8: escaped as \xNN, the rest kept (JSON escapes the control character) */
    assert_string_equal(jstr(v6, "explanation"), "host pair \\x1b[2J\\xff\\u{202e} ok");

    /* the second capture's session 1 links to the second capture's session 2 */
    assert_int_equal(jint(session(root, fx->cap2, 1), "link"),
                     jint(session(root, fx->cap2, 2), "id"));
    json_decref(root);
}

static void test_json_verdicts_hosts_rules(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON, .filter = {.capture_id = 1}};
    json_t *root;
    const json_t *v, *h, *r, *m, *names, *caps;

    o.filter.capture_id = fx->cap1;
    root = run_json(fx, &o);
    assert_int_equal(json_array_size(jget(root, "sessions")), 3);
    /* one checklist row per rule of the capture's profile (cloud, relay); the inspected
     * verdict names cloud, the blocked one sturn-eu (not a rule of this profile) */
    assert_int_equal(json_array_size(jget(root, "checklist")), 2);
    assert_string_equal(jstr(json_array_get(jget(root, "checklist"), 0), "rule"), "cloud");
    assert_string_equal(jstr(json_array_get(jget(root, "checklist"), 0), "status"), "inspected");
    assert_string_equal(jstr(json_array_get(jget(root, "checklist"), 1), "rule"), "relay");
    assert_string_equal(jstr(json_array_get(jget(root, "checklist"), 1), "status"), "not_seen");
    caps = jget(root, "captures");
    assert_jnull(json_array_get(caps, 0), "profile");

    v = jget(root, "verdicts");
    assert_int_equal(json_array_size(v), 2);
    v = json_array_get(jget(root, "verdicts"), 0);
    assert_string_equal(jstr(v, "kind"), "blocked");
    assert_string_equal(jstr(v, "code"), "udp_no_answer");
    assert_string_equal(jstr(v, "confidence"), "confirmed");
    assert_string_equal(jstr(v, "rule"), "sturn-eu");
    assert_string_equal(jstr(v, "proto"), "udp");
    assert_string_equal(jstr(v, "src"), "10.0.0.5");
    assert_int_equal(jint(v, "sport"), 50002);
    assert_string_equal(jstr(v, "dst"), "203.0.113.7");
    assert_int_equal(jint(v, "dport"), 3478);
    assert_string_equal(jstr(v, "host"), "senso-sturn-northeu.cloudapp.net");
    assert_near(jreal(v, "first"), 1700000000.823456, 1e-6);
    assert_string_equal(jstr(v, "evidence"), "14 STUN binding requests unanswered over 9.0 s");
    assert_int_equal(jint(v, "session"), jint(session(root, fx->cap1, 2), "id"));
    assert_int_equal(jint(v, "flow"), 2);
    v = json_array_get(jget(root, "verdicts"), 1);
    assert_string_equal(jstr(v, "kind"), "inspected");
    assert_string_equal(jstr(v, "confidence"), "suspected");
    assert_jnull(v, "host");
    assert_jnull(v, "session");
    assert_jnull(v, "flow");
    assert_string_equal(jstr(v, "evidence"), "issuer CN=Evil\\xff\\x1b[2J\\nInc");

    h = jget(root, "hosts");
    assert_int_equal(json_array_size(h), 2);
    h = json_array_get(jget(root, "hosts"), 0);
    assert_string_equal(jstr(h, "addr"), "10.0.0.5");
    assert_string_equal(jstr(h, "role"), "client");
    assert_jbool(h, "local", 1);
    assert_int_equal(jint(h, "verdicts"), 2);
    m = jget(h, "methods");
    assert_int_equal(json_array_size(m), 2);
    assert_int_equal(json_integer_value(json_array_get(m, 0)), 2);
    assert_int_equal(json_integer_value(json_array_get(m, 1)), 3);
    names = jget(h, "names");
    assert_int_equal(json_array_size(names), 2);
    assert_string_equal(json_string_value(json_array_get(names, 0)), "pc-12.school.lan");
    assert_string_equal(json_string_value(json_array_get(names, 1)), "pc12");
    assert_near(jreal(h, "first"), 1700000000.623456, 1e-6);
    h = json_array_get(jget(root, "hosts"), 1);
    assert_string_equal(jstr(h, "role"), "server");
    assert_jbool(h, "local", 0);
    assert_int_equal(json_array_size(jget(h, "methods")), 0);
    names = jget(h, "names");
    assert_string_equal(json_string_value(json_array_get(names, 1)), "evil\\xff\"na\\me");

    r = jget(root, "rules");
    assert_int_equal(json_array_size(r), 2);
    r = json_array_get(jget(root, "rules"), 1);
    assert_string_equal(jstr(r, "id"), "relay");
    assert_int_equal(jint(r, "position"), 1);
    assert_string_equal(jstr(r, "traffic"), "ice");
    assert_string_equal(jstr(r, "scope"), "internet");
    assert_jbool(r, "product", 0);
    assert_int_equal(json_array_size(jget(r, "hosts")), 2);
    assert_string_equal(json_string_value(json_array_get(jget(r, "ports"), 0)), "udp/49152-65535");
    assert_jnull(r, "used_for");
    json_decref(root);

    /* the host filter reaches the analysis too */
    o.filter = (struct sto_filter){.host = "93.184.216.34"};
    root = run_json(fx, &o);
    assert_int_equal(json_array_size(jget(root, "sessions")), 0);
    assert_int_equal(json_array_size(jget(root, "verdicts")), 2);
    assert_int_equal(json_array_size(jget(root, "hosts")), 0);
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

static void test_text_sections(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_TEXT, .filter = {.capture_id = 1}};
    char line[1024], want[256];
    json_t *root;
    json_int_t ice, turn;

    o.filter.capture_id = fx->cap1;
    root = run_json(fx, &(struct rep_opts){.format = REP_JSON, .filter = o.filter});
    ice = jint(session(root, fx->cap1, 1), "id");
    turn = jint(session(root, fx->cap1, 2), "id");
    json_decref(root);

    run(fx, &o);
    if (getenv("SS_SHOW")) /* SS_SHOW=1 ./test_report_analysis shows the report */
        fputs(fx->out, stderr);
    assert_null(strchr(fx->out, '\033'));
    assert_non_null(strstr(fx->out, "\nVerdicts (2)\n"));
    assert_non_null(strstr(fx->out, "\nSessions (3)\n"));
    assert_non_null(strstr(fx->out, "\nHosts (2)\n  product hosts (1):\n    10.0.0.5 client"));
    assert_non_null(strstr(fx->out, "\n  servers and others (1):\n    203.0.113.7 server"));

    snprintf(want, sizeof want, "  #%lld ice, method 3/relay-tls", (long long)ice);
    line_with(fx->out, want, line, sizeof line);
    snprintf(want, sizeof want,
             "  #%lld ice, method 3/relay-tls, tcp 10.0.0.5:50000 <-> 203.0.113.7:443, 1.2 MB in "
             "1m00s, 2 pairs, with #%lld",
             (long long)ice, (long long)turn);
    assert_string_equal(line, want);
    assert_non_null(strstr(fx->out, "      method 3 over tls/443: 14 STUN binding requests"));
    line_with(fx->out, "[2001:db8::1]:3478", line, sizeof line);
    assert_non_null(strstr(line, "ice, method 2/host, udp [2001:db8::1]:3478 <-> "
                                 "[2001:db8::2]:50000, 4.0 kB in 1.000 s"));
    assert_non_null(strstr(fx->out, "      host pair \\x1b[2J\\xff\\u{202e} ok\n"));

    line_with(fx->out, "udp_no_answer", line, sizeof line);
    snprintf(want, sizeof want,
             "  udp_no_answer (blocked, confirmed), rule sturn-eu: udp 10.0.0.5:50002 -> "
             "203.0.113.7:3478 (senso-sturn-northeu.cloudapp.net), session #%lld",
             (long long)turn);
    assert_string_equal(line, want);
    assert_non_null(strstr(fx->out, "      issuer CN=Evil\\xff\\x1b[2J\\nInc\n"));

    line_with(fx->out, "  10.0.0.5 client", line, sizeof line);
    assert_string_equal(line, "    10.0.0.5 client (local), methods 2, 3, 2 verdicts, "
                              "2023-11-14T22:13:20.623Z to 2023-11-14T22:14:22.123Z: "
                              "pc-12.school.lan, pc12");
    line_with(fx->out, "  203.0.113.7 server", line, sizeof line);
    assert_non_null(strstr(line, "methods none, 1 verdict, "));
    assert_non_null(strstr(line, ": senso-sturn-northeu.cloudapp.net, evil\\\\xff\"na\\\\me"));

    /* a capture without analysis says so */
    o.filter.capture_id = fx->cap2 + 1;
    run(fx, &o);
    assert_non_null(strstr(fx->out, "\nVerdicts (0)\n  none\n"));
    assert_non_null(strstr(fx->out, "\nSessions (0)\n  none\n"));
    assert_non_null(strstr(fx->out, "\nHosts (0)\n  none\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_verdicts_hosts_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_sections, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
