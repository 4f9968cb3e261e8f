/* SPDX-License-Identifier: MIT */
/*
 * ana.c - the analyzer: what each flow tells (rule, blocked and inspected verdicts), the
 * capture-wide TTL and RTT baselines, the hosts, and the order of emission. ICE sessions,
 * TURN allocations and routing methods are in ana_ice.c. DESIGN.md "Attribution",
 * "Verdicts"; thresholds and bounds in docs/verdicts.md.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ana_int.h"

/* ------------------------------------------------------------------ names */

const char *dis_sess_kind_name(enum dis_sess_kind k)
{
    switch (k) {
    case DIS_SESS_ICE:
        return "ice";
    case DIS_SESS_TURN:
        return "turn";
    case DIS_SESS_BROADCAST:
        return "broadcast";
    case DIS_SESS_DIRECT:
        return "direct";
    }
    return "?";
}

const char *dis_submethod_name(enum dis_submethod s)
{
    switch (s) {
    case DIS_SUB_NONE:
        return NULL;
    case DIS_SUB_HOST:
        return "host";
    case DIS_SUB_SRFLX:
        return "srflx";
    case DIS_SUB_RELAY_UDP:
        return "relay-udp";
    case DIS_SUB_RELAY_TCP:
        return "relay-tcp";
    case DIS_SUB_RELAY_TLS:
        return "relay-tls";
    }
    return NULL;
}

const char *dis_verdict_kind_name(enum dis_verdict_kind k)
{
    return k == DIS_VK_INSPECTED ? "inspected" : "blocked";
}

const char *dis_confidence_name(enum dis_confidence c)
{
    return c == DIS_CONF_SUSPECTED ? "suspected" : "confirmed";
}

const char *dis_host_role_name(enum dis_host_role r)
{
    switch (r) {
    case DIS_ROLE_CLIENT:
        return "client";
    case DIS_ROLE_CONSOLE:
        return "console";
    case DIS_ROLE_SERVER:
        return "server";
    case DIS_ROLE_OTHER:
        break;
    }
    return "other";
}

void dis_ana_defaults(struct dis_ana_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->syn_wait_ms = 3000;
    o->udp_wait_ms = 3000;
    o->min_retries = 2;
    o->rtt_factor = 10;
    o->baseline_min = 2;
    o->ttl_margin = 2;
    o->max_sessions = 100000;
    o->max_pairs = 64;
    o->max_pairs_total = 1000000;
    o->max_hosts = 500000;
    o->max_flows = 1000000;
    o->max_baseline = 65536;
    o->max_pending = 262144;
    o->max_verdicts = 262144;
}

/* ------------------------------------------------------------------ small helpers */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t ana__addr_hash(const struct dis_addr *x)
{
    uint64_t h = 1469598103934665603ULL ^ x->family;
    for (size_t i = 0; i < sizeof(x->b); i++)
        h = (h ^ x->b[i]) * 1099511628211ULL;
    return h;
}

bool ana__addr_eq(const struct dis_addr *x, const struct dis_addr *y)
{
    return x->family == y->family && memcmp(x->b, y->b, sizeof(x->b)) == 0;
}

bool ana__ep_eq(const struct dis_ep *x, const struct dis_ep *y)
{
    return x->port == y->port && ana__addr_eq(&x->addr, &y->addr);
}

char *ana__ep_str(const struct dis_ep *e, char *buf, size_t len)
{
    char a[48]; /* INET6_ADDRSTRLEN (46): "[addr]:port" then fits the callers' 64 bytes */
    if (e->addr.family == 0) {
        snprintf(buf, len, "?");
        return buf;
    }
    dis_addr_str(&e->addr, a, sizeof(a));
    if (e->addr.family == 6)
        snprintf(buf, len, "[%s]:%u", a, e->port);
    else
        snprintf(buf, len, "%s:%u", a, e->port);
    return buf;
}

bool ana__is_local(const struct dis_ana *a, const struct dis_addr *x)
{
    return x->family != 0 && dis_profile_is_local(a->prof, x);
}

/* Every failure of the analyzer is an allocation's: sticky, dis_ana_errstr() tells. */
static void ana_err(struct dis_ana *a, const char *what)
{
    snprintf(a->err, sizeof(a->err), "analysis: %s", what);
    a->oom = true;
}

void *ana__vec_push(struct dis_ana *a, struct vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        void *p = realloc(v->p, cap * v->size);
        if (!p) {
            ana_err(a, "out of memory");
            return NULL;
        }
        v->p = p;
        v->cap = cap;
    }
    void *slot = (char *)v->p + v->n * v->size;
    memset(slot, 0, v->size);
    v->n++;
    return slot;
}

/* ------------------------------------------------------------------ address sets */

struct ana_aslot *ana__aset_find(const struct ana_aset *s, const struct dis_addr *x)
{
    if (s->n == 0 || x->family == 0)
        return NULL;
    for (size_t i = ana__addr_hash(x) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->s[i].addr.family == 0)
            return NULL;
        if (ana__addr_eq(&s->s[i].addr, x))
            return &s->s[i];
    }
}

static struct ana_aslot *aset_slot(struct ana_aset *s, const struct dis_addr *x)
{
    size_t i = ana__addr_hash(x) & (s->cap - 1);
    while (s->s[i].addr.family != 0 && !ana__addr_eq(&s->s[i].addr, x))
        i = (i + 1) & (s->cap - 1);
    return &s->s[i];
}

struct ana_aslot *ana__aset_put(struct dis_ana *a, struct ana_aset *s, const struct dis_addr *x,
                                bool *created)
{
    *created = false;
    if (x->family == 0)
        return NULL;
    if (s->n + 1 > s->cap / 2) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        struct ana_aslot *ns = calloc(ncap, sizeof(*ns));
        if (!ns) {
            ana_err(a, "out of memory");
            return NULL;
        }
        struct ana_aset old = *s;
        s->s = ns;
        s->cap = ncap;
        for (size_t i = 0; i < old.cap; i++)
            if (old.s[i].addr.family != 0)
                *aset_slot(s, &old.s[i].addr) = old.s[i];
        free(old.s);
    }
    struct ana_aslot *sl = aset_slot(s, x);
    if (sl->addr.family == 0) {
        sl->addr = *x;
        sl->val = 0;
        s->n++;
        *created = true;
    }
    return sl;
}

