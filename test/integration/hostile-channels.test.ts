// Issue 11, item 9: channel creation is bounded. history_meta_ttl (channel level and per
// namespace) sets how long a history channel's metadata lives in Redis, and one connection may
// bring at most CLIENT_CHANNEL_CREATE_RATE_LIMIT new history channels into use a second (111 beyond).

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Centrifuge } from 'centrifuge';
import { RedisBroker } from '../../src/engine/index.js';
import { CLIENT_PROTOCOLS, newClient, payload, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';
import { useRedisServer } from '../helpers/redis-server.js';
import { RedisKeys } from '../../src/redis/index.js';

const history = {
  history_size: 10,
  history_ttl: '60s',
  force_recovery: true,
  allow_subscribe_for_client: true,
  allow_publish_for_client: true,
  allow_history_for_subscriber: true,
};

async function rejection(p: Promise<unknown>): Promise<{ code: number; message: string; temporary?: boolean }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; message: string; temporary?: boolean };
  }
  throw new Error('expected a rejection');
}

void describe('hostile channels: history_meta_ttl and the channel-creation rate', () => {
  let gw: TestGateway | undefined;
  let conn: Redis | undefined;
  const clients: Centrifuge[] = [];
  const redisFixture = useRedisServer({
    beforeClose: async () => {
      for (const c of clients) c.disconnect();
      await gw?.close();
      conn?.disconnect();
    },
  });
  const prefix = `hc${process.pid}`;
  const keys = new RedisKeys(prefix);
  const gateway = (): TestGateway => {
    if (gw === undefined) throw new Error('gateway not started');
    return gw;
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-channels-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        channel: {
          history_meta_ttl: '2h',
          without_namespace: null,
          namespaces: [
            { name: 'chat', ...history, history_meta_ttl: '90s' },
            { name: 'news', ...history },
            { name: 'plain', allow_publish_for_client: true },
          ],
        },
      }),
    );
    conn = new Redis(redisFixture.server.url);
    gw = await startTestGateway(
      { CONFIG_FILE: file, CLIENT_CHANNEL_CREATE_RATE_LIMIT: '5' },
      { broker: new RedisBroker({ redis: conn, prefix }) },
    );
  });

  void it('applies the namespace history_meta_ttl, else channel.history_meta_ttl, to the metadata key', async () => {
    const c = newClient(gateway().wsUrl, 'json');
    clients.push(c);
    c.connect();
    await c.ready(4000);
    await c.publish('chat:ttl', { text: 'a' });
    await c.publish('news:ttl', { text: 'a' });
    await waitUntil(async () => (await redisFixture.redis.exists(keys.historyMeta('news:ttl'))) === 1, 4000, 'meta written');
    const chatTtl = await redisFixture.redis.pttl(keys.historyMeta('chat:ttl'));
    const newsTtl = await redisFixture.redis.pttl(keys.historyMeta('news:ttl'));
    assert.ok(chatTtl > 80_000 && chatTtl <= 90_000, `chat meta pttl ${chatTtl}`);
    assert.ok(newsTtl > 7_100_000 && newsTtl <= 7_200_000, `news meta pttl ${newsTtl}`);
  });

  void it('item 1 in Redis mode: refused names write no keys (no `{chat:a\\r\\nPING}`, no 20 KB key names)', async () => {
    const c = newClient(gateway().wsUrl, 'protobuf');
    clients.push(c);
    c.connect();
    await c.ready(4000);
    for (const name of ['chat:a\r\nPING', `chat:${'k'.repeat(20_000)}`, 'chat: evil', 'chat:']) {
      assert.equal((await rejection(c.publish(name, payload('protobuf', { text: 'x' })))).code, 107);
    }
    const written = await redisFixture.redis.keys(`${prefix}:*`);
    assert.ok(
      written.every((k) => !k.includes('PING') && !k.includes(' ') && k.length < 300),
      written.join('\n').slice(0, 300),
    );
  });

  for (const protocol of CLIENT_PROTOCOLS) {
    void it(`${protocol}: one connection gets 111 past 5 new history channels at once; used, subscribed and no-history channels stay free`, async () => {
      const c = newClient(gateway().wsUrl, protocol);
      clients.push(c);
      c.connect();
      await c.ready(4000);
      const sub = c.newSubscription(`chat:home-${protocol}`);
      sub.subscribe();
      await sub.ready(4000);
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          c.publish(`chat:walk-${protocol}-${i}`, payload(protocol, { text: 'x' })).then(
            () => null,
            (err: { code: number; temporary?: boolean }) => err,
          ),
        ),
      );
      const refused = answers.filter((a) => a !== null);
      assert.ok(refused.length >= 30, `${refused.length} of 40 refused`);
      for (const r of refused) {
        assert.equal(r.code, 111);
        assert.equal(r.temporary, true);
      }
      const admitted = answers.findIndex((a) => a === null);
      // Recently used, subscribed and history-less channels cost nothing, even with the bucket empty.
      await c.publish(`chat:walk-${protocol}-${admitted}`, payload(protocol, { text: 'again' }));
      for (let i = 0; i < 20; i++) await sub.publish(payload(protocol, { text: `home ${i}` }));
      for (let i = 0; i < 20; i++) await c.publish(`plain:p-${protocol}-${i}`, payload(protocol, { text: 'x' }));
      const err = await rejection(c.history(`news:fresh-${protocol}-x`, { limit: 1 }));
      assert.ok(err.code === 111 || err.code === 103, `history of a new channel: ${err.code}`);
      // The bucket refills: a new channel is admitted again within a few seconds.
      await waitUntil(
        () =>
          c.publish(`chat:later-${protocol}`, payload(protocol, { text: 'x' })).then(
            () => true,
            () => false,
          ),
        5000,
        'refill',
      );
    });
  }
});
