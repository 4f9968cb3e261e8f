/* SPDX-License-Identifier: MIT */
/*
 * dns_map.h - which name did a client ask for to get an address? A bounded map from (client,
 * answered address) to the question name, filled from DNS responses by following CNAME chains
 * from the address record back to the name that was asked (DESIGN.md "Attribution").
 */
#ifndef DIS_DNS_MAP_H
#define DIS_DNS_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "dissect/decode.h"
#include "dissect/dns.h"
#include "ss/common.h"

/** Largest capacity dis_dns_map_new() accepts. */
#define DIS_DNS_MAP_MAX_CAPACITY (1u << 24)

/** The map. Opaque; not thread-safe (one owner, or the caller's lock). */
struct dis_dns_map;

/** What a lookup found. Owns its strings. */
struct dis_dns_map_result {
    char name[DIS_DNS_NAME_STRLEN];  /**< the name the client asked (question), lower case */
    char canon[DIS_DNS_NAME_STRLEN]; /**< the owner of the address record: the end of the
                                          CNAME chain (== name without CNAMEs), lower case */
    uint64_t answered_ns;            /**< time of the response that gave the address */
    uint32_t ttl;                    /**< seconds: min of the TTLs along the chain */
    uint16_t qtype;                  /**< the question's type (A, AAAA, HTTPS, ...) */
    uint8_t cnames;                  /**< CNAME records followed from name to canon */
    bool from_hint;                  /**< the address came from an SVCB/HTTPS ipv4/6hint */
    bool expired;                    /**< now_ns > answered_ns + ttl seconds */
};

/** Counters, for the capture summary. */
struct dis_dns_map_stats {
    uint32_t capacity, count; /**< entries allowed / held */
    uint64_t inserted;        /**< new (client, address) pairs */
    uint64_t updated;         /**< pairs answered again (newest answer kept) */
    uint64_t evicted;         /**< least recently used pairs dropped to make room */
    uint64_t lookups, hits;
};

/**
 * Creates a map holding at most @p capacity (1..DIS_DNS_MAP_MAX_CAPACITY) pairs, all memory
 * allocated here, once: 584 bytes per pair plus 4 per hash bucket (65536 pairs: 38 MB). @p seed
 * perturbs the hash (pass a random value in a long-running process; any constant in tests). When
 * full, adding a new pair evicts the least recently added, updated or looked-up one. Returns NULL
 * with a message in @p err on a bad capacity or out of memory.
 */
struct dis_dns_map *dis_dns_map_new(uint32_t capacity, uint64_t seed, char err[SS_ERRBUF_SIZE]);

/** Frees @p m and everything it holds; NULL is allowed. */
void dis_dns_map_free(struct dis_dns_map *m);

/**
 * Records the addresses that response @p msg gave to @p client at time @p ts_ns: for a QUERY
 * response with a question and RCODE NOERROR, every class-IN A or AAAA answer (and every
 * ipv4hint/ipv6hint of an SVCB/HTTPS answer) whose owner is the question name or is reached
 * from it through CNAME answers, in any order, at most one step per answer, stopping at a
 * loop. Answers whose owner is not on that chain are ignored. A pair already present takes
 * the newer answer. Names are stored lower case. @p msg may come from a parse that returned
 * DIS_TRUNCATED: its kept answers are complete. Returns the number of pairs added or
 * updated. Never allocates.
 */
unsigned dis_dns_map_add_response(struct dis_dns_map *m, const struct dis_addr *client,
                                  const struct dis_dns_msg *msg, uint64_t ts_ns);

/**
 * Looks up the name that @p client asked to get @p addr. Fills @p out and returns true when
 * the pair is known; an entry whose TTL has run out at @p now_ns is still returned, with
 * @c expired set: clients keep using addresses past the TTL (open connections, their own
 * caches), so the caller decides whether a late flow still counts. Also compare
 * @c answered_ns with the flow's start: an answer after the flow began did not cause it.
 * Marks the pair as recently used. Returns false (and leaves @p out untouched) otherwise.
 */
bool dis_dns_map_lookup(struct dis_dns_map *m, const struct dis_addr *client,
                        const struct dis_addr *addr, uint64_t now_ns,
                        struct dis_dns_map_result *out);

/** Copies the counters of @p m into @p st. */
void dis_dns_map_stats(const struct dis_dns_map *m, struct dis_dns_map_stats *st);

#endif
