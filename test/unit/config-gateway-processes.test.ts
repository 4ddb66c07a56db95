// GATEWAY_PROCESSES and `gateway_processes`: 1 by default, a count or `auto` (the CPUs) in Redis
// mode, the environment over the file, every bad value reported, embedded mode refused.

import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const REDIS = { REDIS_URL: 'redis://127.0.0.1:6379' };

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected loadConfig to throw');
}

const withFile = (doc: unknown, env: Record<string, string> = {}) =>
  loadConfig({ ...REDIS, CONFIG_FILE: 'c.json', ...env }, { readFile: () => JSON.stringify(doc) });

void describe('GATEWAY_PROCESSES', () => {
  void it('is 1 by default, in both modes', () => {
    assert.equal(loadConfig({}).gatewayProcesses, 1);
    assert.equal(loadConfig(REDIS).gatewayProcesses, 1);
  });

  void it('takes a count or auto (the number of CPUs) in Redis mode', () => {
    assert.equal(loadConfig({ ...REDIS, GATEWAY_PROCESSES: '4' }).gatewayProcesses, 4);
    assert.equal(loadConfig({ ...REDIS, GATEWAY_PROCESSES: 'AUTO' }).gatewayProcesses, availableParallelism());
    assert.equal(loadConfig({ GATEWAY_PROCESSES: '1' }).gatewayProcesses, 1, '1 is fine in embedded mode');
  });

  void it('reads gateway_processes from the config file; the environment wins', () => {
    assert.equal(withFile({ gateway_processes: 3 }).gatewayProcesses, 3);
    assert.equal(withFile({ gateway_processes: 'auto' }).gatewayProcesses, availableParallelism());
    assert.equal(withFile({ gateway_processes: 3 }, { GATEWAY_PROCESSES: '2' }).gatewayProcesses, 2);
    assert.deepEqual(
      problemsOf(() => withFile({ gateway_processes: 0 })),
      ['CONFIG_FILE gateway_processes: must be an integer from 1 to 256'],
    );
  });

  void it('reports a bad value with what it expects', () => {
    for (const bad of ['0', '-2', 'two', '257', '1.5']) {
      assert.deepEqual(
        problemsOf(() => loadConfig({ ...REDIS, GATEWAY_PROCESSES: bad })),
        [`GATEWAY_PROCESSES: must be auto or an integer from 1 to 256 (got ${JSON.stringify(bad)})`],
      );
    }
  });

  void it('refuses more than one process in embedded mode, saying why and what to set', () => {
    for (const v of ['2', 'auto']) {
      const [problem] = problemsOf(() => loadConfig({ GATEWAY_PROCESSES: v }));
      assert.match(problem ?? '', /^GATEWAY_PROCESSES: .*needs REDIS_URL; embedded mode's in-memory engine lives in one process/);
    }
    assert.match(
      problemsOf(() => loadConfig({ CONFIG_FILE: 'c.json' }, { readFile: () => '{"gateway_processes":2}' }))[0] ?? '',
      /needs REDIS_URL/,
    );
  });
});
