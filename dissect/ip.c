/* SPDX-License-Identifier: MIT */
/*
 * ip.c - IPv4 (RFC 791) and IPv6 (RFC 8200) headers, IPv6 extension headers (RFC 8200 §4,
 * AH RFC 4302), fragment identification, and the IP header quoted in ICMP errors.
 */
#include "decode_int.h"

#define IP4_MIN_HLEN 20
#define IP6_HLEN 40

/* IPv4 flags/fragment offset field (RFC 791 §3.1). */
#define IP4_MF 0x2000
#define IP4_OFFMASK 0x1fff

/* IPv6 next-header values of the extension headers we walk (IANA "IPv6 Extension Header
 * Types"). */
#define IP6_NH_HOPOPTS 0
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_AH 51
#define IP6_NH_NONE 59
#define IP6_NH_DSTOPTS 60

/* Extension headers followed before giving up on finding the transport header (STYLE §11). */
#define IP6_MAX_EXT 8

uint32_t dis__body_wire(const struct dis__body *b)
{
    return (uint32_t)rd_left(&b->r) + b->uncaptured;
}

enum dis_status dis__body_need(const struct dis__body *b, size_t n)
{
    if (rd_ok(&b->r) && rd_left(&b->r) >= n)
        return DIS_OK;
    if (n > dis__body_wire(b))
        return DIS_MALFORMED;
    return DIS_TRUNCATED;
}

void dis__set_payload(const struct dis__body *b, uint32_t wire, struct dis_pkt *out)
{
    size_t cap = rd_left(&b->r);
    if (cap > wire)
        cap = wire;
    out->payload_len = wire;
    out->payload_caplen = (uint32_t)cap;
    out->payload = cap > 0 ? rd_ptr(&b->r) : NULL;
}

/*
 * Makes @p b cover the next @p wire bytes of @p r, as many of them as were captured. @p r is
 * left past them, so trailing bytes (Ethernet padding) never become payload.
 */
static void ip_body(struct rd *r, uint32_t wire, struct dis__body *b)
{
    size_t cap = rd_left(r);
    if (cap > wire)
        cap = wire;
    rd_sub(r, cap, &b->r);
    b->uncaptured = wire - (uint32_t)cap;
}

/* Reads a 4- or 16-byte address; the family is set only when all of it was there. */
static void ip_addr(struct rd *r, uint8_t family, struct dis_addr *a)
{
    if (rd_copy(r, a->b, family == 4 ? 4 : 16) == 0)
        a->family = family;
}

/* What the IPv6 extension header walk found. */
struct ip6_chain {
    uint8_t nh;      /* in: the IPv6 header's next header; out: the last one seen */
    bool l4;         /* out: an upper-layer header starts where the walk stopped */
    bool frag;       /* out: a Fragment header made this a fragment */
    bool frag_first; /* out: ... with offset 0 */
    uint32_t frag_id;
};

/*
 * Walks the IPv6 extension headers at the start of @p b (RFC 8200 §4). Stops at the first
 * header that is not an extension header (c->l4 = true), at No Next Header, at a non-first
 * fragment (the rest is the fragment's data), or after IP6_MAX_EXT headers (c->l4 = false).
 * Returns DIS_OK, or the dis__body_need() status of a header that is not all there.
 */
