/* SPDX-License-Identifier: MIT */
/*
 * test_report.c - report/: JSON parsed back against the contract (captures, flows, TLS, STUN,
 * DNS, HTTP CONNECT), the text report's tables and summaries, escaping, errors.
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

/* The STUN messages and DNS transactions of the file capture (see records.h). */
static void add_events(struct sto_db *db, int64_t cap)
{
    struct dis_stun_msg sm;
    struct dis_dns_msg *dm = malloc(sizeof *dm);
    struct dis_event ev;
    static const struct {
        const uint8_t *b;
        size_t n;
        uint64_t dt_ms;
    } dns[] = {
        {dns_q_a, sizeof dns_q_a, 100},         {dns_r_a, sizeof dns_r_a, 105},
        {dns_q_nx, sizeof dns_q_nx, 110},       {dns_r_nx, sizeof dns_r_nx, 112},
        {dns_r_https, sizeof dns_r_https, 120}, {dns_q_nx, sizeof dns_q_nx, 130},
    };

    stun_rfc5769(&sm);
    ev = stun_ev(&sm, T0_NS + 2000000000ull, 1);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    stun_alloc_ok(&sm);
    ev = stun_ev(&sm, T0_NS + 2010000000ull, 1);
    assert_int_equal(sto_event_add(db, cap, &ev), 0);
    stun_inner_check(&sm);
    ev = stun_ev(&sm, T0_NS + 2020000000ull, 0);
    ev.inner = true;
    ev.channel = 0x4001;
    assert_int_equal(sto_event_add(db, cap, &ev), 0);

    assert_non_null(dm);
    for (size_t i = 0; i < sizeof dns / sizeof dns[0]; i++) {
        dns_parse(dns[i].b, dns[i].n, dm);
        ev = dns_ev(dm, T0_NS + dns[i].dt_ms * 1000000ull);
        assert_int_equal(sto_event_add(db, cap, &ev), 0);
    }
    free(dm);
    add_tls(db, cap);
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
    assert_int_equal(sto_flow_add(fx->db, c.id, &f1, NULL), 0);
    assert_int_equal(sto_flow_add(fx->db, c.id, &f2, NULL), 0);
    assert_int_equal(sto_flow_add(fx->db, c.id, &f3, NULL), 0);
    add_events(fx->db, c.id);

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
    const char *arrays[] = {"captures",     "flows",    "tls",      "stun",      "dns",
                            "http_connect", "sessions", "verdicts", "checklist", "hosts"};

    assert_string_equal(jstr(root, "version"), SS_VERSION_STRING);
    assert_int_equal(jint(root, "schema"), sto_schema_version());
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        json_t *a = json_object_get(root, arrays[i]);
        if (!json_is_array(a))
            fail_msg("%s is not an array", arrays[i]);
        if (i >= 5)
            assert_int_equal(json_array_size(a), i == 5 ? 2 : 0);
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
    assert_int_equal(jint(t, "flow_seq"), 1);
    assert_int_equal(jint(t, "stun_dropped"), 0);

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
    assert_string_equal(jstr(u, "host"), "senso-sturn-northeu.cloudapp.net");
    assert_int_equal(jint(u, "channeldata"), 12);
    assert_int_equal(jint(u, "flow_seq"), 2);
    assert_int_equal(jint(u, "stun_msgs"), 40);
    assert_int_equal(jint(u, "stun_dropped"), 3);

    s = json_array_get(flows, 2);
    assert_string_equal(jstr(s, "state"), "S0");
    assert_jnull(s, "flow_seq"); /* the record had no sequence number */
    /* Raw bytes that are not UTF-8 are escaped, not lost; controls are JSON-escaped. */
    assert_string_equal(jstr(s, "app"), "Evil\\x1b[2J\\n\\xff\\u{202e}x");
    json_decref(root);
}

