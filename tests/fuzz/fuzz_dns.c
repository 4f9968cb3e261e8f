/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dns.c - libFuzzer target for the DNS dissector: the input is parsed as a UDP message,
 * probed, split into TCP frames that are parsed in turn, and every parsed response is fed to
 * a small answer map and looked up again. Checks invariants the parser promises (bounded
 * counts, terminated strings, names within 255 octets, answers findable right after adding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/dns.h"
#include "dissect/dns_map.h"
#include "dissect/rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static void check_name(const struct dis_dns_name *n)
{
    char s[DIS_DNS_NAME_STRLEN];
    CHECK(n->len <= DIS_DNS_NAME_WIRE_MAX);
    dis_dns_name_str(n, s, sizeof s);
    CHECK(strlen(s) < sizeof s);
    if (n->len > 0)
        CHECK(n->b[n->len - 1] == 0 && s[0] != '\0');
}

static void check_msg(enum dis_status st, const struct dis_dns_msg *m, struct dis_dns_map *map)
{
    CHECK(st == DIS_OK || st == DIS_TRUNCATED || st == DIS_MALFORMED || st == DIS_NOT_MINE);
    CHECK(m->n_answers <= DIS_DNS_MAX_ANSWERS);
    CHECK(strlen(m->qname) < sizeof m->qname);
    if (m->has_question)
        check_name(&m->qname_wire);
    for (unsigned i = 0; i < m->n_answers; i++) {
        const struct dis_dns_rr *rr = &m->answers[i];
        check_name(&rr->owner);
        check_name(&rr->target);
        CHECK(rr->svcb.n_alpn <= DIS_DNS_MAX_ALPN && rr->svcb.n_hints <= DIS_DNS_MAX_HINTS);
        for (unsigned k = 0; k < rr->svcb.n_alpn; k++)
            CHECK(strlen(rr->svcb.alpn[k]) > 0 && strlen(rr->svcb.alpn[k]) < DIS_DNS_ALPN_STRLEN);
    }
    if (st != DIS_OK && st != DIS_TRUNCATED)
        return;
    struct dis_addr client;
    memset(&client, 0, sizeof client);
    client.family = 4;
    client.b[0] = 10;
    unsigned added = dis_dns_map_add_response(map, &client, m, 1000);
    struct dis_dns_map_stats stats;
    dis_dns_map_stats(map, &stats);
    CHECK(stats.count <= stats.capacity);
    /* The most recently added address of an A/AAAA answer is always present. */
    for (unsigned i = m->n_answers; added > 0 && i-- > 0;) {
        const struct dis_dns_rr *rr = &m->answers[i];
        if (rr->addr.family == 0)
            continue;
        struct dis_dns_map_result r;
        if (dis_dns_map_lookup(map, &client, &rr->addr, 2000, &r)) {
            CHECK(strlen(r.name) > 0 && strlen(r.canon) > 0);
            CHECK(r.answered_ns == 1000);
        }
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[SS_ERRBUF_SIZE];
    struct dis_dns_map *map = dis_dns_map_new(8, 1, err);
    CHECK(map != NULL);
    struct dis_dns_msg *m = malloc(sizeof *m);
    CHECK(m != NULL);

    enum dis_status probe = dis_dns_probe(data, size, size);
    CHECK(probe == DIS_OK || probe == DIS_TRUNCATED || probe == DIS_NOT_MINE);
    check_msg(dis_dns_parse(data, size, m), m, map);

    /* The same bytes as a DNS-over-TCP stream. */
    struct rd stream;
    rd_init(&stream, data, size);
    for (unsigned i = 0; i < 64; i++) {
        const uint8_t *msg;
        size_t len, used;
        if (dis_dns_tcp_frame(rd_ptr(&stream), rd_left(&stream), &msg, &len, &used) != DIS_OK)
            break;
        CHECK(used == len + 2 && used <= rd_left(&stream));
        check_msg(dis_dns_parse(msg, len, m), m, map);
        rd_skip(&stream, used);
    }
    free(m);
    dis_dns_map_free(map);
    return 0;
}
