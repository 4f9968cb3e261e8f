/* SPDX-License-Identifier: MIT */
/*
 * ana_ice.c - ICE sessions, candidate pairs, TURN allocations and the routing method
 * (DESIGN.md "Sessions and methods"; RFC 8445 ICE, RFC 8656 TURN, RFC 8489 STUN).
 *
 * Connectivity checks (Binding requests whose USERNAME is "ufragA:ufragB") group into one
 * session per unordered ufrag pair; each flow that carries a session's checks is a candidate
 * pair, and checks relayed inside a TURN allocation are pairs of their own (relayed
 * address, peer). Responses are matched by transaction id on the same flow. The method comes
 * from topology and evidence only, never from PRIORITY: whether the selected pair runs
 * through an allocation, whether both ends are local, whether it crosses a NAT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ana_int.h"

#define ANA_METHOD_GOOG_PING 0x080 /* libwebrtc's GOOG-PING replaces later Binding checks */

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

static uint64_t ice_key(const void *e)
{
    return str_hash(((const struct ana_ice *)e)->ufrags);
}

static uint64_t flow_hash(uint64_t id)
{
    id ^= id >> 31;
    id *= 0x9e3779b97f4a7c15ULL;
    return id ^ (id >> 29);
}

/* The session key: the two ufrags of "a:b", each cut at 64 bytes, in byte order. */
static void ufrag_key(const struct dis_stun_msg *m, char out[DIS_UFRAGS_LEN])
{
    const char *u = m->username, *colon = memchr(u, ':', m->username_len);
    size_t la = (size_t)(colon - u), lb = m->username_len - la - 1;
    char x[65], y[65];
    snprintf(x, sizeof(x), "%.*s", (int)(la > 64 ? 64 : la), u);
    snprintf(y, sizeof(y), "%.*s", (int)(lb > 64 ? 64 : lb), colon + 1);
    if (strcmp(x, y) <= 0)
        snprintf(out, DIS_UFRAGS_LEN, "%s:%s", x, y);
    else
        snprintf(out, DIS_UFRAGS_LEN, "%s:%s", y, x);
}

static struct ana_ice *ice_get(struct dis_ana *a, const char *key)
{
    uint64_t h = str_hash(key);
    if (a->ice_cap) {
        for (struct ana_ice *s = a->ice[h & (a->ice_cap - 1)]; s; s = s->next)
            if (strcmp(s->ufrags, key) == 0)
                return s;
    }
    if (a->ice_n + a->allocs_n >= a->o.max_sessions)
        return NULL; /* bounded; the checks are still counted on their flows */
    if (a->ice_n >= a->ice_cap / 2) {
        size_t ncap = a->ice_cap ? a->ice_cap * 2 : 256;
        struct ana_ice **nt = calloc(ncap, sizeof(*nt));
        if (!nt)
            return NULL;
        for (size_t i = 0; i < a->ice_cap; i++) {
            struct ana_ice *s = a->ice[i];
            while (s) {
                struct ana_ice *nx = s->next;
                size_t b = ice_key(s) & (ncap - 1);
                s->next = nt[b];
                nt[b] = s;
                s = nx;
            }
        }
        free(a->ice);
        a->ice = nt;
        a->ice_cap = ncap;
    }
    struct ana_ice *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    snprintf(s->ufrags, sizeof(s->ufrags), "%s", key);
    size_t b = h & (a->ice_cap - 1);
    s->next = a->ice[b];
    a->ice[b] = s;
    if (a->ice_tail)
        a->ice_tail->lnext = s;
    else
        a->ice_list = s;
    a->ice_tail = s;
    a->ice_n++;
    return s;
}

static struct ana_pair **pbf_slot(struct dis_ana *a, uint64_t flow_id)
{
    if (!a->pbf_cap) {
        a->pbf_cap = 4096;
        a->pairs_by_flow = calloc(a->pbf_cap, sizeof(*a->pairs_by_flow));
        if (!a->pairs_by_flow) {
            a->pbf_cap = 0;
            return NULL;
        }
    }
    return &a->pairs_by_flow[flow_hash(flow_id) & (a->pbf_cap - 1)];
}

/* The pair of session @p s on this flow (relayed: with this peer); created when new. */
static struct ana_pair *pair_get(struct dis_ana *a, struct ana_ice *s, uint64_t flow_id,
                                 bool relayed, const struct dis_ep *x, const struct dis_ep *y,
                                 uint8_t proto)
{
    struct ana_pair **slot = pbf_slot(a, flow_id);
    if (!slot)
        return NULL;
    for (struct ana_pair *p = *slot; p; p = p->fnext) {
        if (p->flow_id != flow_id || p->sess != s || p->relayed != relayed)
            continue;
        if (!relayed || ana__ep_eq(&p->b, y))
            return p;
    }
    if (s->n_pairs >= a->o.max_pairs)
        return NULL;
    struct ana_pair *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->sess = s;
    p->flow_id = flow_id;
    p->relayed = relayed;
    p->a = *x;
    p->b = *y;
    p->proto = proto;
    p->rtt_ns = -1;
    p->next = s->pairs;
    s->pairs = p;
    s->n_pairs++;
    p->fnext = *slot;
    *slot = p;
    return p;
}

