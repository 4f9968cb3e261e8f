/* SPDX-License-Identifier: MIT */
/*
 * engine.c - the dissect stage's per-packet path: decode the frame, find or create its flow,
 * count it, track TCP state, hand its payload to the application dissectors (app_udp.c,
 * app_tcp.c), classify the first packets with nDPI, match ICMP errors and later IP fragments to
 * the flow they belong to, and expire idle flows as capture time advances.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "cert_cache_int.h"
#include "dissect/engine.h"
#include "flow_int.h"
#include "ndpi_adapter.h"

/* Later fragments are matched to their flow through this many recent first fragments. */
#define FRAG_SLOTS 4096
/* How often (capture time) idle flows are looked for. */
#define EXPIRE_EVERY_NS 1000000000ULL

struct frag_slot {
    struct dis_addr src, dst;
    uint32_t id;
    uint8_t proto, used;
    struct ft_key key;
};

struct dis_engine {
    struct dis_engine_opts o;
    dis_flow_cb cb;
    void *user;
    struct ft *ft;
    struct dis_ndpi *ndpi;
    struct dis_engine_stats st;
    uint64_t next_id;
    uint64_t last_flow; /* id of the flow the last packet counted against, 0 if none */
    uint64_t now_ns, last_expire_ns;
    struct frag_slot *frags;
    dis_event_cb ev_cb;
    void *ev_user;
    struct dis_dns_map *dns_map;
    struct dis_stun_msg *stun_outer, *stun_inner; /* parse scratch */
    struct dis_dns_msg *dns_msg;                  /* parse scratch */
    struct cert_cache *certs;                     /* decoded TLS certificates, shared */
};

void dis_engine_defaults(struct dis_engine_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_flows = 500000;
    o->tcp_est_timeout = 300;
    o->tcp_timeout = 30;
    o->udp_timeout = 120;
    o->other_timeout = 60;
    o->ndpi_max_packets = 24;
    o->stun_per_flow = 1000;
    o->dns_map_size = 16384;
    o->tcp_reasm_cap = 32768;
    o->event_kinds = DIS_EV_KINDS_ALL;
#ifdef SS_WITH_NDPI
    o->use_ndpi = 1;
#endif
}

/*
 * The host name of a flow (DESIGN.md "Attribution"), in order: the TLS SNI (TCP or QUIC), the HTTP
 * CONNECT target, the name its initiator asked DNS for to get the responder's address (an answer
 * that came after the flow began did not cause it), the leaf certificate's name.
 */
static void attribute(struct dis_engine *e, struct ft_flow *f)
{
    char buf[DIS_TLS_NAME_SIZE];
    const char *name = NULL;
    if (f->rec.host[0])
        return;
    if (f->app) {
        name = app_tcp_name(f, APP_NAME_SNI, buf, sizeof buf);
        if (!name)
            name = app_tcp_name(f, APP_NAME_CONNECT, buf, sizeof buf);
    }
    if (!name && f->app_udp)
        name = app_udp_name(f); /* the SNI of a QUIC ClientHello */
    struct dis_dns_map_result r;
    if (!name && e->dns_map &&
        dis_dns_map_lookup(e->dns_map, &f->rec.orig, &f->rec.resp, f->rec.first_ns, &r) &&
        r.answered_ns <= f->rec.first_ns)
        name = r.name;
    if (!name && f->app)
        name = app_tcp_name(f, APP_NAME_CERT, buf, sizeof buf);
    /* a valid name has at most 253 characters; escaped odd bytes may make it longer */
    if (name)
        snprintf(f->rec.host, sizeof f->rec.host, "%.255s", name);
}

/* The application-layer context for packet @p p (NULL when the flow ends) of direction @p dir. */
static void app_ctx_make(struct dis_engine *e, struct ft_flow *f, const struct dis_pkt *p, int dir,
                         uint64_t ts, struct app_ctx *a)
{
    *a = (struct app_ctx){.f = f,
                          .p = p,
                          .dir = dir,
                          .ts = ts,
                          .st = &e->st,
                          .cb = e->ev_cb,
                          .user = e->ev_user,
                          .ev_kinds = e->o.event_kinds,
                          .stun_cap = e->o.stun_per_flow,
                          .reasm_cap = e->o.tcp_reasm_cap,
                          .x509_store = e->o.x509_store,
                          .certs = e->certs,
                          .dns_map = e->dns_map,
                          .outer = e->stun_outer,
                          .inner = e->stun_inner,
                          .dns = e->dns_msg};
}

