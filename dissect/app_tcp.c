/* SPDX-License-Identifier: MIT */
/*
 * app_tcp.c - application dissection of TCP streams, chosen by content, not by port: TLS
 * (RFC 8446, RFC 5246) summarised per flow (hellos, JA3/JA3S/JA4, the server's certificate
 * chain and its verdict, alerts, progress), HTTP CONNECT through an explicit proxy (RFC 9110
 * §9.3.6) and SOCKS (RFC 1928 SOCKS5 with RFC 1929 username/password, SOCKS4/4a) with the TLS
 * of their tunnels, TLS after a STARTTLS-like upgrade of a line-based protocol (SMTP RFC 3207,
 * IMAP/POP3 RFC 2595, FTP RFC 4217, IRC, XMPP RFC 6120 §5), STUN/TURN over TCP (RFC 8489 §6.2.2,
 * RFC 6062; ChannelData padded to 4 bytes, RFC 8656 §12.5; RFC 4571 framing of ICE-TCP, RFC 6544)
 * and DNS over TCP (RFC 1035 §4.2.2, RFC 7766).
 *
 * The kind of a stream is decided from its first bytes: the initiator's, or the responder's
 * when it speaks first. A stream that is none of these is given up at its first segment.
 *
 * Memory. Nothing is allocated for a flow until a payload needs it: a stream recognised from
 * its first in-order segment, or one whose start is still missing. Then one small state per
 * flow, and per direction one reassembler with its buffer of dis_engine_opts.tcp_reasm_cap
 * bytes, allocated at that direction's first payload and freed as soon as the direction has
 * nothing more to say to us (TLS: established and its first application data seen; a parse
 * error; FIN or RST; the cap reached). A line-based stream that may still upgrade to TLS is
 * watched for its first PLAIN_MAX bytes per direction and PLAIN_LINES initiator lines only, and
 * dropped as soon as its initiator ends without asking for STARTTLS. STUN and DNS streams are read
 * to their end: their reassembler is moved along the stream (re-based onto the same buffer)
 * whenever everything held has been read. A TLS flow adds its collector and summary, whose strings
 * take one exact-size allocation per hello; certificates are shared through the engine's cache
 * (cert_cache.c). The state lives until the flow leaves the table (app_tcp_end()), for the
 * summary and the attribution of the flow's host name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "cert_cache_int.h"
#include "dissect/http_connect.h"
#include "dissect/rd.h"
#include "dissect/socks.h"
#include "dissect/tcp_reasm.h"
#include "dissect/tls.h"

/* Bytes the kind may stay undecided while every probe still wants more. */
#define PROBE_MAX 512
/* Smallest reassembly buffer: a few STUN messages or a short DNS exchange. */
#define REASM_MIN_CAP 256
/* Responses parsed per call on a CONNECT stream (1xx, the final one, a body, the next). */
#define HTTP_STEPS 8
/* A line-based stream is watched for a STARTTLS upgrade in its first bytes of each direction
 * only, and for so many initiator lines (the upgrade comes right after the greeting). */
#define PLAIN_MAX 8192u
#define PLAIN_LINES 32u

enum app_kind {
    K_UNDECIDED = 0,
    K_TLS,       /* TLS from the first byte */
    K_CONNECT,   /* HTTP CONNECT; its tunnel is TLS */
    K_STUN,      /* STUN/TURN, ChannelData, MS-TURN frames */
    K_STUN4571,  /* RFC 4571 framing (ICE-TCP) */
    K_DNS,       /* 2-byte length + DNS message */
    K_SOCKS,     /* SOCKS5 or SOCKS4(a); its tunnel is TLS */
    K_PLAIN,     /* a line-based protocol that may upgrade to TLS (STARTTLS) */
    K_NONE,      /* none of these: given up */
    K_NEED_MORE, /* probe result only: too few bytes to tell */
};

enum http_state { H_REQ = 0, H_RESP, H_BODY, H_TUNNEL, H_DONE };

/* SOCKS steps of each side (socks.c): its first message, the next ones, the tunnel. */
enum socks_step { SK_FIRST = 0, SK_MORE, SK_TUNNEL };

/* A SOCKS exchange: the client's request (target) and the proxy's answer. */
struct app_socks {
    struct dis_socks_msg req;
    uint8_t version; /* 4 or 5, from the client's first message */
    uint8_t cstep, sstep;
    uint8_t rep; /* the reply code (SOCKS5 REP, SOCKS4 CD) */
};

/* A TLS connection's collector and what it told so far. */
struct app_tls {
    struct dis_tls_conn conn;
    uint64_t first_ns;       /* when the flow became TLS */
    uint64_t appdata_ns[2];  /* first application_data record per flow direction */
    int8_t alert_dir;        /* flow direction of sum.alert */
    char *ch_strs, *sh_strs; /* the summary's strings of each hello (one allocation each) */
    struct cert_entry *ents[DIS_TLS_MAX_CERTS]; /* held references; sum.certs point into them */
    struct dis_tls_summary sum;
};

/* One direction's reassembler and its buffer, allocated together. */
struct app_dir {
    struct dis_tcp_reasm rs;
    uint8_t buf[];
};

struct app_tcp {
    struct app_dir *dir[2]; /* per flow direction (DIS_DIR_*), while it is read */
    uint32_t cap;
    bool done[2];     /* nothing more is read from direction d */
    bool finished;    /* nothing more is read at all; buffers and collector freed */
    bool midstream;   /* a direction started without its SYN */
    uint8_t kind;     /* enum app_kind */
    uint8_t http;     /* enum http_state */
    bool has_connect; /* req holds a parsed CONNECT request */
    uint16_t connect_first_status;
    uint64_t body_left; /* bytes of a refusal's body still to skip */
    struct dis_http_connect_req *req;
    struct app_socks *socks;
    uint8_t step;   /* bumped by every SOCKS or STARTTLS step, for pump() */
    bool armed;     /* K_PLAIN: the initiator asked for STARTTLS (or the like) */
    uint16_t lines; /* K_PLAIN: initiator lines read */
    bool tls_on[2]; /* K_PLAIN: direction d is TLS from its read position on */
    struct app_tls *tls;
};

