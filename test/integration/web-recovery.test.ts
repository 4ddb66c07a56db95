// Redis mode in Chromium: the gateway a chat page is connected to restarts; the page shows that it
// is reconnecting, and after the restart the messages published meanwhile arrive marked recovered.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { chromiumAvailable, launchChromium, type LaunchedBrowser } from '../helpers/chromium.js';
import { spawnTs, type TsProcess } from '../helpers/gateway.js';
import { useRedisServer } from '../helpers/redis-server.js';
import { freeGatewayPorts, requireWebBuild, screenshot, spawnGatewayOn, type GatewayPorts } from '../helpers/web-pages.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (.ci/run installs it)';
const processes: TsProcess[] = [];
const fixture = useRedisServer({
  beforeClose: async () => {
    for (const p of processes.reverse()) await p.stop();
  },
});
let browser: LaunchedBrowser;
let env: Record<string, string>;

before(async () => {
  requireWebBuild();
  if (skip === false) browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

async function publish(httpPort: number, text: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/publish`, {
    method: 'POST',
    headers: { 'x-api-key': 'test-api-key', 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'chat:restart', data: { text, name: 'server' } }),
  });
  const body = (await res.json()) as { error?: unknown };
  assert.equal(body.error, undefined, `publish answered ${JSON.stringify(body)}`);
}

void describe('chat demo across a gateway restart (Redis mode)', { skip }, () => {
  void it('shows reconnecting with attempt and delay, then the missed messages marked recovered', async () => {
    env = {
      REDIS_URL: fixture.server.url,
      REDIS_PREFIX: `web${randomBytes(3).toString('hex')}`,
      CHAT_DEMO: 'true',
      HTTP_API_KEY: 'test-api-key',
    };
    const aPorts: GatewayPorts = await freeGatewayPorts();
    const bPorts: GatewayPorts = await freeGatewayPorts();
    let a = await spawnGatewayOn(aPorts, env);
    processes.push(a);
    const b = await spawnGatewayOn(bPorts, env);
    processes.push(b);
    const worker = spawnTs('examples/worker-simple.ts', { ...env, WORKER_ID: 'web-w0', WORKER_METRICS_PORT: '0' });
    processes.push(worker);
    await worker.waitForLine(/worker registered/, 60_000);

    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${aPorts.ws}/`);
    await page.getByLabel('Name', { exact: true }).fill('Ann');
    await page.getByLabel('Room', { exact: true }).fill('restart');
    await page.getByRole('button', { name: 'Join' }).click();
    const status = page.getByRole('status').filter({ hasText: /Connected|Reconnecting|Connection lost|Connecting/ });
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    const messages = page.getByRole('list', { name: 'Messages' });
    const field = page.getByLabel('Message', { exact: true });
    await field.fill('before the restart');
    await field.press('Enter');
    await messages.getByText('before the restart').waitFor({ timeout: 20_000 });

    await a.stop();
    await page
      .getByRole('status')
      .filter({ hasText: /Reconnecting: attempt \d+ after \d+\.\d s/ })
      .waitFor({ timeout: 30_000 });
    await screenshot(page, 'chat-reconnecting');
    await publish(bPorts.http, 'missed one');
    await publish(bPorts.http, 'missed two');

    a = await spawnGatewayOn(aPorts, env);
    processes.push(a);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });
    for (const text of ['missed one', 'missed two']) {
      await messages.getByRole('listitem').filter({ hasText: text }).getByText('recovered').waitFor({ timeout: 20_000 });
    }
    assert.equal(await messages.getByRole('listitem').filter({ hasText: 'before the restart' }).getByText('recovered').count(), 0);
    assert.match(await status.innerText(), /Connected/);
    await screenshot(page, 'chat-recovered');
    await page.close();
  });
});
