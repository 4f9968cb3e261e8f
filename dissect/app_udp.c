/* SPDX-License-Identifier: MIT */
/*
 * app_udp.c - application dissection of UDP datagrams, chosen by content, not by port:
 * STUN/TURN (RFC 8489, 8656; RFC 7983/9443 first-byte demultiplexing), TURN ChannelData and
 * the STUN carried inside it or inside Send/Data indications (relayed ICE checks), DTLS 1.0/1.2
 * hellos (RFC 6347; on the same 5-tuple as STUN in WebRTC, RFC 7983), the ClientHello of QUIC
 * v1/v2 client Initials (RFC 9000 §17.2.2, RFC 9001 §5, RFC 9369), and DNS. Parsed messages
 * become events (app_report.c); DNS answers feed the per-client address -> name map that
 * attributes flows to host names. QUIC and DTLS hellos make one TLS summary per flow
 * (app_tls.c), reported as DIS_EV_TLS with transport 17 when the flow ends.
 *
 * Memory. A flow gets state only at its first DTLS record or QUIC Initial: one small struct
 * with the summary. A QUIC flow adds one collector (about 21 KiB) at the client's first
 * Initial, freed as soon as the ClientHello is complete (or the collector fails on its first
 * datagram); the summary's strings take one exact-size allocation per hello.
 */
#include <stdlib.h>

#include "app_int.h"
#include "dissect/quic.h"
#include "dissect/tls.h"

struct app_udp {
    struct dis_quic_collector *quic; /* the client's Initials, until its ClientHello is read */
    int8_t quic_dir;                 /* direction of the client's Initials, -1 before */
    bool quic_done;                  /* the ClientHello was read (or could not be collected) */
    bool quic_off;                   /* the first Initial did not decrypt: not QUIC, given up */
    int8_t client_dir;               /* direction of the ClientHello, -1 until seen */
    int8_t server_dir;               /* direction of the ServerHello (DTLS), -1 until seen */
    uint64_t first_ns;               /* first DTLS record or QUIC Initial */
    uint64_t appdata_ns[2];          /* DTLS: first application_data record per direction */
    uint32_t conn_flags;             /* DIS_TLS_CF_* of the DTLS records */
    char *ch_strs, *sh_strs;         /* the summary's strings of each hello */
    struct dis_tls_summary sum;
};

static struct app_udp *state_get(struct app_ctx *a)
{
    if (a->f->app_udp)
        return a->f->app_udp;
    struct app_udp *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->quic_dir = s->client_dir = s->server_dir = -1;
    s->first_ns = a->ts;
    app_tls_summary_init(&s->sum);
    a->f->app_udp = s;
    return s;
}

static void quic_free(struct app_udp *s)
{
    if (!s->quic)
        return;
    dis_quic_collector_free(s->quic);
    free(s->quic);
    s->quic = NULL;
}

/* ---- QUIC ---- */

/* The ClientHello at the start of the client's CRYPTO stream (RFC 9001 §4.3), into the summary. */
static void quic_hello(struct app_ctx *a, struct app_udp *s)
{
    const uint8_t *p;
    size_t n;
    dis_quic_crypto(s->quic, &p, &n);
    struct rd r;
    rd_init(&r, p, n);
    uint8_t type = rd_u8(&r);
    uint32_t len = rd_be24(&r);
    if (!rd_ok(&r) || type != DIS_TLS_HS_CLIENT_HELLO || len > rd_left(&r))
        return;
    struct dis_tls_client_hello ch;
    if (dis_tls_parse_client_hello(rd_ptr(&r), len, false, &ch) != DIS_OK) {
        s->conn_flags |= DIS_TLS_CF_BAD_HELLO;
        return;
    }
    ch.quic = true; /* JA4 "q" */
    s->client_dir = (int8_t)a->dir;
    app_tls_client_hello(&s->sum, &s->ch_strs, &ch, a->ts);
}

/*
 * A datagram that dis_quic_probe() took for an Initial. The client's (the first direction to
 * send one) are collected until the ClientHello is complete; the server's are not decrypted.
 * Returns 1 when the datagram was taken as QUIC, 0 when it should be tried as something else.
 */
static int try_quic(struct app_ctx *a, const uint8_t *p, size_t caplen)
{
    struct app_udp *s = state_get(a);
    if (!s)
        return 0;
    if (s->quic_off)
        return 0;
    if (s->quic_done)
        return 1;
    if (s->quic_dir < 0)
        s->quic_dir = (int8_t)a->dir;
    if (a->dir != s->quic_dir)
        return 1;
    if (!s->quic) {
        s->quic = malloc(sizeof *s->quic);
        if (!s->quic) {
            s->quic_done = true;
            return 1;
        }
        dis_quic_collector_init(s->quic, false);
    }
    enum dis_status st = dis_quic_collect(s->quic, p, caplen);
    if (st == DIS_OK) {
        quic_hello(a, s);
    } else if (st == DIS_NEED_MORE || s->quic->packets > 0) {
        return 1; /* more CRYPTO to come, or one bad datagram among good ones */
    } else {
        /* its first datagram did not decrypt: not QUIC after all, or the server's */
        quic_free(s);
        s->quic_off = true;
        return 0;
    }
    quic_free(s);
    s->quic_done = true;
    return 1;
}

