/* SPDX-License-Identifier: MIT */
/*
 * stun.h - STUN (RFC 8489, RFC 5389; classic RFC 3489 where unambiguous), TURN (RFC 8656,
 * RFC 5766, RFC 6062), TURN ChannelData, Microsoft's MS-TURN dialect and multiplexed-TURN
 * frames (0xFF10), stream framing over TCP/TLS (RFC 8656 §12.5, RFC 4571) and the first-byte
 * demultiplexing of RFC 7983 / RFC 9443.
 *
 * Everything here is pure: bytes in, a filled struct out. Nothing allocates (except inside
 * libcrypto for the optional integrity helpers), nothing keeps state between calls, and every
 * function may be called from any thread on distinct output structs.
 */
#ifndef DIS_STUN_H
#define DIS_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/decode.h"
#include "dissect/status.h"

/** Size of the STUN message header (RFC 8489 §5). */
#define DIS_STUN_HDR_LEN 20
/** The magic cookie of RFC 5389 / RFC 8489. */
#define DIS_STUN_COOKIE 0x2112A442u
/** Channel number of an MS-TURN multiplexed-TURN frame ([MS-TURN] §2.2.3). */
#define DIS_MTURN_CHANNEL 0xFF10u

/** USERNAME buffer: RFC 8489 §14.3 allows fewer than 513 bytes, plus the NUL. */
#define DIS_STUN_USERNAME_MAX 513
/** REALM, NONCE, SOFTWARE, reason phrase: < 128 characters, at most 763 bytes, plus the NUL. */
#define DIS_STUN_TEXT_MAX 764
/** Addresses kept per kind (mapped, XOR-mapped, relayed, peer); further ones are counted. */
#define DIS_STUN_MAX_ADDRS 8
/** Attribute types kept in each of the UNKNOWN-ATTRIBUTES and unknown-required lists. */
#define DIS_STUN_MAX_UNKNOWN 8
/** Attributes walked per message at most; a message with more is malformed. */
#define DIS_STUN_MAX_ATTRS 1024

/** How the bytes arrived: one datagram per message, or a byte stream (TCP, TLS). */
enum dis_stun_transport {
    DIS_STUN_DGRAM = 0, /**< UDP, DTLS: the message must fill the datagram exactly */
    DIS_STUN_STREAM = 1 /**< TCP, TLS: messages follow each other back to back */
};

/** Message class (RFC 8489 §5), from the C1 and C0 bits of the message type. */
enum dis_stun_class {
    DIS_STUN_REQUEST = 0,
    DIS_STUN_INDICATION = 1,
    DIS_STUN_SUCCESS = 2,
    DIS_STUN_ERROR = 3
};

/** Methods of the IANA STUN methods registry. */
enum dis_stun_method {
    DIS_STUN_BINDING = 0x001,
    DIS_STUN_SHARED_SECRET = 0x002, /**< RFC 3489 only */
    DIS_STUN_ALLOCATE = 0x003,
    DIS_STUN_REFRESH = 0x004, /**< in the MS-TURN dialect a request of this method is a Send */
    DIS_STUN_SEND = 0x006,
    DIS_STUN_DATA = 0x007,
    DIS_STUN_CREATEPERMISSION = 0x008,
    DIS_STUN_CHANNELBIND = 0x009,
    DIS_STUN_CONNECT = 0x00A,           /**< RFC 6062 */
    DIS_STUN_CONNECTIONBIND = 0x00B,    /**< RFC 6062 */
    DIS_STUN_CONNECTIONATTEMPT = 0x00C, /**< RFC 6062 */
    DIS_STUN_GOOG_PING = 0x080          /**< libwebrtc's cheap repeat of a Binding check */
};

