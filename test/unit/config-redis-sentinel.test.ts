import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, type Env } from '../../src/config/index.js';
import { redisTargetOf } from '../../src/redis/index.js';

function problemsOf(env: Env, file?: unknown): readonly string[] {
  try {
    loadConfig(file === undefined ? env : { ...env, CONFIG_FILE: 'x.json' }, { readFile: () => JSON.stringify(file) });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected loadConfig to throw');
}

void describe('Redis Sentinel options', () => {
  void it('REDIS_SENTINELS with a master name and credentials gives a Sentinel target (no REDIS_URL: not embedded)', () => {
    const c = loadConfig({
      REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b:26380,[::1]:26381,sentinel-d',
      REDIS_SENTINEL_MASTER_NAME: 'mymaster',
      REDIS_SENTINEL_USER: 'sen',
      REDIS_SENTINEL_PASSWORD: 'spw',
      REDIS_USER: 'app',
      REDIS_PASSWORD: 'pw',
    });
    assert.equal(c.redisUrl, null);
    assert.deepEqual(c.redisSentinel, {
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b', port: 26380 },
        { host: '::1', port: 26381 },
        { host: 'sentinel-d', port: 26379 },
      ],
      masterName: 'mymaster',
      sentinelUser: 'sen',
      sentinelPassword: 'spw',
      user: 'app',
      password: 'pw',
    });
    assert.equal(c.web.chatDemo, false, 'Redis mode defaults (the chat demo is off with Redis)');
    assert.deepEqual(redisTargetOf(c)?.sentinel, c.redisSentinel);
    assert.equal(redisTargetOf(loadConfig({})), null);
    assert.deepEqual(redisTargetOf(loadConfig({ REDIS_URL: 'redis://h:1' })), { url: 'redis://h:1', cluster: false });
  });

  void it("the config file takes Centrifugo's engine.redis.sentinel_* names; the environment wins field by field", () => {
    const file = {
      engine: {
        redis: { sentinel_address: ['a:1', 'b:2'], sentinel_master_name: 'm', sentinel_password: 'file-spw', password: 'file-pw' },
      },
    };
    const c = loadConfig({ CONFIG_FILE: 'x.json', REDIS_SENTINEL_MASTER_NAME: 'env-master' }, { readFile: () => JSON.stringify(file) });
    assert.deepEqual(c.redisSentinel, {
      sentinels: [
        { host: 'a', port: 1 },
        { host: 'b', port: 2 },
      ],
      masterName: 'env-master',
      sentinelUser: null,
      sentinelPassword: 'file-spw',
      user: null,
      password: 'file-pw',
    });
    assert.deepEqual(problemsOf({}, { engine: { redis: { sentinel_address: 7, address: 'x' }, type: 'redis' } }).toSorted(), [
      'CONFIG_FILE engine.redis.address: unknown option',
      'CONFIG_FILE engine.redis.sentinel_address: must be a string or an array of "host:port" strings',
      'CONFIG_FILE engine.type: unknown option',
    ]);
  });

  void it('refuses, all at once: sentinels without a master name, with REDIS_CLUSTER, with REDIS_URL, a malformed list', () => {
    const problems = problemsOf({ REDIS_SENTINELS: 'a:1,b:99999', REDIS_CLUSTER: 'true', REDIS_URL: 'redis://h:1' });
    assert.ok(
      problems.some((p) => p.startsWith('REDIS_SENTINELS: must be a comma-separated list of host:port')),
      problems.join('\n'),
    );
    assert.ok(problems.some((p) => p.startsWith('REDIS_SENTINEL_MASTER_NAME: required with REDIS_SENTINELS')));
    assert.ok(problems.some((p) => p.startsWith('REDIS_SENTINELS: cannot be combined with REDIS_CLUSTER=true')));
    assert.ok(problems.some((p) => p.startsWith('REDIS_URL and REDIS_SENTINELS: set only one')));
    for (const bad of ['a:', ':1', 'a b:1', 'redis://a:1', 'a:0']) {
      assert.match(problemsOf({ REDIS_SENTINELS: bad, REDIS_SENTINEL_MASTER_NAME: 'm' })[0] ?? '', /^REDIS_SENTINELS: must be/, bad);
    }
  });

  void it('refuses the companions without REDIS_SENTINELS, and never shows a password', () => {
    const problems = problemsOf({
      REDIS_URL: 'redis://h:1',
      REDIS_SENTINEL_MASTER_NAME: 'm',
      REDIS_PASSWORD: 'hunter2-secret',
      REDIS_SENTINEL_PASSWORD: 'other-secret',
    });
    assert.equal(problems.length, 3);
    assert.match(problems.join('\n'), /REDIS_SENTINEL_MASTER_NAME: applies only with REDIS_SENTINELS/);
    assert.match(
      problems.join('\n'),
      /REDIS_PASSWORD: is the Sentinel-managed master's credential and needs REDIS_SENTINELS; without Sentinel put it in REDIS_URL/,
    );
    assert.doesNotMatch(problems.join('\n'), /hunter2|other-secret/);
  });
});
