// Server-side subscriptions from the connection token's `channels` and `subs` claims with the real
// client (JSON and protobuf builds): publications arrive without a subscribe command, ConnectResult
// `subs` carries positions, a reconnect recovers what was missed through ConnectRequest `subs`.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext, ServerSubscribedContext } from 'centrifuge';
import { signToken } from '../../src/gateway/index.js';
import { CLIENT_PROTOCOLS, newClient, nextEvent, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'server-side-subs-secret';
const token = (claims: Record<string, unknown>): string => signToken({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims }, SECRET);
const text = (data: unknown): string => (data instanceof Uint8Array ? Buffer.from(data).toString('utf8') : JSON.stringify(data));

const configFile = {
  channel: {
    namespaces: [{ name: 'feed', history_size: 50, history_ttl: '5m', force_recovery: true }, { name: 'plain' }],
  },
};

for (const protocol of CLIENT_PROTOCOLS) {
  void describe(`server-side subscriptions with the ${protocol} client`, () => {
    let gw: TestGateway;
    const clients: Centrifuge[] = [];
    before(async () => {
      gw = await startTestGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET }, { configFile });
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await gw.close();
    });

    void it('a channels claim and a subs claim deliver publications with no client subscribe', async () => {
      const c = newClient(gw.wsUrl, protocol, {
        token: token({ sub: 'u1', channels: ['feed:news'], subs: { 'plain:x': { info: { role: 'reader' } } } }),
      });
      clients.push(c);
      const subscribed: ServerSubscribedContext[] = [];
      c.on('subscribed', (ctx) => subscribed.push(ctx));
      const pubs: PublicationContext[] = [];
      c.on('publication', (ctx) => pubs.push(ctx));
      c.connect();
      await waitUntil(() => subscribed.length === 2, 5000, 'two server-side subscribed events');
      const feed = subscribed.find((s) => s.channel === 'feed:news');
      assert.equal(feed?.recoverable, true);
      assert.equal(feed?.positioned, true);
      assert.deepEqual(Object.keys(c.subscriptions()), [], 'no client-side subscription exists');

      await gw.publisher.publish('feed:news', Buffer.from('{"n":1}'));
      await gw.publisher.publish('plain:x', Buffer.from('{"n":2}'));
      await waitUntil(() => pubs.length === 2, 5000, 'two publications');
      assert.deepEqual(pubs.map((p) => [p.channel, text(p.data)]).sort(), [
        ['feed:news', '{"n":1}'],
        ['plain:x', '{"n":2}'],
      ]);
      assert.equal(pubs.find((p) => p.channel === 'feed:news')?.offset, 1);
      const presence = await gw.presence.presence('plain:x');
      assert.equal(Object.keys(presence).length, 0, 'namespace without presence keeps none');
    });

    void it('a reconnect recovers publications missed while away through the connect subs', async () => {
      const c = newClient(gw.wsUrl, protocol, { token: token({ sub: 'u2', channels: ['feed:recover'] }) });
      clients.push(c);
      const pubs: string[] = [];
      c.on('publication', (ctx) => pubs.push(text(ctx.data)));
      const subscribed: ServerSubscribedContext[] = [];
      c.on('subscribed', (ctx) => subscribed.push(ctx));
      c.connect();
      await waitUntil(() => subscribed.length === 1, 5000, 'subscribed');
      await gw.publisher.publish('feed:recover', Buffer.from('{"m":1}'));
      await waitUntil(() => pubs.length === 1, 5000, 'first publication');

      const disconnected = nextEvent(c, 'connecting');
      assert.equal(gw.gateway.disconnectClient(clientIdOf(c)), true);
      await disconnected;
      await gw.publisher.publish('feed:recover', Buffer.from('{"m":2}'));
      await gw.publisher.publish('feed:recover', Buffer.from('{"m":3}'));
      await waitUntil(() => subscribed.length === 2, 5000, 'resubscribed after reconnect');
      assert.equal(subscribed[1]?.wasRecovering, true);
      assert.equal(subscribed[1]?.recovered, true);
      await waitUntil(() => pubs.length === 3, 5000, 'missed publications recovered');
      assert.deepEqual(pubs, ['{"m":1}', '{"m":2}', '{"m":3}']);
    });

    void it('a subs override turns presence on for that subscription only', async () => {
      const c = newClient(gw.wsUrl, protocol, {
        token: token({ sub: 'u4', subs: { 'plain:seen': { override: { presence: { value: true } } }, 'plain:unseen': {} } }),
      });
      clients.push(c);
      const subscribed: ServerSubscribedContext[] = [];
      c.on('subscribed', (ctx) => subscribed.push(ctx));
      c.connect();
      await waitUntil(() => subscribed.length === 2, 5000, 'two server-side subscriptions');
      assert.deepEqual(
        Object.values(await gw.presence.presence('plain:seen')).map((i) => i.user),
        ['u4'],
      );
      assert.deepEqual(await gw.presence.presence('plain:unseen'), {});
    });

    void it('a token naming an unknown namespace fails the connect with 102', async () => {
      const c = newClient(gw.wsUrl, protocol, { token: token({ sub: 'u3', channels: ['nope:x'] }) });
      clients.push(c);
      const disconnected = nextEvent<{ code: number }>(c, 'disconnected');
      c.connect();
      assert.equal((await disconnected).code, 102);
      c.disconnect();
    });
  });
}

/** The client id the gateway gave this client (centrifuge-js keeps it after connect). */
function clientIdOf(c: Centrifuge): string {
  const id = (c as unknown as { _client: string | null })._client;
  assert.ok(typeof id === 'string' && id !== '');
  return id;
}
