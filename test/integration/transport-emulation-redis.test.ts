// Emulation behind a round-robin balancer in Redis mode: the client's stream is held by one
// gateway while its `/emulation` requests reach another, which forwards them over the control
// bus; the client still subscribes, publishes and receives.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Centrifuge, type PublicationContext } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import { EventSource } from 'eventsource';
import { TestCluster } from '../helpers/cluster.js';
import { fromPayload, nextEvent, payload, waitUntil, type ClientProtocol } from '../helpers/gateway.js';
import { wsPortHttpUrl, type EmulationTransport } from '../helpers/transports.js';

const CASES: [EmulationTransport, ClientProtocol][] = [
  ['http_stream', 'json'],
  ['http_stream', 'protobuf'],
  ['sse', 'json'],
];

void describe('emulation requests forwarded between gateways (Redis mode)', () => {
  let cluster: TestCluster;
  const clients: Centrifuge[] = [];

  before(async () => {
    cluster = await TestCluster.start({ gateways: 2, workers: 0, controlPlane: true });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await cluster.close();
  });

  for (const [transport, protocol] of CASES) {
    void it(`${transport} (${protocol}): stream on gw0, commands posted to gw1`, async () => {
      const [gw0, gw1] = cluster.gateways as [(typeof cluster.gateways)[0], (typeof cluster.gateways)[0]];
      const streamBase = wsPortHttpUrl(gw0.wsUrl);
      const emulationBase = wsPortHttpUrl(gw1.wsUrl);
      const endpoints = [{ transport, endpoint: `${streamBase}/connection/${transport}` }];
      const opts = {
        emulationEndpoint: `${emulationBase}/emulation`,
        eventsource: EventSource,
        timeout: 4000,
        minReconnectDelay: 50,
        maxReconnectDelay: 300,
      };
      const c = protocol === 'json' ? new Centrifuge(endpoints, opts) : (new ProtobufCentrifuge(endpoints, opts) as unknown as Centrifuge);
      clients.push(c);
      const connected = nextEvent<{ transport: string }>(c, 'connected');
      c.connect();
      assert.equal((await connected).transport, transport);
      const channel = `chat:forwarded-${transport}-${protocol}`;
      const sub = c.newSubscription(channel);
      const got: unknown[] = [];
      sub.on('publication', (p: PublicationContext) => got.push(fromPayload(p.data)));
      sub.subscribe();
      await sub.ready(4000);
      await sub.publish(payload(protocol, { text: 'through gw1' }));
      await waitUntil(() => got.length === 1, 4000, 'the publication');
      assert.deepEqual(got, [{ text: 'through gw1' }]);
      assert.equal(gw0.gateway.connectionCount, 1, 'the stream stays on gw0');
      assert.equal(gw1.gateway.connectionCount, 0);
      c.disconnect();
      await waitUntil(() => gw0.gateway.connectionCount === 0, 4000, 'the stream to end');
    });
  }

  void it('forwards only to nodes the registry lists: another node id is answered 404', async () => {
    const [gw0, gw1] = cluster.gateways as [(typeof cluster.gateways)[0], (typeof cluster.gateways)[0]];
    const post = (node: string): Promise<Response> =>
      fetch(`${wsPortHttpUrl(gw1.wsUrl)}/emulation`, {
        method: 'POST',
        body: JSON.stringify({ node, session: 'no-such-session', data: '{}' }),
      });
    assert.equal((await post('no-such-node')).status, 404);
    assert.equal((await post(gw0.nodeId)).status, 204, 'a live node: forwarded (the session is not there, nothing happens)');
  });
});