static struct ana_tx *tx_find(struct ana_flow *f, const uint8_t *id)
{
    for (unsigned i = 0; i < ANA_TXIDS; i++)
        if (f->tx[i].used && memcmp(f->tx[i].id, id, 12) == 0)
            return &f->tx[i];
    return NULL;
}

static struct ana_tx *tx_add(struct ana_flow *f, const struct dis_stun_msg *m, uint64_t ts)
{
    struct ana_tx *t = &f->tx[f->tx_next++ % ANA_TXIDS];
    memset(t, 0, sizeof(*t));
    t->used = true;
    memcpy(t->id, m->txid, 12);
    t->method = m->method;
    t->ts_ns = ts;
    return t;
}

static struct ana_alloc *alloc_new(struct dis_ana *a, struct ana_flow *f,
                                   const struct dis_event *ev)
{
    if (a->ice_n + a->allocs_n >= a->o.max_sessions)
        return NULL;
    struct ana_alloc *al = calloc(1, sizeof(*al));
    if (!al)
        return NULL;
    al->flow_id = ev->flow_id;
    al->proto = ev->transport;
    al->client = (struct dis_ep){ev->src, ev->sport};
    al->server = (struct dis_ep){ev->dst, ev->dport};
    al->first_ns = ev->ts_ns;
    if (a->allocs_tail)
        a->allocs_tail->next = al;
    else
        a->allocs = al;
    a->allocs_tail = al;
    a->allocs_n++;
    f->alloc = al;
    return al;
}

/* A peer transport address seen in the allocation; permissions are per peer IP address
 * (RFC 8656 §9), so a new address counts one. */
static void alloc_peer(struct ana_alloc *al, const struct dis_ep *peer)
{
    bool new_ip = true;
    for (unsigned i = 0; i < al->n_peers; i++) {
        if (ana__ep_eq(&al->peer_list[i], peer))
            return;
        if (ana__addr_eq(&al->peer_list[i].addr, &peer->addr))
            new_ip = false;
    }
    al->peers++;
    if (new_ip)
        al->permissions++;
    if (al->n_peers < 16)
        al->peer_list[al->n_peers++] = *peer;
}

static void learn_nat(struct dis_ana *a, const struct dis_addr *x)
{
    if (ana__is_local(a, x))
        return;
    for (size_t i = 0; i < a->n_nat; i++)
        if (ana__addr_eq(&a->nat[i], x))
            return;
    if (a->n_nat < 16)
        a->nat[a->n_nat++] = *x;
}

static bool is_turn_method(uint16_t m)
{
    return m == DIS_STUN_ALLOCATE || m == DIS_STUN_REFRESH || m == DIS_STUN_CREATEPERMISSION ||
           m == DIS_STUN_CHANNELBIND;
}

static void turn_error(struct ana_flow *f, struct ana_alloc *al, uint16_t method, uint16_t code)
{
    if (al) {
        al->errors++;
        al->last_error = code;
    }
    if (f->n_turn_err < ANA_ERRS) {
        f->turn_err_code[f->n_turn_err] = code;
        f->turn_err_method[f->n_turn_err] = method;
        f->n_turn_err++;
    }
}

