// The outgoing writer: batching per connection, one flush callback per turn for all connections,
// the slow-reader bound.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { OutgoingWriter } from '../../src/gateway/outgoing-writer.js';
import type { Transport } from '../../src/gateway/transport/index.js';

/** A transport that records the batches it is handed (the writer's seam; no socket involved). */
function recordingTransport(): Transport & { writes: string[][]; closedWith: number[] } {
  const writes: string[][] = [];
  const closedWith: number[] = [];
  return {
    name: 'websocket',
    protocol: 'json',
    emulation: false,
    unidirectional: false,
    bufferedAmount: 0,
    writable: true,
    onGone: () => undefined,
    attach: () => undefined,
    write(messages) {
      writes.push(messages.map((m) => m.toString()));
      return messages.reduce((n, m) => n + m.length, 0);
    },
    close: (d) => void closedWith.push(d.code),
    terminate: () => undefined,
    pauseReading: () => undefined,
    resumeReading: () => undefined,
    writes,
    closedWith,
  };
}

function writerOn(transport: Transport, frames: Array<[number, number]> = [], maxQueueBytes = 1 << 20) {
  let overflowed = 0;
  const writer = new OutgoingWriter(transport, maxQueueBytes, {
    writerOverflowed: () => {
      overflowed++;
    },
    frameWritten: (messages, bytes) => void frames.push([messages, bytes]),
  });
  return { writer, overflowed: () => overflowed };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

void describe('outgoing writer', () => {
  void it('sends what one connection queued within a turn as one write, in order', async () => {
    const transport = recordingTransport();
    const frames: Array<[number, number]> = [];
    const { writer } = writerOn(transport, frames);
    for (const m of ['a', 'bb', 'ccc']) assert.equal(writer.enqueue(Buffer.from(m)), true);
    assert.deepEqual(transport.writes, [], 'nothing is written before the turn ends');
    await turn();
    assert.deepEqual(transport.writes, [['a', 'bb', 'ccc']]);
    assert.deepEqual(frames, [[3, 6]]);
  });

  void it('flushes every connection queued in a turn from one callback, not one callback per connection', async () => {
    const first = recordingTransport();
    const second = recordingTransport();
    const a = writerOn(first).writer;
    const b = writerOn(second).writer;
    a.enqueue(Buffer.from('to a'));
    // Registered after a's flush was scheduled and before b queued: with a callback per
    // connection, b would be flushed after this probe.
    const seenByProbe = new Promise<number>((resolve) => setImmediate(() => resolve(second.writes.length)));
    b.enqueue(Buffer.from('to b'));
    assert.equal(await seenByProbe, 1);
    assert.deepEqual(first.writes, [['to a']]);
    assert.deepEqual(second.writes, [['to b']]);
  });

  void it('cuts a long queue into frames of at most 64 messages and 64 KiB; a larger message goes alone', async () => {
    const transport = recordingTransport();
    const frames: Array<[number, number]> = [];
    const { writer } = writerOn(transport, frames);
    for (let i = 0; i < 100; i++) writer.enqueue(Buffer.from(String(i)));
    writer.enqueue(Buffer.alloc(40 * 1024, 'x'));
    writer.enqueue(Buffer.alloc(40 * 1024, 'y'));
    writer.enqueue(Buffer.alloc(100 * 1024, 'z'));
    await turn();
    assert.deepEqual(
      frames.map(([messages]) => messages),
      [64, 37, 1, 1],
    );
    assert.deepEqual(
      transport.writes.flat().slice(0, 100),
      Array.from({ length: 100 }, (_, i) => String(i)),
    );
    assert.equal(frames[3]?.[1], 100 * 1024);
  });

  void it('closes the queue when a slow reader holds more than maxQueueBytes; nothing more is queued', async () => {
    const transport = recordingTransport();
    const { writer, overflowed } = writerOn(transport, [], 10);
    assert.equal(writer.enqueue(Buffer.alloc(6)), true);
    assert.equal(writer.enqueue(Buffer.alloc(6)), false);
    assert.equal(overflowed(), 1);
    assert.equal(writer.enqueue(Buffer.alloc(1)), false);
    await turn();
    assert.deepEqual(transport.writes, []);
  });

  void it('close flushes what is queued, then closes the transport with the code', async () => {
    const transport = recordingTransport();
    const { writer } = writerOn(transport);
    writer.enqueue(Buffer.from('last words'));
    writer.close(3001, 'shutdown', true);
    assert.deepEqual(transport.writes, [['last words']]);
    assert.deepEqual(transport.closedWith, [3001]);
    assert.equal(writer.enqueue(Buffer.from('after')), false);
    await turn();
    assert.equal(transport.writes.length, 1);
  });
});
