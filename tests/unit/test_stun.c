/* SPDX-License-Identifier: MIT */
/*
 * test_stun.c - STUN/TURN parser: the RFC 5769 vectors (and RFC 8489 B.1), a TURN allocation
 * (Allocate, 401, success, CreatePermission, ChannelBind, Send/Data indications), ChannelData
 * over UDP and TCP, GOOG-PING, RFC 6062, RFC 5780, the MS-TURN dialect and 0xFF10 frames,
 * classic RFC 3489 and look-alikes, stream framing, demultiplexing, every vector cut at every
 * offset, and malformed messages. Every parse reads an exactly sized heap copy, for ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissect/stun.h"

/* A heap copy of exactly @p n bytes, so that ASan catches a read one past the end. */
static uint8_t *dup_exact(const uint8_t *src, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, src, n);
    return p;
}

/* Parses @p len bytes as one datagram; returns the status, fills @p m. */
static enum dis_status parse_dgram(const uint8_t *src, size_t len, struct dis_stun_msg *m)
{
    uint8_t *b = dup_exact(src, len);
    size_t used = 0;
    enum dis_status s = dis_stun_parse(b, len, len, DIS_STUN_DGRAM, m, &used);
    if (s == DIS_OK || s == DIS_MALFORMED)
        assert_int_equal(used, len);
    /* m->data borrows from b: tests that look at it use parse_keep() instead. */
    m->data = NULL;
    free(b);
    return s;
}

static void assert_addr(const struct dis_stun_addr *a, const char *ip, uint16_t port)
{
    char buf[64];
    assert_string_equal(dis_addr_str(&a->addr, buf, sizeof buf), ip);
    assert_int_equal(a->port, port);
}

/* ---- RFC 5769 test vectors (retyped from the RFC) ---------------------------------------- */

