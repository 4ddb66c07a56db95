import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  InvalidTokenError,
  MAX_TOKEN_LENGTH,
  TokenExpiredError,
  TokenMismatchError,
  signToken,
  verifyConnectToken,
  verifySubscribeToken,
} from '../../src/gateway/auth/index.js';

const SECRET = 'test-secret-0123456789';
const NOW = 1_700_000_000_000;
const NOW_S = NOW / 1000;
const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('utf8'));

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/** Builds a token by hand so that header, algorithm and segments can be anything. */
function rawToken(header: unknown, payload: unknown, opts: { alg?: string; secret?: string } = {}): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = createHmac(opts.alg ?? 'sha256', opts.secret ?? SECRET)
    .update(input)
    .digest('base64url');
  return `${input}.${sig}`;
}

async function invalidReason(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(err)}`);
    return err.reason;
  }
  assert.fail('expected an InvalidTokenError');
}

void describe('connection tokens', () => {
  void it('verifies a valid token and reads its claims', async () => {
    const token = signToken({ sub: '42', exp: NOW_S + 60, info: { name: 'Ann' }, channels: ['chat', 'user:42'] }, SECRET);
    const c = await verifyConnectToken(token, SECRET, NOW);
    assert.equal(c.user, '42');
    assert.equal(c.expireAtMs, (NOW_S + 60) * 1000);
    assert.equal(text(c.info), '{"name":"Ann"}');
    assert.deepEqual(c.channels, ['chat', 'user:42']);
  });

  void it('accepts a token made by another HS256 implementation (jwt.io example)', async () => {
    const token =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    assert.equal((await verifyConnectToken(token, 'your-256-bit-secret', NOW)).user, '1234567890');
    assert.equal(await invalidReason(() => verifyConnectToken(token, 'other-secret', NOW)), 'bad signature');
  });

  void it('missing sub is the anonymous user; no exp never expires; header without typ is fine', async () => {
    const c = await verifyConnectToken(rawToken({ alg: 'HS256' }, {}), SECRET, NOW);
    assert.equal(c.user, '');
    assert.equal(c.expireAtMs, null);
    assert.equal(c.info, null);
    assert.deepEqual(c.channels, []);
  });

  void it('b64info wins over info; expire_at overrides exp and 0 means never', async () => {
    const c = await verifyConnectToken(
      signToken(
        { sub: 'u', info: { a: 1 }, b64info: Buffer.from([0, 255, 7]).toString('base64'), exp: NOW_S + 10, expire_at: NOW_S + 3600 },
        SECRET,
      ),
      SECRET,
      NOW,
    );
    assert.deepEqual([...(c.info ?? [])], [0, 255, 7]);
    assert.equal(c.expireAtMs, (NOW_S + 3600) * 1000);
    assert.equal((await verifyConnectToken(signToken({ exp: NOW_S + 10, expire_at: 0 }, SECRET), SECRET, NOW)).expireAtMs, null);
  });

  void it('an expired token throws TokenExpiredError (reply 109), so does a future nbf', async () => {
    await assert.rejects(() => verifyConnectToken(signToken({ sub: '1', exp: NOW_S - 1 }, SECRET), SECRET, NOW), TokenExpiredError);
    await assert.rejects(() => verifyConnectToken(signToken({ sub: '1', exp: NOW_S }, SECRET), SECRET, NOW), TokenExpiredError);
    await assert.rejects(() => verifyConnectToken(signToken({ sub: '1', nbf: NOW_S + 30 }, SECRET), SECRET, NOW), TokenExpiredError);
    assert.equal((await verifyConnectToken(signToken({ sub: '1', nbf: NOW_S }, SECRET), SECRET, NOW)).user, '1');
  });

  void it('a bad signature is invalid, and is checked before expiry', async () => {
    const token = signToken({ sub: '1', exp: NOW_S - 100 }, 'another-secret');
    assert.equal(await invalidReason(() => verifyConnectToken(token, SECRET, NOW)), 'bad signature');
  });

  void it('a tampered payload is invalid', async () => {
    const [h, , s] = signToken({ sub: '1' }, SECRET).split('.');
    const forged = `${h}.${b64url(JSON.stringify({ sub: 'admin' }))}.${s}`;
    assert.equal(await invalidReason(() => verifyConnectToken(forged, SECRET, NOW)), 'bad signature');
  });

  void it('rejects alg none, RS256/ES256 without such a key and unknown algorithms; accepts HS384 and HS512', async () => {
    const none = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub: '1' }))}.`;
    assert.equal(await invalidReason(() => verifyConnectToken(none, SECRET, NOW)), 'unsupported algorithm');
    const noneSigned = rawToken({ alg: 'none' }, { sub: '1' });
    assert.equal(await invalidReason(() => verifyConnectToken(noneSigned, SECRET, NOW)), 'unsupported algorithm');
    assert.equal(
      (await verifyConnectToken(rawToken({ alg: 'HS512', typ: 'JWT' }, { sub: '1' }, { alg: 'sha512' }), SECRET, NOW)).user,
      '1',
    );
    assert.equal((await verifyConnectToken(rawToken({ alg: 'HS384' }, { sub: '1' }, { alg: 'sha384' }), SECRET, NOW)).user, '1');
    // An HS512 signature presented as HS256 (algorithm pinned to the header, checked by jose) fails.
    assert.equal(
      await invalidReason(() => verifyConnectToken(rawToken({ alg: 'HS256' }, { sub: '1' }, { alg: 'sha512' }), SECRET, NOW)),
      'bad signature',
    );
    for (const alg of ['RS256', 'ES256', 'hs256', 'HS256 ', 'NONE']) {
      assert.equal(
        await invalidReason(() => verifyConnectToken(rawToken({ alg }, { sub: '1' }), SECRET, NOW)),
        'unsupported algorithm',
        alg,
      );
    }
    assert.equal(
      await invalidReason(() => verifyConnectToken(rawToken({ typ: 'JWT' }, { sub: '1' }), SECRET, NOW)),
      'unsupported algorithm',
    );
  });

  void it('rejects odd headers: non-JWT typ, crit, non-object', async () => {
    assert.equal(
      await invalidReason(() => verifyConnectToken(rawToken({ alg: 'HS256', typ: 'JWE' }, {}), SECRET, NOW)),
      'unsupported token type',
    );
    assert.equal(
      await invalidReason(() => verifyConnectToken(rawToken({ alg: 'HS256', crit: ['exp'] }, {}), SECRET, NOW)),
      'critical header parameters not supported',
    );
    assert.equal(await invalidReason(() => verifyConnectToken(rawToken(['HS256'], {}), SECRET, NOW)), 'malformed header');
  });

  void it('rejects malformed segments', async () => {
    const good = signToken({ sub: '1' }, SECRET);
    const [h, p, s] = good.split('.') as [string, string, string];
    const cases: Array<[string, string]> = [
      ['', 'empty token'],
      ['abc', 'malformed token'],
      [`${h}.${p}`, 'malformed token'],
      [`${h}.${p}.${s}.x`, 'malformed token'],
      [`${h}.${p}.${s}=`, 'malformed signature'],
      [`${h}.${p}.${s.slice(0, -1)}`, 'malformed signature'],
      [`${h}.${p}.${s}AA`, 'malformed signature'],
      [`${h}=.${p}.${s}`, 'malformed header'],
      [`.${p}.${s}`, 'malformed header'],
      [`${h.replace(/./, '+')}.${p}.${s}`, 'malformed header'],
      [`${b64url('{"alg":"HS256"')}.${p}.${s}`, 'malformed header'],
      ['a'.repeat(MAX_TOKEN_LENGTH + 1), 'token too long'],
    ];
    for (const [token, reason] of cases) assert.equal(await invalidReason(() => verifyConnectToken(token, SECRET, NOW)), reason, reason);
  });

  void it('rejects a non-canonical base64url segment (stray bits) even when correctly signed', async () => {
    // Setting the unused low bits of the last character keeps the bytes but not the canonical text.
    const header = b64url(JSON.stringify({ alg: 'HS256' }));
    const payload = b64url('{"sub":"1"}'); // 11 bytes → 15 chars, last char carries 2 unused bits
    const last = payload.at(-1) ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twisted = payload.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1];
    assert.deepEqual(Buffer.from(twisted, 'base64url'), Buffer.from(payload, 'base64url'), 'same bytes, different text');
    const sig = createHmac('sha256', SECRET).update(`${header}.${twisted}`).digest('base64url');
    assert.equal(await invalidReason(() => verifyConnectToken(`${header}.${twisted}.${sig}`, SECRET, NOW)), 'payload is not a JSON object');
  });

  void it('rejects payloads that are not JSON objects', async () => {
    for (const payload of [[1, 2], 'sub', 42, null]) {
      assert.equal(
        await invalidReason(() => verifyConnectToken(rawToken({ alg: 'HS256' }, payload), SECRET, NOW)),
        'payload is not a JSON object',
      );
    }
    const header = b64url(JSON.stringify({ alg: 'HS256' }));
    for (const body of [b64url('{not json'), b64url(Buffer.from([0x7b, 0xff, 0x7d]))]) {
      const sig = createHmac('sha256', SECRET).update(`${header}.${body}`).digest('base64url');
      assert.equal(await invalidReason(() => verifyConnectToken(`${header}.${body}.${sig}`, SECRET, NOW)), 'payload is not a JSON object');
    }
  });

  void it('rejects claims of the wrong type and a channel claim', async () => {
    assert.equal(await invalidReason(() => verifyConnectToken(signToken({ sub: 42 }, SECRET), SECRET, NOW)), 'invalid "sub" claim');
    assert.equal(
      await invalidReason(() => verifyConnectToken(signToken({ exp: '9999999999' }, SECRET), SECRET, NOW)),
      'invalid "exp" claim',
    );
    assert.equal(
      await invalidReason(() => verifyConnectToken(signToken({ channels: 'chat' }, SECRET), SECRET, NOW)),
      'invalid "channels" claim',
    );
    assert.equal(
      await invalidReason(() => verifyConnectToken(signToken({ b64info: 'not base64!' }, SECRET), SECRET, NOW)),
      'invalid "b64info" claim',
    );
    assert.equal(
      await invalidReason(() => verifyConnectToken(signToken({ sub: '1', channel: 'chat' }, SECRET), SECRET, NOW)),
      'channel claim in a connection token',
    );
  });

  void it('error messages never contain the token', async () => {
    const token = signToken({ sub: 'secret-user', exp: NOW_S + 60 }, 'other');
    try {
      await verifyConnectToken(token, SECRET, NOW);
      assert.fail('expected a throw');
    } catch (err) {
      assert.ok(err instanceof Error);
      assert.ok(!err.message.includes(token) && !err.message.includes(token.split('.')[2] ?? '?') && !err.message.includes('secret-user'));
    }
  });

  void it('an empty secret verifies nothing', async () => {
    assert.equal(await invalidReason(() => verifyConnectToken(signToken({}, ''), '', NOW)), 'no token key configured');
  });
});

