/* SPDX-License-Identifier: MIT */
/*
 * cap.c - packet sources over libpcap: pcap/pcapng savefiles (or standard input) read with
 * nanosecond timestamps, live interfaces through pcap_create()/pcap_activate(), link-type
 * translation from DLT_ to LINKTYPE_ numbers, SHA-256 of input files (OpenSSL EVP), and the
 * interface listing. The only file of the project that includes pcap.h (STYLE.md §1).
 *
 * Savefiles are hostile input: libpcap validates the headers; what we add is context in the
 * error messages (path, frame number, byte offset) so that a user knows where a file is broken
 * and that everything before that point was read.
 */

/* pcap.h needs u_int/u_char from <sys/types.h>, which strict C11 hides without this. */
#define _DEFAULT_SOURCE

#include "capture/cap.h"
#include "cap_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <pcap.h>

/* LINKTYPE_ numbers that dis_decode() understands (mirror of enum dis_linktype; capture/ does
 * not depend on dissect/, so the numbers are repeated here). */
enum {
    CAP_LT_NULL = 0,
    CAP_LT_ETHERNET = 1,
    CAP_LT_PPP = 9,
    CAP_LT_RAW = 101,
    CAP_LT_LOOP = 108,
    CAP_LT_LINUX_SLL = 113,
    CAP_LT_IPV4 = 228,
    CAP_LT_IPV6 = 229,
    CAP_LT_LINUX_SLL2 = 276
};

/* libpcap 1.10 defines DLT_LINUX_SLL2; older headers do not. */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define CAP_SUPPORTED_LIST "EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP, PPP"

#define CAP_DEFAULT_SNAPLEN 262144
#define CAP_DEFAULT_BUFFER_MB 64
#define CAP_MAX_BUFFER_MB 2047 /* pcap_set_buffer_size() takes an int of bytes */
#define CAP_READ_TIMEOUT_MS 200
#define CAP_SHA256_CHUNK (1024 * 1024)

struct cap {
    pcap_t *p;
    char *name;         /* path ("stdin" for "-") or interface name, prefix of every message */
    bool live;          /* opened with cap_open_live() */
    bool nano;          /* ts.tv_usec of packet headers holds nanoseconds */
    int linktype;       /* LINKTYPE_ number */
    const char *ltname; /* libpcap's static name of the link type */
    uint64_t frames;    /* frames returned so far */
    int fd;             /* live: descriptor to poll() in non-blocking mode, or -1 */
    bool is_stdin;      /* reading standard input: no path to look into again */
    bool own_break;     /* cap_breakloop() sets @c stop rather than calling pcap_breakloop() */
    volatile sig_atomic_t stop; /* set by cap_breakloop(), consumed by cap_next() */
    char err[SS_ERRBUF_SIZE];
};

/* Formats into an error buffer of SS_ERRBUF_SIZE bytes; truncation is acceptable. */
__attribute__((format(printf, 2, 3))) static void cap__fmt(char *buf, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, SS_ERRBUF_SIZE, fmt, ap);
    va_end(ap);
}

static char *cap__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/*
 * Maps libpcap's DLT_ value to the LINKTYPE_ number the decoder uses, or -1 when unsupported.
 * An if-chain rather than a switch: DLT_RAW and DLT_LOOP change value between platforms
 * (DLT_RAW is 14 and DLT_LOOP 12 on OpenBSD), and a switch could then get duplicate labels.
 */
static int cap__dlt_to_linktype(int dlt)
{
    if (dlt == DLT_NULL)
        return CAP_LT_NULL;
    if (dlt == DLT_EN10MB)
        return CAP_LT_ETHERNET;
    if (dlt == DLT_PPP)
        return CAP_LT_PPP;
    if (dlt == DLT_RAW)
        return CAP_LT_RAW;
    if (dlt == DLT_LOOP)
        return CAP_LT_LOOP;
    if (dlt == DLT_LINUX_SLL)
        return CAP_LT_LINUX_SLL;
    if (dlt == DLT_LINUX_SLL2)
        return CAP_LT_LINUX_SLL2;
    if (dlt == DLT_IPV4)
        return CAP_LT_IPV4;
    if (dlt == DLT_IPV6)
        return CAP_LT_IPV6;
    return -1;
}

