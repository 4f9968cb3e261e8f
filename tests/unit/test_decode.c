/* SPDX-License-Identifier: MIT */
/*
 * test_decode.c - dis_decode() on handcrafted frames: link layers (Ethernet, VLAN stacks,
 * LLC/SNAP, SLL, SLL2, NULL/LOOP, PPP, raw), IPv4/IPv6 with options, extension headers and
 * fragments, TCP/UDP/ICMP/ICMPv6 including quoted headers; malformed headers; and every valid
 * frame cut at every length in a heap buffer of exactly that size (for ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect/decode.h"

/* ---- building blocks ---- */

/* Ethernet destination and source MAC. */
#define ETH_MACS 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb

/* IPv4 10.0.0.1 -> 10.0.0.2, TTL 64, id 1, UDP 54321 -> 53 with 4 bytes of data (32 bytes). */
#define IP4_UDP                                                                                    \
    0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 0x0a, 0x00, 0x00,      \
        0x01, 0x0a, 0x00, 0x00, 0x02, 0xd4, 0x31, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 0xde, 0xad,  \
        0xbe, 0xef

#define A6_1 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define A6_2 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
#define A6_A 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a
#define A6_B 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b

/* IPv6 2001:db8::1 -> 2001:db8::2, hop limit 64, UDP 50000 -> 443 with 4 bytes of data. */
#define IP6_UDP                                                                                    \
    0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40, A6_1, A6_2, 0xc3, 0x50, 0x01, 0xbb, 0x00,      \
        0x0c, 0x00, 0x00, 0xca, 0xfe, 0xba, 0xbe

/* ---- vectors ---- */

/* Ethernet, IPv4 192.168.1.10 -> 93.184.216.34, TCP SYN 51000 -> 443 with MSS 1460, NOP,
 * window scale 7, NOP, NOP, SACK permitted. */
static const uint8_t v_eth_tcp_syn[] = {
    ETH_MACS, 0x08, 0x00,
    /* IPv4: total 52, id 0x1234, DF, TTL 64, TCP */
    0x45, 0x00, 0x00, 0x34, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x0a,
    0x5d, 0xb8, 0xd8, 0x22,
    /* TCP: ports, seq, ack, doff 8 + SYN, window 64240, checksum, urgent */
    0xc7, 0x38, 0x01, 0xbb, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x80, 0x02, 0xfa, 0xf0,
    0x00, 0x00, 0x00, 0x00,
    /* options */
    0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07, 0x01, 0x01, 0x04, 0x02};

/* Ethernet, IPv4 with 4 bytes of options (IHL 6), TCP ACK|PSH with 3 bytes of payload. */
static const uint8_t v_eth_ip4opt_tcp[] = {
    ETH_MACS, 0x08, 0x00,
    /* IPv4: IHL 6, total 47, TTL 5 */
    0x46, 0x00, 0x00, 0x2f, 0x00, 0x07, 0x00, 0x00, 0x05, 0x06, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x0a,
    0x5d, 0xb8, 0xd8, 0x22,
    /* option: NOP x3, EOL */
    0x01, 0x01, 0x01, 0x00,
    /* TCP: 51000 -> 443, seq 0xaabbccdd, ack 0x11223344, doff 5, ACK|PSH, window 502 */
    0xc7, 0x38, 0x01, 0xbb, 0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44, 0x50, 0x18, 0x01, 0xf6,
    0x00, 0x00, 0x00, 0x00, 'a', 'b', 'c'};

/* 802.1Q tag VID 100 (PCP 5), IPv4/UDP. */
static const uint8_t v_vlan[] = {ETH_MACS, 0x81, 0x00, 0xa0, 0x64, 0x08, 0x00, IP4_UDP};

/* 802.1ad S-tag 200, 802.1Q C-tag 100, IPv4/UDP. */
static const uint8_t v_qinq[] = {ETH_MACS, 0x88, 0xa8, 0x00, 0xc8, 0x81,
                                 0x00,     0x00, 0x64, 0x08, 0x00, IP4_UDP};

/* 0x9100 tag 10, 802.1ad tag 20, 802.1Q tag 30 (PCP 1), IPv4/UDP. */
static const uint8_t v_vlan3[] = {ETH_MACS, 0x91, 0x00, 0x00, 0x0a, 0x88, 0xa8, 0x00,
                                  0x14,     0x81, 0x00, 0x20, 0x1e, 0x08, 0x00, IP4_UDP};

