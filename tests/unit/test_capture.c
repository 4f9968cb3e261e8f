/* SPDX-License-Identifier: MIT */
/*
 * test_capture.c - unit tests of capture/cap.c: classic pcap (micro- and nanosecond, both byte
 * orders), pcapng (if_tsresol), every supported link type, truncated files (frame number and
 * byte offset in the message), unsupported link types, non-capture files, standard input,
 * cap_breakloop(), SHA-256 against known digests, and, when run as root, a live capture on the
 * loopback interface. Capture files are written by hand at run time into a mkdtemp() folder.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/cap.h"

/* ---- fixture: one temporary folder per test ---------------------------------------------- */

struct fixture {
    char dir[64];
    char path[128]; /* scratch for tpath() */
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/ss-test-capture-XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    char p[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", fx->dir, e->d_name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Path of @p name inside the test folder (valid until the next call). */
static const char *tpath(struct fixture *fx, const char *name)
{
    snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, name);
    return fx->path;
}

static void write_file(const char *path, const void *bytes, size_t n)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

/* ---- byte builder ------------------------------------------------------------------------ */

struct buf {
    uint8_t b[16384];
    size_t n;
    bool be; /* multi-byte fields big-endian */
};

static void put_u8(struct buf *b, uint8_t v)
{
    assert_true(b->n < sizeof(b->b));
    b->b[b->n++] = v;
}

static void put_u16(struct buf *b, uint16_t v)
{
    put_u8(b, (uint8_t)(b->be ? v >> 8 : v));
    put_u8(b, (uint8_t)(b->be ? v : v >> 8));
}

static void put_u32(struct buf *b, uint32_t v)
{
    put_u16(b, (uint16_t)(b->be ? v >> 16 : v));
    put_u16(b, (uint16_t)(b->be ? v : v >> 16));
}

static void put_bytes(struct buf *b, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_u8(b, p[i]);
}

static void pad4(struct buf *b)
{
    while (b->n % 4 != 0)
        put_u8(b, 0);
}

/* Frame contents: a recognisable pattern that differs per frame. */
static void fill_frame(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 3);
}

/* ---- classic pcap ------------------------------------------------------------------------ */

#define MAGIC_MICRO 0xa1b2c3d4u
#define MAGIC_NANO 0xa1b23c4du
#define T0 1700000000u

static void pcap_header(struct buf *b, uint32_t magic, uint32_t linktype)
{
    put_u32(b, magic);
    put_u16(b, 2);
    put_u16(b, 4);
    put_u32(b, 0);     /* thiszone */
    put_u32(b, 0);     /* sigfigs */
    put_u32(b, 65535); /* snaplen */
    put_u32(b, linktype);
}

static void pcap_record(struct buf *b, uint32_t sec, uint32_t frac, uint32_t caplen,
                        uint32_t wirelen, uint8_t seed)
{
    uint8_t data[2048];

    assert_true(caplen <= sizeof(data));
    fill_frame(data, caplen, seed);
    put_u32(b, sec);
    put_u32(b, frac);
    put_u32(b, caplen);
    put_u32(b, wirelen);
    put_bytes(b, data, caplen);
}

/* The three frames of the classic-pcap tests; record offsets 24, 100, 130. */
struct rec {
    uint32_t sec, frac, caplen, wirelen;
    uint8_t seed;
};
static const struct rec nano_recs[3] = {
    {T0, 123456789, 60, 60, 0x10},
    {T0 + 1, 0, 14, 14, 0x20},
    {T0 + 2, 999999999, 100, 1514, 0x30},
};
static const struct rec micro_recs[3] = {
    {T0, 123456, 60, 60, 0x40},
    {T0, 123457, 42, 42, 0x50},
    {T0 + 3600, 999999, 100, 200, 0x60},
};
#define REC3_OFFSET (24 + (16 + 60) + (16 + 14))

static void build_pcap(struct buf *b, bool be, uint32_t magic, uint32_t linktype,
                       const struct rec *r, size_t n)
{
    memset(b, 0, sizeof(*b));
    b->be = be;
    pcap_header(b, magic, linktype);
    for (size_t i = 0; i < n; i++)
        pcap_record(b, r[i].sec, r[i].frac, r[i].caplen, r[i].wirelen, r[i].seed);
}

