/* SPDX-License-Identifier: MIT */
/*
 * test_flow.c - the flow table and TCP tracking through dis_engine, from handcrafted raw-IP
 * packets: every Zeek conn_state the tracker produces, RTT, idle-timeout splits, the table cap
 * with eviction (no flow lost), ICMP errors matched to the flow they quote, TCP port reuse and
 * IP fragments counted against their flow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect/engine.h"

#define MAX_RECS 256
#define SEC 1000000000ULL

struct sink {
    int n;
    struct dis_flow_rec recs[MAX_RECS];
};

static int collect(void *user, const struct dis_flow_rec *r)
{
    struct sink *s = user;
    if (s->n < MAX_RECS)
        s->recs[s->n] = *r;
    s->n++;
    return 0;
}

static struct dis_engine *engine(struct sink *s, uint32_t max_flows)
{
    struct dis_engine_opts o;
    dis_engine_defaults(&o);
    o.use_ndpi = 0; /* classification is tested on real captures */
    if (max_flows)
        o.max_flows = max_flows;
    char err[SS_ERRBUF_SIZE];
    memset(s, 0, sizeof *s);
    struct dis_engine *e = dis_engine_new(&o, collect, s, err);
    assert_non_null(e);
    return e;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* IPv4 header for 10.0.0.<a> -> 10.0.0.<b> (or 192.0.2.x for b >= 100). */
static size_t ip4(uint8_t *p, uint8_t a, uint8_t b, uint8_t proto, size_t l4len, uint8_t ttl,
                  uint16_t id, uint16_t frag)
{
    memset(p, 0, 20);
    p[0] = 0x45;
    put16(p + 2, (uint16_t)(20 + l4len));
    put16(p + 4, id);
    put16(p + 6, frag);
    p[8] = ttl;
    p[9] = proto;
    p[12] = 10, p[15] = a;
    p[16] = 10, p[19] = b;
    return 20;
}

static void send_pkt(struct dis_engine *e, const uint8_t *p, size_t n, uint64_t ts)
{
    assert_int_equal(dis_engine_packet(e, DIS_LINKTYPE_RAW, ts, p, (uint32_t)n, (uint32_t)n), 0);
}

/* TCP segment a:ap -> b:bp with flags, seq and payload length. */
static void tcp(struct dis_engine *e, uint64_t ts, uint8_t a, uint16_t ap, uint8_t b, uint16_t bp,
                uint8_t flags, uint32_t seq, size_t len)
{
    uint8_t pkt[1600];
    size_t off = ip4(pkt, a, b, 6, 20 + len, 64, 1, 0);
    uint8_t *t = pkt + off;
    memset(t, 0, 20 + len);
    put16(t, ap);
    put16(t + 2, bp);
    put32(t + 4, seq);
    put32(t + 8, (flags & DIS_TH_ACK) ? 1000 : 0);
    t[12] = 5 << 4;
    t[13] = flags;
    put16(t + 14, 65535);
    send_pkt(e, pkt, off + 20 + len, ts);
}

static void udp(struct dis_engine *e, uint64_t ts, uint8_t a, uint16_t ap, uint8_t b, uint16_t bp,
                size_t len)
{
    uint8_t pkt[1600];
    size_t off = ip4(pkt, a, b, 17, 8 + len, 64, 7, 0);
    uint8_t *u = pkt + off;
    memset(u, 0, 8 + len);
    put16(u, ap);
    put16(u + 2, bp);
    put16(u + 4, (uint16_t)(8 + len));
    send_pkt(e, pkt, off + 8 + len, ts);
}

#define SYN DIS_TH_SYN
#define ACK DIS_TH_ACK
#define FIN DIS_TH_FIN
#define RST DIS_TH_RST

static const struct dis_flow_rec *only_flow(struct dis_engine *e, struct sink *s)
{
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(s->n, 1);
    return &s->recs[0];
}

