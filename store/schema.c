/* SPDX-License-Identifier: MIT */
/* schema.c - the database schema as an ordered list of migrations; docs/schema.md documents it. */
#include "sto_int.h"

#include "store/sto.h"

/*
 * Adding a table or column later is one more entry at the end of this array: its position is
 * the schema version it produces. Entries are never edited once released, since databases in
 * the field were built by them; sto_open() applies the missing ones in one transaction.
 *
 * Times are REAL epoch seconds (a double keeps microseconds for current dates), counters are
 * INTEGER, addresses are text as dis_addr_str() writes them ("10.0.0.5", "2001:db8::1").
 */
static const struct sto__migration sto__steps[] = {
    /* v1 */
    {"v1 (captures, flows)",
     "CREATE TABLE captures (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  source TEXT NOT NULL,                    -- file path, '-' (stdin) or interface\n"
     "  kind TEXT NOT NULL,                      -- 'file' or 'live'\n"
     "  sha256 TEXT UNIQUE,                      -- hex SHA-256 of the file; NULL: stdin, live\n"
     "  file_bytes INTEGER NOT NULL DEFAULT 0,   -- file size, 0 if unknown\n"
     "  linktype TEXT,                           -- libpcap link type name (EN10MB, ...)\n"
     "  linktype_num INTEGER,                    -- LINKTYPE_ number\n"
     "  first REAL,                              -- epoch seconds; NULL without packets\n"
     "  last REAL,                               -- last packet, epoch seconds\n"
     "  packets INTEGER NOT NULL DEFAULT 0,      -- frames read\n"
     "  bytes INTEGER NOT NULL DEFAULT 0,        -- their wire length\n"
     "  drops INTEGER NOT NULL DEFAULT 0,        -- kernel + interface drops (live)\n"
     "  warnings INTEGER NOT NULL DEFAULT 0,     -- truncated file, malformed frames, ...\n"
     "  status TEXT NOT NULL DEFAULT 'running',  -- running, complete, truncated, interrupted\n"
     "  version TEXT NOT NULL,                   -- sensoscope version that analysed it\n"
     "  analysed_at REAL NOT NULL                -- epoch seconds\n"
     ");\n"
     "CREATE TABLE flows (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,\n"
     "  proto TEXT NOT NULL,                     -- tcp, udp, icmp, icmp6, or the number\n"
     "  src TEXT NOT NULL,                       -- initiator address\n"
     "  sport INTEGER NOT NULL,                  -- initiator port; ICMP: type\n"
     "  dst TEXT NOT NULL,                       -- responder address\n"
     "  dport INTEGER NOT NULL,                  -- responder port; ICMP: code\n"
     "  first REAL NOT NULL,                     -- epoch seconds\n"
     "  last REAL NOT NULL,                      -- epoch seconds\n"
     "  pkts_out INTEGER NOT NULL,               -- packets src -> dst\n"
     "  pkts_in INTEGER NOT NULL,                -- packets dst -> src\n"
     "  bytes_out INTEGER NOT NULL,              -- IP bytes src -> dst\n"
     "  bytes_in INTEGER NOT NULL,               -- IP bytes dst -> src\n"
     "  payload_out INTEGER NOT NULL,            -- transport payload bytes src -> dst\n"
     "  payload_in INTEGER NOT NULL,             -- transport payload bytes dst -> src\n"
     "  state TEXT,                              -- Zeek conn_state (TCP); NULL otherwise\n"
     "  history TEXT,                            -- Zeek history letters, upper case = src\n"
     "  rtt REAL,                                -- seconds SYN -> SYN-ACK; NULL if not seen\n"
     "  ttl_out_min INTEGER,                     -- TTL/hop limit src -> dst; NULL: no packets\n"
     "  ttl_out_max INTEGER,\n"
     "  ttl_in_min INTEGER,                      -- TTL/hop limit dst -> src\n"
     "  ttl_in_max INTEGER,\n"
     "  app TEXT,                                -- nDPI protocol name; NULL if unclassified\n"
     "  category TEXT,                           -- nDPI category name\n"
     "  host TEXT,                               -- attributed host name (later)\n"
     "  rule TEXT,                               -- profile rule id (later)\n"
     "  channeldata INTEGER NOT NULL DEFAULT 0,  -- TURN ChannelData messages (later)\n"
     "  frags INTEGER NOT NULL DEFAULT 0,        -- non-first IP fragments\n"
     "  icmp_errors INTEGER NOT NULL DEFAULT 0,  -- ICMP errors quoting this flow\n"
     "  icmp_type INTEGER,                       -- the first one's type; NULL without errors\n"
     "  icmp_code INTEGER,                       -- its code\n"
     "  icmp_from TEXT,                          -- its sender\n"
     "  icmp_first REAL,                         -- its time, epoch seconds\n"
     "  end_reason TEXT,                         -- idle, evicted, capture_end, port_reuse\n"
     "  vlan INTEGER NOT NULL DEFAULT 0          -- outermost VLAN id, 0 untagged\n"
     ");\n"
     "CREATE INDEX flows_capture ON flows(capture_id);\n"
     "CREATE INDEX flows_src ON flows(src);\n"
     "CREATE INDEX flows_dst ON flows(dst);\n"
     "CREATE INDEX flows_first ON flows(first);\n"},
};

const struct sto__migration *sto__migrations(int *count)
{
    *count = (int)(sizeof sto__steps / sizeof sto__steps[0]);
    return sto__steps;
}

int sto_schema_version(void)
{
    return (int)(sizeof sto__steps / sizeof sto__steps[0]);
}
