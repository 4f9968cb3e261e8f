/* SPDX-License-Identifier: MIT */
/*
 * socks.h - SOCKS proxy handshakes (RFC 1928 SOCKS5, RFC 1929 username/password
 * subnegotiation, SOCKS4 and its 4a extension), one message at a time from the start of a
 * reassembled stream, for following the TLS of the tunnel that opens after them.
 */
#ifndef DIS_SOCKS_H
#define DIS_SOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/status.h"

/** Room for a target host: a SOCKS5 domain is at most 255 bytes, plus the NUL. */
#define DIS_SOCKS_HOST_LEN 256

/** SOCKS5 reply code "succeeded" (RFC 1928 §6) and SOCKS4 "request granted". */
#define DIS_SOCKS5_REP_OK 0
#define DIS_SOCKS4_CD_OK 90
/** SOCKS5 METHOD "no acceptable methods" (RFC 1928 §3). */
#define DIS_SOCKS5_NO_METHOD 0xff
/** CMD CONNECT (both versions). */
#define DIS_SOCKS_CMD_CONNECT 1

/** Kinds of message. */
enum dis_socks_kind {
    DIS_SOCKS_GREETING = 1, /**< client: SOCKS5 VER NMETHODS METHODS */
    DIS_SOCKS_AUTH,         /**< client: RFC 1929 username/password (skipped, never copied) */
    DIS_SOCKS_REQUEST,      /**< client: SOCKS5 request, or SOCKS4(a) request */
    DIS_SOCKS_CHOICE,       /**< server: the METHOD it selected */
    DIS_SOCKS_AUTH_STATUS,  /**< server: RFC 1929 STATUS (0 success) */
    DIS_SOCKS_REPLY,        /**< server: SOCKS5 reply, or SOCKS4 reply */
};

/** One parsed message. Nothing in it points into the input. */
struct dis_socks_msg {
    enum dis_socks_kind kind;
    uint8_t version; /**< 5, or 4 (SOCKS4 request and reply) */
    size_t len;      /**< bytes the message takes at the start of the input */
    uint8_t code;    /**< REQUEST: CMD; CHOICE: METHOD; AUTH_STATUS: STATUS; REPLY: REP (SOCKS5)
                          or CD (SOCKS4, 90 granted); GREETING: NMETHODS */
    uint16_t port;   /**< REQUEST: DST.PORT; REPLY: BND.PORT (SOCKS4: DSTPORT) */
    bool domain;     /**< REQUEST: @c host is a name (ATYP 3, or SOCKS4a), not an address */
    char host[DIS_SOCKS_HOST_LEN]; /**< REQUEST: the target, a printable copy of the name
                                        (other bytes as '?') or the address as text; "" else */
};

/**
 * Whether an initiator's first bytes are a SOCKS5 greeting (VER 5, NMETHODS >= 1, no METHOD
 * 0xFF, followed by nothing, an RFC 1929 request or a SOCKS5 request) or a SOCKS4 CONNECT/BIND
 * request up to its NUL-terminated USERID. Returns DIS_OK, DIS_NEED_MORE or DIS_NOT_MINE.
 */
enum dis_status dis_socks_probe(const uint8_t *p, size_t len);

/**
 * Parses the client's message at the start of @p p (@p len bytes, borrowed for the call):
 * when @p first, a SOCKS5 greeting or a SOCKS4 request; else an RFC 1929 request (VER 1) or a
 * SOCKS5 request (VER 5). Returns DIS_OK with @p m filled, DIS_NEED_MORE when the message is
 * cut short, DIS_MALFORMED (an unknown ATYP, a SOCKS4 field without its NUL) or DIS_NOT_MINE
 * (an unexpected version byte).
 */
enum dis_status dis_socks_client_msg(const uint8_t *p, size_t len, bool first,
                                     struct dis_socks_msg *m);

/**
 * Parses the server's message at the start of @p p for a client of SOCKS @p version (4 or 5,
 * as its first message said): SOCKS4, the reply; SOCKS5 and @p first, the method choice; else
 * an RFC 1929 status (VER 1) or a reply (VER 5). Returns as dis_socks_client_msg().
 */
enum dis_status dis_socks_server_msg(const uint8_t *p, size_t len, uint8_t version, bool first,
                                     struct dis_socks_msg *m);

#endif
