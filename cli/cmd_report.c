/* SPDX-License-Identifier: MIT */
/* cmd_report.c - `sensoscope report`: reads the database only, prints text or JSON. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report/rep.h"

static const char help[] =
    "usage: sensoscope report [OPTIONS]\n"
    "\n"
    "Prints a report from the database; it never reads packets. JSON follows the contract in\n"
    "docs/json.md.\n"
    "\n"
    "Options:\n"
    "  -d, --db PATH        database file (default " CLI_DEFAULT_DB ")\n"
    "      --format FMT     text (default) or json\n"
    "  -o, --output FILE    write to FILE instead of standard output\n"
    "      --capture N      only capture N (see the captures listed in the report)\n"
    "      --host ADDR      only flows with ADDR at either end\n"
    "      --since TIME     only flows active at or after TIME (epoch seconds or\n"
    "                       YYYY-MM-DD[THH:MM[:SS]], UTC)\n"
    "      --until TIME     only flows that started at or before TIME\n"
    "      --max-flows N    text: list at most N flows (default 200; 0 = all)\n"
    "  -h, --help           this help\n"
    "\n"
    "Colour is used on a terminal unless NO_COLOR is set.\n";

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, 0, 'd'},     {"format", required_argument, 0, 3001},
        {"output", required_argument, 0, 'o'}, {"capture", required_argument, 0, 3002},
        {"host", required_argument, 0, 3003},  {"since", required_argument, 0, 3004},
        {"until", required_argument, 0, 3005}, {"max-flows", required_argument, 0, 3006},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *dbpath = CLI_DEFAULT_DB, *outpath = NULL;
    struct rep_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = REP_TEXT;
    ro.max_flows = 200;
    uint32_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dbpath = optarg;
            break;
        case 'o':
            outpath = optarg;
            break;
        case 3001:
            if (!strcmp(optarg, "text")) {
                ro.format = REP_TEXT;
            } else if (!strcmp(optarg, "json")) {
                ro.format = REP_JSON;
            } else {
                fprintf(stderr, "sensoscope report: --format: '%s' is not one of text, json\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 3002:
            if (cli_parse_u32("--capture", optarg, 1, UINT32_MAX, &v))
                return EXIT_USAGE;
            ro.filter.capture_id = v;
            break;
        case 3003:
            ro.filter.host = optarg;
            break;
        case 3004:
            if (cli_parse_time("--since", optarg, &ro.filter.since))
                return EXIT_USAGE;
            break;
        case 3005:
            if (cli_parse_time("--until", optarg, &ro.filter.until))
                return EXIT_USAGE;
            break;
        case 3006:
            if (cli_parse_u32("--max-flows", optarg, 0, UINT32_MAX >> 1, &v))
                return EXIT_USAGE;
            ro.max_flows = (int)v;
            break;
        case 'h':
            fputs(help, stdout);
            return EXIT_OK;
        default:
            fputs(help, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sensoscope report: unexpected argument '%s'\n\n%s", argv[optind], help);
        return EXIT_USAGE;
    }
    char err[SS_ERRBUF_SIZE];
    struct sto_db *db = sto_open(dbpath, STO_READ_ONLY, err);
    if (!db) {
        fprintf(stderr, "sensoscope: %s\n", err);
        return EXIT_RUNTIME;
    }
    FILE *out = stdout;
    if (outpath) {
        out = fopen(outpath, "w");
        if (!out) {
            perror(outpath);
            sto_close(db, NULL);
            return EXIT_RUNTIME;
        }
    }
    /* A closed pipe (report | head) is a write error to report, not a fatal signal. */
    signal(SIGPIPE, SIG_IGN);
    const char *nc = getenv("NO_COLOR");
    ro.color = ro.format == REP_TEXT && !outpath && isatty(STDOUT_FILENO) && !(nc && nc[0]);
    int rc = EXIT_OK;
    if (rep_write(db, &ro, out, err) < 0) {
        fprintf(stderr, "sensoscope: report: %s\n", err);
        rc = EXIT_RUNTIME;
    }
    if (outpath && fclose(out) != 0) {
        perror(outpath);
        rc = EXIT_RUNTIME;
    }
    sto_close(db, NULL);
    return rc;
}