int ana__ice_stun(struct dis_ana *a, struct ana_flow *f, const struct dis_event *ev)
{
    const struct dis_stun_msg *m = ev->u.stun;
    if (m->classic || m->txid_len != 12)
        return 0;
    struct dis_ep src = {ev->src, ev->sport}, dst = {ev->dst, ev->dport};
    struct ana_alloc *al = f->alloc;
    if (ev->inner) {
        f->relayed_msgs++;
        if (al)
            al->relayed_msgs++;
    }

    /* The relayed message's two ends: our relayed address and the peer. */
    struct dis_ep peer = {0};
    if (ev->inner && al) {
        if (ev->channel) {
            for (unsigned i = 0; i < al->n_chan; i++)
                if (al->chan[i] == ev->channel)
                    peer = al->chan_peer[i];
        } else {
            peer = f->ind_peer;
        }
    }

    bool ice_check = (m->method == DIS_STUN_BINDING || m->method == ANA_METHOD_GOOG_PING) &&
                     m->cls == DIS_STUN_REQUEST && m->has_username &&
                     memchr(m->username, ':', m->username_len) != NULL;
    if (ice_check) {
        char key[DIS_UFRAGS_LEN];
        ufrag_key(m, key);
        struct ana_ice *s = ice_get(a, key);
        if (!s)
            return 0;
        if (s->first_ns == 0)
            s->first_ns = ev->ts_ns;
        s->last_ns = ev->ts_ns;
        struct ana_pair *p;
        if (ev->inner) {
            if (!al)
                return 0;
            p = pair_get(a, s, ev->flow_id, true, &al->relayed, &peer, ev->transport);
            if (p)
                p->alloc = al;
            al->carried = s;
        } else {
            p = pair_get(a, s, ev->flow_id, false, &src, &dst, ev->transport);
        }
        if (!p)
            return 0;
        p->requests++;
        bool from_a = ev->inner ? ana__ep_eq(&src, &al->client) : ana__ep_eq(&src, &p->a);
        if (from_a)
            p->req_from_a++;
        else
            p->req_from_b++;
        if (p->first_ns == 0)
            p->first_ns = ev->ts_ns;
        p->last_ns = ev->ts_ns;
        struct ana_tx *t = tx_add(f, m, ev->ts_ns);
        t->pair = p;
        t->use_candidate = m->use_candidate;
        return 0;
    }

    if (m->cls == DIS_STUN_REQUEST) {
        if (m->method == DIS_STUN_ALLOCATE && !ev->inner && !al)
            al = alloc_new(a, f, ev);
        struct ana_tx *t = tx_add(f, m, ev->ts_ns);
        if (al && !ev->inner) {
            if (m->method == DIS_STUN_CREATEPERMISSION || m->method == DIS_STUN_CHANNELBIND) {
                for (unsigned i = 0; i < m->n_peer; i++) {
                    struct dis_ep pe = {m->peer[i].addr, m->peer[i].port};
                    if (ana__is_local(a, &pe.addr))
                        t->peer_local = true;
                    /* ChannelBind installs a permission too (RFC 8656 §12). */
                    alloc_peer(al, &pe);
                }
                if (m->method == DIS_STUN_CHANNELBIND && m->has_channel_number && m->n_peer &&
                    al->n_chan < ANA_CHANNELS) {
                    al->chan[al->n_chan] = m->channel_number;
                    al->chan_peer[al->n_chan] = (struct dis_ep){m->peer[0].addr, m->peer[0].port};
                    al->n_chan++;
                    al->channels++;
                }
            }
        }
        return 0;
    }
    if (m->cls == DIS_STUN_INDICATION) {
        if (!ev->inner && al && (m->method == DIS_STUN_SEND || m->method == DIS_STUN_DATA) &&
            m->n_peer) {
            f->ind_peer = (struct dis_ep){m->peer[0].addr, m->peer[0].port};
            alloc_peer(al, &f->ind_peer);
            al->relayed_msgs++;
        }
        return 0;
    }

    /* A response: success or error. */
    /* A local client's public address, from a response that crossed its NAT (not from a
     * relayed one: inside an allocation XOR-MAPPED-ADDRESS is the relayed address). */
    if (m->cls == DIS_STUN_SUCCESS && !ev->inner && m->n_xor_mapped &&
        ana__is_local(a, &dst.addr) && !ana__is_local(a, &src.addr))
        learn_nat(a, &m->xor_mapped[0].addr);
    struct ana_tx *t = tx_find(f, m->txid);
    if (!t)
        return 0;
    if (t->pair) {
        struct ana_pair *p = t->pair;
        if (m->cls == DIS_STUN_SUCCESS) {
            p->successes++;
            if (p->rtt_ns < 0 && ev->ts_ns >= t->ts_ns)
                p->rtt_ns = (int64_t)(ev->ts_ns - t->ts_ns);
            if (t->use_candidate)
                p->nominated = true;
        } else {
            p->errors++;
        }
        p->last_ns = ev->ts_ns;
        if (p->sess->last_ns < ev->ts_ns)
            p->sess->last_ns = ev->ts_ns;
        return 0;
    }
    if (!al || ev->inner || !is_turn_method(t->method))
        return 0;
    al->last_ns = ev->ts_ns;
    if (m->cls == DIS_STUN_SUCCESS) {
        if (t->method == DIS_STUN_ALLOCATE) {
            al->success = true;
            if (m->n_relayed)
                al->relayed = (struct dis_ep){m->relayed[0].addr, m->relayed[0].port};
            if (m->n_xor_mapped)
                al->mapped = (struct dis_ep){m->xor_mapped[0].addr, m->xor_mapped[0].port};
        }
        if (m->has_lifetime)
            al->lifetime = m->lifetime;
        return 0;
    }
    uint16_t code = m->has_error ? m->error_code : 0;
    if (code == 401 || code == 438)
        return 0; /* the long-term credential challenge (RFC 8489 §9.2) and a stale nonce */
    if (code == 403 && t->peer_local)
        return 0; /* the server will not relay into private address space: its policy */
    turn_error(f, al, t->method, code);
    return 0;
}

/* ------------------------------------------------------------------ finish */

static bool nat_addr(const struct dis_ana *a, const struct dis_addr *x)
{
    for (size_t i = 0; i < a->n_nat; i++)
        if (ana__addr_eq(&a->nat[i], x))
            return true;
    return false;
}

static bool turn_server_addr(const struct dis_ana *a, const struct dis_addr *x)
{
    for (const struct ana_alloc *al = a->allocs; al; al = al->next)
        if (ana__addr_eq(&al->server.addr, x))
            return true;
    return false;
}

