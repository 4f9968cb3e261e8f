/* SPDX-License-Identifier: MIT */
/*
 * test_report_checklist.c - report/: the requirement checklist (rep__checklist) from store
 * fixtures: the status rules (blocked > inspected, suspected too > ok when a flow was answered
 * > not_seen), the union of two captures' profiles in position order, the change texts, the
 * examples (the verdicts' flows first, codes of one flow merged), the filters (capture, rule,
 * host, since/until; the method does not apply); the store's rule and method filters.
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

#include "report/rep.h"
#include "store/sto.h"

#include "records.h"

#include "../../report/rep_int.h"

struct fixture {
    char dir[64];
    char path[96];
    struct sto_db *db;
    int64_t cap1, cap2;
};

/* A rule: id, one host pattern, one port range. */
static void rule(struct dis_profile_rule *r, const char *id, const char *host, uint8_t proto,
                 uint16_t lo, uint16_t hi)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    r->n_hosts = 1;
    snprintf(r->hosts[0], sizeof r->hosts[0], "%s", host);
    r->n_ports = 1;
    r->ports[0] = (struct dis_port_range){proto, lo, hi};
}

/* A flow of rule @p ruleid: 10.0.0.@p src -> @p dst, with the state and packets given. */
static void flow(struct sto_db *db, int64_t cap, int64_t id, uint8_t proto, uint8_t src,
                 uint16_t sport, const uint8_t dst[4], uint16_t dport, enum dis_conn_state st,
                 uint64_t pkts_in, const char *host, const char *ruleid, uint64_t at_s)
{
    struct dis_flow_rec f = tcp_flow();

    f.id = id;
    f.proto = proto;
    set4(&f.orig, 10, 0, 0, src);
    set4(&f.resp, dst[0], dst[1], dst[2], dst[3]);
    f.orig_port = sport;
    f.resp_port = dport;
    f.state = proto == DIS_IPPROTO_TCP ? st : DIS_CS_NONE;
    f.pkts[1] = pkts_in;
    f.first_ns = T0_NS + at_s * 1000000000ull;
    f.last_ns = f.first_ns + 1000000000ull;
    snprintf(f.host, sizeof f.host, "%s", host ? host : "");
    assert_int_equal(sto_flow_add(db, cap, &f, ruleid), 0);
}

static void verdict(struct sto_db *db, int64_t cap, int64_t flow_id, enum dis_verdict_kind k,
                    const char *code, enum dis_confidence conf, const char *ruleid, uint8_t proto,
                    uint8_t src, uint16_t sport, const uint8_t dst[4], uint16_t dport,
                    const char *host, uint64_t at_s)
{
    struct dis_verdict_rec v;

    memset(&v, 0, sizeof v);
    v.kind = k;
    v.code = code;
    v.confidence = conf;
    snprintf(v.rule, sizeof v.rule, "%s", ruleid);
    v.proto = proto;
    set4(&v.src, 10, 0, 0, src);
    v.sport = sport;
    set4(&v.dst, dst[0], dst[1], dst[2], dst[3]);
    v.dport = dport;
    snprintf(v.host, sizeof v.host, "%s", host ? host : "");
    v.first_ns = T0_NS + at_s * 1000000000ull;
    v.flow_id = flow_id;
    snprintf(v.evidence, sizeof v.evidence, "test");
    assert_int_equal(sto_verdict_add(db, cap, &v), 0);
}

static const uint8_t APP[4] = {192, 0, 2, 10}, LOGS[4] = {192, 0, 2, 32},
                     TURN[4] = {198, 51, 100, 10}, CONSOLE[4] = {10, 0, 0, 20},
                     SIGNALR[4] = {192, 0, 2, 20}, PROXY[4] = {10, 0, 0, 1};

/*
 * Capture 1 (profile A: cloud, blob-logs, blob-modules, relay, broadcast): cloud answered;
 * blob-logs reset after the ClientHello; blob-modules refused by DNS (no flow); relay checks
 * unanswered; one broadcast connection unanswered, one answered.
 * Capture 2 (profile B: cloud, signalr): cloud answered but suspected of inspection (TTL);
 * signalr through a proxy that demanded authentication (407, then a tunnel).
 */
