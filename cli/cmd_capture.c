/* SPDX-License-Identifier: MIT */
/* cmd_capture.c - `sensoscope capture -i IFACE`: live capture into the database. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "privdrop.h"

static const char help[] =
    "usage: sensoscope capture -i IFACE [OPTIONS] [BPF FILTER]\n"
    "\n"
    "Captures live from IFACE (a mirror/SPAN port or this host's interface) and stores flows\n"
    "in the database as they end, committing at least every --commit-interval seconds; the\n"
    "sessions, verdicts and hosts of the flows that ended are stored every --analysis-interval\n"
    "seconds, and at the end.\n"
    "SIGINT and SIGTERM stop the capture, store every open flow and exit 0. SIGHUP closes the\n"
    "database and reopens it at the same path (rotation), and reloads the profile.\n"
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
    "      --immediate        hand each packet over at once instead of in blocks (at most\n"
    "                         200 ms late); costs most of the rate without drops\n"
    "      --commit-interval S  longest time flows wait before being committed (default 5)\n"
    "      --analysis-interval S  how often sessions and verdicts are brought up to date\n"
    "                         (default 60)\n"
    "      --evidence DIR     keep, in a ring of pcap files in DIR, the first packets of every\n"
    "                         flow that concerns the profile, and every packet of a flow with a\n"
    "                         verdict (see docs/daemon.md)\n"
    "      --evidence-packets N  first packets kept of each such flow (default 32)\n"
    "      --evidence-size MB    a ring file is closed at this size (default 16)\n"
    "      --evidence-files N    ring files kept; the oldest is removed (default 8)\n"
    "      --evidence-memory MB  packets held in memory while their flows are judged (default 64)\n"
    "  -u, --user USER[:GROUP]  once the interface is open, become USER (from root) and drop\n"
    "                         every capability; the database is then opened as USER\n"
    "  -L, --list-interfaces  list the interfaces that can be captured on, and exit\n"
    "  -q, --quiet            no summary\n"
    "  -h, --help             this help\n";

/* Set by the handlers, acted on by the capture loop (a blocked read returns within the
 * 200 ms read timeout, or at once on EINTR). */
static volatile sig_atomic_t stop_requested, reopen_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reopen_requested = 1;
    else
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

/* Counters at the end of the last capture_stats row: each row holds the difference. */
struct seg_mark {
    uint64_t at_ns, packets, bytes;
    struct cap_stats cs;
    int has_cs;
    uint64_t ev_written, ev_lost;
};

/* One database file being written: its capture row, engine and analyzer. */
struct db_seg {
    struct cli_run run;
    uint64_t drops_base; /* pcap_stats drops before this file: each row counts its own */
    struct seg_mark mark;
    int open;
};

static void seg_mark_now(struct db_seg *sg, struct cap *cp, uint64_t now)
{
    struct seg_mark *m = &sg->mark;
    m->at_ns = now;
    m->packets = sg->run.cap.packets;
    m->bytes = sg->run.cap.bytes;
    m->has_cs = cap_stats(cp, &m->cs) == 0;
    m->ev_written = m->ev_lost = 0;
    if (sg->run.ev) {
        struct cap_evidence_stats es;
        cap_evidence_get_stats(sg->run.ev, &es);
        m->ev_written = es.packets_written;
        m->ev_lost = es.lost;
    }
}

/* Writes the capture_stats row of the interval since the last mark, and warns about drops in
 * it. Returns 0 or -1 (store error). */
