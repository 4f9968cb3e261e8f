/* SPDX-License-Identifier: MIT */
/* privdrop.c - root and capabilities given up after the capture is open; database paths
 * another user controls refused while root. See docs/daemon.md. */
/* initgroups(), setgroups(), setres[ug]id() and getres[ug]id() are not in POSIX. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privdrop.h"

/* Parses a whole decimal id; -1 if @p s is not one. */
static long parse_id(const char *s)
{
    char *end;
    if (!*s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v >= (unsigned long)INT_MAX)
        return -1;
    return (long)v;
}

int cli_priv_resolve(const char *spec, struct cli_priv_user *u, char err[SS_ERRBUF_SIZE])
{
    char user[256];
    const char *colon = strchr(spec, ':');
    size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (ulen == 0 || ulen >= sizeof user || (colon && !colon[1])) {
        snprintf(err, SS_ERRBUF_SIZE, "--user %.200s: expected USER or USER:GROUP", spec);
        return -1;
    }
    memcpy(user, spec, ulen);
    user[ulen] = '\0';
    errno = 0;
    struct passwd *pw = getpwnam(user);
    long id = parse_id(user);
    if (!pw && id >= 0)
        pw = getpwuid((uid_t)id);
    if (!pw) {
        snprintf(err, SS_ERRBUF_SIZE, "--user: no such user '%.200s'%s%s", user, errno ? ": " : "",
                 errno ? strerror(errno) : "");
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, SS_ERRBUF_SIZE,
                 "--user %.200s: that is root; give an unprivileged account (e.g. sensoscope)",
                 user);
        return -1;
    }
    if (strlen(pw->pw_name) >= sizeof u->name) {
        snprintf(err, SS_ERRBUF_SIZE, "--user: user name too long");
        return -1;
    }
    u->uid = pw->pw_uid;
    u->gid = pw->pw_gid;
    snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
    if (colon) {
        errno = 0;
        struct group *gr = getgrnam(colon + 1);
        long gid = parse_id(colon + 1);
        if (!gr && gid >= 0)
            gr = getgrgid((gid_t)gid);
        if (!gr) {
            snprintf(err, SS_ERRBUF_SIZE, "--user: no such group '%.200s'", colon + 1);
            return -1;
        }
        u->gid = gr->gr_gid;
    }
    return 0;
}

/* Empties the bounding set when CAP_SETPCAP allows it (root; not a setcap'd binary). */
static int drop_bounding(char err[SS_ERRBUF_SIZE])
{
    cap_t cur = cap_get_proc();
    cap_flag_value_t setpcap = CAP_CLEAR;
    if (!cur || cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "reading capabilities: %s", strerror(errno));
        cap_free(cur);
        return -1;
    }
    cap_free(cur);
    if (setpcap != CAP_SET)
        return 0;
    for (int c = 0; c < (int)cap_max_bits(); c++) {
        if (CAP_IS_SUPPORTED(c) && cap_drop_bound((cap_value_t)c) < 0) {
            snprintf(err, SS_ERRBUF_SIZE, "dropping capability %d from the bounding set: %s", c,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int switch_user(const struct cli_priv_user *u, char err[SS_ERRBUF_SIZE])
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "reading user ids: %s", strerror(errno));
        return -1;
    }
    if (ru == u->uid && eu == u->uid && su == u->uid && rg == u->gid && eg == u->gid &&
        sg == u->gid)
        return 0; /* already that user (e.g. systemd User=); nothing to switch */
    if (initgroups(u->name, u->gid) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "--user %s: setting its groups: %s%s", u->name,
                 strerror(errno), errno == EPERM ? " (switching user needs root)" : "");
        return -1;
    }
    /* The group first: once the uid is no longer 0 the gid can no longer be changed. */
    if (setresgid(u->gid, u->gid, u->gid) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "--user %s: setgid(%lu): %s", u->name, (unsigned long)u->gid,
                 strerror(errno));
        return -1;
    }
    if (setresuid(u->uid, u->uid, u->uid) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "--user %s: setuid(%lu): %s", u->name, (unsigned long)u->uid,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int verify_dropped(const struct cli_priv_user *u, char err[SS_ERRBUF_SIZE])
{
    if (u) {
        uid_t ru, eu, su;
        gid_t rg, eg, sg;
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != u->uid ||
            eu != u->uid || su != u->uid || rg != u->gid || eg != u->gid || sg != u->gid) {
            snprintf(err, SS_ERRBUF_SIZE, "--user %s: the user or group ids did not all change",
                     u->name);
            return -1;
        }
        /* The switch must be one-way: a saved root id or a capability would let it back. */
        if (setuid(0) == 0 || (u->gid != 0 && setgid(0) == 0)) {
            snprintf(err, SS_ERRBUF_SIZE, "--user %s: root could be regained after the switch",
                     u->name);
            return -1;
        }
    }
    cap_t cur = cap_get_proc(), none = cap_init();
    int same = cur && none && cap_compare(cur, none) == 0;
    cap_free(cur);
    cap_free(none);
    if (!same) {
        snprintf(err, SS_ERRBUF_SIZE, "capabilities are left after clearing them");
        return -1;
    }
    return 0;
}

