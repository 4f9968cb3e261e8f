/* SPDX-License-Identifier: MIT */
/* cmd_analyze.c - `sensoscope analyze FILE...`: offline capture files into the database. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
    "usage: sensoscope analyze [OPTIONS] FILE...\n"
    "\n"
    "Reads pcap and pcapng files (- reads standard input) and stores their captures and flows\n"
    "in the database. A file already in the database (same SHA-256) is skipped unless --force.\n"
    "A truncated or corrupt file is a warning: everything before the damage is kept.\n"
    "\n"
    "Options:\n"
    "  -d, --db PATH        database file (default " CLI_DEFAULT_DB ")\n"
    "  -f, --force          analyse files again that the database already has (replaces them)\n"
    "  -q, --quiet          no progress and no summary\n"
    "  -h, --help           this help\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
    time_t s = (time_t)(ns / 1000000000ULL);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

struct totals {
    uint64_t files, packets, bytes, flows, warnings, skipped, failed;
};

/* Analyses one file. Returns 0, 1 when skipped, -1 on a runtime error (already reported). */
static int analyze_one(struct sto_db *db, const char *path, const struct cli_engine_args *ea,
                       int force, int quiet, struct totals *tot)
{
    char err[SS_ERRBUF_SIZE] = "";
    char sha[65] = "";
    int is_stdin = !strcmp(path, "-");

    struct cap *c = cap_open_file(path, err);
    if (!c) {
        fprintf(stderr, "sensoscope: %s\n", err);
        return -1;
    }
    if (!is_stdin) {
        if (cap_file_sha256(path, sha, err) < 0) {
            fprintf(stderr, "sensoscope: %s\n", err);
            cap_close(c);
            return -1;
        }
        int64_t old;
        int found = sto_capture_find_sha256(db, sha, &old);
        if (found < 0) {
            fprintf(stderr, "sensoscope: %s: %s\n", path, sto_errstr(db));
            cap_close(c);
            return -1;
        }
        if (found && !force) {
            if (!quiet)
                printf("%s: already in the database as capture %lld; skipped (use --force to "
                       "analyse it again)\n",
                       path, (long long)old);
            cap_close(c);
            return 1;
        }
        if (found && sto_capture_delete(db, old) < 0) {
            fprintf(stderr, "sensoscope: %s: removing the earlier analysis: %s\n", path,
                    sto_errstr(db));
            cap_close(c);
            return -1;
        }
    }

    struct cli_run run;
    memset(&run, 0, sizeof run);
    run.db = db;
    run.cap.source = path;
    run.cap.kind = "file";
    run.cap.sha256 = sha[0] ? sha : NULL;
    run.cap.file_bytes = cap_file_size(c);
    run.cap.linktype = cap_linktype_name(c);
    run.cap.linktype_num = cap_linktype(c);
    run.cap.status = "running";
    run.cap.version = SS_VERSION_STRING;
    if (sto_capture_begin(db, &run.cap) < 0) {
        fprintf(stderr, "sensoscope: %s: %s\n", path, sto_errstr(db));
        cap_close(c);
        return -1;
    }
    if (cli_run_start(&run, ea, err) < 0) {
        fprintf(stderr, "sensoscope: %s\n", err);
        cap_close(c);
        return -1;
    }

    int progress = !quiet && isatty(STDERR_FILENO);
    double t0 = now_mono(), last_print = t0;
    int linktype = cap_linktype(c);
    const char *status = "complete";
    const char *warning = NULL;
    char warnbuf[SS_ERRBUF_SIZE];
    struct cap_frame fr;
    for (;;) {
        if (interrupted) {
            status = "interrupted";
            break;
        }
        enum cap_result r = cap_next(c, &fr);
        if (r == CAP_END)
            break;
        if (r == CAP_ERROR) {
            snprintf(warnbuf, sizeof warnbuf, "%s", cap_errstr(c));
            warning = warnbuf;
            status = "truncated";
            run.cap.warnings++;
            break;
        }
        if (r != CAP_FRAME)
            continue;
        if (run.cap.packets == 0 || fr.ts_ns < run.cap.first_ns)
            run.cap.first_ns = fr.ts_ns;
        if (fr.ts_ns > run.cap.last_ns)
            run.cap.last_ns = fr.ts_ns;
        run.cap.packets++;
        run.cap.bytes += fr.wirelen;
        if (dis_engine_packet(run.eng, linktype, fr.ts_ns, fr.data, fr.caplen, fr.wirelen) < 0)
            break; /* a store error: reported below */
        if (progress && (run.cap.packets & 4095) == 0) {
            double t = now_mono();
            if (t - last_print >= 0.5) {
                uint64_t size = cap_file_size(c), pos = cap_file_pos(c);
                fprintf(stderr, "\r%s: %llu packets, %.1f MB/s", path,
                        (unsigned long long)run.cap.packets, (double)pos / 1e6 / (t - t0));
                if (size)
                    fprintf(stderr, ", %.0f%%", 100.0 * (double)pos / (double)size);
                fprintf(stderr, "\033[K");
                last_print = t;
            }
        }
    }
    if (progress)
        fprintf(stderr, "\r\033[K");
    if (run.store_failed) {
        fprintf(stderr, "sensoscope: %s: storing flows failed: %s\n", path, sto_errstr(db));
        dis_engine_free(run.eng);
        cap_close(c);
        return -1;
    }
    if (warning)
        fprintf(stderr, "sensoscope: warning: %s\n", warning);

    struct dis_engine_stats st;
    dis_engine_get_stats(run.eng, &st);
    run.cap.warnings += st.malformed;
    run.cap.status = status;
    if (cli_run_finish(&run, err) < 0) {
        fprintf(stderr, "sensoscope: %s: %s\n", path, err);
        cap_close(c);
        return -1;
    }
    cap_close(c);

    tot->files++;
    tot->packets += run.cap.packets;
    tot->bytes += run.cap.bytes;
    tot->flows += run.flows;
    tot->warnings += run.cap.warnings;
    if (!quiet) {
        char hb[32], t1[32] = "-", t2[32] = "-";
        if (run.cap.packets) {
            fmt_time(run.cap.first_ns, t1, sizeof t1);
            fmt_time(run.cap.last_ns, t2, sizeof t2);
        }
        double secs = now_mono() - t0;
        printf("%s: %llu packets, %s, %s to %s UTC, link type %s%s\n", path,
               (unsigned long long)run.cap.packets, cli_human_bytes(run.cap.bytes, hb, sizeof hb),
               t1, t2, run.cap.linktype,
               !strcmp(status, "complete")    ? ""
               : !strcmp(status, "truncated") ? " (file truncated: kept what came before)"
                                              : " (interrupted)");
        printf("  flows: %llu (%llu tcp, %llu udp, %llu other); ICMP errors matched to the "
               "flow they quote: %llu\n",
               (unsigned long long)run.flows, (unsigned long long)run.flows_tcp,
               (unsigned long long)run.flows_udp, (unsigned long long)run.flows_other,
               (unsigned long long)st.icmp_errors_matched);
        printf("  frames: %llu not IP, %llu with truncated headers, %llu malformed; %llu "
               "later fragments unmatched; %llu warnings\n",
               (unsigned long long)st.non_ip, (unsigned long long)st.truncated,
               (unsigned long long)st.malformed, (unsigned long long)st.frag_unmatched,
               (unsigned long long)run.cap.warnings);
        printf("  messages: %llu STUN/TURN (%llu relayed inside TURN), %llu ChannelData, %llu "
               "DNS\n",
               (unsigned long long)st.stun_msgs, (unsigned long long)st.stun_inner,
               (unsigned long long)st.channeldata, (unsigned long long)st.dns_msgs);
        printf("  flow table: peak %u flows held (cap %u), %llu evicted to make room\n",
               st.flows_active_max, ea->eo.max_flows, (unsigned long long)st.flows_evicted);
        printf("  stored as capture %lld (%.2f s, %.0f packets/s)\n", (long long)run.cap.id, secs,
               secs > 0 ? (double)run.cap.packets / secs : 0.0);
    }
    return 0;
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, 0, 'd'},
                                             {"force", no_argument, 0, 'f'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             CLI_ENGINE_LONGOPTS,
                                             {0, 0, 0, 0}};
    const char *dbpath = CLI_DEFAULT_DB;
    int force = 0, quiet = 0, c;
    struct cli_engine_args ea;
    cli_engine_defaults(&ea);
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:fqh", longopts, NULL)) != -1) {
        int r = cli_engine_option(&ea, c, optarg);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        switch (c) {
        case 'd':
            dbpath = optarg;
            break;
        case 'f':
            force = 1;
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
    if (optind >= argc) {
        fprintf(stderr, "sensoscope analyze: no capture file given\n\n%s", help);
        return EXIT_USAGE;
    }

    char err[SS_ERRBUF_SIZE];
    if (cli_trust_store_load(&ea, err) < 0) {
        fprintf(stderr, "sensoscope: %s\n", err);
        return EXIT_RUNTIME;
    }
    struct sto_db *db = sto_open(dbpath, STO_READ_WRITE, err);
    if (!db) {
        fprintf(stderr, "sensoscope: %s\n", err);
        cli_trust_store_free(&ea);
        return EXIT_RUNTIME;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct totals tot;
    memset(&tot, 0, sizeof tot);
    for (int i = optind; i < argc && !interrupted; i++) {
        int r = analyze_one(db, argv[i], &ea, force, quiet, &tot);
        if (r < 0)
            tot.failed++;
        else if (r > 0)
            tot.skipped++;
    }
    cli_trust_store_free(&ea);
    if (sto_close(db, err) < 0) {
        fprintf(stderr, "sensoscope: %s: %s\n", dbpath, err);
        return EXIT_RUNTIME;
    }
    if (!quiet && argc - optind > 1) {
        char hb[32];
        printf("total: %llu files analysed, %llu skipped, %llu failed; %llu packets, %s, %llu "
               "flows, %llu warnings\n",
               (unsigned long long)tot.files, (unsigned long long)tot.skipped,
               (unsigned long long)tot.failed, (unsigned long long)tot.packets,
               cli_human_bytes(tot.bytes, hb, sizeof hb), (unsigned long long)tot.flows,
               (unsigned long long)tot.warnings);
    }
    if (interrupted)
        return EXIT_RUNTIME;
    return tot.failed ? EXIT_RUNTIME : EXIT_OK;
}
