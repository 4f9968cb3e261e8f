/* SPDX-License-Identifier: MIT */
/*
 * test_profile.c - the requirement profile: the built-in default (the vendor's table, in
 * order), first-match attribution by host pattern, port, scope and ICE, local networks, parse
 * errors with their exact "NAME:LINE: ..." messages, and a profile for another product. Every
 * text is parsed from a heap buffer of exactly its length, without a NUL (for ASan).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dissect/profile.h"

/* ---- helpers ---- */

static struct dis_addr addr(const char *s)
{
    struct dis_addr a;
    memset(&a, 0, sizeof a);
    if (strchr(s, ':')) {
        assert_int_equal(inet_pton(AF_INET6, s, a.b), 1);
        a.family = 6;
    } else {
        assert_int_equal(inet_pton(AF_INET, s, a.b), 1);
        a.family = 4;
    }
    return a;
}

/* Parses @p text from an exact-size heap copy; returns the result code. */
static int parse(const char *text, struct dis_profile **out, char err[SS_ERRBUF_SIZE])
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, text, n);
    err[0] = '\0';
    int rc = dis_profile_parse(copy, n, "t.ini", out, err);
    free(copy);
    return rc;
}

static struct dis_profile *parse_ok(const char *text)
{
    struct dis_profile *p = NULL;
    char err[SS_ERRBUF_SIZE];
    if (parse(text, &p, err) != 0)
        fail_msg("unexpected parse error: %s", err);
    return p;
}

static void expect_error(const char *text, const char *msg)
{
    struct dis_profile *p = (struct dis_profile *)1;
    char err[SS_ERRBUF_SIZE];
    assert_int_equal(parse(text, &p, err), -1);
    assert_null(p);
    assert_string_equal(err, msg);
}

static struct dis_profile *default_profile(void)
{
    struct dis_profile *p = NULL;
    char err[SS_ERRBUF_SIZE];
    if (dis_profile_default(&p, err) != 0)
        fail_msg("%s", err);
    return p;
}

/* Matches a flow from @p src to @p dst; returns the rule id or "-". */
static const char *match(const struct dis_profile *p, const char *host, uint8_t proto,
                         uint16_t dport, const char *src, const char *dst, bool ice)
{
    struct dis_addr s = addr(src), d = addr(dst);
    struct dis_profile_flow f = {host, proto, dport, &s, &d, ice};
    int i = dis_profile_match(p, &f);
    return i < 0 ? "-" : dis_profile_rule_at(p, (size_t)i)->id;
}

#define TCP 6
#define UDP 17
#define LAN "10.1.2.3"
#define NET "20.50.60.70"

/* ---- the default profile ---- */

