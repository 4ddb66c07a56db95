// The chat demo in real Chromium against the real gateway process (embedded mode): two pages, one
// on JSON and one on protobuf, chat with each other; plus how the pages are served.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, type LaunchedBrowser } from '../helpers/chromium.js';
import type { TsProcess } from '../helpers/gateway.js';
import { freeGatewayPorts, requireWebBuild, screenshot, spawnGatewayOn, type GatewayPorts } from '../helpers/web-pages.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (.ci/run installs it)';
let ports: GatewayPorts;
let gateway: TsProcess;
let browser: LaunchedBrowser;
let base: string;

before(async () => {
  requireWebBuild();
  ports = await freeGatewayPorts();
  gateway = await spawnGatewayOn(ports, {});
  base = `http://127.0.0.1:${ports.ws}`;
  if (skip === false) browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await gateway?.stop();
});

async function join(page: Page, name: string, room: string, encoding: 'JSON' | 'Protobuf'): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Room', { exact: true }).fill(room);
  await page.getByLabel('Encoding', { exact: true }).selectOption({ label: encoding });
  await page.getByRole('button', { name: 'Join' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
}

async function say(page: Page, text: string): Promise<void> {
  const field = page.getByLabel('Message', { exact: true });
  await field.fill(text);
  await field.press('Enter');
}

void describe('chat demo in Chromium', { skip }, () => {
  void it('two pages (JSON and protobuf) chat, see each other in presence, typing, and history on entry', async () => {
    const ann = await browser.context.newPage();
    await join(ann, 'Ann', 'web-test', 'JSON');
    await say(ann, 'first, before Bob came');
    await ann.getByRole('list', { name: 'Messages' }).getByText('first, before Bob came').waitFor();

    const bob = await browser.context.newPage();
    await join(bob, 'Bob', 'web-test', 'Protobuf');
    const bobMessages = bob.getByRole('list', { name: 'Messages' });
    // History on entry: the message sent before Bob joined, marked as history.
    await bobMessages.getByRole('listitem').filter({ hasText: 'first, before Bob came' }).getByText('history').waitFor();

    const annPeople = ann.getByRole('list', { name: 'People in this room' });
    const bobPeople = bob.getByRole('list', { name: 'People in this room' });
    await annPeople.getByText('Bob', { exact: true }).waitFor();
    await bobPeople.getByText('Ann', { exact: true }).waitFor();
    await bobPeople.getByText('Bob (you)').waitFor();
    await ann.getByRole('list', { name: 'Room events' }).getByText('Bob joined').waitFor();

    await bob.getByLabel('Message', { exact: true }).pressSequentially('hi Ann');
    await ann.getByText('Bob is typing…').waitFor();
    await bob.getByLabel('Message', { exact: true }).press('Enter');
    await ann.getByRole('list', { name: 'Messages' }).getByText('hi Ann').waitFor();
    await say(ann, 'héllo Bob, ça va?');
    await bobMessages.getByText('héllo Bob, ça va?').waitFor();
    assert.equal(await bob.getByLabel('Message', { exact: true }).inputValue(), '', 'Enter sent and cleared the field');
    await ann.getByText('Bob is typing…').waitFor({ state: 'hidden' });
    await screenshot(ann, 'chat');

    await bob.getByRole('button', { name: 'Leave' }).click();
    await ann.getByRole('list', { name: 'Room events' }).getByText('Bob left').waitFor();
    await annPeople.getByText('Bob', { exact: true }).waitFor({ state: 'hidden' });
    await bob.close();

    const mobile = await browser.context.newPage();
    await mobile.setViewportSize({ width: 390, height: 760 });
    await join(mobile, 'Chen', 'web-test', 'JSON');
    await mobile.getByText('héllo Bob, ça va?').waitFor();
    const width = await mobile.evaluate(
      () => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth,
    );
    assert.ok(width <= 390, `no horizontal scrolling at mobile width (scrollWidth ${width})`);
    await screenshot(mobile, 'chat-mobile');
    await mobile.close();
    await ann.close();
  });

  void it('the join form works from the keyboard alone', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/`);
    await page.getByLabel('Name', { exact: true }).waitFor();
    // The name field has focus on load; Tab moves through Room and Encoding to Join.
    await page.keyboard.type('Kim');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('keys');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Room chat:keys' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await page.keyboard.type('typed with keys only');
    await page.keyboard.press('Enter');
    await page.getByRole('list', { name: 'Messages' }).getByText('typed with keys only').waitFor();
    await page.close();
  });
});

void describe('pages as served by the gateway', () => {
  void it('HTML is revalidated, hashed assets are immutable, the admin UI is off without ADMIN_PASSWORD', async () => {
    const html = await fetch(`${base}/`);
    assert.equal(html.status, 200);
    assert.equal(html.headers.get('cache-control'), 'no-cache');
    assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const text = await html.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(text)?.[1];
    assert.ok(asset !== undefined, 'index.html references a hashed script');
    const js = await fetch(`${base}${asset}`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const etag = html.headers.get('etag') ?? '';
    assert.equal((await fetch(`${base}/`, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await fetch(`${base}/admin`)).status, 404);
    assert.equal((await fetch(`${base}/admin/api/session`)).status, 404);
    assert.deepEqual(await (await fetch(`${base}/demo/config`)).json(), { auth: 'anonymous', signals: 'chat:{room}:signals' });
    assert.equal((await fetch(`${base}/demo/token`, { method: 'POST' })).status, 404);
  });
});

void describe('admin API in embedded mode', () => {
  void it('needs a session; lists the in-process workers of the default pool and answers server API methods', async () => {
    const adminPorts = await freeGatewayPorts();
    const gw = await spawnGatewayOn(adminPorts, { ADMIN_PASSWORD: 'embedded-pass', CHAT_DEMO: 'false' });
    try {
      const url = `http://127.0.0.1:${adminPorts.ws}`;
      assert.equal((await fetch(`${url}/`)).status, 404, 'CHAT_DEMO=false turns the demo off');
      assert.equal((await fetch(`${url}/admin`)).status, 200);
      assert.equal((await fetch(`${url}/admin/api/workers`)).status, 401);
      const json = { 'content-type': 'application/json' };
      assert.equal((await fetch(`${url}/admin/api/login`, { method: 'POST', headers: json, body: '{"password":"nope"}' })).status, 401);
      assert.equal(
        (await fetch(`${url}/admin/api/login`, { method: 'POST', body: '{"password":"embedded-pass"}' })).status,
        415,
        'only JSON bodies',
      );
      const ok = await fetch(`${url}/admin/api/login`, { method: 'POST', headers: json, body: '{"password":"embedded-pass"}' });
      assert.equal(ok.status, 200);
      const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      assert.match(ok.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
      const workers = (await (await fetch(`${url}/admin/api/workers`, { headers: { cookie } })).json()) as {
        workers: { id: string; pool: string; state: string }[];
      };
      assert.deepEqual(
        workers.workers.map((w) => [w.id, w.pool, w.state]),
        [
          ['embedded-0', 'default', 'alive'],
          ['embedded-1', 'default', 'alive'],
        ],
      );
      const info = (await (
        await fetch(`${url}/admin/api/call/info`, { method: 'POST', headers: { ...json, cookie }, body: '{}' })
      ).json()) as { result: { nodes: unknown[] } };
      assert.equal(info.result.nodes.length, 1);
      const refused = (await (
        await fetch(`${url}/admin/api/call/broadcast`, { method: 'POST', headers: { ...json, cookie }, body: '{}' })
      ).json()) as { error: string };
      assert.match(refused.error, /no such method/);
      const letters = await fetch(`${url}/admin/api/dead-letters?worker=embedded-0`, { headers: { cookie } });
      assert.deepEqual(await letters.json(), { total: 0, deadLetters: [] });
      assert.equal((await fetch(`${url}/admin/api/dead-letters?worker=embedded-0&after=x`, { headers: { cookie } })).status, 400);
      assert.equal((await fetch(`${url}/admin/api/dead-letters?worker=${encodeURIComponent('a b')}`, { headers: { cookie } })).status, 400);
      const purge = await fetch(`${url}/admin/api/dead-letters-action/purge`, {
        method: 'POST',
        headers: { ...json, cookie },
        body: '{"worker":"embedded-0","entryIds":"all"}',
      });
      assert.deepEqual(await purge.json(), { purged: 0 });
      const forged = `${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`;
      assert.equal((await fetch(`${url}/admin/api/workers`, { headers: { cookie: forged } })).status, 401, 'a tampered session is refused');
    } finally {
      await gw.stop();
    }
  });
});