/* The array @p k of @p o as a string of its string elements joined by spaces. */
static const char *jlist(const json_t *o, const char *k, char *buf, size_t len)
{
    const json_t *a = jget(o, k), *v;
    size_t i, n = 0;

    assert_true(json_is_array(a));
    buf[0] = '\0';
    for (i = 0; i < json_array_size(a); i++) {
        v = json_array_get(a, i);
        assert_true(json_is_string(v));
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", json_string_value(v));
        assert_true(n < len);
    }
    return buf;
}

static void test_json_stun(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON};
    json_t *root = run_json(fx, &o), *stun, *b, *a, *i;
    char buf[256];

    stun = json_object_get(root, "stun");
    assert_int_equal(json_array_size(stun), 3);
    b = json_array_get(stun, 0);
    a = json_array_get(stun, 1);
    i = json_array_get(stun, 2);

    /* the contract fields of the RFC 5769 sample response */
    assert_near(jreal(b, "ts"), 1700000002.123456, 5e-7);
    assert_string_equal(jstr(b, "transport"), "udp");
    assert_string_equal(jstr(b, "src"), "2001:db8::2");
    assert_int_equal(jint(b, "sport"), 3478);
    assert_string_equal(jstr(b, "dst"), "2001:db8::1");
    assert_int_equal(jint(b, "dport"), 5353);
    assert_string_equal(jstr(b, "method"), "binding");
    assert_string_equal(jstr(b, "class"), "success");
    assert_string_equal(jstr(b, "txid"), "b7e7a701bc34d686fa87dfae");
    assert_jnull(b, "username");
    assert_jnull(b, "error_code");
    assert_string_equal(jstr(b, "mapped"), "192.0.2.1:32853");
    assert_jnull(b, "relayed");
    assert_jnull(b, "peer");
    assert_true(json_is_false(jget(b, "inner")));
    /* and some of the others */
    assert_int_equal(jint(b, "capture"), fx->cap_file);
    assert_int_equal(jint(b, "flow"), 2);
    assert_int_equal(jint(b, "method_code"), 1);
    assert_string_equal(jstr(b, "software"), "test vector");
    assert_string_equal(jstr(b, "fingerprint"), "ok");
    assert_true(json_is_true(jget(b, "integrity")));
    assert_string_equal(jlist(b, "mapped_all", buf, sizeof buf), "192.0.2.1:32853");
    assert_string_equal(jlist(b, "relayed_all", buf, sizeof buf), "");
    assert_jnull(b, "priority");
    assert_jnull(b, "inner_channel");

    assert_string_equal(jstr(a, "method"), "allocate");
    assert_string_equal(jstr(a, "relayed"), "203.0.113.7:49152");
    assert_string_equal(jlist(a, "relayed_all", buf, sizeof buf),
                        "203.0.113.7:49152 [2001:db8::7]:49153");
    assert_string_equal(jstr(a, "mapped"), "198.51.100.20:50512");
    assert_int_equal(jint(a, "lifetime"), 600);
    assert_string_equal(jstr(a, "fingerprint"), "bad");
    assert_string_equal(jstr(a, "software"), "coturn\033[2J"); /* JSON escapes the control */
    assert_non_null(strstr(fx->out, "\"coturn\\u001B[2J\""));

    assert_string_equal(jstr(i, "method"), "binding");
    assert_string_equal(jstr(i, "class"), "request");
    assert_string_equal(jstr(i, "username"), "ab:cd");
    assert_string_equal(jstr(i, "peer"), "192.0.2.50:5000");
    assert_string_equal(jlist(i, "peer_all", buf, sizeof buf),
                        "192.0.2.50:5000 [2001:db8::50]:5001");
    assert_true(json_is_true(jget(i, "inner")));
    assert_int_equal(jint(i, "inner_channel"), 0x4001);
    assert_int_equal(jint(i, "priority"), 1853817087);
    assert_true(json_is_true(jget(i, "use_candidate")));
    assert_string_equal(jstr(i, "ice_role"), "controlling");
    json_decref(root);
}