void ana__aset_free(struct ana_aset *s)
{
    free(s->s);
    memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ interned strings */

/* One copy of each host name however many flows and verdicts carry it; "" for none. Returns
 * NULL on out of memory. The strings live as long as the analyzer. */
static const char *intern(struct dis_ana *a, const char *str)
{
    if (!str || !*str)
        return "";
    uint64_t h = 1469598103934665603ULL;
    size_t n = 0;
    for (; str[n]; n++)
        h = (h ^ (uint8_t)str[n]) * 1099511628211ULL;
    if (a->strs_cap) {
        for (struct ana_str *e = a->strs[h & (a->strs_cap - 1)]; e; e = e->next)
            if (e->hash == h && strcmp(e->s, str) == 0)
                return e->s;
    }
    if (a->strs_n >= a->strs_cap / 2) {
        size_t ncap = a->strs_cap ? a->strs_cap * 2 : 256;
        struct ana_str **nt = calloc(ncap, sizeof(*nt));
        if (!nt) {
            ana_err(a, "out of memory");
            return NULL;
        }
        for (size_t i = 0; i < a->strs_cap; i++) {
            struct ana_str *e = a->strs[i];
            while (e) {
                struct ana_str *nx = e->next;
                e->next = nt[e->hash & (ncap - 1)];
                nt[e->hash & (ncap - 1)] = e;
                e = nx;
            }
        }
        free(a->strs);
        a->strs = nt;
        a->strs_cap = ncap;
    }
    struct ana_str *e = malloc(sizeof(*e) + n + 1);
    if (!e) {
        ana_err(a, "out of memory");
        return NULL;
    }
    e->hash = h;
    memcpy(e->s, str, n + 1);
    e->next = a->strs[h & (a->strs_cap - 1)];
    a->strs[h & (a->strs_cap - 1)] = e;
    a->strs_n++;
    return e->s;
}

/* Grow the chained hash tables to twice their size (typed: no offset casts). */
static int flows_grow(struct dis_ana *a)
{
    size_t ncap = a->flows_cap ? a->flows_cap * 2 : 1024;
    struct ana_flow **nt = calloc(ncap, sizeof(*nt));
    if (!nt) {
        ana_err(a, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < a->flows_cap; i++) {
        struct ana_flow *e = a->flows[i];
        while (e) {
            struct ana_flow *nx = e->next;
            size_t b = mix64(e->flow_id) & (ncap - 1);
            e->next = nt[b];
            nt[b] = e;
            e = nx;
        }
    }
    free(a->flows);
    a->flows = nt;
    a->flows_cap = ncap;
    return 0;
}

static int hosts_grow(struct dis_ana *a)
{
    size_t ncap = a->hosts_cap ? a->hosts_cap * 2 : 1024;
    struct ana_host **nt = calloc(ncap, sizeof(*nt));
    if (!nt) {
        ana_err(a, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < a->hosts_cap; i++) {
        struct ana_host *e = a->hosts[i];
        while (e) {
            struct ana_host *nx = e->next;
            size_t b = ana__addr_hash(&e->addr) & (ncap - 1);
            e->next = nt[b];
            nt[b] = e;
            e = nx;
        }
    }
    free(a->hosts);
    a->hosts = nt;
    a->hosts_cap = ncap;
    return 0;
}

static struct ana_flow *flow_get(struct dis_ana *a, uint64_t id, bool create)
{
    if (a->flows_cap) {
        for (struct ana_flow *f = a->flows[mix64(id) & (a->flows_cap - 1)]; f; f = f->next)
            if (f->flow_id == id)
                return f;
    }
    if (!create)
        return NULL;
    if (a->flows_n >= a->flows_cap / 2 && flows_grow(a) < 0)
        return NULL;
    struct ana_flow *f = calloc(1, sizeof(*f));
    if (!f) {
        ana_err(a, "out of memory");
        return NULL;
    }
    f->flow_id = id;
    f->chain = DIS_TLS_CHAIN_UNKNOWN;
    size_t b = mix64(id) & (a->flows_cap - 1);
    f->next = a->flows[b];
    a->flows[b] = f;
    a->flows_n++;
    return f;
}

static void flow_free(struct ana_flow *f)
{
    free(f->tx);
    free(f->verify_str);
    free(f->issuer);
    free(f->vendor_issuer);
    free(f->connect_target);
    free(f);
}

static void flow_drop(struct dis_ana *a, struct ana_flow *f)
{
    struct ana_flow **pp = &a->flows[mix64(f->flow_id) & (a->flows_cap - 1)];
    while (*pp && *pp != f)
        pp = &(*pp)->next;
    if (*pp)
        *pp = f->next;
    a->flows_n--;
    flow_free(f);
}

struct ana_host *ana__host(struct dis_ana *a, const struct dis_addr *addr, bool create)
{
    if (addr->family == 0)
        return NULL;
    uint64_t h = ana__addr_hash(addr);
    if (a->hosts_cap) {
        for (struct ana_host *x = a->hosts[h & (a->hosts_cap - 1)]; x; x = x->next)
            if (ana__addr_eq(&x->addr, addr))
                return x;
    }
    if (!create)
        return NULL;
    if (a->hosts_n >= a->o.max_hosts) {
        a->st.hosts_dropped++; /* bounded: a scan makes an address per flow */
        return NULL;
    }
    if (a->hosts_n >= a->hosts_cap / 2 && hosts_grow(a) < 0) {
        a->oom = true;
        return NULL;
    }
    struct ana_host *x = calloc(1, sizeof(*x));
    if (!x) {
        ana_err(a, "out of memory");
        a->oom = true;
        return NULL;
    }
    x->addr = *addr;
    x->local = ana__is_local(a, addr);
    size_t b = h & (a->hosts_cap - 1);
    x->next = a->hosts[b];
    a->hosts[b] = x;
    a->hosts_n++;
    return x;
}

static void host_seen(struct ana_host *h, uint64_t first, uint64_t last)
{
    if (!h)
        return;
    if (h->first_ns == 0 || first < h->first_ns)
        h->first_ns = first;
    if (last > h->last_ns)
        h->last_ns = last;
}

#define ANA_HOST_NAMES 512 /* sizeof dis_host_rec.names */

/* Adds @p name to the host's comma-separated names (kept to the size of the record's field,
 * the first names first). Returns -1 on out of memory. */
static int host_add_name(struct dis_ana *a, struct ana_host *h, const char *name)
{
    if (!h || !name || !*name)
        return 0;
    size_t nl = strlen(name), hl = h->names ? strlen(h->names) : 0;
    /* already listed? */
    const char *p = h->names ? h->names : "";
    while (*p) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l == nl && strncmp(p, name, l) == 0)
            return 0;
        if (!c)
            break;
        p = c + 1;
    }
    if (hl + nl + 2 > ANA_HOST_NAMES)
        return 0; /* full: the first names are kept */
    char *nn = realloc(h->names, hl + nl + 2);
    if (!nn) {
        ana_err(a, "out of memory");
        return -1;
    }
    h->names = nn;
    if (hl)
        nn[hl++] = ',';
    memcpy(nn + hl, name, nl + 1);
    return 0;
}

int ana__verdict(struct dis_ana *a, enum dis_verdict_kind kind, const char *code,
                 enum dis_confidence conf, int rule, uint8_t proto, const struct dis_ep *src,
                 const struct dis_ep *dst, const char *host, uint64_t first_ns, uint64_t flow_id,
                 uint64_t session_id, const char *evidence)
{
    if (a->verdicts.n >= a->o.max_verdicts) { /* bounded: a scan can make a verdict per flow */
        a->st.verdicts_dropped++;
        return 0;
    }
    const char *h = intern(a, host);
    char *e = strdup(evidence ? evidence : "");
    if (!h || !e) {
        free(e);
        ana_err(a, "out of memory");
        return -1;
    }
    struct ana_verdict *v = ana__vec_push(a, &a->verdicts);
    if (!v) {
        free(e);
        return -1;
    }
    v->kind = (uint8_t)kind;
    v->code = code;
    v->conf = (uint8_t)conf;
    v->rule = (int16_t)rule;
    v->proto = proto;
    v->src = src->addr;
    v->sport = src->port;
    v->dst = dst->addr;
    v->dport = dst->port;
    v->host = h;
    v->first_ns = first_ns;
    v->flow_id = flow_id;
    v->session_id = session_id;
    v->evidence = e;
    /* The host of the initiator exists for the count made when the verdicts are emitted (not
     * when the host table is full). */
    ana__host(a, &src->addr, true);
    return a->oom ? -1 : 0;
}

/* Frees the evidence of the verdicts from index @p from on and forgets them. */
static void verdicts_truncate(struct dis_ana *a, size_t from)
{
    struct ana_verdict *v = a->verdicts.p;
    for (size_t i = from; i < a->verdicts.n; i++)
        free(v[i].evidence);
    if (from < a->verdicts.n)
        a->verdicts.n = from;
}

/* ------------------------------------------------------------------ lifecycle */

struct dis_ana *dis_ana_new(const struct dis_ana_opts *o, const struct dis_profile *prof,
                            const struct dis_issuers *issuers, const struct dis_ana_sink *sink,
                            char err[SS_ERRBUF_SIZE])
{
    if (!prof || !sink) {
        snprintf(err, SS_ERRBUF_SIZE, "analysis: a profile and a sink are required");
        return NULL;
    }
    struct dis_ana *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, SS_ERRBUF_SIZE, "analysis: out of memory");
        return NULL;
    }
    if (o)
        a->o = *o;
    else
        dis_ana_defaults(&a->o);
    a->prof = prof;
    a->issuers = issuers;
    a->sink = *sink;
    a->fsums.size = sizeof(struct ana_fsum);
    a->servers.size = sizeof(struct ana_server);
    a->tls13.size = sizeof(struct ana_tcpsum);
    a->verdicts.size = sizeof(struct ana_verdict);
    a->pending.size = sizeof(struct ana_pending);
    a->dnsf.size = sizeof(struct ana_dnsf);
    return a;
}

void dis_ana_free(struct dis_ana *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->flows_cap; i++) {
        struct ana_flow *f = a->flows[i];
        while (f) {
            struct ana_flow *n = f->next;
            flow_free(f);
            f = n;
        }
    }
    free(a->flows);
    for (size_t i = 0; i < a->hosts_cap; i++) {
        struct ana_host *h = a->hosts[i];
        while (h) {
            struct ana_host *n = h->next;
            free(h->names);
            free(h);
            h = n;
        }
    }
    free(a->hosts);
    for (size_t i = 0; i < a->strs_cap; i++) {
        struct ana_str *e = a->strs[i];
        while (e) {
            struct ana_str *n = e->next;
            free(e);
            e = n;
        }
    }
    free(a->strs);
    ana__ice_free(a);
    verdicts_truncate(a, 0);
    free(a->fsums.p);
    free(a->servers.p);
    ana__aset_free(&a->server_idx);
    free(a->tls13.p);
    free(a->verdicts.p);
    free(a->pending.p);
    free(a->dnsf.p);
    free(a->dnsf_head);
    ana__aset_free(&a->nat);
    ana__aset_free(&a->turn_servers);
    free(a);
}

