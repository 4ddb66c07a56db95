// The real client's browser bundle in Chromium with WebSocket removed from the page: it falls
// back from websocket to http_stream (JSON and protobuf bundles) or to sse, from a page on
// another origin (CORS), and connects, subscribes, publishes, receives, calls rpc, refreshes its
// token and recovers after a disconnect; a native EventSource reads uni_sse.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumAvailable, launchChromium, type LaunchedBrowser } from '../helpers/chromium.js';
import { signToken } from '../../src/gateway/index.js';
import { DirectPipeline } from '../helpers/direct-pipeline.js';
import type { MessagePipeline } from '../../src/queue/index.js';
import { startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';
import { wsPortHttpUrl } from '../helpers/transports.js';

const dist = join(dirname(createRequire(import.meta.url).resolve('centrifuge')), '..', 'dist');
const BUNDLES: Record<string, string> = {
  '/centrifuge.js': readFileSync(join(dist, 'centrifuge.js'), 'utf8'),
  '/centrifuge.protobuf.js': readFileSync(join(dist, 'centrifuge.protobuf.js'), 'utf8'),
};

/** Serves an empty page and the client bundles, on its own origin. */
function startPageServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const bundle = BUNDLES[req.url ?? ''];
    if (bundle !== undefined) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(bundle);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>transports</title>');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}` });
    }),
  );
}

/** The part of the bundle's client API the page uses. */
interface PageEmitter {
  once(event: string, listener: (ctx: never) => void): void;
}
interface PageSubscription extends PageEmitter {
  on(event: string, listener: (ctx: never) => void): void;
  subscribe(): void;
  ready(timeout: number): Promise<void>;
  publish(data: unknown): Promise<unknown>;
}
interface PageClient extends PageEmitter {
  readonly state: string;
  newSubscription(channel: string): PageSubscription;
  connect(): void;
  disconnect(): void;
  rpc(method: string, data: unknown): Promise<{ data: unknown }>;
}

interface PageResult {
  transport: string;
  client: string;
  rpc: unknown;
  hasWebSocket: boolean;
}

/** The page's state between steps, kept on globalThis. */
interface PageState {
  pubs: unknown[];
  subscribed: { recovered: boolean; wasRecovering: boolean }[];
  client: PageClient | null;
  state(): string;
}

const CASES: { name: string; bundle: string; transports: string[]; expected: string }[] = [
  {
    name: 'JSON bundle falls back to http_stream',
    bundle: '/centrifuge.js',
    transports: ['websocket', 'http_stream', 'sse'],
    expected: 'http_stream',
  },
  {
    name: 'protobuf bundle falls back to http_stream',
    bundle: '/centrifuge.protobuf.js',
    transports: ['websocket', 'http_stream'],
    expected: 'http_stream',
  },
  { name: 'JSON bundle falls back to sse', bundle: '/centrifuge.js', transports: ['websocket', 'sse'], expected: 'sse' },
];

const SECRET = 'transport-browser-test-secret';
const now = (): number => Math.floor(Date.now() / 1000);

/** Refresh commands the gateway answered successfully. */
async function refreshCount(gw: TestGateway): Promise<number> {
  const metric = await gw.registry.getSingleMetric('gateway_commands_total')?.get();
  return metric?.values.find((v) => v.labels['method'] === 'refresh' && v.labels['result'] === 'ok')?.value ?? 0;
}

