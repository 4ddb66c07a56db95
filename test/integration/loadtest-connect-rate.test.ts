// The connect-rate scenario of `npm run bench:connect` against a real gateway, small: every good
// token connects, a forged one is counted as a failure by its close code (no timing asserted).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signToken } from '../../src/gateway/index.js';
import { measureConnectRate } from '../../src/loadtest/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

void describe('measureConnectRate', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: 'rate-secret' });
  });
  after(() => gw.close());

  void it('counts connects, failures by kind and latency', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const tokens = [
      ...Array.from({ length: 20 }, (_, i) => signToken({ sub: `u${i}`, exp }, 'rate-secret')),
      signToken({ sub: 'forged', exp }, 'wrong-secret'),
    ];
    const r = await measureConnectRate(gw.wsUrl, 'HS256', tokens, { concurrency: 4, timeoutMs: 5000 });
    assert.equal(r.attempted, 21);
    assert.equal(r.connected, 20);
    assert.deepEqual(r.failures, { 'close 3500': 1 });
    assert.equal(r.latency.count, 20);
    assert.ok(r.connectsPerSecond > 0);
  });
});
