/** A stream message's payload in the form `ctx.publish` takes: text, or bytes when it arrived base64-encoded. */

import type { StreamMessage } from '../queue/index.js';

/** `msg.data`, decoded from base64 when `msg.dataEncoding` is 'base64' (binary payloads of `publish_data: "any"` namespaces). */
export function messageData(msg: Pick<StreamMessage, 'data' | 'dataEncoding'>): string | Uint8Array {
  return msg.dataEncoding === 'base64' ? new Uint8Array(Buffer.from(msg.data, 'base64')) : msg.data;
}
