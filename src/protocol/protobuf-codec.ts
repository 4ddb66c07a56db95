/** The protobuf codec: varint length-delimited messages concatenated in binary frames. */

import type { Codec } from './codec-contract.js';
import { decodeProtobufCommands } from './protobuf-decode.js';
import { encodeProtobufReply } from './protobuf-encode.js';

export const protobufCodec: Codec = Object.freeze({
  protocol: 'protobuf',
  decodeCommands: decodeProtobufCommands,
  encodeReply: encodeProtobufReply,
  joinMessages(messages: readonly Buffer[]): Buffer {
    return messages.length === 1 ? (messages[0] as Buffer) : Buffer.concat(messages);
  },
});
