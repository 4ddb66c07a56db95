/**
 * One behavioural contract for Broker and PresenceManager implementations, run against the memory
 * and the Redis engine through a factory (as centrifuge's map_broker_shared_test.go does).
 */

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker, BrokerEventHandler, HistoryOptions, PresenceManager } from '../../src/engine/index.js';
import type { ChannelName, ClientInfo, Publication } from '../../src/protocol/index.js';

export interface EngineFactory {
  /** Brokers made by one factory share a backend, like gateways on one Redis. */
  sharedBackend: boolean;
  /** A new, not yet started broker. */
  newBroker(): Broker;
  newPresenceManager(): PresenceManager;
  /** Closes what the factory opened for the brokers and managers (called after they are closed). */
  cleanup(): Promise<void>;
}

export type EngineEvent =
  | { type: 'pub'; channel: ChannelName; pub: Publication; epoch: string }
  | { type: 'join' | 'leave'; channel: ChannelName; info: ClientInfo };

/** A handler that records everything delivered to it. */
export class RecordingHandler implements BrokerEventHandler {
  readonly events: EngineEvent[] = [];
  restored = 0;

  handlePublication(channel: ChannelName, pub: Publication, epoch: string): void {
    this.events.push({ type: 'pub', channel, pub, epoch });
  }

  handleJoin(channel: ChannelName, info: ClientInfo): void {
    this.events.push({ type: 'join', channel, info });
  }

  handleLeave(channel: ChannelName, info: ClientInfo): void {
    this.events.push({ type: 'leave', channel, info });
  }

  handleDeliveryRestored(): void {
    this.restored += 1;
  }

  pubs(channel: ChannelName): Publication[] {
    return this.events.flatMap((e) => (e.type === 'pub' && e.channel === channel ? [e.pub] : []));
  }

