/** Micro benchmark of the protocol codecs on a typical publication push and publish command; prints ops/s. */

import { jsonCodec, protobufCodec } from '../src/protocol/index.js';
import type { Codec, Reply } from '../src/protocol/index.js';

const payload = JSON.stringify({
  type: 'chat.message',
  room: 'room-42',
  user: { id: 1234, name: 'Alice' },
  text: 'Hello everyone, this is a fairly typical chat message of moderate length.',
  ts: 1_700_000_000_123,
});

const push: Reply = {
  push: {
    channel: 'chat:room-42',
    pub: {
      data: Buffer.from(payload),
      offset: 123_456,
      info: { user: '1234', client: '6f1d7e0a-8a3b-4c0e-9d5e-3f0a9b1c2d3e' },
      tags: { kind: 'text' },
    },
  },
};

const jsonPublish = Buffer.from(`{"publish":{"channel":"chat:room-42","data":${payload}},"id":17}`);
const protobufPublish = protobufFrame();

function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}

function delimited(tag: number[], body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(tag), varint(body.length), body]);
}

function protobufFrame(): Buffer {
  // Command{id=17, publish{channel, data}} built by hand: the codec has no command encoder.
  const publish = Buffer.concat([delimited([0x0a], Buffer.from('chat:room-42')), delimited([0x12], Buffer.from(payload))]);
  return delimited([], Buffer.concat([Buffer.from([0x08, 17]), delimited([0x3a], publish)]));
}

function measure(name: string, fn: () => unknown): void {
  const deadline = process.hrtime.bigint() + 1_000_000_000n;
  for (let i = 0; i < 20_000; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 1000; i++) fn();
    ops += 1000;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `${name.padEnd(44)} ${Math.round(ops / seconds)
      .toLocaleString('en-US')
      .padStart(12)} ops/s`,
  );
}

function bench(codec: Codec, publish: Buffer): void {
  const encoded = codec.encodeReply(push);
  console.log(`${codec.protocol}: push ${encoded.length} B, publish command ${publish.length} B`);
  measure(`${codec.protocol} encodeReply(publication push)`, () => codec.encodeReply(push));
  measure(`${codec.protocol} joinMessages(16 pushes)`, () => codec.joinMessages(new Array<Buffer>(16).fill(encoded)));
  measure(`${codec.protocol} decodeCommands(publish)`, () => codec.decodeCommands(publish));
}

bench(jsonCodec, jsonPublish);
bench(protobufCodec, protobufPublish);
measure('baseline JSON.parse(publish command)', () => JSON.parse(jsonPublish.toString()) as unknown);
measure('baseline JSON.stringify(parsed push)', () =>
  JSON.stringify({ push: { channel: 'chat:room-42', pub: { data: JSON.parse(payload) as unknown, offset: 123_456 } } }),
);
