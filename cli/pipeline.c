/* SPDX-License-Identifier: MIT */
/* pipeline.c - wiring shared by analyze and capture: engine flow records into the store. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "cli.h"

const char cli_engine_help[] =
    "Flow table:\n"
    "      --max-flows N        flows held at once; the longest-idle is stored and evicted\n"
    "                           when full (default 500000)\n"
    "      --tcp-est-timeout S  idle timeout of an established TCP flow (default 300)\n"
    "      --tcp-timeout S      idle timeout of TCP not (or no longer) established (default 30)\n"
    "      --udp-timeout S      idle timeout of UDP flows (default 120)\n"
    "      --other-timeout S    idle timeout of ICMP and other flows (default 60)\n"
    "      --ndpi-packets N     packets per flow given to nDPI before giving up (default 24)\n"
    "      --no-ndpi            do not classify flows with nDPI (faster; 'app' stays empty)\n"
    "Certificates:\n"
    "      --ca-bundle FILE     also trust the CA certificates in FILE (PEM), e.g. the school's\n"
    "                           own CA; the system trust store is always used\n"
    "      --no-verify          do not verify TLS certificate chains (chain_valid stays null)\n"
    "Verdict thresholds (docs/verdicts.md):\n"
    "      --syn-wait MS        unanswered SYNs are a block only once the capture went on\n"
    "                           this long after the first: a capture that ends sooner ended\n"
    "                           with the handshake in flight (default 3000)\n"
    "      --udp-wait MS        the same for STUN/TURN requests and ICE checks (default 3000)\n"
    "      --min-retries N      unanswered SYNs or requests that make the block confirmed\n"
    "                           rather than suspected, once the wait has passed (default 2)\n"
    "      --rtt-factor N       rtt_anomaly: ClientHello->ServerHello over SYN->SYN-ACK at least\n"
    "                           N times the capture's median (default 10)\n"
    "      --baseline-min N     other internet servers the TTL/RTT baselines need (default 2)\n"
    "      --ttl-margin N       ttl_anomaly: hops the server must be nearer than the others'\n"
    "                           median (default 2; 0 hops always counts)\n";

int cli_help_with_engine(const char *help)
{
    fputs(help, stdout);
    fputs("\n", stdout);
    fputs(cli_engine_help, stdout);
    fputs(cli_profile_help, stdout);
    return EXIT_OK;
}

void cli_engine_defaults(struct cli_engine_args *a)
{
    memset(a, 0, sizeof(*a));
    dis_engine_defaults(&a->eo);
    dis_ana_defaults(&a->ao);
}

int cli_analysis_load(struct cli_engine_args *a, char err[SS_ERRBUF_SIZE])
{
    return cli_profile_load(&a->pa, &a->prof, &a->iss, err);
}

void cli_analysis_free(struct cli_engine_args *a)
{
    dis_profile_free(a->prof);
    dis_issuers_free(a->iss);
    a->prof = NULL;
    a->iss = NULL;
}

int cli_parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "sensoscope: %s: '%s' is not a whole number from %u to %u\n", opt, s, lo,
                hi);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int cli_parse_time(const char *opt, const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end != s && *end == '\0') {
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0, y, mo, d, h = 0, mi = 0, sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3) {
        const char *rest = s + n;
        int m2 = 0;
        if ((*rest == 'T' || *rest == ' ') && sscanf(rest + 1, "%2d:%2d%n", &h, &mi, &m2) == 2) {
            rest += 1 + m2;
            if (*rest == ':' && sscanf(rest + 1, "%2d%n", &sec, &m2) == 1)
                rest += 1 + m2;
        }
        if (*rest == 'Z')
            rest++;
        if (*rest == '\0' && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 &&
            sec <= 60) {
            /* days from civil (proleptic Gregorian), UTC, without timegm() */
            int yy = y - (mo <= 2);
            int era = (yy >= 0 ? yy : yy - 399) / 400;
            int yoe = yy - era * 400;
            int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
            int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            double days = (double)era * 146097 + doe - 719468;
            *out = days * 86400.0 + h * 3600 + mi * 60 + sec;
            return 0;
        }
    }
    fprintf(stderr,
            "sensoscope: %s: '%s' is not a time (epoch seconds or YYYY-MM-DD[THH:MM[:SS]], UTC)\n",
            opt, s);
    return -1;
}

