#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// peer.mjs - one WebRTC peer (werift RTCPeerConnection + data channel) for
// the sensoscope network lab. Two instances (offer + answer) meet through
// the HTTPS signalling mailbox of cloud.mjs, connect over ICE (host, srflx
// or TURN relay over udp/tcp/tls), exchange data-channel traffic for a few
// seconds so the selected pair carries DTLS/SCTP, then close and write a
// JSON result describing candidates and the selected pair.
//
//   node peer.mjs --role offer|answer --signal https://NAME/signal/SESSION
//                 --ca LABCA.pem --out RESULT.json
//                 [--stun stun:HOST:3478] [--turn URL ...]
//                 [--turn-user U --turn-pass P] [--policy all|relay]
//                 [--seconds N (3)] [--timeout S (20)]
//
// TURN URLs: turn:HOST:3478?transport=udp | turn:HOST:3478?transport=tcp |
//            turns:HOST:443?transport=tcp. werift 0.24.4 uses only the first
//            TURN URL (and the first STUN URL) it is given.
// Host names are resolved with getaddrinfo (dns.lookup) before they are
// given to werift; for turns: the original name is used as TLS servername
// and the lab CA as trust anchor (werift option `turnTlsOptions`).
//
// Exit status: 0 connected and closed cleanly; 1 not connected within
// --timeout or other runtime failure (message on stderr); 2 usage error.
// Runs on node >= 18.19 (Debian 12's nodejs) with werift 0.24.4.

import fs from 'node:fs';
import https from 'node:https';
import dns from 'node:dns';
import net from 'node:net';
import process from 'node:process';
import { RTCPeerConnection } from 'werift';

const MSG_SIZE = 1024;          // data-channel message size
const MSG_INTERVAL_MS = 50;     // one message per interval per direction
const GATHER_MAX_MS = 8_000;    // bound on ICE gathering
const POLL_WAIT_MS = 5_000;     // long-poll slice
const BYE_WAIT_MS = 3_000;      // wait for the peer's "bye" after sending
const MAX_SDP = 60 * 1024;      // below the mailbox limit (64 KiB)

