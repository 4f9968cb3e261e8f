/* SPDX-License-Identifier: MIT */
/*
 * profile.h - the requirement profile: which destinations, ports and protocols a product
 * needs open, and which networks are local. The vendor's table (DESIGN.md) is the built-in
 * default; a user may load another profile with the same rules for other hosts. Pure: the
 * profile is parsed from a buffer the caller read; nothing here does I/O.
 *
 * File format: INI (parsed with inih), documented in docs/profile.md:
 *
 *   [profile]
 *   name = senso
 *   [rule cloud]
 *   hosts = *.senso.cloud
 *   ports = tcp/443
 *   product = yes
 *   used_for = front-end and back-end services
 *   [rule relay]
 *   hosts = rule:sturn-eu rule:sturn-us
 *   ports = udp/49152-65535
 *   traffic = ice
 *   [rule broadcast]
 *   scope = lan
 *   hosts = *
 *   ports = tcp/30100
 *   [direct]
 *   ports = tcp/30200
 *   [local]
 *   nets = 10.0.0.0/8 192.168.0.0/16
 */
#ifndef DIS_PROFILE_H
#define DIS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/decode.h"
#include "ss/common.h"

#define DIS_PROFILE_MAX_RULES 64
#define DIS_PROFILE_MAX_HOSTS 16 /**< host patterns per rule */
#define DIS_PROFILE_MAX_PORTS 16 /**< port ranges per rule */
#define DIS_PROFILE_MAX_NETS 64  /**< local networks */
#define DIS_PROFILE_ID_LEN 32

enum dis_rule_scope {
    DIS_SCOPE_INTERNET = 0, /**< outbound: a local client to a non-local destination (default) */
    DIS_SCOPE_LAN,          /**< both ends on local networks (e.g. the screen broadcast) */
};

enum dis_rule_traffic {
    DIS_TRAFFIC_ANY = 0, /**< any flow to a matching destination (default) */
    DIS_TRAFFIC_ICE,     /**< only flows of an ICE session: connectivity checks, relayed media
                              (relay, holepunch: "any UDP" would otherwise take every flow) */
};

struct dis_port_range {
    uint8_t proto; /**< 6 TCP, 17 UDP */
    uint16_t lo, hi;
};

struct dis_profile_rule {
    char id[DIS_PROFILE_ID_LEN]; /**< "cloud", "sturn-eu" ... ([a-z0-9._-], unique) */
    char used_for[128];          /**< what the product uses it for (free text, may be "") */
    /** Host patterns: "name" (exact), "*.domain" (any name below domain, not domain itself),
     *  "*" (any destination, with or without a name), or "rule:ID" (the hosts of another rule,
     *  resolved at parse; one level only). Names are stored in lower case without a trailing
     *  dot. Every rule has at least one host and one port range. */
    uint8_t n_hosts;
    char hosts[DIS_PROFILE_MAX_HOSTS][256];
    uint8_t n_ports;
    struct dis_port_range ports[DIS_PROFILE_MAX_PORTS];
    enum dis_rule_scope scope;
    enum dis_rule_traffic traffic;
    bool product; /**< a host that talks to this rule is a product host (client or console) */
};

struct dis_net {
    struct dis_addr addr; /**< network address (host bits zero) */
    uint8_t prefix;       /**< prefix length */
};

struct dis_profile;

/**
 * Parses a profile from @p text (@p len bytes, need not be NUL-terminated). @p name is the
 * file name used in error messages. On success returns 0 and a new profile in @p out (free
 * with dis_profile_free). On error returns -1 and @p err reads "NAME:LINE: what is wrong"
 * (unknown section or key, bad port range, duplicate rule id, unknown rule: reference, a
 * rule without ports, too many entries ...). A profile without a [local] section gets the
 * default local networks.
 */
SS_MUST_CHECK int dis_profile_parse(const char *text, size_t len, const char *name,
                                    struct dis_profile **out, char err[SS_ERRBUF_SIZE]);

/** The built-in default profile (the vendor's table in DESIGN.md), as dis_profile_parse()
 *  would give for dis_profile_default_text(). Returns 0 or -1 with @p err (out of memory). */
SS_MUST_CHECK int dis_profile_default(struct dis_profile **out, char err[SS_ERRBUF_SIZE]);

/** The built-in default profile in the file format (for `sensoscope rules --format ini`). */
const char *dis_profile_default_text(void);

/** Frees @p p (NULL is allowed). */
void dis_profile_free(struct dis_profile *p);

/** The profile's name ([profile] name =; without one, the NAME given to the parser),
 *  "default" for the built-in one. */
const char *dis_profile_name(const struct dis_profile *p);

/** Adds a local network ("10.20.0.0/16", "2001:db8:5::/48", or one address) to @p p.
 *  Returns 0, or -1 with @p err (bad CIDR, host bits set, too many networks). */
