/* SPDX-License-Identifier: MIT */
/*
 * flow.c - the flow table: an open-addressing hash index over chunked flow storage, with one
 * idle list per timeout class so that expiry and eviction only ever look at list heads.
 *
 * Memory is bounded by max_flows: the index (two uint32 arrays of a power of two >= 2x
 * max_flows) is allocated up front; flows live in chunks of FT_CHUNK allocated as the table
 * first fills and reused through a free list afterwards, so steady-state packet processing
 * never allocates. Probing touches only the compact index (hash tag + flow number), not the
 * flows themselves, until a tag matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"

#define FT_CHUNK_SHIFT 12
#define FT_CHUNK (1u << FT_CHUNK_SHIFT)

struct ft_list {
    uint32_t head, tail; /* flow index + 1; 0 = empty */
};

struct ft {
    uint32_t max_flows;
    uint64_t timeout_ns[FT_NCLASS];
    ft_emit_fn emit;
    void *ctx;

    /* index: slot_flow[i] = flow index + 1 (0 = empty), slot_tag[i] = its hash */
    uint32_t nslots, mask;
    uint32_t *slot_flow;
    uint32_t *slot_tag;

    /* storage */
    struct ft_flow **chunks;
    uint32_t nchunks, chunks_cap;
    uint32_t used_hwm;  /* flows handed out from chunks so far */
    uint32_t *free_ids; /* stack of released flow indices */
    uint32_t nfree;
    uint32_t count, count_max;
    uint64_t evicted;

    struct ft_list lists[FT_NCLASS];
};

const char *dis_conn_state_name(enum dis_conn_state s)
{
    static const char *const names[] = {"",     "S0",   "S1",     "SF",    "REJ", "S2",  "S3",
                                        "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH",  "SHR", "OTH"};
    if ((unsigned)s >= sizeof names / sizeof names[0])
        return "";
    return names[s];
}

const char *dis_flow_end_name(enum dis_flow_end e)
{
    switch (e) {
    case DIS_END_IDLE:
        return "idle";
    case DIS_END_EVICTED:
        return "evicted";
    case DIS_END_CAPTURE:
        return "capture_end";
    case DIS_END_REUSED:
        return "port_reuse";
    }
    return "unknown";
}

static struct ft_flow *flow_at(const struct ft *t, uint32_t idx)
{
    return &t->chunks[idx >> FT_CHUNK_SHIFT][idx & (FT_CHUNK - 1)];
}

/* 64-bit mix (splitmix64 finaliser) over the key's words. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint32_t key_hash(const struct ft_key *k)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ k->proto;
    uint64_t w;
    for (int i = 0; i < 16; i += 8) {
        memcpy(&w, k->lo.b + i, 8);
        h = mix64(h ^ w);
        memcpy(&w, k->hi.b + i, 8);
        h = mix64(h ^ w);
    }
    h = mix64(h ^ ((uint64_t)k->lo_port << 16 | k->hi_port) ^ ((uint64_t)k->lo.family << 40));
    return (uint32_t)(h ^ (h >> 32));
}

static bool key_eq(const struct ft_key *a, const struct ft_key *b)
{
    return a->proto == b->proto && a->lo_port == b->lo_port && a->hi_port == b->hi_port &&
           dis_addr_cmp(&a->lo, &b->lo) == 0 && dis_addr_cmp(&a->hi, &b->hi) == 0;
}

bool ft_key_make(struct ft_key *k, uint8_t proto, const struct dis_addr *src, uint16_t sport,
                 const struct dis_addr *dst, uint16_t dport)
{
    int c = dis_addr_cmp(src, dst);
    bool src_lo = c < 0 || (c == 0 && sport <= dport);
    memset(k, 0, sizeof *k);
    k->proto = proto;
    if (src_lo) {
        k->lo = *src, k->lo_port = sport;
        k->hi = *dst, k->hi_port = dport;
    } else {
        k->lo = *dst, k->lo_port = dport;
        k->hi = *src, k->hi_port = sport;
    }
    return src_lo;
}

struct ft *ft_new(uint32_t max_flows, const uint32_t timeout_s[FT_NCLASS], ft_emit_fn emit,
                  void *ctx, char err[SS_ERRBUF_SIZE])
{
    if (max_flows < 1 || max_flows > (1u << 28)) {
        snprintf(err, SS_ERRBUF_SIZE, "maximum number of flows %u out of range (1..%u)", max_flows,
                 1u << 28);
        return NULL;
    }
    struct ft *t = calloc(1, sizeof *t);
    if (!t)
        goto oom;
    t->max_flows = max_flows;
    for (int i = 0; i < FT_NCLASS; i++)
        t->timeout_ns[i] = (uint64_t)timeout_s[i] * 1000000000ULL;
    t->emit = emit;
    t->ctx = ctx;
    t->nslots = 16;
    while (t->nslots < 2 * (uint64_t)max_flows)
        t->nslots <<= 1;
    t->mask = t->nslots - 1;
    t->slot_flow = calloc(t->nslots, sizeof *t->slot_flow);
    t->slot_tag = calloc(t->nslots, sizeof *t->slot_tag);
    t->chunks_cap = (max_flows + FT_CHUNK - 1) / FT_CHUNK;
    t->chunks = calloc(t->chunks_cap, sizeof *t->chunks);
    t->free_ids = malloc((size_t)max_flows * sizeof *t->free_ids);
    if (!t->slot_flow || !t->slot_tag || !t->chunks || !t->free_ids)
        goto oom;
    return t;
oom:
    ft_free(t);
    snprintf(err, SS_ERRBUF_SIZE, "out of memory creating a flow table for %u flows", max_flows);
    return NULL;
}

void ft_free(struct ft *t)
{
    if (!t)
        return;
    for (uint32_t c = 0; c < t->nchunks; c++)
        free(t->chunks[c]);
    free(t->chunks);
    free(t->slot_flow);
    free(t->slot_tag);
    free(t->free_ids);
    free(t);
}

struct ft_flow *ft_find(struct ft *t, const struct ft_key *k)
{
    uint32_t h = key_hash(k);
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint32_t id = t->slot_flow[i];
        if (id == 0)
            return NULL;
        if (t->slot_tag[i] == h) {
            struct ft_flow *f = flow_at(t, id - 1);
            if (key_eq(&f->key, k))
                return f;
        }
    }
}

static void list_unlink(struct ft *t, struct ft_flow *f)
{
    struct ft_list *l = &t->lists[f->cls];
    if (f->prev)
        flow_at(t, f->prev - 1)->next = f->next;
    else
        l->head = f->next;
    if (f->next)
        flow_at(t, f->next - 1)->prev = f->prev;
    else
        l->tail = f->prev;
    f->prev = f->next = 0;
}

static void list_append(struct ft *t, struct ft_flow *f, uint32_t id1)
{
    struct ft_list *l = &t->lists[f->cls];
    f->prev = l->tail;
    f->next = 0;
    if (l->tail)
        flow_at(t, l->tail - 1)->next = id1;
    else
        l->head = id1;
    l->tail = id1;
}

void ft_touch(struct ft *t, struct ft_flow *f, enum ft_class cls)
{
    uint32_t id1 = f->self + 1;
    if (t->lists[f->cls].tail == id1 && f->cls == cls)
        return;
    list_unlink(t, f);
    f->cls = (uint8_t)cls;
    list_append(t, f, id1);
}

/* Backward-shift deletion keeps linear probing chains intact without tombstones. */
static void index_delete(struct ft *t, uint32_t id1, uint32_t h)
{
    uint32_t i = h & t->mask;
    while (t->slot_flow[i] != id1)
        i = (i + 1) & t->mask;
    for (;;) {
        uint32_t j = i;
        for (;;) {
            j = (j + 1) & t->mask;
            if (t->slot_flow[j] == 0) {
                t->slot_flow[i] = 0;
                t->slot_tag[i] = 0;
                return;
            }
            uint32_t home = t->slot_tag[j] & t->mask;
            /* move j back to i unless its home lies cyclically in (i, j] */
            bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
                break;
        }
        t->slot_flow[i] = t->slot_flow[j];
        t->slot_tag[i] = t->slot_tag[j];
        i = j;
    }
}