/* Sets c->linktype/ltname from the handle; on an unsupported link type writes to @p err. */
static int cap__check_linktype(struct cap *c, char err[SS_ERRBUF_SIZE])
{
    int dlt = pcap_datalink(c->p);
    const char *name = pcap_datalink_val_to_name(dlt);
    const char *desc = pcap_datalink_val_to_description(dlt);

    c->linktype = cap__dlt_to_linktype(dlt);
    if (c->linktype < 0) {
        cap__fmt(err, "%s: link type %s (%d, %s) is not supported; supported: %s", c->name,
                 name != NULL ? name : "unknown", dlt,
                 desc != NULL ? desc : "no description known to libpcap", CAP_SUPPORTED_LIST);
        return -1;
    }
    c->ltname = name != NULL ? name : "unknown";
    return 0;
}

static struct cap *cap__new(const char *name, char err[SS_ERRBUF_SIZE])
{
    struct cap *c = calloc(1, sizeof(*c));

    if (c == NULL || (c->name = cap__strdup(name)) == NULL) {
        free(c);
        cap__fmt(err, "%s: out of memory", name);
        return NULL;
    }
    c->fd = -1;
    return c;
}

/*
 * Explains why libpcap refused a savefile. libpcap's own messages are terse ("unknown file
 * format"); we say what the user most likely has in hand.
 */
static void cap__open_file_error(const char *name, FILE *fp, const char *pcap_msg,
                                 char err[SS_ERRBUF_SIZE])
{
    struct stat st;

    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode))
        cap__fmt(err, "%s: is a directory, not a capture file", name);
    else if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
        cap__fmt(err, "%s: empty file, not a pcap or pcapng capture", name);
    else if (strstr(pcap_msg, "unknown file format") != NULL)
        cap__fmt(err, "%s: not a pcap or pcapng capture (libpcap: %s)", name, pcap_msg);
    else
        cap__fmt(err, "%s: cannot read capture: %s", name, pcap_msg);
}

struct cap *cap_open_file(const char *path, char err[SS_ERRBUF_SIZE])
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    bool is_stdin = strcmp(path, "-") == 0;
    struct cap *c;
    FILE *fp;

    err[0] = '\0';
    c = cap__new(is_stdin ? "stdin" : path, err);
    if (c == NULL)
        return NULL;

    /* Our own FILE so that open errors are ours to word; a dup of fd 0 for standard input,
     * since pcap_close() closes the FILE it was given and stdin must stay usable. */
    if (is_stdin) {
        int fd = dup(STDIN_FILENO);

        fp = fd >= 0 ? fdopen(fd, "rb") : NULL;
        if (fp == NULL) {
            cap__fmt(err, "stdin: cannot open standard input: %s", strerror(errno));
            if (fd >= 0)
                close(fd);
            goto fail;
        }
    } else {
        fp = fopen(path, "rb");
        if (fp == NULL) {
            cap__fmt(err, "%s: cannot open: %s", path, strerror(errno));
            goto fail;
        }
        /* A large buffer: fewer read() calls on big files. */
        setvbuf(fp, NULL, _IOFBF, 1 << 20);
    }

    /* On failure pcap_fopen_*() leaves the FILE open; on success pcap_close() closes it. */
    c->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, pcap_err);
    if (c->p == NULL) {
        cap__open_file_error(c->name, fp, pcap_err, err);
        fclose(fp);
        goto fail;
    }
    c->nano = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO;
    c->own_break = true;
    c->is_stdin = is_stdin;
    if (cap__check_linktype(c, err) < 0)
        goto fail;
    return c;

fail:
    cap_close(c);
    return NULL;
}

/* Words a negative pcap_activate() status for the user. */
static void cap__activate_error(const struct cap *c, int status, char err[SS_ERRBUF_SIZE])
{
    const char *detail = pcap_geterr(c->p);
    const char *sep = detail[0] != '\0' ? " (libpcap: " : "";
    const char *end = detail[0] != '\0' ? ")" : "";

    switch (status) {
    case PCAP_ERROR_PERM_DENIED:
        cap__fmt(err,
                 "%s: permission denied: live capture needs root or the CAP_NET_RAW and "
                 "CAP_NET_ADMIN capabilities (e.g. setcap cap_net_raw,cap_net_admin=eip on the "
                 "binary)%s%s%s",
                 c->name, sep, detail, end);
        break;
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        cap__fmt(err,
                 "%s: no permission to enable promiscuous mode; run as root or capture "
                 "without promiscuous mode%s%s%s",
                 c->name, sep, detail, end);
        break;
    case PCAP_ERROR_NO_SUCH_DEVICE:
        cap__fmt(err, "%s: no such interface; list the interfaces to see valid names%s%s%s",
                 c->name, sep, detail, end);
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        cap__fmt(err, "%s: interface is not up%s%s%s", c->name, sep, detail, end);
        break;
    default:
        cap__fmt(err, "%s: cannot start capture: %s%s%s%s", c->name, pcap_statustostr(status), sep,
                 detail, end);
        break;
    }
}

