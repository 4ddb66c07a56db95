import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** The HTTP status the upgrade got (101 when the WebSocket opened). */
function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'centrifuge-json', origin !== undefined ? { origin } : {});
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

void describe('client.allowed_origins on the WebSocket upgrade', () => {
  let listed: TestGateway;
  let unset: TestGateway;
  before(async () => {
    listed = await startTestGateway(
      {},
      { configFile: { client: { allowed_origins: ['https://app.example.com', 'https://*.example.org'] } } },
    );
    unset = await startTestGateway();
  });
  after(async () => {
    await listed.close();
    await unset.close();
  });

  void it('a listed origin, a wildcard match and a request without Origin are upgraded; another origin gets 403', async () => {
    assert.equal(await upgradeStatus(listed.wsUrl, 'https://app.example.com'), 101);
    assert.equal(await upgradeStatus(listed.wsUrl, 'https://chat.example.org'), 101);
    assert.equal(await upgradeStatus(listed.wsUrl), 101);
    assert.equal(await upgradeStatus(listed.wsUrl, 'https://evil.example.net'), 403);
    assert.equal(await upgradeStatus(listed.wsUrl, 'https://app.example.com.evil.net'), 403);
  });

  void it('without a list only a page of the same host may connect', async () => {
    const host = new URL(unset.wsUrl).host;
    assert.equal(await upgradeStatus(unset.wsUrl, `http://${host}`), 101);
    assert.equal(await upgradeStatus(unset.wsUrl, 'https://evil.example.net'), 403);
    assert.equal(await upgradeStatus(unset.wsUrl), 101);
  });
});
