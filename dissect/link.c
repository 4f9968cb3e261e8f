/* SPDX-License-Identifier: MIT */
/*
 * link.c - link-layer headers in front of IP: Ethernet II / IEEE 802.3 with LLC/SNAP
 * (IEEE 802.2, RFC 1042), 802.1Q / 802.1ad / 0x9100 VLAN tags, Linux cooked capture v1/v2,
 * BSD and OpenBSD loopback, PPP (RFC 1661, RFC 1662 framing) and raw IP. Link types are
 * numbered as the tcpdump.org LINKTYPE_ registry.
 */
#include "decode_int.h"

/* Ethertypes of VLAN tags: 802.1Q C-tag, 802.1ad S-tag, and the pre-standard QinQ value. */
#define ETH_VLAN_8021Q 0x8100
#define ETH_VLAN_8021AD 0x88a8
#define ETH_VLAN_QINQ 0x9100

/* Type/length values up to this are an 802.3 length (IEEE 802.3 §3.2.6): an LLC header follows.
 * Values between it and 0x0600 are undefined. */
#define ETH_MAX_LEN 1500
#define ETH_MIN_TYPE 0x0600

/* Tags beyond this many (4 are recorded) make the frame NOT_MINE rather than loop forever. */
#define VLAN_MAX_TAGS 8

/* Linux cooked capture: ARPHRD_NETLINK frames carry a netlink family, not an ethertype. */
#define SLL_ARPHRD_NETLINK 824
/* SLL protocol values below 0x0600 are Linux ETH_P_* pseudo-types; 0x0004 is 802.2 LLC. */
#define SLL_P_802_2 0x0004

/* PPP protocol numbers (RFC 1332, RFC 5072). */
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

/* BSD address families as loopback headers carry them (tcpdump af.h). */
#define BSD_AF_INET 2
#define LINUX_AF_INET6 10
#define BSD_AF_INET6_BSD 24     /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28 /* FreeBSD, DragonFly */
#define BSD_AF_INET6_DARWIN 30  /* macOS, iOS */

int dis_linktype_supported(int linktype)
{
    switch (linktype) {
    case DIS_LINKTYPE_NULL:
    case DIS_LINKTYPE_ETHERNET:
    case DIS_LINKTYPE_PPP:
    case DIS_LINKTYPE_RAW:
    case DIS_LINKTYPE_LOOP:
    case DIS_LINKTYPE_LINUX_SLL:
    case DIS_LINKTYPE_IPV4:
    case DIS_LINKTYPE_IPV6:
    case DIS_LINKTYPE_LINUX_SLL2:
        return 1;
    default:
        return 0;
    }
}

/* Maps an ethertype to the network layer we decode; anything else is not ours. */
static enum dis_status link_ip_type(uint32_t type, uint16_t *ethertype)
{
    if (type != DIS__ETH_IPV4 && type != DIS__ETH_IPV6)
        return DIS_NOT_MINE;
    *ethertype = (uint16_t)type;
    return DIS_OK;
}

/*
 * An IEEE 802.2 LLC header. Only SNAP (DSAP = SSAP = 0xaa, UI control) with OUI 0 carries an
 * ethertype (RFC 1042); the SNAP type is returned in *type. Other SAPs (STP, NetBIOS, ...) are
 * not IP.
 */
