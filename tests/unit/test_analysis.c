/* SPDX-License-Identifier: MIT */
/*
 * test_analysis.c - the analyzer (dissect/analysis.h) rule by rule, from minimal synthetic
 * event sequences built by hand: verdicts (DESIGN.md "Verdicts"), ICE and TURN sessions,
 * routing methods and candidate pairs ("Sessions and methods"), broadcast and direct sessions,
 * and the hosts. The built-in default profile and a one-line issuer list; every record the
 * analyzer emits is recorded by the sink and checked for exact values.
 *
 * Addresses: clients 10.0.0.x, servers 192.0.2.x / 198.51.100.x, remote sites 203.0.113.x.
 * Tests marked BUG fail because of the implementation, not the test (see the comment).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dissect/analysis.h"
#include "dissect/profile.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

#define BLOB_GENERAL "sensoeugeneral.blob.core.windows.net"
#define BLOB_MODULES "sensoeustorage.blob.core.windows.net"
#define BLOB_LOGS "sensologarchivestorage.blob.core.windows.net"
#define STURN_EU "senso-sturn-northeu.cloudapp.net"
#define CLOUD "app.senso.cloud"

/* ------------------------------------------------------------------ the recording sink */

#define MAX_REC 64

struct rec {
    struct dis_session_rec sess[MAX_REC];
    size_t n_sess;
    struct dis_pair_rec pairs[MAX_REC];
    size_t n_pairs;
    struct dis_verdict_rec verd[MAX_REC];
    size_t n_verd;
    struct dis_host_rec hosts[MAX_REC];
    size_t n_hosts;
};

static int rec_session(void *user, const struct dis_session_rec *s)
{
    struct rec *r = user;
    assert_true(r->n_sess < MAX_REC);
    r->sess[r->n_sess++] = *s;
    return 0;
}

static int rec_pair(void *user, const struct dis_pair_rec *p)
{
    struct rec *r = user;
    assert_true(r->n_pairs < MAX_REC);
    r->pairs[r->n_pairs++] = *p;
    return 0;
}

static int rec_verdict(void *user, const struct dis_verdict_rec *v)
{
    struct rec *r = user;
    assert_true(r->n_verd < MAX_REC);
    r->verd[r->n_verd++] = *v;
    return 0;
}

static int rec_host(void *user, const struct dis_host_rec *h)
{
    struct rec *r = user;
    assert_true(r->n_hosts < MAX_REC);
    r->hosts[r->n_hosts++] = *h;
    return 0;
}

struct fx {
    struct dis_profile *prof;
    struct dis_issuers *iss;
    struct dis_ana *a;
    struct rec *r;
};

static int setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->r = calloc(1, sizeof(*x->r));
    assert_non_null(x->r);
    char err[SS_ERRBUF_SIZE];
    assert_int_equal(dis_profile_default(&x->prof, err), 0);
    static const char issuers[] = "Smoothwall\tSmoothwall";
    assert_int_equal(dis_issuers_parse(issuers, sizeof(issuers) - 1, "test", &x->iss, err), 0);
    struct dis_ana_sink sink = {x->r, rec_session, rec_pair, rec_verdict, rec_host};
    x->a = dis_ana_new(NULL, x->prof, x->iss, &sink, err);
    assert_non_null(x->a);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct fx *x = *state;
    dis_ana_free(x->a);
    dis_issuers_free(x->iss);
    dis_profile_free(x->prof);
    free(x->r);
    free(x);
    return 0;
}

/* Replaces the fixture's analyzer: the built-in profile followed by @p extra (more sections,
 * may be NULL) and the thresholds @p o (NULL: the defaults). */
static void remake(struct fx *x, const char *extra, const struct dis_ana_opts *o)
{
    char err[SS_ERRBUF_SIZE];
    dis_ana_free(x->a);
    dis_profile_free(x->prof);
    const char *base = dis_profile_default_text();
    size_t nb = strlen(base), ne = extra ? strlen(extra) : 0;
    char *text = malloc(nb + ne + 1);
    assert_non_null(text);
    memcpy(text, base, nb);
    if (ne)
        memcpy(text + nb, extra, ne);
    text[nb + ne] = 0;
    if (dis_profile_parse(text, nb + ne, "test.ini", &x->prof, err) != 0)
        fail_msg("%s", err);
    free(text);
    struct dis_ana_sink sink = {x->r, rec_session, rec_pair, rec_verdict, rec_host};
    x->a = dis_ana_new(o, x->prof, x->iss, &sink, err);
    assert_non_null(x->a);
}

static void finish(struct fx *x)
{
    assert_int_equal(dis_ana_finish(x->a), 0);
}

/* ------------------------------------------------------------------ builders */

static struct dis_addr ip(const char *s)
{
    struct dis_addr a;
    memset(&a, 0, sizeof(a));
    if (strchr(s, ':')) {
        a.family = 6;
        assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
    } else {
        a.family = 4;
        assert_int_equal(inet_pton(AF_INET, s, a.b), 1);
    }
    return a;
}

static void assert_addr(const struct dis_addr *a, const char *want)
{
    char buf[64];
    dis_addr_str(a, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void assert_ep(const struct dis_ep *e, const char *addr, uint16_t port)
{
    assert_addr(&e->addr, addr);
    assert_int_equal(e->port, port);
}

/* A flow record: the initiator @p o:@p op, the responder @p r:@p rp. */
static struct dis_flow_rec flow(uint64_t id, uint8_t proto, const char *o, uint16_t op,
                                const char *r, uint16_t rp, uint64_t first, uint64_t last)
{
    struct dis_flow_rec f;
    memset(&f, 0, sizeof(f));
    f.id = id;
    f.proto = proto;
    f.orig = ip(o);
    f.resp = ip(r);
    f.ipver = f.orig.family;
    f.orig_port = op;
    f.resp_port = rp;
    f.first_ns = first;
    f.last_ns = last;
    f.rtt_ns = -1;
    f.end = DIS_END_IDLE;
    return f;
}

static void set_pkts(struct dis_flow_rec *f, uint64_t out, uint64_t in)
{
    f->pkts[0] = out;
    f->pkts[1] = in;
    f->bytes[0] = out * 100;
    f->bytes[1] = in * 100;
}

static int feed_flow(struct fx *x, const struct dis_flow_rec *f)
{
    int ri = dis_ana_flow(x->a, f);
    assert_true(ri >= -1);
    return ri;
}

static int rule_idx(struct fx *x, const char *id)
{
    int i = dis_profile_rule_index(x->prof, id);
    assert_true(i >= 0);
    return i;
}

/* A STUN message with transaction id @p tx repeated 12 times. */
static void stun(struct dis_stun_msg *m, uint16_t method, uint8_t cls, uint8_t tx)
{
    memset(m, 0, sizeof(*m));
    m->method = method;
    m->cls = cls;
    m->type = (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                         ((cls & 1) << 4) | ((cls & 2) << 7));
    m->txid_len = 12;
    memset(m->txid, tx, 12);
}

static void stun_user(struct dis_stun_msg *m, const char *u)
{
    m->has_username = true;
    m->username_len = (uint16_t)strlen(u);
    snprintf(m->username, sizeof(m->username), "%s", u);
    m->has_priority = true;
    m->priority = 0x6e7f00ff;
}

static void stun_set_addr(struct dis_stun_addr *sa, const char *a, uint16_t port, uint16_t attr)
{
    sa->addr = ip(a);
    sa->port = port;
    sa->attr = attr;
}

static void stun_error(struct dis_stun_msg *m, uint16_t code)
{
    m->has_error = true;
    m->error_code = code;
}

static void ev_stun_x(struct fx *x, uint64_t flow_id, uint64_t ts, const char *src, uint16_t sp,
                      const char *dst, uint16_t dp, const struct dis_stun_msg *m, bool inner,
                      uint16_t channel)
{
    struct dis_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = DIS_EV_STUN;
    ev.flow_id = flow_id;
    ev.ts_ns = ts;
    ev.transport = 17;
    ev.src = ip(src);
    ev.sport = sp;
    ev.dst = ip(dst);
    ev.dport = dp;
    ev.inner = inner;
    ev.channel = channel;
    ev.u.stun = m;
    assert_int_equal(dis_ana_event(x->a, &ev), 0);
}

static void ev_stun(struct fx *x, uint64_t flow_id, uint64_t ts, const char *src, uint16_t sp,
                    const char *dst, uint16_t dp, const struct dis_stun_msg *m)
{
    ev_stun_x(x, flow_id, ts, src, sp, dst, dp, m, false, 0);
}

/* An ICE check (Binding request with USERNAME) from src to dst and, when @p answered, its
 * success response @p rtt later. */
static void ice_check(struct fx *x, uint64_t flow_id, uint64_t ts, const char *src, uint16_t sp,
                      const char *dst, uint16_t dp, const char *user, uint8_t tx,
                      bool use_candidate, bool answered, uint64_t rtt)
{
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    stun(m, DIS_STUN_BINDING, DIS_STUN_REQUEST, tx);
    stun_user(m, user);
    m->ice_controlling = true;
    m->use_candidate = use_candidate;
    ev_stun(x, flow_id, ts, src, sp, dst, dp, m);
    if (answered) {
        stun(m, DIS_STUN_BINDING, DIS_STUN_SUCCESS, tx);
        m->n_xor_mapped = 1;
        stun_set_addr(&m->xor_mapped[0], src, sp, DIS_STUN_A_XOR_MAPPED_ADDRESS);
        ev_stun(x, flow_id, ts + rtt, dst, dp, src, sp, m);
    }
    free(m);
}

static struct dis_tls_summary tls_summary(void)
{
    struct dis_tls_summary t;
    memset(&t, 0, sizeof(t));
    t.sni = "";
    t.ja3 = "";
    t.server_alpn = "";
    t.ja3s = "";
    t.proxy_target = "";
    return t;
}

static void ev_tls(struct fx *x, uint64_t flow_id, const char *src, uint16_t sp, const char *dst,
                   uint16_t dp, const struct dis_tls_summary *t)
{
    struct dis_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = DIS_EV_TLS;
    ev.flow_id = flow_id;
    ev.ts_ns = t->client_hello_ns;
    ev.transport = 6;
    ev.src = ip(src);
    ev.sport = sp;
    ev.dst = ip(dst);
    ev.dport = dp;
    ev.u.tls = t;
    assert_int_equal(dis_ana_event(x->a, &ev), 0);
}

static struct dis_dns_msg *dns_resp(const char *qname, uint16_t rcode)
{
    struct dis_dns_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    m->qr = true;
    m->rd = m->ra = true;
    m->rcode = rcode;
    m->qdcount = 1;
    m->has_question = true;
    snprintf(m->qname, sizeof(m->qname), "%s", qname);
    m->qtype = DIS_DNS_T_A;
    m->qclass = DIS_DNS_C_IN;
    return m;
}

static void dns_add_a(struct dis_dns_msg *m, const char *addr)
{
    struct dis_dns_rr *rr = &m->answers[m->n_answers++];
    rr->type = DIS_DNS_T_A;
    rr->rclass = DIS_DNS_C_IN;
    rr->ttl = 60;
    rr->rdlength = 4;
    rr->addr = ip(addr);
    m->ancount++;
}

/* The resolver 192.0.2.53:53 answers the client 10.0.0.5:53000. */
static void ev_dns(struct fx *x, uint64_t flow_id, uint64_t ts, const struct dis_dns_msg *m)
{
    struct dis_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = DIS_EV_DNS;
    ev.flow_id = flow_id;
    ev.ts_ns = ts;
    ev.transport = 17;
    ev.src = ip("192.0.2.53");
    ev.sport = 53;
    ev.dst = ip("10.0.0.5");
    ev.dport = 53000;
    ev.u.dns = m;
    assert_int_equal(dis_ana_event(x->a, &ev), 0);
}

/* CONNECT app.senso.cloud:443 from 10.0.0.5:@p sport to the proxy 10.0.0.1:3128, answered
 * @p status at @p ts. */
static void ev_connect(struct fx *x, uint64_t flow_id, uint64_t ts, uint16_t sport, uint16_t status)
{
    struct dis_http_connect_req req;
    struct dis_http_connect_resp resp;
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    snprintf(req.host, sizeof(req.host), "%s", CLOUD);
    req.port = 443;
    req.minor = 1;
    resp.status = status;
    resp.minor = 1;
    if (status == 407) {
        resp.proxy_authenticate = true;
        resp.n_authenticate = 1;
        snprintf(resp.auth_scheme, sizeof(resp.auth_scheme), "Basic");
    }
    struct dis_http_connect_event ce = {&req, &resp};
    struct dis_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = DIS_EV_HTTP_CONNECT;
    ev.flow_id = flow_id;
    ev.ts_ns = ts;
    ev.transport = 6;
    ev.src = ip("10.0.0.5");
    ev.sport = sport;
    ev.dst = ip("10.0.0.1");
    ev.dport = 3128;
    ev.u.connect = &ce;
    assert_int_equal(dis_ana_event(x->a, &ev), 0);
}

static void check_verdict(const struct dis_verdict_rec *v, enum dis_verdict_kind kind,
                          const char *code, enum dis_confidence conf, const char *rule,
                          uint8_t proto, const char *src, uint16_t sport, const char *dst,
                          uint16_t dport, const char *host, uint64_t first_ns, uint64_t flow_id)
{
    assert_int_equal(v->kind, kind);
    assert_string_equal(v->code, code);
    assert_int_equal(v->confidence, conf);
    assert_string_equal(v->rule, rule);
    assert_int_equal(v->proto, proto);
    assert_addr(&v->src, src);
    assert_int_equal(v->sport, sport);
    assert_addr(&v->dst, dst);
    assert_int_equal(v->dport, dport);
    assert_string_equal(v->host, host);
    assert_int_equal(v->first_ns, first_ns);
    assert_int_equal(v->flow_id, flow_id);
    assert_true(v->evidence[0] != 0);
}

static const struct dis_host_rec *find_host(const struct rec *r, const char *addr)
{
    struct dis_addr a = ip(addr);
    for (size_t i = 0; i < r->n_hosts; i++)
        if (dis_addr_cmp(&r->hosts[i].addr, &a) == 0)
            return &r->hosts[i];
    return NULL;
}

/* A TCP flow 10.0.0.5:@p sport -> @p dst:443 with host @p host in state @p st. */
static struct dis_flow_rec tcp443(uint64_t id, uint16_t sport, const char *dst, const char *host,
                                  enum dis_conn_state st, uint64_t out, uint64_t in)
{
    struct dis_flow_rec f = flow(id, 6, "10.0.0.5", sport, dst, 443, T0, T0 + 3 * SEC);
    snprintf(f.host, sizeof(f.host), "%s", host);
    f.state = st;
    set_pkts(&f, out, in);
    return f;
}

/* ------------------------------------------------------------------ 1. tcp_no_answer */

/* BUG: under UBSan (asan-ubsan preset) this and every test that keeps no flow summary abort:
 * ana.c dis_ana_finish() calls qsort(a->fsums.p = NULL, 0, ...) and ana__fsum() bsearch() on
 * the same NULL base; both are declared nonnull. Guard them with "if (a->fsums.n)". */
static void tcp_no_answer_retransmitted(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = tcp443(11, 50000, "192.0.2.10", BLOB_GENERAL, DIS_CS_S0, 3, 0);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "blob-general"));
    finish(x);
    assert_int_equal(x->r->n_sess, 0);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "tcp_no_answer", DIS_CONF_CONFIRMED,
                  "blob-general", 6, "10.0.0.5", 50000, "192.0.2.10", 443, BLOB_GENERAL, T0, 11);
    assert_int_equal(x->r->verd[0].session_id, 0);
    /* the client (a verdict) and the server (a rule's name) are reported */
    const struct dis_host_rec *c = find_host(x->r, "10.0.0.5");
    assert_non_null(c);
    assert_int_equal(c->verdicts, 1);
    assert_true(c->local);
    const struct dis_host_rec *s = find_host(x->r, "192.0.2.10");
    assert_non_null(s);
    assert_int_equal(s->role, DIS_ROLE_SERVER);
    assert_string_equal(s->names, BLOB_GENERAL);
    assert_false(s->local);
}

