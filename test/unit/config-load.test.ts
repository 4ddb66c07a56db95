import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, loadWorkerConfig, parseDuration, readDotEnv } from '../../src/config/index.js';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected loadConfig to throw');
}

void describe('loadConfig defaults', () => {
  void it('an empty environment gives embedded mode and the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.redisUrl, null);
    assert.equal(c.redisCluster, false);
    assert.equal(c.redisSentinel, null);
    assert.equal(c.redisPrefix, 'rm');
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.websocketPort, 8000);
    assert.equal(c.httpPort, 3000);
    assert.equal(c.metricsPort, 2112);
    assert.match(c.nodeId, /^[A-Za-z0-9_.-]+-\d+-[0-9a-f]{6}$/);
    assert.equal(c.routeCacheTtlMs, 30_000);
    assert.equal(c.httpApiKey, null);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.shutdownTimeoutMs, 10_000);
    assert.equal(c.embeddedWorkers, 2);
    assert.deepEqual(c.client, {
      insecure: false,
      allowAnonymousConnectWithoutToken: true,
      tokenHmacSecretKey: null,
      channelLimit: 128,
      queueMaxSize: 1_048_576,
      staleTimeoutMs: 10_000,
      handshakeTimeoutMs: 10_000,
      connectionLimit: 0,
      pingIntervalMs: 25_000,
      pongTimeoutMs: 10_000,
      messageSizeLimit: 65_536,
      inboxMaxSize: 262_144,
      commandRateLimit: 1000,
      channelCreateRateLimit: 10,
      maxTextLength: 5000,
      rpcTimeoutMs: 5000,
      presenceTtlMs: 60000,
    });
    assert.deepEqual(
      c.channel.namespaces.map((n) => n.name),
      ['chat', 'user'],
    );
    assert.equal(c.channel.historyMetaTtlMs, 720 * 3_600_000, "Centrifugo's channel.history_meta_ttl default");
    assert.ok(
      c.channel.namespaces.every((n) => n.historyMetaTtlMs === 720 * 3_600_000),
      'namespaces inherit it',
    );
  });

  void it('two loads get different default node ids', () => {
    assert.notEqual(loadConfig({}).nodeId, loadConfig({}).nodeId);
  });

  void it('empty strings mean unset', () => {
    const c = loadConfig({ REDIS_URL: '', CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: '', HTTP_API_KEY: '  ', HTTP_PORT: '' });
    assert.equal(c.redisUrl, null);
    assert.equal(c.client.tokenHmacSecretKey, null);
    assert.equal(c.httpApiKey, null);
    assert.equal(c.httpPort, 3000);
  });
});