/* ---- state ---- */

static void dir_free(struct app_ctx *a, struct app_tcp *s, int d)
{
    if (!s->dir[d])
        return;
    free(s->dir[d]);
    s->dir[d] = NULL;
    a->st->tcp_reasm_bytes -= s->cap;
}

static void tls_free(struct app_tls *t)
{
    if (!t)
        return;
    dis_tls_conn_free(&t->conn);
    for (size_t i = 0; i < DIS_TLS_MAX_CERTS; i++)
        cert_cache_put(t->ents[i]);
    free(t->ch_strs);
    free(t->sh_strs);
    free(t);
}

static void state_free(struct app_ctx *a)
{
    struct app_tcp *s = a->f->app;
    if (!s)
        return;
    dir_free(a, s, 0);
    dir_free(a, s, 1);
    tls_free(s->tls);
    free(s->req);
    free(s->socks);
    free(s);
    a->f->app = NULL;
    a->st->tcp_app_active--;
}

/* Gives the stream up: no state is kept, and no later segment is looked at. */
static void give_up(struct app_ctx *a)
{
    state_free(a);
    a->f->app_tcp_off = true;
}

static struct app_tcp *state_new(struct app_ctx *a)
{
    struct app_tcp *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cap = a->reasm_cap ? a->reasm_cap : 32768u;
    if (s->cap < REASM_MIN_CAP)
        s->cap = REASM_MIN_CAP;
    if (s->cap > DIS_TCP_REASM_MAX_CAP)
        s->cap = DIS_TCP_REASM_MAX_CAP;
    a->f->app = s;
    a->st->tcp_app_states++;
    a->st->tcp_app_active++;
    return s;
}

/* Starts reassembling direction @p d at its first payload; offset 0 follows its SYN if seen. */
static int dir_start(struct app_ctx *a, struct app_tcp *s, int d)
{
    struct app_dir *r = malloc(sizeof *r + s->cap);
    if (!r)
        return -1;
    dis_tcp_reasm_init(&r->rs, r->buf, s->cap, 0);
    if (a->f->syn_seen[d])
        (void)dis_tcp_reasm_segment(&r->rs, a->f->isn[d], DIS_TH_SYN, NULL, 0);
    else
        s->midstream = true;
    s->dir[d] = r;
    a->st->tcp_reasm_bytes += s->cap;
    if (a->st->tcp_reasm_bytes > a->st->tcp_reasm_bytes_max)
        a->st->tcp_reasm_bytes_max = a->st->tcp_reasm_bytes;
    return 0;
}

/*
 * Streams read to their end (STUN, DNS): once every byte held has been read, restart the
 * reassembler at the read position on the same buffer, so that it never reaches its cap.
 * Only when nothing is pending: no out-of-order range, no gap, no end of stream.
 */
static void maybe_rebase(struct app_tcp *s, int d)
{
    struct dis_tcp_reasm *r = &s->dir[d]->rs;
    const uint32_t stop = DIS_TCP_REASM_F_FIN | DIS_TCP_REASM_F_RST | DIS_TCP_REASM_F_STOPPED |
                          DIS_TCP_REASM_F_CAPPED | DIS_TCP_REASM_F_NOMEM;
    if (r->read < s->cap / 2 || r->read != r->contig || r->nranges != 0 || r->ngaps != 0 ||
        (r->flags & stop))
        return;
    uint32_t next = r->base + r->read;
    dis_tcp_reasm_init(r, s->dir[d]->buf, s->cap, 0);
    /* a SYN at next - 1 puts stream offset 0 at next */
    (void)dis_tcp_reasm_segment(r, next - 1u, DIS_TH_SYN, NULL, 0);
}

/* ---- deciding the kind ---- */

/* DNS over TCP: a 2-byte length of at least a header, then something dis_dns_probe likes. */
static enum dis_status probe_dns(const uint8_t *p, size_t n)
{
    struct rd r;
    rd_init(&r, p, n);
    uint16_t len = rd_be16(&r);
    if (!rd_ok(&r))
        return DIS_NEED_MORE;
    if (len < 12)
        return DIS_NOT_MINE;
    size_t have = rd_left(&r) < len ? rd_left(&r) : len;
    enum dis_status s = dis_dns_probe(rd_ptr(&r), have, len);
    if (s == DIS_TRUNCATED && have < len)
        return DIS_NEED_MORE;
    return s == DIS_OK ? DIS_OK : DIS_NOT_MINE;
}

/* Whether the bytes start with @p word, ASCII case-insensitively: DIS_OK, DIS_NEED_MORE when
 * they are a shorter prefix of it, else DIS_NOT_MINE. */
static enum dis_status text_prefix(struct rd r, const char *word)
{
    size_t len = strlen(word);
    for (size_t i = 0; i < len; i++) {
        int c = rd_peek_u8(&r, i);
        if (c < 0)
            return DIS_NEED_MORE;
        if (c >= 'a' && c <= 'z')
            c -= 'a' - 'A';
        if (c != word[i])
            return DIS_NOT_MINE;
    }
    return DIS_OK;
}

/* Openings of line-based protocols that can upgrade to TLS: the server's greeting (SMTP and
 * FTP 220, POP3 +OK, IMAP untagged OK/PREAUTH, an IRC prefix or NOTICE) or the client's first
 * command (IRC registration, XMPP stream header, the upgrade commands themselves). Upper case:
 * matched case-insensitively. */
static const char *const plain_openings[] = {
    "220",  "+OK",  "* OK",  "* PREAUTH", "STARTTLS", "STLS",    "AUTH TLS", "AUTH SSL", "EHLO",
    "HELO", "CAP ", "NICK ", "PASS ",     "USER ",    "NOTICE ", "<?XML",    "<STREAM:", ":",
};

