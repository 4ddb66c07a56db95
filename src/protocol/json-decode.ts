/** JSON decoding of client commands: one JSON object a line, lines separated by `\n`, fields type-checked. */

import { ProtocolDecodeError } from './codec-errors.js';
import { rawValueAt } from './json-raw.js';
import type {
  Command,
  ConnectRequest,
  HistoryRequest,
  RPCRequest,
  StreamPosition,
  SubscribeRequest,
} from './types.js';

type JsonObject = Record<string, unknown>;

/** Decodes every line of the frame; blank lines (and a trailing newline) are skipped, but at least one command must remain. */
export function decodeJsonCommands(frame: Buffer): Command[] {
  const commands: Command[] = [];
  const n = frame.length;
  let start = 0;
  while (start < n) {
    let end = frame.indexOf(0x0a, start);
    if (end === -1) end = n;
    if (!isBlank(frame, start, end)) {
      const line = start === 0 && end === n ? frame : frame.subarray(start, end);
      commands.push(decodeLine(line, commands.length));
    }
    start = end + 1;
  }
  if (commands.length === 0) throw new ProtocolDecodeError('frame holds no command');
  return commands;
}

function isBlank(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function decodeLine(line: Buffer, index: number): Command {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    // V8's message quotes the input, which may hold a token: keep it out of errors that get logged.
    throw new ProtocolDecodeError(`command ${index}: invalid JSON`);
  }
  if (!isObject(value)) throw new ProtocolDecodeError(`command ${index}: not a JSON object`);
  try {
    return decodeCommand(new Fields(value, [], line));
  } catch (err) {
    if (err instanceof ProtocolDecodeError) throw new ProtocolDecodeError(`command ${index}: ${err.message}`);
    throw err;
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Typed access to the members of one parsed JSON object; `null` counts as absent, as in the Go decoder. */
class Fields {
  constructor(
    readonly o: JsonObject,
    readonly path: readonly string[],
    readonly line: Buffer,
  ) {}

  private fail(key: string, expected: string): never {
    throw new ProtocolDecodeError(`${[...this.path, key].join('.')}: expected ${expected}`);
  }

  str(key: string): string | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(key, 'a boolean');
    return v;
  }

  private int(key: string, min: number, max: number, expected: string): number | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(key, expected);
    return v;
  }

  uint32(key: string): number | undefined {
    return this.int(key, 0, 0xffffffff, 'an integer in [0, 2^32-1]');
  }

  int32(key: string): number | undefined {
    return this.int(key, -0x80000000, 0x7fffffff, 'a 32-bit integer');
  }

  uint64(key: string): number | undefined {
    return this.int(key, 0, Number.MAX_SAFE_INTEGER, 'a non-negative safe integer');
  }

  int64(key: string): number | undefined {
    return this.int(key, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'a safe integer');
  }

  /** A `bytes` field: any JSON value, returned as the exact bytes the client sent. */
  raw(key: string): Buffer | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    return rawValueAt(this.line, [...this.path, key]);
  }

  obj(key: string): Fields | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) this.fail(key, 'an object');
    return new Fields(v, [...this.path, key], this.line);
  }
}

/** Sets an optional property only when a value is present (exactOptionalPropertyTypes). */
function put<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function decodeCommand(f: Fields): Command {
  const cmd: Command = {};
  put(cmd, 'id', f.uint32('id'));
  put(cmd, 'connect', mapObj(f.obj('connect'), decodeConnect));
  put(cmd, 'subscribe', mapObj(f.obj('subscribe'), decodeSubscribe));
  put(cmd, 'unsubscribe', mapObj(f.obj('unsubscribe'), channelOnly));
  put(cmd, 'publish', mapObj(f.obj('publish'), (p) => {
    const req: { channel?: string; data?: Buffer } = {};
    put(req, 'channel', p.str('channel'));
    put(req, 'data', p.raw('data'));
    return req;
  }));
  put(cmd, 'presence', mapObj(f.obj('presence'), channelOnly));
  put(cmd, 'presence_stats', mapObj(f.obj('presence_stats'), channelOnly));
  put(cmd, 'history', mapObj(f.obj('history'), decodeHistory));
  put(cmd, 'ping', mapObj(f.obj('ping'), () => ({})));
  put(cmd, 'send', mapObj(f.obj('send'), (s) => {
    const req: { data?: Buffer } = {};
    put(req, 'data', s.raw('data'));
    return req;
  }));
  put(cmd, 'rpc', mapObj(f.obj('rpc'), (r) => {
    const req: RPCRequest = {};
    put(req, 'data', r.raw('data'));
    put(req, 'method', r.str('method'));
    return req;
  }));
  put(cmd, 'refresh', mapObj(f.obj('refresh'), (r) => {
    const req: { token?: string } = {};
    put(req, 'token', r.str('token'));
    return req;
  }));
  put(cmd, 'sub_refresh', mapObj(f.obj('sub_refresh'), (r) => {
    const req: { channel?: string; token?: string } = {};
    put(req, 'channel', r.str('channel'));
    put(req, 'token', r.str('token'));
    return req;
  }));
  return cmd;
}

function mapObj<T>(f: Fields | undefined, decode: (f: Fields) => T): T | undefined {
  return f === undefined ? undefined : decode(f);
}

function channelOnly(f: Fields): { channel?: string } {
  const req: { channel?: string } = {};
  put(req, 'channel', f.str('channel'));
  return req;
}

function decodeConnect(f: Fields): ConnectRequest {
  const req: ConnectRequest = {};
  put(req, 'token', f.str('token'));
  put(req, 'data', f.raw('data'));
  const subs = f.obj('subs');
  if (subs !== undefined) {
    // The parsed object is fresh and only ours: replace its values in place (safe even for a "__proto__" key).
    const out = subs.o as Record<string, SubscribeRequest>;
    for (const channel of Object.keys(subs.o)) {
      const sub = subs.obj(channel);
      if (sub === undefined) delete out[channel];
      else out[channel] = decodeSubscribe(sub);
    }
    req.subs = out;
  }
  put(req, 'name', f.str('name'));
  put(req, 'version', f.str('version'));
  const headers = f.obj('headers');
  if (headers !== undefined) {
    for (const name of Object.keys(headers.o)) {
      if (headers.str(name) === undefined) delete headers.o[name];
    }
    req.headers = headers.o as Record<string, string>;
  }
  return req;
}

function decodeSubscribe(f: Fields): SubscribeRequest {
  const req: SubscribeRequest = {};
  put(req, 'channel', f.str('channel'));
  put(req, 'token', f.str('token'));
  put(req, 'recover', f.bool('recover'));
  put(req, 'epoch', f.str('epoch'));
  put(req, 'offset', f.uint64('offset'));
  put(req, 'data', f.raw('data'));
  put(req, 'positioned', f.bool('positioned'));
  put(req, 'recoverable', f.bool('recoverable'));
  put(req, 'join_leave', f.bool('join_leave'));
  put(req, 'delta', f.str('delta'));
  put(req, 'flag', f.int64('flag'));
  return req;
}

function decodeHistory(f: Fields): HistoryRequest {
  const req: HistoryRequest = {};
  put(req, 'channel', f.str('channel'));
  put(req, 'limit', f.int32('limit'));
  const since = f.obj('since');
  if (since !== undefined) {
    const pos: StreamPosition = { offset: since.uint64('offset') ?? 0, epoch: since.str('epoch') ?? '' };
    req.since = pos;
  }
  put(req, 'reverse', f.bool('reverse'));
  return req;
}
