/**
 * Compact binary encoding of what travels through Redis: publication bodies (stored in history
 * streams and sent on pub/sub), ClientInfo (joins, leaves, presence) and the pub/sub envelope.
 *
 * Body: u8 flags (1 info, 2 tags) | [info] | [u16 count, (str key, str value)*] | data (the rest, raw).
 * Info: u8 flags (1 conn_info, 2 chan_info) | str user | str client | [bytes conn_info] | [bytes chan_info].
 * str/bytes: u32 BE length + bytes. Pub/sub message: `p<offset>,<epoch>\n<body>` (offset 0 and empty
 * epoch without history; the publish script writes the prefix), `j\n<info>`, `l\n<info>`.
 * Decoded `data` is a view into the received buffer, never a copy.
 */

import type { Bytes, ClientInfo, Publication } from '../../protocol/index.js';
import { ErrorCodes, RealtimeError } from '../../errors/index.js';

const BODY_INFO = 1;
const BODY_TAGS = 2;
const INFO_CONN = 1;
const INFO_CHAN = 2;
const NEWLINE = 0x0a;
const COMMA = 0x2c;

export type PubSubMessage = { kind: 'publication'; pub: Publication; epoch: string } | { kind: 'join' | 'leave'; info: ClientInfo };

function infoSize(info: ClientInfo): number {
  let size = 1 + 4 + Buffer.byteLength(info.user) + 4 + Buffer.byteLength(info.client);
  if (info.conn_info !== undefined) size += 4 + info.conn_info.length;
  if (info.chan_info !== undefined) size += 4 + info.chan_info.length;
  return size;
}

function writeStr(buf: Buffer, pos: number, s: string): number {
  const len = buf.write(s, pos + 4);
  buf.writeUInt32BE(len, pos);
  return pos + 4 + len;
}

function writeBytes(buf: Buffer, pos: number, b: Bytes): number {
  buf.writeUInt32BE(b.length, pos);
  buf.set(b, pos + 4);
  return pos + 4 + b.length;
}

function writeInfo(buf: Buffer, pos: number, info: ClientInfo): number {
  buf[pos] = (info.conn_info !== undefined ? INFO_CONN : 0) | (info.chan_info !== undefined ? INFO_CHAN : 0);
  pos = writeStr(buf, pos + 1, info.user);
  pos = writeStr(buf, pos, info.client);
  if (info.conn_info !== undefined) pos = writeBytes(buf, pos, info.conn_info);
  if (info.chan_info !== undefined) pos = writeBytes(buf, pos, info.chan_info);
  return pos;
}

/** Encodes a publication body; `prefix` (ASCII) is written in front, e.g. a pub/sub envelope. */
export function encodeBody(data: Bytes, info: ClientInfo | undefined, tags: Record<string, string> | undefined, prefix = ''): Buffer {
  let size = prefix.length + 1 + data.length;
  if (info !== undefined) size += infoSize(info);
  const tagEntries = tags !== undefined ? Object.entries(tags) : undefined;
  if (tagEntries !== undefined) {
    if (tagEntries.length > 0xffff) throw new RangeError('too many tags');
    size += 2;
    for (const [k, v] of tagEntries) size += 8 + Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = buf.write(prefix, 0, 'latin1');
  buf[pos++] = (info !== undefined ? BODY_INFO : 0) | (tagEntries !== undefined ? BODY_TAGS : 0);
  if (info !== undefined) pos = writeInfo(buf, pos, info);
  if (tagEntries !== undefined) {
    buf.writeUInt16BE(tagEntries.length, pos);
    pos += 2;
    for (const [k, v] of tagEntries) pos = writeStr(buf, writeStr(buf, pos, k), v);
  }
  buf.set(data, pos);
  return buf;
}

/** Encodes a ClientInfo, with an optional ASCII prefix. */
export function encodeInfo(info: ClientInfo, prefix = ''): Buffer {
  const buf = Buffer.allocUnsafe(prefix.length + infoSize(info));
  writeInfo(buf, buf.write(prefix, 0, 'latin1'), info);
  return buf;
}

/** Sequential reader over one buffer; throws on truncated input. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos: number,
  ) {
    this.pos = pos;
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RealtimeError(ErrorCodes.ENGINE_MALFORMED_MESSAGE, 'truncated engine message');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  bytes(): Buffer {
    this.need(4);
    const len = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  str(): string {
    return this.bytes().toString('utf8');
  }

  info(): ClientInfo {
    const flags = this.u8();
    const info: ClientInfo = { user: this.str(), client: this.str() };
    if ((flags & INFO_CONN) !== 0) info.conn_info = this.bytes();
    if ((flags & INFO_CHAN) !== 0) info.chan_info = this.bytes();
    return info;
  }
}

/** Decodes a body starting at `start`; `offset` > 0 is set on the publication. */
export function decodeBody(buf: Buffer, start: number, offset: number): Publication {
  const r = new Reader(buf, start);
  const flags = r.u8();
  const pub: Publication = { data: buf };
  if ((flags & BODY_INFO) !== 0) pub.info = r.info();
  if ((flags & BODY_TAGS) !== 0) {
    const tags: Record<string, string> = {};
    for (let n = r.u16(); n > 0; n--) tags[r.str()] = r.str();
    pub.tags = tags;
  }
  pub.data = buf.subarray(r.pos);
  if (offset > 0) pub.offset = offset;
  return pub;
}

export function decodeInfo(buf: Buffer, start = 0): ClientInfo {
  return new Reader(buf, start).info();
}

/** Decodes one pub/sub message; throws on a malformed one. */
export function decodePubSubMessage(buf: Buffer): PubSubMessage {
  const kind = buf[0];
  if (kind === 0x70 /* p */) {
    let offset = 0;
    let i = 1;
    for (; i < buf.length && buf[i] !== COMMA; i++) offset = offset * 10 + (buf[i]! - 0x30);
    const nl = buf.indexOf(NEWLINE, i);
    if (i >= buf.length || nl < 0) throw new RealtimeError(ErrorCodes.ENGINE_MALFORMED_MESSAGE, 'malformed engine publication');
    const epoch = buf.toString('latin1', i + 1, nl);
    return { kind: 'publication', pub: decodeBody(buf, nl + 1, offset), epoch };
  }
  if ((kind === 0x6a /* j */ || kind === 0x6c) /* l */ && buf[1] === NEWLINE) {
    return { kind: kind === 0x6a ? 'join' : 'leave', info: decodeInfo(buf, 2) };
  }
  throw new RealtimeError(ErrorCodes.ENGINE_MALFORMED_MESSAGE, 'unknown engine message');
}
