/* SPDX-License-Identifier: MIT */
/*
 * rep_json.c - the JSON report of DESIGN.md "Machine-readable output" (documented in
 * docs/json.md). Each record is built as a jansson object, written and freed at once; the
 * enclosing object, arrays and commas are written here, so memory does not grow with the
 * number of flows. One record per line.
 */
#include "rep_int.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

/*
 * Compact records; 16 significant digits keep microseconds of epoch times (10 integer
 * digits) and print short values such as an RTT of 0.0123 as they are (17 would print
 * 0.012300000000000001).
 */
#define REP__JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(16))

/* The arrays that later issues fill; written empty so consumers can rely on them. */
static const char *const rep__empty_arrays[] = {"tls",      "stun",      "dns",  "sessions",
                                                "verdicts", "checklist", "hosts"};

struct rep__jctx {
    struct rep__out *w;
    size_t n;  /* records written in the current array */
    int oom;   /* building a record failed */
    char *err; /* caller's SS_ERRBUF_SIZE buffer */
};

/* A JSON string of @p s; null for NULL. Text that is not valid UTF-8 (later: names taken from
 * packets) is escaped as in the text report rather than dropped. */
static json_t *rep__jstr(const char *s)
{
    json_t *j;
    char buf[1024];

    if (!s)
        return json_null();
    j = json_string(s);
    if (j)
        return j;
    rep__escape(s, buf, sizeof buf);
    return json_string(buf);
}

/* As rep__jstr, but an empty string is null too (nDPI's "no application"). */
static json_t *rep__jstr_opt(const char *s)
{
    return rep__jstr(s && *s ? s : NULL);
}

/* Epoch seconds, or null for 0 (no time known). */
static json_t *rep__jtime(double t)
{
    return t > 0 ? json_real(t) : json_null();
}

/* Sets @p key of @p obj to @p v (taking the reference); remembers a failure. */
static void rep__set(struct rep__jctx *c, json_t *obj, const char *key, json_t *v)
{
    if (!obj || json_object_set_new(obj, key, v) != 0)
        c->oom = 1;
}

/* Starts the array @p name: "name":[ */
static void rep__array_open(struct rep__jctx *c, const char *name)
{
    rep__printf(c->w, ",\n\"%s\":[", name);
    c->n = 0;
}

static void rep__array_close(struct rep__jctx *c)
{
    rep__puts(c->w, c->n ? "\n]" : "]");
}

/* Writes @p obj as the next element of the open array and frees it. Returns non-zero (which
 * stops the store's walk) once writing or building failed. */
static int rep__emit(struct rep__jctx *c, json_t *obj)
{
    if (!obj || c->oom) {
        c->oom = 1;
        json_decref(obj);
        snprintf(c->err, SS_ERRBUF_SIZE, "building the JSON report: out of memory");
        return 1;
    }
    rep__puts(c->w, c->n ? ",\n" : "\n");
    c->n++;
    if (!c->w->err) {
        errno = 0;
        if (json_dumpf(obj, c->w->f, REP__JSON_FLAGS) != 0)
            rep__set_error(c->w);
    }
    json_decref(obj);
    return c->w->err ? 1 : 0;
}

static int rep__capture_cb(void *user, const struct sto_capture_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();

    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "source", rep__jstr(r->source));
    rep__set(c, o, "kind", rep__jstr(r->kind));
    rep__set(c, o, "sha256", rep__jstr_opt(r->sha256));
    rep__set(c, o, "file_bytes", json_integer(r->file_bytes));
    rep__set(c, o, "first", rep__jtime(r->first));
    rep__set(c, o, "last", rep__jtime(r->last));
    rep__set(c, o, "packets", json_integer(r->packets));
    rep__set(c, o, "bytes", json_integer(r->bytes));
    rep__set(c, o, "drops", json_integer(r->drops));
    rep__set(c, o, "warnings", json_integer(r->warnings));
    rep__set(c, o, "linktype", rep__jstr_opt(r->linktype));
    rep__set(c, o, "linktype_num",
             r->linktype_num >= 0 ? json_integer(r->linktype_num) : json_null());
    rep__set(c, o, "status", rep__jstr(r->status));
    rep__set(c, o, "version", rep__jstr(r->version));
    rep__set(c, o, "analysed_at", rep__jtime(r->analysed_at));
    return rep__emit(c, o);
}

/* A TTL of a direction: null when that direction carried no packet. */
static json_t *rep__jttl(int64_t pkts, int ttl)
{
    return pkts > 0 ? json_integer(ttl) : json_null();
}