static void test_json_dns(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON};
    json_t *root = run_json(fx, &o), *dns, *d, *ans, *x;

    dns = json_object_get(root, "dns");
    assert_int_equal(json_array_size(dns), 4);

    /* query and response paired into one transaction */
    d = json_array_get(dns, 0);
    assert_near(jreal(d, "ts"), 1700000000.223456, 5e-7);
    assert_string_equal(jstr(d, "client"), "10.0.0.5");
    assert_string_equal(jstr(d, "server"), "10.0.0.1");
    assert_string_equal(jstr(d, "qname"), "example.com");
    assert_string_equal(jstr(d, "qtype"), "A");
    assert_string_equal(jstr(d, "rcode"), "NOERROR");
    ans = json_object_get(d, "answers");
    assert_true(json_is_array(ans));
    assert_int_equal(json_array_size(ans), 1);
    x = json_array_get(ans, 0);
    assert_string_equal(jstr(x, "name"), "example.com");
    assert_string_equal(jstr(x, "type"), "A");
    assert_int_equal(jint(x, "ttl"), 300);
    assert_string_equal(jstr(x, "data"), "192.0.2.33");
    assert_int_equal(jint(d, "capture"), fx->cap_file);
    assert_int_equal(jint(d, "flow"), 5);
    assert_int_equal(jint(d, "txid"), 0x1234);
    assert_int_equal(jint(d, "client_port"), 40001);
    assert_int_equal(jint(d, "server_port"), 53);
    assert_near(jreal(d, "response_ts"), 1700000000.228456, 5e-7);
    assert_int_equal(jint(d, "answer_count"), 1);

    d = json_array_get(dns, 1);
    assert_string_equal(jstr(d, "qname"), "blocked.test");
    assert_string_equal(jstr(d, "qtype"), "AAAA");
    assert_string_equal(jstr(d, "rcode"), "NXDOMAIN");
    assert_int_equal(json_array_size(jget(d, "answers")), 0);

    d = json_array_get(dns, 2); /* response only */
    assert_near(jreal(d, "ts"), 1700000000.243456, 5e-7);
    assert_jnull(d, "query_ts");
    assert_string_equal(jstr(d, "qtype"), "HTTPS");
    x = json_array_get(json_object_get(d, "answers"), 0);
    assert_string_equal(jstr(x, "type"), "HTTPS");
    assert_string_equal(jstr(x, "data"), "1 . alpn=h2,h3 ipv4hint=192.0.2.33");

    d = json_array_get(dns, 3); /* a query nobody answered */
    assert_string_equal(jstr(d, "qname"), "blocked.test");
    assert_jnull(d, "rcode");
    assert_jnull(d, "response_ts");
    assert_int_equal(json_array_size(jget(d, "answers")), 0);
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
    assert_int_equal(json_array_size(json_object_get(root, "stun")), 3);
    assert_int_equal(json_array_size(json_object_get(root, "dns")), 0);

    assert_int_equal(json_array_size(json_object_get(root, "tls")), 0);
    json_decref(root);

    o.filter.host = "10.0.0.1";
    root = run_json(fx, &o);
    assert_int_equal(json_array_size(json_object_get(root, "stun")), 0);
    assert_int_equal(json_array_size(json_object_get(root, "dns")), 4);
    assert_int_equal(json_array_size(json_object_get(root, "tls")), 1); /* through the proxy */
    assert_int_equal(json_array_size(json_object_get(root, "http_connect")), 2);
    json_decref(root);

    o.filter.host = "93.184.216.34";
    root = run_json(fx, &o);
    assert_int_equal(json_array_size(json_object_get(root, "tls")), 2);
    assert_int_equal(json_array_size(json_object_get(root, "http_connect")), 0);
    json_decref(root);

    o.filter.host = "203.0.113.1";
    root = run_json(fx, &o);
    assert_int_equal(json_array_size(json_object_get(root, "flows")), 0);
    assert_int_equal(json_array_size(json_object_get(root, "captures")), 0);
    json_decref(root);
}

