/** One push shared by many connections: encoded at most once per protocol, on first use. */

import type { Codec, ProtocolType, Publication, Reply } from '../protocol/index.js';

/** The fields of a stored publication a client receives: data, publisher info, offset and tags. */
export function clientPublication(pub: Publication): Publication {
  const out: Publication = { data: pub.data };
  if (pub.info !== undefined) out.info = pub.info;
  if (pub.offset !== undefined && pub.offset > 0) out.offset = pub.offset;
  if (pub.tags !== undefined) out.tags = pub.tags;
  return out;
}

export class EncodedPush {
  private json: Buffer | Error | undefined;
  private protobuf: Buffer | Error | undefined;

  constructor(readonly reply: Reply) {}

  /** The encoded message for this codec's protocol; throws what the codec threw (the same error every time). */
  encode(codec: Codec): Buffer {
    const protocol: ProtocolType = codec.protocol;
    let cached = protocol === 'json' ? this.json : this.protobuf;
    if (cached === undefined) {
      try {
        cached = codec.encodeReply(this.reply);
      } catch (err) {
        cached = err instanceof Error ? err : new Error(String(err));
      }
      if (protocol === 'json') this.json = cached;
      else this.protobuf = cached;
    }
    if (cached instanceof Error) throw cached;
    return cached;
  }
}
