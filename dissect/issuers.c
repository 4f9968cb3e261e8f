/* SPDX-License-Identifier: MIT */
/*
 * issuers.c - the list of known HTTPS-inspection products (DESIGN.md "Verdicts",
 * inspection_issuer): "vendor<TAB>pattern" lines, a pattern matching when it occurs in a
 * certificate issuer's distinguished name (RFC 2253 one-line form), ignoring case. The list is
 * data: data/inspection-issuers.tsv ships with sensoscope, a user's file is appended to it.
 */
#include "dissect/profile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISS_VENDOR_LEN 64
#define ISS_PATTERN_LEN 128
#define ISS_MAX 4096 /* entries over all files */

struct iss_entry {
    char vendor[ISS_VENDOR_LEN];
    char pattern[ISS_PATTERN_LEN]; /* lower case */
};

struct dis_issuers {
    size_t n, cap;
    struct iss_entry *e;
};

static bool iss_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Trims [*b, *e) of spaces at both ends. */
static void iss_trim(const char **b, const char **e)
{
    while (*b < *e && iss_space(**b))
        (*b)++;
    while (*e > *b && iss_space((*e)[-1]))
        (*e)--;
}

/* One non-comment line [s, e); returns 0 or -1 with @p err. */
static int iss_line(struct dis_issuers *l, const char *s, const char *e, const char *name,
                    unsigned line, char err[SS_ERRBUF_SIZE])
{
    const char *tab = memchr(s, '\t', (size_t)(e - s));
    if (!tab) {
        snprintf(err, SS_ERRBUF_SIZE, "%s:%u: no tab (expected vendor<TAB>pattern)", name, line);
        return -1;
    }
    if (memchr(tab + 1, '\t', (size_t)(e - tab - 1))) {
        snprintf(err, SS_ERRBUF_SIZE, "%s:%u: more than one tab (expected vendor<TAB>pattern)",
                 name, line);
        return -1;
    }
    const char *vb = s, *ve = tab, *pb = tab + 1, *pe = e;
    iss_trim(&vb, &ve);
    iss_trim(&pb, &pe);
    if (vb == ve || pb == pe) {
        snprintf(err, SS_ERRBUF_SIZE, "%s:%u: empty %s", name, line,
                 vb == ve ? "vendor" : "pattern");
        return -1;
    }
    size_t vn = (size_t)(ve - vb), pn = (size_t)(pe - pb);
    if (vn >= ISS_VENDOR_LEN || pn >= ISS_PATTERN_LEN) {
        snprintf(err, SS_ERRBUF_SIZE, "%s:%u: %s too long (at most %d characters)", name, line,
                 vn >= ISS_VENDOR_LEN ? "vendor" : "pattern",
                 vn >= ISS_VENDOR_LEN ? ISS_VENDOR_LEN - 1 : ISS_PATTERN_LEN - 1);
        return -1;
    }
    if (memchr(vb, '\0', vn) || memchr(pb, '\0', pn)) {
        snprintf(err, SS_ERRBUF_SIZE, "%s:%u: NUL byte in the line", name, line);
        return -1;
    }
    if (l->n == ISS_MAX) {
        snprintf(err, SS_ERRBUF_SIZE, "%s:%u: too many patterns (at most %d in all)", name, line,
                 ISS_MAX);
        return -1;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct iss_entry *ne = realloc(l->e, cap * sizeof *ne);
        if (!ne) {
            snprintf(err, SS_ERRBUF_SIZE, "%s:%u: out of memory", name, line);
            return -1;
        }
        l->e = ne;
        l->cap = cap;
    }
    struct iss_entry *en = &l->e[l->n++];
    memcpy(en->vendor, vb, vn);
    en->vendor[vn] = '\0';
    for (size_t i = 0; i < pn; i++)
        en->pattern[i] = (char)tolower((unsigned char)pb[i]);
    en->pattern[pn] = '\0';
    return 0;
}

int dis_issuers_parse(const char *text, size_t len, const char *name, struct dis_issuers **io,
                      char err[SS_ERRBUF_SIZE])
{
    struct dis_issuers *l = *io;
    bool created = false;
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l) {
            snprintf(err, SS_ERRBUF_SIZE, "%s: out of memory", name);
            return -1;
        }
        created = true;
    }
    size_t before = l->n;
    unsigned line = 0;
    size_t pos = 0;
    int rc = 0;
    while (pos < len && rc == 0) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        const char *e = nl ? nl : text + len;
        pos = (size_t)(e - text) + (nl ? 1 : 0);
        line++;
        const char *b = s, *t = e;
        iss_trim(&b, &t);
        if (b == t || *b == '#')
            continue;
        rc = iss_line(l, s, e, name, line, err);
    }
    if (rc < 0) {
        /* All or nothing: a file with an error adds no pattern. */
        l->n = before;
        if (created)
            dis_issuers_free(l);
        return -1;
    }
    *io = l;
    return 0;
}

void dis_issuers_free(struct dis_issuers *l)
{
    if (!l)
        return;
    free(l->e);
    free(l);
}

size_t dis_issuers_count(const struct dis_issuers *l)
{
    return l ? l->n : 0;
}

/* Does lower-case @p pat occur in @p s, ignoring case? */
static bool contains_nocase(const char *s, const char *pat)
{
    size_t pn = strlen(pat);
    for (; *s; s++) {
        size_t i = 0;
        while (i < pn && s[i] && tolower((unsigned char)s[i]) == (unsigned char)pat[i])
            i++;
        if (i == pn)
            return true;
    }
    return false;
}

const char *dis_issuers_match(const struct dis_issuers *l, const char *issuer_dn)
{
    if (!l || !issuer_dn)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        if (contains_nocase(issuer_dn, l->e[i].pattern))
            return l->e[i].vendor;
    }
    return NULL;
}