void dis_ana_get_stats(const struct dis_ana *a, struct dis_ana_stats *st)
{
    *st = a->st;
    st->hosts = a->hosts_n;
    st->flows = a->fsums.n;
    st->sessions = a->ice_n + a->allocs_n;
    st->pairs = a->pairs_n;
    st->verdicts = a->verdicts.n;
}

const char *dis_ana_errstr(const struct dis_ana *a)
{
    return a->err[0] ? a->err : "no error";
}

void dis_ana_time(struct dis_ana *a, uint64_t now_ns)
{
    if (now_ns > a->now_ns)
        a->now_ns = now_ns;
}

/* ------------------------------------------------------------------ events */

static int side_of(struct ana_flow *f, const struct dis_event *ev)
{
    struct dis_ep src = {ev->src, ev->sport};
    if (f->side0.addr.family == 0) {
        f->side0 = src;
        return 0;
    }
    return ana__ep_eq(&f->side0, &src) ? 0 : 1;
}

/* Bounded copy, cut at @p len - 1 bytes (names and texts from packets can be long). */
static void copy_str(char *dst, size_t len, const char *src)
{
    size_t n = 0;
    while (src && n + 1 < len && src[n])
        n++;
    if (n)
        memcpy(dst, src, n);
    dst[n] = 0;
}

void ana__cat(char *buf, size_t len, const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, len - l, fmt, ap);
    va_end(ap);
}

/* Replaces *@p dst by a copy of @p src cut at @p max - 1 bytes (NULL or "": none). Returns -1
 * on out of memory. */
static int set_str(struct dis_ana *a, char **dst, const char *src, size_t max)
{
    free(*dst);
    *dst = NULL;
    size_t n = 0;
    while (src && n + 1 < max && src[n])
        n++;
    if (n == 0)
        return 0;
    *dst = malloc(n + 1);
    if (!*dst) {
        ana_err(a, "out of memory");
        return -1;
    }
    memcpy(*dst, src, n);
    (*dst)[n] = 0;
    return 0;
}

/* The first rule, in order, whose named host patterns accept @p name: for DNS answers,
 * where only the name is known. Rules whose hosts are "*" (any) are skipped. */
static int rule_for_name(const struct dis_ana *a, const char *name)
{
    size_t n = dis_profile_rule_count(a->prof);
    for (size_t i = 0; i < n; i++) {
        const struct dis_profile_rule *r = dis_profile_rule_at(a->prof, i);
        if (r->traffic != DIS_TRAFFIC_ANY || r->scope != DIS_SCOPE_INTERNET)
            continue;
        bool wildcard_only = true;
        for (size_t h = 0; h < r->n_hosts; h++)
            if (strcmp(r->hosts[h], "*") != 0)
                wildcard_only = false;
        if (wildcard_only)
            continue;
        if (dis_profile_host_matches(a->prof, r, name))
            return (int)i;
    }
    return -1;
}

static bool sinkhole(const struct dis_addr *x)
{
    static const uint8_t zero[16];
    if (x->family == 4)
        return memcmp(x->b, zero, 4) == 0 || x->b[0] == 127;
    if (x->family == 6) {
        if (memcmp(x->b, zero, 16) == 0)
            return true;
        return memcmp(x->b, zero, 15) == 0 && x->b[15] == 1; /* ::1 */
    }
    return false;
}

static uint64_t dnsf_hash(const struct dis_addr *client, const char *name)
{
    uint64_t h = ana__addr_hash(client);
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 1099511628211ULL;
    return h;
}

/* The failures of @p name (interned) for @p client; created when @p create (NULL when there is
 * no room, counted, or no memory, a->oom). */
static struct ana_dnsf *dnsf_get(struct dis_ana *a, const struct dis_addr *client, const char *name,
                                 bool create)
{
    struct ana_dnsf *v = a->dnsf.p;
    uint64_t h = dnsf_hash(client, name);
    if (a->dnsf_cap) {
        for (uint32_t k = a->dnsf_head[h & (a->dnsf_cap - 1)]; k; k = v[k - 1].next)
            if (v[k - 1].name == name && ana__addr_eq(&v[k - 1].client, client))
                return &v[k - 1];
    }
    if (!create)
        return NULL;
    if (a->dnsf.n >= ANA_DNS_MAX) {
        a->st.dns_dropped++;
        return NULL;
    }
    if (a->dnsf.n + 1 > a->dnsf_cap / 2) { /* the buckets: rebuilt from the chains' owners */
        size_t ncap = a->dnsf_cap ? a->dnsf_cap * 2 : 64;
        uint32_t *nh = calloc(ncap, sizeof(*nh));
        if (!nh) {
            ana_err(a, "out of memory");
            return NULL;
        }
        for (size_t k = 0; k < a->dnsf.n; k++) {
            size_t b = dnsf_hash(&v[k].client, v[k].name) & (ncap - 1);
            v[k].next = nh[b];
            nh[b] = (uint32_t)(k + 1);
        }
        free(a->dnsf_head);
        a->dnsf_head = nh;
        a->dnsf_cap = ncap;
    }
    struct ana_dnsf *e = ana__vec_push(a, &a->dnsf);
    if (!e)
        return NULL;
    e->client = *client;
    e->name = name;
    size_t b = h & (a->dnsf_cap - 1);
    e->next = a->dnsf_head[b];
    a->dnsf_head[b] = (uint32_t)a->dnsf.n;
    return e;
}

/*
 * dns_failure: an error (NXDOMAIN, SERVFAIL, REFUSED) or a sinkhole address for a name of the
 * profile. One verdict per (client, name), whatever the query types (A and AAAA fail
 * together); it is decided at finish from what came after the last failure: a good answer
 * from the same resolver (the failure passed: no verdict), a good answer from another
 * resolver only (suspected: the client got through another way), or none (confirmed).
 */
static int on_dns(struct dis_ana *a, const struct dis_event *ev)
{
    const struct dis_dns_msg *m = ev->u.dns;
    if (!m->qr || !m->has_question || !m->qname[0])
        return 0;
    int ri = rule_for_name(a, m->qname);
    if (ri < 0)
        return 0;
    char why[160] = "", lname[DIS_DNS_NAME_STRLEN];
    bool good = false;
    if (m->rcode == 2 || m->rcode == 3 || m->rcode == 5) {
        static const char *const names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                            "NXDOMAIN", "NOTIMP",  "REFUSED"};
        snprintf(why, sizeof(why), "%s for %.100s (qtype %u) from the resolver", names[m->rcode],
                 m->qname, m->qtype);
    } else if (m->rcode == 0) {
        for (unsigned i = 0; i < m->n_answers; i++) {
            const struct dis_dns_rr *rr = &m->answers[i];
            if (rr->type != 1 && rr->type != 28)
                continue;
            if (sinkhole(&rr->addr)) {
                char ab[64];
                snprintf(why, sizeof(why), "sinkhole answer %s for %.100s",
                         dis_addr_str(&rr->addr, ab, sizeof(ab)), m->qname);
                break;
            }
            good = true;
        }
    }
    if (!why[0] && !good)
        return 0; /* no address and no error (NODATA, a CNAME alone): says nothing */
    size_t n = 0;
    for (; m->qname[n] && n + 1 < sizeof(lname); n++)
        lname[n] =
            (char)(m->qname[n] >= 'A' && m->qname[n] <= 'Z' ? m->qname[n] + 32 : m->qname[n]);
    lname[n] = 0;
    const char *name = intern(a, lname);
    if (!name)
        return -1;
    /* The response goes server -> client; the flow's initiator is the client. */
    struct dis_ep cli = {ev->dst, ev->dport}, srv = {ev->src, ev->sport};
    struct ana_dnsf *e = dnsf_get(a, &cli.addr, name, why[0] != 0);
    if (!e)
        return a->oom ? -1 : 0;
    if (!why[0]) { /* a good answer after a failure */
        if (ev->ts_ns >= e->last_fail_ns) {
            e->ok_after = true;
            e->ok_srv = srv.addr;
            if (ana__addr_eq(&srv.addr, &e->last_fail_srv))
                e->ok_same = true;
        }
        return 0;
    }
    if (e->fails == 0) {
        e->rule = ri;
        e->proto = ev->transport;
        e->cli = cli;
        e->srv = srv;
        e->first_ns = ev->ts_ns;
        e->flow_id = ev->flow_id;
        copy_str(e->why, sizeof(e->why), why);
    }
    e->fails++;
    if (e->n_qtype < 2 && (e->n_qtype == 0 || e->qtype[0] != m->qtype))
        e->qtype[e->n_qtype++] = m->qtype;
    e->last_fail_ns = ev->ts_ns;
    e->last_fail_srv = srv.addr;
    e->ok_after = e->ok_same = false;
    return 0;
}

