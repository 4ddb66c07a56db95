import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// Validates docker-compose.yml with the Compose implementation itself (no Docker engine needed
// for `config`), then checks the resolved file describes the deployment docs/operations.md promises.

const root = fileURLToPath(new URL('../..', import.meta.url));
const composeFile = join(root, 'docker-compose.yml');

type Json = Record<string, unknown>;

/** `docker-compose` (v1, Debian's package) or `docker compose` (v2 plugin); null when neither runs. */
function findCompose(): string[] | null {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    const [bin, ...args] = cmd as [string, ...string[]];
    const r = spawnSync(bin, [...args, 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  return null;
}

const compose = findCompose();
const skip = compose === null ? 'docker-compose is not installed (apt-get install docker-compose; .ci/run does this as root)' : false;

function run(args: string[]): string {
  const [bin, ...pre] = compose as [string, ...string[]];
  // An empty environment for interpolation: the file must not depend on the caller's shell.
  return execFileSync(bin, [...pre, '-f', composeFile, ...args], {
    encoding: 'utf8',
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function resolvedConfig(): Json {
  const withProfiles = ['--profile', 'monitoring', 'config'];
  if (compose?.[0] === 'docker') return JSON.parse(run([...withProfiles, '--format', 'json'])) as Json;
  // docker-compose 1.x prints YAML only; its own dependency python3-yaml turns it into JSON
  // (Debian's interpreter: a python3 earlier on PATH, e.g. pyenv's, may lack the module).
  const yaml = run(withProfiles);
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const out = execFileSync(python, ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
    input: yaml,
    encoding: 'utf8',
  });
  return JSON.parse(out) as Json;
}

function obj(value: unknown, what: string): Json {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what} must be a mapping`);
  return value as Json;
}

function env(service: Json): Json {
  return obj(service['environment'], 'environment');
}

function publishedPorts(service: Json): number[] {
  const ports = (service['ports'] ?? []) as Json[];
  return ports.map((p) => Number(p['published']));
}

void test('docker-compose.yml is valid for the Compose implementation', { skip }, () => {
  // Throws with Compose's own message on an invalid file.
  run(['config', '-q']);
});

void test("compose runs Redis, a gateway and two workers from this repository's image", { skip }, () => {
  const config = resolvedConfig();
  const services = obj(config['services'], 'services');
  const redis = obj(services['redis'], 'redis');
  const gateway = obj(services['gateway'], 'gateway');

  assert.match(String(redis['image']), /^redis:7/);
  assert.ok(Array.isArray(obj(redis['healthcheck'], 'redis.healthcheck')['test']));

  assert.equal(obj(gateway['build'], 'gateway.build')['context'], root.replace(/\/$/, ''));
  assert.equal(env(gateway)['REDIS_URL'], 'redis://redis:6379');
  assert.deepEqual(publishedPorts(gateway).sort(), [2112, 3000, 8000]);
  assert.equal(obj(obj(gateway['depends_on'], 'gateway.depends_on')['redis'], 'depends_on.redis')['condition'], 'service_healthy');
  assert.equal(gateway['command'], undefined, 'the gateway runs the image CMD');

  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const expose = /^EXPOSE\s+(.+)$/m.exec(dockerfile)?.[1]?.split(/\s+/).map(Number) ?? [];
  for (const port of publishedPorts(gateway)) assert.ok(expose.includes(port), `Dockerfile EXPOSEs ${port}`);

  for (const id of ['worker-0', 'worker-1']) {
    const worker = obj(services[id], id);
    assert.equal(worker['image'], gateway['image'], `${id} uses the gateway image`);
    const command = worker['command'] as string[];
    assert.equal(command[0], 'node');
    assert.match(command[1] ?? '', /^dist\/.+\.js$/);
    assert.equal(env(worker)['WORKER_ID'], id);
    assert.equal(env(worker)['REDIS_URL'], 'redis://redis:6379');
    assert.equal(env(worker)['WORKER_METRICS_PORT'], '2113');
    assert.equal(env(worker)['HEALTHCHECK_URL'], 'http://127.0.0.1:2113/metrics');
    assert.equal(obj(obj(worker['depends_on'], `${id}.depends_on`)['redis'], 'depends_on.redis')['condition'], 'service_healthy');
  }
});

void test('monitoring profile scrapes every metrics port and mounts the dashboard', { skip }, () => {
  const services = obj(resolvedConfig()['services'], 'services');
  for (const name of ['prometheus', 'grafana']) {
    assert.deepEqual(obj(services[name], name)['profiles'], ['monitoring']);
  }
  // Without a profile, `docker-compose up` starts exactly the core services.
  for (const name of ['redis', 'gateway', 'worker-0', 'worker-1']) {
    assert.equal(obj(services[name], name)['profiles'], undefined, `${name} runs without a profile`);
  }

  const mounts = [
    ...(obj(services['prometheus'], 'prometheus')['volumes'] as Json[]),
    ...(obj(services['grafana'], 'grafana')['volumes'] as Json[]),
  ];
  for (const m of mounts) {
    const source = typeof m === 'string' ? (String(m).split(':')[0] ?? '') : String(m['source']);
    assert.ok(existsSync(source), `mounted file exists: ${source}`);
  }
  const prometheus = readFileSync(join(root, 'deploy/prometheus.yml'), 'utf8');
  for (const target of ['gateway:2112', 'worker-0:2113', 'worker-1:2113']) assert.ok(prometheus.includes(`"${target}"`), target);
});
