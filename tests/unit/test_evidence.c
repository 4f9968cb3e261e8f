/* SPDX-License-Identifier: MIT */
/* test_evidence.c - the --evidence ring: which packets are written, in which order, within which
 * memory, file-size and file-count bounds; files read back with libpcap. */
#define _DEFAULT_SOURCE

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap.h>

#include "capture/cap.h"
#include "capture/evidence.h"

#define NFRAMES 24

struct fx {
    char dir[64];
    struct cap *src;
    struct cap_frame fr[NFRAMES];
    uint8_t *copy[NFRAMES];
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    char err[SS_ERRBUF_SIZE];
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ss-evidence-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->src = cap_open_file(SS_PCAPS_DIR "/mini.pcapng", err);
    assert_non_null(fx->src);
    for (int i = 0; i < NFRAMES; i++) {
        assert_int_equal(cap_next(fx->src, &fx->fr[i]), CAP_FRAME);
        fx->copy[i] = malloc(fx->fr[i].caplen);
        memcpy(fx->copy[i], fx->fr[i].data, fx->fr[i].caplen);
        fx->fr[i].data = fx->copy[i];
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    DIR *d = opendir(fx->dir);
    struct dirent *de;
    char path[1024];
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", fx->dir, de->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(fx->dir);
    for (int i = 0; i < NFRAMES; i++)
        free(fx->copy[i]);
    cap_close(fx->src);
    free(fx);
    return 0;
}

/* The ring files in the directory, sorted by name (= by sequence). */
static int ring_files(const struct fx *fx, char names[][256], int max)
{
    DIR *d = opendir(fx->dir);
    struct dirent *de;
    int n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "evidence-", 9) != 0)
            continue;
        assert_true(n < max);
        snprintf(names[n++], 256, "%s", de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
    return n;
}

/* Reads every record of every ring file in order; returns the count and checks each against
 * the expected frame indexes. */
static int read_back(const struct fx *fx, const int *want, int nwant)
{
    char names[16][256];
    int nf = ring_files(fx, names, 16), got = 0;
    for (int i = 0; i < nf; i++) {
        char path[1024], perr[PCAP_ERRBUF_SIZE];
        snprintf(path, sizeof path, "%.60s/%.255s", fx->dir, names[i]);
        pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
        assert_non_null(p);
        struct pcap_pkthdr *h;
        const u_char *data;
        while (pcap_next_ex(p, &h, &data) == 1) {
            assert_true(got < nwant);
            const struct cap_frame *f = &fx->fr[want[got]];
            uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
            assert_int_equal(ts, f->ts_ns);
            assert_int_equal(h->caplen, f->caplen);
            assert_int_equal(h->len, f->wirelen);
            assert_memory_equal(data, f->data, f->caplen);
            got++;
        }
        pcap_close(p);
    }
    return got;
}

static struct cap_evidence *open_ring(struct fx *fx, uint32_t head, uint64_t mem,
                                      uint64_t file_bytes, uint32_t files)
{
    char err[SS_ERRBUF_SIZE];
    struct cap_evidence_opts o = {.dir = fx->dir,
                                  .head_packets = head,
                                  .memory_bytes = mem,
                                  .file_bytes = file_bytes,
                                  .files = files};
    struct cap_evidence *ev = cap_evidence_open(&o, fx->src, err);
    if (!ev)
        fail_msg("cap_evidence_open: %s", err);
    return ev;
}

