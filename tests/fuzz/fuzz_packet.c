/* SPDX-License-Identifier: MIT */
/*
 * fuzz_packet.c - the whole packet path (link decode, IP, transport, flow table, TCP tracking,
 * ICMP matching, fragments, and the application layer: STUN/TURN, DNS, TLS, CONNECT over
 * reassembled TCP) on hostile input. Input: one byte choosing the link type, then
 * frames, each a 2-byte big-endian length and that many bytes, all given to one engine in
 * order with increasing timestamps; the engine is then flushed. nDPI is left out: it is
 * third-party code with its own fuzzing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads what each event points to, so that sanitizers check it is valid and initialised. */
static int on_event(void *user, const struct dis_event *ev)
{
    size_t *n = user;
    (*n)++;
    switch (ev->kind) {
    case DIS_EV_STUN:
        return ev->u.stun->method > 0xfff ? -1 : 0;
    case DIS_EV_DNS:
        return ev->u.dns->n_answers > DIS_DNS_MAX_ANSWERS ? -1 : 0;
    case DIS_EV_TLS:
        return ev->u.tls->sni[0] == '\0' || strlen(ev->u.tls->sni) < 256 ? 0 : -1;
    default:
        return 0;
    }
}

static int count_flow(void *user, const struct dis_flow_rec *rec)
{
    size_t *n = user;
    (*n)++;
    /* touch the record so that sanitizers check it is fully initialised */
    return rec->pkts[0] + rec->pkts[1] == 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int linktypes[] = {
        DIS_LINKTYPE_ETHERNET,   DIS_LINKTYPE_RAW,  DIS_LINKTYPE_LINUX_SLL,
        DIS_LINKTYPE_LINUX_SLL2, DIS_LINKTYPE_NULL, DIS_LINKTYPE_LOOP,
        DIS_LINKTYPE_PPP,        DIS_LINKTYPE_IPV4, DIS_LINKTYPE_IPV6};
    if (size < 1)
        return 0;
    int lt = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
    struct dis_engine_opts o;
    dis_engine_defaults(&o);
    o.use_ndpi = 0;
    o.max_flows = 8; /* small, so that eviction runs too */
    o.udp_timeout = 1;
    o.dns_map_size = 64;    /* the default map is megabytes: too slow to build per input */
    o.tcp_reasm_cap = 4096; /* small, so that the cap and buffer restarts are reached */
    size_t flows = 0;
    char err[SS_ERRBUF_SIZE];
    struct dis_engine *e = dis_engine_new(&o, count_flow, &flows, err);
    if (!e)
        abort();
    size_t events = 0;
    dis_engine_set_event_cb(e, on_event, &events);
    uint64_t ts = 1700000000ULL * 1000000000ULL;
    size_t off = 1;
    while (off + 2 <= size) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        /* each frame in its own exactly sized buffer, so that over-reads are caught */
        uint8_t *frame = malloc(len ? len : 1);
        if (!frame)
            abort();
        memcpy(frame, data + off, len);
        if (dis_engine_packet(e, lt, ts, frame, (uint32_t)len, (uint32_t)len) < 0)
            abort(); /* a record with no packets was emitted */
        free(frame);
        off += len;
        ts += 700000000ULL; /* 0.7 s: idle expiry happens within an input */
    }
    if (dis_engine_flush(e) < 0)
        abort();
    dis_engine_free(e);
    return 0;
}
