// Fuzz-style robustness: thousands of random and mutated JSON and protobuf frames from many raw
// connections at a live gateway; afterwards it must still serve real clients, every connection it
// closed must carry a protocol close code, and no connection may leak.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PublicationContext } from 'centrifuge';
import {
  CLIENT_PROTOCOLS,
  fromPayload,
  newClient,
  nextEvent,
  payload,
  rawConnect,
  startTestGateway,
  waitUntil,
  type TestGateway,
} from '../helpers/gateway.js';

/** Deterministic PRNG (mulberry32) so a failure can be replayed from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- a tiny protobuf writer for valid seed commands ----
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const field = (num: number, bytes: number[]): number[] => [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
const str = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const pbCommand = (id: number, reqField: number, req: number[]): number[] => {
  const body = [...varint(1 << 3), ...varint(id), ...field(reqField, req)];
  return [...varint(body.length), ...body];
};

const JSON_SEEDS = [
  '{"connect":{"name":"js"},"id":1}',
  '{"connect":{},"id":1}\n{"subscribe":{"channel":"chat","recover":true,"offset":3,"epoch":"x"},"id":2}',
  '{"subscribe":{"channel":"chat:fuzz","positioned":true,"join_leave":true,"flag":1},"id":2}',
  '{"publish":{"channel":"chat:fuzz","data":{"text":"hello"}},"id":3}',
  '{"history":{"channel":"chat:fuzz","limit":-1,"since":{"offset":1,"epoch":"e"},"reverse":true},"id":4}',
  '{"presence":{"channel":"chat:fuzz"},"id":5}\n{"presence_stats":{"channel":"chat:fuzz"},"id":6}',
  '{"rpc":{"method":"m","data":{"a":[1,2,{"b":null}]}},"id":7}',
  '{"send":{"data":{"x":1}}}',
  '{"unsubscribe":{"channel":"chat:fuzz"},"id":8}',
  '{"refresh":{"token":"a.b.c"},"id":9}\n{"sub_refresh":{"channel":"chat","token":"x"},"id":10}',
  '{}',
];
const PB_SEEDS: number[][] = [
  [4, 0x08, 1, 0x22, 0x00],
  pbCommand(2, 5, field(1, str('chat'))),
  pbCommand(3, 7, [...field(1, str('chat:fuzz')), ...field(2, str('{"text":"hi"}'))]),
  pbCommand(4, 10, [...field(1, str('chat:fuzz')), ...varint(7 << 3), ...varint(5)]),
  pbCommand(5, 13, [...field(1, str('{}')), ...field(2, str('method'))]),
  [0],
];
const JSON_TOKENS = ['null', 'true', '-1', '1e309', '18446744073709551616', '""', '"\\ud800"', '[]', '{}', '"\\u0000"', '0.5', '"chat"'];

function mutateBytes(rand: () => number, input: Buffer): Buffer {
  const b = [...input];
  const ops = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(rand() * (b.length + 1));
    switch (Math.floor(rand() * 6)) {
      case 0:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = Math.floor(rand() * 256);
        break;
      case 1:
        b.splice(at, Math.floor(rand() * 8));
        break;
      case 2:
        b.splice(at, 0, ...Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * 256)));
        break;
      case 3:
        b.length = Math.floor(rand() * b.length);
        break;
      case 4:
        b.splice(at, 0, ...b.slice(0, Math.floor(rand() * b.length)));
        break;
      default:
        if (b.length > 0) b[Math.min(at, b.length - 1)]! ^= 1 << Math.floor(rand() * 8);
        break;
    }
  }
  return Buffer.from(b);
}

function mutateJson(rand: () => number, seed: string, structured: boolean): string {
  const pick = structured ? rand() * 0.3 : rand();
  if (pick < 0.3) {
    // Replace one scalar value with a hostile token, keeping the JSON valid.
    return seed.replace(/:(?:"[^"]*"|-?\d+|true|false|null)/, () => `:${JSON_TOKENS[Math.floor(rand() * JSON_TOKENS.length)] ?? 'null'}`);
  }
  if (pick < 0.35) return `${'['.repeat(2000)}${']'.repeat(2000)}`;
  if (pick < 0.4) return seed.replace(/\}$/, `,"extra":"${'\u00e9'.repeat(200)}"}`);
  if (pick < 0.45) return `${seed}\n\n${seed}`;
  return mutateBytes(rand, Buffer.from(seed)).toString('latin1');
}

/** `structured`: JSON frames stay valid JSON with hostile values, so they reach the command handlers. */
function randomFrame(rand: () => number, protobuf: boolean, structured: boolean): string | Buffer {
  const r = rand();
  if (r < 0.15 && !structured) return Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
  if (protobuf) {
    const seed = Buffer.from(PB_SEEDS[Math.floor(rand() * PB_SEEDS.length)] ?? [0]);
    return r < 0.3 ? seed : mutateBytes(rand, seed);
  }
  const seed = JSON_SEEDS[Math.floor(rand() * JSON_SEEDS.length)] ?? '{}';
  return r < 0.3 ? seed : mutateJson(rand, seed, structured);
}