/* Five 802.1Q tags 1..5: four are recorded, the fifth is passed over. */
static const uint8_t v_vlan5[] = {ETH_MACS, 0x81, 0x00, 0x00, 0x01, 0x81, 0x00, 0x00,
                                  0x02,     0x81, 0x00, 0x00, 0x03, 0x81, 0x00, 0x00,
                                  0x04,     0x81, 0x00, 0x00, 0x05, 0x08, 0x00, IP4_UDP};

/* IEEE 802.3 length 40, LLC/SNAP (RFC 1042) with ethertype IPv4, IPv4/UDP. */
static const uint8_t v_llc_snap[] = {ETH_MACS, 0x00, 0x28, 0xaa, 0xaa, 0x03,
                                     0x00,     0x00, 0x00, 0x08, 0x00, IP4_UDP};

/* Linux cooked v1: to us, ARPHRD_ETHER, 6-byte address, IPv4/UDP. */
static const uint8_t v_sll[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x11,   0x22,
                                0x33, 0x44, 0x55, 0x00, 0x00, 0x08, 0x00, IP4_UDP};

/* Linux cooked v2: IPv6, ifindex 2, ARPHRD_ETHER, IPv6/UDP. */
static const uint8_t v_sll2[] = {0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01,   0x00,
                                 0x06, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00, IP6_UDP};

/* Raw IPv6 2001:db8::a -> 2001:db8::b: Hop-by-Hop, Destination Options, Fragment (offset 0,
 * M set, id 0xdeadbeef), UDP 5000 -> 6000 (UDP length 1500: the whole datagram). */
static const uint8_t v_ip6_frag_first[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x40, A6_A, A6_B,
    /* Hop-by-Hop: next Destination Options, PadN */
    0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* Destination Options: next Fragment, PadN */
    0x2c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
    /* Fragment: next UDP, offset 0, M */
    0x11, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef,
    /* UDP */
    0x13, 0x88, 0x17, 0x70, 0x05, 0xdc, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8};

/* The same datagram's fragment at offset 1480 (185 units), last. */
static const uint8_t v_ip6_frag_later[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x40, A6_A, A6_B, 0x3c, 0x00, 0x01, 0x04,
    0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00,
    0x05, 0xc8, 0xde, 0xad, 0xbe, 0xef, 9,    10,   11,   12,   13,   14,   15,   16};

/* Raw IPv4 192.0.2.1 -> 198.51.100.2, first fragment (MF, id 0xabcd), UDP 1234 -> 5678. */
static const uint8_t v_ip4_frag_first[] = {0x45, 0x00, 0x00, 0x24, 0xab, 0xcd, 0x20, 0x00, 0x40,
                                           0x11, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
                                           0x64, 0x02, 0x04, 0xd2, 0x16, 0x2e, 0x05, 0xdc, 0x00,
                                           0x00, 1,    2,    3,    4,    5,    6,    7,    8};

/* ... and its last fragment at offset 1480 (185 units). */
static const uint8_t v_ip4_frag_later[] = {
    0x45, 0x00, 0x00, 0x1c, 0xab, 0xcd, 0x00, 0xb9, 0x40, 0x11, 0x00, 0x00, 0xc0, 0x00,
    0x02, 0x01, 0xc6, 0x33, 0x64, 0x02, 9,    10,   11,   12,   13,   14,   15,   16};

/* Raw IPv4 10.0.0.2 -> 10.0.0.1 ICMP port unreachable quoting IPv4 10.0.0.1 -> 10.0.0.2
 * UDP 40000 -> 53. */
static const uint8_t v_icmp4_unreach[] = {
    0x45, 0x00, 0x00, 0x38, 0x00, 0x02, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
    0x0a, 0x00, 0x00, 0x01,
    /* ICMP type 3 code 3, checksum, unused */
    0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* quoted IPv4 */
    0x45, 0x00, 0x00, 0x26, 0x00, 0x01, 0x00, 0x00, 0x3f, 0x11, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x02,
    /* quoted UDP */
    0x9c, 0x40, 0x00, 0x35, 0x00, 0x12, 0x00, 0x00};

/* Ethernet, IPv6 2001:db8::2 -> 2001:db8::1 ICMPv6 destination unreachable (port) quoting
 * IPv6 2001:db8::1 -> 2001:db8::2 with Destination Options, UDP 50000 -> 443. */
static const uint8_t v_icmp6_unreach[] = {ETH_MACS, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x40,
                                          0x3a, 0x40, A6_2, A6_1,
                                          /* ICMPv6 type 1 code 4, checksum, unused */
                                          0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                          /* quoted IPv6, next header Destination Options */
                                          0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x3c, 0x40, A6_1,
                                          A6_2, 0x11, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
                                          /* quoted UDP */
                                          0xc3, 0x50, 0x01, 0xbb, 0x00, 0x0c, 0x00, 0x00};

