/* SPDX-License-Identifier: MIT */
/*
 * dns.c - DNS message parser, content probe and TCP framing: RFC 1035 (§4.1 format, §4.1.4
 * compression, §4.2.2 TCP), RFC 2181 (§8 TTL, §11 name lengths), RFC 2308 (SOA in negative
 * answers), RFC 6891 (OPT, extended RCODE, label types), RFC 7766 (TCP), RFC 8490 (DSO counts),
 * RFC 9460 (SVCB/HTTPS RDATA).
 *
 * Every byte is read through rd.h. Compression pointers need random access to the message, so
 * a pointer is followed with a fresh reader over the whole message, skipped to the target;
 * positions are message offsets computed from a cursor's remaining length, never from
 * pointers into the packet.
 */
#include "dissect/dns.h"

#include <string.h>

#include "dissect/rd.h"

#define DNS_HDR_LEN 12
#define DNS_MIN_QUESTION 5 /* root name, type, class */
#define DNS_MIN_RR 11      /* root name, type, class, TTL, RDLENGTH */
#define DNS_MAX_LABEL 63   /* RFC 1035 §2.3.4 */
/*
 * Compression pointers followed per name. Targets strictly decrease, so a loop is impossible
 * anyway; the cap only limits work on chains of pointers to pointers, which no encoder makes.
 */
#define DNS_MAX_PTRS 32
/* Steps of the name loop: a label (at most 127 fit into 255 octets) or a pointer per step. */
#define DNS_NAME_STEPS (128 + DNS_MAX_PTRS + 1)

/* Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD and CD). */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010

/* SvcParamKeys (RFC 9460 §14.3.2). */
#define SVC_MANDATORY 0
#define SVC_ALPN 1
#define SVC_NO_DEFAULT_ALPN 2
#define SVC_PORT 3
#define SVC_IPV4HINT 4
#define SVC_ECH 5
#define SVC_IPV6HINT 6

/* The whole message, for following compression pointers. Borrowed. */
struct dns_view {
    const uint8_t *base;
    size_t len;
};

/* A reader plus the message offset at which its bytes end, so that its position is known. */
struct dns_cur {
    struct rd r;
    size_t end;
};

/* The fixed part of a resource record, and a cursor over its RDATA. */
struct rr_head {
    uint16_t type, rclass;
    uint32_t ttl; /* as on the wire (OPT uses all 32 bits) */
    uint16_t rdlength;
    struct dns_cur rdata;
};

static size_t cur_off(const struct dns_cur *c)
{
    return c->end - rd_left(&c->r);
}

/*
 * Reads a name at @p c into @p out (wire form, uncompressed). @p c advances past the name's
 * bytes at its own position: up to the root octet, or past the first pointer.
 * Pointer rule (RFC 1035 §4.1.4, made strict): a target must lie after the header and before
 * everything this name has read so far, i.e. before the name's start and before every
 * earlier target. Targets therefore strictly decrease, so no byte is read twice and pointer
 * loops (self, forward, cycles) are impossible: they fail as MALFORMED.
 * Returns DIS_OK, DIS_TRUNCATED (bytes end inside the name) or DIS_MALFORMED.
 */
static enum dis_status read_name(const struct dns_view *m, struct dns_cur *c, bool allow_ptr,
                                 struct dis_dns_name *out)
{
    struct dns_cur cur = *c;
    size_t limit = cur_off(c);
    bool jumped = false;
    unsigned ptrs = 0;