static void test_json_tls(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON};
    json_t *root = run_json(fx, &o), *tls, *a, *b, *v, *hc;
    const json_t *x, *certs;
    char buf[256];

    tls = json_object_get(root, "tls");
    assert_int_equal(json_array_size(tls), 3);
    a = json_array_get(tls, 0); /* 1.2, chain refused */
    b = json_array_get(tls, 1); /* 1.3 through the proxy */
    v = json_array_get(tls, 2); /* 1.2, verified */

    /* the contract fields */
    assert_string_equal(jstr(a, "src"), "10.0.0.5");
    assert_int_equal(jint(a, "sport"), 51000);
    assert_string_equal(jstr(a, "dst"), "93.184.216.34");
    assert_int_equal(jint(a, "dport"), 443);
    assert_string_equal(jstr(a, "sni"), "example.com");
    assert_string_equal(jstr(a, "version"), "1.2");
    assert_string_equal(jlist(a, "alpn", buf, sizeof buf), "h2 http/1.1");
    assert_string_equal(jstr(a, "ja3"), JA3_12_MD5);
    assert_string_equal(jstr(a, "ja3s"), JA3S_12_MD5);
    assert_string_equal(jstr(a, "ja4"), JA4_12);
    assert_string_equal(jstr(a, "cert_subject"), "CN=example.com");
    assert_string_equal(jstr(a, "cert_issuer"), "CN=Test CA,O=Example");
    assert_string_equal(jstr(a, "cert_sha256"), LEAF_SHA);
    assert_true(json_is_false(jget(a, "chain_valid")));
    /* extras */
    assert_int_equal(jint(a, "capture"), fx->cap_file);
    assert_int_equal(jint(a, "flow"), 1);
    assert_near(jreal(a, "ts"), 1700000000.143456, 5e-7);
    assert_string_equal(jstr(a, "ja3_string"), JA3_12);
    assert_string_equal(jstr(a, "ja3s_string"), JA3S_12);
    assert_string_equal(jstr(a, "version_name"), "1.2");
    assert_string_equal(jstr(a, "client_max_version"), "1.2");
    assert_string_equal(jstr(a, "cipher"), "0xc02f");
    assert_string_equal(jstr(a, "server_alpn"), "h2");
    assert_true(json_is_false(jget(a, "established")));
    assert_jnull(a, "established_ts");
    assert_near(jreal(a, "server_hello_ts"), 1700000000.168456, 5e-7);
    assert_int_equal(jint(a, "alerts"), 2);
    x = jget(a, "alert");
    assert_int_equal(jint(x, "level"), 2);
    assert_int_equal(jint(x, "desc"), 48);
    assert_string_equal(jstr(x, "desc_name"), "unknown_ca");
    assert_string_equal(jstr(x, "from"), "client");
    assert_true(json_is_true(jget(x, "before_established")));
    assert_true(json_is_false(jget(x, "encrypted")));
    assert_near(jreal(x, "ts"), 1700000000.173456, 5e-7);
    assert_string_equal(jstr(a, "chain"), "invalid");
    assert_string_equal(jstr(a, "chain_error"), "unable to get local issuer certificate");
    assert_int_equal(jint(a, "verify_error"), 20);
    assert_int_equal(jint(a, "certs_total"), 3);
    assert_jnull(a, "proxy");
    certs = jget(a, "certs");
    assert_int_equal(json_array_size(certs), 2);
    x = json_array_get(certs, 0);
    assert_string_equal(jstr(x, "subject"), "CN=example.com");
    assert_string_equal(jstr(x, "issuer"), "CN=Test CA,O=Example");
    assert_string_equal(jstr(x, "sha256"), LEAF_SHA);
    assert_near(jreal(x, "not_before"), 1672531200.0, 0);
    assert_near(jreal(x, "not_after"), 1704067200.0, 0);
    assert_string_equal(jlist(x, "sans", buf, sizeof buf), "example.com *.example.com 192.0.2.1");
    assert_true(json_is_true(jget(x, "readable")));
    assert_true(json_is_false(jget(x, "self_issued")));
    x = json_array_get(certs, 1);
    assert_jnull(x, "subject");
    assert_jnull(x, "not_before");
    assert_string_equal(jstr(x, "sha256"), BAD_SHA);
    assert_string_equal(jlist(x, "sans", buf, sizeof buf), "");
    assert_true(json_is_false(jget(x, "readable")));

    /* TLS 1.3 in a tunnel: no certificate, not verified */
    assert_string_equal(jstr(b, "dst"), "10.0.0.1");
    assert_int_equal(jint(b, "dport"), 3128);
    assert_string_equal(jstr(b, "sni"), "example.org");
    assert_string_equal(jstr(b, "version"), "1.3");
    assert_string_equal(jstr(b, "client_version"), "1.2");
    assert_string_equal(jlist(b, "alpn", buf, sizeof buf), "");
    assert_jnull(b, "server_alpn");
    assert_string_equal(jstr(b, "ja3"), JA3_13_MD5);
    assert_string_equal(jstr(b, "ja3s"), JA3S_13_MD5);
    assert_jnull(b, "cert_subject");
    assert_jnull(b, "cert_issuer");
    assert_jnull(b, "cert_sha256");
    assert_jnull(b, "chain_valid");
    assert_jnull(b, "chain");
    assert_jnull(b, "chain_error");
    assert_jnull(b, "alert");
    assert_true(json_is_true(jget(b, "hrr")));
    assert_int_equal(jint(b, "client_hellos"), 2);
    assert_true(json_is_true(jget(b, "established")));
    assert_near(jreal(b, "established_ts"), 1700000000.683456, 5e-7);
    assert_true(json_is_true(jget(b, "midstream")));
    assert_int_equal(jint(b, "flags"), DIS_TLS_CF_EMPTY_RECORD);
    assert_int_equal(jint(b, "hello_flags"), DIS_TLS_HF_DUP_EXT);
    assert_int_equal(json_array_size(jget(b, "certs")), 0);
    x = jget(b, "proxy");
    assert_string_equal(jstr(x, "target"), "example.org");
    assert_int_equal(jint(x, "port"), 443);
    assert_int_equal(jint(x, "status"), 200);
    assert_int_equal(jint(x, "first_status"), 407);

    /* verified */
    assert_true(json_is_true(jget(v, "chain_valid")));
    assert_string_equal(jstr(v, "chain"), "valid");
    assert_jnull(v, "chain_error");
    assert_jnull(v, "verify_error");
    assert_string_equal(jstr(v, "cert_subject"), "CN=example.com");
    assert_int_equal(json_array_size(jget(v, "certs")), 1);

    hc = json_object_get(root, "http_connect");
    assert_int_equal(json_array_size(hc), 2);
    x = json_array_get(hc, 0);
    assert_near(jreal(x, "ts"), 1700000000.573456, 5e-7);
    assert_int_equal(jint(x, "flow"), 6);
    assert_string_equal(jstr(x, "client"), "10.0.0.5");
    assert_int_equal(jint(x, "client_port"), 51001);
    assert_string_equal(jstr(x, "proxy"), "10.0.0.1");
    assert_int_equal(jint(x, "proxy_port"), 3128);
    assert_string_equal(jstr(x, "target"), "example.org");
    assert_int_equal(jint(x, "target_port"), 443);
    assert_int_equal(jint(x, "status"), 407);
    assert_string_equal(jstr(x, "reason"), "Proxy Authentication Required");
    assert_string_equal(jstr(x, "proxy_authenticate"), "Basic");
    assert_true(json_is_false(jget(x, "proxy_authorization")));
    assert_jnull(x, "authorization_scheme");
    assert_string_equal(jstr(x, "user_agent"), "Senso/4.2");
    x = json_array_get(hc, 1);
    assert_int_equal(jint(x, "status"), 200);
    assert_jnull(x, "proxy_authenticate");
    assert_true(json_is_true(jget(x, "proxy_authorization")));
    assert_string_equal(jstr(x, "authorization_scheme"), "Basic");
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
    struct rep_opts o = {.format = REP_TEXT, .details = 1};
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

    assert_non_null(strstr(fx->out, "\nSTUN/TURN (3 messages)\n"
                                    "  METHOD            CLASS       MESSAGES  IN TURN\n"
                                    "  binding           request            1        1\n"
                                    "  binding           success            1        0\n"
                                    "  allocate          success            1        0\n"
                                    "  relayed:  203.0.113.7:49152 (1), [2001:db8::7]:49153 (1)\n"
                                    "  mapped:   192.0.2.1:32853 (1), 198.51.100.20:50512 (1)\n"));
    assert_non_null(strstr(
        fx->out,
        "\nTLS (3 connections, 2 established, 1 with HelloRetryRequest, 1 through an HTTP "
        "proxy)\n"
        "  versions: 1.2 2, 1.3 1\n"
        "  server names: example.com 2, example.org 1\n"
        "  certificates: 2 connections showed one (1 valid, 1 invalid, 0 not verifiable, 0 not "
        "verified)\n"
        "    invalid    example.com, issued by Test CA (Example): unable to get local issuer "
        "certificate (1 connection)\n"
        "    valid      example.com, issued by Test CA (Example) (1 connection)\n"
        "  fatal alerts: 1 connection\n"
        "    1 from client: unknown_ca (48), during the handshake, e.g. example.com\n"
        "\nSTUN/TURN"));
    assert_non_null(strstr(fx->out, "\nDNS (4 transactions)\n"
                                    "  response codes: NOERROR 2, NXDOMAIN 1, unanswered 1\n"
                                    "  failed names:\n"
                                    "    RCODE     NAME          TYPE  COUNT\n"
                                    "    NXDOMAIN  blocked.test  AAAA  1\n"));
}

