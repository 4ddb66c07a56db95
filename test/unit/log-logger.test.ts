import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, scrubSecrets, type CreateLoggerOptions } from '../../src/log/index.js';

// A real HS256-shaped JWT (header {"alg":"HS256","typ":"JWT"}); never allowed in any output line.
const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJlLWJ5dGVz_-x';
const secret = 'hmac-secret-that-must-not-leak';

function capture(options: Partial<CreateLoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    name: 'test',
    destination: {
      write: (s: string) => {
        lines.push(s);
      },
    },
    ...options,
  });
  return { logger, lines, text: () => lines.join(''), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

void test('writes one structured JSON object per line with level label, name, time and message', () => {
  const { logger, records } = capture({ base: { nodeId: 'gw-1' } });
  logger.info({ clientId: 'c1' }, 'client connected');
  logger.debug('below info is still written at trace level');
  const [first, second] = records();
  assert.equal(first?.['level'], 'info');
  assert.equal(first?.['name'], 'test');
  assert.equal(first?.['nodeId'], 'gw-1');
  assert.equal(first?.['clientId'], 'c1');
  assert.equal(first?.['msg'], 'client connected');
  assert.equal(typeof first?.['time'], 'string');
  assert.equal(second?.['level'], 'debug');
});

void test('respects the level: nothing below it is written, silent writes nothing', () => {
  const info = capture({ level: 'info' });
  info.logger.debug({ token: jwt }, 'debug line');
  info.logger.info('info line');
  assert.equal(info.lines.length, 1);
  const silent = capture({ level: 'silent' });
  silent.logger.error('nothing');
  assert.equal(silent.lines.length, 0);
});

void test('secret fields are redacted by name at the top level and nested', () => {
  const { logger, text, records } = capture();
  logger.info(
    {
      token: secret,
      apiKey: secret,
      password: secret,
      hmac_secret_key: secret,
      config: { client: { tokenHmacSecretKey: secret }, httpApiKey: secret },
      connect: { token: secret, name: 'js' },
      req: { headers: { authorization: `Bearer ${secret}`, 'x-api-key': secret, host: 'example' } },
      env: { CENTRIFUGO_TOKEN_HMAC_SECRET_KEY: secret },
    },
    'with secrets',
  );
  assert.ok(!text().includes(secret), text());
  const [record] = records();
  assert.equal(record?.['token'], '[REDACTED]');
  assert.deepEqual(record?.['connect'], { token: '[REDACTED]', name: 'js' });
  assert.deepEqual(record?.['req'], { headers: { authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', host: 'example' } });
});

void test('child bindings and extra redact keys are redacted too', () => {
  const { logger, text } = capture({ redactKeys: ['sessionKey'] });
  logger.child({ token: secret, user: 'u1' }).info({ sessionKey: secret }, 'child line');
  assert.ok(!text().includes(secret), text());
  assert.ok(text().includes('"user":"u1"'));
});

void test('a JWT never reaches the output: message, format args, unknown fields, errors, deep objects', () => {
  const { logger, text, lines } = capture();
  logger.info(`connect with token ${jwt} refused`);
  logger.warn('bad token %s for user %s', jwt, 'u1');
  logger.info({ url: `/connection/websocket?token=${jwt}` }, 'upgrade');
  logger.error({ err: new Error(`invalid token: ${jwt}`) }, 'auth failed');
  logger.info({ a: { b: { c: { d: { e: [jwt] } } } } }, 'deep');
  logger.info({ frame: JSON.stringify({ id: 1, connect: { token: jwt } }) }, 'raw frame');
  assert.equal(lines.length, 6);
  assert.ok(!text().includes(jwt), text());
  // The signature alone would be enough to forge nothing, but the header.payload pair identifies a user.
  assert.ok(!text().includes('eyJzdWIiOiI0MiIsImV4cCI6NDEwMjQ0NDgwMH0'));
  assert.match(lines[0] ?? '', /connect with token \[REDACTED\] refused/);
  assert.match(lines[1] ?? '', /bad token \[REDACTED\] for user u1/);
  for (const line of lines) JSON.parse(line);
});

void test('a password in a URL is scrubbed, the rest of the URL kept', () => {
  const { logger, text } = capture();
  logger.info({ redisUrl: `redis://default:${secret}@redis:6379/0` }, `connecting to redis://:${secret}@redis:6379`);
  assert.ok(!text().includes(secret), text());
  assert.ok(text().includes('redis://default:[REDACTED]@redis:6379/0'));
  assert.ok(text().includes('redis://:[REDACTED]@redis:6379'));
});

void test('scrubSecrets leaves ordinary text untouched', () => {
  const line = '{"msg":"user eyJ is a name, mail a@b.c, see https://example.com/x"}';
  assert.equal(scrubSecrets(line), line);
  assert.equal(scrubSecrets(`x ${jwt} y`), 'x [REDACTED] y');
});