static int dns_verdicts(struct dis_ana *a)
{
    const struct ana_dnsf *e = a->dnsf.p;
    for (size_t i = 0; i < a->dnsf.n; i++) {
        if (e[i].ok_same)
            continue; /* the resolver answered the name after all */
        const struct dis_profile_rule *r = dis_profile_rule_at(a->prof, (size_t)e[i].rule);
        char ev[512], ab[64];
        snprintf(ev, sizeof(ev), "%s", e[i].why);
        if (e[i].fails > 1) {
            ana__cat(ev, sizeof(ev), "; %u failed answers (qtype %u", e[i].fails, e[i].qtype[0]);
            if (e[i].n_qtype > 1)
                ana__cat(ev, sizeof(ev), ", %u", e[i].qtype[1]);
            ana__cat(ev, sizeof(ev), ")");
        }
        if (e[i].ok_after) {
            char fb[64];
            ana__cat(
                ev, sizeof(ev),
                "; later answered by the resolver %s, not by %s: the product reaches %.100s only "
                "through another resolver (rule %s)",
                dis_addr_str(&e[i].ok_srv, ab, sizeof(ab)),
                dis_addr_str(&e[i].last_fail_srv, fb, sizeof(fb)), e[i].name, r->id);
        } else
            ana__cat(ev, sizeof(ev), "; the product cannot reach %.100s (rule %s)", e[i].name,
                     r->id);
        if (ana__verdict(a, DIS_VK_BLOCKED, "dns_failure",
                         e[i].ok_after ? DIS_CONF_SUSPECTED : DIS_CONF_CONFIRMED, e[i].rule,
                         e[i].proto, &e[i].cli, &e[i].srv, e[i].name, e[i].first_ns, e[i].flow_id,
                         0, ev) < 0)
            return -1;
    }
    return 0;
}

static int on_tls(struct dis_ana *a, const struct dis_event *ev)
{
    const struct dis_tls_summary *t = ev->u.tls;
    struct ana_flow *f = flow_get(a, ev->flow_id, true);
    if (!f)
        return -1;
    f->tls = true;
    f->tls_ch = t->has_client_hello;
    f->tls_sh = t->has_server_hello;
    f->tls_established = t->established;
    f->tls_ch_ns = t->client_hello_ns;
    f->tls_sh_ns = t->server_hello_ns;
    f->tls_version = t->selected_version ? t->selected_version : t->server_version;
    f->tls_certs = t->n_certs;
    f->chain = t->chain;
    f->verify_error = t->verify.error;
    if (set_str(a, &f->verify_str, t->verify.errstr, 96) < 0)
        return -1;
    if (t->n_certs && t->certs[0] && set_str(a, &f->issuer, t->certs[0]->issuer, 256) < 0)
        return -1;
    if (a->issuers) {
        for (unsigned i = 0; i < t->n_certs && !f->vendor; i++) {
            if (!t->certs[i])
                continue;
            const char *v = dis_issuers_match(a->issuers, t->certs[i]->issuer);
            if (v) {
                f->vendor = v;
                if (set_str(a, &f->vendor_issuer, t->certs[i]->issuer, 256) < 0)
                    return -1;
            }
        }
    }
    if (t->alert.seen && !t->alert.from_client && t->alert.before_established &&
        (t->alert.level == 2 || t->alert.encrypted)) {
        f->alert_fatal_server = true;
        f->alert_desc = t->alert.desc;
        f->alert_ns = t->alert.ts_ns;
    }
    return 0;
}

static int on_connect(struct dis_ana *a, const struct dis_event *ev)
{
    const struct dis_http_connect_event *c = ev->u.connect;
    if (!c->req || !c->resp)
        return 0;
    struct ana_flow *f = flow_get(a, ev->flow_id, true);
    if (!f)
        return -1;
    if (f->connects == 0) {
        f->connect_first = c->resp->status;
        f->connect_ns = ev->ts_ns;
        if (set_str(a, &f->connect_target, c->req->host, 256) < 0)
            return -1;
        f->connect_port = c->req->port;
    }
    f->connect_last = c->resp->status;
    f->connects++;
    return 0;
}

int dis_ana_event(struct dis_ana *a, const struct dis_event *ev)
{
    dis_ana_time(a, ev->ts_ns);
    switch (ev->kind) {
    case DIS_EV_DNS:
        return on_dns(a, ev);
    case DIS_EV_TLS:
        return on_tls(a, ev);
    case DIS_EV_HTTP_CONNECT:
        return on_connect(a, ev);
    case DIS_EV_STUN: {
        struct ana_flow *f = flow_get(a, ev->flow_id, true);
        if (!f)
            return -1;
        if (!ev->inner) {
            int s = side_of(f, ev);
            const struct dis_stun_msg *m = ev->u.stun;
            if (m->cls == DIS_STUN_REQUEST) {
                f->req[s]++;
                if (ana__ice_check(a, f, ev) != ANA_NOT_CHECK)
                    f->ice_req[s]++;
                if (f->first_req_ns == 0)
                    f->first_req_ns = ev->ts_ns;
                f->last_req_ns = ev->ts_ns;
            } else if (m->cls == DIS_STUN_SUCCESS || m->cls == DIS_STUN_ERROR) {
                f->resp[s]++;
            }
        }
        return ana__ice_stun(a, f, ev);
    }
    }
    return 0;
}

/* ------------------------------------------------------------------ flows */

static uint8_t hop_distance(uint8_t ttl)
{
    if (ttl <= 64)
        return (uint8_t)(64 - ttl);
    if (ttl <= 128)
        return (uint8_t)(128 - ttl);
    return (uint8_t)(255 - ttl);
}

static bool icmp_admin(const struct dis_flow_rec *r)
{
    if (r->ipver == 4 || r->icmp_from.family == 4)
        return r->icmp_type == 3 && (r->icmp_code == 9 || r->icmp_code == 10 || r->icmp_code == 13);
    return r->icmp_type == 1 && r->icmp_code == 1;
}

/* Unanswered SYNs or STUN requests of a flow (@p n of them, the first at @p first_ns, the last
 * at @p last_ns): judged at finish, when the capture's end is known. */
static int pend(struct dis_ana *a, const char *code, int rule, uint8_t proto,
                const struct dis_ep *src, const struct dis_ep *dst, const char *host,
                uint64_t first_ns, uint64_t last_ns, uint32_t n, uint64_t flow_id, uint32_t wait_ms)
{
    if (a->pending.n >= a->o.max_pending) {
        a->st.pending_dropped++;
        return 0;
    }
    const char *h = intern(a, host);
    if (!h)
        return -1;
    struct ana_pending *p = ana__vec_push(a, &a->pending);
    if (!p)
        return -1;
    p->code = code;
    p->rule = rule;
    p->proto = proto;
    p->src = *src;
    p->dst = *dst;
    p->first_ns = first_ns;
    p->last_ns = last_ns;
    p->n = n;
    p->flow_id = flow_id;
    p->wait_ms = wait_ms;
    p->host = h;
    return 0;
}

/* How long the capture went on after @p t, in ms. */
static uint64_t waited_ms(const struct dis_ana *a, uint64_t t)
{
    return a->now_ns > t ? (a->now_ns - t) / 1000000u : 0;
}

/* Requests without answer block only once the capture went on for the wait after the first:
 * before that they are in flight (a SYN is retransmitted after 1 to 3 s; a reachable STUN
 * server or peer answers within a round trip). Then min_retries of them are a confirmed
 * block, fewer a suspected one. Checks paced 50 ms apart just before the capture ended are in
 * flight, however many. */
