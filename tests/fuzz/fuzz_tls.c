/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tls.c - libFuzzer target for the TLS/DTLS dissector. The input is a sequence of frames
 * [control byte][n bytes]: bit 7 of the control byte picks the direction, bits 0-6 give n - 1;
 * each frame's bytes go to the stream collector of that direction in an exactly-sized heap copy,
 * so records and handshake messages split anywhere between frames. Every event's hello is
 * fingerprinted and every certificate decoded and verified against an empty store. The whole
 * input is also parsed as one DTLS datagram and as bare hello and Certificate bodies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "dissect/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *ctx, const struct dis_tls_event *ev)
{
    X509_STORE *store = ctx;
    char ja3[DIS_TLS_JA3_SIZE], md5[DIS_TLS_MD5_HEX_SIZE], ja4[DIS_TLS_JA4_SIZE];
    char raw[DIS_TLS_JA4_RAW_SIZE];
    switch (ev->type) {
    case DIS_TLS_EV_CLIENT_HELLO:
        if (dis_tls_ja3(ev->ch, ja3, sizeof ja3, md5) != 0 || dis_tls_ja4(ev->ch, ja4) != 0 ||
            dis_tls_ja4_raw(ev->ch, raw, sizeof raw) != 0)
            abort(); /* the buffers are sized for the limits: never too small */
        break;
    case DIS_TLS_EV_SERVER_HELLO:
        if (dis_tls_ja3s(ev->sh, ja3, sizeof ja3, md5) != 0)
            abort();
        break;
    case DIS_TLS_EV_CERTIFICATE: {
        struct dis_tls_cert_info info;
        struct dis_tls_verify_result v;
        for (size_t i = 0; i < ev->certs->n; i++)
            if (dis_tls_cert_info(ev->certs->cert[i].p, ev->certs->cert[i].len, &info) == 0 &&
                strlen(info.sha256) != 64)
                abort();
        /* nothing can verify against an empty store */
        if (dis_tls_verify_chain(store, ev->certs, "app.senso.cloud", 1750000000, &v) == 0 && v.ok)
            abort();
        break;
    }
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    X509_STORE *store = X509_STORE_new();
    if (!store)
        return 0;
    struct dis_tls_conn c;
    dis_tls_conn_init(&c);
    size_t off = 0;
    while (off < size) {
        int dir = data[off] >> 7;
        size_t n = (size_t)(data[off] & 0x7f) + 1;
        off++;
        if (n > size - off)
            n = size - off;
        uint8_t *copy = malloc(n ? n : 1);
        if (!copy)
            break;
        if (n > 0)
            memcpy(copy, data + off, n);
        (void)dis_tls_conn_feed(&c, dir, copy, n, on_event, store);
        free(copy);
        off += n;
    }
    dis_tls_conn_free(&c);

    (void)dis_dtls_parse(data, size, 0, on_event, store, NULL);
    (void)dis_tls_probe(data, size);
    (void)dis_dtls_probe(data, size);

    struct dis_tls_client_hello ch;
    struct dis_tls_server_hello sh;
    struct dis_tls_cert_list certs;
    char ja3[DIS_TLS_JA3_SIZE], ja4[DIS_TLS_JA4_SIZE];
    if (dis_tls_parse_client_hello(data, size, size > 0 && data[0] == 0xfe, &ch) == DIS_OK &&
        (dis_tls_ja3(&ch, ja3, sizeof ja3, NULL) != 0 || dis_tls_ja4(&ch, ja4) != 0))
        abort();
    if (dis_tls_parse_server_hello(data, size, false, &sh) == DIS_OK &&
        dis_tls_ja3s(&sh, ja3, sizeof ja3, NULL) != 0)
        abort();
    if (dis_tls_parse_certificate(data, size, &certs) == DIS_OK &&
        (certs.n > certs.total || certs.n > DIS_TLS_MAX_CERTS))
        abort();
    X509_STORE_free(store);
    return 0;
}
