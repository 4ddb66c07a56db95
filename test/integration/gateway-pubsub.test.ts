// Real `centrifuge` clients (JSON and protobuf builds) against an in-process gateway: connect,
// subscribe, publish/receive, channel rules, publish validation and subscription limits.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext, SubscribedContext, UnsubscribedContext } from 'centrifuge';
import { CLIENT_PROTOCOLS, fromPayload, newClient, nextEvent, payload, startTestGateway, type TestGateway } from '../helpers/gateway.js';

interface ReplyErrorShape {
  code: number;
  message: string;
}

async function rejection(p: Promise<unknown>): Promise<ReplyErrorShape> {
  try {
    await p;
  } catch (err) {
    return err as ReplyErrorShape;
  }
  throw new Error('expected a rejection');
}

for (const protocol of CLIENT_PROTOCOLS) {
  void describe(`gateway pub/sub with the ${protocol} client`, () => {
    let gw: TestGateway;
    const data = (value: unknown): unknown => payload(protocol, value);
    const clients: Centrifuge[] = [];
    const client = (options: Parameters<typeof newClient>[2] = {}): Centrifuge => {
      const c = newClient(gw.wsUrl, protocol, options);
      clients.push(c);
      return c;
    };
    const connected = async (options: Parameters<typeof newClient>[2] = {}): Promise<Centrifuge> => {
      const c = client(options);
      c.connect();
      await c.ready(4000);
      return c;
    };

    before(async () => {
      gw = await startTestGateway({ CLIENT_CHANNEL_LIMIT: '3', MAX_TEXT_LENGTH: '5000' });
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await gw.close();
    });

    void it('connects anonymously and gets a unique client id', async () => {
      const a = client();
      const b = client();
      const ca = nextEvent<{ client: string }>(a, 'connected');
      const cb = nextEvent<{ client: string }>(b, 'connected');
      a.connect();
      b.connect();
      const [x, y] = await Promise.all([ca, cb]);
      assert.match(x.client, /^[0-9a-f-]{36}$/);
      assert.notEqual(x.client, y.client);
    });

    void it('delivers a publication from one client to another subscriber, with publisher info', async () => {
      const a = await connected();
      const b = await connected();
      const subA = a.newSubscription('chat:room1');
      subA.subscribe();
      await subA.ready(4000);
      const got = nextEvent<PublicationContext>(subA, 'publication');
      await b.publish('chat:room1', data({ text: 'hello 你好' }));
      const pub = await got;
      assert.deepEqual(fromPayload(pub.data), { text: 'hello 你好' });
      assert.equal(pub.info?.client !== undefined && pub.info.client.length > 0, true);
      assert.ok((pub.offset ?? 0) >= 1, 'history-enabled namespace gives offsets');
    });

    void it('batches connect with subscribes in one frame and subscribes with a positioned, recoverable reply', async () => {
      const c = client();
      const sub = c.newSubscription('chat');
      sub.subscribe();
      const subscribed = nextEvent<SubscribedContext>(sub, 'subscribed');
      c.connect();
      const ctx = await subscribed;
      assert.equal(ctx.recoverable, true);
      assert.equal(ctx.positioned, true);
      assert.equal(typeof ctx.streamPosition?.epoch, 'string');
    });

    void it('unsubscribes and stops delivery', async () => {
      const a = await connected();
      const sub = a.newSubscription('chat:unsub');
      sub.subscribe();
      await sub.ready(4000);
      sub.unsubscribe();
      let received = 0;
      sub.on('publication', () => received++);
      await a.publish('chat:unsub', data({ text: 'after unsubscribe' }));
      // A second subscriber on another connection proves the publication went out.
      const b = await connected();
      const subB = b.newSubscription('chat:unsub');
      subB.subscribe();
      await subB.ready(4000);
      const got = nextEvent<PublicationContext>(subB, 'publication');
      await a.publish('chat:unsub', data({ text: 'second' }));
      await got;
      assert.equal(received, 0);
    });

    void it("refuses unknown namespaces with 102 and other users' channels with 103", async () => {
      const c = await connected();
      const unknown = c.newSubscription('nope:room');
      const u1 = nextEvent<UnsubscribedContext>(unknown, 'unsubscribed');
      unknown.subscribe();
      assert.equal((await u1).code, 102);
      const bare = c.newSubscription('random');
      const u2 = nextEvent<UnsubscribedContext>(bare, 'unsubscribed');
      bare.subscribe();
      assert.equal((await u2).code, 102);
      const personal = c.newSubscription('user:42');
      const u3 = nextEvent<UnsubscribedContext>(personal, 'unsubscribed');
      personal.subscribe();
      assert.equal((await u3).code, 103, 'anonymous user does not own user:42');
      assert.equal((await rejection(c.publish('user:42', data({ text: 'x' })))).code, 103);
      assert.equal((await rejection(c.publish('nope:room', data({ text: 'x' })))).code, 102);
    });

    void it('validates publication text: 5000 Chinese characters pass, 5001 and malformed data get 107', async () => {
      const a = await connected();
      await a.publish('chat:text', data({ text: '汉'.repeat(5000) }));
      await a.publish('chat:text', data({ text: '😀'.repeat(5000) }));
      const tooLong = await rejection(a.publish('chat:text', data({ text: '汉'.repeat(5001) })));
      assert.equal(tooLong.code, 107);
      assert.match(tooLong.message, /too long: 5001 characters, max 5000/);
      const cases: [unknown, RegExp][] = [
        [{ text: '' }, /must not be empty/],
        [{ text: 42 }, /must be a string/],
        [{ message: 'no text' }, /must be a string/],
        ['just a string', /JSON object/],
        [[1, 2], /JSON object/],
        [null, /JSON object/],
      ];
      for (const [value, message] of cases) {
        const err = await rejection(a.publish('chat:text', data(value)));
        assert.equal(err.code, 107, JSON.stringify(value));
        assert.match(err.message, message);
      }
    });

    void it('answers a duplicate subscribe with 105 and a subscription over the limit with 106', async () => {
      const c = await connected();
      for (const ch of ['chat:l1', 'chat:l2', 'chat:l3']) {
        const s = c.newSubscription(ch);
        s.subscribe();
        await s.ready(4000);
      }
      const fourth = c.newSubscription('chat:l4');
      const u = nextEvent<UnsubscribedContext>(fourth, 'unsubscribed');
      fourth.subscribe();
      assert.equal((await u).code, 106);
    });

    void it('rejects a channel name that is too long or has control characters with 107', async () => {
      const c = await connected();
      const long = c.newSubscription(`chat:${'x'.repeat(300)}`);
      const u1 = nextEvent<UnsubscribedContext>(long, 'unsubscribed');
      long.subscribe();
      assert.equal((await u1).code, 107);
      const ctrl = c.newSubscription('chat:a\u0001b');
      const u2 = nextEvent<UnsubscribedContext>(ctrl, 'unsubscribed');
      ctrl.subscribe();
      assert.equal((await u2).code, 107);
    });

    void it('serves history and presence to subscribers', async () => {
      const a = await connected();
      const sub = a.newSubscription('chat:hist');
      sub.subscribe();
      await sub.ready(4000);
      await a.publish('chat:hist', data({ text: 'one' }));
      await a.publish('chat:hist', data({ text: 'two' }));
      const h = await sub.history({ limit: -1 });
      assert.deepEqual(
        h.publications.map((p) => (fromPayload(p.data) as { text: string }).text),
        ['one', 'two'],
      );
      assert.equal(h.offset, 2);
      const empty = await sub.history({});
      assert.equal(empty.publications.length, 0);
      assert.equal(empty.offset, 2);
      const rev = await sub.history({ limit: 1, reverse: true });
      assert.deepEqual(
        rev.publications.map((p) => (fromPayload(p.data) as { text: string }).text),
        ['two'],
      );
      const badEpoch = await rejection(sub.history({ limit: 1, since: { offset: 1, epoch: 'other-epoch' } }));
      assert.equal(badEpoch.code, 112);
      const p = await sub.presence();
      assert.ok(Object.keys(p.clients).length >= 1);
      const stats = await sub.presenceStats();
      assert.equal(stats.numClients >= 1, true);
      const notSubscribed = await rejection(a.history('chat:other', { limit: 1 }));
      assert.equal(notSubscribed.code, 103);
    });

    void it('answers rpc with 104 method not found on the direct pipeline', async () => {
      const a = await connected();
      const err = await rejection(a.rpc('echo', data({ x: 1 })));
      assert.equal(err.code, 104);
    });
  });
}
