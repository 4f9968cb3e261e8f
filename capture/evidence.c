/* SPDX-License-Identifier: MIT */
/*
 * evidence.c - the --evidence ring (evidence.h): per-flow packet holding bounded by one memory
 * budget, and a ring of pcap files bounded by file size and count, written with libpcap's
 * dumper over descriptors this file opens itself (O_EXCL | O_NOFOLLOW, relative to the
 * directory opened once), so that a symlink planted in the directory is never followed.
 */

/* pcap.h needs u_int/u_char from <sys/types.h>, which strict C11 hides without this. */
#define _DEFAULT_SOURCE

#include "capture/evidence.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap.h>

#include "cap_int.h"

#define EV_DEFAULT_FILE_BYTES (16ULL << 20)
#define EV_DEFAULT_FILES 8
#define EV_DEFAULT_HEAD 32
#define EV_DEFAULT_MEMORY (64ULL << 20)
#define EV_MAX_FILES 10000
#define EV_FILE_HEADER 24 /* pcap global header */
#define EV_RECORD_HEADER 16
#define EV_NAME_LEN 64

/* A held packet: on its flow's head or tail list; tail packets also on the age list. */
struct ev_pkt {
    struct ev_pkt *next;
    struct ev_pkt *older, *newer; /* age list (tail packets only) */
    uint64_t flow;
    uint64_t ts_ns;
    uint32_t caplen, wirelen;
    uint8_t data[];
};

enum { EV_OPEN = 0, EV_ENDED = 1 };

/* One flow's state; id 0 marks an empty slot of the open-addressing table. */
struct ev_flow {
    uint64_t id;
    uint32_t seen;                 /* packets that counted against it */
    uint32_t head_lost, tail_lost; /* packets not held for lack of memory */
    uint8_t state, verdict, written;
    struct ev_pkt *head, *head_last;
    struct ev_pkt *tail, *tail_last;
};

struct ev_file {
    uint32_t seq;
    char name[EV_NAME_LEN];
};

struct cap_evidence {
    struct cap_evidence_opts o;
    int dirfd;
    pcap_t *dead; /* writes the source's link type and snapshot length, nanosecond stamps */
    pcap_dumper_t *cur;
    uint64_t cur_bytes;
    struct ev_file *ring; /* files of the ring, oldest first; the last is the current one */
    uint32_t nring;
    uint32_t next_seq;
    struct ev_flow *slots;
    size_t nslots, used; /* nslots a power of two */
    struct ev_pkt *oldest, *newest;
    struct cap_evidence_stats st;
    char err[SS_ERRBUF_SIZE];
};

__attribute__((format(printf, 2, 3))) static int ev_fail(struct cap_evidence *ev, const char *fmt,
                                                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->err, sizeof ev->err, fmt, ap);
    va_end(ap);
    ev->st.failed = 1;
    return -1;
}

/* ---- the ring of files ---- */

/* Parses "evidence-SEQ-....pcap"; returns 1 with @p seq set when @p name is a ring file. */
static int ev_parse_name(const char *name, uint32_t *seq)
{
    static const char prefix[] = "evidence-";
    size_t n = strlen(name);
    if (n >= EV_NAME_LEN || strncmp(name, prefix, sizeof prefix - 1) != 0 || n < 15 ||
        strcmp(name + n - 5, ".pcap") != 0)
        return 0;
    const char *p = name + sizeof prefix - 1;
    uint64_t v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 9) {
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || *p != '-')
        return 0;
    *seq = (uint32_t)v;
    return 1;
}