static void tcp_no_answer_single_syn_cut_off(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = tcp443(12, 50001, "192.0.2.10", BLOB_GENERAL, DIS_CS_S0, 1, 0);
    f.last_ns = T0;
    dis_ana_time(x->a, T0 + 1 * SEC); /* the capture ends 1 s after the SYN */
    feed_flow(x, &f);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
}

static void tcp_no_answer_single_syn_waited(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = tcp443(13, 50002, "192.0.2.10", BLOB_GENERAL, DIS_CS_S0, 1, 0);
    f.last_ns = T0;
    dis_ana_time(x->a, T0 + 5 * SEC);
    feed_flow(x, &f);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "tcp_no_answer", DIS_CONF_SUSPECTED,
                  "blob-general", 6, "10.0.0.5", 50002, "192.0.2.10", 443, BLOB_GENERAL, T0, 13);
}

/* BUG: ana.c flow_verdicts() decides the single-SYN wait when the flow record arrives, against
 * the time seen so far; a later dis_ana_time() (the capture went on: cli/pipeline.c calls it
 * after dis_engine_flush(), just before dis_ana_finish()) is never looked at, so a SYN flushed
 * at the end of a capture that went on 5 s after it gets no verdict. analysis.h: "the waits
 * above are measured against the latest time seen". */
static void tcp_no_answer_single_syn_time_after_flow(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = tcp443(14, 50003, "192.0.2.10", BLOB_GENERAL, DIS_CS_S0, 1, 0);
    f.last_ns = T0;
    f.end = DIS_END_CAPTURE;
    feed_flow(x, &f);
    dis_ana_time(x->a, T0 + 5 * SEC);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "tcp_no_answer", DIS_CONF_SUSPECTED,
                  "blob-general", 6, "10.0.0.5", 50003, "192.0.2.10", 443, BLOB_GENERAL, T0, 14);
}

static void tcp_no_answer_no_rule(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = tcp443(15, 50004, "192.0.2.11", "example.com", DIS_CS_S0, 3, 0);
    assert_int_equal(feed_flow(x, &f), -1);
    /* a profile host on a port no rule names */
    struct dis_flow_rec g = tcp443(16, 50005, "192.0.2.10", BLOB_GENERAL, DIS_CS_S0, 3, 0);
    g.resp_port = 8443;
    assert_int_equal(feed_flow(x, &g), -1);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
    assert_int_equal(x->r->n_sess, 0);
    assert_int_equal(x->r->n_hosts, 0);
}

/* ------------------------------------------------------------------ 2. resets and alerts */

static void tcp_reset_on_connect(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = tcp443(21, 50010, "192.0.2.12", CLOUD, DIS_CS_REJ, 1, 1);
    snprintf(f.history, sizeof(f.history), "Sr");
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "cloud"));
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "tcp_reset_on_connect", DIS_CONF_CONFIRMED,
                  "cloud", 6, "10.0.0.5", 50010, "192.0.2.12", 443, CLOUD, T0, 21);
}

static void tcp_reset_after_hello(void **state)
{
    struct fx *x = *state;
    struct dis_tls_summary t = tls_summary();
    t.has_client_hello = true;
    t.client_hellos = 1;
    t.client_hello_ns = T0 + 2 * MS;
    t.sni = BLOB_MODULES;
    t.client_version = 0x0303;
    t.client_max_version = 0x0304;
    ev_tls(x, 22, "10.0.0.5", 50011, "192.0.2.13", 443, &t);
    struct dis_flow_rec f = tcp443(22, 50011, "192.0.2.13", BLOB_MODULES, DIS_CS_RSTR, 3, 2);
    snprintf(f.history, sizeof(f.history), "ShADr");
    f.rtt_ns = 1 * MS;
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "blob-modules"));
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "tcp_reset_after_hello", DIS_CONF_CONFIRMED,
                  "blob-modules", 6, "10.0.0.5", 50011, "192.0.2.13", 443, BLOB_MODULES,
                  T0 + 2 * MS, 22);
}

static void tcp_reset_after_server_hello_is_not(void **state)
{
    struct fx *x = *state;
    struct dis_tls_summary t = tls_summary();
    t.has_client_hello = true;
    t.client_hello_ns = T0 + 2 * MS;
    t.has_server_hello = true;
    t.server_hello_ns = T0 + 4 * MS;
    t.selected_version = 0x0303;
    t.sni = BLOB_MODULES;
    ev_tls(x, 23, "10.0.0.5", 50012, "192.0.2.13", 443, &t);
    struct dis_flow_rec f = tcp443(23, 50012, "192.0.2.13", BLOB_MODULES, DIS_CS_RSTR, 3, 3);
    snprintf(f.history, sizeof(f.history), "ShADdr");
    feed_flow(x, &f);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
}

static void tls_alert(void **state)
{
    struct fx *x = *state;
    struct dis_tls_summary t = tls_summary();
    t.has_client_hello = true;
    t.client_hello_ns = T0 + 2 * MS;
    t.has_server_hello = true;
    t.server_hello_ns = T0 + 4 * MS;
    t.selected_version = 0x0303;
    t.sni = CLOUD;
    t.alerts = 1;
    t.alert.seen = true;
    t.alert.before_established = true;
    t.alert.level = 2;
    t.alert.desc = 40; /* handshake_failure */
    t.alert.ts_ns = T0 + 5 * MS;
    ev_tls(x, 24, "10.0.0.5", 50013, "192.0.2.14", 443, &t);
    struct dis_flow_rec f = tcp443(24, 50013, "192.0.2.14", CLOUD, DIS_CS_SF, 5, 4);
    feed_flow(x, &f);

    /* a fatal alert from the client, and a warning from the server: no verdict */
    t.alert.from_client = true;
    ev_tls(x, 25, "10.0.0.5", 50014, "192.0.2.14", 443, &t);
    struct dis_flow_rec g = tcp443(25, 50014, "192.0.2.14", CLOUD, DIS_CS_SF, 5, 4);
    feed_flow(x, &g);
    t.alert.from_client = false;
    t.alert.level = 1;
    t.alert.desc = 0;
    ev_tls(x, 26, "10.0.0.5", 50015, "192.0.2.14", 443, &t);
    struct dis_flow_rec h = tcp443(26, 50015, "192.0.2.14", CLOUD, DIS_CS_SF, 5, 4);
    feed_flow(x, &h);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "tls_alert", DIS_CONF_CONFIRMED, "cloud", 6,
                  "10.0.0.5", 50013, "192.0.2.14", 443, CLOUD, T0 + 5 * MS, 24);
}

/* ------------------------------------------------------------------ 3. icmp_unreachable */

static struct dis_flow_rec icmp_flow(uint64_t id, const char *src, const char *dst,
                                     const char *from, uint8_t type, uint8_t code)
{
    struct dis_flow_rec f = flow(id, 6, src, 50020, dst, 443, T0, T0);
    snprintf(f.host, sizeof(f.host), "%s", BLOB_LOGS);
    f.state = DIS_CS_S0;
    set_pkts(&f, 1, 0);
    f.icmp_errors = 1;
    f.icmp_type = type;
    f.icmp_code = code;
    f.icmp_from = ip(from);
    f.icmp_first_ns = T0 + 1 * MS;
    return f;
}

static void icmp_unreachable(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = icmp_flow(31, "10.0.0.5", "192.0.2.15", "10.0.0.1", 3, 13);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "blob-logs"));
    struct dis_flow_rec g = icmp_flow(32, "10.0.0.5", "192.0.2.15", "192.0.2.1", 3, 3);
    feed_flow(x, &g);
    struct dis_flow_rec h = icmp_flow(33, "fd00::5", "2001:db8::15", "fd00::1", 1, 1);
    assert_int_equal(h.ipver, 6);
    assert_int_equal(feed_flow(x, &h), rule_idx(x, "blob-logs"));
    /* IPv6 port unreachable: suspected */
    struct dis_flow_rec k = icmp_flow(34, "fd00::5", "2001:db8::15", "2001:db8::15", 1, 4);
    feed_flow(x, &k);
    finish(x);
    assert_int_equal(x->r->n_verd, 4);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "icmp_unreachable", DIS_CONF_CONFIRMED,
                  "blob-logs", 6, "10.0.0.5", 50020, "192.0.2.15", 443, BLOB_LOGS, T0, 31);
    check_verdict(&x->r->verd[1], DIS_VK_BLOCKED, "icmp_unreachable", DIS_CONF_SUSPECTED,
                  "blob-logs", 6, "10.0.0.5", 50020, "192.0.2.15", 443, BLOB_LOGS, T0, 32);
    check_verdict(&x->r->verd[2], DIS_VK_BLOCKED, "icmp_unreachable", DIS_CONF_CONFIRMED,
                  "blob-logs", 6, "fd00::5", 50020, "2001:db8::15", 443, BLOB_LOGS, T0, 33);
    check_verdict(&x->r->verd[3], DIS_VK_BLOCKED, "icmp_unreachable", DIS_CONF_SUSPECTED,
                  "blob-logs", 6, "fd00::5", 50020, "2001:db8::15", 443, BLOB_LOGS, T0, 34);
}

/* ------------------------------------------------------------------ 4. udp_no_answer (STUN) */

static void stun_binding_to_server(struct fx *x, uint64_t flow_id, int n, bool answered)
{
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    for (int i = 0; i < n; i++) {
        stun(m, DIS_STUN_BINDING, DIS_STUN_REQUEST, (uint8_t)(0x40 + i));
        ev_stun(x, flow_id, T0 + (uint64_t)i * 500 * MS, "10.0.0.5", 40000, "192.0.2.20", 3478, m);
    }
    if (answered) {
        stun(m, DIS_STUN_BINDING, DIS_STUN_SUCCESS, (uint8_t)(0x40 + n - 1));
        m->n_xor_mapped = 1;
        stun_set_addr(&m->xor_mapped[0], "203.0.113.11", 40000, DIS_STUN_A_XOR_MAPPED_ADDRESS);
        ev_stun(x, flow_id, T0 + (uint64_t)(n - 1) * 500 * MS + 20 * MS, "192.0.2.20", 3478,
                "10.0.0.5", 40000, m);
    }
    free(m);
    struct dis_flow_rec f =
        flow(flow_id, 17, "10.0.0.5", 40000, "192.0.2.20", 3478, T0, T0 + (uint64_t)n * SEC);
    snprintf(f.host, sizeof(f.host), "%s", STURN_EU);
    set_pkts(&f, (uint64_t)n, answered ? 1 : 0);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "sturn-eu"));
}

static void udp_no_answer_stun_server(void **state)
{
    struct fx *x = *state;
    stun_binding_to_server(x, 41, 3, false);
    finish(x);
    assert_int_equal(x->r->n_sess, 0);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_CONFIRMED, "sturn-eu",
                  17, "10.0.0.5", 40000, "192.0.2.20", 3478, STURN_EU, T0, 41);
}

static void udp_answered_stun_server(void **state)
{
    struct fx *x = *state;
    stun_binding_to_server(x, 42, 3, true);
    finish(x);
    assert_int_equal(x->r->n_sess, 0);
    assert_int_equal(x->r->n_verd, 0);
}

static void udp_no_answer_single_request(void **state)
{
    struct fx *x = *state;
    dis_ana_time(x->a, T0 + 5 * SEC);
    stun_binding_to_server(x, 43, 1, false);
    /* the same, cut off by the end of the capture 1 s later: in flight */
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    stun(m, DIS_STUN_BINDING, DIS_STUN_REQUEST, 0x50);
    ev_stun(x, 44, T0 + 4 * SEC, "10.0.0.5", 40001, "192.0.2.20", 3478, m);
    free(m);
    struct dis_flow_rec f =
        flow(44, 17, "10.0.0.5", 40001, "192.0.2.20", 3478, T0 + 4 * SEC, T0 + 4 * SEC);
    snprintf(f.host, sizeof(f.host), "%s", STURN_EU);
    set_pkts(&f, 1, 0);
    feed_flow(x, &f);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_SUSPECTED, "sturn-eu",
                  17, "10.0.0.5", 40000, "192.0.2.20", 3478, STURN_EU, T0, 43);
}

