/** Protobuf decoding of the subscribe request and its nested tags filter. */

import { ProtocolDecodeError } from './codec-errors.js';
import { type ProtoReader, WIRE_VARINT, expectWire } from './proto-wire.js';
import { bool, bytes, message, str } from './protobuf-decode-fields.js';
import type { FilterNode, SubscribeRequest } from './types.js';

export function decodeSubscribe(r: ProtoReader, end: number): SubscribeRequest {
  const req: SubscribeRequest = {};
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        req.channel = str(r, key, end);
        break;
      case 2:
        req.token = str(r, key, end);
        break;
      case 3:
        req.recover = bool(r, key, end);
        break;
      case 6:
        req.epoch = str(r, key, end);
        break;
      case 7:
        expectWire(key, WIRE_VARINT);
        req.offset = r.uint64(end);
        break;
      case 8:
        req.data = bytes(r, key, end);
        break;
      case 9:
        req.positioned = bool(r, key, end);
        break;
      case 10:
        req.recoverable = bool(r, key, end);
        break;
      case 11:
        req.join_leave = bool(r, key, end);
        break;
      case 12:
        req.delta = str(r, key, end);
        break;
      case 13:
        req.tf = message(r, key, end, (rr, e) => decodeFilter(rr, e, 0));
        break;
      case 14:
        expectWire(key, WIRE_VARINT);
        req.flag = r.int64(end);
        break;
      case 15:
        expectWire(key, WIRE_VARINT);
        req.type = r.int32(end);
        break;
      default:
        r.skip(key, end);
    }
  }
  return req;
}

/** Filters nest; deeper than this is refused as malformed. */
const MAX_FILTER_DEPTH = 16;

function decodeFilter(r: ProtoReader, end: number, depth: number): FilterNode {
  if (depth > MAX_FILTER_DEPTH) throw new ProtocolDecodeError(`filter nested deeper than ${MAX_FILTER_DEPTH}`);
  const node: FilterNode = {};
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        node.op = str(r, key, end);
        break;
      case 2:
        node.key = str(r, key, end);
        break;
      case 3:
        node.cmp = str(r, key, end);
        break;
      case 4:
        node.val = str(r, key, end);
        break;
      case 5:
        (node.vals ??= []).push(str(r, key, end));
        break;
      case 6:
        (node.nodes ??= []).push(message(r, key, end, (rr, e) => decodeFilter(rr, e, depth + 1)));
        break;
      default:
        r.skip(key, end);
    }
  }
  return node;
}