/* RFC 5769 §2.1 Sample Request: password "VOkJxbRl1RmTxUk/WvJxBt". */
static const uint8_t rfc5769_req[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 §2.2 Sample IPv4 Response: XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
static const uint8_t rfc5769_v4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 §2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
static const uint8_t rfc5769_v6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* RFC 5769 §2.4 Sample Request with Long-Term Authentication: username "<U+30DE><U+30C8>
 * <U+30EA><U+30C3><U+30AF><U+30B9>", password "TheMatrIX" (after SASLprep), realm
 * "example.org", nonce "f//499k954d6OL34oL9FSTvy64sA". */
static const uint8_t rfc5769_lt[] = {
    0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72,
    0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88,
    0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00,
    0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
    0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73,
    0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72,
    0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02,
    0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

/* RFC 8489 Appendix B.1: USERHASH, NONCE, REALM, PASSWORD-ALGORITHM, MESSAGE-INTEGRITY-SHA256. */
static const uint8_t rfc8489_sha256[] = {
    0x00, 0x01, 0x00, 0x90, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72,
    0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x1e, 0x00, 0x20, 0x4a, 0x3c, 0xf3, 0x8f, 0xef, 0x69,
    0x92, 0xbd, 0xa9, 0x52, 0xc6, 0x78, 0x04, 0x17, 0xda, 0x0f, 0x24, 0x81, 0x94, 0x15, 0x56,
    0x9e, 0x60, 0xb2, 0x05, 0xc4, 0x6e, 0x41, 0x40, 0x7f, 0x17, 0x04, 0x00, 0x15, 0x00, 0x29,
    0x6f, 0x62, 0x4d, 0x61, 0x74, 0x4a, 0x6f, 0x73, 0x32, 0x41, 0x41, 0x41, 0x43, 0x66, 0x2f,
    0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f,
    0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x00, 0x00, 0x00,
    0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00,
    0x00, 0x1d, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x20, 0xb5, 0xc7, 0xbf,
    0x00, 0x5b, 0x6c, 0x52, 0xa2, 0x1c, 0x51, 0xc5, 0xe8, 0x92, 0xf8, 0x19, 0x24, 0x13, 0x62,
    0x96, 0xcb, 0x92, 0x7c, 0x43, 0x14, 0x93, 0x09, 0x27, 0x8c, 0xc6, 0x51, 0x8e, 0x65,
};

/* ---- Vectors built for these tests (padding, MESSAGE-INTEGRITY and FINGERPRINT computed
 * independently of the parser) --------------------------------------------------------------- */

/* TURN Allocate request: REQUESTED-TRANSPORT UDP, SOFTWARE, FINGERPRINT */
static const uint8_t alloc_req[] = {
    0x00, 0x03, 0x00, 0x24, 0x21, 0x12, 0xa4, 0x42, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
    0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0x00, 0x19, 0x00, 0x04, 0x11, 0x00, 0x00, 0x00,
    0x80, 0x22, 0x00, 0x0f, 0x73, 0x65, 0x6e, 0x73, 0x6f, 0x73, 0x63, 0x6f, 0x70, 0x65,
    0x20, 0x74, 0x65, 0x73, 0x74, 0x00, 0x80, 0x28, 0x00, 0x04, 0xcd, 0xc8, 0x98, 0x7e,
};

/* Allocate error response 401 with NONCE, REALM, SOFTWARE, FINGERPRINT */
static const uint8_t alloc_401[] = {
    0x01, 0x13, 0x00, 0x64, 0x21, 0x12, 0xa4, 0x42, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0x00, 0x09, 0x00, 0x10, 0x00, 0x00, 0x04, 0x01, 0x55, 0x6e,
    0x61, 0x75, 0x74, 0x68, 0x6f, 0x72, 0x69, 0x7a, 0x65, 0x64, 0x00, 0x15, 0x00, 0x20, 0x6f,
    0x62, 0x4d, 0x61, 0x74, 0x4a, 0x6f, 0x73, 0x32, 0x67, 0x41, 0x41, 0x41, 0x61, 0x64, 0x6c,
    0x37, 0x57, 0x37, 0x50, 0x65, 0x44, 0x55, 0x34, 0x68, 0x4b, 0x45, 0x37, 0x32, 0x6a, 0x64,
    0x61, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72,
    0x67, 0x00, 0x80, 0x22, 0x00, 0x0f, 0x73, 0x65, 0x6e, 0x73, 0x6f, 0x73, 0x63, 0x6f, 0x70,
    0x65, 0x20, 0x74, 0x65, 0x73, 0x74, 0x00, 0x80, 0x28, 0x00, 0x04, 0xcf, 0x52, 0x0c, 0x5e,
};

/* Allocate success: XOR-RELAYED (IPv4 and IPv6), XOR-MAPPED, LIFETIME 600, SOFTWARE, MI
 * (user:example.org:pass), FINGERPRINT */
static const uint8_t alloc_ok[] = {
    0x01, 0x03, 0x00, 0x6c, 0x21, 0x12, 0xa4, 0x42, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8,
    0xb9, 0xba, 0xbb, 0xbc, 0x00, 0x16, 0x00, 0x08, 0x00, 0x01, 0xe1, 0x12, 0xea, 0x12, 0xd5, 0x45,
    0x00, 0x16, 0x00, 0x14, 0x00, 0x02, 0xe1, 0x13, 0x01, 0x13, 0xa9, 0xfa, 0xb1, 0xb2, 0xb3, 0xb4,
    0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbb, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xe4, 0x42,
    0xe7, 0x21, 0xc0, 0x56, 0x00, 0x0d, 0x00, 0x04, 0x00, 0x00, 0x02, 0x58, 0x80, 0x22, 0x00, 0x0f,
    0x73, 0x65, 0x6e, 0x73, 0x6f, 0x73, 0x63, 0x6f, 0x70, 0x65, 0x20, 0x74, 0x65, 0x73, 0x74, 0x00,
    0x00, 0x08, 0x00, 0x14, 0xcf, 0x07, 0x54, 0x4f, 0x7a, 0x2f, 0xec, 0xca, 0xe6, 0x00, 0x51, 0x2f,
    0x6d, 0x5d, 0x1a, 0x9e, 0x28, 0xef, 0x2a, 0xdd, 0x80, 0x28, 0x00, 0x04, 0x30, 0x5b, 0x2b, 0xaf,
};

/* CreatePermission request: two XOR-PEER-ADDRESS (IPv4, IPv6), USERNAME, REALM, NONCE, MI,
 * FINGERPRINT */
static const uint8_t createperm[] = {
    0x00, 0x08, 0x00, 0x80, 0x21, 0x12, 0xa4, 0x42, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
    0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0x00, 0x12, 0x00, 0x08, 0x00, 0x01, 0x21, 0x12, 0xe1, 0x12,
    0xa6, 0x70, 0x00, 0x12, 0x00, 0x14, 0x00, 0x02, 0x21, 0x12, 0x01, 0x13, 0xa9, 0xfa, 0xc1,
    0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0x9c, 0x00, 0x06, 0x00, 0x04,
    0x75, 0x73, 0x65, 0x72, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x15, 0x00, 0x20, 0x6f, 0x62, 0x4d, 0x61, 0x74, 0x4a,
    0x6f, 0x73, 0x32, 0x67, 0x41, 0x41, 0x41, 0x61, 0x64, 0x6c, 0x37, 0x57, 0x37, 0x50, 0x65,
    0x44, 0x55, 0x34, 0x68, 0x4b, 0x45, 0x37, 0x32, 0x6a, 0x64, 0x61, 0x00, 0x08, 0x00, 0x14,
    0x45, 0xf5, 0x07, 0x08, 0xa2, 0x70, 0xe0, 0x4d, 0xb3, 0x2b, 0x6f, 0x74, 0xf0, 0xb8, 0x6f,
    0x43, 0xa6, 0xa8, 0xb8, 0x2e, 0x80, 0x28, 0x00, 0x04, 0x75, 0x36, 0x22, 0x56,
};

/* ChannelBind request: CHANNEL-NUMBER 0x4001, XOR-PEER-ADDRESS 192.0.2.50:5000, credentials, MI,
 * FINGERPRINT */
static const uint8_t chanbind[] = {
    0x00, 0x09, 0x00, 0x70, 0x21, 0x12, 0xa4, 0x42, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
    0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0x00, 0x0c, 0x00, 0x04, 0x40, 0x01, 0x00, 0x00, 0x00, 0x12,
    0x00, 0x08, 0x00, 0x01, 0x32, 0x9a, 0xe1, 0x12, 0xa6, 0x70, 0x00, 0x06, 0x00, 0x04, 0x75,
    0x73, 0x65, 0x72, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e,
    0x6f, 0x72, 0x67, 0x00, 0x00, 0x15, 0x00, 0x20, 0x6f, 0x62, 0x4d, 0x61, 0x74, 0x4a, 0x6f,
    0x73, 0x32, 0x67, 0x41, 0x41, 0x41, 0x61, 0x64, 0x6c, 0x37, 0x57, 0x37, 0x50, 0x65, 0x44,
    0x55, 0x34, 0x68, 0x4b, 0x45, 0x37, 0x32, 0x6a, 0x64, 0x61, 0x00, 0x08, 0x00, 0x14, 0x58,
    0x70, 0x8c, 0x04, 0x4c, 0x5e, 0xdd, 0x0e, 0x7d, 0xf7, 0xe1, 0xa9, 0xa9, 0xa2, 0x78, 0x92,
    0x4e, 0x8b, 0x37, 0xc7, 0x80, 0x28, 0x00, 0x04, 0xb5, 0xda, 0xff, 0xf1,
};

/* Send indication: XOR-PEER-ADDRESS 192.0.2.50:5000, DATA "hello, peer" (11 bytes, padded) */
static const uint8_t send_ind[] = {
    0x00, 0x16, 0x00, 0x1c, 0x21, 0x12, 0xa4, 0x42, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
    0xe9, 0xea, 0xeb, 0xec, 0x00, 0x12, 0x00, 0x08, 0x00, 0x01, 0x32, 0x9a, 0xe1, 0x12, 0xa6, 0x70,
    0x00, 0x13, 0x00, 0x0b, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x70, 0x65, 0x65, 0x72, 0x00,
};

/* Data indication whose DATA is an ICE Binding request (USERNAME, PRIORITY, USE-CANDIDATE,
 * ICE-CONTROLLING) */
static const uint8_t data_ind[] = {
    0x00, 0x17, 0x00, 0x50, 0x21, 0x12, 0xa4, 0x42, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
    0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0x00, 0x12, 0x00, 0x08, 0x00, 0x01, 0x32, 0x9a, 0xe1, 0x12,
    0xa6, 0x70, 0x00, 0x13, 0x00, 0x40, 0x00, 0x01, 0x00, 0x2c, 0x21, 0x12, 0xa4, 0x42, 0x01,
    0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x06, 0x00, 0x05,
    0x61, 0x62, 0x3a, 0x63, 0x64, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x7f, 0x1e,
    0xff, 0x00, 0x25, 0x00, 0x00, 0x80, 0x2a, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x80, 0x28, 0x00, 0x04, 0xf2, 0xee, 0x09, 0xe7,
};

/* GOOG-PING request (method 0x080) with GOOG-MESSAGE-INTEGRITY-32 */
static const uint8_t goog_ping_req[] = {
    0x02, 0x00, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0xc0, 0x60, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
};

/* GOOG-PING success response */
static const uint8_t goog_ping_resp[] = {
    0x03, 0x00, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0xc0, 0x60, 0x00, 0x04, 0xca, 0xfe, 0xba, 0xbe,
};

/* Binding request with an unknown comprehension-required (0x7F01) and optional (0xC001) attribute
 */
static const uint8_t unknown_req[] = {
    0x00, 0x01, 0x00, 0x18, 0x21, 0x12, 0xa4, 0x42, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x7f, 0x01, 0x00, 0x03, 0x61, 0x62, 0x63, 0x00, 0xc0, 0x01,
    0x00, 0x01, 0x78, 0x00, 0x00, 0x00, 0x80, 0x28, 0x00, 0x04, 0xed, 0x04, 0x91, 0x61,
};

/* Binding error 420 with UNKNOWN-ATTRIBUTES 0x7F01 0x7F02 0x7F03 */
static const uint8_t err420[] = {
    0x01, 0x11, 0x00, 0x30, 0x21, 0x12, 0xa4, 0x42, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x00, 0x09, 0x00, 0x15, 0x00, 0x00, 0x04, 0x14,
    0x55, 0x6e, 0x6b, 0x6e, 0x6f, 0x77, 0x6e, 0x20, 0x41, 0x74, 0x74, 0x72, 0x69, 0x62,
    0x75, 0x74, 0x65, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x06, 0x7f, 0x01, 0x7f, 0x02,
    0x7f, 0x03, 0x00, 0x00, 0x80, 0x28, 0x00, 0x04, 0xa2, 0x8b, 0x75, 0x3b,
};

/* Binding success with XOR-MAPPED, MAPPED, RESPONSE-ORIGIN, OTHER-ADDRESS (RFC 5780) */
static const uint8_t rfc5780_resp[] = {
    0x01, 0x01, 0x00, 0x38, 0x21, 0x12, 0xa4, 0x42, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    0x19, 0x1a, 0x1b, 0x1c, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xbd, 0x52, 0xe7, 0x21, 0xc0, 0x56,
    0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x9c, 0x40, 0xc6, 0x33, 0x64, 0x14, 0x80, 0x2b, 0x00, 0x08,
    0x00, 0x01, 0x0d, 0x96, 0xc0, 0x00, 0x02, 0x01, 0x80, 0x2c, 0x00, 0x08, 0x00, 0x01, 0x0d, 0x97,
    0xc0, 0x00, 0x02, 0x02, 0x80, 0x28, 0x00, 0x04, 0xa8, 0x39, 0xd4, 0x80,
};

/* RFC 6062 ConnectionBind request with CONNECTION-ID 0x12345678 */
static const uint8_t conn_bind[] = {
    0x00, 0x0b, 0x00, 0x5c, 0x21, 0x12, 0xa4, 0x42, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    0x19, 0x1a, 0x1b, 0x1c, 0x00, 0x2a, 0x00, 0x04, 0x12, 0x34, 0x56, 0x78, 0x00, 0x06, 0x00, 0x04,
    0x75, 0x73, 0x65, 0x72, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e,
    0x6f, 0x72, 0x67, 0x00, 0x00, 0x15, 0x00, 0x20, 0x6f, 0x62, 0x4d, 0x61, 0x74, 0x4a, 0x6f, 0x73,
    0x32, 0x67, 0x41, 0x41, 0x41, 0x61, 0x64, 0x6c, 0x37, 0x57, 0x37, 0x50, 0x65, 0x44, 0x55, 0x34,
    0x68, 0x4b, 0x45, 0x37, 0x32, 0x6a, 0x64, 0x61, 0x00, 0x08, 0x00, 0x14, 0x9b, 0x96, 0xf4, 0x0c,
    0x22, 0xd8, 0x37, 0x9c, 0x78, 0x60, 0x39, 0x9f, 0xa3, 0xa9, 0x7c, 0x2b, 0x24, 0x91, 0x3b, 0x0f,
};

/* MS-TURN Allocate success: MAGIC-COOKIE, LIFETIME 60, MAPPED-ADDRESS (the relay), MS-VERSION 6,
 * XOR-MAPPED 0x8020, SOFTWARE unpadded, BANDWIDTH, 32-byte MI */
static const uint8_t ms_alloc_ok[] = {
    0x01, 0x03, 0x00, 0x69, 0x21, 0x12, 0xa4, 0x42, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31,
    0x32, 0x33, 0x34, 0x35, 0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6, 0x00, 0x0d, 0x00, 0x04,
    0x00, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x0d, 0x98, 0xcb, 0x00, 0x71, 0x09,
    0x80, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x06, 0x80, 0x20, 0x00, 0x08, 0x00, 0x01, 0xc1, 0xd5,
    0xe7, 0x21, 0xc0, 0x56, 0x80, 0x22, 0x00, 0x09, 0x32, 0x2e, 0x30, 0x2e, 0x31, 0x2e, 0x32, 0x31,
    0x31, 0x00, 0x10, 0x00, 0x04, 0x00, 0x00, 0x2e, 0xe0, 0x00, 0x08, 0x00, 0x20, 0x00, 0x01, 0x02,
    0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
    0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/* MS-TURN Allocate 401: MAGIC-COOKIE, MS-VERSION, ERROR-CODE (reason unpadded), NONCE as 0x0014,
 * REALM as 0x0015, MS-MULTIPLEXED-TURN-SESSION-ID */
static const uint8_t ms_alloc_401[] = {
    0x01, 0x13, 0x00, 0x83, 0x21, 0x12, 0xa4, 0x42, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31,
    0x32, 0x33, 0x34, 0x35, 0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6, 0x4b, 0xc6, 0x80, 0x08, 0x00, 0x04,
    0x00, 0x00, 0x00, 0x06, 0x00, 0x09, 0x00, 0x3d, 0x00, 0x00, 0x04, 0x01, 0x54, 0x68, 0x65, 0x20,
    0x72, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74, 0x20, 0x64, 0x69, 0x64, 0x20, 0x6e, 0x6f, 0x74, 0x20,
    0x63, 0x6f, 0x6e, 0x74, 0x61, 0x69, 0x6e, 0x20, 0x61, 0x20, 0x4d, 0x65, 0x73, 0x73, 0x61, 0x67,
    0x65, 0x2d, 0x49, 0x6e, 0x74, 0x65, 0x67, 0x72, 0x69, 0x74, 0x79, 0x20, 0x61, 0x74, 0x74, 0x72,
    0x69, 0x62, 0x75, 0x74, 0x65, 0x00, 0x14, 0x00, 0x14, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x00, 0x15, 0x00,
    0x0a, 0x22, 0x72, 0x74, 0x63, 0x6d, 0x65, 0x64, 0x69, 0x61, 0x22, 0x80, 0x95, 0x00, 0x08, 0x7f,
    0x20, 0xc4, 0xdd, 0x4f, 0x84, 0x8d, 0xfa,
};

/* MS-TURN Data indication (type 0x0115): REMOTE-ADDRESS (not XORed) 93.71.110.205:16332, DATA (7
 * bytes, unpadded) */
static const uint8_t ms_data_ind[] = {
    0x01, 0x15, 0x00, 0x1f, 0x21, 0x12, 0xa4, 0x42, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
    0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x00, 0x0f, 0x00, 0x04, 0x72, 0xc6,
    0x4b, 0xc6, 0x00, 0x12, 0x00, 0x08, 0x00, 0x01, 0x3f, 0xcc, 0x5d, 0x47, 0x6e,
    0xcd, 0x00, 0x13, 0x00, 0x07, 0x80, 0x00, 0x00, 0x01, 0x72, 0x74, 0x70,
};

/* MS-TURN multiplexed frame 0xFF10, session deaa296708f708fc, carrying a Binding success with
 * XOR-MAPPED 198.51.100.20:11520 */
static const uint8_t mturn_frame[] = {
    0xff, 0x10, 0x00, 0x30, 0xde, 0xaa, 0x29, 0x67, 0x08, 0xf7, 0x08, 0xfc, 0x01,
    0x01, 0x00, 0x14, 0x21, 0x12, 0xa4, 0x42, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0x0c,
    0x12, 0xe7, 0x21, 0xc0, 0x56, 0x80, 0x28, 0x00, 0x04, 0x58, 0xc4, 0xb6, 0xcc,
};

/* Binding request whose PRIORITY claims 16 bytes in an 8-byte body */
static const uint8_t bad_overrun[] = {
    0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x00, 0x24, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01,
};

/* Binding success with XOR-MAPPED-ADDRESS family 3 */
static const uint8_t bad_family[] = {
    0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    0x19, 0x1a, 0x1b, 0x1c, 0x00, 0x20, 0x00, 0x08, 0x00, 0x03, 0x04, 0xd2, 0x01, 0x02, 0x03, 0x04,
};

/* Binding error with ERROR-CODE class 7 (701), then SOFTWARE */
static const uint8_t bad_error_class[] = {
    0x01, 0x11, 0x00, 0x14, 0x21, 0x12, 0xa4, 0x42, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x00, 0x09, 0x00, 0x07, 0x00, 0x00, 0x07, 0x01,
    0x62, 0x61, 0x64, 0x00, 0x80, 0x22, 0x00, 0x01, 0x78, 0x00, 0x00, 0x00,
};

/* Binding request with a 3-byte PRIORITY */
static const uint8_t bad_priority_len[] = {
    0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x00, 0x24, 0x00, 0x03, 0x61, 0x62, 0x63, 0x00,
};

/* RFC 3489 Binding request with CHANGE-REQUEST (no flags) */
static const uint8_t classic_req[] = {
    0x00, 0x01, 0x00, 0x08, 0x94, 0x29, 0xef, 0x88, 0x29, 0x4d, 0xd5, 0x26, 0x32, 0xc7,
    0x29, 0x31, 0xcb, 0x8d, 0xbb, 0x4c, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
};

/* RFC 3489 Binding response with MAPPED-ADDRESS 172.16.63.224:55050 */
static const uint8_t classic_resp[] = {
    0x01, 0x01, 0x00, 0x0c, 0x94, 0x29, 0xef, 0x88, 0x29, 0x4d, 0xd5, 0x26, 0x32, 0xc7, 0x29, 0x31,
    0xcb, 0x8d, 0xbb, 0x4c, 0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0xd7, 0x0a, 0xac, 0x10, 0x3f, 0xe0,
};

/* Look-alikes that tshark's classic heuristic takes for STUN (type and length match only). */
static const uint8_t zoom_like[] = {
    0x00, 0x01, 0x00, 0x18, 0xc1, 0x5d, 0xae, 0x63, 0x58, 0x5d, 0x14, 0x39, 0x2e, 0x58, 0x2c,
    0x26, 0x04, 0x03, 0xbf, 0x30, 0x01, 0x01, 0x00, 0x14, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36,
    0x37, 0x38, 0x39, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x00,
};
static const uint8_t zoom_like2[] = {
    0x00, 0x02, 0x00, 0x0c, 0xc1, 0x5d, 0xae, 0x63, 0x58, 0x5d, 0x14, 0x39, 0x2e, 0x58, 0x2c, 0x26,
    0x04, 0x03, 0xbf, 0x30, 0x01, 0x03, 0x00, 0x08, 0x00, 0x01, 0xff, 0x75, 0x50, 0xb4, 0xdc, 0xef,
};

/* ChannelData: channel 0x4000, 5 bytes "hello", without and with padding. */
static const uint8_t cd_bare[] = {0x40, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
static const uint8_t cd_padded[] = {0x40, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};
/* Channel 0x5001: only RFC 5766 allowed it. */
static const uint8_t cd_5766[] = {0x50, 0x01, 0x00, 0x04, 1, 2, 3, 4};

static const char user_lt[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
                              "\xe3\x82\xb9";

/* ---- helpers ------------------------------------------------------------------------------ */

struct vec {
    const char *name;
    const uint8_t *b;
    size_t n;
    bool classic;
};

#define VEC(x, c)                                                                                  \
    {                                                                                              \
#x, x, sizeof x, c                                                                         \
    }

static const struct vec all_vecs[] = {
    VEC(rfc5769_req, false),   VEC(rfc5769_v4, false),     VEC(rfc5769_v6, false),
    VEC(rfc5769_lt, false),    VEC(rfc8489_sha256, false), VEC(alloc_req, false),
    VEC(alloc_401, false),     VEC(alloc_ok, false),       VEC(createperm, false),
    VEC(chanbind, false),      VEC(send_ind, false),       VEC(data_ind, false),
    VEC(goog_ping_req, false), VEC(goog_ping_resp, false), VEC(unknown_req, false),
    VEC(err420, false),        VEC(rfc5780_resp, false),   VEC(conn_bind, false),
    VEC(ms_alloc_ok, false),   VEC(ms_alloc_401, false),   VEC(ms_data_ind, false),
    VEC(mturn_frame, false),   VEC(classic_req, true),     VEC(classic_resp, true),
};

/* ---- RFC 5769 ----------------------------------------------------------------------------- */

static void test_rfc5769_request(void **state)
{
    (void)state;
    static const uint8_t txid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
    struct dis_stun_msg m;
    assert_int_equal(
        dis_stun_probe(rfc5769_req, sizeof rfc5769_req, sizeof rfc5769_req, DIS_STUN_DGRAM),
        DIS_OK);
    assert_int_equal(parse_dgram(rfc5769_req, sizeof rfc5769_req, &m), DIS_OK);
    assert_int_equal(m.type, 0x0001);
    assert_int_equal(m.method, DIS_STUN_BINDING);
    assert_int_equal(m.cls, DIS_STUN_REQUEST);
    assert_int_equal(m.length, 0x58);
    assert_int_equal(m.txid_len, 12);
    assert_memory_equal(m.txid, txid, 12);
    assert_false(m.classic);
    assert_false(m.ms_turn);
    assert_int_equal(m.anomalies, 0);
    assert_int_equal(m.attr_count, 6);
    assert_true(m.has_software);
    assert_string_equal(m.software, "STUN test client");
    assert_int_equal(m.software_len, 16);
    assert_true(m.has_priority);
    assert_int_equal(m.priority, 0x6e0001ff);
    assert_true(m.ice_controlled);
    assert_false(m.ice_controlling);
    assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
    assert_true(m.has_username);
    assert_string_equal(m.username, "evtj:h6vY");
    assert_int_equal(m.username_len, 9);
    assert_true(m.has_mi);
    assert_int_equal(m.mi_offset, 76);
    assert_false(m.has_mi_sha256);
    assert_true(m.has_fingerprint);
    assert_true(m.fingerprint_ok);
    assert_false(m.use_candidate);
    assert_int_equal(m.n_xor_mapped, 0);

    static const char pw[] = "VOkJxbRl1RmTxUk/WvJxBt";
    uint8_t *b = dup_exact(rfc5769_req, sizeof rfc5769_req);
    const uint8_t *key = (const uint8_t *)pw;
    assert_int_equal(dis_stun_check_integrity(b, sizeof rfc5769_req, key, strlen(pw), 0), 1);
    assert_int_equal(dis_stun_check_integrity(b, sizeof rfc5769_req, key, strlen(pw) - 1, 0), 0);
    assert_int_equal(dis_stun_check_integrity(b, sizeof rfc5769_req, key, strlen(pw), 1), -1);
    free(b);
}

static void test_rfc5769_ipv4(void **state)
{
    (void)state;
    static const char pw[] = "VOkJxbRl1RmTxUk/WvJxBt";
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(rfc5769_v4, sizeof rfc5769_v4, &m), DIS_OK);
    assert_int_equal(m.method, DIS_STUN_BINDING);
    assert_int_equal(m.cls, DIS_STUN_SUCCESS);
    assert_string_equal(m.software, "test vector");
    assert_int_equal(m.n_xor_mapped, 1);
    assert_addr(&m.xor_mapped[0], "192.0.2.1", 32853);
    assert_int_equal(m.xor_mapped[0].attr, DIS_STUN_A_XOR_MAPPED_ADDRESS);
    assert_true(m.has_mi);
    assert_true(m.fingerprint_ok);
    assert_int_equal(m.anomalies, 0);
    uint8_t *b = dup_exact(rfc5769_v4, sizeof rfc5769_v4);
    assert_int_equal(
        dis_stun_check_integrity(b, sizeof rfc5769_v4, (const uint8_t *)pw, strlen(pw), 0), 1);
    free(b);
}

static void test_rfc5769_ipv6(void **state)
{
    (void)state;
    static const char pw[] = "VOkJxbRl1RmTxUk/WvJxBt";
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(rfc5769_v6, sizeof rfc5769_v6, &m), DIS_OK);
    assert_int_equal(m.cls, DIS_STUN_SUCCESS);
    assert_string_equal(m.software, "test vector");
    assert_int_equal(m.n_xor_mapped, 1);
    assert_int_equal(m.xor_mapped[0].addr.family, 6);
    assert_addr(&m.xor_mapped[0], "2001:db8:1234:5678:11:2233:4455:6677", 32853);
    assert_true(m.has_mi);
    assert_true(m.has_fingerprint);
    assert_true(m.fingerprint_ok);
    uint8_t *b = dup_exact(rfc5769_v6, sizeof rfc5769_v6);
    assert_int_equal(
        dis_stun_check_integrity(b, sizeof rfc5769_v6, (const uint8_t *)pw, strlen(pw), 0), 1);
    free(b);
}

static void test_rfc5769_long_term(void **state)
{
    (void)state;
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(rfc5769_lt, sizeof rfc5769_lt, &m), DIS_OK);
    assert_int_equal(m.method, DIS_STUN_BINDING);
    assert_int_equal(m.cls, DIS_STUN_REQUEST);
    assert_int_equal(m.username_len, 18);
    assert_string_equal(m.username, user_lt);
    assert_string_equal(m.nonce, "f//499k954d6OL34oL9FSTvy64sA");
    assert_string_equal(m.realm, "example.org");
    assert_true(m.has_mi);
    assert_false(m.has_fingerprint);
    assert_false(m.fingerprint_ok);

    uint8_t key[16];
    assert_int_equal(dis_stun_long_term_key(user_lt, "example.org", "TheMatrIX", key), 0);
    uint8_t *b = dup_exact(rfc5769_lt, sizeof rfc5769_lt);
    assert_int_equal(dis_stun_check_integrity(b, sizeof rfc5769_lt, key, sizeof key, 0), 1);
    assert_int_equal(dis_stun_long_term_key(user_lt, "example.org", "TheMatrix", key), 0);
    assert_int_equal(dis_stun_check_integrity(b, sizeof rfc5769_lt, key, sizeof key, 0), 0);
    free(b);
}

static void test_rfc8489_sha256(void **state)
{
    (void)state;
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(rfc8489_sha256, sizeof rfc8489_sha256, &m), DIS_OK);
    assert_true(m.has_userhash);
    assert_false(m.has_username);
    assert_string_equal(m.nonce, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
    assert_int_equal(m.nonce_len, 41);
    assert_string_equal(m.realm, "example.org");
    assert_false(m.has_mi);
    assert_true(m.has_mi_sha256);
    assert_int_equal(m.mi256_offset, 128);
    assert_int_equal(m.anomalies, 0);
}

/* ---- TURN ---------------------------------------------------------------------------------- */

static void test_turn_allocation(void **state)
{
    (void)state;
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(alloc_req, sizeof alloc_req, &m), DIS_OK);
    assert_int_equal(m.method, DIS_STUN_ALLOCATE);
    assert_int_equal(m.cls, DIS_STUN_REQUEST);
    assert_true(m.has_requested_transport);
    assert_int_equal(m.requested_transport, 17);
    assert_string_equal(m.software, "sensoscope test");
    assert_true(m.fingerprint_ok);
    assert_false(m.has_mi);

    assert_int_equal(parse_dgram(alloc_401, sizeof alloc_401, &m), DIS_OK);
    assert_int_equal(m.method, DIS_STUN_ALLOCATE);
    assert_int_equal(m.cls, DIS_STUN_ERROR);
    assert_true(m.has_error);
    assert_int_equal(m.error_code, 401);
    assert_string_equal(m.error_reason, "Unauthorized");
    assert_string_equal(m.realm, "example.org");
    assert_string_equal(m.nonce, "obMatJos2gAAAadl7W7PeDU4hKE72jda");
    assert_true(m.fingerprint_ok);
    assert_int_equal(m.anomalies, 0);

    assert_int_equal(parse_dgram(alloc_ok, sizeof alloc_ok, &m), DIS_OK);
    assert_int_equal(m.cls, DIS_STUN_SUCCESS);
    assert_int_equal(m.n_relayed, 2);
    assert_addr(&m.relayed[0], "203.0.113.7", 49152);
    assert_addr(&m.relayed[1], "2001:db8::7", 49153);
    assert_int_equal(m.relayed[1].attr, DIS_STUN_A_XOR_RELAYED_ADDRESS);
    assert_int_equal(m.n_xor_mapped, 1);
    assert_addr(&m.xor_mapped[0], "198.51.100.20", 50512);
    assert_true(m.has_lifetime);
    assert_int_equal(m.lifetime, 600);
    assert_true(m.has_mi);
    assert_true(m.fingerprint_ok);
    assert_int_equal(m.anomalies, 0);

    uint8_t key[16];
    assert_int_equal(dis_stun_long_term_key("user", "example.org", "pass", key), 0);
    uint8_t *b = dup_exact(alloc_ok, sizeof alloc_ok);
    assert_int_equal(dis_stun_check_integrity(b, sizeof alloc_ok, key, sizeof key, 0), 1);
    free(b);
    b = dup_exact(alloc_req, sizeof alloc_req);
    assert_int_equal(dis_stun_check_integrity(b, sizeof alloc_req, key, sizeof key, 0), -1);
    free(b);
}

static void test_turn_permissions(void **state)
{
    (void)state;
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(createperm, sizeof createperm, &m), DIS_OK);
    assert_int_equal(m.method, DIS_STUN_CREATEPERMISSION);
    assert_int_equal(m.cls, DIS_STUN_REQUEST);
    assert_int_equal(m.n_peer, 2);
    assert_addr(&m.peer[0], "192.0.2.50", 0);
    assert_addr(&m.peer[1], "2001:db8::50", 0);
    assert_string_equal(m.username, "user");
    assert_string_equal(m.realm, "example.org");
    assert_true(m.has_mi);
    assert_true(m.fingerprint_ok);

    assert_int_equal(parse_dgram(chanbind, sizeof chanbind, &m), DIS_OK);
    assert_int_equal(m.method, DIS_STUN_CHANNELBIND);
    assert_true(m.has_channel_number);
    assert_int_equal(m.channel_number, 0x4001);
    assert_int_equal(m.n_peer, 1);
    assert_addr(&m.peer[0], "192.0.2.50", 5000);
    assert_true(m.fingerprint_ok);
    uint8_t key[16];
    assert_int_equal(dis_stun_long_term_key("user", "example.org", "pass", key), 0);
    uint8_t *b = dup_exact(chanbind, sizeof chanbind);
    assert_int_equal(dis_stun_check_integrity(b, sizeof chanbind, key, sizeof key, 0), 1);
    free(b);
}