/* A flow leaves the table: finish its classification and state, hand the record on. */
static int emit(void *ctx, struct ft_flow *f, enum dis_flow_end why)
{
    struct dis_engine *e = ctx;
    if (f->ndpi) {
        dis_ndpi_giveup(e->ndpi, f->ndpi, f->rec.app, sizeof f->rec.app, f->rec.category,
                        sizeof f->rec.category);
        dis_ndpi_flow_release(e->ndpi, f->ndpi);
        f->ndpi = NULL;
    }
    if (f->rec.proto == DIS_IPPROTO_TCP)
        f->rec.state = ft_tcp_conn_state(f);
    attribute(e, f);
    f->rec.end = why;
    e->st.flows_ended++;
    if (why == DIS_END_EVICTED)
        e->st.flows_evicted++;
    /* The TLS summary goes out before the record, and the TCP state is freed either way. */
    int rc = 0;
    if (f->app) {
        struct app_ctx a;
        app_ctx_make(e, f, NULL, DIS_DIR_ORIG, e->now_ns, &a);
        rc = app_tcp_end(&a);
    }
    if (f->app_udp) { /* QUIC or DTLS: its TLS summary, and the state freed either way */
        struct app_ctx a;
        app_ctx_make(e, f, NULL, DIS_DIR_ORIG, e->now_ns, &a);
        int urc = app_udp_end(&a);
        if (rc == 0)
            rc = urc;
    }
    if (rc < 0)
        return rc;
    return e->cb ? e->cb(e->user, &f->rec) : 0;
}

struct dis_engine *dis_engine_new(const struct dis_engine_opts *o, dis_flow_cb cb, void *user,
                                  char err[SS_ERRBUF_SIZE])
{
    struct dis_engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, SS_ERRBUF_SIZE, "out of memory creating the engine");
        return NULL;
    }
    e->o = *o;
    e->cb = cb;
    e->user = user;
    uint32_t timeouts[FT_NCLASS] = {o->tcp_est_timeout, o->tcp_timeout, o->udp_timeout,
                                    o->other_timeout};
    e->ft = ft_new(o->max_flows, timeouts, emit, e, err);
    if (!e->ft)
        goto fail;
    e->frags = calloc(FRAG_SLOTS, sizeof *e->frags);
    if (!e->frags) {
        snprintf(err, SS_ERRBUF_SIZE, "out of memory creating the fragment table");
        goto fail;
    }
    if (o->use_ndpi) {
        e->ndpi = dis_ndpi_new(err);
        if (!e->ndpi)
            goto fail;
    }
    e->stun_outer = malloc(sizeof *e->stun_outer);
    e->stun_inner = malloc(sizeof *e->stun_inner);
    e->dns_msg = malloc(sizeof *e->dns_msg);
    if (!e->stun_outer || !e->stun_inner || !e->dns_msg) {
        snprintf(err, SS_ERRBUF_SIZE, "out of memory creating the engine");
        goto fail;
    }
    e->certs = cert_cache_new(0, err);
    if (!e->certs)
        goto fail;
    if (o->dns_map_size) {
        e->dns_map = dis_dns_map_new(o->dns_map_size, 0x5e1f0bad5eedULL, err);
        if (!e->dns_map)
            goto fail;
    }
    return e;
fail:
    dis_engine_free(e);
    return NULL;
}

void dis_engine_free(struct dis_engine *e)
{
    if (!e)
        return;
    /* Flows not flushed are dropped (no record, no event), but their nDPI and TCP
     * application state is still released. */
    if (e->ft) {
        e->cb = NULL;
        e->ev_cb = NULL;
        (void)ft_flush(e->ft, DIS_END_CAPTURE);
        ft_free(e->ft);
    }
    dis_ndpi_free(e->ndpi);
    dis_dns_map_free(e->dns_map);
    cert_cache_free(e->certs); /* after the flows: they held references into it */
    free(e->stun_outer);
    free(e->stun_inner);
    free(e->dns_msg);
    free(e->frags);
    free(e);
}