static const struct dis_profile_rule *fsum_rule(const struct dis_ana *a, const struct ana_fsum *s)
{
    return s && s->rule >= 0 ? dis_profile_rule_at(a->prof, (size_t)s->rule) : NULL;
}

/* Is this a rule for relay ports (ICE traffic to named hosts), as opposed to "any UDP"? */
static bool relay_rule(const struct dis_profile_rule *r)
{
    if (!r || r->traffic != DIS_TRAFFIC_ICE)
        return false;
    for (unsigned i = 0; i < r->n_hosts; i++)
        if (strcmp(r->hosts[i], "*") == 0)
            return false;
    return true;
}

static uint64_t pair_bytes(const struct dis_ana *a, const struct ana_pair *p)
{
    const struct ana_fsum *s = ana__fsum(a, p->flow_id);
    return s ? s->bytes : 0;
}

static struct ana_pair *select_pair(const struct dis_ana *a, struct ana_ice *s)
{
    struct ana_pair *best = NULL;
    /* Nominated and answered; with aggressive nomination several pairs are, and the one
     * that then carries the media (the most bytes) is the one in use. */
    for (struct ana_pair *p = s->pairs; p; p = p->next)
        if (p->nominated && (!best || pair_bytes(a, p) > pair_bytes(a, best)))
            best = p;
    if (best)
        return best;
    for (struct ana_pair *p = s->pairs; p; p = p->next) /* else the answered pair with media */
        if (p->successes && (!best || pair_bytes(a, p) > pair_bytes(a, best)))
            best = p;
    return best;
}

/* Orders a direct pair's ends: the local one first (both local: the first sender). */
static void pair_ends(const struct dis_ana *a, const struct ana_pair *p, struct dis_ep *local,
                      struct dis_ep *remote)
{
    if (!ana__is_local(a, &p->a.addr) && ana__is_local(a, &p->b.addr)) {
        *local = p->b;
        *remote = p->a;
    } else {
        *local = p->a;
        *remote = p->b;
    }
}

enum unans_kind { UN_PRIVATE, UN_HAIRPIN, UN_RELAY, UN_PUBLIC };

struct unans {
    const struct ana_pair *p;
    struct dis_ep local, remote;
    enum unans_kind kind;
    uint32_t n;
    const struct ana_fsum *fs;
};

static size_t unanswered(const struct dis_ana *a, const struct ana_ice *s, struct unans *out,
                         size_t max)
{
    size_t n = 0;
    for (const struct ana_pair *p = s->pairs; p && n < max; p = p->next) {
        if (p->relayed || p->successes || p->errors || p == s->sel)
            continue;
        struct dis_ep l, r;
        pair_ends(a, p, &l, &r);
        if (!ana__is_local(a, &l.addr) || ana__is_local(a, &r.addr))
            continue; /* only checks leaving the local network can be blocked on the way */
        const struct ana_fsum *fs = ana__fsum(a, p->flow_id);
        uint32_t from_local = ana__ep_eq(&l, &p->a) ? p->req_from_a : p->req_from_b;
        if (from_local == 0 || (fs && fs->resp_orig + fs->resp_resp > 0))
            continue;
        struct unans *u = &out[n++];
        u->p = p;
        u->local = l;
        u->remote = r;
        u->n = from_local;
        u->fs = fs;
        const struct dis_profile_rule *rule = fsum_rule(a, fs);
        if (nat_addr(a, &r.addr))
            u->kind = UN_HAIRPIN;
        else if (relay_rule(rule) || (turn_server_addr(a, &r.addr) && r.port >= 49152))
            u->kind = UN_RELAY;
        else
            u->kind = UN_PUBLIC;
    }
    /* Checks to private addresses of the remote peer leave too (to the default route) but
     * no route reaches them: listed for the explanation, never a verdict. */
    for (const struct ana_pair *p = s->pairs; p && n < max; p = p->next) {
        if (p->relayed || p->successes || p->errors || p == s->sel)
            continue;
        struct dis_ep l, r;
        pair_ends(a, p, &l, &r);
        if (!ana__is_local(a, &r.addr))
            continue;
        const struct ana_fsum *fs = ana__fsum(a, p->flow_id);
        if (fs && fs->resp_orig + fs->resp_resp > 0)
            continue;
        struct ana_host *hr = ana__host((struct dis_ana *)a, &r.addr, false);
        if (hr && hr->first_ns && fs && fs->pkts[1] > 0)
            continue;
        /* A private destination that never answered and that the capture never saw send
         * anything: another site's host candidate. */
        if (hr && hr->last_ns > 0 && !(fs && fs->orig.addr.family) && false)
            continue;
        if (!(fs && fs->pkts[1] == 0))
            continue;
        bool seen_here = false;
        for (size_t i = 0; i < a->fsums.n && !seen_here; i++) {
            const struct ana_fsum *x = &((const struct ana_fsum *)a->fsums.p)[i];
            seen_here = ana__addr_eq(&x->orig.addr, &r.addr);
        }
        if (seen_here)
            continue; /* a LAN host that did not answer: not another site's candidate */
        struct unans *u = &out[n++];
        u->p = p;
        u->local = l;
        u->remote = r;
        u->n = ana__ep_eq(&l, &p->a) ? p->req_from_a : p->req_from_b;
        u->fs = fs;
        u->kind = UN_PRIVATE;
    }
    return n;
}

