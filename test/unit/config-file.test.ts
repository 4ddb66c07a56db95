import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, resolveChannel } from '../../src/config/index.js';
import type { Config } from '../../src/config/index.js';

function withFile(doc: unknown, env: Record<string, string> = {}): Config {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  return loadConfig(
    { CONFIG_FILE: '/etc/rm/config.json', ...env },
    {
      readFile: (path) => {
        assert.equal(path, '/etc/rm/config.json');
        return text;
      },
    },
  );
}

function problemsWithFile(doc: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    withFile(doc, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

void describe('CONFIG_FILE', () => {
  void it('reads client options and namespaces with Centrifugo names', () => {
    const c = withFile({
      client: { insecure: true, token: { hmac_secret_key: 'file-secret' }, allow_anonymous_connect_without_token: true },
      channel: {
        without_namespace: { allow_subscribe_for_client: true, presence: true },
        max_length: 64,
        namespaces: [
          {
            name: 'news',
            history_size: 10,
            history_ttl: '1h',
            force_recovery: true,
            force_positioning: true,
            join_leave: true,
            force_push_join_leave: true,
            allow_publish_for_subscriber: true,
            allow_history_for_subscriber: true,
            allow_presence_for_subscriber: true,
            allow_user_limited_channels: true,
          },
          { name: 'inbox', user_owned: true, allow_subscribe_for_client: true, allow_publish_for_client: true },
        ],
      },
    });
    assert.equal(c.client.insecure, true);
    assert.equal(c.client.tokenHmacSecretKey, 'file-secret');
    assert.equal(c.client.allowAnonymousConnectWithoutToken, true);
    assert.equal(c.channel.maxLength, 64);
    assert.equal(c.channel.withoutNamespace?.allowSubscribeForClient, true);
    assert.equal(c.channel.withoutNamespace?.presence, true);
    assert.equal(c.channel.withoutNamespace?.allowPublishForClient, false);
    assert.equal(c.channel.withoutNamespaceChannels, undefined, 'every channel without namespace is known');
    const news = c.channel.namespaces[0];
    assert.deepEqual(news, {
      name: 'news',
      historySize: 10,
      historyTtlMs: 3_600_000,
      historyMetaTtlMs: 720 * 3_600_000,
      forceRecovery: true,
      forcePositioning: true,
      presence: false,
      joinLeave: true,
      forcePushJoinLeave: true,
      allowSubscribeForClient: false,
      allowPublishForClient: false,
      allowPublishForSubscriber: true,
      allowHistoryForSubscriber: true,
      allowPresenceForSubscriber: true,
      allowUserLimitedChannels: true,
      userOwned: false,
      subscribeProxyEnabled: false,
      publishProxyEnabled: false,
      subRefreshProxyEnabled: false,
      publishMode: 'append',
      publishTimeoutMs: 0,
      publishData: 'any',
      workerPool: 'default',
    });
    assert.equal(c.channel.namespaces[1]?.userOwned, true);
    assert.equal(resolveChannel(c.channel, 'anything')?.namespace, '');
    assert.equal(resolveChannel(c.channel, 'chat:room'), null, 'the file replaces the built-in rules');
    assert.ok(Object.isFrozen(c.channel.namespaces[1]));
  });

  void it('without_namespace null and without_namespace_channels restrict channels without namespace', () => {
    assert.equal(resolveChannel(withFile({ channel: { without_namespace: null } }).channel, 'x'), null);
    const c = withFile({ channel: { without_namespace: {}, without_namespace_channels: ['lobby'] } });
    assert.equal(resolveChannel(c.channel, 'lobby')?.namespace, '');
    assert.equal(resolveChannel(c.channel, 'other'), null);
  });

  void it('reads allowed_delta_types and allow_tags_filter, refusing unknown delta types', () => {
    const c = withFile({ channel: { namespaces: [{ name: 'board', allowed_delta_types: ['fossil'], allow_tags_filter: true }] } });
    assert.deepEqual(c.channel.namespaces[0]?.allowedDeltaTypes, ['fossil']);
    assert.equal(c.channel.namespaces[0]?.allowTagsFilter, true);
    const problems = problemsWithFile({ channel: { namespaces: [{ name: 'b', allowed_delta_types: ['xdelta'] }] } });
    assert.ok(
      problems.some((p) => p.includes('channel.namespaces[0].allowed_delta_types') && p.includes('"fossil"')),
      problems.join('; '),
    );
  });

  void it('history_meta_ttl: channel level (default 720h) inherited by namespaces that set none, up to 10 years', () => {
    const c = withFile({ channel: { history_meta_ttl: '2h', namespaces: [{ name: 'a', history_meta_ttl: '90s' }, { name: 'b' }] } });
    assert.equal(c.channel.historyMetaTtlMs, 7_200_000);
    assert.deepEqual(
      c.channel.namespaces.map((n) => n.historyMetaTtlMs),
      [90_000, 7_200_000],
    );
    assert.equal(c.channel.withoutNamespace?.historyMetaTtlMs, 7_200_000);
    assert.equal(withFile({ channel: { history_meta_ttl: '87600h' } }).channel.historyMetaTtlMs, 87_600 * 3_600_000);
    const text = problemsWithFile({ channel: { history_meta_ttl: '87601h', namespaces: [{ name: 'x', history_meta_ttl: 'soon' }] } }).join(
      '\n',
    );
    assert.match(text, /channel\.history_meta_ttl: must be a duration/);
    assert.match(text, /namespaces\[0\]\.history_meta_ttl: must be a duration/);
    assert.match(problemsWithFile({ channel: { history_meta_ttl: '0' } }).join('\n'), /history_meta_ttl: must be longer than 0/);
  });

  void it('a file without a channel section keeps the built-in rules', () => {
    const c = withFile({ client: { insecure: false } });
    assert.equal(resolveChannel(c.channel, 'chat:room')?.namespace, 'chat');
  });

  void it('the environment secret overrides the file secret', () => {
    const c = withFile({ client: { token: { hmac_secret_key: 'file-secret' } } }, { CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: 'env-secret' });
    assert.equal(c.client.tokenHmacSecretKey, 'env-secret');
    assert.equal(c.client.allowAnonymousConnectWithoutToken, false);
  });

  void it('reports unknown keys anywhere, with their path', () => {
    const problems = problemsWithFile({
      clinet: {},
      client: { insecure: false, tokn: {} },
      channel: { namespace: [], without_namespace: { presense: true }, namespaces: [{ name: 'a', histroy_size: 1 }] },
    });
    assert.deepEqual([...problems].sort(), [
      'CONFIG_FILE channel.namespace: unknown option',
      'CONFIG_FILE channel.namespaces[0].histroy_size: unknown option',
      'CONFIG_FILE channel.without_namespace.presense: unknown option',
      'CONFIG_FILE client.tokn: unknown option',
      'CONFIG_FILE clinet: unknown option',
    ]);
  });

  void it('reports bad values, bad names, duplicates and option conflicts together with env problems', () => {
    const problems = problemsWithFile(
      {
        client: { insecure: 'yes', token: { hmac_secret_key: 42 } },
        channel: {
          namespaces: [
            { name: 'bad name' },
            { name: 'h', history_size: 5 },
            { name: 'r', force_recovery: true },
            { name: 't', history_size: -1, history_ttl: 300 },
            { name: 'j', force_push_join_leave: true },
            { name: 'd' },
            { name: 'd' },
          ],
        },
      },
      { HTTP_PORT: 'x' },
    );
    const text = problems.join('\n');
    assert.match(text, /client\.insecure: must be true or false/);
    assert.match(text, /client\.token\.hmac_secret_key: must be a string/);
    assert.match(text, /namespaces\[0\]\.name: must be/);
    assert.match(text, /namespaces\[1\]: history_size > 0 requires history_ttl > 0/);
    assert.match(text, /namespaces\[2\]: force_recovery requires history/);
    assert.match(text, /namespaces\[3\]\.history_size: must be an integer/);
    assert.match(text, /namespaces\[3\]\.history_ttl: must be a duration string/);
    assert.match(text, /namespaces\[4\]: force_push_join_leave requires join_leave/);
    assert.match(text, /namespaces\[6\]\.name: duplicate namespace "d"/);
    assert.match(text, /^HTTP_PORT: /m);
    assert.equal(problems.length, 10);
  });

  void it('reports unreadable files and invalid JSON', () => {
    assert.throws(
      () =>
        loadConfig(
          { CONFIG_FILE: '/nope.json' },
          {
            readFile: () => {
              throw Object.assign(new Error('x'), { code: 'ENOENT' });
            },
          },
        ),
      (err: unknown) => err instanceof ConfigError && err.problems[0] === 'CONFIG_FILE: cannot read "/nope.json" (ENOENT)',
    );
    assert.match(problemsWithFile('{"client":')[0] ?? '', /^CONFIG_FILE: not valid JSON/);
    assert.match(problemsWithFile('[]')[0] ?? '', /must be an object/);
  });

  void it('the shipped config.example.json loads and reproduces the built-in rules', async () => {
    const { readFileSync } = await import('node:fs');
    const example = readFileSync(new URL('../../config.example.json', import.meta.url), 'utf8');
    const c = withFile(example);
    const builtIn = loadConfig({});
    assert.deepEqual(c.channel, builtIn.channel);
  });
});