static void test_indications(void **state)
{
    (void)state;
    struct dis_stun_msg m, in;
    uint8_t *b = dup_exact(send_ind, sizeof send_ind);
    assert_int_equal(dis_stun_parse(b, sizeof send_ind, sizeof send_ind, DIS_STUN_DGRAM, &m, NULL),
                     DIS_OK);
    assert_int_equal(m.method, DIS_STUN_SEND);
    assert_int_equal(m.cls, DIS_STUN_INDICATION);
    assert_addr(&m.peer[0], "192.0.2.50", 5000);
    assert_true(m.has_data);
    assert_int_equal(m.data_len, 11);
    assert_memory_equal(m.data, "hello, peer", 11);
    free(b);

    /* The DATA of a Data indication is dissected again: here an ICE check. */
    b = dup_exact(data_ind, sizeof data_ind);
    assert_int_equal(dis_stun_parse(b, sizeof data_ind, sizeof data_ind, DIS_STUN_DGRAM, &m, NULL),
                     DIS_OK);
    assert_int_equal(m.method, DIS_STUN_DATA);
    assert_int_equal(m.cls, DIS_STUN_INDICATION);
    assert_true(m.has_data);
    assert_int_equal(dis_demux_first_byte(m.data[0]), DIS_DEMUX_STUN);
    assert_int_equal(dis_stun_parse(m.data, m.data_len, m.data_len, DIS_STUN_DGRAM, &in, NULL),
                     DIS_OK);
    assert_string_equal(in.username, "ab:cd");
    assert_int_equal(in.priority, 0x6e7f1eff);
    assert_true(in.use_candidate);
    assert_true(in.ice_controlling);
    assert_true(in.tiebreaker == 0x0102030405060708ull);
    assert_true(in.fingerprint_ok);
    free(b);
}

