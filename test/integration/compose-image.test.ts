import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/redis-server.js';

// Keeps the Dockerfile honest without a Docker engine: its steps are the package.json scripts
// the README uses, and replaying its build stage on a copy of the build context yields a dist/
// whose CMD starts a gateway that passes the image's own HEALTHCHECK.

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  engines: { node: string };
};

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  steps: Instruction[];
}

function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { op: op.toUpperCase(), args: rest.replace(/\s+/g, ' ') };
    if (instruction.op === 'FROM') {
      const [, from = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args) ?? [];
      stages.push({ name, from, steps: [] });
    } else if (stages.length === 0 && instruction.op === 'ARG') {
      const [key = '', value = ''] = instruction.args.split('=');
      args.set(key, value);
    } else {
      stages.at(-1)?.steps.push(instruction);
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const [buildStage, runtimeStage] = dockerfile.stages;

function steps(stage: Stage | undefined, op: string): string[] {
  return (stage?.steps ?? []).filter((s) => s.op === op).map((s) => s.args);
}

function execForm(stage: Stage | undefined, op: string): string[] {
  const value = steps(stage, op).at(-1) ?? '';
  const json = op === 'HEALTHCHECK' ? value.slice(value.indexOf('CMD ') + 4) : value;
  return JSON.parse(json) as string[];
}

void test('Dockerfile: multi-stage on a Node LTS, build = npm ci + npm run build, runtime = production deps, non-root', () => {
  assert.equal(dockerfile.stages.length, 2);
  const nodeMajor = Number(dockerfile.args.get('NODE_VERSION'));
  assert.ok(
    nodeMajor % 2 === 0 && nodeMajor >= Number(/\d+/.exec(pkg.engines.node)?.[0]),
    `Node ${nodeMajor} is an even (LTS) release the package supports`,
  );
  for (const stage of dockerfile.stages) assert.match(stage.from, /^node:\$\{NODE_VERSION\}-(trixie-slim|bookworm-slim|alpine)$/);

  const buildRuns = steps(buildStage, 'RUN').join(' && ');
  assert.match(buildRuns, /(^| )npm ci( |$)/);
  assert.match(buildRuns, /(^| )npm run build( |$)/, 'the build stage runs the build script the README uses');
  assert.match(steps(runtimeStage, 'RUN').join(' && '), /npm ci --omit=dev/);
  assert.deepEqual(
    steps(runtimeStage, 'COPY').filter((c) => c.includes('--from=')),
    [`--from=${buildStage?.name} /app/dist ./dist`],
  );
  assert.deepEqual(steps(runtimeStage, 'USER'), ['node']);
  assert.deepEqual(steps(runtimeStage, 'EXPOSE'), ['8000 3000 2112']);
});

void test('Dockerfile CMD is what `npm start` runs after its prestart build', () => {
  assert.equal(pkg.scripts['prestart'], 'npm run build');
  assert.equal(execForm(runtimeStage, 'CMD').join(' '), pkg.scripts['start']);
});

let context = '';
let built = false;

before(() => {
  context = mkdtempSync(join(tmpdir(), 'image-context-'));
  // The build context as .dockerignore leaves it (top-level patterns only, which is all it has).
  const ignore = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const ignored = ignore.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`));
  for (const entry of readdirSync(root)) {
    if (!ignored.some((re) => re.test(entry))) cpSync(join(root, entry), join(context, entry), { recursive: true });
  }
  // `npm ci` would fetch the locked packages; the installed ones are the same.
  symlinkSync(join(root, 'node_modules'), join(context, 'node_modules'), 'dir');
});

after(() => {
  if (context !== '') rmSync(context, { recursive: true, force: true });
});

void test('replaying the build stage produces the CMD, the worker commands and the non-TypeScript assets', () => {
  for (const run of steps(buildStage, 'RUN')) {
    if (/^npm ci\b/.test(run)) continue;
    const r = spawnSync('sh', ['-c', run], { cwd: context, encoding: 'utf8' });
    assert.equal(r.status, 0, `RUN ${run} failed:\n${r.stdout}\n${r.stderr}`);
  }
  const cmd = execForm(runtimeStage, 'CMD');
  assert.ok(existsSync(join(context, cmd[1] ?? '')), `CMD target ${cmd[1]} exists after npm run build`);

  const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const workerCommands = [...compose.matchAll(/command: \["node", "(dist\/[^"]+)"\]/g)].map((m) => m[1] ?? '');
  assert.ok(workerCommands.length > 0);
  for (const file of workerCommands)
    assert.ok(existsSync(join(context, file)), `compose worker command ${file} exists after npm run build`);

  for (const file of listFiles(join(context, 'src')).filter((f) => !f.endsWith('.ts'))) {
    assert.ok(existsSync(join(context, 'dist', relative(context, file))), `asset ${relative(context, file)} is beside its compiled module`);
  }
  built = true;
});

void test('compiled code imports only production dependencies (the runtime stage has no dev deps)', () => {
  assert.ok(built, 'needs the build above');
  // The package's own name: examples import `realtime-message/worker`, resolved by Node to the package itself.
  const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules, pkg.name]);
  const missing = new Set<string>();
  for (const file of listFiles(join(context, 'dist')).filter((f) => f.endsWith('.js') && !f.includes(join('dist', 'test')))) {
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? '';
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? '');
      if (!allowed.has(name)) missing.add(`${name} (${relative(context, file)})`);
    }
  }
  assert.deepEqual([...missing], []);
});

void test('the image CMD starts a gateway that passes the image HEALTHCHECK, and SIGTERM stops it', async () => {
  assert.ok(built, 'needs the build above');
  const [httpPort, wsPort, metricsPort, closedPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const healthcheck = execForm(runtimeStage, 'HEALTHCHECK');
  const check = (url: string): number | null =>
    spawnSync(healthcheck[0] ?? '', healthcheck.slice(1), { env: { ...process.env, HEALTHCHECK_URL: url }, timeout: 10_000 }).status;

  assert.equal(check(`http://127.0.0.1:${closedPort}/health`), 1, 'the healthcheck fails when nothing listens');

  const cmd = execForm(runtimeStage, 'CMD');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    WEBSOCKET_PORT: String(wsPort),
    METRICS_PORT: String(metricsPort),
    SHUTDOWN_TIMEOUT: '2s',
  };
  const gateway = spawn(cmd[0] ?? '', cmd.slice(1), { cwd: context, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  gateway.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
  try {
    let healthy = false;
    for (let i = 0; i < 60 && !healthy && gateway.exitCode === null; i++) {
      healthy = check(`http://127.0.0.1:${httpPort}/health`) === 0;
      if (!healthy) await sleep(250);
    }
    assert.ok(healthy, `gateway became healthy on HTTP_PORT (exit code ${gateway.exitCode}):\n${stderr}`);
    assert.equal(check(`http://127.0.0.1:${metricsPort}/health`), 0, '/health on METRICS_PORT too');
    gateway.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
    assert.equal(code, 0, `gateway exits 0 on SIGTERM:\n${stderr}`);
  } finally {
    if (gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGKILL');
  }
});

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}