/* A related flow has its first N packets written at its end; an unrelated one nothing. */
static void test_head_of_related_flows(void **state)
{
    struct fx *fx = *state;
    struct cap_evidence *ev = open_ring(fx, 3, 0, 0, 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(cap_evidence_packet(ev, 1, &fx->fr[i]), 0);
    for (int i = 5; i < 9; i++)
        assert_int_equal(cap_evidence_packet(ev, 2, &fx->fr[i]), 0);
    assert_int_equal(cap_evidence_packet(ev, 0, &fx->fr[9]), 0); /* no flow: ignored */
    assert_int_equal(cap_evidence_flow_end(ev, 2, 0), 0);
    assert_int_equal(cap_evidence_flow_end(ev, 1, 1), 0);
    struct cap_evidence_stats st;
    cap_evidence_get_stats(ev, &st);
    assert_int_equal(st.packets_written, 3);
    assert_int_equal(st.flows_written, 1);
    assert_int_equal(st.files_opened, 1);
    cap_evidence_settle(ev);
    cap_evidence_get_stats(ev, &st);
    assert_int_equal(st.held_bytes, 0); /* flow 1's two tail packets freed: no verdict */
    assert_int_equal(cap_evidence_close(ev, NULL), 0);
    static const int want[] = {0, 1, 2};
    assert_int_equal(read_back(fx, want, 3), 3);
}

/* A verdict at the analysis writes the held tail after the head: every packet of the flow. */
static void test_verdict_writes_every_packet(void **state)
{
    struct fx *fx = *state;
    struct cap_evidence *ev = open_ring(fx, 2, 0, 0, 0);
    for (int i = 0; i < 6; i++)
        assert_int_equal(cap_evidence_packet(ev, 7, &fx->fr[i]), 0);
    for (int i = 6; i < 10; i++)
        assert_int_equal(cap_evidence_packet(ev, 8, &fx->fr[i]), 0);
    assert_int_equal(cap_evidence_flow_end(ev, 7, 1), 0);
    assert_int_equal(cap_evidence_flow_end(ev, 8, 1), 0);
    assert_int_equal(cap_evidence_verdict(ev, 7), 0);
    assert_int_equal(cap_evidence_verdict(ev, 7), 0); /* a second verdict adds nothing */
    cap_evidence_settle(ev);
    assert_int_equal(cap_evidence_verdict(ev, 8), 0); /* after the settle: forgotten */
    struct cap_evidence_stats st;
    cap_evidence_get_stats(ev, &st);
    assert_int_equal(st.packets_written, 2 + 4 + 2);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.held_bytes, 0);
    assert_int_equal(cap_evidence_close(ev, NULL), 0);
    static const int want[] = {0, 1, 6, 7, 2, 3, 4, 5};
    assert_int_equal(read_back(fx, want, 8), 8);
}

/* A verdict on a flow still open writes what is held and then each later packet at once. */
static void test_verdict_on_open_flow(void **state)
{
    struct fx *fx = *state;
    struct cap_evidence *ev = open_ring(fx, 2, 0, 0, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cap_evidence_packet(ev, 3, &fx->fr[i]), 0);
    assert_int_equal(cap_evidence_verdict(ev, 3), 0);
    assert_int_equal(cap_evidence_packet(ev, 3, &fx->fr[4]), 0);
    assert_int_equal(cap_evidence_flow_end(ev, 3, 0), 0);
    assert_int_equal(cap_evidence_close(ev, NULL), 0);
    static const int want[] = {0, 1, 2, 3, 4};
    assert_int_equal(read_back(fx, want, 5), 5);
}

/* The memory bound evicts the oldest tail packets first and keeps head packets; what a
 * verdict then misses is counted as lost. */
static void test_memory_bound(void **state)
{
    struct fx *fx = *state;
    /* Frames of one length c, so that exactly 4 fit in 4c + 255 bytes whatever the
     * bookkeeping per packet (12 to 63 bytes). */
    const uint32_t c = 200;
    for (int i = 0; i < 12; i++) {
        fx->copy[i] = realloc(fx->copy[i], c);
        assert_non_null(fx->copy[i]);
        memset(fx->copy[i], 'a' + i, c);
        fx->fr[i].data = fx->copy[i];
        fx->fr[i].caplen = fx->fr[i].wirelen = c;
    }
    struct cap_evidence *ev = open_ring(fx, 1, 4 * (uint64_t)c + 255, 0, 0);
    for (int i = 0; i < 8; i++) /* flow 1: head frame 0, tail 1..7 */
        assert_int_equal(cap_evidence_packet(ev, 1, &fx->fr[i]), 0);
    for (int i = 8; i < 10; i++) /* flow 2: head frame 8, tail 9 */
        assert_int_equal(cap_evidence_packet(ev, 2, &fx->fr[i]), 0);
    struct cap_evidence_stats st;
    cap_evidence_get_stats(ev, &st);
    assert_true(st.held_bytes <= 4 * (uint64_t)c + 255);
    assert_int_equal(cap_evidence_flow_end(ev, 1, 1), 0);
    assert_int_equal(cap_evidence_verdict(ev, 1), 0);
    cap_evidence_get_stats(ev, &st);
    /* Held at most 4 packets: flow 1's head (0), flow 2's head (8), and the two newest tail
     * packets (7 and 9); so flow 1 wrote 0 and 7 and lost 1..6. */
    assert_int_equal(st.packets_written, 2);
    assert_int_equal(st.lost, 6);
    assert_int_equal(cap_evidence_flow_end(ev, 2, 1), 0);
    assert_int_equal(cap_evidence_close(ev, NULL), 0);
    static const int want[] = {0, 7, 8};
    assert_int_equal(read_back(fx, want, 3), 3);
}