/* Adds @p n events to the second capture of the fixture (reopening the database to write). */
static void add_live_events(struct fixture *fx, const struct dis_event *ev, size_t n)
{
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db;

    sto_close(fx->db, err);
    db = sto_open(fx->path, STO_READ_WRITE, err);
    assert_non_null(db);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sto_event_add(db, fx->cap_live, &ev[i]), 0);
    assert_int_equal(sto_close(db, err), 0);
    fx->db = sto_open(fx->path, STO_READ_ONLY, err);
    assert_non_null(fx->db);
}

/* Types and codes without a mnemonic are numbers; long mnemonics are kept whole. */
static void test_json_dns_numbers(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_JSON, .filter = {.capture_id = fx->cap_live}};
    struct dis_dns_msg *m = malloc(sizeof *m), *m2 = malloc(sizeof *m2);
    struct dis_event ev[2];
    json_t *root, *dns;

    assert_non_null(m);
    assert_non_null(m2);
    dns_parse(dns_r_nx, sizeof dns_r_nx, m);
    m->rcode = 23; /* BADCOOKIE, with EDNS */
    m->qtype = 65280;
    ev[0] = dns_ev(m, T0_NS);
    dns_parse(dns_r_nx, sizeof dns_r_nx, m2);
    m2->rcode = 12;
    ev[1] = dns_ev(m2, T0_NS + 1000ull);
    add_live_events(fx, ev, 2);
    free(m);
    free(m2);

    root = run_json(fx, &o);
    dns = json_object_get(root, "dns");
    assert_int_equal(json_array_size(dns), 2);
    assert_string_equal(jstr(json_array_get(dns, 0), "rcode"), "BADCOOKIE");
    assert_int_equal(jint(json_array_get(dns, 0), "qtype"), 65280);
    assert_int_equal(jint(json_array_get(dns, 1), "rcode"), 12);
    assert_string_equal(jstr(json_array_get(dns, 1), "qtype"), "AAAA");
    json_decref(root);
}