static enum dis_status probe_plain(const uint8_t *p, size_t n)
{
    struct rd r;
    rd_init(&r, p, n);
    bool more = false;
    for (size_t i = 0; i < sizeof plain_openings / sizeof plain_openings[0]; i++) {
        enum dis_status st = text_prefix(r, plain_openings[i]);
        if (st == DIS_OK)
            return DIS_OK;
        more |= st == DIS_NEED_MORE;
    }
    return more ? DIS_NEED_MORE : DIS_NOT_MINE;
}

/* What the first @p n bytes of direction @p dir say the stream is. */
static enum app_kind probe(int dir, const uint8_t *p, size_t n)
{
    bool more = false;
    enum dis_status s = dis_tls_probe(p, n);
    if (s == DIS_OK)
        return K_TLS;
    more |= s == DIS_NEED_MORE;
    if (dir == DIS_DIR_ORIG) {
        s = dis_http_connect_probe(p, n);
        if (s == DIS_OK)
            return K_CONNECT;
        more |= s == DIS_NEED_MORE;
        s = dis_socks_probe(p, n);
        if (s == DIS_OK)
            return K_SOCKS;
        more |= s == DIS_NEED_MORE;
    }
    s = probe_plain(p, n);
    if (s == DIS_OK)
        return K_PLAIN;
    more |= s == DIS_NEED_MORE;
    s = dis_stun_probe(p, n, n, DIS_STUN_STREAM);
    if (s == DIS_OK)
        return K_STUN;
    more |= s == DIS_NEED_MORE;
    size_t flen;
    enum dis_stun_frame fk;
    s = dis_stun_frame_len(p, n, 0, &flen, &fk);
    if (s == DIS_OK && fk == DIS_STUN_FRAME_RFC4571)
        return K_STUN4571;
    more |= s == DIS_NEED_MORE;
    s = probe_dns(p, n);
    if (s == DIS_OK)
        return K_DNS;
    more |= s == DIS_NEED_MORE;
    return more && n < PROBE_MAX ? K_NEED_MORE : K_NONE;
}

static struct app_tls *tls_new(struct app_tcp *s, uint64_t ts)
{
    struct app_tls *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    dis_tls_conn_init(&t->conn);
    t->first_ns = ts;
    t->alert_dir = -1;
    app_tls_summary_init(&t->sum);
    s->tls = t;
    return t;
}

/* Sets the kind from the first in-order bytes: the initiator's, else the responder's. */
static void decide(struct app_ctx *a, struct app_tcp *s)
{
    for (int d = 0; d < 2; d++) {
        if (!s->dir[d])
            continue;
        struct dis_tcp_view v;
        dis_tcp_reasm_peek(&s->dir[d]->rs, &v);
        if (v.gap || (v.len > 0 && v.off != 0)) {
            s->kind = K_NONE; /* its start is lost */
            return;
        }
        if (v.len == 0)
            continue;
        enum app_kind k = probe(d, v.p, v.len);
        if (k == K_NEED_MORE) {
            const struct dis_tcp_reasm *r = &s->dir[d]->rs;
            if ((r->flags & (DIS_TCP_REASM_F_FIN | DIS_TCP_REASM_F_RST)) || r->contig >= s->cap)
                s->kind = K_NONE;
            return;
        }
        s->kind = (uint8_t)k;
        break;
    }
    if (s->kind == K_TLS && !tls_new(s, a->ts))
        s->kind = K_NONE;
    if (s->kind == K_CONNECT) {
        s->req = calloc(1, sizeof *s->req);
        if (!s->req)
            s->kind = K_NONE;
    }
    if (s->kind == K_SOCKS) {
        s->socks = calloc(1, sizeof *s->socks);
        if (!s->socks)
            s->kind = K_NONE;
    }
}

/* ---- TLS ---- */

struct tls_cb {
    struct app_ctx *a;
    struct app_tls *t;
};

/* The server's chain: each certificate is decoded now (the DER views are borrowed for this
 * call only), or found already decoded in the engine's cache, and the chain is verified
 * against the trust store at the capture time, for the SNI. */
static void tls_certificates(struct app_ctx *a, struct app_tls *t, int dir,
                             const struct dis_tls_cert_list *cl)
{
    struct dis_tls_summary *m = &t->sum;
    bool from_client = t->conn.client_dir >= 0
                           ? dir == t->conn.client_dir
                           : t->conn.server_dir >= 0 && dir != t->conn.server_dir;
    if (from_client) {
        m->client_cert = true;
        return;
    }
    if (m->n_certs || cl->n == 0 || !a->certs)
        return;
    size_t n = cl->n < DIS_TLS_MAX_CERTS ? cl->n : DIS_TLS_MAX_CERTS;
    for (size_t i = 0; i < n; i++) {
        bool decoded;
        struct cert_entry *e = cert_cache_get(a->certs, cl->cert[i].p, cl->cert[i].len, &decoded);
        if (!e)
            break;
        a->st->tls_certs++;
        if (decoded)
            a->st->tls_certs_decoded++;
        t->ents[i] = e;
        m->certs[i] = &e->info;
        m->n_certs = (uint8_t)(i + 1);
        if (e->bad)
            m->certs_bad++;
    }
    m->certs_total = (uint16_t)(cl->total > UINT16_MAX ? UINT16_MAX : cl->total);
    if (!a->x509_store || m->n_certs == 0)
        return;
    int64_t when = (int64_t)(a->ts / 1000000000ULL);
    const char *host = m->sni[0] ? m->sni : NULL;
    if (cert_cache_verify(a->certs, a->x509_store, cl, t->ents, m->n_certs, host, when,
                          &m->verify) < 0)
        m->chain = DIS_TLS_CHAIN_ERROR;
    else
        m->chain = m->verify.ok ? DIS_TLS_CHAIN_VALID : DIS_TLS_CHAIN_INVALID;
}

