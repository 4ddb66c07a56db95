// The real client's browser bundle in Chromium with WebSocket removed from the page: it falls
// back from websocket to http_stream (JSON and protobuf bundles) or to sse, from a page on
// another origin (CORS), and connects, subscribes, publishes and receives.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumAvailable, launchChromium, type LaunchedBrowser } from '../helpers/chromium.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
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
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}` });
  }));
}

/** The part of the bundle's client API the page uses. */
interface PageEmitter { once(event: string, listener: (ctx: never) => void): void }
interface PageSubscription extends PageEmitter { subscribe(): void; ready(timeout: number): Promise<void>; publish(data: unknown): Promise<unknown> }
interface PageClient extends PageEmitter { newSubscription(channel: string): PageSubscription; connect(): void; disconnect(): void }

interface PageResult { transport: string; received: unknown; hasWebSocket: boolean }

const CASES: { name: string; bundle: string; transports: string[]; expected: string }[] = [
  { name: 'JSON bundle falls back to http_stream', bundle: '/centrifuge.js', transports: ['websocket', 'http_stream', 'sse'], expected: 'http_stream' },
  { name: 'protobuf bundle falls back to http_stream', bundle: '/centrifuge.protobuf.js', transports: ['websocket', 'http_stream'], expected: 'http_stream' },
  { name: 'JSON bundle falls back to sse', bundle: '/centrifuge.js', transports: ['websocket', 'sse'], expected: 'sse' },
];

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
    gw = await startTestGateway({ CONFIG_FILE: file });
    browser = await launchChromium();
    await browser.context.addInitScript(() => {
      delete (globalThis as { WebSocket?: unknown }).WebSocket;
    });
  });
  after(async () => {
    await browser?.close();
    page?.server.close();
    await gw?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    void it(c.name, async () => {
      const tab = await browser.context.newPage();
      try {
        await tab.goto(`${page.url}/`);
        await tab.addScriptTag({ url: c.bundle });
        const base = wsPortHttpUrl(gw.wsUrl);
        const endpoints = c.transports.map((t) => ({
          transport: t, endpoint: t === 'websocket' ? gw.wsUrl : `${base}/connection/${t}`,
        }));
        const protobuf = c.bundle.includes('protobuf');
        const result = await tab.evaluate(async ({ endpoints, emulationEndpoint, channel, protobuf }): Promise<PageResult> => {
          const C = (globalThis as unknown as { Centrifuge: new (e: unknown, o: unknown) => PageClient }).Centrifuge;
          const client = new C(endpoints, { emulationEndpoint, timeout: 4000 });
          const connected = new Promise<string>((resolve) => client.once('connected', (ctx: { transport: string }) => resolve(ctx.transport)));
          const sub = client.newSubscription(channel);
          const received = new Promise<unknown>((resolve) => sub.once('publication', (p: { data: unknown }) => resolve(p.data)));
          sub.subscribe();
          client.connect();
          const transport = await connected;
          await sub.ready(4000);
          const value = { text: 'from chromium' };
          await sub.publish(protobuf ? new TextEncoder().encode(JSON.stringify(value)) : value);
          let data = await received;
          if (data instanceof Uint8Array) data = JSON.parse(new TextDecoder().decode(data));
          client.disconnect();
          return { transport, received: data, hasWebSocket: 'WebSocket' in globalThis };
        }, { endpoints, emulationEndpoint: `${base}/emulation`, channel: `chat:browser-${c.expected}-${protobuf ? 'pb' : 'json'}`, protobuf });
        assert.equal(result.hasWebSocket, false, 'the page has no WebSocket');
        assert.equal(result.transport, c.expected);
        assert.deepEqual(result.received, { text: 'from chromium' });
      } finally {
        await tab.close();
      }
    });
  }

  void it('a native EventSource receives publications over uni_sse', async () => {
    const tab = await browser.context.newPage();
    try {
      await tab.goto(`${page.url}/`);
      const url = `${wsPortHttpUrl(gw.wsUrl)}/connection/uni_sse?cf_connect=${encodeURIComponent(JSON.stringify({ subs: { 'chat:browser-uni': {} } }))}`;
      await tab.evaluate((u) => {
        const g = globalThis as unknown as { got: unknown[]; EventSource: new (url: string) => { onmessage: (e: { data: string }) => void } };
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
