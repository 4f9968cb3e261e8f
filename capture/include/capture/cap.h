/* SPDX-License-Identifier: MIT */
/* cap.h - packet sources: pcap/pcapng files (or standard input) and live interfaces. */
#ifndef CAP_CAP_H
#define CAP_CAP_H

#include <stdint.h>
#include <stdio.h>

#include "ss/common.h"

/** An open packet source. Not thread-safe; one reader. */
struct cap;

/** A captured frame. @c data is borrowed: valid only until the next cap_next() or cap_close(). */
struct cap_frame {
    uint64_t ts_ns;      /**< capture time, nanoseconds since the epoch */
    uint32_t caplen;     /**< bytes captured (length of @c data) */
    uint32_t wirelen;    /**< bytes on the wire */
    const uint8_t *data; /**< frame bytes, starting at the link-layer header */
    uint64_t number;     /**< 1-based frame number within this source */
};

/** Options of a live capture; zero fields take the documented defaults. */
struct cap_live_opts {
    int snaplen;        /**< bytes kept per frame; default 262144 */
    int buffer_mb;      /**< kernel buffer in MiB; default 64 */
    int promisc;        /**< 0 or 1 = promiscuous (default), -1 = off */
    int immediate;      /**< 0 or 1 = immediate mode (default), -1 = off */
    const char *filter; /**< BPF filter expression or NULL */
};

/** Result of cap_next(). */
enum cap_result {
    CAP_FRAME = 1,   /**< a frame was returned */
    CAP_END = 0,     /**< end of file (offline) */
    CAP_TIMEOUT = 2, /**< live: no packet within the read timeout; call again */
    CAP_ERROR = -1,  /**< read error: see cap_errstr(); for a file, what came before is valid */
    CAP_BREAK = -2   /**< cap_breakloop() was called */
};

/**
 * Opens a pcap or pcapng file, or standard input when @p path is "-", with nanosecond
 * timestamps. Fails (NULL, message in @p err) when the file cannot be read, is not a capture,
 * or has a link type that dis_decode() does not support (the message names the link type).
 */
struct cap *cap_open_file(const char *path, char err[SS_ERRBUF_SIZE]);

/**
 * Opens a live capture on @p iface with pcap_create()/pcap_activate(); nanosecond timestamps
 * when the platform has them. Warnings from activation (e.g. promiscuous mode not supported)
 * are written to @p err with a non-NULL result; @p err is "" otherwise.
 */
struct cap *cap_open_live(const char *iface, const struct cap_live_opts *opts,
                          char err[SS_ERRBUF_SIZE]);

/** Closes the source and frees it; NULL is accepted. */
void cap_close(struct cap *c);

/**
 * Reads the next frame into @p f. For files, a truncated or corrupt record yields CAP_ERROR
 * with cap_errstr() naming the frame number and byte offset; frames returned before it remain
 * valid data.
 */
enum cap_result cap_next(struct cap *c, struct cap_frame *f);

/**
 * Makes a blocked or later cap_next() return CAP_BREAK; async-signal-safe. From a signal
 * handler the blocked call returns at once; from another thread, within the 200 ms read timeout.
 */
void cap_breakloop(struct cap *c);

/** The link type of the source as a LINKTYPE_ number (enum dis_linktype). */
int cap_linktype(const struct cap *c);
/** libpcap's name of the link type ("EN10MB", "LINUX_SLL2", ...). Static string. */
const char *cap_linktype_name(const struct cap *c);

/** The last error message of this source. */
const char *cap_errstr(const struct cap *c);

/** Byte offset reached in the file, and the file's size (0 when unknown, e.g. a pipe). */
uint64_t cap_file_pos(const struct cap *c);
uint64_t cap_file_size(const struct cap *c);

/** Live statistics: packets dropped by the kernel and by the interface since the start. */
struct cap_stats {
    uint64_t received, dropped_kernel, dropped_iface;
};
/** Fills @p st; returns 0, or -1 (offline sources, or pcap_stats() failed). */
int cap_stats(struct cap *c, struct cap_stats *st);

/**
 * SHA-256 of a whole file as 64 lower-case hex digits + NUL, computed with OpenSSL.
 * Returns 0, or -1 with a message in @p err.
 */
int cap_file_sha256(const char *path, char hex[65], char err[SS_ERRBUF_SIZE]);

/**
 * Lists capture interfaces to @p out, one per line with description, flags and IP addresses.
 * Returns the number of interfaces written (0 when none is visible, e.g. without privileges),
 * or -1 with a message in @p err.
 */
int cap_list_interfaces(FILE *out, char err[SS_ERRBUF_SIZE]);

#endif