static void tls_alert(struct app_ctx *a, struct app_tls *t, const struct dis_tls_event *ev)
{
    struct dis_tls_summary *m = &t->sum;
    m->alerts++;
    if (m->alert.seen)
        return;
    /* An encrypted alert before the handshake ended is taken as fatal: in TLS 1.3 that is how
     * a client refuses the server's (encrypted) certificate. */
    bool fatal = ev->encrypted ? !t->conn.established : ev->alert_level == 2;
    if (!fatal)
        return;
    m->alert.seen = true;
    m->alert.encrypted = ev->encrypted;
    m->alert.before_established = !t->conn.established;
    m->alert.level = ev->alert_level;
    m->alert.desc = ev->alert_desc;
    m->alert.ts_ns = a->ts;
    t->alert_dir = (int8_t)ev->dir;
}

static void on_tls(void *ctx, const struct dis_tls_event *ev)
{
    struct tls_cb *c = ctx;
    struct app_tls *t = c->t;
    switch (ev->type) {
    case DIS_TLS_EV_CLIENT_HELLO:
        app_tls_client_hello(&t->sum, &t->ch_strs, ev->ch, c->a->ts);
        break;
    case DIS_TLS_EV_SERVER_HELLO:
        app_tls_server_hello(&t->sum, &t->sh_strs, ev->sh, c->a->ts);
        break;
    case DIS_TLS_EV_CERTIFICATE:
        tls_certificates(c->a, t, ev->dir, ev->certs);
        break;
    case DIS_TLS_EV_ALERT:
        tls_alert(c->a, t, ev);
        break;
    case DIS_TLS_EV_APPDATA:
        if (ev->dir == 0 || ev->dir == 1)
            if (!t->appdata_ns[ev->dir])
                t->appdata_ns[ev->dir] = c->a->ts;
        break;
    case DIS_TLS_EV_ESTABLISHED:
        if (!t->sum.established) {
            t->sum.established = true;
            t->sum.established_ns = c->a->ts;
        }
        break;
    case DIS_TLS_EV_CHANGE_CIPHER_SPEC:
    default:
        break;
    }
}

/* Feeds direction @p d's in-order bytes to the collector. */
static void tls_read(struct app_ctx *a, struct app_tcp *s, int d)
{
    struct app_tls *t = s->tls;
    struct tls_cb c = {a, t};
    /* Bounded: each pass consumes the whole view; a view ends only at a gap. */
    for (int i = 0; i <= DIS_TCP_REASM_MAX_GAPS; i++) {
        struct dis_tcp_view v;
        dis_tcp_reasm_peek(&s->dir[d]->rs, &v);
        if (v.len == 0)
            break;
        if (v.gap) { /* records lost their framing */
            s->done[d] = true;
            break;
        }
        enum dis_status st = dis_tls_conn_feed(&t->conn, d, v.p, v.len, on_tls, &c);
        dis_tcp_reasm_consume(&s->dir[d]->rs, v.len);
        if (st != DIS_OK) {
            s->done[d] = true;
            break;
        }
    }
    /* After the handshake a direction matters until its first application data. */
    if (t->conn.established && t->appdata_ns[d])
        s->done[d] = true;
}

/* ---- HTTP CONNECT ---- */

static int http_event(struct app_ctx *a, struct app_tcp *s, const struct dis_http_connect_resp *r)
{
    a->st->http_connects++;
    if (!s->connect_first_status)
        s->connect_first_status = r->status;
    if (!a->cb)
        return 0;
    int saved = a->dir;
    struct dis_event ev;
    a->dir = DIS_DIR_ORIG; /* client -> proxy */
    app_event_init(a, &ev, DIS_EV_HTTP_CONNECT);
    a->dir = saved;
    struct dis_http_connect_event ce = {s->req, r};
    ev.u.connect = &ce;
    return app_emit(a, &ev);
}

/* A 2xx answer: both directions carry the tunnel from here, read as TLS. */
static void http_tunnel(struct app_ctx *a, struct app_tcp *s, uint16_t status)
{
    struct app_tls *t = tls_new(s, a->ts);
    if (!t) {
        s->http = H_DONE;
        return;
    }
    t->sum.in_tunnel = true;
    t->sum.proxy_kind = DIS_TLS_PROXY_HTTP;
    t->sum.proxy_target = s->req->host; /* the request stays with the flow */
    t->sum.proxy_port = s->req->port;
    t->sum.proxy_status = status;
    t->sum.proxy_first_status = s->connect_first_status;
    s->http = H_TUNNEL;
}

static void http_request(struct app_tcp *s)
{
    struct dis_tcp_reasm *r = &s->dir[DIS_DIR_ORIG]->rs;
    struct dis_tcp_view v;
    dis_tcp_reasm_peek(r, &v);
    if (v.gap) {
        s->http = H_DONE;
        return;
    }
    if (v.len == 0)
        return;
    enum dis_status st = dis_http_connect_request(v.p, v.len, s->req);
    if (st == DIS_NEED_MORE)
        return;
    if (st != DIS_OK) {
        s->http = H_DONE;
        return;
    }
    dis_tcp_reasm_consume(r, s->req->header_len);
    s->has_connect = true;
    s->http = H_RESP;
}

