/* SPDX-License-Identifier: MIT */
/*
 * http_connect.c - HTTP/1.x CONNECT requests and the proxy's responses (RFC 9110 §9.3.6,
 * RFC 9112 §2.2, §3.2.3, §5, §6.3). Stateless parsers over the start of a reassembled stream:
 * DIS_NEED_MORE until the blank line, bounded by DIS_HTTP_CONNECT_HEAD_MAX bytes and
 * DIS_HTTP_CONNECT_LINES_MAX lines. Lines end in CRLF or, leniently, a bare LF (RFC 9112 §2.2).
 */
#include "dissect/http_connect.h"

#include <string.h>

#include "dissect/rd.h"

static const char connect_prefix[] = "CONNECT ";
static const char http_prefix[] = "HTTP/1.";

/* Longest field name compared; longer names are valid tokens that match nothing we read. */
#define NAME_MAX_LEN 32

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static bool ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return false;
    return *a == *b;
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_alnum(int ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* tchar of RFC 9110 §5.6.2. */
static bool is_tchar(int ch)
{
    return ch > 0 && (is_alnum(ch) || strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static bool is_ows(int ch)
{
    return ch == ' ' || ch == '\t';
}

/*
 * DIS_OK if the bytes start with @p prefix, DIS_NEED_MORE if they are a proper prefix of it,
 * else DIS_NOT_MINE.
 */
static enum dis_status match_prefix(const uint8_t *p, size_t len, const char *prefix)
{
    struct rd r;
    rd_init(&r, p, len);
    size_t n = strlen(prefix);
    for (size_t i = 0; i < n; i++) {
        int ch = rd_peek_u8(&r, i);
        if (ch < 0)
            return DIS_NEED_MORE;
        if (ch != (unsigned char)prefix[i])
            return DIS_NOT_MINE;
    }
    return DIS_OK;
}

enum dis_status dis_http_connect_probe(const uint8_t *p, size_t len)
{
    return match_prefix(p, len, connect_prefix);
}

/*
 * Takes the next line off @p r into @p line (without its CRLF or LF). Returns false when no LF
 * is left in @p r: the line is not complete yet.
 */
static bool next_line(struct rd *r, struct rd *line)
{
    size_t left = rd_left(r);
    for (size_t i = 0; i < left; i++) {
        if (rd_peek_u8(r, i) != '\n')
            continue;
        size_t n = i;
        if (n > 0 && rd_peek_u8(r, n - 1) == '\r')
            n--;
        rd_sub(r, n, line);
        rd_skip(r, i + 1 - n);
        return true;
    }
    return false;
}

/* Narrows @p v to its bytes without leading and trailing OWS. */
static void trim_ows(struct rd *v)
{
    while (rd_left(v) > 0 && is_ows(rd_peek_u8(v, 0)))
        rd_skip(v, 1);
    size_t n = rd_left(v);
    while (n > 0 && is_ows(rd_peek_u8(v, n - 1)))
        n--;
    struct rd t;
    rd_sub(v, n, &t);
    *v = t;
}

/* Copies printable ASCII of @p v into @p dst (NUL-terminated); other bytes become '?'. */
static bool copy_text(struct rd v, char *dst, size_t cap)
{
    bool changed = false;
    size_t n = 0;
    while (rd_left(&v) > 0) {
        int ch = rd_u8(&v);
        if (n + 1 >= cap) {
            changed = true;
            break;
        }
        if (ch < 0x20 || ch > 0x7e) {
            ch = '?';
            changed = true;
        }
        dst[n++] = (char)ch;
    }
    dst[n] = '\0';
    return changed;
}

/* Copies the first token of @p v (an auth-scheme, RFC 9110 §11.1) into @p dst. */
static void copy_scheme(struct rd v, char *dst, size_t cap)
{
    size_t n = 0;
    while (rd_left(&v) > 0 && n + 1 < cap) {
        int ch = rd_u8(&v);
        if (!is_tchar(ch))
            break;
        dst[n++] = (char)ch;
    }
    dst[n] = '\0';
}

/* Does the comma-separated list @p v contain @p token (case-insensitive)? */
static bool list_has(struct rd v, const char *token)
{
    char item[NAME_MAX_LEN];
    for (unsigned guard = 0; guard < DIS_HTTP_CONNECT_HEAD_MAX && rd_left(&v) > 0; guard++) {
        size_t n = 0;
        bool long_item = false;
        while (rd_left(&v) > 0) {
            int ch = rd_u8(&v);
            if (ch == ',')
                break;
            if (is_ows(ch))
                continue;
            if (n + 1 < sizeof item)
                item[n++] = (char)ch;
            else
                long_item = true;
        }
        item[n] = '\0';
        if (!long_item && ieq(item, token))
            return true;
    }
    return false;
}

/* The last element of a comma-separated list is @p token (Transfer-Encoding: ..., chunked). */
static bool list_ends_with(struct rd v, const char *token)
{
    char item[NAME_MAX_LEN];
    size_t n = 0;
    bool long_item = false;
    while (rd_left(&v) > 0) {
        int ch = rd_u8(&v);
        if (ch == ',') {
            n = 0;
            long_item = false;
            continue;
        }
        if (is_ows(ch))
            continue;
        if (n + 1 < sizeof item)
            item[n++] = (char)ch;
        else
            long_item = true;
    }
    item[n] = '\0';
    return !long_item && ieq(item, token);
}

/*
 * Splits a field line "name: value" (RFC 9112 §5): @p name receives the name (empty when longer
 * than NAME_MAX_LEN - 1), @p value the value without OWS. False for a malformed line:
 * no colon, an empty name, a byte that is not a tchar in the name (whitespace before the colon
 * included, §5.1), or an obsolete line folding (§5.2).
 */
static bool split_field(struct rd line, char *name, struct rd *value)
{
    size_t n = 0;
    int ch = rd_peek_u8(&line, 0);
    if (is_ows(ch))
        return false; /* obs-fold */
    for (;;) {
        ch = rd_u8(&line);
        if (!rd_ok(&line))
            return false;
        if (ch == ':')
            break;
        if (!is_tchar(ch))
            return false;
        if (n + 1 < NAME_MAX_LEN)
            name[n] = (char)ch;
        n++;
    }
    if (n == 0)
        return false;
    name[n < NAME_MAX_LEN ? n : 0] = '\0';
    *value = line;
    trim_ows(value);
    return true;
}

/* Reads "HTTP/1.d" at the reader; returns the minor digit or -1. */
static int read_version(struct rd *r)
{
    for (size_t i = 0; i < sizeof http_prefix - 1; i++)
        if (rd_u8(r) != (unsigned char)http_prefix[i])
            return -1;
    int d = rd_u8(r);
    if (!rd_ok(r) || !is_digit(d))
        return -1;
    return d - '0';
}

/* Parses a decimal port 1..65535 (1 to 5 digits) from @p s; returns 0 when invalid. */
static uint16_t parse_port(const char *s)
{
    uint32_t v = 0;
    size_t n = 0;
    for (; is_digit((unsigned char)*s); s++, n++) {
        if (n == 5)
            return 0;
        v = v * 10 + (uint32_t)(*s - '0');
    }
    if (*s != '\0' || n == 0 || v == 0 || v > 65535)
        return 0;
    return (uint16_t)v;
}

/* reg-name characters of RFC 3986 §3.2.2 (unreserved, pct-encoded, sub-delims). */
static bool is_host_char(int ch)
{
    return is_alnum(ch) || (ch > 0 && strchr("-._~%!$&'()*+,;=", ch) != NULL);
}

/* IPv6 literal characters, and a zone ID after "%25" (RFC 6874). */
static bool is_v6_char(int ch)
{
    return is_alnum(ch) || ch == ':' || ch == '.' || ch == '%' || ch == '-' || ch == '_' ||
           ch == '~';
}

/*
 * Parses the authority-form target "host:port" or "[v6]:port" (RFC 9112 §3.2.3) from the
 * NUL-terminated @p t into @p out. Returns false when malformed.
 */
static bool parse_target(char *t, struct dis_http_connect_req *out)
{
    char *host = t, *colon;
    if (t[0] == '[') {
        char *close = strchr(t, ']');
        if (!close || close[1] != ':')
            return false;
        *close = '\0';
        host = t + 1;
        colon = close + 1;
        if (!strchr(host, ':'))
            return false;
        for (const char *c = host; *c; c++)
            if (!is_v6_char((unsigned char)*c))
                return false;
        out->ipv6 = true;
    } else {
        colon = strrchr(t, ':');
        if (!colon)
            return false;
        *colon = '\0';
        for (const char *c = host; *c; c++)
            if (!is_host_char((unsigned char)*c))
                return false;
    }
    size_t hlen = strlen(host);
    if (hlen == 0 || hlen >= sizeof out->host)
        return false;
    out->port = parse_port(colon + 1);
    if (out->port == 0)
        return false;
    memcpy(out->host, host, hlen + 1);
    return true;
}

/* "CONNECT target HTTP/1.d" (the probe already matched "CONNECT "). */
static bool parse_request_line(struct rd line, struct dis_http_connect_req *out)
{
    char target[DIS_HTTP_HOST_LEN + 8];
    size_t n = 0;
    rd_skip(&line, sizeof connect_prefix - 1);
    for (;;) {
        int ch = rd_u8(&line);
        if (!rd_ok(&line))
            return false;
        if (ch == ' ')
            break;
        if (ch <= 0x20 || ch > 0x7e || n + 1 >= sizeof target)
            return false;
        target[n++] = (char)ch;
    }
    target[n] = '\0';
    int minor = read_version(&line);
    if (minor < 0 || rd_left(&line) != 0)
        return false;
    out->minor = (uint8_t)minor;
    return parse_target(target, out);
}

/* The header is not complete: more bytes may complete it, unless the bound is reached. */
static enum dis_status incomplete(size_t len)
{
    return len >= DIS_HTTP_CONNECT_HEAD_MAX ? DIS_MALFORMED : DIS_NEED_MORE;
}

enum dis_status dis_http_connect_request(const uint8_t *p, size_t len,
                                         struct dis_http_connect_req *out)
{
    memset(out, 0, sizeof *out);
    enum dis_status st = dis_http_connect_probe(p, len);
    if (st != DIS_OK)
        return st;
    size_t avail = len < DIS_HTTP_CONNECT_HEAD_MAX ? len : DIS_HTTP_CONNECT_HEAD_MAX;
    struct rd r, line, value;
    rd_init(&r, p, avail);
    if (!next_line(&r, &line))
        return incomplete(len);
    if (!parse_request_line(line, out))
        return DIS_MALFORMED;
    for (unsigned lines = 1;; lines++) {
        if (lines >= DIS_HTTP_CONNECT_LINES_MAX)
            return DIS_MALFORMED;
        if (!next_line(&r, &line))
            return incomplete(len);
        if (rd_left(&line) == 0)
            break;
        char name[NAME_MAX_LEN];
        if (!split_field(line, name, &value))
            return DIS_MALFORMED;
        if (ieq(name, "Host")) {
            out->has_host = true;
            copy_text(value, out->host_field, sizeof out->host_field);
        } else if (ieq(name, "Proxy-Authorization")) {
            out->proxy_auth = true;
            copy_scheme(value, out->auth_scheme, sizeof out->auth_scheme);
        } else if (ieq(name, "User-Agent")) {
            out->ua_truncated = copy_text(value, out->user_agent, sizeof out->user_agent);
        }
    }
    out->header_len = (uint32_t)(avail - rd_left(&r));
    return DIS_OK;
}

/* Content-Length: 1*DIGIT (RFC 9110 §8.6); returns false when not a number or too large. */
static bool parse_length(struct rd v, uint64_t *out)
{
    uint64_t x = 0;
    if (rd_left(&v) == 0)
        return false;
    while (rd_left(&v) > 0) {
        int ch = rd_u8(&v);
        if (!is_digit(ch) || x > (UINT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (uint64_t)(ch - '0');
    }
    *out = x;
    return true;
}

/* "HTTP/1.d NNN [reason]" (RFC 9112 §4). */
static bool parse_status_line(struct rd line, struct dis_http_connect_resp *out)
{
    int minor = read_version(&line);
    if (minor < 0 || rd_u8(&line) != ' ')
        return false;
    unsigned code = 0;
    for (int i = 0; i < 3; i++) {
        int ch = rd_u8(&line);
        if (!is_digit(ch))
            return false;
        code = code * 10 + (unsigned)(ch - '0');
    }
    if (!rd_ok(&line) || code < 100 || code > 599)
        return false;
    if (rd_left(&line) > 0 && rd_u8(&line) != ' ')
        return false;
    out->minor = (uint8_t)minor;
    out->status = (uint16_t)code;
    copy_text(line, out->reason, sizeof out->reason);
    return true;
}

enum dis_status dis_http_connect_response(const uint8_t *p, size_t len,
                                          struct dis_http_connect_resp *out)
{
    memset(out, 0, sizeof *out);
    enum dis_status st = match_prefix(p, len, http_prefix);
    if (st != DIS_OK)
        return st;
    size_t avail = len < DIS_HTTP_CONNECT_HEAD_MAX ? len : DIS_HTTP_CONNECT_HEAD_MAX;
    struct rd r, line, value;
    rd_init(&r, p, avail);
    if (!next_line(&r, &line))
        return incomplete(len);
    if (!parse_status_line(line, out))
        return DIS_MALFORMED;
    for (unsigned lines = 1;; lines++) {
        if (lines >= DIS_HTTP_CONNECT_LINES_MAX)
            return DIS_MALFORMED;
        if (!next_line(&r, &line))
            return incomplete(len);
        if (rd_left(&line) == 0)
            break;
        char name[NAME_MAX_LEN];
        if (!split_field(line, name, &value))
            return DIS_MALFORMED;
        if (ieq(name, "Proxy-Authenticate")) {
            if (!out->proxy_authenticate)
                copy_scheme(value, out->auth_scheme, sizeof out->auth_scheme);
            out->proxy_authenticate = true;
            if (out->n_authenticate < UINT8_MAX)
                out->n_authenticate++;
        } else if (ieq(name, "Content-Length")) {
            uint64_t cl;
            /* Differing repeated lengths make the message unparseable (RFC 9112 §6.3). */
            if (!parse_length(value, &cl) || (out->has_content_length && cl != out->content_length))
                return DIS_MALFORMED;
            out->has_content_length = true;
            out->content_length = cl;
        } else if (ieq(name, "Transfer-Encoding")) {
            out->chunked = list_ends_with(value, "chunked");
        } else if (ieq(name, "Connection") || ieq(name, "Proxy-Connection")) {
            if (list_has(value, "close"))
                out->conn_close = true;
        }
    }
    out->header_len = (uint32_t)(avail - rd_left(&r));
    /* RFC 9112 §6.3: a 2xx to CONNECT switches to the tunnel, whatever the fields say. */
    if (out->status < 300 || out->status == 204 || out->status == 304)
        out->body = DIS_HTTP_BODY_NONE;
    else if (out->chunked)
        out->body = DIS_HTTP_BODY_CHUNKED;
    else if (out->has_content_length)
        out->body = DIS_HTTP_BODY_LENGTH;
    else
        out->body = DIS_HTTP_BODY_UNTIL_CLOSE;
    return DIS_OK;
}