    out->len = 0;
    for (unsigned step = 0; step < DNS_NAME_STEPS; step++) {
        uint8_t b = rd_u8(&cur.r);
        RD_REQUIRE(&cur.r, DIS_TRUNCATED);
        switch (b & 0xC0) {
        case 0x00:
            if (b == 0) {
                out->b[out->len++] = 0;
                if (!jumped)
                    *c = cur;
                return DIS_OK;
            }
            /* RFC 1035 §3.1: 255 octets at most, this label, its length and the root octet. */
            if ((size_t)out->len + 1 + b + 1 > DIS_DNS_NAME_WIRE_MAX)
                return DIS_MALFORMED;
            out->b[out->len] = b;
            if (rd_copy(&cur.r, out->b + out->len + 1, b) < 0)
                return DIS_TRUNCATED;
            out->len = (uint8_t)(out->len + 1 + b);
            break;
        case 0xC0: {
            uint8_t lo = rd_u8(&cur.r);
            RD_REQUIRE(&cur.r, DIS_TRUNCATED);
            size_t target = (size_t)(b & 0x3F) << 8 | lo;
            if (!allow_ptr || target >= limit || target < DNS_HDR_LEN || ++ptrs > DNS_MAX_PTRS)
                return DIS_MALFORMED;
            if (!jumped) {
                *c = cur;
                jumped = true;
            }
            limit = target;
            rd_init(&cur.r, m->base, m->len);
            cur.end = m->len;
            if (rd_skip(&cur.r, target) < 0)
                return DIS_TRUNCATED; /* cannot happen: target < limit <= len */
            break;
        }
        default:
            /* 0x40: extended label types (RFC 6891 §5, deprecated); 0x80: reserved. A "label"
             * of 64..127 octets is one of these and therefore never read as a label. */
            return DIS_MALFORMED;
        }
    }
    return DIS_MALFORMED;
}

/* A name inside complete RDATA: running out of bytes there is a contradiction, not a cut. */
static enum dis_status rdata_name(const struct dns_view *m, struct dns_cur *d, bool allow_ptr,
                                  struct dis_dns_name *out)
{
    return read_name(m, d, allow_ptr, out) == DIS_OK ? DIS_OK : DIS_MALFORMED;
}

/* Reads owner, type, class, TTL, RDLENGTH and narrows @p h->rdata to the RDATA. */
static enum dis_status read_rr_head(const struct dns_view *m, struct dns_cur *c,
                                    struct dis_dns_name *owner, struct rr_head *h)
{
    enum dis_status st = read_name(m, c, true, owner);
    if (st != DIS_OK)
        return st;
    h->type = rd_be16(&c->r);
    h->rclass = rd_be16(&c->r);
    h->ttl = rd_be32(&c->r);
    h->rdlength = rd_be16(&c->r);
    RD_REQUIRE(&c->r, DIS_TRUNCATED);
    if (rd_sub(&c->r, h->rdlength, &h->rdata.r) < 0)
        return DIS_TRUNCATED;
    h->rdata.end = cur_off(c);
    return DIS_OK;
}

static bool name_char_literal(unsigned ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '*';
}

/*
 * Appends @p ch to @p buf at @p *pos, as itself when @p literal, else as "\DDD"; keeps room
 * for the NUL. Returns false (nothing written) when it does not fit.
 */
static bool put_char(char *buf, size_t size, size_t *pos, unsigned ch, bool literal)
{
    if (literal) {
        if (*pos + 1 >= size)
            return false;
        buf[(*pos)++] = (char)ch;
        return true;
    }
    if (*pos + 4 >= size)
        return false;
    buf[*pos] = '\\';
    buf[*pos + 1] = (char)('0' + ch / 100);
    buf[*pos + 2] = (char)('0' + ch / 10 % 10);
    buf[*pos + 3] = (char)('0' + ch % 10);
    *pos += 4;
    return true;
}

/*
 * SVCB "alpn" (RFC 9460 §7.1.1): length-prefixed, non-empty identifiers that fill the value
 * exactly. Kept as strings escaped like names, except that '.' and '/' ("http/1.1") are literal.
 */
static enum dis_status svcb_alpn(struct rd *v, struct dis_dns_svcb *s)
{
    if (rd_left(v) == 0)
        return DIS_MALFORMED;
    /* Each identifier takes at least 2 bytes of a value of at most 65535. */
    for (unsigned i = 0; rd_left(v) > 0 && i < 32768; i++) {
        uint8_t n = rd_u8(v);
        struct rd id;
        if (n == 0 || rd_sub(v, n, &id) < 0)
            return DIS_MALFORMED;
        if (s->n_alpn >= DIS_DNS_MAX_ALPN) {
            if (s->alpn_dropped < UINT8_MAX)
                s->alpn_dropped++;
            continue;
        }
        char *out = s->alpn[s->n_alpn];
        size_t pos = 0;
        bool fits = true;
        for (unsigned k = 0; k < n && fits; k++) {
            unsigned ch = rd_u8(&id);
            fits = put_char(out, DIS_DNS_ALPN_STRLEN, &pos, ch,
                            name_char_literal(ch) || ch == '.' || ch == '/');
        }
        out[pos] = '\0';
        if (fits) {
            s->n_alpn++;
        } else {
            out[0] = '\0';
            if (s->alpn_dropped < UINT8_MAX)
                s->alpn_dropped++;
        }
    }
    return DIS_OK;
}

