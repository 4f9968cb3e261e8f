/* SPDX-License-Identifier: MIT */
/*
 * profile.c - the requirement profile (DESIGN.md "The vendor's requirements", "Attribution"):
 * parsing the INI file format documented in docs/profile.md, local networks, and the first-
 * match rule matcher.
 *
 * The text is fed to inih (ini_parse_stream) through a reader over the caller's buffer, so the
 * text need not be NUL-terminated and nothing here does I/O. The reader also does what the
 * Debian build of inih cannot: it counts lines (the library is built without
 * INI_HANDLER_LINENO, and defining it here would change the handler's ABI), it sees section
 * headers itself (inih calls the handler only for key = value lines, so an empty [rule x]
 * would otherwise go unnoticed), and it knows whether a line was indented, which is how inih
 * marks a continuation of the previous value. inih's library-wide settings (ini_max_line and
 * friends) are left alone: they are process-global.
 */
#define _POSIX_C_SOURCE 200809L
#include "dissect/profile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROFILE_NAME_LEN 64
#define PROFILE_USED_FOR_LEN 128 /* sizeof dis_profile_rule.used_for */
#define PROFILE_HOST_LEN 256     /* sizeof dis_profile_rule.hosts[0] */

struct dis_profile {
    char name[PROFILE_NAME_LEN];
    size_t n_rules;
    struct dis_profile_rule rules[DIS_PROFILE_MAX_RULES];
    /* For a "rule:ID" host pattern, the index of rule ID (resolved at parse); else -1. */
    int8_t ref[DIS_PROFILE_MAX_RULES][DIS_PROFILE_MAX_HOSTS];
    size_t n_nets;
    struct dis_net nets[DIS_PROFILE_MAX_NETS];
    /* [direct]: the product's own method-1 ports (none: any port from 1024 up that is not a
     * well-known service), and more ports to exclude. */
    size_t n_direct, n_direct_exclude;
    struct dis_port_range direct[DIS_PROFILE_MAX_PORTS];
    struct dis_port_range direct_exclude[DIS_PROFILE_MAX_PORTS];
};

/* The default local networks: RFC 1918, RFC 6598 (carrier-grade NAT), IPv4 link-local and
 * loopback, RFC 4193 unique local, IPv6 link-local and loopback. */
static const char *const default_nets[] = {
    "10.0.0.0/8",  "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
    "127.0.0.0/8", "fc00::/7",      "fe80::/10",      "::1/128",
};

/* Local networks: CIDR text to (address, prefix) */

static int net_parse(const char *cidr, struct dis_net *out, char *why, size_t whylen)
{
    char buf[64];
    size_t n = strlen(cidr);
    if (n == 0 || n >= sizeof buf) {
        snprintf(why, whylen, "'%s' is not an address or CIDR network", cidr);
        return -1;
    }
    memcpy(buf, cidr, n + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    struct dis_net net;
    memset(&net, 0, sizeof net);
    int maxbits;
    if (strchr(buf, ':')) {
        if (inet_pton(AF_INET6, buf, net.addr.b) != 1) {
            snprintf(why, whylen, "'%s' is not an IPv6 address or network", cidr);
            return -1;
        }
        net.addr.family = 6;
        maxbits = 128;
    } else {
        if (inet_pton(AF_INET, buf, net.addr.b) != 1) {
            snprintf(why, whylen, "'%s' is not an IPv4 address or network", cidr);
            return -1;
        }
        net.addr.family = 4;
        maxbits = 32;
    }
    int bits = maxbits;
    if (slash) {
        const char *p = slash + 1;
        if (*p == '\0' || strlen(p) > 3) {
            snprintf(why, whylen, "'%s': bad prefix length (0-%d)", cidr, maxbits);
            return -1;
        }
        bits = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9') {
                snprintf(why, whylen, "'%s': bad prefix length (0-%d)", cidr, maxbits);
                return -1;
            }
            bits = bits * 10 + (*p - '0');
        }
        if (bits > maxbits) {
            snprintf(why, whylen, "'%s': prefix length %d is more than %d", cidr, bits, maxbits);
            return -1;
        }
    }
    /* Host bits must be zero: "10.1.2.3/8" is more likely a typo than a network. */
    struct dis_addr masked = net.addr;
    for (int i = 0; i < 16; i++) {
        int keep = bits - i * 8;
        unsigned mask = keep >= 8 ? 0xffu : keep <= 0 ? 0u : (0xffu << (8 - keep)) & 0xffu;
        masked.b[i] = (uint8_t)(masked.b[i] & mask);
    }
    if (memcmp(masked.b, net.addr.b, sizeof masked.b) != 0) {
        char txt[64];
        dis_addr_str(&masked, txt, sizeof txt);
        snprintf(why, whylen, "'%s' has host bits set (the network is %s/%d)", cidr, txt, bits);
        return -1;
    }
    net.prefix = (uint8_t)bits;
    *out = net;
    return 0;
}

