// The rest of the subscribe protocol with the real client (JSON and protobuf builds): fossil delta
// compression decoded by the client into the exact original payloads (live, recovered, after a
// reconnect), reject-unrecovered (112) driving getState, refusal of map subscriptions, tag
// filters, and channel compaction on the wire.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext, SubscribedContext, UnsubscribedContext } from 'centrifuge';
import { CLIENT_PROTOCOLS, newClient, nextEvent, rawConnect, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';

const HISTORY = { history_size: 50, history_ttl: '5m', force_recovery: true };
const OPEN = { allow_subscribe_for_client: true, allow_publish_for_client: true };

/** A document that changes a little every time, with non-ASCII text and raw newlines (indented). */
function doc(i: number): string {
  const rows = Array.from({ length: 40 }, (_, r) => ({ row: r, score: r === i % 40 ? i * 7 : r, name: `player ${r} — joueur ✓` }));
  return JSON.stringify({ version: i, board: rows }, null, 2);
}

const text = new TextDecoder();

for (const protocol of CLIENT_PROTOCOLS) {
  void describe(`subscribe options with the ${protocol} client`, () => {
    let gw: TestGateway;
    let dir: string;
    const clients: Centrifuge[] = [];
    const client = (options: Parameters<typeof newClient>[2] = {}): Centrifuge => {
      const c = newClient(gw.wsUrl, protocol, options);
      clients.push(c);
      return c;
    };
    /** What the subscriber received, as text: exact bytes for protobuf, re-serialised values for JSON. */
    const received = (p: PublicationContext): string => (p.data instanceof Uint8Array ? text.decode(p.data) : JSON.stringify(p.data));
    const expected = (s: string): string => (protocol === 'protobuf' ? s : JSON.stringify(JSON.parse(s)));

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gw-subopts-'));
      const file = join(dir, 'config.json');
      writeFileSync(
        file,
        JSON.stringify({
          channel: {
            namespaces: [
              { name: 'delta', ...OPEN, ...HISTORY, allowed_delta_types: ['fossil'] },
              { name: 'plain', ...OPEN, ...HISTORY },
              { name: 'small', ...OPEN, history_size: 2, history_ttl: '5m', force_recovery: true },
              { name: 'tags', ...OPEN, ...HISTORY, allow_tags_filter: true },
            ],
          },
        }),
      );
      gw = await startTestGateway({ CONFIG_FILE: file });
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    });

    void it('delta: the client rebuilds every payload exactly, live and recovered after a reconnect', async () => {
      const channel = `delta:board-${protocol}`;
      const c = client({ minReconnectDelay: 200, maxReconnectDelay: 300 });
      const sub = c.newSubscription(channel, { delta: 'fossil' });
      const got: string[] = [];
      const subscribed: SubscribedContext[] = [];
      sub.on('publication', (p: PublicationContext) => got.push(received(p)));
      sub.on('subscribed', (ctx: SubscribedContext) => subscribed.push(ctx));
      sub.subscribe();
      const connected = nextEvent<{ client: string }>(c, 'connected');
      c.connect();
      const { client: clientId } = await connected;
      await sub.ready(4000);
      const sent: string[] = [];
      for (let i = 1; i <= 10; i++) {
        sent.push(doc(i));
        await gw.publisher.publish(channel, sent[sent.length - 1]!);
      }
      await waitUntil(() => got.length === 10, 4000, 'ten live publications');
      assert.deepEqual(got, sent.map(expected));
      const live = sub.deltaStats();
      assert.equal(live.numFullPayloads, 1, 'only the first publication is full');
      assert.equal(live.numDeltaPayloads, 9);
      assert.ok(
        live.bytesReceived < live.bytesDecoded / 3,
        `deltas are much smaller (${live.bytesReceived} of ${live.bytesDecoded} bytes)`,
      );

      assert.equal(gw.gateway.disconnectClient(clientId), true);
      for (let i = 11; i <= 15; i++) {
        sent.push(doc(i));
        await gw.publisher.publish(channel, sent[sent.length - 1]!);
      }
      await waitUntil(() => subscribed.length === 2 && got.length === 15, 6000, 'recovered publications');
      assert.equal(subscribed[1]?.recovered, true);
      for (let i = 16; i <= 18; i++) {
        sent.push(doc(i));
        await gw.publisher.publish(channel, sent[sent.length - 1]!);
      }
      await waitUntil(() => got.length === 18, 4000, 'live publications after recovery');
      assert.deepEqual(got, sent.map(expected));
      assert.ok(sub.deltaStats().numDeltaPayloads >= 9 + 4 + 2, 'recovered and later publications are deltas too');
    });

    void it('delta: not negotiated where the namespace does not allow it; payloads arrive in full', async () => {
      const channel = `plain:board-${protocol}`;
      const c = client();
      const sub = c.newSubscription(channel, { delta: 'fossil' });
      const got: string[] = [];
      sub.on('publication', (p: PublicationContext) => got.push(received(p)));
      sub.subscribe();
      c.connect();
      await sub.ready(4000);
      await gw.publisher.publish(channel, doc(1));
      await gw.publisher.publish(channel, doc(2));
      await waitUntil(() => got.length === 2, 4000, 'two publications');
      assert.deepEqual(got, [doc(1), doc(2)].map(expected));
      assert.equal(sub.deltaStats().numDeltaPayloads, 0);
    });

    void it('reject unrecovered: a lost position is answered with 112 and the client reloads through getState', async () => {
      const channel = `small:state-${protocol}`;
      const history = { size: 2, ttlMs: 300_000 };
      let stateCalls = 0;
      const c = client({ minReconnectDelay: 200, maxReconnectDelay: 300 });
      const sub = c.newSubscription(channel, {
        getState: async () => {
          stateCalls++;
          return (await gw.broker.history(channel, { limit: 0 }, history)).position;
        },
      });
      const subscribed: SubscribedContext[] = [];
      sub.on('subscribed', (ctx: SubscribedContext) => subscribed.push(ctx));
      const got: string[] = [];
      sub.on('publication', (p: PublicationContext) => got.push(received(p)));
      sub.subscribe();
      const connected = nextEvent<{ client: string }>(c, 'connected');
      c.connect();
      const { client: clientId } = await connected;
      await sub.ready(4000);
      assert.equal(stateCalls, 1);
      const errorsBefore = await subscribeErrors(gw);
      assert.equal(gw.gateway.disconnectClient(clientId), true);
      // More publications than the channel keeps: the position the client holds is gone.
      for (let i = 1; i <= 5; i++) await gw.publisher.publish(channel, JSON.stringify({ n: i }));
      await waitUntil(() => stateCalls === 2 && subscribed.length >= 2, 6000, 'getState called again after 112');
      assert.ok((await subscribeErrors(gw)) > errorsBefore, 'the server answered the subscribe with an error (112)');
      await gw.publisher.publish(channel, JSON.stringify({ n: 6 }));
      await waitUntil(() => got.length >= 1, 4000, 'live publication after reloading');
      assert.equal(got.at(-1), expected(JSON.stringify({ n: 6 })));
    });

    void it('refuses a map subscription clearly (108) instead of treating it as a stream', async () => {
      const c = client();
      c.connect();
      await c.ready(4000);
      const map = c.newMapSubscription(`plain:map-${protocol}`);
      const unsubscribed = nextEvent<UnsubscribedContext>(map, 'unsubscribed');
      map.subscribe();
      const u = await unsubscribed;
      assert.equal(u.code, 108);
    });

    void it('tags filter: only matching publications arrive; refused (107) where the namespace does not allow it', async () => {
      const channel = `tags:feed-${protocol}`;
      const c = client();
      const sub = c.newSubscription(channel, {
        tagsFilter: {
          op: 'or',
          nodes: [
            { key: 'kind', cmp: 'eq', val: 'goal' },
            { key: 'minute', cmp: 'gte', val: '90' },
          ],
        },
      });
      const got: string[] = [];
      sub.on('publication', (p: PublicationContext) => got.push(received(p)));
      sub.subscribe();
      c.connect();
      await sub.ready(4000);
      const events: [string, Record<string, string>][] = [
        ['{"e":1}', { kind: 'corner', minute: '10' }],
        ['{"e":2}', { kind: 'goal', minute: '12' }],
        ['{"e":3}', { minute: '55' }],
        ['{"e":4}', { kind: 'card', minute: '91' }],
      ];
      for (const [data, tags] of events) await gw.publisher.publish(channel, data, { tags });
      await gw.publisher.publish(channel, '{"e":5}', { tags: { kind: 'goal' } });
      await waitUntil(() => got.length === 3, 4000, 'three matching publications');
      assert.deepEqual(got, ['{"e":2}', '{"e":4}', '{"e":5}']);

      const refused = c.newSubscription(`plain:feed-${protocol}`, { tagsFilter: { key: 'kind', cmp: 'eq', val: 'goal' } });
      const unsubscribed = nextEvent<UnsubscribedContext>(refused, 'unsubscribed');
      refused.subscribe();
      assert.equal((await unsubscribed).code, 107);
    });
  });
}

