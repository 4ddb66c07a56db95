/**
 * JSON encoding of server replies, hand-written for the publication hot path. Follows the Go encoder (§2.6):
 * zero values omitted except the always-emitted fields, `bytes` embedded as raw JSON without raw newlines.
 */

import { ByteWriter } from './byte-writer.js';
import { clampUint32 } from './proto-wire.js';
import { InappropriateProtocolError } from './codec-errors.js';
import type { ClientInfo, ConnectResult, HistoryResult, Publication, Push, Reply, SubscribeResult } from './types.js';

const w = new ByteWriter();
const LF = 0x0a;
const CR = 0x0d;

/** Encodes one Reply as one line of JSON (no trailing newline). */
export function encodeJsonReply(reply: Reply): Buffer {
  w.reset();
  try {
    writeReply(reply);
    return w.finish();
  } finally {
    w.reset();
  }
}

// Every member is written with a leading comma; the first comma of an object is then turned into its `{`.
function open(): number {
  return w.pos;
}

function close(start: number): void {
  if (w.pos === start) {
    w.ascii('{}');
  } else {
    w.buf[start] = 0x7b;
    w.byte(0x7d);
  }
}

function str(key: string, v: string | undefined): void {
  if (v) {
    w.ascii(key);
    w.utf8(JSON.stringify(v));
  }
}

function strAlways(key: string, v: string): void {
  w.ascii(key);
  w.utf8(JSON.stringify(v));
}

function num(key: string, v: number | undefined): void {
  if (v) {
    w.ascii(key);
    w.ascii(String(v));
  }
}

/** A uint32 field, clamped to [0, 2^32 - 1] as the protobuf encoder does. */
function u32(key: string, v: number | undefined): void {
  if (v) num(key, clampUint32(v));
}

function bool(key: string, v: boolean | undefined): void {
  if (v) {
    w.ascii(key);
    w.ascii('true');
  }
}

function raw(key: string, v: Uint8Array | undefined): void {
  if (v && v.length > 0) {
    w.ascii(key);
    embedRaw(v);
  }
}

/** Embeds a payload verbatim, minus raw CR/LF bytes (only insignificant whitespace in valid JSON). */
function embedRaw(v: Uint8Array): void {
  let i = 0;
  let c = v[0];
  while (c === 0x20 || c === 0x09 || c === LF || c === CR) c = v[++i];
  if (c === undefined) throw new InappropriateProtocolError('payload is empty or only whitespace');
  // First byte of a JSON value: { [ " - 0-9 t f n
  if (!(c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e)) {
    throw new InappropriateProtocolError('payload is not JSON');
  }
  if (v.indexOf(LF) === -1 && v.indexOf(CR) === -1) {
    w.bytes(v);
    return;
  }
  w.ensure(v.length);
  const buf = w.buf;
  let pos = w.pos;
  for (let j = 0; j < v.length; j++) {
    const b = v[j] as number;
    if (b !== LF && b !== CR) buf[pos++] = b;
  }
  w.pos = pos;
}

/** One branch per Reply field in protocol order (a flat table; longer than ~60 lines on purpose). */
function writeReply(r: Reply): void {
  const s = open();
  u32(',"id":', r.id);
  if (r.error) {
    w.ascii(',"error":');
    const e = open();
    u32(',"code":', r.error.code);
    str(',"message":', r.error.message);
    bool(',"temporary":', r.error.temporary);
    close(e);
  }
  if (r.push) {
    w.ascii(',"push":');
    writePush(r.push);
  }
  if (r.connect) {
    w.ascii(',"connect":');
    writeConnectResult(r.connect);
  }
  if (r.subscribe) {
    w.ascii(',"subscribe":');
    writeSubscribeResult(r.subscribe);
  }
  if (r.unsubscribe) w.ascii(',"unsubscribe":{}');
  if (r.publish) w.ascii(',"publish":{}');
  if (r.presence) {
    w.ascii(',"presence":{"presence":');
    const m = open();
    const presence = r.presence.presence;
    for (const client in presence) {
      const info = presence[client];
      if (info === undefined) continue;
      w.byte(0x2c);
      w.utf8(JSON.stringify(client));
      w.byte(0x3a);
      writeClientInfo(info);
    }
    close(m);
    w.byte(0x7d);
  }
  if (r.presence_stats) {
    w.ascii(`,"presence_stats":{"num_clients":${r.presence_stats.num_clients},"num_users":${r.presence_stats.num_users}}`);
  }
  if (r.history) {
    w.ascii(',"history":');
    writeHistoryResult(r.history);
  }
  if (r.ping) w.ascii(',"ping":{}');
  if (r.rpc) {
    w.ascii(',"rpc":');
    const o = open();
    raw(',"data":', r.rpc.data);
    close(o);
  }
  if (r.refresh) {
    w.ascii(',"refresh":');
    const o = open();
    str(',"client":', r.refresh.client);
    str(',"version":', r.refresh.version);
    bool(',"expires":', r.refresh.expires);
    u32(',"ttl":', r.refresh.ttl);
    close(o);
  }
  if (r.sub_refresh) {
    w.ascii(',"sub_refresh":');
    const o = open();
    bool(',"expires":', r.sub_refresh.expires);
    u32(',"ttl":', r.sub_refresh.ttl);
    close(o);
  }
  close(s);
}

