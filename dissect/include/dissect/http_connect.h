/* SPDX-License-Identifier: MIT */
/*
 * http_connect.h - HTTP/1.x CONNECT through an explicit proxy, on any port (RFC 9110 §9.3.6,
 * RFC 9112 §3.2.3 authority-form, §2.2 message parsing, §6.3 message body length; RFC 9110
 * §11.7.1 Proxy-Authenticate, §11.7.2 Proxy-Authorization).
 *
 * Both parsers are stateless: they take the stream bytes from the start of the message (the
 * reassembled view of tcp_reasm) and answer DIS_NEED_MORE until the header ends with its blank
 * line. A caller whose message arrives in pieces calls again with the longer stream; nothing is
 * kept between calls. On DIS_OK, header_len says where the header ends: after a 2xx response
 * the tunnel (usually TLS, dissected as TLS of the same flow) starts there on both sides; after
 * another status, the body described by @c body follows, and the client may try again.
 *
 * Only the credentials' scheme is kept, never the credentials.
 */
#ifndef DIS_HTTP_CONNECT_H
#define DIS_HTTP_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/status.h"

/** Longest header accepted (start line + fields + blank line); longer is DIS_MALFORMED. */
#define DIS_HTTP_CONNECT_HEAD_MAX 8192
/** Most header lines accepted (start line included). */
#define DIS_HTTP_CONNECT_LINES_MAX 64
/** Sizes of the copied strings, NUL included. */
#define DIS_HTTP_HOST_LEN 256
#define DIS_HTTP_UA_LEN 128
#define DIS_HTTP_SCHEME_LEN 24
#define DIS_HTTP_REASON_LEN 64

/** A CONNECT request: "CONNECT host:port HTTP/1.x" and the fields of interest. */
struct dis_http_connect_req {
    char host[DIS_HTTP_HOST_LEN];          /**< target host; an IPv6 literal without its brackets */
    uint16_t port;                         /**< target port, 1..65535 */
    bool ipv6;                             /**< the target was a bracketed IPv6 literal */
    uint8_t minor;                         /**< HTTP/1.minor */
    bool has_host;                         /**< a Host field was present */
    char host_field[DIS_HTTP_HOST_LEN];    /**< its value (bounded copy) */
    bool proxy_auth;                       /**< a Proxy-Authorization field was present */
    char auth_scheme[DIS_HTTP_SCHEME_LEN]; /**< its scheme ("Basic", "NTLM", ...), not the rest */
    char user_agent[DIS_HTTP_UA_LEN];      /**< User-Agent, printable ASCII, bounded */
    bool ua_truncated;                     /**< user_agent was cut or had bytes replaced by '?' */
    uint32_t header_len;                   /**< bytes up to and including the blank line */
};

/** How the body after a response header ends (RFC 9112 §6.3). */
enum dis_http_body {
    DIS_HTTP_BODY_NONE,        /**< no body: 1xx, 2xx (tunnel follows), 204, 304 */
    DIS_HTTP_BODY_LENGTH,      /**< content_length bytes */
    DIS_HTTP_BODY_CHUNKED,     /**< chunked transfer coding */
    DIS_HTTP_BODY_UNTIL_CLOSE, /**< until the proxy closes the connection */
};

/** A proxy's response to CONNECT: "HTTP/1.x NNN reason" and the fields of interest. */
struct dis_http_connect_resp {
    uint16_t status;                       /**< 100..599 */
    uint8_t minor;                         /**< HTTP/1.minor */
    char reason[DIS_HTTP_REASON_LEN];      /**< reason phrase, printable ASCII, bounded */
    bool proxy_authenticate;               /**< at least one Proxy-Authenticate field */
    uint8_t n_authenticate;                /**< Proxy-Authenticate fields seen (saturates at 255) */
    char auth_scheme[DIS_HTTP_SCHEME_LEN]; /**< scheme of the first challenge ("Basic", ...) */
    bool has_content_length;               /**< Content-Length present (ignored after 2xx) */
    uint64_t content_length;               /**< its value */
    bool chunked;                          /**< Transfer-Encoding ends in chunked */
    bool conn_close;                       /**< Connection or Proxy-Connection: close */
    enum dis_http_body body;               /**< how the body after the header ends */
    uint32_t header_len;                   /**< bytes up to and including the blank line */
};

/**
 * Request-side probe: DIS_OK when @p p starts with "CONNECT ", DIS_NEED_MORE while the @p len
 * bytes are a proper prefix of it, DIS_NOT_MINE otherwise.
 */
enum dis_status dis_http_connect_probe(const uint8_t *p, size_t len);

/**
 * Parses a CONNECT request header from the start of the client's stream (@p len bytes at @p p,
 * borrowed). @p out is filled on DIS_OK and unspecified otherwise. Returns DIS_OK,
 * DIS_NEED_MORE (header not complete yet, under DIS_HTTP_CONNECT_HEAD_MAX), DIS_NOT_MINE (not a
 * CONNECT request line), or DIS_MALFORMED (bad target, version or field; header too long or
 * with too many lines).
 */
enum dis_status dis_http_connect_request(const uint8_t *p, size_t len,
                                         struct dis_http_connect_req *out);

/**
 * Parses a proxy's response header from the start of the proxy's stream (or from where the
 * previous response's body ended). Same returns as dis_http_connect_request(); DIS_NOT_MINE when
 * the bytes do not start an HTTP/1.x status line.
 */
enum dis_status dis_http_connect_response(const uint8_t *p, size_t len,
                                          struct dis_http_connect_resp *out);

#endif
