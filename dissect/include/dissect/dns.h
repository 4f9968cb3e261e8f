/* SPDX-License-Identifier: MIT */
/*
 * dns.h - DNS messages over UDP and TCP (RFC 1035, RFC 2181, RFC 6891 EDNS, RFC 2308 negative
 * answers, RFC 9460 SVCB/HTTPS): a content probe, a message parser into a bounded struct and
 * the 2-byte length framing of DNS over TCP (RFC 1035 §4.2.2, RFC 7766).
 *
 * Names are kept in uncompressed wire form (struct dis_dns_name) so that they compare exactly;
 * dis_dns_name_str() gives the presentation form, with this escaping: the bytes A-Z a-z 0-9
 * '-' '_' '*' are written as they are, every other byte (including '.' and '\' inside a label,
 * spaces, control and non-ASCII bytes) as a backslash and three decimal digits, "\DDD" as in
 * RFC 1035 §5.1 master files. Labels are joined by '.', there is no trailing dot, and the root
 * name is ".". The result is safe to put in JSON, CSV or HTML without further escaping and can
 * be read back unambiguously: every '\' starts exactly three digits.
 */
#ifndef DIS_DNS_H
#define DIS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/decode.h"
#include "dissect/status.h"

/** Longest name in wire form, length octets and the root octet included (RFC 1035 §3.1). */
#define DIS_DNS_NAME_WIRE_MAX 255
/**
 * Buffer size that holds any name in presentation form with its NUL: 254 octets of labels
 * can hold at most 253 content bytes of which each takes up to 4 characters ("\DDD").
 */
#define DIS_DNS_NAME_STRLEN 1016
/** Answer records kept per message; further ones are validated and counted, not kept. */
#define DIS_DNS_MAX_ANSWERS 32
/** ALPN identifiers kept per SVCB/HTTPS record. */
#define DIS_DNS_MAX_ALPN 4
/** Buffer size of one ALPN identifier in presentation form (same escaping as names). */
#define DIS_DNS_ALPN_STRLEN 24
/** ipv4hint + ipv6hint addresses kept per SVCB/HTTPS record. */
#define DIS_DNS_MAX_HINTS 8

/** Record types that the parser decodes or that callers commonly name. */
enum {
    DIS_DNS_T_A = 1,
    DIS_DNS_T_NS = 2,
    DIS_DNS_T_CNAME = 5,
    DIS_DNS_T_SOA = 6,
    DIS_DNS_T_PTR = 12,
    DIS_DNS_T_MX = 15,
    DIS_DNS_T_TXT = 16,
    DIS_DNS_T_AAAA = 28,
    DIS_DNS_T_SRV = 33,
    DIS_DNS_T_DNAME = 39,
    DIS_DNS_T_OPT = 41,
    DIS_DNS_T_SVCB = 64,
    DIS_DNS_T_HTTPS = 65,
    DIS_DNS_T_ANY = 255
};

/** Class IN, the only class whose A/AAAA/SVCB data is decoded. */
enum { DIS_DNS_C_IN = 1 };

/** Header opcodes (RFC 1035, RFC 1996 NOTIFY, RFC 2136 UPDATE, RFC 8490 DSO). */
enum {
    DIS_DNS_OP_QUERY = 0,
    DIS_DNS_OP_IQUERY = 1,
    DIS_DNS_OP_STATUS = 2,
    DIS_DNS_OP_NOTIFY = 4,
    DIS_DNS_OP_UPDATE = 5,
    DIS_DNS_OP_DSO = 6
};

/** Response codes (12 bits once EDNS extends them; RFC 6895 §2.3). */
enum {
    DIS_DNS_RCODE_NOERROR = 0,
    DIS_DNS_RCODE_FORMERR = 1,
    DIS_DNS_RCODE_SERVFAIL = 2,
    DIS_DNS_RCODE_NXDOMAIN = 3,
    DIS_DNS_RCODE_NOTIMP = 4,
    DIS_DNS_RCODE_REFUSED = 5,
    DIS_DNS_RCODE_BADVERS = 16
};

