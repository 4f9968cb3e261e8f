/* SPDX-License-Identifier: MIT */
/*
 * profile_opts.c - the shared requirement-profile options (--profile, --local-net,
 * --issuers): reading the files they name and handing the text to the pure parsers in
 * dissect/ (profile.c, issuers.c), and finding the shipped inspection-issuers.tsv.
 */
#include "profile_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef SS_DATADIR_INSTALL
#define SS_DATADIR_INSTALL "/usr/local/share/sensoscope"
#endif
#ifndef SS_DATADIR_SOURCE
#define SS_DATADIR_SOURCE "data"
#endif

#define ISSUERS_FILE "inspection-issuers.tsv"
#define PROFILE_MAX_FILE (1024 * 1024) /* both formats are a few kB; more is a wrong file */

const char cli_profile_help[] =
    "Requirement profile:\n"
    "      --profile FILE       the profile to check against (docs/profile.md) instead of the\n"
    "                           built-in one (the vendor's list; see: sensoscope rules)\n"
    "      --local-net CIDR     also treat CIDR (10.20.0.0/16, 2001:db8:5::/48, or one\n"
    "                           address) as the school network; repeatable\n"
    "      --issuers FILE       more HTTPS-inspection products: vendor<TAB>issuer pattern\n"
    "                           lines, added to the shipped list\n";

int cli_profile_option(struct cli_profile_args *a, int c, const char *arg)
{
    switch (c) {
    case 1101:
        a->profile_path = arg;
        return 1;
    case 1102:
        if (a->n_local_nets == CLI_PROFILE_MAX_LOCAL_NETS) {
            fprintf(stderr, "sensoscope: --local-net: at most %d networks\n",
                    CLI_PROFILE_MAX_LOCAL_NETS);
            return -1;
        }
        a->local_nets[a->n_local_nets++] = arg;
        return 1;
    case 1103:
        a->issuers_path = arg;
        return 1;
    default:
        return 0;
    }
}

/* Reads all of @p path into a new buffer (not NUL-terminated). @p what names the file's role
 * in messages. Returns 0, or -1 with @p err. */
static int read_file(const char *path, const char *what, char **out, size_t *len,
                     char err[SS_ERRBUF_SIZE])
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, SS_ERRBUF_SIZE, "cannot read %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    char *buf = malloc(PROFILE_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, SS_ERRBUF_SIZE, "out of memory reading %s '%s'", what, path);
        return -1;
    }
    size_t n = fread(buf, 1, PROFILE_MAX_FILE + 1, f);
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (rerr) {
        free(buf);
        snprintf(err, SS_ERRBUF_SIZE, "cannot read %s '%s': %s", what, path, strerror(rerr));
        return -1;
    }
    if (n > PROFILE_MAX_FILE) {
        free(buf);
        snprintf(err, SS_ERRBUF_SIZE, "%s '%s' is larger than %d bytes: not a %s?", what, path,
                 PROFILE_MAX_FILE, what);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

int cli_profile_find_issuers(char *path, size_t size, char err[SS_ERRBUF_SIZE])
{
    const char *env = getenv("SENSOSCOPE_DATADIR");
    if (env && env[0]) {
        snprintf(path, size, "%s/%s", env, ISSUERS_FILE);
        if (access(path, R_OK) == 0)
            return 0;
        snprintf(err, SS_ERRBUF_SIZE, "cannot read %s (SENSOSCOPE_DATADIR is set): %s", path,
                 strerror(errno));
        return -1;
    }
    static const char *const dirs[] = {SS_DATADIR_INSTALL, SS_DATADIR_SOURCE};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, size, "%s/%s", dirs[i], ISSUERS_FILE);
        if (access(path, R_OK) == 0)
            return 0;
    }
    snprintf(err, SS_ERRBUF_SIZE,
             "the list of inspection products (%s) is in neither %s nor %s; set "
             "SENSOSCOPE_DATADIR to the directory that holds it",
             ISSUERS_FILE, SS_DATADIR_INSTALL, SS_DATADIR_SOURCE);
    path[0] = '\0';
    return -1;
}

int cli_issuers_load_file(const char *path, struct dis_issuers **io, char err[SS_ERRBUF_SIZE])
{
    char *text;
    size_t len;
    if (read_file(path, "inspection issuers file", &text, &len, err) < 0)
        return -1;
    int rc = dis_issuers_parse(text, len, path, io, err);
    free(text);
    return rc;
}

int cli_profile_load(const struct cli_profile_args *a, struct dis_profile **prof,
                     struct dis_issuers **iss, char err[SS_ERRBUF_SIZE])
{
    *prof = NULL;
    *iss = NULL;
    struct dis_profile *p = NULL;
    struct dis_issuers *l = NULL;
    char why[SS_ERRBUF_SIZE];
    char path[4096];
    if (a->profile_path) {
        char *text;
        size_t len;
        if (read_file(a->profile_path, "profile", &text, &len, err) < 0)
            return -1;
        int rc = dis_profile_parse(text, len, a->profile_path, &p, err);
        free(text);
        if (rc < 0)
            return -1;
    } else if (dis_profile_default(&p, err) < 0) {
        return -1;
    }
    for (size_t i = 0; i < a->n_local_nets; i++) {
        if (dis_profile_add_local_net(p, a->local_nets[i], why) < 0) {
            snprintf(err, SS_ERRBUF_SIZE, "--local-net: %.400s", why);
            goto fail;
        }
    }
    if (cli_profile_find_issuers(path, sizeof path, err) < 0)
        goto fail;
    if (cli_issuers_load_file(path, &l, err) < 0)
        goto fail;
    if (a->issuers_path && cli_issuers_load_file(a->issuers_path, &l, err) < 0)
        goto fail;
    *prof = p;
    *iss = l;
    return 0;
fail:
    dis_profile_free(p);
    dis_issuers_free(l);
    return -1;
}
