// The admin UI in real Chromium against the real gateway process in Redis mode with a real worker
// process: login (wrong password refused, then rate limited), nodes, worker lag while the worker
// is stopped, channels, a channel's presence, the publish console; the HTTP API key never reaches the page.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, type LaunchedBrowser } from '../helpers/chromium.js';
import { newClient, spawnTs, type TsProcess } from '../helpers/gateway.js';
import { RedisStreamQueue } from '../../src/queue/index.js';
import { useRedisServer } from '../helpers/redis-server.js';
import { freeGatewayPorts, requireWebBuild, screenshot, spawnGatewayOn } from '../helpers/web-pages.js';
import { PipelineKeys } from '../../src/redis/index.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (.ci/run installs it)';
const PASSWORD = 'correct horse battery';
const API_KEY = `api-key-${randomBytes(8).toString('hex')}`;
const processes: TsProcess[] = [];
const fixture = useRedisServer({
  beforeClose: async () => {
    for (const p of processes.reverse()) await p.stop('SIGKILL');
  },
});
let browser: LaunchedBrowser;

before(async () => {
  requireWebBuild();
  if (skip === false) browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** Types the password and submits with Enter (the form works from the keyboard). */
async function login(page: Page, password: string): Promise<void> {
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password', { exact: true }).press('Enter');
}

void describe('admin UI in Chromium (Redis mode)', { skip }, () => {
  void it('logs in, shows nodes, worker lag while the worker is stopped, channels, presence and publishes', async () => {
    const env = {
      REDIS_URL: fixture.server.url,
      REDIS_PREFIX: `adm${randomBytes(3).toString('hex')}`,
      ADMIN_PASSWORD: PASSWORD,
      HTTP_API_KEY: API_KEY,
    };
    const ports = await freeGatewayPorts();
    processes.push(await spawnGatewayOn(ports, env));
    const worker = spawnTs('examples/worker-simple.ts', { ...env, WORKER_ID: 'adm-w0', WORKER_METRICS_PORT: '0' });
    processes.push(worker);
    await worker.waitForLine(/worker registered/, 60_000);
    const base = `http://127.0.0.1:${ports.ws}`;

    const page = await browser.context.newPage();
    const bodies: string[] = [];
    page.on('response', (r) => {
      void r.text().then(
        (t) => bodies.push(t),
        () => undefined,
      );
    });
    await page.goto(`${base}/admin`);
    await screenshot(page, 'admin-login');
    await login(page, 'not the password');
    await page.getByRole('alert').filter({ hasText: 'wrong password' }).waitFor();
    await login(page, PASSWORD);
    await page.getByRole('heading', { name: 'Nodes' }).waitFor();
    const nodes = page.getByRole('table', { name: 'Gateway nodes' });
    await nodes.getByText('(this node)').waitFor();
    await page.getByText('Mode: redis').waitFor();

    await page.getByRole('link', { name: 'Workers' }).click();
    const workers = page.getByRole('table', { name: 'Workers' });
    await workers.getByRole('row').filter({ hasText: 'adm-w0' }).getByText('alive').waitFor();

    // The worker stops without deregistering: its channels stay routed to it and its lag grows.
    await worker.stop('SIGKILL');
    const client = newClient(`ws://127.0.0.1:${ports.ws}/connection/websocket`, 'json');
    const sub = client.newSubscription('chat:lagroom');
    sub.subscribe();
    client.connect();
    await sub.ready(10_000);
    for (let i = 0; i < 3; i++) await client.publish('chat:lagroom', { text: `queued ${i}` });
    await page.getByLabel('lag of adm-w0', { exact: true }).filter({ hasText: /^3$/ }).waitFor({ timeout: 20_000 });
    await workers
      .getByRole('row')
      .filter({ hasText: 'adm-w0' })
      .getByText(/no heartbeat/)
      .waitFor({ timeout: 20_000 });
    await screenshot(page, 'admin-workers');

    // Two of the queued messages fail for good (moved by the queue layer as a worker would).
    const queue = new RedisStreamQueue({ redis: fixture.redis, keys: new PipelineKeys({ prefix: env.REDIS_PREFIX, hashTags: false }) });
    await queue.ensureGroup('adm-w0');
    const entries = await queue.readNew('adm-w0', 'admin-test', 2, 0);
    assert.equal(entries.length, 2);
    for (const e of entries) await queue.moveToDeadLetter('adm-w0', e.entryId, 'Error: boom', 5);
    await workers.getByRole('button', { name: 'Dead letters of adm-w0' }).click();
    const letters = page.getByRole('table', { name: 'Dead letters of adm-w0' });
    await letters.getByRole('row').filter({ hasText: 'Error: boom' }).nth(1).waitFor();
    await screenshot(page, 'admin-dead-letters');
    await letters
      .getByRole('button', { name: /^Replay \d+-\d+$/ })
      .first()
      .click();
    await page.getByRole('status').filter({ hasText: "Replayed 1 message(s) to adm-w0's stream." }).waitFor();
    assert.equal(await queue.countDeadLetters('adm-w0'), 1);
    await page.getByRole('button', { name: 'Purge all' }).click();
    await page.getByRole('status').filter({ hasText: 'Purged 1 dead letter(s).' }).waitFor();
    await letters.getByText('No dead letters.').waitFor();
    assert.equal(await queue.countDeadLetters('adm-w0'), 0);

    await page.getByRole('link', { name: 'Nodes' }).click();
    await nodes.getByRole('row').filter({ hasText: '(this node)' }).getByRole('cell', { name: '1', exact: true }).first().waitFor();
    for (let i = 0; i < 3; i++) await client.publish('chat:lagroom', { text: `rate ${i}` });
    // Two samples 2 s apart make a rate: the figure turns from a dash into messages per second.
    await page
      .getByLabel('Messages in (from clients) per second', { exact: true })
      .filter({ hasText: /^\d+(\.\d)?\/s$/ })
      .waitFor({ timeout: 20_000 });
    await screenshot(page, 'admin-nodes');

    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByLabel('Search channels', { exact: true }).fill('lag');
    const channels = page.getByRole('table', { name: 'Channels' });
    await channels.getByRole('row').filter({ hasText: 'chat:lagroom' }).getByRole('cell', { name: '1', exact: true }).waitFor();
    await page.getByLabel('Search channels', { exact: true }).fill('nothing-like-this');
    await channels.getByText('chat:lagroom').waitFor({ state: 'hidden' });
    await page.getByLabel('Search channels', { exact: true }).fill('');
    await screenshot(page, 'admin-channels');
    await channels.getByRole('link', { name: 'chat:lagroom' }).click();
    await page.getByRole('heading', { name: 'Presence (1)' }).waitFor();

    await page.getByRole('link', { name: 'Publish' }).click();
    await page.getByLabel('Channel', { exact: true }).fill('chat:lagroom');
    await page.getByLabel('Data (JSON)', { exact: true }).fill('{"text":"from the console"}');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Published at offset 1 / })
      .waitFor();
    await screenshot(page, 'admin-publish');
    await page.getByRole('link', { name: 'Show chat:lagroom' }).click();
    await page.getByRole('table', { name: 'History' }).getByText('from the console').waitFor();
    await screenshot(page, 'admin-channel');
    client.disconnect();
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('User id', { exact: true }).fill('someone');
    await page.getByRole('button', { name: 'Disconnect user' }).click();
    await page.getByRole('status').filter({ hasText: 'Disconnected someone on every node.' }).waitFor();
    await screenshot(page, 'admin-users');

    // Mobile width: the navigation wraps and wide tables scroll inside their own box, not the page.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole('link', { name: 'Workers' }).click();
    await workers.getByRole('row').filter({ hasText: 'adm-w0' }).waitFor();
    const width = await page.evaluate(
      () => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth,
    );
    assert.ok(width <= 390, `no horizontal page scrolling at mobile width (scrollWidth ${width})`);
    await screenshot(page, 'admin-mobile');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Password', { exact: true }).waitFor();
    assert.equal((await fetch(`${base}/admin/api/workers`)).status, 401, 'no session, no data');
    for (const body of bodies) assert.ok(!body.includes(API_KEY), 'the HTTP API key never reaches the page');

    // Five wrong passwords in a minute, then even the right one is refused for a while.
    for (let i = 0; i < 5; i++) {
      await login(page, `wrong ${i}`);
      await page.getByRole('alert').filter({ hasText: 'wrong password' }).waitFor();
      await page.getByRole('button', { name: 'Log in' }).and(page.locator(':enabled')).waitFor();
    }
    await login(page, PASSWORD);
    await page
      .getByRole('alert')
      .filter({ hasText: /too many failed logins; try again in \d+ s/ })
      .waitFor();
    await page.close();
  });
});