static void test_sf_with_rtt(void **state)
{
    (void)state;
    struct sink s;
    struct dis_engine *e = engine(&s, 0);
    tcp(e, 1 * SEC, 1, 40000, 2, 443, SYN, 100, 0);
    tcp(e, 1 * SEC + 2500000, 2, 443, 1, 40000, SYN | ACK, 900, 0);
    tcp(e, 1 * SEC + 2600000, 1, 40000, 2, 443, ACK, 101, 0);
    tcp(e, 1 * SEC + 3000000, 1, 40000, 2, 443, ACK, 101, 300);
    tcp(e, 1 * SEC + 9000000, 2, 443, 1, 40000, ACK, 901, 1200);
    tcp(e, 2 * SEC, 1, 40000, 2, 443, FIN | ACK, 401, 0);
    tcp(e, 2 * SEC + 1000, 2, 443, 1, 40000, FIN | ACK, 2101, 0);
    tcp(e, 2 * SEC + 2000, 1, 40000, 2, 443, ACK, 402, 0);
    const struct dis_flow_rec *r = only_flow(e, &s);
    char buf[64];
    assert_string_equal(dis_addr_str(&r->orig, buf, sizeof buf), "10.0.0.1");
    assert_int_equal(r->orig_port, 40000);
    assert_string_equal(dis_addr_str(&r->resp, buf, sizeof buf), "10.0.0.2");
    assert_int_equal(r->resp_port, 443);
    assert_string_equal(dis_conn_state_name(r->state), "SF");
    assert_int_equal(r->pkts[DIS_DIR_ORIG], 5);
    assert_int_equal(r->pkts[DIS_DIR_RESP], 3);
    assert_int_equal(r->payload[DIS_DIR_ORIG], 300);
    assert_int_equal(r->payload[DIS_DIR_RESP], 1200);
    assert_int_equal(r->bytes[DIS_DIR_ORIG], 5 * 40 + 300);
    assert_int_equal(r->rtt_ns, 2500000);
    assert_int_equal(r->ttl_min[0], 64);
    assert_string_equal(r->history, "ShADdFf");
    assert_int_equal(r->first_ns, 1 * SEC);
    assert_int_equal(r->last_ns, 2 * SEC + 2000);
    assert_int_equal(r->end, DIS_END_CAPTURE);
    dis_engine_free(e);
}

/* One packet sequence per conn_state; the expectation is Zeek's meaning of each letter. */
struct seg {
    int from_resp; /* 0: initiator side 10.0.0.1:1111, 1: responder 10.0.0.2:80 */
    uint8_t flags;
    size_t len;
};

static const char *state_of(const struct seg *segs, size_t n)
{
    struct sink s;
    struct dis_engine *e = engine(&s, 0);
    for (size_t i = 0; i < n; i++) {
        uint64_t ts = SEC + i * 1000;
        if (segs[i].from_resp)
            tcp(e, ts, 2, 80, 1, 1111, segs[i].flags, 5000 + (uint32_t)i, segs[i].len);
        else
            tcp(e, ts, 1, 1111, 2, 80, segs[i].flags, 100 + (uint32_t)i, segs[i].len);
    }
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(s.n, 1);
    static char name[8];
    snprintf(name, sizeof name, "%s", dis_conn_state_name(s.recs[0].state));
    dis_engine_free(e);
    return name;
}

#define STATE(expect, ...)                                                                         \
    do {                                                                                           \
        const struct seg v[] = {__VA_ARGS__};                                                      \
        assert_string_equal(state_of(v, sizeof v / sizeof v[0]), expect);                          \
    } while (0)

