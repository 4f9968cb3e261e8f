/* SPDX-License-Identifier: MIT */
/*
 * profile_opts.h - private to the executable: the requirement-profile options that rules,
 * analyze and capture share (--profile, --local-net, --issuers), loading the profile and the
 * inspection-issuer list they name, and the `rules` command.
 */
#ifndef SS_CLI_PROFILE_OPTS_H
#define SS_CLI_PROFILE_OPTS_H

#include <stddef.h>

#include "dissect/profile.h"
#include "ss/common.h"

/** At most this many --local-net options. */
#define CLI_PROFILE_MAX_LOCAL_NETS 64

/** The profile options as given; the strings are borrowed from argv. */
struct cli_profile_args {
    const char *profile_path;                           /**< --profile FILE, or NULL: built-in */
    const char *local_nets[CLI_PROFILE_MAX_LOCAL_NETS]; /**< --local-net CIDR, in order */
    size_t n_local_nets;
    const char *issuers_path; /**< --issuers FILE, appended to the shipped list, or NULL */
};

/**
 * Handles one profile option (getopt_long code @p c, its argument @p arg). Returns 1 if @p c
 * was one, 0 if not, -1 on a bad use (too many --local-net; the message is printed).
 */
int cli_profile_option(struct cli_profile_args *a, int c, const char *arg);

/** The getopt_long entries of the profile options (codes 1101-1103). */
/* clang-format off */
#define CLI_PROFILE_LONGOPTS                                  \
    {"profile", required_argument, 0, 1101},                  \
    {"local-net", required_argument, 0, 1102},                \
    {"issuers", required_argument, 0, 1103}
/* clang-format on */

/** Help text of the profile options, a block to print after a command's own options. */
extern const char cli_profile_help[];

/**
 * Loads what @p a names: the profile (--profile, else the built-in default) with the
 * --local-net networks added, into @p *prof; the shipped inspection-issuer list (see
 * cli_profile_find_issuers) with --issuers appended, into @p *iss. Free them with
 * dis_profile_free() and dis_issuers_free(). Returns 0, or -1 with both NULL and @p err saying
 * what failed: a file that cannot be read (with strerror), "FILE:LINE: ..." for a parse error,
 * "--local-net: ..." for a bad network, or where the shipped list was looked for.
 */
int cli_profile_load(const struct cli_profile_args *a, struct dis_profile **prof,
                     struct dis_issuers **iss, char err[SS_ERRBUF_SIZE]);

/**
 * Finds the shipped inspection-issuers.tsv: in $SENSOSCOPE_DATADIR when that is set (and only
 * there), else in the installed data directory, else in the source tree (running from a build
 * directory). Writes its path to @p path. Returns 0, or -1 with @p err listing the places
 * tried.
 */
int cli_profile_find_issuers(char *path, size_t size, char err[SS_ERRBUF_SIZE]);

/**
 * Reads the issuers file @p path and appends its pairs to @p *io (created when NULL).
 * Returns 0, or -1 with @p err (unreadable file, "FILE:LINE: ..."); @p *io is kept as it was.
 */
int cli_issuers_load_file(const char *path, struct dis_issuers **io, char err[SS_ERRBUF_SIZE]);

/** `sensoscope rules`: prints the active profile. Returns an exit code. */
int cmd_rules(int argc, char **argv);

#endif