static int http_response(struct app_ctx *a, struct app_tcp *s)
{
    struct dis_tcp_reasm *r = &s->dir[DIS_DIR_RESP]->rs;
    for (int i = 0; i < HTTP_STEPS && (s->http == H_RESP || s->http == H_BODY); i++) {
        struct dis_tcp_view v;
        dis_tcp_reasm_peek(r, &v);
        if (v.gap) {
            s->http = H_DONE;
            break;
        }
        if (v.len == 0)
            break;
        if (s->http == H_BODY) {
            size_t n = v.len < s->body_left ? v.len : (size_t)s->body_left;
            dis_tcp_reasm_consume(r, n);
            s->body_left -= n;
            if (s->body_left == 0)
                s->http = H_REQ; /* the client may ask again, with credentials */
            break;
        }
        struct dis_http_connect_resp resp;
        enum dis_status st = dis_http_connect_response(v.p, v.len, &resp);
        if (st == DIS_NEED_MORE)
            break;
        if (st != DIS_OK) {
            s->http = H_DONE;
            break;
        }
        dis_tcp_reasm_consume(r, resp.header_len);
        int rc = http_event(a, s, &resp);
        if (rc < 0)
            return rc;
        if (resp.status < 200)
            continue; /* interim: the final response follows */
        if (resp.status < 300) {
            http_tunnel(a, s, resp.status);
        } else if (resp.body == DIS_HTTP_BODY_NONE && !resp.conn_close) {
            s->http = H_REQ;
        } else if (resp.body == DIS_HTTP_BODY_LENGTH && !resp.conn_close) {
            s->body_left = resp.content_length;
            s->http = s->body_left ? H_BODY : H_REQ;
        } else {
            s->http = H_DONE; /* chunked, until close, or closing: nothing more to follow */
        }
    }
    return 0;
}

static int http_read(struct app_ctx *a, struct app_tcp *s, int d)
{
    if (s->http == H_TUNNEL) {
        tls_read(a, s, d);
        return 0;
    }
    if (d == DIS_DIR_ORIG && s->http == H_REQ)
        http_request(s);
    else if (d == DIS_DIR_RESP)
        return http_response(a, s);
    return 0;
}

/* ---- SOCKS ---- */

/* The client's side up to its request; the bytes after it are the tunnel. */
static enum dis_status socks_client(struct app_tcp *s)
{
    struct app_socks *k = s->socks;
    struct dis_tcp_reasm *rs = &s->dir[DIS_DIR_ORIG]->rs;
    /* Bounded: greeting, authentication, request; each pass consumes one or returns. */
    for (int i = 0; i < 4 && k->cstep != SK_TUNNEL; i++) {
        struct dis_tcp_view v;
        dis_tcp_reasm_peek(rs, &v);
        if (v.gap)
            return DIS_MALFORMED;
        if (v.len == 0)
            return DIS_NEED_MORE;
        struct dis_socks_msg m;
        enum dis_status st = dis_socks_client_msg(v.p, v.len, k->cstep == SK_FIRST, &m);
        if (st != DIS_OK)
            return st;
        dis_tcp_reasm_consume(rs, m.len);
        if (k->cstep == SK_FIRST)
            k->version = m.version;
        k->cstep = SK_MORE;
        if (m.kind == DIS_SOCKS_REQUEST) {
            if (m.code != DIS_SOCKS_CMD_CONNECT)
                return DIS_MALFORMED; /* BIND, UDP ASSOCIATE: no tunnel of ours */
            k->req = m;
            k->cstep = SK_TUNNEL;
        }
        s->step++;
    }
    return DIS_OK;
}

/* Opens the tunnel after a successful reply: both directions are TLS from here. */
static void socks_tunnel(struct app_ctx *a, struct app_tcp *s)
{
    struct app_socks *k = s->socks;
    struct app_tls *t = tls_new(s, a->ts);
    if (!t) {
        s->done[0] = s->done[1] = true;
        return;
    }
    t->sum.in_tunnel = true;
    t->sum.proxy_kind = k->version == 4 ? DIS_TLS_PROXY_SOCKS4 : DIS_TLS_PROXY_SOCKS5;
    t->sum.proxy_target = k->req.host; /* stays with the flow */
    t->sum.proxy_port = k->req.port;
    t->sum.proxy_status = k->rep;
    t->sum.proxy_first_status = k->rep;
    k->sstep = SK_TUNNEL;
}

/* The proxy's side up to its reply: method choice, RFC 1929 status, reply. */
static enum dis_status socks_server(struct app_ctx *a, struct app_tcp *s)
{
    struct app_socks *k = s->socks;
    struct dis_tcp_reasm *rs = &s->dir[DIS_DIR_RESP]->rs;
    /* Bounded: choice, status, reply; each pass consumes one or returns. */
    for (int i = 0; i < 4 && k->sstep != SK_TUNNEL; i++) {
        struct dis_tcp_view v;
        dis_tcp_reasm_peek(rs, &v);
        if (v.gap)
            return DIS_MALFORMED;
        if (v.len == 0 || k->version == 0)
            return DIS_NEED_MORE; /* the client's first message tells the version */
        struct dis_socks_msg m;
        enum dis_status st = dis_socks_server_msg(v.p, v.len, k->version, k->sstep == SK_FIRST, &m);
        if (st != DIS_OK)
            return st;
        dis_tcp_reasm_consume(rs, m.len);
        k->sstep = SK_MORE;
        s->step++;
        switch (m.kind) {
        case DIS_SOCKS_CHOICE:
            if (m.code == DIS_SOCKS5_NO_METHOD)
                return DIS_MALFORMED; /* refused: nothing to follow */
            break;
        case DIS_SOCKS_AUTH_STATUS:
            if (m.code != 0)
                return DIS_MALFORMED;
            break;
        default: /* the reply */
            k->rep = m.code;
            if (m.code != (k->version == 4 ? DIS_SOCKS4_CD_OK : DIS_SOCKS5_REP_OK))
                return DIS_MALFORMED;
            socks_tunnel(a, s);
            return DIS_OK;
        }
    }
    return DIS_OK;
}

/* Reads direction @p d of a SOCKS stream: its handshake messages, then its part of the tunnel
 * (the client's only once the proxy granted it: a refused request opens nothing). */