static void test_default_rules(void **state)
{
    (void)state;
    struct dis_profile *p = default_profile();
    static const char *const ids[] = {"cloud",     "signalr",  "blob-general", "blob-modules",
                                      "blob-logs", "sturn-eu", "sturn-us",     "relay",
                                      "holepunch", "broadcast"};
    assert_string_equal(dis_profile_name(p), "default");
    assert_int_equal(dis_profile_rule_count(p), 10);
    for (size_t i = 0; i < 10; i++) {
        assert_string_equal(dis_profile_rule_at(p, i)->id, ids[i]);
        assert_int_equal(dis_profile_rule_index(p, ids[i]), (int)i);
    }
    assert_null(dis_profile_rule_at(p, 10));
    assert_int_equal(dis_profile_rule_index(p, "nope"), -1);

    const struct dis_profile_rule *r = dis_profile_rule_at(p, 0);
    assert_string_equal(r->hosts[0], "*.senso.cloud");
    assert_int_equal(r->n_ports, 1);
    assert_int_equal(r->ports[0].proto, TCP);
    assert_int_equal(r->ports[0].lo, 443);
    assert_int_equal(r->ports[0].hi, 443);
    assert_true(r->product);
    assert_string_equal(r->used_for, "front-end and back-end services");
    assert_true(dis_profile_rule_at(p, 1)->product);
    for (size_t i = 2; i < 10; i++)
        assert_false(dis_profile_rule_at(p, i)->product);
    assert_string_equal(dis_profile_rule_at(p, 4)->hosts[0],
                        "sensologarchivestorage.blob.core.windows.net");

    r = dis_profile_rule_at(p, 5);
    assert_int_equal(r->n_ports, 3);
    assert_int_equal(r->ports[0].proto, TCP);
    assert_int_equal(r->ports[0].lo, 443);
    assert_int_equal(r->ports[1].proto, UDP);
    assert_int_equal(r->ports[1].lo, 3478);
    assert_int_equal(r->ports[2].proto, TCP);
    assert_int_equal(r->ports[2].lo, 3478);

    r = dis_profile_rule_at(p, 7);
    assert_int_equal(r->n_hosts, 2);
    assert_string_equal(r->hosts[0], "rule:sturn-eu");
    assert_string_equal(r->hosts[1], "rule:sturn-us");
    assert_int_equal(r->ports[0].lo, 49152);
    assert_int_equal(r->ports[0].hi, 65535);
    assert_int_equal(r->traffic, DIS_TRAFFIC_ICE);
    assert_int_equal(r->scope, DIS_SCOPE_INTERNET);

    r = dis_profile_rule_at(p, 8);
    assert_string_equal(r->hosts[0], "*");
    assert_int_equal(r->ports[0].proto, UDP);
    assert_int_equal(r->ports[0].lo, 0);
    assert_int_equal(r->ports[0].hi, 65535);
    assert_int_equal(r->traffic, DIS_TRAFFIC_ICE);

    r = dis_profile_rule_at(p, 9);
    assert_int_equal(r->scope, DIS_SCOPE_LAN);
    assert_int_equal(r->traffic, DIS_TRAFFIC_ANY);
    assert_int_equal(r->ports[0].proto, TCP);
    assert_int_equal(r->ports[0].lo, 30100);
    dis_profile_free(p);
}

static void test_match_cloud_blob(void **state)
{
    (void)state;
    struct dis_profile *p = default_profile();
    assert_string_equal(match(p, "api.senso.cloud", TCP, 443, LAN, NET, false), "cloud");
    assert_string_equal(match(p, "a.b.senso.cloud", TCP, 443, LAN, NET, false), "cloud");
    assert_string_equal(match(p, "api.senso.cloud", TCP, 80, LAN, NET, false), "-");
    assert_string_equal(match(p, "api.senso.cloud", UDP, 443, LAN, NET, false), "-");
    assert_string_equal(match(p, "senso.cloud", TCP, 443, LAN, NET, false), "-");
    assert_string_equal(match(p, "evilsenso.cloud", TCP, 443, LAN, NET, false), "-");
    assert_string_equal(match(p, "api.senso.cloud.evil.com", TCP, 443, LAN, NET, false), "-");
    assert_string_equal(match(p, NULL, TCP, 443, LAN, NET, false), "-");
    assert_string_equal(match(p, "", TCP, 443, LAN, NET, false), "-");
    /* Case and a trailing dot do not matter. */
    assert_string_equal(match(p, "API.Senso.CLOUD.", TCP, 443, LAN, NET, false), "cloud");
    assert_string_equal(match(p, "xyz.SERVICE.signalr.net", TCP, 443, LAN, NET, false), "signalr");
    assert_string_equal(match(p, "service.signalr.net", TCP, 443, LAN, NET, false), "-");

    assert_string_equal(match(p, "sensoeugeneral.blob.core.windows.net", TCP, 443, LAN, NET, false),
                        "blob-general");
    assert_string_equal(
        match(p, "SensoEUStorage.blob.core.windows.net.", TCP, 443, LAN, NET, false),
        "blob-modules");
    assert_string_equal(
        match(p, "sensologarchivestorage.blob.core.windows.net", TCP, 443, LAN, NET, false),
        "blob-logs");
    assert_string_equal(
        match(p, "x.sensoeustorage.blob.core.windows.net", TCP, 443, LAN, NET, false), "-");
    assert_string_equal(match(p, "other.blob.core.windows.net", TCP, 443, LAN, NET, false), "-");
    assert_string_equal(match(p, "sensoeustorage.blob.core.windows.net", TCP, 80, LAN, NET, false),
                        "-");

    /* Internet scope: from a local client to a non-local server only. */
    assert_string_equal(match(p, "api.senso.cloud", TCP, 443, NET, NET, false), "-");
    assert_string_equal(match(p, "api.senso.cloud", TCP, 443, NET, LAN, false), "-");
    assert_string_equal(match(p, "api.senso.cloud", TCP, 443, LAN, "10.9.9.9", false), "-");
    assert_string_equal(match(p, "api.senso.cloud", TCP, 443, "fd00::5", "2001:db8::1", false),
                        "cloud");
    dis_profile_free(p);
}

