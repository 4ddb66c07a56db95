import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBroker } from '../../src/engine/index.js';
import { newClient, startTestGateway, waitUntil, type TestGateway } from '../helpers/gateway.js';
import { freePort, RedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
const connections: Redis[] = [];
const prefix = `demo${randomBytes(3).toString('hex')}`;

async function gatewayOn(port: number): Promise<TestGateway> {
  const conn = new Redis(redis.url);
  connections.push(conn);
  return startTestGateway({ WEBSOCKET_PORT: String(port) }, { broker: new RedisBroker({ redis: conn, prefix }) });
}

before(async () => {
  redis = await RedisServer.start();
});

after(async () => {
  for (const c of connections) c.disconnect();
  await redis.close();
});

void describe('npm run reconnect:demo', () => {
  void it('shows messages, survives a gateway restart with recovery, and prints statistics', async () => {
    const port = await freePort();
    let gateway = await gatewayOn(port);
    const other = await gatewayOn(await freePort());
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/reconnect-demo.ts'], {
      env: {
        ...process.env,
        GATEWAY_URL: gateway.wsUrl,
        CHANNEL: 'chat:demo',
        USER_NAME: 'tester',
        PUBLISH_INTERVAL_MS: '200',
        STATS_INTERVAL_MS: '500',
        MIN_RECONNECT_DELAY_MS: '50',
        MAX_RECONNECT_DELAY_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const see = (pattern: RegExp, what: string): Promise<void> =>
      waitUntil(() => pattern.test(out), 15_000, what).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; demo output:\n${out}`);
      });
    const publisher = newClient(other.wsUrl, 'json');
    try {
      await see(/subscribed to chat:demo at offset \d+: fresh/, 'the first subscribe');
      await see(/message #\d+ from \S+: hello #1 from tester/, 'its own message');
      await gateway.close();
      await see(/disconnected: code 3001 \(shutdown\), will reconnect/, 'the disconnect');
      await see(/reconnecting: attempt 1 after \d+ ms backoff/, 'a reconnect attempt');
      publisher.connect();
      await publisher.publish('chat:demo', { text: 'sent while the demo was offline' });
      gateway = await gatewayOn(port);
      await see(/reconnected: \S+ -> \S+ after \d+ ms offline/, 'the reconnect');
      await see(/resubscribed to chat:demo at offset \d+: recovered every missed message/, 'the recovery');
      await see(/message \(recovered\) #\d+ from \S+: sent while the demo was offline/, 'the recovered message');
      await see(/stats: .*reconnects 1 .*recoveries 1 ok/, 'running statistics');
      child.kill('SIGINT');
      assert.equal(await exited, 0, out);
      assert.match(out, /closed\n$/);
      assert.doesNotMatch(out, /publish failed/);
    } finally {
      child.kill('SIGKILL');
      publisher.disconnect();
      await gateway.close();
      await other.close();
    }
  });
});