/* ICMP echo request 10.0.0.1 -> 10.0.0.2, id 0x1234 seq 1. */
static const uint8_t v_icmp4_echo[] = {0x45, 0x00, 0x00, 0x1c, 0x00, 0x03, 0x00, 0x00, 0x40, 0x01,
                                       0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
                                       0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01};

/* BSD loopback: AF_INET little-endian (as an x86 host writes it), and AF_INET6 = 30 (macOS)
 * big-endian; OpenBSD loopback AF_INET network order. */
static const uint8_t v_null_le[] = {0x02, 0x00, 0x00, 0x00, IP4_UDP};
static const uint8_t v_null_be6[] = {0x00, 0x00, 0x00, 0x1e, IP6_UDP};
static const uint8_t v_null_le6[] = {0x18, 0x00, 0x00, 0x00, IP6_UDP};
static const uint8_t v_loop[] = {0x00, 0x00, 0x00, 0x02, IP4_UDP};

/* PPP with address/control, without, and with a compressed 1-byte protocol. */
static const uint8_t v_ppp_ff03[] = {0xff, 0x03, 0x00, 0x21, IP4_UDP};
static const uint8_t v_ppp_ip6[] = {0x00, 0x57, IP6_UDP};
static const uint8_t v_ppp_pfc[] = {0x21, IP4_UDP};

/* Ethernet ARP request. */
static const uint8_t v_arp[] = {ETH_MACS, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06,
                                0x04,     0x00, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44,
                                0x55,     0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                0x00,     0x00, 0x00, 0x0a, 0x00, 0x00, 0x02};

/* Ethernet IPv4/UDP (32 bytes) padded to the 60-byte minimum frame. */
static const uint8_t v_eth_padded[] = {ETH_MACS, 0x08, 0x00, IP4_UDP, 0, 0, 0, 0, 0,
                                       0,        0,    0,    0,       0, 0, 0, 0, 0};

/* ---- helpers ---- */

static void assert_addr(const struct dis_addr *a, const char *want)
{
    char buf[64];
    assert_string_equal(dis_addr_str(a, buf, sizeof buf), want);
}

/* Decodes a heap copy of exactly @p len bytes (so ASan sees any over-read). */
static enum dis_status decode_exact(int linktype, const uint8_t *v, size_t len, struct dis_pkt *pkt)
{
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    if (len)
        memcpy(buf, v, len);
    enum dis_status st = dis_decode(linktype, len ? buf : NULL, (uint32_t)len, pkt);
    /* Whatever was decoded points inside the frame. */
    if (pkt->l3) {
        assert_true(pkt->l3 >= buf && pkt->l3 + pkt->l3_caplen <= buf + len);
        assert_true(pkt->l3_caplen <= pkt->ip_len || pkt->ip_len == 0);
    }
    if (pkt->payload) {
        assert_true(pkt->payload >= buf && pkt->payload + pkt->payload_caplen <= buf + len);
        assert_true(pkt->payload_caplen <= pkt->payload_len);
    }
    free(buf);
    /* The pointers now dangle; clear them so no test reads through them. */
    pkt->l3 = NULL;
    pkt->payload = NULL;
    return st;
}

#define DECODE(lt, v, pkt) decode_exact((lt), (v), sizeof(v), (pkt))

/* The IPv4/UDP block of IP4_UDP, decoded. */
static void assert_ip4_udp(const struct dis_pkt *p)
{
    assert_int_equal(p->ipver, 4);
    assert_addr(&p->src, "10.0.0.1");
    assert_addr(&p->dst, "10.0.0.2");
    assert_int_equal(p->ttl, 64);
    assert_int_equal(p->proto, DIS_IPPROTO_UDP);
    assert_int_equal(p->ip_len, 32);
    assert_int_equal(p->l3_caplen, 32);
    assert_false(p->frag);
    assert_true(p->l4_ok);
    assert_int_equal(p->sport, 54321);
    assert_int_equal(p->dport, 53);
    assert_int_equal(p->payload_len, 4);
    assert_int_equal(p->payload_caplen, 4);
}