void describe('chat demo with a token secret', { skip }, () => {
  void it('CHAT_DEMO_TOKENS signs tokens for the page (development); without it the page asks for a token', async () => {
    const secret = 'web-test-secret-0123456789';
    const devPorts = await freeGatewayPorts();
    const dev = await spawnGatewayOn(devPorts, {
      CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: secret,
      CHAT_DEMO_TOKENS: 'true',
      CONFIG_FILE: 'examples/workers.config.json',
    });
    const strictPorts = await freeGatewayPorts();
    const strict = await spawnGatewayOn(strictPorts, { CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: secret });
    try {
      assert.ok(
        dev.lines.some((l) => l.includes('CHAT_DEMO_TOKENS is on')),
        'the gateway warns that dev tokens are on',
      );
      const page = await browser.context.newPage();
      await page.goto(`http://127.0.0.1:${devPorts.ws}/`);
      await page.getByText('Development mode: the gateway signs a token').waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Dana');
      await page.getByRole('button', { name: 'Join' }).click();
      await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
      await page.getByRole('list', { name: 'People in this room' }).getByText('Dana (you)').waitFor();
      assert.deepEqual(
        await (await fetch(`http://127.0.0.1:${devPorts.ws}/demo/config`)).json(),
        { auth: 'dev-tokens', signals: 'typing:{room}' },
        'a config with a history-less typing namespace carries the signals there',
      );
      const eve = await browser.context.newPage();
      await eve.goto(`http://127.0.0.1:${devPorts.ws}/`);
      await eve.getByLabel('Name', { exact: true }).fill('Eve');
      await eve.getByRole('button', { name: 'Join' }).click();
      await page.getByRole('list', { name: 'People in this room' }).getByText('Eve', { exact: true }).waitFor();
      await eve.getByLabel('Message', { exact: true }).pressSequentially('hello');
      await page.getByText('Eve is typing…').waitFor();
      await eve.close();
      const bad = await fetch(`http://127.0.0.1:${devPorts.ws}/demo/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"a:b"}',
      });
      assert.equal(bad.status, 400, 'names that could read as channel separators are refused');

      await page.goto(`http://127.0.0.1:${strictPorts.ws}/`);
      await page.getByLabel('Connection token', { exact: true }).waitFor();
      await page.getByText("Your app's backend issues them").waitFor();
      await page.close();
      assert.equal((await fetch(`http://127.0.0.1:${strictPorts.ws}/demo/token`, { method: 'POST' })).status, 404);
      assert.deepEqual(await (await fetch(`http://127.0.0.1:${strictPorts.ws}/demo/config`)).json(), {
        auth: 'token-required',
        signals: 'chat:{room}:signals',
      });
    } finally {
      await dev.stop();
      await strict.stop();
    }
  });
});