/* ---- DTLS ---- */

struct dtls_cb {
    struct app_ctx *a;
    struct app_udp *s;
};

static void on_dtls(void *ctx, const struct dis_tls_event *ev)
{
    struct dtls_cb *c = ctx;
    struct app_udp *s = c->s;
    switch (ev->type) {
    case DIS_TLS_EV_CLIENT_HELLO:
        if (s->client_dir < 0)
            s->client_dir = (int8_t)ev->dir;
        app_tls_client_hello(&s->sum, &s->ch_strs, ev->ch, c->a->ts);
        break;
    case DIS_TLS_EV_SERVER_HELLO:
        if (s->server_dir < 0)
            s->server_dir = (int8_t)ev->dir;
        app_tls_server_hello(&s->sum, &s->sh_strs, ev->sh, c->a->ts);
        break;
    case DIS_TLS_EV_ALERT:
        s->sum.alerts++;
        break;
    case DIS_TLS_EV_APPDATA:
        if ((ev->dir == 0 || ev->dir == 1) && !s->appdata_ns[ev->dir])
            s->appdata_ns[ev->dir] = c->a->ts;
        break;
    default:
        break;
    }
}

/* One datagram of DTLS records (dis_dtls_probe() said so). */
static void dtls_read(struct app_ctx *a, const uint8_t *p, size_t caplen)
{
    struct app_udp *s = state_get(a);
    if (!s)
        return;
    struct dtls_cb c = {a, s};
    uint32_t flags = 0;
    (void)dis_dtls_parse(p, caplen, a->dir, on_dtls, &c, &flags);
    s->conn_flags |= flags;
}

/* ---- the end of the flow ---- */

const char *app_udp_name(const struct ft_flow *f)
{
    const struct app_udp *s = f->app_udp;
    return s && s->sum.sni[0] ? s->sum.sni : NULL;
}

int app_udp_end(struct app_ctx *a)
{
    struct app_udp *s = a->f->app_udp;
    if (!s)
        return 0;
    int rc = 0;
    struct dis_tls_summary *m = &s->sum;
    if (m->has_client_hello || m->has_server_hello) {
        int client = DIS_DIR_ORIG;
        if (s->client_dir >= 0)
            client = s->client_dir;
        else if (s->server_dir >= 0)
            client = !s->server_dir;
        m->client_appdata_ns = s->appdata_ns[client];
        m->server_appdata_ns = s->appdata_ns[!client];
        m->conn_flags = s->conn_flags;
        a->dir = client;
        a->ts = m->has_client_hello ? m->client_hello_ns : s->first_ns;
        rc = app_tls_emit(a, m);
    }
    quic_free(s);
    free(s->ch_strs);
    free(s->sh_strs);
    free(s);
    a->f->app_udp = NULL;
    return rc;
}

/* ---- STUN, ChannelData, DNS ---- */

/*
 * ChannelData: accepted where TURN was seen on the flow, or where the frame fills the
 * datagram exactly (plus padding), which a random payload starting 0x40-0x7F rarely does.
 */
static int try_channeldata(struct app_ctx *a, const uint8_t *p, size_t caplen, size_t len)
{
    struct dis_channeldata cd;
    size_t used;
    if (dis_channeldata_parse(p, caplen, len, DIS_STUN_DGRAM, &cd, &used) != DIS_OK)
        return 0;
    size_t frame = 4 + (size_t)cd.data_len;
    bool exact = frame == len || ((frame + 3) & ~(size_t)3) == len;
    if (!a->f->turn_seen && !exact)
        return 0;
    int rc = app_channeldata(a, &cd);
    return rc < 0 ? rc : 1;
}

int app_udp(struct app_ctx *a)
{
    const struct dis_pkt *p = a->p;
    if (!p->payload || p->payload_caplen == 0)
        return 0;
    const uint8_t *d = p->payload;
    size_t caplen = p->payload_caplen, len = p->payload_len;
    uint8_t b = app_first_byte(d, caplen);
    enum dis_demux dm = dis_demux_first_byte(b);
    /* RFC 5766 channels reach 0x7FFF: 0x50-0x7F is ChannelData only where TURN was seen. */
    bool channel = dm == DIS_DEMUX_TURN_CHANNEL || (b >= 0x50 && b <= 0x7f && a->f->turn_seen);
    int rc = 0;
    if (dm == DIS_DEMUX_STUN || dis_stun_probe(d, caplen, len, DIS_STUN_DGRAM) == DIS_OK)
        rc = app_stun(a, d, caplen, len, DIS_STUN_DGRAM);
    if (rc == 0 && channel)
        rc = try_channeldata(a, d, caplen, len);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (dm == DIS_DEMUX_DTLS && dis_dtls_probe(d, caplen) == DIS_OK) {
        dtls_read(a, d, caplen);
        return 0;
    }
    /* RFC 9443 §5: a long header (0xC0-0xFF) of a supported version's Initial */
    if (b >= 0xc0 && dis_quic_probe(d, caplen) == DIS_OK && try_quic(a, d, caplen))
        return 0;
    rc = app_dns(a, d, caplen, len);
    return rc < 0 ? rc : 0;
}