void describe('loadConfig parses every variable', () => {
  void it('reads all set values', () => {
    const c = loadConfig({
      REDIS_URL: 'redis://a:6380,redis://b:6381',
      REDIS_CLUSTER: 'yes',
      REDIS_PREFIX: 'app1',
      HOST: '127.0.0.1',
      WEBSOCKET_PORT: '0',
      HTTP_PORT: '65535',
      METRICS_PORT: '9100',
      NODE_ID: 'gw-1',
      CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: 's3cret',
      ROUTE_CACHE_TTL: '1m',
      MAX_TEXT_LENGTH: '100',
      WS_PING_INTERVAL: '1m30s',
      WS_PONG_TIMEOUT: '1500ms',
      WS_MESSAGE_SIZE_LIMIT: '4096',
      CLIENT_QUEUE_MAX_SIZE: '2048',
      CLIENT_STALE_TIMEOUT: '2s',
      CLIENT_CHANNEL_LIMIT: '7',
      CLIENT_COMMAND_RATE_LIMIT: '50',
      RPC_TIMEOUT: '1.5s',
      PRESENCE_TTL: '9s',
      HTTP_API_KEY: 'key',
      LOG_LEVEL: 'DEBUG',
      SHUTDOWN_TIMEOUT: '0',
      EMBEDDED_WORKERS: '4',
    });
    assert.equal(c.redisUrl, 'redis://a:6380,redis://b:6381');
    assert.equal(c.redisCluster, true);
    assert.equal(c.redisPrefix, 'app1');
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.websocketPort, 0);
    assert.equal(c.httpPort, 65535);
    assert.equal(c.metricsPort, 9100);
    assert.equal(c.nodeId, 'gw-1');
    assert.equal(c.client.tokenHmacSecretKey, 's3cret');
    assert.equal(c.client.allowAnonymousConnectWithoutToken, false, 'a secret turns anonymous connects off by default');
    assert.equal(c.routeCacheTtlMs, 60_000);
    assert.equal(c.client.maxTextLength, 100);
    assert.equal(c.client.pingIntervalMs, 90_000);
    assert.equal(c.client.pongTimeoutMs, 1500);
    assert.equal(c.client.messageSizeLimit, 4096);
    assert.equal(c.client.queueMaxSize, 2048);
    assert.equal(c.client.staleTimeoutMs, 2000);
    assert.equal(c.client.channelLimit, 7);
    assert.equal(c.client.commandRateLimit, 50);
    assert.equal(c.client.rpcTimeoutMs, 1500);
    assert.equal(c.client.presenceTtlMs, 9000);
    assert.equal(c.httpApiKey, 'key');
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.shutdownTimeoutMs, 0);
    assert.equal(c.embeddedWorkers, 4);
  });

  void it('booleans accept true/false/1/0/yes/no in any case', () => {
    for (const [text, want] of [
      ['true', true],
      ['1', true],
      ['YES', true],
      ['False', false],
      ['0', false],
      ['no', false],
    ] as const) {
      assert.equal(loadConfig({ REDIS_CLUSTER: text, REDIS_URL: 'redis://x' }).redisCluster, want, text);
    }
    assert.deepEqual(problemsOf(() => loadConfig({ REDIS_CLUSTER: 'on' })).length, 1);
  });

  void it('a single redis URL keeps credentials', () => {
    assert.equal(loadConfig({ REDIS_URL: 'rediss://u:p@host:6390/2' }).redisUrl, 'rediss://u:p@host:6390/2');
  });
});

void describe('loadConfig problems', () => {
  void it('lists every problem at once, one per line', () => {
    let error: unknown;
    try {
      loadConfig({
        WEBSOCKET_PORT: '70000',
        HTTP_PORT: 'abc',
        METRICS_PORT: '-1',
        ROUTE_CACHE_TTL: '30',
        LOG_LEVEL: 'loud',
        REDIS_CLUSTER: 'maybe',
        EMBEDDED_WORKERS: '0',
        MAX_TEXT_LENGTH: '1e3',
      });
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof ConfigError);
    const names = error.problems.map((p) => p.split(':')[0]);
    assert.deepEqual(
      new Set(names),
      new Set([
        'WEBSOCKET_PORT',
        'HTTP_PORT',
        'METRICS_PORT',
        'ROUTE_CACHE_TTL',
        'LOG_LEVEL',
        'REDIS_CLUSTER',
        'EMBEDDED_WORKERS',
        'MAX_TEXT_LENGTH',
      ]),
    );
    const lines = error.message.split('\n');
    assert.equal(lines.length, 1 + 8, 'a header line plus one line per problem');
    for (const p of error.problems) assert.ok(error.message.includes(p));
    assert.ok(error.message.includes('"70000"'), 'shows the offending value');
  });

  void it('requires the pong timeout to be shorter than the ping interval', () => {
    const problems = problemsOf(() => loadConfig({ WS_PING_INTERVAL: '5s', WS_PONG_TIMEOUT: '5s' }));
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^WS_PONG_TIMEOUT: must be shorter than WS_PING_INTERVAL/);
  });

  void it('never echoes secrets or the redis URL', () => {
    const problems = problemsOf(() => loadConfig({ REDIS_URL: 'http://user:hunter2@host' }));
    assert.equal(problems.length, 1);
    assert.ok(!problems.join('\n').includes('hunter2'));
  });

  void it('rejects several redis seeds without cluster mode, and cluster mode without a URL', () => {
    assert.match(problemsOf(() => loadConfig({ REDIS_URL: 'redis://a,redis://b' }))[0] ?? '', /REDIS_CLUSTER/);
    assert.match(problemsOf(() => loadConfig({ REDIS_CLUSTER: 'true' }))[0] ?? '', /requires REDIS_URL/);
    assert.deepEqual(
      problemsOf(() => loadConfig({ REDIS_URL: 'redis://x', REDIS_SHARDED_PUBSUB: 'true' })),
      ['REDIS_SHARDED_PUBSUB: true requires REDIS_CLUSTER=true (sharded pub/sub is a Redis Cluster feature)'],
    );
    assert.equal(loadConfig({ REDIS_URL: 'redis://x', REDIS_CLUSTER: 'true', REDIS_SHARDED_PUBSUB: 'yes' }).redisShardedPubSub, true);
    assert.equal(loadConfig({ REDIS_URL: 'redis://x', REDIS_CLUSTER: 'true' }).redisShardedPubSub, false);
  });

  void it('rejects bad prefixes and node ids', () => {
    const problems = problemsOf(() => loadConfig({ REDIS_PREFIX: 'a b', NODE_ID: 'x'.repeat(200), HOST: 'a b' }));
    assert.equal(problems.length, 3);
  });
});

