/**
 * EmulationRequest (protocol message `EmulationRequest {node=1, session=2, data=3}`): commands
 * of an HTTP-streaming or SSE connection, POSTed to `/emulation`. In JSON `data` is a string
 * holding the connection's encoded command frame; in protobuf it is the frame's bytes.
 */

import { ProtocolDecodeError } from './codec-errors.js';
import { ProtoReader, WIRE_LEN, expectWire } from './proto-wire.js';
import type { ProtocolType } from './types.js';

export interface EmulationRequest {
  /** Node holding the session (ConnectResult.node). */
  node: string;
  /** Session id (ConnectResult.session). */
  session: string;
  /** One encoded command frame, as the connection's codec decodes it. */
  data: Buffer;
}

/** Decodes a POSTed EmulationRequest; throws ProtocolDecodeError when it is malformed. */
export function decodeEmulationRequest(body: Buffer, protocol: ProtocolType): EmulationRequest {
  return protocol === 'protobuf' ? decodeProtobuf(body) : decodeJson(body);
}

function decodeJson(body: Buffer): EmulationRequest {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProtocolDecodeError('emulation request is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ProtocolDecodeError('emulation request is not an object');
  const v = value as Record<string, unknown>;
  const node = v['node'] ?? '';
  const session = v['session'] ?? '';
  const data = v['data'];
  if (typeof node !== 'string' || typeof session !== 'string')
    throw new ProtocolDecodeError('emulation request node and session must be strings');
  if (typeof data !== 'string') throw new ProtocolDecodeError('emulation request data must be a string of encoded commands');
  return { node, session, data: Buffer.from(data, 'utf8') };
}

function decodeProtobuf(body: Buffer): EmulationRequest {
  const r = new ProtoReader(body);
  const end = body.length;
  const req: EmulationRequest = { node: '', session: '', data: Buffer.alloc(0) };
  while (r.pos < end) {
    const key = r.tag(end);
    switch (key >>> 3) {
      case 1:
        expectWire(key, WIRE_LEN);
        req.node = r.string(end);
        break;
      case 2:
        expectWire(key, WIRE_LEN);
        req.session = r.string(end);
        break;
      case 3:
        expectWire(key, WIRE_LEN);
        req.data = r.bytes(end);
        break;
      default:
        r.skip(key, end);
    }
  }
  return req;
}