function writePush(p: Push): void {
  const s = open();
  num(',"id":', p.id);
  str(',"channel":', p.channel);
  if (p.pub) {
    w.ascii(',"pub":');
    writePublication(p.pub);
  }
  if (p.join) {
    w.ascii(',"join":{"info":');
    writeClientInfo(p.join.info);
    w.byte(0x7d);
  }
  if (p.leave) {
    w.ascii(',"leave":{"info":');
    writeClientInfo(p.leave.info);
    w.byte(0x7d);
  }
  if (p.unsubscribe) {
    w.ascii(',"unsubscribe":');
    const o = open();
    u32(',"code":', p.unsubscribe.code);
    str(',"reason":', p.unsubscribe.reason);
    close(o);
  }
  if (p.message) {
    w.ascii(',"message":');
    const o = open();
    raw(',"data":', p.message.data);
    close(o);
  }
  if (p.subscribe) {
    w.ascii(',"subscribe":');
    const o = open();
    bool(',"recoverable":', p.subscribe.recoverable);
    str(',"epoch":', p.subscribe.epoch);
    num(',"offset":', p.subscribe.offset);
    bool(',"positioned":', p.subscribe.positioned);
    raw(',"data":', p.subscribe.data);
    close(o);
  }
  if (p.connect) {
    w.ascii(',"connect":');
    writeConnectResult(p.connect);
  }
  if (p.disconnect) {
    w.ascii(',"disconnect":');
    const o = open();
    u32(',"code":', p.disconnect.code);
    str(',"reason":', p.disconnect.reason);
    bool(',"reconnect":', p.disconnect.reconnect);
    close(o);
  }
  close(s);
}

function writeConnectResult(c: ConnectResult): void {
  const s = open();
  str(',"client":', c.client);
  str(',"version":', c.version);
  bool(',"expires":', c.expires);
  u32(',"ttl":', c.ttl);
  raw(',"data":', c.data);
  if (c.subs) {
    const subs = c.subs;
    let first = true;
    for (const channel in subs) {
      const sub = subs[channel];
      if (sub === undefined) continue;
      w.ascii(first ? ',"subs":{' : ',');
      first = false;
      w.utf8(JSON.stringify(channel));
      w.byte(0x3a);
      writeSubscribeResult(sub);
    }
    if (!first) w.byte(0x7d);
  }
  u32(',"ping":', c.ping);
  bool(',"pong":', c.pong);
  str(',"session":', c.session);
  str(',"node":', c.node);
  num(',"time":', c.time);
  close(s);
}

function writeSubscribeResult(r: SubscribeResult): void {
  const s = open();
  bool(',"expires":', r.expires);
  u32(',"ttl":', r.ttl);
  bool(',"recoverable":', r.recoverable);
  str(',"epoch":', r.epoch);
  if (r.publications && r.publications.length > 0) {
    w.ascii(',"publications":');
    writePublications(r.publications);
  }
  bool(',"recovered":', r.recovered);
  num(',"offset":', r.offset);
  bool(',"positioned":', r.positioned);
  raw(',"data":', r.data);
  bool(',"was_recovering":', r.was_recovering);
  bool(',"delta":', r.delta);
  num(',"id":', r.id);
  close(s);
}

function writeHistoryResult(h: HistoryResult): void {
  w.ascii('{"publications":');
  writePublications(h.publications);
  strAlways(',"epoch":', h.epoch);
  w.ascii(`,"offset":${h.offset}}`);
}

function writePublications(pubs: readonly Publication[]): void {
  w.byte(0x5b);
  for (let i = 0; i < pubs.length; i++) {
    if (i > 0) w.byte(0x2c);
    writePublication(pubs[i] as Publication);
  }
  w.byte(0x5d);
}

function writePublication(p: Publication): void {
  const s = open();
  raw(',"data":', p.data);
  if (p.info) {
    w.ascii(',"info":');
    writeClientInfo(p.info);
  }
  num(',"offset":', p.offset);
  if (p.tags) {
    const tags = p.tags;
    let first = true;
    for (const k in tags) {
      const v = tags[k];
      if (v === undefined) continue;
      w.ascii(first ? ',"tags":{' : ',');
      first = false;
      w.utf8(JSON.stringify(k));
      w.byte(0x3a);
      w.utf8(JSON.stringify(v));
    }
    if (!first) w.byte(0x7d);
  }
  bool(',"delta":', p.delta);
  num(',"time":', p.time);
  str(',"channel":', p.channel);
  close(s);
}

function writeClientInfo(info: ClientInfo): void {
  strAlways('{"user":', info.user);
  strAlways(',"client":', info.client);
  raw(',"conn_info":', info.conn_info);
  raw(',"chan_info":', info.chan_info);
  w.byte(0x7d);
}
