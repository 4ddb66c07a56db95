import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelOwner, loadConfig, resolveChannel, userLimitedAllows, validateChannelName } from '../../src/config/index.js';
import type { ChannelConfig } from '../../src/config/index.js';

const channels: ChannelConfig = loadConfig({}).channel;

void describe('built-in channel rules (seed)', () => {
  void it('chat is open to every connected user, with history, recovery, presence and join/leave', () => {
    const r = resolveChannel(channels, 'chat');
    assert.ok(r !== null);
    assert.equal(r.namespace, '');
    assert.equal(r.options.allowSubscribeForClient, true);
    assert.equal(r.options.allowPublishForClient, true);
    assert.equal(r.options.historySize, 100);
    assert.equal(r.options.historyTtlMs, 300_000);
    assert.equal(r.options.forceRecovery, true);
    assert.equal(r.options.presence, true);
    assert.equal(r.options.joinLeave, true);
    assert.equal(r.options.userOwned, false);
  });

  void it('chat:room resolves to the chat namespace with the same options', () => {
    const r = resolveChannel(channels, 'chat:room');
    assert.equal(r?.namespace, 'chat');
    assert.equal(r?.options.allowSubscribeForClient, true);
    assert.equal(r?.options.allowPublishForClient, true);
    assert.equal(r?.options.forceRecovery, true);
    assert.equal(resolveChannel(channels, 'chat:a:b')?.namespace, 'chat', 'the namespace ends at the first boundary');
  });

  void it('user:42 is owned by user 42 only', () => {
    const r = resolveChannel(channels, 'user:42');
    assert.equal(r?.namespace, 'user');
    assert.equal(r?.options.userOwned, true);
    assert.equal(r?.options.historySize, 0, 'no history on user channels');
    assert.equal(r?.options.presence, false);
    assert.equal(channelOwner(channels, 'user:42'), '42');
    assert.notEqual(channelOwner(channels, 'user:42'), '43');
    assert.equal(channelOwner(channels, 'user:'), null, 'an anonymous user (id "") never owns user:');
    assert.equal(channelOwner(channels, 'chat:room'), null, 'chat is not user-owned');
    assert.equal(channelOwner(channels, 'nope:1'), null);
  });

  void it('everything else is unknown', () => {
    for (const ch of ['news', 'chat2', 'Chat', 'chats:x', 'admin:1', ':x', '$chat:x', 'users:1']) {
      assert.equal(resolveChannel(channels, ch), null, ch);
    }
  });

  void it('returns the same resolved object on repeated calls (compiled once)', () => {
    assert.equal(resolveChannel(channels, 'chat:a'), resolveChannel(channels, 'chat:b'));
  });
});

void describe('validateChannelName', () => {
  void it('accepts ordinary names, including non-ASCII within the byte limit', () => {
    for (const ch of ['chat', 'chat:room-1', 'user:42', 'chat:комната', 'chat:房间', 'chat:😀', 'a'.repeat(255)]) {
      assert.equal(validateChannelName(channels, ch), null, ch);
    }
  });

  void it('rejects empty, too long (in bytes), whitespace, control and invalid characters', () => {
    assert.match(validateChannelName(channels, '') ?? '', /empty/);
    assert.match(validateChannelName(channels, 'a'.repeat(256)) ?? '', /longer than 255 bytes/);
    assert.match(validateChannelName(channels, 'chat:' + '房'.repeat(84)) ?? '', /longer than 255 bytes/, '5 + 84*3 = 257 bytes');
    assert.equal(validateChannelName(channels, 'chat:' + '房'.repeat(83)), null, '5 + 83*3 = 254 bytes');
    assert.match(validateChannelName(channels, 'chat:') ?? '', /empty after the namespace boundary/);
    assert.match(validateChannelName(channels, 'user:') ?? '', /empty after the namespace boundary/);
    assert.equal(validateChannelName(channels, 'chat:a:'), null, 'only the part right after the first boundary must be non-empty');
    for (const ch of ['chat:lobby\u200b', 'chat:\u200d', 'chat:\u202egnp', 'chat:\u2066x', 'chat:\ufefflobby', 'chat:\u00ad']) {
      assert.match(validateChannelName(channels, ch) ?? '', /format/, JSON.stringify(ch));
    }
    for (const ch of [
      'chat room',
      'chat:\t',
      'chat:\n',
      'chat:\u0000',
      'chat:\u007f',
      'chat:\u0085',
      'chat:\u00a0',
      'chat:\u2028',
      'chat:\ufffd',
      'chat:\ud800',
      'chat:\udc00x',
    ]) {
      assert.notEqual(validateChannelName(channels, ch), null, JSON.stringify(ch));
    }
  });
});

void describe('userLimitedAllows', () => {
  void it('admits exactly the users listed after the last #', () => {
    assert.equal(userLimitedAllows('dialog#42,43', '42'), true);
    assert.equal(userLimitedAllows('dialog#42,43', '43'), true);
    assert.equal(userLimitedAllows('dialog#42,43', '4'), false);
    assert.equal(userLimitedAllows('dialog#42,43', '2,4'), false);
    assert.equal(userLimitedAllows('dialog#42,43', '42,43'), false);
    assert.equal(userLimitedAllows('a#1#2', '2'), true);
    assert.equal(userLimitedAllows('a#1#2', '1'), false);
    assert.equal(userLimitedAllows('dialog#', ''), false, 'anonymous is never listed');
    assert.equal(userLimitedAllows('dialog#42,', ''), false);
    assert.equal(userLimitedAllows('plain', 'anyone'), true);
  });
});
