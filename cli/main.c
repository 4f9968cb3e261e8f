/* SPDX-License-Identifier: MIT */
/* main.c - the sensoscope executable: dispatches to the analyze, capture and report commands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "profile_opts.h"

static const char usage[] =
    "usage: sensoscope COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Finds out, from packets, whether a school network lets the Senso classroom-management\n"
    "product through: flows, their state and application, stored in an SQLite database.\n"
    "\n"
    "Commands:\n"
    "  analyze FILE...     read pcap/pcapng files (or - for standard input) into the database\n"
    "  capture -i IFACE    capture live from an interface into the database\n"
    "  report              print a report from the database (text or JSON)\n"
    "  rules               print the requirement profile flows are checked against\n"
    "\n"
    "  sensoscope COMMAND --help   options of a command\n"
    "  sensoscope --version        version and library versions\n"
    "\n"
    "Exit status: 0 success, 1 runtime error (unreadable input, database error),\n"
    "2 usage error. See docs/sensoscope.1.md.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("sensoscope %s (database schema %d)\n", SS_VERSION_STRING, sto_schema_version());
        return EXIT_OK;
    }
    if (!strcmp(cmd, "analyze") || !strcmp(cmd, "analyse"))
        return cmd_analyze(argc - 1, argv + 1);
    if (!strcmp(cmd, "capture"))
        return cmd_capture(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "rules"))
        return cmd_rules(argc - 1, argv + 1);
    fprintf(stderr, "sensoscope: unknown command '%s'\n\n%s", cmd, usage);
    return EXIT_USAGE;
}