static void test_goog_ping(void **state)
{
    (void)state;
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(goog_ping_req, sizeof goog_ping_req, &m), DIS_OK);
    assert_int_equal(m.type, 0x0200);
    assert_int_equal(m.method, DIS_STUN_GOOG_PING);
    assert_int_equal(m.cls, DIS_STUN_REQUEST);
    assert_string_equal(dis_stun_method_name(m.method), "goog-ping");
    assert_int_equal(m.anomalies, 0);
    assert_int_equal(parse_dgram(goog_ping_resp, sizeof goog_ping_resp, &m), DIS_OK);
    assert_int_equal(m.method, DIS_STUN_GOOG_PING);
    assert_int_equal(m.cls, DIS_STUN_SUCCESS);
}

static void test_unknown_attributes(void **state)
{
    (void)state;
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(unknown_req, sizeof unknown_req, &m), DIS_OK);
    assert_true(m.anomalies & DIS_STUN_AN_UNKNOWN_REQUIRED);
    assert_false(m.anomalies & DIS_STUN_AN_FATAL);
    assert_int_equal(m.n_unknown_required, 1);
    assert_int_equal(m.unknown_required[0], 0x7f01);
    assert_true(m.fingerprint_ok);

    assert_int_equal(parse_dgram(err420, sizeof err420, &m), DIS_OK);
    assert_int_equal(m.error_code, 420);
    assert_string_equal(m.error_reason, "Unknown Attribute");
    assert_int_equal(m.n_unknown_attrs, 3);
    assert_int_equal(m.unknown_attrs[0], 0x7f01);
    assert_int_equal(m.unknown_attrs[2], 0x7f03);
    assert_true(m.fingerprint_ok);
}