/* ipv4hint / ipv6hint (RFC 9460 §7.3): one or more addresses of @p size bytes. */
static enum dis_status svcb_hints(struct rd *v, struct dis_dns_svcb *s, uint8_t family, size_t size)
{
    size_t n = rd_left(v);
    if (n == 0 || n % size != 0)
        return DIS_MALFORMED;
    for (size_t i = 0; i < n / size; i++) {
        if (s->n_hints >= DIS_DNS_MAX_HINTS) {
            if (s->hints_dropped < UINT8_MAX)
                s->hints_dropped++;
            rd_skip(v, size);
            continue;
        }
        struct dis_addr *a = &s->hint[s->n_hints++];
        memset(a, 0, sizeof *a);
        a->family = family;
        rd_copy(v, a->b, size);
    }
    return DIS_OK;
}

/*
 * SVCB / HTTPS RDATA (RFC 9460 §2.2): priority, an uncompressed TargetName, then SvcParams in
 * strictly increasing key order, each value filling its length exactly.
 */
static enum dis_status svcb(const struct dns_view *m, struct dns_cur *d, struct dis_dns_rr *rr,
                            uint8_t *flags)
{
    struct dis_dns_svcb *s = &rr->svcb;
    s->priority = rd_be16(&d->r);
    RD_REQUIRE(&d->r, DIS_MALFORMED);
    if (rdata_name(m, d, false, &rr->target) != DIS_OK)
        return DIS_MALFORMED;
    long prev = -1;
    /* Each parameter takes at least 4 bytes of RDATA of at most 65535. */
    for (unsigned i = 0; rd_left(&d->r) > 0 && i < 16384; i++) {
        uint16_t key = rd_be16(&d->r);
        uint16_t vlen = rd_be16(&d->r);
        struct rd v;
        if (rd_sub(&d->r, vlen, &v) < 0 || (long)key <= prev)
            return DIS_MALFORMED;
        prev = key;
        if (s->priority == 0) {
            /* AliasMode: parameters carry no meaning (RFC 9460 §2.4.2); only note them. */
            *flags |= DIS_DNS_F_ALIAS_PARAMS;
            continue;
        }
        enum dis_status st = DIS_OK;
        switch (key) {
        case SVC_MANDATORY:
            if (vlen == 0 || vlen % 2 != 0)
                st = DIS_MALFORMED;
            break;
        case SVC_ALPN:
            st = svcb_alpn(&v, s);
            break;
        case SVC_NO_DEFAULT_ALPN:
            if (vlen != 0)
                st = DIS_MALFORMED;
            s->no_default_alpn = true;
            break;
        case SVC_PORT:
            if (vlen != 2)
                st = DIS_MALFORMED;
            s->port = rd_be16(&v);
            break;
        case SVC_IPV4HINT:
            st = svcb_hints(&v, s, 4, 4);
            break;
        case SVC_ECH:
            s->ech = true;
            break;
        case SVC_IPV6HINT:
            st = svcb_hints(&v, s, 6, 16);
            break;
        default:
            break;
        }
        if (st != DIS_OK)
            return st;
    }
    return DIS_OK;
}

/* Requires that RDATA of a decoded type was consumed exactly. */
static enum dis_status rdata_done(const struct dns_cur *d)
{
    return rd_ok(&d->r) && rd_left(&d->r) == 0 ? DIS_OK : DIS_MALFORMED;
}

