/* SPDX-License-Identifier: MIT */
/*
 * rep_anon.c - anonymisation of a report (rep_opts.anonymize): addresses and the names that
 * are not the profile's become pseudonyms, the same input the same pseudonym within a report.
 *
 * Addresses: local ones (RFC 1918, RFC 6598 shared space, RFC 4193 unique local, link-local,
 * loopback: the DESIGN.md default local networks; the `rules` table stores no networks) become
 * "lan-host-N" (IPv4) / "lan6-host-N" (IPv6), others "net-host-N" / "net6-host-N", numbered per
 * kind in order of first appearance. Unspecified, limited-broadcast and multicast addresses
 * identify nobody and stay as they are. An IPv4-mapped IPv6 address is classified by its IPv4
 * part. A port after an address is kept.
 *
 * Names: a name matching a host pattern of a rule of the database's `rules` table (exact, or
 * "*.domain" for a name below domain) is kept; "*" matches any destination and so keeps no
 * name. Every other name becomes "name-N". Names are compared in ASCII lower case without a
 * trailing dot.
 *
 * Numbering: rep__anon_new() walks the whole database once (flows in time order with their
 * addresses and hosts, then SNIs, DNS questions and answers, verdict hosts, host names,
 * CONNECT targets) and numbers every address and name in order of first appearance there. So
 * the pseudonyms do not depend on the format, the CSV table or the filters: 10.0.0.5 is the
 * same lan-host-N in every report of one database, and CSV tables can be joined; free text
 * can name a host before any field did. Values met only later (not in those walks) get the
 * next number when first seen.
 *
 * Every string read here may come from packets: input is read up to its NUL only, any byte
 * value is accepted, and output is always NUL-terminated and cut at a UTF-8 character boundary
 * (an invalid byte counts as one character).
 */
#define _POSIX_C_SOURCE 200809L

#include "rep_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define REP__ANON_PATTERNS_MAX 4096 /* host patterns kept from the rules table */
#define REP__ANON_NAME_MAX 1024     /* longer "names" are never looked up in free text */

enum rep__anon_kind { REP__K_LAN4, REP__K_LAN6, REP__K_NET4, REP__K_NET6, REP__K_NAME, REP__K_N };

static const char *const rep__anon_prefix[REP__K_N] = {"lan-host-", "lan6-host-", "net-host-",
                                                       "net6-host-", "name-"};

/* One known value: an address (key: 'a', family, raw bytes) or a name (key: 'n', lower case).
 * pseudo is NULL until the value first appears in the report. */
struct rep__anon_ent {
    char *key;
    size_t klen;
    uint64_t hash;
    char *pseudo;
};

struct rep__anon {
    struct rep__anon_ent *tab; /* open addressing, linear probing; cap is a power of two */
    size_t cap, used;
    unsigned next[REP__K_N]; /* last number handed out per kind */
    char **pat;              /* host patterns ("name", "*.domain"), lower case, no final dot */
    size_t n_pat;
    int oom; /* an allocation failed: the affected values are replaced by "anon-error" */
};

/* ---- small helpers ---- */

static char rep__lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Output buffer: pieces are appended whole or not at all; once one does not fit, nothing
 * more is (so the result is a prefix cut between characters or pseudonyms). */
struct rep__abuf {
    char *buf;
    size_t len, pos;
    int full;
};

static void rep__abuf_put(struct rep__abuf *b, const char *s, size_t n)
{
    if (b->full)
        return;
    if (n >= b->len - b->pos) {
        b->full = 1;
        return;
    }
    memcpy(b->buf + b->pos, s, n);
    b->pos += n;
    b->buf[b->pos] = '\0';
}

/* Copies @p n bytes of text verbatim, character by character (an invalid byte is one). */
static void rep__abuf_copy(struct rep__abuf *b, const char *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;

    while (i < n && !b->full) {
        size_t k = rep__utf8((const unsigned char *)s + i, n - i, &cp);

        if (k == 0)
            k = 1;
        rep__abuf_put(b, s + i, k);
        i += k;
    }
}