static void test_rfc5780_rfc6062(void **state)
{
    (void)state;
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(rfc5780_resp, sizeof rfc5780_resp, &m), DIS_OK);
    assert_addr(&m.xor_mapped[0], "198.51.100.20", 40000);
    assert_int_equal(m.n_mapped, 1);
    assert_addr(&m.mapped[0], "198.51.100.20", 40000);
    assert_true(m.has_response_origin);
    assert_addr(&m.response_origin, "192.0.2.1", 3478);
    assert_true(m.has_other_address);
    assert_addr(&m.other_address, "192.0.2.2", 3479);
    assert_int_equal(m.other_address.attr, DIS_STUN_A_OTHER_ADDRESS);

    assert_int_equal(parse_dgram(conn_bind, sizeof conn_bind, &m), DIS_OK);
    assert_int_equal(m.method, DIS_STUN_CONNECTIONBIND);
    assert_null(dis_stun_method_name(m.method));
    assert_true(m.has_connection_id);
    assert_int_equal(m.connection_id, 0x12345678);
}

/* ---- MS-TURN ------------------------------------------------------------------------------- */

static void test_ms_turn(void **state)
{
    (void)state;
    static const uint8_t session[8] = {0x7f, 0x20, 0xc4, 0xdd, 0x4f, 0x84, 0x8d, 0xfa};
    struct dis_stun_msg m;
    assert_int_not_equal(sizeof ms_alloc_ok % 4, 0);
    assert_int_equal(parse_dgram(ms_alloc_ok, sizeof ms_alloc_ok, &m), DIS_OK);
    assert_true(m.ms_turn);
    assert_int_equal(m.method, DIS_STUN_ALLOCATE);
    assert_int_equal(m.cls, DIS_STUN_SUCCESS);
    assert_int_equal(m.lifetime, 60);
    assert_int_equal(m.n_mapped, 0);
    assert_int_equal(m.n_relayed, 1);
    assert_addr(&m.relayed[0], "203.0.113.9", 3480);
    assert_int_equal(m.relayed[0].attr, DIS_STUN_A_MAPPED_ADDRESS);
    assert_int_equal(m.n_xor_mapped, 1);
    assert_addr(&m.xor_mapped[0], "198.51.100.20", 57543);
    assert_int_equal(m.xor_mapped[0].attr, DIS_STUN_A_MS_XOR_MAPPED_ADDRESS);
    assert_true(m.has_ms_version);
    assert_int_equal(m.ms_version, 6);
    assert_string_equal(m.software, "2.0.1.211");
    assert_true(m.has_mi);
    assert_int_equal(m.anomalies, 0);

    assert_int_equal(parse_dgram(ms_alloc_401, sizeof ms_alloc_401, &m), DIS_OK);
    assert_true(m.ms_turn);
    assert_int_equal(m.error_code, 401);
    assert_string_equal(m.error_reason,
                        "The request did not contain a Message-Integrity attribute");
    assert_string_equal(m.realm, "\"rtcmedia\"");
    assert_int_equal(m.nonce_len, 20);
    assert_true(m.has_ms_session);
    assert_memory_equal(m.ms_session, session, 8);
    assert_int_equal(m.anomalies, 0);

    uint8_t *b = dup_exact(ms_data_ind, sizeof ms_data_ind);
    assert_int_equal(
        dis_stun_parse(b, sizeof ms_data_ind, sizeof ms_data_ind, DIS_STUN_DGRAM, &m, NULL),
        DIS_OK);
    assert_int_equal(m.type, 0x0115);
    assert_int_equal(m.n_peer, 1);
    assert_addr(&m.peer[0], "93.71.110.205", 16332);
    assert_int_equal(m.data_len, 7);
    assert_int_equal(dis_demux_first_byte(m.data[0]), DIS_DEMUX_RTP);
    free(b);

    /* Without the MS MAGIC-COOKIE an unpadded message is STUN only if its attributes cover
     * the body exactly (as WhatsApp's do); it is flagged, and is not the MS dialect. */
    uint8_t c[sizeof ms_alloc_ok + 1];
    memcpy(c, ms_alloc_ok, sizeof ms_alloc_ok);
    c[21] = 0x0e; /* MS-ALTERNATE-SERVER instead of MAGIC-COOKIE */
    assert_int_equal(parse_dgram(c, sizeof ms_alloc_ok, &m), DIS_MALFORMED);
    assert_false(m.ms_turn);
    assert_true(m.anomalies & DIS_STUN_AN_UNPADDED);
    assert_true(m.anomalies & DIS_STUN_AN_BAD_ADDRESS); /* its 4-byte value is no address */
    assert_int_equal(m.n_mapped, 1);                    /* not the relay outside MS-TURN */
    c[3] += 1;                                          /* one byte more that no attribute covers */
    c[sizeof ms_alloc_ok] = 0;
    assert_int_equal(parse_dgram(c, sizeof c, &m), DIS_NOT_MINE);
    c[3] -= 1;
    c[21] = 0x0f;
    assert_int_equal(parse_dgram(c, sizeof c - 1, &m), DIS_OK); /* restored */

    /* WhatsApp's Allocate: one unassigned comprehension-required attribute of 102 bytes. */
    uint8_t wa[20 + 4 + 102];
    memset(wa, 0x5a, sizeof wa);
    static const uint8_t wa_hdr[] = {0x00, 0x03, 0x00, 0x6a, 0x21, 0x12, 0xa4, 0x42};
    static const uint8_t wa_attr[] = {0x40, 0x00, 0x00, 0x66};
    memcpy(wa, wa_hdr, sizeof wa_hdr);
    memcpy(wa + 20, wa_attr, sizeof wa_attr);
    assert_int_equal(parse_dgram(wa, sizeof wa, &m), DIS_OK);
    assert_int_equal(m.method, DIS_STUN_ALLOCATE);
    assert_true(m.anomalies & DIS_STUN_AN_UNPADDED);
    assert_int_equal(m.unknown_required[0], 0x4000);
    wa[23] = 0x64; /* 100 bytes: the chain no longer covers the body */
    assert_int_equal(parse_dgram(wa, sizeof wa, &m), DIS_NOT_MINE);
}

