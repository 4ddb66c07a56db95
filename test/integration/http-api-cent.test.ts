// Every method of the npm `cent.js` client (Centrifugo's JavaScript HTTP API SDK) against the real
// gateway process (`bin/gateway.ts`, embedded mode) with real centrifuge clients watching the effects:
// publish, broadcast, subscribe, unsubscribe, disconnect, refresh, history, history_remove,
// presence, presence_stats, channels, info and the newline-delimited pipeline.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CentClient, CentMethods } from 'cent.js';
import type { Centrifuge, PublicationContext, ServerSubscribedContext, Subscription } from 'centrifuge';
import { signToken } from '../../src/gateway/index.js';
import { getJson, newClient, nextEvent, spawnGateway, waitUntil, type GatewayProcess } from '../helpers/gateway.js';

const SECRET = 'cent-js-test-secret-0123456789';
const API_KEY = 'cent-js-api-key';
const token = (user: string): string => signToken({ sub: user, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);

void describe('cent.js against the server HTTP API', () => {
  let gw: GatewayProcess;
  let cent: CentClient;
  const clients: Centrifuge[] = [];
  const connect = async (user: string): Promise<Centrifuge> => {
    const c = newClient(gw.wsUrl, 'json', { token: token(user) });
    clients.push(c);
    const connected = nextEvent(c, 'connected');
    c.connect();
    await connected;
    return c;
  };
  const subscribe = async (c: Centrifuge, channel: string, received: unknown[]): Promise<Subscription> => {
    const sub = c.newSubscription(channel);
    sub.on('publication', (ctx: PublicationContext) => received.push(ctx.data));
    const subscribed = nextEvent(sub, 'subscribed');
    sub.subscribe();
    await subscribed;
    return sub;
  };

  before(async () => {
    gw = await spawnGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET, HTTP_API_KEY: API_KEY, EMBEDDED_WORKERS: '1' });
    cent = new CentClient({ url: `${gw.httpUrl}/api`, apiKey: API_KEY });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.stop('SIGKILL');
  });

  void it('publish, broadcast, history, history_remove, presence, presence_stats, channels and info', async () => {
    const c = await connect('ann');
    const got: unknown[] = [];
    await subscribe(c, 'chat:cent', got);
    const position = await cent.publish({ channel: 'chat:cent', data: { n: 1 } });
    assert.equal(position.offset, 1);
    assert.equal(typeof position.epoch, 'string');
    // cent.js types this result as an array; Centrifugo (and this server) answer {responses: [...]}.
    const broadcast = (await cent.broadcast({ channels: ['chat:cent', 'chat:elsewhere'], data: { n: 2 } })) as unknown as {
      responses: unknown[];
    };
    assert.equal(broadcast.responses.length, 2);
    await waitUntil(() => got.length === 2, 5000, 'published and broadcast data');
    assert.deepEqual(got, [{ n: 1 }, { n: 2 }]);

    const history = await cent.getHistory({ channel: 'chat:cent', limit: 10 });
    assert.deepEqual(
      history.publications.map((p) => p.data),
      [{ n: 1 }, { n: 2 }],
    );
    const presence = await cent.getPresence({ channel: 'chat:cent' });
    assert.deepEqual(
      Object.values(presence.presence).map((p) => p.user),
      ['ann'],
    );
    const stats = await cent.getPresenceStats({ channel: 'chat:cent' });
    assert.deepEqual([stats.num_clients, stats.num_users], [1, 1]);
    const channels = await cent.getChannels({ pattern: 'chat:c*' });
    assert.deepEqual(channels.channels, { 'chat:cent': { num_clients: 1 } });
    const info = await cent.getInfo();
    assert.equal(info.nodes.length, 1);
    // Node counts come from the node's heartbeat (every 5 s), so the connection shows up with the next one.
    await waitUntil(async () => (await cent.getInfo()).nodes[0]?.num_clients === 1, 15_000, 'info num_clients');

    await cent.removeHistory({ channel: 'chat:cent' });
    const emptied = await cent.getHistory({ channel: 'chat:cent', limit: 10 });
    assert.deepEqual(emptied.publications, []);
  });

  void it('subscribe and unsubscribe a user server-side; refresh and disconnect its connections', async () => {
    const c = await connect('bob');
    const serverSubscribed = nextEvent<ServerSubscribedContext>(c, 'subscribed');
    const pubs: unknown[] = [];
    c.on('publication', (ctx) => pubs.push(ctx.data));
    await cent.subscribe({ user: 'bob', channel: 'chat:pushed' });
    assert.equal((await serverSubscribed).channel, 'chat:pushed');
    await cent.publish({ channel: 'chat:pushed', data: { hi: 'bob' } });
    await waitUntil(() => pubs.length === 1, 5000, 'publication on the server-side subscription');

    const got: unknown[] = [];
    const sub = await subscribe(c, 'chat:leave-me', got);
    const unsubscribed = nextEvent<{ code: number }>(sub, 'unsubscribed');
    await cent.unsubscribe({ user: 'bob', channel: 'chat:leave-me' });
    assert.equal((await unsubscribed).code, 2000);

    const d = await connect('dora');
    const expired = nextEvent<{ code: number }>(d, 'connecting');
    await cent.refresh({ user: 'dora', expired: true } as Parameters<CentClient['refresh']>[0]);
    assert.equal((await expired).code, 3005);

    const gone = nextEvent<{ code: number }>(c, 'disconnected');
    await cent.disconnect({ user: 'bob' });
    assert.equal((await gone).code, 3503);
  });

  void it('subscribe with recover_since delivers the publications after that position, then live ones', async () => {
    const first = await cent.publish({ channel: 'chat:since', data: { n: 1 } });
    await cent.publish({ channel: 'chat:since', data: { n: 2 } });
    await cent.publish({ channel: 'chat:since', data: { n: 3 } });
    const c = await connect('gil');
    const pubs: unknown[] = [];
    c.on('publication', (ctx) => pubs.push(ctx.data));
    const subscribed = nextEvent<ServerSubscribedContext>(c, 'subscribed');
    await cent.subscribe({ user: 'gil', channel: 'chat:since', recover_since: { offset: first.offset, epoch: first.epoch } } as Parameters<
      CentClient['subscribe']
    >[0]);
    assert.equal((await subscribed).channel, 'chat:since');
    await waitUntil(() => pubs.length === 2, 5000, 'recovered publications');
    await cent.publish({ channel: 'chat:since', data: { n: 4 } });
    await waitUntil(() => pubs.length === 3, 5000, 'live publication');
    assert.deepEqual(pubs, [{ n: 2 }, { n: 3 }, { n: 4 }]);
  });

  void it('pipeline sends the legacy newline-delimited POST /api and gets one result per command', async () => {
    const results = await cent.pipeline([
      { method: CentMethods.Publish, params: { channel: 'chat:pipe', data: { p: 1 } } },
      { method: CentMethods.Publish, params: { channel: 'chat:pipe', data: { p: 2 } } },
      { method: CentMethods.History, params: { channel: 'chat:pipe', limit: 10 } },
      { method: CentMethods.Info, params: {} },
    ] as never);
    assert.equal(results.length, 4);
    const history = results[2] as unknown as { publications: { data: unknown }[] };
    assert.deepEqual(
      history.publications.map((p) => p.data),
      [{ p: 1 }, { p: 2 }],
    );
    assert.equal((results[1] as unknown as { offset: number }).offset, 2);
  });

  void it('counts API requests by method and result on /metrics', async () => {
    const metrics = await fetch(`${gw.metricsUrl}/metrics`).then((r) => r.text());
    assert.match(metrics, /gateway_api_requests_total\{method="publish",result="ok"\} [1-9]/);
    assert.match(metrics, /gateway_api_request_duration_seconds_count\{method="history"\} [1-9]/);
    assert.ok((await getJson(`${gw.httpUrl}/health`)).status === 200);
  });
});