static int pending_verdicts(struct dis_ana *a)
{
    struct ana_pending *p = a->pending.p;
    for (size_t i = 0; i < a->pending.n; i++) {
        uint64_t w = waited_ms(a, p[i].first_ns);
        if (w < p[i].wait_ms || p[i].rule < 0)
            continue;
        bool tcp = p[i].proto == 6;
        char ev[256];
        if (p[i].n < 2)
            snprintf(ev, sizeof(ev),
                     "1 %s, nothing back in the %.1f s the capture went on after it",
                     tcp ? "SYN" : "STUN/TURN request", (double)w / 1e3);
        else
            snprintf(ev, sizeof(ev),
                     "%u %s over %.1f s, %s in the %.1f s the capture went on after the first",
                     p[i].n, tcp ? "SYNs" : "STUN/TURN requests",
                     (double)(p[i].last_ns - p[i].first_ns) / 1e9,
                     tcp ? "nothing back" : "none answered", (double)w / 1e3);
        enum dis_confidence conf =
            p[i].n >= a->o.min_retries ? DIS_CONF_CONFIRMED : DIS_CONF_SUSPECTED;
        if (ana__verdict(a, DIS_VK_BLOCKED, p[i].code, conf, p[i].rule, p[i].proto, &p[i].src,
                         &p[i].dst, p[i].host, p[i].first_ns, p[i].flow_id, 0, ev) < 0)
            return -1;
    }
    return 0;
}

/* TURN errors that the server's state or the client's explain, not a filter on the way
 * (RFC 8656 §19): the verdict is at most suspected, its evidence says why. */
static const char *turn_server_side(uint16_t code)
{
    switch (code) {
    case 437:
        return "Allocation Mismatch: the server has no allocation for this 5-tuple, or already "
               "one (the client's state, a NAT rebinding), not a firewall block";
    case 486:
        return "Allocation Quota Reached: the server's limit of allocations for this user, not "
               "a firewall block";
    case 508:
        return "Insufficient Capacity: the server has no relay address or capacity left, not a "
               "firewall block";
    }
    return NULL;
}

/* The TURN error responses of a flow (other than the 401/438 challenge and the 403s for
 * permissions to private peers, which ana_ice.c left out): one verdict for the flow,
 * confirmed when one of them is an error a network in the way can cause. */
static int turn_errors(struct dis_ana *a, const struct dis_flow_rec *r, const struct ana_flow *f,
                       int ri)
{
    if (f->n_turn_err == 0)
        return 0;
    struct dis_ep src = {r->orig, r->orig_port}, dst = {r->resp, r->resp_port};
    char ev[512] = "";
    bool block = false;
    for (unsigned i = 0; i < f->n_turn_err; i++) {
        uint16_t code = f->turn_err_code[i];
        const char *why = turn_server_side(code);
        const char *sep = i ? "; " : "";
        if (code == 0) /* without a readable ERROR-CODE: an error, of an unknown kind */
            ana__cat(ev, sizeof(ev),
                     "%sTURN error response without a readable ERROR-CODE on method 0x%03x", sep,
                     f->turn_err_method[i]);
        else if (why)
            ana__cat(ev, sizeof(ev), "%sTURN error %u on method 0x%03x (%s)", sep, code,
                     f->turn_err_method[i], why);
        else
            ana__cat(ev, sizeof(ev), "%sTURN error %u on method 0x%03x", sep, code,
                     f->turn_err_method[i]);
        if (code != 0 && !why)
            block = true;
    }
    return ana__verdict(a, DIS_VK_BLOCKED, "turn_error",
                        block ? DIS_CONF_CONFIRMED : DIS_CONF_SUSPECTED, ri, r->proto, &src, &dst,
                        r->host, r->first_ns, r->id, 0, ev);
}

static int flow_verdicts(struct dis_ana *a, const struct dis_flow_rec *r, struct ana_flow *f,
                         int ri)
{
    const struct dis_profile_rule *rule = dis_profile_rule_at(a->prof, (size_t)ri);
    struct dis_ep src = {r->orig, r->orig_port}, dst = {r->resp, r->resp_port};
    char ev[512], ib[64];
    const char *host = r->host;
    int rc = 0;

    /* Connectivity checks and relayed media are judged per ICE session (ana_ice.c): only
     * there is it known whether a check went to an unreachable private candidate or to the
     * site's own public address (hairpin), which are not blocks. */
    if (rule->traffic == DIS_TRAFFIC_ICE)
        return 0;

    /* An ICMP error for a flow that got nothing else back. */
    if (r->icmp_errors && r->pkts[DIS_DIR_RESP] == 0) {
        bool admin = icmp_admin(r);
        snprintf(ev, sizeof(ev),
                 "%llu ICMP error(s) type %u code %u from %s%s quoting %llu packet(s) sent",
                 (unsigned long long)r->icmp_errors, r->icmp_type, r->icmp_code,
                 dis_addr_str(&r->icmp_from, ib, sizeof(ib)),
                 admin ? " (administratively prohibited)" : "",
                 (unsigned long long)r->pkts[DIS_DIR_ORIG]);
        return ana__verdict(a, DIS_VK_BLOCKED, "icmp_unreachable",
                            admin ? DIS_CONF_CONFIRMED : DIS_CONF_SUSPECTED, ri, r->proto, &src,
                            &dst, host, r->first_ns, r->id, 0, ev);
    }
    if (r->proto == 6) {
        if (r->state == DIS_CS_S0 && r->pkts[DIS_DIR_RESP] == 0) {
            uint64_t syns = r->pkts[DIS_DIR_ORIG];
            return pend(a, "tcp_no_answer", ri, r->proto, &src, &dst, host, r->first_ns, r->last_ns,
                        syns > UINT32_MAX ? UINT32_MAX : (uint32_t)syns, r->id, a->o.syn_wait_ms);
        }
        if (r->state == DIS_CS_REJ) {
            snprintf(ev, sizeof(ev), "SYN answered by RST (no SYN-ACK), %llu SYN(s)",
                     (unsigned long long)r->pkts[DIS_DIR_ORIG]);
            return ana__verdict(a, DIS_VK_BLOCKED, "tcp_reset_on_connect", DIS_CONF_CONFIRMED, ri,
                                r->proto, &src, &dst, host, r->first_ns, r->id, 0, ev);
        }
        if (f && f->tls_ch && !f->tls_sh && !f->connects && r->payload[DIS_DIR_RESP] == 0) {
            /* The server side closed first: its RST or FIN comes before any of the client's
             * in the history (the letters are in order of first occurrence). A client that
             * gave up waiting and closed first is not a reset. And the server sent no byte of
             * payload: a flow whose ServerHello the capture lost (a long flow caught late, a
             * drop) has the server's data, then its FIN. */
            const char *h = r->history, *sr = strchr(h, 'r'), *sf = strchr(h, 'f');
            const char *cf = strchr(h, 'F'), *cr = strchr(h, 'R');
            const char *srv = sr && (!sf || sr < sf) ? sr : sf;
            const char *cli = cr && (!cf || cr < cf) ? cr : cf;
            bool rst = srv && srv == sr;
            if (srv && (!cli || srv < cli)) {
                snprintf(ev, sizeof(ev),
                         "%s from the server side after the ClientHello (SNI %s), no ServerHello",
                         rst ? "RST" : "FIN", host[0] ? host : "none");
                return ana__verdict(a, DIS_VK_BLOCKED, "tcp_reset_after_hello", DIS_CONF_CONFIRMED,
                                    ri, r->proto, &src, &dst, host, f->tls_ch_ns, r->id, 0, ev);
            }
        }
    }
    if (!f)
        return 0;
    if (f->alert_fatal_server) {
        snprintf(ev, sizeof(ev), "fatal TLS alert %u from the server before the handshake ended",
                 f->alert_desc);
        rc = ana__verdict(a, DIS_VK_BLOCKED, "tls_alert", DIS_CONF_CONFIRMED, ri, r->proto, &src,
                          &dst, host, f->alert_ns, r->id, 0, ev);
        if (rc)
            return rc;
    }
    /* STUN/TURN requests to the profile's servers that were never answered. */
    if (r->proto == 17 && f->req[0] + f->req[1] > 0 && f->resp[0] + f->resp[1] == 0 &&
        f->ice_req[0] + f->ice_req[1] == 0 && rule->traffic == DIS_TRAFFIC_ANY) {
        rc = pend(a, "udp_no_answer", ri, r->proto, &src, &dst, host, f->first_req_ns,
                  f->last_req_ns, f->req[0] + f->req[1], r->id, a->o.udp_wait_ms);
        if (rc)
            return rc;
    }
    rc = turn_errors(a, r, f, ri);
    if (rc)
        return rc;
    /* Explicit proxy. */
    if (f->connects) {
        if (f->connect_first == 407) {
            snprintf(ev, sizeof(ev),
                     "CONNECT %s:%u answered 407 Proxy Authentication Required by %s:%u",
                     f->connect_target ? f->connect_target : "", f->connect_port,
                     dis_addr_str(&r->resp, ib, sizeof(ib)), r->resp_port);
            rc = ana__verdict(a, DIS_VK_BLOCKED, "proxy_auth_required", DIS_CONF_CONFIRMED, ri,
                              r->proto, &src, &dst, host, f->connect_ns, r->id, 0, ev);
        } else if (f->connect_first >= 400 || (f->connect_last >= 300 && f->connect_last != 407)) {
            uint16_t st = f->connect_first >= 400 ? f->connect_first : f->connect_last;
            snprintf(ev, sizeof(ev), "CONNECT %s:%u refused with %u by the proxy %s:%u",
                     f->connect_target ? f->connect_target : "", f->connect_port, st,
                     dis_addr_str(&r->resp, ib, sizeof(ib)), r->resp_port);
            rc = ana__verdict(a, DIS_VK_BLOCKED, "proxy_denied", DIS_CONF_CONFIRMED, ri, r->proto,
                              &src, &dst, host, f->connect_ns, r->id, 0, ev);
        }
        if (rc)
            return rc;
        if (f->connect_last >= 200 && f->connect_last < 300) {
            snprintf(ev, sizeof(ev), "CONNECT %s:%u through the proxy %s:%u (status %u)",
                     f->connect_target ? f->connect_target : "", f->connect_port,
                     dis_addr_str(&r->resp, ib, sizeof(ib)), r->resp_port, f->connect_last);
            rc = ana__verdict(a, DIS_VK_INSPECTED, "explicit_proxy", DIS_CONF_CONFIRMED, ri,
                              r->proto, &src, &dst, host, f->connect_ns, r->id, 0, ev);
            if (rc)
                return rc;
        }
    }
    /* Certificates (TLS <= 1.2, visible). */
    if (f->tls && f->tls_certs > 0) {
        /* OpenSSL 3 X509_V_ERR_*: 9/10 not yet valid/expired say nothing about who issued
         * the certificate (and old captures meet them often); 62 is HOSTNAME_MISMATCH. */
        bool time_only = f->verify_error == 9 || f->verify_error == 10;
        if (f->chain == DIS_TLS_CHAIN_INVALID && !time_only) {
            bool name = f->verify_error == 62;
            snprintf(ev, sizeof(ev), "certificate chain does not verify: %s (issuer %s)",
                     f->verify_str ? f->verify_str : "", f->issuer ? f->issuer : "");
            rc = ana__verdict(a, DIS_VK_INSPECTED, name ? "name_mismatch" : "untrusted_issuer",
                              DIS_CONF_CONFIRMED, ri, r->proto, &src, &dst, host,
                              f->tls_sh_ns ? f->tls_sh_ns : r->first_ns, r->id, 0, ev);
            if (rc)
                return rc;
        }
        if (f->vendor) {
            snprintf(ev, sizeof(ev), "certificate issued by %s: %s", f->vendor,
                     f->vendor_issuer ? f->vendor_issuer : "");
            rc = ana__verdict(a, DIS_VK_INSPECTED, "inspection_issuer", DIS_CONF_CONFIRMED, ri,
                              r->proto, &src, &dst, host, f->tls_sh_ns ? f->tls_sh_ns : r->first_ns,
                              r->id, 0, ev);
        }
    }
    return rc;
}