/* BUG: as tcp_no_answer_single_syn_time_after_flow, for one unanswered STUN request: ana.c
 * flow_verdicts() measures the wait when the flow record arrives, not at dis_ana_finish(). */
static void udp_no_answer_single_request_time_after_flow(void **state)
{
    struct fx *x = *state;
    stun_binding_to_server(x, 45, 1, false);
    dis_ana_time(x->a, T0 + 5 * SEC);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_SUSPECTED, "sturn-eu",
                  17, "10.0.0.5", 40000, "192.0.2.20", 3478, STURN_EU, T0, 45);
}

/* ------------------------------------------------------------------ 5. dns_failure */

static void dns_failure(void **state)
{
    struct fx *x = *state;
    struct dis_dns_msg *m = dns_resp(BLOB_MODULES, DIS_DNS_RCODE_NXDOMAIN);
    ev_dns(x, 51, T0 + 1 * MS, m);
    free(m);
    m = dns_resp(BLOB_LOGS, DIS_DNS_RCODE_NOERROR);
    dns_add_a(m, "0.0.0.0");
    ev_dns(x, 52, T0 + 2 * MS, m);
    free(m);
    m = dns_resp("example.com", DIS_DNS_RCODE_NXDOMAIN);
    ev_dns(x, 53, T0 + 3 * MS, m);
    free(m);
    m = dns_resp(BLOB_GENERAL, DIS_DNS_RCODE_NOERROR);
    dns_add_a(m, "192.0.2.10");
    ev_dns(x, 54, T0 + 4 * MS, m);
    free(m);
    /* a query (not a response) with an error code set is not a failure */
    m = dns_resp(BLOB_GENERAL, DIS_DNS_RCODE_NXDOMAIN);
    m->qr = false;
    ev_dns(x, 55, T0 + 5 * MS, m);
    free(m);
    finish(x);
    assert_int_equal(x->r->n_verd, 2);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "dns_failure", DIS_CONF_CONFIRMED, "blob-modules",
                  17, "10.0.0.5", 53000, "192.0.2.53", 53, BLOB_MODULES, T0 + 1 * MS, 51);
    check_verdict(&x->r->verd[1], DIS_VK_BLOCKED, "dns_failure", DIS_CONF_CONFIRMED, "blob-logs",
                  17, "10.0.0.5", 53000, "192.0.2.53", 53, BLOB_LOGS, T0 + 2 * MS, 52);
    const struct dis_host_rec *c = find_host(x->r, "10.0.0.5");
    assert_non_null(c);
    assert_int_equal(c->verdicts, 2);
}

static void dns_servfail_refused(void **state)
{
    struct fx *x = *state;
    struct dis_dns_msg *m = dns_resp(CLOUD, DIS_DNS_RCODE_SERVFAIL);
    ev_dns(x, 56, T0 + 1 * MS, m);
    free(m);
    m = dns_resp(STURN_EU, DIS_DNS_RCODE_REFUSED);
    ev_dns(x, 57, T0 + 2 * MS, m);
    free(m);
    finish(x);
    assert_int_equal(x->r->n_verd, 2);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "dns_failure", DIS_CONF_CONFIRMED, "cloud", 17,
                  "10.0.0.5", 53000, "192.0.2.53", 53, CLOUD, T0 + 1 * MS, 56);
    check_verdict(&x->r->verd[1], DIS_VK_BLOCKED, "dns_failure", DIS_CONF_CONFIRMED, "sturn-eu", 17,
                  "10.0.0.5", 53000, "192.0.2.53", 53, STURN_EU, T0 + 2 * MS, 57);
}

/* ------------------------------------------------------------------ 6. proxy */

static struct dis_flow_rec proxy_flow(uint64_t id, uint16_t sport)
{
    struct dis_flow_rec f = flow(id, 6, "10.0.0.5", sport, "10.0.0.1", 3128, T0, T0 + 2 * SEC);
    snprintf(f.host, sizeof(f.host), "%s", CLOUD);
    f.state = DIS_CS_SF;
    f.rtt_ns = 1 * MS;
    set_pkts(&f, 10, 10);
    return f;
}

static void proxy_auth_and_explicit(void **state)
{
    struct fx *x = *state;
    ev_connect(x, 61, T0 + 10 * MS, 50060, 407);
    struct dis_flow_rec f = proxy_flow(61, 50060);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "cloud"));
    ev_connect(x, 62, T0 + 20 * MS, 50061, 200);
    struct dis_flow_rec g = proxy_flow(62, 50061);
    assert_int_equal(feed_flow(x, &g), rule_idx(x, "cloud"));
    finish(x);
    assert_int_equal(x->r->n_verd, 2);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "proxy_auth_required", DIS_CONF_CONFIRMED,
                  "cloud", 6, "10.0.0.5", 50060, "10.0.0.1", 3128, CLOUD, T0 + 10 * MS, 61);
    check_verdict(&x->r->verd[1], DIS_VK_INSPECTED, "explicit_proxy", DIS_CONF_CONFIRMED, "cloud",
                  6, "10.0.0.5", 50061, "10.0.0.1", 3128, CLOUD, T0 + 20 * MS, 62);
    /* the client talked to the cloud rule (through the proxy): a product host */
    const struct dis_host_rec *c = find_host(x->r, "10.0.0.5");
    assert_non_null(c);
    assert_int_equal(c->role, DIS_ROLE_CLIENT);
}

static void proxy_407_then_200_same_flow(void **state)
{
    struct fx *x = *state;
    ev_connect(x, 63, T0 + 10 * MS, 50062, 407);
    ev_connect(x, 63, T0 + 30 * MS, 50062, 200);
    struct dis_flow_rec f = proxy_flow(63, 50062);
    feed_flow(x, &f);
    finish(x);
    assert_int_equal(x->r->n_verd, 2);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "proxy_auth_required", DIS_CONF_CONFIRMED,
                  "cloud", 6, "10.0.0.5", 50062, "10.0.0.1", 3128, CLOUD, T0 + 10 * MS, 63);
    check_verdict(&x->r->verd[1], DIS_VK_INSPECTED, "explicit_proxy", DIS_CONF_CONFIRMED, "cloud",
                  6, "10.0.0.5", 50062, "10.0.0.1", 3128, CLOUD, T0 + 10 * MS, 63);
}

static void proxy_denied(void **state)
{
    struct fx *x = *state;
    ev_connect(x, 64, T0 + 10 * MS, 50063, 403);
    struct dis_flow_rec f = proxy_flow(64, 50063);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "cloud"));
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "proxy_denied", DIS_CONF_CONFIRMED, "cloud", 6,
                  "10.0.0.5", 50063, "10.0.0.1", 3128, CLOUD, T0 + 10 * MS, 64);
}

/* ------------------------------------------------------------------ 7. certificates */

static void cert_verdicts(struct fx *x, uint64_t id, int verify_error)
{
    static struct dis_tls_cert_info cert; /* read-only once set; shared like the engine's */
    memset(&cert, 0, sizeof(cert));
    snprintf(cert.subject, sizeof(cert.subject), "CN=%s", CLOUD);
    snprintf(cert.issuer, sizeof(cert.issuer),
             "CN=Smoothwall Filter CA,OU=Web Filter,O=Smoothwall Ltd,C=GB");
    struct dis_tls_summary t = tls_summary();
    t.has_client_hello = true;
    t.client_hello_ns = T0 + 2 * MS;
    t.sni = CLOUD;
    t.has_server_hello = true;
    t.server_hello_ns = T0 + 4 * MS;
    t.server_version = t.selected_version = 0x0303;
    t.established = true;
    t.established_ns = T0 + 6 * MS;
    t.n_certs = 1;
    t.certs_total = 1;
    t.certs[0] = &cert;
    t.chain = DIS_TLS_CHAIN_INVALID;
    t.verify.ok = false;
    t.verify.error = verify_error;
    snprintf(t.verify.errstr, sizeof(t.verify.errstr), "%s",
             verify_error == 62 ? "hostname mismatch" : "unable to get local issuer certificate");
    ev_tls(x, id, "10.0.0.5", 50070, "192.0.2.16", 443, &t);
    struct dis_flow_rec f = flow(id, 6, "10.0.0.5", 50070, "192.0.2.16", 443, T0, T0 + 5 * SEC);
    snprintf(f.host, sizeof(f.host), "%s", CLOUD);
    f.state = DIS_CS_SF;
    f.rtt_ns = 1 * MS;
    f.ttl_max[1] = f.ttl_min[1] = 63;
    set_pkts(&f, 10, 10);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "cloud"));
    finish(x);
}

static void cert_untrusted_inspection_issuer(void **state)
{
    struct fx *x = *state;
    cert_verdicts(x, 71, 20);
    assert_int_equal(x->r->n_verd, 2);
    check_verdict(&x->r->verd[0], DIS_VK_INSPECTED, "untrusted_issuer", DIS_CONF_CONFIRMED, "cloud",
                  6, "10.0.0.5", 50070, "192.0.2.16", 443, CLOUD, T0 + 4 * MS, 71);
    check_verdict(&x->r->verd[1], DIS_VK_INSPECTED, "inspection_issuer", DIS_CONF_CONFIRMED,
                  "cloud", 6, "10.0.0.5", 50070, "192.0.2.16", 443, CLOUD, T0 + 4 * MS, 71);
    assert_non_null(strstr(x->r->verd[1].evidence, "Smoothwall"));
}

static void cert_name_mismatch(void **state)
{
    struct fx *x = *state;
    cert_verdicts(x, 72, 62);
    assert_int_equal(x->r->n_verd, 2);
    check_verdict(&x->r->verd[0], DIS_VK_INSPECTED, "name_mismatch", DIS_CONF_CONFIRMED, "cloud", 6,
                  "10.0.0.5", 50070, "192.0.2.16", 443, CLOUD, T0 + 4 * MS, 72);
    check_verdict(&x->r->verd[1], DIS_VK_INSPECTED, "inspection_issuer", DIS_CONF_CONFIRMED,
                  "cloud", 6, "10.0.0.5", 50070, "192.0.2.16", 443, CLOUD, T0 + 4 * MS, 72);
}

/* ------------------------------------------------------------------ 8. TLS 1.3 heuristics */

/* A TLS 1.3 flow 10.0.0.5:@p sport -> @p dst:443: SYN->SYN-ACK @p rtt, ClientHello ->
 * ServerHello @p hello, server TTL @p ttl. */
static void tls13_flow(struct fx *x, uint64_t id, uint16_t sport, const char *dst, const char *host,
                       uint8_t ttl, int64_t rtt, uint64_t hello)
{
    uint64_t first = T0 + id * SEC;
    struct dis_tls_summary t = tls_summary();
    t.has_client_hello = true;
    t.client_hello_ns = first + (uint64_t)rtt + 1 * MS;
    t.sni = host;
    t.client_version = 0x0303;
    t.client_max_version = 0x0304;
    t.has_server_hello = true;
    t.server_hello_ns = t.client_hello_ns + hello;
    t.server_version = 0x0303;
    t.selected_version = 0x0304;
    t.established = true;
    ev_tls(x, id, "10.0.0.5", sport, dst, 443, &t);
    struct dis_flow_rec f = flow(id, 6, "10.0.0.5", sport, dst, 443, first, first + 2 * SEC);
    snprintf(f.host, sizeof(f.host), "%s", host);
    f.state = DIS_CS_SF;
    f.rtt_ns = rtt;
    f.ttl_min[0] = f.ttl_max[0] = 64;
    f.ttl_min[1] = f.ttl_max[1] = ttl;
    set_pkts(&f, 12, 14);
    feed_flow(x, &f);
}

static void tls13_baseline(struct fx *x, int servers)
{
    static const char *const addr[] = {"192.0.2.31", "192.0.2.32", "198.51.100.33"};
    static const char *const name[] = {"www.example.org", "www.example.net", "www.example.com"};
    for (int i = 0; i < servers; i++)
        tls13_flow(x, (uint64_t)(81 + i), (uint16_t)(50081 + i), addr[i], name[i], 63,
                   (int64_t)(1 * MS), 2 * MS);
}

static void tls13_ttl_rtt_anomaly(void **state)
{
    struct fx *x = *state;
    tls13_baseline(x, 3);
    tls13_flow(x, 85, 50085, "198.51.100.40", CLOUD, 64, 50000, 20 * MS);
    finish(x);
    assert_int_equal(x->r->n_verd, 2);
    check_verdict(&x->r->verd[0], DIS_VK_INSPECTED, "ttl_anomaly", DIS_CONF_SUSPECTED, "cloud", 6,
                  "10.0.0.5", 50085, "198.51.100.40", 443, CLOUD, T0 + 85 * SEC, 85);
    check_verdict(&x->r->verd[1], DIS_VK_INSPECTED, "rtt_anomaly", DIS_CONF_SUSPECTED, "cloud", 6,
                  "10.0.0.5", 50085, "198.51.100.40", 443, CLOUD, T0 + 85 * SEC, 85);
}

static void tls13_normal(void **state)
{
    struct fx *x = *state;
    tls13_baseline(x, 3);
    tls13_flow(x, 85, 50085, "198.51.100.40", CLOUD, 63, (int64_t)(1 * MS), 2 * MS);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
}

static void tls13_no_baseline(void **state)
{
    struct fx *x = *state;
    tls13_baseline(x, 1);
    tls13_flow(x, 85, 50085, "198.51.100.40", CLOUD, 64, 50000, 20 * MS);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
}

/* ------------------------------------------------------------------ 9. turn_error */

#define TURN_FLOW 91
#define CLI "10.0.0.5"
#define SRV "198.51.100.10"

/* Allocate on 10.0.0.5:5000 <-> 198.51.100.10:3478 (flow @p id): answered with @p err, or
 * (0) with success: relayed 198.51.100.10:50000, mapped 203.0.113.10:5000, lifetime 600. */