/* Names from packets are escaped in the text report; empty sections say so. */
static void test_text_sections_escaped_and_empty(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_TEXT, .details = 1};
    struct dis_dns_msg *m = malloc(sizeof *m);
    struct tls_fixture *x = malloc(sizeof *x), y;
    struct dis_event ev, evs[2];

    o.filter.capture_id = fx->cap_live;
    run(fx, &o);
    assert_non_null(strstr(fx->out, "\nTLS (0 connections, 0 established)\n  none\n"));

    /* a self-signed certificate with a terminal escape in its name, for an SNI with one; an
     * encrypted alert from the server */
    assert_non_null(x);
    tls_fixture_12(x);
    x->s.sni = "evil\033[2J.test";
    snprintf(x->leaf.subject, sizeof x->leaf.subject, "CN=evil\033]0;x\a");
    snprintf(x->leaf.issuer, sizeof x->leaf.issuer, "CN=evil\033]0;x\a");
    x->leaf.self_issued = true;
    x->s.n_certs = 1;
    x->s.certs_bad = 0;
    x->s.alert.encrypted = true;
    x->s.alert.from_client = false;
    x->s.alert.level = x->s.alert.desc = 0;
    x->s.chain = DIS_TLS_CHAIN_ERROR;
    snprintf(x->s.verify.errstr, sizeof x->s.verify.errstr, "no trust\033[2J");
    evs[0] = tls_ev(&x->s, 0);
    /* and one whose issuer has RFC 2253 escapes, verified as invalid */
    y = *x;
    y.s.certs[0] = &y.leaf;
    snprintf(y.leaf.subject, sizeof y.leaf.subject, "O=Acme,OU=x+CN=only.example");
    snprintf(y.leaf.issuer, sizeof y.leaf.issuer, "C=US,O=Acme\\2C Ltd,CN=Inspect\\, CA\\\\");
    y.leaf.self_issued = false;
    y.s.chain = DIS_TLS_CHAIN_INVALID;
    snprintf(y.s.verify.errstr, sizeof y.s.verify.errstr, "self-signed certificate in chain");
    y.s.client_hello_ns += 1000;
    evs[1] = tls_ev(&y.s, 0);
    add_live_events(fx, evs, 2);
    free(x);
    run(fx, &o);
    assert_null(strchr(fx->out, '\033'));
    assert_non_null(strstr(fx->out, "  server names: evil\\x1b[2J.test 2\n"));
    assert_non_null(strstr(fx->out, "  certificates: 2 connections showed one (0 valid, 1 invalid, "
                                    "1 not verifiable, 0 not verified)\n"
                                    "    invalid    only.example (Acme), issued by Inspect, "
                                    "CA\\\\ (Acme, Ltd): self-signed certificate in chain (1 "
                                    "connection)\n"
                                    "    error      evil\\x1b]0;x\\x07 (self-issued): no "
                                    "trust\\x1b[2J (1 connection)\n"));
    assert_non_null(strstr(fx->out, "    2 from server: encrypted, during the handshake, e.g. "
                                    "evil\\x1b[2J.test\n"));

    /* an NXDOMAIN for a name whose label holds a terminal escape and a space */
    assert_non_null(m);
    dns_parse(dns_r_nx, sizeof dns_r_nx, m);
    memcpy(m->qname, "evil\033[2J name", sizeof "evil\033[2J name");
    ev = dns_ev(m, T0_NS);
    add_live_events(fx, &ev, 1);
    free(m);

    run(fx, &o);
    assert_null(strchr(fx->out, '\033'));
    assert_non_null(strstr(fx->out, "\nSTUN/TURN (0 messages)\n  none\n"));
    assert_non_null(strstr(fx->out, "    NXDOMAIN  evil\\x1b[2J name  AAAA  1\n"));
}

static void test_text_limit_and_colour(void **state)
{
    struct fixture *fx = *state;
    struct rep_opts o = {.format = REP_TEXT, .color = 1, .max_flows = 2, .details = 1};
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
        cmocka_unit_test_setup_teardown(test_json_stun, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_dns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_dns_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_limit_and_colour, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_sections_escaped_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
