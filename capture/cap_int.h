/* SPDX-License-Identifier: MIT */
/* cap_int.h - private to capture/: what the evidence writer needs of an open source. */
#ifndef CAP_CAP_INT_H
#define CAP_CAP_INT_H

#include <pcap.h>

#include "capture/cap.h"

/** The libpcap handle of @p c, borrowed (for its DLT_ and snapshot length). */
pcap_t *cap__pcap(const struct cap *c);

#endif