static void assert_ip6_udp(const struct dis_pkt *p)
{
    assert_int_equal(p->ipver, 6);
    assert_addr(&p->src, "2001:db8::1");
    assert_addr(&p->dst, "2001:db8::2");
    assert_int_equal(p->ttl, 64);
    assert_int_equal(p->proto, DIS_IPPROTO_UDP);
    assert_int_equal(p->ip_len, 52);
    assert_true(p->l4_ok);
    assert_int_equal(p->sport, 50000);
    assert_int_equal(p->dport, 443);
    assert_int_equal(p->payload_len, 4);
    assert_int_equal(p->payload_caplen, 4);
}

/* ---- tests ---- */

static void test_eth_tcp_syn(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_eth_tcp_syn, &p), DIS_OK);
    assert_int_equal(p.vlan_count, 0);
    assert_int_equal(p.ipver, 4);
    assert_addr(&p.src, "192.168.1.10");
    assert_addr(&p.dst, "93.184.216.34");
    assert_int_equal(p.ttl, 64);
    assert_int_equal(p.proto, DIS_IPPROTO_TCP);
    assert_int_equal(p.ip_len, 52);
    assert_int_equal(p.l3_caplen, 52);
    assert_false(p.frag);
    assert_true(p.l4_ok);
    assert_int_equal(p.sport, 51000);
    assert_int_equal(p.dport, 443);
    assert_int_equal(p.seq, 0x01020304);
    assert_int_equal(p.ack, 0);
    assert_int_equal(p.tcp_flags, DIS_TH_SYN);
    assert_int_equal(p.window, 64240);
    assert_int_equal(p.mss, 1460);
    assert_int_equal(p.wscale, 8);
    assert_true(p.sack_ok);
    assert_int_equal(p.payload_len, 0);
    assert_int_equal(p.payload_caplen, 0);
    assert_false(p.icmp_error);
}

static void test_ip4_options_tcp_payload(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_eth_ip4opt_tcp, &p), DIS_OK);
    assert_int_equal(p.ttl, 5);
    assert_int_equal(p.ip_len, 47);
    assert_int_equal(p.sport, 51000);
    assert_int_equal(p.seq, 0xaabbccdd);
    assert_int_equal(p.ack, 0x11223344);
    assert_int_equal(p.tcp_flags, DIS_TH_ACK | DIS_TH_PSH);
    assert_int_equal(p.window, 502);
    assert_int_equal(p.mss, 0);
    assert_int_equal(p.wscale, 0);
    assert_false(p.sack_ok);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(p.payload_caplen, 3);

    /* The payload pointer is the 3 bytes at the end of the frame. */
    uint8_t *buf = malloc(sizeof v_eth_ip4opt_tcp);
    assert_non_null(buf);
    memcpy(buf, v_eth_ip4opt_tcp, sizeof v_eth_ip4opt_tcp);
    assert_int_equal(dis_decode(DIS_LINKTYPE_ETHERNET, buf, sizeof v_eth_ip4opt_tcp, &p), DIS_OK);
    assert_ptr_equal(p.payload, buf + sizeof v_eth_ip4opt_tcp - 3);
    assert_ptr_equal(p.l3, buf + 14);
    free(buf);
}

static void test_vlan(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_vlan, &p), DIS_OK);
    assert_int_equal(p.vlan_count, 1);
    assert_int_equal(p.vlan[0], 100);
    assert_ip4_udp(&p);

    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_qinq, &p), DIS_OK);
    assert_int_equal(p.vlan_count, 2);
    assert_int_equal(p.vlan[0], 200);
    assert_int_equal(p.vlan[1], 100);
    assert_ip4_udp(&p);

    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_vlan3, &p), DIS_OK);
    assert_int_equal(p.vlan_count, 3);
    assert_int_equal(p.vlan[0], 10);
    assert_int_equal(p.vlan[1], 20);
    assert_int_equal(p.vlan[2], 30);
    assert_ip4_udp(&p);

    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_vlan5, &p), DIS_OK);
    assert_int_equal(p.vlan_count, 4);
    assert_int_equal(p.vlan[0], 1);
    assert_int_equal(p.vlan[3], 4);
    assert_ip4_udp(&p);
}

static void test_llc_snap(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_llc_snap, &p), DIS_OK);
    assert_ip4_udp(&p);
}

static void test_sll(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_LINUX_SLL, v_sll, &p), DIS_OK);
    assert_ip4_udp(&p);

    assert_int_equal(DECODE(DIS_LINKTYPE_LINUX_SLL2, v_sll2, &p), DIS_OK);
    assert_ip6_udp(&p);
    assert_int_equal(p.l3_caplen, 52);

    /* SLL with the ARP ethertype is not ours. */
    uint8_t arp[sizeof v_sll];
    memcpy(arp, v_sll, sizeof arp);
    arp[15] = 0x06;
    assert_int_equal(DECODE(DIS_LINKTYPE_LINUX_SLL, arp, &p), DIS_NOT_MINE);
}

