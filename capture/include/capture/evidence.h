/* SPDX-License-Identifier: MIT */
/*
 * evidence.h - the --evidence ring: pcap files that keep only the packets of the flows the
 * profile is about, for the support desk. Bounded in disk (file size and count) and memory.
 *
 * A packet cannot be judged when it arrives: whether its flow matters (a profile rule) is known
 * when the flow ends, and whether it has a verdict only at the next analysis. So packets are
 * held in memory per flow until then:
 *   - the first N packets of every flow ("head"), until the flow ends; a flow that turns out
 *     to concern a profile rule has them written, any other flow has them freed;
 *   - the later packets ("tail") too, as long as the memory bound allows (the oldest tail
 *     packets of all flows go first when it does not); a flow that gets a verdict has its tail
 *     written at the analysis, every other flow has it freed then.
 * The files therefore group packets by flow and are not in time order across flows
 * (`reordercap` sorts one). Files are written only in the directory given, created with
 * O_EXCL | O_NOFOLLOW and mode 0640, named evidence-SEQ-YYYYMMDDTHHMMSSZ.pcap; a restart
 * adopts the ring files it finds and goes on numbering after them.
 */
#ifndef CAP_EVIDENCE_H
#define CAP_EVIDENCE_H

#include <stdint.h>

#include "capture/cap.h"
#include "ss/common.h"

/** Bounds of the ring; zero fields take the documented defaults. */
struct cap_evidence_opts {
    const char *dir;       /**< existing directory the files go to (required) */
    uint64_t file_bytes;   /**< a file is closed once it reaches this size (16 MiB) */
    uint32_t files;        /**< files kept; the oldest is removed beyond it (8) */
    uint32_t head_packets; /**< first packets of every flow kept until it ends (32) */
    uint64_t memory_bytes; /**< packets held in memory at once, bytes (64 MiB) */
};

/** Counters since the ring was opened. */
struct cap_evidence_stats {
    uint64_t packets_written, bytes_written; /**< records written to the files */
    uint64_t flows_written;                  /**< flows with at least one packet written */
    uint64_t lost;       /**< packets of related flows not written: the memory bound */
    uint64_t held_bytes; /**< memory held now */
    uint32_t files_opened, files_removed;
    int failed; /**< a write failed; the ring writes nothing more */
};

struct cap_evidence;

/**
 * Opens the ring in @p o->dir for frames of @p src (same link type and snapshot length). No file
 * is created until the first packet is written. Returns NULL with @p err when the directory
 * cannot be opened or a bound is out of range.
 */
struct cap_evidence *cap_evidence_open(const struct cap_evidence_opts *o, const struct cap *src,
                                       char err[SS_ERRBUF_SIZE]);

/**
 * A frame that counted against flow @p flow (the engine's flow id; 0 = none, ignored). The
 * frame is copied when it is held. Returns 0, or -1 when writing failed (cap_evidence_errstr;
 * the ring then stops writing, and later calls return 0).
 */
SS_MUST_CHECK int cap_evidence_packet(struct cap_evidence *ev, uint64_t flow,
                                      const struct cap_frame *f);

/**
 * Flow @p flow ended; @p related is non-zero when it concerns a profile rule: its head packets
 * are then written, and its tail is kept for cap_evidence_verdict() until the next
 * cap_evidence_settle(). An unrelated flow is forgotten. Returns 0 or -1 as above.
 */
SS_MUST_CHECK int cap_evidence_flow_end(struct cap_evidence *ev, uint64_t flow, int related);

/** Flow @p flow has a verdict: every packet held for it is written, and, if it is still open,
 *  every later one. Unknown flows are ignored. Returns 0 or -1 as above. */
SS_MUST_CHECK int cap_evidence_verdict(struct cap_evidence *ev, uint64_t flow);

/** An analysis is complete: the flows that had ended before it are forgotten. */
void cap_evidence_settle(struct cap_evidence *ev);

/** Forgets every flow (after the engine that numbered them is gone). */
void cap_evidence_reset(struct cap_evidence *ev);

/** Pushes what was written to the file (commit interval). Returns 0 or -1 as above. */
SS_MUST_CHECK int cap_evidence_flush(struct cap_evidence *ev);

/** Flushes, closes the current file and frees everything; NULL is accepted. Returns 0, or -1
 *  when the last write failed (cap_evidence_errstr() cannot be called after this: the message
 *  goes to @p err). */
int cap_evidence_close(struct cap_evidence *ev, char err[SS_ERRBUF_SIZE]);

/** Fills @p st. */
void cap_evidence_get_stats(const struct cap_evidence *ev, struct cap_evidence_stats *st);

/** Why the ring stopped writing. */
const char *cap_evidence_errstr(const struct cap_evidence *ev);

#endif
