/* SPDX-License-Identifier: MIT */
/*
 * socks.c - SOCKS handshakes: SOCKS5 (RFC 1928 §3 greeting and method choice, §4 request, §5
 * addressing, §6 reply), the username/password subnegotiation (RFC 1929 §2; its credentials
 * are skipped, never copied) and SOCKS4 with the 4a extension (a name after the USERID when
 * DSTIP is 0.0.0.x, x != 0). Stateless: the caller says which message it expects.
 */
#include <string.h>

#include "dissect/decode.h"
#include "dissect/rd.h"
#include "dissect/socks.h"

/* A SOCKS4 USERID or 4a name: NUL-terminated, at most 255 bytes before the NUL. */
#define SOCKS4_STR_MAX 255u

/* A printable copy of @p n bytes (n < DIS_SOCKS_HOST_LEN): the name is the client's, unchecked. */
static void host_copy(struct rd *r, size_t n, char *host)
{
    size_t i = 0;
    for (; i < n && rd_ok(r); i++) {
        uint8_t c = rd_u8(r);
        host[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
    }
    host[rd_ok(r) ? i : 0] = '\0';
}

/* ATYP and the address (RFC 1928 §5), then the port. @p m may be NULL (a reply's BND). */
static enum dis_status addr_port(struct rd *r, struct dis_socks_msg *m)
{
    uint8_t atyp = rd_u8(r);
    struct dis_addr ad = {0};
    char name[DIS_SOCKS_HOST_LEN];
    switch (atyp) {
    case 1:
        ad.family = 4;
        rd_copy(r, ad.b, 4);
        break;
    case 3:
        host_copy(r, rd_u8(r), name); /* at most 255 < sizeof name */
        break;
    case 4:
        ad.family = 6;
        rd_copy(r, ad.b, 16);
        break;
    default:
        return rd_ok(r) ? DIS_MALFORMED : DIS_NEED_MORE;
    }
    uint16_t port = rd_be16(r);
    if (!rd_ok(r))
        return DIS_NEED_MORE;
    if (!m)
        return DIS_OK;
    m->port = port;
    m->domain = atyp == 3;
    if (m->domain)
        memcpy(m->host, name, sizeof m->host);
    else
        dis_addr_str(&ad, m->host, sizeof m->host);
    return DIS_OK;
}

/* Skips (@p out NULL) or copies a NUL-terminated SOCKS4 field. */
static enum dis_status socks4_str(struct rd *r, char *out)
{
    for (size_t i = 0; i <= SOCKS4_STR_MAX; i++) {
        uint8_t c = rd_u8(r);
        if (!rd_ok(r))
            return DIS_NEED_MORE;
        if (out)
            out[i] = c > 0x20 && c < 0x7f ? (char)c : c ? '?' : '\0';
        if (c == 0)
            return DIS_OK;
    }
    if (out)
        out[0] = '\0';
    return DIS_MALFORMED;
}

/* SOCKS4: VN 4, CD, DSTPORT, DSTIP, USERID NUL [, 4a name NUL]. */
static enum dis_status socks4_request(struct rd *r, struct dis_socks_msg *m)
{
    rd_skip(r, 1);
    m->code = rd_u8(r);
    m->port = rd_be16(r);
    struct dis_addr ad = {.family = 4};
    rd_copy(r, ad.b, 4);
    if (!rd_ok(r))
        return DIS_NEED_MORE;
    enum dis_status st = socks4_str(r, NULL); /* USERID: never copied */
    if (st != DIS_OK)
        return st;
    m->domain = ad.b[0] == 0 && ad.b[1] == 0 && ad.b[2] == 0 && ad.b[3] != 0;
    if (m->domain)
        return socks4_str(r, m->host);
    dis_addr_str(&ad, m->host, sizeof m->host);
    return DIS_OK;
}

enum dis_status dis_socks_probe(const uint8_t *p, size_t len)
{
    struct rd r;
    rd_init(&r, p, len);
    uint8_t ver = rd_u8(&r);
    if (!rd_ok(&r))
        return DIS_NEED_MORE;
    if (ver == 5) {
        uint8_t nm = rd_u8(&r);
        if (!rd_ok(&r))
            return DIS_NEED_MORE;
        if (nm == 0)
            return DIS_NOT_MINE;
        for (unsigned i = 0; i < nm; i++) {
            uint8_t meth = rd_u8(&r);
            if (!rd_ok(&r))
                return DIS_NEED_MORE;
            if (meth == DIS_SOCKS5_NO_METHOD)
                return DIS_NOT_MINE;
        }
        int next = rd_peek_u8(&r, 0);
        return next < 0 || next == 5 || next == 1 ? DIS_OK : DIS_NOT_MINE;
    }
    if (ver != 4)
        return DIS_NOT_MINE;
    uint8_t cmd = rd_u8(&r);
    rd_skip(&r, 6); /* DSTPORT, DSTIP */
    if (!rd_ok(&r))
        return DIS_NEED_MORE;
    if (cmd != 1 && cmd != 2)
        return DIS_NOT_MINE;
    enum dis_status st = socks4_str(&r, NULL);
    return st == DIS_MALFORMED ? DIS_NOT_MINE : st;
}

/* Fills m->len from what @p r consumed of @p len bytes, or says the message is cut short. */
static enum dis_status done(const struct rd *r, size_t len, enum dis_status st,
                            struct dis_socks_msg *m)
{
    if (st == DIS_OK && !rd_ok(r))
        st = DIS_NEED_MORE;
    if (st == DIS_OK)
        m->len = len - rd_left(r);
    return st;
}

enum dis_status dis_socks_client_msg(const uint8_t *p, size_t len, bool first,
                                     struct dis_socks_msg *m)
{
    memset(m, 0, sizeof *m);
    struct rd r;
    rd_init(&r, p, len);
    int ver = rd_peek_u8(&r, 0);
    if (ver < 0)
        return DIS_NEED_MORE;
    enum dis_status st = DIS_OK;
    if (first && ver == 4) {
        m->kind = DIS_SOCKS_REQUEST;
        m->version = 4;
        st = socks4_request(&r, m);
    } else if (first && ver == 5) {
        m->kind = DIS_SOCKS_GREETING;
        m->version = 5;
        rd_skip(&r, 1);
        m->code = rd_u8(&r);
        rd_skip(&r, m->code); /* METHODS */
    } else if (!first && ver == 1) {
        /* RFC 1929 §2: VER ULEN UNAME PLEN PASSWD */
        m->kind = DIS_SOCKS_AUTH;
        m->version = 5;
        rd_skip(&r, 1);
        rd_skip(&r, rd_u8(&r));
        rd_skip(&r, rd_u8(&r));
    } else if (!first && ver == 5) {
        m->kind = DIS_SOCKS_REQUEST;
        m->version = 5;
        rd_skip(&r, 1);
        m->code = rd_u8(&r);
        rd_skip(&r, 1); /* RSV */
        st = addr_port(&r, m);
    } else {
        return DIS_NOT_MINE;
    }
    return done(&r, len, st, m);
}

enum dis_status dis_socks_server_msg(const uint8_t *p, size_t len, uint8_t version, bool first,
                                     struct dis_socks_msg *m)
{
    memset(m, 0, sizeof *m);
    struct rd r;
    rd_init(&r, p, len);
    int ver = rd_peek_u8(&r, 0);
    if (ver < 0)
        return DIS_NEED_MORE;
    enum dis_status st = DIS_OK;
    m->version = version;
    if (version == 4 && (ver == 0 || ver == 4)) {
        /* VN 0 (some proxies echo 4), CD, DSTPORT, DSTIP */
        m->kind = DIS_SOCKS_REPLY;
        rd_skip(&r, 1);
        m->code = rd_u8(&r);
        m->port = rd_be16(&r);
        rd_skip(&r, 4);
    } else if (version == 5 && first && ver == 5) {
        m->kind = DIS_SOCKS_CHOICE;
        rd_skip(&r, 1);
        m->code = rd_u8(&r);
    } else if (version == 5 && !first && ver == 1) {
        m->kind = DIS_SOCKS_AUTH_STATUS;
        rd_skip(&r, 1);
        m->code = rd_u8(&r);
    } else if (version == 5 && !first && ver == 5) {
        m->kind = DIS_SOCKS_REPLY;
        rd_skip(&r, 1);
        m->code = rd_u8(&r);
        rd_skip(&r, 1); /* RSV */
        struct dis_socks_msg bnd = {0};
        st = addr_port(&r, &bnd);
        m->port = bnd.port;
    } else {
        return DIS_NOT_MINE;
    }
    return done(&r, len, st, m);
}