static int seg_interval(struct db_seg *sg, struct cap *cp, uint64_t now)
{
    struct cli_run *run = &sg->run;
    struct seg_mark prev = sg->mark;
    seg_mark_now(sg, cp, now);
    const struct seg_mark *m = &sg->mark;
    struct sto_capture_stats row = {.at_ns = now,
                                    .interval_ns = now - prev.at_ns,
                                    .packets = m->packets - prev.packets,
                                    .bytes = m->bytes - prev.bytes};
    if (m->has_cs && prev.has_cs) {
        row.has_pcap_stats = 1;
        row.received = m->cs.received - prev.cs.received;
        row.dropped_kernel = m->cs.dropped_kernel - prev.cs.dropped_kernel;
        row.dropped_iface = m->cs.dropped_iface - prev.cs.dropped_iface;
        run->cap.drops = m->cs.dropped_kernel + m->cs.dropped_iface - sg->drops_base;
        if (row.dropped_kernel + row.dropped_iface)
            fprintf(stderr,
                    "sensoscope: warning: %llu packets dropped in the last %.0f s (kernel %llu, "
                    "interface %llu; %llu in this capture): answers may look missing; raise "
                    "--buffer, or narrow the capture with a filter\n",
                    (unsigned long long)(row.dropped_kernel + row.dropped_iface),
                    (double)row.interval_ns / 1e9, (unsigned long long)row.dropped_kernel,
                    (unsigned long long)row.dropped_iface, (unsigned long long)run->cap.drops);
    }
    struct dis_engine_stats es;
    dis_engine_get_stats(run->eng, &es);
    row.flows_active = es.flows_active;
    if (run->ev) {
        row.has_evidence = 1;
        row.evidence_packets = m->ev_written - prev.ev_written;
        row.evidence_lost = m->ev_lost - prev.ev_lost;
    }
    return sto_capture_stats_add(run->db, run->cap.id, &row);
}

/* Opens @p dbpath (refused as root where another user controls it), inserts a running capture
 * row for @p iface and starts the engine. Returns 0, or -1 with the message in @p err. */
static int seg_open(struct db_seg *sg, const char *dbpath, const char *iface, struct cap *cp,
                    const struct cli_engine_args *ea, struct cap_evidence *ev,
                    char err[SS_ERRBUF_SIZE])
{
    char why[SS_ERRBUF_SIZE];
    memset(&sg->run, 0, sizeof sg->run);
    sg->run.ev = ev;
    if (cli_db_path_check(dbpath, err) < 0)
        return -1;
    struct sto_db *db = sto_open(dbpath, STO_READ_WRITE, why);
    if (!db) {
        snprintf(err, SS_ERRBUF_SIZE, "%s", why);
        return -1;
    }
    struct cli_run *run = &sg->run;
    run->db = db;
    run->cap.source = iface;
    run->cap.kind = "live";
    run->cap.linktype = cap_linktype_name(cp);
    run->cap.linktype_num = cap_linktype(cp);
    run->cap.status = "running";
    run->cap.version = SS_VERSION_STRING;
    if (sto_capture_begin(db, &run->cap) < 0 || sto_commit(db) < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "%.200s: %.280s", dbpath, sto_errstr(db));
        sto_close(db, NULL);
        return -1;
    }
    if (cli_run_start(run, ea, err) < 0) {
        sto_close(db, NULL);
        return -1;
    }
    sg->open = 1;
    seg_mark_now(sg, cp, wall_ns());
    return 0;
}

/* Stores every open flow, the sessions, verdicts and the capture row with status "complete"
 * (@p ok) or "interrupted", commits and closes the file. Returns 0, or -1 after printing why. */
static int seg_close(struct db_seg *sg, struct cap *cp, int ok, const char *dbpath)
{
    struct cli_run *run = &sg->run;
    char err[SS_ERRBUF_SIZE];
    int rc = 0;
    sg->open = 0;
    if (run->store_failed)
        fprintf(stderr, "sensoscope: storing flows failed: %s\n", sto_errstr(run->db));
    run->cap.status = ok ? "complete" : "interrupted";
    /* The last, partial interval; then every flow still open is stored (and judged). */
    if (!run->store_failed && seg_interval(sg, cp, wall_ns()) < 0) {
        fprintf(stderr, "sensoscope: %s\n", sto_errstr(run->db));
        run->store_failed = 1;
        rc = -1;
    }
    if (cli_run_finish(run, err) < 0) {
        fprintf(stderr, "sensoscope: %s\n", err);
        rc = -1;
    }
    if (sto_close(run->db, err) < 0) {
        fprintf(stderr, "sensoscope: %s: %s\n", dbpath, err);
        rc = -1;
    }
    run->db = NULL;
    /* The flows were numbered by the engine that is gone now. */
    if (run->ev) {
        cap_evidence_reset(run->ev);
        if (cap_evidence_flush(run->ev) < 0)
            cli_evidence_warn(run->ev);
    }
    return rc;
}