static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct dis_profile_rule r;
    char err[SS_ERRBUF_SIZE];
    struct sto_capture c;
    struct sto_db *db;

    assert_non_null(fx);
    tmpdb_make("test_report_checklist", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path);
    db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);

    c = file_capture_rec("/srv/a.pcap", NULL, "EN10MB", 1);
    assert_int_equal(sto_capture_begin(db, &c), 0);
    fx->cap1 = c.id;
    rule(&r, "cloud", "*.senso.cloud", DIS_IPPROTO_TCP, 443, 443);
    assert_int_equal(sto_rule_add(db, c.id, 0, &r), 0);
    rule(&r, "blob-logs", "sensologarchivestorage.blob.core.windows.net", DIS_IPPROTO_TCP, 443,
         443);
    assert_int_equal(sto_rule_add(db, c.id, 1, &r), 0);
    rule(&r, "blob-modules", "sensoeustorage.blob.core.windows.net", DIS_IPPROTO_TCP, 443, 443);
    assert_int_equal(sto_rule_add(db, c.id, 2, &r), 0);
    rule(&r, "relay", "rule:sturn-eu", DIS_IPPROTO_UDP, 49152, 65535);
    r.traffic = DIS_TRAFFIC_ICE;
    assert_int_equal(sto_rule_add(db, c.id, 3, &r), 0);
    rule(&r, "broadcast", "*", DIS_IPPROTO_TCP, 30100, 30100);
    r.scope = DIS_SCOPE_LAN;
    assert_int_equal(sto_rule_add(db, c.id, 4, &r), 0);
    flow(db, c.id, 1, DIS_IPPROTO_TCP, 5, 51000, APP, 443, DIS_CS_SF, 8, "app.senso.cloud", "cloud",
         1);
    flow(db, c.id, 2, DIS_IPPROTO_TCP, 5, 51001, LOGS, 443, DIS_CS_RSTR, 2,
         "sensologarchivestorage.blob.core.windows.net", "blob-logs", 2);
    verdict(db, c.id, 2, DIS_VK_BLOCKED, "tcp_reset_after_hello", DIS_CONF_CONFIRMED, "blob-logs",
            DIS_IPPROTO_TCP, 5, 51001, LOGS, 443, "sensologarchivestorage.blob.core.windows.net",
            2);
    verdict(db, c.id, 0, DIS_VK_BLOCKED, "dns_failure", DIS_CONF_CONFIRMED, "blob-modules",
            DIS_IPPROTO_UDP, 5, 40000, PROXY, 53, "sensoeustorage.blob.core.windows.net", 3);
    flow(db, c.id, 3, DIS_IPPROTO_UDP, 5, 50000, TURN, 60000, DIS_CS_NONE, 0,
         "senso-sturn-northeu.cloudapp.net", "relay", 4);
    verdict(db, c.id, 3, DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_CONFIRMED, "relay",
            DIS_IPPROTO_UDP, 5, 50000, TURN, 60000, "senso-sturn-northeu.cloudapp.net", 4);
    flow(db, c.id, 4, DIS_IPPROTO_TCP, 6, 41000, CONSOLE, 30100, DIS_CS_S0, 0, NULL, "broadcast",
         5);
    verdict(db, c.id, 4, DIS_VK_BLOCKED, "tcp_no_answer", DIS_CONF_CONFIRMED, "broadcast",
            DIS_IPPROTO_TCP, 6, 41000, CONSOLE, 30100, NULL, 5);
    flow(db, c.id, 5, DIS_IPPROTO_TCP, 7, 41001, CONSOLE, 30100, DIS_CS_SF, 4, NULL, "broadcast",
         6);

    c = file_capture_rec("/srv/b.pcap", NULL, "EN10MB", 1);
    assert_int_equal(sto_capture_begin(db, &c), 0);
    fx->cap2 = c.id;
    rule(&r, "cloud", "*.senso.cloud", DIS_IPPROTO_TCP, 443, 443);
    assert_int_equal(sto_rule_add(db, c.id, 0, &r), 0);
    rule(&r, "signalr", "*.service.signalr.net", DIS_IPPROTO_TCP, 443, 443);
    assert_int_equal(sto_rule_add(db, c.id, 1, &r), 0);
    flow(db, c.id, 1, DIS_IPPROTO_TCP, 8, 52000, APP, 443, DIS_CS_SF, 8, "app.senso.cloud", "cloud",
         100);
    verdict(db, c.id, 1, DIS_VK_INSPECTED, "ttl_anomaly", DIS_CONF_SUSPECTED, "cloud",
            DIS_IPPROTO_TCP, 8, 52000, APP, 443, "app.senso.cloud", 100);
    flow(db, c.id, 2, DIS_IPPROTO_TCP, 8, 52001, PROXY, 3128, DIS_CS_SF, 8,
         "senso-eu1.service.signalr.net", "signalr", 101);
    verdict(db, c.id, 2, DIS_VK_INSPECTED, "explicit_proxy", DIS_CONF_CONFIRMED, "signalr",
            DIS_IPPROTO_TCP, 8, 52001, PROXY, 3128, "senso-eu1.service.signalr.net", 101);
    verdict(db, c.id, 2, DIS_VK_BLOCKED, "proxy_auth_required", DIS_CONF_CONFIRMED, "signalr",
            DIS_IPPROTO_TCP, 8, 52001, PROXY, 3128, "senso-eu1.service.signalr.net", 101);
    (void)SIGNALR;
    assert_int_equal(sto_close(db, err), 0);
    fx->db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(fx->db);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    sto_close(fx->db, NULL);
    tmpdb_remove(fx->dir, fx->path);
    free(fx);
    return 0;
}

