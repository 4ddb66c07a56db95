// Centrifugo's HTTP proxies against a real local backend with the real client: connect by cookie
// (no token), the backend's error and disconnect answers, a backend that is down, subscribe,
// publish (data replaced before the pipeline), rpc and the server-side refresh.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext } from 'centrifuge';
import WebSocket from 'ws';
import { freePort } from '../helpers/redis-server.js';
import {
  CLIENT_PROTOCOLS,
  fromPayload,
  newClient,
  nextEvent,
  payload,
  startTestGateway,
  waitUntil,
  type TestGateway,
} from '../helpers/gateway.js';

interface Call {
  path: string;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

/** The app backend: answers each proxy path from the cookie's session name. */
async function startBackend(calls: Call[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString();
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      calls.push({ path: req.url ?? '', body, headers: req.headers });
      const bearer = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1];
      const session = /session=(\w+)/.exec(req.headers.cookie ?? '')?.[1] ?? bearer ?? '';
      let answer: unknown = {};
      if (req.url === '/connect') {
        if (session === 'forbidden') {
          res.writeHead(403, { 'content-type': 'text/plain' });
          res.end('forbidden');
          return;
        }
        if (session === 'banned') answer = { error: { code: 1403, message: 'banned' } };
        else if (session === 'kicked') answer = { disconnect: { code: 4501, reason: 'go away' } };
        else if (session === 'short') answer = { result: { user: 'shorty', expire_at: Math.floor(Date.now() / 1000) + 1 } };
        else if (session !== '')
          answer = { result: { user: session, info: { name: session }, channels: ['feed:all'], data: { welcome: true } } };
        else answer = { error: { code: 1401, message: 'no session' } };
      } else if (req.url === '/refresh') {
        answer = { result: { expire_at: Math.floor(Date.now() / 1000) + 3600 } };
      } else if (req.url === '/subscribe') {
        if (body['channel'] === 'room:short') answer = { result: { expire_at: Math.floor(Date.now() / 1000) + 1 } };
        else
          answer =
            body['channel'] === 'room:open' ? { result: { info: { seat: 7 } } } : { error: { code: 103, message: 'permission denied' } };
      } else if (req.url === '/sub_refresh') {
        answer = { result: { expire_at: Math.floor(Date.now() / 1000) + 3600 } };
      } else if (req.url === '/publish') {
        const data = body['data'] as Record<string, unknown>;
        answer =
          data['text'] === 'spam'
            ? { error: { code: 1409, message: 'rejected' } }
            : { result: { data: { text: String(data['text']).toUpperCase() } } };
      } else if (req.url === '/rpc') {
        answer = { result: { data: { method: body['method'], user: body['user'] } } };
      }
      const text = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A `ws` WebSocket class that sends `cookie`, as a browser does for its own origin. */
function withCookie(cookie: string): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { cookie } });
    }
  } as typeof WebSocket;
}

function configFor(url: string): Record<string, unknown> {
  const proxy = (path: string) => ({ endpoint: `${url}${path}`, timeout: '2s', http_headers: ['Cookie', 'Authorization'] });
  return {
    client: {
      proxy: {
        connect: {
          enabled: true,
          ...proxy('/connect'),
          http: { status_to_code_transforms: [{ status_code: 403, to_disconnect: { code: 4503, reason: 'forbidden' } }] },
        },
        refresh: { enabled: true, ...proxy('/refresh') },
      },
    },
    channel: {
      proxy: { subscribe: proxy('/subscribe'), publish: proxy('/publish'), sub_refresh: proxy('/sub_refresh') },
      namespaces: [
        { name: 'feed' },
        {
          name: 'room',
          subscribe_proxy_enabled: true,
          publish_proxy_enabled: true,
          sub_refresh_proxy_enabled: true,
          allow_publish_for_subscriber: true,
        },
      ],
    },
    rpc: { proxy: proxy('/rpc'), without_namespace: { proxy_enabled: true } },
  };
}