SS_MUST_CHECK int dis_profile_add_local_net(struct dis_profile *p, const char *cidr,
                                            char err[SS_ERRBUF_SIZE]);

/** True if @p a is inside one of the profile's local networks (defaults: RFC 1918, RFC 6598,
 *  RFC 4193, IPv4/IPv6 link-local and loopback, plus what was added). */
bool dis_profile_is_local(const struct dis_profile *p, const struct dis_addr *a);

/** Number of rules. */
size_t dis_profile_rule_count(const struct dis_profile *p);
/** Rule @p i (0-based, in file order; matching takes the first that matches), or NULL when
 *  out of range. */
const struct dis_profile_rule *dis_profile_rule_at(const struct dis_profile *p, size_t i);
/** Index of the rule with id @p id, or -1. */
int dis_profile_rule_index(const struct dis_profile *p, const char *id);
/** Number of local networks (the [local] ones or the defaults, then the added ones). */
size_t dis_profile_net_count(const struct dis_profile *p);
/** Local network @p i (0-based), or NULL when out of range. */
const struct dis_net *dis_profile_net_at(const struct dis_profile *p, size_t i);

/**
 * Method 1 (DESIGN.md "Sessions and methods": the product's own direct connection between two
 * product hosts on the local network). True when a flow to (@p proto, @p port) may be it: with
 * a [direct] `ports` list, exactly those; without one, any port from 1024 up except the
 * well-known services that two school hosts use on their own (SQL Server, RDP, WinRM, Delivery
 * Optimization, LLMNR, mDNS, SSDP/WSD, 8080 ... docs/profile.md) and the [direct] `exclude`
 * list.
 */
bool dis_profile_direct_port(const struct dis_profile *p, uint8_t proto, uint16_t port);
/** True when (@p proto, @p port) is a well-known service's: below 1024, on the built-in list
 *  above, or on the [direct] `exclude` list (whatever the `ports` list says). */
bool dis_profile_service_port(const struct dis_profile *p, uint8_t proto, uint16_t port);
/** The [direct] `ports` ranges (in @p *v, owned by @p p); returns their number, 0 when none. */
size_t dis_profile_direct_ports(const struct dis_profile *p, const struct dis_port_range **v);
/** The [direct] `exclude` ranges (in @p *v, owned by @p p); returns their number. */
size_t dis_profile_direct_excluded(const struct dis_profile *p, const struct dis_port_range **v);

/** What the matcher needs to know about a flow. */
struct dis_profile_flow {
    const char *host;           /**< attributed host name (SNI, CONNECT target, DNS, cert), or
                                     NULL/"" when none */
    uint8_t proto;              /**< 6 TCP, 17 UDP */
    uint16_t dport;             /**< the responder's port */
    const struct dis_addr *src; /**< initiator */
    const struct dis_addr *dst; /**< responder */
    bool ice;                   /**< the flow carries ICE checks or relayed ICE traffic */
};

/**
 * The first rule that matches the flow: its host patterns (case-insensitive, a trailing dot
 * ignored) accept f->host, its ports accept (proto, dport), its scope accepts the flow
 * (internet: src local and dst not local; lan: both local), and its traffic accepts it
 * (ice: only when f->ice). Returns the rule index, or -1 when no rule matches.
 */
int dis_profile_match(const struct dis_profile *p, const struct dis_profile_flow *f);

/** True if @p host matches one of @p r's host patterns (what dis_profile_match uses). */
bool dis_profile_host_matches(const struct dis_profile *p, const struct dis_profile_rule *r,
                              const char *host);

/**
 * Known HTTPS-inspection products: a list of (vendor, issuer pattern) pairs, shipped as a
 * data file (data/inspection-issuers.tsv) and extendable by the user. Format: one pair per
 * line, "vendor<TAB>pattern", '#' comments; a pattern matches when it occurs in the
 * certificate issuer's distinguished name, case-insensitively.
 */
struct dis_issuers;

/** Appends the pairs in @p text to @p *io (allocated when NULL). Returns 0, or -1 with
 *  @p err "NAME:LINE: ..." (a line without a tab, an empty field, too long, too many); on
 *  error nothing of @p text is added (and a list allocated by this call is freed). */
SS_MUST_CHECK int dis_issuers_parse(const char *text, size_t len, const char *name,
                                    struct dis_issuers **io, char err[SS_ERRBUF_SIZE]);
/** Frees @p l (NULL is allowed). */
void dis_issuers_free(struct dis_issuers *l);
/** Number of (vendor, pattern) pairs; 0 for NULL. */
size_t dis_issuers_count(const struct dis_issuers *l);
/** The vendor of the first pair (in file order) whose pattern occurs in @p issuer_dn
 *  (case-insensitive), or NULL; NULL for a NULL list or DN. The string belongs to @p l. */
const char *dis_issuers_match(const struct dis_issuers *l, const char *issuer_dn);

#endif
