/* SPDX-License-Identifier: MIT */
/* rep.c - rep_write(): picks the renderer inside one read snapshot; shared output helpers. */
#define _POSIX_C_SOURCE 200809L

#include "rep_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

/* ---- output sink ---- */

void rep__write(struct rep__out *w, const char *s, size_t n)
{
    if (w->err || n == 0)
        return;
    errno = 0;
    if (fwrite(s, 1, n, w->f) != n)
        w->err = errno ? errno : EIO;
}

void rep__puts(struct rep__out *w, const char *s)
{
    rep__write(w, s, strlen(s));
}

void rep__printf(struct rep__out *w, const char *fmt, ...)
{
    va_list ap;

    if (w->err)
        return;
    errno = 0;
    va_start(ap, fmt);
    if (vfprintf(w->f, fmt, ap) < 0)
        w->err = errno ? errno : EIO;
    va_end(ap);
}

void rep__set_error(struct rep__out *w)
{
    if (!w->err)
        w->err = errno ? errno : EIO;
}

/* ---- text helpers ---- */

size_t rep__utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    uint32_t v, min;
    size_t k;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        k = 2;
        v = c & 0x1f;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        k = 3;
        v = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return k;
}

/* Characters that reorder or break the displayed line (Trojan Source, CVE-2021-42574). */
static int rep__invisible(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t rep__escape(const char *s, char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, width = 0, mark = 0, wmark = 0;

    if (len == 0)
        return 0;
    buf[0] = '\0';
    if (!s)
        return 0;
    while (*p) {
        char tmp[16];
        const char *piece = tmp;
        size_t plen;
        uint32_t cp = 0;
        /* NUL-terminated: a NUL is never a continuation byte, so 4 is a safe bound. */
        int n = (int)rep__utf8(p, 4, &cp);

        if (n == 0) {
            snprintf(tmp, sizeof tmp, "\\x%02x", *p);
            n = 1;
        } else if (cp == '\\') {
            piece = "\\\\";
        } else if (cp == '\n') {
            piece = "\\n";
        } else if (cp == '\r') {
            piece = "\\r";
        } else if (cp == '\t') {
            piece = "\\t";
        } else if (cp < 0x20 || cp == 0x7f) {
            snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned)cp);
        } else if (rep__invisible(cp)) {
            snprintf(tmp, sizeof tmp, "\\u{%04x}", (unsigned)cp);
        } else {
            piece = (const char *)p;
        }
        plen = piece == (const char *)p ? (size_t)n : strlen(piece);
        if (o + plen >= len) {
            /* Does not fit: go back to the last point that leaves room for "...". */
            o = mark;
            width = wmark;
            if (o + 3 < len) {
                memcpy(buf + o, "...", 3);
                o += 3;
                width += 3;
            }
            break;
        }
        memcpy(buf + o, piece, plen);
        o += plen;
        width += piece == (const char *)p ? 1 : plen;
        if (o + 3 < len) {
            mark = o;
            wmark = width;
        }
        p += n;
    }
    buf[o] = '\0';
    return width;
}

void rep__iso8601(double t, char *buf, size_t len)
{
    struct tm tm;
    time_t sec;
    int64_t us;
    size_t n;

    if (t <= 0 || t > 253402300799.0) { /* none, or past year 9999 */
        snprintf(buf, len, "-");
        return;
    }
    /* Round to microseconds first, so 0.123 (stored as 0.12299999...) prints as .123. */
    us = (int64_t)(t * 1e6 + 0.5);
    sec = (time_t)(us / 1000000);
    if (!gmtime_r(&sec, &tm)) {
        snprintf(buf, len, "-");
        return;
    }
    n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03dZ", (int)(us % 1000000 / 1000));
}

void rep__bytes(int64_t n, char *buf, size_t len)
{
    static const char *const units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
    double v = (double)n;
    int i = -1;

    if (n < 1000) {
        snprintf(buf, len, "%" PRId64 " B", n);
        return;
    }
    /* Divide until one decimal place keeps it below 1000 ("999.96 kB" is "1.0 MB"). */
    while (v >= 999.95 && i < 5) {
        v /= 1000.0;
        i++;
    }
    snprintf(buf, len, "%.1f %s", v, units[i]);
}