// ---- CLI -----------------------------------------------------------------
function usage(msg) {
  if (msg) process.stderr.write(`peer.mjs: ${msg}\n`);
  process.stderr.write(
    'usage: node peer.mjs --role offer|answer --signal https://NAME/signal/SESSION --ca LABCA.pem\n' +
    '         [--stun stun:HOST:3478] [--turn URL ...] [--turn-user U --turn-pass P]\n' +
    '         [--policy all|relay] [--seconds N] [--timeout S] --out RESULT.json\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { turn: [], policy: 'all', seconds: 3, timeout: 20 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--role': o.role = val(); break;
      case '--signal': o.signal = val(); break;
      case '--ca': o.ca = val(); break;
      case '--stun': o.stun = val(); break;
      case '--turn': o.turn.push(val()); break;
      case '--turn-user': o.turnUser = val(); break;
      case '--turn-pass': o.turnPass = val(); break;
      case '--policy': o.policy = val(); break;
      case '--seconds': o.seconds = Number(val()); break;
      case '--timeout': o.timeout = Number(val()); break;
      case '--out': o.out = val(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (o.role !== 'offer' && o.role !== 'answer') usage('--role must be offer or answer');
  if (!o.signal || !/^https:\/\//.test(o.signal)) usage('--signal https://NAME/signal/SESSION is required');
  if (!o.ca) usage('--ca is required');
  if (!o.out) usage('--out is required');
  if (o.policy !== 'all' && o.policy !== 'relay') usage('--policy must be all or relay');
  if (!(o.seconds >= 0 && o.seconds <= 600)) usage('--seconds must be 0..600');
  if (!(o.timeout > 0 && o.timeout <= 600)) usage('--timeout must be 1..600');
  if (o.turn.length && (!o.turnUser || !o.turnPass)) usage('--turn needs --turn-user and --turn-pass');
  if (o.policy === 'relay' && o.turn.length === 0) usage('--policy relay needs --turn');
  return o;
}

const opt = parseArgs(process.argv.slice(2));
const caPem = fs.readFileSync(opt.ca);
const t0 = Date.now();
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(2);
const info = (m) => process.stderr.write(`[${opt.role} +${elapsed()}s] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Hard stop: whatever happens, this process ends within a bounded time.
const HARD_LIMIT_MS = (opt.timeout + opt.seconds + 15) * 1000;
setTimeout(() => {
  process.stderr.write(`peer.mjs (${opt.role}): hard time limit ${HARD_LIMIT_MS} ms reached\n`);
  process.exit(1);
}, HARD_LIMIT_MS).unref();

function fail(msg) {
  process.stderr.write(`peer.mjs (${opt.role}): ERROR: ${msg}\n`);
  process.exit(1);
}

// --timeout covers everything up to "connected" (gathering, signalling,
// ICE, DTLS, SCTP); cleared once the data channel is open.
let pcRef = null;
let stage = 'starting';
const connectTimer = setTimeout(() => {
  const st = pcRef ? `, ice=${pcRef.iceConnectionState}, connection=${pcRef.connectionState}` : '';
  fail(`not connected within --timeout ${opt.timeout}s (stage: ${stage}${st})`);
}, opt.timeout * 1000);

// ---- ICE server URLs -------------------------------------------------------
// Parse stun:/turn:/turns: URL into { scheme, host, port, query }.
function parseIceUrl(u) {
  const m = /^(stuns?|turns?):(\[[^\]]+\]|[^:?]+)(?::(\d+))?(\?.*)?$/i.exec(u);
  if (!m) usage(`bad ICE server URL ${u}`);
  const scheme = m[1].toLowerCase();
  const host = m[2].replace(/^\[|\]$/g, '');
  const port = m[3] ? Number(m[3]) : (scheme.endsWith('s') ? 5349 : 3478);
  return { scheme, host, port, query: m[4] || '' };
}

async function resolveHost(host) {
  if (net.isIP(host)) return host;
  const { address } = await dns.promises.lookup(host); // getaddrinfo
  return address;
}

const fmtAddr = (ip, port) => (net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`);

async function buildIceConfig() {
  const iceServers = [];
  let turnTlsOptions;
  if (opt.stun) {
    const s = parseIceUrl(opt.stun);
    const ip = await resolveHost(s.host);
    iceServers.push({ urls: `${s.scheme}:${fmtAddr(ip, s.port)}${s.query}` });
  }
  if (opt.turn.length > 1) info(`note: werift uses only the first TURN URL (${opt.turn[0]})`);
  for (const t of opt.turn) {
    const s = parseIceUrl(t);
    const ip = await resolveHost(s.host);
    iceServers.push({
      urls: `${s.scheme}:${fmtAddr(ip, s.port)}${s.query}`,
      username: opt.turnUser,
      credential: opt.turnPass,
    });
    // TLS to the TURN server: verify against the lab CA, SNI/name check
    // against the original name (we connect to the resolved IP).
    if (s.scheme === 'turns' && !turnTlsOptions) {
      turnTlsOptions = { ca: caPem, servername: net.isIP(s.host) ? undefined : s.host };
    }
  }
  return { iceServers, turnTlsOptions };
}

// ---- signalling (cloud.mjs mailbox) ---------------------------------------
const signalBase = new URL(opt.signal.replace(/\/+$/, ''));

function httpsReq(method, slot, { body, wait } = {}) {
  const url = new URL(`${signalBase.href}/${slot}`);
  if (wait) url.searchParams.set('wait', String(wait));
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method,
      ca: caPem,
      servername: net.isIP(url.hostname) ? undefined : url.hostname,
      agent: false,                          // no pooled keep-alive sockets
      headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
      timeout: (wait || 0) + 10_000,
    }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        size += c.length;
        if (size > 2 * MAX_SDP) { req.destroy(new Error('signalling response too large')); return; }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`signalling ${method} ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function post(slot, obj) {
  const body = JSON.stringify(obj);
  if (body.length > MAX_SDP) throw new Error('SDP too large for the mailbox');
  const r = await httpsReq('POST', slot, { body });
  if (r.status < 200 || r.status >= 300) throw new Error(`POST ${slot}: HTTP ${r.status}`);
}

// Long-poll `slot` until present or the deadline passes.
async function poll(slot, deadline) {
  while (Date.now() < deadline) {
    const wait = Math.max(100, Math.min(POLL_WAIT_MS, deadline - Date.now()));
    let r;
    try {
      r = await httpsReq('GET', slot, { wait });
    } catch (e) {
      info(`poll ${slot}: ${e.message}; retrying`);
      await sleep(500);
      continue;
    }
    if (r.status === 200) return JSON.parse(r.body);
    if (r.status !== 404) { info(`poll ${slot}: HTTP ${r.status}`); await sleep(500); }
  }
  throw new Error(`no "${slot}" from the peer within --timeout`);
}

// ---- SDP helpers ------------------------------------------------------------
// a=candidate:<foundation> <component> <proto> <prio> <addr> <port> typ <type> [raddr A rport P] ...
function sdpCandidates(sdp) {
  const out = [];
  for (const line of (sdp || '').split(/\r?\n/)) {
    const m = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)(.*)$/.exec(line);
    if (!m) continue;
    const rest = m[8];
    const raddr = /\braddr (\S+)/.exec(rest);
    const rport = /\brport (\d+)/.exec(rest);
    out.push({
      type: m[7],
      protocol: m[3].toLowerCase(),
      address: m[5],
      port: Number(m[6]),
      relatedAddress: raddr ? raddr[1] : null,
      relatedPort: rport ? Number(rport[1]) : null,
    });
  }
  return out;
}

const sdpUfrag = (sdp) => (/^a=ice-ufrag:(\S+)/m.exec(sdp || '') || [])[1] || null;

function waitGathering(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { clearInterval(iv); resolve(false); }, GATHER_MAX_MS);
    const iv = setInterval(() => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(timer); clearInterval(iv); resolve(true); }
    }, 20);
  });
}

// ---- ICE internals (werift 0.24.4) ----------------------------------------
// RTCPeerConnection.iceTransports[0].connection is the werift-ice Connection.
// Connection.nominated is the selected CandidatePair (localCandidate /
// remoteCandidate are werift-ice Candidates: host, port, type, transport).
// Connection.protocols holds the sockets; a TURN one has .turn (TurnProtocol)
// with relayedAddress, mappedAddress, server and transport.type.
function iceConnection(pc) {
  const t = pc.iceTransports && pc.iceTransports[0];
  return t ? t.connection : undefined;
}

function candInfo(c) {
  return c ? { type: c.type, address: c.host, port: c.port, protocol: (c.transport || '').toLowerCase() } : null;
}

function selectedPair(pc) {
  const conn = iceConnection(pc);
  if (!conn) return null;
  const pair = conn.nominated ||
    (conn.candidatePairs || []).find((p) => p.nominated) ||
    (conn.candidatePairs || []).find((p) => p.state === 3 /* SUCCEEDED */);
  if (!pair) return null;
  return { local: candInfo(pair.localCandidate), remote: candInfo(pair.remoteCandidate) };
}

function turnInfo(pc) {
  const conn = iceConnection(pc);
  if (!conn) return null;
  const p = (conn.protocols || []).find((x) => x && x.turn && x.turn.relayedAddress);
  if (!p) return null;
  const t = p.turn;
  const a = (x) => (Array.isArray(x) ? fmtAddr(x[0], x[1]) : null);
  return {
    relayed: a(t.relayedAddress),
    mapped: a(t.mappedAddress),
    server: a(t.server),
    transport: (t.transport && t.transport.type) || null,
  };
}

// Fail early and clearly when gathering produced nothing usable.
function checkGathered(sdp) {
  const c = sdpCandidates(sdp);
  if (opt.policy === 'relay' && !c.some((x) => x.type === 'relay')) {
    fail(`no relay candidate gathered (TURN allocation via ${opt.turn[0]} failed: ` +
         'credentials, reachability or TLS trust?)');
  }
  if (c.length === 0) fail('no ICE candidates gathered');
  if (opt.turn.length && !c.some((x) => x.type === 'relay')) {
    info(`warning: no relay candidate from ${opt.turn[0]}`);
  }
}

// ---- main ---------------------------------------------------------------------
async function main() {
  const deadline = t0 + opt.timeout * 1000;
  const { iceServers, turnTlsOptions } = await buildIceConfig();
  info(`ice servers ${JSON.stringify(iceServers.map((s) => s.urls))} policy=${opt.policy}`);

  const pc = new RTCPeerConnection({
    iceServers,
    iceTransportPolicy: opt.policy,
    ...(turnTlsOptions ? { turnTlsOptions } : {}),
  });
  pcRef = pc;

  const stats = { sent: 0, received: 0, peerBye: false };
  let connectedAt = null;
  let onPeerBye = null;

  pc.connectionStateChange.subscribe((s) => info(`connectionState ${s}`));
  pc.iceConnectionStateChange.subscribe((s) => info(`iceConnectionState ${s}`));

  // data channel: created by the offerer, received by the answerer
  let dc;
  const dcOpen = new Promise((resolve) => {
    const hook = (ch) => {
      dc = ch;
      ch.onMessage.subscribe((data) => {
        if (typeof data === 'string' && data === 'bye') {
          stats.peerBye = true;
          if (onPeerBye) onPeerBye();
          return;
        }
        stats.received += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      });
      if (ch.readyState === 'open') resolve(ch);
      else ch.stateChanged.subscribe((s) => { if (s === 'open') resolve(ch); });
    };
    if (opt.role === 'offer') hook(pc.createDataChannel('sensoscope-lab'));
    else pc.onDataChannel.subscribe(hook);
  });

  let remoteSdp;
  if (opt.role === 'offer') {
    stage = 'gathering candidates';
    await pc.setLocalDescription(await pc.createOffer());
    if (!(await waitGathering(pc))) info('gathering not complete within bound; sending what we have');
    checkGathered(pc.localDescription.sdp);
    await post('offer', { type: 'offer', sdp: pc.localDescription.sdp });
    info(`offer posted (${sdpCandidates(pc.localDescription.sdp).length} candidates)`);
    stage = 'waiting for the answer';
    const ans = await poll('answer', deadline);
    remoteSdp = ans.sdp;
    await pc.setRemoteDescription({ type: 'answer', sdp: ans.sdp });
    info('answer applied');
  } else {
    stage = 'waiting for the offer';
    const off = await poll('offer', deadline);
    remoteSdp = off.sdp;
    await pc.setRemoteDescription({ type: 'offer', sdp: off.sdp });
    stage = 'gathering candidates';
    await pc.setLocalDescription(await pc.createAnswer());
    if (!(await waitGathering(pc))) info('gathering not complete within bound; sending what we have');
    checkGathered(pc.localDescription.sdp);
    await post('answer', { type: 'answer', sdp: pc.localDescription.sdp });
    info(`answer posted (${sdpCandidates(pc.localDescription.sdp).length} candidates)`);
  }

  stage = 'ICE/DTLS/SCTP';
  // wait for the data channel to open (DTLS + SCTP up) within --timeout
  const left = deadline - Date.now();
  const ch = await Promise.race([dcOpen, sleep(Math.max(0, left)).then(() => null)]);
  if (!ch) {
    fail(`not connected within --timeout ${opt.timeout}s (ice=${pc.iceConnectionState}, ` +
         `connection=${pc.connectionState})`);
  }
  clearTimeout(connectTimer);
  connectedAt = new Date().toISOString();
  const selected = selectedPair(pc);
  info(`connected; selected ${JSON.stringify(selected)}`);

  // exchange traffic both ways for --seconds
  const payload = Buffer.alloc(MSG_SIZE, opt.role === 'offer' ? 0x4f : 0x41);
  const sendUntil = Date.now() + opt.seconds * 1000;
  // werift sends every packet on Connection.nominated (ice.js, sendData); with aggressive
  // nomination several pairs end up flagged nominated, so the pair that carried the data
  // is the one Connection.nominated pointed at while it was sent - sampled here.
  let dataPair = null;
  let dataPairChanges = 0;
  while (Date.now() < sendUntil) {
    if (ch.readyState !== 'open') break;
    const conn = iceConnection(pc);
    if (conn && conn.nominated) {
      const cur = { local: candInfo(conn.nominated.localCandidate), remote: candInfo(conn.nominated.remoteCandidate) };
      if (dataPair && JSON.stringify(cur) !== JSON.stringify(dataPair)) dataPairChanges++;
      dataPair = cur;
    }
    if (ch.bufferedAmount < 256 * 1024) { ch.send(payload); stats.sent += payload.length; }
    await sleep(MSG_INTERVAL_MS);
  }
  if (ch.readyState === 'open') ch.send('bye');
  if (!stats.peerBye) {
    await Promise.race([new Promise((r) => { onPeerBye = r; }), sleep(BYE_WAIT_MS)]);
  }
  // small grace so the last messages/acks are on the wire before close
  await sleep(200);

  const result = {
    role: opt.role,
    local_ufrag: sdpUfrag(pc.localDescription && pc.localDescription.sdp),
    remote_ufrag: sdpUfrag(remoteSdp),
    local_candidates: sdpCandidates(pc.localDescription && pc.localDescription.sdp),
    remote_candidates: sdpCandidates(remoteSdp),
    selected: dataPair || selectedPair(pc) || selected,
    selected_changes: dataPairChanges,
    ice_state: pc.iceConnectionState,
    connected_at: connectedAt,
    bytes_sent: stats.sent,
    bytes_received: stats.received,
    turn: turnInfo(pc),
  };
  fs.writeFileSync(opt.out, JSON.stringify(result, null, 2) + '\n');
  info(`sent ${stats.sent} B, received ${stats.received} B, peer bye=${stats.peerBye}; closing`);

  await Promise.race([pc.close(), sleep(3000)]);
  info('closed');
  process.exit(0);
}

main().catch((e) => fail(process.env.PEER_DEBUG && e && e.stack ? e.stack : (e && e.message) || String(e)));
