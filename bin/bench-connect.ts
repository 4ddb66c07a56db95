/**
 * Connect-rate benchmark: `npm run bench:connect`. Starts the real gateway (`bin/gateway.ts`,
 * embedded mode) with an HMAC secret and an RSA public key, mints one token per connection for
 * each scenario (HS256, RS256; minting is not measured), opens the connections with
 * `measureConnectRate` and prints connects/s and connect latency per scenario.
 *
 * CONNECT_BENCH_CONNECTIONS (default 5000 per scenario), CONNECT_BENCH_CONCURRENCY (default 100),
 * CONNECT_BENCH_RUNS (default 3; the scenarios alternate), CONNECT_BENCH_OUTPUT (JSON report path).
 */

import { spawn } from 'node:child_process';
import { generateKeyPairSync, createSign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signToken } from '../src/gateway/index.js';
import { measureConnectRate, type ConnectRateResult } from '../src/loadtest/index.js';
import { freePort } from '../src/chaos/index.js';

const env = process.env;
const CONNECTIONS = Number(env['CONNECT_BENCH_CONNECTIONS'] ?? 5000);
const CONCURRENCY = Number(env['CONNECT_BENCH_CONCURRENCY'] ?? 100);
const RUNS = Number(env['CONNECT_BENCH_RUNS'] ?? 3);
const OUTPUT = env['CONNECT_BENCH_OUTPUT'];
const SECRET = 'connect-bench-hmac-secret-0123456789';

function rs256(claims: Record<string, unknown>, privateKey: string): string {
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKey).toString('base64url');
  return `${head}.${body}.${signature}`;
}

// Long on purpose: a benchmark script, its set-up, runs and report in order.
async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'rm-bench-connect-'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const configFile = join(work, 'config.json');
  writeFileSync(configFile, JSON.stringify({ client: { token: { rsa_public_key: publicKey.export({ type: 'spki', format: 'pem' }) } } }));
  const [ws, http, metrics] = [await freePort(), await freePort(), await freePort()];
  const gateway = spawn(process.execPath, ['--import', 'tsx', 'bin/gateway.ts'], {
    env: {
      ...env,
      HOST: '127.0.0.1',
      WEBSOCKET_PORT: String(ws),
      HTTP_PORT: String(http),
      METRICS_PORT: String(metrics),
      CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: SECRET,
      CONFIG_FILE: configFile,
      LOG_LEVEL: 'warn',
      EMBEDDED_WORKERS: '1',
      CLIENT_STALE_TIMEOUT: '30s',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const deadline = Date.now() + 30_000;
    while (
      (await fetch(`http://127.0.0.1:${http}/ready`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > deadline) throw new Error('gateway did not become ready');
      await sleep(100);
    }
    const url = `ws://127.0.0.1:${ws}/connection/websocket`;
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const tokens = {
      HS256: Array.from({ length: CONNECTIONS }, (_, i) => signToken({ sub: `bench-${i}`, exp }, SECRET)),
      RS256: Array.from({ length: CONNECTIONS }, (_, i) => rs256({ sub: `bench-${i}`, exp }, pem)),
    };
    // Unmeasured warm-up so the first scenario does not pay the JIT alone.
    await measureConnectRate(url, 'warm-up', [...tokens.HS256.slice(0, 200), ...tokens.RS256.slice(0, 200)], {
      concurrency: CONCURRENCY,
      timeoutMs: 10_000,
    });
    const results: ConnectRateResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      for (const label of run % 2 === 0 ? (['HS256', 'RS256'] as const) : (['RS256', 'HS256'] as const)) {
        const r = await measureConnectRate(url, label, tokens[label], { concurrency: CONCURRENCY, timeoutMs: 10_000 });
        results.push(r);
        console.log(
          `${label} run ${run + 1}: ${r.connected}/${r.attempted} connected, ${r.connectsPerSecond.toFixed(0)} connects/s, ` +
            `p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms, failures ${JSON.stringify(r.failures)}`,
        );
      }
    }
    if (OUTPUT !== undefined)
      writeFileSync(OUTPUT, `${JSON.stringify({ connections: CONNECTIONS, concurrency: CONCURRENCY, results }, null, 2)}\n`);
  } finally {
    gateway.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
