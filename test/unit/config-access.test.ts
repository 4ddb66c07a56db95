// CONFIG_FILE options for tokens, subscription tokens, origins, limits, proxies and http_api.key.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const load = (file: unknown, env: Record<string, string> = {}) =>
  loadConfig({ CONFIG_FILE: 'c.json', ...env }, { readFile: () => JSON.stringify(file) });

function problems(file: unknown, env: Record<string, string> = {}): string[] {
  try {
    load(file, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.problems];
  }
  return [];
}

const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

void describe('CONFIG_FILE access options', () => {
  void it('reads token keys, audience and issuer; the env secret wins; subscription tokens share them unless enabled', () => {
    const c = load(
      {
        client: {
          token: {
            hmac_secret_key: 'file',
            rsa_public_key: rsaPem,
            ecdsa_public_key: ecPem,
            jwks_public_endpoint: 'https://id.example/jwks',
            audience: 'app',
            issuer: 'https://id.example',
          },
        },
      },
      { CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: 'env' },
    );
    assert.deepEqual(c.tokens.connection, {
      hmacSecretKey: 'env',
      rsaPublicKey: rsaPem,
      ecdsaPublicKey: ecPem,
      jwksPublicEndpoint: 'https://id.example/jwks',
      audience: 'app',
      issuer: 'https://id.example',
      audienceRegex: null,
      issuerRegex: null,
      userIdClaim: null,
    });
    const r = load({
      client: { token: { hmac_secret_key: 'k', audience_regex: '^app-\\d+$', issuer_regex: '^https://id\\.', user_id_claim: 'uid' } },
    }).tokens.connection;
    assert.deepEqual([r.audienceRegex, r.issuerRegex, r.userIdClaim], ['^app-\\d+$', '^https://id\\.', 'uid']);
    assert.equal(c.tokens.subscription, c.tokens.connection);
    assert.equal(c.client.allowAnonymousConnectWithoutToken, false);
    const s = load({
      client: { token: { hmac_secret_key: 'conn' }, subscription_token: { enabled: true, hmac_secret_key: 'subs', audience: 'subs-aud' } },
    });
    assert.equal(s.tokens.subscription.hmacSecretKey, 'subs');
    assert.equal(s.tokens.subscription.audience, 'subs-aud');
    assert.equal(s.tokens.connection.hmacSecretKey, 'conn');
    assert.equal(
      load({ client: { subscription_token: { enabled: false, hmac_secret_key: 'x' } } }).tokens.subscription.hmacSecretKey,
      null,
    );
  });

  void it('an RSA key alone turns anonymous connects off by default', () => {
    assert.equal(load({ client: { token: { rsa_public_key: rsaPem } } }).client.allowAnonymousConnectWithoutToken, false);
    assert.equal(load({}).client.allowAnonymousConnectWithoutToken, true);
  });

  void it('reports bad keys, URLs, origins, limits and proxies together', () => {
    const p = problems({
      client: {
        token: {
          rsa_public_key: ecPem,
          ecdsa_public_key: 'nope',
          jwks_public_endpoint: 'ftp://x',
          audiense: 'typo',
          audience: 'a',
          audience_regex: '(',
        },
        allowed_origins: 'https://a',
        user_connection_limit: -1,
        connection_rate_limit: 'fast',
        proxy: {
          connect: { enabled: true },
          refresh: {
            enabled: true,
            endpoint: 'http://x',
            http_headers: ['Bad Header'],
            http: { status_to_code_transforms: [{ status_code: 500 }] },
          },
        },
      },
      channel: { namespaces: [{ name: 'n', publish_proxy_enabled: true }] },
      rpc: { without_namespace: { proxy_enabled: true } },
      http_api: { key: 5 },
    });
    const expected = [
      'client.token.rsa_public_key: must be a PEM RSA public key',
      'client.token.ecdsa_public_key: must be a PEM ECDSA public key',
      'client.token.jwks_public_endpoint: must be an http:// or https:// URL',
      'client.token.audiense: unknown option',
      'client.token.audience_regex: must be a valid regular expression',
      'client.allowed_origins: must be an array',
      'client.user_connection_limit: must be an integer',
      'client.connection_rate_limit: must be an integer',
      'client.proxy.connect.endpoint: is required',
      'client.proxy.refresh.http_headers: must be an array of header names',
      'client.proxy.refresh.http.status_to_code_transforms[0]: needs exactly one of to_error and to_disconnect',
      'publish_proxy_enabled: requires channel.proxy.publish.endpoint',
      'rpc.without_namespace.proxy_enabled: requires rpc.proxy.endpoint',
      'http_api.key: must be a string',
    ];
    for (const text of expected)
      assert.ok(
        p.some((line) => line.includes(text)),
        `${text}\n${p.join('\n')}`,
      );
  });

  void it('reads origins, limits, proxies and http_api.key; HTTP_API_KEY wins', () => {
    const c = load({
      client: {
        allowed_origins: ['https://a.example', 'https://*.b.example'],
        user_connection_limit: 3,
        connection_rate_limit: 50,
        proxy: {
          connect: {
            enabled: true,
            endpoint: 'http://app/connect',
            timeout: '3s',
            http_headers: ['Cookie'],
            http: {
              static_headers: { 'X-Secret': 's' },
              status_to_code_transforms: [
                { status_code: 403, to_disconnect: { code: 4403, reason: 'forbidden' } },
                { status_code: 429, to_error: { code: 111, message: 'slow down', temporary: true } },
              ],
            },
          },
        },
      },
      channel: { proxy: { subscribe: { endpoint: 'http://app/sub' } }, namespaces: [{ name: 'n', subscribe_proxy_enabled: true }] },
      http_api: { key: 'from-file' },
    });
    assert.deepEqual(c.admission, {
      allowedOrigins: ['https://a.example', 'https://*.b.example'],
      userConnectionLimit: 3,
      connectionRateLimit: 50,
    });
    assert.deepEqual(c.proxies.connect, {
      endpoint: 'http://app/connect',
      timeoutMs: 3000,
      httpHeaders: ['cookie'],
      staticHeaders: { 'x-secret': 's' },
      statusTransforms: [
        { statusCode: 403, toDisconnect: { code: 4403, reason: 'forbidden' } },
        { statusCode: 429, toError: { code: 111, message: 'slow down', temporary: true } },
      ],
    });
    assert.deepEqual(c.proxies.subscribe, {
      endpoint: 'http://app/sub',
      timeoutMs: 1000,
      httpHeaders: [],
      staticHeaders: {},
      statusTransforms: [],
    });
    assert.equal(c.proxies.refresh, null);
    assert.equal(c.channel.namespaces[0]?.subscribeProxyEnabled, true);
    assert.equal(c.httpApiKey, 'from-file');
    assert.equal(load({ http_api: { key: 'from-file' } }, { HTTP_API_KEY: 'env' }).httpApiKey, 'env');
    assert.equal(load({ client: { proxy: { connect: { enabled: false, endpoint: 'http://x' } } } }).proxies.connect, null);
  });
});
