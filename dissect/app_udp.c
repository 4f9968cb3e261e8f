/* SPDX-License-Identifier: MIT */
/*
 * app_udp.c - application dissection of UDP datagrams, chosen by content, not by port:
 * STUN/TURN (RFC 8489, 8656; RFC 7983/9443 first-byte demultiplexing), TURN ChannelData and
 * the STUN carried inside it or inside Send/Data indications (relayed ICE checks), and DNS.
 * Parsed messages become events (app_report.c); DNS answers feed the per-client address ->
 * name map that attributes flows to host names.
 */
#include "app_int.h"

/*
 * ChannelData: accepted where TURN was seen on the flow, or where the frame fills the
 * datagram exactly (plus padding), which a random payload starting 0x40-0x7F rarely does.
 */
static int try_channeldata(struct app_ctx *a, const uint8_t *p, size_t caplen, size_t len)
{
    struct dis_channeldata cd;
    size_t used;
    if (dis_channeldata_parse(p, caplen, len, DIS_STUN_DGRAM, &cd, &used) != DIS_OK)
        return 0;
    size_t frame = 4 + (size_t)cd.data_len;
    bool exact = frame == len || ((frame + 3) & ~(size_t)3) == len;
    if (!a->f->turn_seen && !exact)
        return 0;
    int rc = app_channeldata(a, &cd);
    return rc < 0 ? rc : 1;
}

int app_udp(struct app_ctx *a)
{
    const struct dis_pkt *p = a->p;
    if (!p->payload || p->payload_caplen == 0)
        return 0;
    const uint8_t *d = p->payload;
    size_t caplen = p->payload_caplen, len = p->payload_len;
    uint8_t b = app_first_byte(d, caplen);
    enum dis_demux dm = dis_demux_first_byte(b);
    /* RFC 5766 channels reach 0x7FFF: 0x50-0x7F is ChannelData only where TURN was seen. */
    bool channel = dm == DIS_DEMUX_TURN_CHANNEL || (b >= 0x50 && b <= 0x7f && a->f->turn_seen);
    int rc = 0;
    if (dm == DIS_DEMUX_STUN || dis_stun_probe(d, caplen, len, DIS_STUN_DGRAM) == DIS_OK)
        rc = app_stun(a, d, caplen, len, DIS_STUN_DGRAM);
    if (rc == 0 && channel)
        rc = try_channeldata(a, d, caplen, len);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = app_dns(a, d, caplen, len);
    return rc < 0 ? rc : 0;
}
