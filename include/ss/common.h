/* SPDX-License-Identifier: MIT */
/* common.h - definitions shared by every stage: error buffer size and version string. */
#ifndef SS_COMMON_H
#define SS_COMMON_H

/** Size of the caller-provided error buffers that constructors write into (STYLE.md §6). */
#define SS_ERRBUF_SIZE 512

#ifndef SS_VERSION_STRING
#define SS_VERSION_STRING "0.0.0"
#endif

/** Marks functions whose result must be checked. */
#define SS_MUST_CHECK __attribute__((warn_unused_result))

#endif
