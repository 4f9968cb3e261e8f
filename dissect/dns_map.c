/* SPDX-License-Identifier: MIT */
/*
 * dns_map.c - the (client, answered address) -> asked name map for attribution (DESIGN.md
 * "Attribution"): CNAME chains followed from the question name (RFC 1034 §3.6.2, §4.3.2),
 * TTLs per RFC 2181 §8, least-recently-used eviction at a capacity fixed at creation.
 *
 * Layout: one array of entries allocated up front, a power-of-two array of hash buckets with
 * chains through the entries (index + 1, 0 = end), and a doubly linked LRU list through the
 * same entries. Adding a response and looking up never allocate.
 */
#include "dissect/dns_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dm_entry {
    struct dis_addr client, addr; /* the key */
    uint32_t hash;
    uint32_t hnext;      /* next entry in the same bucket, index + 1; 0 = end */
    uint32_t prev, next; /* LRU neighbours (prev = more recent), index + 1; 0 = none */
    uint64_t ts_ns;
    uint32_t ttl;
    uint16_t qtype;
    uint8_t cnames;
    bool from_hint;
    struct dis_dns_name name;  /* asked, lower case */
    struct dis_dns_name canon; /* owner of the address record, lower case */
};

struct dis_dns_map {
    uint32_t capacity, count;
    uint32_t mask; /* buckets - 1 */
    uint64_t seed;
    uint32_t *buckets; /* first entry of each chain, index + 1 */
    struct dm_entry *e;
    uint32_t head, tail; /* most / least recently used, index + 1 */
    uint64_t inserted, updated, evicted, lookups, hits;
};

/* What one answer contributes: everything of an entry but the key. */
struct dm_value {
    const struct dis_dns_name *name, *canon;
    uint64_t ts_ns;
    uint32_t ttl;
    uint16_t qtype;
    uint8_t cnames;
    bool from_hint;
};

/* 64-bit mix (splitmix64 finaliser). */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t mix_addr(uint64_t h, const struct dis_addr *a)
{
    uint64_t w;
    memcpy(&w, a->b, 8);
    h = mix64(h ^ w);
    memcpy(&w, a->b + 8, 8);
    return mix64(h ^ w ^ (uint64_t)a->family << 56);
}

static uint32_t key_hash(const struct dis_dns_map *m, const struct dis_addr *client,
                         const struct dis_addr *addr)
{
    uint64_t h = mix_addr(mix_addr(m->seed ^ 0x9e3779b97f4a7c15ULL, client), addr);
    return (uint32_t)(h ^ h >> 32);
}

struct dis_dns_map *dis_dns_map_new(uint32_t capacity, uint64_t seed, char err[SS_ERRBUF_SIZE])
{
    if (capacity < 1 || capacity > DIS_DNS_MAP_MAX_CAPACITY) {
        snprintf(err, SS_ERRBUF_SIZE, "DNS map capacity %u out of range (1..%u)", capacity,
                 DIS_DNS_MAP_MAX_CAPACITY);
        return NULL;
    }
    uint32_t nb = 1;
    while (nb < capacity)
        nb <<= 1;
    struct dis_dns_map *m = calloc(1, sizeof *m);
    if (m) {
        m->buckets = calloc(nb, sizeof *m->buckets);
        m->e = calloc(capacity, sizeof *m->e);
    }
    if (!m || !m->buckets || !m->e) {
        snprintf(err, SS_ERRBUF_SIZE, "out of memory for a DNS map of %u entries", capacity);
        dis_dns_map_free(m);
        return NULL;
    }
    m->capacity = capacity;
    m->mask = nb - 1;
    m->seed = mix64(seed);
    return m;
}

void dis_dns_map_free(struct dis_dns_map *m)
{
    if (!m)
        return;
    free(m->buckets);
    free(m->e);
    free(m);
}

static void lru_unlink(struct dis_dns_map *m, uint32_t i)
{
    struct dm_entry *x = &m->e[i];
    if (x->prev)
        m->e[x->prev - 1].next = x->next;
    else
        m->head = x->next;
    if (x->next)
        m->e[x->next - 1].prev = x->prev;
    else
        m->tail = x->prev;
    x->prev = x->next = 0;
}