static bool net_contains(const struct dis_net *n, const struct dis_addr *a)
{
    if (a->family != n->addr.family)
        return false;
    int bits = n->prefix;
    for (int i = 0; i < 16 && bits > 0; i++, bits -= 8) {
        unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
        if ((a->b[i] & mask) != (n->addr.b[i] & mask))
            return false;
    }
    return true;
}

static int add_net(struct dis_profile *p, const char *cidr, char *why, size_t whylen)
{
    struct dis_net net;
    if (net_parse(cidr, &net, why, whylen) < 0)
        return -1;
    for (size_t i = 0; i < p->n_nets; i++) {
        if (p->nets[i].prefix == net.prefix && !dis_addr_cmp(&p->nets[i].addr, &net.addr))
            return 0; /* already there */
    }
    if (p->n_nets == DIS_PROFILE_MAX_NETS) {
        snprintf(why, whylen, "too many local networks (at most %d)", DIS_PROFILE_MAX_NETS);
        return -1;
    }
    p->nets[p->n_nets++] = net;
    return 0;
}

/* Parsing */

enum pp_section { PP_NONE, PP_PROFILE, PP_RULE, PP_LOCAL, PP_DIRECT };

/* Keys, as bits of pp.seen: a key given twice in one section is an error. */
enum {
    PP_K_NAME = 1u << 0,
    PP_K_HOSTS = 1u << 1,
    PP_K_PORTS = 1u << 2,
    PP_K_SCOPE = 1u << 3,
    PP_K_TRAFFIC = 1u << 4,
    PP_K_PRODUCT = 1u << 5,
    PP_K_USED_FOR = 1u << 6,
    PP_K_NETS = 1u << 7,
    PP_K_EXCLUDE = 1u << 8,
};

struct pp {
    struct dis_profile *p;
    const char *fname; /* for messages */
    const char *text;
    size_t len, pos;
    unsigned line;  /* line the reader handed out last (1-based) */
    bool indented;  /* that line started with white space */
    bool have_prev; /* inih has a previous key in this section (so indented = continuation) */
    enum pp_section sec;
    unsigned seen; /* PP_K_* given in the current section */
    unsigned rule_line[DIS_PROFILE_MAX_RULES];
    unsigned hosts_line[DIS_PROFILE_MAX_RULES];
    bool have_profile, have_local, have_direct;
    unsigned profile_line, local_line, direct_line;
    bool failed;
    unsigned fail_line;
    char *err;
};

__attribute__((format(printf, 3, 4))) static void pp_fail(struct pp *c, unsigned line,
                                                          const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = true;
    c->fail_line = line;
    int n = snprintf(c->err, SS_ERRBUF_SIZE, "%s:%u: ", c->fname, line);
    if (n < 0 || n >= SS_ERRBUF_SIZE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, SS_ERRBUF_SIZE - (size_t)n, fmt, ap);
    va_end(ap);
}

static bool id_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
           ch == '-';
}

/* Checks a rule id; returns NULL or what is wrong with it. */
static const char *id_problem(const char *id, size_t n)
{
    if (n == 0)
        return "is empty";
    if (n >= DIS_PROFILE_ID_LEN)
        return "is longer than 31 characters";
    for (size_t i = 0; i < n; i++) {
        if (!id_char(id[i]))
            return "may only hold a-z, 0-9, '.', '_' and '-'";
    }
    return NULL;
}

static bool is_space(char ch)
{
    return isspace((unsigned char)ch) != 0;
}