/** Attribute types this parser interprets (IANA registry, plus MS-TURN / MS-ICE2 ones). */
enum dis_stun_attr {
    DIS_STUN_A_MAPPED_ADDRESS = 0x0001,
    DIS_STUN_A_RESPONSE_ADDRESS = 0x0002, /**< RFC 3489 */
    DIS_STUN_A_CHANGE_REQUEST = 0x0003,   /**< RFC 3489, RFC 5780 */
    DIS_STUN_A_SOURCE_ADDRESS = 0x0004,   /**< RFC 3489 (kept as response_origin) */
    DIS_STUN_A_CHANGED_ADDRESS = 0x0005,  /**< RFC 3489 (kept as other_address) */
    DIS_STUN_A_USERNAME = 0x0006,
    DIS_STUN_A_PASSWORD = 0x0007, /**< RFC 3489 */
    DIS_STUN_A_MESSAGE_INTEGRITY = 0x0008,
    DIS_STUN_A_ERROR_CODE = 0x0009,
    DIS_STUN_A_UNKNOWN_ATTRIBUTES = 0x000A,
    DIS_STUN_A_REFLECTED_FROM = 0x000B, /**< RFC 3489 */
    DIS_STUN_A_CHANNEL_NUMBER = 0x000C,
    DIS_STUN_A_LIFETIME = 0x000D,
    DIS_STUN_A_MS_ALTERNATE_SERVER = 0x000E,    /**< MS-TURN */
    DIS_STUN_A_MS_MAGIC_COOKIE = 0x000F,        /**< MS-TURN: first attribute of its messages */
    DIS_STUN_A_MS_BANDWIDTH = 0x0010,           /**< MS-TURN */
    DIS_STUN_A_MS_DESTINATION_ADDRESS = 0x0011, /**< MS-TURN: peer of a Send, not XORed */
    DIS_STUN_A_XOR_PEER_ADDRESS = 0x0012,       /**< MS-TURN: REMOTE-ADDRESS, not XORed */
    DIS_STUN_A_DATA = 0x0013,
    DIS_STUN_A_REALM = 0x0014, /**< MS-TURN uses 0x0014 for NONCE */
    DIS_STUN_A_NONCE = 0x0015, /**< MS-TURN uses 0x0015 for REALM */
    DIS_STUN_A_XOR_RELAYED_ADDRESS = 0x0016,
    DIS_STUN_A_REQUESTED_ADDRESS_FAMILY = 0x0017,
    DIS_STUN_A_EVEN_PORT = 0x0018,
    DIS_STUN_A_REQUESTED_TRANSPORT = 0x0019,
    DIS_STUN_A_DONT_FRAGMENT = 0x001A,
    DIS_STUN_A_ACCESS_TOKEN = 0x001B,
    DIS_STUN_A_MESSAGE_INTEGRITY_SHA256 = 0x001C,
    DIS_STUN_A_PASSWORD_ALGORITHM = 0x001D,
    DIS_STUN_A_USERHASH = 0x001E,
    DIS_STUN_A_XOR_MAPPED_ADDRESS = 0x0020,
    DIS_STUN_A_RESERVATION_TOKEN = 0x0022,
    DIS_STUN_A_PRIORITY = 0x0024,
    DIS_STUN_A_USE_CANDIDATE = 0x0025,
    DIS_STUN_A_PADDING = 0x0026,
    DIS_STUN_A_RESPONSE_PORT = 0x0027,
    DIS_STUN_A_CONNECTION_ID = 0x002A,
    DIS_STUN_A_MS_VERSION = 0x8008,            /**< MS-TURN */
    DIS_STUN_A_MS_XOR_MAPPED_ADDRESS = 0x8020, /**< MS-TURN and pre-RFC 5389 drafts */
    DIS_STUN_A_SOFTWARE = 0x8022,
    DIS_STUN_A_ALTERNATE_SERVER = 0x8023,
    DIS_STUN_A_FINGERPRINT = 0x8028,
    DIS_STUN_A_ICE_CONTROLLED = 0x8029,
    DIS_STUN_A_ICE_CONTROLLING = 0x802A,
    DIS_STUN_A_RESPONSE_ORIGIN = 0x802B,
    DIS_STUN_A_OTHER_ADDRESS = 0x802C,
    DIS_STUN_A_MS_SEQUENCE_NUMBER = 0x8050,       /**< MS-TURN */
    DIS_STUN_A_MS_SERVICE_QUALITY = 0x8055,       /**< MS-TURN */
    DIS_STUN_A_MS_MULTIPLEXED_SESSION = 0x8095,   /**< MS-TURN: multiplexed-TURN session id */
    DIS_STUN_A_GOOG_MESSAGE_INTEGRITY_32 = 0xC060 /**< libwebrtc, on GOOG-PING */
};

/**
 * Anomaly bits of dis_stun_msg.anomalies. Those in DIS_STUN_AN_FATAL make dis_stun_parse()
 * return DIS_MALFORMED; the others are informational (the message is still well-formed).
 */