static const char *unans_what(enum unans_kind k)
{
    switch (k) {
    case UN_PRIVATE:
        return "the remote's private host candidate, no route reaches it";
    case UN_HAIRPIN:
        return "this site's own public address, no hairpin NAT";
    case UN_RELAY:
        return "the remote's TURN relay port";
    case UN_PUBLIC:
        return "the remote's public (server-reflexive) address";
    }
    return "";
}

/* Appends to @p buf (bounded). */
static void cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static void cat(char *buf, size_t len, const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, len - l, fmt, ap);
    va_end(ap);
}

/* STUN requests from @p client to the TURN/STUN servers that got no answer (UDP 3478
 * blocked): the reason a relayed session uses TCP or TLS. */
static uint32_t stun_unanswered_from(const struct dis_ana *a, const struct dis_addr *client,
                                     struct dis_ep *to)
{
    uint32_t n = 0;
    const struct ana_fsum *fs = a->fsums.p;
    for (size_t i = 0; i < a->fsums.n; i++) {
        const struct ana_fsum *s = &fs[i];
        if (s->proto != 17 || !s->stun || s->ice || s->pkts[1] > 0)
            continue;
        if (!ana__addr_eq(&s->orig.addr, client))
            continue;
        const struct dis_profile_rule *r = fsum_rule(a, s);
        if (!r || r->traffic != DIS_TRAFFIC_ANY)
            continue;
        n += (uint32_t)s->pkts[0];
        *to = s->resp;
    }
    return n;
}

static int ice_verdicts(struct dis_ana *a, struct ana_ice *s, const struct unans *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (u[i].kind == UN_PRIVATE || u[i].kind == UN_HAIRPIN)
            continue;
        if (u[i].kind == UN_PUBLIC && s->method == 2)
            continue; /* the session found a direct path: hole punching works */
        const struct dis_profile_rule *rule = fsum_rule(a, u[i].fs);
        if (!rule)
            continue;
        uint64_t waited = u[i].fs ? (a->now_ns - u[i].p->first_ns) / 1000000u : 0;
        if (u[i].n < a->o.min_retries && waited < a->o.udp_wait_ms)
            continue;
        char ev[512], r[64];
        snprintf(ev, sizeof(ev), "%u ICE check(s) to %s (%s) over %.1f s, none answered", u[i].n,
                 ana__ep_str(&u[i].remote, r, sizeof(r)), unans_what(u[i].kind),
                 (double)(u[i].p->last_ns - u[i].p->first_ns) / 1e9);
        const struct dis_ep *src = &u[i].fs->orig, *dst = &u[i].fs->resp;
        if (ana__verdict(a, DIS_VK_BLOCKED, "udp_no_answer",
                         u[i].n >= a->o.min_retries ? DIS_CONF_CONFIRMED : DIS_CONF_SUSPECTED,
                         rule->id, 17, src, dst, u[i].fs->host, u[i].p->first_ns, u[i].fs->flow_id,
                         s->id, ev) < 0)
            return -1;
    }
    return 0;
}

