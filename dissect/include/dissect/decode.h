/* SPDX-License-Identifier: MIT */
/* decode.h - link, network and transport decoding of one captured frame into a dis_pkt. */
#ifndef DIS_DECODE_H
#define DIS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/status.h"

/*
 * Link types, numbered as the tcpdump.org LINKTYPE_ registry (the numbers a pcap/pcapng file
 * carries). capture/ translates the platform's DLT_ values into these, so dissect/ needs no
 * libpcap header.
 */
enum dis_linktype {
    DIS_LINKTYPE_NULL = 0,        /**< BSD loopback, 4-byte host-order address family */
    DIS_LINKTYPE_ETHERNET = 1,    /**< Ethernet II / 802.3, with 802.1Q, 802.1ad, QinQ tags */
    DIS_LINKTYPE_PPP = 9,         /**< PPP (RFC 1661), optional HDLC address/control bytes */
    DIS_LINKTYPE_RAW = 101,       /**< raw IPv4 or IPv6, version from the first nibble */
    DIS_LINKTYPE_LOOP = 108,      /**< OpenBSD loopback, 4-byte network-order family */
    DIS_LINKTYPE_LINUX_SLL = 113, /**< Linux cooked capture v1 */
    DIS_LINKTYPE_IPV4 = 228,      /**< raw IPv4 */
    DIS_LINKTYPE_IPV6 = 229,      /**< raw IPv6 */
    DIS_LINKTYPE_LINUX_SLL2 = 276 /**< Linux cooked capture v2 */
};

/** Non-zero when @p linktype is one that dis_decode() understands. */
int dis_linktype_supported(int linktype);

/** An IPv4 or IPv6 address; IPv4 uses the first 4 bytes of @c b, the rest are zero. */
struct dis_addr {
    uint8_t family; /**< 4 or 6; 0 = none */
    uint8_t b[16];
};

/** Formats @p a as text ("10.0.0.5", "2001:db8::1") into @p buf; returns @p buf. */
char *dis_addr_str(const struct dis_addr *a, char *buf, size_t len);
/** Compares two addresses (family first, then bytes); <0, 0, >0 like memcmp. */
int dis_addr_cmp(const struct dis_addr *x, const struct dis_addr *y);

/** TCP flag bits as in the header. */
enum {
    DIS_TH_FIN = 0x01,
    DIS_TH_SYN = 0x02,
    DIS_TH_RST = 0x04,
    DIS_TH_PSH = 0x08,
    DIS_TH_ACK = 0x10,
    DIS_TH_URG = 0x20,
    DIS_TH_ECE = 0x40,
    DIS_TH_CWR = 0x80
};

/** IP protocol numbers used by the decoder. */
enum { DIS_IPPROTO_ICMP = 1, DIS_IPPROTO_TCP = 6, DIS_IPPROTO_UDP = 17, DIS_IPPROTO_ICMPV6 = 58 };

/** The IP/transport header quoted inside an ICMP or ICMPv6 error message. */
struct dis_inner {
    struct dis_addr src, dst; /**< as in the quoted (original) packet */
    uint8_t proto;            /**< quoted packet's protocol */
    bool has_ports;           /**< the quote was long enough for the ports */
    uint16_t sport, dport;
};

/**
 * One decoded frame. Pointers (l3, payload) borrow from the frame passed to dis_decode() and
 * are valid only as long as that frame is. Fields that a frame lacks are zero.
 */
struct dis_pkt {
    /* link layer */
    uint8_t vlan_count; /**< VLAN tags seen (802.1Q/802.1ad), capped at 4 */
    uint16_t vlan[4];   /**< VLAN ids, outermost first */

    /* network layer */
    uint8_t ipver;            /**< 4 or 6; 0 when the frame carries no IP */
    struct dis_addr src, dst; /**< IP source and destination */
    uint8_t ttl;              /**< IPv4 TTL or IPv6 hop limit */
    uint8_t proto;            /**< transport protocol (after IPv6 extension headers) */
    uint32_t ip_len;          /**< IP packet length as the header states (wire, not caplen) */
    const uint8_t *l3;        /**< start of the IP header in the frame */
    uint32_t l3_caplen;       /**< captured bytes from l3 to the end of the IP packet */

    /* fragmentation (IPv4 flags/offset, IPv6 Fragment header) */
    bool frag;       /**< this packet is a fragment */
    bool frag_first; /**< ... and it is the first one (offset 0): it carries the L4 header */
    uint32_t frag_id;

    /* transport layer; valid when l4_ok */
    bool l4_ok; /**< transport header decoded (false for non-first fragments) */
    uint16_t sport, dport;
    uint8_t tcp_flags; /**< DIS_TH_* */
    uint32_t seq, ack;
    uint16_t window;
    uint16_t mss;   /**< TCP MSS option, 0 if absent */
    uint8_t wscale; /**< TCP window scale option + 1, 0 if absent */
    bool sack_ok;   /**< TCP SACK-permitted option */
    uint8_t icmp_type, icmp_code;
    bool icmp_error;        /**< ICMP(v6) error message (unreachable, time exceeded, ...) */
    struct dis_inner inner; /**< the quoted header, when icmp_error and it could be read */
    bool has_inner;

    const uint8_t *payload; /**< transport payload (captured part) */
    uint32_t payload_caplen;
    uint32_t payload_len; /**< payload length per the headers (may exceed payload_caplen) */
};

/**
 * Decodes @p caplen captured bytes of a frame of link type @p linktype (enum dis_linktype).
 * Fills @p out (zeroing it first). Returns:
 *  - DIS_OK: IP and (unless a non-first fragment or an unknown protocol) transport decoded;
 *  - DIS_NOT_MINE: not IP (ARP, LLDP, ...) or an unsupported link type;
 *  - DIS_TRUNCATED: the frame ends inside a header (fields decoded so far are kept);
 *  - DIS_MALFORMED: a header contradicts itself (bad IP version or header length).
 * Never reads outside [frame, frame + caplen).
 */
enum dis_status dis_decode(int linktype, const uint8_t *frame, uint32_t caplen,
                           struct dis_pkt *out);

#endif