/* A section header line "[...]" (white space around it already known not to be indented). */
static void pp_section(struct pp *c, const char *s, size_t n)
{
    const char *close = memchr(s, ']', n);
    if (!close) {
        pp_fail(c, c->line, "section header without ']'");
        return;
    }
    for (const char *q = close + 1; q < s + n; q++) {
        if (*q == ';' || *q == '#')
            break;
        if (!is_space(*q)) {
            pp_fail(c, c->line, "text after the section header's ']'");
            return;
        }
    }
    const char *b = s + 1, *e = close;
    while (b < e && is_space(*b))
        b++;
    while (e > b && is_space(e[-1]))
        e--;
    size_t sn = (size_t)(e - b);
    c->seen = 0;
    c->have_prev = false;
    if (sn == 7 && !memcmp(b, "profile", 7)) {
        if (c->have_profile) {
            pp_fail(c, c->line, "duplicate section [profile] (first at line %u)", c->profile_line);
            return;
        }
        c->have_profile = true;
        c->profile_line = c->line;
        c->sec = PP_PROFILE;
        return;
    }
    if (sn == 5 && !memcmp(b, "local", 5)) {
        if (c->have_local) {
            pp_fail(c, c->line, "duplicate section [local] (first at line %u)", c->local_line);
            return;
        }
        c->have_local = true;
        c->local_line = c->line;
        c->sec = PP_LOCAL;
        return;
    }
    if (sn == 6 && !memcmp(b, "direct", 6)) {
        if (c->have_direct) {
            pp_fail(c, c->line, "duplicate section [direct] (first at line %u)", c->direct_line);
            return;
        }
        c->have_direct = true;
        c->direct_line = c->line;
        c->sec = PP_DIRECT;
        return;
    }
    if (sn >= 4 && !memcmp(b, "rule", 4) && (sn == 4 || is_space(b[4]))) {
        const char *id = b + 4;
        while (id < e && is_space(*id))
            id++;
        size_t idn = (size_t)(e - id);
        const char *why = id_problem(id, idn);
        if (why) {
            pp_fail(c, c->line, "rule id '%.*s' %s", (int)idn, id, why);
            return;
        }
        struct dis_profile *p = c->p;
        for (size_t i = 0; i < p->n_rules; i++) {
            if (strlen(p->rules[i].id) == idn && !memcmp(p->rules[i].id, id, idn)) {
                pp_fail(c, c->line, "duplicate rule id '%.*s' (first at line %u)", (int)idn, id,
                        c->rule_line[i]);
                return;
            }
        }
        if (p->n_rules == DIS_PROFILE_MAX_RULES) {
            pp_fail(c, c->line, "too many rules (at most %d)", DIS_PROFILE_MAX_RULES);
            return;
        }
        struct dis_profile_rule *r = &p->rules[p->n_rules];
        memset(r, 0, sizeof *r);
        memcpy(r->id, id, idn);
        c->rule_line[p->n_rules] = c->line;
        c->hosts_line[p->n_rules] = c->line;
        p->n_rules++;
        c->sec = PP_RULE;
        return;
    }
    pp_fail(c, c->line,
            "unknown section [%.*s] (expected [profile], [rule ID], [direct] or [local])", (int)sn,
            b);
}

/* inih's reader: hands out the next line of the buffer, fgets-style. Stops (NULL) at the end
 * of the text and after the first error, which is then in c->err. */
static char *pp_reader(char *str, int num, void *stream)
{
    struct pp *c = stream;
    if (c->failed || c->pos >= c->len || num < 2)
        return NULL;
    const char *s = c->text + c->pos;
    size_t rest = c->len - c->pos;
    const char *nl = memchr(s, '\n', rest);
    size_t n = nl ? (size_t)(nl - s) + 1 : rest;
    c->line++;
    if (n > (size_t)num - 1) {
        /* inih would split the line and read the rest as a line of its own. */
        pp_fail(c, c->line, "line too long (at most %d characters)", num - 2);
        return NULL;
    }
    if (memchr(s, '\0', n)) {
        pp_fail(c, c->line, "NUL byte in the line");
        return NULL;
    }
    memcpy(str, s, n);
    str[n] = '\0';
    c->pos += n;

    /* Classify the line the way inih will: a UTF-8 byte order mark on line 1 is skipped, an
     * empty line or one starting with ';' or '#' is a comment. */
    const char *b = str;
    if (c->line == 1 && n >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3))
        b += 3;
    const char *t = b;
    while (*t && is_space(*t))
        t++;
    c->indented = t > b;
    if (*t == '\0' || *t == ';' || *t == '#')
        return str;
    if (*t == '[') {
        if (c->indented) {
            pp_fail(c, c->line, "section header must start at the beginning of the line");
            return NULL;
        }
        pp_section(c, t, strlen(t));
        if (c->failed)
            return NULL;
    }
    return str;
}