static void test_conn_states(void **state)
{
    (void)state;
    STATE("S0", {0, SYN, 0}, {0, SYN, 0}, {0, SYN, 0});
    STATE("REJ", {0, SYN, 0}, {1, RST | ACK, 0});
    STATE("S1", {0, SYN, 0}, {1, SYN | ACK, 0}, {0, ACK, 0}, {0, ACK, 10});
    STATE("S2", {0, SYN, 0}, {1, SYN | ACK, 0}, {0, ACK, 0}, {0, FIN | ACK, 0});
    STATE("S3", {0, SYN, 0}, {1, SYN | ACK, 0}, {0, ACK, 0}, {1, FIN | ACK, 0});
    STATE("RSTO", {0, SYN, 0}, {1, SYN | ACK, 0}, {0, ACK, 5}, {0, RST, 0});
    STATE("RSTR", {0, SYN, 0}, {1, SYN | ACK, 0}, {0, ACK, 5}, {1, RST, 0});
    STATE("RSTOS0", {0, SYN, 0}, {0, RST, 0});
    STATE("RSTRH", {1, SYN | ACK, 0}, {1, RST, 0});
    STATE("SH", {0, SYN, 0}, {0, FIN, 0});
    STATE("SHR", {1, SYN | ACK, 0}, {1, FIN | ACK, 0});
    STATE("OTH", {0, ACK, 100}, {1, ACK, 100});
    STATE("SF", {0, SYN, 0}, {1, SYN | ACK, 0}, {0, ACK, 0}, {0, FIN | ACK, 0}, {1, FIN | ACK, 0},
          {0, ACK, 0});
}

static void test_synack_first_sets_initiator(void **state)
{
    (void)state;
    struct sink s;
    struct dis_engine *e = engine(&s, 0);
    tcp(e, SEC, 2, 80, 1, 1111, SYN | ACK, 5000, 0);
    const struct dis_flow_rec *r = only_flow(e, &s);
    char buf[64];
    /* The SYN-ACK's receiver sent the SYN we did not see: it is the initiator. */
    assert_string_equal(dis_addr_str(&r->orig, buf, sizeof buf), "10.0.0.1");
    assert_int_equal(r->orig_port, 1111);
    assert_int_equal(r->pkts[DIS_DIR_RESP], 1);
    dis_engine_free(e);

    /* A lone RST answers something too (here: after its flow was evicted or not captured). */
    e = engine(&s, 0);
    tcp(e, SEC, 2, 70, 1, 36050, RST | ACK, 0, 0);
    r = only_flow(e, &s);
    assert_string_equal(dis_addr_str(&r->orig, buf, sizeof buf), "10.0.0.1");
    assert_int_equal(r->orig_port, 36050);
    assert_int_equal(r->resp_port, 70);
    assert_string_equal(dis_conn_state_name(r->state), "RSTRH");
    dis_engine_free(e);
}

static void test_udp_idle_split(void **state)
{
    (void)state;
    struct sink s;
    struct dis_engine *e = engine(&s, 0);
    udp(e, 10 * SEC, 1, 5000, 2, 3478, 20);
    udp(e, 10 * SEC + 1000, 2, 3478, 1, 5000, 32);
    /* 121 s later: past the 120 s UDP timeout, the same 5-tuple is a new flow */
    udp(e, 131 * SEC + 2000, 1, 5000, 2, 3478, 20);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.recs[0].end, DIS_END_IDLE);
    assert_int_equal(s.recs[0].pkts[0], 1);
    assert_int_equal(s.recs[0].pkts[1], 1);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.recs[1].first_ns, 131 * SEC + 2000);
    dis_engine_free(e);
}

static void test_cap_evicts_and_keeps(void **state)
{
    (void)state;
    struct sink s;
    struct dis_engine *e = engine(&s, 8);
    for (int i = 0; i < 100; i++)
        udp(e, SEC + (uint64_t)i * 1000, 1, (uint16_t)(10000 + i), 2, 53, 30);
    struct dis_engine_stats st;
    dis_engine_get_stats(e, &st);
    assert_true(st.flows_active_max <= 8);
    assert_int_equal(st.flows_evicted, 92);
    assert_int_equal(s.n, 92);
    /* the longest idle went first: ports in creation order */
    assert_int_equal(s.recs[0].orig_port, 10000);
    assert_int_equal(s.recs[0].end, DIS_END_EVICTED);
    assert_int_equal(s.recs[91].orig_port, 10091);
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(s.n, 100); /* every flow was handed on: none lost */
    dis_engine_free(e);
}

