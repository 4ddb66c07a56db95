// The server API's batch (sequential and parallel), idempotency_key, skip_history, channels
// pattern, subscribe/refresh control commands and the legacy newline-delimited POST /api.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { defaultChannelConfig } from '../../src/config/index.js';
import {
  ChannelPublisher,
  ControlPlane,
  MemoryBroker,
  MemoryControlBus,
  MemoryControlNetwork,
  MemoryNodeRegistry,
  MemoryPresenceManager,
} from '../../src/engine/index.js';
import { createHttpApi, type HttpApiDeps } from '../../src/gateway/http-api/create-http-api.js';
import { globMatcher } from '../../src/gateway/http-api/api-user-methods.js';
import { RecordingHandler } from '../helpers/engine-contract.js';
import { ApiServer, errorOf, RecordingLocalNode, resultOf, until } from '../helpers/http-api.js';

const KEY = 'batch-api-key';
const channels = defaultChannelConfig();

void describe('server HTTP API: batch, idempotency, skip_history, channels, subscribe, refresh, legacy form', () => {
  const broker = new MemoryBroker();
  const network = new MemoryControlNetwork();
  const registry = new MemoryNodeRegistry();
  const node = new RecordingLocalNode();
  const plane = new ControlPlane({ nodeId: 'n1', version: '0', bus: new MemoryControlBus({ network }), registry, local: node });
  const delivered = new RecordingHandler();
  const observed: string[] = [];
  const deps: HttpApiDeps = {
    config: { httpApiKey: KEY, channel: channels },
    logger: pino({ level: 'silent' }),
    publisher: new ChannelPublisher(broker, channels),
    broker,
    presence: new MemoryPresenceManager(),
    control: new MemoryControlBus({ network }),
    nodes: registry,
    channels: async () =>
      new Map([
        ['chat:a', 2],
        ['chat:b', 1],
        ['user:7', 1],
      ]),
    metrics: { observe: (method, result) => observed.push(`${method}:${result}`) },
  };
  let server: ApiServer;
  before(async () => {
    await broker.start(delivered);
    await plane.start();
    server = await ApiServer.start(createHttpApi(deps));
  });
  after(async () => {
    await server.close();
    await plane.close();
    await broker.close();
  });

  void it('batch runs commands in order and answers {"replies": [...]}, errors in place', async () => {
    const res = await server.api('batch', KEY, {
      commands: [
        { publish: { channel: 'chat:batch', data: { i: 1 } } },
        { publish: { channel: 'nope:x', data: {} } },
        { publish: { channel: 'chat:batch', data: { i: 2 } } },
        { history: { channel: 'chat:batch', limit: 10 } },
        { frobnicate: {} },
      ],
    });
    assert.equal(res.status, 200);
    const replies = (res.json as { replies: Record<string, { offset?: number; code?: number; publications?: unknown[] }>[] }).replies;
    assert.equal(replies.length, 5);
    assert.equal(replies[0]!['publish']?.offset, 1);
    assert.equal(replies[1]!['error']?.code, 102);
    assert.equal(replies[2]!['publish']?.offset, 2);
    assert.equal(replies[3]!['history']?.publications?.length, 2);
    assert.equal(replies[4]!['error']?.code, 104);
    assert.ok(observed.includes('batch:ok') && observed.includes('publish:error') && observed.includes('unknown:error'));
  });

  void it('a parallel batch runs every command and keeps reply order', async () => {
    const commands = Array.from({ length: 40 }, (_, i) => ({ publish: { channel: `chat:par${i % 4}`, data: { i } } }));
    const res = await server.api('batch', KEY, { commands, parallel: true });
    const replies = (res.json as { replies: { publish?: { offset: number } }[] }).replies;
    assert.equal(replies.length, 40);
    assert.ok(replies.every((r) => (r.publish?.offset ?? 0) >= 1));
    assert.equal(errorOf(await server.api('batch', KEY, { commands: [] })).code, 107);
    assert.equal(errorOf(await server.api('batch', KEY, { commands: [{ publish: {}, broadcast: {} }] })).code, 107);
  });

  void it('a repeated idempotency_key returns the first result and publishes nothing', async () => {
    const first = resultOf(await server.api('publish', KEY, { channel: 'chat:idem', data: { n: 1 }, idempotency_key: 'k1' }));
    const again = resultOf(await server.api('publish', KEY, { channel: 'chat:idem', data: { n: 2 }, idempotency_key: 'k1' }));
    assert.deepEqual(again, first);
    const other = resultOf(await server.api('publish', KEY, { channel: 'chat:idem', data: { n: 3 }, idempotency_key: 'k2' }));
    assert.equal(other.offset, 2);
    const history = resultOf(await server.api('history', KEY, { channel: 'chat:idem', limit: 10 }));
    assert.deepEqual(
      (history.publications as { data: unknown }[]).map((p) => p.data),
      [{ n: 1 }, { n: 3 }],
    );
    const b1 = resultOf(await server.api('broadcast', KEY, { channels: ['chat:i1', 'chat:i2'], data: {}, idempotency_key: 'b' }));
    const b2 = resultOf(await server.api('broadcast', KEY, { channels: ['chat:i1', 'chat:i2'], data: {}, idempotency_key: 'b' }));
    assert.deepEqual(b2, b1);
  });

  void it('skip_history broadcasts without keeping the publication', async () => {
    await broker.subscribe('chat:skip');
    resultOf(await server.api('publish', KEY, { channel: 'chat:skip', data: { kept: false }, skip_history: true }));
    await until(() => delivered.pubs('chat:skip').length === 1, 'skip_history delivery');
    const history = resultOf(await server.api('history', KEY, { channel: 'chat:skip', limit: 10 }));
    assert.deepEqual(history.publications, []);
  });

  void it('channels filters the reported channels by pattern', async () => {
    assert.deepEqual(resultOf(await server.api('channels', KEY, { pattern: 'chat:*' })), {
      channels: { 'chat:a': { num_clients: 2 }, 'chat:b': { num_clients: 1 } },
    });
    assert.deepEqual(Object.keys(resultOf(await server.api('channels', KEY, {})).channels as object), ['chat:a', 'chat:b', 'user:7']);
    assert.equal(globMatcher('chat:?')('chat:a'), true);
    assert.equal(globMatcher('chat:?')('chat:ab'), false);
    assert.equal(globMatcher('a.b')('axb'), false);
  });

  void it('subscribe and refresh go to every node as control commands', async () => {
    resultOf(
      await server.api('subscribe', KEY, {
        user: 's1',
        channel: 'chat:s',
        info: { role: 'x' },
        b64data: 'AAE=',
        override: { presence: { value: false } },
      }),
    );
    resultOf(await server.api('refresh', KEY, { user: 's1', expire_at: 2_000_000_000 }));
    await until(() => node.calls.filter((c) => c.user === 's1').length === 2, 'control commands');
    const [sub, refresh] = node.calls.filter((c) => c.user === 's1');
    assert.deepEqual(sub, {
      op: 'subscribe',
      user: 's1',
      command: {
        type: 'subscribe',
        user: 's1',
        channel: 'chat:s',
        info: Buffer.from('{"role":"x"}').toString('base64'),
        data: 'AAE=',
        override: { presence: false },
      },
    });
    assert.deepEqual(refresh, { op: 'refresh', user: 's1', command: { type: 'refresh', user: 's1', expireAt: 2_000_000_000 } });
    assert.equal(errorOf(await server.api('subscribe', KEY, { user: 's1', channel: 'nope:x' })).code, 102);
    assert.equal(errorOf(await server.api('refresh', KEY, { user: 's1', expired: true, expire_at: 5 })).code, 107);
    assert.equal(errorOf(await server.api('subscribe', KEY, { user: 's1', channel: 'chat:s', override: { presence: true } })).code, 107);
  });

  void it('the legacy POST /api answers one line per command line', async () => {
    const body = [
      JSON.stringify({ method: 'publish', params: { channel: 'chat:legacy', data: { l: 1 } } }),
      'not json',
      JSON.stringify({ method: 'presence_stats', params: { channel: 'chat:legacy' } }),
    ].join('\n');
    const res = await server.call('/api', { headers: { 'x-api-key': KEY }, body });
    assert.equal(res.status, 200);
    const lines = res.body.split('\n').map((l) => JSON.parse(l) as { result?: Record<string, unknown>; error?: { code: number } });
    assert.equal(lines.length, 3);
    assert.equal(lines[0]!.result?.['offset'], 1);
    assert.equal(lines[1]!.error?.code, 107);
    assert.deepEqual(lines[2]!.result, { num_clients: 0, num_users: 0 });
  });
});
