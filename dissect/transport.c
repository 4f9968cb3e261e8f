/* SPDX-License-Identifier: MIT */
/*
 * transport.c - transport headers: TCP (RFC 9293, options RFC 7323 and RFC 2018), UDP
 * (RFC 768), ICMP (RFC 792) and ICMPv6 (RFC 4443), including the packet an ICMP error quotes.
 */
#include "decode_int.h"

#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define ICMP_HLEN 4 /* type, code, checksum; the rest of the header depends on the type */

/* TCP option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018). */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_OK 4

/* RFC 7323 §2.3: a shift above 14 is used as 14. */
#define TCP_MAX_WSCALE 14

/* At most 40 option bytes, each option at least 1 byte: a cap that is never reached. */
#define TCP_MAX_OPTS 40

/* Reads the two port fields that TCP and UDP share, when the header is too short to decode:
 * a truncated packet still keeps them. */
static void partial_ports(struct dis__body *b, struct dis_pkt *out)
{
    if (rd_left(&b->r) < 4)
        return;
    out->sport = rd_be16(&b->r);
    out->dport = rd_be16(&b->r);
}

/*
 * TCP options. Parsing stops quietly at End of Option List, at an option whose length is
 * impossible or runs past the options, or at a known option with the wrong length: options are
 * advisory, so a bad one never fails the packet.
 */
static void tcp_options(struct rd *o, struct dis_pkt *out)
{
    for (unsigned i = 0; i < TCP_MAX_OPTS && rd_left(o) > 0; i++) {
        uint8_t kind = rd_u8(o);
        if (kind == TCPOPT_EOL)
            return;
        if (kind == TCPOPT_NOP)
            continue;
        int len = rd_peek_u8(o, 0);
        if (len < 2 || (size_t)len - 1 > rd_left(o))
            return;
        rd_skip(o, 1);
        struct rd val;
        rd_sub(o, (size_t)len - 2, &val);
        switch (kind) {
        case TCPOPT_MSS:
            if (len != 4)
                return;
            out->mss = rd_be16(&val);
            break;
        case TCPOPT_WSCALE: {
            if (len != 3)
                return;
            uint8_t shift = rd_u8(&val);
            out->wscale = (uint8_t)((shift > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : shift) + 1);
            break;
        }
        case TCPOPT_SACK_OK:
            if (len != 2)
                return;
            out->sack_ok = true;
            break;
        default:
            break;
        }
    }
}

static enum dis_status tcp(struct dis__body *b, struct dis_pkt *out)
{
    uint32_t wire = dis__body_wire(b);
    enum dis_status st = dis__body_need(b, TCP_MIN_HLEN);
    if (st != DIS_OK) {
        partial_ports(b, out);
        return st;
    }
    out->sport = rd_be16(&b->r);
    out->dport = rd_be16(&b->r);
    out->seq = rd_be32(&b->r);
    out->ack = rd_be32(&b->r);
    uint16_t offflags = rd_be16(&b->r);
    out->window = rd_be16(&b->r);
    rd_skip(&b->r, 4); /* checksum, urgent pointer */
    out->tcp_flags = offflags & 0xff;
    uint32_t hlen = (uint32_t)(offflags >> 12) * 4;
    if (hlen < TCP_MIN_HLEN)
        return DIS_MALFORMED;
    st = dis__body_need(b, hlen - TCP_MIN_HLEN);
    if (st == DIS_MALFORMED)
        return st;
    out->l4_ok = true;

    /* What was captured of the options is parsed even when the capture cut them. */
    size_t optlen = hlen - TCP_MIN_HLEN;
    if (optlen > rd_left(&b->r))
        optlen = rd_left(&b->r);
    struct rd opts;
    rd_sub(&b->r, optlen, &opts);
    tcp_options(&opts, out);

    out->payload_len = wire - hlen;
    if (st != DIS_OK)
        return st;
    dis__set_payload(b, wire - hlen, out);
    return DIS_OK;
}

static enum dis_status udp(struct dis__body *b, struct dis_pkt *out)
{
    uint32_t wire = dis__body_wire(b);
    enum dis_status st = dis__body_need(b, UDP_HLEN);
    if (st != DIS_OK) {
        partial_ports(b, out);
        return st;
    }
    out->sport = rd_be16(&b->r);
    out->dport = rd_be16(&b->r);
    uint16_t ulen = rd_be16(&b->r);
    rd_skip(&b->r, 2); /* checksum */
    out->l4_ok = true;
    /* The UDP length, when it fits in the IP packet; else (0 in jumbograms, or plain wrong)
     * the IP length decides. */
    if (ulen >= UDP_HLEN && ulen <= wire)
        dis__set_payload(b, ulen - UDP_HLEN, out);
    else
        dis__set_payload(b, wire - UDP_HLEN, out);
    return DIS_OK;
}

/* ICMP types that are errors quoting the offending packet. Redirect (5) quotes one too but is
 * advice to a host, not a failure of the flow, so it is left out. */
static bool icmp_is_error(bool v6, uint8_t type)
{
    if (v6)
        return type >= 1 && type <= 4; /* RFC 4443 §3: unreachable, too big, time, param */
    return type == 3 || type == 4 || type == 11 || type == 12;
}

static enum dis_status icmp(struct dis__body *b, bool v6, struct dis_pkt *out)
{
    uint32_t wire = dis__body_wire(b);
    enum dis_status st = dis__body_need(b, ICMP_HLEN);
    if (st != DIS_OK) {
        if (rd_left(&b->r) >= 2) {
            out->icmp_type = rd_u8(&b->r);
            out->icmp_code = rd_u8(&b->r);
        }
        return st;
    }
    out->icmp_type = rd_u8(&b->r);
    out->icmp_code = rd_u8(&b->r);
    rd_skip(&b->r, 2); /* checksum */
    out->l4_ok = true;
    dis__set_payload(b, wire - ICMP_HLEN, out);
    if (!icmp_is_error(v6, out->icmp_type))
        return DIS_OK;

    out->icmp_error = true;
    /* 4 bytes of unused / pointer / MTU, then the quoted packet (RFC 792, RFC 4443 §3). */
    st = dis__body_need(b, 4);
    if (st != DIS_OK)
        return st;
    rd_skip(&b->r, 4);
    struct rd q;
    rd_rest(&b->r, &q);
    st = dis__ip_quote(&q, &out->inner);
    out->has_inner = out->inner.src.family != 0;
    /* A quote the capture cut is a truncated frame; one the sender made short or garbled is
     * only a quote we cannot use (has_inner / has_ports stay false). */
    if (st == DIS_TRUNCATED && b->uncaptured > 0)
        return DIS_TRUNCATED;
    return DIS_OK;
}

enum dis_status dis__transport(struct dis__body *b, struct dis_pkt *out)
{
    switch (out->proto) {
    case DIS_IPPROTO_TCP:
        return tcp(b, out);
    case DIS_IPPROTO_UDP:
        return udp(b, out);
    case DIS_IPPROTO_ICMP:
        return icmp(b, false, out);
    case DIS_IPPROTO_ICMPV6:
        return icmp(b, true, out);
    default:
        return DIS_OK;
    }
}