static void allocate(struct fx *x, uint64_t id, uint16_t err)
{
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    stun(m, DIS_STUN_ALLOCATE, DIS_STUN_REQUEST, 0x11);
    m->has_requested_transport = true;
    m->requested_transport = 17;
    ev_stun(x, id, T0, CLI, 5000, SRV, 3478, m);
    if (err) {
        stun(m, DIS_STUN_ALLOCATE, DIS_STUN_ERROR, 0x11);
        stun_error(m, err);
        ev_stun(x, id, T0 + 10 * MS, SRV, 3478, CLI, 5000, m);
    } else {
        stun(m, DIS_STUN_ALLOCATE, DIS_STUN_SUCCESS, 0x11);
        m->n_relayed = 1;
        stun_set_addr(&m->relayed[0], SRV, 50000, DIS_STUN_A_XOR_RELAYED_ADDRESS);
        m->n_xor_mapped = 1;
        stun_set_addr(&m->xor_mapped[0], "203.0.113.10", 5000, DIS_STUN_A_XOR_MAPPED_ADDRESS);
        m->has_lifetime = true;
        m->lifetime = 600;
        ev_stun(x, id, T0 + 10 * MS, SRV, 3478, CLI, 5000, m);
    }
    free(m);
}

static void turn_peer_request(struct fx *x, uint64_t id, uint16_t method, uint8_t tx,
                              const char *peer, uint16_t port, uint16_t channel, uint16_t err)
{
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    stun(m, method, DIS_STUN_REQUEST, tx);
    m->n_peer = 1;
    stun_set_addr(&m->peer[0], peer, port, DIS_STUN_A_XOR_PEER_ADDRESS);
    if (channel) {
        m->has_channel_number = true;
        m->channel_number = channel;
    }
    ev_stun(x, id, T0 + 20 * MS, CLI, 5000, SRV, 3478, m);
    stun(m, method, err ? DIS_STUN_ERROR : DIS_STUN_SUCCESS, tx);
    if (err)
        stun_error(m, err);
    ev_stun(x, id, T0 + 30 * MS, SRV, 3478, CLI, 5000, m);
    free(m);
}

static void turn_flow_end(struct fx *x, uint64_t id, uint64_t channeldata)
{
    struct dis_flow_rec f = flow(id, 17, CLI, 5000, SRV, 3478, T0, T0 + 10 * SEC);
    snprintf(f.host, sizeof(f.host), "%s", STURN_EU);
    set_pkts(&f, 20, 20);
    f.channeldata = channeldata;
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "sturn-eu"));
}

/* 486 Allocation Quota Reached, 508 Insufficient Capacity, 437 Allocation Mismatch: the
 * server's limits or the client's state, not a firewall: suspected at most, the reason in the
 * evidence. */
static void turn_error_486(void **state)
{
    struct fx *x = *state;
    allocate(x, TURN_FLOW, 486);
    turn_flow_end(x, TURN_FLOW, 0);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "turn_error", DIS_CONF_SUSPECTED, "sturn-eu", 17,
                  CLI, 5000, SRV, 3478, STURN_EU, T0, TURN_FLOW);
    assert_string_equal(x->r->verd[0].evidence,
                        "TURN error 486 on method 0x003 (Allocation Quota Reached: the server's "
                        "limit of allocations for this user, not a firewall block)");
    assert_int_equal(x->r->n_sess, 1);
    const struct dis_session_rec *s = &x->r->sess[0];
    assert_int_equal(s->kind, DIS_SESS_TURN);
    assert_int_equal(s->method, 0);
    assert_int_equal(s->errors, 1);
    assert_int_equal(s->last_error, 486);
    assert_int_equal(s->relayed.addr.family, 0);
}

static void turn_error_508_437(void **state)
{
    struct fx *x = *state;
    allocate(x, TURN_FLOW, 508);
    turn_flow_end(x, TURN_FLOW, 0);
    allocate(x, TURN_FLOW + 1, 437);
    turn_flow_end(x, TURN_FLOW + 1, 0);
    /* with an error a network can cause beside it, the flow's verdict is confirmed */
    allocate(x, TURN_FLOW + 2, 0);
    turn_peer_request(x, TURN_FLOW + 2, DIS_STUN_CREATEPERMISSION, 0x12, "203.0.113.50", 0, 0, 403);
    turn_peer_request(x, TURN_FLOW + 2, DIS_STUN_REFRESH, 0x13, "203.0.113.50", 0, 0, 437);
    turn_flow_end(x, TURN_FLOW + 2, 0);
    finish(x);
    assert_int_equal(x->r->n_verd, 3);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "turn_error", DIS_CONF_SUSPECTED, "sturn-eu", 17,
                  CLI, 5000, SRV, 3478, STURN_EU, T0, TURN_FLOW);
    assert_non_null(strstr(x->r->verd[0].evidence, "TURN error 508 on method 0x003 (Insufficient "
                                                   "Capacity"));
    check_verdict(&x->r->verd[1], DIS_VK_BLOCKED, "turn_error", DIS_CONF_SUSPECTED, "sturn-eu", 17,
                  CLI, 5000, SRV, 3478, STURN_EU, T0, TURN_FLOW + 1);
    assert_non_null(strstr(x->r->verd[1].evidence, "TURN error 437 on method 0x003 (Allocation "
                                                   "Mismatch"));
    check_verdict(&x->r->verd[2], DIS_VK_BLOCKED, "turn_error", DIS_CONF_CONFIRMED, "sturn-eu", 17,
                  CLI, 5000, SRV, 3478, STURN_EU, T0, TURN_FLOW + 2);
    assert_non_null(strstr(x->r->verd[2].evidence, "TURN error 403 on method 0x008; TURN error "
                                                   "437 on method 0x004"));
}

static void turn_401_challenge(void **state)
{
    struct fx *x = *state;
    allocate(x, TURN_FLOW, 401);
    turn_flow_end(x, TURN_FLOW, 0);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
    assert_int_equal(x->r->n_sess, 1);
    assert_int_equal(x->r->sess[0].errors, 0);
}

static void turn_403_private_peer(void **state)
{
    struct fx *x = *state;
    allocate(x, TURN_FLOW, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CREATEPERMISSION, 0x12, "192.168.1.20", 0, 0, 403);
    turn_flow_end(x, TURN_FLOW, 0);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
}

static void turn_403_public_peer(void **state)
{
    struct fx *x = *state;
    allocate(x, TURN_FLOW, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CREATEPERMISSION, 0x12, "203.0.113.50", 0, 0, 403);
    turn_flow_end(x, TURN_FLOW, 0);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "turn_error", DIS_CONF_CONFIRMED, "sturn-eu", 17,
                  CLI, 5000, SRV, 3478, STURN_EU, T0, TURN_FLOW);
    assert_non_null(strstr(x->r->verd[0].evidence, "403"));
}

/* ------------------------------------------------------------------ 10. ICE */

static void udp_flow_end(struct fx *x, uint64_t id, const char *o, uint16_t op, const char *r,
                         uint16_t rp, uint64_t first, uint64_t out, uint64_t in, const char *host)
{
    struct dis_flow_rec f = flow(id, 17, o, op, r, rp, first, first + 10 * SEC);
    set_pkts(&f, out, in);
    snprintf(f.host, sizeof(f.host), "%s", host ? host : "");
    feed_flow(x, &f);
}

static void check_session(const struct dis_session_rec *s, uint64_t id, enum dis_sess_kind kind,
                          uint8_t method, enum dis_submethod sub, uint8_t proto)
{
    assert_int_equal(s->id, id);
    assert_int_equal(s->kind, kind);
    assert_int_equal(s->method, method);
    assert_int_equal(s->sub, sub);
    assert_int_equal(s->proto, proto);
    assert_true(s->explanation[0] != 0);
}

static void ice_lan_host(void **state)
{
    struct fx *x = *state;
    ice_check(x, 101, T0, "10.0.0.5", 5000, "10.0.0.6", 6000, "aaaa:bbbb", 0x01, false, true,
              1 * MS);
    ice_check(x, 101, T0 + 50 * MS, "10.0.0.5", 5000, "10.0.0.6", 6000, "aaaa:bbbb", 0x02, true,
              true, 2 * MS);
    udp_flow_end(x, 101, "10.0.0.5", 5000, "10.0.0.6", 6000, T0, 100, 90, NULL);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    const struct dis_session_rec *s = &x->r->sess[0];
    check_session(s, 1, DIS_SESS_ICE, 2, DIS_SUB_HOST, 17);
    assert_true(s->has_selected);
    assert_ep(&s->sel_local, "10.0.0.5", 5000);
    assert_ep(&s->sel_remote, "10.0.0.6", 6000);
    assert_addr(&s->client, "10.0.0.5");
    assert_addr(&s->peer, "10.0.0.6");
    assert_int_equal(s->server.addr.family, 0);
    assert_string_equal(s->ufrags, "aaaa:bbbb");
    assert_int_equal(s->first_ns, T0);
    assert_int_equal(s->last_ns, T0 + 52 * MS);
    assert_int_equal(s->bytes, 19000);
    assert_int_equal(s->link_id, 0);
    assert_int_equal(x->r->n_pairs, 1);
    const struct dis_pair_rec *p = &x->r->pairs[0];
    assert_int_equal(p->session_id, 1);
    assert_int_equal(p->proto, 17);
    assert_false(p->relayed);
    assert_ep(&p->local, "10.0.0.5", 5000);
    assert_ep(&p->remote, "10.0.0.6", 6000);
    assert_int_equal(p->requests, 2);
    assert_int_equal(p->successes, 2);
    assert_int_equal(p->errors, 0);
    assert_true(p->nominated);
    assert_true(p->selected);
    assert_int_equal(p->rtt_ns, 1 * MS);
    assert_int_equal(p->first_ns, T0);
    assert_int_equal(p->last_ns, T0 + 52 * MS);
    assert_int_equal(x->r->n_verd, 0);
    const struct dis_host_rec *h = find_host(x->r, "10.0.0.6");
    assert_non_null(h);
    assert_int_equal(h->methods, 1u << 2);
}

/* The ufrags are unordered: "bbbb:aaaa" from the other side is the same session. */
static void ice_ufrags_unordered(void **state)
{
    struct fx *x = *state;
    ice_check(x, 102, T0, "10.0.0.5", 5000, "10.0.0.6", 6000, "bbbb:aaaa", 0x01, false, true,
              1 * MS);
    ice_check(x, 102, T0 + 10 * MS, "10.0.0.6", 6000, "10.0.0.5", 5000, "aaaa:bbbb", 0x02, true,
              true, 1 * MS);
    udp_flow_end(x, 102, "10.0.0.5", 5000, "10.0.0.6", 6000, T0, 100, 90, NULL);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    assert_string_equal(x->r->sess[0].ufrags, "aaaa:bbbb");
    assert_int_equal(x->r->n_pairs, 1);
    assert_int_equal(x->r->pairs[0].requests, 2);
    assert_int_equal(x->r->pairs[0].successes, 2);
    assert_true(x->r->pairs[0].nominated);
}

static void ice_srflx(void **state)
{
    struct fx *x = *state;
    /* the remote checks first: the local end is still reported as local */
    ice_check(x, 103, T0, "203.0.113.50", 7000, "10.0.0.5", 5000, "aaaa:bbbb", 0x01, false, true,
              30 * MS);
    ice_check(x, 103, T0 + 100 * MS, "10.0.0.5", 5000, "203.0.113.50", 7000, "bbbb:aaaa", 0x02,
              true, true, 30 * MS);
    udp_flow_end(x, 103, "10.0.0.5", 5000, "203.0.113.50", 7000, T0, 100, 90, NULL);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    const struct dis_session_rec *s = &x->r->sess[0];
    check_session(s, 1, DIS_SESS_ICE, 2, DIS_SUB_SRFLX, 17);
    assert_ep(&s->sel_local, "10.0.0.5", 5000);
    assert_ep(&s->sel_remote, "203.0.113.50", 7000);
    assert_addr(&s->client, "10.0.0.5");
    assert_addr(&s->peer, "203.0.113.50");
    assert_int_equal(x->r->n_pairs, 1);
    assert_ep(&x->r->pairs[0].local, "10.0.0.5", 5000);
    assert_ep(&x->r->pairs[0].remote, "203.0.113.50", 7000);
    assert_true(x->r->pairs[0].selected);
    assert_int_equal(x->r->pairs[0].rtt_ns, 30 * MS);
    assert_int_equal(x->r->n_verd, 0);
}

/* (c): an allocation on 10.0.0.5:5000 <-> 198.51.100.10:3478, channel 0x4000 to the peer
 * 203.0.113.50:7000, and a nominated check relayed through it. */
static void relayed_base(struct fx *x)
{
    allocate(x, TURN_FLOW, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x12, "203.0.113.50", 7000, 0x4000, 0);
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    stun(m, DIS_STUN_BINDING, DIS_STUN_REQUEST, 0x13);
    stun_user(m, "aaaa:bbbb");
    m->ice_controlling = true;
    m->use_candidate = true;
    ev_stun_x(x, TURN_FLOW, T0 + 100 * MS, CLI, 5000, SRV, 3478, m, true, 0x4000);
    stun(m, DIS_STUN_BINDING, DIS_STUN_SUCCESS, 0x13);
    m->n_xor_mapped = 1;
    stun_set_addr(&m->xor_mapped[0], SRV, 50000, DIS_STUN_A_XOR_MAPPED_ADDRESS);
    ev_stun_x(x, TURN_FLOW, T0 + 150 * MS, SRV, 3478, CLI, 5000, m, true, 0x4000);
    free(m);
    turn_flow_end(x, TURN_FLOW, 10);
}

