// Property-based fuzzing (fast-check) of both codecs and the payload and channel-name policies:
// arbitrary and mutated input either decodes or fails with ProtocolDecodeError / ReplyError 107,
// never anything else; encoded replies always parse with the upstream centrifuge-js codec, stay
// one line in JSON, and carry uint32 fields within range. `npm run fuzz` runs these for longer.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { defaultChannelConfig, validateChannelName } from '../../src/config/index.js';
import { duplicateTopLevelKey, validatePublishData } from '../../src/gateway/index.js';
import { ProtocolDecodeError, ReplyError, jsonCodec, protobufCodec, type Reply } from '../../src/protocol/index.js';
import { fuzzParameters } from '../helpers/fuzz.js';

const upstream = (
  new ProtobufCentrifuge('ws://127.0.0.1:9/connection/websocket', { websocket: WebSocket }) as unknown as {
    _codec: { encodeCommands(c: unknown[]): Uint8Array; decodeReplies(d: Uint8Array): Record<string, unknown>[] };
  }
)._codec;

const enc = new TextEncoder();

function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (err) {
    if (!(err instanceof ProtocolDecodeError)) throw err;
  }
}

/** A valid command for the upstream encoder, with hostile strings and numbers inside. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', 'chat', 'chat:', 'chat:\u200b', '\u0000', 'a'.repeat(300)),
);
const upstreamCommand = fc.oneof(
  fc.record({ id: fc.nat(), connect: fc.record({ token: hostileString, name: hostileString }) }),
  fc.record({
    id: fc.nat(),
    subscribe: fc.record({ channel: hostileString, recover: fc.boolean(), offset: fc.nat(), epoch: hostileString }),
  }),
  fc.record({ id: fc.nat(), publish: fc.record({ channel: hostileString, data: fc.uint8Array({ maxLength: 64 }) }) }),
  fc.record({ id: fc.nat(), history: fc.record({ channel: hostileString, limit: fc.integer(), reverse: fc.boolean() }) }),
  fc.record({ id: fc.nat(), rpc: fc.record({ method: hostileString, data: fc.uint8Array({ maxLength: 64 }) }) }),
);

function mutate(bytes: Uint8Array, edits: readonly [number, number, number][]): Buffer {
  const b = [...bytes];
  for (const [kind, at, value] of edits) {
    const i = b.length === 0 ? 0 : at % b.length;
    if (kind === 0) b[i] = value & 0xff;
    else if (kind === 1) b.splice(i, 1 + (value % 8));
    else if (kind === 2) b.splice(i, 0, value & 0xff, (value >> 8) & 0xff);
    else b.length = i;
  }
  return Buffer.from(b);
}
const edits = fc.array(fc.tuple(fc.nat(3), fc.nat(), fc.nat()), { maxLength: 6 });

/** Replies whose numbers and payloads go past what the protocol carries. */
const wildNumber = fc.oneof(fc.double({ noNaN: false }), fc.integer(), fc.constantFrom(1e300, 2 ** 32, 2 ** 53, -1, 998_203_839_167));
const jsonBytes = fc.json({ maxDepth: 4 }).map((t) => enc.encode(t));
const wildReply: fc.Arbitrary<Reply> = fc.oneof(
  fc.record({
    id: fc.nat(),
    connect: fc.record({ client: fc.string(), ttl: wildNumber, ping: wildNumber, expires: fc.boolean(), data: jsonBytes }),
  }),
  fc.record({ id: fc.nat(), refresh: fc.record({ ttl: wildNumber, expires: fc.boolean() }) }),
  fc.record({ id: fc.nat(), sub_refresh: fc.record({ ttl: wildNumber }) }),
  fc.record({ id: fc.nat(), subscribe: fc.record({ ttl: wildNumber, expires: fc.boolean(), epoch: fc.string() }) }),
  fc.record({ id: fc.nat(), error: fc.record({ code: wildNumber, message: fc.string() }) }),
  fc.record({ push: fc.record({ channel: fc.string(), pub: fc.record({ data: jsonBytes, offset: fc.nat() }) }) }),
);