static void explain(struct dis_ana *a, struct ana_ice *s, const struct unans *u, size_t n,
                    struct dis_session_rec *rec)
{
    char *ex = rec->explanation;
    size_t len = sizeof(rec->explanation);
    char l[64], r[64];
    ex[0] = 0;
    uint32_t total = 0, answered = 0;
    for (const struct ana_pair *p = s->pairs; p; p = p->next) {
        total += p->requests;
        answered += p->successes;
    }
    const struct ana_pair *sel = s->sel;
    if (!sel && s->tls_alloc) {
        const struct ana_fsum *fs = ana__fsum(a, s->tls_alloc->flow_id);
        cat(ex, len, "method 3 over tls/%u via the TURN server %s", s->tls_alloc->server.port,
            ana__ep_str(&s->tls_alloc->server, l, sizeof(l)));
        if (fs && fs->host[0])
            cat(ex, len, " (%s)", fs->host);
        cat(ex, len, "; none of the %u direct checks was answered", total);
    } else if (!sel) {
        cat(ex, len, "no pair succeeded: %u checks, %u answered", total, answered);
    } else if (s->method == 3 && sel->relayed) {
        const struct ana_alloc *al = sel->alloc;
        const char *tr = rec->sub == DIS_SUB_RELAY_TLS   ? "tls"
                         : rec->sub == DIS_SUB_RELAY_TCP ? "tcp"
                                                         : "udp";
        cat(ex, len, "method 3 over %s/%u via the TURN server %s", tr, al->server.port,
            ana__ep_str(&al->server, l, sizeof(l)));
        const struct ana_fsum *fs = ana__fsum(a, al->flow_id);
        if (fs && fs->host[0])
            cat(ex, len, " (%s)", fs->host);
    } else if (s->method == 3) {
        pair_ends(a, sel, &rec->sel_local, &rec->sel_remote);
        cat(ex, len, "method 3 over udp: %s to the remote's TURN relay %s",
            ana__ep_str(&rec->sel_local, l, sizeof(l)),
            ana__ep_str(&rec->sel_remote, r, sizeof(r)));
    } else {
        cat(ex, len, "method 2 (%s): %s <-> %s, %u of %u checks answered%s",
            rec->sub == DIS_SUB_HOST ? "host, on the local network" : "srflx, across NAT",
            ana__ep_str(&rec->sel_local, l, sizeof(l)), ana__ep_str(&rec->sel_remote, r, sizeof(r)),
            sel->successes, sel->requests, sel->nominated ? ", nominated" : "");
    }
    bool need_relay = false, need_hole = false;
    for (size_t i = 0; i < n; i++) {
        cat(ex, len, "; %u check(s) to %s unanswered over %.1f s (%s)", u[i].n,
            ana__ep_str(&u[i].remote, r, sizeof(r)),
            (double)(u[i].p->last_ns - u[i].p->first_ns) / 1e9, unans_what(u[i].kind));
        if (u[i].kind == UN_RELAY)
            need_relay = true;
        if (u[i].kind == UN_PUBLIC)
            need_hole = true;
    }
    if (s->method == 3 && rec->sub != DIS_SUB_RELAY_UDP) {
        struct dis_ep to = {0};
        uint32_t k = stun_unanswered_from(a, &rec->sel_local.addr, &to);
        if (k) {
            cat(ex, len, "; %u STUN request(s) to %s unanswered (UDP blocked)", k,
                ana__ep_str(&to, r, sizeof(r)));
            need_relay = true;
        }
    }
    if (s->method == 3 && (need_relay || need_hole)) {
        cat(ex, len, " -> allow outbound UDP");
        if (need_relay)
            cat(ex, len, " to 3478 and 49152-65535 at the TURN servers (rules sturn, relay)");
        if (need_hole)
            cat(ex, len, "%s to any port (rule holepunch)", need_relay ? " and" : "");
    } else if (s->method == 3) {
        cat(ex, len,
            " -> no direct path was attempted that the capture shows; "
            "allow outbound UDP (rule holepunch) for method 2");
    }
}

