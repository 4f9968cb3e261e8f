/* SPDX-License-Identifier: MIT */
/*
 * test_anon.c - report/rep_anon.c: consistent pseudonyms for addresses (local or not, IPv4 and
 * IPv6, with ports), names kept by the profile's host patterns, free-text rewriting,
 * truncation at a UTF-8 boundary, hostile bytes, and a NULL anonymiser (plain copy).
 */
#define _POSIX_C_SOURCE 200809L

#include "records.h"

#include "../../report/rep_int.h"

struct fixture {
    char dir[64], path[96];
    struct sto_db *db;
    struct rep__anon *a;
};

static int setup(void **state)
{
    struct fixture *x = calloc(1, sizeof *x);
    char err[SS_ERRBUF_SIZE];
    struct sto_capture c = file_capture_rec("t.pcap", NULL, "EN10MB", 1);
    struct dis_profile *p = NULL;
    struct dis_host_rec h[2];

    assert_non_null(x);
    tmpdb_make("ss-anon", x->dir, sizeof x->dir, x->path, sizeof x->path);
    x->db = sto_open(x->path, STO_READ_WRITE, err);
    assert_non_null(x->db);
    assert_int_equal(sto_capture_begin(x->db, &c), 0);
    assert_int_equal(dis_profile_default(&p, err), 0);
    assert_int_equal(sto_rules_set(x->db, c.id, p), 0);
    dis_profile_free(p);
    /* Host names known to the database: a local one and a profile one. */
    memset(h, 0, sizeof h);
    set4(&h[0].addr, 10, 0, 0, 5);
    snprintf(h[0].names, sizeof h[0].names, "Laptop.School.Local");
    h[0].role = DIS_ROLE_CLIENT;
    set4(&h[1].addr, 192, 0, 2, 10);
    snprintf(h[1].names, sizeof h[1].names, "app.senso.cloud,other.example");
    h[1].role = DIS_ROLE_SERVER;
    assert_int_equal(sto_host_add(x->db, c.id, &h[0]), 0);
    assert_int_equal(sto_host_add(x->db, c.id, &h[1]), 0);
    assert_int_equal(sto_commit(x->db), 0);
    x->a = rep__anon_new(x->db, err);
    assert_non_null(x->a);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *x = *state;

    rep__anon_free(x->a);
    sto_close(x->db, NULL);
    tmpdb_remove(x->dir, x->path);
    free(x);
    return 0;
}

static const char *addr(struct fixture *x, const char *s, char *buf, size_t len)
{
    return rep__anon_addr(x->a, s, buf, len);
}

/* The same input gives the same pseudonym; numbers per kind in order of first appearance: the
 * database's own values first (the fixture's hosts: 10.0.0.5 is lan-host-1, 192.0.2.10
 * net-host-1, laptop.school.local name-1, other.example name-2), then the report's. */
static void test_consistent(void **state)
{
    struct fixture *x = *state;
    char b[64];

    assert_string_equal(addr(x, "10.0.0.5", b, sizeof b), "lan-host-1");
    assert_string_equal(addr(x, "192.168.1.20", b, sizeof b), "lan-host-2");
    assert_string_equal(addr(x, "10.0.0.5", b, sizeof b), "lan-host-1");
    assert_string_equal(addr(x, "203.0.113.7", b, sizeof b), "net-host-2");
    assert_string_equal(addr(x, "100.64.1.1", b, sizeof b), "lan-host-3");   /* RFC 6598 */
    assert_string_equal(addr(x, "169.254.9.9", b, sizeof b), "lan-host-4");  /* link-local */
    assert_string_equal(addr(x, "127.0.0.1", b, sizeof b), "lan-host-5");    /* loopback */
    assert_string_equal(addr(x, "172.32.0.1", b, sizeof b), "net-host-3");   /* not 172.16/12 */
    assert_string_equal(addr(x, "172.31.255.1", b, sizeof b), "lan-host-6"); /* 172.16/12 */
    /* Identify nobody: kept. */
    assert_string_equal(addr(x, "0.0.0.0", b, sizeof b), "0.0.0.0");
    assert_string_equal(addr(x, "224.0.0.251", b, sizeof b), "224.0.0.251");
    assert_string_equal(addr(x, "ff02::fb", b, sizeof b), "ff02::fb");
    assert_string_equal(addr(x, "::", b, sizeof b), "::");
}

/* A capture's file path can name the school: anonymised it is "capture-ID" and its plain
 * extension; stdin and live interfaces are shown as they are. */