static void test_ip6_ext_fragments(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_RAW, v_ip6_frag_first, &p), DIS_OK);
    assert_int_equal(p.ipver, 6);
    assert_addr(&p.src, "2001:db8::a");
    assert_addr(&p.dst, "2001:db8::b");
    assert_int_equal(p.proto, DIS_IPPROTO_UDP);
    assert_int_equal(p.ip_len, 80);
    assert_true(p.frag);
    assert_true(p.frag_first);
    assert_int_equal(p.frag_id, 0xdeadbeef);
    assert_true(p.l4_ok);
    assert_int_equal(p.sport, 5000);
    assert_int_equal(p.dport, 6000);
    /* The UDP length (1500) covers the whole datagram, more than this fragment: the IP
     * length decides. */
    assert_int_equal(p.payload_len, 8);
    assert_int_equal(p.payload_caplen, 8);

    assert_int_equal(DECODE(DIS_LINKTYPE_IPV6, v_ip6_frag_later, &p), DIS_OK);
    assert_int_equal(p.proto, DIS_IPPROTO_UDP);
    assert_true(p.frag);
    assert_false(p.frag_first);
    assert_int_equal(p.frag_id, 0xdeadbeef);
    assert_false(p.l4_ok);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.dport, 0);
    assert_int_equal(p.ip_len, 72);
    assert_int_equal(p.l3_caplen, 72);
    /* The fragment's data continues the UDP payload. */
    assert_int_equal(p.payload_len, 8);
    assert_int_equal(p.payload_caplen, 8);
}

static void test_ip4_fragments(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_RAW, v_ip4_frag_first, &p), DIS_OK);
    assert_addr(&p.src, "192.0.2.1");
    assert_addr(&p.dst, "198.51.100.2");
    assert_true(p.frag);
    assert_true(p.frag_first);
    assert_int_equal(p.frag_id, 0xabcd);
    assert_true(p.l4_ok);
    assert_int_equal(p.sport, 1234);
    assert_int_equal(p.dport, 5678);
    assert_int_equal(p.payload_len, 8);

    assert_int_equal(DECODE(DIS_LINKTYPE_IPV4, v_ip4_frag_later, &p), DIS_OK);
    assert_addr(&p.src, "192.0.2.1");
    assert_int_equal(p.proto, DIS_IPPROTO_UDP);
    assert_true(p.frag);
    assert_false(p.frag_first);
    assert_int_equal(p.frag_id, 0xabcd);
    assert_false(p.l4_ok);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.ip_len, 28);
    assert_int_equal(p.payload_len, 8);
    assert_int_equal(p.payload_caplen, 8);
}

static void test_icmp4_error(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_IPV4, v_icmp4_unreach, &p), DIS_OK);
    assert_addr(&p.src, "10.0.0.2");
    assert_addr(&p.dst, "10.0.0.1");
    assert_int_equal(p.proto, DIS_IPPROTO_ICMP);
    assert_true(p.l4_ok);
    assert_int_equal(p.icmp_type, 3);
    assert_int_equal(p.icmp_code, 3);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.dport, 0);
    assert_true(p.icmp_error);
    assert_true(p.has_inner);
    assert_addr(&p.inner.src, "10.0.0.1");
    assert_addr(&p.inner.dst, "10.0.0.2");
    assert_int_equal(p.inner.proto, DIS_IPPROTO_UDP);
    assert_true(p.inner.has_ports);
    assert_int_equal(p.inner.sport, 40000);
    assert_int_equal(p.inner.dport, 53);

    /* The quote cut after the inner IP header (as a sender may): addresses, no ports. */
    uint8_t shortq[sizeof v_icmp4_unreach - 8];
    memcpy(shortq, v_icmp4_unreach, sizeof shortq);
    shortq[3] = (uint8_t)sizeof shortq;
    assert_int_equal(DECODE(DIS_LINKTYPE_IPV4, shortq, &p), DIS_OK);
    assert_true(p.has_inner);
    assert_addr(&p.inner.src, "10.0.0.1");
    assert_false(p.inner.has_ports);

    /* The capture cut the same place: truncated, the same fields. */
    struct dis_pkt q;
    assert_int_equal(decode_exact(DIS_LINKTYPE_IPV4, v_icmp4_unreach, sizeof shortq, &q),
                     DIS_TRUNCATED);
    assert_true(q.has_inner);
    assert_false(q.inner.has_ports);
    assert_int_equal(q.ip_len, 56);
    assert_int_equal(q.l3_caplen, 48);

    assert_int_equal(DECODE(DIS_LINKTYPE_IPV4, v_icmp4_echo, &p), DIS_OK);
    assert_int_equal(p.icmp_type, 8);
    assert_false(p.icmp_error);
    assert_false(p.has_inner);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.payload_len, 4);
}

