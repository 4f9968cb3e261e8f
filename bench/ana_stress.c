/* SPDX-License-Identifier: MIT */
/*
 * ana_stress.c - the session analyzer (dissect/analysis.h) under synthetic load: many events
 * and flow records built in memory, fed through the public API, timed. Not a test (nothing is
 * asserted about the time); bench/ana_stress.sh builds it against a build tree and reports the
 * median of several runs.
 *
 *   ana_stress baseline N K  N internet TLS 1.3 flows to N distinct servers (the TTL/RTT
 *                            baseline, every one a sample: max_baseline is raised to N + K),
 *                            then K TLS 1.3 flows of the profile's cloud rule: the
 *                            ttl_anomaly/rtt_anomaly evaluation at finish
 *   ana_stress ufrags N      N ICE sessions (distinct ufrag pairs), each one unanswered check
 *                            on one and the same UDP flow to a remote public address
 *   ana_stress finish N      N ICE sessions on N flows of N clients, no pair answered, each
 *                            with a check to a remote private candidate, plus N answered LAN
 *                            flows: the per-session scans at finish
 *   ana_stress hosts N       N SYNs from one local host to N distinct internet addresses (a
 *                            scan) and N answered UDP flows between local hosts: memory
 *
 * Prints one line: the case, N, the seconds spent feeding and finishing, the records emitted,
 * and the peak resident set size (getrusage). Uses only the public API.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dissect/analysis.h"
#include "dissect/profile.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

struct counts {
    uint64_t sessions, pairs, verdicts, hosts;
};

static int c_session(void *u, const struct dis_session_rec *s)
{
    (void)s;
    ((struct counts *)u)->sessions++;
    return 0;
}

static int c_pair(void *u, const struct dis_pair_rec *p)
{
    (void)p;
    ((struct counts *)u)->pairs++;
    return 0;
}

static int c_verdict(void *u, const struct dis_verdict_rec *v)
{
    (void)v;
    ((struct counts *)u)->verdicts++;
    return 0;
}

static int c_host(void *u, const struct dis_host_rec *h)
{
    (void)h;
    ((struct counts *)u)->hosts++;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct dis_addr v4(uint32_t x)
{
    struct dis_addr a;
    memset(&a, 0, sizeof(a));
    a.family = 4;
    a.b[0] = (uint8_t)(x >> 24);
    a.b[1] = (uint8_t)(x >> 16);
    a.b[2] = (uint8_t)(x >> 8);
    a.b[3] = (uint8_t)x;
    return a;
}

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static void die(const char *what)
{
    fprintf(stderr, "ana_stress: %s\n", what);
    exit(1);
}

static void feed_flow(struct dis_ana *a, const struct dis_flow_rec *f)
{
    if (dis_ana_flow(a, f) < -1)
        die(dis_ana_errstr(a));
}

static void feed_event(struct dis_ana *a, const struct dis_event *ev)
{
    if (dis_ana_event(a, ev) < 0)
        die(dis_ana_errstr(a));
}

static struct dis_flow_rec flow(uint64_t id, uint8_t proto, struct dis_addr o, uint16_t op,
                                struct dis_addr r, uint16_t rp, uint64_t first)
{
    struct dis_flow_rec f;
    memset(&f, 0, sizeof(f));
    f.id = id;
    f.proto = proto;
    f.ipver = 4;
    f.orig = o;
    f.resp = r;
    f.orig_port = op;
    f.resp_port = rp;
    f.first_ns = first;
    f.last_ns = first + 2 * SEC;
    f.rtt_ns = -1;
    f.end = DIS_END_IDLE;
    return f;
}

/* A TLS 1.3 flow @p id from 10.0.0.5 to @p srv, its TLS event first. */
static void tls13(struct dis_ana *a, uint64_t id, struct dis_addr srv, const char *host,
                  uint8_t ttl, int64_t rtt, uint64_t hello)
{
    uint64_t first = T0 + id * MS;
    struct dis_tls_summary t;
    memset(&t, 0, sizeof(t));
    t.sni = host;
    t.ja3 = t.server_alpn = t.ja3s = t.proxy_target = "";
    t.has_client_hello = t.has_server_hello = t.established = true;
    t.client_hello_ns = first + (uint64_t)rtt + MS;
    t.server_hello_ns = t.client_hello_ns + hello;
    t.client_version = t.server_version = 0x0303;
    t.client_max_version = t.selected_version = 0x0304;
    struct dis_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = DIS_EV_TLS;
    ev.flow_id = id;
    ev.ts_ns = t.client_hello_ns;
    ev.transport = 6;
    ev.src = v4(IP(10, 0, 0, 5));
    ev.sport = (uint16_t)(1024 + id % 60000);
    ev.dst = srv;
    ev.dport = 443;
    ev.u.tls = &t;
    feed_event(a, &ev);
    struct dis_flow_rec f = flow(id, 6, ev.src, ev.sport, srv, 443, first);
    snprintf(f.host, sizeof(f.host), "%s", host);
    f.state = DIS_CS_SF;
    f.rtt_ns = rtt;
    f.ttl_min[0] = f.ttl_max[0] = 64;
    f.ttl_min[1] = f.ttl_max[1] = ttl;
    f.pkts[0] = 12;
    f.pkts[1] = 14;
    f.bytes[0] = f.bytes[1] = 2000;
    feed_flow(a, &f);
}