static int emit_pairs(struct dis_ana *a, struct ana_ice *s)
{
    for (struct ana_pair *p = s->pairs; p; p = p->next) {
        struct dis_pair_rec pr;
        memset(&pr, 0, sizeof(pr));
        pr.session_id = s->id;
        pr.proto = p->proto;
        pr.relayed = p->relayed;
        if (p->relayed) {
            pr.local = p->a;
            pr.remote = p->b;
        } else {
            pair_ends(a, p, &pr.local, &pr.remote);
        }
        pr.requests = p->requests;
        pr.successes = p->successes;
        pr.errors = p->errors;
        pr.nominated = p->nominated;
        pr.selected = p == s->sel;
        pr.first_ns = p->first_ns;
        pr.last_ns = p->last_ns;
        pr.rtt_ns = p->rtt_ns;
        int rc = a->sink.pair ? a->sink.pair(a->sink.user, &pr) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

static void mark_host(struct dis_ana *a, const struct dis_addr *x, uint8_t method)
{
    struct ana_host *h = ana__host(a, x, false);
    if (!h)
        return;
    h->ice_peers++;
    if (method)
        h->methods |= (uint8_t)(1u << method);
}

/* Is rule @p ri a TURN server's (the target of an ICE-traffic rule's "rule:" reference)? */
static bool turn_server_rule(const struct dis_ana *a, int ri)
{
    if (ri < 0)
        return false;
    const char *id = dis_profile_rule_at(a->prof, (size_t)ri)->id;
    size_t n = dis_profile_rule_count(a->prof);
    for (size_t i = 0; i < n; i++) {
        const struct dis_profile_rule *r = dis_profile_rule_at(a->prof, i);
        if (r->traffic != DIS_TRAFFIC_ICE)
            continue;
        for (unsigned h = 0; h < r->n_hosts; h++)
            if (strncmp(r->hosts[h], "rule:", 5) == 0 && strcmp(r->hosts[h] + 5, id) == 0)
                return true;
    }
    return false;
}

/*
 * TURN over TLS is encrypted: no Allocate, no ChannelData to see. When none of a session's
 * direct checks worked, a TLS flow from the same client to a TURN server's name that runs
 * while the session does, with traffic both ways, is the relay it fell back to.
 */
static struct ana_alloc *infer_tls_relay(struct dis_ana *a, const struct ana_ice *s)
{
    struct dis_addr client = {0};
    for (const struct ana_pair *p = s->pairs; p && client.family == 0; p = p->next) {
        struct dis_ep l, r;
        if (p->relayed)
            continue;
        pair_ends(a, p, &l, &r);
        if (ana__is_local(a, &l.addr))
            client = l.addr;
    }
    if (client.family == 0)
        return NULL;
    const struct ana_fsum *best = NULL;
    const struct ana_fsum *fs = a->fsums.p;
    uint64_t slack = 5000000000ULL; /* the relay may outlive the checks by the media's length */
    for (size_t i = 0; i < a->fsums.n; i++) {
        const struct ana_fsum *f = &fs[i];
        if (f->proto != 6 || !f->tls || f->pkts[0] < 4 || f->pkts[1] < 4)
            continue;
        if (!ana__addr_eq(&f->orig.addr, &client))
            continue;
        if (!turn_server_rule(a, f->rule))
            continue;
        if (f->first_ns > s->last_ns + slack || f->last_ns + slack < s->first_ns)
            continue;
        if (!best || f->bytes > best->bytes)
            best = f;
    }
    if (!best)
        return NULL;
    for (struct ana_alloc *al = a->allocs; al; al = al->next)
        if (al->flow_id == best->flow_id)
            return al; /* another session already took it */
    struct ana_alloc *al = calloc(1, sizeof(*al));
    if (!al)
        return NULL;
    al->flow_id = best->flow_id;
    al->proto = 6;
    al->client = best->orig;
    al->server = best->resp;
    al->first_ns = best->first_ns;
    al->last_ns = best->last_ns;
    al->inferred = true;
    al->success = true;
    if (a->allocs_tail)
        a->allocs_tail->next = al;
    else
        a->allocs = al;
    a->allocs_tail = al;
    a->allocs_n++;
    return al;
}

int ana__ice_finish(struct dis_ana *a)
{
    for (struct ana_ice *s = a->ice_list; s; s = s->lnext) {
        s->sel = select_pair(a, s);
        s->tls_alloc = NULL;
        if (!s->sel) {
            s->tls_alloc = infer_tls_relay(a, s);
            if (s->tls_alloc)
                s->tls_alloc->carried = s;
        }
    }
    /* Ids first: sessions and allocations refer to each other. */
    for (struct ana_ice *s = a->ice_list; s; s = s->lnext)
        s->id = ++a->next_session_id;
    for (struct ana_alloc *al = a->allocs; al; al = al->next)
        al->id = ++a->next_session_id;

    struct unans *u = calloc(a->o.max_pairs * 2 + 1, sizeof(*u));
    if (!u)
        return -1;
    int rc = 0;
    for (struct ana_ice *s = a->ice_list; s && rc == 0; s = s->lnext) {
        struct dis_session_rec rec;
        memset(&rec, 0, sizeof(rec));
        rec.id = s->id;
        rec.kind = DIS_SESS_ICE;
        snprintf(rec.ufrags, sizeof(rec.ufrags), "%s", s->ufrags);
        rec.first_ns = s->first_ns;
        rec.last_ns = s->last_ns;
        struct ana_pair *sel = s->sel;
        s->method = 0; /* computed anew on every call */
        s->sub = DIS_SUB_NONE;
        if (!sel && s->tls_alloc) {
            const struct ana_alloc *al = s->tls_alloc;
            const struct ana_fsum *fs = ana__fsum(a, al->flow_id);
            s->method = 3;
            s->sub = DIS_SUB_RELAY_TLS;
            rec.proto = 6;
            rec.has_selected = true;
            rec.sel_local = al->client;
            rec.sel_remote = al->server;
            rec.server = al->server;
            rec.client = al->client.addr;
            rec.link_id = al->id;
            rec.bytes = fs ? fs->bytes : 0;
        } else if (sel && sel->relayed && sel->alloc) {
            const struct ana_alloc *al = sel->alloc;
            const struct ana_fsum *fs = ana__fsum(a, al->flow_id);
            s->method = 3;
            s->sub = al->proto == 17 ? DIS_SUB_RELAY_UDP
                     : fs && fs->tls ? DIS_SUB_RELAY_TLS
                                     : DIS_SUB_RELAY_TCP;
            rec.proto = al->proto;
            rec.sel_local = al->client;
            rec.sel_remote = al->server;
            rec.server = al->server;
            rec.client = al->client.addr;
            rec.peer = sel->b.addr;
            rec.link_id = al->id;
            rec.bytes = fs ? fs->bytes : 0;
        } else if (sel) {
            const struct ana_fsum *fs = ana__fsum(a, sel->flow_id);
            pair_ends(a, sel, &rec.sel_local, &rec.sel_remote);
            bool both_local =
                ana__is_local(a, &rec.sel_local.addr) && ana__is_local(a, &rec.sel_remote.addr);
            if (relay_rule(fsum_rule(a, fs)) || turn_server_addr(a, &rec.sel_remote.addr)) {
                s->method = 3; /* our side direct, the remote side through its relay */
                s->sub = DIS_SUB_RELAY_UDP;
                rec.server = rec.sel_remote;
            } else {
                s->method = 2;
                s->sub = both_local ? DIS_SUB_HOST : DIS_SUB_SRFLX;
            }
            rec.proto = sel->proto;
            rec.client = rec.sel_local.addr;
            rec.peer = rec.sel_remote.addr;
            rec.bytes = fs ? fs->bytes : 0;
        }
        rec.has_selected = sel != NULL || s->tls_alloc != NULL;
        rec.method = s->method;
        rec.sub = s->sub;
        if (rec.has_selected) {
            mark_host(a, &rec.client, s->method);
            mark_host(a, &rec.peer, s->method);
        }
        size_t n = unanswered(a, s, u, a->o.max_pairs * 2);
        explain(a, s, u, n, &rec);
        if (ice_verdicts(a, s, u, n) < 0) {
            rc = -1;
            break;
        }
        rc = a->sink.session ? a->sink.session(a->sink.user, &rec) : 0;
        if (rc == 0)
            rc = emit_pairs(a, s);
    }
    free(u);

    for (struct ana_alloc *al = a->allocs; al && rc == 0; al = al->next) {
        struct dis_session_rec rec;
        memset(&rec, 0, sizeof(rec));
        const struct ana_fsum *fs = ana__fsum(a, al->flow_id);
        rec.id = al->id;
        rec.kind = DIS_SESS_TURN;
        rec.has_selected = true;
        rec.proto = al->proto;
        rec.sel_local = al->client;
        rec.sel_remote = al->server;
        rec.client = al->client.addr;
        rec.server = al->server;
        rec.first_ns = fs ? fs->first_ns : al->first_ns;
        rec.last_ns = fs ? fs->last_ns : al->last_ns;
        rec.bytes = fs ? fs->bytes : 0;
        rec.relayed = al->relayed;
        rec.mapped = al->mapped;
        rec.transport = al->proto;
        rec.lifetime_s = al->lifetime;
        rec.permissions = al->permissions;
        rec.channels = al->channels;
        rec.peers = al->peers;
        rec.errors = al->errors;
        rec.last_error = al->last_error;
        enum dis_submethod sub = al->proto == 17 ? DIS_SUB_RELAY_UDP
                                 : fs && fs->tls ? DIS_SUB_RELAY_TLS
                                                 : DIS_SUB_RELAY_TCP;
        bool used = al->carried && ((al->carried->sel && al->carried->sel->alloc == al) ||
                                    al->carried->tls_alloc == al);
        if (al->carried) {
            rec.link_id = al->carried->id;
            if (al->carried->sel)
                rec.peer = al->carried->sel->b.addr;
        }
        char s1[64], s2[64], s3[64];
        if (al->inferred) {
            rec.method = used ? 3 : 0;
            rec.sub = used ? sub : DIS_SUB_NONE;
            snprintf(rec.explanation, sizeof(rec.explanation),
                     "TURN over TLS to %s (%s): the allocation is encrypted; %s",
                     ana__ep_str(&al->server, s1, sizeof(s1)), fs && fs->host[0] ? fs->host : "?",
                     used ? "ICE session relayed through it (method 3): its direct checks got no "
                            "answer while this flow carried traffic both ways"
                          : "no session is known to use it");
            if (used)
                rec.link_id = al->carried->id;
        } else if (used) {
            rec.method = 3;
            rec.sub = sub;
            snprintf(rec.explanation, sizeof(rec.explanation),
                     "TURN allocation over %s at %s: relayed address %s, mapped %s; carries the "
                     "selected pair of ICE session %llu (method 3)",
                     dis_submethod_name(sub) + 6, ana__ep_str(&al->server, s1, sizeof(s1)),
                     ana__ep_str(&al->relayed, s2, sizeof(s2)),
                     ana__ep_str(&al->mapped, s3, sizeof(s3)), (unsigned long long)al->carried->id);
        } else {
            snprintf(rec.explanation, sizeof(rec.explanation),
                     "TURN allocation over %s at %s: %s; %u permission(s), %u channel(s); no "
                     "selected pair runs through it",
                     dis_submethod_name(sub) + 6, ana__ep_str(&al->server, s1, sizeof(s1)),
                     al->success ? "granted" : "not granted", al->permissions, al->channels);
        }
        rc = a->sink.session ? a->sink.session(a->sink.user, &rec) : 0;
    }
    return rc;
}

void ana__ice_free(struct dis_ana *a)
{
    for (struct ana_ice *s = a->ice_list; s;) {
        struct ana_ice *n = s->lnext;
        for (struct ana_pair *p = s->pairs; p;) {
            struct ana_pair *pn = p->next;
            free(p);
            p = pn;
        }
        free(s);
        s = n;
    }
    free(a->ice);
    free(a->pairs_by_flow);
    for (struct ana_alloc *al = a->allocs; al;) {
        struct ana_alloc *n = al->next;
        free(al);
        al = n;
    }
}