/* Reads one frame and checks every field against @p r; @p frac_scale converts r->frac to ns. */
static void expect_frame(struct cap *c, const struct rec *r, uint64_t frac_scale, uint64_t num)
{
    struct cap_frame f;
    uint8_t want[2048];

    assert_int_equal(cap_next(c, &f), CAP_FRAME);
    assert_int_equal(f.ts_ns, (uint64_t)r->sec * 1000000000u + r->frac * frac_scale);
    assert_int_equal(f.caplen, r->caplen);
    assert_int_equal(f.wirelen, r->wirelen);
    assert_int_equal(f.number, num);
    fill_frame(want, r->caplen, r->seed);
    assert_memory_equal(f.data, want, r->caplen);
}

static void test_pcap_nano(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    struct cap *c;

    build_pcap(&b, false, MAGIC_NANO, 1, nano_recs, 3);
    write_file(tpath(fx, "nano.pcap"), b.b, b.n);
    c = cap_open_file(tpath(fx, "nano.pcap"), err);
    assert_non_null(c);
    assert_string_equal(err, "");
    assert_int_equal(cap_linktype(c), 1);
    assert_string_equal(cap_linktype_name(c), "EN10MB");
    assert_int_equal(cap_file_size(c), b.n);
    assert_int_equal(cap_file_pos(c), 24);
    for (int i = 0; i < 3; i++)
        expect_frame(c, &nano_recs[i], 1, (uint64_t)i + 1);
    assert_int_equal(cap_file_pos(c), b.n);
    assert_int_equal(cap_next(c, &f), CAP_END);
    assert_int_equal(cap_next(c, &f), CAP_END);
    cap_close(c);
}

static void test_pcap_micro(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    struct cap *c;

    build_pcap(&b, false, MAGIC_MICRO, 101, micro_recs, 3);
    write_file(tpath(fx, "micro.pcap"), b.b, b.n);
    c = cap_open_file(tpath(fx, "micro.pcap"), err);
    assert_non_null(c);
    assert_int_equal(cap_linktype(c), 101);
    assert_string_equal(cap_linktype_name(c), "RAW");
    /* libpcap scales microseconds to nanoseconds because we asked for nano precision. */
    for (int i = 0; i < 3; i++)
        expect_frame(c, &micro_recs[i], 1000, (uint64_t)i + 1);
    assert_int_equal(cap_next(c, &f), CAP_END);
    cap_close(c);
}

static void test_pcap_big_endian(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    struct cap *c;

    build_pcap(&b, true, MAGIC_NANO, 228, nano_recs, 3);
    write_file(tpath(fx, "be.pcap"), b.b, b.n);
    c = cap_open_file(tpath(fx, "be.pcap"), err);
    assert_non_null(c);
    assert_int_equal(cap_linktype(c), 228);
    assert_string_equal(cap_linktype_name(c), "IPV4");
    for (int i = 0; i < 3; i++)
        expect_frame(c, &nano_recs[i], 1, (uint64_t)i + 1);
    assert_int_equal(cap_next(c, &f), CAP_END);
    cap_close(c);
}

/* Every LINKTYPE_ the decoder supports opens and comes back as the same number. */
static void test_supported_linktypes(void **state)
{
    static const struct {
        uint32_t lt;
        const char *name;
    } tab[] = {{0, "NULL"},        {1, "EN10MB"}, {9, "PPP"},    {101, "RAW"},       {108, "LOOP"},
               {113, "LINUX_SLL"}, {228, "IPV4"}, {229, "IPV6"}, {276, "LINUX_SLL2"}};
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    struct cap *c;

    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        build_pcap(&b, false, MAGIC_MICRO, tab[i].lt, micro_recs, 1);
        write_file(tpath(fx, "lt.pcap"), b.b, b.n);
        c = cap_open_file(tpath(fx, "lt.pcap"), err);
        assert_non_null(c);
        assert_int_equal(cap_linktype(c), tab[i].lt);
        assert_string_equal(cap_linktype_name(c), tab[i].name);
        expect_frame(c, &micro_recs[0], 1000, 1);
        cap_close(c);
    }
}

/* ---- truncation -------------------------------------------------------------------------- */

/* Opens @p n bytes of the nano file, reads 2 frames, and returns the result of the third read
 * with the error message copied to @p msg. */
