/* SPDX-License-Identifier: MIT */
/* rep.h - reports over the database: text for a terminal, JSON per the contract in docs/. */
#ifndef REP_REP_H
#define REP_REP_H

#include <stdio.h>

#include "ss/common.h"
#include "store/sto.h"

enum rep_format {
    REP_TEXT = 0, /**< aligned text for a terminal (default) */
    REP_JSON,     /**< one JSON object, the contract of docs/json.md */
    REP_MARKDOWN, /**< Markdown that pastes into a ticket */
    REP_HTML,     /**< one self-contained HTML file: inline CSS and SVG, no scripts */
    REP_CSV       /**< one table (rep_opts.table) as RFC 4180 CSV */
};

/** Report options. */
struct rep_opts {
    enum rep_format format;
    struct sto_filter filter;
    int color;         /**< 1 to use ANSI colour (caller decides: terminal and no NO_COLOR) */
    int max_flows;     /**< text: flows listed in the table (0 = all) */
    int anonymize;     /**< replace addresses and local names by consistent pseudonyms; the
                            profile's cloud names are kept */
    const char *table; /**< CSV: which table ("flows", "sessions", "verdicts", "hosts",
                            "checklist", "tls", "stun", "dns") */
    int details;       /**< text, Markdown, HTML: also the detail sections (flows, TLS, STUN,
                            DNS); the summary sections are always there */
};

/**
 * Writes the report of @p db to @p out. JSON is encoded and written record by record, so
 * memory does not grow with the number of flows. All queries run in one read snapshot
 * (sto_read_begin), so the sections agree while another process writes. Returns 0, or -1
 * with a message in @p err (database error, write error such as a full disk or closed pipe;
 * out is flushed and checked). A closed pipe is only reported if the caller ignores SIGPIPE.
 */
int rep_write(struct sto_db *db, const struct rep_opts *o, FILE *out, char err[SS_ERRBUF_SIZE]);

#endif
