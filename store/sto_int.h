/* SPDX-License-Identifier: MIT */
/* sto_int.h - private to store/: the ordered list of schema migrations (schema.c). */
#ifndef STO_STO_INT_H
#define STO_STO_INT_H

/** PRAGMA application_id of a sensoscope database ("SSCP"), set by the first migration. */
#define STO__APPLICATION_ID 0x53534350

/**
 * One schema migration: the SQL (one or more statements) that takes the schema from version
 * N-1 to N, where N is the entry's 1-based position in the list. @c what names it in errors.
 */
struct sto__migration {
    const char *what;
    const char *sql;
};

/** The migrations, oldest first; sets @p count (== sto_schema_version()). Static table. */
const struct sto__migration *sto__migrations(int *count);

#endif
