// The real client over HTTP-streaming (JSON and protobuf builds) and SSE (JSON) with bidirectional
// emulation: connect, subscribe, publish, receive, rpc, token refresh, and recovery of missed
// publications after the server drops the connection.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext, SubscribedContext } from 'centrifuge';
import { signToken } from '../../src/gateway/index.js';
import { DirectPipeline } from '../helpers/direct-pipeline.js';
import type { MessagePipeline } from '../../src/queue/index.js';
import { fromPayload, nextEvent, payload, startTestGateway, waitUntil, type ClientProtocol, type TestGateway } from '../helpers/gateway.js';
import { newTransportClient, type EmulationTransport } from '../helpers/transports.js';

const SECRET = 'transport-emulation-test-secret';
const now = (): number => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown>): string => signToken({ exp: now() + 3600, ...claims }, SECRET);
const text = (t: string): string => JSON.stringify({ text: t });

/** The value of one labelled sample of a gateway metric (0 when absent). */
async function metricValue(gw: TestGateway, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await gw.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? 0;
}

/** Refresh commands the gateway answered successfully. */
async function refreshCount(gw: TestGateway): Promise<number> {
  const metric = await gw.registry.getSingleMetric('gateway_commands_total')?.get();
  return metric?.values.find((v) => v.labels['method'] === 'refresh' && v.labels['result'] === 'ok')?.value ?? 0;
}

const CASES: [EmulationTransport, ClientProtocol][] = [
  ['http_stream', 'json'],
  ['http_stream', 'protobuf'],
  ['sse', 'json'],
];

