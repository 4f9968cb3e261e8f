/* SPDX-License-Identifier: MIT */
/* status.c - names of the dissect result codes (STYLE.md §5). */
#include "dissect/status.h"

const char *dis_status_name(enum dis_status s)
{
    switch (s) {
    case DIS_OK:
        return "ok";
    case DIS_NEED_MORE:
        return "need_more";
    case DIS_TRUNCATED:
        return "truncated";
    case DIS_MALFORMED:
        return "malformed";
    case DIS_NOT_MINE:
        return "not_mine";
    }
    return "unknown";
}
