// Workers decide what the client sees: in a `publish_mode: "handled"` namespace the real client's
// publish waits for the owning worker's handler and rejects with its ClientError; a slow handler
// gives a temporary error while the message stays queued and is still handled; rpc carries a
// ClientError too. `publish_data` "json" takes any JSON value, "any" takes arbitrary bytes.
// Real redis-server, Redis streams between gateway and worker, JSON and protobuf clients.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext } from 'centrifuge';
import { createRedisPipeline, type StreamMessage } from '../../src/queue/index.js';
import { ClientError, createRedisWorker, messageData, type Worker } from '../../src/worker/index.js';
import { useRedisServer } from '../helpers/redis-server.js';
import {
  CLIENT_PROTOCOLS,
  fromPayload,
  newClient,
  nextEvent,
  payload,
  startTestGateway,
  waitUntil,
  type TestGateway,
} from '../helpers/gateway.js';

const open = { allow_subscribe_for_client: true, allow_publish_for_client: true };
const channelRules = {
  channel: {
    namespaces: [
      { name: 'mod', publish_mode: 'handled', publish_data: 'json', ...open },
      { name: 'slow', publish_mode: 'handled', publish_data: 'json', publish_timeout: '300ms', ...open },
      { name: 'free', ...open },
      { name: 'appendjson', publish_data: 'json', ...open },
    ],
  },
};

const fixture = useRedisServer();

interface ErrorReply {
  code: number;
  message: string;
  temporary?: boolean;
}