static uint32_t frag_hash(const struct dis_addr *s, const struct dis_addr *d, uint32_t id,
                          uint8_t proto)
{
    uint32_t h = 2166136261u ^ id ^ ((uint32_t)proto << 24);
    for (int i = 0; i < 16; i++) {
        h = (h ^ s->b[i]) * 16777619u;
        h = (h ^ d->b[i]) * 16777619u;
    }
    return h & (FRAG_SLOTS - 1);
}

static void frag_remember(struct dis_engine *e, const struct dis_pkt *p, const struct ft_key *k)
{
    struct frag_slot *s = &e->frags[frag_hash(&p->src, &p->dst, p->frag_id, p->proto)];
    s->src = p->src;
    s->dst = p->dst;
    s->id = p->frag_id;
    s->proto = p->proto;
    s->used = 1;
    s->key = *k;
}

static const struct ft_key *frag_lookup(struct dis_engine *e, const struct dis_pkt *p)
{
    struct frag_slot *s = &e->frags[frag_hash(&p->src, &p->dst, p->frag_id, p->proto)];
    if (!s->used || s->id != p->frag_id || s->proto != p->proto ||
        dis_addr_cmp(&s->src, &p->src) != 0 || dis_addr_cmp(&s->dst, &p->dst) != 0)
        return NULL;
    return &s->key;
}

static bool is_icmp(uint8_t proto)
{
    return proto == DIS_IPPROTO_ICMP || proto == DIS_IPPROTO_ICMPV6;
}

/* Zeek-like ICMP "ports": echo request and reply share one flow per host pair. */
static void icmp_key_ports(const struct dis_pkt *p, uint16_t *a, uint16_t *b)
{
    uint8_t t = p->icmp_type;
    if (p->proto == DIS_IPPROTO_ICMP && (t == 8 || t == 0)) {
        *a = 8, *b = 0;
    } else if (p->proto == DIS_IPPROTO_ICMPV6 && (t == 128 || t == 129)) {
        *a = 128, *b = 129;
    } else {
        *a = t, *b = p->icmp_code;
    }
}

/* Direction of an ICMP packet within its flow: by address, as ICMP has no ports. */
static int icmp_dir(const struct ft_flow *f, const struct dis_pkt *p)
{
    return dis_addr_cmp(&p->src, &f->rec.orig) == 0 ? DIS_DIR_ORIG : DIS_DIR_RESP;
}

static void count(struct ft_flow *f, int dir, const struct dis_pkt *p, uint64_t ts)
{
    struct dis_flow_rec *r = &f->rec;
    if (r->pkts[dir] == 0 || p->ttl < r->ttl_min[dir])
        r->ttl_min[dir] = p->ttl;
    if (r->pkts[dir] == 0 || p->ttl > r->ttl_max[dir])
        r->ttl_max[dir] = p->ttl;
    r->pkts[dir]++;
    r->bytes[dir] += p->ip_len;
    r->payload[dir] += p->payload_len;
    if (ts < r->first_ns)
        r->first_ns = ts;
    if (ts > r->last_ns)
        r->last_ns = ts;
}

static enum ft_class flow_class(const struct ft_flow *f)
{
    switch (f->rec.proto) {
    case DIS_IPPROTO_TCP:
        return ft_tcp_established(f) ? FT_TCP_EST : FT_TCP;
    case DIS_IPPROTO_UDP:
        return FT_UDP;
    default:
        return FT_OTHER;
    }
}