static enum dis_status ip6_ext_chain(struct dis__body *b, struct ip6_chain *c)
{
    c->l4 = false;
    for (unsigned i = 0; i < IP6_MAX_EXT; i++) {
        enum dis_status st;
        size_t hlen;

        switch (c->nh) {
        case IP6_NH_HOPOPTS:
        case IP6_NH_ROUTING:
        case IP6_NH_DSTOPTS:
        case IP6_NH_AH: {
            st = dis__body_need(b, 2);
            if (st != DIS_OK)
                return st;
            uint8_t next = rd_u8(&b->r);
            uint8_t len = rd_u8(&b->r);
            /* RFC 8200 §4.3: length in 8-octet units, not counting the first 8 octets;
             * RFC 4302 §2.2: AH length in 4-octet units, minus 2. */
            if (c->nh == IP6_NH_AH)
                hlen = ((size_t)len + 2) * 4;
            else
                hlen = ((size_t)len + 1) * 8;
            st = dis__body_need(b, hlen - 2);
            if (st != DIS_OK)
                return st;
            rd_skip(&b->r, hlen - 2);
            c->nh = next;
            break;
        }
        case IP6_NH_FRAGMENT: {
            /* RFC 8200 §4.5: next header, reserved, offset(13) res(2) M(1), identification. */
            st = dis__body_need(b, 8);
            if (st != DIS_OK)
                return st;
            uint8_t fnext = rd_u8(&b->r);
            rd_skip(&b->r, 1);
            uint16_t offm = rd_be16(&b->r);
            uint32_t id = rd_be32(&b->r);
            uint16_t off = offm >> 3;
            c->nh = fnext;
            /* An atomic fragment (offset 0, M clear; RFC 6946) is a whole packet. */
            if (off != 0 || (offm & 1)) {
                c->frag = true;
                c->frag_first = off == 0;
                c->frag_id = id;
            }
            if (off != 0)
                return DIS_OK;
            break;
        }
        case IP6_NH_NONE:
            return DIS_OK;
        default:
            c->l4 = true;
            return DIS_OK;
        }
    }
    return DIS_OK;
}

static enum dis_status ip4(struct rd *r, struct dis_pkt *out)
{
    const uint8_t *l3 = rd_ptr(r);
    size_t cap = rd_left(r);