/* Compiles and installs @p filter; on failure writes to @p err. */
static int cap__set_filter(struct cap *c, const char *iface, const char *filter,
                           char err[SS_ERRBUF_SIZE])
{
    char pcap_err[PCAP_ERRBUF_SIZE];
    bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
    struct bpf_program prog;
    int ret;

    /* The netmask only matters for "ip broadcast"; an interface without IPv4 has none. */
    if (pcap_lookupnet(iface, &net, &mask, pcap_err) < 0)
        mask = PCAP_NETMASK_UNKNOWN;
    if (pcap_compile(c->p, &prog, filter, 1, mask) < 0) {
        cap__fmt(err, "%s: invalid capture filter \"%s\": %s", c->name, filter, pcap_geterr(c->p));
        return -1;
    }
    ret = pcap_setfilter(c->p, &prog);
    if (ret < 0)
        cap__fmt(err, "%s: cannot install capture filter \"%s\": %s", c->name, filter,
                 pcap_geterr(c->p));
    pcap_freecode(&prog);
    return ret < 0 ? -1 : 0;
}

struct cap *cap_open_live(const char *iface, const struct cap_live_opts *opts,
                          char err[SS_ERRBUF_SIZE])
{
    static const struct cap_live_opts defaults = {0};
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    char warning[SS_ERRBUF_SIZE] = "";
    int snaplen, buffer_mb, status;
    struct cap *c;

    err[0] = '\0';
    if (opts == NULL)
        opts = &defaults;
    snaplen = opts->snaplen > 0 ? opts->snaplen : CAP_DEFAULT_SNAPLEN;
    buffer_mb = opts->buffer_mb > 0 ? opts->buffer_mb : CAP_DEFAULT_BUFFER_MB;
    if (buffer_mb > CAP_MAX_BUFFER_MB) {
        cap__fmt(err, "%s: buffer size %d MiB is too large (at most %d)", iface, buffer_mb,
                 CAP_MAX_BUFFER_MB);
        return NULL;
    }

    c = cap__new(iface, err);
    if (c == NULL)
        return NULL;
    c->live = true;
    c->p = pcap_create(iface, pcap_err);
    if (c->p == NULL) {
        cap__fmt(err, "%s: cannot open interface: %s", iface, pcap_err);
        goto fail;
    }

    /* The setters fail only on an activated handle, which this one is not. */
    if (pcap_set_snaplen(c->p, snaplen) != 0 || pcap_set_promisc(c->p, opts->promisc != -1) != 0 ||
        pcap_set_timeout(c->p, CAP_READ_TIMEOUT_MS) != 0 ||
        pcap_set_buffer_size(c->p, buffer_mb * 1024 * 1024) != 0 ||
        pcap_set_immediate_mode(c->p, opts->immediate != -1) != 0) {
        cap__fmt(err, "%s: cannot configure capture: %s", iface, pcap_geterr(c->p));
        goto fail;
    }
    /* Nanoseconds where the platform has them; otherwise microseconds, scaled in cap_next(). */
    (void)pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO);

    status = pcap_activate(c->p);
    if (status < 0) {
        cap__activate_error(c, status, err);
        goto fail;
    }
    if (status > 0) {
        const char *detail = pcap_geterr(c->p);

        cap__fmt(warning, "%s: warning: %s%s%s", iface, pcap_statustostr(status),
                 detail[0] != '\0' ? ": " : "", detail);
    }
    c->nano = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO;

    /*
     * On Linux, libpcap 1.10's blocking read loops over poll() timeouts and returns only when
     * a packet (or a break) arrives, so an idle interface would never give CAP_TIMEOUT. We use
     * non-blocking mode and wait in cap_next() with our own poll() bounded by the read timeout.
     * Where there is no selectable descriptor, the handle stays blocking.
     */
    c->fd = pcap_get_selectable_fd(c->p);
    if (c->fd >= 0 && pcap_setnonblock(c->p, 1, pcap_err) < 0) {
        cap__fmt(err, "%s: cannot switch to non-blocking mode: %s", iface, pcap_err);
        goto fail;
    }
    c->own_break = c->fd >= 0;

    if (cap__check_linktype(c, err) < 0)
        goto fail;
    if (opts->filter != NULL && opts->filter[0] != '\0' &&
        cap__set_filter(c, iface, opts->filter, err) < 0)
        goto fail;

    memcpy(err, warning, sizeof(warning));
    return c;