/* The facts of an ended flow that the sessions built at finish need. */
static int keep_flow(struct dis_ana *a, const struct dis_flow_rec *r, const struct ana_flow *f,
                     int ri, bool ice)
{
    if (a->fsums.n >= a->o.max_flows) {
        a->st.flows_dropped++;
        return 0;
    }
    const char *host = intern(a, r->host);
    if (!host)
        return -1;
    struct ana_fsum *s = ana__vec_push(a, &a->fsums);
    if (!s)
        return -1;
    s->flow_id = r->id;
    s->proto = r->proto;
    s->orig = (struct dis_ep){r->orig, r->orig_port};
    s->resp = (struct dis_ep){r->resp, r->resp_port};
    s->first_ns = r->first_ns;
    s->last_ns = r->last_ns;
    s->bytes = r->bytes[0] + r->bytes[1];
    s->pkts[0] = r->pkts[0];
    s->pkts[1] = r->pkts[1];
    s->state = r->state;
    s->rule = ri;
    s->tls = f && f->tls && f->tls_ch;
    s->ice = ice;
    s->stun = f && (f->req[0] + f->req[1] + f->resp[0] + f->resp[1] > 0);
    s->alloc = f ? f->alloc : NULL;
    int o = f && !ana__ep_eq(&f->side0, &s->orig) ? 1 : 0; /* f's side of the initiator */
    s->ice_req_orig = f ? f->ice_req[o] : 0;
    s->ice_req_resp = f ? f->ice_req[1 - o] : 0;
    s->resp_orig = f ? f->resp[o] : 0;
    s->resp_resp = f ? f->resp[1 - o] : 0;
    s->channeldata = r->channeldata;
    s->host = host;
    return 0;
}

/* An internet TCP flow that got a SYN-ACK: the first one to each server address is a sample
 * of the TLS 1.3 baselines, and a TLS 1.3 flow of a rule is judged against them at finish. */
static int keep_tcp(struct dis_ana *a, const struct dis_flow_rec *r, const struct ana_flow *f,
                    int ri)
{
    uint8_t ttl = r->ttl_max[DIS_DIR_RESP];
    int64_t tls_ns = (f && f->tls_ch && f->tls_sh && f->tls_sh_ns > f->tls_ch_ns)
                         ? (int64_t)(f->tls_sh_ns - f->tls_ch_ns)
                         : -1;
    if (!ana__aset_find(&a->server_idx, &r->resp)) {
        if (a->servers.n >= a->o.max_baseline) {
            a->st.baseline_dropped++;
        } else {
            bool created;
            struct ana_aslot *sl = ana__aset_put(a, &a->server_idx, &r->resp, &created);
            struct ana_server *sv = sl ? ana__vec_push(a, &a->servers) : NULL;
            if (!sv)
                return -1;
            sl->val = (uint32_t)(a->servers.n - 1);
            sv->addr = r->resp;
            sv->hops = hop_distance(ttl);
            sv->rtt_ns = r->rtt_ns;
            sv->tls_ns = tls_ns;
        }
    }
    if (!(f && f->tls_version == 0x0304 && f->tls_certs == 0) || ri < 0)
        return 0;
    if (a->tls13.n >= a->o.max_baseline) {
        a->st.baseline_dropped++;
        return 0;
    }
    const char *host = intern(a, r->host);
    struct ana_tcpsum *t = host ? ana__vec_push(a, &a->tls13) : NULL;
    if (!t)
        return -1;
    t->flow_id = r->id;
    t->src = r->orig;
    t->dst = r->resp;
    t->sport = r->orig_port;
    t->dport = r->resp_port;
    t->first_ns = r->first_ns;
    t->ttl = ttl;
    t->hops = hop_distance(ttl);
    t->rtt_ns = r->rtt_ns;
    t->tls_ns = tls_ns;
    t->rule = ri;
    t->host = host;
    return 0;
}