int cli_engine_option(struct cli_engine_args *a, int c, const char *arg)
{
    struct dis_engine_opts *o = &a->eo;
    switch (c) {
    case 1001:
        return cli_parse_u32("--max-flows", arg, 1, 1u << 28, &o->max_flows) ? -1 : 1;
    case 1002:
        return cli_parse_u32("--tcp-timeout", arg, 1, 86400, &o->tcp_timeout) ? -1 : 1;
    case 1003:
        return cli_parse_u32("--tcp-est-timeout", arg, 1, 86400 * 7, &o->tcp_est_timeout) ? -1 : 1;
    case 1004:
        return cli_parse_u32("--udp-timeout", arg, 1, 86400, &o->udp_timeout) ? -1 : 1;
    case 1005:
        return cli_parse_u32("--other-timeout", arg, 1, 86400, &o->other_timeout) ? -1 : 1;
    case 1006:
        return cli_parse_u32("--ndpi-packets", arg, 1, 1000, &o->ndpi_max_packets) ? -1 : 1;
    case 1007:
        o->use_ndpi = 0;
        return 1;
    case 1008:
        a->ca_bundle = arg;
        return 1;
    case 1009:
        a->no_verify = 1;
        return 1;
    case 1201:
        return cli_parse_u32("--syn-wait", arg, 0, 3600000, &a->ao.syn_wait_ms) ? -1 : 1;
    case 1202:
        return cli_parse_u32("--udp-wait", arg, 0, 3600000, &a->ao.udp_wait_ms) ? -1 : 1;
    case 1203:
        return cli_parse_u32("--min-retries", arg, 1, 1000, &a->ao.min_retries) ? -1 : 1;
    case 1204:
        return cli_parse_u32("--rtt-factor", arg, 1, 100000, &a->ao.rtt_factor) ? -1 : 1;
    case 1205:
        return cli_parse_u32("--baseline-min", arg, 1, 100000, &a->ao.baseline_min) ? -1 : 1;
    case 1206:
        return cli_parse_u32("--ttl-margin", arg, 1, 255, &a->ao.ttl_margin) ? -1 : 1;
    default:
        return cli_profile_option(&a->pa, c, arg);
    }
}

int cli_trust_store_load(struct cli_engine_args *a, char err[SS_ERRBUF_SIZE])
{
    a->eo.x509_store = NULL;
    if (cli_analysis_load(a, err) < 0)
        return -1;
    if (a->no_verify)
        return 0;
    X509_STORE *st = X509_STORE_new();
    if (!st) {
        snprintf(err, SS_ERRBUF_SIZE, "out of memory creating the certificate trust store");
        cli_analysis_free(a);
        return -1;
    }
    /* The system store (e.g. /etc/ssl/certs); a system without one simply trusts nothing. */
    X509_STORE_set_default_paths(st);
    if (a->ca_bundle && X509_STORE_load_file(st, a->ca_bundle) != 1) {
        unsigned long e = ERR_get_error();
        snprintf(err, SS_ERRBUF_SIZE, "--ca-bundle %s: cannot load CA certificates: %s",
                 a->ca_bundle, e ? ERR_reason_error_string(e) : "no certificate in the file");
        X509_STORE_free(st);
        cli_analysis_free(a);
        return -1;
    }
    ERR_clear_error();
    a->eo.x509_store = st;
    return 0;
}

void cli_trust_store_free(struct cli_engine_args *a)
{
    X509_STORE_free(a->eo.x509_store);
    a->eo.x509_store = NULL;
    cli_analysis_free(a);
}

static int on_flow(void *user, const struct dis_flow_rec *rec)
{
    struct cli_run *run = user;
    const char *rule = NULL;
    if (run->ana) {
        int ri = dis_ana_flow(run->ana, rec);
        if (ri == -2)
            return -1;
        if (ri >= 0)
            rule = dis_profile_rule_at(run->prof, (size_t)ri)->id;
    }
    if (run->ev && cap_evidence_flow_end(run->ev, rec->id, rule != NULL) < 0)
        cli_evidence_warn(run->ev);
    run->flows++;
    if (rec->proto == DIS_IPPROTO_TCP)
        run->flows_tcp++;
    else if (rec->proto == DIS_IPPROTO_UDP)
        run->flows_udp++;
    else
        run->flows_other++;
    if (sto_flow_add(run->db, run->cap.id, rec, rule) < 0) {
        run->store_failed = 1;
        return -1;
    }
    return 0;
}

static int on_event(void *user, const struct dis_event *ev)
{
    struct cli_run *run = user;
    if (run->ana && dis_ana_event(run->ana, ev) < 0)
        return -1;
    if (sto_event_add(run->db, run->cap.id, ev) < 0) {
        run->store_failed = 1;
        return -1;
    }
    return 0;
}

/* The analyzer's sink: each record into the store; 1 (not -1) stops it on a store error. */
static int sink_session(void *user, const struct dis_session_rec *s)
{
    struct cli_run *run = user;
    return sto_session_add(run->db, run->cap.id, s) < 0 ? 1 : 0;
}

static int sink_pair(void *user, const struct dis_pair_rec *p)
{
    struct cli_run *run = user;
    return sto_pair_add(run->db, run->cap.id, p) < 0 ? 1 : 0;
}

