/** The JSON codec: newline-separated JSON objects in text frames. */

import type { Codec } from './codec-contract.js';
import { decodeJsonCommands } from './json-decode.js';
import { encodeJsonReply } from './json-encode.js';

const NEWLINE = Buffer.from('\n');

export const jsonCodec: Codec = Object.freeze({
  protocol: 'json',
  decodeCommands: decodeJsonCommands,
  encodeReply: encodeJsonReply,
  joinMessages(messages: readonly Buffer[]): Buffer {
    if (messages.length === 1) return messages[0] as Buffer;
    const parts: Buffer[] = [];
    for (let i = 0; i < messages.length; i++) {
      if (i > 0) parts.push(NEWLINE);
      parts.push(messages[i] as Buffer);
    }
    return Buffer.concat(parts);
  },
});