static struct ft_flow *new_flow(struct dis_engine *e, const struct ft_key *k,
                                const struct dis_pkt *p, uint16_t sport, uint16_t dport,
                                uint64_t ts, int *rc)
{
    struct ft_flow *f = ft_insert(e->ft, k, rc);
    if (!f)
        return NULL;
    struct dis_flow_rec *r = &f->rec;
    r->id = ++e->next_id;
    r->proto = p->proto;
    r->ipver = p->ipver;
    r->first_ns = r->last_ns = ts;
    r->rtt_ns = -1;
    r->vlan = p->vlan_count ? p->vlan[0] : 0;
    /* Initiator: the SYN's sender. A first packet that answers something (a SYN-ACK, or a RST
     * without SYN) was sent by the responder: its receiver is the initiator. */
    uint8_t fl = p->tcp_flags;
    bool flip = p->proto == DIS_IPPROTO_TCP &&
                ((fl & (DIS_TH_SYN | DIS_TH_ACK)) == (DIS_TH_SYN | DIS_TH_ACK) ||
                 (fl & (DIS_TH_RST | DIS_TH_SYN)) == DIS_TH_RST);
    if (is_icmp(p->proto)) {
        r->orig = p->src, r->resp = p->dst;
        r->orig_port = p->icmp_type, r->resp_port = p->icmp_code;
    } else if (flip) {
        r->orig = p->dst, r->orig_port = dport;
        r->resp = p->src, r->resp_port = sport;
    } else {
        r->orig = p->src, r->orig_port = sport;
        r->resp = p->dst, r->resp_port = dport;
    }
    f->orig_is_lo = dis_addr_cmp(&r->orig, &k->lo) == 0 && r->orig_port == k->lo_port;
    if (e->ndpi) {
        f->ndpi = dis_ndpi_flow_new(e->ndpi);
        f->ndpi_done = f->ndpi == NULL;
    } else {
        f->ndpi_done = true;
    }
    e->st.flows_created++;
    return f;
}

static void classify(struct dis_engine *e, struct ft_flow *f, const struct dis_pkt *p, uint64_t ts)
{
    if (f->ndpi_done || !f->ndpi || !p->l3)
        return;
    f->ndpi_pkts++;
    int done = dis_ndpi_feed(e->ndpi, f->ndpi, p->l3, p->l3_caplen, ts / 1000000ULL, f->rec.app,
                             sizeof f->rec.app, f->rec.category, sizeof f->rec.category);
    if (!done && f->ndpi_pkts >= e->o.ndpi_max_packets) {
        dis_ndpi_giveup(e->ndpi, f->ndpi, f->rec.app, sizeof f->rec.app, f->rec.category,
                        sizeof f->rec.category);
        done = 1;
    }
    if (done) {
        dis_ndpi_flow_release(e->ndpi, f->ndpi);
        f->ndpi = NULL;
        f->ndpi_done = true;
    }
}

/* An ICMP error is evidence about the flow it quotes; returns true when it was matched. */
static bool match_icmp_error(struct dis_engine *e, const struct dis_pkt *p, uint64_t ts)
{
    if (!p->icmp_error || !p->has_inner || !p->inner.has_ports)
        return false;
    struct ft_key k;
    ft_key_make(&k, p->inner.proto, &p->inner.src, p->inner.sport, &p->inner.dst, p->inner.dport);
    struct ft_flow *f = ft_find(e->ft, &k);
    if (!f)
        return false;
    if (f->rec.icmp_errors++ == 0) {
        f->rec.icmp_type = p->icmp_type;
        f->rec.icmp_code = p->icmp_code;
        f->rec.icmp_from = p->src;
        f->rec.icmp_first_ns = ts;
    }
    e->st.icmp_errors_matched++;
    e->last_flow = f->rec.id;
    return true;
}