static void test_match_sturn_relay_holepunch(void **state)
{
    (void)state;
    struct dis_profile *p = default_profile();
    const char *eu = "senso-sturn-northeu.cloudapp.net",
               *us = "senso-sturn-centralusa.cloudapp.net";
    assert_string_equal(match(p, eu, UDP, 3478, LAN, NET, false), "sturn-eu");
    assert_string_equal(match(p, eu, TCP, 3478, LAN, NET, false), "sturn-eu");
    assert_string_equal(match(p, eu, TCP, 443, LAN, NET, false), "sturn-eu");
    assert_string_equal(match(p, eu, UDP, 3478, LAN, NET, true), "sturn-eu");
    assert_string_equal(match(p, us, UDP, 3478, LAN, NET, true), "sturn-us");
    assert_string_equal(match(p, us, TCP, 443, LAN, NET, false), "sturn-us");
    assert_string_equal(match(p, eu, UDP, 443, LAN, NET, false), "-");

    /* The relay: only ICE traffic, only to the sturn hosts, only 49152-65535. */
    assert_string_equal(match(p, eu, UDP, 49152, LAN, NET, true), "relay");
    assert_string_equal(match(p, us, UDP, 65535, LAN, NET, true), "relay");
    assert_string_equal(
        match(p, "SENSO-STURN-CENTRALUSA.cloudapp.net.", UDP, 50000, LAN, NET, true), "relay");
    assert_string_equal(match(p, eu, UDP, 50000, LAN, NET, false), "-");
    assert_string_equal(match(p, eu, UDP, 49151, LAN, NET, true), "holepunch");
    assert_string_equal(match(p, "turn.example.com", UDP, 50000, LAN, NET, true), "holepunch");
    assert_string_equal(match(p, eu, TCP, 50000, LAN, NET, true), "-");
    const struct dis_profile_rule *relay = dis_profile_rule_at(p, 7);
    assert_true(dis_profile_host_matches(p, relay, eu));
    assert_true(dis_profile_host_matches(p, relay, us));
    assert_false(dis_profile_host_matches(p, relay, "cloudapp.net"));
    assert_false(dis_profile_host_matches(p, relay, NULL));

    /* Hole punching: any host (or none), any UDP port, ICE only. */
    assert_string_equal(match(p, NULL, UDP, 12345, LAN, NET, true), "holepunch");
    assert_string_equal(match(p, "", UDP, 0, LAN, NET, true), "holepunch");
    assert_string_equal(match(p, NULL, UDP, 12345, LAN, NET, false), "-");
    assert_string_equal(match(p, NULL, UDP, 53, LAN, NET, false), "-");
    /* ICE between two LAN hosts is method 1: no internet rule applies. */
    assert_string_equal(match(p, NULL, UDP, 12345, LAN, "192.168.1.9", true), "-");
    dis_profile_free(p);
}