/* The rows, copied. */
struct row {
    char rule[32], status[16], codes[256], change[512], ex[3][512];
    int64_t flows, flows_ok, blocked, inspected;
    int n_ex;
};
struct rows {
    struct row r[16];
    int n;
};

static int collect(void *user, const struct rep__check *c)
{
    struct rows *x = user;
    struct row *r = &x->r[x->n++];

    assert_true(x->n <= 16);
    snprintf(r->rule, sizeof r->rule, "%s", c->rule);
    snprintf(r->status, sizeof r->status, "%s", c->status);
    snprintf(r->codes, sizeof r->codes, "%s", c->codes);
    snprintf(r->change, sizeof r->change, "%s", c->change);
    r->flows = c->flows;
    r->flows_ok = c->flows_ok;
    r->blocked = c->blocked;
    r->inspected = c->inspected;
    r->n_ex = c->n_examples;
    for (int i = 0; i < c->n_examples; i++)
        snprintf(r->ex[i], sizeof r->ex[i], "%s", c->examples[i]);
    return 0;
}

static void run(struct fixture *fx, const struct sto_filter *f, struct rows *x)
{
    struct rep_opts o = {.format = REP_JSON};
    char err[SS_ERRBUF_SIZE];

    memset(x, 0, sizeof *x);
    o.filter = *f;
    if (rep__checklist(fx->db, &o, collect, x, err) != 0)
        fail_msg("rep__checklist: %s", err);
}

static const struct row *find(const struct rows *x, const char *rule)
{
    for (int i = 0; i < x->n; i++)
        if (!strcmp(x->r[i].rule, rule))
            return &x->r[i];
    fail_msg("no checklist row for %s", rule);
    return NULL;
}