void describe('subscription tokens', () => {
  const expect = { channel: 'chat:vip', user: '42', client: 'c-1' };

  void it('verifies a valid token and reads its claims', async () => {
    const token = signToken(
      {
        sub: '42',
        channel: 'chat:vip',
        client: 'c-1',
        exp: NOW_S + 60,
        info: { role: 'mod' },
        b64data: Buffer.from('hi').toString('base64'),
      },
      SECRET,
    );
    const s = await verifySubscribeToken(token, SECRET, NOW, expect);
    assert.equal(s.channel, 'chat:vip');
    assert.equal(s.user, '42');
    assert.equal(s.client, 'c-1');
    assert.equal(s.expireAtMs, (NOW_S + 60) * 1000);
    assert.equal(text(s.info), '{"role":"mod"}');
    assert.equal(text(s.data), 'hi');
  });

  void it('data as raw JSON, no client claim, no expiry', async () => {
    const s = await verifySubscribeToken(signToken({ sub: '42', channel: 'chat:vip', data: [1, 'x'] }, SECRET), SECRET, NOW, expect);
    assert.equal(text(s.data), '[1,"x"]');
    assert.equal(s.client, null);
    assert.equal(s.expireAtMs, null);
    assert.equal(s.info, null);
  });

  void it('requires a channel claim', async () => {
    assert.equal(await invalidReason(() => verifySubscribeToken(signToken({ sub: '42' }, SECRET), SECRET, NOW)), 'missing channel claim');
  });

  void it('a token for another channel, user or client is a mismatch', async () => {
    const wrongChannel = signToken({ sub: '42', channel: 'chat:other' }, SECRET);
    await assert.rejects(
      () => verifySubscribeToken(wrongChannel, SECRET, NOW, expect),
      (e: unknown) => e instanceof TokenMismatchError && e.reason === 'channel mismatch',
    );
    const wrongUser = signToken({ sub: '43', channel: 'chat:vip' }, SECRET);
    await assert.rejects(
      () => verifySubscribeToken(wrongUser, SECRET, NOW, expect),
      (e: unknown) => e instanceof TokenMismatchError && e.reason === 'user mismatch',
    );
    const anonymous = signToken({ channel: 'chat:vip' }, SECRET);
    await assert.rejects(() => verifySubscribeToken(anonymous, SECRET, NOW, expect), TokenMismatchError);
    assert.equal((await verifySubscribeToken(anonymous, SECRET, NOW, { ...expect, user: '' })).user, '');
    const wrongClient = signToken({ sub: '42', channel: 'chat:vip', client: 'c-2' }, SECRET);
    await assert.rejects(
      () => verifySubscribeToken(wrongClient, SECRET, NOW, expect),
      (e: unknown) => e instanceof TokenMismatchError && e.reason === 'client mismatch',
    );
    assert.equal((await verifySubscribeToken(wrongClient, SECRET, NOW)).client, 'c-2', 'without expectations the caller compares');
  });

  void it('expired subscription tokens throw TokenExpiredError; a bad signature is invalid', async () => {
    await assert.rejects(
      () => verifySubscribeToken(signToken({ sub: '42', channel: 'chat:vip', exp: NOW_S - 5 }, SECRET), SECRET, NOW, expect),
      TokenExpiredError,
    );
    assert.equal(
      await invalidReason(() => verifySubscribeToken(signToken({ sub: '42', channel: 'chat:vip' }, 'x'), SECRET, NOW, expect)),
      'bad signature',
    );
  });

  void it('a connection token is not a subscription token and vice versa', async () => {
    assert.equal(
      await invalidReason(() => verifySubscribeToken(signToken({ sub: '42' }, SECRET), SECRET, NOW, expect)),
      'missing channel claim',
    );
    assert.equal(
      await invalidReason(() => verifyConnectToken(signToken({ sub: '42', channel: 'chat:vip' }, SECRET), SECRET, NOW)),
      'channel claim in a connection token',
    );
  });
});