/* Splits @p v into tokens at white space and commas; calls @p fn for each. */
static void pp_tokens(struct pp *c, const char *v, void (*fn)(struct pp *, const char *, size_t))
{
    const char *s = v;
    while (*s && !c->failed) {
        while (*s && (is_space(*s) || *s == ','))
            s++;
        const char *b = s;
        while (*s && !is_space(*s) && *s != ',')
            s++;
        if (s > b)
            fn(c, b, (size_t)(s - b));
    }
}

static bool host_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.';
}

static void pp_host(struct pp *c, const char *h, size_t n)
{
    struct dis_profile_rule *r = &c->p->rules[c->p->n_rules - 1];
    if (r->n_hosts == DIS_PROFILE_MAX_HOSTS) {
        pp_fail(c, c->line, "too many hosts in rule '%s' (at most %d)", r->id,
                DIS_PROFILE_MAX_HOSTS);
        return;
    }
    char buf[PROFILE_HOST_LEN];
    if (n >= 5 && !strncasecmp(h, "rule:", 5)) {
        const char *why = id_problem(h + 5, n - 5);
        if (why) {
            pp_fail(c, c->line, "'%.*s': rule id %s", (int)n, h, why);
            return;
        }
        memcpy(buf, "rule:", 5);
        memcpy(buf + 5, h + 5, n - 5);
        buf[n] = '\0';
    } else if (n == 1 && h[0] == '*') {
        strcpy(buf, "*");
    } else {
        /* "name" or "*.name"; stored in lower case without a trailing dot. */
        size_t start = 0;
        if (n >= 2 && h[0] == '*' && h[1] == '.')
            start = 2;
        size_t end = n;
        if (end > start && h[end - 1] == '.')
            end--;
        if (end - start > 253) {
            pp_fail(c, c->line, "host '%.*s' is too long (at most 253 characters)", (int)n, h);
            return;
        }
        bool ok = end > start;
        for (size_t i = start; i < end && ok; i++) {
            if (!host_char(h[i]))
                ok = false;
            if (h[i] == '.' && (i == start || h[i - 1] == '.'))
                ok = false;
        }
        if (!ok) {
            pp_fail(c, c->line,
                    "bad host '%.*s' (expected a name, *.domain, * or rule:ID; separate hosts "
                    "with spaces)",
                    (int)n, h);
            return;
        }
        for (size_t i = 0; i < end; i++)
            buf[i] = (char)tolower((unsigned char)h[i]);
        buf[end] = '\0';
    }
    for (size_t i = 0; i < r->n_hosts; i++) {
        if (!strcmp(r->hosts[i], buf))
            return; /* listed twice: harmless */
    }
    memcpy(r->hosts[r->n_hosts++], buf, strlen(buf) + 1);
}

/* Parses a decimal port (0-65535) from [s, e); returns -1 when it is not one. */
static long port_num(const char *s, const char *e)
{
    if (s == e || e - s > 5)
        return -1;
    long v = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v <= 65535 ? v : -1;
}

/* One "PROTO/PORT" or "PROTO/LOW-HIGH" token into @p pr; false (and the error) when bad. */
static bool pp_port_range(struct pp *c, const char *t, size_t n, struct dis_port_range *out)
{
    const char *e = t + n;
    struct dis_port_range pr;
    if (n > 4 && !strncasecmp(t, "tcp/", 4)) {
        pr.proto = 6;
    } else if (n > 4 && !strncasecmp(t, "udp/", 4)) {
        pr.proto = 17;
    } else {
        pp_fail(c, c->line, "bad port '%.*s' (expected tcp/PORT, udp/PORT or PROTO/LOW-HIGH)",
                (int)n, t);
        return false;
    }
    const char *num = t + 4;
    const char *dash = memchr(num, '-', (size_t)(e - num));
    long lo = port_num(num, dash ? dash : e);
    long hi = dash ? port_num(dash + 1, e) : lo;
    if (lo < 0 || hi < 0) {
        pp_fail(c, c->line, "bad port '%.*s' (ports are 0-65535)", (int)n, t);
        return false;
    }
    if (lo > hi) {
        pp_fail(c, c->line, "reversed port range '%.*s' (low end first)", (int)n, t);
        return false;
    }
    pr.lo = (uint16_t)lo;
    pr.hi = (uint16_t)hi;
    *out = pr;
    return true;
}

