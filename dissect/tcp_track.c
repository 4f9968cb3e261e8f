/* SPDX-License-Identifier: MIT */
/*
 * tcp_track.c - TCP endpoint states, history letters and conn_state, following Zeek's TCP
 * session adapter (TCPSessionAdapter::UpdateStateMachine) and base/protocols/conn conn_state(),
 * so that our conn_state letters mean exactly what Zeek users expect.
 *
 * Simplifications, documented in docs/schema.md: no sequence-number validation (a RST is
 * trusted whatever its sequence number), no role flip after the first packets, and each
 * history letter is recorded at most once per direction.
 */
#include <string.h>

#include "flow_int.h"

static void set_state(struct ft_flow *f, int dir, enum ft_tcp_ep st)
{
    f->ep_prev[dir] = f->ep[dir];
    f->ep[dir] = (uint8_t)st;
}

/* History letters, each recorded once per side: upper case from the originator. */
static void history_add(struct ft_flow *f, int dir, char letter)
{
    static const char letters[] = "SHADFR";
    const char *p = strchr(letters, letter);
    if (!p)
        return;
    uint16_t bit = (uint16_t)(1u << ((p - letters) * 2 + dir));
    if (f->hist_seen & bit)
        return;
    f->hist_seen |= bit;
    size_t n = strlen(f->rec.history);
    if (n + 1 >= sizeof f->rec.history)
        return;
    f->rec.history[n] = dir == DIS_DIR_ORIG ? letter : (char)(letter - 'A' + 'a');
    f->rec.history[n + 1] = '\0';
}

static void update_inactive(struct ft_flow *f, int dir, uint8_t flags, uint32_t len)
{
    int peer = !dir;
    bool syn = flags & DIS_TH_SYN, ack = flags & DIS_TH_ACK;
    if (syn) {
        if (dir == DIS_DIR_ORIG) {
            set_state(f, dir, ack ? FT_EP_SYN_ACK_SENT : FT_EP_SYN_SENT);
        } else {
            if (!ack && f->ep[peer] == FT_EP_SYN_ACK_SENT)
                set_state(f, peer, FT_EP_ESTABLISHED); /* SYN / SYN-ACK reversal */
            if (f->ep[peer] == FT_EP_SYN_SENT)
                set_state(f, peer, FT_EP_ESTABLISHED);
            set_state(f, dir, FT_EP_ESTABLISHED);
        }
    }
    if (flags & DIS_TH_FIN)
        set_state(f, dir, FT_EP_CLOSED);
    if (flags & DIS_TH_RST)
        set_state(f, dir, FT_EP_RESET);
    if (f->ep[dir] == FT_EP_INACTIVE) {
        if (dir == DIS_DIR_RESP && len == 0 && f->ep[DIS_DIR_ORIG] == FT_EP_SYN_SENT) {
            /* an early ACK of the SYN before the SYN-ACK: not a partial connection */
        } else if (ack && f->ep[peer] == FT_EP_ESTABLISHED) {
            set_state(f, dir, FT_EP_ESTABLISHED); /* we missed the SYN, saw the SYN-ACK */
        } else {
            set_state(f, dir, FT_EP_PARTIAL);
        }
    }
}