/* Decodes the RDATA of an answer record into @p rr. */
static enum dis_status answer_rdata(const struct dns_view *m, struct rr_head *h,
                                    struct dis_dns_rr *rr, uint8_t *flags)
{
    struct dns_cur *d = &h->rdata;
    enum dis_status st = DIS_OK;
    switch (h->type) {
    case DIS_DNS_T_A:
    case DIS_DNS_T_AAAA: {
        if (h->rclass != DIS_DNS_C_IN)
            return DIS_OK; /* e.g. Chaosnet A records: another format */
        size_t n = h->type == DIS_DNS_T_A ? 4 : 16;
        if (h->rdlength != n)
            return DIS_MALFORMED;
        rr->addr.family = h->type == DIS_DNS_T_A ? 4 : 6;
        rd_copy(&d->r, rr->addr.b, n);
        break;
    }
    case DIS_DNS_T_CNAME:
    case DIS_DNS_T_DNAME:
    case DIS_DNS_T_NS:
    case DIS_DNS_T_PTR:
        /* Compression is allowed in the RDATA of the RFC 1035 types; DNAME: RFC 6672 §2.5
         * forbids it when sending but receivers accept it. */
        st = rdata_name(m, d, true, &rr->target);
        break;
    case DIS_DNS_T_SVCB:
    case DIS_DNS_T_HTTPS:
        if (h->rclass != DIS_DNS_C_IN)
            return DIS_OK;
        st = svcb(m, d, rr, flags);
        break;
    default:
        return DIS_OK; /* kept as type and RDLENGTH */
    }
    if (st != DIS_OK)
        return st;
    return rdata_done(d);
}

/* SOA RDATA (RFC 1035 §3.3.13): two names and five 32-bit fields, exactly. */
static enum dis_status soa_rdata(const struct dns_view *m, struct rr_head *h,
                                 struct dis_dns_msg *msg)
{
    struct dis_dns_name scratch;
    if (rdata_name(m, &h->rdata, true, &scratch) != DIS_OK ||
        rdata_name(m, &h->rdata, true, &scratch) != DIS_OK)
        return DIS_MALFORMED;
    if (rd_skip(&h->rdata.r, 16) < 0) /* serial, refresh, retry, expire */
        return DIS_MALFORMED;
    uint32_t minimum = rd_be32(&h->rdata.r);
    enum dis_status st = rdata_done(&h->rdata);
    if (st != DIS_OK)
        return st;
    if (!msg->has_soa) {
        msg->has_soa = true;
        msg->soa_ttl = h->ttl & 0x80000000u ? 0 : h->ttl;
        msg->soa_minimum = minimum;
    }
    return DIS_OK;
}

/* OPT pseudo-record (RFC 6891 §6.1): root owner, at most one, options filling RDATA. */
static enum dis_status opt_rdata(const struct dis_dns_name *owner, struct rr_head *h,
                                 struct dis_dns_msg *msg)
{
    if (owner->len != 1 || msg->has_opt)
        return DIS_MALFORMED;
    struct rd *o = &h->rdata.r;
    /* Each option takes at least 4 bytes. */
    for (unsigned i = 0; rd_left(o) > 0 && i < 16384; i++) {
        rd_be16(o); /* OPTION-CODE */
        uint16_t n = rd_be16(o);
        if (rd_skip(o, n) < 0)
            return DIS_MALFORMED;
    }
    msg->has_opt = true;
    msg->edns_udp_size = h->rclass;
    msg->edns_version = (uint8_t)(h->ttl >> 16);
    msg->edns_do = (h->ttl & 0x8000u) != 0;
    /* Extended RCODE: the upper 8 bits above the header's 4 (RFC 6891 §6.1.3). */
    msg->rcode = (uint16_t)((h->ttl >> 24) << 4 | (msg->rcode & 0xF));
    return DIS_OK;
}

/* Clears what dis_dns_parse() fills, leaving the large arrays to be written as used. */
static void msg_reset(struct dis_dns_msg *msg)
{
    msg->id = 0;
    msg->qr = msg->aa = msg->tc = msg->rd = msg->ra = msg->ad = msg->cd = false;
    msg->opcode = 0;
    msg->rcode = 0;
    msg->qdcount = msg->ancount = msg->nscount = msg->arcount = 0;
    msg->flags = 0;
    msg->has_question = false;
    msg->qname_wire.len = 0;
    msg->qname[0] = '\0';
    msg->qtype = msg->qclass = 0;
    msg->n_answers = 0;
    msg->answers_dropped = 0;
    msg->has_soa = false;
    msg->soa_ttl = msg->soa_minimum = 0;
    msg->has_opt = false;
    msg->edns_udp_size = 0;
    msg->edns_version = 0;
    msg->edns_do = false;
}

