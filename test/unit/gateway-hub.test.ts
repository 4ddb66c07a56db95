// Hub and ChannelSubscription delivery rules with a real MemoryBroker: one encoding shared by
// subscribers, buffering while subscribing, offset positioning (duplicates skipped, gaps resubscribe),
// broker subscription lifecycle and delivery-restored resubscribes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { EMPTY_CHANNEL_OPTIONS } from '../../src/config/index.js';
import { MemoryBroker } from '../../src/engine/index.js';
import { jsonCodec } from '../../src/protocol/index.js';
import { ChannelSubscription, type SubscriptionOwner } from '../../src/gateway/channel-subscription.js';
import type { EncodedPush } from '../../src/gateway/encoded-push.js';
import { Hub } from '../../src/gateway/hub.js';

const history = { size: 100, ttlMs: 60_000 };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

class RecordingOwner implements SubscriptionOwner {
  readonly sent: string[] = [];
  readonly pushes: EncodedPush[] = [];
  readonly resubscribed: string[] = [];
  sendPush(push: EncodedPush): boolean {
    this.pushes.push(push);
    this.sent.push(push.encode(jsonCodec).toString());
    return true;
  }
  unsubscribeToRecover(sub: ChannelSubscription): void {
    sub.remove();
    this.resubscribed.push(sub.channel);
  }
}

async function setup(): Promise<{ broker: MemoryBroker; hub: Hub }> {
  const broker = new MemoryBroker();
  const hub = new Hub(broker, pino({ level: 'silent' }));
  await broker.start(hub);
  return { broker, hub };
}

function subscription(owner: SubscriptionOwner, channel: string, positioned: boolean): ChannelSubscription {
  const sub = new ChannelSubscription(owner, channel, 'chat', { ...EMPTY_CHANNEL_OPTIONS });
  sub.positioned = positioned;
  return sub;
}

void describe('Hub', () => {
  void it('encodes a publication once and writes the same buffer to every subscriber', async () => {
    const { broker, hub } = await setup();
    const a = new RecordingOwner();
    const b = new RecordingOwner();
    const sa = subscription(a, 'ch', false);
    const sb = subscription(b, 'ch', false);
    await hub.addSubscriber(sa);
    await hub.addSubscriber(sb);
    sa.activate(null);
    sb.activate(null);
    await broker.publish('ch', bytes('{"text":"x"}'), {});
    assert.equal(a.pushes.length, 1);
    assert.equal(a.pushes[0], b.pushes[0], 'same EncodedPush object');
    assert.equal(a.pushes[0]?.encode(jsonCodec), b.pushes[0]?.encode(jsonCodec), 'same encoded buffer');
    assert.deepEqual(JSON.parse(a.sent[0] ?? ''), { push: { channel: 'ch', pub: { data: { text: 'x' } } } });
    await broker.close();
  });

  void it('buffers publications while subscribing and skips those the subscribe reply already covered', async () => {
    const { broker, hub } = await setup();
    const owner = new RecordingOwner();
    const sub = subscription(owner, 'ch', true);
    await hub.addSubscriber(sub);
    for (let i = 1; i <= 3; i++) await broker.publish('ch', bytes(`{"n":${i}}`), { history });
    assert.equal(owner.sent.length, 0, 'nothing before the reply');
    const top = await broker.history('ch', { limit: 0 }, history);
    sub.activate({ offset: 2, epoch: top.position.epoch });
    assert.deepEqual(
      owner.sent.map((s) => (JSON.parse(s) as { push: { pub: { offset: number } } }).push.pub.offset),
      [3],
    );
    await broker.close();
  });

  void it('skips duplicates and resubscribes a positioned subscriber on a gap or epoch change', async () => {
    const { broker, hub } = await setup();
    const owner = new RecordingOwner();
    const sub = subscription(owner, 'ch', true);
    await hub.addSubscriber(sub);
    const top = await broker.history('ch', { limit: 0 }, history);
    sub.activate(top.position);
    await broker.publish('ch', bytes('{"n":1}'), { history });
    sub.handlePublication({ data: bytes('{}'), offset: 1 }, top.position.epoch, owner.pushes[0] as EncodedPush);
    assert.equal(owner.sent.length, 1, 'duplicate offset skipped');
    const gapPush = owner.pushes[0] as EncodedPush;
    sub.handlePublication({ data: bytes('{}'), offset: 5 }, top.position.epoch, gapPush);
    assert.deepEqual(owner.resubscribed, ['ch']);
    const other = new RecordingOwner();
    const sub2 = subscription(other, 'ch2', true);
    sub2.activate({ offset: 0, epoch: 'e1' });
    sub2.handlePublication({ data: bytes('{}'), offset: 1 }, 'e2', gapPush);
    assert.deepEqual(other.resubscribed, ['ch2'], 'epoch change');
    await broker.close();
  });

  void it('makes positioned subscribers resubscribe when broker delivery is restored', async () => {
    const { broker, hub } = await setup();
    const positioned = new RecordingOwner();
    const plain = new RecordingOwner();
    const s1 = subscription(positioned, 'ch', true);
    const s2 = subscription(plain, 'ch', false);
    await hub.addSubscriber(s1);
    await hub.addSubscriber(s2);
    s1.activate({ offset: 0, epoch: 'e' });
    s2.activate(null);
    hub.handleDeliveryRestored();
    assert.deepEqual(positioned.resubscribed, ['ch']);
    assert.deepEqual(plain.resubscribed, []);
    await broker.close();
  });

  void it('subscribes the broker for the first local subscriber and unsubscribes after the last', async () => {
    const { broker, hub } = await setup();
    const owner = new RecordingOwner();
    const a = subscription(owner, 'ch', false);
    const b = subscription(owner, 'ch', false);
    await hub.addSubscriber(a);
    await hub.addSubscriber(b);
    assert.equal(hub.channelCount, 1);
    await hub.removeSubscriber(a);
    assert.equal(hub.channelCount, 1);
    await hub.removeSubscriber(b);
    assert.equal(hub.channelCount, 0);
    b.activate(null);
    await broker.publish('ch', bytes('{}'), {});
    assert.equal(owner.sent.length, 0, 'no delivery after the broker unsubscribe');
    await broker.close();
  });
});
