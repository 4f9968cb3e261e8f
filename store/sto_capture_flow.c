/* SPDX-License-Identifier: MIT */
/* sto_capture_flow.c - SQLite storage: writing captures (find, delete, begin, update) and flows. */
#define _POSIX_C_SOURCE 200809L

#include "store/sto.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "sto_int.h"

int sto_capture_find_sha256(struct sto_db *db, const char *sha256, int64_t *id)
{
    sqlite3_stmt *st = db->st[STO__CAP_FIND];

    if (!sha256 || !*sha256)
        return 0;
    if (sqlite3_bind_text(st, 1, sha256, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        return sto__step_fail(db, st, "finding capture by sha256", SQLITE_NOMEM);
    return sto__find_id(db, st, "finding capture by sha256", id);
}

int sto_capture_delete(struct sto_db *db, int64_t id)
{
    sqlite3_stmt *st = db->st[STO__CAP_DELETE];
    char what[64];
    int rc;

    snprintf(what, sizeof what, "deleting capture %lld", (long long)id);
    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return sto__step_fail(db, st, what, rc);
    sqlite3_reset(st);
    if (sqlite3_changes(db->h) == 0)
        return sto__fail(db, "%s: no such capture", what);
    if (++db->pending >= db->batch)
        return sto_commit(db);
    return 0;
}

/* Binds the fields that sto_capture_begin and _update share, at their own positions. */
static int sto__bind_capture_times(sqlite3_stmt *st, int first_idx, const struct sto_capture *c)
{
    int rc = SQLITE_OK;

    /* No packet, no time: NULL rather than 1970. */
    if (c->first_ns || c->last_ns) {
        rc |= sqlite3_bind_double(st, first_idx, sto__secs(c->first_ns));
        rc |= sqlite3_bind_double(st, first_idx + 1, sto__secs(c->last_ns));
    } else {
        rc |= sqlite3_bind_null(st, first_idx);
        rc |= sqlite3_bind_null(st, first_idx + 1);
    }
    rc |= sqlite3_bind_int64(st, first_idx + 2, sto__i64(c->packets));
    rc |= sqlite3_bind_int64(st, first_idx + 3, sto__i64(c->bytes));
    rc |= sqlite3_bind_int64(st, first_idx + 4, sto__i64(c->drops));
    rc |= sqlite3_bind_int64(st, first_idx + 5, sto__i64(c->warnings));
    return rc;
}

int sto_capture_begin(struct sto_db *db, struct sto_capture *c)
{
    sqlite3_stmt *st = db->st[STO__CAP_INSERT];
    const char *what = "inserting capture";
    int rc = SQLITE_OK;

    if (!c->source || !*c->source)
        return sto__fail(db, "%s: no source given", what);
    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    rc |= sqlite3_bind_text(st, 1, c->source, -1, SQLITE_TRANSIENT);
    rc |= sqlite3_bind_text(st, 2, c->kind ? c->kind : "file", -1, SQLITE_TRANSIENT);
    rc |= sto__bind_str(st, 3, c->sha256, 256);
    rc |= sqlite3_bind_int64(st, 4, sto__i64(c->file_bytes));
    rc |= sto__bind_str(st, 5, c->linktype, 256);
    rc |= sqlite3_bind_int(st, 6, c->linktype_num);
    rc |= sto__bind_capture_times(st, 7, c);
    rc |= sqlite3_bind_text(st, 13, c->version ? c->version : SS_VERSION_STRING, -1,
                            SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    if (sto__write(db, st, what) < 0)
        return -1;
    c->id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

int sto_capture_update(struct sto_db *db, const struct sto_capture *c)
{
    sqlite3_stmt *st = db->st[STO__CAP_UPDATE];
    char what[64];
    int rc = SQLITE_OK;

    snprintf(what, sizeof what, "updating capture %lld", (long long)c->id);
    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    rc |= sqlite3_bind_int64(st, 1, c->id);
    rc |= sqlite3_bind_int64(st, 2, sto__i64(c->file_bytes));
    rc |= sto__bind_str(st, 3, c->linktype, 256);
    rc |= sqlite3_bind_int(st, 4, c->linktype_num);
    rc |= sto__bind_capture_times(st, 5, c);
    rc |= sto__bind_str(st, 11, c->status, 64);
    rc |= sto__bind_str(st, 12, c->sha256, 256);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return sto__step_fail(db, st, what, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (sqlite3_changes(db->h) == 0)
        return sto__fail(db, "%s: no such capture", what);
    if (++db->pending >= db->batch)
        return sto_commit(db);
    return 0;
}

int sto_capture_stats_add(struct sto_db *db, int64_t capture_id, const struct sto_capture_stats *s)
{
    sqlite3_stmt *st = db->st[STO__CAP_STATS_INSERT];
    const char *what = "inserting capture statistics";
    int rc = SQLITE_OK;

    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sqlite3_bind_double(st, 2, sto__secs(s->at_ns));
    rc |= sqlite3_bind_double(st, 3, (double)s->interval_ns / 1e9);
    rc |= sqlite3_bind_int64(st, 4, sto__i64(s->packets));
    rc |= sqlite3_bind_int64(st, 5, sto__i64(s->bytes));
    if (s->has_pcap_stats) {
        rc |= sqlite3_bind_int64(st, 6, sto__i64(s->received));
        rc |= sqlite3_bind_int64(st, 7, sto__i64(s->dropped_kernel));
        rc |= sqlite3_bind_int64(st, 8, sto__i64(s->dropped_iface));
    } else {
        rc |= sqlite3_bind_null(st, 6);
        rc |= sqlite3_bind_null(st, 7);
        rc |= sqlite3_bind_null(st, 8);
    }
    rc |= sqlite3_bind_int64(st, 9, s->flows_active);
    if (s->has_evidence) {
        rc |= sqlite3_bind_int64(st, 10, sto__i64(s->evidence_packets));
        rc |= sqlite3_bind_int64(st, 11, sto__i64(s->evidence_lost));
    } else {
        rc |= sqlite3_bind_null(st, 10);
        rc |= sqlite3_bind_null(st, 11);
    }
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

int sto_flow_add(struct sto_db *db, int64_t capture_id, const struct dis_flow_rec *f,
                 const char *rule)
{
    sqlite3_stmt *st = db->st[STO__FLOW_INSERT];
    const char *what = "inserting flow";
    char pbuf[4];
    const char *state = NULL, *end = NULL;
    int rc = SQLITE_OK;

    if (sto__writable(db, what) < 0 || sto__begin(db, what) < 0)
        return -1;
    if (f->proto == DIS_IPPROTO_TCP && f->state != DIS_CS_NONE)
        state = dis_conn_state_name(f->state);
    if (f->end)
        end = dis_flow_end_name(f->end);

    rc |= sqlite3_bind_int64(st, 1, capture_id);
    rc |= sqlite3_bind_text(st, 2, sto__proto_name(f->proto, pbuf), -1, SQLITE_TRANSIENT);
    rc |= sto__bind_addr(st, 3, &f->orig);
    rc |= sqlite3_bind_int(st, 4, f->orig_port);
    rc |= sto__bind_addr(st, 5, &f->resp);
    rc |= sqlite3_bind_int(st, 6, f->resp_port);
    rc |= sqlite3_bind_double(st, 7, sto__secs(f->first_ns));
    rc |= sqlite3_bind_double(st, 8, sto__secs(f->last_ns));
    for (int d = 0; d < 2; d++) {
        rc |= sqlite3_bind_int64(st, 9 + d, sto__i64(f->pkts[d]));
        rc |= sqlite3_bind_int64(st, 11 + d, sto__i64(f->bytes[d]));
        rc |= sqlite3_bind_int64(st, 13 + d, sto__i64(f->payload[d]));
        /* A direction without packets has no TTL (the record holds 0/0). */
        if (f->pkts[d]) {
            rc |= sqlite3_bind_int(st, 18 + 2 * d, f->ttl_min[d]);
            rc |= sqlite3_bind_int(st, 19 + 2 * d, f->ttl_max[d]);
        } else {
            rc |= sqlite3_bind_null(st, 18 + 2 * d);
            rc |= sqlite3_bind_null(st, 19 + 2 * d);
        }
    }
    rc |= sto__bind_str(st, 15, state, 16);
    rc |= sto__bind_str(st, 16, f->history, sizeof f->history);
    if (f->rtt_ns >= 0)
        rc |= sqlite3_bind_double(st, 17, (double)f->rtt_ns * 1e-9);
    else
        rc |= sqlite3_bind_null(st, 17);
    rc |= sto__bind_str(st, 22, f->app, sizeof f->app);
    rc |= sto__bind_str(st, 23, f->category, sizeof f->category);
    rc |= sqlite3_bind_int64(st, 24, f->frags);
    rc |= sqlite3_bind_int64(st, 25, f->icmp_errors);
    if (f->icmp_errors) {
        rc |= sqlite3_bind_int(st, 26, f->icmp_type);
        rc |= sqlite3_bind_int(st, 27, f->icmp_code);
        rc |= sto__bind_addr(st, 28, &f->icmp_from);
        rc |= sqlite3_bind_double(st, 29, sto__secs(f->icmp_first_ns));
    } else {
        for (int i = 26; i <= 29; i++)
            rc |= sqlite3_bind_null(st, i);
    }
    rc |= sto__bind_str(st, 30, end, 32);
    rc |= sqlite3_bind_int(st, 31, f->vlan);
    if (f->id)
        rc |= sqlite3_bind_int64(st, 32, sto__i64(f->id));
    else
        rc |= sqlite3_bind_null(st, 32);
    rc |= sqlite3_bind_int64(st, 33, sto__i64(f->stun_dropped));
    rc |= sto__bind_str(st, 34, f->host, sizeof f->host);
    rc |= sqlite3_bind_int64(st, 35, sto__i64(f->channeldata));
    rc |= sqlite3_bind_int64(st, 36, sto__i64(f->stun_msgs));
    rc |= sto__bind_str(st, 37, rule, DIS_PROFILE_ID_LEN);
    if (rc != SQLITE_OK)
        return sto__step_fail(db, st, what, SQLITE_NOMEM);
    return sto__write(db, st, what);
}

/* ---- events ---- */