int dis_engine_packet(struct dis_engine *e, int linktype, uint64_t ts_ns, const uint8_t *frame,
                      uint32_t caplen, uint32_t wirelen)
{
    int rc = 0;
    e->last_flow = 0;
    e->st.frames++;
    e->st.frame_bytes += wirelen;
    if (ts_ns > e->now_ns)
        e->now_ns = ts_ns;
    if (e->now_ns - e->last_expire_ns >= EXPIRE_EVERY_NS) {
        e->last_expire_ns = e->now_ns;
        rc = ft_expire(e->ft, e->now_ns);
        if (rc < 0)
            return rc;
    }

    struct dis_pkt p;
    enum dis_status s = dis_decode(linktype, frame, caplen, &p);
    switch (s) {
    case DIS_OK:
        break;
    case DIS_NOT_MINE:
        e->st.non_ip++;
        return 0;
    case DIS_MALFORMED:
        e->st.malformed++;
        return 0;
    case DIS_TRUNCATED:
    default:
        e->st.truncated++;
        if (!p.ipver)
            return 0;
        break;
    }
    if (!p.ipver)
        return 0;
    e->st.ip_packets++;

    /* A later fragment counts against the flow its first fragment opened. */
    if (p.frag && !p.frag_first) {
        const struct ft_key *k = frag_lookup(e, &p);
        struct ft_flow *f = k ? ft_find(e->ft, k) : NULL;
        if (!f) {
            e->st.frag_unmatched++;
            return 0;
        }
        int dir = dis_addr_cmp(&p.src, &f->rec.orig) == 0 ? DIS_DIR_ORIG : DIS_DIR_RESP;
        count(f, dir, &p, ts_ns);
        f->rec.frags++;
        ft_touch(e->ft, f, flow_class(f));
        e->last_flow = f->rec.id;
        return 0;
    }
    if (!p.l4_ok && (p.proto == DIS_IPPROTO_TCP || p.proto == DIS_IPPROTO_UDP))
        return 0; /* transport header cut: no ports, no flow (counted as truncated) */
    if (is_icmp(p.proto) && !p.l4_ok)
        return 0;
    if (is_icmp(p.proto) && match_icmp_error(e, &p, ts_ns))
        return 0;

    uint16_t sport = 0, dport = 0;
    if (p.proto == DIS_IPPROTO_TCP || p.proto == DIS_IPPROTO_UDP)
        sport = p.sport, dport = p.dport;
    else if (is_icmp(p.proto))
        icmp_key_ports(&p, &sport, &dport);

    struct ft_key k;
    bool src_lo = ft_key_make(&k, p.proto, &p.src, sport, &p.dst, dport);
    struct ft_flow *f = ft_find(e->ft, &k);
    if (f && p.proto == DIS_IPPROTO_TCP) {
        int d = (src_lo == f->orig_is_lo) ? DIS_DIR_ORIG : DIS_DIR_RESP;
        if (ft_tcp_is_reuse(f, d, p.tcp_flags, p.seq)) {
            rc = ft_remove(e->ft, f, DIS_END_REUSED);
            if (rc < 0)
                return rc;
            f = NULL;
        }
    }
    if (!f) {
        f = new_flow(e, &k, &p, sport, dport, ts_ns, &rc);
        if (!f)
            return rc < 0 ? rc : -1;
    }
    int dir;
    if (is_icmp(p.proto))
        dir = icmp_dir(f, &p);
    else
        dir = (src_lo == f->orig_is_lo) ? DIS_DIR_ORIG : DIS_DIR_RESP;
    count(f, dir, &p, ts_ns);
    if (p.frag && p.frag_first)
        frag_remember(e, &p, &k);
    if (p.proto == DIS_IPPROTO_TCP) {
        ft_tcp_update(f, dir, p.tcp_flags, p.seq, p.payload_len, ts_ns);
        struct app_ctx a;
        app_ctx_make(e, f, &p, dir, ts_ns, &a);
        rc = app_tcp(&a);
        if (rc < 0)
            return rc;
    } else if (p.proto == DIS_IPPROTO_UDP) {
        struct app_ctx a;
        app_ctx_make(e, f, &p, dir, ts_ns, &a);
        rc = app_udp(&a);
        if (rc < 0)
            return rc;
    }
    classify(e, f, &p, ts_ns);
    ft_touch(e->ft, f, flow_class(f));
    e->last_flow = f->rec.id;
    return 0;
}

int dis_engine_tick(struct dis_engine *e, uint64_t now_ns)
{
    if (now_ns > e->now_ns)
        e->now_ns = now_ns;
    e->last_expire_ns = e->now_ns;
    return ft_expire(e->ft, e->now_ns);
}

int dis_engine_flush(struct dis_engine *e)
{
    return ft_flush(e->ft, DIS_END_CAPTURE);
}

uint64_t dis_engine_last_flow(const struct dis_engine *e)
{
    return e->last_flow;
}

void dis_engine_set_event_cb(struct dis_engine *e, dis_event_cb cb, void *user)
{
    e->ev_cb = cb;
    e->ev_user = user;
}

void dis_engine_get_stats(const struct dis_engine *e, struct dis_engine_stats *st)
{
    *st = e->st;
    st->flows_active = ft_count(e->ft);
    st->flows_active_max = ft_count_max(e->ft);
}