static void test_source(void **state)
{
    struct fixture *x = *state;
    char b[64];

    assert_string_equal(
        rep__anon_source(x->a, 3, "file", "/srv/st-johns/monday.pcapng", b, sizeof b),
        "capture-3.pcapng");
    assert_string_equal(rep__anon_source(x->a, 4, "file", "st-johns.tar.<x>", b, sizeof b),
                        "capture-4");
    assert_string_equal(rep__anon_source(x->a, 5, "file", "-", b, sizeof b), "(stdin)");
    assert_string_equal(rep__anon_source(x->a, 6, "live", "eth1", b, sizeof b), "eth1");
    assert_string_equal(rep__anon_source(NULL, 7, "file", "/srv/st-johns/m.pcap", b, sizeof b),
                        "/srv/st-johns/m.pcap");
}

static void test_ipv6_forms(void **state)
{
    struct fixture *x = *state;
    char b[64];

    assert_string_equal(addr(x, "fd10::31", b, sizeof b), "lan6-host-1");
    assert_string_equal(addr(x, "FD10:0:0::31", b, sizeof b), "lan6-host-1"); /* same address */
    assert_string_equal(addr(x, "fe80::1", b, sizeof b), "lan6-host-2");
    assert_string_equal(addr(x, "::1", b, sizeof b), "lan6-host-3");
    assert_string_equal(addr(x, "2001:db8::7", b, sizeof b), "net6-host-1");
    assert_string_equal(addr(x, "::ffff:10.1.2.3", b, sizeof b), "lan6-host-4");
    assert_string_equal(addr(x, "::ffff:8.8.8.8", b, sizeof b), "net6-host-2");
    /* Transport addresses: the port stays. */
    assert_string_equal(addr(x, "[2001:db8::7]:3478", b, sizeof b), "net6-host-1:3478");
    assert_string_equal(addr(x, "10.9.9.9:443", b, sizeof b), "lan-host-2:443");
}

static void test_names(void **state)
{
    struct fixture *x = *state;
    char b[128];

    /* Kept: patterns of the profile (exact and "*.domain"), any case, final dot. */
    assert_string_equal(rep__anon_name(x->a, "app.senso.cloud", b, sizeof b), "app.senso.cloud");
    assert_string_equal(rep__anon_name(x->a, "APP.Senso.Cloud.", b, sizeof b), "APP.Senso.Cloud.");
    assert_string_equal(rep__anon_name(x->a, "sensoeustorage.blob.core.windows.net", b, sizeof b),
                        "sensoeustorage.blob.core.windows.net");
    /* "*.senso.cloud" is not senso.cloud itself; "*" (holepunch) keeps nothing. */
    assert_string_equal(rep__anon_name(x->a, "senso.cloud", b, sizeof b), "name-3");
    assert_string_equal(rep__anon_name(x->a, "evilsenso.cloud", b, sizeof b), "name-4");
    assert_string_equal(rep__anon_name(x->a, "laptop.school.local", b, sizeof b), "name-1");
    assert_string_equal(rep__anon_name(x->a, "LAPTOP.school.local.", b, sizeof b), "name-1");
    assert_string_equal(rep__anon_name(x->a, "senso.cloud", b, sizeof b), "name-3");
    /* An address where a name was expected is an address. */
    assert_string_equal(rep__anon_name(x->a, "203.0.113.10", b, sizeof b), "net-host-2");
    assert_string_equal(rep__anon_name(x->a, "", b, sizeof b), "");
    assert_string_equal(rep__anon_name(x->a, NULL, b, sizeof b), "");
}

static void test_text(void **state)
{
    struct fixture *x = *state;
    char b[512];

    rep__anon_text(
        x->a,
        "method 3 over udp/3478 via 198.51.100.10:3478 (senso-sturn-northeu.cloudapp.net)"
        "; 5 check(s) to 192.168.1.20:40158 unanswered; [fd10::31]:58227 <-> "
        "[fd10::20]:36521 at 04:09:29.316, host laptop.school.local. 2001:db8::1.",
        b, sizeof b);
    assert_string_equal(b, "method 3 over udp/3478 via net-host-2:3478 "
                           "(senso-sturn-northeu.cloudapp.net); 5 check(s) to lan-host-2:40158 "
                           "unanswered; lan6-host-1:58227 <-> lan6-host-2:36521 at 04:09:29.316, "
                           "host name-1. net6-host-1.");
    /* Same pseudonyms through the field functions afterwards. */
    assert_string_equal(rep__anon_name(x->a, "laptop.school.local", b, sizeof b), "name-1");
    assert_string_equal(addr(x, "198.51.100.10", b, sizeof b), "net-host-2");
    /* Not addresses: versions inside words, a reverse name, times, ufrag pairs, a name that
     * merely contains a known one. */
    rep__anon_text(x->a,
                   "v1.2.3.4x 4.3.2.1.in-addr.arpa abcd:ef12 12:30:45 "
                   "my-laptop.school.local.example",
                   b, sizeof b);
    assert_string_equal(b, "v1.2.3.4x 4.3.2.1.in-addr.arpa abcd:ef12 12:30:45 "
                           "my-laptop.school.local.example");
    /* A name the database knows appears in text before any field: learnt at rep__anon_new. */
    rep__anon_text(x->a, "CN=other.example,O=x", b, sizeof b);
    assert_string_equal(b, "CN=name-2,O=x");
    /* Profile names stay in text too. */
    rep__anon_text(x->a, "SNI app.senso.cloud", b, sizeof b);
    assert_string_equal(b, "SNI app.senso.cloud");
}

