/* SPDX-License-Identifier: MIT */
/*
 * sto_profile.c - SQLite storage: sto_rules_set, the profile a capture was analysed with. Alone
 * in its file because it is the store's only caller of the profile accessors (dissect/profile.c).
 */
#define _POSIX_C_SOURCE 200809L

#include "store/sto.h"

#include <stdio.h>

#include <sqlite3.h>

#include "sto_int.h"

int sto_rules_set(struct sto_db *db, int64_t capture_id, const struct dis_profile *p)
{
    char what[64];
    size_t n = dis_profile_rule_count(p);
    int rc;

    snprintf(what, sizeof what, "storing the profile of capture %lld", (long long)capture_id);
    if (sto__write_start(db, what) < 0)
        return -1;
    rc = sto__exec_capture(db, STO__CAP_PROFILE, capture_id, dis_profile_name(p), what);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return sto__fail(db, "%s: no such capture", what);
    if (sto__exec_capture(db, STO__RULES_CLEAR, capture_id, NULL, what) < 0)
        return -1;
    for (size_t i = 0; i < n && i < DIS_PROFILE_MAX_RULES; i++) {
        const struct dis_profile_rule *r = dis_profile_rule_at(p, i);

        if (r && sto_rule_add(db, capture_id, (int)i, r) < 0)
            return -1;
    }
    return 0;
}
