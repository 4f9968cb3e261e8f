/* SPDX-License-Identifier: MIT */
/* cmd_capture.c - `sensoscope capture -i IFACE`: live capture into the database. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char help[] =
    "usage: sensoscope capture -i IFACE [OPTIONS] [BPF FILTER]\n"
    "\n"
    "Captures live from IFACE (a mirror/SPAN port or this host's interface) and stores flows\n"
    "in the database as they end, committing at least every --commit-interval seconds.\n"
    "SIGINT and SIGTERM stop the capture, store every open flow and exit 0.\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE  interface to capture on (see --list-interfaces)\n"
    "  -F, --filter EXPR      BPF filter, as tcpdump's (a trailing expression works too)\n"
    "  -d, --db PATH          database file (default " CLI_DEFAULT_DB ")\n"
    "      --duration S       stop after S seconds\n"
    "  -c, --count N          stop after N packets\n"
    "  -s, --snaplen N        bytes kept per packet (default 262144)\n"
    "  -B, --buffer MB        kernel capture buffer in MiB (default 64)\n"
    "      --no-promisc       do not put the interface in promiscuous mode\n"
    "      --commit-interval S  longest time flows wait before being committed (default 5)\n"
    "  -L, --list-interfaces  list the interfaces that can be captured on, and exit\n"
    "  -q, --quiet            no summary\n"
    "  -h, --help             this help\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static size_t join_args(char *buf, size_t len, int argc, char **argv)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc; i++) {
        int w = snprintf(buf + n, len - n, "%s%s", i ? " " : "", argv[i]);
        if (w < 0 || (size_t)w >= len - n)
            return 0;
        n += (size_t)w;
    }
    return n;
}

int cmd_capture(int argc, char **argv)
{
    static const struct option longopts[] = {{"interface", required_argument, 0, 'i'},
                                             {"filter", required_argument, 0, 'F'},
                                             {"db", required_argument, 0, 'd'},
                                             {"duration", required_argument, 0, 2001},
                                             {"count", required_argument, 0, 'c'},
                                             {"snaplen", required_argument, 0, 's'},
                                             {"buffer", required_argument, 0, 'B'},
                                             {"no-promisc", no_argument, 0, 2002},
                                             {"commit-interval", required_argument, 0, 2003},
                                             {"list-interfaces", no_argument, 0, 'L'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             CLI_ENGINE_LONGOPTS,
                                             {0, 0, 0, 0}};
    const char *iface = NULL, *dbpath = CLI_DEFAULT_DB, *filter = NULL;
    uint32_t duration = 0, count = 0, snaplen = 0, buffer = 0, commit_s = 5;
    int promisc = 1, quiet = 0, list = 0, c;
    struct cli_engine_args ea;
    cli_engine_defaults(&ea);
    char errbuf[SS_ERRBUF_SIZE];
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:F:d:c:s:B:Lqh", longopts, NULL)) != -1) {
        int r = cli_engine_option(&ea, c, optarg);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        switch (c) {
        case 'i':
            iface = optarg;
            break;
        case 'F':
            filter = optarg;
            break;
        case 'd':
            dbpath = optarg;
            break;
        case 2001:
            if (cli_parse_u32("--duration", optarg, 1, 365u * 86400, &duration))
                return EXIT_USAGE;
            break;
        case 'c':
            if (cli_parse_u32("--count", optarg, 1, UINT32_MAX, &count))
                return EXIT_USAGE;
            break;
        case 's':
            if (cli_parse_u32("--snaplen", optarg, 64, 262144, &snaplen))
                return EXIT_USAGE;
            break;
        case 'B':
            if (cli_parse_u32("--buffer", optarg, 1, 4096, &buffer))
                return EXIT_USAGE;
            break;
        case 2002:
            promisc = -1;
            break;
        case 2003:
            if (cli_parse_u32("--commit-interval", optarg, 1, 3600, &commit_s))
                return EXIT_USAGE;
            break;
        case 'L':
            list = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            return cli_help_with_engine(help);
        default:
            fputs(help, stderr);
            return EXIT_USAGE;
        }
    }
    if (list) {
        if (cap_list_interfaces(stdout, errbuf) < 0) {
            fprintf(stderr, "sensoscope: %s\n", errbuf);
            return EXIT_RUNTIME;
        }
        return EXIT_OK;
    }
    char filterbuf[4096];
    if (optind < argc) {
        if (filter) {
            fprintf(stderr, "sensoscope capture: give the filter either with --filter or as "
                            "trailing arguments, not both\n");
            return EXIT_USAGE;
        }
        if (!join_args(filterbuf, sizeof filterbuf, argc - optind, argv + optind)) {
            fprintf(stderr, "sensoscope capture: filter expression too long\n");
            return EXIT_USAGE;
        }
        filter = filterbuf;
    }
    if (!iface) {
        fprintf(stderr, "sensoscope capture: no interface given (-i IFACE)\n\n%s", help);
        return EXIT_USAGE;
    }

    struct cap_live_opts lo = {.snaplen = (int)snaplen,
                               .buffer_mb = (int)buffer,
                               .promisc = promisc,
                               .immediate = 1,
                               .filter = filter};
    if (cli_trust_store_load(&ea, errbuf) < 0) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        return EXIT_RUNTIME;
    }
    struct cap *cp = cap_open_live(iface, &lo, errbuf);
    if (!cp) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        cli_trust_store_free(&ea);
        return EXIT_RUNTIME;
    }
    if (errbuf[0])
        fprintf(stderr, "sensoscope: warning: %s\n", errbuf);

    struct sto_db *db = sto_open(dbpath, STO_READ_WRITE, errbuf);
    if (!db) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        cap_close(cp);
        cli_trust_store_free(&ea);
        return EXIT_RUNTIME;
    }
    struct cli_run run;
    memset(&run, 0, sizeof run);
    run.db = db;
    run.cap.source = iface;
    run.cap.kind = "live";
    run.cap.linktype = cap_linktype_name(cp);
    run.cap.linktype_num = cap_linktype(cp);
    run.cap.status = "running";
    run.cap.version = SS_VERSION_STRING;
    int rc = EXIT_OK;
    if (sto_capture_begin(db, &run.cap) < 0 || sto_commit(db) < 0) {
        fprintf(stderr, "sensoscope: %s: %s\n", dbpath, sto_errstr(db));
        cap_close(cp);
        sto_close(db, NULL);
        cli_trust_store_free(&ea);
        return EXIT_RUNTIME;
    }
    if (cli_run_start(&run, &ea, errbuf) < 0) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        cap_close(cp);
        sto_close(db, NULL);
        cli_trust_store_free(&ea);
        return EXIT_RUNTIME;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (!quiet)
        fprintf(stderr, "sensoscope: capturing on %s (link type %s)%s%s into %s\n", iface,
                cap_linktype_name(cp), filter ? ", filter: " : "", filter ? filter : "", dbpath);
    uint64_t start = wall_ns(), last_commit = start;
    uint64_t commit_ns = (uint64_t)commit_s * 1000000000ULL;
    uint64_t drops_reported = 0;
    int linktype = cap_linktype(cp);
    struct cap_frame fr;
    while (!stop_requested) {
        enum cap_result r = cap_next(cp, &fr);
        uint64_t now = wall_ns();
        if (r == CAP_FRAME) {
            if (run.cap.packets == 0 || fr.ts_ns < run.cap.first_ns)
                run.cap.first_ns = fr.ts_ns;
            if (fr.ts_ns > run.cap.last_ns)
                run.cap.last_ns = fr.ts_ns;
            run.cap.packets++;
            run.cap.bytes += fr.wirelen;
            if (dis_engine_packet(run.eng, linktype, fr.ts_ns, fr.data, fr.caplen, fr.wirelen) <
                0) {
                rc = EXIT_RUNTIME;
                break;
            }
        } else if (r == CAP_TIMEOUT) {
            if (dis_engine_tick(run.eng, now) < 0) {
                rc = EXIT_RUNTIME;
                break;
            }
        } else if (r == CAP_BREAK) {
            break;
        } else {
            fprintf(stderr, "sensoscope: %s\n", cap_errstr(cp));
            rc = EXIT_RUNTIME;
            break;
        }
        if (now - last_commit >= commit_ns) {
            struct cap_stats cs;
            if (cap_stats(cp, &cs) == 0) {
                run.cap.drops = cs.dropped_kernel + cs.dropped_iface;
                if (run.cap.drops > drops_reported) {
                    fprintf(
                        stderr,
                        "sensoscope: warning: %llu packets dropped so far (kernel %llu, "
                        "interface %llu): raise --buffer, or narrow the capture with a filter\n",
                        (unsigned long long)run.cap.drops, (unsigned long long)cs.dropped_kernel,
                        (unsigned long long)cs.dropped_iface);
                    drops_reported = run.cap.drops;
                }
            }
            if (sto_capture_update(db, &run.cap) < 0 || sto_commit(db) < 0) {
                run.store_failed = 1;
                rc = EXIT_RUNTIME;
                break;
            }
            last_commit = now;
        }
        if ((count && run.cap.packets >= count) ||
            (duration && now - start >= (uint64_t)duration * 1000000000ULL))
            break;
    }
    if (run.store_failed)
        fprintf(stderr, "sensoscope: storing flows failed: %s\n", sto_errstr(db));
    struct cap_stats cs;
    if (cap_stats(cp, &cs) == 0)
        run.cap.drops = cs.dropped_kernel + cs.dropped_iface;
    run.cap.status = rc == EXIT_OK ? "complete" : "interrupted";
    if (cli_run_finish(&run, errbuf) < 0) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        rc = EXIT_RUNTIME;
    }
    cap_close(cp);
    if (sto_close(db, errbuf) < 0) {
        fprintf(stderr, "sensoscope: %s: %s\n", dbpath, errbuf);
        rc = EXIT_RUNTIME;
    }
    if (!quiet) {
        char hb[32];
        fprintf(stderr,
                "sensoscope: %llu packets, %s, %llu flows (%llu tcp, %llu udp, %llu other), "
                "%llu dropped; stored as capture %lld\n",
                (unsigned long long)run.cap.packets, cli_human_bytes(run.cap.bytes, hb, sizeof hb),
                (unsigned long long)run.flows, (unsigned long long)run.flows_tcp,
                (unsigned long long)run.flows_udp, (unsigned long long)run.flows_other,
                (unsigned long long)run.cap.drops, (long long)run.cap.id);
    }
    cli_trust_store_free(&ea);
    return rc;
}