static void lru_push_front(struct dis_dns_map *m, uint32_t i)
{
    struct dm_entry *x = &m->e[i];
    x->prev = 0;
    x->next = m->head;
    if (m->head)
        m->e[m->head - 1].prev = i + 1;
    m->head = i + 1;
    if (!m->tail)
        m->tail = i + 1;
}

/* Index of the entry for the key, or -1. Chains hold at most count entries. */
static long find(const struct dis_dns_map *m, uint32_t h, const struct dis_addr *client,
                 const struct dis_addr *addr)
{
    uint32_t i = m->buckets[h & m->mask];
    for (uint32_t steps = 0; i && steps < m->count; steps++) {
        const struct dm_entry *x = &m->e[i - 1];
        if (x->hash == h && dis_addr_cmp(&x->addr, addr) == 0 &&
            dis_addr_cmp(&x->client, client) == 0)
            return (long)i - 1;
        i = x->hnext;
    }
    return -1;
}

static void bucket_unlink(struct dis_dns_map *m, uint32_t idx)
{
    uint32_t *link = &m->buckets[m->e[idx].hash & m->mask];
    for (uint32_t steps = 0; *link && steps < m->count; steps++) {
        if (*link == idx + 1) {
            *link = m->e[idx].hnext;
            return;
        }
        link = &m->e[*link - 1].hnext;
    }
}

static void lower_copy(struct dis_dns_name *dst, const struct dis_dns_name *src)
{
    dst->len = src->len;
    for (size_t i = 0; i < src->len; i++) {
        uint8_t ch = src->b[i];
        dst->b[i] = ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + ('a' - 'A')) : ch;
    }
}