static enum dis_status parse_questions(const struct dns_view *m, struct dns_cur *c,
                                       struct dis_dns_msg *msg)
{
    struct dis_dns_name scratch;
    for (unsigned i = 0; i < msg->qdcount; i++) {
        struct dis_dns_name *name = i == 0 ? &msg->qname_wire : &scratch;
        enum dis_status st = read_name(m, c, true, name);
        if (st != DIS_OK)
            return st;
        uint16_t qtype = rd_be16(&c->r);
        uint16_t qclass = rd_be16(&c->r);
        RD_REQUIRE(&c->r, DIS_TRUNCATED);
        if (i == 0) {
            msg->has_question = true;
            msg->qtype = qtype;
            msg->qclass = qclass;
            dis_dns_name_str(name, msg->qname, sizeof msg->qname);
        }
    }
    if (msg->qdcount > 1)
        msg->flags |= DIS_DNS_F_MULTI_Q;
    return DIS_OK;
}

static enum dis_status parse_answers(const struct dns_view *m, struct dns_cur *c,
                                     struct dis_dns_msg *msg)
{
    struct dis_dns_rr scratch;
    for (unsigned i = 0; i < msg->ancount; i++) {
        bool keep = msg->n_answers < DIS_DNS_MAX_ANSWERS;
        struct dis_dns_rr *rr = keep ? &msg->answers[msg->n_answers] : &scratch;
        memset(rr, 0, sizeof *rr);
        struct rr_head h;
        enum dis_status st = read_rr_head(m, c, &rr->owner, &h);
        if (st != DIS_OK)
            return st;
        rr->type = h.type;
        rr->rclass = h.rclass;
        rr->ttl = h.ttl & 0x80000000u ? 0 : h.ttl; /* RFC 2181 §8 */
        rr->rdlength = h.rdlength;
        /* UPDATE's second section holds prerequisites, with empty RDATA of any type
         * (RFC 2136 §2.4): kept as type and RDLENGTH only. */
        if (msg->opcode != DIS_DNS_OP_UPDATE)
            st = answer_rdata(m, &h, rr, &msg->flags);
        if (st != DIS_OK)
            return st;
        if (keep)
            msg->n_answers++;
        else
            msg->answers_dropped++;
    }
    return DIS_OK;
}

/* Authority (@p additional false) or additional section: SOA and OPT are read, the rest
 * checked only for their framing. In UPDATE the authority section holds the updates. */
static enum dis_status parse_other(const struct dns_view *m, struct dns_cur *c,
                                   struct dis_dns_msg *msg, unsigned count, bool additional)
{
    struct dis_dns_name owner;
    for (unsigned i = 0; i < count; i++) {
        struct rr_head h;
        enum dis_status st = read_rr_head(m, c, &owner, &h);
        if (st != DIS_OK)
            return st;
        if (!additional && h.type == DIS_DNS_T_SOA && msg->opcode != DIS_DNS_OP_UPDATE)
            st = soa_rdata(m, &h, msg);
        else if (additional && h.type == DIS_DNS_T_OPT)
            st = opt_rdata(&owner, &h, msg);
        if (st != DIS_OK)
            return st;
    }
    return DIS_OK;
}

/* The fixed header (RFC 1035 §4.1.1). */
struct dns_hdr {
    uint16_t id, flags;
    uint16_t qdcount, ancount, nscount, arcount;
};

/* Reads the header; returns DIS_TRUNCATED when there are fewer than 12 bytes. */
static enum dis_status parse_header(struct dns_cur *c, struct dns_hdr *h)
{
    h->id = rd_be16(&c->r);
    h->flags = rd_be16(&c->r);
    h->qdcount = rd_be16(&c->r);
    h->ancount = rd_be16(&c->r);
    h->nscount = rd_be16(&c->r);
    h->arcount = rd_be16(&c->r);
    RD_REQUIRE(&c->r, DIS_TRUNCATED);
    return DIS_OK;
}

static uint8_t hdr_opcode(const struct dns_hdr *h)
{
    return (uint8_t)(h->flags >> 11 & 0xF);
}

static void hdr_to_msg(const struct dns_hdr *h, struct dis_dns_msg *msg)
{
    uint16_t f = h->flags;
    msg->id = h->id;
    msg->qdcount = h->qdcount;
    msg->ancount = h->ancount;
    msg->nscount = h->nscount;
    msg->arcount = h->arcount;
    msg->qr = (f & DNS_FLAG_QR) != 0;
    msg->opcode = hdr_opcode(h);
    msg->aa = (f & DNS_FLAG_AA) != 0;
    msg->tc = (f & DNS_FLAG_TC) != 0;
    msg->rd = (f & DNS_FLAG_RD) != 0;
    msg->ra = (f & DNS_FLAG_RA) != 0;
    msg->ad = (f & DNS_FLAG_AD) != 0;
    msg->cd = (f & DNS_FLAG_CD) != 0;
    msg->rcode = f & 0xF;
}