void describe('transport fallback in Chromium with WebSocket blocked', { skip: chromiumAvailable() ? false : 'no chromium' }, () => {
  let gw: TestGateway;
  let page: { server: Server; url: string };
  let browser: LaunchedBrowser;

  let dir: string;

  before(async () => {
    page = await startPageServer();
    // The page is on another origin than the gateway: allow it as client.allowed_origins.
    dir = mkdtempSync(join(tmpdir(), 'gw-browser-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ client: { allowed_origins: [page.url] } }));
    gw = await startTestGateway(
      { CONFIG_FILE: file, CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET },
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
    browser = await launchChromium();
    await browser.context.addInitScript(() => {
      delete (globalThis as { WebSocket?: unknown }).WebSocket;
      // tsx compiles the functions evaluated in the page with esbuild's keepNames helper.
      (globalThis as { __name?: unknown }).__name = (f: unknown) => f;
    });
    // The page's backend: a short-lived token to connect with, longer ones for the refreshes.
    await browser.context.exposeFunction('issueToken', (short: boolean) =>
      signToken({ sub: 'browser', exp: now() + (short ? 2 : 60) }, SECRET),
    );
  });
  after(async () => {
    await browser?.close();
    page?.server.close();
    await gw?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    void it(`${c.name}: connects, subscribes, publishes, receives, calls rpc, refreshes its token, recovers after a disconnect`, async () => {
      const tab = await browser.context.newPage();
      try {
        await tab.goto(`${page.url}/`);
        await tab.addScriptTag({ url: c.bundle });
        const base = wsPortHttpUrl(gw.wsUrl);
        const endpoints = c.transports.map((t) => ({
          transport: t,
          endpoint: t === 'websocket' ? gw.wsUrl : `${base}/connection/${t}`,
        }));
        const protobuf = c.bundle.includes('protobuf');
        const channel = `chat:browser-${c.expected}-${protobuf ? 'pb' : 'json'}`;
        const refreshesBefore = await refreshCount(gw);
        const result = await tab.evaluate(
          async ({ endpoints, emulationEndpoint, channel, protobuf }): Promise<PageResult> => {
            const g = globalThis as unknown as PageState & {
              issueToken(short: boolean): Promise<string>;
              Centrifuge: new (e: unknown, o: unknown) => PageClient;
            };
            const encode = (v: unknown): unknown => (protobuf ? new TextEncoder().encode(JSON.stringify(v)) : v);
            const decode = (d: unknown): unknown => (d instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(d)) : d);
            const client = new g.Centrifuge(endpoints, {
              emulationEndpoint,
              timeout: 4000,
              minReconnectDelay: 100,
              maxReconnectDelay: 300,
              token: await g.issueToken(true),
              getToken: () => g.issueToken(false),
            });
            g.client = client;
            g.pubs = [];
            g.subscribed = [];
            g.state = () => client.state;
            const connected = new Promise<{ transport: string; client: string }>((resolve) => client.once('connected', resolve));
            const sub = client.newSubscription(channel);
            sub.on('publication', (p: { data: unknown }) => g.pubs.push(decode(p.data)));
            sub.on('subscribed', (ctx: { recovered: boolean; wasRecovering: boolean }) => g.subscribed.push(ctx));
            sub.subscribe();
            client.connect();
            const ctx = await connected;
            await sub.ready(4000);
            await sub.publish(encode({ text: 'from chromium' }));
            const answer = await client.rpc('echo', encode({ n: 1 }));
            return { transport: ctx.transport, client: ctx.client, rpc: decode(answer.data), hasWebSocket: 'WebSocket' in globalThis };
          },
          { endpoints, emulationEndpoint: `${base}/emulation`, channel, protobuf },
        );
        assert.equal(result.hasWebSocket, false, 'the page has no WebSocket');
        assert.equal(result.transport, c.expected);
        assert.deepEqual(result.rpc, { method: 'echo', echo: { n: 1 } });
        await tab.waitForFunction(() => (globalThis as unknown as PageState).pubs.length === 1);

        // The first token expires 2 s after issue: the client refreshes it through the emulation endpoint.
        await waitUntil(async () => (await refreshCount(gw)) > refreshesBefore, 6000, 'a refresh answered by the server');

        assert.equal(gw.gateway.disconnectClient(result.client), true);
        await gw.publisher.publish(channel, JSON.stringify({ text: 'missed' }));
        await tab.waitForFunction(
          () => {
            const g = globalThis as unknown as PageState;
            return g.subscribed.length === 2 && g.pubs.length === 2;
          },
          undefined,
          { timeout: 8000 },
        );
        const after = await tab.evaluate(() => {
          const g = globalThis as unknown as PageState;
          const state = { pubs: g.pubs, resubscribed: g.subscribed[1], state: g.state() };
          g.client?.disconnect();
          return state;
        });
        assert.deepEqual(after.pubs, [{ text: 'from chromium' }, { text: 'missed' }]);
        assert.equal(after.resubscribed?.recovered, true);
        assert.equal(after.state, 'connected');
      } finally {
        await tab.close();
      }
    });
  }

  void it('a native EventSource receives publications over uni_sse', async () => {
    const tab = await browser.context.newPage();
    try {
      await tab.goto(`${page.url}/`);
      const url = `${wsPortHttpUrl(gw.wsUrl)}/connection/uni_sse?cf_connect=${encodeURIComponent(JSON.stringify({ token: signToken({ sub: 'page', exp: now() + 60 }, SECRET), subs: { 'chat:browser-uni': {} } }))}`;
      await tab.evaluate((u) => {
        const g = globalThis as unknown as {
          got: unknown[];
          EventSource: new (url: string) => { onmessage: (e: { data: string }) => void };
        };
        g.got = [];
        new g.EventSource(u).onmessage = (e) => g.got.push(JSON.parse(e.data));
      }, url);
      await tab.waitForFunction(() => (globalThis as unknown as { got: unknown[] }).got.length >= 1);
      await gw.publisher.publish('chat:browser-uni', JSON.stringify({ text: 'to the page' }));
      await tab.waitForFunction(() => (globalThis as unknown as { got: unknown[] }).got.length >= 2);
      const got = await tab.evaluate(() => (globalThis as unknown as { got: unknown[] }).got);
      assert.ok((got[0] as { connect?: { subs?: Record<string, unknown> } }).connect?.subs?.['chat:browser-uni'] !== undefined);
      assert.deepEqual(got[1], { channel: 'chat:browser-uni', pub: { data: { text: 'to the page' }, offset: 1 } });
    } finally {
      await tab.close();
    }
  });
});