static void put(struct dis_dns_map *m, const struct dis_addr *client, const struct dis_addr *addr,
                const struct dm_value *v)
{
    uint32_t h = key_hash(m, client, addr);
    long found = find(m, h, client, addr);
    uint32_t i;
    if (found >= 0) {
        i = (uint32_t)found;
        lru_unlink(m, i);
        m->updated++;
    } else {
        if (m->count < m->capacity) {
            i = m->count++;
        } else {
            i = m->tail - 1;
            bucket_unlink(m, i);
            lru_unlink(m, i);
            m->evicted++;
        }
        struct dm_entry *x = &m->e[i];
        x->client = *client;
        x->addr = *addr;
        x->hash = h;
        x->hnext = m->buckets[h & m->mask];
        m->buckets[h & m->mask] = i + 1;
        m->inserted++;
    }
    struct dm_entry *x = &m->e[i];
    x->ts_ns = v->ts_ns;
    x->ttl = v->ttl;
    x->qtype = v->qtype;
    x->cnames = v->cnames;
    x->from_hint = v->from_hint;
    lower_copy(&x->name, v->name);
    lower_copy(&x->canon, v->canon);
    lru_push_front(m, i);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* The CNAME chain from the question: names[0] is the question name, names[k] the target of
 * the k-th CNAME, ttl[k] the smallest TTL of the CNAMEs leading to names[k]. */
struct dm_chain {
    const struct dis_dns_name *names[DIS_DNS_MAX_ANSWERS + 1];
    uint32_t ttl[DIS_DNS_MAX_ANSWERS + 1];
    unsigned n;
};

static const struct dis_dns_rr *cname_of(const struct dis_dns_msg *msg,
                                         const struct dis_dns_name *owner)
{
    for (unsigned i = 0; i < msg->n_answers; i++) {
        const struct dis_dns_rr *rr = &msg->answers[i];
        if (rr->type == DIS_DNS_T_CNAME && rr->rclass == DIS_DNS_C_IN &&
            dis_dns_name_eq(&rr->owner, owner))
            return rr;
    }
    return NULL;
}

/* Position of @p name on the chain, or -1. */
static int chain_pos(const struct dm_chain *c, const struct dis_dns_name *name)
{
    for (unsigned k = 0; k < c->n; k++)
        if (dis_dns_name_eq(c->names[k], name))
            return (int)k;
    return -1;
}

/* Follows CNAMEs from the question, whatever their order in the section; one step per kept
 * answer at most, and a target already on the chain (a loop) ends it. */
static void build_chain(const struct dis_dns_msg *msg, struct dm_chain *c)
{
    c->names[0] = &msg->qname_wire;
    c->ttl[0] = UINT32_MAX;
    c->n = 1;
    for (unsigned step = 0; step < msg->n_answers; step++) {
        const struct dis_dns_rr *rr = cname_of(msg, c->names[c->n - 1]);
        if (!rr || chain_pos(c, &rr->target) >= 0)
            return;
        c->names[c->n] = &rr->target;
        c->ttl[c->n] = min_u32(c->ttl[c->n - 1], rr->ttl);
        c->n++;
    }
}

unsigned dis_dns_map_add_response(struct dis_dns_map *m, const struct dis_addr *client,
                                  const struct dis_dns_msg *msg, uint64_t ts_ns)
{
    if (!msg->qr || msg->opcode != DIS_DNS_OP_QUERY || msg->rcode != DIS_DNS_RCODE_NOERROR ||
        !msg->has_question || msg->qname_wire.len == 0)
        return 0;
    struct dm_chain chain;
    build_chain(msg, &chain);
    unsigned added = 0;
    for (unsigned i = 0; i < msg->n_answers; i++) {
        const struct dis_dns_rr *rr = &msg->answers[i];
        bool is_addr =
            (rr->type == DIS_DNS_T_A || rr->type == DIS_DNS_T_AAAA) && rr->addr.family != 0;
        bool is_svc =
            (rr->type == DIS_DNS_T_SVCB || rr->type == DIS_DNS_T_HTTPS) && rr->svcb.n_hints > 0;
        if (!is_addr && !is_svc)
            continue;
        int k = chain_pos(&chain, &rr->owner);
        if (k < 0)
            continue; /* not an answer to the question asked */
        struct dm_value v = {
            .name = &msg->qname_wire,
            .canon = &rr->owner,
            .ts_ns = ts_ns,
            .ttl = min_u32(chain.ttl[k], rr->ttl),
            .qtype = msg->qtype,
            .cnames = (uint8_t)k,
            .from_hint = is_svc,
        };
        if (is_addr) {
            put(m, client, &rr->addr, &v);
            added++;
            continue;
        }
        /* A TargetName other than "." names the host that the hints belong to. */
        if (rr->target.len > 1)
            v.canon = &rr->target;
        for (unsigned h = 0; h < rr->svcb.n_hints && h < DIS_DNS_MAX_HINTS; h++) {
            put(m, client, &rr->svcb.hint[h], &v);
            added++;
        }
    }
    return added;
}

bool dis_dns_map_lookup(struct dis_dns_map *m, const struct dis_addr *client,
                        const struct dis_addr *addr, uint64_t now_ns,
                        struct dis_dns_map_result *out)
{
    m->lookups++;
    long found = find(m, key_hash(m, client, addr), client, addr);
    if (found < 0)
        return false;
    m->hits++;
    uint32_t i = (uint32_t)found;
    const struct dm_entry *x = &m->e[i];
    dis_dns_name_str(&x->name, out->name, sizeof out->name);
    dis_dns_name_str(&x->canon, out->canon, sizeof out->canon);
    out->answered_ns = x->ts_ns;
    out->ttl = x->ttl;
    out->qtype = x->qtype;
    out->cnames = x->cnames;
    out->from_hint = x->from_hint;
    uint64_t life = (uint64_t)x->ttl * 1000000000ULL; /* ttl < 2^32: no overflow */
    out->expired = now_ns > x->ts_ns && now_ns - x->ts_ns > life;
    lru_unlink(m, i);
    lru_push_front(m, i);
    return true;
}

void dis_dns_map_stats(const struct dis_dns_map *m, struct dis_dns_map_stats *st)
{
    st->capacity = m->capacity;
    st->count = m->count;
    st->inserted = m->inserted;
    st->updated = m->updated;
    st->evicted = m->evicted;
    st->lookups = m->lookups;
    st->hits = m->hits;
}