static void test_mturn_frame(void **state)
{
    (void)state;
    static const uint8_t session[8] = {0xde, 0xaa, 0x29, 0x67, 0x08, 0xf7, 0x08, 0xfc};
    struct dis_stun_msg m;
    size_t used = 0;
    uint8_t *b = dup_exact(mturn_frame, sizeof mturn_frame);
    assert_int_equal(dis_demux_first_byte(b[0]), DIS_DEMUX_QUIC);
    assert_int_equal(
        dis_stun_parse(b, sizeof mturn_frame, sizeof mturn_frame, DIS_STUN_DGRAM, &m, &used),
        DIS_OK);
    assert_int_equal(used, sizeof mturn_frame);
    assert_true(m.mturn_framed);
    assert_memory_equal(m.mturn_session, session, 8);
    assert_int_equal(m.cls, DIS_STUN_SUCCESS);
    assert_addr(&m.xor_mapped[0], "198.51.100.20", 11520);
    assert_true(m.fingerprint_ok);

    struct dis_channeldata cd;
    assert_int_equal(dis_channeldata_parse(b, sizeof mturn_frame, sizeof mturn_frame,
                                           DIS_STUN_DGRAM, &cd, &used),
                     DIS_OK);
    assert_true(cd.mturn);
    assert_int_equal(cd.channel, 0xff10);
    assert_memory_equal(cd.session, session, 8);
    assert_int_equal(cd.data_len, sizeof mturn_frame - 12);
    assert_int_equal(cd.data[0], 0x01);

    /* In a stream: frame_len knows the frame, and parse takes exactly it. */
    size_t flen = 0;
    enum dis_stun_frame kind = DIS_STUN_FRAME_STUN;
    assert_int_equal(dis_stun_frame_len(b, sizeof mturn_frame, 0, &flen, &kind), DIS_OK);
    assert_int_equal(kind, DIS_STUN_FRAME_MTURN);
    assert_int_equal(flen, sizeof mturn_frame);
    assert_int_equal(dis_stun_parse(b, sizeof mturn_frame, 0, DIS_STUN_STREAM, &m, &used), DIS_OK);
    assert_int_equal(used, sizeof mturn_frame);
    free(b);
}

/* ---- classic RFC 3489 ---------------------------------------------------------------------- */

static void test_classic(void **state)
{
    (void)state;
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(classic_req, sizeof classic_req, &m), DIS_OK);
    assert_true(m.classic);
    assert_int_equal(m.method, DIS_STUN_BINDING);
    assert_int_equal(m.cls, DIS_STUN_REQUEST);
    assert_int_equal(m.txid_len, 16);
    assert_int_equal(m.txid[0], 0x94);
    assert_int_equal(m.txid[15], 0x4c);

    assert_int_equal(parse_dgram(classic_resp, sizeof classic_resp, &m), DIS_OK);
    assert_true(m.classic);
    assert_int_equal(m.cls, DIS_STUN_SUCCESS);
    assert_int_equal(m.n_mapped, 1);
    assert_addr(&m.mapped[0], "172.16.63.224", 55050);

    /* Classic only in datagrams, and look-alikes are not STUN. */
    uint8_t *b = dup_exact(classic_req, sizeof classic_req);
    assert_int_equal(dis_stun_probe(b, sizeof classic_req, 0, DIS_STUN_STREAM), DIS_NOT_MINE);
    free(b);
    assert_int_equal(parse_dgram(zoom_like, sizeof zoom_like, &m), DIS_NOT_MINE);
    assert_int_equal(parse_dgram(zoom_like2, sizeof zoom_like2, &m), DIS_NOT_MINE);

    /* A classic response must carry MAPPED-ADDRESS; a request must not. */
    uint8_t resp_as_req[sizeof classic_resp];
    memcpy(resp_as_req, classic_resp, sizeof resp_as_req);
    resp_as_req[0] = 0x00;
    assert_int_equal(parse_dgram(resp_as_req, sizeof resp_as_req, &m), DIS_NOT_MINE);
    uint8_t req_as_resp[sizeof classic_req];
    memcpy(req_as_resp, classic_req, sizeof req_as_resp);
    req_as_resp[0] = 0x01;
    assert_int_equal(parse_dgram(req_as_resp, sizeof req_as_resp, &m), DIS_NOT_MINE);
    /* CHANGE-REQUEST with bits other than change-IP/change-port. */
    uint8_t bad_flags[sizeof classic_req];
    memcpy(bad_flags, classic_req, sizeof bad_flags);
    bad_flags[27] = 0x01;
    assert_int_equal(parse_dgram(bad_flags, sizeof bad_flags, &m), DIS_NOT_MINE);
    /* A byte more than the length says. */
    uint8_t longer[sizeof classic_req + 1];
    memcpy(longer, classic_req, sizeof classic_req);
    longer[sizeof classic_req] = 0;
    assert_int_equal(parse_dgram(longer, sizeof longer, &m), DIS_NOT_MINE);
}

/* ---- ChannelData, framing, demux --------------------------------------------------------- */