/* Files are closed at the size bound and the oldest removed beyond the count bound; files a
 * previous run left are adopted into the ring and numbered after. */
static void test_rotation_and_adoption(void **state)
{
    struct fx *fx = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/evidence-000041-20260101T000000Z.pcap", fx->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/notes.txt", fx->dir); /* not a ring file: left alone */
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    /* Each file takes the 24-byte header and one record at most. */
    uint64_t max = 0;
    for (int i = 0; i < 6; i++)
        if (fx->fr[i].caplen > max)
            max = fx->fr[i].caplen;
    struct cap_evidence *ev = open_ring(fx, 100, 0, 24 + 16 + max, 3);
    for (int i = 0; i < 6; i++)
        assert_int_equal(cap_evidence_packet(ev, 5, &fx->fr[i]), 0);
    assert_int_equal(cap_evidence_flow_end(ev, 5, 1), 0);
    struct cap_evidence_stats st;
    cap_evidence_get_stats(ev, &st);
    assert_int_equal(st.files_opened, 6);
    assert_int_equal(st.files_removed, 4); /* the adopted one and the first three new ones */
    assert_int_equal(cap_evidence_close(ev, NULL), 0);
    char names[16][256];
    assert_int_equal(ring_files(fx, names, 16), 3);
    assert_int_equal(strncmp(names[0], "evidence-000045-", 16), 0);
    assert_int_equal(strncmp(names[2], "evidence-000047-", 16), 0);
    struct stat sb;
    mode_t mask = umask(0);
    umask(mask);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%.60s/%.255s", fx->dir, names[i]);
        assert_int_equal(stat(path, &sb), 0);
        assert_true((uint64_t)sb.st_size <= 24 + 16 + max);
        assert_int_equal(sb.st_mode & 0777, 0640 & ~mask);
    }
    snprintf(path, sizeof path, "%s/notes.txt", fx->dir);
    assert_int_equal(access(path, F_OK), 0);
    static const int want[] = {3, 4, 5};
    assert_int_equal(read_back(fx, want, 3), 3);
}

static void test_bad_directory(void **state)
{
    struct fx *fx = *state;
    char err[SS_ERRBUF_SIZE], dir[256];
    snprintf(dir, sizeof dir, "%s/missing", fx->dir);
    struct cap_evidence_opts o = {.dir = dir};
    assert_null(cap_evidence_open(&o, fx->src, err));
    assert_non_null(strstr(err, "No such file or directory (create the directory first)"));
    o.dir = "";
    assert_null(cap_evidence_open(&o, fx->src, err));
    assert_string_equal(err, "--evidence: no directory given");
}

/* Many flows: the table grows and shrinks through removals without losing any entry. */
static void test_many_flows(void **state)
{
    struct fx *fx = *state;
    struct cap_evidence *ev = open_ring(fx, 1, 0, 0, 0);
    for (uint64_t id = 1; id <= 5000; id++)
        assert_int_equal(cap_evidence_packet(ev, id, &fx->fr[id % NFRAMES]), 0);
    /* Unrelated: every odd flow; related: every even one, ended before the settle. */
    for (uint64_t id = 1; id <= 5000; id += 2)
        assert_int_equal(cap_evidence_flow_end(ev, id, 0), 0);
    for (uint64_t id = 2; id <= 5000; id += 4)
        assert_int_equal(cap_evidence_flow_end(ev, id, 1), 0);
    cap_evidence_settle(ev);
    /* The flows 4, 8, ... are still open: a verdict on each writes its one packet. */
    for (uint64_t id = 4; id <= 5000; id += 4)
        assert_int_equal(cap_evidence_verdict(ev, id), 0);
    struct cap_evidence_stats st;
    cap_evidence_get_stats(ev, &st);
    assert_int_equal(st.packets_written, 1250 + 1250);
    assert_int_equal(st.flows_written, 2500);
    cap_evidence_reset(ev);
    cap_evidence_get_stats(ev, &st);
    assert_int_equal(st.held_bytes, 0);
    assert_int_equal(cap_evidence_close(ev, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_head_of_related_flows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verdict_writes_every_packet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verdict_on_open_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_and_adoption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_flows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
