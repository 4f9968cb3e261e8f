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

/** Length (1-4) of the valid UTF-8 sequence at @p s, reading at most @p n bytes, and its code
 *  point in @p cp; 0 when it is not valid (overlong, surrogate, beyond U+10FFFF, cut short).
 *  On a NUL-terminated string any @p n up to 4 is safe: a NUL is never a continuation byte. */
size_t rep__utf8(const unsigned char *s, size_t n, uint32_t *cp);

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

/** The renderers. Return 0, or -1 with @p err set (database error) or with @p err empty and
 *  @c w->err set (write error). */
int rep__json(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err);
int rep__text(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err);
int rep__markdown(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err);
int rep__html(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err);
int rep__csv(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err);

/**
 * One row of the requirement checklist: a rule of the profile the capture(s) were analysed
 * with, and how the traffic fared against it. Strings are borrowed until the callback
 * returns; texts come from the database (and so from packets): escape them for the format.
 */
struct rep__check {
    const char *rule;     /**< rule id ("cloud") */
    const char *hosts;    /**< its destinations ("*.senso.cloud"), space separated */
    const char *ports;    /**< its ports ("tcp/443 udp/3478") */
    const char *used_for; /**< what the product uses it for */
    const char *status;   /**< "ok", "blocked", "inspected" or "not_seen" (worst first) */
    int64_t flows;        /**< flows attributed to the rule */
    int64_t flows_ok;     /**< ... of which answered (TCP established, UDP both ways) */
    int64_t blocked;      /**< blocked verdicts with this rule */
    int64_t inspected;    /**< inspected verdicts with this rule */
    const char *codes;    /**< the verdict codes with counts ("tcp_no_answer 3, dns_failure 1"),
                               "" when none */
    int n_examples;
    const char *examples[3]; /**< example flows, worst first: "tcp 10.0.0.5:41000 ->
                                  192.0.2.32:443 sensologarchivestorage.blob.core.windows.net
                                  (tcp_reset_after_hello)" */
    const char *change;      /**< the change to make, in plain words; "" when ok/not_seen */
};
typedef int (*rep__check_cb)(void *user, const struct rep__check *c);
/** Computes the checklist (o->filter applies: capture, since/until, rule) and calls @p cb once
 *  per rule, in profile order. Returns 0, the callback's nonzero value, or -1 with @p err. */
int rep__checklist(struct sto_db *db, const struct rep_opts *o, rep__check_cb cb, void *user,
                   char *err);

/**
 * Anonymisation (rep_opts.anonymize): addresses and the names that are not the profile's
 * become pseudonyms, the same input always the same pseudonym within one report ("10.0.0.5"
 * -> "lan-host-1", "2001:db8::7" -> "net-host-3", "laptop.school.local" -> "name-2"); names
 * that match a rule of the profile ("app.senso.cloud") are kept, so the report stays
 * useful to the vendor. rep__anon_text() rewrites every IPv4/IPv6 literal (with or without
 * a port) and every known local name inside free text (explanations, evidence).
 */
struct rep__anon;
struct rep__anon *rep__anon_new(struct sto_db *db, char *err);
void rep__anon_free(struct rep__anon *a);
/** @p s, anonymised into @p buf (size @p len, NUL-terminated, cut at a UTF-8 boundary);
 *  returns @p buf. @p a may be NULL: then @p s is copied unchanged. */
const char *rep__anon_addr(struct rep__anon *a, const char *addr, char *buf, size_t len);
const char *rep__anon_name(struct rep__anon *a, const char *name, char *buf, size_t len);
const char *rep__anon_text(struct rep__anon *a, const char *text, char *buf, size_t len);
/** A capture's source as a report shows it: "(stdin)" for "-"; anonymised, a file becomes
 *  "capture-ID" with the file's extension (a path can name the school), a live interface
 *  keeps its name. @p kind is the capture's kind ("file", "live"). Returns @p buf. */
const char *rep__anon_source(struct rep__anon *a, int64_t id, const char *kind, const char *source,
                             char *buf, size_t len);

#endif
