/* SPDX-License-Identifier: MIT */
/*
 * decode.c - dis_decode(): one captured frame to a dis_pkt, through the link (link.c), network
 * (ip.c) and transport (transport.c) layers; and the address helpers.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "decode_int.h"

char *dis_addr_str(const struct dis_addr *a, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    /* Longer than any address text (INET6_ADDRSTRLEN); keeps the socklen_t cast exact. */
    socklen_t n = len > 64 ? 64 : (socklen_t)len;
    const char *s = NULL;
    if (a->family == 4)
        s = inet_ntop(AF_INET, a->b, buf, n);
    else if (a->family == 6)
        s = inet_ntop(AF_INET6, a->b, buf, n);
    if (!s)
        buf[0] = '\0'; /* no address, or @p buf too small */
    return buf;
}

int dis_addr_cmp(const struct dis_addr *x, const struct dis_addr *y)
{
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    return memcmp(x->b, y->b, sizeof x->b);
}

enum dis_status dis_decode(int linktype, const uint8_t *frame, uint32_t caplen, struct dis_pkt *out)
{
    memset(out, 0, sizeof *out);
    struct rd r;
    rd_init(&r, frame, caplen);
    uint16_t ethertype = 0;
    enum dis_status st = dis__link(linktype, &r, out, &ethertype);
    if (st != DIS_OK)
        return st;
    return dis__ip(&r, ethertype, out);
}
