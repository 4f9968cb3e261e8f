/* SPDX-License-Identifier: MIT */
/* decode_int.h - the layers of dis_decode(), shared between link.c, ip.c and transport.c. */
#ifndef DIS_DECODE_INT_H
#define DIS_DECODE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/decode.h"
#include "dissect/rd.h"

/** Ethertypes the link layer hands to the network layer. */
enum { DIS__ETH_IPV4 = 0x0800, DIS__ETH_IPV6 = 0x86dd };

/**
 * The bytes an IP header says follow it. @c r covers the captured part; the header may promise
 * more than was captured, and @c uncaptured counts those missing bytes. So while @c r is not
 * errored, rd_left(&r) + uncaptured is the length the headers claim is left, and an underrun
 * in @c r means "truncated" when uncaptured > 0 and "malformed" (a header ran past the length
 * its enclosing header states) otherwise.
 */
struct dis__body {
    struct rd r;
    uint32_t uncaptured;
};

/** Bytes the headers claim remain in @p b (captured or not). */
uint32_t dis__body_wire(const struct dis__body *b);

/**
 * Checks that a header of @p n bytes can be read from @p b. Returns DIS_OK when it was
 * captured, DIS_MALFORMED when it would run past the length the enclosing header states,
 * DIS_TRUNCATED when it fits that length but the capture stopped first.
 */
enum dis_status dis__body_need(const struct dis__body *b, size_t n);

/**
 * Points out->payload at what remains of @p b, limited to @p wire bytes (the payload length the
 * headers state), and sets payload_len / payload_caplen. Consumes nothing. out->payload is
 * NULL when nothing of it was captured.
 */
void dis__set_payload(const struct dis__body *b, uint32_t wire, struct dis_pkt *out);

/**
 * Decodes the link-layer header(s) of @p linktype from @p r, recording VLAN tags in @p out,
 * and leaves @p r at the network-layer header. Returns DIS_OK with *ethertype set to
 * DIS__ETH_IPV4 or DIS__ETH_IPV6, DIS_NOT_MINE for anything else, DIS_TRUNCATED when the frame
 * ends inside the link header, DIS_MALFORMED for a RAW frame whose version is neither 4 nor 6.
 */
enum dis_status dis__link(int linktype, struct rd *r, struct dis_pkt *out, uint16_t *ethertype);

/**
 * Decodes the IPv4 or IPv6 packet (per @p ethertype) at @p r and then its transport header.
 * Returns as dis_decode().
 */
enum dis_status dis__ip(struct rd *r, uint16_t ethertype, struct dis_pkt *out);

/**
 * Decodes the IP header quoted in an ICMP or ICMPv6 error (RFC 792, RFC 4443 §2.4 (c)) into
 * @p in: addresses, protocol (after IPv6 extension headers) and, when the quote reaches that
 * far into a TCP or UDP header of a first fragment, the ports. A quote is by definition
 * partial, so its total/payload length is not checked against what is present. Returns DIS_OK
 * when at least both addresses were read, DIS_TRUNCATED when @p r ended before that,
 * DIS_MALFORMED when the version or header length is invalid.
 */
enum dis_status dis__ip_quote(struct rd *r, struct dis_inner *in);

/**
 * Decodes the transport header of protocol out->proto at the start of @p b (TCP, UDP, ICMP,
 * ICMPv6) and sets the payload fields. Unknown protocols leave l4_ok false and return DIS_OK.
 */
enum dis_status dis__transport(struct dis__body *b, struct dis_pkt *out);

#endif
