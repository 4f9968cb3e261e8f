/* SPDX-License-Identifier: MIT */
/* status.h - result codes shared by the decoders and dissectors (STYLE.md §5). */
#ifndef DIS_STATUS_H
#define DIS_STATUS_H

/** Result of decoding or dissecting one unit of data. */
enum dis_status {
    DIS_OK = 0,    /**< decoded */
    DIS_NEED_MORE, /**< a stream dissector needs more bytes (not an error) */
    DIS_TRUNCATED, /**< the capture stopped before the data did (snaplen, cut file) */
    DIS_MALFORMED, /**< the bytes contradict the protocol (bad length, bad version) */
    DIS_NOT_MINE,  /**< not this protocol / not a supported layer */
};

/** Short lower-case name of a status ("ok", "truncated", ...), for logs and tests. */
const char *dis_status_name(enum dis_status s);

#endif