fail:
    cap_close(c);
    return NULL;
}

void cap_close(struct cap *c)
{
    if (c == NULL)
        return;
    if (c->p != NULL)
        pcap_close(c->p);
    free(c->name);
    free(c);
}

/* pcap_pkthdr.ts to nanoseconds since the epoch; saturates instead of wrapping on absurd
 * times from a hostile file (a pcapng timestamp is 64 bits of arbitrary units). */
static uint64_t cap__ts_ns(const struct cap *c, const struct timeval *tv)
{
    uint64_t sec = tv->tv_sec > 0 ? (uint64_t)tv->tv_sec : 0;
    uint64_t frac = tv->tv_usec > 0 ? (uint64_t)tv->tv_usec : 0;

    if (!c->nano)
        frac *= 1000;
    if (sec > (UINT64_MAX - frac) / 1000000000u)
        return UINT64_MAX;
    return sec * 1000000000u + frac;
}

/* Reading position of the savefile, or -1 when unknown (a pipe, a live capture). */
static long long cap__tell(const struct cap *c)
{
    FILE *fp = c->live ? NULL : pcap_file(c->p);

    return fp != NULL ? (long long)ftello(fp) : -1;
}

static uint32_t cap__u32(const unsigned char *b, bool big)
{
    return big ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
               : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/*
 * Byte offset at which frame @p n (1-based) of the capture file @p path starts, found by
 * walking the record headers (pcap) or block headers (pcapng) again. Only used on the error
 * path, so that reading never pays for a position lookup per frame. Returns the offset where
 * the walk could go no further when the file ends first, or -1 when the file cannot be read.
 */
static long long cap__locate_frame(const char *path, uint64_t n)
{
    unsigned char h[28];
    long long off, pos = -1;
    FILE *fp = fopen(path, "rb");

    if (fp == NULL)
        return -1;
    if (fread(h, 1, 24, fp) != 24)
        goto out;
    if (cap__u32(h, false) == 0x0A0D0D0A) { /* pcapng: walk blocks, count packet blocks */
        bool big = false;
        uint64_t seen = 0;

        off = 0;
        for (;;) {
            if (fseeko(fp, (off_t)off, SEEK_SET) != 0 || fread(h, 1, 12, fp) != 12)
                break;
            uint32_t type = cap__u32(h, big);
            if (type == 0x0A0D0D0A || cap__u32(h, !big) == 0x0A0D0D0A) {
                big = cap__u32(h + 8, true) == 0x1A2B3C4D;
                type = 0x0A0D0D0A;
            }
            uint32_t len = cap__u32(h + 4, big);
            if (type == 6 || type == 3 || type == 2) {
                if (++seen == n)
                    break;
            }
            if (len < 12)
                break;
            off += len;
        }
        pos = off;
    } else { /* classic pcap: 24-byte header, then 16-byte record headers */
        bool big = cap__u32(h, true) == 0xa1b2c3d4 || cap__u32(h, true) == 0xa1b23c4d;

        off = 24;
        for (uint64_t i = 1; i < n; i++) {
            if (fseeko(fp, (off_t)off, SEEK_SET) != 0 || fread(h, 1, 16, fp) != 16)
                break;
            off += 16 + (long long)cap__u32(h + 8, big);
        }
        pos = off;
    }
out:
    fclose(fp);
    return pos;
}

/* The message for a failed read from a savefile: where, what, and what is still valid. */
static void cap__read_error(struct cap *c, long long offset)
{
    const char *msg = pcap_geterr(c->p);
    uint64_t frame = c->frames + 1;
    char where[64];

    if (offset >= 0)
        snprintf(where, sizeof(where), "at byte offset %lld", offset);
    else
        snprintf(where, sizeof(where), "at an unknown byte offset");

    if (strstr(msg, "different from the type of the first interface") != NULL) {
        /* libpcap 1.10 reads one link type per pcapng file. */
        cap__fmt(c->err,
                 "%s: frame %llu %s: %s; libpcap cannot read pcapng files whose interfaces "
                 "have different link types (split it per interface, e.g. with tshark -r ... "
                 "-Y frame.interface_id==N -w ...); the %llu frames before it were read",
                 c->name, (unsigned long long)frame, where, msg, (unsigned long long)c->frames);
    } else {
        cap__fmt(c->err, "%s: frame %llu %s: %s; the %llu frames before it were read", c->name,
                 (unsigned long long)frame, where, msg, (unsigned long long)c->frames);
    }
}

enum cap_result cap_next(struct cap *c, struct cap_frame *f)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int ret;

    if (c->own_break && c->stop) {
        c->stop = 0;
        return CAP_BREAK;
    }
    ret = pcap_next_ex(c->p, &hdr, &data);
    if (ret == 0 && c->fd >= 0) {
        /* Non-blocking live handle with nothing buffered: wait at most the read timeout. A
         * signal interrupts poll() (EINTR), so a cap_breakloop() from a handler acts at once;
         * one from another thread within the read timeout. */
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pfd, 1, CAP_READ_TIMEOUT_MS);

        if (c->stop) {
            c->stop = 0;
            return CAP_BREAK;
        }
        if (n < 0 && errno != EINTR) {
            cap__fmt(c->err, "%s: waiting for packets failed: %s", c->name, strerror(errno));
            return CAP_ERROR;
        }
        if (n > 0)
            ret = pcap_next_ex(c->p, &hdr, &data);
    }
    switch (ret) {
    case 1:
        c->frames++;
        f->ts_ns = cap__ts_ns(c, &hdr->ts);
        f->caplen = hdr->caplen;
        f->wirelen = hdr->len;
        f->data = data;
        f->number = c->frames;
        return CAP_FRAME;
    case 0:
        return CAP_TIMEOUT;
    case PCAP_ERROR_BREAK:
        /* For a savefile this is the end of the file; live, a pcap_breakloop(). */
        return c->live ? CAP_BREAK : CAP_END;
    default:
        if (c->live)
            cap__fmt(c->err, "%s: read error after %llu frames: %s", c->name,
                     (unsigned long long)c->frames, pcap_geterr(c->p));
        else
            cap__read_error(c, c->is_stdin ? -1 : cap__locate_frame(c->name, c->frames + 1));
        return CAP_ERROR;
    }
}