/** Message anomalies (struct dis_dns_msg.flags); none of them fails the parse. */
enum {
    DIS_DNS_F_TRAILING = 0x01,    /**< bytes after the last record (ignored) */
    DIS_DNS_F_MULTI_Q = 0x02,     /**< more than one question (the first is kept) */
    DIS_DNS_F_ALIAS_PARAMS = 0x04 /**< SVCB AliasMode record with SvcParams (ignored) */
};

/** A domain name in uncompressed wire form: labels with their length octets, then 0. */
struct dis_dns_name {
    uint8_t len;                      /**< bytes used in @c b, root octet included; 0 = none */
    uint8_t b[DIS_DNS_NAME_WIRE_MAX]; /**< the labels; compare with dis_dns_name_eq() */
};

/** Decoded RDATA of an SVCB (64) or HTTPS (65) record (RFC 9460 §2.2, §7). */
struct dis_dns_svcb {
    uint16_t priority;    /**< 0 = AliasMode */
    uint16_t port;        /**< "port" parameter, 0 when absent */
    bool no_default_alpn; /**< "no-default-alpn" present */
    bool ech;             /**< "ech" present: the client may hide the SNI (outer name only) */
    uint8_t n_alpn;       /**< ALPN identifiers kept in @c alpn */
    uint8_t alpn_dropped; /**< ALPN identifiers that did not fit (count or length) */
    /** ALPN ids ("h2", "http/1.1"), escaped as names except that '.' and '/' are literal. */
    char alpn[DIS_DNS_MAX_ALPN][DIS_DNS_ALPN_STRLEN];
    uint8_t n_hints;                         /**< addresses kept in @c hint */
    uint8_t hints_dropped;                   /**< hint addresses that did not fit */
    struct dis_addr hint[DIS_DNS_MAX_HINTS]; /**< ipv4hint, then ipv6hint addresses */
};

/**
 * One answer record. Which data fields are set depends on @c type (class IN):
 * A/AAAA: @c addr; CNAME, DNAME, NS, PTR: @c target; SVCB/HTTPS: @c target (TargetName, "."
 * meaning the owner) and @c svcb. Other types and classes, and every record of an UPDATE
 * message (whose second section holds prerequisites), keep only type and @c rdlength.
 */
struct dis_dns_rr {
    struct dis_dns_name owner;
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl; /**< seconds; values with the top bit set read as 0 (RFC 2181 §8) */
    uint16_t rdlength;
    struct dis_addr addr;       /**< A, AAAA */
    struct dis_dns_name target; /**< CNAME, DNAME, NS, PTR, SVCB, HTTPS */
    struct dis_dns_svcb svcb;   /**< SVCB, HTTPS */
};

/**
 * One parsed DNS message. Owns copies of everything it holds (no pointers into the packet),
 * so it can outlive the packet. About 26 KB: keep one per parsing context and reuse it; it
 * needs no initialisation before dis_dns_parse().
 */
struct dis_dns_msg {
    uint16_t id;
    bool qr, aa, tc, rd, ra, ad, cd;
    uint8_t opcode; /**< DIS_DNS_OP_* */
    uint16_t rcode; /**< header RCODE, extended by the OPT record's upper 8 bits if present */
    uint16_t qdcount, ancount, nscount, arcount; /**< as the header states */
    uint8_t flags;                               /**< DIS_DNS_F_* */

    bool has_question;               /**< the first question was parsed */
    struct dis_dns_name qname_wire;  /**< first question's name, wire form */
    char qname[DIS_DNS_NAME_STRLEN]; /**< the same, presentation form ("" if none) */
    uint16_t qtype, qclass;

    uint8_t n_answers;        /**< answers kept in @c answers */
    uint16_t answers_dropped; /**< answers parsed but not kept (beyond DIS_DNS_MAX_ANSWERS) */
    struct dis_dns_rr answers[DIS_DNS_MAX_ANSWERS];

    bool has_soa;         /**< an SOA record in the authority section (negative answers) */
    uint32_t soa_ttl;     /**< its TTL */
    uint32_t soa_minimum; /**< its MINIMUM field; negative TTL = min(soa_ttl, soa_minimum) */

