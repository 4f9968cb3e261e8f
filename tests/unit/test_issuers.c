/* SPDX-License-Identifier: MIT */
/*
 * test_issuers.c - the HTTPS-inspection issuer list: the shipped data/inspection-issuers.tsv
 * parses and names Smoothwall's filter CA, no shipped pattern occurs in the subject or issuer
 * of any CA in the system trust store (Mozilla's, via ca-certificates), malformed lines are
 * rejected with their line numbers, and a user's file is appended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dissect/profile.h"
#include "dissect/tls.h"

#define SHIPPED SS_PCAPS_DIR "/../data/inspection-issuers.tsv"
#define CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* Reads a whole file into a heap buffer of exactly its size (no NUL, for ASan). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + got > cap) {
            cap = (n + got) * 2;
            char *nb = realloc(buf, cap);
            assert_non_null(nb);
            buf = nb;
        }
        memcpy(buf + n, chunk, got);
        n += got;
    }
    fclose(f);
    char *exact = malloc(n ? n : 1);
    assert_non_null(exact);
    if (n)
        memcpy(exact, buf, n);
    free(buf);
    *len = n;
    return exact;
}

static struct dis_issuers *load_shipped(void)
{
    size_t len = 0;
    char *text = slurp(SHIPPED, &len);
    assert_non_null(text);
    struct dis_issuers *l = NULL;
    char err[SS_ERRBUF_SIZE] = "";
    int rc = dis_issuers_parse(text, len, "inspection-issuers.tsv", &l, err);
    if (rc != 0)
        fail_msg("%s", err);
    free(text);
    return l;
}

static void test_shipped(void **state)
{
    (void)state;
    struct dis_issuers *l = load_shipped();
    assert_true(dis_issuers_count(l) >= 30);
    assert_string_equal(
        dis_issuers_match(l, "CN=Smoothwall Filter CA,OU=Web Filter,O=Smoothwall Ltd,C=GB"),
        "Smoothwall");
    assert_null(dis_issuers_match(l, "CN=sensoscope lab Public Root CA,O=sensoscope lab,C=NL"));
    assert_string_equal(dis_issuers_match(l, "CN=FortiGate CA,O=Fortinet,C=US"), "Fortinet");
    assert_string_equal(dis_issuers_match(l, "CN=Zscaler Intermediate Root CA (zscaler.net)"),
                        "Zscaler");
    assert_string_equal(dis_issuers_match(l, "cn=opendns root ca"), "Cisco Umbrella");
    assert_string_equal(dis_issuers_match(l, "O=Family Zone Cyber Safety Ltd"), "Linewize");
    assert_string_equal(dis_issuers_match(l, "CN=Securly,O=Securly Inc"), "Securly");
    assert_null(dis_issuers_match(l, "CN=DigiCert Global Root G2,OU=www.digicert.com"));
    assert_null(dis_issuers_match(l, NULL));
    assert_null(dis_issuers_match(NULL, "CN=Smoothwall"));
    dis_issuers_free(l);
}

/* No shipped pattern may name a public CA: that would turn every site into a finding. */
static void test_no_public_ca_matches(void **state)
{
    (void)state;
    FILE *f = fopen(CA_BUNDLE, "r");
    if (!f)
        skip();
    struct dis_issuers *l = load_shipped();
    struct dis_tls_cert_info *ci = malloc(sizeof *ci);
    assert_non_null(ci);
    size_t certs = 0, hits = 0;
    X509 *x;
    while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
        unsigned char *der = NULL;
        int n = i2d_X509(x, &der);
        assert_true(n > 0);
        assert_int_equal(dis_tls_cert_info(der, (size_t)n, ci), 0);
        const char *v1 = dis_issuers_match(l, ci->subject);
        const char *v2 = dis_issuers_match(l, ci->issuer);
        if (v1 || v2) {
            print_message("public CA matches %s: %s\n", v1 ? v1 : v2, ci->subject);
            hits++;
        }
        certs++;
        OPENSSL_free(der);
        X509_free(x);
    }
    fclose(f);
    print_message("checked %zu CA certificates from %s: %zu match\n", certs, CA_BUNDLE, hits);
    assert_true(certs > 50);
    assert_int_equal(hits, 0);
    free(ci);
    dis_issuers_free(l);
}

static void expect_error(const char *text, const char *msg)
{
    struct dis_issuers *l = NULL;
    char err[SS_ERRBUF_SIZE] = "";
    assert_int_equal(dis_issuers_parse(text, strlen(text), "my.tsv", &l, err), -1);
    assert_null(l);
    assert_string_equal(err, msg);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_error("# c\nAcme\tAcme CA\nno tab here\n",
                 "my.tsv:3: no tab (expected vendor<TAB>pattern)");
    expect_error("A\tB\tC\n", "my.tsv:1: more than one tab (expected vendor<TAB>pattern)");
    expect_error("\n\n\tAcme CA\n", "my.tsv:3: empty vendor");
    expect_error("Acme\t   \n", "my.tsv:1: empty pattern");
    char long_line[300];
    memset(long_line, 'x', sizeof long_line);
    memcpy(long_line, "Acme\t", 5);
    long_line[sizeof long_line - 1] = '\0';
    expect_error(long_line, "my.tsv:1: pattern too long (at most 127 characters)");
}

static void test_append(void **state)
{
    (void)state;
    struct dis_issuers *l = load_shipped();
    size_t n = dis_issuers_count(l);
    char err[SS_ERRBUF_SIZE] = "";
    /* A user file: CRLF line ends, comments, no newline at the end, not NUL-terminated. */
    static const char user[] = "# school CA\r\nOur School\tCN=Example School Filter CA\r\n"
                               "  # indented comment\nOther\tOther Box";
    assert_int_equal(dis_issuers_parse(user, sizeof user - 1, "user.tsv", &l, err), 0);
    assert_int_equal(dis_issuers_count(l), n + 2);
    assert_string_equal(dis_issuers_match(l, "cn=example school filter ca,o=x"), "Our School");
    assert_string_equal(dis_issuers_match(l, "CN=Other Box CA"), "Other");
    /* A file with an error adds nothing, and keeps the list. */
    static const char bad[] = "Good\tGood CA\nbad\n";
    assert_int_equal(dis_issuers_parse(bad, sizeof bad - 1, "bad.tsv", &l, err), -1);
    assert_string_equal(err, "bad.tsv:2: no tab (expected vendor<TAB>pattern)");
    assert_non_null(l);
    assert_int_equal(dis_issuers_count(l), n + 2);
    assert_null(dis_issuers_match(l, "CN=Good CA"));
    dis_issuers_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_no_public_ca_matches),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_append),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