int cli_priv_drop(const struct cli_priv_user *u, char err[SS_ERRBUF_SIZE])
{
    if (drop_bounding(err) < 0)
        return -1;
    if (u && switch_user(u, err) < 0)
        return -1;
    /* setuid() away from root already cleared the sets; this covers root without --user and
     * a binary given capabilities with setcap or systemd's AmbientCapabilities=. */
    cap_t none = cap_init();
    if (!none || cap_set_proc(none) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "clearing capabilities: %s", strerror(errno));
        cap_free(none);
        return -1;
    }
    cap_free(none);
    if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "clearing ambient capabilities: %s", strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return -1;
    }
    return verify_dropped(u, err);
}

/* Another user than root controls @p st (a file or the directory it is in). */
static int foreign_owner(const struct stat *st)
{
    return st->st_uid != 0;
}

static int check_file(const char *path, char err[SS_ERRBUF_SIZE])
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return 0; /* absent: SQLite creates it, as root, in a directory checked below */
    if (foreign_owner(&st) || (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && foreign_owner(&st))) {
        snprintf(err, SS_ERRBUF_SIZE,
                 "%.200s is owned by uid %lu: refusing to write as root to a file another "
                 "user controls; run with --user, or give the file to root",
                 path, (unsigned long)st.st_uid);
        return -1;
    }
    return 0;
}

/* @p dir and its ancestors: refused when another user could replace what root writes in it
 * (see cli_db_path_check). A missing directory passes: opening it reports that. */
static int dir_chain_check(const char *dir, const char *what, char err[SS_ERRBUF_SIZE])
{
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return 0;
    for (int first = 1;; first = 0) {
        struct stat st;
        if (stat(real, &st) < 0) {
            snprintf(err, SS_ERRBUF_SIZE, "%.200s: %s", real, strerror(errno));
            return -1;
        }
        int sticky = (st.st_mode & S_ISVTX) != 0;
        int writable = (st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0);
        /* In the target directory itself even a sticky bit does not help: another user can
         * create a name we are about to create. Above it, sticky stops renaming ours. */
        if (foreign_owner(&st) || (writable && (first || !sticky))) {
            snprintf(err, SS_ERRBUF_SIZE,
                     "refusing to write %s as root under %.200s (%s%s, mode %04o): "
                     "another user can replace files there; use a directory only root can "
                     "write to (e.g. /var/lib/sensoscope), or run with --user",
                     what, real,
                     foreign_owner(&st) ? "owned by another user" : "writable by others",
                     sticky ? ", sticky" : "", (unsigned)(st.st_mode & 07777));
            return -1;
        }
        if (strcmp(real, "/") == 0)
            return 0;
        char *s = strrchr(real, '/');
        if (s == real)
            s[1] = '\0';
        else
            *s = '\0';
    }
}

int cli_db_path_check(const char *path, char err[SS_ERRBUF_SIZE])
{
    if (geteuid() != 0)
        return 0;
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char buf[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        if ((size_t)snprintf(buf, sizeof buf, "%s%s", path, suffix[i]) >= sizeof buf) {
            snprintf(err, SS_ERRBUF_SIZE, "--db: path too long");
            return -1;
        }
        if (check_file(buf, err) < 0)
            return -1;
    }
    /* The directory the database (and SQLite's -wal/-shm) is created in. */
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    return dir_chain_check(dir, "the database", err);
}

int cli_dir_check(const char *dir, const char *what, char err[SS_ERRBUF_SIZE])
{
    if (geteuid() != 0)
        return 0;
    return dir_chain_check(dir, what, err);
}