static enum cap_result read_cut(struct fixture *fx, const struct buf *b, size_t n,
                                char msg[SS_ERRBUF_SIZE])
{
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    enum cap_result r;
    struct cap *c;

    write_file(tpath(fx, "cut.pcap"), b->b, n);
    c = cap_open_file(tpath(fx, "cut.pcap"), err);
    assert_non_null(c);
    expect_frame(c, &nano_recs[0], 1, 1);
    expect_frame(c, &nano_recs[1], 1, 2);
    r = cap_next(c, &f);
    snprintf(msg, SS_ERRBUF_SIZE, "%s", cap_errstr(c));
    if (r == CAP_ERROR)
        assert_int_equal(cap_next(c, &f) == CAP_FRAME, 0); /* no frame after the error */
    cap_close(c);
    return r;
}

static void test_truncated(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char msg[SS_ERRBUF_SIZE], want[64];

    build_pcap(&b, false, MAGIC_NANO, 1, nano_recs, 3);
    assert_int_equal(b.n, REC3_OFFSET + 16 + 100);
    snprintf(want, sizeof(want), "byte offset %d", REC3_OFFSET);

    /* Cut inside the packet data of the third record. */
    assert_int_equal(read_cut(fx, &b, REC3_OFFSET + 16 + 50, msg), CAP_ERROR);
    assert_non_null(strstr(msg, "frame 3"));
    assert_non_null(strstr(msg, want));
    assert_non_null(strstr(msg, "cut.pcap: "));
    assert_non_null(strstr(msg, "truncated"));
    assert_non_null(strstr(msg, "2 frames before it"));

    /* Cut inside the record header of the third record. */
    assert_int_equal(read_cut(fx, &b, REC3_OFFSET + 7, msg), CAP_ERROR);
    assert_non_null(strstr(msg, "frame 3"));
    assert_non_null(strstr(msg, want));

    /* Cut exactly at a record boundary: a clean end of file. */
    assert_int_equal(read_cut(fx, &b, REC3_OFFSET, msg), CAP_END);
}

/* ---- pcapng ------------------------------------------------------------------------------ */

static void ng_shb(struct buf *b)
{
    put_u32(b, 0x0A0D0D0A);
    put_u32(b, 28);
    put_u32(b, 0x1A2B3C4D);
    put_u16(b, 1);
    put_u16(b, 0);
    put_u32(b, 0xffffffff); /* section length: unknown */
    put_u32(b, 0xffffffff);
    put_u32(b, 28);
}

/* Interface Description Block; @p tsresol < 0 leaves if_tsresol out (microseconds). */
static void ng_idb(struct buf *b, uint16_t linktype, int tsresol)
{
    uint32_t len = tsresol >= 0 ? 32 : 20;

    put_u32(b, 1);
    put_u32(b, len);
    put_u16(b, linktype);
    put_u16(b, 0);
    put_u32(b, 262144);
    if (tsresol >= 0) {
        put_u16(b, 9); /* if_tsresol */
        put_u16(b, 1);
        put_u8(b, (uint8_t)tsresol);
        pad4(b);
        put_u32(b, 0); /* opt_endofopt */
    }
    put_u32(b, len);
}

/* Enhanced Packet Block with a timestamp of @p ts units of the interface's resolution. */
static void ng_epb(struct buf *b, uint32_t ifid, uint64_t ts, uint32_t caplen, uint32_t wirelen,
                   uint8_t seed)
{
    uint32_t len = 32 + ((caplen + 3) & ~3u);
    uint8_t data[2048];

    assert_true(caplen <= sizeof(data));
    fill_frame(data, caplen, seed);
    put_u32(b, 6);
    put_u32(b, len);
    put_u32(b, ifid);
    put_u32(b, (uint32_t)(ts >> 32));
    put_u32(b, (uint32_t)ts);
    put_u32(b, caplen);
    put_u32(b, wirelen);
    put_bytes(b, data, caplen);
    pad4(b);
    put_u32(b, len);
}

#define NG_TS 1700000000123456789ull

static void check_ng_frame(struct cap *c, uint64_t ts_ns, uint32_t caplen, uint32_t wirelen,
                           uint8_t seed, uint64_t num)
{
    struct cap_frame f;
    uint8_t want[2048];

    assert_int_equal(cap_next(c, &f), CAP_FRAME);
    assert_int_equal(f.ts_ns, ts_ns);
    assert_int_equal(f.caplen, caplen);
    assert_int_equal(f.wirelen, wirelen);
    assert_int_equal(f.number, num);
    fill_frame(want, caplen, seed);
    assert_memory_equal(f.data, want, caplen);
}