  /** Waits until `done()` holds; fails after `timeoutMs`. */
  async until(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await sleep(5);
    }
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

let seq = 0;
/** A channel name unique to this process and run, with characters that must not break key names. */
export function uniqueChannel(label: string): ChannelName {
  seq += 1;
  return `ns:${label}{${seq}}%${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

const HISTORY: HistoryOptions = { size: 100, ttlMs: 60_000 };

export function engineContract(makeFactory: () => EngineFactory): void {
  let factory: EngineFactory | undefined;
  const fx = (): EngineFactory => (factory ??= makeFactory());
  let opened: Array<{ close(): Promise<void> }> = [];

  async function broker(handler: BrokerEventHandler = new RecordingHandler()): Promise<Broker> {
    const b = fx().newBroker();
    opened.push(b);
    await b.start(handler);
    return b;
  }

  function presenceManager(): PresenceManager {
    const p = fx().newPresenceManager();
    opened.push(p);
    return p;
  }

  afterEach(async () => {
    for (const o of opened) await o.close();
    opened = [];
    await factory?.cleanup();
    factory = undefined;
  });

  void describe('broker delivery', () => {
    void it('delivers publications only for subscribed channels, with data, info and tags', async () => {
      const h = new RecordingHandler();
      const b = await broker(h);
      const [subscribed, other] = [uniqueChannel('sub'), uniqueChannel('other')];
      await b.subscribe(subscribed);
      const info: ClientInfo = { user: 'u1', client: 'c1', conn_info: bytes('{"a":1}') };
      await b.publish(other, bytes('"no"'), {});
      const pos = await b.publish(subscribed, bytes('{"x":1}'), { info, tags: { k: 'v' } });
      assert.deepEqual(pos, { offset: 0, epoch: '' });
      const hist = await b.publish(subscribed, bytes('{"x":2}'), { history: HISTORY });
      await h.until(() => h.pubs(subscribed).length === 2, 'two publications');
      assert.equal(h.pubs(other).length, 0);
      const [first, second] = h.pubs(subscribed);
      assert.equal(text(first!.data), '{"x":1}');
      assert.equal(first!.offset, undefined);
      assert.equal(first!.info?.user, 'u1');
      assert.equal(first!.info?.client, 'c1');
      assert.equal(text(first!.info.conn_info!), '{"a":1}');
      assert.deepEqual(first!.tags, { k: 'v' });
      assert.equal(text(second!.data), '{"x":2}');
      assert.equal(second!.offset, 1);
      const epochs = h.events.flatMap((e) => (e.type === 'pub' ? [e.epoch] : []));
      assert.deepEqual(epochs, ['', hist.epoch]);
    });

    void it('stops delivering after unsubscribe', async () => {
      const h = new RecordingHandler();
      const b = await broker(h);
      const [gone, kept] = [uniqueChannel('gone'), uniqueChannel('kept')];
      await b.subscribe(gone);
      await b.subscribe(kept);
      await b.publish(gone, bytes('1'), {});
      await h.until(() => h.pubs(gone).length === 1, 'first publication');
      await b.unsubscribe(gone);
      await b.publish(gone, bytes('2'), {});
      await b.publish(kept, bytes('3'), {});
      await h.until(() => h.pubs(kept).length === 1, 'publication on the kept channel');
      assert.equal(h.pubs(gone).length, 1);
    });

    void it('delivers joins and leaves to subscribed channels only', async () => {
      const h = new RecordingHandler();
      const b = await broker(h);
      const [ch, other] = [uniqueChannel('jl'), uniqueChannel('jl-other')];
      await b.subscribe(ch);
      const info: ClientInfo = { user: 'u', client: 'c', chan_info: bytes('{}') };
      await b.publishJoin(other, info);
      await b.publishJoin(ch, info);
      await b.publishLeave(ch, info);
      await h.until(() => h.events.length === 2, 'join and leave');
      assert.deepEqual(
        h.events.map((e) => [e.type, e.channel]),
        [
          ['join', ch],
          ['leave', ch],
        ],
      );
      const join = h.events[0]!;
      assert.ok(join.type === 'join');
      assert.equal(join.info.user, 'u');
      assert.equal(text(join.info.chan_info!), '{}');
    });

    void it('assigns strictly increasing offsets without gaps under concurrent publishers', async () => {
      const h = new RecordingHandler();
      const receiver = await broker(h);
      const publishers = fx().sharedBackend ? [await broker(), await broker()] : [receiver, receiver];
      const ch = uniqueChannel('concurrent');
      await receiver.subscribe(ch);
      const perPublisher = 40;
      const positions = await Promise.all(
        publishers.flatMap((p, n) =>
          Array.from({ length: perPublisher }, (_, i) => p.publish(ch, bytes(`${n}:${i}`), { history: HISTORY })),
        ),
      );
      const total = perPublisher * publishers.length;
      assert.deepEqual(
        positions.map((p) => p.offset).sort((a, b) => a - b),
        Array.from({ length: total }, (_, i) => i + 1),
      );
      assert.equal(new Set(positions.map((p) => p.epoch)).size, 1);
      await h.until(() => h.pubs(ch).length === total, 'all publications');
      assert.deepEqual(
        h.pubs(ch).map((p) => p.offset),
        Array.from({ length: total }, (_, i) => i + 1),
      );
      const page = await receiver.history(ch, { limit: -1 }, HISTORY);
      assert.deepEqual(
        page.publications.map((p) => p.offset),
        Array.from({ length: total }, (_, i) => i + 1),
      );
      assert.deepEqual(page.position, { offset: total, epoch: positions[0]!.epoch });
    });
  });

  void describe('history', () => {
    void it('applies limit, since and reverse filters', async () => {
      const b = await broker();
      const ch = uniqueChannel('filters');
      for (let i = 1; i <= 10; i++) await b.publish(ch, bytes(String(i)), { history: HISTORY });
      const offsets = async (filter: Parameters<Broker['history']>[1]): Promise<number[]> =>
        (await b.history(ch, filter, HISTORY)).publications.map((p) => p.offset ?? -1);
      const top = await b.history(ch, { limit: 0 }, HISTORY);
      assert.equal(top.publications.length, 0);
      assert.equal(top.position.offset, 10);
      const epoch = top.position.epoch;
      assert.notEqual(epoch, '');
      assert.deepEqual(await offsets({ limit: -1 }), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual(await offsets({ limit: 3 }), [1, 2, 3]);
      assert.deepEqual(await offsets({ limit: -1, since: { offset: 7, epoch } }), [8, 9, 10]);
      assert.deepEqual(await offsets({ limit: 2, since: { offset: 7, epoch } }), [8, 9]);
      assert.deepEqual(await offsets({ limit: -1, since: { offset: 10, epoch } }), []);
      assert.deepEqual(await offsets({ limit: 0, since: { offset: 3, epoch } }), []);
      assert.deepEqual(await offsets({ limit: -1, reverse: true }), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      assert.deepEqual(await offsets({ limit: 3, reverse: true }), [10, 9, 8]);
      assert.deepEqual(await offsets({ limit: -1, reverse: true, since: { offset: 4, epoch } }), [3, 2, 1]);
      assert.deepEqual(await offsets({ limit: 2, reverse: true, since: { offset: 4, epoch } }), [3, 2]);
      assert.deepEqual(await offsets({ limit: -1, reverse: true, since: { offset: 1, epoch } }), []);
      const page = await b.history(ch, { limit: 1, since: { offset: 4, epoch } }, HISTORY);
      assert.equal(text(page.publications[0]!.data), '5');
    });

    void it('gives a never-published channel offset 0 and a stable epoch that its first publication keeps', async () => {
      const b = await broker();
      const ch = uniqueChannel('fresh');
      const first = await b.history(ch, { limit: -1 }, HISTORY);
      assert.equal(first.position.offset, 0);
      assert.notEqual(first.position.epoch, '');
      assert.deepEqual(first.publications, []);
      const again = await b.history(ch, { limit: 0 }, HISTORY);
      assert.deepEqual(again.position, first.position);
      if (fx().sharedBackend) {
        const other = await broker();
        assert.deepEqual((await other.history(ch, { limit: 0 }, HISTORY)).position, first.position);
      }
      assert.deepEqual(await b.publish(ch, bytes('1'), { history: HISTORY }), { offset: 1, epoch: first.position.epoch });
    });

    void it('keeps the same epoch across brokers sharing a backend', async (t) => {
      if (!fx().sharedBackend) return t.skip('brokers do not share a backend');
      const [a, b] = [await broker(), await broker()];
      const ch = uniqueChannel('epoch');
      const p1 = await a.publish(ch, bytes('1'), { history: HISTORY });
      const p2 = await b.publish(ch, bytes('2'), { history: HISTORY });
      assert.equal(p2.epoch, p1.epoch);
      assert.equal(p2.offset, 2);
      assert.deepEqual((await a.history(ch, { limit: 0 }, HISTORY)).position, p2);
    });

    void it('keeps offsets, order and ttls per channel for publications of several channels issued together', async () => {
      const b = await broker();
      const [x, y] = [uniqueChannel('together-x'), uniqueChannel('together-y')];
      const short: HistoryOptions = { size: 10, ttlMs: 300, metaTtlMs: 60_000 };
      await b.publish(x, bytes('x0'), { history: short });
      const positions = await Promise.all(
        ['x1', 'y1', 'x2', 'x3', 'y2'].map((t) => b.publish(t.startsWith('x') ? x : y, bytes(t), { history: short })),
      );
      assert.deepEqual(
        positions.map((p) => p.offset),
        [2, 1, 3, 4, 2],
      );
      const texts = async (ch: string): Promise<string[]> =>
        (await b.history(ch, { limit: -1 }, short)).publications.map((p) => text(p.data));
      assert.deepEqual(await texts(x), ['x0', 'x1', 'x2', 'x3']);
      assert.deepEqual(await texts(y), ['y1', 'y2']);
      await sleep(900);
      assert.deepEqual(await texts(x), [], 'the history ttl was set on the stream');
      assert.deepEqual((await b.history(y, { limit: 0 }, short)).position, positions[4], 'the meta outlives the history');
    });

    void it('trims history to its size', async () => {
      const b = await broker();
      const ch = uniqueChannel('size');
      const small: HistoryOptions = { size: 3, ttlMs: 60_000 };
      for (let i = 1; i <= 5; i++) await b.publish(ch, bytes(String(i)), { history: small });
      const page = await b.history(ch, { limit: -1 }, small);
      assert.deepEqual(
        page.publications.map((p) => p.offset),
        [3, 4, 5],
      );
      assert.deepEqual(
        page.publications.map((p) => text(p.data)),
        ['3', '4', '5'],
      );
      assert.equal(page.position.offset, 5);
    });

    void it('drops publications after the history ttl but keeps offset and epoch', async () => {
      const b = await broker();
      const ch = uniqueChannel('ttl');
      const short: HistoryOptions = { size: 10, ttlMs: 300, metaTtlMs: 60_000 };
      await b.publish(ch, bytes('1'), { history: short });
      const p2 = await b.publish(ch, bytes('2'), { history: short });
      await sleep(900);
      const page = await b.history(ch, { limit: -1 }, short);
      assert.deepEqual(page.publications, []);
      assert.deepEqual(page.position, p2);
      assert.deepEqual(await b.publish(ch, bytes('3'), { history: short }), { offset: 3, epoch: p2.epoch });
    });

    void it('starts a new epoch at offset 0 when the stream meta has expired', async () => {
      const b = await broker();
      const ch = uniqueChannel('meta');
      const short: HistoryOptions = { size: 10, ttlMs: 200, metaTtlMs: 300 };
      const before = await b.publish(ch, bytes('1'), { history: short });
      await sleep(900);
      const page = await b.history(ch, { limit: -1 }, short);
      assert.equal(page.position.offset, 0);
      assert.notEqual(page.position.epoch, before.epoch);
      assert.deepEqual(await b.publish(ch, bytes('2'), { history: short }), { offset: 1, epoch: page.position.epoch });
    });

    void it('removeHistory drops publications and keeps the position', async () => {
      const b = await broker();
      const ch = uniqueChannel('remove');
      await b.publish(ch, bytes('1'), { history: HISTORY });
      const p = await b.publish(ch, bytes('2'), { history: HISTORY });
      await b.removeHistory(ch);
      const page = await b.history(ch, { limit: -1 }, HISTORY);
      assert.deepEqual(page.publications, []);
      assert.deepEqual(page.position, p);
    });
  });

  void describe('presence', () => {
    void it('adds, refreshes, removes and counts clients and distinct users', async () => {
      const p = presenceManager();
      const ch = uniqueChannel('presence');
      const a1: ClientInfo = { user: 'alice', client: 'a1', conn_info: bytes('{"n":1}') };
      const a2: ClientInfo = { user: 'alice', client: 'a2' };
      const b1: ClientInfo = { user: 'bob', client: 'b1' };
      assert.deepEqual(await p.presence(ch), {});
      assert.deepEqual(await p.presenceStats(ch), { numClients: 0, numUsers: 0 });
      for (const info of [a1, a2, b1]) await p.addPresence(ch, info.client, info, 60_000);
      await p.addPresence(ch, a1.client, a1, 60_000);
      const all = await p.presence(ch);
      assert.deepEqual(Object.keys(all).sort(), ['a1', 'a2', 'b1']);
      assert.equal(all['a1']!.user, 'alice');
      assert.equal(text(all['a1']!.conn_info!), '{"n":1}');
      assert.deepEqual(await p.presenceStats(ch), { numClients: 3, numUsers: 2 });
      await p.removePresence(ch, 'b1', 'bob');
      assert.deepEqual(await p.presenceStats(ch), { numClients: 2, numUsers: 1 });
      await p.removePresence(ch, 'a1', 'alice');
      assert.deepEqual(Object.keys(await p.presence(ch)), ['a2']);
      assert.deepEqual(await p.presenceStats(ch), { numClients: 1, numUsers: 1 });
      await p.removePresence(ch, 'missing', 'nobody');
      assert.deepEqual(await p.presenceStats(ch), { numClients: 1, numUsers: 1 });
    });

    void it('expires entries that are not refreshed', async () => {
      const p = presenceManager();
      const ch = uniqueChannel('presence-ttl');
      await p.addPresence(ch, 'dead', { user: 'd', client: 'dead' }, 200);
      await p.addPresence(ch, 'live', { user: 'l', client: 'live' }, 60_000);
      await sleep(700);
      assert.deepEqual(Object.keys(await p.presence(ch)), ['live']);
      assert.deepEqual(await p.presenceStats(ch), { numClients: 1, numUsers: 1 });
      await p.addPresence(ch, 'dead', { user: 'd', client: 'dead' }, 60_000);
      assert.deepEqual(await p.presenceStats(ch), { numClients: 2, numUsers: 2 });
    });
  });
}
