/* SPDX-License-Identifier: MIT */
/*
 * ndpi_adapter.c - the only file that includes nDPI (4.2 API). Each flow gets a detection state
 * for its first packets; once nDPI has an answer, or the engine gives up, the state goes back
 * to a small free list, so nDPI's memory is bounded by the flows still being classified.
 */
/* nDPI's headers use the BSD types u_char and u_int, which strict C11 hides. */
#define _DEFAULT_SOURCE 1

#include "ndpi_adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SS_WITH_NDPI
#include <ndpi_api.h>

#define NDPI_POOL_MAX 4096

struct dis_ndpi_flow {
    struct dis_ndpi_flow *next_free;
    struct ndpi_flow_struct *nf;
};

struct dis_ndpi {
    struct ndpi_detection_module_struct *mod;
    size_t flow_size;
    struct dis_ndpi_flow *free_list;
    unsigned nfree;
};

struct dis_ndpi *dis_ndpi_new(char err[SS_ERRBUF_SIZE])
{
    struct dis_ndpi *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, SS_ERRBUF_SIZE, "out of memory initialising nDPI");
        return NULL;
    }
    m->mod = ndpi_init_detection_module(ndpi_no_prefs);
    if (!m->mod) {
        free(m);
        snprintf(err, SS_ERRBUF_SIZE, "nDPI: ndpi_init_detection_module failed");
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(m->mod, &all);
    ndpi_finalize_initialization(m->mod);
    m->flow_size = ndpi_detection_get_sizeof_ndpi_flow_struct();
    return m;
}

void dis_ndpi_free(struct dis_ndpi *m)
{
    if (!m)
        return;
    while (m->free_list) {
        struct dis_ndpi_flow *f = m->free_list;
        m->free_list = f->next_free;
        free(f->nf);
        free(f);
    }
    ndpi_exit_detection_module(m->mod);
    free(m);
}

struct dis_ndpi_flow *dis_ndpi_flow_new(struct dis_ndpi *m)
{
    struct dis_ndpi_flow *f = m->free_list;
    if (f) {
        m->free_list = f->next_free;
        m->nfree--;
        f->next_free = NULL;
        return f;
    }
    f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->nf = calloc(1, m->flow_size);
    if (!f->nf) {
        free(f);
        return NULL;
    }
    return f;
}

void dis_ndpi_flow_release(struct dis_ndpi *m, struct dis_ndpi_flow *f)
{
    if (!f)
        return;
    ndpi_free_flow_data(f->nf); /* what nDPI allocated inside the flow (hostnames, certs) */
    if (m->nfree >= NDPI_POOL_MAX) {
        free(f->nf);
        free(f);
        return;
    }
    memset(f->nf, 0, m->flow_size);
    f->next_free = m->free_list;
    m->free_list = f;
    m->nfree++;
}

static void names(struct dis_ndpi *m, ndpi_protocol p, char *app, size_t app_len, char *cat,
                  size_t cat_len)
{
    ndpi_protocol2name(m->mod, p, app, (u_int)app_len);
    const char *c = ndpi_category_get_name(m->mod, p.category);
    snprintf(cat, cat_len, "%s", c ? c : "");
}

int dis_ndpi_feed(struct dis_ndpi *m, struct dis_ndpi_flow *f, const uint8_t *l3, uint32_t len,
                  uint64_t ts_ms, char *app, size_t app_len, char *cat, size_t cat_len)
{
    if (len > 65535)
        len = 65535;
    ndpi_protocol p = ndpi_detection_process_packet(m->mod, f->nf, l3, (unsigned short)len, ts_ms);
    if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN && p.master_protocol == NDPI_PROTOCOL_UNKNOWN)
        return 0;
    names(m, p, app, app_len, cat, cat_len);
    return 1;
}

void dis_ndpi_giveup(struct dis_ndpi *m, struct dis_ndpi_flow *f, char *app, size_t app_len,
                     char *cat, size_t cat_len)
{
    u_int8_t guessed = 0;
    ndpi_protocol p = ndpi_detection_giveup(m->mod, f->nf, 1, &guessed);
    names(m, p, app, app_len, cat, cat_len);
}

#else /* built without nDPI: classification is simply absent */

struct dis_ndpi *dis_ndpi_new(char err[SS_ERRBUF_SIZE])
{
    snprintf(err, SS_ERRBUF_SIZE, "this build of sensoscope has no nDPI (SS_WITH_NDPI=OFF)");
    return NULL;
}

void dis_ndpi_free(struct dis_ndpi *m)
{
    (void)m;
}

struct dis_ndpi_flow *dis_ndpi_flow_new(struct dis_ndpi *m)
{
    (void)m;
    return NULL;
}

void dis_ndpi_flow_release(struct dis_ndpi *m, struct dis_ndpi_flow *f)
{
    (void)m;
    (void)f;
}

int dis_ndpi_feed(struct dis_ndpi *m, struct dis_ndpi_flow *f, const uint8_t *l3, uint32_t len,
                  uint64_t ts_ms, char *app, size_t app_len, char *cat, size_t cat_len)
{
    (void)m, (void)f, (void)l3, (void)len, (void)ts_ms;
    (void)app, (void)app_len, (void)cat, (void)cat_len;
    return 1;
}

void dis_ndpi_giveup(struct dis_ndpi *m, struct dis_ndpi_flow *f, char *app, size_t app_len,
                     char *cat, size_t cat_len)
{
    (void)m, (void)f, (void)app_len, (void)cat_len;
    app[0] = cat[0] = '\0';
}
#endif