static int ev_file_cmp(const void *a, const void *b)
{
    const struct ev_file *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Adopts the ring files a previous run left in the directory, oldest first. */
static int ev_scan(struct cap_evidence *ev, char err[SS_ERRBUF_SIZE])
{
    int fd = dup(ev->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        snprintf(err, SS_ERRBUF_SIZE, "--evidence %.200s: %s", ev->o.dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint32_t seq;
        if (!ev_parse_name(de->d_name, &seq))
            continue;
        if (ev->nring == EV_MAX_FILES)
            break;
        struct ev_file *f = &ev->ring[ev->nring++];
        f->seq = seq;
        memcpy(f->name, de->d_name, strlen(de->d_name) + 1); /* < EV_NAME_LEN: parsed above */
        if (seq >= ev->next_seq)
            ev->next_seq = seq + 1;
    }
    closedir(d);
    qsort(ev->ring, ev->nring, sizeof ev->ring[0], ev_file_cmp);
    return 0;
}

/* Removes the oldest files until at most @p keep are left. */
static void ev_trim(struct cap_evidence *ev, uint32_t keep)
{
    uint32_t drop = ev->nring > keep ? ev->nring - keep : 0;
    for (uint32_t i = 0; i < drop; i++) {
        /* Gone already (an admin cleaned up) is fine; anything else is left in place. */
        if (unlinkat(ev->dirfd, ev->ring[i].name, 0) == 0)
            ev->st.files_removed++;
    }
    if (drop) {
        memmove(ev->ring, ev->ring + drop, (ev->nring - drop) * sizeof ev->ring[0]);
        ev->nring -= drop;
    }
}

/* Flushes the current file; -1 (and the ring fails) when the data did not reach the file. */
static int ev_flush_cur(struct cap_evidence *ev)
{
    if (!ev->cur)
        return 0;
    if (pcap_dump_flush(ev->cur) != 0 || ferror(pcap_dump_file(ev->cur))) {
        int e = errno;
        return ev_fail(ev, "writing %.200s/%s: %s", ev->o.dir, ev->ring[ev->nring - 1].name,
                       strerror(e ? e : EIO));
    }
    return 0;
}

static int ev_close_cur(struct cap_evidence *ev)
{
    if (!ev->cur)
        return 0;
    int rc = ev_flush_cur(ev);
    pcap_dump_close(ev->cur);
    ev->cur = NULL;
    return rc;
}

static int ev_open_next(struct cap_evidence *ev)
{
    char stamp[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    if (ev->next_seq > 999999999u)
        ev->next_seq = 0; /* nine digits wrap after a billion files: the oldest is long gone */
    /* Make room first, so that the count stays within the bound even while opening. */
    ev_trim(ev, ev->o.files - 1);
    struct ev_file *f = &ev->ring[ev->nring];
    f->seq = ev->next_seq++;
    snprintf(f->name, sizeof f->name, "evidence-%06u-%s.pcap", f->seq, stamp);
    int fd = openat(ev->dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0)
        return ev_fail(ev, "creating %.200s/%s: %s", ev->o.dir, f->name, strerror(errno));
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        int e = errno;
        close(fd);
        return ev_fail(ev, "creating %.200s/%s: %s", ev->o.dir, f->name, strerror(e));
    }
    ev->cur = pcap_dump_fopen(ev->dead, fp);
    if (!ev->cur) {
        fclose(fp);
        return ev_fail(ev, "creating %.200s/%s: %s", ev->o.dir, f->name, pcap_geterr(ev->dead));
    }
    ev->nring++;
    ev->cur_bytes = EV_FILE_HEADER;
    ev->st.files_opened++;
    return 0;
}

static int ev_write(struct cap_evidence *ev, uint64_t ts_ns, uint32_t caplen, uint32_t wirelen,
                    const uint8_t *data)
{
    if (ev->st.failed)
        return 0;
    uint64_t rec = EV_RECORD_HEADER + (uint64_t)caplen;
    if (ev->cur && ev->cur_bytes + rec > ev->o.file_bytes && ev->cur_bytes > EV_FILE_HEADER &&
        ev_close_cur(ev) < 0)
        return -1;
    if (!ev->cur && ev_open_next(ev) < 0)
        return -1;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    /* The dumper of a nanosecond handle writes tv_usec as nanoseconds. */
    h.ts.tv_sec = (time_t)(ts_ns / 1000000000ULL);
    h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ULL);
    h.caplen = caplen;
    h.len = wirelen;
    pcap_dump((u_char *)ev->cur, &h, data);
    ev->cur_bytes += rec;
    ev->st.packets_written++;
    ev->st.bytes_written += rec;
    return 0;
}

/* ---- flows and held packets ---- */

static size_t ev_hash(uint64_t id)
{
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return (size_t)id;
}

static struct ev_flow *ev_find(struct cap_evidence *ev, uint64_t id)
{
    size_t mask = ev->nslots - 1;
    for (size_t i = ev_hash(id) & mask;; i = (i + 1) & mask) {
        if (ev->slots[i].id == id)
            return &ev->slots[i];
        if (ev->slots[i].id == 0)
            return NULL;
    }
}

static int ev_grow(struct cap_evidence *ev)
{
    size_t n = ev->nslots * 2;
    struct ev_flow *s = calloc(n, sizeof *s);
    if (!s)
        return -1;
    for (size_t j = 0; j < ev->nslots; j++) {
        if (!ev->slots[j].id)
            continue;
        size_t i = ev_hash(ev->slots[j].id) & (n - 1);
        while (s[i].id)
            i = (i + 1) & (n - 1);
        s[i] = ev->slots[j];
    }
    free(ev->slots);
    ev->slots = s;
    ev->nslots = n;
    return 0;
}

/* The flow's entry, made when missing; NULL when out of memory. */
static struct ev_flow *ev_get(struct cap_evidence *ev, uint64_t id)
{
    struct ev_flow *f = ev_find(ev, id);
    if (f)
        return f;
    if ((ev->used + 1) * 2 > ev->nslots && ev_grow(ev) < 0)
        return NULL;
    size_t mask = ev->nslots - 1, i = ev_hash(id) & mask;
    while (ev->slots[i].id)
        i = (i + 1) & mask;
    f = &ev->slots[i];
    memset(f, 0, sizeof *f);
    f->id = id;
    ev->used++;
    return f;
}

static size_t ev_size(const struct ev_pkt *p)
{
    return sizeof *p + p->caplen;
}

static void ev_age_unlink(struct cap_evidence *ev, struct ev_pkt *p)
{
    if (p->older)
        p->older->newer = p->newer;
    else
        ev->oldest = p->newer;
    if (p->newer)
        p->newer->older = p->older;
    else
        ev->newest = p->older;
}

static void ev_free_list(struct cap_evidence *ev, struct ev_pkt *p, int aged)
{
    while (p) {
        struct ev_pkt *n = p->next;
        if (aged)
            ev_age_unlink(ev, p);
        ev->st.held_bytes -= ev_size(p);
        free(p);
        p = n;
    }
}

/* Writes and frees a list; stops writing (but still frees) once a write fails. */
static int ev_write_list(struct cap_evidence *ev, struct ev_flow *f, struct ev_pkt *p, int aged)
{
    int rc = 0;
    for (struct ev_pkt *q = p; q && rc == 0; q = q->next) {
        rc = ev_write(ev, q->ts_ns, q->caplen, q->wirelen, q->data);
        if (rc == 0 && !f->written && !ev->st.failed) {
            f->written = 1;
            ev->st.flows_written++;
        }
    }
    ev_free_list(ev, p, aged);
    return rc;
}

/* Frees the slot of @p f, keeping the probe sequences of the others intact. */
static void ev_remove(struct cap_evidence *ev, struct ev_flow *f)
{
    ev_free_list(ev, f->head, 0);
    ev_free_list(ev, f->tail, 1);
    size_t mask = ev->nslots - 1, hole = (size_t)(f - ev->slots);
    ev->slots[hole].id = 0;
    ev->used--;
    for (size_t i = (hole + 1) & mask; ev->slots[i].id; i = (i + 1) & mask) {
        size_t home = ev_hash(ev->slots[i].id) & mask;
        /* Move back when the hole lies on the path from its home slot to it. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            ev->slots[hole] = ev->slots[i];
            ev->slots[i].id = 0;
            hole = i;
        }
    }
}

/* Drops the oldest tail packet of all flows. */
static void ev_evict_oldest(struct cap_evidence *ev)
{
    struct ev_pkt *p = ev->oldest;
    struct ev_flow *f = ev_find(ev, p->flow);
    /* The oldest tail packet is its flow's first tail packet: both lists are in arrival order. */
    f->tail = p->next;
    if (!f->tail)
        f->tail_last = NULL;
    f->tail_lost++;
    ev_age_unlink(ev, p);
    ev->st.held_bytes -= ev_size(p);
    free(p);
}

static int ev_make_room(struct cap_evidence *ev, size_t need)
{
    while (ev->st.held_bytes + need > ev->o.memory_bytes && ev->oldest)
        ev_evict_oldest(ev);
    return ev->st.held_bytes + need <= ev->o.memory_bytes ? 0 : -1;
}

/* ---- public ---- */

struct cap_evidence *cap_evidence_open(const struct cap_evidence_opts *o, const struct cap *src,
                                       char err[SS_ERRBUF_SIZE])
{
    if (!o->dir || !*o->dir) {
        snprintf(err, SS_ERRBUF_SIZE, "--evidence: no directory given");
        return NULL;
    }
    struct cap_evidence *ev = calloc(1, sizeof *ev);
    if (!ev) {
        snprintf(err, SS_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    ev->o = *o;
    if (!ev->o.file_bytes)
        ev->o.file_bytes = EV_DEFAULT_FILE_BYTES;
    if (!ev->o.files)
        ev->o.files = EV_DEFAULT_FILES;
    if (!ev->o.head_packets)
        ev->o.head_packets = EV_DEFAULT_HEAD;
    if (!ev->o.memory_bytes)
        ev->o.memory_bytes = EV_DEFAULT_MEMORY;
    ev->dirfd = -1;
    if (ev->o.files > EV_MAX_FILES) {
        snprintf(err, SS_ERRBUF_SIZE, "--evidence-files: at most %d files", EV_MAX_FILES);
        goto fail;
    }
    ev->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ev->dirfd < 0) {
        snprintf(err, SS_ERRBUF_SIZE, "--evidence %.200s: %s%s", o->dir, strerror(errno),
                 errno == ENOENT ? " (create the directory first)" : "");
        goto fail;
    }
    pcap_t *p = cap__pcap(src);
    ev->dead = pcap_open_dead_with_tstamp_precision(pcap_datalink(p), pcap_snapshot(p),
                                                    PCAP_TSTAMP_PRECISION_NANO);
    ev->ring = calloc(EV_MAX_FILES + 1, sizeof *ev->ring);
    ev->nslots = 1024;
    ev->slots = calloc(ev->nslots, sizeof *ev->slots);
    if (!ev->dead || !ev->ring || !ev->slots) {
        snprintf(err, SS_ERRBUF_SIZE, "out of memory");
        goto fail;
    }
    if (ev_scan(ev, err) < 0)
        goto fail;
    return ev;
fail:
    cap_evidence_close(ev, NULL);
    return NULL;
}

int cap_evidence_packet(struct cap_evidence *ev, uint64_t flow, const struct cap_frame *fr)
{
    if (!flow || ev->st.failed)
        return 0;
    struct ev_flow *f = ev_get(ev, flow);
    if (!f)
        return 0; /* no memory for the table: this flow's packets are simply not held */
    f->seen++;
    if (f->verdict) /* judged already: straight to the file */
        return ev_write(ev, fr->ts_ns, fr->caplen, fr->wirelen, fr->data);
    size_t need = sizeof(struct ev_pkt) + fr->caplen;
    int head = f->seen <= ev->o.head_packets;
    if (ev_make_room(ev, need) < 0) {
        if (head)
            f->head_lost++;
        else
            f->tail_lost++;
        return 0;
    }
    struct ev_pkt *p = malloc(need);
    if (!p) {
        f->head_lost += head;
        f->tail_lost += !head;
        return 0;
    }
    p->next = p->older = p->newer = NULL;
    p->flow = flow;
    p->ts_ns = fr->ts_ns;
    p->caplen = fr->caplen;
    p->wirelen = fr->wirelen;
    memcpy(p->data, fr->data, fr->caplen);
    ev->st.held_bytes += need;
    if (head) {
        if (f->head_last)
            f->head_last->next = p;
        else
            f->head = p;
        f->head_last = p;
    } else {
        if (f->tail_last)
            f->tail_last->next = p;
        else
            f->tail = p;
        f->tail_last = p;
        p->older = ev->newest;
        if (ev->newest)
            ev->newest->newer = p;
        else
            ev->oldest = p;
        ev->newest = p;
    }
    return 0;
}

int cap_evidence_flow_end(struct cap_evidence *ev, uint64_t flow, int related)
{
    struct ev_flow *f = flow ? ev_find(ev, flow) : NULL;
    if (!f)
        return 0;
    if (!related && !f->verdict) {
        ev_remove(ev, f);
        return 0;
    }
    ev->st.lost += f->head_lost;
    f->head_lost = 0;
    int rc = ev_write_list(ev, f, f->head, 0);
    f->head = f->head_last = NULL;
    if (f->verdict) {
        ev_remove(ev, f);
        return rc;
    }
    f->state = EV_ENDED;
    return rc;
}

int cap_evidence_verdict(struct cap_evidence *ev, uint64_t flow)
{
    struct ev_flow *f = flow ? ev_find(ev, flow) : NULL;
    if (!f || f->verdict)
        return 0;
    f->verdict = 1;
    ev->st.lost += f->head_lost + f->tail_lost;
    f->head_lost = f->tail_lost = 0;
    int rc = ev_write_list(ev, f, f->head, 0);
    f->head = f->head_last = NULL;
    int rc2 = ev_write_list(ev, f, f->tail, 1);
    f->tail = f->tail_last = NULL;
    if (f->state == EV_ENDED)
        ev_remove(ev, f);
    return rc < 0 || rc2 < 0 ? -1 : 0;
}

void cap_evidence_settle(struct cap_evidence *ev)
{
    /* A removal may shift a later entry into slot i: look at slot i again then. */
    for (size_t i = 0; i < ev->nslots;) {
        if (ev->slots[i].id && ev->slots[i].state == EV_ENDED)
            ev_remove(ev, &ev->slots[i]);
        else
            i++;
    }
}

void cap_evidence_reset(struct cap_evidence *ev)
{
    for (size_t i = 0; i < ev->nslots; i++) {
        struct ev_flow *f = &ev->slots[i];
        if (f->id) {
            ev_free_list(ev, f->head, 0);
            ev_free_list(ev, f->tail, 1);
            f->id = 0;
        }
    }
    ev->used = 0;
}

int cap_evidence_flush(struct cap_evidence *ev)
{
    if (ev->st.failed)
        return 0;
    return ev_flush_cur(ev);
}

int cap_evidence_close(struct cap_evidence *ev, char err[SS_ERRBUF_SIZE])
{
    if (!ev)
        return 0;
    int was_failed = ev->st.failed;
    int rc = ev_close_cur(ev) < 0 && !was_failed ? -1 : 0;
    if (rc < 0 && err)
        snprintf(err, SS_ERRBUF_SIZE, "%s", ev->err);
    if (ev->slots)
        cap_evidence_reset(ev);
    free(ev->slots);
    free(ev->ring);
    if (ev->dead)
        pcap_close(ev->dead);
    if (ev->dirfd >= 0)
        close(ev->dirfd);
    free(ev);
    return rc;
}

void cap_evidence_get_stats(const struct cap_evidence *ev, struct cap_evidence_stats *st)
{
    *st = ev->st;
}

const char *cap_evidence_errstr(const struct cap_evidence *ev)
{
    return ev->err;
}