/* SIGHUP: the profile is re-read first (kept as it was when it no longer parses), then the
 * database is completed and closed, and opened again at the same path, which after a rename
 * is a new file with a new capture row. Flows open at that moment are stored in the old file
 * as they stand, as at the end of a capture, and go on as new flows in the new one. Returns 0,
 * or -1 when no database could be opened again (the capture then stops). */
static int seg_reopen(struct db_seg *sg, struct cap *cp, struct cli_engine_args *ea,
                      const char *dbpath, const char *iface, int quiet, struct cap_evidence *ev)
{
    char err[SS_ERRBUF_SIZE];
    struct cli_engine_args fresh = *ea;
    int reloaded = cli_analysis_load(&fresh, err) == 0;
    if (!reloaded)
        fprintf(stderr, "sensoscope: SIGHUP: profile not reloaded, keeping the previous one: %s\n",
                err);
    int64_t old_id = sg->run.cap.id;
    uint64_t old_flows = sg->run.flows;
    int rc = seg_close(sg, cp, 1, dbpath);
    if (reloaded) {
        /* The analyzer that borrowed the old profile was freed by seg_close(). */
        cli_analysis_free(ea);
        ea->prof = fresh.prof;
        ea->iss = fresh.iss;
    }
    struct cap_stats cs;
    if (cap_stats(cp, &cs) == 0)
        sg->drops_base = cs.dropped_kernel + cs.dropped_iface;
    if (seg_open(sg, dbpath, iface, cp, ea, ev, err) < 0) {
        fprintf(stderr, "sensoscope: SIGHUP: cannot reopen the database: %s\n", err);
        return -1;
    }
    if (!quiet)
        fprintf(stderr,
                "sensoscope: SIGHUP: capture %lld closed with %llu flows%s; %s reopened as "
                "capture %lld%s\n",
                (long long)old_id, (unsigned long long)old_flows, rc < 0 ? " (with errors)" : "",
                dbpath, (long long)sg->run.cap.id, reloaded ? ", profile reloaded" : "");
    return 0;
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
                                             {"immediate", no_argument, 0, 2005},
                                             {"commit-interval", required_argument, 0, 2003},
                                             {"analysis-interval", required_argument, 0, 2004},
                                             {"list-interfaces", no_argument, 0, 'L'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"user", required_argument, 0, 'u'},
                                             {"evidence", required_argument, 0, 2010},
                                             {"evidence-packets", required_argument, 0, 2011},
                                             {"evidence-size", required_argument, 0, 2012},
                                             {"evidence-files", required_argument, 0, 2013},
                                             {"evidence-memory", required_argument, 0, 2014},
                                             {"help", no_argument, 0, 'h'},
                                             CLI_ENGINE_LONGOPTS,
                                             {0, 0, 0, 0}};
    const char *iface = NULL, *dbpath = CLI_DEFAULT_DB, *filter = NULL, *user = NULL;
    uint32_t duration = 0, count = 0, snaplen = 0, buffer = 0, commit_s = 5, analysis_s = 60;
    int promisc = 1, immediate = -1, quiet = 0, list = 0, c;
    struct cap_evidence_opts evo = {0};
    uint32_t ev_mb = 16, ev_mem_mb = 64;
    struct cli_engine_args ea;
    cli_engine_defaults(&ea);
    char errbuf[SS_ERRBUF_SIZE];
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:F:d:c:s:B:Lqu:h", longopts, NULL)) != -1) {
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
        case 2005:
            immediate = 1;
            break;
        case 2003:
            if (cli_parse_u32("--commit-interval", optarg, 1, 3600, &commit_s))
                return EXIT_USAGE;
            break;
        case 2004:
            if (cli_parse_u32("--analysis-interval", optarg, 1, 86400, &analysis_s))
                return EXIT_USAGE;
            break;
        case 'L':
            list = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'u':
            user = optarg;
            break;
        case 2010:
            evo.dir = optarg;
            break;
        case 2011:
            if (cli_parse_u32("--evidence-packets", optarg, 1, 100000, &evo.head_packets))
                return EXIT_USAGE;
            break;
        case 2012:
            if (cli_parse_u32("--evidence-size", optarg, 1, 65536, &ev_mb))
                return EXIT_USAGE;
            break;
        case 2013:
            if (cli_parse_u32("--evidence-files", optarg, 1, 10000, &evo.files))
                return EXIT_USAGE;
            break;
        case 2014:
            if (cli_parse_u32("--evidence-memory", optarg, 1, 65536, &ev_mem_mb))
                return EXIT_USAGE;
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

    struct cli_priv_user pu;
    if (user && cli_priv_resolve(user, &pu, errbuf) < 0) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        return EXIT_USAGE;
    }
    /* Installed before the slow start so that an early SIGHUP does not kill the process. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    struct cap_live_opts lo = {.snaplen = (int)snaplen,
                               .buffer_mb = (int)buffer,
                               .promisc = promisc,
                               /* By default blocks (TPACKET_V3), not immediate mode:
                                * libpcap then uses TPACKET_V2 with a slot of the snap length
                                * per packet, 256 slots in 64 MiB, and drops far sooner. */
                               .immediate = immediate,
                               .filter = filter};
    struct cap *cp = cap_open_live(iface, &lo, errbuf);
    if (!cp) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        return EXIT_RUNTIME;
    }
    if (errbuf[0])
        fprintf(stderr, "sensoscope: warning: %s\n", errbuf);
    /* Only the open needed root or CAP_NET_RAW: from here on, neither. Everything read or
     * written later (profile, certificates, database) is read or written as --user. */
    if (cli_priv_drop(user ? &pu : NULL, errbuf) < 0) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        cap_close(cp);
        return EXIT_RUNTIME;
    }
    if (cli_trust_store_load(&ea, errbuf) < 0) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        cap_close(cp);
        return EXIT_RUNTIME;
    }
    struct cap_evidence *ev = NULL;
    if (evo.dir) {
        evo.file_bytes = (uint64_t)ev_mb << 20;
        evo.memory_bytes = (uint64_t)ev_mem_mb << 20;
        if (cli_dir_check(evo.dir, "evidence files", errbuf) < 0 ||
            !(ev = cap_evidence_open(&evo, cp, errbuf))) {
            fprintf(stderr, "sensoscope: %s\n", errbuf);
            cap_close(cp);
            cli_trust_store_free(&ea);
            return EXIT_RUNTIME;
        }
    }
    struct db_seg sg;
    memset(&sg, 0, sizeof sg);
    if (seg_open(&sg, dbpath, iface, cp, &ea, ev, errbuf) < 0) {
        fprintf(stderr, "sensoscope: %s\n", errbuf);
        cap_evidence_close(ev, NULL);
        cap_close(cp);
        cli_trust_store_free(&ea);
        return EXIT_RUNTIME;
    }
    struct cli_run *run = &sg.run;
    int rc = EXIT_OK;

    if (!quiet)
        fprintf(stderr, "sensoscope: capturing on %s (link type %s)%s%s into %s%s%s\n", iface,
                cap_linktype_name(cp), filter ? ", filter: " : "", filter ? filter : "", dbpath,
                user ? " as " : "", user ? pu.name : "");
    uint64_t start = wall_ns(), last_commit = start, last_analysis = start;
    uint64_t commit_ns = (uint64_t)commit_s * 1000000000ULL;
    uint64_t analysis_ns = (uint64_t)analysis_s * 1000000000ULL;
    uint64_t packets = 0;
    int linktype = cap_linktype(cp);
    struct cap_frame fr;
    while (!stop_requested) {
        if (reopen_requested) {
            reopen_requested = 0;
            if (seg_reopen(&sg, cp, &ea, dbpath, iface, quiet, ev) < 0) {
                rc = EXIT_RUNTIME;
                break;
            }
            last_commit = wall_ns();
        }
        enum cap_result r = cap_next(cp, &fr);
        uint64_t now = wall_ns();
        if (r == CAP_FRAME) {
            if (run->cap.packets == 0 || fr.ts_ns < run->cap.first_ns)
                run->cap.first_ns = fr.ts_ns;
            if (fr.ts_ns > run->cap.last_ns)
                run->cap.last_ns = fr.ts_ns;
            run->cap.packets++;
            packets++;
            run->cap.bytes += fr.wirelen;
            if (dis_engine_packet(run->eng, linktype, fr.ts_ns, fr.data, fr.caplen, fr.wirelen) <
                0) {
                rc = EXIT_RUNTIME;
                break;
            }
            if (ev && cap_evidence_packet(ev, dis_engine_last_flow(run->eng), &fr) < 0)
                cli_evidence_warn(ev);
        } else if (r == CAP_TIMEOUT) {
            if (dis_engine_tick(run->eng, now) < 0) {
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
            /* Sessions and verdicts of the flows that ended so far, replacing the last. */
            if (now - last_analysis >= analysis_ns) {
                char aerr[SS_ERRBUF_SIZE] = "";
                int arc = cli_run_analysis(run, now, aerr);
                if (arc != 0) {
                    fprintf(stderr, "sensoscope: %s\n", arc < 0 ? aerr : sto_errstr(run->db));
                    run->store_failed = arc > 0;
                    rc = EXIT_RUNTIME;
                    break;
                }
                last_analysis = now;
            }
            if (ev && cap_evidence_flush(ev) < 0)
                cli_evidence_warn(ev);
            if (seg_interval(&sg, cp, now) < 0 || sto_capture_update(run->db, &run->cap) < 0 ||
                sto_commit(run->db) < 0) {
                run->store_failed = 1;
                rc = EXIT_RUNTIME;
                break;
            }
            last_commit = now;
        }
        if ((count && packets >= count) ||
            (duration && now - start >= (uint64_t)duration * 1000000000ULL))
            break;
    }
    if (sg.open && seg_close(&sg, cp, rc == EXIT_OK, dbpath) < 0)
        rc = EXIT_RUNTIME;
    /* After the close: its flush stored the flows still open, and they count too. */
    struct cli_run last = *run;
    struct cap_evidence_stats evs = {0};
    if (ev) {
        cap_evidence_get_stats(ev, &evs);
        if (cap_evidence_close(ev, errbuf) < 0)
            fprintf(stderr, "sensoscope: warning: the evidence ring: %s\n", errbuf);
    }
    cap_close(cp);
    if (!quiet) {
        char hb[32];
        fprintf(stderr,
                "sensoscope: %llu packets, %s, %llu flows (%llu tcp, %llu udp, %llu other), "
                "%llu dropped; stored as capture %lld\n",
                (unsigned long long)last.cap.packets,
                cli_human_bytes(last.cap.bytes, hb, sizeof hb), (unsigned long long)last.flows,
                (unsigned long long)last.flows_tcp, (unsigned long long)last.flows_udp,
                (unsigned long long)last.flows_other, (unsigned long long)last.cap.drops,
                (long long)last.cap.id);
        if (ev) {
            char lost[96] = "";
            if (evs.lost)
                snprintf(lost, sizeof lost, "; %llu not kept for lack of --evidence-memory",
                         (unsigned long long)evs.lost);
            fprintf(stderr,
                    "sensoscope: evidence: %llu packets of %llu flows written to %s (%u files "
                    "opened, %u removed)%s%s\n",
                    (unsigned long long)evs.packets_written, (unsigned long long)evs.flows_written,
                    evo.dir, evs.files_opened, evs.files_removed, lost,
                    evs.failed ? "; stopped after a write error" : "");
        }
    }
    cli_trust_store_free(&ea);
    return rc;
}