enum dis_stun_anomaly {
    DIS_STUN_AN_ATTR_OVERRUN = 1u << 0,      /**< an attribute runs past the message (fatal) */
    DIS_STUN_AN_BAD_ADDRESS = 1u << 1,       /**< address attribute: bad family or length (fatal) */
    DIS_STUN_AN_BAD_ERROR_CODE = 1u << 2,    /**< ERROR-CODE: class not 3-6, number > 99 (fatal) */
    DIS_STUN_AN_BAD_ATTR_LENGTH = 1u << 3,   /**< fixed-size attribute of the wrong size (fatal) */
    DIS_STUN_AN_TOO_MANY_ATTRS = 1u << 4,    /**< more than DIS_STUN_MAX_ATTRS (fatal) */
    DIS_STUN_AN_UNKNOWN_REQUIRED = 1u << 5,  /**< unknown comprehension-required attribute */
    DIS_STUN_AN_AFTER_INTEGRITY = 1u << 6,   /**< attribute after MESSAGE-INTEGRITY (ignored) */
    DIS_STUN_AN_AFTER_FINGERPRINT = 1u << 7, /**< attribute after FINGERPRINT (ignored) */
    DIS_STUN_AN_BAD_FINGERPRINT = 1u << 8,   /**< FINGERPRINT present and wrong */
    DIS_STUN_AN_TEXT_TRUNCATED = 1u << 9,    /**< a text attribute was longer than its buffer */
    DIS_STUN_AN_ADDRS_DROPPED = 1u << 10,    /**< more than DIS_STUN_MAX_ADDRS of one kind */
    DIS_STUN_AN_DUPLICATE = 1u << 11,        /**< single-valued attribute repeated (first kept) */
    DIS_STUN_AN_LISTS_DROPPED = 1u << 12,    /**< attribute-type lists overflowed */
    DIS_STUN_AN_UNPADDED = 1u << 13          /**< attributes not padded to 4 bytes (WhatsApp) */
};

/** Anomalies that make a message malformed. */
#define DIS_STUN_AN_FATAL                                                                          \
    (DIS_STUN_AN_ATTR_OVERRUN | DIS_STUN_AN_BAD_ADDRESS | DIS_STUN_AN_BAD_ERROR_CODE |             \
     DIS_STUN_AN_BAD_ATTR_LENGTH | DIS_STUN_AN_TOO_MANY_ATTRS)

/** A transport address from an address attribute, XOR undone. */
struct dis_stun_addr {
    struct dis_addr addr; /**< family 4 or 6 */
    uint16_t port;
    uint16_t attr; /**< the attribute type it came from (enum dis_stun_attr) */
};

/**
 * One decoded STUN/TURN message. Text fields are bounded copies, NUL-terminated, with their
 * copied length in the matching _len field (a text may contain NULs; longer ones are cut and
 * flagged DIS_STUN_AN_TEXT_TRUNCATED). @c data borrows from the parsed bytes and is valid only
 * as long as they are. Fields of absent attributes are zero.
 *
 * Where the MS-TURN dialect differs, the fields keep their RFC meaning: REALM and NONCE are
 * swapped back, the MAPPED-ADDRESS of an MS-TURN Allocate success response (the allocated
 * address) goes to @c relayed, DESTINATION-ADDRESS and REMOTE-ADDRESS go to @c peer. The
 * type keeps its RFC decoding: an MS-TURN Send request reads as method 0x004 (Refresh) class
 * request, and its Data Indication (type 0x0115) as method 0x005 class error; both carry
 * @c data and @c peer like their RFC counterparts.
 */
struct dis_stun_msg {
    /* header */
    uint16_t type;            /**< message type as on the wire */
    uint16_t method;          /**< 12-bit method (enum dis_stun_method or another number) */
    uint8_t cls;              /**< enum dis_stun_class */
    uint16_t length;          /**< message length field (body bytes after the header) */
    uint8_t txid[16];         /**< transaction id: 12 bytes, or 16 for classic RFC 3489 */
    uint8_t txid_len;         /**< 12 or 16 */
    bool classic;             /**< RFC 3489 message (no magic cookie) */
    bool ms_turn;             /**< MS-TURN dialect: MAGIC-COOKIE attribute first, unpadded */
    bool mturn_framed;        /**< arrived inside an MS-TURN multiplexed frame (0xFF10) */
    uint8_t mturn_session[8]; /**< that frame's MTURN_Session_ID */
    uint32_t anomalies;       /**< enum dis_stun_anomaly bits */
    uint16_t attr_count;      /**< attributes walked */