void describe('HTTP proxies to the application backend', () => {
  const calls: Call[] = [];
  let backend: Awaited<ReturnType<typeof startBackend>>;
  let gw: TestGateway;
  const clients: Centrifuge[] = [];
  const client = (cookie: string): Centrifuge => {
    const c = newClient(gw.wsUrl, 'json', { websocket: withCookie(cookie) });
    clients.push(c);
    return c;
  };

  before(async () => {
    backend = await startBackend(calls);
    gw = await startTestGateway({}, { configFile: configFor(backend.url) });
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await gw.close();
    backend.server.close();
  });

  void it('a browser connects with its session cookie and no token; the backend sees the cookie', async () => {
    const c = client('session=alice; theme=dark');
    const pubs: PublicationContext[] = [];
    c.on('publication', (ctx) => pubs.push(ctx));
    const connected = nextEvent<{ data?: unknown }>(c, 'connected');
    c.connect();
    assert.deepEqual((await connected).data, { welcome: true });
    const call = calls.find((x) => x.path === '/connect' && x.headers.cookie?.includes('alice'));
    assert.equal(call?.headers.cookie, 'session=alice; theme=dark');
    assert.equal(call?.body['transport'], 'websocket');
    assert.equal(typeof call?.body['client'], 'string');
    await gw.publisher.publish('feed:all', Buffer.from('{"hello":"alice"}'));
    await waitUntil(() => pubs.length === 1, 5000, 'server-side subscription from the connect proxy');
    const rpc = await c.rpc('whoami', { q: 1 });
    assert.deepEqual(rpc.data, { method: 'whoami', user: 'alice' });
    const metrics = await gw.registry.metrics();
    assert.match(metrics, /gateway_proxy_requests_total\{proxy="connect",result="ok"\} [1-9]/);
    assert.match(metrics, /gateway_proxy_request_duration_seconds_count\{proxy="rpc"\} [1-9]/);
  });

  void it('headers emulated by centrifuge-js (`headers` option) reach the connect proxy', async () => {
    const c = newClient(gw.wsUrl, 'json', { headers: { Authorization: 'Bearer frank', 'X-Not-Listed': 'no' } });
    clients.push(c);
    const connected = nextEvent(c, 'connected');
    c.connect();
    await connected;
    const call = calls.find((x) => x.path === '/connect' && x.headers.authorization === 'Bearer frank');
    assert.ok(call !== undefined, 'the emulated Authorization header was forwarded');
    assert.equal(call.headers['x-not-listed'], undefined, 'headers not in http_headers are not forwarded');
    assert.deepEqual((await c.rpc('whoami', {})).data, { method: 'whoami', user: 'frank' });
  });

  void it("the backend's error reaches the client as that error, its disconnect as that disconnect", async () => {
    const banned = client('session=banned');
    const refused = nextEvent<{ code: number; reason: string }>(banned, 'disconnected');
    banned.connect();
    assert.equal((await refused).code, 1403);

    const kicked = client('session=kicked');
    const gone = nextEvent<{ code: number; reason: string }>(kicked, 'disconnected');
    kicked.connect();
    const d = await gone;
    assert.deepEqual([d.code, d.reason], [4501, 'go away']);

    const forbidden = client('session=forbidden');
    const transformed = nextEvent<{ code: number; reason: string }>(forbidden, 'disconnected');
    forbidden.connect();
    const t = await transformed;
    assert.deepEqual([t.code, t.reason], [4503, 'forbidden'], 'HTTP 403 mapped by status_to_code_transforms');
  });

  void it('a backend that is down gives a temporary error and the client keeps retrying', async () => {
    const down = await startTestGateway({}, { configFile: configFor(`http://127.0.0.1:${await freePort()}`) });
    try {
      const c = newClient(down.wsUrl, 'json', { websocket: withCookie('session=alice') });
      const error = nextEvent<{ type: string; error: { code: number; temporary?: boolean } }>(c, 'error');
      c.connect();
      const e = await error;
      assert.equal(e.error.code, 100);
      assert.equal(e.error.temporary, true);
      assert.equal(c.state, 'connecting', 'a temporary error keeps the client reconnecting');
      c.disconnect();
    } finally {
      await down.close();
    }
  });

  void it('the subscribe proxy decides subscriptions; the publish proxy checks and replaces data before the pipeline', async () => {
    const c = client('session=bob');
    c.connect();
    await nextEvent(c, 'connected');
    const open = c.newSubscription('room:open');
    const got: unknown[] = [];
    open.on('publication', (ctx) => got.push(ctx.data));
    open.subscribe();
    await nextEvent(open, 'subscribed');
    const closed = c.newSubscription('room:closed');
    const unsubscribed = nextEvent<{ code: number }>(closed, 'unsubscribed');
    closed.subscribe();
    assert.equal((await unsubscribed).code, 103);

    await open.publish({ text: 'hello' });
    await waitUntil(() => got.length === 1, 5000, 'replaced publication');
    assert.deepEqual(got[0], { text: 'HELLO' });
    await assert.rejects(open.publish({ text: 'spam' }), (err: { code?: number }) => err.code === 1409);
    const call = calls.find((x) => x.path === '/publish');
    assert.equal(call?.body['channel'], 'room:open');
    assert.equal(call?.body['user'], 'bob');
  });

  void it('the sub_refresh proxy extends a subscription the subscribe proxy granted with an expiry', async () => {
    const c = client('session=erin');
    c.connect();
    await nextEvent(c, 'connected');
    const sub = c.newSubscription('room:short');
    let unsubscribed = false;
    sub.on('unsubscribed', () => {
      unsubscribed = true;
    });
    sub.subscribe();
    await nextEvent(sub, 'subscribed');
    await waitUntil(
      () => calls.some((x) => x.path === '/sub_refresh' && x.body['channel'] === 'room:short' && x.body['user'] === 'erin'),
      5000,
      'sub_refresh call',
    );
    assert.equal(unsubscribed, false);
    assert.equal(sub.state, 'subscribed');
  });

  for (const protocol of CLIENT_PROTOCOLS) {
    void it(`connect by cookie, rpc and a replaced publish with the ${protocol} client`, async () => {
      const c = newClient(gw.wsUrl, protocol, { websocket: withCookie(`session=${protocol}user`) });
      clients.push(c);
      const connected = nextEvent<{ data?: unknown }>(c, 'connected');
      c.connect();
      assert.deepEqual(fromPayload((await connected).data), { welcome: true });
      assert.deepEqual(fromPayload((await c.rpc('whoami', payload(protocol, { q: 2 }))).data), {
        method: 'whoami',
        user: `${protocol}user`,
      });
      const sub = c.newSubscription(`room:open`);
      const got: unknown[] = [];
      sub.on('publication', (ctx) => got.push(fromPayload(ctx.data)));
      sub.subscribe();
      await nextEvent(sub, 'subscribed');
      await sub.publish(payload(protocol, { text: `from ${protocol}` }));
      await waitUntil(() => got.length === 1, 5000, 'replaced publication');
      assert.deepEqual(got[0], { text: `FROM ${protocol.toUpperCase()}` });
      sub.unsubscribe();
      c.disconnect();
    });
  }

  void it('the refresh proxy extends a proxy-authenticated connection when it expires', async () => {
    const c = client('session=short');
    c.connect();
    await nextEvent(c, 'connected');
    await waitUntil(() => calls.some((x) => x.path === '/refresh' && x.body['user'] === 'shorty'), 5000, 'refresh proxy call');
    assert.equal(c.state, 'connected');
  });
});
