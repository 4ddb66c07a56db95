// One contract suite for the stream queue, run against MemoryStreamQueue and RedisStreamQueue (real redis-server).
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { useRedisServer } from '../helpers/redis-server.js';
import { MemoryStreamQueue, RedisStreamQueue, type StreamMessage, type StreamQueue } from '../../src/queue/index.js';
import { PipelineKeys } from '../../src/redis/index.js';

const fixture = useRedisServer();

function msg(channel: string, n: number, extra: Partial<StreamMessage> = {}): StreamMessage {
  return {
    id: randomUUID(),
    kind: 'publish',
    channel,
    data: JSON.stringify({ n }),
    user: 'u1',
    client: 'c1',
    node: 'g1',
    ts: Date.now(),
    ...extra,
  };
}

const factories: [string, () => StreamQueue][] = [
  ['memory', () => new MemoryStreamQueue()],
  ['redis', () => new RedisStreamQueue({ redis: fixture.redis, keys: new PipelineKeys({ prefix: `t${randomUUID().slice(0, 8)}` }) })],
];

for (const [name, make] of factories) {
  void describe(`StreamQueue contract: ${name}`, () => {
    void it('round-trips every schema field and delivers new entries once, in order', async () => {
      const q = make();
      await q.ensureGroup('w1');
      const m1 = msg('chat', 1, { connInfo: '{"name":"Ann"}' });
      const m2 = msg('user:7', 2, { kind: 'rpc', method: 'getTime', replyTo: 'node-1' });
      const ids = [await q.appendMessage('w1', m1), await q.appendMessage('w1', m2)];
      const got = await q.readNew('w1', 'w1', 10, 0);
      assert.deepEqual(
        got.map((e) => e.entryId),
        ids,
      );
      assert.deepEqual(
        got.map((e) => e.message),
        [m1, m2],
      );
      assert.deepEqual(
        got.map((e) => e.deliveries),
        [1, 1],
      );
      assert.deepEqual(await q.readNew('w1', 'w1', 10, 0), []);
      assert.deepEqual(await q.streamInfo('w1'), { length: 2, lag: 0, pending: 2 });
      await q.close();
    });

    void it('fences reads and claims on the stream lock: a consumer whose lock went to another takes nothing', async () => {
      const q = make();
      await q.ensureGroup('w1');
      assert.equal(await q.claimStream('w1', 'old', 60_000), true);
      const a = await q.appendMessage('w1', msg('chat', 1));
      assert.deepEqual(
        (await q.readNew('w1', 'w1', 10, 0, 'old')).map((e) => e.entryId),
        [a],
      );
      // The old holder's lock expires (a Redis outage, a pause) and another worker takes the stream.
      await q.releaseStream('w1', 'old');
      assert.equal(await q.claimStream('w1', 'new', 60_000), true);
      const b = await q.appendMessage('w1', msg('chat', 2));
      await assert.rejects(q.readNew('w1', 'w1', 10, 0, 'old'), { name: 'StreamLockLostError' });
      await assert.rejects(q.readNew('w1', 'w1', 10, 50, 'old'), { name: 'StreamLockLostError' });
      await assert.rejects(q.claimPending('w1', 'w1', 'old'), { name: 'StreamLockLostError' });
      assert.equal(await q.claimPending('w1', 'w2', 'new'), 1, 'the new holder gets what the old one had read');
      assert.deepEqual(
        (await q.readPending('w1', 'w2', '0', 10)).map((e) => e.entryId),
        [a],
      );
      assert.deepEqual(
        (await q.readNew('w1', 'w2', 10, 0, 'new')).map((e) => e.entryId),
        [b],
        'and what it had not',
      );
      // A fenced blocking read wakes for an entry appended while it waits.
      const reading = q.readNew('w1', 'w2', 10, 5000, 'new');
      await new Promise((r) => setTimeout(r, 50));
      const c = await q.appendMessage('w1', msg('chat', 3));
      assert.deepEqual(
        (await reading).map((e) => e.entryId),
        [c],
      );
      assert.deepEqual(await q.readNew('w1', 'w2', 10, 100, 'new'), [], 'nothing new: waits, then returns empty');
      await q.stopReading('w1');
      await q.close();
    });

    void it('says an entry is handled only once it was delivered and acknowledged, and for a stream that is gone', async () => {
      const q = make();
      await q.ensureGroup('w1');
      const id = await q.appendMessage('w1', msg('chat', 1));
      assert.equal(await q.isHandled('w1', id), false, 'not yet delivered');
      await q.readNew('w1', 'w1', 10, 0);
      assert.equal(await q.isHandled('w1', id), false, 'delivered, pending');
      await q.ackMessages('w1', [id]);
      assert.equal(await q.isHandled('w1', id), true);
      assert.equal(await q.isHandled('nobody', '1-0'), true);
      await q.close();
    });

    void it('says an entry of a drained, dropped and re-created stream is handled (the hand-off fence must not wait for it)', async () => {
      const q = make();
      await q.ensureGroup('w1');
      const id = await q.appendMessage('w1', msg('chat', 1));
      await q.readNew('w1', 'w1', 10, 0);
      await q.ackMessages('w1', [id]);
      assert.equal(await q.dropDrainedStream('w1'), true);
      await q.ensureGroup('w1');
      assert.equal(await q.isHandled('w1', id), true);
      const next = await q.appendMessage('w1', msg('chat', 2));
      assert.equal(await q.isHandled('w1', next), false, 'a new entry of the re-created stream is not');
      await q.close();
    });

    void it('blocks for new entries up to blockMs', async () => {
      const q = make();
      await q.ensureGroup('w1');
      const t0 = Date.now();
      assert.deepEqual(await q.readNew('w1', 'w1', 10, 100), []);
      assert.ok(Date.now() - t0 >= 90);
      const reading = q.readNew('w1', 'w1', 10, 5000);
      setTimeout(() => void q.appendMessage('w1', msg('chat', 1)), 50);
      assert.equal((await reading).length, 1);
      await q.stopReading('w1');
      await q.close();
    });

    void it('keeps unacknowledged entries pending, redelivers them with a growing delivery count, and claims them for another consumer', async () => {
      const q = make();
      await q.ensureGroup('w1');
      for (let i = 0; i < 5; i++) await q.appendMessage('w1', msg(`c${i % 2}`, i));
      const first = await q.readNew('w1', 'w1', 10, 0);
      await q.ackMessages('w1', [first[0]!.entryId, first[2]!.entryId]);
      const pending = await q.readPending('w1', 'w1', '0', 10);
      assert.deepEqual(
        pending.map((e) => e.entryId),
        [first[1]!.entryId, first[3]!.entryId, first[4]!.entryId],
      );
      assert.deepEqual(
        pending.map((e) => e.deliveries),
        [2, 2, 2],
      );
      const page = await q.readPending('w1', 'w1', first[3]!.entryId, 10);
      assert.deepEqual(
        page.map((e) => e.entryId),
        [first[4]!.entryId],
      );
      assert.deepEqual(await q.readPending('w1', 'w2', '0', 10), []);
      assert.equal(await q.claimPending('w1', 'w2'), 3);
      const claimed = await q.readPending('w1', 'w2', '0', 10);
      assert.deepEqual(
        claimed.map((e) => e.message?.data),
        ['{"n":1}', '{"n":3}', '{"n":4}'],
      );
      assert.deepEqual(await q.readPending('w1', 'w1', '0', 10), []);
      await q.close();
    });

    void it('dead-letters an entry with its error and attempts, acknowledging it atomically', async () => {
      const q = make();
      await q.ensureGroup('w1');
      const m = msg('chat', 1);
      await q.appendMessage('w1', m);
      const [e] = await q.readNew('w1', 'w1', 1, 0);
      await q.moveToDeadLetter('w1', e!.entryId, 'Error: boom', 3);
      const dead = await q.readDeadLetters('w1', 10);
      assert.equal(dead.length, 1);
      assert.deepEqual(dead[0]!.message, m);
      assert.equal(dead[0]!.error, 'Error: boom');
      assert.equal(dead[0]!.attempts, 3);
      assert.equal(dead[0]!.sourceEntryId, e!.entryId);
      assert.equal((await q.streamInfo('w1')).pending, 0);
      await q.close();
    });

    void it('lists dead letters in pages, counts, replays them (same message id, new entry) and purges them', async () => {
      const q = make();
      await q.ensureGroup('w1');
      const sent = [msg('chat', 0), msg('chat', 1), msg('chat', 2), msg('chat:x', 3)];
      for (const m of sent) await q.appendMessage('w1', m);
      const read = await q.readNew('w1', 'w1', 10, 0);
      for (const e of read) await q.moveToDeadLetter('w1', e.entryId, `Error: ${e.message?.data ?? ''}`, 5);
      assert.equal(await q.countDeadLetters('w1'), 4);
      assert.equal(await q.countDeadLetters('nobody'), 0);
      const first = await q.readDeadLetters('w1', 2);
      const rest = await q.readDeadLetters('w1', 10, first[1]!.entryId);
      assert.deepEqual(
        [...first, ...rest].map((d) => d.message?.id),
        sent.map((m) => m.id),
      );

      assert.equal(await q.replayDeadLetters('w1', [first[0]!.entryId, 'no-such-id']), 1);
      assert.equal(await q.countDeadLetters('w1'), 3);
      const [again] = await q.readNew('w1', 'w1', 10, 0);
      assert.deepEqual(again?.message, sent[0]);
      assert.notEqual(again?.entryId, read[0]!.entryId);
      assert.equal(again?.deliveries, 1);

      assert.equal(await q.replayDeadLetters('w1', [rest[1]!.entryId], 'w2'), 1);
      await q.ensureGroup('w2');
      assert.deepEqual(
        (await q.readNew('w2', 'w2', 10, 0)).map((e) => e.message?.id),
        [sent[3]!.id],
      );

      assert.equal(await q.purgeDeadLetters('w1', [first[1]!.entryId]), 1);
      assert.deepEqual(
        (await q.readDeadLetters('w1', 10)).map((d) => d.message?.id),
        [sent[2]!.id],
      );
      assert.equal(await q.replayDeadLetters('w1', 'all'), 1);
      assert.equal(await q.countDeadLetters('w1'), 0);
      await q.moveToDeadLetter('w1', again.entryId, 'Error: again', 1);
      assert.equal(await q.purgeDeadLetters('w1', 'all'), 1);
      assert.equal(await q.countDeadLetters('w1'), 0);
      await q.close();
    });

    void it('trims acknowledged entries only: never pending or undelivered ones', async () => {
      const q = make();
      await q.ensureGroup('w1');
      for (let i = 0; i < 300; i++) await q.appendMessage('w1', msg('chat', i));
      const read = await q.readNew('w1', 'w1', 250, 0);
      // Ack all but #120; 250..299 are not even delivered.
      await q.ackMessages(
        'w1',
        read.filter((_, i) => i !== 120).map((e) => e.entryId),
      );
      await q.trimAcknowledged('w1');
      const info = await q.streamInfo('w1');
      assert.ok(info.length <= 300 && info.length >= 180, `length ${info.length}`);
      assert.equal(info.pending, 1);
      assert.equal(info.lag, 50);
      const [stillPending] = await q.readPending('w1', 'w1', '0', 10);
      assert.equal(stillPending?.message?.data, '{"n":120}');
      assert.equal((await q.readNew('w1', 'w1', 100, 0)).length, 50);
      await q.close();
    });

    void it('trims everything acknowledged once nothing is pending', async () => {
      const q = make();
      await q.ensureGroup('w1');
      for (let i = 0; i < 500; i++) await q.appendMessage('w1', msg('chat', i));
      const read = await q.readNew('w1', 'w1', 500, 0);
      await q.ackMessages(
        'w1',
        read.map((e) => e.entryId),
      );
      await q.trimAcknowledged('w1');
      // Approximate trimming (Redis) keeps at most one partial radix node.
      assert.ok((await q.streamInfo('w1')).length <= 101);
      await q.close();
    });

    void it('gives a stream lock to one holder at a time, renews it for the holder, and frees it on release or expiry', async () => {
      const q = make();
      assert.equal(await q.claimStream('w1', 'a', 200), true);
      assert.equal(await q.claimStream('w1', 'b', 200), false);
      assert.equal(await q.claimStream('w1', 'a', 200), true);
      await q.releaseStream('w1', 'b');
      assert.equal(await q.claimStream('w1', 'b', 200), false);
      await q.releaseStream('w1', 'a');
      assert.equal(await q.claimStream('w1', 'b', 100), true);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(await q.claimStream('w1', 'a', 100), true);
      await q.close();
    });

    void it('drops a stream only once everything in it was delivered and acknowledged', async () => {
      const q = make();
      await q.ensureGroup('w1');
      await q.appendMessage('w1', msg('chat', 1));
      assert.equal(await q.dropDrainedStream('w1'), false);
      const [e] = await q.readNew('w1', 'w1', 10, 0);
      assert.equal(await q.dropDrainedStream('w1'), false);
      await q.ackMessages('w1', [e!.entryId]);
      assert.equal(await q.dropDrainedStream('w1'), true);
      assert.deepEqual(await q.streamInfo('w1'), { length: 0, lag: 0, pending: 0 });
      assert.equal(await q.dropDrainedStream('never-existed'), true);
      await q.close();
    });

    void it('delivers rpc replies to the subscribed node only', async () => {
      const q = make();
      const got: string[] = [];
      const off = await q.subscribeReplies('node-a', (r) => got.push(`${r.id}:${r.data ?? ''}`));
      const offB = await q.subscribeReplies('node-b', (r) => got.push(`b-${r.id}`));
      await q.sendReply('node-a', { id: 'x', data: '{"ok":true}' });
      for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(got, ['x:{"ok":true}']);
      await off();
      await offB();
      await q.close();
    });

    void it('delivers every reply sent in one tick, in the order sent, and a reply of a later tick after them', async () => {
      const q = make();
      const got: string[] = [];
      const off = await q.subscribeReplies('node-a', (r) => got.push(r.error === undefined ? r.id : `${r.id}!${r.error.code}`));
      const sent = Array.from({ length: 20 }, (_, i) =>
        q.sendReply('node-a', i === 7 ? { id: 'm7', error: { code: 403, message: 'no' } } : { id: `m${i}` }),
      );
      await Promise.all(sent);
      await q.sendReply('node-a', { id: 'later' });
      for (let i = 0; i < 100 && got.length < 21; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(got, [...Array.from({ length: 20 }, (_, i) => (i === 7 ? 'm7!403' : `m${i}`)), 'later']);
      await off();
      await q.close();
    });
  });
}

void describe('RedisStreamQueue hand-off fence', () => {
  void it("marks a channel's message with the entry it follows when the channel moved to another stream", async () => {
    const q = new RedisStreamQueue({ redis: fixture.redis, keys: new PipelineKeys({ prefix: `t${randomUUID().slice(0, 8)}` }) });
    await q.ensureGroup('w1');
    await q.ensureGroup('w2');
    const first = await q.appendMessage('w1', msg('chat:a', 1));
    await q.appendMessage('w1', msg('chat:a', 2));
    const last = await q.appendMessage('w1', msg('chat:a', 3));
    await q.appendMessage('w2', msg('chat:a', 4));
    await q.appendMessage('w2', msg('chat:a', 5));
    await q.appendMessage('w2', msg('chat:b', 1));
    const onW1 = await q.readNew('w1', 'w1', 10, 0);
    const onW2 = await q.readNew('w2', 'w2', 10, 0);
    assert.ok(first < last);
    assert.deepEqual(
      onW1.map((e) => e.message?.after),
      [undefined, undefined, undefined],
      'same stream: no fence',
    );
    assert.deepEqual(
      onW2.map((e) => e.message?.after),
      [{ worker: 'w1', entryId: last }, undefined, undefined],
      'the first message after the move waits for the last one on the old stream; later ones follow it on the same stream',
    );
    await q.close();
  });

  void it("fences only the first message of a moved channel in one batch, and records the batch's last append", async () => {
    const q = new RedisStreamQueue({ redis: fixture.redis, keys: new PipelineKeys({ prefix: `t${randomUUID().slice(0, 8)}` }) });
    await q.ensureGroup('w1');
    await q.ensureGroup('w2');
    const last = await q.appendMessage('w1', msg('chat:a', 1));
    // Issued together: one append call for w2.
    const ids = await Promise.all([
      q.appendMessage('w2', msg('chat:a', 2)),
      q.appendMessage('w2', msg('chat:b', 1)),
      q.appendMessage('w2', msg('chat:a', 3)),
    ]);
    assert.deepEqual(
      (await q.readNew('w2', 'w2', 10, 0)).map((e) => e.message?.after),
      [{ worker: 'w1', entryId: last }, undefined, undefined],
    );
    await q.appendMessage('w1', msg('chat:a', 4));
    assert.deepEqual(
      (await q.readNew('w1', 'w1', 10, 0)).map((e) => e.message?.after),
      [undefined, { worker: 'w2', entryId: ids[2] }],
      "moved back: it follows the batch's last message of the channel",
    );
    await q.close();
  });

  void it('adds no fence with Cluster keys (hash tags)', async () => {
    const q = new RedisStreamQueue({
      redis: fixture.redis,
      keys: new PipelineKeys({ prefix: `t${randomUUID().slice(0, 8)}`, hashTags: true }),
    });
    await q.ensureGroup('w1');
    await q.ensureGroup('w2');
    await q.appendMessage('w1', msg('chat:a', 1));
    await q.appendMessage('w2', msg('chat:a', 2));
    assert.deepEqual(
      (await q.readNew('w2', 'w2', 10, 0)).map((e) => e.message?.after),
      [undefined],
    );
    await q.close();
  });
});

void describe('RedisStreamQueue reply batches', () => {
  void it('publishes the replies of one tick to a node as one message, and reads batches and single replies alike', async () => {
    const keys = new PipelineKeys({ prefix: `t${randomUUID().slice(0, 8)}` });
    const q = new RedisStreamQueue({ redis: fixture.redis, keys });
    const raw = fixture.redis.duplicate();
    const messages: string[] = [];
    raw.on('message', (_c: string, text: string) => messages.push(text));
    await raw.subscribe(keys.rpcReplies('node-a'));
    const got: string[] = [];
    const off = await q.subscribeReplies('node-a', (r) => got.push(r.id));
    await Promise.all(['a', 'b', 'c'].map((id) => q.sendReply('node-a', { id })));
    await q.sendReply('node-a', { id: 'd' });
    // A worker in another language may publish single replies or arrays; junk inside an array is dropped.
    await fixture.redis.publish(keys.rpcReplies('node-a'), JSON.stringify([{ id: 'e' }, { nope: 1 }, { id: 'f' }]));
    for (let i = 0; i < 100 && got.length < 6; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got, ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.deepEqual(messages.slice(0, 2), ['[{"id":"a"},{"id":"b"},{"id":"c"}]', '{"id":"d"}']);
    await off();
    raw.disconnect();
    await q.close();
  });
});