static void test_match_broadcast(void **state)
{
    (void)state;
    struct dis_profile *p = default_profile();
    assert_string_equal(match(p, NULL, TCP, 30100, LAN, "10.1.2.4", false), "broadcast");
    assert_string_equal(match(p, NULL, TCP, 30100, "192.168.5.5", "172.16.0.9", false),
                        "broadcast");
    assert_string_equal(match(p, NULL, TCP, 30100, "fe80::1", "fe80::2", false), "broadcast");
    assert_string_equal(match(p, NULL, TCP, 30100, LAN, NET, false), "-");
    assert_string_equal(match(p, NULL, TCP, 30100, NET, LAN, false), "-");
    assert_string_equal(match(p, NULL, TCP, 30100, NET, NET, false), "-");
    assert_string_equal(match(p, NULL, TCP, 30101, LAN, "10.1.2.4", false), "-");
    assert_string_equal(match(p, NULL, UDP, 30100, LAN, "10.1.2.4", false), "-");
    dis_profile_free(p);
}

/* ---- local networks ---- */

static void test_local_nets(void **state)
{
    (void)state;
    struct dis_profile *p = default_profile();
    static const char *const local[] = {"10.0.0.0",        "10.255.255.255",
                                        "172.16.0.1",      "172.31.255.255",
                                        "192.168.0.1",     "100.64.0.1",
                                        "100.127.255.255", "169.254.1.1",
                                        "127.0.0.1",       "fc00::1",
                                        "fdff:ffff::1",    "fe80::1",
                                        "febf::1",         "::1"};
    static const char *const remote[] = {
        "9.255.255.255", "11.0.0.0",    "172.32.0.1", "172.15.255.255",
        "192.169.0.1",   "100.128.0.0", "8.8.8.8",    "2001:db8::1",
        "fec0::1",       "::2",         "fbff::1"};
    assert_int_equal(dis_profile_net_count(p), 9);
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        struct dis_addr a = addr(local[i]);
        if (!dis_profile_is_local(p, &a))
            fail_msg("%s should be local", local[i]);
    }
    for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++) {
        struct dis_addr a = addr(remote[i]);
        if (dis_profile_is_local(p, &a))
            fail_msg("%s should not be local", remote[i]);
    }
    struct dis_addr none;
    memset(&none, 0, sizeof none);
    assert_false(dis_profile_is_local(p, &none));
    assert_false(dis_profile_is_local(p, NULL));

    char err[SS_ERRBUF_SIZE];
    assert_int_equal(dis_profile_add_local_net(p, "203.0.113.0/24", err), 0);
    assert_int_equal(dis_profile_add_local_net(p, "2001:db8:5::/48", err), 0);
    assert_int_equal(dis_profile_add_local_net(p, "198.51.100.7", err), 0);
    assert_int_equal(dis_profile_add_local_net(p, "10.0.0.0/8", err), 0); /* already there */
    assert_int_equal(dis_profile_net_count(p), 12);
    const struct dis_net *n = dis_profile_net_at(p, 11);
    assert_int_equal(n->prefix, 32);
    assert_null(dis_profile_net_at(p, 12));
    struct dis_addr a = addr("203.0.113.200");
    assert_true(dis_profile_is_local(p, &a));
    a = addr("2001:db8:5:ffff::9");
    assert_true(dis_profile_is_local(p, &a));
    a = addr("2001:db8:6::1");
    assert_false(dis_profile_is_local(p, &a));
    a = addr("198.51.100.7");
    assert_true(dis_profile_is_local(p, &a));
    a = addr("198.51.100.8");
    assert_false(dis_profile_is_local(p, &a));
    /* Now a flow to 203.0.113.5 is LAN traffic. */
    assert_string_equal(match(p, "api.senso.cloud", TCP, 443, LAN, "203.0.113.5", false), "-");

    assert_int_equal(dis_profile_add_local_net(p, "10.1.2.3/8", err), -1);
    assert_string_equal(err, "'10.1.2.3/8' has host bits set (the network is 10.0.0.0/8)");
    assert_int_equal(dis_profile_add_local_net(p, "2001:db8::1/32", err), -1);
    assert_string_equal(err, "'2001:db8::1/32' has host bits set (the network is 2001:db8::/32)");
    assert_int_equal(dis_profile_add_local_net(p, "10.0.0.0/33", err), -1);
    assert_string_equal(err, "'10.0.0.0/33': prefix length 33 is more than 32");
    assert_int_equal(dis_profile_add_local_net(p, "300.1.1.0/24", err), -1);
    assert_string_equal(err, "'300.1.1.0/24' is not an IPv4 address or network");
    assert_int_equal(dis_profile_add_local_net(p, "fd00::/x", err), -1);
    assert_string_equal(err, "'fd00::/x': bad prefix length (0-128)");
    assert_int_equal(dis_profile_add_local_net(p, "", err), -1);
    assert_int_equal(dis_profile_add_local_net(p, "10.0.0.0/", err), -1);
    assert_int_equal(dis_profile_net_count(p), 12);
    dis_profile_free(p);
}

