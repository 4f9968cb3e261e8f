/* SPDX-License-Identifier: MIT */
/* cli.h - private to the executable: command entry points and the shared pipeline glue. */
#ifndef SS_CLI_H
#define SS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "capture/cap.h"
#include "capture/evidence.h"
#include "dissect/analysis.h"
#include "dissect/engine.h"
#include "profile_opts.h"
#include "ss/common.h"
#include "store/sto.h"

/** Exit codes (documented in docs/sensoscope.1.md). */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/** Default database path when --db is not given. */
#define CLI_DEFAULT_DB "sensoscope.db"

int cmd_analyze(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_report(int argc, char **argv);

/** Parses an unsigned decimal in [lo, hi]; prints a usage error naming @p opt and returns -1. */
int cli_parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
/** Parses a time: epoch seconds, or ISO 8601 "YYYY-MM-DD[THH:MM[:SS]][Z]" (UTC). */
int cli_parse_time(const char *opt, const char *s, double *out);

/** Engine and analysis options that analyze and capture share (--max-flows, timeouts, nDPI,
 *  certificates, the profile and the verdict thresholds). */
struct cli_engine_args {
    struct dis_engine_opts eo;
    const char *ca_bundle;      /**< --ca-bundle: extra trusted CAs (PEM) besides the system's */
    int no_verify;              /**< --no-verify: do not verify certificate chains */
    struct cli_profile_args pa; /**< --profile, --local-net, --issuers */
    struct dis_ana_opts ao;     /**< verdict thresholds (--syn-wait ...) */
    struct dis_profile *prof;   /**< loaded by cli_analysis_load() */
    struct dis_issuers *iss;    /**< ... */
};
/** Handles one shared engine option; returns 1 if @p c was one, 0 if not, -1 on a bad value. */
int cli_engine_option(struct cli_engine_args *a, int c, const char *arg);
/** The getopt_long entries and help text for the shared engine options. */
/* clang-format off */
#define CLI_ENGINE_LONGOPTS                                   \
    {"max-flows", required_argument, 0, 1001},                \
    {"tcp-timeout", required_argument, 0, 1002},              \
    {"tcp-est-timeout", required_argument, 0, 1003},          \
    {"udp-timeout", required_argument, 0, 1004},              \
    {"other-timeout", required_argument, 0, 1005},            \
    {"ndpi-packets", required_argument, 0, 1006},             \
    {"no-ndpi", no_argument, 0, 1007},                        \
    {"ca-bundle", required_argument, 0, 1008},                \
    {"no-verify", no_argument, 0, 1009},                      \
    {"syn-wait", required_argument, 0, 1201},                 \
    {"udp-wait", required_argument, 0, 1202},                 \
    {"min-retries", required_argument, 0, 1203},              \
    {"rtt-factor", required_argument, 0, 1204},               \
    {"baseline-min", required_argument, 0, 1205},             \
    {"ttl-margin", required_argument, 0, 1206},               \
    CLI_PROFILE_LONGOPTS
/* clang-format on */
extern const char cli_engine_help[];
/**
 * Loads the profile and the inspection issuers (cli_analysis_load), then the trust store for
 * certificate verification into a->eo.x509_store: the system's (OpenSSL default paths) plus
 * --ca-bundle. Returns 0, or -1 with @p err (unreadable bundle, bad profile).
 */
int cli_trust_store_load(struct cli_engine_args *a, char err[SS_ERRBUF_SIZE]);
/** Frees what cli_trust_store_load() loaded, the profile included. */
void cli_trust_store_free(struct cli_engine_args *a);
/** Loads the profile (--profile or the built-in one, plus --local-net) and the inspection
 *  issuer list into @p a. Returns 0, or -1 with @p err (file, line and what is wrong). */
int cli_analysis_load(struct cli_engine_args *a, char err[SS_ERRBUF_SIZE]);
/** Frees what cli_analysis_load() loaded. */
void cli_analysis_free(struct cli_engine_args *a);
/** Sets the engine and analysis defaults in @p a. */
void cli_engine_defaults(struct cli_engine_args *a);

/** Prints a command's help followed by the shared flow-table options; returns EXIT_OK. */
int cli_help_with_engine(const char *help);

/** One capture source being analysed into the database. */
struct cli_run {
    struct sto_db *db;
    struct sto_capture cap;
    struct dis_engine *eng;
    struct dis_ana *ana;            /**< sessions and verdicts (NULL without a profile) */
    const struct dis_profile *prof; /**< borrowed from cli_engine_args */
    uint64_t flows, flows_tcp, flows_udp, flows_other;
    int store_failed;        /**< a store error stopped the run; message in sto_errstr(db) */
    struct cap_evidence *ev; /**< the --evidence ring (live capture), borrowed; NULL without */
};

/** Reports an --evidence failure once (the ring stops writing; the capture goes on). */
void cli_evidence_warn(struct cap_evidence *ev);

/** Creates the engine and the analyzer for @p run, with the callbacks that store each flow
 *  and event. */
int cli_run_start(struct cli_run *run, const struct cli_engine_args *ea, char err[SS_ERRBUF_SIZE]);
/**
 * Stores the analysis of the flows that ended so far (sessions, verdicts, hosts, the
 * profile's rules), replacing what an earlier call stored for this capture: a live capture
 * calls it periodically, cli_run_finish at the end. @p now_ns is the capture's current time
 * (the waits of the verdicts are measured against it). Returns 0, 1 on a store error
 * (sto_errstr), or -1 with @p err (the analyzer's own failure).
 */
int cli_run_analysis(struct cli_run *run, uint64_t now_ns, char err[SS_ERRBUF_SIZE]);
/** Flushes open flows, stores the sessions, verdicts, hosts and the profile's rules, writes
 *  the capture totals, commits. Returns 0 or -1 with @p err. */
int cli_run_finish(struct cli_run *run, char err[SS_ERRBUF_SIZE]);

/** Formats a byte count as "1.5 MB" (SI). */
const char *cli_human_bytes(uint64_t n, char *buf, size_t len);

#endif