static void test_channeldata(void **state)
{
    (void)state;
    struct dis_channeldata cd;
    size_t used = 0;
    uint8_t *b = dup_exact(cd_bare, sizeof cd_bare);
    assert_int_equal(
        dis_channeldata_parse(b, sizeof cd_bare, sizeof cd_bare, DIS_STUN_DGRAM, &cd, &used),
        DIS_OK);
    assert_int_equal(cd.channel, 0x4000);
    assert_int_equal(cd.data_len, 5);
    assert_int_equal(cd.data_caplen, 5);
    assert_memory_equal(cd.data, "hello", 5);
    assert_false(cd.padded);
    assert_false(cd.rfc5766_only);
    assert_false(cd.mturn);
    assert_int_equal(used, 9);
    /* Over TCP the frame is padded: 9 bytes are not enough. */
    assert_int_equal(dis_channeldata_parse(b, sizeof cd_bare, 0, DIS_STUN_STREAM, &cd, &used),
                     DIS_NEED_MORE);
    /* Cut by the capture. */
    assert_int_equal(dis_channeldata_parse(b, 7, sizeof cd_bare, DIS_STUN_DGRAM, &cd, &used),
                     DIS_TRUNCATED);
    assert_int_equal(cd.data_caplen, 3);
    /* The datagram is longer than the frame (and not by padding). */
    assert_int_equal(dis_channeldata_parse(b, sizeof cd_bare, 13, DIS_STUN_DGRAM, &cd, &used),
                     DIS_NOT_MINE);
    free(b);

    b = dup_exact(cd_padded, sizeof cd_padded);
    assert_int_equal(
        dis_channeldata_parse(b, sizeof cd_padded, sizeof cd_padded, DIS_STUN_DGRAM, &cd, &used),
        DIS_OK);
    assert_true(cd.padded);
    assert_int_equal(used, 12);
    assert_int_equal(dis_channeldata_parse(b, sizeof cd_padded, 0, DIS_STUN_STREAM, &cd, &used),
                     DIS_OK);
    assert_int_equal(used, 12);
    assert_memory_equal(cd.data, "hello", 5);
    free(b);

    b = dup_exact(cd_5766, sizeof cd_5766);
    assert_int_equal(
        dis_channeldata_parse(b, sizeof cd_5766, sizeof cd_5766, DIS_STUN_DGRAM, &cd, &used),
        DIS_OK);
    assert_true(cd.rfc5766_only);
    assert_int_equal(cd.channel, 0x5001);
    b[0] = 0x80; /* RTP's range */
    assert_int_equal(
        dis_channeldata_parse(b, sizeof cd_5766, sizeof cd_5766, DIS_STUN_DGRAM, &cd, &used),
        DIS_NOT_MINE);
    b[0] = 0x3f; /* DTLS's range */
    assert_int_equal(
        dis_channeldata_parse(b, sizeof cd_5766, sizeof cd_5766, DIS_STUN_DGRAM, &cd, &used),
        DIS_NOT_MINE);
    b[0] = 0xff; /* 0xFF01 is not the MS-TURN channel */
    assert_int_equal(
        dis_channeldata_parse(b, sizeof cd_5766, sizeof cd_5766, DIS_STUN_DGRAM, &cd, &used),
        DIS_NOT_MINE);
    free(b);
    /* A STUN message is not ChannelData. */
    b = dup_exact(alloc_req, sizeof alloc_req);
    assert_int_equal(
        dis_channeldata_parse(b, sizeof alloc_req, sizeof alloc_req, DIS_STUN_DGRAM, &cd, &used),
        DIS_NOT_MINE);
    free(b);
}

static void test_stream_framing(void **state)
{
    (void)state;
    /* A TURN-over-TCP stream: Allocate, ChannelData (padded), Send indication, MS-TURN frame. */
    const struct vec parts[] = {
        {"alloc_req", alloc_req, sizeof alloc_req, false},
        {"cd_padded", cd_padded, sizeof cd_padded, false},
        {"send_ind", send_ind, sizeof send_ind, false},
        {"mturn_frame", mturn_frame, sizeof mturn_frame, false},
    };
    const enum dis_stun_frame kinds[] = {DIS_STUN_FRAME_STUN, DIS_STUN_FRAME_CHANNELDATA,
                                         DIS_STUN_FRAME_STUN, DIS_STUN_FRAME_MTURN};
    uint8_t stream[1024];
    size_t total = 0;
    for (size_t i = 0; i < 4; i++) {
        memcpy(stream + total, parts[i].b, parts[i].n);
        total += parts[i].n;
    }
    uint8_t *b = dup_exact(stream, total);
    size_t pos = 0;
    for (size_t i = 0; i < 4; i++) {
        size_t flen = 0, used = 0;
        enum dis_stun_frame kind = DIS_STUN_FRAME_RFC4571;
        /* Every prefix shorter than the header needs more. */
        for (size_t k = 0; k < 4; k++)
            assert_int_equal(dis_stun_frame_len(b + pos, k, 0, &flen, &kind), DIS_NEED_MORE);
        assert_int_equal(dis_stun_frame_len(b + pos, total - pos, 0, &flen, &kind), DIS_OK);
        assert_int_equal(kind, kinds[i]);
        assert_int_equal(flen, parts[i].n);
        if (kind == DIS_STUN_FRAME_CHANNELDATA) {
            struct dis_channeldata cd;
            assert_int_equal(
                dis_channeldata_parse(b + pos, total - pos, 0, DIS_STUN_STREAM, &cd, &used),
                DIS_OK);
        } else {
            struct dis_stun_msg m;
            assert_int_equal(dis_stun_parse(b + pos, flen - 1, 0, DIS_STUN_STREAM, &m, &used),
                             DIS_NEED_MORE);
            assert_int_equal(dis_stun_parse(b + pos, total - pos, 0, DIS_STUN_STREAM, &m, &used),
                             DIS_OK);
        }
        assert_int_equal(used, flen);
        pos += flen;
    }
    assert_int_equal(pos, total);
    free(b);

    /* RFC 4571 framing (ICE-TCP): recognised, then read with the flag. */
    uint8_t framed[2 + sizeof rfc5769_req];
    framed[0] = 0;
    framed[1] = sizeof rfc5769_req;
    memcpy(framed + 2, rfc5769_req, sizeof rfc5769_req);
    b = dup_exact(framed, sizeof framed);
    size_t flen = 0;
    enum dis_stun_frame kind = DIS_STUN_FRAME_STUN;
    assert_int_equal(dis_stun_frame_len(b, sizeof framed, 0, &flen, &kind), DIS_OK);
    assert_int_equal(kind, DIS_STUN_FRAME_RFC4571);
    assert_int_equal(flen, sizeof framed);
    assert_int_equal(dis_stun_frame_len(b, 1, DIS_STUN_F_RFC4571, &flen, &kind), DIS_NEED_MORE);
    assert_int_equal(dis_stun_frame_len(b, 2, DIS_STUN_F_RFC4571, &flen, &kind), DIS_OK);
    assert_int_equal(flen, sizeof framed);
    free(b);

    /* Bytes that are neither. */
    static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0x10, 0x01};
    b = dup_exact(tls, sizeof tls);
    assert_int_equal(dis_stun_frame_len(b, sizeof tls, 0, &flen, NULL), DIS_NOT_MINE);
    free(b);
    static const uint8_t junk[] = {0x00, 0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
    b = dup_exact(junk, sizeof junk);
    assert_int_equal(dis_stun_frame_len(b, sizeof junk, 0, &flen, NULL), DIS_NOT_MINE);
    free(b);
}

