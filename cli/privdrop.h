/* SPDX-License-Identifier: MIT */
/* privdrop.h - giving up root and capabilities once the capture handle is open, and refusing
 * database paths that another user controls while still root. Linux only (libcap, prctl). */
#ifndef SS_CLI_PRIVDROP_H
#define SS_CLI_PRIVDROP_H

#include <sys/types.h>

#include "ss/common.h"

/** The account named by --user USER[:GROUP], resolved before the capture is opened. */
struct cli_priv_user {
    uid_t uid;
    gid_t gid;
    char name[256]; /**< the passwd name, for initgroups() */
};

/**
 * Resolves @p spec ("USER" or "USER:GROUP"; names or numbers; USER must have a passwd entry;
 * GROUP defaults to USER's primary group) into @p u. Refuses uid 0. Returns 0, or -1 with a
 * message in @p err.
 */
int cli_priv_resolve(const char *spec, struct cli_priv_user *u, char err[SS_ERRBUF_SIZE]);

/**
 * Drops the process for good: with @p u, switches to its supplementary groups, gid and uid
 * (a no-op when already running as them), then, in every case, clears the capability bounding
 * set (when CAP_SETPCAP allows), the permitted, effective, inheritable and ambient sets, and
 * sets PR_SET_NO_NEW_PRIVS. Verifies the result: the real, effective and saved ids are @p u's,
 * setuid(0) fails, and no capability is left. Must be called while the process has one thread.
 * Returns 0, or -1 with a message in @p err (the caller must then exit).
 */
int cli_priv_drop(const struct cli_priv_user *u, char err[SS_ERRBUF_SIZE]);

/**
 * When the effective uid is 0, refuses (-1 with a message in @p err) a database @p path that
 * another user controls: an existing file, symlink, -wal, -shm or -journal owned by a non-root
 * user; a parent directory that is not root's, or is writable by group (other than root's) or
 * others, sticky or not; an ancestor directory that is not root's, or is writable by group or
 * others without the sticky bit. Returns 0 otherwise, and always for non-root. A check before
 * the open, not a guarantee against a concurrent change by root itself.
 */
int cli_db_path_check(const char *path, char err[SS_ERRBUF_SIZE]);

/** The same check for a directory root is about to create files in (--evidence DIR), and its
 *  ancestors; @p what names the files in the message. 0 for non-root and a missing DIR. */
int cli_dir_check(const char *dir, const char *what, char err[SS_ERRBUF_SIZE]);

#endif
