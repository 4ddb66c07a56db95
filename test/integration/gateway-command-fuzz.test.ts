// Property-based fuzzing (fast-check) of the command layer through a real gateway: generated
// sequences of commands with hostile channel names, payloads and numbers, in JSON and protobuf
// (protobuf encoded by the upstream centrifuge-js codec), each on a fresh raw connection. Every
// reply must carry a catalogue error code other than 100 (internal), every close a catalogue
// disconnect code other than 3004, every command with an id an answer (unless the connection was
// closed), and a real client must still work afterwards. `npm run fuzz` runs it for longer.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import { Disconnects, Errors } from '../../src/protocol/index.js';
import { fuzzParameters } from '../helpers/fuzz.js';
import { newClient, rawConnect, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';

const upstream = (
  new ProtobufCentrifuge('ws://127.0.0.1:9/connection/websocket', { websocket: WebSocket }) as unknown as {
    _codec: { encodeCommands(c: unknown[]): Uint8Array; decodeReplies(d: Uint8Array): Record<string, unknown>[] };
  }
)._codec;

const ERROR_CODES = new Set<number>(Object.values(Errors).map((e) => e.code));
const CLOSE_CODES = new Set<number>([...Object.values(Disconnects).map((d) => d.code), 1000, 1005, 1006, 1009]);

const channel = fc.oneof(
  fc.constantFrom(
    'chat',
    'chat:lobby',
    'chat:',
    'user:',
    'user:u1',
    'chat:a\nb',
    'chat:\u200b',
    'chat:\ud800',
    'x:y',
    '',
    'chat:' + 'n'.repeat(300),
  ),
  fc.string({ unit: 'binary', maxLength: 24 }).map((s) => `chat:${s}`),
);
const jsonData = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((t) => JSON.stringify({ text: t })),
  fc.constantFrom('{"text":"a",\r"n":9007199254740993}', '{"text":"x","text":"y"}', `{"text":"d","x":${'['.repeat(80)}${']'.repeat(80)}}`),
);
type Cmd = Record<string, unknown>;
const command: fc.Arbitrary<{ method: string; body: Cmd; data?: string }> = fc.oneof(
  fc.record({
    method: fc.constant('subscribe'),
    body: fc.record({ channel, recover: fc.boolean(), offset: fc.nat(), epoch: fc.string({ maxLength: 8 }) }),
  }),
  fc.record({ method: fc.constant('unsubscribe'), body: fc.record({ channel }) }),
  fc.record({ method: fc.constant('publish'), body: fc.record({ channel }), data: jsonData }),
  fc.record({
    method: fc.constant('history'),
    body: fc.record({ channel, limit: fc.integer({ min: -2, max: 1000 }), reverse: fc.boolean() }),
  }),
  fc.record({ method: fc.constant('presence'), body: fc.record({ channel }) }),
  fc.record({ method: fc.constant('presence_stats'), body: fc.record({ channel }) }),
  fc.record({ method: fc.constant('rpc'), body: fc.record({ method: fc.string({ maxLength: 10 }) }), data: jsonData }),
  fc.record({ method: fc.constant('send'), body: fc.constant({}), data: jsonData }),
  fc.record({ method: fc.constant('refresh'), body: fc.record({ token: fc.string({ maxLength: 20 }) }) }),
  fc.record({ method: fc.constant('sub_refresh'), body: fc.record({ channel, token: fc.string({ maxLength: 20 }) }) }),
);

/** One command on the wire: JSON text (data embedded raw) or the upstream protobuf encoding. */
function frame(protobuf: boolean, id: number, c: { method: string; body: Cmd; data?: string }): string | Uint8Array {
  const withId = c.method === 'send' ? {} : { id };
  if (protobuf) {
    const body = c.data === undefined ? c.body : { ...c.body, data: new TextEncoder().encode(c.data) };
    return upstream.encodeCommands([{ ...withId, [c.method]: body }]);
  }
  const inner = JSON.stringify(c.body);
  const withData = c.data === undefined ? inner : `${inner.slice(0, -1)}${inner === '{}' ? '' : ','}"data":${c.data.replace(/\n/g, ' ')}}`;
  return `{${c.method === 'send' ? '' : `"id":${id},`}"${c.method}":${withData}}`;
}

function replies(protobuf: boolean, raw: Buffer): Record<string, unknown>[] {
  if (protobuf) return upstream.decodeReplies(new Uint8Array(raw));
  return raw
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

void describe('command-layer fuzzing through the gateway', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ CLIENT_COMMAND_RATE_LIMIT: '100000', CLIENT_CHANNEL_CREATE_RATE_LIMIT: '100000' });
  });
  after(async () => {
    await gw.close();
  });

  for (const protocol of ['json', 'protobuf'] as const) {
    void it(`${protocol}: generated command sequences get catalogue answers, never 100 or 3004`, async () => {
      const protobuf = protocol === 'protobuf';
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (cmds) => {
          const r = rawConnect(gw.wsUrl, { protobuf });
          await r.opened;
          let closed: { code: number } | null = null;
          void r.closed.then((c) => {
            closed = c;
          });
          r.send(protobuf ? upstream.encodeCommands([{ id: 1, connect: {} }]) : '{"id":1,"connect":{}}');
          const expected = new Set<number>([1]);
          cmds.forEach((c, i) => {
            if (c.method !== 'send') expected.add(i + 2);
            r.send(frame(protobuf, i + 2, c));
          });
          const answered = new Set<number>();
          const deadline = Date.now() + 4000;
          let read = 0;
          while (closed === null && [...expected].some((id) => !answered.has(id)) && Date.now() < deadline) {
            if (read < r.frames.length) {
              for (const reply of replies(protobuf, r.frames[read++]!)) {
                const error = reply['error'] as { code: number } | null | undefined;
                if (error !== undefined && error !== null) {
                  assert.ok(ERROR_CODES.has(error.code), `unknown error code ${error.code}`);
                  assert.notEqual(error.code, 100, `internal error for ${JSON.stringify(cmds).slice(0, 300)}`);
                }
                if (typeof reply['id'] === 'number' && reply['id'] > 0) answered.add(reply['id']);
              }
            } else {
              await new Promise((res) => setTimeout(res, 2));
            }
          }
          r.ws.terminate();
          if (closed !== null) {
            const code = (closed as { code: number }).code;
            assert.ok(CLOSE_CODES.has(code) && code !== 3004, `close code ${code}`);
            return;
          }
          const missing = [...expected].filter((id) => !answered.has(id));
          assert.deepEqual(missing, [], `no answer for ${JSON.stringify(cmds).slice(0, 300)}`);
        }),
        fuzzParameters(40, 4),
      );
      const c = newClient(gw.wsUrl, protocol);
      c.connect();
      await c.ready(4000);
      c.disconnect();
      await waitUntil(() => gw.gateway.connectionCount === 0, 10_000, 'every fuzzed connection closed on the gateway too');
    });
  }
});