static void socks_read(struct app_ctx *a, struct app_tcp *s, int d)
{
    struct app_socks *k = s->socks;
    if (d == DIS_DIR_ORIG && k->cstep != SK_TUNNEL) {
        enum dis_status st = socks_client(s);
        if (st != DIS_OK && st != DIS_NEED_MORE)
            s->done[0] = s->done[1] = true;
    }
    if (d == DIS_DIR_RESP && k->sstep != SK_TUNNEL) {
        enum dis_status st = socks_server(a, s);
        if (st != DIS_OK && st != DIS_NEED_MORE)
            s->done[0] = s->done[1] = true;
    }
    /* the client's tunnel is read once the proxy accepted it */
    if (!s->done[d] && s->tls && k->sstep == SK_TUNNEL &&
        (d == DIS_DIR_RESP || k->cstep == SK_TUNNEL))
        tls_read(a, s, d);
}

/* ---- STARTTLS ---- */

/* Whether @p n bytes at @p p contain @p word (upper case), ASCII case-insensitively. */
static bool text_has(const uint8_t *p, size_t n, const char *word)
{
    struct rd r;
    rd_init(&r, p, n);
    /* Bounded by the piece (at most PLAIN_MAX bytes) times the word. */
    while (rd_left(&r) > 0) {
        if (text_prefix(r, word) == DIS_OK)
            return true;
        rd_skip(&r, 1);
    }
    return false;
}

/* Whether an initiator's line asks for the upgrade: STARTTLS anywhere (SMTP, IMAP "a STARTTLS",
 * IRC, NNTP, XMPP "<starttls"), or at its start POP3 STLS or FTP AUTH TLS / AUTH SSL. */
static bool plain_upgrade(const uint8_t *p, size_t n)
{
    struct rd r;
    rd_init(&r, p, n);
    return text_has(p, n, "STARTTLS") || text_prefix(r, "STLS") == DIS_OK ||
           text_prefix(r, "AUTH TLS") == DIS_OK || text_prefix(r, "AUTH SSL") == DIS_OK;
}

/* Reads direction @p d of a line-based stream up to where TLS begins: line by line (or XML
 * element by element: '>' ends a piece too), trying dis_tls_probe() at each piece's start once
 * the initiator asked for the upgrade. From there the direction is fed to the TLS collector. */
static void plain_read(struct app_ctx *a, struct app_tcp *s, int d)
{
    struct dis_tcp_reasm *rs = &s->dir[d]->rs;
    /* Bounded: every pass consumes a piece of at least one byte, or ends. */
    for (uint32_t i = 0; i < PLAIN_MAX && !s->tls_on[d]; i++) {
        struct dis_tcp_view v;
        dis_tcp_reasm_peek(rs, &v);
        if (v.gap) {
            s->done[d] = true;
            break;
        }
        if (v.len == 0)
            break;
        if (s->armed) {
            enum dis_status st = dis_tls_probe(v.p, v.len);
            if (st == DIS_NEED_MORE)
                break;
            if (st == DIS_OK) {
                if (!s->tls && !tls_new(s, a->ts)) {
                    s->done[0] = s->done[1] = true;
                    return;
                }
                s->tls_on[d] = true;
                s->step++;
                break;
            }
        }
        struct rd r;
        rd_init(&r, v.p, v.len);
        size_t k = 0;
        bool end = false;
        while (!end && rd_left(&r) > 0) {
            uint8_t c = rd_u8(&r);
            k++;
            end = c == '\n' || c == '>';
        }
        if (!end)
            break; /* a partial piece: wait for its end */
        if (d == DIS_DIR_ORIG && !s->armed) {
            s->lines++;
            if (plain_upgrade(v.p, k)) {
                s->armed = true;
                s->step++;
            }
        }
        dis_tcp_reasm_consume(rs, k);
    }
    if (s->tls_on[d]) {
        tls_read(a, s, d);
        return;
    }
    /* Bounded: no upgrade within the first bytes or lines gives the stream up. */
    if (rs->read >= PLAIN_MAX || rs->contig - rs->read >= PLAIN_MAX)
        s->done[d] = true;
    if (d == DIS_DIR_ORIG && !s->armed && (s->done[d] || s->lines > PLAIN_LINES))
        s->done[0] = s->done[1] = true;
}

/* ---- STUN/TURN ---- */

static int stun_frame(struct app_ctx *a, const uint8_t *p, size_t n, enum dis_stun_frame fk)
{
    struct dis_channeldata cd;
    size_t used;
    int rc;
    switch (fk) {
    case DIS_STUN_FRAME_STUN:
        rc = app_stun(a, p, n, n, DIS_STUN_STREAM);
        return rc < 0 ? rc : 0;
    case DIS_STUN_FRAME_MTURN:
        /* an MS-TURN frame carries STUN (reported as relayed) or the peer's data */
        rc = app_stun(a, p, n, n, DIS_STUN_STREAM);
        if (rc != 0)
            return rc < 0 ? rc : 0;
        if (dis_channeldata_parse(p, n, n, DIS_STUN_STREAM, &cd, &used) != DIS_OK)
            return 0;
        return app_channeldata(a, &cd);
    case DIS_STUN_FRAME_CHANNELDATA:
        if (dis_channeldata_parse(p, n, n, DIS_STUN_STREAM, &cd, &used) != DIS_OK)
            return 0;
        return app_channeldata(a, &cd);
    case DIS_STUN_FRAME_RFC4571: {
        /* one STUN message per frame, or the session's DTLS/RTP (not parsed) */
        struct rd r;
        rd_init(&r, p, n);
        rd_skip(&r, 2);
        const uint8_t *q = rd_ptr(&r);
        size_t m = rd_left(&r);
        if (m == 0 || dis_demux_first_byte(app_first_byte(q, m)) != DIS_DEMUX_STUN)
            return 0;
        rc = app_stun(a, q, m, m, DIS_STUN_DGRAM);
        return rc < 0 ? rc : 0;
    }
    default:
        return 0;
    }
}

