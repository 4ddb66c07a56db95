// Namespace options of issue 16 (publish_mode, publish_timeout, publish_data, worker_pool), their
// defaults (built-in chat keeps "text", CONFIG_FILE namespaces default to "any"), WORKER_POOL,
// WORKER_METRICS_PORT 0/off, WORKER_HANDLER and an empty REDIS_PREFIX.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, loadWorkerConfig, resolveChannel } from '../../src/config/index.js';

function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

const withFile = (doc: unknown): ReturnType<typeof loadConfig> =>
  loadConfig({ CONFIG_FILE: 'c.json' }, { readFile: () => JSON.stringify(doc) });

void describe('worker-facing namespace options', () => {
  void it('built-in chat, chat:* and user:* keep "text" in append mode on the default pool', () => {
    const c = loadConfig({});
    for (const channel of ['chat', 'chat:room', 'user:42']) {
      const o = resolveChannel(c.channel, channel)?.options;
      assert.deepEqual([o?.publishData, o?.publishMode, o?.workerPool, o?.publishTimeoutMs], ['text', 'append', 'default', 0], channel);
    }
  });

  void it('reads the options from CONFIG_FILE; a namespace that sets none accepts any payload, as in Centrifugo', () => {
    const c = withFile({
      channel: {
        without_namespace: { publish_data: 'text' },
        namespaces: [
          { name: 'mod', publish_mode: 'handled', publish_data: 'json', publish_timeout: '750ms', worker_pool: 'moderation' },
          { name: 'plain' },
        ],
      },
    });
    const mod = resolveChannel(c.channel, 'mod:room')?.options;
    assert.deepEqual([mod?.publishMode, mod?.publishData, mod?.publishTimeoutMs, mod?.workerPool], ['handled', 'json', 750, 'moderation']);
    const plain = resolveChannel(c.channel, 'plain:x')?.options;
    assert.deepEqual([plain?.publishMode, plain?.publishData, plain?.workerPool], ['append', 'any', 'default']);
    assert.equal(resolveChannel(c.channel, 'lobby')?.options.publishData, 'text');
  });

  void it('reports every bad value at once', () => {
    const found = problems(() =>
      withFile({
        channel: { namespaces: [{ name: 'a', publish_mode: 'sync', publish_data: 'xml', worker_pool: 'no spaces', publish_timeout: 5 }] },
      }),
    );
    assert.deepEqual(found, [
      'CONFIG_FILE channel.namespaces[0].publish_mode: must be one of "append", "handled"',
      'CONFIG_FILE channel.namespaces[0].publish_timeout: must be a duration string such as "30s" or "5m"',
      'CONFIG_FILE channel.namespaces[0].publish_data: must be one of "text", "json", "any"',
      'CONFIG_FILE channel.namespaces[0].worker_pool: must be 1-64 characters of A-Z a-z 0-9 _ . -',
    ]);
  });
});

void describe('worker and embedded variables', () => {
  void it('WORKER_POOL defaults to "default" and is validated', () => {
    assert.equal(loadWorkerConfig({}).workerPool, 'default');
    assert.equal(loadWorkerConfig({ WORKER_POOL: 'bots' }).workerPool, 'bots');
    assert.deepEqual(
      problems(() => loadWorkerConfig({ WORKER_POOL: 'a:b' })),
      ['WORKER_POOL: must be 1-64 characters of A-Z a-z 0-9 _ . - (got "a:b")'],
    );
  });

  void it('WORKER_METRICS_PORT: 2113 by default, 0 for a free port, off for none', () => {
    assert.equal(loadWorkerConfig({}).workerMetricsPort, 2113);
    assert.equal(loadWorkerConfig({ WORKER_METRICS_PORT: '0' }).workerMetricsPort, 0);
    assert.equal(loadWorkerConfig({ WORKER_METRICS_PORT: 'off' }).workerMetricsPort, null);
    assert.match(problems(() => loadWorkerConfig({ WORKER_METRICS_PORT: 'x' }))[0] ?? '', /0 to 65535 or off/);
  });

  void it('REDIS_PREFIX set empty means no prefix; unset means rm', () => {
    assert.equal(loadConfig({}).redisPrefix, 'rm');
    assert.equal(loadConfig({ REDIS_PREFIX: '' }).redisPrefix, '');
    assert.equal(loadConfig({ REDIS_PREFIX: 'app' }).redisPrefix, 'app');
  });

  void it('WORKER_HANDLER names the embedded handler module', () => {
    assert.equal(loadConfig({}).workerHandler, null);
    assert.equal(loadConfig({ WORKER_HANDLER: './my-handler.js' }).workerHandler, './my-handler.js');
  });
});
