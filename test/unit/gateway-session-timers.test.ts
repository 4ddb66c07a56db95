// The connection clocks: ttl rounding and the expiry timer shared by connections and subscriptions.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { armExpiry, SessionTimers, ttlSeconds } from '../../src/gateway/session-timers.js';
import { eventually } from '../helpers/eventually.js';

void describe('session timers', () => {
  void it('ttlSeconds rounds down to whole seconds and never answers less than 1', () => {
    assert.equal(ttlSeconds(10_999, 0), 10);
    assert.equal(ttlSeconds(1_000, 0), 1);
    assert.equal(ttlSeconds(500, 0), 1);
    assert.equal(ttlSeconds(-5_000, 0), 1);
  });

  void it('armExpiry: nothing for expiry 0; expired after expiry plus grace; rearm when the expiry moved; refresh instead when given', async () => {
    assert.equal(
      armExpiry({ expireAtMs: () => 0, graceMs: 0, expired: () => assert.fail('no expiry'), rearm: () => assert.fail('no rearm') }),
      null,
    );
    const events: string[] = [];
    const at = Date.now() + 20;
    armExpiry({ expireAtMs: () => at, graceMs: 10, expired: () => events.push('expired'), rearm: () => events.push('rearm') });
    let moved = Date.now() + 10;
    armExpiry({ expireAtMs: () => moved, graceMs: 0, expired: () => events.push('expired late'), rearm: () => events.push('moved') });
    moved += 60_000;
    armExpiry({
      expireAtMs: () => Date.now() + 5,
      graceMs: 60_000,
      refresh: () => events.push('refresh'),
      expired: () => events.push('x'),
      rearm: () => events.push('y'),
    });
    await eventually(() => events.length >= 3, { what: 'three expiry outcomes' });
    assert.deepEqual([...events].sort(), ['expired', 'moved', 'refresh']);
  });

  void it('SessionTimers: the stale timer closes an unconnected session; stop() leaves nothing to fire', async () => {
    const closed: string[] = [];
    const options = { pingIntervalMs: 1000, pongTimeoutMs: 1000, unidirectional: false };
    const conn = (name: string) => ({
      sendPing: () => undefined,
      close: (code: { code: number }) => {
        closed.push(`${name} ${code.code}`);
      },
    });
    const stopped = new SessionTimers({ ...options, staleTimeoutMs: 5 }, conn('stopped'));
    stopped.stop();
    const running = new SessionTimers({ ...options, staleTimeoutMs: 25 }, conn('running'));
    await eventually(() => closed.length > 0, { what: 'the stale close' });
    assert.deepEqual(closed, ['running 3502'], 'only the running one closes, with 3502 stale');
    running.stop();
    assert.equal(stopped.pong(), false, 'a pong without a ping is refused');
  });
});
