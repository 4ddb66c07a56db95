/**
 * The client side of the Centrifuge protocol v2 wire format, reduced to what the load tester
 * sends (connect, subscribe, publish, pong) and reads (command replies, publication and
 * disconnect pushes, pings), for JSON and protobuf. src/protocol encodes the other direction.
 */

import type { ProtocolType } from '../protocol/index.js';

/** What the load tester needs from one server message. */
export interface WireReply {
  /** Command id for replies; 0 for pushes and pings. */
  id: number;
  errorCode: number;
  errorMessage: string;
  /** Client id from a connect reply. */
  client: string;
  /** A publication push: its channel and data (parsed JSON). */
  pubChannel: string;
  pubData: unknown;
  disconnectCode: number;
  disconnectReason: string;
  /** An empty message: a server ping that wants a pong. */
  ping: boolean;
}

export interface LoadWire {
  readonly protocol: ProtocolType;
  /** JSON frames are text; protobuf frames binary. */
  readonly binary: boolean;
  connect(id: number, token: string | null, name: string): string | Buffer;
  subscribe(id: number, channel: string): string | Buffer;
  /** `data` is the publication's JSON text. */
  publish(id: number, channel: string, data: string): string | Buffer;
  pong(): string | Buffer;
  /** Calls `onReply` for each message of one inbound frame. */
  decode(frame: Buffer, onReply: (reply: WireReply) => void): void;
}

function emptyReply(): WireReply {
  return {
    id: 0,
    errorCode: 0,
    errorMessage: '',
    client: '',
    pubChannel: '',
    pubData: undefined,
    disconnectCode: 0,
    disconnectReason: '',
    ping: false,
  };
}

interface JsonReply {
  id?: number;
  error?: { code?: number; message?: string };
  connect?: { client?: string };
  push?: { channel?: string; pub?: { data?: unknown }; disconnect?: { code?: number; reason?: string } };
}

export const jsonLoadWire: LoadWire = {
  protocol: 'json',
  binary: false,
  connect(id, token, name) {
    return JSON.stringify({ id, connect: token === null ? { name } : { token, name } });
  },
  subscribe(id, channel) {
    return JSON.stringify({ id, subscribe: { channel } });
  },
  publish(id, channel, data) {
    return `{"id":${id},"publish":{"channel":${JSON.stringify(channel)},"data":${data}}}`;
  },
  pong() {
    return '{}';
  },
  decode(frame, onReply) {
    for (const line of frame.toString('utf8').split('\n')) {
      if (line.length === 0) continue;
      const msg = JSON.parse(line) as JsonReply;
      const reply = emptyReply();
      reply.id = msg.id ?? 0;
      if (msg.error !== undefined) {
        reply.errorCode = msg.error.code ?? 0;
        reply.errorMessage = msg.error.message ?? '';
      }
      if (msg.connect !== undefined) reply.client = msg.connect.client ?? '';
      if (msg.push !== undefined) {
        if (msg.push.pub !== undefined) {
          reply.pubChannel = msg.push.channel ?? '';
          reply.pubData = msg.push.pub.data;
        }
        if (msg.push.disconnect !== undefined) {
          reply.disconnectCode = msg.push.disconnect.code ?? 0;
          reply.disconnectReason = msg.push.disconnect.reason ?? '';
        }
      } else if (reply.id === 0) {
        reply.ping = true;
      }
      onReply(reply);
    }
  },
};

// ---- protobuf ----

/** Appends protobuf fields to a growing byte array (cold paths: connect, subscribe). */
class FieldWriter {
  readonly bytes: number[] = [];