    bool has_opt;           /**< an OPT record in the additional section */
    uint16_t edns_udp_size; /**< its CLASS: the sender's UDP payload size */
    uint8_t edns_version;   /**< its VERSION */
    bool edns_do;           /**< its DO bit */
};

/**
 * Content check: do @p caplen captured bytes at @p p, of a message of @p wire_len bytes (the
 * UDP payload length, or the TCP frame length; pass @p caplen when unknown), look like a DNS
 * message? Checks the header (opcode one of 0, 1, 2, 4, 5, 6; no RCODE in a query; one
 * question for QUERY, NOTIFY and UPDATE unless an error response carries none; DSO messages
 * with all counts zero), that the counts fit in @p wire_len at the smallest record sizes, and
 * that the first question parses with a known class and a non-zero type.
 * Returns DIS_OK (looks like DNS), DIS_NOT_MINE, or DIS_TRUNCATED when too few bytes were
 * captured to decide. Reads nothing outside [p, p + caplen). Thread-safe, no state.
 */
enum dis_status dis_dns_probe(const uint8_t *p, size_t caplen, size_t wire_len);

/**
 * Parses one DNS message (a UDP payload, or a TCP frame without its 2-byte length) of @p len
 * bytes at @p p into @p msg. Compression pointers must point strictly backwards: every target
 * lies before the start of the name being read and before every earlier target of that name,
 * and after the 12-byte header; at most 255 octets per name, labels of 1..63 octets (the 0x40
 * and 0x80 label types are rejected). All sections are walked: the question and answers are
 * kept, the authority section is checked for an SOA, the additional one for OPT.
 * Returns:
 *  - DIS_OK: the whole message parsed (trailing bytes are flagged, not an error);
 *  - DIS_TRUNCATED: the bytes end before the message does (snaplen, or counts larger than
 *    the data; a caller that knows the datagram was captured whole may read it as malformed);
 *  - DIS_MALFORMED: the bytes contradict DNS (bad pointer or label, RDATA that does not fit
 *    its type or its RDLENGTH, a second OPT record);
 *  - DIS_NOT_MINE: an unassigned opcode.
 * On every status the header fields and the records parsed before the stop are kept (each
 * kept answer is complete). Reads nothing outside [p, p + len). Thread-safe, no state.
 */
enum dis_status dis_dns_parse(const uint8_t *p, size_t len, struct dis_dns_msg *msg);

/**
 * DNS over TCP framing: looks at the start of the reassembled stream bytes [p, p + len) for a
 * 2-byte length and a whole message. On DIS_OK, @p *msg / @p *msg_len borrow the message
 * (without the length prefix; valid as long as @p p is) and @p *consumed is the number of
 * stream bytes to drop (2 + msg_len). Returns DIS_NEED_MORE when the length or the message is
 * not complete yet (outputs untouched), DIS_MALFORMED when the length is below the 12-byte
 * header (the stream is not DNS, or lost its framing).
 */
enum dis_status dis_dns_tcp_frame(const uint8_t *p, size_t len, const uint8_t **msg,
                                  size_t *msg_len, size_t *consumed);

/**
 * Writes @p n in presentation form (see the top of this header) into @p buf of @p size bytes,
 * always NUL-terminated; a buffer of DIS_DNS_NAME_STRLEN always suffices, a smaller one cuts
 * the text. An empty name (len 0) gives "". Returns @p buf.
 */
char *dis_dns_name_str(const struct dis_dns_name *n, char *buf, size_t size);

/** Non-zero when the two names are equal, comparing ASCII letters case-insensitively. */
int dis_dns_name_eq(const struct dis_dns_name *a, const struct dis_dns_name *b);

/**
 * Non-zero when @p a is an answer address that filters use to block a name instead of
 * NXDOMAIN ("sinkhole"): 0.0.0.0, 127.0.0.0/8, :: or ::1.
 */
int dis_dns_addr_sinkhole(const struct dis_addr *a);

/** Mnemonic of a record type ("A", "AAAA", "HTTPS", ...), or NULL for others. Static. */
const char *dis_dns_type_name(uint16_t type);

/** Mnemonic of an RCODE ("NOERROR", "NXDOMAIN", ...), or NULL for others. Static. */
const char *dis_dns_rcode_name(uint16_t rcode);

#endif