void rep__duration(double secs, char *buf, size_t len)
{
    long s;

    if (secs < 0)
        secs = 0;
    if (secs < 1.0) {
        snprintf(buf, len, "%.1f ms", secs * 1000.0);
        return;
    }
    if (secs < 60.0) {
        snprintf(buf, len, "%.3f s", secs);
        return;
    }
    s = (long)secs;
    if (s < 3600)
        snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, len, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
}

/* ---- entry point ---- */

/* ---- TLS ---- */

const char *rep__tls_alert_name(int desc)
{
    /* The IANA TLS Alerts registry (RFC 8446 §6, RFC 5246 §7.2, RFC 7301 §3.2, and ECH's). */
    static const struct {
        int code;
        const char *name;
    } alerts[] = {
        {0, "close_notify"},
        {10, "unexpected_message"},
        {20, "bad_record_mac"},
        {21, "decryption_failed"},
        {22, "record_overflow"},
        {30, "decompression_failure"},
        {40, "handshake_failure"},
        {41, "no_certificate"},
        {42, "bad_certificate"},
        {43, "unsupported_certificate"},
        {44, "certificate_revoked"},
        {45, "certificate_expired"},
        {46, "certificate_unknown"},
        {47, "illegal_parameter"},
        {48, "unknown_ca"},
        {49, "access_denied"},
        {50, "decode_error"},
        {51, "decrypt_error"},
        {60, "export_restriction"},
        {70, "protocol_version"},
        {71, "insufficient_security"},
        {80, "internal_error"},
        {86, "inappropriate_fallback"},
        {90, "user_canceled"},
        {100, "no_renegotiation"},
        {109, "missing_extension"},
        {110, "unsupported_extension"},
        {111, "certificate_unobtainable"},
        {112, "unrecognized_name"},
        {113, "bad_certificate_status_response"},
        {114, "bad_certificate_hash_value"},
        {115, "unknown_psk_identity"},
        {116, "certificate_required"},
        {120, "no_application_protocol"},
        {121, "ech_required"},
    };

    for (size_t i = 0; i < sizeof alerts / sizeof alerts[0]; i++)
        if (alerts[i].code == desc)
            return alerts[i].name;
    return NULL;
}

int rep_write(struct sto_db *db, const struct rep_opts *o, FILE *out, char err[SS_ERRBUF_SIZE])
{
    struct rep__out w = {.f = out, .err = 0};
    int ret;

    err[0] = '\0';
    /* One snapshot for every query, so totals, captures and flows agree while a capture
     * keeps writing to the database. */
    if (sto_read_begin(db) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "%s", sto_errstr(db));
        return -1;
    }
    switch (o->format) {
    case REP_TEXT:
        ret = rep__text(db, o, &w, err);
        break;
    case REP_JSON:
        ret = rep__json(db, o, &w, err);
        break;
    case REP_MARKDOWN:
        ret = rep__markdown(db, o, &w, err);
        break;
    case REP_HTML:
        ret = rep__html(db, o, &w, err);
        break;
    case REP_CSV:
        ret = rep__csv(db, o, &w, err);
        break;
    default:
        snprintf(err, SS_ERRBUF_SIZE, "unknown report format %d", (int)o->format);
        ret = -1;
        break;
    }
    if (sto_read_end(db) < 0 && ret == 0) {
        snprintf(err, SS_ERRBUF_SIZE, "%s", sto_errstr(db));
        ret = -1;
    }
    errno = 0;
    if (!w.err && (fflush(out) != 0 || ferror(out)))
        rep__set_error(&w);
    if (w.err && !err[0])
        snprintf(err, SS_ERRBUF_SIZE, "writing report: %s", strerror(w.err));
    return w.err || ret < 0 ? -1 : 0;
}
