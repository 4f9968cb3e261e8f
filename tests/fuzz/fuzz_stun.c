/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stun.c - libFuzzer target for the STUN/TURN parser: the input is probed and parsed as a
 * datagram (whole and cut by a capture), as ChannelData, and as a TURN-over-TCP stream split
 * with dis_stun_frame_len(); a DATA attribute is parsed again, as the pipeline does. Checks the
 * invariants the parser promises: statuses, bounded counts, terminated texts, borrowed views
 * inside the input, probe and parse agreeing, frame lengths that parse consumes exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

/* True when [p, p + n) lies inside [base, base + size). */
static int inside(const uint8_t *p, size_t n, const uint8_t *base, size_t size)
{
    return n == 0 || (p != NULL && p >= base && n <= size && p <= base + (size - n));
}

static void check_msg(enum dis_status st, const struct dis_stun_msg *m, const uint8_t *base,
                      size_t size)
{
    CHECK(st <= DIS_NOT_MINE);
    CHECK(m->n_mapped <= DIS_STUN_MAX_ADDRS && m->n_xor_mapped <= DIS_STUN_MAX_ADDRS);
    CHECK(m->n_relayed <= DIS_STUN_MAX_ADDRS && m->n_peer <= DIS_STUN_MAX_ADDRS);
    CHECK(m->n_unknown_attrs <= DIS_STUN_MAX_UNKNOWN);
    CHECK(m->n_unknown_required <= DIS_STUN_MAX_UNKNOWN);
    CHECK(m->attr_count <= DIS_STUN_MAX_ATTRS);
    CHECK(m->username_len < sizeof m->username && m->username[m->username_len] == '\0');
    CHECK(m->realm_len < sizeof m->realm && m->realm[m->realm_len] == '\0');
    CHECK(m->nonce_len < sizeof m->nonce && m->nonce[m->nonce_len] == '\0');
    CHECK(m->software_len < sizeof m->software && m->software[m->software_len] == '\0');
    CHECK(m->error_reason_len < sizeof m->error_reason &&
          m->error_reason[m->error_reason_len] == '\0');
    CHECK(m->cls <= DIS_STUN_ERROR && m->method <= 0xFFF);
    CHECK(m->txid_len == 0 || m->txid_len == 12 || m->txid_len == 16);
    CHECK(!m->fingerprint_ok || m->has_fingerprint);
    if (st == DIS_MALFORMED)
        CHECK(m->anomalies & DIS_STUN_AN_FATAL);
    if (st == DIS_OK)
        CHECK(!(m->anomalies & DIS_STUN_AN_FATAL));
    if (m->has_data)
        CHECK(inside(m->data, m->data_len, base, size));
}

/* The datagram view: whole, then cut in half by a "snaplen". */
static void fuzz_dgram(const uint8_t *data, size_t size, struct dis_stun_msg *m)
{
    size_t used = 0;
    enum dis_status probe = dis_stun_probe(data, size, size, DIS_STUN_DGRAM);
    CHECK(probe == DIS_OK || probe == DIS_NOT_MINE || probe == DIS_TRUNCATED);
    enum dis_status st = dis_stun_parse(data, size, size, DIS_STUN_DGRAM, m, &used);
    check_msg(st, m, data, size);
    /* Whole datagrams are never truncated, and probe and parse agree. */
    CHECK(st != DIS_TRUNCATED && st != DIS_NEED_MORE);
    CHECK((probe == DIS_OK) == (st == DIS_OK || st == DIS_MALFORMED));
    if (st == DIS_OK || st == DIS_MALFORMED)
        CHECK(used == size);

    if (st == DIS_OK && m->has_data && m->data_len > 0) {
        /* DATA is dissected again (a relayed ICE check); copy the view first. */
        struct dis_stun_msg *in = malloc(sizeof *in);
        CHECK(in != NULL);
        const uint8_t *d = m->data;
        size_t n = m->data_len;
        check_msg(dis_stun_parse(d, n, n, DIS_STUN_DGRAM, in, NULL), in, d, n);
        free(in);
    }
    if (st == DIS_OK && size % 8 == 0) {
        int r = dis_stun_check_integrity(data, size, (const uint8_t *)"key", 3, 0);
        CHECK(r >= -1 && r <= 1);
        r = dis_stun_check_integrity(data, size, (const uint8_t *)"key", 3, 1);
        CHECK(r >= -1 && r <= 1);
    }

    size_t cut = size / 2;
    st = dis_stun_parse(data, cut, size, DIS_STUN_DGRAM, m, &used);
    check_msg(st, m, data, cut);
    CHECK(st != DIS_NEED_MORE);
    CHECK(cut == size || st != DIS_OK);

    struct dis_channeldata cd;
    st = dis_channeldata_parse(data, size, size, DIS_STUN_DGRAM, &cd, &used);
    CHECK(st == DIS_OK || st == DIS_NOT_MINE);
    if (st == DIS_OK) {
        CHECK(used == size && cd.data_caplen == cd.data_len);
        CHECK(inside(cd.data, cd.data_caplen, data, size));
    }
    st = dis_channeldata_parse(data, cut, size, DIS_STUN_DGRAM, &cd, &used);
    CHECK(st != DIS_NEED_MORE && st != DIS_MALFORMED);
    CHECK(inside(cd.data, cd.data_caplen, data, cut));
    if (size > 0)
        CHECK(dis_demux_name(dis_demux_first_byte(data[0])) != NULL);
}

/* The stream view: frames one after the other, as TURN over TCP sends them. */
static void fuzz_stream(const uint8_t *data, size_t size, struct dis_stun_msg *m, unsigned flags)
{
    size_t pos = 0;
    for (unsigned i = 0; i < 64 && pos < size; i++) {
        const uint8_t *p = data + pos;
        size_t left = size - pos, flen = 0, used = 0;
        enum dis_stun_frame kind = DIS_STUN_FRAME_STUN;
        enum dis_status st = dis_stun_frame_len(p, left, flags, &flen, &kind);
        CHECK(st == DIS_OK || st == DIS_NEED_MORE || st == DIS_NOT_MINE);
        if (st != DIS_OK)
            return;
        CHECK(flen >= 2);
        if (kind == DIS_STUN_FRAME_STUN || kind == DIS_STUN_FRAME_MTURN) {
            st = dis_stun_parse(p, left, 0, DIS_STUN_STREAM, m, &used);
            check_msg(st, m, p, left);
            CHECK(st != DIS_TRUNCATED);
            if (flen > left)
                CHECK(st == DIS_NEED_MORE || st == DIS_NOT_MINE);
            if (st == DIS_OK || st == DIS_MALFORMED)
                CHECK(used == flen);
        }
        if (kind == DIS_STUN_FRAME_CHANNELDATA || kind == DIS_STUN_FRAME_MTURN) {
            struct dis_channeldata cd;
            st = dis_channeldata_parse(p, left, 0, DIS_STUN_STREAM, &cd, &used);
            CHECK(st == DIS_OK || st == DIS_NEED_MORE || st == DIS_NOT_MINE);
            if (st == DIS_OK)
                CHECK(used == flen && inside(cd.data, cd.data_len, p, left));
        }
        if (flen > left)
            return;
        pos += flen;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dis_stun_msg *m = malloc(sizeof *m);
    CHECK(m != NULL);
    fuzz_dgram(data, size, m);
    fuzz_stream(data, size, m, 0);
    fuzz_stream(data, size, m, DIS_STUN_F_RFC4571);
    free(m);
    return 0;
}