int dis_ana_flow(struct dis_ana *a, const struct dis_flow_rec *r)
{
    dis_ana_time(a, r->last_ns);
    struct ana_flow *f = flow_get(a, r->id, false);
    bool ice = f && (f->ice_req[0] + f->ice_req[1] > 0 || f->relayed_msgs > 0);
    struct dis_profile_flow pf = {
        .host = r->host,
        .proto = r->proto,
        .dport = r->resp_port,
        .src = &r->orig,
        .dst = &r->resp,
        .ice = ice,
    };
    /* Through an explicit proxy the destination is the CONNECT target, not the proxy. */
    if (f && f->connects) {
        pf.dport = f->connect_port;
        pf.dst = NULL; /* unknown: not a local network */
    }
    int ri = (r->proto == 6 || r->proto == 17) ? dis_profile_match(a->prof, &pf) : -1;
    const struct dis_profile_rule *rule = ri >= 0 ? dis_profile_rule_at(a->prof, (size_t)ri) : NULL;
    bool orig_local = ana__is_local(a, &r->orig), resp_local = ana__is_local(a, &r->resp);

    /* A LAN flow is kept only when it may be method 1: answered, to a port the product's
     * direct connection may use (the profile's [direct] section; well-known services never). */
    bool lan = orig_local && resp_local;
    bool keep = (f && (f->req[0] + f->req[1] + f->resp[0] + f->resp[1] > 0 || f->alloc)) ||
                (f && f->tls && rule) || /* TURN over TLS is known only from its flow */
                (rule && rule->scope == DIS_SCOPE_LAN) ||
                (lan && (r->proto == 6 || r->proto == 17) && r->pkts[DIS_DIR_RESP] > 0 &&
                 dis_profile_direct_port(a->prof, r->proto, r->resp_port));

    /* Host entries: every local address, and the far ends of flows that matter (a rule's,
     * or one kept for the sessions). The far end of any other flow, a scan's target for
     * instance, only updates an entry that exists. */
    struct ana_host *hs = ana__host(a, &r->orig, orig_local || rule || keep);
    struct ana_host *hd = ana__host(a, &r->resp, resp_local || rule || keep);
    if (a->oom)
        return -2;
    host_seen(hs, r->first_ns, r->last_ns);
    host_seen(hd, r->first_ns, r->last_ns);
    if (rule) {
        if (rule->product && hs)
            hs->product = true;
        if (hd && !hd->local && rule->traffic == DIS_TRAFFIC_ANY) {
            hd->server = true;
            if (host_add_name(a, hd, r->host) < 0)
                return -2;
        }
        if (hd && rule->scope == DIS_SCOPE_LAN && r->pkts[DIS_DIR_RESP] > 0)
            hd->bcast_listen++;
        if (flow_verdicts(a, r, f, ri) < 0)
            return -2;
    }
    if (keep && keep_flow(a, r, f, ri, ice) < 0)
        return -2;
    /* Baselines of the TLS 1.3 heuristics: internet TCP flows that got a SYN-ACK. */
    if (r->proto == 6 && r->rtt_ns >= 0 && orig_local && !resp_local && r->pkts[DIS_DIR_RESP] > 0 &&
        !(f && f->connects) && keep_tcp(a, r, f, ri) < 0)
        return -2;
    if (f)
        flow_drop(a, f);
    return ri;
}

/* ------------------------------------------------------------------ TLS 1.3 heuristics */

static int cmp_dbl(const void *x, const void *y)
{
    double p, q;
    memcpy(&p, x, sizeof(p));
    memcpy(&q, y, sizeof(q));
    return (p > q) - (p < q);
}

/* A sorted sample, from which the median without one of its values is O(log n). */
struct sample {
    double *v;
    size_t n;
};

/* The median of @p s without one element equal to @p x (when @p skip), 0 when empty; the
 * number of values it was taken over in @p *n. */
static double median_without(const struct sample *s, bool skip, double x, size_t *n)
{
    size_t k = s->n; /* index left out */
    if (skip) {
        size_t lo = 0, hi = s->n; /* lower bound of x */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->v[mid] < x)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < s->n && s->v[lo] == x)
            k = lo;
    }
    size_t m = k < s->n ? s->n - 1 : s->n;
    *n = m;
    if (m == 0)
        return 0;
#define AT(i) ((i) < k ? s->v[(i)] : s->v[(i) + 1])
    return m % 2 ? AT(m / 2) : (AT(m / 2 - 1) + AT(m / 2)) / 2.0;
#undef AT
}

/* Medians of the capture's other internet servers, one sample per server address (its first
 * flow): hop distance, and over the TLS ones the ClientHello->ServerHello / SYN->SYN-ACK
 * ratio and both times. */
struct base {
    double hops, ratio, tls_ns, rtt_ns;
    size_t n_hops, n_ratio;
};

struct baselines {
    struct sample hops, ratio, tls, rtt;
};

static bool tls_sample(const struct ana_server *sv)
{
    return sv->tls_ns >= 0 && sv->rtt_ns > 0;
}