static int stun_read(struct app_ctx *a, struct app_tcp *s, int d)
{
    struct dis_tcp_reasm *r = &s->dir[d]->rs;
    unsigned flags = s->kind == K_STUN4571 ? DIS_STUN_F_RFC4571 : 0;
    /* Bounded: every frame is at least 2 bytes long and consumed, or the loop ends. */
    for (uint32_t i = 0; i <= s->cap / 2; i++) {
        maybe_rebase(s, d);
        struct dis_tcp_view v;
        dis_tcp_reasm_peek(r, &v);
        if (v.len == 0)
            break;
        if (v.gap) {
            s->done[d] = true;
            break;
        }
        size_t flen;
        enum dis_stun_frame fk;
        enum dis_status st = dis_stun_frame_len(v.p, v.len, flags, &flen, &fk);
        if (st == DIS_NEED_MORE)
            break;
        if (st != DIS_OK || flen < 2) { /* no resynchronisation point in a stream */
            s->done[d] = true;
            break;
        }
        if (flen > v.len)
            break;
        int rc = stun_frame(a, v.p, flen, fk);
        if (rc < 0)
            return rc;
        dis_tcp_reasm_consume(r, flen);
    }
    return 0;
}

/* ---- DNS ---- */

static int dns_read(struct app_ctx *a, struct app_tcp *s, int d)
{
    struct dis_tcp_reasm *r = &s->dir[d]->rs;
    /* Bounded: every message takes at least 14 bytes and is consumed, or the loop ends. */
    for (uint32_t i = 0; i <= s->cap / 14; i++) {
        maybe_rebase(s, d);
        struct dis_tcp_view v;
        dis_tcp_reasm_peek(r, &v);
        if (v.len == 0)
            break;
        if (v.gap) {
            s->done[d] = true;
            break;
        }
        const uint8_t *msg;
        size_t len, used;
        enum dis_status st = dis_dns_tcp_frame(v.p, v.len, &msg, &len, &used);
        if (st == DIS_NEED_MORE)
            break;
        if (st != DIS_OK) {
            s->done[d] = true;
            break;
        }
        int rc = app_dns(a, msg, len, len);
        if (rc < 0)
            return rc;
        dis_tcp_reasm_consume(r, used);
    }
    return 0;
}

/* ---- driving ---- */

static int read_dir(struct app_ctx *a, struct app_tcp *s, int d)
{
    switch (s->kind) {
    case K_TLS:
        tls_read(a, s, d);
        return 0;
    case K_CONNECT:
        return http_read(a, s, d);
    case K_STUN:
    case K_STUN4571:
        return stun_read(a, s, d);
    case K_DNS:
        return dns_read(a, s, d);
    case K_SOCKS:
        socks_read(a, s, d);
        return 0;
    case K_PLAIN:
        if (s->tls_on[d])
            tls_read(a, s, d);
        else
            plain_read(a, s, d);
        return 0;
    default:
        return 0;
    }
}

/* A direction whose stream ended, stopped or filled its buffer has nothing more to give. */
static void check_ended(struct app_tcp *s, int d)
{
    if (!s->dir[d] || s->done[d])
        return;
    const struct dis_tcp_reasm *r = &s->dir[d]->rs;
    const uint32_t end =
        DIS_TCP_REASM_F_FIN | DIS_TCP_REASM_F_RST | DIS_TCP_REASM_F_STOPPED | DIS_TCP_REASM_F_NOMEM;
    if ((r->flags & end) || r->contig >= s->cap)
        s->done[d] = true;
}

/* Frees what is no longer needed; returns true when the whole state was dropped. */
static bool release(struct app_ctx *a, struct app_tcp *s, bool conn_over)
{
    if (s->kind == K_NONE) {
        give_up(a);
        return true;
    }
    if (s->kind == K_UNDECIDED && !conn_over)
        return false;
    if (s->kind == K_CONNECT && s->http == H_DONE)
        s->done[0] = s->done[1] = true;
    for (int d = 0; d < 2; d++) {
        check_ended(s, d);
        /* an initiator that ended without asking for STARTTLS: nothing to wait for */
        if (s->kind == K_PLAIN && d == DIS_DIR_ORIG && s->done[d] && !s->armed)
            s->done[1] = true;
        if (conn_over)
            s->done[d] = true;
        if (s->done[d])
            dir_free(a, s, d);
    }
    if (!s->done[0] || !s->done[1])
        return false;
    s->finished = true;
    if (s->tls)
        dis_tls_conn_free(&s->tls->conn); /* its buffers; the summary stays */
    if (s->tls || s->has_connect)
        return false; /* kept for the summary and the host name */
    give_up(a);
    return true;
}

/* Reads whatever became readable, in both directions, until nothing changes. */
static int pump(struct app_ctx *a, struct app_tcp *s)
{
    int saved = a->dir, rc = 0;
    /* Bounded: a round that changes neither the kind nor the CONNECT, SOCKS or STARTTLS state
     * is the last, and those move forward only (undecided -> kind; request -> response ->
     * tunnel; greeting -> request -> reply -> tunnel; plaintext -> armed -> TLS). */
    for (int round = 0; round < 8 && rc == 0; round++) {
        uint8_t kind = s->kind, http = s->http, step = s->step;
        if (s->kind == K_UNDECIDED) {
            decide(a, s);
            if (s->kind == K_UNDECIDED || s->kind == K_NONE)
                break;
        }
        for (int d = 0; d < 2 && rc == 0; d++) {
            if (!s->dir[d] || s->done[d])
                continue;
            a->dir = d;
            rc = read_dir(a, s, d);
        }
        if (s->kind == kind && s->http == http && s->step == step)
            break;
    }
    a->dir = saved;
    return rc;
}