/* Output always fits, ends in NUL, never splits a UTF-8 character or a pseudonym. */
static void test_truncation(void **state)
{
    struct fixture *x = *state;
    char b[16];

    memset(b, 'X', sizeof b);
    rep__anon_text(x->a, "ab\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", b, 8);
    assert_string_equal(b, "ab\xc3\xa9\xc3\xa9"); /* 6 bytes: the next é would need 8 + NUL */
    assert_int_equal(b[8], 'X');
    rep__anon_text(x->a, "to 10.0.0.5:443", b, 10);
    assert_string_equal(b, "to "); /* "lan-host-1" does not fit: not cut in half */
    rep__anon_addr(x->a, "10.0.0.5", b, 1);
    assert_string_equal(b, "");
    b[0] = 'X';
    rep__anon_addr(x->a, "10.0.0.5", b, 0); /* no room: nothing written */
    assert_int_equal(b[0], 'X');
}

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
        }
        p += n;
    }
    return 1;
}

/* Hostile bytes: invalid UTF-8 kept byte for byte (renderers escape), 64 KiB strings, long
 * runs of address characters, brackets without end. */
static void test_hostile(void **state)
{
    struct fixture *x = *state;
    size_t big = 65536;
    char *s = malloc(big + 1), *b = malloc(big * 2);
    char small[64];

    assert_non_null(s);
    assert_non_null(b);
    rep__anon_text(x->a, "\xff\xfe<script>10.0.0.5\x1b[31m\xe2\x80\xae", b, 256);
    assert_string_equal(b, "\xff\xfe<script>lan-host-1\x1b[31m\xe2\x80\xae");
    /* A lone lead byte at the cut is one character: cut before a valid sequence only. */
    rep__anon_text(x->a, "abcd\xe2\x80\xae", small, 6);
    assert_string_equal(small, "abcd");
    assert_true(valid_utf8(small));

    for (size_t i = 0; i < big; i++)
        s[i] = "0123456789abcdef:.["[i % 19];
    s[big] = '\0';
    rep__anon_text(x->a, s, b, big * 2);
    assert_true(strlen(b) <= big * 2 - 1);
    memset(s, '[', big);
    rep__anon_text(x->a, s, b, big * 2);
    assert_int_equal(strlen(b), big);
    memset(s, 'a', big);
    assert_string_equal(rep__anon_name(x->a, s, small, sizeof small), "name-3");
    assert_string_equal(rep__anon_name(x->a, s, small, sizeof small), "name-3");
    rep__anon_text(x->a, s, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    for (size_t i = 0; i < big; i++)
        s[i] = (char)(0x80 | (i & 0x7f));
    rep__anon_text(x->a, s, b, 1000);
    assert_in_range(strlen(b), 996, 999);
    rep__anon_addr(x->a, s, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    free(s);
    free(b);
}

/* Without an anonymiser every function copies (NUL-terminated, cut at a boundary). */
static void test_null(void **state)
{
    char b[8];

    (void)state;
    assert_string_equal(rep__anon_addr(NULL, "10.0.0.5", b, sizeof b), "10.0.0.");
    assert_string_equal(rep__anon_name(NULL, "laptop", b, sizeof b), "laptop");
    assert_string_equal(rep__anon_text(NULL, "x \xc3\xa9\xc3\xa9\xc3\xa9", b, sizeof b),
                        "x \xc3\xa9\xc3\xa9");
    assert_string_equal(rep__anon_text(NULL, NULL, b, sizeof b), "");
    rep__anon_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_consistent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
        cmocka_unit_test(test_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
