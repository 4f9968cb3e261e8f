#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// cloud.mjs - the sensoscope network lab's "cloud": one HTTPS server process
// answering for all lab cloud names (the certificate carries the SANs).
//
//   node cloud.mjs --cert CERT.pem --key KEY.pem --listen ADDR:PORT
//                  [--listen ADDR:PORT ...] [--log FILE]
//
// IPv6 listen addresses are written in brackets: [2001:db8:10::10]:443
//
// Behaviour:
//   * any GET answers 200 text/plain "host=<Host> path=<path>".
//   * signalling mailbox for WebRTC peers:
//       POST /signal/<session>/<slot>          store body (max 64 KiB)
//       GET  /signal/<session>/<slot>?wait=MS  long-poll until present,
//                                              404 when the wait expires
//   * idle keep-alive sockets are closed after ~2 s so captures end cleanly.
//   * memory is bounded: at most MAX_ENTRIES mailbox entries (oldest evicted),
//     entries expire after ENTRY_TTL_MS, waiters are capped and time-limited.
//
// Runs on node >= 18.19 (Debian 12's nodejs); no dependencies.

import https from 'node:https';
import fs from 'node:fs';
import process from 'node:process';

const MAX_BODY = 64 * 1024;        // max signalling body size
const MAX_ENTRIES = 256;           // max stored (session, slot) entries
const ENTRY_TTL_MS = 10 * 60_000;  // stored entries expire after 10 min
const MAX_WAITERS = 256;           // max concurrent long-polls
const MAX_WAIT_MS = 60_000;        // cap on ?wait=
const IDLE_MS = 2_000;             // keep-alive / idle socket timeout
const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

function usage(msg) {
  if (msg) process.stderr.write(`cloud.mjs: ${msg}\n`);
  process.stderr.write('usage: node cloud.mjs --cert CERT.pem --key KEY.pem ' +
    '--listen ADDR:PORT [--listen ADDR:PORT ...] [--log FILE]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { listen: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--cert': o.cert = val(); break;
      case '--key': o.key = val(); break;
      case '--listen': o.listen.push(val()); break;
      case '--log': o.log = val(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!o.cert || !o.key || o.listen.length === 0) usage('--cert, --key and --listen are required');
  return o;
}

// "1.2.3.4:443" or "[2001:db8::1]:443" -> { host, port }
function parseListen(s) {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) || /^([^:]+):(\d+)$/.exec(s);
  if (!m) usage(`bad --listen ${s}`);
  const port = Number(m[2]);
  if (!(port > 0 && port < 65536)) usage(`bad port in --listen ${s}`);
  return { host: m[1], port };
}

const opts = parseArgs(process.argv.slice(2));
const logStream = opts.log ? fs.createWriteStream(opts.log, { flags: 'a' }) : null;
function log(line) {
  const s = `${new Date().toISOString()} ${line}\n`;
  if (logStream) logStream.write(s); else process.stdout.write(s);
}

// ---- mailbox -------------------------------------------------------------
// key "session/slot" -> { body: Buffer, type: string, at: ms }
// Map preserves insertion order, so the first key is the oldest.
const mailbox = new Map();
// key -> Set of waiter functions (called with the entry)
const waiters = new Map();
let waiterCount = 0;

function store(key, body, type) {
  mailbox.delete(key);
  mailbox.set(key, { body, type, at: Date.now() });
  while (mailbox.size > MAX_ENTRIES) mailbox.delete(mailbox.keys().next().value);
  const ws = waiters.get(key);
  if (ws) for (const w of [...ws]) w(mailbox.get(key));
}

function lookup(key) {
  const e = mailbox.get(key);
  if (e && Date.now() - e.at > ENTRY_TTL_MS) { mailbox.delete(key); return undefined; }
  return e;
}

setInterval(() => {
  const now = Date.now();
  for (const [k, e] of mailbox) if (now - e.at > ENTRY_TTL_MS) mailbox.delete(k);
}, 30_000).unref();

// ---- HTTP ----------------------------------------------------------------
function send(res, code, body, type = 'text/plain; charset=utf-8') {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  res.writeHead(code, { 'content-type': type, 'content-length': buf.length, 'cache-control': 'no-store' });
  res.end(buf);
}