/** Subscribe commands the gateway answered with an error. */
async function subscribeErrors(gw: TestGateway): Promise<number> {
  const metric = await gw.registry.getSingleMetric('gateway_commands_total')?.get();
  return metric?.values.find((v) => v.labels['method'] === 'subscribe' && v.labels['result'] === 'error')?.value ?? 0;
}

void describe('channel compaction on the wire', () => {
  void it('a JSON subscribe with flag bit 1 gets an id, and publications carry the id instead of the channel', async () => {
    const gw = await startTestGateway();
    try {
      const conn = rawConnect(gw.wsUrl);
      await conn.opened;
      conn.send('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"chat:compact","flag":1}}');
      let frames = '';
      await waitUntil(
        async () => {
          frames += (await conn.nextFrame()).toString('utf8') + '\n';
          return frames.includes('"id":2');
        },
        4000,
        'subscribe reply',
      );
      const reply = frames
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { id?: number; subscribe?: { id?: number } })
        .find((r) => r.id === 2);
      const id = reply?.subscribe?.id;
      assert.ok(typeof id === 'number' && id > 0, 'SubscribeResult.id');
      await gw.publisher.publish('chat:compact', '{"x":1}');
      const push = JSON.parse((await conn.nextFrame()).toString('utf8')) as {
        push: { id?: number; channel?: string; pub: { data: unknown } };
      };
      assert.equal(push.push.id, id);
      assert.equal(push.push.channel, undefined);
      assert.deepEqual(push.push.pub.data, { x: 1 });
      conn.ws.close();
    } finally {
      await gw.close();
    }
  });
});