static void pp_port(struct pp *c, const char *t, size_t n)
{
    struct dis_profile_rule *r = &c->p->rules[c->p->n_rules - 1];
    struct dis_port_range pr;
    if (!pp_port_range(c, t, n, &pr))
        return;
    if (r->n_ports == DIS_PROFILE_MAX_PORTS) {
        pp_fail(c, c->line, "too many ports in rule '%s' (at most %d)", r->id,
                DIS_PROFILE_MAX_PORTS);
        return;
    }
    r->ports[r->n_ports++] = pr;
}

static void pp_direct_list(struct pp *c, const char *t, size_t n, const char *key,
                           struct dis_port_range *v, size_t *nv)
{
    struct dis_port_range pr;
    if (!pp_port_range(c, t, n, &pr))
        return;
    if (*nv == DIS_PROFILE_MAX_PORTS) {
        pp_fail(c, c->line, "too many ports in [direct] %s (at most %d)", key,
                DIS_PROFILE_MAX_PORTS);
        return;
    }
    v[(*nv)++] = pr;
}

static void pp_direct_port(struct pp *c, const char *t, size_t n)
{
    pp_direct_list(c, t, n, "ports", c->p->direct, &c->p->n_direct);
}

static void pp_direct_exclude(struct pp *c, const char *t, size_t n)
{
    pp_direct_list(c, t, n, "exclude", c->p->direct_exclude, &c->p->n_direct_exclude);
}

static void pp_net(struct pp *c, const char *t, size_t n)
{
    char buf[64], why[200];
    if (n >= sizeof buf) {
        pp_fail(c, c->line, "'%.*s' is not an address or CIDR network", (int)n, t);
        return;
    }
    memcpy(buf, t, n);
    buf[n] = '\0';
    if (add_net(c->p, buf, why, sizeof why) < 0)
        pp_fail(c, c->line, "%s", why);
}

/* Appends @p v to the text field @p dst (continuation lines join with a space). */
static void pp_text(struct pp *c, const char *key, char *dst, size_t size, const char *v,
                    bool append)
{
    size_t have = append ? strlen(dst) : 0;
    size_t add = strlen(v) + (append && have ? 1 : 0);
    if (have + add >= size) {
        pp_fail(c, c->line, "value of '%s' is too long (%zu characters, at most %zu)", key,
                have + add, size - 1);
        return;
    }
    if (append && have)
        dst[have++] = ' ';
    memcpy(dst + have, v, strlen(v) + 1);
}

