// client.user_connection_limit (connect error 106 beyond it, anonymous users not counted) and
// client.connection_rate_limit (HTTP 503 on the upgrade beyond it) with the real client.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { signToken } from '../../src/gateway/index.js';
import { newClient, nextEvent, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'admission-secret';
const token = (user: string): string => signToken({ sub: user, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);

async function connectOutcome(c: Centrifuge): Promise<number> {
  const outcome = Promise.race([
    nextEvent(c, 'connected').then(() => 0),
    nextEvent<{ code: number }>(c, 'disconnected').then((d) => d.code),
  ]);
  c.connect();
  return outcome;
}

void describe('connection admission', () => {
  let gw: TestGateway;
  const clients: Centrifuge[] = [];
  const client = (user: string): Centrifuge => {
    const c = newClient(gw.wsUrl, 'json', { token: token(user) });
    clients.push(c);
    return c;
  };
  before(async () => {
    gw = await startTestGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET }, { configFile: { client: { user_connection_limit: 2 } } });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.close();
  });

  void it('a user beyond client.user_connection_limit gets 106; a slot frees when one disconnects', async () => {
    const a = client('lim');
    const b = client('lim');
    assert.equal(await connectOutcome(a), 0);
    assert.equal(await connectOutcome(b), 0);
    assert.equal(await connectOutcome(client('lim')), 106);
    assert.equal(await connectOutcome(client('other')), 0, 'other users are not affected');
    a.disconnect();
    await waitUntil(() => gw.gateway.stats().numClients === 2, 5000, 'disconnect seen');
    assert.equal(await connectOutcome(client('lim')), 0);
  });

  void it('connects of one user racing for the last slots: exactly the limit get in', async () => {
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => connectOutcome(client('burst'))));
    assert.deepEqual(
      outcomes.sort((a, b) => a - b),
      [0, 0, 106, 106, 106],
    );
  });

  void it('client.disallow_anonymous_connection_tokens refuses a token without user id with 3500', async () => {
    const strict = await startTestGateway(
      { CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET },
      { configFile: { client: { disallow_anonymous_connection_tokens: true } } },
    );
    try {
      const anon = newClient(strict.wsUrl, 'json', { token: signToken({ exp: Math.floor(Date.now() / 1000) + 60 }, SECRET) });
      assert.equal(await connectOutcome(anon), 3500);
      const named = newClient(strict.wsUrl, 'json', { token: token('named') });
      assert.equal(await connectOutcome(named), 0);
      named.disconnect();
    } finally {
      await strict.close();
    }
  });

  void it('client.connection_rate_limit answers 503 to upgrades beyond the rate', async () => {
    const limited = await startTestGateway({}, { configFile: { client: { connection_rate_limit: 3 } } });
    try {
      const statuses = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<number>((resolve) => {
              const ws = new WebSocket(limited.wsUrl, 'centrifuge-json');
              ws.once('open', () => {
                ws.close();
                resolve(101);
              });
              ws.once('unexpected-response', (_req, res) => {
                resolve(res.statusCode ?? 0);
                ws.terminate();
              });
              ws.once('error', () => resolve(-1));
            }),
        ),
      );
      // Eight upgrades at once against a bucket of three: at most three (plus what refills meanwhile) pass.
      assert.ok(statuses.filter((s) => s === 101).length >= 3, statuses.join(','));
      assert.ok(statuses.filter((s) => s === 503).length >= 1, statuses.join(','));
      assert.ok(
        statuses.every((s) => s === 101 || s === 503),
        statuses.join(','),
      );
    } finally {
      await limited.close();
    }
  });
});
