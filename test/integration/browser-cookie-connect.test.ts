// Real Chromium: a page of an allowed origin opens a WebSocket to the gateway with its session
// cookie and no token, and the connect proxy authenticates it by that cookie; a page of another
// origin is refused at the upgrade (403), so its WebSocket never opens.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromiumAvailable, launchChromium, type LaunchedBrowser } from '../helpers/chromium.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((r) => server.listen(0, host, r));
  return (server.address() as AddressInfo).port;
}

/** Runs in the page: opens the WebSocket, sends a connect without token, returns the reply or the failure. */
function connectFromPage(url: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'centrifuge-json');
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, connect: {} }));
    ws.onmessage = (e) => {
      resolve(String(e.data));
      ws.close();
    };
    ws.onclose = (e) => resolve(`closed ${e.code}`);
  });
}

void describe(
  'browser connects with its session cookie through the connect proxy',
  { skip: !chromiumAvailable() && 'chromium not installed' },
  () => {
    const seen: string[] = [];
    let backend: Server;
    let pages: Server;
    let gw: TestGateway;
    let browser: LaunchedBrowser;
    let pageOrigin: string;
    let otherOrigin: string;

    before(async () => {
      backend = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const session = /session=(\w+)/.exec(req.headers.cookie ?? '')?.[1];
          seen.push(session ?? '');
          const body = JSON.stringify(
            session !== undefined ? { result: { user: `user-${session}` } } : { error: { code: 1401, message: 'login first' } },
          );
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
        });
      });
      const backendPort = await listen(backend, '127.0.0.1');
      pages = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': 'session=carol; Path=/; HttpOnly; SameSite=Lax' });
        res.end('<!doctype html><title>app</title><h1>App</h1>');
      });
      const pagePort = await listen(pages, '127.0.0.1');
      pageOrigin = `http://127.0.0.1:${pagePort}`;
      otherOrigin = `http://localhost:${pagePort}`;
      gw = await startTestGateway(
        {},
        {
          configFile: {
            client: {
              allowed_origins: [pageOrigin],
              proxy: { connect: { enabled: true, endpoint: `http://127.0.0.1:${backendPort}/connect`, http_headers: ['Cookie'] } },
            },
          },
        },
      );
      browser = await launchChromium();
    });
    after(async () => {
      await browser.close();
      await gw.close();
      backend.close();
      pages.close();
    });

    void it("the allowed page connects as the cookie's user without a token", async () => {
      const page = await browser.context.newPage();
      await page.goto(`${pageOrigin}/`);
      const reply = JSON.parse(await page.evaluate(connectFromPage, gw.wsUrl)) as { id: number; connect?: { client: string } };
      assert.equal(reply.id, 1);
      assert.equal(typeof reply.connect?.client, 'string');
      assert.ok(seen.includes('carol'), 'the backend saw the session cookie');
      await page.close();
    });

    void it('a page of another origin is refused before any authentication', async () => {
      const before = seen.length;
      const page = await browser.context.newPage();
      await page.goto(`${otherOrigin}/`);
      assert.equal(await page.evaluate(connectFromPage, gw.wsUrl), 'closed 1006');
      assert.equal(seen.length, before, 'the connect proxy was not called');
      await page.close();
    });
  },
);
