/* SPDX-License-Identifier: MIT */
/* rep_int.h - private to report/: output sink with a sticky write error, text helpers. */
#ifndef REP_REP_INT_H
#define REP_REP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/rep.h"

/** Where a report goes. After the first failed write nothing more is written and @c err holds
 *  its errno (EIO when the C library gave none). */
struct rep__out {
    FILE *f;
    int err;
};

/** Writes @p n bytes unless an earlier write failed. */
void rep__write(struct rep__out *w, const char *s, size_t n);
/** Writes the NUL-terminated @p s. */
void rep__puts(struct rep__out *w, const char *s);
/** Formatted write. */
__attribute__((format(printf, 2, 3))) void rep__printf(struct rep__out *w, const char *fmt, ...);
/** Records a failure reported by a writer that is not ours (json_dumpf). */
void rep__set_error(struct rep__out *w);

/**
 * Copies @p s into @p buf (size @p len, always NUL-terminated), escaped for a terminal: C0 and
 * C1 control characters, DEL and the Unicode bidi controls become \xNN or \u{NNNN}, a backslash
 * becomes "\\", bytes that are not valid UTF-8 become \xNN; valid UTF-8 passes through. When
 * the result does not fit, it is cut at a character boundary and ends in "...". The output is
 * valid UTF-8. @p s may be NULL (empty result). Returns the result's width in characters.
 */
size_t rep__escape(const char *s, char *buf, size_t len);

/** Formats epoch seconds @p t as UTC ISO 8601 with milliseconds ("2023-11-14T22:13:20.123Z"),
 *  or "-" when @p t is 0. */
void rep__iso8601(double t, char *buf, size_t len);
/** Formats a byte count for people: "512 B", "1.2 kB", "3.4 MB" (SI units). */
void rep__bytes(int64_t n, char *buf, size_t len);
/** Formats a duration in seconds: "0.8 ms", "1.234 s", "2m03s", "1h02m". */
void rep__duration(double secs, char *buf, size_t len);

/** The name of TLS AlertDescription @p desc in the IANA registry (RFC 8446 §6, RFC 5246 §7.2):
 *  "handshake_failure", "unknown_ca", ...; NULL for a value without a name. */
const char *rep__tls_alert_name(int desc);

/** The two renderers. Return 0, or -1 with @p err set (database error) or with @p err empty
 *  and @c w->err set (write error). */
int rep__json(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err);
int rep__text(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err);

#endif
