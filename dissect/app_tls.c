/* SPDX-License-Identifier: MIT */
/*
 * app_tls.c - the TLS summary (struct dis_tls_summary) as every transport builds it: the
 * fields of the first ClientHello and ServerHello with their JA3/JA3S/JA4 fingerprints
 * (RFC 8446 §4.1.2-4.1.3, RFC 6347 §4.2.1), and its emission as DIS_EV_TLS when the flow
 * ends. Shared by TLS over TCP (app_tcp.c) and QUIC and DTLS over UDP (app_udp.c).
 */
#include <stdlib.h>
#include <string.h>

#include "app_int.h"

void app_tls_summary_init(struct dis_tls_summary *m)
{
    m->sni = m->ja3 = m->server_alpn = m->ja3s = m->proxy_target = "";
}

/* Copies @p n strings into one exact-size allocation, pointing @p dst[i] at each copy; the
 * pointers stay "" when out of memory. Returns the allocation (NULL when none). */
static char *strs_pack(const char *const *src, const char **dst, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(src[i]) + 1;
    char *block = malloc(total);
    if (!block)
        return NULL;
    char *p = block;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(src[i]) + 1;
        memcpy(p, src[i], len);
        dst[i] = p;
        p += len;
    }
    return block;
}

void app_tls_client_hello(struct dis_tls_summary *m, char **strs,
                          const struct dis_tls_client_hello *ch, uint64_t ts)
{
    m->client_hellos++;
    if (m->has_client_hello)
        return;
    m->has_client_hello = true;
    m->client_hello_ns = ts;
    m->client_version = ch->legacy_version;
    m->client_max_version = dis_tls_client_max_version(ch);
    m->client_hello_flags = ch->flags;
    char ja3[DIS_TLS_JA3_SIZE];
    if (dis_tls_ja3(ch, ja3, sizeof ja3, m->ja3_md5) < 0)
        ja3[0] = m->ja3_md5[0] = '\0';
    if (dis_tls_ja4(ch, m->ja4) < 0)
        m->ja4[0] = '\0';
    /* sni, ja3 and the ALPN names, in one block */
    const char *src[2 + DIS_TLS_MAX_ALPN] = {ch->sni, ja3};
    const char *dst[2 + DIS_TLS_MAX_ALPN];
    size_t n_alpn = ch->n_alpn < DIS_TLS_MAX_ALPN ? ch->n_alpn : DIS_TLS_MAX_ALPN;
    for (size_t i = 0; i < n_alpn; i++)
        src[2 + i] = ch->alpn[i];
    *strs = strs_pack(src, dst, 2 + n_alpn);
    if (!*strs)
        return;
    m->sni = dst[0];
    m->ja3 = dst[1];
    for (size_t i = 0; i < n_alpn; i++)
        m->alpn[i] = dst[2 + i];
    m->n_alpn = (uint8_t)n_alpn;
}

void app_tls_server_hello(struct dis_tls_summary *m, char **strs,
                          const struct dis_tls_server_hello *sh, uint64_t ts)
{
    if (sh->hrr) {
        m->hrr = true;
        return;
    }
    if (m->has_server_hello)
        return;
    m->has_server_hello = true;
    m->server_hello_ns = ts;
    m->server_version = sh->legacy_version;
    m->selected_version = sh->selected_version;
    m->cipher = sh->cipher;
    char ja3s[DIS_TLS_JA3_SIZE];
    if (dis_tls_ja3s(sh, ja3s, sizeof ja3s, m->ja3s_md5) < 0)
        ja3s[0] = m->ja3s_md5[0] = '\0';
    const char *src[2] = {sh->alpn, ja3s};
    const char *dst[2];
    *strs = strs_pack(src, dst, 2);
    if (!*strs)
        return;
    m->server_alpn = dst[0];
    m->ja3s = dst[1];
}

int app_tls_emit(struct app_ctx *a, const struct dis_tls_summary *m)
{
    a->st->tls_flows++;
    if (m->sni[0])
        a->st->tls_sni++;
    if (!a->cb)
        return 0;
    struct dis_event ev;
    app_event_init(a, &ev, DIS_EV_TLS);
    ev.u.tls = m;
    return app_emit(a, &ev);
}