static int sink_verdict(void *user, const struct dis_verdict_rec *v)
{
    struct cli_run *run = user;
    if (run->ev && cap_evidence_verdict(run->ev, v->flow_id) < 0)
        cli_evidence_warn(run->ev);
    return sto_verdict_add(run->db, run->cap.id, v) < 0 ? 1 : 0;
}

static int sink_host(void *user, const struct dis_host_rec *h)
{
    struct cli_run *run = user;
    return sto_host_add(run->db, run->cap.id, h) < 0 ? 1 : 0;
}

int cli_run_start(struct cli_run *run, const struct cli_engine_args *ea, char err[SS_ERRBUF_SIZE])
{
    run->prof = ea->prof;
    if (ea->prof) {
        struct dis_ana_sink sink = {run, sink_session, sink_pair, sink_verdict, sink_host};
        run->ana = dis_ana_new(&ea->ao, ea->prof, ea->iss, &sink, err);
        if (!run->ana)
            return -1;
    }
    run->eng = dis_engine_new(&ea->eo, on_flow, run, err);
    if (!run->eng) {
        dis_ana_free(run->ana);
        run->ana = NULL;
        return -1;
    }
    dis_engine_set_event_cb(run->eng, on_event, run);
    return 0;
}

int cli_run_analysis(struct cli_run *run, uint64_t now_ns, char err[SS_ERRBUF_SIZE])
{
    if (!run->ana)
        return 0;
    /* Each analysis emits the whole picture: what an earlier one stored is replaced. */
    if (sto_analysis_clear(run->db, run->cap.id) < 0)
        return 1;
    dis_ana_time(run->ana, now_ns);
    /* -1 is the analyzer's own failure; a sink (store) failure returns 1 from it. */
    int arc = dis_ana_finish(run->ana);
    if (arc < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "%s", dis_ana_errstr(run->ana));
        return -1;
    }
    if (arc == 0 && sto_rules_set(run->db, run->cap.id, run->prof) < 0)
        arc = 1;
    /* Every flow that had ended is judged now: the evidence of those without a verdict goes. */
    if (arc == 0 && run->ev)
        cap_evidence_settle(run->ev);
    return arc;
}

/* The analyzer's bounds (docs/verdicts.md "Limits") left something out: say what, once. */
static void warn_ana_limits(const struct cli_run *run)
{
    struct dis_ana_stats st;
    dis_ana_get_stats(run->ana, &st);
    const struct {
        uint64_t n;
        const char *what;
    } c[] = {{st.hosts_dropped, "hosts"},
             {st.flows_dropped, "ended flows"},
             {st.sessions_dropped, "sessions"},
             {st.pairs_dropped, "candidate pairs"},
             {st.baseline_dropped, "baseline servers or TLS 1.3 flows"},
             {st.pending_dropped, "unanswered attempts"},
             {st.verdicts_dropped, "verdicts"},
             {st.nat_dropped, "public addresses of the site"},
             {st.peers_dropped, "TURN peers or channels"},
             {st.dns_dropped, "failed DNS names"}};
    char buf[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        if (!c[i].n || len >= sizeof buf)
            continue;
        int w = snprintf(buf + len, sizeof buf - len, "%s%llu %s", len ? ", " : "",
                         (unsigned long long)c[i].n, c[i].what);
        if (w > 0)
            len += (size_t)w;
    }
    if (len)
        fprintf(stderr,
                "sensoscope: warning: capture %lld: the analysis reached its limits and left out "
                "%s; its sessions and verdicts are incomplete (docs/verdicts.md, \"Limits\")\n",
                (long long)run->cap.id, buf);
}

int cli_run_finish(struct cli_run *run, char err[SS_ERRBUF_SIZE])
{
    int rc = 0, ana_failed = 0;
    if (!run->store_failed && dis_engine_flush(run->eng) < 0)
        rc = -1;
    if (rc == 0 && run->ana) {
        int arc = cli_run_analysis(run, run->cap.last_ns, err);
        if (arc < 0)
            ana_failed = 1;
        if (arc != 0)
            rc = -1;
    }
    if (run->ana)
        warn_ana_limits(run);
    dis_ana_free(run->ana);
    run->ana = NULL;
    if (rc == 0 && sto_capture_update(run->db, &run->cap) < 0)
        rc = -1;
    if (rc == 0 && sto_commit(run->db) < 0)
        rc = -1;
    if (rc < 0 && !ana_failed)
        snprintf(err, SS_ERRBUF_SIZE, "%s", sto_errstr(run->db));
    dis_engine_free(run->eng);
    run->eng = NULL;
    return rc;
}

void cli_evidence_warn(struct cap_evidence *ev)
{
    fprintf(stderr,
            "sensoscope: warning: the evidence ring stopped writing: %s; the capture goes on\n",
            cap_evidence_errstr(ev));
}

const char *cli_human_bytes(uint64_t n, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}