int ft_remove(struct ft *t, struct ft_flow *f, enum dis_flow_end why)
{
    uint32_t idx = f->self;
    int rc = t->emit(t->ctx, f, why);
    list_unlink(t, f);
    index_delete(t, idx + 1, f->slot_hash);
    memset(f, 0, sizeof *f);
    t->free_ids[t->nfree++] = idx;
    t->count--;
    return rc;
}

static struct ft_flow *oldest(struct ft *t)
{
    struct ft_flow *best = NULL;
    for (int c = 0; c < FT_NCLASS; c++) {
        if (!t->lists[c].head)
            continue;
        struct ft_flow *f = flow_at(t, t->lists[c].head - 1);
        if (!best || f->rec.last_ns < best->rec.last_ns)
            best = f;
    }
    return best;
}

struct ft_flow *ft_insert(struct ft *t, const struct ft_key *k, int *rc)
{
    *rc = 0;
    if (t->count >= t->max_flows) {
        struct ft_flow *victim = oldest(t);
        t->evicted++;
        *rc = ft_remove(t, victim, DIS_END_EVICTED);
        if (*rc < 0)
            return NULL;
    }
    uint32_t idx;
    if (t->nfree > 0) {
        idx = t->free_ids[--t->nfree];
    } else {
        if ((t->used_hwm >> FT_CHUNK_SHIFT) >= t->nchunks) {
            struct ft_flow *chunk = calloc(FT_CHUNK, sizeof *chunk);
            if (!chunk) {
                *rc = -1;
                return NULL;
            }
            t->chunks[t->nchunks++] = chunk;
        }
        idx = t->used_hwm++;
    }
    struct ft_flow *f = flow_at(t, idx);
    memset(f, 0, sizeof *f);
    f->key = *k;
    f->self = idx;
    f->slot_hash = key_hash(k);
    uint32_t i = f->slot_hash & t->mask;
    while (t->slot_flow[i] != 0)
        i = (i + 1) & t->mask;
    t->slot_flow[i] = idx + 1;
    t->slot_tag[i] = f->slot_hash;
    f->cls = FT_OTHER;
    list_append(t, f, idx + 1);
    t->count++;
    if (t->count > t->count_max)
        t->count_max = t->count;
    return f;
}

int ft_expire(struct ft *t, uint64_t now_ns)
{
    for (int c = 0; c < FT_NCLASS; c++) {
        while (t->lists[c].head) {
            struct ft_flow *f = flow_at(t, t->lists[c].head - 1);
            if (f->rec.last_ns + t->timeout_ns[c] >= now_ns)
                break;
            int rc = ft_remove(t, f, DIS_END_IDLE);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int ft_flush(struct ft *t, enum dis_flow_end why)
{
    struct ft_flow *f;
    while ((f = oldest(t)) != NULL) {
        int rc = ft_remove(t, f, why);
        if (rc < 0)
            return rc;
    }
    return 0;
}

uint32_t ft_count(const struct ft *t)
{
    return t->count;
}

uint32_t ft_count_max(const struct ft *t)
{
    return t->count_max;
}

uint64_t ft_evicted(const struct ft *t)
{
    return t->evicted;
}
