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
  private variants: Map<unknown, EncodedPush> | undefined;

  /** `protobufReply` is what protobuf connections receive when it differs from `reply` (delta publications); omitted: the same. */
  constructor(
    readonly reply: Reply,
    private readonly protobufReply: Reply = reply,
  ) {}

  /** The encoded message for this codec's protocol; throws what the codec threw (the same error every time). */
  encode(codec: Codec): Buffer {
    const protocol: ProtocolType = codec.protocol;
    let cached = protocol === 'json' ? this.json : this.protobuf;
    if (cached === undefined) {
      try {
        cached = codec.encodeReply(protocol === 'json' ? this.reply : this.protobufReply);
      } catch (err) {
        cached = err instanceof Error ? err : new Error(String(err));
      }
      if (protocol === 'json') this.json = cached;
      else this.protobuf = cached;
    }
    if (cached instanceof Error) throw cached;
    return cached;
  }

  /**
   * A variant of this push for the subscribers that differ from the plain ones in the same way
   * (a compacted channel id, a delta against the same previous payload): built once per key, so
   * they share its encoding too. Lives as long as this push.
   */
  variant(key: unknown, build: () => EncodedPush): EncodedPush {
    this.variants ??= new Map();
    let v = this.variants.get(key);
    if (v === undefined) {
      v = build();
      this.variants.set(key, v);
    }
    return v;
  }
}