static void test_pcapng_nano(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    struct cap *c;

    memset(&b, 0, sizeof(b));
    ng_shb(&b);
    ng_idb(&b, 276, 9);
    ng_epb(&b, 0, NG_TS, 40, 40, 0x70);
    ng_epb(&b, 0, NG_TS + 1001, 17, 1000, 0x80); /* data needs padding */
    write_file(tpath(fx, "nano.pcapng"), b.b, b.n);

    c = cap_open_file(tpath(fx, "nano.pcapng"), err);
    assert_non_null(c);
    assert_int_equal(cap_linktype(c), 276);
    assert_string_equal(cap_linktype_name(c), "LINUX_SLL2");
    check_ng_frame(c, NG_TS, 40, 40, 0x70, 1);
    check_ng_frame(c, NG_TS + 1001, 17, 1000, 0x80, 2);
    assert_int_equal(cap_next(c, &f), CAP_END);
    assert_int_equal(cap_file_pos(c), b.n);
    assert_int_equal(cap_file_size(c), b.n);
    cap_close(c);
}

static void test_pcapng_micro_default(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    struct cap *c;

    memset(&b, 0, sizeof(b));
    ng_shb(&b);
    ng_idb(&b, 1, -1);
    ng_epb(&b, 0, NG_TS / 1000, 60, 60, 0x90);
    write_file(tpath(fx, "micro.pcapng"), b.b, b.n);

    c = cap_open_file(tpath(fx, "micro.pcapng"), err);
    assert_non_null(c);
    assert_int_equal(cap_linktype(c), 1);
    check_ng_frame(c, NG_TS / 1000 * 1000, 60, 60, 0x90, 1);
    assert_int_equal(cap_next(c, &f), CAP_END);
    cap_close(c);
}

static void test_pcapng_truncated(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE], want[64];
    struct cap_frame f;
    struct cap *c;
    size_t epb2;

    memset(&b, 0, sizeof(b));
    ng_shb(&b);
    ng_idb(&b, 1, 9);
    ng_epb(&b, 0, NG_TS, 40, 40, 0x70);
    epb2 = b.n;
    ng_epb(&b, 0, NG_TS + 1, 40, 40, 0x71);
    write_file(tpath(fx, "cut.pcapng"), b.b, epb2 + 30);

    c = cap_open_file(tpath(fx, "cut.pcapng"), err);
    assert_non_null(c);
    check_ng_frame(c, NG_TS, 40, 40, 0x70, 1);
    assert_int_equal(cap_next(c, &f), CAP_ERROR);
    snprintf(want, sizeof(want), "byte offset %zu", epb2);
    assert_non_null(strstr(cap_errstr(c), "frame 2"));
    assert_non_null(strstr(cap_errstr(c), want));
    cap_close(c);
}

/* libpcap 1.10 supports one link type per pcapng file; its refusal must reach the user. */
static void test_pcapng_mixed_linktypes(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    struct cap *c;

    memset(&b, 0, sizeof(b));
    ng_shb(&b);
    ng_idb(&b, 1, 9);
    ng_epb(&b, 0, NG_TS, 40, 40, 0x70);
    ng_idb(&b, 113, 9);
    ng_epb(&b, 1, NG_TS + 1, 40, 40, 0x71);
    write_file(tpath(fx, "mixed.pcapng"), b.b, b.n);

    c = cap_open_file(tpath(fx, "mixed.pcapng"), err);
    assert_non_null(c);
    check_ng_frame(c, NG_TS, 40, 40, 0x70, 1);
    assert_int_equal(cap_next(c, &f), CAP_ERROR);
    assert_non_null(strstr(cap_errstr(c), "mixed.pcapng: frame 2"));
    assert_non_null(strstr(cap_errstr(c), "different link types"));
    cap_close(c);
}

/* ---- refused inputs ---------------------------------------------------------------------- */

static void test_unsupported_linktype(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    const char *path;

    build_pcap(&b, false, MAGIC_MICRO, 105, micro_recs, 1);
    path = tpath(fx, "wifi.pcap");
    write_file(path, b.b, b.n);
    assert_null(cap_open_file(path, err));
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_non_null(strstr(err, "link type IEEE802_11 (105, "));
    assert_non_null(strstr(err, "is not supported"));
    assert_non_null(strstr(err, "LINUX_SLL2"));

    /* A number libpcap has no name for. */
    build_pcap(&b, false, MAGIC_MICRO, 4000, micro_recs, 1);
    write_file(path, b.b, b.n);
    assert_null(cap_open_file(path, err));
    assert_non_null(strstr(err, "4000"));
    assert_non_null(strstr(err, "is not supported"));
}

