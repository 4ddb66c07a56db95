// client.subscription_token with its own key, and the subscription token's override claim, with the real client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, UnsubscribedContext } from 'centrifuge';
import { signToken } from '../../src/gateway/index.js';
import { newClient, nextEvent, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const exp = (): number => Math.floor(Date.now() / 1000) + 600;

void describe('subscription tokens with client.subscription_token', () => {
  let gw: TestGateway;
  let c: Centrifuge;
  before(async () => {
    gw = await startTestGateway(
      {},
      {
        configFile: {
          client: { token: { hmac_secret_key: 'conn-key' }, subscription_token: { enabled: true, hmac_secret_key: 'subs-key' } },
          channel: { namespaces: [{ name: 'room', presence: true }] },
        },
      },
    );
    c = newClient(gw.wsUrl, 'json', { token: signToken({ sub: 'u1', exp: exp() }, 'conn-key') });
    c.connect();
    await nextEvent(c, 'connected');
  });
  after(async () => {
    c.disconnect();
    await gw.close();
  });

  const subscribeCode = async (channel: string, token: string): Promise<number> => {
    const sub = c.newSubscription(channel, { token });
    const done = Promise.race([
      nextEvent<UnsubscribedContext>(sub, 'unsubscribed').then((u) => u.code),
      nextEvent(sub, 'subscribed').then(() => 0),
    ]);
    sub.subscribe();
    return done;
  };

  void it('accepts subscription tokens signed with the subscription key only', async () => {
    assert.equal(await subscribeCode('room:a', signToken({ sub: 'u1', channel: 'room:a', exp: exp() }, 'subs-key')), 0);
    assert.equal(await subscribeCode('room:b', signToken({ sub: 'u1', channel: 'room:b', exp: exp() }, 'conn-key')), 103);
  });

  void it('override turns the namespace presence off for that subscription', async () => {
    const token = signToken({ sub: 'u1', channel: 'room:quiet', exp: exp(), override: { presence: { value: false } } }, 'subs-key');
    assert.equal(await subscribeCode('room:quiet', token), 0);
    assert.deepEqual(await gw.presence.presence('room:quiet'), {});
    assert.deepEqual(
      Object.values(await gw.presence.presence('room:a')).map((i) => i.user),
      ['u1'],
      'without override presence is kept',
    );
  });
});
