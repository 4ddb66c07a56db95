// The SDK as a user gets it: `npm pack`, `npm install <tarball>` into a fresh project, a worker
// written against the installed types type-checks with `tsc --strict`, and runs with the package's
// `realtime-message` command against the package's gateway (Redis mode, real redis-server), and as
// WORKER_HANDLER in embedded mode; the real centrifuge client round-trips a message and sees its
// ClientError. Nothing here runs with tsx: the installed package is plain JavaScript.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Centrifuge, PublicationContext } from 'centrifuge';
import { freePort, useRedisServer } from '../helpers/redis-server.js';
import { newClient, nextEvent, spawnProcess, type TsProcess } from '../helpers/gateway.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(repo, 'node_modules', '.bin', 'tsc');
const fixture = useRedisServer();

const userWorker = `import { ClientError, type ClientInfo, type MessageHandler, type StreamMessage, type WorkerContext } from 'realtime-message/worker';

const shout: MessageHandler = async (msg: StreamMessage, ctx: WorkerContext) => {
  if (msg.kind !== 'publish') return undefined;
  const body = JSON.parse(msg.data) as { text: string };
  if (body.text.includes('darn')) throw new ClientError(1403, 'mind your language');
  const info: ClientInfo = { user: msg.user, client: msg.client };
  await ctx.publish(msg.channel, JSON.stringify({ text: body.text.toUpperCase() }), { info });
  return undefined;
};
export default shout;
`;
const tscArgs = [
  '--strict',
  '--module',
  'nodenext',
  '--moduleResolution',
  'nodenext',
  '--target',
  'es2022',
  '--types',
  'node',
  '--outDir',
  'out',
];

