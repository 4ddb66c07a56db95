// Issue 11 reproductions, items 1, 3, 4, 6, 7 and 8, against a real gateway with the real
// `centrifuge` clients (JSON and protobuf builds) and raw sockets: the channel-name policy on every
// client path, payloads delivered as the sender's bytes, duplicate keys and deep nesting refused,
// token claims bounded and uint32 fields clamped.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import WebSocket from 'ws';
import type { Centrifuge, PublicationContext } from 'centrifuge';
import { signToken } from '../../src/gateway/index.js';
import {
  CLIENT_PROTOCOLS,
  newClient,
  nextEvent,
  payload,
  rawConnect,
  startTestGateway,
  type RawConnection,
  type TestGateway,
} from '../helpers/gateway.js';
import { MB, collectedHeapBytes } from '../helpers/memory.js';

interface ReplyErrorShape {
  code: number;
  message: string;
  temporary?: boolean;
}

async function rejection(p: Promise<unknown>): Promise<ReplyErrorShape> {
  try {
    await p;
  } catch (err) {
    return err as ReplyErrorShape;
  }
  throw new Error('expected a rejection');
}

/** The names of the reproduction plus the item-8 lookalikes; each must be refused with 107. */
const BAD_NAMES: readonly string[] = [
  'chat:a\nb\u0000c',
  'chat: evil',
  'chat:\ud800',
  `chat:${'x'.repeat(60_000)}`,
  'chat:',
  'user:',
  'chat:lobby\u200b',
  'chat:\u202egnp',
  'chat:\ufefflobby',
  'chat:a\r\nPING',
];

/** The centrifuge-js protobuf codec, to read raw protobuf frames as the client would. */
const upstream = (
  new ProtobufCentrifuge('ws://127.0.0.1:9/connection/websocket', { websocket: WebSocket }) as unknown as {
    _codec: { decodeReplies(data: Uint8Array): Record<string, unknown>[] };
  }
)._codec;

const SECRET = 'hostile-names-secret';
const now = (): number => Math.floor(Date.now() / 1000);