function handleSignal(req, res, url, session, slot) {
  const key = `${session}/${slot}`;
  if (req.method === 'POST' || req.method === 'PUT') {
    const chunks = [];
    let size = 0;
    let aborted = false;
    const tooLarge = () => {
      aborted = true;
      res.setHeader('connection', 'close');
      send(res, 413, 'body too large\n');
      res.on('finish', () => setTimeout(() => req.destroy(), 100));
    };
    if (Number(req.headers['content-length']) > MAX_BODY) { tooLarge(); return; }
    req.on('data', (c) => {
      if (aborted) return;
      size += c.length;
      if (size > MAX_BODY) { tooLarge(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      if (aborted) return;
      store(key, Buffer.concat(chunks), req.headers['content-type'] || 'application/octet-stream');
      log(`signal store ${key} ${size}B`);
      send(res, 204, '');
    });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') { send(res, 405, 'method not allowed\n'); return; }
  const hit = lookup(key);
  if (hit) { send(res, 200, hit.body, hit.type); return; }
  const wait = Math.min(Math.max(Number(url.searchParams.get('wait')) || 0, 0), MAX_WAIT_MS);
  if (wait <= 0) { send(res, 404, 'not found\n'); return; }
  if (waiterCount >= MAX_WAITERS) { send(res, 503, 'too many waiters\n'); return; }

  // long-poll: the socket must not be reaped by the idle timeout meanwhile
  req.socket.setTimeout(0);
  let set = waiters.get(key);
  if (!set) { set = new Set(); waiters.set(key, set); }
  waiterCount++;
  let done = false;
  const finish = (entry) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    set.delete(waiter);
    if (set.size === 0) waiters.delete(key);
    waiterCount--;
    req.socket.setTimeout(IDLE_MS);
    if (res.writableEnded || res.destroyed) return;
    if (entry) send(res, 200, entry.body, entry.type); else send(res, 404, 'not found (wait expired)\n');
  };
  const waiter = (entry) => finish(entry);
  const timer = setTimeout(() => finish(undefined), wait);
  set.add(waiter);
  res.on('close', () => finish(undefined));
}

function handler(req, res) {
  let url;
  try { url = new URL(req.url, 'https://x'); } catch { send(res, 400, 'bad url\n'); return; }
  log(`${req.socket.remoteAddress} ${req.method} ${req.headers.host || '-'} ${url.pathname}`);
  const m = /^\/signal\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (m) {
    if (!NAME_RE.test(m[1]) || !NAME_RE.test(m[2])) { send(res, 400, 'bad session/slot\n'); return; }
    handleSignal(req, res, url, m[1], m[2]);
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    send(res, 200, `host=${req.headers.host || ''} path=${url.pathname}\n`);
    return;
  }
  // drain and answer other methods generically (bounded by MAX_BODY)
  let size = 0;
  req.on('data', (c) => { size += c.length; if (size > MAX_BODY) req.destroy(); });
  req.on('end', () => send(res, 200, `host=${req.headers.host || ''} path=${url.pathname} method=${req.method}\n`));
}

const tlsOpts = {
  cert: fs.readFileSync(opts.cert),
  key: fs.readFileSync(opts.key),
  keepAliveTimeout: IDLE_MS,
  headersTimeout: 10_000,
  requestTimeout: MAX_WAIT_MS + 10_000,
  handshakeTimeout: 5_000,
};

const servers = [];
for (const spec of opts.listen) {
  const { host, port } = parseListen(spec);
  const srv = https.createServer(tlsOpts, handler);
  srv.keepAliveTimeout = IDLE_MS;
  srv.maxRequestsPerSocket = 100;
  // reap idle TLS sockets (e.g. handshake done but no request); this is the
  // same socket object as req.socket, so long-polls can suspend the timeout
  srv.on('secureConnection', (sock) => {
    sock.setTimeout(IDLE_MS);
    sock.on('timeout', () => sock.destroy());
  });
  srv.on('tlsClientError', (err, sock) => { log(`tls error ${sock.remoteAddress || '-'}: ${err.code || err.message}`); });
  srv.on('error', (err) => { process.stderr.write(`cloud.mjs: listen ${spec}: ${err.message}\n`); process.exit(1); });
  srv.listen({ host, port }, () => log(`listening on ${spec}`));
  servers.push(srv);
}

function shutdown(sig) {
  log(`exit on ${sig}`);
  for (const s of servers) { s.close(); if (s.closeAllConnections) s.closeAllConnections(); }
  setTimeout(() => process.exit(0), 200).unref();
  if (logStream) logStream.end();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