static void ice_relayed(void **state)
{
    struct fx *x = *state;
    relayed_base(x);
    finish(x);
    assert_int_equal(x->r->n_sess, 2);
    const struct dis_session_rec *s = &x->r->sess[0];
    check_session(s, 1, DIS_SESS_ICE, 3, DIS_SUB_RELAY_UDP, 17);
    assert_true(s->has_selected);
    assert_ep(&s->sel_local, CLI, 5000);
    assert_ep(&s->sel_remote, SRV, 3478);
    assert_ep(&s->server, SRV, 3478);
    assert_addr(&s->client, CLI);
    assert_addr(&s->peer, "203.0.113.50");
    assert_int_equal(s->link_id, 2);
    assert_int_equal(s->bytes, 4000);
    assert_string_equal(s->ufrags, "aaaa:bbbb");
    assert_non_null(strstr(s->explanation, "method 3"));

    assert_int_equal(x->r->n_pairs, 1);
    const struct dis_pair_rec *p = &x->r->pairs[0];
    assert_int_equal(p->session_id, 1);
    assert_true(p->relayed);
    assert_ep(&p->local, SRV, 50000);
    assert_ep(&p->remote, "203.0.113.50", 7000);
    assert_int_equal(p->requests, 1);
    assert_int_equal(p->successes, 1);
    assert_true(p->nominated);
    assert_true(p->selected);
    assert_int_equal(p->rtt_ns, 50 * MS);

    const struct dis_session_rec *t = &x->r->sess[1];
    check_session(t, 2, DIS_SESS_TURN, 3, DIS_SUB_RELAY_UDP, 17);
    assert_int_equal(t->link_id, 1);
    assert_ep(&t->sel_local, CLI, 5000);
    assert_ep(&t->sel_remote, SRV, 3478);
    assert_ep(&t->server, SRV, 3478);
    assert_addr(&t->client, CLI);
    assert_addr(&t->peer, "203.0.113.50");
    assert_ep(&t->relayed, SRV, 50000);
    assert_ep(&t->mapped, "203.0.113.10", 5000);
    assert_int_equal(t->transport, 17);
    assert_int_equal(t->lifetime_s, 600);
    assert_int_equal(t->channels, 1);
    assert_int_equal(t->errors, 0);
    assert_int_equal(t->first_ns, T0);
    assert_int_equal(t->last_ns, T0 + 10 * SEC);
    assert_int_equal(x->r->n_verd, 0);
    const struct dis_host_rec *h = find_host(x->r, CLI);
    assert_non_null(h);
    assert_int_equal(h->methods, 1u << 3);
    const struct dis_host_rec *srv = find_host(x->r, SRV);
    assert_non_null(srv);
    assert_int_equal(srv->role, DIS_ROLE_SERVER);
    assert_string_equal(srv->names, STURN_EU);
}

/* BUG (debatable): a ChannelBind installs a permission for its peer (RFC 8656 §12), and the peer is
 * seen; analysis.h counts "distinct peer addresses permitted" and "peers seen", but ana_ice.c
 * only counts them for CreatePermission and Send/Data indications. */
static void turn_channelbind_counts_peer(void **state)
{
    struct fx *x = *state;
    relayed_base(x);
    finish(x);
    assert_int_equal(x->r->n_sess, 2);
    assert_int_equal(x->r->sess[1].permissions, 1);
    assert_int_equal(x->r->sess[1].peers, 1);
}

/* Three unanswered checks from 10.0.0.5:@p sport to @p dst:@p dport on flow @p id. */
static void unanswered_checks(struct fx *x, uint64_t id, uint16_t sport, const char *dst,
                              uint16_t dport, const char *user, uint8_t tx, const char *host)
{
    for (int i = 0; i < 3; i++)
        ice_check(x, id, T0 + 200 * MS + (uint64_t)i * 100 * MS, CLI, sport, dst, dport, user,
                  (uint8_t)(tx + i), false, false, 0);
    udp_flow_end(x, id, CLI, sport, dst, dport, T0 + 200 * MS, 3, 0, host);
}

static void ice_unanswered_relay(void **state)
{
    struct fx *x = *state;
    relayed_base(x);
    unanswered_checks(x, 131, 5001, SRV, 55000, "aaaa:bbbb", 0x21, STURN_EU);
    finish(x);
    assert_int_equal(x->r->n_sess, 2);
    assert_int_equal(x->r->sess[0].method, 3);
    assert_int_equal(x->r->n_pairs, 2);
    assert_int_equal(x->r->n_verd, 1);
    const struct dis_verdict_rec *v = &x->r->verd[0];
    check_verdict(v, DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_CONFIRMED, "relay", 17, CLI, 5001,
                  SRV, 55000, STURN_EU, T0 + 200 * MS, 131);
    assert_int_equal(v->session_id, 1);
}

/* A live capture asks for the picture again and again: each dis_ana_finish emits the same
 * complete set (ids from 1, no verdict twice, host counters not summed up), and a later call
 * also has what happened in between. */
static void finish_again_same_picture(void **state)
{
    struct fx *x = *state;
    relayed_base(x);
    unanswered_checks(x, 131, 5001, SRV, 55000, "aaaa:bbbb", 0x21, STURN_EU);
    finish(x);
    struct rec *first = malloc(sizeof(*first));
    assert_non_null(first);
    *first = *x->r;
    memset(x->r, 0, sizeof(*x->r));
    finish(x);
    assert_int_equal(x->r->n_sess, first->n_sess);
    assert_int_equal(x->r->n_pairs, first->n_pairs);
    assert_int_equal(x->r->n_verd, 1);
    assert_int_equal(x->r->n_verd, first->n_verd);
    assert_int_equal(x->r->n_hosts, first->n_hosts);
    for (size_t i = 0; i < first->n_sess; i++) {
        assert_int_equal(x->r->sess[i].id, first->sess[i].id);
        assert_int_equal(x->r->sess[i].method, first->sess[i].method);
        assert_int_equal(x->r->sess[i].link_id, first->sess[i].link_id);
        assert_string_equal(x->r->sess[i].explanation, first->sess[i].explanation);
    }
    for (size_t i = 0; i < first->n_hosts; i++) {
        assert_int_equal(x->r->hosts[i].verdicts, first->hosts[i].verdicts);
        assert_int_equal(x->r->hosts[i].methods, first->hosts[i].methods);
        assert_int_equal(x->r->hosts[i].role, first->hosts[i].role);
    }
    const struct dis_host_rec *h = find_host(x->r, CLI);
    assert_non_null(h);
    assert_int_equal(h->verdicts, 1);
    /* Something new, then the picture again: it is in, the rest unchanged. */
    memset(x->r, 0, sizeof(*x->r));
    struct dis_flow_rec f =
        tcp443(150, 40150, "192.0.2.30", "sensoeugeneral.blob.core.windows.net", DIS_CS_S0, 3, 0);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "blob-general"));
    finish(x);
    assert_int_equal(x->r->n_sess, first->n_sess);
    assert_int_equal(x->r->n_verd, 2);
    free(first);
}

/* One unanswered check to the relay port: suspected once the capture went on 3 s, nothing
 * when it ended 1 s later. */
static void ice_unanswered_single_check(void **state)
{
    struct fx *x = *state;
    relayed_base(x);
    ice_check(x, 139, T0 + 200 * MS, CLI, 5001, SRV, 55000, "aaaa:bbbb", 0x31, false, false, 0);
    udp_flow_end(x, 139, CLI, 5001, SRV, 55000, T0 + 200 * MS, 1, 0, STURN_EU);
    dis_ana_time(x->a, T0 + 200 * MS + 5 * SEC);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_SUSPECTED, "relay", 17,
                  CLI, 5001, SRV, 55000, STURN_EU, T0 + 200 * MS, 139);
}

static void ice_unanswered_single_check_cut_off(void **state)
{
    struct fx *x = *state;
    ice_check(x, 140, T0 + 200 * MS, CLI, 5001, SRV, 55000, "aaaa:bbbb", 0x31, false, false, 0);
    struct dis_flow_rec f = flow(140, 17, CLI, 5001, SRV, 55000, T0 + 200 * MS, T0 + 200 * MS);
    snprintf(f.host, sizeof(f.host), "%s", STURN_EU);
    set_pkts(&f, 1, 0);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "relay"));
    dis_ana_time(x->a, T0 + 1200 * MS); /* the capture ends 1 s after the check */
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    check_session(&x->r->sess[0], 1, DIS_SESS_ICE, 0, DIS_SUB_NONE, 0);
    assert_false(x->r->sess[0].has_selected);
    assert_int_equal(x->r->n_verd, 0);
}

static void ice_unanswered_public_when_relayed(void **state)
{
    struct fx *x = *state;
    relayed_base(x);
    unanswered_checks(x, 132, 5002, "203.0.113.60", 7001, "aaaa:bbbb", 0x21, NULL);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    const struct dis_verdict_rec *v = &x->r->verd[0];
    check_verdict(v, DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_CONFIRMED, "holepunch", 17, CLI,
                  5002, "203.0.113.60", 7001, "", T0 + 200 * MS, 132);
    assert_int_equal(v->session_id, 1);
}

static void ice_unanswered_private(void **state)
{
    struct fx *x = *state;
    relayed_base(x);
    unanswered_checks(x, 133, 5003, "192.168.1.20", 6000, "aaaa:bbbb", 0x21, NULL);
    finish(x);
    assert_int_equal(x->r->sess[0].method, 3);
    assert_int_equal(x->r->n_verd, 0);
}

static void ice_unanswered_hairpin(void **state)
{
    struct fx *x = *state;
    relayed_base(x); /* the Allocate success told 10.0.0.5 its public address 203.0.113.10 */
    unanswered_checks(x, 134, 5004, "203.0.113.10", 6000, "aaaa:bbbb", 0x21, NULL);
    finish(x);
    assert_int_equal(x->r->sess[0].method, 3);
    assert_int_equal(x->r->n_verd, 0);
}

static void ice_unanswered_hairpin_from_binding(void **state)
{
    struct fx *x = *state;
    /* a plain Binding to the STUN server tells 10.0.0.5 its public address 203.0.113.11 */
    stun_binding_to_server(x, 135, 1, true);
    relayed_base(x);
    unanswered_checks(x, 136, 5004, "203.0.113.11", 6001, "aaaa:bbbb", 0x21, NULL);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
}

static void ice_srflx_no_holepunch_verdict(void **state)
{
    struct fx *x = *state;
    ice_check(x, 137, T0, CLI, 5000, "203.0.113.50", 7000, "cccc:dddd", 0x01, true, true, 30 * MS);
    udp_flow_end(x, 137, CLI, 5000, "203.0.113.50", 7000, T0, 100, 90, NULL);
    unanswered_checks(x, 138, 5001, "203.0.113.60", 7001, "cccc:dddd", 0x21, NULL);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    check_session(&x->r->sess[0], 1, DIS_SESS_ICE, 2, DIS_SUB_SRFLX, 17);
    assert_int_equal(x->r->n_pairs, 2);
    assert_int_equal(x->r->n_verd, 0);
}

/* ------------------------------------------------------------------ 10b. scale and bounds */

/* Many ICE sessions (ufrag pairs: restarts, one per peer connection) can send their checks
 * over one flow: each gets its own pair, found by (flow, session), and the flow gets one
 * udp_no_answer verdict for all of them, not one per session. */
static void ice_many_sessions_one_flow(void **state)
{
    struct fx *x = *state;
    char user[32];
    for (int i = 0; i < 40; i++) {
        snprintf(user, sizeof(user), "u%02d:r%02d", i, i);
        for (int k = 0; k < 2; k++)
            ice_check(x, 160, T0 + (uint64_t)(2 * i + k) * 10 * MS, CLI, 5001, SRV, 55000, user,
                      (uint8_t)(2 * i + k), false, false, 0);
    }
    udp_flow_end(x, 160, CLI, 5001, SRV, 55000, T0, 80, 0, STURN_EU);
    finish(x);
    assert_int_equal(x->r->n_sess, 40);
    assert_int_equal(x->r->n_pairs, 40);
    for (size_t i = 0; i < x->r->n_pairs; i++) {
        assert_int_equal(x->r->pairs[i].requests, 2);
        assert_int_equal(x->r->pairs[i].session_id, i + 1);
        assert_ep(&x->r->pairs[i].remote, SRV, 55000);
    }
    assert_int_equal(x->r->n_verd, 1);
    const struct dis_verdict_rec *v = &x->r->verd[0];
    check_verdict(v, DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_CONFIRMED, "relay", 17, CLI, 5001,
                  SRV, 55000, STURN_EU, T0, 160);
    assert_int_equal(v->session_id, 1); /* the first session that met it */
    assert_non_null(strstr(v->evidence, "80 ICE check(s) to 198.51.100.10:55000"));
    assert_non_null(strstr(v->evidence, "(40 ICE sessions)"));
    struct dis_ana_stats st;
    dis_ana_get_stats(x->a, &st);
    assert_int_equal(st.sessions, 40);
    assert_int_equal(st.pairs, 40);
    assert_int_equal(st.pairs_dropped, 0);
}

/* TURN errors on one flow: one turn_error verdict naming them all. */
static void turn_errors_one_verdict(void **state)
{
    struct fx *x = *state;
    allocate(x, TURN_FLOW, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CREATEPERMISSION, 0x12, "203.0.113.50", 0, 0, 403);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x14, "203.0.113.51", 7000, 0x4001, 400);
    turn_flow_end(x, TURN_FLOW, 0);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "turn_error", DIS_CONF_CONFIRMED, "sturn-eu", 17,
                  CLI, 5000, SRV, 3478, STURN_EU, T0, TURN_FLOW);
    assert_string_equal(x->r->verd[0].evidence,
                        "TURN error 403 on method 0x008; TURN error 400 on method 0x009");
    assert_int_equal(x->r->sess[0].errors, 2);
}

/* ChannelBind again for the same channel and peer refreshes the binding (RFC 8656 §12): the
 * allocation still has one channel; a second number is a second channel. */
static void turn_channelbind_refresh(void **state)
{
    struct fx *x = *state;
    allocate(x, TURN_FLOW, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x12, "203.0.113.50", 7000, 0x4000, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x13, "203.0.113.50", 7000, 0x4000, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x14, "203.0.113.50", 7000, 0x4000, 0);
    turn_flow_end(x, TURN_FLOW, 0);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    assert_int_equal(x->r->sess[0].channels, 1);
    assert_int_equal(x->r->sess[0].permissions, 1);
    assert_int_equal(x->r->sess[0].peers, 1);
    memset(x->r, 0, sizeof(*x->r));
    remake(x, NULL, NULL);
    allocate(x, TURN_FLOW, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x12, "203.0.113.50", 7000, 0x4000, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x13, "203.0.113.51", 7000, 0x4001, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x14, "203.0.113.51", 7000, 0x4001, 0);
    turn_flow_end(x, TURN_FLOW, 0);
    finish(x);
    assert_int_equal(x->r->sess[0].channels, 2);
    assert_int_equal(x->r->sess[0].permissions, 2);
}