static enum dis_status link_llc(struct rd *r, uint32_t *type)
{
    uint8_t dsap = rd_u8(r);
    uint8_t ssap = rd_u8(r);
    uint8_t ctrl = rd_u8(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (dsap != 0xaa || ssap != 0xaa || ctrl != 0x03)
        return DIS_NOT_MINE;
    uint32_t oui = rd_be24(r);
    uint16_t snap_type = rd_be16(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (oui != 0)
        return DIS_NOT_MINE;
    *type = snap_type;
    return DIS_OK;
}

/*
 * Follows a type field through VLAN tags and at most one LLC/SNAP header to the network
 * protocol. @p type is the first type field, already read; a value <= ETH_MAX_LEN means an
 * LLC header follows (an 802.3 length, or the SLL pseudo-type mapped to 0). The 802.3 length
 * is not used to trim the frame: the IP length does that.
 */
static enum dis_status link_type_chain(struct rd *r, uint32_t type, struct dis_pkt *out,
                                       uint16_t *ethertype)
{
    unsigned tags = 0;
    int llc_done = 0;

    for (;;) {
        if (type == ETH_VLAN_8021Q || type == ETH_VLAN_8021AD || type == ETH_VLAN_QINQ) {
            if (tags == VLAN_MAX_TAGS)
                return DIS_NOT_MINE;
            tags++;
            /* IEEE 802.1Q §9.6: TCI = PCP(3) DEI(1) VID(12), then the next type. */
            uint16_t tci = rd_be16(r);
            uint16_t next = rd_be16(r);
            RD_REQUIRE(r, DIS_TRUNCATED);
            if (out->vlan_count < 4)
                out->vlan[out->vlan_count++] = tci & 0x0fff;
            type = next;
        } else if (type <= ETH_MAX_LEN && !llc_done) {
            llc_done = 1;
            enum dis_status st = link_llc(r, &type);
            if (st != DIS_OK)
                return st;
        } else if (type >= ETH_MIN_TYPE) {
            return link_ip_type(type, ethertype);
        } else {
            return DIS_NOT_MINE;
        }
    }
}

static enum dis_status link_ethernet(struct rd *r, struct dis_pkt *out, uint16_t *ethertype)
{
    if (rd_skip(r, 12) < 0) /* destination and source MAC */
        return DIS_TRUNCATED;
    uint16_t type = rd_be16(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    return link_type_chain(r, type, out, ethertype);
}

/* The protocol field of both cooked-capture versions: an ethertype or a Linux ETH_P_ value. */
static enum dis_status link_sll_proto(struct rd *r, uint16_t hatype, uint16_t proto,
                                      struct dis_pkt *out, uint16_t *ethertype)
{
    if (hatype == SLL_ARPHRD_NETLINK)
        return DIS_NOT_MINE;
    if (proto == SLL_P_802_2)
        return link_type_chain(r, 0, out, ethertype);
    if (proto < ETH_MIN_TYPE)
        return DIS_NOT_MINE;
    return link_type_chain(r, proto, out, ethertype);
}

/* LINKTYPE_LINUX_SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol. */
static enum dis_status link_sll(struct rd *r, struct dis_pkt *out, uint16_t *ethertype)
{
    rd_skip(r, 2);
    uint16_t hatype = rd_be16(r);
    rd_skip(r, 10);
    uint16_t proto = rd_be16(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    return link_sll_proto(r, hatype, proto, out, ethertype);
}

/* LINKTYPE_LINUX_SLL2: protocol, reserved, interface index, ARPHRD type, packet type, address
 * length, 8 address bytes. */
static enum dis_status link_sll2(struct rd *r, struct dis_pkt *out, uint16_t *ethertype)
{
    uint16_t proto = rd_be16(r);
    rd_skip(r, 6);
    uint16_t hatype = rd_be16(r);
    rd_skip(r, 10);
    RD_REQUIRE(r, DIS_TRUNCATED);
    return link_sll_proto(r, hatype, proto, out, ethertype);
}

/*
 * LINKTYPE_NULL carries the address family in the capturing host's byte order, LINKTYPE_LOOP
 * in network order. As tcpdump does, a value with bits in the upper half was written
 * little-endian: families are small, so that tells the two apart. Network order reads right
 * either way, so both link types share this. AF_INET6 differs between systems; accept all.
 */
static enum dis_status link_loopback(struct rd *r, uint16_t *ethertype)
{
    uint32_t fam = rd_be32(r);
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (fam & 0xffff0000u)
        fam = (fam >> 24) | ((fam >> 8) & 0xff00u) | ((fam << 8) & 0xff0000u) | (fam << 24);
    switch (fam) {
    case BSD_AF_INET:
        *ethertype = DIS__ETH_IPV4;
        return DIS_OK;
    case LINUX_AF_INET6:
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        *ethertype = DIS__ETH_IPV6;
        return DIS_OK;
    default:
        return DIS_NOT_MINE;
    }
}

/*
 * LINKTYPE_PPP: optional HDLC-like address 0xff and control 0x03 (RFC 1662 §3.1, absent when
 * address/control field compression was negotiated), then the protocol, 1 byte when protocol
 * field compression applies: protocol numbers have an even high byte and an odd low byte
 * (RFC 1661 §2), so an odd first byte is a compressed protocol.
 */
static enum dis_status link_ppp(struct rd *r, uint16_t *ethertype)
{
    int b = rd_peek_u8(r, 0);
    if (b < 0)
        return DIS_TRUNCATED;
    if (b == 0xff) {
        rd_skip(r, 1);
        uint8_t ctrl = rd_u8(r);
        RD_REQUIRE(r, DIS_TRUNCATED);
        if (ctrl != 0x03)
            return DIS_NOT_MINE;
    }
    uint16_t proto = rd_u8(r);
    if (!(proto & 1))
        proto = (uint16_t)(proto << 8 | rd_u8(r));
    RD_REQUIRE(r, DIS_TRUNCATED);
    if (proto == PPP_IPV4)
        *ethertype = DIS__ETH_IPV4;
    else if (proto == PPP_IPV6)
        *ethertype = DIS__ETH_IPV6;
    else
        return DIS_NOT_MINE;
    return DIS_OK;
}

/* Raw IP: the version nibble of the first byte says which. */
static enum dis_status link_raw(const struct rd *r, uint16_t *ethertype)
{
    int b = rd_peek_u8(r, 0);
    if (b < 0)
        return DIS_TRUNCATED;
    if (b >> 4 == 4)
        *ethertype = DIS__ETH_IPV4;
    else if (b >> 4 == 6)
        *ethertype = DIS__ETH_IPV6;
    else
        return DIS_MALFORMED;
    return DIS_OK;
}

enum dis_status dis__link(int linktype, struct rd *r, struct dis_pkt *out, uint16_t *ethertype)
{
    switch (linktype) {
    case DIS_LINKTYPE_ETHERNET:
        return link_ethernet(r, out, ethertype);
    case DIS_LINKTYPE_LINUX_SLL:
        return link_sll(r, out, ethertype);
    case DIS_LINKTYPE_LINUX_SLL2:
        return link_sll2(r, out, ethertype);
    case DIS_LINKTYPE_NULL:
    case DIS_LINKTYPE_LOOP:
        return link_loopback(r, ethertype);
    case DIS_LINKTYPE_PPP:
        return link_ppp(r, ethertype);
    case DIS_LINKTYPE_RAW:
        return link_raw(r, ethertype);
    case DIS_LINKTYPE_IPV4:
        /* The IP decoder checks the version and reports a mismatch as malformed. */
        *ethertype = DIS__ETH_IPV4;
        return DIS_OK;
    case DIS_LINKTYPE_IPV6:
        *ethertype = DIS__ETH_IPV6;
        return DIS_OK;
    default:
        return DIS_NOT_MINE;
    }
}
