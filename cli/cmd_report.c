/* SPDX-License-Identifier: MIT */
/* cmd_report.c - `sensoscope report`: reads the database only; text, Markdown, HTML, JSON, CSV. */
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
    "Prints a report from the database; it never reads packets. Sections: summary, the\n"
    "requirement checklist, routing methods, hosts, verdicts and sessions; with --details also\n"
    "flows, TLS, STUN and DNS. JSON follows the contract in docs/json.md.\n"
    "\n"
    "Options:\n"
    "  -d, --db PATH        database file (default " CLI_DEFAULT_DB ")\n"
    "      --format FMT     text (default), markdown (md), html (one self-contained file),\n"
    "                       json, or csv (one table: --table)\n"
    "      --table NAME     csv: flows, sessions, verdicts, hosts, checklist, tls, stun or dns\n"
    "  -o, --output FILE    write to FILE instead of standard output\n"
    "      --details        text, markdown, html: also list flows, TLS, STUN and DNS\n"
    "      --capture N      only capture N (see the captures listed in the report)\n"
    "      --host ADDR      only what involves ADDR (flows, sessions, verdicts, hosts)\n"
    "      --method N       only sessions of routing method N (1, 2 or 3)\n"
    "      --rule ID        only flows, verdicts and checklist rows of profile rule ID\n"
    "      --since TIME     only what was active at or after TIME (epoch seconds or\n"
    "                       YYYY-MM-DD[THH:MM[:SS]], UTC)\n"
    "      --until TIME     only what started at or before TIME\n"
    "      --anonymize      replace addresses and local names by consistent pseudonyms (the\n"
    "                       profile's cloud names are kept), so the report can leave the school\n"
    "      --max-flows N    text: list at most N flows (default 200; 0 = all)\n"
    "  -h, --help           this help\n"
    "\n"
    "Colour is used on a terminal unless NO_COLOR is set.\n";

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, 0, 'd'},
                                             {"format", required_argument, 0, 3001},
                                             {"output", required_argument, 0, 'o'},
                                             {"capture", required_argument, 0, 3002},
                                             {"host", required_argument, 0, 3003},
                                             {"since", required_argument, 0, 3004},
                                             {"until", required_argument, 0, 3005},
                                             {"max-flows", required_argument, 0, 3006},
                                             {"method", required_argument, 0, 3007},
                                             {"rule", required_argument, 0, 3008},
                                             {"anonymize", no_argument, 0, 3009},
                                             {"table", required_argument, 0, 3010},
                                             {"details", no_argument, 0, 3011},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
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
            } else if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md")) {
                ro.format = REP_MARKDOWN;
            } else if (!strcmp(optarg, "html")) {
                ro.format = REP_HTML;
            } else if (!strcmp(optarg, "csv")) {
                ro.format = REP_CSV;
            } else {
                fprintf(stderr,
                        "sensoscope report: --format: '%s' is not one of text, markdown, html, "
                        "json, csv\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 3007:
            if (cli_parse_u32("--method", optarg, 1, 3, &v))
                return EXIT_USAGE;
            ro.filter.method = (int)v;
            break;
        case 3008:
            ro.filter.rule = optarg;
            break;
        case 3009:
            ro.anonymize = 1;
            break;
        case 3010:
            ro.table = optarg;
            break;
        case 3011:
            ro.details = 1;
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
    static const char *const tables[] = {"flows", "sessions", "verdicts", "hosts", "checklist",
                                         "tls",   "stun",     "dns",      NULL};
    if (ro.format == REP_CSV || ro.table) {
        int ok = 0;
        for (int i = 0; ro.table && tables[i]; i++)
            ok |= !strcmp(ro.table, tables[i]);
        if (ro.format != REP_CSV || !ok) {
            fprintf(stderr, "sensoscope report: --format csv needs --table NAME (flows, sessions, "
                            "verdicts, hosts, checklist, tls, stun, dns), and --table needs "
                            "--format csv\n");
            return EXIT_USAGE;
        }
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