static void case_baseline(struct dis_ana *a, uint64_t n, uint64_t k)
{
    char host[64];
    for (uint64_t i = 0; i < n; i++) {
        snprintf(host, sizeof(host), "www.example-%llu.org", (unsigned long long)i);
        tls13(a, i + 1, v4(IP(198, 18, 0, 0) + (uint32_t)i), host, (uint8_t)(50 + i % 8),
              (int64_t)(20 * MS), 22 * MS);
    }
    for (uint64_t i = 0; i < k; i++)
        tls13(a, n + i + 1, v4(IP(192, 0, 2, 10) + (uint32_t)(i % 200)), "app.senso.cloud", 64,
              50000, 48 * MS);
}

static void stun_ev(struct dis_ana *a, uint64_t flow_id, uint64_t ts, struct dis_addr s,
                    uint16_t sp, struct dis_addr d, uint16_t dp, const struct dis_stun_msg *m)
{
    struct dis_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = DIS_EV_STUN;
    ev.flow_id = flow_id;
    ev.ts_ns = ts;
    ev.transport = 17;
    ev.src = s;
    ev.sport = sp;
    ev.dst = d;
    ev.dport = dp;
    ev.u.stun = m;
    feed_event(a, &ev);
}

static void check(struct dis_ana *a, struct dis_stun_msg *m, uint64_t flow_id, uint64_t ts,
                  struct dis_addr s, uint16_t sp, struct dis_addr d, uint16_t dp, uint64_t sess,
                  uint32_t tx)
{
    memset(m, 0, sizeof(*m));
    m->method = DIS_STUN_BINDING;
    m->cls = DIS_STUN_REQUEST;
    m->txid_len = 12;
    memcpy(m->txid, &tx, sizeof(tx));
    memcpy(m->txid + 4, &flow_id, sizeof(flow_id));
    m->has_username = true;
    snprintf(m->username, sizeof(m->username), "u%llu:r%llu", (unsigned long long)sess,
             (unsigned long long)sess);
    m->username_len = (uint16_t)strlen(m->username);
    m->has_priority = true;
    m->priority = 0x6e7f00ff;
    m->ice_controlling = true;
    stun_ev(a, flow_id, ts, s, sp, d, dp, m);
}

static void case_ufrags(struct dis_ana *a, uint64_t n)
{
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    if (!m)
        die("out of memory");
    struct dis_addr cli = v4(IP(10, 0, 0, 5)), rem = v4(IP(203, 0, 113, 50));
    for (uint64_t i = 0; i < n; i++)
        check(a, m, 1, T0 + i * 10000, cli, 5000, rem, 7000, i, (uint32_t)i);
    struct dis_flow_rec f = flow(1, 17, cli, 5000, rem, 7000, T0);
    f.pkts[0] = n;
    f.bytes[0] = n * 100;
    f.last_ns = T0 + n * 10000;
    feed_flow(a, &f);
    free(m);
}

