// Reconnect and recovery with the real client (JSON and protobuf builds): the server closes the
// socket, the client reconnects and resubscribes, and publications missed meanwhile are recovered.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext, SubscribedContext } from 'centrifuge';
import { CLIENT_PROTOCOLS, fromPayload, newClient, nextEvent, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';

const text = (t: string): string => JSON.stringify({ text: t });

for (const protocol of CLIENT_PROTOCOLS) {
  void describe(`gateway reconnect and recovery with the ${protocol} client`, () => {
    let gw: TestGateway;
    const clients: Centrifuge[] = [];

    before(async () => {
      gw = await startTestGateway();
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await gw.close();
    });

    const subscribedClient = async (
      channel: string,
    ): Promise<{ c: Centrifuge; clientId: string; pubs: string[]; subscribed: SubscribedContext[] }> => {
      const c = newClient(gw.wsUrl, protocol, { minReconnectDelay: 300, maxReconnectDelay: 400 });
      clients.push(c);
      const pubs: string[] = [];
      const subscribed: SubscribedContext[] = [];
      const sub = c.newSubscription(channel);
      sub.on('publication', (p: PublicationContext) => pubs.push((fromPayload(p.data) as { text: string }).text));
      sub.on('subscribed', (ctx: SubscribedContext) => subscribed.push(ctx));
      sub.subscribe();
      const connected = nextEvent<{ client: string }>(c, 'connected');
      c.connect();
      const { client: clientId } = await connected;
      await sub.ready(4000);
      return { c, clientId, pubs, subscribed };
    };

    void it('reconnects after the server closes the socket, resubscribes and recovers missed publications', async () => {
      const channel = `chat:recover-${protocol}`;
      const { c, clientId, pubs, subscribed } = await subscribedClient(channel);
      await gw.publisher.publish(channel, text('before'));
      await waitUntil(() => pubs.length === 1, 4000, 'first publication');
      const connecting = nextEvent<{ code: number }>(c, 'connecting');
      assert.equal(gw.gateway.disconnectClient(clientId), true);
      await gw.publisher.publish(channel, text('missed 1'));
      await gw.publisher.publish(channel, text('missed 2'));
      assert.equal((await connecting).code, 3011);
      await waitUntil(() => subscribed.length === 2, 4000, 'resubscribe');
      const again = subscribed[1];
      assert.equal(again?.wasRecovering, true);
      assert.equal(again?.recovered, true);
      await waitUntil(() => pubs.length === 3, 4000, 'recovered publications');
      assert.deepEqual(pubs, ['before', 'missed 1', 'missed 2']);
      await gw.publisher.publish(channel, text('live'));
      await waitUntil(() => pubs.length === 4, 4000, 'live publication after recovery');
      assert.equal(pubs[3], 'live');
    });

    void it('reports recovered: false (not an error) when missed publications left the history', async () => {
      const channel = `chat:reset-${protocol}`;
      const { clientId, pubs, subscribed } = await subscribedClient(channel);
      await gw.publisher.publish(channel, text('one'));
      await waitUntil(() => pubs.length === 1, 4000, 'publication');
      gw.gateway.disconnectClient(clientId);
      await gw.publisher.publish(channel, text('lost 1'));
      await gw.publisher.publish(channel, text('lost 2'));
      await gw.broker.removeHistory(channel);
      await waitUntil(() => subscribed.length === 2, 4000, 'resubscribe');
      assert.equal(subscribed[1]?.wasRecovering, true);
      assert.equal(subscribed[1]?.recovered, false);
      assert.deepEqual(pubs, ['one']);
    });

    void it('counts reconnects announced by headers or connect data', async () => {
      const before = await reconnectCount(gw);
      const viaHeader = newClient(gw.wsUrl, protocol, { headers: { 'x-previous-client-id': 'abc' } });
      const viaData = newClient(gw.wsUrl, protocol, {
        data: protocol === 'json' ? { previous_client_id: 'abc' } : new TextEncoder().encode('{"previous_client_id":"abc"}'),
      });
      const plain = newClient(gw.wsUrl, protocol);
      clients.push(viaHeader, viaData, plain);
      for (const c of [viaHeader, viaData, plain]) {
        c.connect();
        await c.ready(4000);
      }
      assert.equal(await reconnectCount(gw), before + 2);
    });
  });
}

async function reconnectCount(gw: TestGateway): Promise<number> {
  const metric = await gw.registry.getSingleMetric('gateway_reconnect_total')?.get();
  return metric?.values[0]?.value ?? 0;
}