static void test_demux(void **state)
{
    (void)state;
    static const struct {
        uint8_t lo, hi;
        enum dis_demux d;
    } ranges[] = {
        {0, 3, DIS_DEMUX_STUN},    {4, 15, DIS_DEMUX_DROP},          {16, 19, DIS_DEMUX_ZRTP},
        {20, 63, DIS_DEMUX_DTLS},  {64, 79, DIS_DEMUX_TURN_CHANNEL}, {80, 127, DIS_DEMUX_QUIC},
        {128, 191, DIS_DEMUX_RTP}, {192, 255, DIS_DEMUX_QUIC},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        for (unsigned b = ranges[i].lo; b <= ranges[i].hi; b++)
            assert_int_equal(dis_demux_first_byte((uint8_t)b), ranges[i].d);
    assert_string_equal(dis_demux_name(DIS_DEMUX_DTLS), "dtls");
    assert_string_equal(dis_demux_name(DIS_DEMUX_TURN_CHANNEL), "turn-channel");
    assert_string_equal(dis_demux_name(DIS_DEMUX_DROP), "drop");
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        uint16_t m;
        const char *name;
    } names[] = {
        {0x001, "binding"},     {0x003, "allocate"},  {0x004, "refresh"},
        {0x006, "send"},        {0x007, "data"},      {0x008, "createpermission"},
        {0x009, "channelbind"}, {0x080, "goog-ping"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_string_equal(dis_stun_method_name(names[i].m), names[i].name);
    assert_null(dis_stun_method_name(0x000));
    assert_null(dis_stun_method_name(0x005));
    assert_null(dis_stun_method_name(0x0ff));
    assert_string_equal(dis_stun_class_name(DIS_STUN_REQUEST), "request");
    assert_string_equal(dis_stun_class_name(DIS_STUN_INDICATION), "indication");
    assert_string_equal(dis_stun_class_name(DIS_STUN_SUCCESS), "success");
    assert_string_equal(dis_stun_class_name(DIS_STUN_ERROR), "error");
    assert_null(dis_stun_class_name(4));
}

/* ---- truncation and malformed input -------------------------------------------------------- */

static void test_truncation_every_offset(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof all_vecs / sizeof all_vecs[0]; v++) {
        const struct vec *x = &all_vecs[v];
        struct dis_stun_msg m;
        size_t used = 0;
        uint8_t *full = dup_exact(x->b, x->n);
        enum dis_status whole = dis_stun_parse(full, x->n, x->n, DIS_STUN_DGRAM, &m, &used);
        if (whole != DIS_OK)
            print_error("%s: %s\n", x->name, dis_status_name(whole));
        assert_int_equal(whole, DIS_OK);
        assert_int_equal(used, x->n);
        assert_int_equal(dis_stun_parse(full, x->n, 0, DIS_STUN_STREAM, &m, &used),
                         x->classic ? DIS_NOT_MINE : DIS_OK);
        free(full);
        for (size_t cut = 0; cut < x->n; cut++) {
            uint8_t *b = dup_exact(x->b, cut);
            /* Datagram cut by the capture (snaplen). */
            enum dis_status s = dis_stun_parse(b, cut, x->n, DIS_STUN_DGRAM, &m, &used);
            if (x->classic)
                assert_true(s == DIS_TRUNCATED || s == DIS_NOT_MINE);
            else
                assert_int_equal(s, DIS_TRUNCATED);
            s = dis_stun_probe(b, cut, x->n, DIS_STUN_DGRAM);
            assert_true(s == DIS_TRUNCATED || s == DIS_NOT_MINE || s == DIS_OK);
            /* A datagram of that size is not this message. */
            assert_int_equal(dis_stun_parse(b, cut, cut, DIS_STUN_DGRAM, &m, &used), DIS_NOT_MINE);
            /* A stream that has not delivered all of it yet. */
            s = dis_stun_parse(b, cut, 0, DIS_STUN_STREAM, &m, &used);
            if (x->classic) /* no classic STUN in streams, once the cookie can be seen */
                assert_int_equal(s, cut < 8 ? DIS_NEED_MORE : DIS_NOT_MINE);
            else
                assert_int_equal(s, DIS_NEED_MORE);
            size_t flen = 0;
            s = dis_stun_frame_len(b, cut, 0, &flen, NULL);
            if (!x->classic) {
                assert_true(s == DIS_NEED_MORE || s == DIS_OK);
                if (s == DIS_OK)
                    assert_int_equal(flen, x->n);
            }
            struct dis_channeldata cd;
            dis_channeldata_parse(b, cut, cut, DIS_STUN_DGRAM, &cd, &used);
            dis_stun_check_integrity(b, cut, (const uint8_t *)"k", 1, 0);
            free(b);
        }
    }
    /* ChannelData cut everywhere. */
    for (size_t cut = 0; cut < sizeof cd_padded; cut++) {
        struct dis_channeldata cd;
        size_t used = 0;
        uint8_t *b = dup_exact(cd_padded, cut);
        enum dis_status s =
            dis_channeldata_parse(b, cut, sizeof cd_padded, DIS_STUN_DGRAM, &cd, &used);
        assert_true(s == DIS_TRUNCATED || (cut >= 9 && s == DIS_OK));
        assert_int_equal(dis_channeldata_parse(b, cut, 0, DIS_STUN_STREAM, &cd, &used),
                         DIS_NEED_MORE);
        free(b);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    struct dis_stun_msg m;
    assert_int_equal(parse_dgram(bad_overrun, sizeof bad_overrun, &m), DIS_MALFORMED);
    assert_true(m.anomalies & DIS_STUN_AN_ATTR_OVERRUN);
    assert_int_equal(m.method, DIS_STUN_BINDING);

    assert_int_equal(parse_dgram(bad_family, sizeof bad_family, &m), DIS_MALFORMED);
    assert_true(m.anomalies & DIS_STUN_AN_BAD_ADDRESS);
    assert_int_equal(m.n_xor_mapped, 0);

    assert_int_equal(parse_dgram(bad_error_class, sizeof bad_error_class, &m), DIS_MALFORMED);
    assert_true(m.anomalies & DIS_STUN_AN_BAD_ERROR_CODE);
    assert_int_equal(m.error_code, 701);
    assert_string_equal(m.software, "x"); /* the attributes after it are still decoded */

    assert_int_equal(parse_dgram(bad_priority_len, sizeof bad_priority_len, &m), DIS_MALFORMED);
    assert_true(m.anomalies & DIS_STUN_AN_BAD_ATTR_LENGTH);
    assert_false(m.has_priority);

    /* ERROR-CODE class 2 (MS-ICE2BWN's 274 is outside RFC 8489's 3-6). */
    uint8_t c2[sizeof bad_error_class];
    memcpy(c2, bad_error_class, sizeof c2);
    c2[26] = 2;
    c2[27] = 74;
    assert_int_equal(parse_dgram(c2, sizeof c2, &m), DIS_MALFORMED);
    assert_int_equal(m.error_code, 274);

    /* A changed byte breaks FINGERPRINT: still STUN, flagged. */
    uint8_t fp[sizeof alloc_req];
    memcpy(fp, alloc_req, sizeof fp);
    fp[33] ^= 0x20;
    assert_int_equal(parse_dgram(fp, sizeof fp, &m), DIS_OK);
    assert_true(m.has_fingerprint);
    assert_false(m.fingerprint_ok);
    assert_true(m.anomalies & DIS_STUN_AN_BAD_FINGERPRINT);

    /* Header checks: length not a multiple of 4, method above 0xFF, wrong cookie. */
    uint8_t h[sizeof goog_ping_req];
    memcpy(h, goog_ping_req, sizeof h);
    h[0] = 0x04;
    assert_int_equal(parse_dgram(h, sizeof h, &m), DIS_NOT_MINE);
    memcpy(h, goog_ping_req, sizeof h);
    h[7] ^= 1;
    assert_int_equal(parse_dgram(h, sizeof h, &m), DIS_NOT_MINE);
    uint8_t odd[sizeof goog_ping_req + 1];
    memcpy(odd, goog_ping_req, sizeof goog_ping_req);
    odd[3] += 1;
    odd[sizeof goog_ping_req] = 0;
    assert_int_equal(parse_dgram(odd, sizeof odd, &m), DIS_NOT_MINE);

    /* Attributes after FINGERPRINT are ignored and flagged; after MESSAGE-INTEGRITY too. */
    uint8_t after[sizeof alloc_req + 8];
    memcpy(after, alloc_req, sizeof alloc_req);
    static const uint8_t lifetime[] = {0x00, 0x0d, 0x00, 0x04, 0, 0, 0, 9};
    memcpy(after + sizeof alloc_req, lifetime, sizeof lifetime);
    after[3] += 8;
    assert_int_equal(parse_dgram(after, sizeof after, &m), DIS_OK);
    assert_true(m.anomalies & DIS_STUN_AN_AFTER_FINGERPRINT);
    assert_false(m.has_lifetime);
    assert_true(m.fingerprint_ok == false); /* the length field now counts the extra bytes */

    /* Too many addresses of one kind: kept up to the bound, the rest counted. */
    uint8_t many[20 + 10 * 12];
    memcpy(many, rfc5769_v4, 20);
    many[2] = 0;
    many[3] = 10 * 12;
    for (size_t i = 0; i < 10; i++) {
        static const uint8_t xm[] = {0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
                                     0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43};
        memcpy(many + 20 + i * 12, xm, sizeof xm);
    }
    assert_int_equal(parse_dgram(many, sizeof many, &m), DIS_OK);
    assert_int_equal(m.n_xor_mapped, DIS_STUN_MAX_ADDRS);
    assert_int_equal(m.addrs_dropped, 2);
    assert_true(m.anomalies & DIS_STUN_AN_ADDRS_DROPPED);
    assert_addr(&m.xor_mapped[7], "192.0.2.1", 32853);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5769_request),
        cmocka_unit_test(test_rfc5769_ipv4),
        cmocka_unit_test(test_rfc5769_ipv6),
        cmocka_unit_test(test_rfc5769_long_term),
        cmocka_unit_test(test_rfc8489_sha256),
        cmocka_unit_test(test_turn_allocation),
        cmocka_unit_test(test_turn_permissions),
        cmocka_unit_test(test_indications),
        cmocka_unit_test(test_goog_ping),
        cmocka_unit_test(test_unknown_attributes),
        cmocka_unit_test(test_rfc5780_rfc6062),
        cmocka_unit_test(test_ms_turn),
        cmocka_unit_test(test_mturn_frame),
        cmocka_unit_test(test_classic),
        cmocka_unit_test(test_channeldata),
        cmocka_unit_test(test_stream_framing),
        cmocka_unit_test(test_demux),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