    /* text attributes */
    bool has_username;
    uint16_t username_len;
    char username[DIS_STUN_USERNAME_MAX];
    bool has_realm;
    uint16_t realm_len;
    char realm[DIS_STUN_TEXT_MAX];
    bool has_nonce;
    uint16_t nonce_len;
    char nonce[DIS_STUN_TEXT_MAX];
    bool has_software;
    uint16_t software_len;
    char software[DIS_STUN_TEXT_MAX];

    /* ERROR-CODE (RFC 8489 §14.8) */
    bool has_error;
    uint16_t error_code; /**< class * 100 + number, as sent (also when out of range) */
    uint16_t error_reason_len;
    char error_reason[DIS_STUN_TEXT_MAX];

    /* UNKNOWN-ATTRIBUTES as listed by the sender */
    uint8_t n_unknown_attrs;
    uint16_t unknown_attrs[DIS_STUN_MAX_UNKNOWN];
    /* comprehension-required attribute types (0x0000-0x7FFF) that no registry defines */
    uint8_t n_unknown_required;
    uint16_t unknown_required[DIS_STUN_MAX_UNKNOWN];

    /* address attributes: every occurrence, up to DIS_STUN_MAX_ADDRS each */
    uint8_t n_mapped, n_xor_mapped, n_relayed, n_peer;
    struct dis_stun_addr mapped[DIS_STUN_MAX_ADDRS];     /**< MAPPED-ADDRESS */
    struct dis_stun_addr xor_mapped[DIS_STUN_MAX_ADDRS]; /**< XOR-MAPPED-ADDRESS (0x0020/0x8020) */
    struct dis_stun_addr relayed[DIS_STUN_MAX_ADDRS];    /**< XOR-RELAYED-ADDRESS (MS: see above) */
    struct dis_stun_addr peer[DIS_STUN_MAX_ADDRS];       /**< XOR-PEER-ADDRESS (MS: see above) */
    uint16_t addrs_dropped;                              /**< addresses beyond the arrays */
    bool has_response_origin, has_other_address, has_alternate_server;
    struct dis_stun_addr response_origin;  /**< RESPONSE-ORIGIN, else SOURCE-ADDRESS */
    struct dis_stun_addr other_address;    /**< OTHER-ADDRESS, else CHANGED-ADDRESS */
    struct dis_stun_addr alternate_server; /**< ALTERNATE-SERVER (or MS-ALTERNATE-SERVER) */

    /* TURN */
    bool has_lifetime;
    uint32_t lifetime; /**< seconds */
    bool has_requested_transport;
    uint8_t requested_transport; /**< IP protocol number (17 = UDP, 6 = TCP per RFC 6062) */
    bool has_channel_number;
    uint16_t channel_number;
    bool has_data;
    uint16_t data_len;
    const uint8_t *data; /**< DATA value, borrowed from the parsed bytes */
    bool has_connection_id;
    uint32_t connection_id; /**< RFC 6062 */

    /* ICE (RFC 8445 §16.1) */
    bool has_priority;
    uint32_t priority;
    bool use_candidate;
    bool ice_controlling, ice_controlled;
    uint64_t tiebreaker;

    /* integrity */
    bool has_mi;           /**< MESSAGE-INTEGRITY present */
    bool has_mi_sha256;    /**< MESSAGE-INTEGRITY-SHA256 present */
    bool has_fingerprint;  /**< FINGERPRINT present */
    bool fingerprint_ok;   /**< ... and its CRC-32 matches */
    bool has_userhash;     /**< USERHASH present (RFC 8489 §14.4) */
    uint32_t mi_offset;    /**< offset of MESSAGE-INTEGRITY in the message (0 = none) */
    uint32_t mi256_offset; /**< offset of MESSAGE-INTEGRITY-SHA256 (0 = none) */

    /* MS-TURN / MS-ICE2 */
    bool has_ms_version;
    uint32_t ms_version;
    bool has_ms_session; /**< MS-MULTIPLEXED-TURN-SESSION-ID (0x8095) */
    uint8_t ms_session[8];
};