static bool opcode_assigned(uint8_t op)
{
    return op <= DIS_DNS_OP_DSO && op != 3;
}

enum dis_status dis_dns_parse(const uint8_t *p, size_t len, struct dis_dns_msg *msg)
{
    msg_reset(msg);
    struct dns_view m = {p, len};
    struct dns_cur c = {.end = len};
    rd_init(&c.r, p, len);
    struct dns_hdr h;
    enum dis_status st = parse_header(&c, &h);
    if (st != DIS_OK)
        return st;
    hdr_to_msg(&h, msg);
    if (!opcode_assigned(msg->opcode))
        return DIS_NOT_MINE;
    if (msg->opcode == DIS_DNS_OP_DSO) {
        /* RFC 8490 §5.4: all four counts are zero; TLVs follow, not parsed here. */
        if (msg->qdcount || msg->ancount || msg->nscount || msg->arcount)
            return DIS_MALFORMED;
        return DIS_OK;
    }
    st = parse_questions(&m, &c, msg);
    if (st == DIS_OK)
        st = parse_answers(&m, &c, msg);
    if (st == DIS_OK)
        st = parse_other(&m, &c, msg, msg->nscount, false);
    if (st == DIS_OK)
        st = parse_other(&m, &c, msg, msg->arcount, true);
    if (st == DIS_OK && rd_left(&c.r) > 0)
        msg->flags |= DIS_DNS_F_TRAILING;
    return st;
}

static bool class_known(uint16_t qclass)
{
    /* The top bit is mDNS's unicast-response flag (RFC 6762 §5.4). */
    switch (qclass & 0x7FFF) {
    case 1:   /* IN */
    case 3:   /* CH */
    case 4:   /* HS */
    case 254: /* NONE */
    case 255: /* ANY */
        return true;
    default:
        return false;
    }
}

enum dis_status dis_dns_probe(const uint8_t *p, size_t caplen, size_t wire_len)
{
    if (wire_len < caplen)
        wire_len = caplen;
    if (wire_len < DNS_HDR_LEN)
        return DIS_NOT_MINE;
    struct dns_hdr h;
    struct dns_view m = {p, caplen};
    struct dns_cur c = {.end = caplen};
    rd_init(&c.r, p, caplen);
    if (parse_header(&c, &h) != DIS_OK)
        return DIS_TRUNCATED;
    uint8_t op = hdr_opcode(&h);
    bool qr = (h.flags & DNS_FLAG_QR) != 0;
    unsigned rcode = h.flags & 0xF;
    if (!opcode_assigned(op))
        return DIS_NOT_MINE;
    if (!qr && rcode != 0)
        return DIS_NOT_MINE; /* an RCODE is set in responses only */
    unsigned rrs = (unsigned)h.ancount + h.nscount + h.arcount;
    if (op == DIS_DNS_OP_DSO)
        return h.qdcount == 0 && rrs == 0 ? DIS_OK : DIS_NOT_MINE;
    bool one_q = op == DIS_DNS_OP_QUERY || op == DIS_DNS_OP_NOTIFY || op == DIS_DNS_OP_UPDATE;
    if (one_q && h.qdcount != 1 && !(h.qdcount == 0 && qr && rcode != 0))
        return DIS_NOT_MINE;
    if (!one_q && h.qdcount > 1)
        return DIS_NOT_MINE;
    size_t least = DNS_HDR_LEN + (size_t)h.qdcount * DNS_MIN_QUESTION + (size_t)rrs * DNS_MIN_RR;
    if (least > wire_len)
        return DIS_NOT_MINE;
    if (h.qdcount == 0)
        return DIS_OK;
    struct dis_dns_name name;
    enum dis_status st = read_name(&m, &c, true, &name);
    if (st == DIS_MALFORMED)
        return DIS_NOT_MINE;
    if (st != DIS_OK)
        return DIS_TRUNCATED;
    uint16_t qtype = rd_be16(&c.r);
    uint16_t qclass = rd_be16(&c.r);
    if (!rd_ok(&c.r))
        return DIS_TRUNCATED;
    if (qtype == 0 || !class_known(qclass))
        return DIS_NOT_MINE;
    return DIS_OK;
}

