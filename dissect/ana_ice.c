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
 *
 * Costs: an event is O(1) (hash tables keyed by ufrags, by (flow, session) for the pairs);
 * finish is O(n log n) in the flows kept and the sessions (the indexes it needs are built
 * once per call, see struct fin).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ana_int.h"

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

static uint64_t mix(uint64_t id)
{
    id ^= id >> 31;
    id *= 0x9e3779b97f4a7c15ULL;
    return id ^ (id >> 29);
}

/* The key of a pair: its flow, its session, and for a relayed pair its peer. */
static uint64_t pair_hash(uint64_t flow_id, const struct ana_ice *s, bool relayed,
                          const struct dis_ep *peer)
{
    uint64_t h = mix(flow_id) ^ mix(((uint64_t)s->seq << 1) | relayed);
    if (relayed)
        h ^= mix(ana__addr_hash(&peer->addr) + peer->port);
    return h;
}

static void ana_oom(struct dis_ana *a)
{
    snprintf(a->err, sizeof(a->err), "analysis: out of memory");
    a->oom = true;
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
    if (a->ice_n + a->allocs_n >= a->o.max_sessions) {
        a->st.sessions_dropped++;
        return NULL; /* bounded; the checks are still counted on their flows */
    }
    if (a->ice_n >= a->ice_cap / 2) {
        size_t ncap = a->ice_cap ? a->ice_cap * 2 : 256;
        struct ana_ice **nt = calloc(ncap, sizeof(*nt));
        if (!nt) {
            ana_oom(a);
            return NULL;
        }
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
    if (!s) {
        ana_oom(a);
        return NULL;
    }
    snprintf(s->ufrags, sizeof(s->ufrags), "%s", key);
    s->seq = (uint32_t)a->ice_n;
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

static int pairs_grow(struct dis_ana *a)
{
    size_t ncap = a->pairs_cap ? a->pairs_cap * 2 : 1024;
    struct ana_pair **nt = calloc(ncap, sizeof(*nt));
    if (!nt) {
        ana_oom(a);
        return -1;
    }
    for (size_t i = 0; i < a->pairs_cap; i++) {
        struct ana_pair *p = a->pairs[i];
        while (p) {
            struct ana_pair *nx = p->knext;
            size_t b = pair_hash(p->flow_id, p->sess, p->relayed, &p->b) & (ncap - 1);
            p->knext = nt[b];
            nt[b] = p;
            p = nx;
        }
    }
    free(a->pairs);
    a->pairs = nt;
    a->pairs_cap = ncap;
    return 0;
}

/* The pair of session @p s on this flow (relayed: with this peer); created when new. NULL
 * when there is no room (counted) or no memory (a->oom). */
static struct ana_pair *pair_get(struct dis_ana *a, struct ana_ice *s, uint64_t flow_id,
                                 bool relayed, const struct dis_ep *x, const struct dis_ep *y,
                                 uint8_t proto)
{
    if (a->pairs_cap) {
        size_t b = pair_hash(flow_id, s, relayed, y) & (a->pairs_cap - 1);
        for (struct ana_pair *p = a->pairs[b]; p; p = p->knext) {
            if (p->flow_id == flow_id && p->sess == s && p->relayed == relayed &&
                (!relayed || ana__ep_eq(&p->b, y)))
                return p;
        }
    }
    if (s->n_pairs >= a->o.max_pairs || a->pairs_n >= a->o.max_pairs_total) {
        a->st.pairs_dropped++;
        return NULL;
    }
    if (a->pairs_n >= a->pairs_cap / 2 && pairs_grow(a) < 0)
        return NULL;
    struct ana_pair *p = calloc(1, sizeof(*p));
    if (!p) {
        ana_oom(a);
        return NULL;
    }
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
    size_t b = pair_hash(flow_id, s, relayed, y) & (a->pairs_cap - 1);
    p->knext = a->pairs[b];
    a->pairs[b] = p;
    a->pairs_n++;
    return p;
}

static struct ana_tx *tx_find(struct ana_flow *f, const uint8_t *id)
{
    for (unsigned i = 0; f->tx && i < ANA_TXIDS; i++)
        if (f->tx[i].used && memcmp(f->tx[i].id, id, 12) == 0)
            return &f->tx[i];
    return NULL;
}

/* Remembers a request; NULL on out of memory. */
static struct ana_tx *tx_add(struct dis_ana *a, struct ana_flow *f, const struct dis_stun_msg *m,
                             uint64_t ts)
{
    if (!f->tx) {
        f->tx = calloc(ANA_TXIDS, sizeof(*f->tx));
        if (!f->tx) {
            ana_oom(a);
            return NULL;
        }
    }
    struct ana_tx *t = &f->tx[f->tx_next++ % ANA_TXIDS];
    memset(t, 0, sizeof(*t));
    t->used = true;
    memcpy(t->id, m->txid, 12);
    t->method = m->method;
    t->ts_ns = ts;
    return t;
}

static void alloc_link(struct dis_ana *a, struct ana_alloc *al)
{
    if (a->allocs_tail)
        a->allocs_tail->next = al;
    else
        a->allocs = al;
    a->allocs_tail = al;
    a->allocs_n++;
}

static struct ana_alloc *alloc_new(struct dis_ana *a, struct ana_flow *f,
                                   const struct dis_event *ev)
{
    if (a->ice_n + a->allocs_n >= a->o.max_sessions) {
        a->st.sessions_dropped++;
        return NULL;
    }
    struct ana_alloc *al = calloc(1, sizeof(*al));
    if (!al) {
        ana_oom(a);
        return NULL;
    }
    al->flow_id = ev->flow_id;
    al->proto = ev->transport;
    al->client = (struct dis_ep){ev->src, ev->sport};
    al->server = (struct dis_ep){ev->dst, ev->dport};
    al->first_ns = ev->ts_ns;
    alloc_link(a, al);
    f->alloc = al;
    bool created;
    if (!ana__aset_put(a, &a->turn_servers, &al->server.addr, &created))
        return NULL;
    return al;
}

/* A peer transport address seen in the allocation; permissions are per peer IP address
 * (RFC 8656 §9), so a new address counts one. Returns -1 on out of memory. */
static int alloc_peer(struct dis_ana *a, struct ana_alloc *al, const struct dis_ep *peer)
{
    bool new_ip = true;
    for (uint32_t i = 0; i < al->n_peers; i++) {
        if (ana__ep_eq(&al->peer_list[i], peer))
            return 0;
        if (ana__addr_eq(&al->peer_list[i].addr, &peer->addr))
            new_ip = false;
    }
    if (al->n_peers == ANA_ALLOC_PEERS) {
        a->st.peers_dropped++; /* not told apart from the ones seen: not counted */
        return 0;
    }
    if (al->n_peers == al->cap_peers) {
        uint32_t ncap = al->cap_peers ? al->cap_peers * 2 : 4;
        struct dis_ep *np = realloc(al->peer_list, ncap * sizeof(*np));
        if (!np) {
            ana_oom(a);
            return -1;
        }
        al->peer_list = np;
        al->cap_peers = ncap;
    }
    al->peer_list[al->n_peers++] = *peer;
    al->peers++;
    if (new_ip)
        al->permissions++;
    return 0;
}

/* The channel @p num of the allocation, or where it would go (sorted by number). */
static uint32_t chan_pos(const struct ana_alloc *al, uint16_t num)
{
    uint32_t lo = 0, hi = al->n_chan;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (al->chan[mid].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct ana_chan *chan_find(const struct ana_alloc *al, uint16_t num)
{
    uint32_t i = chan_pos(al, num);
    return i < al->n_chan && al->chan[i].num == num ? &al->chan[i] : NULL;
}

/* A ChannelBind request for channel @p num to @p peer. A channel is bound once: the same
 * request again refreshes it (RFC 8656 §12: every 10 minutes at least), and a server refuses
 * to bind a bound number to another peer; so channels counts distinct numbers. */
static int alloc_channel(struct dis_ana *a, struct ana_alloc *al, uint16_t num,
                         const struct dis_ep *peer)
{
    uint32_t i = chan_pos(al, num);
    if (i < al->n_chan && al->chan[i].num == num)
        return 0;
    if (al->n_chan == ANA_ALLOC_CHANNELS) {
        a->st.peers_dropped++;
        return 0;
    }
    if (al->n_chan == al->cap_chan) {
        uint32_t ncap = al->cap_chan ? al->cap_chan * 2 : 4;
        struct ana_chan *nc = realloc(al->chan, ncap * sizeof(*nc));
        if (!nc) {
            ana_oom(a);
            return -1;
        }
        al->chan = nc;
        al->cap_chan = ncap;
    }
    memmove(&al->chan[i + 1], &al->chan[i], (al->n_chan - i) * sizeof(*al->chan));
    al->chan[i].num = num;
    al->chan[i].peer = *peer;
    al->n_chan++;
    al->channels++;
    return 0;
}

static void learn_nat(struct dis_ana *a, const struct dis_addr *x)
{
    if (ana__is_local(a, x) || ana__aset_find(&a->nat, x))
        return;
    if (a->nat.n >= ANA_NAT_MAX) {
        a->st.nat_dropped++;
        return;
    }
    bool created;
    ana__aset_put(a, &a->nat, x, &created);
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

static int stun_request(struct dis_ana *a, struct ana_flow *f, const struct dis_event *ev,
                        struct ana_alloc *al)
{
    const struct dis_stun_msg *m = ev->u.stun;
    if (m->method == DIS_STUN_ALLOCATE && !ev->inner && !al) {
        al = alloc_new(a, f, ev);
        if (a->oom)
            return -1;
    }
    struct ana_tx *t = tx_add(a, f, m, ev->ts_ns);
    if (!t)
        return -1;
    if (!al || ev->inner)
        return 0;
    if (m->method != DIS_STUN_CREATEPERMISSION && m->method != DIS_STUN_CHANNELBIND)
        return 0;
    for (unsigned i = 0; i < m->n_peer; i++) {
        struct dis_ep pe = {m->peer[i].addr, m->peer[i].port};
        if (ana__is_local(a, &pe.addr))
            t->peer_local = true;
        /* ChannelBind installs a permission too (RFC 8656 §12). */
        if (alloc_peer(a, al, &pe) < 0)
            return -1;
    }
    if (m->method == DIS_STUN_CHANNELBIND && m->has_channel_number && m->n_peer) {
        struct dis_ep pe = {m->peer[0].addr, m->peer[0].port};
        return alloc_channel(a, al, m->channel_number, &pe);
    }
    return 0;
}

/* A TURN REST credential (draft-uberti-behave-turn-rest-00 §2.2): "expiry:user", the expiry a
 * UNIX time. ICE ufrags are random ice-chars, 4 to 8 of them in the agents seen (libwebrtc,
 * Firefox, Pion): never nine digits. */
static bool rest_username(const struct dis_stun_msg *m)
{
    const char *c = memchr(m->username, ':', m->username_len);
    size_t n = c ? (size_t)(c - m->username) : 0;
    if (n < 9)
        return false;
    for (size_t i = 0; i < n; i++)
        if (m->username[i] < '0' || m->username[i] > '9')
            return false;
    return true;
}

/*
 * An ICE connectivity check (RFC 8445 §7.2.2) is a Binding request whose USERNAME is
 * "ufragA:ufragB". Not one:
 *  - TURN requests (Allocate, Refresh, CreatePermission, ChannelBind) and indications, whatever
 *    their USERNAME: with TURN REST credentials it has a ':' too;
 *  - a Binding with a REST credential to a STUN/TURN port (3478, 5349, or an address that was
 *    sent an Allocate), or without the PRIORITY every check carries (§7.1.1).
 * A Binding with ICE's attributes to a server's 3478 is a check: ICE-lite media servers listen
 * there (Meta's "EDGERAY" relays take Allocates and checks on one 5-tuple).
 * GOOG-PING (libwebrtc, method 0x080, no USERNAME) stands for a Binding check on a pair that
 * earlier checks made: a check when the flow has one.
 */
enum ana_check ana__ice_check(const struct dis_ana *a, const struct ana_flow *f,
                              const struct dis_event *ev)
{
    const struct dis_stun_msg *m = ev->u.stun;
    if (m->classic || m->txid_len != 12 || m->cls != DIS_STUN_REQUEST)
        return ANA_NOT_CHECK;
    if (m->method == DIS_STUN_GOOG_PING)
        return (ev->inner ? f->last_rpair : f->last_pair) ? ANA_CHECK_PING : ANA_NOT_CHECK;
    if (m->method != DIS_STUN_BINDING || !m->has_username ||
        !memchr(m->username, ':', m->username_len))
        return ANA_NOT_CHECK;
    if (!ev->inner) {
        bool server_port = ev->dport == 3478 || ev->dport == 5349 ||
                           ana__aset_find(&a->turn_servers, &ev->dst) != NULL;
        if (rest_username(m) && (server_port || !m->has_priority))
            return ANA_NOT_CHECK;
    }
    return ANA_CHECK;
}

/* One more request on pair @p p (a check or a GOOG-PING); its response is matched by txid. */
static int pair_request(struct dis_ana *a, struct ana_flow *f, const struct dis_event *ev,
                        struct ana_pair *p, const struct ana_alloc *al)
{
    const struct dis_stun_msg *m = ev->u.stun;
    struct dis_ep src = {ev->src, ev->sport};
    p->requests++;
    bool from_a = ev->inner ? ana__ep_eq(&src, &al->client) : ana__ep_eq(&src, &p->a);
    if (from_a)
        p->req_from_a++;
    else
        p->req_from_b++;
    if (p->first_ns == 0)
        p->first_ns = ev->ts_ns;
    p->last_ns = ev->ts_ns;
    if (p->sess->last_ns < ev->ts_ns)
        p->sess->last_ns = ev->ts_ns;
    struct ana_tx *t = tx_add(a, f, m, ev->ts_ns);
    if (!t)
        return -1;
    t->pair = p;
    t->use_candidate = m->use_candidate;
    if (ev->inner)
        f->last_rpair = p;
    else
        f->last_pair = p;
    return 0;
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
            const struct ana_chan *c = chan_find(al, ev->channel);
            if (c)
                peer = c->peer;
        } else {
            peer = f->ind_peer;
        }
    }

    enum ana_check kind = ana__ice_check(a, f, ev);
    if (kind == ANA_CHECK_PING) {
        /* GOOG-PING: the flow's pair (relayed: the one with this peer). */
        struct ana_pair *p = ev->inner ? f->last_rpair : f->last_pair;
        if (ev->inner && (!al || !ana__ep_eq(&p->b, &peer)))
            return 0;
        return pair_request(a, f, ev, p, al);
    }
    if (kind == ANA_CHECK) {
        char key[DIS_UFRAGS_LEN];
        ufrag_key(m, key);
        struct ana_ice *s = ice_get(a, key);
        if (!s)
            return a->oom ? -1 : 0;
        if (s->first_ns == 0)
            s->first_ns = ev->ts_ns;
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
        if (!p) {
            s->last_ns = ev->ts_ns;
            return a->oom ? -1 : 0;
        }
        return pair_request(a, f, ev, p, al);
    }

    if (m->cls == DIS_STUN_REQUEST)
        return stun_request(a, f, ev, al);
    if (m->cls == DIS_STUN_INDICATION) {
        if (!ev->inner && al && (m->method == DIS_STUN_SEND || m->method == DIS_STUN_DATA) &&
            m->n_peer) {
            f->ind_peer = (struct dis_ep){m->peer[0].addr, m->peer[0].port};
            al->relayed_msgs++;
            return alloc_peer(a, al, &f->ind_peer);
        }
        return 0;
    }

    /* A response: success or error. */
    /* A local client's public address, from a response that crossed its NAT (not from a
     * relayed one: inside an allocation XOR-MAPPED-ADDRESS is the relayed address). */
    if (m->cls == DIS_STUN_SUCCESS && !ev->inner && m->n_xor_mapped &&
        ana__is_local(a, &dst.addr) && !ana__is_local(a, &src.addr)) {
        learn_nat(a, &m->xor_mapped[0].addr);
        if (a->oom)
            return -1;
    }
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

/*
 * What finish looks up again and again, built once per call from the flows kept so far (the
 * scans it replaces were sessions x flows):
 *  - orig: the addresses that started a kept flow (a private address that did is a host of
 *    this network, not another site's candidate);
 *  - stun_cli: per client, its STUN requests to the profile's servers that got no answer;
 *  - tls_cand: the TLS flows to a TURN server's name with traffic both ways (TURN over TLS
 *    candidates), sorted by client address;
 *  - turn_srv: the TURN servers' addresses (allocations, seen or inferred);
 *  - agg: per kept flow, its udp_no_answer verdict gathered over the sessions whose checks it
 *    carried (one verdict per flow).
 */
struct stun_un {
    uint32_t n;
    struct dis_ep to;
};

struct ice_agg {
    size_t fs;  /* index of the flow in a->fsums */
    uint32_t n; /* unanswered checks */
    uint32_t sessions;
    uint64_t first_ns, last_ns, session_id;
    struct dis_ep remote;
    int kind;
};

/* A TURN-over-TLS candidate flow: its client and its index in a->fsums. */
struct tls_cand {
    struct dis_addr client;
    size_t i;
};

struct fin {
    struct ana_aset orig;
    struct ana_aset stun_cli; /* client -> index in stun_un */
    struct stun_un *stun_un;
    size_t n_stun_un;
    struct tls_cand *tls_cand; /* sorted by client, then flow order */
    size_t n_tls_cand;
    bool turn_rule[DIS_PROFILE_MAX_RULES];
    struct ana_aset turn_srv;
    uint32_t *agg_of; /* per kept flow: index + 1 in agg, 0 none */
    struct ice_agg *agg;
    size_t n_agg;
};

static void fin_free(struct fin *x)
{
    ana__aset_free(&x->orig);
    ana__aset_free(&x->stun_cli);
    free(x->stun_un);
    free(x->tls_cand);
    ana__aset_free(&x->turn_srv);
    free(x->agg_of);
    free(x->agg);
}

static bool nat_addr(const struct dis_ana *a, const struct dis_addr *x)
{
    return ana__aset_find(&a->nat, x) != NULL;
}

static bool turn_server_addr(const struct fin *x, const struct dis_addr *addr)
{
    return ana__aset_find(&x->turn_srv, addr) != NULL;
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

static int cmp_cand(const void *x, const void *y)
{
    const struct tls_cand *p = x, *q = y;
    int c = dis_addr_cmp(&p->client, &q->client);
    return c ? c : (p->i > q->i) - (p->i < q->i);
}

static int fin_build(struct dis_ana *a, struct fin *x)
{
    const struct ana_fsum *fs = a->fsums.p;
    size_t n = a->fsums.n;
    memset(x, 0, sizeof(*x));
    size_t nr = dis_profile_rule_count(a->prof);
    for (size_t i = 0; i < nr && i < DIS_PROFILE_MAX_RULES; i++)
        x->turn_rule[i] = turn_server_rule(a, (int)i);
    x->stun_un = calloc(n ? n : 1, sizeof(*x->stun_un));
    x->tls_cand = calloc(n ? n : 1, sizeof(*x->tls_cand));
    x->agg_of = calloc(n ? n : 1, sizeof(*x->agg_of));
    x->agg = calloc(n ? n : 1, sizeof(*x->agg));
    if (!x->stun_un || !x->tls_cand || !x->agg_of || !x->agg) {
        ana_oom(a);
        return -1;
    }
    bool created;
    for (size_t i = 0; i < n; i++) {
        const struct ana_fsum *s = &fs[i];
        if (!ana__aset_put(a, &x->orig, &s->orig.addr, &created) && a->oom)
            return -1;
        const struct dis_profile_rule *r = fsum_rule(a, s);
        if (s->proto == 17 && s->stun && !s->ice && s->pkts[1] == 0 && r &&
            r->traffic == DIS_TRAFFIC_ANY) {
            struct ana_aslot *sl = ana__aset_put(a, &x->stun_cli, &s->orig.addr, &created);
            if (!sl)
                return -1;
            if (created)
                sl->val = (uint32_t)x->n_stun_un++;
            x->stun_un[sl->val].n += (uint32_t)s->pkts[0];
            x->stun_un[sl->val].to = s->resp; /* the last in flow order */
        }
        if (s->proto == 6 && s->tls && s->pkts[0] >= 4 && s->pkts[1] >= 4 && s->rule >= 0 &&
            s->rule < DIS_PROFILE_MAX_RULES && x->turn_rule[s->rule])
            x->tls_cand[x->n_tls_cand++] = (struct tls_cand){s->orig.addr, i};
    }
    qsort(x->tls_cand, x->n_tls_cand, sizeof(*x->tls_cand), cmp_cand);
    return 0;
}

/* After infer_tls_relay made its allocations: where the TURN servers are. */
static int fin_turn_servers(struct dis_ana *a, struct fin *x)
{
    bool created;
    for (const struct ana_alloc *al = a->allocs; al; al = al->next)
        if (!ana__aset_put(a, &x->turn_srv, &al->server.addr, &created) && a->oom)
            return -1;
    return 0;
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

/* In a private range (RFC 1918, RFC 6598, RFC 4193, link-local, loopback), so behind a NAT to
 * reach the internet; a school's global IPv6 (or public IPv4) address set as local is not. */
static bool private_addr(const struct dis_addr *x)
{
    const uint8_t *b = x->b;
    if (x->family == 4)
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
               (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 169 && b[1] == 254) || b[0] == 127;
    if (x->family == 6) {
        static const uint8_t loop[16] = {[15] = 1};
        return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
               memcmp(b, loop, 16) == 0;
    }
    return false;
}

enum unans_kind { UN_PRIVATE, UN_HAIRPIN, UN_RELAY, UN_PUBLIC };

struct unans {
    const struct ana_pair *p;
    struct dis_ep local, remote;
    enum unans_kind kind;
    uint32_t n;
    const struct ana_fsum *fs;
};

static size_t unanswered(const struct dis_ana *a, const struct fin *x, const struct ana_ice *s,
                         struct unans *out, size_t max)
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
        else if (relay_rule(rule) || (turn_server_addr(x, &r.addr) && r.port >= 49152))
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
        /* A private destination that never answered and that the capture never saw start a
         * flow: another site's host candidate. A LAN host that did not answer is not. */
        if (!(fs && fs->pkts[1] == 0 && fs->resp_orig + fs->resp_resp == 0))
            continue;
        if (ana__aset_find(&x->orig, &r.addr))
            continue;
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

/* STUN requests from @p client to the TURN/STUN servers that got no answer (UDP 3478
 * blocked): the reason a relayed session uses TCP or TLS. */
static uint32_t stun_unanswered_from(const struct fin *x, const struct dis_addr *client,
                                     struct dis_ep *to)
{
    const struct ana_aslot *sl = ana__aset_find(&x->stun_cli, client);
    if (!sl)
        return 0;
    *to = x->stun_un[sl->val].to;
    return x->stun_un[sl->val].n;
}

/* Gathers the session's unanswered checks that make a verdict into one per flow (many
 * sessions, ICE restarts for instance, can send checks over one flow). */
static void ice_verdicts(struct dis_ana *a, struct fin *x, const struct ana_ice *s,
                         const struct unans *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (u[i].kind == UN_PRIVATE || u[i].kind == UN_HAIRPIN)
            continue;
        if (u[i].kind == UN_PUBLIC && s->method == 2)
            continue; /* the session found a direct path: hole punching works */
        if (!fsum_rule(a, u[i].fs))
            continue;
        size_t k = (size_t)(u[i].fs - (const struct ana_fsum *)a->fsums.p);
        struct ice_agg *g;
        if (x->agg_of[k]) {
            g = &x->agg[x->agg_of[k] - 1];
        } else {
            g = &x->agg[x->n_agg++];
            x->agg_of[k] = (uint32_t)x->n_agg;
            g->fs = k;
            g->first_ns = u[i].p->first_ns;
            g->session_id = s->id;
            g->remote = u[i].remote;
            g->kind = (int)u[i].kind;
        }
        g->n += u[i].n;
        g->sessions++;
        if (u[i].p->first_ns < g->first_ns)
            g->first_ns = u[i].p->first_ns;
        if (u[i].p->last_ns > g->last_ns)
            g->last_ns = u[i].p->last_ns;
    }
}

/* One udp_no_answer per flow of unanswered checks, in the order the sessions met them. */
static int ice_verdicts_emit(struct dis_ana *a, const struct fin *x)
{
    const struct ana_fsum *fss = a->fsums.p;
    for (size_t i = 0; i < x->n_agg; i++) {
        const struct ice_agg *g = &x->agg[i];
        const struct ana_fsum *fs = &fss[g->fs];
        /* As for requests to a server (ana.c pending_verdicts): in flight until the capture
         * went on for the wait after the first check. */
        uint64_t waited = a->now_ns > g->first_ns ? (a->now_ns - g->first_ns) / 1000000u : 0;
        if (waited < a->o.udp_wait_ms)
            continue;
        char ev[512], r[64];
        snprintf(ev, sizeof(ev), "%u ICE check(s) to %s (%s) over %.1f s, none answered", g->n,
                 ana__ep_str(&g->remote, r, sizeof(r)), unans_what((enum unans_kind)g->kind),
                 (double)(g->last_ns - g->first_ns) / 1e9);
        if (g->sessions > 1)
            ana__cat(ev, sizeof(ev), " (%u ICE sessions)", g->sessions);
        if (ana__verdict(a, DIS_VK_BLOCKED, "udp_no_answer",
                         g->n >= a->o.min_retries ? DIS_CONF_CONFIRMED : DIS_CONF_SUSPECTED,
                         fs->rule, 17, &fs->orig, &fs->resp, fs->host, g->first_ns, fs->flow_id,
                         g->session_id, ev) < 0)
            return -1;
    }
    return 0;
}

static void explain(struct dis_ana *a, const struct fin *x, struct ana_ice *s,
                    const struct unans *u, size_t n, struct dis_session_rec *rec)
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
        ana__cat(ex, len, "method 3 over tls/%u via the TURN server %s", s->tls_alloc->server.port,
                 ana__ep_str(&s->tls_alloc->server, l, sizeof(l)));
        if (fs && fs->host[0])
            ana__cat(ex, len, " (%s)", fs->host);
        ana__cat(ex, len, "; none of the %u direct checks was answered", total);
    } else if (!sel) {
        ana__cat(ex, len, "no pair succeeded: %u checks, %u answered", total, answered);
    } else if (s->method == 3 && sel->relayed) {
        const struct ana_alloc *al = sel->alloc;
        const char *tr = rec->sub == DIS_SUB_RELAY_TLS   ? "tls"
                         : rec->sub == DIS_SUB_RELAY_TCP ? "tcp"
                                                         : "udp";
        ana__cat(ex, len, "method 3 over %s/%u via the TURN server %s", tr, al->server.port,
                 ana__ep_str(&al->server, l, sizeof(l)));
        const struct ana_fsum *fs = ana__fsum(a, al->flow_id);
        if (fs && fs->host[0])
            ana__cat(ex, len, " (%s)", fs->host);
    } else if (s->method == 3) {
        pair_ends(a, sel, &rec->sel_local, &rec->sel_remote);
        ana__cat(ex, len, "method 3 over udp: %s to the remote's TURN relay %s",
                 ana__ep_str(&rec->sel_local, l, sizeof(l)),
                 ana__ep_str(&rec->sel_remote, r, sizeof(r)));
    } else {
        ana__cat(
            ex, len, "method 2 (%s): %s <-> %s, %u of %u checks answered%s",
            rec->sub == DIS_SUB_HOST             ? "host, on the local network"
            : private_addr(&rec->sel_local.addr) ? "srflx, across NAT"
                                                 : "srflx, across the site's edge without NAT: the "
                                                   "local address is public",
            ana__ep_str(&rec->sel_local, l, sizeof(l)), ana__ep_str(&rec->sel_remote, r, sizeof(r)),
            sel->successes, sel->requests, sel->nominated ? ", nominated" : "");
    }
    bool need_relay = false, need_hole = false;
    for (size_t i = 0; i < n; i++) {
        ana__cat(ex, len, "; %u check(s) to %s unanswered over %.1f s (%s)", u[i].n,
                 ana__ep_str(&u[i].remote, r, sizeof(r)),
                 (double)(u[i].p->last_ns - u[i].p->first_ns) / 1e9, unans_what(u[i].kind));
        if (u[i].kind == UN_RELAY)
            need_relay = true;
        if (u[i].kind == UN_PUBLIC)
            need_hole = true;
    }
    if (s->method == 3 && rec->sub != DIS_SUB_RELAY_UDP) {
        struct dis_ep to = {0};
        uint32_t k = stun_unanswered_from(x, &rec->sel_local.addr, &to);
        if (k) {
            ana__cat(ex, len, "; %u STUN request(s) to %s unanswered (UDP blocked)", k,
                     ana__ep_str(&to, r, sizeof(r)));
            need_relay = true;
        }
    }
    if (s->method == 3 && (need_relay || need_hole)) {
        ana__cat(ex, len, " -> allow outbound UDP");
        if (need_relay)
            ana__cat(ex, len, " to 3478 and 49152-65535 at the TURN servers (rules sturn, relay)");
        if (need_hole)
            ana__cat(ex, len, "%s to any port (rule holepunch)", need_relay ? " and" : "");
    } else if (s->method == 3) {
        ana__cat(ex, len,
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
    if (h && method)
        h->methods |= (uint8_t)(1u << method);
}

/* Who had an ICE session with whom: host, then peer. */
struct edge {
    struct dis_addr host, peer;
};

static int cmp_edge(const void *x, const void *y)
{
    const struct edge *p = x, *q = y;
    int c = dis_addr_cmp(&p->host, &q->host);
    return c ? c : dis_addr_cmp(&p->peer, &q->peer);
}

/* Each host's number of distinct ICE peers (the console's role: it talks to many hosts; a
 * client that restarts ICE with its console many times still has one peer). Sessions whose
 * peer is not known (TURN over TLS, encrypted) count none. */
static void count_peers(struct dis_ana *a, struct edge *e, size_t n)
{
    qsort(e, n, sizeof(*e), cmp_edge);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && cmp_edge(&e[i - 1], &e[i]) == 0)
            continue;
        struct ana_host *h = ana__host(a, &e[i].host, false);
        if (h)
            h->peers++;
    }
}

/* The first kept TURN-over-TLS candidate flow of @p client (index in x->tls_cand), or
 * x->n_tls_cand when it has none. */
static size_t tls_cand_first(const struct fin *x, const struct dis_addr *client)
{
    size_t lo = 0, hi = x->n_tls_cand;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dis_addr_cmp(&x->tls_cand[mid].client, client) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * TURN over TLS is encrypted: no Allocate, no ChannelData to see. When none of a session's
 * direct checks worked, a TLS flow from the same client to a TURN server's name that runs
 * while the session does, with traffic both ways, is the relay it fell back to.
 */
static struct ana_alloc *infer_tls_relay(struct dis_ana *a, const struct fin *x,
                                         const struct ana_ice *s)
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
    struct ana_fsum *fs = a->fsums.p, *best = NULL;
    uint64_t slack = 5000000000ULL; /* the relay may outlive the checks by the media's length */
    for (size_t i = tls_cand_first(x, &client); i < x->n_tls_cand; i++) {
        if (!ana__addr_eq(&x->tls_cand[i].client, &client))
            break;
        struct ana_fsum *f = &fs[x->tls_cand[i].i];
        if (f->first_ns > s->last_ns + slack || f->last_ns + slack < s->first_ns)
            continue;
        if (!best || f->bytes > best->bytes)
            best = f;
    }
    if (!best)
        return NULL;
    if (best->alloc)
        return best->alloc; /* another session already took it */
    struct ana_alloc *al = calloc(1, sizeof(*al));
    if (!al) {
        ana_oom(a);
        return NULL;
    }
    al->flow_id = best->flow_id;
    al->proto = 6;
    al->client = best->orig;
    al->server = best->resp;
    al->first_ns = best->first_ns;
    al->last_ns = best->last_ns;
    al->inferred = true;
    al->success = true;
    alloc_link(a, al);
    best->alloc = al;
    return al;
}

static int ice_sessions(struct dis_ana *a, struct fin *x)
{
    struct unans *u = calloc(a->o.max_pairs * 2 + 1, sizeof(*u));
    struct edge *e = calloc(2 * a->ice_n + 1, sizeof(*e));
    size_t n_e = 0;
    if (!u || !e) {
        free(u);
        free(e);
        ana_oom(a);
        return -1;
    }
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
            if (relay_rule(fsum_rule(a, fs)) || turn_server_addr(x, &rec.sel_remote.addr)) {
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
            if (rec.client.family && rec.peer.family) {
                e[n_e++] = (struct edge){rec.client, rec.peer};
                e[n_e++] = (struct edge){rec.peer, rec.client};
            }
        }
        size_t n = unanswered(a, x, s, u, a->o.max_pairs * 2);
        explain(a, x, s, u, n, &rec);
        ice_verdicts(a, x, s, u, n);
        rc = a->sink.session ? a->sink.session(a->sink.user, &rec) : 0;
        if (rc == 0)
            rc = emit_pairs(a, s);
    }
    count_peers(a, e, n_e);
    free(u);
    free(e);
    return rc;
}

static int turn_sessions(struct dis_ana *a)
{
    int rc = 0;
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

int ana__ice_finish(struct dis_ana *a)
{
    struct fin x;
    int rc = fin_build(a, &x);
    for (struct ana_ice *s = a->ice_list; s && rc == 0; s = s->lnext) {
        s->sel = select_pair(a, s);
        s->tls_alloc = NULL;
        if (!s->sel) {
            s->tls_alloc = infer_tls_relay(a, &x, s);
            if (s->tls_alloc)
                s->tls_alloc->carried = s;
            else if (a->oom)
                rc = -1;
        }
    }
    if (rc == 0)
        rc = fin_turn_servers(a, &x);
    /* Ids first: sessions and allocations refer to each other. */
    for (struct ana_ice *s = a->ice_list; s; s = s->lnext)
        s->id = ++a->next_session_id;
    for (struct ana_alloc *al = a->allocs; al; al = al->next)
        al->id = ++a->next_session_id;
    if (rc == 0)
        rc = ice_sessions(a, &x);
    if (rc == 0)
        rc = ice_verdicts_emit(a, &x);
    if (rc == 0)
        rc = turn_sessions(a);
    fin_free(&x);
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
    free(a->pairs);
    for (struct ana_alloc *al = a->allocs; al;) {
        struct ana_alloc *n = al->next;
        free(al->chan);
        free(al->peer_list);
        free(al);
        al = n;
    }
}