/** A TURN ChannelData message (RFC 8656 §12.4) or an MS-TURN multiplexed frame. */
struct dis_channeldata {
    uint16_t channel;    /**< 0x4000-0x7FFF, or DIS_MTURN_CHANNEL */
    uint16_t length;     /**< length field: bytes of application data */
    bool rfc5766_only;   /**< channel 0x5000-0x7FFF: valid in RFC 5766, not in RFC 8656 */
    bool padded;         /**< padding to 4 bytes followed the data */
    bool mturn;          /**< MS-TURN multiplexed frame: @c session is valid */
    uint8_t session[8];  /**< MTURN_Session_ID */
    const uint8_t *data; /**< application data (after the session id for MS-TURN), borrowed */
    size_t data_caplen;  /**< captured bytes of @c data (less than the length if truncated) */
    uint16_t data_len;   /**< application data length per the header */
};

/** What dis_stun_frame_len() found at the stream position. */
enum dis_stun_frame {
    DIS_STUN_FRAME_STUN = 1,    /**< a STUN message (20 + length) */
    DIS_STUN_FRAME_CHANNELDATA, /**< ChannelData, padded to 4 bytes (RFC 8656 §12.5) */
    DIS_STUN_FRAME_MTURN,       /**< MS-TURN multiplexed frame (4 + length, no padding) */
    DIS_STUN_FRAME_RFC4571      /**< RFC 4571 / RFC 6544 frame: 2-byte length + payload */
};

/** Flags for dis_stun_frame_len(). */
enum {
    /** The stream uses RFC 4571 framing (ICE-TCP, RFC 6544): every frame is length-prefixed. */
    DIS_STUN_F_RFC4571 = 1u << 0
};

/** What RFC 7983 / RFC 9443 say a packet on a multiplexed 5-tuple is, from its first byte. */
enum dis_demux {
    DIS_DEMUX_DROP = 0,     /**< 4-15: no protocol assigned; RFC 7983 drops it */
    DIS_DEMUX_STUN,         /**< 0-3 */
    DIS_DEMUX_ZRTP,         /**< 16-19 */
    DIS_DEMUX_DTLS,         /**< 20-63 */
    DIS_DEMUX_TURN_CHANNEL, /**< 64-79 (QUIC short header when no channel is bound, RFC 9443) */
    DIS_DEMUX_QUIC,         /**< 80-127 and 192-255 (RFC 9443) */
    DIS_DEMUX_RTP           /**< 128-191: RTP or RTCP */
};

/**
 * Cheap check whether a STUN message starts at @p p: the first byte is 0-3 (top bits zero,
 * method at most 0xFF as RFC 7983 requires), and either the magic cookie is present with a
 * length that is a multiple of 4, or the message is unambiguously classic RFC 3489 (datagrams
 * only: a classic type, the exact length, and attributes that are all well-formed RFC 3489
 * attributes allowed in that type and consume the body exactly). A length that is not a
 * multiple of 4 is accepted with the cookie only from senders that do not pad their attributes:
 * the MS-TURN MAGIC-COOKIE attribute comes first, or the unpadded attributes consume the whole
 * body exactly (WhatsApp); the latter needs the whole message. An MS-TURN 0xFF10 frame wrapping
 * such a message also counts.
 *
 * @p caplen bytes are readable; @p wirelen is the datagram's length on the wire (ignored for
 * DIS_STUN_STREAM; must be >= caplen). For datagrams the message must fill @p wirelen exactly.
 *
 * Returns DIS_OK (plausibly STUN), DIS_NOT_MINE, DIS_TRUNCATED (datagram captured too short to
 * decide) or DIS_NEED_MORE (stream: fewer bytes than needed to decide).
 */
enum dis_status dis_stun_probe(const uint8_t *p, size_t caplen, size_t wirelen,
                               enum dis_stun_transport t);

/**
 * Parses the STUN message at @p p into @p out (zeroed first). @p caplen / @p wirelen / @p t as
 * for dis_stun_probe(). Returns:
 *  - DIS_OK: decoded; @p *consumed = bytes the message took (with any 0xFF10 header);
 *  - DIS_NOT_MINE: not STUN (see dis_stun_probe());
 *  - DIS_NEED_MORE: stream, the whole message is not there yet (@p out has the header only);
 *  - DIS_TRUNCATED: datagram cut by the capture; the header and every attribute captured in
 *    full are decoded (nothing, if the cut came before the message could be recognised);
 *  - DIS_MALFORMED: STUN framing, but the attributes contradict the spec (a DIS_STUN_AN_FATAL
 *    bit says which); every well-formed attribute is still decoded and @p *consumed is set.
 * @p consumed may be NULL. Never reads outside [p, p + caplen).
 */
