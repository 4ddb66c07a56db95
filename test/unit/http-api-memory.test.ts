// The server HTTP API over node:http with the memory engine and memory control plane: auth, each method's shape, validation.
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
import { createHttpApi, httpApiDisabledWarning, type HttpApiDeps } from '../../src/gateway/http-api/create-http-api.js';
import { RecordingHandler, text } from '../helpers/engine-contract.js';
import { ApiServer, errorOf, RecordingLocalNode, resultOf, until } from '../helpers/http-api.js';

const KEY = 'test-api-key-0123456789';
const logger = pino({ level: 'silent' });
const channels = defaultChannelConfig();

void describe('server HTTP API (memory engine)', () => {
  const broker = new MemoryBroker();
  const presence = new MemoryPresenceManager();
  const network = new MemoryControlNetwork();
  const registry = new MemoryNodeRegistry();
  const nodeA = new RecordingLocalNode({ numClients: 3, numUsers: 2, numSubs: 5 });
  const nodeB = new RecordingLocalNode({ numClients: 1, numUsers: 1, numSubs: 1 });
  const planes = [
    new ControlPlane({
      nodeId: 'node-a',
      name: 'gateway-a',
      version: '0.1.0',
      bus: new MemoryControlBus({ network }),
      registry,
      local: nodeA,
    }),
    new ControlPlane({ nodeId: 'node-b', version: '0.1.0', bus: new MemoryControlBus({ network }), registry, local: nodeB }),
  ];
  const delivered = new RecordingHandler();
  const deps: HttpApiDeps = {
    config: { httpApiKey: KEY, channel: channels },
    logger,
    publisher: new ChannelPublisher(broker, channels),
    broker,
    presence,
    control: new MemoryControlBus({ network }),
    nodes: registry,
    maxBodyBytes: 4096,
  };
  let server: ApiServer;

  before(async () => {
    await broker.start(delivered);
    for (const plane of planes) await plane.start();
    server = await ApiServer.start(createHttpApi(deps));
  });
  after(async () => {
    await server.close();
    for (const plane of planes) await plane.close();
    await broker.close();
    await presence.close();
  });

  void describe('access', () => {
    void it('refuses requests without a key or with a wrong one (401)', async () => {
      const body = JSON.stringify({});
      for (const headers of [
        {},
        { 'x-api-key': 'wrong' },
        { 'x-api-key': `${KEY}x` },
        { authorization: 'apikey wrong' },
        { authorization: `Bearer ${KEY}` },
        { authorization: KEY },
      ]) {
        const res = await server.call('/api/info', { headers, body });
        assert.equal(errorOf(res, 401).code, 101, JSON.stringify(headers));
      }
    });

    void it('accepts the key in X-API-Key and in Authorization: apikey', async () => {
      resultOf(await server.call('/api/info', { headers: { 'x-api-key': KEY }, body: '{}' }));
      resultOf(await server.call('/api/info', { headers: { authorization: `apikey ${KEY}` }, body: '{}' }));
      resultOf(await server.call('/api/info', { headers: { authorization: `ApiKey ${KEY}` }, body: '{}' }));
    });

    void it('declines paths outside /api so the gateway can serve them', async () => {
      const res = await server.call('/health', { method: 'GET' });
      assert.equal(res.status, 418);
      assert.equal((await server.call('/apix', { headers: { 'x-api-key': KEY }, body: '{}' })).status, 418);
    });

    void it('answers unknown methods with 404 and code 104, non-POST with 405', async () => {
      assert.equal(errorOf(await server.api('nope', KEY, {}), 404).code, 104);
      // POST /api is the legacy newline-delimited form now: a line without "method" is a 107 line.
      assert.equal(errorOf(await server.call('/api', { headers: { 'x-api-key': KEY }, body: '{}' }), 200).code, 107);
      assert.equal(
        errorOf(await server.call('/api', { headers: { 'x-api-key': KEY }, body: '{"method":"nope","params":{}}' }), 200).code,
        104,
      );
      const res = await server.call('/api/info', { method: 'GET', headers: { 'x-api-key': KEY } });
      assert.equal(errorOf(res, 405).code, 107);
    });

    void it('answers 400 to a body that is not a JSON object', async () => {
      for (const body of ['{"channel":', '[1,2]', '"text"', 'null']) {
        const res = await server.call('/api/publish', { headers: { 'x-api-key': KEY }, body });
        assert.equal(errorOf(res, 400).code, 107, body);
      }
    });

    void it('answers 413 to an oversized body, declared or chunked', async () => {
      const big = JSON.stringify({ channel: 'chat:big', data: 'x'.repeat(5000) });
      assert.equal(errorOf(await server.call('/api/publish', { headers: { 'x-api-key': KEY }, body: big }), 413).code, 106);
      const chunked = await server.call('/api/publish', { headers: { 'x-api-key': KEY }, body: big, chunked: true });
      assert.equal(errorOf(chunked, 413).code, 106);
      const history = resultOf(await server.api('history', KEY, { channel: 'chat:big', limit: -1 }));
      assert.deepEqual(history.publications, []);
    });

    void it('is disabled without a key: 404 with a clear error, and a start-up warning', async () => {
      const disabled = await ApiServer.start(createHttpApi({ ...deps, config: { httpApiKey: null, channel: channels } }));
      try {
        const err = errorOf(await disabled.api('publish', '', { channel: 'chat', data: 1 }), 404);
        assert.equal(err.code, 108);
        assert.match(err.message, /HTTP_API_KEY/);
      } finally {
        await disabled.close();
      }
      assert.match(httpApiDisabledWarning({ httpApiKey: null }) ?? '', /HTTP_API_KEY/);
      assert.equal(httpApiDisabledWarning({ httpApiKey: KEY }), null);
    });
  });

  void describe('publish and broadcast', () => {
    void it('publishes the exact JSON of data with tags and returns the stream position', async () => {
      await broker.subscribe('chat:exact');
      const raw = '{"channel":"chat:exact","data":{"n":12345678901234567890,"s":"h\\u00e9"},"tags":{"k":"v"}}';
      const res = await server.call('/api/publish', { headers: { 'x-api-key': KEY }, body: raw });
      const result = resultOf(res);
      assert.equal(result.offset, 1);
      assert.equal(typeof result.epoch, 'string');
      assert.notEqual(result.epoch, '');
      await delivered.until(() => delivered.pubs('chat:exact').length === 1, 'delivery');
      const pub = delivered.pubs('chat:exact')[0]!;
      assert.equal(text(pub.data), '{"n":12345678901234567890,"s":"h\\u00e9"}');
      assert.deepEqual(pub.tags, { k: 'v' });
    });

    void it('publishes without history to a namespace that keeps none (offset 0)', async () => {
      assert.deepEqual(resultOf(await server.api('publish', KEY, { channel: 'user:42', data: 'hi' })), { offset: 0, epoch: '' });
    });

    void it('publishes b64data as bytes', async () => {
      await broker.subscribe('chat:binary');
      resultOf(await server.api('publish', KEY, { channel: 'chat:binary', b64data: Buffer.from([0, 1, 255]).toString('base64') }));
      await delivered.until(() => delivered.pubs('chat:binary').length === 1, 'binary delivery');
      assert.deepEqual([...delivered.pubs('chat:binary')[0]!.data], [0, 1, 255]);
      const history = resultOf(await server.api('history', KEY, { channel: 'chat:binary', limit: 1 }));
      assert.deepEqual(history.publications, [{ b64data: 'AAH/', offset: 1 }]);
    });

    void it('validates publish requests', async () => {
      const cases: [unknown, number][] = [
        [{ data: 1 }, 107],
        [{ channel: 'chat:x' }, 107],
        [{ channel: 'nope:x', data: 1 }, 102],
        [{ channel: 'other', data: 1 }, 102],
        [{ channel: 'chat:a b', data: 1 }, 107],
        [{ channel: `chat:${'x'.repeat(300)}`, data: 1 }, 107],
        [{ channel: 'chat:', data: 1 }, 107],
        [{ channel: 'chat:lobby\u200b', data: 1 }, 107],
        [{ channel: 'chat:\u202egnp', data: 1 }, 107],
        [{ channel: 'chat:a\r\nPING', data: 1 }, 107],
        [{ channel: 42, data: 1 }, 107],
        [{ channel: 'chat:x', data: 1, tags: { a: 1 } }, 107],
        [{ channel: 'chat:x', data: 1, skip_history: 'yes' }, 107],
        [{ channel: 'chat:x', data: 1, idempotency_key: 'k'.repeat(257) }, 107],
        [{ channel: 'chat:x', b64data: 'not base64!' }, 107],
      ];
      for (const [body, code] of cases) {
        const err = errorOf(await server.api('publish', KEY, body));
        assert.equal(err.code, code, JSON.stringify(body));
      }
    });

    void it('broadcasts to several channels with one response per channel, in order', async () => {
      const result = resultOf(
        await server.api('broadcast', KEY, { channels: ['chat:b1', 'nope:b2', 'user:7', 'chat:b1'], data: { x: 1 } }),
      );
      const responses = result.responses as { result?: { offset: number; epoch: string }; error?: { code: number } }[];
      assert.equal(responses.length, 4);
      assert.equal(responses[0]!.result?.offset, 1);
      assert.equal(responses[1]!.error?.code, 102);
      assert.deepEqual(responses[2]!.result, { offset: 0, epoch: '' });
      assert.equal(responses[3]!.result?.offset, 2);
      assert.equal(errorOf(await server.api('broadcast', KEY, { channels: [], data: 1 })).code, 107);
    });
  });

  void describe('history', () => {
    const ch = 'chat:history';
    before(async () => {
      for (let i = 1; i <= 5; i++) resultOf(await server.api('publish', KEY, { channel: ch, data: { i } }));
    });

    void it('returns the position only by default, and pages forward and in reverse', async () => {
      const top = resultOf(await server.api('history', KEY, { channel: ch }));
      assert.deepEqual(top.publications, []);
      assert.equal(top.offset, 5);
      const epoch = top.epoch as string;
      const all = resultOf(await server.api('history', KEY, { channel: ch, limit: -1 }));
      assert.deepEqual(
        (all.publications as { data: unknown; offset: number }[]).map((p) => [p.data, p.offset]),
        [
          [{ i: 1 }, 1],
          [{ i: 2 }, 2],
          [{ i: 3 }, 3],
          [{ i: 4 }, 4],
          [{ i: 5 }, 5],
        ],
      );
      const since = resultOf(await server.api('history', KEY, { channel: ch, limit: 2, since: { offset: 2, epoch } }));
      assert.deepEqual(
        (since.publications as { offset: number }[]).map((p) => p.offset),
        [3, 4],
      );
      const reverse = resultOf(await server.api('history', KEY, { channel: ch, limit: 2, reverse: true }));
      assert.deepEqual(
        (reverse.publications as { offset: number }[]).map((p) => p.offset),
        [5, 4],
      );
    });

    void it('refuses a position of another epoch (112), a bad limit (107), a namespace without history (108)', async () => {
      assert.equal(errorOf(await server.api('history', KEY, { channel: ch, limit: 1, since: { offset: 1, epoch: 'other' } })).code, 112);
      assert.equal(errorOf(await server.api('history', KEY, { channel: ch, limit: -2 })).code, 107);
      assert.equal(errorOf(await server.api('history', KEY, { channel: ch, limit: 1.5 })).code, 107);
      assert.equal(errorOf(await server.api('history', KEY, { channel: 'user:1', limit: 1 })).code, 108);
      assert.equal(errorOf(await server.api('history', KEY, { channel: 'nope:1' })).code, 102);
    });

    void it('removes history with history_remove', async () => {
      const c = 'chat:removed';
      resultOf(await server.api('publish', KEY, { channel: c, data: 1 }));
      assert.deepEqual(resultOf(await server.api('history_remove', KEY, { channel: c })), {});
      assert.deepEqual(resultOf(await server.api('history', KEY, { channel: c, limit: -1 })).publications, []);
    });
  });

  void describe('presence', () => {
    void it('lists presence with raw conn_info and counts it', async () => {
      const ch = 'chat:presence';
      const info = new TextEncoder().encode('{"name":"Ann"}');
      await presence.addPresence(ch, 'c1', { user: 'u1', client: 'c1', conn_info: info }, 60_000);
      await presence.addPresence(ch, 'c2', { user: 'u1', client: 'c2' }, 60_000);
      await presence.addPresence(ch, 'c3', { user: 'u2', client: 'c3' }, 60_000);
      const result = resultOf(await server.api('presence', KEY, { channel: ch }));
      assert.deepEqual(result, {
        presence: {
          c1: { user: 'u1', client: 'c1', conn_info: { name: 'Ann' } },
          c2: { user: 'u1', client: 'c2' },
          c3: { user: 'u2', client: 'c3' },
        },
      });
      assert.deepEqual(resultOf(await server.api('presence_stats', KEY, { channel: ch })), { num_clients: 3, num_users: 2 });
    });

    void it('is not available where the namespace has presence off', async () => {
      assert.equal(errorOf(await server.api('presence', KEY, { channel: 'user:1' })).code, 108);
      assert.equal(errorOf(await server.api('presence_stats', KEY, { channel: 'user:1' })).code, 108);
      assert.equal(errorOf(await server.api('presence', KEY, {})).code, 107);
    });
  });

  void describe('disconnect, unsubscribe, info', () => {
    void it('sends a disconnect to every node, with the default or the given code and reason', async () => {
      assert.deepEqual(resultOf(await server.api('disconnect', KEY, { user: 'd1' })), {});
      resultOf(await server.api('disconnect', KEY, { user: 'd2', client: 'c9', disconnect: { code: 4001, reason: 'bye' } }));
      for (const node of [nodeA, nodeB]) {
        await until(() => node.calls.some((c) => c.user === 'd2'), 'disconnect delivery');
        assert.deepEqual(
          node.calls.filter((c) => c.user.startsWith('d')),
          [
            { op: 'disconnect', user: 'd1', code: 3503, reason: 'force disconnect' },
            { op: 'disconnect', user: 'd2', code: 4001, reason: 'bye', client: 'c9' },
          ],
        );
      }
    });

    void it('validates disconnect requests', async () => {
      for (const body of [
        {},
        { user: '' },
        { user: 'x', disconnect: { code: 1000 } },
        { user: 'x', disconnect: { code: 4000, reason: 'r'.repeat(124) } },
        { user: 'x', whitelist: ['c1'] },
      ]) {
        assert.equal(errorOf(await server.api('disconnect', KEY, body)).code, 107, JSON.stringify(body));
      }
    });

    void it('sends an unsubscribe to every node after checking the channel', async () => {
      resultOf(await server.api('unsubscribe', KEY, { user: 'un1', channel: 'chat:room', client: 'c1' }));
      for (const node of [nodeA, nodeB]) {
        await until(() => node.calls.some((c) => c.user === 'un1'), 'unsubscribe delivery');
        assert.deepEqual(
          node.calls.filter((c) => c.user === 'un1'),
          [{ op: 'unsubscribe', user: 'un1', channel: 'chat:room', client: 'c1' }],
        );
      }
      assert.equal(errorOf(await server.api('unsubscribe', KEY, { user: 'un1', channel: 'nope:x' })).code, 102);
      assert.equal(errorOf(await server.api('unsubscribe', KEY, { user: 'un1' })).code, 107);
    });

    void it('lists the live nodes with their counts', async () => {
      const result = resultOf(await server.api('info', KEY, {}));
      const nodes = result.nodes as Record<string, unknown>[];
      assert.equal(nodes.length, 2);
      assert.deepEqual(
        { ...nodes[0], uptime: 0 },
        {
          uid: 'node-a',
          name: 'gateway-a',
          version: '0.1.0',
          num_clients: 3,
          num_users: 2,
          num_subs: 5,
          uptime: 0,
        },
      );
      assert.equal(nodes[1]!.uid, 'node-b');
      assert.equal(nodes[1]!.name, 'node-b');
    });
  });
});
