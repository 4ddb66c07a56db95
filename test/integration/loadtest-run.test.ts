import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseLoadTestOptions, runLoadTest, type LoadTestReport } from '../../src/loadtest/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'loadtest-secret';
let gateway: TestGateway;
let strictGateway: TestGateway;
const dir = mkdtempSync(join(tmpdir(), 'rm-loadtest-'));

before(async () => {
  // The closed-loop run measures the load tester, not the gateway's per-connection flood limit
  // (default 1000 commands/s, which a fast closed loop on one connection exceeds: 3013).
  gateway = await startTestGateway({ CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET, CLIENT_COMMAND_RATE_LIMIT: '1000000' });
  strictGateway = await startTestGateway({ MAX_TEXT_LENGTH: '10' });
});

after(async () => {
  await gateway.close();
  await strictGateway.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(env: Record<string, string>, target = gateway): Promise<LoadTestReport> {
  const options = parseLoadTestOptions(
    { GATEWAY_URL: target.wsUrl, DRAIN_TIMEOUT: '5s', ...env },
    `t${Math.random().toString(36).slice(2, 8)}`,
  );
  return runLoadTest(options);
}

void describe('load tester against a real gateway', () => {
  for (const protocol of ['json', 'protobuf']) {
    void it(`counts every publish, ack and delivery of a small run (${protocol})`, async () => {
      const report = await run({
        PROTOCOL: protocol,
        TOKEN_SECRET: SECRET,
        NUM_CLIENTS: '6',
        MESSAGES_PER_CLIENT: '25',
        RATE: '50',
        CHANNELS: '3',
        SUBSCRIBERS: '2',
      });
      assert.equal(report.connections.attempted, 12);
      assert.equal(report.connections.ok, 12);
      assert.equal(report.publish.scheduled, 150);
      assert.equal(report.publish.sent, 150);
      assert.equal(report.publish.acked, 150);
      assert.deepEqual(report.publish.errors, {});
      assert.equal(report.publish.successRate, 1);
      assert.equal(report.publish.ack.count, 150);
      assert.equal(report.delivery.expected, 300);
      assert.equal(report.delivery.received, 300);
      assert.equal(report.delivery.latency.count, 300);
      assert.equal(report.delivery.foreign, 0);
      assert.ok(report.publish.ack.p50 > 0 && report.publish.ack.p50 <= report.publish.ack.max);
      assert.equal(report.passed, true);
    });
  }

  void it('keeps WINDOW publishes in flight per client in closed loop, each on its own connection', async () => {
    const report = await run({ TOKEN_SECRET: SECRET, NUM_CLIENTS: '8', RATE: '0', DURATION: '1', WINDOW: '4', SUBSCRIBERS: '0' });
    assert.equal(report.connections.ok, 8);
    assert.deepEqual(report.publish.errors, {});
    assert.equal(report.publish.acked, report.publish.scheduled);
    assert.ok(report.publish.acked >= 32, `at least one window per client: ${report.publish.acked}`);
    assert.equal(report.disconnects['3013'], undefined);
  });

  void it('counts refused connects and refused publishes by code', async () => {
    const badToken = await run({ TOKEN_SECRET: 'wrong', NUM_CLIENTS: '3', MESSAGES_PER_CLIENT: '4', RATE: '40', SUBSCRIBERS: '0' });
    assert.equal(badToken.connections.ok, 0);
    assert.equal(badToken.connections.failed, 3);
    assert.equal(badToken.publish.errors.not_connected, 12);
    assert.equal(badToken.publish.successRate, 0);
    assert.equal(badToken.passed, false);

    const tooLong = await run(
      { TEXT_BYTES: '20', NUM_CLIENTS: '2', MESSAGES_PER_CLIENT: '5', RATE: '50', SUBSCRIBERS: '1', CHANNELS: '1' },
      strictGateway,
    );
    assert.equal(tooLong.connections.ok, 3);
    assert.deepEqual(tooLong.publish.errors, { 'reply:107': 10 });
    assert.equal(tooLong.publish.acked, 0);
    assert.equal(tooLong.delivery.received, 0);
  });

  void it('spreads clients over WORKERS processes, merges their results and writes the JSON report', async () => {
    const output = join(dir, 'report.json');
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bin/loadtest.ts'], {
        env: {
          ...process.env,
          GATEWAY_URL: gateway.wsUrl,
          TOKEN_SECRET: SECRET,
          WORKERS: '2',
          NUM_CLIENTS: '5',
          MESSAGES_PER_CLIENT: '10',
          RATE: '40',
          CHANNELS: '2',
          SUBSCRIBERS: '1',
          OUTPUT: output,
          PROGRESS_INTERVAL: '200ms',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout }));
    });
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /\| Success rate \| 100\.00% \|/);
    const report = JSON.parse(readFileSync(output, 'utf8')) as LoadTestReport;
    assert.equal(report.options.workers, 2);
    assert.equal(report.connections.ok, 7);
    assert.equal(report.publish.acked, 50);
    assert.equal(report.delivery.received, 50);
    assert.equal(report.delivery.latency.count, 50);
    assert.equal(JSON.stringify(report).includes(SECRET), false, 'the report never contains the secret');
  });
});