void describe('the installed package', () => {
  let project: string;
  let packDir: string;
  const processes: TsProcess[] = [];
  const clients: Centrifuge[] = [];

  before(async () => {
    packDir = mkdtempSync(join(tmpdir(), 'rm-pack-'));
    project = mkdtempSync(join(tmpdir(), 'rm-user-'));
    await run('npm', ['pack', '--pack-destination', packDir], { cwd: repo, maxBuffer: 16 * 1024 * 1024 });
    const [tarball] = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
    assert.ok(tarball !== undefined, 'npm pack wrote a tarball');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', type: 'module', private: true }));
    const open = { allow_subscribe_for_client: true, allow_publish_for_client: true };
    writeFileSync(
      join(project, 'config.json'),
      JSON.stringify({
        channel: { without_namespace: open, namespaces: [{ name: 'mod', publish_mode: 'handled', publish_data: 'json', ...open }] },
      }),
    );
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packDir, tarball), '@types/node@20'], {
      cwd: project,
      maxBuffer: 16 * 1024 * 1024,
    });
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    for (const p of processes) await p.stop('SIGKILL');
    rmSync(project, { recursive: true, force: true });
    rmSync(packDir, { recursive: true, force: true });
  });

  void it('ships built JavaScript, type declarations and Lua assets, and no dev tools', () => {
    const pkg = join(project, 'node_modules', 'realtime-message');
    for (const file of [
      'dist/src/worker/index.js',
      'dist/src/worker/index.d.ts',
      'dist/src/redis/lua/append-messages.lua',
      'dist/bin/realtime-message.js',
      'dist/web/index.html',
    ]) {
      assert.ok(existsSync(join(pkg, file)), `${file} is in the package`);
    }
    assert.ok(!existsSync(join(pkg, 'src')), 'no TypeScript sources');
    assert.ok(!existsSync(join(project, 'node_modules', 'tsx')), 'tsx is not installed with the package');
    assert.ok(!existsSync(join(project, 'node_modules', 'typescript')), 'typescript is not installed with the package');
  });

  void it('type-checks a user worker with tsc --strict against the installed types, and refuses a wrong one', async () => {
    writeFileSync(join(project, 'my-worker.ts'), userWorker);
    await run(tsc, [...tscArgs, 'my-worker.ts'], { cwd: project });
    assert.ok(existsSync(join(project, 'out', 'my-worker.js')));
    writeFileSync(
      join(project, 'wrong-worker.ts'),
      `import { ClientError } from 'realtime-message/worker';\nexport default () => { throw new ClientError('4001'); };\n`,
    );
    await assert.rejects(run(tsc, [...tscArgs, '--noEmit', 'wrong-worker.ts'], { cwd: project }), (err: { stdout: string }) =>
      /TS2554|TS2345/.test(err.stdout),
    );
  });

  const start = async (args: string[], env: Record<string, string>, ready: RegExp): Promise<TsProcess> => {
    const p = spawnProcess(
      join(project, 'node_modules', '.bin', 'realtime-message'),
      args,
      { LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env },
      project,
    );
    processes.push(p);
    await Promise.race([
      p.waitForLine(ready, 30_000),
      p.exited.then((code) => {
        throw new Error(`${args.join(' ')} exited with ${code}:\n${p.lines.join('\n')}`);
      }),
    ]);
    return p;
  };

  const roundTrip = async (wsPort: number): Promise<void> => {
    const c = newClient(`ws://127.0.0.1:${wsPort}/connection/websocket`, 'json');
    clients.push(c);
    c.connect();
    await c.ready(5000);
    const sub = c.newSubscription('chat');
    const shouted = nextEvent<PublicationContext>(sub, 'publication', 10_000);
    sub.subscribe();
    await sub.ready(5000);
    await c.publish('chat', { text: 'hello from a user worker' });
    assert.deepEqual((await shouted).data, { text: 'HELLO FROM A USER WORKER' });
  };

  void it('runs the user worker with `realtime-message worker <module>` against `realtime-message gateway` over Redis', async () => {
    const [ws, http, metrics, workerMetrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const configFile = join(project, 'config.json');
    const common = { REDIS_URL: fixture.server.url, REDIS_PREFIX: 'sdk', CONFIG_FILE: configFile };
    await start(
      ['gateway'],
      { ...common, WEBSOCKET_PORT: String(ws), HTTP_PORT: String(http), METRICS_PORT: String(metrics) },
      /gateway listening/,
    );
    // The first worker takes a free metrics port and says which; the second finds the port taken.
    const first = await start(['worker', './out/my-worker.js'], { ...common, WORKER_ID: 'user-1', WORKER_METRICS_PORT: '0' }, /consuming/);
    const firstPort = Number(/metrics http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(await first.waitForLine(/consuming/))?.[1]);
    assert.ok(firstPort > 0, 'the worker logs the free port it took');
    assert.equal((await fetch(`http://127.0.0.1:${firstPort}/health`)).status, 200);
    const blocker = await start(
      ['worker', './out/my-worker.js'],
      { ...common, WORKER_ID: 'user-2', WORKER_METRICS_PORT: String(workerMetrics) },
      /consuming/,
    );
    const second = await start(
      ['worker', './out/my-worker.js'],
      { ...common, WORKER_ID: 'user-3', WORKER_METRICS_PORT: String(workerMetrics) },
      /consuming/,
    );
    const refusals = second.lines.filter((l) => l.includes('worker metrics are off'));
    assert.equal(refusals.length, 1, 'one error line');
    assert.match(refusals[0] ?? '', /port \d+ is already in use \(set WORKER_METRICS_PORT/);
    assert.match(await second.waitForLine(/consuming/), /metrics off/, 'it does not claim the port');
    assert.ok(blocker.lines.some((l) => l.includes(`metrics http://127.0.0.1:${workerMetrics}/metrics`)));
    assert.ok(!first.lines.some((l) => l.includes('hello from a user worker')), 'payloads are not logged at info');

    await roundTrip(ws);
    const c = clients.at(-1)!;
    await assert.rejects(
      c.publish('mod:room', { text: 'darn it' }),
      (e: { code: number; message: string }) => e.code === 1403 && e.message === 'mind your language',
    );
    await c.publish('mod:room', { text: 'fine words' });
  });

  void it('runs the user worker in embedded mode as WORKER_HANDLER', async () => {
    const [ws, http, metrics] = [await freePort(), await freePort(), await freePort()];
    const gw = await start(
      ['gateway'],
      {
        WORKER_HANDLER: './out/my-worker.js',
        CONFIG_FILE: join(project, 'config.json'),
        WEBSOCKET_PORT: String(ws),
        HTTP_PORT: String(http),
        METRICS_PORT: String(metrics),
      },
      /gateway listening/,
    );
    assert.ok(gw.lines.some((l) => l.includes('"mode":"embedded"') && l.includes('./out/my-worker.js')));
    await roundTrip(ws);
    // Verdicts in embedded mode too: the in-process workers run the user's handler.
    await assert.rejects(clients.at(-1)!.publish('mod:room', { text: 'darn' }), (e: { code: number }) => e.code === 1403);
  });
});
