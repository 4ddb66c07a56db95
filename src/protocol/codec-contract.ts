/** The wire codec contract shared by the JSON and protobuf encodings. */

import type { Command, ProtocolType, Reply } from './types.js';

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