enum dis_status dis_stun_parse(const uint8_t *p, size_t caplen, size_t wirelen,
                               enum dis_stun_transport t, struct dis_stun_msg *out,
                               size_t *consumed);

/**
 * Parses a TURN ChannelData message or an MS-TURN multiplexed frame at @p p into @p out.
 * Channels 0x4000-0x4FFF (RFC 8656) and 0x5000-0x7FFF (RFC 5766 only, flagged) are accepted,
 * plus DIS_MTURN_CHANNEL with its 8-byte session id. Datagrams: the message must fill
 * @p wirelen, with or without padding to 4 bytes. Streams: ChannelData is padded to 4 bytes
 * (MS-TURN frames are not). ChannelData has little structure: call this only on flows where
 * TURN has been seen. Returns DIS_OK, DIS_NOT_MINE, DIS_TRUNCATED (datagram data cut by the
 * capture; @p out is filled with the captured part) or DIS_NEED_MORE (stream).
 * @p consumed (may be NULL) gets the frame size including padding.
 */
enum dis_status dis_channeldata_parse(const uint8_t *p, size_t caplen, size_t wirelen,
                                      enum dis_stun_transport t, struct dis_channeldata *out,
                                      size_t *consumed);

/**
 * Stream framing: given the @p avail bytes at a stream position, stores in @p *frame_len the
 * total size of the frame that starts there (STUN message, ChannelData with its padding,
 * MS-TURN frame, or with DIS_STUN_F_RFC4571 in @p flags an RFC 4571 frame) and its kind in
 * @p *kind (may be NULL). Returns DIS_OK once the size is known (the frame may extend past
 * @p avail: the caller waits for it or skips it), DIS_NEED_MORE when too few bytes are there
 * to tell, DIS_NOT_MINE when the bytes are none of these (a stream has no resynchronisation
 * point: the caller stops treating the stream as TURN).
 */
enum dis_status dis_stun_frame_len(const uint8_t *p, size_t avail, unsigned flags,
                                   size_t *frame_len, enum dis_stun_frame *kind);

/**
 * RFC 7983 (as updated by RFC 9443) demultiplexing of a packet by its first byte @p b. An
 * MS-TURN multiplexed frame starts with 0xFF (QUIC's range): on a flow where TURN has been
 * seen, try dis_channeldata_parse() before believing QUIC.
 */
enum dis_demux dis_demux_first_byte(uint8_t b);

/** Short lower-case name of @p d ("stun", "dtls", ...). Static string. */
const char *dis_demux_name(enum dis_demux d);

/**
 * Lower-case name of a method as in the JSON contract ("binding", "allocate", "refresh",
 * "send", "data", "createpermission", "channelbind") plus "goog-ping"; NULL for any other
 * method, which the caller writes as a number. Static string.
 */
const char *dis_stun_method_name(uint16_t method);

/** "request", "indication", "success" or "error" for @p cls (0-3); NULL otherwise. */
const char *dis_stun_class_name(uint8_t cls);

/**
 * Checks the MESSAGE-INTEGRITY (@p sha256 = 0: HMAC-SHA1, RFC 8489 §14.5) or
 * MESSAGE-INTEGRITY-SHA256 (@p sha256 != 0: §14.6) of the STUN message @p msg of @p len bytes
 * (a whole datagram, or one stream message as dis_stun_parse() consumed it) with @p key:
 * the short-term password, or the long-term key of dis_stun_long_term_key().
 * Returns 1 when it matches, 0 when it does not, -1 when the message has no such attribute,
 * does not parse, or libcrypto fails. libcrypto allocates internally.
 */
int dis_stun_check_integrity(const uint8_t *msg, size_t len, const uint8_t *key, size_t keylen,
                             int sha256);

/**
 * Long-term credential key of RFC 8489 §9.2.2 (MD5 variant): MD5(username ":" realm ":"
 * password), each already processed as the RFC requires (OpaqueString / SASLprep).
 * Writes 16 bytes to @p key. Returns 0, or -1 when libcrypto fails.
 */
int dis_stun_long_term_key(const char *username, const char *realm, const char *password,
                           uint8_t key[16]);

#endif