static void test_local_section_replaces_defaults(void **state)
{
    (void)state;
    struct dis_profile *p = parse_ok("[rule a]\nhosts = *\nports = tcp/1\n"
                                     "[local]\nnets = 10.20.0.0/16, 2001:db8::/32\n"
                                     "       192.0.2.1\n");
    assert_int_equal(dis_profile_net_count(p), 3);
    struct dis_addr a = addr("10.21.0.1");
    assert_false(dis_profile_is_local(p, &a));
    a = addr("10.20.9.9");
    assert_true(dis_profile_is_local(p, &a));
    a = addr("192.0.2.1");
    assert_true(dis_profile_is_local(p, &a));
    assert_string_equal(dis_profile_name(p), "t.ini");
    dis_profile_free(p);
}

/* ---- parse errors ---- */

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("[rule a]\nhosts = x\nport = tcp/1\n", "t.ini:3: unknown key 'port' in [rule a]");
    expect_error("[profile]\nnets = 10.0.0.0/8\n", "t.ini:2: unknown key 'nets' in [profile]");
    expect_error("[profile]\nname = x\n\n[rules a]\n",
                 "t.ini:4: unknown section [rules a] (expected [profile], [rule ID], [direct] or "
                 "[local])");
    expect_error("[rule a]\nhosts = x\nports = tcp/44x\n",
                 "t.ini:3: bad port 'tcp/44x' (ports are 0-65535)");
    expect_error("[rule a]\nhosts = x\nports = tcp/65536\n",
                 "t.ini:3: bad port 'tcp/65536' (ports are 0-65535)");
    expect_error("[rule a]\nhosts = x\nports = 443\n",
                 "t.ini:3: bad port '443' (expected tcp/PORT, udp/PORT or PROTO/LOW-HIGH)");
    expect_error("[rule a]\nhosts = x\nports = sctp/5\n",
                 "t.ini:3: bad port 'sctp/5' (expected tcp/PORT, udp/PORT or PROTO/LOW-HIGH)");
    expect_error("[rule a]\nhosts = x\nports = udp/200-100\n",
                 "t.ini:3: reversed port range 'udp/200-100' (low end first)");
    expect_error("[rule a]\nhosts = x\nports = tcp/1\n\n[rule a]\nhosts = y\n",
                 "t.ini:5: duplicate rule id 'a' (first at line 1)");
    expect_error("[rule a]\nhosts = rule:b\nports = udp/1\n",
                 "t.ini:2: rule 'a': unknown rule 'b' in rule:b");
    expect_error("[rule a]\nhosts = rule:a\nports = udp/1\n", "t.ini:2: rule 'a' refers to itself");
    expect_error("[rule a]\nhosts = x\n[rule b]\nhosts = y\nports = tcp/1\n",
                 "t.ini:1: rule 'a' has no ports");
    expect_error("[rule a]\nports = tcp/1\n",
                 "t.ini:1: rule 'a' has no hosts (use hosts = * for any)");
    char text[400];
    snprintf(text, sizeof text, "[rule a]\nhosts = x\nused_for = %0150d\n", 0);
    expect_error(text, "t.ini:3: value of 'used_for' is too long (150 characters, at most 127)");
    snprintf(text, sizeof text, "[rule a]\nhosts = x%0250d\n", 0);
    expect_error(text, "t.ini:2: line too long (at most 198 characters)");
    snprintf(text, sizeof text, "[rule %040d]\n", 0);
    expect_error(text, "t.ini:1: rule id '0000000000000000000000000000000000000000' is longer "
                       "than 31 characters");
    expect_error("[rule A]\n", "t.ini:1: rule id 'A' may only hold a-z, 0-9, '.', '_' and '-'");
    expect_error("[rule]\n", "t.ini:1: rule id '' is empty");
    expect_error("[rule a]\nhosts = x\nhosts = y\n", "t.ini:3: duplicate key 'hosts' in [rule a]");
    expect_error("[rule a]\nhosts\n",
                 "t.ini:2: syntax error (expected [section], key = value or a comment)");
    expect_error("[rule a\n", "t.ini:1: section header without ']'");
    expect_error("name = x\n", "t.ini:1: 'name' before the first section");
    expect_error("[rule a]\nhosts = x\nscope = wan\n",
                 "t.ini:3: bad scope 'wan' (expected internet or lan)");
    expect_error("[rule a]\nhosts = x\ntraffic = rtp\n",
                 "t.ini:3: bad traffic 'rtp' (expected any or ice)");
    expect_error("[rule a]\nhosts = x\nproduct = maybe\n",
                 "t.ini:3: bad product 'maybe' (expected yes or no)");
    expect_error("[rule a]\nhosts = bad/host\n",
                 "t.ini:2: bad host 'bad/host' (expected a name, *.domain, * or rule:ID; "
                 "separate hosts with spaces)");
    expect_error("[rule a]\nhosts = a..b\n",
                 "t.ini:2: bad host 'a..b' (expected a name, *.domain, * or rule:ID; separate "
                 "hosts with spaces)");
    expect_error("[rule a]\nhosts = x\nports = tcp/1\n  traffic = ice\n",
                 "t.ini:4: indented line: an indented line continues the value of 'ports'; keys "
                 "must start at the beginning of the line");
    expect_error("[rule a]\nhosts = x\nscope = lan\n   internet\n",
                 "t.ini:4: 'scope' takes a single value (an indented line continues it)");
    expect_error("[rule a]\nhosts = x\nscope =\n", "t.ini:3: empty value for 'scope'");
    expect_error("[rule a]\nhosts = x\nports =\n", "t.ini:1: rule 'a' has no ports");
    expect_error("[local]\nnets = 10.1.0.0/8\n",
                 "t.ini:2: '10.1.0.0/8' has host bits set (the network is 10.0.0.0/8)");
    expect_error("[profile]\n[profile]\n",
                 "t.ini:2: duplicate section [profile] (first at line 1)");
    expect_error("[rule a]\nhosts = x\nports = tcp/1\n[rule b]\nhosts = rule:a\nports = udp/1\n"
                 "[rule c]\nhosts = rule:b\nports = udp/2\n",
                 "t.ini:8: rule 'c': rule:b refers to a rule that itself uses rule: (one level "
                 "only)");
    expect_error("[rule a] x\n", "t.ini:1: text after the section header's ']'");

    char many[2000];
    size_t n = (size_t)snprintf(many, sizeof many, "[rule a]\nhosts = x\nports =");
    for (int i = 0; i < 17; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "\n  tcp/%d", i + 1);
    expect_error(many, "t.ini:20: too many ports in rule 'a' (at most 16)");
}

