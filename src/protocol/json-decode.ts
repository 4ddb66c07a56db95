/** JSON decoding of client commands: one JSON object a line, lines separated by `\n`, fields type-checked. */

import { ProtocolDecodeError } from './codec-errors.js';
import { rememberParsedData } from './json-parsed.js';
import { rawValueAt } from './json-raw.js';
import type { Command, ConnectRequest, FilterNode, HistoryRequest, StreamPosition, SubscribeRequest } from './types.js';

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
    return decodeCommand(value, line);
  } catch (err) {
    if (err instanceof ProtocolDecodeError) throw new ProtocolDecodeError(`command ${index}: ${err.message}`);
    throw err;
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(path: readonly string[], key: string, expected: string): never {
  throw new ProtocolDecodeError(`${[...path, key].join('.')}: expected ${expected}`);
}

function str(v: unknown, path: readonly string[], key: string): string {
  if (typeof v !== 'string') fail(path, key, 'a string');
  return v;
}

function bool(v: unknown, path: readonly string[], key: string): boolean {
  if (typeof v !== 'boolean') fail(path, key, 'a boolean');
  return v;
}

function int(v: unknown, min: number, max: number, path: readonly string[], key: string, expected: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, key, expected);
  return v;
}

const uint32 = (v: unknown, path: readonly string[], key: string): number => int(v, 0, 0xffffffff, path, key, 'an integer in [0, 2^32-1]');
const int32 = (v: unknown, path: readonly string[], key: string): number => int(v, -0x80000000, 0x7fffffff, path, key, 'a 32-bit integer');
const uint64 = (v: unknown, path: readonly string[], key: string): number =>
  int(v, 0, Number.MAX_SAFE_INTEGER, path, key, 'a non-negative safe integer');
const int64 = (v: unknown, path: readonly string[], key: string): number =>
  int(v, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, path, key, 'a safe integer');

function obj(v: unknown, path: readonly string[], key: string): JsonObject {
  if (!isObject(v)) fail(path, key, 'an object');
  return v;
}

/** Paths of the request objects from the command root, used for raw `data` lookups and error messages. */
const ROOT: readonly string[] = [];
const P = {
  connect: ['connect'],
  subscribe: ['subscribe'],
  unsubscribe: ['unsubscribe'],
  publish: ['publish'],
  presence: ['presence'],
  presence_stats: ['presence_stats'],
  history: ['history'],
  ping: ['ping'],
  send: ['send'],
  rpc: ['rpc'],
  refresh: ['refresh'],
  sub_refresh: ['sub_refresh'],
} as const satisfies Record<string, readonly string[]>;

// Members are visited in the parsed object's own order; `null` counts as absent, as in the Go decoder, and
// unknown members are ignored.
function decodeCommand(o: JsonObject, line: Buffer): Command {
  const cmd: Command = {};
  for (const key in o) {
    const v = o[key];
    if (v === null) continue;
    switch (key) {
      case 'id':
        cmd.id = uint32(v, ROOT, key);
        break;
      case 'connect':
        cmd.connect = decodeConnect(obj(v, ROOT, key), P.connect, line);
        break;
      case 'subscribe':
        cmd.subscribe = decodeSubscribe(obj(v, ROOT, key), P.subscribe, line);
        break;
      case 'unsubscribe':
        cmd.unsubscribe = decodeSimple(obj(v, ROOT, key), P.unsubscribe, line);
        break;
      case 'publish':
        cmd.publish = decodeSimple(obj(v, ROOT, key), P.publish, line);
        break;
      case 'presence':
        cmd.presence = decodeSimple(obj(v, ROOT, key), P.presence, line);
        break;
      case 'presence_stats':
        cmd.presence_stats = decodeSimple(obj(v, ROOT, key), P.presence_stats, line);
        break;
      case 'history':
        cmd.history = decodeHistory(obj(v, ROOT, key), P.history);
        break;
      case 'ping':
        obj(v, ROOT, key);
        cmd.ping = {};
        break;
      case 'send':
        cmd.send = decodeSimple(obj(v, ROOT, key), P.send, line);
        break;
      case 'rpc':
        cmd.rpc = decodeSimple(obj(v, ROOT, key), P.rpc, line);
        break;
      case 'refresh':
        cmd.refresh = decodeSimple(obj(v, ROOT, key), P.refresh, line);
        break;
      case 'sub_refresh':
        cmd.sub_refresh = decodeSimple(obj(v, ROOT, key), P.sub_refresh, line);
        break;
    }
  }
  return cmd;
}

/** The small requests share their few members: channel, token, method (strings) and data (raw bytes). */
interface SimpleRequest {
  channel?: string;
  token?: string;
  method?: string;
  data?: Buffer;
}

function decodeSimple(o: JsonObject, path: readonly string[], line: Buffer): SimpleRequest {
  const req: SimpleRequest = {};
  const fields = SIMPLE_FIELDS[path[0] ?? ''] ?? [];
  for (const key in o) {
    const v = o[key];
    if (v === null || !fields.includes(key)) continue;
    if (key === 'data') {
      req.data = rawValueAt(line, [...path, key]);
      rememberParsedData(req, v);
    } else req[key as 'channel' | 'token' | 'method'] = str(v, path, key);
  }
  return req;
}

