// The connection clocks: ttl rounding and the expiry timer shared by connections and subscriptions.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PingWheel, type WheelEntry } from '../../src/gateway/ping-wheel.js';
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

  /** A wheel on a clock the test moves; it walks every 5 ms of real time. */
  function manualWheel(): { wheel: PingWheel; advance: (ms: number) => Promise<void> } {
    let now = 1_000_000;
    const wheel = new PingWheel(() => now, 5);
    return {
      wheel,
      advance: async (ms) => {
        now += ms;
        await new Promise((r) => setTimeout(r, 20));
      },
    };
  }

  void it('PingWheel: ticks entries once their slot has come, in slot order, never early; cancel removes; empty wheel stops', async () => {
    const { wheel, advance } = manualWheel();
    const ticks: string[] = [];
    const entry = (name: string): WheelEntry => ({ wheelSlot: -1, onWheelTick: () => void ticks.push(name) });
    const [a, b, c, late] = [entry('a'), entry('b'), entry('c'), entry('late')];
    const t0 = wheel.now();
    wheel.schedule(b, t0 + 30);
    wheel.schedule(a, t0 + 10);
    wheel.schedule(c, t0 + 30);
    wheel.schedule(late, t0 + 1000);
    wheel.schedule(late, t0 + 2000);
    assert.equal(wheel.pending, 4, 'rescheduling moves an entry, it does not add one');
    wheel.cancel(c);
    await advance(9);
    assert.deepEqual(ticks, [], 'nothing is due yet');
    await advance(25);
    assert.deepEqual(ticks, ['a', 'b']);
    await advance(1500);
    assert.deepEqual(ticks, ['a', 'b'], 'the moved entry is not ticked at its old time');
    await advance(600);
    assert.deepEqual(ticks, ['a', 'b', 'late']);
    assert.equal(wheel.pending, 0);
    wheel.schedule(a, wheel.now() - 100);
    await advance(5);
    assert.deepEqual(ticks, ['a', 'b', 'late', 'a'], 'a time already past ticks in the next slot');
  });

  void it('SessionTimers on the wheel: pings after the first interval, a pong keeps it open, a missing pong closes 3012; unidirectional never waits', async () => {
    const { wheel, advance } = manualWheel();
    const events: string[] = [];
    const conn = (name: string) => ({
      sendPing: () => void events.push(`${name} ping`),
      close: (code: { code: number }) => void events.push(`${name} close ${code.code}`),
    });
    const base = { staleTimeoutMs: 60_000, pingIntervalMs: 1000, pongTimeoutMs: 300 };
    const answering = new SessionTimers({ ...base, unidirectional: false }, conn('answering'), wheel);
    const silent = new SessionTimers({ ...base, unidirectional: false }, conn('silent'), wheel);
    const uni = new SessionTimers({ ...base, unidirectional: true }, conn('uni'), wheel);
    for (const t of [answering, silent, uni]) t.startPinging();
    await advance(400);
    assert.equal(events.length, 0, 'the first ping comes after half an interval at the earliest');
    await advance(700);
    assert.deepEqual([...events].sort(), ['answering ping', 'silent ping', 'uni ping']);
    assert.equal(answering.pong(), true);
    assert.equal(answering.pong(), false, 'a second pong for one ping is refused');
    assert.equal(uni.pong(), false, 'a unidirectional connection has no ping to answer');
    await advance(350);
    assert.deepEqual(
      events.filter((e) => e.includes('close')),
      ['silent close 3012'],
    );
    silent.stop();
    await advance(1000);
    assert.deepEqual(
      events.filter((e) => e.startsWith('silent')),
      ['silent ping', 'silent close 3012'],
    );
    assert.equal(events.filter((e) => e === 'answering ping').length, 2);
    assert.equal(events.filter((e) => e === 'uni ping').length, 2);
    for (const t of [answering, uni]) t.stop();
    assert.equal(wheel.pending, 0, 'stop takes the connection off the wheel');
  });
});