static void test_not_a_capture(void **state)
{
    struct fixture *fx = *state;
    static const char text[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    char err[SS_ERRBUF_SIZE], want[256];
    const char *path;

    path = tpath(fx, "notes.txt");
    write_file(path, text, sizeof(text) - 1);
    assert_null(cap_open_file(path, err));
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_non_null(strstr(err, "not a pcap or pcapng capture"));

    path = tpath(fx, "empty.pcap");
    write_file(path, "", 0);
    assert_null(cap_open_file(path, err));
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_non_null(strstr(err, "empty file"));

    path = tpath(fx, "missing.pcap");
    snprintf(want, sizeof(want), "%s: cannot open: %s", path, strerror(ENOENT));
    assert_null(cap_open_file(path, err));
    assert_string_equal(err, want);

    assert_null(cap_open_file(fx->dir, err));
    assert_int_equal(strncmp(err, fx->dir, strlen(fx->dir)), 0);
    assert_non_null(strstr(err, "is a directory"));
}

/* ---- standard input, breakloop, stats ---------------------------------------------------- */

static void test_stdin(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    struct cap *c;

    build_pcap(&b, false, MAGIC_NANO, 1, nano_recs, 3);
    write_file(tpath(fx, "stdin.pcap"), b.b, b.n);
    assert_non_null(freopen(tpath(fx, "stdin.pcap"), "rb", stdin));
    c = cap_open_file("-", err);
    assert_non_null(c);
    for (int i = 0; i < 3; i++)
        expect_frame(c, &nano_recs[i], 1, (uint64_t)i + 1);
    assert_int_equal(cap_next(c, &f), CAP_END);
    cap_close(c);
    /* Standard input itself stays open (cap_open_file() read from a duplicate). */
    assert_int_equal(fgetc(stdin), EOF);
    assert_false(ferror(stdin));
}

static void test_breakloop_file(void **state)
{
    struct fixture *fx = *state;
    static struct buf b;
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    struct cap *c;

    build_pcap(&b, false, MAGIC_NANO, 1, nano_recs, 3);
    write_file(tpath(fx, "brk.pcap"), b.b, b.n);
    c = cap_open_file(tpath(fx, "brk.pcap"), err);
    assert_non_null(c);
    expect_frame(c, &nano_recs[0], 1, 1);
    cap_breakloop(c);
    assert_int_equal(cap_next(c, &f), CAP_BREAK);
    /* The break is consumed: reading resumes where it stopped. */
    expect_frame(c, &nano_recs[1], 1, 2);
    expect_frame(c, &nano_recs[2], 1, 3);
    assert_int_equal(cap_next(c, &f), CAP_END);

    struct cap_stats st;
    assert_int_equal(cap_stats(c, &st), -1);
    assert_non_null(strstr(cap_errstr(c), "live"));
    cap_close(c);
    cap_close(NULL);
}

/* ---- SHA-256 ----------------------------------------------------------------------------- */

static void test_sha256(void **state)
{
    struct fixture *fx = *state;
    char hex[65], err[SS_ERRBUF_SIZE];
    unsigned char *big;
    const size_t big_n = 1048576 + 1000; /* crosses the 1 MiB read chunk */
    const char *path;

    path = tpath(fx, "abc");
    write_file(path, "abc", 3);
    assert_int_equal(cap_file_sha256(path, hex, err), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    path = tpath(fx, "empty");
    write_file(path, "", 0);
    assert_int_equal(cap_file_sha256(path, hex, err), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /* Bytes (i * 7 + 3) mod 256; digest from sha256sum of the same bytes. */
    big = malloc(big_n);
    assert_non_null(big);
    for (size_t i = 0; i < big_n; i++)
        big[i] = (unsigned char)(i * 7 + 3);
    path = tpath(fx, "big");
    write_file(path, big, big_n);
    free(big);
    assert_int_equal(cap_file_sha256(path, hex, err), 0);
    assert_string_equal(hex, "3ee275c676518697af012b7147047118ebf5b063745110a498ba70a523191052");

    path = tpath(fx, "missing");
    assert_int_equal(cap_file_sha256(path, hex, err), -1);
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_non_null(strstr(err, strerror(ENOENT)));
}

/* ---- live -------------------------------------------------------------------------------- */

static void test_live_no_such_interface(void **state)
{
    char err[SS_ERRBUF_SIZE];

    (void)state;
    assert_null(cap_open_live("ssnoiface0", NULL, err));
    /* Without privileges libpcap reports the permission problem first. */
    assert_int_equal(strncmp(err, "ssnoiface0: ", 12), 0);
    if (geteuid() == 0)
        assert_non_null(strstr(err, "no such interface"));
}

static void test_list_interfaces(void **state)
{
    struct fixture *fx = *state;
    char err[SS_ERRBUF_SIZE], line[1024];
    int n, lines = 0;
    FILE *out;

    out = fopen(tpath(fx, "ifaces.txt"), "w+");
    assert_non_null(out);
    n = cap_list_interfaces(out, err);
    assert_true(n >= 0);
    rewind(out);
    while (fgets(line, sizeof(line), out) != NULL) {
        assert_non_null(strchr(line, '['));
        lines++;
    }
    assert_int_equal(lines, n);
    fclose(out);
}

/* Root only: captures a UDP datagram sent to ourselves over the loopback interface. */
static void test_live_loopback(void **state)
{
    struct cap_live_opts opts = {.filter = "udp and dst port 47999 and dst host 127.0.0.1"};
    static const char payload[] = "sensoscope live test";
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(47999)};
    char err[SS_ERRBUF_SIZE];
    struct cap_frame f;
    struct cap_stats st;
    struct timespec now;
    enum cap_result r = CAP_TIMEOUT;
    struct cap *c;
    int fd;

    (void)state;
    if (geteuid() != 0)
        skip();

    opts.filter = "udp and port";
    assert_null(cap_open_live("lo", &opts, err));
    assert_non_null(strstr(err, "lo: invalid capture filter \"udp and port\""));

    opts.filter = "udp and dst port 47999 and dst host 127.0.0.1";
    c = cap_open_live("lo", &opts, err);
    if (c == NULL) {
        print_message("skipping: %s\n", err);
        skip();
    }
    assert_string_equal(err, "");
    assert_int_equal(cap_linktype(c), 1);
    assert_int_equal(cap_file_size(c), 0);
    assert_int_equal(cap_file_pos(c), 0);

    /* Nothing matches yet: the read returns after the 200 ms read timeout. */
    assert_int_equal(cap_next(c, &f), CAP_TIMEOUT);

    fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &to.sin_addr), 1);
    assert_int_equal(
        sendto(fd, payload, sizeof(payload), 0, (const struct sockaddr *)&to, sizeof(to)),
        (ssize_t)sizeof(payload));
    close(fd);

    for (int i = 0; i < 25 && r == CAP_TIMEOUT; i++) /* 25 x 200 ms */
        r = cap_next(c, &f);
    assert_int_equal(r, CAP_FRAME);
    assert_int_equal(f.number, 1);
    assert_int_equal(f.caplen, 14 + 20 + 8 + sizeof(payload));
    assert_int_equal(f.wirelen, f.caplen);
    assert_memory_equal(f.data + 14 + 20 + 8, payload, sizeof(payload));
    clock_gettime(CLOCK_REALTIME, &now);
    assert_true(f.ts_ns > ((uint64_t)now.tv_sec - 60) * 1000000000u);
    assert_true(f.ts_ns <= ((uint64_t)now.tv_sec + 1) * 1000000000u);

    assert_int_equal(cap_stats(c, &st), 0);
    assert_true(st.received >= 1);

    cap_breakloop(c);
    assert_int_equal(cap_next(c, &f), CAP_BREAK);
    /* The break is consumed; nothing else matches the filter, so the read times out. */
    assert_int_equal(cap_next(c, &f), CAP_TIMEOUT);
    cap_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pcap_nano, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcap_micro, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcap_big_endian, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supported_linktypes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcapng_nano, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcapng_micro_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcapng_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcapng_mixed_linktypes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_linktype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_capture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_breakloop_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha256, setup, teardown),
        cmocka_unit_test(test_live_no_such_interface),
        cmocka_unit_test_setup_teardown(test_list_interfaces, setup, teardown),
        cmocka_unit_test(test_live_loopback),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