static int rep__flow_cb(void *user, const struct sto_flow_row *r)
{
    struct rep__jctx *c = user;
    json_t *o = json_object();
    int icmp = r->icmp_errors > 0;

    rep__set(c, o, "id", json_integer(r->id));
    rep__set(c, o, "capture", json_integer(r->capture_id));
    rep__set(c, o, "proto", rep__jstr(r->proto));
    rep__set(c, o, "src", rep__jstr(r->src));
    rep__set(c, o, "sport", json_integer(r->sport));
    rep__set(c, o, "dst", rep__jstr(r->dst));
    rep__set(c, o, "dport", json_integer(r->dport));
    rep__set(c, o, "first", json_real(r->first));
    rep__set(c, o, "last", json_real(r->last));
    rep__set(c, o, "pkts_out", json_integer(r->pkts_out));
    rep__set(c, o, "pkts_in", json_integer(r->pkts_in));
    rep__set(c, o, "bytes_out", json_integer(r->bytes_out));
    rep__set(c, o, "bytes_in", json_integer(r->bytes_in));
    rep__set(c, o, "payload_out", json_integer(r->payload_out));
    rep__set(c, o, "payload_in", json_integer(r->payload_in));
    rep__set(c, o, "state", rep__jstr_opt(r->state));
    rep__set(c, o, "history", rep__jstr_opt(r->history));
    rep__set(c, o, "rtt", r->rtt >= 0 ? json_real(r->rtt) : json_null());
    rep__set(c, o, "ttl_out_min", rep__jttl(r->pkts_out, r->ttl_out_min));
    rep__set(c, o, "ttl_out_max", rep__jttl(r->pkts_out, r->ttl_out_max));
    rep__set(c, o, "ttl_in_min", rep__jttl(r->pkts_in, r->ttl_in_min));
    rep__set(c, o, "ttl_in_max", rep__jttl(r->pkts_in, r->ttl_in_max));
    rep__set(c, o, "app", rep__jstr_opt(r->app));
    rep__set(c, o, "category", rep__jstr_opt(r->category));
    rep__set(c, o, "host", rep__jstr_opt(r->host));
    rep__set(c, o, "rule", rep__jstr_opt(r->rule));
    rep__set(c, o, "channeldata", json_integer(r->channeldata));
    rep__set(c, o, "frags", json_integer(r->frags));
    rep__set(c, o, "icmp_errors", json_integer(r->icmp_errors));
    rep__set(c, o, "icmp_type",
             icmp && r->icmp_type >= 0 ? json_integer(r->icmp_type) : json_null());
    rep__set(c, o, "icmp_code",
             icmp && r->icmp_code >= 0 ? json_integer(r->icmp_code) : json_null());
    rep__set(c, o, "icmp_from", rep__jstr_opt(icmp ? r->icmp_from : NULL));
    rep__set(c, o, "icmp_first", rep__jtime(icmp ? r->icmp_first : 0));
    rep__set(c, o, "end_reason", rep__jstr_opt(r->end_reason));
    rep__set(c, o, "vlan", json_integer(r->vlan));
    return rep__emit(c, o);
}

/* Runs a store walk; turns its -1 into the store's message. Returns 0 or -1. */
static int rep__walk_result(struct rep__jctx *c, struct sto_db *db, int rc)
{
    if (rc < 0) {
        snprintf(c->err, SS_ERRBUF_SIZE, "%s", sto_errstr(db));
        return -1;
    }
    return rc || c->oom || c->w->err ? -1 : 0;
}

int rep__json(struct sto_db *db, const struct rep_opts *o, struct rep__out *w, char *err)
{
    struct rep__jctx c = {.w = w, .n = 0, .oom = 0, .err = err};
    json_t *version = json_string(SS_VERSION_STRING);

    if (!version) {
        snprintf(err, SS_ERRBUF_SIZE, "building the JSON report: out of memory");
        return -1;
    }
    rep__puts(w, "{\"version\":");
    errno = 0;
    if (!w->err && json_dumpf(version, w->f, REP__JSON_FLAGS | JSON_ENCODE_ANY) != 0)
        rep__set_error(w);
    json_decref(version);
    rep__printf(w, ",\"schema\":%d", sto_schema_version());

    rep__array_open(&c, "captures");
    if (rep__walk_result(&c, db, sto_each_capture(db, &o->filter, rep__capture_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    rep__array_open(&c, "flows");
    if (rep__walk_result(&c, db, sto_each_flow(db, &o->filter, rep__flow_cb, &c)) < 0)
        return -1;
    rep__array_close(&c);

    for (size_t i = 0; i < sizeof rep__empty_arrays / sizeof rep__empty_arrays[0]; i++) {
        rep__array_open(&c, rep__empty_arrays[i]);
        rep__array_close(&c);
    }
    rep__puts(w, "}\n");
    return w->err ? -1 : 0;
}