/* ---- accepted syntax ---- */

static void test_syntax(void **state)
{
    (void)state;
    /* BOM, CRLF, comments (';' '#' and inline " ;"), continuation lines, forward rule:
     * references, no newline at the end. */
    struct dis_profile *p =
        parse_ok("\xEF\xBB\xBF; comment\r\n[profile]\r\nname = lab ; inline comment\r\n"
                 "# another\n[rule media]\nhosts = rule:turn\nports = udp/10000-20000\n"
                 "traffic = ICE\n[rule turn]\nhosts = TURN.example.org.\n"
                 "        *.turn.example.org,other.example.org\n"
                 "ports = udp/3478, tcp/443\nused_for = relays\n   and more\nproduct = Yes");
    assert_string_equal(dis_profile_name(p), "lab");
    assert_int_equal(dis_profile_rule_count(p), 2);
    const struct dis_profile_rule *t = dis_profile_rule_at(p, 1);
    assert_int_equal(t->n_hosts, 3);
    assert_string_equal(t->hosts[0], "turn.example.org");
    assert_string_equal(t->hosts[1], "*.turn.example.org");
    assert_string_equal(t->hosts[2], "other.example.org");
    assert_int_equal(t->n_ports, 2);
    assert_string_equal(t->used_for, "relays and more");
    assert_true(t->product);
    assert_string_equal(match(p, "a.turn.example.org", UDP, 15000, LAN, NET, true), "media");
    assert_string_equal(match(p, "turn.example.org", UDP, 3478, LAN, NET, true), "turn");
    assert_string_equal(match(p, "other.example.org", UDP, 15000, LAN, NET, false), "-");
    dis_profile_free(p);

    /* The built-in text parses to the same as dis_profile_default(). */
    const char *txt = dis_profile_default_text();
    p = parse_ok(txt);
    assert_int_equal(dis_profile_rule_count(p), 10);
    dis_profile_free(p);
}