const SIMPLE_FIELDS = {
  unsubscribe: ['channel'],
  publish: ['channel', 'data'],
  presence: ['channel'],
  presence_stats: ['channel'],
  send: ['data'],
  rpc: ['data', 'method'],
  refresh: ['token'],
  sub_refresh: ['channel', 'token'],
} as Partial<Record<string, readonly string[]>>;

function decodeConnect(o: JsonObject, path: readonly string[], line: Buffer): ConnectRequest {
  const req: ConnectRequest = {};
  for (const key in o) {
    const v = o[key];
    if (v === null) continue;
    switch (key) {
      case 'token':
        req.token = str(v, path, key);
        break;
      case 'data':
        req.data = rawValueAt(line, [...path, key]);
        break;
      case 'name':
        req.name = str(v, path, key);
        break;
      case 'version':
        req.version = str(v, path, key);
        break;
      case 'subs': {
        // The parsed object is fresh and only ours: replace its values in place (safe even for a "__proto__" key).
        const subs = obj(v, path, key) as Record<string, unknown>;
        const subsPath = [...path, key];
        for (const channel of Object.keys(subs)) {
          const sub = subs[channel];
          if (sub === null) delete subs[channel];
          else subs[channel] = decodeSubscribe(obj(sub, subsPath, channel), [...subsPath, channel], line);
        }
        req.subs = subs as Record<string, SubscribeRequest>;
        break;
      }
      case 'headers': {
        const headers = obj(v, path, key);
        const headersPath = [...path, key];
        for (const name of Object.keys(headers)) {
          if (headers[name] === null) delete headers[name];
          else str(headers[name], headersPath, name);
        }
        req.headers = headers as Record<string, string>;
        break;
      }
    }
  }
  return req;
}

function decodeSubscribe(o: JsonObject, path: readonly string[], line: Buffer): SubscribeRequest {
  const req: SubscribeRequest = {};
  for (const key in o) {
    const v = o[key];
    if (v === null) continue;
    switch (key) {
      case 'channel':
        req.channel = str(v, path, key);
        break;
      case 'token':
        req.token = str(v, path, key);
        break;
      case 'recover':
        req.recover = bool(v, path, key);
        break;
      case 'epoch':
        req.epoch = str(v, path, key);
        break;
      case 'offset':
        req.offset = uint64(v, path, key);
        break;
      case 'data':
        req.data = rawValueAt(line, [...path, key]);
        break;
      case 'positioned':
        req.positioned = bool(v, path, key);
        break;
      case 'recoverable':
        req.recoverable = bool(v, path, key);
        break;
      case 'join_leave':
        req.join_leave = bool(v, path, key);
        break;
      case 'delta':
        req.delta = str(v, path, key);
        break;
      case 'flag':
        req.flag = int64(v, path, key);
        break;
      case 'type':
        req.type = int32(v, path, key);
        break;
      case 'tf':
        req.tf = decodeFilter(obj(v, path, key), [...path, key], 0);
        break;
    }
  }
  return req;
}

/** Filters nest; deeper than this is refused as malformed. */
const MAX_FILTER_DEPTH = 16;

function decodeFilter(o: JsonObject, path: readonly string[], depth: number): FilterNode {
  if (depth > MAX_FILTER_DEPTH) throw new ProtocolDecodeError(`${path.join('.')}: filter nested deeper than ${MAX_FILTER_DEPTH}`);
  const node: FilterNode = {};
  for (const key in o) {
    const v = o[key];
    if (v === null) continue;
    switch (key) {
      case 'op':
        node.op = str(v, path, key);
        break;
      case 'key':
        node.key = str(v, path, key);
        break;
      case 'cmp':
        node.cmp = str(v, path, key);
        break;
      case 'val':
        node.val = str(v, path, key);
        break;
      case 'vals':
        if (!Array.isArray(v)) fail(path, key, 'an array of strings');
        node.vals = v.map((x, i) => str(x, [...path, key], String(i)));
        break;
      case 'nodes':
        if (!Array.isArray(v)) fail(path, key, 'an array of filters');
        node.nodes = v.map((x, i) => decodeFilter(obj(x, [...path, key], String(i)), [...path, key, String(i)], depth + 1));
        break;
    }
  }
  return node;
}

function decodeHistory(o: JsonObject, path: readonly string[]): HistoryRequest {
  const req: HistoryRequest = {};
  for (const key in o) {
    const v = o[key];
    if (v === null) continue;
    switch (key) {
      case 'channel':
        req.channel = str(v, path, key);
        break;
      case 'limit':
        req.limit = int32(v, path, key);
        break;
      case 'reverse':
        req.reverse = bool(v, path, key);
        break;
      case 'since': {
        const since = obj(v, path, key);
        const sincePath = [...path, key];
        const pos: StreamPosition = { offset: 0, epoch: '' };
        if (since.offset !== undefined && since.offset !== null) pos.offset = uint64(since.offset, sincePath, 'offset');
        if (since.epoch !== undefined && since.epoch !== null) pos.epoch = str(since.epoch, sincePath, 'epoch');
        req.since = pos;
        break;
      }
    }
  }
  return req;
}