static uint64_t rep__fnv(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- the table ---- */

static struct rep__anon_ent *rep__anon_find(struct rep__anon *a, const char *key, size_t klen,
                                            uint64_t h)
{
    size_t i = (size_t)h & (a->cap - 1);

    while (a->tab[i].key) {
        if (a->tab[i].hash == h && a->tab[i].klen == klen && !memcmp(a->tab[i].key, key, klen))
            return &a->tab[i];
        i = (i + 1) & (a->cap - 1);
    }
    return &a->tab[i]; /* the empty slot where it would go */
}

static int rep__anon_grow(struct rep__anon *a)
{
    size_t ncap = a->cap ? a->cap * 2 : 256;
    struct rep__anon_ent *old = a->tab, *nt = calloc(ncap, sizeof *nt);
    size_t ocap = a->cap;

    if (!nt)
        return -1;
    a->tab = nt;
    a->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].key)
            *rep__anon_find(a, old[i].key, old[i].klen, old[i].hash) = old[i];
    }
    free(old);
    return 0;
}

/* The entry of @p key, created (without pseudonym) when @p create; NULL when absent or out of
 * memory. */
static struct rep__anon_ent *rep__anon_get(struct rep__anon *a, const char *key, size_t klen,
                                           int create)
{
    uint64_t h = rep__fnv(key, klen);
    struct rep__anon_ent *e;

    if (a->cap == 0) {
        if (!create)
            return NULL;
        if (rep__anon_grow(a) < 0)
            return NULL;
    }
    e = rep__anon_find(a, key, klen, h);
    if (e->key || !create)
        return e->key ? e : NULL;
    if ((a->used + 1) * 10 > a->cap * 7) {
        if (rep__anon_grow(a) < 0)
            return NULL;
        e = rep__anon_find(a, key, klen, h);
    }
    e->key = malloc(klen ? klen : 1);
    if (!e->key)
        return NULL;
    memcpy(e->key, key, klen);
    e->klen = klen;
    e->hash = h;
    e->pseudo = NULL;
    a->used++;
    return e;
}

/* The pseudonym of @p e, handing out the next number of @p kind on first use. */
static const char *rep__anon_pseudo(struct rep__anon *a, struct rep__anon_ent *e,
                                    enum rep__anon_kind kind)
{
    char tmp[32];

    if (!e) {
        a->oom = 1;
        return "anon-error";
    }
    if (!e->pseudo) {
        snprintf(tmp, sizeof tmp, "%s%u", rep__anon_prefix[kind], ++a->next[kind]);
        e->pseudo = strdup(tmp);
        if (!e->pseudo) {
            a->oom = 1;
            return "anon-error";
        }
    }
    return e->pseudo;
}

/* ---- names ---- */

/* Name key: 'n' + the name in ASCII lower case without one trailing dot. Returns its length,
 * or 0 when it does not fit @p len. */
static size_t rep__name_key(const char *s, size_t n, char *key, size_t len)
{
    if (n > 1 && s[n - 1] == '.')
        n--;
    if (n + 1 > len)
        return 0;
    key[0] = 'n';
    for (size_t i = 0; i < n; i++)
        key[i + 1] = rep__lower(s[i]);
    return n + 1;
}

/* Does @p name (@p n bytes, lower case, no final dot) match a pattern of the profile? */
static int rep__anon_kept(const struct rep__anon *a, const char *name, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < a->n_pat; i++) {
        const char *p = a->pat[i];
        size_t pn = strlen(p);

        if (p[0] == '*' && p[1] == '.') {
            /* "*.domain": at least one label below domain, never domain itself. */
            if (n > pn - 1 && !memcmp(name + n - (pn - 1), p + 1, pn - 1))
                return 1;
        } else if (pn == n && !memcmp(name, p, n)) {
            return 1;
        }
    }
    return 0;
}

/* Adds a name the database holds (known but not numbered yet). */
static void rep__anon_learn(struct rep__anon *a, const char *s)
{
    char key[REP__ANON_NAME_MAX + 1];
    size_t n = s ? strlen(s) : 0, k;

    if (n == 0 || n > REP__ANON_NAME_MAX)
        return;
    k = rep__name_key(s, n, key, sizeof key);
    if (k > 1 && !rep__anon_kept(a, key + 1, k - 1))
        rep__anon_pseudo(a, rep__anon_get(a, key, k, 1), REP__K_NAME);
}