static void test_icmp6_error(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_icmp6_unreach, &p), DIS_OK);
    assert_int_equal(p.ipver, 6);
    assert_addr(&p.src, "2001:db8::2");
    assert_addr(&p.dst, "2001:db8::1");
    assert_int_equal(p.proto, DIS_IPPROTO_ICMPV6);
    assert_int_equal(p.icmp_type, 1);
    assert_int_equal(p.icmp_code, 4);
    assert_true(p.icmp_error);
    assert_true(p.has_inner);
    assert_addr(&p.inner.src, "2001:db8::1");
    assert_addr(&p.inner.dst, "2001:db8::2");
    assert_int_equal(p.inner.proto, DIS_IPPROTO_UDP);
    assert_true(p.inner.has_ports);
    assert_int_equal(p.inner.sport, 50000);
    assert_int_equal(p.inner.dport, 443);
}

static void test_loopback(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_NULL, v_null_le, &p), DIS_OK);
    assert_ip4_udp(&p);
    assert_int_equal(DECODE(DIS_LINKTYPE_NULL, v_null_be6, &p), DIS_OK);
    assert_ip6_udp(&p);
    assert_int_equal(DECODE(DIS_LINKTYPE_NULL, v_null_le6, &p), DIS_OK);
    assert_ip6_udp(&p);
    assert_int_equal(DECODE(DIS_LINKTYPE_LOOP, v_loop, &p), DIS_OK);
    assert_ip4_udp(&p);

    /* An unknown family (AF_APPLETALK 16) is not ours. */
    uint8_t other[sizeof v_null_le];
    memcpy(other, v_null_le, sizeof other);
    other[0] = 16;
    assert_int_equal(DECODE(DIS_LINKTYPE_NULL, other, &p), DIS_NOT_MINE);
}

static void test_ppp(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_PPP, v_ppp_ff03, &p), DIS_OK);
    assert_ip4_udp(&p);
    assert_int_equal(DECODE(DIS_LINKTYPE_PPP, v_ppp_ip6, &p), DIS_OK);
    assert_ip6_udp(&p);
    assert_int_equal(DECODE(DIS_LINKTYPE_PPP, v_ppp_pfc, &p), DIS_OK);
    assert_ip4_udp(&p);

    /* LCP (0xc021) is not ours. */
    static const uint8_t lcp[] = {0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04};
    assert_int_equal(DECODE(DIS_LINKTYPE_PPP, lcp, &p), DIS_NOT_MINE);
}

static void test_not_mine(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_arp, &p), DIS_NOT_MINE);
    assert_int_equal(p.ipver, 0);
    assert_int_equal(DECODE(12345, v_arp, &p), DIS_NOT_MINE);
    assert_true(dis_linktype_supported(DIS_LINKTYPE_LINUX_SLL2));
    assert_true(dis_linktype_supported(DIS_LINKTYPE_NULL));
    assert_false(dis_linktype_supported(105));
}

static void test_malformed(void **state)
{
    (void)state;
    struct dis_pkt p;
    uint8_t v[sizeof v_eth_tcp_syn];

    /* IHL 4 */
    memcpy(v, v_eth_tcp_syn, sizeof v);
    v[14] = 0x44;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v, &p), DIS_MALFORMED);

    /* total length 19 < header length 20 */
    memcpy(v, v_eth_tcp_syn, sizeof v);
    v[17] = 19;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v, &p), DIS_MALFORMED);

    /* IPv6 version under the IPv4 ethertype */
    memcpy(v, v_eth_tcp_syn, sizeof v);
    v[14] = 0x65;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v, &p), DIS_MALFORMED);

    /* TCP data offset 4: the IP header is kept */
    memcpy(v, v_eth_tcp_syn, sizeof v);
    v[14 + 20 + 12] = 0x40;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v, &p), DIS_MALFORMED);
    assert_addr(&p.src, "192.168.1.10");
    assert_false(p.l4_ok);

    /* TCP data offset 15 (60 bytes) in an IP packet with 32 bytes after its header */
    memcpy(v, v_eth_tcp_syn, sizeof v);
    v[14 + 20 + 12] = 0xf0;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v, &p), DIS_MALFORMED);

    /* Raw link type with version 5 */
    static const uint8_t v5[] = {0x50, 0, 0, 0};
    assert_int_equal(DECODE(DIS_LINKTYPE_RAW, v5, &p), DIS_MALFORMED);
}

