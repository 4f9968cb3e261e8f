/* SPDX-License-Identifier: MIT */
/* ndpi_adapter.h - private: protocol classification of a flow's first packets through nDPI. */
#ifndef DIS_NDPI_ADAPTER_H
#define DIS_NDPI_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "ss/common.h"

struct dis_ndpi;      /**< the detection module (one per engine) */
struct dis_ndpi_flow; /**< per-flow detection state, freed once the flow is classified */

/** Creates the module; NULL with @p err when nDPI is missing from the build or fails. */
struct dis_ndpi *dis_ndpi_new(char err[SS_ERRBUF_SIZE]);
void dis_ndpi_free(struct dis_ndpi *m);

/** Per-flow state from a small free list; NULL when out of memory. */
struct dis_ndpi_flow *dis_ndpi_flow_new(struct dis_ndpi *m);
/** Returns the per-flow state to the free list (or frees it). NULL is accepted. */
void dis_ndpi_flow_release(struct dis_ndpi *m, struct dis_ndpi_flow *f);

/**
 * Feeds one IP packet (@p l3, @p len captured bytes from the IP header) at @p ts_ms.
 * Returns 1 when detection is complete (@p app and @p cat filled), 0 to keep feeding.
 */
int dis_ndpi_feed(struct dis_ndpi *m, struct dis_ndpi_flow *f, const uint8_t *l3, uint32_t len,
                  uint64_t ts_ms, char *app, size_t app_len, char *cat, size_t cat_len);

/** Gives up on @p f: fills the best guess (possibly "Unknown") into @p app and @p cat. */
void dis_ndpi_giveup(struct dis_ndpi *m, struct dis_ndpi_flow *f, char *app, size_t app_len,
                     char *cat, size_t cat_len);

#endif