void describe('verdicts and payload rules, worker over Redis', () => {
  let dir: string;
  let gw: TestGateway;
  let worker: Worker;
  const handled: StreamMessage[] = [];
  const bytesSeen: Uint8Array[] = [];
  let releaseSlow!: () => void;
  const slowReleased = new Promise<void>((r) => {
    releaseSlow = r;
  });
  const clients: Centrifuge[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdicts-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(channelRules));
    const prefix = `v${randomUUID().slice(0, 8)}`;
    gw = await startTestGateway(
      { CONFIG_FILE: file, RPC_TIMEOUT: '3s' },
      {
        pipeline: () => createRedisPipeline({ redisUrl: fixture.server.url, prefix, nodeId: 'node-v', routeCacheTtlMs: 30_000 }),
      },
    );
    worker = createRedisWorker({
      id: 'verdict-worker',
      redisUrl: fixture.server.url,
      prefix,
      heartbeatMs: 200,
      maxAttempts: 2,
      backoff: () => 10,
      publisher: {
        publish: async (channel, data, opts) => {
          await gw.publisher.publish(channel, data, opts ?? {});
        },
      },
      handler: async (msg, ctx) => {
        if (msg.kind === 'rpc') {
          if (msg.method === 'deny') throw new ClientError(1001, 'not for you');
          return JSON.stringify({ ok: true });
        }
        if (msg.channel.startsWith('slow:')) await slowReleased;
        const value = msg.dataEncoding === undefined ? (JSON.parse(msg.data) as Record<string, unknown>) : null;
        if (typeof value?.['bad'] === 'string' && value['bad'].includes('REJECT'))
          throw new ClientError(451, 'unavailable for legal reasons');
        if (value?.['later'] === true) throw new ClientError(429, 'slow down', { temporary: true });
        handled.push(msg);
        const data = messageData(msg);
        if (data instanceof Uint8Array) bytesSeen.push(data);
        await ctx.publish(msg.channel, data);
        return undefined;
      },
    });
    await worker.start();
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    releaseSlow();
    await worker.close();
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const protocol of CLIENT_PROTOCOLS) {
    const connect = async (): Promise<Centrifuge> => {
      const c = newClient(gw.wsUrl, protocol);
      clients.push(c);
      c.connect();
      await c.ready(4000);
      return c;
    };

    void it(`${protocol}: a handled publish succeeds once handled and rejects with the handler's ClientError`, async () => {
      const c = await connect();
      const channel = `mod:room-${protocol}`;
      const sub = c.newSubscription(channel);
      const first = nextEvent<PublicationContext>(sub, 'publication');
      sub.subscribe();
      await sub.ready(4000);

      await c.publish(channel, payload(protocol, { hi: 1 }));
      // The reply came after the handler: the message is already handled when publish resolves.
      assert.ok(
        handled.some((m) => m.channel === channel && m.data === '{"hi":1}'),
        'handled before the reply',
      );
      assert.deepEqual(fromPayload((await first).data), { hi: 1 });

      await assert.rejects(c.publish(channel, payload(protocol, { bad: 'REJECT me' })), (e: ErrorReply) => {
        assert.equal(e.code, 451);
        assert.equal(e.message, 'unavailable for legal reasons');
        assert.notEqual(e.temporary, true);
        return true;
      });
      await assert.rejects(
        c.publish(channel, payload(protocol, { later: true })),
        (e: ErrorReply) => e.code === 429 && e.message === 'slow down' && e.temporary === true,
      );
      assert.equal(handled.filter((m) => m.channel === channel).length, 1, 'refused messages are not handled twice or retried');
      // Not JSON in a "json" namespace: refused by the gateway before any worker sees it.
      if (protocol === 'protobuf') {
        await assert.rejects(c.publish(channel, new TextEncoder().encode('not json')), (e: ErrorReply) => e.code === 107);
      }
    });

    void it(`${protocol}: rpc rejects with the handler's ClientError`, async () => {
      const c = await connect();
      await assert.rejects(c.rpc('deny', payload(protocol, {})), (e: ErrorReply) => e.code === 1001 && e.message === 'not for you');
      const ok = await c.rpc('fine', payload(protocol, {}));
      assert.deepEqual(fromPayload(ok.data), { ok: true });
    });

    void it(`${protocol}: "json" takes {"hi": 1} in append mode, "any" takes a JSON string and arbitrary bytes`, async () => {
      const c = await connect();
      await c.publish(`appendjson:x-${protocol}`, payload(protocol, { hi: 1 }));
      await c.publish(`appendjson:x-${protocol}`, payload(protocol, [1, 'two']));
      await waitUntil(() => handled.filter((m) => m.channel === `appendjson:x-${protocol}`).length === 2, 5000, 'json payloads handled');
      assert.deepEqual(
        handled.filter((m) => m.channel === `appendjson:x-${protocol}`).map((m) => JSON.parse(m.data) as unknown),
        [{ hi: 1 }, [1, 'two']],
      );

      await c.publish(`free:x-${protocol}`, payload(protocol, 'just a string'));
      await waitUntil(() => handled.some((m) => m.channel === `free:x-${protocol}`), 5000, 'string payload handled');
      assert.equal(handled.find((m) => m.channel === `free:x-${protocol}`)?.data, '"just a string"');
      if (protocol === 'protobuf') {
        const bytes = Uint8Array.from([0xff, 0x00, 0x80, 0x0a, 0xfe]);
        const sub = c.newSubscription('free:bin');
        const received = nextEvent<PublicationContext>(sub, 'publication');
        sub.subscribe();
        await sub.ready(4000);
        await c.publish('free:bin', bytes);
        await waitUntil(() => bytesSeen.length > 0, 5000, 'binary payload handled');
        assert.deepEqual([...bytesSeen[0]!], [...bytes]);
        assert.deepEqual([...((await received).data as Uint8Array)], [...bytes], 'the bytes come back untouched');
      }
    });
  }

  void it('handled publishes sent back to back are handled in order, each answered', async () => {
    const c = newClient(gw.wsUrl, 'protobuf');
    clients.push(c);
    c.connect();
    await c.ready(4000);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, seq) => c.publish('mod:order', payload('protobuf', seq % 7 === 3 ? { seq, bad: 'REJECT' } : { seq }))),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array.from({ length: 30 }, (_, seq) => (seq % 7 === 3 ? 'rejected' : 'fulfilled')),
    );
    const order = handled.filter((m) => m.channel === 'mod:order').map((m) => (JSON.parse(m.data) as { seq: number }).seq);
    assert.deepEqual(
      order,
      Array.from({ length: 30 }, (_, seq) => seq).filter((seq) => seq % 7 !== 3),
    );
  });

  void it('a handled publish not handled in time gets a temporary error and is still handled, with the message id', async () => {
    const c = newClient(gw.wsUrl, 'json');
    clients.push(c);
    c.connect();
    await c.ready(4000);
    let error: ErrorReply | undefined;
    await c.publish('slow:room', { n: 1 }).catch((e: ErrorReply) => {
      error = e;
    });
    assert.equal(error?.code, 100);
    assert.equal(error?.temporary, true);
    assert.match(error?.message ?? '', /not handled within 300 ms; it stays queued/);
    releaseSlow();
    await waitUntil(() => handled.some((m) => m.channel === 'slow:room'), 5000, 'the timed-out publish to be handled');
    const id = handled.find((m) => m.channel === 'slow:room')?.id ?? '';
    assert.ok(error?.message.includes(id), `the error names message id ${id}`);
  });
});