/* ---- a profile for another product ---- */

static void test_other_product(void **state)
{
    (void)state;
    struct dis_profile *p = parse_ok("[profile]\n"
                                     "name = meetly\n"
                                     "[rule api]\n"
                                     "hosts = *.meetly.example api.meetly.example\n"
                                     "ports = tcp/443\n"
                                     "product = yes\n"
                                     "used_for = signalling\n"
                                     "[rule turn]\n"
                                     "hosts = turn1.meetly.example turn2.meetly.example\n"
                                     "ports = udp/3478 tcp/443 tcp/5349\n"
                                     "[rule media]\n"
                                     "hosts = rule:turn\n"
                                     "ports = udp/10000-20000\n"
                                     "traffic = ice\n"
                                     "[rule p2p]\n"
                                     "scope = lan\n"
                                     "hosts = *\n"
                                     "ports = udp/1024-65535\n"
                                     "traffic = ice\n");
    assert_string_equal(dis_profile_name(p), "meetly");
    assert_int_equal(dis_profile_net_count(p), 9); /* no [local]: the defaults */
    /* "api" comes first: turn1.meetly.example on tcp/443 is below *.meetly.example. */
    assert_string_equal(match(p, "turn1.meetly.example", TCP, 443, LAN, NET, false), "api");
    assert_string_equal(match(p, "turn2.meetly.example", UDP, 3478, LAN, NET, false), "turn");
    assert_string_equal(match(p, "turn2.meetly.example", TCP, 5349, LAN, NET, false), "turn");
    assert_string_equal(match(p, "turn2.meetly.example", UDP, 15000, LAN, NET, true), "media");
    assert_string_equal(match(p, "turn2.meetly.example", UDP, 25000, LAN, NET, true), "-");
    assert_string_equal(match(p, "meetly.example", TCP, 443, LAN, NET, false), "-");
    assert_string_equal(match(p, "api.meetly.example", TCP, 443, LAN, NET, false), "api");
    assert_string_equal(match(p, "api.senso.cloud", TCP, 443, LAN, NET, false), "-");
    assert_string_equal(match(p, NULL, UDP, 50000, LAN, "10.0.0.9", true), "p2p");
    assert_string_equal(match(p, NULL, UDP, 50000, LAN, NET, true), "-");
    assert_true(dis_profile_rule_at(p, 0)->product);
    assert_false(dis_profile_rule_at(p, 1)->product);
    dis_profile_free(p);
}

/* ---- [direct]: the ports of the product's own direct connection (method 1) ---- */