static void test_union_order_status_change(void **state)
{
    struct fixture *fx = *state;
    struct sto_filter f = {0};
    struct rows x;
    const struct row *r;
    static const char *const order[] = {"cloud",        "blob-logs", "signalr",
                                        "blob-modules", "relay",     "broadcast"};

    run(fx, &f, &x);
    assert_int_equal(x.n, 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(x.r[i].rule, order[i]);

    /* a suspected inspection counts; the answered flows do not make it ok */
    r = find(&x, "cloud");
    assert_string_equal(r->status, "inspected");
    assert_int_equal(r->flows, 2);
    assert_int_equal(r->flows_ok, 2);
    assert_int_equal(r->inspected, 1);
    assert_string_equal(r->change, "exclude app.senso.cloud from HTTPS inspection");
    assert_string_equal(r->codes, "ttl_anomaly 1");
    assert_string_equal(r->ex[0], "tcp 10.0.0.8:52000 -> 192.0.2.10:443 app.senso.cloud "
                                  "(ttl_anomaly)");
    assert_string_equal(r->ex[1], "tcp 10.0.0.5:51000 -> 192.0.2.10:443 app.senso.cloud "
                                  "(answered)");

    r = find(&x, "blob-logs");
    assert_string_equal(r->status, "blocked");
    assert_string_equal(r->change, "exclude sensologarchivestorage.blob.core.windows.net from "
                                   "SNI/HTTPS filtering (it resets the connection after the "
                                   "ClientHello)");
    assert_int_equal(r->n_ex, 1);
    assert_string_equal(r->ex[0], "tcp 10.0.0.5:51001 -> 192.0.2.32:443 "
                                  "sensologarchivestorage.blob.core.windows.net "
                                  "(tcp_reset_after_hello)");

    /* blocked beats inspected; both codes of the one flow on one example line */
    r = find(&x, "signalr");
    assert_string_equal(r->status, "blocked");
    assert_int_equal(r->blocked, 1);
    assert_int_equal(r->inspected, 1);
    assert_string_equal(r->codes, "proxy_auth_required 1, explicit_proxy 1");
    assert_string_equal(
        r->change, "let senso-eu1.service.signalr.net through the proxy without authentication");
    assert_int_equal(r->n_ex, 1);
    assert_string_equal(r->ex[0], "tcp 10.0.0.8:52001 -> 10.0.0.1:3128 "
                                  "senso-eu1.service.signalr.net (explicit_proxy, "
                                  "proxy_auth_required)");

    r = find(&x, "blob-modules");
    assert_string_equal(r->status, "blocked");
    assert_int_equal(r->flows, 0);
    assert_string_equal(r->change,
                        "stop the DNS filter from blocking sensoeustorage.blob.core.windows.net");

    r = find(&x, "relay");
    assert_string_equal(r->status, "blocked");
    assert_int_equal(r->flows_ok, 0);
    assert_string_equal(r->change, "allow outbound UDP 49152-65535 to the TURN servers");

    r = find(&x, "broadcast");
    assert_string_equal(r->status, "blocked");
    assert_int_equal(r->flows, 2);
    assert_int_equal(r->flows_ok, 1);
    assert_string_equal(
        r->change, "on the console (10.0.0.20), allow inbound TCP 30100 in the Windows firewall");
    assert_string_equal(r->ex[0], "tcp 10.0.0.6:41000 -> 10.0.0.20:30100 (tcp_no_answer)");
    assert_string_equal(r->ex[1], "tcp 10.0.0.7:41001 -> 10.0.0.20:30100 (answered)");
}

static void test_filters(void **state)
{
    struct fixture *fx = *state;
    struct sto_filter f = {0};
    struct rows x;

    /* capture 1 only: its own profile; cloud is ok there, nothing of signalr */
    f.capture_id = fx->cap1;
    run(fx, &f, &x);
    assert_int_equal(x.n, 5);
    assert_string_equal(find(&x, "cloud")->status, "ok");
    assert_string_equal(find(&x, "cloud")->change, "");
    assert_int_equal(find(&x, "cloud")->flows, 1);

    /* one rule */
    memset(&f, 0, sizeof f);
    f.rule = "relay";
    run(fx, &f, &x);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.r[0].rule, "relay");
    assert_string_equal(x.r[0].status, "blocked");

    /* a host: every rule listed, the evidence only of that host's flows and verdicts */
    memset(&f, 0, sizeof f);
    f.host = "10.0.0.6";
    run(fx, &f, &x);
    assert_int_equal(x.n, 6);
    assert_string_equal(find(&x, "broadcast")->status, "blocked");
    assert_int_equal(find(&x, "broadcast")->flows, 1);
    assert_string_equal(find(&x, "cloud")->status, "not_seen");
    assert_string_equal(find(&x, "blob-logs")->status, "not_seen");
    assert_int_equal(find(&x, "blob-logs")->n_ex, 0);

    /* a window before capture 2: capture 2's findings left out */
    memset(&f, 0, sizeof f);
    f.until = (double)(T0_NS / 1000000000ull) + 50;
    run(fx, &f, &x);
    assert_string_equal(find(&x, "cloud")->status, "ok");
    assert_string_equal(find(&x, "signalr")->status, "not_seen");
    /* and after everything: nothing seen */
    memset(&f, 0, sizeof f);
    f.since = (double)(T0_NS / 1000000000ull) + 1000;
    run(fx, &f, &x);
    for (int i = 0; i < x.n; i++)
        assert_string_equal(x.r[i].status, "not_seen");

    /* the method does not apply to the checklist */
    memset(&f, 0, sizeof f);
    f.method = 3;
    run(fx, &f, &x);
    assert_string_equal(find(&x, "relay")->status, "blocked");
}