void describe('gateway under fuzzed input', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ WS_MESSAGE_SIZE_LIMIT: '4096', CLIENT_STALE_TIMEOUT: '2s' });
  });
  after(async () => {
    await gw.close();
  });

  void it('survives thousands of random and mutated frames, closing bad connections with protocol codes', async () => {
    const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
    const rand = prng(seed);
    const workers = 12;
    const framesPerWorker = 300;
    const closeCodes = new Map<number, number>();
    let framesSent = 0;
    let connections = 0;
    let serverClosed = 0;

    const worker = async (index: number): Promise<void> => {
      let sent = 0;
      while (sent < framesPerWorker) {
        const protobuf = (index + connections) % 2 === 1;
        const conn = rawConnect(gw.wsUrl, { protobuf });
        connections++;
        await conn.opened;
        let closedBy: number | null = null;
        void conn.closed.then(({ code }) => {
          closedBy = code;
        });
        if (rand() < 0.6) conn.send(protobuf ? Buffer.from(PB_SEEDS[0] ?? []) : (JSON_SEEDS[0] ?? ''));
        const structured = !protobuf && rand() < 0.5;
        const burst = 1 + Math.floor(rand() * 30);
        for (let i = 0; i < burst && closedBy === null && conn.ws.readyState === conn.ws.OPEN; i++) {
          conn.send(randomFrame(rand, protobuf, structured));
          sent++;
          framesSent++;
          if (i % 5 === 4) await new Promise((r) => setImmediate(r));
        }
        const outcome = await Promise.race([conn.closed, new Promise<null>((r) => setTimeout(() => r(null), 150))]);
        if (outcome === null) {
          conn.ws.terminate();
          continue;
        }
        serverClosed++;
        closeCodes.set(outcome.code, (closeCodes.get(outcome.code) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));

    const summary = [...closeCodes.entries()].map(([c, n]) => `${c}:${n}`).join(' ');
    console.log(`fuzz seed=${seed} frames=${framesSent} connections=${connections} serverClosed=${serverClosed} codes ${summary}`);
    assert.ok(framesSent >= workers * framesPerWorker);
    assert.ok(serverClosed > connections / 2, `most fuzzed connections are closed by the server (seed ${seed})`);
    for (const code of closeCodes.keys()) {
      const protocolCode = (code >= 3000 && code <= 4999) || code === 1009;
      assert.ok(protocolCode, `close code ${code} is a protocol code (seed ${seed})`);
    }
    await waitUntil(() => gw.gateway.connectionCount === 0, 5000, 'all fuzzed connections released');
  });

  for (const protocol of CLIENT_PROTOCOLS) {
    void it(`still serves a normal ${protocol} client afterwards`, async () => {
      const a = newClient(gw.wsUrl, protocol);
      const b = newClient(gw.wsUrl, protocol);
      try {
        a.connect();
        b.connect();
        const sub = a.newSubscription('chat:after-fuzz');
        sub.subscribe();
        await sub.ready(4000);
        await b.ready(4000);
        const got = nextEvent<PublicationContext>(sub, 'publication');
        await b.publish('chat:after-fuzz', payload(protocol, { text: 'still alive' }));
        assert.deepEqual(fromPayload((await got).data), { text: 'still alive' });
      } finally {
        a.disconnect();
        b.disconnect();
      }
    });
  }
});
