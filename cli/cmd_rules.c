/* SPDX-License-Identifier: MIT */
/*
 * cmd_rules.c - `sensoscope rules`: prints the active requirement profile (the built-in
 * vendor's list or --profile FILE, with --local-net added) as an aligned table or in the
 * profile file format, and where the inspection-issuer list comes from.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "profile_opts.h"

static const char help[] =
    "usage: sensoscope rules [--profile FILE] [--local-net CIDR]... [--issuers FILE]\n"
    "                        [--format text|ini]\n"
    "\n"
    "Prints the requirement profile that analyze and capture check flows against: which\n"
    "destinations, ports and protocols the product needs open, which networks count as the\n"
    "school's own, and the list of HTTPS-inspection products whose certificate issuers are\n"
    "recognised. Without --profile it is the built-in profile, the vendor's list. The file\n"
    "formats are documented in docs/profile.md.\n"
    "\n"
    "A flow belongs to the first rule, in the order printed, whose destination, port and scope\n"
    "all match. 'internet' rules take flows from a local host to a non-local one, 'LAN' rules\n"
    "flows between two local hosts; 'ICE only' rules take only flows that carry ICE\n"
    "connectivity checks or relayed ICE traffic.\n"
    "\n"
    "Options:\n"
    "      --format FMT     text (default): a table; ini: the profile in the file format, a\n"
    "                       starting point for a profile of your own (--profile)\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: 0 success, 1 a profile or issuers file that cannot be read or parsed (the\n"
    "message names FILE:LINE), 2 usage error.\n"
    "\n"
    "Examples:\n"
    "  sensoscope rules\n"
    "  sensoscope rules --format ini > myproduct.ini     (edit, then:)\n"
    "  sensoscope rules --profile myproduct.ini --local-net 10.20.0.0/16\n";

enum { RULES_TEXT, RULES_INI };

/* Appends @p s to the bounded string @p buf (cut when full). */
static void cat(char *buf, size_t size, const char *s)
{
    size_t n = strlen(buf);
    if (n + 1 < size)
        snprintf(buf + n, size - n, "%s", s);
}

static void destination_text(const struct dis_profile_rule *r, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_hosts; i++) {
        if (i)
            cat(buf, size, ", ");
        if (!strcmp(r->hosts[i], "*")) {
            cat(buf, size, "any");
        } else if (!strncmp(r->hosts[i], "rule:", 5)) {
            cat(buf, size, r->hosts[i] + 5);
            cat(buf, size, " hosts");
        } else {
            cat(buf, size, r->hosts[i]);
        }
    }
}

static void port_text(const struct dis_port_range *pr, char *buf, size_t size)
{
    const char *proto = pr->proto == 6 ? "tcp" : "udp";
    if (pr->lo == pr->hi)
        snprintf(buf, size, "%s/%u", proto, (unsigned)pr->lo);
    else
        snprintf(buf, size, "%s/%u-%u", proto, (unsigned)pr->lo, (unsigned)pr->hi);
}

static void ranges_text(const struct dis_port_range *v, size_t n, const char *sep, char *buf,
                        size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char one[32];
        port_text(&v[i], one, sizeof one);
        if (i)
            cat(buf, size, sep);
        cat(buf, size, one);
    }
}

static void ports_text(const struct dis_profile_rule *r, const char *sep, char *buf, size_t size)
{
    ranges_text(r->ports, r->n_ports, sep, buf, size);
}

static void net_text(const struct dis_net *n, char *buf, size_t size)
{
    char a[48]; /* INET6_ADDRSTRLEN */
    dis_addr_str(&n->addr, a, sizeof a);
    snprintf(buf, size, "%s/%u", a, (unsigned)n->prefix);
}

/* Prints @p items after @p key, wrapping before column 92 with indented continuation lines
 * (the profile format's way to continue a value). */
static void print_wrapped(FILE *out, const char *key, const char *const *items, size_t n)
{
    size_t col = (size_t)fprintf(out, "%s =", key);
    for (size_t i = 0; i < n; i++) {
        size_t w = strlen(items[i]);
        if (i > 0 && col + 1 + w > 92) {
            fputs("\n       ", out);
            col = 7;
        }
        fprintf(out, " %s", items[i]);
        col += 1 + w;
    }
    fputc('\n', out);
}

