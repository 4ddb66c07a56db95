// The per-connection and per-gateway bounds added for hostile input: the inbox byte budget
// (pause when full, resume at half), the channel-creation token bucket and the cleanup lane.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/log/index.js';
import { ChannelCreationBudget, RECENT_CHANNELS } from '../../src/gateway/channel-creation-budget.js';
import { CleanupLane } from '../../src/gateway/cleanup-lane.js';
import { InboxBudget } from '../../src/gateway/inbox-budget.js';
import { ReplyError } from '../../src/protocol/index.js';

void describe('InboxBudget', () => {
  void it('pauses once the bound is reached and resumes when half of it is free', () => {
    const calls: string[] = [];
    const b = new InboxBudget(100, { pauseReading: () => calls.push('pause'), resumeReading: () => calls.push('resume') });
    b.take(60);
    assert.deepEqual(calls, []);
    b.take(60);
    assert.deepEqual(calls, ['pause']);
    assert.equal(b.full, true);
    b.take(60);
    assert.deepEqual(calls, ['pause'], 'paused once');
    b.release(60);
    b.release(60);
    assert.deepEqual(calls, ['pause'], '60 held > half of 100');
    b.release(20);
    assert.deepEqual(calls, ['pause', 'resume']);
    assert.equal(b.bytes, 40);
    b.take(100);
    b.clear();
    assert.deepEqual(calls, ['pause', 'resume', 'pause', 'resume'], 'a closed connection reads again, to finish its close handshake');
    assert.equal(b.bytes, 0);
  });
});

void describe('ChannelCreationBudget', () => {
  void it('admits `rate` new channels at once, then 111; recently used channels are free', () => {
    const b = new ChannelCreationBudget(3);
    for (const ch of ['a', 'b', 'c']) b.admit(ch);
    assert.throws(
      () => b.admit('d'),
      (err: unknown) => err instanceof ReplyError && err.code === 111 && err.temporary,
    );
    for (let i = 0; i < 100; i++) b.admit(['a', 'b', 'c'][i % 3]!);
  });

  void it(`remembers only the last ${RECENT_CHANNELS} channels`, () => {
    const b = new ChannelCreationBudget(RECENT_CHANNELS + 1);
    for (let i = 0; i <= RECENT_CHANNELS; i++) b.admit(`c${i}`);
    b.admit(`c${RECENT_CHANNELS}`);
    b.admit('c1');
    assert.throws(
      () => b.admit('c0'),
      (err: unknown) => err instanceof ReplyError && err.code === 111,
      'c0 was forgotten and the bucket is empty',
    );
  });

  void it('moves a channel used again to the most recent place, so the least recently used one is forgotten first', () => {
    const b = new ChannelCreationBudget(RECENT_CHANNELS + 1);
    for (let i = 0; i < RECENT_CHANNELS; i++) b.admit(`c${i}`);
    b.admit('c0');
    b.admit('new');
    b.admit('c0');
    assert.throws(
      () => b.admit('c1'),
      (err: unknown) => err instanceof ReplyError && err.code === 111,
      'c1 was the least recently used and is forgotten; the bucket is empty',
    );
  });
});

void describe('CleanupLane', () => {
  void it('runs at most `concurrency` tasks at once and all of them eventually; failures do not stop it', async () => {
    const lane = new CleanupLane(createLogger({ level: 'silent', name: 'test' }), 4);
    let running = 0;
    let peak = 0;
    let done = 0;
    const release: (() => void)[] = [];
    for (let i = 0; i < 50; i++) {
      lane.run('task', 'chat:x', async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => release.push(r));
        running--;
        done++;
        if (i % 7 === 0) throw new Error('redis down');
      });
    }
    assert.equal(lane.pending, 50);
    while (done < 50) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(peak, 4);
    await new Promise((r) => setImmediate(r));
    assert.equal(lane.pending, 0);
  });
});