/* A district behind many public addresses: every one is the site's own (a check to it is a
 * hairpin, not a block), not only the first 16. */
static void nat_many_public_addresses(void **state)
{
    struct fx *x = *state;
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    char cli[32], pub[32];
    for (int i = 0; i < 40; i++) {
        snprintf(cli, sizeof(cli), "10.0.1.%d", i + 1);
        snprintf(pub, sizeof(pub), "203.0.113.%d", 100 + i);
        stun(m, DIS_STUN_BINDING, DIS_STUN_REQUEST, (uint8_t)(0x80 + i));
        ev_stun(x, 400 + (uint64_t)i, T0, cli, 40000, "192.0.2.20", 3478, m);
        stun(m, DIS_STUN_BINDING, DIS_STUN_SUCCESS, (uint8_t)(0x80 + i));
        m->n_xor_mapped = 1;
        stun_set_addr(&m->xor_mapped[0], pub, 40000, DIS_STUN_A_XOR_MAPPED_ADDRESS);
        ev_stun(x, 400 + (uint64_t)i, T0 + 20 * MS, "192.0.2.20", 3478, cli, 40000, m);
        struct dis_flow_rec f =
            flow(400 + (uint64_t)i, 17, cli, 40000, "192.0.2.20", 3478, T0, T0 + 20 * MS);
        snprintf(f.host, sizeof(f.host), "%s", STURN_EU);
        set_pkts(&f, 1, 1);
        feed_flow(x, &f);
    }
    free(m);
    relayed_base(x);
    /* checks from 10.0.0.5 to the last public address learned */
    unanswered_checks(x, 134, 5004, "203.0.113.139", 6000, "aaaa:bbbb", 0x21, NULL);
    finish(x);
    assert_int_equal(x->r->sess[0].method, 3);
    assert_non_null(strstr(x->r->sess[0].explanation, "this site's own public address"));
    assert_int_equal(x->r->n_verd, 0);
    struct dis_ana_stats st;
    dis_ana_get_stats(x->a, &st);
    assert_int_equal(st.nat_dropped, 0);
}

/* Bounds: what does not fit is counted, the rest is intact. */
static void bounds_counted(void **state)
{
    struct fx *x = *state;
    struct dis_ana_opts o;
    dis_ana_defaults(&o);
    o.max_hosts = 3;
    o.max_verdicts = 2;
    o.max_flows = 1;
    o.max_pending = 3;
    remake(x, NULL, &o);
    /* five blocked flows to a profile host from five clients: 3 judged, 2 verdicts kept */
    char cli[32];
    for (int i = 0; i < 5; i++) {
        snprintf(cli, sizeof(cli), "10.0.0.%d", 50 + i);
        struct dis_flow_rec f =
            flow(500 + (uint64_t)i, 6, cli, 40000, "192.0.2.10", 443, T0, T0 + 3 * SEC);
        snprintf(f.host, sizeof(f.host), "%s", BLOB_GENERAL);
        f.state = DIS_CS_S0;
        set_pkts(&f, 3, 0);
        feed_flow(x, &f);
    }
    /* two single SYNs: not judged */
    for (int i = 0; i < 2; i++) {
        struct dis_flow_rec f = tcp443(510 + (uint64_t)i, (uint16_t)(40010 + i), "192.0.2.10",
                                       BLOB_GENERAL, DIS_CS_S0, 1, 0);
        f.last_ns = T0;
        feed_flow(x, &f);
    }
    /* two answered STUN flows: one kept */
    stun_binding_to_server(x, 520, 1, true);
    stun_binding_to_server(x, 521, 1, true);
    dis_ana_time(x->a, T0 + 60 * SEC);
    finish(x);
    assert_int_equal(x->r->n_verd, 2);
    struct dis_ana_stats st;
    dis_ana_get_stats(x->a, &st);
    assert_int_equal(st.hosts, 3);
    assert_true(st.hosts_dropped >= 4);
    assert_int_equal(st.verdicts_dropped, 1);
    assert_int_equal(st.flows, 1);
    assert_int_equal(st.flows_dropped, 1);
    assert_int_equal(st.pending_dropped, 4);
}

/* The far end of a flow that matters to no rule (a scan's target) gets no host entry; the
 * local scanner does. */
static void scan_no_hosts(void **state)
{
    struct fx *x = *state;
    char dst[32];
    for (int i = 0; i < 200; i++) {
        snprintf(dst, sizeof(dst), "11.0.%d.%d", i / 250, i % 250 + 1);
        struct dis_flow_rec f =
            flow(600 + (uint64_t)i, 6, "10.0.0.5", (uint16_t)(40000 + i), dst, 8443, T0, T0);
        f.state = DIS_CS_S0;
        set_pkts(&f, 1, 0);
        assert_int_equal(feed_flow(x, &f), -1);
    }
    finish(x);
    struct dis_ana_stats st;
    dis_ana_get_stats(x->a, &st);
    assert_int_equal(st.hosts, 1);
    assert_int_equal(st.hosts_dropped, 0);
    assert_int_equal(x->r->n_hosts, 0);
}

/* The TLS 1.3 baselines: one sample per server address (its first flow), the judged flow's
 * own server left out; many flows to the same servers do not move the medians. */
static void tls13_baseline_per_server(void **state)
{
    struct fx *x = *state;
    /* 3 servers at 1 hop (TTL 63), each with 5 flows; the first flow to 192.0.2.31 at 8 hops */
    static const char *const addr[] = {"192.0.2.31", "192.0.2.32", "198.51.100.33"};
    uint64_t id = 81;
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < 3; i++, id++)
            tls13_flow(x, id, (uint16_t)(50000 + id), addr[i], "www.example.org",
                       (k == 0 && i == 0) ? 56 : 63, (int64_t)(1 * MS), 2 * MS);
    /* the product's server: 2 hops, and its own first flow (6 hops) is not its baseline */
    tls13_flow(x, 100, 50100, "198.51.100.40", CLOUD, 58, (int64_t)(1 * MS), 2 * MS);
    tls13_flow(x, 101, 50101, "198.51.100.40", CLOUD, 62, (int64_t)(1 * MS), 2 * MS);
    finish(x);
    /* others: 8, 1, 1 -> median 1; the cloud flows at 6 and 2 hops are not nearer */
    assert_int_equal(x->r->n_verd, 0);
    memset(x->r, 0, sizeof(*x->r));
    tls13_flow(x, 102, 50102, "198.51.100.40", CLOUD, 64, (int64_t)(1 * MS), 2 * MS);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_INSPECTED, "ttl_anomaly", DIS_CONF_SUSPECTED, "cloud", 6,
                  "10.0.0.5", 50102, "198.51.100.40", 443, CLOUD, T0 + 102 * SEC, 102);
    assert_non_null(strstr(x->r->verd[0].evidence, "0 hop(s) away, the other 3 internet servers "
                                                   "of the capture a median 1.0"));
}

/* ------------------------------------------------------------------ 13. waits, margins */

/* Two ICE checks, two STUN requests, two SYNs, all in the last 100 ms of the capture: in
 * flight, however many; once the capture went on for the wait after the first, confirmed. */
static void wait_after_first_request(void **state)
{
    struct fx *x = *state;
    uint64_t end = T0 + 10 * SEC;
    relayed_base(x);
    ice_check(x, 170, end - 100 * MS, CLI, 5001, SRV, 55000, "aaaa:bbbb", 0x41, false, false, 0);
    ice_check(x, 170, end - 50 * MS, CLI, 5001, SRV, 55000, "aaaa:bbbb", 0x42, false, false, 0);
    struct dis_flow_rec f = flow(170, 17, CLI, 5001, SRV, 55000, end - 100 * MS, end - 50 * MS);
    snprintf(f.host, sizeof(f.host), "%s", STURN_EU);
    set_pkts(&f, 2, 0);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "relay"));
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    for (int i = 0; i < 2; i++) {
        stun(m, DIS_STUN_BINDING, DIS_STUN_REQUEST, (uint8_t)(0x60 + i));
        ev_stun(x, 171, end - 100 * MS + (uint64_t)i * 50 * MS, CLI, 40002, "192.0.2.20", 3478, m);
    }
    free(m);
    struct dis_flow_rec g =
        flow(171, 17, CLI, 40002, "192.0.2.20", 3478, end - 100 * MS, end - 50 * MS);
    snprintf(g.host, sizeof(g.host), "%s", STURN_EU);
    set_pkts(&g, 2, 0);
    assert_int_equal(feed_flow(x, &g), rule_idx(x, "sturn-eu"));
    struct dis_flow_rec h = tcp443(172, 50172, "192.0.2.10", BLOB_GENERAL, DIS_CS_S0, 2, 0);
    h.first_ns = end - 100 * MS;
    h.last_ns = end - 50 * MS;
    feed_flow(x, &h);
    dis_ana_time(x->a, end);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);

    /* the capture went on */
    memset(x->r, 0, sizeof(*x->r));
    dis_ana_time(x->a, end + 3 * SEC);
    finish(x);
    assert_int_equal(x->r->n_verd, 3);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_CONFIRMED, "sturn-eu",
                  17, CLI, 40002, "192.0.2.20", 3478, STURN_EU, end - 100 * MS, 171);
    assert_string_equal(x->r->verd[0].evidence,
                        "2 STUN/TURN requests over 0.1 s, none answered in the 3.1 s the capture "
                        "went on after the first");
    check_verdict(&x->r->verd[1], DIS_VK_BLOCKED, "tcp_no_answer", DIS_CONF_CONFIRMED,
                  "blob-general", 6, CLI, 50172, "192.0.2.10", 443, BLOB_GENERAL, end - 100 * MS,
                  172);
    check_verdict(&x->r->verd[2], DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_CONFIRMED, "relay", 17,
                  CLI, 5001, SRV, 55000, STURN_EU, end - 100 * MS, 170);
}

/* The capture lost the ServerHello of a long flow (caught late, dropped): the server sent
 * data, then closed. Not an SNI filter. */
static void tcp_reset_after_hello_server_data(void **state)
{
    struct fx *x = *state;
    struct dis_tls_summary t = tls_summary();
    t.has_client_hello = true;
    t.client_hellos = 1;
    t.client_hello_ns = T0 + 2 * MS;
    t.sni = BLOB_MODULES;
    t.client_version = 0x0303;
    t.client_max_version = 0x0304;
    ev_tls(x, 27, "10.0.0.5", 50016, "192.0.2.13", 443, &t);
    struct dis_flow_rec f = tcp443(27, 50016, "192.0.2.13", BLOB_MODULES, DIS_CS_RSTR, 30, 400);
    snprintf(f.history, sizeof(f.history), "ShADdf");
    f.payload[DIS_DIR_ORIG] = 2000;
    f.payload[DIS_DIR_RESP] = 500000;
    f.rtt_ns = 1 * MS;
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "blob-modules"));
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
}

/* ttl_anomaly needs a margin: 1 hop nearer than servers 15 hops away is the spread of the
 * internet's routes, not a box in between; 2 hops nearer is. */
static void tls13_ttl_margin(void **state)
{
    struct fx *x = *state;
    static const char *const addr[] = {"192.0.2.31", "192.0.2.32", "198.51.100.33"};
    for (int i = 0; i < 3; i++) /* TTL 113: 15 hops from an initial 128 */
        tls13_flow(x, (uint64_t)(81 + i), (uint16_t)(50081 + i), addr[i], "www.example.org", 113,
                   (int64_t)(1 * MS), 2 * MS);
    tls13_flow(x, 85, 50085, "198.51.100.40", CLOUD, 114, (int64_t)(1 * MS), 2 * MS); /* 14 */
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
    memset(x->r, 0, sizeof(*x->r));
    tls13_flow(x, 86, 50086, "198.51.100.41", CLOUD, 115, (int64_t)(1 * MS), 2 * MS); /* 13 */
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_INSPECTED, "ttl_anomaly", DIS_CONF_SUSPECTED, "cloud", 6,
                  "10.0.0.5", 50086, "198.51.100.41", 443, CLOUD, T0 + 86 * SEC, 86);
    assert_non_null(strstr(x->r->verd[0].evidence, "13 hop(s) away, the other 4 internet servers "
                                                   "of the capture a median 15.0"));
}

/* A median between two hop counts (15.5) is no reason either: 15 hops is not nearer. */
static void tls13_ttl_half_hop(void **state)
{
    struct fx *x = *state;
    static const char *const addr[] = {"192.0.2.31", "192.0.2.32", "198.51.100.33",
                                       "198.51.100.34"};
    static const uint8_t ttl[] = {113, 112, 113, 112}; /* 15, 16, 15, 16 */
    for (int i = 0; i < 4; i++)
        tls13_flow(x, (uint64_t)(81 + i), (uint16_t)(50081 + i), addr[i], "www.example.org", ttl[i],
                   (int64_t)(1 * MS), 2 * MS);
    tls13_flow(x, 86, 50086, "198.51.100.41", CLOUD, 113, (int64_t)(1 * MS), 2 * MS);
    finish(x);
    assert_int_equal(x->r->n_verd, 0);
}

/* ------------------------------------------------------------------ 14. DNS, once per name */

/* @p m from the resolver @p server to 10.0.0.5:53000. */
static void ev_dns_from(struct fx *x, uint64_t flow_id, uint64_t ts, const struct dis_dns_msg *m,
                        const char *server)
{
    struct dis_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = DIS_EV_DNS;
    ev.flow_id = flow_id;
    ev.ts_ns = ts;
    ev.transport = 17;
    ev.src = ip(server);
    ev.sport = 53;
    ev.dst = ip("10.0.0.5");
    ev.dport = 53000;
    ev.u.dns = m;
    assert_int_equal(dis_ana_event(x->a, &ev), 0);
}