static void print_ini(FILE *out, const struct dis_profile *p, const char *source)
{
    fprintf(out, "# sensoscope profile '%s', from %s\n", dis_profile_name(p), source);
    fprintf(out, "[profile]\nname = %s\n", dis_profile_name(p));
    const char *items[DIS_PROFILE_MAX_NETS];
    char nets[DIS_PROFILE_MAX_NETS][64];
    for (size_t i = 0; i < dis_profile_rule_count(p); i++) {
        const struct dis_profile_rule *r = dis_profile_rule_at(p, i);
        fprintf(out, "\n[rule %s]\n", r->id);
        if (r->scope == DIS_SCOPE_LAN)
            fputs("scope = lan\n", out);
        for (size_t h = 0; h < r->n_hosts; h++)
            items[h] = r->hosts[h];
        print_wrapped(out, "hosts", items, r->n_hosts);
        char ports[DIS_PROFILE_MAX_PORTS * 20];
        ports_text(r, " ", ports, sizeof ports);
        fprintf(out, "ports = %s\n", ports);
        if (r->traffic == DIS_TRAFFIC_ICE)
            fputs("traffic = ice\n", out);
        if (r->product)
            fputs("product = yes\n", out);
        if (r->used_for[0])
            fprintf(out, "used_for = %s\n", r->used_for);
    }
    size_t nn = dis_profile_net_count(p);
    for (size_t i = 0; i < nn; i++) {
        net_text(dis_profile_net_at(p, i), nets[i], sizeof nets[i]);
        items[i] = nets[i];
    }
    const struct dis_port_range *dp, *dx;
    size_t ndp = dis_profile_direct_ports(p, &dp), ndx = dis_profile_direct_excluded(p, &dx);
    if (ndp || ndx) {
        char buf[DIS_PROFILE_MAX_PORTS * 20];
        fputs("\n[direct]\n", out);
        if (ndp) {
            ranges_text(dp, ndp, " ", buf, sizeof buf);
            fprintf(out, "ports = %s\n", buf);
        }
        if (ndx) {
            ranges_text(dx, ndx, " ", buf, sizeof buf);
            fprintf(out, "exclude = %s\n", buf);
        }
    }
    fputs("\n[local]\n", out);
    if (nn)
        print_wrapped(out, "nets", items, nn);
}