void describe('codec fuzzing', () => {
  void it('JSON: arbitrary bytes and mutated valid frames decode or fail with ProtocolDecodeError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }),
          fc.tuple(fc.json(), edits).map(([t, e]) => mutate(enc.encode(t), e)),
        ),
        (bytes) => {
          decodesOrRefuses(() => jsonCodec.decodeCommands(Buffer.from(bytes)));
        },
      ),
      fuzzParameters(300, 12),
    );
  });

  void it('protobuf: arbitrary bytes and mutated upstream-encoded commands decode or fail with ProtocolDecodeError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }),
          fc
            .tuple(fc.array(upstreamCommand, { minLength: 1, maxLength: 3 }), edits)
            .map(([cmds, e]) => mutate(upstream.encodeCommands(cmds), e)),
        ),
        (bytes) => {
          decodesOrRefuses(() => protobufCodec.decodeCommands(Buffer.from(bytes)));
        },
      ),
      fuzzParameters(300, 12),
    );
  });

  void it('protobuf: unmutated upstream-encoded commands always decode', () => {
    fc.assert(
      fc.property(fc.array(upstreamCommand, { minLength: 1, maxLength: 3 }), (cmds) => {
        assert.equal(protobufCodec.decodeCommands(Buffer.from(upstream.encodeCommands(cmds))).length, cmds.length);
      }),
      fuzzParameters(200, 12),
    );
  });

  void it('both encoders: wild replies encode to frames upstream parses, one JSON line each, uint32 fields clamped', () => {
    fc.assert(
      fc.property(wildReply, (reply) => {
        const pb = protobufCodec.encodeReply(reply);
        const [decoded] = upstream.decodeReplies(new Uint8Array(pb));
        assert.ok(decoded !== undefined);
        const line = jsonCodec.encodeReply(reply).toString('utf8');
        assert.ok(!line.includes('\n') && !line.includes('\r'), line);
        const parsed = JSON.parse(line) as Record<string, Record<string, unknown> | undefined>;
        for (const key of ['connect', 'refresh', 'sub_refresh', 'subscribe'] as const) {
          const ttl = parsed[key]?.['ttl'];
          if (ttl !== undefined)
            assert.ok(Number.isInteger(ttl) && (ttl as number) >= 0 && (ttl as number) <= 0xffffffff, `${key}.ttl ${String(ttl)}`);
        }
      }),
      fuzzParameters(300, 12),
    );
  });
});

void describe('payload and name policy fuzzing', () => {
  const refusesWith107 = (fn: () => unknown): unknown => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ReplyError) || err.code !== 107) throw err;
      return undefined;
    }
  };

  void it('publish data: valid JSON, mutations and duplicate keys are accepted unchanged or refused with 107', () => {
    const text = fc.oneof(
      fc.json({ maxDepth: 6 }),
      fc.record({ text: fc.string({ unit: 'grapheme' }) }).map((o) => JSON.stringify(o)),
      fc.tuple(fc.string(), fc.string()).map(([a, b]) => `{"text":${JSON.stringify(a)},\r"text":${JSON.stringify(b)}}`),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          text.map((t) => enc.encode(t)),
          fc.tuple(text, edits).map(([t, e]) => mutate(enc.encode(t), e)),
        ),
        (bytes) => {
          const out = refusesWith107(() => validatePublishData(bytes, 50));
          if (out === undefined) return;
          assert.equal(out, new TextDecoder().decode(bytes), "accepted data is the sender's text");
          const value = JSON.parse(out) as { text: unknown };
          assert.equal(typeof value.text, 'string');
          assert.equal(duplicateTopLevelKey(out), null);
        },
      ),
      fuzzParameters(500, 12),
    );
  });

  void it('channel names: an accepted name is within the byte limit and free of control, format and whitespace characters', () => {
    const cfg = defaultChannelConfig();
    const name = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 120 }).map((s) => `chat:${s}`),
    );
    fc.assert(
      fc.property(name, (ch) => {
        if (validateChannelName(cfg, ch) !== null) return;
        assert.ok(Buffer.byteLength(ch) <= cfg.maxLength && ch.length > 0);
        assert.ok(!/[\p{Cc}\p{Cf}\s\uFFFD\p{Cs}]/u.test(ch), JSON.stringify(ch));
        assert.ok(!ch.endsWith(':') || ch.indexOf(':') !== ch.length - 1);
      }),
      fuzzParameters(1000, 12),
    );
  });
});
