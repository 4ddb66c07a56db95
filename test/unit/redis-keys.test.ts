// Redis key names: one Cluster hash tag per channel, no escape from it, and the Lua script file conventions.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { RedisKeys } from '../../src/redis/index.js';

/** The part of a key Redis Cluster hashes (cluster spec: first `{`, then the first `}` after it, non-empty). */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

function allKeys(keys: RedisKeys, channel: string): string[] {
  return [keys.historyStream(channel), keys.historyMeta(channel), keys.pubsubChannel(channel), ...keys.presenceKeys(channel)];
}

void describe('RedisKeys', () => {
  const keys = new RedisKeys('rt');
  const channels = ['chat', 'ns:room', 'a{b}c', '{', '}', '}{', 'x}:history:{y', '%7B', '{%}', '', 'ユーザー:1', 'a b'];

  void it('puts every key of one channel in the same hash slot', () => {
    for (const channel of channels) {
      const tags = new Set(allKeys(keys, channel).map(hashedPart));
      assert.equal(tags.size, 1, `channel ${JSON.stringify(channel)}`);
      assert.notEqual([...tags][0], allKeys(keys, channel)[0], 'a real hash tag, not the whole key');
    }
  });

  void it('never lets two channels share a tag or a key', () => {
    const tags = channels.map((c) => hashedPart(keys.historyStream(c)));
    assert.equal(new Set(tags).size, channels.length);
    const all = channels.flatMap((c) => allKeys(keys, c));
    assert.equal(new Set(all).size, all.length);
  });

  void it('rejects a prefix with braces', () => {
    assert.throws(() => new RedisKeys('a{b}'));
  });

  void it('writes no separator for the empty prefix (REDIS_PREFIX set empty)', () => {
    const keys = new RedisKeys('');
    assert.equal(keys.historyStream('chat'), 'history:{chat}:stream');
    assert.equal(keys.controlChannel(), 'control');
    assert.deepEqual(keys.nodeKeys(), ['{nodes}:info', '{nodes}:expiry']);
    assert.equal(keys.idempotencyKey('chat', 'k1'), 'idempotency:{chat}:k1');
    assert.equal(new RedisKeys('rm').historyStream('chat'), 'rm:history:{chat}:stream');
    assert.equal(new RedisKeys('rm').idempotencyKey('chat', 'k1'), 'rm:idempotency:{chat}:k1');
  });
});

void describe('Lua scripts', () => {
  const dir = new URL('../../src/redis/lua/', import.meta.url);
  void it('open with one sentence of intent and a KEYS/ARGV legend for what they use', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
    assert.ok(files.length >= 6);
    for (const file of files) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      const [first, second] = source.split('\n');
      assert.match(first!, /^-- [A-Z].*\.$/, `${file}: intent line`);
      assert.match(second!, /^-- KEYS\[1\] /, `${file}: legend`);
      for (const used of new Set(source.match(/(KEYS|ARGV)\[\d+\]/g))) {
        assert.ok(source.includes(`-- ${used} `), `${file}: ${used} is documented`);
      }
    }
  });
});