/* A bad option length stops option parsing but not the packet. */
static void test_tcp_bad_option(void **state)
{
    (void)state;
    struct dis_pkt p;
    uint8_t v[sizeof v_eth_tcp_syn];
    memcpy(v, v_eth_tcp_syn, sizeof v);
    /* MSS, then kind 8 with length 1, then window scale which must not be seen. */
    static const uint8_t opts[] = {0x02, 0x04, 0x05, 0xb4, 0x08, 0x01,
                                   0x01, 0x01, 0x03, 0x03, 0x07, 0x00};
    memcpy(v + 14 + 20 + 20, opts, sizeof opts);
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v, &p), DIS_OK);
    assert_true(p.l4_ok);
    assert_int_equal(p.mss, 1460);
    assert_int_equal(p.wscale, 0);
    assert_false(p.sack_ok);

    /* An option running past the header; a window scale above 14 counts as 14. */
    static const uint8_t opts2[] = {0x03, 0x03, 0x1e, 0x01, 0x01, 0x01,
                                    0x01, 0x01, 0x01, 0x01, 0x02, 0x04};
    memcpy(v + 14 + 20 + 20, opts2, sizeof opts2);
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v, &p), DIS_OK);
    assert_int_equal(p.wscale, 15);
    assert_int_equal(p.mss, 0);
}

/* Ethernet padding after the IP packet is not payload. */
static void test_eth_padding(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(DECODE(DIS_LINKTYPE_ETHERNET, v_eth_padded, &p), DIS_OK);
    assert_ip4_udp(&p);
}

/* A frame cut inside TCP keeps the IP fields and whatever of TCP was there. */
static void test_truncated_keeps(void **state)
{
    (void)state;
    struct dis_pkt p;
    assert_int_equal(decode_exact(DIS_LINKTYPE_ETHERNET, v_eth_tcp_syn, 14 + 20 + 10, &p),
                     DIS_TRUNCATED);
    assert_int_equal(p.ipver, 4);
    assert_addr(&p.src, "192.168.1.10");
    assert_addr(&p.dst, "93.184.216.34");
    assert_int_equal(p.ip_len, 52);
    assert_int_equal(p.l3_caplen, 30);
    assert_int_equal(p.sport, 51000);
    assert_int_equal(p.dport, 443);
    assert_false(p.l4_ok);

    /* Cut inside the options: fixed header decoded, options seen so far kept. */
    assert_int_equal(decode_exact(DIS_LINKTYPE_ETHERNET, v_eth_tcp_syn, 14 + 20 + 20 + 6, &p),
                     DIS_TRUNCATED);
    assert_true(p.l4_ok);
    assert_int_equal(p.tcp_flags, DIS_TH_SYN);
    assert_int_equal(p.mss, 1460);
    assert_int_equal(p.wscale, 0);

    /* Cut inside the UDP payload: that is not a header, so OK with a short caplen. */
    assert_int_equal(decode_exact(DIS_LINKTYPE_ETHERNET, v_vlan, sizeof v_vlan - 2, &p), DIS_OK);
    assert_int_equal(p.payload_len, 4);
    assert_int_equal(p.payload_caplen, 2);
    assert_int_equal(p.ip_len, 32);
    assert_int_equal(p.l3_caplen, 30);

    /* IPv6 cut inside the Fragment header: addresses kept. */
    assert_int_equal(decode_exact(DIS_LINKTYPE_RAW, v_ip6_frag_first, 40 + 16 + 4, &p),
                     DIS_TRUNCATED);
    assert_addr(&p.src, "2001:db8::a");
    assert_false(p.l4_ok);
}

static void test_addr(void **state)
{
    (void)state;
    struct dis_addr a = {.family = 4, .b = {10, 0, 0, 1}};
    struct dis_addr b = {.family = 4, .b = {10, 0, 0, 2}};
    struct dis_addr c = {.family = 6, .b = {0x20, 0x01, 0x0d, 0xb8}};
    struct dis_addr none = {0};
    char buf[64];
    assert_true(dis_addr_cmp(&a, &b) < 0);
    assert_true(dis_addr_cmp(&b, &a) > 0);
    assert_int_equal(dis_addr_cmp(&a, &a), 0);
    assert_true(dis_addr_cmp(&a, &c) < 0);
    assert_string_equal(dis_addr_str(&c, buf, sizeof buf), "2001:db8::");
    assert_string_equal(dis_addr_str(&none, buf, sizeof buf), "");
    char small[4];
    assert_string_equal(dis_addr_str(&a, small, sizeof small), "");
    assert_string_equal(dis_status_name(DIS_TRUNCATED), "truncated");
    assert_string_equal(dis_status_name(DIS_NOT_MINE), "not_mine");
}