static void case_finish(struct dis_ana *a, uint64_t n)
{
    struct dis_stun_msg *m = calloc(1, sizeof(*m));
    if (!m)
        die("out of memory");
    for (uint64_t i = 0; i < n; i++) {
        struct dis_addr cli = v4(IP(10, 1, 0, 0) + (uint32_t)i);
        struct dis_addr priv = v4(IP(192, 168, 0, 0) + (uint32_t)(i % 65536));
        uint64_t id = 2 * i + 1;
        for (uint32_t k = 0; k < 3; k++)
            check(a, m, id, T0 + k * 100 * MS, cli, 5000, priv, 6000, i, k);
        struct dis_flow_rec f = flow(id, 17, cli, 5000, priv, 6000, T0);
        f.pkts[0] = 3;
        f.bytes[0] = 300;
        feed_flow(a, &f);
        /* an answered LAN flow of the same client: kept for method 1 */
        struct dis_flow_rec g = flow(id + 1, 17, cli, 40000, v4(IP(10, 2, 0, 1)), 30200, T0);
        g.pkts[0] = g.pkts[1] = 2;
        g.bytes[0] = g.bytes[1] = 200;
        feed_flow(a, &g);
    }
    free(m);
}

static void case_hosts(struct dis_ana *a, uint64_t n)
{
    struct dis_addr cli = v4(IP(10, 0, 0, 5));
    for (uint64_t i = 0; i < n; i++) {
        struct dis_flow_rec f = flow(2 * i + 1, 6, cli, (uint16_t)(1024 + i % 60000),
                                     v4(IP(11, 0, 0, 0) + (uint32_t)i), 8443, T0 + i * 1000);
        f.state = DIS_CS_S0;
        f.pkts[0] = 1;
        f.bytes[0] = 60;
        feed_flow(a, &f);
        struct dis_flow_rec g = flow(2 * i + 2, 17, v4(IP(10, 3, 0, 0) + (uint32_t)(i % 1000)),
                                     (uint16_t)(1024 + i % 60000),
                                     v4(IP(10, 4, 0, 0) + (uint32_t)i), 40000, T0 + i * 1000);
        g.pkts[0] = g.pkts[1] = 1;
        g.bytes[0] = g.bytes[1] = 100;
        feed_flow(a, &g);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ana_stress baseline N K | ufrags N | finish N | hosts N\n");
        return 2;
    }
    const char *c = argv[1];
    uint64_t n = strtoull(argv[2], NULL, 10), k = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    char err[SS_ERRBUF_SIZE];
    struct dis_profile *prof;
    if (dis_profile_default(&prof, err) < 0)
        die(err);
    struct counts cnt = {0};
    struct dis_ana_sink sink = {&cnt, c_session, c_pair, c_verdict, c_host};
    struct dis_ana_opts o;
    dis_ana_defaults(&o);
    if (!strcmp(c, "baseline")) /* every server a sample: the cost of the medians, not the cap */
        o.max_baseline = (uint32_t)(n + k);
    struct dis_ana *a = dis_ana_new(&o, prof, NULL, &sink, err);
    if (!a)
        die(err);
    double t0 = now_s();
    if (!strcmp(c, "baseline"))
        case_baseline(a, n, k);
    else if (!strcmp(c, "ufrags"))
        case_ufrags(a, n);
    else if (!strcmp(c, "finish"))
        case_finish(a, n);
    else if (!strcmp(c, "hosts"))
        case_hosts(a, n);
    else
        die("unknown case");
    dis_ana_time(a, T0 + 3600 * SEC);
    double t1 = now_s();
    if (dis_ana_finish(a) != 0)
        die(dis_ana_errstr(a));
    double t2 = now_s();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s n=%llu k=%llu feed %.3f s finish %.3f s sessions %llu pairs %llu verdicts %llu "
           "hosts %llu maxrss %ld MB\n",
           c, (unsigned long long)n, (unsigned long long)k, t1 - t0, t2 - t1,
           (unsigned long long)cnt.sessions, (unsigned long long)cnt.pairs,
           (unsigned long long)cnt.verdicts, (unsigned long long)cnt.hosts, ru.ru_maxrss / 1024);
    dis_ana_free(a);
    dis_profile_free(prof);
    return 0;
}
