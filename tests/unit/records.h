/* SPDX-License-Identifier: MIT */
/* records.h - test fixtures shared by the store and report tests: flows, captures, temp db. */
#ifndef TESTS_UNIT_RECORDS_H
#define TESTS_UNIT_RECORDS_H

/* Include after defining _POSIX_C_SOURCE 200809L (mkdtemp), like every test here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sto.h"

#define T0_NS 1700000000123456000ull /* 2023-11-14T22:13:20.123456Z */

/* cmocka's assert_float_equal compares as float: too coarse for epoch seconds. */
#define assert_near(a, b, eps) assert_near_((a), (b), (eps), __LINE__)

static void assert_near_(double a, double b, double eps, int line)
{
    double d = a > b ? a - b : b - a;

    if (!(d <= eps))
        fail_msg("line %d: %.9f != %.9f (eps %g)", line, a, b, eps);
}

/* ---- temporary database ---- */

/* Makes the directory /tmp/<name>.XXXXXX in @p dir and names <dir>/ss.db in @p path. */
static void tmpdb_make(const char *name, char *dir, size_t dir_len, char *path, size_t path_len)
{
    snprintf(dir, dir_len, "/tmp/%s.XXXXXX", name);
    assert_non_null(mkdtemp(dir));
    snprintf(path, path_len, "%s/ss.db", dir);
}

/* Removes the database @p path with its side files, then the (by now empty) directory @p dir. */
static void tmpdb_remove(const char *dir, const char *path)
{
    char p[128];
    const char *sfx[] = {"", "-wal", "-shm", "-journal"};

    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* ---- flow records ---- */

static void set4(struct dis_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    memset(a, 0, sizeof *a);
    a->family = 4;
    a->b[0] = x;
    a->b[1] = y;
    a->b[2] = z;
    a->b[3] = w;
}

/* 2001:db8::<last> */
static void set6(struct dis_addr *a, uint8_t last)
{
    memset(a, 0, sizeof *a);
    a->family = 6;
    a->b[0] = 0x20;
    a->b[1] = 0x01;
    a->b[2] = 0x0d;
    a->b[3] = 0xb8;
    a->b[15] = last;
}

/* TCP 10.0.0.5:51000 -> 93.184.216.34:443, SF, 1.5 s, RTT 12.345 ms. */
static struct dis_flow_rec tcp_flow(void)
{
    struct dis_flow_rec f;

    memset(&f, 0, sizeof f);
    f.id = 1;
    f.proto = DIS_IPPROTO_TCP;
    f.ipver = 4;
    set4(&f.orig, 10, 0, 0, 5);
    set4(&f.resp, 93, 184, 216, 34);
    f.orig_port = 51000;
    f.resp_port = 443;
    f.first_ns = T0_NS;
    f.last_ns = T0_NS + 1500000000ull;
    f.pkts[0] = 10;
    f.pkts[1] = 8;
    f.bytes[0] = 1200;
    f.bytes[1] = 5000;
    f.payload[0] = 517;
    f.payload[1] = 4200;
    f.ttl_min[0] = f.ttl_max[0] = 64;
    f.ttl_min[1] = 52;
    f.ttl_max[1] = 53;
    f.rtt_ns = 12345000;
    f.state = DIS_CS_SF;
    snprintf(f.history, sizeof f.history, "ShADadFf");
    snprintf(f.app, sizeof f.app, "TLS");
    snprintf(f.category, sizeof f.category, "Web");
    f.end = DIS_END_IDLE;
    return f;
}

/* UDP [2001:db8::1]:5353 -> [2001:db8::2]:3478, one-way, one ICMPv6 port unreachable, VLAN 100;
 * no history, no category. */
static struct dis_flow_rec udp6_flow(void)
{
    struct dis_flow_rec f;

    memset(&f, 0, sizeof f);
    f.id = 2;
    f.proto = DIS_IPPROTO_UDP;
    f.ipver = 6;
    set6(&f.orig, 1);
    set6(&f.resp, 2);
    f.orig_port = 5353;
    f.resp_port = 3478;
    f.first_ns = T0_NS + 2000000000ull;
    f.last_ns = T0_NS + 2250000000ull;
    f.pkts[0] = 3;
    f.bytes[0] = 300;
    f.payload[0] = 156;
    f.ttl_min[0] = f.ttl_max[0] = 255;
    f.rtt_ns = -1;
    f.state = DIS_CS_NONE;
    snprintf(f.app, sizeof f.app, "STUN");
    f.icmp_errors = 1;
    f.icmp_type = 1;
    f.icmp_code = 4;
    set6(&f.icmp_from, 2);
    f.icmp_first_ns = T0_NS + 2100000000ull;
    f.vlan = 100;
    f.end = DIS_END_CAPTURE;
    return f;
}

/* ---- captures ---- */

/* A capture row of kind "file", not begun yet; @p sha256 may be NULL. */
static struct sto_capture file_capture_rec(const char *source, const char *sha256,
                                           const char *linktype, int linktype_num)
{
    struct sto_capture c;

    memset(&c, 0, sizeof c);
    c.source = source;
    c.kind = "file";
    c.sha256 = sha256;
    c.linktype = linktype;
    c.linktype_num = linktype_num;
    return c;
}

#endif