static void test_direct_ports(void **state)
{
    (void)state;
    /* Without [direct]: any port from 1024 up, except well-known services. */
    struct dis_profile *p = default_profile();
    const struct dis_port_range *v;
    assert_int_equal(dis_profile_direct_ports(p, &v), 0);
    assert_int_equal(dis_profile_direct_excluded(p, &v), 0);
    assert_true(dis_profile_direct_port(p, TCP, 30200));
    assert_true(dis_profile_direct_port(p, UDP, 50000));
    assert_true(dis_profile_direct_port(p, TCP, 1024));
    assert_false(dis_profile_direct_port(p, TCP, 1023));
    assert_false(dis_profile_direct_port(p, TCP, 445));  /* SMB */
    assert_false(dis_profile_direct_port(p, TCP, 53));   /* DNS */
    assert_false(dis_profile_direct_port(p, TCP, 3389)); /* RDP */
    assert_false(dis_profile_direct_port(p, UDP, 3389));
    assert_false(dis_profile_direct_port(p, TCP, 1433)); /* SQL Server */
    assert_false(dis_profile_direct_port(p, TCP, 5985)); /* WinRM */
    assert_false(dis_profile_direct_port(p, TCP, 5986));
    assert_false(dis_profile_direct_port(p, TCP, 7680)); /* Delivery Optimization */
    assert_true(dis_profile_direct_port(p, UDP, 7680));
    assert_false(dis_profile_direct_port(p, UDP, 5355)); /* LLMNR */
    assert_false(dis_profile_direct_port(p, UDP, 5353)); /* mDNS */
    assert_false(dis_profile_direct_port(p, TCP, 8080));
    assert_true(dis_profile_service_port(p, TCP, 8080));
    assert_false(dis_profile_service_port(p, TCP, 30200));
    dis_profile_free(p);

    /* exclude: more services; ports: exactly the product's own ports. */
    p = parse_ok("[rule a]\nhosts = x\nports = tcp/443\n"
                 "[direct]\nexclude = tcp/40000-40100, udp/9999\n");
    assert_int_equal(dis_profile_direct_excluded(p, &v), 2);
    assert_int_equal(v[0].proto, TCP);
    assert_int_equal(v[0].lo, 40000);
    assert_int_equal(v[0].hi, 40100);
    assert_false(dis_profile_direct_port(p, TCP, 40050));
    assert_true(dis_profile_direct_port(p, TCP, 40101));
    assert_false(dis_profile_direct_port(p, UDP, 9999));
    assert_true(dis_profile_direct_port(p, TCP, 9999));
    dis_profile_free(p);

    p = parse_ok("[rule a]\nhosts = x\nports = tcp/443\n"
                 "[direct]\nports = tcp/30200\n  udp/30201-30202\n");
    assert_int_equal(dis_profile_direct_ports(p, &v), 2);
    assert_true(dis_profile_direct_port(p, TCP, 30200));
    assert_false(dis_profile_direct_port(p, UDP, 30200));
    assert_true(dis_profile_direct_port(p, UDP, 30202));
    assert_false(dis_profile_direct_port(p, TCP, 30201));
    assert_false(dis_profile_direct_port(p, TCP, 40000));
    dis_profile_free(p);

    expect_error("[direct]\nports = tcp/1\n[direct]\n",
                 "t.ini:3: duplicate section [direct] (first at line 1)");
    expect_error("[direct]\nports = tcp/1\nports = tcp/2\n",
                 "t.ini:3: duplicate key 'ports' in [direct]");
    expect_error("[direct]\nhosts = x\n", "t.ini:2: unknown key 'hosts' in [direct]");
    expect_error("[direct]\nexclude = 445\n",
                 "t.ini:2: bad port '445' (expected tcp/PORT, udp/PORT or PROTO/LOW-HIGH)");
    expect_error("[direct]\nports = tcp/9-1\n",
                 "t.ini:2: reversed port range 'tcp/9-1' (low end first)");
    expect_error("[direct]\nports = tcp/1 tcp/2 tcp/3 tcp/4 tcp/5 tcp/6 tcp/7 tcp/8 tcp/9 tcp/10 "
                 "tcp/11 tcp/12 tcp/13 tcp/14 tcp/15 tcp/16 tcp/17\n",
                 "t.ini:2: too many ports in [direct] ports (at most 16)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_rules),
        cmocka_unit_test(test_match_cloud_blob),
        cmocka_unit_test(test_match_sturn_relay_holepunch),
        cmocka_unit_test(test_match_broadcast),
        cmocka_unit_test(test_local_nets),
        cmocka_unit_test(test_local_section_replaces_defaults),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_other_product),
        cmocka_unit_test(test_direct_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