/* A and AAAA both NXDOMAIN, and asked again: one verdict for the client and the name. */
static void dns_failure_once_per_name(void **state)
{
    struct fx *x = *state;
    struct dis_dns_msg *m = dns_resp(BLOB_MODULES, DIS_DNS_RCODE_NXDOMAIN);
    ev_dns(x, 51, T0 + 1 * MS, m);
    m->qtype = DIS_DNS_T_AAAA;
    ev_dns(x, 52, T0 + 2 * MS, m);
    ev_dns(x, 53, T0 + 3 * SEC, m);
    /* the name in other letters (0x20 randomisation) is the same name */
    snprintf(m->qname, sizeof(m->qname), "SensoEUStorage.blob.core.windows.net");
    ev_dns(x, 54, T0 + 4 * SEC, m);
    free(m);
    finish(x);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "dns_failure", DIS_CONF_CONFIRMED, "blob-modules",
                  17, "10.0.0.5", 53000, "192.0.2.53", 53, BLOB_MODULES, T0 + 1 * MS, 51);
    assert_string_equal(x->r->verd[0].evidence,
                        "NXDOMAIN for " BLOB_MODULES " (qtype 1) from the resolver; 4 failed "
                        "answers (qtype 1, 28); the product cannot reach " BLOB_MODULES
                        " (rule blob-modules)");
    const struct dis_host_rec *c = find_host(x->r, "10.0.0.5");
    assert_non_null(c);
    assert_int_equal(c->verdicts, 1);
}

/* A later good answer from the same resolver: the failure passed, no verdict. From another
 * resolver only: suspected. A failure after a good answer: confirmed (the last word). */
static void dns_failure_then_answer(void **state)
{
    struct fx *x = *state;
    struct dis_dns_msg *bad = dns_resp(BLOB_MODULES, DIS_DNS_RCODE_SERVFAIL);
    struct dis_dns_msg *good = dns_resp(BLOB_MODULES, DIS_DNS_RCODE_NOERROR);
    dns_add_a(good, "192.0.2.40");
    ev_dns(x, 51, T0 + 1 * MS, bad);
    ev_dns(x, 52, T0 + 2 * SEC, good);

    snprintf(bad->qname, sizeof(bad->qname), "%s", BLOB_LOGS);
    snprintf(good->qname, sizeof(good->qname), "%s", BLOB_LOGS);
    ev_dns(x, 53, T0 + 3 * SEC, bad);
    ev_dns_from(x, 54, T0 + 4 * SEC, good, "192.0.2.54");

    snprintf(bad->qname, sizeof(bad->qname), "%s", BLOB_GENERAL);
    snprintf(good->qname, sizeof(good->qname), "%s", BLOB_GENERAL);
    ev_dns(x, 55, T0 + 5 * SEC, good);
    ev_dns(x, 56, T0 + 6 * SEC, bad);
    /* a good answer for the name to the same client, but no address (NODATA): nothing */
    struct dis_dns_msg *nodata = dns_resp(BLOB_GENERAL, DIS_DNS_RCODE_NOERROR);
    ev_dns(x, 57, T0 + 7 * SEC, nodata);
    free(bad);
    free(good);
    free(nodata);
    finish(x);
    assert_int_equal(x->r->n_verd, 2);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "dns_failure", DIS_CONF_SUSPECTED, "blob-logs",
                  17, "10.0.0.5", 53000, "192.0.2.53", 53, BLOB_LOGS, T0 + 3 * SEC, 53);
    assert_non_null(strstr(x->r->verd[0].evidence, "later answered by the resolver 192.0.2.54, "
                                                   "not by 192.0.2.53"));
    check_verdict(&x->r->verd[1], DIS_VK_BLOCKED, "dns_failure", DIS_CONF_CONFIRMED, "blob-general",
                  17, "10.0.0.5", 53000, "192.0.2.53", 53, BLOB_GENERAL, T0 + 6 * SEC, 56);
}

/* ------------------------------------------------------------------ 15. what is an ICE check */

/* @p n requests of @p method with USERNAME @p user from 10.0.0.5:@p sport to the STUN server
 * 192.0.2.20:@p dport on flow @p id, 500 ms apart, answered when @p answered; the flow ends. */
static void turn_requests(struct fx *x, uint64_t id, uint16_t sport, uint16_t dport,
                          uint16_t method, const char *user, bool priority, int n, bool answered)
{
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    for (int i = 0; i < n; i++) {
        stun(m, method, DIS_STUN_REQUEST, (uint8_t)(0x90 + i));
        m->has_username = true;
        m->username_len = (uint16_t)strlen(user);
        snprintf(m->username, sizeof(m->username), "%s", user);
        m->has_priority = priority;
        ev_stun(x, id, T0 + (uint64_t)i * 500 * MS, CLI, sport, "192.0.2.20", dport, m);
        if (answered) {
            stun(m, method, DIS_STUN_SUCCESS, (uint8_t)(0x90 + i));
            m->n_xor_mapped = 1;
            stun_set_addr(&m->xor_mapped[0], "203.0.113.11", sport, DIS_STUN_A_XOR_MAPPED_ADDRESS);
            ev_stun(x, id, T0 + (uint64_t)i * 500 * MS + 20 * MS, "192.0.2.20", dport, CLI, sport,
                    m);
        }
    }
    free(m);
    struct dis_flow_rec f = flow(id, 17, CLI, sport, "192.0.2.20", dport, T0, T0 + 5 * SEC);
    snprintf(f.host, sizeof(f.host), "%s", STURN_EU);
    set_pkts(&f, (uint64_t)n, answered ? (uint64_t)n : 0);
    feed_flow(x, &f);
}

/* TURN REST credentials ("expiry:user") have a ':' as ICE usernames do: Allocates with them
 * are no ICE checks (a blocked TURN server is a udp_no_answer, not an ICE flow), nor is a
 * Binding with one to the server's port, or without ICE's PRIORITY. */
static void turn_rest_username_not_ice(void **state)
{
    struct fx *x = *state;
    turn_requests(x, 180, 40010, 3478, DIS_STUN_ALLOCATE, "1700000000:student", false, 3, false);
    turn_requests(x, 181, 40011, 3478, DIS_STUN_BINDING, "1700000000:student", true, 2, true);
    turn_requests(x, 182, 40012, 443, DIS_STUN_BINDING, "1700000000:student", false, 2, true);
    turn_requests(x, 183, 40013, 3478, DIS_STUN_REFRESH, "1700000000:student", false, 1, true);
    finish(x);
    /* no ICE session; the Allocate and Refresh flows are TURN allocations */
    for (size_t i = 0; i < x->r->n_sess; i++)
        assert_int_equal(x->r->sess[i].kind, DIS_SESS_TURN);
    assert_int_equal(x->r->n_pairs, 0);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "udp_no_answer", DIS_CONF_CONFIRMED, "sturn-eu",
                  17, CLI, 40010, "192.0.2.20", 3478, STURN_EU, T0, 180);
    assert_string_equal(x->r->verd[0].evidence,
                        "3 STUN/TURN requests over 1.0 s, none answered in the 5.0 s the capture "
                        "went on after the first");
}

/* A Binding with ufrags and PRIORITY from a local host to a peer's port is a check, also when
 * the peer's ufrag is all digits but short (Firefox: 8 hex digits). */
static void ice_numeric_ufrag_is_check(void **state)
{
    struct fx *x = *state;
    ice_check(x, 184, T0, CLI, 5000, "203.0.113.50", 7000, "12345678:abcd", 0x01, true, true,
              30 * MS);
    udp_flow_end(x, 184, CLI, 5000, "203.0.113.50", 7000, T0, 100, 90, NULL);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    check_session(&x->r->sess[0], 1, DIS_SESS_ICE, 2, DIS_SUB_SRFLX, 17);
}

/* A GOOG-PING (libwebrtc, method 0x080, no USERNAME) request, and its answer when @p answered,
 * from @p src to @p dst on flow @p id. */
static void goog_ping(struct fx *x, uint64_t id, uint64_t ts, const char *src, uint16_t sp,
                      const char *dst, uint16_t dp, uint8_t tx, bool answered, bool inner,
                      uint16_t channel)
{
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    stun(m, DIS_STUN_GOOG_PING, DIS_STUN_REQUEST, tx);
    ev_stun_x(x, id, ts, src, sp, dst, dp, m, inner, channel);
    if (answered) {
        stun(m, DIS_STUN_GOOG_PING, DIS_STUN_SUCCESS, tx);
        ev_stun_x(x, id, ts + 20 * MS, dst, dp, src, sp, m, inner, channel);
    }
    free(m);
}

/* Consent freshness with GOOG-PING: checks on the flow's pair, answered. */
static void goog_ping_counts(void **state)
{
    struct fx *x = *state;
    ice_check(x, 190, T0, CLI, 5000, "10.0.0.6", 6000, "aaaa:bbbb", 0x01, false, true, 1 * MS);
    ice_check(x, 190, T0 + 50 * MS, CLI, 5000, "10.0.0.6", 6000, "aaaa:bbbb", 0x02, true, true,
              2 * MS);
    for (int i = 0; i < 5; i++)
        goog_ping(x, 190, T0 + (uint64_t)(i + 1) * SEC, CLI, 5000, "10.0.0.6", 6000,
                  (uint8_t)(0x10 + i), true, false, 0);
    goog_ping(x, 190, T0 + 6 * SEC, "10.0.0.6", 6000, CLI, 5000, 0x20, false, false, 0);
    udp_flow_end(x, 190, CLI, 5000, "10.0.0.6", 6000, T0, 100, 90, NULL);
    /* a GOOG-PING on a flow without checks belongs to no pair */
    goog_ping(x, 191, T0, CLI, 5001, "10.0.0.7", 6001, 0x30, true, false, 0);
    udp_flow_end(x, 191, CLI, 5001, "10.0.0.7", 6001, T0, 1, 1, NULL);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    assert_int_equal(x->r->n_pairs, 1);
    const struct dis_pair_rec *p = &x->r->pairs[0];
    assert_int_equal(p->requests, 8);
    assert_int_equal(p->successes, 7);
    assert_int_equal(p->last_ns, T0 + 6 * SEC);
    assert_int_equal(x->r->sess[0].last_ns, T0 + 6 * SEC);
    assert_true(p->nominated);
}

/* Inside a TURN allocation, a GOOG-PING through the channel of the relayed pair's peer. */
static void goog_ping_relayed(void **state)
{
    struct fx *x = *state;
    allocate(x, TURN_FLOW, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x12, "203.0.113.50", 7000, 0x4000, 0);
    turn_peer_request(x, TURN_FLOW, DIS_STUN_CHANNELBIND, 0x14, "203.0.113.51", 7000, 0x4001, 0);
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    stun(m, DIS_STUN_BINDING, DIS_STUN_REQUEST, 0x13);
    stun_user(m, "aaaa:bbbb");
    m->use_candidate = true;
    ev_stun_x(x, TURN_FLOW, T0 + 100 * MS, CLI, 5000, SRV, 3478, m, true, 0x4000);
    stun(m, DIS_STUN_BINDING, DIS_STUN_SUCCESS, 0x13);
    ev_stun_x(x, TURN_FLOW, T0 + 150 * MS, SRV, 3478, CLI, 5000, m, true, 0x4000);
    free(m);
    goog_ping(x, TURN_FLOW, T0 + 2 * SEC, CLI, 5000, SRV, 3478, 0x40, true, true, 0x4000);
    /* through the other channel: another peer, not this pair */
    goog_ping(x, TURN_FLOW, T0 + 3 * SEC, CLI, 5000, SRV, 3478, 0x41, true, true, 0x4001);
    turn_flow_end(x, TURN_FLOW, 10);
    finish(x);
    assert_int_equal(x->r->n_pairs, 1);
    assert_true(x->r->pairs[0].relayed);
    assert_ep(&x->r->pairs[0].remote, "203.0.113.50", 7000);
    assert_int_equal(x->r->pairs[0].requests, 2);
    assert_int_equal(x->r->pairs[0].successes, 2);
}

/* ------------------------------------------------------------------ 16. roles, IPv6 */

/* Product host @p a (flow @p id to the cloud rule). */
static void product_host(struct fx *x, uint64_t id, const char *a)
{
    struct dis_flow_rec f = flow(id, 6, a, 50201, "192.0.2.80", 443, T0, T0 + 60 * SEC);
    snprintf(f.host, sizeof(f.host), "%s", CLOUD);
    f.state = DIS_CS_SF;
    set_pkts(&f, 20, 20);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "cloud"));
}

/* An answered, nominated ICE session @p user between @p a and @p b on flow @p id. */
static void ice_session(struct fx *x, uint64_t id, const char *a, const char *b, const char *user)
{
    uint16_t port = (uint16_t)(5000 + id);
    ice_check(x, id, T0 + id * MS, a, port, b, 6000, user, (uint8_t)id, true, true, 1 * MS);
    udp_flow_end(x, id, a, port, b, 6000, T0 + id * MS, 100, 90, NULL);
}

/* The console has ICE sessions with several hosts; a client that restarts ICE with its
 * console three times still has one peer. */
static void console_distinct_peers(void **state)
{
    struct fx *x = *state;
    product_host(x, 301, "10.0.0.5");
    product_host(x, 302, "10.0.0.6");
    product_host(x, 303, "10.0.0.7");
    ice_session(x, 10, "10.0.0.6", "10.0.0.5", "a1:b1");
    ice_session(x, 11, "10.0.0.6", "10.0.0.5", "a2:b2");
    ice_session(x, 12, "10.0.0.6", "10.0.0.5", "a3:b3");
    finish(x);
    assert_int_equal(find_host(x->r, "10.0.0.5")->role, DIS_ROLE_CLIENT);
    assert_int_equal(find_host(x->r, "10.0.0.6")->role, DIS_ROLE_CLIENT);
    memset(x->r, 0, sizeof(*x->r));
    ice_session(x, 13, "10.0.0.7", "10.0.0.5", "a4:b4");
    finish(x);
    assert_int_equal(find_host(x->r, "10.0.0.5")->role, DIS_ROLE_CONSOLE);
    assert_int_equal(find_host(x->r, "10.0.0.6")->role, DIS_ROLE_CLIENT);
    assert_int_equal(find_host(x->r, "10.0.0.7")->role, DIS_ROLE_CLIENT);
    assert_int_equal(find_host(x->r, "10.0.0.5")->methods, 1u << 2);
}

