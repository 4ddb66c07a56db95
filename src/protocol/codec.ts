/** The wire codec contract shared by the JSON and protobuf encodings, and the lookup by negotiated protocol. */

import { jsonCodec } from './json-codec.js';
import { protobufCodec } from './protobuf-codec.js';
import type { Command, ProtocolType, Reply } from './types.js';

export { InappropriateProtocolError, ProtocolDecodeError } from './codec-errors.js';
export { jsonCodec } from './json-codec.js';
export { protobufCodec } from './protobuf-codec.js';

/** Encodes and decodes one connection's messages; pure and synchronous. */
export interface Codec {
  readonly protocol: ProtocolType;
  /**
   * Decodes one inbound WebSocket frame into commands, in order. Throws ProtocolDecodeError when the frame is
   * malformed (bad JSON, bad varint or length, truncated, wrong type for a known field, no command at all).
   * `bytes` fields are fresh copies (JSON: the exact raw text of the value the client sent).
   */
  decodeCommands(frame: Buffer): Command[];
  /**
   * Encodes one Reply as a standalone message: JSON is one line without newline, protobuf is varint
   * length-delimited. The JSON codec throws InappropriateProtocolError for a payload that is not JSON.
   */
  encodeReply(reply: Reply): Buffer;
  /** Joins already-encoded messages into one frame: JSON with exactly one `\n` between them, protobuf concatenated. */
  joinMessages(messages: readonly Buffer[]): Buffer;
}

export function codecFor(protocol: ProtocolType): Codec {
  return protocol === 'protobuf' ? protobufCodec : jsonCodec;
}