void describe('loadConfig result', () => {
  void it('is deeply frozen', () => {
    const c = loadConfig({});
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.client));
    assert.ok(Object.isFrozen(c.channel));
    assert.ok(Object.isFrozen(c.channel.namespaces));
    assert.ok(Object.isFrozen(c.channel.namespaces[0]));
    assert.throws(() => {
      (c.client as { channelLimit: number }).channelLimit = 1;
    }, TypeError);
  });

  void it('each load returns independent channel rules', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    assert.notEqual(a.channel, b.channel);
    assert.deepEqual(a.channel, b.channel);
  });
});

void describe('parseDuration', () => {
  void it('parses units, compounds and decimals', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1h2m3s4ms'), 3_723_004);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(' 2s '), 2000);
  });

  void it('rejects bare numbers, unknown units and junk', () => {
    for (const bad of ['30', '', '5d', '-1s', '1 s', 's', '1.s', '1e3ms', '10sec']) assert.equal(parseDuration(bad), null, bad);
  });
});

void describe('readDotEnv', () => {
  void it('reads KEY=VALUE lines with comments and quotes', () => {
    const env = readDotEnv(
      [
        '\uFEFF# comment',
        '',
        'A=1',
        'export B = two words ',
        "C='single # kept'",
        'D="line\\nbreak \\"q\\""  # trailing comment',
        'E=value # comment',
        'F=',
        'not a line',
        '1BAD=x',
        'G="unterminated',
        'H=x=y\r',
      ].join('\n'),
    );
    assert.deepEqual(env, { A: '1', B: 'two words', C: 'single # kept', D: 'line\nbreak "q"', E: 'value', F: '', H: 'x=y' });
  });
});

void describe('ports', () => {
  void it('refuses two listeners on one port, and allows 0 (any free port) for several', () => {
    assert.throws(
      () => loadConfig({ WEBSOCKET_PORT: '3000' }),
      (err: unknown) =>
        err instanceof ConfigError && err.problems.some((p) => p === 'WEBSOCKET_PORT: must differ from HTTP_PORT (both 3000)'),
    );
    const c = loadConfig({ WEBSOCKET_PORT: '0', HTTP_PORT: '0', METRICS_PORT: '0' });
    assert.deepEqual([c.websocketPort, c.httpPort, c.metricsPort], [0, 0, 0]);
  });
});

void describe('documentation', () => {
  void it('.env.example and docs/configuration.md document exactly the variables loadConfig and loadWorkerConfig read', async () => {
    const { readFileSync } = await import('node:fs');
    const read = new Set<string>();
    const spy = new Proxy(
      {},
      {
        get: (_t, key) => {
          if (typeof key === 'string') read.add(key);
          return undefined;
        },
      },
    );
    loadConfig(spy);
    loadWorkerConfig(spy);
    const envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documentedEnv = new Set([...envExample.matchAll(/^# ([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const documentedDocs = new Set([...docs.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]));
    assert.deepEqual([...documentedEnv].sort(), [...read].sort());
    assert.deepEqual([...documentedDocs].sort(), [...read].sort());
    assert.equal(read.size, 53);
  });
});