static void test_icmp_error_matched(void **state)
{
    (void)state;
    struct sink s;
    struct dis_engine *e = engine(&s, 0);
    udp(e, SEC, 1, 5000, 2, 3478, 20);
    /* 10.0.0.2 answers with ICMP port unreachable quoting the UDP datagram */
    uint8_t pkt[128];
    size_t off = ip4(pkt, 2, 1, 1, 8 + 28, 64, 9, 0);
    uint8_t *ic = pkt + off;
    memset(ic, 0, 8);
    ic[0] = 3, ic[1] = 3;
    ip4(ic + 8, 1, 2, 17, 8 + 20, 63, 7, 0);
    put16(ic + 28, 5000);
    put16(ic + 30, 3478);
    put16(ic + 32, 28);
    send_pkt(e, pkt, off + 36, SEC + 500);
    const struct dis_flow_rec *r = only_flow(e, &s);
    assert_int_equal(r->proto, 17);
    assert_int_equal(r->icmp_errors, 1);
    assert_int_equal(r->icmp_type, 3);
    assert_int_equal(r->icmp_code, 3);
    char buf[64];
    assert_string_equal(dis_addr_str(&r->icmp_from, buf, sizeof buf), "10.0.0.2");
    dis_engine_free(e);
}

static void test_port_reuse(void **state)
{
    (void)state;
    struct sink s;
    struct dis_engine *e = engine(&s, 0);
    tcp(e, SEC, 1, 1111, 2, 80, SYN, 100, 0);
    tcp(e, SEC + 10, 2, 80, 1, 1111, SYN | ACK, 900, 0);
    tcp(e, SEC + 20, 1, 1111, 2, 80, FIN | ACK, 101, 0);
    tcp(e, SEC + 30, 2, 80, 1, 1111, FIN | ACK, 901, 0);
    tcp(e, 2 * SEC, 1, 1111, 2, 80, SYN, 777777, 0); /* new ISN: a new connection */
    assert_int_equal(s.n, 1);
    assert_int_equal(s.recs[0].end, DIS_END_REUSED);
    assert_string_equal(dis_conn_state_name(s.recs[0].state), "SF");
    assert_int_equal(dis_engine_flush(e), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(dis_conn_state_name(s.recs[1].state), "S0");
    dis_engine_free(e);
}

static void test_fragments_counted(void **state)
{
    (void)state;
    struct sink s;
    struct dis_engine *e = engine(&s, 0);
    uint8_t pkt[256];
    /* first fragment: MF set, offset 0, carries the UDP header */
    size_t off = ip4(pkt, 1, 2, 17, 8 + 40, 64, 0x4242, 0x2000);
    memset(pkt + off, 0, 48);
    put16(pkt + off, 5353);
    put16(pkt + off + 2, 53);
    put16(pkt + off + 4, 8 + 80);
    send_pkt(e, pkt, off + 48, SEC);
    /* second fragment: offset 48 bytes (6 units), no MF */
    off = ip4(pkt, 1, 2, 17, 40, 64, 0x4242, 6);
    memset(pkt + off, 0, 40);
    send_pkt(e, pkt, off + 40, SEC + 10);
    const struct dis_flow_rec *r = only_flow(e, &s);
    assert_int_equal(r->pkts[0], 2);
    assert_int_equal(r->frags, 1);
    assert_int_equal(r->bytes[0], 68 + 60);
    dis_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sf_with_rtt),
        cmocka_unit_test(test_conn_states),
        cmocka_unit_test(test_synack_first_sets_initiator),
        cmocka_unit_test(test_udp_idle_split),
        cmocka_unit_test(test_cap_evicts_and_keeps),
        cmocka_unit_test(test_icmp_error_matched),
        cmocka_unit_test(test_port_reuse),
        cmocka_unit_test(test_fragments_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