static int baselines_build(struct dis_ana *a, struct baselines *b)
{
    const struct ana_server *sv = a->servers.p;
    size_t n = a->servers.n, cap = n ? n : 1;
    memset(b, 0, sizeof(*b));
    b->hops.v = malloc(cap * sizeof(double));
    b->ratio.v = malloc(cap * sizeof(double));
    b->tls.v = malloc(cap * sizeof(double));
    b->rtt.v = malloc(cap * sizeof(double));
    if (!b->hops.v || !b->ratio.v || !b->tls.v || !b->rtt.v) {
        ana_err(a, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        b->hops.v[b->hops.n++] = sv[i].hops;
        if (tls_sample(&sv[i])) {
            b->ratio.v[b->ratio.n++] = (double)sv[i].tls_ns / (double)sv[i].rtt_ns;
            b->tls.v[b->tls.n++] = (double)sv[i].tls_ns;
            b->rtt.v[b->rtt.n++] = (double)sv[i].rtt_ns;
        }
    }
    qsort(b->hops.v, b->hops.n, sizeof(double), cmp_dbl);
    qsort(b->ratio.v, b->ratio.n, sizeof(double), cmp_dbl);
    qsort(b->tls.v, b->tls.n, sizeof(double), cmp_dbl);
    qsort(b->rtt.v, b->rtt.n, sizeof(double), cmp_dbl);
    return 0;
}

static void baselines_free(struct baselines *b)
{
    free(b->hops.v);
    free(b->ratio.v);
    free(b->tls.v);
    free(b->rtt.v);
}

/* The baseline for a flow to @p skip: every server but that one. */
static void baseline(const struct dis_ana *a, const struct baselines *all,
                     const struct dis_addr *skip, struct base *b)
{
    const struct ana_aslot *sl = ana__aset_find(&a->server_idx, skip);
    const struct ana_server *sv = sl ? &((const struct ana_server *)a->servers.p)[sl->val] : NULL;
    bool ts = sv && tls_sample(sv);
    size_t n;
    memset(b, 0, sizeof(*b));
    b->hops = median_without(&all->hops, sv != NULL, sv ? sv->hops : 0, &b->n_hops);
    b->ratio = median_without(&all->ratio, ts, ts ? (double)sv->tls_ns / (double)sv->rtt_ns : 0,
                              &b->n_ratio);
    b->tls_ns = median_without(&all->tls, ts, ts ? (double)sv->tls_ns : 0, &n);
    b->rtt_ns = median_without(&all->rtt, ts, ts ? (double)sv->rtt_ns : 0, &n);
}

static int tls13_heuristics(struct dis_ana *a)
{
    if (a->tls13.n == 0)
        return 0;
    struct baselines all;
    int rc = baselines_build(a, &all);
    struct ana_tcpsum *ts = a->tls13.p;
    for (size_t i = 0; i < a->tls13.n && rc == 0; i++) {
        struct ana_tcpsum *t = &ts[i];
        struct base b;
        baseline(a, &all, &t->dst, &b);
        double hmed = b.hops, rmed = b.ratio;
        size_t nh = b.n_hops, nr = b.n_ratio;
        struct dis_ep src = {t->src, t->sport}, dst = {t->dst, t->dport};
        char ev[512];
        /* A margin: hop distances of servers differ by a hop or two anyway (other regions,
         * other routes). An answer that crossed no router (0 hops) came from the capture
         * point's own network, where no internet server is. */
        bool nearer = (double)t->hops + a->o.ttl_margin <= hmed || (t->hops == 0 && hmed >= 1);
        if (nh >= a->o.baseline_min && nearer) {
            snprintf(ev, sizeof(ev),
                     "server TTL %u: %u hop(s) away, the other %zu internet servers of the "
                     "capture a median %.1f: a nearer box answered in its place (TLS 1.3, "
                     "certificate not visible)",
                     t->ttl, t->hops, nh, hmed);
            rc = ana__verdict(a, DIS_VK_INSPECTED, "ttl_anomaly", DIS_CONF_SUSPECTED, t->rule, 6,
                              &src, &dst, t->host, t->first_ns, t->flow_id, 0, ev);
            if (rc)
                break;
        }
        if (nr >= a->o.baseline_min && t->tls_ns >= 0 && t->rtt_ns > 0 && rmed > 0) {
            double ratio = (double)t->tls_ns / (double)t->rtt_ns;
            /* All three: the split far beyond the others', the SYN answered in at most half
             * the others' time (a nearer box), and the ServerHello later than theirs (the
             * proxy dials upstream first: one more round trip at least). */
            if (ratio >= rmed * a->o.rtt_factor && (double)t->rtt_ns <= 0.5 * b.rtt_ns &&
                (double)t->tls_ns >= 1.5 * b.tls_ns) {
                snprintf(ev, sizeof(ev),
                         "SYN->SYN-ACK %.3f ms but ClientHello->ServerHello %.3f ms (%.0fx; the "
                         "other %zu internet TLS servers a median %.3f ms, %.3f ms, %.1fx): a "
                         "nearby proxy answered the SYN and dialled upstream",
                         (double)t->rtt_ns / 1e6, (double)t->tls_ns / 1e6, ratio, nr,
                         b.rtt_ns / 1e6, b.tls_ns / 1e6, rmed);
                rc = ana__verdict(a, DIS_VK_INSPECTED, "rtt_anomaly", DIS_CONF_SUSPECTED, t->rule,
                                  6, &src, &dst, t->host, t->first_ns, t->flow_id, 0, ev);
            }
        }
    }
    baselines_free(&all);
    return rc;
}

/* ------------------------------------------------------------------ finish */

static int cmp_fsum(const void *x, const void *y)
{
    uint64_t p = ((const struct ana_fsum *)x)->flow_id, q = ((const struct ana_fsum *)y)->flow_id;
    return (p > q) - (p < q);
}

const struct ana_fsum *ana__fsum(const struct dis_ana *a, uint64_t flow_id)
{
    if (a->fsums.n == 0)
        return NULL;
    struct ana_fsum key = {.flow_id = flow_id};
    return bsearch(&key, a->fsums.p, a->fsums.n, sizeof(key), cmp_fsum);
}

static int emit_simple(struct dis_ana *a, const struct ana_fsum *s, enum dis_sess_kind kind,
                       uint8_t method, const char *explanation)
{
    struct dis_session_rec rec;
    memset(&rec, 0, sizeof(rec));
    rec.id = ++a->next_session_id;
    rec.kind = kind;
    rec.method = method;
    rec.has_selected = true;
    rec.proto = s->proto;
    rec.sel_local = s->orig;
    rec.sel_remote = s->resp;
    rec.client = s->orig.addr;
    rec.peer = s->resp.addr;
    rec.first_ns = s->first_ns;
    rec.last_ns = s->last_ns;
    rec.bytes = s->bytes;
    copy_str(rec.explanation, sizeof(rec.explanation), explanation);
    struct ana_host *h = ana__host(a, &s->orig.addr, false);
    if (h && method)
        h->methods |= (uint8_t)(1u << method);
    h = ana__host(a, &s->resp.addr, false);
    if (h && method)
        h->methods |= (uint8_t)(1u << method);
    return a->sink.session ? a->sink.session(a->sink.user, &rec) : 0;
}

static bool established(const struct ana_fsum *s)
{
    if (s->proto == 17)
        return s->pkts[0] > 0 && s->pkts[1] > 0;
    return s->state == DIS_CS_SF || s->state == DIS_CS_S1 || s->state == DIS_CS_S2 ||
           s->state == DIS_CS_S3 || s->state == DIS_CS_RSTO || s->state == DIS_CS_RSTR;
}

/* Broadcast sessions (the LAN rule) and method 1: direct flows between two local product
 * hosts that carry no ICE, to a port the profile lets the product's direct connection use
 * (not SMB, RDP, Delivery Optimization ... between two Windows hosts that run the product). */
static int lan_sessions(struct dis_ana *a)
{
    struct ana_fsum *fs = a->fsums.p;
    char e1[64], e2[64], ex[DIS_EXPLAIN_LEN];
    for (size_t i = 0; i < a->fsums.n; i++) {
        const struct ana_fsum *s = &fs[i];
        const struct dis_profile_rule *rule =
            s->rule >= 0 ? dis_profile_rule_at(a->prof, (size_t)s->rule) : NULL;
        ana__ep_str(&s->orig, e1, sizeof(e1));
        ana__ep_str(&s->resp, e2, sizeof(e2));
        int rc = 0;
        if (rule && rule->scope == DIS_SCOPE_LAN && s->proto == 6) {
            if (established(s))
                snprintf(ex, sizeof(ex), "%s: %s receives from %s, connection established",
                         rule->id, e1, e2);
            else
                snprintf(ex, sizeof(ex),
                         "%s: %s could not connect to %s (state %s) -> the sender must allow "
                         "TCP %u in its host firewall (rule %s)",
                         rule->id, e1, e2, dis_conn_state_name(s->state), s->resp.port, rule->id);
            rc = emit_simple(a, s, DIS_SESS_BROADCAST, 0, ex);
        } else if (!rule && !s->stun && established(s)) {
            struct ana_host *ho = ana__host(a, &s->orig.addr, false);
            struct ana_host *hr = ana__host(a, &s->resp.addr, false);
            if (ho && hr && ho->local && hr->local && ho->product && hr->product &&
                dis_profile_direct_port(a->prof, s->proto, s->resp.port) &&
                /* UDP's initiator is the first packet seen: not a service's answer */
                (s->proto != 17 || !dis_profile_service_port(a->prof, 17, s->orig.port))) {
                snprintf(ex, sizeof(ex),
                         "method 1: direct %s connection %s -> %s between two product hosts on "
                         "the local network, no ICE",
                         s->proto == 6 ? "TCP" : "UDP", e1, e2);
                rc = emit_simple(a, s, DIS_SESS_DIRECT, 1, ex);
            }
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int emit_hosts(struct dis_ana *a)
{
    for (size_t i = 0; i < a->hosts_cap; i++) {
        for (struct ana_host *h = a->hosts[i]; h; h = h->next) {
            enum dis_host_role role = DIS_ROLE_OTHER;
            if (h->local && h->product)
                role = (h->bcast_listen > 0 || h->peers >= 2) ? DIS_ROLE_CONSOLE : DIS_ROLE_CLIENT;
            else if (h->server)
                role = DIS_ROLE_SERVER;
            if (role == DIS_ROLE_OTHER && h->verdicts == 0 && h->methods == 0)
                continue; /* only hosts the report has something to say about */
            struct dis_host_rec rec;
            memset(&rec, 0, sizeof(rec));
            rec.addr = h->addr;
            copy_str(rec.names, sizeof(rec.names), h->names ? h->names : "");
            rec.role = role;
            rec.local = h->local;
            rec.methods = h->methods;
            rec.verdicts = h->verdicts;
            rec.first_ns = h->first_ns;
            rec.last_ns = h->last_ns;
            int rc = a->sink.host ? a->sink.host(a->sink.user, &rec) : 0;
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* One picture of everything so far. The verdicts of flows that ended stay in a->verdicts;
 * those that depend on the whole capture (single unanswered attempts, ICE sessions, the TLS
 * 1.3 baselines) are appended for this call only and dropped again at the end, and the host
 * counters are recomputed, so the function can be called again later (a live capture). */
static int finish(struct dis_ana *a)
{
    a->next_session_id = 0;
    for (size_t i = 0; i < a->hosts_cap; i++) {
        for (struct ana_host *h = a->hosts[i]; h; h = h->next) {
            h->methods = 0;
            h->peers = 0;
            h->verdicts = 0;
        }
    }
    if (a->fsums.n)
        qsort(a->fsums.p, a->fsums.n, sizeof(struct ana_fsum), cmp_fsum);
    if (pending_verdicts(a) < 0 || dns_verdicts(a) < 0)
        return -1;
    int rc = ana__ice_finish(a);
    if (rc)
        return rc;
    rc = lan_sessions(a);
    if (rc)
        return rc;
    if (tls13_heuristics(a) < 0)
        return -1;
    const struct ana_verdict *v = a->verdicts.p;
    for (size_t i = 0; i < a->verdicts.n; i++) {
        struct ana_host *h = ana__host(a, &v[i].src, false);
        if (h)
            h->verdicts++;
    }
    for (size_t i = 0; i < a->verdicts.n && a->sink.verdict; i++) {
        struct dis_verdict_rec rec;
        memset(&rec, 0, sizeof(rec));
        rec.kind = (enum dis_verdict_kind)v[i].kind;
        rec.code = v[i].code;
        rec.confidence = (enum dis_confidence)v[i].conf;
        if (v[i].rule >= 0)
            copy_str(rec.rule, sizeof(rec.rule),
                     dis_profile_rule_at(a->prof, (size_t)v[i].rule)->id);
        rec.proto = v[i].proto;
        rec.src = v[i].src;
        rec.sport = v[i].sport;
        rec.dst = v[i].dst;
        rec.dport = v[i].dport;
        copy_str(rec.host, sizeof(rec.host), v[i].host);
        rec.first_ns = v[i].first_ns;
        rec.flow_id = v[i].flow_id;
        rec.session_id = v[i].session_id;
        copy_str(rec.evidence, sizeof(rec.evidence), v[i].evidence);
        rc = a->sink.verdict(a->sink.user, &rec);
        if (rc)
            return rc;
    }
    return emit_hosts(a);
}

int dis_ana_finish(struct dis_ana *a)
{
    size_t kept = a->verdicts.n;
    int rc = finish(a);
    verdicts_truncate(a, kept);
    return rc;
}