/* Every valid vector, cut at every length: never an over-read, never "malformed". */
struct vec {
    const char *name;
    int linktype;
    const uint8_t *b;
    size_t len;
};

#define VEC(lt, v)                                                                                 \
    {                                                                                              \
#v, (lt), (v), sizeof(v)                                                                   \
    }

static const struct vec valid[] = {
    VEC(DIS_LINKTYPE_ETHERNET, v_eth_tcp_syn),
    VEC(DIS_LINKTYPE_ETHERNET, v_eth_ip4opt_tcp),
    VEC(DIS_LINKTYPE_ETHERNET, v_vlan),
    VEC(DIS_LINKTYPE_ETHERNET, v_qinq),
    VEC(DIS_LINKTYPE_ETHERNET, v_vlan3),
    VEC(DIS_LINKTYPE_ETHERNET, v_vlan5),
    VEC(DIS_LINKTYPE_ETHERNET, v_llc_snap),
    VEC(DIS_LINKTYPE_LINUX_SLL, v_sll),
    VEC(DIS_LINKTYPE_LINUX_SLL2, v_sll2),
    VEC(DIS_LINKTYPE_RAW, v_ip6_frag_first),
    VEC(DIS_LINKTYPE_IPV6, v_ip6_frag_later),
    VEC(DIS_LINKTYPE_RAW, v_ip4_frag_first),
    VEC(DIS_LINKTYPE_IPV4, v_ip4_frag_later),
    VEC(DIS_LINKTYPE_IPV4, v_icmp4_unreach),
    VEC(DIS_LINKTYPE_ETHERNET, v_icmp6_unreach),
    VEC(DIS_LINKTYPE_IPV4, v_icmp4_echo),
    VEC(DIS_LINKTYPE_NULL, v_null_le),
    VEC(DIS_LINKTYPE_NULL, v_null_be6),
    VEC(DIS_LINKTYPE_NULL, v_null_le6),
    VEC(DIS_LINKTYPE_LOOP, v_loop),
    VEC(DIS_LINKTYPE_PPP, v_ppp_ff03),
    VEC(DIS_LINKTYPE_PPP, v_ppp_ip6),
    VEC(DIS_LINKTYPE_PPP, v_ppp_pfc),
    VEC(DIS_LINKTYPE_ETHERNET, v_arp),
    VEC(DIS_LINKTYPE_ETHERNET, v_eth_padded),
};

static void test_every_cut(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        const struct vec *v = &valid[i];
        struct dis_pkt p;
        enum dis_status whole = decode_exact(v->linktype, v->b, v->len, &p);
        if (whole != DIS_OK && whole != DIS_NOT_MINE)
            fail_msg("%s: whole frame gave %s", v->name, dis_status_name(whole));
        for (size_t cut = 0; cut < v->len; cut++) {
            enum dis_status st = decode_exact(v->linktype, v->b, cut, &p);
            if (st != DIS_OK && st != DIS_TRUNCATED && st != DIS_NOT_MINE)
                fail_msg("%s cut at %zu: %s", v->name, cut, dis_status_name(st));
            /* The link layer decides NOT_MINE from bytes that are either there or not. */
            if (whole == DIS_NOT_MINE && st == DIS_OK)
                fail_msg("%s cut at %zu: ok for a frame that is not IP", v->name, cut);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eth_tcp_syn),   cmocka_unit_test(test_ip4_options_tcp_payload),
        cmocka_unit_test(test_vlan),          cmocka_unit_test(test_llc_snap),
        cmocka_unit_test(test_sll),           cmocka_unit_test(test_ip6_ext_fragments),
        cmocka_unit_test(test_ip4_fragments), cmocka_unit_test(test_icmp4_error),
        cmocka_unit_test(test_icmp6_error),   cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_ppp),           cmocka_unit_test(test_not_mine),
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_tcp_bad_option),
        cmocka_unit_test(test_eth_padding),   cmocka_unit_test(test_truncated_keeps),
        cmocka_unit_test(test_addr),          cmocka_unit_test(test_every_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