void describe('hostile input: channel names, payloads and token claims', () => {
  let gw: TestGateway;
  const clients: Centrifuge[] = [];
  const raws: RawConnection[] = [];
  const connected = async (
    protocol: (typeof CLIENT_PROTOCOLS)[number],
    options: Parameters<typeof newClient>[2] = {},
  ): Promise<Centrifuge> => {
    const c = newClient(gw.wsUrl, protocol, options);
    clients.push(c);
    c.connect();
    await c.ready(4000);
    return c;
  };
  const raw = async (protobuf = false): Promise<RawConnection> => {
    const r = rawConnect(gw.wsUrl, { protobuf });
    raws.push(r);
    await r.opened;
    return r;
  };

  before(async () => {
    gw = await startTestGateway({ CLIENT_COMMAND_RATE_LIMIT: '100000', CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const r of raws) r.ws.terminate();
    await gw.close();
  });

  for (const protocol of CLIENT_PROTOCOLS) {
    const token = signToken({ sub: `u-${protocol}`, exp: now() + 3600 }, SECRET);

    void it(`${protocol}: refuses every bad name with 107 on publish, subscribe, history, presence and presence stats`, async () => {
      const c = await connected(protocol, { token });
      for (const name of BAD_NAMES) {
        const shown = JSON.stringify(name.slice(0, 20));
        const pub = await rejection(c.publish(name, payload(protocol, { text: 'hi' })));
        assert.equal(pub.code, 107, `publish ${shown}: ${pub.message}`);
        assert.equal(pub.temporary ?? false, false);
        assert.equal((await rejection(c.history(name, { limit: 1 }))).code, 107, `history ${shown}`);
        assert.equal((await rejection(c.presence(name))).code, 107, `presence ${shown}`);
        assert.equal((await rejection(c.presenceStats(name))).code, 107, `presence stats ${shown}`);
        const sub = c.newSubscription(name);
        const failed = nextEvent<{ code: number }>(sub, 'unsubscribed');
        sub.subscribe();
        assert.equal((await failed).code, 107, `subscribe ${shown}`);
        c.removeSubscription(sub);
      }
      await c.publish('chat:lobby', payload(protocol, { text: 'still fine' }));
    });

    void it(`${protocol}: 3000 publishes to distinct 50 KB names are refused and leave the heap where it was`, async () => {
      const c = await connected(protocol, { token });
      const base = await collectedHeapBytes();
      for (let batch = 0; batch < 30; batch++) {
        const answers = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            rejection(c.publish(`chat:${String(batch * 100 + i).padStart(6, '0')}${'n'.repeat(50_000)}`, payload(protocol, { text: 'x' }))),
          ),
        );
        for (const a of answers) assert.equal(a.code, 107);
      }
      const grown = (await collectedHeapBytes()) - base;
      // Kept names would hold 3000 × 50 KB = 150 MB; the bound leaves room for test noise only.
      assert.ok(grown < 16 * MB, `heap grew ${(grown / MB).toFixed(1)} MB`);
    });
  }

  void it("protobuf: delivers the publisher's exact bytes (raw CR, big integer, 1.50, 1e400) to protobuf and JSON subscribers", async () => {
    const sent = '{"text":"y",\r"id":9007199254740993,"f":1.50,"big":1e400}';
    const pb = await connected('protobuf', { token: signToken({ sub: 'pb-sub', exp: now() + 3600 }, SECRET) });
    const sub = pb.newSubscription('chat:exact');
    const got = nextEvent<PublicationContext>(sub, 'publication');
    sub.subscribe();
    await sub.ready(4000);
    const js = await raw();
    js.send(JSON.stringify({ connect: { token: signToken({ sub: 'js-sub', exp: now() + 3600 }, SECRET) }, id: 1 }));
    await js.nextFrame();
    js.send('{"subscribe":{"channel":"chat:exact"},"id":2}');
    await js.nextFrame();
    await pb.publish('chat:exact', new TextEncoder().encode(sent));
    assert.equal(new TextDecoder().decode((await got).data as Uint8Array), sent, 'protobuf subscriber: byte for byte');
    const frame = (await js.nextFrame()).toString('utf8');
    assert.ok(frame.includes('{"text":"y","id":9007199254740993,"f":1.50,"big":1e400}'), frame);
    assert.ok(!frame.includes('\r') && !frame.includes('\n'), 'raw CR/LF never reach a JSON frame');
  });

  void it('json: a raw CR inside the command line is delivered as sent, not re-serialised', async () => {
    const r = await raw();
    r.send(JSON.stringify({ connect: { token: signToken({ sub: 'raw', exp: now() + 3600 }, SECRET) }, id: 1 }));
    await r.nextFrame();
    r.send('{"subscribe":{"channel":"chat:exact-json"},"id":2}');
    await r.nextFrame();
    r.send('{"id":3,"publish":{"channel":"chat:exact-json","data":{"text":"y",\r"id":9007199254740993,"f":1.50,"big":1e400}}}');
    let frames = '';
    while (!frames.includes('{"id":3,"publish":{}}') || !frames.includes('"pub"')) frames += (await r.nextFrame()).toString() + '\n';
    assert.ok(frames.includes('{"text":"y","id":9007199254740993,"f":1.50,"big":1e400}'), frames);
  });

  for (const protocol of CLIENT_PROTOCOLS) {
    void it(`${protocol}: deep nesting (with a CR) is 107, not a temporary 100; duplicate "text" keys are 107`, async () => {
      const c = await connected(protocol, { token: signToken({ sub: `deep-${protocol}`, exp: now() + 3600 }, SECRET) });
      const deep = `{"text":"a",\r"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
      const dup = `{"text":"${'A'.repeat(20_000)}","text":"ok"}`;
      if (protocol === 'protobuf') {
        for (const [body, pattern] of [
          [deep, /nested deeper than 64/],
          [dup, /"text" more than once/],
        ] as const) {
          const err = await rejection(c.publish('chat:deep', new TextEncoder().encode(body)));
          assert.equal(err.code, 107);
          assert.equal(err.temporary ?? false, false);
          assert.match(err.message, pattern);
        }
        return;
      }
      const r = await raw();
      r.send('{"connect":{"token":' + JSON.stringify(signToken({ sub: 'deep-raw', exp: now() + 3600 }, SECRET)) + '},"id":1}');
      await r.nextFrame();
      for (const [id, body, pattern] of [
        [2, deep, /nested deeper than 64/],
        [3, dup, /"text" more than once/],
      ] as const) {
        r.send(`{"id":${id},"publish":{"channel":"chat:deep","data":${body}}}`);
        const reply = JSON.parse((await r.nextFrame()).toString()) as { id: number; error: ReplyErrorShape };
        assert.equal(reply.id, id);
        assert.equal(reply.error.code, 107);
        assert.equal(reply.error.temporary, undefined);
        assert.match(reply.error.message, pattern);
      }
    });
  }

  void it('refuses connection tokens whose sub has NUL, newline, zero-width or bidi characters, or exp beyond year 9999 (3500)', async () => {
    for (const claims of [
      { sub: 'a\u0000b' },
      { sub: 'a\nb' },
      { sub: 'alice\u200b' },
      { sub: '\u202eecila' },
      { sub: 'x'.repeat(256) },
      { sub: 'ok', exp: 1e12 },
      { sub: 'ok', exp: 1e300 },
      { sub: 'ok', expire_at: 1e300 },
    ]) {
      const r = await raw();
      r.send(JSON.stringify({ connect: { token: signToken({ exp: now() + 3600, ...claims }, SECRET) }, id: 1 }));
      assert.deepEqual(await r.closed, { code: 3500, reason: 'invalid token' }, JSON.stringify(claims).slice(0, 60));
    }
  });

  void it('clamps ttl to uint32 in both encodings (exp in year 9000 is ~2.2e11 s away)', async () => {
    const exp = 221_845_392_000; // 9000-01-01
    const tokenFar = signToken({ sub: 'far', exp }, SECRET);
    const js = await raw();
    js.send(JSON.stringify({ connect: { token: tokenFar }, id: 1 }));
    const reply = JSON.parse((await js.nextFrame()).toString()) as { connect: { ttl: number; expires: boolean } };
    assert.equal(reply.connect.expires, true);
    assert.equal(reply.connect.ttl, 0xffffffff);
    const pb = await raw(true);
    const tokenBytes = Buffer.from(tokenFar);
    // Command{id=1, connect{token}} varint-delimited, built from the plain connect frame's layout.
    const connect = Buffer.concat([Buffer.from([0x0a]), varint(tokenBytes.length), tokenBytes]);
    const body = Buffer.concat([Buffer.from([0x08, 1, 0x22]), varint(connect.length), connect]);
    pb.send(Buffer.concat([varint(body.length), body]));
    const [decoded] = upstream.decodeReplies(new Uint8Array(await pb.nextFrame()));
    const result = (decoded as { connect: { ttl: number; expires: boolean } }).connect;
    assert.equal(result.expires, true);
    assert.equal(result.ttl, 0xffffffff);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
