/**
 * Connect-rate benchmark: `npm run bench:connect`. Builds and starts, compiled, the gateway
 * (`dist/bin/gateway.js`, embedded mode) and the bare connect server
 * (`dist/bench/baseline-connect.js`), both with the same HMAC secret and RSA public key; mints one
 * token per connection for each scenario (HS256, RS256; minting is not measured); then, per run,
 * opens the connections of each scenario against both servers with `measureConnectRate`, the order
 * of scenarios and of sides alternating, and measures the server's CPU from /proc. Prints per
 * scenario product against bare (connects/s, connect p50/p99, CPU µs per connect, failures) and
 * the ratio against issue 12's "connects ≥ 0.9 of bare".
 *
 * CONNECT_BENCH_CONNECTIONS (default 5000 per scenario), CONNECT_BENCH_CONCURRENCY (default 100),
 * CONNECT_BENCH_RUNS (default 3), CONNECT_BENCH_OUTPUT (JSON report path; its Markdown section is
 * `renderConnectRate` in bench/connect-report.ts).
 */

import { generateKeyPairSync, createSign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../src/gateway/index.js';
import { measureConnectRate } from '../src/loadtest/index.js';
import {
  CONNECT_TARGET,
  connectMedians,
  connectRunLine,
  connectSummary,
  type ConnectBenchReport,
  type ConnectRun,
  type ConnectSide,
} from '../bench/connect-report.js';
import { buildServers, openFds, startBare, startProduct, waitForClosed, type ConnectServer } from '../bench/connect-servers.js';
import { CpuWindow, processCpuUs } from '../bench/proc-cpu.js';

const env = process.env;
const CONNECTIONS = Number(env['CONNECT_BENCH_CONNECTIONS'] ?? 5000);
const CONCURRENCY = Number(env['CONNECT_BENCH_CONCURRENCY'] ?? 100);
const RUNS = Number(env['CONNECT_BENCH_RUNS'] ?? 3);
const OUTPUT = env['CONNECT_BENCH_OUTPUT'];
const SECRET = 'connect-bench-hmac-secret-0123456789';
const SCENARIOS = ['HS256', 'RS256'] as const;
type Scenario = (typeof SCENARIOS)[number];
const log = (message: string): void => console.error(`[bench:connect] ${message}`);

function rs256(claims: Record<string, unknown>, privateKey: string): string {
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKey).toString('base64url');
  return `${head}.${body}.${signature}`;
}

/** One token per connection and scenario, valid for an hour; both servers get the same ones. */
function mintTokens(privateKeyPem: string): Record<Scenario, string[]> {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return {
    HS256: Array.from({ length: CONNECTIONS }, (_, i) => signToken({ sub: `bench-${i}`, exp }, SECRET)),
    RS256: Array.from({ length: CONNECTIONS }, (_, i) => rs256({ sub: `bench-${i}`, exp }, privateKeyPem)),
  };
}

/**
 * One measured scenario run: connects/s and latency from measureConnectRate; the server's CPU (and
 * this process's) from the first connect until every connection is closed on both ends, which
 * the run waits for before the next one (so sockets never pile up against the open-files limit).
 */
async function measure(
  server: ConnectServer,
  side: ConnectSide,
  label: Scenario,
  run: number,
  tokens: readonly string[],
): Promise<ConnectRun> {
  const fdsBefore = { server: openFds(server.pid), self: openFds('self') };
  const cpuKnown = processCpuUs(server.pid) !== null;
  const window = new CpuWindow(new Map([['server', server.pid]]));
  const client = process.cpuUsage();
  window.start();
  const r = await measureConnectRate(server.url, label, tokens, { concurrency: CONCURRENCY, timeoutMs: 10_000 });
  if (!(await waitForClosed(server.pid, fdsBefore)))
    log(
      `${side} ${label} run ${run}: connections still open 30 s after the run (server fds ${openFds(server.pid)}, own ${openFds('self')})`,
    );
  // Stopped once the last closes are done, so every connection's close handshake is counted too.
  const serverCpuUs = cpuKnown ? (window.stop()['server'] ?? 0) : null;
  const { user, system } = process.cpuUsage(client);
  return {
    ...r,
    side,
    run,
    serverCpuUs,
    cpuUsPerConnect: serverCpuUs === null || r.connected === 0 ? null : serverCpuUs / r.connected,
    clientCpuUs: user + system,
  };
}

/** Unmeasured warm-up of one server so its first scenario does not pay the JIT alone. */
async function warmUp(server: ConnectServer, tokens: Record<Scenario, string[]>): Promise<void> {
  const fdsBefore = { server: openFds(server.pid), self: openFds('self') };
  await measureConnectRate(server.url, 'warm-up', [...tokens.HS256.slice(0, 200), ...tokens.RS256.slice(0, 200)], {
    concurrency: CONCURRENCY,
    timeoutMs: 10_000,
  });
  await waitForClosed(server.pid, fdsBefore);
}

/**
 * Every run: the scenarios alternate HS256, RS256 / RS256, HS256 from run to run, and within a
 * scenario the side that goes first alternates, so each side goes first equally often.
 */
async function runAll(servers: Record<ConnectSide, ConnectServer>, tokens: Record<Scenario, string[]>): Promise<ConnectRun[]> {
  const runs: ConnectRun[] = [];
  let step = 0;
  for (let run = 1; run <= RUNS; run++) {
    for (const label of run % 2 === 1 ? SCENARIOS : [...SCENARIOS].reverse()) {
      const sides: ConnectSide[] = step++ % 2 === 0 ? ['product', 'bare'] : ['bare', 'product'];
      for (const side of sides) {
        const r = await measure(servers[side], side, label, run, tokens[label]);
        runs.push(r);
        console.log(connectRunLine(r));
      }
    }
  }
  return runs;
}

function report(runs: readonly ConnectRun[], startLoad: string): ConnectBenchReport {
  const results = runs.filter((r) => r.side === 'product');
  const bare = runs.filter((r) => r.side === 'bare');
  const cpu = cpus();
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    command: `CONNECT_BENCH_CONNECTIONS=${CONNECTIONS} CONNECT_BENCH_CONCURRENCY=${CONCURRENCY} CONNECT_BENCH_RUNS=${RUNS} npm run bench:connect`,
    machine: [`CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores`, `Node ${process.version}`, `load average at start ${startLoad}`],
    connections: CONNECTIONS,
    concurrency: CONCURRENCY,
    runs: RUNS,
    target: CONNECT_TARGET,
    results,
    bare,
    medians: connectMedians(results, bare),
  };
}

async function main(): Promise<void> {
  const startLoad = loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  log('building (npm run build, tsconfig.bench.json)');
  buildServers();
  const work = mkdtempSync(join(tmpdir(), 'rm-bench-connect-'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys = { hmacSecret: SECRET, rsaPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  const started: ConnectServer[] = [];
  try {
    const product = await startProduct(keys, work);
    started.push(product);
    const bare = await startBare(keys);
    started.push(bare);
    const tokens = mintTokens(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    await warmUp(product, tokens);
    await warmUp(bare, tokens);
    const out = report(await runAll({ product, bare }, tokens), startLoad);
    console.log(connectSummary(out).join('\n'));
    if (OUTPUT !== undefined) writeFileSync(OUTPUT, `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
