import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { AdminSessions, LoginLimiter, SESSION_COOKIE } from '../../src/web-ui/index.js';

function withCookie(cookie: string): IncomingMessage {
  return { headers: { cookie } } as IncomingMessage;
}

void describe('LoginLimiter', () => {
  void it('refuses a client after maxFailures within the window, until the window ends', () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.retryAfterSeconds('a'), 0);
      limiter.recordFailure('a');
    }
    assert.equal(limiter.retryAfterSeconds('a'), 60);
    assert.equal(limiter.retryAfterSeconds('b'), 0, 'other clients are not affected');
    now += 59_500;
    assert.equal(limiter.retryAfterSeconds('a'), 1);
    now += 500;
    assert.equal(limiter.retryAfterSeconds('a'), 0);
  });

  void it('a success clears the failures; memory stays bounded by maxClients', () => {
    const limiter = new LoginLimiter({ maxFailures: 2, maxClients: 2 });
    limiter.recordFailure('a');
    limiter.recordSuccess('a');
    limiter.recordFailure('a');
    assert.equal(limiter.retryAfterSeconds('a'), 0);
    limiter.recordFailure('b');
    limiter.recordFailure('b');
    limiter.recordFailure('c');
    limiter.recordFailure('c');
    assert.equal(limiter.retryAfterSeconds('a'), 0, 'the oldest client was forgotten');
    assert.ok(limiter.retryAfterSeconds('b') > 0);
    assert.ok(limiter.retryAfterSeconds('c') > 0);
  });
});

void describe('AdminSessions', () => {
  void it('checks the password and accepts only cookies it signed', async () => {
    const sessions = new AdminSessions({ password: 'pw', secret: 'a-secret-of-16-chars' });
    assert.equal(sessions.passwordMatches('pw'), true);
    assert.equal(sessions.passwordMatches('pw '), false);
    const cookie = sessions.issueCookie().split(';')[0]!;
    assert.ok(cookie.startsWith(`${SESSION_COOKIE}=`));
    assert.equal(await sessions.authenticated(withCookie(`other=1; ${cookie}`)), true);
    assert.equal(await sessions.authenticated(withCookie(`${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`)), false);
    const other = new AdminSessions({ password: 'pw', secret: 'another-secret-16chars' });
    assert.equal(await other.authenticated(withCookie(cookie)), false, 'another key');
    assert.equal(
      await new AdminSessions({ password: 'pw', secret: null }).authenticated(withCookie(cookie)),
      false,
      'random key per start',
    );
    assert.equal(await sessions.authenticated(withCookie('')), false);
  });

  void it('an expired session is refused', async () => {
    const sessions = new AdminSessions({ password: 'pw', secret: 'a-secret-of-16-chars', ttlMs: 0 });
    const cookie = sessions.issueCookie().split(';')[0]!;
    assert.equal(await sessions.authenticated(withCookie(cookie)), false);
  });
});