void ft_tcp_update(struct ft_flow *f, int dir, uint8_t flags, uint32_t seq, uint32_t payload_len,
                   uint64_t ts_ns)
{
    int peer = !dir;
    bool syn = flags & DIS_TH_SYN, ack = flags & DIS_TH_ACK;
    bool fin = flags & DIS_TH_FIN, rst = flags & DIS_TH_RST;

    if (syn && !f->syn_seen[dir]) {
        f->syn_seen[dir] = true;
        f->isn[dir] = seq;
        if (dir == DIS_DIR_ORIG && !ack)
            f->syn_ns = ts_ns;
    }
    /* SYN -> SYN-ACK time: the first SYN-ACK answering a SYN we saw. */
    if (syn && ack && dir == DIS_DIR_RESP && f->syn_ns && f->rec.rtt_ns < 0 && ts_ns >= f->syn_ns)
        f->rec.rtt_ns = (int64_t)(ts_ns - f->syn_ns);

    if (syn)
        history_add(f, dir, ack ? 'H' : 'S');
    if (fin)
        history_add(f, dir, 'F');
    if (rst)
        history_add(f, dir, 'R');
    if (payload_len > 0)
        history_add(f, dir, 'D');
    else if (ack && !syn && !fin && !rst)
        history_add(f, dir, 'A');

    switch (f->ep[dir]) {
    case FT_EP_INACTIVE:
        update_inactive(f, dir, flags, payload_len);
        break;
    case FT_EP_SYN_SENT:
    case FT_EP_SYN_ACK_SENT:
        if (fin)
            set_state(f, dir, FT_EP_CLOSED);
        if (rst)
            set_state(f, dir, FT_EP_RESET);
        break;
    case FT_EP_ESTABLISHED:
    case FT_EP_PARTIAL:
        if (syn && f->ep[dir] == FT_EP_PARTIAL && f->ep[peer] == FT_EP_INACTIVE && !ack)
            set_state(f, dir, FT_EP_SYN_SENT);
        if (fin && !rst) {
            set_state(f, dir, FT_EP_CLOSED);
            /* the peer's FIN then RST was a normal close after all */
            if (f->ep[peer] == FT_EP_RESET && f->ep_prev[peer] == FT_EP_CLOSED)
                set_state(f, peer, FT_EP_CLOSED);
        }
        if (rst)
            set_state(f, dir, FT_EP_RESET);
        break;
    case FT_EP_CLOSED:
        if (rst && f->ep[peer] != FT_EP_CLOSED)
            set_state(f, dir, FT_EP_RESET);
        break;
    case FT_EP_RESET:
    default:
        break;
    }
}

/* Zeek's regex /^\^?S[^HAFGIQ]*R.*!/ on the history: SYN, then a RST before any answer. */
static bool history_syn_then_rst(const char *h)
{
    if (h[0] != 'S')
        return false;
    for (const char *p = h + 1; *p; p++) {
        if (*p == 'R')
            return true;
        if (strchr("HAFGIQ", *p))
            return false;
    }
    return false;
}

enum dis_conn_state ft_tcp_conn_state(const struct ft_flow *f)
{
    int os = f->ep[DIS_DIR_ORIG], rs = f->ep[DIS_DIR_RESP];
    bool o_inactive = os == FT_EP_INACTIVE || os == FT_EP_PARTIAL;
    bool r_inactive = rs == FT_EP_INACTIVE || rs == FT_EP_PARTIAL;

    if (rs == FT_EP_RESET) {
        if (os == FT_EP_SYN_SENT || os == FT_EP_SYN_ACK_SENT ||
            (os == FT_EP_RESET && f->rec.payload[0] == 0 && f->rec.payload[1] == 0))
            return DIS_CS_REJ;
        return o_inactive ? DIS_CS_RSTRH : DIS_CS_RSTR;
    }
    if (os == FT_EP_RESET) {
        if (r_inactive)
            return history_syn_then_rst(f->rec.history) ? DIS_CS_RSTOS0 : DIS_CS_OTH;
        return DIS_CS_RSTO;
    }
    if (rs == FT_EP_CLOSED && os == FT_EP_CLOSED)
        return DIS_CS_SF;
    if (os == FT_EP_CLOSED)
        return r_inactive ? DIS_CS_SH : DIS_CS_S2;
    if (rs == FT_EP_CLOSED)
        return o_inactive ? DIS_CS_SHR : DIS_CS_S3;
    if (os == FT_EP_SYN_SENT && rs == FT_EP_INACTIVE)
        return DIS_CS_S0;
    if (os == FT_EP_ESTABLISHED && rs == FT_EP_ESTABLISHED)
        return DIS_CS_S1;
    return DIS_CS_OTH;
}

bool ft_tcp_established(const struct ft_flow *f)
{
    int os = f->ep[DIS_DIR_ORIG], rs = f->ep[DIS_DIR_RESP];
    bool o = os == FT_EP_ESTABLISHED || os == FT_EP_PARTIAL;
    bool r = rs == FT_EP_ESTABLISHED || rs == FT_EP_PARTIAL;
    return o && r;
}

bool ft_tcp_is_reuse(const struct ft_flow *f, int dir, uint8_t flags, uint32_t seq)
{
    if ((flags & (DIS_TH_SYN | DIS_TH_ACK)) != DIS_TH_SYN)
        return false;
    /* A new SYN with a new initial sequence number once either side has closed or reset. */
    bool finished = f->ep[0] == FT_EP_CLOSED || f->ep[0] == FT_EP_RESET ||
                    f->ep[1] == FT_EP_CLOSED || f->ep[1] == FT_EP_RESET;
    if (!finished)
        return false;
    return !f->syn_seen[dir] || f->isn[dir] != seq;
}