    uint8_t vihl = rd_u8(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (vihl >> 4 != 4)
        return DIS_MALFORMED;
    uint32_t hlen = (vihl & 0x0fu) * 4;
    if (hlen < IP4_MIN_HLEN)
        return DIS_MALFORMED;
    out->ipver = 4;
    out->l3 = l3;
    out->l3_caplen = (uint32_t)cap;

    rd_skip(r, 1); /* DSCP/ECN */
    uint32_t tot = rd_be16(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    /* A total length of 0 is what TCP segmentation offload leaves in outgoing packets
     * captured before the NIC splits them; take the captured length, as tcpdump's GUESS_TSO. */
    if (tot == 0)
        tot = (uint32_t)cap;
    if (tot < hlen)
        return DIS_MALFORMED;
    out->ip_len = tot;
    if (out->l3_caplen > tot)
        out->l3_caplen = tot;

    uint16_t id = rd_be16(r);
    uint16_t fo = rd_be16(r);
    out->ttl = rd_u8(r);
    out->proto = rd_u8(r);
    rd_skip(r, 2); /* checksum */
    RD_REQUIRE(r, DIS_TRUNCATED);
    uint16_t off = fo & IP4_OFFMASK;
    if ((fo & IP4_MF) || off != 0) {
        out->frag = true;
        out->frag_first = off == 0;
        out->frag_id = id;
    }
    ip_addr(r, 4, &out->src);
    ip_addr(r, 4, &out->dst);
    if (rd_skip(r, hlen - IP4_MIN_HLEN) < 0) /* options */
        return DIS_TRUNCATED;

    struct dis__body b;
    ip_body(r, tot - hlen, &b);
    if (off != 0) {
        /* A later fragment: no transport header, its data continues the transport payload. */
        dis__set_payload(&b, tot - hlen, out);
        return DIS_OK;
    }
    return dis__transport(&b, out);
}

static enum dis_status ip6(struct rd *r, struct dis_pkt *out)
{
    const uint8_t *l3 = rd_ptr(r);
    size_t cap = rd_left(r);

    uint8_t b0 = rd_u8(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (b0 >> 4 != 6)
        return DIS_MALFORMED;
    out->ipver = 6;
    out->l3 = l3;
    out->l3_caplen = (uint32_t)cap;

    rd_skip(r, 3); /* traffic class, flow label */
    uint32_t plen = rd_be16(r);
    out->proto = rd_u8(r);
    out->ttl = rd_u8(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    /* Payload length 0: a jumbogram (RFC 2675) or a TSO send; take what was captured. */
    if (plen == 0)
        plen = cap > IP6_HLEN ? (uint32_t)cap - IP6_HLEN : 0;
    out->ip_len = IP6_HLEN + plen;
    if (out->l3_caplen > out->ip_len)
        out->l3_caplen = out->ip_len;
    ip_addr(r, 6, &out->src);
    ip_addr(r, 6, &out->dst);
    RD_REQUIRE(r, DIS_TRUNCATED);

    struct dis__body b;
    ip_body(r, plen, &b);
    struct ip6_chain c = {.nh = out->proto};
    enum dis_status st = ip6_ext_chain(&b, &c);
    out->proto = c.nh;
    out->frag = c.frag;
    out->frag_first = c.frag_first;
    out->frag_id = c.frag_id;
    if (st != DIS_OK)
        return st;
    if (c.frag && !c.frag_first) {
        /* A later fragment: no transport header, its data continues the transport payload. */
        dis__set_payload(&b, dis__body_wire(&b), out);
        return DIS_OK;
    }
    if (!c.l4)
        return DIS_OK;
    return dis__transport(&b, out);
}

enum dis_status dis__ip(struct rd *r, uint16_t ethertype, struct dis_pkt *out)
{
    if (ethertype == DIS__ETH_IPV4)
        return ip4(r, out);
    return ip6(r, out);
}

/* The ports of a quoted TCP or UDP header: its first 4 bytes in both. */
static enum dis_status quote_ports(struct rd *r, struct dis_inner *in)
{
    if (in->proto != DIS_IPPROTO_TCP && in->proto != DIS_IPPROTO_UDP)
        return DIS_OK;
    uint16_t sport = rd_be16(r);
    uint16_t dport = rd_be16(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    in->sport = sport;
    in->dport = dport;
    in->has_ports = true;
    return DIS_OK;
}

enum dis_status dis__ip_quote(struct rd *r, struct dis_inner *in)
{
    int b0 = rd_peek_u8(r, 0);
    if (b0 < 0)
        return DIS_TRUNCATED;

    struct dis_addr src = {0}, dst = {0};
    if (b0 >> 4 == 4) {
        uint32_t hlen = ((uint32_t)b0 & 0x0f) * 4;
        if (hlen < IP4_MIN_HLEN)
            return DIS_MALFORMED;
        rd_skip(r, 6); /* version/IHL, DSCP/ECN, total length, identification */
        uint16_t fo = rd_be16(r);
        rd_skip(r, 1); /* TTL */
        uint8_t proto = rd_u8(r);
        rd_skip(r, 2); /* checksum */
        ip_addr(r, 4, &src);
        ip_addr(r, 4, &dst);
        RD_REQUIRE(r, DIS_TRUNCATED);
        in->src = src;
        in->dst = dst;
        in->proto = proto;
        if (rd_skip(r, hlen - IP4_MIN_HLEN) < 0)
            return DIS_TRUNCATED;
        if (fo & IP4_OFFMASK)
            return DIS_OK; /* a later fragment was quoted: no ports in it */
        return quote_ports(r, in);
    }
    if (b0 >> 4 == 6) {
        rd_skip(r, 6); /* version, traffic class, flow label, payload length */
        uint8_t nh = rd_u8(r);
        rd_skip(r, 1); /* hop limit */
        ip_addr(r, 6, &src);
        ip_addr(r, 6, &dst);
        RD_REQUIRE(r, DIS_TRUNCATED);
        in->src = src;
        in->dst = dst;
        in->proto = nh;
        /* The quote is cut wherever the ICMP error's size limit fell, so its payload length is
         * not compared with what is present: what is present is all there is. */
        struct dis__body b = {.uncaptured = 0};
        rd_rest(r, &b.r);
        struct ip6_chain c = {.nh = nh};
        enum dis_status st = ip6_ext_chain(&b, &c);
        in->proto = c.nh;
        if (st != DIS_OK)
            return DIS_TRUNCATED;
        if (!c.l4)
            return DIS_OK;
        return quote_ports(&b.r, in);
    }
    return DIS_MALFORMED;
}