/* A school's global IPv6 prefix, set as local, is not NATed: a pair to a remote address is
 * direct across the site's edge (srflx: it needs outbound UDP like hole punching) and the
 * explanation does not claim a NAT; the local end is the school's even when the remote checks
 * first; the host's own address in XOR-MAPPED-ADDRESS is not taken for a NAT's. */
static void ipv6_global_srflx(void **state)
{
    struct fx *x = *state;
    char err[SS_ERRBUF_SIZE];
    assert_int_equal(dis_profile_add_local_net(x->prof, "2001:db8:5::/48", err), 0);
    ice_check(x, 195, T0, "2001:db8:99::20", 7000, "2001:db8:5::10", 5000, "aaaa:bbbb", 0x01, false,
              true, 30 * MS);
    ice_check(x, 195, T0 + 100 * MS, "2001:db8:5::10", 5000, "2001:db8:99::20", 7000, "bbbb:aaaa",
              0x02, true, true, 30 * MS);
    udp_flow_end(x, 195, "2001:db8:99::20", 7000, "2001:db8:5::10", 5000, T0, 100, 90, NULL);
    /* checks from another school host to the first one's global address: a LAN pair */
    ice_check(x, 196, T0, "2001:db8:5::11", 5001, "2001:db8:5::10", 5002, "cccc:dddd", 0x03, true,
              true, 1 * MS);
    udp_flow_end(x, 196, "2001:db8:5::11", 5001, "2001:db8:5::10", 5002, T0, 100, 90, NULL);
    finish(x);
    assert_int_equal(x->r->n_sess, 2);
    const struct dis_session_rec *s = &x->r->sess[0];
    check_session(s, 1, DIS_SESS_ICE, 2, DIS_SUB_SRFLX, 17);
    assert_ep(&s->sel_local, "2001:db8:5::10", 5000);
    assert_ep(&s->sel_remote, "2001:db8:99::20", 7000);
    assert_addr(&s->client, "2001:db8:5::10");
    assert_string_equal(s->explanation,
                        "method 2 (srflx, across the site's edge without NAT: the local address "
                        "is public): [2001:db8:5::10]:5000 <-> [2001:db8:99::20]:7000, 2 of 2 "
                        "checks answered, nominated");
    check_session(&x->r->sess[1], 2, DIS_SESS_ICE, 2, DIS_SUB_HOST, 17);
    assert_int_equal(x->r->n_verd, 0);
}

/* ------------------------------------------------------------------ 11. broadcast, direct */

static struct dis_flow_rec lan_tcp(uint64_t id, const char *o, uint16_t op, const char *r,
                                   uint16_t rp, enum dis_conn_state st, uint64_t out, uint64_t in)
{
    struct dis_flow_rec f = flow(id, 6, o, op, r, rp, T0 + 10 * SEC, T0 + 20 * SEC);
    f.state = st;
    set_pkts(&f, out, in);
    if (in)
        f.rtt_ns = 200000;
    f.ttl_max[1] = f.ttl_min[1] = 128;
    return f;
}

static void broadcast_blocked(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = lan_tcp(111, "10.0.0.31", 40000, "10.0.0.20", 30100, DIS_CS_S0, 2, 0);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "broadcast"));
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    const struct dis_session_rec *s = &x->r->sess[0];
    check_session(s, 1, DIS_SESS_BROADCAST, 0, DIS_SUB_NONE, 6);
    assert_true(s->has_selected);
    assert_ep(&s->sel_local, "10.0.0.31", 40000);
    assert_ep(&s->sel_remote, "10.0.0.20", 30100);
    assert_addr(&s->client, "10.0.0.31");
    assert_addr(&s->peer, "10.0.0.20");
    assert_int_equal(s->first_ns, T0 + 10 * SEC);
    assert_int_equal(s->bytes, 200);
    assert_int_equal(x->r->n_verd, 1);
    check_verdict(&x->r->verd[0], DIS_VK_BLOCKED, "tcp_no_answer", DIS_CONF_CONFIRMED, "broadcast",
                  6, "10.0.0.31", 40000, "10.0.0.20", 30100, "", T0 + 10 * SEC, 111);
}

static void broadcast_established(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = lan_tcp(112, "10.0.0.31", 40000, "10.0.0.20", 30100, DIS_CS_SF, 8, 9);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "broadcast"));
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    check_session(&x->r->sess[0], 1, DIS_SESS_BROADCAST, 0, DIS_SUB_NONE, 6);
    assert_int_equal(x->r->sess[0].bytes, 1700);
    assert_int_equal(x->r->n_verd, 0);
}

/* Each of @p a and @p b opens a TLS flow to app.senso.cloud: product hosts. */
static void product_hosts(struct fx *x, const char *a, const char *b)
{
    struct dis_flow_rec f = flow(201, 6, a, 50201, "192.0.2.80", 443, T0, T0 + 60 * SEC);
    snprintf(f.host, sizeof(f.host), "%s", CLOUD);
    f.state = DIS_CS_SF;
    set_pkts(&f, 20, 20);
    assert_int_equal(feed_flow(x, &f), rule_idx(x, "cloud"));
    struct dis_flow_rec g = flow(202, 6, b, 50202, "192.0.2.80", 443, T0 + SEC, T0 + 61 * SEC);
    snprintf(g.host, sizeof(g.host), "%s", CLOUD);
    g.state = DIS_CS_SF;
    set_pkts(&g, 20, 20);
    assert_int_equal(feed_flow(x, &g), rule_idx(x, "cloud"));
}

static void direct_method1(void **state)
{
    struct fx *x = *state;
    product_hosts(x, "10.0.0.5", "10.0.0.6");
    struct dis_flow_rec f = lan_tcp(203, "10.0.0.5", 50500, "10.0.0.6", 30200, DIS_CS_SF, 10, 10);
    assert_int_equal(feed_flow(x, &f), -1);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    const struct dis_session_rec *s = &x->r->sess[0];
    check_session(s, 1, DIS_SESS_DIRECT, 1, DIS_SUB_NONE, 6);
    assert_ep(&s->sel_local, "10.0.0.5", 50500);
    assert_ep(&s->sel_remote, "10.0.0.6", 30200);
    assert_addr(&s->client, "10.0.0.5");
    assert_addr(&s->peer, "10.0.0.6");
    assert_int_equal(s->bytes, 2000);
    assert_int_equal(x->r->n_verd, 0);
    const struct dis_host_rec *h = find_host(x->r, "10.0.0.6");
    assert_non_null(h);
    assert_int_equal(h->methods, 1u << 1);
}

static void direct_not_product(void **state)
{
    struct fx *x = *state;
    struct dis_flow_rec f = lan_tcp(204, "10.0.0.7", 50500, "10.0.0.8", 30200, DIS_CS_SF, 10, 10);
    feed_flow(x, &f);
    /* one product host is not enough */
    product_hosts(x, "10.0.0.5", "10.0.0.9");
    struct dis_flow_rec g = lan_tcp(205, "10.0.0.5", 50501, "10.0.0.8", 30200, DIS_CS_SF, 10, 10);
    feed_flow(x, &g);
    finish(x);
    assert_int_equal(x->r->n_sess, 0);
}

/* Method 1 is the product's own direct connection: two Windows hosts that run the product also
 * talk SMB, RDP, WinRM, Delivery Optimization, LLMNR ... and none of that is method 1. */
static void direct_not_service_ports(void **state)
{
    struct fx *x = *state;
    product_hosts(x, "10.0.0.5", "10.0.0.6");
    static const uint16_t tcp_ports[] = {445, 3389, 5985, 5986, 7680, 1433, 8080, 135};
    for (size_t i = 0; i < sizeof(tcp_ports) / sizeof(tcp_ports[0]); i++) {
        struct dis_flow_rec f = lan_tcp(300 + i, "10.0.0.5", (uint16_t)(50600 + i), "10.0.0.6",
                                        tcp_ports[i], DIS_CS_SF, 10, 10);
        assert_int_equal(feed_flow(x, &f), -1);
    }
    /* LLMNR and mDNS over UDP, answered */
    udp_flow_end(x, 320, "10.0.0.5", 50700, "10.0.0.6", 5355, T0 + 10 * SEC, 2, 2, NULL);
    udp_flow_end(x, 321, "10.0.0.5", 5353, "10.0.0.6", 5353, T0 + 10 * SEC, 2, 2, NULL);
    /* a UDP flow first seen from a service port (its answer): not method 1 either */
    udp_flow_end(x, 322, "10.0.0.6", 137, "10.0.0.5", 50800, T0 + 10 * SEC, 2, 2, NULL);
    /* the product's own port */
    struct dis_flow_rec g = lan_tcp(323, "10.0.0.5", 50900, "10.0.0.6", 30200, DIS_CS_SF, 10, 10);
    feed_flow(x, &g);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    check_session(&x->r->sess[0], 1, DIS_SESS_DIRECT, 1, DIS_SUB_NONE, 6);
    assert_ep(&x->r->sess[0].sel_remote, "10.0.0.6", 30200);
    assert_int_equal(x->r->n_verd, 0);
}

/* A profile that names the product's direct ports: only those are method 1. */
static void direct_profile_ports(void **state)
{
    struct fx *x = *state;
    remake(x, "[direct]\nports = tcp/30200\n", NULL);
    product_hosts(x, "10.0.0.5", "10.0.0.6");
    struct dis_flow_rec f = lan_tcp(330, "10.0.0.5", 50500, "10.0.0.6", 40000, DIS_CS_SF, 10, 10);
    feed_flow(x, &f);
    struct dis_flow_rec g = lan_tcp(331, "10.0.0.6", 50501, "10.0.0.5", 30200, DIS_CS_SF, 10, 10);
    feed_flow(x, &g);
    finish(x);
    assert_int_equal(x->r->n_sess, 1);
    check_session(&x->r->sess[0], 1, DIS_SESS_DIRECT, 1, DIS_SUB_NONE, 6);
    assert_ep(&x->r->sess[0].sel_local, "10.0.0.6", 50501);
    assert_ep(&x->r->sess[0].sel_remote, "10.0.0.5", 30200);
}

/* ------------------------------------------------------------------ 12. hosts */

static void hosts_roles(void **state)
{
    struct fx *x = *state;
    product_hosts(x, "10.0.0.31", "10.0.0.20");
    struct dis_flow_rec f = lan_tcp(206, "10.0.0.31", 40000, "10.0.0.20", 30100, DIS_CS_SF, 8, 9);
    feed_flow(x, &f);
    finish(x);
    assert_int_equal(x->r->n_hosts, 3);
    const struct dis_host_rec *c = find_host(x->r, "10.0.0.31");
    assert_non_null(c);
    assert_int_equal(c->role, DIS_ROLE_CLIENT);
    assert_true(c->local);
    assert_string_equal(c->names, "");
    assert_int_equal(c->verdicts, 0);
    assert_int_equal(c->first_ns, T0);
    assert_int_equal(c->last_ns, T0 + 60 * SEC);
    const struct dis_host_rec *k = find_host(x->r, "10.0.0.20");
    assert_non_null(k);
    assert_int_equal(k->role, DIS_ROLE_CONSOLE);
    assert_true(k->local);
    assert_int_equal(k->first_ns, T0 + SEC);
    assert_int_equal(k->last_ns, T0 + 61 * SEC);
    const struct dis_host_rec *s = find_host(x->r, "192.0.2.80");
    assert_non_null(s);
    assert_int_equal(s->role, DIS_ROLE_SERVER);
    assert_false(s->local);
    assert_string_equal(s->names, CLOUD);
    assert_int_equal(s->first_ns, T0);
    assert_int_equal(s->last_ns, T0 + 61 * SEC);
    assert_int_equal(s->methods, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(tcp_no_answer_retransmitted),
        T(tcp_no_answer_single_syn_cut_off),
        T(tcp_no_answer_single_syn_waited),
        T(tcp_no_answer_single_syn_time_after_flow),
        T(tcp_no_answer_no_rule),
        T(tcp_reset_on_connect),
        T(tcp_reset_after_hello),
        T(tcp_reset_after_server_hello_is_not),
        T(tls_alert),
        T(icmp_unreachable),
        T(udp_no_answer_stun_server),
        T(udp_answered_stun_server),
        T(udp_no_answer_single_request),
        T(udp_no_answer_single_request_time_after_flow),
        T(dns_failure),
        T(dns_servfail_refused),
        T(proxy_auth_and_explicit),
        T(proxy_407_then_200_same_flow),
        T(proxy_denied),
        T(cert_untrusted_inspection_issuer),
        T(cert_name_mismatch),
        T(tls13_ttl_rtt_anomaly),
        T(tls13_normal),
        T(tls13_no_baseline),
        T(turn_error_486),
        T(turn_error_508_437),
        T(turn_401_challenge),
        T(turn_403_private_peer),
        T(turn_403_public_peer),
        T(ice_lan_host),
        T(ice_ufrags_unordered),
        T(ice_srflx),
        T(ice_relayed),
        T(turn_channelbind_counts_peer),
        T(ice_unanswered_relay),
        T(finish_again_same_picture),
        T(ice_unanswered_single_check),
        T(ice_unanswered_single_check_cut_off),
        T(ice_unanswered_public_when_relayed),
        T(ice_unanswered_private),
        T(ice_unanswered_hairpin),
        T(ice_unanswered_hairpin_from_binding),
        T(ice_srflx_no_holepunch_verdict),
        T(ice_many_sessions_one_flow),
        T(turn_errors_one_verdict),
        T(turn_channelbind_refresh),
        T(nat_many_public_addresses),
        T(bounds_counted),
        T(scan_no_hosts),
        T(tls13_baseline_per_server),
        T(wait_after_first_request),
        T(tcp_reset_after_hello_server_data),
        T(tls13_ttl_margin),
        T(tls13_ttl_half_hop),
        T(dns_failure_once_per_name),
        T(dns_failure_then_answer),
        T(turn_rest_username_not_ice),
        T(ice_numeric_ufrag_is_check),
        T(goog_ping_counts),
        T(goog_ping_relayed),
        T(console_distinct_peers),
        T(ipv6_global_srflx),
        T(broadcast_blocked),
        T(broadcast_established),
        T(direct_method1),
        T(direct_not_product),
        T(direct_not_service_ports),
        T(direct_profile_ports),
        T(hosts_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