/*
 * libpcap's own break does not fit two of our three modes: for a savefile pcap_next_ex()
 * reports it with the same PCAP_ERROR_BREAK as the end of the file, and a non-blocking live
 * handle with no packet returns 0 and leaves the break pending for a later read. Those modes
 * use our flag; only a blocking live handle (no selectable descriptor) uses pcap_breakloop().
 */
void cap_breakloop(struct cap *c)
{
    if (c->own_break)
        c->stop = 1;
    else
        pcap_breakloop(c->p);
}

int cap_linktype(const struct cap *c)
{
    return c->linktype;
}

pcap_t *cap__pcap(const struct cap *c)
{
    return c->p;
}

const char *cap_linktype_name(const struct cap *c)
{
    return c->ltname;
}

const char *cap_errstr(const struct cap *c)
{
    return c->err;
}

uint64_t cap_file_pos(const struct cap *c)
{
    long long pos = cap__tell(c);

    return pos > 0 ? (uint64_t)pos : 0;
}

uint64_t cap_file_size(const struct cap *c)
{
    FILE *fp = c->live ? NULL : pcap_file(c->p);
    struct stat st;

    if (fp == NULL || fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
        return 0;
    return (uint64_t)st.st_size;
}

int cap_stats(struct cap *c, struct cap_stats *st)
{
    struct pcap_stat ps;

    if (!c->live) {
        cap__fmt(c->err, "%s: statistics are only kept for live captures", c->name);
        return -1;
    }
    if (pcap_stats(c->p, &ps) < 0) {
        cap__fmt(c->err, "%s: cannot read statistics: %s", c->name, pcap_geterr(c->p));
        return -1;
    }
    st->received = ps.ps_recv;
    st->dropped_kernel = ps.ps_drop;
    st->dropped_iface = ps.ps_ifdrop;
    return 0;
}

/* The first queued OpenSSL error as text, or a fallback. */
static const char *cap__openssl_error(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();

    if (e == 0)
        return "unknown OpenSSL error";
    ERR_error_string_n(e, buf, len);
    return buf;
}

int cap_file_sha256(const char *path, char hex[65], char err[SS_ERRBUF_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char sslerr[256];
    EVP_MD_CTX *ctx = NULL;
    unsigned char *buf = NULL;
    FILE *fp = NULL;
    int ret = -1;
    size_t n;

    err[0] = '\0';
    hex[0] = '\0';
    /* Hashing standard input would consume the capture before it is read. */
    if (strcmp(path, "-") == 0) {
        cap__fmt(err, "stdin: cannot hash standard input");
        return -1;
    }
    fp = fopen(path, "rb");
    if (fp == NULL) {
        cap__fmt(err, "%s: cannot open for hashing: %s", path, strerror(errno));
        goto out;
    }
    buf = malloc(CAP_SHA256_CHUNK);
    ctx = EVP_MD_CTX_new();
    if (buf == NULL || ctx == NULL) {
        cap__fmt(err, "%s: out of memory for hashing", path);
        goto out;
    }
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        cap__fmt(err, "%s: SHA-256 init failed: %s", path,
                 cap__openssl_error(sslerr, sizeof(sslerr)));
        goto out;
    }
    while ((n = fread(buf, 1, CAP_SHA256_CHUNK, fp)) > 0) {
        if (EVP_DigestUpdate(ctx, buf, n) != 1) {
            cap__fmt(err, "%s: SHA-256 update failed: %s", path,
                     cap__openssl_error(sslerr, sizeof(sslerr)));
            goto out;
        }
    }
    if (ferror(fp)) {
        cap__fmt(err, "%s: read error while hashing: %s", path, strerror(errno));
        goto out;
    }
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
        cap__fmt(err, "%s: SHA-256 final failed: %s", path,
                 cap__openssl_error(sslerr, sizeof(sslerr)));
        goto out;
    }
    for (unsigned int i = 0; i < mdlen; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0f];
    }
    hex[64] = '\0';
    ret = 0;

