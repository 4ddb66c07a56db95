/** Protobuf decoding of client commands (varint length-delimited `Command` messages, concatenated in one frame). */

import { ProtocolDecodeError } from './codec-errors.js';
import { ProtoReader, WIRE_VARINT, expectWire } from './proto-wire.js';
import { bool, bytes, mapEntry, message, setEntry, str } from './protobuf-decode-fields.js';
import { decodeSubscribe } from './protobuf-decode-subscribe.js';
import type { Command, ConnectRequest, HistoryRequest, PublishRequest, RPCRequest, StreamPosition, SubscribeRequest } from './types.js';

/** Decodes every delimited Command in the frame, in order. */
export function decodeProtobufCommands(frame: Buffer): Command[] {
  const r = new ProtoReader(frame);
  const end = frame.length;
  const commands: Command[] = [];
  while (r.pos < end) {
    const index = commands.length;
    try {
      const stop = r.lengthEnd(end);
      commands.push(decodeCommand(r, stop));
      r.pos = stop;
    } catch (err) {
      if (err instanceof ProtocolDecodeError) throw new ProtocolDecodeError(`command ${index}: ${err.message}`);
      throw err;
    }
  }
  if (commands.length === 0) throw new ProtocolDecodeError('frame holds no command');
  return commands;
}

function decodeCommand(r: ProtoReader, end: number): Command {
  const cmd: Command = {};
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        expectWire(key, WIRE_VARINT);
        cmd.id = r.uint32(end);
        break;
      case 4:
        cmd.connect = message(r, key, end, decodeConnect);
        break;
      case 5:
        cmd.subscribe = message(r, key, end, decodeSubscribe);
        break;
      case 6:
        cmd.unsubscribe = message(r, key, end, decodeChannelOnly);
        break;
      case 7:
        cmd.publish = message(r, key, end, decodePublish);
        break;
      case 8:
        cmd.presence = message(r, key, end, decodeChannelOnly);
        break;
      case 9:
        cmd.presence_stats = message(r, key, end, decodeChannelOnly);
        break;
      case 10:
        cmd.history = message(r, key, end, decodeHistory);
        break;
      case 11:
        cmd.ping = message(r, key, end, decodeEmpty);
        break;
      case 12:
        cmd.send = message(r, key, end, decodeDataOnly);
        break;
      case 13:
        cmd.rpc = message(r, key, end, decodeRpc);
        break;
      case 14:
        cmd.refresh = message(r, key, end, decodeTokenOnly);
        break;
      case 15:
        cmd.sub_refresh = message(r, key, end, decodeSubRefresh);
        break;
      default:
        r.skip(key, end);
    }
  }
  return cmd;
}

function decodeConnect(r: ProtoReader, end: number): ConnectRequest {
  const req: ConnectRequest = {};
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        req.token = str(r, key, end);
        break;
      case 2:
        req.data = bytes(r, key, end);
        break;
      case 3: {
        const [k, v] = message(r, key, end, (rr, e) => mapEntry(rr, e, subscribeValue, emptySubscribe));
        setEntry((req.subs ??= {}), k, v);
        break;
      }
      case 4:
        req.name = str(r, key, end);
        break;
      case 5:
        req.version = str(r, key, end);
        break;
      case 6: {
        const [k, v] = message(r, key, end, (rr, e) => mapEntry(rr, e, decodeStringValue, emptyString));
        setEntry((req.headers ??= {}), k, v);
        break;
      }
      default:
        r.skip(key, end);
    }
  }
  return req;
}

function decodeChannelOnly(r: ProtoReader, end: number): { channel?: string } {
  const req: { channel?: string } = {};
  while (r.pos < end) {
    const key = r.tag(end);
    if (key >>> 3 === 1) req.channel = str(r, key, end);
    else r.skip(key, end);
  }
  return req;
}

function decodePublish(r: ProtoReader, end: number): PublishRequest {
  const req: PublishRequest = {};
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        req.channel = str(r, key, end);
        break;
      case 2:
        req.data = bytes(r, key, end);
        break;
      default:
        r.skip(key, end);
    }
  }
  return req;
}

function decodeHistory(r: ProtoReader, end: number): HistoryRequest {
  const req: HistoryRequest = {};
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        req.channel = str(r, key, end);
        break;
      case 7:
        expectWire(key, WIRE_VARINT);
        req.limit = r.int32(end);
        break;
      case 8:
        req.since = message(r, key, end, decodeStreamPosition);
        break;
      case 9:
        req.reverse = bool(r, key, end);
        break;
      default:
        r.skip(key, end);
    }
  }
  return req;
}

function decodeStreamPosition(r: ProtoReader, end: number): StreamPosition {
  const pos: StreamPosition = { offset: 0, epoch: '' };
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        expectWire(key, WIRE_VARINT);
        pos.offset = r.uint64(end);
        break;
      case 2:
        pos.epoch = str(r, key, end);
        break;
      default:
        r.skip(key, end);
    }
  }
  return pos;
}

function decodeEmpty(r: ProtoReader, end: number): Record<string, never> {
  while (r.pos < end) r.skip(r.tag(end), end);
  return {};
}

function decodeDataOnly(r: ProtoReader, end: number): { data?: Buffer } {
  const req: { data?: Buffer } = {};
  while (r.pos < end) {
    const key = r.tag(end);
    if (key >>> 3 === 1) req.data = bytes(r, key, end);
    else r.skip(key, end);
  }
  return req;
}

function decodeRpc(r: ProtoReader, end: number): RPCRequest {
  const req: RPCRequest = {};
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        req.data = bytes(r, key, end);
        break;
      case 2:
        req.method = str(r, key, end);
        break;
      default:
        r.skip(key, end);
    }
  }
  return req;
}

function decodeTokenOnly(r: ProtoReader, end: number): { token?: string } {
  const req: { token?: string } = {};
  while (r.pos < end) {
    const key = r.tag(end);
    if (key >>> 3 === 1) req.token = str(r, key, end);
    else r.skip(key, end);
  }
  return req;
}

function decodeSubRefresh(r: ProtoReader, end: number): { channel?: string; token?: string } {
  const req: { channel?: string; token?: string } = {};
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        req.channel = str(r, key, end);
        break;
      case 2:
        req.token = str(r, key, end);
        break;
      default:
        r.skip(key, end);
    }
  }
  return req;
}

function decodeStringValue(r: ProtoReader, key: number, end: number): string {
  return str(r, key, end);
}

function subscribeValue(r: ProtoReader, key: number, end: number): SubscribeRequest {
  return message(r, key, end, decodeSubscribe);
}

function emptyString(): string {
  return '';
}

function emptySubscribe(): SubscribeRequest {
  return {};
}