/* The callback's non-zero value stops the walk and is returned. */
static int stop_at_second(void *user, const struct rep__check *c)
{
    int *n = user;

    (void)c;
    return ++*n == 2 ? 7 : 0;
}

static void test_callback_stops(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON};
    char err[SS_ERRBUF_SIZE];
    int n = 0;

    assert_int_equal(rep__checklist(fx->db, &o, stop_at_second, &n, err), 7);
    assert_int_equal(n, 2);
}

/* sto_filter.rule on flows and verdicts; method on verdicts (through their session). */
static int count_flow(void *user, const struct sto_flow_row *r)
{
    (void)r;
    ++*(int *)user;
    return 0;
}

static int count_verdict(void *user, const struct sto_verdict_row *r)
{
    (void)r;
    ++*(int *)user;
    return 0;
}

static void test_store_rule_filter(void **state)
{
    struct fixture *fx = *state;
    struct sto_filter f = {.rule = "broadcast"};
    int n = 0;

    assert_int_equal(sto_each_flow(fx->db, &f, count_flow, &n), 0);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(sto_each_verdict(fx->db, &f, count_verdict, &n), 0);
    assert_int_equal(n, 1);
    f.rule = "signalr";
    n = 0;
    assert_int_equal(sto_each_verdict(fx->db, &f, count_verdict, &n), 0);
    assert_int_equal(n, 2);
    /* no verdict of the fixture has a session: none has method 2 */
    f.rule = NULL;
    f.method = 2;
    n = 0;
    assert_int_equal(sto_each_verdict(fx->db, &f, count_verdict, &n), 0);
    assert_int_equal(n, 0);
    /* flows are not filtered by method */
    n = 0;
    assert_int_equal(sto_each_flow(fx->db, &f, count_flow, &n), 0);
    assert_int_equal(n, 7);
}

static void test_text_and_json(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_TEXT};
    char err[SS_ERRBUF_SIZE], *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    assert_non_null(f);
    assert_int_equal(rep_write(fx->db, &o, f, err), 0);
    assert_int_equal(fclose(f), 0);
    if (getenv("SS_SHOW"))
        fputs(out, stderr);
    assert_non_null(strstr(out, "\nChecklist (6 rules)\n"));
    assert_non_null(strstr(out, "  relay         blocked         0/1  1 blocked               "
                                "allow outbound UDP 49152-65535 to the TURN servers\n"
                                "      codes: udp_no_answer 1\n"));
    free(out);

    out = NULL;
    o.format = REP_JSON;
    f = open_memstream(&out, &len);
    assert_non_null(f);
    assert_int_equal(rep_write(fx->db, &o, f, err), 0);
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(out, "{\"rule\":\"relay\",\"status\":\"blocked\""));
    assert_non_null(strstr(out, "\"change\":\"allow outbound UDP 49152-65535 to the TURN "
                                "servers\""));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_union_order_status_change),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_store_rule_filter),
        cmocka_unit_test(test_text_and_json),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