/* ---- addresses ---- */

/* Parses @p s (@p n bytes) as an IPv4 (family 4) or IPv6 (family 6) address into @p raw.
 * Returns the family, or 0. */
static int rep__parse_ip(const char *s, size_t n, unsigned char raw[16])
{
    char tmp[64];

    if (n == 0 || n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (memchr(tmp, ':', n))
        return inet_pton(AF_INET6, tmp, raw) == 1 ? 6 : 0;
    return inet_pton(AF_INET, tmp, raw) == 1 ? 4 : 0;
}

static int rep__v4_local(const unsigned char *b)
{
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
           (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 169 && b[1] == 254) || b[0] == 127;
}

/* Addresses that identify nobody: unspecified, limited broadcast, multicast. */
static int rep__v4_public_info(const unsigned char *b)
{
    static const unsigned char zero[4] = {0}, bcast[4] = {255, 255, 255, 255};

    return !memcmp(b, zero, 4) || !memcmp(b, bcast, 4) || (b[0] & 0xf0) == 224;
}

static const unsigned char rep__v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* The pseudonym of an address, or NULL when it stays as it is. */
static const char *rep__anon_ip(struct rep__anon *a, int fam, const unsigned char *raw)
{
    static const unsigned char zero[16] = {0},
                               loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    char key[18];
    enum rep__anon_kind kind;

    key[0] = 'a';
    key[1] = (char)fam;
    memcpy(key + 2, raw, fam == 4 ? 4 : 16);
    if (fam == 4) {
        if (rep__v4_public_info(raw))
            return NULL;
        kind = rep__v4_local(raw) ? REP__K_LAN4 : REP__K_NET4;
    } else {
        int mapped = !memcmp(raw, rep__v4mapped, 12);

        if (!memcmp(raw, zero, 16) || raw[0] == 0xff || (mapped && rep__v4_public_info(raw + 12)))
            return NULL;
        if (mapped)
            kind = rep__v4_local(raw + 12) ? REP__K_LAN6 : REP__K_NET6;
        else
            kind = (raw[0] & 0xfe) == 0xfc || (raw[0] == 0xfe && (raw[1] & 0xc0) == 0x80) ||
                           !memcmp(raw, loop6, 16)
                       ? REP__K_LAN6
                       : REP__K_NET6;
    }
    return rep__anon_pseudo(a, rep__anon_get(a, key, fam == 4 ? 6 : 18, 1), kind);
}

/* Writes the address @p raw: its pseudonym, or its text when it stays. */
static void rep__put_ip(struct rep__anon *a, struct rep__abuf *b, int fam, const unsigned char *raw,
                        const char *orig, size_t n, int bracket)
{
    const char *p = rep__anon_ip(a, fam, raw);

    if (p) {
        rep__abuf_put(b, p, strlen(p));
        return;
    }
    if (bracket)
        rep__abuf_put(b, "[", 1);
    rep__abuf_copy(b, orig, n);
    if (bracket)
        rep__abuf_put(b, "]", 1);
}

/* ---- free text ---- */

static int rep__is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int rep__is_hexish(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

/* Characters of a host name as it appears in text (letters, digits, '-', '_', '.'). */
static int rep__is_namech(char c)
{
    return rep__is_alnum(c) || c == '-' || c == '_' || c == '.';
}

/*
 * Tries an address literal at @p s[i] (@p n = strlen(s)): "[v6]" (then ":port" stays as text),
 * a v6 literal, or a dotted-quad v4 (":port" after it stays). On a match writes the pseudonym
 * and returns the bytes consumed; else 0.
 */
static size_t rep__try_ip(struct rep__anon *a, struct rep__abuf *b, const char *s, size_t n,
                          size_t i)
{
    unsigned char raw[16];
    size_t j, e;
    int fam;

    if (s[i] == '[') {
        for (j = i + 1; j < n && j - i < 64 && s[j] != ']'; j++)
            ;
        if (j >= n || s[j] != ']')
            return 0;
        fam = rep__parse_ip(s + i + 1, j - i - 1, raw);
        if (fam != 6)
            return 0;
        rep__put_ip(a, b, fam, raw, s + i + 1, j - i - 1, 1);
        return j + 1 - i;
    }
    for (e = i; e < n && e - i < 64 && rep__is_hexish(s[e]); e++)
        ;
    if (e < n && rep__is_alnum(s[e]))
        return 0; /* part of a longer word */
    /* IPv6: the whole run, minus trailing punctuation (a sentence's final '.' or ':'). */
    if (memchr(s + i, ':', e - i)) {
        size_t k = e;

        while (k > i && (s[k - 1] == '.' || s[k - 1] == ':') &&
               !(k - i >= 2 && s[k - 1] == ':' && s[k - 2] == ':'))
            k--;
        fam = rep__parse_ip(s + i, k - i, raw);
        if (fam == 6) {
            rep__put_ip(a, b, fam, raw, s + i, k - i, 0);
            return k - i;
        }
    }
    /* IPv4: digits and dots only; what follows must not continue a name ("1.2.3.4.in-addr"). */
    for (e = i; e < n && e - i < 16 && ((s[e] >= '0' && s[e] <= '9') || s[e] == '.'); e++)
        ;
    while (e > i && s[e - 1] == '.')
        e--;
    if (e < n && (rep__is_alnum(s[e]) || s[e] == '_' ||
                  (s[e] == '.' && e + 1 < n && rep__is_alnum(s[e + 1]))))
        return 0;
    fam = rep__parse_ip(s + i, e - i, raw);
    if (fam != 4)
        return 0;
    rep__put_ip(a, b, fam, raw, s + i, e - i, 0);
    return e - i;
}

/* Tries a known name at @p s[i]: the maximal run of name characters, without trailing dots. */
static size_t rep__try_name(struct rep__anon *a, struct rep__abuf *b, const char *s, size_t n,
                            size_t i)
{
    char key[REP__ANON_NAME_MAX + 2];
    struct rep__anon_ent *e;
    size_t j, k;

    for (j = i; j < n && rep__is_namech(s[j]); j++)
        ;
    while (j > i && s[j - 1] == '.')
        j--;
    if (j == i || j - i > REP__ANON_NAME_MAX)
        return 0;
    k = rep__name_key(s + i, j - i, key, sizeof key);
    e = k ? rep__anon_get(a, key, k, 0) : NULL;
    if (!e)
        return 0;
    const char *p = rep__anon_pseudo(a, e, REP__K_NAME);
    rep__abuf_put(b, p, strlen(p));
    return j - i;
}

/* Can a literal or name start at s[i] (not in the middle of a word, name or address)? */
static int rep__boundary(const char *s, size_t i)
{
    char c = i ? s[i - 1] : ' ';

    return !(rep__is_namech(c) || c == ':' || c == '[' || c == '%');
}

static void rep__anon_text_into(struct rep__anon *a, struct rep__abuf *b, const char *s)
{
    size_t n = strlen(s), i = 0;

    while (i < n && !b->full) {
        size_t used = 0;

        if (rep__boundary(s, i) || s[i] == '[') {
            if (rep__is_hexish(s[i]) || s[i] == '[')
                used = rep__try_ip(a, b, s, n, i);
            if (!used && rep__is_namech(s[i]))
                used = rep__try_name(a, b, s, n, i);
        }
        if (used) {
            i += used;
            continue;
        }
        /* Copy one character; a word or name run is copied whole so that its inside is
         * never taken for the start of a literal. */
        if (rep__is_namech(s[i]) || s[i] == ':') {
            size_t j = i;

            while (j < n && (rep__is_namech(s[j]) || s[j] == ':'))
                j++;
            rep__abuf_copy(b, s + i, j - i);
            i = j;
            continue;
        }
        uint32_t cp;
        size_t k = rep__utf8((const unsigned char *)s + i, n - i, &cp);
        rep__abuf_copy(b, s + i, k ? k : 1);
        i += k ? k : 1;
    }
}

/* ---- the API ---- */

static int rep__rule_cb(void *user, const struct sto_rule_row *r)
{
    struct rep__anon *a = user;
    const char *p = r->hosts;

    while (p && *p) {
        size_t n = strcspn(p, " ");
        char *pat;

        /* "*" keeps no name; "rule:ID" refers to another rule whose patterns come anyway. */
        if (n > 0 && !(n == 1 && p[0] == '*') && strncmp(p, "rule:", 5) != 0 &&
            a->n_pat < REP__ANON_PATTERNS_MAX) {
            char **np = realloc(a->pat, (a->n_pat + 1) * sizeof *np);

            if (!np)
                return -1;
            a->pat = np;
            pat = malloc(n + 1);
            if (!pat)
                return -1;
            for (size_t i = 0; i < n; i++)
                pat[i] = rep__lower(p[i]);
            if (n > 1 && pat[n - 1] == '.')
                n--;
            pat[n] = '\0';
            a->pat[a->n_pat++] = pat;
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    return 0;
}

/* Numbers an address of the database (in the order the flows started). */
static void rep__anon_learn_addr(struct rep__anon *a, const char *s)
{
    unsigned char raw[16];
    int fam = s ? rep__parse_ip(s, strlen(s), raw) : 0;

    if (fam)
        rep__anon_ip(a, fam, raw);
}

static int rep__learn_flow_cb(void *user, const struct sto_flow_row *r)
{
    rep__anon_learn_addr(user, r->src);
    rep__anon_learn_addr(user, r->dst);
    rep__anon_learn(user, r->host);
    return 0;
}

static int rep__learn_tls_cb(void *user, const struct sto_tls_row *r)
{
    rep__anon_learn(user, r->sni);
    rep__anon_learn(user, r->proxy_target);
    return 0;
}

struct rep__learn_dns {
    struct rep__anon *a;
    struct sto_db *db;
};

static int rep__learn_answer_cb(void *user, const struct sto_dns_answer_row *r)
{
    struct rep__anon *a = user;
    unsigned char raw[16];

    rep__anon_learn(a, r->name);
    if (r->data && !rep__parse_ip(r->data, strlen(r->data), raw) && !strchr(r->data, ' '))
        rep__anon_learn(a, r->data); /* CNAME, PTR... targets */
    return 0;
}

static int rep__learn_dns_cb(void *user, const struct sto_dns_row *r)
{
    struct rep__learn_dns *x = user;

    rep__anon_learn(x->a, r->qname);
    return sto_each_dns_answer(x->db, r->id, rep__learn_answer_cb, x->a) < 0 ? -1 : 0;
}

static int rep__learn_verdict_cb(void *user, const struct sto_verdict_row *r)
{
    rep__anon_learn(user, r->host);
    return 0;
}

static int rep__learn_host_cb(void *user, const struct sto_host_row *r)
{
    json_t *j = r->names ? json_loads(r->names, 0, NULL) : NULL;
    size_t i;
    json_t *v;

    rep__anon_learn_addr(user, r->addr);
    json_array_foreach(j, i, v)
    {
        if (json_is_string(v))
            rep__anon_learn(user, json_string_value(v));
    }
    json_decref(j);
    return 0;
}

static int rep__learn_connect_cb(void *user, const struct sto_http_connect_row *r)
{
    rep__anon_learn(user, r->target);
    return 0;
}

struct rep__anon *rep__anon_new(struct sto_db *db, char *err)
{
    struct rep__anon *a = calloc(1, sizeof *a);
    struct sto_filter all;
    struct rep__learn_dns ld;
    int rc;

    if (!a) {
        snprintf(err, SS_ERRBUF_SIZE, "anonymisation: out of memory");
        return NULL;
    }
    memset(&all, 0, sizeof all);
    ld.a = a;
    ld.db = db;
    /* The patterns first: a name kept by the profile is never learnt. */
    rc = sto_each_rule(db, &all, rep__rule_cb, a);
    if (rc == 0)
        rc = sto_each_flow(db, &all, rep__learn_flow_cb, a);
    if (rc == 0)
        rc = sto_each_tls(db, &all, rep__learn_tls_cb, a);
    if (rc == 0)
        rc = sto_each_dns(db, &all, rep__learn_dns_cb, &ld);
    if (rc == 0)
        rc = sto_each_verdict(db, &all, rep__learn_verdict_cb, a);
    if (rc == 0)
        rc = sto_each_host(db, &all, rep__learn_host_cb, a);
    if (rc == 0)
        rc = sto_each_http_connect(db, &all, rep__learn_connect_cb, a);
    if (rc != 0 || a->oom) {
        snprintf(err, SS_ERRBUF_SIZE, "anonymisation: %s",
                 rc < 0 && !a->oom ? sto_errstr(db) : "out of memory");
        rep__anon_free(a);
        return NULL;
    }
    return a;
}

void rep__anon_free(struct rep__anon *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->cap; i++) {
        free(a->tab[i].key);
        free(a->tab[i].pseudo);
    }
    free(a->tab);
    for (size_t i = 0; i < a->n_pat; i++)
        free(a->pat[i]);
    free(a->pat);
    free(a);
}

/* Starts an output in @p buf; NULL when there is no room at all. */
static int rep__abuf_init(struct rep__abuf *b, char *buf, size_t len)
{
    b->buf = buf;
    b->len = len;
    b->pos = 0;
    b->full = 0;
    if (!buf || len == 0)
        return -1;
    buf[0] = '\0';
    return 0;
}

const char *rep__anon_addr(struct rep__anon *a, const char *addr, char *buf, size_t len)
{
    struct rep__abuf b;
    unsigned char raw[16];
    size_t n;
    int fam;

    if (rep__abuf_init(&b, buf, len) < 0 || !addr)
        return buf;
    n = strlen(addr);
    if (!a) {
        rep__abuf_copy(&b, addr, n);
        return buf;
    }
    fam = rep__parse_ip(addr, n, raw);
    if (fam) {
        rep__put_ip(a, &b, fam, raw, addr, n, 0);
        return buf;
    }
    /* "ip:port", "[v6]:port" or something else: rewrite what is in it. */
    rep__anon_text_into(a, &b, addr);
    return buf;
}

const char *rep__anon_name(struct rep__anon *a, const char *name, char *buf, size_t len)
{
    struct rep__abuf b;
    unsigned char raw[16];
    char *key;
    size_t n, k;
    int fam;

    if (rep__abuf_init(&b, buf, len) < 0 || !name)
        return buf;
    n = strlen(name);
    if (!a || n == 0) {
        rep__abuf_copy(&b, name, n);
        return buf;
    }
    fam = rep__parse_ip(name, n, raw);
    if (fam) {
        rep__put_ip(a, &b, fam, raw, name, n, 0);
        return buf;
    }
    key = malloc(n + 2);
    if (!key) {
        a->oom = 1;
        rep__abuf_put(&b, "anon-error", 10);
        return buf;
    }
    k = rep__name_key(name, n, key, n + 2);
    if (rep__anon_kept(a, key + 1, k - 1)) {
        rep__abuf_copy(&b, name, n);
    } else {
        const char *p = rep__anon_pseudo(a, rep__anon_get(a, key, k, 1), REP__K_NAME);
        rep__abuf_put(&b, p, strlen(p));
    }
    free(key);
    return buf;
}

const char *rep__anon_text(struct rep__anon *a, const char *text, char *buf, size_t len)
{
    struct rep__abuf b;

    if (rep__abuf_init(&b, buf, len) < 0 || !text)
        return buf;
    if (!a)
        rep__abuf_copy(&b, text, strlen(text));
    else
        rep__anon_text_into(a, &b, text);
    return buf;
}

const char *rep__anon_source(struct rep__anon *a, int64_t id, const char *kind, const char *source,
                             char *buf, size_t len)
{
    if (!source || strcmp(source, "-") == 0) {
        snprintf(buf, len, "(stdin)");
        return buf;
    }
    if (!a || (kind && strcmp(kind, "file") != 0)) {
        snprintf(buf, len, "%s", source);
        return buf;
    }
    /* Keep a short, plain extension (".pcapng"): it says what the file was, not whose. */
    const char *slash = strrchr(source, '/'), *base = slash ? slash + 1 : source;
    const char *dot = strrchr(base, '.');
    bool plain = dot && strlen(dot) <= 8;
    for (const char *p = dot ? dot + 1 : ""; plain && *p; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
    snprintf(buf, len, "capture-%lld%s", (long long)id, plain ? dot : "");
    return buf;
}