enum dis_status dis_dns_tcp_frame(const uint8_t *p, size_t len, const uint8_t **msg,
                                  size_t *msg_len, size_t *consumed)
{
    struct rd r;
    rd_init(&r, p, len);
    uint16_t n = rd_be16(&r);
    if (!rd_ok(&r))
        return DIS_NEED_MORE;
    if (n < DNS_HDR_LEN)
        return DIS_MALFORMED;
    const uint8_t *v = rd_view(&r, n);
    if (!v)
        return DIS_NEED_MORE;
    *msg = v;
    *msg_len = n;
    *consumed = (size_t)n + 2;
    return DIS_OK;
}

char *dis_dns_name_str(const struct dis_dns_name *n, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (n->len == 0)
        return buf;
    size_t pos = 0;
    if (n->b[0] == 0) {
        put_char(buf, size, &pos, '.', true);
        buf[pos] = '\0';
        return buf;
    }
    /* Names built by the parser are well formed; the checks keep hand-made ones in bounds. */
    size_t i = 0;
    bool ok = true;
    while (ok && i < n->len && n->b[i] != 0) {
        size_t ll = n->b[i];
        if (ll > DNS_MAX_LABEL || i + 1 + ll > n->len)
            break;
        if (i > 0)
            ok = put_char(buf, size, &pos, '.', true);
        for (size_t k = 0; ok && k < ll; k++) {
            unsigned ch = n->b[i + 1 + k];
            ok = put_char(buf, size, &pos, ch, name_char_literal(ch));
        }
        i += 1 + ll;
    }
    buf[pos] = '\0';
    return buf;
}

static unsigned ascii_lower(unsigned ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

int dis_dns_name_eq(const struct dis_dns_name *a, const struct dis_dns_name *b)
{
    if (a->len != b->len)
        return 0;
    /* Length octets are at most 63, below 'A', so lowering every byte leaves them alone. */
    for (size_t i = 0; i < a->len; i++)
        if (ascii_lower(a->b[i]) != ascii_lower(b->b[i]))
            return 0;
    return 1;
}

int dis_dns_addr_sinkhole(const struct dis_addr *a)
{
    if (a->family == 4)
        return a->b[0] == 127 || (a->b[0] == 0 && a->b[1] == 0 && a->b[2] == 0 && a->b[3] == 0);
    if (a->family != 6)
        return 0;
    for (size_t i = 0; i < 15; i++)
        if (a->b[i] != 0)
            return 0;
    return a->b[15] <= 1;
}

const char *dis_dns_type_name(uint16_t type)
{
    switch (type) {
    case DIS_DNS_T_A:
        return "A";
    case DIS_DNS_T_NS:
        return "NS";
    case DIS_DNS_T_CNAME:
        return "CNAME";
    case DIS_DNS_T_SOA:
        return "SOA";
    case DIS_DNS_T_PTR:
        return "PTR";
    case DIS_DNS_T_MX:
        return "MX";
    case DIS_DNS_T_TXT:
        return "TXT";
    case DIS_DNS_T_AAAA:
        return "AAAA";
    case DIS_DNS_T_SRV:
        return "SRV";
    case DIS_DNS_T_DNAME:
        return "DNAME";
    case DIS_DNS_T_OPT:
        return "OPT";
    case DIS_DNS_T_SVCB:
        return "SVCB";
    case DIS_DNS_T_HTTPS:
        return "HTTPS";
    case DIS_DNS_T_ANY:
        return "ANY";
    default:
        return NULL;
    }
}

const char *dis_dns_rcode_name(uint16_t rcode)
{
    /* RFC 6895 §2.3; 16 is BADVERS with OPT (BADSIG in TSIG, which is not parsed here). */
    static const char *const names[] = {"NOERROR", "FORMERR",   "SERVFAIL", "NXDOMAIN", "NOTIMP",
                                        "REFUSED", "YXDOMAIN",  "YXRRSET",  "NXRRSET",  "NOTAUTH",
                                        "NOTZONE", "DSOTYPENI", NULL,       NULL,       NULL,
                                        NULL,      "BADVERS",   "BADKEY",   "BADTIME",  "BADMODE",
                                        "BADNAME", "BADALG",    "BADTRUNC", "BADCOOKIE"};
    if (rcode >= sizeof names / sizeof names[0])
        return NULL;
    return names[rcode];
}