/* Stream offset of this segment's first payload byte in its direction (0 without a SYN). */
static int32_t segment_offset(const struct ft_flow *f, int d, const struct dis_pkt *p)
{
    if (!f->syn_seen[d])
        return 0;
    uint32_t seq = p->seq + ((p->tcp_flags & DIS_TH_SYN) ? 1u : 0u);
    return (int32_t)(seq - (f->isn[d] + 1u));
}

int app_tcp(struct app_ctx *a)
{
    struct ft_flow *f = a->f;
    const struct dis_pkt *p = a->p;
    if (f->app_tcp_off)
        return 0;
    size_t n = p->payload ? p->payload_caplen : 0;
    bool rst = p->tcp_flags & DIS_TH_RST;
    struct app_tcp *s = f->app;
    if (!s) {
        if (n == 0)
            return 0;
        /* The first in-order bytes decide at once; only a stream that may be ours, or whose
         * start is still missing, gets state. */
        if (segment_offset(f, a->dir, p) == 0 && probe(a->dir, p->payload, n) == K_NONE) {
            f->app_tcp_off = true;
            return 0;
        }
        s = state_new(a);
        if (!s) {
            f->app_tcp_off = true;
            return 0;
        }
    }
    if (s->finished)
        return 0;
    int d = a->dir;
    int rc = 0;
    if (!s->done[d] && (s->dir[d] || n > 0)) {
        if (!s->dir[d] && dir_start(a, s, d) < 0) {
            give_up(a);
            return 0;
        }
        int ch = dis_tcp_reasm_segment(&s->dir[d]->rs, p->seq, p->tcp_flags, p->payload, n);
        if (ch < 0) {
            give_up(a);
            return 0;
        }
        if (rst && s->dir[!d])
            (void)dis_tcp_reasm_flush(&s->dir[!d]->rs); /* nothing more will fill its holes */
        if (ch > 0 || rst)
            rc = pump(a, s);
    } else if (rst) {
        if (s->dir[!d])
            (void)dis_tcp_reasm_flush(&s->dir[!d]->rs);
        rc = pump(a, s);
    } else if ((p->tcp_flags & DIS_TH_FIN) && !s->dir[d]) {
        s->done[d] = true; /* closed without a byte */
    }
    (void)release(a, s, rst);
    return rc;
}

/* ---- the end of the flow ---- */

/* The CN of an RFC 2253 one-line name ("CN=a.example,O=x"), unescaped, into @p buf. */
static const char *subject_cn(const char *name, char *buf, size_t size)
{
    const char *p = name;
    /* Bounded by the string: every pass moves p forward. */
    while (*p) {
        if (p[0] == 'C' && p[1] == 'N' && p[2] == '=') {
            size_t k = 0;
            for (p += 3; *p && *p != ',' && k + 1 < size; p++) {
                if (*p == '\\' && p[1])
                    p++;
                buf[k++] = *p;
            }
            buf[k] = '\0';
            return k ? buf : NULL;
        }
        /* skip to the next unescaped ',' */
        while (*p && *p != ',') {
            if (*p == '\\' && p[1])
                p++;
            p++;
        }
        if (*p == ',')
            p++;
    }
    return NULL;
}

/* The leaf certificate's name: its first DNS SAN that is not a wildcard, else its first DNS
 * SAN, else its subject's CN. */
static const char *cert_name(const struct app_tls *t, char *buf, size_t size)
{
    if (t->sum.n_certs == 0)
        return NULL;
    const struct dis_tls_cert_info *leaf = t->sum.certs[0];
    const char *wild = NULL;
    for (size_t i = 0; i < leaf->n_san && i < DIS_TLS_MAX_SANS; i++) {
        if (leaf->san[i].kind != DIS_TLS_SAN_DNS || !leaf->san[i].name[0])
            continue;
        if (leaf->san[i].name[0] != '*')
            return leaf->san[i].name;
        if (!wild)
            wild = leaf->san[i].name;
    }
    if (wild)
        return wild;
    return subject_cn(leaf->subject, buf, size);
}

const char *app_tcp_name(const struct ft_flow *f, enum app_name_src src, char *buf, size_t size)
{
    const struct app_tcp *s = f->app;
    if (!s)
        return NULL;
    switch (src) {
    case APP_NAME_SNI:
        return s->tls && s->tls->sum.sni[0] ? s->tls->sum.sni : NULL;
    case APP_NAME_CONNECT:
        if (s->socks && s->socks->req.domain && s->socks->sstep == SK_TUNNEL)
            return s->socks->req.host[0] ? s->socks->req.host : NULL;
        return s->has_connect && s->req->host[0] ? s->req->host : NULL;
    case APP_NAME_CERT:
        return s->tls ? cert_name(s->tls, buf, size) : NULL;
    default:
        return NULL;
    }
}

/* Fills the role-based fields of the summary from what the collector learnt. */
static int tls_finalize(struct app_tcp *s)
{
    struct app_tls *t = s->tls;
    struct dis_tls_summary *m = &t->sum;
    int client = DIS_DIR_ORIG;
    if (t->conn.client_dir >= 0)
        client = t->conn.client_dir;
    else if (t->conn.server_dir >= 0)
        client = !t->conn.server_dir;
    m->client_appdata_ns = t->appdata_ns[client];
    m->server_appdata_ns = t->appdata_ns[!client];
    if (m->alert.seen)
        m->alert.from_client = t->alert_dir == client;
    m->conn_flags = dis_tls_conn_flags(&t->conn);
    m->midstream = s->midstream;
    return client;
}

int app_tcp_end(struct app_ctx *a)
{
    struct app_tcp *s = a->f->app;
    if (!s)
        return 0;
    int rc = 0;
    struct app_tls *t = s->tls;
    if (t && (t->sum.has_client_hello || t->sum.has_server_hello)) {
        a->dir = tls_finalize(s);
        a->ts = t->sum.has_client_hello ? t->sum.client_hello_ns : t->first_ns;
        rc = app_tls_emit(a, &t->sum);
    }
    state_free(a);
    return rc;
}
