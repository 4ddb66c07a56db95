// Connection and subscription JWTs with the real client (JSON and protobuf builds): valid,
// missing, expired (getToken refresh path), invalid, connection refresh and expiry, owner rules.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, UnsubscribedContext } from 'centrifuge';
import { signToken } from '../../src/gateway/index.js';
import { CLIENT_PROTOCOLS, newClient, nextEvent, payload, rawConnect, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'gateway-auth-test-secret';
const now = (): number => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown>): string => signToken({ exp: now() + 3600, ...claims }, SECRET);

const channelRules = {
  channel: {
    namespaces: [
      {
        name: 'chat',
        history_size: 10,
        history_ttl: '1m',
        force_recovery: true,
        allow_subscribe_for_client: true,
        allow_publish_for_client: true,
      },
      { name: 'user', user_owned: true, allow_subscribe_for_client: true, allow_publish_for_client: true },
      { name: 'private', allow_publish_for_subscriber: true },
      { name: 'dialog', allow_user_limited_channels: true },
    ],
  },
};

for (const protocol of CLIENT_PROTOCOLS) {
  void describe(`gateway auth with the ${protocol} client`, () => {
    let gw: TestGateway;
    let dir: string;
    const clients: Centrifuge[] = [];
    const client = (options: Parameters<typeof newClient>[2] = {}): Centrifuge => {
      const c = newClient(gw.wsUrl, protocol, options);
      clients.push(c);
      return c;
    };
    const subscribeCode = async (
      c: Centrifuge,
      channel: string,
      options: Parameters<Centrifuge['newSubscription']>[1] = {},
    ): Promise<number> => {
      const sub = c.newSubscription(channel, options);
      const done = Promise.race([
        nextEvent<UnsubscribedContext>(sub, 'unsubscribed').then((u) => u.code),
        nextEvent(sub, 'subscribed').then(() => 0),
      ]);
      sub.subscribe();
      return done;
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gw-auth-'));
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify(channelRules));
      gw = await startTestGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET, CONFIG_FILE: file }, { expiredCloseDelayMs: 400 });
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    });

    void it('connects with a valid token and applies the user:{id} owner rule', async () => {
      const c = client({ token: token({ sub: '42', info: { name: 'Ann' } }) });
      c.connect();
      await c.ready(4000);
      assert.equal(await subscribeCode(c, 'user:42'), 0);
      assert.equal(await subscribeCode(c, 'user:43'), 103);
      await c.publish('user:42', payload(protocol, { text: 'to myself' }));
      await assert.rejects(c.publish('user:43', payload(protocol, { text: 'to someone else' })), (e: { code: number }) => e.code === 103);
    });

    void it('refuses a connection without a token when a secret is set (terminal 3501)', async () => {
      const c = client();
      const disconnected = nextEvent<{ code: number }>(c, 'disconnected');
      c.connect();
      assert.equal((await disconnected).code, 3501);
    });

    void it('answers an expired token with 109 and connects after getToken supplies a fresh one', async () => {
      let calls = 0;
      const errors: number[] = [];
      const c = client({
        token: token({ sub: '7', exp: now() - 10 }),
        getToken: async () => {
          calls++;
          return token({ sub: '7' });
        },
      });
      c.on('error', (ctx) => errors.push(ctx.error.code));
      const connected = nextEvent<{ client: string }>(c, 'connected');
      c.connect();
      await connected;
      assert.equal(calls, 1);
      assert.ok(errors.includes(109), `errors: ${errors.join(',')}`);
    });

    void it('closes with terminal 3500 on a bad signature, alg none and garbage', async () => {
      const forged = signToken({ sub: '1', exp: now() + 60 }, 'another-secret');
      const [header, body] = forged.split('.');
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${body ?? ''}.`;
      assert.ok(header !== undefined);
      for (const bad of [forged, none, 'not-a-jwt']) {
        const c = client({ token: bad });
        const disconnected = nextEvent<{ code: number; reason: string }>(c, 'disconnected');
        c.connect();
        assert.deepEqual(await disconnected, { code: 3500, reason: 'invalid token' });
      }
    });

    void it('refreshes an expiring connection through getToken and stays connected past the expiry', async () => {
      let calls = 0;
      const c = client({
        token: token({ sub: '9', exp: now() + 2 }),
        getToken: async () => {
          calls++;
          return token({ sub: '9', exp: now() + 60 });
        },
      });
      c.connect();
      await c.ready(4000);
      let lost = 0;
      c.on('connecting', () => lost++);
      await new Promise((r) => setTimeout(r, 3200));
      assert.ok(calls >= 1, 'getToken was called for the refresh');
      assert.equal(lost, 0);
      assert.equal(c.state, 'connected');
    });

    void it('subscription tokens: needed for a private namespace, checked for channel, expired ones renewed', async () => {
      const c = client({ token: token({ sub: '5' }) });
      c.connect();
      await c.ready(4000);
      assert.equal(await subscribeCode(c, 'private:a'), 103, 'no token');
      assert.equal(
        await subscribeCode(c, 'private:b', { token: signToken({ sub: '5', channel: 'private:b', exp: now() + 60 }, 'wrong') }),
        103,
      );
      let subCalls = 0;
      assert.equal(
        await subscribeCode(c, 'private:c', {
          token: token({ sub: '5', channel: 'private:c', exp: now() - 5 }),
          getToken: async () => {
            subCalls++;
            return token({ sub: '5', channel: 'private:c' });
          },
        }),
        0,
      );
      assert.equal(subCalls, 1);
      await c.publish('private:c', payload(protocol, { text: 'subscriber may publish' }));
      assert.equal(await subscribeCode(c, 'dialog:x#5,6'), 0, 'user-limited channel lists user 5');
      assert.equal(await subscribeCode(c, 'dialog:x#6,7'), 103);
      const disconnected = nextEvent<{ code: number }>(c, 'disconnected');
      const mismatch = c.newSubscription('private:d', { token: token({ sub: '5', channel: 'private:other' }) });
      mismatch.subscribe();
      assert.equal((await disconnected).code, 3500, 'a token for another channel closes the connection');
    });
  });
}

void describe('gateway connection expiry', () => {
  void it('closes an unrefreshed connection with 3005 after expiry plus grace', async () => {
    const gw = await startTestGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET }, { expiredCloseDelayMs: 200 });
    try {
      const r = rawConnect(gw.wsUrl);
      await r.opened;
      const exp = now() + 1;
      r.send(JSON.stringify({ connect: { token: signToken({ sub: '1', exp }, SECRET) }, id: 1 }));
      const reply = JSON.parse((await r.nextFrame()).toString()) as { connect: { expires: boolean; ttl?: number } };
      assert.equal(reply.connect.expires, true);
      assert.deepEqual(await r.closed, { code: 3005, reason: 'connection expired' });
      assert.ok(Date.now() >= exp * 1000, 'not closed before the expiry');
    } finally {
      await gw.close();
    }
  });

  void it('allows anonymous connections when no secret is configured, and refuses tokens then', async () => {
    const gw = await startTestGateway();
    try {
      const c = newClient(gw.wsUrl, 'json');
      c.connect();
      await c.ready(4000);
      c.disconnect();
      const t = newClient(gw.wsUrl, 'json', { token: token({ sub: '1' }) });
      const disconnected = nextEvent<{ code: number }>(t, 'disconnected');
      t.connect();
      assert.equal((await disconnected).code, 3500);
    } finally {
      await gw.close();
    }
  });
});