static bool pp_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcasecmp(v, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcasecmp(v, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

struct pp_key {
    const char *name;
    enum pp_section sec;
    unsigned bit;
    bool list; /* continuation lines append items */
    bool text; /* continuation lines append text */
};

static const struct pp_key pp_keys[] = {
    {"name", PP_PROFILE, PP_K_NAME, false, false},
    {"hosts", PP_RULE, PP_K_HOSTS, true, false},
    {"ports", PP_RULE, PP_K_PORTS, true, false},
    {"ports", PP_DIRECT, PP_K_PORTS, true, false},
    {"exclude", PP_DIRECT, PP_K_EXCLUDE, true, false},
    {"scope", PP_RULE, PP_K_SCOPE, false, false},
    {"traffic", PP_RULE, PP_K_TRAFFIC, false, false},
    {"product", PP_RULE, PP_K_PRODUCT, false, false},
    {"used_for", PP_RULE, PP_K_USED_FOR, false, true},
    {"nets", PP_LOCAL, PP_K_NETS, true, false},
};

static const char *sec_name(const struct pp *c, char *buf, size_t len)
{
    switch (c->sec) {
    case PP_PROFILE:
        return "[profile]";
    case PP_LOCAL:
        return "[local]";
    case PP_DIRECT:
        return "[direct]";
    case PP_RULE:
        snprintf(buf, len, "[rule %s]", c->p->rules[c->p->n_rules - 1].id);
        return buf;
    case PP_NONE:
        break;
    }
    return "no section";
}

/* inih's handler: one key = value line, or a continuation line of the previous key. */
static int pp_handler(void *user, const char *section, const char *name, const char *value)
{
    struct pp *c = user;
    (void)section; /* the reader tracks sections itself */
    if (c->failed)
        return 0;
    bool cont = c->indented && c->have_prev;
    c->have_prev = true;
    char sb[64];
    if (c->sec == PP_NONE) {
        pp_fail(c, c->line, "'%s' before the first section", name);
        return 0;
    }
    const struct pp_key *k = NULL;
    for (size_t i = 0; i < sizeof pp_keys / sizeof pp_keys[0]; i++) {
        if (pp_keys[i].sec == c->sec && !strcmp(pp_keys[i].name, name))
            k = &pp_keys[i];
    }
    if (!k) {
        /* inih strips ';' comments after white space; the key itself is reported as given. */
        pp_fail(c, c->line, "unknown key '%s' in %s", name, sec_name(c, sb, sizeof sb));
        return 0;
    }
    if (cont) {
        if (strchr(value, '=')) {
            pp_fail(c, c->line,
                    "indented line: an indented line continues the value of '%s'; keys must "
                    "start at the beginning of the line",
                    name);
            return 0;
        }
        if (!k->list && !k->text) {
            pp_fail(c, c->line, "'%s' takes a single value (an indented line continues it)", name);
            return 0;
        }
    } else {
        if (c->seen & k->bit) {
            pp_fail(c, c->line, "duplicate key '%s' in %s", name, sec_name(c, sb, sizeof sb));
            return 0;
        }
        c->seen |= k->bit;
        /* A list may start on the next, indented line ("hosts =" then one per line). */
        if (value[0] == '\0' && !k->list && !k->text) {
            pp_fail(c, c->line, "empty value for '%s'", name);
            return 0;
        }
    }
    struct dis_profile_rule *r = c->sec == PP_RULE ? &c->p->rules[c->p->n_rules - 1] : NULL;
    switch (k->bit) {
    case PP_K_NAME:
        pp_text(c, name, c->p->name, sizeof c->p->name, value, false);
        break;
    case PP_K_HOSTS:
        if (!cont)
            c->hosts_line[c->p->n_rules - 1] = c->line;
        pp_tokens(c, value, pp_host);
        break;
    case PP_K_PORTS:
        pp_tokens(c, value, c->sec == PP_DIRECT ? pp_direct_port : pp_port);
        break;
    case PP_K_EXCLUDE:
        pp_tokens(c, value, pp_direct_exclude);
        break;
    case PP_K_NETS:
        pp_tokens(c, value, pp_net);
        break;
    case PP_K_USED_FOR:
        pp_text(c, name, r->used_for, sizeof r->used_for, value, cont);
        break;
    case PP_K_SCOPE:
        if (!strcasecmp(value, "internet"))
            r->scope = DIS_SCOPE_INTERNET;
        else if (!strcasecmp(value, "lan"))
            r->scope = DIS_SCOPE_LAN;
        else
            pp_fail(c, c->line, "bad scope '%s' (expected internet or lan)", value);
        break;
    case PP_K_TRAFFIC:
        if (!strcasecmp(value, "any"))
            r->traffic = DIS_TRAFFIC_ANY;
        else if (!strcasecmp(value, "ice"))
            r->traffic = DIS_TRAFFIC_ICE;
        else
            pp_fail(c, c->line, "bad traffic '%s' (expected any or ice)", value);
        break;
    case PP_K_PRODUCT:
        if (!pp_bool(value, &r->product))
            pp_fail(c, c->line, "bad product '%s' (expected yes or no)", value);
        break;
    default:
        break;
    }
    return c->failed ? 0 : 1;
}

/* After the last line: every rule complete, rule: references resolved. */
static void pp_finish(struct pp *c)
{
    struct dis_profile *p = c->p;
    for (size_t i = 0; i < p->n_rules && !c->failed; i++) {
        const struct dis_profile_rule *r = &p->rules[i];
        if (r->n_hosts == 0)
            pp_fail(c, c->rule_line[i], "rule '%s' has no hosts (use hosts = * for any)", r->id);
        else if (r->n_ports == 0)
            pp_fail(c, c->rule_line[i], "rule '%s' has no ports", r->id);
    }
    for (size_t i = 0; i < p->n_rules && !c->failed; i++) {
        const struct dis_profile_rule *r = &p->rules[i];
        for (size_t h = 0; h < r->n_hosts && !c->failed; h++) {
            p->ref[i][h] = -1;
            if (strncmp(r->hosts[h], "rule:", 5) != 0)
                continue;
            const char *id = r->hosts[h] + 5;
            int j = dis_profile_rule_index(p, id);
            if (j < 0) {
                pp_fail(c, c->hosts_line[i], "rule '%s': unknown rule '%s' in rule:%s", r->id, id,
                        id);
            } else if ((size_t)j == i) {
                pp_fail(c, c->hosts_line[i], "rule '%s' refers to itself", r->id);
            } else {
                for (size_t k = 0; k < p->rules[j].n_hosts; k++) {
                    if (!strncmp(p->rules[j].hosts[k], "rule:", 5)) {
                        pp_fail(c, c->hosts_line[i],
                                "rule '%s': rule:%s refers to a rule that itself uses rule: "
                                "(one level only)",
                                r->id, id);
                        break;
                    }
                }
                p->ref[i][h] = (int8_t)j;
            }
        }
    }
}

int dis_profile_parse(const char *text, size_t len, const char *name, struct dis_profile **out,
                      char err[SS_ERRBUF_SIZE])
{
    *out = NULL;
    struct dis_profile *p = calloc(1, sizeof *p);
    struct pp *c = calloc(1, sizeof *c);
    if (!p || !c) {
        free(p);
        free(c);
        snprintf(err, SS_ERRBUF_SIZE, "%s: out of memory", name);
        return -1;
    }
    c->p = p;
    c->fname = name;
    c->text = text;
    c->len = len;
    c->err = err;
    int rc = ini_parse_stream(pp_reader, c, pp_handler, c);
    /* inih reports the first line it could not parse (no '=' for instance), and keeps going;
     * our own first error stopped the reader. The earlier of the two is the one to report. */
    if (rc > 0 && (!c->failed || (unsigned)rc < c->fail_line)) {
        c->failed = false;
        pp_fail(c, (unsigned)rc, "syntax error (expected [section], key = value or a comment)");
    } else if (rc < 0 && !c->failed) {
        snprintf(err, SS_ERRBUF_SIZE, "%s: out of memory", name);
        c->failed = true;
    }
    if (!c->failed)
        pp_finish(c);
    if (!c->failed && !c->have_local) {
        char why[200];
        for (size_t i = 0; i < sizeof default_nets / sizeof default_nets[0]; i++) {
            if (add_net(p, default_nets[i], why, sizeof why) < 0)
                pp_fail(c, 0, "%s", why); /* not reached: the table is valid */
        }
    }
    if (!c->failed && p->name[0] == '\0')
        snprintf(p->name, sizeof p->name, "%s", name);
    bool failed = c->failed;
    free(c);
    if (failed) {
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int dis_profile_default(struct dis_profile **out, char err[SS_ERRBUF_SIZE])
{
    const char *t = dis_profile_default_text();
    return dis_profile_parse(t, strlen(t), "<built-in profile>", out, err);
}

void dis_profile_free(struct dis_profile *p)
{
    free(p);
}

const char *dis_profile_name(const struct dis_profile *p)
{
    return p->name;
}

int dis_profile_add_local_net(struct dis_profile *p, const char *cidr, char err[SS_ERRBUF_SIZE])
{
    return add_net(p, cidr, err, SS_ERRBUF_SIZE);
}

bool dis_profile_is_local(const struct dis_profile *p, const struct dis_addr *a)
{
    if (!a)
        return false;
    for (size_t i = 0; i < p->n_nets; i++) {
        if (net_contains(&p->nets[i], a))
            return true;
    }
    return false;
}

size_t dis_profile_rule_count(const struct dis_profile *p)
{
    return p->n_rules;
}

const struct dis_profile_rule *dis_profile_rule_at(const struct dis_profile *p, size_t i)
{
    return i < p->n_rules ? &p->rules[i] : NULL;
}

int dis_profile_rule_index(const struct dis_profile *p, const char *id)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        if (!strcmp(p->rules[i].id, id))
            return (int)i;
    }
    return -1;
}

size_t dis_profile_net_count(const struct dis_profile *p)
{
    return p->n_nets;
}

const struct dis_net *dis_profile_net_at(const struct dis_profile *p, size_t i)
{
    return i < p->n_nets ? &p->nets[i] : NULL;
}

/* Matching */

/* Pattern (lower case, no trailing dot) against a host name of @p n characters. */
static bool pattern_matches(const char *pat, const char *host, size_t n)
{
    if (pat[0] == '*' && pat[1] == '\0')
        return true;
    if (n == 0)
        return false;
    if (pat[0] == '*' && pat[1] == '.') {
        /* "*.domain": at least one label below domain, never domain itself. */
        size_t sn = strlen(pat + 1); /* ".domain" */
        return n > sn && !strncasecmp(host + n - sn, pat + 1, sn);
    }
    return strlen(pat) == n && !strncasecmp(host, pat, n);
}

static bool host_matches(const struct dis_profile *p, size_t ri, const char *host)
{
    const struct dis_profile_rule *r = &p->rules[ri];
    size_t n = host ? strlen(host) : 0;
    if (n > 0 && host[n - 1] == '.')
        n--;
    for (size_t h = 0; h < r->n_hosts; h++) {
        int j = p->ref[ri][h];
        if (j >= 0) {
            const struct dis_profile_rule *t = &p->rules[j];
            for (size_t k = 0; k < t->n_hosts; k++) {
                if (pattern_matches(t->hosts[k], host, n))
                    return true;
            }
        } else if (pattern_matches(r->hosts[h], host, n)) {
            return true;
        }
    }
    return false;
}

bool dis_profile_host_matches(const struct dis_profile *p, const struct dis_profile_rule *r,
                              const char *host)
{
    if (r < p->rules || r >= p->rules + p->n_rules)
        return false;
    return host_matches(p, (size_t)(r - p->rules), host);
}

int dis_profile_match(const struct dis_profile *p, const struct dis_profile_flow *f)
{
    bool src_local = dis_profile_is_local(p, f->src);
    bool dst_local = dis_profile_is_local(p, f->dst);
    for (size_t i = 0; i < p->n_rules; i++) {
        const struct dis_profile_rule *r = &p->rules[i];
        if (r->traffic == DIS_TRAFFIC_ICE && !f->ice)
            continue;
        if (r->scope == DIS_SCOPE_INTERNET ? !(src_local && !dst_local) : !(src_local && dst_local))
            continue;
        bool port_ok = false;
        for (size_t k = 0; k < r->n_ports && !port_ok; k++) {
            port_ok = r->ports[k].proto == f->proto && f->dport >= r->ports[k].lo &&
                      f->dport <= r->ports[k].hi;
        }
        if (port_ok && host_matches(p, i, f->host))
            return (int)i;
    }
    return -1;
}

/* Method 1 ports */

/* Well-known services that two Windows or macOS hosts of a school talk over on their own, and
 * that are therefore never the product's direct connection (docs/profile.md, "[direct]").
 * Ports below 1024 are excluded as a whole. */
static const struct dis_port_range direct_not[] = {
    {6, 1433, 1434},  {17, 1434, 1434}, /* Microsoft SQL Server, its browser */
    {6, 1688, 1688},                    /* KMS activation */
    {17, 1900, 1900}, {6, 2869, 2869},  /* SSDP, UPnP */
    {6, 3268, 3269},                    /* Active Directory global catalog */
    {6, 3306, 3306},                    /* MySQL */
    {6, 3389, 3389},  {17, 3389, 3389}, /* Remote Desktop */
    {17, 3702, 3702}, {6, 5357, 5358},  /* WS-Discovery, WSD (network discovery) */
    {17, 5353, 5353},                   /* mDNS */
    {6, 5355, 5355},  {17, 5355, 5355}, /* LLMNR */
    {6, 5432, 5432},                    /* PostgreSQL */
    {6, 5985, 5986},                    /* WinRM (HTTP, HTTPS) */
    {6, 7680, 7680},                    /* Windows Update Delivery Optimization */
    {6, 8080, 8080},                    /* HTTP proxies and alternate web servers */
    {6, 8530, 8531},                    /* WSUS */
    {6, 9100, 9100},                    /* printers (raw) */
};

static bool in_ranges(const struct dis_port_range *v, size_t n, uint8_t proto, uint16_t port)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].proto == proto && port >= v[i].lo && port <= v[i].hi)
            return true;
    }
    return false;
}

bool dis_profile_service_port(const struct dis_profile *p, uint8_t proto, uint16_t port)
{
    return port < 1024 ||
           in_ranges(direct_not, sizeof direct_not / sizeof direct_not[0], proto, port) ||
           in_ranges(p->direct_exclude, p->n_direct_exclude, proto, port);
}

bool dis_profile_direct_port(const struct dis_profile *p, uint8_t proto, uint16_t port)
{
    if (p->n_direct)
        return in_ranges(p->direct, p->n_direct, proto, port);
    return !dis_profile_service_port(p, proto, port);
}

size_t dis_profile_direct_ports(const struct dis_profile *p, const struct dis_port_range **v)
{
    *v = p->direct;
    return p->n_direct;
}

size_t dis_profile_direct_excluded(const struct dis_profile *p, const struct dis_port_range **v)
{
    *v = p->direct_exclude;
    return p->n_direct_exclude;
}
