/** The lookup of a wire codec by negotiated protocol, and the codecs themselves. */

import { jsonCodec } from './json-codec.js';
import { protobufCodec } from './protobuf-codec.js';
import type { Codec } from './codec-contract.js';
import type { ProtocolType } from './types.js';

export type { Codec } from './codec-contract.js';
export { InappropriateProtocolError, ProtocolDecodeError } from './codec-errors.js';
export { jsonCodec } from './json-codec.js';
export { protobufCodec } from './protobuf-codec.js';

export function codecFor(protocol: ProtocolType): Codec {
  return protocol === 'protobuf' ? protobufCodec : jsonCodec;
}