static void print_text(FILE *out, const struct dis_profile *p, const char *source)
{
    size_t n = dis_profile_rule_count(p);
    static const char *const head[] = {"RULE", "DESTINATION", "PORTS", "SCOPE", "USED FOR"};
    size_t w[4];
    for (size_t c = 0; c < 4; c++)
        w[c] = strlen(head[c]);
    char dest[DIS_PROFILE_MAX_HOSTS * 260], ports[DIS_PROFILE_MAX_PORTS * 20];
    bool any_product = false;
    /* Two passes: column widths, then the rows. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            fprintf(out, "profile: %s (%s)\n\n", dis_profile_name(p), source);
            fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], head[0], (int)w[1], head[1],
                    (int)w[2], head[2], (int)w[3], head[3], head[4]);
        }
        for (size_t i = 0; i < n; i++) {
            const struct dis_profile_rule *r = dis_profile_rule_at(p, i);
            char id[DIS_PROFILE_ID_LEN + 2];
            snprintf(id, sizeof id, "%s%s", r->id, r->product ? "*" : "");
            any_product |= r->product;
            destination_text(r, dest, sizeof dest);
            ports_text(r, ", ", ports, sizeof ports);
            const char *scope =
                r->scope == DIS_SCOPE_LAN
                    ? (r->traffic == DIS_TRAFFIC_ICE ? "LAN, ICE only" : "LAN")
                    : (r->traffic == DIS_TRAFFIC_ICE ? "internet, ICE only" : "internet");
            const char *cols[4] = {id, dest, ports, scope};
            if (pass == 0) {
                for (size_t c = 0; c < 4; c++) {
                    if (strlen(cols[c]) > w[c])
                        w[c] = strlen(cols[c]);
                }
                continue;
            }
            fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], cols[0], (int)w[1], cols[1],
                    (int)w[2], cols[2], (int)w[3], cols[3], r->used_for);
        }
    }
    if (any_product)
        fputs("\n* product rule: hosts that use it are product hosts (clients and consoles)\n",
              out);
    const struct dis_port_range *dp, *dx;
    size_t ndp = dis_profile_direct_ports(p, &dp), ndx = dis_profile_direct_excluded(p, &dx);
    char dbuf[DIS_PROFILE_MAX_PORTS * 20];
    if (ndp) {
        ranges_text(dp, ndp, ", ", dbuf, sizeof dbuf);
        fprintf(out, "\nmethod 1 (direct, LAN): %s\n", dbuf);
    } else {
        fputs("\nmethod 1 (direct, LAN): any port from 1024 up but well-known services "
              "(docs/profile.md)",
              out);
        if (ndx) {
            ranges_text(dx, ndx, ", ", dbuf, sizeof dbuf);
            fprintf(out, " and %s", dbuf);
        }
        fputc('\n', out);
    }
    fputs("local networks:", out);
    size_t col = strlen("local networks:");
    for (size_t i = 0; i < dis_profile_net_count(p); i++) {
        char net[64];
        net_text(dis_profile_net_at(p, i), net, sizeof net);
        if (col + 1 + strlen(net) > 92) {
            fputs("\n               ", out);
            col = 15;
        }
        fprintf(out, " %s", net);
        col += 1 + strlen(net);
    }
    if (dis_profile_net_count(p) == 0)
        fputs(" none", out);
    fputc('\n', out);
}

int cmd_rules(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_PROFILE_LONGOPTS,
        {"format", required_argument, 0, 4001},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct cli_profile_args pa;
    memset(&pa, 0, sizeof pa);
    int format = RULES_TEXT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int r = cli_profile_option(&pa, c, optarg);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        switch (c) {
        case 4001:
            if (!strcmp(optarg, "text")) {
                format = RULES_TEXT;
            } else if (!strcmp(optarg, "ini")) {
                format = RULES_INI;
            } else {
                fprintf(stderr, "sensoscope rules: --format: '%s' is not one of text, ini\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(help, stdout);
            fputs("\n", stdout);
            fputs(cli_profile_help, stdout);
            return EXIT_OK;
        default:
            fputs(help, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sensoscope rules: unexpected argument '%s'\n\n%s", argv[optind], help);
        return EXIT_USAGE;
    }
    char err[SS_ERRBUF_SIZE];
    struct dis_profile *p;
    struct dis_issuers *iss;
    if (cli_profile_load(&pa, &p, &iss, err) < 0) {
        fprintf(stderr, "sensoscope: %s\n", err);
        return EXIT_RUNTIME;
    }
    /* A closed pipe (rules | head) is a write error to report, not a fatal signal. */
    signal(SIGPIPE, SIG_IGN);
    const char *source = pa.profile_path ? pa.profile_path : "built-in";
    if (format == RULES_INI && !pa.profile_path) {
        /* The built-in text as it is, comments included; it ends with the [local] nets line,
         * which the added networks continue. */
        fputs(dis_profile_default_text(), stdout);
        for (size_t i = 0; i < pa.n_local_nets; i++)
            printf("       %s\n", pa.local_nets[i]);
    } else if (format == RULES_INI) {
        print_ini(stdout, p, source);
    } else {
        print_text(stdout, p, source);
        /* Where the issuer patterns come from: the shipped list, then --issuers. */
        char path[4096];
        struct dis_issuers *shipped = NULL;
        if (cli_profile_find_issuers(path, sizeof path, err) == 0 &&
            cli_issuers_load_file(path, &shipped, err) == 0) {
            size_t ns = dis_issuers_count(shipped), nt = dis_issuers_count(iss);
            printf("inspection issuers: %zu patterns from %s\n", ns, path);
            if (pa.issuers_path)
                printf("                    %zu more from %s\n", nt - ns, pa.issuers_path);
        }
        dis_issuers_free(shipped);
    }
    int rc = EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("sensoscope: standard output");
        rc = EXIT_RUNTIME;
    }
    dis_profile_free(p);
    dis_issuers_free(iss);
    return rc;
}
