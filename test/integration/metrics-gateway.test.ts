// Gateway metrics after real traffic on two gateways (stream pipeline, a worker): connect,
// reconnect via the reconnecting client (x-previous-client-id) to the other gateway, disconnects
// by code, publishes. The exposition text is parsed: names, types, labels, and no label value is
// a channel or a client id.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { ReconnectClient } from '../../src/client/index.js';
import { TestCluster, scrape, type MetricFamily } from '../helpers/cluster.js';
import { waitUntil } from '../helpers/gateway.js';

/** Sum of a family's samples named `sample` whose labels include `match`. */
function total(families: Map<string, MetricFamily>, name: string, match: Record<string, string> = {}, sample = name): number {
  const family = families.get(name);
  assert.ok(family !== undefined, `${name} is exposed`);
  return family.samples
    .filter((s) => s.name === sample && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

function assertFamily(families: Map<string, MetricFamily>, name: string, type: string, labels: string[]): MetricFamily {
  const family = families.get(name);
  assert.ok(family !== undefined, `${name} is exposed`);
  assert.equal(family.type, type, `${name} is a ${type}`);
  for (const s of family.samples) {
    const names = Object.keys(s.labels)
      .filter((l) => l !== 'le')
      .sort();
    assert.deepEqual(names, [...labels].sort(), `${s.name} labels`);
  }
  return family;
}

void describe('gateway metrics after real traffic', () => {
  let cluster: TestCluster;
  const closers: (() => void)[] = [];
  const channels = ['chat:metrics-a', 'chat:metrics-b'];
  const clientIds = new Set<string>();

  before(async () => {
    cluster = await TestCluster.start({ gateways: 2, workers: 1 });
  });
  after(async () => {
    for (const close of closers) close();
    await cluster.close();
  });

  void it('counts connects, reconnects, disconnects by code, commands and publishes', async (t) => {
    const [gw0, gw1] = cluster.gateways as [(typeof cluster.gateways)[0], (typeof cluster.gateways)[0]];
    // The reconnecting client starts on gw0 and fails over to gw1 when gw0 drops it.
    const rc = new ReconnectClient({ url: [gw0.wsUrl, gw1.wsUrl], websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200 });
    closers.push(() => rc.disconnect());
    const received: unknown[] = [];
    rc.subscribe(channels[0]!, { publication: (e) => received.push(e.data) });
    rc.connect();
    await rc.ready(4000);
    await waitUntil(() => rc.subscription(channels[0]!)?.state === 'subscribed', 4000, 'subscribed');
    const firstId = rc.clientId!;
    clientIds.add(firstId);
    await rc.publish(channels[0]!, { text: 'one' });
    await waitUntil(() => received.length === 1, 4000, 'publication through the worker');

    const reconnected = new Promise<number>((resolve) => rc.once('reconnected', (e) => resolve(e.downtimeMs)));
    assert.equal(gw0.gateway.disconnectClient(firstId), true); // 3011 force reconnect
    const downtimeMs = await reconnected;
    t.diagnostic(`server disconnect 3011 -> reconnected to the other gateway in ${downtimeMs} ms`);
    assert.equal(rc.url, gw1.wsUrl);
    clientIds.add(rc.clientId!);
    await rc.publish(channels[0]!, { text: 'two' });
    await waitUntil(() => received.length === 2, 4000, 'publication after the reconnect');

    // Plain clients on gw1: one leaves by itself, one is refused a publish, one stays.
    const plain = async (url: string): Promise<Centrifuge> => {
      const c = new Centrifuge(url, { websocket: WebSocket, timeout: 4000 });
      closers.push(() => c.disconnect());
      const connected = new Promise<string>((resolve) => c.once('connected', (ctx) => resolve(ctx.client)));
      c.connect();
      clientIds.add(await connected);
      return c;
    };
    const leaver = await plain(gw1.wsUrl);
    const sub = leaver.newSubscription(channels[1]!);
    sub.subscribe();
    await sub.ready(4000);
    await leaver.publish(channels[1]!, { text: 'three' });
    await assert.rejects(leaver.publish('nowhere:x', { text: 'refused' }), (err: { code: number }) => err.code === 102);
    leaver.disconnect();
    await waitUntil(() => gw1.gateway.connectionCount === 1, 4000, 'leaver gone');
    await plain(gw1.wsUrl);

    const m0 = await scrape(gw0.metricsUrl);
    const m1 = await scrape(gw1.metricsUrl);

    assertFamily(m0, 'gateway_disconnect_total', 'counter', ['reason', 'code']);
    assert.equal(total(m0, 'gateway_disconnect_total', { code: '3011' }), 1, 'the forced reconnect on gw0');
    assert.ok(total(m1, 'gateway_disconnect_total') >= 1, 'the leaver on gw1');
    assertFamily(m1, 'gateway_reconnect_total', 'counter', []);
    assert.equal(total(m1, 'gateway_reconnect_total'), 1, 'gw1 saw one reconnect (x-previous-client-id)');
    assert.equal(total(m0, 'gateway_reconnect_total'), 0);
    assertFamily(m0, 'gateway_connection_duration_seconds', 'histogram', []);
    assert.equal(total(m0, 'gateway_connection_duration_seconds', {}, 'gateway_connection_duration_seconds_count'), 1);
    assert.equal(total(m0, 'gateway_connection_duration_seconds', { le: '+Inf' }, 'gateway_connection_duration_seconds_bucket'), 1);
    assertFamily(m1, 'gateway_connections', 'gauge', ['transport']);
    assert.equal(total(m1, 'gateway_connections'), 2, 'the reconnected client and the last plain one');
    assert.equal(total(m0, 'gateway_connections'), 0);
    assertFamily(m1, 'gateway_connects_total', 'counter', ['transport', 'protocol']);
    assert.equal(total(m1, 'gateway_connects_total'), 3);
    assertFamily(m1, 'gateway_subscriptions', 'gauge', ['namespace']);
    assert.equal(total(m1, 'gateway_subscriptions', { namespace: 'chat' }), 1);

    assertFamily(m1, 'gateway_commands_total', 'counter', ['method', 'result']);
    assert.equal(total(m1, 'gateway_commands_total', { method: 'publish' }), 3);
    assert.equal(total(m1, 'gateway_commands_total', { method: 'publish', result: 'ok' }), 2);
    assert.equal(total(m1, 'gateway_commands_total', { method: 'connect' }), 3);
    assert.equal(total(m1, 'gateway_commands_total', { method: 'subscribe' }), 2);
    assertFamily(m1, 'gateway_command_duration_seconds', 'histogram', ['method']);
    assertFamily(m1, 'gateway_publish_append_duration_seconds', 'histogram', []);
    assert.equal(
      total(m1, 'gateway_publish_append_duration_seconds', {}, 'gateway_publish_append_duration_seconds_count'),
      2,
      'accepted publishes',
    );
    assert.equal(total(m0, 'gateway_publish_append_duration_seconds', {}, 'gateway_publish_append_duration_seconds_count'), 1);

    assertFamily(m1, 'gateway_messages_in_total', 'counter', ['kind']);
    assertFamily(m1, 'gateway_messages_out_total', 'counter', ['kind']);
    assert.ok(total(m1, 'gateway_messages_in_total') >= 7);
    assert.ok(total(m1, 'gateway_messages_out_total') >= 7);
    assertFamily(m1, 'gateway_transport_bytes_in_total', 'counter', ['transport']);
    assertFamily(m1, 'gateway_transport_bytes_out_total', 'counter', ['transport']);
    assert.ok(total(m1, 'gateway_transport_bytes_in_total') > 100);
    assert.ok(total(m1, 'gateway_transport_bytes_out_total') > 100);
    assertFamily(m1, 'gateway_route_cache_total', 'counter', ['result']);
    assert.ok(total(m1, 'gateway_route_cache_total') >= 2, 'the stream pipeline routed the publishes');

    // Bounded labels: no value is a channel name or a client id.
    for (const families of [m0, m1]) {
      for (const [name, family] of families) {
        if (!name.startsWith('gateway_')) continue;
        for (const s of family.samples) {
          for (const value of Object.values(s.labels)) {
            assert.ok(!channels.includes(value) && !value.startsWith('chat:') && !clientIds.has(value), `${s.name} label value ${value}`);
          }
        }
      }
    }
  });

  void it('keeps disconnect labels bounded when a server API names its own reason', async () => {
    const gw = cluster.gateways[0]!;
    const c = new Centrifuge(gw.wsUrl, { websocket: WebSocket, timeout: 4000 });
    closers.push(() => c.disconnect());
    c.connect();
    await c.ready(4000);
    // The server HTTP API's `disconnect` (through the control plane) ends here with any code and reason text.
    assert.equal(gw.gateway.disconnectUser('', 4321, 'banned: spam in chat:metrics-a'), 1);
    await waitUntil(() => gw.gateway.connectionCount === 0, 4000, 'disconnected');
    const m = await scrape(gw.metricsUrl);
    const reasons = m.get('gateway_disconnect_total')!.samples.map((s) => s.labels['reason']!);
    for (const reason of reasons) assert.ok(!reason.includes('chat:'), `reason label carries caller text: ${reason}`);
    const codes = m.get('gateway_disconnect_total')!.samples.map((s) => s.labels['code']!);
    assert.ok(!codes.includes('4321'), 'an application code outside the catalogue is its own label value');
    assert.ok(codes.includes('other'), 'application codes are counted as code="other"');
  });
});