  varint(n: number): this {
    while (n > 0x7f) {
      this.bytes.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    this.bytes.push(n);
    return this;
  }

  uint(field: number, n: number): this {
    return n === 0 ? this : this.varint(field << 3).varint(n);
  }

  len(field: number, data: Uint8Array | number[]): this {
    this.varint((field << 3) | 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return s === '' ? this : this.len(field, Buffer.from(s, 'utf8'));
  }

  delimited(): Buffer {
    return Buffer.from(new FieldWriter().varint(this.bytes.length).bytes.concat(this.bytes));
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function putVarint(buf: Buffer, pos: number, n: number): number {
  while (n > 0x7f) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Reads protobuf fields of one message; unknown fields are skipped. */
class FieldReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
  }

  /** Reads a length prefix and returns [start, end] of the bytes, moving past them. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw new Error('truncated field');
    return [start, this.pos];
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.span();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function readProtoError(buf: Buffer, start: number, end: number, reply: WireReply): void {
  const r = new FieldReader(buf, start, end);
  while (r.pos < end) {
    const key = r.varint();
    if (key === 1 << 3) reply.errorCode = r.varint();
    else if (key === ((2 << 3) | 2)) {
      const [s, e] = r.span();
      reply.errorMessage = buf.toString('utf8', s, e);
    } else r.skip(key & 7);
  }
}

function readProtoPush(buf: Buffer, start: number, end: number, reply: WireReply): void {
  const r = new FieldReader(buf, start, end);
  while (r.pos < end) {
    const key = r.varint();
    const field = key >>> 3;
    if (field === 2 && (key & 7) === 2) {
      const [s, e] = r.span();
      reply.pubChannel = buf.toString('utf8', s, e);
    } else if (field === 4 && (key & 7) === 2) {
      const [ps, pe] = r.span();
      const pr = new FieldReader(buf, ps, pe);
      while (pr.pos < pe) {
        const pk = pr.varint();
        if (pk === ((4 << 3) | 2)) {
          const [ds, de] = pr.span();
          reply.pubData = JSON.parse(buf.toString('utf8', ds, de)) as unknown;
        } else pr.skip(pk & 7);
      }
    } else if (field === 11 && (key & 7) === 2) {
      const [ds, de] = r.span();
      const dr = new FieldReader(buf, ds, de);
      while (dr.pos < de) {
        const dk = dr.varint();
        if (dk === 1 << 3) reply.disconnectCode = dr.varint();
        else if (dk === ((2 << 3) | 2)) {
          const [s, e] = dr.span();
          reply.disconnectReason = buf.toString('utf8', s, e);
        } else dr.skip(dk & 7);
      }
    } else r.skip(key & 7);
  }
}

function readProtoConnect(buf: Buffer, start: number, end: number, reply: WireReply): void {
  const r = new FieldReader(buf, start, end);
  while (r.pos < end) {
    const key = r.varint();
    if (key === ((1 << 3) | 2)) {
      const [s, e] = r.span();
      reply.client = buf.toString('utf8', s, e);
    } else r.skip(key & 7);
  }
}

export const protobufLoadWire: LoadWire = {
  protocol: 'protobuf',
  binary: true,
  connect(id, token, name) {
    const req = new FieldWriter();
    if (token !== null) req.string(1, token);
    req.string(4, name);
    return new FieldWriter().uint(1, id).len(4, req.bytes).delimited();
  },
  subscribe(id, channel) {
    return new FieldWriter().uint(1, id).len(5, new FieldWriter().string(1, channel).bytes).delimited();
  },
  publish(id, channel, data) {
    // Hot path: sizes first, then one allocation.
    const channelLen = Buffer.byteLength(channel);
    const dataLen = Buffer.byteLength(data);
    const reqLen = 1 + varintSize(channelLen) + channelLen + 1 + varintSize(dataLen) + dataLen;
    const cmdLen = 1 + varintSize(id) + 1 + varintSize(reqLen) + reqLen;
    const buf = Buffer.allocUnsafe(varintSize(cmdLen) + cmdLen);
    let pos = putVarint(buf, 0, cmdLen);
    buf[pos++] = 1 << 3;
    pos = putVarint(buf, pos, id);
    buf[pos++] = (7 << 3) | 2;
    pos = putVarint(buf, pos, reqLen);
    buf[pos++] = (1 << 3) | 2;
    pos = putVarint(buf, pos, channelLen);
    pos += buf.write(channel, pos, 'utf8');
    buf[pos++] = (2 << 3) | 2;
    pos = putVarint(buf, pos, dataLen);
    buf.write(data, pos, 'utf8');
    return buf;
  },
  pong() {
    return Buffer.from([0]);
  },
  decode(frame, onReply) {
    const outer = new FieldReader(frame, 0, frame.length);
    while (outer.pos < frame.length) {
      const [start, end] = outer.span();
      const reply = emptyReply();
      const r = new FieldReader(frame, start, end);
      let hasPush = false;
      while (r.pos < end) {
        const key = r.varint();
        const field = key >>> 3;
        if (field === 1 && (key & 7) === 0) reply.id = r.varint();
        else if ((key & 7) !== 2) r.skip(key & 7);
        else {
          const [s, e] = r.span();
          if (field === 2) readProtoError(frame, s, e, reply);
          else if (field === 4) {
            hasPush = true;
            readProtoPush(frame, s, e, reply);
          } else if (field === 5) readProtoConnect(frame, s, e, reply);
        }
      }
      reply.ping = reply.id === 0 && !hasPush;
      onReply(reply);
    }
  },
};

export function loadWireFor(protocol: ProtocolType): LoadWire {
  return protocol === 'protobuf' ? protobufLoadWire : jsonLoadWire;
}