out:
    EVP_MD_CTX_free(ctx);
    free(buf);
    if (fp != NULL)
        fclose(fp);
    return ret;
}

/* Writes the IPv4/IPv6 addresses of one interface, comma-separated, after "addresses:". */
static void cap__print_addrs(FILE *out, const pcap_addr_t *a)
{
    const char *lead = "  addresses: ";
    char text[INET6_ADDRSTRLEN];

    for (; a != NULL; a = a->next) {
        struct sockaddr_in sin;
        struct sockaddr_in6 sin6;
        const void *bin;

        if (a->addr == NULL)
            continue;
        /* Copies rather than casts: struct sockaddr is less aligned than its variants. */
        if (a->addr->sa_family == AF_INET) {
            memcpy(&sin, a->addr, sizeof(sin));
            bin = &sin.sin_addr;
        } else if (a->addr->sa_family == AF_INET6) {
            memcpy(&sin6, a->addr, sizeof(sin6));
            bin = &sin6.sin6_addr;
        } else {
            continue;
        }
        if (inet_ntop(a->addr->sa_family, bin, text, sizeof(text)) == NULL)
            continue;
        fprintf(out, "%s%s", lead, text);
        lead = ", ";
    }
}

int cap_list_interfaces(FILE *out, char err[SS_ERRBUF_SIZE])
{
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *devs = NULL;
    int count = 0;

    err[0] = '\0';
    if (pcap_findalldevs(&devs, pcap_err) < 0) {
        cap__fmt(err, "cannot list interfaces: %s", pcap_err);
        return -1;
    }
    for (const pcap_if_t *d = devs; d != NULL; d = d->next) {
        fprintf(out, "%s", d->name);
        if (d->description != NULL)
            fprintf(out, " (%s)", d->description);
        fprintf(out, " [%s%s%s%s]", (d->flags & PCAP_IF_UP) ? "up" : "down",
                (d->flags & PCAP_IF_RUNNING) ? ", running" : "",
                (d->flags & PCAP_IF_LOOPBACK) ? ", loopback" : "",
                (d->flags & PCAP_IF_WIRELESS) ? ", wireless" : "");
        cap__print_addrs(out, d->addresses);
        fputc('\n', out);
        count++;
    }
    pcap_freealldevs(devs);
    if (fflush(out) != 0 || ferror(out)) {
        cap__fmt(err, "cannot write the interface list: %s", strerror(errno));
        return -1;
    }
    return count;
}
