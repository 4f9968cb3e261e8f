/* SPDX-License-Identifier: MIT */
/*
 * app_report.c - turning parsed application messages into events, shared by the UDP and the
 * TCP paths: STUN/TURN messages (RFC 8489, RFC 8656) with the per-flow cap, the STUN relayed
 * inside ChannelData or Send/Data indications (reported as inner), and DNS messages, whose
 * responses also feed the per-client address -> name map (DESIGN.md "Attribution").
 */
#include <string.h>

#include "app_int.h"

uint8_t app_first_byte(const uint8_t *p, size_t n)
{
    struct rd r;
    rd_init(&r, p, n);
    return rd_u8(&r);
}

void app_event_init(const struct app_ctx *a, struct dis_event *ev, enum dis_event_kind kind)
{
    const struct dis_flow_rec *r = &a->f->rec;
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->flow_id = r->id;
    ev->ts_ns = a->ts;
    ev->transport = r->proto;
    if (a->dir == DIS_DIR_ORIG) {
        ev->src = r->orig, ev->sport = r->orig_port;
        ev->dst = r->resp, ev->dport = r->resp_port;
    } else {
        ev->src = r->resp, ev->sport = r->resp_port;
        ev->dst = r->orig, ev->dport = r->orig_port;
    }
}

int app_emit(const struct app_ctx *a, const struct dis_event *ev)
{
    if (!a->cb || !(a->ev_kinds & DIS_EV_BIT(ev->kind)))
        return 0;
    return a->cb(a->user, ev);
}

/* TURN methods (RFC 8656 §17): their presence on a flow makes ChannelData expected there. */
static bool is_turn_method(uint16_t m)
{
    return m >= 0x003 && m <= 0x00a;
}

static int report_stun(struct app_ctx *a, const struct dis_stun_msg *m, bool inner,
                       uint16_t channel)
{
    struct ft_flow *f = a->f;
    f->rec.stun_msgs++;
    a->st->stun_msgs++;
    if (inner)
        a->st->stun_inner++;
    if (is_turn_method(m->method))
        f->turn_seen = true;
    if (f->stun_reported >= a->stun_cap) {
        f->rec.stun_dropped++;
        return 0;
    }
    f->stun_reported++;
    if (!a->cb)
        return 0;
    struct dis_event ev;
    app_event_init(a, &ev, DIS_EV_STUN);
    ev.inner = inner;
    ev.channel = channel;
    ev.u.stun = m;
    return app_emit(a, &ev);
}

/* STUN carried inside relayed data (ChannelData payload or a DATA attribute), once deep. */
static int inner_stun(struct app_ctx *a, const uint8_t *p, size_t caplen, size_t len,
                      uint16_t channel)
{
    if (caplen == 0 || dis_demux_first_byte(app_first_byte(p, caplen)) != DIS_DEMUX_STUN)
        return 0;
    size_t used;
    enum dis_status s = dis_stun_parse(p, caplen, len, DIS_STUN_DGRAM, a->inner, &used);
    if (s != DIS_OK && s != DIS_MALFORMED)
        return 0;
    return report_stun(a, a->inner, true, channel);
}

int app_stun(struct app_ctx *a, const uint8_t *p, size_t caplen, size_t len,
             enum dis_stun_transport t)
{
    size_t used;
    enum dis_status s = dis_stun_parse(p, caplen, len, t, a->outer, &used);
    if (s != DIS_OK && s != DIS_MALFORMED)
        return 0;
    /* A STUN message inside an MS-TURN multiplexed frame (0xFF10) is relayed data, like the
     * payload of ChannelData: count the frame as such and report the message as inner. */
    bool framed = a->outer->mturn_framed;
    if (framed) {
        a->f->rec.channeldata++;
        a->st->channeldata++;
    }
    int rc = report_stun(a, a->outer, framed, framed ? DIS_MTURN_CHANNEL : 0);
    if (rc < 0)
        return rc;
    /* Send and Data indications carry the relayed peer's datagram in DATA. */
    if (a->outer->has_data && a->outer->data_len > 0) {
        rc = inner_stun(a, a->outer->data, a->outer->data_len, a->outer->data_len, 0);
        if (rc < 0)
            return rc;
    }
    return 1;
}

int app_channeldata(struct app_ctx *a, const struct dis_channeldata *cd)
{
    a->f->rec.channeldata++;
    a->st->channeldata++;
    int rc = inner_stun(a, cd->data, cd->data_caplen, cd->data_len, cd->channel);
    return rc < 0 ? rc : 0;
}

int app_dns(struct app_ctx *a, const uint8_t *p, size_t caplen, size_t len)
{
    if (dis_dns_probe(p, caplen, len) != DIS_OK)
        return 0;
    enum dis_status s = dis_dns_parse(p, caplen, a->dns);
    if (s != DIS_OK && s != DIS_TRUNCATED)
        return 0;
    a->st->dns_msgs++;
    struct dis_event ev;
    app_event_init(a, &ev, DIS_EV_DNS);
    /* the client is the receiver of a response */
    if (a->dns->qr && a->dns_map)
        dis_dns_map_add_response(a->dns_map, &ev.dst, a->dns, a->ts);
    if (!a->cb)
        return 1;
    ev.u.dns = a->dns;
    int rc = app_emit(a, &ev);
    return rc < 0 ? rc : 1;
}