void describe('HTTP-streaming and SSE with the real client', () => {
  let gw: TestGateway;
  let dir: string;
  const clients: Centrifuge[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-emulation-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        channel: {
          namespaces: [
            {
              name: 'chat',
              history_size: 20,
              history_ttl: '1m',
              force_recovery: true,
              allow_subscribe_for_client: true,
              allow_publish_for_client: true,
            },
            {
              name: 'board',
              history_size: 20,
              history_ttl: '1m',
              force_recovery: true,
              allow_subscribe_for_client: true,
              allowed_delta_types: ['fossil'],
            },
          ],
        },
      }),
    );
    gw = await startTestGateway(
      { CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET, CONFIG_FILE: file },
      {
        expiredCloseDelayMs: 400,
        // Publishes go straight to the channel; rpc answers with its method and data.
        pipeline: ({ publisher }): MessagePipeline => {
          const direct = new DirectPipeline(publisher);
          return {
            submit: (m) => direct.submit(m),
            rpc: async (m) => JSON.stringify({ method: m.method, echo: JSON.parse(m.data) as unknown }),
            start: () => direct.start(),
            close: () => direct.close(),
          };
        },
      },
    );
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [transport, protocol] of CASES) {
    void it(`${transport} (${protocol}): connects, subscribes, publishes, receives, calls rpc`, async () => {
      const c = newTransportClient(gw.wsUrl, transport, protocol, { token: token({ sub: 'u1' }) });
      clients.push(c);
      const connected = nextEvent<{ client: string; transport: string }>(c, 'connected');
      c.connect();
      assert.equal((await connected).transport, transport);
      const channel = `chat:basic-${transport}-${protocol}`;
      const sub = c.newSubscription(channel);
      const got: unknown[] = [];
      sub.on('publication', (p: PublicationContext) => got.push(fromPayload(p.data)));
      sub.subscribe();
      await sub.ready(4000);
      await sub.publish(payload(protocol, { text: 'from the client' }));
      await gw.publisher.publish(channel, text('from the server'));
      await waitUntil(() => got.length === 2, 4000, 'both publications');
      assert.deepEqual(got, [{ text: 'from the client' }, { text: 'from the server' }]);
      const answer = await c.rpc('echo', payload(protocol, { n: 7 }));
      assert.deepEqual(fromPayload(answer.data), { method: 'echo', echo: { n: 7 } });
      assert.equal(gw.gateway.connectionCount, 1);
      assert.equal(await metricValue(gw, 'gateway_connections', { transport }), 1, 'connections are labelled by transport');
      assert.ok((await metricValue(gw, 'gateway_transport_bytes_in_total', { transport })) > 0);
      assert.ok((await metricValue(gw, 'gateway_transport_bytes_out_total', { transport })) > 0);
      c.disconnect();
      await waitUntil(() => gw.gateway.connectionCount === 0, 4000, 'the stream to end on the server');
    });

    void it(`${transport} (${protocol}): a delta subscription rebuilds the exact payloads`, async () => {
      const c = newTransportClient(gw.wsUrl, transport, protocol, { token: token({ sub: 'u4' }) });
      clients.push(c);
      const channel = `board:delta-${transport}-${protocol}`;
      const sub = c.newSubscription(channel, { delta: 'fossil' });
      const got: string[] = [];
      sub.on('publication', (p: PublicationContext) =>
        got.push(p.data instanceof Uint8Array ? new TextDecoder().decode(p.data) : JSON.stringify(p.data)),
      );
      sub.subscribe();
      c.connect();
      await sub.ready(4000);
      const docs = [1, 2, 3, 4].map((n) =>
        JSON.stringify({ n, rows: Array.from({ length: 30 }, (_, i) => (i === n ? `changed ${n} ✓` : `row ${i}`)) }),
      );
      for (const d of docs) await gw.publisher.publish(channel, d);
      await waitUntil(() => got.length === 4, 4000, 'four publications');
      assert.deepEqual(got, docs);
      assert.equal(sub.deltaStats().numDeltaPayloads, 3);
      c.disconnect();
    });

    void it(`${transport} (${protocol}): recovers missed publications after the server drops the connection`, async () => {
      const c = newTransportClient(gw.wsUrl, transport, protocol, {
        token: token({ sub: 'u2' }),
        minReconnectDelay: 300,
        maxReconnectDelay: 400,
      });
      clients.push(c);
      const channel = `chat:recover-${transport}-${protocol}`;
      const sub = c.newSubscription(channel);
      const pubs: string[] = [];
      const subscribed: SubscribedContext[] = [];
      sub.on('publication', (p: PublicationContext) => pubs.push((fromPayload(p.data) as { text: string }).text));
      sub.on('subscribed', (ctx: SubscribedContext) => subscribed.push(ctx));
      sub.subscribe();
      const connected = nextEvent<{ client: string }>(c, 'connected');
      c.connect();
      const { client: clientId } = await connected;
      await sub.ready(4000);
      await gw.publisher.publish(channel, text('before'));
      await waitUntil(() => pubs.length === 1, 4000, 'first publication');
      const connecting = nextEvent<{ code: number; reason: string }>(c, 'connecting');
      assert.equal(gw.gateway.disconnectClient(clientId), true);
      await gw.publisher.publish(channel, text('missed 1'));
      await gw.publisher.publish(channel, text('missed 2'));
      const lost = await connecting;
      assert.equal(lost.code, 3011, 'the disconnect push carried the code');
      await waitUntil(() => subscribed.length === 2, 6000, 'resubscribe');
      assert.equal(subscribed[1]?.wasRecovering, true);
      assert.equal(subscribed[1]?.recovered, true);
      await waitUntil(() => pubs.length === 3, 4000, 'recovered publications');
      assert.deepEqual(pubs, ['before', 'missed 1', 'missed 2']);
      c.disconnect();
    });

    void it(`${transport} (${protocol}): refreshes an expiring token over emulation and stays connected`, async () => {
      let calls = 0;
      const user = `u3-${transport}-${protocol}`;
      const refreshesBefore = await refreshCount(gw);
      const expiresAt = Date.now() + 2000;
      const c = newTransportClient(gw.wsUrl, transport, protocol, {
        token: token({ sub: user, exp: Math.ceil(expiresAt / 1000) }),
        getToken: async () => {
          calls++;
          return token({ sub: user, exp: now() + 60 });
        },
      });
      clients.push(c);
      c.connect();
      await c.ready(4000);
      let lost = 0;
      c.on('connecting', () => lost++);
      await waitUntil(async () => (await refreshCount(gw)) > refreshesBefore, 6000, 'a refresh command answered by the server');
      assert.ok(calls >= 1, 'getToken was called for the refresh');
      // Past the first token's expiry plus the 400 ms close grace: an unrefreshed connection is closed by then.
      await waitUntil(() => Date.now() > expiresAt + 1500, 5000, "the first token's expiry and grace to pass");
      assert.equal(lost, 0);
      assert.equal(c.state, 'connected');
      c.disconnect();
    });
  }
});
